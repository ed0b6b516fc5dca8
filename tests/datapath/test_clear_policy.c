/*
 * Clear packets that a crypto map says should have come in encrypted.
 * Gi1 carries crypto map VPN, whose entry 10 protects 192.168.1.0/24 to
 * 192.168.2.0/24. A clear packet arriving on Gi1 from 192.168.2.0/24 to
 * 192.168.1.0/24 is the mirror of that ACL: it is dropped as
 * IN_US_CL_V4_PKT_FAILED_POLICY under IpsecInput and logged as
 * RECVD_PKT_NOT_IPSEC, once a minute per flow. Other clear traffic, the
 * same packet on an interface without the map, and IKE to the router
 * pass.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>

#include "dp_test.h"

#define IF(n) "/vrouter-config:interfaces/interface[name='" n "']"
#define GI1 IF("GigabitEthernet1")
#define GI2 IF("GigabitEthernet2")
#define MAP "/vrouter-config:crypto/map[name='VPN']/entry[sequence='10']"
#define ACL "/vrouter-config:access-lists/access-list[name='VPN-ACL']"
#define ACE(n) ACL "/entry[sequence='" n "']"

#define PROTO_ICMP 1
#define PROTO_UDP 17

static struct dpt_router r;
static struct dpt_log log_lines;

static void
setup(void)
{
	static const char *const pairs[] = {
		GI1 "/ipv4/address", "10.0.0.1",
		GI1 "/ipv4/mask", "255.255.255.0",
		GI1 "/crypto-map", "VPN",
		GI2 "/ipv4/address", "192.168.1.254",
		GI2 "/ipv4/mask", "255.255.255.0",
		"/vrouter-config:routing/static-route[prefix='192.168.2.0']"
		"[mask='255.255.255.0'][next-hop='10.0.0.2']", NULL,
		ACL "/type", "extended",
		ACE("10") "/action", "permit",
		ACE("10") "/protocol", "ip",
		ACE("10") "/source/address", "192.168.1.0",
		ACE("10") "/source/wildcard", "0.0.0.255",
		ACE("10") "/destination/address", "192.168.2.0",
		ACE("10") "/destination/wildcard", "0.0.0.255",
		ACE("20") "/action", "permit",
		ACE("20") "/protocol", "ip",
		ACE("20") "/source/address", "10.0.0.1",
		ACE("20") "/source/wildcard", "0.0.0.0",
		ACE("20") "/destination/address", "10.0.0.2",
		ACE("20") "/destination/wildcard", "0.0.0.0",
		MAP "/type", "ipsec-isakmp",
		MAP "/match-address", "VPN-ACL",
		MAP "/peer[.='10.0.0.2']", NULL,
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

TestSuite(clear_policy, .init = setup, .fini = teardown);

static uint16_t
checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A 48-octet IPv4 packet of PROTO from SRC to DST; UDP gets source port
 * SPORT and destination port DPORT, ICMP an echo request. */
static size_t
ip_packet(uint8_t *p, const char *src, const char *dst, uint8_t proto,
	  uint16_t sport, uint16_t dport)
{
	const size_t len = 48;
	uint16_t ck;

	memset(p, 0, len);
	p[0] = 0x45;
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	ck = checksum(p, 20);
	p[10] = (uint8_t)(ck >> 8);
	p[11] = (uint8_t)ck;
	if (proto == PROTO_UDP) {
		p[20] = (uint8_t)(sport >> 8);
		p[21] = (uint8_t)sport;
		p[22] = (uint8_t)(dport >> 8);
		p[23] = (uint8_t)dport;
		p[25] = (uint8_t)(len - 20);
	} else {
		p[20] = 8;
	}
	return len;
}

/* Packets counted under IPsec feature drop CODE. */
static uint64_t
feature_drops(unsigned code)
{
	struct dp_drop_stats st;
	uint64_t n = 0;

	dp_get_drops(r.dp, &st);
	for (int d = 0; d < DP_DROP_COUNT; d++) {
		unsigned c;
		const char *name;

		if (dp_drop_feature(d, &c, &name) && c == code) {
			cr_assert_str_eq(name, "IN_US_CL_V4_PKT_FAILED_POLICY");
			n += st.packets[d];
		}
	}
	return n;
}

static uint64_t
forwarded(void)
{
	struct dp_stats st;

	dp_get_stats(r.dp, &st);
	return st.forwarded;
}

Test(clear_policy, mirrored_clear_packet_dropped_and_logged_once)
{
	uint8_t p[64];
	size_t len = ip_packet(p, "192.168.2.10", "192.168.1.10", PROTO_ICMP,
			       0, 0);

	for (int i = 0; i < 5; i++)
		dpt_input(&r, "GigabitEthernet1", p, len);
	cr_assert_eq(feature_drops(8), 5);
	cr_assert_eq(dpt_global_drops(r.dp, "IpsecInput"), 5);
	cr_assert_eq(forwarded(), 0);
	cr_assert_eq(dpt_log_count(&log_lines,
		"%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC "
		"packet. (ip) vrf/dest_addr= /192.168.1.10, "
		"src_addr= 192.168.2.10, prot= 1"), 1);

	/* Another flow logs its own line. */
	len = ip_packet(p, "192.168.2.11", "192.168.1.10", PROTO_ICMP, 0, 0);
	dpt_input(&r, "GigabitEthernet1", p, len);
	cr_assert_eq(feature_drops(8), 6);
	cr_assert_eq(dpt_log_count(&log_lines, "RECVD_PKT_NOT_IPSEC"), 2);
}

Test(clear_policy, unprotected_traffic_forwarded)
{
	uint8_t p[64];
	size_t len;

	/* Outside the ACL's mirror. */
	len = ip_packet(p, "192.168.3.10", "192.168.1.10", PROTO_ICMP, 0, 0);
	dpt_input(&r, "GigabitEthernet1", p, len);
	/* The protected direction itself, arriving in clear from the LAN,
	 * is what the map encrypts, not a policy failure. */
	len = ip_packet(p, "192.168.1.10", "192.168.2.10", PROTO_ICMP, 0, 0);
	dpt_input(&r, "GigabitEthernet2", p, len);
	/* The mirror on the interface without the map. */
	len = ip_packet(p, "192.168.2.10", "192.168.1.10", PROTO_ICMP, 0, 0);
	dpt_input(&r, "GigabitEthernet2", p, len);
	cr_assert_eq(feature_drops(8), 0);
	cr_assert_eq(dpt_log_count(&log_lines, "RECVD_PKT_NOT_IPSEC"), 0);
	cr_assert_eq(forwarded(), 3, "forwarded %llu",
		     (unsigned long long)forwarded());
}

Test(clear_policy, peer_ike_passes_icmp_drops)
{
	uint8_t p[64];
	size_t len;

	/* Entry 20 names the peers themselves, as for GRE over a map. */
	len = ip_packet(p, "10.0.0.2", "10.0.0.1", PROTO_UDP, 500, 500);
	dpt_input(&r, "GigabitEthernet1", p, len);
	len = ip_packet(p, "10.0.0.2", "10.0.0.1", PROTO_UDP, 4500, 4500);
	dpt_input(&r, "GigabitEthernet1", p, len);
	cr_assert_eq(feature_drops(8), 0);
	len = ip_packet(p, "10.0.0.2", "10.0.0.1", PROTO_ICMP, 0, 0);
	dpt_input(&r, "GigabitEthernet1", p, len);
	cr_assert_eq(feature_drops(8), 1);
	cr_assert_eq(dpt_log_count(&log_lines,
		"vrf/dest_addr= /10.0.0.1, src_addr= 10.0.0.2, prot= 1"), 1);
}
