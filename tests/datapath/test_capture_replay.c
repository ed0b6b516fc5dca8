/*
 * Replays the reference ESP captures into a router made of the real
 * config store and datapath, with ipsec-manual crypto maps carrying the
 * keys published for each capture, and checks decapsulation and drop
 * counters, the RECVD_PKT_INV_SPI log line and the IKE event sink.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test.h"

#define IF "/vrouter-config:interfaces/interface[name='GigabitEthernet1']"
#define TS "/vrouter-config:crypto/ipsec/transform-set"
#define MAP "/vrouter-config:crypto/map[name='VPN']/entry"

#define KEY_3DES_A "4043434545464649494a4a4c4c4f4f515152525454575758"
#define KEY_MD5_A "87658765876587658765876587658765"
#define KEY_SHA1_A "8765876587658765876587658765876587658765"
#define KEY_AES256_A \
	"aaaabbbbccccdddd4043434545464649494a4a4c4c4f4f515152525454575758"

static struct dpt_router router;
static struct dpt_log log_lines;

static void
setup(void)
{
	dpt_log_start(&log_lines);
	dpt_router_start(&router, true);
}

static void
teardown(void)
{
	dpt_router_stop(&router);
	dpt_log_stop(&log_lines);
}

TestSuite(capture, .init = setup, .fini = teardown);

/* Gives GigabitEthernet1 ADDR/24, optionally with crypto map VPN. */
static void
set_interface(const char *addr, bool with_map)
{
	const char *pairs[] = {
		IF "/ipv4/address", addr,
		IF "/ipv4/mask", "255.255.255.0",
		with_map ? IF "/crypto-map" : NULL, "VPN",
		NULL, NULL,
	};

	dpt_commit(&router, pairs);
}

/*
 * Adds crypto map VPN entry SEQ: ipsec-manual towards PEER with the
 * transform set NAME (TRANSFORMS space-separated, KEYSIZE or NULL) and
 * inbound SPI and keys. AUTH_KEY may be NULL for no integrity.
 */
static void
set_manual_entry(const char *seq, const char *peer, const char *name,
		 const char *t1, const char *t2, const char *keysize,
		 const char *spi, const char *cipher_key, const char *auth_key)
{
	char ts[128], tr1[160], tr2[160], ks[160], e[96], type[128],
	     p[160], set[160], sk[160], ck[160], ak[160];

	snprintf(ts, sizeof(ts), TS "[name='%s']", name);
	snprintf(tr1, sizeof(tr1), "%s/transform[.='%s']", ts, t1);
	snprintf(tr2, sizeof(tr2), "%s/transform[.='%s']", ts, t2);
	snprintf(ks, sizeof(ks), "%s/key-size", ts);
	snprintf(e, sizeof(e), MAP "[sequence='%s']", seq);
	snprintf(type, sizeof(type), "%s/type", e);
	snprintf(p, sizeof(p), "%s/peer[.='%s']", e, peer);
	snprintf(set, sizeof(set), "%s/transform-set[.='%s']", e, name);
	snprintf(sk, sizeof(sk), "%s/session-key/inbound/esp/spi", e);
	snprintf(ck, sizeof(ck), "%s/session-key/inbound/esp/cipher", e);
	snprintf(ak, sizeof(ak), "%s/session-key/inbound/esp/authenticator",
		 e);

	const char *pairs[] = {
		tr1, NULL,
		tr2, NULL,
		type, "ipsec-manual",
		p, NULL,
		set, NULL,
		sk, spi,
		cipher_key ? ck : NULL, cipher_key,
		NULL, NULL, NULL, NULL, NULL, NULL,
	};
	size_t n = cipher_key ? 14 : 12;

	if (auth_key != NULL) {
		pairs[n++] = ak;
		pairs[n++] = auth_key;
	}
	if (keysize != NULL) {
		pairs[n++] = ks;
		pairs[n++] = keysize;
	}
	pairs[n] = NULL;
	dpt_commit(&router, pairs);
}

/* One inbound SA's counters, found by SPI. */
static struct dp_sa_counters
sa_counters(uint32_t spi)
{
	struct dp_sa_info *sas = NULL;
	struct dp_sa_counters c;
	int n = dp_get_sas(router.dp, &sas);
	bool found = false;

	cr_assert(n >= 0);
	uint32_t first = n > 0 ? sas[0].params.spi : 0;
	for (int i = 0; i < n; i++) {
		if (!sas[i].params.outbound && sas[i].params.spi == spi) {
			c = sas[i].counters;
			found = true;
		}
	}
	free(sas);
	cr_assert(found, "no inbound SA with SPI 0x%X among the %d installed"
		  " (first: 0x%X)", spi, n, n > 0 ? first : 0);
	return c;
}

static uint64_t
drops(enum dp_drop d)
{
	struct dp_drop_stats st;

	dp_get_drops(router.dp, &st);
	return st.packets[d];
}

static uint64_t
all_drops(void)
{
	struct dp_drop_stats st;
	uint64_t n = 0;

	dp_get_drops(router.dp, &st);
	for (int d = 0; d < DP_DROP_COUNT; d++)
		n += st.packets[d];
	return n;
}

static uint64_t
stat_decap_ok(void)
{
	struct dp_stats st;

	dp_get_stats(router.dp, &st);
	return st.decap_ok;
}

static void
check_decaps(uint32_t spi, uint64_t n)
{
	struct dp_sa_counters c = sa_counters(spi);

	cr_assert_eq(c.decaps, n, "SPI 0x%X: %lu decaps, expected %lu", spi,
		     (unsigned long)c.decaps, (unsigned long)n);
	cr_assert_eq(c.decrypt, n);
	cr_assert_eq(c.verify, n);
	cr_assert_eq(c.decaps_failed, 0);
	cr_assert_eq(dpt_global_drops(router.dp, "IpsecInput"), 0,
		     "IpsecInput drops: %lu", (unsigned long)
		     dpt_global_drops(router.dp, "IpsecInput"));
}

Test(capture, sunrise_3des_md5_decaps)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	check_decaps(0x12345678, 8);
	cr_assert_eq(stat_decap_ok(), 8);
	/* The inner ICMP to 192.0.1.1 has no route on this router. */
	cr_assert_eq(drops(DP_DROP_IPV4_NO_ROUTE), 8);
}

Test(capture, inner_packets_forwarded_by_route)
{
	struct dp_stats st;

	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	{
		const char *pairs[] = {
			"/vrouter-config:routing/static-route[prefix='192.0.1.0']"
			"[mask='255.255.255.0'][next-hop='192.1.2.1']", NULL,
			NULL, NULL,
		};

		dpt_commit(&router, pairs);
	}
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.decap_ok, 8);
	cr_assert_eq(st.forwarded, 8);
	cr_assert_eq(drops(DP_DROP_IPV4_NO_ROUTE), 0);
}

Test(capture, sha1_and_aes_decap)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-sha-hmac",
			 NULL, "3508749671", KEY_3DES_A, KEY_SHA1_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-08-sunrise-sunset-esp-sha1.pcap");
	check_decaps(0xd1234567, 8);

	set_manual_entry("10", "192.1.2.23", "TS2", "esp-aes", "esp-sha-hmac",
			 "256", "3508749671", KEY_AES256_A, KEY_SHA1_A);
	{
		const char *pairs[] = {
			MAP "[sequence='10']/transform-set[.='TS']", NULL,
			NULL, NULL,
		};
		struct cfg_txn *txn = cfg_txn_begin(router.cfg);
		char err[256];

		cr_assert(cfg_txn_delete(txn, pairs[0]) == 0);
		cr_assert(cfg_txn_commit(txn, err, sizeof(err)) == 0, "%s",
			  err);
		dp_sync(router.dp);
	}
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-08-sunrise-sunset-aes.pcap");
	/* A new transform set makes a new SA with fresh counters. */
	check_decaps(0xd1234567, 8);
	cr_assert_eq(stat_decap_ok(), 16);
}

Test(capture, udp4500_decaps)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-08-sunrise-sunset-udpesp-ping.pcap");
	check_decaps(0x12345678, 8);
}

Test(capture, fragments_reassembled_then_decap)
{
	struct dp_stats st;

	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	dpt_replay(&router, "GigabitEthernet1", "openswan-espfrags1.pcap");
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.reassembled, 8);
	check_decaps(0x12345678, 8);
	cr_assert_eq(drops(DP_DROP_REASS_OVERLAP), 0);
}

/* Configures the two SAs of openswan-public-two-1.pcap, VPN 10 and 20. */
static void
set_public_two_sas(void)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "2286188373", KEY_3DES_A, KEY_MD5_A);
	set_manual_entry("20", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896",
			 "5464649494a4a4c4c4f4f515152525454575758404343454",
			 "65876587658765876587658765876587");
}

Test(capture, two_interleaved_sas_decap)
{
	set_public_two_sas();
	dpt_replay(&router, "GigabitEthernet1", "openswan-public-two-1.pcap");
	check_decaps(0x88447755, 8);
	check_decaps(0x12345678, 8);
}

Test(capture, ipdecap_aes_both_directions)
{
	set_interface("192.168.2.100", true);
	set_manual_entry("10", "192.168.2.101", "TS", "esp-aes",
			 "esp-sha-hmac", NULL, "135040102",
			 "deb3098e67577550f23ffb5ec3737c04",
			 "881ecd0b71431e1b6c35503d5258bda917505da3");
	dpt_replay(&router, "GigabitEthernet1",
		   "ipdecap-aes-cbc_hmac-sha1.cap");
	check_decaps(0x080c8c66, 133);

	/* The other direction: this router now plays the other peer. */
	set_interface("192.168.2.101", true);
	set_manual_entry("10", "192.168.2.100", "TS", "esp-aes",
			 "esp-sha-hmac", NULL, "187152668",
			 "2097f9f34c240ba5ee2139773c6d81f0",
			 "a7f7fa6b9abe8c35b92be4f522d236a448378eab");
	{
		struct cfg_txn *txn = cfg_txn_begin(router.cfg);
		char err[256];

		cr_assert(cfg_txn_delete(txn, MAP "[sequence='10']/peer"
					 "[.='192.168.2.101']") == 0);
		cr_assert(cfg_txn_commit(txn, err, sizeof(err)) == 0, "%s",
			  err);
		dp_sync(router.dp);
	}
	dpt_replay(&router, "GigabitEthernet1",
		   "ipdecap-aes-cbc_hmac-sha1.cap");
	check_decaps(0x0b27b91c, 117);
}

Test(capture, ipdecap_null_md5_verifies)
{
	set_interface("192.168.2.100", true);
	set_manual_entry("10", "192.168.2.101", "TS", "esp-null",
			 "esp-md5-hmac", NULL, "114568972", NULL,
			 "8e9559a23fb28bdc2150d945623b6ce7");
	dpt_replay(&router, "GigabitEthernet1", "ipdecap-null_hmac-md5.cap");
	check_decaps(0x06d42f0c, 128);
}

Test(capture, short_esp_is_malformed)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-01-sunrise-sunset-esp-short.pcap");
	cr_assert_eq(drops(DP_DROP_ESP_SHORT), 1);
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), 0);
	cr_assert_eq(stat_decap_ok(), 0);
}

/* The two captures share SPI 0xd1234567 and the integrity key. */
Test(capture, shared_spi_cross_never_decaps)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-sha-hmac",
			 NULL, "3508749671", KEY_3DES_A, KEY_SHA1_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-08-sunrise-sunset-aes.pcap");
	cr_assert_eq(stat_decap_ok(), 0);
	cr_assert_eq(drops(DP_DROP_ESP_AUTH) + drops(DP_DROP_ESP_PAD) +
		     drops(DP_DROP_ESP_BAD_LEN), 8);
	cr_assert_eq(sa_counters(0xd1234567).decaps_failed, 8);
}

Test(capture, shared_spi_cross_reverse_never_decaps)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-aes", "esp-sha-hmac",
			 "256", "3508749671", KEY_AES256_A, KEY_SHA1_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-08-sunrise-sunset-esp-sha1.pcap");
	cr_assert_eq(stat_decap_ok(), 0);
	cr_assert_eq(drops(DP_DROP_ESP_AUTH) + drops(DP_DROP_ESP_PAD) +
		     drops(DP_DROP_ESP_BAD_LEN), 8);
}

Test(capture, replayed_twice_counts_replays)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	cr_assert_eq(sa_counters(0x12345678).decaps, 8);
	cr_assert_eq(sa_counters(0x12345678).replay_failed, 8);
	cr_assert_eq(drops(DP_DROP_ESP_REPLAY), 8);
}

Test(capture, replayed_twice_logs_replay_error)
{
	struct dp_sa_info *sas = NULL;
	char line[128];
	int n;

	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	cr_assert_eq(dpt_log_count(&log_lines, "PKT_REPLAY_ERR"), 0);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	n = dp_get_sas(router.dp, &sas);
	cr_assert_eq(n, 1, "%d SAs installed", n);
	snprintf(line, sizeof(line), "%%CRYPTO-4-PKT_REPLAY_ERR: decrypt: "
		 "replay check failed connection id=%u", sas[0].conn_id);
	free(sas);
	/* Eight replayed packets within a minute make one line. */
	cr_assert_eq(dpt_log_count(&log_lines, line), 1);
	cr_assert_eq(dpt_log_count(&log_lines, "PKT_REPLAY_ERR"), 1);
	cr_assert_eq(dpt_log_count(&log_lines, "RECVD_PKT_MAC_ERR"), 0);
}

/* The replay error limit is per SA: each of two SAs logs its own line. */
Test(capture, replay_error_logged_per_sa)
{
	set_public_two_sas();
	for (int i = 0; i < 3; i++)
		dpt_replay(&router, "GigabitEthernet1",
			   "openswan-public-two-1.pcap");
	cr_assert_eq(sa_counters(0x88447755).replay_failed, 16);
	cr_assert_eq(sa_counters(0x12345678).replay_failed, 16);
	cr_assert_eq(dpt_log_count(&log_lines, "%CRYPTO-4-PKT_REPLAY_ERR: "
				   "decrypt: replay check failed connection "
				   "id="), 2);
}

Test(capture, unchanged_sa_keeps_counters)
{
	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	{
		const char *pairs[] = {
			"/vrouter-config:system/hostname", "R2",
			NULL, NULL,
		};

		dpt_commit(&router, pairs);
	}
	cr_assert_eq(sa_counters(0x12345678).decaps, 8);
}

/* ---- no SA: every ESP packet is an unknown SPI ---- */

struct sink_events {
	int n;
	struct dp_invalid_spi_event last;
};

static void
count_event(void *ctx, const struct dp_invalid_spi_event *ev)
{
	struct sink_events *s = ctx;

	s->n++;
	s->last = *ev;
}

struct no_sa_case {
	const char *file;
	const char *local;
	uint64_t packets;
	const char *line;
};

static void
check_no_sa(const struct no_sa_case *c)
{
	struct dp_stats st;
	unsigned code;
	const char *name;

	set_interface(c->local, false);
	dpt_replay(&router, "GigabitEthernet1", c->file);
	cr_assert_eq(dpt_global_drops(router.dp, "IpsecInput"), c->packets,
		     "%s: IpsecInput %lu", c->file, (unsigned long)
		     dpt_global_drops(router.dp, "IpsecInput"));
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), c->packets, "%s", c->file);
	/* Nothing else is dropped, apart from the ipdecap files' ARP and
	 * their DNS queries to a server this router has no route to. */
	cr_assert_eq(all_drops() - drops(DP_DROP_L2_UNSUPPORTED) -
		     drops(DP_DROP_IPV4_NO_ROUTE), c->packets,
		     "%s: %lu drops", c->file, (unsigned long)all_drops());
	cr_assert(dp_drop_feature(DP_DROP_ESP_NO_SA, &code, &name));
	cr_assert_eq(code, 4);
	cr_assert_str_eq(name, "IN_US_V4_PKT_SA_NOT_FOUND_SPI");
	cr_assert_eq(dpt_log_count(&log_lines, "%CRYPTO-4-RECVD_PKT_INV_SPI: "),
		     1, "%s: %zu lines", c->file,
		     dpt_log_count(&log_lines, "RECVD_PKT_INV_SPI"));
	cr_assert_eq(dpt_log_count(&log_lines, c->line), 1,
		     "%s: line \"%s\" missing", c->file, c->line);
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.invalid_spi_logged, 1);
	cr_assert_eq(st.invalid_spi_suppressed, c->packets - 1);
	cr_assert_eq(st.decap_ok, 0);
}

#define INV "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has " \
	    "invalid spi for "

Test(capture, no_sa_sunrise_unknown_spi)
{
	struct no_sa_case c = {
		"openswan-02-sunrise-sunset-esp.pcap", "192.1.2.45", 8,
		INV "destaddr=192.1.2.45, prot=50, spi=0x12345678(305419896), "
		"srcaddr=192.1.2.23, input interface=GigabitEthernet1",
	};
	struct sink_events ev = { 0 };

	dp_stop(router.dp);
	dp_set_invalid_spi_sink(router.dp, count_event, &ev);
	cr_assert(dp_start(router.dp) == 0);
	check_no_sa(&c);
	cr_assert_eq(ev.n, 1);
	cr_assert_eq(ev.last.spi, 0x12345678);
	cr_assert_eq(ev.last.proto, 50);
	cr_assert_str_eq(ev.last.ifname, "GigabitEthernet1");
	cr_assert_not(ev.last.udp_encap);
}

Test(capture, no_sa_sha1_unknown_spi)
{
	struct no_sa_case c = {
		"openswan-08-sunrise-sunset-esp-sha1.pcap", "192.1.2.45", 8,
		INV "destaddr=192.1.2.45, prot=50, spi=0xD1234567(3508749671), "
		"srcaddr=192.1.2.23, input interface=GigabitEthernet1",
	};

	check_no_sa(&c);
}

Test(capture, no_sa_udp4500_unknown_spi)
{
	struct no_sa_case c = {
		"openswan-08-sunrise-sunset-udpesp-ping.pcap", "192.1.2.45", 8,
		INV "destaddr=192.1.2.45, prot=50, spi=0x12345678(305419896), "
		"srcaddr=192.1.2.23, input interface=GigabitEthernet1",
	};

	check_no_sa(&c);
}

Test(capture, no_sa_fragments_unknown_spi)
{
	struct no_sa_case c = {
		"openswan-espfrags1.pcap", "192.1.2.45", 8,
		INV "destaddr=192.1.2.45, prot=50, spi=0x12345678(305419896), "
		"srcaddr=192.1.2.23, input interface=GigabitEthernet1",
	};

	check_no_sa(&c);
}

Test(capture, no_sa_ipdecap_unknown_spi)
{
	struct no_sa_case c = {
		"ipdecap-aes-cbc_hmac-sha1.cap", "192.168.2.100", 133,
		INV "destaddr=192.168.2.100, prot=50, spi=0x80C8C66(135040102), "
		"srcaddr=192.168.2.101, input interface=GigabitEthernet1",
	};

	check_no_sa(&c);
}

Test(capture, no_sa_two_flows_two_lines)
{
	set_interface("192.1.2.45", false);
	dpt_replay(&router, "GigabitEthernet1", "openswan-public-two-1.pcap");
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), 16);
	cr_assert_eq(dpt_global_drops(router.dp, "IpsecInput"), 16);
	cr_assert_eq(dpt_log_count(&log_lines, "RECVD_PKT_INV_SPI"), 2);
	cr_assert_eq(dpt_log_count(&log_lines, "spi=0x88447755(2286188373)"),
		     1);
	cr_assert_eq(dpt_log_count(&log_lines, "spi=0x12345678(305419896)"),
		     1);
}

Test(capture, natt_capture_sorted_by_kind)
{
	struct dp_stats st;

	/* The responder's side: 192.1.2.23 receives from 192.1.2.254. */
	set_interface("192.1.2.23", false);
	dpt_replay(&router, "GigabitEthernet1", "tcpdump-isakmp4500.pcap");
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.rx_packets, 35);
	/* UDP 500, and UDP 4500 with the non-ESP marker, go to IKE. */
	cr_assert_eq(st.ike_punted, 7);
	cr_assert_eq(st.nat_keepalive, 4);
	/* ESP in UDP 4500 with no SA configured. */
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), 8);
	cr_assert_eq(dpt_log_count(&log_lines,
				   "spi=0xF4DC0AE5(4108061413), "
				   "srcaddr=192.1.2.254"), 1);
	/* The other direction is routed on the connected network. */
	cr_assert_eq(st.forwarded, 8);
	cr_assert_eq(drops(DP_DROP_L2_UNSUPPORTED), 8);	/* ARP */
	cr_assert_eq(drops(DP_DROP_ESP_SHORT), 0);
	cr_assert_eq(st.decap_ok, 0);
}

Test(capture, bsd_loopback_link_type)
{
	struct dp_stats st;

	set_interface("192.1.2.23", false);
	dpt_replay(&router, "GigabitEthernet1", "tcpdump-ikev2pI2.pcap");
	dp_get_stats(router.dp, &st);
	cr_assert_eq(st.rx_packets, 2);
	cr_assert_eq(st.ike_punted, 2);
	cr_assert_eq(drops(DP_DROP_L2_UNSUPPORTED), 0);
}

Test(capture, clear_drops_zeroes_counters)
{
	set_interface("192.1.2.45", false);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), 8);
	dp_clear_drops(router.dp);
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), 0);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), 8);
}

/* ---- SAs installed at run time, as IKE will ---- */

Test(capture, added_sa_decaps_until_deleted)
{
	struct dp_sa_cfg sa = { .map = "VPN", .map_seq = 10,
				.ifname = "GigabitEthernet1",
				.transform = "esp-3des esp-md5-hmac" };

	set_interface("192.1.2.45", true);
	sa.params.spi = 0x12345678;
	sa.params.tunnel = true;
	sa.params.cipher = DP_CIPHER_3DES_CBC;
	sa.params.cipher_key_len = dpt_hex(KEY_3DES_A, sa.params.cipher_key,
					   sizeof(sa.params.cipher_key));
	sa.params.integ = DP_INTEG_HMAC_MD5_96;
	sa.params.integ_key_len = dpt_hex(KEY_MD5_A, sa.params.integ_key,
					  sizeof(sa.params.integ_key));
	sa.params.replay_window = 64;
	inet_pton(AF_INET, "192.1.2.23", &sa.params.src);
	inet_pton(AF_INET, "192.1.2.45", &sa.params.dst);
	cr_assert(dp_sa_add(router.dp, &sa) == 0);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	check_decaps(0x12345678, 8);

	/* A config commit keeps the negotiated SA and its counters. */
	{
		const char *pairs[] = {
			"/vrouter-config:system/hostname", "R2",
			NULL, NULL,
		};

		dpt_commit(&router, pairs);
	}
	cr_assert_eq(sa_counters(0x12345678).decaps, 8);

	/* Deleted, as after a DELETE from the peer: unknown SPI again. */
	cr_assert(dp_sa_delete(router.dp, false, sa.params.dst,
			       0x12345678) == 0);
	dpt_replay(&router, "GigabitEthernet1",
		   "openswan-02-sunrise-sunset-esp.pcap");
	cr_assert_eq(drops(DP_DROP_ESP_NO_SA), 8);
	cr_assert_eq(dpt_log_count(&log_lines, "RECVD_PKT_INV_SPI"), 1);
}

Test(capture, clear_sas_drops_added_ones)
{
	struct dp_sa_cfg sa = { .map = "VPN", .map_seq = 10 };
	struct dp_sa_info *sas = NULL;

	set_interface("192.1.2.45", true);
	set_manual_entry("10", "192.1.2.23", "TS", "esp-3des", "esp-md5-hmac",
			 NULL, "305419896", KEY_3DES_A, KEY_MD5_A);
	sa.params.spi = 0x5000;
	sa.params.cipher = DP_CIPHER_NULL;
	sa.params.integ = DP_INTEG_NONE;
	inet_pton(AF_INET, "192.1.2.45", &sa.params.dst);
	cr_assert(dp_sa_add(router.dp, &sa) == 0);
	cr_assert_eq(dp_get_sas(router.dp, &sas), 2);
	free(sas);
	dp_clear_sas(router.dp);
	cr_assert_eq(dp_get_sas(router.dp, &sas), 1);
	cr_assert_eq(sas[0].params.spi, 0x12345678);
	free(sas);
}
