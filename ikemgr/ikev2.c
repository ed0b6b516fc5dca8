/*
 * IKEv2 exchanges (RFC 7296) in the IKE manager thread. IKE_SA_INIT and
 * IKE_AUTH authenticate with pre-shared keys and create the first child
 * SA. CREATE_CHILD_SA adds and rekeys children, and INFORMATIONAL
 * carries DELETE, INVALID_SPI and liveness checks. NAT detection moves
 * the IKE SA to port 4500; requests are retransmitted, and
 * INITIAL_CONTACT clears the peer's older SAs.
 */
#include "ikemgr/ikev2_sa.h"

#include "core/debug.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IKE_PORT		500
#define NATT_PORT		4500
#define RETX_FIRST_SEC		1.0
#define NEGOTIATION_SEC		30.0
#define REKEY_GRACE_SEC		30.0

#define DBG(sa, fmt, ...)						\
	do {								\
		if (debug_on_peer(DEBUG_CRYPTO_IKEV2, (sa)->peer))	\
			log_debug("IKEv2:(SA ID = %u):" fmt,		\
				  (unsigned)(sa)->conn_id, ##__VA_ARGS__); \
	} while (0)

static const char *
ntoa(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static bool
equal_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static struct ikev2_state *
state_of(struct ikemgr *ike)
{
	if (ike->v2 == NULL)
		ike->v2 = calloc(1, sizeof(*ike->v2));
	return ike->v2;
}

static const struct ikev2_config *
v2_config(struct ikemgr *ike)
{
	return ike->config != NULL ? ike->config->v2 : NULL;
}

bool
ikev2_is_v2(const struct dp_ike_packet *pkt)
{
	return pkt->len >= IKEV2_HDR_LEN && (pkt->data[17] >> 4) == 2;
}

/* ---- The SA table ---- */

static void
free_sa(struct v2_sa *sa)
{
	ike_dh_free(sa->dh);
	ike_dh_free(sa->rekey_dh);
	ike_dh_free(sa->neg.dh);
	free(sa->init_i);
	free(sa->init_r);
	free(sa->req);
	free(sa->resp);
	memset(sa, 0, sizeof(*sa));
	free(sa);
}

static struct v2_sa *
new_sa(struct ikemgr *ike, uint32_t local, uint32_t peer, bool initiator)
{
	struct ikev2_state *st = state_of(ike);
	struct v2_sa *sa, **arr;

	if (st == NULL)
		return NULL;
	arr = realloc(st->sas, (st->nsas + 1) * sizeof(*arr));
	if (arr == NULL)
		return NULL;
	st->sas = arr;
	sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return NULL;
	sa->conn_id = ike->next_conn_id++;
	sa->initiator = initiator;
	sa->local = local;
	sa->peer = peer;
	sa->lport = IKE_PORT;
	sa->pport = IKE_PORT;
	sa->created = ike_now(ike);
	sa->last_rx = sa->created;
	st->sas[st->nsas++] = sa;
	return sa;
}

static struct v2_sa *
find_ready(struct ikemgr *ike, uint32_t peer)
{
	struct ikev2_state *st = ike->v2;
	struct v2_sa *best = NULL;

	for (size_t i = 0; st != NULL && i < st->nsas; i++) {
		struct v2_sa *sa = st->sas[i];

		if (sa->peer == peer && sa->state == V2_READY &&
		    (best == NULL || sa->conn_id > best->conn_id))
			best = sa;
	}
	return best;
}

static struct v2_sa *
find_any(struct ikemgr *ike, uint32_t peer)
{
	struct ikev2_state *st = ike->v2;
	struct v2_sa *sa = find_ready(ike, peer);

	for (size_t i = 0; sa == NULL && st != NULL && i < st->nsas; i++)
		if (st->sas[i]->peer == peer && st->sas[i]->state != V2_DEAD)
			sa = st->sas[i];
	return sa;
}

static struct v2_sa *
find_by_spi(struct ikemgr *ike, const struct ikev2_hdr *h)
{
	static const uint8_t zero[8];
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; st != NULL && i < st->nsas; i++) {
		struct v2_sa *sa = st->sas[i];

		if (memcmp(sa->spii, h->spii, 8) != 0)
			continue;
		if (memcmp(sa->spir, h->spir, 8) == 0 ||
		    (sa->initiator && memcmp(sa->spir, zero, 8) == 0))
			return sa;
	}
	return NULL;
}

static void remove_child(struct ikemgr *ike, size_t i);

static void
remove_sa(struct ikemgr *ike, struct v2_sa *sa, bool children)
{
	struct ikev2_state *st = ike->v2;
	size_t i = 0;

	while (children && i < st->nchildren) {
		if (st->children[i].conn_id == sa->conn_id)
			remove_child(ike, i);
		else
			i++;
	}
	for (i = 0; i < st->nsas; i++) {
		if (st->sas[i] != sa)
			continue;
		memmove(st->sas + i, st->sas + i + 1,
			(st->nsas - i - 1) * sizeof(*st->sas));
		st->nsas--;
		break;
	}
	if (sa->neg.active && sa->neg.spi_in != 0 && ike->io.remove != NULL &&
	    sa->state == V2_READY)
		ike->io.remove(ike->io_ctx, false, sa->local, sa->neg.spi_in);
	free_sa(sa);
}

/* ---- Sending ---- */

/* Counts MSG, sent (TX) or received, by exchange and direction. */
static void
count_msg(struct ikemgr *ike, const uint8_t *msg, bool tx)
{
	struct ike_v2_stats *st = &ike->v2->stats;
	unsigned x = msg[18] - IKEV2_IKE_SA_INIT;
	bool response = (msg[19] & IKEV2_FLAG_R) != 0;

	if (x >= IKE_V2_EXCHANGES)
		return;
	if (tx)
		(response ? st->tx_res : st->tx_req)[x]++;
	else
		(response ? st->rx_res : st->rx_req)[x]++;
}

static void
transmit(struct ikemgr *ike, struct v2_sa *sa, const uint8_t *msg,
	 size_t len)
{
	struct dp_ike_packet *pkt;

	if (len == 0 || len > DP_IKE_MSG_MAX || ike->io.send == NULL)
		return;
	pkt = malloc(sizeof(*pkt));
	if (pkt == NULL)
		return;
	*pkt = (struct dp_ike_packet){
		.src = sa->local, .dst = sa->peer,
		.sport = sa->lport, .dport = sa->pport,
		.natt = sa->natt, .len = (uint16_t)len,
	};
	memcpy(pkt->data, msg, len);
	count_msg(ike, msg, true);
	if (debug_on_peer(DEBUG_CRYPTO_IKEV2_PACKET, sa->peer)) {
		char p[INET_ADDRSTRLEN];

		log_debug("IKEv2:(SA ID = %u):Sending Packet [To %s:%u/From %s:%u] exchange %u msgid %u",
			  sa->conn_id, ntoa(sa->peer, p), sa->pport, "local",
			  sa->lport, msg[18], ikev2_get_be32(msg + 20));
	}
	if (ike->io.send(ike->io_ctx, pkt) < 0)
		DBG(sa, "send failed: queue full");
	free(pkt);
}

static uint8_t *
dup_msg(const uint8_t *msg, size_t len)
{
	uint8_t *p = malloc(len);

	if (p != NULL)
		memcpy(p, msg, len);
	return p;
}

/* Sends our request and keeps it for retransmission. */
static void
send_request(struct ikemgr *ike, struct v2_sa *sa, const uint8_t *msg,
	     size_t len)
{
	free(sa->req);
	sa->req = dup_msg(msg, len);
	sa->req_len = sa->req != NULL ? len : 0;
	sa->req_msgid = ikev2_get_be32(msg + 20);
	sa->req_exchange = msg[18];
	sa->retx_count = 0;
	sa->retx_next = ike_now(ike) + RETX_FIRST_SEC;
	sa->next_msgid = sa->req_msgid + 1;
	transmit(ike, sa, msg, len);
}

/* Sends a response and keeps it for a retransmitted request. */
static void
send_response(struct ikemgr *ike, struct v2_sa *sa, const uint8_t *msg,
	      size_t len)
{
	free(sa->resp);
	sa->resp = dup_msg(msg, len);
	sa->resp_len = sa->resp != NULL ? len : 0;
	transmit(ike, sa, msg, len);
}

static void
request_done(struct v2_sa *sa)
{
	free(sa->req);
	sa->req = NULL;
	sa->req_len = 0;
	sa->retx_next = 0;
}

/* Starts a message of EXCHANGE over SA: a request of ours, or the
 * response to the peer's request MSGID. */
static void
start_msg(struct ikev2_buf *b, uint8_t *p, size_t cap,
	  const struct v2_sa *sa, uint8_t exchange, bool response,
	  uint32_t msgid)
{
	struct ikev2_hdr h = { .exchange = exchange, .msgid = msgid };

	memcpy(h.spii, sa->spii, 8);
	memcpy(h.spir, sa->spir, 8);
	h.flags = (sa->initiator ? IKEV2_FLAG_I : 0) |
		  (response ? IKEV2_FLAG_R : 0);
	ikev2_build_start(b, p, cap, &h);
}

static size_t
seal(const struct v2_sa *sa, struct ikev2_buf *b)
{
	if (b->overflow || ikev2_build_end(b) == 0)
		return 0;
	return ikev2_seal(&sa->algs, &sa->keys, sa->initiator, b->p, b->len,
			  b->cap, b->sk_body);
}

static void
add_notify(struct ikev2_buf *b, uint8_t proto, const uint8_t *spi,
	   size_t spi_len, uint16_t type, const void *data, size_t len)
{
	size_t off = ikev2_add(b, IKEV2_NP_N, NULL, 4 + spi_len + len);

	if (off == 0)
		return;
	b->p[off] = proto;
	b->p[off + 1] = (uint8_t)spi_len;
	ikev2_put_be16(b->p + off + 2, type);
	if (spi_len > 0)
		memcpy(b->p + off + 4, spi, spi_len);
	if (len > 0)
		memcpy(b->p + off + 4 + spi_len, data, len);
}

static void
add_delete_esp(struct ikev2_buf *b, const uint32_t *spis, size_t n)
{
	size_t off = ikev2_add(b, IKEV2_NP_D, NULL, 4 + 4 * n);

	if (off == 0)
		return;
	b->p[off] = IKEV2_PROTO_ESP;
	b->p[off + 1] = 4;
	ikev2_put_be16(b->p + off + 2, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		ikev2_put_be32(b->p + off + 4 + 4 * i, spis[i]);
}

/* ---- Proposals ---- */

static void
put_transform(struct ikev2_buf *b, size_t *off, uint8_t type, uint16_t id,
	      uint16_t key_bits)
{
	size_t len = key_bits != 0 ? 12 : 8;
	uint8_t *t = b->p + *off;

	if (b->overflow || *off + len > b->cap) {
		b->overflow = true;
		return;
	}
	t[0] = 3;			/* more transforms follow */
	t[1] = 0;
	ikev2_put_be16(t + 2, (uint16_t)len);
	t[4] = type;
	t[5] = 0;
	ikev2_put_be16(t + 6, id);
	if (key_bits != 0) {
		ikev2_put_be16(t + 8, 0x8000 | IKEV2_ATTR_KEY_LENGTH);
		ikev2_put_be16(t + 10, key_bits);
	}
	*off += len;
}

/* Writes the proposal header at START and marks the last transform. */
static void
close_proposal(struct ikev2_buf *b, size_t start, size_t end,
	       size_t last_t, uint8_t ntrans)
{
	if (b->overflow)
		return;
	b->p[last_t] = 0;
	ikev2_put_be16(b->p + start + 2, (uint16_t)(end - start));
	b->p[start + 7] = ntrans;
}

/* Writes an IKE proposal at *OFF: every algorithm of P, or ONLY. */
static void
put_ike_proposal(struct ikev2_buf *b, size_t *off, uint8_t num,
		 const struct ikev2_algs *only,
		 const struct ikev2_proposal *p, bool last, const uint8_t *spi)
{
	size_t start = *off, last_t = 0, spi_len = spi != NULL ? 8 : 0;
	uint8_t n = 0;

	if (b->overflow || start + 8 + spi_len > b->cap) {
		b->overflow = true;
		return;
	}
	memset(b->p + start, 0, 8);
	b->p[start] = last ? 0 : 2;
	b->p[start + 4] = num;
	b->p[start + 5] = IKEV2_PROTO_IKE;
	b->p[start + 6] = (uint8_t)spi_len;
	if (spi != NULL)
		memcpy(b->p + start + 8, spi, 8);
	*off += 8 + spi_len;
#define T(type, id, bits) do {						\
		last_t = *off;						\
		put_transform(b, off, type, id, bits);			\
		n++;							\
	} while (0)
	if (only != NULL) {
		T(IKEV2_TT_ENCR, only->encr, only->key_bits);
		T(IKEV2_TT_PRF, only->prf, 0);
		if (only->integ != IKEV2_INTEG_NONE)
			T(IKEV2_TT_INTEG, only->integ, 0);
		T(IKEV2_TT_DH, only->group, 0);
	} else {
		bool aead = true;

		for (size_t i = 0; i < p->nencr; i++) {
			T(IKEV2_TT_ENCR, p->encr[i], p->key_bits[i]);
			aead &= p->encr[i] == IKEV2_ENCR_AES_GCM_16;
		}
		for (size_t i = 0; i < p->nprf; i++)
			T(IKEV2_TT_PRF, p->prf[i], 0);
		for (size_t i = 0; !aead && i < p->ninteg; i++)
			T(IKEV2_TT_INTEG, p->integ[i], 0);
		for (size_t i = 0; i < p->ngroup; i++)
			T(IKEV2_TT_DH, p->group[i], 0);
	}
#undef T
	close_proposal(b, start, *off, last_t, n);
}

/* Adds an IKE SA payload: every configured proposal, or ONLY with
 * proposal number NUM and, when rekeying, the new SPI. */
static void
add_ike_sa(struct ikev2_buf *b, const struct ikev2_config *c,
	   const struct ikev2_algs *only, uint8_t num, const uint8_t *spi)
{
	size_t start = ikev2_add(b, IKEV2_NP_SA, NULL, 0), off;

	if (start == 0)
		return;
	off = start;
	if (only != NULL) {
		put_ike_proposal(b, &off, num, only, NULL, true, spi);
	} else {
		for (size_t i = 0; i < c->nproposals && i < 8; i++)
			put_ike_proposal(b, &off, (uint8_t)(i + 1), NULL,
					 &c->proposals[i],
					 i + 1 == c->nproposals || i == 7,
					 NULL);
	}
	if (b->overflow)
		return;
	b->len = off;
	ikev2_put_be16(b->p + start - 2, (uint16_t)(off - start + 4));
}

static uint16_t
esp_encr_id(const struct ike_tset *t)
{
	switch (t->cipher) {
	case DP_CIPHER_3DES_CBC: return IKEV2_ENCR_3DES;
	case DP_CIPHER_AES_CBC: return IKEV2_ENCR_AES_CBC;
	case DP_CIPHER_NULL: return 11;		/* ENCR_NULL */
	default: return 0;
	}
}

static uint16_t
esp_integ_id(enum dp_integ integ)
{
	switch (integ) {
	case DP_INTEG_HMAC_MD5_96: return IKEV2_INTEG_MD5_96;
	case DP_INTEG_HMAC_SHA1_96: return IKEV2_INTEG_SHA1_96;
	case DP_INTEG_HMAC_SHA256_128: return IKEV2_INTEG_SHA256_128;
	case DP_INTEG_HMAC_SHA384_192: return IKEV2_INTEG_SHA384_192;
	case DP_INTEG_HMAC_SHA512_256: return IKEV2_INTEG_SHA512_256;
	default: return IKEV2_INTEG_NONE;
	}
}

/* Adds an ESP SA payload: one proposal per transform set of E, or ONLY
 * with proposal number ONLY_NUM. */
static void
add_esp_sa(struct ikev2_buf *b, const struct ike_config *c,
	   const struct ike_entry *e, const struct ike_tset *only,
	   uint8_t only_num, uint32_t spi, uint16_t dh)
{
	size_t start = ikev2_add(b, IKEV2_NP_SA, NULL, 0), off;
	size_t n = only != NULL ? 1 : e->ntsets;

	if (start == 0)
		return;
	off = start;
	for (size_t i = 0; i < n; i++) {
		const struct ike_tset *t = only != NULL ? only :
					   &c->tsets[e->tsets[i]];
		size_t ps = off, last_t = 0;
		uint8_t nt = 0;

		if (off + 12 > b->cap) {
			b->overflow = true;
			return;
		}
		memset(b->p + ps, 0, 12);
		b->p[ps] = i + 1 == n ? 0 : 2;
		b->p[ps + 4] = only != NULL ? only_num : (uint8_t)(i + 1);
		b->p[ps + 5] = IKEV2_PROTO_ESP;
		b->p[ps + 6] = 4;
		ikev2_put_be32(b->p + ps + 8, spi);
		off += 12;
		last_t = off;
		put_transform(b, &off, IKEV2_TT_ENCR, esp_encr_id(t),
			      t->cipher == DP_CIPHER_AES_CBC ? t->key_bits : 0);
		nt++;
		if (t->integ != DP_INTEG_NONE) {
			last_t = off;
			put_transform(b, &off, IKEV2_TT_INTEG,
				      esp_integ_id(t->integ), 0);
			nt++;
		}
		if (dh != 0) {
			last_t = off;
			put_transform(b, &off, IKEV2_TT_DH, dh, 0);
			nt++;
		}
		last_t = off;
		put_transform(b, &off, IKEV2_TT_ESN, 0, 0);
		nt++;
		close_proposal(b, ps, off, last_t, nt);
	}
	if (b->overflow)
		return;
	b->len = off;
	ikev2_put_be16(b->p + start - 2, (uint16_t)(off - start + 4));
}

/* One proposal of an SA payload, read into parallel lists. */
struct v2_prop {
	uint8_t num, proto, spi_size;
	uint8_t spi[8];
	uint16_t ids[5][IKEV2_ALGS_MAX * 2];	/* by transform type */
	uint16_t bits[5][IKEV2_ALGS_MAX * 2];
	size_t n[5];
};

/* Calls FN for each proposal of the SA payload BODY; -1 if malformed. */
static int
each_proposal(const uint8_t *body, size_t len,
	      bool (*fn)(const struct v2_prop *, void *), void *arg)
{
	size_t off = 0;

	while (off < len) {
		struct v2_prop p;
		size_t plen, toff;

		memset(&p, 0, sizeof(p));
		if (len - off < 8)
			return -1;
		plen = ikev2_get_be16(body + off + 2);
		if (plen < 8 || plen > len - off)
			return -1;
		p.num = body[off + 4];
		p.proto = body[off + 5];
		p.spi_size = body[off + 6];
		if (p.spi_size > 8 || 8u + p.spi_size > plen)
			return -1;
		memcpy(p.spi, body + off + 8, p.spi_size);
		toff = off + 8 + p.spi_size;
		for (unsigned t = 0; t < body[off + 7]; t++) {
			size_t tlen;
			uint8_t type;
			uint16_t bits = 0;

			if (off + plen - toff < 8)
				return -1;
			tlen = ikev2_get_be16(body + toff + 2);
			if (tlen < 8 || tlen > off + plen - toff)
				return -1;
			type = body[toff + 4];
			if (tlen >= 12 && ikev2_get_be16(body + toff + 8) ==
			    (0x8000 | IKEV2_ATTR_KEY_LENGTH))
				bits = ikev2_get_be16(body + toff + 10);
			if (type >= 1 && type <= 5 &&
			    p.n[type - 1] < IKEV2_ALGS_MAX * 2) {
				p.ids[type - 1][p.n[type - 1]] =
					ikev2_get_be16(body + toff + 6);
				p.bits[type - 1][p.n[type - 1]++] = bits;
			}
			toff += tlen;
		}
		if (fn(&p, arg))
			return 0;
		off += plen;
		if (body[off - plen] == 0)
			break;
	}
	return 0;
}

struct ike_choice {
	const struct ikev2_config *c;
	struct ikev2_algs algs;
	uint8_t num;
	uint8_t spi[8];			/* the proposal's, when rekeying */
	uint8_t spi_size;
	bool found;
};

static bool
has_id(const struct v2_prop *p, int type, uint16_t id, uint16_t bits)
{
	for (size_t i = 0; i < p->n[type - 1]; i++)
		if (p->ids[type - 1][i] == id && p->bits[type - 1][i] == bits)
			return true;
	return false;
}

/* Picks, for the first of our proposals that the peer's P covers, our
 * most preferred algorithm of each type. */
static bool
choose_ike(const struct v2_prop *p, void *arg)
{
	struct ike_choice *ch = arg;

	if (p->proto != IKEV2_PROTO_IKE)
		return false;
	for (size_t k = 0; k < ch->c->nproposals; k++) {
		const struct ikev2_proposal *m = &ch->c->proposals[k];
		struct ikev2_algs a = { 0 };
		bool ok_e = false, ok_p = false, ok_i = false, ok_g = false;

		for (size_t i = 0; !ok_e && i < m->nencr; i++)
			if (has_id(p, IKEV2_TT_ENCR, m->encr[i],
				   m->key_bits[i])) {
				a.encr = m->encr[i];
				a.key_bits = m->key_bits[i];
				ok_e = true;
			}
		for (size_t i = 0; !ok_p && i < m->nprf; i++)
			if (has_id(p, IKEV2_TT_PRF, m->prf[i], 0)) {
				a.prf = m->prf[i];
				ok_p = true;
			}
		if (a.encr == IKEV2_ENCR_AES_GCM_16)
			ok_i = true;
		for (size_t i = 0; !ok_i && i < m->ninteg; i++)
			if (has_id(p, IKEV2_TT_INTEG, m->integ[i], 0)) {
				a.integ = m->integ[i];
				ok_i = true;
			}
		for (size_t i = 0; !ok_g && i < m->ngroup; i++)
			if (has_id(p, IKEV2_TT_DH, m->group[i], 0)) {
				a.group = m->group[i];
				ok_g = true;
			}
		if (ok_e && ok_p && ok_i && ok_g) {
			ch->algs = a;
			ch->num = p->num;
			ch->spi_size = p->spi_size;
			memcpy(ch->spi, p->spi, sizeof(ch->spi));
			ch->found = true;
			return true;
		}
	}
	return false;
}

struct esp_choice {
	const struct ike_config *c;
	const struct ike_entry *e;
	bool any_dh;			/* IKE_AUTH: DH transforms ignored */
	uint16_t want_dh;		/* PFS group required; 0: none */
	struct ike_tset ts;
	uint32_t spi;			/* the peer's, host order */
	uint8_t num;
	bool found;
};

/* True when P's DH transforms allow CH's PFS choice. */
static bool
dh_fits(const struct v2_prop *p, const struct esp_choice *ch)
{
	size_t n = p->n[IKEV2_TT_DH - 1];

	if (ch->any_dh)
		return true;
	if (ch->want_dh != 0)
		return has_id(p, IKEV2_TT_DH, ch->want_dh, 0);
	return n == 0 || has_id(p, IKEV2_TT_DH, 0, 0);
}

static bool
choose_esp(const struct v2_prop *p, void *arg)
{
	struct esp_choice *ch = arg;

	if (p->proto != IKEV2_PROTO_ESP || p->spi_size != 4)
		return false;
	for (size_t k = 0; k < ch->e->ntsets; k++) {
		const struct ike_tset *t = &ch->c->tsets[ch->e->tsets[k]];
		uint16_t bits = t->cipher == DP_CIPHER_AES_CBC ? t->key_bits : 0;

		if (!has_id(p, IKEV2_TT_ENCR, esp_encr_id(t), bits))
			continue;
		if (t->integ != DP_INTEG_NONE &&
		    !has_id(p, IKEV2_TT_INTEG, esp_integ_id(t->integ), 0))
			continue;
		if (t->integ == DP_INTEG_NONE && p->n[IKEV2_TT_INTEG - 1] > 0 &&
		    !has_id(p, IKEV2_TT_INTEG, IKEV2_INTEG_NONE, 0))
			continue;
		if (p->n[IKEV2_TT_ESN - 1] > 0 &&
		    !has_id(p, IKEV2_TT_ESN, 0, 0))
			continue;
		if (!dh_fits(p, ch))
			continue;
		ch->ts = *t;
		ch->spi = ikev2_get_be32(p->spi);
		ch->num = p->num;
		ch->found = true;
		return true;
	}
	return false;
}

/* ---- Traffic selectors ---- */

static void
put_ts(struct ikev2_buf *b, uint8_t type, int proto, uint32_t start,
       uint32_t end)
{
	size_t off = ikev2_add(b, type, NULL, 4 + 16);

	if (off == 0)
		return;
	b->p[off] = 1;
	b->p[off + 4] = IKEV2_TS_IPV4_RANGE;
	b->p[off + 5] = proto < 0 ? 0 : (uint8_t)proto;
	ikev2_put_be16(b->p + off + 6, 16);
	ikev2_put_be16(b->p + off + 8, 0);
	ikev2_put_be16(b->p + off + 10, 0xffff);
	memcpy(b->p + off + 12, &start, 4);
	memcpy(b->p + off + 16, &end, 4);
}

/* TSi and TSr of ENTRY as initiator: its ACL's first permit entry, or
 * any to any. */
static void
add_entry_ts(struct ikev2_buf *b, const struct ike_entry *e)
{
	const struct dp_acl_entry *s = &e->selector;

	if (!e->has_selector) {
		put_ts(b, IKEV2_NP_TSI, 0, 0, 0xffffffff);
		put_ts(b, IKEV2_NP_TSR, 0, 0, 0xffffffff);
		return;
	}
	put_ts(b, IKEV2_NP_TSI, s->proto, s->src & ~s->src_wild,
	       s->src | s->src_wild);
	put_ts(b, IKEV2_NP_TSR, s->proto, s->dst & ~s->dst_wild,
	       s->dst | s->dst_wild);
}

/* ---- Child SAs ---- */

static uint32_t
new_spi(struct ikemgr *ike)
{
	uint32_t spi = 0;

	if (ike->spi_fn != NULL)
		return ike->spi_fn(ike->spi_ctx);
	while (spi < 256)
		if (ike_random(&spi, sizeof(spi)) < 0)
			return 0;
	return spi;
}

static size_t
esp_key_len(const struct ike_tset *t)
{
	if (t->cipher == DP_CIPHER_3DES_CBC)
		return 24;
	if (t->cipher == DP_CIPHER_AES_CBC)
		return t->key_bits / 8;
	return 0;
}

static void
fill_cfg(const struct v2_sa *sa, const struct ike_entry *e,
	 const struct ike_tset *t, bool outbound, uint32_t spi,
	 const uint8_t *km, struct dp_sa_cfg *c)
{
	struct dp_sa_params *p = &c->params;
	size_t ek = esp_key_len(t);
	size_t ik = ikev2_integ_key_len(esp_integ_id(t->integ));

	memset(c, 0, sizeof(*c));
	p->spi = spi;
	p->src = outbound ? sa->local : sa->peer;
	p->dst = outbound ? sa->peer : sa->local;
	p->outbound = outbound;
	p->tunnel = !t->transport;
	p->udp_encap = sa->nat_detected;
	p->cipher = t->cipher;
	memcpy(p->cipher_key, km, ek);
	p->cipher_key_len = ek;
	p->integ = t->integ;
	memcpy(p->integ_key, km + ek, ik);
	p->integ_key_len = ik;
	p->replay_window = outbound ? 0 : DP_REPLAY_WINDOW_DEFAULT;
	snprintf(c->map, sizeof(c->map), "%s", e->map);
	c->map_seq = e->seq;
	snprintf(c->ifname, sizeof(c->ifname), "%s", e->ifname);
	snprintf(c->transform, sizeof(c->transform), "%s", t->text);
	c->lifetime_kb = e->life_kb;
	c->lifetime_sec = e->life_sec;
}

/*
 * Derives the keys of a child SA pair (KEYMAT = prf+(SK_d, Ni | Nr),
 * RFC 7296 2.17) and installs both SAs. The initiator-to-responder SA
 * takes the first keys. XCHG_INITIATOR is true when we sent the request
 * of the exchange that created the pair.
 */
static int
install_pair(struct ikemgr *ike, struct v2_sa *sa, const struct ike_entry *e,
	     const struct ike_tset *t, bool xchg_initiator, uint32_t spi_in,
	     uint32_t spi_out, const uint8_t *ni, size_t ni_len,
	     const uint8_t *nr, size_t nr_len, const uint8_t *gir,
	     size_t gir_len)
{
	size_t half = esp_key_len(t) +
		      ikev2_integ_key_len(esp_integ_id(t->integ));
	uint8_t seed[IKE_DH_MAX + 2 * V2_NONCE_MAX], km[4 * DP_KEY_MAX];
	struct dp_sa_cfg cfgs[2];
	char err[128];
	int rc;

	if (2 * half > sizeof(km) || gir_len > IKE_DH_MAX ||
	    ni_len + nr_len > 2 * V2_NONCE_MAX)
		return -1;
	/* With PFS the seed starts with g^ir of the CREATE_CHILD_SA. */
	if (gir_len > 0)
		memcpy(seed, gir, gir_len);
	memcpy(seed + gir_len, ni, ni_len);
	memcpy(seed + gir_len + ni_len, nr, nr_len);
	rc = ikev2_prf_plus(ikev2_prf_hash(sa->algs.prf), sa->keys.sk_d,
			    sa->keys.prf_len, seed, gir_len + ni_len + nr_len,
			    km, 2 * half);
	memset(seed, 0, sizeof(seed));
	if (rc < 0)
		return -1;
	fill_cfg(sa, e, t, false, spi_in, xchg_initiator ? km + half : km,
		 &cfgs[0]);
	fill_cfg(sa, e, t, true, spi_out, xchg_initiator ? km : km + half,
		 &cfgs[1]);
	memset(km, 0, sizeof(km));
	rc = ike->io.install != NULL ?
	     ike->io.install(ike->io_ctx, cfgs, 2, err, sizeof(err)) : 0;
	memset(cfgs, 0, sizeof(cfgs));
	if (rc < 0) {
		DBG(sa, "installing the child SA failed: %s", err);
		return -1;
	}
	return 0;
}

static void
add_child(struct ikemgr *ike, struct v2_sa *sa, const struct ike_entry *e,
	  const struct ike_tset *t, bool initiator, uint32_t spi_in,
	  uint32_t spi_out)
{
	struct ikev2_state *st = ike->v2;
	struct v2_child *arr;
	double now = ike_now(ike);

	arr = realloc(st->children, (st->nchildren + 1) * sizeof(*arr));
	if (arr == NULL)
		return;
	st->children = arr;
	arr[st->nchildren++] = (struct v2_child){
		.conn_id = sa->conn_id, .local = sa->local, .peer = sa->peer,
		.spi_in = spi_in, .spi_out = spi_out, .entry = *e, .ts = *t,
		.initiator = initiator, .created = now,
		.expires = now + e->life_sec,
	};
	sa->child_sas++;
	st->stats.child_established++;
	atomic_fetch_add(&ike->p2_established, 1);
	DBG(sa, "child SA installed: inbound SPI 0x%X, outbound SPI 0x%X, %s",
	    spi_in, spi_out, t->text);
}

static void
remove_child(struct ikemgr *ike, size_t i)
{
	struct ikev2_state *st = ike->v2;
	struct v2_child c = st->children[i];

	if (ike->io.remove != NULL) {
		ike->io.remove(ike->io_ctx, false, c.local, c.spi_in);
		ike->io.remove(ike->io_ctx, true, c.peer, c.spi_out);
	}
	st->children[i] = st->children[--st->nchildren];
}

static ssize_t
child_by_out(struct ikev2_state *st, uint32_t conn_id, uint32_t spi_out)
{
	for (size_t i = 0; i < st->nchildren; i++)
		if (st->children[i].conn_id == conn_id &&
		    st->children[i].spi_out == spi_out)
			return (ssize_t)i;
	return -1;
}

static ssize_t
child_by_in(struct ikev2_state *st, uint32_t conn_id, uint32_t spi_in)
{
	for (size_t i = 0; i < st->nchildren; i++)
		if (st->children[i].conn_id == conn_id &&
		    st->children[i].spi_in == spi_in)
			return (ssize_t)i;
	return -1;
}

bool
ikev2_has_child(struct ikemgr *ike, const struct ike_entry *e)
{
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; st != NULL && i < st->nchildren; i++) {
		const struct v2_child *c = &st->children[i];

		if (!c->rekeyed && c->entry.seq == e->seq &&
		    strcmp(c->entry.map, e->map) == 0 &&
		    strcmp(c->entry.ifname, e->ifname) == 0)
			return true;
	}
	return false;
}

/* ---- Jobs: requests of ours, one outstanding at a time ---- */

static void run_jobs(struct ikemgr *ike, struct v2_sa *sa);

static void
add_job(struct ikemgr *ike, struct v2_sa *sa, enum v2_job_kind kind,
	uint32_t spi, const struct ike_entry *e)
{
	if (sa->njobs == V2_JOBS) {
		DBG(sa, "request queue full: job %d dropped", (int)kind);
		return;
	}
	sa->jobs[sa->njobs] = (struct v2_job){ .kind = kind, .spi = spi };
	if (e != NULL)
		sa->jobs[sa->njobs].entry = *e;
	sa->njobs++;
	run_jobs(ike, sa);
}

static void
send_informational(struct ikemgr *ike, struct v2_sa *sa,
		   const struct v2_job *j)
{
	uint8_t msg[512];
	struct ikev2_buf b;
	size_t len;
	uint8_t spi[4];

	start_msg(&b, msg, sizeof(msg), sa, IKEV2_INFORMATIONAL, false,
		  sa->next_msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	switch (j->kind) {
	case V2_JOB_INVALID_SPI:
		/* RFC 7296 1.5 and 3.10: protocol 0, no SPI field, the
		 * SPI in the notification data. */
		ikev2_put_be32(spi, j->spi);
		if (j->spi_field)
			add_notify(&b, IKEV2_PROTO_ESP, spi, 4,
				   IKEV2_N_INVALID_SPI, NULL, 0);
		else
			add_notify(&b, 0, NULL, 0, IKEV2_N_INVALID_SPI, spi, 4);
		ike->v2->stats.invalid_spi_tx++;
		if (j->no_delete)
			break;
		/* strongSwan 5.9 answers INVALID_SPI with an empty
		 * response and acts on nothing, but a DELETE of the SPI
		 * makes it drop the SA pair that sends on it. */
		add_delete_esp(&b, &j->spi, 1);
		ike->v2->stats.delete_tx++;
		break;
	case V2_JOB_DELETE_CHILD:
		add_delete_esp(&b, &j->spi, 1);
		ike->v2->stats.delete_tx++;
		atomic_fetch_add(&ike->delete_sent, 1);
		break;
	case V2_JOB_DELETE_IKE:
		if (ikev2_add(&b, IKEV2_NP_D, NULL, 4) != 0)
			b.p[b.len - 4] = IKEV2_PROTO_IKE;
		ike->v2->stats.delete_tx++;
		break;
	default:
		break;			/* DPD: an empty request */
	}
	len = seal(sa, &b);
	if (len > 0)
		send_request(ike, sa, msg, len);
}

static void send_create_child(struct ikemgr *ike, struct v2_sa *sa,
			      const struct v2_job *j);
static void send_rekey_ike(struct ikemgr *ike, struct v2_sa *sa);

static void
run_jobs(struct ikemgr *ike, struct v2_sa *sa)
{
	struct v2_job j;

	if (sa->state != V2_READY || sa->req != NULL || sa->njobs == 0)
		return;
	j = sa->jobs[0];
	memmove(sa->jobs, sa->jobs + 1, --sa->njobs * sizeof(sa->jobs[0]));
	if (j.kind == V2_JOB_CREATE_CHILD || j.kind == V2_JOB_REKEY_CHILD)
		send_create_child(ike, sa, &j);
	else if (j.kind == V2_JOB_REKEY_IKE)
		send_rekey_ike(ike, sa);
	else
		send_informational(ike, sa, &j);
}

/* ---- IKE_SA_INIT ---- */

static void
nat_hash(const uint8_t *spii, const uint8_t *spir, uint32_t addr,
	 uint16_t port, uint8_t out[20])
{
	uint8_t p[2];
	struct ike_chunk in[4] = {
		{ spii, 8 }, { spir, 8 }, { &addr, 4 }, { p, 2 },
	};

	ikev2_put_be16(p, port);
	ike_hash(IKE_HASH_SHA, in, 4, out);
}

static void
add_nat_d(struct ikev2_buf *b, const struct v2_sa *sa, const uint8_t *spir)
{
	uint8_t h[20];

	nat_hash(sa->spii, spir, sa->local, sa->lport, h);
	add_notify(b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, 20);
	nat_hash(sa->spii, spir, sa->peer, sa->pport, h);
	add_notify(b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, 20);
}

/* A Notify payload's fields. */
struct v2_notify {
	uint8_t proto, spi_size;
	uint16_t type;
	const uint8_t *spi, *data;
	size_t data_len;
};

static bool
read_notify(const struct ikev2_pl *pl, struct v2_notify *n)
{
	if (pl->type != IKEV2_NP_N || pl->len < 4 || 4u + pl->body[1] > pl->len)
		return false;
	n->proto = pl->body[0];
	n->spi_size = pl->body[1];
	n->type = ikev2_get_be16(pl->body + 2);
	n->spi = pl->body + 4;
	n->data = pl->body + 4 + n->spi_size;
	n->data_len = pl->len - 4 - n->spi_size;
	return true;
}

static bool
find_notify(const struct ikev2_msg *m, uint16_t type, struct v2_notify *n)
{
	for (size_t i = 0; i < m->n; i++)
		if (read_notify(&m->pl[i], n) && n->type == type)
			return true;
	return false;
}

/* Checks the NAT-D notifies of a message from the peer with header H. */
static void
check_nat(struct v2_sa *sa, const struct ikev2_hdr *h,
	  const struct ikev2_msg *m, const struct dp_ike_packet *pkt)
{
	struct v2_notify n;
	uint8_t hash[20];
	bool src_ok = true, dst_ok = true;

	if (find_notify(m, IKEV2_N_NAT_DETECTION_SOURCE_IP, &n)) {
		nat_hash(h->spii, h->spir, pkt->src, pkt->sport, hash);
		src_ok = n.data_len == 20 && memcmp(n.data, hash, 20) == 0;
	}
	if (find_notify(m, IKEV2_N_NAT_DETECTION_DESTINATION_IP, &n)) {
		nat_hash(h->spii, h->spir, pkt->dst, pkt->dport, hash);
		dst_ok = n.data_len == 20 && memcmp(n.data, hash, 20) == 0;
	}
	sa->nat_detected = !src_ok || !dst_ok;
	if (sa->nat_detected)
		DBG(sa, "NAT detected: %s", !dst_ok ? "we are behind a NAT" :
		    "the peer is behind a NAT");
}

/* Writes a KE payload body for DH into KE; returns its length or 0. */
static size_t
ke_body(const struct ike_dh *dh, uint16_t group, uint8_t *ke)
{
	size_t len;

	if (ike_dh_public(dh, ke + 4, IKE_DH_MAX, &len) < 0)
		return 0;
	ikev2_put_be16(ke, group);
	ke[2] = ke[3] = 0;
	return len + 4;
}

static int
make_ke_nonce(struct v2_sa *sa, uint8_t *ke, size_t *ke_len, uint8_t *nonce)
{
	ike_dh_free(sa->dh);
	sa->dh = ike_dh_new(sa->algs.group);
	if (sa->dh == NULL ||
	    (*ke_len = ke_body(sa->dh, sa->algs.group, ke)) == 0 ||
	    ike_random(nonce, V2_NONCE_LEN) < 0)
		return -1;
	return 0;
}

static void
send_init_request(struct ikemgr *ike, struct v2_sa *sa)
{
	const struct ikev2_config *c = v2_config(ike);
	static const uint8_t zero[8];
	uint8_t msg[2048], ke[IKE_DH_MAX + 4];
	struct ikev2_buf b;
	size_t ke_len, len;

	if (make_ke_nonce(sa, ke, &ke_len, sa->ni) < 0)
		return;
	sa->ni_len = V2_NONCE_LEN;
	start_msg(&b, msg, sizeof(msg), sa, IKEV2_IKE_SA_INIT, false, 0);
	add_ike_sa(&b, c, NULL, 0, NULL);
	ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
	ikev2_add(&b, IKEV2_NP_NONCE, sa->ni, sa->ni_len);
	add_nat_d(&b, sa, zero);
	len = ikev2_build_end(&b);
	if (len == 0)
		return;
	free(sa->init_i);
	sa->init_i = dup_msg(msg, len);
	sa->init_i_len = sa->init_i != NULL ? len : 0;
	DBG(sa, "sending IKE_SA_INIT request, DH group %u", sa->algs.group);
	send_request(ike, sa, msg, len);
}

/* The profile and keys for PEER: the entry's profile when given, else
 * the one whose remote identity matches. */
static bool
load_profile(struct ikemgr *ike, struct v2_sa *sa, const char *name,
	     uint32_t ident)
{
	const struct ikev2_config *c = v2_config(ike);
	const struct ikev2_profile *p;
	const struct ikev2_key *k;

	p = name != NULL && name[0] != '\0' ?
	    ikev2_config_profile(c, name) :
	    ikev2_config_profile_for_peer(c, ident);
	if (p == NULL)
		return false;
	k = ikev2_config_key(c, p, sa->peer);
	/* Behind a NAT the peer's address is the NAT's: its IKE identity
	 * can still name its keyring block. */
	if (k == NULL)
		k = ikev2_config_key(c, p, ident);
	if (k == NULL || k->local[0] == '\0' || k->remote[0] == '\0')
		return false;
	snprintf(sa->profile, sizeof(sa->profile), "%s", p->name);
	snprintf(sa->psk_local, sizeof(sa->psk_local), "%s", k->local);
	snprintf(sa->psk_remote, sizeof(sa->psk_remote), "%s", k->remote);
	sa->lifetime = p->lifetime;
	sa->dpd_interval = p->dpd_interval != 0 ? p->dpd_interval :
			   c->dpd_interval;
	sa->dpd_retry = p->dpd_interval != 0 ? p->dpd_retry : c->dpd_retry;
	return true;
}

void
ikev2_start(struct ikemgr *ike, const struct ike_entry *e)
{
	const struct ikev2_config *c = v2_config(ike);
	struct v2_sa *sa;
	char p[INET_ADDRSTRLEN];

	if (e->dynamic || e->npeers == 0 || c == NULL)
		return;
	sa = find_any(ike, e->peers[0]);
	if (sa != NULL) {
		if (sa->state == V2_READY)
			add_job(ike, sa, V2_JOB_CREATE_CHILD, 0, e);
		return;		/* IKE_AUTH will carry the child */
	}
	sa = new_sa(ike, e->local, e->peers[0], true);
	if (sa == NULL)
		return;
	if (!load_profile(ike, sa, e->ikev2_profile, e->peers[0])) {
		log_debug("IKEv2: no IKEv2 profile with a pre-shared key for peer %s: not negotiating; check the profile's keyring local",
			  ntoa(e->peers[0], p));
		remove_sa(ike, sa, false);
		return;
	}
	if (ike_random(sa->spii, 8) < 0) {
		remove_sa(ike, sa, false);
		return;
	}
	sa->neg = (struct v2_child_neg){ .active = true, .entry = *e };
	sa->algs.group = c->proposals[0].group[0];
	send_init_request(ike, sa);
}

void
ikev2_recover(struct ikemgr *ike, const struct ike_entry *e, uint32_t spi)
{
	struct v2_sa *sa;

	ikev2_start(ike, e);
	sa = find_any(ike, e->peers[0]);
	if (sa != NULL)
		add_job(ike, sa, V2_JOB_DELETE_CHILD, spi, NULL);
}

static bool
seen_peer(struct ikemgr *ike, uint32_t peer)
{
	struct ikev2_state *st = ike->v2;
	uint32_t *arr;

	for (size_t i = 0; i < st->ncontacted; i++)
		if (st->contacted[i] == peer)
			return true;
	arr = realloc(st->contacted, (st->ncontacted + 1) * sizeof(*arr));
	if (arr != NULL) {
		st->contacted = arr;
		arr[st->ncontacted++] = peer;
	}
	return false;
}

static int
compute_keys(struct v2_sa *sa, const uint8_t *peer_ke, size_t len)
{
	uint8_t gir[IKE_DH_MAX];
	size_t gir_len;
	int rc;

	if (len < 4 || ikev2_get_be16(peer_ke) != sa->algs.group ||
	    ike_dh_shared(sa->dh, peer_ke + 4, len - 4, gir, sizeof(gir),
			  &gir_len) < 0)
		return -1;
	rc = ikev2_derive(&sa->algs, &sa->keys, sa->ni, sa->ni_len, sa->nr,
			  sa->nr_len, gir, gir_len, sa->spii, sa->spir);
	memset(gir, 0, sizeof(gir));
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	return rc;
}

static bool
read_nonce(const struct ikev2_msg *m, uint8_t *out, size_t *len)
{
	const struct ikev2_pl *n = ikev2_find(m, IKEV2_NP_NONCE);

	if (n == NULL || n->len < 16 || n->len > V2_NONCE_MAX)
		return false;
	memcpy(out, n->body, n->len);
	*len = n->len;
	return true;
}

/* Sends an unprotected IKE_SA_INIT error response. */
static void
init_error(struct ikemgr *ike, const struct dp_ike_packet *pkt,
	   const struct ikev2_hdr *h, uint16_t type, const void *data,
	   size_t len)
{
	struct v2_sa tmp = {
		.local = pkt->dst, .peer = pkt->src, .lport = pkt->dport,
		.pport = pkt->sport, .natt = pkt->natt,
	};
	uint8_t msg[128];
	struct ikev2_buf b;

	memcpy(tmp.spii, h->spii, 8);
	start_msg(&b, msg, sizeof(msg), &tmp, IKEV2_IKE_SA_INIT, true, 0);
	add_notify(&b, 0, NULL, 0, type, data, len);
	transmit(ike, &tmp, msg, ikev2_build_end(&b));
}

static void
init_responder(struct ikemgr *ike, const struct dp_ike_packet *pkt,
	       const struct ikev2_hdr *h, const struct ikev2_msg *m)
{
	const struct ikev2_config *c = v2_config(ike);
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct ike_choice ch = { .c = c };
	uint8_t msg[2048], ke[IKE_DH_MAX + 4], grp[2];
	struct ikev2_buf b;
	struct v2_sa *sa;
	size_t ke_len, len;

	if (c == NULL || sap == NULL || kep == NULL || kep->len < 4 ||
	    each_proposal(sap->body, sap->len, choose_ike, &ch) < 0) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	if (!ch.found) {
		init_error(ike, pkt, h, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ikev2_get_be16(kep->body) != ch.algs.group) {
		ikev2_put_be16(grp, ch.algs.group);
		init_error(ike, pkt, h, IKEV2_N_INVALID_KE_PAYLOAD, grp, 2);
		return;
	}
	sa = new_sa(ike, pkt->dst, pkt->src, false);
	if (sa == NULL)
		return;
	memcpy(sa->spii, h->spii, 8);
	sa->lport = pkt->dport;
	sa->pport = pkt->sport;
	sa->natt = pkt->natt;
	sa->algs = ch.algs;
	if (!read_nonce(m, sa->ni, &sa->ni_len) ||
	    ike_random(sa->spir, 8) < 0 ||
	    make_ke_nonce(sa, ke, &ke_len, sa->nr) < 0) {
		remove_sa(ike, sa, false);
		return;
	}
	sa->nr_len = V2_NONCE_LEN;
	check_nat(sa, h, m, pkt);
	if (compute_keys(sa, kep->body, kep->len) < 0) {
		remove_sa(ike, sa, false);
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	sa->init_i = dup_msg(pkt->data, h->length);
	sa->init_i_len = sa->init_i != NULL ? h->length : 0;
	start_msg(&b, msg, sizeof(msg), sa, IKEV2_IKE_SA_INIT, true, 0);
	add_ike_sa(&b, c, &ch.algs, ch.num, NULL);
	ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
	ikev2_add(&b, IKEV2_NP_NONCE, sa->nr, sa->nr_len);
	add_nat_d(&b, sa, sa->spir);
	len = ikev2_build_end(&b);
	if (len == 0 || sa->init_i == NULL) {
		remove_sa(ike, sa, false);
		return;
	}
	sa->init_r = dup_msg(msg, len);
	sa->init_r_len = sa->init_r != NULL ? len : 0;
	sa->peer_msgid = 1;
	DBG(sa, "IKE_SA_INIT answered: encr %u/%u prf %u integ %u group %u",
	    ch.algs.encr, ch.algs.key_bits, ch.algs.prf, ch.algs.integ,
	    ch.algs.group);
	send_response(ike, sa, msg, len);
}

/* ---- IKE_AUTH ---- */

/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | Nonce |
 * prf(SK_p, IDbody)) as RFC 7296 2.15 defines it. */
static int
auth_value(const struct v2_sa *sa, bool of_initiator, const char *psk,
	   const uint8_t *id, size_t id_len, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	unsigned hash = ikev2_prf_hash(sa->algs.prf);
	uint8_t macid[IKE_HASH_MAX], key[IKE_HASH_MAX];
	struct ike_chunk idc[1] = { { id, id_len } };
	struct ike_chunk padc[1] = { { pad, sizeof(pad) - 1 } };
	struct ike_chunk octets[3];
	int rc;

	if (ike_prf(hash, of_initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
		    sa->keys.prf_len, idc, 1, macid) < 0 ||
	    ike_prf(hash, psk, strlen(psk), padc, 1, key) < 0)
		return -1;
	octets[0] = of_initiator ?
		    (struct ike_chunk){ sa->init_i, sa->init_i_len } :
		    (struct ike_chunk){ sa->init_r, sa->init_r_len };
	octets[1] = of_initiator ?
		    (struct ike_chunk){ sa->nr, sa->nr_len } :
		    (struct ike_chunk){ sa->ni, sa->ni_len };
	octets[2] = (struct ike_chunk){ macid, sa->keys.prf_len };
	rc = ike_prf(hash, key, sa->keys.prf_len, octets, 3, out);
	memset(key, 0, sizeof(key));
	return rc;
}

static void
add_id_auth(struct ikev2_buf *b, const struct v2_sa *sa, bool initiator)
{
	uint8_t id[8], auth[4 + IKE_HASH_MAX];

	id[0] = IKEV2_ID_IPV4_ADDR;
	id[1] = id[2] = id[3] = 0;
	memcpy(id + 4, &sa->local, 4);
	ikev2_add(b, initiator ? IKEV2_NP_IDI : IKEV2_NP_IDR, id, 8);
	auth[0] = IKEV2_AUTH_PSK;
	auth[1] = auth[2] = auth[3] = 0;
	if (auth_value(sa, initiator, sa->psk_local, id, 8, auth + 4) < 0) {
		b->overflow = true;
		return;
	}
	ikev2_add(b, IKEV2_NP_AUTH, auth, 4 + sa->keys.prf_len);
}

static bool
verify_auth(const struct v2_sa *sa, const struct ikev2_msg *m,
	    bool of_initiator)
{
	const struct ikev2_pl *id = ikev2_find(m, of_initiator ?
					       IKEV2_NP_IDI : IKEV2_NP_IDR);
	const struct ikev2_pl *auth = ikev2_find(m, IKEV2_NP_AUTH);
	uint8_t want[IKE_HASH_MAX];

	if (id == NULL || auth == NULL || auth->len != 4 + sa->keys.prf_len ||
	    auth->body[0] != IKEV2_AUTH_PSK ||
	    auth_value(sa, of_initiator, sa->psk_remote, id->body, id->len,
		       want) < 0)
		return false;
	return equal_ct(want, auth->body + 4, sa->keys.prf_len);
}

static void
add_transport_notify(struct ikev2_buf *b, const struct ike_tset *t)
{
	if (t->transport)
		add_notify(b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
}

/* The transform set used for ENTRY's first proposal. */
static const struct ike_tset *
first_tset(struct ikemgr *ike, const struct ike_entry *e)
{
	return e->ntsets > 0 ? &ike->config->tsets[e->tsets[0]] : NULL;
}

static void
send_auth_request(struct ikemgr *ike, struct v2_sa *sa)
{
	const struct ike_entry *e = &sa->neg.entry;
	const struct ike_tset *t = first_tset(ike, e);
	uint8_t msg[2048];
	struct ikev2_buf b;
	size_t len;

	sa->neg.spi_in = new_spi(ike);
	start_msg(&b, msg, sizeof(msg), sa, IKEV2_IKE_AUTH, false, 1);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (!seen_peer(ike, sa->peer))
		add_notify(&b, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	add_id_auth(&b, sa, true);
	if (t != NULL) {
		add_transport_notify(&b, t);
		add_esp_sa(&b, ike->config, e, NULL, 0, sa->neg.spi_in, 0);
		add_entry_ts(&b, e);
	}
	len = seal(sa, &b);
	if (len == 0)
		return;
	sa->state = V2_AUTH;
	DBG(sa, "sending IKE_AUTH request%s", sa->natt ? " on port 4500" : "");
	send_request(ike, sa, msg, len);
}

/* True when our config offers every algorithm of A. */
static bool
offered(const struct ikev2_config *c, const struct ikev2_algs *a)
{
	struct v2_prop p = { .proto = IKEV2_PROTO_IKE };
	struct ike_choice ch = { .c = c };

	p.ids[IKEV2_TT_ENCR - 1][0] = a->encr;
	p.bits[IKEV2_TT_ENCR - 1][0] = a->key_bits;
	p.ids[IKEV2_TT_PRF - 1][0] = a->prf;
	p.ids[IKEV2_TT_INTEG - 1][0] = a->integ;
	p.ids[IKEV2_TT_DH - 1][0] = a->group;
	p.n[0] = p.n[1] = p.n[3] = 1;
	p.n[2] = a->integ != IKEV2_INTEG_NONE;
	return choose_ike(&p, &ch) && ch.algs.encr == a->encr &&
	       ch.algs.prf == a->prf && ch.algs.integ == a->integ &&
	       ch.algs.group == a->group;
}

/* Reads the single proposal the responder chose. */
static bool
take_first(const struct v2_prop *p, void *arg)
{
	struct ikev2_algs *a = arg;

	if (p->proto != IKEV2_PROTO_IKE || p->n[0] != 1 || p->n[1] != 1 ||
	    p->n[3] != 1 || p->n[2] > 1)
		return true;
	a->encr = p->ids[0][0];
	a->key_bits = p->bits[0][0];
	a->prf = p->ids[1][0];
	a->integ = p->n[2] == 1 ? p->ids[2][0] : IKEV2_INTEG_NONE;
	a->group = p->ids[3][0];
	return true;
}

static void
init_response(struct ikemgr *ike, struct v2_sa *sa,
	      const struct dp_ike_packet *pkt, const struct ikev2_hdr *h,
	      const struct ikev2_msg *m)
{
	const struct ikev2_config *c = v2_config(ike);
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct ikev2_algs a = { 0 };
	struct v2_notify n;
	uint16_t group;

	if (sa->state != V2_INIT || c == NULL)
		goto drop;
	if (find_notify(m, IKEV2_N_INVALID_KE_PAYLOAD, &n) &&
	    n.data_len == 2) {
		group = ikev2_get_be16(n.data);
		a = sa->algs;
		a.group = group;
		if (group == sa->algs.group || !ike_dh_supported(group))
			goto drop;
		DBG(sa, "peer requested DH group %u: restarting IKE_SA_INIT",
		    group);
		sa->algs.group = group;
		request_done(sa);
		sa->next_msgid = 0;
		send_init_request(ike, sa);
		return;
	}
	if (find_notify(m, IKEV2_N_NO_PROPOSAL_CHOSEN, &n)) {
		DBG(sa, "peer sent NO_PROPOSAL_CHOSEN in IKE_SA_INIT");
		remove_sa(ike, sa, false);
		return;
	}
	if (sap == NULL || kep == NULL ||
	    each_proposal(sap->body, sap->len, take_first, &a) < 0 ||
	    a.group != sa->algs.group || !offered(c, &a))
		goto drop;
	sa->algs = a;
	memcpy(sa->spir, h->spir, 8);
	if (!read_nonce(m, sa->nr, &sa->nr_len))
		goto drop;
	check_nat(sa, h, m, pkt);
	if (compute_keys(sa, kep->body, kep->len) < 0)
		goto drop;
	sa->init_r = dup_msg(pkt->data, h->length);
	sa->init_r_len = sa->init_r != NULL ? h->length : 0;
	request_done(sa);
	if (sa->nat_detected) {
		/* RFC 7296 2.23: move to port 4500 for everything after. */
		sa->lport = NATT_PORT;
		sa->pport = NATT_PORT;
		sa->natt = true;
	}
	send_auth_request(ike, sa);
	return;
drop:
	atomic_fetch_add(&ike->packets_dropped, 1);
	ike->v2->stats.dropped++;
}

/* Deletes the other IKEv2 SAs with the peer of SA after INITIAL_CONTACT
 * (RFC 7296 2.4), with their children, without notifying. */
static void
initial_contact(struct ikemgr *ike, struct v2_sa *sa)
{
	struct ikev2_state *st = ike->v2;
	size_t i = 0;

	while (i < st->nsas) {
		struct v2_sa *old = st->sas[i];

		if (old == sa || old->peer != sa->peer) {
			i++;
			continue;
		}
		DBG(sa, "INITIAL_CONTACT: deleting IKE SA %u", old->conn_id);
		remove_sa(ike, old, true);
		i = 0;
	}
}

static void
established(struct ikemgr *ike, struct v2_sa *sa)
{
	double now = ike_now(ike);

	sa->state = V2_READY;
	sa->established = now;
	sa->expires = now + (sa->lifetime != 0 ? sa->lifetime : 86400);
	ike->v2->stats.sa_established++;
	atomic_fetch_add(&ike->p1_established, 1);
	DBG(sa, "IKE SA established with profile %s", sa->profile);
}

static void
auth_responder(struct ikemgr *ike, struct v2_sa *sa,
	       const struct ikev2_msg *m, uint32_t msgid)
{
	const struct ikev2_pl *idi = ikev2_find(m, IKEV2_NP_IDI);
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *tsi = ikev2_find(m, IKEV2_NP_TSI);
	const struct ikev2_pl *tsr = ikev2_find(m, IKEV2_NP_TSR);
	const struct ike_entry *e;
	struct esp_choice ch = { .c = ike->config, .any_dh = true };
	struct v2_notify n;
	uint32_t ident = sa->peer, spi_in = 0;
	uint8_t msg[2048];
	struct ikev2_buf b;
	size_t len;

	if (sa->initiator || sa->state != V2_INIT || idi == NULL)
		return;
	if (idi->len == 8 && idi->body[0] == IKEV2_ID_IPV4_ADDR)
		memcpy(&ident, idi->body + 4, 4);
	start_msg(&b, msg, sizeof(msg), sa, IKEV2_IKE_AUTH, true, msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (!load_profile(ike, sa, NULL, ident) ||
	    !verify_auth(sa, m, true)) {
		DBG(sa, "authentication of the initiator failed");
		add_notify(&b, 0, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED,
			   NULL, 0);
		len = seal(sa, &b);
		if (len > 0)
			transmit(ike, sa, msg, len);
		ike->v2->stats.dropped++;
		remove_sa(ike, sa, false);
		return;
	}
	if (find_notify(m, IKEV2_N_INITIAL_CONTACT, &n))
		initial_contact(ike, sa);
	established(ike, sa);
	add_id_auth(&b, sa, false);
	e = ike_config_entry_for_peer(ike->config, sa->peer);
	if (e == NULL || e->dynamic)
		e = ike_config_entry_for_peer(ike->config, ident) ?: e;
	ch.e = e;
	if (e != NULL && sap != NULL && tsi != NULL && tsr != NULL &&
	    each_proposal(sap->body, sap->len, choose_esp, &ch) == 0 &&
	    ch.found) {
		ch.ts.transport = ch.ts.transport &&
				  find_notify(m, IKEV2_N_USE_TRANSPORT_MODE, &n);
		spi_in = new_spi(ike);
		/* Installed before the response lets the peer use it. */
		if (install_pair(ike, sa, e, &ch.ts, false, spi_in, ch.spi,
				 sa->ni, sa->ni_len, sa->nr, sa->nr_len, NULL,
				 0) < 0)
			spi_in = 0;
	}
	if (spi_in != 0) {
		add_transport_notify(&b, &ch.ts);
		add_esp_sa(&b, ike->config, e, &ch.ts, ch.num, spi_in, 0);
		ikev2_add(&b, IKEV2_NP_TSI, tsi->body, tsi->len);
		ikev2_add(&b, IKEV2_NP_TSR, tsr->body, tsr->len);
	} else if (sap != NULL) {
		add_notify(&b, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	len = seal(sa, &b);
	if (len == 0)
		return;
	send_response(ike, sa, msg, len);
	if (spi_in != 0)
		add_child(ike, sa, e, &ch.ts, false, spi_in, ch.spi);
}

/* Installs the child the peer accepted in response M to our request
 * for NEG, with nonces NI and NR. */
static void
child_accepted(struct ikemgr *ike, struct v2_sa *sa,
	       const struct ikev2_msg *m, const uint8_t *ni, size_t ni_len,
	       const uint8_t *nr, size_t nr_len)
{
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct v2_child_neg neg = sa->neg;
	struct esp_choice ch = {
		.c = ike->config, .e = &neg.entry, .any_dh = neg.dh == NULL,
		.want_dh = neg.dh != NULL ? neg.entry.pfs_group : 0,
	};
	uint8_t gir[IKE_DH_MAX];
	size_t gir_len = 0;
	struct v2_notify n;
	ssize_t old;
	int rc;

	sa->neg.active = false;
	sa->neg.dh = NULL;
	if (sap == NULL ||
	    each_proposal(sap->body, sap->len, choose_esp, &ch) < 0 ||
	    !ch.found) {
		for (size_t i = 0; i < m->n; i++)
			if (read_notify(&m->pl[i], &n) && n.type < 16384)
				DBG(sa, "child SA refused: notify %u", n.type);
		ike_dh_free(neg.dh);
		return;
	}
	if (neg.dh != NULL &&
	    (kep == NULL || kep->len < 4 ||
	     ikev2_get_be16(kep->body) != neg.entry.pfs_group ||
	     ike_dh_shared(neg.dh, kep->body + 4, kep->len - 4, gir,
			   sizeof(gir), &gir_len) < 0)) {
		DBG(sa, "child SA refused: no usable KE payload for PFS");
		ike_dh_free(neg.dh);
		return;
	}
	ike_dh_free(neg.dh);
	ch.ts.transport = ch.ts.transport &&
			  find_notify(m, IKEV2_N_USE_TRANSPORT_MODE, &n);
	rc = install_pair(ike, sa, &neg.entry, &ch.ts, true, neg.spi_in,
			  ch.spi, ni, ni_len, nr, nr_len, gir, gir_len);
	memset(gir, 0, sizeof(gir));
	if (rc < 0)
		return;
	add_child(ike, sa, &neg.entry, &ch.ts, true, neg.spi_in, ch.spi);
	if (neg.rekey_spi == 0)
		return;
	old = child_by_in(ike->v2, sa->conn_id, neg.rekey_spi);
	if (old >= 0)
		remove_child(ike, (size_t)old);
	add_job(ike, sa, V2_JOB_DELETE_CHILD, neg.rekey_spi, NULL);
}

static void
auth_response(struct ikemgr *ike, struct v2_sa *sa,
	      const struct ikev2_msg *m)
{
	if (sa->state != V2_AUTH || !verify_auth(sa, m, false)) {
		DBG(sa, "authentication of the responder failed");
		ike->v2->stats.dropped++;
		remove_sa(ike, sa, false);
		return;
	}
	request_done(sa);
	established(ike, sa);
	if (sa->neg.active)
		child_accepted(ike, sa, m, sa->ni, sa->ni_len, sa->nr,
			       sa->nr_len);
	run_jobs(ike, sa);
}

/* ---- CREATE_CHILD_SA ---- */

static bool first_proto(const struct v2_prop *p, void *arg);
static void rekey_ike_responder(struct ikemgr *ike, struct v2_sa *sa,
				const struct ikev2_msg *m, uint32_t msgid);
static void rekey_ike_response(struct ikemgr *ike, struct v2_sa *sa,
			       const struct ikev2_msg *m);
static void delete_ike_sa(struct ikemgr *ike, struct v2_sa *sa);

static void
send_create_child(struct ikemgr *ike, struct v2_sa *sa,
		  const struct v2_job *j)
{
	struct ikev2_state *st = ike->v2;
	const struct ike_entry *e = &j->entry;
	uint8_t msg[2048], spi[4], ke[IKE_DH_MAX + 4];
	struct ikev2_buf b;
	ssize_t old = -1;
	size_t len, ke_len = 0;

	if (j->kind == V2_JOB_REKEY_CHILD) {
		old = child_by_in(st, sa->conn_id, j->spi);
		if (old < 0)
			return;
		st->children[old].rekeyed = true;
		e = &st->children[old].entry;
	}
	if (first_tset(ike, e) == NULL)
		return;
	ike_dh_free(sa->neg.dh);
	sa->neg = (struct v2_child_neg){
		.active = true, .entry = *e, .spi_in = new_spi(ike),
		.rekey_spi = old >= 0 ? j->spi : 0,
	};
	if (ike_random(sa->neg.ni, V2_NONCE_LEN) < 0)
		return;
	if (e->pfs_group != 0) {
		sa->neg.dh = ike_dh_new(e->pfs_group);
		if (sa->neg.dh == NULL ||
		    (ke_len = ke_body(sa->neg.dh, e->pfs_group, ke)) == 0)
			return;
	}
	start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, false,
		  sa->next_msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (old >= 0) {
		ikev2_put_be32(spi, j->spi);
		add_notify(&b, IKEV2_PROTO_ESP, spi, 4, IKEV2_N_REKEY_SA,
			   NULL, 0);
	}
	add_transport_notify(&b, first_tset(ike, e));
	add_esp_sa(&b, ike->config, e, NULL, 0, sa->neg.spi_in, e->pfs_group);
	ikev2_add(&b, IKEV2_NP_NONCE, sa->neg.ni, V2_NONCE_LEN);
	if (ke_len > 0)
		ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
	add_entry_ts(&b, e);
	len = seal(sa, &b);
	if (len == 0)
		return;
	DBG(sa, "sending CREATE_CHILD_SA request%s",
	    old >= 0 ? " to rekey a child SA" : "");
	send_request(ike, sa, msg, len);
}

/*
 * Runs the responder's half of PFS for the chosen proposal CH: with a
 * PFS group, a KE of ours into KE and g^ir into GIR; without one, the
 * peer's KE (offered with a proposal not chosen) is ignored.
 */
static int
pfs_respond(const struct esp_choice *ch, const struct ikev2_pl *kep,
	    uint8_t *ke, size_t *ke_len, uint8_t *gir, size_t *gir_len)
{
	struct ike_dh *dh;
	int rc = -1;

	if (ch->want_dh == 0)
		return 0;
	if (kep == NULL || kep->len < 4 ||
	    ikev2_get_be16(kep->body) != ch->want_dh)
		return -1;
	dh = ike_dh_new(ch->want_dh);
	if (dh != NULL && (*ke_len = ke_body(dh, ch->want_dh, ke)) > 0 &&
	    ike_dh_shared(dh, kep->body + 4, kep->len - 4, gir, IKE_DH_MAX,
			  gir_len) == 0)
		rc = 0;
	ike_dh_free(dh);
	return rc;
}

static void
create_child_responder(struct ikemgr *ike, struct v2_sa *sa,
		       const struct ikev2_msg *m, uint32_t msgid)
{
	struct ikev2_state *st = ike->v2;
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *tsi = ikev2_find(m, IKEV2_NP_TSI);
	const struct ikev2_pl *tsr = ikev2_find(m, IKEV2_NP_TSR);
	const struct ike_entry *e = NULL;
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct esp_choice ch = { .c = ike->config };
	uint8_t msg[2048], ni[V2_NONCE_MAX], nr[V2_NONCE_LEN];
	uint8_t ke[IKE_DH_MAX + 4], gir[IKE_DH_MAX];
	struct ikev2_buf b;
	struct v2_notify n;
	struct ike_entry entry;
	size_t ni_len, len, ke_len = 0, gir_len = 0;
	uint32_t spi_in = 0;
	ssize_t old = -1;
	uint8_t proto = 0;

	if (sap != NULL &&
	    each_proposal(sap->body, sap->len, first_proto, &proto) == 0 &&
	    proto == IKEV2_PROTO_IKE) {
		rekey_ike_responder(ike, sa, m, msgid);
		return;
	}
	if (find_notify(m, IKEV2_N_REKEY_SA, &n) && n.spi_size == 4) {
		old = child_by_out(st, sa->conn_id, ikev2_get_be32(n.spi));
		if (old >= 0) {
			st->children[old].rekeyed = true;
			entry = st->children[old].entry;
			e = &entry;
		}
	}
	if (e == NULL)
		e = ike_config_entry_for_peer(ike->config, sa->peer);
	ch.e = e;
	if (e != NULL)
		ch.want_dh = e->pfs_group;
	start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, true,
		  msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (e != NULL && sap != NULL && tsi != NULL && tsr != NULL &&
	    read_nonce(m, ni, &ni_len) &&
	    each_proposal(sap->body, sap->len, choose_esp, &ch) == 0 &&
	    ch.found && ike_random(nr, sizeof(nr)) == 0 &&
	    pfs_respond(&ch, kep, ke, &ke_len, gir, &gir_len) == 0) {
		ch.ts.transport = ch.ts.transport &&
				  find_notify(m, IKEV2_N_USE_TRANSPORT_MODE, &n);
		spi_in = new_spi(ike);
		if (install_pair(ike, sa, e, &ch.ts, false, spi_in, ch.spi, ni,
				 ni_len, nr, sizeof(nr), gir, gir_len) < 0)
			spi_in = 0;
		memset(gir, 0, sizeof(gir));
	}
	if (spi_in != 0) {
		add_transport_notify(&b, &ch.ts);
		add_esp_sa(&b, ike->config, e, &ch.ts, ch.num, spi_in,
			   ch.want_dh);
		ikev2_add(&b, IKEV2_NP_NONCE, nr, sizeof(nr));
		if (ke_len > 0)
			ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
		ikev2_add(&b, IKEV2_NP_TSI, tsi->body, tsi->len);
		ikev2_add(&b, IKEV2_NP_TSR, tsr->body, tsr->len);
	} else {
		add_notify(&b, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	len = seal(sa, &b);
	if (len == 0)
		return;
	send_response(ike, sa, msg, len);
	if (spi_in != 0)
		add_child(ike, sa, e, &ch.ts, false, spi_in, ch.spi);
}

static void
create_child_response(struct ikemgr *ike, struct v2_sa *sa,
		      const struct ikev2_msg *m)
{
	uint8_t nr[V2_NONCE_MAX];
	size_t nr_len;

	request_done(sa);
	if (sa->rekeying) {
		rekey_ike_response(ike, sa, m);
		return;
	}
	if (!sa->neg.active)
		return;
	if (!read_nonce(m, nr, &nr_len)) {
		child_accepted(ike, sa, m, NULL, 0, NULL, 0);
		return;
	}
	child_accepted(ike, sa, m, sa->neg.ni, V2_NONCE_LEN, nr, nr_len);
}

/* ---- Rekeying the IKE SA (RFC 7296 2.18) ---- */

static bool
first_proto(const struct v2_prop *p, void *arg)
{
	*(uint8_t *)arg = p->proto;
	return true;
}

/* Makes NSA, the new IKE SA, take over OLD's settings and children. */
static void
take_over(struct ikemgr *ike, struct v2_sa *old, struct v2_sa *nsa)
{
	struct ikev2_state *st = ike->v2;

	nsa->lport = old->lport;
	nsa->pport = old->pport;
	nsa->natt = old->natt;
	nsa->nat_detected = old->nat_detected;
	memcpy(nsa->psk_local, old->psk_local, sizeof(nsa->psk_local));
	memcpy(nsa->psk_remote, old->psk_remote, sizeof(nsa->psk_remote));
	memcpy(nsa->profile, old->profile, sizeof(nsa->profile));
	nsa->lifetime = old->lifetime;
	nsa->dpd_interval = old->dpd_interval;
	nsa->dpd_retry = old->dpd_retry;
	for (size_t i = 0; i < st->nchildren; i++) {
		if (st->children[i].conn_id != old->conn_id)
			continue;
		st->children[i].conn_id = nsa->conn_id;
		nsa->child_sas++;
	}
	old->child_sas = 0;
	established(ike, nsa);
	DBG(nsa, "IKE SA %u rekeyed into this one", old->conn_id);
}

/* Derives NSA's keys from OLD's SK_d and the new DH exchange. */
static int
rekey_keys(const struct v2_sa *old, struct v2_sa *nsa,
	   const struct ike_dh *dh, const struct ikev2_pl *kep,
	   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	uint8_t gir[IKE_DH_MAX];
	size_t gir_len;
	int rc;

	if (kep->len < 4 || ikev2_get_be16(kep->body) != nsa->algs.group ||
	    ike_dh_shared(dh, kep->body + 4, kep->len - 4, gir, sizeof(gir),
			  &gir_len) < 0)
		return -1;
	rc = ikev2_derive_rekey(&nsa->algs, &nsa->keys, old->algs.prf,
				old->keys.sk_d, old->keys.prf_len, ni, ni_len,
				nr, nr_len, gir, gir_len, nsa->spii,
				nsa->spir);
	memset(gir, 0, sizeof(gir));
	return rc;
}

static void
send_rekey_ike(struct ikemgr *ike, struct v2_sa *sa)
{
	uint8_t msg[2048], ke[IKE_DH_MAX + 4];
	struct ikev2_buf b;
	size_t ke_len, len;

	ike_dh_free(sa->rekey_dh);
	sa->rekey_dh = ike_dh_new(sa->algs.group);
	if (sa->rekey_dh == NULL ||
	    (ke_len = ke_body(sa->rekey_dh, sa->algs.group, ke)) == 0 ||
	    ike_random(sa->rekey_spi, 8) < 0 ||
	    ike_random(sa->rekey_ni, V2_NONCE_LEN) < 0)
		return;
	start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, false,
		  sa->next_msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	add_ike_sa(&b, NULL, &sa->algs, 1, sa->rekey_spi);
	ikev2_add(&b, IKEV2_NP_NONCE, sa->rekey_ni, V2_NONCE_LEN);
	ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
	len = seal(sa, &b);
	if (len == 0)
		return;
	sa->rekeying = true;
	DBG(sa, "sending CREATE_CHILD_SA request to rekey the IKE SA");
	send_request(ike, sa, msg, len);
}

/* The responder's choice for our rekey: its algorithms and new SPI. */
struct rekey_choice {
	struct ikev2_algs algs;
	uint8_t spi[8];
	bool ok;
};

static bool
take_rekey(const struct v2_prop *p, void *arg)
{
	struct rekey_choice *rc = arg;

	take_first(p, &rc->algs);
	if (p->proto == IKEV2_PROTO_IKE && p->spi_size == 8) {
		memcpy(rc->spi, p->spi, 8);
		rc->ok = true;
	}
	return true;
}

static void
rekey_ike_response(struct ikemgr *ike, struct v2_sa *sa,
		   const struct ikev2_msg *m)
{
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct rekey_choice rc = { .ok = false };
	uint8_t nr[V2_NONCE_MAX];
	struct v2_sa *nsa = NULL;
	size_t nr_len;

	sa->rekeying = false;
	if (sap == NULL || kep == NULL || !read_nonce(m, nr, &nr_len) ||
	    each_proposal(sap->body, sap->len, take_rekey, &rc) < 0 ||
	    !rc.ok || memcmp(&rc.algs, &sa->algs, sizeof(rc.algs)) != 0) {
		DBG(sa, "the peer did not accept the rekey of the IKE SA");
		goto out;
	}
	nsa = new_sa(ike, sa->local, sa->peer, true);
	if (nsa == NULL)
		goto out;
	memcpy(nsa->spii, sa->rekey_spi, 8);
	memcpy(nsa->spir, rc.spi, 8);
	nsa->algs = sa->algs;
	if (rekey_keys(sa, nsa, sa->rekey_dh, kep, sa->rekey_ni, V2_NONCE_LEN,
		       nr, nr_len) < 0) {
		remove_sa(ike, nsa, false);
		goto out;
	}
	take_over(ike, sa, nsa);
	delete_ike_sa(ike, sa);
out:
	ike_dh_free(sa->rekey_dh);
	sa->rekey_dh = NULL;
}

static void
rekey_ike_responder(struct ikemgr *ike, struct v2_sa *sa,
		    const struct ikev2_msg *m, uint32_t msgid)
{
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct ike_choice ch = { .c = v2_config(ike) };
	uint8_t msg[2048], ke[IKE_DH_MAX + 4], ni[V2_NONCE_MAX], grp[2];
	struct ike_dh *dh = NULL;
	struct v2_sa *nsa = NULL;
	struct ikev2_buf b;
	size_t ni_len, ke_len = 0, len;

	start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, true,
		  msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (ch.c == NULL || kep == NULL || kep->len < 4 ||
	    !read_nonce(m, ni, &ni_len) ||
	    each_proposal(sap->body, sap->len, choose_ike, &ch) < 0 ||
	    !ch.found || ch.spi_size != 8) {
		add_notify(&b, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		goto send;
	}
	if (ikev2_get_be16(kep->body) != ch.algs.group) {
		ikev2_put_be16(grp, ch.algs.group);
		add_notify(&b, 0, NULL, 0, IKEV2_N_INVALID_KE_PAYLOAD, grp, 2);
		goto send;
	}
	nsa = new_sa(ike, sa->local, sa->peer, false);
	dh = ike_dh_new(ch.algs.group);
	if (nsa != NULL) {
		memcpy(nsa->spii, ch.spi, 8);
		nsa->algs = ch.algs;
		nsa->nr_len = V2_NONCE_LEN;
	}
	if (nsa == NULL || dh == NULL ||
	    (ke_len = ke_body(dh, ch.algs.group, ke)) == 0 ||
	    ike_random(nsa->spir, 8) < 0 ||
	    ike_random(nsa->nr, V2_NONCE_LEN) < 0 ||
	    rekey_keys(sa, nsa, dh, kep, ni, ni_len, nsa->nr,
		       nsa->nr_len) < 0) {
		if (nsa != NULL)
			remove_sa(ike, nsa, false);
		nsa = NULL;
		add_notify(&b, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		goto send;
	}
	add_ike_sa(&b, NULL, &ch.algs, ch.num, nsa->spir);
	ikev2_add(&b, IKEV2_NP_NONCE, nsa->nr, nsa->nr_len);
	ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
send:
	ike_dh_free(dh);
	len = seal(sa, &b);
	if (len == 0) {
		if (nsa != NULL)
			remove_sa(ike, nsa, false);
		return;
	}
	send_response(ike, sa, msg, len);
	if (nsa != NULL)
		take_over(ike, sa, nsa);
}

/* ---- INFORMATIONAL ---- */

/* The SPI an INVALID_SPI notify names: in the notification data (RFC
 * 7296 3.10) or, in the older form, in the SPI field. */
static bool
invalid_spi_of(const struct v2_notify *n, uint32_t *spi)
{
	if (n->spi_size == 4) {
		*spi = ikev2_get_be32(n->spi);
		return true;
	}
	if (n->spi_size == 0 && n->data_len >= 4) {
		*spi = ikev2_get_be32(n->data);
		return true;
	}
	return false;
}

static void
info_responder(struct ikemgr *ike, struct v2_sa *sa,
	       const struct ikev2_msg *m, uint32_t msgid)
{
	struct ikev2_state *st = ike->v2;
	uint32_t del_in[16], renew[4], spi;
	struct ike_entry renew_e[4];
	size_t ndel = 0, nrenew = 0, len;
	bool delete_ike = false;
	uint8_t msg[512];
	struct ikev2_buf b;
	struct v2_notify n;
	ssize_t idx;

	for (size_t i = 0; i < m->n; i++) {
		const struct ikev2_pl *pl = &m->pl[i];

		if (pl->type == IKEV2_NP_D && pl->len >= 4) {
			size_t nspi = ikev2_get_be16(pl->body + 2);

			st->stats.delete_rx++;
			atomic_fetch_add(&ike->delete_received, 1);
			if (pl->body[0] == IKEV2_PROTO_IKE) {
				delete_ike = true;
				continue;
			}
			if (pl->body[0] != IKEV2_PROTO_ESP || pl->body[1] != 4 ||
			    4 + 4 * nspi > pl->len)
				continue;
			for (size_t k = 0; k < nspi; k++) {
				spi = ikev2_get_be32(pl->body + 4 + 4 * k);
				idx = child_by_out(st, sa->conn_id, spi);
				DBG(sa, "DELETE for ESP SPI 0x%X%s", spi,
				    idx < 0 ? ": no such child SA" : "");
				if (idx < 0 || ndel == 16)
					continue;
				del_in[ndel++] = st->children[idx].spi_in;
				remove_child(ike, (size_t)idx);
			}
		} else if (read_notify(pl, &n) &&
			   n.type == IKEV2_N_INVALID_SPI) {
			st->stats.invalid_spi_rx++;
			if (!invalid_spi_of(&n, &spi))
				continue;
			idx = child_by_out(st, sa->conn_id, spi);
			DBG(sa, "INVALID_SPI for SPI 0x%X%s", spi,
			    idx < 0 ? ": no such outbound SA" :
			    ": deleting and renegotiating the child SA");
			if (idx < 0 || nrenew == 4)
				continue;
			renew[nrenew] = st->children[idx].spi_in;
			renew_e[nrenew++] = st->children[idx].entry;
			remove_child(ike, (size_t)idx);
		}
	}
	start_msg(&b, msg, sizeof(msg), sa, IKEV2_INFORMATIONAL, true, msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (ndel > 0 && !delete_ike)
		add_delete_esp(&b, del_in, ndel);
	len = seal(sa, &b);
	if (len > 0)
		send_response(ike, sa, msg, len);
	if (delete_ike) {
		DBG(sa, "peer deleted the IKE SA");
		remove_sa(ike, sa, true);
		return;
	}
	for (size_t i = 0; i < nrenew; i++) {
		add_job(ike, sa, V2_JOB_DELETE_CHILD, renew[i], NULL);
		add_job(ike, sa, V2_JOB_CREATE_CHILD, 0, &renew_e[i]);
	}
}

static void
info_response(struct ikemgr *ike, struct v2_sa *sa)
{
	request_done(sa);
	if (sa->state == V2_DEAD) {
		remove_sa(ike, sa, true);
		return;
	}
	run_jobs(ike, sa);
}

/* ---- Input ---- */

static struct v2_sa *
find_half_open(struct ikemgr *ike, const struct ikev2_hdr *h, uint32_t peer)
{
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; st != NULL && i < st->nsas; i++)
		if (!st->sas[i]->initiator && st->sas[i]->peer == peer &&
		    memcmp(st->sas[i]->spii, h->spii, 8) == 0)
			return st->sas[i];
	return NULL;
}

static void
handle_init(struct ikemgr *ike, const struct dp_ike_packet *pkt,
	    const struct ikev2_hdr *h, uint8_t *msg)
{
	struct ikev2_msg m = { .n = 0 };
	struct v2_sa *sa;

	if (ikev2_parse_chain(h->next, msg + IKEV2_HDR_LEN,
			      h->length - IKEV2_HDR_LEN, IKEV2_HDR_LEN,
			      &m) < 0 || m.sk_off != 0)
		goto drop;
	if (!(h->flags & IKEV2_FLAG_R)) {
		if (!(h->flags & IKEV2_FLAG_I) || h->msgid != 0)
			goto drop;
		sa = find_half_open(ike, h, pkt->src);
		if (sa != NULL) {
			/* A retransmission: our response was lost. */
			if (sa->resp != NULL && sa->state == V2_INIT)
				transmit(ike, sa, sa->resp, sa->resp_len);
			return;
		}
		init_responder(ike, pkt, h, &m);
		return;
	}
	sa = find_by_spi(ike, h);
	if (sa == NULL || !sa->initiator || sa->peer != pkt->src ||
	    sa->req == NULL || sa->req_exchange != IKEV2_IKE_SA_INIT)
		goto drop;
	init_response(ike, sa, pkt, h, &m);
	return;
drop:
	atomic_fetch_add(&ike->packets_dropped, 1);
	if (ike->v2 != NULL)
		ike->v2->stats.dropped++;
}

static void
dispatch_request(struct ikemgr *ike, struct v2_sa *sa, uint8_t exchange,
		 const struct ikev2_msg *m, uint32_t msgid)
{
	switch (exchange) {
	case IKEV2_IKE_AUTH:
		auth_responder(ike, sa, m, msgid);
		break;
	case IKEV2_CREATE_CHILD_SA:
		if (sa->state == V2_READY)
			create_child_responder(ike, sa, m, msgid);
		break;
	case IKEV2_INFORMATIONAL:
		if (sa->state == V2_READY)
			info_responder(ike, sa, m, msgid);
		break;
	default:
		break;
	}
}

static void
dispatch_response(struct ikemgr *ike, struct v2_sa *sa,
		  const struct ikev2_msg *m)
{
	switch (sa->req_exchange) {
	case IKEV2_IKE_AUTH:
		auth_response(ike, sa, m);
		break;
	case IKEV2_CREATE_CHILD_SA:
		create_child_response(ike, sa, m);
		run_jobs(ike, sa);
		break;
	case IKEV2_INFORMATIONAL:
		info_response(ike, sa);
		break;
	default:
		break;
	}
}

/* Hashes a request before it is decrypted in place. */
static void
request_hash(const uint8_t *msg, size_t len, uint8_t out[20])
{
	struct ike_chunk in[1] = { { msg, len } };

	ike_hash(IKE_HASH_SHA, in, 1, out);
}

static bool
same_request(const struct v2_sa *sa, const uint8_t *msg, size_t len)
{
	uint8_t h[20];

	request_hash(msg, len, h);
	return memcmp(h, sa->req_hash, 20) == 0;
}

void
ikev2_input(struct ikemgr *ike, const struct dp_ike_packet *pkt)
{
	struct ikev2_hdr h;
	struct ikev2_msg m = { .n = 0 };
	struct v2_sa *sa;
	uint8_t *msg = NULL, *plain;
	size_t plain_len;
	bool response;

	if (state_of(ike) == NULL ||
	    ikev2_parse_hdr(pkt->data, pkt->len, &h) < 0 ||
	    h.version != IKEV2_VERSION)
		goto drop;
	msg = dup_msg(pkt->data, h.length);
	if (msg == NULL)
		return;
	count_msg(ike, msg, false);
	if (h.exchange == IKEV2_IKE_SA_INIT) {
		handle_init(ike, pkt, &h, msg);
		free(msg);
		return;
	}
	sa = find_by_spi(ike, &h);
	response = (h.flags & IKEV2_FLAG_R) != 0;
	if (sa == NULL || sa->peer != pkt->src ||
	    (sa->state == V2_DEAD && !response) ||
	    memcmp(sa->spir, h.spir, 8) != 0)
		goto drop;
	if (!response && h.msgid + 1 == sa->peer_msgid && sa->resp != NULL) {
		/* Only the very request we answered gets the answer again. */
		if (!same_request(sa, msg, h.length))
			goto drop;
		transmit(ike, sa, sa->resp, sa->resp_len);
		free(msg);
		return;
	}
	if ((!response && h.msgid != sa->peer_msgid) ||
	    (response && (sa->req == NULL || h.msgid != sa->req_msgid)))
		goto drop;
	if (ikev2_parse_chain(h.next, msg + IKEV2_HDR_LEN,
			      h.length - IKEV2_HDR_LEN, IKEV2_HDR_LEN,
			      &m) < 0 || m.sk_off == 0 ||
	    ikev2_open(&sa->algs, &sa->keys, !sa->initiator, msg, h.length,
		       m.sk_off, &plain, &plain_len) < 0 ||
	    ikev2_parse_chain(m.sk_next, plain, plain_len,
			      (size_t)(plain - msg), &m) < 0)
		goto drop;
	sa->last_rx = ike_now(ike);
	sa->lport = pkt->dport;
	sa->pport = pkt->sport;
	sa->natt = pkt->natt;
	if (response) {
		dispatch_response(ike, sa, &m);
	} else {
		sa->peer_msgid++;
		request_hash(pkt->data, h.length, sa->req_hash);
		dispatch_request(ike, sa, h.exchange, &m, h.msgid);
	}
	free(msg);
	return;
drop:
	free(msg);
	atomic_fetch_add(&ike->packets_dropped, 1);
	if (ike->v2 != NULL)
		ike->v2->stats.dropped++;
}

/* ---- Timers, events and snapshots ---- */

static bool
retransmit_due(struct ikemgr *ike, struct v2_sa *sa, double now)
{
	if (sa->req == NULL || now < sa->retx_next)
		return true;
	if (sa->retx_count >= V2_RETRANSMITS) {
		DBG(sa, "no response after %u retransmissions: deleting the IKE SA",
		    sa->retx_count);
		return false;
	}
	sa->retx_count++;
	sa->retx_next = now + RETX_FIRST_SEC * (1u << sa->retx_count);
	transmit(ike, sa, sa->req, sa->req_len);
	return true;
}

/* Sends a DELETE for the IKE SA and marks it dead; the response or the
 * retransmission limit removes it. */
static void
delete_ike_sa(struct ikemgr *ike, struct v2_sa *sa)
{
	struct v2_job j = { .kind = V2_JOB_DELETE_IKE };

	if (sa->state != V2_READY) {
		remove_sa(ike, sa, true);
		return;
	}
	sa->njobs = 0;
	request_done(sa);
	send_informational(ike, sa, &j);
	sa->state = V2_DEAD;
}

/*
 * Handles the end of SA's lifetime. The original initiator rekeys the
 * IKE SA and the responder waits for that; whichever fails within the
 * grace period deletes the SA.
 */
static void
expire(struct ikemgr *ike, struct v2_sa *sa, double now)
{
	if (sa->expiring) {
		DBG(sa, "IKE SA lifetime expired without a rekey: deleting it");
		delete_ike_sa(ike, sa);
		return;
	}
	sa->expiring = true;
	sa->expires = now + REKEY_GRACE_SEC;
	if (sa->initiator)
		add_job(ike, sa, V2_JOB_REKEY_IKE, 0, NULL);
}

void
ikev2_timers(struct ikemgr *ike, double now)
{
	struct ikev2_state *st = ike->v2;
	size_t i = 0;

	while (st != NULL && i < st->nsas) {
		struct v2_sa *sa = st->sas[i];

		if (!retransmit_due(ike, sa, now) ||
		    (sa->state != V2_READY && sa->state != V2_DEAD &&
		     now - sa->created > NEGOTIATION_SEC) ||
		    (sa->state == V2_DEAD && sa->req == NULL)) {
			remove_sa(ike, sa, true);
			continue;
		}
		if (sa->state == V2_READY && now >= sa->expires) {
			expire(ike, sa, now);
		} else if (sa->state == V2_READY && sa->dpd_interval != 0 &&
			   sa->req == NULL && sa->njobs == 0 &&
			   now - sa->last_rx >= sa->dpd_interval) {
			/* NOTE: on-demand DPD is sent like periodic DPD:
			 * the manager does not see the datapath's traffic. */
			add_job(ike, sa, V2_JOB_DPD, 0, NULL);
		}
		i++;
	}
}

bool
ikev2_invalid_spi(struct ikemgr *ike, const struct dp_invalid_spi_event *ev)
{
	struct v2_sa *sa = find_ready(ike, ev->src);

	if (sa == NULL)
		return false;
	DBG(sa, "invalid SPI 0x%X received: sending INVALID_SPI and DELETE",
	    ev->spi);
	add_job(ike, sa, V2_JOB_INVALID_SPI, ev->spi, NULL);
	return true;
}

bool
ikev2_send_invalid_spi(struct ikemgr *ike, uint32_t peer, uint32_t spi,
		       bool spi_field, bool with_delete)
{
	struct v2_sa *sa = find_ready(ike, peer);

	if (sa == NULL)
		return false;
	if (sa->njobs == V2_JOBS)
		return false;
	sa->jobs[sa->njobs++] = (struct v2_job){
		.kind = V2_JOB_INVALID_SPI, .spi = spi,
		.spi_field = spi_field, .no_delete = !with_delete,
	};
	run_jobs(ike, sa);
	return true;
}

bool
ikev2_sa_lifetime(struct ikemgr *ike, const struct dp_sa_event *ev)
{
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; st != NULL && i < st->nchildren; i++) {
		struct v2_child *c = &st->children[i];
		struct v2_sa *sa;

		if ((ev->outbound ? c->spi_out : c->spi_in) != ev->spi)
			continue;
		if (ev->kind == DP_SA_HARD_EXPIRED) {
			remove_child(ike, i);
			return true;
		}
		sa = find_ready(ike, c->peer);
		if (!c->rekeyed && sa != NULL && sa->conn_id == c->conn_id)
			add_job(ike, sa, V2_JOB_REKEY_CHILD, c->spi_in, NULL);
		return true;
	}
	return false;
}

static const char *
encr_text(uint16_t encr)
{
	switch (encr) {
	case IKEV2_ENCR_3DES: return "3des";
	case IKEV2_ENCR_AES_GCM_16: return "aes-gcm";
	default: return "aes";
	}
}

static const char *
prf_text(uint16_t prf)
{
	switch (prf) {
	case IKEV2_PRF_MD5: return "md5";
	case IKEV2_PRF_SHA256: return "sha256";
	case IKEV2_PRF_SHA384: return "sha384";
	case IKEV2_PRF_SHA512: return "sha512";
	default: return "sha";
	}
}

static const char *
integ_text(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_MD5_96: return "md5";
	case IKEV2_INTEG_SHA256_128: return "sha256";
	case IKEV2_INTEG_SHA384_192: return "sha384";
	case IKEV2_INTEG_SHA512_256: return "sha512";
	default: return "sha";
	}
}

static void
fill_info(struct ikemgr *ike, const struct v2_sa *sa, struct ike_sa_info *o,
	  double now)
{
	struct ikev2_state *st = ike->v2;

	memset(o, 0, sizeof(*o));
	o->conn_id = sa->conn_id;
	o->version = 2;
	o->local = sa->local;
	o->peer = sa->peer;
	o->local_port = sa->lport;
	o->peer_port = sa->pport;
	snprintf(o->state, sizeof(o->state), "%s",
		 sa->state == V2_READY ? "READY" :
		 sa->state == V2_DEAD ? "DELETE" : "IN-NEG");
	o->active = sa->state != V2_DEAD;
	o->initiator = sa->initiator;
	memcpy(o->icookie, sa->spii, 8);
	memcpy(o->rcookie, sa->spir, 8);
	snprintf(o->encr, sizeof(o->encr), "%s", encr_text(sa->algs.encr));
	o->key_bits = sa->algs.encr == IKEV2_ENCR_3DES ? 0 : sa->algs.key_bits;
	snprintf(o->hash, sizeof(o->hash), "%s", prf_text(sa->algs.prf));
	snprintf(o->auth, sizeof(o->auth), "psk");
	o->dh_group = (uint8_t)sa->algs.group;
	o->lifetime_sec = sa->lifetime;
	if (sa->state == V2_READY && sa->expires > now)
		o->remaining_sec = (uint32_t)(sa->expires - now);
	o->natt = sa->nat_detected;
	o->dpd = sa->dpd_interval != 0;
	snprintf(o->profile, sizeof(o->profile), "%s", sa->profile);
	for (size_t i = 0; i < st->nchildren; i++) {
		const struct v2_child *c = &st->children[i];

		if (c->conn_id != sa->conn_id)
			continue;
		snprintf(o->map, sizeof(o->map), "%s", c->entry.map);
		o->map_seq = c->entry.seq;
		snprintf(o->ifname, sizeof(o->ifname), "%s", c->entry.ifname);
		break;
	}
	o->child_sas = sa->child_sas;
	snprintf(o->integ, sizeof(o->integ), "%s",
		 sa->algs.integ == IKEV2_INTEG_NONE ? "" :
		 integ_text(sa->algs.integ));
	o->local_msgid = sa->next_msgid;
	o->remote_msgid = sa->peer_msgid;
	o->dpd_interval = sa->dpd_interval;
	o->dpd_retry = sa->dpd_retry;
}

int
ikev2_get_sas(struct ikemgr *ike, struct ike_sa_info **arr, size_t *n,
	      double now)
{
	struct ikev2_state *st = ike->v2;
	struct ike_sa_info *p;

	if (st == NULL || st->nsas == 0)
		return 0;
	p = realloc(*arr, (*n + st->nsas) * sizeof(*p));
	if (p == NULL)
		return -1;
	*arr = p;
	for (size_t i = 0; i < st->nsas; i++)
		fill_info(ike, st->sas[i], &p[(*n)++], now);
	return 0;
}

int
ikev2_clear(struct ikemgr *ike, bool ike_sas, bool children, uint32_t addr)
{
	struct ikev2_state *st = ike->v2;
	int n = 0, nike = 0;
	size_t i = 0;

	while (children && st != NULL && i < st->nchildren) {
		struct v2_child c = st->children[i];
		struct v2_sa *sa;

		if (addr != 0 && c.peer != addr) {
			i++;
			continue;
		}
		remove_child(ike, i);
		n++;
		sa = find_ready(ike, c.peer);
		if (sa != NULL && !ike_sas)
			add_job(ike, sa, V2_JOB_DELETE_CHILD, c.spi_in, NULL);
	}
	i = 0;
	while (ike_sas && st != NULL && i < st->nsas) {
		struct v2_sa *sa = st->sas[i];

		if ((addr != 0 && sa->peer != addr) || sa->state == V2_DEAD) {
			i++;
			continue;
		}
		nike++;
		delete_ike_sa(ike, sa);
		i = 0;
	}
	return ike_sas ? nike : n;
}

void
ikev2_free_all(struct ikemgr *ike)
{
	struct ikev2_state *st = ike->v2;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nsas; i++)
		free_sa(st->sas[i]);
	free(st->sas);
	free(st->children);
	free(st->contacted);
	free(st);
	ike->v2 = NULL;
}

void
ike_get_v2_stats(struct ikemgr *ike, struct ike_v2_stats *out)
{
	pthread_mutex_lock(&ike->sa_lock);
	if (ike->v2 != NULL)
		*out = ike->v2->stats;
	else
		memset(out, 0, sizeof(*out));
	pthread_mutex_unlock(&ike->sa_lock);
}
