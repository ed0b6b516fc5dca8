/*
 * The datapath show and clear commands through the real command engine,
 * on a router whose datapath has replayed a reference capture.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/router.h"
#include "dp_test.h"

#define IF "/vrouter-config:interfaces/interface[name='GigabitEthernet1']"
#define TS "/vrouter-config:crypto/ipsec/transform-set[name='TS']"
#define MAP "/vrouter-config:crypto/map[name='VPN']/entry[sequence='10']"
#define ACL "/vrouter-config:access-lists/access-list[name='VPN-ACL']"

static struct dpt_router r;
static struct router router;
static struct vty vty;
static char out[65536];
static size_t out_len;

static int
capture_write(struct vty *v, const char *buf, size_t len)
{
	(void)v;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\r' && out_len + 1 < sizeof(out))
			out[out_len++] = buf[i];
	}
	out[out_len] = '\0';
	return 0;
}

static const struct vty_io capture_io = { .write = capture_write };

static void
setup(void)
{
	dpt_router_start(&r, true);
	router.cfg = r.cfg;
	router.dp = r.dp;
	cmd_init_all();
	vty_init(&vty, &router, &capture_io, NULL, "vty 0", false);
	vty.term_length = 0;
	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty.privilege = 15;
}

static void
teardown(void)
{
	vty_release(&vty);
	cmd_free_all();
	dpt_router_stop(&r);
}

TestSuite(show_datapath, .init = setup, .fini = teardown);

static const char *
run(const char *line)
{
	out_len = 0;
	out[0] = '\0';
	cmd_execute(&vty, line, 7);
	return out;
}

static void
configure(bool with_sa)
{
	const char *pairs[] = {
		IF "/ipv4/address", "192.1.2.45",
		IF "/ipv4/mask", "255.255.255.0",
		IF "/crypto-map", "VPN",
		TS "/transform[.='esp-3des']", NULL,
		TS "/transform[.='esp-md5-hmac']", NULL,
		MAP "/type", "ipsec-manual",
		MAP "/peer[.='192.1.2.23']", NULL,
		MAP "/transform-set[.='TS']", NULL,
		MAP "/match-address", "VPN-ACL",
		ACL "/type", "extended",
		ACL "/entry[sequence='10']/action", "permit",
		ACL "/entry[sequence='10']/protocol", "ip",
		ACL "/entry[sequence='10']/source/address", "192.168.2.0",
		ACL "/entry[sequence='10']/source/wildcard", "0.0.0.255",
		ACL "/entry[sequence='10']/destination/address", "192.168.1.0",
		ACL "/entry[sequence='10']/destination/wildcard", "0.0.0.255",
		ACL "/entry[sequence='20']/action", "permit",
		ACL "/entry[sequence='20']/protocol", "tcp",
		ACL "/entry[sequence='20']/source/host", "192.168.2.5",
		ACL "/entry[sequence='20']/destination/any", NULL,
		ACL "/entry[sequence='20']/destination/operator", "eq",
		ACL "/entry[sequence='20']/destination/port", "443",
		with_sa ? MAP "/session-key/inbound/esp/spi" : NULL, "305419896",
		MAP "/session-key/inbound/esp/cipher",
		"4043434545464649494a4a4c4c4f4f515152525454575758",
		MAP "/session-key/inbound/esp/authenticator",
		"87658765876587658765876587658765",
		MAP "/session-key/outbound/esp/spi", "4660",
		MAP "/session-key/outbound/esp/cipher",
		"4043434545464649494a4a4c4c4f4f515152525454575758",
		MAP "/session-key/outbound/esp/authenticator",
		"87658765876587658765876587658765",
		NULL, NULL,
	};

	dpt_commit(&r, pairs);
}

Test(show_datapath, qfp_drops_all_zero)
{
	cr_assert_str_eq(run("show platform hardware qfp active statistics "
			     "drop"),
		"-------------------------------------------------------------------------\n"
		"Global Drop Stats                         Packets                Octets  \n"
		"-------------------------------------------------------------------------\n"
		"   The Global drop stats were all zero\n");
}

Test(show_datapath, qfp_drops_after_unknown_spi)
{
	const char *o;

	configure(false);
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	o = run("show platform hardware qfp active statistics drop");
	/* 8 packets of 136 octets each, counted at the IPv4 layer. */
	cr_assert(strstr(o, "\nIpsecInput                                      "
			 "8                  1088  \n") != NULL, "%s", o);
	o = run("show platform hardware qfp active feature ipsec datapath "
		"drops");
	cr_assert_str_eq(o,
		"------------------------------------------------------------------------\n"
		"Drop Type  Name                                     Packets\n"
		"------------------------------------------------------------------------\n"
		"        4  IN_US_V4_PKT_SA_NOT_FOUND_SPI                               8\n");
	/* The short form that IOS accepts. */
	cr_assert_str_eq(run("show platform hardware qfp active feature ipsec "
			     "data drop"), o);
}

Test(show_datapath, qfp_drops_clear_variants)
{
	const char *o;

	configure(false);
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	o = run("show platform hardware qfp active statistics drop clear");
	cr_assert(strncmp(o, "    Last clearing of QFP drops statistics : ",
			  44) == 0, "%s", o);
	cr_assert(strstr(o, "\n\n\n----") != NULL, "%s", o);
	cr_assert(strstr(o, "IpsecInput ") != NULL, "%s", o);
	o = run("show platform hardware qfp active statistics drop");
	cr_assert(strstr(o, "were all zero") != NULL, "%s", o);

	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	run("clear platform hardware qfp active statistics drop");
	o = run("show platform hardware qfp active statistics drop");
	cr_assert(strstr(o, "were all zero") != NULL, "%s", o);
}

Test(show_datapath, ipsec_drops_all_lists_zero_rows)
{
	const char *o = run("show platform hardware qfp active feature ipsec "
			    "datapath drops all");

	cr_assert(strstr(o, "        4  IN_US_V4_PKT_SA_NOT_FOUND_SPI"
			 "                               0\n") != NULL, "%s", o);
	cr_assert(strstr(o, "        7  IN_TRANS_V4_IPSEC_PKT_NOT_FOUND_SPI"
			 "                         0\n") != NULL, "%s", o);
	cr_assert(strstr(o, "       12  IN_US_V6_PKT_SA_NOT_FOUND_SPI")
		  != NULL, "%s", o);
}

Test(show_datapath, crypto_ipsec_sa_counts_decaps)
{
	const char *o;

	configure(true);
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	o = run("show crypto ipsec sa detail");
	cr_assert(strncmp(o, "\ninterface: GigabitEthernet1\n"
			  "    Crypto map tag: VPN, local addr 192.1.2.45\n"
			  "\n   protected vrf: (none)\n", 90) == 0, "%s", o);
	cr_assert(strstr(o, "\n   local  ident (addr/mask/prot/port): "
			 "(192.168.2.0/255.255.255.0/0/0)\n"
			 "   remote ident (addr/mask/prot/port): "
			 "(192.168.1.0/255.255.255.0/0/0)\n") != NULL, "%s", o);
	cr_assert(strstr(o, "\n   current_peer 192.1.2.23 port 500\n") != NULL);
	cr_assert(strstr(o, "\n    #pkts encaps: 0, #pkts encrypt: 0, "
			 "#pkts digest: 0\n") != NULL, "%s", o);
	cr_assert(strstr(o, "\n    #pkts decaps: 8, #pkts decrypt: 8, "
			 "#pkts verify: 8\n") != NULL, "%s", o);
	cr_assert(strstr(o, "\n    ##pkts replay failed (rcv): 0\n") != NULL);
	cr_assert(strstr(o, "\n     local crypto endpt.: 192.1.2.45, remote "
			 "crypto endpt.: 192.1.2.23\n") != NULL, "%s", o);
	cr_assert(strstr(o, "\n     plaintext mtu 1446, path mtu 1500, ip mtu "
			 "1500, ip mtu idb GigabitEthernet1\n") != NULL, "%s",
		  o);
	cr_assert(strstr(o, "\n     current outbound spi: 0x1234(4660)\n")
		  != NULL, "%s", o);
	cr_assert(strstr(o, "\n     inbound esp sas:\n"
			 "      spi: 0x12345678(305419896)\n"
			 "        transform: esp-3des esp-md5-hmac ,\n"
			 "        in use settings ={Tunnel, }\n") != NULL, "%s",
		  o);
	cr_assert(strstr(o, "        IV size: 8 bytes\n"
			 "        replay detection support: Y\n"
			 "        Status: ACTIVE(ACTIVE)\n\n"
			 "     inbound ah sas:\n\n") != NULL, "%s", o);
	cr_assert(strstr(o, "\n     outbound esp sas:\n"
			 "      spi: 0x1234(4660)\n") != NULL, "%s", o);
}

Test(show_datapath, clear_crypto_sa_counters)
{
	const char *o;

	configure(true);
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	run("clear crypto sa counters");
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "#pkts decaps: 0, #pkts decrypt: 0, #pkts "
			 "verify: 0\n") != NULL, "%s", o);
}

Test(show_datapath, crypto_map_layout)
{
	configure(true);
	cr_assert_str_eq(run("show crypto map"),
		"Crypto Map IPv4 \"VPN\" 10 ipsec-manual\n"
		"\tPeer = 192.1.2.23\n"
		"\tExtended IP access list VPN-ACL\n"
		"\t    access-list VPN-ACL permit ip 192.168.2.0 0.0.0.255 "
		"192.168.1.0 0.0.0.255\n"
		"\t    access-list VPN-ACL permit tcp host 192.168.2.5 any eq "
		"443\n"
		"\tCurrent peer: 192.1.2.23\n"
		"\tSecurity association lifetime: 4608000 kilobytes/3600 "
		"seconds\n"
		"\tDualstack (Y/N): N\n"
		"\tResponder-Only (Y/N): N\n"
		"\tPFS (Y/N): N\n"
		"\tMixed-mode : Disabled\n"
		"\tTransform sets={ \n"
		"\t\tTS:  { esp-3des esp-md5-hmac  } , \n"
		"\t}\n"
		"\tInterfaces using crypto map VPN:\n"
		"\t\tGigabitEthernet1\n"
		"\n");
}

Test(show_datapath, clear_crypto_sa_restarts_window)
{
	const char *o;

	configure(true);
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	o = run("show crypto ipsec sa detail");
	cr_assert(strstr(o, "##pkts replay failed (rcv): 8\n") != NULL, "%s",
		  o);
	/* Without detail the failures are summed as IOS prints them. */
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "    #send errors 0, #recv errors 8\n") != NULL,
		  "%s", o);
	cr_assert(strstr(o, "replay failed") == NULL, "%s", o);
	/* Manual SAs come back with fresh counters and replay windows. */
	run("clear crypto sa");
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	o = run("show crypto ipsec sa detail");
	cr_assert(strstr(o, "#pkts decaps: 8, #pkts decrypt: 8, #pkts "
			 "verify: 8\n") != NULL, "%s", o);
	cr_assert(strstr(o, "##pkts replay failed (rcv): 0\n") != NULL, "%s",
		  o);
}

Test(show_datapath, crypto_ipsec_sa_filters)
{
	const char *o;

	configure(true);
	o = run("show crypto ipsec sa peer 192.1.2.23 detail");
	cr_assert(strstr(o, "interface: GigabitEthernet1\n") != NULL, "%s", o);
	o = run("show crypto ipsec sa peer 192.1.2.99");
	cr_assert(strstr(o, "interface:") == NULL, "%s", o);
	o = run("show crypto ipsec sa map VPN");
	cr_assert(strstr(o, "Crypto map tag: VPN") != NULL, "%s", o);
	o = run("show crypto ipsec sa map OTHER");
	cr_assert(strstr(o, "interface:") == NULL, "%s", o);
	o = run("show crypto ipsec sa interface gigabitethernet1");
	cr_assert(strstr(o, "interface: GigabitEthernet1\n") != NULL, "%s", o);
}

Test(show_datapath, qfp_drops_all_lists_zero_rows)
{
	const char *o = run("show platform hardware qfp active statistics "
			    "drop all");

	cr_assert(strstr(o, "\nIpsecInput                                      "
			 "0                     0  \n") != NULL, "%s", o);
	cr_assert(strstr(o, "\nIpv4NoRoute ") != NULL, "%s", o);
	cr_assert(strstr(o, "were all zero") == NULL, "%s", o);
}

/* ---- tunnel interfaces ---- */

#define TU1 "/vrouter-config:interfaces/interface[name='Tunnel1']"

static void
configure_gre_tunnel(const char *mode)
{
	const char *pairs[] = {
		IF "/ipv4/address", "10.0.0.1",
		IF "/ipv4/mask", "255.255.255.0",
		TU1 "/ipv4/address", "172.16.0.1",
		TU1 "/ipv4/mask", "255.255.255.252",
		TU1 "/tunnel/source", "GigabitEthernet1",
		TU1 "/tunnel/destination", "10.0.0.2",
		TU1 "/tunnel/protection/profile", "P",
		mode ? TU1 "/tunnel/mode" : NULL, mode,
		NULL, NULL,
	};
	struct dp_sa_cfg c = { .map = "Tunnel1-head-0", .map_seq = 1,
			       .ifname = "Tunnel1", .transform = "esp-gcm" };
	char err[128] = "";

	dpt_commit(&r, pairs);
	c.params.outbound = true;
	c.params.spi = 0x80000001;
	c.params.tunnel = mode != NULL;
	c.params.cipher = DP_CIPHER_AES_GCM;
	c.params.cipher_key_len = 20;
	c.params.src = htonl(0x0a000001);
	c.params.dst = htonl(0x0a000002);
	cr_assert_eq(dp_sa_install(r.dp, &c, err, sizeof(err)), 0, "%s", err);
}

Test(show_datapath, gre_protection_flow)
{
	const char *o;

	configure_gre_tunnel(NULL);
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "interface: Tunnel1\n    Crypto map tag: "
			 "Tunnel1-head-0, local addr 10.0.0.1\n") != NULL,
		  "%s", o);
	cr_assert(strstr(o, "   local  ident (addr/mask/prot/port): "
			 "(10.0.0.1/255.255.255.255/47/0)\n") != NULL, "%s", o);
	cr_assert(strstr(o, "   remote ident (addr/mask/prot/port): "
			 "(10.0.0.2/255.255.255.255/47/0)\n") != NULL, "%s", o);
	cr_assert(strstr(o, "current outbound spi: 0x80000001(2147483649)")
		  != NULL, "%s", o);

	o = run("show interfaces Tunnel1");
	cr_assert(strstr(o, "Tunnel1 is up, line protocol is up \n"
			 "  Hardware is Tunnel\n"
			 "  Internet address is 172.16.0.1/30\n") != NULL,
		  "%s", o);
	cr_assert(strstr(o, "  Tunnel source GigabitEthernet1, destination "
			 "10.0.0.2\n  Tunnel protocol/transport GRE/IP\n")
		  != NULL, "%s", o);
	cr_assert(strstr(o, "  Tunnel protection via IPSec (profile \"P\")\n")
		  != NULL, "%s", o);
}

Test(show_datapath, svti_flow)
{
	const char *o;

	configure_gre_tunnel("ipsec-ipv4");
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "   local  ident (addr/mask/prot/port): "
			 "(0.0.0.0/0.0.0.0/0/0)\n") != NULL, "%s", o);
	o = run("show interfaces Tunnel1");
	cr_assert(strstr(o, "  Tunnel protocol/transport IPSEC/IP\n") != NULL,
		  "%s", o);
}

Test(show_datapath, ip_route_layout)
{
	static const char *const pairs[] = {
		IF "/ipv4/address", "10.0.0.1",
		IF "/ipv4/mask", "255.255.255.0",
		"/vrouter-config:routing/static-route[prefix='0.0.0.0']"
		"[mask='0.0.0.0'][next-hop='10.0.0.254']", NULL,
		"/vrouter-config:routing/static-route[prefix='192.168.0.0']"
		"[mask='255.255.0.0'][next-hop='GigabitEthernet1']", NULL,
		TU1 "/ipv4/address", "172.16.0.1",
		TU1 "/ipv4/mask", "255.255.255.252",
		NULL, NULL,
	};
	const char *o;

	dpt_commit(&r, pairs);
	o = run("show ip route");
	cr_assert(strstr(o, "      172.16.0.0/16 is variably subnetted, 2 "
			 "subnets, 2 masks\n"
			 "C        172.16.0.0/30 is directly connected, Tunnel1\n"
			 "L        172.16.0.1/32 is directly connected, Tunnel1\n")
		  != NULL, "%s", o);
	cr_assert(strstr(o, "Gateway of last resort is 10.0.0.254 to network "
			 "0.0.0.0\n\n") != NULL, "%s", o);
	cr_assert(strstr(o, "S*    0.0.0.0/0 [1/0] via 10.0.0.254\n") != NULL,
		  "%s", o);
	cr_assert(strstr(o, "      10.0.0.0/8 is variably subnetted, 2 "
			 "subnets, 2 masks\n"
			 "C        10.0.0.0/24 is directly connected, "
			 "GigabitEthernet1\n"
			 "L        10.0.0.1/32 is directly connected, "
			 "GigabitEthernet1\n") != NULL, "%s", o);
	cr_assert(strstr(o, "S     192.168.0.0/16 is directly connected, "
			 "GigabitEthernet1\n") != NULL, "%s", o);
}

/*
 * Makes VPN-ACL permit any traffic and routes it out of GigabitEthernet1,
 * so that the capture's decrypted packets leave through crypto map VPN.
 */
static const char *const permit_any_route[] = {
	ACL "/entry[sequence='5']/action", "permit",
	ACL "/entry[sequence='5']/protocol", "ip",
	ACL "/entry[sequence='5']/source/any", NULL,
	ACL "/entry[sequence='5']/destination/any", NULL,
	"/vrouter-config:routing/static-route[prefix='0.0.0.0']"
	"[mask='0.0.0.0'][next-hop='192.1.2.23']", NULL,
	NULL, NULL,
};

/* An ACL hit on a manual entry with only an inbound SA: no sa (send). */
Test(show_datapath, no_sa_send_counted)
{
	struct cfg_txn *txn;
	char err[256] = "";
	const char *o;

	configure(true);
	dpt_commit(&r, permit_any_route);
	txn = cfg_txn_begin(r.cfg);
	cr_assert(cfg_txn_delete(txn, MAP "/session-key/outbound") == 0, "%s",
		  cfg_txn_error(txn));
	cr_assert(cfg_txn_commit(txn, err, sizeof(err)) == 0, "%s", err);
	dp_sync(r.dp);
	/* The capture's inner packets are forwarded back out of the
	 * interface, where the map has no outbound SA. */
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	o = run("show crypto ipsec sa detail");
	cr_assert(strstr(o, "    #pkts no sa (send) 8, #pkts invalid sa (rcv) "
			 "0\n") != NULL, "%s", o);
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "    #send errors 8, #recv errors 0\n") != NULL,
		  "%s", o);
}

/* ---- crypto map entries negotiated by IKE ---- */

#define KEY_3DES "4043434545464649494a4a4c4c4f4f515152525454575758"
#define KEY_MD5 "87658765876587658765876587658765"

/* Applies ipsec-isakmp crypto map VPN 10 to GigabitEthernet1, no SA. */
static void
configure_isakmp(void)
{
	static const char *const pairs[] = {
		IF "/ipv4/address", "192.1.2.45",
		IF "/ipv4/mask", "255.255.255.0",
		IF "/crypto-map", "VPN",
		TS "/transform[.='esp-3des']", NULL,
		TS "/transform[.='esp-md5-hmac']", NULL,
		MAP "/type", "ipsec-isakmp",
		MAP "/peer[.='192.1.2.23']", NULL,
		MAP "/transform-set[.='TS']", NULL,
		MAP "/match-address", "VPN-ACL",
		ACL "/type", "extended",
		ACL "/entry[sequence='10']/action", "permit",
		ACL "/entry[sequence='10']/protocol", "ip",
		ACL "/entry[sequence='10']/source/address", "192.168.2.0",
		ACL "/entry[sequence='10']/source/wildcard", "0.0.0.255",
		ACL "/entry[sequence='10']/destination/address", "192.168.1.0",
		ACL "/entry[sequence='10']/destination/wildcard", "0.0.0.255",
		NULL, NULL,
	};

	dpt_commit(&r, pairs);
}

/* A negotiated 3DES/MD5 SA of VPN 10 between 192.1.2.45 and
 * 192.1.2.23, as the IKE manager installs it. */
static struct dp_sa_cfg
negotiated_sa(uint32_t spi, bool outbound, uint32_t lifetime_kb)
{
	struct dp_sa_cfg sa = { .map = "VPN", .map_seq = 10,
				.ifname = "GigabitEthernet1",
				.transform = "esp-3des esp-md5-hmac",
				.lifetime_kb = lifetime_kb,
				.lifetime_sec = 3600 };
	const char *local = "192.1.2.45", *peer = "192.1.2.23";

	sa.params.spi = spi;
	sa.params.outbound = outbound;
	sa.params.tunnel = true;
	sa.params.cipher = DP_CIPHER_3DES_CBC;
	sa.params.cipher_key_len = dpt_hex(KEY_3DES, sa.params.cipher_key,
					   sizeof(sa.params.cipher_key));
	sa.params.integ = DP_INTEG_HMAC_MD5_96;
	sa.params.integ_key_len = dpt_hex(KEY_MD5, sa.params.integ_key,
					  sizeof(sa.params.integ_key));
	sa.params.replay_window = 64;
	inet_pton(AF_INET, outbound ? local : peer, &sa.params.src);
	inet_pton(AF_INET, outbound ? peer : local, &sa.params.dst);
	return sa;
}

static void
add_negotiated_sa(uint32_t spi, bool outbound, uint32_t lifetime_kb)
{
	struct dp_sa_cfg sa = negotiated_sa(spi, outbound, lifetime_kb);

	cr_assert(dp_sa_add(r.dp, &sa) == 0);
	dp_sync(r.dp);
}

/* The only SA with SPI, copied out of the datapath. */
static struct dp_sa_info
sa_info(uint32_t spi)
{
	struct dp_sa_info *sas = NULL, found = { 0 };
	int n = dp_get_sas(r.dp, &sas), hits = 0;

	for (int i = 0; i < n; i++) {
		if (sas[i].params.spi == spi) {
			found = sas[i];
			hits++;
		}
	}
	free(sas);
	cr_assert_eq(hits, 1, "%d SAs with SPI 0x%X", hits, spi);
	return found;
}

Test(show_datapath, sa_timing_counts_down_kilobytes)
{
	struct dp_sa_info in;
	char line[96];
	const char *o;
	uint64_t used_kb;

	configure_isakmp();
	add_negotiated_sa(0x12345678, false, 4608000);
	dpt_replay(&r, "GigabitEthernet1", "openswan-espfrags1.pcap");
	in = sa_info(0x12345678);
	cr_assert_eq(in.counters.decaps, 8);
	used_kb = in.counters.bytes_in / 1024;
	cr_assert_gt(used_kb, 0, "the capture carried %lu octets only",
		     (unsigned long)in.counters.bytes_in);
	o = run("show crypto ipsec sa");
	/* The seconds may have run down by one since the install. */
	snprintf(line, sizeof(line), "        sa timing: remaining key "
		 "lifetime (k/sec): (%lu/36", (unsigned long)(4608000 - used_kb));
	cr_assert(strstr(o, line) != NULL, "%s", o);
	cr_assert(strstr(o, "(4608000/3600)") == NULL, "%s", o);
}

Test(show_datapath, sa_timing_spent_kilobytes_zero)
{
	const char *o;

	configure_isakmp();
	add_negotiated_sa(0x12345678, false, 1);
	dpt_replay(&r, "GigabitEthernet1", "openswan-espfrags1.pcap");
	cr_assert_geq(sa_info(0x12345678).counters.bytes_in, 1024);
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "        sa timing: remaining key lifetime "
			 "(k/sec): (0/36") != NULL, "%s", o);
}

Test(show_datapath, sa_remaining_seconds_run_down)
{
	struct dp_sa_info in;
	uint32_t kb, sec;

	configure_isakmp();
	add_negotiated_sa(0x12345678, false, 4608000);
	in = sa_info(0x12345678);
	dp_sa_remaining(&in, in.installed_ns + 1454ULL * 1000000000ULL, &kb,
			&sec);
	cr_assert_eq(kb, 4608000);
	cr_assert_eq(sec, 3600 - 1454);
	dp_sa_remaining(&in, in.installed_ns + 4000ULL * 1000000000ULL, &kb,
			&sec);
	cr_assert_eq(sec, 0);
}

Test(show_datapath, manual_sa_timing_configured)
{
	const char *o;

	configure(true);
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "        sa timing: remaining key lifetime "
			 "(k/sec): (4608000/3600)\n") != NULL, "%s", o);
}

/* After a rekey, both outbound SAs are in place until IKE deletes the
 * old one: the show names the one that encrypts. */
Test(show_datapath, current_outbound_spi_newest)
{
	const char *o;

	configure_isakmp();
	dpt_commit(&r, permit_any_route);
	add_negotiated_sa(0x12345678, false, 4608000);
	add_negotiated_sa(0x1000, true, 4608000);
	add_negotiated_sa(0x2000, true, 4608000);
	/* The capture's inner packets go back out of the interface. */
	dpt_replay(&r, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	cr_assert_eq(sa_info(0x2000).counters.encaps, 8);
	cr_assert_eq(sa_info(0x1000).counters.encaps, 0);
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "\n     current outbound spi: 0x2000(8192)\n")
		  != NULL, "%s", o);
	cr_assert(strstr(o, "\n     outbound esp sas:\n"
			 "      spi: 0x1000(4096)\n") != NULL, "%s", o);
}

/* An ipsec-isakmp entry before IKE brings up its SAs, as after a reload. */
Test(show_datapath, isakmp_entry_without_sa)
{
	configure_isakmp();
	cr_assert_str_eq(run("show crypto ipsec sa"),
		"\n"
		"interface: GigabitEthernet1\n"
		"    Crypto map tag: VPN, local addr 192.1.2.45\n"
		"\n"
		"   protected vrf: (none)\n"
		"   local  ident (addr/mask/prot/port): "
		"(192.168.2.0/255.255.255.0/0/0)\n"
		"   remote ident (addr/mask/prot/port): "
		"(192.168.1.0/255.255.255.0/0/0)\n"
		"   current_peer 192.1.2.23 port 500\n"
		"     PERMIT, flags={origin_is_acl,}\n"
		"    #pkts encaps: 0, #pkts encrypt: 0, #pkts digest: 0\n"
		"    #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0\n"
		"    #pkts compressed: 0, #pkts decompressed: 0\n"
		"    #pkts not compressed: 0, #pkts compr. failed: 0\n"
		"    #pkts not decompressed: 0, #pkts decompress failed: 0\n"
		"    #send errors 0, #recv errors 0\n"
		"\n"
		"     local crypto endpt.: 192.1.2.45, remote crypto endpt.: "
		"192.1.2.23\n"
		"     plaintext mtu 1500, path mtu 1500, ip mtu 1500, ip mtu "
		"idb GigabitEthernet1\n"
		"     current outbound spi: 0x0(0)\n"
		"     PFS (Y/N): N, DH group: none\n"
		"\n"
		"     inbound esp sas:\n"
		"\n"
		"     inbound ah sas:\n"
		"\n"
		"     inbound pcp sas:\n"
		"\n"
		"     outbound esp sas:\n"
		"\n"
		"     outbound ah sas:\n"
		"\n"
		"     outbound pcp sas:\n"
		"\n");
}

/* Once the entry has an SA, the placeholder flow is gone. */
Test(show_datapath, isakmp_entry_sa_replaces_idle)
{
	const char *o, *first;

	configure_isakmp();
	add_negotiated_sa(0x12345678, false, 4608000);
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "current outbound spi: 0x0(0)\n") != NULL, "%s",
		  o);
	cr_assert(strstr(o, "      spi: 0x12345678(305419896)\n") != NULL,
		  "%s", o);
	first = strstr(o, "   protected vrf: (none)\n");
	cr_assert_not_null(first, "%s", o);
	cr_assert_null(strstr(first + 1, "   protected vrf"), "%s", o);
}

/* Adds the SA pair of a peer behind a NAPT that maps its UDP port 4500
 * to 1031: ESP in UDP from and to that port. */
static void
add_translated_pair(void)
{
	struct dp_sa_cfg in = negotiated_sa(0x1111, false, 4608000);
	struct dp_sa_cfg outb = negotiated_sa(0x2222, true, 4608000);

	in.params.udp_encap = true;
	in.params.encap_sport = 1031;
	in.params.encap_dport = 4500;
	outb.params.udp_encap = true;
	outb.params.encap_sport = 4500;
	outb.params.encap_dport = 1031;
	cr_assert_eq(dp_sa_add(r.dp, &in), 0);
	cr_assert_eq(dp_sa_add(r.dp, &outb), 0);
	dp_sync(r.dp);
}

/* current_peer shows the port the peer's NAT chose, and follows the
 * outbound SA when IKE moves it to a new one. */
Test(show_datapath, crypto_ipsec_sa_translated_port)
{
	struct dp_sa_info moved;
	uint32_t peer;
	const char *o;

	configure_isakmp();
	add_translated_pair();
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "\n   current_peer 192.1.2.23 port 1031\n") !=
		  NULL, "%s", o);
	cr_assert(strstr(o, "\n        in use settings ={Tunnel UDP-Encaps, }"
			 "\n") != NULL, "%s", o);
	cr_assert(strstr(o, "\n     local crypto endpt.: 192.1.2.45, remote "
			 "crypto endpt.: 192.1.2.23\n") != NULL, "%s", o);

	inet_pton(AF_INET, "192.1.2.23", &peer);
	cr_assert_eq(dp_sa_set_encap(r.dp, peer, 0x2222, 4500, 20077), 0);
	dp_sync(r.dp);
	moved = sa_info(0x2222);
	cr_assert_eq(moved.params.encap_sport, 4500);
	cr_assert_eq(moved.params.encap_dport, 20077);
	o = run("show crypto ipsec sa");
	cr_assert(strstr(o, "\n   current_peer 192.1.2.23 port 20077\n") !=
		  NULL, "%s", o);

	/* An unknown SPI changes nothing, and an SA without UDP stays
	 * plain ESP. */
	cr_assert_eq(dp_sa_set_encap(r.dp, peer, 0x4444, 4500, 1), 0);
	add_negotiated_sa(0x3333, true, 4608000);
	cr_assert_eq(dp_sa_set_encap(r.dp, peer, 0x3333, 4500, 1), 0);
	dp_sync(r.dp);
	cr_assert_eq(sa_info(0x2222).params.encap_dport, 20077);
	moved = sa_info(0x3333);
	cr_assert_not(moved.params.udp_encap);
	cr_assert_eq(moved.params.encap_dport, 0);
}
