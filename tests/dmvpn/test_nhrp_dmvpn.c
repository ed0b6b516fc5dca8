/*
 * NHRP on an mGRE tunnel of a datapath without its thread. The test
 * builds packets byte by byte after RFC 2332 and feeds them into
 * GigabitEthernet1 as GRE (protocol type 0x2001), with the batch time as
 * the clock. An outbound capture on GigabitEthernet1 shows what the
 * datapath sent back.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "dp_test.h"

#define IF(n) "/vrouter-config:interfaces/interface[name='" n "']"
#define GI1 IF("GigabitEthernet1")
#define TU0 IF("Tunnel0")
#define NS 1000000000ULL

#define HUB_NBMA "10.0.0.1"
#define HUB_ADDR "172.16.0.1"
#define SPOKE_NBMA "10.0.0.2"
#define SPOKE_ADDR "172.16.0.2"

static struct dpt_router r;
static uint64_t t0;

static void
setup(void)
{
	dpt_router_start(&r, false);
	t0 = dp_now_ns();
}

static void
teardown(void)
{
	dpt_router_stop(&r);
}

TestSuite(nhrp, .init = setup, .fini = teardown);

static uint32_t
ip(const char *s)
{
	uint32_t a;

	cr_assert(inet_pton(AF_INET, s, &a) == 1);
	return a;
}

/* Configures the hub or, with SPOKE, a spoke whose next hop server is
 * the hub; AUTH NULL leaves NHRP authentication off. */
static void
configure(bool spoke, const char *auth)
{
	const char *pairs[] = {
		GI1 "/ipv4/address", spoke ? SPOKE_NBMA : HUB_NBMA,
		GI1 "/ipv4/mask", "255.255.255.0",
		TU0 "/ipv4/address", spoke ? SPOKE_ADDR : HUB_ADDR,
		TU0 "/ipv4/mask", "255.255.255.0",
		TU0 "/tunnel/source", "GigabitEthernet1",
		TU0 "/tunnel/mode", "gre-multipoint",
		TU0 "/nhrp/network-id", "1",
		TU0 "/nhrp/holdtime", "600",
		spoke ? TU0 "/nhrp/nhs[address='" HUB_ADDR "']/nbma" : NULL,
		HUB_NBMA,
		NULL, NULL, NULL,
	};

	if (auth != NULL) {
		size_t n = spoke ? 18 : 16;

		pairs[n] = TU0 "/nhrp/authentication";
		pairs[n + 1] = auth;
	}
	dpt_commit(&r, pairs);
}

static void
capture_start(void)
{
	struct dp_capture_cfg c = { .name = "OUT",
				    .ifname = "GigabitEthernet1",
				    .dir = DP_CAPTURE_OUT, .match_any = true };
	char err[128] = "";

	cr_assert(dp_capture_op(r.dp, DP_CAPTURE_SET, &c, err,
				sizeof(err)) == 0, "%s", err);
	cr_assert(dp_capture_op(r.dp, DP_CAPTURE_START, &c, err,
				sizeof(err)) == 0, "%s", err);
}

/* Copies the Nth packet captured leaving GigabitEthernet1 into OUT and
 * returns its length; fails when there are fewer. */
static size_t
captured(size_t nth, uint8_t *out, size_t cap)
{
	struct dp_capture_snapshot s;
	char err[128] = "";
	size_t len;

	cr_assert(dp_capture_snapshot(r.dp, "OUT", &s, err, sizeof(err)) == 0,
		  "%s", err);
	cr_assert(s.n > nth, "%zu packets captured, expected more than %zu",
		  s.n, nth);
	len = s.pkts[nth].len;
	cr_assert(len <= cap);
	memcpy(out, s.pkts[nth].data, len);
	dp_capture_snapshot_free(&s);
	return len;
}

static size_t
captured_count(void)
{
	struct dp_capture_snapshot s;
	char err[128] = "";
	size_t n;

	cr_assert(dp_capture_snapshot(r.dp, "OUT", &s, err, sizeof(err)) == 0,
		  "%s", err);
	n = s.n;
	dp_capture_snapshot_free(&s);
	return n;
}

static uint16_t
csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* What a test packet carries. */
struct nhrp_pkt {
	uint8_t type;
	uint16_t flags;
	uint32_t request_id;
	const char *src_nbma, *src_addr, *dst_addr;
	uint16_t holdtime;
	const char *client;		/* CIE client address; NULL: source */
	const char *client_nbma;	/* its NBMA address; NULL: source */
	const char *auth;		/* NULL: no authentication extension */
};

/*
 * Writes the NHRP packet P at OUT as RFC 2332 lays it out: fixed header,
 * mandatory part, one CIE, then the extensions. Returns its length.
 */
static size_t
nhrp_build(const struct nhrp_pkt *p, uint8_t *out)
{
	uint32_t a;
	size_t len = 60;

	memset(out, 0, 128);
	put16(out, 1);				/* ar$afn: IPv4 */
	put16(out + 2, 0x0800);			/* ar$pro.type */
	out[9] = 255;				/* ar$hopcnt */
	out[16] = 1;				/* ar$op.version */
	out[17] = p->type;
	out[18] = 4;				/* ar$shtl */
	out[20] = 4;				/* src proto len */
	out[21] = 4;				/* dst proto len */
	put16(out + 22, p->flags);
	a = htonl(p->request_id);
	memcpy(out + 24, &a, 4);
	a = ip(p->src_nbma);
	memcpy(out + 28, &a, 4);
	a = ip(p->src_addr);
	memcpy(out + 32, &a, 4);
	a = ip(p->dst_addr);
	memcpy(out + 36, &a, 4);
	/* CIE: code 0, prefix 32, MTU, holding time, client addresses. */
	out[41] = 32;
	put16(out + 44, 1514);
	put16(out + 46, p->holdtime);
	out[48] = 4;
	out[50] = 4;
	a = ip(p->client_nbma != NULL ? p->client_nbma : p->src_nbma);
	memcpy(out + 52, &a, 4);
	a = ip(p->client != NULL ? p->client : p->src_addr);
	memcpy(out + 56, &a, 4);
	put16(out + 14, (uint16_t)len);		/* ar$extoff */
	if (p->auth != NULL) {
		size_t n = strlen(p->auth);

		put16(out + len, 0x8007);	/* compulsory, authentication */
		put16(out + len + 2, (uint16_t)(4 + n));
		put16(out + len + 6, 1);	/* SPI 1: clear text */
		memcpy(out + len + 8, p->auth, n);
		len += 8 + n;
	}
	put16(out + len, 0x8000);		/* end of extensions */
	len += 4;
	put16(out + 10, (uint16_t)len);
	put16(out + 12, csum(out, len));
	return len;
}

/* Feeds NHRP packet BODY of LEN octets, in GRE from NBMA address SRC to
 * DST, into GigabitEthernet1 at time NOW. */
static void
feed(const char *src, const char *dst, const uint8_t *body, size_t len,
     uint64_t now)
{
	uint8_t pkt[256];
	const uint8_t *pkts[1] = { pkt };
	size_t lens[1] = { 24 + len };
	uint32_t a;

	memset(pkt, 0, 24);
	pkt[0] = 0x45;
	put16(pkt + 2, (uint16_t)(24 + len));
	pkt[8] = 64;
	pkt[9] = 47;
	a = ip(src);
	memcpy(pkt + 12, &a, 4);
	a = ip(dst);
	memcpy(pkt + 16, &a, 4);
	put16(pkt + 10, csum(pkt, 20));
	put16(pkt + 22, 0x2001);
	memcpy(pkt + 24, body, len);
	cr_assert(dp_input_batch(r.dp, "GigabitEthernet1", DLT_RAW, pkts,
				 lens, 1, now) == 0);
}

/* Runs the timers at NOW with an empty batch. */
static void
tick(uint64_t now)
{
	cr_assert(dp_input_batch(r.dp, "GigabitEthernet1", DLT_RAW, NULL,
				 NULL, 0, now) == 0);
}

static void
send_registration(const char *nbma, uint32_t id, uint16_t flags,
		  const char *auth, uint64_t now)
{
	struct nhrp_pkt p = {
		.type = 3, .flags = flags, .request_id = id,
		.src_nbma = nbma, .src_addr = SPOKE_ADDR, .dst_addr = HUB_ADDR,
		.holdtime = 300, .auth = auth,
	};
	uint8_t body[128];

	feed(nbma, HUB_NBMA, body, nhrp_build(&p, body), now);
}

/* Reads the NHRP rows; the caller frees them. */
static int
rows(struct dp_nhrp_entry **out, struct dp_nhrp_stats *st)
{
	int n = dp_nhrp_get(r.dp, out, st);

	cr_assert(n >= 0);
	return n;
}

Test(nhrp, registration_creates_dynamic_entry)
{
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;
	uint8_t out[256];
	size_t len;
	int n;

	configure(false, NULL);
	capture_start();
	send_registration(SPOKE_NBMA, 77, 0x8000, NULL, t0);

	n = rows(&e, &st);
	cr_assert_eq(n, 1);
	cr_assert(e[0].dynamic);
	cr_assert(e[0].unique);
	cr_assert_eq(e[0].addr, ip(SPOKE_ADDR));
	cr_assert_eq(e[0].nbma, ip(SPOKE_NBMA));
	cr_assert_eq(e[0].holdtime, 300);
	cr_assert_eq(e[0].expires_ns, t0 + 300 * NS);
	cr_assert_eq(e[0].state, DP_NHRP_STATE_UP);
	cr_assert_str_eq(e[0].ifname, "Tunnel0");
	free(e);
	cr_assert_eq(st.reg_req_rcvd, 1);
	cr_assert_eq(st.reg_reply_sent, 1);

	/* The reply: GRE to the spoke's NBMA address, type 4, the request
	 * ID echoed, CIE code 0, a valid checksum. */
	len = captured(0, out, sizeof(out));
	cr_assert_geq(len, 24 + 64);
	cr_assert_eq(out[9], 47);
	cr_assert_eq(memcmp(out + 12, &(uint32_t){ ip(HUB_NBMA) }, 4), 0);
	cr_assert_eq(memcmp(out + 16, &(uint32_t){ ip(SPOKE_NBMA) }, 4), 0);
	cr_assert_eq(get16(out + 22), 0x2001);
	cr_assert_eq(out[24 + 17], 4);
	cr_assert_eq(get16(out + 24 + 10), len - 24);
	cr_assert_eq(csum(out + 24, len - 24), 0);
	cr_assert_eq(get16(out + 24 + 22), 0x8000);
	cr_assert_eq(out[24 + 27], 77);
	cr_assert_eq(out[24 + 40], 0);		/* CIE code: success */
	cr_assert_eq(get16(out + 24 + 46), 300);
}

Test(nhrp, entry_expires_after_holdtime)
{
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;

	configure(false, NULL);
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	tick(t0 + 299 * NS);
	cr_assert_eq(rows(&e, &st), 1);
	free(e);
	tick(t0 + 301 * NS);
	cr_assert_eq(rows(&e, &st), 0);
	free(e);
}

Test(nhrp, renewal_extends_expiry)
{
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;

	configure(false, NULL);
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	send_registration(SPOKE_NBMA, 2, 0x8000, NULL, t0 + 100 * NS);
	tick(t0 + 350 * NS);
	cr_assert_eq(rows(&e, &st), 1);
	cr_assert_eq(e[0].expires_ns, t0 + 400 * NS);
	cr_assert_eq(e[0].created_ns, t0);
	free(e);
	cr_assert_eq(st.reg_reply_sent, 2);
}

Test(nhrp, unique_address_rejects_other_nbma)
{
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;
	uint8_t out[256];

	configure(false, NULL);
	capture_start();
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	send_registration("10.0.0.3", 2, 0x8000, NULL, t0 + NS);
	cr_assert_eq(rows(&e, &st), 1);
	cr_assert_eq(e[0].nbma, ip(SPOKE_NBMA));
	free(e);
	cr_assert_eq(st.rejected, 1);
	captured(1, out, sizeof(out));
	cr_assert_eq(memcmp(out + 16, &(uint32_t){ ip("10.0.0.3") }, 4), 0);
	cr_assert_eq(out[24 + 40], 14);	/* address already registered */
}

Test(nhrp, no_unique_allows_new_nbma)
{
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;

	configure(false, NULL);
	send_registration(SPOKE_NBMA, 1, 0, NULL, t0);
	send_registration("10.0.0.3", 2, 0, NULL, t0 + NS);
	cr_assert_eq(rows(&e, &st), 1);
	cr_assert_eq(e[0].nbma, ip("10.0.0.3"));
	cr_assert_not(e[0].unique);
	free(e);
	cr_assert_eq(st.rejected, 0);
}

Test(nhrp, malformed_packets_counted)
{
	struct nhrp_pkt p = {
		.type = 3, .flags = 0x8000, .request_id = 1,
		.src_nbma = SPOKE_NBMA, .src_addr = SPOKE_ADDR,
		.dst_addr = HUB_ADDR, .holdtime = 300,
	};
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;
	uint8_t body[128];
	size_t len;

	configure(false, NULL);
	len = nhrp_build(&p, body);
	body[13] ^= 1;				/* checksum */
	feed(SPOKE_NBMA, HUB_NBMA, body, len, t0);
	len = nhrp_build(&p, body);
	feed(SPOKE_NBMA, HUB_NBMA, body, 30, t0);	/* truncated */
	body[9] = 0;				/* hop count spent */
	put16(body + 12, 0);
	put16(body + 12, csum(body, len));
	feed(SPOKE_NBMA, HUB_NBMA, body, len, t0);
	len = nhrp_build(&p, body);
	put16(body + 14, 200);			/* extensions past the end */
	put16(body + 12, 0);
	put16(body + 12, csum(body, len));
	feed(SPOKE_NBMA, HUB_NBMA, body, len, t0);
	feed(SPOKE_NBMA, HUB_NBMA, body, 0, t0);	/* empty */

	cr_assert_eq(rows(&e, &st), 0);
	free(e);
	cr_assert_eq(st.malformed, 5);
	cr_assert_eq(st.reg_req_rcvd, 0);
	cr_assert_eq(st.reg_reply_sent, 0);
}

Test(nhrp, authentication_must_match)
{
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;

	configure(false, "NHRPKEY");
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	send_registration(SPOKE_NBMA, 2, 0x8000, "WRONG", t0);
	cr_assert_eq(rows(&e, &st), 0);
	free(e);
	cr_assert_eq(st.auth_failed, 2);
	send_registration(SPOKE_NBMA, 3, 0x8000, "NHRPKEY", t0);
	cr_assert_eq(rows(&e, &st), 1);
	free(e);
	cr_assert_eq(st.reg_reply_sent, 1);
}

Test(nhrp, purge_removes_entry)
{
	struct nhrp_pkt p = {
		.type = 5, .request_id = 9, .src_nbma = SPOKE_NBMA,
		.src_addr = SPOKE_ADDR, .dst_addr = HUB_ADDR,
		.client = SPOKE_ADDR,
	};
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;
	uint8_t body[128], out[256];

	configure(false, NULL);
	capture_start();
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	feed(SPOKE_NBMA, HUB_NBMA, body, nhrp_build(&p, body), t0 + NS);
	cr_assert_eq(rows(&e, &st), 0);
	free(e);
	cr_assert_eq(st.purge_req_rcvd, 1);
	cr_assert_eq(st.purge_reply_sent, 1);
	captured(1, out, sizeof(out));
	cr_assert_eq(out[24 + 17], 6);		/* purge reply */
	cr_assert_eq(out[24 + 27], 9);
}

Test(nhrp, clear_removes_dynamic_entries)
{
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;

	configure(false, NULL);
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	dp_nhrp_clear(r.dp);
	cr_assert_eq(rows(&e, &st), 0);
	free(e);
}

Test(nhrp, not_on_point_to_point_gre)
{
	const char *pairs[] = {
		GI1 "/ipv4/address", HUB_NBMA,
		GI1 "/ipv4/mask", "255.255.255.0",
		TU0 "/ipv4/address", HUB_ADDR,
		TU0 "/ipv4/mask", "255.255.255.0",
		TU0 "/tunnel/source", "GigabitEthernet1",
		TU0 "/tunnel/destination", SPOKE_NBMA,
		TU0 "/nhrp/network-id", "1",
		NULL, NULL,
	};
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;

	dpt_commit(&r, pairs);
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	cr_assert_eq(rows(&e, &st), 0);
	free(e);
	cr_assert_eq(st.unsupported, 1);
}

Test(nhrp, spoke_registers_and_renews)
{
	struct nhrp_pkt reply = {
		.type = 4, .flags = 0x8000, .src_nbma = SPOKE_NBMA,
		.src_addr = SPOKE_ADDR, .dst_addr = HUB_ADDR, .holdtime = 600,
	};
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;
	uint8_t out[256], body[128];
	size_t len;

	configure(true, NULL);
	capture_start();
	tick(t0);
	len = captured(0, out, sizeof(out));
	cr_assert_eq(memcmp(out + 16, &(uint32_t){ ip(HUB_NBMA) }, 4), 0);
	cr_assert_eq(get16(out + 22), 0x2001);
	cr_assert_eq(csum(out + 24, len - 24), 0);
	cr_assert_eq(out[24 + 17], 3);		/* registration request */
	cr_assert_eq(get16(out + 24 + 22), 0x8000);
	cr_assert_eq(memcmp(out + 24 + 28, &(uint32_t){ ip(SPOKE_NBMA) }, 4),
		     0);
	cr_assert_eq(memcmp(out + 24 + 32, &(uint32_t){ ip(SPOKE_ADDR) }, 4),
		     0);
	cr_assert_eq(memcmp(out + 24 + 36, &(uint32_t){ ip(HUB_ADDR) }, 4), 0);
	cr_assert_eq(get16(out + 24 + 46), 600);

	/* No reply yet: the NHS row waits, and the request is retried a
	 * second later. */
	cr_assert_eq(rows(&e, &st), 1);
	cr_assert(e[0].nhs);
	cr_assert_eq(e[0].state, DP_NHRP_STATE_NHRP);
	free(e);
	tick(t0 + NS / 2);
	cr_assert_eq(captured_count(), 1);
	tick(t0 + NS);
	cr_assert_eq(captured_count(), 2);

	/* The reply to the latest request registers the spoke. */
	len = captured(1, out, sizeof(out));
	memcpy(&reply.request_id, out + 24 + 24, 4);
	reply.request_id = ntohl(reply.request_id);
	feed(HUB_NBMA, SPOKE_NBMA, body, nhrp_build(&reply, body),
	     t0 + NS + NS / 10);
	cr_assert_eq(rows(&e, &st), 1);
	cr_assert_eq(e[0].state, DP_NHRP_STATE_UP);
	free(e);
	cr_assert_eq(st.reg_reply_rcvd, 1);

	/* The next registration goes a third of the holding time later. */
	tick(t0 + 150 * NS);
	cr_assert_eq(captured_count(), 2);
	tick(t0 + 202 * NS);
	cr_assert_eq(captured_count(), 3);
}

Test(nhrp, config_change_keeps_entries)
{
	const char *holdtime[] = { TU0 "/nhrp/holdtime", "900", NULL, NULL };
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;
	struct cfg_txn *txn;
	char err[256] = "";

	configure(false, NULL);
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	dpt_commit(&r, holdtime);
	cr_assert_eq(rows(&e, &st), 1);
	cr_assert_eq(e[0].nbma, ip(SPOKE_NBMA));
	free(e);

	/* Without a network ID the tunnel runs no NHRP: entries go. */
	txn = cfg_txn_begin(r.cfg);
	cr_assert(txn != NULL);
	cr_assert(cfg_txn_delete(txn, TU0 "/nhrp/network-id") == 0, "%s", cfg_txn_error(txn));
	cr_assert(cfg_txn_commit(txn, err, sizeof(err)) == 0, "%s", err);
	dp_sync(r.dp);
	cr_assert_eq(rows(&e, &st), 0);
	free(e);
	send_registration(SPOKE_NBMA, 2, 0x8000, NULL, t0 + NS);
	cr_assert_eq(rows(&e, &st), 0);
	free(e);
	cr_assert_eq(st.unsupported, 1);
}

/* Feeds a UDP packet from 10.0.0.9 to tunnel address DST into
 * GigabitEthernet1, which routes it into Tunnel0. */
static void
feed_data(const char *dst, uint64_t now)
{
	uint8_t pkt[28];
	const uint8_t *pkts[1] = { pkt };
	size_t lens[1] = { sizeof(pkt) };
	uint32_t a;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	put16(pkt + 2, sizeof(pkt));
	pkt[8] = 64;
	pkt[9] = 17;
	a = ip("10.0.0.9");
	memcpy(pkt + 12, &a, 4);
	a = ip(dst);
	memcpy(pkt + 16, &a, 4);
	put16(pkt + 10, csum(pkt, 20));
	put16(pkt + 20, 9000);
	put16(pkt + 22, 9000);
	put16(pkt + 24, 8);
	cr_assert(dp_input_batch(r.dp, "GigabitEthernet1", DLT_RAW, pkts,
				 lens, 1, now) == 0);
}

/* Index of the first captured packet from FROM on whose GRE protocol is
 * PROTO and, for NHRP, whose type is TYPE; fails when there is none. */
static size_t
find_captured(size_t from, uint16_t proto, uint8_t type, uint8_t *out,
	      size_t cap)
{
	size_t n = captured_count();

	for (size_t i = from; i < n; i++) {
		size_t len = captured(i, out, cap);

		if (len >= 24 + 18 && out[9] == 47 && get16(out + 22) == proto &&
		    (proto != 0x2001 || out[24 + 17] == type))
			return i;
	}
	cr_assert_fail("no GRE packet of protocol 0x%04x type %u captured",
		       proto, type);
	return 0;
}

Test(nhrp, shortcut_resolves_other_spoke)
{
	const char *shortcut[] = { TU0 "/nhrp/shortcut", NULL, NULL, NULL };
	struct nhrp_pkt reply = {
		.type = 2, .src_nbma = SPOKE_NBMA, .src_addr = SPOKE_ADDR,
		.dst_addr = "172.16.0.3", .holdtime = 600,
		.client = "172.16.0.3", .client_nbma = "10.0.0.3",
	};
	struct dp_nhrp_entry *e;
	struct dp_nhrp_stats st;
	uint8_t out[256], body[128];
	size_t i;
	int n;

	configure(true, NULL);
	dpt_commit(&r, shortcut);
	capture_start();
	tick(t0);

	/* Without an entry, the data goes to the server, and a resolution
	 * request for the address follows. */
	feed_data("172.16.0.3", t0 + NS / 10);
	i = find_captured(0, 0x0800, 0, out, sizeof(out));
	cr_assert_eq(memcmp(out + 16, &(uint32_t){ ip(HUB_NBMA) }, 4), 0);
	tick(t0 + NS / 5);
	i = find_captured(0, 0x2001, 1, out, sizeof(out));
	cr_assert_eq(memcmp(out + 16, &(uint32_t){ ip(HUB_NBMA) }, 4), 0);
	cr_assert_eq(memcmp(out + 24 + 32, &(uint32_t){ ip(SPOKE_ADDR) }, 4),
		     0);
	cr_assert_eq(memcmp(out + 24 + 36, &(uint32_t){ ip("172.16.0.3") },
			    4), 0);
	memcpy(&reply.request_id, out + 24 + 24, 4);
	reply.request_id = ntohl(reply.request_id);

	/* The server's reply installs the shortcut, and the next packet
	 * goes to the other spoke's NBMA address. */
	feed(HUB_NBMA, SPOKE_NBMA, body, nhrp_build(&reply, body),
	     t0 + NS / 4);
	n = rows(&e, &st);
	cr_assert_eq(n, 2);
	cr_assert(e[1].dynamic);
	cr_assert(e[1].shortcut);
	cr_assert_eq(e[1].addr, ip("172.16.0.3"));
	cr_assert_eq(e[1].nbma, ip("10.0.0.3"));
	cr_assert_eq(e[1].expires_ns, t0 + NS / 4 + 600 * NS);
	free(e);
	cr_assert_eq(st.res_req_sent, 1);
	cr_assert_eq(st.res_reply_rcvd, 1);
	feed_data("172.16.0.3", t0 + NS / 2);
	i = find_captured(i + 1, 0x0800, 0, out, sizeof(out));
	cr_assert_eq(memcmp(out + 16, &(uint32_t){ ip("10.0.0.3") }, 4), 0);
}

Test(nhrp, server_answers_resolution)
{
	struct nhrp_pkt req = {
		.type = 1, .request_id = 5, .src_nbma = "10.0.0.3",
		.src_addr = "172.16.0.3", .dst_addr = SPOKE_ADDR,
		.holdtime = 600,
	};
	struct dp_nhrp_stats st;
	struct dp_nhrp_entry *e;
	uint8_t body[128], out[256];
	size_t i;

	configure(false, NULL);
	capture_start();
	send_registration(SPOKE_NBMA, 1, 0x8000, NULL, t0);
	feed("10.0.0.3", HUB_NBMA, body, nhrp_build(&req, body), t0 + NS);
	i = find_captured(0, 0x2001, 2, out, sizeof(out));
	cr_assert_eq(memcmp(out + 16, &(uint32_t){ ip("10.0.0.3") }, 4), 0);
	cr_assert_eq(out[24 + 27], 5);
	cr_assert_eq(out[24 + 40], 0);		/* CIE code: success */
	cr_assert_eq(out[24 + 48], 4);
	cr_assert_eq(memcmp(out + 24 + 52, &(uint32_t){ ip(SPOKE_NBMA) }, 4),
		     0);
	cr_assert_eq(memcmp(out + 24 + 56, &(uint32_t){ ip(SPOKE_ADDR) }, 4),
		     0);
	cr_assert_eq(get16(out + 24 + 46), 299);

	/* An address nobody registered: no binding. */
	req.request_id = 6;
	req.dst_addr = "172.16.0.9";
	feed("10.0.0.3", HUB_NBMA, body, nhrp_build(&req, body), t0 + NS);
	find_captured(i + 1, 0x2001, 2, out, sizeof(out));
	cr_assert_eq(out[24 + 27], 6);
	cr_assert_eq(out[24 + 40], 12);
	cr_assert_eq(rows(&e, &st), 1);
	free(e);
	cr_assert_eq(st.res_req_rcvd, 2);
	cr_assert_eq(st.res_reply_sent, 2);
}
