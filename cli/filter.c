/*
 * IOS output modifiers: `| include|exclude|begin|section|count REGEX`,
 * and `| format restconf-json|netconf-xml`, which prints the running
 * configuration in YANG form through libyang in place of the output.
 * As on IOS XE, format follows show running-config only (commands with
 * CMD_FORMAT); elsewhere it is an invalid keyword. The keyword may be abbreviated; the regular expression is the rest of
 * the line (POSIX extended, case-sensitive), so a `|` inside it is an
 * alternation. The engine runs the command, then filters the output it
 * collected in the vty before flushing it.
 */
#include "cli/cmd_graph.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"

enum filter_kind {
	FILTER_BEGIN,
	FILTER_COUNT,
	FILTER_EXCLUDE,
	FILTER_FORMAT,
	FILTER_INCLUDE,
	FILTER_SECTION,
};

/* In alphabetical order, as `| ?` lists them. */
static const struct {
	const char *word;
	const char *help;
	enum filter_kind kind;
} filters[] = {
	{ "begin", "Begin with the line that matches", FILTER_BEGIN },
	{ "count", "Count number of lines which match regexp", FILTER_COUNT },
	{ "exclude", "Exclude lines that match", FILTER_EXCLUDE },
	{ "format", "Format the output using the specified spec file",
	  FILTER_FORMAT },
	{ "include", "Include lines that match", FILTER_INCLUDE },
	{ "section", "Filter a section of output", FILTER_SECTION },
};

#define NFILTERS (sizeof(filters) / sizeof(filters[0]))

struct cmd_filter {
	enum filter_kind kind;
	regex_t re;		/* unused by FILTER_FORMAT */
	enum cfg_format format;
};

/* YANG encodings of `| format`, by the names IOS XE gives them. */
static const struct {
	const char *word;
	enum cfg_format format;
} formats[] = {
	{ "netconf-xml", CFG_FORMAT_XML },
	{ "restconf-json", CFG_FORMAT_JSON },
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* True when filter I is offered; format is offered only when FORMAT. */
static bool
offered(size_t i, bool format)
{
	return format || filters[i].kind != FILTER_FORMAT;
}

/*
 * Finds the offered filter that WORD (LEN bytes) names or abbreviates.
 * Returns its index, -1 when none matches (with the matched prefix
 * length in *REACHED) or -2 when several do.
 */
static int
lookup(const char *word, size_t len, size_t *reached, bool format)
{
	int found = -1;
	size_t i, n;

	*reached = 0;
	for (i = 0; i < NFILTERS; i++) {
		if (!offered(i, format))
			continue;
		for (n = 0; n < len &&
		     tolower((unsigned char)word[n]) == filters[i].word[n]; n++)
			;
		if (n == len && filters[i].word[n] == '\0')
			return (int)i;
		if (n < len) {
			if (n > *reached)
				*reached = n;
			continue;
		}
		found = found == -1 ? (int)i : -2;
	}
	return found;
}

struct cmd_filter *
cmd_filter_parse(struct vty *vty, const char *line, size_t base,
		 size_t echo_width, bool format)
{
	struct cmd_filter *f;
	size_t kw, kw_end, re, reached;
	int idx;

	for (kw = base; is_space(line[kw]); kw++)
		;
	for (kw_end = kw; line[kw_end] != '\0' && !is_space(line[kw_end]);
	     kw_end++)
		;
	if (kw == kw_end) {
		cmd_print_incomplete(vty);
		return NULL;
	}
	idx = lookup(line + kw, kw_end - kw, &reached, format);
	if (idx == -2) {
		cmd_print_ambiguous(vty, line);
		return NULL;
	}
	if (idx < 0) {
		cmd_print_invalid(vty, echo_width + kw + reached);
		return NULL;
	}
	for (re = kw_end; is_space(line[re]); re++)
		;
	if (line[re] == '\0') {
		cmd_print_incomplete(vty);
		return NULL;
	}

	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		vty_out(vty, "%% Not enough memory for the filter\n");
		return NULL;
	}
	f->kind = filters[idx].kind;
	if (f->kind == FILTER_FORMAT) {
		size_t i, n = strcspn(line + re, " \t");

		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
			if (!strncmp(line + re, formats[i].word, n))
				break;
		if (i == sizeof(formats) / sizeof(formats[0]) ||
		    line[re + n + strspn(line + re + n, " \t")] != '\0') {
			free(f);
			cmd_print_invalid(vty, echo_width + re);
			return NULL;
		}
		f->format = formats[i].format;
		return f;
	}
	if (regcomp(&f->re, line + re, REG_EXTENDED | REG_NOSUB) != 0) {
		free(f);
		cmd_print_invalid(vty, echo_width + re);
		return NULL;
	}
	return f;
}

void
cmd_filter_free(struct cmd_filter *filter)
{
	if (filter == NULL)
		return;
	if (filter->kind != FILTER_FORMAT)
		regfree(&filter->re);
	free(filter);
}

/* One output line: its text (NUL-terminated in place) and its extent. */
struct out_line {
	char *text;
	size_t len;
};

/* Splits BUF (LEN bytes, owned) into lines, ending each with a NUL. */
static size_t
split_lines(char *buf, size_t len, struct out_line **lines)
{
	size_t n = 0, cap = 0, i = 0;
	struct out_line *v = NULL;

	while (i < len) {
		char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		if (n == cap) {
			struct out_line *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*nv));
			if (nv == NULL)
				break;
			v = nv;
		}
		buf[end] = '\0';	/* BUF has room: vty keeps a NUL */
		v[n].text = buf + i;
		v[n].len = end - i;
		n++;
		i = end + 1;
	}
	*lines = v;
	return n;
}

static bool
matches(const struct cmd_filter *f, const struct out_line *l)
{
	return regexec(&f->re, l->text, 0, NULL, 0) == 0;
}

static bool
top_level(const struct out_line *l)
{
	return l->len == 0 || !is_space(l->text[0]);
}

/* Writes each section (a top-level line and its indented lines) in which
 * some line matches. */
static void
print_sections(struct vty *vty, const struct cmd_filter *f,
	       const struct out_line *v, size_t n)
{
	size_t start = 0, end, i;

	while (start < n) {
		bool hit = false;

		for (end = start + 1; end < n && !top_level(&v[end]); end++)
			;
		for (i = start; i < end && !hit; i++)
			hit = matches(f, &v[i]);
		for (i = start; hit && i < end; i++)
			vty_out(vty, "%s\n", v[i].text);
		start = end;
	}
}

void
cmd_filter_apply(struct cmd_filter *filter, struct vty *vty)
{
	char *buf = vty->out;
	size_t len = vty->out_len, cap = vty->out_cap, n = 0, i, count = 0;
	struct out_line *v = NULL;
	bool begun = false;

	/* The filtered lines are written anew into an empty buffer. */
	vty->out = NULL;
	vty->out_len = vty->out_cap = 0;
	if (buf != NULL)
		n = split_lines(buf, len, &v);

	switch (filter->kind) {
	case FILTER_FORMAT: {
		char *text = cfg_export(vty->router->cfg, filter->format);

		if (text == NULL)
			vty_out(vty, "%% Not enough memory for the export\n");
		else
			vty_write_raw(vty, text, strlen(text));
		cfg_text_free(text);
		break;
	}
	case FILTER_SECTION:
		print_sections(vty, filter, v, n);
		break;
	case FILTER_COUNT:
		for (i = 0; i < n; i++)
			count += matches(filter, &v[i]);
		vty_out(vty, "Number of lines which match regexp = %zu\n",
			count);
		break;
	default:
		for (i = 0; i < n; i++) {
			bool hit = matches(filter, &v[i]);
			bool keep = hit;

			if (filter->kind == FILTER_EXCLUDE)
				keep = !hit;
			else if (filter->kind == FILTER_BEGIN)
				keep = begun = begun || hit;
			if (keep)
				vty_out(vty, "%s\n", v[i].text);
		}
		break;
	}
	free(v);
	/* The unfiltered output may show secrets. */
	if (buf != NULL)
		OPENSSL_clear_free(buf, cap);
}

void
cmd_filter_describe(struct vty *vty, const char *text, bool format)
{
	struct cmd_help_row rows[NFILTERS];
	size_t i, n = 0, kw_len, reached;
	const char *kw, *after;
	int idx;

	for (kw = text; is_space(*kw); kw++)
		;
	for (after = kw; *after != '\0' && !is_space(*after); after++)
		;
	kw_len = (size_t)(after - kw);

	if (kw_len == 0) {
		for (i = 0; i < NFILTERS; i++) {
			if (!offered(i, format))
				continue;
			rows[n].word = filters[i].word;
			rows[n].help = filters[i].help;
			rows[n++].help_len = strlen(filters[i].help);
		}
		cmd_print_help_rows(vty, rows, n, false);
		vty_out(vty, "\n");
		return;
	}
	if (*after == '\0') {
		/* The keyword is being typed: list what it could become. */
		for (i = 0; i < NFILTERS; i++)
			if (offered(i, format) &&
			    strncmp(filters[i].word, kw, kw_len) == 0)
				vty_out(vty, "%s  ", filters[i].word);
		vty_out(vty, "\n\n");
		return;
	}
	idx = lookup(kw, kw_len, &reached, format);
	if (idx < 0) {
		vty_out(vty, "%% Unrecognized command\n");
		return;
	}
	while (is_space(*after))
		after++;
	if (*after == '\0')
		vty_out(vty, "  LINE  Regular Expression\n\n");
	else
		vty_out(vty, "  <cr>\n\n");
}

char *
cmd_filter_complete(const char *word, bool format)
{
	size_t reached;
	int idx = lookup(word, strlen(word), &reached, format);

	return idx >= 0 ? strdup(filters[idx].word) : NULL;
}
