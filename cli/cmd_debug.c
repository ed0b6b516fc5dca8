/*
 * Debug switches, with IOS wording: `debug crypto isakmp|ipsec`, their
 * `no`/`undebug` forms, `undebug all`, `no debug all`, `show debugging`,
 * and the peer conditions of `debug crypto condition peer ipv4 A` with
 * `show crypto debug-condition`. The switches and conditions live in
 * core/debug.h, which other threads test before they build a debug line.
 */
#include "cli/cmd_debug.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/debug.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* A switch with the name IOS prints in its "... debugging is on" line. */
struct debug_switch {
	const char *keyword;	/* after `debug crypto` */
	enum debug_flag flag;
	const char *title;
};

/*
 * NOTE: the IKEv2 titles follow IOS XE output as commonly printed; the
 * reference transcripts at hand do not show them.
 */
static const struct debug_switch switches[] = {
	{ "isakmp", DEBUG_CRYPTO_ISAKMP, "Crypto ISAKMP" },
	{ "ipsec", DEBUG_CRYPTO_IPSEC, "Crypto IPSEC" },
	{ "ikev2", DEBUG_CRYPTO_IKEV2, "IKEv2 default" },
	{ "ikev2 packet", DEBUG_CRYPTO_IKEV2_PACKET, "IKEv2 packet" },
	{ "ikev2 internal", DEBUG_CRYPTO_IKEV2_INTERNAL, "IKEv2 internal" },
};

#define NSWITCHES (sizeof(switches) / sizeof(switches[0]))

static const struct debug_switch *
find_switch(const char *keyword)
{
	size_t i;

	for (i = 0; i < NSWITCHES; i++)
		if (keyword != NULL && strcmp(switches[i].keyword, keyword) == 0)
			return &switches[i];
	return NULL;
}

static enum cmd_result
set_crypto(struct vty *vty, const struct cmd_args *args, bool on)
{
	const char *sub = cmd_arg(args, "sub");
	const struct debug_switch *s;
	char keyword[32];

	if (sub != NULL)
		snprintf(keyword, sizeof(keyword), "ikev2 %s", sub);
	else
		snprintf(keyword, sizeof(keyword), "%s", cmd_arg(args, "what"));
	s = find_switch(keyword);

	if (s == NULL)
		return CMD_ERROR;
	debug_set(s->flag, on);
	vty_out(vty, "%s debugging is %s\n", s->title, on ? "on" : "off");
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_debug_crypto(struct vty *vty, const struct cmd_args *args)
{
	return set_crypto(vty, args, true);
}

static enum cmd_result
cmd_undebug_crypto(struct vty *vty, const struct cmd_args *args)
{
	return set_crypto(vty, args, false);
}

static enum cmd_result
cmd_undebug_all(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	debug_all_off();
	vty_out(vty, "All possible debugging has been turned off\n");
	return CMD_SUCCESS;
}

static uint32_t
peer_arg(const struct cmd_args *args)
{
	struct in_addr a;

	if (inet_pton(AF_INET, cmd_arg(args, "peer"), &a) != 1)
		return 0;
	return ntohl(a.s_addr);
}

static enum cmd_result
cmd_condition_peer(struct vty *vty, const struct cmd_args *args)
{
	if (debug_condition_add_peer(peer_arg(args)) < 0) {
		vty_out(vty, "%% At most %d peer conditions can be set\n",
			DEBUG_MAX_PEER_CONDITIONS);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_no_condition_peer(struct vty *vty, const struct cmd_args *args)
{
	if (debug_condition_remove_peer(peer_arg(args)) < 0) {
		vty_out(vty, "%% No debug condition for peer %s\n",
			cmd_arg(args, "peer"));
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_condition_reset(struct vty *vty, const struct cmd_args *args)
{
	(void)vty;
	(void)args;
	debug_condition_reset();
	return CMD_SUCCESS;
}

/*
 * The conditional debug block of `show crypto debug-condition` and
 * `show debugging`.
 * NOTE: the layout follows IOS 15 output as commonly printed; the
 * reference transcripts at hand do not show this command.
 */
static void
show_conditions(struct vty *vty)
{
	uint32_t peers[DEBUG_MAX_PEER_CONDITIONS];
	size_t i, n;

	n = debug_condition_peers(peers, DEBUG_MAX_PEER_CONDITIONS);
	if (n == 0) {
		vty_out(vty, "Crypto conditional debug currently is turned OFF\n");
		return;
	}
	vty_out(vty, "Crypto conditional debug currently is turned ON\n"
		"IKE debug context unmatched flag:OFF\n"
		"IPsec debug context unmatched flag:OFF\n"
		"IKE peer IP address filters:\n");
	for (i = 0; i < n && i < DEBUG_MAX_PEER_CONDITIONS; i++) {
		struct in_addr a = { .s_addr = htonl(peers[i]) };
		char buf[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &a, buf, sizeof(buf));
		vty_out(vty, "%s \n", buf);
	}
}

static enum cmd_result
cmd_show_condition(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	show_conditions(vty);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_debugging(struct vty *vty, const struct cmd_args *args)
{
	uint32_t peer;
	bool header = false;
	size_t i;

	(void)args;
	for (i = 0; i < NSWITCHES; i++) {
		if (!debug_on(switches[i].flag))
			continue;
		if (!header)
			vty_out(vty, "Cryptographic Subsystem:\n");
		header = true;
		vty_out(vty, "  %s debugging is on\n", switches[i].title);
	}
	if (debug_condition_peers(&peer, 1) > 0) {
		vty_out(vty, "\n");
		show_conditions(vty);
	}
	return CMD_SUCCESS;
}

#define DEBUG_HELP "Debugging functions (see also 'undebug')\n"
#define UNDEBUG_HELP "Disable debugging functions (see also 'debug')\n"
#define NO_HELP "Negate a command or set its defaults\n"
#define CRYPTO_HELP "Cryptographic subsystem\n" \
	"Crypto ISAKMP debug messages\nIPSEC processing"
#define IKEV2_HELP "Cryptographic subsystem\nCrypto IKEv2 debug messages\n" \
	"IKEv2 packet debug messages\nIKEv2 internal debug messages"
#define CONDITION_HELP "Cryptographic subsystem\n" \
	"Define debug condition filters\nIKE peer\nIPv4 peer\n" \
	"IKE peer IPv4 address"

static const struct cmd_def debug_cmds[] = {
	{ "debug crypto (isakmp|ipsec)$what",
	  DEBUG_HELP CRYPTO_HELP, cmd_debug_crypto, 0, 15 },
	{ "undebug crypto (isakmp|ipsec)$what",
	  UNDEBUG_HELP CRYPTO_HELP, cmd_undebug_crypto, 0, 15 },
	{ "no debug crypto (isakmp|ipsec)$what",
	  NO_HELP DEBUG_HELP CRYPTO_HELP, cmd_undebug_crypto, 0, 15 },
	{ "debug crypto (ikev2)$what [(packet|internal)$sub]",
	  DEBUG_HELP IKEV2_HELP, cmd_debug_crypto, 0, 15 },
	{ "undebug crypto (ikev2)$what [(packet|internal)$sub]",
	  UNDEBUG_HELP IKEV2_HELP, cmd_undebug_crypto, 0, 15 },
	{ "no debug crypto (ikev2)$what [(packet|internal)$sub]",
	  NO_HELP DEBUG_HELP IKEV2_HELP, cmd_undebug_crypto, 0, 15 },
	{ "undebug all",
	  UNDEBUG_HELP "Enable all debugging", cmd_undebug_all, 0, 15 },
	{ "no debug all",
	  NO_HELP DEBUG_HELP "Enable all debugging", cmd_undebug_all, 0, 15 },
	{ "debug crypto condition peer ipv4 A.B.C.D$peer",
	  DEBUG_HELP CONDITION_HELP, cmd_condition_peer, 0, 15 },
	{ "no debug crypto condition peer ipv4 A.B.C.D$peer",
	  NO_HELP DEBUG_HELP CONDITION_HELP, cmd_no_condition_peer, 0, 15 },
	{ "undebug crypto condition peer ipv4 A.B.C.D$peer",
	  UNDEBUG_HELP CONDITION_HELP, cmd_no_condition_peer, 0, 15 },
	{ "debug crypto condition reset",
	  DEBUG_HELP "Cryptographic subsystem\nDefine debug condition filters\n"
	  "Delete all debug filters and turn off conditional debug",
	  cmd_condition_reset, 0, 15 },
	{ "show crypto debug-condition",
	  "Show running system information\nEncryption module\n"
	  "Crypto Debug Condition Filters",
	  cmd_show_condition, 0, 15 },
	{ "show debugging",
	  "Show running system information\nState of each debugging option",
	  cmd_show_debugging, 0, 15 },
};

void
cmd_debug_install(void)
{
	size_t i;

	for (i = 0; i < sizeof(debug_cmds) / sizeof(debug_cmds[0]); i++)
		cmd_install(MODE_PRIV_EXEC, &debug_cmds[i]);
}
