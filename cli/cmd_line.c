/*
 * Access configuration: `username`, `enable secret` and the line modes
 * (`line con 0`, `line vty N [M]`) with login, password, transport input,
 * exec-timeout, session-timeout and privilege level. Secrets given in
 * clear are hashed (type 9) or encoded (type 7) before they reach the
 * config store, so no command leaves a password in clear behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/aaa.h"
#include "cli/cmd_config.h"
#include "cli/vty.h"

#define A "/vrouter-access:access"
#define LINE_XPATH A "/line[kind='%s'][first='%u']"

/*
 * Turns the secret argument of `username ... secret` or `enable secret`
 * into a hash: type 0 (or none) is hashed as type 9, types 8 and 9 must
 * be well-formed hashes. Prints the IOS error and returns false otherwise.
 */
static bool
secret_hash(struct vty *vty, const char *type, const char *secret,
	    char *out, size_t len)
{
	int t = type ? atoi(type) : 0;

	if (t == 8 || t == 9) {
		if (!aaa_hash_valid(t, secret)) {
			vty_out(vty, "ERROR: The secret you entered is not a "
				"valid encrypted secret.\n"
				"To enter an UNENCRYPTED secret, do not specify "
				"type %d encryption.\n"
				"When you properly enter an UNENCRYPTED secret, "
				"it will be encrypted.\n\n", t);
			return false;
		}
		snprintf(out, len, "%s", secret);
		return true;
	}
	if (t != 0) {
		vty_out(vty, "%% Type %d secrets are not supported; use 0, 8 "
			"or 9\n", t);
		return false;
	}
	if (strlen(secret) > AAA_PASSWORD_MAX) {
		vty_out(vty, "%% Secret is longer than %d characters\n",
			AAA_PASSWORD_MAX);
		return false;
	}
	if (aaa_hash_new(9, secret, out, len) < 0) {
		vty_out(vty, "%% Cannot hash the secret\n");
		return false;
	}
	return true;
}

/*
 * Turns a `password [0|7] TEXT` argument into the type 7 text that the
 * config stores: type 7 text as given once it decodes, clear text
 * encoded. Sets *ENTERED_CLEAR for clear text, which is shown in clear
 * until `service password-encryption` is on, as IOS does.
 */
static bool
password_type7(struct vty *vty, const char *type, const char *password,
	       char *out, size_t len, bool *entered_clear)
{
	char clear[AAA_PASSWORD_MAX + 1];
	unsigned char seed;
	bool ok;

	if (!cc_secret_text(vty, type, password, clear, sizeof(clear)))
		return false;
	*entered_clear = !type || strcmp(type, "7") != 0;
	if (!*entered_clear) {
		ok = snprintf(out, len, "%s", password) < (int)len;
	} else {
		/* IOS picks the seed at random; any of 0-15 decodes the same. */
		seed = (unsigned char)(strlen(clear) * 7 % 16);
		ok = aaa_type7_encode(clear, seed, out, len) == 0;
	}
	OPENSSL_cleanse(clear, sizeof(clear));
	if (!ok)
		vty_out(vty, "%% Password is longer than %d characters\n",
			AAA_PASSWORD_MAX);
	return ok;
}

static enum cmd_result
username_secret(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	const char *alg = cmd_arg(args, "alg");
	char hash[AAA_HASH_MAX];
	struct cc_txn t;
	enum cmd_result rc;

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	if (alg) {
		/* algorithm-type: hash the clear secret as type 8 or 9. */
		if (aaa_hash_new(strcmp(alg, "sha256") == 0 ? 8 : 9,
				 cmd_arg(args, "secret"), hash,
				 sizeof(hash)) < 0) {
			vty_out(vty, "%% Cannot hash the secret\n");
			return CMD_ERROR;
		}
	} else if (!secret_hash(vty, cmd_arg(args, "type"),
				cmd_arg(args, "secret"), hash, sizeof(hash))) {
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, A "/user[name='%s']/password7", name);
	cc_del(&t, A "/user[name='%s']/password-clear", name);
	cc_set(&t, hash, A "/user[name='%s']/secret", name);
	if (cmd_arg(args, "priv"))
		cc_set(&t, cmd_arg(args, "priv"), A "/user[name='%s']/privilege",
		       name);
	rc = cc_commit(&t);
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

/*
 * Sets BASE/password7 from the "type" and "pw" arguments, and
 * BASE/password-clear for a password given in clear while password
 * encryption is off. For a USER, also deletes BASE/secret, the other
 * credential, and sets BASE/privilege from the "priv" argument.
 */
static enum cmd_result
store_password(struct vty *vty, const struct cmd_args *args,
	       const char *base, bool user)
{
	char pw7[AAA_TYPE7_MAX];
	struct cc_txn t;
	enum cmd_result rc;
	bool entered_clear;

	if (!password_type7(vty, cmd_arg(args, "type"), cmd_arg(args, "pw"),
			    pw7, sizeof(pw7), &entered_clear))
		return CMD_WARNING;
	if (!cc_begin(&t, vty)) {
		OPENSSL_cleanse(pw7, sizeof(pw7));
		return CMD_WARNING;
	}
	if (user)
		cc_del(&t, "%s/secret", base);
	cc_set(&t, pw7, "%s/password7", base);
	if (entered_clear && !cc_exists(&t, A "/password-encryption"))
		cc_set(&t, NULL, "%s/password-clear", base);
	else
		cc_del(&t, "%s/password-clear", base);
	if (user && cmd_arg(args, "priv"))
		cc_set(&t, cmd_arg(args, "priv"), "%s/privilege", base);
	rc = cc_commit(&t);
	OPENSSL_cleanse(pw7, sizeof(pw7));
	return rc;
}

static enum cmd_result
username_password(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	char base[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(base, sizeof(base), A "/user[name='%s']", name);
	return store_password(vty, args, base, true);
}

static enum cmd_result
username_privilege(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, cmd_arg(args, "priv"), A "/user[name='%s']/privilege", name);
	return cc_commit(&t);
}

static enum cmd_result
no_username(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, A "/user[name='%s']", name);
	return cc_commit(&t);
}

static enum cmd_result
enable_secret(struct vty *vty, const struct cmd_args *args)
{
	char hash[AAA_HASH_MAX];
	struct cc_txn t;
	enum cmd_result rc;

	if (!secret_hash(vty, cmd_arg(args, "type"), cmd_arg(args, "secret"),
			 hash, sizeof(hash)))
		return CMD_WARNING;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, hash, A "/enable-secret");
	rc = cc_commit(&t);
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

static enum cmd_result
no_enable_secret(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, A "/enable-secret");
	return cc_commit(&t);
}

static enum cmd_result
enable_password(struct vty *vty, const struct cmd_args *args)
{
	return store_password(vty, args, A "/enable-password", false);
}

static enum cmd_result
no_enable_password(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, A "/enable-password");
	return cc_commit(&t);
}

/* Reads the line range of `line KIND FIRST [LAST]`; false after an error. */
static bool
line_range(struct vty *vty, const struct cmd_args *args, const char **kind,
	   unsigned *first, unsigned *last)
{
	*kind = strncmp(cmd_arg(args, "kind"), "con", 3) == 0 ? "con" : "vty";
	*first = (unsigned)atoi(cmd_arg(args, "first"));
	*last = cmd_arg(args, "last") ? (unsigned)atoi(cmd_arg(args, "last")) :
					*first;
	if (strcmp(*kind, "con") == 0 && (*first != 0 || *last != 0)) {
		vty_out(vty, "%% Invalid line number\n");
		return false;
	}
	if (*last < *first) {
		vty_out(vty, "%%Bad line range\n");
		return false;
	}
	return true;
}

static enum cmd_result
line(struct vty *vty, const struct cmd_args *args)
{
	char xpath[VTY_XPATH_MAX];
	const char *kind;
	unsigned first, last;
	struct cc_txn t;
	enum cmd_result rc;

	if (!line_range(vty, args, &kind, &first, &last))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), LINE_XPATH, kind, first);
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (first != last) {
		cc_set(&t, cmd_arg(args, "last"), "%s/last", xpath);
	} else if (!cc_exists(&t, "%s", xpath)) {
		cc_set(&t, NULL, "%s", xpath);
	}
	rc = cc_commit(&t);
	if (rc != CMD_SUCCESS)
		return rc;
	vty_enter_mode(vty, MODE_CONFIG_LINE, xpath);
	return CMD_SUCCESS;
}

static enum cmd_result
no_line(struct vty *vty, const struct cmd_args *args)
{
	const char *kind;
	unsigned first, last;
	struct cc_txn t;

	if (!line_range(vty, args, &kind, &first, &last) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, LINE_XPATH, kind, first);
	return cc_commit(&t);
}

static enum cmd_result
login(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "login", cmd_has(args, "local") ? "local" :
								    "line");
}

static enum cmd_result
no_login(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "login");
}

static enum cmd_result
line_password(struct vty *vty, const struct cmd_args *args)
{
	return store_password(vty, args, vty_xpath(vty), false);
}

static enum cmd_result
no_line_password(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/password7", vty_xpath(vty));
	cc_del(&t, "%s/password-clear", vty_xpath(vty));
	return cc_commit(&t);
}

static enum cmd_result
transport_input(struct vty *vty, const struct cmd_args *args)
{
	const char *a = cmd_arg(args, "proto"), *b = cmd_arg(args, "proto2");

	/* "transport input telnet ssh" accepts both, as "all" does here. */
	if (b && strcmp(a, b) != 0)
		a = "all";
	return cc_set_here(vty, "transport-input", a);
}

static enum cmd_result
no_transport_input(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "transport-input");
}

static enum cmd_result
exec_timeout(struct vty *vty, const struct cmd_args *args)
{
	unsigned long secs = strtoul(cmd_arg(args, "min"), NULL, 10) * 60;
	char text[16];

	if (cmd_arg(args, "sec"))
		secs += strtoul(cmd_arg(args, "sec"), NULL, 10);
	if (secs > 2147483647UL)
		secs = 2147483647UL;
	snprintf(text, sizeof(text), "%lu", secs);
	return cc_set_here(vty, "exec-timeout", text);
}

static enum cmd_result
no_exec_timeout(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "exec-timeout");
}

static enum cmd_result
session_timeout(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "session-timeout", cmd_arg(args, "min"));
}

static enum cmd_result
no_session_timeout(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "session-timeout");
}

static enum cmd_result
privilege_level(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "privilege-level", cmd_arg(args, "level"));
}

static enum cmd_result
no_privilege_level(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "privilege-level");
}

#define USER_HELP "Establish User Name Authentication\nUser name\n"
#define PRIV_HELP "Set user privilege level\nUser privilege level\n"
#define SECRET_HELP "Specify the secret for the user\n"
#define SECRET_TYPES \
	"Specifies an UNENCRYPTED secret will follow\n" \
	"Specifies a PBKDF2 hashed secret will follow\n" \
	"Specifies a SCRYPT hashed secret will follow\n"
#define NO_HELP "Negate a command or set its defaults\n"
#define LINE_HELP "Configure a terminal line\n" \
	"Primary terminal line\nVirtual terminal\n" \
	"First Line number\nLast Line number"
#define LOGIN_HELP "Enable password checking\n"
#define PW_HELP "Set a password\n" \
	"Specifies an UNENCRYPTED password will follow\n" \
	"Specifies a HIDDEN password will follow\nThe password"
#define TRANSPORT_HELP "Define transport protocols for line\n" \
	"Define which protocols to use when connecting to the terminal " \
	"server\n"
#define TRANSPORT_ALTS "All protocols\nNo protocols\nTCP/IP SSH protocol\n" \
	"TCP/IP Telnet protocol"
#define EXEC_TIMEOUT_HELP "Set the EXEC timeout\n"
#define SESSION_TIMEOUT_HELP "Set interval for closing connection when " \
	"there is no input traffic\n"
#define PRIVLVL_HELP "Change privilege level for line\n" \
	"Assign default privilege level for line\n"

static const struct cmd_def config_cmds[] = {
	{ "username WORD$name [privilege <0-15>$priv] secret [(0|8|9)$type] "
	  "WORD$secret",
	  USER_HELP PRIV_HELP SECRET_HELP SECRET_TYPES "The secret",
	  username_secret, CMD_NO_PIPE, 15 },
	{ "username WORD$name [privilege <0-15>$priv] algorithm-type "
	  "(scrypt|sha256)$alg secret WORD$secret",
	  USER_HELP PRIV_HELP "Algorithm to use for hashing the plaintext "
	  "secret for the user\nEncode the password using the SCRYPT "
	  "hashing algorithm\nEncode the password using the PBKDF2 hashing "
	  "algorithm\n" SECRET_HELP "The UNENCRYPTED (cleartext) user secret",
	  username_secret, CMD_NO_PIPE, 15 },
	{ "username WORD$name [privilege <0-15>$priv] password [(0|7)$type] "
	  "LINE$pw",
	  USER_HELP PRIV_HELP "Specify the password for the user\n"
	  "Specifies an UNENCRYPTED password will follow\n"
	  "Specifies a HIDDEN password will follow\nThe password",
	  username_password, CMD_NO_PIPE, 15 },
	{ "username WORD$name privilege <0-15>$priv",
	  USER_HELP PRIV_HELP, username_privilege, 0, 15 },
	{ "no username WORD$name [LINE]",
	  NO_HELP USER_HELP "Rest of the command", no_username, CMD_NO_PIPE,
	  15 },
	{ "enable secret [(0|8|9)$type] WORD$secret",
	  "Modify enable password parameters\nAssign the privileged level "
	  "secret\n" SECRET_TYPES "The secret",
	  enable_secret, CMD_NO_PIPE, 15 },
	{ "no enable secret [LINE]",
	  NO_HELP "Modify enable password parameters\nAssign the privileged "
	  "level secret\nRest of the command",
	  no_enable_secret, CMD_NO_PIPE, 15 },
	{ "enable password [(0|7)$type] LINE$pw",
	  "Modify enable password parameters\nAssign the privileged level "
	  "password\nSpecifies an UNENCRYPTED password will follow\n"
	  "Specifies a HIDDEN password will follow\nThe password",
	  enable_password, CMD_NO_PIPE, 15 },
	{ "no enable password [LINE]",
	  NO_HELP "Modify enable password parameters\nAssign the privileged "
	  "level password\nRest of the command",
	  no_enable_password, CMD_NO_PIPE, 15 },
	{ "line (console|vty)$kind <0-99>$first [<0-99>$last]",
	  LINE_HELP, line, 0, 15 },
	{ "no line (console|vty)$kind <0-99>$first [<0-99>$last]",
	  NO_HELP LINE_HELP, no_line, 0, 15 },
};

static const struct cmd_def line_cmds[] = {
	{ "login [local]$local",
	  LOGIN_HELP "Local password checking", login, 0, 15 },
	{ "no login", NO_HELP LOGIN_HELP, no_login, 0, 15 },
	{ "password [(0|7)$type] LINE$pw", PW_HELP, line_password,
	  CMD_NO_PIPE, 15 },
	{ "no password [LINE]", NO_HELP "Set a password\nRest of the command",
	  no_line_password, CMD_NO_PIPE, 15 },
	{ "transport input (all|none|ssh|telnet)$proto "
	  "[(ssh|telnet)$proto2]",
	  TRANSPORT_HELP TRANSPORT_ALTS "\nTCP/IP SSH protocol\n"
	  "TCP/IP Telnet protocol",
	  transport_input, 0, 15 },
	{ "no transport input [LINE]",
	  NO_HELP TRANSPORT_HELP "Rest of the command",
	  no_transport_input, 0, 15 },
	{ "exec-timeout <0-35791>$min [<0-2147483>$sec]",
	  EXEC_TIMEOUT_HELP "Timeout in minutes\nTimeout in seconds",
	  exec_timeout, 0, 15 },
	{ "no exec-timeout", NO_HELP EXEC_TIMEOUT_HELP, no_exec_timeout, 0,
	  15 },
	{ "session-timeout <0-35791>$min",
	  SESSION_TIMEOUT_HELP "Session timeout interval in minutes",
	  session_timeout, 0, 15 },
	{ "no session-timeout", NO_HELP SESSION_TIMEOUT_HELP,
	  no_session_timeout, 0, 15 },
	{ "privilege level <0-15>$level",
	  PRIVLVL_HELP "Default privilege level for line", privilege_level,
	  0, 15 },
	{ "no privilege level", NO_HELP PRIVLVL_HELP, no_privilege_level, 0,
	  15 },
};

void
cmd_line_install(void)
{
	size_t i;

	for (i = 0; i < sizeof(config_cmds) / sizeof(config_cmds[0]); i++)
		cmd_install(MODE_CONFIG, &config_cmds[i]);
	for (i = 0; i < sizeof(line_cmds) / sizeof(line_cmds[0]); i++)
		cmd_install(MODE_CONFIG_LINE, &line_cmds[i]);
}
