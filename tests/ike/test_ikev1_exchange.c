/*
 * Two IKE managers back to back: Main Mode and Quick Mode in both roles,
 * with and without PFS, the SAs they install, DELETE, INITIAL-CONTACT and
 * the invalid-SPI paths with and without an IKE SA.
 */
#include "ike_test.h"

#include "core/debug.h"
#include "ikemgr/isakmp.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static struct ikt_side a, b;

#define COMMON \
	"crypto isakmp policy 10\n" \
	" encryption aes 256\n" \
	" hash sha256\n" \
	" authentication pre-share\n" \
	" group 14\n" \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n"

#define CFG_A(extra) \
	COMMON \
	"crypto isakmp key s3cret address 10.0.0.2\n" \
	"ip access-list extended VPN\n" \
	" permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer 10.0.0.2\n" \
	" set transform-set TS\n" \
	" match address VPN\n" \
	extra \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.1 255.255.255.0\n" \
	" crypto map CMAP\n"

#define CFG_B(extra) \
	COMMON \
	"crypto isakmp key s3cret address 10.0.0.1\n" \
	"ip access-list extended VPN\n" \
	" permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer 10.0.0.1\n" \
	" set transform-set TS\n" \
	" match address VPN\n" \
	extra \
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

static bool
no_sas(struct ikt_side *x, struct ikt_side *y)
{
	return x->nsas == 0 && y->nsas == 0;
}

/* Checks that X's inbound SA is Y's outbound one, keys included. */
static void
assert_mirrored(struct ikt_side *x, struct ikt_side *y)
{
	struct dp_sa_cfg in, out;

	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < x->nsas; i++)
		if (!x->sas[i].params.outbound)
			in = x->sas[i];
	pthread_mutex_unlock(&x->lock);
	cr_assert(ikt_find(y, in.params.spi, true, &out),
		  "no outbound SA 0x%X on the peer", in.params.spi);
	cr_assert_eq(in.params.src, out.params.src);
	cr_assert_eq(in.params.dst, out.params.dst);
	cr_assert_eq(in.params.dst, x->addr);
	cr_assert_eq(in.params.cipher, DP_CIPHER_AES_CBC);
	cr_assert_eq(in.params.cipher_key_len, 32);
	cr_assert_eq(in.params.integ, DP_INTEG_HMAC_SHA1_96);
	cr_assert_eq(in.params.integ_key_len, 20);
	cr_assert_eq(memcmp(in.params.cipher_key, out.params.cipher_key, 32),
		     0);
	cr_assert_eq(memcmp(in.params.integ_key, out.params.integ_key, 20), 0);
	cr_assert(in.params.tunnel);
	cr_assert_not(in.params.udp_encap, "no NAT between the two");
	cr_assert_str_eq(in.map, "CMAP");
	cr_assert_eq(in.map_seq, 10);
	cr_assert_str_eq(in.ifname, "GigabitEthernet1");
	cr_assert_gt(in.params.spi, 255);
}

static void
bring_up(void)
{
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10),
		  "no SA pair on both sides: A %zu, B %zu", a.nsas, b.nsas);
}

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
}

Test(ikev1_exchange, main_and_quick_mode, .fini = teardown)
{
	struct ike_sa_info *info;
	struct ike_counters ca, cb;
	int n;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	assert_mirrored(&a, &b);
	assert_mirrored(&b, &a);

	n = ike_get_sas(a.ike, &info);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(info[0].state, "QM_IDLE");
	cr_assert_eq(info[0].conn_id, 1001);
	cr_assert(info[0].initiator);
	cr_assert_eq(info[0].dh_group, 14);
	cr_assert_str_eq(info[0].encr, "aes");
	cr_assert_eq(info[0].key_bits, 256);
	cr_assert_str_eq(info[0].hash, "sha256");
	cr_assert_eq(info[0].peer, b.addr);
	cr_assert(info[0].dpd, "the peer sent the DPD vendor ID");
	cr_assert_eq(info[0].child_sas, 1);
	free(info);
	n = ike_get_sas(b.ike, &info);
	cr_assert_eq(n, 1);
	cr_assert_not(info[0].initiator);
	cr_assert_str_eq(info[0].state, "QM_IDLE");
	free(info);

	ike_get_counters(a.ike, &ca);
	ike_get_counters(b.ike, &cb);
	cr_assert_eq(ca.p1_established, 1);
	cr_assert_eq(cb.p1_established, 1);
	cr_assert_eq(ca.p2_established, 1);
	cr_assert_eq(cb.p2_established, 1);
	cr_assert_eq(ca.packets_dropped, 0);
	cr_assert_eq(cb.packets_dropped, 0);
}

/* Traffic that found no SA on the static map entry (an acquire from the
 * datapath) starts Main Mode and Quick Mode; one on an unknown entry
 * starts nothing. */
Test(ikev1_exchange, acquire_starts_negotiation, .fini = teardown)
{
	struct dp_acquire_event ev = {
		.map = "CMAP", .map_seq = 10, .ifname = "GigabitEthernet1",
		.proto = 1,
	};
	struct dp_acquire_event other = ev;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	other.map_seq = 20;
	ike_post_acquire(a.ike, &other);
	ike_sync(a.ike);
	cr_assert_eq(a.sent, 0, "no entry 20: nothing sent");
	ev.src = addr("192.168.1.5");
	ev.dst = addr("192.168.2.5");
	ike_post_acquire(a.ike, &ev);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10));
	assert_mirrored(&a, &b);
	/* A second acquire while the pair exists starts nothing. */
	ike_post_acquire(a.ike, &ev);
	ike_sync(a.ike);
	cr_assert(both_pairs(&a, &b));
}

Test(ikev1_exchange, quick_mode_with_pfs, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(" set pfs group19\n"), &b,
		       CFG_B(" set pfs group19\n"));
	bring_up();
	assert_mirrored(&a, &b);
	assert_mirrored(&b, &a);
}

Test(ikev1_exchange, responder_initiates_too, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	cr_assert_eq(ike_initiate(b.ike, a.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10));
	assert_mirrored(&a, &b);
}

Test(ikev1_exchange, pfs_mismatch_installs_nothing, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(" set pfs group14\n"), &b, CFG_B(""));
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert_not(ikt_wait(&a, &b, both_pairs, 1.5));
	cr_assert_eq(ikt_count(&a, true), 0);
	cr_assert_eq(ikt_ike_up(&a), 1, "phase 1 completes anyway");
}

Test(ikev1_exchange, wrong_key_fails_phase1, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(""), &b,
		       CFG_B("crypto isakmp key other address 10.0.0.1\n"));
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert_not(ikt_wait(&a, &b, both_pairs, 1.5));
	cr_assert_eq(ikt_ike_up(&a), 0);
	cr_assert_eq(ikt_ike_up(&b), 0);
}

static uint32_t
fixed_spi(void *ctx)
{
	uint32_t *next = ctx;

	return (*next)++;
}

/* Inbound SPIs at 0xFFFFFFF0 and 0x80000000, where signed compares and
 * sentinels break, negotiate and install like any other. */
Test(ikev1_exchange, spi_high_range_installed, .fini = teardown)
{
	static uint32_t spa = 0xFFFFFFF0u, spb = 0x80000000u;
	struct dp_sa_cfg sa;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	ike_stop(a.ike);
	ike_stop(b.ike);
	ike_set_spi_source(a.ike, fixed_spi, &spa);
	ike_set_spi_source(b.ike, fixed_spi, &spb);
	ike_start(a.ike);
	ike_start(b.ike);
	bring_up();
	cr_assert(ikt_find(&a, 0xFFFFFFF0u, false, &sa));
	cr_assert(ikt_find(&b, 0xFFFFFFF0u, true, &sa));
	cr_assert(ikt_find(&b, 0x80000000u, false, &sa));
	cr_assert(ikt_find(&a, 0x80000000u, true, &sa));
	assert_mirrored(&a, &b);
	assert_mirrored(&b, &a);
}

Test(ikev1_exchange, clear_sends_delete, .fini = teardown)
{
	struct ike_counters cb;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	cr_assert_eq(ike_clear(a.ike, IKE_CLEAR_PEER_SA, b.addr, 0), 1);
	cr_assert(ikt_wait(&a, &b, no_sas, 5),
		  "SAs left: A %zu, B %zu", a.nsas, b.nsas);
	ike_get_counters(b.ike, &cb);
	cr_assert_eq(cb.delete_received, 1);
	cr_assert_eq(ikt_ike_up(&a), 1, "the IKE SA stays");
	cr_assert_eq(ike_clear(a.ike, IKE_CLEAR_PEER_SA, addr("10.9.9.9"), 0),
		     -1);
}

Test(ikev1_exchange, clear_isakmp_keeps_ipsec, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	cr_assert_eq(ike_clear(a.ike, IKE_CLEAR_ISAKMP, 0, 1001), 1);
	cr_assert_eq(ikt_ike_up(&a), 0);
	cr_assert_eq(a.nsas, 2, "IPsec SAs survive: UP-NO-IKE");
	cr_assert_eq(ike_clear(a.ike, IKE_CLEAR_ISAKMP, 0, 4242), -1);

	/* Without an IKE SA, clear crypto sa removes the SAs locally and
	 * says so as IOS does. */
	ikt_log_start();
	cr_assert_eq(ike_clear(a.ike, IKE_CLEAR_ALL_SA, 0, 0), 1);
	cr_assert_eq(a.nsas, 0);
	cr_assert_eq(ikt_log_count("ignoring request to send delete notify "
				   "(no ISAKMP sa) src 10.0.0.1 dst 10.0.0.2"),
		     1);
}

static uint32_t stale_spi;
static bool recovered(struct ikt_side *x, struct ikt_side *y);

/*
 * With an IKE SA, an unknown SPI from the peer gets an INVALID-SPI
 * notify and a DELETE naming it. The notify arrives first, so B drops
 * the pair whose outbound SPI A no longer knows and negotiates a new one.
 */
Test(ikev1_exchange, invalid_spi_with_ike_sa, .fini = teardown)
{
	struct dp_invalid_spi_event ev = { 0 };
	struct dp_sa_cfg out;
	struct ike_stats st;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	/* A forgets its inbound SA silently; B still sends on it. */
	pthread_mutex_lock(&a.lock);
	for (size_t i = 0; i < a.nsas; i++)
		if (!a.sas[i].params.outbound)
			ev.spi = a.sas[i].params.spi;
	a.nsas = 0;
	pthread_mutex_unlock(&a.lock);
	cr_assert(ikt_find(&b, ev.spi, true, &out));
	stale_spi = ev.spi;
	ikt_log_start();
	ev.src = b.addr;
	ev.dst = a.addr;
	ev.proto = 50;
	snprintf(ev.ifname, sizeof(ev.ifname), "GigabitEthernet1");
	ike_post_invalid_spi(a.ike, &ev);
	ike_sync(a.ike);
	cr_assert(ikt_wait(&a, &b, recovered, 5),
		  "B has %zu SAs, A %zu after the INVALID-SPI notify", b.nsas,
		  a.nsas);
	cr_assert_eq(ikt_log_count("INVALID_SPI for outbound ESP SPI"), 1,
		     "B acted on the notify");
	ike_get_stats(a.ike, &st);
	cr_assert_eq(st.delete_notify_ignored, 0);
}

/* Both sides have one IKE SA and one new SA pair; B no longer sends on
 * the SPI that A lost. */
static bool
recovered(struct ikt_side *x, struct ikt_side *y)
{
	struct dp_sa_cfg sa;

	return ikt_ike_up(x) == 1 && ikt_ike_up(y) == 1 && both_pairs(x, y) &&
	       !ikt_find(y, stale_spi, true, &sa);
}

/* The inbound SPI that X had before it lost its SAs. */
static struct dp_invalid_spi_event
stale_spi_event(struct ikt_side *x, struct ikt_side *sender)
{
	struct dp_invalid_spi_event ev = { 0 };

	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < x->nsas; i++)
		if (!x->sas[i].params.outbound)
			ev.spi = x->sas[i].params.spi;
	pthread_mutex_unlock(&x->lock);
	ev.src = sender->addr;
	ev.dst = x->addr;
	ev.proto = 50;
	snprintf(ev.ifname, sizeof(ev.ifname), "GigabitEthernet1");
	return ev;
}

/*
 * A restarts and B keeps sending on the old SPI. With recovery, A starts
 * Main Mode with INITIAL-CONTACT, so B drops its stale SAs at once, and
 * Quick Mode for the map entry brings a new pair.
 */
Test(ikev1_exchange, invalid_spi_recovery, .fini = teardown)
{
	const char *cfg = CFG_A("crypto isakmp invalid-spi-recovery\n");
	struct dp_invalid_spi_event ev;
	struct ike_stats st;
	struct ike_sa_info *info;
	int n;

	ikt_pair_start(&a, cfg, &b, CFG_B(""));
	bring_up();
	ev = stale_spi_event(&a, &b);
	stale_spi = ev.spi;
	ikt_side_restart(&a, cfg);
	ikt_log_start();
	ike_post_invalid_spi(a.ike, &ev);
	ike_sync(a.ike);
	cr_assert(ikt_wait(&a, &b, recovered, 10),
		  "B kept %zu SAs, A %d IKE SAs", b.nsas, ikt_ike_up(&a));
	cr_assert_eq(ikt_log_count("invalid SPI recovery: starting IKE with 10.0.0.2"),
		     1);
	cr_assert_eq(ikt_log_count("Send initial contact"), 1);
	cr_assert_geq(ikt_log_count("Process initial contact"), 1);
	ike_get_stats(a.ike, &st);
	cr_assert_eq(st.recovery_started, 1);
	cr_assert_eq(st.delete_notify_ignored, 0);
	n = ike_get_sas(b.ike, &info);
	cr_assert_eq(n, 1, "INITIAL-CONTACT removed B's old IKE SA");
	cr_assert_not(info[0].initiator);
	free(info);

	/* A second report within the interval starts nothing. */
	ike_post_invalid_spi(a.ike, &ev);
	ike_sync(a.ike);
	ike_get_stats(a.ike, &st);
	cr_assert_eq(st.recovery_started, 1);
}

/* Without recovery, IOS's behaviour: nothing is sent. */
Test(ikev1_exchange, invalid_spi_no_recovery, .fini = teardown)
{
	struct dp_invalid_spi_event ev;
	struct ike_stats st;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	ev = stale_spi_event(&a, &b);
	ikt_side_restart(&a, CFG_A(""));
	ikt_log_start();
	ike_post_invalid_spi(a.ike, &ev);
	ike_sync(a.ike);
	ike_get_stats(a.ike, &st);
	cr_assert_eq(st.delete_notify_ignored, 1);
	{
		char line[160];

		snprintf(line, sizeof(line), "ISAKMP-ERROR: (0):ignoring request to send delete notify (no ISAKMP sa) src 10.0.0.1 dst 10.0.0.2 for SPI 0x%X",
			 ev.spi);
		cr_assert_eq(ikt_log_count(line), 1, "missing: %s", line);
	}
	cr_assert_eq(st.recovery_started, 0);
	cr_assert_eq(a.sent, 0, "no IKE message towards the sender");
	cr_assert_eq(ikt_count(&b, true), 1, "B stays black-holed");
}

/* A sender that is not a configured peer never gets IKE traffic. */
Test(ikev1_exchange, invalid_spi_unknown_sender, .fini = teardown)
{
	const char *cfg = CFG_A("crypto isakmp invalid-spi-recovery\n");
	struct dp_invalid_spi_event ev = {
		.spi = 0x12345678, .proto = 50, .ifname = "GigabitEthernet1",
	};
	struct ike_stats st;

	ikt_pair_start(&a, cfg, &b, CFG_B(""));
	ev.src = addr("10.0.0.99");
	ev.dst = a.addr;
	ike_post_invalid_spi(a.ike, &ev);
	ike_sync(a.ike);
	ike_get_stats(a.ike, &st);
	cr_assert_eq(st.recovery_started, 0);
	cr_assert_eq(st.delete_notify_ignored, 1);
	cr_assert_eq(a.sent, 0);
}

/*
 * The initiator's last Quick Mode message (its fifth: MM1, MM3, MM5,
 * QM1, QM3) is lost. The responder retransmits QM2 and gets the same
 * QM3 again, so it installs its outbound SA.
 */
Test(ikev1_exchange, lost_qm3_answered_again, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	pthread_mutex_lock(&a.lock);
	a.drop_nth = 5;
	pthread_mutex_unlock(&a.lock);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10),
		  "B has %zu SAs", b.nsas);
	cr_assert_eq(a.sent, 6, "QM3 went twice");
	assert_mirrored(&a, &b);
}

/* Inbound SAs are in the datapath before the message that announces
 * them leaves: the responder's before QM2, so a packet on the new SPI
 * right after QM2 finds it. */
Test(ikev1_exchange, inbound_installed_before_announce, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10));
	pthread_mutex_lock(&b.lock);
	cr_assert_eq(b.installs, 2, "inbound, then outbound after QM3");
	cr_assert_eq(b.sent_at_first_install, 3,
		     "B had sent MM2, MM4 and MM6, not QM2");
	pthread_mutex_unlock(&b.lock);
	pthread_mutex_lock(&a.lock);
	cr_assert_eq(a.installs, 1, "the initiator installs both at once");
	cr_assert_eq(a.sent_at_first_install, 4, "before QM3");
	pthread_mutex_unlock(&a.lock);
}

/* A lost MM2 makes A send MM1 again; B answers it from the SA it has
 * and does not start a second one. */
Test(ikev1_exchange, lost_mm2_one_responder_sa, .fini = teardown)
{
	struct ike_sa_info *info;
	int n;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	pthread_mutex_lock(&b.lock);
	b.drop_nth = 1;
	pthread_mutex_unlock(&b.lock);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10));
	n = ike_get_sas(b.ike, &info);
	free(info);
	cr_assert_eq(n, 1, "B has %d IKE SAs", n);
}

/* A lost MM1 is sent again. */
Test(ikev1_exchange, retransmits_lost_message, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	pthread_mutex_lock(&a.lock);
	a.drop_all = true;
	pthread_mutex_unlock(&a.lock);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	ike_sync(a.ike);
	pthread_mutex_lock(&a.lock);
	a.drop_all = false;
	pthread_mutex_unlock(&a.lock);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10));
	cr_assert_gt(a.sent, 4, "MM1 went twice");
}

static bool
two_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 2 && ikt_count(x, true) == 2 &&
	       ikt_count(y, false) == 2 && ikt_count(y, true) == 2;
}

/*
 * At the soft lifetime a new pair is negotiated while the old one keeps
 * working; at the hard lifetime the old pair goes on both sides only
 * when each datapath reports it.
 */
Test(ikev1_exchange, rekey_overlaps_old_pair, .fini = teardown)
{
	struct dp_sa_event ev = { .kind = DP_SA_SOFT_EXPIRED };
	struct dp_invalid_spi_event old = { 0 };
	struct dp_sa_cfg sa;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	old = stale_spi_event(&a, &b);
	ev.dst = a.addr;
	ev.spi = old.spi;
	ike_post_sa_event(a.ike, &ev);
	ike_sync(a.ike);
	cr_assert(ikt_wait(&a, &b, two_pairs, 10),
		  "no second pair: A %zu, B %zu", a.nsas, b.nsas);
	cr_assert(ikt_find(&a, old.spi, false, &sa), "the old SA overlaps");

	/* A second soft event for the same pair starts nothing more. */
	ev.outbound = true;
	ev.dst = b.addr;
	ike_post_sa_event(a.ike, &ev);
	ike_sync(a.ike);

	/* The datapath removed A's old inbound SA at its hard limit. */
	pthread_mutex_lock(&a.lock);
	for (size_t i = 0; i < a.nsas; i++)
		if (a.sas[i].params.spi == old.spi &&
		    !a.sas[i].params.outbound)
			a.sas[i] = a.sas[--a.nsas];
	pthread_mutex_unlock(&a.lock);
	ev = (struct dp_sa_event){ .kind = DP_SA_HARD_EXPIRED,
				   .dst = a.addr, .spi = old.spi };
	ike_post_sa_event(a.ike, &ev);
	ike_sync(a.ike);
	cr_assert_eq(ikt_count(&a, false), 1);
	cr_assert_eq(ikt_count(&a, true), 1, "the sibling went too");
	cr_assert_eq(ikt_count(&b, true), 2, "B keeps both until it expires");
}

/* Removing the crypto map entry deletes its SAs on both sides, with a
 * DELETE over the IKE SA, which stays. */
Test(ikev1_exchange, removed_entry_deletes_sas, .fini = teardown)
{
	struct ike_counters cb;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	ikt_side_config(&a, "no crypto map CMAP 10\n");
	cr_assert(ikt_wait(&a, &b, no_sas, 10),
		  "SAs left: A %zu, B %zu", a.nsas, b.nsas);
	ike_get_counters(b.ike, &cb);
	cr_assert_eq(cb.delete_received, 1, "B got no DELETE");
	cr_assert_eq(ikt_ike_up(&a), 1, "the IKE SA stays");
}

/* Taking the crypto map off the interface does the same. */
Test(ikev1_exchange, unbound_map_deletes_sas, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	ikt_side_config(&a, "interface GigabitEthernet1\n"
			" no crypto map CMAP\n");
	cr_assert(ikt_wait(&a, &b, no_sas, 10),
		  "SAs left: A %zu, B %zu", a.nsas, b.nsas);
	cr_assert_eq(ikt_ike_up(&a), 1, "the IKE SA stays");
}

/* Milliseconds of the fake clock, read by the manager thread. */
static _Atomic uint64_t fake_ms = 1000000;

static double
fake_clock(void *ctx)
{
	(void)ctx;
	return (double)fake_ms / 1000.0;
}

static void
advance(double seconds)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };

	fake_ms += (uint64_t)(seconds * 1000);
	/* Let the manager's 100 ms timer tick see the new time. */
	nanosleep(&ts, NULL);
}

static bool
a_lost_all(struct ikt_side *x, struct ikt_side *y)
{
	(void)y;
	return x->nsas == 0 && ikt_ike_up(x) == 0;
}

static void
teardown_clock(void)
{
	ikt_pair_stop(&a, &b);
	ikt_set_clock(NULL, NULL);
}

/* `crypto isakmp keepalive 10 2 periodic`: a peer that answers keeps
 * its SAs, one that stops answering loses them after the retries. */
Test(ikev1_exchange, dpd_detects_dead_peer, .fini = teardown_clock)
{
	size_t sent;

	ikt_set_clock(fake_clock, NULL);
	ikt_pair_start(&a, CFG_A("crypto isakmp keepalive 10 2 periodic\n"),
		       &b, CFG_B(""));
	bring_up();
	sent = b.sent;
	advance(11);
	cr_assert(ikt_wait(&a, &b, both_pairs, 1));
	cr_assert_gt(b.sent, sent, "B answered the R-U-THERE");
	advance(3);
	cr_assert_eq(a.nsas, 2, "the answered peer keeps its SAs");

	pthread_mutex_lock(&b.lock);
	b.drop_all = true;
	pthread_mutex_unlock(&b.lock);
	advance(11);
	for (int i = 0; i < 8; i++)
		advance(2.5);
	cr_assert(ikt_wait(&a, &b, a_lost_all, 2),
		  "A kept %zu SAs and %d IKE SAs", a.nsas, ikt_ike_up(&a));
}

/* Inbound SPI of the rekeyed pair, for one_new_pair(). */
static uint32_t rekeyed_spi;

static bool
one_new_pair(struct ikt_side *x, struct ikt_side *y)
{
	struct dp_sa_cfg sa;

	return both_pairs(x, y) && !ikt_find(x, rekeyed_spi, false, &sa) &&
	       !ikt_find(y, rekeyed_spi, true, &sa);
}

/*
 * After a rekey the old pair goes once the new inbound SA carries
 * traffic or 10 s have passed, with a DELETE that makes the peer remove
 * its side too; within those 10 s both pairs stay.
 */
Test(ikev1_exchange, rekey_deletes_old_pair, .fini = teardown_clock)
{
	struct dp_sa_event ev = { .kind = DP_SA_SOFT_EXPIRED };
	struct dp_sa_cfg sa;

	ikt_set_clock(fake_clock, NULL);
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	ev.dst = a.addr;
	ev.spi = rekeyed_spi = stale_spi_event(&a, &b).spi;
	ike_post_sa_event(a.ike, &ev);
	ike_sync(a.ike);
	cr_assert(ikt_wait(&a, &b, two_pairs, 10),
		  "no second pair: A %zu, B %zu", a.nsas, b.nsas);

	advance(5);
	cr_assert(ikt_find(&a, rekeyed_spi, false, &sa),
		  "A removed the old pair within the grace period");
	cr_assert(ikt_find(&b, rekeyed_spi, true, &sa),
		  "B removed the old pair within the grace period");

	advance(6);
	cr_assert(ikt_wait(&a, &b, one_new_pair, 5),
		  "old pair 0x%X still there: A %zu SAs, B %zu SAs",
		  rekeyed_spi, a.nsas, b.nsas);
	cr_assert_eq(ikt_ike_up(&a), 1, "the IKE SA stays");

	/* The newest pair stays however long it lives. */
	advance(30);
	cr_assert(both_pairs(&a, &b), "A %zu SAs, B %zu SAs", a.nsas, b.nsas);
}

#define TUNNEL_CFG(me, peer, mode) \
	COMMON \
	"crypto isakmp key s3cret address " peer "\n" \
	"crypto ipsec profile P\n" \
	" set transform-set TS\n" \
	"interface GigabitEthernet1\n" \
	" ip address " me " 255.255.255.0\n" \
	"interface Tunnel1\n" \
	" ip address 172.16.0.1 255.255.255.252\n" \
	" tunnel source GigabitEthernet1\n" \
	" tunnel destination " peer "\n" \
	mode \
	" tunnel protection ipsec profile P\n"

static bool
tunnel_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) >= 1 && ikt_count(x, true) >= 1 &&
	       ikt_count(y, false) >= 1 && ikt_count(y, true) >= 1;
}

/* Checks X's tunnel SAs against Y's: same keys, bound to Tunnel1. */
static void
assert_tunnel_sas(struct ikt_side *x, struct ikt_side *y)
{
	struct dp_sa_cfg in, out;

	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < x->nsas; i++)
		if (!x->sas[i].params.outbound)
			in = x->sas[i];
	pthread_mutex_unlock(&x->lock);
	cr_assert(ikt_find(y, in.params.spi, true, &out));
	cr_assert_str_eq(in.ifname, "Tunnel1");
	cr_assert_str_eq(in.map, "");
	cr_assert_str_eq(out.ifname, "Tunnel1");
	cr_assert_eq(out.params.dst, x->addr);
	cr_assert_eq(memcmp(in.params.cipher_key, out.params.cipher_key, 32),
		     0);
}

/* sVTI tunnels with protection negotiate once configured, no traffic
 * needed. */
Test(ikev1_exchange, svti_comes_up, .fini = teardown)
{
	ikt_pair_start(&a, TUNNEL_CFG("10.0.0.1", "10.0.0.2",
				      " tunnel mode ipsec ipv4\n"),
		       &b, TUNNEL_CFG("10.0.0.2", "10.0.0.1",
				      " tunnel mode ipsec ipv4\n"));
	cr_assert(ikt_wait(&a, &b, tunnel_pairs, 10),
		  "no tunnel SAs: A %zu, B %zu", a.nsas, b.nsas);
	assert_tunnel_sas(&a, &b);
	assert_tunnel_sas(&b, &a);
}

/* GRE point to point with protection: the same, for GRE between the
 * tunnel ends. */
Test(ikev1_exchange, gre_p2p_comes_up, .fini = teardown)
{
	ikt_pair_start(&a, TUNNEL_CFG("10.0.0.1", "10.0.0.2", ""),
		       &b, TUNNEL_CFG("10.0.0.2", "10.0.0.1", ""));
	cr_assert(ikt_wait(&a, &b, tunnel_pairs, 10),
		  "no tunnel SAs: A %zu, B %zu", a.nsas, b.nsas);
	assert_tunnel_sas(&a, &b);
	assert_tunnel_sas(&b, &a);
}

#define CFG_B_DYNAMIC \
	COMMON \
	"crypto isakmp key s3cret address 0.0.0.0 0.0.0.0\n" \
	"crypto dynamic-map DYN 10\n" \
	" set transform-set TS\n" \
	"crypto map CMAP 10 ipsec-isakmp dynamic DYN\n" \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.2 255.255.255.0\n" \
	" crypto map CMAP\n"

/*
 * A sits behind a NAT that shows it as 10.0.0.100, and B answers through
 * a dynamic map. The NAT-D hashes reveal the NAT, both float to UDP 4500
 * with the non-ESP marker, the SAs are UDP-encapsulated, and A keeps the
 * NAT mapping with `crypto isakmp nat keepalive`.
 */
Test(ikev1_exchange, nat_traversal_floats, .fini = teardown_clock)
{
	struct dp_sa_cfg in = { 0 }, out;
	struct ike_sa_info *info;
	int n;

	ikt_set_clock(fake_clock, NULL);
	a.nat_addr = addr("10.0.0.100");
	ikt_pair_start(&a, CFG_A("crypto isakmp nat keepalive 20\n"), &b,
		       CFG_B_DYNAMIC);
	a.nat_addr = addr("10.0.0.100");
	bring_up();
	cr_assert_gt(a.natt_sent, 0, "A floated to 4500");
	cr_assert_gt(b.natt_sent, 0, "B floated to 4500");

	pthread_mutex_lock(&a.lock);
	for (size_t i = 0; i < a.nsas; i++)
		if (!a.sas[i].params.outbound)
			in = a.sas[i];
	pthread_mutex_unlock(&a.lock);
	cr_assert(in.params.udp_encap);
	cr_assert(ikt_find(&b, in.params.spi, true, &out));
	cr_assert(out.params.udp_encap);
	cr_assert_eq(out.params.dst, addr("10.0.0.100"),
		     "B sends to the NAT's address");
	cr_assert_str_eq(out.map, "CMAP", "the dynamic entry's map");

	n = ike_get_sas(b.ike, &info);
	cr_assert_eq(n, 1);
	cr_assert(info[0].natt);
	cr_assert_eq(info[0].peer_port, 4500);
	free(info);

	cr_assert_eq(a.keepalives_sent, 0);
	advance(21);
	cr_assert_geq(a.keepalives_sent, 1, "A behind the NAT sends one");
	cr_assert_eq(b.keepalives_sent, 0, "B is not behind a NAT");
}

#define IOS_PCAP "suricata-ikev1-isakmp-main-mode.pcap"

/* The responder config for the IOS capture: AES-128, SHA1, group 2. */
#define CFG_IOS_PEER \
	"crypto isakmp policy 5\n" \
	" encryption aes\n" \
	" authentication pre-share\n" \
	" group 2\n" \
	"crypto isakmp key cisco123 address 192.168.12.1\n" \
	"interface GigabitEthernet1\n" \
	" ip address 192.168.12.2 255.255.255.0\n"

static void
post_msg(struct ikt_side *to, const struct ikt_msg *m, uint32_t src)
{
	struct dp_ike_packet *pkt = calloc(1, sizeof(*pkt));

	cr_assert_not_null(pkt);
	pkt->src = src;
	pkt->dst = to->addr;
	pkt->sport = m->sport;
	pkt->dport = m->dport;
	pkt->natt = m->natt;
	pkt->len = (uint16_t)m->len;
	memcpy(pkt->data, m->data, m->len);
	ike_post_packet(to->ike, pkt);
	free(pkt);
}

static struct ikt_msg cap[16];

/* A real IOS MM1 gets an MM2 that echoes its cookie and proposal number
 * and picks its one transform. */
Test(ikev1_exchange, answers_ios_main_mode, .fini = teardown)
{
	struct isakmp_hdr h;
	struct isakmp_msg m;
	static struct isakmp_sa sa;
	const struct isakmp_pl *sap;
	struct ike_sa_info *info;
	size_t n = ikt_read_pcap(IOS_PCAP, cap, 16);
	int k;

	cr_assert_eq(n, 9);
	ikt_pair_start(&a, CFG_A(""), &b, CFG_IOS_PEER);
	post_msg(&b, &cap[0], addr("192.168.12.1"));
	k = 0;
	while (b.sent == 0 && k++ < 200)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	cr_assert_eq(b.sent, 1, "no MM2");
	pthread_mutex_lock(&b.lock);
	cr_assert_eq(b.last.dst, addr("192.168.12.1"));
	cr_assert_eq(b.last.dport, 500);
	cr_assert_eq(isakmp_parse_hdr(b.last.data, b.last.len, &h), 0);
	cr_assert_eq(memcmp(h.icookie, cap[0].data, 8), 0);
	cr_assert_eq(isakmp_parse_payloads(h.next, b.last.data + 28,
					   h.length - 28, &m), 0);
	sap = isakmp_find(&m, ISAKMP_NP_SA);
	cr_assert_not_null(sap);
	cr_assert_eq(isakmp_parse_sa(sap->body, sap->len, &sa), 0);
	pthread_mutex_unlock(&b.lock);
	cr_assert_eq(sa.nproposals, 1);
	cr_assert_eq(sa.p[0].ntransforms, 1);
	n = (size_t)ike_get_sas(b.ike, &info);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(info[0].state, "MM_SA_SETUP");
	cr_assert_eq(info[0].dh_group, 2);
	cr_assert_eq(info[0].key_bits, 128);
	free(info);
}

static uint64_t
b_drops(void)
{
	struct ike_counters c;

	ike_get_counters(b.ike, &c);
	return c.packets_dropped;
}

/* Every junk message of bad_messages_dropped counted: 64 random, the
 * truncations of MM1, and the two bodies that do not decrypt. */
static bool
b_dropped_all(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	(void)y;
	return b_drops() >= 64 + 2;
}

/*
 * Garbage never crashes the manager or disturbs a live SA: random
 * octets, every truncation of a real MM1, the capture's later messages
 * with cookies nobody knows, and a live SA's cookies on a body that does
 * not decrypt. Each is a counted drop or ignored.
 */
Test(ikev1_exchange, bad_messages_dropped, .fini = teardown)
{
	struct ike_counters c;
	struct ikt_msg junk;
	size_t n = ikt_read_pcap(IOS_PCAP, cap, 16);
	struct ike_sa_info *info;

	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	for (size_t i = 0; i < 64; i++) {
		junk = (struct ikt_msg){ .sport = 500, .dport = 500,
					 .len = 1 + i * 7 };
		for (size_t k = 0; k < junk.len; k++)
			junk.data[k] = (uint8_t)(k * 37 + i);
		post_msg(&b, &junk, a.addr);
	}
	for (size_t cut = 1; cut < cap[0].len; cut += 3) {
		junk = cap[0];
		junk.len = cut;
		post_msg(&b, &junk, a.addr);
	}
	for (size_t i = 2; i < n; i++)
		post_msg(&b, &cap[i], a.addr);
	cr_assert_eq(ike_get_sas(b.ike, &info), 1);
	junk = (struct ikt_msg){ .sport = 500, .dport = 500, .len = 28 + 48 };
	memcpy(junk.data, info[0].icookie, 8);
	memcpy(junk.data + 8, info[0].rcookie, 8);
	free(info);
	junk.data[16] = ISAKMP_NP_HASH;
	junk.data[17] = ISAKMP_VERSION;
	junk.data[18] = ISAKMP_XCHG_INFO;
	junk.data[19] = ISAKMP_FLAG_E;
	junk.data[20] = 0x12;
	junk.data[27] = 28 + 48;
	post_msg(&b, &junk, a.addr);
	junk.data[18] = ISAKMP_XCHG_QUICK;
	post_msg(&b, &junk, a.addr);

	cr_assert(ikt_wait(&a, &b, b_dropped_all, 5), "drops counted: %lu",
		  (unsigned long)b_drops());
	ike_get_counters(b.ike, &c);
	cr_assert_eq(c.p1_established, 1);
	cr_assert_eq(ikt_ike_up(&b), 1);
	cr_assert(both_pairs(&a, &b), "the live SAs are untouched");
}

#define SECOND_A \
	"ip access-list extended VPN2\n" \
	" permit ip host 172.16.1.1 host 172.16.2.1\n" \
	"crypto map CMAP 20 ipsec-isakmp\n" \
	" set peer 10.0.0.2\n" \
	" set transform-set TS\n" \
	" match address VPN2\n"

#define SECOND_B(acl) \
	"ip access-list extended VPN2\n" \
	" permit ip " acl "\n" \
	"crypto map CMAP 20 ipsec-isakmp\n" \
	" set peer 10.0.0.1\n" \
	" set transform-set TS\n" \
	" match address VPN2\n"

/* With two entries for one peer, the responder picks the one whose
 * access list mirrors the proxy identities. */
Test(ikev1_exchange, responder_matches_proxy_ids, .fini = teardown)
{
	struct dp_acquire_event ev = {
		.map = "CMAP", .map_seq = 20, .ifname = "GigabitEthernet1",
	};
	struct dp_sa_cfg in, out;

	ikt_pair_start(&a, CFG_A(SECOND_A), &b,
		       CFG_B(SECOND_B("host 172.16.2.1 host 172.16.1.1")));
	ike_post_acquire(a.ike, &ev);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10));
	pthread_mutex_lock(&b.lock);
	in = b.sas[0];
	pthread_mutex_unlock(&b.lock);
	cr_assert_eq(in.map_seq, 20, "B bound the SA to entry %u",
		     in.map_seq);
	cr_assert(ikt_find(&a, in.params.spi, !in.params.outbound, &out));
	cr_assert_eq(out.map_seq, 20);
	cr_assert_eq(memcmp(in.params.cipher_key, out.params.cipher_key, 32),
		     0);
}

/* Proxy identities that no entry mirrors get no SA, as on IOS. */
Test(ikev1_exchange, unmatched_proxy_ids_rejected, .fini = teardown)
{
	struct dp_acquire_event ev = {
		.map = "CMAP", .map_seq = 20, .ifname = "GigabitEthernet1",
	};

	ikt_pair_start(&a, CFG_A(SECOND_A), &b,
		       CFG_B(SECOND_B("host 172.16.2.9 host 172.16.1.1")));
	ikt_log_start();
	ike_post_acquire(a.ike, &ev);
	cr_assert_not(ikt_wait(&a, &b, both_pairs, 1.5));
	cr_assert_eq(b.nsas, 0);
	cr_assert_eq(ikt_log_count("proxy identities not supported"), 1);
}

/* A responder with a shorter lifetime says so in RESPONDER-LIFETIME and
 * both sides install the shorter one. */
Test(ikev1_exchange, responder_lifetime_adopted, .fini = teardown)
{
	struct dp_sa_cfg sa;

	ikt_pair_start(&a, CFG_A(" set security-association lifetime seconds 7200\n"),
		       &b, CFG_B(" set security-association lifetime seconds 1800\n"));
	ikt_log_start();
	bring_up();
	for (int side = 0; side < 2; side++) {
		struct ikt_side *s = side == 0 ? &a : &b;

		for (size_t i = 0; i < 2; i++) {
			pthread_mutex_lock(&s->lock);
			sa = s->sas[i];
			pthread_mutex_unlock(&s->lock);
			cr_assert_eq(sa.lifetime_sec, 1800, "side %d SA %zu: %u",
				     side, i, sa.lifetime_sec);
		}
	}
	cr_assert_eq(ikt_log_count("processing NOTIFY RESPONDER_LIFETIME"), 1);
}

#define AGGRESSIVE_PROFILE \
	"crypto keyring KR\n" \
	" pre-shared-key address 10.0.0.2 key s3cret\n" \
	"crypto isakmp profile AGG\n" \
	" keyring KR\n" \
	" match identity address 10.0.0.2 255.255.255.255\n" \
	" initiate mode aggressive\n"

/* An isakmp profile with `initiate mode aggressive` on the map entry
 * makes phase 1 three messages; Quick Mode follows as usual. */
Test(ikev1_exchange, aggressive_mode_when_configured, .fini = teardown)
{
	struct ike_sa_info *info;
	int n;

	ikt_pair_start(&a, AGGRESSIVE_PROFILE CFG_A(" set isakmp-profile AGG\n"),
		       &b, CFG_B(""));
	ikt_log_start();
	bring_up();
	assert_mirrored(&a, &b);
	assert_mirrored(&b, &a);
	cr_assert_eq(ikt_log_count("beginning Aggressive Mode exchange"), 1);
	n = ike_get_sas(a.ike, &info);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(info[0].profile, "AGG");
	cr_assert_str_eq(info[0].state, "QM_IDLE");
	free(info);
	cr_assert_eq(a.sent, 4, "AM1, AM3, QM1 and QM3, not %zu messages",
		     a.sent);
}

/* `crypto isakmp aggressive-mode disable` on the responder: no answer. */
Test(ikev1_exchange, aggressive_mode_disabled, .fini = teardown)
{
	ikt_pair_start(&a, AGGRESSIVE_PROFILE CFG_A(" set isakmp-profile AGG\n"),
		       &b, CFG_B("crypto isakmp aggressive-mode disable\n"));
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert_not(ikt_wait(&a, &b, both_pairs, 1.5));
	cr_assert_eq(b.sent, 0);
	cr_assert_eq(ikt_ike_up(&a), 0);
}

#define GCM_SET \
	"crypto ipsec transform-set TSG esp-gcm 256\n"

/* An AES-GCM transform set (ESP_AES_GCM_16, 256-bit key, no separate
 * integrity) negotiates, and each SA's key carries its 4-octet salt. */
Test(ikev1_exchange, aes_gcm_transform, .fini = teardown)
{
	struct dp_sa_cfg in, out;

	ikt_pair_start(&a, GCM_SET CFG_A(" set transform-set TSG\n"), &b,
		       GCM_SET CFG_B(" set transform-set TSG\n"));
	bring_up();
	pthread_mutex_lock(&a.lock);
	for (size_t i = 0; i < a.nsas; i++)
		if (!a.sas[i].params.outbound)
			in = a.sas[i];
	pthread_mutex_unlock(&a.lock);
	cr_assert(ikt_find(&b, in.params.spi, true, &out));
	cr_assert_eq(in.params.cipher, DP_CIPHER_AES_GCM);
	cr_assert_eq(in.params.cipher_key_len, 36);
	cr_assert_eq(in.params.integ, DP_INTEG_NONE);
	cr_assert_eq(out.params.cipher_key_len, 36);
	cr_assert_eq(memcmp(in.params.cipher_key, out.params.cipher_key, 36),
		     0);
}

/* `debug crypto condition peer` limits the IKE debug lines to that peer:
 * A's lines about B appear only when B is a condition. */
Test(ikev1_exchange, debug_condition_peer, .fini = teardown)
{
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	ikt_log_start();
	cr_assert_eq(debug_condition_add_peer(ntohl(addr("10.9.9.9"))), 0);
	bring_up();
	cr_assert_eq(ikt_log_count("beginning Main Mode exchange"), 0);
	cr_assert_eq(ikt_log_count("beginning Quick Mode exchange"), 0);
	cr_assert_eq(ike_clear(a.ike, IKE_CLEAR_SESSION, 0, 0), 2);
	cr_assert(ikt_wait(&a, &b, no_sas, 5));
	cr_assert_eq(debug_condition_add_peer(ntohl(b.addr)), 0);
	bring_up();
	cr_assert_eq(ikt_log_count("beginning Main Mode exchange"), 1);
	cr_assert_eq(ikt_log_count("beginning Quick Mode exchange"), 1);
	debug_condition_reset();
}

static bool
fresh_pair_on_b(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_ike_up(x) == 1 && ikt_count(y, false) == 1 &&
	       ikt_count(y, true) == 1;
}

/*
 * B reboots and A's rekey Quick Mode goes unanswered over the IKE SA
 * that B lost. Once the retransmissions run out, A deletes that IKE SA
 * and starts Main Mode again, so a new pair comes up without DPD.
 */
Test(ikev1_exchange, unanswered_rekey_restarts_main_mode,
     .fini = teardown_clock)
{
	struct dp_sa_event ev = { .kind = DP_SA_SOFT_EXPIRED };
	struct dp_invalid_spi_event old;
	struct ike_sa_info *info;
	uint32_t first_conn;
	int n;

	ikt_set_clock(fake_clock, NULL);
	ikt_pair_start(&a, CFG_A(""), &b, CFG_B(""));
	bring_up();
	n = ike_get_sas(a.ike, &info);
	cr_assert_eq(n, 1);
	first_conn = info[0].conn_id;
	free(info);
	old = stale_spi_event(&a, &b);
	ikt_side_restart(&b, CFG_B(""));
	ikt_log_start();

	ev.dst = a.addr;
	ev.spi = old.spi;
	ike_post_sa_event(a.ike, &ev);
	ike_sync(a.ike);
	/* Retransmissions after 2, 4, 8, 16 and 32 s, then the give-up
	 * 32 s after the last one. */
	for (int i = 0; i < 28; i++)
		advance(2.5);
	cr_assert(ikt_wait(&a, &b, fresh_pair_on_b, 5),
		  "A has %d IKE SAs, B %zu SAs; %zu retransmissions, %zu "
		  "give-ups", ikt_ike_up(&a), b.nsas,
		  ikt_log_count("retransmitting phase 2"),
		  ikt_log_count("got no answer"));
	n = ike_get_sas(a.ike, &info);
	cr_assert_eq(n, 1);
	cr_assert_neq(info[0].conn_id, first_conn, "a new IKE SA");
	free(info);
}
