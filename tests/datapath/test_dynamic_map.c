/*
 * Negotiated SAs of a dynamic crypto map entry on one datapath fed with
 * dp_input_batch(). The selector of each outbound SA decides, packet by
 * packet, which SA encrypts it, and a packet outside every selector
 * leaves in clear. A static entry with a lower sequence number is
 * checked first. A decrypted packet outside the inbound SA's selector
 * is dropped and counted as #pkts invalid identity (recv). What leaves
 * is read back from `monitor capture` points.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "dp_test.h"

#define IF(n) "/vrouter-config:interfaces/interface[name='" n "']"
#define GI1 IF("GigabitEthernet1")
#define GI2 IF("GigabitEthernet2")
#define TS "/vrouter-config:crypto/ipsec/transform-set[name='TS']"
#define MAP "/vrouter-config:crypto/map[name='VPN']"
#define DYN "/vrouter-config:crypto/dynamic-map[name='DYN']/entry[sequence='10']"
#define ACL "/vrouter-config:access-lists/access-list[name='STATIC-ACL']"
#define ACE ACL "/entry[sequence='10']"

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_ESP 50

static struct dpt_router r;
static struct dpt_log log_lines;

/*
 * Gi1 10.0.0.1/24 towards the peers with crypto map VPN: entry 20 is
 * `ipsec-isakmp dynamic DYN`. Gi2 is the LAN 192.168.1.254/24, and the
 * default route leads out of Gi1.
 */
static void
setup(void)
{
	static const char *const pairs[] = {
		GI1 "/ipv4/address", "10.0.0.1",
		GI1 "/ipv4/mask", "255.255.255.0",
		GI1 "/crypto-map", "VPN",
		GI2 "/ipv4/address", "192.168.1.254",
		GI2 "/ipv4/mask", "255.255.255.0",
		"/vrouter-config:routing/static-route[prefix='0.0.0.0']"
		"[mask='0.0.0.0'][next-hop='10.0.0.254']", NULL,
		TS "/transform[.='esp-aes']", NULL,
		TS "/transform[.='esp-sha-hmac']", NULL,
		DYN "/transform-set[.='TS']", NULL,
		MAP "/entry[sequence='20']/type", "ipsec-isakmp",
		MAP "/entry[sequence='20']/dynamic", "DYN",
		NULL, NULL,
	};

	dpt_log_start(&log_lines);
	dpt_router_start(&r, false);
	dpt_commit(&r, pairs);
	dp_poll(r.dp);
}

static void
teardown(void)
{
	dpt_router_stop(&r);
	dpt_log_stop(&log_lines);
}

TestSuite(dynamic_map, .init = setup, .fini = teardown);

/* ---- packet building, independent of the datapath's own code ---- */

static uint32_t
addr(const char *text)
{
	uint32_t a;

	cr_assert_eq(inet_pton(AF_INET, text, &a), 1);
	return a;
}

static uint16_t
checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len % 2)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A 60-octet IPv4 packet of PROTO from SRC to DST; a TCP packet gets
 * source port 40000 and destination port DPORT. */
static size_t
ip_packet(uint8_t *p, const char *src, const char *dst, uint8_t proto,
	  uint16_t dport)
{
	const size_t len = 60;
	uint16_t ck;

	memset(p, 0, len);
	p[0] = 0x45;
	p[3] = (uint8_t)len;
	p[5] = 9;
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	ck = checksum(p, 20);
	p[10] = (uint8_t)(ck >> 8);
	p[11] = (uint8_t)ck;
	if (proto == PROTO_TCP) {
		p[20] = 40000 >> 8;
		p[21] = 40000 & 0xff;
		p[22] = (uint8_t)(dport >> 8);
		p[23] = (uint8_t)dport;
		p[32] = 0x50;
	} else {
		p[20] = 8;	/* echo request */
	}
	return len;
}

/* ---- SAs as the IKE manager installs them ---- */

/*
 * One SA of VPN 20 between 10.0.0.1 and PEER whose selector is
 * 192.168.1.0/24 to REMOTE/24, PROTO and remote PORT (0: any). Keys are
 * derived from SPI so the test can build the peer's copy.
 */
static struct dp_sa_cfg
dynamic_sa(uint32_t spi, bool outbound, const char *peer, const char *remote,
	   uint8_t proto, uint16_t port)
{
	struct dp_sa_cfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.map, sizeof(c.map), "VPN");
	c.map_seq = 20;
	snprintf(c.ifname, sizeof(c.ifname), "GigabitEthernet1");
	snprintf(c.transform, sizeof(c.transform), "esp-aes esp-sha-hmac");
	c.params.spi = spi;
	c.params.outbound = outbound;
	c.params.tunnel = true;
	c.params.cipher = DP_CIPHER_AES_CBC;
	c.params.cipher_key_len = 16;
	memset(c.params.cipher_key, (int)(spi & 0xff), 16);
	c.params.integ = DP_INTEG_HMAC_SHA1_96;
	c.params.integ_key_len = 20;
	memset(c.params.integ_key, (int)(spi >> 24), 20);
	c.params.replay_window = outbound ? 0 : 64;
	c.params.src = outbound ? addr("10.0.0.1") : addr(peer);
	c.params.dst = outbound ? addr(peer) : addr("10.0.0.1");
	c.has_selector = true;
	c.selector.local = addr("192.168.1.0");
	c.selector.local_mask = addr("255.255.255.0");
	c.selector.remote = addr(remote);
	c.selector.remote_mask = addr("255.255.255.0");
	c.selector.proto = proto;
	c.selector.remote_port = port;
	return c;
}

static void
install_pair(uint32_t spi_in, uint32_t spi_out, const char *peer,
	     const char *remote, uint8_t proto, uint16_t port)
{
	struct dp_sa_cfg pair[2];
	char err[128] = "";

	pair[0] = dynamic_sa(spi_in, false, peer, remote, proto, port);
	pair[1] = dynamic_sa(spi_out, true, peer, remote, proto, port);
	cr_assert_eq(dp_sa_install_n(r.dp, pair, 2, err, sizeof(err)), 0,
		     "%s", err);
}

/* ---- capture ---- */

static void
capture(const char *name, const char *ifname)
{
	struct dp_capture_cfg c = { .dir = DP_CAPTURE_OUT, .match_any = true };
	char err[160] = "";

	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.ifname, sizeof(c.ifname), "%s", ifname);
	cr_assert_eq(dp_capture_op(r.dp, DP_CAPTURE_SET, &c, err,
				   sizeof(err)), 0, "%s", err);
	cr_assert_eq(dp_capture_op(r.dp, DP_CAPTURE_START, &c, err,
				   sizeof(err)), 0, "%s", err);
}

static void
delete_capture(const char *name)
{
	struct dp_capture_cfg c = { 0 };
	char err[160] = "";

	snprintf(c.name, sizeof(c.name), "%s", name);
	cr_assert_eq(dp_capture_op(r.dp, DP_CAPTURE_DELETE, &c, err,
				   sizeof(err)), 0, "%s", err);
}

/* Sends P in on Gi2 and returns the one packet that left Gi1 in S. */
static const struct dp_capture_pkt *
send_one(const uint8_t *p, size_t len, struct dp_capture_snapshot *s)
{
	char err[160] = "";

	capture("WAN", "GigabitEthernet1");
	dpt_input(&r, "GigabitEthernet2", p, len);
	cr_assert_eq(dp_capture_snapshot(r.dp, "WAN", s, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(s->n, 1, "%zu packets left Gi1", s->n);
	delete_capture("WAN");
	return &s->pkts[0];
}

/*
 * Checks that PKT is ESP from 10.0.0.1 to PEER under SPI and that the
 * peer's copy of the SA decrypts it to INNER with its TTL lowered.
 */
static void
expect_esp(const struct dp_capture_pkt *pkt, uint32_t spi, const char *peer,
	   const char *remote, const uint8_t *inner, size_t inner_len)
{
	struct dp_sa_cfg copy = dynamic_sa(spi, false, peer, remote, 0, 0);
	uint8_t ip[512], *esp = ip + 20;
	uint8_t want[64];
	struct dp_esp_result res;
	struct dp_esp_sa *sa;
	char err[160] = "";
	uint16_t ck;

	/* Decryption works in place: on a copy, not the capture. */
	cr_assert_leq(pkt->len, sizeof(ip));
	cr_assert_gt(pkt->len, 28);
	memcpy(ip, pkt->data, pkt->len);
	cr_assert_eq(ip[9], PROTO_ESP, "left in clear, protocol %u", ip[9]);
	cr_assert_eq(memcmp(ip + 16, &copy.params.src, 4), 0,
		     "ESP went to the wrong peer");
	cr_assert_eq((uint32_t)esp[0] << 24 | (uint32_t)esp[1] << 16 |
		     (uint32_t)esp[2] << 8 | esp[3], spi,
		     "wrong SPI 0x%02X%02X%02X%02X", esp[0], esp[1], esp[2],
		     esp[3]);
	/* The peer's copy: the same keys, swapped ends, to decrypt. */
	copy.params.src = addr("10.0.0.1");
	copy.params.dst = addr(peer);
	sa = dp_esp_sa_create(&copy.params, err, sizeof(err));
	cr_assert_not_null(sa, "%s", err);
	cr_assert_eq(dp_esp_decap(sa, esp, pkt->len - 20, &res), DP_ESP_OK);
	cr_assert_eq(res.payload_len, inner_len);
	memcpy(want, inner, inner_len);
	want[8]--;
	want[10] = want[11] = 0;
	ck = checksum(want, 20);
	want[10] = (uint8_t)(ck >> 8);
	want[11] = (uint8_t)ck;
	cr_assert_arr_eq(esp + res.payload_off, want, inner_len,
			 "inner packet differs");
	dp_esp_sa_free(sa);
}

/* Checks that PKT left in clear, still addressed to DST. */
static void
expect_clear(const struct dp_capture_pkt *pkt, const char *dst)
{
	uint32_t want = addr(dst);

	cr_assert_neq(pkt->data[9], PROTO_ESP, "encrypted by a dynamic SA");
	cr_assert_eq(memcmp(pkt->data + 16, &want, 4), 0);
}

/* ---- outbound ---- */

/* Two peers behind one dynamic entry: each packet goes to the SA whose
 * remote proxy covers its destination, others leave in clear. */
Test(dynamic_map, selector_picks_sa_per_packet)
{
	struct dp_capture_snapshot s;
	uint8_t p[64];
	size_t n;

	install_pair(0xC0000002, 0x80000002, "10.0.0.2", "192.168.2.0", 0, 0);
	install_pair(0xC0000003, 0x80000003, "10.0.0.3", "192.168.3.0", 0, 0);

	n = ip_packet(p, "192.168.1.10", "192.168.2.7", PROTO_ICMP, 0);
	expect_esp(send_one(p, n, &s), 0x80000002, "10.0.0.2", "192.168.2.0",
		   p, n);
	dp_capture_snapshot_free(&s);

	n = ip_packet(p, "192.168.1.10", "192.168.3.7", PROTO_ICMP, 0);
	expect_esp(send_one(p, n, &s), 0x80000003, "10.0.0.3", "192.168.3.0",
		   p, n);
	dp_capture_snapshot_free(&s);

	n = ip_packet(p, "192.168.1.10", "192.168.4.7", PROTO_ICMP, 0);
	expect_clear(send_one(p, n, &s), "192.168.4.7");
	dp_capture_snapshot_free(&s);
}

/* dp_peer_traffic() sums each peer's own SAs: what on-demand DPD reads. */
Test(dynamic_map, peer_traffic_per_peer)
{
	struct dp_capture_snapshot s;
	uint64_t in = 9, out = 9;
	uint8_t p[64];
	size_t n;

	install_pair(0xC0000002, 0x80000002, "10.0.0.2", "192.168.2.0", 0, 0);
	install_pair(0xC0000003, 0x80000003, "10.0.0.3", "192.168.3.0", 0, 0);
	n = ip_packet(p, "192.168.1.10", "192.168.2.7", PROTO_ICMP, 0);
	send_one(p, n, &s);
	dp_capture_snapshot_free(&s);
	n = ip_packet(p, "192.168.1.10", "192.168.2.8", PROTO_ICMP, 0);
	send_one(p, n, &s);
	dp_capture_snapshot_free(&s);

	cr_assert_eq(dp_peer_traffic(r.dp, addr("10.0.0.2"), &in, &out), 0);
	cr_assert_eq(out, 2);
	cr_assert_eq(in, 0);
	cr_assert_eq(dp_peer_traffic(r.dp, addr("10.0.0.3"), &in, &out), 0);
	cr_assert_eq(out, 0);
	cr_assert_eq(in, 0);
}

/* The local proxy counts too: another LAN source is not covered. */
Test(dynamic_map, local_proxy_must_match)
{
	struct dp_capture_snapshot s;
	uint8_t p[64];
	size_t n;

	install_pair(0xC0000002, 0x80000002, "10.0.0.2", "192.168.2.0", 0, 0);
	n = ip_packet(p, "192.168.9.10", "192.168.2.7", PROTO_ICMP, 0);
	expect_clear(send_one(p, n, &s), "192.168.2.7");
	dp_capture_snapshot_free(&s);
}

/* A selector for TCP port 80 takes that traffic and nothing else. */
Test(dynamic_map, protocol_and_port_selector)
{
	struct dp_capture_snapshot s;
	uint8_t p[64];
	size_t n;

	install_pair(0xC0000004, 0x80000004, "10.0.0.4", "192.168.2.0",
		     PROTO_TCP, 80);

	n = ip_packet(p, "192.168.1.10", "192.168.2.7", PROTO_TCP, 80);
	expect_esp(send_one(p, n, &s), 0x80000004, "10.0.0.4", "192.168.2.0",
		   p, n);
	dp_capture_snapshot_free(&s);

	n = ip_packet(p, "192.168.1.10", "192.168.2.7", PROTO_TCP, 443);
	expect_clear(send_one(p, n, &s), "192.168.2.7");
	dp_capture_snapshot_free(&s);

	n = ip_packet(p, "192.168.1.10", "192.168.2.7", PROTO_ICMP, 0);
	expect_clear(send_one(p, n, &s), "192.168.2.7");
	dp_capture_snapshot_free(&s);
}

/* After a rekey of one peer's SAs the newer outbound SA takes over. */
Test(dynamic_map, rekeyed_sa_takes_over)
{
	struct dp_capture_snapshot s;
	uint8_t p[64];
	size_t n;

	install_pair(0xC0000002, 0x80000002, "10.0.0.2", "192.168.2.0", 0, 0);
	install_pair(0xC0000012, 0x80000012, "10.0.0.2", "192.168.2.0", 0, 0);
	n = ip_packet(p, "192.168.1.10", "192.168.2.7", PROTO_ICMP, 0);
	expect_esp(send_one(p, n, &s), 0x80000012, "10.0.0.2", "192.168.2.0",
		   p, n);
	dp_capture_snapshot_free(&s);
}

/* Once the SA is removed, its traffic no longer matches the entry. */
Test(dynamic_map, removed_sa_no_longer_matches)
{
	struct dp_capture_snapshot s;
	uint8_t p[64];
	size_t n;

	install_pair(0xC0000002, 0x80000002, "10.0.0.2", "192.168.2.0", 0, 0);
	cr_assert_eq(dp_sa_remove(r.dp, true, addr("10.0.0.2"), 0x80000002),
		     0);
	n = ip_packet(p, "192.168.1.10", "192.168.2.7", PROTO_ICMP, 0);
	expect_clear(send_one(p, n, &s), "192.168.2.7");
	dp_capture_snapshot_free(&s);
}

/*
 * A static entry at sequence 10 whose ACL permits the packet takes it
 * before the dynamic entry at 20 is looked at: with no SA of its own
 * yet, the packet is dropped and IKE is asked for one.
 */
Test(dynamic_map, static_entry_checked_first)
{
	static const char *const pairs[] = {
		ACL "/type", "extended",
		ACE "/action", "permit",
		ACE "/protocol", "ip",
		ACE "/source/address", "192.168.1.0",
		ACE "/source/wildcard", "0.0.0.255",
		ACE "/destination/address", "192.168.2.0",
		ACE "/destination/wildcard", "0.0.0.255",
		MAP "/entry[sequence='10']/type", "ipsec-isakmp",
		MAP "/entry[sequence='10']/peer[.='10.0.0.9']", NULL,
		MAP "/entry[sequence='10']/transform-set[.='TS']", NULL,
		MAP "/entry[sequence='10']/match-address", "STATIC-ACL",
		NULL, NULL,
	};
	struct dp_capture_snapshot s;
	char err[160] = "";
	uint8_t p[64];
	size_t n;

	dpt_commit(&r, pairs);
	dp_poll(r.dp);
	install_pair(0xC0000002, 0x80000002, "10.0.0.2", "192.168.2.0", 0, 0);

	capture("WAN", "GigabitEthernet1");
	n = ip_packet(p, "192.168.1.10", "192.168.2.7", PROTO_ICMP, 0);
	dpt_input(&r, "GigabitEthernet2", p, n);
	cr_assert_eq(dp_capture_snapshot(r.dp, "WAN", &s, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(s.n, 0, "the dynamic SA took the static entry's packet");
	cr_assert_eq(dpt_global_drops(r.dp, "IpsecIkeIndicate"), 1);
	dp_capture_snapshot_free(&s);
	delete_capture("WAN");

	/* Outside the static ACL, the dynamic entry still applies. */
	install_pair(0xC0000003, 0x80000003, "10.0.0.3", "192.168.3.0", 0, 0);
	n = ip_packet(p, "192.168.1.10", "192.168.3.7", PROTO_ICMP, 0);
	expect_esp(send_one(p, n, &s), 0x80000003, "10.0.0.3", "192.168.3.0",
		   p, n);
	dp_capture_snapshot_free(&s);
}

/* ---- inbound ---- */

/* ESP from PEER under inbound SPI with sequence number SEQ carrying
 * INNER, built as the peer builds it. */
static size_t
peer_esp(uint32_t spi, uint64_t seq, const char *peer, const char *remote,
	 const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap)
{
	struct dp_sa_cfg c = dynamic_sa(spi, false, peer, remote, 0, 0);
	struct dp_esp_sa *sa;
	enum dp_esp_status st;
	char err[160] = "";
	size_t n;

	c.params.outbound = true;
	c.params.seq_start = seq;
	sa = dp_esp_sa_create(&c.params, err, sizeof(err));
	cr_assert_not_null(sa, "%s", err);
	n = dp_esp_encap_ipv4(sa, inner, inner_len, out, cap, &st);
	cr_assert_gt(n, 0);
	dp_esp_sa_free(sa);
	return n;
}

/* The SA's counters of #pkts decaps and invalid identity (recv). */
static void
inbound_counters(uint32_t spi, uint64_t *decaps, uint64_t *invalid_ident)
{
	struct dp_sa_counters c = dpt_inbound_counters(r.dp, spi);

	*decaps = c.decaps;
	*invalid_ident = c.invalid_ident;
}

/*
 * A decrypted packet from the peer's proxy network reaches the LAN; one
 * from outside it is dropped, counted on the SA as invalid identity and
 * under its own drop reason.
 */
Test(dynamic_map, inbound_outside_selector_dropped)
{
	struct dp_capture_snapshot s;
	struct dp_drop_stats drops;
	uint64_t decaps, invalid_ident;
	uint32_t inside = addr("192.168.2.7");
	char err[160] = "";
	uint8_t inner[64], pkt[256];
	size_t n, m;

	install_pair(0xC0000002, 0x80000002, "10.0.0.2", "192.168.2.0", 0, 0);
	capture("LAN", "GigabitEthernet2");

	n = ip_packet(inner, "192.168.2.7", "192.168.1.10", PROTO_ICMP, 0);
	m = peer_esp(0xC0000002, 1, "10.0.0.2", "192.168.2.0", inner, n, pkt,
		     sizeof(pkt));
	dpt_input(&r, "GigabitEthernet1", pkt, m);
	n = ip_packet(inner, "192.168.8.7", "192.168.1.10", PROTO_ICMP, 0);
	m = peer_esp(0xC0000002, 2, "10.0.0.2", "192.168.2.0", inner, n, pkt,
		     sizeof(pkt));
	dpt_input(&r, "GigabitEthernet1", pkt, m);

	cr_assert_eq(dp_capture_snapshot(r.dp, "LAN", &s, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(s.n, 1, "%zu packets reached the LAN", s.n);
	cr_assert_eq(memcmp(s.pkts[0].data + 12, &inside, 4), 0,
		     "the packet outside the selector reached the LAN");
	dp_capture_snapshot_free(&s);
	inbound_counters(0xC0000002, &decaps, &invalid_ident);
	cr_assert_eq(decaps, 2);
	cr_assert_eq(invalid_ident, 1);
	dp_get_drops(r.dp, &drops);
	cr_assert_eq(drops.packets[DP_DROP_ESP_INVALID_IDENT], 1);
}

/* An SA without a selector, as a manual one, checks no inner address. */
Test(dynamic_map, no_selector_no_inbound_check)
{
	struct dp_sa_cfg in = dynamic_sa(0xC0000005, false, "10.0.0.5",
					 "192.168.2.0", 0, 0);
	struct dp_drop_stats drops;
	uint64_t decaps, invalid_ident;
	char err[160] = "";
	uint8_t inner[64], pkt[256];
	size_t n, m;

	in.has_selector = false;
	cr_assert_eq(dp_sa_install_n(r.dp, &in, 1, err, sizeof(err)), 0,
		     "%s", err);
	n = ip_packet(inner, "192.168.8.7", "192.168.1.10", PROTO_ICMP, 0);
	m = peer_esp(0xC0000005, 1, "10.0.0.5", "192.168.2.0", inner, n, pkt,
		     sizeof(pkt));
	dpt_input(&r, "GigabitEthernet1", pkt, m);
	inbound_counters(0xC0000005, &decaps, &invalid_ident);
	cr_assert_eq(decaps, 1);
	cr_assert_eq(invalid_ident, 0);
	dp_get_drops(r.dp, &drops);
	cr_assert_eq(drops.packets[DP_DROP_ESP_INVALID_IDENT], 0);
}

/* Rewrites the TCP source port of P (the IPv4 header is untouched). */
static void
set_source_port(uint8_t *p, uint16_t port)
{
	p[20] = (uint8_t)(port >> 8);
	p[21] = (uint8_t)port;
}

/* Turns P into a later fragment at offset 1480, checksum updated. */
static void
make_later_fragment(uint8_t *p)
{
	uint16_t ck;

	p[6] = 0;
	p[7] = 1480 / 8;
	p[10] = p[11] = 0;
	ck = checksum(p, 20);
	p[10] = (uint8_t)(ck >> 8);
	p[11] = (uint8_t)ck;
}

/*
 * Inbound under a selector for TCP port 80 of the peer's side: a
 * segment from port 80 passes, one from port 443 is an invalid
 * identity, and a later fragment, which has no ports, passes on its
 * addresses and protocol.
 */
Test(dynamic_map, inbound_port_selector)
{
	uint64_t decaps, invalid_ident;
	uint8_t inner[64], pkt[256];
	size_t n, m;

	install_pair(0xC0000004, 0x80000004, "10.0.0.4", "192.168.2.0",
		     PROTO_TCP, 80);

	n = ip_packet(inner, "192.168.2.7", "192.168.1.10", PROTO_TCP, 40000);
	set_source_port(inner, 80);
	m = peer_esp(0xC0000004, 1, "10.0.0.4", "192.168.2.0", inner, n, pkt,
		     sizeof(pkt));
	dpt_input(&r, "GigabitEthernet1", pkt, m);
	inbound_counters(0xC0000004, &decaps, &invalid_ident);
	cr_assert_eq(decaps, 1);
	cr_assert_eq(invalid_ident, 0, "port 80 rejected");

	set_source_port(inner, 443);
	m = peer_esp(0xC0000004, 2, "10.0.0.4", "192.168.2.0", inner, n, pkt,
		     sizeof(pkt));
	dpt_input(&r, "GigabitEthernet1", pkt, m);
	inbound_counters(0xC0000004, &decaps, &invalid_ident);
	cr_assert_eq(decaps, 2);
	cr_assert_eq(invalid_ident, 1, "port 443 accepted");

	make_later_fragment(inner);
	m = peer_esp(0xC0000004, 3, "10.0.0.4", "192.168.2.0", inner, n, pkt,
		     sizeof(pkt));
	dpt_input(&r, "GigabitEthernet1", pkt, m);
	inbound_counters(0xC0000004, &decaps, &invalid_ident);
	cr_assert_eq(decaps, 3);
	cr_assert_eq(invalid_ident, 1, "a later fragment was rejected");
}
