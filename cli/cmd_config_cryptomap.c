/*
 * crypto map NAME SEQ [ipsec-isakmp [dynamic NAME] | ipsec-manual] and
 * the (config-crypto-map) commands: peers, match address, manual session
 * keys, reverse-route and description. The `set` commands shared with
 * ipsec profiles are in cmd_config_ipsec.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"

#define MAP_XPATH CC_M "crypto/map[name='%s']"
#define ENTRY_XPATH MAP_XPATH "/entry[sequence='%s']"
#define DYN_XPATH CC_M "crypto/dynamic-map[name='%s']"

bool
cc_editing_manual_entry(struct vty *vty)
{
	const char *type;
	struct cc_txn t;
	bool manual;

	/* The candidate, not the running tree: a file load batches lines. */
	if (vty_mode(vty) != MODE_CRYPTO_MAP || !cc_begin(&t, vty))
		return false;
	type = cc_get(&t, "%s/type", vty_xpath(vty));
	manual = type && !strcmp(type, "ipsec-manual");
	cc_abort(&t);
	return manual;
}

static enum cmd_result
map_entry(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const char *seq = cmd_arg(args, "seq");
	const char *type = cmd_arg(args, "type");
	const char *dyn = cmd_arg(args, "dynamic");
	const char *old_type;
	char xpath[VTY_XPATH_MAX];
	struct cc_txn t;
	enum cmd_result ret;
	bool created;

	if (!cc_name_ok(vty, name) || (dyn && !cc_name_ok(vty, dyn)))
		return CMD_WARNING;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	/* Every entry has its type set, so its absence means a new entry. */
	old_type = cc_get(&t, ENTRY_XPATH "/type", name, seq);
	created = !old_type;
	if (!type)
		type = old_type ? old_type : "ipsec-isakmp";
	if (!created && strcmp(old_type, type)) {
		cc_abort(&t);
		vty_out(vty, "%% Crypto map %s %s is of type %s; remove it "
			"first to change its type\n", name, seq, old_type);
		return CMD_WARNING;
	}
	cc_set(&t, type, ENTRY_XPATH "/type", name, seq);
	if (dyn)
		cc_set(&t, dyn, ENTRY_XPATH "/dynamic", name, seq);
	ret = cc_commit(&t);
	if (ret != CMD_SUCCESS || dyn)
		return ret;
	if (created) {
		vty_out(vty, "%% NOTE: This new crypto map will remain disabled "
			"until a peer\n        and a valid access list have "
			"been configured.\n");
	}
	snprintf(xpath, sizeof(xpath), ENTRY_XPATH, name, seq);
	vty_enter_mode(vty, MODE_CRYPTO_MAP, xpath);
	return CMD_SUCCESS;
}

static enum cmd_result
dynamic_map(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const char *seq = cmd_arg(args, "seq");
	char xpath[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), DYN_XPATH "/entry[sequence='%s']",
		 name, seq);
	return cc_enter(vty, MODE_CRYPTO_MAP, xpath);
}

static enum cmd_result
no_dynamic_map(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const char *seq = cmd_arg(args, "seq");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	if (seq)
		cc_del(&t, DYN_XPATH "/entry[sequence='%s']", name, seq);
	else
		cc_del(&t, DYN_XPATH, name);
	return cc_commit(&t);
}

/* crypto map NAME local-address|redundancy|client ...|isakmp ... */
static enum cmd_result
map_option(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const char *leaf = cmd_arg(args, "leaf");
	const char *value = cmd_arg(args, "value");
	char ifname[64];
	struct cc_txn t;

	if (cmd_has(args, "authorization"))
		leaf = "isakmp-authorization-list";
	else if (cmd_has(args, "authentication"))
		leaf = "client-authentication-list";
	else if (cmd_has(args, "configuration"))
		leaf = "client-configuration-address";
	if (!cc_name_ok(vty, name) || (value && !cc_name_ok(vty, value)))
		return CMD_WARNING;
	if (!strcmp(leaf, "local-address") && value) {
		if (!cc_ifname(value, NULL, ifname, sizeof(ifname))) {
			cc_invalid_input(vty, cc_column(args, 4, 0));
			return CMD_WARNING;
		}
		value = ifname;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no"))
		cc_del(&t, MAP_XPATH "/%s", name, leaf);
	else
		cc_set(&t, value, MAP_XPATH "/%s", name, leaf);
	return cc_commit(&t);
}

static enum cmd_result
no_map(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const char *seq = cmd_arg(args, "seq");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	if (seq) {
		cc_del(&t, ENTRY_XPATH, name, seq);
		/* A map with no entries left is gone as well. */
		if (!cc_exists(&t, MAP_XPATH "/entry", name))
			cc_del(&t, MAP_XPATH, name);
	} else {
		cc_del(&t, MAP_XPATH, name);
	}
	return cc_commit(&t);
}

static enum cmd_result
set_peer(struct vty *vty, const struct cmd_args *args)
{
	const char *peer = cmd_arg(args, "peer");
	const char *here = vty_xpath(vty);
	bool manual = cc_editing_manual_entry(vty);
	struct cc_txn t;

	/* Asked before cc_begin(): a thread has one transaction at a time. */
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (manual) {
		/* A manual entry has one peer; a new one replaces it. */
		cc_del(&t, "%s/peer", here);
	}
	if (cmd_has(args, "default"))
		cc_set(&t, peer, "%s/default-peer", here);
	else
		cc_set(&t, peer, "%s/peer", here);
	return cc_commit(&t);
}

static enum cmd_result
no_set_peer(struct vty *vty, const struct cmd_args *args)
{
	const char *peer = cmd_arg(args, "peer");
	const char *here = vty_xpath(vty);
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (!peer) {
		cc_del(&t, "%s/peer", here);
		cc_del(&t, "%s/default-peer", here);
	} else {
		cc_del(&t, "%s/peer[.='%s']", here, peer);
		if (cc_exists(&t, "%s/default-peer[.='%s']", here, peer))
			cc_del(&t, "%s/default-peer", here);
	}
	return cc_commit(&t);
}

static enum cmd_result
match_address(struct vty *vty, const struct cmd_args *args)
{
	const char *acl = cmd_arg(args, "acl");

	if (!cc_name_ok(vty, acl))
		return CMD_WARNING;
	return cc_set_here(vty, "match-address", acl);
}

static enum cmd_result
no_match_address(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "match-address");
}

static enum cmd_result
reverse_route(struct vty *vty, const struct cmd_args *args)
{
	if (cmd_has(args, "no"))
		return cc_del_here(vty, "reverse-route");
	return cc_set_here(vty, "reverse-route", NULL);
}

static enum cmd_result
map_description(struct vty *vty, const struct cmd_args *args)
{
	if (cmd_has(args, "no"))
		return cc_del_here(vty, "description");
	return cc_set_here(vty, "description", cmd_arg(args, "text"));
}

/* Returns the hex digits of S after an optional 0x, or NULL if invalid. */
static const char *
hex_key(const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n == 0 || n % 2 || strspn(s, "0123456789abcdefABCDEF") != n)
		return NULL;
	return s;
}

static enum cmd_result
session_key(struct vty *vty, const struct cmd_args *args)
{
	const char *dir = cmd_arg(args, "dir");
	const char *cipher = cmd_arg(args, "cipher");
	const char *auth = cmd_arg(args, "auth");
	const char *here = vty_xpath(vty);
	struct cc_txn t;

	if (!cc_editing_manual_entry(vty)) {
		vty_out(vty, "%% set session-key is only valid in an "
			"ipsec-manual crypto map entry\n");
		return CMD_WARNING;
	}
	if ((cipher && !hex_key(cipher)) || (auth && !hex_key(auth))) {
		vty_out(vty, "%% Invalid key: give an even number of hex "
			"digits\n");
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/session-key/%s", here, dir);
	cc_set(&t, cmd_arg(args, "spi"), "%s/session-key/%s/esp/spi", here,
	       dir);
	if (cipher)
		cc_set(&t, hex_key(cipher), "%s/session-key/%s/esp/cipher",
		       here, dir);
	if (auth)
		cc_set(&t, hex_key(auth),
		       "%s/session-key/%s/esp/authenticator", here, dir);
	return cc_commit(&t);
}

static enum cmd_result
no_session_key(struct vty *vty, const struct cmd_args *args)
{
	char leaf[64];

	snprintf(leaf, sizeof(leaf), "session-key/%s", cmd_arg(args, "dir"));
	return cc_del_here(vty, leaf);
}

#define H_NO "Negate a command or set its defaults\n"
#define H_CRYPTO "Encryption module\n"
#define H_MAP "Enter a crypto map\nCrypto map tag\n" \
	"Sequence to insert into crypto map entry\n"
#define H_SET "Set values for encryption/decryption\n"

static const struct cmd_def cmd_map_entry = {
	.syntax = "crypto map WORD$name <1-65535>$seq "
		  "[(ipsec-isakmp|ipsec-manual)$type]",
	.help = H_CRYPTO H_MAP
		"IPSEC w/ISAKMP\nIPSEC w/manual keying",
	.fn = map_entry,
};

static const struct cmd_def cmd_map_dynamic = {
	.syntax = "crypto map WORD$name <1-65535>$seq ipsec-isakmp$type "
		  "dynamic WORD$dynamic",
	.help = H_CRYPTO H_MAP "IPSEC w/ISAKMP\n"
		"Enable dynamic crypto map support\nName of dynamic crypto map "
		"template",
	.fn = map_entry,
};

static const struct cmd_def map_defs[] = {
	{ "crypto dynamic-map WORD$name <1-65535>$seq", H_CRYPTO
	  "Enter a dynamic crypto map\nDynamic crypto map template tag\n"
	  "Sequence to insert into dynamic crypto map entry",
	  dynamic_map, 0, 0 },
	{ "no crypto dynamic-map WORD$name [<1-65535>$seq]", H_NO H_CRYPTO
	  "Enter a dynamic crypto map\nDynamic crypto map template tag\n"
	  "Sequence to insert into dynamic crypto map entry",
	  no_dynamic_map, 0, 0 },
	{ "[no$no] crypto map WORD$name local-address$leaf [WORD$value]",
	  H_NO H_CRYPTO "Enter a crypto map\nCrypto map tag\n"
	  "Interface to use for local address for this crypto map\n"
	  "Interface", map_option, 0, 0 },
	{ "[no$no] crypto map WORD$name redundancy$leaf [LINE$value]",
	  H_NO H_CRYPTO "Enter a crypto map\nCrypto map tag\n"
	  "High availability options for this map\nOptions, kept as given",
	  map_option, 0, 0 },
	{ "[no$no] crypto map WORD$name isakmp authorization list "
	  "[WORD$value]", H_NO H_CRYPTO "Enter a crypto map\nCrypto map tag\n"
	  "Specify isakmp configuration parameters\nIKE authorization\n"
	  "AAA authorization list\nList name", map_option, 0, 0 },
	{ "[no$no] crypto map WORD$name client authentication list "
	  "[WORD$value]", H_NO H_CRYPTO "Enter a crypto map\nCrypto map tag\n"
	  "Specify client configuration settings\nUser authentication\n"
	  "AAA authentication list\nList name", map_option, 0, 0 },
	{ "[no$no] crypto map WORD$name client configuration address "
	  "[(initiate|respond)$value]", H_NO H_CRYPTO "Enter a crypto map\n"
	  "Crypto map tag\nSpecify client configuration settings\n"
	  "Client configuration\nAddress assignment\nInitiate\nRespond",
	  map_option, 0, 0 },
};

static const struct cmd_def cmd_reverse_route_static = {
	.syntax = "reverse-route static",
	.help = "Reverse Route Injection\n"
		"Create routes even when no SA exists",
	.fn = reverse_route,
};

static const struct cmd_def cmd_no_map = {
	.syntax = "no crypto map WORD$name [<1-65535>$seq [LINE]]",
	.help = H_NO H_CRYPTO H_MAP "Rest of the entry",
	.fn = no_map,
};

static const struct cmd_def cmd_set_peer = {
	.syntax = "set peer A.B.C.D$peer [default$default]",
	.help = H_SET "Allowed Encryption/Decryption peer\nIP address of peer\n"
		"Set the default peer",
	.fn = set_peer,
};

static const struct cmd_def cmd_no_set_peer = {
	.syntax = "no set peer [A.B.C.D$peer [default]]",
	.help = H_NO H_SET "Allowed Encryption/Decryption peer\n"
		"IP address of peer\nSet the default peer",
	.fn = no_set_peer,
};

static const struct cmd_def cmd_match_address = {
	.syntax = "match address WORD$acl",
	.help = "Match values.\nMatch address of packets to encrypt.\n"
		"IP access-list number or name",
	.fn = match_address,
};

static const struct cmd_def cmd_no_match_address = {
	.syntax = "no match address [WORD]",
	.help = H_NO "Match values.\nMatch address of packets to encrypt.\n"
		"IP access-list number or name",
	.fn = no_match_address,
};

static const struct cmd_def cmd_reverse_route = {
	.syntax = "reverse-route",
	.help = "Reverse Route Injection.",
	.fn = reverse_route,
};

static const struct cmd_def cmd_no_reverse_route = {
	.syntax = "no$no reverse-route",
	.help = H_NO "Reverse Route Injection.",
	.fn = reverse_route,
};

static const struct cmd_def cmd_description = {
	.syntax = "description LINE$text",
	.help = "Description of the crypto map statement policy\n"
		"Up to 80 characters describing this crypto map entry",
	.fn = map_description,
	.flags = CMD_NO_PIPE,
};

static const struct cmd_def cmd_no_description = {
	.syntax = "no$no description [LINE]",
	.help = H_NO "Description of the crypto map statement policy\n"
		"Up to 80 characters describing this crypto map entry",
	.fn = map_description,
	.flags = CMD_NO_PIPE,
};

#define H_SK "Specify session key\nSpecify inbound key\n" \
	"Specify outbound key\nSpecify ESP\nSPI\n"

static const struct cmd_def cmd_session_key_cipher = {
	.syntax = "set session-key (inbound|outbound)$dir esp "
		  "<256-4294967295>$spi cipher HEX$cipher "
		  "[authenticator HEX$auth]",
	.help = H_SET H_SK "Specify cipher key\nCipher key\n"
		"Specify authenticator key\nAuthenticator key",
	.fn = session_key,
};

static const struct cmd_def cmd_session_key_auth = {
	.syntax = "set session-key (inbound|outbound)$dir esp "
		  "<256-4294967295>$spi authenticator HEX$auth",
	.help = H_SET H_SK "Specify authenticator key\nAuthenticator key",
	.fn = session_key,
};

static const struct cmd_def cmd_no_session_key = {
	.syntax = "no set session-key (inbound|outbound)$dir [esp [LINE]]",
	.help = H_NO H_SET "Specify session key\nSpecify inbound key\n"
		"Specify outbound key\nSpecify ESP\nRest of the key",
	.fn = no_session_key,
};

void
cc_install_cryptomap(void)
{
	cmd_install(MODE_CONFIG, &cmd_map_entry);
	cmd_install(MODE_CONFIG, &cmd_map_dynamic);
	CC_INSTALL(MODE_CONFIG, map_defs);
	cmd_install(MODE_CONFIG, &cmd_no_map);
	cmd_install(MODE_CRYPTO_MAP, &cmd_set_peer);
	cmd_install(MODE_CRYPTO_MAP, &cmd_no_set_peer);
	cmd_install(MODE_CRYPTO_MAP, &cmd_match_address);
	cmd_install(MODE_CRYPTO_MAP, &cmd_no_match_address);
	cmd_install(MODE_CRYPTO_MAP, &cmd_reverse_route);
	cmd_install(MODE_CRYPTO_MAP, &cmd_reverse_route_static);
	cmd_install(MODE_CRYPTO_MAP, &cmd_no_reverse_route);
	cmd_install(MODE_CRYPTO_MAP, &cmd_description);
	cmd_install(MODE_CRYPTO_MAP, &cmd_no_description);
	cmd_install(MODE_CRYPTO_MAP, &cmd_session_key_cipher);
	cmd_install(MODE_CRYPTO_MAP, &cmd_session_key_auth);
	cmd_install(MODE_CRYPTO_MAP, &cmd_no_session_key);
	cc_install_sa_settings(MODE_CRYPTO_MAP);
}
