/*
 * Show commands of the crypto configuration, in IOS layout, including
 * names that refer to objects that are not configured.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fixture.h"

static struct fixture fx;

static void
setup(void)
{
	fx_open(&fx);
	fx_apply(&fx,
		 "crypto isakmp policy 10\n encr aes 256\n hash sha256\n"
		 " authentication pre-share\n group 14\nexit\n"
		 "crypto isakmp key Secret1 address 10.1.1.1\n"
		 "crypto keyring KR\n"
		 " pre-shared-key address 10.2.0.0 255.255.0.0 key ringkey\n"
		 "exit\n"
		 "crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n"
		 " mode transport\nexit\n"
		 "crypto ipsec profile PROT\n set transform-set TS GONE\n"
		 " set pfs group19\n set ikev2-profile IKP\nexit\n"
		 "crypto dynamic-map DYN 10\n set transform-set TS\n"
		 " match address VPN-ACL\nexit\n"
		 "crypto ikev2 proposal P1\n encryption aes-cbc-256\n"
		 " integrity sha256\n group 14 19\nexit\n"
		 "interface Tunnel0\n ip nhrp map 10.0.0.2 192.0.2.2\nexit\n"
		 "ip access-list extended VPN-ACL\n remark protected\n"
		 " permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n"
		 " deny tcp any host 10.1.1.1 eq www log\nexit\n"
		 "access-list 5 permit 10.0.0.0 0.255.255.255\n"
		 "access-list 5 deny host 10.9.9.9\n"
		 "end");
}

static void
teardown(void)
{
	fx_close(&fx);
}

TestSuite(show, .init = setup, .fini = teardown);

Test(show, isakmp_policy)
{
	cr_assert_str_eq(fx_run(&fx, "show crypto isakmp policy"),
		"Global IKE policy\n"
		"Protection suite of priority 10\n"
		"\tencryption algorithm:\tAES - Advanced Encryption Standard "
		"(256 bit keys).\n"
		"\thash algorithm:\t\tSecure Hash Standard 2 (256 bit)\n"
		"\tauthentication method:\tPre-Shared Key\n"
		"\tDiffie-Hellman group:\t#14 (2048 bit)\n"
		"\tlifetime:\t\t86400 seconds, no volume limit\n"
		"Default protection suite of priority 65507\n"
		"\tencryption algorithm:\tAES - Advanced Encryption Standard "
		"(128 bit keys).\n"
		"\thash algorithm:\t\tSecure Hash Standard\n"
		"\tauthentication method:\tRivest-Shamir-Adleman Signature\n"
		"\tDiffie-Hellman group:\t#5 (1536 bit)\n"
		"\tlifetime:\t\t86400 seconds, no volume limit\n"
		"Default protection suite of priority 65508\n"
		"\tencryption algorithm:\tAES - Advanced Encryption Standard "
		"(128 bit keys).\n"
		"\thash algorithm:\t\tSecure Hash Standard\n"
		"\tauthentication method:\tPre-Shared Key\n"
		"\tDiffie-Hellman group:\t#5 (1536 bit)\n"
		"\tlifetime:\t\t86400 seconds, no volume limit\n");
}

Test(show, isakmp_key)
{
	cr_assert_str_eq(fx_run(&fx, "show crypto isakmp key"),
		"Keyring      Hostname/Address                  "
		"Preshared Key\n\n"
		"default      10.1.1.1                          Secret1\n"
		"KR           10.2.0.0/255.255.0.0              ringkey\n");
}

Test(show, transform_set_and_profile)
{
	cr_assert_str_eq(fx_run(&fx, "show crypto ipsec transform-set"),
		"Transform set TS: { esp-256-aes esp-sha-hmac  }\n"
		"   will negotiate = { Transport,  },\n   \n");
	/* GONE is not configured: listed by name, with no transforms. */
	cr_assert_str_eq(fx_run(&fx, "show crypto ipsec profile"),
		"IPSEC profile PROT\n"
		"\tIKEv2 Profile: IKP\n"
		"\tSecurity association lifetime: 4608000 kilobytes/3600 "
		"seconds\n"
		"\tResponder-Only (Y/N): N\n"
		"\tPFS (Y/N): Y\n"
		"\tDH group:  group19\n"
		"\tMixed-mode : Disabled\n"
		"\tTransform sets={ \n"
		"\t\tTS:  { esp-256-aes esp-sha-hmac  } , \n"
		"\t\tGONE:  {   } , \n"
		"\t}\n\n");
}

Test(show, dynamic_map)
{
	const char *out = fx_run(&fx, "show crypto dynamic-map");

	cr_assert(!strncmp(out, "Crypto Map Template\"DYN\" 10\n"
			   "\tExtended IP access list VPN-ACL\n", 55), "%s",
		  out);
}

Test(show, ikev2_proposal)
{
	cr_assert_str_eq(fx_run(&fx, "show crypto ikev2 proposal"),
		" IKEv2 proposal: P1 \n"
		"     Encryption : AES-CBC-256\n"
		"     Integrity  : SHA256\n"
		"     PRF        : none\n"
		"     DH Group   : DH_GROUP_2048_MODP/Group 14 "
		"DH_GROUP_256_ECP/Group 19\n");
}

Test(show, nhrp_static_entries)
{
	cr_assert_str_eq(fx_run(&fx, "show ip nhrp"),
		"10.0.0.2/32 via 10.0.0.2\n"
		"   Tunnel0 created never, never expire \n"
		"   Type: static, Flags: used \n"
		"   NBMA address: 192.0.2.2 \n");
}

Test(show, access_lists)
{
	/* Lists in the order they were created; remarks are not shown. */
	cr_assert_str_eq(fx_run(&fx, "show access-lists"),
		"Extended IP access list VPN-ACL\n"
		"    20 permit ip 192.168.2.0 0.0.0.255 192.168.1.0 "
		"0.0.0.255\n"
		"    30 deny tcp any host 10.1.1.1 eq www log\n"
		"Standard IP access list 5\n"
		"    10 permit 10.0.0.0, wildcard bits 0.255.255.255\n"
		"    20 deny 10.9.9.9\n");
	cr_assert_str_eq(fx_run(&fx, "show access-lists 5"),
		"Standard IP access list 5\n"
		"    10 permit 10.0.0.0, wildcard bits 0.255.255.255\n"
		"    20 deny 10.9.9.9\n");
}

Test(show, ezvpn_without_profile)
{
	cr_assert_str_eq(fx_run(&fx, "show crypto ipsec client ezvpn"),
			 "% No Easy VPN Remote profile is applied to an "
			 "outside interface\n");
}

Test(show, ezvpn_connect_without_profile)
{
	const char *out = fx_run(&fx, "crypto ipsec client ezvpn connect EZ");

	cr_assert_eq(fx.result, CMD_WARNING, "%s", out);
	cr_assert_str_eq(out, "% No Easy VPN Remote profile EZ is applied to "
			 "an outside interface\n");
}
