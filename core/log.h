/*
 * IOS-style logging: "%FACILITY-SEVERITY-MNEMONIC: text" lines with IOS
 * timestamps, fanned out to the console, to vty sessions that ran
 * `terminal monitor`, and to the `logging buffered` ring buffer.
 *
 * There is one logger per process, because one process runs one router.
 * Every function here is thread-safe. Callers on the datapath rate-limit
 * per-packet messages before calling log_msg(); the logger itself never
 * drops a message it is given, except when the buffer wraps.
 */
#ifndef VR_CORE_LOG_H
#define VR_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Syslog severities (RFC 5424), with the keywords IOS uses for them. */
enum log_severity {
	LOG_SEV_EMERGENCIES = 0,
	LOG_SEV_ALERTS = 1,
	LOG_SEV_CRITICAL = 2,
	LOG_SEV_ERRORS = 3,
	LOG_SEV_WARNINGS = 4,
	LOG_SEV_NOTIFICATIONS = 5,
	LOG_SEV_INFORMATIONAL = 6,
	LOG_SEV_DEBUGGING = 7,
	LOG_SEV_OFF = -1,	/* a sink level that lets nothing through */
};

/*
 * Default size of the `logging buffered` ring buffer, in bytes.
 * NOTE: the IOS XE default differs between platforms; this is an estimate.
 */
#define LOG_DEFAULT_BUFFER_SIZE 102400
#define LOG_MIN_BUFFER_SIZE 4096
#define LOG_MAX_BUFFER_SIZE 2147483647

/* Maximum length of a line, timestamp included; longer text is cut. */
#define LOG_LINE_MAX 1024

/*
 * Catalogue of the messages vrouter emits. log_catalogue() maps each id to
 * its facility, severity, mnemonic, explanation and recommended action;
 * the text itself comes from the call site so the compiler checks it.
 */
enum log_msg_id {
	LOGMSG_SYS_CONFIG_I,		/* %SYS-5-CONFIG_I */
	LOGMSG_SYS_RESTART,		/* %SYS-5-RESTART */
	LOGMSG_SYS_LOGGINGHOST_STARTSTOP,
	LOGMSG_LINK_UPDOWN,		/* %LINK-3-UPDOWN */
	LOGMSG_LINEPROTO_UPDOWN,	/* %LINEPROTO-5-UPDOWN */
	LOGMSG_CRYPTO_RECVD_PKT_INV_SPI, /* %CRYPTO-4-RECVD_PKT_INV_SPI */
	LOGMSG_CRYPTO_PKT_REPLAY_ERR,	/* %CRYPTO-4-PKT_REPLAY_ERR */
	LOGMSG_CRYPTO_RECVD_PKT_MAC_ERR, /* %CRYPTO-4-RECVD_PKT_MAC_ERR */
	LOGMSG_CRYPTO_ISAKMP_ON_OFF,	/* %CRYPTO-6-ISAKMP_ON_OFF */
	LOGMSG_PARSER_CONFIG_LINE,	/* %PARSER-4-BADCFG: startup-config line */
	LOGMSG_SYS_RELOAD,		/* %SYS-5-RELOAD */
	LOGMSG_CRYPTO_IKMP_NO_SA,	/* %CRYPTO-4-IKMP_NO_SA */
	LOGMSG_SEC_LOGIN_SUCCESS,	/* %SEC_LOGIN-5-LOGIN_SUCCESS */
	LOGMSG_SEC_LOGIN_FAILED,	/* %SEC_LOGIN-4-LOGIN_FAILED */
	LOGMSG_SYS_LOGOUT,		/* %SYS-6-LOGOUT */
	LOGMSG_COUNT
};

struct log_catalogue_entry {
	const char *facility;
	enum log_severity severity;
	const char *mnemonic;
	const char *text;		/* printf format, as passed by callers */
	const char *explanation;
	const char *action;
};

/* Returns the catalogue row of ID; never NULL for a valid id. */
const struct log_catalogue_entry *log_catalogue(enum log_msg_id id);

/*
 * A sink receives each finished line (timestamp included, no line end).
 * Sinks run with the sink table locked for reading, so they must not add,
 * remove or re-level sinks. They may log.
 */
typedef void (*log_sink_fn)(void *ctx, enum log_severity sev, const char *line);

/* Initialises the process logger. BUFFER_SIZE is the buffered-log size. */
int log_init(size_t buffer_size);
void log_shutdown(void);

/*
 * Emits one catalogued message. The line reads
 * "<timestamp>: %FAC-SEV-MNEMONIC: <text>".
 */
void log_msg(enum log_msg_id id, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Emits one debug line (severity 7) with a timestamp and no mnemonic, as
 * IOS prints debug output, e.g. "ISAKMP: (0):...".
 */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Registers a sink that receives lines at MAX_SEV or more severe.
 * Returns 0, or -1 when the sink table is full. After log_sink_remove()
 * returns, FN is no longer running and will not be called again.
 */
int log_sink_add(log_sink_fn fn, void *ctx, enum log_severity max_sev);
void log_sink_set_level(log_sink_fn fn, void *ctx, enum log_severity max_sev);
void log_sink_remove(log_sink_fn fn, void *ctx);

/*
 * Kinds of sink whose level follows `logging console` or `logging
 * monitor`: a sink added with log_sink_add_kind() takes the level of its
 * kind, now and after every log_set_console_level() or
 * log_set_monitor_level(). Lines sent to it are counted in the
 * `show logging` header of that kind.
 */
enum log_sink_kind {
	LOG_SINK_OTHER,		/* fixed level, as given to log_sink_add() */
	LOG_SINK_CONSOLE,
	LOG_SINK_MONITOR,
};
int log_sink_add_kind(log_sink_fn fn, void *ctx, enum log_sink_kind kind);

/* Returns the logger's own name of severity SEV ("warnings"), or "off". */
const char *log_severity_name(enum log_severity sev);

/* Parses an IOS level keyword or number 0-7; returns -1 when invalid. */
int log_severity_parse(const char *word);

/*
 * Calls FN once per buffered line, oldest first, under the logger lock;
 * FN must not log. Used by `show logging`.
 */
void log_buffer_foreach(void (*fn)(void *ctx, const char *line), void *ctx);
void log_buffer_clear(void);

/* Counters and settings shown in the `show logging` header. */
struct log_stats {
	uint64_t messages_logged;	/* all lines accepted */
	uint64_t buffer_logged;		/* lines written to the buffer */
	uint64_t rate_limited;		/* lines suppressed by callers' limiters */
	uint64_t console_logged;	/* lines given to console sinks */
	uint64_t monitor_logged;	/* lines given to monitor sinks */
	uint64_t trap_logged;		/* lines at informational or above */
	size_t buffer_size;
	size_t buffer_used;		/* bytes held, one line end each */
	enum log_severity buffer_level;
	enum log_severity console_level;
	enum log_severity monitor_level;
};
void log_get_stats(struct log_stats *out);

/* Counts a line that a caller's rate limiter suppressed. */
void log_count_rate_limited(uint64_t n);

/*
 * Applies `logging buffered SIZE LEVEL`, `logging console LEVEL` etc.
 * A new buffer size keeps the newest lines that fit. LOG_SEV_OFF turns a
 * destination off (`no logging buffered`); the buffer keeps its size.
 */
void log_set_buffer(size_t size, enum log_severity level);
void log_set_console_level(enum log_severity level);
void log_set_monitor_level(enum log_severity level);

/* Writes the IOS timestamp "*Mar 12 18:22:10.706" into BUF. */
void log_format_timestamp(char *buf, size_t len);

#endif
