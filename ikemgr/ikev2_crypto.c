/*
 * IKEv2 cryptography on OpenSSL 3 and ike_crypto: prf+, the keys of the
 * IKE SA (RFC 7296 2.13, 2.14) and the SK payload, with AES-CBC or 3DES
 * and an HMAC (RFC 7296 3.14) or with AES-GCM (RFC 5282).
 */
#include "ikemgr/ikev2.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define GCM_SALT	4
#define GCM_IV		8
#define GCM_ICV		16

unsigned
ikev2_prf_hash(uint16_t prf)
{
	switch (prf) {
	case IKEV2_PRF_MD5: return IKE_HASH_MD5;
	case IKEV2_PRF_SHA1: return IKE_HASH_SHA;
	case IKEV2_PRF_SHA256: return IKE_HASH_SHA256;
	case IKEV2_PRF_SHA384: return IKE_HASH_SHA384;
	case IKEV2_PRF_SHA512: return IKE_HASH_SHA512;
	default: return 0;
	}
}

static unsigned
integ_hash(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_MD5_96: return IKE_HASH_MD5;
	case IKEV2_INTEG_SHA1_96: return IKE_HASH_SHA;
	case IKEV2_INTEG_SHA256_128: return IKE_HASH_SHA256;
	case IKEV2_INTEG_SHA384_192: return IKE_HASH_SHA384;
	case IKEV2_INTEG_SHA512_256: return IKE_HASH_SHA512;
	default: return 0;
	}
}

size_t
ikev2_integ_key_len(uint16_t integ)
{
	return integ_hash(integ) != 0 ? ike_hash_len(integ_hash(integ)) : 0;
}

size_t
ikev2_integ_icv_len(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_MD5_96:
	case IKEV2_INTEG_SHA1_96: return 12;
	case IKEV2_INTEG_SHA256_128: return 16;
	case IKEV2_INTEG_SHA384_192: return 24;
	case IKEV2_INTEG_SHA512_256: return 32;
	default: return 0;
	}
}

size_t
ikev2_encr_key_len(uint16_t encr, uint16_t key_bits)
{
	switch (encr) {
	case IKEV2_ENCR_3DES: return 24;
	case IKEV2_ENCR_AES_CBC: return key_bits / 8;
	case IKEV2_ENCR_AES_GCM_16: return key_bits / 8 + GCM_SALT;
	default: return 0;
	}
}

size_t
ikev2_iv_len(uint16_t encr)
{
	switch (encr) {
	case IKEV2_ENCR_3DES: return 8;
	case IKEV2_ENCR_AES_CBC: return 16;
	case IKEV2_ENCR_AES_GCM_16: return GCM_IV;
	default: return 0;
	}
}

int
ikev2_prf_plus(unsigned hash, const uint8_t *key, size_t key_len,
	       const uint8_t *seed, size_t seed_len, uint8_t *out, size_t len)
{
	uint8_t t[IKE_HASH_MAX];
	size_t hl = ike_hash_len(hash), tl = 0, done = 0;
	uint8_t counter = 1;

	if (hl == 0)
		return -1;
	/* T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) */
	while (done < len) {
		struct ike_chunk in[3] = {
			{ t, tl }, { seed, seed_len }, { &counter, 1 },
		};
		size_t n = len - done < hl ? len - done : hl;

		if (counter == 0 || ike_prf(hash, key, key_len, in, 3, t) < 0)
			return -1;
		tl = hl;
		memcpy(out + done, t, n);
		done += n;
		counter++;
	}
	memset(t, 0, sizeof(t));
	return 0;
}

/* Expands SKEYSEED into the seven keys with prf+(SKEYSEED, Ni | Nr |
 * SPIi | SPIr). */
static int
expand_keys(const struct ikev2_algs *a, struct ikev2_keys *k,
	    const uint8_t *skeyseed, size_t skeyseed_len, const uint8_t *ni,
	    size_t ni_len,
	    const uint8_t *nr, size_t nr_len, const uint8_t spii[8],
	    const uint8_t spir[8])
{
	unsigned hash = ikev2_prf_hash(a->prf);
	uint8_t seed[2 * 256 + 16], km[7 * IKE_HASH_MAX];
	size_t off = 0, total;
	int ret = -1;

	if (hash == 0 || ni_len + nr_len > 2 * 256)
		return -1;
	k->prf_len = ike_hash_len(hash);
	k->integ_len = ikev2_integ_key_len(a->integ);
	k->encr_len = ikev2_encr_key_len(a->encr, a->key_bits);
	if (k->encr_len == 0 || k->encr_len > sizeof(k->sk_ei))
		return -1;
	memcpy(seed, ni, ni_len);
	memcpy(seed + ni_len, nr, nr_len);
	memcpy(seed + ni_len + nr_len, spii, 8);
	memcpy(seed + ni_len + nr_len + 8, spir, 8);
	total = 3 * k->prf_len + 2 * k->integ_len + 2 * k->encr_len;
	if (ikev2_prf_plus(hash, skeyseed, skeyseed_len, seed,
			   ni_len + nr_len + 16, km, total) < 0)
		goto out;
	memcpy(k->sk_d, km + off, k->prf_len);
	off += k->prf_len;
	memcpy(k->sk_ai, km + off, k->integ_len);
	off += k->integ_len;
	memcpy(k->sk_ar, km + off, k->integ_len);
	off += k->integ_len;
	memcpy(k->sk_ei, km + off, k->encr_len);
	off += k->encr_len;
	memcpy(k->sk_er, km + off, k->encr_len);
	off += k->encr_len;
	memcpy(k->sk_pi, km + off, k->prf_len);
	off += k->prf_len;
	memcpy(k->sk_pr, km + off, k->prf_len);
	ret = 0;
out:
	memset(km, 0, sizeof(km));
	return ret;
}

int
ikev2_derive(const struct ikev2_algs *a, struct ikev2_keys *k,
	     const uint8_t *ni, size_t ni_len, const uint8_t *nr,
	     size_t nr_len, const uint8_t *gir, size_t gir_len,
	     const uint8_t spii[8], const uint8_t spir[8])
{
	unsigned hash = ikev2_prf_hash(a->prf);
	uint8_t skeyseed[IKE_HASH_MAX], nn[2 * 256];
	struct ike_chunk in[1] = { { gir, gir_len } };
	int ret;

	if (hash == 0 || ni_len + nr_len > sizeof(nn))
		return -1;
	memcpy(nn, ni, ni_len);
	memcpy(nn + ni_len, nr, nr_len);
	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	if (ike_prf(hash, nn, ni_len + nr_len, in, 1, skeyseed) < 0)
		return -1;
	ret = expand_keys(a, k, skeyseed, ike_hash_len(hash), ni, ni_len, nr,
			  nr_len, spii, spir);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return ret;
}

int
ikev2_derive_rekey(const struct ikev2_algs *a, struct ikev2_keys *k,
		   uint16_t old_prf, const uint8_t *sk_d, size_t sk_d_len,
		   const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		   size_t nr_len, const uint8_t *gir, size_t gir_len,
		   const uint8_t spii[8], const uint8_t spir[8])
{
	uint8_t skeyseed[IKE_HASH_MAX];
	struct ike_chunk in[3] = {
		{ gir, gir_len }, { ni, ni_len }, { nr, nr_len },
	};
	int ret;

	if (ike_prf(ikev2_prf_hash(old_prf), sk_d, sk_d_len, in, 3,
		    skeyseed) < 0)
		return -1;
	ret = expand_keys(a, k, skeyseed, ike_hash_len(ikev2_prf_hash(old_prf)),
			  ni, ni_len, nr, nr_len, spii, spir);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return ret;
}

static const EVP_CIPHER *
gcm_cipher(size_t key_len)
{
	switch (key_len) {
	case 16: return EVP_aes_128_gcm();
	case 24: return EVP_aes_192_gcm();
	case 32: return EVP_aes_256_gcm();
	default: return NULL;
	}
}

/*
 * Runs AES-GCM over BUF[0..LEN) in place with AAD, KEY (salt at the end)
 * and the explicit IV; writes or checks the ICV at TAG.
 */
static int
gcm(const uint8_t *key, size_t key_len, const uint8_t *iv,
    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
    uint8_t *tag, bool encrypt)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *c = gcm_cipher(key_len - GCM_SALT);
	uint8_t nonce[GCM_SALT + GCM_IV];
	int outl, ret = -1;

	if (ctx == NULL || c == NULL)
		goto out;
	memcpy(nonce, key + key_len - GCM_SALT, GCM_SALT);
	memcpy(nonce + GCM_SALT, iv, GCM_IV);
	if (EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, encrypt) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, sizeof(nonce),
				NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, encrypt) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) != 1)
		goto out;
	if (!encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_ICV, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, buf + outl, &outl) != 1)
		goto out;
	if (encrypt &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_ICV, tag) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

static unsigned
v1_cipher(uint16_t encr)
{
	return encr == IKEV2_ENCR_3DES ? IKE_ENCR_3DES : IKE_ENCR_AES;
}

static void
put_len(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_len32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* SK and SKF payloads: generic payload header, and for SKF the Fragment
 * Number and Total Fragments fields. */
#define SK_HDR_LEN	4
#define SKF_HDR_LEN	8

/* Seals an SK or SKF payload whose header of HDR_LEN octets sits just
 * before the IV; see ikev2_seal(). */
static size_t
seal(const struct ikev2_algs *a, const struct ikev2_keys *k, bool initiator,
     uint8_t *msg, size_t len, size_t cap, size_t sk_body, size_t hdr_len)
{
	bool aead = a->encr == IKEV2_ENCR_AES_GCM_16;
	size_t ivl = ikev2_iv_len(a->encr);
	size_t bs = aead ? 4 : ivl;
	size_t icv = aead ? GCM_ICV : ikev2_integ_icv_len(a->integ);
	size_t plain = len - sk_body, pad = bs - (plain + 1) % bs;
	const uint8_t *ek = initiator ? k->sk_ei : k->sk_er;
	const uint8_t *ak = initiator ? k->sk_ai : k->sk_ar;
	uint8_t *iv = msg + sk_body - ivl, ivc[16], mac[IKE_HASH_MAX];
	size_t total;

	if (pad == bs)
		pad = 0;
	total = len + pad + 1 + icv;
	if (ivl == 0 || total > cap || sk_body < ISAKMP_HDR_LEN + hdr_len + ivl)
		return 0;
	if (ike_random(iv, ivl) < 0 || ike_random(msg + len, pad) < 0)
		return 0;
	msg[len + pad] = (uint8_t)pad;
	put_len(msg + sk_body - ivl - hdr_len + 2,
		total - (sk_body - ivl - hdr_len));
	put_len32(msg + 24, total);
	if (aead) {
		/* AAD: the IKE header and the SK or SKF payload header. */
		return gcm(ek, k->encr_len, iv, msg, sk_body - ivl,
			   msg + sk_body, plain + pad + 1,
			   msg + total - icv, true) < 0 ? 0 : total;
	}
	memcpy(ivc, iv, ivl);
	if (ike_cbc(v1_cipher(a->encr), ek, k->encr_len, ivc, msg + sk_body,
		    plain + pad + 1, true) < 0)
		return 0;
	{
		struct ike_chunk in[1] = { { msg, total - icv } };

		if (ike_prf(integ_hash(a->integ), ak, k->integ_len, in, 1,
			    mac) < 0)
			return 0;
	}
	memcpy(msg + total - icv, mac, icv);
	return total;
}

size_t
ikev2_seal(const struct ikev2_algs *a, const struct ikev2_keys *k,
	   bool initiator, uint8_t *msg, size_t len, size_t cap,
	   size_t sk_body)
{
	return seal(a, k, initiator, msg, len, cap, sk_body, SK_HDR_LEN);
}

size_t
ikev2_seal_skf(const struct ikev2_algs *a, const struct ikev2_keys *k,
	       bool initiator, uint8_t *msg, size_t len, size_t cap,
	       size_t sk_body)
{
	return seal(a, k, initiator, msg, len, cap, sk_body, SKF_HDR_LEN);
}

/* Opens an SK or SKF payload with a header of HDR_LEN octets at
 * MSG+SK_HDR; see ikev2_open(). */
static int
open_payload(const struct ikev2_algs *a, const struct ikev2_keys *k,
	     bool from_initiator, uint8_t *msg, size_t len, size_t sk_hdr,
	     size_t hdr_len, uint8_t **plain, size_t *plain_len)
{
	bool aead = a->encr == IKEV2_ENCR_AES_GCM_16;
	size_t ivl = ikev2_iv_len(a->encr);
	size_t bs = aead ? 1 : ivl;
	size_t icv = aead ? GCM_ICV : ikev2_integ_icv_len(a->integ);
	const uint8_t *ek = from_initiator ? k->sk_ei : k->sk_er;
	const uint8_t *ak = from_initiator ? k->sk_ai : k->sk_ar;
	size_t pl_len, body = sk_hdr + hdr_len + ivl, clen;
	uint8_t *iv = msg + sk_hdr + hdr_len, ivc[16], mac[IKE_HASH_MAX];

	if (sk_hdr + hdr_len > len || ivl == 0)
		return -1;
	pl_len = (size_t)msg[sk_hdr + 2] << 8 | msg[sk_hdr + 3];
	/* The SK payload must be the last one and end the message. */
	if (sk_hdr + pl_len != len || pl_len < hdr_len + ivl + icv + 1)
		return -1;
	clen = len - body - icv;
	if (clen == 0 || clen % bs != 0)
		return -1;
	if (aead) {
		if (gcm(ek, k->encr_len, iv, msg, sk_hdr + hdr_len, msg + body,
			clen, msg + len - icv, false) < 0)
			return -1;
	} else {
		struct ike_chunk in[1] = { { msg, len - icv } };

		if (ike_prf(integ_hash(a->integ), ak, k->integ_len, in, 1,
			    mac) < 0 ||
		    CRYPTO_memcmp(mac, msg + len - icv, icv) != 0)
			return -1;
		memcpy(ivc, iv, ivl);
		if (ike_cbc(v1_cipher(a->encr), ek, k->encr_len, ivc,
			    msg + body, clen, false) < 0)
			return -1;
	}
	if ((size_t)msg[body + clen - 1] + 1 > clen)
		return -1;
	*plain = msg + body;
	*plain_len = clen - 1 - msg[body + clen - 1];
	return 0;
}

int
ikev2_open(const struct ikev2_algs *a, const struct ikev2_keys *k,
	   bool from_initiator, uint8_t *msg, size_t len, size_t sk_hdr,
	   uint8_t **plain, size_t *plain_len)
{
	return open_payload(a, k, from_initiator, msg, len, sk_hdr, SK_HDR_LEN,
			    plain, plain_len);
}

int
ikev2_open_skf(const struct ikev2_algs *a, const struct ikev2_keys *k,
	       bool from_initiator, uint8_t *msg, size_t len, size_t skf_hdr,
	       uint8_t **plain, size_t *plain_len)
{
	return open_payload(a, k, from_initiator, msg, len, skf_hdr,
			    SKF_HDR_LEN, plain, plain_len);
}
