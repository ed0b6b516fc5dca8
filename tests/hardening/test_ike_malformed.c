/*
 * Malformed IKE after authentication, IKEv1 and IKEv2: messages that
 * carry the SPIs of an established IKE SA but a bad length, a truncated
 * or forged encrypted payload, a wrong message ID, or an unprotected
 * payload. Each must be dropped and counted, and the IKE SA must stay
 * and still negotiate a new IPsec SA pair afterwards.
 */
#include "ike_hardening.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct ikt_side a, b;

static const char v1_a[] =
	IKH_SIDE(IKH_V1_POLICY "crypto isakmp key s3cret address 10.0.0.2\n",
		 "10.0.0.1", "10.0.0.2", "192.168.1.0", "192.168.2.0", "");
static const char v1_b[] =
	IKH_SIDE(IKH_V1_POLICY "crypto isakmp key s3cret address 10.0.0.1\n",
		 "10.0.0.2", "10.0.0.1", "192.168.2.0", "192.168.1.0", "");
static const char v2_a[] = IKH_V2_A;
static const char v2_b[] = IKH_V2_B;

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
}

/* The one IKE SA of VERSION on S, with its state; fails without one. */
static struct ike_sa_info
the_sa(struct ikt_side *s, int version)
{
	struct ike_sa_info *sas = NULL, found = { 0 };
	int n = ike_get_sas(s->ike, &sas), k = 0;

	for (int i = 0; i < n; i++)
		if (sas[i].version == version) {
			found = sas[i];
			k++;
		}
	free(sas);
	cr_assert_eq(k, 1, "%d IKE SAs of version %d", k, version);
	return found;
}

static uint64_t
dropped(struct ikt_side *s)
{
	struct ike_counters k;

	ike_get_counters(s->ike, &k);
	return k.packets_dropped;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Sends B a message from A of LEN octets: the header of SA with NEXT,
 * EXCHANGE, FLAGS and MSGID, its length field LEN_FIELD, then BODY.
 * Waits until B counts it as dropped.
 */
static void
send_bad(const char *what, const struct ike_sa_info *sa, uint8_t version,
	 uint8_t next, uint8_t exchange, uint8_t flags, uint32_t msgid,
	 uint32_t len_field, const uint8_t *body, size_t body_len)
{
	uint8_t msg[28 + 256];
	uint64_t before = dropped(&b);
	int tries;

	cr_assert_leq(28 + body_len, sizeof(msg));
	memcpy(msg, sa->icookie, 8);
	memcpy(msg + 8, sa->rcookie, 8);
	msg[16] = next;
	msg[17] = version;
	msg[18] = exchange;
	msg[19] = flags;
	put32(msg + 20, msgid);
	put32(msg + 24, len_field);
	memcpy(msg + 28, body, body_len);
	ikh_post(&b, a.addr, msg, 28 + body_len);
	for (tries = 0; tries < 5000 && dropped(&b) == before; tries++)
		ikh_nap();
	cr_assert_eq(dropped(&b), before + 1, "%s: not counted as dropped",
		     what);
}

/* Random octets that stand for ciphertext no key of ours produced. */
static void
noise(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* Brings up a tunnel from A to B and returns B's IKE SA of VERSION. */
static struct ike_sa_info
bring_up(const char *cfg_a, const char *cfg_b, int version)
{
	struct ike_sa_info sa;

	ikt_pair_start(&a, cfg_a, &b, cfg_b);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikh_both_pairs, 10), "no tunnel");
	sa = the_sa(&b, version);
	cr_assert_str_eq(sa.state, version == 1 ? "QM_IDLE" : "READY");
	return sa;
}

/* Checks that B still has the same established IKE SA and that it
 * negotiates a new IPsec SA pair when A requests one. */
static void
assert_sa_alive(int version, const struct ike_sa_info *was)
{
	struct ike_sa_info now = the_sa(&b, version);

	cr_assert_str_eq(now.state, version == 1 ? "QM_IDLE" : "READY");
	cr_assert_eq(memcmp(now.icookie, was->icookie, 8), 0);
	cr_assert_eq(memcmp(now.rcookie, was->rcookie, 8), 0);
	cr_assert(ikh_both_pairs(&a, &b), "the IPsec SAs went");
	cr_assert_gt(ike_clear(a.ike, IKE_CLEAR_PEER_SA, b.addr, 0), 0);
	cr_assert(ikt_wait(&b, &a, ikh_no_sas, 10), "B kept its IPsec SAs");
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikh_both_pairs, 10),
		  "no new IPsec SA pair over the IKE SA");
	now = the_sa(&b, version);
	cr_assert_eq(memcmp(now.icookie, was->icookie, 8), 0,
		     "a new IKE SA was needed");
}

#define V1_E		0x01		/* ISAKMP encryption flag */
#define V1_INFO		5
#define V1_QM		32
#define V1_NP_HASH	8
#define V1_NP_DELETE	12

Test(ike_malformed, ikev1_after_auth, .fini = teardown, .timeout = 120)
{
	struct ike_sa_info sa;
	uint8_t body[256];

	sa = bring_up(v1_a, v1_b, 1);

	noise(body, sizeof(body), 1);
	send_bad("length field beyond the packet", &sa, 0x10, V1_NP_HASH,
		 V1_INFO, V1_E, 0x1234, 28 + 200, body, 32);
	send_bad("encrypted body not a whole block", &sa, 0x10, V1_NP_HASH,
		 V1_INFO, V1_E, 0x1235, 28 + 17, body, 17);
	send_bad("Informational with a forged hash", &sa, 0x10, V1_NP_HASH,
		 V1_INFO, V1_E, 0x1236, 28 + 64, body, 64);
	noise(body, sizeof(body), 2);
	send_bad("Quick Mode of an unknown message ID", &sa, 0x10,
		 V1_NP_HASH, V1_QM, V1_E, 0x7777, 28 + 128, body, 128);
	/* An unprotected DELETE (RFC 2408 3.15) of an SPI that does not
	 * exist: after phase 1 only encrypted messages count. */
	memcpy(body, (const uint8_t[]){ 0, 0, 0, 16, 0, 0, 0, 1, 3, 4, 0, 1,
					0xde, 0xad, 0xbe, 0xef }, 16);
	send_bad("DELETE in clear", &sa, 0x10, V1_NP_DELETE, V1_INFO, 0,
		 0x1237, 28 + 16, body, 16);
	/* A payload length of 2, shorter than its own header. */
	memcpy(body, (const uint8_t[]){ 0, 0, 0, 2 }, 4);
	send_bad("payload length below 4", &sa, 0x10, V1_NP_DELETE, V1_INFO,
		 0, 0x1238, 28 + 4, body, 4);

	assert_sa_alive(1, &sa);
}

#define V2_VERSION	0x20
#define V2_FLAG_I	0x08
#define V2_INFO		37
#define V2_NP_SK	46

Test(ike_malformed, ikev2_after_auth, .fini = teardown, .timeout = 120)
{
	struct ike_sa_info sa;
	uint8_t body[256];

	sa = bring_up(v2_a, v2_b, 2);

	/* SK payload: generic header, IV, ciphertext, ICV; all forged. */
	noise(body, sizeof(body), 3);
	memcpy(body, (const uint8_t[]){ 0, 0, 0, 80 }, 4);
	send_bad("SK payload with a wrong ICV", &sa, V2_VERSION, V2_NP_SK,
		 V2_INFO, V2_FLAG_I, 2, 28 + 80, body, 80);
	send_bad("SK payload cut short", &sa, V2_VERSION, V2_NP_SK, V2_INFO,
		 V2_FLAG_I, 2, 28 + 20, body, 20);
	send_bad("message ID far ahead", &sa, V2_VERSION, V2_NP_SK, V2_INFO,
		 V2_FLAG_I, 1000, 28 + 80, body, 80);
	send_bad("length field beyond the packet", &sa, V2_VERSION,
		 V2_NP_SK, V2_INFO, V2_FLAG_I, 2, 28 + 200, body, 80);
	/* An unknown payload with the critical bit, outside any SK: no
	 * integrity protects it, so no UNSUPPORTED_CRITICAL_PAYLOAD is
	 * sent for it (RFC 7296 2.21.2). */
	memcpy(body, (const uint8_t[]){ 0, 0x80, 0, 8, 1, 2, 3, 4 }, 8);
	send_bad("unprotected unknown critical payload", &sa, V2_VERSION,
		 200, V2_INFO, V2_FLAG_I, 2, 28 + 8, body, 8);

	assert_sa_alive(2, &sa);
}

/* Milliseconds of the fake clock, read by the manager thread. */
static _Atomic uint64_t fake_ms = 1000000;

static double
fake_clock(void *ctx)
{
	(void)ctx;
	return (double)fake_ms / 1000.0;
}

static void
teardown_clock(void)
{
	ikt_pair_stop(&a, &b);
	ikt_set_clock(NULL, NULL);
}

static bool
b_lost_ike_sa(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	return ikt_ike_up(y) == 0;
}

static const char v1_b_dpd[] =
	IKH_SIDE(IKH_V1_POLICY "crypto isakmp keepalive 10 2 periodic\n"
		 "crypto isakmp key s3cret address 10.0.0.1\n",
		 "10.0.0.2", "10.0.0.1", "192.168.2.0", "192.168.1.0", "");

/*
 * `crypto isakmp keepalive 10 2 periodic` on B, and A silent: forged
 * Informationals with A's cookies keep coming and are dropped, and DPD
 * still declares A dead after its retries.
 */
Test(ike_malformed, forged_messages_keep_dpd, .fini = teardown_clock,
     .timeout = 120)
{
	struct timespec tick = { 0, 300 * 1000 * 1000 };
	struct ike_sa_info sa;
	uint8_t body[64];

	ikt_set_clock(fake_clock, NULL);
	sa = bring_up(v1_a, v1_b_dpd, 1);
	pthread_mutex_lock(&a.lock);
	a.drop_all = true;
	pthread_mutex_unlock(&a.lock);
	for (unsigned i = 0; i < 16; i++) {
		noise(body, sizeof(body), 10 + i);
		send_bad("forged Informational", &sa, 0x10, V1_NP_HASH,
			 V1_INFO, V1_E, 0x2000 + i, 28 + 64, body, 64);
		fake_ms += 2500;
		/* Let the manager's 100 ms timer tick see the new time. */
		nanosleep(&tick, NULL);
	}
	cr_assert(ikt_wait(&a, &b, b_lost_ike_sa, 2),
		  "forged messages kept a silent peer's IKE SA alive");
}
