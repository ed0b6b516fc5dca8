/*
 * Configuration commands typed in a CLI session: each test checks the
 * config tree and the rendered running-config, including the `no` forms.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "ikemgr/ike_private.h"
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

TestSuite(commands, .init = setup, .fini = teardown);

#define IF(n) M "interfaces/interface[name='" n "']"
#define POLICY(n) M "crypto/isakmp/policy[priority='" n "']"
#define TS(n) M "crypto/ipsec/transform-set[name='" n "']"
#define ENTRY(m, s) M "crypto/map[name='" m "']/entry[sequence='" s "']"
#define ACL(n) M "access-lists/access-list[name='" n "']"

static void
assert_render_has(const char *text)
{
	const char *render = fx_render(&fx);

	cr_assert_not_null(strstr(render, text), "\"%s\" missing from:\n%s",
			   text, render);
}

static void
assert_render_lacks(const char *text)
{
	const char *render = fx_render(&fx);

	cr_assert_null(strstr(render, text), "\"%s\" present in:\n%s", text,
		       render);
}

static void
assert_rejected(const char *line)
{
	const char *out = fx_run(&fx, line);

	cr_assert(fx.result == CMD_WARNING || fx.result == CMD_ERROR,
		  "accepted \"%s\"", line);
	cr_assert(strchr(out, '%') || strstr(out, "ERROR"),
		  "no error printed for \"%s\": %s", line, out);
}

Test(commands, hostname_and_no_form)
{
	fx_apply(&fx, "hostname EDGE-1");
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "EDGE-1");
	assert_render_has("!\nhostname EDGE-1\n!\n");
	fx_apply(&fx, "no hostname");
	assert_render_has("hostname Router\n");
	assert_rejected("hostname 1abc");
	assert_rejected("hostname a$b");
}

Test(commands, interface_name_abbreviations)
{
	static const struct {
		const char *typed, *full;
	} cases[] = {
		{ "int gi1", "GigabitEthernet1" },
		{ "interface GigabitEthernet 2", "GigabitEthernet2" },
		{ "int lo0", "Loopback0" },
		{ "interface Loopback 7", "Loopback7" },
		{ "int tu5", "Tunnel5" },
		{ "int g0/1", "GigabitEthernet0/1" },
		{ "int te0/0/1", "TenGigabitEthernet0/0/1" },
	};
	char xpath[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx_run(&fx, cases[i].typed);
		cr_assert_eq(fx.result, CMD_SUCCESS, "%s", cases[i].typed);
		cr_assert_eq(vty_mode(&fx.vty), MODE_CONFIG_IF);
		snprintf(xpath, sizeof(xpath), M "interfaces/interface"
			 "[name='%s']/name", cases[i].full);
		cr_assert_str_eq(fx_get(&fx, xpath), cases[i].full);
		fx_run(&fx, "exit");
	}
	assert_rejected("int t1");
	assert_rejected("interface foo1");
	assert_rejected("interface gi");
}

Test(commands, interface_settings_and_no_forms)
{
	fx_apply(&fx, "interface GigabitEthernet1\n"
		 "description to ISP | primary\n"
		 "ip address 10.10.1.2 255.255.255.0\n"
		 "shutdown\n"
		 "crypto map VPNMAP");
	cr_assert_str_eq(fx_get(&fx, IF("GigabitEthernet1") "/description"),
			 "to ISP | primary");
	cr_assert_str_eq(fx_get(&fx, IF("GigabitEthernet1") "/ipv4/address"),
			 "10.10.1.2");
	cr_assert_str_eq(fx_get(&fx, IF("GigabitEthernet1") "/crypto-map"),
			 "VPNMAP");
	assert_render_has("interface GigabitEthernet1\n"
			  " description to ISP | primary\n"
			  " ip address 10.10.1.2 255.255.255.0\n"
			  " shutdown\n"
			  " crypto map VPNMAP\n!\n");

	fx_apply(&fx, "no description\nno ip address\nno shutdown\n"
		 "no crypto map");
	assert_render_has("interface GigabitEthernet1\n no ip address\n!\n");
	cr_assert_str_eq(fx_get(&fx, IF("GigabitEthernet1") "/ipv4/address"),
			 "(none)");
}

Test(commands, interface_bad_mask_rejected)
{
	fx_apply(&fx, "interface Loopback0");
	assert_rejected("ip address 10.0.0.1 255.0.255.0");
	cr_assert_str_eq(fx_get(&fx, IF("Loopback0") "/ipv4/address"),
			 "(none)");
}

Test(commands, no_interface_removes_virtual_only)
{
	fx_apply(&fx, "interface Loopback1\nip address 1.1.1.1 255.255.255.255\n"
		 "exit\ninterface GigabitEthernet1\nexit");
	fx_apply(&fx, "no interface Loopback1");
	cr_assert_str_eq(fx_get(&fx, IF("Loopback1") "/name"), "(none)");
	assert_rejected("no interface GigabitEthernet1");
	cr_assert_str_eq(fx_get(&fx, IF("GigabitEthernet1") "/name"),
			 "GigabitEthernet1");
}

Test(commands, interfaces_render_in_ios_order)
{
	fx_apply(&fx, "int gi2\nexit\nint gi10\nexit\nint lo0\nexit\n"
		 "int tu1\nexit");
	assert_render_has("interface Loopback0\n no ip address\n!\n"
			  "interface Tunnel1\n no ip address\n!\n"
			  "interface GigabitEthernet2\n no ip address\n!\n"
			  "interface GigabitEthernet10\n");
}

Test(commands, isakmp_policy_settings)
{
	fx_apply(&fx, "crypto isakmp policy 10");
	cr_assert_eq(vty_mode(&fx.vty), MODE_CONFIG_ISAKMP);
	fx_apply(&fx, "encr aes 256\nhash sha256\nauthentication pre-share\n"
		 "group 14\nlifetime 3600");
	cr_assert_str_eq(fx_get(&fx, POLICY("10") "/encryption"), "aes");
	cr_assert_str_eq(fx_get(&fx, POLICY("10") "/key-size"), "256");
	cr_assert_str_eq(fx_get(&fx, POLICY("10") "/group"), "14");
	assert_render_has("crypto isakmp policy 10\n encr aes 256\n"
			  " hash sha256\n authentication pre-share\n"
			  " group 14\n lifetime 3600\n");

	fx_apply(&fx, "no hash\nno lifetime\nno encryption");
	cr_assert_str_eq(fx_get(&fx, POLICY("10") "/hash"), "sha");
	assert_render_has("crypto isakmp policy 10\n"
			  " authentication pre-share\n group 14\n!\n");
	assert_rejected("encryption 3des 256");
	assert_rejected("lifetime 10");

	fx_apply(&fx, "exit\nno crypto isakmp policy 10");
	assert_render_lacks("crypto isakmp policy");
}

Test(commands, isakmp_key_keepalive_recovery)
{
	fx_apply(&fx, "crypto isakmp key Secret1 address 10.1.1.1\n"
		 "crypto isakmp key Wild address 0.0.0.0 0.0.0.0 no-xauth\n"
		 "crypto isakmp keepalive 10 3 periodic\n"
		 "crypto isakmp invalid-spi-recovery");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/key[address='10.1.1.1']"
				"[mask='255.255.255.255']/key"), "Secret1");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/keepalive/mode"),
			 "periodic");
	assert_render_has("crypto isakmp key Secret1 address 10.1.1.1\n");
	assert_render_has("crypto isakmp key Wild address 0.0.0.0 0.0.0.0 "
			  "no-xauth\n");
	assert_render_has("crypto isakmp keepalive 10 3 periodic\n"
			  "crypto isakmp invalid-spi-recovery\n");

	fx_apply(&fx, "crypto isakmp keepalive 20");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/keepalive/mode"),
			 "on-demand");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/keepalive/retry"),
			 "(none)");

	fx_apply(&fx, "no crypto isakmp key Secret1 address 10.1.1.1\n"
		 "no crypto isakmp keepalive\n"
		 "no crypto isakmp invalid-spi-recovery");
	assert_render_lacks("Secret1");
	assert_render_lacks("keepalive");
	assert_render_lacks("invalid-spi-recovery");
	assert_rejected("no crypto isakmp key Secret1 address 10.9.9.9");
}

Test(commands, transform_set_valid_forms)
{
	fx_apply(&fx, "crypto ipsec transform-set TS1 esp-aes 256 esp-sha-hmac");
	cr_assert_eq(vty_mode(&fx.vty), MODE_CRYPTO_TRANS);
	fx_apply(&fx, "mode transport\nexit\n"
		 "crypto ipsec transform-set TSG esp-gcm 256\nexit\n"
		 "crypto ipsec transform-set NUL esp-null esp-sha256-hmac\nexit\n"
		 "crypto ipsec transform-set AH ah-sha-hmac esp-3des");
	cr_assert_str_eq(fx_get(&fx, TS("TS1") "/mode"), "transport");
	cr_assert_str_eq(fx_get(&fx, TS("TS1") "/key-size"), "256");
	assert_render_has("crypto ipsec transform-set TS1 esp-aes 256 "
			  "esp-sha-hmac \n mode transport\n!\n");
	assert_render_has("crypto ipsec transform-set TSG esp-gcm 256 \n"
			  " mode tunnel\n");
	assert_render_has("crypto ipsec transform-set AH ah-sha-hmac esp-3des \n");

	fx_apply(&fx, "exit\nno crypto ipsec transform-set NUL");
	assert_render_lacks("transform-set NUL");
}

Test(commands, transform_set_bad_combinations)
{
	static const char *const bad[] = {
		"crypto ipsec transform-set X esp-gcm 256 esp-sha-hmac",
		"crypto ipsec transform-set X esp-aes esp-des",
		"crypto ipsec transform-set X esp-3des 256",
		"crypto ipsec transform-set X esp-sha-hmac esp-md5-hmac",
		"crypto ipsec transform-set X comp-lzs",
		"crypto ipsec transform-set X esp-foo",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *out = fx_run(&fx, bad[i]);

		cr_assert_neq(fx.result, CMD_SUCCESS, "accepted %s", bad[i]);
		cr_assert_not_null(strstr(out, "% Invalid input detected at "
					  "'^' marker."), "%s: %s", bad[i], out);
		cr_assert_str_eq(fx_get(&fx, TS("X") "/name"), "(none)");
	}
}

Test(commands, transform_set_caret_column)
{
	/* "Router(config)#" is 15 columns and esp-des starts at 37. */
	const char *out = fx_run(&fx, "crypto ipsec transform-set X esp-aes "
				 "esp-des");
	char want[128];

	snprintf(want, sizeof(want), "%*s^\n%% Invalid input detected at "
		 "'^' marker.\n\n", 15 + 37, "");
	cr_assert_str_eq(out, want);
}

Test(commands, crypto_map_isakmp_entry)
{
	const char *out;

	fx_apply(&fx, "crypto ipsec transform-set TS1 esp-aes esp-sha-hmac\n"
		 "exit\ncrypto ipsec transform-set TS2 esp-3des esp-md5-hmac\n"
		 "exit");
	out = fx_run(&fx, "crypto map VPNMAP 10 ipsec-isakmp");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	cr_assert_str_eq(out, "% NOTE: This new crypto map will remain "
			 "disabled until a peer\n        and a valid access "
			 "list have been configured.\n");
	cr_assert_eq(vty_mode(&fx.vty), MODE_CRYPTO_MAP);
	fx_apply(&fx, "description to HQ\nset peer 10.1.1.1\n"
		 "set peer 10.1.1.2\nset transform-set TS1 TS2\n"
		 "set pfs group14\n"
		 "set security-association lifetime seconds 1800\n"
		 "match address VPN-ACL\nreverse-route");
	cr_assert_str_eq(fx_get(&fx, ENTRY("VPNMAP", "10") "/pfs-group"), "14");
	cr_assert_str_eq(fx_get(&fx, ENTRY("VPNMAP", "10") "/match-address"),
			 "VPN-ACL");
	assert_render_has("crypto map VPNMAP 10 ipsec-isakmp \n"
			  " description to HQ\n"
			  " set peer 10.1.1.1\n set peer 10.1.1.2\n"
			  " set security-association lifetime seconds 1800\n"
			  " set transform-set TS1 TS2 \n"
			  " set pfs group14\n"
			  " match address VPN-ACL\n reverse-route\n!\n");

	/* Entering the entry again prints no note. */
	fx_run(&fx, "exit");
	out = fx_run(&fx, "crypto map VPNMAP 10");
	cr_assert_str_eq(out, "");

	/* A missing transform set is kept, with a warning, as in IOS. */
	cr_assert_not_null(strstr(fx_run(&fx, "set transform-set NOPE"),
				  "% Warning: transform set NOPE does not "
				  "exist yet\n"));
	cr_assert_eq(fx.result, CMD_SUCCESS);
	cr_assert_str_eq(fx_get(&fx, ENTRY("VPNMAP", "10") "/transform-set"),
			 "NOPE");
	assert_rejected("set session-key inbound esp 300 cipher 0011");

	fx_apply(&fx, "no set peer 10.1.1.1\nno set pfs\nno match address\n"
		 "no reverse-route\nno description\n"
		 "no set security-association lifetime seconds\n"
		 "no set transform-set");
	assert_render_has("crypto map VPNMAP 10 ipsec-isakmp \n"
			  " set peer 10.1.1.2\n!\n");
}

Test(commands, crypto_map_manual_entry)
{
	fx_apply(&fx, "crypto ipsec transform-set TSM esp-aes esp-sha-hmac\n"
		 "exit\ncrypto map MAN 20 ipsec-manual\nset peer 10.1.1.1\n"
		 "set transform-set TSM\nmatch address 101\n"
		 "set session-key inbound esp 4096 cipher "
		 "00112233445566778899aabbccddeeff authenticator "
		 "0123456789abcdef0123456789abcdef01234567\n"
		 "set session-key outbound esp 4097 cipher "
		 "0xffeeddccbbaa99887766554433221100 authenticator "
		 "76543210fedcba9876543210fedcba9876543210");
	cr_assert_str_eq(fx_get(&fx, ENTRY("MAN", "20") "/type"),
			 "ipsec-manual");
	cr_assert_str_eq(fx_get(&fx, ENTRY("MAN", "20")
				"/session-key/inbound/esp/spi"), "4096");
	cr_assert_str_eq(fx_get(&fx, ENTRY("MAN", "20")
				"/session-key/outbound/esp/cipher"),
			 "ffeeddccbbaa99887766554433221100");
	assert_render_has("crypto map MAN 20 ipsec-manual \n"
			  " set peer 10.1.1.1\n"
			  " set session-key inbound esp 4096 cipher "
			  "00112233445566778899aabbccddeeff authenticator "
			  "0123456789abcdef0123456789abcdef01234567\n");

	/* A manual entry has one peer and one transform set. */
	fx_apply(&fx, "set peer 10.2.2.2");
	cr_assert_str_eq(fx_get(&fx, ENTRY("MAN", "20") "/peer"), "10.2.2.2");
	assert_render_lacks("set peer 10.1.1.1");
	assert_rejected("set transform-set TSM TSM");
	assert_rejected("set session-key inbound esp 100 cipher 00");
	assert_rejected("set session-key inbound esp 300 cipher 0g");

	fx_apply(&fx, "set session-key inbound esp 300 authenticator 00ff");
	cr_assert_str_eq(fx_get(&fx, ENTRY("MAN", "20")
				"/session-key/inbound/esp/cipher"), "(none)");
	fx_apply(&fx, "no set session-key outbound esp");
	assert_render_lacks("session-key outbound");
}

Test(commands, crypto_map_dynamic_and_no_forms)
{
	const char *out;

	out = fx_run(&fx, "crypto map VPNMAP 65535 ipsec-isakmp dynamic DYN");
	cr_assert_eq(fx.result, CMD_SUCCESS);
	cr_assert_str_eq(out, "");
	cr_assert_eq(vty_mode(&fx.vty), MODE_CONFIG);
	cr_assert_str_eq(fx_get(&fx, ENTRY("VPNMAP", "65535") "/dynamic"),
			 "DYN");
	assert_render_has("crypto map VPNMAP 65535 ipsec-isakmp dynamic DYN \n");

	fx_apply(&fx, "crypto map VPNMAP 10\nexit\ncrypto map OTHER 5\nexit");
	fx_apply(&fx, "no crypto map VPNMAP 10");
	cr_assert_str_eq(fx_get(&fx, ENTRY("VPNMAP", "10") "/type"), "(none)");
	cr_assert_str_eq(fx_get(&fx, ENTRY("VPNMAP", "65535") "/type"),
			 "ipsec-isakmp");
	fx_apply(&fx, "no crypto map VPNMAP 65535");
	cr_assert_str_eq(fx_get(&fx, M "crypto/map[name='VPNMAP']/name"),
			 "(none)");
	fx_apply(&fx, "no crypto map OTHER");
	assert_render_lacks("crypto map");

	fx_apply(&fx, "crypto map M 10 ipsec-isakmp\nexit");
	assert_rejected("crypto map M 10 ipsec-manual");
}

Test(commands, ipsec_profile)
{
	fx_apply(&fx, "crypto ipsec transform-set T esp-aes esp-sha-hmac\n"
		 "exit\ncrypto ipsec profile PROT");
	cr_assert_eq(vty_mode(&fx.vty), MODE_IPSEC_PROFILE);
	fx_apply(&fx, "set transform-set T\nset pfs group19\n"
		 "set isakmp-profile IKP");
	assert_render_has("crypto ipsec profile PROT\n set transform-set T \n"
			  " set pfs group19\n set isakmp-profile IKP\n!\n");
	assert_rejected("set peer 1.1.1.1");
	fx_apply(&fx, "no set isakmp-profile");
	assert_render_lacks("isakmp-profile");
	fx_run(&fx, "exit");
	assert_rejected("no crypto ipsec transform-set T");
	fx_apply(&fx, "no crypto ipsec profile PROT\n"
		 "no crypto ipsec transform-set T");
	assert_render_lacks("crypto ipsec");
}

Test(commands, numbered_access_lists)
{
	fx_apply(&fx, "access-list 101 permit esp host 10.10.1.2 host 10.1.1.1\n"
		 "access-list 101 permit udp any eq 500 any eq isakmp\n"
		 "access-list 101 deny tcp 10.0.0.0 0.0.0.255 any range 1000 "
		 "2000 established log\n"
		 "access-list 101 permit 47 any any\n"
		 "access-list 10 permit 192.168.1.0 0.0.0.255\n"
		 "access-list 10 deny host 10.9.9.9\n"
		 "access-list 10 remark local users");
	cr_assert_str_eq(fx_get(&fx, ACL("101") "/type"), "extended");
	cr_assert_str_eq(fx_get(&fx, ACL("101") "/entry[sequence='20']"
				"/source/port"), "500");
	cr_assert_str_eq(fx_get(&fx, ACL("10") "/type"), "standard");
	assert_render_has("access-list 10 permit 192.168.1.0 0.0.0.255\n"
			  "access-list 10 deny 10.9.9.9\n"
			  "access-list 10 remark local users\n"
			  "access-list 101 permit esp host 10.10.1.2 host "
			  "10.1.1.1\n"
			  "access-list 101 permit udp any eq isakmp any eq "
			  "isakmp\n"
			  "access-list 101 deny tcp 10.0.0.0 0.0.0.255 any "
			  "range 1000 2000 established log\n"
			  "access-list 101 permit gre any any\n");
	fx_apply(&fx, "no access-list 10");
	assert_render_lacks("access-list 10 ");
	assert_rejected("access-list 101 permit ip any");
	assert_rejected("access-list 101 permit ip any any time-range X");
	assert_rejected("access-list 700 permit ip any any");
	assert_rejected("access-list 1 permit tcp any any");
}

Test(commands, access_list_caret_at_bad_word)
{
	/* "Router(config)#" is 15 columns and "foo" starts at 34. */
	const char *out = fx_run(&fx, "access-list 101 permit ip any any foo");
	char want[128];

	snprintf(want, sizeof(want), "%*s^\n%% Invalid input detected at "
		 "'^' marker.\n\n", 15 + 34, "");
	cr_assert_str_eq(out, want);
}

Test(commands, named_access_lists)
{
	fx_apply(&fx, "ip access-list extended VPN-ACL");
	cr_assert_eq(vty_mode(&fx.vty), MODE_EXT_NACL);
	fx_apply(&fx, "permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n"
		 "remark second\n"
		 "5 deny ip host 192.168.2.9 any\n"
		 "permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255");
	cr_assert_str_eq(fx_get(&fx, ACL("VPN-ACL") "/entry[sequence='5']"
				"/source/host"), "192.168.2.9");
	cr_assert_str_eq(fx_get(&fx, ACL("VPN-ACL") "/entry[sequence='30']"
				"/action"), "(none)");
	assert_render_has("ip access-list extended VPN-ACL\n"
			  " deny ip host 192.168.2.9 any\n"
			  " permit ip 192.168.2.0 0.0.0.255 192.168.1.0 "
			  "0.0.0.255\n remark second\n!\n");
	assert_rejected("5 permit ip any any");
	fx_apply(&fx, "no permit ip 192.168.2.0 0.0.0.255 192.168.1.0 "
		 "0.0.0.255\nno 20");
	assert_render_has("ip access-list extended VPN-ACL\n"
			  " deny ip host 192.168.2.9 any\n!\n");

	fx_apply(&fx, "exit\nip access-list standard MGMT\npermit 10.0.0.0 "
		 "0.255.255.255\npermit any log\nexit");
	assert_render_has("ip access-list standard MGMT\n"
			  " permit 10.0.0.0 0.255.255.255\n permit any log\n!\n");
	assert_rejected("ip access-list extended MGMT");
	fx_apply(&fx, "no ip access-list standard MGMT");
	assert_render_lacks("MGMT");
}

Test(commands, static_routes)
{
	fx_apply(&fx, "ip route 0.0.0.0 0.0.0.0 10.10.1.1\n"
		 "ip route 192.168.1.0 255.255.255.0 Tunnel1 250\n"
		 "ip route 172.16.0.0 255.255.0.0 gi1 10.10.1.254");
	cr_assert_str_eq(fx_get(&fx, M "routing/static-route[prefix="
				"'192.168.1.0'][mask='255.255.255.0']"
				"[next-hop='Tunnel1']/distance"), "250");
	assert_render_has("ip route 0.0.0.0 0.0.0.0 10.10.1.1\n");
	assert_render_has("ip route 192.168.1.0 255.255.255.0 Tunnel1 250\n");
	assert_render_has("ip route 172.16.0.0 255.255.0.0 GigabitEthernet1 "
			  "10.10.1.254\n");
	assert_rejected("ip route 10.0.0.1 255.0.0.0 10.1.1.1");
	assert_rejected("ip route 10.0.0.0 255.0.0.0 10.1.1.1 name X");

	fx_apply(&fx, "no ip route 192.168.1.0 255.255.255.0 Tunnel1\n"
		 "no ip route 0.0.0.0 0.0.0.0");
	assert_render_lacks("ip route 192.168.1.0");
	assert_render_lacks("ip route 0.0.0.0");
	assert_rejected("no ip route 172.16.0.0 255.255.0.0 10.9.9.9");
}

Test(commands, unsupported_command_rejected)
{
	assert_rejected("crypto isakmp nat keepalive 2");
	assert_rejected("crypto pki trustpoint TP");
	fx_apply(&fx, "interface GigabitEthernet1");
	assert_rejected("negotiation auto");
}

Test(commands, show_running_config_header)
{
	const char *out, *render;
	char header[128];

	fx_apply(&fx, "hostname R9\ninterface Loopback0\n"
		 "ip address 1.1.1.1 255.255.255.255\nend");
	render = fx_render(&fx);
	out = fx_run(&fx, "show running-config");
	snprintf(header, sizeof(header), "Building configuration...\n\n"
		 "Current configuration : %zu bytes\n", strlen(render));
	cr_assert_eq(strncmp(out, header, strlen(header)), 0, "%s", out);
	out += strlen(header);
	cr_assert_eq(strncmp(out, render, strlen(render)), 0, "%s", out);
	/* IOS ends the listing with an empty line after "end". */
	cr_assert_str_eq(out + strlen(render), "\n");
}

Test(commands, write_memory_and_show_startup)
{
	const char *out;
	char *render;

	fx_apply(&fx, "hostname SAVED\nend");
	out = fx_run(&fx, "show startup-config");
	cr_assert_str_eq(out, "startup-config is not present\n");

	out = fx_run(&fx, "write memory");
	cr_assert_str_eq(out, "Building configuration...\n[OK]\n");
	render = strdup(fx_render(&fx));
	out = fx_run(&fx, "show startup-config");
	cr_assert_not_null(strstr(out, "Using "), "%s", out);
	cr_assert_not_null(strstr(out, " out of 33554432 bytes\n"));
	cr_assert_str_eq(strchr(out, '\n') + 1, render);
	free(render);

	fx_run(&fx, "configure terminal");
	fx_apply(&fx, "hostname COPIED\nend");
	fx_set_reply(&fx, "");
	out = fx_run(&fx, "copy running-config startup-config");
	cr_assert_not_null(strstr(out, "Building configuration...\n[OK]\n"),
			   "%s", out);
	out = fx_run(&fx, "show startup-config");
	cr_assert_not_null(strstr(out, "hostname COPIED\n"), "%s", out);
	out = fx_run(&fx, "wr");
	cr_assert_str_eq(out, "Building configuration...\n[OK]\n");
}

Test(commands, wildcard_shorthands_normalised)
{
	fx_apply(&fx, "access-list 150 permit ip 1.1.1.1 0.0.0.0 "
		 "2.2.2.2 255.255.255.255");
	assert_render_has("access-list 150 permit ip host 1.1.1.1 any\n");
}

Test(commands, isakmp_group_banner)
{
	char line[8 + 1021 + 2];

	/* The ETX delimiter of real configs is stored as the text "^C". */
	fx_apply(&fx, "crypto isakmp client configuration group EZ\n"
		 "key cisco\nbanner \003WELCOME TO EZVPN\003");
	cr_assert_str_eq(fx_get(&fx, "/vrouter-config:crypto/isakmp/"
				"client-group[name='EZ']/banner"),
			 "^CWELCOME TO EZVPN^C");
	assert_render_has("crypto isakmp client configuration group EZ\n"
			  " key cisco\n"
			  " banner ^CWELCOME TO EZVPN^C\n");

	/* Any delimiter is printed back as "^C", and as for the global
	 * banners the text after the closing delimiter is ignored. */
	fx_apply(&fx, "banner #OTHER#");
	assert_render_has(" banner ^COTHER^C\n");
	/* The stored value, "^C" included, takes at most 1024 characters. */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "banner #", 8);
	line[sizeof(line) - 2] = '#';
	assert_rejected(line);
	fx_apply(&fx, "banner ^CA^CB^C");
	assert_render_has(" banner ^CA^C\n");

	fx_apply(&fx, "no banner");
	assert_render_lacks(" banner ");
}

/* One `no` form: the config before it, and a line it must remove. */
struct no_case {
	const char *setup;	/* lines from (config) mode */
	const char *no;		/* run in the mode that SETUP ends in */
	const char *gone;	/* rendered text that NO removes */
	const char *kept;	/* rendered text that stays, or NULL */
};

Test(commands, ikev2_no_forms)
{
	static const struct no_case cases[] = {
		{ "crypto ikev2 profile P\n"
		  "match identity remote address 10.1.1.1 255.255.255.255\n"
		  "match identity remote fqdn a.example",
		  "no match identity remote address 10.1.1.1 255.255.255.255",
		  " match identity remote address 10.1.1.1 255.255.255.255 \n",
		  " match identity remote fqdn a.example \n" },
		{ "crypto ikev2 profile P\n"
		  "match identity remote address 10.1.1.1\n"
		  "match identity remote fqdn a.example",
		  "no match identity remote fqdn a.example",
		  " match identity remote fqdn a.example \n",
		  " match identity remote address 10.1.1.1 \n" },
		{ "crypto ikev2 profile P\n"
		  "match identity remote email u@a.example\n"
		  "match identity remote key-id K1",
		  "no match identity remote email u@a.example",
		  " match identity remote email u@a.example \n",
		  " match identity remote key-id K1 \n" },
		{ "crypto ikev2 profile P\n"
		  "match identity remote email u@a.example\n"
		  "match identity remote key-id K1",
		  "no match identity remote key-id K1",
		  " match identity remote key-id K1 \n",
		  " match identity remote email u@a.example \n" },
		{ "crypto ikev2 profile P\nmatch fvrf V\nlifetime 3600",
		  "no match fvrf V", " match fvrf V\n", " lifetime 3600\n" },
		{ "crypto ikev2 profile P\nmatch address local 10.0.0.1\n"
		  "match address local 10.0.0.2",
		  "no match address local 10.0.0.1",
		  " match address local 10.0.0.1 10.0.0.2\n",
		  " match address local 10.0.0.2\n" },
		{ "crypto ikev2 profile P\nmatch address local interface Lo0\n"
		  "lifetime 3600",
		  "no match address local interface Loopback0",
		  "interface Loopback0", " lifetime 3600\n" },
		{ "crypto ikev2 profile P\nauthentication remote pre-share\n"
		  "authentication local pre-share",
		  "no authentication remote pre-share",
		  " authentication remote pre-share\n",
		  " authentication local pre-share\n" },
		{ "crypto ikev2 profile P\nkeyring local K\nlifetime 3600",
		  "no keyring local K", " keyring local K\n",
		  " lifetime 3600\n" },
		{ "crypto ikev2 profile P\nidentity local fqdn r1.example\n"
		  "lifetime 3600",
		  "no identity local fqdn r1.example",
		  " identity local fqdn r1.example\n", " lifetime 3600\n" },
		{ "crypto ikev2 profile P\nlifetime 3600\n"
		  "dpd 10 3 periodic",
		  "no dpd 10 3 periodic", " dpd 10 3 periodic\n",
		  " lifetime 3600\n" },
		{ "crypto ikev2 policy PO\nproposal A\nproposal B",
		  "no proposal A", " proposal A B\n", " proposal B\n" },
		{ "crypto ikev2 policy PO\nproposal A\nmatch fvrf any",
		  "no match fvrf any", " match fvrf any\n", " proposal A\n" },
		{ "crypto ikev2 policy PO\nproposal A\n"
		  "match address local 10.0.0.1",
		  "no match address local 10.0.0.1",
		  " match address local 10.0.0.1\n", " proposal A\n" },
		{ "crypto ikev2 proposal PR\nencryption aes-cbc-256\n"
		  "integrity sha256\ngroup 14",
		  "no integrity sha256", " integrity sha256\n",
		  " encryption aes-cbc-256\n" },
		{ "crypto ikev2 keyring K\npeer A\naddress 10.0.0.1\n"
		  "description far end",
		  "no description far end", " description far end\n",
		  " address 10.0.0.1\n" },
		{ "crypto ikev2 keyring K\npeer A\naddress 10.0.0.1\n"
		  "identity fqdn a.example",
		  "no identity fqdn a.example", " identity fqdn a.example\n",
		  " address 10.0.0.1\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct no_case *c = &cases[i];
		const char *out;

		fx_close(&fx);
		fx_open(&fx);
		fx_apply(&fx, c->setup);
		cr_assert(strstr(fx_render(&fx), c->gone), "%s: setup lacks "
			  "\"%s\":\n%s", c->no, c->gone, fx_render(&fx));
		out = fx_run(&fx, c->no);
		cr_expect_eq(fx.result, CMD_SUCCESS, "%s: %s", c->no, out);
		cr_expect_null(strstr(fx_render(&fx), c->gone), "%s: "
			       "\"%s\" is still there:\n%s", c->no, c->gone,
			       fx_render(&fx));
		if (c->kept != NULL)
			cr_expect(strstr(fx_render(&fx), c->kept), "%s: "
				  "removed \"%s\" too:\n%s", c->no, c->kept,
				  fx_render(&fx));
	}
}

/* A remote identity is removed by its value only, as IOS takes it. */
Test(commands, ikev2_no_identity_needs_value)
{
	fx_apply(&fx, "crypto ikev2 profile P\n"
		 "match identity remote fqdn a.example");
	assert_rejected("no match identity remote fqdn");
	assert_render_has(" match identity remote fqdn a.example \n");
}

/* Returns true when A appears in TEXT and before B. */
static bool
before(const char *text, const char *a, const char *b)
{
	const char *pa = strstr(text, a), *pb = strstr(text, b);

	return pa != NULL && pb != NULL && pa < pb;
}

/* Numbered entries render by number, whatever the order they came in. */
Test(commands, numbered_lists_sorted)
{
	struct ike_config *ike;
	const char *run, *out;

	fx_apply(&fx, "crypto isakmp policy 100\nencr aes\n"
		 "crypto isakmp policy 10\nencr aes\n"
		 "crypto isakmp policy 20\nencr aes\nexit\n"
		 "crypto map M 30 ipsec-isakmp\nset peer 10.0.0.3\n"
		 "crypto map M 5 ipsec-isakmp\nset peer 10.0.0.1\n"
		 "crypto map M 10 ipsec-isakmp\nset peer 10.0.0.2\nexit\n"
		 "crypto dynamic-map D 20\nset peer 10.0.1.2\n"
		 "crypto dynamic-map D 10\nset peer 10.0.1.1\nexit\n"
		 "ip access-list extended A\n"
		 "30 permit ip any host 10.0.2.3\n"
		 "10 permit ip any host 10.0.2.1\n"
		 "20 permit ip any host 10.0.2.2");
	run = fx_render(&fx);
	cr_expect(before(run, "crypto isakmp policy 10\n",
			 "crypto isakmp policy 20\n"), "%s", run);
	cr_expect(before(run, "crypto isakmp policy 20\n",
			 "crypto isakmp policy 100\n"), "%s", run);
	cr_expect(before(run, "crypto map M 5 ", "crypto map M 10 "),
		  "%s", run);
	cr_expect(before(run, "crypto map M 10 ", "crypto map M 30 "),
		  "%s", run);
	cr_expect(before(run, "crypto dynamic-map D 10\n",
			 "crypto dynamic-map D 20\n"), "%s", run);
	cr_expect(before(run, "host 10.0.2.1\n", "host 10.0.2.2\n"),
		  "%s", run);
	cr_expect(before(run, "host 10.0.2.2\n", "host 10.0.2.3\n"),
		  "%s", run);

	fx_apply(&fx, "end");
	out = fx_run(&fx, "show crypto isakmp policy");
	cr_expect(before(out, "priority 10\n", "priority 20\n"), "%s", out);
	cr_expect(before(out, "priority 20\n", "priority 100\n"), "%s", out);

	/* The IKE manager proposes and matches them in the same order. */
	ike = ike_config_derive(cfg_read_lock(fx.router.cfg));
	cfg_read_unlock(fx.router.cfg);
	cr_assert_not_null(ike);
	cr_assert_eq(ike->npolicies, 3);
	cr_expect_eq(ike->policies[0].priority, 10);
	cr_expect_eq(ike->policies[1].priority, 20);
	cr_expect_eq(ike->policies[2].priority, 100);
	ike_config_free(ike);
}
