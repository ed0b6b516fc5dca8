/*
 * The unknown-SPI drop path: one million packets with distinct SPIs
 * through dp_input_batch() (parse, SA miss, per-reason counters, report
 * limiter, IKE event limiter), against a reference loop that only parses
 * the same headers and misses in a 1000-SA open-addressing table.
 *
 * The two are timed alternately, five rounds after one warm-up, and the
 * medians compared, because run-to-run drift on a shared virtual machine
 * is far larger than the difference being measured. The goal is that
 * the product keeps at least 0.45 of the reference rate. Exits 1 when
 * the ratio is below the goal.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "datapath/datapath.h"

#define PACKETS 1000000
#define BATCH 32
#define PKT_LEN 64
#define ROUNDS 5
#define GOAL 0.45
#define REF_SAS 1000
#define REF_SLOTS 2048

static uint8_t packets[PACKETS][PKT_LEN];

static void
build_packets(void)
{
	for (uint32_t i = 0; i < PACKETS; i++) {
		uint8_t *p = packets[i];
		uint32_t v;

		memset(p, 0, PKT_LEN);
		p[0] = 0x45;
		p[3] = PKT_LEN;
		p[8] = 64;
		p[9] = 50;
		v = htonl(0x0a010101 + (i & 0xff));
		memcpy(p + 12, &v, 4);
		inet_pton(AF_INET, "10.10.1.2", p + 16);
		v = htonl(0x10000000 + i);
		memcpy(p + 20, &v, 4);
		p[27] = 1;
	}
}

/* Reference: parse IPv4 and ESP, look the SPI up, count the miss. */
struct ref_table {
	uint64_t keys[REF_SLOTS];
};

static uint64_t
ref_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void
ref_fill(struct ref_table *t)
{
	memset(t, 0, sizeof(*t));
	for (uint64_t i = 1; i <= REF_SAS; i++) {
		uint64_t key = (uint64_t)0x0a0a0102 << 32 | (0x7f000000 + i);
		size_t s = ref_mix(key) & (REF_SLOTS - 1);

		while (t->keys[s] != 0)
			s = (s + 1) & (REF_SLOTS - 1);
		t->keys[s] = key;
	}
}

static uint64_t
ref_run(const struct ref_table *t)
{
	uint64_t misses = 0, octets = 0;

	for (uint32_t i = 0; i < PACKETS; i++) {
		const uint8_t *p = packets[i];
		uint32_t dst, spi;
		uint64_t key;
		size_t s;

		if (p[0] >> 4 != 4 || p[9] != 50 ||
		    (size_t)(p[0] & 0xf) * 4 > PKT_LEN)
			continue;
		memcpy(&dst, p + 16, 4);
		memcpy(&spi, p + 20, 4);
		key = (uint64_t)ntohl(dst) << 32 | ntohl(spi);
		s = ref_mix(key) & (REF_SLOTS - 1);
		while (t->keys[s] != 0 && t->keys[s] != key)
			s = (s + 1) & (REF_SLOTS - 1);
		if (t->keys[s] == 0) {
			misses++;
			octets += PKT_LEN;
		}
	}
	return misses + octets;
}

static uint64_t
product_run(struct dp *dp, uint64_t *clock)
{
	const uint8_t *pkts[BATCH];
	size_t lens[BATCH];

	for (int i = 0; i < BATCH; i++)
		lens[i] = PKT_LEN;
	for (uint32_t i = 0; i < PACKETS; i += BATCH) {
		for (int k = 0; k < BATCH; k++)
			pkts[k] = packets[i + (uint32_t)k];
		dp_input_batch(dp, "GigabitEthernet1", DLT_RAW, pkts, lens,
			       BATCH, *clock);
		*clock += BATCH * 500;	/* the clock of a 2 Mpps stream */
	}
	return PACKETS;
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
ignore_sink(void *ctx, const struct dp_invalid_spi_event *ev)
{
	(void)ctx;
	(void)ev;
}

int
main(void)
{
	static struct ref_table table;
	struct dp_config cfg = { 0 };
	struct dp_if_cfg ifc = { .name = "GigabitEthernet1", .plen = 24 };
	double prod[ROUNDS], ref[ROUNDS], ratio;
	struct dp_drop_stats st;
	volatile uint64_t sink = 0;
	uint64_t clock = 1000000000ULL;
	struct dp *dp = dp_create();

	if (dp == NULL) {
		fprintf(stderr, "bench_drop: dp_create failed\n");
		return 1;
	}
	dp_set_invalid_spi_sink(dp, ignore_sink, NULL);
	inet_pton(AF_INET, "10.10.1.2", &ifc.addr);
	cfg.ifs = malloc(sizeof(ifc));
	if (cfg.ifs == NULL)
		return 1;
	cfg.ifs[0] = ifc;
	cfg.n_ifs = 1;
	dp_config_post(dp, &cfg);
	build_packets();
	ref_fill(&table);

	sink += ref_run(&table);
	sink += product_run(dp, &clock);
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = seconds();

		sink += product_run(dp, &clock);
		prod[r] = seconds() - t0;
		t0 = seconds();
		sink += ref_run(&table);
		ref[r] = seconds() - t0;
	}
	qsort(prod, ROUNDS, sizeof(prod[0]), cmp_double);
	qsort(ref, ROUNDS, sizeof(ref[0]), cmp_double);
	ratio = ref[ROUNDS / 2] / prod[ROUNDS / 2];

	dp_get_drops(dp, &st);
	if (st.packets[DP_DROP_ESP_NO_SA] != (uint64_t)PACKETS * (ROUNDS + 1)) {
		fprintf(stderr, "bench_drop: %lu drops counted, expected %lu\n",
			(unsigned long)st.packets[DP_DROP_ESP_NO_SA],
			(unsigned long)PACKETS * (ROUNDS + 1));
		return 1;
	}
	printf("bench drop_reference: %.1f Mpps\n",
	       PACKETS / ref[ROUNDS / 2] / 1e6);
	printf("bench drop_unknown_spi: %.1f Mpps ratio=%.2f goal>=%.2f\n",
	       PACKETS / prod[ROUNDS / 2] / 1e6, ratio, GOAL);
	printf("bench drop_unknown_spi_ns: %.1f ns/packet\n",
	       prod[ROUNDS / 2] / PACKETS * 1e9);
	dp_destroy(dp);
	(void)sink;
	return ratio >= GOAL ? 0 : 1;
}
