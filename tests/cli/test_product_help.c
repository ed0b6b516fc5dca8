/*
 * Every command that cmd_init_all() installs in the product: its
 * declaration was accepted, and each help line reads as IOS help does
 * (printable text, no stray spaces). `?` on an empty line lists the
 * mode's commands without executing anything.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "harness.h"

static void
teardown(void)
{
	cmd_free_all();
}

TestSuite(product_help, .init = cmd_init_all, .fini = teardown);

static void
check_help_line(const struct cmd_def *def, const char *line, size_t len)
{
	size_t i;

	cr_expect_gt(len, 0, "\"%s\": empty help line", def->syntax);
	if (len == 0)
		return;
	cr_expect(!isspace((unsigned char)line[0]) &&
		  !isspace((unsigned char)line[len - 1]),
		  "\"%s\": help \"%.*s\" has leading or trailing space",
		  def->syntax, (int)len, line);
	for (i = 0; i < len; i++)
		cr_expect(isprint((unsigned char)line[i]),
			  "\"%s\": help \"%.*s\" has a control character",
			  def->syntax, (int)len, line);
}

Test(product_help, every_help_line_is_clean)
{
	size_t total = 0, n, i;
	int mode;

	for (mode = 0; mode < MODE_COUNT; mode++) {
		n = cmd_count((enum cmd_mode)mode);
		for (i = 0; i < n; i++) {
			const struct cmd_def *def =
				cmd_nth((enum cmd_mode)mode, i);
			const char *line = def->help, *nl;

			while (*line != '\0') {
				nl = strchr(line, '\n');
				check_help_line(def, line, nl ? (size_t)(nl - line)
							      : strlen(line));
				line = nl ? nl + 1 : line + strlen(line);
			}
			total++;
		}
	}
	cr_expect_gt(cmd_count(MODE_CONFIG), 0);
	cr_log_info("%zu commands checked", total);
}

Test(product_help, empty_line_help_in_every_mode)
{
	struct harness h;
	int mode;

	for (mode = 0; mode < MODE_COUNT; mode++) {
		const char *out;

		harness_open(&h, (enum cmd_mode)mode);
		out = harness_describe(&h, "");
		if (cmd_mode_info((enum cmd_mode)mode)->config)
			cr_expect_not_null(strstr(out, "\r\n  exit "),
					   "mode %d lists exit:\n%s", mode,
					   out);
		cr_expect_eq(vty_mode(&h.vty), (enum cmd_mode)mode);
		harness_close(&h);
	}
}
