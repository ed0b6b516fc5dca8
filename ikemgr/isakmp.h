/*
 * ISAKMP message codec (RFC 2408, with the IPsec DOI of RFC 2407, the
 * IKEv1 attributes of RFC 2409 and the NAT-T payloads of RFC 3947).
 *
 * Parsing never copies: a parsed payload points into the caller's buffer,
 * which must outlive it. Every length is checked against the bytes that
 * are there, so a truncated or overlong payload is an error, never a read
 * past the buffer. Building appends to a bounded buffer and fails when it
 * would overflow.
 */
#ifndef VR_IKEMGR_ISAKMP_H
#define VR_IKEMGR_ISAKMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISAKMP_HDR_LEN		28
#define ISAKMP_GEN_LEN		4	/* generic payload header */
#define ISAKMP_VERSION		0x10	/* major 1, minor 0 */

/* Payload types (RFC 2408 3.1, RFC 3947 3.2 and 4). */
enum isakmp_payload {
	ISAKMP_NP_NONE = 0,
	ISAKMP_NP_SA = 1,
	ISAKMP_NP_P = 2,
	ISAKMP_NP_T = 3,
	ISAKMP_NP_KE = 4,
	ISAKMP_NP_ID = 5,
	ISAKMP_NP_CERT = 6,
	ISAKMP_NP_CR = 7,
	ISAKMP_NP_HASH = 8,
	ISAKMP_NP_SIG = 9,
	ISAKMP_NP_NONCE = 10,
	ISAKMP_NP_N = 11,
	ISAKMP_NP_D = 12,
	ISAKMP_NP_VID = 13,
	ISAKMP_NP_NATD = 20,
	ISAKMP_NP_NATOA = 21,
};

/* Exchange types. */
enum isakmp_exchange {
	ISAKMP_XCHG_IDPROT = 2,		/* Main Mode */
	ISAKMP_XCHG_AGGR = 4,
	ISAKMP_XCHG_INFO = 5,
	ISAKMP_XCHG_QUICK = 32,
};

#define ISAKMP_FLAG_E		0x01	/* encrypted */
#define ISAKMP_FLAG_C		0x02	/* commit */
#define ISAKMP_FLAG_A		0x04	/* authentication only */

/* Protocol ids in proposals, notifies and deletes. */
#define ISAKMP_PROTO_ISAKMP	1
#define ISAKMP_PROTO_AH		2
#define ISAKMP_PROTO_ESP	3

#define ISAKMP_DOI_IPSEC	1

/* Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706). */
#define ISAKMP_N_INVALID_PAYLOAD_TYPE	1
#define ISAKMP_N_INVALID_SPI		11
#define ISAKMP_N_NO_PROPOSAL_CHOSEN	14
#define ISAKMP_N_PAYLOAD_MALFORMED	16
#define ISAKMP_N_INVALID_ID_INFORMATION	18
#define ISAKMP_N_AUTHENTICATION_FAILED	24
#define ISAKMP_N_RESPONDER_LIFETIME	24576
#define ISAKMP_N_INITIAL_CONTACT	24578
#define ISAKMP_N_R_U_THERE		36136
#define ISAKMP_N_R_U_THERE_ACK		36137

/* Phase 1 attribute types and values (RFC 2409 appendix A). */
#define IKE_ATTR_ENCR		1
#define IKE_ATTR_HASH		2
#define IKE_ATTR_AUTH		3
#define IKE_ATTR_GROUP		4
#define IKE_ATTR_LIFE_TYPE	11
#define IKE_ATTR_LIFE_DURATION	12
#define IKE_ATTR_KEY_LENGTH	14

#define IKE_ENCR_DES		1
#define IKE_ENCR_3DES		5
#define IKE_ENCR_AES		7
#define IKE_HASH_MD5		1
#define IKE_HASH_SHA		2
#define IKE_HASH_SHA256		4
#define IKE_HASH_SHA384		5
#define IKE_HASH_SHA512		6
#define IKE_AUTH_PSK		1
#define IKE_LIFE_SECONDS	1
#define IKE_LIFE_KILOBYTES	2

/* IPsec DOI transform ids and attributes (RFC 2407 4.4.4, 4.5). */
#define IPSEC_ESP_3DES		3
#define IPSEC_ESP_NULL		11
#define IPSEC_ESP_AES		12
#define IPSEC_ESP_AES_GCM_16	20	/* RFC 4106, 16-octet ICV */
#define IPSEC_ATTR_LIFE_TYPE	1
#define IPSEC_ATTR_LIFE_DURATION 2
#define IPSEC_ATTR_GROUP	3
#define IPSEC_ATTR_ENCAP	4
#define IPSEC_ATTR_AUTH		5
#define IPSEC_ATTR_KEY_LENGTH	6
#define IPSEC_ENCAP_TUNNEL	1
#define IPSEC_ENCAP_TRANSPORT	2
#define IPSEC_ENCAP_UDP_TUNNEL	3	/* RFC 3947 */
#define IPSEC_ENCAP_UDP_TRANSPORT 4
#define IPSEC_AUTH_MD5		1
#define IPSEC_AUTH_SHA		2
#define IPSEC_AUTH_SHA256	5
#define IPSEC_AUTH_SHA384	6
#define IPSEC_AUTH_SHA512	7

/* Identification types (RFC 2407 4.6.2.1). */
#define IPSEC_ID_IPV4_ADDR	1
#define IPSEC_ID_IPV4_SUBNET	4
#define IPSEC_ID_IPV4_RANGE	7

/* Vendor ids: MD5("RFC 3947") and the RFC 3706 DPD id. */
extern const uint8_t isakmp_vid_natt_rfc3947[16];
extern const uint8_t isakmp_vid_dpd[16];

struct isakmp_hdr {
	uint8_t icookie[8];
	uint8_t rcookie[8];
	uint8_t next;			/* first payload */
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;			/* host order */
	uint32_t length;		/* whole message, header included */
};

/* One payload: TYPE and the body after the generic header. */
struct isakmp_pl {
	uint8_t type;
	const uint8_t *body;
	size_t len;
	const uint8_t *raw;		/* the generic header */
};

#define ISAKMP_MAX_PAYLOADS	32

struct isakmp_msg {
	struct isakmp_pl pl[ISAKMP_MAX_PAYLOADS];
	size_t n;
};

/*
 * Parses the header of the message BUF[0..LEN). Returns 0, or -1 when
 * LEN is shorter than the header, the version is not 1.x, or the length
 * field is shorter than the header or longer than LEN.
 */
int isakmp_parse_hdr(const uint8_t *buf, size_t len, struct isakmp_hdr *h);

/*
 * Walks the payload chain that starts with type FIRST at BUF[0..LEN).
 * Bytes after the last payload (the padding of an encrypted message) are
 * allowed. Returns 0, or -1 for a payload that is shorter than its
 * header, runs past LEN, or makes the chain longer than
 * ISAKMP_MAX_PAYLOADS.
 */
int isakmp_parse_payloads(uint8_t first, const uint8_t *buf, size_t len,
			  struct isakmp_msg *m);

/* The first payload of TYPE in M, or NULL. */
const struct isakmp_pl *isakmp_find(const struct isakmp_msg *m, uint8_t type);

/* ---- SA payload ---- */

#define ISAKMP_MAX_PROPOSALS	8
#define ISAKMP_MAX_TRANSFORMS	64
#define ISAKMP_MAX_SPI		16

struct isakmp_transform {
	uint8_t num;
	uint8_t id;
	const uint8_t *attrs;
	size_t attrs_len;
};

struct isakmp_proposal {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_size;
	uint8_t spi[ISAKMP_MAX_SPI];
	size_t ntransforms;
	struct isakmp_transform t[ISAKMP_MAX_TRANSFORMS];
};

struct isakmp_sa {
	uint32_t doi;
	uint32_t situation;
	size_t nproposals;
	struct isakmp_proposal p[ISAKMP_MAX_PROPOSALS];
};

/*
 * Parses an SA payload body, checking each proposal, transform and
 * attribute length. Returns 0, or -1 when malformed or beyond the
 * ISAKMP_MAX_* limits.
 */
int isakmp_parse_sa(const uint8_t *body, size_t len, struct isakmp_sa *sa);

/* One data attribute; VALUE holds basic values and variable ones of up
 * to four octets (life durations). */
struct isakmp_attr {
	uint16_t type;
	uint32_t value;
};

/*
 * Reads the attribute at ATTRS[*OFF..LEN) and advances *OFF. Returns 1
 * with *A filled, 0 at the end, -1 when malformed or a variable value is
 * longer than four octets.
 */
int isakmp_next_attr(const uint8_t *attrs, size_t len, size_t *off,
		     struct isakmp_attr *a);

/* ---- Notify and delete ---- */

struct isakmp_notify {
	uint32_t doi;
	uint8_t proto;
	uint8_t spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t data_len;
};

int isakmp_parse_notify(const uint8_t *body, size_t len,
			struct isakmp_notify *n);

struct isakmp_delete {
	uint32_t doi;
	uint8_t proto;
	uint8_t spi_size;
	uint16_t nspis;
	const uint8_t *spis;		/* NSPIS * SPI_SIZE octets */
};

int isakmp_parse_delete(const uint8_t *body, size_t len,
			struct isakmp_delete *d);

/* ID payload body: type, protocol, port and the identification data. */
struct isakmp_id {
	uint8_t type;
	uint8_t proto;
	uint16_t port;
	const uint8_t *data;
	size_t data_len;
};

int isakmp_parse_id(const uint8_t *body, size_t len, struct isakmp_id *id);

/* ---- Building ---- */

struct isakmp_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool overflow;			/* an append did not fit */
	size_t last_np;			/* offset of the previous next-payload
					 * octet, to chain the next payload */
};

/* Starts a message in DATA[0..CAP) with header H (length set at end). */
void isakmp_build_start(struct isakmp_buf *b, uint8_t *data, size_t cap,
			const struct isakmp_hdr *h);

/*
 * Appends a payload of TYPE with BODY, chaining it to the previous one.
 * Returns the offset of its body in the buffer, or 0 on overflow.
 */
size_t isakmp_add(struct isakmp_buf *b, uint8_t type, const void *body,
		  size_t len);

/* Writes the total length into the header; returns it, or 0 on overflow. */
size_t isakmp_build_end(struct isakmp_buf *b);

/* Appends raw octets to a payload body being assembled. */
void isakmp_put(struct isakmp_buf *b, const void *p, size_t len);
void isakmp_put8(struct isakmp_buf *b, uint8_t v);
void isakmp_put16(struct isakmp_buf *b, uint16_t v);
void isakmp_put32(struct isakmp_buf *b, uint32_t v);

/* Appends a basic (TV) attribute, or a four-octet variable one when
 * VALUE does not fit 16 bits. */
void isakmp_put_attr(struct isakmp_buf *b, uint16_t type, uint32_t value);

/* Names for debug lines: "ENCR", "QUICK", ... */
const char *isakmp_payload_name(uint8_t type);
const char *isakmp_notify_name(uint16_t type);

#endif
