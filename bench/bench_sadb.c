/*
 * The SA database and SA installation:
 *
 *   sadb_hit_N, sadb_miss_N  dp_sadb_lookup() over N SAs (1k, 16k, 1M)
 *                            against a reference open-addressing table of
 *                            64-bit keys at the same load, for SPIs that
 *                            are present and absent. The goal is at most
 *                            1.3 times the reference's time per lookup.
 *   sa_install_rate          dp_sa_install_n() of AES-128-GCM SAs, an
 *                            inbound and outbound pair per call as IKE
 *                            installs them, into a running datapath while
 *                            a second thread sends it ESP packets over a
 *                            UDP wire, timed until the datapath has
 *                            linked the last SA. Goal: at least 100,000
 *                            SAs a second.
 *   sa_install_max_hold      the longest time linking installed SAs held
 *                            up packet processing, as the datapath
 *                            measured it (wall time, so it includes any
 *                            preemption meanwhile). Goal: at most 1 ms.
 */
#define _GNU_SOURCE		/* sendmmsg */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench.h"
#include "datapath/datapath.h"

#define ROUNDS 5
#define QUERIES 1000000
#define INSTALLS 100000
#define INSTALL_GOAL 100000.0
#define HOLD_GOAL_NS 1000000.0
#define OUR_ADDR 0x0a0a0102U		/* 10.10.1.2, host order */

static uint32_t hits[QUERIES], misses[QUERIES];

/* xorshift64*, so runs are repeatable. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* ---- reference table ---- */

struct ref {
	uint64_t *keys;			/* 0 marks an empty slot */
	void **values;
	size_t mask;
};

static uint64_t
ref_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void *
ref_lookup(const struct ref *t, uint64_t key)
{
	for (size_t s = ref_mix(key) & t->mask; t->keys[s] != 0;
	     s = (s + 1) & t->mask) {
		if (t->keys[s] == key)
			return t->values[s];
	}
	return NULL;
}

static void
ref_insert(struct ref *t, uint64_t key, void *value)
{
	size_t s = ref_mix(key) & t->mask;

	while (t->keys[s] != 0)
		s = (s + 1) & t->mask;
	t->keys[s] = key;
	t->values[s] = value;
}

static double
time_product(const struct dp_sadb *db, const uint32_t *spis, size_t *found)
{
	uint32_t dst = htonl(OUR_ADDR);
	double t0 = bench_seconds();

	for (size_t i = 0; i < QUERIES; i++)
		*found += dp_sadb_lookup(db, dst, 50, spis[i]) != NULL;
	return bench_seconds() - t0;
}

static double
time_reference(const struct ref *t, const uint32_t *spis, size_t *found)
{
	uint64_t dst = htonl(OUR_ADDR);
	double t0 = bench_seconds();

	for (size_t i = 0; i < QUERIES; i++)
		*found += ref_lookup(t, dst << 32 | spis[i]) != NULL;
	return bench_seconds() - t0;
}

static int
lookup_run(size_t n, const char *label)
{
	struct dp_sadb *db = dp_sadb_create(n, 42);
	struct ref t = { 0 };
	uint32_t *spis = malloc(n * sizeof(*spis));
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t slots = 16, found_p = 0, found_r = 0;
	double p[2][ROUNDS], r[2][ROUNDS];
	int ret = -1;

	while (slots < n * 2)
		slots *= 2;
	t.keys = calloc(slots, sizeof(*t.keys));
	t.values = calloc(slots, sizeof(*t.values));
	t.mask = slots - 1;
	if (db == NULL || spis == NULL || t.keys == NULL || t.values == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		/* Odd SPIs are installed, even ones stay absent. */
		spis[i] = (uint32_t)(rnd(&seed) | 1);
		if (dp_sadb_insert(db, htonl(OUR_ADDR), 50, spis[i],
				   &spis[i]) < 0) {
			spis[i] = spis[i - 1];
			continue;
		}
		ref_insert(&t, (uint64_t)htonl(OUR_ADDR) << 32 | spis[i],
			   &spis[i]);
	}
	for (size_t i = 0; i < QUERIES; i++) {
		hits[i] = spis[rnd(&seed) % n];
		misses[i] = (uint32_t)rnd(&seed) & ~1U;
	}
	time_product(db, hits, &found_p);
	time_reference(&t, hits, &found_r);
	for (int k = 0; k < ROUNDS; k++) {
		p[0][k] = time_product(db, hits, &found_p);
		r[0][k] = time_reference(&t, hits, &found_r);
		p[1][k] = time_product(db, misses, &found_p);
		r[1][k] = time_reference(&t, misses, &found_r);
	}
	if (found_p != found_r || found_p != (size_t)QUERIES * (ROUNDS + 1)) {
		fprintf(stderr, "bench_sadb: %zu and %zu hits, expected %zu\n",
			found_p, found_r, (size_t)QUERIES * (ROUNDS + 1));
		goto out;
	}
	for (int w = 0; w < 2; w++) {
		double prod = bench_median(p[w], ROUNDS);
		double ref = bench_median(r[w], ROUNDS);

		printf("bench sadb_%s_%s_reference: %.1f ns/lookup\n",
		       w ? "miss" : "hit", label, ref / QUERIES * 1e9);
		printf("bench sadb_%s_%s: %.1f ns/lookup ratio=%.2f "
		       "goal<=1.30\n", w ? "miss" : "hit", label,
		       prod / QUERIES * 1e9, prod / ref);
	}
	ret = 0;
out:
	dp_sadb_free(db);
	free(spis);
	free(t.keys);
	free(t.values);
	return ret;
}

/* ---- installs while traffic flows ---- */

struct traffic {
	int fd;
	struct sockaddr_in to;
	atomic_bool stop;
	uint64_t sent;
};

/* Sends ESP packets for an SPI nobody installs, 32 per system call. */
static void *
traffic_thread(void *arg)
{
	struct traffic *tr = arg;
	uint8_t frame[14 + 20 + 64] = { [12] = 0x08, [14] = 0x45 };
	struct mmsghdr mm[32];
	struct iovec iov = { .iov_base = frame, .iov_len = sizeof(frame) };
	uint32_t v;

	frame[14 + 3] = 84;
	frame[14 + 8] = 64;
	frame[14 + 9] = 50;
	v = htonl(0x0a010101);
	memcpy(frame + 14 + 12, &v, 4);
	v = htonl(OUR_ADDR);
	memcpy(frame + 14 + 16, &v, 4);
	v = htonl(0x00abcdef);
	memcpy(frame + 34, &v, 4);
	frame[41] = 1;
	for (int i = 0; i < 32; i++) {
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &tr->to;
		mm[i].msg_hdr.msg_namelen = sizeof(tr->to);
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&tr->stop)) {
		int n = sendmmsg(tr->fd, mm, 32, 0);

		if (n > 0)
			tr->sent += (uint64_t)n;
		/* About 30,000 packets a second: steady traffic that leaves
		 * CPU time for the installs on a 2-core machine. */
		usleep(1000);
	}
	return NULL;
}

static int
install_run(void)
{
	struct dp *dp = dp_create();
	struct dp_config cfg = { .n_ifs = 1 };
	struct traffic tr = { .to = { .sin_family = AF_INET } };
	struct dp_sa_cfg sa = { .map = "VPN", .map_seq = 10,
				.ifname = "GigabitEthernet1" }, pair[2];
	unsigned port = 30000 + (unsigned)getpid() % 20000;
	char local[32], remote[32], err[160];
	struct dp_stats st;
	pthread_t th;
	double t0, t;

	cfg.ifs = calloc(1, sizeof(cfg.ifs[0]));
	if (dp == NULL || cfg.ifs == NULL)
		return -1;
	snprintf(cfg.ifs[0].name, sizeof(cfg.ifs[0].name),
		 "GigabitEthernet1");
	cfg.ifs[0].addr = htonl(OUR_ADDR);
	cfg.ifs[0].plen = 24;
	dp_config_post(dp, &cfg);
	snprintf(local, sizeof(local), "127.0.0.1:%u", port);
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", port + 1);
	if (dp_wire_attach(dp, "GigabitEthernet1", local, remote, err,
			   sizeof(err)) < 0 || dp_start(dp) < 0) {
		fprintf(stderr, "bench_sadb: %s\n", err);
		return -1;
	}
	tr.fd = socket(AF_INET, SOCK_DGRAM, 0);
	tr.to.sin_port = htons((uint16_t)port);
	tr.to.sin_addr.s_addr = htonl(0x7f000001);
	pthread_create(&th, NULL, traffic_thread, &tr);

	sa.params.tunnel = true;
	sa.params.cipher = DP_CIPHER_AES_GCM;
	sa.params.cipher_key_len = 20;
	memset(sa.params.cipher_key, 0x5a, 20);
	sa.params.replay_window = 64;
	sa.params.src = htonl(0x0a010101);
	sa.params.dst = htonl(OUR_ADDR);
	/* As IKE installs them: the inbound and outbound SA of a child SA
	 * together. */
	pair[0] = sa;
	pair[1] = sa;
	pair[1].params.outbound = true;
	pair[1].params.src = sa.params.dst;
	pair[1].params.dst = sa.params.src;
	t0 = bench_seconds();
	for (uint32_t i = 0; i < INSTALLS; i += 2) {
		pair[0].params.spi = 0x80000000U + i;
		pair[1].params.spi = 0x80000000U + i + 1;
		if (dp_sa_install_n(dp, pair, 2, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_sadb: %s\n", err);
			break;
		}
	}
	/* Installs return once published; the time runs until the
	 * datapath thread has linked the last one. */
	dp_sync(dp);
	t = bench_seconds() - t0;
	atomic_store(&tr.stop, true);
	pthread_join(th, NULL);
	close(tr.fd);
	dp_get_stats(dp, &st);
	printf("bench sa_install_rate: %.0f installs/s ratio=%.2f "
	       "goal>=1.00 (%lu packets received meanwhile)\n",
	       INSTALLS / t, INSTALLS / t / INSTALL_GOAL,
	       (unsigned long)st.rx_packets);
	printf("bench sa_install_max_hold: %.1f us ratio=%.3f goal<=1.00\n",
	       (double)st.sa_install_max_ns / 1e3,
	       (double)st.sa_install_max_ns / HOLD_GOAL_NS);
	dp_destroy(dp);
	return 0;
}

int
main(void)
{
	int ret = 0;

	ret |= lookup_run(1000, "1k");
	ret |= lookup_run(16000, "16k");
	ret |= lookup_run(1000000, "1M");
	ret |= install_run();
	return ret ? 1 : 0;
}
