/*
 * IKEv2 fragmentation (RFC 7383) between two IKE managers back to back:
 * IKE_AUTH split into Encrypted Fragment payloads in both directions, a
 * peer without `crypto ikev2 fragmentation`, a lost fragment, and
 * malformed, forged and duplicate fragments, each counted as a drop.
 */
#include "ike_test.h"
#include "fixture.h"

#include "core/debug.h"
#include "ikemgr/ikev2.h"

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct ikt_side a, b;

#define CFG_A(extra) \
	IKT_V2_SIDE("10.0.0.1", "10.0.0.2", "192.168.1.0", "192.168.2.0", extra)
#define CFG_B(extra) \
	IKT_V2_SIDE("10.0.0.2", "10.0.0.1", "192.168.2.0", "192.168.1.0", extra)

/*
 * With MTU 150 a fragment is an IKE message of at most 122 octets: 47
 * octets of plaintext each with AES-CBC and SHA-256, so IKE_AUTH takes
 * at least three fragments.
 */
#define FRAG_150 "crypto ikev2 fragmentation mtu 150\n"
#define FRAG_MSG_MAX (150 - 28)

/* What the send hooks saw, per side (0: A, 1: B). */
static atomic_size_t skf_sent[2];	/* SKF messages that went out */
static atomic_size_t skf_too_long[2];	/* of them, over FRAG_MSG_MAX */
static atomic_size_t sk_sent[2];	/* unfragmented SK messages */

/* Fragment 2 of A's first IKE_AUTH request is lost once. */
static atomic_bool lost_one;

/* A's IKE_AUTH fragments, held back from B while holding is set. */
#define HELD_MAX 16
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dp_ike_packet held[HELD_MAX];
static size_t nheld;
static atomic_bool holding;

/* Sleeps 10 ms while the managers work. */
static void
nap(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static size_t
side_index(const struct ikt_side *s)
{
	return s == &a ? 0 : 1;
}

static uint16_t
fragment_number(const struct dp_ike_packet *pkt)
{
	return (uint16_t)(pkt->data[32] << 8 | pkt->data[33]);
}

static uint16_t
total_fragments(const struct dp_ike_packet *pkt)
{
	return (uint16_t)(pkt->data[34] << 8 | pkt->data[35]);
}

static void
count(const struct ikt_side *s, const struct dp_ike_packet *pkt)
{
	size_t i = side_index(s);

	if (pkt->len < 28)
		return;
	if (pkt->data[16] == IKEV2_NP_SKF) {
		skf_sent[i]++;
		if (pkt->len > FRAG_MSG_MAX)
			skf_too_long[i]++;
	} else if (pkt->data[16] == IKEV2_NP_SK) {
		sk_sent[i]++;
	}
}

static bool
count_only(struct ikt_side *s, const struct dp_ike_packet *pkt)
{
	count(s, pkt);
	return true;
}

static bool
lose_fragment_2(struct ikt_side *s, const struct dp_ike_packet *pkt)
{
	count(s, pkt);
	if (s == &a && pkt->data[16] == IKEV2_NP_SKF &&
	    fragment_number(pkt) == 2 && !atomic_exchange(&lost_one, true))
		return false;
	return true;
}

/* Keeps the first copy of each of A's IKE_AUTH fragments and loses every
 * fragment of A while holding is set. */
static bool
hold_fragments(struct ikt_side *s, const struct dp_ike_packet *pkt)
{
	count(s, pkt);
	if (s != &a || !atomic_load(&holding) ||
	    pkt->data[16] != IKEV2_NP_SKF)
		return true;
	pthread_mutex_lock(&held_lock);
	if (nheld < HELD_MAX && fragment_number(pkt) == nheld + 1)
		held[nheld++] = *pkt;
	pthread_mutex_unlock(&held_lock);
	return false;
}

static void
reset_hooks(void)
{
	for (size_t i = 0; i < 2; i++) {
		skf_sent[i] = 0;
		skf_too_long[i] = 0;
		sk_sent[i] = 0;
	}
	lost_one = false;
	holding = false;
	nheld = 0;
}

static void
start(const char *cfg_a, const char *cfg_b,
      bool (*hook)(struct ikt_side *, const struct dp_ike_packet *))
{
	reset_hooks();
	ikt_pair_start(&a, cfg_a, &b, cfg_b);
	a.on_send = hook;
	b.on_send = hook;
}

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
}

static bool
both_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 1 && ikt_count(x, true) == 1 &&
	       ikt_count(y, false) == 1 && ikt_count(y, true) == 1;
}

static void
bring_up(void)
{
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10),
		  "no SA pair on both sides: A %zu, B %zu", a.nsas, b.nsas);
}

static struct ike_v2_stats
stats(struct ikt_side *s)
{
	struct ike_v2_stats st;

	ike_get_v2_stats(s->ike, &st);
	return st;
}

/* The MTU of fragmentation on S's only IKE SA; 0: not negotiated. */
static uint16_t
sa_frag_mtu(struct ikt_side *s)
{
	struct ike_sa_info *info = NULL;
	uint16_t mtu;

	cr_assert_eq(ike_get_sas(s->ike, &info), 1, "not one IKE SA");
	mtu = info[0].frag_mtu;
	free(info);
	return mtu;
}

Test(ikev2_frag, ike_auth_fragmented_both_ways, .fini = teardown)
{
	struct ike_v2_stats sa_, sb;

	start(CFG_A(FRAG_150), CFG_B(FRAG_150), count_only);
	bring_up();
	sa_ = stats(&a);
	sb = stats(&b);
	cr_assert_geq(skf_sent[0], 3, "A sent %zu fragments", skf_sent[0]);
	cr_assert_geq(skf_sent[1], 3, "B sent %zu fragments", skf_sent[1]);
	cr_assert_eq(sk_sent[0], 0, "A sent IKE_AUTH whole");
	cr_assert_eq(sk_sent[1], 0, "B sent IKE_AUTH whole");
	cr_assert_eq(skf_too_long[0], 0, "a fragment of A exceeds the MTU");
	cr_assert_eq(skf_too_long[1], 0, "a fragment of B exceeds the MTU");
	cr_assert_eq(sa_.frag_tx, skf_sent[0]);
	cr_assert_eq(sb.frag_tx, skf_sent[1]);
	cr_assert_eq(sb.frag_rx, skf_sent[0]);
	cr_assert_eq(sa_.frag_rx, skf_sent[1]);
	cr_assert_eq(sa_.frag_reassembled, 1);
	cr_assert_eq(sb.frag_reassembled, 1);
	cr_assert_eq(sa_.frag_dropped + sb.frag_dropped, 0);
	/* The exchange counters count messages, not fragments. */
	cr_assert_eq(sa_.tx_req[IKE_V2_AUTH], 1);
	cr_assert_eq(sb.rx_req[IKE_V2_AUTH], 1);
	cr_assert_eq(sa_frag_mtu(&a), 150);
	cr_assert_eq(sa_frag_mtu(&b), 150);
}

/* The proposal of IKT_V2_SIDE changed to AES-GCM-256 with PRF SHA-384. */
#define GCM \
	"crypto ikev2 proposal PROP\n" \
	" no encryption\n" \
	" no integrity\n" \
	" encryption aes-gcm-256\n" \
	" prf sha384\n"

/* With AES-GCM the AAD covers Fragment Number and Total Fragments. */
Test(ikev2_frag, aes_gcm_ike_sa, .fini = teardown)
{
	struct ike_sa_info *info = NULL;

	start(CFG_A(FRAG_150) GCM, CFG_B(FRAG_150) GCM, count_only);
	bring_up();
	cr_assert_eq(ike_get_sas(a.ike, &info), 1);
	cr_assert_str_eq(info[0].encr, "aes-gcm", "the IKE SA uses %s",
			 info[0].encr);
	free(info);
	cr_assert_geq(skf_sent[0], 3, "A sent %zu fragments", skf_sent[0]);
	cr_assert_geq(skf_sent[1], 3, "B sent %zu fragments", skf_sent[1]);
	cr_assert_eq(skf_too_long[0] + skf_too_long[1], 0);
	cr_assert_eq(stats(&a).frag_reassembled, 1);
	cr_assert_eq(stats(&b).frag_reassembled, 1);
	cr_assert_eq(stats(&a).frag_dropped + stats(&b).frag_dropped, 0);
}

Test(ikev2_frag, default_mtu_and_show, .fini = teardown)
{
	struct fixture fx;
	const char *out;

	start(CFG_A("crypto ikev2 fragmentation\n"),
	      CFG_B("crypto ikev2 fragmentation\n"), count_only);
	bring_up();
	/* IKE_AUTH fits the default MTU of 576: it goes whole. */
	cr_assert_eq(skf_sent[0] + skf_sent[1], 0);
	cr_assert_eq(sa_frag_mtu(&a), 576);
	fx_open(&fx);
	fx.router.ike = a.ike;
	vty_enter_mode(&fx.vty, MODE_PRIV_EXEC, NULL);
	out = fx_run(&fx, "show crypto ikev2 sa detailed");
	cr_assert(strstr(out, "      IETF Std Fragmentation  enabled.\n") !=
		  NULL, "%s", out);
	cr_assert(strstr(out, "      IETF Std Fragmentation MTU in use: "
			 "548 bytes.\n") != NULL, "%s", out);
	cr_assert(strstr(out, "Fragmentation not  configured") == NULL, "%s",
		  out);
	fx_close(&fx);
}

Test(ikev2_frag, peer_without_fragmentation, .fini = teardown)
{
	struct fixture fx;
	const char *out;

	start(CFG_A(FRAG_150), CFG_B(""), count_only);
	bring_up();
	cr_assert_eq(skf_sent[0], 0, "A fragmented without B's notify");
	cr_assert_eq(skf_sent[1], 0);
	cr_assert_geq(sk_sent[0], 1);
	cr_assert_eq(sa_frag_mtu(&a), 0);
	cr_assert_eq(sa_frag_mtu(&b), 0);
	fx_open(&fx);
	fx.router.ike = a.ike;
	vty_enter_mode(&fx.vty, MODE_PRIV_EXEC, NULL);
	out = fx_run(&fx, "show crypto ikev2 sa detailed");
	cr_assert(strstr(out, "      Fragmentation not  configured.\n") != NULL,
		  "%s", out);
	fx_close(&fx);
}

Test(ikev2_frag, lost_fragment_retransmitted, .fini = teardown)
{
	struct ike_v2_stats sa_, sb;
	size_t first_round;

	start(CFG_A(FRAG_150), CFG_B(FRAG_150), lose_fragment_2);
	bring_up();
	cr_assert(lost_one, "no fragment 2 was lost");
	sa_ = stats(&a);
	sb = stats(&b);
	/* Each retransmission resent every fragment of IKE_AUTH. */
	cr_assert_geq(sa_.tx_req[IKE_V2_AUTH], 2, "IKE_AUTH not retransmitted");
	first_round = sa_.frag_tx / sa_.tx_req[IKE_V2_AUTH];
	cr_assert_eq(sa_.frag_tx % sa_.tx_req[IKE_V2_AUTH], 0,
		     "A sent %llu fragments in %llu IKE_AUTH requests",
		     (unsigned long long)sa_.frag_tx,
		     (unsigned long long)sa_.tx_req[IKE_V2_AUTH]);
	cr_assert_geq(first_round, 3);
	cr_assert_eq(sb.frag_reassembled, 1);
	/* Fragment 1 of the second round repeats one B held. */
	cr_assert_geq(sb.frag_dropped, 1);
}

/* Waits until B has dropped N fragments in all. */
static bool
b_frag_dropped(uint64_t n)
{
	for (int i = 0; i < 500; i++) {
		uint64_t d = stats(&b).frag_dropped;

		if (d >= n)
			return d == n;
		nap();
	}
	return false;
}

static bool
b_frag_received(uint64_t n)
{
	for (int i = 0; i < 500; i++) {
		if (stats(&b).frag_rx >= n)
			return stats(&b).frag_rx == n;
		nap();
	}
	return false;
}

static void
post_to_b(const struct dp_ike_packet *pkt)
{
	struct dp_ike_packet *in = malloc(sizeof(*in));

	cr_assert(in != NULL);
	*in = *pkt;
	snprintf(in->ifname, sizeof(in->ifname), "GigabitEthernet1");
	ike_post_packet(b.ike, in);
	free(in);
}

static void
set_u16(struct dp_ike_packet *pkt, size_t off, unsigned v)
{
	pkt->data[off] = (uint8_t)(v >> 8);
	pkt->data[off + 1] = (uint8_t)v;
}

/* Waits until A's send hook has kept every fragment of one message.
 * Returns their number, or 0 when it timed out. */
static size_t
wait_held(void)
{
	size_t total = 0;

	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&held_lock);
		total = nheld > 0 ? total_fragments(&held[0]) : 0;
		if (total > 0 && nheld == total) {
			pthread_mutex_unlock(&held_lock);
			return total;
		}
		pthread_mutex_unlock(&held_lock);
		nap();
	}
	return 0;
}

/*
 * B receives A's real IKE_AUTH fragments and altered copies: each bad
 * one is counted and dropped without disturbing the reassembly, and the
 * genuine set still brings the SA up.
 */
Test(ikev2_frag, malformed_fragments_dropped, .fini = teardown)
{
	struct dp_ike_packet f1, bad;
	uint64_t n = 0;
	size_t total;

	start(CFG_A(FRAG_150), CFG_B(FRAG_150), hold_fragments);
	ikt_log_start();
	debug_set(DEBUG_CRYPTO_IKEV2, true);
	holding = true;
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	total = wait_held();
	cr_assert_geq(total, 3, "A's IKE_AUTH has %zu fragments", total);
	cr_assert_eq(nheld, total);
	f1 = held[0];

	bad = f1;
	set_u16(&bad, 32, 0);
	post_to_b(&bad);
	cr_assert(b_frag_dropped(++n), "Fragment Number 0");

	bad = f1;
	set_u16(&bad, 32, total + 1);
	post_to_b(&bad);
	cr_assert(b_frag_dropped(++n), "Fragment Number above Total Fragments");

	bad = f1;
	set_u16(&bad, 34, 0);
	post_to_b(&bad);
	cr_assert(b_frag_dropped(++n), "Total Fragments 0");

	bad = f1;
	set_u16(&bad, 34, 65);
	post_to_b(&bad);
	cr_assert(b_frag_dropped(++n), "Total Fragments above the limit");

	bad = f1;
	bad.data[bad.len - 1] ^= 0xff;
	post_to_b(&bad);
	cr_assert(b_frag_dropped(++n), "bad ICV");

	bad = f1;
	set_u16(&bad, 30, 9);
	post_to_b(&bad);
	cr_assert(b_frag_dropped(++n), "payload length short of the message");

	/* Fragment 1 is kept, and a copy of it is a duplicate. */
	post_to_b(&f1);
	cr_assert(b_frag_received(1), "fragment 1 not kept");
	post_to_b(&f1);
	cr_assert(b_frag_dropped(++n), "duplicate fragment 1");

	/* Fragment 2 claiming fewer fragments than fragment 1 did. */
	bad = held[1];
	set_u16(&bad, 34, total - 1);
	post_to_b(&bad);
	cr_assert(b_frag_dropped(++n), "Total Fragments changed down");

	/* A forged larger Total Fragments does not restart reassembly. */
	bad = held[1];
	set_u16(&bad, 34, total + 1);
	post_to_b(&bad);
	cr_assert(b_frag_dropped(++n), "Total Fragments changed up, forged");

	cr_assert_eq(ikt_count(&b, false), 0, "B finished IKE_AUTH early");
	for (size_t i = 1; i < total; i++)
		post_to_b(&held[i]);
	holding = false;
	cr_assert(ikt_wait(&a, &b, both_pairs, 10), "the genuine fragments "
		  "did not bring the SA up");
	cr_assert_eq(stats(&b).frag_reassembled, 1);
	cr_assert_geq(ikt_log_count("dropped: malformed"), 5);
	cr_assert_eq(ikt_log_count("dropped: authentication failed"), 2);
	cr_assert_eq(ikt_log_count("dropped: duplicate"), 1);
	cr_assert_eq(ikt_log_count("dropped: Total Fragments smaller than "
				   "before"), 1);
}

/* An IKE SA without fragmentation drops every SKF message, both as a
 * repeat of the request it answered and as the next request. */
Test(ikev2_frag, fragment_without_negotiation_dropped, .fini = teardown)
{
	struct dp_ike_packet skf;

	start(CFG_A(FRAG_150), CFG_B(""), count_only);
	ikt_log_start();
	debug_set(DEBUG_CRYPTO_IKEV2, true);
	bring_up();
	pthread_mutex_lock(&a.lock);
	skf = a.last;
	pthread_mutex_unlock(&a.lock);
	cr_assert_eq(skf.data[18], IKEV2_IKE_AUTH, "A last sent exchange %u",
		     skf.data[18]);
	skf.data[16] = IKEV2_NP_SKF;
	post_to_b(&skf);
	cr_assert(b_frag_dropped(1), "SKF repeat of IKE_AUTH");
	skf.data[23] = 2;
	post_to_b(&skf);
	cr_assert(b_frag_dropped(2), "SKF as the next request");
	cr_assert_eq(ikt_log_count("dropped: fragmentation not negotiated"),
		     2);
	cr_assert_eq(stats(&b).frag_rx, 0);
}

static _Atomic double fake_now = 1000.0;

static double
fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void
teardown_clock(void)
{
	ikt_pair_stop(&a, &b);
	ikt_set_clock(NULL, NULL);
}

static bool
b_logged(const char *text)
{
	for (int i = 0; i < 500; i++) {
		if (ikt_log_count(text) > 0)
			return true;
		nap();
	}
	return false;
}

/*
 * A child rekey's CREATE_CHILD_SA goes as fragments. B keeps fragment 1
 * for 30 s on the manager's clock and then discards it, so the rest
 * alone completes nothing. A's retransmission then brings the rekey
 * through.
 */
Test(ikev2_frag, reassembly_times_out, .fini = teardown_clock)
{
	struct dp_sa_event ev = { .kind = DP_SA_SOFT_EXPIRED };
	uint64_t children, rx;
	size_t total;
	char line[96];

	ikt_set_clock(fake_clock, NULL);
	start(CFG_A(FRAG_150), CFG_B(FRAG_150), hold_fragments);
	bring_up();
	ikt_log_start();
	debug_set(DEBUG_CRYPTO_IKEV2, true);
	children = stats(&b).child_established;

	holding = true;
	ev.spi = 0;
	pthread_mutex_lock(&a.lock);
	for (size_t i = 0; i < a.nsas; i++)
		if (!a.sas[i].params.outbound)
			ev.spi = a.sas[i].params.spi;
	pthread_mutex_unlock(&a.lock);
	ev.dst = a.addr;
	ike_post_sa_event(a.ike, &ev);
	total = wait_held();
	cr_assert_geq(total, 2, "the rekey request was not fragmented");
	cr_assert_eq(held[0].data[18], IKEV2_CREATE_CHILD_SA);

	rx = stats(&b).frag_rx;
	post_to_b(&held[0]);
	cr_assert(b_frag_received(rx + 1), "fragment 1 not kept");
	/* Past the 30 s that B keeps a message's fragments. */
	fake_now = fake_now + 31;
	snprintf(line, sizeof(line), "timed out with 1 of %zu fragments",
		 total);
	cr_assert(b_logged(line), "B kept fragment 1 past the timeout");

	for (size_t i = 1; i < total; i++)
		post_to_b(&held[i]);
	for (int i = 0; i < 20; i++)
		nap();
	cr_assert_eq(stats(&b).child_established, children,
		     "B completed a message without fragment 1");

	holding = false;
	fake_now = fake_now + 60;
	cr_assert(ikt_wait(&a, &b, both_pairs, 10));
	for (int i = 0; i < 500 && stats(&b).child_established == children;
	     i++)
		nap();
	cr_assert_eq(stats(&b).child_established, children + 1,
		     "the retransmitted fragments did not complete the rekey");
}

Test(ikev2_frag, config_rendered)
{
	struct fixture fx;
	const char *out;

	fx_open(&fx);
	fx_run(&fx, "crypto ikev2 fragmentation");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	out = fx_render(&fx);
	cr_assert(strstr(out, "\ncrypto ikev2 fragmentation\n") != NULL, "%s",
		  out);
	fx_run(&fx, "crypto ikev2 fragmentation mtu 1200");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	out = fx_render(&fx);
	cr_assert(strstr(out, "\ncrypto ikev2 fragmentation mtu 1200\n") !=
		  NULL, "%s", out);
	fx_run(&fx, "crypto ikev2 fragmentation mtu 67");
	cr_assert_neq(fx.result, CMD_SUCCESS, "MTU 67 accepted");
	out = fx_render(&fx);
	cr_assert(strstr(out, "\ncrypto ikev2 fragmentation mtu 1200\n") !=
		  NULL, "a rejected MTU changed the config:\n%s", out);
	fx_run(&fx, "no crypto ikev2 fragmentation");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	out = fx_render(&fx);
	cr_assert(strstr(out, "fragmentation") == NULL, "%s", out);
	fx_close(&fx);
}
