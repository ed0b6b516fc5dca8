/*
 * ISAKMP message codec: header, payload chain, SA/proposal/transform,
 * attributes, notify, delete and ID bodies, and a bounded builder.
 */
#include "ikemgr/isakmp.h"

#include <string.h>

const uint8_t isakmp_vid_natt_rfc3947[16] = {
	0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
	0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f,
};

const uint8_t isakmp_vid_dpd[16] = {
	0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
	0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00,
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int
isakmp_parse_hdr(const uint8_t *buf, size_t len, struct isakmp_hdr *h)
{
	if (len < ISAKMP_HDR_LEN)
		return -1;
	memcpy(h->icookie, buf, 8);
	memcpy(h->rcookie, buf + 8, 8);
	h->next = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msgid = get32(buf + 20);
	h->length = get32(buf + 24);
	if ((h->version & 0xf0) != ISAKMP_VERSION)
		return -1;
	if (h->length < ISAKMP_HDR_LEN || h->length > len)
		return -1;
	return 0;
}

int
isakmp_parse_payloads(uint8_t first, const uint8_t *buf, size_t len,
		      struct isakmp_msg *m)
{
	uint8_t type = first;
	size_t off = 0, plen;

	m->n = 0;
	while (type != ISAKMP_NP_NONE) {
		if (m->n == ISAKMP_MAX_PAYLOADS || len - off < ISAKMP_GEN_LEN)
			return -1;
		plen = get16(buf + off + 2);
		if (plen < ISAKMP_GEN_LEN || plen > len - off)
			return -1;
		m->pl[m->n++] = (struct isakmp_pl){
			.type = type,
			.body = buf + off + ISAKMP_GEN_LEN,
			.len = plen - ISAKMP_GEN_LEN,
			.raw = buf + off,
		};
		type = buf[off];
		off += plen;
	}
	return 0;
}

const struct isakmp_pl *
isakmp_find(const struct isakmp_msg *m, uint8_t type)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

int
isakmp_next_attr(const uint8_t *attrs, size_t len, size_t *off,
		 struct isakmp_attr *a)
{
	size_t vlen;

	if (*off == len)
		return 0;
	if (len - *off < 4)
		return -1;
	a->type = get16(attrs + *off) & 0x7fff;
	if (attrs[*off] & 0x80) {
		a->value = get16(attrs + *off + 2);
		*off += 4;
		return 1;
	}
	vlen = get16(attrs + *off + 2);
	if (vlen > 4 || vlen > len - *off - 4)
		return -1;
	a->value = 0;
	for (size_t i = 0; i < vlen; i++)
		a->value = a->value << 8 | attrs[*off + 4 + i];
	*off += 4 + vlen;
	return 1;
}

/* Checks that every attribute of T is well formed. */
static int
check_attrs(const struct isakmp_transform *t)
{
	struct isakmp_attr a;
	size_t off = 0;
	int rc;

	while ((rc = isakmp_next_attr(t->attrs, t->attrs_len, &off, &a)) > 0)
		;
	return rc;
}

static int
parse_transforms(const uint8_t *p, size_t len, unsigned count,
		 struct isakmp_proposal *prop)
{
	size_t off = 0, tlen;
	uint8_t next = ISAKMP_NP_T;

	prop->ntransforms = 0;
	while (next == ISAKMP_NP_T) {
		struct isakmp_transform *t;

		if (prop->ntransforms == ISAKMP_MAX_TRANSFORMS ||
		    len - off < ISAKMP_GEN_LEN + 4)
			return -1;
		next = p[off];
		tlen = get16(p + off + 2);
		if (tlen < ISAKMP_GEN_LEN + 4 || tlen > len - off)
			return -1;
		t = &prop->t[prop->ntransforms++];
		t->num = p[off + 4];
		t->id = p[off + 5];
		t->attrs = p + off + 8;
		t->attrs_len = tlen - 8;
		if (check_attrs(t) < 0)
			return -1;
		off += tlen;
	}
	if (next != ISAKMP_NP_NONE || off != len || prop->ntransforms != count)
		return -1;
	return 0;
}

int
isakmp_parse_sa(const uint8_t *body, size_t len, struct isakmp_sa *sa)
{
	size_t off = 8, plen;
	uint8_t next = ISAKMP_NP_P;

	if (len < 8)
		return -1;
	sa->doi = get32(body);
	sa->situation = get32(body + 4);
	sa->nproposals = 0;
	while (next == ISAKMP_NP_P) {
		struct isakmp_proposal *prop;
		const uint8_t *p = body + off;

		if (sa->nproposals == ISAKMP_MAX_PROPOSALS ||
		    len - off < ISAKMP_GEN_LEN + 4)
			return -1;
		next = p[0];
		plen = get16(p + 2);
		if (plen < ISAKMP_GEN_LEN + 4 || plen > len - off)
			return -1;
		prop = &sa->p[sa->nproposals++];
		prop->num = p[4];
		prop->proto = p[5];
		prop->spi_size = p[6];
		if (prop->spi_size > ISAKMP_MAX_SPI ||
		    prop->spi_size > plen - 8)
			return -1;
		memcpy(prop->spi, p + 8, prop->spi_size);
		if (parse_transforms(p + 8 + prop->spi_size,
				     plen - 8 - prop->spi_size, p[7], prop) < 0)
			return -1;
		off += plen;
	}
	if (next != ISAKMP_NP_NONE || off != len)
		return -1;
	return 0;
}

int
isakmp_parse_notify(const uint8_t *body, size_t len, struct isakmp_notify *n)
{
	if (len < 8)
		return -1;
	n->doi = get32(body);
	n->proto = body[4];
	n->spi_size = body[5];
	n->type = get16(body + 6);
	if (n->spi_size > len - 8)
		return -1;
	n->spi = body + 8;
	n->data = body + 8 + n->spi_size;
	n->data_len = len - 8 - n->spi_size;
	return 0;
}

int
isakmp_parse_delete(const uint8_t *body, size_t len, struct isakmp_delete *d)
{
	if (len < 8)
		return -1;
	d->doi = get32(body);
	d->proto = body[4];
	d->spi_size = body[5];
	d->nspis = get16(body + 6);
	d->spis = body + 8;
	if (d->spi_size == 0 || d->nspis == 0 ||
	    (size_t)d->spi_size * d->nspis != len - 8)
		return -1;
	return 0;
}

int
isakmp_parse_id(const uint8_t *body, size_t len, struct isakmp_id *id)
{
	if (len < 4)
		return -1;
	id->type = body[0];
	id->proto = body[1];
	id->port = get16(body + 2);
	id->data = body + 4;
	id->data_len = len - 4;
	return 0;
}

/* ---- Building ---- */

void
isakmp_put(struct isakmp_buf *b, const void *p, size_t len)
{
	if (b->overflow || len > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
}

void
isakmp_put8(struct isakmp_buf *b, uint8_t v)
{
	isakmp_put(b, &v, 1);
}

void
isakmp_put16(struct isakmp_buf *b, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	isakmp_put(b, p, 2);
}

void
isakmp_put32(struct isakmp_buf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	isakmp_put(b, p, 4);
}

void
isakmp_put_attr(struct isakmp_buf *b, uint16_t type, uint32_t value)
{
	if (value <= 0xffff) {
		isakmp_put16(b, (uint16_t)(0x8000 | type));
		isakmp_put16(b, (uint16_t)value);
		return;
	}
	isakmp_put16(b, type);
	isakmp_put16(b, 4);
	isakmp_put32(b, value);
}

void
isakmp_build_start(struct isakmp_buf *b, uint8_t *data, size_t cap,
		   const struct isakmp_hdr *h)
{
	*b = (struct isakmp_buf){ .data = data, .cap = cap };
	if (h == NULL)
		return;
	isakmp_put(b, h->icookie, 8);
	isakmp_put(b, h->rcookie, 8);
	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, ISAKMP_VERSION);
	isakmp_put8(b, h->exchange);
	isakmp_put8(b, h->flags);
	isakmp_put32(b, h->msgid);
	isakmp_put32(b, 0);
	b->last_np = 16;
}

size_t
isakmp_add(struct isakmp_buf *b, uint8_t type, const void *body, size_t len)
{
	size_t start = b->len;

	if (len > 0xffff - ISAKMP_GEN_LEN) {
		b->overflow = true;
		return 0;
	}
	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, 0);
	isakmp_put16(b, (uint16_t)(len + ISAKMP_GEN_LEN));
	isakmp_put(b, body, len);
	if (b->overflow)
		return 0;
	b->data[b->last_np] = type;
	b->last_np = start;
	return start + ISAKMP_GEN_LEN;
}

size_t
isakmp_build_end(struct isakmp_buf *b)
{
	if (b->overflow || b->len < ISAKMP_HDR_LEN)
		return 0;
	b->data[24] = (uint8_t)(b->len >> 24);
	b->data[25] = (uint8_t)(b->len >> 16);
	b->data[26] = (uint8_t)(b->len >> 8);
	b->data[27] = (uint8_t)b->len;
	return b->len;
}

const char *
isakmp_payload_name(uint8_t type)
{
	switch (type) {
	case ISAKMP_NP_SA: return "SA";
	case ISAKMP_NP_P: return "PROPOSAL";
	case ISAKMP_NP_T: return "TRANSFORM";
	case ISAKMP_NP_KE: return "KE";
	case ISAKMP_NP_ID: return "ID";
	case ISAKMP_NP_CERT: return "CERT";
	case ISAKMP_NP_CR: return "CERT_REQ";
	case ISAKMP_NP_HASH: return "HASH";
	case ISAKMP_NP_SIG: return "SIG";
	case ISAKMP_NP_NONCE: return "NONCE";
	case ISAKMP_NP_N: return "NOTIFY";
	case ISAKMP_NP_D: return "DELETE";
	case ISAKMP_NP_VID: return "VENDOR";
	case ISAKMP_NP_NATD: return "NAT-D";
	case ISAKMP_NP_NATOA: return "NAT-OA";
	}
	return "UNKNOWN";
}

const char *
isakmp_notify_name(uint16_t type)
{
	switch (type) {
	case ISAKMP_N_INVALID_PAYLOAD_TYPE: return "INVALID_PAYLOAD_TYPE";
	case ISAKMP_N_INVALID_SPI: return "INVALID_SPI";
	case ISAKMP_N_NO_PROPOSAL_CHOSEN: return "PROPOSAL_NOT_CHOSEN";
	case ISAKMP_N_PAYLOAD_MALFORMED: return "PAYLOAD_MALFORMED";
	case ISAKMP_N_INVALID_ID_INFORMATION: return "INVALID_ID_INFO";
	case ISAKMP_N_AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
	case ISAKMP_N_RESPONDER_LIFETIME: return "RESPONDER_LIFETIME";
	case ISAKMP_N_INITIAL_CONTACT: return "INITIAL_CONTACT";
	case ISAKMP_N_R_U_THERE: return "R_U_THERE";
	case ISAKMP_N_R_U_THERE_ACK: return "R_U_THERE_ACK";
	}
	return "UNKNOWN";
}
