/*
 * ESP (RFC 4303) on one SA: anti-replay window with optional extended
 * sequence numbers (Appendix A), HMAC integrity (RFC 2404, RFC 2403,
 * RFC 4868), CBC ciphers (RFC 3602, RFC 2451), AES-GCM (RFC 4106) and
 * ChaCha20-Poly1305 (RFC 7634), whose nonce, AAD and ICV are built the
 * same way as GCM's.
 *
 * Each SA fetches its algorithms and keys its EVP contexts once, at
 * creation; per packet only the IV is set and the MAC re-initialised with
 * the key it already holds.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "datapath/datapath.h"
#include "datapath/dp_private.h"

#define ESP_HDR_LEN	8
#define GCM_SALT_LEN	4
#define GCM_IV_LEN	8
#define GCM_ICV_LEN	16
#define REPLAY_RING_BITS DP_REPLAY_WINDOW_MAX
#define REPLAY_RING_WORDS (REPLAY_RING_BITS / 64)

struct dp_esp_sa {
	struct dp_sa_params p;
	struct dp_sa_counters c;

	EVP_CIPHER *cipher;		/* NULL for DP_CIPHER_NULL */
	EVP_CIPHER_CTX *cctx;
	size_t block;			/* padding alignment */
	size_t iv_len;
	uint8_t salt[GCM_SALT_LEN];

	EVP_MAC *mac;
	EVP_MAC_CTX *mctx;
	size_t icv_len;

	/* Outbound: next sequence number to send. */
	uint64_t seq_out;

	/* Inbound anti-replay state: highest number seen and a bit ring. */
	uint64_t top;
	uint64_t ring[REPLAY_RING_WORDS];
};

struct integ_alg {
	const char *digest;
	size_t icv_len;
	size_t key_len;
};

static const struct integ_alg integ_algs[] = {
	[DP_INTEG_NONE] = { NULL, 0, 0 },
	[DP_INTEG_HMAC_MD5_96] = { "MD5", 12, 16 },
	[DP_INTEG_HMAC_SHA1_96] = { "SHA1", 12, 20 },
	[DP_INTEG_HMAC_SHA256_128] = { "SHA2-256", 16, 32 },
	[DP_INTEG_HMAC_SHA384_192] = { "SHA2-384", 24, 48 },
	[DP_INTEG_HMAC_SHA512_256] = { "SHA2-512", 32, 64 },
};

/* AES-GCM and ChaCha20-Poly1305: salted nonce, AAD and a 16-octet ICV. */
static bool
is_aead(enum dp_cipher cipher)
{
	return cipher == DP_CIPHER_AES_GCM ||
	       cipher == DP_CIPHER_CHACHA20_POLY1305;
}

size_t
dp_esp_iv_len(enum dp_cipher cipher)
{
	switch (cipher) {
	case DP_CIPHER_3DES_CBC:
	case DP_CIPHER_AES_GCM:
	case DP_CIPHER_CHACHA20_POLY1305:
		return 8;
	case DP_CIPHER_AES_CBC:
		return 16;
	case DP_CIPHER_NULL:
		break;
	}
	return 0;
}

static const char *
cipher_name(enum dp_cipher cipher, size_t key_len)
{
	switch (cipher) {
	case DP_CIPHER_3DES_CBC:
		return key_len == 24 ? "DES-EDE3-CBC" : NULL;
	case DP_CIPHER_AES_CBC:
		if (key_len == 16)
			return "AES-128-CBC";
		if (key_len == 24)
			return "AES-192-CBC";
		return key_len == 32 ? "AES-256-CBC" : NULL;
	case DP_CIPHER_AES_GCM:
		if (key_len == 16 + GCM_SALT_LEN)
			return "AES-128-GCM";
		if (key_len == 24 + GCM_SALT_LEN)
			return "AES-192-GCM";
		return key_len == 32 + GCM_SALT_LEN ? "AES-256-GCM" : NULL;
	case DP_CIPHER_CHACHA20_POLY1305:
		return key_len == 32 + GCM_SALT_LEN ? "ChaCha20-Poly1305" :
		       NULL;
	case DP_CIPHER_NULL:
		break;
	}
	return NULL;
}

static int
setup_cipher(struct dp_esp_sa *sa, char *err, size_t errlen)
{
	const struct dp_sa_params *p = &sa->p;
	const char *name;
	size_t key_len = p->cipher_key_len;
	int enc = p->outbound ? 1 : 0;

	sa->iv_len = dp_esp_iv_len(p->cipher);
	sa->block = 4;
	if (p->cipher == DP_CIPHER_NULL)
		return 0;

	name = cipher_name(p->cipher, key_len);
	if (name == NULL) {
		snprintf(err, errlen, "invalid cipher key length %zu", key_len);
		return -1;
	}
	sa->cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	sa->cctx = EVP_CIPHER_CTX_new();
	if (sa->cipher == NULL || sa->cctx == NULL) {
		snprintf(err, errlen, "cipher %s not available", name);
		return -1;
	}
	if (is_aead(p->cipher)) {
		key_len -= GCM_SALT_LEN;
		memcpy(sa->salt, p->cipher_key + key_len, GCM_SALT_LEN);
	} else {
		sa->block = (size_t)EVP_CIPHER_get_block_size(sa->cipher);
	}
	/* CBC must not hold back a block for padding removal; GCM has no
	 * padding, and setting it anyway costs a parameter call per IV. */
	if (!EVP_CipherInit_ex2(sa->cctx, sa->cipher, p->cipher_key, NULL,
				enc, NULL) ||
	    (!is_aead(p->cipher) &&
	     !EVP_CIPHER_CTX_set_padding(sa->cctx, 0))) {
		snprintf(err, errlen, "cipher %s key set-up failed", name);
		return -1;
	}
	return 0;
}

static int
setup_integ(struct dp_esp_sa *sa, char *err, size_t errlen)
{
	const struct dp_sa_params *p = &sa->p;
	const struct integ_alg *alg;
	OSSL_PARAM params[2];

	if (is_aead(p->cipher)) {
		if (p->integ != DP_INTEG_NONE) {
			snprintf(err, errlen, "%s takes no separate integrity "
				 "algorithm", p->cipher == DP_CIPHER_AES_GCM ?
				 "AES-GCM" : "ChaCha20-Poly1305");
			return -1;
		}
		sa->icv_len = GCM_ICV_LEN;
		return 0;
	}
	if ((size_t)p->integ >= sizeof(integ_algs) / sizeof(integ_algs[0])) {
		snprintf(err, errlen, "unknown integrity algorithm %d", p->integ);
		return -1;
	}
	alg = &integ_algs[p->integ];
	sa->icv_len = alg->icv_len;
	if (alg->digest == NULL)
		return 0;
	if (p->integ_key_len != alg->key_len) {
		snprintf(err, errlen, "integrity key is %zu octets, expected %zu",
			 p->integ_key_len, alg->key_len);
		return -1;
	}
	sa->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (sa->mac != NULL)
		sa->mctx = EVP_MAC_CTX_new(sa->mac);
	if (sa->mctx == NULL) {
		snprintf(err, errlen, "HMAC not available");
		return -1;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)alg->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(sa->mctx, p->integ_key, p->integ_key_len, params)) {
		snprintf(err, errlen, "HMAC-%s key set-up failed", alg->digest);
		return -1;
	}
	return 0;
}

struct dp_esp_sa *
dp_esp_sa_create(const struct dp_sa_params *p, char *err, size_t errlen)
{
	struct dp_esp_sa *sa;

	if (p->replay_window > DP_REPLAY_WINDOW_MAX) {
		snprintf(err, errlen, "replay window %u over the maximum %d",
			 p->replay_window, DP_REPLAY_WINDOW_MAX);
		return NULL;
	}
	sa = calloc(1, sizeof(*sa));
	if (sa == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sa->p = *p;
	if (setup_cipher(sa, err, errlen) < 0 ||
	    setup_integ(sa, err, errlen) < 0) {
		dp_esp_sa_free(sa);
		return NULL;
	}
	sa->seq_out = p->seq_start ? p->seq_start : 1;
	sa->top = sa->seq_out - 1;
	return sa;
}

void
dp_esp_sa_free(struct dp_esp_sa *sa)
{
	if (sa == NULL)
		return;
	EVP_CIPHER_CTX_free(sa->cctx);
	EVP_CIPHER_free(sa->cipher);
	EVP_MAC_CTX_free(sa->mctx);
	EVP_MAC_free(sa->mac);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

const struct dp_sa_params *
dp_esp_sa_params(const struct dp_esp_sa *sa)
{
	return &sa->p;
}

void
dp_esp_sa_counters(const struct dp_esp_sa *sa, struct dp_sa_counters *out)
{
	*out = sa->c;
}

void
dp_esp_sa_set_encap(struct dp_esp_sa *sa, uint16_t sport, uint16_t dport)
{
	sa->p.encap_sport = sport;
	sa->p.encap_dport = dport;
}

uint64_t
dp_esp_sa_bytes(const struct dp_esp_sa *sa)
{
	return sa->c.bytes_in + sa->c.bytes_out;
}

void
dp_esp_sa_clear_counters(struct dp_esp_sa *sa)
{
	memset(&sa->c, 0, sizeof(sa->c));
}

/* HMAC over DATA, then the ESN high half when present (RFC 4303 2.2.1). */
static int
compute_icv(struct dp_esp_sa *sa, const uint8_t *data, size_t len,
	    const uint8_t *seq_hi, uint8_t *icv)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t full_len = 0;

	if (!EVP_MAC_init(sa->mctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(sa->mctx, data, len))
		return -1;
	if (seq_hi != NULL && !EVP_MAC_update(sa->mctx, seq_hi, 4))
		return -1;
	if (!EVP_MAC_final(sa->mctx, full, &full_len, sizeof(full)) ||
	    full_len < sa->icv_len)
		return -1;
	memcpy(icv, full, sa->icv_len);
	return 0;
}

size_t
dp_esp_icv(struct dp_esp_sa *sa, const uint8_t *data, size_t len, uint8_t *icv)
{
	if (sa->mctx == NULL)
		return 0;
	if (compute_icv(sa, data, len, NULL, icv) < 0)
		return 0;
	return sa->icv_len;
}

/*
 * Infers the full sequence number from its low half (RFC 4303 A2.2) and
 * checks it against the window. Returns DP_ESP_OK when the packet may go
 * on to integrity checking.
 */
static enum dp_esp_status
replay_check(const struct dp_esp_sa *sa, uint32_t seq_lo, uint64_t *seq)
{
	uint32_t w = sa->p.replay_window;
	uint32_t tl = (uint32_t)sa->top;
	uint32_t th = (uint32_t)(sa->top >> 32);
	uint64_t s;

	if (!sa->p.esn) {
		s = seq_lo;
	} else {
		uint32_t win = w ? w : 1;

		if (tl >= win - 1)
			th = seq_lo >= tl - win + 1 ? th : th + 1;
		else
			th = seq_lo >= tl - win + 1 ? th - 1 : th;
		s = ((uint64_t)th << 32) | seq_lo;
	}
	*seq = s;
	if (w == 0)
		return DP_ESP_OK;
	if (s == 0)
		return DP_ESP_OUT_OF_WINDOW;
	if (s > sa->top)
		return DP_ESP_OK;
	if (sa->top - s >= w)
		return DP_ESP_OUT_OF_WINDOW;
	if (sa->ring[(s / 64) % REPLAY_RING_WORDS] & (1ULL << (s % 64)))
		return DP_ESP_REPLAY;
	return DP_ESP_OK;
}

static void
replay_update(struct dp_esp_sa *sa, uint64_t s)
{
	if (s > sa->top) {
		uint64_t diff = s - sa->top;

		if (diff >= REPLAY_RING_BITS) {
			memset(sa->ring, 0, sizeof(sa->ring));
		} else {
			for (uint64_t k = 1; k <= diff; k++) {
				uint64_t i = sa->top + k;

				sa->ring[(i / 64) % REPLAY_RING_WORDS] &=
				    ~(1ULL << (i % 64));
			}
		}
		sa->top = s;
	}
	sa->ring[(s / 64) % REPLAY_RING_WORDS] |= 1ULL << (s % 64);
}

/*
 * Builds the RFC 4106 nonce (salt, explicit IV) and the AAD (SPI, then
 * the ESN high half when used, then the low sequence number) for the
 * ESP header at ESP, whose IV field is already filled.
 */
static size_t
gcm_nonce_aad(const struct dp_esp_sa *sa, const uint8_t *esp, uint64_t seq,
	      uint8_t *nonce, uint8_t *aad)
{
	memcpy(nonce, sa->salt, GCM_SALT_LEN);
	memcpy(nonce + GCM_SALT_LEN, esp + ESP_HDR_LEN, GCM_IV_LEN);
	memcpy(aad, esp, 4);
	if (sa->p.esn) {
		uint32_t hi = htonl((uint32_t)(seq >> 32));

		memcpy(aad + 4, &hi, 4);
		memcpy(aad + 8, esp + 4, 4);
		return 12;
	}
	memcpy(aad + 4, esp + 4, 4);
	return 8;
}

static enum dp_esp_status
decrypt_gcm(struct dp_esp_sa *sa, uint8_t *esp, size_t ct_len, uint64_t seq)
{
	uint8_t nonce[GCM_SALT_LEN + GCM_IV_LEN];
	uint8_t aad[12];
	size_t aad_len = gcm_nonce_aad(sa, esp, seq, nonce, aad);
	uint8_t *ct = esp + ESP_HDR_LEN + GCM_IV_LEN;
	int outl;

	if (!EVP_DecryptInit_ex2(sa->cctx, NULL, NULL, nonce, NULL) ||
	    !EVP_DecryptUpdate(sa->cctx, NULL, &outl, aad, (int)aad_len) ||
	    !EVP_DecryptUpdate(sa->cctx, ct, &outl, ct, (int)ct_len) ||
	    !EVP_CIPHER_CTX_ctrl(sa->cctx, EVP_CTRL_GCM_SET_TAG, GCM_ICV_LEN,
				 ct + ct_len))
		return DP_ESP_INTERNAL;
	if (EVP_DecryptFinal_ex(sa->cctx, ct + outl, &outl) <= 0)
		return DP_ESP_AUTH;
	return DP_ESP_OK;
}

static enum dp_esp_status
verify_icv(struct dp_esp_sa *sa, const uint8_t *esp, size_t auth_len,
	   uint64_t seq)
{
	uint8_t icv[EVP_MAX_MD_SIZE];
	uint32_t hi = htonl((uint32_t)(seq >> 32));

	if (sa->mctx == NULL)
		return DP_ESP_OK;
	if (compute_icv(sa, esp, auth_len, sa->p.esn ? (uint8_t *)&hi : NULL,
			icv) < 0)
		return DP_ESP_INTERNAL;
	if (CRYPTO_memcmp(icv, esp + auth_len, sa->icv_len) != 0)
		return DP_ESP_AUTH;
	return DP_ESP_OK;
}

static enum dp_esp_status
decrypt_cbc(struct dp_esp_sa *sa, uint8_t *esp, size_t ct_len)
{
	uint8_t *iv = esp + ESP_HDR_LEN;
	uint8_t *ct = iv + sa->iv_len;
	int outl;

	if (sa->cctx == NULL)
		return DP_ESP_OK;
	if (!EVP_DecryptInit_ex2(sa->cctx, NULL, NULL, iv, NULL) ||
	    !EVP_DecryptUpdate(sa->cctx, ct, &outl, ct, (int)ct_len) ||
	    (size_t)outl != ct_len)
		return DP_ESP_INTERNAL;
	return DP_ESP_OK;
}

/* Checks the trailer (RFC 4303 2.4, 2.5) and locates the payload. */
static enum dp_esp_status
parse_trailer(const uint8_t *pt, size_t pt_len, struct dp_esp_result *out)
{
	uint8_t pad_len;

	if (pt_len < 2)
		return DP_ESP_PAD;
	pad_len = pt[pt_len - 2];
	if ((size_t)pad_len + 2 > pt_len)
		return DP_ESP_PAD;
	for (size_t i = 0; i < pad_len; i++) {
		if (pt[pt_len - 2 - pad_len + i] != (uint8_t)(i + 1))
			return DP_ESP_PAD;
	}
	out->next_header = pt[pt_len - 1];
	out->payload_len = pt_len - 2 - pad_len;
	return DP_ESP_OK;
}

static void
count_failure(struct dp_esp_sa *sa, enum dp_esp_status st)
{
	sa->c.decaps_failed++;
	switch (st) {
	case DP_ESP_SHORT:
	case DP_ESP_BAD_LEN:
		sa->c.invalid_len++;
		break;
	case DP_ESP_REPLAY:
	case DP_ESP_OUT_OF_WINDOW:
		sa->c.replay_failed++;
		break;
	case DP_ESP_AUTH:
		sa->c.verify_failed++;
		break;
	case DP_ESP_PAD:
		sa->c.invalid_prot++;
		break;
	default:
		break;
	}
}

enum dp_esp_status
dp_esp_decap(struct dp_esp_sa *sa, uint8_t *esp, size_t len,
	     struct dp_esp_result *out)
{
	enum dp_esp_status st;
	size_t ct_len;
	uint32_t seq_lo;
	uint64_t seq;

	if (len < ESP_HDR_LEN + sa->iv_len + sa->icv_len + 4) {
		st = DP_ESP_SHORT;
		goto fail;
	}
	ct_len = len - ESP_HDR_LEN - sa->iv_len - sa->icv_len;
	if (ct_len % sa->block != 0) {
		st = DP_ESP_BAD_LEN;
		goto fail;
	}
	memcpy(&seq_lo, esp + 4, 4);
	st = replay_check(sa, ntohl(seq_lo), &seq);
	if (st != DP_ESP_OK)
		goto fail;

	if (is_aead(sa->p.cipher)) {
		st = decrypt_gcm(sa, esp, ct_len, seq);
	} else {
		st = verify_icv(sa, esp, len - sa->icv_len, seq);
		if (st == DP_ESP_OK)
			st = decrypt_cbc(sa, esp, ct_len);
	}
	if (st != DP_ESP_OK)
		goto fail;
	/* Authenticated: the window moves even if the trailer is bad. */
	if (sa->p.replay_window)
		replay_update(sa, seq);
	else if (seq > sa->top)
		sa->top = seq;

	out->payload_off = ESP_HDR_LEN + sa->iv_len;
	out->seq = seq;
	st = parse_trailer(esp + out->payload_off, ct_len, out);
	if (st != DP_ESP_OK)
		goto fail;

	sa->c.decaps++;
	sa->c.decrypt++;
	if (sa->icv_len)
		sa->c.verify++;
	sa->c.bytes_in += len;
	if (out->next_header == 59)
		sa->c.dummy++;
	return DP_ESP_OK;
fail:
	count_failure(sa, st);
	return st;
}

static enum dp_esp_status
encrypt_payload(struct dp_esp_sa *sa, uint8_t *esp, size_t pt_len)
{
	uint8_t *iv = esp + ESP_HDR_LEN;
	uint8_t *pt = iv + sa->iv_len;
	int outl;

	if (is_aead(sa->p.cipher)) {
		uint8_t nonce[GCM_SALT_LEN + GCM_IV_LEN];
		uint8_t aad[12];
		size_t aad_len;
		uint64_t be_seq = sa->seq_out;

		/* The IV is the sequence number: unique per key, as RFC 4106
		 * requires. */
		for (int i = GCM_IV_LEN - 1; i >= 0; i--, be_seq >>= 8)
			iv[i] = (uint8_t)be_seq;
		aad_len = gcm_nonce_aad(sa, esp, sa->seq_out, nonce, aad);
		if (!EVP_EncryptInit_ex2(sa->cctx, NULL, NULL, nonce, NULL) ||
		    !EVP_EncryptUpdate(sa->cctx, NULL, &outl, aad,
				       (int)aad_len) ||
		    !EVP_EncryptUpdate(sa->cctx, pt, &outl, pt, (int)pt_len) ||
		    !EVP_EncryptFinal_ex(sa->cctx, pt + outl, &outl) ||
		    !EVP_CIPHER_CTX_ctrl(sa->cctx, EVP_CTRL_GCM_GET_TAG,
					 GCM_ICV_LEN, pt + pt_len))
			return DP_ESP_INTERNAL;
		return DP_ESP_OK;
	}
	if (sa->cctx == NULL)
		return DP_ESP_OK;
	if (RAND_bytes(iv, (int)sa->iv_len) != 1 ||
	    !EVP_EncryptInit_ex2(sa->cctx, NULL, NULL, iv, NULL) ||
	    !EVP_EncryptUpdate(sa->cctx, pt, &outl, pt, (int)pt_len) ||
	    (size_t)outl != pt_len)
		return DP_ESP_INTERNAL;
	return DP_ESP_OK;
}

size_t
dp_esp_encap(struct dp_esp_sa *sa, const uint8_t *payload, size_t len,
	     uint8_t next_header, uint8_t *out, size_t cap,
	     enum dp_esp_status *status)
{
	size_t pad, pt_len, total;
	uint32_t v;
	enum dp_esp_status st;

	if (!sa->p.esn && sa->seq_out > UINT32_MAX) {
		sa->c.replay_rollover_send++;
		st = DP_ESP_ROLLOVER;
		goto fail;
	}
	pad = (sa->block - (len + 2) % sa->block) % sa->block;
	pt_len = len + pad + 2;
	total = ESP_HDR_LEN + sa->iv_len + pt_len + sa->icv_len;
	if (total > cap || len > 65535) {
		st = DP_ESP_NO_ROOM;
		goto fail;
	}
	v = htonl(sa->p.spi);
	memcpy(out, &v, 4);
	v = htonl((uint32_t)sa->seq_out);
	memcpy(out + 4, &v, 4);
	memmove(out + ESP_HDR_LEN + sa->iv_len, payload, len);
	for (size_t i = 0; i < pad; i++)
		out[ESP_HDR_LEN + sa->iv_len + len + i] = (uint8_t)(i + 1);
	out[ESP_HDR_LEN + sa->iv_len + pt_len - 2] = (uint8_t)pad;
	out[ESP_HDR_LEN + sa->iv_len + pt_len - 1] = next_header;

	st = encrypt_payload(sa, out, pt_len);
	if (st != DP_ESP_OK)
		goto fail;
	if (sa->mctx != NULL) {
		uint32_t hi = htonl((uint32_t)(sa->seq_out >> 32));

		if (compute_icv(sa, out, total - sa->icv_len,
				sa->p.esn ? (uint8_t *)&hi : NULL,
				out + total - sa->icv_len) < 0) {
			st = DP_ESP_INTERNAL;
			goto fail;
		}
		sa->c.digest++;
	}
	sa->seq_out++;
	sa->c.encaps++;
	sa->c.encrypt++;
	sa->c.bytes_out += total;
	*status = DP_ESP_OK;
	return total;
fail:
	sa->c.encaps_failed++;
	*status = st;
	return 0;
}

size_t
dp_esp_encap_ipv4_len(const struct dp_esp_sa *sa, const uint8_t *inner,
		      size_t len)
{
	size_t payload = len, pad;

	if (!sa->p.tunnel && len >= 20)
		payload = len - (size_t)(inner[0] & 0xf) * 4;
	pad = (sa->block - (payload + 2) % sa->block) % sa->block;
	return 20 + (sa->p.udp_encap ? 8 : 0) + ESP_HDR_LEN + sa->iv_len +
	       payload + pad + 2 + sa->icv_len;
}

size_t
dp_esp_encap_ipv4(struct dp_esp_sa *sa, const uint8_t *inner, size_t len,
		  uint8_t *out, size_t cap, enum dp_esp_status *status)
{
	size_t hdr = 20, udp = sa->p.udp_encap ? 8 : 0;
	const uint8_t *payload = inner;
	size_t payload_len = len;
	uint8_t next_header = 4;
	size_t esp_len, total;
	uint16_t v16;

	if (len >= 1 && (inner[0] >> 4) == 6)
		next_header = 41;
	if (!sa->p.tunnel) {
		size_t ihl;

		if (len < 20 || (inner[0] >> 4) != 4 ||
		    (ihl = (size_t)(inner[0] & 0xf) * 4) < 20 || ihl > len) {
			*status = DP_ESP_SHORT;
			sa->c.encaps_failed++;
			return 0;
		}
		next_header = inner[9];
		payload = inner + ihl;
		payload_len = len - ihl;
	}
	if (cap < hdr + udp) {
		*status = DP_ESP_NO_ROOM;
		sa->c.encaps_failed++;
		return 0;
	}
	esp_len = dp_esp_encap(sa, payload, payload_len, next_header,
			       out + hdr + udp, cap - hdr - udp, status);
	if (esp_len == 0)
		return 0;
	total = hdr + udp + esp_len;
	if (total > 65535) {
		*status = DP_ESP_NO_ROOM;
		sa->c.encaps_failed++;
		return 0;
	}

	memset(out, 0, hdr);
	out[0] = 0x45;
	v16 = htons((uint16_t)total);
	memcpy(out + 2, &v16, 2);
	if (!sa->p.tunnel)
		memcpy(out + 4, inner + 4, 2);	/* keep the identification */
	out[8] = 64;
	out[9] = udp ? 17 : 50;
	memcpy(out + 12, &sa->p.src, 4);
	memcpy(out + 16, &sa->p.dst, 4);
	v16 = htons(dp_ip_checksum(out, hdr));
	memcpy(out + 10, &v16, 2);
	if (udp) {
		uint8_t *u = out + hdr;

		v16 = htons(sa->p.encap_sport != 0 ? sa->p.encap_sport :
			    DP_NATT_PORT);
		memcpy(u, &v16, 2);
		v16 = htons(sa->p.encap_dport != 0 ? sa->p.encap_dport :
			    DP_NATT_PORT);
		memcpy(u + 2, &v16, 2);
		v16 = htons((uint16_t)(udp + esp_len));
		memcpy(u + 4, &v16, 2);
		/* The UDP checksum is optional over IPv4 (RFC 3948). */
		u[6] = 0;
		u[7] = 0;
	}
	return total;
}
