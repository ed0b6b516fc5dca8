/*
 * Show commands that print the crypto configuration in IOS layout: show
 * crypto isakmp policy|key, show crypto ipsec transform-set|profile,
 * show crypto ikev2 proposal|policy|profile and show crypto dynamic-map
 * (show ip nhrp is in show_nhrp.c). A name that refers to an object that is
 * not configured is printed as it is, as IOS does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>
#include <openssl/crypto.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"
#include "core/cfg_render.h"
#include "core/config.h"
#include "core/router.h"
#include "datapath/datapath.h"

#define M "/vrouter-config:"

/* Value of the leaf at relative PATH under NODE, or NULL. */
static const char *
get(const struct lyd_node *node, const char *path)
{
	return cfg_get_value(node, path);
}

/*
 * Calls FN for each node at XPATH in TREE (which may be NULL), sorted by
 * the number in leaf NUMBER_KEY unless that is NULL.
 */
static void
each_sorted(struct vty *vty, const struct lyd_node *tree, const char *xpath,
	    const char *number_key,
	    void (*fn)(struct vty *, const struct lyd_node *,
		       const struct lyd_node *))
{
	struct ly_set *set = NULL;
	uint32_t i;

	if (!tree || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return;
	if (number_key != NULL)
		cfg_sort_by_number(set, number_key);
	for (i = 0; i < set->count; i++)
		fn(vty, tree, set->dnodes[i]);
	ly_set_free(set, NULL);
}

/* Calls FN for each node at XPATH in TREE, in the order they are stored. */
static void
each(struct vty *vty, const struct lyd_node *tree, const char *xpath,
     void (*fn)(struct vty *, const struct lyd_node *,
		const struct lyd_node *))
{
	each_sorted(vty, tree, xpath, NULL, fn);
}

/* Prints the values of leaf-list NAME under NODE separated by SEP. */
static void
print_values(struct vty *vty, const struct lyd_node *node, const char *name,
	     const char *sep, const char *none)
{
	const struct lyd_node *c;
	bool any = false;

	LY_LIST_FOR(lyd_child(node), c) {
		if (strcmp(LYD_NAME(c), name))
			continue;
		vty_out(vty, "%s%s", any ? sep : "", lyd_get_value(c));
		any = true;
	}
	if (!any)
		vty_out(vty, "%s", none);
}

static const char *
cipher_text(const char *enc, const char *bits)
{
	static char buf[96];

	if (!strcmp(enc, "aes")) {
		snprintf(buf, sizeof(buf), "AES - Advanced Encryption Standard "
			 "(%s bit keys).", bits ? bits : "128");
		return buf;
	}
	if (!strcmp(enc, "3des"))
		return "Three key triple DES";
	return "DES - Data Encryption Standard (56 bit keys).";
}

static const char *
hash_text(const char *hash)
{
	static const char *const names[][2] = {
		{ "md5", "Message Digest 5" },
		{ "sha", "Secure Hash Standard" },
		{ "sha256", "Secure Hash Standard 2 (256 bit)" },
		{ "sha384", "Secure Hash Standard 2 (384 bit)" },
		{ "sha512", "Secure Hash Standard 2 (512 bit)" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(hash, names[i][0]))
			return names[i][1];
	return hash;
}

static const char *
auth_text(const char *auth)
{
	if (!strcmp(auth, "pre-share"))
		return "Pre-Shared Key";
	if (!strcmp(auth, "rsa-encr"))
		return "Rivest-Shamir-Adleman Encryption";
	return "Rivest-Shamir-Adleman Signature";
}

static const char *
group_text(const char *group)
{
	static const char *const bits[][2] = {
		{ "1", "768 bit" }, { "2", "1024 bit" }, { "5", "1536 bit" },
		{ "14", "2048 bit" }, { "15", "3072 bit" },
		{ "16", "4096 bit" }, { "19", "256 bit" }, { "20", "384 bit" },
		{ "21", "521 bit" }, { "24", "2048 bit, 256 bit subgroup" },
	};
	static char buf[64];
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (!strcmp(group, bits[i][0]))
			break;
	snprintf(buf, sizeof(buf), "#%s (%s)", group,
		 i < sizeof(bits) / sizeof(bits[0]) ? bits[i][1] : "?");
	return buf;
}

static void
suite(struct vty *vty, const char *enc, const char *bits, const char *hash,
      const char *auth, const char *group, const char *life)
{
	vty_out(vty, "\tencryption algorithm:\t%s\n", cipher_text(enc, bits));
	vty_out(vty, "\thash algorithm:\t\t%s\n", hash_text(hash));
	vty_out(vty, "\tauthentication method:\t%s\n", auth_text(auth));
	vty_out(vty, "\tDiffie-Hellman group:\t%s\n", group_text(group));
	vty_out(vty, "\tlifetime:\t\t%s seconds, no volume limit\n", life);
}

static void
isakmp_policy(struct vty *vty, const struct lyd_node *tree,
	      const struct lyd_node *p)
{
	(void)tree;
	vty_out(vty, "Protection suite of priority %s\n", get(p, "priority"));
	suite(vty, get(p, "encryption"), get(p, "key-size"), get(p, "hash"),
	      get(p, "authentication"), get(p, "group"), get(p, "lifetime"));
}

static enum cmd_result
show_isakmp_policy(struct vty *vty, const struct cmd_args *args)
{
	const struct lyd_node *tree = cfg_read_lock(vty->router->cfg);

	(void)args;
	vty_out(vty, "Global IKE policy\n");
	each_sorted(vty, tree, M "crypto/isakmp/policy", "priority",
		    isakmp_policy);
	cfg_read_unlock(vty->router->cfg);
	/*
	 * The default suites of IOS XE 16 and later, after the configured
	 * ones, as `show crypto isakmp default policy` lists them on a real
	 * router (genieparser's ShowCryptoIsakmpDefaultPolicy capture).
	 * NOTE: vrouter's IKEv1 negotiates only the configured policies;
	 * these suites are listed, not offered.
	 */
	vty_out(vty, "Default protection suite of priority 65507\n");
	suite(vty, "aes", "128", "sha", "rsa-sig", "5", "86400");
	vty_out(vty, "Default protection suite of priority 65508\n");
	suite(vty, "aes", "128", "sha", "pre-share", "5", "86400");
	return CMD_SUCCESS;
}

static void
key_row(struct vty *vty, const char *ring, const char *addr,
	const char *mask, const char *key)
{
	char where[64], clear[CFG_SECRET_MAX + 1];

	if (mask && strcmp(mask, "255.255.255.255"))
		snprintf(where, sizeof(where), "%s/%s", addr, mask);
	else
		snprintf(where, sizeof(where), "%s", addr);
	if (!key || cfg_secret_open(key, clear, sizeof(clear)) < 0)
		snprintf(clear, sizeof(clear), "<unreadable>");
	vty_out(vty, "%-13s%-34s%s\n", ring, where, clear);
	OPENSSL_cleanse(clear, sizeof(clear));
}

static void
default_key(struct vty *vty, const struct lyd_node *tree,
	    const struct lyd_node *k)
{
	(void)tree;
	key_row(vty, "default", get(k, "address"), get(k, "mask"),
		get(k, "key"));
}

static void
ring_keys(struct vty *vty, const struct lyd_node *tree,
	  const struct lyd_node *ring)
{
	const struct lyd_node *c;

	(void)tree;
	LY_LIST_FOR(lyd_child(ring), c) {
		if (!strcmp(LYD_NAME(c), "pre-shared-key"))
			key_row(vty, get(ring, "name"), get(c, "address"),
				get(c, "mask"), get(c, "key"));
		else if (!strcmp(LYD_NAME(c), "pre-shared-key-host"))
			key_row(vty, get(ring, "name"), get(c, "hostname"),
				NULL, get(c, "key"));
	}
}

static enum cmd_result
show_isakmp_key(struct vty *vty, const struct cmd_args *args)
{
	const struct lyd_node *tree = cfg_read_lock(vty->router->cfg);

	(void)args;
	vty_out(vty, "Keyring      Hostname/Address                  "
		"Preshared Key\n\n");
	each(vty, tree, M "crypto/isakmp/key", default_key);
	each(vty, tree, M "crypto/keyring", ring_keys);
	cfg_read_unlock(vty->router->cfg);
	return CMD_SUCCESS;
}

/* Prints "NAME:  { transforms  } ," for each transform set of NODE. */
static void
transform_sets(struct vty *vty, const struct lyd_node *tree,
	       const struct lyd_node *node, const char *indent)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(node), c) {
		char text[128];

		if (strcmp(LYD_NAME(c), "transform-set"))
			continue;
		/* A dangling name is listed with no transforms. */
		if (dp_config_transform_text(tree, lyd_get_value(c), text,
					     sizeof(text)) < 0)
			text[0] = '\0';
		vty_out(vty, "%s%s:  { %s  } , \n", indent, lyd_get_value(c),
			text);
	}
}

static void
transform_set(struct vty *vty, const struct lyd_node *tree,
	      const struct lyd_node *ts)
{
	const char *name = get(ts, "name"), *mode = get(ts, "mode");
	char text[128];

	if (dp_config_transform_text(tree, name, text, sizeof(text)) < 0)
		text[0] = '\0';
	vty_out(vty, "Transform set %s: { %s  }\n", name, text);
	vty_out(vty, "   will negotiate = { %s,  },\n",
		mode && !strcmp(mode, "transport") ? "Transport" : "Tunnel");
	vty_out(vty, "   \n");
}

static enum cmd_result
show_transform_sets(struct vty *vty, const struct cmd_args *args)
{
	const struct lyd_node *tree = cfg_read_lock(vty->router->cfg);

	(void)args;
	each(vty, tree, M "crypto/ipsec/transform-set", transform_set);
	cfg_read_unlock(vty->router->cfg);
	return CMD_SUCCESS;
}

/* The SA settings an ipsec profile or dynamic map entry shares. */
static void
sa_settings(struct vty *vty, const struct lyd_node *tree,
	    const struct lyd_node *n, const char *indent)
{
	const char *kb = get(n, "lifetime-kilobytes");
	const char *s = get(n, "lifetime-seconds");
	const char *pfs = get(n, "pfs-group");

	vty_out(vty, "%sSecurity association lifetime: %s kilobytes/%s "
		"seconds\n", indent, kb ? kb : "4608000", s ? s : "3600");
	vty_out(vty, "%sResponder-Only (Y/N): N\n", indent);
	vty_out(vty, "%sPFS (Y/N): %s\n", indent, pfs ? "Y" : "N");
	if (pfs)
		vty_out(vty, "%sDH group:  group%s\n", indent, pfs);
	vty_out(vty, "%sMixed-mode : Disabled\n", indent);
	vty_out(vty, "%sTransform sets={ \n", indent);
	transform_sets(vty, tree, n, "\t\t");
	vty_out(vty, "%s}\n", indent);
}

static void
ipsec_profile(struct vty *vty, const struct lyd_node *tree,
	      const struct lyd_node *p)
{
	const char *v;

	vty_out(vty, "IPSEC profile %s\n", get(p, "name"));
	if ((v = get(p, "ikev2-profile")))
		vty_out(vty, "\tIKEv2 Profile: %s\n", v);
	if ((v = get(p, "isakmp-profile")))
		vty_out(vty, "\tISAKMP Profile: %s\n", v);
	sa_settings(vty, tree, p, "\t");
	vty_out(vty, "\n");
}

static enum cmd_result
show_ipsec_profile(struct vty *vty, const struct cmd_args *args)
{
	const struct lyd_node *tree = cfg_read_lock(vty->router->cfg);

	(void)args;
	each(vty, tree, M "crypto/ipsec/profile", ipsec_profile);
	cfg_read_unlock(vty->router->cfg);
	return CMD_SUCCESS;
}

static void
dynamic_entry(struct vty *vty, const struct lyd_node *tree,
	      const struct lyd_node *e)
{
	const char *acl = get(e, "match-address");
	const struct lyd_node *c;

	vty_out(vty, "Crypto Map Template\"%s\" %s\n",
		get(lyd_parent(e), "name"), get(e, "sequence"));
	LY_LIST_FOR(lyd_child(e), c)
		if (!strcmp(LYD_NAME(c), "peer"))
			vty_out(vty, "\tPeer = %s\n", lyd_get_value(c));
	if (acl)
		vty_out(vty, "\tExtended IP access list %s\n", acl);
	else
		vty_out(vty, "\tNo matching address list set.\n");
	sa_settings(vty, tree, e, "\t");
	vty_out(vty, "\n");
}

static enum cmd_result
show_dynamic_map(struct vty *vty, const struct cmd_args *args)
{
	const struct lyd_node *tree = cfg_read_lock(vty->router->cfg);

	(void)args;
	each(vty, tree, M "crypto/dynamic-map/entry", dynamic_entry);
	cfg_read_unlock(vty->router->cfg);
	return CMD_SUCCESS;
}

/* Prints leaf-list NAME of NODE in upper case, as IOS lists algorithms. */
static void
print_upper(struct vty *vty, const struct lyd_node *node, const char *name)
{
	const struct lyd_node *c;
	bool any = false;

	LY_LIST_FOR(lyd_child(node), c) {
		const char *v = lyd_get_value(c);

		if (strcmp(LYD_NAME(c), name))
			continue;
		if (any)
			vty_out(vty, " ");
		for (; *v; v++)
			vty_out(vty, "%c", *v >= 'a' && *v <= 'z' ?
				*v - 'a' + 'A' : *v);
		any = true;
	}
	if (!any)
		vty_out(vty, "none");
}

static void
ikev2_groups(struct vty *vty, const struct lyd_node *p)
{
	static const char *const kinds[][2] = {
		{ "1", "768_MODP" }, { "2", "1024_MODP" },
		{ "5", "1536_MODP" }, { "14", "2048_MODP" },
		{ "15", "3072_MODP" }, { "16", "4096_MODP" },
		{ "19", "256_ECP" }, { "20", "384_ECP" }, { "21", "521_ECP" },
		{ "24", "2048_MODP_256_PRIME" },
	};
	const struct lyd_node *c;
	bool any = false;
	size_t i;

	LY_LIST_FOR(lyd_child(p), c) {
		const char *g = lyd_get_value(c);

		if (strcmp(LYD_NAME(c), "group"))
			continue;
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strcmp(g, kinds[i][0]))
				break;
		vty_out(vty, "%sDH_GROUP_%s/Group %s", any ? " " : "",
			i < sizeof(kinds) / sizeof(kinds[0]) ? kinds[i][1] :
			"?", g);
		any = true;
	}
	if (!any)
		vty_out(vty, "none");
}

static void
ikev2_proposal(struct vty *vty, const struct lyd_node *tree,
	       const struct lyd_node *p)
{
	(void)tree;
	vty_out(vty, " IKEv2 proposal: %s \n     Encryption : ",
		get(p, "name"));
	print_upper(vty, p, "encryption");
	vty_out(vty, "\n     Integrity  : ");
	print_upper(vty, p, "integrity");
	vty_out(vty, "\n     PRF        : ");
	print_upper(vty, p, "prf");
	vty_out(vty, "\n     DH Group   : ");
	ikev2_groups(vty, p);
	vty_out(vty, "\n");
}

static void
ikev2_policy(struct vty *vty, const struct lyd_node *tree,
	     const struct lyd_node *p)
{
	const char *fvrf = get(p, "match-fvrf");

	(void)tree;
	vty_out(vty, " IKEv2 policy : %s\n      Match fvrf : %s\n"
		"      Match address local : ", get(p, "name"),
		fvrf ? fvrf : "global");
	print_values(vty, p, "match-address-local", " ", "any");
	vty_out(vty, "\n      Proposal    : ");
	print_values(vty, p, "proposal", " ", "none");
	vty_out(vty, "\n");
}

static void
ikev2_profile(struct vty *vty, const struct lyd_node *tree,
	      const struct lyd_node *p)
{
	const char *v;

	(void)tree;
	vty_out(vty, "IKEv2 profile: %s\n Match criteria: \n  Fvrf: %s\n"
		"  Local address/interface: ", get(p, "name"),
		(v = get(p, "match-fvrf")) ? v : "global");
	print_values(vty, p, "match-address-local", " ", "none");
	vty_out(vty, "\n  Identities: \n   ");
	print_values(vty, p, "match-identity-remote", "\n   ", "none");
	vty_out(vty, "\n Local identity: %s\n",
		(v = get(p, "identity-local")) ? v : "none");
	vty_out(vty, " Local authentication method: ");
	print_values(vty, p, "authentication-local", " ", "none");
	vty_out(vty, "\n Remote authentication method(s): ");
	print_values(vty, p, "authentication-remote", " ", "none");
	vty_out(vty, "\n Keyring: %s\n",
		(v = get(p, "keyring-local")) ? v : "none");
	vty_out(vty, " Lifetime: %s seconds\n",
		(v = get(p, "lifetime")) ? v : "86400");
	if ((v = get(p, "dpd/interval")))
		vty_out(vty, " DPD: interval %s, retry %s, %s\n", v,
			get(p, "dpd/retry"), get(p, "dpd/mode"));
	else
		vty_out(vty, " DPD: disabled\n");
	vty_out(vty, " Ivrf: %s\n", (v = get(p, "ivrf")) ? v : "none");
	vty_out(vty, " Virtual-template: %s\n",
		(v = get(p, "virtual-template")) ? v : "none");
	vty_out(vty, "\n");
}

/* show crypto ikev2 proposal|policy|profile [NAME]. */
static enum cmd_result
show_ikev2(struct vty *vty, const struct cmd_args *args)
{
	const char *kind = cmd_arg(args, "kind");
	const char *name = cmd_arg(args, "name");
	const struct lyd_node *tree;
	char xpath[256];

	if (name && !cc_name_ok(vty, name))
		return CMD_WARNING;
	if (name)
		snprintf(xpath, sizeof(xpath), M "crypto/ikev2/%s[name='%s']",
			 kind, name);
	else
		snprintf(xpath, sizeof(xpath), M "crypto/ikev2/%s", kind);
	tree = cfg_read_lock(vty->router->cfg);
	each(vty, tree, xpath, !strcmp(kind, "proposal") ? ikev2_proposal :
	     !strcmp(kind, "policy") ? ikev2_policy : ikev2_profile);
	cfg_read_unlock(vty->router->cfg);
	return CMD_SUCCESS;
}

/*
 * Prints one access list as show access-lists does: entries by sequence,
 * remarks left out, and a standard entry's wildcard as "A, wildcard bits W".
 */
static void
access_list(struct vty *vty, const struct lyd_node *tree,
	    const struct lyd_node *acl)
{
	bool extended = !strcmp(get(acl, "type"), "extended");
	const struct lyd_node *c;

	(void)tree;
	vty_out(vty, "%s IP access list %s\n",
		extended ? "Extended" : "Standard", get(acl, "name"));
	LY_LIST_FOR(lyd_child(acl), c) {
		const char *wild = get(c, "source/wildcard");
		char *text = NULL;
		size_t len = 0;
		FILE *f;

		if (strcmp(LYD_NAME(c), "entry") ||
		    !strcmp(get(c, "action"), "remark"))
			continue;
		f = open_memstream(&text, &len);
		if (!f)
			continue;
		if (!extended && wild) {
			const char *log = cfg_find(c, "log") ? " log" : "";

			fprintf(f, "%s %s, wildcard bits %s%s",
				get(c, "action"), get(c, "source/address"),
				wild, log);
		} else {
			cfg_render_ace(f, c, extended);
		}
		fclose(f);
		vty_out(vty, "    %s %s\n", get(c, "sequence"), text);
		free(text);
	}
}

static enum cmd_result
show_access_lists(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const struct lyd_node *tree;
	char xpath[256];

	if (name && !cc_name_ok(vty, name))
		return CMD_WARNING;
	if (name)
		snprintf(xpath, sizeof(xpath), M "access-lists/access-list"
			 "[name='%s']", name);
	else
		snprintf(xpath, sizeof(xpath), M "access-lists/access-list");
	tree = cfg_read_lock(vty->router->cfg);
	each(vty, tree, xpath, access_list);
	cfg_read_unlock(vty->router->cfg);
	return CMD_SUCCESS;
}

#define H_SHOW "Show running system information\n"
#define H_CRYPTO "Encryption module\n"

static const struct cmd_def defs[] = {
	{ "show crypto isakmp policy", H_SHOW H_CRYPTO "ISAKMP information\n"
	  "Show ISAKMP protection suite policies", show_isakmp_policy, 0, 0 },
	{ "show crypto isakmp key", H_SHOW H_CRYPTO "ISAKMP information\n"
	  "Show ISAKMP preshared keys", show_isakmp_key, 0, 15 },
	{ "show crypto ipsec transform-set", H_SHOW H_CRYPTO "IPSEC "
	  "information\nCrypto transform sets", show_transform_sets, 0, 0 },
	{ "show crypto ipsec profile", H_SHOW H_CRYPTO "IPSEC information\n"
	  "ipsec profile information", show_ipsec_profile, 0, 0 },
	{ "show crypto dynamic-map", H_SHOW H_CRYPTO "Crypto map templates",
	  show_dynamic_map, 0, 0 },
	{ "show crypto ikev2 (proposal|policy|profile)$kind [WORD$name]",
	  H_SHOW H_CRYPTO "Shows ikev2 information\nShow IKEv2 proposals\n"
	  "Show IKEv2 policies\nShows ikev2 profiles\nName", show_ikev2, 0, 0 },
	{ "show access-lists [WORD$name]", H_SHOW "List access lists\n"
	  "ACL name or number", show_access_lists, 0, 0 },
	{ "show ip access-lists [WORD$name]", H_SHOW "IP information\n"
	  "List IP access lists\nACL name or number", show_access_lists, 0,
	  0 },
};

void
cc_install_show(void)
{
	CC_INSTALL(MODE_PRIV_EXEC, defs);
}
