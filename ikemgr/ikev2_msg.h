/*
 * IKEv2 message building and parsing shared by the IKEv2 sources: a
 * bounded builder that chains payloads, SK payload included, and a
 * parser of the generic payload chain (RFC 7296 3.1, 3.2).
 */
#ifndef VR_IKEMGR_IKEV2_MSG_H
#define VR_IKEMGR_IKEV2_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKEV2_HDR_LEN		28
#define IKEV2_MAX_PAYLOADS	32

struct ikev2_hdr {
	uint8_t spii[8], spir[8];
	uint8_t next;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;			/* host order */
	uint32_t length;
};

struct ikev2_pl {
	uint8_t type;
	bool critical;
	const uint8_t *body;
	size_t len;
};

struct ikev2_msg {
	struct ikev2_pl pl[IKEV2_MAX_PAYLOADS];
	size_t n;
	size_t sk_off;			/* offset of the SK payload; 0: none */
	uint8_t sk_next;		/* first payload inside SK */
};

/* Parses the header of BUF[0..LEN); -1 when short or the length field
 * does not fit LEN. */
int ikev2_parse_hdr(const uint8_t *buf, size_t len, struct ikev2_hdr *h);

/*
 * Walks the chain of payloads that starts with FIRST at BUF[0..LEN),
 * where BUF is at message offset BASE. An SK payload ends the walk: its
 * offset and first inner type are recorded. Returns -1 for a payload
 * shorter than its header, one that runs past LEN, or too many.
 */
int ikev2_parse_chain(uint8_t first, const uint8_t *buf, size_t len,
		      size_t base, struct ikev2_msg *m);

const struct ikev2_pl *ikev2_find(const struct ikev2_msg *m, uint8_t type);

struct ikev2_buf {
	uint8_t *p;
	size_t len, cap;
	size_t np_off;			/* next-payload octet to chain to */
	size_t sk_body;			/* plaintext start; 0: no SK */
	bool overflow;
};

void ikev2_build_start(struct ikev2_buf *b, uint8_t *p, size_t cap,
		       const struct ikev2_hdr *h);
/* Appends a payload of TYPE with BODY[0..LEN); BODY NULL reserves LEN
 * octets and returns their offset. */
size_t ikev2_add(struct ikev2_buf *b, uint8_t type, const void *body,
		 size_t len);
/* Opens the SK payload with IV_LEN octets for its IV: the payloads added
 * next go inside it. */
void ikev2_begin_sk(struct ikev2_buf *b, size_t iv_len);
/* Writes the message length; returns it, or 0 on overflow. */
size_t ikev2_build_end(struct ikev2_buf *b);

void ikev2_put_be16(uint8_t *p, uint16_t v);
void ikev2_put_be32(uint8_t *p, uint32_t v);
uint16_t ikev2_get_be16(const uint8_t *p);
uint32_t ikev2_get_be32(const uint8_t *p);

#endif
