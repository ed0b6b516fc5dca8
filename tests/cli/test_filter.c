/*
 * Output filters after `|`: each kind, IOS abbreviations, a regular
 * expression with `|` inside, and the errors for a bad filter.
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
	harness_open(&h, MODE_PRIV_EXEC);
}

static void
teardown(void)
{
	harness_close(&h);
	cmd_free_all();
}

TestSuite(filter, .init = setup, .fini = teardown);

static const char *
run(const char *line)
{
	return harness_exec(&h, line, 3, NULL);
}

Test(filter, include_and_abbreviations)
{
	static const char want[] =
		"crypto isakmp policy 10\r\n"
		"crypto isakmp key cisco address 10.0.0.2\r\n"
		" crypto map CMAP\r\n";

	cr_expect_str_eq(run("show running-config | include crypto"), want);
	cr_expect_str_eq(run("sh run | i crypto"), want);
	cr_expect_str_eq(run("sh run | inc crypto"), want);
	cr_expect_str_eq(run("sh run |i crypto"), want);
	cr_expect_str_eq(run("sh run | I crypto"), want);
}

Test(filter, regex_is_rest_of_line)
{
	cr_expect_str_eq(run("sh run | i isakmp policy|^interface"),
			 "crypto isakmp policy 10\r\n"
			 "interface GigabitEthernet1\r\n");
	cr_expect_str_eq(run("sh run | i   hash sha"), " hash sha\r\n",
			 "spaces before the regex are skipped");
	cr_expect_str_eq(run("sh run | i ^ (encr|hash)"),
			 " encr aes\r\n hash sha\r\n");
}

Test(filter, include_is_case_sensitive)
{
	cr_expect_str_eq(run("sh run | i Crypto"), "");
}

Test(filter, exclude)
{
	cr_expect_str_eq(run("sh run | ex ^ |!"),
			 "hostname R1\r\n"
			 "crypto isakmp policy 10\r\n"
			 "crypto isakmp key cisco address 10.0.0.2\r\n"
			 "interface GigabitEthernet1\r\n"
			 "end\r\n");
}

Test(filter, begin)
{
	cr_expect_str_eq(run("sh run | be ^interface"),
			 "interface GigabitEthernet1\r\n"
			 " ip address 10.0.0.1 255.255.255.0\r\n"
			 " crypto map CMAP\r\n"
			 "!\r\n"
			 "end\r\n");
}

Test(filter, count)
{
	cr_expect_str_eq(run("sh run | c crypto"),
			 "Number of lines which match regexp = 3\r\n");
	cr_expect_str_eq(run("sh run | count nomatch"),
			 "Number of lines which match regexp = 0\r\n");
}

Test(filter, section_by_top_level_line)
{
	cr_expect_str_eq(run("sh run | sec crypto isakmp"),
			 "crypto isakmp policy 10\r\n"
			 " encr aes\r\n"
			 " hash sha\r\n"
			 "crypto isakmp key cisco address 10.0.0.2\r\n");
}

Test(filter, section_by_child_line)
{
	cr_expect_str_eq(run("sh run | section crypto map"),
			 "interface GigabitEthernet1\r\n"
			 " ip address 10.0.0.1 255.255.255.0\r\n"
			 " crypto map CMAP\r\n");
}

Test(filter, missing_regex_is_incomplete)
{
	cr_expect_str_eq(run("sh run | include"),
			 "% Incomplete command.\r\n\r\n");
	cr_expect_str_eq(run("sh run |"), "% Incomplete command.\r\n\r\n");
	cr_expect_eq(fixture_last.calls, 0);
}

Test(filter, unknown_filter_gets_caret)
{
	/* "R3#sh run | incx" puts the caret under the 'x'. */
	cr_expect_str_eq(run("sh run | incx a"),
			 "               ^\r\n"
			 "% Invalid input detected at '^' marker.\r\n\r\n");
	/* "fo" starts "format": the caret goes under the second 'o'. */
	cr_expect_str_eq(run("sh run | foo a"),
			 "              ^\r\n"
			 "% Invalid input detected at '^' marker.\r\n\r\n");
}

/* As on IOS XE, `| format` follows show running-config only. */
Test(filter, format_only_after_running_config)
{
	char *word;

	cr_expect_str_eq(run("show version | format restconf-json"),
			 "                  ^\r\n"
			 "% Invalid input detected at '^' marker.\r\n\r\n");
	cr_expect_str_eq(run("sh ver | f netconf-xml"),
			 "            ^\r\n"
			 "% Invalid input detected at '^' marker.\r\n\r\n");
	cr_expect_eq(fixture_last.calls, 0, "show version ran");

	harness_describe(&h, "show version | ");
	cr_expect_null(strstr(h.buf, "format"), "%s", h.buf);
	cr_expect(strstr(h.buf, "  exclude  Exclude lines that match\r\n"),
		  "%s", h.buf);
	cr_expect_str_eq(harness_describe(&h, "show version | f"), "\r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "sh run | f"),
			 "format  \r\n\r\n");

	/* TAB completes format after show running-config only. */
	cr_expect_null(cmd_complete(&h.vty, "show version | form"));
	word = cmd_complete(&h.vty, "sh run | form");
	cr_expect_str_eq(word != NULL ? word : "(none)", "format");
	free(word);
}

Test(filter, bad_regex_gets_caret)
{
	cr_expect_str_eq(run("sh run | i (a"),
			 "              ^\r\n"
			 "% Invalid input detected at '^' marker.\r\n\r\n");
}

Test(filter, describe_lists_filters)
{
	harness_describe(&h, "sh run | ");
	cr_expect_str_eq(h.buf,
			 "  begin    Begin with the line that matches\r\n"
			 "  count    Count number of lines which match "
			 "regexp\r\n"
			 "  exclude  Exclude lines that match\r\n"
			 "  format   Format the output using the specified "
			 "spec file\r\n"
			 "  include  Include lines that match\r\n"
			 "  section  Filter a section of output\r\n"
			 "\r\n");
	cr_expect_str_eq(harness_describe(&h, "sh run | include "),
			 "  LINE  Regular Expression\r\n\r\n");
	cr_expect_str_eq(harness_describe(&h, "sh run | e"),
			 "exclude  \r\n\r\n");
	cr_expect_eq(fixture_last.calls, 0);
}
