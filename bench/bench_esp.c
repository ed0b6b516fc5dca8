/*
 * ESP with reused contexts against bare OpenSSL loops doing the same
 * cryptographic work:
 *
 *   esp_cbc_sha1_decap_N  dp_esp_decap() with AES-128-CBC and
 *                         HMAC-SHA1-96 against EVP_MAC (HMAC over header,
 *                         IV and ciphertext, then compare) followed by
 *                         EVP CBC decryption. Goal: 0.9 of the bare rate.
 *   esp_gcm_encap_N       dp_esp_encap() with AES-128-GCM against an EVP
 *                         loop that sets the nonce, feeds the AAD,
 *                         encrypts and takes the tag. Goal: 0.85.
 *
 * N is the payload size in octets, 64 and 1400. Five alternating rounds
 * after a warm-up; medians compared.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bench/bench.h"
#include "datapath/datapath.h"

#define PACKETS 4096
#define ROUNDS 5
#define MAX_PKT 1600

static uint8_t wire[PACKETS][MAX_PKT];
static size_t wire_len[PACKETS];
static uint8_t work[MAX_PKT];
static uint8_t payload[MAX_PKT];

static const uint8_t aes_key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				     13, 14, 15, 16 };
static const uint8_t sha_key[20] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
				     0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
				     0xdd, 0xee, 0xff, 1, 2, 3, 4, 5 };

static struct dp_sa_params
cbc_params(bool outbound)
{
	struct dp_sa_params p = {
		.spi = 0x1000, .tunnel = true, .outbound = outbound,
		.cipher = DP_CIPHER_AES_CBC, .cipher_key_len = 16,
		.integ = DP_INTEG_HMAC_SHA1_96, .integ_key_len = 20,
	};

	memcpy(p.cipher_key, aes_key, 16);
	memcpy(p.integ_key, sha_key, 20);
	return p;
}

static struct dp_sa_params
gcm_params(void)
{
	struct dp_sa_params p = {
		.spi = 0x2000, .tunnel = true, .outbound = true,
		.cipher = DP_CIPHER_AES_GCM, .cipher_key_len = 20,
	};

	memcpy(p.cipher_key, aes_key, 16);
	memcpy(p.cipher_key + 16, "\xca\xfe\xba\xbe", 4);
	return p;
}

static void
report(const char *name, size_t size, double prod, double bare, double goal)
{
	printf("bench %s_%zu_bare: %.0f ns/packet\n", name, size,
	       bare / PACKETS * 1e9);
	printf("bench %s_%zu: %.0f ns/packet ratio=%.2f goal>=%.2f\n", name,
	       size, prod / PACKETS * 1e9, bare / prod, goal);
}

/* ---- CBC + HMAC decapsulation ---- */

static int
cbc_build(size_t size)
{
	struct dp_sa_params p = cbc_params(true);
	struct dp_esp_sa *sa;
	enum dp_esp_status st;
	char err[128];

	sa = dp_esp_sa_create(&p, err, sizeof(err));
	if (sa == NULL) {
		fprintf(stderr, "bench_esp: %s\n", err);
		return -1;
	}
	memset(payload, 0x45, size);
	for (int i = 0; i < PACKETS; i++) {
		wire_len[i] = dp_esp_encap(sa, payload, size, 4, wire[i],
					   MAX_PKT, &st);
		if (wire_len[i] == 0)
			break;
	}
	dp_esp_sa_free(sa);
	return wire_len[PACKETS - 1] ? 0 : -1;
}

static double
cbc_product(uint64_t *ok)
{
	struct dp_sa_params p = cbc_params(false);
	struct dp_esp_result res;
	char err[128];
	struct dp_esp_sa *sa = dp_esp_sa_create(&p, err, sizeof(err));
	double t0, t;

	if (sa == NULL)
		return -1;
	t0 = bench_seconds();
	for (int i = 0; i < PACKETS; i++) {
		memcpy(work, wire[i], wire_len[i]);
		*ok += dp_esp_decap(sa, work, wire_len[i], &res) == DP_ESP_OK;
	}
	t = bench_seconds() - t0;
	dp_esp_sa_free(sa);
	return t;
}

static double
cbc_bare(EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *mctx, uint64_t *ok)
{
	double t0 = bench_seconds();

	for (int i = 0; i < PACKETS; i++) {
		size_t n = wire_len[i], ct = n - 8 - 16 - 12;
		uint8_t icv[EVP_MAX_MD_SIZE];
		size_t icv_len = 0;
		int outl;

		memcpy(work, wire[i], n);
		if (!EVP_MAC_init(mctx, NULL, 0, NULL) ||
		    !EVP_MAC_update(mctx, work, n - 12) ||
		    !EVP_MAC_final(mctx, icv, &icv_len, sizeof(icv)) ||
		    CRYPTO_memcmp(icv, work + n - 12, 12) != 0)
			continue;
		if (EVP_DecryptInit_ex2(cctx, NULL, NULL, work + 8, NULL) &&
		    EVP_DecryptUpdate(cctx, work + 24, &outl, work + 24,
				      (int)ct) && (size_t)outl == ct)
			(*ok)++;
	}
	return bench_seconds() - t0;
}

static int
cbc_run(size_t size)
{
	double prod[ROUNDS], bare[ROUNDS];
	uint64_t ok_prod = 0, ok_bare = 0;
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 digest, 0),
		OSSL_PARAM_construct_end(),
	};
	int ret = -1;

	if (cipher == NULL || cctx == NULL || mctx == NULL ||
	    cbc_build(size) < 0 ||
	    !EVP_DecryptInit_ex2(cctx, cipher, aes_key, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(cctx, 0) ||
	    !EVP_MAC_init(mctx, sha_key, sizeof(sha_key), params))
		goto out;
	cbc_product(&ok_prod);
	cbc_bare(cctx, mctx, &ok_bare);
	for (int r = 0; r < ROUNDS; r++) {
		prod[r] = cbc_product(&ok_prod);
		bare[r] = cbc_bare(cctx, mctx, &ok_bare);
	}
	if (ok_prod != (uint64_t)PACKETS * (ROUNDS + 1) || ok_bare != ok_prod) {
		fprintf(stderr, "bench_esp: CBC %zu: %lu and %lu packets "
			"verified, expected %d\n", size,
			(unsigned long)ok_prod, (unsigned long)ok_bare,
			PACKETS * (ROUNDS + 1));
		goto out;
	}
	report("esp_cbc_sha1_decap", size, bench_median(prod, ROUNDS),
	       bench_median(bare, ROUNDS), 0.90);
	ret = 0;
out:
	EVP_MAC_CTX_free(mctx);
	EVP_MAC_free(mac);
	EVP_CIPHER_CTX_free(cctx);
	EVP_CIPHER_free(cipher);
	return ret;
}

/* ---- GCM encapsulation ---- */

static double
gcm_product(size_t size, uint64_t *ok)
{
	struct dp_sa_params p = gcm_params();
	enum dp_esp_status st;
	char err[128];
	struct dp_esp_sa *sa = dp_esp_sa_create(&p, err, sizeof(err));
	double t0, t;

	if (sa == NULL)
		return -1;
	t0 = bench_seconds();
	for (int i = 0; i < PACKETS; i++)
		*ok += dp_esp_encap(sa, payload, size, 4, wire[i], MAX_PKT,
				    &st) > 0;
	t = bench_seconds() - t0;
	dp_esp_sa_free(sa);
	return t;
}

/* What ESP encapsulation must do at the least: header, padding and
 * trailer, then GCM with the sequence number as IV. */
static double
gcm_bare(EVP_CIPHER_CTX *ctx, size_t size, uint64_t *ok)
{
	double t0 = bench_seconds();

	for (int i = 0; i < PACKETS; i++) {
		uint8_t *out = wire[i], nonce[12];
		size_t pad = (4 - (size + 2) % 4) % 4, pt = size + pad + 2;
		uint64_t seq = (uint64_t)i + 1;
		int outl;

		memset(out, 0, 16);
		out[2] = 0x20;
		out[7] = (uint8_t)seq;
		for (int b = 0; b < 8; b++)
			out[8 + b] = (uint8_t)(seq >> (56 - 8 * b));
		memcpy(out + 16, payload, size);
		for (size_t k = 0; k < pad; k++)
			out[16 + size + k] = (uint8_t)(k + 1);
		out[16 + size + pad] = (uint8_t)pad;
		out[16 + size + pad + 1] = 4;
		memcpy(nonce, "\xca\xfe\xba\xbe", 4);
		memcpy(nonce + 4, out + 8, 8);
		if (EVP_EncryptInit_ex2(ctx, NULL, NULL, nonce, NULL) &&
		    EVP_EncryptUpdate(ctx, NULL, &outl, out, 8) &&
		    EVP_EncryptUpdate(ctx, out + 16, &outl, out + 16, (int)pt) &&
		    EVP_EncryptFinal_ex(ctx, out + 16 + outl, &outl) &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
					out + 16 + pt))
			(*ok)++;
	}
	return bench_seconds() - t0;
}

static int
gcm_run(size_t size)
{
	double prod[ROUNDS], bare[ROUNDS];
	uint64_t ok_prod = 0, ok_bare = 0;
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ret = -1;

	memset(payload, 0x45, size);
	if (cipher == NULL || ctx == NULL ||
	    !EVP_EncryptInit_ex2(ctx, cipher, aes_key, NULL, NULL))
		goto out;
	gcm_product(size, &ok_prod);
	gcm_bare(ctx, size, &ok_bare);
	for (int r = 0; r < ROUNDS; r++) {
		prod[r] = gcm_product(size, &ok_prod);
		bare[r] = gcm_bare(ctx, size, &ok_bare);
	}
	if (ok_prod != (uint64_t)PACKETS * (ROUNDS + 1) || ok_bare != ok_prod) {
		fprintf(stderr, "bench_esp: GCM %zu: %lu and %lu packets "
			"encrypted, expected %d\n", size,
			(unsigned long)ok_prod, (unsigned long)ok_bare,
			PACKETS * (ROUNDS + 1));
		goto out;
	}
	report("esp_gcm_encap", size, bench_median(prod, ROUNDS),
	       bench_median(bare, ROUNDS), 0.85);
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return ret;
}

int
main(void)
{
	int ret = 0;

	ret |= cbc_run(64);
	ret |= cbc_run(1400);
	ret |= gcm_run(64);
	ret |= gcm_run(1400);
	return ret ? 1 : 0;
}
