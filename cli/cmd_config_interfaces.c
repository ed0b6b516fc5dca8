/* interface NAME and the (config-if) commands. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"

#define IF_XPATH CC_M "interfaces/interface[name='%s']"

/* True for physical interfaces, which exist unconfigured and stay. */
static bool
is_physical(const char *ifname)
{
	return strncmp(ifname, "Loopback", 8) && strncmp(ifname, "Tunnel", 6) &&
	       strncmp(ifname, "Virtual-Template", 16);
}

/* Expands the interface argument or prints the IOS error. */
static bool
ifname_arg(struct vty *vty, const struct cmd_args *args, char *out,
	   size_t len)
{
	const char *type = cmd_arg(args, "type");
	const char *num = cmd_arg(args, "number");

	if (cc_ifname(type, num, out, len))
		return true;
	cc_invalid_input(vty, cc_column(args, cmd_has(args, "no") ? 2 : 1, 0));
	return false;
}

static enum cmd_result
interface(struct vty *vty, const struct cmd_args *args)
{
	char name[64], xpath[VTY_XPATH_MAX];
	struct cc_txn t;
	enum cmd_result ret;

	if (!ifname_arg(vty, args, name, sizeof(name)))
		return CMD_WARNING;
	if (cmd_has(args, "tunnel") && strncmp(name, "Virtual-Template", 16)) {
		cc_invalid_input(vty, cc_column(args, 2, 0));
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, NULL, IF_XPATH, name);
	if (cmd_has(args, "tunnel"))
		cc_set(&t, NULL, IF_XPATH "/template-type-tunnel", name);
	ret = cc_commit(&t);
	if (ret != CMD_SUCCESS)
		return ret;
	snprintf(xpath, sizeof(xpath), IF_XPATH, name);
	vty_enter_mode(vty, MODE_CONFIG_IF, xpath);
	return CMD_SUCCESS;
}

static enum cmd_result
no_interface(struct vty *vty, const struct cmd_args *args)
{
	char name[64];
	struct cc_txn t;

	if (!ifname_arg(vty, args, name, sizeof(name)))
		return CMD_WARNING;
	if (is_physical(name)) {
		vty_out(vty, "%% Removal of physical interfaces is not "
			"permitted\n");
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (!cc_exists(&t, IF_XPATH, name)) {
		cc_abort(&t);
		vty_out(vty, "%% Interface %s does not exist\n", name);
		return CMD_WARNING;
	}
	cc_del(&t, IF_XPATH, name);
	return cc_commit(&t);
}

static enum cmd_result
description(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "description", cmd_arg(args, "text"));
}

static enum cmd_result
no_description(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "description");
}

static enum cmd_result
ip_address(struct vty *vty, const struct cmd_args *args)
{
	const char *addr = cmd_arg(args, "address");
	const char *mask = cmd_arg(args, "mask");
	unsigned a, m;
	struct cc_txn t;

	if (!cc_parse_ipv4(addr, &a) || !cc_parse_ipv4(mask, &m))
		return CMD_WARNING;
	if (!cc_mask_ok(m) || m == 0) {
		vty_out(vty, "%% Bad mask 0x%X for address %s\n", m, addr);
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "secondary")) {
		cc_set(&t, mask, "%s/secondary[address='%s']/mask",
		       vty_xpath(vty), addr);
	} else {
		cc_set(&t, addr, "%s/ipv4/address", vty_xpath(vty));
		cc_set(&t, mask, "%s/ipv4/mask", vty_xpath(vty));
	}
	return cc_commit(&t);
}

static enum cmd_result
no_ip_address(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cmd_has(args, "secondary"))
		return cc_del_here(vty, "ipv4");
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/secondary[address='%s']", vty_xpath(vty),
	       cmd_arg(args, "address"));
	return cc_commit(&t);
}

static enum cmd_result
shutdown(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_set_here(vty, "shutdown", NULL);
}

static enum cmd_result
no_shutdown(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "shutdown");
}

static enum cmd_result
crypto_map(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	return cc_set_here(vty, "crypto-map", name);
}

static enum cmd_result
no_crypto_map(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "crypto-map");
}

static const struct cmd_def cmd_interface = {
	.syntax = "interface WORD$type [WORD$number]",
	.help = "Select an interface to configure\n"
		"Interface type and number, e.g. GigabitEthernet1 or lo0\n"
		"Interface number",
	.fn = interface,
};

static const struct cmd_def cmd_template = {
	.syntax = "interface WORD$type type tunnel$tunnel",
	.help = "Select an interface to configure\n"
		"Virtual-Template interface and number\n"
		"type of the virtual-template\ntunnel interface",
	.fn = interface,
};

static const struct cmd_def cmd_no_interface = {
	.syntax = "no$no interface WORD$type [WORD$number]",
	.help = "Negate a command or set its defaults\n"
		"Select an interface to configure\n"
		"Interface type and number, e.g. Loopback1\n"
		"Interface number",
	.fn = no_interface,
};

static const struct cmd_def cmd_description = {
	.syntax = "description LINE$text",
	.help = "Interface specific description\n"
		"Up to 240 characters describing this interface",
	.fn = description,
	.flags = CMD_NO_PIPE,
};

static const struct cmd_def cmd_no_description = {
	.syntax = "no description [LINE]",
	.help = "Negate a command or set its defaults\n"
		"Interface specific description\n"
		"Up to 240 characters describing this interface",
	.fn = no_description,
	.flags = CMD_NO_PIPE,
};

static const struct cmd_def cmd_ip_address = {
	.syntax = "ip address A.B.C.D$address A.B.C.D$mask [secondary]",
	.help = "Interface Internet Protocol config commands\n"
		"Set the IP address of an interface\n"
		"IP address\nIP subnet mask\n"
		"Make this IP address a secondary address",
	.fn = ip_address,
};

static const struct cmd_def cmd_no_ip_address = {
	.syntax = "no ip address [A.B.C.D$address A.B.C.D [secondary]]",
	.help = "Negate a command or set its defaults\n"
		"Interface Internet Protocol config commands\n"
		"Set the IP address of an interface\n"
		"IP address\nIP subnet mask\n"
		"Make this IP address a secondary address",
	.fn = no_ip_address,
};

static const struct cmd_def cmd_shutdown = {
	.syntax = "shutdown",
	.help = "Shutdown the selected interface",
	.fn = shutdown,
};

static const struct cmd_def cmd_no_shutdown = {
	.syntax = "no shutdown",
	.help = "Negate a command or set its defaults\n"
		"Shutdown the selected interface",
	.fn = no_shutdown,
};

static const struct cmd_def cmd_crypto_map = {
	.syntax = "crypto map WORD$name",
	.help = "Encryption/Decryption commands\n"
		"Assign a Crypto Map\nCrypto Map tag",
	.fn = crypto_map,
};

static const struct cmd_def cmd_no_crypto_map = {
	.syntax = "no crypto map [WORD]",
	.help = "Negate a command or set its defaults\n"
		"Encryption/Decryption commands\n"
		"Assign a Crypto Map\nCrypto Map tag",
	.fn = no_crypto_map,
};

void
cc_install_interfaces(void)
{
	cmd_install(MODE_CONFIG, &cmd_interface);
	cmd_install(MODE_CONFIG, &cmd_template);
	cmd_install(MODE_CONFIG, &cmd_no_interface);
	cmd_install(MODE_CONFIG_IF, &cmd_description);
	cmd_install(MODE_CONFIG_IF, &cmd_no_description);
	cmd_install(MODE_CONFIG_IF, &cmd_ip_address);
	cmd_install(MODE_CONFIG_IF, &cmd_no_ip_address);
	cmd_install(MODE_CONFIG_IF, &cmd_shutdown);
	cmd_install(MODE_CONFIG_IF, &cmd_no_shutdown);
	cmd_install(MODE_CONFIG_IF, &cmd_crypto_map);
	cmd_install(MODE_CONFIG_IF, &cmd_no_crypto_map);
}
