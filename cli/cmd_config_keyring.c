/*
 * IKEv1 keyrings and ISAKMP profiles (crypto keyring, crypto isakmp
 * profile and their sub-modes), the global ISAKMP switches (nat
 * keepalive, aggressive-mode disable, identity) and the global IPsec SA
 * settings (crypto ipsec security-association, df-bit, nat-transparency).
 *
 * Names of keyrings and profiles that other objects refer to are not
 * checked: as in IOS, a profile may name a keyring configured later.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"

#define KEYRING_LIST CC_M "crypto/keyring"
#define PROFILE_LIST CC_M "crypto/isakmp/profile"
#define SA_XPATH CC_M "crypto/ipsec/security-association"
#define HOST_MASK "255.255.255.255"

/* Opens entry NAME of the list at LIST and enters MODE on it. */
static enum cmd_result
enter_entry(struct vty *vty, enum cmd_mode mode, const char *list,
	    const char *name, const char *vrf)
{
	char xpath[VTY_XPATH_MAX];
	enum cmd_result ret;

	if (!cc_name_ok(vty, name) || (vrf && !cc_name_ok(vty, vrf)))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), "%s[name='%s']", list, name);
	ret = cc_enter(vty, mode, xpath);
	if (ret == CMD_SUCCESS && vrf)
		ret = cc_set_here(vty, "vrf", vrf);
	return ret;
}

static enum cmd_result
delete_entry(struct vty *vty, const char *list, const char *name)
{
	char xpath[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), "%s[name='%s']", list, name);
	return cc_delete(vty, xpath);
}

static enum cmd_result
keyring(struct vty *vty, const struct cmd_args *args)
{
	return enter_entry(vty, MODE_CONFIG_KEYRING, KEYRING_LIST,
			   cmd_arg(args, "name"), cmd_arg(args, "vrf"));
}

static enum cmd_result
no_keyring(struct vty *vty, const struct cmd_args *args)
{
	return delete_entry(vty, KEYRING_LIST, cmd_arg(args, "name"));
}

static enum cmd_result
isakmp_profile(struct vty *vty, const struct cmd_args *args)
{
	return enter_entry(vty, MODE_CONFIG_ISAKMP_PROFILE, PROFILE_LIST,
			   cmd_arg(args, "name"), NULL);
}

static enum cmd_result
no_isakmp_profile(struct vty *vty, const struct cmd_args *args)
{
	return delete_entry(vty, PROFILE_LIST, cmd_arg(args, "name"));
}

/* Checks the optional mask argument; NULL after printing the error. */
static const char *
mask_arg(struct vty *vty, const struct cmd_args *args, int word)
{
	const char *mask = cmd_arg(args, "mask");
	unsigned m;

	if (!mask)
		return HOST_MASK;
	if (!cc_parse_ipv4(mask, &m) || !cc_mask_ok(m)) {
		cc_invalid_input(vty, cc_column(args, word, 0));
		return NULL;
	}
	return mask;
}

static enum cmd_result
psk_address(struct vty *vty, const struct cmd_args *args)
{
	const char *addr = cmd_arg(args, "address");
	const char *mask = mask_arg(vty, args, 3);
	char clear[256];
	struct cc_txn t;

	if (!mask ||
	    !cc_secret_text(vty, cmd_arg(args, "type"), cmd_arg(args, "key"),
			    clear, sizeof(clear)) ||
	    !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, clear, "%s/pre-shared-key[address='%s'][mask='%s']/key",
	       vty_xpath(vty), addr, mask);
	OPENSSL_cleanse(clear, sizeof(clear));
	return cc_commit(&t);
}

static enum cmd_result
no_psk_address(struct vty *vty, const struct cmd_args *args)
{
	const char *mask = mask_arg(vty, args, 4);
	struct cc_txn t;

	if (!mask || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/pre-shared-key[address='%s'][mask='%s']",
	       vty_xpath(vty), cmd_arg(args, "address"), mask);
	return cc_commit(&t);
}

static enum cmd_result
psk_host(struct vty *vty, const struct cmd_args *args)
{
	const char *host = cmd_arg(args, "host");
	char clear[256];
	struct cc_txn t;

	if (!cc_name_ok(vty, host) ||
	    !cc_secret_text(vty, cmd_arg(args, "type"), cmd_arg(args, "key"),
			    clear, sizeof(clear)) ||
	    !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, clear, "%s/pre-shared-key-host[hostname='%s']/key",
	       vty_xpath(vty), host);
	OPENSSL_cleanse(clear, sizeof(clear));
	return cc_commit(&t);
}

static enum cmd_result
no_psk_host(struct vty *vty, const struct cmd_args *args)
{
	const char *host = cmd_arg(args, "host");
	struct cc_txn t;

	if (!cc_name_ok(vty, host) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/pre-shared-key-host[hostname='%s']", vty_xpath(vty),
	       host);
	return cc_commit(&t);
}

/* local-address ADDRESS|INTERFACE, in keyrings and ISAKMP profiles. */
static enum cmd_result
local_address(struct vty *vty, const struct cmd_args *args)
{
	const char *where = cmd_arg(args, "where");
	char ifname[64];

	if (!strchr("0123456789", where[0])) {
		if (!cc_ifname(where, NULL, ifname, sizeof(ifname))) {
			cc_invalid_input(vty, cc_column(args, 1, 0));
			return CMD_WARNING;
		}
		where = ifname;
	}
	return cc_set_here(vty, "local-address", where);
}

static enum cmd_result
no_leaf(struct vty *vty, const struct cmd_args *args)
{
	return cc_del_here(vty, cmd_arg(args, "leaf"));
}

static enum cmd_result
profile_keyring(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, name, "%s/keyring", vty_xpath(vty));
	return cc_commit(&t);
}

static enum cmd_result
profile_vrf(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	return cc_set_here(vty, "vrf", name);
}

static enum cmd_result
match_address(struct vty *vty, const struct cmd_args *args)
{
	const char *mask = mask_arg(vty, args, 4);
	const char *vrf = cmd_arg(args, "vrf");
	char entry[VTY_XPATH_MAX + 128];
	struct cc_txn t;

	if (!mask || (vrf && !cc_name_ok(vty, vrf)) || !cc_begin(&t, vty))
		return CMD_WARNING;
	snprintf(entry, sizeof(entry),
		 "%s/match-identity-address[address='%s'][mask='%s']",
		 vty_xpath(vty), cmd_arg(args, "address"), mask);
	cc_set(&t, NULL, "%s", entry);
	if (vrf)
		cc_set(&t, vrf, "%s/vrf", entry);
	return cc_commit(&t);
}

static enum cmd_result
match_name(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, name, "%s/match-identity-%s", vty_xpath(vty),
	       cmd_arg(args, "kind"));
	return cc_commit(&t);
}

static enum cmd_result
profile_keepalive(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, cmd_arg(args, "seconds"), "%s/keepalive/seconds",
	       vty_xpath(vty));
	cc_set(&t, cmd_arg(args, "retry"), "%s/keepalive/retry",
	       vty_xpath(vty));
	return cc_commit(&t);
}

static enum cmd_result
initiate_aggressive(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_set_here(vty, "initiate-aggressive", NULL);
}

static enum cmd_result
self_identity(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "self-identity", cmd_arg(args, "kind"));
}

static enum cmd_result
virtual_template(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "virtual-template", cmd_arg(args, "number"));
}

/* Sets or deletes the global leaf XPATH to the argument VALUE names. */
static enum cmd_result
set_global(struct vty *vty, const char *xpath, const char *value, bool no)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (no)
		cc_del(&t, "%s", xpath);
	else
		cc_set(&t, value, "%s", xpath);
	return cc_commit(&t);
}

static enum cmd_result
nat_keepalive(struct vty *vty, const struct cmd_args *args)
{
	return set_global(vty, CC_M "crypto/isakmp/nat-keepalive",
			  cmd_arg(args, "seconds"), cmd_has(args, "no"));
}

static enum cmd_result
aggressive_disable(struct vty *vty, const struct cmd_args *args)
{
	return set_global(vty, CC_M "crypto/isakmp/aggressive-mode-disable",
			  NULL, cmd_has(args, "no"));
}

static enum cmd_result
isakmp_identity(struct vty *vty, const struct cmd_args *args)
{
	return set_global(vty, CC_M "crypto/isakmp/identity",
			  cmd_arg(args, "kind"), cmd_has(args, "no"));
}

static enum cmd_result
sa_lifetime(struct vty *vty, const struct cmd_args *args)
{
	const char *secs = cmd_arg(args, "seconds");

	if (secs)
		return set_global(vty, SA_XPATH "/lifetime-seconds", secs,
				  false);
	return set_global(vty, SA_XPATH "/lifetime-kilobytes",
			  cmd_arg(args, "kilobytes"), false);
}

static enum cmd_result
no_sa_lifetime(struct vty *vty, const struct cmd_args *args)
{
	return set_global(vty, cmd_has(args, "seconds") ?
			  SA_XPATH "/lifetime-seconds" :
			  SA_XPATH "/lifetime-kilobytes", NULL, true);
}

static enum cmd_result
replay_window(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, SA_XPATH "/replay-disable");
	if (cmd_has(args, "no"))
		cc_del(&t, SA_XPATH "/replay-window-size");
	else
		cc_set(&t, cmd_arg(args, "size"),
		       SA_XPATH "/replay-window-size");
	return cc_commit(&t);
}

static enum cmd_result
replay_disable(struct vty *vty, const struct cmd_args *args)
{
	return set_global(vty, SA_XPATH "/replay-disable", NULL,
			  cmd_has(args, "no"));
}

static enum cmd_result
df_bit(struct vty *vty, const struct cmd_args *args)
{
	return set_global(vty, CC_M "crypto/ipsec/df-bit",
			  cmd_arg(args, "how"), cmd_has(args, "no"));
}

/* IOS keeps only the "no" form of nat-transparency in its config. */
static enum cmd_result
nat_transparency(struct vty *vty, const struct cmd_args *args)
{
	return set_global(vty, CC_M "crypto/ipsec/nat-transparency-disable",
			  NULL, !cmd_has(args, "no"));
}

#define H_NO "Negate a command or set its defaults\n"
#define H_CRYPTO "Encryption module\n"
#define H_ISAKMP "Configure ISAKMP policy\n"
#define H_KEYRING "Key ring commands\nKey ring name\n" \
	"Specify a VRF\nVRF name"
#define H_PROFILE "Define ISAKMP Profiles\nName of the profile"
#define H_PSK_ADDR "Pre-Shared Key\nIP address\nIP address of peer\n" \
	"Mask\npre shared key\nThe key"
#define H_PSK_HOST "Pre-Shared Key\nHostname\nHostname of peer\n" \
	"pre shared key\nThe key"
#define H_PSK_ADDR_TYPED "Pre-Shared Key\nIP address\nIP address of peer\n" \
	"Mask\npre shared key\n" CC_HELP_SECRET_TYPES "The key"
#define H_PSK_HOST_TYPED "Pre-Shared Key\nHostname\nHostname of peer\n" \
	"pre shared key\n" CC_HELP_SECRET_TYPES "The key"
#define H_IPSEC "Configure IPSEC policy\n"
#define H_SA "Security association parameters\n"
#define H_LIFETIME "Security association lifetime\n" \
	"Volume-based key duration\nkilobytes\n" \
	"Time-based key duration\nseconds"

static const struct cmd_def defs_config[] = {
	{ "crypto keyring WORD$name [vrf WORD$vrf]",
	  H_CRYPTO H_KEYRING, keyring, 0, 0 },
	{ "no crypto keyring WORD$name [vrf WORD]",
	  H_NO H_CRYPTO H_KEYRING, no_keyring, 0, 0 },
	{ "crypto isakmp profile WORD$name",
	  H_CRYPTO H_ISAKMP H_PROFILE, isakmp_profile, 0, 0 },
	{ "no crypto isakmp profile WORD$name",
	  H_NO H_CRYPTO H_ISAKMP H_PROFILE, no_isakmp_profile, 0, 0 },
	{ "crypto isakmp nat keepalive <5-3600>$seconds",
	  H_CRYPTO H_ISAKMP "NAT traversal\nSet a keepalive interval\n"
	  "Number of seconds between keep alives", nat_keepalive, 0, 0 },
	{ "no$no crypto isakmp nat keepalive [<5-3600>]",
	  H_NO H_CRYPTO H_ISAKMP "NAT traversal\nSet a keepalive interval\n"
	  "Number of seconds between keep alives", nat_keepalive, 0, 0 },
	{ "[no$no] crypto isakmp aggressive-mode disable",
	  H_NO H_CRYPTO H_ISAKMP "Aggressive Mode\nDisable Aggressive Mode",
	  aggressive_disable, 0, 0 },
	{ "crypto isakmp identity (address|hostname|dn)$kind",
	  H_CRYPTO H_ISAKMP "Set the identity which ISAKMP will use\n"
	  "Use the IP address of the interface for the identity\n"
	  "Use the hostname of the router for the identity\n"
	  "Use the distinguished name of the router cert for the identity",
	  isakmp_identity, 0, 0 },
	{ "no$no crypto isakmp identity [(address|hostname|dn)]",
	  H_NO H_CRYPTO H_ISAKMP "Set the identity which ISAKMP will use\n"
	  "Use the IP address of the interface for the identity\n"
	  "Use the hostname of the router for the identity\n"
	  "Use the distinguished name of the router cert for the identity",
	  isakmp_identity, 0, 0 },
	{ "crypto ipsec security-association lifetime "
	  "(kilobytes <2560-4294967295>$kilobytes|seconds <120-2592000>$seconds)",
	  H_CRYPTO H_IPSEC H_SA H_LIFETIME, sa_lifetime, 0, 0 },
	{ "no crypto ipsec security-association lifetime "
	  "(kilobytes|seconds)$kind [<120-4294967295>]",
	  H_NO H_CRYPTO H_IPSEC H_SA "Security association lifetime\n"
	  "Volume-based key duration\nTime-based key duration\nValue",
	  no_sa_lifetime, 0, 0 },
	{ "[no$no] crypto ipsec security-association replay "
	  "window-size (64|128|256|512|1024)$size",
	  H_NO H_CRYPTO H_IPSEC H_SA "Set replay checking\n"
	  "Set replay window size\nWindow size 64\nWindow size 128\n"
	  "Window size 256\nWindow size 512\nWindow size 1024",
	  replay_window, 0, 0 },
	{ "[no$no] crypto ipsec security-association replay disable",
	  H_NO H_CRYPTO H_IPSEC H_SA "Set replay checking\n"
	  "Disable replay checking", replay_disable, 0, 0 },
	{ "crypto ipsec df-bit (clear|set|copy)$how",
	  H_CRYPTO H_IPSEC "Handling of encapsulated DF bit\n"
	  "Clear DF bit for encapsulated packets\n"
	  "Set DF bit for encapsulated packets\n"
	  "Copy DF bit from inner for encapsulated packets",
	  df_bit, 0, 0 },
	{ "no$no crypto ipsec df-bit [(clear|set|copy)]",
	  H_NO H_CRYPTO H_IPSEC "Handling of encapsulated DF bit\n"
	  "Clear DF bit for encapsulated packets\n"
	  "Set DF bit for encapsulated packets\n"
	  "Copy DF bit from inner for encapsulated packets",
	  df_bit, 0, 0 },
	{ "[no$no] crypto ipsec nat-transparency udp-encapsulation",
	  H_NO H_CRYPTO H_IPSEC "IPsec NAT transparency model\n"
	  "UDP encapsulation", nat_transparency, 0, 0 },
};

static const struct cmd_def defs_keyring[] = {
	{ "pre-shared-key address A.B.C.D$address [A.B.C.D$mask] key LINE$key",
	  H_PSK_ADDR, psk_address, 0, 0 },
	{ "no pre-shared-key address A.B.C.D$address [A.B.C.D$mask] "
	  "[key LINE]", H_NO H_PSK_ADDR, no_psk_address, 0, 0 },
	{ "pre-shared-key address A.B.C.D$address [A.B.C.D$mask] key "
	  "(0|6|7)$type WORD$key", H_PSK_ADDR_TYPED, psk_address, 0, 0 },
	{ "pre-shared-key hostname WORD$host key LINE$key",
	  H_PSK_HOST, psk_host, 0, 0 },
	{ "pre-shared-key hostname WORD$host key (0|6|7)$type WORD$key",
	  H_PSK_HOST_TYPED, psk_host, 0, 0 },
	{ "no pre-shared-key hostname WORD$host [key LINE]",
	  H_NO H_PSK_HOST, no_psk_host, 0, 0 },
	{ "local-address WORD$where",
	  "Specify the interface address to use\nIP address or interface",
	  local_address, 0, 0 },
	{ "no (local-address)$leaf [WORD]",
	  H_NO "Specify the interface address to use\nIP address or interface",
	  no_leaf, 0, 0 },
};

static const struct cmd_def defs_profile[] = {
	{ "keyring WORD$name", "Keyring to use\nKeyring name",
	  profile_keyring, 0, 0 },
	{ "vrf WORD$name", "Specify the VRF it is related to\nVRF name",
	  profile_vrf, 0, 0 },
	{ "match identity address A.B.C.D$address [A.B.C.D$mask] "
	  "[WORD$vrf]",
	  "Match values of peer\nPeer identity\nIP Address\nIP address\n"
	  "IP mask\nVRF name", match_address, 0, 0 },
	{ "match identity (host|group)$kind WORD$name",
	  "Match values of peer\nPeer identity\nFully qualified domain name\n"
	  "Group name\nName", match_name, 0, 0 },
	{ "keepalive <10-3600>$seconds retry <2-60>$retry",
	  "Enable keepalive\nNumber of seconds between keepalives\n"
	  "Retry interval\nRetry seconds", profile_keepalive, 0, 0 },
	{ "initiate mode aggressive",
	  "Initiator property\nMode\nAggressive Mode Exchange",
	  initiate_aggressive, 0, 0 },
	{ "self-identity (address|fqdn)$kind",
	  "Specify Identity to use\nIP address\nFully qualified domain name",
	  self_identity, 0, 0 },
	{ "local-address WORD$where",
	  "Interface to use as local address for this isakmp profile\n"
	  "IP address or interface", local_address, 0, 0 },
	{ "virtual-template <0-65535>$number",
	  "Specify the virtual-template for dynamic interface creation.\n"
	  "The virtual template number", virtual_template, 0, 0 },
	{ "no (local-address|vrf|keepalive|self-identity|"
	  "initiate-aggressive|virtual-template)$leaf [LINE]",
	  H_NO "Interface to use as local address\nVRF\nKeepalive\n"
	  "Identity\nAggressive initiation\nVirtual template\nValue",
	  no_leaf, 0, 0 },
};

void
cc_install_keyring(void)
{
	size_t i;

	for (i = 0; i < sizeof(defs_config) / sizeof(defs_config[0]); i++)
		cmd_install(MODE_CONFIG, &defs_config[i]);
	for (i = 0; i < sizeof(defs_keyring) / sizeof(defs_keyring[0]); i++)
		cmd_install(MODE_CONFIG_KEYRING, &defs_keyring[i]);
	for (i = 0; i < sizeof(defs_profile) / sizeof(defs_profile[0]); i++)
		cmd_install(MODE_CONFIG_ISAKMP_PROFILE, &defs_profile[i]);
}
