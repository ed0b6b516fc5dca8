/*
 * IKEv1 cryptography on OpenSSL 3: Diffie-Hellman (MODP and ECP groups),
 * the HMAC pseudo-random function, the pre-shared-key SKEYID chain and
 * key expansion of RFC 2409, CBC encryption of ISAKMP messages and the
 * Quick Mode KEYMAT.
 */
#ifndef VR_IKEMGR_IKE_CRYPTO_H
#define VR_IKEMGR_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_DH_MAX		512	/* octets: MODP 4096, ECP 521 x and y */
#define IKE_HASH_MAX		64
#define IKE_BLOCK_MAX		16
#define IKE_KEY_MAX		32

struct ike_dh;

/* True for a group this build can compute: 1, 2, 5, 14, 15, 16, 19, 20,
 * 21. */
bool ike_dh_supported(unsigned group);

/* Octets of the public value (the KE payload) of GROUP; 0 if unknown. */
size_t ike_dh_public_len(unsigned group);

/* Generates a key pair in GROUP; NULL when unsupported or on failure. */
struct ike_dh *ike_dh_new(unsigned group);
void ike_dh_free(struct ike_dh *dh);

/* Writes the public value, ike_dh_public_len() octets, into OUT. */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap,
		  size_t *len);

/*
 * Computes the shared secret g^xy with the peer's public value PEER:
 * left-padded to the prime length for MODP, the x coordinate for ECP.
 * Returns -1 for a public value of the wrong length or one OpenSSL
 * rejects.
 */
int ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer,
		  size_t peer_len, uint8_t *out, size_t cap, size_t *len);

/* Hash algorithms, numbered as the IKE_HASH_* attribute values. */
size_t ike_hash_len(unsigned hash);

/* One input chunk of the PRF. */
struct ike_chunk {
	const void *p;
	size_t len;
};

/*
 * Computes HMAC-HASH(KEY, chunk 0 | chunk 1 | ...) into OUT, which must
 * hold ike_hash_len(HASH) octets. Returns -1 for an unknown hash.
 */
int ike_prf(unsigned hash, const void *key, size_t key_len,
	    const struct ike_chunk *in, size_t n, uint8_t *out);

/* Plain hash of the chunks (NAT-D, phase 1 IVs). */
int ike_hash(unsigned hash, const struct ike_chunk *in, size_t n,
	     uint8_t *out);

/* Phase 1 keying material for pre-shared keys (RFC 2409 5). */
struct ike_keys {
	unsigned hash;
	size_t prf_len;
	uint8_t skeyid[IKE_HASH_MAX];
	uint8_t skeyid_d[IKE_HASH_MAX];
	uint8_t skeyid_a[IKE_HASH_MAX];
	uint8_t skeyid_e[IKE_HASH_MAX];
	uint8_t enc_key[IKE_KEY_MAX];
	size_t enc_key_len;
};

/*
 * Derives SKEYID = prf(PSK, Ni_b | Nr_b), then SKEYID_d, _a and _e over
 * g^xy and the cookies, and the cipher key of ENC_KEY_LEN octets from
 * SKEYID_e, expanded as in RFC 2409 appendix B when it is longer.
 */
int ike_derive_psk(struct ike_keys *k, unsigned hash, const void *psk,
		   size_t psk_len, const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len, const uint8_t *gxy,
		   size_t gxy_len, const uint8_t *icookie,
		   const uint8_t *rcookie, size_t enc_key_len);

/* Ciphers, numbered as the IKE_ENCR_* attribute values. */
size_t ike_cipher_block(unsigned encr);

/* Key octets of ENCR with KEY_BITS (0: the fixed size); 0 if invalid. */
size_t ike_cipher_key_len(unsigned encr, unsigned key_bits);

/*
 * Encrypts or decrypts BUF[0..LEN) in place in CBC mode with IV, which
 * is updated to the last ciphertext block (the IV of the next message).
 * LEN must be a multiple of the block. Returns -1 on a libcrypto error.
 */
int ike_cbc(unsigned encr, const uint8_t *key, size_t key_len, uint8_t *iv,
	    uint8_t *buf, size_t len, bool encrypt);

/*
 * Computes the Quick Mode KEYMAT for one SA (RFC 2409 5.5): LEN octets
 * of prf(SKEYID_d, [g^xy |] protocol | SPI | Ni_b | Nr_b), expanded.
 * SPI is in network order.
 */
int ike_keymat(const struct ike_keys *k, const uint8_t *gxy, size_t gxy_len,
	       uint8_t proto, const uint8_t spi[4], const uint8_t *ni,
	       size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out,
	       size_t len);

/* Fills OUT with LEN random octets; -1 when the generator fails. */
int ike_random(void *out, size_t len);

#endif
