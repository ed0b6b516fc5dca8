/*
 * Forwarding on one datapath fed with dp_input_batch(): TTL expiry and
 * the time-exceeded it sends, host unreachable, fragmentation at an
 * `ip mtu`, fragmentation-needed for a DF packet, and `ip tcp
 * adjust-mss`. What leaves is read back from a `monitor capture` point
 * on the egress interface.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>

#include <pcap/pcap.h>

#include "dp_test.h"

#define GI1 "/vrouter-config:interfaces/interface[name='GigabitEthernet1']"
#define GI2 "/vrouter-config:interfaces/interface[name='GigabitEthernet2']"

static struct dpt_router r;
static struct dpt_log log_lines;

static void
setup(void)
{
	static const char *const pairs[] = {
		GI1 "/ipv4/address", "10.1.0.1",
		GI1 "/ipv4/mask", "255.255.255.0",
		GI2 "/ipv4/address", "10.2.0.1",
		GI2 "/ipv4/mask", "255.255.255.0",
		GI2 "/ip-mtu", "576",
		GI2 "/tcp-adjust-mss", "1360",
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

TestSuite(forward, .init = setup, .fini = teardown);

static uint16_t
sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len % 2)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* An IPv4 packet of LEN octets from 10.1.0.2 to 10.2.0.2. */
static size_t
ip_packet(uint8_t *p, size_t len, uint8_t proto, uint8_t ttl, bool df)
{
	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[5] = 7;
	p[6] = df ? 0x40 : 0;
	p[8] = ttl;
	p[9] = proto;
	inet_pton(AF_INET, "10.1.0.2", p + 12);
	inet_pton(AF_INET, "10.2.0.2", p + 16);
	{
		uint16_t ck = (uint16_t)~sum16(p, 20, 0);

		p[10] = (uint8_t)(ck >> 8);
		p[11] = (uint8_t)ck;
	}
	return len;
}

/* Starts capture point NAME on IFNAME in direction out. */
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
snapshot(const char *name, struct dp_capture_snapshot *s)
{
	char err[160] = "";

	cr_assert_eq(dp_capture_snapshot(r.dp, name, s, err, sizeof(err)), 0,
		     "%s", err);
}

Test(forward, ttl_expiry_sends_time_exceeded)
{
	uint8_t p[100];
	struct dp_capture_snapshot s;
	struct dp_stats st;

	capture("BACK", "GigabitEthernet1");
	dpt_input(&r, "GigabitEthernet1", p, ip_packet(p, sizeof(p), 17, 1, false));
	cr_assert_eq(dpt_global_drops(r.dp, "Ipv4TtlExceeded"), 1);
	dp_get_stats(r.dp, &st);
	cr_assert_eq(st.icmp_out, 1);
	snapshot("BACK", &s);
	cr_assert_eq(s.n, 1, "%zu packets went back", s.n);
	cr_assert_eq(s.pkts[0].data[9], 1, "not ICMP");
	cr_assert_eq(s.pkts[0].data[20], 11, "not time exceeded");
	cr_assert_eq(memcmp(s.pkts[0].data + 12, "\x0a\x01\x00\x01", 4), 0,
		     "not from the input interface's address");
	cr_assert_eq(memcmp(s.pkts[0].data + 28, p, 20), 0,
		     "the original header is not quoted");
	cr_assert_eq(sum16(s.pkts[0].data + 20, s.pkts[0].len - 20, 0), 0xffff,
		     "bad ICMP checksum");
	dp_capture_snapshot_free(&s);
}

Test(forward, no_route_sends_host_unreachable)
{
	uint8_t p[60];
	struct dp_capture_snapshot s;

	capture("BACK", "GigabitEthernet1");
	ip_packet(p, sizeof(p), 17, 64, false);
	inet_pton(AF_INET, "198.18.0.1", p + 16);
	p[10] = p[11] = 0;
	{
		uint16_t ck = (uint16_t)~sum16(p, 20, 0);

		p[10] = (uint8_t)(ck >> 8);
		p[11] = (uint8_t)ck;
	}
	dpt_input(&r, "GigabitEthernet1", p, sizeof(p));
	cr_assert_eq(dpt_global_drops(r.dp, "Ipv4NoRoute"), 1);
	snapshot("BACK", &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.pkts[0].data[20], 3);
	cr_assert_eq(s.pkts[0].data[21], 1, "not host unreachable");
	dp_capture_snapshot_free(&s);
}

Test(forward, fragments_at_ip_mtu)
{
	uint8_t p[1000];
	struct dp_capture_snapshot s;
	size_t total = 0;

	capture("OUT", "GigabitEthernet2");
	dpt_input(&r, "GigabitEthernet1", p, ip_packet(p, sizeof(p), 17, 64, false));
	snapshot("OUT", &s);
	cr_assert_eq(s.n, 2, "%zu fragments", s.n);
	for (size_t i = 0; i < s.n; i++) {
		const uint8_t *f = s.pkts[i].data;
		unsigned off = (unsigned)((f[6] & 0x1f) << 8 | f[7]) * 8;

		cr_assert_leq(s.pkts[i].len, 576);
		cr_assert_eq(sum16(f, 20, 0), 0xffff, "fragment %zu checksum",
			     i);
		cr_assert_eq(f[6] & 0x20, i == 0 ? 0x20 : 0, "MF of %zu", i);
		cr_assert_eq(off, total, "fragment %zu at %u, expected %zu",
			     i, off, total);
		cr_assert_eq(f[8], 63, "TTL not decremented");
		total += s.pkts[i].len - 20;
	}
	cr_assert_eq(total, sizeof(p) - 20);
	dp_capture_snapshot_free(&s);
}

Test(forward, df_over_mtu_sends_frag_needed)
{
	uint8_t p[1000];
	struct dp_capture_snapshot s;

	capture("BACK", "GigabitEthernet1");
	capture("OUT", "GigabitEthernet2");
	dpt_input(&r, "GigabitEthernet1", p, ip_packet(p, sizeof(p), 17, 64, true));
	cr_assert_eq(dpt_global_drops(r.dp, "Ipv4FragTooBig"), 1);
	snapshot("OUT", &s);
	cr_assert_eq(s.n, 0, "a DF packet over the MTU left");
	dp_capture_snapshot_free(&s);
	snapshot("BACK", &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.pkts[0].data[20], 3);
	cr_assert_eq(s.pkts[0].data[21], 4, "not fragmentation needed");
	cr_assert_eq(s.pkts[0].data[26] << 8 | s.pkts[0].data[27], 576,
		     "next-hop MTU not given");
	dp_capture_snapshot_free(&s);
}

Test(forward, tcp_syn_mss_clamped)
{
	uint8_t p[44];
	uint8_t *tcp = p + 20;
	struct dp_capture_snapshot s;
	uint32_t sum;
	const uint8_t *t;

	ip_packet(p, sizeof(p), 6, 64, true);
	tcp[1] = 80;
	tcp[3] = 80;
	tcp[12] = 6 << 4;		/* 24-octet header */
	tcp[13] = 0x02;			/* SYN */
	tcp[20] = 2;			/* MSS option, 1460 */
	tcp[21] = 4;
	tcp[22] = 1460 >> 8;
	tcp[23] = 1460 & 0xff;
	/* TCP checksum over the pseudo-header and segment. */
	sum = sum16(p + 12, 8, 0) + 6 + 24;
	sum = sum16(tcp, 24, sum);
	tcp[16] = (uint8_t)(~sum >> 8);
	tcp[17] = (uint8_t)~sum;
	capture("OUT", "GigabitEthernet2");
	dpt_input(&r, "GigabitEthernet1", p, sizeof(p));
	snapshot("OUT", &s);
	cr_assert_eq(s.n, 1);
	t = s.pkts[0].data + 20;
	cr_assert_eq(t[22] << 8 | t[23], 1360, "MSS %d", t[22] << 8 | t[23]);
	sum = sum16(s.pkts[0].data + 12, 8, 0) + 6 + 24;
	cr_assert_eq(sum16(t, 24, sum), 0xffff, "TCP checksum not adjusted");
	dp_capture_snapshot_free(&s);
}
