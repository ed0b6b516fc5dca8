/* ip route PREFIX MASK {ADDRESS | INTERFACE [ADDRESS]} [DISTANCE]. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"

#define ROUTE_XPATH CC_M "routing/static-route[prefix='%s'][mask='%s']" \
	"[next-hop='%s']"

/*
 * Builds the next-hop key as the renderer prints it: "A.B.C.D",
 * "Interface" or "Interface A.B.C.D". Prints the error and returns false
 * when the prefix and mask disagree or the interface is unknown.
 */
static bool
route_key(struct vty *vty, const struct cmd_args *args, char *next_hop,
	  size_t len)
{
	const char *prefix = cmd_arg(args, "prefix");
	const char *ifarg = cmd_arg(args, "ifname");
	const char *gw = cmd_arg(args, "gateway");
	char ifname[64];
	unsigned p, m;

	if (!cc_parse_ipv4(prefix, &p) ||
	    !cc_parse_ipv4(cmd_arg(args, "mask"), &m))
		return false;
	if (!cc_mask_ok(m)) {
		vty_out(vty, "%%Invalid mask\n");
		return false;
	}
	if (p & ~m) {
		vty_out(vty, "%%Inconsistent address and mask\n");
		return false;
	}
	if (!ifarg) {
		snprintf(next_hop, len, "%s", gw);
		return true;
	}
	if (!cc_ifname(ifarg, NULL, ifname, sizeof(ifname))) {
		cc_invalid_input(vty, cc_column(args,
						cmd_has(args, "no") ? 5 : 4, 0));
		return false;
	}
	snprintf(next_hop, len, "%s%s%s", ifname, gw ? " " : "", gw ? gw : "");
	return true;
}

static enum cmd_result
ip_route(struct vty *vty, const struct cmd_args *args)
{
	const char *prefix = cmd_arg(args, "prefix");
	const char *mask = cmd_arg(args, "mask");
	const char *distance = cmd_arg(args, "distance");
	char next_hop[96];
	struct cc_txn t;

	if (!route_key(vty, args, next_hop, sizeof(next_hop)))
		return CMD_WARNING;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, NULL, ROUTE_XPATH, prefix, mask, next_hop);
	if (distance)
		cc_set(&t, distance, ROUTE_XPATH "/distance", prefix, mask,
		       next_hop);
	else
		cc_del(&t, ROUTE_XPATH "/distance", prefix, mask, next_hop);
	return cc_commit(&t);
}

static enum cmd_result
no_ip_route(struct vty *vty, const struct cmd_args *args)
{
	const char *prefix = cmd_arg(args, "prefix");
	const char *mask = cmd_arg(args, "mask");
	char next_hop[96];
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (!cmd_arg(args, "gateway") && !cmd_arg(args, "ifname")) {
		/* Without a next hop IOS removes every route to the prefix. */
		cc_del(&t, CC_M "routing/static-route[prefix='%s'][mask='%s']",
		       prefix, mask);
		return cc_commit(&t);
	}
	if (!route_key(vty, args, next_hop, sizeof(next_hop)))
		return cc_abort(&t);
	if (!cc_exists(&t, ROUTE_XPATH, prefix, mask, next_hop)) {
		cc_abort(&t);
		vty_out(vty, "%%No matching route to delete\n");
		return CMD_WARNING;
	}
	cc_del(&t, ROUTE_XPATH, prefix, mask, next_hop);
	return cc_commit(&t);
}

#define H_NO "Negate a command or set its defaults\n"
#define H_ROUTE "Global IP configuration subcommands\n" \
	"Establish static routes\nDestination prefix\nDestination prefix mask\n"

static const struct cmd_def cmd_route_gw = {
	.syntax = "ip route A.B.C.D$prefix A.B.C.D$mask A.B.C.D$gateway "
		  "[<1-255>$distance]",
	.help = H_ROUTE "Forwarding router's address\nDistance metric for "
		"this route",
	.fn = ip_route,
};

static const struct cmd_def cmd_route_if = {
	.syntax = "ip route A.B.C.D$prefix A.B.C.D$mask WORD$ifname "
		  "[A.B.C.D$gateway] [<1-255>$distance]",
	.help = H_ROUTE "Interface, e.g. GigabitEthernet1 or Tunnel1\n"
		"Forwarding router's address\nDistance metric for this route",
	.fn = ip_route,
};

static const struct cmd_def cmd_no_route = {
	.syntax = "no$no ip route A.B.C.D$prefix A.B.C.D$mask "
		  "[A.B.C.D$gateway] [<1-255>]",
	.help = H_NO H_ROUTE "Forwarding router's address\n"
		"Distance metric for this route",
	.fn = no_ip_route,
};

static const struct cmd_def cmd_no_route_if = {
	.syntax = "no$no ip route A.B.C.D$prefix A.B.C.D$mask WORD$ifname "
		  "[A.B.C.D$gateway] [<1-255>]",
	.help = H_NO H_ROUTE "Interface, e.g. GigabitEthernet1 or Tunnel1\n"
		"Forwarding router's address\nDistance metric for this route",
	.fn = no_ip_route,
};

void
cc_install_route(void)
{
	cmd_install(MODE_CONFIG, &cmd_route_gw);
	cmd_install(MODE_CONFIG, &cmd_route_if);
	cmd_install(MODE_CONFIG, &cmd_no_route);
	cmd_install(MODE_CONFIG, &cmd_no_route_if);
}
