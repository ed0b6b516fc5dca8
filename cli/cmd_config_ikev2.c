/*
 * IKEv2: crypto ikev2 proposal, policy, keyring (with its peer blocks)
 * and profile, their sub-mode commands, crypto ikev2 dpd, crypto ikev2
 * cookie-challenge and crypto ikev2 fragmentation. Names that
 * one object gives another (a policy's proposal, a profile's keyring) are
 * kept even when that object does not exist yet, as IOS does.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"
#include "core/config.h"

#define IKEV2 CC_M "crypto/ikev2/"

/* Opens entry NAME of LIST (under crypto/ikev2) and enters MODE on it. */
static enum cmd_result
enter(struct vty *vty, enum cmd_mode mode, const char *list,
      const char *name)
{
	char xpath[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	/* "peer B" typed in the block of peer A opens a sibling. */
	if (vty_mode(vty) == MODE_IKEV2_KEYRING_PEER)
		vty_exit_mode(vty);
	if (mode == MODE_IKEV2_KEYRING_PEER)
		snprintf(xpath, sizeof(xpath), "%s/peer[name='%s']",
			 vty_xpath(vty), name);
	else
		snprintf(xpath, sizeof(xpath), IKEV2 "%s[name='%s']", list,
			 name);
	return cc_enter(vty, mode, xpath);
}

static enum cmd_result
proposal(struct vty *vty, const struct cmd_args *args)
{
	return enter(vty, MODE_IKEV2_PROPOSAL, "proposal",
		     cmd_arg(args, "name"));
}

static enum cmd_result
policy(struct vty *vty, const struct cmd_args *args)
{
	return enter(vty, MODE_IKEV2_POLICY, "policy", cmd_arg(args, "name"));
}

static enum cmd_result
keyring(struct vty *vty, const struct cmd_args *args)
{
	return enter(vty, MODE_IKEV2_KEYRING, "keyring",
		     cmd_arg(args, "name"));
}

static enum cmd_result
profile(struct vty *vty, const struct cmd_args *args)
{
	return enter(vty, MODE_IKEV2_PROFILE, "profile",
		     cmd_arg(args, "name"));
}

static enum cmd_result
peer(struct vty *vty, const struct cmd_args *args)
{
	return enter(vty, MODE_IKEV2_KEYRING_PEER, NULL,
		     cmd_arg(args, "name"));
}

static enum cmd_result
no_object(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char xpath[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), IKEV2 "%s[name='%s']",
		 cmd_arg(args, "kind"), name);
	return cc_delete(vty, xpath);
}

/*
 * Replaces leaf-list LEAF of the edited node with the words of LINE, so
 * that "encryption aes-cbc-256 aes-cbc-128" keeps both in order.
 */
static enum cmd_result
set_words(struct vty *vty, const char *leaf, const char *line)
{
	char copy[256], *word, *save = NULL;
	struct cc_txn t;

	snprintf(copy, sizeof(copy), "%s", line);
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/%s", vty_xpath(vty), leaf);
	for (word = strtok_r(copy, " ", &save); word;
	     word = strtok_r(NULL, " ", &save)) {
		if (!cc_name_ok(vty, word))
			return cc_abort(&t);
		cc_set(&t, word, "%s/%s", vty_xpath(vty), leaf);
	}
	return cc_commit(&t);
}

/* encryption|integrity|prf|group ALG... in a proposal. */
static enum cmd_result
proposal_list(struct vty *vty, const struct cmd_args *args)
{
	return set_words(vty, cmd_arg(args, "leaf"), cmd_arg(args, "algs"));
}

static enum cmd_result
no_leaf(struct vty *vty, const struct cmd_args *args)
{
	return cc_del_here(vty, cmd_arg(args, "leaf"));
}

/* Appends VALUE to leaf-list LEAF of the edited node. */
static enum cmd_result
add_value(struct vty *vty, const char *leaf, const char *value)
{
	struct cc_txn t;

	if (!cc_name_ok(vty, value) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, value, "%s/%s", vty_xpath(vty), leaf);
	return cc_commit(&t);
}

/* Removes VALUE from leaf-list LEAF of the edited node, if it is there. */
static enum cmd_result
del_value(struct vty *vty, const char *leaf, const char *value)
{
	struct cc_txn t;

	if (!cc_name_ok(vty, value) || !cc_begin(&t, vty))
		return CMD_WARNING;
	if (cc_exists(&t, "%s/%s[.='%s']", vty_xpath(vty), leaf, value))
		cc_del(&t, "%s/%s[.='%s']", vty_xpath(vty), leaf, value);
	return cc_commit(&t);
}

static enum cmd_result
no_policy_proposal(struct vty *vty, const struct cmd_args *args)
{
	return del_value(vty, "proposal", cmd_arg(args, "name"));
}

static enum cmd_result
no_match_fvrf(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "match-fvrf");
}

/*
 * Writes the value of match address local (an address, or "interface"
 * and the full interface name) into VALUE. Prints the caret under an
 * unknown interface name and returns false.
 */
static bool
address_local_value(struct vty *vty, const struct cmd_args *args,
		    char *value, size_t len)
{
	const char *ifname = cmd_arg(args, "ifname");
	char full[64];

	if (ifname == NULL) {
		snprintf(value, len, "%s", cmd_arg(args, "address"));
		return true;
	}
	if (!cc_ifname(ifname, NULL, full, sizeof(full))) {
		/* The interface name is the last word. */
		cc_invalid_input(vty, cc_column(args, cmd_argc(args) - 1, 0));
		return false;
	}
	snprintf(value, len, "interface %s", full);
	return true;
}


static enum cmd_result
policy_proposal(struct vty *vty, const struct cmd_args *args)
{
	return add_value(vty, "proposal", cmd_arg(args, "name"));
}

static enum cmd_result
match_fvrf(struct vty *vty, const struct cmd_args *args)
{
	const char *vrf = cmd_arg(args, "vrf");

	if (!cc_name_ok(vty, vrf))
		return CMD_WARNING;
	return cc_set_here(vty, "match-fvrf", vrf);
}

/* [no] match address local ADDRESS|interface NAME. */
static enum cmd_result
match_address_local(struct vty *vty, const struct cmd_args *args)
{
	char value[96];

	if (!address_local_value(vty, args, value, sizeof(value)))
		return CMD_WARNING;
	if (cmd_has(args, "no"))
		return del_value(vty, "match-address-local", value);
	return add_value(vty, "match-address-local", value);
}

/* Sets leaf LEAF of the edited node to the text of argument "value". */
static enum cmd_result
set_text(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, cmd_arg(args, "leaf"), cmd_arg(args, "value"));
}

static enum cmd_result
lifetime(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "lifetime", cmd_arg(args, "value"));
}

static enum cmd_result
peer_address(struct vty *vty, const struct cmd_args *args)
{
	const char *mask = cmd_arg(args, "mask");
	char value[64];

	snprintf(value, sizeof(value), "%s%s%s", cmd_arg(args, "address"),
		 mask ? " " : "", mask ? mask : "");
	return cc_set_here(vty, "address", value);
}

static enum cmd_result
peer_identity(struct vty *vty, const struct cmd_args *args)
{
	char value[160];

	snprintf(value, sizeof(value), "%s %s", cmd_arg(args, "kind"),
		 cmd_arg(args, "value"));
	return cc_set_here(vty, "identity", value);
}

static enum cmd_result
peer_psk(struct vty *vty, const struct cmd_args *args)
{
	const char *dir = cmd_arg(args, "dir");
	char clear[CFG_SECRET_MAX + 1];
	enum cmd_result rc;

	if (!cc_secret_text(vty, cmd_arg(args, "type"), cmd_arg(args, "key"),
			    clear, sizeof(clear)))
		return CMD_WARNING;
	rc = cc_set_here(vty, !dir ? "pre-shared-key" :
			 !strcmp(dir, "local") ? "pre-shared-key-local" :
						 "pre-shared-key-remote",
			 clear);
	OPENSSL_cleanse(clear, sizeof(clear));
	return rc;
}

/*
 * Writes KIND and the words of VALUE, one blank apart, into OUT: IOS
 * reads the identity as words, so "10.1.1.1  255.255.255.0" with two
 * blanks is the same entry as with one.
 */
static void
identity_words(const char *kind, const char *value, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "%s", kind);
	const char *p = value;
	size_t w;

	while (n < len) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		w = strcspn(p, " \t");
		n += (size_t)snprintf(out + n, len - n, " %.*s", (int)w, p);
		p += w;
	}
}

/* [no] match identity remote KIND VALUE: the no form removes that entry. */
static enum cmd_result
match_remote(struct vty *vty, const struct cmd_args *args)
{
	char value[200];

	identity_words(cmd_arg(args, "kind"), cmd_arg(args, "value"), value,
		       sizeof(value));
	if (cmd_has(args, "no"))
		return del_value(vty, "match-identity-remote", value);
	return add_value(vty, "match-identity-remote", value);
}

static enum cmd_result
identity_local(struct vty *vty, const struct cmd_args *args)
{
	const char *value = cmd_arg(args, "value");
	char text[160];

	snprintf(text, sizeof(text), "%s%s%s", cmd_arg(args, "kind"),
		 value ? " " : "", value ? value : "");
	return cc_set_here(vty, "identity-local", text);
}

/*
 * [no] authentication SIDE METHOD: the no form removes METHOD, or every
 * method of SIDE when none is given.
 */
static enum cmd_result
authentication(struct vty *vty, const struct cmd_args *args)
{
	const char *method = cmd_arg(args, "method");
	char leaf[32];

	snprintf(leaf, sizeof(leaf), "authentication-%s",
		 cmd_arg(args, "side"));
	if (!cmd_has(args, "no"))
		return add_value(vty, leaf, method);
	if (method == NULL)
		return cc_del_here(vty, leaf);
	return del_value(vty, leaf, method);
}

static enum cmd_result
keyring_local(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	return cc_set_here(vty, "keyring-local", name);
}

/* dpd INTERVAL RETRY MODE, in a profile or globally. */
static enum cmd_result
dpd(struct vty *vty, const struct cmd_args *args)
{
	char base[VTY_XPATH_MAX];
	struct cc_txn t;

	if (vty_mode(vty) == MODE_IKEV2_PROFILE)
		snprintf(base, sizeof(base), "%s/dpd", vty_xpath(vty));
	else
		snprintf(base, sizeof(base), IKEV2 "dpd");
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s", base);
	if (!cmd_has(args, "no")) {
		cc_set(&t, cmd_arg(args, "interval"), "%s/interval", base);
		cc_set(&t, cmd_arg(args, "retry"), "%s/retry", base);
		cc_set(&t, cmd_arg(args, "mode"), "%s/mode", base);
	}
	return cc_commit(&t);
}

/* crypto ikev2 cookie-challenge N */
static enum cmd_result
cookie_challenge(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no"))
		cc_del(&t, IKEV2 "cookie-challenge");
	else
		cc_set(&t, cmd_arg(args, "n"), IKEV2 "cookie-challenge");
	return cc_commit(&t);
}

/* crypto ikev2 fragmentation [mtu N] */
static enum cmd_result
fragmentation(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, IKEV2 "fragmentation");
	if (cmd_has(args, "no"))
		return cc_commit(&t);
	if (cmd_arg(args, "mtu") != NULL)
		cc_set(&t, cmd_arg(args, "mtu"), IKEV2 "fragmentation/mtu");
	else
		cc_set(&t, NULL, IKEV2 "fragmentation");
	return cc_commit(&t);
}

#define H_NO "Negate a command or set its defaults\n"
#define H_IKEV2 "Encryption module\nConfigure IKEv2 Options\n"
#define H_OBJ "Define IKEV2 proposals\nDefine IKEV2 policies\n" \
	"Define IKEv2 Keyrings\nDefine IKEv2 profiles\nName"
#define H_DPD "Enable IKE liveness check for peers\n" \
	"DPD retry interval in seconds\nDPD retry count\n" \
	"Send probe if there is no incoming data traffic\n" \
	"Send probe periodically"

static const struct cmd_def defs_config[] = {
	{ "crypto ikev2 proposal WORD$name", H_IKEV2
	  "Define IKEV2 proposals\nProposal name", proposal, 0, 0 },
	{ "crypto ikev2 policy WORD$name", H_IKEV2
	  "Define IKEV2 policies\nPolicy name", policy, 0, 0 },
	{ "crypto ikev2 keyring WORD$name", H_IKEV2
	  "Define IKEv2 Keyrings\nKeyring name", keyring, 0, 0 },
	{ "crypto ikev2 profile WORD$name", H_IKEV2
	  "Define IKEv2 profiles\nProfile name", profile, 0, 0 },
	{ "no crypto ikev2 (proposal|policy|keyring|profile)$kind WORD$name",
	  H_NO H_IKEV2 H_OBJ, no_object, 0, 0 },
	{ "crypto ikev2 dpd <10-3600>$interval <2-60>$retry "
	  "(on-demand|periodic)$mode", H_IKEV2 H_DPD, dpd, 0, 0 },
	{ "no$no crypto ikev2 dpd [LINE]", H_NO H_IKEV2
	  "Enable IKE liveness check for peers\nValues", dpd, 0, 0 },
	{ "crypto ikev2 cookie-challenge <1-1000>$n", H_IKEV2
	  "Enable cookie challenge\nHalf-open IKEv2 SAs above which "
	  "IKE_SA_INIT is challenged",
	  cookie_challenge, 0, 0 },
	{ "no$no crypto ikev2 cookie-challenge [LINE]", H_NO H_IKEV2
	  "Enable cookie challenge\nValues", cookie_challenge, 0, 0 },
	{ "crypto ikev2 fragmentation [mtu <68-1500>$mtu]", H_IKEV2
	  "Enable IKEv2 fragmentation\nSet the MTU of IKEv2 fragments\n"
	  "Largest IP datagram of a fragment in octets (default 576)",
	  fragmentation, 0, 0 },
	{ "no$no crypto ikev2 fragmentation [LINE]", H_NO H_IKEV2
	  "Enable IKEv2 fragmentation\nValues", fragmentation, 0, 0 },
};

static const struct cmd_def defs_proposal[] = {
	{ "(encryption|integrity|prf|group)$leaf LINE$algs",
	  "Set encryption algorithm(s)\nSet integrity hash algorithm(s)\n"
	  "Set pseudo-random function algorithm(s)\n"
	  "Set the Diffie-Hellman group(s)\nAlgorithms or groups",
	  proposal_list, 0, 0 },
	{ "no (encryption|integrity|prf|group)$leaf [LINE]", H_NO
	  "Set encryption algorithm(s)\nSet integrity hash algorithm(s)\n"
	  "Set pseudo-random function algorithm(s)\n"
	  "Set the Diffie-Hellman group(s)\nAlgorithms or groups",
	  no_leaf, 0, 0 },
};

static const struct cmd_def defs_policy[] = {
	{ "proposal WORD$name", "Specify Proposal\nProposal name",
	  policy_proposal, 0, 0 },
	{ "match fvrf WORD$vrf", "Match values of local or remote peer\n"
	  "Match a front-door VRF\nVRF name or any", match_fvrf, 0, 0 },
	{ "match address local A.B.C.D$address",
	  "Match values of local or remote peer\nLocal address\n"
	  "Local address\nIP address", match_address_local, 0, 0 },
	{ "no proposal WORD$name", H_NO "Specify Proposal\nProposal name",
	  no_policy_proposal, 0, 0 },
	{ "no match fvrf [WORD]", H_NO "Match values of local or remote "
	  "peer\nMatch a front-door VRF\nVRF name or any", no_match_fvrf,
	  0, 0 },
	{ "no$no match address local A.B.C.D$address", H_NO
	  "Match values of local or remote peer\nLocal address\n"
	  "Local address\nIP address", match_address_local, 0, 0 },
};

static const struct cmd_def defs_keyring[] = {
	{ "peer WORD$name", "Configure a Peer and associated keys\nPeer name",
	  peer, 0, 0 },
};

static const struct cmd_def defs_peer[] = {
	{ "address A.B.C.D$address [A.B.C.D$mask]", "IP address of peer\n"
	  "IPv4 address\nMask", peer_address, 0, 0 },
	{ "(hostname|description)$leaf LINE$value",
	  "Hostname of peer\nSpecify a description of this peer\nText",
	  set_text, 0, 0 },
	{ "identity (address|fqdn|email|key-id)$kind WORD$value",
	  "Identity of peer\nIP address\nFully qualified domain name\n"
	  "Email\nKey id\nValue", peer_identity, 0, 0 },
	{ "pre-shared-key [(local|remote)$dir] [(0|6|7)$type] LINE$key",
	  "Configure pre-shared key\nLocal key\nRemote key\n"
	  CC_HELP_SECRET_TYPES "The key",
	  peer_psk, 0, 0 },
	{ "no (address|hostname|description|identity|pre-shared-key)$leaf "
	  "[LINE]", H_NO "IP address of peer\nHostname of peer\nDescription"
	  "\nIdentity of peer\nPre-shared key\nValue", no_leaf, 0, 0 },
};

static const struct cmd_def defs_profile[] = {
	{ "match identity remote (address|fqdn|email|key-id)$kind LINE$value",
	  "Match values of peer\nPeer identity\nRemote identity\n"
	  "IP address\nFully qualified domain name\nEmail\nKey id\nValue",
	  match_remote, 0, 0 },
	{ "match fvrf WORD$vrf", "Match values of peer\n"
	  "Match a front-door VRF\nVRF name or any", match_fvrf, 0, 0 },
	{ "match address local A.B.C.D$address",
	  "Match values of peer\nLocal address\nLocal address\nIP address",
	  match_address_local, 0, 0 },
	{ "match address local interface WORD$ifname",
	  "Match values of peer\nLocal address\nLocal address\n"
	  "Interface\nInterface name", match_address_local, 0, 0 },
	{ "identity local (address|fqdn|email|key-id|dn)$kind [WORD$value]",
	  "Specify the identity\nLocal identity\nIP address\n"
	  "Fully qualified domain name\nEmail\nKey id\nDistinguished name\n"
	  "Value", identity_local, 0, 0 },
	{ "authentication (local|remote)$side "
	  "(pre-share|rsa-sig|ecdsa-sig)$method",
	  "Set authentication method\nLocal\nRemote\nPre-Shared Key\n"
	  "RSA signature\nECDSA signature", authentication, 0, 0 },
	{ "keyring local WORD$name", "Specify keyring\nLocal keyring\n"
	  "Keyring name", keyring_local, 0, 0 },
	{ "lifetime <120-86400>$value", "Specify lifetime for IKE SAs\n"
	  "Lifetime in seconds", lifetime, 0, 0 },
	{ "dpd <10-3600>$interval <2-60>$retry (on-demand|periodic)$mode",
	  H_DPD, dpd, 0, 0 },
	{ "(description|ivrf|virtual-template)$leaf WORD$value",
	  "Specify a description of this profile\nInside VRF\n"
	  "Virtual template to clone\nValue", set_text, 0, 0 },
	{ "no (description|identity-local|keyring-local|lifetime|"
	  "dpd|ivrf|virtual-template)$leaf [LINE]", H_NO
	  "Description\nLocal identity\nKeyring\nLifetime\n"
	  "DPD\nInside VRF\nVirtual template\nValue", no_leaf, 0, 0 },
	{ "no$no match identity remote (address|fqdn|email|key-id)$kind "
	  "LINE$value", H_NO "Match values of peer\nPeer identity\n"
	  "Remote identity\nIP address\nFully qualified domain name\n"
	  "Email\nKey id\nValue", match_remote, 0, 0 },
	{ "no match fvrf [WORD]", H_NO "Match values of peer\n"
	  "Match a front-door VRF\nVRF name or any", no_match_fvrf, 0, 0 },
	{ "no$no match address local A.B.C.D$address", H_NO
	  "Match values of peer\nLocal address\nLocal address\n"
	  "IP address", match_address_local, 0, 0 },
	{ "no$no match address local interface WORD$ifname", H_NO
	  "Match values of peer\nLocal address\nLocal address\n"
	  "Interface\nInterface name", match_address_local, 0, 0 },
	{ "no$no authentication (local|remote)$side "
	  "[(pre-share|rsa-sig|ecdsa-sig)$method]", H_NO
	  "Set authentication method\nLocal\nRemote\nPre-Shared Key\n"
	  "RSA signature\nECDSA signature", authentication, 0, 0 },
};

void
cc_install_ikev2(void)
{
	CC_INSTALL(MODE_CONFIG, defs_config);
	CC_INSTALL(MODE_IKEV2_PROPOSAL, defs_proposal);
	CC_INSTALL(MODE_IKEV2_POLICY, defs_policy);
	CC_INSTALL(MODE_IKEV2_KEYRING, defs_keyring);
	CC_INSTALL(MODE_IKEV2_KEYRING_PEER, defs_peer);
	CC_INSTALL(MODE_IKEV2_PROFILE, defs_profile);
}
