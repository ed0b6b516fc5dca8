/*
 * An IKEv1 Main Mode flood against a responder that has an established
 * tunnel: thousands of MM1 with distinct cookies from distinct sources,
 * and a burst from one source. The half-open limits hold, the excess is
 * counted, the established IKE SA keeps negotiating Quick Modes, the
 * half-open SAs time out, and a new peer gets a reply afterwards.
 */
#include "ike_hardening.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The limits of ikemgr/ike_private.h, restated as the behaviour under
 * test. */
#define HALF_OPEN_MAX		1024
#define HALF_OPEN_PEER_MAX	16

#define BURST			100	/* MM1 from one source */
#define FLOOD			4000	/* MM1 from distinct sources */

static struct ikt_side a, b;
static _Atomic double fake_now = 1000.0;

#define COMMON \
	"crypto isakmp policy 10\n" \
	" encryption aes 128\n" \
	" hash sha\n" \
	" authentication pre-share\n" \
	" group 14\n" \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n"

static const char cfg_a[] =
	COMMON
	"crypto isakmp key s3cret address 10.0.0.2\n"
	"ip access-list extended VPN\n"
	" permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255\n"
	"crypto map CMAP 10 ipsec-isakmp\n"
	" set peer 10.0.0.2\n"
	" set transform-set TS\n"
	" match address VPN\n"
	"interface GigabitEthernet1\n"
	" ip address 10.0.0.1 255.255.255.0\n"
	" crypto map CMAP\n";

/* B takes Main Mode from any address: the flood gets past the key
 * lookup and reaches the half-open limits. */
static const char cfg_b[] =
	COMMON
	"crypto isakmp key s3cret address 0.0.0.0 0.0.0.0\n"
	"ip access-list extended VPN\n"
	" permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n"
	"crypto map CMAP 10 ipsec-isakmp\n"
	" set peer 10.0.0.1\n"
	" set transform-set TS\n"
	" match address VPN\n"
	"interface GigabitEthernet1\n"
	" ip address 10.0.0.2 255.255.255.0\n"
	" crypto map CMAP\n";

/* Main Mode MM1: AES-128, SHA-1, pre-shared key, group 14, 86400 s. */
static const uint8_t mm1[] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 0x10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 88,
	0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 1,
	0, 0, 0, 48, 1, 1, 0, 1,
	0, 0, 0, 40, 1, 1, 0, 0,
	0x80, 0x01, 0x00, 0x07, 0x80, 0x0e, 0x00, 0x80,
	0x80, 0x02, 0x00, 0x02, 0x80, 0x03, 0x00, 0x01,
	0x80, 0x04, 0x00, 0x0e, 0x80, 0x0b, 0x00, 0x01,
	0x00, 0x0c, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80,
};

static double
fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static uint32_t
addr(const char *s)
{
	uint32_t x;

	inet_pton(AF_INET, s, &x);
	return x;
}

struct census {
	size_t total, half_open, from_burst, established;
};

static struct census
count_sas(struct ikemgr *ike, uint32_t burst_src)
{
	struct ike_sa_info *sas = NULL;
	struct census c = { 0 };
	int n = ike_get_sas(ike, &sas);

	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++) {
		if (sas[i].version != 1)
			continue;
		c.total++;
		if (strcmp(sas[i].state, "QM_IDLE") == 0) {
			c.established++;
			continue;
		}
		c.half_open++;
		c.from_burst += sas[i].peer == burst_src;
	}
	free(sas);
	return c;
}

static uint64_t posted, dropped_before;

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the rate at which B took N messages since START, for the
 * figures of docs/hardening.md; nothing checks it. */
static void
report_rate(const char *what, size_t n, double start)
{
	cr_log_info("%s: %zu messages in %.2f s, %.0f/s", what, n,
		    seconds() - start, (double)n / (seconds() - start));
}

/*
 * Waits until B handled every MM1 posted: each leaves a half-open SA or
 * one more half-open drop. The manager's packet queue is short and
 * drops what does not fit, so the flood goes in steps of half of it.
 */
static void
settle(void)
{
	struct ike_counters k;
	uint64_t seen = 0;

	for (int tries = 0; tries < 20000; tries++) {
		ike_get_counters(b.ike, &k);
		seen = count_sas(b.ike, 0).half_open +
		       k.half_open_dropped - dropped_before;
		if (seen == posted)
			return;
		ikh_nap();
	}
	cr_assert_fail("B handled %llu of %llu MM1",
		       (unsigned long long)seen, (unsigned long long)posted);
}

/* Posts an MM1 with cookie number N from SRC to B. */
static void
post_mm1(uint32_t src, uint32_t n)
{
	uint8_t msg[sizeof(mm1)];

	memcpy(msg, mm1, sizeof(mm1));
	memcpy(msg, "fl", 2);
	memcpy(msg + 2, &n, 4);
	ikh_post(&b, src, msg, sizeof(msg));
	if (++posted % 32 == 0)
		settle();
}

static bool
two_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 2 && ikt_count(y, false) == 2;
}

static bool
no_half_open(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	return count_sas(y->ike, 0).half_open == 0;
}

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
	ikt_set_clock(NULL, NULL);
}

Test(ike_halfopen, main_mode_flood, .fini = teardown, .timeout = 120)
{
	uint32_t burst_src = addr("198.51.100.7");
	struct dp_sa_event ev = { .kind = DP_SA_SOFT_EXPIRED };
	struct ike_counters before, after;
	struct census c;
	size_t sent;
	double start;

	ikt_set_clock(fake_clock, NULL);
	ikt_pair_start(&a, cfg_a, &b, cfg_b);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikh_both_pairs, 10),
		  "no SA pair on both sides: A %zu, B %zu", a.nsas, b.nsas);
	ike_get_counters(b.ike, &before);
	dropped_before = before.half_open_dropped;

	/* One source: only its first HALF_OPEN_PEER_MAX are kept. */
	start = seconds();
	for (uint32_t i = 0; i < BURST; i++)
		post_mm1(burst_src, i);
	/* Then distinct sources until the table is full, and beyond. */
	for (uint32_t i = 0; i < FLOOD; i++)
		post_mm1(htonl(0xac100000u + i + 1), BURST + i);
	settle();
	report_rate("Main Mode flood", BURST + FLOOD, start);

	ike_get_counters(b.ike, &after);
	c = count_sas(b.ike, burst_src);
	cr_assert_eq(c.from_burst, HALF_OPEN_PEER_MAX);
	cr_assert_eq(c.half_open, HALF_OPEN_MAX, "%zu half-open SAs, %zu in all",
		     c.half_open, c.total);
	cr_assert_eq(c.established, 1, "the established IKE SA stays");
	cr_assert_eq(after.half_open_dropped - before.half_open_dropped,
		     BURST + FLOOD - HALF_OPEN_MAX);
	cr_assert_geq(after.packets_dropped - before.packets_dropped,
		      BURST + FLOOD - HALF_OPEN_MAX);

	/* A new source gets no reply while the table is full. */
	pthread_mutex_lock(&b.lock);
	sent = b.sent;
	pthread_mutex_unlock(&b.lock);
	post_mm1(addr("203.0.113.9"), 90000);
	settle();
	pthread_mutex_lock(&b.lock);
	cr_assert_eq(b.sent, sent, "an MM1 over the limit got a reply");
	pthread_mutex_unlock(&b.lock);

	/* The established IKE SA still negotiates: a rekey from A. */
	ev.dst = a.addr;
	pthread_mutex_lock(&a.lock);
	for (size_t i = 0; i < a.nsas; i++)
		if (!a.sas[i].params.outbound)
			ev.spi = a.sas[i].params.spi;
	pthread_mutex_unlock(&a.lock);
	ike_post_sa_event(a.ike, &ev);
	ike_sync(a.ike);
	cr_assert(ikt_wait(&a, &b, two_pairs, 20),
		  "no Quick Mode over the established SA under the flood: "
		  "A %zu, B %zu", a.nsas, b.nsas);

	/* The half-open SAs go a minute after they came. */
	fake_now = fake_now + 61;
	cr_assert(ikt_wait(&a, &b, no_half_open, 20),
		  "half-open SAs outlived their minute");
	c = count_sas(b.ike, burst_src);
	cr_assert_eq(c.total, 1, "only the established IKE SA is left");
	/* The pair replaced by the rekey may have been retired by now. */
	cr_assert_geq(ikt_count(&b, false), 1, "B lost its inbound SAs");
	cr_assert_geq(ikt_count(&b, true), 1, "B lost its outbound SAs");

	/* Once the flood stops, a new peer gets MM2. */
	ike_get_counters(b.ike, &after);
	dropped_before = after.half_open_dropped;
	posted = 0;
	post_mm1(addr("203.0.113.9"), 90001);
	settle();
	pthread_mutex_lock(&b.lock);
	cr_assert_gt(b.sent, sent);
	cr_assert_eq(b.last.dst, addr("203.0.113.9"));
	cr_assert_eq(memcmp(b.last.data, "fl", 2), 0);
	cr_assert_eq(b.last.data[18], 2, "not an Identity Protection reply");
	pthread_mutex_unlock(&b.lock);
}

static uint64_t
v2_init_rx(struct ikt_side *s)
{
	struct ike_v2_stats st;

	ike_get_v2_stats(s->ike, &st);
	return st.rx_req[IKE_V2_SA_INIT];
}

static size_t
v2_in_neg(struct ikt_side *s, uint32_t peer, size_t *from_peer)
{
	struct ike_sa_info *sas = NULL;
	int n = ike_get_sas(s->ike, &sas);
	size_t k = 0;

	cr_assert_geq(n, 0);
	*from_peer = 0;
	for (int i = 0; i < n; i++) {
		if (sas[i].version != 2 || strcmp(sas[i].state, "IN-NEG") != 0)
			continue;
		k++;
		*from_peer += sas[i].peer == peer;
	}
	free(sas);
	return k;
}

#define V2_BURST	40
#define V2_FLOOD	1100

/*
 * An IKE_SA_INIT flood without `crypto ikev2 cookie-challenge`: the
 * half-open limits of IKEv1 hold for IKEv2 too, and the established
 * IKE SA still negotiates a new child pair.
 */
Test(ike_halfopen, ike_sa_init_flood, .fini = teardown, .timeout = 300)
{
	uint32_t burst_src = addr("198.51.100.8");
	struct ike_counters before, after;
	struct dp_ike_packet tmpl;
	uint64_t rx0, want;
	double start;
	size_t from_burst, in_neg;

	ikt_pair_start(&a, IKH_V2_A, &b, IKH_V2_B);
	/* A's IKE_SA_INIT, lost on the way, is the flood's template. */
	a.drop_all = true;
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikh_sent_any, 10), "A sent nothing");
	pthread_mutex_lock(&a.lock);
	tmpl = a.last;
	pthread_mutex_unlock(&a.lock);
	cr_assert_eq(tmpl.data[18], 34, "A sent no IKE_SA_INIT");
	ike_clear(a.ike, IKE_CLEAR_IKEV2, 0, 0);
	a.drop_all = false;
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikh_both_pairs, 10), "no tunnel");
	ike_get_counters(b.ike, &before);

	rx0 = v2_init_rx(&b);
	start = seconds();
	for (uint32_t i = 0; i < V2_BURST + V2_FLOOD; i++) {
		uint32_t src = i < V2_BURST ? burst_src :
			       htonl(0xac110000u + i);

		tmpl.data[0] = 0xf2;
		memcpy(tmpl.data + 1, &i, 4);
		ikh_post(&b, src, tmpl.data, tmpl.len);
		/* The packet queue has 64 slots: B reads each batch first. */
		if (i % 32 != 31 && i != V2_BURST + V2_FLOOD - 1)
			continue;
		want = rx0 + i + 1;
		for (int t = 0; t < 30000 && v2_init_rx(&b) < want; t++)
			ikh_nap();
		cr_assert_eq(v2_init_rx(&b), want, "B lost IKE_SA_INIT");
	}

	report_rate("IKE_SA_INIT flood", V2_BURST + V2_FLOOD, start);
	ike_get_counters(b.ike, &after);
	in_neg = v2_in_neg(&b, burst_src, &from_burst);
	cr_assert_eq(from_burst, HALF_OPEN_PEER_MAX);
	cr_assert_eq(in_neg, HALF_OPEN_MAX);
	cr_assert_eq(after.half_open_dropped - before.half_open_dropped,
		     V2_BURST + V2_FLOOD - HALF_OPEN_MAX);

	/* The established IKE SA still negotiates a new child pair. */
	cr_assert_gt(ike_clear(a.ike, IKE_CLEAR_PEER_SA, b.addr, 0), 0);
	cr_assert(ikt_wait(&b, &a, ikh_no_sas, 10), "B kept its SAs");
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikh_both_pairs, 20), "no new child pair");
}
