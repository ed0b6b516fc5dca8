/*
 * banner exec|login|motd DTEXTD: the texts shown to terminal sessions,
 * stored in /vrouter-config:system/banner.
 *
 * The first character after the keyword is the delimiter D, and the text
 * runs to the next D, on the same line or on a later one. Configs that
 * IOS writes use ETX (0x03), which terminals show as the two characters
 * "^C"; both that byte and the pair "^C" are taken as the ETX delimiter.
 * When the first line does not close the text, the following lines are
 * read from the session (or from the file that the config loader reads),
 * as IOS does after "Enter TEXT message.  End with the character '#'.".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"

#define BANNER_XPATH CC_M "system/banner/"
/* Maximum text length, as the YANG module allows. */
#define BANNER_MAX 4096
#define LINE_MAX_LEN 4096

/* The delimiter: one character, or ETX written as a byte or as "^C". */
struct delim {
	char c;
	bool etx;
};

/* Returns the first closing delimiter in S, or NULL. */
static const char *
find_close(const char *s, const struct delim *d)
{
	if (!d->etx)
		return strchr(s, d->c);
	for (; *s; s++)
		if (*s == '\003' || (s[0] == '^' && s[1] == 'C'))
			return s;
	return NULL;
}

/* A banner text being read, up to MAX characters. */
struct reader {
	struct delim d;
	char *text;
	size_t len, max;
	bool too_long;
};

/*
 * Appends the N bytes at S to the text. Past the maximum the text is
 * only marked too long, so that the caller still reads on to the
 * closing delimiter.
 */
static void
append(struct reader *r, const char *s, size_t n)
{
	if (r->too_long || r->len + n > r->max) {
		r->too_long = true;
		return;
	}
	memcpy(r->text + r->len, s, n);
	r->len += n;
	r->text[r->len] = '\0';
}

/*
 * Checks that TEXT prints back as it was stored: no control characters
 * but tab and line end, and no "^C", which show running-config uses as
 * the delimiter.
 */
static bool
text_ok(struct vty *vty, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p; p++) {
		if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
			vty_out(vty, "%% Invalid banner: control character "
				"0x%02x in the text\n", *p);
			return false;
		}
	}
	if (strstr(text, "^C")) {
		vty_out(vty, "%% Invalid banner: the text contains \"^C\", "
			"which show running-config prints as the delimiter\n");
		return false;
	}
	return true;
}

/*
 * Reads lines after the first one until a line contains the closing
 * delimiter; the part before it ends the text. Every line up to the
 * delimiter belongs to the banner, even once the text is too long or
 * contains a Ctrl-C, so that none of them runs as a command. Returns false
 * with a message when the input ends first.
 */
static bool
read_rest(struct vty *vty, struct reader *r)
{
	char line[LINE_MAX_LEN];
	const char *close;
	size_t used;
	int n;

	if (r->d.etx)
		vty_out(vty, "Enter TEXT message.  End with the character "
			"'^C'.\n");
	else
		vty_out(vty, "Enter TEXT message.  End with the character "
			"'%c'.\n", r->d.c);
	for (;;) {
		n = vty_ask(vty, "", line, sizeof(line));
		if (n == VTY_ASK_ABORT && !r->d.etx) {
			/* Kept as a byte that text_ok() rejects; the line
			 * goes on after it. */
			append(r, line, strlen(line));
			append(r, "\003", 1);
			continue;
		}
		if (n < 0 && n != VTY_ASK_ABORT) {
			vty_out(vty, "%% Invalid banner: the input ended "
				"before the closing delimiter\n");
			return false;
		}
		line[strcspn(line, "\r\n")] = '\0';
		/* Ctrl-C typed at a terminal is the ETX delimiter. */
		close = n == VTY_ASK_ABORT ? line + strlen(line) :
			find_close(line, &r->d);
		used = close ? (size_t)(close - line) : strlen(line);
		append(r, line, used);
		if (close != NULL)
			return true;
		append(r, "\n", 1);
	}
}

bool
cc_read_banner(struct vty *vty, const char *arg, char *text, size_t size)
{
	struct reader r = {
		.d = { .c = arg[0], .etx = arg[0] == '\003' },
		.text = text,
		.max = size - 1,
	};
	const char *start = arg + 1, *close;

	text[0] = '\0';
	if (arg[0] == '^' && arg[1] == 'C') {
		r.d.etx = true;
		start = arg + 2;
	}
	close = find_close(start, &r.d);
	if (close != NULL) {
		append(&r, start, (size_t)(close - start));
	} else {
		append(&r, start, strlen(start));
		append(&r, "\n", 1);
		if (!read_rest(vty, &r))
			return false;
	}
	if (r.too_long) {
		vty_out(vty, "%% Banner too long (at most %zu characters)\n",
			r.max);
		return false;
	}
	return text_ok(vty, text);
}

static enum cmd_result
banner(struct vty *vty, const struct cmd_args *args)
{
	const char *kind = cmd_arg(args, "kind");
	char text[BANNER_MAX + 1];
	struct cc_txn t;

	if (!cc_read_banner(vty, cmd_arg(args, "text"), text, sizeof(text)))
		return CMD_WARNING;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	/* An empty text removes the banner. */
	if (text[0] == '\0')
		cc_del(&t, BANNER_XPATH "%s", kind);
	else
		cc_set(&t, text, BANNER_XPATH "%s", kind);
	return cc_commit(&t);
}

static enum cmd_result
no_banner(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, BANNER_XPATH "%s", cmd_arg(args, "kind"));
	return cc_commit(&t);
}

#define H_BANNER "Define a login banner\n" \
	"Set EXEC process creation banner\n" \
	"Set login banner\n" \
	"Set Message of the Day banner\n"

static const struct cmd_def cmd_banner = {
	.syntax = "banner (exec|login|motd)$kind LINE$text",
	.help = H_BANNER
		"c banner-text c, where 'c' is a delimiting character",
	.fn = banner,
	.flags = CMD_NO_PIPE,
};

static const struct cmd_def cmd_no_banner = {
	.syntax = "no banner (exec|login|motd)$kind [LINE]",
	.help = "Negate a command or set its defaults\n" H_BANNER
		"c banner-text c, where 'c' is a delimiting character",
	.fn = no_banner,
	.flags = CMD_NO_PIPE,
};

void
cc_install_banner(void)
{
	cmd_install(MODE_CONFIG, &cmd_banner);
	cmd_install(MODE_CONFIG, &cmd_no_banner);
}
