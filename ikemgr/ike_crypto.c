/*
 * IKEv1 cryptography on OpenSSL 3 EVP interfaces only.
 */
#include "ikemgr/ike_crypto.h"
#include "ikemgr/isakmp.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct ike_dh {
	unsigned group;
	EVP_PKEY *key;
};

/* MODP primes of RFC 2409 (groups 1, 2) and RFC 3526 (5, 14, 15, 16),
 * all with generator 2; ECP curves of RFC 5903 (19, 20, 21). */
static const struct group {
	unsigned id;
	size_t len;			/* public value octets */
	BIGNUM *(*prime)(BIGNUM *);
	const char *curve;
} groups[] = {
	{ 1, 96, BN_get_rfc2409_prime_768, NULL },
	{ 2, 128, BN_get_rfc2409_prime_1024, NULL },
	{ 5, 192, BN_get_rfc3526_prime_1536, NULL },
	{ 14, 256, BN_get_rfc3526_prime_2048, NULL },
	{ 15, 384, BN_get_rfc3526_prime_3072, NULL },
	{ 16, 512, BN_get_rfc3526_prime_4096, NULL },
	{ 19, 64, NULL, "P-256" },
	{ 20, 96, NULL, "P-384" },
	{ 21, 132, NULL, "P-521" },
};

static const struct group *
find_group(unsigned id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

bool
ike_dh_supported(unsigned group)
{
	return find_group(group) != NULL;
}

size_t
ike_dh_public_len(unsigned group)
{
	const struct group *g = find_group(group);

	return g != NULL ? g->len : 0;
}

/* Builds the domain parameters of a MODP group as an EVP_PKEY. */
static EVP_PKEY *
modp_params(const struct group *grp)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *dom = NULL;
	BIGNUM *p = grp->prime(NULL), *g = BN_new();

	if (bld == NULL || p == NULL || g == NULL || !BN_set_word(g, 2))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &dom, EVP_PKEY_KEY_PARAMETERS, params) <= 0)
		dom = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(g);
	return dom;
}

struct ike_dh *
ike_dh_new(unsigned group)
{
	const struct group *grp = find_group(group);
	struct ike_dh *dh;
	EVP_PKEY *dom = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	if (grp == NULL)
		return NULL;
	dh = calloc(1, sizeof(*dh));
	if (dh == NULL)
		return NULL;
	dh->group = group;
	if (grp->curve != NULL) {
		dh->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", grp->curve);
	} else {
		dom = modp_params(grp);
		if (dom != NULL)
			ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dom, NULL);
		if (ctx != NULL && EVP_PKEY_keygen_init(ctx) > 0 &&
		    EVP_PKEY_generate(ctx, &dh->key) <= 0)
			dh->key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(dom);
	if (dh->key == NULL) {
		free(dh);
		return NULL;
	}
	return dh;
}

void
ike_dh_free(struct ike_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->key);
	free(dh);
}

int
ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap, size_t *len)
{
	const struct group *grp = find_group(dh->group);
	uint8_t enc[1 + IKE_DH_MAX];
	size_t n = 0;
	BIGNUM *pub = NULL;
	int ret = -1;

	if (grp == NULL || cap < grp->len)
		return -1;
	if (grp->curve != NULL) {
		/* Uncompressed point 04 | x | y; IKE sends x | y. */
		if (!EVP_PKEY_get_octet_string_param(dh->key,
			    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, enc,
			    sizeof(enc), &n) || n != grp->len + 1 ||
		    enc[0] != 0x04)
			return -1;
		memcpy(out, enc + 1, grp->len);
		*len = grp->len;
		return 0;
	}
	if (!EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &pub))
		return -1;
	if (BN_bn2binpad(pub, out, (int)grp->len) == (int)grp->len) {
		*len = grp->len;
		ret = 0;
	}
	BN_free(pub);
	return ret;
}

int
ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
	      uint8_t *out, size_t cap, size_t *len)
{
	const struct group *grp = find_group(dh->group);
	uint8_t enc[1 + IKE_DH_MAX];
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	const uint8_t *pub = peer;
	size_t pub_len = peer_len, n = cap;
	int ret = -1;

	if (grp == NULL || peer_len != grp->len)
		return -1;
	if (grp->curve != NULL) {
		enc[0] = 0x04;
		memcpy(enc + 1, peer, peer_len);
		pub = enc;
		pub_len = peer_len + 1;
	}
	pk = EVP_PKEY_new();
	if (pk == NULL || EVP_PKEY_copy_parameters(pk, dh->key) <= 0 ||
	    EVP_PKEY_set1_encoded_public_key(pk, pub, pub_len) <= 0)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	if (grp->curve == NULL && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	if (EVP_PKEY_derive_set_peer(ctx, pk) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &n) <= 0)
		goto out;
	*len = n;
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ret;
}

static const char *
hash_name(unsigned hash)
{
	switch (hash) {
	case IKE_HASH_MD5: return "MD5";
	case IKE_HASH_SHA: return "SHA1";
	case IKE_HASH_SHA256: return "SHA256";
	case IKE_HASH_SHA384: return "SHA384";
	case IKE_HASH_SHA512: return "SHA512";
	}
	return NULL;
}

size_t
ike_hash_len(unsigned hash)
{
	switch (hash) {
	case IKE_HASH_MD5: return 16;
	case IKE_HASH_SHA: return 20;
	case IKE_HASH_SHA256: return 32;
	case IKE_HASH_SHA384: return 48;
	case IKE_HASH_SHA512: return 64;
	}
	return 0;
}

int
ike_prf(unsigned hash, const void *key, size_t key_len,
	const struct ike_chunk *in, size_t n, uint8_t *out)
{
	const char *name = hash_name(hash);
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t out_len;
	int ret = -1;

	if (name == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)(uintptr_t)name, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL || !EVP_MAC_init(ctx, key, key_len, params))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (in[i].len > 0 && !EVP_MAC_update(ctx, in[i].p, in[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, &out_len, IKE_HASH_MAX))
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

int
ike_hash(unsigned hash, const struct ike_chunk *in, size_t n, uint8_t *out)
{
	const char *name = hash_name(hash);
	EVP_MD_CTX *ctx;
	int ok;

	if (name == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex2(ctx, EVP_get_digestbyname(name), NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, in[i].p, in[i].len);
	ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/*
 * Expands KEY into LEN octets as RFC 2409 does: K1 = prf(KEY, FIRST),
 * Kn = prf(KEY, Kn-1 | NEXT), concatenated. Phase 1 cipher keys use
 * FIRST = one zero octet and no NEXT (appendix B); KEYMAT uses its seed
 * for both (5.5).
 */
static int
expand(unsigned hash, const uint8_t *key, size_t key_len,
       const struct ike_chunk *first, size_t nfirst,
       const struct ike_chunk *next, size_t nnext, uint8_t *out, size_t len)
{
	size_t hlen = ike_hash_len(hash), done = 0;
	uint8_t k[IKE_HASH_MAX];
	struct ike_chunk in[8];

	if (nfirst > 8 || nnext > 7)
		return -1;
	memcpy(in, first, nfirst * sizeof(*first));
	if (ike_prf(hash, key, key_len, in, nfirst, k) < 0)
		return -1;
	for (;;) {
		size_t take = len - done < hlen ? len - done : hlen;

		memcpy(out + done, k, take);
		done += take;
		if (done == len)
			return 0;
		in[0] = (struct ike_chunk){ k, hlen };
		if (nnext > 0)
			memcpy(in + 1, next, nnext * sizeof(*next));
		if (ike_prf(hash, key, key_len, in, nnext + 1, k) < 0)
			return -1;
	}
}

int
ike_derive_psk(struct ike_keys *k, unsigned hash, const void *psk,
	       size_t psk_len, const uint8_t *ni, size_t ni_len,
	       const uint8_t *nr, size_t nr_len, const uint8_t *gxy,
	       size_t gxy_len, const uint8_t *icookie, const uint8_t *rcookie,
	       size_t enc_key_len)
{
	static const uint8_t zero = 0, one = 1, two = 2;
	size_t h = ike_hash_len(hash);
	struct ike_chunk in[5];

	if (h == 0 || enc_key_len > IKE_KEY_MAX)
		return -1;
	k->hash = hash;
	k->prf_len = h;
	in[0] = (struct ike_chunk){ ni, ni_len };
	in[1] = (struct ike_chunk){ nr, nr_len };
	if (ike_prf(hash, psk, psk_len, in, 2, k->skeyid) < 0)
		return -1;

	in[0] = (struct ike_chunk){ gxy, gxy_len };
	in[1] = (struct ike_chunk){ icookie, 8 };
	in[2] = (struct ike_chunk){ rcookie, 8 };
	in[3] = (struct ike_chunk){ &zero, 1 };
	if (ike_prf(hash, k->skeyid, h, in, 4, k->skeyid_d) < 0)
		return -1;

	/* SKEYID_a and _e prepend the previous key to the same input. */
	memmove(in + 1, in, 4 * sizeof(in[0]));
	in[0] = (struct ike_chunk){ k->skeyid_d, h };
	in[4] = (struct ike_chunk){ &one, 1 };
	if (ike_prf(hash, k->skeyid, h, in, 5, k->skeyid_a) < 0)
		return -1;
	in[0] = (struct ike_chunk){ k->skeyid_a, h };
	in[4] = (struct ike_chunk){ &two, 1 };
	if (ike_prf(hash, k->skeyid, h, in, 5, k->skeyid_e) < 0)
		return -1;

	k->enc_key_len = enc_key_len;
	if (enc_key_len <= h) {
		memcpy(k->enc_key, k->skeyid_e, enc_key_len);
		return 0;
	}
	in[0] = (struct ike_chunk){ &zero, 1 };
	return expand(hash, k->skeyid_e, h, in, 1, NULL, 0, k->enc_key,
		      enc_key_len);
}

size_t
ike_cipher_block(unsigned encr)
{
	switch (encr) {
	case IKE_ENCR_3DES: return 8;
	case IKE_ENCR_AES: return 16;
	}
	return 0;
}

size_t
ike_cipher_key_len(unsigned encr, unsigned key_bits)
{
	switch (encr) {
	case IKE_ENCR_3DES:
		return key_bits == 0 || key_bits == 192 ? 24 : 0;
	case IKE_ENCR_AES:
		if (key_bits == 0)
			return 16;
		return key_bits == 128 || key_bits == 192 ||
		       key_bits == 256 ? key_bits / 8 : 0;
	}
	return 0;
}

static const EVP_CIPHER *
cbc_cipher(unsigned encr, size_t key_len)
{
	if (encr == IKE_ENCR_3DES && key_len == 24)
		return EVP_des_ede3_cbc();
	if (encr != IKE_ENCR_AES)
		return NULL;
	switch (key_len) {
	case 16: return EVP_aes_128_cbc();
	case 24: return EVP_aes_192_cbc();
	case 32: return EVP_aes_256_cbc();
	}
	return NULL;
}

int
ike_cbc(unsigned encr, const uint8_t *key, size_t key_len, uint8_t *iv,
	uint8_t *buf, size_t len, bool encrypt)
{
	const EVP_CIPHER *c = cbc_cipher(encr, key_len);
	size_t bs = ike_cipher_block(encr);
	uint8_t next_iv[IKE_BLOCK_MAX];
	EVP_CIPHER_CTX *ctx;
	int out_len, ok;

	if (c == NULL || len == 0 || len % bs != 0 || len > INT_MAX)
		return -1;
	/* Decrypting overwrites the last ciphertext block, so keep it. */
	if (!encrypt)
		memcpy(next_iv, buf + len - bs, bs);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -1;
	ok = EVP_CipherInit_ex2(ctx, c, key, iv, encrypt ? 1 : 0, NULL) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_CipherUpdate(ctx, buf, &out_len, buf, (int)len) &&
	     (size_t)out_len == len;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return -1;
	memcpy(iv, encrypt ? buf + len - bs : next_iv, bs);
	return 0;
}

int
ike_keymat(const struct ike_keys *k, const uint8_t *gxy, size_t gxy_len,
	   uint8_t proto, const uint8_t spi[4], const uint8_t *ni,
	   size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out,
	   size_t len)
{
	struct ike_chunk seed[5];
	size_t n = 0;

	if (gxy_len > 0)
		seed[n++] = (struct ike_chunk){ gxy, gxy_len };
	seed[n++] = (struct ike_chunk){ &proto, 1 };
	seed[n++] = (struct ike_chunk){ spi, 4 };
	seed[n++] = (struct ike_chunk){ ni, ni_len };
	seed[n++] = (struct ike_chunk){ nr, nr_len };
	return expand(k->hash, k->skeyid_d, k->prf_len, seed, n, seed, n, out,
		      len);
}

int
ike_random(void *out, size_t len)
{
	return RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}
