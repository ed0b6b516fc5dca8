/*
 * Command declarations: malformed syntax strings and help strings whose
 * line count does not match are rejected when they are installed.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "cli/command.h"

static enum cmd_result
noop(struct vty *vty, const struct cmd_args *args)
{
	(void)vty;
	(void)args;
	return CMD_SUCCESS;
}

static void
teardown(void)
{
	cmd_free_all();
}

TestSuite(declarations, .fini = teardown);

struct bad_case {
	const char *syntax;
	const char *help;
	const char *reason;	/* part of the error message */
};

static const struct bad_case bad_cases[] = {
	{ "show NAME", "a\nb", "neither a lower-case keyword" },
	{ "Show version", "a\nb", "neither a lower-case keyword" },
	{ "show (a|b", "a\nb\nc", "is not closed" },
	{ "show [a", "a\nb", "is not closed" },
	{ "show a)", "a\nb", "unexpected ')'" },
	{ "show a|b", "a\nb\nc", "'|' outside a group" },
	{ "show ()", "a", "empty sequence" },
	{ "show <10-1>", "a\nb", "range <10-1> is empty" },
	{ "show <1-x>", "a\nb", "invalid range" },
	{ "show $name", "a", "must follow a token" },
	{ "show version$", "a\nb", "'$' without a name" },
	{ "description LINE WORD", "a\nb\nc", "LINE must be the last" },
	{ "show version", "a", "2 tokens but 1 help lines" },
	{ "show version", "a\nb\nc", "2 tokens but 3 help lines" },
	{ "show (a|b)", "a\nb", "3 tokens but 2 help lines" },
	{ "show version", "a\n\nb", "empty help line" },
	{ "", "", "empty sequence" },
};

Test(declarations, malformed_are_rejected)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct cmd_def def = { c->syntax, c->help, noop, 0, 0 };
		char err[256] = "";

		cr_expect_eq(cmd_try_install(MODE_CONFIG, &def, err,
					     sizeof(err)), -1, "%s", c->syntax);
		cr_expect_not_null(strstr(err, c->reason),
				   "\"%s\": got \"%s\"", c->syntax, err);
	}
	cr_expect_eq(cmd_count(MODE_CONFIG), 0);
}

Test(declarations, well_formed_are_accepted)
{
	static const struct cmd_def defs[] = {
		{ "crypto isakmp policy <1-10000>$priority",
		  "Encryption module\nConfigure ISAKMP policy\n"
		  "Set policy for an ISAKMP protection suite\n"
		  "Priority of protection suite", noop, 0, 0 },
		{ "crypto isakmp keepalive <10-3600>$seconds [<2-60>$retry] "
		  "[(periodic|on-demand)$mode]",
		  "a\nb\nc\nd\ne\nf\ng\n", noop, 0, 0 },
		{ "ip route A.B.C.D A.B.C.D (A.B.C.D|WORD) [X:X::X:X/M]",
		  "a\nb\nc\nd\ne\nf\ng", noop, 0, 0 },
		{ "set peer [[a b] c]$x HEX LINE", "a\nb\nc\nd\ne\nf\ng",
		  noop, 0, 0 },
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		cr_expect_eq(cmd_try_install(MODE_CONFIG, &defs[i], err,
					     sizeof(err)), 0, "%s: %s",
			     defs[i].syntax, err);
	cr_expect_eq(cmd_count(MODE_CONFIG), 4);
	cr_expect_eq(cmd_nth(MODE_CONFIG, 1), &defs[1]);
}

Test(declarations, duplicate_is_rejected)
{
	static const struct cmd_def def = { "show version", "a\nb", noop, 0,
					    0 };
	char err[256] = "";

	cr_expect_eq(cmd_try_install(MODE_PRIV_EXEC, &def, err, sizeof(err)),
		     0);
	cr_expect_eq(cmd_try_install(MODE_PRIV_EXEC, &def, err, sizeof(err)),
		     -1);
	cr_expect_str_eq(err, "already installed in this mode");
}

Test(declarations, install_aborts_on_malformed, .signal = SIGABRT)
{
	static const struct cmd_def def = { "show (a|b", "a\nb\nc", noop, 0,
					    0 };

	cmd_install(MODE_PRIV_EXEC, &def);
}
