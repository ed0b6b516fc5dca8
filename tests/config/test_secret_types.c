/*
 * Keys and passwords typed with an IOS type (0, 6 or 7): every command
 * that takes one rejects malformed type 7 text and type 6 with an error,
 * and stores the decoded key of valid type 7 text.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cli/aaa.h"
#include "fixture.h"

static struct fixture fx;

static void
setup(void)
{
	fx_open(&fx);
}

static void
teardown(void)
{
	fx_close(&fx);
}

TestSuite(secret_types, .init = setup, .fini = teardown);

/* "0822455D0A16" is the type 7 text of "cisco" that IOS examples use. */
#define CISCO7 "0822455D0A16"
#define IKEV2_PEER M "crypto/ikev2/keyring[name='KR']/peer[name='P']"
#define EZ_CLIENT M "crypto/ipsec/client-ezvpn[name='EZ']"

/* Runs LINE and asserts that it fails with ERROR. */
static void
assert_rejected_with(const char *line, const char *error)
{
	const char *out = fx_run(&fx, line);

	cr_assert_eq(fx.result, CMD_WARNING, "accepted \"%s\"", line);
	cr_assert_not_null(strstr(out, error), "wrong error for \"%s\": %s",
			   line, out);
}

static void
assert_invalid_type7(const char *line)
{
	assert_rejected_with(line, "% Invalid encrypted password");
}

static void
assert_type6_rejected(const char *line)
{
	assert_rejected_with(line, "% Type 6 keys");
}

Test(secret_types, isakmp_and_keyring_keys)
{
	assert_invalid_type7("crypto isakmp key 7 XYZ address 10.0.0.1");
	assert_invalid_type7("crypto isakmp key 7 0822455D0A1 address "
			     "10.0.0.1");
	assert_type6_rejected("crypto isakmp key 6 abc address 10.0.0.1");
	fx_apply(&fx, "crypto isakmp key 7 " CISCO7 " address 10.0.0.1");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/key[address='10.0.0.1']"
				    "[mask='255.255.255.255']/key"), "cisco");

	fx_apply(&fx, "crypto keyring KR1");
	assert_invalid_type7("pre-shared-key address 10.0.0.2 key 7 0822Z5");
	fx_apply(&fx, "pre-shared-key address 10.0.0.2 key 7 " CISCO7);
	cr_assert_str_eq(fx_get(&fx, M "crypto/keyring[name='KR1']/"
				    "pre-shared-key[address='10.0.0.2']"
				    "[mask='255.255.255.255']/key"), "cisco");
}

Test(secret_types, ikev2_keyring_peer_keys)
{
	fx_apply(&fx, "crypto ikev2 keyring KR\npeer P");
	fx_apply(&fx, "pre-shared-key 7 " CISCO7);
	cr_assert_str_eq(fx_get(&fx, IKEV2_PEER "/pre-shared-key"), "cisco");
	fx_apply(&fx, "pre-shared-key remote 0 two words");
	cr_assert_str_eq(fx_get(&fx, IKEV2_PEER "/pre-shared-key-remote"),
			 "two words");
	fx_apply(&fx, "pre-shared-key local plain-key");
	cr_assert_str_eq(fx_get(&fx, IKEV2_PEER "/pre-shared-key-local"),
			 "plain-key");

	assert_invalid_type7("pre-shared-key local 7 0822455D0A1");
	assert_invalid_type7("pre-shared-key 7 ZZZZ");
	assert_invalid_type7("pre-shared-key remote 7 08 22");
	assert_type6_rejected("pre-shared-key 6 abc");
	/* The rejected commands left the stored keys alone. */
	cr_assert_str_eq(fx_get(&fx, IKEV2_PEER "/pre-shared-key-local"),
			 "plain-key");
	cr_assert_str_eq(fx_get(&fx, IKEV2_PEER "/pre-shared-key"), "cisco");
}

Test(secret_types, ezvpn_client_keys)
{
	const char *out;

	fx_apply(&fx, "crypto ipsec client ezvpn EZ");
	assert_invalid_type7("group G key 7 ZZZZ");
	assert_type6_rejected("group G key 6 abc");
	out = fx_run(&fx, "group G key my key");
	cr_assert_neq(fx.result, CMD_SUCCESS, "accepted a key with a space");
	cr_assert_not_null(strchr(out, '%'), "no error printed: %s", out);
	cr_assert_str_eq(fx_get(&fx, EZ_CLIENT "/key"), "(none)");

	fx_apply(&fx, "group G key 7 " CISCO7);
	cr_assert_str_eq(fx_get(&fx, EZ_CLIENT "/key"), "cisco");
	fx_apply(&fx, "group G key 0 EzKey");
	cr_assert_str_eq(fx_get(&fx, EZ_CLIENT "/key"), "EzKey");

	assert_invalid_type7("username u password 7 0822455D0A1");
	fx_apply(&fx, "username u password 7 " CISCO7);
	cr_assert_str_eq(fx_get(&fx, EZ_CLIENT "/password"), "cisco");
}

Test(secret_types, ezvpn_server_group_key)
{
	const char *group =
		M "crypto/isakmp/client-group[name='EZGRP']/key";

	fx_apply(&fx, "crypto isakmp client configuration group EZGRP");
	assert_invalid_type7("key 7 ZZZZ");
	assert_type6_rejected("key 6 abc");
	fx_apply(&fx, "key 7 " CISCO7);
	cr_assert_str_eq(fx_get(&fx, group), "cisco");
	fx_apply(&fx, "key 0 clear-key");
	cr_assert_str_eq(fx_get(&fx, group), "clear-key");
	fx_apply(&fx, "key other-key");
	cr_assert_str_eq(fx_get(&fx, group), "other-key");
}

Test(secret_types, user_and_line_passwords)
{
	assert_invalid_type7("username x password 7 ZZZZ");
	assert_invalid_type7("username x password 7 0822455D0A1");
	fx_apply(&fx, "line vty 0 4");
	assert_invalid_type7("password 7 ZZZZ");
	assert_invalid_type7("password 7 0822455D0A1");
}

Test(secret_types, type7_of_control_character)
{
	/* Seed 00 and 0x64 ('d' of the key string) decode to a NUL byte. */
	assert_invalid_type7("crypto isakmp key 7 0064 address 10.0.0.1");
	/* "08" alone decodes to an empty key. */
	assert_invalid_type7("crypto isakmp key 7 08 address 10.0.0.1");
	/* The seed must be two decimal digits from 00 to 15. */
	assert_invalid_type7("crypto isakmp key 7 1622455D0A16 address "
			     "10.0.0.1");
	assert_invalid_type7("crypto isakmp key 7 +822455D0A16 address "
			     "10.0.0.1");
}

/* Without service password-encryption, IOS shows clear passwords as
 * typed: `username ... password 0 TEXT`, a line's `password TEXT`. */
Test(secret_types, clear_passwords_shown_until_encryption)
{
	fx_apply(&fx, "username bob password Zx!@#$%^&*()_+\n"
		      "username carol password 7 " CISCO7 "\n"
		      "crypto isakmp key cisco address 10.0.0.1\n"
		      "line vty 0 4\n"
		      " password LinePw\n"
		      " exit");
	fx_assert_render_has(&fx, "\nusername bob password 0 "
			     "Zx!@#$%^&*()_+\n");
	fx_assert_render_has(&fx, "\nusername carol password 7 " CISCO7
			     "\n");
	fx_assert_render_has(&fx, "\ncrypto isakmp key cisco address "
			     "10.0.0.1\n");
	fx_assert_render_has(&fx, "\nline vty 0 4\n password LinePw\n");

	fx_apply(&fx, "service password-encryption");
	fx_assert_render_lacks(&fx, "Zx!@#$%^&*()_+");
	fx_assert_render_lacks(&fx, "LinePw");
	fx_assert_render_has(&fx, "\nusername bob password 7 ");
	fx_assert_render_has(&fx, "\nusername carol password 7 " CISCO7
			     "\n");
	fx_assert_render_has(&fx, "\ncrypto isakmp key 7 ");
	fx_assert_render_has(&fx, "\nline vty 0 4\n password 7 ");

	/* Passwords given now are encrypted at once. */
	fx_apply(&fx, "username dave password DavePw");
	fx_assert_render_lacks(&fx, "DavePw");

	/*
	 * IOS does not decrypt the passwords again, but keys are shown in
	 * clear again.
	 */
	fx_apply(&fx, "no service password-encryption");
	fx_assert_render_lacks(&fx, "Zx!@#$%^&*()_+");
	fx_assert_render_lacks(&fx, "LinePw");
	fx_assert_render_lacks(&fx, "DavePw");
	fx_assert_render_has(&fx, "\ncrypto isakmp key cisco address "
			     "10.0.0.1\n");
}

/* IOS takes the rest of the line as the password, spaces included. */
Test(secret_types, password_with_spaces)
{
	unsigned priv = 0;

	fx_apply(&fx, "username alice password 0 pa ss word");
	fx_assert_render_has(&fx, "\nusername alice password 0 "
			     "pa ss word\n");
	cr_assert(aaa_check_user(fx.router.cfg, "alice", "pa ss word", &priv));
	cr_assert_not(aaa_check_user(fx.router.cfg, "alice", "pa", &priv));
	cr_assert_not(aaa_check_user(fx.router.cfg, "alice", "pa ss", &priv));

	fx_apply(&fx, "line con 0\n password  two words\n exit");
	fx_assert_render_has(&fx, "\nline con 0\n password two words\n");
}

/* `enable password` is shown like a line password and applies only
 * while no enable secret is set. */
Test(secret_types, enable_password)
{
	struct cfg *cfg = fx.router.cfg;

	cr_assert_not(aaa_enable_secret_set(cfg));
	assert_invalid_type7("enable password 7 0822455D0A1");
	cr_assert_not(aaa_enable_secret_set(cfg));

	fx_apply(&fx, "enable password En Pw");
	fx_assert_render_has(&fx, "\nenable password En Pw\n");
	cr_assert(aaa_enable_secret_set(cfg));
	cr_assert(aaa_check_enable(cfg, "En Pw"));
	cr_assert_not(aaa_check_enable(cfg, "En"));

	fx_apply(&fx, "enable password 7 " CISCO7);
	fx_assert_render_has(&fx, "\nenable password 7 " CISCO7 "\n");
	cr_assert(aaa_check_enable(cfg, "cisco"));

	fx_apply(&fx, "enable password EnPw2\nservice password-encryption");
	fx_assert_render_lacks(&fx, "EnPw2");
	fx_assert_render_has(&fx, "\nenable password 7 ");
	cr_assert(aaa_check_enable(cfg, "EnPw2"));

	fx_apply(&fx, "enable secret 0 TheSecret");
	cr_assert(aaa_check_enable(cfg, "TheSecret"));
	cr_assert_not(aaa_check_enable(cfg, "EnPw2"));

	fx_apply(&fx, "no enable secret\nno enable password");
	cr_assert_not(aaa_enable_secret_set(cfg));
	fx_assert_render_lacks(&fx, "enable password");
}
