/*
 * Two datapaths cabled by a UDP wire on loopback: router A forwards ESP
 * packets from a capture out of its wire interface, and router B
 * receives them on its wire and decapsulates them.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dp_test.h"

#define IF_A1 "/vrouter-config:interfaces/interface[name='GigabitEthernet1']"
#define IF_A2 "/vrouter-config:interfaces/interface[name='GigabitEthernet2']"
#define IF_B1 IF_A1
#define TS "/vrouter-config:crypto/ipsec/transform-set[name='TS']"
#define MAP "/vrouter-config:crypto/map[name='VPN']/entry[sequence='10']"

static struct dpt_router a, b;
static struct dpt_log log_lines;

static void
setup(void)
{
	dpt_log_start(&log_lines);
	dpt_router_start(&a, true);
	dpt_router_start(&b, true);
}

static void
teardown(void)
{
	dpt_router_stop(&a);
	dpt_router_stop(&b);
	dpt_log_stop(&log_lines);
}

TestSuite(wire, .init = setup, .fini = teardown);

/* Waits up to two seconds for B to count N decapsulated packets. */
static uint64_t
wait_decaps(uint64_t n)
{
	struct dp_stats st = { 0 };

	for (int i = 0; i < 200; i++) {
		dp_get_stats(b.dp, &st);
		if (st.decap_ok >= n)
			break;
		usleep(10000);
	}
	return st.decap_ok;
}

Test(wire, forwarded_esp_decaps_on_peer)
{
	static const char *const pairs_a[] = {
		IF_A1 "/ipv4/address", "192.1.2.1",
		IF_A1 "/ipv4/mask", "255.255.255.0",
		IF_A2 "/ipv4/address", "192.1.3.1",
		IF_A2 "/ipv4/mask", "255.255.255.0",
		"/vrouter-config:routing/static-route[prefix='192.1.2.45']"
		"[mask='255.255.255.255'][next-hop='192.1.3.2']", NULL,
		NULL, NULL,
	};
	static const char *const pairs_b[] = {
		IF_B1 "/ipv4/address", "192.1.2.45",
		IF_B1 "/ipv4/mask", "255.255.255.0",
		IF_B1 "/crypto-map", "VPN",
		TS "/transform[.='esp-3des']", NULL,
		TS "/transform[.='esp-md5-hmac']", NULL,
		MAP "/type", "ipsec-manual",
		MAP "/peer[.='192.1.2.23']", NULL,
		MAP "/transform-set[.='TS']", NULL,
		MAP "/session-key/inbound/esp/spi", "305419896",
		MAP "/session-key/inbound/esp/cipher",
		"4043434545464649494a4a4c4c4f4f515152525454575758",
		MAP "/session-key/inbound/esp/authenticator",
		"87658765876587658765876587658765",
		NULL, NULL,
	};
	char err[256] = "";
	unsigned port = 20000 + (unsigned)getpid() % 20000;
	char pa[32], pb[32];
	struct dp_stats st;

	snprintf(pa, sizeof(pa), "127.0.0.1:%u", port);
	snprintf(pb, sizeof(pb), "127.0.0.1:%u", port + 1);
	cr_assert(dp_wire_attach(a.dp, "GigabitEthernet2", pa, pb, err,
				 sizeof(err)) == 0, "%s", err);
	cr_assert(dp_wire_attach(b.dp, "GigabitEthernet1", pb, pa, err,
				 sizeof(err)) == 0, "%s", err);
	dpt_commit(&a, pairs_a);
	dpt_commit(&b, pairs_b);

	dpt_replay(&a, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	dp_get_stats(a.dp, &st);
	cr_assert_eq(st.forwarded, 8);
	cr_assert_eq(st.wire_tx, 8);
	cr_assert_eq(wait_decaps(8), 8);
	dp_get_stats(b.dp, &st);
	cr_assert_eq(st.rx_packets, 8);
}

Test(wire, bad_endpoints_rejected)
{
	char err[256] = "";

	cr_assert(dp_wire_attach(a.dp, "GigabitEthernet2", "127.0.0.1",
				 "127.0.0.1:1", err, sizeof(err)) < 0);
	cr_assert(strstr(err, "ADDR:PORT") != NULL, "%s", err);
	cr_assert(dp_wire_attach(a.dp, "GigabitEthernet2", "127.0.0.1:0x",
				 "127.0.0.1:1", err, sizeof(err)) < 0);
	cr_assert(strstr(err, "invalid endpoint") != NULL, "%s", err);
}

Test(wire, replay_missing_file_rejected)
{
	char err[256] = "";

	cr_assert(dp_replay(a.dp, "GigabitEthernet1", "/nonexistent.pcap",
			    err, sizeof(err)) < 0);
	cr_assert(strstr(err, "/nonexistent.pcap") != NULL, "%s", err);
}

/* ---- crypto map output: A encrypts what its ACL permits ---- */

#define ACL "/vrouter-config:access-lists/access-list[name='VPN-ACL']"
#define ACE ACL "/entry[sequence='10']"
#define AES_KEY "000102030405060708090a0b0c0d0e0f"
#define SHA_KEY "0102030405060708090a0b0c0d0e0f1011121314"

static struct dpt_router ca, cb;

static void
crypto_setup(void)
{
	dpt_log_start(&log_lines);
	dpt_router_start(&ca, false);
	dpt_router_start(&cb, true);
}

static void
crypto_teardown(void)
{
	dpt_router_stop(&ca);
	dpt_router_stop(&cb);
	dpt_log_stop(&log_lines);
}

TestSuite(crypto_wire, .init = crypto_setup, .fini = crypto_teardown);

/* Router A: LAN on Gi1, crypto map VPN on Gi2 towards 10.0.0.2. */
static void
configure_a(bool outbound_sa)
{
	const char *pairs[] = {
		IF_A1 "/ipv4/address", "192.168.1.254",
		IF_A1 "/ipv4/mask", "255.255.255.0",
		IF_A2 "/ipv4/address", "10.0.0.1",
		IF_A2 "/ipv4/mask", "255.255.255.0",
		IF_A2 "/crypto-map", "VPN",
		"/vrouter-config:routing/static-route[prefix='0.0.0.0']"
		"[mask='0.0.0.0'][next-hop='10.0.0.2']", NULL,
		ACL "/type", "extended",
		ACE "/action", "permit",
		ACE "/protocol", "ip",
		ACE "/source/address", "192.168.1.0",
		ACE "/source/wildcard", "0.0.0.255",
		ACE "/destination/address", "192.168.2.0",
		ACE "/destination/wildcard", "0.0.0.255",
		TS "/transform[.='esp-aes']", NULL,
		TS "/transform[.='esp-sha-hmac']", NULL,
		MAP "/type", "ipsec-manual",
		MAP "/peer[.='10.0.0.2']", NULL,
		MAP "/transform-set[.='TS']", NULL,
		MAP "/match-address", "VPN-ACL",
		MAP "/session-key/inbound/esp/spi", "8192",
		MAP "/session-key/inbound/esp/cipher", AES_KEY,
		MAP "/session-key/inbound/esp/authenticator", SHA_KEY,
		outbound_sa ? MAP "/session-key/outbound/esp/spi" : NULL,
		"4096",
		MAP "/session-key/outbound/esp/cipher", AES_KEY,
		MAP "/session-key/outbound/esp/authenticator", SHA_KEY,
		NULL, NULL,
	};

	dpt_commit(&ca, pairs);
}

static void
configure_b(void)
{
	static const char *const pairs[] = {
		IF_B1 "/ipv4/address", "10.0.0.2",
		IF_B1 "/ipv4/mask", "255.255.255.0",
		IF_B1 "/crypto-map", "VPN",
		TS "/transform[.='esp-aes']", NULL,
		TS "/transform[.='esp-sha-hmac']", NULL,
		MAP "/type", "ipsec-manual",
		MAP "/peer[.='10.0.0.1']", NULL,
		MAP "/transform-set[.='TS']", NULL,
		MAP "/session-key/inbound/esp/spi", "4096",
		MAP "/session-key/inbound/esp/cipher", AES_KEY,
		MAP "/session-key/inbound/esp/authenticator", SHA_KEY,
		NULL, NULL,
	};

	dpt_commit(&cb, pairs);
}

static void
cable(void)
{
	char err[256] = "";
	unsigned port = 40000 + (unsigned)getpid() % 20000;
	char pa[32], pb[32];

	snprintf(pa, sizeof(pa), "127.0.0.1:%u", port);
	snprintf(pb, sizeof(pb), "127.0.0.1:%u", port + 1);
	cr_assert(dp_wire_attach(ca.dp, "GigabitEthernet2", pa, pb, err,
				 sizeof(err)) == 0, "%s", err);
	cr_assert(dp_wire_attach(cb.dp, "GigabitEthernet1", pb, pa, err,
				 sizeof(err)) == 0, "%s", err);
}

/* Sends one ICMP packet SRC -> DST into A's Gi1. */
static void
send_lan(const char *src, const char *dst)
{
	uint8_t pkt[48] = { 0x45, 0, 0, 48, 0, 1, 0, 0, 64, 1 };
	const uint8_t *pkts[1] = { pkt };
	size_t lens[1] = { sizeof(pkt) };

	inet_pton(AF_INET, src, pkt + 12);
	inet_pton(AF_INET, dst, pkt + 16);
	pkt[20] = 8;
	cr_assert(dp_input_batch(ca.dp, "GigabitEthernet1", DLT_RAW, pkts,
				 lens, 1, dp_now_ns()) == 0);
}

static uint64_t
wait_stat_b(size_t offset, uint64_t n)
{
	struct dp_stats st = { 0 };
	uint64_t v = 0;

	for (int i = 0; i < 200; i++) {
		dp_get_stats(cb.dp, &st);
		memcpy(&v, (const uint8_t *)&st + offset, sizeof(v));
		if (v >= n)
			break;
		usleep(10000);
	}
	return v;
}

Test(crypto_wire, permitted_traffic_encrypted)
{
	struct dp_stats st;
	struct dp_sa_info *sas = NULL;
	int n;

	cable();
	configure_a(true);
	configure_b();
	for (int i = 0; i < 5; i++)
		send_lan("192.168.1.1", "192.168.2.1");
	send_lan("192.168.1.1", "8.8.8.8");	/* not in the ACL: clear */

	dp_get_stats(ca.dp, &st);
	cr_assert_eq(st.forwarded, 6);
	cr_assert_eq(st.encrypted, 5);
	cr_assert_eq(st.wire_tx, 6);
	n = dp_get_sas(ca.dp, &sas);
	for (int i = 0; i < n; i++) {
		if (sas[i].params.outbound)
			cr_assert_eq(sas[i].counters.encaps, 5);
	}
	free(sas);

	cr_assert_eq(wait_stat_b(offsetof(struct dp_stats, rx_packets), 6), 6);
	cr_assert_eq(wait_stat_b(offsetof(struct dp_stats, decap_ok), 5), 5);
}

Test(crypto_wire, manual_entry_without_outbound_sa_drops)
{
	struct dp_drop_stats st;
	unsigned code;
	const char *name;

	cable();
	configure_a(false);
	for (int i = 0; i < 5; i++)
		send_lan("192.168.1.1", "192.168.2.1");
	dp_get_drops(ca.dp, &st);
	cr_assert_eq(st.packets[DP_DROP_ESP_NO_SA_OUT], 5);
	cr_assert(dp_drop_feature(DP_DROP_ESP_NO_SA_OUT, &code, &name));
	cr_assert_eq(code, 32);
}
