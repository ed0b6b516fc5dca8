/*
 * Malformed input through the whole input path: every prefix of a valid
 * ESP packet, bad IPv4 headers, overlapping and oversized fragments and
 * random corruption. Each packet must be counted, never crash.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "dp_test.h"

#define IF "/vrouter-config:interfaces/interface[name='GigabitEthernet1']"
#define TS "/vrouter-config:crypto/ipsec/transform-set[name='TS']"
#define MAP "/vrouter-config:crypto/map[name='VPN']/entry[sequence='10']"
#define AES_KEY "000102030405060708090a0b0c0d0e0f"
#define SHA_KEY "0102030405060708090a0b0c0d0e0f1011121314"

static struct dpt_router router;
static struct dpt_log log_lines;
static struct dp_esp_sa *peer_sa;

static void
setup(void)
{
	static const char *const pairs[] = {
		IF "/ipv4/address", "10.10.1.2",
		IF "/ipv4/mask", "255.255.255.0",
		IF "/crypto-map", "VPN",
		TS "/transform[.='esp-aes']", NULL,
		TS "/transform[.='esp-sha-hmac']", NULL,
		MAP "/type", "ipsec-manual",
		MAP "/peer[.='10.1.1.1']", NULL,
		MAP "/transform-set[.='TS']", NULL,
		MAP "/session-key/inbound/esp/spi", "4096",
		MAP "/session-key/inbound/esp/cipher", AES_KEY,
		MAP "/session-key/inbound/esp/authenticator", SHA_KEY,
		NULL, NULL,
	};
	struct dp_sa_params p = {
		.spi = 4096, .outbound = true, .tunnel = true,
		.cipher = DP_CIPHER_AES_CBC, .cipher_key_len = 16,
		.integ = DP_INTEG_HMAC_SHA1_96, .integ_key_len = 20,
	};
	char err[128];

	dpt_hex(AES_KEY, p.cipher_key, sizeof(p.cipher_key));
	dpt_hex(SHA_KEY, p.integ_key, sizeof(p.integ_key));
	inet_pton(AF_INET, "10.1.1.1", &p.src);
	inet_pton(AF_INET, "10.10.1.2", &p.dst);
	peer_sa = dp_esp_sa_create(&p, err, sizeof(err));
	cr_assert_not_null(peer_sa, "%s", err);

	dpt_log_start(&log_lines);
	dpt_router_start(&router, false);
	dpt_commit(&router, pairs);
}

static void
teardown(void)
{
	dp_esp_sa_free(peer_sa);
	dpt_router_stop(&router);
	dpt_log_stop(&log_lines);
}

TestSuite(malformed, .init = setup, .fini = teardown);

/* A valid ESP packet from the peer carrying a small inner IPv4 packet. */
static size_t
valid_packet(uint8_t *out, size_t cap)
{
	uint8_t inner[40] = { 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 1 };
	enum dp_esp_status st;
	size_t len;

	inet_pton(AF_INET, "192.168.1.1", inner + 12);
	inet_pton(AF_INET, "192.168.2.1", inner + 16);
	len = dp_esp_encap_ipv4(peer_sa, inner, sizeof(inner), out, cap, &st);
	cr_assert_eq(st, DP_ESP_OK);
	return len;
}

static void
feed(const uint8_t *pkt, size_t len)
{
	const uint8_t *pkts[1] = { pkt };
	size_t lens[1] = { len };

	cr_assert(dp_input_batch(router.dp, "GigabitEthernet1", DLT_RAW,
				 pkts, lens, 1, dp_now_ns()) == 0);
}

static uint64_t
total_drops(void)
{
	struct dp_drop_stats st;
	uint64_t n = 0;

	dp_get_drops(router.dp, &st);
	for (int d = 0; d < DP_DROP_COUNT; d++)
		n += st.packets[d];
	return n;
}

static uint64_t
drops(enum dp_drop d)
{
	struct dp_drop_stats st;

	dp_get_drops(router.dp, &st);
	return st.packets[d];
}

Test(malformed, every_prefix_dropped)
{
	uint8_t pkt[256], buf[256];
	size_t len = valid_packet(pkt, sizeof(pkt));
	struct dp_stats st;

	for (size_t n = 0; n < len; n++) {
		memcpy(buf, pkt, n);
		feed(buf, n);
	}
	cr_assert_eq(total_drops(), len, "%lu drops for %zu prefixes",
		     (unsigned long)total_drops(), len);
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.decap_ok, 0);

	/* The whole packet still decapsulates after all that. */
	memcpy(buf, pkt, len);
	feed(buf, len);
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.decap_ok, 1);
}

Test(malformed, every_esp_length_with_valid_ip)
{
	uint8_t pkt[256], buf[256];
	size_t len = valid_packet(pkt, sizeof(pkt));
	struct dp_stats st;

	/* Cut the ESP part, keeping the IPv4 header consistent. */
	for (size_t n = 20; n < len; n++) {
		uint16_t tot = htons((uint16_t)n);

		memcpy(buf, pkt, n);
		memcpy(buf + 2, &tot, 2);
		feed(buf, n);
	}
	cr_assert_eq(total_drops(), len - 20);
	cr_assert_eq(drops(DP_DROP_ESP_SHORT) + drops(DP_DROP_ESP_BAD_LEN) +
		     drops(DP_DROP_ESP_AUTH), len - 20);
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.decap_ok, 0);
}

Test(malformed, bad_ipv4_headers)
{
	uint8_t pkt[256], buf[256];
	size_t len = valid_packet(pkt, sizeof(pkt));
	uint16_t big = htons((uint16_t)(len + 100));

	memcpy(buf, pkt, len);
	buf[0] = 0x44;			/* IHL 4 */
	feed(buf, len);
	buf[0] = 0x4f;			/* IHL 15: 60 octets */
	feed(buf, 30);
	buf[0] = 0x55;			/* version 5 */
	feed(buf, len);
	memcpy(buf, pkt, len);
	memcpy(buf + 2, &big, 2);	/* total length beyond the buffer */
	feed(buf, len);
	memcpy(buf, pkt, len);
	buf[2] = 0;
	buf[3] = 10;			/* total length below the header */
	feed(buf, len);
	cr_assert_eq(drops(DP_DROP_IPV4_MALFORMED), 4);
	cr_assert_eq(drops(DP_DROP_L2_UNSUPPORTED), 1);
}

/* Sends one fragment of 10.1.1.1 -> 10.10.1.2 id 7 at OFF with LEN
 * octets of payload. */
static void
fragment(size_t off, size_t len, bool more)
{
	uint8_t buf[2048] = { 0x45 };
	uint16_t v = htons((uint16_t)(20 + len));

	memcpy(buf + 2, &v, 2);
	buf[5] = 7;
	v = htons((uint16_t)((more ? 0x2000 : 0) | off / 8));
	memcpy(buf + 6, &v, 2);
	buf[8] = 64;
	buf[9] = 50;
	inet_pton(AF_INET, "10.1.1.1", buf + 12);
	inet_pton(AF_INET, "10.10.1.2", buf + 16);
	memset(buf + 20, 0xab, len);
	feed(buf, 20 + len);
}

Test(malformed, fragment_overlap_dropped)
{
	struct dp_stats st;

	fragment(0, 64, true);
	fragment(32, 64, true);
	cr_assert_eq(drops(DP_DROP_REASS_OVERLAP), 1);
	/* The datagram is gone: a last fragment does not complete it. */
	fragment(64, 16, false);
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.reassembled, 0);
}

Test(malformed, fragment_limits)
{
	fragment(0, 12, true);			/* not a multiple of 8 */
	cr_assert_eq(drops(DP_DROP_REASS_BAD_FRAG), 1);
	fragment(65528, 64, false);		/* past 65535 */
	cr_assert_eq(drops(DP_DROP_REASS_TOO_BIG), 1);
	fragment(0, 64, true);
	fragment(64, 8, false);			/* complete: 72 octets */
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), 1);
}

Test(malformed, fragment_timeout_counted)
{
	const uint8_t *pkts[1];
	size_t lens[1] = { 0 };
	uint8_t dummy[1] = { 0 };

	fragment(0, 64, true);
	pkts[0] = dummy;
	/* An empty batch far in the future expires the datagram. */
	cr_assert(dp_input_batch(router.dp, "GigabitEthernet1", DLT_RAW,
				 pkts, lens, 0, dp_now_ns() + 31000000000ULL) ==
		  0);
	cr_assert_eq(drops(DP_DROP_REASS_TIMEOUT), 1);
}

Test(malformed, random_corruption_counted)
{
	uint8_t pkt[256], buf[256];
	size_t len = valid_packet(pkt, sizeof(pkt));
	struct dp_stats st;
	unsigned seed = 12345;
	const int n = 20000;

	for (int i = 0; i < n; i++) {
		size_t cut = (size_t)rand_r(&seed) % (len + 1);

		memcpy(buf, pkt, len);
		for (int k = 0; k < 4; k++) {
			size_t at = (size_t)rand_r(&seed) % len;

			buf[at] = (uint8_t)rand_r(&seed);
		}
		feed(buf, cut);
	}
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.rx_packets, (uint64_t)n);
}

Test(malformed, ethernet_and_null_framing)
{
	uint8_t pkt[256], frame[300];
	size_t len = valid_packet(pkt, sizeof(pkt));
	const uint8_t *pkts[1] = { frame };
	size_t lens[1];
	struct dp_stats st;

	memset(frame, 0, 14);
	frame[12] = 0x08;
	memcpy(frame + 14, pkt, len);
	lens[0] = 14 + len;
	cr_assert(dp_input_batch(router.dp, "GigabitEthernet1", DLT_EN10MB,
				 pkts, lens, 1, dp_now_ns()) == 0);
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.decap_ok, 1);

	/* The same packet again, now a replay, with a BSD loopback header. */
	frame[0] = 2;
	frame[1] = frame[2] = frame[3] = 0;
	memcpy(frame + 4, pkt, len);
	lens[0] = 4 + len;
	cr_assert(dp_input_batch(router.dp, "GigabitEthernet1", DLT_NULL,
				 pkts, lens, 1, dp_now_ns()) == 0);
	cr_assert_eq(drops(DP_DROP_ESP_REPLAY), 1);
	/* A runt Ethernet frame. */
	lens[0] = 10;
	cr_assert(dp_input_batch(router.dp, "GigabitEthernet1", DLT_EN10MB,
				 pkts, lens, 1, dp_now_ns()) == 0);
	cr_assert_eq(drops(DP_DROP_L2_UNSUPPORTED), 1);
}

Test(malformed, ipv6_esp_unknown_spi)
{
	uint8_t pkt[64] = { 0x60 };

	pkt[5] = 24;			/* payload length */
	pkt[6] = 50;			/* next header ESP */
	pkt[7] = 64;
	inet_pton(AF_INET6, "2001:db8::1", pkt + 8);
	inet_pton(AF_INET6, "2001:db8::2", pkt + 24);
	pkt[40] = 0xb7;			/* SPI 0xB761863E */
	pkt[41] = 0x61;
	pkt[42] = 0x86;
	pkt[43] = 0x3e;
	pkt[47] = 1;
	feed(pkt, sizeof(pkt));
	feed(pkt, 40);			/* payload length beyond the buffer */
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA_V6), 1);
	cr_assert_eq(drops(DP_DROP_IPV4_MALFORMED), 1);
	cr_assert_eq(dpt_log_count(&log_lines, "destaddr=2001:db8::2, "
				   "prot=50, spi=0xB761863E(3076621886), "
				   "srcaddr=2001:db8::1, "
				   "input interface=GigabitEthernet1"), 1);
}
