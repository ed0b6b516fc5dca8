/*
 * Valid ESP decapsulation with AES-128-GCM: dp_esp_decap() (anti-replay
 * check, decrypt and verify, trailer check, counters) against a bare EVP
 * loop that only sets the nonce, feeds the AAD, decrypts and checks the
 * tag with a context reused the same way. Both copy each packet into a
 * work buffer first, because decryption is in place.
 *
 * Timed alternately, five rounds after a warm-up, medians compared; the
 * goal is at least 0.85 of the bare rate at 64 octets and 0.95 at 1400.
 * Exits 1 only when a packet fails to verify, so that `make bench` runs
 * every benchmark; the goals are compared from the printed lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "datapath/datapath.h"

#define PACKETS 4096
#define ROUNDS 5
#define MAX_PKT 1600

static uint8_t wire[PACKETS][MAX_PKT];
static size_t wire_len[PACKETS];
static uint8_t work[MAX_PKT];

static const struct dp_sa_params base = {
	.spi = 0x1000, .tunnel = true, .replay_window = 64,
	.cipher = DP_CIPHER_AES_GCM, .cipher_key_len = 20,
	.cipher_key = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
			16, 0xca, 0xfe, 0xba, 0xbe },
};

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
build(size_t payload)
{
	struct dp_sa_params p = base;
	uint8_t inner[MAX_PKT];
	enum dp_esp_status st;
	struct dp_esp_sa *sa;
	char err[128];

	p.outbound = true;
	sa = dp_esp_sa_create(&p, err, sizeof(err));
	if (sa == NULL) {
		fprintf(stderr, "bench_decap: %s\n", err);
		return -1;
	}
	memset(inner, 0x45, payload);
	for (int i = 0; i < PACKETS; i++) {
		wire_len[i] = dp_esp_encap(sa, inner, payload, 4, wire[i],
					   MAX_PKT, &st);
		if (wire_len[i] == 0) {
			dp_esp_sa_free(sa);
			return -1;
		}
	}
	dp_esp_sa_free(sa);
	return 0;
}

/* One pass of the product; a fresh SA so the sequence numbers are new. */
static double
product_pass(uint64_t *ok)
{
	struct dp_sa_params p = base;
	struct dp_esp_result res;
	struct dp_esp_sa *sa;
	char err[128];
	double t0, t;

	sa = dp_esp_sa_create(&p, err, sizeof(err));
	if (sa == NULL)
		return -1;
	t0 = seconds();
	for (int i = 0; i < PACKETS; i++) {
		memcpy(work, wire[i], wire_len[i]);
		*ok += dp_esp_decap(sa, work, wire_len[i], &res) == DP_ESP_OK;
	}
	t = seconds() - t0;
	dp_esp_sa_free(sa);
	return t;
}

static double
bare_pass(EVP_CIPHER_CTX *ctx, uint64_t *ok)
{
	double t0 = seconds();

	for (int i = 0; i < PACKETS; i++) {
		size_t ct_len = wire_len[i] - 8 - 8 - 16;
		uint8_t nonce[12];
		int outl;

		memcpy(work, wire[i], wire_len[i]);
		memcpy(nonce, base.cipher_key + 16, 4);
		memcpy(nonce + 4, work + 8, 8);
		if (EVP_DecryptInit_ex2(ctx, NULL, NULL, nonce, NULL) &&
		    EVP_DecryptUpdate(ctx, NULL, &outl, work, 8) &&
		    EVP_DecryptUpdate(ctx, work + 16, &outl, work + 16,
				      (int)ct_len) &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
					work + 16 + ct_len) &&
		    EVP_DecryptFinal_ex(ctx, work + 16 + outl, &outl) > 0)
			(*ok)++;
	}
	return seconds() - t0;
}

static int
run(size_t payload, double goal)
{
	double prod[ROUNDS], bare[ROUNDS], ratio;
	uint64_t ok_prod = 0, ok_bare = 0;
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (cipher == NULL || ctx == NULL || build(payload) < 0 ||
	    !EVP_DecryptInit_ex2(ctx, cipher, base.cipher_key, NULL, NULL))
		return -1;
	product_pass(&ok_prod);
	bare_pass(ctx, &ok_bare);
	for (int r = 0; r < ROUNDS; r++) {
		prod[r] = product_pass(&ok_prod);
		bare[r] = bare_pass(ctx, &ok_bare);
	}
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	if (ok_prod != (uint64_t)PACKETS * (ROUNDS + 1) ||
	    ok_bare != ok_prod) {
		fprintf(stderr, "bench_decap: %lu and %lu packets verified, "
			"expected %d\n", (unsigned long)ok_prod,
			(unsigned long)ok_bare, PACKETS * (ROUNDS + 1));
		return -1;
	}
	qsort(prod, ROUNDS, sizeof(prod[0]), cmp_double);
	qsort(bare, ROUNDS, sizeof(bare[0]), cmp_double);
	ratio = bare[ROUNDS / 2] / prod[ROUNDS / 2];
	printf("bench decap_gcm128_%zu_bare: %.0f ns/packet\n", payload,
	       bare[ROUNDS / 2] / PACKETS * 1e9);
	printf("bench decap_gcm128_%zu: %.0f ns/packet ratio=%.2f "
	       "goal>=%.2f\n", payload, prod[ROUNDS / 2] / PACKETS * 1e9,
	       ratio, goal);
	return ratio >= goal ? 0 : 1;
}

int
main(void)
{
	int a = run(64, 0.85);
	int b = run(1400, 0.95);

	return a < 0 || b < 0;
}
