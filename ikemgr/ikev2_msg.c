/*
 * IKEv2 message codec: header, generic payload chain and a bounded
 * builder. Parsing never copies; every length is checked against the
 * octets present.
 */
#include "ikemgr/ikev2_msg.h"
#include "ikemgr/ikev2.h"

#include <string.h>

void
ikev2_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
ikev2_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint16_t
ikev2_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
ikev2_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int
ikev2_parse_hdr(const uint8_t *buf, size_t len, struct ikev2_hdr *h)
{
	if (len < IKEV2_HDR_LEN)
		return -1;
	memcpy(h->spii, buf, 8);
	memcpy(h->spir, buf + 8, 8);
	h->next = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msgid = ikev2_get_be32(buf + 20);
	h->length = ikev2_get_be32(buf + 24);
	if (h->length < IKEV2_HDR_LEN || h->length > len)
		return -1;
	return 0;
}

int
ikev2_parse_chain(uint8_t first, const uint8_t *buf, size_t len,
		  size_t base, struct ikev2_msg *m)
{
	uint8_t type = first;
	size_t off = 0;

	while (type != IKEV2_NP_NONE) {
		size_t plen;

		if (len - off < 4)
			return -1;
		plen = ikev2_get_be16(buf + off + 2);
		if (plen < 4 || plen > len - off)
			return -1;
		if (type == IKEV2_NP_SK) {
			m->sk_off = base + off;
			m->sk_next = buf[off];
			return 0;
		}
		if (m->n == IKEV2_MAX_PAYLOADS)
			return -1;
		m->pl[m->n++] = (struct ikev2_pl){
			.type = type,
			.critical = (buf[off + 1] & 0x80) != 0,
			.body = buf + off + 4,
			.len = plen - 4,
		};
		type = buf[off];
		off += plen;
	}
	return 0;
}

const struct ikev2_pl *
ikev2_find(const struct ikev2_msg *m, uint8_t type)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

void
ikev2_build_start(struct ikev2_buf *b, uint8_t *p, size_t cap,
		  const struct ikev2_hdr *h)
{
	*b = (struct ikev2_buf){ .p = p, .cap = cap, .np_off = 16 };
	if (cap < IKEV2_HDR_LEN) {
		b->overflow = true;
		return;
	}
	memcpy(p, h->spii, 8);
	memcpy(p + 8, h->spir, 8);
	p[16] = IKEV2_NP_NONE;
	p[17] = IKEV2_VERSION;
	p[18] = h->exchange;
	p[19] = h->flags;
	ikev2_put_be32(p + 20, h->msgid);
	b->len = IKEV2_HDR_LEN;
}

size_t
ikev2_add(struct ikev2_buf *b, uint8_t type, const void *body, size_t len)
{
	size_t start = b->len;

	if (b->overflow || len + 4 > 0xffff || b->cap - b->len < len + 4) {
		b->overflow = true;
		return 0;
	}
	b->p[b->np_off] = type;
	b->p[start] = IKEV2_NP_NONE;
	b->p[start + 1] = 0;
	ikev2_put_be16(b->p + start + 2, (uint16_t)(len + 4));
	if (body != NULL)
		memcpy(b->p + start + 4, body, len);
	else
		memset(b->p + start + 4, 0, len);
	b->np_off = start;
	b->len += len + 4;
	return start + 4;
}

void
ikev2_begin_sk(struct ikev2_buf *b, size_t iv_len)
{
	size_t start = b->len;

	if (ikev2_add(b, IKEV2_NP_SK, NULL, iv_len) == 0)
		return;
	b->sk_body = b->len;
	/* The SK payload's next-payload octet names the first inner one. */
	b->np_off = start;
}

size_t
ikev2_build_end(struct ikev2_buf *b)
{
	if (b->overflow)
		return 0;
	ikev2_put_be32(b->p + 24, (uint32_t)b->len);
	return b->len;
}
