/*
 * Objects that crypto configs refer to: VRFs (vrf definition, ip vrf),
 * address pools (ip local pool), EzVPN server groups (crypto isakmp
 * client configuration group) and AAA method lists.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"
#include "core/config.h"

#define VRF_XPATH CC_M "vrfs/vrf[name='%s']"
#define GROUP_XPATH CC_M "crypto/isakmp/client-group[name='%s']"

static enum cmd_result
vrf(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char xpath[VTY_XPATH_MAX];
	enum cmd_result ret;

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), VRF_XPATH, name);
	ret = cc_enter(vty, MODE_CONFIG_VRF, xpath);
	if (ret == CMD_SUCCESS && cmd_has(args, "ip"))
		ret = cc_set_here(vty, "ip-vrf", NULL);
	return ret;
}

static enum cmd_result
no_vrf(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char xpath[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), VRF_XPATH, name);
	return cc_delete(vty, xpath);
}

static enum cmd_result
vrf_value(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, cmd_arg(args, "leaf"), cmd_arg(args, "value"));
}

static enum cmd_result
no_vrf_value(struct vty *vty, const struct cmd_args *args)
{
	return cc_del_here(vty, cmd_arg(args, "leaf"));
}

static enum cmd_result
address_family(struct vty *vty, const struct cmd_args *args)
{
	const char *af = cmd_arg(args, "af");
	char xpath[VTY_XPATH_MAX];
	enum cmd_result ret;

	ret = cc_set_here(vty, "address-family", af);
	if (ret != CMD_SUCCESS)
		return ret;
	snprintf(xpath, sizeof(xpath), "%s", vty_xpath(vty));
	vty_enter_mode(vty, MODE_CONFIG_VRF_AF, xpath);
	return CMD_SUCCESS;
}

static enum cmd_result
exit_af(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	vty_exit_mode(vty);
	return CMD_SUCCESS;
}

static enum cmd_result
local_pool(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const char *last = cmd_arg(args, "last");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, CC_M "address-pools/pool[name='%s']", name);
	cc_set(&t, cmd_arg(args, "first"),
	       CC_M "address-pools/pool[name='%s']/first", name);
	if (last)
		cc_set(&t, last, CC_M "address-pools/pool[name='%s']/last",
		       name);
	return cc_commit(&t);
}

static enum cmd_result
no_local_pool(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, CC_M "address-pools/pool[name='%s']", name);
	return cc_commit(&t);
}

static enum cmd_result
aaa_model(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, cmd_has(args, "no") ? "false" : "true",
	       CC_M "aaa/new-model");
	return cc_commit(&t);
}

static enum cmd_result
aaa_session_id(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no"))
		cc_del(&t, CC_M "aaa/session-id-common");
	else
		cc_set(&t, NULL, CC_M "aaa/session-id-common");
	return cc_commit(&t);
}

static enum cmd_result
aaa_list(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char service[64];
	struct cc_txn t;

	snprintf(service, sizeof(service), "%s %s", cmd_arg(args, "service"),
		 cmd_arg(args, "type"));
	if (!cc_name_ok(vty, name) || !cc_name_ok(vty, service) ||
	    !cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no"))
		cc_del(&t, CC_M "aaa/method-list[service='%s'][name='%s']",
		       service, name);
	else
		cc_set(&t, cmd_arg(args, "methods"),
		       CC_M "aaa/method-list[service='%s'][name='%s']/methods",
		       service, name);
	return cc_commit(&t);
}

static enum cmd_result
client_group(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char xpath[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), GROUP_XPATH, name);
	if (cmd_has(args, "no"))
		return cc_delete(vty, xpath);
	return cc_enter(vty, MODE_ISAKMP_GROUP, xpath);
}

static enum cmd_result
group_value(struct vty *vty, const struct cmd_args *args)
{
	const char *value = cmd_arg(args, "value");

	if (!cc_name_ok(vty, value))
		return CMD_WARNING;
	return cc_set_here(vty, cmd_arg(args, "leaf"), value);
}

/* key [TYPE] KEY: the group's pre-shared key. */
static enum cmd_result
group_key(struct vty *vty, const struct cmd_args *args)
{
	char clear[CFG_SECRET_MAX + 1];
	enum cmd_result rc;

	if (!cc_secret_text(vty, cmd_arg(args, "type"), cmd_arg(args, "key"),
			    clear, sizeof(clear)))
		return CMD_WARNING;
	rc = cc_set_here(vty, "key", clear);
	OPENSSL_cleanse(clear, sizeof(clear));
	return rc;
}

static enum cmd_result
group_dns(struct vty *vty, const struct cmd_args *args)
{
	const char *second = cmd_arg(args, "second");
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/dns", vty_xpath(vty));
	cc_set(&t, cmd_arg(args, "first"), "%s/dns", vty_xpath(vty));
	if (second)
		cc_set(&t, second, "%s/dns", vty_xpath(vty));
	return cc_commit(&t);
}

static enum cmd_result
group_flag(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_set_here(vty, "save-password", NULL);
}

static enum cmd_result
group_backup(struct vty *vty, const struct cmd_args *args)
{
	const char *gw = cmd_arg(args, "gw");
	struct cc_txn t;

	if (!cc_name_ok(vty, gw) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, gw, "%s/backup-gateway", vty_xpath(vty));
	return cc_commit(&t);
}

/*
 * banner DTEXTD: the group banner, on one line or over several up to
 * the closing delimiter, read as for the global banners. It is stored
 * between two "^C", as IOS prints it, because the YANG exports (XML)
 * cannot carry the ETX byte.
 */
static enum cmd_result
group_banner(struct vty *vty, const struct cmd_args *args)
{
	/* The leaf takes at most 1024 characters, both "^C" included. */
	char text[1024 - 4 + 1], stored[1024 + 1];
	char xpath[VTY_XPATH_MAX + sizeof("/banner")];

	if (!cc_read_banner(vty, cmd_arg(args, "text"), text, sizeof(text)))
		return CMD_WARNING;
	/* An empty text removes the banner, as for the global banners. */
	if (text[0] == '\0') {
		snprintf(xpath, sizeof(xpath), "%s/banner", vty_xpath(vty));
		return cc_delete(vty, xpath);
	}
	snprintf(stored, sizeof(stored), "^C%s^C", text);
	return cc_set_here(vty, "banner", stored);
}

static enum cmd_result
no_group_value(struct vty *vty, const struct cmd_args *args)
{
	return cc_del_here(vty, cmd_arg(args, "leaf"));
}

#define H_NO "Negate a command or set its defaults\n"
#define H_VRF "Configure a VPN Routing/Forwarding instance\nVRF name"
#define H_AAA "Authentication, Authorization and Accounting.\n"
#define H_GROUP "Encryption module\nConfigure ISAKMP policy\n" \
	"Set client configuration policy\nClient configuration\n" \
	"Set policy for a group of clients\nGroup name"

static const struct cmd_def defs_config[] = {
	{ "vrf definition WORD$name", "VRF commands\n"
	  "VRF definition\nVRF name", vrf, 0, 0 },
	{ "ip$ip vrf WORD$name", "Global IP configuration subcommands\n"
	  H_VRF, vrf, 0, 0 },
	{ "no vrf definition WORD$name", H_NO "VRF commands\n"
	  "VRF definition\nVRF name", no_vrf, 0, 0 },
	{ "no ip vrf WORD$name", H_NO "Global IP configuration subcommands\n"
	  H_VRF, no_vrf, 0, 0 },
	{ "ip local pool WORD$name A.B.C.D$first [A.B.C.D$last]",
	  "Global IP configuration subcommands\nSpecify a local address pool\n"
	  "IP Local address pool lists\nName of this pool\n"
	  "First IP address of range\nLast IP address of range",
	  local_pool, 0, 0 },
	{ "no ip local pool WORD$name [LINE]", H_NO
	  "Global IP configuration subcommands\nSpecify a local address pool\n"
	  "IP Local address pool lists\nName of this pool\nRange",
	  no_local_pool, 0, 0 },
	{ "[no$no] aaa new-model", H_NO H_AAA "Enable NEW access control "
	  "commands and functions.(Disables OLD commands.)", aaa_model, 0, 0 },
	{ "[no$no] aaa session-id common", H_NO H_AAA "AAA Session ID\n"
	  "Common Session ID", aaa_session_id, 0, 0 },
	{ "aaa (authentication|authorization|accounting)$service WORD$type "
	  "WORD$name LINE$methods", H_AAA "Authentication configurations "
	  "parameters.\nAuthorization configurations parameters.\n"
	  "Accounting configurations parameters.\nService type\n"
	  "Method list name or default\nMethods", aaa_list, 0, 0 },
	{ "no$no aaa (authentication|authorization|accounting)$service "
	  "WORD$type WORD$name [LINE]", H_NO H_AAA "Authentication "
	  "configurations parameters.\nAuthorization configurations "
	  "parameters.\nAccounting configurations parameters.\nService type\n"
	  "Method list name or default\nMethods", aaa_list, 0, 0 },
	{ "[no$no] crypto isakmp client configuration group WORD$name",
	  H_NO H_GROUP, client_group, 0, 0 },
};

static const struct cmd_def defs_vrf[] = {
	{ "(rd|description)$leaf LINE$value", "Specify Route Distinguisher\n"
	  "VRF specific description\nValue", vrf_value, 0, 0 },
	{ "no (rd|description)$leaf [LINE]", H_NO "Specify Route "
	  "Distinguisher\nVRF specific description\nValue",
	  no_vrf_value, 0, 0 },
	{ "address-family (ipv4|ipv6)$af [unicast]", "Enter Address Family "
	  "command mode\nAddress family\nAddress family\nUnicast",
	  address_family, 0, 0 },
};

static const struct cmd_def defs_vrf_af[] = {
	{ "exit-address-family", "Exit from Address Family configuration "
	  "mode", exit_af, 0, 0 },
};

static const struct cmd_def defs_group[] = {
	{ "key [(0|6|7)$type] WORD$key", "pre-shared key/IKE password\n"
	  CC_HELP_SECRET_TYPES "The key", group_key, 0, 0 },
	{ "(pool|acl|netmask)$leaf WORD$value", "Set name of address pool\n"
	  "Specify split tunneling inclusion access-list number\n"
	  "netmask used by the client\nValue",
	  group_value, 0, 0 },
	{ "dns A.B.C.D$first [A.B.C.D$second]", "Specify DNS Addresses\n"
	  "Primary DNS\nSecondary DNS", group_dns, 0, 0 },
	{ "save-password", "Allows remote client to save XAUTH password",
	  group_flag, 0, 0 },
	{ "backup-gateway WORD$gw", "Specify backup gateway\n"
	  "Gateway address or name", group_backup, 0, 0 },
	{ "banner LINE$text", "Specify mode config banner\n"
	  "c banner-text c, where 'c' is a delimiting character",
	  group_banner, CMD_NO_PIPE, 0 },
	{ "no (key|pool|acl|netmask|dns|save-password|backup-gateway|banner)$leaf "
	  "[LINE]", H_NO "Key\nPool\nACL\nNetmask\nDNS\nSave password\n"
	  "Backup gateway\nBanner\nValue", no_group_value, 0, 0 },
};

void
cc_install_vrf(void)
{
	CC_INSTALL(MODE_CONFIG, defs_config);
	CC_INSTALL(MODE_CONFIG_VRF, defs_vrf);
	CC_INSTALL(MODE_CONFIG_VRF_AF, defs_vrf_af);
	CC_INSTALL(MODE_ISAKMP_GROUP, defs_group);
}
