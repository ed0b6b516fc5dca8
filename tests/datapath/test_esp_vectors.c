/*
 * ESP through dp_esp_decap()/dp_esp_encap() against published vectors:
 * RFC 3602 (AES-CBC, raw and ESP), draft-mcgrew-gcm-test-01 (RFC 4106
 * AES-GCM ESP, with and without ESN) and RFC 4868 (HMAC-SHA-2).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test.h"

static struct dpt_vec *vecs;
static size_t nvecs;

static void
load(void)
{
	char path[1024];

	vecs = dpt_vecs_load(dpt_external("vectors/esp-test-vectors.txt",
					  path, sizeof(path)), &nvecs);
	cr_assert(nvecs > 30, "only %zu vectors read", nvecs);
}

static void
unload(void)
{
	dpt_vecs_free(vecs, nvecs);
}

TestSuite(esp_vectors, .init = load, .fini = unload);

static bool
name_starts(const struct dpt_vec *v, const char *prefix)
{
	const char *name = dpt_vec_get(v, "name");

	return name != NULL && strncmp(name, prefix, strlen(prefix)) == 0;
}

static struct dp_esp_sa *
make_sa(struct dp_sa_params *p)
{
	char err[128] = "";
	struct dp_esp_sa *sa = dp_esp_sa_create(p, err, sizeof(err));

	cr_assert(sa != NULL, "dp_esp_sa_create: %s", err);
	return sa;
}

Test(esp_vectors, rfc3602_raw_cbc_decrypts)
{
	int seen = 0;

	for (size_t i = 0; i < nvecs; i++) {
		const struct dpt_vec *v = &vecs[i];
		struct dp_sa_params p = { .spi = 0x100, .tunnel = true,
					  .cipher = DP_CIPHER_AES_CBC };
		uint8_t pkt[256], pt[256];
		struct dp_esp_result res;
		struct dp_esp_sa *sa;
		size_t iv_len, ct_len, pt_len;

		if (!name_starts(v, "rfc3602-case") ||
		    dpt_vec_get(v, "esp") != NULL)
			continue;
		p.cipher_key_len = dpt_hex(dpt_vec_get(v, "key"), p.cipher_key,
					   sizeof(p.cipher_key));
		sa = make_sa(&p);
		/* SPI 0x100, sequence 1, then IV and ciphertext. */
		memcpy(pkt, "\x00\x00\x01\x00\x00\x00\x00\x01", 8);
		iv_len = dpt_hex(dpt_vec_get(v, "iv"), pkt + 8, 16);
		ct_len = dpt_hex(dpt_vec_get(v, "ciphertext"), pkt + 8 + iv_len,
				 sizeof(pkt) - 24);
		pt_len = dpt_hex(dpt_vec_get(v, "plaintext"), pt, sizeof(pt));
		cr_assert_eq(ct_len, pt_len);
		/* The plaintext carries no ESP trailer, so the status is a
		 * padding error; the decrypted bytes are what is checked. */
		dp_esp_decap(sa, pkt, 8 + iv_len + ct_len, &res);
		cr_assert_arr_eq(pkt + 8 + iv_len, pt, pt_len, "%s differs",
				 dpt_vec_get(v, "name"));
		dp_esp_sa_free(sa);
		seen++;
	}
	cr_assert_eq(seen, 4);
}

Test(esp_vectors, rfc3602_esp_packets_decap)
{
	int seen = 0;

	for (size_t i = 0; i < nvecs; i++) {
		const struct dpt_vec *v = &vecs[i];
		const char *name = dpt_vec_get(v, "name");
		struct dp_sa_params p = { .cipher = DP_CIPHER_AES_CBC,
					  .replay_window = 64 };
		uint8_t pkt[512], want[512], trailer[512];
		struct dp_esp_result res;
		struct dp_esp_sa *sa;
		size_t len, want_len, trailer_len;

		if (!name_starts(v, "rfc3602-case") ||
		    dpt_vec_get(v, "esp") == NULL)
			continue;
		p.tunnel = strcmp(dpt_vec_get(v, "mode"), "tunnel") == 0;
		p.spi = (uint32_t)strtoul(dpt_vec_get(v, "spi"), NULL, 16);
		p.cipher_key_len = dpt_hex(dpt_vec_get(v, "key"), p.cipher_key,
					   sizeof(p.cipher_key));
		sa = make_sa(&p);
		len = dpt_hex(dpt_vec_get(v, "esp"), pkt, sizeof(pkt));
		want_len = dpt_hex(dpt_vec_get(v, "payload"), want,
				   sizeof(want));
		trailer_len = dpt_hex(dpt_vec_get(v, "payload_with_trailer"),
				      trailer, sizeof(trailer));

		cr_assert_eq(dp_esp_decap(sa, pkt, len, &res), DP_ESP_OK,
			     "%s not decapsulated", name);
		cr_assert_eq(res.payload_len, want_len, "%s length", name);
		cr_assert_arr_eq(pkt + res.payload_off, want, want_len,
				 "%s payload", name);
		cr_assert_arr_eq(pkt + res.payload_off, trailer, trailer_len,
				 "%s trailer", name);
		cr_assert_eq(res.next_header,
			     atoi(dpt_vec_get(v, "next_header")));
		cr_assert_eq(res.seq,
			     strtoull(dpt_vec_get(v, "seq"), NULL, 0));
		dp_esp_sa_free(sa);
		seen++;
	}
	cr_assert_eq(seen, 4);
}

/* Sequence number of a GCM vector: seq, or seq_hi and seq_lo with ESN. */
static uint64_t
gcm_seq(const struct dpt_vec *v)
{
	const char *s = dpt_vec_get(v, "seq");

	if (s != NULL)
		return strtoull(s, NULL, 0);
	return strtoull(dpt_vec_get(v, "seq_hi"), NULL, 0) << 32 |
	       strtoull(dpt_vec_get(v, "seq_lo"), NULL, 0);
}

static struct dp_sa_params
gcm_params(const struct dpt_vec *v)
{
	struct dp_sa_params p = { .cipher = DP_CIPHER_AES_GCM,
				  .tunnel = true, .replay_window = 64 };
	const char *esn = dpt_vec_get(v, "esn");

	p.spi = (uint32_t)strtoul(dpt_vec_get(v, "spi"), NULL, 16);
	p.cipher_key_len = dpt_hex(dpt_vec_get(v, "key"), p.cipher_key,
				   sizeof(p.cipher_key));
	p.cipher_key_len += dpt_hex(dpt_vec_get(v, "salt"),
				    p.cipher_key + p.cipher_key_len, 4);
	p.esn = esn != NULL && strcmp(esn, "yes") == 0;
	/* The receiver has seen everything below this packet, so the ESN
	 * high half is inferred as the sender used it. */
	p.seq_start = gcm_seq(v);
	return p;
}

Test(esp_vectors, gcm_esp_packets_decap)
{
	int seen = 0;

	for (size_t i = 0; i < nvecs; i++) {
		const struct dpt_vec *v = &vecs[i];
		const char *name = dpt_vec_get(v, "name");
		struct dp_sa_params p;
		uint8_t pkt[512], want[512];
		struct dp_esp_result res;
		struct dp_esp_sa *sa;
		size_t len, want_len;

		if (!name_starts(v, "mcgrew-gcm-"))
			continue;
		p = gcm_params(v);
		sa = make_sa(&p);
		len = dpt_hex(dpt_vec_get(v, "esp_on_wire"), pkt, sizeof(pkt));
		want_len = dpt_hex(dpt_vec_get(v, "plaintext"), want,
				   sizeof(want));

		cr_assert_eq(dp_esp_decap(sa, pkt, len, &res), DP_ESP_OK,
			     "%s not decapsulated", name);
		cr_assert_eq(res.seq, gcm_seq(v), "%s sequence", name);
		cr_assert_arr_eq(pkt + res.payload_off, want, want_len,
				 "%s plaintext", name);
		cr_assert_eq(res.next_header, want[want_len - 1]);
		cr_assert_eq(res.payload_len + 2 + want[want_len - 2],
			     want_len, "%s payload length", name);
		dp_esp_sa_free(sa);
		seen++;
	}
	cr_assert_eq(seen, 16);
}

Test(esp_vectors, gcm_tampered_icv_fails)
{
	for (size_t i = 0; i < nvecs; i++) {
		const struct dpt_vec *v = &vecs[i];
		struct dp_sa_params p;
		struct dp_sa_counters c;
		uint8_t pkt[512];
		struct dp_esp_result res;
		struct dp_esp_sa *sa;
		size_t len;

		if (!name_starts(v, "mcgrew-gcm-"))
			continue;
		p = gcm_params(v);
		sa = make_sa(&p);
		len = dpt_hex(dpt_vec_get(v, "esp_on_wire"), pkt, sizeof(pkt));
		pkt[len - 1] ^= 0x01;
		cr_assert_eq(dp_esp_decap(sa, pkt, len, &res), DP_ESP_AUTH);
		dp_esp_sa_counters(sa, &c);
		cr_assert_eq(c.verify_failed, 1);
		cr_assert_eq(c.decaps_failed, 1);
		cr_assert_eq(c.decaps, 0);
		dp_esp_sa_free(sa);
	}
}

Test(esp_vectors, rfc4868_hmac_sha2)
{
	static const struct {
		const char *name;
		enum dp_integ integ;
	} algs[] = {
		{ "hmac-sha256-128", DP_INTEG_HMAC_SHA256_128 },
		{ "hmac-sha384-192", DP_INTEG_HMAC_SHA384_192 },
		{ "hmac-sha512-256", DP_INTEG_HMAC_SHA512_256 },
	};
	int seen = 0;

	for (size_t i = 0; i < nvecs; i++) {
		const struct dpt_vec *v = &vecs[i];
		const char *integ = dpt_vec_get(v, "integ");
		struct dp_sa_params p = { .cipher = DP_CIPHER_NULL };
		uint8_t data[256], want[64], icv[64];
		size_t dlen, wlen;
		struct dp_esp_sa *sa;

		if (!name_starts(v, "rfc4868-") || integ == NULL)
			continue;
		for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
			if (strcmp(algs[a].name, integ) == 0)
				p.integ = algs[a].integ;
		}
		cr_assert(p.integ != DP_INTEG_NONE, "unknown %s", integ);
		p.integ_key_len = dpt_hex(dpt_vec_get(v, "key"), p.integ_key,
					  sizeof(p.integ_key));
		dlen = dpt_hex(dpt_vec_get(v, "data"), data, sizeof(data));
		wlen = dpt_hex(dpt_vec_get(v, "mac"), want, sizeof(want));
		sa = make_sa(&p);
		cr_assert_eq(dp_esp_icv(sa, data, dlen, icv), wlen);
		cr_assert_arr_eq(icv, want, wlen, "%s",
				 dpt_vec_get(v, "name"));
		dp_esp_sa_free(sa);
		seen++;
	}
	cr_assert_eq(seen, 9);
}

/* Every supported algorithm pair: encapsulate, then decapsulate. */
Test(esp, encap_decap_round_trip)
{
	static const struct {
		enum dp_cipher cipher;
		size_t key_len;
		enum dp_integ integ;
		size_t integ_len;
	} combos[] = {
		{ DP_CIPHER_NULL, 0, DP_INTEG_HMAC_MD5_96, 16 },
		{ DP_CIPHER_3DES_CBC, 24, DP_INTEG_HMAC_MD5_96, 16 },
		{ DP_CIPHER_3DES_CBC, 24, DP_INTEG_HMAC_SHA1_96, 20 },
		{ DP_CIPHER_AES_CBC, 16, DP_INTEG_HMAC_SHA1_96, 20 },
		{ DP_CIPHER_AES_CBC, 24, DP_INTEG_HMAC_SHA256_128, 32 },
		{ DP_CIPHER_AES_CBC, 32, DP_INTEG_HMAC_SHA256_128, 32 },
		{ DP_CIPHER_AES_CBC, 32, DP_INTEG_NONE, 0 },
		{ DP_CIPHER_AES_GCM, 20, DP_INTEG_NONE, 0 },
		{ DP_CIPHER_AES_GCM, 36, DP_INTEG_NONE, 0 },
	};
	uint8_t payload[100];

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	for (size_t k = 0; k < sizeof(combos) / sizeof(combos[0]); k++) {
		struct dp_sa_params p = {
			.spi = 0x4242, .tunnel = true, .replay_window = 64,
			.cipher = combos[k].cipher,
			.cipher_key_len = combos[k].key_len,
			.integ = combos[k].integ,
			.integ_key_len = combos[k].integ_len,
		};
		struct dp_esp_sa *out, *in;
		enum dp_esp_status st;
		struct dp_esp_result res;
		uint8_t pkt[256];
		size_t len;

		memset(p.cipher_key, 0x5a, sizeof(p.cipher_key));
		memset(p.integ_key, 0xa5, sizeof(p.integ_key));
		p.outbound = true;
		out = make_sa(&p);
		p.outbound = false;
		in = make_sa(&p);
		for (int n = 1; n <= 3; n++) {
			len = dp_esp_encap(out, payload, sizeof(payload), 4,
					   pkt, sizeof(pkt), &st);
			cr_assert_eq(st, DP_ESP_OK, "combo %zu encap", k);
			cr_assert_eq(dp_esp_decap(in, pkt, len, &res),
				     DP_ESP_OK, "combo %zu decap", k);
			cr_assert_eq(res.seq, (uint64_t)n);
			cr_assert_eq(res.payload_len, sizeof(payload));
			cr_assert_arr_eq(pkt + res.payload_off, payload,
					 sizeof(payload));
			cr_assert_eq(res.next_header, 4);
		}
		dp_esp_sa_free(out);
		dp_esp_sa_free(in);
	}
}

Test(esp, replay_window_rejects)
{
	struct dp_sa_params p = {
		.spi = 0x777, .tunnel = true, .replay_window = 64,
		.cipher = DP_CIPHER_AES_CBC, .cipher_key_len = 16,
		.integ = DP_INTEG_HMAC_SHA1_96, .integ_key_len = 20,
	};
	uint8_t pkts[80][128], buf[128], payload[20] = { 0x45 };
	size_t lens[80];
	struct dp_esp_sa *out, *in;
	struct dp_esp_result res;
	struct dp_sa_counters c;
	enum dp_esp_status st;

	p.outbound = true;
	out = make_sa(&p);
	p.outbound = false;
	in = make_sa(&p);
	for (int i = 0; i < 80; i++) {
		lens[i] = dp_esp_encap(out, payload, sizeof(payload), 4,
				       pkts[i], sizeof(pkts[i]), &st);
		cr_assert_eq(st, DP_ESP_OK);
	}
	/* Sequence 80 first, then 80 again, then 17 (inside the window)
	 * and 16 (left of the window), then 17 again. */
	memcpy(buf, pkts[79], lens[79]);
	cr_assert_eq(dp_esp_decap(in, buf, lens[79], &res), DP_ESP_OK);
	memcpy(buf, pkts[79], lens[79]);
	cr_assert_eq(dp_esp_decap(in, buf, lens[79], &res), DP_ESP_REPLAY);
	memcpy(buf, pkts[16], lens[16]);
	cr_assert_eq(dp_esp_decap(in, buf, lens[16], &res), DP_ESP_OK);
	memcpy(buf, pkts[15], lens[15]);
	cr_assert_eq(dp_esp_decap(in, buf, lens[15], &res),
		     DP_ESP_OUT_OF_WINDOW);
	memcpy(buf, pkts[16], lens[16]);
	cr_assert_eq(dp_esp_decap(in, buf, lens[16], &res), DP_ESP_REPLAY);
	dp_esp_sa_counters(in, &c);
	cr_assert_eq(c.decaps, 2);
	cr_assert_eq(c.replay_failed, 3);
	cr_assert_eq(c.decaps_failed, 3);
	dp_esp_sa_free(out);
	dp_esp_sa_free(in);
}

Test(esp, bad_sa_parameters_rejected)
{
	struct dp_sa_params p = { .spi = 0x300, .cipher = DP_CIPHER_AES_CBC,
				  .cipher_key_len = 15 };
	char err[128] = "";

	cr_assert_null(dp_esp_sa_create(&p, err, sizeof(err)));
	cr_assert(strstr(err, "key length") != NULL, "message: %s", err);
	p.cipher_key_len = 16;
	p.integ = DP_INTEG_HMAC_SHA1_96;
	p.integ_key_len = 16;
	cr_assert_null(dp_esp_sa_create(&p, err, sizeof(err)));
	cr_assert(strstr(err, "integrity key") != NULL, "message: %s", err);
}
