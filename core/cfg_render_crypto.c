/*
 * IOS rendering of IKEv1 keyrings, ISAKMP profiles and switches, and the
 * global IPsec SA settings, in the layout of `show running-config`:
 * keyring lines indented by two spaces, ISAKMP profile lines by three.
 */
#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/cfg_render.h"

#define M "/vrouter-config:"
#define HOST_MASK "255.255.255.255"

/* Calls FN for each node at XPATH in TREE. */
static void
each(FILE *f, const struct lyd_node *tree, const char *xpath,
     void (*fn)(FILE *, const struct lyd_node *))
{
	struct ly_set *set = NULL;
	uint32_t i;

	if (!tree || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return;
	for (i = 0; i < set->count; i++)
		fn(f, set->dnodes[i]);
	ly_set_free(set, NULL);
}

/* Prints " MASK" unless MASK is the host mask. */
static void
print_mask(FILE *f, const char *mask)
{
	if (mask && strcmp(mask, HOST_MASK))
		fprintf(f, " %s", mask);
}

static void
psk_address(FILE *f, const struct lyd_node *k)
{
	fprintf(f, "  pre-shared-key address %s",
		cfg_node_val(k, "address"));
	print_mask(f, cfg_node_val(k, "mask"));
	fprintf(f, " key ");
	cfg_print_key(f, k, cfg_node_val(k, "key"));
	fprintf(f, "\n");
}

static void
psk_host(FILE *f, const struct lyd_node *k)
{
	fprintf(f, "  pre-shared-key hostname %s key ",
		cfg_node_val(k, "hostname"));
	cfg_print_key(f, k, cfg_node_val(k, "key"));
	fprintf(f, "\n");
}

static void
keyring(FILE *f, const struct lyd_node *kr)
{
	const char *vrf = cfg_node_val(kr, "vrf");
	const char *local = cfg_node_val(kr, "local-address");

	fprintf(f, "crypto keyring %s", cfg_node_val(kr, "name"));
	if (vrf)
		fprintf(f, " vrf %s", vrf);
	fprintf(f, "  \n");
	if (local)
		fprintf(f, "  local-address %s\n", local);
	each(f, kr, "pre-shared-key", psk_address);
	each(f, kr, "pre-shared-key-host", psk_host);
	fprintf(f, "!\n");
}

void
cfg_render_keyrings(FILE *f, const struct lyd_node *tree)
{
	each(f, tree, M "crypto/keyring", keyring);
}

static void
profile_keyring(FILE *f, const struct lyd_node *n)
{
	fprintf(f, "   keyring %s\n", lyd_get_value(n));
}

static void
match_address(FILE *f, const struct lyd_node *m)
{
	const char *vrf = cfg_node_val(m, "vrf");

	fprintf(f, "   match identity address %s %s %s\n",
		cfg_node_val(m, "address"), cfg_node_val(m, "mask"),
		vrf ? vrf : "");
}

static void
match_host(FILE *f, const struct lyd_node *n)
{
	fprintf(f, "   match identity host %s\n", lyd_get_value(n));
}

static void
match_group(FILE *f, const struct lyd_node *n)
{
	fprintf(f, "   match identity group %s\n", lyd_get_value(n));
}

static void
isakmp_profile(FILE *f, const struct lyd_node *p)
{
	const char *v;

	fprintf(f, "crypto isakmp profile %s\n", cfg_node_val(p, "name"));
	if ((v = cfg_node_val(p, "vrf")))
		fprintf(f, "   vrf %s\n", v);
	each(f, p, "keyring", profile_keyring);
	each(f, p, "match-identity-group", match_group);
	each(f, p, "match-identity-address", match_address);
	each(f, p, "match-identity-host", match_host);
	if ((v = cfg_node_val(p, "keepalive/seconds")))
		fprintf(f, "   keepalive %s retry %s\n", v,
			cfg_node_val(p, "keepalive/retry"));
	if ((v = cfg_node_val(p, "self-identity")))
		fprintf(f, "   self-identity %s\n", v);
	if ((v = cfg_node_val(p, "local-address")))
		fprintf(f, "   local-address %s\n", v);
	if (cfg_node_has(p, "initiate-aggressive"))
		fprintf(f, "   initiate mode aggressive\n");
	if ((v = cfg_node_val(p, "virtual-template")))
		fprintf(f, "   virtual-template %s\n", v);
	fprintf(f, "!\n");
}

void
cfg_render_isakmp_profiles(FILE *f, const struct lyd_node *tree)
{
	const char *v;
	bool any = false;

	if (!tree)
		return;
	if (cfg_node_has(tree, M "crypto/isakmp/aggressive-mode-disable")) {
		fprintf(f, "crypto isakmp aggressive-mode disable\n");
		any = true;
	}
	if ((v = cfg_node_val(tree, M "crypto/isakmp/nat-keepalive"))) {
		fprintf(f, "crypto isakmp nat keepalive %s\n", v);
		any = true;
	}
	if ((v = cfg_node_val(tree, M "crypto/isakmp/identity"))) {
		fprintf(f, "crypto isakmp identity %s\n", v);
		any = true;
	}
	if (any)
		fprintf(f, "!\n");
	each(f, tree, M "crypto/isakmp/profile", isakmp_profile);
}

void
cfg_render_ipsec_globals(FILE *f, const struct lyd_node *tree)
{
	static const char *const lifetimes[] = { "kilobytes", "seconds" };
	char path[128];
	const char *v;
	bool any = false;
	size_t i;

	if (!tree)
		return;
	for (i = 0; i < sizeof(lifetimes) / sizeof(lifetimes[0]); i++) {
		snprintf(path, sizeof(path), M "crypto/ipsec/"
			 "security-association/lifetime-%s", lifetimes[i]);
		if ((v = cfg_node_val(tree, path))) {
			fprintf(f, "crypto ipsec security-association "
				"lifetime %s %s\n", lifetimes[i], v);
			any = true;
		}
	}
	if ((v = cfg_node_val(tree, M "crypto/ipsec/security-association/"
			      "replay-window-size"))) {
		fprintf(f, "crypto ipsec security-association replay "
			"window-size %s\n", v);
		any = true;
	}
	if (cfg_node_has(tree, M "crypto/ipsec/security-association/"
			 "replay-disable")) {
		fprintf(f, "crypto ipsec security-association replay "
			"disable\n");
		any = true;
	}
	if ((v = cfg_node_val(tree, M "crypto/ipsec/df-bit"))) {
		fprintf(f, "crypto ipsec df-bit %s\n", v);
		any = true;
	}
	if (cfg_node_has(tree, M "crypto/ipsec/nat-transparency-disable")) {
		fprintf(f, "no crypto ipsec nat-transparency "
			"udp-encapsulation\n");
		any = true;
	}
	if (any)
		fprintf(f, "!\n");
}

static void
map_globals(FILE *f, const struct lyd_node *m)
{
	static const char *const leaves[][2] = {
		{ "client-authentication-list", "client authentication list" },
		{ "isakmp-authorization-list", "isakmp authorization list" },
		{ "client-configuration-address",
		  "client configuration address" },
		{ "local-address", "local-address" },
		{ "redundancy", "redundancy" },
	};
	const char *name = cfg_node_val(m, "name"), *v;
	size_t i;

	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if ((v = cfg_node_val(m, leaves[i][0])))
			fprintf(f, "crypto map %s %s %s\n", name, leaves[i][1],
				v);
}

void
cfg_render_map_globals(FILE *f, const struct lyd_node *tree)
{
	each(f, tree, M "crypto/map", map_globals);
}

/* Prints " NAME VALUE..." of leaf-list NAME under NODE when it has any. */
static void
print_list_line(FILE *f, const struct lyd_node *node, const char *indent,
		const char *keyword, const char *name)
{
	struct ly_set *set = NULL;
	uint32_t i;

	if (lyd_find_xpath(node, name, &set) != LY_SUCCESS)
		return;
	if (set->count) {
		fprintf(f, "%s%s", indent, keyword);
		for (i = 0; i < set->count; i++)
			fprintf(f, " %s", lyd_get_value(set->dnodes[i]));
		fprintf(f, "\n");
	}
	ly_set_free(set, NULL);
}

static void
ikev2_proposal(FILE *f, const struct lyd_node *p)
{
	fprintf(f, "crypto ikev2 proposal %s \n", cfg_node_val(p, "name"));
	print_list_line(f, p, " ", "encryption", "encryption");
	print_list_line(f, p, " ", "integrity", "integrity");
	print_list_line(f, p, " ", "prf", "prf");
	print_list_line(f, p, " ", "group", "group");
	fprintf(f, "!\n");
}

static void
ikev2_policy(FILE *f, const struct lyd_node *p)
{
	const char *v;

	fprintf(f, "crypto ikev2 policy %s \n", cfg_node_val(p, "name"));
	if ((v = cfg_node_val(p, "match-fvrf")))
		fprintf(f, " match fvrf %s\n", v);
	print_list_line(f, p, " ", "match address local",
			"match-address-local");
	print_list_line(f, p, " ", "proposal", "proposal");
	fprintf(f, "!\n");
}

static void
ikev2_peer(FILE *f, const struct lyd_node *p)
{
	static const char *const leaves[][2] = {
		{ "description", "description" },
		{ "hostname", "hostname" },
		{ "address", "address" },
		{ "identity", "identity" },
		{ "pre-shared-key", "pre-shared-key" },
		{ "pre-shared-key-local", "pre-shared-key local" },
		{ "pre-shared-key-remote", "pre-shared-key remote" },
	};
	const char *v;
	size_t i;

	fprintf(f, " peer %s\n", cfg_node_val(p, "name"));
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if ((v = cfg_node_val(p, leaves[i][0])))
			fprintf(f, "  %s %s\n", leaves[i][1], v);
	fprintf(f, " !\n");
}

static void
ikev2_keyring(FILE *f, const struct lyd_node *k)
{
	fprintf(f, "crypto ikev2 keyring %s\n", cfg_node_val(k, "name"));
	each(f, k, "peer", ikev2_peer);
	fprintf(f, "!\n");
}

static void
match_remote(FILE *f, const struct lyd_node *n)
{
	fprintf(f, " match identity remote %s \n", lyd_get_value(n));
}

static void
ikev2_profile(FILE *f, const struct lyd_node *p)
{
	const char *v;

	fprintf(f, "crypto ikev2 profile %s\n", cfg_node_val(p, "name"));
	if ((v = cfg_node_val(p, "description")))
		fprintf(f, " description %s\n", v);
	if ((v = cfg_node_val(p, "match-fvrf")))
		fprintf(f, " match fvrf %s\n", v);
	print_list_line(f, p, " ", "match address local",
			"match-address-local");
	each(f, p, "match-identity-remote", match_remote);
	if ((v = cfg_node_val(p, "identity-local")))
		fprintf(f, " identity local %s\n", v);
	print_list_line(f, p, " ", "authentication remote",
			"authentication-remote");
	print_list_line(f, p, " ", "authentication local",
			"authentication-local");
	if ((v = cfg_node_val(p, "keyring-local")))
		fprintf(f, " keyring local %s\n", v);
	if ((v = cfg_node_val(p, "lifetime")))
		fprintf(f, " lifetime %s\n", v);
	if ((v = cfg_node_val(p, "dpd/interval")))
		fprintf(f, " dpd %s %s %s\n", v, cfg_node_val(p, "dpd/retry"),
			cfg_node_val(p, "dpd/mode"));
	if ((v = cfg_node_val(p, "ivrf")))
		fprintf(f, " ivrf %s\n", v);
	if ((v = cfg_node_val(p, "virtual-template")))
		fprintf(f, " virtual-template %s\n", v);
	fprintf(f, "!\n");
}

void
cfg_render_ikev2(FILE *f, const struct lyd_node *tree)
{
	const char *v;

	each(f, tree, M "crypto/ikev2/proposal", ikev2_proposal);
	each(f, tree, M "crypto/ikev2/policy", ikev2_policy);
	each(f, tree, M "crypto/ikev2/keyring", ikev2_keyring);
	each(f, tree, M "crypto/ikev2/profile", ikev2_profile);
	if (tree && (v = cfg_node_val(tree, M "crypto/ikev2/cookie-challenge")))
		fprintf(f, "crypto ikev2 cookie-challenge %s\n!\n", v);
	if (tree && cfg_node_has(tree, M "crypto/ikev2/fragmentation")) {
		v = cfg_node_val(tree, M "crypto/ikev2/fragmentation/mtu");
		if (v != NULL)
			fprintf(f, "crypto ikev2 fragmentation mtu %s\n!\n", v);
		else
			fprintf(f, "crypto ikev2 fragmentation\n!\n");
	}
	if (tree && (v = cfg_node_val(tree, M "crypto/ikev2/dpd/interval")))
		fprintf(f, "crypto ikev2 dpd %s %s %s\n!\n", v,
			cfg_node_val(tree, M "crypto/ikev2/dpd/retry"),
			cfg_node_val(tree, M "crypto/ikev2/dpd/mode"));
}

static void
client_group(FILE *f, const struct lyd_node *g)
{
	const char *v;

	fprintf(f, "crypto isakmp client configuration group %s\n",
		cfg_node_val(g, "name"));
	if ((v = cfg_node_val(g, "key")))
		fprintf(f, " key %s\n", v);
	print_list_line(f, g, " ", "dns", "dns");
	if ((v = cfg_node_val(g, "pool")))
		fprintf(f, " pool %s\n", v);
	if ((v = cfg_node_val(g, "acl")))
		fprintf(f, " acl %s\n", v);
	if (cfg_node_has(g, "save-password"))
		fprintf(f, " save-password\n");
	print_list_line(f, g, " ", "backup-gateway", "backup-gateway");
	if ((v = cfg_node_val(g, "netmask")))
		fprintf(f, " netmask %s\n", v);
	if ((v = cfg_node_val(g, "banner")))
		fprintf(f, " banner %s\n", v);
	fprintf(f, "!\n");
}

void
cfg_render_client_groups(FILE *f, const struct lyd_node *tree)
{
	each(f, tree, M "crypto/isakmp/client-group", client_group);
}

static void
vrf(FILE *f, const struct lyd_node *v)
{
	const char *rd = cfg_node_val(v, "rd");
	const char *text = cfg_node_val(v, "description");
	bool ip_vrf = cfg_node_has(v, "ip-vrf");
	struct ly_set *set = NULL;
	uint32_t i;

	fprintf(f, "%s %s\n", ip_vrf ? "ip vrf" : "vrf definition",
		cfg_node_val(v, "name"));
	if (text)
		fprintf(f, " description %s\n", text);
	if (rd)
		fprintf(f, " rd %s\n", rd);
	if (!ip_vrf && lyd_find_xpath(v, "address-family", &set) ==
	    LY_SUCCESS) {
		for (i = 0; i < set->count; i++)
			fprintf(f, " !\n address-family %s\n "
				"exit-address-family\n",
				lyd_get_value(set->dnodes[i]));
		ly_set_free(set, NULL);
	}
	fprintf(f, "!\n");
}

void
cfg_render_vrfs(FILE *f, const struct lyd_node *tree)
{
	each(f, tree, M "vrfs/vrf", vrf);
}

static void
method_list(FILE *f, const struct lyd_node *m)
{
	fprintf(f, "aaa %s %s %s\n", cfg_node_val(m, "service"),
		cfg_node_val(m, "name"), cfg_node_val(m, "methods"));
}

void
cfg_render_aaa(FILE *f, const struct lyd_node *tree)
{
	const char *model;

	if (!tree)
		return;
	model = cfg_node_val(tree, M "aaa/new-model");
	if (model && !strcmp(model, "false"))
		fprintf(f, "no aaa new-model\n");
	if (model && !strcmp(model, "true"))
		fprintf(f, "aaa new-model\n");
	each(f, tree, M "aaa/method-list", method_list);
	if (cfg_node_has(tree, M "aaa/session-id-common"))
		fprintf(f, "aaa session-id common\n");
	if (model || cfg_node_has(tree, M "aaa/*"))
		fprintf(f, "!\n");
}

static void
pool(FILE *f, const struct lyd_node *p)
{
	const char *last = cfg_node_val(p, "last");

	fprintf(f, "ip local pool %s %s%s%s\n", cfg_node_val(p, "name"),
		cfg_node_val(p, "first"), last ? " " : "", last ? last : "");
}

void
cfg_render_pools(FILE *f, const struct lyd_node *tree)
{
	each(f, tree, M "address-pools/pool", pool);
}

static void
ezvpn_client(FILE *f, const struct lyd_node *e)
{
	const char *v;

	fprintf(f, "crypto ipsec client ezvpn %s\n", cfg_node_val(e, "name"));
	if ((v = cfg_node_val(e, "connect")))
		fprintf(f, " connect %s\n", v);
	if ((v = cfg_node_val(e, "group")))
		fprintf(f, " group %s key %s\n", v, cfg_node_val(e, "key"));
	if ((v = cfg_node_val(e, "mode")))
		fprintf(f, " mode %s\n", v);
	print_list_line(f, e, " ", "peer", "peer");
	if ((v = cfg_node_val(e, "username")))
		fprintf(f, " username %s password %s\n", v,
			cfg_node_val(e, "password"));
	if ((v = cfg_node_val(e, "xauth-userid-mode")))
		fprintf(f, " xauth userid mode %s\n", v);
	fprintf(f, "!\n");
}

void
cfg_render_ezvpn(FILE *f, const struct lyd_node *tree)
{
	each(f, tree, M "crypto/ipsec/client-ezvpn", ezvpn_client);
}
