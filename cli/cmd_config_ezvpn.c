/*
 * Easy VPN remote (client side): crypto ipsec client ezvpn NAME and its
 * (config-crypto-ezvpn) commands, the interface command that applies
 * a profile to an inside or outside interface, and `show crypto ipsec
 * client ezvpn`.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"
#include "ikemgr/ikemgr.h"

#define EZVPN_XPATH CC_M "crypto/ipsec/client-ezvpn[name='%s']"

static enum cmd_result
ezvpn(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char xpath[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), EZVPN_XPATH, name);
	if (cmd_has(args, "no"))
		return cc_delete(vty, xpath);
	return cc_enter(vty, MODE_EZVPN, xpath);
}

/* connect|mode|xauth userid mode VALUE. */
static enum cmd_result
ezvpn_value(struct vty *vty, const struct cmd_args *args)
{
	const char *leaf = cmd_has(args, "xauth") ? "xauth-userid-mode" :
			   cmd_arg(args, "leaf");

	if (strcmp(leaf, "mode") == 0 &&
	    strcmp(cmd_arg(args, "value"), "client") == 0) {
		vty_out(vty, "%% mode client is not supported: it needs PAT of "
			"the inside hosts to the assigned address, which "
			"vrouter does not do. Use mode network-extension.\n");
		return CMD_WARNING;
	}
	return cc_set_here(vty, leaf, cmd_arg(args, "value"));
}

/* group NAME key [TYPE] KEY, username NAME password [TYPE] PASSWORD. */
static enum cmd_result
ezvpn_pair(struct vty *vty, const struct cmd_args *args)
{
	bool group = cmd_has(args, "group");
	const char *name = cmd_arg(args, "name");
	char clear[CFG_SECRET_MAX + 1];
	struct cc_txn t;
	enum cmd_result rc;

	if (!cc_name_ok(vty, name) ||
	    !cc_secret_text(vty, cmd_arg(args, "type"), cmd_arg(args, "secret"),
			    clear, sizeof(clear)))
		return CMD_WARNING;
	if (!cc_begin(&t, vty)) {
		OPENSSL_cleanse(clear, sizeof(clear));
		return CMD_WARNING;
	}
	cc_set(&t, name, "%s/%s", vty_xpath(vty), group ? "group" : "username");
	cc_set(&t, clear, "%s/%s", vty_xpath(vty), group ? "key" : "password");
	rc = cc_commit(&t);
	OPENSSL_cleanse(clear, sizeof(clear));
	return rc;
}

static enum cmd_result
ezvpn_peer(struct vty *vty, const struct cmd_args *args)
{
	const char *peer = cmd_arg(args, "peer");
	struct cc_txn t;

	if (!cc_name_ok(vty, peer) || !cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no"))
		cc_del(&t, "%s/peer[.='%s']", vty_xpath(vty), peer);
	else
		cc_set(&t, peer, "%s/peer", vty_xpath(vty));
	return cc_commit(&t);
}

static enum cmd_result
no_ezvpn_value(struct vty *vty, const struct cmd_args *args)
{
	const char *leaf = cmd_arg(args, "leaf");
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (!strcmp(leaf, "group") || !strcmp(leaf, "username")) {
		cc_del(&t, "%s/%s", vty_xpath(vty),
		       !strcmp(leaf, "group") ? "key" : "password");
	}
	cc_del(&t, "%s/%s", vty_xpath(vty),
	       !strcmp(leaf, "xauth") ? "xauth-userid-mode" : leaf);
	return cc_commit(&t);
}

static enum cmd_result
interface_ezvpn(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const char *side = cmd_arg(args, "side");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no")) {
		cc_del(&t, "%s/client-ezvpn[name='%s']", vty_xpath(vty), name);
	} else {
		cc_del(&t, "%s/client-ezvpn[name='%s']", vty_xpath(vty), name);
		cc_set(&t, NULL, "%s/client-ezvpn[name='%s']", vty_xpath(vty),
		       name);
		if (side)
			cc_set(&t, side, "%s/client-ezvpn[name='%s']/side",
			       vty_xpath(vty), name);
	}
	return cc_commit(&t);
}

static const char *
ntoa(uint32_t addr, char *buf)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

static void
write_ezvpn(struct vty *vty, const struct ike_ezvpn_info *in)
{
	char a[INET_ADDRSTRLEN];

	vty_out(vty, "Easy VPN Remote Phase: 8\n\n");
	vty_out(vty, "Tunnel name : %s\n", in->name);
	vty_out(vty, "Inside interface list: %s\n", in->inside);
	vty_out(vty, "Outside interface: %s \n", in->outside);
	vty_out(vty, "Current State: %s\n", in->state);
	vty_out(vty, "Last Event: %s\n", in->last_event);
	if (in->assigned != 0) {
		vty_out(vty, "Address: %s\n", ntoa(in->assigned, a));
		vty_out(vty, "Mask: %s\n", ntoa(in->assigned_mask != 0 ?
						in->assigned_mask :
						0xffffffffu, a));
	}
	vty_out(vty, "Save Password: Disallowed\n");
	if (in->nsplit > 0)
		vty_out(vty, "Split Tunnel List: 1\n");
	for (size_t i = 0; i < in->nsplit; i++) {
		vty_out(vty, "       Address    : %s\n",
			ntoa(in->split_addr[i], a));
		vty_out(vty, "       Mask       : %s\n",
			ntoa(in->split_mask[i], a));
		vty_out(vty, "       Protocol   : 0x0\n");
		vty_out(vty, "       Source Port: 0\n");
		vty_out(vty, "       Dest Port  : 0\n");
	}
	vty_out(vty, "Current EzVPN Peer: %s\n", ntoa(in->peer, a));
	if (in->unusable[0] != '\0')
		vty_out(vty, "\n%% Not connecting: %s\n", in->unusable);
}

static enum cmd_result
show_ezvpn(struct vty *vty, const struct cmd_args *args)
{
	struct ike_ezvpn_info info;

	(void)args;
	/*
	 * NOTE: what IOS prints when no profile is applied is not known;
	 * vrouter says so in one "%" line rather than printing nothing.
	 */
	if (vty->router == NULL || vty->router->ike == NULL ||
	    ike_get_ezvpn(vty->router->ike, &info) < 0) {
		vty_out(vty, "%% No Easy VPN Remote profile is applied to an "
			"outside interface\n");
		return CMD_SUCCESS;
	}
	write_ezvpn(vty, &info);
	return CMD_SUCCESS;
}

static enum cmd_result
ezvpn_connect(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");

	if (vty->router == NULL || vty->router->ike == NULL ||
	    ike_ezvpn_connect(vty->router->ike, name) < 0) {
		vty_out(vty, "%% No Easy VPN Remote profile%s%s is applied to "
			"an outside interface\n", name ? " " : "",
			name ? name : "");
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

#define H_NO "Negate a command or set its defaults\n"
#define H_EZVPN "Encryption module\nConfigure IPSEC policy\n" \
	"Configure a Remote client\nConfigure Easy VPN Remote\n" \
	"Easy VPN Remote profile name"

static const struct cmd_def defs_config[] = {
	{ "[no$no] crypto ipsec client ezvpn WORD$name", H_NO H_EZVPN,
	  ezvpn, 0, 0 },
};

static const struct cmd_def defs_ezvpn[] = {
	{ "(connect)$leaf (auto|manual|acl)$value",
	  "Specify how to start the VPN tunnel\nAutomatic\nManual\n"
	  "Access list", ezvpn_value, 0, 0 },
	{ "(mode)$leaf (client|network-extension|network-plus)$value",
	  "Specify the Easy VPN mode\nClient mode\nNetwork extension mode\n"
	  "Network extension plus mode", ezvpn_value, 0, 0 },
	{ "xauth userid mode (interactive|local|http-intercept)$value",
	  "Xauth parameters\nUser identity\nMode\nInteractive\nLocal\n"
	  "HTTP intercept", ezvpn_value, 0, 0 },
	{ "group$group WORD$name key [(0|6|7)$type] WORD$secret",
	  "Group name\nGroup name\nGroup key\n" CC_HELP_SECRET_TYPES
	  "The key",
	  ezvpn_pair, 0, 0 },
	{ "username WORD$name password [(0|6|7)$type] LINE$secret",
	  "Username\nUser name\nPassword\n" CC_HELP_SECRET_TYPES
	  "The password",
	  ezvpn_pair, 0, 0 },
	{ "[no$no] peer WORD$peer", H_NO "Peer\nIP address or host name",
	  ezvpn_peer, 0, 0 },
	{ "no (connect|mode|xauth|group|username)$leaf [LINE]", H_NO
	  "Connect\nMode\nXauth\nGroup\nUsername\nValue", no_ezvpn_value,
	  0, 0 },
};

static const struct cmd_def defs_if[] = {
	{ "[no$no] crypto ipsec client ezvpn WORD$name "
	  "[(inside|outside)$side]", H_NO H_EZVPN "\nInside interface\n"
	  "Outside interface", interface_ezvpn, 0, 0 },
};

static const struct cmd_def defs_show[] = {
	{ "show crypto ipsec client ezvpn", "Show running system "
	  "information\nEncryption module\nIPSEC information\n"
	  "Remote client\nEasy VPN Remote", show_ezvpn, 0, 0 },
	{ "crypto ipsec client ezvpn connect [WORD$name]", "Encryption "
	  "module\nConfigure IPSEC policy\nConfigure a Remote client\n"
	  "Easy VPN Remote\nConnect the tunnel now\n"
	  "Easy VPN Remote profile name", ezvpn_connect, 0, 0 },
};

void
cc_install_ezvpn(void)
{
	CC_INSTALL(MODE_PRIV_EXEC, defs_show);
	CC_INSTALL(MODE_CONFIG, defs_config);
	CC_INSTALL(MODE_EZVPN, defs_ezvpn);
	CC_INSTALL(MODE_CONFIG_IF, defs_if);
}
