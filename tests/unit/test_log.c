#include "core/log.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_RE "\\*(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) " \
	"[ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}"

static bool
matches(const char *pattern, const char *text)
{
	regex_t re;
	int rc;

	cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	return rc == 0;
}

/* The buffered lines, copied out by log_buffer_foreach(). */
struct lines {
	char **v;
	size_t n;
	size_t bytes;	/* with one line end each, as the ring counts */
};

static void
collect(void *ctx, const char *line)
{
	struct lines *l = ctx;

	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = strdup(line);
	l->bytes += strlen(line) + 1;
}

static struct lines
buffered(void)
{
	struct lines l = { 0 };

	log_buffer_foreach(collect, &l);
	return l;
}

static void
lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Text after the "<timestamp>: " prefix. */
static const char *
body(const char *line)
{
	const char *p = strstr(line, ": ");

	cr_assert_not_null(p, "no timestamp in \"%s\"", line);
	return p + 2;
}

static void
setup(void)
{
	cr_assert_eq(log_init(LOG_DEFAULT_BUFFER_SIZE), 0);
}

static void
teardown(void)
{
	log_shutdown();
}

TestSuite(log, .init = setup, .fini = teardown);

Test(log, timestamp_has_ios_format)
{
	char ts[32];

	log_format_timestamp(ts, sizeof(ts));
	cr_assert(matches("^" TS_RE "$", ts), "bad timestamp \"%s\"", ts);
}

Test(log, message_line_has_mnemonic)
{
	struct lines l;

	log_msg(LOGMSG_CRYPTO_RECVD_PKT_INV_SPI,
		"decaps: rec'd IPSEC packet has invalid spi for destaddr=%s, prot=%u, spi=0x%X(%u), srcaddr=%s, input interface=%s",
		"10.10.1.2", 50u, 0xB761863Eu, 0xB761863Eu, "10.1.1.1",
		"GigabitEthernet1");
	l = buffered();
	cr_assert_eq(l.n, 1);
	cr_assert(matches("^" TS_RE ": %CRYPTO-4-RECVD_PKT_INV_SPI: ", l.v[0]),
		  "bad line \"%s\"", l.v[0]);
	cr_assert_str_eq(body(l.v[0]),
		"%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10.10.1.2, prot=50, spi=0xB761863E(3076621886), srcaddr=10.1.1.1, input interface=GigabitEthernet1");
	lines_free(&l);
}

Test(log, debug_line_has_no_mnemonic)
{
	struct lines l;

	log_debug("ISAKMP: (0):%s", "beginning Main Mode exchange");
	l = buffered();
	cr_assert_eq(l.n, 1);
	cr_assert(matches("^" TS_RE ": ISAKMP: ", l.v[0]));
	cr_assert_str_eq(body(l.v[0]), "ISAKMP: (0):beginning Main Mode exchange");
	lines_free(&l);
}

Test(log, line_ends_in_text_become_spaces)
{
	struct lines l;

	log_msg(LOGMSG_SYS_CONFIG_I, "Configured from %s by %s", "con\nsole",
		"x\r");
	l = buffered();
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(body(l.v[0]),
			 "%SYS-5-CONFIG_I: Configured from con sole by x ");
	lines_free(&l);
}

Test(log, buffer_wrap_stays_within_size)
{
	struct log_stats st;
	struct lines l;
	size_t i;
	int first, last;

	log_set_buffer(LOG_MIN_BUFFER_SIZE, LOG_SEV_DEBUGGING);
	for (i = 0; i < 1000; i++)
		log_debug("line %zu of the wrap test", i);
	l = buffered();
	log_get_stats(&st);
	cr_assert_leq(l.bytes, LOG_MIN_BUFFER_SIZE);
	cr_assert_eq(st.buffer_used, l.bytes);
	cr_assert_eq(st.buffer_logged, 1000);
	cr_assert_gt(l.n, 10);
	cr_assert_lt(l.n, 1000);

	/* The newest lines survive, consecutive and oldest first. */
	cr_assert_eq(sscanf(body(l.v[0]), "line %d", &first), 1);
	cr_assert_eq(sscanf(body(l.v[l.n - 1]), "line %d", &last), 1);
	cr_assert_eq(last, 999);
	cr_assert_eq(last - first + 1, (int)l.n);
	for (i = 0; i < l.n; i++) {
		int n;

		cr_assert_eq(sscanf(body(l.v[i]), "line %d", &n), 1);
		cr_assert_eq(n, first + (int)i);
	}
	lines_free(&l);
}

Test(log, buffer_resize_keeps_newest_lines)
{
	struct lines l;
	int i, n;

	for (i = 0; i < 500; i++)
		log_debug("resize %d", i);
	log_set_buffer(LOG_MIN_BUFFER_SIZE, LOG_SEV_DEBUGGING);
	l = buffered();
	cr_assert_leq(l.bytes, LOG_MIN_BUFFER_SIZE);
	cr_assert_gt(l.n, 0);
	cr_assert_eq(sscanf(body(l.v[l.n - 1]), "resize %d", &n), 1);
	cr_assert_eq(n, 499);
	lines_free(&l);
}

Test(log, buffer_level_filters)
{
	struct log_stats st;
	struct lines l;

	log_set_buffer(LOG_DEFAULT_BUFFER_SIZE, LOG_SEV_WARNINGS);
	log_debug("not buffered");
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	log_msg(LOGMSG_CRYPTO_PKT_REPLAY_ERR,
		"decrypt: replay check failed connection id=%u", 2u);
	l = buffered();
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(body(l.v[0]),
		"%CRYPTO-4-PKT_REPLAY_ERR: decrypt: replay check failed connection id=2");
	log_get_stats(&st);
	cr_assert_eq(st.messages_logged, 3);
	cr_assert_eq(st.buffer_logged, 1);
	cr_assert_eq(st.buffer_level, LOG_SEV_WARNINGS);
	cr_assert_eq(st.trap_logged, 2);
	lines_free(&l);
}

Test(log, buffer_off_and_clear)
{
	struct lines l;

	log_debug("kept");
	log_set_buffer(LOG_DEFAULT_BUFFER_SIZE, LOG_SEV_OFF);
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	l = buffered();
	cr_assert_eq(l.n, 1);
	lines_free(&l);
	log_buffer_clear();
	l = buffered();
	cr_assert_eq(l.n, 0);
	lines_free(&l);
}

struct counting_sink {
	atomic_int calls;
	char last[LOG_LINE_MAX];
};

static void
count_sink(void *ctx, enum log_severity sev, const char *line)
{
	struct counting_sink *s = ctx;

	(void)sev;
	atomic_fetch_add(&s->calls, 1);
	snprintf(s->last, sizeof(s->last), "%s", line);
}

Test(log, sink_receives_its_levels_only)
{
	struct counting_sink s = { 0 };

	cr_assert_eq(log_sink_add(count_sink, &s, LOG_SEV_WARNINGS), 0);
	log_debug("too low");
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	cr_assert_eq(atomic_load(&s.calls), 0);
	log_msg(LOGMSG_LINK_UPDOWN, "Interface %s, changed state to %s",
		"GigabitEthernet1", "down");
	cr_assert_eq(atomic_load(&s.calls), 1);
	cr_assert_str_eq(body(s.last),
		"%LINK-3-UPDOWN: Interface GigabitEthernet1, changed state to down");

	log_sink_set_level(count_sink, &s, LOG_SEV_DEBUGGING);
	log_debug("now through");
	cr_assert_eq(atomic_load(&s.calls), 2);

	log_sink_remove(count_sink, &s);
	log_msg(LOGMSG_LINK_UPDOWN, "Interface %s, changed state to %s",
		"GigabitEthernet1", "up");
	cr_assert_eq(atomic_load(&s.calls), 2);
}

Test(log, console_sink_follows_console_level)
{
	struct counting_sink con = { 0 }, mon = { 0 };
	struct log_stats st;

	cr_assert_eq(log_sink_add_kind(count_sink, &con, LOG_SINK_CONSOLE), 0);
	cr_assert_eq(log_sink_add_kind(count_sink, &mon, LOG_SINK_MONITOR), 0);
	log_set_console_level(LOG_SEV_ERRORS);
	log_msg(LOGMSG_CRYPTO_PKT_REPLAY_ERR,
		"decrypt: replay check failed connection id=%u", 1u);
	cr_assert_eq(atomic_load(&con.calls), 0);
	cr_assert_eq(atomic_load(&mon.calls), 1);

	log_set_monitor_level(LOG_SEV_OFF);
	log_msg(LOGMSG_LINK_UPDOWN, "Interface %s, changed state to %s",
		"GigabitEthernet2", "down");
	cr_assert_eq(atomic_load(&con.calls), 1);
	cr_assert_eq(atomic_load(&mon.calls), 1);

	log_get_stats(&st);
	cr_assert_eq(st.console_logged, 1);
	cr_assert_eq(st.monitor_logged, 1);
	cr_assert_eq(st.console_level, LOG_SEV_ERRORS);
	cr_assert_eq(st.monitor_level, LOG_SEV_OFF);
	log_sink_remove(count_sink, &con);
	log_sink_remove(count_sink, &mon);
}

Test(log, rate_limited_is_counted)
{
	struct log_stats st;

	log_count_rate_limited(3);
	log_count_rate_limited(2);
	log_get_stats(&st);
	cr_assert_eq(st.rate_limited, 5);
	cr_assert_eq(st.messages_logged, 0);
}

Test(log, severity_names_parse)
{
	cr_assert_eq(log_severity_parse("debugging"), LOG_SEV_DEBUGGING);
	cr_assert_eq(log_severity_parse("Warnings"), LOG_SEV_WARNINGS);
	cr_assert_eq(log_severity_parse("0"), LOG_SEV_EMERGENCIES);
	cr_assert_eq(log_severity_parse("7"), LOG_SEV_DEBUGGING);
	cr_assert_eq(log_severity_parse("8"), -1);
	cr_assert_eq(log_severity_parse("debug"), -1);
	cr_assert_eq(log_severity_parse(""), -1);
	cr_assert_str_eq(log_severity_name(LOG_SEV_INFORMATIONAL),
			 "informational");
	cr_assert_str_eq(log_severity_name(LOG_SEV_OFF), "off");
}

Test(log, init_rejects_bad_sizes)
{
	cr_assert_eq(log_init(LOG_MIN_BUFFER_SIZE - 1), -1);
	cr_assert_eq(log_init(LOG_MIN_BUFFER_SIZE), 0);
}

#define THREADS 4
#define PER_THREAD 2000

static void *
flood(void *arg)
{
	int t = (int)(intptr_t)arg, i;

	for (i = 0; i < PER_THREAD; i++)
		log_debug("thread %d message %d", t, i);
	return NULL;
}

Test(log, concurrent_emitters_lose_nothing)
{
	struct counting_sink s = { 0 };
	pthread_t th[THREADS];
	struct log_stats st;
	struct lines l;
	int last[THREADS];
	size_t i;
	int t;

	cr_assert_eq(log_sink_add(count_sink, &s, LOG_SEV_DEBUGGING), 0);
	log_set_buffer(1000000, LOG_SEV_DEBUGGING);
	for (t = 0; t < THREADS; t++)
		cr_assert_eq(pthread_create(&th[t], NULL, flood,
					    (void *)(intptr_t)t), 0);
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);

	log_get_stats(&st);
	cr_assert_eq(st.messages_logged, THREADS * PER_THREAD);
	cr_assert_eq(atomic_load(&s.calls), THREADS * PER_THREAD);

	/* Every line is whole, and each thread's lines keep their order. */
	l = buffered();
	cr_assert_eq(l.n, THREADS * PER_THREAD);
	for (t = 0; t < THREADS; t++)
		last[t] = -1;
	for (i = 0; i < l.n; i++) {
		int n;

		cr_assert(matches("^" TS_RE ": thread [0-3] message [0-9]+$",
				  l.v[i]), "torn line \"%s\"", l.v[i]);
		cr_assert_eq(sscanf(body(l.v[i]), "thread %d message %d", &t,
				    &n), 2);
		cr_assert_eq(n, last[t] + 1);
		last[t] = n;
	}
	lines_free(&l);
	log_sink_remove(count_sink, &s);
}
