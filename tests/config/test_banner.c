/*
 * banner exec|login|motd: one-line and multi-line texts with any
 * delimiter, typed at a terminal or loaded from a file, stored without
 * their delimiters and printed back as IOS prints them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_load.h"
#include "core/config.h"
#include "fixture.h"

static struct fixture fx;

static void
setup(void)
{
	fx_open(&fx);
}

static void
teardown(void)
{
	fx_close(&fx);
}

TestSuite(banner, .init = setup, .fini = teardown);

#define MOTD M "system/banner/motd"

/* Loads TEXT into the fixture's router; returns rejections and report. */
static int
load(const char *text, char **report)
{
	size_t len = 0;
	FILE *rep = open_memstream(report, &len);
	int n;

	cr_assert_not_null(rep);
	n = config_load_text(&fx.router, "banner", text, rep);
	fclose(rep);
	return n;
}

Test(banner, one_line_any_delimiter)
{
	fx_apply(&fx, "banner motd #Authorized access only#");
	cr_assert_str_eq(fx_get(&fx, MOTD), "Authorized access only");
	cr_assert(strstr(fx_render(&fx),
			 "banner motd ^CAuthorized access only^C\n!\n"),
		  "%s", fx_render(&fx));

	/* ETX, as IOS writes it, and the two characters "^C". */
	fx_apply(&fx, "banner exec \003Exec | text\003");
	cr_assert_str_eq(fx_get(&fx, M "system/banner/exec"), "Exec | text");
	fx_apply(&fx, "banner login ^CLogin \"quoted\"^C trailing ignored");
	cr_assert_str_eq(fx_get(&fx, M "system/banner/login"),
			 "Login \"quoted\"");
	cr_assert(strstr(fx_render(&fx),
			 "banner exec ^CExec | text^C\n"
			 "banner login ^CLogin \"quoted\"^C\n"
			 "banner motd ^CAuthorized access only^C\n!\n"),
		  "%s", fx_render(&fx));
}

Test(banner, typed_text_spans_lines)
{
	const char *out;

	/* The fixture answers every line read with the same reply. */
	fx_set_reply(&fx, "Welcome$");
	out = fx_run(&fx, "banner motd $");
	cr_assert_eq(fx.result, CMD_SUCCESS, "%s", out);
	cr_assert(strstr(out, "Enter TEXT message.  End with the character "
			 "'$'.\n"), "%s", out);
	cr_assert_str_eq(fx_get(&fx, MOTD), "\nWelcome");

	fx_set_reply(&fx, "second^C");
	out = fx_run(&fx, "banner motd ^Cfirst");
	cr_assert_eq(fx.result, CMD_SUCCESS, "%s", out);
	cr_assert(strstr(out, "End with the character '^C'."), "%s", out);
	cr_assert_str_eq(fx_get(&fx, MOTD), "first\nsecond");
}

Test(banner, removed_by_no_and_empty_text)
{
	fx_apply(&fx, "banner motd #one#\nbanner login #two#");
	fx_apply(&fx, "no banner motd");
	cr_assert_str_eq(fx_get(&fx, MOTD), "(none)");
	fx_apply(&fx, "banner login ##");
	cr_assert_str_eq(fx_get(&fx, M "system/banner/login"), "(none)");
	cr_assert_null(strstr(fx_render(&fx), "banner"), "%s",
		       fx_render(&fx));
}

Test(banner, bad_text_rejected)
{
	const char *out;

	out = fx_run(&fx, "banner motd #has ^C inside#");
	cr_assert_eq(fx.result, CMD_WARNING);
	cr_assert(strstr(out, "% Invalid banner: the text contains \"^C\""),
		  "%s", out);
	out = fx_run(&fx, "banner motd #bell \007 here#");
	cr_assert_eq(fx.result, CMD_WARNING);
	cr_assert(strstr(out, "control character 0x07"), "%s", out);
	out = fx_run(&fx, "banner motd");
	cr_assert_neq(fx.result, CMD_SUCCESS, "%s", out);
	cr_assert_str_eq(fx_get(&fx, MOTD), "(none)");
}

Test(banner, file_multi_line_round_trip)
{
	static const char text[] =
		"hostname BEFORE\n"
		"banner motd ^C\n"
		"Authorized access only\n"
		"  ! not a comment, hostname NOT-RUN\n"
		"\n"
		"^C\n"
		"banner exec %\n"
		"exec%\n"
		"hostname AFTER\n"
		"bogus command\n";
	char *report = NULL, *first, *again;
	int n;

	n = load(text, &report);
	cr_assert_eq(n, 1, "%s", report);
	/* Line numbers count the banner's lines. */
	cr_assert_str_eq(report, "line 10: bogus command: % Invalid input "
			 "detected at '^' marker.\n");
	free(report);
	cr_assert_str_eq(fx_get(&fx, MOTD), "\nAuthorized access only\n"
			 "  ! not a comment, hostname NOT-RUN\n\n");
	cr_assert_str_eq(fx_get(&fx, M "system/banner/exec"), "\nexec");
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "AFTER");

	first = strdup(fx_render(&fx));
	cr_assert(strstr(first, "banner exec ^C\nexec^C\n"
			 "banner motd ^C\nAuthorized access only\n"
			 "  ! not a comment, hostname NOT-RUN\n\n^C\n!\n"),
		  "%s", first);

	/* The rendered config loads back to the same text. */
	fx_apply(&fx, "no banner motd\nno banner exec");
	n = load(first, &report);
	cr_assert_eq(n, 0, "%s", report);
	free(report);
	again = strdup(fx_render(&fx));
	cr_assert_str_eq(again, first);
	free(first);
	free(again);
}

Test(banner, file_ends_inside_banner)
{
	char *report = NULL;
	int n;

	n = load("hostname R9\nbanner login #\nnever closed\n", &report);
	cr_assert_eq(n, 1, "%s", report);
	cr_assert(strstr(report, "line 2: banner login #: % Invalid banner: "
			 "the input ended before the closing delimiter"),
		  "%s", report);
	free(report);
	cr_assert_str_eq(fx_get(&fx, M "system/banner/login"), "(none)");
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "R9");
}

/*
 * A banner over the maximum is rejected, but its lines up to the closing
 * delimiter are still read as its text: none of them runs as a command.
 */
Test(banner, too_long_text_consumed)
{
	char line[80], *text, *report = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int i, n;

	cr_assert_not_null(f);
	memset(line, 'x', 72);
	line[72] = '\0';
	fprintf(f, "hostname BEFORE\nbanner motd Q\n");
	for (i = 0; i < 60; i++)
		fprintf(f, "%s\n", line);
	fprintf(f, "hostname EVIL\nQ\nhostname AFTER\n");
	fclose(f);

	n = load(text, &report);
	free(text);
	cr_assert_eq(n, 1, "%s", report);
	cr_assert(strstr(report, "line 2: banner motd Q: % Banner too long "
			 "(at most 4096 characters)"), "%s", report);
	free(report);
	cr_assert_str_eq(fx_get(&fx, MOTD), "(none)");
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "AFTER");

	/* Over the maximum on the first line: the rest is still read. */
	text = malloc(4200 + 64);
	cr_assert_not_null(text);
	strcpy(text, "banner login #");
	memset(text + 14, 'y', 4200);
	strcpy(text + 14 + 4200, "\nhostname EVIL\n#\n");
	n = load(text, &report);
	free(text);
	cr_assert_eq(n, 1, "%s", report);
	free(report);
	cr_assert_str_eq(fx_get(&fx, M "system/banner/login"), "(none)");
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "AFTER");
}

Test(banner, group_banner_unchanged)
{
	fx_apply(&fx, "crypto isakmp client configuration group EZ\n"
		 "banner ^CWELCOME^C");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/client-group"
				"[name='EZ']/banner"), "^CWELCOME^C");
	cr_assert_str_eq(fx_get(&fx, MOTD), "(none)");
}

/*
 * An Easy VPN group banner over several lines is read like a global
 * banner, and its lines do not run as commands.
 */
Test(banner, group_banner_spans_lines)
{
	static const char text[] =
		"crypto isakmp client configuration group GB\n"
		" banner #\n"
		"Welcome to GB\n"
		"hostname HACKED\n"
		"#\n"
		" pool P\n";
	char *report = NULL, *first;
	int n;

	n = load(text, &report);
	cr_assert_eq(n, 0, "%s", report);
	free(report);
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "Router");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/client-group"
				"[name='GB']/banner"),
			 "^C\nWelcome to GB\nhostname HACKED\n^C");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/client-group"
				"[name='GB']/pool"), "P");
	first = strdup(fx_render(&fx));
	cr_assert(strstr(first, "crypto isakmp client configuration group GB\n"
			 " pool P\n"
			 " banner ^C\nWelcome to GB\nhostname HACKED\n^C\n"),
		  "%s", first);

	/* The rendered form loads back to the same banner. */
	fx_apply(&fx, "no crypto isakmp client configuration group GB");
	n = load(first, &report);
	cr_assert_eq(n, 0, "%s", report);
	free(report);
	cr_assert_str_eq(fx_render(&fx), first);
	free(first);

	/* One line with any delimiter is stored between two "^C". */
	fx_apply(&fx, "crypto isakmp client configuration group GB\n"
		 "banner #Hello#");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/client-group"
				"[name='GB']/banner"), "^CHello^C");
}

/* The YANG exports carry the line ends of a banner and load back. */
Test(banner, yang_export_round_trip)
{
	static const enum cfg_format formats[] = {
		CFG_FORMAT_JSON, CFG_FORMAT_XML,
	};
	char err[256];
	size_t i;

	fx_set_reply(&fx, "  two\tcolumns#");
	fx_apply(&fx, "banner motd #one");
	cr_assert_str_eq(fx_get(&fx, MOTD), "one\n  two\tcolumns");
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct cfg *copy = cfg_create(VR_YANG_DIR);
		char *text = cfg_export(fx.router.cfg, formats[i]);
		const char *v;

		cr_assert_not_null(copy);
		cr_assert_not_null(text);
		cr_assert_eq(cfg_import(copy, text, formats[i], true, err,
					sizeof(err)), 0, "%s", err);
		v = cfg_get_value(cfg_read_lock(copy), MOTD);
		cr_assert_str_eq(v != NULL ? v : "(none)",
				 "one\n  two\tcolumns");
		cfg_read_unlock(copy);
		cfg_text_free(text);
		cfg_destroy(copy);
	}
}
