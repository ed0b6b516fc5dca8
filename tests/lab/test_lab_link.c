/*
 * The lab's link relay on real loopback sockets: the match language of
 * `fault LINK drop expr`, IKE and ESP recognition (with NAT-T), and the
 * faults applied to frames on their way, checked byte for byte and by
 * counter.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/lab.h"

#define ETH 14

/* Builds an Ethernet + IPv4 frame of protocol PROTO with PAYLOAD. */
static size_t
frame(uint8_t *buf, uint8_t proto, const char *src, const char *dst,
      const uint8_t *payload, size_t len)
{
	struct in_addr a;

	memset(buf, 0, ETH + 20);
	buf[12] = 0x08;
	buf[ETH] = 0x45;
	buf[ETH + 9] = proto;
	inet_pton(AF_INET, src, &a);
	memcpy(buf + ETH + 12, &a, 4);
	inet_pton(AF_INET, dst, &a);
	memcpy(buf + ETH + 16, &a, 4);
	memcpy(buf + ETH + 20, payload, len);
	return ETH + 20 + len;
}

/* A UDP frame from SPORT to DPORT whose payload starts with FIRST4. */
static size_t
udp(uint8_t *buf, uint16_t sport, uint16_t dport, uint32_t first4)
{
	uint8_t l4[16] = { sport >> 8, sport & 0xff, dport >> 8, dport & 0xff,
			   0, 16, 0, 0, first4 >> 24, first4 >> 16,
			   first4 >> 8, first4 };

	return frame(buf, 17, "10.1.1.1", "10.10.1.2", l4, sizeof(l4));
}

static bool
matches(const char *expr, const uint8_t *buf, size_t len)
{
	struct lab_match m;
	char err[160];

	cr_assert_eq(lab_match_parse(&m, expr, err, sizeof(err)), 0,
		     "\"%s\": %s", expr, err);
	return lab_match_frame(&m, buf, len);
}

Test(lab_match, ike_and_esp_with_natt)
{
	uint8_t buf[128];
	uint8_t esp[8] = { 0xb7, 0x61, 0x86, 0x3e, 0, 0, 0, 1 };
	size_t n;

	n = udp(buf, 500, 500, 0x11223344);
	cr_assert(matches("ike", buf, n));
	cr_assert_not(matches("esp", buf, n));
	/* UDP 4500 with the non-ESP marker is IKE, with an SPI it is ESP. */
	n = udp(buf, 4500, 4500, 0);
	cr_assert(matches("ike", buf, n));
	cr_assert_not(matches("esp", buf, n));
	n = udp(buf, 4500, 4500, 0xb761863e);
	cr_assert(matches("esp", buf, n));
	cr_assert_not(matches("ike", buf, n));
	n = frame(buf, 50, "10.1.1.1", "10.10.1.2", esp, sizeof(esp));
	cr_assert(matches("esp", buf, n));
	cr_assert(matches("proto esp and src 10.1.1.1", buf, n));
	cr_assert_not(matches("ike", buf, n));
}

Test(lab_match, terms_prefixes_and_negation)
{
	uint8_t buf[128];
	size_t n = udp(buf, 9000, 7, 0);

	cr_assert(matches("proto udp and port 9000", buf, n));
	cr_assert(matches("port 7 and dst 10.10.0.0/16", buf, n));
	cr_assert(matches("host 10.1.1.1/32 and not proto tcp", buf, n));
	cr_assert(matches("src 0.0.0.0/0", buf, n));
	cr_assert_not(matches("proto 6", buf, n));
	cr_assert_not(matches("port 9001", buf, n));
	cr_assert_not(matches("dst 10.1.1.0/24", buf, n));
	cr_assert_not(matches("proto udp and not port 9000", buf, n));
}

Test(lab_match, non_ipv4_never_matches)
{
	uint8_t buf[128];
	size_t n = udp(buf, 500, 500, 0);

	buf[12] = 0x08;
	buf[13] = 0x06;		/* ARP */
	cr_assert_not(matches("not proto 1", buf, n));
	cr_assert_not(matches("ike", buf, 10));
}

Test(lab_match, vlan_tag_is_skipped)
{
	uint8_t plain[128], tagged[132];
	size_t n = udp(plain, 500, 500, 0);

	memcpy(tagged, plain, 12);
	tagged[12] = 0x81;
	tagged[13] = 0x00;
	tagged[14] = 0;
	tagged[15] = 10;
	memcpy(tagged + 16, plain + 12, n - 12);
	cr_assert(matches("ike and port 500", tagged, n + 4));
}

Test(lab_match, parse_errors)
{
	static const struct {
		const char *expr, *err;
	} cases[] = {
		{ "", "empty expression" },
		{ "proto foo", "invalid protocol \"foo\": expected icmp, tcp, "
		  "udp, gre, esp, ah or 0-255" },
		{ "port 70000", "invalid port \"70000\": expected 0-65535" },
		{ "src 10.0.0.0/33", "invalid address \"10.0.0.0/33\": "
		  "expected A.B.C.D or A.B.C.D/LEN" },
		{ "port 500 or port 4500", "expected \"and\" before \"or\"" },
		{ "port", "\"port\" needs a value" },
		{ "not", "expression ends where a term is expected" },
		{ "bogus 1", "unknown term \"bogus\": expected proto, port, "
		  "src, dst, host, ike or esp" },
		{ "ike and ike and ike and ike and ike and ike and ike and ike "
		  "and ike", "too many terms (at most 8)" },
	};
	struct lab_match m;
	char err[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(lab_match_parse(&m, cases[i].expr, err,
					     sizeof(err)), -1, "%s",
			     cases[i].expr);
		cr_assert_str_eq(err, cases[i].err);
	}
}

/* A link whose end 1 is a socket of this test. */
struct fixture {
	struct lab lab;
	struct lab_link *link;
	int rx;			/* receives what the link sends to end 1 */
};

static void
setup_link(struct fixture *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct timeval tv = { .tv_usec = 200000 };

	memset(f, 0, sizeof(*f));
	f->lab.rng = 12345;
	f->link = &f->lab.links[0];
	f->rx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(f->rx, 0);
	cr_assert_eq(bind(f->rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(f->rx, (struct sockaddr *)&sa, &len), 0);
	setsockopt(f->rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	f->link->fd[1] = socket(AF_INET, SOCK_DGRAM, 0);
	f->link->fd[0] = -1;
	f->link->peer[1] = sa;
	f->link->peer_known[1] = true;
}

static void
teardown_link(struct fixture *f)
{
	lab_link_drain(f->link);
	close(f->link->fd[1]);
	close(f->rx);
}

/* Reads one frame from the link, or returns -1 after 200 ms. */
static ssize_t
receive(struct fixture *f, uint8_t *buf, size_t len)
{
	return recv(f->rx, buf, len, 0);
}

Test(lab_link, relays_exact_bytes_and_counts)
{
	struct fixture f;
	uint8_t buf[128], copy[128], got[256];
	size_t n;

	setup_link(&f);
	n = udp(buf, 9000, 9000, 42);
	memcpy(copy, buf, n);
	lab_link_frame(&f.lab, f.link, 0, buf, n, lab_now());
	cr_assert_eq(receive(&f, got, sizeof(got)), (ssize_t)n);
	cr_assert_arr_eq(got, copy, n);
	cr_assert_eq(f.link->stats[0].relayed, 1);
	teardown_link(&f);
}

Test(lab_link, cut_filter_and_loss_drop_by_reason)
{
	struct fixture f;
	uint8_t buf[128], got[256];
	char err[160];
	size_t n;

	setup_link(&f);
	f.link->fault.cut = true;
	n = udp(buf, 500, 500, 0);
	lab_link_frame(&f.lab, f.link, 0, buf, n, lab_now());
	cr_assert_eq(f.link->stats[0].cut, 1);
	f.link->fault.cut = false;

	cr_assert_eq(lab_match_parse(&f.link->fault.drop_match, "ike", err,
				     sizeof(err)), 0);
	f.link->fault.drop = true;
	lab_link_frame(&f.lab, f.link, 0, buf, n, lab_now());
	cr_assert_eq(f.link->stats[0].filtered, 1);
	n = udp(buf, 9000, 9000, 0);
	lab_link_frame(&f.lab, f.link, 0, buf, n, lab_now());
	cr_assert_eq(f.link->stats[0].relayed, 1);
	cr_assert_eq(receive(&f, got, sizeof(got)), (ssize_t)n);
	f.link->fault.drop = false;

	f.link->fault.loss_pct = 100;
	lab_link_frame(&f.lab, f.link, 0, buf, n, lab_now());
	cr_assert_eq(f.link->stats[0].lost, 1);
	cr_assert_eq(receive(&f, got, sizeof(got)), -1);
	teardown_link(&f);
}

Test(lab_link, corrupt_flips_one_bit_after_ethernet)
{
	struct fixture f;
	uint8_t buf[128], copy[128], got[256];
	size_t n;
	int bits = 0;

	setup_link(&f);
	f.link->fault.corrupt_pct = 100;
	n = udp(buf, 9000, 9000, 7);
	memcpy(copy, buf, n);
	lab_link_frame(&f.lab, f.link, 0, buf, n, lab_now());
	cr_assert_eq(receive(&f, got, sizeof(got)), (ssize_t)n);
	cr_assert_arr_eq(got, copy, ETH);
	for (size_t i = ETH; i < n; i++)
		bits += __builtin_popcount(got[i] ^ copy[i]);
	cr_assert_eq(bits, 1);
	cr_assert_eq(f.link->stats[0].corrupted, 1);
	teardown_link(&f);
}

Test(lab_link, delay_holds_frames_until_due)
{
	struct fixture f;
	uint8_t buf[128], got[256];
	uint64_t now = lab_now(), due;
	size_t n;

	setup_link(&f);
	f.link->fault.delay_ms = 50;
	n = udp(buf, 9000, 9000, 1);
	lab_link_frame(&f.lab, f.link, 0, buf, n, now);
	cr_assert_eq(f.link->queued, 1);
	due = lab_link_flush(&f.lab, f.link, now + 49000000ULL);
	cr_assert_eq(due, now + 50000000ULL);
	cr_assert_eq(f.link->stats[0].relayed, 0);
	cr_assert_eq(lab_link_flush(&f.lab, f.link, now + 50000000ULL), 0);
	cr_assert_eq(f.link->stats[0].relayed, 1);
	cr_assert_eq(receive(&f, got, sizeof(got)), (ssize_t)n);
	teardown_link(&f);
}

Test(lab_link, timed_fault_expires)
{
	struct lab_link link;

	memset(&link, 0, sizeof(link));
	link.fault.cut = true;
	link.fault.cut_until = 1000;
	link.fault.loss_pct = 20;	/* until cleared */
	cr_assert_eq(lab_fault_expire(&link, 999), 1000);
	cr_assert(link.fault.cut);
	cr_assert_eq(lab_fault_expire(&link, 1000), 0);
	cr_assert_not(link.fault.cut);
	cr_assert_eq(link.fault.loss_pct, 20);
}
