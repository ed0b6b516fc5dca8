/*
 * (config-if) commands of tunnels and DMVPN: tunnel source, destination,
 * mode, key, vrf and protection; ip nhrp; and the interface settings that
 * go with them (vrf forwarding, ip unnumbered, ip mtu, ip tcp adjust-mss).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"

/*
 * Expands an interface name in place of an address: "gi1" becomes
 * "GigabitEthernet1", and words that start with a digit are kept.
 * Prints the IOS error and returns NULL when the name is unknown.
 */
static const char *
address_or_ifname(struct vty *vty, const struct cmd_args *args,
		  const char *name, int word, char *buf, size_t len)
{
	if (strchr("0123456789", name[0]))
		return name;
	if (cc_ifname(name, NULL, buf, len))
		return buf;
	cc_invalid_input(vty, cc_column(args, word, 0));
	return NULL;
}

static enum cmd_result
tunnel_source(struct vty *vty, const struct cmd_args *args)
{
	char buf[64];
	const char *src = address_or_ifname(vty, args, cmd_arg(args, "src"),
					    2, buf, sizeof(buf));

	if (!src)
		return CMD_WARNING;
	return cc_set_here(vty, "tunnel/source", src);
}

static enum cmd_result
tunnel_destination(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "tunnel/destination", cmd_arg(args, "dst"));
}

static enum cmd_result
tunnel_mode(struct vty *vty, const struct cmd_args *args)
{
	char mode[32];

	snprintf(mode, sizeof(mode), "%s-%s", cmd_arg(args, "encap"),
		 cmd_arg(args, "af"));
	return cc_set_here(vty, "tunnel/mode", mode);
}

static enum cmd_result
tunnel_key(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "tunnel/key", cmd_arg(args, "key"));
}

static enum cmd_result
tunnel_vrf(struct vty *vty, const struct cmd_args *args)
{
	const char *vrf = cmd_arg(args, "vrf");

	if (!cc_name_ok(vty, vrf))
		return CMD_WARNING;
	return cc_set_here(vty, "tunnel/vrf", vrf);
}

static enum cmd_result
tunnel_protection(struct vty *vty, const struct cmd_args *args)
{
	const char *profile = cmd_arg(args, "profile");
	const char *here = vty_xpath(vty);
	struct cc_txn t;

	if (!cc_name_ok(vty, profile) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/tunnel/protection", here);
	cc_set(&t, profile, "%s/tunnel/protection/profile", here);
	if (cmd_has(args, "shared"))
		cc_set(&t, NULL, "%s/tunnel/protection/shared", here);
	return cc_commit(&t);
}

static enum cmd_result
no_tunnel(struct vty *vty, const struct cmd_args *args)
{
	char leaf[32];

	snprintf(leaf, sizeof(leaf), "tunnel/%s", cmd_arg(args, "leaf"));
	return cc_del_here(vty, leaf);
}

static enum cmd_result
vrf_forwarding(struct vty *vty, const struct cmd_args *args)
{
	const char *vrf = cmd_arg(args, "vrf");

	if (!cc_name_ok(vty, vrf))
		return CMD_WARNING;
	return cc_set_here(vty, "vrf", vrf);
}

static enum cmd_result
no_vrf_forwarding(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "vrf");
}

static enum cmd_result
ip_unnumbered(struct vty *vty, const struct cmd_args *args)
{
	char ifname[64];

	if (!cc_ifname(cmd_arg(args, "ifname"), NULL, ifname,
		       sizeof(ifname))) {
		cc_invalid_input(vty, cc_column(args, 2, 0));
		return CMD_WARNING;
	}
	return cc_set_here(vty, "unnumbered", ifname);
}

/* ip mtu N and ip tcp adjust-mss N. */
static enum cmd_result
ip_size(struct vty *vty, const struct cmd_args *args)
{
	const char *mtu = cmd_arg(args, "mtu");

	if (mtu)
		return cc_set_here(vty, "ip-mtu", mtu);
	return cc_set_here(vty, "tcp-adjust-mss", cmd_arg(args, "mss"));
}

static enum cmd_result
no_ip_leaf(struct vty *vty, const struct cmd_args *args)
{
	static const struct {
		const char *word;
		const char *leaf;
	} leaves[] = {
		{ "mtu", "ip-mtu" },
		{ "tcp", "tcp-adjust-mss" },
		{ "unnumbered", "unnumbered" },
	};
	const char *what = cmd_arg(args, "what");
	size_t i;

	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if (!strcmp(what, leaves[i].word))
			return cc_del_here(vty, leaves[i].leaf);
	return CMD_ERROR;
}

/* ip nhrp network-id|authentication|holdtime VALUE. */
static enum cmd_result
nhrp_value(struct vty *vty, const struct cmd_args *args)
{
	char leaf[32];

	snprintf(leaf, sizeof(leaf), "nhrp/%s", cmd_arg(args, "leaf"));
	return cc_set_here(vty, leaf, cmd_arg(args, "value"));
}

/* ip nhrp redirect|shortcut, ip nhrp registration no-unique. */
static enum cmd_result
nhrp_flag(struct vty *vty, const struct cmd_args *args)
{
	const char *flag = cmd_has(args, "no-unique") ?
			   "nhrp/registration-no-unique" : cmd_arg(args, "flag");
	char leaf[48];

	if (!cmd_has(args, "no-unique")) {
		snprintf(leaf, sizeof(leaf), "nhrp/%s", flag);
		flag = leaf;
	}
	if (cmd_has(args, "no"))
		return cc_del_here(vty, flag);
	return cc_set_here(vty, flag, NULL);
}

static enum cmd_result
no_nhrp_value(struct vty *vty, const struct cmd_args *args)
{
	char leaf[32];

	snprintf(leaf, sizeof(leaf), "nhrp/%s", cmd_arg(args, "leaf"));
	return cc_del_here(vty, leaf);
}

static enum cmd_result
nhrp_map(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, cmd_arg(args, "nbma"), "%s/nhrp/map[address='%s']/nbma",
	       vty_xpath(vty), cmd_arg(args, "address"));
	return cc_commit(&t);
}

static enum cmd_result
no_nhrp_map(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/nhrp/map[address='%s']", vty_xpath(vty),
	       cmd_arg(args, "address"));
	return cc_commit(&t);
}

static enum cmd_result
nhrp_map_multicast(struct vty *vty, const struct cmd_args *args)
{
	const char *target = cmd_arg(args, "target");
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no"))
		cc_del(&t, "%s/nhrp/map-multicast[.='%s']", vty_xpath(vty),
		       target);
	else
		cc_set(&t, target, "%s/nhrp/map-multicast", vty_xpath(vty));
	return cc_commit(&t);
}

static enum cmd_result
nhrp_nhs(struct vty *vty, const struct cmd_args *args)
{
	const char *nbma = cmd_arg(args, "nbma");
	char entry[VTY_XPATH_MAX + 64];
	struct cc_txn t;

	snprintf(entry, sizeof(entry), "%s/nhrp/nhs[address='%s']",
		 vty_xpath(vty), cmd_arg(args, "address"));
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no")) {
		cc_del(&t, "%s", entry);
		return cc_commit(&t);
	}
	cc_del(&t, "%s", entry);
	cc_set(&t, NULL, "%s", entry);
	if (nbma)
		cc_set(&t, nbma, "%s/nbma", entry);
	if (cmd_has(args, "multicast"))
		cc_set(&t, NULL, "%s/multicast", entry);
	return cc_commit(&t);
}

#define H_NO "Negate a command or set its defaults\n"
#define H_TUNNEL "protocol-over-protocol tunneling\n"
#define H_MODE H_TUNNEL "tunnel encapsulation method\n"
#define H_IP "Interface Internet Protocol config commands\n"
#define H_NHRP H_IP "NBMA Next Hop Resolution Protocol\n"
#define H_NHRP_MAP H_NHRP "Map dest IP addresses to NBMA addresses\n"
#define H_NHS H_NHRP "Specify a next hop server\n" \
	"Next hop server address\nNBMA address of the server\n" \
	"NBMA address\nSend multicast to this server"

static const struct cmd_def defs[] = {
	{ "tunnel source WORD$src", H_TUNNEL "source of tunnel packets\n"
	  "IP address or interface", tunnel_source, 0, 0 },
	{ "tunnel destination WORD$dst", H_TUNNEL
	  "destination of tunnel\nIP address or host name",
	  tunnel_destination, 0, 0 },
	{ "tunnel mode ipsec$encap (ipv4|ipv6)$af", H_MODE
	  "IPSec tunnel encapsulation\nover IPv4\nover IPv6",
	  tunnel_mode, 0, 0 },
	{ "tunnel mode gre$encap (ip|multipoint|ipv6)$af", H_MODE
	  "generic route encapsulation protocol\nover IP\nover IP (multipoint)"
	  "\nover IPv6", tunnel_mode, 0, 0 },
	{ "tunnel key <0-4294967295>$key", H_TUNNEL "security or selector key"
	  "\nkey", tunnel_key, 0, 0 },
	{ "tunnel vrf WORD$vrf", H_TUNNEL "set tunnel vrf membership\n"
	  "VRF name", tunnel_vrf, 0, 0 },
	{ "tunnel protection ipsec profile WORD$profile [shared$shared]",
	  H_TUNNEL "Enable tunnel protection\nUse ipsec protection\n"
	  "Determine the ipsec policy profile to use\nipsec profile name\n"
	  "Share the ipsec SADB with other tunnels", tunnel_protection, 0, 0 },
	{ "no tunnel (source|destination|mode|key|vrf|protection)$leaf [LINE]",
	  H_NO H_TUNNEL "source of tunnel packets\ndestination of tunnel\n"
	  "tunnel encapsulation method\nsecurity or selector key\n"
	  "set tunnel vrf membership\nEnable tunnel protection\nValue",
	  no_tunnel, 0, 0 },
	{ "vrf forwarding WORD$vrf", "VPN Routing/Forwarding parameters on "
	  "the interface\nConfigure forwarding table\nVRF name",
	  vrf_forwarding, 0, 0 },
	{ "ip vrf forwarding WORD$vrf", H_IP "VPN Routing/Forwarding "
	  "parameters on the interface\nConfigure forwarding table\nVRF name",
	  vrf_forwarding, 0, 0 },
	{ "no vrf forwarding [WORD]", H_NO "VPN Routing/Forwarding parameters "
	  "on the interface\nConfigure forwarding table\nVRF name",
	  no_vrf_forwarding, 0, 0 },
	{ "no ip vrf forwarding [WORD]", H_NO H_IP "VPN Routing/Forwarding "
	  "parameters on the interface\nConfigure forwarding table\nVRF name",
	  no_vrf_forwarding, 0, 0 },
	{ "ip unnumbered WORD$ifname", H_IP "Enable IP processing without an "
	  "explicit address\nInterface whose address is used",
	  ip_unnumbered, 0, 0 },
	{ "ip mtu <68-9216>$mtu", H_IP "Set IP Maximum Transmission Unit\n"
	  "MTU (bytes)", ip_size, 0, 0 },
	{ "ip tcp adjust-mss <500-1460>$mss", H_IP "TCP header compression "
	  "and/or compression parameters\nAdjust the mss of transit packets\n"
	  "Maximum segment size in bytes", ip_size, 0, 0 },
	{ "no ip (mtu|tcp|unnumbered)$what [LINE]", H_NO H_IP
	  "Set IP Maximum Transmission Unit\nTCP parameters\n"
	  "Enable IP processing without an explicit address\nValue",
	  no_ip_leaf, 0, 0 },
	{ "ip nhrp (network-id|authentication|holdtime)$leaf WORD$value",
	  H_NHRP "NBMA Network identifier\nAuthentication string\n"
	  "Advertised holdtime\nValue", nhrp_value, 0, 0 },
	{ "no ip nhrp (network-id|authentication|holdtime)$leaf [WORD]",
	  H_NO H_NHRP "NBMA Network identifier\nAuthentication string\n"
	  "Advertised holdtime\nValue", no_nhrp_value, 0, 0 },
	{ "[no$no] ip nhrp (redirect|shortcut)$flag", H_NO H_NHRP
	  "Enable NHRP redirect\nEnable shortcut switching",
	  nhrp_flag, 0, 0 },
	{ "[no$no] ip nhrp registration no-unique$no-unique", H_NO H_NHRP
	  "Settings for registration packets\n"
	  "Do not set the unique flag", nhrp_flag, 0, 0 },
	{ "ip nhrp map A.B.C.D$address A.B.C.D$nbma", H_NHRP_MAP
	  "IP address of destination\nIP NBMA address", nhrp_map, 0, 0 },
	{ "no ip nhrp map A.B.C.D$address [A.B.C.D]", H_NO H_NHRP_MAP
	  "IP address of destination\nIP NBMA address", no_nhrp_map, 0, 0 },
	{ "[no$no] ip nhrp map multicast (dynamic|A.B.C.D)$target",
	  H_NO H_NHRP_MAP "Use this NBMA mapping for broadcasts/multicasts\n"
	  "Dynamically learn destinations from client registrations\n"
	  "IP NBMA address", nhrp_map_multicast, 0, 0 },
	{ "ip nhrp nhs A.B.C.D$address [nbma A.B.C.D$nbma] "
	  "[multicast$multicast]", H_NHS, nhrp_nhs, 0, 0 },
	{ "no$no ip nhrp nhs A.B.C.D$address [nbma A.B.C.D] [multicast]",
	  H_NO H_NHS, nhrp_nhs, 0, 0 },
};

void
cc_install_tunnel(void)
{
	size_t i;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		cmd_install(MODE_CONFIG_IF, &defs[i]);
}
