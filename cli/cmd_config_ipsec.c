/*
 * crypto ipsec transform-set and crypto ipsec profile, and the `set`
 * commands that crypto ipsec profiles share with crypto map entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"

#define TS_XPATH CC_M "crypto/ipsec/transform-set[name='%s']"
#define PROFILE_XPATH CC_M "crypto/ipsec/profile[name='%s']"

/* Words before the transform list in "crypto ipsec transform-set NAME". */
#define TS_LIST_WORD 4
#define MAX_TRANSFORMS 4

enum ts_kind { TS_AH, TS_ESP_CIPHER, TS_ESP_AUTH, TS_COMP, TS_KINDS };

static const struct {
	const char *name;
	enum ts_kind kind;
	bool sized;		/* takes an optional 128|192|256 */
	bool combined;		/* authenticates by itself (GCM, GMAC) */
} transforms[] = {
	{ "ah-md5-hmac", TS_AH, false, false },
	{ "ah-sha-hmac", TS_AH, false, false },
	{ "ah-sha256-hmac", TS_AH, false, false },
	{ "ah-sha384-hmac", TS_AH, false, false },
	{ "ah-sha512-hmac", TS_AH, false, false },
	{ "esp-des", TS_ESP_CIPHER, false, false },
	{ "esp-3des", TS_ESP_CIPHER, false, false },
	{ "esp-aes", TS_ESP_CIPHER, true, false },
	{ "esp-gcm", TS_ESP_CIPHER, true, true },
	{ "esp-gmac", TS_ESP_CIPHER, true, true },
	{ "esp-null", TS_ESP_CIPHER, false, false },
	{ "esp-md5-hmac", TS_ESP_AUTH, false, false },
	{ "esp-sha-hmac", TS_ESP_AUTH, false, false },
	{ "esp-sha256-hmac", TS_ESP_AUTH, false, false },
	{ "esp-sha384-hmac", TS_ESP_AUTH, false, false },
	{ "esp-sha512-hmac", TS_ESP_AUTH, false, false },
	{ "comp-lzs", TS_COMP, false, false },
};

#define N_TRANSFORMS (sizeof(transforms) / sizeof(transforms[0]))

struct ts_parse {
	const char *names[MAX_TRANSFORMS];
	int count;
	const char *key_size;
	size_t bad_offset;	/* offset in the list of the rejected word */
};

/*
 * Returns the transform that WORD names, accepting unique abbreviations
 * as IOS keywords do, or -1.
 */
static int
lookup_transform(const char *word)
{
	size_t len = strlen(word), i;
	int found = -1;

	for (i = 0; i < N_TRANSFORMS; i++) {
		if (strncmp(transforms[i].name, word, len))
			continue;
		if (strlen(transforms[i].name) == len)
			return (int)i;
		if (found >= 0)
			return -1;
		found = (int)i;
	}
	return found;
}

/*
 * Parses the transform list LIST (modified in place) with the rules
 * of the IOS grammar: one transform of each kind, a key size only right
 * after esp-aes, esp-gcm or esp-gmac, and no ESP integrity transform with
 * a combined-mode cipher. Returns false with bad_offset set.
 */
static bool
parse_transforms(char *list, struct ts_parse *p)
{
	bool seen[TS_KINDS] = { false };
	bool combined = false;
	int last = -1;
	char *word = list;

	memset(p, 0, sizeof(*p));
	while (*word) {
		size_t len = strcspn(word, " \t");
		char *next = word + len;
		int i;

		next += strspn(next, " \t");
		if (word[len])
			word[len] = '\0';
		p->bad_offset = (size_t)(word - list);
		if (!strcmp(word, "128") || !strcmp(word, "192") ||
		    !strcmp(word, "256")) {
			if (last < 0 || !transforms[last].sized || p->key_size)
				return false;
			p->key_size = word;
			last = -1;
			word = next;
			continue;
		}
		i = lookup_transform(word);
		if (i < 0 || seen[transforms[i].kind] ||
		    p->count == MAX_TRANSFORMS)
			return false;
		if (transforms[i].kind == TS_ESP_AUTH && combined)
			return false;
		if (transforms[i].combined && seen[TS_ESP_AUTH])
			return false;
		combined |= transforms[i].combined;
		seen[transforms[i].kind] = true;
		p->names[p->count++] = transforms[i].name;
		last = i;
		word = next;
	}
	if (!seen[TS_AH] && !seen[TS_ESP_CIPHER] && !seen[TS_ESP_AUTH]) {
		p->bad_offset = (size_t)(word - list);
		return false;
	}
	return true;
}

static enum cmd_result
transform_set(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char *list = strdup(cmd_arg(args, "transforms"));
	char xpath[VTY_XPATH_MAX];
	struct ts_parse p;
	struct cc_txn t;
	enum cmd_result ret = CMD_WARNING;
	int i;

	if (!list || !cc_name_ok(vty, name))
		goto out;
	if (!parse_transforms(list, &p)) {
		cc_invalid_input(vty, cc_column(args, TS_LIST_WORD,
						p.bad_offset));
		goto out;
	}
	if (!cc_begin(&t, vty))
		goto out;
	cc_del(&t, TS_XPATH "/transform", name);
	cc_del(&t, TS_XPATH "/key-size", name);
	for (i = 0; i < p.count; i++)
		cc_set(&t, p.names[i], TS_XPATH "/transform", name);
	if (p.key_size)
		cc_set(&t, p.key_size, TS_XPATH "/key-size", name);
	ret = cc_commit(&t);
	if (ret != CMD_SUCCESS)
		goto out;
	snprintf(xpath, sizeof(xpath), TS_XPATH, name);
	vty_enter_mode(vty, MODE_CRYPTO_TRANS, xpath);
out:
	free(list);
	return ret;
}

static enum cmd_result
no_transform_set(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	if (cc_exists(&t, CC_M "crypto/map/entry[transform-set='%s']", name) ||
	    cc_exists(&t, CC_M "crypto/ipsec/profile[transform-set='%s']",
		      name)) {
		cc_abort(&t);
		vty_out(vty, "%% Transform set %s is in use; remove it from "
			"the crypto maps and profiles first\n", name);
		return CMD_WARNING;
	}
	cc_del(&t, TS_XPATH, name);
	return cc_commit(&t);
}

static enum cmd_result
mode(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "mode", cmd_arg(args, "mode"));
}

static enum cmd_result
no_mode(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "mode");
}

static enum cmd_result
profile(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char xpath[VTY_XPATH_MAX];
	struct cc_txn t;
	enum cmd_result ret;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, NULL, PROFILE_XPATH, name);
	ret = cc_commit(&t);
	if (ret != CMD_SUCCESS)
		return ret;
	snprintf(xpath, sizeof(xpath), PROFILE_XPATH, name);
	vty_enter_mode(vty, MODE_IPSEC_PROFILE, xpath);
	return CMD_SUCCESS;
}

static enum cmd_result
no_profile(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, PROFILE_XPATH, name);
	return cc_commit(&t);
}

/* set transform-set NAME...: replaces the list, in the given order. */
static enum cmd_result
set_transform_set(struct vty *vty, const struct cmd_args *args)
{
	static const char *const slots[] = {
		"ts1", "ts2", "ts3", "ts4", "ts5", "ts6",
	};
	const char *here = vty_xpath(vty);
	bool manual = cc_editing_manual_entry(vty);
	struct cc_txn t;
	size_t i;

	if (manual && cmd_arg(args, "ts2")) {
		vty_out(vty, "%% Only one transform set is allowed in a "
			"manual crypto map entry\n");
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/transform-set", here);
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		const char *ts = cmd_arg(args, slots[i]);

		if (!ts)
			break;
		if (!cc_name_ok(vty, ts))
			return cc_abort(&t);
		/* IOS keeps the name, and uses the set once it exists. */
		if (!cc_exists(&t, TS_XPATH, ts))
			vty_out(vty, "%% Warning: transform set %s does not "
				"exist yet\n", ts);
		cc_set(&t, ts, "%s/transform-set", here);
	}
	return cc_commit(&t);
}

static enum cmd_result
set_pfs(struct vty *vty, const struct cmd_args *args)
{
	/* "group14" is stored as the group number. */
	return cc_set_here(vty, "pfs-group", cmd_arg(args, "group") + 5);
}

static enum cmd_result
set_lifetime(struct vty *vty, const struct cmd_args *args)
{
	if (cmd_arg(args, "seconds"))
		return cc_set_here(vty, "lifetime-seconds",
				   cmd_arg(args, "seconds"));
	return cc_set_here(vty, "lifetime-kilobytes",
			   cmd_arg(args, "kilobytes"));
}

static enum cmd_result
set_profile_name(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	return cc_set_here(vty, cmd_arg(args, "kind"), name);
}

/* no set transform-set|pfs|isakmp-profile|ikev2-profile|... */
static enum cmd_result
no_set(struct vty *vty, const struct cmd_args *args)
{
	const char *what = cmd_arg(args, "what");

	if (!strcmp(what, "pfs"))
		return cc_del_here(vty, "pfs-group");
	if (!strcmp(what, "security-association")) {
		return cc_del_here(vty, strcmp(cmd_arg(args, "unit"), "seconds") ?
				   "lifetime-kilobytes" : "lifetime-seconds");
	}
	return cc_del_here(vty, what);
}

#define H_NO "Negate a command or set its defaults\n"
#define H_CRYPTO "Encryption module\n"
#define H_IPSEC "Configure IPSEC policy\n"
#define H_TS "Define transform and settings\n"

static const struct cmd_def cmd_transform_set = {
	.syntax = "crypto ipsec transform-set WORD$name LINE$transforms",
	.help = H_CRYPTO H_IPSEC H_TS "Transform set tag\n"
		"Transforms, e.g. esp-aes 256 esp-sha-hmac",
	.fn = transform_set,
};

static const struct cmd_def cmd_no_transform_set = {
	.syntax = "no crypto ipsec transform-set WORD$name [LINE]",
	.help = H_NO H_CRYPTO H_IPSEC H_TS "Transform set tag\nTransforms",
	.fn = no_transform_set,
};

static const struct cmd_def cmd_mode = {
	.syntax = "mode (tunnel|transport)$mode",
	.help = "encapsulation mode (transport/tunnel)\n"
		"tunnel (datagram encapsulation) mode\n"
		"transport (payload encapsulation) mode",
	.fn = mode,
};

static const struct cmd_def cmd_no_mode = {
	.syntax = "no mode [(tunnel|transport)]",
	.help = H_NO "encapsulation mode (transport/tunnel)\n"
		"tunnel (datagram encapsulation) mode\n"
		"transport (payload encapsulation) mode",
	.fn = no_mode,
};

static const struct cmd_def cmd_profile = {
	.syntax = "crypto ipsec profile WORD$name",
	.help = H_CRYPTO H_IPSEC "Configure an ipsec policy profile\n"
		"Profile name",
	.fn = profile,
};

static const struct cmd_def cmd_no_profile = {
	.syntax = "no crypto ipsec profile WORD$name",
	.help = H_NO H_CRYPTO H_IPSEC "Configure an ipsec policy profile\n"
		"Profile name",
	.fn = no_profile,
};

#define H_SET "Set values for encryption/decryption\n"

static const struct cmd_def cmd_set_transform_set = {
	.syntax = "set transform-set WORD$ts1 [WORD$ts2 [WORD$ts3 [WORD$ts4 "
		  "[WORD$ts5 [WORD$ts6]]]]]",
	.help = H_SET "Specify list of transform sets in priority order\n"
		"Proposal tag\nProposal tag\nProposal tag\nProposal tag\n"
		"Proposal tag\nProposal tag",
	.fn = set_transform_set,
};

static const struct cmd_def cmd_set_pfs = {
	.syntax = "set pfs (group1|group2|group5|group14|group15|group16|"
		  "group19|group20|group21|group24)$group",
	.help = H_SET "Specify pfs settings\n"
		"D-H Group1 (768-bit modulus) exchange.\n"
		"D-H Group2 (1024-bit modulus) exchange.\n"
		"D-H Group5 (1536-bit modulus) exchange.\n"
		"D-H Group14 (2048-bit modulus) exchange.\n"
		"D-H Group15 (3072-bit modulus) exchange.\n"
		"D-H Group16 (4096-bit modulus) exchange.\n"
		"D-H Group19 (256-bit elliptic curve) exchange.\n"
		"D-H Group20 (384-bit elliptic curve) exchange.\n"
		"D-H Group21 (521-bit elliptic curve) exchange.\n"
		"D-H Group24 (2048-bit modulus & 256-bit subgroup) exchange.",
	.fn = set_pfs,
};

#define H_SA "Security association parameters\n" \
	"Security association duration\n"

static const struct cmd_def cmd_set_lifetime_seconds = {
	.syntax = "set security-association lifetime seconds "
		  "<120-2592000>$seconds",
	.help = H_SET H_SA "Specify lifetime in seconds\nSeconds",
	.fn = set_lifetime,
};

static const struct cmd_def cmd_set_lifetime_kilobytes = {
	.syntax = "set security-association lifetime kilobytes "
		  "<2560-4294967295>$kilobytes",
	.help = H_SET H_SA "Specify lifetime in kilobytes\nKilobytes",
	.fn = set_lifetime,
};

static const struct cmd_def cmd_set_profile_name = {
	.syntax = "set (isakmp-profile|ikev2-profile)$kind WORD$name",
	.help = H_SET "Specify isakmp Profile\nSpecify ikev2 Profile\n"
		"Profile name",
	.fn = set_profile_name,
};

static const struct cmd_def cmd_no_set = {
	.syntax = "no set (transform-set|pfs|isakmp-profile|ikev2-profile)$what "
		  "[LINE]",
	.help = H_NO H_SET "Specify list of transform sets in priority order\n"
		"Specify pfs settings\nSpecify isakmp Profile\n"
		"Specify ikev2 Profile\nCurrent value",
	.fn = no_set,
};

static const struct cmd_def cmd_no_set_lifetime = {
	.syntax = "no set security-association$what lifetime "
		  "(seconds|kilobytes)$unit [LINE]",
	.help = H_NO H_SET H_SA "Specify lifetime in seconds\n"
		"Specify lifetime in kilobytes\nCurrent value",
	.fn = no_set,
};

/* `set` commands of both crypto ipsec profiles and crypto map entries. */
void
cc_install_sa_settings(enum cmd_mode mode)
{
	cmd_install(mode, &cmd_set_transform_set);
	cmd_install(mode, &cmd_set_pfs);
	cmd_install(mode, &cmd_set_lifetime_seconds);
	cmd_install(mode, &cmd_set_lifetime_kilobytes);
	cmd_install(mode, &cmd_set_profile_name);
	cmd_install(mode, &cmd_no_set);
	cmd_install(mode, &cmd_no_set_lifetime);
}

void
cc_install_ipsec(void)
{
	cmd_install(MODE_CONFIG, &cmd_transform_set);
	cmd_install(MODE_CONFIG, &cmd_no_transform_set);
	cmd_install(MODE_CRYPTO_TRANS, &cmd_mode);
	cmd_install(MODE_CRYPTO_TRANS, &cmd_no_mode);
	cmd_install(MODE_CONFIG, &cmd_profile);
	cmd_install(MODE_CONFIG, &cmd_no_profile);
	cc_install_sa_settings(MODE_IPSEC_PROFILE);
}
