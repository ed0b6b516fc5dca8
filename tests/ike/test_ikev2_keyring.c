/*
 * IKEv2 keyring and profile lookup between two IKE managers back to
 * back: asymmetric pre-shared keys (`pre-shared-key local` and
 * `remote`), keyring peers found by the initiator's FQDN, email or
 * key-id identity, profiles chosen by `match identity remote fqdn`,
 * and the `address 0.0.0.0 0.0.0.0` wildcard with a longer mask that
 * takes precedence over it. A is 10.0.0.1 and initiates, B is 10.0.0.2.
 */
#define _GNU_SOURCE		/* asprintf */

#include "ike_test.h"
#include "fixture.h"

#include "ikemgr/ikemgr.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ikt_side a, b;

#define COMMON(me, lnet, rnet, peer) \
	"crypto ikev2 proposal PROP\n" \
	" encryption aes-cbc-256\n" \
	" integrity sha256\n" \
	" group 14\n" \
	"crypto ikev2 policy POL\n" \
	" proposal PROP\n" \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n" \
	"ip access-list extended VPN\n" \
	" permit ip " lnet " 0.0.0.255 " rnet " 0.0.0.255\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer " peer "\n" \
	" set transform-set TS\n" \
	" set ikev2-profile PROF\n" \
	" match address VPN\n" \
	"interface GigabitEthernet1\n" \
	" ip address " me " 255.255.255.0\n" \
	" crypto map CMAP\n"

#define COMMON_A COMMON("10.0.0.1", "192.168.1.0", "192.168.2.0", "10.0.0.2")
#define COMMON_B COMMON("10.0.0.2", "192.168.2.0", "192.168.1.0", "10.0.0.1")

/* A profile named NAME on keyring KR that matches REMOTE, plus EXTRA. */
#define PROFILE(name, kr, remote, extra) \
	"crypto ikev2 profile " name "\n" \
	" match identity remote " remote "\n" \
	" authentication remote pre-share\n" \
	" authentication local pre-share\n" \
	" keyring local " kr "\n" \
	extra

/* A's side: one keyring peer for B with the key lines KEYS. */
#define SIDE_A(keys, extra) \
	COMMON_A \
	"crypto ikev2 keyring KR\n" \
	" peer B\n" \
	"  address 10.0.0.2\n" \
	keys \
	PROFILE("PROF", "KR", "address 10.0.0.2 255.255.255.255", extra)

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
}

/* Starts the pair, initiates from A and checks that both sides have a
 * READY IKE SA with a child pair, B's under profile B_PROFILE. */
static void
assert_comes_up(const char *cfg_a, const char *cfg_b, const char *b_profile)
{
	struct ike_sa_info *info;

	ikt_pair_start(&a, cfg_a, &b, cfg_b);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikt_one_pair_each, 10),
		  "no SA pair on both sides: A %zu, B %zu", a.nsas, b.nsas);
	cr_assert_eq(ike_get_sas(b.ike, &info), 1);
	cr_assert_str_eq(info[0].state, "READY");
	cr_assert_str_eq(info[0].profile, b_profile);
	free(info);
	cr_assert_eq(ike_get_sas(a.ike, &info), 1);
	cr_assert_str_eq(info[0].state, "READY");
	free(info);
}

/* Starts the pair, initiates from A and checks that B rejects A's AUTH
 * and that neither side keeps an SA. */
static void
assert_auth_fails(const char *cfg_a, const char *cfg_b)
{
	struct ike_v2_stats sb;

	ikt_pair_start(&a, cfg_a, &b, cfg_b);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikt_v2_dropped, 10), "B accepted the AUTH");
	cr_assert(ikt_wait(&b, &a, ikt_no_ike_sa, 10), "B kept an IKE SA");
	cr_assert(ikt_wait(&a, &b, ikt_no_ike_sa, 10), "A kept an IKE SA");
	cr_assert_eq(a.nsas, 0, "A installed SAs");
	cr_assert_eq(b.nsas, 0, "B installed SAs for a bad AUTH");
	ike_get_v2_stats(b.ike, &sb);
	cr_assert_eq(sb.dropped, 1, "B counted %llu drops",
		     (unsigned long long)sb.dropped);
}

/* Each side signs with its local key and checks the peer's AUTH with
 * its remote key. */
Test(ikev2_keyring, asymmetric_keys, .fini = teardown)
{
	assert_comes_up(
		SIDE_A("  pre-shared-key local KeyOfA\n"
		       "  pre-shared-key remote KeyOfB\n", ""),
		COMMON_B
		"crypto ikev2 keyring KR\n"
		" peer A\n"
		"  address 10.0.0.1\n"
		"  pre-shared-key local KeyOfB\n"
		"  pre-shared-key remote KeyOfA\n"
		PROFILE("PROF", "KR", "address 10.0.0.1 255.255.255.255", ""),
		"PROF");
}

/* Swapped keys: A signs with the key that B expects from itself. */
Test(ikev2_keyring, asymmetric_keys_swapped, .fini = teardown)
{
	assert_auth_fails(
		SIDE_A("  pre-shared-key local KeyOfB\n"
		       "  pre-shared-key remote KeyOfA\n", ""),
		COMMON_B
		"crypto ikev2 keyring KR\n"
		" peer A\n"
		"  address 10.0.0.1\n"
		"  pre-shared-key local KeyOfB\n"
		"  pre-shared-key remote KeyOfA\n"
		PROFILE("PROF", "KR", "address 10.0.0.1 255.255.255.255", ""));
}

/* A gives the key as type 7 text ("cisco"), B in clear: both sign and
 * check with the decoded key. */
Test(ikev2_keyring, type7_key, .fini = teardown)
{
	assert_comes_up(
		SIDE_A("  pre-shared-key 7 0822455D0A16\n", ""),
		COMMON_B
		"crypto ikev2 keyring KR\n"
		" peer A\n"
		"  address 10.0.0.1\n"
		"  pre-shared-key cisco\n"
		PROFILE("PROF", "KR", "address 10.0.0.1 255.255.255.255", ""),
		"PROF");
}

/* B's keyring has a wildcard block with another key. The block whose
 * identity is A's FQDN wins over it, and the fqdn profile wins over the
 * profile that matches any address. */
#define FQDN_B(match) \
	COMMON_B \
	"crypto ikev2 keyring ANYKR\n" \
	" peer ANY\n" \
	"  address 0.0.0.0 0.0.0.0\n" \
	"  pre-shared-key WrongKey\n" \
	"crypto ikev2 keyring KR\n" \
	" peer ANY\n" \
	"  address 0.0.0.0 0.0.0.0\n" \
	"  pre-shared-key WrongKey\n" \
	" peer SITE-A\n" \
	"  identity fqdn site-a.example.net\n" \
	"  pre-shared-key FqdnKey\n" \
	PROFILE("ANYPROF", "ANYKR", "address 0.0.0.0", "") \
	PROFILE("PROF", "KR", match, "")

/* Checks the identities S's IKE SA shows; "" stands for the address. */
static void
assert_ids(struct ikt_side *s, const char *local, const char *remote)
{
	struct ike_sa_info *info;

	cr_assert_eq(ike_get_sas(s->ike, &info), 1);
	cr_assert_str_eq(info[0].local_id, local);
	cr_assert_str_eq(info[0].remote_id, remote);
	free(info);
}

/* Checks the Local id and Remote id lines of `show crypto ikev2 sa
 * detailed` and `show crypto ikev2 session detailed` on S. */
static void
assert_show_ids(struct ikt_side *s, const char *local, const char *remote)
{
	static const char *const cmds[] = {
		"show crypto ikev2 sa detailed",
		"show crypto ikev2 session detailed",
	};
	struct fixture fx;
	char want[320];

	snprintf(want, sizeof(want), "      Local id: %s\n      Remote id: %s\n",
		 local, remote);
	fx_open(&fx);
	fx.router.ike = s->ike;
	vty_enter_mode(&fx.vty, MODE_PRIV_EXEC, NULL);
	for (size_t i = 0; i < 2; i++) {
		const char *out = fx_run(&fx, cmds[i]);

		cr_assert(strstr(out, want) != NULL, "%s: no\n%sin:\n%s",
			  cmds[i], want, out);
	}
	fx_close(&fx);
}

Test(ikev2_keyring, fqdn_identity, .fini = teardown)
{
	assert_comes_up(SIDE_A("  pre-shared-key FqdnKey\n",
			       " identity local fqdn site-a.example.net\n"),
			FQDN_B("fqdn site-a.example.net"), "PROF");
	assert_ids(&a, "site-a.example.net", "");
	assert_ids(&b, "", "site-a.example.net");
	assert_show_ids(&a, "site-a.example.net", "10.0.0.2");
	assert_show_ids(&b, "10.0.0.2", "site-a.example.net");
}

/* FQDN identities compare without regard to case. */
Test(ikev2_keyring, fqdn_identity_case, .fini = teardown)
{
	assert_comes_up(SIDE_A("  pre-shared-key FqdnKey\n",
			       " identity local fqdn SITE-A.Example.NET\n"),
			FQDN_B("fqdn site-a.example.net"), "PROF");
}

Test(ikev2_keyring, fqdn_domain_match, .fini = teardown)
{
	assert_comes_up(SIDE_A("  pre-shared-key FqdnKey\n",
			       " identity local fqdn site-a.example.net\n"),
			FQDN_B("fqdn domain example.net"), "PROF");
}

/* Another FQDN finds neither the fqdn profile nor the identity block:
 * B falls back to the wildcard profile and its key, which A lacks. */
Test(ikev2_keyring, fqdn_identity_other_name, .fini = teardown)
{
	assert_auth_fails(SIDE_A("  pre-shared-key FqdnKey\n",
				 " identity local fqdn site-b.example.net\n"),
			  FQDN_B("fqdn site-a.example.net"));
}

/* A identifies itself as KIND VALUE, which B's keyring peer block and
 * profile both name. */
static void
assert_identity_comes_up(const char *kind, const char *value)
{
	char *cfg_a, *cfg_b;

	cr_assert_gt(asprintf(&cfg_a, "%s identity local %s %s\n",
			      SIDE_A("  pre-shared-key IdKey\n", ""), kind,
			      value), 0);
	cr_assert_gt(asprintf(&cfg_b,
			      "%scrypto ikev2 keyring KR\n"
			      " peer SITE-A\n"
			      "  identity %s %s\n"
			      "  pre-shared-key IdKey\n"
			      "crypto ikev2 profile PROF\n"
			      " match identity remote %s %s\n"
			      " authentication remote pre-share\n"
			      " authentication local pre-share\n"
			      " keyring local KR\n",
			      COMMON_B, kind, value, kind, value), 0);
	assert_comes_up(cfg_a, cfg_b, "PROF");
	free(cfg_a);
	free(cfg_b);
}

Test(ikev2_keyring, email_identity, .fini = teardown)
{
	assert_identity_comes_up("email", "vpn@site-a.example.net");
}

Test(ikev2_keyring, key_id_identity, .fini = teardown)
{
	assert_identity_comes_up("key-id", "branch-17");
	assert_ids(&b, "", "branch-17");
}

/* `address 0.0.0.0 0.0.0.0` and `match identity remote address
 * 0.0.0.0` accept any peer. */
Test(ikev2_keyring, wildcard_address, .fini = teardown)
{
	assert_comes_up(
		SIDE_A("  pre-shared-key AnyKey\n", ""),
		COMMON_B
		"crypto ikev2 keyring KR\n"
		" peer ANY\n"
		"  address 0.0.0.0 0.0.0.0\n"
		"  pre-shared-key AnyKey\n"
		PROFILE("PROF", "KR", "address 0.0.0.0", ""),
		"PROF");
}

/* The block with the longest mask that holds A's address wins over the
 * wildcard, whichever comes first in the keyring. */
Test(ikev2_keyring, longest_mask_over_wildcard, .fini = teardown)
{
	assert_comes_up(
		SIDE_A("  pre-shared-key NetKey\n", ""),
		COMMON_B
		"crypto ikev2 keyring KR\n"
		" peer ANY\n"
		"  address 0.0.0.0 0.0.0.0\n"
		"  pre-shared-key AnyKey\n"
		" peer NET\n"
		"  address 10.0.0.0 255.255.255.0\n"
		"  pre-shared-key NetKey\n"
		" peer OTHER\n"
		"  address 10.0.0.128 255.255.255.128\n"
		"  pre-shared-key OtherKey\n"
		PROFILE("PROF", "KR", "address 0.0.0.0", ""),
		"PROF");
}

/* A wildcard profile without the wildcard keyring block: no key. */
Test(ikev2_keyring, wildcard_profile_without_key, .fini = teardown)
{
	assert_auth_fails(
		SIDE_A("  pre-shared-key AnyKey\n", ""),
		COMMON_B
		"crypto ikev2 keyring KR\n"
		" peer OTHER\n"
		"  address 10.0.0.128 255.255.255.128\n"
		"  pre-shared-key AnyKey\n"
		PROFILE("PROF", "KR", "address 0.0.0.0", ""));
}

static void
teardown_clock(void)
{
	ikt_pair_stop(&a, &b);
	ikt_set_clock(NULL, NULL);
}

#define NEG_ABORT_B "%IKEV2-3-NEG_ABORT: Negotiation aborted due to ERROR: " \
		    "no IKEv2 profile with a pre-shared key for peer 10.0.0.2"

/*
 * A's keyring peer for B has only an identity, so A finds no key for
 * B's address. Each attempt logs NEG_ABORT at most once a minute and
 * takes no tunnel id: the SA that comes up once A has a key is tunnel 1.
 */
Test(ikev2_keyring, no_key_logs_once_a_minute, .fini = teardown_clock)
{
	struct ike_sa_info *info;

	ikt_set_clock(ikt_fake_clock, NULL);
	ikt_pair_start(&a,
		       COMMON_A
		       "crypto ikev2 keyring KR\n"
		       " peer B\n"
		       "  identity fqdn site-b.example.net\n"
		       "  pre-shared-key BothKey\n"
		       PROFILE("PROF", "KR", "address 10.0.0.2 255.255.255.255",
			       ""),
		       &b,
		       COMMON_B
		       "crypto ikev2 keyring KR\n"
		       " peer A\n"
		       "  address 10.0.0.1\n"
		       "  pre-shared-key BothKey\n"
		       PROFILE("PROF", "KR", "address 10.0.0.1 255.255.255.255",
			       ""));
	ikt_log_start();
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
		ikt_advance(1);
	}
	cr_assert_eq(ikt_log_count(NEG_ABORT_B), 1, "logged %zu times",
		     ikt_log_count(NEG_ABORT_B));
	cr_assert_eq(ike_get_sas(a.ike, &info), 0, "A kept an IKE SA");
	free(info);

	ikt_advance(60);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	ikt_advance(1);
	cr_assert_eq(ikt_log_count(NEG_ABORT_B), 2,
		     "not logged again after a minute");

	ikt_side_config(&a, "crypto ikev2 keyring KR\n"
			    " peer B2\n"
			    "  address 10.0.0.2\n"
			    "  pre-shared-key BothKey\n");
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, ikt_one_pair_each, 10), "no SA came up");
	cr_assert_eq(ike_get_sas(a.ike, &info), 1);
	cr_assert_eq(info[0].conn_id, 1001, "tunnel id %u",
		     info[0].conn_id - 1000);
	free(info);
}
