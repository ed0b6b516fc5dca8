/*
 * `show ip route` in IOS XE layout. The table is the one the datapath
 * forwards with: dp_rib_build() over the running config, so what is
 * shown is what is used.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"
#include "datapath/datapath.h"

static const char codes[] =
	"Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
	"       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area \n"
	"       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
	"       E1 - OSPF external type 1, E2 - OSPF external type 2, m - OMP\n"
	"       n - NAT, Ni - NAT inside, No - NAT outside, Nd - NAT DIA\n"
	"       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2\n"
	"       ia - IS-IS inter area, * - candidate default, U - per-user static route\n"
	"       H - NHRP, G - NHRP registered, g - NHRP registration summary\n"
	"       o - ODR, P - periodic downloaded static route, l - LISP\n"
	"       a - application route\n"
	"       + - replicated route, % - next hop override, p - overrides from PfR\n"
	"       & - replicated local route overrides by connected\n\n";

/* Classful length of PREFIX (network order): 8, 16 or 24. */
static uint8_t
classful_len(uint32_t prefix)
{
	uint32_t a = ntohl(prefix);

	if (a < 0x80000000U)
		return 8;
	if (a < 0xC0000000U)
		return 16;
	return 24;
}

static uint32_t
mask_of(uint8_t plen)
{
	return plen ? htonl(~0U << (32 - plen)) : 0;
}

/* Display order: by address, then shorter prefixes first. */
static int
display_order(const void *a, const void *b)
{
	const struct dp_route *x = a, *y = b;

	if (x->prefix != y->prefix)
		return ntohl(x->prefix) < ntohl(y->prefix) ? -1 : 1;
	return (int)x->plen - (int)y->plen;
}

static void
show_route(struct vty *vty, const struct dp_route *r, bool indented)
{
	char net[INET_ADDRSTRLEN], nh[INET_ADDRSTRLEN];
	const char *code = r->type == DP_ROUTE_LOCAL ? "L" :
			   r->type == DP_ROUTE_CONNECTED ? "C" : "S";
	bool dflt = r->plen == 0;

	inet_ntop(AF_INET, &r->prefix, net, sizeof(net));
	vty_out(vty, "%s%-*s%s/%u", code, indented ? 8 : 5, dflt ? "*" : "",
		net, r->plen);
	if (r->type != DP_ROUTE_STATIC || r->next_hop == 0) {
		vty_out(vty, " is directly connected, %s\n", r->ifname);
		return;
	}
	inet_ntop(AF_INET, &r->next_hop, nh, sizeof(nh));
	vty_out(vty, " [%u/0] via %s", r->distance, nh);
	if (r->via_if)
		vty_out(vty, ", %s", r->ifname);
	vty_out(vty, "\n");
}

/* Builds the table that the datapath forwards with; -1 when unavailable. */
static int
build_rib(struct vty *vty, struct dp_route **rib)
{
	struct dp_config cfg;
	int n;

	if (vty->router == NULL || vty->router->cfg == NULL) {
		vty_out(vty, "%% The routing table is not available\n");
		return -1;
	}
	dp_config_extract(cfg_read_lock(vty->router->cfg), &cfg, NULL, 0);
	cfg_read_unlock(vty->router->cfg);
	n = dp_rib_build(&cfg, rib);
	dp_config_free(&cfg);
	if (n < 0)
		vty_out(vty, "%% Out of memory\n");
	return n;
}

static enum cmd_result
cmd_show_ip_route(struct vty *vty, const struct cmd_args *args)
{
	struct dp_route *rib = NULL;
	const struct dp_route *dflt = NULL;
	int n;

	(void)args;
	n = build_rib(vty, &rib);
	if (n < 0)
		return CMD_ERROR;
	qsort(rib, (size_t)n, sizeof(*rib), display_order);
	for (int i = 0; i < n; i++) {
		if (rib[i].plen == 0 && rib[i].next_hop != 0)
			dflt = &rib[i];
	}
	vty_out(vty, "%s", codes);
	if (dflt != NULL) {
		char nh[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &dflt->next_hop, nh, sizeof(nh));
		vty_out(vty, "Gateway of last resort is %s to network "
			"0.0.0.0\n\n", nh);
	} else {
		vty_out(vty, "Gateway of last resort is not set\n\n");
	}
	/* Routes longer than their classful network are grouped under a
	 * header line for that network, as IOS does. */
	for (int i = 0; i < n;) {
		uint8_t cl = classful_len(rib[i].prefix);
		uint32_t major = rib[i].prefix & mask_of(cl);
		int j = i, subnets = 0, masks = 0;
		uint64_t seen = 0;
		char net[INET_ADDRSTRLEN];

		if (rib[i].plen <= cl) {
			show_route(vty, &rib[i], false);
			i++;
			continue;
		}
		while (j < n && rib[j].plen > cl &&
		       (rib[j].prefix & mask_of(cl)) == major) {
			subnets++;
			if (!(seen & 1ULL << (rib[j].plen - 1))) {
				seen |= 1ULL << (rib[j].plen - 1);
				masks++;
			}
			j++;
		}
		inet_ntop(AF_INET, &major, net, sizeof(net));
		if (masks == 1)
			vty_out(vty, "      %s/%u is subnetted, %d subnets\n",
				net, rib[i].plen, subnets);
		else
			vty_out(vty, "      %s/%u is variably subnetted, %d "
				"subnets, %d masks\n", net, cl, subnets, masks);
		for (; i < j; i++)
			show_route(vty, &rib[i], true);
	}
	free(rib);
	return CMD_SUCCESS;
}

/* `show ip route A.B.C.D`: the route that forwards to that address. */
static enum cmd_result
cmd_show_ip_route_address(struct vty *vty, const struct cmd_args *args)
{
	struct dp_route *rib = NULL;
	const struct dp_route *r;
	char net[INET_ADDRSTRLEN], nh[INET_ADDRSTRLEN];
	uint32_t dst;
	int n;

	if (inet_pton(AF_INET, cmd_arg(args, "address"), &dst) != 1)
		return CMD_WARNING;
	n = build_rib(vty, &rib);
	if (n < 0)
		return CMD_ERROR;
	r = dp_rib_lookup(rib, (size_t)n, dst);
	if (r == NULL) {
		vty_out(vty, "%% Network not in table\n");
		free(rib);
		return CMD_SUCCESS;
	}
	inet_ntop(AF_INET, &r->prefix, net, sizeof(net));
	vty_out(vty, "Routing entry for %s/%u%s\n", net, r->plen,
		r->plen == 0 ? ", supernet" : "");
	if (r->type == DP_ROUTE_STATIC)
		vty_out(vty, "  Known via \"static\", distance %u, metric 0%s\n",
			r->distance, r->next_hop == 0 ? " (connected)" : "");
	else
		vty_out(vty, "  Known via \"connected\", distance 0, metric 0 "
			"(connected%s)\n",
			r->type == DP_ROUTE_CONNECTED ? ", via interface" : "");
	vty_out(vty, "  Routing Descriptor Blocks:\n");
	if (r->type == DP_ROUTE_STATIC && r->next_hop != 0) {
		inet_ntop(AF_INET, &r->next_hop, nh, sizeof(nh));
		vty_out(vty, "  * %s%s%s\n", nh, r->via_if ? ", via " : "",
			r->via_if ? r->ifname : "");
	} else {
		vty_out(vty, "  * directly connected, via %s\n", r->ifname);
	}
	vty_out(vty, "      Route metric is 0, traffic share count is 1\n");
	free(rib);
	return CMD_SUCCESS;
}

static const struct cmd_def show_ip_route_address_def = {
	.syntax = "show ip route A.B.C.D$address",
	.help = "Show running system information\n"
		"IP information\n"
		"IP routing table\n"
		"Network to display information about or host name",
	.fn = cmd_show_ip_route_address,
	.privilege = 1,
};

static const struct cmd_def show_ip_route_def = {
	.syntax = "show ip route",
	.help = "Show running system information\n"
		"IP information\n"
		"IP routing table",
	.fn = cmd_show_ip_route,
	.privilege = 1,
};

void
cmd_show_route_install(void)
{
	cmd_install(MODE_USER_EXEC, &show_ip_route_def);
	cmd_install(MODE_USER_EXEC, &show_ip_route_address_def);
}
