/*
 * Malformed payloads inside a valid encrypted message, IKEv2 and IKEv1.
 * The peer of tests/fuzz/fuzz_peer.c negotiates with a real manager and
 * then encrypts and authenticates payload chains that are wrong in one
 * way each. Every one must get the RFC response or a counted drop, leave
 * the IKE SA and its child SAs as they were, and the SA must still
 * respond to a liveness check and negotiate a new child SA afterwards.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_peer.h"
#include "ikemgr/isakmp.h"

static struct router router;
static struct fz_v2 peer;

static void
teardown(void)
{
	fz_ike_close(&router);
}

static uint64_t
dropped(void)
{
	struct ike_counters c;

	ike_get_counters(router.ike, &c);
	return c.packets_dropped;
}

static size_t
children(void)
{
	struct ike_v2_child_info *c = NULL;
	int n = ike_get_v2_children(router.ike, &c);

	free(c);
	cr_assert_geq(n, 0);
	return (size_t)n;
}

/* The one IKEv2 SA of the manager. */
static struct ike_sa_info
the_sa(void)
{
	struct ike_sa_info *sas = NULL, found = { 0 };
	int n = ike_get_sas(router.ike, &sas), k = 0;

	for (int i = 0; i < n; i++)
		if (sas[i].version == 2) {
			found = sas[i];
			k++;
		}
	free(sas);
	cr_assert_eq(k, 1, "%d IKEv2 SAs, expected one", k);
	return found;
}

/* The manager's outbound SPI of its one child SA: the SPI the peer
 * receives on, which a DELETE from the peer names. */
static uint32_t
child_spi_out(void)
{
	struct ike_v2_child_info *c = NULL;
	int n = ike_get_v2_children(router.ike, &c);
	uint32_t spi;

	cr_assert_eq(n, 1, "%d child SAs, expected one", n);
	spi = c[0].spi_out;
	free(c);
	return spi;
}

static void
setup_v2(void)
{
	fz_ike_open(&router, &fz_capture, fz_config_v2);
	cr_assert(fz_v2_establish(&peer, &router, 1), "no IKE SA");
	cr_assert_eq(children(), 1);
}

/* One payload of a chain that build() writes. */
struct pl {
	uint8_t type;
	bool critical;
	const void *body;
	size_t len;
};

/* Writes the chain of the N payloads PLS into OUT; returns its length. */
static size_t
build(const struct pl *pls, size_t n, uint8_t *out, size_t cap)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		cr_assert_leq(off + 4 + pls[i].len, cap);
		out[off] = i + 1 < n ? pls[i + 1].type : 0;
		out[off + 1] = pls[i].critical ? 0x80 : 0;
		out[off + 2] = (uint8_t)((4 + pls[i].len) >> 8);
		out[off + 3] = (uint8_t)(4 + pls[i].len);
		memcpy(out + off + 4, pls[i].body, pls[i].len);
		off += 4 + pls[i].len;
	}
	return off;
}

/*
 * Sends CHAIN (first payload FIRST) as a request of EXCHANGE with MSGID
 * and returns whether the manager responded. The response, decrypted,
 * is in *M.
 */
static bool
request(uint8_t exchange, uint32_t msgid, uint8_t first,
	const uint8_t *chain, size_t len, struct ikev2_msg *m)
{
	static uint8_t msg[FZ_MSG_MAX];
	static struct dp_ike_packet reply;
	size_t count = fz_sent_count(), n;
	struct ikev2_hdr h;

	n = fz_v2_seal(&peer, exchange, 0, msgid, first, chain, len, msg,
		       sizeof(msg));
	cr_assert_gt(n, 0);
	fz_post(&router, msg, n, 500);
	if (fz_sent_count() == count)
		return false;
	cr_assert(fz_last_sent(&reply));
	cr_assert(fz_v2_open(&peer, &reply, &h, m),
		  "the manager's message does not decrypt");
	cr_assert(h.flags & IKEV2_FLAG_R, "not a response");
	cr_assert_eq(h.msgid, msgid);
	cr_assert_eq(h.exchange, exchange);
	return true;
}

/* Sends a request with the next message ID that must get a response. */
static void
expect_response(uint8_t exchange, const struct pl *pls, size_t n,
		struct ikev2_msg *m)
{
	uint8_t chain[1024];
	size_t len = build(pls, n, chain, sizeof(chain));

	cr_assert(request(exchange, peer.next_msgid, n > 0 ? pls[0].type : 0,
			  chain, len, m),
		  "no response to request %u", peer.next_msgid);
	peer.next_msgid++;
}

/* Sends CHAIN as request MSGID, which the manager must drop and count
 * without a response. */
static void
expect_drop(const char *what, uint32_t msgid, uint8_t first,
	    const uint8_t *chain, size_t len)
{
	uint64_t before = dropped();
	struct ikev2_msg m;

	cr_assert_not(request(IKEV2_INFORMATIONAL, msgid, first, chain, len,
			      &m),
		      "%s: answered", what);
	cr_assert_eq(dropped(), before + 1, "%s: not counted as dropped",
		     what);
}

/* The data of a Notify payload (RFC 7296 3.10). */
struct notify_data {
	const uint8_t *p;
	size_t len;
};

/* Checks that the only payload of M is a Notify of TYPE without an SPI;
 * returns its data. */
static struct notify_data
only_notify(const struct ikev2_msg *m, uint16_t type)
{
	const struct ikev2_pl *pl = &m->pl[0];

	cr_assert_eq(m->n, 1, "%zu payloads in the response", m->n);
	cr_assert_eq(pl->type, IKEV2_NP_N, "payload %u, not a Notify",
		     pl->type);
	cr_assert_geq(pl->len, 4);
	cr_assert_eq(pl->body[1], 0, "SPI size %u", pl->body[1]);
	cr_assert_eq(ikev2_get_be16(pl->body + 2), type,
		     "notify %u, expected %u", ikev2_get_be16(pl->body + 2),
		     type);
	return (struct notify_data){ pl->body + 4, pl->len - 4 };
}

/*
 * Checks that the IKE SA WAS is still there, READY, with its child SA,
 * that an empty INFORMATIONAL gets an empty response and that a
 * CREATE_CHILD_SA request gets a new child SA pair.
 */
static void
assert_sa_alive(const struct ike_sa_info *was, size_t nchildren)
{
	struct ike_sa_info now = the_sa();
	uint8_t chain[512];
	struct ikev2_msg m;
	size_t len;

	cr_assert_str_eq(now.state, "READY");
	cr_assert_eq(memcmp(now.icookie, was->icookie, 8), 0);
	cr_assert_eq(memcmp(now.rcookie, was->rcookie, 8), 0);
	cr_assert_eq(now.remote_msgid, peer.next_msgid,
		     "the manager expects request %u, the peer sends %u",
		     now.remote_msgid, peer.next_msgid);
	cr_assert_eq(children(), nchildren);

	expect_response(IKEV2_INFORMATIONAL, NULL, 0, &m);
	cr_assert_eq(m.n, 0, "the liveness check got %zu payloads", m.n);

	len = fz_v2_child_chain(0x20000001, false, chain, sizeof(chain));
	cr_assert(request(IKEV2_CREATE_CHILD_SA, peer.next_msgid,
			  IKEV2_NP_SA, chain, len, &m));
	peer.next_msgid++;
	cr_assert_not_null(ikev2_find(&m, IKEV2_NP_SA),
			   "CREATE_CHILD_SA refused after the bad message");
	cr_assert_eq(children(), nchildren + 1);
}

/* Sends an INFORMATIONAL request with an unknown payload of type 200,
 * with the CRITICAL bit or not, followed by a DELETE of the child SA.
 * The response is in *M. */
static void
unknown_then_delete(bool critical, struct ikev2_msg *m)
{
	static const uint8_t unknown_body[4] = { 1, 2, 3, 4 };
	uint8_t del[8] = { IKEV2_PROTO_ESP, 4, 0, 1 };
	struct pl pls[2] = {
		{ 200, critical, unknown_body, sizeof(unknown_body) },
		{ IKEV2_NP_D, false, del, sizeof(del) },
	};

	ikev2_put_be32(del + 4, child_spi_out());
	expect_response(IKEV2_INFORMATIONAL, pls, 2, m);
}

TestSuite(ikev2_sk_payloads, .init = setup_v2, .fini = teardown,
	  .timeout = 60);

/* RFC 7296 2.5: an unrecognized payload with the critical bit gets
 * UNSUPPORTED_CRITICAL_PAYLOAD with its type, and nothing else in the
 * request is acted on: the DELETE that follows it keeps its child. */
Test(ikev2_sk_payloads, critical_unknown_rejected)
{
	struct ike_sa_info sa = the_sa();
	struct ikev2_msg m;
	struct notify_data n;

	unknown_then_delete(true, &m);
	n = only_notify(&m, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	cr_assert_eq(n.len, 1);
	cr_assert_eq(n.p[0], 200);
	cr_assert_eq(children(), 1, "the DELETE after it was acted on");
	assert_sa_alive(&sa, 1);
}

Test(ikev2_sk_payloads, critical_unknown_in_create_child)
{
	struct ike_sa_info sa = the_sa();
	uint8_t chain[512];
	struct ikev2_msg m;
	struct notify_data n;
	size_t len = fz_v2_child_chain(0x20000002, false, chain + 8,
				       sizeof(chain) - 8);

	/* The unknown payload goes first and chains to the SA payload. */
	memcpy(chain, (const uint8_t[]){ IKEV2_NP_SA, 0x80, 0, 8, 1, 2, 3,
					 4 }, 8);
	cr_assert(request(IKEV2_CREATE_CHILD_SA, peer.next_msgid, 201, chain,
			  len + 8, &m));
	peer.next_msgid++;
	n = only_notify(&m, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	cr_assert_eq(n.len, 1);
	cr_assert_eq(n.p[0], 201);
	cr_assert_eq(children(), 1, "a child SA was added");
	assert_sa_alive(&sa, 1);
}

/* Without the critical bit an unrecognized payload is skipped and the
 * rest of the request is acted on. */
Test(ikev2_sk_payloads, noncritical_unknown_skipped)
{
	struct ike_sa_info sa = the_sa();
	struct ikev2_msg m;

	unknown_then_delete(false, &m);
	cr_assert_eq(m.n, 1);
	cr_assert_eq(m.pl[0].type, IKEV2_NP_D,
		     "the response does not delete the pair");
	cr_assert_eq(children(), 0, "the DELETE was not acted on");
	assert_sa_alive(&sa, 0);
}

/* A payload shorter than its own header, one longer than the rest of
 * the plaintext, and a chain whose last payload names a next one. No
 * payload of such a request can be trusted, so it is dropped and
 * counted, and its message ID stays unused. */
Test(ikev2_sk_payloads, bad_inner_lengths_dropped)
{
	struct ike_sa_info sa = the_sa();
	static const uint8_t short_pl[] = { 0, 0, 0, 2, 0, 0, 0, 0 };
	static const uint8_t long_pl[] = { 0, 0, 0, 40, 0, 0, 0, 0 };
	static const uint8_t past_end[] = { IKEV2_NP_N, 0, 0, 8, 0, 0, 0,
					    0 };

	expect_drop("payload length 2", peer.next_msgid, IKEV2_NP_N,
		    short_pl, sizeof(short_pl));
	expect_drop("payload length beyond the plaintext", peer.next_msgid,
		    IKEV2_NP_N, long_pl, sizeof(long_pl));
	expect_drop("chain past the end", peer.next_msgid, IKEV2_NP_N,
		    past_end, sizeof(past_end));
	assert_sa_alive(&sa, 1);
}

/* Message IDs other than the next one, inside a valid SK payload: the
 * previous one (with another message than the request it had) and ones
 * ahead. */
Test(ikev2_sk_payloads, wrong_message_ids_dropped)
{
	struct ike_sa_info sa = the_sa();
	static const uint8_t empty[1];

	expect_drop("previous message ID", peer.next_msgid - 1, 0, empty, 0);
	expect_drop("message ID ahead", peer.next_msgid + 1, 0, empty, 0);
	expect_drop("message ID far ahead", peer.next_msgid + 1000, 0, empty,
		    0);
	assert_sa_alive(&sa, 1);
}

/* Two SA payloads in one CREATE_CHILD_SA: INVALID_SYNTAX, no child. */
Test(ikev2_sk_payloads, duplicate_sa_rejected)
{
	struct ike_sa_info sa = the_sa();
	uint8_t chain[512], one[512];
	size_t len = fz_v2_child_chain(0x20000003, false, one, sizeof(one));
	size_t sa_len = (size_t)one[2] << 8 | one[3];
	struct ikev2_msg m;

	/* SA, SA, Nonce, TSi, TSr: the first SA chains to a copy of it. */
	memcpy(chain, one, sa_len);
	memcpy(chain + sa_len, one, len);
	chain[0] = IKEV2_NP_SA;
	cr_assert(request(IKEV2_CREATE_CHILD_SA, peer.next_msgid, IKEV2_NP_SA,
			  chain, sa_len + len, &m));
	peer.next_msgid++;
	only_notify(&m, IKEV2_N_INVALID_SYNTAX);
	cr_assert_eq(children(), 1, "a child SA was added");
	assert_sa_alive(&sa, 1);
}

/* RFC 7296 1.4.1: a DELETE of an SPI the manager does not know gets an
 * empty INFORMATIONAL response, and the real child stays. */
Test(ikev2_sk_payloads, delete_unknown_spi)
{
	struct ike_sa_info sa = the_sa();
	static const uint8_t del[8] = { IKEV2_PROTO_ESP, 4, 0, 1,
					0xde, 0xad, 0xbe, 0xef };
	struct pl pls[1] = { { IKEV2_NP_D, false, del, sizeof(del) } };
	struct ike_v2_stats st;
	struct ikev2_msg m;

	expect_response(IKEV2_INFORMATIONAL, pls, 1, &m);
	cr_assert_eq(m.n, 0, "the response has %zu payloads", m.n);
	ike_get_v2_stats(router.ike, &st);
	cr_assert_eq(st.delete_rx, 1);
	assert_sa_alive(&sa, 1);
}

/* A Notify whose SPI size runs past its body, and a DELETE whose SPI
 * count does not fit its length: INVALID_SYNTAX. */
Test(ikev2_sk_payloads, absurd_spi_sizes_rejected)
{
	struct ike_sa_info sa = the_sa();
	static const uint8_t notify[8] = { IKEV2_PROTO_ESP, 200, 0, 11,
					   0xde, 0xad, 0xbe, 0xef };
	static const uint8_t del[8] = { IKEV2_PROTO_ESP, 4, 0x40, 0,
					0xde, 0xad, 0xbe, 0xef };
	struct pl n_pl[1] = { { IKEV2_NP_N, false, notify, sizeof(notify) } };
	struct pl d_pl[1] = { { IKEV2_NP_D, false, del, sizeof(del) } };
	struct ikev2_msg m;

	expect_response(IKEV2_INFORMATIONAL, n_pl, 1, &m);
	only_notify(&m, IKEV2_N_INVALID_SYNTAX);
	expect_response(IKEV2_INFORMATIONAL, d_pl, 1, &m);
	only_notify(&m, IKEV2_N_INVALID_SYNTAX);
	cr_assert_eq(children(), 1);
	assert_sa_alive(&sa, 1);
}

/*
 * A response to the manager's own request with an unrecognized critical
 * payload is dropped and counted (RFC 7296 2.5: the message is
 * rejected). The request stays outstanding, and a valid response then
 * ends it.
 */
Test(ikev2_sk_payloads, critical_unknown_in_response)
{
	static uint8_t msg[512];
	static struct dp_ike_packet sent;
	struct ike_sa_info sa = the_sa();
	static const uint8_t chain[8] = { 0, 0x80, 0, 8, 1, 2, 3, 4 };
	uint32_t addr, msgid;
	struct ikev2_hdr h;
	uint64_t before;
	size_t n;

	inet_pton(AF_INET, FZ_PEER, &addr);
	cr_assert_gt(ike_clear(router.ike, IKE_CLEAR_PEER_SA, addr, 0), 0);
	cr_assert(fz_last_sent(&sent));
	cr_assert_eq(ikev2_parse_hdr(sent.data, sent.len, &h), 0);
	cr_assert_eq(h.exchange, IKEV2_INFORMATIONAL);
	cr_assert_not(h.flags & IKEV2_FLAG_R, "no DELETE request was sent");
	msgid = h.msgid;

	before = dropped();
	n = fz_v2_seal(&peer, IKEV2_INFORMATIONAL, IKEV2_FLAG_R, msgid, 200,
		       chain, sizeof(chain), msg, sizeof(msg));
	fz_post(&router, msg, n, 500);
	cr_assert_eq(dropped(), before + 1, "the response was not dropped");

	/* Had the bad response ended the request, this one would be
	 * dropped as a response to no request. */
	before = dropped();
	cr_assert(fz_v2_answer_last(&peer));
	cr_assert_eq(dropped(), before, "the valid response was dropped");
	assert_sa_alive(&sa, 0);
}

/* ---- IKEv1: Informational and Quick Mode after phase 1 ---- */

static struct fz_v1 v1;

static void
setup_v1(void)
{
	fz_ike_open(&router, &fz_capture, fz_config_v1);
	cr_assert(fz_v1_to_mm4(&v1, &router, 1), "no MM4");
	cr_assert(fz_v1_mm5(&v1), "phase 1 did not complete");
}

static void
teardown_v1(void)
{
	fz_v1_free(&v1);
	fz_ike_close(&router);
}

/* The one ISAKMP SA of the manager. */
static struct ike_sa_info
the_v1_sa(void)
{
	struct ike_sa_info *sas = NULL, found = { 0 };
	int n = ike_get_sas(router.ike, &sas), k = 0;

	for (int i = 0; i < n; i++)
		if (sas[i].version == 1) {
			found = sas[i];
			k++;
		}
	free(sas);
	cr_assert_eq(k, 1, "%d ISAKMP SAs, expected one", k);
	return found;
}

/*
 * Sends an Informational of message ID MSGID: a HASH(1) computed for
 * HASH_MSGID, then the N payloads PLS. Returns whether the manager sent
 * anything in return.
 */
static bool
v1_info(uint32_t msgid, uint32_t hash_msgid, const struct pl *pls, size_t n)
{
	static uint8_t msg[2048];
	uint8_t hash[IKE_HASH_MAX] = { 0 }, chain[1024];
	struct pl all[8] = { { ISAKMP_NP_HASH, false, hash,
			       v1.keys.prf_len } };
	size_t count = fz_sent_count(), len;

	cr_assert_lt(n, 8);
	memcpy(all + 1, pls, n * sizeof(*pls));
	len = build(all, n + 1, chain, sizeof(chain));
	fz_v1_fix_hash1(&v1, hash_msgid, ISAKMP_NP_HASH, chain, len);
	len = fz_v1_seal(&v1, ISAKMP_XCHG_INFO, msgid, ISAKMP_NP_HASH, chain,
			 len, msg, sizeof(msg));
	cr_assert_gt(len, 0);
	fz_post(&router, msg, len, 500);
	return fz_sent_count() != count;
}

/* A DPD R-U-THERE (RFC 3706) body with sequence SEQ. */
static size_t
r_u_there(uint8_t *body, uint32_t seq)
{
	ikev2_put_be32(body, ISAKMP_DOI_IPSEC);
	body[4] = ISAKMP_PROTO_ISAKMP;
	body[5] = 16;
	ikev2_put_be16(body + 6, ISAKMP_N_R_U_THERE);
	memcpy(body + 8, v1.icookie, 8);
	memcpy(body + 16, v1.rcookie, 8);
	ikev2_put_be32(body + 24, seq);
	return 28;
}

/*
 * Checks that the ISAKMP SA WAS is still there in QM_IDLE, that it
 * acknowledges an R-U-THERE and that a Quick Mode QM1 over it gets QM2.
 */
static void
assert_v1_alive(const struct ike_sa_info *was)
{
	static struct dp_ike_packet sent;
	struct ike_sa_info now = the_v1_sa();
	uint8_t body[28], chain[512], msg[1024];
	struct pl pls[1] = { { ISAKMP_NP_N, false, body, 0 } };
	struct isakmp_notify n;
	struct isakmp_msg m;
	size_t len;

	cr_assert_str_eq(now.state, "QM_IDLE");
	cr_assert_eq(memcmp(now.icookie, was->icookie, 8), 0);
	cr_assert_eq(memcmp(now.rcookie, was->rcookie, 8), 0);

	pls[0].len = r_u_there(body, 0x5151);
	cr_assert(v1_info(0x0d0d0d0d, 0x0d0d0d0d, pls, 1),
		  "no reply to R-U-THERE");
	cr_assert(fz_last_sent(&sent));
	len = fz_v1_open_p2(&v1, &sent);
	cr_assert_gt(len, 0, "the reply does not decrypt");
	cr_assert_eq(isakmp_parse_payloads(sent.data[16],
					   sent.data + ISAKMP_HDR_LEN, len,
					   &m), 0);
	cr_assert_eq(m.n, 2);
	cr_assert_eq(m.pl[1].type, ISAKMP_NP_N);
	cr_assert_eq(isakmp_parse_notify(m.pl[1].body, m.pl[1].len, &n), 0);
	cr_assert_eq(n.type, ISAKMP_N_R_U_THERE_ACK);
	cr_assert_eq(n.data_len, 4);
	cr_assert_eq(ikev2_get_be32(n.data), 0x5151);

	len = fz_v1_qm1_chain(&v1, 0x30000001, chain, sizeof(chain));
	fz_v1_fix_hash1(&v1, 0x0e0e0e0e, ISAKMP_NP_HASH, chain, len);
	len = fz_v1_seal(&v1, ISAKMP_XCHG_QUICK, 0x0e0e0e0e, ISAKMP_NP_HASH,
			 chain, len, msg, sizeof(msg));
	fz_post(&router, msg, len, 500);
	cr_assert(fz_last_sent(&sent));
	cr_assert_eq(sent.data[18], ISAKMP_XCHG_QUICK, "no QM2");
	cr_assert_eq(ikev2_get_be32(sent.data + 20), 0x0e0e0e0e);
}

TestSuite(ikev1_enc_payloads, .init = setup_v1, .fini = teardown_v1,
	  .timeout = 60);

/* A DELETE of an ESP SPI the manager does not know: acted on as a
 * valid message, and nothing is deleted. */
Test(ikev1_enc_payloads, delete_unknown_esp_spi)
{
	struct ike_sa_info sa = the_v1_sa();
	uint8_t del[16];
	struct pl pls[1] = { { ISAKMP_NP_D, false, del, sizeof(del) } };
	struct ike_counters c;
	uint64_t before = dropped();

	ikev2_put_be32(del, ISAKMP_DOI_IPSEC);
	del[4] = ISAKMP_PROTO_ESP;
	del[5] = 4;
	ikev2_put_be16(del + 6, 1);
	ikev2_put_be32(del + 8, 0xdeadbeef);
	ikev2_put_be32(del + 12, 0);
	pls[0].len = 12;
	cr_assert_not(v1_info(0x0a0a0a0a, 0x0a0a0a0a, pls, 1));
	ike_get_counters(router.ike, &c);
	cr_assert_eq(c.delete_received, 1);
	cr_assert_eq(dropped(), before);
	assert_v1_alive(&sa);
}

/* A DELETE of an ISAKMP SA whose cookies are not this SA's: the SA is
 * only deleted by a DELETE that names it (RFC 2408 3.15). */
Test(ikev1_enc_payloads, delete_other_isakmp_sa)
{
	struct ike_sa_info sa = the_v1_sa();
	uint8_t del[24];
	struct pl pls[1] = { { ISAKMP_NP_D, false, del, sizeof(del) } };

	ikev2_put_be32(del, ISAKMP_DOI_IPSEC);
	del[4] = ISAKMP_PROTO_ISAKMP;
	del[5] = 16;
	ikev2_put_be16(del + 6, 1);
	memcpy(del + 8, "other-i-cookie!!", 16);
	cr_assert_not(v1_info(0x0b0b0b0b, 0x0b0b0b0b, pls, 1));
	assert_v1_alive(&sa);
}

/* A notify whose SPI size runs past its body, and an R-U-THERE without
 * its sequence number: counted as dropped. */
Test(ikev1_enc_payloads, malformed_notifies_dropped)
{
	struct ike_sa_info sa = the_v1_sa();
	uint8_t absurd[12] = { 0, 0, 0, 1, ISAKMP_PROTO_ESP, 200, 0, 11,
			       0xde, 0xad, 0xbe, 0xef };
	uint8_t body[28];
	struct pl pls[1] = { { ISAKMP_NP_N, false, absurd, sizeof(absurd) } };
	uint64_t before = dropped();

	cr_assert_not(v1_info(0x0c0c0c01, 0x0c0c0c01, pls, 1));
	cr_assert_eq(dropped(), before + 1, "absurd SPI size not counted");
	pls[0].body = body;
	pls[0].len = r_u_there(body, 1) - 4;
	cr_assert_not(v1_info(0x0c0c0c02, 0x0c0c0c02, pls, 1),
		      "R-U-THERE without a sequence was acknowledged");
	cr_assert_eq(dropped(), before + 2, "short R-U-THERE not counted");
	assert_v1_alive(&sa);
}

/* HASH(1) of another message ID inside a message that decrypts and
 * parses: the hash covers the message ID, so it is a forgery. */
Test(ikev1_enc_payloads, hash_of_other_msgid_dropped)
{
	struct ike_sa_info sa = the_v1_sa();
	uint8_t body[28];
	struct pl pls[1] = { { ISAKMP_NP_N, false, body, 0 } };
	uint64_t before = dropped();

	pls[0].len = r_u_there(body, 2);
	cr_assert_not(v1_info(0x0f0f0f01, 0x0f0f0f02, pls, 1),
		      "R-U-THERE with a wrong HASH(1) was acknowledged");
	cr_assert_eq(dropped(), before + 1, "not counted as dropped");
	assert_v1_alive(&sa);
}

/* A payload shorter than its header inside the encrypted body. */
Test(ikev1_enc_payloads, bad_inner_length_dropped)
{
	static uint8_t msg[256];
	struct ike_sa_info sa = the_v1_sa();
	static const uint8_t chain[] = { ISAKMP_NP_N, 0, 0, 2, 0, 0, 0, 0 };
	uint64_t before = dropped();
	size_t len;

	len = fz_v1_seal(&v1, ISAKMP_XCHG_INFO, 0x10101010, ISAKMP_NP_HASH,
			 chain, sizeof(chain), msg, sizeof(msg));
	fz_post(&router, msg, len, 500);
	cr_assert_eq(dropped(), before + 1, "not counted as dropped");
	assert_v1_alive(&sa);
}

/*
 * A QM2 with a wrong HASH(2) for the Quick Mode the manager started: it
 * is dropped and counted, and the CBC chain of the exchange stays where
 * it was, so the peer's real QM2 still completes it with QM3.
 */
Test(ikev1_enc_payloads, forged_qm2_keeps_exchange)
{
	static struct dp_ike_packet sent;
	struct ike_sa_info sa = the_v1_sa();
	uint8_t chain[512], msg[1024], id[12];
	struct fz_v1_qm qm, forged;
	struct ike_counters c;
	uint32_t addr;
	uint64_t before;
	size_t len, n, count;

	inet_pton(AF_INET, FZ_PEER, &addr);
	cr_assert_eq(ike_initiate(router.ike, addr), 0);
	ike_sync(router.ike);
	cr_assert(fz_last_sent(&sent));
	cr_assert(fz_v1_take_qm1(&v1, &sent, &qm), "the manager sent no QM1");

	/* QM2 echoes the IDs of QM1: the manager's subnet first. */
	len = fz_v1_qm1_chain(&v1, 0x30000002, chain, sizeof(chain));
	memcpy(id, chain + len - 28, 12);
	memcpy(chain + len - 28, chain + len - 12, 12);
	memcpy(chain + len - 12, id, 12);

	before = dropped();
	forged = qm;
	n = fz_v1_seal_qm(&v1, &forged, ISAKMP_NP_HASH, chain, len, msg,
			  sizeof(msg));
	fz_post(&router, msg, n, 500);
	cr_assert_eq(dropped(), before + 1, "a zero HASH(2) was not dropped");

	fz_v1_fix_hash2(&v1, &qm, ISAKMP_NP_HASH, chain, len);
	n = fz_v1_seal_qm(&v1, &qm, ISAKMP_NP_HASH, chain, len, msg,
			  sizeof(msg));
	count = fz_sent_count();
	fz_post(&router, msg, n, 500);
	cr_assert_eq(fz_sent_count(), count + 1, "no reply to the real QM2");
	cr_assert(fz_last_sent(&sent));
	cr_assert_eq(sent.data[18], ISAKMP_XCHG_QUICK);
	cr_assert_eq(ikev2_get_be32(sent.data + 20), qm.msgid, "no QM3");
	ike_get_counters(router.ike, &c);
	cr_assert_eq(c.p2_established, 1);
	assert_v1_alive(&sa);
}

/* ---- IKEv2 with the manager as the initiator ---- */

static void
setup_v2_open(void)
{
	fz_ike_open(&router, &fz_capture, fz_config_v2);
}

/*
 * The manager initiates for its crypto map entry and the peer answers
 * IKE_SA_INIT. An IKE_AUTH response with an unknown critical payload is
 * dropped and counted; the valid one after it establishes the IKE SA
 * and its child SA.
 */
Test(ikev2_initiator_payloads, critical_unknown_in_auth_response,
     .init = setup_v2_open, .fini = teardown, .timeout = 60)
{
	static struct dp_ike_packet sent;
	uint8_t chain[512], bad[520], msg[1024];
	struct ikev2_msg m;
	struct ikev2_hdr h;
	uint32_t addr;
	uint64_t before;
	size_t len, n;

	inet_pton(AF_INET, FZ_PEER, &addr);
	cr_assert_eq(ike_initiate(router.ike, addr), 0);
	ike_sync(router.ike);
	cr_assert(fz_v2_answer_init(&peer, &router, 7));
	cr_assert(fz_last_sent(&sent));
	cr_assert(fz_v2_open(&peer, &sent, &h, &m),
		  "no IKE_AUTH request that decrypts");
	cr_assert_eq(h.exchange, IKEV2_IKE_AUTH);
	cr_assert_not(h.flags & IKEV2_FLAG_R);
	cr_assert_not_null(ikev2_find(&m, IKEV2_NP_IDI));

	len = fz_v2_auth_chain(&peer, FZ_PEER_SPI, chain, sizeof(chain));
	cr_assert_gt(len, 0);
	/* The unknown critical payload goes first and chains to IDr. */
	memcpy(bad, (const uint8_t[]){ IKEV2_NP_IDR, 0x80, 0, 8, 1, 2, 3,
				       4 }, 8);
	memcpy(bad + 8, chain, len);
	before = dropped();
	n = fz_v2_seal(&peer, IKEV2_IKE_AUTH, IKEV2_FLAG_R, h.msgid, 202, bad,
		       len + 8, msg, sizeof(msg));
	fz_post(&router, msg, n, 500);
	cr_assert_eq(dropped(), before + 1, "the response was not dropped");
	cr_assert_str_neq(the_sa().state, "READY");

	n = fz_v2_seal(&peer, IKEV2_IKE_AUTH, IKEV2_FLAG_R, h.msgid,
		       IKEV2_NP_IDR, chain, len, msg, sizeof(msg));
	fz_post(&router, msg, n, 500);
	cr_assert_eq(dropped(), before + 1, "the valid response was dropped");
	cr_assert_str_eq(the_sa().state, "READY");
	cr_assert_eq(children(), 1);
	cr_assert_eq(child_spi_out(), FZ_PEER_SPI);
}
