/*
 * The datapath side of the IKE manager: IKE messages for our addresses
 * reach the IKE sink, dp_ike_send() puts IPv4/UDP datagrams on the wire,
 * traffic that needs an SA raises acquire events, and SAs installed for
 * an ipsec-isakmp crypto map entry (plain ESP and ESP in UDP 4500) carry
 * that traffic. Packets go in through dp_input_batch() or a wire, and
 * what leaves Gi1 is read from a UDP socket at the other end of its wire.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <poll.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dp_test.h"

#define IF(n) "/vrouter-config:interfaces/interface[name='" n "']"
#define GI1 IF("GigabitEthernet1")
#define GI2 IF("GigabitEthernet2")
#define TU1 IF("Tunnel1")
#define TS "/vrouter-config:crypto/ipsec/transform-set[name='TS']"
#define MAP "/vrouter-config:crypto/map[name='VPN']/entry[sequence='10']"
#define ACL "/vrouter-config:access-lists/access-list[name='VPN-ACL']"
#define ACE ACL "/entry[sequence='10']"
#define ETH 14
#define NS 1000000000ULL

static struct dpt_router r;
static struct dpt_log log_lines;
static int peer_fd = -1;		/* the far end of Gi1's wire */
static unsigned port;

/* ---- what reaches the sinks ---- */

#define KEPT 80

struct sink {
	pthread_mutex_t lock;
	size_t n;
	struct dp_ike_packet *pkts[KEPT];
	size_t n_acq;
	struct dp_acquire_event acq[KEPT];
	/* When set, the IKE sink waits on it: the datapath thread stalls. */
	sem_t *gate;
	sem_t entered;
};

static struct sink sink;

static void
on_ike(void *ctx, const struct dp_ike_packet *pkt)
{
	struct sink *s = ctx;
	/* Read once: the test clears it as soon as ENTERED is posted. */
	sem_t *gate = s->gate;

	pthread_mutex_lock(&s->lock);
	if (s->n < KEPT) {
		s->pkts[s->n] = malloc(sizeof(*pkt));
		*s->pkts[s->n] = *pkt;
	}
	s->n++;
	pthread_mutex_unlock(&s->lock);
	if (gate != NULL) {
		sem_post(&s->entered);
		sem_wait(gate);
	}
}

static void
on_acquire(void *ctx, const struct dp_acquire_event *ev)
{
	struct sink *s = ctx;

	pthread_mutex_lock(&s->lock);
	if (s->n_acq < KEPT)
		s->acq[s->n_acq] = *ev;
	s->n_acq++;
	pthread_mutex_unlock(&s->lock);
}

/*
 * Router: Gi1 10.0.0.1/24 towards the peer 10.0.0.2 with crypto map VPN
 * 10 (ipsec-isakmp, 192.168.1.0/24 to 192.168.2.0/24), Gi2 the LAN
 * 192.168.1.254/24, default route via the peer.
 */
static void
start(bool thread)
{
	static const char *const pairs[] = {
		GI1 "/ipv4/address", "10.0.0.1",
		GI1 "/ipv4/mask", "255.255.255.0",
		GI1 "/crypto-map", "VPN",
		GI2 "/ipv4/address", "192.168.1.254",
		GI2 "/ipv4/mask", "255.255.255.0",
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
		MAP "/type", "ipsec-isakmp",
		MAP "/peer[.='10.0.0.2']", NULL,
		MAP "/transform-set[.='TS']", NULL,
		MAP "/match-address", "VPN-ACL",
		NULL, NULL,
	};
	struct sockaddr_in a = { .sin_family = AF_INET };
	char local[32], remote[32], err[256] = "";
	static unsigned round;

	memset(&sink, 0, sizeof(sink));
	pthread_mutex_init(&sink.lock, NULL);
	sem_init(&sink.entered, 0, 0);
	dpt_log_start(&log_lines);
	dpt_router_start(&r, false);
	dp_set_ike_sink(r.dp, on_ike, &sink);
	dp_set_acquire_sink(r.dp, on_acquire, &sink);
	if (thread)
		cr_assert_eq(dp_start(r.dp), 0);
	dpt_commit(&r, pairs);
	dp_poll(r.dp);

	port = 25000 + ((unsigned)getpid() * 4 + round++ * 2) % 20000;
	peer_fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(peer_fd, 0);
	a.sin_port = htons((uint16_t)(port + 1));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(bind(peer_fd, (struct sockaddr *)&a, sizeof(a)), 0,
		     "cannot bind the peer's end of the wire");
	snprintf(local, sizeof(local), "127.0.0.1:%u", port);
	snprintf(remote, sizeof(remote), "127.0.0.1:%u", port + 1);
	cr_assert_eq(dp_wire_attach(r.dp, "GigabitEthernet1", local, remote,
				    err, sizeof(err)), 0, "%s", err);
	if (thread)
		dp_sync(r.dp);
}

static void
setup(void)
{
	start(false);
}

static void
setup_thread(void)
{
	start(true);
}

static void
teardown(void)
{
	dpt_router_stop(&r);
	dpt_log_stop(&log_lines);
	close(peer_fd);
	for (size_t i = 0; i < sink.n && i < KEPT; i++)
		free(sink.pkts[i]);
	sem_destroy(&sink.entered);
	pthread_mutex_destroy(&sink.lock);
}

TestSuite(ike_glue, .init = setup, .fini = teardown);
TestSuite(ike_glue_thread, .init = setup_thread, .fini = teardown);

/* ---- packet building, independent of the datapath's own code ---- */

static uint32_t
sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len % 2)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
addr(const char *text)
{
	uint32_t a;

	cr_assert_eq(inet_pton(AF_INET, text, &a), 1);
	return a;
}

/* Writes an IPv4 header for TOTAL octets with identification ID. */
static void
ipv4_header(uint8_t *p, size_t total, uint16_t id, uint8_t ttl,
	    uint8_t proto, uint32_t src, uint32_t dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	p[4] = (uint8_t)(id >> 8);
	p[5] = (uint8_t)id;
	p[8] = ttl;
	p[9] = proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	{
		uint16_t ck = fold(sum16(p, 20, 0));

		p[10] = (uint8_t)(ck >> 8);
		p[11] = (uint8_t)ck;
	}
}

/*
 * Builds an IPv4/UDP datagram SRC:SPORT -> DST:DPORT carrying DATA,
 * after a non-ESP marker when MARKER, with a correct UDP checksum; ID
 * is the IP identification. Returns the length.
 */
static size_t
udp_datagram(uint8_t *p, uint16_t id, uint32_t src, uint32_t dst,
	     uint16_t sport, uint16_t dport, bool marker, const uint8_t *data,
	     size_t len)
{
	size_t m = marker ? 4 : 0, ulen = 8 + m + len;
	uint8_t *u = p + 20;
	uint32_t sum;
	uint16_t ck;

	ipv4_header(p, 20 + ulen, id, 255, 17, src, dst);
	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	u[6] = u[7] = 0;
	memset(u + 8, 0, m);
	memcpy(u + 8 + m, data, len);
	sum = sum16(p + 12, 8, 17 + (uint32_t)ulen);
	ck = fold(sum16(u, ulen, sum));
	if (ck == 0)
		ck = 0xffff;
	u[6] = (uint8_t)(ck >> 8);
	u[7] = (uint8_t)ck;
	return 20 + ulen;
}

/* An IKE-like payload of LEN octets: a fixed pattern. */
static void
ike_payload(uint8_t *d, size_t len)
{
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 7 + 3);
}

static void
input(const char *ifname, const uint8_t *p, size_t len, uint64_t now)
{
	const uint8_t *pkts[1] = { p };
	size_t lens[1] = { len };

	cr_assert_eq(dp_input_batch(r.dp, ifname, DLT_RAW, pkts, lens, 1, now),
		     0);
}

/* Reads the next frame from Gi1's wire into BUF; -1 after 2 s. */
static ssize_t
wire_read(uint8_t *buf, size_t cap)
{
	struct pollfd pfd = { .fd = peer_fd, .events = POLLIN };

	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	return recv(peer_fd, buf, cap, 0);
}

static bool
wire_quiet(void)
{
	struct pollfd pfd = { .fd = peer_fd, .events = POLLIN };

	return poll(&pfd, 1, 50) == 0;
}

/* ---- inbound IKE ---- */

Test(ike_glue, udp500_reaches_sink)
{
	uint8_t data[300], pkt[400];
	size_t n;

	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 9, addr("10.0.0.2"), addr("10.0.0.1"), 500, 500,
			 false, data, sizeof(data));
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(sink.n, 1, "%zu messages reached the sink", sink.n);
	cr_assert_eq(sink.pkts[0]->src, addr("10.0.0.2"));
	cr_assert_eq(sink.pkts[0]->dst, addr("10.0.0.1"));
	cr_assert_eq(sink.pkts[0]->sport, 500);
	cr_assert_eq(sink.pkts[0]->dport, 500);
	cr_assert_not(sink.pkts[0]->natt);
	cr_assert_str_eq(sink.pkts[0]->ifname, "GigabitEthernet1");
	cr_assert_eq(sink.pkts[0]->len, sizeof(data));
	cr_assert_arr_eq(sink.pkts[0]->data, data, sizeof(data));
}

Test(ike_glue, natt_marker_removed)
{
	uint8_t data[120], pkt[200], keepalive[29];
	struct dp_stats st;
	size_t n;

	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 9, addr("10.0.0.2"), addr("10.0.0.1"), 4500,
			 4500, true, data, sizeof(data));
	input("GigabitEthernet1", pkt, n, NS);
	/* A NAT keepalive (RFC 3948 2.2) is no IKE message. */
	n = udp_datagram(keepalive, 10, addr("10.0.0.2"), addr("10.0.0.1"),
			 4500, 4500, false, (const uint8_t *)"\xff", 1);
	input("GigabitEthernet1", keepalive, n, NS);
	cr_assert_eq(sink.n, 1, "%zu messages reached the sink", sink.n);
	cr_assert(sink.pkts[0]->natt);
	cr_assert_eq(sink.pkts[0]->sport, 4500);
	cr_assert_eq(sink.pkts[0]->dport, 4500);
	cr_assert_eq(sink.pkts[0]->len, sizeof(data), "marker not removed");
	cr_assert_arr_eq(sink.pkts[0]->data, data, sizeof(data));
	dp_get_stats(r.dp, &st);
	cr_assert_eq(st.nat_keepalive, 1);
	cr_assert_eq(st.ike_punted, 1);
}

/* Reassembled from fragments, as large IKE_AUTH messages arrive. */
Test(ike_glue, fragmented_message_delivered)
{
	uint8_t data[3000], pkt[3100], frag[1500];
	size_t n = 0, off = 0;

	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 77, addr("10.0.0.2"), addr("10.0.0.1"), 500, 500,
			 false, data, sizeof(data));
	while (off < n - 20) {
		size_t chunk = n - 20 - off > 1480 ? 1480 : n - 20 - off;
		bool more = off + chunk < n - 20;
		uint16_t fo = (uint16_t)(off / 8 | (more ? 0x2000 : 0));

		memcpy(frag, pkt, 20);
		memcpy(frag + 20, pkt + 20 + off, chunk);
		ipv4_header(frag, 20 + chunk, 77, 255, 17, addr("10.0.0.2"),
			    addr("10.0.0.1"));
		frag[6] = (uint8_t)(fo >> 8);
		frag[7] = (uint8_t)fo;
		frag[10] = frag[11] = 0;
		{
			uint16_t ck = fold(sum16(frag, 20, 0));

			frag[10] = (uint8_t)(ck >> 8);
			frag[11] = (uint8_t)ck;
		}
		input("GigabitEthernet1", frag, 20 + chunk, NS);
		off += chunk;
	}
	cr_assert_eq(sink.n, 1);
	cr_assert_eq(sink.pkts[0]->len, sizeof(data));
	cr_assert_arr_eq(sink.pkts[0]->data, data, sizeof(data));
}

Test(ike_glue, bad_checksum_dropped)
{
	uint8_t data[64], pkt[128];
	size_t n;

	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 9, addr("10.0.0.2"), addr("10.0.0.1"), 500, 500,
			 false, data, sizeof(data));
	pkt[n - 1] ^= 0x40;
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(sink.n, 0);
	cr_assert_eq(dpt_global_drops(r.dp, "UdpChecksum"), 1);
}

Test(ike_glue, zero_checksum_accepted)
{
	uint8_t data[64], pkt[128];
	size_t n;

	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 9, addr("10.0.0.2"), addr("10.0.0.1"), 500, 500,
			 false, data, sizeof(data));
	pkt[26] = pkt[27] = 0;
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(sink.n, 1);
}

Test(ike_glue, oversized_and_empty_dropped)
{
	static uint8_t data[DP_IKE_MSG_MAX + 1], pkt[DP_IKE_MSG_MAX + 64];
	size_t n;

	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 9, addr("10.0.0.2"), addr("10.0.0.1"), 500, 500,
			 false, data, sizeof(data));
	input("GigabitEthernet1", pkt, n, NS);
	n = udp_datagram(pkt, 10, addr("10.0.0.2"), addr("10.0.0.1"), 4500,
			 4500, true, data, 0);
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(sink.n, 0);
	cr_assert_eq(dpt_global_drops(r.dp, "IkeBadLength"), 2);
}

Test(ike_glue, not_our_address_forwarded)
{
	uint8_t data[64], pkt[128];
	struct dp_stats st;
	size_t n;

	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 9, addr("192.168.1.7"), addr("10.0.0.9"), 500,
			 500, false, data, sizeof(data));
	input("GigabitEthernet2", pkt, n, NS);
	cr_assert_eq(sink.n, 0);
	dp_get_stats(r.dp, &st);
	cr_assert_eq(st.forwarded, 1);
}

Test(ike_glue, no_sink_counted)
{
	uint8_t data[64], pkt[128];
	size_t n;

	dp_set_ike_sink(r.dp, NULL, NULL);
	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 9, addr("10.0.0.2"), addr("10.0.0.1"), 500, 500,
			 false, data, sizeof(data));
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(sink.n, 0);
	cr_assert_eq(dpt_global_drops(r.dp, "IkeNoListener"), 1);
}

/* ---- outbound IKE ---- */

static struct dp_ike_packet *
ike_msg(const char *src, const char *dst, uint16_t sport, uint16_t dport,
	bool natt, size_t len)
{
	struct dp_ike_packet *m = calloc(1, sizeof(*m));

	cr_assert_not_null(m);
	m->src = src != NULL ? addr(src) : 0;
	m->dst = addr(dst);
	m->sport = sport;
	m->dport = dport;
	m->natt = natt;
	m->len = (uint16_t)len;
	ike_payload(m->data, len);
	return m;
}

/* Reads one frame and checks it is M as an IPv4/UDP datagram from SRC. */
static void
expect_datagram(const struct dp_ike_packet *m, const char *src)
{
	uint8_t frame[DP_IKE_MSG_MAX + 100], want[DP_IKE_MSG_MAX + 100];
	ssize_t got = wire_read(frame, sizeof(frame));
	size_t n;
	uint16_t id;

	cr_assert_gt(got, ETH, "nothing left on Gi1");
	cr_assert_eq(frame[12] << 8 | frame[13], 0x0800, "not IPv4");
	/* The identification is the router's to choose. */
	id = (uint16_t)(frame[ETH + 4] << 8 | frame[ETH + 5]);
	n = udp_datagram(want, id, addr(src), m->dst, m->sport, m->dport,
			 m->natt, m->data, m->len);
	cr_assert_eq((size_t)got - ETH, n, "datagram of %zd octets, not %zu",
		     got - ETH, n);
	cr_assert_arr_eq(frame + ETH, want, n, "datagram differs");
}

Test(ike_glue, send_builds_ipv4_udp)
{
	struct dp_ike_packet *m = ike_msg("10.0.0.1", "10.0.0.2", 500, 500,
					  false, 333);
	struct dp_stats st;

	cr_assert_eq(dp_ike_send(r.dp, m), 0);
	expect_datagram(m, "10.0.0.1");
	dp_get_stats(r.dp, &st);
	cr_assert_eq(st.ike_sent, 1);
	free(m);
}

Test(ike_glue, send_natt_adds_marker)
{
	struct dp_ike_packet *m = ike_msg("10.0.0.1", "10.0.0.2", 4500, 4500,
					  true, 80);

	cr_assert_eq(dp_ike_send(r.dp, m), 0);
	expect_datagram(m, "10.0.0.1");
	free(m);
}

/* Without a source, the egress interface's address is used. */
Test(ike_glue, send_picks_source)
{
	struct dp_ike_packet *m = ike_msg(NULL, "198.51.100.7", 500, 500,
					  false, 40);

	cr_assert_eq(dp_ike_send(r.dp, m), 0);
	expect_datagram(m, "10.0.0.1");
	free(m);
}

/* IKE bypasses the crypto map even when its ACL would match. */
Test(ike_glue, send_bypasses_crypto_map)
{
	struct dp_ike_packet *m = ike_msg("192.168.1.254", "192.168.2.9", 500,
					  500, false, 60);

	cr_assert_eq(dp_ike_send(r.dp, m), 0);
	expect_datagram(m, "192.168.1.254");
	cr_assert_eq(dpt_global_drops(r.dp, "IpsecIkeIndicate"), 0);
	cr_assert_eq(sink.n_acq, 0);
	free(m);
}

Test(ike_glue, send_fragments_over_mtu)
{
	static const char *const pairs[] = {
		GI1 "/ip-mtu", "576",
		NULL, NULL,
	};
	struct dp_ike_packet *m = ike_msg("10.0.0.1", "10.0.0.2", 500, 500,
					  false, 1400);
	uint8_t want[1500], whole[1500], frame[1500];
	size_t n, have = 0, frags = 0;
	bool last = false;

	dpt_commit(&r, pairs);
	dp_poll(r.dp);
	cr_assert_eq(dp_ike_send(r.dp, m), 0);
	while (!last) {
		ssize_t got = wire_read(frame, sizeof(frame));
		const uint8_t *ip = frame + ETH;
		size_t len, off;
		uint16_t fo;

		cr_assert_gt(got, ETH + 20, "fragment %zu missing", frags);
		len = (size_t)(ip[2] << 8 | ip[3]);
		cr_assert_eq(len, (size_t)got - ETH);
		cr_assert_leq(len, 576, "fragment over the MTU");
		cr_assert_eq(fold(sum16(ip, 20, 0)), 0, "bad header checksum");
		fo = (uint16_t)(ip[6] << 8 | ip[7]);
		off = (size_t)(fo & 0x1fff) * 8;
		cr_assert_eq(off, have, "fragment out of order");
		memcpy(whole + 20 + off, ip + 20, len - 20);
		have += len - 20;
		last = !(fo & 0x2000);
		if (frags++ == 0)
			memcpy(whole, ip, 20);
	}
	cr_assert_eq(frags, 3);
	n = udp_datagram(want, (uint16_t)(whole[4] << 8 | whole[5]),
			 addr("10.0.0.1"), m->dst, 500, 500, false, m->data,
			 m->len);
	cr_assert_eq(have + 20, n);
	cr_assert_arr_eq(whole + 20, want + 20, n - 20,
			 "reassembled UDP datagram differs");
	free(m);
}

Test(ike_glue, send_rejects_malformed)
{
	struct dp_ike_packet *m = ike_msg("10.0.0.1", "10.0.0.2", 500, 500,
					  false, 10);
	struct dp_stats st;

	m->len = 0;
	cr_assert_eq(dp_ike_send(r.dp, m), -1);
	m->len = DP_IKE_MSG_MAX + 1;
	cr_assert_eq(dp_ike_send(r.dp, m), -1);
	m->len = 10;
	m->dport = 0;
	cr_assert_eq(dp_ike_send(r.dp, m), -1);
	dp_get_stats(r.dp, &st);
	cr_assert_eq(st.ike_send_rejected, 3);
	cr_assert_eq(st.ike_sent, 0);
	cr_assert(wire_quiet(), "a malformed request was sent");
	free(m);
}

/* Through the queue of a running datapath, which rejects when full. */
Test(ike_glue_thread, send_queue_full_rejected)
{
	uint8_t data[40], pkt[100];
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t frame[200] = { [12] = 0x08 };
	struct dp_ike_packet *m = ike_msg("10.0.0.1", "10.0.0.2", 500, 500,
					  false, 50);
	sem_t gate;
	size_t n, queued = 0;
	struct dp_stats st;

	/* Stall the datapath thread inside the IKE sink. */
	sem_init(&gate, 0, 0);
	sink.gate = &gate;
	ike_payload(data, sizeof(data));
	n = udp_datagram(pkt, 9, addr("10.0.0.2"), addr("10.0.0.1"), 500, 500,
			 false, data, sizeof(data));
	memcpy(frame + ETH, pkt, n);
	to.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	cr_assert_eq(sendto(peer_fd, frame, ETH + n, 0, (struct sockaddr *)&to,
			    sizeof(to)), (ssize_t)(ETH + n));
	sem_wait(&sink.entered);
	while (dp_ike_send(r.dp, m) == 0 && queued < 1000)
		queued++;
	cr_assert_eq(queued, 64, "%zu messages queued", queued);
	sink.gate = NULL;
	sem_post(&gate);
	for (size_t i = 0; i < queued; i++)
		expect_datagram(m, "10.0.0.1");
	dp_get_stats(r.dp, &st);
	cr_assert_eq(st.ike_send_rejected, 1);
	cr_assert_eq(st.ike_sent, queued);
	sem_destroy(&gate);
	free(m);
}

/* ---- acquire events and SAs installed for the map entry ---- */

/* An ICMP echo request SRC -> DST of 84 octets with TTL 64. */
static size_t
lan_packet(uint8_t *p, const char *src, const char *dst)
{
	ipv4_header(p, 84, 1, 64, 1, addr(src), addr(dst));
	memset(p + 20, 0, 64);
	p[20] = 8;
	{
		uint16_t ck = fold(sum16(p + 20, 64, 0));

		p[22] = (uint8_t)(ck >> 8);
		p[23] = (uint8_t)ck;
	}
	return 84;
}

Test(ike_glue, acquire_once_per_second)
{
	uint8_t p[84];

	lan_packet(p, "192.168.1.1", "192.168.2.1");
	input("GigabitEthernet2", p, sizeof(p), 10 * NS);
	input("GigabitEthernet2", p, sizeof(p), 10 * NS + NS / 2);
	cr_assert_eq(sink.n_acq, 1, "%zu acquires in the first second",
		     sink.n_acq);
	cr_assert_str_eq(sink.acq[0].map, "VPN");
	cr_assert_eq(sink.acq[0].map_seq, 10);
	cr_assert_str_eq(sink.acq[0].ifname, "GigabitEthernet1");
	cr_assert_eq(sink.acq[0].src, addr("192.168.1.1"));
	cr_assert_eq(sink.acq[0].dst, addr("192.168.2.1"));
	cr_assert_eq(sink.acq[0].proto, 1);
	input("GigabitEthernet2", p, sizeof(p), 11 * NS + 1);
	cr_assert_eq(sink.n_acq, 2);
	cr_assert_eq(dpt_global_drops(r.dp, "IpsecIkeIndicate"), 3);
	cr_assert(wire_quiet(), "a packet left without an SA");
}

/* Traffic outside the map's ACL leaves in clear and raises nothing. */
Test(ike_glue, no_acquire_outside_acl)
{
	uint8_t p[84], frame[200];

	lan_packet(p, "192.168.1.1", "198.51.100.1");
	input("GigabitEthernet2", p, sizeof(p), NS);
	cr_assert_eq(sink.n_acq, 0);
	cr_assert_eq(wire_read(frame, sizeof(frame)), ETH + 84);
}

static const struct dp_sa_cfg *
sa(uint32_t spi, bool outbound, bool udp)
{
	static struct dp_sa_cfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.map, sizeof(c.map), "VPN");
	c.map_seq = 10;
	snprintf(c.ifname, sizeof(c.ifname), "GigabitEthernet1");
	snprintf(c.transform, sizeof(c.transform), "esp-aes esp-sha-hmac");
	c.params.spi = spi;
	c.params.outbound = outbound;
	c.params.tunnel = true;
	c.params.udp_encap = udp;
	c.params.cipher = DP_CIPHER_AES_CBC;
	c.params.cipher_key_len = 16;
	memset(c.params.cipher_key, (int)(spi & 0xff), 16);
	c.params.integ = DP_INTEG_HMAC_SHA1_96;
	c.params.integ_key_len = 20;
	memset(c.params.integ_key, (int)(spi >> 24), 20);
	c.params.replay_window = 64;
	c.params.src = addr(outbound ? "10.0.0.1" : "10.0.0.2");
	c.params.dst = addr(outbound ? "10.0.0.2" : "10.0.0.1");
	return &c;
}

static void
install_pair(uint32_t spi_in, uint32_t spi_out, bool udp)
{
	struct dp_sa_cfg pair[2];
	char err[128] = "";

	pair[0] = *sa(spi_in, false, udp);
	pair[1] = *sa(spi_out, true, udp);
	cr_assert_eq(dp_sa_install_n(r.dp, pair, 2, err, sizeof(err)), 0,
		     "%s", err);
}

/*
 * Sends a LAN packet to 192.168.2.1, reads the ESP packet off the wire
 * and decrypts it with the peer's copy of outbound SA SPI; checks that
 * the inner packet is the one sent, TTL lowered.
 */
static void
expect_encrypted(uint32_t spi, bool udp)
{
	struct dp_sa_cfg peer = *sa(spi, true, udp);
	uint8_t p[84], frame[400];
	uint8_t *ip = frame + ETH, *esp;
	struct dp_esp_sa *in;
	struct dp_esp_result res;
	ssize_t got;
	char err[128];

	lan_packet(p, "192.168.1.1", "192.168.2.1");
	input("GigabitEthernet2", p, sizeof(p), NS);
	got = wire_read(frame, sizeof(frame));
	cr_assert_gt(got, ETH + 28, "nothing left on Gi1");
	cr_assert_eq(memcmp(ip + 12, &peer.params.src, 4), 0);
	cr_assert_eq(memcmp(ip + 16, &peer.params.dst, 4), 0);
	if (udp) {
		cr_assert_eq(ip[9], 17, "not ESP in UDP");
		cr_assert_eq(ip[20] << 8 | ip[21], 4500);
		cr_assert_eq(ip[22] << 8 | ip[23], 4500);
		esp = ip + 28;
	} else {
		cr_assert_eq(ip[9], 50, "not ESP");
		esp = ip + 20;
	}
	cr_assert_eq((uint32_t)esp[0] << 24 | (uint32_t)esp[1] << 16 |
		     (uint32_t)esp[2] << 8 | esp[3], spi,
		     "wrong SPI 0x%02X%02X%02X%02X", esp[0], esp[1], esp[2],
		     esp[3]);
	peer.params.outbound = false;
	in = dp_esp_sa_create(&peer.params, err, sizeof(err));
	cr_assert_not_null(in, "%s", err);
	cr_assert_eq(dp_esp_decap(in, esp, (size_t)(frame + got - esp), &res),
		     DP_ESP_OK);
	cr_assert_eq(res.payload_len, sizeof(p));
	p[8]--;
	p[10] = p[11] = 0;
	{
		uint16_t ck = fold(sum16(p, 20, 0));

		p[10] = (uint8_t)(ck >> 8);
		p[11] = (uint8_t)ck;
	}
	cr_assert_arr_eq(esp + res.payload_off, p, sizeof(p),
			 "inner packet differs");
	dp_esp_sa_free(in);
}

Test(ike_glue, installed_sa_carries_map_traffic)
{
	install_pair(0xC0000001, 0x80000001, false);
	expect_encrypted(0x80000001, false);
	cr_assert_eq(sink.n_acq, 0);
}

/* After a rekey the new outbound SA carries the traffic at once. */
Test(ike_glue, rekeyed_sa_takes_over)
{
	install_pair(0xC0000001, 0x80000001, false);
	install_pair(0xC0000002, 0x80000002, false);
	expect_encrypted(0x80000002, false);
	cr_assert_eq(dp_sa_remove(r.dp, true, addr("10.0.0.2"), 0x80000002),
		     0);
	expect_encrypted(0x80000001, false);
}

/*
 * Encrypts an ICMP packet 192.168.2.1 -> 192.168.1.1 with the peer's
 * copy of inbound SA SPI, in UDP 4500 when UDP, with sequence number
 * SEQ; returns the IP length.
 */
static size_t
peer_esp(uint32_t spi, bool udp, uint64_t seq, uint8_t *pkt, size_t cap)
{
	struct dp_sa_cfg peer = *sa(spi, false, udp);
	uint8_t inner[84];
	struct dp_esp_sa *out;
	enum dp_esp_status st;
	char err[160];
	size_t n;

	peer.params.outbound = true;
	peer.params.seq_start = seq;
	out = dp_esp_sa_create(&peer.params, err, sizeof(err));
	cr_assert_not_null(out, "%s", err);
	lan_packet(inner, "192.168.2.1", "192.168.1.1");
	n = dp_esp_encap_ipv4(out, inner, sizeof(inner), pkt, cap, &st);
	cr_assert_gt(n, 0);
	dp_esp_sa_free(out);
	return n;
}

/* strongSwan's kernel-libipsec peer sends ESP in UDP 4500 only. */
Test(ike_glue, udp_encap_both_ways)
{
	uint8_t inner[84], pkt[300];
	struct dp_capture_cfg c = { .name = "LAN", .dir = DP_CAPTURE_OUT,
				    .match_any = true,
				    .ifname = "GigabitEthernet2" };
	struct dp_capture_snapshot s;
	char err[160];
	size_t n;

	install_pair(0xC0000003, 0x80000003, true);
	expect_encrypted(0x80000003, true);

	cr_assert_eq(dp_capture_op(r.dp, DP_CAPTURE_SET, &c, err,
				   sizeof(err)), 0, "%s", err);
	cr_assert_eq(dp_capture_op(r.dp, DP_CAPTURE_START, &c, err,
				   sizeof(err)), 0, "%s", err);
	lan_packet(inner, "192.168.2.1", "192.168.1.1");
	n = peer_esp(0xC0000003, true, 1, pkt, sizeof(pkt));
	cr_assert_eq(pkt[9], 17);
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(dp_capture_snapshot(r.dp, "LAN", &s, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(s.n, 1, "%zu packets reached the LAN", s.n);
	cr_assert_eq(s.pkts[0].len, sizeof(inner));
	cr_assert_arr_eq(s.pkts[0].data + 12, inner + 12, 8);
	dp_capture_snapshot_free(&s);
}

/* Sends a LAN packet into the SA pair of VPN 10 and checks the UDP
 * ports and the ESP sequence number of the packet that leaves on Gi1. */
static void
expect_udp_ports(uint16_t sport, uint16_t dport, uint32_t seq)
{
	uint8_t p[84], frame[400];
	const uint8_t *ip = frame + ETH;
	ssize_t got;

	lan_packet(p, "192.168.1.1", "192.168.2.1");
	input("GigabitEthernet2", p, sizeof(p), NS);
	got = wire_read(frame, sizeof(frame));
	cr_assert_gt(got, ETH + 28, "nothing left on Gi1");
	cr_assert_eq(ip[9], 17, "not ESP in UDP");
	cr_assert_eq(ip[20] << 8 | ip[21], sport, "source port %u",
		     ip[20] << 8 | ip[21]);
	cr_assert_eq(ip[22] << 8 | ip[23], dport, "destination port %u",
		     ip[22] << 8 | ip[23]);
	cr_assert_eq((uint32_t)ip[32] << 24 | (uint32_t)ip[33] << 16 |
		     (uint32_t)ip[34] << 8 | ip[35], seq);
}

/*
 * A peer behind a NAPT that maps its port 4500 to 1031: its ESP in UDP
 * arrives from that port (or any other) on 4500, ours goes to that port,
 * and dp_sa_set_encap() moves the outbound SA to a new one without
 * restarting its sequence numbers.
 */
Test(ike_glue, udp_encap_translated_port)
{
	struct dp_sa_cfg pair[2];
	struct dp_spi_table flows;
	uint8_t pkt[300];
	char err[128] = "";
	size_t n;

	pair[0] = *sa(0xC0000004, false, true);
	pair[0].params.encap_sport = 1031;
	pair[0].params.encap_dport = 4500;
	pair[1] = *sa(0x80000004, true, true);
	pair[1].params.encap_sport = 4500;
	pair[1].params.encap_dport = 1031;
	cr_assert_eq(dp_sa_install_n(r.dp, pair, 2, err, sizeof(err)), 0,
		     "%s", err);
	expect_udp_ports(4500, 1031, 1);

	for (uint64_t seq = 1; seq <= 2; seq++) {
		n = peer_esp(0xC0000004, true, seq, pkt, sizeof(pkt));
		pkt[20] = (uint8_t)((seq == 1 ? 1031 : 20077) >> 8);
		pkt[21] = (uint8_t)(seq == 1 ? 1031 : 20077);
		input("GigabitEthernet1", pkt, n, NS);
	}
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000004).decaps, 2,
		     "ESP in UDP from a translated port was not decrypted");

	/* An unknown SPI from such a port: the flow table keeps the port. */
	n = peer_esp(0xC0000004, true, 3, pkt, sizeof(pkt));
	pkt[20] = 20077 >> 8;
	pkt[21] = 20077 & 0xff;
	pkt[28] ^= 0x40;
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(dp_get_spi_flows(r.dp, &flows), 0);
	cr_assert_eq(flows.n, 1);
	cr_assert(flows.flows[0].udp_encap);
	cr_assert_eq(flows.flows[0].udp_sport, 20077);
	free(flows.flows);

	cr_assert_eq(dp_sa_set_encap(r.dp, addr("10.0.0.2"), 0x80000004, 4500,
				     20077), 0);
	dp_poll(r.dp);
	expect_udp_ports(4500, 20077, 2);
}

/* sVTI Tunnel1 to the peer, with 192.168.3.0/24 routed into it. */
static const char *const svti_pairs[] = {
	TU1 "/ipv4/address", "172.16.0.1",
	TU1 "/ipv4/mask", "255.255.255.252",
	TU1 "/tunnel/source", "GigabitEthernet1",
	TU1 "/tunnel/destination", "10.0.0.2",
	TU1 "/tunnel/mode", "ipsec-ipv4",
	TU1 "/tunnel/protection/profile", "P",
	"/vrouter-config:routing/static-route[prefix='192.168.3.0']"
	"[mask='255.255.255.0'][next-hop='Tunnel1']", NULL,
	NULL, NULL,
};

/* An sVTI without SAs raises an acquire for the tunnel. */
Test(ike_glue, tunnel_without_sa_acquires)
{
	uint8_t p[84];

	dpt_commit(&r, svti_pairs);
	dp_poll(r.dp);
	lan_packet(p, "192.168.1.1", "192.168.3.1");
	input("GigabitEthernet2", p, sizeof(p), NS);
	input("GigabitEthernet2", p, sizeof(p), NS + 1);
	cr_assert_eq(sink.n_acq, 1);
	cr_assert_str_eq(sink.acq[0].map, "");
	cr_assert_str_eq(sink.acq[0].ifname, "Tunnel1");
	cr_assert_eq(sink.acq[0].dst, addr("192.168.3.1"));
}

/* ---- #pkts invalid sa (rcv) ---- */

/* Either encapsulation reaches the SA, whatever IKE negotiated: some
 * peers send ESP in UDP 4500 without a NAT. */
Test(ike_glue, either_encapsulation_accepted)
{
	uint8_t pkt[300];
	size_t n;

	install_pair(0xC0000010, 0x80000010, false);
	install_pair(0xC0000011, 0x80000011, true);
	n = peer_esp(0xC0000010, true, 1, pkt, sizeof(pkt));
	input("GigabitEthernet1", pkt, n, NS);
	n = peer_esp(0xC0000011, false, 1, pkt, sizeof(pkt));
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000010).decaps, 1);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000011).decaps, 1);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000010).invalid_sa, 0);
}

/* Past its kilobyte lifetime the SA takes no more packets. */
Test(ike_glue, invalid_sa_after_kilobytes)
{
	struct dp_sa_cfg c = *sa(0xC0000030, false, false);
	uint8_t pkt[300];
	char err[128] = "";
	struct dp_drop_stats d;
	unsigned code;
	const char *name;
	size_t n;
	int sent = 0;

	c.lifetime_kb = 1;
	cr_assert_eq(dp_sa_install(r.dp, &c, err, sizeof(err)), 0, "%s", err);
	/* Until the decrypted octets reach the 1 KiB lifetime. */
	while (dpt_inbound_counters(r.dp, 0xC0000030).bytes_in < 1024) {
		sent++;
		n = peer_esp(0xC0000030, false, sent, pkt, sizeof(pkt));
		input("GigabitEthernet1", pkt, n, NS);
		cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000030).decaps,
			     (uint64_t)sent, "packet %d not decrypted", sent);
	}
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000030).invalid_sa, 0);
	n = peer_esp(0xC0000030, false, sent + 1, pkt, sizeof(pkt));
	input("GigabitEthernet1", pkt, n, NS);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000030).invalid_sa, 1);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000030).decaps, (uint64_t)sent);
	dp_get_drops(r.dp, &d);
	cr_assert_eq(d.packets[DP_DROP_ESP_INVALID_SA], 1);
	cr_assert(dp_drop_feature(DP_DROP_ESP_INVALID_SA, &code, &name));
	cr_assert_eq(code, 1);
	cr_assert_str_eq(name, "IN_V4_PKT_HIT_INVALID_SA");
}

Test(ike_glue, invalid_sa_after_lifetime)
{
	struct dp_sa_cfg c = *sa(0xC0000020, false, false);
	uint8_t pkt[300];
	char err[128] = "";
	uint64_t t0 = dp_now_ns();
	size_t n;

	c.lifetime_sec = 10;
	cr_assert_eq(dp_sa_install(r.dp, &c, err, sizeof(err)), 0, "%s", err);
	n = peer_esp(0xC0000020, false, 1, pkt, sizeof(pkt));
	input("GigabitEthernet1", pkt, n, t0 + 5 * NS);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000020).decaps, 1);
	/* 11 s after the install the SA may no longer take packets, even
	 * before the lifetime scan removes it. */
	n = peer_esp(0xC0000020, false, 2, pkt, sizeof(pkt));
	input("GigabitEthernet1", pkt, n, t0 + 11 * NS);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000020).invalid_sa, 1);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000020).decaps, 1);
	dp_clear_sa_counters(r.dp);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000020).invalid_sa, 0,
		     "clear crypto sa counters left invalid sa");
}

/*
 * #pkts no sa (send) lands on the inbound SA of the map entry's flow,
 * and on its replacement once that SA is removed and another linked.
 */
Test(ike_glue, no_sa_counted_on_current_sa)
{
	uint8_t p[84];
	char err[128] = "";
	struct dp_sa_info *sas = NULL;
	int n;

	cr_assert_eq(dp_sa_install(r.dp, sa(0xC0000040, false, false), err,
				   sizeof(err)), 0, "%s", err);
	lan_packet(p, "192.168.1.1", "192.168.2.1");
	input("GigabitEthernet2", p, sizeof(p), NS);
	input("GigabitEthernet2", p, sizeof(p), NS);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000040).no_sa_send, 2);
	cr_assert_eq(dp_sa_remove(r.dp, false, addr("10.0.0.1"), 0xC0000040),
		     0);
	cr_assert_eq(dp_sa_install(r.dp, sa(0xC0000041, false, false), err,
				   sizeof(err)), 0, "%s", err);
	input("GigabitEthernet2", p, sizeof(p), NS);
	cr_assert_eq(dpt_inbound_counters(r.dp, 0xC0000041).no_sa_send, 1);
	n = dp_get_sas(r.dp, &sas);
	cr_assert_eq(n, 1);
	free(sas);
	cr_assert_eq(dpt_global_drops(r.dp, "IpsecIkeIndicate"), 3);
}

/* Sends a LAN packet to DST and returns the SPI of the ESP that left. */
static uint32_t
spi_out_for(const char *dst)
{
	uint8_t p[84], frame[400];
	const uint8_t *esp = frame + ETH + 20;
	ssize_t got;

	lan_packet(p, "192.168.1.1", dst);
	input("GigabitEthernet2", p, sizeof(p), NS);
	got = wire_read(frame, sizeof(frame));
	cr_assert_gt(got, ETH + 28, "nothing left on Gi1");
	cr_assert_eq(frame[ETH + 9], 50, "not ESP");
	return (uint32_t)esp[0] << 24 | (uint32_t)esp[1] << 16 |
	       (uint32_t)esp[2] << 8 | esp[3];
}

/* The newest outbound SA of an sVTI carries its traffic, also after the
 * SAs change between packets. */
Test(ike_glue, tunnel_uses_newest_sa)
{
	char err[128] = "";

	dpt_commit(&r, svti_pairs);
	dp_poll(r.dp);
	for (uint32_t spi = 0x80000050; spi <= 0x80000051; spi++) {
		struct dp_sa_cfg c = *sa(spi, true, false);

		snprintf(c.ifname, sizeof(c.ifname), "Tunnel1");
		snprintf(c.map, sizeof(c.map), "Tunnel1-head-0");
		cr_assert_eq(dp_sa_install(r.dp, &c, err, sizeof(err)), 0,
			     "%s", err);
		cr_assert_eq(spi_out_for("192.168.3.1"), spi);
		cr_assert_eq(spi_out_for("192.168.3.2"), spi);
	}
	cr_assert_eq(dp_sa_remove(r.dp, true, addr("10.0.0.2"), 0x80000051),
		     0);
	cr_assert_eq(spi_out_for("192.168.3.1"), 0x80000050);
	cr_assert_eq(dp_sa_remove(r.dp, true, addr("10.0.0.2"), 0x80000050),
		     0);
	/* No SA left: the next packet raises an acquire instead. */
	{
		uint8_t p[84];

		lan_packet(p, "192.168.1.1", "192.168.3.1");
		input("GigabitEthernet2", p, sizeof(p), NS);
	}
	cr_assert_eq(sink.n_acq, 1);
	cr_assert(wire_quiet(), "a packet left without an SA");
}
