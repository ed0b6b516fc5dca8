/*
 * IOS-style logging: "%FACILITY-SEVERITY-MNEMONIC: text" lines with IOS
 * timestamps, fanned out to the console, to vty sessions that ran
 * `terminal monitor`, and to the `logging buffered` ring buffer.
 *
 * There is one logger per process, because one process runs one router.
 * Every function here is thread-safe. Callers on the datapath rate-limit
 * per-packet messages before calling log_msg(). The logger itself drops a
 * message only under `logging rate-limit`, and the buffer drops its oldest
 * lines when it wraps.
 */
#ifndef VR_CORE_LOG_H
#define VR_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
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
	LOGMSG_CRYPTO_RECVD_PKT_NOT_IPSEC, /* %CRYPTO-4-RECVD_PKT_NOT_IPSEC */
	LOGMSG_CRYPTO_ISAKMP_ON_OFF,	/* %CRYPTO-6-ISAKMP_ON_OFF */
	LOGMSG_PARSER_CONFIG_LINE,	/* %PARSER-4-BADCFG: startup-config line */
	LOGMSG_SYS_RELOAD,		/* %SYS-5-RELOAD */
	LOGMSG_CRYPTO_IKMP_NO_SA,	/* %CRYPTO-4-IKMP_NO_SA */
	LOGMSG_SEC_LOGIN_SUCCESS,	/* %SEC_LOGIN-5-LOGIN_SUCCESS */
	LOGMSG_SEC_LOGIN_FAILED,	/* %SEC_LOGIN-4-LOGIN_FAILED */
	LOGMSG_SYS_LOGOUT,		/* %SYS-6-LOGOUT */
	LOGMSG_HA_EM_LOG,		/* %HA_EM-6-LOG: action syslog */
	LOGMSG_HA_EM_POLICY_MAXRUN,	/* %HA_EM-3-FMPD_EXECUTION_ERROR */
	LOGMSG_HA_EM_CLI_ERROR,		/* %HA_EM-3-FMPD_CLI_CONNECT */
	LOGMSG_HA_EM_FILE_ERROR,	/* %HA_EM-3-FMPD_ERROR */
	LOGMSG_DMVPN_NHRP_NHS_UP,	/* %DMVPN-5-NHRP_NHS_UP */
	LOGMSG_DMVPN_NHRP_NHS_DOWN,	/* %DMVPN-5-NHRP_NHS_DOWN */
	LOGMSG_DMVPN_NHRP_NHC_UP,	/* %DMVPN-5-NHRP_NHC_UP */
	LOGMSG_DMVPN_NHRP_NHC_DOWN,	/* %DMVPN-5-NHRP_NHC_DOWN */
	LOGMSG_CRYPTO_EZVPN_CONNECTION_UP, /* %CRYPTO-6-EZVPN_CONNECTION_UP */
	LOGMSG_CRYPTO_EZVPN_CONNECTION_DOWN, /* %CRYPTO-6-EZVPN_CONNECTION_DOWN */
	LOGMSG_CRYPTO_IKMP_AUTH_FAIL,	/* %CRYPTO-6-IKMP_AUTH_FAIL */
	LOGMSG_IKEV2_NEG_ABORT,		/* %IKEV2-3-NEG_ABORT */
	LOGMSG_CRYPTO_IKMP_MODE_FAILURE, /* %CRYPTO-6-IKMP_MODE_FAILURE */
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
	uint64_t trap_logged;		/* lines at the trap level or above */
	uint64_t dropped;		/* lines a host could not be sent */
	size_t buffer_size;
	size_t buffer_used;		/* bytes held, one line end each */
	enum log_severity buffer_level;
	enum log_severity console_level;
	enum log_severity monitor_level;
	enum log_severity trap_level;
	bool sequence_numbers;
	unsigned rate_limit;		/* lines a second; 0 when unlimited */
	char source_interface[64];	/* "" when not set */
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

/*
 * `service timestamps log|debug`: how catalogued lines (LOG_KIND_LOG)
 * and debug lines (LOG_KIND_DEBUG) are stamped. The default for both is
 * datetime msec in UTC, "*Mar 12 18:22:10.706". Uptime stamps count from
 * log_init(): "01:02:03" under a day, "1d02h" under a week, then "1w2d".
 */
enum log_line_kind {
	LOG_KIND_LOG,
	LOG_KIND_DEBUG,
};
enum log_stamp_type {
	LOG_STAMP_DATETIME,
	LOG_STAMP_UPTIME,
	LOG_STAMP_NONE,		/* no service timestamps log|debug */
};
struct log_stamp {
	enum log_stamp_type type;
	bool msec;
	bool localtime;		/* the host's zone (TZ) instead of UTC */
	bool show_timezone;	/* " UTC" after the time */
};
void log_set_timestamps(enum log_line_kind kind, const struct log_stamp *st);

/* `service sequence-numbers`: "000042: " before the timestamp. */
void log_set_sequence_numbers(bool on);

/* `logging trap LEVEL`: the level of lines sent to syslog hosts. */
void log_set_trap_level(enum log_severity level);

/*
 * `logging rate-limit N [except LEVEL]`: at most PER_SECOND lines a second
 * are logged, and the rest are dropped and counted as rate-limited. Lines
 * at EXCEPT or more severe always pass (LOG_SEV_OFF: none is excepted).
 * PER_SECOND 0 removes the limit.
 */
void log_set_rate_limit(unsigned per_second, enum log_severity except);

/* `logging host A [transport udp port P] [syslog-format rfc3164|rfc5424]`. */
enum log_host_format {
	LOG_HOST_RFC3164,
	LOG_HOST_RFC5424,
};
struct log_host {
	char address[16];	/* dotted IPv4 */
	uint16_t port;
	enum log_host_format format;
	uint64_t logged;	/* lines sent, in log_hosts_foreach() */
	uint64_t failed;	/* lines the kernel rejected */
};

/*
 * Replaces the set of syslog hosts with the N in HOSTS, keeping the
 * socket and counters of each host that stays. Lines go out over one
 * kernel UDP socket per host, from the thread that logs them. Logs
 * %SYS-6-LOGGINGHOST_STARTSTOP for each host added or removed. Returns
 * 0, or -1 when a socket cannot be made (that host is left out).
 */
int log_set_hosts(const struct log_host *hosts, size_t n);

/*
 * Names the router in lines sent to hosts: RFC 5424 and RFC 3164 carry
 * a HOSTNAME field, which gets SOURCE_ADDRESS (the address of `logging
 * source-interface`) when not NULL or "", else HOSTNAME. The hosts'
 * sockets are bound to SOURCE_ADDRESS when this machine has that address
 * (a 127.0.0.0/8 lab address); an address of the router's own datapath
 * only names it. SOURCE_INTERFACE is only shown by `show logging`.
 */
void log_set_origin(const char *hostname, const char *source_interface,
		    const char *source_address);

/* Calls FN for each syslog host under the logger lock; FN must not log. */
void log_hosts_foreach(void (*fn)(void *ctx, const struct log_host *h),
		       void *ctx);

/*
 * A hook that sees every line after the filters (for EEM syslog events),
 * with the line's body from the "%FAC-SEV-MNEMONIC:" on, or the debug
 * text. One hook is set at a time; NULL removes it, and once
 * log_set_hook() returns the old hook is no longer running. The hook runs
 * in the thread that logged, with the sink table locked for reading, so
 * it must only queue work and must not log.
 */
typedef void (*log_hook_fn)(void *ctx, enum log_severity sev,
			    const char *body);
void log_set_hook(log_hook_fn fn, void *ctx);

/*
 * Applies the /vrouter-config:logging settings of the running tree; a
 * config store subscriber (core/log_config.c). CTX is unused.
 */
struct lyd_node;
void log_config_apply(void *ctx, const struct lyd_node *running);

#endif
