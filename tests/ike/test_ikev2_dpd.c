/*
 * On-demand DPD with the ESP counts of a fake traffic source, for IKEv2
 * (`dpd 10 2 on-demand` in the profile) and for IKEv1 (`crypto isakmp
 * keepalive 10 2 on-demand`), which share the traffic check. A quiet
 * tunnel and one with traffic both ways get no liveness check; one that
 * sends without receiving gets one.
 */
#include "ike_test.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>

static struct ikt_side a, b;

static _Atomic double fake_now = 1000.0;

static double
fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

/* ESP packet counts that A's manager reads for its peer. */
static struct {
	_Atomic uint64_t in, out;
	_Atomic unsigned reads;
	_Atomic uint32_t peer;
} esp;

static int
fake_traffic(void *ctx, uint32_t peer, uint64_t *in, uint64_t *out)
{
	(void)ctx;
	esp.peer = peer;
	*in = esp.in;
	*out = esp.out;
	esp.reads++;
	return 0;
}

static unsigned want_reads;

static bool
read_enough(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	(void)y;
	return esp.reads >= want_reads;
}

static size_t
sent(struct ikt_side *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->sent;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static size_t want_sent;

static bool
a_sent_enough(struct ikt_side *x, struct ikt_side *y)
{
	(void)y;
	return sent(x) >= want_sent;
}

static bool
both_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 1 && ikt_count(x, true) == 1 &&
	       ikt_count(y, false) == 1 && ikt_count(y, true) == 1;
}

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
	ikt_set_clock(NULL, NULL);
}

/* Moves the clock past one keepalive interval and waits until A has
 * read the ESP counts for it. */
static void
next_interval(void)
{
	want_reads = esp.reads + 1;
	fake_now = fake_now + 11;
	cr_assert(ikt_wait(&a, &b, read_enough, 5),
		  "A read no ESP counts after the interval");
}

/*
 * Brings A and B up with CFG_A and CFG_B, then checks A's on-demand
 * DPD over three intervals: no ESP, ESP both ways, ESP out only.
 */
static void
check_on_demand(const char *cfg_a, const char *cfg_b)
{
	size_t before;

	memset(&esp, 0, sizeof(esp));
	ikt_set_clock(fake_clock, NULL);
	ikt_pair_start(&a, cfg_a, &b, cfg_b);
	ike_set_traffic_source(a.ike, fake_traffic, NULL);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10), "no SA pair");

	before = sent(&a);
	next_interval();
	cr_assert_eq(esp.peer, b.addr, "A read the counts of another peer");
	cr_assert_eq(sent(&a), before, "liveness check on an idle tunnel");

	esp.out += 40;
	esp.in += 40;
	next_interval();
	cr_assert_eq(sent(&a), before,
		     "liveness check while the peer sends ESP");

	esp.out += 40;
	want_sent = before + 1;
	fake_now = fake_now + 11;
	cr_assert(ikt_wait(&a, &b, a_sent_enough, 5),
		  "no liveness check after ESP out and none in");
	cr_assert(ikt_wait(&a, &b, both_pairs, 1), "the SAs went");
}

Test(ikev2_dpd, on_demand_watches_esp, .fini = teardown)
{
	struct ike_v2_stats st;

	check_on_demand(IKT_V2_SIDE("10.0.0.1", "10.0.0.2", "192.168.1.0",
				    "192.168.2.0", " dpd 10 2 on-demand\n"),
			IKT_V2_SIDE("10.0.0.2", "10.0.0.1", "192.168.2.0",
				    "192.168.1.0", ""));
	ike_get_v2_stats(a.ike, &st);
	cr_assert_eq(st.tx_req[IKE_V2_INFORMATIONAL], 1);
}

#define V1_SIDE(me, peer, lnet, rnet, keepalive) \
	"crypto isakmp policy 10\n" \
	" encryption aes 256\n" \
	" hash sha256\n" \
	" authentication pre-share\n" \
	" group 14\n" \
	keepalive \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n" \
	"crypto isakmp key s3cret address " peer "\n" \
	"ip access-list extended VPN\n" \
	" permit ip " lnet " 0.0.0.255 " rnet " 0.0.0.255\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer " peer "\n" \
	" set transform-set TS\n" \
	" match address VPN\n" \
	"interface GigabitEthernet1\n" \
	" ip address " me " 255.255.255.0\n" \
	" crypto map CMAP\n"

Test(ikev2_dpd, ikev1_on_demand_watches_esp, .fini = teardown)
{
	check_on_demand(V1_SIDE("10.0.0.1", "10.0.0.2", "192.168.1.0",
				"192.168.2.0",
				"crypto isakmp keepalive 10 2 on-demand\n"),
			V1_SIDE("10.0.0.2", "10.0.0.1", "192.168.2.0",
				"192.168.1.0", ""));
}

/* Periodic DPD does not read ESP counts: the check goes out on a quiet
 * tunnel too. */
Test(ikev2_dpd, periodic_ignores_esp, .fini = teardown)
{
	memset(&esp, 0, sizeof(esp));
	ikt_set_clock(fake_clock, NULL);
	ikt_pair_start(&a, IKT_V2_SIDE("10.0.0.1", "10.0.0.2", "192.168.1.0",
				       "192.168.2.0", " dpd 10 2 periodic\n"),
		       &b, IKT_V2_SIDE("10.0.0.2", "10.0.0.1", "192.168.2.0",
				       "192.168.1.0", ""));
	ike_set_traffic_source(a.ike, fake_traffic, NULL);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10), "no SA pair");
	want_sent = sent(&a) + 1;
	fake_now = fake_now + 11;
	cr_assert(ikt_wait(&a, &b, a_sent_enough, 5), "no liveness check");
	cr_assert_eq(esp.reads, 0, "periodic DPD read ESP counts");
}
