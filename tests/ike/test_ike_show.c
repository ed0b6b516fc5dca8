/*
 * The IKE show writers, fed hand-built IKE and IPsec SA snapshots and a
 * running config typed as CLI commands. The tests compare exact IOS text
 * and parse the session detail with the ntc-templates TextFSM template.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/show_ike.h"
#include "core/config.h"
#include "datapath/datapath.h"
#include "fixture.h"
#include "ikemgr/ikemgr.h"

static struct fixture fx;

static const char config[] =
	"interface Loopback0\n"
	" ip address 1.1.1.1 255.255.255.255\n"
	"interface GigabitEthernet1\n"
	" ip address 10.0.12.1 255.255.255.0\n"
	" crypto map VPN\n"
	"interface GigabitEthernet2\n"
	" ip address 10.0.23.1 255.255.255.0\n"
	" crypto map MANUAL\n"
	"interface Tunnel1\n"
	" ip address 172.16.0.1 255.255.255.252\n"
	" tunnel source GigabitEthernet1\n"
	" tunnel destination 10.0.13.3\n"
	" tunnel protection ipsec profile PROT\n"
	"ip access-list extended CRYPTO\n"
	" permit ip host 1.1.1.1 host 2.2.2.2\n"
	" deny ip any any\n"
	" permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255\n"
	"ip access-list extended MANUAL-ACL\n"
	" permit ip host 1.1.1.1 host 3.3.3.3\n"
	"crypto ipsec transform-set TS esp-aes esp-sha-hmac\n"
	"crypto ipsec profile PROT\n"
	" set transform-set TS\n"
	" set isakmp-profile IKEPROF\n"
	"crypto map VPN 10 ipsec-isakmp\n"
	" set peer 10.0.12.2\n"
	" set transform-set TS\n"
	" match address CRYPTO\n"
	"crypto map MANUAL 10 ipsec-manual\n"
	" set peer 10.0.23.3\n"
	" set transform-set TS\n"
	" match address MANUAL-ACL\n";

static void
setup(void)
{
	fx_open(&fx);
	fx_apply(&fx, config);
	fx_run(&fx, "end");
}

static void
teardown(void)
{
	fx_close(&fx);
}

TestSuite(ike_show, .init = setup, .fini = teardown);

static uint32_t
addr(const char *text)
{
	uint32_t a;

	cr_assert_eq(inet_pton(AF_INET, text, &a), 1, "bad address %s", text);
	return a;
}

/* An established IKEv1 SA that this router initiated to 10.0.12.2. */
static struct ike_sa_info
ike_sa(uint32_t conn_id, const char *state)
{
	struct ike_sa_info sa;

	memset(&sa, 0, sizeof(sa));
	sa.conn_id = conn_id;
	sa.version = 1;
	sa.local = addr("10.0.12.1");
	sa.peer = addr("10.0.12.2");
	sa.local_port = 500;
	sa.peer_port = 500;
	snprintf(sa.state, sizeof(sa.state), "%s", state);
	sa.active = true;
	sa.initiator = true;
	snprintf(sa.encr, sizeof(sa.encr), "aes");
	sa.key_bits = 128;
	snprintf(sa.hash, sizeof(sa.hash), "sha");
	snprintf(sa.auth, sizeof(sa.auth), "psk");
	sa.dh_group = 14;
	sa.lifetime_sec = 86400;
	sa.remaining_sec = 86390;
	sa.dpd = true;
	snprintf(sa.map, sizeof(sa.map), "VPN");
	sa.map_seq = 10;
	snprintf(sa.ifname, sizeof(sa.ifname), "GigabitEthernet1");
	sa.child_sas = 1;
	return sa;
}

/* The session of the protected GRE tunnel, which never comes up here. */
#define TUNNEL1_DOWN \
	"Interface: Tunnel1\n" \
	"Profile: IKEPROF\n" \
	"Session status: DOWN          \n" \
	"Peer: 10.0.13.3 port 500 \n" \
	"  Session ID: 0  \n" \
	"  IPSEC FLOW: permit 47 host 10.0.12.1 host 10.0.13.3 \n" \
	"        Active SAs: 0, origin: crypto map\n" \
	"\n"

/* show crypto isakmp sa without any IKEv1 SA. */
#define NO_ISAKMP_SA \
	"IPv4 Crypto ISAKMP SA\n" \
	"dst             src             state          conn-id status\n" \
	"\n" \
	"IPv6 Crypto ISAKMP SA\n" \
	"\n"

#define NOW_NS (1000ull * 1000000000ull)

/* One direction of an IPsec SA of MAP SEQ on IFNAME with PEER. */
static struct dp_sa_info
ipsec_sa(const char *ifname, const char *map, const char *local,
	 const char *peer, bool outbound, uint32_t spi, uint64_t packets)
{
	struct dp_sa_info sa;

	memset(&sa, 0, sizeof(sa));
	sa.params.spi = spi;
	sa.params.outbound = outbound;
	sa.params.tunnel = true;
	sa.params.src = addr(outbound ? local : peer);
	sa.params.dst = addr(outbound ? peer : local);
	snprintf(sa.map, sizeof(sa.map), "%s", map);
	sa.map_seq = 10;
	snprintf(sa.ifname, sizeof(sa.ifname), "%s", ifname);
	snprintf(sa.transform, sizeof(sa.transform), "esp-aes esp-sha-hmac");
	sa.lifetime_kb = 4608000;
	sa.lifetime_sec = 3600;
	sa.installed_ns = NOW_NS - 154ull * 1000000000ull;
	sa.negotiated = strcmp(map, "MANUAL") != 0;
	if (outbound) {
		sa.counters.encaps = packets;
		sa.counters.bytes_out = packets * 100;
		sa.counters.no_sa_send = 1;
	} else {
		sa.counters.decaps = packets;
		sa.counters.bytes_in = packets * 100;
		sa.counters.decaps_failed = 2;
	}
	return sa;
}

static const char *
output(void)
{
	vty_flush(&fx.vty);
	return fx.out != NULL ? fx.out : "";
}

static void
reset_output(void)
{
	fx.len = 0;
	if (fx.out != NULL)
		fx.out[0] = '\0';
}

static const char *
sessions(const struct ike_sa_info *ike, size_t n_ike,
	 const struct dp_sa_info *ipsec, size_t n_ipsec, const char *remote,
	 bool detail)
{
	struct cmd_session_input in = {
		.ike = ike, .n_ike = n_ike, .ipsec = ipsec,
		.n_ipsec = n_ipsec, .now_ns = NOW_NS,
	};
	int ret;

	reset_output();
	in.running = cfg_read_lock(fx.router.cfg);
	ret = cmd_crypto_session_write(&fx.vty, &in,
				       remote != NULL ? addr(remote) : 0,
				       detail);
	cfg_read_unlock(fx.router.cfg);
	cr_assert_eq(ret, 0);
	return output();
}

Test(ike_show, isakmp_sa_table)
{
	struct ike_sa_info sas[3];

	sas[0] = ike_sa(1001, "QM_IDLE");
	/* A responder SA: dst is this router, src the peer. */
	sas[1] = ike_sa(1002, "MM_NO_STATE");
	sas[1].initiator = false;
	sas[1].active = false;
	sas[1].peer = addr("10.0.12.9");
	/* IKEv2 SAs belong to show crypto ikev2 sa. */
	sas[2] = ike_sa(1003, "READY");
	sas[2].version = 2;

	reset_output();
	cmd_isakmp_sa_write(&fx.vty, sas, 3, false);
	cr_assert_str_eq(output(),
		"IPv4 Crypto ISAKMP SA\n"
		"dst             src             state          conn-id status\n"
		"10.0.12.2       10.0.12.1       QM_IDLE           1001 ACTIVE\n"
		"10.0.12.1       10.0.12.9       MM_NO_STATE       1002 STALE\n"
		"\n"
		"IPv6 Crypto ISAKMP SA\n"
		"\n");
}

Test(ike_show, isakmp_sa_empty)
{
	reset_output();
	cmd_isakmp_sa_write(&fx.vty, NULL, 0, false);
	cr_assert_str_eq(output(),
		NO_ISAKMP_SA);
}

Test(ike_show, isakmp_sa_detail)
{
	struct ike_sa_info sas[2];

	sas[0] = ike_sa(1001, "QM_IDLE");
	sas[1] = ike_sa(1002, "MM_KEY_EXCH");
	sas[1].natt = true;
	sas[1].dh_group = 2;
	snprintf(sas[1].encr, sizeof(sas[1].encr), "3des");
	snprintf(sas[1].hash, sizeof(sas[1].hash), "md5");

	reset_output();
	cmd_isakmp_sa_write(&fx.vty, sas, 2, true);
	cr_assert_str_eq(output(),
		"Codes: C - IKE configuration mode, D - Dead Peer Detection\n"
		"       K - Keepalives, N - NAT-traversal\n"
		"       T - cTCP encapsulation, X - IKE Extended Authentication\n"
		"       psk - Preshared key, rsig - RSA signature\n"
		"       renc - RSA encryption\n"
		"IPv4 Crypto ISAKMP SA\n"
		"\n"
		"C-id  Local           Remote          I-VRF  Status Encr Hash   Auth DH Lifetime Cap.\n"
		"\n"
		"1001  10.0.12.1       10.0.12.2              ACTIVE aes  sha    psk  14 23:59:50 D\n"
		"       Engine-id:Conn-id =  SW:1\n"
		"\n"
		/* Still negotiating: no lifetime yet. */
		"1002  10.0.12.1       10.0.12.2              ACTIVE 3des md5    psk  2           DN\n"
		"       Engine-id:Conn-id =  SW:2\n"
		"\n"
		"IPv6 Crypto ISAKMP SA\n"
		"\n");
}

Test(ike_show, isakmp_peers_once_each)
{
	struct ike_sa_info sas[3];

	sas[0] = ike_sa(1001, "QM_IDLE");
	sas[1] = ike_sa(1002, "QM_IDLE");	/* same peer: listed once */
	sas[2] = ike_sa(1003, "QM_IDLE");
	sas[2].peer = addr("10.0.13.3");
	sas[2].peer_port = 4500;

	reset_output();
	cmd_isakmp_peers_write(&fx.vty, sas, 3);
	cr_assert_str_eq(output(),
		"Peer: 10.0.12.2 Port: 500 Local: 10.0.12.1\n"
		" Phase1 id: 10.0.12.2\n"
		"Peer: 10.0.13.3 Port: 4500 Local: 10.0.12.1\n"
		" Phase1 id: 10.0.13.3\n");
}

/* Every static peer of the config is a session, DOWN with nothing up. */
Test(ike_show, session_configured_peers_down)
{
	cr_assert_str_eq(sessions(NULL, 0, NULL, 0, NULL, false),
		"Crypto session current status\n"
		"\n"
		"Interface: GigabitEthernet1\n"
		"Session status: DOWN          \n"
		"Peer: 10.0.12.2 port 500 \n"
		"  Session ID: 0  \n"
		"  IPSEC FLOW: permit ip host 1.1.1.1 host 2.2.2.2 \n"
		"        Active SAs: 0, origin: crypto map\n"
		"  IPSEC FLOW: permit ip 192.168.1.0/255.255.255.0 192.168.2.0/255.255.255.0 \n"
		"        Active SAs: 0, origin: crypto map\n"
		"\n"
		"Interface: GigabitEthernet2\n"
		"Session status: DOWN          \n"
		"Peer: 10.0.23.3 port 500 \n"
		"  Session ID: 0  \n"
		"  IPSEC FLOW: permit ip host 1.1.1.1 host 3.3.3.3 \n"
		"        Active SAs: 0, origin: crypto map\n"
		"\n"
		TUNNEL1_DOWN);
}

Test(ike_show, session_up_active_detail)
{
	struct ike_sa_info ike = ike_sa(1001, "QM_IDLE");
	struct dp_sa_info ipsec[2];

	ipsec[0] = ipsec_sa("GigabitEthernet1", "VPN", "10.0.12.1",
			    "10.0.12.2", false, 0x80000100, 199);
	ipsec[1] = ipsec_sa("GigabitEthernet1", "VPN", "10.0.12.1",
			    "10.0.12.2", true, 0xFF000000, 200);
	/* 19900 and 20000 octets are 19 KB each, and 154 s of 3600 passed. */
	cr_assert_str_eq(sessions(&ike, 1, ipsec, 2, "10.0.12.2", true),
		"Crypto session current status\n"
		"\n"
		"Code: C - IKE Configuration mode, D - Dead Peer Detection     \n"
		"K - Keepalives, N - NAT-traversal, T - cTCP encapsulation     \n"
		"X - IKE Extended Authentication, F - IKE Fragmentation\n"
		"R - IKE Auto Reconnect, U - IKE Dynamic Route Update\n"
		"S - SIP VPN\n"
		"\n"
		"Interface: GigabitEthernet1\n"
		"Uptime: 00:00:10\n"
		"Session status: UP-ACTIVE     \n"
		"Peer: 10.0.12.2 port 500 fvrf: (none) ivrf: (none)\n"
		"      Phase1_id: 10.0.12.2\n"
		"      Desc: (none)\n"
		"  Session ID: 1  \n"
		"  IKEv1 SA: local 10.0.12.1/500 remote 10.0.12.2/500 Active \n"
		"          Capabilities:D connid:1001 lifetime:23:59:50\n"
		"  IPSEC FLOW: permit ip host 1.1.1.1 host 2.2.2.2 \n"
		"        Active SAs: 2, origin: crypto map\n"
		"        Inbound:  #pkts dec'ed 199 drop 2 life (KB/Sec) 4607981/3446\n"
		"        Outbound: #pkts enc'ed 200 drop 1 life (KB/Sec) 4607981/3446\n"
		"  IPSEC FLOW: permit ip 192.168.1.0/255.255.255.0 192.168.2.0/255.255.255.0 \n"
		"        Active SAs: 0, origin: crypto map\n"
		"        Inbound:  #pkts dec'ed 0 drop 0 life (KB/Sec) 0/0\n"
		"        Outbound: #pkts enc'ed 0 drop 0 life (KB/Sec) 0/0\n"
		"\n");
}

/*
 * Manual SAs never expire: the session detail prints their configured
 * lifetime, as show crypto ipsec sa does, however old and busy they are.
 */
Test(ike_show, session_detail_manual_sa_lifetime)
{
	struct dp_sa_info ipsec[2];
	const char *out;

	ipsec[0] = ipsec_sa("GigabitEthernet2", "MANUAL", "10.0.23.1",
			    "10.0.23.3", false, 0x1000, 5000);
	ipsec[1] = ipsec_sa("GigabitEthernet2", "MANUAL", "10.0.23.1",
			    "10.0.23.3", true, 0x1001, 6000);
	out = sessions(NULL, 0, ipsec, 2, "10.0.23.3", true);
	cr_assert(strstr(out,
		"Interface: GigabitEthernet2\n"
		"Uptime: 00:02:34\n"
		"Session status: UP-NO-IKE     \n"
		"Peer: 10.0.23.3 port 500 fvrf: (none) ivrf: (none)\n"
		"      Desc: (none)\n"
		"  Session ID: 0  \n"
		"  IPSEC FLOW: permit ip host 1.1.1.1 host 3.3.3.3 \n"
		"        Active SAs: 2, origin: crypto map\n"
		"        Inbound:  #pkts dec'ed 5000 drop 2 life (KB/Sec) "
		"4608000/3600\n"
		"        Outbound: #pkts enc'ed 6000 drop 1 life (KB/Sec) "
		"4608000/3600\n") != NULL, "%s", out);
}

/* Asserts that the session on IFNAME in OUT has STATUS. */
static void
assert_status(const char *out, const char *ifname, const char *status)
{
	char want[128];
	const char *at;

	snprintf(want, sizeof(want), "Interface: %s\n", ifname);
	at = strstr(out, want);
	cr_assert_not_null(at, "no session on %s in:\n%s", ifname, out);
	snprintf(want, sizeof(want), "Session status: %-14s\n", status);
	at = strstr(at, "Session status: ");
	cr_assert_not_null(at);
	cr_assert(strncmp(at, want, strlen(want)) == 0,
		  "%s: expected %s in:\n%s", ifname, status, out);
}

Test(ike_show, session_states)
{
	struct ike_sa_info ike[2];
	struct dp_sa_info ipsec[2];
	const char *out;

	/* Main Mode still running, nothing installed. */
	ike[0] = ike_sa(1001, "MM_KEY_EXCH");
	out = sessions(ike, 1, NULL, 0, NULL, false);
	assert_status(out, "GigabitEthernet1", "DOWN-NEGOTIATING");
	cr_assert_not_null(strstr(out, "  IKEv1 SA: local 10.0.12.1/500 "
				  "remote 10.0.12.2/500 Inactive \n"), "%s",
			   out);

	/* Phase 1 up, no IPsec SA yet. */
	ike[0] = ike_sa(1001, "QM_IDLE");
	out = sessions(ike, 1, NULL, 0, NULL, false);
	assert_status(out, "GigabitEthernet1", "UP-IDLE");

	/* Manual SAs have no IKE SA. */
	ipsec[0] = ipsec_sa("GigabitEthernet2", "MANUAL", "10.0.23.1",
			    "10.0.23.3", false, 256, 5);
	ipsec[1] = ipsec_sa("GigabitEthernet2", "MANUAL", "10.0.23.1",
			    "10.0.23.3", true, 512, 5);
	out = sessions(ike, 1, ipsec, 2, NULL, false);
	assert_status(out, "GigabitEthernet2", "UP-NO-IKE");
	cr_assert_not_null(strstr(out, "  IPSEC FLOW: permit ip host 1.1.1.1 "
				  "host 3.3.3.3 \n        Active SAs: 2, "), "%s",
			   out);
	assert_status(out, "Tunnel1", "DOWN");

	/* A stale IKE SA does not make a session UP. */
	ike[0].active = false;
	out = sessions(ike, 1, NULL, 0, NULL, false);
	assert_status(out, "GigabitEthernet1", "DOWN-NEGOTIATING");
}

/* A peer the config does not name (a dynamic crypto map) gets its own
 * session on the interface of its SAs. */
Test(ike_show, session_unconfigured_peer)
{
	struct ike_sa_info ike = ike_sa(1005, "QM_IDLE");
	struct dp_sa_info ipsec = ipsec_sa("GigabitEthernet1", "DYN", "10.0.12.1",
					   "10.0.12.77", false, 4096, 1);
	const char *out;

	ike.peer = addr("10.0.12.77");
	ike.initiator = false;
	ike.natt = true;
	ike.peer_port = 4500;
	ike.local_port = 4500;
	snprintf(ike.profile, sizeof(ike.profile), "DYNPROF");
	out = sessions(&ike, 1, &ipsec, 1, "10.0.12.77", false);
	cr_assert_str_eq(out,
		"Crypto session current status\n"
		"\n"
		"Interface: GigabitEthernet1\n"
		"Profile: DYNPROF\n"
		"Session status: UP-ACTIVE     \n"
		"Peer: 10.0.12.77 port 4500 \n"
		"  Session ID: 5  \n"
		"  IKEv1 SA: local 10.0.12.1/4500 remote 10.0.12.77/4500 Active \n"
		"  IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0 \n"
		"        Active SAs: 1, origin: crypto map\n"
		"\n");
}

/* Sets the negotiated selector LOCAL/24 <-> REMOTE/24 on SA. */
static void
set_selector(struct dp_sa_info *sa, const char *local, const char *remote)
{
	sa->has_selector = true;
	sa->selector.local = addr(local);
	sa->selector.local_mask = addr("255.255.255.0");
	sa->selector.remote = addr(remote);
	sa->selector.remote_mask = addr("255.255.255.0");
}

/*
 * An Easy VPN client behind a NAT on a dynamic crypto map: one flow per
 * negotiated selector, the client's own ID as Phase1_id, and mode config
 * and XAUTH among the capabilities.
 */
Test(ike_show, session_dynamic_peer_selectors)
{
	struct ike_sa_info ike = ike_sa(1005, "QM_IDLE");
	struct dp_sa_info ipsec[4];
	const char *out;

	ike.peer = addr("10.0.12.77");
	ike.initiator = false;
	ike.natt = true;
	ike.modecfg = true;
	ike.xauth = true;
	snprintf(ike.remote_id, sizeof(ike.remote_id), "10.1.1.5");
	for (int i = 0; i < 4; i++) {
		ipsec[i] = ipsec_sa("GigabitEthernet1", "DYN", "10.0.12.1",
				    "10.0.12.77", i % 2 == 1, 4096 + i, 1);
		set_selector(&ipsec[i], "192.168.2.0",
			     i < 2 ? "192.168.1.0" : "192.168.3.0");
	}
	out = sessions(&ike, 1, ipsec, 4, "10.0.12.77", true);
	cr_assert_not_null(strstr(out, "      Phase1_id: 10.1.1.5\n"), "%s",
			   out);
	cr_assert_not_null(strstr(out, "          Capabilities:CDNX connid:1005 "),
			   "%s", out);
	cr_assert_not_null(strstr(out, "  IPSEC FLOW: permit ip "
				  "192.168.2.0/255.255.255.0 "
				  "192.168.1.0/255.255.255.0 \n"
				  "        Active SAs: 2, origin: crypto map\n"),
			   "%s", out);
	cr_assert_not_null(strstr(out, "  IPSEC FLOW: permit ip "
				  "192.168.2.0/255.255.255.0 "
				  "192.168.3.0/255.255.255.0 \n"
				  "        Active SAs: 2, origin: crypto map\n"),
			   "%s", out);
	cr_assert_null(strstr(out, "0.0.0.0/0.0.0.0"), "%s", out);

	reset_output();
	cmd_isakmp_peers_write(&fx.vty, &ike, 1);
	cr_assert_str_eq(output(),
		"Peer: 10.0.12.77 Port: 500 Local: 10.0.12.1\n"
		" Phase1 id: 10.1.1.5\n");
	reset_output();
	cmd_isakmp_sa_write(&fx.vty, &ike, 1, true);
	cr_assert_not_null(strstr(output(), " psk  14 23:59:50 CDNX\n"), "%s",
			   output());
}

/*
 * Runs the ntc-templates TextFSM template for show crypto session detail
 * over TEXT with Debian's python3-textfsm. Returns its rows, one line
 * each: interface|status|peer|port|local|conn_id|lifetime|caps|active_sa.
 */
static const char *
ntc_parse(const char *text)
{
	static char rows[4096];
	const char *shared = getenv("VR_SHARED_DIR");
	char template[512], input[] = "/tmp/vr-ike-show-XXXXXX", cmd[2048];
	size_t len;
	FILE *f, *p;
	int fd, status;

	cr_assert_not_null(shared, "VR_SHARED_DIR is not set; run this test "
			   "through ctest");
	snprintf(template, sizeof(template), "%s/cases/external/ntc-templates/"
		 "templates/cisco_ios_show_crypto_session_detail.textfsm",
		 shared);
	cr_assert_eq(access(template, R_OK), 0,
		     "the ntc-templates template is missing: %s", template);
	fd = mkstemp(input);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	/* The Debian interpreter, whatever python3 comes first in PATH. */
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '"
		 "import sys, textfsm\n"
		 "fsm = textfsm.TextFSM(open(sys.argv[1]))\n"
		 "for r in fsm.ParseText(open(sys.argv[2]).read()):\n"
		 "    d = dict(zip(fsm.header, r))\n"
		 "    print(\"|\".join(d[k] for k in (\"INTERFACE\", "
		 "\"SESSION_STATUS\", \"PEER\", \"PORT\", \"LOCAL_IP\", "
		 "\"CONN_ID\", \"LIFETIME\", \"CAPABILITIES\", \"ACTIVE_SA\")))\n"
		 "' '%s' '%s' 2>&1", template, input);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	len = fread(rows, 1, sizeof(rows) - 1, p);
	rows[len] = '\0';
	status = pclose(p);
	unlink(input);
	cr_assert_eq(status, 0, "textfsm failed:\n%s\non:\n%s", rows, text);
	return rows;
}

Test(ike_show, session_detail_parses_with_ntc_template)
{
	struct ike_sa_info ike = ike_sa(1001, "QM_IDLE");
	struct dp_sa_info ipsec[4];
	const char *out;

	ipsec[0] = ipsec_sa("GigabitEthernet1", "VPN", "10.0.12.1",
			    "10.0.12.2", false, 0x80000100, 199);
	ipsec[1] = ipsec_sa("GigabitEthernet1", "VPN", "10.0.12.1",
			    "10.0.12.2", true, 0xFF000000, 200);
	ipsec[2] = ipsec_sa("GigabitEthernet2", "MANUAL", "10.0.23.1",
			    "10.0.23.3", false, 256, 5);
	ipsec[3] = ipsec_sa("GigabitEthernet2", "MANUAL", "10.0.23.1",
			    "10.0.23.3", true, 512, 5);
	out = sessions(&ike, 1, ipsec, 4, NULL, true);
	/* The template keeps the last flow of a session: the second ACL
	 * entry of CRYPTO, which has no SA. */
	cr_assert_str_eq(ntc_parse(out),
		"GigabitEthernet1|UP-ACTIVE|10.0.12.2|500|10.0.12.1|1001|"
		"23:59:50|D|0\n"
		"GigabitEthernet2|UP-NO-IKE|10.0.23.3|500|||||2\n"
		"Tunnel1|DOWN|10.0.13.3|500|||||0\n");
}

/* The installed commands on a router with a config store only. */
Test(ike_show, commands_without_sas)
{
	const char *out;

	out = fx_run(&fx, "show crypto session remote 10.0.13.3");
	cr_assert_eq(fx.result, CMD_SUCCESS, "%s", out);
	cr_assert_str_eq(out,
		"Crypto session current status\n"
		"\n"
		TUNNEL1_DOWN);

	out = fx_run(&fx, "show crypto isakmp sa");
	cr_assert_eq(fx.result, CMD_SUCCESS, "%s", out);
	cr_assert_str_eq(out,
		NO_ISAKMP_SA);

	out = fx_run(&fx, "show crypto isakmp peers");
	cr_assert_eq(fx.result, CMD_SUCCESS, "%s", out);
	cr_assert_str_eq(out, "");

	out = fx_run(&fx, "show crypto session detail");
	cr_assert_eq(fx.result, CMD_SUCCESS, "%s", out);
	cr_assert_not_null(strstr(out, "Interface: GigabitEthernet2\n"
				  "Session status: DOWN          \n"
				  "Peer: 10.0.23.3 port 500 fvrf: (none) "
				  "ivrf: (none)\n"), "%s", out);

	/* Nothing to clear: each runs quietly. */
	static const char *const clears[] = {
		"clear crypto sa", "clear crypto sa peer 10.0.12.2",
		"clear crypto isakmp", "clear crypto isakmp 1001",
		"clear crypto session", "clear crypto session remote 10.0.12.2",
	};
	for (size_t i = 0; i < sizeof(clears) / sizeof(clears[0]); i++) {
		out = fx_run(&fx, clears[i]);
		cr_assert_eq(fx.result, CMD_SUCCESS, "%s: %s", clears[i], out);
		cr_assert_str_eq(out, "", "%s", clears[i]);
	}
}

Test(ike_show, commands_reject_bad_arguments)
{
	static const char *const bad[] = {
		"show crypto session remote 10.0.13",
		"clear crypto isakmp 0",
		"clear crypto sa peer 300.1.1.1",
		"show crypto isakmp sa brief",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *out = fx_run(&fx, bad[i]);

		cr_assert_neq(fx.result, CMD_SUCCESS, "%s was accepted",
			      bad[i]);
		cr_assert_not_null(strstr(out, "% Invalid input detected"),
				   "%s: %s", bad[i], out);
	}
}

/* Two IKE SAs of one peer share its session, listed in snapshot order,
 * and a peer's sessions follow the peers' address order. */
Test(ike_show, session_ike_sas_of_one_peer)
{
	struct ike_sa_info ike[3];
	const char *out;

	ike[0] = ike_sa(1007, "QM_IDLE");
	ike[0].peer = addr("10.0.12.80");
	ike[1] = ike_sa(1003, "MM_NO_STATE");
	ike[1].peer = addr("10.0.12.70");
	ike[2] = ike_sa(1004, "QM_IDLE");
	ike[2].peer = addr("10.0.12.70");
	snprintf(ike[2].profile, sizeof(ike[2].profile), "P70");
	out = sessions(ike, 3, NULL, 0, NULL, false);
	cr_assert_not_null(strstr(out,
		"Interface: GigabitEthernet1\n"
		"Profile: P70\n"
		"Session status: UP-IDLE       \n"
		"Peer: 10.0.12.70 port 500 \n"
		"  Session ID: 3  \n"
		"  IKEv1 SA: local 10.0.12.1/500 remote 10.0.12.70/500 Inactive \n"
		"  IKEv1 SA: local 10.0.12.1/500 remote 10.0.12.70/500 Active \n"
		"\n"
		"Interface: GigabitEthernet1\n"
		"Session status: UP-IDLE       \n"
		"Peer: 10.0.12.80 port 500 \n"
		"  Session ID: 7  \n"
		"  IKEv1 SA: local 10.0.12.1/500 remote 10.0.12.80/500 Active \n"
		"\n"), "%s", out);
}
