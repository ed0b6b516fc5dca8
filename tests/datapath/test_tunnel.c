/*
 * Tunnel interfaces between two datapaths cabled by a UDP wire: sVTI
 * and GRE with tunnel protection, with SAs installed through
 * dp_sa_install() as the IKE manager installs them, plain GRE and
 * multipoint GRE with a static NHRP map. Router A pings B's tunnel
 * address; both sides' SA and interface counters must match.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_test.h"

#define IF(n) "/vrouter-config:interfaces/interface[name='" n "']"
#define GI1 IF("GigabitEthernet1")
#define TU1 IF("Tunnel1")
#define PINGS 5

static struct dpt_router a, b;
static struct dpt_log log_lines;

static void
setup(void)
{
	static unsigned round;
	unsigned port = 23000 + ((unsigned)getpid() * 8 + round++ * 2) %
			20000;
	char pa[32], pb[32], err[256] = "";

	dpt_log_start(&log_lines);
	dpt_router_start(&a, true);
	dpt_router_start(&b, true);
	snprintf(pa, sizeof(pa), "127.0.0.1:%u", port);
	snprintf(pb, sizeof(pb), "127.0.0.1:%u", port + 1);
	cr_assert(dp_wire_attach(a.dp, "GigabitEthernet1", pa, pb, err,
				 sizeof(err)) == 0, "%s", err);
	cr_assert(dp_wire_attach(b.dp, "GigabitEthernet1", pb, pa, err,
				 sizeof(err)) == 0, "%s", err);
}

static void
teardown(void)
{
	dpt_router_stop(&a);
	dpt_router_stop(&b);
	dpt_log_stop(&log_lines);
}

TestSuite(tunnel, .init = setup, .fini = teardown);

/*
 * Gi1 10.0.0.X/24 and Tunnel1 172.16.0.X/30 on router R (X = 1 for A, 2
 * for B), tunnel mode MODE ("" for GRE), protected when PROTECT.
 */
static void
configure(struct dpt_router *r, int x, const char *mode, bool protect)
{
	char gi[32], tu[32], peer[32];
	const char *pairs[] = {
		GI1 "/ipv4/address", gi,
		GI1 "/ipv4/mask", "255.255.255.0",
		TU1 "/ipv4/address", tu,
		TU1 "/ipv4/mask", "255.255.255.252",
		/* A names its source by interface, B by address. */
		TU1 "/tunnel/source", x == 1 ? "GigabitEthernet1" : gi,
		TU1 "/tunnel/destination", peer,
		mode[0] ? TU1 "/tunnel/mode" : NULL, mode,
		TU1 "/tunnel/protection/profile", "P",
		NULL, NULL,
	};

	snprintf(gi, sizeof(gi), "10.0.0.%d", x);
	snprintf(tu, sizeof(tu), "172.16.0.%d", x);
	snprintf(peer, sizeof(peer), "10.0.0.%d", 3 - x);
	if (!protect)
		pairs[14] = NULL;
	if (mode[0] == '\0') {
		/* Drop the mode pair, keep the rest. */
		memmove(&pairs[12], &pairs[14], 4 * sizeof(pairs[0]));
		if (!protect)
			pairs[12] = NULL;
	}
	dpt_commit(r, pairs);
}

/* Installs R's SAs for Tunnel1: out with SPI_OUT, in with SPI_IN. */
static bool udp_encap;		/* install_sas(): ESP in UDP 4500 */

static void
install_sas(struct dpt_router *r, int x, uint32_t spi_out, uint32_t spi_in,
	    bool tunnel_mode)
{
	for (int dir = 0; dir < 2; dir++) {
		struct dp_sa_cfg c = { .map = "Tunnel1-head-0", .map_seq = 1,
				       .ifname = "Tunnel1",
				       .transform = "esp-gcm" };
		char local[32], remote[32], err[128] = "";

		snprintf(local, sizeof(local), "10.0.0.%d", x);
		snprintf(remote, sizeof(remote), "10.0.0.%d", 3 - x);
		c.params.outbound = dir == 0;
		c.params.spi = dir == 0 ? spi_out : spi_in;
		c.params.tunnel = tunnel_mode;
		c.params.udp_encap = udp_encap;
		c.params.cipher = DP_CIPHER_AES_GCM;
		c.params.cipher_key_len = 20;
		/* Each direction has its own key, equal on both routers. */
		memset(c.params.cipher_key, (int)(c.params.spi & 0xff), 20);
		c.params.replay_window = 64;
		inet_pton(AF_INET, dir == 0 ? local : remote, &c.params.src);
		inet_pton(AF_INET, dir == 0 ? remote : local, &c.params.dst);
		cr_assert_eq(dp_sa_install(r->dp, &c, err, sizeof(err)), 0,
			     "%s", err);
	}
}

static void
ping_b(void)
{
	for (int i = 0; i < PINGS; i++) {
		struct dp_probe p = { .kind = DP_PROBE_ECHO, .size = 100,
				      .id = 7, .seq = (uint16_t)i };
		struct dp_probe_result r;

		inet_pton(AF_INET, "172.16.0.2", &p.dst);
		cr_assert_eq(dp_probe_run(a.dp, &p, 2000, &r), 0);
		cr_assert_eq(r.status, DP_PROBE_REPLY,
			     "ping %d over Tunnel1: status %d", i, r.status);
	}
}

/* Encaps and decaps of R's SAs, checked against N each. */
static void
check_sas(struct dpt_router *r, const char *who, uint64_t n)
{
	struct dp_sa_info *sas = NULL;
	int count = dp_get_sas(r->dp, &sas);

	cr_assert_eq(count, 2, "%s has %d SAs", who, count);
	for (int i = 0; i < count; i++) {
		const struct dp_sa_counters *c = &sas[i].counters;

		cr_assert_str_eq(sas[i].ifname, "Tunnel1");
		if (sas[i].params.outbound)
			cr_assert_eq(c->encaps, n, "%s encaps %lu", who,
				     (unsigned long)c->encaps);
		else
			cr_assert_eq(c->decaps, n, "%s decaps %lu", who,
				     (unsigned long)c->decaps);
	}
	free(sas);
}

static void
check_tunnel_counters(struct dpt_router *r, const char *who)
{
	struct dp_if_counters c;

	cr_assert_eq(dp_get_if_counters(r->dp, "Tunnel1", &c), 0);
	cr_assert_eq(c.tx_packets, PINGS, "%s Tunnel1 sent %lu", who,
		     (unsigned long)c.tx_packets);
	cr_assert_eq(c.rx_packets, PINGS, "%s Tunnel1 received %lu", who,
		     (unsigned long)c.rx_packets);
}

Test(tunnel, svti_with_installed_sas)
{
	configure(&a, 1, "ipsec-ipv4", true);
	configure(&b, 2, "ipsec-ipv4", true);
	install_sas(&a, 1, 0x80000001, 0xFF000001, true);
	install_sas(&b, 2, 0xFF000001, 0x80000001, true);
	ping_b();
	check_sas(&a, "A", PINGS);
	check_sas(&b, "B", PINGS);
	check_tunnel_counters(&a, "A");
	check_tunnel_counters(&b, "B");
	cr_assert_eq(dpt_global_drops(a.dp, "IpsecInput"), 0);
	cr_assert_eq(dpt_global_drops(b.dp, "IpsecInput"), 0);
}

Test(tunnel, svti_without_sas_drops)
{
	struct dp_probe p = { .kind = DP_PROBE_ECHO, .size = 100, .id = 9 };
	struct dp_probe_result r;

	configure(&a, 1, "ipsec-ipv4", true);
	inet_pton(AF_INET, "172.16.0.2", &p.dst);
	cr_assert_eq(dp_probe_run(a.dp, &p, 300, &r), 0);
	cr_assert_neq(r.status, DP_PROBE_REPLY);
	cr_assert_eq(dpt_global_drops(a.dp, "IpsecIkeIndicate"), 1,
		     "the packet was not held for IKE");
}

Test(tunnel, gre_protected_transport)
{
	configure(&a, 1, "", true);
	configure(&b, 2, "", true);
	install_sas(&a, 1, 0x80000002, 0xFF000002, false);
	install_sas(&b, 2, 0xFF000002, 0x80000002, false);
	ping_b();
	check_sas(&a, "A", PINGS);
	check_sas(&b, "B", PINGS);
	check_tunnel_counters(&a, "A");
	check_tunnel_counters(&b, "B");
}

Test(tunnel, gre_protected_tunnel_mode)
{
	configure(&a, 1, "", true);
	configure(&b, 2, "", true);
	install_sas(&a, 1, 0x80000003, 0xFF000003, true);
	install_sas(&b, 2, 0xFF000003, 0x80000003, true);
	ping_b();
	check_sas(&a, "A", PINGS);
	check_sas(&b, "B", PINGS);
}

Test(tunnel, gre_in_clear)
{
	configure(&a, 1, "", false);
	configure(&b, 2, "", false);
	ping_b();
	check_tunnel_counters(&a, "A");
	check_tunnel_counters(&b, "B");
}

/* Clear GRE must not enter a tunnel that expects protection. */
Test(tunnel, protected_rejects_clear_gre)
{
	struct dp_probe p = { .kind = DP_PROBE_ECHO, .size = 100, .id = 11 };
	struct dp_probe_result r;

	configure(&a, 1, "", false);
	configure(&b, 2, "", true);
	inet_pton(AF_INET, "172.16.0.2", &p.dst);
	cr_assert_eq(dp_probe_run(a.dp, &p, 300, &r), 0);
	cr_assert_eq(r.status, DP_PROBE_TIMEOUT);
	cr_assert_eq(dpt_global_drops(b.dp, "TunnelUnprotected"), 1);
}

Test(tunnel, mgre_static_nhrp)
{
	const char *nhrp[] = {
		TU1 "/tunnel/mode", "gre-multipoint",
		TU1 "/tunnel/destination", NULL,
		TU1 "/nhrp/map[address='172.16.0.2']/nbma", "10.0.0.2",
		NULL, NULL,
	};
	struct cfg_txn *txn;
	char err[256] = "";

	configure(&a, 1, "", false);
	/* A becomes a hub: no fixed destination, the peer from NHRP. */
	txn = cfg_txn_begin(a.cfg);
	cr_assert(cfg_txn_set(txn, nhrp[0], nhrp[1]) == 0, "%s",
		  cfg_txn_error(txn));
	cr_assert(cfg_txn_delete(txn, nhrp[2]) == 0, "%s",
		  cfg_txn_error(txn));
	cr_assert(cfg_txn_set(txn, nhrp[4], nhrp[5]) == 0, "%s",
		  cfg_txn_error(txn));
	cr_assert(cfg_txn_commit(txn, err, sizeof(err)) == 0, "%s", err);
	dp_sync(a.dp);
	configure(&b, 2, "", false);
	ping_b();
	check_tunnel_counters(&a, "A");
	check_tunnel_counters(&b, "B");
}

/* NAT-T: the same sVTI with SAs that encapsulate ESP in UDP 4500. */
Test(tunnel, svti_nat_t)
{
	struct dp_capture_cfg c = { .name = "NATT", .dir = DP_CAPTURE_OUT,
				    .match_any = true,
				    .ifname = "GigabitEthernet1" };
	struct dp_capture_snapshot s;
	char err[160] = "";

	udp_encap = true;
	configure(&a, 1, "ipsec-ipv4", true);
	configure(&b, 2, "ipsec-ipv4", true);
	install_sas(&a, 1, 0x80000004, 0xFF000004, true);
	install_sas(&b, 2, 0xFF000004, 0x80000004, true);
	udp_encap = false;
	cr_assert_eq(dp_capture_op(a.dp, DP_CAPTURE_SET, &c, err,
				   sizeof(err)), 0, "%s", err);
	cr_assert_eq(dp_capture_op(a.dp, DP_CAPTURE_START, &c, err,
				   sizeof(err)), 0, "%s", err);
	ping_b();
	check_sas(&a, "A", PINGS);
	check_sas(&b, "B", PINGS);
	cr_assert_eq(dp_capture_snapshot(a.dp, "NATT", &s, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(s.n, PINGS);
	for (size_t i = 0; i < s.n; i++) {
		const uint8_t *p = s.pkts[i].data;

		cr_assert_eq(p[9], 17, "packet %zu is not UDP", i);
		cr_assert_eq(p[20] << 8 | p[21], 4500);
		cr_assert_eq(p[22] << 8 | p[23], 4500);
		cr_assert_eq((uint32_t)p[28] << 24 | (uint32_t)p[29] << 16 |
			     (uint32_t)p[30] << 8 | p[31], 0x80000004U,
			     "SPI after the UDP header");
	}
	dp_capture_snapshot_free(&s);
}

/* ip route PREFIX MASK Tunnel1 sends a remote loopback into the sVTI. */
Test(tunnel, static_route_into_tunnel)
{
	static const char *const route_a[] = {
		"/vrouter-config:routing/static-route[prefix='192.168.99.1']"
		"[mask='255.255.255.255'][next-hop='Tunnel1']", NULL,
		NULL, NULL,
	};
	static const char *const loopback_b[] = {
		IF("Loopback0") "/ipv4/address", "192.168.99.1",
		IF("Loopback0") "/ipv4/mask", "255.255.255.255",
		NULL, NULL,
	};
	struct dp_probe p = { .kind = DP_PROBE_ECHO, .size = 100, .id = 21 };
	struct dp_probe_result r;

	configure(&a, 1, "ipsec-ipv4", true);
	configure(&b, 2, "ipsec-ipv4", true);
	dpt_commit(&a, route_a);
	dpt_commit(&b, loopback_b);
	install_sas(&a, 1, 0x80000005, 0xFF000005, true);
	install_sas(&b, 2, 0xFF000005, 0x80000005, true);
	inet_pton(AF_INET, "192.168.99.1", &p.dst);
	cr_assert_eq(dp_probe_run(a.dp, &p, 2000, &r), 0);
	cr_assert_eq(r.status, DP_PROBE_REPLY, "status %d", r.status);
	cr_assert_eq(r.from, p.dst);
	check_sas(&a, "A", 1);
	check_sas(&b, "B", 1);
}

/* GRE Tunnel2 whose ends are reached through the sVTI Tunnel1. */
Test(tunnel, gre_through_svti)
{
	const char *tu2_a[] = {
		IF("Tunnel2") "/ipv4/address", "172.17.0.1",
		IF("Tunnel2") "/ipv4/mask", "255.255.255.252",
		IF("Tunnel2") "/tunnel/source", "172.16.0.1",
		IF("Tunnel2") "/tunnel/destination", "172.16.0.2",
		NULL, NULL,
	};
	const char *tu2_b[] = {
		IF("Tunnel2") "/ipv4/address", "172.17.0.2",
		IF("Tunnel2") "/ipv4/mask", "255.255.255.252",
		IF("Tunnel2") "/tunnel/source", "172.16.0.2",
		IF("Tunnel2") "/tunnel/destination", "172.16.0.1",
		NULL, NULL,
	};
	struct dp_probe p = { .kind = DP_PROBE_ECHO, .size = 200, .id = 23 };
	struct dp_probe_result r;
	struct dp_if_counters c;

	configure(&a, 1, "ipsec-ipv4", true);
	configure(&b, 2, "ipsec-ipv4", true);
	dpt_commit(&a, tu2_a);
	dpt_commit(&b, tu2_b);
	install_sas(&a, 1, 0x80000006, 0xFF000006, true);
	install_sas(&b, 2, 0xFF000006, 0x80000006, true);
	inet_pton(AF_INET, "172.17.0.2", &p.dst);
	cr_assert_eq(dp_probe_run(a.dp, &p, 2000, &r), 0);
	cr_assert_eq(r.status, DP_PROBE_REPLY, "status %d", r.status);
	check_sas(&a, "A", 1);
	check_sas(&b, "B", 1);
	cr_assert_eq(dp_get_if_counters(b.dp, "Tunnel2", &c), 0);
	cr_assert_eq(c.rx_packets, 1);
	cr_assert_eq(c.tx_packets, 1);
}
