/*
 * Two datapaths cabled by a UDP wire on loopback: router A forwards ESP
 * packets from a capture out of its wire interface, and router B
 * receives them on its wire and decapsulates them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
