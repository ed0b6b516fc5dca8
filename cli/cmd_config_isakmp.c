/*
 * IKEv1 settings: crypto isakmp policy (and the (config-isakmp) mode),
 * crypto isakmp key, keepalive and invalid-spi-recovery.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"

#define POLICY_XPATH CC_M "crypto/isakmp/policy[priority='%s']"
#define KEY_XPATH CC_M "crypto/isakmp/key[address='%s'][mask='%s']"

static enum cmd_result
policy(struct vty *vty, const struct cmd_args *args)
{
	const char *prio = cmd_arg(args, "priority");
	char xpath[VTY_XPATH_MAX];
	struct cc_txn t;
	enum cmd_result ret;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, NULL, POLICY_XPATH, prio);
	ret = cc_commit(&t);
	if (ret != CMD_SUCCESS)
		return ret;
	snprintf(xpath, sizeof(xpath), POLICY_XPATH, prio);
	vty_enter_mode(vty, MODE_CONFIG_ISAKMP, xpath);
	return CMD_SUCCESS;
}

static enum cmd_result
no_policy(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, POLICY_XPATH, cmd_arg(args, "priority"));
	return cc_commit(&t);
}

static enum cmd_result
encryption(struct vty *vty, const struct cmd_args *args)
{
	const char *alg = cmd_arg(args, "alg");
	const char *size = cmd_arg(args, "size");
	struct cc_txn t;

	if (size && strcmp(alg, "aes")) {
		cc_invalid_input(vty, cc_column(args, 2, 0));
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/key-size", vty_xpath(vty));
	cc_set(&t, alg, "%s/encryption", vty_xpath(vty));
	if (size)
		cc_set(&t, size, "%s/key-size", vty_xpath(vty));
	return cc_commit(&t);
}

static enum cmd_result
no_encryption(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/key-size", vty_xpath(vty));
	cc_del(&t, "%s/encryption", vty_xpath(vty));
	return cc_commit(&t);
}

/* Sets hash, authentication, group or lifetime, whichever was given. */
static enum cmd_result
set_value(struct vty *vty, const struct cmd_args *args)
{
	static const char *const leaves[] = {
		"hash", "authentication", "group", "lifetime",
	};
	size_t i;

	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		const char *v = cmd_arg(args, leaves[i]);

		if (v)
			return cc_set_here(vty, leaves[i], v);
	}
	return CMD_ERROR;
}

static enum cmd_result
no_value(struct vty *vty, const struct cmd_args *args)
{
	return cc_del_here(vty, cmd_arg(args, "leaf"));
}

/* Returns the key mask argument, or the host mask when it is absent. */
static const char *
key_mask(const struct cmd_args *args)
{
	const char *mask = cmd_arg(args, "mask");

	return mask ? mask : "255.255.255.255";
}

static enum cmd_result
key(struct vty *vty, const struct cmd_args *args)
{
	const char *addr = cmd_arg(args, "address");
	const char *mask = key_mask(args);
	char clear[256];
	struct cc_txn t;
	unsigned m;

	if (!cc_parse_ipv4(mask, &m) || !cc_mask_ok(m)) {
		cc_invalid_input(vty, cc_column(args, 5, 0));
		return CMD_WARNING;
	}
	if (!cc_secret_text(vty, cmd_arg(args, "type"), cmd_arg(args, "key"),
			    clear, sizeof(clear)) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, clear, KEY_XPATH "/key", addr, mask);
	OPENSSL_cleanse(clear, sizeof(clear));
	if (cmd_has(args, "noxauth"))
		cc_set(&t, NULL, KEY_XPATH "/no-xauth", addr, mask);
	else
		cc_del(&t, KEY_XPATH "/no-xauth", addr, mask);
	return cc_commit(&t);
}

static enum cmd_result
no_key(struct vty *vty, const struct cmd_args *args)
{
	const char *addr = cmd_arg(args, "address");
	const char *mask = key_mask(args);
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (!cc_exists(&t, KEY_XPATH, addr, mask)) {
		cc_abort(&t);
		vty_out(vty, "%% No pre-shared key for %s %s\n", addr, mask);
		return CMD_WARNING;
	}
	cc_del(&t, KEY_XPATH, addr, mask);
	return cc_commit(&t);
}

static enum cmd_result
keepalive(struct vty *vty, const struct cmd_args *args)
{
	const char *retry = cmd_arg(args, "retry");
	const char *mode = cmd_arg(args, "mode");
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, CC_M "crypto/isakmp/keepalive");
	cc_set(&t, cmd_arg(args, "seconds"),
	       CC_M "crypto/isakmp/keepalive/seconds");
	if (retry)
		cc_set(&t, retry, CC_M "crypto/isakmp/keepalive/retry");
	if (mode)
		cc_set(&t, mode, CC_M "crypto/isakmp/keepalive/mode");
	return cc_commit(&t);
}

static enum cmd_result
no_keepalive(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, CC_M "crypto/isakmp/keepalive");
	return cc_commit(&t);
}

static enum cmd_result
spi_recovery(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (cmd_has(args, "no"))
		cc_del(&t, CC_M "crypto/isakmp/invalid-spi-recovery");
	else
		cc_set(&t, NULL, CC_M "crypto/isakmp/invalid-spi-recovery");
	return cc_commit(&t);
}

#define H_NO "Negate a command or set its defaults\n"
#define H_CRYPTO "Encryption module\n"
#define H_ISAKMP "Configure ISAKMP policy\n"

static const struct cmd_def cmd_policy = {
	.syntax = "crypto isakmp policy <1-10000>$priority",
	.help = H_CRYPTO H_ISAKMP
		"Set policy for an ISAKMP protection suite\n"
		"Priority of protection suite",
	.fn = policy,
};

static const struct cmd_def cmd_no_policy = {
	.syntax = "no crypto isakmp policy <1-10000>$priority",
	.help = H_NO H_CRYPTO H_ISAKMP
		"Set policy for an ISAKMP protection suite\n"
		"Priority of protection suite",
	.fn = no_policy,
};

static const struct cmd_def cmd_encryption = {
	.syntax = "encryption (des|3des|aes)$alg [(128|192|256)$size]",
	.help = "Set encryption algorithm for protection suite\n"
		"DES - Data Encryption Standard (56 bit keys).\n"
		"Three key triple DES\n"
		"AES - Advanced Encryption Standard.\n"
		"128 bit keys.\n192 bit keys.\n256 bit keys.",
	.fn = encryption,
};

static const struct cmd_def cmd_no_encryption = {
	.syntax = "no encryption [(des|3des|aes) [(128|192|256)]]",
	.help = H_NO "Set encryption algorithm for protection suite\n"
		"DES - Data Encryption Standard (56 bit keys).\n"
		"Three key triple DES\n"
		"AES - Advanced Encryption Standard.\n"
		"128 bit keys.\n192 bit keys.\n256 bit keys.",
	.fn = no_encryption,
};

static const struct cmd_def cmd_hash = {
	.syntax = "hash (md5|sha|sha256|sha384|sha512)$hash",
	.help = "Set hash algorithm for protection suite\n"
		"Message Digest 5\nSecure Hash Standard\n"
		"Secure Hash Standard 2 (256 bit)\n"
		"Secure Hash Standard 2 (384 bit)\n"
		"Secure Hash Standard 2 (512 bit)",
	.fn = set_value,
};

static const struct cmd_def cmd_authentication = {
	.syntax = "authentication (pre-share|rsa-sig|rsa-encr)$authentication",
	.help = "Set authentication method for protection suite\n"
		"Pre-Shared Key\nRivest-Shamir-Adleman Signature\n"
		"Rivest-Shamir-Adleman Encryption",
	.fn = set_value,
};

static const struct cmd_def cmd_group = {
	.syntax = "group (1|2|5|14|15|16|19|20|21|24)$group",
	.help = "Set the Diffie-Hellman group\n"
		"Diffie-Hellman group 1 (768 bit)\n"
		"Diffie-Hellman group 2 (1024 bit)\n"
		"Diffie-Hellman group 5 (1536 bit)\n"
		"Diffie-Hellman group 14 (2048 bit)\n"
		"Diffie-Hellman group 15 (3072 bit)\n"
		"Diffie-Hellman group 16 (4096 bit)\n"
		"Diffie-Hellman group 19 (256 bit ecp)\n"
		"Diffie-Hellman group 20 (384 bit ecp)\n"
		"Diffie-Hellman group 21 (521 bit ecp)\n"
		"Diffie-Hellman group 24 (2048 bit, 256 bit subgroup)",
	.fn = set_value,
};

static const struct cmd_def cmd_lifetime = {
	.syntax = "lifetime <60-86400>$lifetime",
	.help = "Set lifetime for ISAKMP security association\n"
		"lifetime in seconds",
	.fn = set_value,
};

static const struct cmd_def cmd_no_value = {
	.syntax = "no (hash|authentication|group|lifetime)$leaf [WORD]",
	.help = H_NO "Set hash algorithm for protection suite\n"
		"Set authentication method for protection suite\n"
		"Set the Diffie-Hellman group\n"
		"Set lifetime for ISAKMP security association\n"
		"Current value",
	.fn = no_value,
};

static const struct cmd_def cmd_key = {
	.syntax = "crypto isakmp key WORD$key address A.B.C.D$address "
		  "[A.B.C.D$mask] [no-xauth$noxauth]",
	.help = H_CRYPTO H_ISAKMP
		"Set pre-shared key for remote peer\n"
		"pre-shared key\n"
		"define shared key with IP address\n"
		"IP address of remote peer\n"
		"Mask for range of remote peers\n"
		"Bypasses XAuth for this peer",
	.fn = key,
};

static const struct cmd_def cmd_key_typed = {
	.syntax = "crypto isakmp key (0|6|7)$type WORD$key address "
		  "A.B.C.D$address [A.B.C.D$mask] [no-xauth$noxauth]",
	.help = H_CRYPTO H_ISAKMP
		"Set pre-shared key for remote peer\n"
		"Specifies an UNENCRYPTED password will follow\n"
		"Specifies an ENCRYPTED password will follow\n"
		"Specifies a HIDDEN password will follow\n"
		"pre-shared key\n"
		"define shared key with IP address\n"
		"IP address of remote peer\n"
		"Mask for range of remote peers\n"
		"Bypasses XAuth for this peer",
	.fn = key,
};

static const struct cmd_def cmd_no_key = {
	.syntax = "no crypto isakmp key WORD address A.B.C.D$address "
		  "[A.B.C.D$mask] [no-xauth]",
	.help = H_NO H_CRYPTO H_ISAKMP
		"Set pre-shared key for remote peer\n"
		"pre-shared key\n"
		"define shared key with IP address\n"
		"IP address of remote peer\n"
		"Mask for range of remote peers\n"
		"Bypasses XAuth for this peer",
	.fn = no_key,
};

static const struct cmd_def cmd_keepalive = {
	.syntax = "crypto isakmp keepalive <10-3600>$seconds [<2-60>$retry] "
		  "[(periodic|on-demand)$mode]",
	.help = H_CRYPTO H_ISAKMP
		"Set a keepalive interval for use with IOS peers\n"
		"Number of seconds between keep alives\n"
		"Number of seconds between retries if keepalive fails\n"
		"Send keepalives periodically\n"
		"Send keepalives on demand (default)",
	.fn = keepalive,
};

static const struct cmd_def cmd_no_keepalive = {
	.syntax = "no crypto isakmp keepalive [<10-3600> [<2-60>] "
		  "[(periodic|on-demand)]]",
	.help = H_NO H_CRYPTO H_ISAKMP
		"Set a keepalive interval for use with IOS peers\n"
		"Number of seconds between keep alives\n"
		"Number of seconds between retries if keepalive fails\n"
		"Send keepalives periodically\n"
		"Send keepalives on demand (default)",
	.fn = no_keepalive,
};

static const struct cmd_def cmd_spi_recovery = {
	.syntax = "crypto isakmp invalid-spi-recovery",
	.help = H_CRYPTO H_ISAKMP
		"Initiate IKE and send Invalid SPI Notify",
	.fn = spi_recovery,
};

static const struct cmd_def cmd_no_spi_recovery = {
	.syntax = "no$no crypto isakmp invalid-spi-recovery",
	.help = H_NO H_CRYPTO H_ISAKMP
		"Initiate IKE and send Invalid SPI Notify",
	.fn = spi_recovery,
};

void
cc_install_isakmp(void)
{
	cmd_install(MODE_CONFIG, &cmd_policy);
	cmd_install(MODE_CONFIG, &cmd_no_policy);
	cmd_install(MODE_CONFIG_ISAKMP, &cmd_encryption);
	cmd_install(MODE_CONFIG_ISAKMP, &cmd_no_encryption);
	cmd_install(MODE_CONFIG_ISAKMP, &cmd_hash);
	cmd_install(MODE_CONFIG_ISAKMP, &cmd_authentication);
	cmd_install(MODE_CONFIG_ISAKMP, &cmd_group);
	cmd_install(MODE_CONFIG_ISAKMP, &cmd_lifetime);
	cmd_install(MODE_CONFIG_ISAKMP, &cmd_no_value);
	cmd_install(MODE_CONFIG, &cmd_key);
	cmd_install(MODE_CONFIG, &cmd_key_typed);
	cmd_install(MODE_CONFIG, &cmd_no_key);
	cmd_install(MODE_CONFIG, &cmd_keepalive);
	cmd_install(MODE_CONFIG, &cmd_no_keepalive);
	cmd_install(MODE_CONFIG, &cmd_spi_recovery);
	cmd_install(MODE_CONFIG, &cmd_no_spi_recovery);
}
