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
	fprintf(f, " key %s\n", cfg_node_val(k, "key"));
}

static void
psk_host(FILE *f, const struct lyd_node *k)
{
	fprintf(f, "  pre-shared-key hostname %s key %s\n",
		cfg_node_val(k, "hostname"), cfg_node_val(k, "key"));
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
