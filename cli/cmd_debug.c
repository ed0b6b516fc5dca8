/*
 * Debug switches, with IOS wording: `debug crypto isakmp|ipsec`, their
 * `no`/`undebug` forms, `undebug all`, `no debug all` and
 * `show debugging`. The switches are core/debug.h flags, which other
 * threads test before they build a debug line.
 */
#include "cli/cmd_debug.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/debug.h"

#include <string.h>

/* A switch with the name IOS prints in its "... debugging is on" line. */
struct debug_switch {
	const char *keyword;	/* after `debug crypto` */
	enum debug_flag flag;
	const char *title;
};

static const struct debug_switch switches[] = {
	{ "isakmp", DEBUG_CRYPTO_ISAKMP, "Crypto ISAKMP" },
	{ "ipsec", DEBUG_CRYPTO_IPSEC, "Crypto IPSEC" },
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
	const struct debug_switch *s = find_switch(cmd_arg(args, "what"));

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

static enum cmd_result
cmd_show_debugging(struct vty *vty, const struct cmd_args *args)
{
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
	return CMD_SUCCESS;
}

#define DEBUG_HELP "Debugging functions (see also 'undebug')\n"
#define UNDEBUG_HELP "Disable debugging functions (see also 'debug')\n"
#define NO_HELP "Negate a command or set its defaults\n"
#define CRYPTO_HELP "Cryptographic subsystem\n" \
	"Crypto ISAKMP debug messages\nIPSEC processing"

static const struct cmd_def debug_cmds[] = {
	{ "debug crypto (isakmp|ipsec)$what",
	  DEBUG_HELP CRYPTO_HELP, cmd_debug_crypto, 0, 15 },
	{ "undebug crypto (isakmp|ipsec)$what",
	  UNDEBUG_HELP CRYPTO_HELP, cmd_undebug_crypto, 0, 15 },
	{ "no debug crypto (isakmp|ipsec)$what",
	  NO_HELP DEBUG_HELP CRYPTO_HELP, cmd_undebug_crypto, 0, 15 },
	{ "undebug all",
	  UNDEBUG_HELP "Enable all debugging", cmd_undebug_all, 0, 15 },
	{ "no debug all",
	  NO_HELP DEBUG_HELP "Enable all debugging", cmd_undebug_all, 0, 15 },
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
