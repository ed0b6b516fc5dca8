/*
 * Conditional debugging by peer: the commands, what debug_peer_allowed()
 * then returns to the code that builds debug lines, and the listings.
 */
#include "core/debug.h"
#include "core/log.h"
#include "fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct fixture fx;

#define PEER_A 0x0a010101u	/* 10.1.1.1 */
#define PEER_B 0x0a010102u	/* 10.1.1.2 */

static void
setup(void)
{
	cr_assert_eq(log_init(LOG_DEFAULT_BUFFER_SIZE), 0);
	debug_all_off();
	fx_open(&fx);
	fx_run(&fx, "end");
}

static void
teardown(void)
{
	fx_close(&fx);
	debug_all_off();
	log_shutdown();
}

TestSuite(debug_condition, .init = setup, .fini = teardown);

Test(debug_condition, none_set_allows_every_peer)
{
	cr_assert(debug_peer_allowed(PEER_A));
	cr_assert(debug_peer_allowed(0));
	cr_assert_str_eq(fx_run(&fx, "show crypto debug-condition"),
			 "Crypto conditional debug currently is turned OFF\n");
}

Test(debug_condition, peer_filter_limits_lines)
{
	cr_assert_str_eq(fx_run(&fx, "debug crypto condition peer ipv4 10.1.1.1"),
			 "");
	cr_assert(debug_peer_allowed(PEER_A));
	cr_assert_not(debug_peer_allowed(PEER_B));
	cr_assert_not(debug_peer_allowed(0), "unmatched lines must be off");

	fx_run(&fx, "debug crypto isakmp");
	cr_assert(debug_on_peer(DEBUG_CRYPTO_ISAKMP, PEER_A));
	cr_assert_not(debug_on_peer(DEBUG_CRYPTO_ISAKMP, PEER_B));
	cr_assert_not(debug_on_peer(DEBUG_CRYPTO_IPSEC, PEER_A));
}

Test(debug_condition, show_lists_peers)
{
	fx_run(&fx, "debug crypto condition peer ipv4 10.1.1.1");
	fx_run(&fx, "debug crypto condition peer ipv4 192.0.2.77");
	cr_assert_str_eq(fx_run(&fx, "show crypto debug-condition"),
			 "Crypto conditional debug currently is turned ON\n"
			 "IKE debug context unmatched flag:OFF\n"
			 "IPsec debug context unmatched flag:OFF\n"
			 "IKE peer IP address filters:\n"
			 "10.1.1.1 \n192.0.2.77 \n");
	fx_run(&fx, "debug crypto ipsec");
	cr_assert_str_eq(fx_run(&fx, "show debugging"),
			 "Cryptographic Subsystem:\n"
			 "  Crypto IPSEC debugging is on\n\n"
			 "Crypto conditional debug currently is turned ON\n"
			 "IKE debug context unmatched flag:OFF\n"
			 "IPsec debug context unmatched flag:OFF\n"
			 "IKE peer IP address filters:\n"
			 "10.1.1.1 \n192.0.2.77 \n");
}

Test(debug_condition, no_form_removes_one)
{
	fx_run(&fx, "debug crypto condition peer ipv4 10.1.1.1");
	fx_run(&fx, "debug crypto condition peer ipv4 10.1.1.2");
	cr_assert_str_eq(fx_run(&fx, "no debug crypto condition peer ipv4 10.1.1.1"),
			 "");
	cr_assert_not(debug_peer_allowed(PEER_A));
	cr_assert(debug_peer_allowed(PEER_B));
	cr_assert_str_eq(fx_run(&fx, "undebug crypto condition peer ipv4 10.1.1.1"),
			 "% No debug condition for peer 10.1.1.1\n");
	fx_run(&fx, "undebug crypto condition peer ipv4 10.1.1.2");
	cr_assert(debug_peer_allowed(PEER_A), "no condition left");
}

Test(debug_condition, undebug_all_clears_conditions)
{
	fx_run(&fx, "debug crypto condition peer ipv4 10.1.1.1");
	fx_run(&fx, "debug crypto isakmp");
	cr_assert_str_eq(fx_run(&fx, "undebug all"),
			 "All possible debugging has been turned off\n");
	cr_assert_not(debug_on(DEBUG_CRYPTO_ISAKMP));
	cr_assert(debug_peer_allowed(PEER_B));
	cr_assert_str_eq(fx_run(&fx, "show debugging"), "");

	fx_run(&fx, "debug crypto condition peer ipv4 10.1.1.1");
	fx_run(&fx, "no debug all");
	cr_assert(debug_peer_allowed(PEER_B));
	fx_run(&fx, "debug crypto condition peer ipv4 10.1.1.1");
	fx_run(&fx, "debug crypto condition reset");
	cr_assert(debug_peer_allowed(PEER_B));
}

Test(debug_condition, table_full_rejected)
{
	char line[64];
	int i;

	for (i = 0; i < DEBUG_MAX_PEER_CONDITIONS; i++) {
		snprintf(line, sizeof(line),
			 "debug crypto condition peer ipv4 10.2.0.%d", i + 1);
		cr_assert_str_eq(fx_run(&fx, line), "", "%s", line);
	}
	/* Setting one again is not an error. */
	cr_assert_str_eq(fx_run(&fx, "debug crypto condition peer ipv4 10.2.0.1"),
			 "");
	cr_assert(strstr(fx_run(&fx, "debug crypto condition peer ipv4 10.3.0.1"),
			 "% At most 32 peer conditions can be set"), "%s", fx.out);
	cr_assert_not(debug_peer_allowed(0x0a030001u));
	cr_assert(debug_peer_allowed(0x0a020020u));
}

Test(debug_condition, ikev2_switches)
{
	cr_assert_str_eq(fx_run(&fx, "debug crypto ikev2"),
			 "IKEv2 default debugging is on\n");
	cr_assert_str_eq(fx_run(&fx, "debug crypto ikev2 packet"),
			 "IKEv2 packet debugging is on\n");
	cr_assert(debug_on(DEBUG_CRYPTO_IKEV2));
	cr_assert(debug_on(DEBUG_CRYPTO_IKEV2_PACKET));
	cr_assert_not(debug_on(DEBUG_CRYPTO_IKEV2_INTERNAL));
	cr_assert_str_eq(fx_run(&fx, "show debugging"),
			 "Cryptographic Subsystem:\n"
			 "  IKEv2 default debugging is on\n"
			 "  IKEv2 packet debugging is on\n");
	cr_assert_str_eq(fx_run(&fx, "no debug crypto ikev2 packet"),
			 "IKEv2 packet debugging is off\n");
	cr_assert_not(debug_on(DEBUG_CRYPTO_IKEV2_PACKET));
	cr_assert(debug_on(DEBUG_CRYPTO_IKEV2));
	fx_run(&fx, "undebug crypto ikev2");
	cr_assert_not(debug_on(DEBUG_CRYPTO_IKEV2));
}
