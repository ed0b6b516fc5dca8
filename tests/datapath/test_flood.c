/*
 * The unknown-SPI drop path under a flood of distinct SPIs, driven with
 * dp_input_batch() and a synthetic clock: every packet is counted, the
 * log and the IKE events stay within the limiter's bounds, and memory
 * does not grow with the number of flows.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "dp_test.h"

#define IF "/vrouter-config:interfaces/interface[name='GigabitEthernet1']"
#define NS 1000000000ULL
#define BATCH 32
/* The datapath's limits: 32 lines at once, then 10 a second; events 64
 * at once, then 100 a second; one line per flow a minute. */
#define LOG_BURST 32
#define LOG_RATE 10
#define EVENT_BURST 64
#define EVENT_RATE 100

static struct dpt_router router;
static struct dpt_log log_lines;
static uint64_t events;

static void
count_event(void *ctx, const struct dp_invalid_spi_event *ev)
{
	(void)ctx;
	(void)ev;
	events++;
}

static void
setup(void)
{
	static const char *const pairs[] = {
		IF "/ipv4/address", "10.10.1.2",
		IF "/ipv4/mask", "255.255.255.0",
		NULL, NULL,
	};

	dpt_log_start(&log_lines);
	dpt_router_start(&router, false);
	dp_set_invalid_spi_sink(router.dp, count_event, NULL);
	dpt_commit(&router, pairs);
	events = 0;
}

static void
teardown(void)
{
	dpt_router_stop(&router);
	dpt_log_stop(&log_lines);
}

TestSuite(flood, .init = setup, .fini = teardown, .timeout = 240);

/* IPv4 10.1.1.1 -> 10.10.1.2, ESP with SPI and sequence 1, 16 octets. */
static void
make_packet(uint8_t *p, uint32_t src, uint32_t spi)
{
	uint32_t v;

	memset(p, 0, 44);
	p[0] = 0x45;
	p[3] = 44;
	p[8] = 64;
	p[9] = 50;
	v = htonl(src);
	memcpy(p + 12, &v, 4);
	inet_pton(AF_INET, "10.10.1.2", p + 16);
	v = htonl(spi);
	memcpy(p + 20, &v, 4);
	p[27] = 1;
}

static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	cr_assert(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/* Sends N packets with distinct SPIs from FIRST at 2 Mpps of clock. */
static uint64_t
flood(uint32_t first, uint32_t n, uint64_t now)
{
	static uint8_t bufs[BATCH][44];
	const uint8_t *pkts[BATCH];
	size_t lens[BATCH];

	for (int i = 0; i < BATCH; i++) {
		pkts[i] = bufs[i];
		lens[i] = 44;
	}
	for (uint32_t done = 0; done < n; done += BATCH) {
		size_t k = n - done < BATCH ? n - done : BATCH;

		for (size_t i = 0; i < k; i++)
			make_packet(bufs[i], 0x0a010101, first + done +
				    (uint32_t)i);
		cr_assert(dp_input_batch(router.dp, "GigabitEthernet1",
					 DLT_RAW, pkts, lens, k, now) == 0);
		now += BATCH * 500;	/* 500 ns a packet */
	}
	return now;
}

Test(flood, million_spis_bounded)
{
	const uint32_t n = 1000000;
	uint64_t start = 5 * NS, end;
	struct dp_drop_stats st;
	struct dp_stats s;
	struct log_stats ls;
	long before, after;
	double secs;

	/* Warm-up: the allocator and every code path have been used once. */
	end = flood(0x10000000, 100000, start);
	dp_clear_drops(router.dp);
	before = rss_kib();
	end = flood(0x20000000, n, end);
	after = rss_kib();

	dp_get_drops(router.dp, &st);
	cr_assert_eq(st.packets[DP_DROP_ESP_NO_SA], n);
	cr_assert_eq(st.octets[DP_DROP_ESP_NO_SA], (uint64_t)n * 44);
	cr_assert_eq(dpt_global_drops(router.dp, "IpsecInput"), n);

	secs = (double)(end - start) / NS + 1;
	dp_get_stats(router.dp, &s);
	cr_assert_leq(s.invalid_spi_logged, LOG_BURST + LOG_RATE * secs,
		      "%lu lines in %.2f s", (unsigned long)s.invalid_spi_logged,
		      secs);
	cr_assert_geq(s.invalid_spi_logged, LOG_BURST,
		      "the first burst of lines must go out");
	cr_assert_eq(s.invalid_spi_logged + s.invalid_spi_suppressed,
		     (uint64_t)n + 100000);
	cr_assert_eq(dpt_log_count(&log_lines, "RECVD_PKT_INV_SPI"),
		     s.invalid_spi_logged);
	log_get_stats(&ls);
	cr_assert_eq(ls.rate_limited, s.invalid_spi_suppressed);
	cr_assert_leq(events, EVENT_BURST + EVENT_RATE * secs);
	cr_assert_eq(events, s.invalid_spi_events);
	cr_assert_lt(after - before, 512, "RSS grew by %ld KiB", after - before);
}

Test(flood, hot_flow_once_a_minute)
{
	uint8_t pkt[44];
	const uint8_t *pkts[1] = { pkt };
	size_t lens[1] = { sizeof(pkt) };
	uint64_t now = 1 * NS;

	make_packet(pkt, 0x0a010101, 0xb761863e);
	/* One packet a second for five minutes. */
	for (int i = 0; i < 300; i++, now += NS)
		cr_assert(dp_input_batch(router.dp, "GigabitEthernet1",
					 DLT_RAW, pkts, lens, 1, now) == 0);
	cr_assert_eq(dpt_log_count(&log_lines,
				   "destaddr=10.10.1.2, prot=50, "
				   "spi=0xB761863E(3076621886), "
				   "srcaddr=10.1.1.1, "
				   "input interface=GigabitEthernet1"), 5);
	/* Events to the IKE manager: one a second per flow at most. */
	cr_assert_eq(events, 300);
}

Test(flood, limiter_memory_fixed)
{
	struct dp_limiter *lim = dp_limiter_create(10, 60 * NS, 4, 1, 42);
	size_t mem = dp_limiter_memory(lim);
	int allowed = 0;

	cr_assert_not_null(lim);
	cr_assert_eq(mem, dp_limiter_memory(lim));
	cr_assert_lt(mem, 80 * 1024);
	for (uint32_t spi = 1; spi <= 100000; spi++)
		allowed += dp_limiter_allow(lim, 1, 2, spi, NS + spi * 1000ULL);
	/* 0.1 s of clock: the burst of 4, no refill yet at 1 a second. */
	cr_assert_eq(allowed, 4);
	/* The same flow is held back for the interval, then allowed. */
	cr_assert(dp_limiter_allow(lim, 9, 9, 9, 10 * NS));
	cr_assert_not(dp_limiter_allow(lim, 9, 9, 9, 20 * NS));
	cr_assert(dp_limiter_allow(lim, 9, 9, 9, 71 * NS));
	dp_limiter_free(lim);
}

/* Sends one packet of flow (SRC, SPI) at NOW. */
static void
send_one(uint32_t src, uint32_t spi, uint64_t now)
{
	uint8_t pkt[44];
	const uint8_t *pkts[1] = { pkt };
	size_t lens[1] = { sizeof(pkt) };

	make_packet(pkt, src, spi);
	cr_assert(dp_input_batch(router.dp, "GigabitEthernet1", DLT_RAW, pkts,
				 lens, 1, now) == 0);
}

/*
 * The invalid-SPI table finds each of its flows after many evictions.
 * Flows that share a hash bucket may share its filter bit, and evicting
 * one must not hide the others: the second packet of every flow left in
 * the table counts on that flow, admits no new one and evicts nothing.
 */
Test(flood, table_finds_flows_after_evictions)
{
	const uint32_t flows = 20000;
	const uint64_t gap = 5000000;	/* one admission token each */
	uint64_t now = 5 * NS;
	struct dp_spi_table t, t2;

	for (uint32_t i = 0; i < flows; i++, now += gap)
		send_one(0x64400001 + i, 0x10000 + i, now);
	cr_assert_eq(dp_get_spi_flows(router.dp, &t), 0);
	cr_assert_eq(t.n, DP_SPI_FLOWS_MAX);
	cr_assert_eq(t.evicted, flows - DP_SPI_FLOWS_MAX);
	cr_assert_eq(t.untracked, 0);
	/* Oldest first, so each flow is the oldest when its packet comes
	 * and a flow that went astray would evict one not yet sent. */
	for (size_t i = t.n; i-- > 0; now += gap)
		send_one(ntohl(t.flows[i].src), t.flows[i].spi, now);
	cr_assert_eq(dp_get_spi_flows(router.dp, &t2), 0);
	cr_assert_eq(t2.n, DP_SPI_FLOWS_MAX);
	cr_assert_eq(t2.evicted, t.evicted);
	cr_assert_eq(t2.untracked, 0);
	for (size_t i = 0; i < t2.n; i++) {
		cr_assert_eq(t2.flows[i].packets, 2, "flow %#x has %lu packets",
			     t2.flows[i].spi,
			     (unsigned long)t2.flows[i].packets);
		/* Latest first: the reverse of the order sent. */
		cr_assert_eq(t2.flows[i].spi, t.flows[i].spi);
	}
	free(t.flows);
	free(t2.flows);
}
