/*
 * The command engine: IOS commands declared as syntax strings, matched
 * with IOS abbreviation and error rules, and grouped in modes that form a
 * tree (a command missing from a sub-mode is looked up in its parents).
 *
 * Syntax of a declaration, tokens separated by single spaces:
 *
 *   keyword          lower-case literal, may be abbreviated by the user
 *   WORD             any single word
 *   LINE             the rest of the line, raw (must be the last token)
 *   A.B.C.D          IPv4 address
 *   A.B.C.D/M        IPv4 prefix
 *   X:X::X:X         IPv6 address
 *   X:X::X:X/M       IPv6 prefix
 *   <1-10000>        decimal number in a range (inclusive)
 *   HEX              hexadecimal string, optional 0x prefix
 *   (a|b|WORD)       exactly one of the alternatives
 *   [x y]            optional sequence of tokens; may nest
 *
 * Any token or group may be followed by $name to name its argument, e.g.
 * "crypto isakmp policy <1-10000>$priority" or "(periodic|on-demand)$mode".
 * A named keyword or selection stores the full keyword the user abbreviated.
 * Unnamed variable tokens are named after their token text ("WORD"), and
 * unnamed keywords after themselves, so cmd_has(args, "detail") tells
 * whether "[detail]" was typed; a keyword's text never stands in for an
 * explicit $name of the same command. When two tokens share a name,
 * cmd_arg() returns the first one matched. A named optional group "[x y]$name" is
 * present when it was typed; its value is its first token's.
 *
 * The help string has one line per token in declaration order, including
 * each alternative of a selection; "\n" separates lines. Example for
 * "crypto isakmp policy <1-10000>$priority":
 *   "Encryption module\nConfigure ISAKMP policy\n"
 *   "Set policy for an ISAKMP protection suite\nPriority of protection suite"
 *
 * Precedence when one input word matches several tokens at the same
 * position: exact keyword > typed value (range, address, HEX) > partial
 * keyword > WORD/LINE. Two partial keywords at the top precedence are
 * ambiguous.
 *
 * Visibility: user EXEC sees the commands installed in MODE_USER_EXEC;
 * privileged EXEC sees MODE_PRIV_EXEC plus MODE_USER_EXEC. A command is
 * only seen by sessions whose privilege reaches its own. A config
 * sub-mode runs the commands of its parent config modes too (walk-up),
 * but its `?` on an empty line lists only its own commands.
 */
#ifndef VR_CLI_COMMAND_H
#define VR_CLI_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

struct vty;

/* Modes, each with a parent, a prompt suffix and a privilege. */
enum cmd_mode {
	MODE_USER_EXEC,		/* Router> */
	MODE_PRIV_EXEC,		/* Router# */
	MODE_CONFIG,		/* Router(config)# */
	MODE_CONFIG_IF,		/* (config-if) */
	MODE_CONFIG_ISAKMP,	/* (config-isakmp): crypto isakmp policy N */
	MODE_CONFIG_ISAKMP_PROFILE,	/* (conf-isa-prof) */
	MODE_CONFIG_KEYRING,	/* (conf-keyring) */
	MODE_CRYPTO_TRANS,	/* (cfg-crypto-trans) */
	MODE_CRYPTO_MAP,	/* (config-crypto-map) */
	MODE_IPSEC_PROFILE,	/* (ipsec-profile) */
	MODE_EXT_NACL,		/* (config-ext-nacl) */
	MODE_STD_NACL,		/* (config-std-nacl) */
	MODE_IKEV2_PROPOSAL,	/* (config-ikev2-proposal) */
	MODE_IKEV2_POLICY,	/* (config-ikev2-policy) */
	MODE_IKEV2_KEYRING,	/* (config-ikev2-keyring) */
	MODE_IKEV2_KEYRING_PEER,	/* (config-ikev2-keyring-peer) */
	MODE_IKEV2_PROFILE,	/* (config-ikev2-profile) */
	MODE_CONFIG_LINE,	/* (config-line) */
	MODE_CONFIG_ROUTER,	/* (config-router) */
	MODE_CONFIG_APPLET,	/* (config-applet) */
	MODE_CONFIG_VRF,	/* (config-vrf): vrf definition, ip vrf */
	MODE_CONFIG_VRF_AF,	/* (config-vrf-af): address-family ipv4 */
	MODE_ISAKMP_GROUP,	/* (config-isakmp-group) */
	MODE_EZVPN,		/* (config-crypto-ezvpn) */
	MODE_CONFIG_ARCHIVE,	/* (config-archive) */
	MODE_COUNT
};

struct cmd_mode_info {
	enum cmd_mode parent;	/* MODE_COUNT for the roots */
	const char *prompt;	/* suffix between hostname and '>'/'#' */
	bool config;		/* a configuration mode (allows do, end) */
};

const struct cmd_mode_info *cmd_mode_info(enum cmd_mode mode);

/* Handler results. */
enum cmd_result {
	CMD_SUCCESS = 0,
	CMD_WARNING,	/* handler printed a "%" message; nothing applied */
	CMD_ERROR,	/* handler printed a "%" message; operation failed */
	CMD_CLOSE,	/* close the session (exit/logout in EXEC) */
};

struct cmd_args;

/* Returns the argument named NAME, or NULL when it was not given. */
const char *cmd_arg(const struct cmd_args *args, const char *name);

/* True when the optional token or group named NAME was matched. */
bool cmd_has(const struct cmd_args *args, const char *name);

/* Number of matched words and the Nth word as typed (for diagnostics). */
int cmd_argc(const struct cmd_args *args);
const char *cmd_argv(const struct cmd_args *args, int n);

typedef enum cmd_result (*cmd_fn)(struct vty *vty, const struct cmd_args *args);

/* Flags of a declaration. */
#define CMD_HIDDEN	0x1	/* accepted but not listed by `?` */
#define CMD_NO_PIPE	0x2	/* `|` is literal text, not an output filter */
#define CMD_FORMAT	0x4	/* `| format` may follow (IOS XE offers it
				 * after show running-config only) */

struct cmd_def {
	const char *syntax;
	const char *help;
	cmd_fn fn;
	unsigned flags;
	unsigned privilege;	/* 0, 1 or 15; 0 means 15 in EXEC, 1 in user */
};

/*
 * Installs DEF in MODE. The definition must outlive the program (declare
 * it static const). Aborts with a message on a malformed syntax string or
 * a help string whose line count does not match, so mistakes show at start.
 */
void cmd_install(enum cmd_mode mode, const struct cmd_def *def);

/*
 * Installs DEF like cmd_install() but returns -1 with the reason in ERR
 * instead of aborting (for tests of declarations).
 */
int cmd_try_install(enum cmd_mode mode, const struct cmd_def *def, char *err,
		    size_t errlen);

/* Number of commands installed in MODE, and the Nth of them (or NULL). */
size_t cmd_count(enum cmd_mode mode);
const struct cmd_def *cmd_nth(enum cmd_mode mode, size_t n);

/*
 * Installs every command of every cli/ module; called once at start. The
 * engine installs exit, end and do itself, then calls the installers
 * below.
 */
void cmd_init_all(void);
void cmd_free_all(void);

/*
 * Installs only exit, end and do, which cmd_init_all() installs first;
 * for test programs that install their own commands.
 */
void cmd_install_standard(void);

/* ---- Installers of the other cli/ modules, called by cmd_init_all(). */
void cmd_exec_install(void);		/* cli/cmd_exec.c */
void cmd_config_install(void);		/* cli/cmd_config_*.c */
void cmd_show_datapath_install(void);	/* cli/show_datapath.c */
void cmd_logging_install(void);		/* cli/cmd_logging.c */
void cmd_show_interfaces_install(void);	/* cli/show_interfaces.c */
void cmd_replay_install(void);		/* cli/cmd_replay.c */
void cmd_ping_install(void);		/* cli/cmd_ping.c */
void cmd_show_route_install(void);	/* cli/show_route.c */
void cmd_monitor_install(void);		/* cli/cmd_monitor.c */
void cmd_line_install(void);		/* cli/cmd_line.c, from cmd_exec */
void cmd_show_ike_install(void);	/* cli/show_ike.c */
void cmd_show_diag_install(void);	/* cli/show_diag.c */
void cmd_show_ikev2_install(void);	/* cli/show_ikev2.c */
void cmd_show_nhrp_install(void);	/* cli/show_nhrp.c */
void cmd_reload_install(void);		/* cli/cmd_reload.c */
/* ---- End of installers. */

/*
 * Executes LINE in the session's current mode, with walk-up to parent
 * modes and output filters, and writes output and errors to the session.
 * ECHO_WIDTH is the column where the line starts on screen (the prompt
 * length), used for the caret of "% Invalid input detected". The
 * handler's output and any error are flushed before this returns.
 */
enum cmd_result cmd_execute(struct vty *vty, const char *line, size_t echo_width);

/*
 * Writes the `?` help for LINE (which does not include the '?') and
 * flushes it: the candidate lines and an empty line, or one "%" error
 * line. The caller echoes the '?' and a line end before, and redraws
 * the prompt and LINE after. Nothing is executed.
 */
void cmd_describe(struct vty *vty, const char *line);

/*
 * Completes the last word of LINE. Returns a malloc'd completion of the
 * whole word when exactly one keyword matches, else NULL.
 */
char *cmd_complete(struct vty *vty, const char *line);

#endif
