/*
 * IKEv1 cryptography: Diffie-Hellman agreement both ways in every group,
 * HMAC test vectors (RFC 2202, RFC 4231), the SKEYID chain against a
 * direct computation with libcrypto's one-shot HMAC, AES-CBC against
 * RFC 3602 case 1, and KEYMAT expansion.
 */
#include "ikemgr/ike_crypto.h"
#include "ikemgr/isakmp.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static size_t
unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	return n;
}

Test(ikev1_crypto, dh_agrees_both_ways)
{
	static const unsigned groups[] = { 1, 2, 5, 14, 15, 16, 19, 20, 21 };

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		struct ike_dh *a = ike_dh_new(groups[g]);
		struct ike_dh *b = ike_dh_new(groups[g]);
		uint8_t pa[IKE_DH_MAX], pb[IKE_DH_MAX];
		uint8_t sa[IKE_DH_MAX], sb[IKE_DH_MAX];
		size_t la, lb, ka, kb;

		cr_assert_not_null(a, "group %u", groups[g]);
		cr_assert_not_null(b);
		cr_assert_eq(ike_dh_public(a, pa, sizeof(pa), &la), 0);
		cr_assert_eq(ike_dh_public(b, pb, sizeof(pb), &lb), 0);
		cr_assert_eq(la, ike_dh_public_len(groups[g]));
		cr_assert_eq(lb, la);
		cr_assert_neq(memcmp(pa, pb, la), 0);
		cr_assert_eq(ike_dh_shared(a, pb, lb, sa, sizeof(sa), &ka), 0,
			     "group %u", groups[g]);
		cr_assert_eq(ike_dh_shared(b, pa, la, sb, sizeof(sb), &kb), 0);
		cr_assert_eq(ka, kb);
		cr_assert_eq(memcmp(sa, sb, ka), 0, "group %u", groups[g]);
		/* MODP secrets are the prime length; ECP ones one x. */
		cr_assert_eq(ka, groups[g] >= 19 ? la / 2 : la);
		/* A public value of the wrong length is rejected. */
		cr_assert_eq(ike_dh_shared(a, pb, lb - 1, sa, sizeof(sa), &ka),
			     -1);
		ike_dh_free(a);
		ike_dh_free(b);
	}
	cr_assert_null(ike_dh_new(3));
	cr_assert_null(ike_dh_new(24));
}

Test(ikev1_crypto, modp_public_value_of_one_rejected)
{
	struct ike_dh *a = ike_dh_new(14);
	uint8_t one[256] = { 0 }, s[IKE_DH_MAX];
	size_t len;

	one[255] = 1;
	cr_assert_eq(ike_dh_shared(a, one, sizeof(one), s, sizeof(s), &len),
		     -1, "g^y = 1 would give a known secret");
	ike_dh_free(a);
}

Test(ikev1_crypto, hmac_vectors)
{
	/* RFC 2202 test case 2 (SHA1), RFC 4231 test case 2 (SHA-256,
	 * SHA-384, SHA-512), RFC 2104 / 2202 test case 2 (MD5). */
	static const struct {
		unsigned hash;
		const char *mac;
	} v[] = {
		{ IKE_HASH_MD5, "750c783e6ab0b503eaa86e310a5db738" },
		{ IKE_HASH_SHA, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ IKE_HASH_SHA256, "5bdcc146bf60754e6a042426089575c7"
				   "5a003f089d2739839dec58b964ec3843" },
		{ IKE_HASH_SHA384, "af45d2e376484031617f78d2b58a6b1b"
				   "9c7ef464f5a01b47e42ec3736322445e"
				   "8e2240ca5e69e2c78b3239ecfab21649" },
		{ IKE_HASH_SHA512, "164b7a7bfcf819e2e395fbe73b56e0a3"
				   "87bd64222e831fd610270cd7ea250554"
				   "9758bf75c05a994a6d034f65f8f0e6fd"
				   "caeab1a34d4a6b4b636e070a38bce737" },
	};
	struct ike_chunk in[2] = { { "what do ya want ", 16 },
				   { "for nothing?", 12 } };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t want[64], got[64];
		size_t n = unhex(v[i].mac, want);

		cr_assert_eq(ike_hash_len(v[i].hash), n);
		cr_assert_eq(ike_prf(v[i].hash, "Jefe", 4, in, 2, got), 0);
		cr_assert_eq(memcmp(got, want, n), 0, "hash %u", v[i].hash);
	}
	cr_assert_eq(ike_prf(3, "k", 1, in, 2, (uint8_t[64]){ 0 }), -1);
}

/* prf(K, A | B | C) with the one-shot HMAC, independent of ike_prf(). */
static void
ref_prf(const void *k, size_t kl, const void *a, size_t al, const void *b,
	size_t bl, const void *c, size_t cl, const void *d, size_t dl,
	uint8_t *out)
{
	uint8_t buf[1024];
	size_t n = 0;
	unsigned len;

	memcpy(buf + n, a, al);
	n += al;
	memcpy(buf + n, b, bl);
	n += bl;
	memcpy(buf + n, c, cl);
	n += cl;
	memcpy(buf + n, d, dl);
	n += dl;
	HMAC(EVP_sha256(), k, (int)kl, buf, n, out, &len);
}

Test(ikev1_crypto, skeyid_chain_matches_rfc2409)
{
	uint8_t ni[16], nr[16], gxy[64], ic[8], rc[8];
	uint8_t skeyid[32], d[32], a[32], e[32], k1[32], k2[32];
	uint8_t cat[96];
	struct ike_keys k;
	const uint8_t z = 0, one = 1, two = 2;

	memset(ni, 0x11, 16);
	memset(nr, 0x22, 16);
	memset(gxy, 0x33, 64);
	memset(ic, 0x44, 8);
	memset(rc, 0x55, 8);
	cr_assert_eq(ike_derive_psk(&k, IKE_HASH_SHA256, "psk", 3, ni, 16, nr,
				    16, gxy, 64, ic, rc, 32), 0);
	ref_prf("psk", 3, ni, 16, nr, 16, "", 0, "", 0, skeyid);
	cr_assert_eq(memcmp(k.skeyid, skeyid, 32), 0);
	memcpy(cat, gxy, 64);
	memcpy(cat + 64, ic, 8);
	memcpy(cat + 72, rc, 8);
	ref_prf(skeyid, 32, cat, 80, &z, 1, "", 0, "", 0, d);
	cr_assert_eq(memcmp(k.skeyid_d, d, 32), 0);
	ref_prf(skeyid, 32, d, 32, cat, 80, &one, 1, "", 0, a);
	cr_assert_eq(memcmp(k.skeyid_a, a, 32), 0);
	ref_prf(skeyid, 32, a, 32, cat, 80, &two, 1, "", 0, e);
	cr_assert_eq(memcmp(k.skeyid_e, e, 32), 0);
	/* 32 octets come straight from SKEYID_e. */
	cr_assert_eq(memcmp(k.enc_key, e, 32), 0);

	/* With SHA1 (20 octets) an AES-256 key needs appendix B. */
	cr_assert_eq(ike_derive_psk(&k, IKE_HASH_SHA, "psk", 3, ni, 16, nr, 16,
				    gxy, 64, ic, rc, 32), 0);
	{
		unsigned len;

		HMAC(EVP_sha1(), k.skeyid_e, 20, &z, 1, k1, &len);
		HMAC(EVP_sha1(), k.skeyid_e, 20, k1, 20, k2, &len);
	}
	cr_assert_eq(memcmp(k.enc_key, k1, 20), 0);
	cr_assert_eq(memcmp(k.enc_key + 20, k2, 12), 0);
}

Test(ikev1_crypto, aes_cbc_rfc3602_case1)
{
	uint8_t key[16], iv[16], pt[16], ct[16], buf[16];

	unhex("06a9214036b8a15b512e03d534120006", key);
	unhex("3dafba429d9eb430b422da802c9fac41", iv);
	memcpy(pt, "Single block msg", 16);
	unhex("e353779c1079aeb82708942dbe77181a", ct);
	memcpy(buf, pt, 16);
	cr_assert_eq(ike_cbc(IKE_ENCR_AES, key, 16, iv, buf, 16, true), 0);
	cr_assert_eq(memcmp(buf, ct, 16), 0);
	cr_assert_eq(memcmp(iv, ct, 16), 0, "the IV chains to the last block");
	unhex("3dafba429d9eb430b422da802c9fac41", iv);
	cr_assert_eq(ike_cbc(IKE_ENCR_AES, key, 16, iv, buf, 16, false), 0);
	cr_assert_eq(memcmp(buf, pt, 16), 0);
	cr_assert_eq(memcmp(iv, ct, 16), 0);
	cr_assert_eq(ike_cbc(IKE_ENCR_AES, key, 16, iv, buf, 15, true), -1);
}

Test(ikev1_crypto, keymat_expansion)
{
	struct ike_keys k = { .hash = IKE_HASH_SHA, .prf_len = 20 };
	uint8_t spi[4] = { 0xff, 0, 0, 1 }, ni[8], nr[8], out[52], k1[20];
	uint8_t seed[1 + 4 + 8 + 8], chain[20 + sizeof(seed)], k2[20];
	unsigned len;

	memset(k.skeyid_d, 0x66, 20);
	memset(ni, 1, 8);
	memset(nr, 2, 8);
	cr_assert_eq(ike_keymat(&k, NULL, 0, ISAKMP_PROTO_ESP, spi, ni, 8, nr,
				8, out, 52), 0);
	seed[0] = ISAKMP_PROTO_ESP;
	memcpy(seed + 1, spi, 4);
	memcpy(seed + 5, ni, 8);
	memcpy(seed + 13, nr, 8);
	HMAC(EVP_sha1(), k.skeyid_d, 20, seed, sizeof(seed), k1, &len);
	memcpy(chain, k1, 20);
	memcpy(chain + 20, seed, sizeof(seed));
	HMAC(EVP_sha1(), k.skeyid_d, 20, chain, sizeof(chain), k2, &len);
	cr_assert_eq(memcmp(out, k1, 20), 0);
	cr_assert_eq(memcmp(out + 20, k2, 20), 0);
}
