/*
 * IKEv1 and IKEv2 through a NAPT. A sits behind a NAT that shows it as
 * 198.51.100.7 and maps its UDP ports 500 and 4500 to 1031 and 1032, so
 * nothing B sends to port 500 or 4500 of the NAT reaches A. B must send
 * its IKE responses, ESP in UDP and its invalid-SPI notifies to the
 * ports the NAT chose, and follow A when the NAT maps A's 4500 to a new port.
 * ESP is checked by encrypting with the installed keys and ports,
 * translating as the NAT does and decrypting on the other side.
 */
#include "ike_test.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct ikt_side a, b;

#define NAT_ADDR	"198.51.100.7"
#define NAT_PORT500	1031
#define NAT_PORT4500	1032
#define NAT_PORT4500_NEW 20077

#define V1_COMMON \
	"crypto isakmp policy 10\n" \
	" encryption aes 256\n" \
	" hash sha256\n" \
	" authentication pre-share\n" \
	" group 14\n" \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n"

/* A initiates and checks B's liveness every 10 s, so its NAT shows B
 * whatever port it maps A to. */
#define V1_CFG_A \
	V1_COMMON \
	"crypto isakmp key s3cret address 10.0.0.2\n" \
	"crypto isakmp keepalive 10 2 periodic\n" \
	"ip access-list extended VPN\n" \
	" permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer 10.0.0.2\n" \
	" set transform-set TS\n" \
	" match address VPN\n" \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.1 255.255.255.0\n" \
	" crypto map CMAP\n"

/* B accepts A at the NAT's address through a dynamic map. */
#define V1_CFG_B \
	V1_COMMON \
	"crypto isakmp key s3cret address 0.0.0.0 0.0.0.0\n" \
	"crypto dynamic-map DYN 10\n" \
	" set transform-set TS\n" \
	"crypto map CMAP 10 ipsec-isakmp dynamic DYN\n" \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.2 255.255.255.0\n" \
	" crypto map CMAP\n"

#define V2_CFG_A IKT_V2_SIDE("10.0.0.1", "10.0.0.2", "192.168.1.0", \
			     "192.168.2.0", " dpd 10 2 periodic\n")
/* B accepts any address with the key and A's own address as its
 * identity, through a dynamic map. */
#define V2_CFG_B \
	"crypto ikev2 proposal PROP\n" \
	" encryption aes-cbc-256\n" \
	" integrity sha256\n" \
	" group 14\n" \
	"crypto ikev2 policy POL\n" \
	" proposal PROP\n" \
	"crypto ikev2 keyring KR\n" \
	" peer ANY\n" \
	"  address 0.0.0.0 0.0.0.0\n" \
	"  pre-shared-key s3cret\n" \
	"crypto ikev2 profile PROF\n" \
	" match identity remote address 10.0.0.1 255.255.255.255\n" \
	" authentication remote pre-share\n" \
	" authentication local pre-share\n" \
	" keyring local KR\n" \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n" \
	"crypto dynamic-map DYN 10\n" \
	" set transform-set TS\n" \
	" set ikev2-profile PROF\n" \
	"crypto map CMAP 10 ipsec-isakmp dynamic DYN\n" \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.2 255.255.255.0\n" \
	" crypto map CMAP\n"

static uint32_t
addr(const char *s)
{
	uint32_t x;

	inet_pton(AF_INET, s, &x);
	return x;
}

static bool
both_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 1 && ikt_count(x, true) == 1 &&
	       ikt_count(y, false) == 1 && ikt_count(y, true) == 1;
}

/* Copies S's only SA of direction OUTBOUND into OUT. */
static void
only_sa(struct ikt_side *s, bool outbound, struct dp_sa_cfg *out)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nsas; i++) {
		if (s->sas[i].params.outbound == outbound) {
			*out = s->sas[i];
			n++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	cr_assert_eq(n, 1, "%zu %s SAs", n, outbound ? "outbound" : "inbound");
}

static void
setup(const char *cfg_a, const char *cfg_b)
{
	ikt_set_clock(ikt_fake_clock, NULL);
	ikt_pair_start(&a, cfg_a, &b, cfg_b);
	pthread_mutex_lock(&a.lock);
	a.nat_addr = addr(NAT_ADDR);
	a.nat_port500 = NAT_PORT500;
	a.nat_port4500 = NAT_PORT4500;
	pthread_mutex_unlock(&a.lock);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10),
		  "no SA pair on both sides: A %zu, B %zu", a.nsas, b.nsas);
}

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
	ikt_set_clock(NULL, NULL);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Encrypts a packet with FROM's outbound SA, checks the UDP ports it
 * leaves with, translates it as A's NAT does and decrypts it with TO's
 * inbound SA of the same SPI.
 */
static void
assert_esp_flows(struct ikt_side *from, struct ikt_side *to,
		 uint16_t want_sport, uint16_t want_dport)
{
	uint8_t inner[60] = { 0x45, 0, 0, 60, 0, 1, 0, 0, 64, 17 };
	uint8_t pkt[256];
	struct dp_sa_cfg out, in;
	struct dp_esp_sa *enc, *dec;
	struct dp_esp_result res;
	enum dp_esp_status st;
	char err[128] = "";
	uint32_t src, dst;
	size_t len;

	only_sa(from, true, &out);
	cr_assert(ikt_find(to, out.params.spi, false, &in),
		  "no inbound SA 0x%X on the peer", out.params.spi);
	cr_assert(out.params.udp_encap);
	cr_assert(in.params.udp_encap);
	enc = dp_esp_sa_create(&out.params, err, sizeof(err));
	cr_assert(enc != NULL, "%s", err);
	dec = dp_esp_sa_create(&in.params, err, sizeof(err));
	cr_assert(dec != NULL, "%s", err);
	memset(inner + 20, 0xab, sizeof(inner) - 20);
	len = dp_esp_encap_ipv4(enc, inner, sizeof(inner), pkt, sizeof(pkt),
				&st);
	cr_assert_gt(len, 28, "encapsulation failed: status %d", st);
	cr_assert_eq(pkt[9], 17, "ESP is not in UDP");
	cr_assert_eq(get16(pkt + 20), want_sport, "UDP source port %u",
		     get16(pkt + 20));
	cr_assert_eq(get16(pkt + 22), want_dport, "UDP destination port %u",
		     get16(pkt + 22));

	/* The NAT: A's address and port 4500 outside are the NAT's. */
	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);
	if (src == a.addr) {
		cr_assert_eq(get16(pkt + 20), 4500);
		memcpy(pkt + 12, &a.nat_addr, 4);
		put16(pkt + 20, a.nat_port4500);
	} else {
		cr_assert_eq(dst, a.nat_addr, "B sends to the NAT's address");
		cr_assert_eq(get16(pkt + 22), a.nat_port4500,
			     "the NAT has no mapping for port %u",
			     get16(pkt + 22));
		memcpy(pkt + 16, &a.addr, 4);
		put16(pkt + 22, 4500);
	}
	cr_assert_eq(dp_esp_decap(dec, pkt + 28, len - 28, &res), DP_ESP_OK,
		     "the peer cannot decrypt what the NAT passed on");
	cr_assert_eq(res.payload_len, sizeof(inner));
	cr_assert_eq(memcmp(pkt + 28 + res.payload_off, inner, sizeof(inner)),
		     0);
	dp_esp_sa_free(enc);
	dp_esp_sa_free(dec);
}

/* Checks that B reaches A at port PORT of the NAT, IKE and ESP. */
static void
assert_b_uses_port(uint16_t port)
{
	struct ike_sa_info *info;
	struct dp_sa_cfg out;
	int n;

	n = ike_get_sas(b.ike, &info);
	cr_assert_geq(n, 1);
	cr_assert_eq(info[n - 1].peer, addr(NAT_ADDR));
	cr_assert_eq(info[n - 1].peer_port, port, "B's IKE SA has port %u",
		     info[n - 1].peer_port);
	cr_assert_eq(info[n - 1].local_port, 4500);
	cr_assert(info[n - 1].natt);
	free(info);

	pthread_mutex_lock(&b.lock);
	cr_assert_eq(b.last.dst, addr(NAT_ADDR));
	cr_assert_eq(b.last.dport, port, "B's last message went to port %u",
		     b.last.dport);
	cr_assert(b.last.natt, "B's last message lacks the non-ESP marker");
	pthread_mutex_unlock(&b.lock);

	only_sa(&b, true, &out);
	cr_assert_eq(out.params.dst, addr(NAT_ADDR));
	cr_assert_eq(out.params.encap_sport, 4500);
	cr_assert_eq(out.params.encap_dport, port,
		     "B's ESP goes to port %u", out.params.encap_dport);

	pthread_mutex_lock(&a.lock);
	cr_assert_eq(a.nat_unmapped, 0,
		     "%zu messages of B found no mapping in the NAT",
		     a.nat_unmapped);
	pthread_mutex_unlock(&a.lock);
}

/* A's own SAs: from its port 4500 to B's 4500, which has no NAT. */
static void
assert_a_ports(void)
{
	struct dp_sa_cfg out, in;

	only_sa(&a, true, &out);
	only_sa(&a, false, &in);
	cr_assert_eq(out.params.encap_sport, 4500);
	cr_assert_eq(out.params.encap_dport, 4500);
	cr_assert_eq(in.params.encap_sport, 4500);
	cr_assert_eq(in.params.encap_dport, 4500);
}

static size_t want_moves;

static bool
b_moved(struct ikt_side *x, struct ikt_side *y)
{
	size_t n;

	(void)x;
	pthread_mutex_lock(&y->lock);
	n = y->encap_moves;
	pthread_mutex_unlock(&y->lock);
	return n >= want_moves;
}

/* The NAT maps A's port 4500 anew; A's next DPD request shows B the
 * new port. */
static void
remap_and_wait(void)
{
	pthread_mutex_lock(&a.lock);
	a.nat_port4500 = NAT_PORT4500_NEW;
	pthread_mutex_unlock(&a.lock);
	want_moves = 1;
	for (int i = 0; i < 5 && !b_moved(&a, &b); i++)
		ikt_advance(11);
	cr_assert(ikt_wait(&a, &b, b_moved, 5),
		  "B's outbound SA did not follow A to port %u",
		  NAT_PORT4500_NEW);
	/* The DPD response goes out after the move. */
	ike_sync(b.ike);
}

static uint32_t stale_spi;

/* A dropped the pair that sent on the stale SPI and has a new one. */
static bool
a_renewed(struct ikt_side *x, struct ikt_side *y)
{
	struct dp_sa_cfg sa;

	return both_pairs(x, y) && !ikt_find(x, stale_spi, true, &sa);
}

/* B's datapath reports A's outbound SPI as unknown, through the NAT. */
static void
report_invalid_spi(void)
{
	struct dp_invalid_spi_event ev = { .proto = 50, .udp_encap = true };
	struct dp_sa_cfg out;

	only_sa(&a, true, &out);
	stale_spi = out.params.spi;
	ev.src = addr(NAT_ADDR);
	ev.dst = b.addr;
	ev.spi = stale_spi;
	snprintf(ev.ifname, sizeof(ev.ifname), "GigabitEthernet1");
	ike_post_invalid_spi(b.ike, &ev);
	ike_sync(b.ike);
	cr_assert(ikt_wait(&a, &b, a_renewed, 10),
		  "A kept SPI 0x%X: A %zu SAs, B %zu", stale_spi, a.nsas,
		  b.nsas);
}

TestSuite(ike_nat_ports, .fini = teardown);

/*
 * Brings A and B up through the NAT, lets the NAT map A anew and has B
 * report A's outbound SPI as unknown. After each step it checks that
 * B's IKE messages and ESP reach A and that ESP flows both ways.
 */
static void
run_nat_story(const char *cfg_a, const char *cfg_b)
{
	setup(cfg_a, cfg_b);
	assert_b_uses_port(NAT_PORT4500);
	assert_a_ports();
	assert_esp_flows(&b, &a, 4500, NAT_PORT4500);
	assert_esp_flows(&a, &b, 4500, 4500);

	remap_and_wait();
	assert_b_uses_port(NAT_PORT4500_NEW);
	assert_esp_flows(&b, &a, 4500, NAT_PORT4500_NEW);

	/* B's notify reaches A at the new port, and the pair A then
	 * negotiates uses that port from the start. */
	report_invalid_spi();
	assert_b_uses_port(NAT_PORT4500_NEW);
	assert_esp_flows(&b, &a, 4500, NAT_PORT4500_NEW);
	assert_esp_flows(&a, &b, 4500, 4500);
}

Test(ike_nat_ports, ikev1_follows_translated_port)
{
	struct ike_stats st;
	struct ike_counters ca;

	run_nat_story(V1_CFG_A, V1_CFG_B);
	ike_get_stats(b.ike, &st);
	cr_assert_eq(st.invalid_spi_events, 1);
	cr_assert_eq(st.delete_notify_ignored, 0);
	ike_get_counters(a.ike, &ca);
	cr_assert_geq(ca.delete_received, 1, "A got no DELETE from B");
	cr_assert_eq(ca.p2_established, 2, "A negotiated %llu pairs",
		     (unsigned long long)ca.p2_established);
}

Test(ike_nat_ports, ikev2_follows_translated_port)
{
	struct ike_v2_stats sa, sb;

	run_nat_story(V2_CFG_A, V2_CFG_B);
	ike_get_v2_stats(b.ike, &sb);
	ike_get_v2_stats(a.ike, &sa);
	cr_assert_eq(sb.invalid_spi_tx, 1);
	cr_assert_eq(sa.invalid_spi_rx, 1, "A got %llu INVALID_SPI notifies",
		     (unsigned long long)sa.invalid_spi_rx);
	cr_assert_eq(sa.child_established, 2, "A negotiated %llu pairs",
		     (unsigned long long)sa.child_established);
}

static bool
b_has_two_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, true) == 2 && ikt_count(y, true) == 2 &&
	       ikt_count(y, false) == 2;
}

/*
 * The NAT maps A anew and A's next IKE message is a Quick Mode, not DPD.
 * B follows A to the new port before it responds, so Quick Mode
 * completes. Both the old pair and the new one send to that port.
 */
Test(ike_nat_ports, ikev1_quick_mode_from_new_port)
{
	size_t n = 0;

	setup(V1_CFG_A, V1_CFG_B);
	pthread_mutex_lock(&a.lock);
	a.nat_port4500 = NAT_PORT4500_NEW;
	pthread_mutex_unlock(&a.lock);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, b_has_two_pairs, 10),
		  "Quick Mode from the new port failed: A %zu SAs, B %zu",
		  a.nsas, b.nsas);
	ike_sync(b.ike);

	pthread_mutex_lock(&b.lock);
	for (size_t i = 0; i < b.nsas; i++) {
		const struct dp_sa_params *p = &b.sas[i].params;

		if (!p->outbound)
			continue;
		n++;
		cr_assert_eq(p->encap_dport, NAT_PORT4500_NEW,
			     "B's SA 0x%X goes to port %u", p->spi,
			     p->encap_dport);
	}
	cr_assert_eq(b.encap_moves, 1, "B moved %zu SAs", b.encap_moves);
	pthread_mutex_unlock(&b.lock);
	cr_assert_eq(n, 2);
	pthread_mutex_lock(&a.lock);
	cr_assert_eq(a.nat_unmapped, 0, "%zu messages of B were lost",
		     a.nat_unmapped);
	pthread_mutex_unlock(&a.lock);
}

static bool
a_got_dpd_response(struct ikt_side *x, struct ikt_side *y)
{
	struct ike_v2_stats st;

	(void)y;
	ike_get_v2_stats(x->ike, &st);
	return st.rx_res[IKE_V2_INFORMATIONAL] >= 1;
}

/*
 * B's response to A's DPD request is lost and the NAT maps A anew before
 * A retransmits. B sends the response again to the port the
 * retransmission came from (RFC 7296 2.23). The retransmission is not
 * authenticated again, so B's IKE SA and SAs keep the old port.
 */
Test(ike_nat_ports, ikev2_retransmission_from_new_port)
{
	struct ike_sa_info *info;
	struct dp_sa_cfg out;

	setup(V2_CFG_A, V2_CFG_B);
	pthread_mutex_lock(&b.lock);
	b.drop_nth = b.sent + 1;
	pthread_mutex_unlock(&b.lock);
	ikt_advance(11);
	ike_sync(a.ike);
	ike_sync(b.ike);
	cr_assert_not(a_got_dpd_response(&a, &b), "B's response was not lost");

	pthread_mutex_lock(&a.lock);
	a.nat_port4500 = NAT_PORT4500_NEW;
	pthread_mutex_unlock(&a.lock);
	for (int i = 0; i < 5 && !a_got_dpd_response(&a, &b); i++)
		ikt_advance(2);
	cr_assert(ikt_wait(&a, &b, a_got_dpd_response, 5),
		  "A got no response to its retransmission");
	pthread_mutex_lock(&a.lock);
	cr_assert_eq(a.nat_unmapped, 0, "%zu messages of B were lost",
		     a.nat_unmapped);
	pthread_mutex_unlock(&a.lock);
	pthread_mutex_lock(&b.lock);
	cr_assert_eq(b.last.dport, NAT_PORT4500_NEW);
	pthread_mutex_unlock(&b.lock);

	cr_assert_eq(ike_get_sas(b.ike, &info), 1);
	cr_assert_eq(info[0].peer_port, NAT_PORT4500);
	free(info);
	only_sa(&b, true, &out);
	cr_assert_eq(out.params.encap_dport, NAT_PORT4500);
}
