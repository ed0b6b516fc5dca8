/*
 * ESP with ChaCha20-Poly1305 (RFC 7634): dp_esp_encap() output checked
 * against a bare OpenSSL computation of the RFC's layout (nonce = salt
 * then IV, AAD = SPI and sequence number, 16-octet tag), decapsulation
 * of it, and rejection of a changed ciphertext.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <openssl/evp.h>

#include "dp_test.h"

static struct dp_sa_params
params(bool outbound)
{
	struct dp_sa_params p = {
		.spi = 0x80000001, .outbound = outbound, .tunnel = true,
		.cipher = DP_CIPHER_CHACHA20_POLY1305, .cipher_key_len = 36,
		.replay_window = 64,
	};

	for (int i = 0; i < 36; i++)
		p.cipher_key[i] = (uint8_t)(0x80 + i);
	return p;
}

Test(chacha, encap_matches_rfc7634_layout)
{
	struct dp_sa_params p = params(true);
	uint8_t payload[60], out[256], pt[256], nonce[12], tag[16];
	char err[128] = "";
	struct dp_esp_sa *sa = dp_esp_sa_create(&p, err, sizeof(err));
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	enum dp_esp_status st;
	size_t n, pt_len;
	int outl;

	cr_assert_not_null(sa, "%s", err);
	cr_assert_not_null(c, "OpenSSL has no ChaCha20-Poly1305");
	memset(payload, 0x45, sizeof(payload));
	n = dp_esp_encap(sa, payload, sizeof(payload), 4, out, sizeof(out),
			 &st);
	/* 8 header + 8 IV + 60 payload + 2 pad + 2 trailer + 16 ICV */
	cr_assert_eq(n, 96, "ESP length %zu", n);
	cr_assert_eq(memcmp(out, "\x80\x00\x00\x01\x00\x00\x00\x01", 8), 0);

	/* The same plaintext, encrypted by hand. */
	pt_len = sizeof(payload) + 2 + 2;
	memcpy(pt, payload, sizeof(payload));
	pt[60] = 1;
	pt[61] = 2;
	pt[62] = 2;
	pt[63] = 4;
	memcpy(nonce, p.cipher_key + 32, 4);
	memcpy(nonce + 4, out + 8, 8);
	cr_assert(EVP_EncryptInit_ex2(ctx, c, p.cipher_key, nonce, NULL));
	cr_assert(EVP_EncryptUpdate(ctx, NULL, &outl, out, 8));
	cr_assert(EVP_EncryptUpdate(ctx, pt, &outl, pt, (int)pt_len));
	cr_assert(EVP_EncryptFinal_ex(ctx, pt + outl, &outl));
	cr_assert(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag));
	cr_assert_eq(memcmp(out + 16, pt, pt_len), 0, "ciphertext differs");
	cr_assert_eq(memcmp(out + 16 + pt_len, tag, 16), 0, "tag differs");

	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	dp_esp_sa_free(sa);
}

Test(chacha, decap_and_tamper)
{
	struct dp_sa_params po = params(true), pi = params(false);
	char err[128] = "";
	struct dp_esp_sa *out = dp_esp_sa_create(&po, err, sizeof(err));
	struct dp_esp_sa *in = dp_esp_sa_create(&pi, err, sizeof(err));
	uint8_t payload[200], pkt[512];
	struct dp_esp_result res;
	enum dp_esp_status st;
	struct dp_sa_counters c;
	size_t n;

	cr_assert_not_null(out);
	cr_assert_not_null(in);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	n = dp_esp_encap(out, payload, sizeof(payload), 4, pkt, sizeof(pkt),
			 &st);
	cr_assert_gt(n, 0);
	cr_assert_eq(dp_esp_decap(in, pkt, n, &res), DP_ESP_OK);
	cr_assert_eq(res.payload_len, sizeof(payload));
	cr_assert_eq(memcmp(pkt + res.payload_off, payload, sizeof(payload)),
		     0);
	n = dp_esp_encap(out, payload, sizeof(payload), 4, pkt, sizeof(pkt),
			 &st);
	pkt[40] ^= 1;
	cr_assert_eq(dp_esp_decap(in, pkt, n, &res), DP_ESP_AUTH);
	dp_esp_sa_counters(in, &c);
	cr_assert_eq(c.decaps, 1);
	cr_assert_eq(c.verify_failed, 1);
	dp_esp_sa_free(out);
	dp_esp_sa_free(in);
}
