/*
 * IOS rendering of the interface settings of tunnels and DMVPN, in the
 * order `show running-config` prints them: vrf forwarding before the
 * address; secondary addresses, ip mtu, ip nhrp and ip tcp adjust-mss
 * after it; the tunnel lines last.
 */
#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/cfg_render.h"

/* Calls FN for each node at relative XPATH under NODE. */
static void
each(FILE *f, const struct lyd_node *node, const char *xpath,
     void (*fn)(FILE *, const struct lyd_node *))
{
	struct ly_set *set = NULL;
	uint32_t i;

	if (lyd_find_xpath(node, xpath, &set) != LY_SUCCESS)
		return;
	for (i = 0; i < set->count; i++)
		fn(f, set->dnodes[i]);
	ly_set_free(set, NULL);
}

void
cfg_render_if_header(FILE *f, const struct lyd_node *ifn)
{
	const char *vrf = cfg_node_val(ifn, "vrf");
	const char *text = cfg_node_val(ifn, "description");

	if (cfg_node_has(ifn, "template-type-tunnel"))
		fprintf(f, " type tunnel");
	fprintf(f, "\n");
	if (text)
		fprintf(f, " description %s\n", text);
	if (vrf)
		fprintf(f, " vrf forwarding %s\n", vrf);
}

static void
secondary(FILE *f, const struct lyd_node *s)
{
	fprintf(f, " ip address %s %s secondary\n",
		cfg_node_val(s, "address"), cfg_node_val(s, "mask"));
}

static void
nhrp_map(FILE *f, const struct lyd_node *m)
{
	fprintf(f, " ip nhrp map %s %s\n", cfg_node_val(m, "address"),
		cfg_node_val(m, "nbma"));
}

static void
nhrp_map_multicast(FILE *f, const struct lyd_node *m)
{
	fprintf(f, " ip nhrp map multicast %s\n", lyd_get_value(m));
}

static void
nhrp_nhs(FILE *f, const struct lyd_node *n)
{
	const char *nbma = cfg_node_val(n, "nbma");

	fprintf(f, " ip nhrp nhs %s", cfg_node_val(n, "address"));
	if (nbma)
		fprintf(f, " nbma %s", nbma);
	if (cfg_node_has(n, "multicast"))
		fprintf(f, " multicast");
	fprintf(f, "\n");
}

void
cfg_render_if_ip(FILE *f, const struct lyd_node *ifn)
{
	const char *v;

	each(f, ifn, "secondary", secondary);
	if ((v = cfg_node_val(ifn, "ip-mtu")))
		fprintf(f, " ip mtu %s\n", v);
	if ((v = cfg_node_val(ifn, "nhrp/authentication")))
		fprintf(f, " ip nhrp authentication %s\n", v);
	each(f, ifn, "nhrp/map-multicast", nhrp_map_multicast);
	each(f, ifn, "nhrp/map", nhrp_map);
	if ((v = cfg_node_val(ifn, "nhrp/network-id")))
		fprintf(f, " ip nhrp network-id %s\n", v);
	if ((v = cfg_node_val(ifn, "nhrp/holdtime")))
		fprintf(f, " ip nhrp holdtime %s\n", v);
	each(f, ifn, "nhrp/nhs", nhrp_nhs);
	if (cfg_node_has(ifn, "nhrp/registration-no-unique"))
		fprintf(f, " ip nhrp registration no-unique\n");
	if (cfg_node_has(ifn, "nhrp/shortcut"))
		fprintf(f, " ip nhrp shortcut\n");
	if (cfg_node_has(ifn, "nhrp/redirect"))
		fprintf(f, " ip nhrp redirect\n");
	if ((v = cfg_node_val(ifn, "tcp-adjust-mss")))
		fprintf(f, " ip tcp adjust-mss %s\n", v);
}

static void
ezvpn(FILE *f, const struct lyd_node *e)
{
	const char *side = cfg_node_val(e, "side");

	fprintf(f, " crypto ipsec client ezvpn %s%s\n", cfg_node_val(e, "name"),
		side && !strcmp(side, "inside") ? " inside" : "");
}

void
cfg_render_if_tunnel(FILE *f, const struct lyd_node *ifn)
{
	const char *v;

	if ((v = cfg_node_val(ifn, "tunnel/source")))
		fprintf(f, " tunnel source %s\n", v);
	if ((v = cfg_node_val(ifn, "tunnel/destination")))
		fprintf(f, " tunnel destination %s\n", v);
	if ((v = cfg_node_val(ifn, "tunnel/mode"))) {
		const char *dash = strchr(v, '-');

		fprintf(f, " tunnel mode %.*s %s\n", (int)(dash - v), v,
			dash + 1);
	}
	if ((v = cfg_node_val(ifn, "tunnel/key")))
		fprintf(f, " tunnel key %s\n", v);
	if ((v = cfg_node_val(ifn, "tunnel/vrf")))
		fprintf(f, " tunnel vrf %s\n", v);
	if ((v = cfg_node_val(ifn, "tunnel/protection/profile")))
		fprintf(f, " tunnel protection ipsec profile %s%s\n", v,
			cfg_node_has(ifn, "tunnel/protection/shared") ?
			" shared" : "");
	each(f, ifn, "client-ezvpn", ezvpn);
}
