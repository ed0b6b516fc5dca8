#include "fuzz_peer.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ikemgr/isakmp.h"

#define FZ_MAP_TAIL \
	"access-list 110 permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n" \
	"interface GigabitEthernet1\n" \
	" ip address " FZ_LOCAL " 255.255.255.0\n" \
	" crypto map VPN\n"

const char fz_config_v1[] =
	"crypto isakmp policy 10\n"
	" encryption aes\n"
	" hash sha\n"
	" authentication pre-share\n"
	" group 19\n"
	"crypto isakmp key " FZ_PSK " address " FZ_PEER "\n"
	"crypto ipsec transform-set TS esp-aes esp-sha-hmac\n"
	"crypto map VPN 10 ipsec-isakmp\n"
	" set peer " FZ_PEER "\n"
	" set transform-set TS\n"
	" match address 110\n"
	FZ_MAP_TAIL;

const char fz_config_v2[] =
	"crypto ikev2 proposal PROP\n"
	" encryption aes-cbc-256\n"
	" integrity sha256\n"
	" group 19\n"
	"crypto ikev2 policy POL\n"
	" proposal PROP\n"
	"crypto ikev2 keyring KR\n"
	" peer P\n"
	"  address " FZ_PEER "\n"
	"  pre-shared-key " FZ_PSK "\n"
	"crypto ikev2 profile PROF\n"
	" match identity remote address " FZ_PEER " 255.255.255.255\n"
	" authentication remote pre-share\n"
	" authentication local pre-share\n"
	" keyring local KR\n"
	"crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n"
	"crypto map VPN 10 ipsec-isakmp\n"
	" set peer " FZ_PEER "\n"
	" set transform-set TS\n"
	" set ikev2-profile PROF\n"
	" match address 110\n"
	FZ_MAP_TAIL;

#define V1_GROUP	19
#define V1_KEY_LEN	16		/* AES-128 */
#define V1_BLOCK	16

/*
 * A payload chain built with the IKEv2 message builder behind a scratch
 * header, since the generic payload header is the same in both IKE
 * versions. chain_end() moves the chain to the start of the buffer.
 */
struct chain {
	struct ikev2_buf b;
	uint8_t first;			/* set by chain_end() */
};

static void
chain_start(struct chain *c, uint8_t *p, size_t cap)
{
	struct ikev2_hdr scratch = { .exchange = 0 };

	ikev2_build_start(&c->b, p, cap, &scratch);
	c->first = 0;
}

static void
chain_add(struct chain *c, uint8_t type, const void *body, size_t len)
{
	(void)ikev2_add(&c->b, type, body, len);
}

/* Moves the chain to the start of its buffer; returns its length, 0
 * when it did not fit. */
static size_t
chain_end(struct chain *c)
{
	size_t len;

	if (c->b.overflow)
		return 0;
	c->first = c->b.p[16];
	len = c->b.len - IKEV2_HDR_LEN;
	memmove(c->b.p, c->b.p + IKEV2_HDR_LEN, len);
	return len;
}

static void
fill_nonce(uint8_t *n, size_t len, const char *tag, uint64_t serial)
{
	for (size_t i = 0; i < len; i++)
		n[i] = (uint8_t)(tag[i % strlen(tag)] ^ (serial >> (8 * (i % 8))));
}

static void
put_cookie(uint8_t out[8], const char tag[3], uint64_t serial)
{
	memcpy(out, tag, 3);
	for (int i = 0; i < 5; i++)
		out[3 + i] = (uint8_t)(serial >> (8 * i));
}

/* The last message the manager sent, when it sent one since COUNT. */
static bool
reply_since(size_t count, struct dp_ike_packet *out)
{
	return fz_sent_count() != count && fz_last_sent(out);
}

/* ---- IKEv1 ---- */

/* MM1's SA payload body: AES-128, SHA-1, pre-shared key, group 19 and
 * 86400 s (RFC 2409 appendix A attributes). */
static const uint8_t v1_sa_body[] = {
	0, 0, 0, 1, 0, 0, 0, 1,
	0, 0, 0, 48, 1, 1, 0, 1,
	0, 0, 0, 40, 1, 1, 0, 0,
	0x80, 0x01, 0x00, 0x07, 0x80, 0x0e, 0x00, 0x80,
	0x80, 0x02, 0x00, 0x02, 0x80, 0x03, 0x00, 0x01,
	0x80, 0x04, 0x00, V1_GROUP, 0x80, 0x0b, 0x00, 0x01,
	0x00, 0x0c, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80,
};

static size_t
v1_message(const struct fz_v1 *p, uint8_t exchange, uint8_t flags,
	   uint32_t msgid, struct chain *c, uint8_t *out, size_t cap)
{
	size_t len = chain_end(c);

	if (len == 0 || ISAKMP_HDR_LEN + len > cap)
		return 0;
	memcpy(out, p->icookie, 8);
	memcpy(out + 8, p->rcookie, 8);
	out[16] = c->first;
	out[17] = ISAKMP_VERSION;
	out[18] = exchange;
	out[19] = flags;
	ikev2_put_be32(out + 20, msgid);
	ikev2_put_be32(out + 24, (uint32_t)(ISAKMP_HDR_LEN + len));
	memcpy(out + ISAKMP_HDR_LEN, c->b.p, len);
	return ISAKMP_HDR_LEN + len;
}

/* Posts MSG and parses the manager's Main Mode reply into H and M. */
static bool
v1_exchange(struct fz_v1 *p, const uint8_t *msg, size_t len,
	    struct dp_ike_packet *reply, struct isakmp_hdr *h,
	    struct isakmp_msg *m, const char *step)
{
	size_t count = fz_sent_count();

	fz_post(p->r, msg, len, 500);
	if (!reply_since(count, reply) ||
	    isakmp_parse_hdr(reply->data, reply->len, h) < 0 ||
	    memcmp(h->icookie, p->icookie, 8) != 0 ||
	    h->exchange != ISAKMP_XCHG_IDPROT) {
		fprintf(stderr, "fuzz peer: no %s from the IKEv1 responder\n",
			step);
		return false;
	}
	if (m != NULL &&
	    isakmp_parse_payloads(h->next, reply->data + ISAKMP_HDR_LEN,
				  h->length - ISAKMP_HDR_LEN, m) < 0) {
		fprintf(stderr, "fuzz peer: %s does not parse\n", step);
		return false;
	}
	return true;
}

static bool
v1_keys(struct fz_v1 *p, const struct isakmp_msg *m)
{
	const struct isakmp_pl *ke = isakmp_find(m, ISAKMP_NP_KE);
	const struct isakmp_pl *nr = isakmp_find(m, ISAKMP_NP_NONCE);
	uint8_t gxy[IKE_DH_MAX], iv[IKE_HASH_MAX];
	struct ike_chunk in[2];
	size_t gxy_len;

	if (ke == NULL || nr == NULL || ke->len != p->gx_len ||
	    nr->len > sizeof(p->nr))
		return false;
	memcpy(p->gxr, ke->body, ke->len);
	memcpy(p->nr, nr->body, nr->len);
	p->nr_len = nr->len;
	if (ike_dh_shared(p->dh, p->gxr, p->gx_len, gxy, sizeof(gxy),
			  &gxy_len) < 0 ||
	    ike_derive_psk(&p->keys, IKE_HASH_SHA, FZ_PSK, strlen(FZ_PSK),
			   p->ni, p->ni_len, p->nr, p->nr_len, gxy, gxy_len,
			   p->icookie, p->rcookie, V1_KEY_LEN) < 0)
		return false;
	in[0] = (struct ike_chunk){ p->gxi, p->gx_len };
	in[1] = (struct ike_chunk){ p->gxr, p->gx_len };
	if (ike_hash(IKE_HASH_SHA, in, 2, iv) < 0)
		return false;
	memcpy(p->iv, iv, V1_BLOCK);
	return true;
}

bool
fz_v1_to_mm4(struct fz_v1 *p, struct router *r, uint64_t serial)
{
	static struct dp_ike_packet reply;
	uint8_t msg[1024], body[600];
	struct isakmp_msg m;
	struct isakmp_hdr h;
	struct chain c;
	size_t len;

	memset(p, 0, sizeof(*p));
	p->r = r;
	put_cookie(p->icookie, "fz1", serial);
	memcpy(p->sai_b, v1_sa_body, sizeof(v1_sa_body));
	p->sai_len = sizeof(v1_sa_body);

	chain_start(&c, body, sizeof(body));
	chain_add(&c, ISAKMP_NP_SA, p->sai_b, p->sai_len);
	len = v1_message(p, ISAKMP_XCHG_IDPROT, 0, 0, &c, msg, sizeof(msg));
	if (!v1_exchange(p, msg, len, &reply, &h, NULL, "MM2"))
		return false;
	memcpy(p->rcookie, h.rcookie, 8);

	p->dh = ike_dh_new(V1_GROUP);
	p->ni_len = sizeof(p->ni);
	fill_nonce(p->ni, p->ni_len, "mm3nonce", serial);
	if (p->dh == NULL || ike_dh_public(p->dh, p->gxi, sizeof(p->gxi),
					   &p->gx_len) < 0)
		return false;
	chain_start(&c, body, sizeof(body));
	chain_add(&c, ISAKMP_NP_KE, p->gxi, p->gx_len);
	chain_add(&c, ISAKMP_NP_NONCE, p->ni, p->ni_len);
	len = v1_message(p, ISAKMP_XCHG_IDPROT, 0, 0, &c, msg, sizeof(msg));
	if (!v1_exchange(p, msg, len, &reply, &h, &m, "MM4"))
		return false;
	if (!v1_keys(p, &m)) {
		fprintf(stderr, "fuzz peer: MM4 gives no usable keys\n");
		return false;
	}
	return true;
}

void
fz_v1_free(struct fz_v1 *p)
{
	ike_dh_free(p->dh);
	p->dh = NULL;
}

void
fz_v1_fix_hash_i(const struct fz_v1 *p, uint8_t first, uint8_t *chain,
		 size_t len)
{
	struct isakmp_msg m;
	const struct isakmp_pl *id, *hash;
	uint8_t out[IKE_HASH_MAX];

	if (isakmp_parse_payloads(first, chain, len, &m) < 0)
		return;
	id = isakmp_find(&m, ISAKMP_NP_ID);
	hash = isakmp_find(&m, ISAKMP_NP_HASH);
	if (id == NULL || hash == NULL || hash->len != p->keys.prf_len)
		return;
	{
		struct ike_chunk in[6] = {
			{ p->gxi, p->gx_len }, { p->gxr, p->gx_len },
			{ p->icookie, 8 }, { p->rcookie, 8 },
			{ p->sai_b, p->sai_len }, { id->body, id->len },
		};

		if (ike_prf(IKE_HASH_SHA, p->keys.skeyid, p->keys.prf_len,
			    in, 6, out) < 0)
			return;
	}
	memcpy(chain + (hash->body - chain), out, hash->len);
}

/* Writes prf(SKEYID_a, M-ID | [NONCE |] payloads after the HASH) into
 * the chain's first payload, when that is a HASH of the right length:
 * HASH(1), or HASH(2) with the initiator's nonce (RFC 2409 5.5). */
static void
write_hash12(const struct fz_v1 *p, uint32_t msgid, const uint8_t *nonce,
	     size_t nonce_len, uint8_t first, uint8_t *chain, size_t len)
{
	struct isakmp_msg m;
	const struct isakmp_pl *h, *last;
	uint8_t mid[4], out[IKE_HASH_MAX];
	const uint8_t *after;
	struct ike_chunk in[3];
	size_t n = 0;

	if (isakmp_parse_payloads(first, chain, len, &m) < 0 || m.n < 1)
		return;
	h = &m.pl[0];
	last = &m.pl[m.n - 1];
	if (h->type != ISAKMP_NP_HASH || h->len != p->keys.prf_len)
		return;
	after = h->body + h->len;
	ikev2_put_be32(mid, msgid);
	in[n++] = (struct ike_chunk){ mid, 4 };
	if (nonce != NULL)
		in[n++] = (struct ike_chunk){ nonce, nonce_len };
	in[n++] = (struct ike_chunk){ after,
				      (size_t)(last->body + last->len - after) };
	if (ike_prf(IKE_HASH_SHA, p->keys.skeyid_a, p->keys.prf_len, in, n,
		    out) < 0)
		return;
	memcpy(chain + (h->body - chain), out, h->len);
}

void
fz_v1_fix_hash1(const struct fz_v1 *p, uint32_t msgid, uint8_t first,
		uint8_t *chain, size_t len)
{
	write_hash12(p, msgid, NULL, 0, first, chain, len);
}

void
fz_v1_fix_hash2(const struct fz_v1 *p, const struct fz_v1_qm *qm,
		uint8_t first, uint8_t *chain, size_t len)
{
	write_hash12(p, qm->msgid, qm->ni, qm->ni_len, first, chain, len);
}

static bool
phase2_iv(const struct fz_v1 *p, uint32_t msgid, uint8_t *iv)
{
	uint8_t mid[4], h[IKE_HASH_MAX];
	struct ike_chunk in[2] = { { p->p1_last, V1_BLOCK }, { mid, 4 } };

	ikev2_put_be32(mid, msgid);
	if (ike_hash(IKE_HASH_SHA, in, 2, h) < 0)
		return false;
	memcpy(iv, h, V1_BLOCK);
	return true;
}

/* Encrypts CHAIN into a message of EXCHANGE and MSGID with IV, which
 * becomes the last ciphertext block. */
static size_t
seal_with_iv(const struct fz_v1 *p, uint8_t exchange, uint32_t msgid,
	     uint8_t first, const uint8_t *chain, size_t len, uint8_t *iv,
	     uint8_t *out, size_t cap)
{
	size_t body = (len + V1_BLOCK - 1) / V1_BLOCK * V1_BLOCK;

	if (ISAKMP_HDR_LEN + body > cap)
		return 0;
	memcpy(out, p->icookie, 8);
	memcpy(out + 8, p->rcookie, 8);
	out[16] = first;
	out[17] = ISAKMP_VERSION;
	out[18] = exchange;
	out[19] = ISAKMP_FLAG_E;
	ikev2_put_be32(out + 20, msgid);
	ikev2_put_be32(out + 24, (uint32_t)(ISAKMP_HDR_LEN + body));
	memcpy(out + ISAKMP_HDR_LEN, chain, len);
	memset(out + ISAKMP_HDR_LEN + len, 0, body - len);
	if (body > 0 &&
	    ike_cbc(IKE_ENCR_AES, p->keys.enc_key, p->keys.enc_key_len, iv,
		    out + ISAKMP_HDR_LEN, body, true) < 0)
		return 0;
	return ISAKMP_HDR_LEN + body;
}

size_t
fz_v1_seal(struct fz_v1 *p, uint8_t exchange, uint32_t msgid, uint8_t first,
	   const uint8_t *chain, size_t len, uint8_t *out, size_t cap)
{
	uint8_t iv[IKE_BLOCK_MAX];

	if (exchange == ISAKMP_XCHG_IDPROT)
		return seal_with_iv(p, exchange, msgid, first, chain, len,
				    p->iv, out, cap);
	if (!phase2_iv(p, msgid, iv))
		return 0;
	return seal_with_iv(p, exchange, msgid, first, chain, len, iv, out,
			    cap);
}

size_t
fz_v1_seal_qm(const struct fz_v1 *p, struct fz_v1_qm *qm, uint8_t first,
	      const uint8_t *chain, size_t len, uint8_t *out, size_t cap)
{
	return seal_with_iv(p, ISAKMP_XCHG_QUICK, qm->msgid, first, chain,
			    len, qm->iv, out, cap);
}

bool
fz_v1_take_qm1(const struct fz_v1 *p, const struct dp_ike_packet *pkt,
	       struct fz_v1_qm *qm)
{
	static struct dp_ike_packet copy;
	const struct isakmp_pl *nonce;
	struct isakmp_hdr h;
	struct isakmp_msg m;
	size_t body;

	copy = *pkt;
	if (isakmp_parse_hdr(copy.data, copy.len, &h) < 0 ||
	    h.exchange != ISAKMP_XCHG_QUICK || h.length < ISAKMP_HDR_LEN +
	    V1_BLOCK)
		return false;
	/* The CBC chain of the exchange goes on from QM1's last block. */
	memcpy(qm->iv, copy.data + h.length - V1_BLOCK, V1_BLOCK);
	body = fz_v1_open_p2(p, &copy);
	if (body == 0 ||
	    isakmp_parse_payloads(h.next, copy.data + ISAKMP_HDR_LEN, body,
				  &m) < 0)
		return false;
	nonce = isakmp_find(&m, ISAKMP_NP_NONCE);
	if (nonce == NULL || nonce->len > sizeof(qm->ni))
		return false;
	memcpy(qm->ni, nonce->body, nonce->len);
	qm->ni_len = nonce->len;
	qm->msgid = h.msgid;
	return true;
}

bool
fz_v1_mm5(struct fz_v1 *p)
{
	static struct dp_ike_packet reply;
	static const uint8_t id[8] = { IPSEC_ID_IPV4_ADDR, 17, 0x01, 0xf4,
				       10, 1, 1, 1 };
	uint8_t chain[128], msg[256];
	struct isakmp_hdr h;
	struct chain c;
	size_t len, body;

	chain_start(&c, chain, sizeof(chain));
	chain_add(&c, ISAKMP_NP_ID, id, sizeof(id));
	chain_add(&c, ISAKMP_NP_HASH, NULL, p->keys.prf_len);
	len = chain_end(&c);
	fz_v1_fix_hash_i(p, c.first, chain, len);
	len = fz_v1_seal(p, ISAKMP_XCHG_IDPROT, 0, c.first, chain, len, msg,
			 sizeof(msg));
	if (!v1_exchange(p, msg, len, &reply, &h, NULL, "MM6"))
		return false;
	body = h.length - ISAKMP_HDR_LEN;
	if (!(h.flags & ISAKMP_FLAG_E) || body == 0 || body % V1_BLOCK != 0 ||
	    ike_cbc(IKE_ENCR_AES, p->keys.enc_key, p->keys.enc_key_len, p->iv,
		    reply.data + ISAKMP_HDR_LEN, body, false) < 0) {
		fprintf(stderr, "fuzz peer: MM6 is not encrypted\n");
		return false;
	}
	memcpy(p->p1_last, p->iv, V1_BLOCK);
	return true;
}

size_t
fz_v1_open_p2(const struct fz_v1 *p, struct dp_ike_packet *pkt)
{
	struct isakmp_hdr h;
	uint8_t iv[IKE_BLOCK_MAX];
	size_t body;

	if (isakmp_parse_hdr(pkt->data, pkt->len, &h) < 0 ||
	    !(h.flags & ISAKMP_FLAG_E) ||
	    memcmp(h.icookie, p->icookie, 8) != 0 ||
	    !phase2_iv(p, h.msgid, iv))
		return 0;
	body = h.length - ISAKMP_HDR_LEN;
	if (body == 0 || body % V1_BLOCK != 0 ||
	    ike_cbc(IKE_ENCR_AES, p->keys.enc_key, p->keys.enc_key_len, iv,
		    pkt->data + ISAKMP_HDR_LEN, body, false) < 0)
		return 0;
	return body;
}

size_t
fz_v1_qm1_chain(const struct fz_v1 *p, uint32_t spi, uint8_t *out,
		size_t cap)
{
	/* One ESP proposal, AES-128 with HMAC-SHA-1 in tunnel mode for
	 * 3600 s (RFC 2407 4.5 attributes); its SPI at offset 20. */
	uint8_t sa[] = {
		0, 0, 0, 1, 0, 0, 0, 1,
		0, 0, 0, 44, 1, ISAKMP_PROTO_ESP, 4, 1, 0, 0, 0, 0,
		0, 0, 0, 32, 1, IPSEC_ESP_AES, 0, 0,
		0x80, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04,
		0x00, 0x00, 0x0e, 0x10, 0x80, 0x04, 0x00, 0x01,
		0x80, 0x05, 0x00, 0x02, 0x80, 0x06, 0x00, 0x80,
	};
	static const uint8_t idci[] = { IPSEC_ID_IPV4_SUBNET, 0, 0, 0,
					192, 168, 1, 0, 255, 255, 255, 0 };
	static const uint8_t idcr[] = { IPSEC_ID_IPV4_SUBNET, 0, 0, 0,
					192, 168, 2, 0, 255, 255, 255, 0 };
	uint8_t nonce[32];
	struct chain c;

	ikev2_put_be32(sa + 16, spi);
	fill_nonce(nonce, sizeof(nonce), "qm1nonce", spi);
	chain_start(&c, out, cap);
	chain_add(&c, ISAKMP_NP_HASH, NULL, p->keys.prf_len);
	chain_add(&c, ISAKMP_NP_SA, sa, sizeof(sa));
	chain_add(&c, ISAKMP_NP_NONCE, nonce, sizeof(nonce));
	chain_add(&c, ISAKMP_NP_ID, idci, sizeof(idci));
	chain_add(&c, ISAKMP_NP_ID, idcr, sizeof(idcr));
	return chain_end(&c);
}

/* ---- IKEv2 ---- */

#define V2_GROUP	19
#define V2_IV_LEN	16
#define V2_SK_BODY	(IKEV2_HDR_LEN + 4 + V2_IV_LEN)

/* The IKE proposal of IKE_SA_INIT: AES-CBC-256, PRF and integrity
 * SHA-256, group 19 (RFC 7296 3.3). */
static const uint8_t v2_ike_sa[] = {
	0, 0, 0, 44, 1, IKEV2_PROTO_IKE, 0, 4,
	3, 0, 0, 12, IKEV2_TT_ENCR, 0, 0, IKEV2_ENCR_AES_CBC,
	0x80, IKEV2_ATTR_KEY_LENGTH, 0x01, 0x00,
	3, 0, 0, 8, IKEV2_TT_PRF, 0, 0, IKEV2_PRF_SHA256,
	3, 0, 0, 8, IKEV2_TT_INTEG, 0, 0, IKEV2_INTEG_SHA256_128,
	0, 0, 0, 8, IKEV2_TT_DH, 0, 0, V2_GROUP,
};

/* Derives the keys from the manager's IKE_SA_INIT message M, taking its
 * nonce, with our DH key DH. */
static bool
v2_derive(struct fz_v2 *p, struct ike_dh *dh, const struct ikev2_msg *m)
{
	const struct ikev2_pl *ke = ikev2_find(m, IKEV2_NP_KE);
	const struct ikev2_pl *n = ikev2_find(m, IKEV2_NP_NONCE);
	uint8_t *theirs = p->responder ? p->ni : p->nr;
	size_t *theirs_len = p->responder ? &p->ni_len : &p->nr_len;
	uint8_t gir[IKE_DH_MAX];
	size_t gir_len;
	int rc;

	if (ke == NULL || n == NULL || ke->len < 4 || n->len > sizeof(p->nr) ||
	    ikev2_get_be16(ke->body) != V2_GROUP)
		return false;
	memcpy(theirs, n->body, n->len);
	*theirs_len = n->len;
	if (ike_dh_shared(dh, ke->body + 4, ke->len - 4, gir, sizeof(gir),
			  &gir_len) < 0)
		return false;
	p->algs = (struct ikev2_algs){
		.encr = IKEV2_ENCR_AES_CBC, .key_bits = 256,
		.integ = IKEV2_INTEG_SHA256_128, .prf = IKEV2_PRF_SHA256,
		.group = V2_GROUP,
	};
	rc = ikev2_derive(&p->algs, &p->keys, p->ni, p->ni_len, p->nr,
			  p->nr_len, gir, gir_len, p->spii, p->spir);
	memset(gir, 0, sizeof(gir));
	return rc == 0;
}

bool
fz_v2_init(struct fz_v2 *p, struct router *r, uint64_t serial)
{
	static struct dp_ike_packet reply;
	struct ikev2_hdr h = { .exchange = IKEV2_IKE_SA_INIT,
			       .flags = IKEV2_FLAG_I };
	struct ikev2_msg m = { .n = 0 };
	uint8_t ke[4 + IKE_DH_MAX];
	struct ike_dh *dh;
	struct ikev2_buf b;
	size_t count, pub_len;
	bool ok;

	memset(p, 0, sizeof(*p));
	p->r = r;
	put_cookie(p->spii, "fz2", serial);
	memcpy(h.spii, p->spii, 8);
	p->ni_len = sizeof(p->ni);
	fill_nonce(p->ni, p->ni_len, "initnonce", serial);
	dh = ike_dh_new(V2_GROUP);
	if (dh == NULL ||
	    ike_dh_public(dh, ke + 4, IKE_DH_MAX, &pub_len) < 0) {
		ike_dh_free(dh);
		return false;
	}
	ikev2_put_be16(ke, V2_GROUP);
	ke[2] = ke[3] = 0;
	ikev2_build_start(&b, p->init, sizeof(p->init), &h);
	ikev2_add(&b, IKEV2_NP_SA, v2_ike_sa, sizeof(v2_ike_sa));
	ikev2_add(&b, IKEV2_NP_KE, ke, 4 + pub_len);
	ikev2_add(&b, IKEV2_NP_NONCE, p->ni, p->ni_len);
	p->init_len = ikev2_build_end(&b);

	count = fz_sent_count();
	fz_post(r, p->init, p->init_len, 500);
	ok = reply_since(count, &reply) &&
	     ikev2_parse_hdr(reply.data, reply.len, &h) == 0 &&
	     h.exchange == IKEV2_IKE_SA_INIT && (h.flags & IKEV2_FLAG_R) &&
	     memcmp(h.spii, p->spii, 8) == 0 &&
	     ikev2_parse_chain(h.next, reply.data + IKEV2_HDR_LEN,
			       h.length - IKEV2_HDR_LEN, IKEV2_HDR_LEN,
			       &m) == 0;
	if (ok) {
		memcpy(p->spir, h.spir, 8);
		ok = v2_derive(p, dh, &m);
	}
	ike_dh_free(dh);
	if (!ok)
		fprintf(stderr, "fuzz peer: no usable IKE_SA_INIT response\n");
	p->next_msgid = 1;
	return ok;
}

bool
fz_v2_answer_init(struct fz_v2 *p, struct router *r, uint64_t serial)
{
	static struct dp_ike_packet req;
	struct ikev2_hdr h;
	struct ikev2_msg m = { .n = 0 };
	uint8_t ke[4 + IKE_DH_MAX];
	struct ike_dh *dh = NULL;
	struct ikev2_buf b;
	size_t pub_len;
	bool ok;

	memset(p, 0, sizeof(*p));
	p->r = r;
	p->responder = true;
	ok = fz_last_sent(&req) &&
	     ikev2_parse_hdr(req.data, req.len, &h) == 0 &&
	     h.exchange == IKEV2_IKE_SA_INIT && !(h.flags & IKEV2_FLAG_R) &&
	     ikev2_parse_chain(h.next, req.data + IKEV2_HDR_LEN,
			       h.length - IKEV2_HDR_LEN, IKEV2_HDR_LEN,
			       &m) == 0;
	if (ok) {
		memcpy(p->spii, h.spii, 8);
		put_cookie(p->spir, "fz3", serial);
		p->nr_len = 32;
		fill_nonce(p->nr, p->nr_len, "respnonce", serial);
		dh = ike_dh_new(V2_GROUP);
		ok = dh != NULL &&
		     ike_dh_public(dh, ke + 4, IKE_DH_MAX, &pub_len) == 0 &&
		     v2_derive(p, dh, &m);
	}
	ike_dh_free(dh);
	if (!ok) {
		fprintf(stderr, "fuzz peer: no usable IKE_SA_INIT request\n");
		return false;
	}
	ikev2_put_be16(ke, V2_GROUP);
	ke[2] = ke[3] = 0;
	h = (struct ikev2_hdr){ .exchange = IKEV2_IKE_SA_INIT,
				.flags = IKEV2_FLAG_R };
	memcpy(h.spii, p->spii, 8);
	memcpy(h.spir, p->spir, 8);
	ikev2_build_start(&b, p->init, sizeof(p->init), &h);
	ikev2_add(&b, IKEV2_NP_SA, v2_ike_sa, sizeof(v2_ike_sa));
	ikev2_add(&b, IKEV2_NP_KE, ke, 4 + pub_len);
	ikev2_add(&b, IKEV2_NP_NONCE, p->nr, p->nr_len);
	p->init_len = ikev2_build_end(&b);
	fz_post(r, p->init, p->init_len, 500);
	return true;
}

void
fz_v2_fix_auth(const struct fz_v2 *p, uint8_t first, uint8_t *chain,
	       size_t len)
{
	static const char pad[] = "Key Pad for IKEv2";
	unsigned hash = ikev2_prf_hash(p->algs.prf);
	struct ikev2_msg m = { .n = 0 };
	const struct ikev2_pl *id, *auth;
	uint8_t macid[IKE_HASH_MAX], key[IKE_HASH_MAX], out[IKE_HASH_MAX];
	struct ike_chunk padc[1] = { { pad, sizeof(pad) - 1 } };
	struct ike_chunk idc[1], octets[3];

	if (ikev2_parse_chain(first, chain, len, 0, &m) < 0)
		return;
	id = ikev2_find(&m, p->responder ? IKEV2_NP_IDR : IKEV2_NP_IDI);
	auth = ikev2_find(&m, IKEV2_NP_AUTH);
	if (id == NULL || auth == NULL || auth->len != 4 + p->keys.prf_len)
		return;
	/* RFC 7296 2.15: our IKE_SA_INIT message, the other side's nonce
	 * and prf(SK_p of ours, our ID). */
	idc[0] = (struct ike_chunk){ id->body, id->len };
	octets[0] = (struct ike_chunk){ p->init, p->init_len };
	octets[1] = p->responder ? (struct ike_chunk){ p->ni, p->ni_len } :
				   (struct ike_chunk){ p->nr, p->nr_len };
	octets[2] = (struct ike_chunk){ macid, p->keys.prf_len };
	if (ike_prf(hash, p->responder ? p->keys.sk_pr : p->keys.sk_pi,
		    p->keys.prf_len, idc, 1, macid) < 0 ||
	    ike_prf(hash, FZ_PSK, strlen(FZ_PSK), padc, 1, key) < 0 ||
	    ike_prf(hash, key, p->keys.prf_len, octets, 3, out) < 0)
		return;
	memcpy(chain + (auth->body - chain) + 4, out, p->keys.prf_len);
}

/* An ESP proposal with SPI of AES-CBC-256, HMAC-SHA-256-128 and no ESN,
 * which the transform set TS of fz_config_v2 matches. */
static void
add_esp_sa(struct chain *c, uint32_t spi)
{
	uint8_t sa[] = {
		0, 0, 0, 40, 1, IKEV2_PROTO_ESP, 4, 3, 0, 0, 0, 0,
		3, 0, 0, 12, IKEV2_TT_ENCR, 0, 0, IKEV2_ENCR_AES_CBC,
		0x80, IKEV2_ATTR_KEY_LENGTH, 0x01, 0x00,
		3, 0, 0, 8, IKEV2_TT_INTEG, 0, 0, IKEV2_INTEG_SHA256_128,
		0, 0, 0, 8, IKEV2_TT_ESN, 0, 0, 0,
	};

	ikev2_put_be32(sa + 8, spi);
	chain_add(c, IKEV2_NP_SA, sa, sizeof(sa));
}

/* TSi and TSr: one IPv4 range each, all protocols and ports. */
static void
add_ts(struct chain *c, uint8_t i_net, uint8_t r_net)
{
	uint8_t ts[24] = { 1, 0, 0, 0, IKEV2_TS_IPV4_RANGE, 0, 0, 16,
			   0, 0, 0xff, 0xff, 192, 168, 0, 0,
			   192, 168, 0, 255 };

	ts[14] = ts[18] = i_net;
	chain_add(c, IKEV2_NP_TSI, ts, 20);
	ts[14] = ts[18] = r_net;
	chain_add(c, IKEV2_NP_TSR, ts, 20);
}

size_t
fz_v2_auth_chain(const struct fz_v2 *p, uint32_t spi, uint8_t *out,
		 size_t cap)
{
	static const uint8_t id[8] = { IKEV2_ID_IPV4_ADDR, 0, 0, 0,
				       10, 1, 1, 1 };
	uint8_t auth[4 + IKE_HASH_MAX] = { IKEV2_AUTH_PSK };
	struct chain c;
	size_t len;

	chain_start(&c, out, cap);
	chain_add(&c, p->responder ? IKEV2_NP_IDR : IKEV2_NP_IDI, id,
		  sizeof(id));
	chain_add(&c, IKEV2_NP_AUTH, auth, 4 + p->keys.prf_len);
	add_esp_sa(&c, spi);
	/* TSi names the initiator's side: the manager's when it is. */
	if (p->responder)
		add_ts(&c, 2, 1);
	else
		add_ts(&c, 1, 2);
	len = chain_end(&c);
	if (len > 0)
		fz_v2_fix_auth(p, c.first, out, len);
	return len;
}

size_t
fz_v2_child_chain(uint32_t spi, bool response, uint8_t *out, size_t cap)
{
	uint8_t nonce[32];
	struct chain c;

	fill_nonce(nonce, sizeof(nonce), "childnonce", spi);
	chain_start(&c, out, cap);
	add_esp_sa(&c, spi);
	chain_add(&c, IKEV2_NP_NONCE, nonce, sizeof(nonce));
	/* TSi names the exchange initiator's side. */
	if (response)
		add_ts(&c, 2, 1);
	else
		add_ts(&c, 1, 2);
	return chain_end(&c);
}

size_t
fz_v2_seal(const struct fz_v2 *p, uint8_t exchange, uint8_t flags,
	   uint32_t msgid, uint8_t first, const uint8_t *chain, size_t len,
	   uint8_t *out, size_t cap)
{
	if (V2_SK_BODY + len > cap)
		return 0;
	memcpy(out, p->spii, 8);
	memcpy(out + 8, p->spir, 8);
	out[16] = IKEV2_NP_SK;
	out[17] = IKEV2_VERSION;
	out[18] = exchange;
	out[19] = flags | (p->responder ? 0 : IKEV2_FLAG_I);
	ikev2_put_be32(out + 20, msgid);
	out[IKEV2_HDR_LEN] = first;
	out[IKEV2_HDR_LEN + 1] = 0;
	memcpy(out + V2_SK_BODY, chain, len);
	return ikev2_seal(&p->algs, &p->keys, !p->responder, out,
			  V2_SK_BODY + len, cap, V2_SK_BODY);
}

bool
fz_v2_open(const struct fz_v2 *p, struct dp_ike_packet *pkt,
	   struct ikev2_hdr *h, struct ikev2_msg *m)
{
	uint8_t *plain;
	size_t plain_len;

	memset(m, 0, sizeof(*m));
	if (ikev2_parse_hdr(pkt->data, pkt->len, h) < 0 ||
	    memcmp(h->spii, p->spii, 8) != 0 ||
	    memcmp(h->spir, p->spir, 8) != 0 ||
	    ikev2_parse_chain(h->next, pkt->data + IKEV2_HDR_LEN,
			      h->length - IKEV2_HDR_LEN, IKEV2_HDR_LEN,
			      m) < 0 || m->sk_off == 0 ||
	    ikev2_open(&p->algs, &p->keys, p->responder, pkt->data, h->length,
		       m->sk_off, &plain, &plain_len) < 0)
		return false;
	m->n = 0;
	return ikev2_parse_chain(m->sk_next, plain, plain_len,
				 (size_t)(plain - pkt->data), m) == 0;
}

bool
fz_v2_request(struct fz_v2 *p, uint8_t exchange, uint8_t first,
	      const uint8_t *chain, size_t len)
{
	static uint8_t msg[FZ_MSG_MAX];
	static struct dp_ike_packet reply;
	struct ikev2_hdr h;
	size_t count = fz_sent_count(), n;
	uint32_t msgid = p->next_msgid;

	n = fz_v2_seal(p, exchange, 0, msgid, first, chain, len, msg,
		       sizeof(msg));
	if (n == 0)
		return false;
	fz_post(p->r, msg, n, 500);
	if (!reply_since(count, &reply) ||
	    ikev2_parse_hdr(reply.data, reply.len, &h) < 0 ||
	    !(h.flags & IKEV2_FLAG_R) || h.msgid != msgid)
		return false;
	p->next_msgid++;
	return true;
}

bool
fz_v2_establish(struct fz_v2 *p, struct router *r, uint64_t serial)
{
	static struct dp_ike_packet reply;
	uint8_t chain[512];
	struct ikev2_msg m;
	struct ikev2_hdr h;
	size_t len;

	if (!fz_v2_init(p, r, serial))
		return false;
	len = fz_v2_auth_chain(p, FZ_PEER_SPI, chain, sizeof(chain));
	if (!fz_v2_request(p, IKEV2_IKE_AUTH, IKEV2_NP_IDI, chain, len) ||
	    !fz_last_sent(&reply) || !fz_v2_open(p, &reply, &h, &m) ||
	    ikev2_find(&m, IKEV2_NP_AUTH) == NULL ||
	    ikev2_find(&m, IKEV2_NP_SA) == NULL) {
		fprintf(stderr, "fuzz peer: IKE_AUTH did not establish the "
			"IKE SA and its child SA\n");
		return false;
	}
	return true;
}

bool
fz_v2_answer_last(const struct fz_v2 *p)
{
	static struct dp_ike_packet last;
	static uint8_t msg[512];
	uint8_t chain[64];
	struct ikev2_hdr h;
	struct chain c;
	size_t len;

	if (!fz_last_sent(&last) ||
	    ikev2_parse_hdr(last.data, last.len, &h) < 0 ||
	    (h.flags & IKEV2_FLAG_R) || memcmp(h.spii, p->spii, 8) != 0)
		return false;
	chain_start(&c, chain, sizeof(chain));
	if (h.exchange == IKEV2_CREATE_CHILD_SA) {
		uint8_t n[4] = { 0, 0, 0, IKEV2_N_NO_PROPOSAL_CHOSEN };

		chain_add(&c, IKEV2_NP_N, n, sizeof(n));
	}
	len = chain_end(&c);
	len = fz_v2_seal(p, h.exchange, IKEV2_FLAG_R, h.msgid, c.first, chain,
			 len, msg, sizeof(msg));
	if (len == 0)
		return false;
	fz_post(p->r, msg, len, 500);
	return true;
}
