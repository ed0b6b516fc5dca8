/*
 * Secret hashing against hashes printed by real IOS routers.
 *
 * The type 8 and type 9 examples come from the Cisco IOS Security Command
 * Reference, "username" command (sec-cr-e1), where
 *   username demo8 algorithm-type sha256 secret cisco
 *   username demo9 algorithm-type scrypt secret cisco
 * show as the hashes below in show running-config.
 * https://www.cisco.com/c/en/us/td/docs/ios-xml/ios/security/d1/sec-d1-cr-book/sec-cr-e1.html
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cli/aaa.h"

#define DEMO8 "$8$dsYGNam3K1SIJO$7nv/35M/qr6t.dVc7UY9zrJDWRVqncHub1PE9UlMQFs"
#define DEMO9 "$9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM"

Test(aaa, type9_matches_ios)
{
	char out[AAA_HASH_MAX];

	cr_assert_eq(aaa_hash_with_salt(9, "cisco", "nhEmQVczB7dqsO", out,
					sizeof(out)), 0);
	cr_assert_str_eq(out, DEMO9);
	cr_assert(aaa_hash_verify(DEMO9, "cisco"));
	cr_assert_not(aaa_hash_verify(DEMO9, "Cisco"));
	cr_assert_not(aaa_hash_verify(DEMO9, ""));
}

Test(aaa, type8_matches_ios)
{
	char out[AAA_HASH_MAX];

	cr_assert_eq(aaa_hash_with_salt(8, "cisco", "dsYGNam3K1SIJO", out,
					sizeof(out)), 0);
	cr_assert_str_eq(out, DEMO8);
	cr_assert(aaa_hash_verify(DEMO8, "cisco"));
	cr_assert_not(aaa_hash_verify(DEMO8, "cisco1"));
}

Test(aaa, new_hash_has_random_salt_and_verifies)
{
	char a[AAA_HASH_MAX], b[AAA_HASH_MAX];

	cr_assert_eq(aaa_hash_new(9, "s3cret", a, sizeof(a)), 0);
	cr_assert_eq(aaa_hash_new(9, "s3cret", b, sizeof(b)), 0);
	cr_assert_eq(strlen(a), strlen(DEMO9));
	cr_assert(aaa_hash_valid(9, a));
	cr_assert_str_neq(a, b);
	cr_assert(aaa_hash_verify(a, "s3cret"));
	cr_assert(aaa_hash_verify(b, "s3cret"));
	cr_assert_not(aaa_hash_verify(a, "s3cre"));
}

Test(aaa, malformed_hashes_are_rejected)
{
	cr_assert_not(aaa_hash_valid(9, "bad"));
	cr_assert_not(aaa_hash_valid(9, DEMO8));
	cr_assert_not(aaa_hash_valid(8, "$8$salt$short"));
	cr_assert_not(aaa_hash_valid(9, "$9$nhEmQVczB7dqsO$X.Hs!L6x1il0RxkOSSvy"
				     "QYwucySCt7qFm4v7pqCxkKM"));
	cr_assert_not(aaa_hash_verify("$9$$", "cisco"));
	cr_assert_not(aaa_hash_verify("", "cisco"));
}

/* "password 7 0822455D0A16" is the usual IOS example for "cisco". */
Test(aaa, type7_round_trip)
{
	char text[AAA_TYPE7_MAX], clear[AAA_PASSWORD_MAX + 1];

	cr_assert_eq(aaa_type7_decode("0822455D0A16", clear, sizeof(clear)), 0);
	cr_assert_str_eq(clear, "cisco");
	cr_assert_eq(aaa_type7_encode("cisco", 8, text, sizeof(text)), 0);
	cr_assert_str_eq(text, "0822455D0A16");
	cr_assert_eq(aaa_type7_decode("0", clear, sizeof(clear)), -1);
	cr_assert_eq(aaa_type7_decode("99AB", clear, sizeof(clear)), -1);
	cr_assert_eq(aaa_type7_decode("08ZZ", clear, sizeof(clear)), -1);
}
