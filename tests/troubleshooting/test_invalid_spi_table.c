/*
 * The invalid-SPI flow table and `show crypto ipsec invalid-spi` on a
 * router made of the real config store, datapath and IKE manager. ESP
 * packets arrive through capture replay. The cases: a spoofed source, a
 * configured peer that kept an SA we never had, and SPIs of SAs removed
 * by a rekey, a delete and a clear. A flood of random SPIs checks the
 * bound.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "core/config.h"
#include "datapath/datapath.h"
#include "fixture.h"
#include "ikemgr/ikemgr.h"

#define IFNAME "GigabitEthernet1"
#define OUR "10.0.0.1"
#define PEER "10.0.0.2"

#define CONFIG \
	"crypto isakmp policy 10\n" \
	" encryption aes 256\n" \
	" hash sha256\n" \
	" authentication pre-share\n" \
	" group 14\n" \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n" \
	"crypto isakmp key s3cret address " PEER "\n" \
	"ip access-list extended VPN\n" \
	" permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer " PEER "\n" \
	" set transform-set TS\n" \
	" match address VPN\n" \
	"interface " IFNAME "\n" \
	" ip address " OUR " 255.255.255.0\n" \
	" crypto map CMAP\n"

static struct fixture fx;
static char pcap_path[128];

static uint32_t
addr(const char *s)
{
	uint32_t a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1, "bad address %s", s);
	return a;
}

static void
setup(void)
{
	struct router *r = &fx.router;

	fx_open(&fx);
	r->dp = dp_create();
	r->ike = ike_create();
	cr_assert_not_null(r->dp);
	cr_assert_not_null(r->ike);
	dp_set_invalid_spi_sink(r->dp, ike_post_invalid_spi, r->ike);
	dp_set_sa_event_sink(r->dp, ike_post_sa_event, r->ike);
	dp_set_ike_sink(r->dp, ike_post_packet, r->ike);
	dp_set_acquire_sink(r->dp, ike_post_acquire, r->ike);
	ike_set_dp(r->ike, r->dp);
	cr_assert_eq(cfg_subscribe(r->cfg, dp_config_apply, r->dp), 0);
	cr_assert_eq(cfg_subscribe(r->cfg, ike_config_apply, r->ike), 0);
	cr_assert_eq(ike_start(r->ike), 0);
	cr_assert_eq(dp_start(r->dp), 0);
	fx_apply(&fx, CONFIG);
	fx_run(&fx, "end");
	snprintf(pcap_path, sizeof(pcap_path), "%s/esp.pcap", fx.dir);
}

static void
teardown(void)
{
	struct router *r = &fx.router;

	/* The IKE manager posts to the datapath: stop it first. */
	ike_stop(r->ike);
	dp_stop(r->dp);
	ike_destroy(r->ike);
	dp_destroy(r->dp);
	fx_close(&fx);
}

TestSuite(invalid_spi_table, .init = setup, .fini = teardown,
	  .timeout = 120);

/* ---- packets ---- */

static uint16_t
ip_checksum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Builds an IPv4 ESP packet of 56 octets from SRC to DST with SPI. */
static size_t
esp_packet(uint8_t *p, uint32_t src, uint32_t dst, uint32_t spi,
	   uint32_t seq)
{
	size_t len = 56;
	uint16_t sum;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = 0;
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 50;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	sum = ip_checksum(p);
	p[10] = (uint8_t)(sum >> 8);
	p[11] = (uint8_t)sum;
	for (int i = 0; i < 4; i++) {
		p[20 + i] = (uint8_t)(spi >> (24 - 8 * i));
		p[24 + i] = (uint8_t)(seq >> (24 - 8 * i));
	}
	for (size_t i = 28; i < len; i++)
		p[i] = (uint8_t)i;
	return len;
}

/* Packets for replay, written to a capture file. */
struct burst {
	pcap_t *dead;
	pcap_dumper_t *dump;
	size_t n;
};

static void
burst_open(struct burst *b)
{
	b->dead = pcap_open_dead(DLT_RAW, 65535);
	cr_assert_not_null(b->dead);
	b->dump = pcap_dump_open(b->dead, pcap_path);
	cr_assert_not_null(b->dump, "cannot write %s", pcap_path);
	b->n = 0;
}

static void
burst_add(struct burst *b, const char *src, uint32_t spi, int count)
{
	uint8_t pkt[64];
	struct pcap_pkthdr h = { 0 };

	for (int i = 0; i < count; i++) {
		h.caplen = h.len = (bpf_u_int32)esp_packet(pkt, addr(src),
							   addr(OUR), spi,
							   (uint32_t)i + 1);
		pcap_dump((u_char *)b->dump, &h, pkt);
		b->n++;
	}
}

/* Replays the burst into IFNAME and waits until the IKE manager's
 * decisions reached the table. */
static void
burst_replay(struct burst *b)
{
	struct router *r = &fx.router;
	char err[160];

	pcap_dump_close(b->dump);
	pcap_close(b->dead);
	cr_assert_eq(dp_replay(r->dp, IFNAME, pcap_path, err, sizeof(err)), 0,
		     "replay failed: %s", err);
	dp_sync(r->dp);
	ike_sync(r->ike);
	dp_sync(r->dp);
}

static void
send_esp(const char *src, uint32_t spi, int count)
{
	struct burst b;

	burst_open(&b);
	burst_add(&b, src, spi, count);
	burst_replay(&b);
}

/* ---- SAs ---- */

static struct dp_sa_cfg
sa(uint32_t spi, bool outbound)
{
	struct dp_sa_cfg c;

	memset(&c, 0, sizeof(c));
	c.params.spi = spi;
	c.params.outbound = outbound;
	c.params.src = addr(outbound ? OUR : PEER);
	c.params.dst = addr(outbound ? PEER : OUR);
	c.params.tunnel = true;
	c.params.cipher = DP_CIPHER_AES_CBC;
	c.params.cipher_key_len = 32;
	memset(c.params.cipher_key, 0x11, 32);
	c.params.integ = DP_INTEG_HMAC_SHA1_96;
	c.params.integ_key_len = 20;
	memset(c.params.integ_key, 0x22, 20);
	c.params.replay_window = 64;
	snprintf(c.map, sizeof(c.map), "CMAP");
	c.map_seq = 10;
	snprintf(c.ifname, sizeof(c.ifname), IFNAME);
	snprintf(c.transform, sizeof(c.transform), "esp-256-aes esp-sha-hmac");
	c.lifetime_sec = 3600;
	return c;
}

/* Installs an SA pair with inbound SPI IN and outbound SPI OUT. */
static void
install_pair(uint32_t in, uint32_t out)
{
	struct dp_sa_cfg pair[2] = { sa(in, false), sa(out, true) };
	char err[160];

	cr_assert_eq(dp_sa_install_n(fx.router.dp, pair, 2, err, sizeof(err)),
		     0, "install failed: %s", err);
}

/* ---- output ---- */

/*
 * Returns `show crypto ipsec invalid-spi` with wall-clock times as
 * "HH:MM:SS.mmm" and the black-holed seconds as "S.mmm", so rows can be
 * compared whole.
 */
static const char *
show(void)
{
	static char buf[1 << 16];
	const char *out = fx_run(&fx, "show crypto ipsec invalid-spi");
	size_t k = 0;

	cr_assert_eq(fx.result, CMD_SUCCESS, "show failed: %s", out);
	for (size_t i = 0; out[i] != '\0' && k + 16 < sizeof(buf);) {
		const char *p = out + i;

		if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])
		    && p[2] == ':' && strlen(p) >= 12 && p[5] == ':' &&
		    p[8] == '.') {
			memcpy(buf + k, "HH:MM:SS.mmm", 12);
			k += 12;
			i += 12;
		} else if (strncmp(p, "black-holed: ", 13) == 0) {
			memcpy(buf + k, "black-holed: S.mmm", 18);
			k += 18;
			i += 13;
			while (isdigit((unsigned char)out[i]) || out[i] == '.')
				i++;
		} else {
			buf[k++] = out[i++];
		}
	}
	buf[k] = '\0';
	return buf;
}

static void
assert_contains(const char *out, const char *row)
{
	cr_assert_not_null(strstr(out, row), "expected\n%s\nin\n%s", row, out);
}

/* ---- verdicts ---- */

Test(invalid_spi_table, spoofed_source)
{
	const char *out;

	send_esp("198.51.100.7", 0x77B40000, 3);
	out = show();
	assert_contains(out, "Invalid SPI flows: 1 (table of 4096, 0 evicted, "
			"0 packets of flows not admitted)\n");
	assert_contains(out,
		"   srcaddr: 198.51.100.7, destaddr: 10.0.0.1, "
		"spi: 0x77B40000(2008285184)\n"
		"    input interface: GigabitEthernet1, packets: 3\n"
		"    first seen: HH:MM:SS.mmm, last seen: HH:MM:SS.mmm, "
		"black-holed: S.mmm s\n"
		"    IKE SA to 198.51.100.7: no\n"
		"    SPI history: never seen\n"
		"    recovery: ignored: not a configured peer at HH:MM:SS.mmm\n"
		"    verdict: spoofed or unknown source\n");
}

Test(invalid_spi_table, peer_without_sa)
{
	const char *out;

	send_esp(PEER, 0xB761863E, 2);
	out = show();
	assert_contains(out,
		"   srcaddr: 10.0.0.2, destaddr: 10.0.0.1, "
		"spi: 0xB761863E(3076621886)\n"
		"    input interface: GigabitEthernet1, packets: 2\n"
		"    first seen: HH:MM:SS.mmm, last seen: HH:MM:SS.mmm, "
		"black-holed: S.mmm s\n"
		"    IKE SA to 10.0.0.2: no\n"
		"    SPI history: never seen\n"
		"    recovery: ignored: no IKE SA and invalid-spi-recovery off "
		"at HH:MM:SS.mmm\n"
		"    verdict: peer kept an SA we lost\n");
}

Test(invalid_spi_table, peer_without_sa_recovery)
{
	const char *out;

	fx_run(&fx, "configure terminal");
	fx_apply(&fx, "crypto isakmp invalid-spi-recovery");
	fx_run(&fx, "end");
	send_esp(PEER, 0xB761863E, 2);
	out = show();
	/* Recovery started Main Mode: an IKE SA to the peer now exists. */
	assert_contains(out,
		"    IKE SA to 10.0.0.2: yes\n"
		"    SPI history: never seen\n"
		"    recovery: invalid-spi-recovery started IKE at HH:MM:SS.mmm\n"
		"    verdict: peer kept an SA we lost\n");
}

Test(invalid_spi_table, second_spi_during_phase1)
{
	const char *out;

	fx_run(&fx, "configure terminal");
	fx_apply(&fx, "crypto isakmp invalid-spi-recovery");
	fx_run(&fx, "end");
	send_esp(PEER, 0xB761863E, 1);
	/* Nothing replies to Main Mode, so phase 1 is still under way. */
	send_esp(PEER, 0xB761863F, 1);
	out = show();
	assert_contains(out,
		"   srcaddr: 10.0.0.2, destaddr: 10.0.0.1, "
		"spi: 0xB761863F(3076621887)\n"
		"    input interface: GigabitEthernet1, packets: 1\n"
		"    first seen: HH:MM:SS.mmm, last seen: HH:MM:SS.mmm, "
		"black-holed: S.mmm s\n"
		"    IKE SA to 10.0.0.2: yes\n"
		"    SPI history: never seen\n"
		"    recovery: DELETE queued behind the phase 1 under way at "
		"HH:MM:SS.mmm\n"
		"    verdict: peer kept an SA we lost\n");
	assert_contains(out,
		"    recovery: invalid-spi-recovery started IKE at HH:MM:SS.mmm\n");
}

Test(invalid_spi_table, recovery_suppressed_within_interval)
{
	const char *out;

	fx_run(&fx, "configure terminal");
	fx_apply(&fx, "crypto isakmp invalid-spi-recovery");
	fx_run(&fx, "end");
	send_esp(PEER, 0xB761863E, 1);
	/* Without the IKE SA that recovery started, the next report finds
	 * the last attempt less than 10 s old. */
	fx_run(&fx, "clear crypto isakmp");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	send_esp(PEER, 0xB761863F, 1);
	out = show();
	assert_contains(out,
		"    IKE SA to 10.0.0.2: no\n"
		"    SPI history: never seen\n"
		"    recovery: suppressed: recovery to this peer ran less than "
		"10 s before at HH:MM:SS.mmm\n"
		"    verdict: peer kept an SA we lost\n");
}

Test(invalid_spi_table, spi_replaced_by_rekey)
{
	const char *out;

	install_pair(0x1000, 0x5000);
	install_pair(0x2000, 0x6000);
	cr_assert_eq(dp_sa_remove(fx.router.dp, false, addr(OUR), 0x1000), 0);
	send_esp(PEER, 0x1000, 4);
	out = show();
	assert_contains(out,
		"   srcaddr: 10.0.0.2, destaddr: 10.0.0.1, spi: 0x1000(4096)\n"
		"    input interface: GigabitEthernet1, packets: 4\n"
		"    first seen: HH:MM:SS.mmm, last seen: HH:MM:SS.mmm, "
		"black-holed: S.mmm s\n"
		"    IKE SA to 10.0.0.2: no\n"
		"    SPI history: ours, replaced by a rekey at HH:MM:SS.mmm, "
		"removed at HH:MM:SS.mmm\n"
		"    recovery: ignored: no IKE SA and invalid-spi-recovery off "
		"at HH:MM:SS.mmm\n"
		"    verdict: transient rekey\n");
}

Test(invalid_spi_table, spi_deleted)
{
	const char *out;

	install_pair(0x1000, 0x5000);
	cr_assert_eq(dp_sa_remove(fx.router.dp, false, addr(OUR), 0x1000), 0);
	send_esp(PEER, 0x1000, 1);
	out = show();
	assert_contains(out,
		"    SPI history: ours, deleted, removed at HH:MM:SS.mmm\n"
		"    recovery: ignored: no IKE SA and invalid-spi-recovery off "
		"at HH:MM:SS.mmm\n"
		"    verdict: peer kept an SA we lost\n");
}

Test(invalid_spi_table, spi_cleared)
{
	const char *out;

	install_pair(0x1000, 0x5000);
	fx_run(&fx, "clear crypto sa");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	send_esp(PEER, 0x1000, 1);
	out = show();
	assert_contains(out,
		"    SPI history: ours, cleared, removed at HH:MM:SS.mmm\n"
		"    recovery: ignored: no IKE SA and invalid-spi-recovery off "
		"at HH:MM:SS.mmm\n"
		"    verdict: peer kept an SA we lost\n");
}

Test(invalid_spi_table, spi_expired)
{
	struct dp_sa_cfg pair[2] = { sa(0x1000, false), sa(0x5000, true) };
	struct dp_sa_info *sas;
	char err[160];
	int n = 0;
	const char *out;

	pair[0].lifetime_sec = pair[1].lifetime_sec = 1;
	cr_assert_eq(dp_sa_install_n(fx.router.dp, pair, 2, err, sizeof(err)),
		     0, "install failed: %s", err);
	/* The lifetime scan removes both SAs about a second later. */
	for (int tries = 0; tries < 50; tries++) {
		n = dp_get_sas(fx.router.dp, &sas);
		free(sas);
		if (n == 0)
			break;
		usleep(100000);
	}
	cr_assert_eq(n, 0, "the SAs did not expire within 5 s");
	send_esp(PEER, 0x1000, 1);
	out = show();
	/* The IKE manager may act on the expiry events, so the recovery
	 * row is not checked here. */
	assert_contains(out,
		"    SPI history: ours, expired, removed at HH:MM:SS.mmm\n");
	assert_contains(out, "    verdict: peer kept an SA we lost\n");
}

/* ---- the table itself ---- */

Test(invalid_spi_table, packets_counted_per_flow)
{
	struct dp_spi_table t;
	struct burst b;

	burst_open(&b);
	burst_add(&b, PEER, 0x300, 5);
	burst_add(&b, "198.51.100.7", 0x300, 2);
	burst_add(&b, PEER, 0x301, 1);
	burst_replay(&b);
	cr_assert_eq(dp_get_spi_flows(fx.router.dp, &t), 0);
	cr_assert_eq(t.n, 3);
	/* Latest last packet first. */
	cr_assert_eq(t.flows[0].spi, 0x301);
	cr_assert_eq(t.flows[0].packets, 1);
	cr_assert_eq(t.flows[1].src, addr("198.51.100.7"));
	cr_assert_eq(t.flows[1].packets, 2);
	cr_assert_eq(t.flows[2].spi, 0x300);
	cr_assert_eq(t.flows[2].src, addr(PEER));
	cr_assert_eq(t.flows[2].packets, 5);
	cr_assert_leq(t.flows[2].first_ns, t.flows[2].last_ns);
	free(t.flows);
}

Test(invalid_spi_table, clear_empties_table)
{
	const char *out;

	send_esp("198.51.100.7", 0x77B40000, 1);
	fx_run(&fx, "clear crypto ipsec invalid-spi");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	out = show();
	cr_assert_str_eq(out, "Invalid SPI flows: 0 (table of 4096, 0 evicted, "
			 "0 packets of flows not admitted)"
			 "\n\n");
}

/*
 * A flood of 20000 flows with random sources and SPIs within a few
 * milliseconds: the table admits the 512 new flows of its burst (and
 * one per 5 ms after), counts the packets of the others as not admitted,
 * and keeps counting the peer's flow that came before the flood.
 */
Test(invalid_spi_table, random_spi_flood_admission)
{
	enum { FLOWS = 20000 };
	struct dp_spi_table t;
	struct burst b;
	uint8_t pkt[64];
	struct pcap_pkthdr h = { 0 };
	unsigned seed = 7;
	size_t peer_flows = 0;

	burst_open(&b);
	/* The peer keeps sending on its lost SA all along. */
	burst_add(&b, PEER, 0xABCDEF, 1);
	for (int i = 0; i < FLOWS; i++) {
		/* Distinct sources in 100.64.0.0/10, so every flow is new. */
		uint32_t src = htonl(0x64400000u + (uint32_t)i + 1);
		uint32_t spi = (uint32_t)rand_r(&seed) << 1 | 1;

		h.caplen = h.len = (bpf_u_int32)esp_packet(pkt, src, addr(OUR),
							   spi, 1);
		pcap_dump((u_char *)b.dump, &h, pkt);
		if (i % 1000 == 999)
			burst_add(&b, PEER, 0xABCDEF, 1);
	}
	burst_replay(&b);
	cr_assert_eq(dp_get_spi_flows(fx.router.dp, &t), 0);
	cr_assert_geq(t.n, 512);
	cr_assert_lt(t.n, DP_SPI_FLOWS_MAX, "the flood filled the table");
	cr_assert_eq(t.evicted, 0);
	/* Every random packet is either a flow of the table or untracked. */
	cr_assert_eq(t.n - 1 + t.untracked, FLOWS);
	for (size_t i = 0; i < t.n; i++) {
		const struct dp_spi_flow *f = &t.flows[i];

		if (f->src == addr(PEER)) {
			cr_assert_eq(f->spi, 0xABCDEF);
			cr_assert_eq(f->packets, 1 + FLOWS / 1000);
			peer_flows++;
			continue;
		}
		cr_assert_eq(f->packets, 1);
	}
	cr_assert_eq(peer_flows, 1);
	free(t.flows);
}

/*
 * Without threads, packets carry the clock the test gives them: the
 * same rekeyed SPI is a transient within the 60 s overlap after the
 * removal of its SA and out of sync beyond it.
 */
static void
setup_clocked(void)
{
	struct router *r = &fx.router;

	fx_open(&fx);
	r->dp = dp_create();
	cr_assert_not_null(r->dp);
	cr_assert_eq(cfg_subscribe(r->cfg, dp_config_apply, r->dp), 0);
	fx_apply(&fx, CONFIG);
	fx_run(&fx, "end");
	install_pair(0x1000, 0x5000);
	install_pair(0x2000, 0x6000);
	cr_assert_eq(dp_sa_remove(r->dp, false, addr(OUR), 0x1000), 0);
}

static void
teardown_clocked(void)
{
	dp_destroy(fx.router.dp);
	fx_close(&fx);
}

TestSuite(invalid_spi_overlap, .init = setup_clocked,
	  .fini = teardown_clocked, .timeout = 60);

/* Feeds one ESP packet with SPI from PEER, AFTER_SEC seconds from now. */
static void
send_esp_at(uint32_t spi, uint64_t after_sec)
{
	uint8_t pkt[64];
	const uint8_t *pkts[1] = { pkt };
	size_t len = esp_packet(pkt, addr(PEER), addr(OUR), spi, 1);

	cr_assert_eq(dp_input_batch(fx.router.dp, IFNAME, DLT_RAW, pkts, &len,
				    1, dp_now_ns() + after_sec * 1000000000ULL),
		     0);
}

Test(invalid_spi_overlap, within_overlap_transient)
{
	const char *out;

	send_esp_at(0x1000, 5);
	out = show();
	assert_contains(out,
		"    IKE SA to 10.0.0.2: unknown\n"
		"    SPI history: ours, replaced by a rekey at HH:MM:SS.mmm, "
		"removed at HH:MM:SS.mmm\n"
		"    recovery: none yet\n"
		"    verdict: transient rekey\n");
}

Test(invalid_spi_overlap, beyond_overlap_out_of_sync)
{
	const char *out;

	send_esp_at(0x1000, 61);
	out = show();
	assert_contains(out,
		"    SPI history: ours, replaced by a rekey at HH:MM:SS.mmm, "
		"removed at HH:MM:SS.mmm\n"
		"    recovery: none yet\n"
		"    verdict: peer kept an SA we lost\n");
}

/*
 * 20000 new flows 5 ms apart, each admitted: the table keeps exactly the
 * 4096 with the latest packets and counts the rest as evicted, and the
 * peer's flow that keeps sending stays in it.
 */
Test(invalid_spi_overlap, eviction_keeps_latest)
{
	enum { FLOWS = 20000 };
	const uint64_t gap_ns = 5000000;
	struct dp_spi_table t;
	uint8_t pkt[64];
	const uint8_t *pkts[1] = { pkt };
	uint64_t start = dp_now_ns();
	size_t len, random_flows = 0, peer_flows = 0;

	for (uint32_t i = 0; i < FLOWS; i++) {
		len = esp_packet(pkt, htonl(0x64400000u + i + 1), addr(OUR),
				 0x10000 + i, 1);
		cr_assert_eq(dp_input_batch(fx.router.dp, IFNAME, DLT_RAW, pkts,
					    &len, 1, start + i * gap_ns), 0);
		if (i % 1000 == 0) {
			len = esp_packet(pkt, addr(PEER), addr(OUR), 0xABCDEF,
					 1);
			cr_assert_eq(dp_input_batch(fx.router.dp, IFNAME,
						    DLT_RAW, pkts, &len, 1,
						    start + i * gap_ns), 0);
		}
	}
	cr_assert_eq(dp_get_spi_flows(fx.router.dp, &t), 0);
	cr_assert_eq(t.n, DP_SPI_FLOWS_MAX);
	cr_assert_eq(t.untracked, 0);
	/* 20001 flows in all, of which the table keeps 4096. */
	cr_assert_eq(t.evicted, FLOWS + 1 - DP_SPI_FLOWS_MAX);
	for (size_t i = 0; i < t.n; i++) {
		const struct dp_spi_flow *f = &t.flows[i];
		uint32_t idx;

		if (f->src == addr(PEER)) {
			cr_assert_eq(f->packets, FLOWS / 1000);
			peer_flows++;
			continue;
		}
		/* Only the newest flows are left, latest first. */
		idx = ntohl(f->src) - 0x64400000u - 1;
		cr_assert_lt(idx, FLOWS);
		cr_assert_geq(idx, FLOWS - (DP_SPI_FLOWS_MAX - 1));
		cr_assert_eq(f->spi, 0x10000 + idx);
		cr_assert_eq(f->packets, 1);
		random_flows++;
	}
	cr_assert_eq(peer_flows, 1);
	cr_assert_eq(random_flows, DP_SPI_FLOWS_MAX - 1);
	cr_assert_eq(t.flows[0].spi, 0x10000 + FLOWS - 1);
	free(t.flows);
}
