/*
 * The process logger: formats IOS lines, keeps the `logging buffered` ring
 * and hands each line to the registered sinks.
 *
 * `lock` guards the ring buffer, the levels and the counters. `sink_lock`
 * is a read-write lock over the sink table. Emitters hold it for reading
 * while sinks run, so log_sink_remove() waits for running sinks. Where
 * both are taken, `sink_lock` comes first. The state is static so that
 * log_msg() works before log_init(), as unit tests of other modules need.
 */
#include "core/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LOG_MAX_SINKS 64

struct sink {
	log_sink_fn fn;
	void *ctx;
	enum log_sink_kind kind;
	enum log_severity level;
};

/*
 * The buffer is a byte ring of `size` bytes holding whole lines, each
 * ended by '\n'. `head` is the offset of the oldest line and `used` the
 * number of bytes held, so its memory use is bounded by the configured
 * size exactly as IOS bounds it.
 */
struct ring {
	char *data;
	size_t size;
	size_t head;
	size_t used;
};

static struct {
	pthread_mutex_t lock;
	struct ring ring;
	enum log_severity buffer_level;
	enum log_severity console_level;
	enum log_severity monitor_level;
	uint64_t messages_logged;
	uint64_t buffer_logged;
	uint64_t trap_logged;
	atomic_uint_fast64_t rate_limited;
	atomic_uint_fast64_t console_logged;
	atomic_uint_fast64_t monitor_logged;

	pthread_rwlock_t sink_lock;
	struct sink sinks[LOG_MAX_SINKS];
	int nsinks;
} logger = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ring = { .size = LOG_DEFAULT_BUFFER_SIZE },
	.buffer_level = LOG_SEV_DEBUGGING,
	.console_level = LOG_SEV_DEBUGGING,
	.monitor_level = LOG_SEV_DEBUGGING,
	.sink_lock = PTHREAD_RWLOCK_INITIALIZER,
};

static const char *const severity_names[] = {
	"emergencies", "alerts", "critical", "errors",
	"warnings", "notifications", "informational", "debugging",
};

/*
 * The catalogue. Texts are the printf formats that call sites pass, in
 * IOS wording where IOS has the message.
 */
static const struct log_catalogue_entry catalogue[LOGMSG_COUNT] = {
	[LOGMSG_SYS_CONFIG_I] = {
		"SYS", LOG_SEV_NOTIFICATIONS, "CONFIG_I",
		"Configured from %s by %s",
		"The running configuration was changed from a CLI session, "
		"which has now left configuration mode.",
		"No action is required. Compare with the startup-config and "
		"save with `write memory` if the change is to survive a "
		"restart.",
	},
	[LOGMSG_SYS_RESTART] = {
		"SYS", LOG_SEV_NOTIFICATIONS, "RESTART",
		"System restarted --",
		"The router process started and finished loading its "
		"startup-config.",
		"No action is required.",
	},
	[LOGMSG_SYS_LOGGINGHOST_STARTSTOP] = {
		"SYS", LOG_SEV_INFORMATIONAL, "LOGGINGHOST_STARTSTOP",
		"Logging to host %s port %u %s",
		"Logging to a syslog host started or stopped.",
		"No action is required.",
	},
	[LOGMSG_LINK_UPDOWN] = {
		"LINK", LOG_SEV_ERRORS, "UPDOWN",
		"Interface %s, changed state to %s",
		"An interface changed its link state.",
		"If the change was not expected, check the interface "
		"configuration (`shutdown`) and what it is attached to.",
	},
	[LOGMSG_LINEPROTO_UPDOWN] = {
		"LINEPROTO", LOG_SEV_NOTIFICATIONS, "UPDOWN",
		"Line protocol on Interface %s, changed state to %s",
		"The line protocol of an interface went up or down.",
		"If the change was not expected, check the interface and its "
		"peer.",
	},
	[LOGMSG_CRYPTO_RECVD_PKT_INV_SPI] = {
		"CRYPTO", LOG_SEV_WARNINGS, "RECVD_PKT_INV_SPI",
		"decaps: rec'd IPSEC packet has invalid spi for destaddr=%s, "
		"prot=%u, spi=0x%X(%u), srcaddr=%s, input interface=%s",
		"An IPsec packet arrived whose SPI is not in the SA database. "
		"This can be temporary (the peers' SAs age at slightly "
		"different times, or the local SAs were cleared), can come "
		"from bad packets sent by the peer, and could be a hostile "
		"event. The message is rate-limited to one per minute; the "
		"drop counters count every packet.",
		"If the local SAs were cleared, the peer may not know: a new "
		"IKE negotiation from this router usually brings the SAs back "
		"in sync (see `crypto isakmp invalid-spi-recovery`). If the "
		"message persists, debug IKE on both ends and contact the "
		"peer's administrator.",
	},
	[LOGMSG_CRYPTO_PKT_REPLAY_ERR] = {
		"CRYPTO", LOG_SEV_WARNINGS, "PKT_REPLAY_ERR",
		"decrypt: replay check failed connection id=%u",
		"An inbound IPsec packet failed the anti-replay check: its "
		"sequence number was already seen or fell left of the window.",
		"Occasional errors come from reordering in the network. A "
		"steady rate points to a replayed stream or a peer that reset "
		"its sequence numbers without a new SA.",
	},
	[LOGMSG_CRYPTO_RECVD_PKT_MAC_ERR] = {
		"CRYPTO", LOG_SEV_WARNINGS, "RECVD_PKT_MAC_ERR",
		"decrypt: mac verify failed for connection id=%u",
		"An inbound IPsec packet failed its integrity check.",
		"Check that both peers use the same keys and transform set; "
		"with manual keys, compare the keys on both ends.",
	},
	[LOGMSG_CRYPTO_ISAKMP_ON_OFF] = {
		"CRYPTO", LOG_SEV_INFORMATIONAL, "ISAKMP_ON_OFF",
		"ISAKMP is %s",
		"ISAKMP was enabled by the first crypto map applied to an "
		"interface, or disabled when the last one was removed.",
		"No action is required.",
	},
	[LOGMSG_PARSER_CONFIG_LINE] = {
		"PARSER", LOG_SEV_WARNINGS, "BADCFG",
		"%s line %u rejected: %s: %s",
		"A line of the startup-config was rejected while it was "
		"loaded; the router started without it.",
		"Correct the line in the startup-config file, or enter the "
		"corrected command and save with `write memory`.",
	},
	[LOGMSG_SYS_RELOAD] = {
		"SYS", LOG_SEV_NOTIFICATIONS, "RELOAD",
		"Reload requested by %s. Reload Reason: %s.",
		"The router process was asked to stop and is shutting down.",
		"No action is required if the stop was intended.",
	},
	[LOGMSG_CRYPTO_IKMP_NO_SA] = {
		"CRYPTO", LOG_SEV_WARNINGS, "IKMP_NO_SA",
		"IKE message from %s has no SA and is not an initialization "
		"offer",
		"An IKE message arrived for an IKE SA that this router does "
		"not have, and it does not start a new negotiation.",
		"Usually benign after one side restarted or cleared its IKE "
		"SAs. If it persists, check the peer's state.",
	},
	[LOGMSG_SEC_LOGIN_SUCCESS] = {
		"SEC_LOGIN", LOG_SEV_NOTIFICATIONS, "LOGIN_SUCCESS",
		"Login Success [user: %s] [Source: %s] [localport: %u] at %s",
		"A user logged in to a vty line over telnet or SSH.",
		"No action is required.",
	},
	[LOGMSG_SEC_LOGIN_FAILED] = {
		"SEC_LOGIN", LOG_SEV_WARNINGS, "LOGIN_FAILED",
		"Login failed [user: %s] [Source: %s] [localport: %u] "
		"[Reason: %s] at %s",
		"A login on a vty line failed: the username or the secret did "
		"not match the local users.",
		"A few failures are typing mistakes. Many failures from one "
		"source are a guessing attack: restrict the source with "
		"`transport input` or an access list.",
	},
	[LOGMSG_SYS_LOGOUT] = {
		"SYS", LOG_SEV_INFORMATIONAL, "LOGOUT",
		"User %s has exited tty session %u(%s)",
		"A user left a vty session, or the session was closed by "
		"`clear line` or the exec-timeout.",
		"No action is required.",
	},
};

const struct log_catalogue_entry *
log_catalogue(enum log_msg_id id)
{
	if ((unsigned)id >= LOGMSG_COUNT)
		return NULL;
	return &catalogue[id];
}

const char *
log_severity_name(enum log_severity sev)
{
	if (sev < LOG_SEV_EMERGENCIES || sev > LOG_SEV_DEBUGGING)
		return "off";
	return severity_names[sev];
}

int
log_severity_parse(const char *word)
{
	char *end;
	long n;
	int i;

	if (word == NULL || *word == '\0')
		return -1;
	n = strtol(word, &end, 10);
	if (*end == '\0')
		return n >= 0 && n <= LOG_SEV_DEBUGGING ? (int)n : -1;
	for (i = 0; i <= LOG_SEV_DEBUGGING; i++)
		if (strcasecmp(word, severity_names[i]) == 0)
			return i;
	return -1;
}

void
log_format_timestamp(char *buf, size_t len)
{
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct timespec ts;
	struct tm tm;

	/*
	 * '*' marks the clock as not authoritative, which is what IOS
	 * prints while no NTP server is configured. The clock is UTC, the
	 * IOS default without `clock timezone`.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "*%s %2d %02d:%02d:%02d.%03ld",
		 months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000);
}

/* Drops the oldest line from the ring. */
static void
ring_drop_oldest(struct ring *r)
{
	while (r->used > 0) {
		char c = r->data[r->head];

		r->head = (r->head + 1) % r->size;
		r->used--;
		if (c == '\n')
			break;
	}
}

/* Appends LINE and its '\n'; LEN + 1 must not exceed the ring size. */
static void
ring_append(struct ring *r, const char *line, size_t len)
{
	size_t tail, first;

	while (r->size - r->used < len + 1)
		ring_drop_oldest(r);
	tail = (r->head + r->used) % r->size;
	first = r->size - tail < len ? r->size - tail : len;
	memcpy(r->data + tail, line, first);
	memcpy(r->data, line + first, len - first);
	r->data[(tail + len) % r->size] = '\n';
	r->used += len + 1;
}

/*
 * Copies the line starting at offset *POS into OUT (cut to OUTLEN - 1
 * characters) and moves *POS and *LEFT past its '\n'.
 */
static void
ring_read_line(const struct ring *r, size_t *pos, size_t *left, char *out,
	       size_t outlen)
{
	size_t n = 0;

	while (*left > 0) {
		char c = r->data[*pos];

		*pos = (*pos + 1) % r->size;
		(*left)--;
		if (c == '\n')
			break;
		if (n + 1 < outlen)
			out[n++] = c;
	}
	out[n] = '\0';
}

/* Writes LINE into the buffer; called with the logger lock held. */
static void
buffer_write(const char *line, size_t len)
{
	struct ring *r = &logger.ring;

	if (r->data == NULL) {
		r->data = malloc(r->size);
		if (r->data == NULL)
			return;
		r->head = 0;
		r->used = 0;
	}
	if (len + 1 > r->size)
		len = r->size - 1;
	ring_append(r, line, len);
	logger.buffer_logged++;
}

static enum log_severity
kind_level(enum log_sink_kind kind, enum log_severity fixed)
{
	switch (kind) {
	case LOG_SINK_CONSOLE:
		return logger.console_level;
	case LOG_SINK_MONITOR:
		return logger.monitor_level;
	case LOG_SINK_OTHER:
		break;
	}
	return fixed;
}

/* Passes one finished line to the buffer, the counters and the sinks. */
static void
emit(enum log_severity sev, const char *line, size_t len)
{
	int i;

	pthread_mutex_lock(&logger.lock);
	logger.messages_logged++;
	if (sev <= LOG_SEV_INFORMATIONAL)
		logger.trap_logged++;
	if (sev <= logger.buffer_level)
		buffer_write(line, len);
	pthread_mutex_unlock(&logger.lock);

	pthread_rwlock_rdlock(&logger.sink_lock);
	for (i = 0; i < logger.nsinks; i++) {
		struct sink *s = &logger.sinks[i];

		if (sev > s->level)
			continue;
		if (s->kind == LOG_SINK_CONSOLE)
			atomic_fetch_add(&logger.console_logged, 1);
		else if (s->kind == LOG_SINK_MONITOR)
			atomic_fetch_add(&logger.monitor_logged, 1);
		s->fn(s->ctx, sev, line);
	}
	pthread_rwlock_unlock(&logger.sink_lock);
}

/*
 * Builds "<timestamp>: <prefix><text>" into LINE and returns its length.
 * Line ends inside the text become spaces, because the buffer and the
 * sinks take one line per message.
 */
static size_t
format_line(char *line, size_t size, const char *prefix, const char *fmt,
	    va_list ap)
{
	char ts[32];
	int n, m;
	size_t len, i;

	log_format_timestamp(ts, sizeof(ts));
	n = snprintf(line, size, "%s: %s", ts, prefix);
	if (n < 0)
		n = 0;
	if ((size_t)n >= size)
		n = (int)size - 1;
	m = vsnprintf(line + n, size - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	len = (size_t)n + (size_t)m;
	if (len >= size)
		len = size - 1;
	for (i = (size_t)n; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	return len;
}

void
log_msg(enum log_msg_id id, const char *fmt, ...)
{
	const struct log_catalogue_entry *e = log_catalogue(id);
	char prefix[96];
	char line[LOG_LINE_MAX];
	va_list ap;
	size_t len;

	if (e == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "%%%s-%d-%s: ", e->facility,
		 (int)e->severity, e->mnemonic);
	va_start(ap, fmt);
	len = format_line(line, sizeof(line), prefix, fmt, ap);
	va_end(ap);
	emit(e->severity, line, len);
}

void
log_debug(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = format_line(line, sizeof(line), "", fmt, ap);
	va_end(ap);
	emit(LOG_SEV_DEBUGGING, line, len);
}

static int
sink_add(log_sink_fn fn, void *ctx, enum log_sink_kind kind,
	 enum log_severity level)
{
	int ret = -1;

	pthread_rwlock_wrlock(&logger.sink_lock);
	if (logger.nsinks == LOG_MAX_SINKS)
		goto out;
	pthread_mutex_lock(&logger.lock);
	level = kind_level(kind, level);
	pthread_mutex_unlock(&logger.lock);
	logger.sinks[logger.nsinks++] = (struct sink){ fn, ctx, kind, level };
	ret = 0;
out:
	pthread_rwlock_unlock(&logger.sink_lock);
	return ret;
}

int
log_sink_add(log_sink_fn fn, void *ctx, enum log_severity max_sev)
{
	return sink_add(fn, ctx, LOG_SINK_OTHER, max_sev);
}

int
log_sink_add_kind(log_sink_fn fn, void *ctx, enum log_sink_kind kind)
{
	return sink_add(fn, ctx, kind, LOG_SEV_DEBUGGING);
}

void
log_sink_set_level(log_sink_fn fn, void *ctx, enum log_severity max_sev)
{
	int i;

	pthread_rwlock_wrlock(&logger.sink_lock);
	for (i = 0; i < logger.nsinks; i++)
		if (logger.sinks[i].fn == fn && logger.sinks[i].ctx == ctx)
			logger.sinks[i].level = max_sev;
	pthread_rwlock_unlock(&logger.sink_lock);
}

void
log_sink_remove(log_sink_fn fn, void *ctx)
{
	int i;

	pthread_rwlock_wrlock(&logger.sink_lock);
	for (i = 0; i < logger.nsinks; i++) {
		if (logger.sinks[i].fn != fn || logger.sinks[i].ctx != ctx)
			continue;
		memmove(&logger.sinks[i], &logger.sinks[i + 1],
			(size_t)(logger.nsinks - i - 1) * sizeof(struct sink));
		logger.nsinks--;
		i--;
	}
	pthread_rwlock_unlock(&logger.sink_lock);
}

/* Sets the level of every sink of KIND; called with sink_lock written. */
static void
set_kind_level(enum log_sink_kind kind, enum log_severity level)
{
	int i;

	for (i = 0; i < logger.nsinks; i++)
		if (logger.sinks[i].kind == kind)
			logger.sinks[i].level = level;
}

void
log_set_console_level(enum log_severity level)
{
	pthread_rwlock_wrlock(&logger.sink_lock);
	pthread_mutex_lock(&logger.lock);
	logger.console_level = level;
	pthread_mutex_unlock(&logger.lock);
	set_kind_level(LOG_SINK_CONSOLE, level);
	pthread_rwlock_unlock(&logger.sink_lock);
}

void
log_set_monitor_level(enum log_severity level)
{
	pthread_rwlock_wrlock(&logger.sink_lock);
	pthread_mutex_lock(&logger.lock);
	logger.monitor_level = level;
	pthread_mutex_unlock(&logger.lock);
	set_kind_level(LOG_SINK_MONITOR, level);
	pthread_rwlock_unlock(&logger.sink_lock);
}

/*
 * Moves the newest lines that fit into a ring of NEW_SIZE bytes; called
 * with the logger lock held. On allocation failure the old ring stays.
 */
static void
ring_resize(struct ring *r, size_t new_size)
{
	char *data;
	size_t pos, left;
	struct ring nr;

	if (r->data == NULL) {
		r->size = new_size;
		return;
	}
	data = malloc(new_size);
	if (data == NULL)
		return;
	while (r->used > new_size)
		ring_drop_oldest(r);
	nr = (struct ring){ .data = data, .size = new_size };
	pos = r->head;
	left = r->used;
	while (left > 0) {
		char line[LOG_LINE_MAX];

		ring_read_line(r, &pos, &left, line, sizeof(line));
		ring_append(&nr, line, strlen(line));
	}
	free(r->data);
	*r = nr;
}

void
log_set_buffer(size_t size, enum log_severity level)
{
	pthread_mutex_lock(&logger.lock);
	if (size < LOG_MIN_BUFFER_SIZE)
		size = LOG_MIN_BUFFER_SIZE;
	if (size > LOG_MAX_BUFFER_SIZE)
		size = LOG_MAX_BUFFER_SIZE;
	if (size != logger.ring.size)
		ring_resize(&logger.ring, size);
	logger.buffer_level = level;
	pthread_mutex_unlock(&logger.lock);
}

void
log_buffer_foreach(void (*fn)(void *ctx, const char *line), void *ctx)
{
	const struct ring *r = &logger.ring;
	char line[LOG_LINE_MAX];
	size_t pos, left;

	pthread_mutex_lock(&logger.lock);
	pos = r->head;
	left = r->data != NULL ? r->used : 0;
	while (left > 0) {
		ring_read_line(r, &pos, &left, line, sizeof(line));
		fn(ctx, line);
	}
	pthread_mutex_unlock(&logger.lock);
}

void
log_buffer_clear(void)
{
	pthread_mutex_lock(&logger.lock);
	logger.ring.head = 0;
	logger.ring.used = 0;
	pthread_mutex_unlock(&logger.lock);
}

void
log_count_rate_limited(uint64_t n)
{
	atomic_fetch_add(&logger.rate_limited, n);
}

void
log_get_stats(struct log_stats *out)
{
	pthread_mutex_lock(&logger.lock);
	*out = (struct log_stats){
		.messages_logged = logger.messages_logged,
		.buffer_logged = logger.buffer_logged,
		.rate_limited = atomic_load(&logger.rate_limited),
		.console_logged = atomic_load(&logger.console_logged),
		.monitor_logged = atomic_load(&logger.monitor_logged),
		.trap_logged = logger.trap_logged,
		.buffer_size = logger.ring.size,
		.buffer_used = logger.ring.used,
		.buffer_level = logger.buffer_level,
		.console_level = logger.console_level,
		.monitor_level = logger.monitor_level,
	};
	pthread_mutex_unlock(&logger.lock);
}

/* Returns the logger to its defaults with an empty buffer of SIZE bytes. */
static void
reset(size_t buffer_size)
{
	pthread_mutex_lock(&logger.lock);
	free(logger.ring.data);
	logger.ring = (struct ring){ .size = buffer_size };
	logger.buffer_level = LOG_SEV_DEBUGGING;
	logger.console_level = LOG_SEV_DEBUGGING;
	logger.monitor_level = LOG_SEV_DEBUGGING;
	logger.messages_logged = 0;
	logger.buffer_logged = 0;
	logger.trap_logged = 0;
	atomic_store(&logger.rate_limited, 0);
	atomic_store(&logger.console_logged, 0);
	atomic_store(&logger.monitor_logged, 0);
	pthread_mutex_unlock(&logger.lock);
}

int
log_init(size_t buffer_size)
{
	if (buffer_size < LOG_MIN_BUFFER_SIZE ||
	    buffer_size > LOG_MAX_BUFFER_SIZE)
		return -1;
	reset(buffer_size);
	return 0;
}

void
log_shutdown(void)
{
	pthread_rwlock_wrlock(&logger.sink_lock);
	logger.nsinks = 0;
	pthread_rwlock_unlock(&logger.sink_lock);
	reset(LOG_DEFAULT_BUFFER_SIZE);
}
