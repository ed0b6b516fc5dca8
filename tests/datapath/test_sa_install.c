/*
 * SAs installed the way the IKE manager installs them, with
 * dp_sa_install() on a running datapath. The tests cover SPIs across
 * the whole 32-bit space, a packet sent the moment the call returns,
 * removal, lifetimes and their events. The SA database's insert, lookup
 * and remove are also tested on their own.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dp_test.h"

#define IF1 "/vrouter-config:interfaces/interface[name='GigabitEthernet1']"
#define OUR_ADDR "10.10.1.2"
#define PEER "10.1.1.1"

static struct dpt_router router;
static struct dpt_log log_lines;

static void
setup(void)
{
	static const char *const pairs[] = {
		IF1 "/ipv4/address", OUR_ADDR,
		IF1 "/ipv4/mask", "255.255.255.0",
		NULL, NULL,
	};

	dpt_log_start(&log_lines);
	dpt_router_start(&router, true);
	dpt_commit(&router, pairs);
}

static void
teardown(void)
{
	dpt_router_stop(&router);
	dpt_log_stop(&log_lines);
}

TestSuite(sa_install, .init = setup, .fini = teardown);

/* An AES-CBC/SHA-1 tunnel SA from the peer to us with SPI. */
static struct dp_sa_cfg
sa_cfg(uint32_t spi, bool outbound)
{
	struct dp_sa_cfg c = { .map = "VPN", .map_seq = 10,
			       .ifname = "GigabitEthernet1",
			       .transform = "esp-aes esp-sha-hmac" };

	c.params.spi = spi;
	c.params.outbound = outbound;
	c.params.tunnel = true;
	c.params.cipher = DP_CIPHER_AES_CBC;
	c.params.cipher_key_len = 16;
	memset(c.params.cipher_key, 0x11, 16);
	c.params.integ = DP_INTEG_HMAC_SHA1_96;
	c.params.integ_key_len = 20;
	memset(c.params.integ_key, 0x22, 20);
	c.params.replay_window = 64;
	inet_pton(AF_INET, outbound ? OUR_ADDR : PEER, &c.params.src);
	inet_pton(AF_INET, outbound ? PEER : OUR_ADDR, &c.params.dst);
	return c;
}

/*
 * Encrypts an ICMP echo from 192.168.1.1 to 192.168.2.1 with the peer's
 * copy of inbound SA SPI into FRAME (Ethernet); returns the length.
 */
static size_t
peer_packet(uint32_t spi, uint8_t *frame, size_t cap)
{
	struct dp_sa_cfg c = sa_cfg(spi, false);
	struct dp_esp_sa *peer;
	uint8_t inner[84] = { 0x45, 0, 0, 84, 0, 1, 0, 0, 64, 1 };
	enum dp_esp_status st;
	char err[128];
	size_t n;

	inet_pton(AF_INET, "192.168.1.1", inner + 12);
	inet_pton(AF_INET, "192.168.2.1", inner + 16);
	c.params.outbound = true;
	peer = dp_esp_sa_create(&c.params, err, sizeof(err));
	cr_assert_not_null(peer, "%s", err);
	memset(frame, 0, 14);
	frame[12] = 0x08;
	n = dp_esp_encap_ipv4(peer, inner, sizeof(inner), frame + 14, cap - 14,
			      &st);
	cr_assert_gt(n, 0, "encapsulation failed: %d", st);
	dp_esp_sa_free(peer);
	return n + 14;
}

Test(sa_install, spis_across_32_bits_decrypt)
{
	static const uint32_t spis[] = {
		256, 0x12345678, 0x7FFFFFFF, 0x80000000, 0x80000001,
		0xFF000000, 0xFFFFFFFE, 0xFFFFFFFF,
	};
	char err[128] = "";
	struct dp_stats st;

	for (size_t i = 0; i < sizeof(spis) / sizeof(spis[0]); i++) {
		struct dp_sa_cfg c = sa_cfg(spis[i], false);

		cr_assert_eq(dp_sa_install(router.dp, &c, err, sizeof(err)), 0,
			     "SPI 0x%X: %s", spis[i], err);
	}
	for (size_t i = 0; i < sizeof(spis) / sizeof(spis[0]); i++) {
		uint8_t frame[256];
		char path[] = "/tmp/vr-sa-install.XXXXXX";
		int fd = mkstemp(path);
		pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
		pcap_dumper_t *d = pcap_dump_fopen(p, fdopen(fd, "wb"));
		struct pcap_pkthdr h = { .caplen = 0 };

		h.caplen = h.len = (bpf_u_int32)peer_packet(spis[i], frame,
							     sizeof(frame));
		pcap_dump((u_char *)d, &h, frame);
		pcap_dump_close(d);
		pcap_close(p);
		cr_assert_eq(dp_replay(router.dp, "GigabitEthernet1", path,
				       err, sizeof(err)), 0, "%s", err);
		dp_sync(router.dp);
		unlink(path);
		cr_assert_eq(dpt_inbound_counters(router.dp, spis[i]).decaps, 1,
			     "SPI 0x%X not decrypted", spis[i]);
	}
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.decap_ok, sizeof(spis) / sizeof(spis[0]));
	cr_assert_eq(dpt_global_drops(router.dp, "IpsecInput"), 0);
}

/*
 * The packet leaves the peer as soon as dp_sa_install() returns, as it
 * does once the IKE exchange that creates the SA completes. It must
 * never be dropped as an unknown SPI. The test repeats this over many
 * SPIs to give a race a chance to show.
 */
/*
 * Cables Gi1 to a wire on loopback port PORT and returns a socket and
 * address TO that send frames into it.
 */
static int
open_wire(unsigned port, struct sockaddr_in *to)
{
	char local[32], remote[32], err[128] = "";

	snprintf(local, sizeof(local), "127.0.0.1:%u", port);
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", port + 1);
	cr_assert(dp_wire_attach(router.dp, "GigabitEthernet1", local, remote,
				 err, sizeof(err)) == 0, "%s", err);
	dp_sync(router.dp);
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &to->sin_addr);
	return socket(AF_INET, SOCK_DGRAM, 0);
}

/* Waits up to 2 s for N decapsulated packets; returns how many came. */
static uint64_t
wait_decaps(uint64_t n)
{
	struct dp_stats st = { 0 };

	for (int i = 0; i < 200 && st.decap_ok < n; i++) {
		usleep(10000);
		dp_get_stats(router.dp, &st);
	}
	return st.decap_ok;
}

Test(sa_install, packet_right_after_install)
{
	struct sockaddr_in to;
	int fd = open_wire(21000 + (unsigned)getpid() % 20000, &to);
	char err[128] = "";
	uint64_t got;
	const unsigned rounds = 200;

	for (unsigned i = 0; i < rounds; i++) {
		uint32_t spi = 0xC0000000U + i;
		struct dp_sa_cfg c = sa_cfg(spi, false);
		uint8_t frame[256];
		size_t n = peer_packet(spi, frame, sizeof(frame));

		cr_assert_eq(dp_sa_install(router.dp, &c, err, sizeof(err)), 0,
			     "%s", err);
		cr_assert_eq(sendto(fd, frame, n, 0, (struct sockaddr *)&to,
				    sizeof(to)), (ssize_t)n);
	}
	got = wait_decaps(rounds);
	close(fd);
	cr_assert_eq(got, rounds, "%lu of %u decrypted", (unsigned long)got,
		     rounds);
	cr_assert_eq(dpt_global_drops(router.dp, "IpsecInput"), 0);
}

Test(sa_install, remove_then_unknown)
{
	struct dp_sa_cfg c = sa_cfg(0xFF000000, false);
	uint32_t dst = c.params.dst;
	char err[128] = "";
	struct dp_sa_info *sas = NULL;

	cr_assert_eq(dp_sa_install(router.dp, &c, err, sizeof(err)), 0, "%s",
		     err);
	c = sa_cfg(0x80000000, true);
	cr_assert_eq(dp_sa_install(router.dp, &c, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(dp_get_sas(router.dp, &sas), 2);
	free(sas);
	cr_assert_eq(dp_sa_remove(router.dp, false, dst, 0xFF000000), 0);
	cr_assert_eq(dp_sa_remove(router.dp, false, dst, 0xFF000000), -1,
		     "a second removal found the SA again");
	cr_assert_eq(dp_get_sas(router.dp, &sas), 1);
	cr_assert(sas[0].params.outbound);
	free(sas);
}

Test(sa_install, invalid_key_rejected)
{
	struct dp_sa_cfg c = sa_cfg(0x1000, false);
	char err[128] = "";

	c.params.cipher_key_len = 5;
	cr_assert_eq(dp_sa_install(router.dp, &c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "key") != NULL, "%s", err);
}

/* ---- lifetimes ---- */

struct events {
	pthread_mutex_t lock;
	int soft, hard;
	bool hard_by_bytes;
	uint32_t spi;
};

static void
on_event(void *ctx, const struct dp_sa_event *ev)
{
	struct events *e = ctx;

	pthread_mutex_lock(&e->lock);
	if (ev->kind == DP_SA_SOFT_EXPIRED)
		e->soft++;
	else
		e->hard++;
	if (ev->kind == DP_SA_HARD_EXPIRED)
		e->hard_by_bytes = ev->by_bytes;
	e->spi = ev->spi;
	pthread_mutex_unlock(&e->lock);
}

static int
hard_count(struct events *e)
{
	int n;

	pthread_mutex_lock(&e->lock);
	n = e->hard;
	pthread_mutex_unlock(&e->lock);
	return n;
}

Test(sa_lifetime, seconds_soft_then_hard)
{
	struct dp *dp = dp_create();
	struct events ev = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct dp_sa_cfg c = sa_cfg(0xABC00001, false);
	struct dp_sa_info *sas = NULL;
	char err[128] = "";

	cr_assert_not_null(dp);
	dp_set_sa_event_sink(dp, on_event, &ev);
	cr_assert_eq(dp_start(dp), 0);
	c.lifetime_sec = 1;
	cr_assert_eq(dp_sa_install(dp, &c, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 300 && hard_count(&ev) == 0; i++)
		usleep(10000);
	cr_assert_eq(ev.soft, 1, "%d soft events", ev.soft);
	cr_assert_eq(ev.hard, 1, "%d hard events", ev.hard);
	cr_assert(!ev.hard_by_bytes);
	cr_assert_eq(ev.spi, 0xABC00001);
	cr_assert_eq(dp_get_sas(dp, &sas), 0, "the SA outlived its lifetime");
	free(sas);
	dp_destroy(dp);
}

Test(sa_lifetime, kilobytes_hard)
{
	struct dp *dp = dp_create();
	struct events ev = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct dp_sa_cfg c = sa_cfg(0xABC00002, false);
	uint8_t frame[256];
	const uint8_t *pkts[16];
	size_t lens[16], n = peer_packet(0xABC00002, frame, sizeof(frame));
	struct dp_sa_info *sas = NULL;
	char err[128] = "";

	struct dp_config cfg = { .n_ifs = 1 };

	cr_assert_not_null(dp);
	cfg.ifs = calloc(1, sizeof(cfg.ifs[0]));
	cr_assert_not_null(cfg.ifs);
	snprintf(cfg.ifs[0].name, sizeof(cfg.ifs[0].name), "GigabitEthernet1");
	inet_pton(AF_INET, OUR_ADDR, &cfg.ifs[0].addr);
	cfg.ifs[0].plen = 24;
	cr_assert_eq(dp_config_post(dp, &cfg), 0);
	dp_set_sa_event_sink(dp, on_event, &ev);
	c.lifetime_kb = 1;
	c.params.replay_window = 0;	/* the same packet 16 times */
	cr_assert_eq(dp_sa_install(dp, &c, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 16; i++) {
		pkts[i] = frame;
		lens[i] = n;
	}
	/* Sixteen packets of about 100 octets pass 1 KB; the scan runs
	 * from the thread, which this test does not start, so run it. */
	cr_assert_eq(dp_input_batch(dp, "GigabitEthernet1", DLT_EN10MB, pkts,
				    lens, 16, dp_now_ns()), 0);
	cr_assert_eq(dp_get_sas(dp, &sas), 1);
	cr_assert_gt(sas[0].counters.decaps, 0, "nothing was decrypted");
	free(sas);
	dp_start(dp);
	for (int i = 0; i < 300 && hard_count(&ev) == 0; i++)
		usleep(10000);
	cr_assert_eq(ev.soft, 1, "%d soft events", ev.soft);
	cr_assert_eq(ev.hard, 1, "%d hard events", ev.hard);
	cr_assert(ev.hard_by_bytes);
	cr_assert_eq(dp_get_sas(dp, &sas), 0);
	free(sas);
	dp_destroy(dp);
}

/* ---- the table alone ---- */

Test(sadb, remove_keeps_others_reachable)
{
	struct dp_sadb *db = dp_sadb_create(0, 12345);
	const uint32_t n = 20000;

	cr_assert_not_null(db);
	for (uint32_t i = 0; i < n; i++)
		cr_assert_eq(dp_sadb_insert(db, 0x0a000001, 50, 0x80000000U + i,
					    (void *)(uintptr_t)(i + 1)), 0);
	cr_assert_eq(dp_sadb_count(db), n);
	cr_assert_eq(dp_sadb_insert(db, 0x0a000001, 50, 0x80000000U, db), -1,
		     "a duplicate key was inserted");
	for (uint32_t i = 0; i < n; i += 2)
		cr_assert_eq(dp_sadb_remove(db, 0x0a000001, 50,
					    0x80000000U + i),
			     (void *)(uintptr_t)(i + 1));
	cr_assert_eq(dp_sadb_count(db), n / 2);
	for (uint32_t i = 0; i < n; i++) {
		void *v = dp_sadb_lookup(db, 0x0a000001, 50, 0x80000000U + i);

		if (i % 2 == 0)
			cr_assert_null(v, "removed SPI 0x%X still found",
				       0x80000000U + i);
		else
			cr_assert_eq(v, (void *)(uintptr_t)(i + 1),
				     "SPI 0x%X lost", 0x80000000U + i);
	}
	cr_assert_null(dp_sadb_lookup(db, 0x0a000001, 51, 0x80000001U),
		       "a lookup of another protocol hit");
	cr_assert_eq(dp_sadb_insert(db, 0x0a000001, 51, 7, db), -1,
		     "a table took a second protocol");
	dp_sadb_free(db);
}

Test(sa_install, pair_all_or_nothing)
{
	struct dp_sa_cfg pair[2] = { sa_cfg(0x90000001, false),
				     sa_cfg(0x90000002, true) };
	struct dp_sa_info *sas = NULL;
	char err[128] = "";

	cr_assert_eq(dp_sa_install_n(router.dp, pair, 2, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(dp_get_sas(router.dp, &sas), 2);
	free(sas);
	/* A bad key in the second SA: the first is not installed either. */
	pair[0].params.spi = 0x90000003;
	pair[1].params.spi = 0x90000004;
	pair[1].params.cipher_key_len = 7;
	cr_assert_eq(dp_sa_install_n(router.dp, pair, 2, err, sizeof(err)),
		     -1);
	cr_assert_eq(dp_get_sas(router.dp, &sas), 2,
		     "an SA of a failed pair was installed");
	free(sas);
}

/*
 * Thousands of pairs installed back to back: the installs outrun the
 * datapath thread, so they wait on the lock-free list and the SA tables
 * grow several times into arrays built by the installing thread. Every
 * SA must be linked, and a removal right after the last install must
 * find its SA.
 */
Test(sa_install, burst_of_pairs_all_linked)
{
	char err[128] = "";
	struct sockaddr_in to;
	struct dp_sa_info *sas = NULL;
	const uint32_t pairs = 3000, sent = 30;
	uint64_t got;
	int fd;

	for (uint32_t i = 0; i < pairs; i++) {
		struct dp_sa_cfg pair[2] = {
			sa_cfg(0xA0000000U + i, false),
			sa_cfg(0xB0000000U + i, true),
		};

		cr_assert_eq(dp_sa_install_n(router.dp, pair, 2, err,
					     sizeof(err)), 0, "%s", err);
	}
	cr_assert_eq(dp_sa_remove(router.dp, true, sa_cfg(0, true).params.dst,
				  0xB0000000U + pairs - 1), 0,
		     "the last outbound SA was not linked before the removal");
	cr_assert_eq(dp_get_sas(router.dp, &sas), (int)(2 * pairs - 1));
	free(sas);

	fd = open_wire(45000 + (unsigned)getpid() % 15000, &to);
	for (uint32_t i = 0; i < sent; i++) {
		uint8_t frame[256];
		size_t n = peer_packet(0xA0000000U + i * (pairs / sent), frame,
				       sizeof(frame));

		cr_assert_eq(sendto(fd, frame, n, 0, (struct sockaddr *)&to,
				    sizeof(to)), (ssize_t)n);
	}
	got = wait_decaps(sent);
	close(fd);
	cr_assert_eq(got, sent, "%lu of %u decrypted", (unsigned long)got,
		     sent);
	cr_assert_eq(dpt_global_drops(router.dp, "IpsecInput"), 0);
}

/*
 * Removals from the middle of thousands of SAs: each removal moves the
 * last SA into the hole, and every SA left must still be found, listed
 * and removable.
 */
Test(sa_install, removals_keep_the_rest)
{
	uint32_t dst = sa_cfg(0, false).params.dst;
	struct dp_sa_info *sas = NULL;
	const uint32_t n = 2000;
	char err[128] = "";
	int listed;

	for (uint32_t i = 0; i < n; i++) {
		struct dp_sa_cfg c = sa_cfg(0xD0000000U + i, false);

		cr_assert_eq(dp_sa_install(router.dp, &c, err, sizeof(err)), 0,
			     "%s", err);
	}
	for (uint32_t i = 0; i < n; i += 3)
		cr_assert_eq(dp_sa_remove(router.dp, false, dst,
					  0xD0000000U + i), 0,
			     "SPI 0x%X not removed", 0xD0000000U + i);
	listed = dp_get_sas(router.dp, &sas);
	cr_assert_eq(listed, (int)(n - (n + 2) / 3));
	for (int i = 0; i < listed; i++)
		cr_assert_neq((sas[i].params.spi - 0xD0000000U) % 3, 0,
			      "removed SPI 0x%X still listed",
			      sas[i].params.spi);
	free(sas);
	for (uint32_t i = 0; i < n; i++) {
		int want = i % 3 == 0 ? -1 : 0;

		cr_assert_eq(dp_sa_remove(router.dp, false, dst,
					  0xD0000000U + i), want,
			     "SPI 0x%X: removal returned the wrong result",
			     0xD0000000U + i);
	}
	cr_assert_eq(dp_get_sas(router.dp, &sas), 0);
	free(sas);
}

/* Growth into an array built ahead, then the old array handed back. */
Test(sadb, growth_uses_offered_array)
{
	struct dp_sadb *db = dp_sadb_create(0, 99);
	struct dp_sadb_table built, old;
	size_t slots = 0;
	uint32_t n = 0;

	cr_assert_not_null(db);
	while ((slots = dp_sadb_next_slots(db)) == 0) {
		n++;
		cr_assert_eq(dp_sadb_insert(db, 0x0a000001, 50, n,
					    (void *)(uintptr_t)n), 0);
	}
	cr_assert_eq(slots, 2 * (db->cur.mask + 1));
	cr_assert_eq(dp_sadb_table_build(&built, slots), 0);
	dp_sadb_offer(db, &built);
	cr_assert_null(built.keys, "the offered array was not taken");
	cr_assert_eq(dp_sadb_next_slots(db), 0,
		     "a second array was requested while one is held");
	/* Enough inserts to grow and to move every old entry over. */
	while (!dp_sadb_take_retired(db, &old)) {
		n++;
		cr_assert_eq(dp_sadb_insert(db, 0x0a000001, 50, n,
					    (void *)(uintptr_t)n), 0);
		cr_assert_lt(n, 100000, "the old array never retired");
	}
	cr_assert_eq(db->cur.mask + 1, slots, "the growth skipped the array");
	dp_sadb_table_free(&old);
	for (uint32_t i = 1; i <= n; i++)
		cr_assert_eq(dp_sadb_lookup(db, 0x0a000001, 50, i),
			     (void *)(uintptr_t)i, "SPI %u lost", i);
	dp_sadb_free(db);
}

/* An array of the wrong size is freed, not used. */
Test(sadb, offer_of_wrong_size_freed)
{
	struct dp_sadb *db = dp_sadb_create(0, 7);
	struct dp_sadb_table built;

	cr_assert_not_null(db);
	cr_assert_eq(dp_sadb_table_build(&built, 4 * (db->cur.mask + 1)), 0);
	dp_sadb_offer(db, &built);
	cr_assert_null(built.keys);
	cr_assert_null(db->spare.keys, "an array of the wrong size was kept");
	dp_sadb_free(db);
}
