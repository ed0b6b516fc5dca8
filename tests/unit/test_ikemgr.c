#include "core/debug.h"
#include "core/log.h"
#include "datapath/datapath.h"
#include "ikemgr/ikemgr.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUR_ADDR "10.10.1.2"

static struct ly_ctx *ctx;
static struct lyd_node *tree;
static struct ikemgr *ike;
static double now;

static double
fake_clock(void *arg)
{
	(void)arg;
	return now;
}

static void
setup(void)
{
	cr_assert_eq(log_init(LOG_DEFAULT_BUFFER_SIZE), 0);
	debug_all_off();
	cr_assert_eq(ly_ctx_new(VR_YANG_DIR, 0, &ctx), LY_SUCCESS,
		     "cannot create a libyang context on %s", VR_YANG_DIR);
	cr_assert_not_null(ly_ctx_load_module(ctx, "vrouter-config", NULL,
					      NULL),
			   "cannot load vrouter-config from %s", VR_YANG_DIR);
	tree = NULL;
	now = 1000.0;
	ike = ike_create();
	cr_assert_not_null(ike);
	ike_set_clock(ike, fake_clock, NULL);
}

static void
teardown(void)
{
	ike_destroy(ike);
	lyd_free_all(tree);
	ly_ctx_destroy(ctx);
	debug_all_off();
	log_shutdown();
}

TestSuite(ikemgr, .init = setup, .fini = teardown);

static void
set_node(const char *path, const char *value)
{
	struct lyd_node *node = NULL;

	cr_assert_eq(lyd_new_path(tree, ctx, path, value, 0, &node),
		     LY_SUCCESS, "cannot create %s", path);
	if (tree == NULL)
		tree = node;
	while (tree->prev != tree && tree->prev->next != NULL)
		tree = tree->prev;
}

/* A static crypto map on GigabitEthernet1 with peers 10.1.1.1 and .5. */
static void
config_static_map(bool recovery)
{
	set_node("/vrouter-config:interfaces/interface[name='GigabitEthernet1']/crypto-map",
		 "CMAP");
	set_node("/vrouter-config:crypto/map[name='CMAP']/entry[sequence='10']/peer",
		 "10.1.1.1");
	set_node("/vrouter-config:crypto/map[name='CMAP']/entry[sequence='20']/peer",
		 "10.1.1.5");
	if (recovery)
		set_node("/vrouter-config:crypto/isakmp/invalid-spi-recovery",
			 NULL);
}

static void
post(const char *src, uint32_t spi)
{
	struct dp_invalid_spi_event ev = {
		.spi = spi,
		.proto = 50,
		.ifname = "GigabitEthernet1",
	};

	cr_assert_eq(inet_pton(AF_INET, src, &ev.src), 1);
	cr_assert_eq(inet_pton(AF_INET, OUR_ADDR, &ev.dst), 1);
	ike_post_invalid_spi(ike, &ev);
}

static struct ike_stats
stats_after_sync(void)
{
	struct ike_stats st;

	ike_sync(ike);
	ike_get_stats(ike, &st);
	return st;
}

struct found {
	const char *needle;
	int count;
	char line[LOG_LINE_MAX];
};

static void
find_line(void *arg, const char *line)
{
	struct found *f = arg;

	if (strstr(line, f->needle) == NULL)
		return;
	f->count++;
	snprintf(f->line, sizeof(f->line), "%s", line);
}

static struct found
buffered_lines_with(const char *needle)
{
	struct found f = { .needle = needle };

	log_buffer_foreach(find_line, &f);
	return f;
}

Test(ikemgr, full_queue_drops_and_counts)
{
	struct ike_stats st;
	int i;

	/* Not started yet, so nothing drains the queue. */
	for (i = 0; i < IKE_EVENT_QUEUE_LEN + 5; i++)
		post("198.51.100.7", 0x1000u + (uint32_t)i);
	ike_get_stats(ike, &st);
	cr_assert_eq(st.invalid_spi_dropped, 5);
	cr_assert_eq(st.invalid_spi_events, 0);

	cr_assert_eq(ike_start(ike), 0);
	st = stats_after_sync();
	cr_assert_eq(st.invalid_spi_events, IKE_EVENT_QUEUE_LEN);
	cr_assert_eq(st.delete_notify_ignored, IKE_EVENT_QUEUE_LEN);
	cr_assert_eq(st.invalid_spi_dropped, 5);
}

Test(ikemgr, no_sa_debug_line_is_exact)
{
	struct ike_stats st;
	struct found f;

	debug_set(DEBUG_CRYPTO_ISAKMP, true);
	cr_assert_eq(ike_start(ike), 0);
	post("10.1.1.1", 0xB761863Eu);
	st = stats_after_sync();
	cr_assert_eq(st.invalid_spi_events, 1);
	cr_assert_eq(st.delete_notify_ignored, 1);
	cr_assert_eq(st.recovery_started, 0);

	f = buffered_lines_with("ignoring request");
	cr_assert_eq(f.count, 1);
	cr_assert_str_eq(strstr(f.line, ": ") + 2,
		"ISAKMP-ERROR: (0):ignoring request to send delete notify (no ISAKMP sa) src 10.10.1.2 dst 10.1.1.1 for SPI 0xB761863E");
}

Test(ikemgr, spi_hex_is_not_zero_padded)
{
	struct found f;

	debug_set(DEBUG_CRYPTO_ISAKMP, true);
	cr_assert_eq(ike_start(ike), 0);
	post("10.1.1.1", 0x100u);
	stats_after_sync();
	f = buffered_lines_with("for SPI ");
	cr_assert_eq(f.count, 1);
	cr_assert_not_null(strstr(f.line, "for SPI 0x100"));
	cr_assert_eq(strstr(f.line, "for SPI 0x100")[13], '\0');
}

Test(ikemgr, debug_off_counts_silently)
{
	struct ike_stats st;
	struct log_stats ls;

	cr_assert_eq(ike_start(ike), 0);
	post("10.1.1.1", 0xB761863Eu);
	st = stats_after_sync();
	cr_assert_eq(st.delete_notify_ignored, 1);
	log_get_stats(&ls);
	cr_assert_eq(ls.messages_logged, 0);
}

Test(ikemgr, recovery_rate_limited_per_peer)
{
	struct ike_stats st;
	struct found f;

	config_static_map(true);
	ike_config_apply(ike, tree);
	debug_set(DEBUG_CRYPTO_ISAKMP, true);
	cr_assert_eq(ike_start(ike), 0);

	post("10.1.1.1", 0xB761863Eu);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 1);
	cr_assert_eq(st.delete_notify_ignored, 0);

	/* A second report from the same peer 5 s later is held back. */
	now += 5;
	post("10.1.1.1", 0xB761863Eu);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 1);
	cr_assert_eq(st.recovery_suppressed, 1);
	cr_assert_eq(st.delete_notify_ignored, 1);

	/* Another peer has its own limit. */
	post("10.1.1.5", 0x12345678u);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 2);

	/* 10 s after its first attempt the first peer may try again. */
	now += 5;
	post("10.1.1.1", 0xB761863Eu);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 3);
	cr_assert_eq(st.invalid_spi_events, 4);

	f = buffered_lines_with("invalid SPI recovery");
	cr_assert_eq(f.count, 3);
	cr_assert_str_eq(strstr(f.line, ": ") + 2,
		"ISAKMP: (0):invalid SPI recovery: starting IKE with 10.1.1.1 for SPI 0xB761863E received on GigabitEthernet1");
}

Test(ikemgr, unconfigured_peer_only_counts)
{
	struct ike_stats st;
	int i;

	config_static_map(true);
	ike_config_apply(ike, tree);
	cr_assert_eq(ike_start(ike), 0);
	for (i = 0; i < 50; i++) {
		char src[32];

		snprintf(src, sizeof(src), "203.0.113.%d", i + 1);
		post(src, 0x77B40000u);
		now += 20;
	}
	st = stats_after_sync();
	cr_assert_eq(st.invalid_spi_events, 50);
	cr_assert_eq(st.recovery_started, 0);
	cr_assert_eq(st.recovery_suppressed, 0);
	cr_assert_eq(st.delete_notify_ignored, 50);
}

Test(ikemgr, recovery_off_starts_nothing)
{
	struct ike_stats st;

	config_static_map(false);
	ike_config_apply(ike, tree);
	cr_assert_eq(ike_start(ike), 0);
	post("10.1.1.1", 0xB761863Eu);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 0);
	cr_assert_eq(st.delete_notify_ignored, 1);
}

Test(ikemgr, unapplied_or_dynamic_map_is_not_static)
{
	struct ike_stats st;

	/* CMAP2 is on no interface; DYN's entry is a dynamic template. */
	config_static_map(true);
	set_node("/vrouter-config:crypto/map[name='CMAP2']/entry[sequence='10']/peer",
		 "10.1.1.9");
	set_node("/vrouter-config:interfaces/interface[name='GigabitEthernet2']/crypto-map",
		 "DYN");
	set_node("/vrouter-config:crypto/map[name='DYN']/entry[sequence='10']/dynamic",
		 "DMAP");
	set_node("/vrouter-config:crypto/map[name='DYN']/entry[sequence='10']/peer",
		 "10.1.1.10");
	ike_config_apply(ike, tree);
	cr_assert_eq(ike_start(ike), 0);
	post("10.1.1.9", 1u);
	post("10.1.1.10", 2u);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 0);
	cr_assert_eq(st.delete_notify_ignored, 2);
}

Test(ikemgr, config_change_reaches_running_thread)
{
	struct ike_stats st;

	cr_assert_eq(ike_start(ike), 0);
	post("10.1.1.1", 1u);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 0);

	config_static_map(true);
	ike_config_apply(ike, tree);
	post("10.1.1.1", 1u);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 1);

	ike_config_apply(ike, NULL);
	now += 60;
	post("10.1.1.1", 1u);
	st = stats_after_sync();
	cr_assert_eq(st.recovery_started, 1);
}

static void
post_lifetime(enum dp_sa_event_kind kind, bool by_bytes, uint32_t spi)
{
	struct dp_sa_event ev = {
		.kind = kind, .by_bytes = by_bytes, .spi = spi,
	};

	cr_assert_eq(inet_pton(AF_INET, OUR_ADDR, &ev.dst), 1);
	ike_post_sa_event(ike, &ev);
}

Test(ikemgr, sa_lifetime_events_counted)
{
	struct ike_stats st;
	struct found f;

	cr_assert_eq(ike_start(ike), 0);
	post_lifetime(DP_SA_SOFT_EXPIRED, false, 0x1234);
	post_lifetime(DP_SA_SOFT_EXPIRED, true, 0x1235);
	post_lifetime(DP_SA_HARD_EXPIRED, false, 0x1234);
	st = stats_after_sync();
	cr_assert_eq(st.sa_soft_expired, 2);
	cr_assert_eq(st.sa_hard_expired, 1);
	cr_assert_eq(st.invalid_spi_events, 0, "a lifetime event was taken "
		     "for an unknown-SPI report");

	/* Without `debug crypto ipsec` nothing is logged. */
	f = buffered_lines_with("IPSEC(sa_lifetime)");
	cr_assert_eq(f.count, 0);
}

Test(ikemgr, sa_lifetime_debug_line)
{
	struct found f;

	debug_set(DEBUG_CRYPTO_IPSEC, true);
	cr_assert_eq(ike_start(ike), 0);
	post_lifetime(DP_SA_HARD_EXPIRED, true, 0xFF000001u);
	stats_after_sync();

	f = buffered_lines_with("IPSEC(sa_lifetime)");
	cr_assert_eq(f.count, 1);
	cr_assert_str_eq(strstr(f.line, ": ") + 2,
		"IPSEC(sa_lifetime): hard kilobyte lifetime of inbound SA "
		"reached, sa_dest= 10.10.1.2, sa_spi= 0xFF000001(4278190081)");
}
