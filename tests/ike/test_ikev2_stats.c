/*
 * `show crypto ikev2 stats` on two IKE managers back to back: the
 * IKE_SA_INIT requests each side received and sent, accepted and
 * rejected, the COOKIE challenge with a missing, a valid and an invalid
 * COOKIE, and the half-open limit per peer. Every count comes from
 * messages that went through the managers.
 */
#include "ike_test.h"
#include "fixture.h"

#include "ikemgr/ikemgr.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ikt_side a, b;

#define CFG_A IKT_V2_SIDE("10.0.0.1", "10.0.0.2", "192.168.1.0", \
			      "192.168.2.0", "")
#define CFG_B(extra) \
	IKT_V2_SIDE("10.0.0.2", "10.0.0.1", "192.168.2.0", "192.168.1.0", \
		    "") extra

/* Offset of the first payload, and of a COOKIE notify's data there. */
#define FIRST_PAYLOAD		28
#define COOKIE_DATA		(FIRST_PAYLOAD + 8)

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
}

static struct ike_v2_stats
v2_stats(struct ikt_side *s)
{
	struct ike_v2_stats st;

	ike_get_v2_stats(s->ike, &st);
	return st;
}

static uint64_t want_init_in;

static bool
y_read_init(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	return v2_stats(y).sa_init_in >= want_init_in;
}

/* A's IKE_SA_INIT that returns B's COOKIE, kept by keep_cookie_retry(). */
static struct dp_ike_packet cookie_retry;
static bool have_cookie_retry;

static bool
keep_cookie_retry(struct ikt_side *s, const struct dp_ike_packet *pkt)
{
	(void)s;
	/* Header: exchange type at 18, first payload type at 16; the
	 * notify type is at 6 in the payload. */
	if (pkt->len > COOKIE_DATA + 4 && pkt->data[18] == 34 &&
	    pkt->data[16] == 41 &&
	    pkt->data[FIRST_PAYLOAD + 6] == 0x40 &&
	    pkt->data[FIRST_PAYLOAD + 7] == 0x06) {
		cookie_retry = *pkt;
		have_cookie_retry = true;
	}
	return true;
}

/* Sends A's first IKE_SA_INIT, lost on the way, and returns it. */
static struct dp_ike_packet
lost_sa_init(void)
{
	struct dp_ike_packet tmpl;

	a.drop_all = true;
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikt_sent_any, 10), "A sent nothing");
	pthread_mutex_lock(&a.lock);
	tmpl = a.last;
	pthread_mutex_unlock(&a.lock);
	cr_assert_eq(tmpl.data[18], 34, "A sent no IKE_SA_INIT");
	ike_clear(a.ike, IKE_CLEAR_IKEV2, 0, 0);
	a.drop_all = false;
	return tmpl;
}

/* Posts TMPL to B from SRC with its SPIi changed by TAG, and waits until
 * B has read it. */
static void
post_forged(const struct dp_ike_packet *tmpl, uint32_t src, unsigned tag)
{
	struct dp_ike_packet *pkt = calloc(1, sizeof(*pkt));

	cr_assert(pkt != NULL);
	*pkt = *tmpl;
	pkt->src = src;
	pkt->data[0] = 0xf1;
	pkt->data[1] = (uint8_t)(tag >> 8);
	pkt->data[2] = (uint8_t)tag;
	want_init_in = v2_stats(&b).sa_init_in + 1;
	ike_post_packet(b.ike, pkt);
	free(pkt);
	cr_assert(ikt_wait(&a, &b, y_read_init, 10), "B did not read it");
}

static const char *
run_show(struct fixture *fx, struct ikt_side *side, const char *line)
{
	fx->router.ike = side->ike;
	vty_enter_mode(&fx->vty, MODE_PRIV_EXEC, NULL);
	return fx_run(fx, line);
}

static void
assert_line(const char *out, const char *line)
{
	cr_assert(strstr(out, line) != NULL, "no line\n%s\nin:\n%s", line,
		  out);
}

/*
 * B, with `crypto ikev2 cookie-challenge 1`, has one half-open SA
 * from a forged address. A's IKE_SA_INIT without a COOKIE is challenged,
 * its retry with the COOKIE gets through, and a copy of that retry with
 * the COOKIE altered is challenged again.
 */
Test(ikev2_stats, cookie_challenge_counts, .fini = teardown)
{
	struct dp_ike_packet tmpl, *bad;
	struct ike_v2_stats sa, sb;
	struct fixture fx;
	const char *out;

	ikt_pair_start(&a, CFG_A, &b,
		       CFG_B("crypto ikev2 cookie-challenge 1\n"));
	tmpl = lost_sa_init();
	post_forged(&tmpl, htonl(0x0a090001), 1);
	cr_assert_eq(v2_stats(&b).cookie_missing, 0,
		     "the first SA was challenged");

	a.on_send = keep_cookie_retry;
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikt_one_pair_each, 10), "A did not get through");
	cr_assert(have_cookie_retry, "A sent no IKE_SA_INIT with a COOKIE");

	bad = calloc(1, sizeof(*bad));
	cr_assert(bad != NULL);
	*bad = cookie_retry;
	bad->data[COOKIE_DATA + 5] ^= 0x01;
	bad->data[0] ^= 0x80;		/* another SPIi: no retransmission */
	want_init_in = v2_stats(&b).sa_init_in + 1;
	ike_post_packet(b.ike, bad);
	free(bad);
	cr_assert(ikt_wait(&a, &b, y_read_init, 10), "B did not read it");

	sb = v2_stats(&b);
	cr_assert_eq(sb.sa_init_in, 4);
	cr_assert_eq(sb.sa_init_in_accepted, 2);
	cr_assert_eq(sb.cookie_missing, 1);
	cr_assert_eq(sb.cookie_valid, 1);
	cr_assert_eq(sb.cookie_invalid, 1);
	cr_assert_eq(sb.cookie_tx, 2);
	cr_assert_eq(sb.sa_init_out, 0);
	sa = v2_stats(&a);
	/* The lost request, the challenged one and the retry. */
	cr_assert_eq(sa.sa_init_out, 3);
	cr_assert_eq(sa.sa_init_out_accepted, 1);
	cr_assert_eq(sa.sa_init_out_rejected, 1);
	cr_assert_eq(sa.sa_init_in, 0);

	fx_open(&fx);
	out = run_show(&fx, &b, "show crypto ikev2 stats");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	assert_line(out,
		    "--------------------------------------------------------"
		    "------------------------\n"
		    "                          Crypto IKEv2 SA Statistics\n"
		    "--------------------------------------------------------"
		    "------------------------\n"
		    "System Resource Limit:   0        Max IKEv2 SAs: 0        "
		    "Max in nego(in/out): 1024/0\n");
	/* The forged SA is still half open. */
	assert_line(out, "Total incoming IKEv2 SA Count:    2        "
			 "active:        1        negotiating: 1\n"
			 "Total outgoing IKEv2 SA Count:    0        "
			 "active:        0        negotiating: 0\n"
			 "Incoming IKEv2 Requests: 4        "
			 "accepted:      2        rejected:    2\n"
			 "Outgoing IKEv2 Requests: 0        "
			 "accepted:      0        rejected:    0\n"
			 "Rejected IKEv2 Requests: 0        "
			 "rsrc low:      0        SA limit:    0\n");
	assert_line(out, "Incoming IKEV2 Cookie Challenged Requests: 3\n"
			 "    accepted: 1        rejected: 1        "
			 "rejected no cookie: 1\n");
	assert_line(out, "Total Deleted sessions of Cert Revoked Peers: 0\n");

	out = run_show(&fx, &a, "show crypto ikev2 stats");
	assert_line(out, "Total incoming IKEv2 SA Count:    0        "
			 "active:        0        negotiating: 0\n"
			 "Total outgoing IKEv2 SA Count:    1        "
			 "active:        1        negotiating: 0\n"
			 "Incoming IKEv2 Requests: 0        "
			 "accepted:      0        rejected:    0\n"
			 "Outgoing IKEv2 Requests: 3        "
			 "accepted:      1        rejected:    1\n");
	assert_line(out, "Incoming IKEV2 Cookie Challenged Requests: 0\n"
			 "    accepted: 0        rejected: 0        "
			 "rejected no cookie: 0\n");
	fx_close(&fx);
}

/* Without the COOKIE challenge, B answers 16 IKE_SA_INIT requests from
 * one address and drops the next for the limit of half-open SAs per
 * peer, which shows as a request rejected for low resources. */
Test(ikev2_stats, half_open_limit_counts, .fini = teardown)
{
	struct dp_ike_packet tmpl;
	struct ike_v2_stats sb;
	struct fixture fx;
	const char *out;

	ikt_pair_start(&a, CFG_A, &b, CFG_B(""));
	tmpl = lost_sa_init();
	for (unsigned i = 1; i <= 17; i++)
		post_forged(&tmpl, htonl(0x0a090001), i);

	sb = v2_stats(&b);
	cr_assert_eq(sb.sa_init_in, 17);
	cr_assert_eq(sb.sa_init_in_accepted, 16);
	cr_assert_eq(sb.sa_init_in_half_open, 1);
	cr_assert_eq(sb.cookie_missing + sb.cookie_valid + sb.cookie_invalid,
		     0);

	fx_open(&fx);
	out = run_show(&fx, &b, "show crypto ikev2 stats");
	assert_line(out, "Total incoming IKEv2 SA Count:    16       "
			 "active:        0        negotiating: 16\n");
	assert_line(out, "Incoming IKEv2 Requests: 17       "
			 "accepted:      16       rejected:    1\n");
	assert_line(out, "Rejected IKEv2 Requests: 1        "
			 "rsrc low:      1        SA limit:    0\n");
	assert_line(out, "Incoming IKEV2 Cookie Challenged Requests: 0\n");
	fx_close(&fx);
}

/* `clear crypto ikev2 stats` sets the request and COOKIE counters back to
 * 0, while the SA counts still show the SAs that exist. */
Test(ikev2_stats, clear_resets_counts, .fini = teardown)
{
	struct ike_v2_stats sb;
	struct fixture fx;
	const char *out;

	ikt_pair_start(&a, CFG_A, &b, CFG_B(""));
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikt_one_pair_each, 10), "no SA came up");
	sb = v2_stats(&b);
	cr_assert_eq(sb.sa_init_in, 1);
	cr_assert_eq(sb.sa_init_in_accepted, 1);

	fx_open(&fx);
	out = run_show(&fx, &b, "clear crypto ikev2 stats");
	cr_assert_eq(fx.result, CMD_SUCCESS, "clear failed:\n%s", out);
	sb = v2_stats(&b);
	cr_assert_eq(sb.sa_init_in, 0);
	cr_assert_eq(sb.sa_init_in_accepted, 0);
	cr_assert_eq(sb.rx_req[IKE_V2_AUTH], 0);
	out = run_show(&fx, &b, "show crypto ikev2 stats");
	assert_line(out, "Total incoming IKEv2 SA Count:    1        "
			 "active:        1        negotiating: 0\n");
	assert_line(out, "Incoming IKEv2 Requests: 0        "
			 "accepted:      0        rejected:    0\n");
	out = run_show(&fx, &b, "show crypto ikev2 stats exchange");
	assert_line(out, "IKE_SA_INIT                             0"
			 "          0          0          0\n");
	fx_close(&fx);
}
