/*
 * IKEv2 payloads (RFC 7296 3): SA payloads with their proposals and
 * transforms, the choice among the peer's proposals, traffic selectors
 * and Notify payloads.
 */
#include "ikemgr/ikev2_sa.h"

#include "core/debug.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
void
ikev2_add_ike_sa(struct ikev2_buf *b, const struct ikev2_config *c,
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

uint16_t
ikev2_esp_integ_id(enum dp_integ integ)
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
void
ikev2_add_esp_sa(struct ikev2_buf *b, const struct ike_config *c,
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
				      ikev2_esp_integ_id(t->integ), 0);
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

/* Calls FN for each proposal of the SA payload BODY; -1 if malformed. */
int
ikev2_each_proposal(const uint8_t *body, size_t len,
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
bool
ikev2_choose_ike(const struct v2_prop *p, void *arg)
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

bool
ikev2_choose_esp(const struct v2_prop *p, void *arg)
{
	struct esp_choice *ch = arg;

	if (p->proto != IKEV2_PROTO_ESP || p->spi_size != 4)
		return false;
	for (size_t k = 0; k < ch->e->ntsets; k++) {
		const struct ike_tset *t = &ch->c->tsets[ch->e->tsets[k]];
		uint16_t bits = t->cipher == DP_CIPHER_AES_CBC ?
				t->key_bits : 0;

		if (!has_id(p, IKEV2_TT_ENCR, esp_encr_id(t), bits))
			continue;
		if (t->integ != DP_INTEG_NONE &&
		    !has_id(p, IKEV2_TT_INTEG, ikev2_esp_integ_id(t->integ), 0))
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
void
ikev2_add_entry_ts(struct ikev2_buf *b, const struct ike_entry *e)
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

bool
ikev2_read_notify(const struct ikev2_pl *pl, struct v2_notify *n)
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

bool
ikev2_find_notify(const struct ikev2_msg *m, uint16_t type, struct v2_notify *n)
{
	for (size_t i = 0; i < m->n; i++)
		if (ikev2_read_notify(&m->pl[i], n) && n->type == type)
			return true;
	return false;
}


bool
ikev2_wants_transport(const struct ikev2_msg *m)
{
	struct v2_notify n;

	return ikev2_find_notify(m, IKEV2_N_USE_TRANSPORT_MODE, &n);
}
