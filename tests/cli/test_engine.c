/*
 * Command engine: matching, IOS error messages with their exact bytes,
 * walk-up to parent modes, `do`, `?` help and Tab completion, driven
 * through a real vty whose output goes to memory.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"

static struct harness h;

static void
setup(void)
{
	fixture_install();
}

static void
teardown(void)
{
	harness_close(&h);
	cmd_free_all();
}

TestSuite(engine, .init = setup, .fini = teardown);

#define INVALID "% Invalid input detected at '^' marker.\r\n\r\n"

/* Returns a caret line with the caret at COLUMN, then the message. */
static char *
caret(size_t column)
{
	char *s = malloc(column + 64);

	cr_assert_not_null(s);
	memset(s, ' ', column);
	strcpy(s + column, "^\r\n" INVALID);
	return s;
}

struct caret_case {
	enum cmd_mode mode;
	const char *prompt;
	const char *line;
	size_t column;
};

/* Caret columns recorded from IOS XE 16.12 sessions. */
static const struct caret_case caret_cases[] = {
	{ MODE_USER_EXEC, "csr1000v>", "configure terminal", 12 },
	{ MODE_USER_EXEC, "csr1000v>", "show run", 15 },
	{ MODE_USER_EXEC, "csr1000v>", "clear logg", 16 },
	{ MODE_CONFIG, "csr1000v(config)#", "show version", 19 },
	{ MODE_CONFIG, "csr1000v(config)#", "disable", 19 },
	{ MODE_CONFIG, "csr1000v(config)#", "tclsh", 18 },
	{ MODE_CONFIG, "csr1000v(config)#", "configure terminal", 25 },
	{ MODE_CONFIG, "csr1000v(config)#", "terminal width 512", 26 },
	{ MODE_PRIV_EXEC, "R3#", "show ip config", 13 },
	{ MODE_CONFIG, "R1(config)#", "logging 0255.255.1", 19 },
};

Test(engine, caret_columns_match_ios)
{
	size_t i;

	for (i = 0; i < sizeof(caret_cases) / sizeof(caret_cases[0]); i++) {
		const struct caret_case *c = &caret_cases[i];
		char *want = caret(c->column);
		enum cmd_result res;
		const char *out;

		harness_open(&h, c->mode);
		out = harness_exec(&h, c->line, strlen(c->prompt), &res);
		cr_expect_str_eq(out, want, "%s%s", c->prompt, c->line);
		cr_expect_eq(res, CMD_ERROR, "%s", c->line);
		harness_close(&h);
		free(want);
	}
	memset(&h, 0, sizeof(h));
}

Test(engine, caret_for_range_and_extra_word)
{
	char *want;

	harness_open(&h, MODE_USER_EXEC);
	want = caret(7 + 11);
	cr_expect_str_eq(harness_exec(&h, "clear line 531", 7, NULL), want);
	free(want);
	want = caret(7 + 13);
	cr_expect_str_eq(harness_exec(&h, "show version extra", 7, NULL),
			 want);
	free(want);
	cr_expect_eq(fixture_last.calls, 0);
}

Test(engine, ambiguous_has_two_spaces_no_blank)
{
	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_exec(&h, "show i", 7, NULL),
			 "% Ambiguous command:  \"show i\"\r\n");
	cr_expect_str_eq(harness_exec(&h, "s", 7, NULL),
			 "% Ambiguous command:  \"s\"\r\n");
}

Test(engine, incomplete_and_bare_show)
{
	harness_open(&h, MODE_CONFIG);
	cr_expect_str_eq(harness_exec(&h, "logging", 16, NULL),
			 "% Incomplete command.\r\n\r\n");
	harness_close(&h);

	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_exec(&h, "show", 7, NULL),
			 "% Type \"show ?\" for a list of subcommands\r\n");
	cr_expect_str_eq(harness_exec(&h, "sh", 7, NULL),
			 "% Type \"show ?\" for a list of subcommands\r\n");
	cr_expect_str_eq(harness_exec(&h, "show ip", 7, NULL),
			 "% Incomplete command.\r\n\r\n");
	harness_close(&h);

	harness_open(&h, MODE_CONFIG);
	cr_expect_str_eq(harness_exec(&h, "sh", 16, NULL),
			 "% Incomplete command.\r\n\r\n",
			 "`sh` abbreviates `shell` here");
}

Test(engine, unknown_exec_word_is_a_host)
{
	static const char want[] =
		"Translating \"foo\"\r\n\r\n"
		"% Bad IP address or host name\r\n"
		"% Unknown command or computer name, or unable to find "
		"computer address\r\n";

	harness_open(&h, MODE_USER_EXEC);
	cr_expect_str_eq(harness_exec(&h, "foo", 7, NULL), want);
	harness_close(&h);
	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_exec(&h, "end", 7, NULL),
			 "Translating \"end\"\r\n\r\n"
			 "% Bad IP address or host name\r\n"
			 "% Unknown command or computer name, or unable to "
			 "find computer address\r\n");
}

Test(engine, comments_and_blank_lines_do_nothing)
{
	enum cmd_result res;

	harness_open(&h, MODE_CONFIG);
	cr_expect_str_eq(harness_exec(&h, "", 16, &res), "");
	cr_expect_eq(res, CMD_SUCCESS);
	cr_expect_str_eq(harness_exec(&h, "   ", 16, &res), "");
	cr_expect_str_eq(harness_exec(&h, "! interface bad", 16, &res), "");
	cr_expect_str_eq(harness_exec(&h, "  !comment", 16, &res), "");
	cr_expect_eq(fixture_last.calls, 0);
}

Test(engine, abbreviations_run_commands)
{
	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_exec(&h, "sh ver", 7, NULL),
			 "Cisco IOS XE Software, Version 17.03.04a\r\n"
			 "cisco CSR1000V (VXE) processor\r\n");
	cr_expect_str_eq(fixture_last.words, "sh ver");
	harness_exec(&h, "CONF T", 7, NULL);
	cr_expect_str_eq(fixture_last.words, "CONF T");
	cr_expect_eq(fixture_last.calls, 1);
}

Test(engine, exact_keyword_beats_longer_one)
{
	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_exec(&h, "show ip route", 7, NULL), "");
	cr_expect_str_eq(fixture_last.words, "show ip route");
	cr_expect_str_eq(harness_exec(&h, "show ipv route", 7, NULL), "");
	cr_expect_str_eq(fixture_last.words, "show ipv route");
}

Test(engine, precedence_between_token_kinds)
{
	harness_open(&h, MODE_PRIV_EXEC);

	harness_exec(&h, "test kw all", 7, NULL);
	cr_expect_str_eq(fixture_last.args[3], "name=(none)");
	cr_expect_str_eq(fixture_last.args[4], "all=all");
	harness_exec(&h, "test kw al", 7, NULL);
	cr_expect_str_eq(fixture_last.args[3], "name=(none)",
			 "a partial keyword beats WORD");
	cr_expect_str_eq(fixture_last.args[4], "all=all");
	harness_exec(&h, "test kw alx", 7, NULL);
	cr_expect_str_eq(fixture_last.args[3], "name=alx");

	harness_exec(&h, "test num 100", 7, NULL);
	cr_expect_str_eq(fixture_last.args[0], "n=100",
			 "a range beats a partial keyword");
	harness_exec(&h, "test num 100a", 7, NULL);
	cr_expect_str_eq(fixture_last.args[0], "n=(none)");
	cr_expect_str_eq(fixture_last.words, "test num 100a");

	harness_exec(&h, "test addr 10.1.2.3", 7, NULL);
	cr_expect_str_eq(fixture_last.args[1], "ip=10.1.2.3");
	cr_expect_str_eq(fixture_last.args[2], "host=(none)");
	harness_exec(&h, "test addr peer.example", 7, NULL);
	cr_expect_str_eq(fixture_last.args[1], "ip=(none)");
	cr_expect_str_eq(fixture_last.args[2], "host=peer.example");
}

Test(engine, named_selection_stores_full_keyword)
{
	harness_open(&h, MODE_CONFIG_ISAKMP);
	cr_expect_str_eq(harness_exec(&h, "encr a", 26, NULL), "");
	cr_expect_str_eq(fixture_last.args[5], "cipher=aes");
	harness_close(&h);

	harness_open(&h, MODE_PRIV_EXEC);
	harness_exec(&h, "test opt", 7, NULL);
	cr_expect_str_eq(fixture_last.args[7], "opt=(none)");
	harness_exec(&h, "test opt ex mo", 7, NULL);
	cr_expect_str_eq(fixture_last.args[7], "opt=extra");
	cr_expect_str_eq(fixture_last.words, "test opt ex mo");
}

Test(engine, user_exec_hides_privileged_commands)
{
	char *want = caret(7 + 6);

	harness_open(&h, MODE_USER_EXEC);
	cr_expect_str_eq(harness_exec(&h, "show running-config", 7, NULL),
			 want);
	free(want);
	harness_close(&h);

	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_exec(&h, "connect peer", 7, NULL), "",
			 "privileged EXEC runs user EXEC commands");
	cr_expect_str_eq(fixture_last.words, "connect peer");
}

Test(engine, walk_up_leaves_submode_on_success)
{
	enum cmd_result res;

	harness_open(&h, MODE_CONFIG_ISAKMP);
	cr_expect_str_eq(harness_exec(&h, "hostname R2", 26, &res), "");
	cr_expect_eq(res, CMD_SUCCESS);
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG);
	cr_expect_eq(h.vty.depth, 2);

	harness_exec(&h, "crypto isakmp policy 10", 16, NULL);
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG_ISAKMP);
	harness_exec(&h, "int Gi1", 26, NULL);
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG_IF);
	cr_expect_eq(h.vty.depth, 3);
}

Test(engine, walk_up_restores_mode_on_failure)
{
	enum cmd_result res;

	harness_open(&h, MODE_CONFIG_ISAKMP);
	cr_expect_str_eq(harness_exec(&h, "interface bad", 26, &res),
			 "% Invalid interface type and number\r\n");
	cr_expect_eq(res, CMD_ERROR);
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG_ISAKMP);
	cr_expect_eq(h.vty.depth, 3);
}

Test(engine, walk_up_reports_incomplete)
{
	harness_open(&h, MODE_CONFIG_IF);
	cr_expect_str_eq(harness_exec(&h, "crypto isakmp", 18, NULL),
			 "% Incomplete command.\r\n\r\n");
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG_IF);
}

Test(engine, exit_and_end)
{
	enum cmd_result res;

	harness_open(&h, MODE_CONFIG_ISAKMP);
	harness_exec(&h, "exit", 26, &res);
	cr_expect_eq(res, CMD_SUCCESS);
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG);
	harness_exec(&h, "interface Gi1", 16, NULL);
	harness_exec(&h, "end", 18, NULL);
	cr_expect_eq(vty_mode(&h.vty), MODE_PRIV_EXEC);
	cr_expect_eq(h.vty.depth, 1);
	harness_exec(&h, "exit", 7, &res);
	cr_expect_eq(res, CMD_CLOSE);
}

Test(engine, exit_in_config_returns_to_exec)
{
	harness_open(&h, MODE_CONFIG);
	harness_exec(&h, "exit", 16, NULL);
	cr_expect_eq(vty_mode(&h.vty), MODE_PRIV_EXEC);
}

Test(engine, do_runs_exec_command_in_place)
{
	enum cmd_result res;
	char *want;

	harness_open(&h, MODE_CONFIG_IF);
	cr_expect_str_eq(harness_exec(&h, "do show version", 18, &res),
			 "Cisco IOS XE Software, Version 17.03.04a\r\n"
			 "cisco CSR1000V (VXE) processor\r\n");
	cr_expect_eq(res, CMD_SUCCESS);
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG_IF);
	cr_expect_eq(h.vty.depth, 3);

	want = caret(18 + 8);
	cr_expect_str_eq(harness_exec(&h, "do show foo", 18, NULL), want);
	free(want);
	cr_expect_str_eq(harness_exec(&h, "do sh run | i ^interface", 18,
				      NULL),
			 "interface GigabitEthernet1\r\n");
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG_IF);
}

Test(engine, line_takes_pipe_literally)
{
	harness_open(&h, MODE_USER_EXEC);
	cr_expect_str_eq(harness_exec(&h, "send hello | include x", 7, NULL),
			 "sent\r\n");
	cr_expect_str_eq(fixture_last.args[0], "LINE=hello | include x");
	harness_close(&h);

	harness_open(&h, MODE_CONFIG_IF);
	cr_expect_str_eq(harness_exec(&h, "description to | peer  ", 18, NULL),
			 "sent\r\n");
	/* As in IOS, the blanks at the end of the line are not kept. */
	cr_expect_str_eq(fixture_last.args[0], "LINE=to | peer");
}

Test(engine, config_mode_has_no_filters)
{
	char *want = caret(16 + 12);

	harness_open(&h, MODE_CONFIG);
	cr_expect_str_eq(harness_exec(&h, "hostname R1 | include x", 16, NULL),
			 want);
	free(want);
	cr_expect_eq(fixture_last.calls, 0);
}

Test(engine, no_pipe_command_rejects_filter)
{
	char *want = caret(7 + 12);

	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_exec(&h, "show nopipe | include x", 7, NULL),
			 want);
	free(want);
}

Test(engine, hidden_command_runs)
{
	harness_open(&h, MODE_USER_EXEC);
	cr_expect_str_eq(harness_exec(&h, "service-internal-dump", 7, NULL),
			 "");
	cr_expect_eq(fixture_last.calls, 1);
	cr_expect_str_eq(harness_exec(&h, "servic", 7, NULL), "");
	cr_expect_eq(fixture_last.calls, 1);
	cr_expect_str_eq(fixture_last.words, "servic");
}

Test(engine, hidden_command_adds_no_ambiguity)
{
	harness_open(&h, MODE_USER_EXEC);
	cr_expect_str_eq(harness_exec(&h, "se hello", 7, NULL), "sent\r\n");
	cr_expect_str_eq(fixture_last.args[0], "LINE=hello");
}

/* ---- `?` help. */

Test(engine, describe_after_space)
{
	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_describe(&h, "show ip "),
			 "  community-list  List community-list\r\n"
			 "  interface       IP interface status and "
			 "configuration\r\n"
			 "  route           IP routing table\r\n"
			 "\r\n");
	cr_expect_eq(fixture_last.calls, 0, "? never executes");
}

Test(engine, describe_variable_and_cr)
{
	harness_open(&h, MODE_CONFIG);
	cr_expect_str_eq(harness_describe(&h, "crypto isakmp policy "),
			 "  <1-10000>  Priority of protection suite\r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "logging buffered "),
			 "  <4096-2147483647>  Logging buffer size\r\n"
			 "  <cr>\r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "logging "),
			 "  A.B.C.D   IP address of the logging host\r\n"
			 "  buffered  Set buffered logging parameters\r\n"
			 "\r\n");
	cr_expect_eq(fixture_last.calls, 0);
}

Test(engine, describe_shows_ios_variable_names)
{
	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_describe(&h, "test prefix "),
			 "  A.B.C.D/nn          IPv4 prefix\r\n"
			 "  X:X:X:X::X/<0-128>  IPv6 prefix\r\n"
			 "  X:X:X:X::X          IPv6 address\r\n"
			 "  HEX                 Hexadecimal string\r\n"
			 "\r\n");
}

Test(engine, typed_values_match_their_kind)
{
	static const char *const ok[] = {
		"test prefix 10.0.0.0/8", "test prefix 2001:db8::/32",
		"test prefix 2001:db8::1", "test prefix 0xdeadBEEF",
		"test prefix abc123",
	};
	static const char *const bad[] = {
		"test prefix 10.0.0.0/33", "test prefix 2001:db8::/129",
		"test prefix 10.0.0.0", "test prefix 0x", "test prefix xyz",
	};
	size_t i;

	harness_open(&h, MODE_PRIV_EXEC);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_expect_str_eq(harness_exec(&h, ok[i], 7, NULL), "", "%s",
				 ok[i]);
		cr_expect_str_eq(fixture_last.words, ok[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *want = caret(7 + 12);

		cr_expect_str_eq(harness_exec(&h, bad[i], 7, NULL), want,
				 "%s", bad[i]);
		free(want);
	}
}

Test(engine, describe_complete_exec_command)
{
	harness_open(&h, MODE_USER_EXEC);
	cr_expect_str_eq(harness_describe(&h, "show version "),
			 "  |  Output modifiers\r\n  <cr>\r\n\r\n");
	cr_expect_eq(fixture_last.calls, 0);
}

Test(engine, describe_partial_word)
{
	harness_open(&h, MODE_USER_EXEC);
	cr_expect_str_eq(harness_describe(&h, "s"), "send  show  \r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "sh"), "show  \r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "show i"),
			 "inventory  ip  ipv6  \r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "xyz"),
			 "% Unrecognized command\r\n");
	cr_expect_str_eq(harness_describe(&h, "show xyz "),
			 "% Unrecognized command\r\n");
}

Test(engine, describe_wraps_long_help)
{
	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_describe(&h, "test lo"),
			 "long-help  \r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "test long-help "),
			 "  |  Output modifiers\r\n  <cr>\r\n\r\n");
	harness_exec(&h, "", 7, NULL);
	cr_expect_str_eq(harness_describe(&h, "test "),
			 "  addr       Address or name\r\n"
			 "  kw         Keyword or word\r\n"
			 "  long-help  A help text long enough to wrap at "
			 "eighty columns on the screen of\r\n"
			 "             the terminal that shows it\r\n"
			 "  num        Number or keyword\r\n"
			 "  opt        Optional groups\r\n"
			 "  prefix     Prefix or address\r\n"
			 "\r\n");
}

Test(engine, describe_submode_lists_own_commands)
{
	harness_open(&h, MODE_CONFIG_IF);
	cr_expect_str_eq(harness_describe(&h, ""),
			 "Interface configuration commands:\r\n"
			 "  description  Interface specific description\r\n"
			 "  do           To run exec commands in config mode\r\n"
			 "  end          Exit from configure mode\r\n"
			 "  exit         Exit from interface configuration "
			 "mode\r\n"
			 "  ip           Interface Internet Protocol config "
			 "commands\r\n"
			 "  shutdown     Shutdown the selected interface\r\n"
			 "\r\n");
	cr_expect_str_eq(harness_describe(&h, "hostname "),
			 "  WORD  This system's network name\r\n\r\n",
			 "arguments of a parent mode's command");
}

Test(engine, describe_hides_hidden_commands)
{
	harness_open(&h, MODE_USER_EXEC);
	cr_expect_str_eq(harness_describe(&h, "se"), "send  \r\n\r\n");
}

Test(engine, describe_after_do)
{
	harness_open(&h, MODE_CONFIG);
	cr_expect_str_eq(harness_describe(&h, "do "),
			 "  LINE  Exec Command\r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "do sh"), "show  \r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "do show ver"),
			 "version  \r\n\r\n");
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG);
	cr_expect_eq(h.vty.depth, 2);
}

Test(engine, describe_ambiguous_prefix)
{
	harness_open(&h, MODE_PRIV_EXEC);
	cr_expect_str_eq(harness_describe(&h, "show i "),
			 "% Ambiguous command:  \"show i\"\r\n");
}

/* ---- Tab completion. */

static void
expect_completion(const char *line, const char *want)
{
	char *got = cmd_complete(&h.vty, line);

	if (want == NULL)
		cr_expect_null(got, "%s -> %s", line, got);
	else
		cr_expect_str_eq(got ? got : "(null)", want, "%s", line);
	free(got);
}

Test(engine, tab_completes_unique_keyword)
{
	harness_open(&h, MODE_PRIV_EXEC);
	expect_completion("sh", "show");
	expect_completion("show ver", "version");
	expect_completion("conf", "configure");
	expect_completion("s", NULL);
	expect_completion("show ip", NULL);
	expect_completion("show ", NULL);
	expect_completion("show running-config | inc", "include");
	expect_completion("show running-config | s", "section");
	expect_completion("show running-config |inc", "|include");
	expect_completion("show running-config | include cry", NULL);
	expect_completion("xyz", NULL);
	harness_close(&h);

	harness_open(&h, MODE_CONFIG_IF);
	expect_completion("shut", "shutdown");
	expect_completion("hostn", "hostname");
	expect_completion("do show ver", "version");
	cr_expect_eq(vty_mode(&h.vty), MODE_CONFIG_IF);
}

/* ---- Malformed input gets an error, never a crash. */

Test(engine, odd_input_gets_an_error)
{
	static const char *const lines[] = {
		"|", "| | |", "show |", "show | |", "(", "[a|b]", "$x",
		"show \x01\x02", "show \xff\xfe", "do", "do |", "do do do",
		"\tshow\t\tversion\textra", "interface", "exit now",
		"crypto isakmp policy 0",
		"crypto isakmp policy 99999999999999999999",
		"logging 1.2.3", "logging 1.2.3.4.5", "test addr",
		"test num -1",
	};
	static const enum cmd_mode modes[] = {
		MODE_USER_EXEC, MODE_PRIV_EXEC, MODE_CONFIG, MODE_CONFIG_IF,
	};
	char *huge;
	size_t i, k;

	huge = malloc(20001);
	cr_assert_not_null(huge);
	for (i = 0; i < 20000; i++)
		huge[i] = i % 3 ? 'a' : ' ';
	huge[20000] = '\0';

	for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		harness_open(&h, modes[k]);
		for (i = 0; i <= sizeof(lines) / sizeof(lines[0]); i++) {
			const char *line = i < sizeof(lines) / sizeof(lines[0])
					   ? lines[i] : huge;
			char *done;

			cr_expect_not_null(strchr(harness_exec(&h, line, 9,
							       NULL), '%'),
					   "mode %d: \"%.40s\"", (int)modes[k],
					   line);
			cr_expect_eq(vty_mode(&h.vty), modes[k], "\"%.40s\"",
				     line);
			harness_describe(&h, line);
			done = cmd_complete(&h.vty, line);
			free(done);
		}
		harness_close(&h);
	}
	memset(&h, 0, sizeof(h));
	free(huge);
	cr_expect_eq(fixture_last.calls, 0);
}
