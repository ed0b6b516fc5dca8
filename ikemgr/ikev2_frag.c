/*
 * IKEv2 message fragmentation (RFC 7383). Both ends announce
 * IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT. After that, a protected
 * message larger than the configured MTU leaves as Encrypted Fragment
 * (SKF) payloads, each encrypted and integrity-protected on its own. The
 * receiver authenticates every fragment before it keeps it and hands the
 * reassembled inner payloads to the normal path.
 */
#include "ikemgr/ikev2_frag.h"

#include "core/debug.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

/* IPv4 and UDP headers, and the non-ESP marker on port 4500. */
#define IP_UDP_LEN		28
#define NON_ESP_MARKER_LEN	4
/* Generic payload header, Fragment Number and Total Fragments. */
#define SKF_HDR_LEN		8
/*
 * The minimum plaintext octets a fragment carries. A small MTU with a
 * large IV and ICV leaves less room than this (MTU 68 with AES-CBC and
 * SHA-256 leaves none).
 * NOTE: such fragments are larger than the configured MTU.
 */
#define FRAG_PLAIN_MIN		32

/* One message of the peer being reassembled. */
struct v2_frag_rx {
	uint32_t msgid;
	uint8_t exchange;
	uint8_t first;			/* Next Payload of fragment 1 */
	uint16_t total;			/* Total Fragments */
	uint16_t held;
	size_t bytes;			/* plaintext octets kept */
	double started;
	uint8_t *part[IKEV2_FRAG_MAX];	/* plaintext by Fragment Number - 1 */
	size_t part_len[IKEV2_FRAG_MAX];
};

static const char *
exchange_name(uint8_t exchange)
{
	switch (exchange) {
	case IKEV2_IKE_AUTH: return "IKE_AUTH";
	case IKEV2_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case IKEV2_INFORMATIONAL: return "INFORMATIONAL";
	default: return "unknown exchange";
	}
}

static const char *
direction(uint8_t flags)
{
	return (flags & IKEV2_FLAG_R) ? "response" : "request";
}

/* ---- Negotiation ---- */

void
ikev2_frag_offer(struct ikev2_buf *b, const struct ikev2_config *c)
{
	if (c != NULL && c->frag_mtu != 0)
		ikev2_add_notify(b, 0, NULL, 0,
				 IKEV2_N_FRAGMENTATION_SUPPORTED, NULL, 0);
}

void
ikev2_frag_negotiate(struct v2_sa *sa, const struct ikev2_config *c,
		     const struct ikev2_msg *m)
{
	struct v2_notify n;

	sa->frag_mtu = 0;
	if (c == NULL || c->frag_mtu == 0)
		return;
	if (!ikev2_find_notify(m, IKEV2_N_FRAGMENTATION_SUPPORTED, &n)) {
		DBG(sa, "peer does not support IKEv2 fragmentation");
		return;
	}
	sa->frag_mtu = c->frag_mtu;
	DBG(sa, "IKEv2 fragmentation negotiated, MTU %u", sa->frag_mtu);
}

/* ---- Sending ---- */

/* Plaintext octets that fit one fragment of SA in an IKE message of at
 * most MAX_MSG octets, the padding and its length octet included. */
static size_t
chunk_len(const struct v2_sa *sa, size_t max_msg)
{
	bool aead = sa->algs.encr == IKEV2_ENCR_AES_GCM_16;
	size_t ivl = ikev2_iv_len(sa->algs.encr);
	/* The ICV of AES-GCM-16 has 16 octets. */
	size_t icv = aead ? 16 : ikev2_integ_icv_len(sa->algs.integ);
	size_t block = aead ? 4 : ivl;
	size_t over = IKEV2_HDR_LEN + SKF_HDR_LEN + ivl + icv;
	size_t room;

	if (block == 0 || max_msg < over + block)
		return FRAG_PLAIN_MIN;
	room = (max_msg - over) / block * block - 1;
	return room < FRAG_PLAIN_MIN ? FRAG_PLAIN_MIN : room;
}

void
ikev2_frags_free(struct ikev2_frags *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* Builds and seals fragment NUM of TOTAL carrying CHUNK[0..CHUNK_LEN)
 * into OUT[0..CAP), after the header of the original message MSG. */
static size_t
build_fragment(const struct v2_sa *sa, const uint8_t *msg, uint8_t first,
	       size_t num, size_t total, const uint8_t *chunk,
	       size_t chunk_len, uint8_t *out, size_t cap)
{
	size_t ivl = ikev2_iv_len(sa->algs.encr);
	size_t body = IKEV2_HDR_LEN + SKF_HDR_LEN + ivl;

	if (body + chunk_len > cap)
		return 0;
	memcpy(out, msg, IKEV2_HDR_LEN);
	out[16] = IKEV2_NP_SKF;
	/* RFC 7383 2.5: only fragment 1 names the first inner payload. */
	out[IKEV2_HDR_LEN] = num == 1 ? first : IKEV2_NP_NONE;
	out[IKEV2_HDR_LEN + 1] = 0;
	ikev2_put_be16(out + IKEV2_HDR_LEN + 4, (uint16_t)num);
	ikev2_put_be16(out + IKEV2_HDR_LEN + 6, (uint16_t)total);
	memcpy(out + body, chunk, chunk_len);
	return ikev2_seal_skf(&sa->algs, &sa->keys, sa->initiator, out,
			      body + chunk_len, cap, body);
}

size_t
ikev2_frag_split(struct ikemgr *ike, const struct v2_sa *sa,
		 const uint8_t *msg, size_t len, struct ikev2_frags *out)
{
	size_t max_msg, chunk, n, cap, ivl = ikev2_iv_len(sa->algs.encr);
	uint8_t *copy = NULL, *plain;
	size_t plain_len;

	memset(out, 0, sizeof(*out));
	if (sa->frag_mtu == 0 || len < IKEV2_HDR_LEN ||
	    msg[16] != IKEV2_NP_SK)
		return 0;
	/* The configured MTU is at least 68 octets. */
	max_msg = sa->frag_mtu - IP_UDP_LEN -
		  (sa->natt ? NON_ESP_MARKER_LEN : 0);
	if (len <= max_msg)
		return 0;
	/* Our own sealed message opens with our keys. */
	copy = ikev2_dup_msg(msg, len);
	if (copy == NULL ||
	    ikev2_open(&sa->algs, &sa->keys, sa->initiator, copy, len,
		       IKEV2_HDR_LEN, &plain, &plain_len) < 0)
		goto whole;
	chunk = chunk_len(sa, max_msg);
	n = (plain_len + chunk - 1) / chunk;
	if (n < 2 || n > IKEV2_FRAG_MAX) {
		DBG(sa, "%s %s of %zu octets not fragmented: %zu fragments of %zu octets needed",
		    exchange_name(msg[18]), direction(msg[19]), len, n, chunk);
		goto whole;
	}
	/* Each fragment: headers, IV, a chunk, padding of up to 16 octets,
	 * and an ICV of up to IKE_HASH_MAX octets. */
	cap = IKEV2_HDR_LEN + SKF_HDR_LEN + ivl + chunk + 16 + IKE_HASH_MAX;
	out->buf = malloc(n * cap);
	if (out->buf == NULL)
		goto whole;
	for (size_t i = 0; i < n; i++) {
		size_t off = i * chunk;
		size_t this = plain_len - off < chunk ? plain_len - off : chunk;

		out->off[i] = i * cap;
		out->len[i] = build_fragment(sa, copy, copy[IKEV2_HDR_LEN],
					     i + 1, n, plain + off, this,
					     out->buf + out->off[i], cap);
		if (out->len[i] == 0) {
			ikev2_frags_free(out);
			goto whole;
		}
	}
	out->n = n;
	ike->v2->stats.frag_tx += n;
	DBG(sa, "sending %s %s msgid %u as %zu fragments, MTU %u",
	    exchange_name(msg[18]), direction(msg[19]),
	    ikev2_get_be32(msg + 20), n, sa->frag_mtu);
	free(copy);
	return n;
whole:
	free(copy);
	return 0;
}

/* ---- Receiving ---- */

static void
rx_free(struct v2_frag_rx *rx)
{
	if (rx == NULL)
		return;
	for (size_t i = 0; i < IKEV2_FRAG_MAX; i++)
		free(rx->part[i]);
	free(rx);
}

void
ikev2_frag_free(struct v2_sa *sa)
{
	for (size_t i = 0; i < 2; i++) {
		rx_free(sa->frag_rx[i]);
		sa->frag_rx[i] = NULL;
	}
}

void
ikev2_frag_expire(struct v2_sa *sa, double now)
{
	for (size_t i = 0; i < 2; i++) {
		struct v2_frag_rx *rx = sa->frag_rx[i];

		if (rx == NULL || now - rx->started < IKEV2_FRAG_TIMEOUT_SEC)
			continue;
		DBG(sa, "reassembly of msgid %u timed out with %u of %u fragments",
		    rx->msgid, rx->held, rx->total);
		rx_free(rx);
		sa->frag_rx[i] = NULL;
	}
}

/* The fields of an SKF payload. */
struct skf {
	uint8_t next;
	uint16_t num, total;
};

/* Reads the SKF payload of MSG, which must be the only payload and end
 * the message. Returns false for a malformed one. */
static bool
read_skf(const struct ikev2_hdr *h, const uint8_t *msg, struct skf *f)
{
	size_t plen;

	if (h->next != IKEV2_NP_SKF ||
	    h->length < IKEV2_HDR_LEN + SKF_HDR_LEN)
		return false;
	plen = ikev2_get_be16(msg + IKEV2_HDR_LEN + 2);
	if (IKEV2_HDR_LEN + plen != h->length)
		return false;
	f->next = msg[IKEV2_HDR_LEN];
	f->num = ikev2_get_be16(msg + IKEV2_HDR_LEN + 4);
	f->total = ikev2_get_be16(msg + IKEV2_HDR_LEN + 6);
	/* RFC 7383 2.6: numbers count from 1 up to Total Fragments. */
	return f->num != 0 && f->total != 0 && f->num <= f->total &&
	       f->total <= IKEV2_FRAG_MAX;
}

static int
drop(struct ikemgr *ike, struct v2_sa *sa, const struct ikev2_hdr *h,
     const char *why)
{
	ike->v2->stats.frag_dropped++;
	DBG(sa, "fragment of %s %s msgid %u dropped: %s",
	    exchange_name(h->exchange), direction(h->flags), h->msgid, why);
	return -1;
}

/* Reads the SKF payload of fragment MSG for SA into F. Returns false,
 * with the drop counted, when SA does not use fragmentation or the
 * payload is malformed. */
static bool
check_header(struct ikemgr *ike, struct v2_sa *sa, const struct ikev2_hdr *h,
	     const uint8_t *msg, struct skf *f)
{
	if (sa->frag_mtu == 0) {
		drop(ike, sa, h, "fragmentation not negotiated");
		return false;
	}
	if (!read_skf(h, msg, f)) {
		drop(ike, sa, h, "malformed");
		return false;
	}
	return true;
}

/* Authenticates and decrypts fragment MSG of the peer in place. */
static bool
open_fragment(struct v2_sa *sa, const struct ikev2_hdr *h, uint8_t *msg,
	      uint8_t **plain, size_t *plain_len)
{
	return ikev2_open_skf(&sa->algs, &sa->keys, !sa->initiator, msg,
			      h->length, IKEV2_HDR_LEN, plain, plain_len) == 0;
}

int
ikev2_frag_number(struct ikemgr *ike, struct v2_sa *sa,
		  const struct ikev2_hdr *h, uint8_t *msg)
{
	struct skf f;
	uint8_t *plain;
	size_t plain_len;

	if (!check_header(ike, sa, h, msg, &f))
		return -1;
	if (!open_fragment(sa, h, msg, &plain, &plain_len))
		return drop(ike, sa, h, "authentication failed");
	ike->v2->stats.frag_rx++;
	return f.num;
}

/* Joins the parts of complete reassembly RX into one buffer. */
static uint8_t *
join(const struct v2_frag_rx *rx)
{
	uint8_t *p = malloc(rx->bytes > 0 ? rx->bytes : 1);
	size_t off = 0;

	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < rx->total; i++) {
		memcpy(p + off, rx->part[i], rx->part_len[i]);
		off += rx->part_len[i];
	}
	return p;
}

int
ikev2_frag_input(struct ikemgr *ike, struct v2_sa *sa,
		 const struct ikev2_hdr *h, uint8_t *msg, uint8_t **plain,
		 size_t *plain_len, uint8_t *first)
{
	size_t is_response = (h->flags & IKEV2_FLAG_R) ? 1 : 0;
	struct v2_frag_rx **slot = &sa->frag_rx[is_response];
	struct v2_frag_rx *rx;
	struct skf f;
	uint8_t *body;
	size_t body_len;

	if (!check_header(ike, sa, h, msg, &f))
		return -1;
	rx = *slot;
	if (rx != NULL && rx->msgid != h->msgid) {
		/* A message the peer gave up on: the caller accepts only
		 * the message ID that comes next. */
		rx_free(rx);
		*slot = rx = NULL;
	}
	if (rx != NULL && f.total < rx->total)
		return drop(ike, sa, h, "Total Fragments smaller than before");
	if (rx != NULL && f.total == rx->total && rx->part[f.num - 1] != NULL)
		return drop(ike, sa, h, "duplicate");
	if (!open_fragment(sa, h, msg, &body, &body_len))
		return drop(ike, sa, h, "authentication failed");
	if (rx != NULL && f.total > rx->total) {
		/* RFC 7383 2.6: the sender re-fragmented the message with a
		 * smaller size, so the fragments kept so far are stale. */
		DBG(sa, "Total Fragments of msgid %u rose from %u to %u: reassembly restarted",
		    h->msgid, rx->total, f.total);
		rx_free(rx);
		*slot = rx = NULL;
	}
	if (rx == NULL) {
		rx = calloc(1, sizeof(*rx));
		if (rx == NULL)
			return drop(ike, sa, h, "out of memory");
		rx->msgid = h->msgid;
		rx->exchange = h->exchange;
		rx->total = f.total;
		rx->started = ike_now(ike);
		*slot = rx;
	}
	if (h->exchange != rx->exchange)
		return drop(ike, sa, h, "exchange type differs from fragment 1");
	if (rx->bytes + body_len > IKEV2_FRAG_BYTES_MAX) {
		rx_free(rx);
		*slot = NULL;
		return drop(ike, sa, h, "reassembled message too long");
	}
	rx->part[f.num - 1] = ikev2_dup_msg(body, body_len > 0 ? body_len : 1);
	if (rx->part[f.num - 1] == NULL)
		return drop(ike, sa, h, "out of memory");
	rx->part_len[f.num - 1] = body_len;
	rx->bytes += body_len;
	rx->held++;
	if (f.num == 1)
		rx->first = f.next;
	ike->v2->stats.frag_rx++;
	DBG(sa, "received fragment %u of %u of %s %s msgid %u",
	    f.num, f.total, exchange_name(h->exchange), direction(h->flags),
	    h->msgid);
	if (rx->held < rx->total)
		return 0;
	*plain = join(rx);
	*plain_len = rx->bytes;
	*first = rx->first;
	rx_free(rx);
	*slot = NULL;
	if (*plain == NULL)
		return drop(ike, sa, h, "out of memory");
	ike->v2->stats.frag_reassembled++;
	DBG(sa, "%s %s msgid %u reassembled from %u fragments",
	    exchange_name(h->exchange), direction(h->flags), h->msgid,
	    f.total);
	return 1;
}
