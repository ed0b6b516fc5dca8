/*
 * The command engine: the per-mode command tables, execution with walk-up
 * to parent modes, IOS error messages, `?` help and Tab completion, and
 * the commands every mode shares (exit, end, do).
 */
#include "cli/command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_graph.h"
#include "cli/vty.h"

/* IOS wraps `?` help at 80 columns. */
#define HELP_WIDTH 80

struct cmd_table {
	struct cmd_entry **v;
	size_t n;
	size_t cap;
};

/* Every installed command, by mode; filled once at start. */
static struct cmd_table tables[MODE_COUNT];
static bool initialised;

static const struct cmd_def do_def;

/* ---- Installation. */

static unsigned
effective_privilege(enum cmd_mode mode, const struct cmd_def *def)
{
	if (def->privilege != 0)
		return def->privilege;
	return mode == MODE_USER_EXEC ? 1 : 15;
}

static bool
same_syntax(const struct cmd_table *t, const struct cmd_def *def)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i]->def->syntax, def->syntax) == 0)
			return true;
	return false;
}

int
cmd_try_install(enum cmd_mode mode, const struct cmd_def *def, char *err,
		size_t errlen)
{
	struct cmd_table *t;
	struct cmd_entry *e;

	if (mode >= MODE_COUNT || def == NULL || def->syntax == NULL) {
		snprintf(err, errlen, "invalid mode or declaration");
		return -1;
	}
	t = &tables[mode];
	if (def->fn == NULL) {
		snprintf(err, errlen, "no handler");
		return -1;
	}
	if (same_syntax(t, def)) {
		snprintf(err, errlen, "already installed in this mode");
		return -1;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct cmd_entry **v = realloc(t->v, cap * sizeof(*v));

		if (v == NULL)
			goto nomem;
		t->v = v;
		t->cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto nomem;
	e->mode = mode;
	e->privilege = effective_privilege(mode, def);
	if (cmd_graph_build(e, def, err, errlen) < 0) {
		cmd_graph_free(e);
		free(e);
		return -1;
	}
	t->v[t->n++] = e;
	return 0;

nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void
cmd_install(enum cmd_mode mode, const struct cmd_def *def)
{
	char err[256];

	if (cmd_try_install(mode, def, err, sizeof(err)) == 0)
		return;
	fprintf(stderr, "vrouter: cannot install command \"%s\" in mode %d: "
		"%s\n", def && def->syntax ? def->syntax : "(null)",
		(int)mode, err);
	abort();
}

static void
free_table(struct cmd_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		cmd_graph_free(t->v[i]);
		free(t->v[i]);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void
cmd_free_all(void)
{
	int mode;

	for (mode = 0; mode < MODE_COUNT; mode++)
		free_table(&tables[mode]);
	initialised = false;
}

size_t
cmd_count(enum cmd_mode mode)
{
	return mode < MODE_COUNT ? tables[mode].n : 0;
}

const struct cmd_def *
cmd_nth(enum cmd_mode mode, size_t n)
{
	if (mode >= MODE_COUNT || n >= tables[mode].n)
		return NULL;
	return tables[mode].v[n]->def;
}

/*
 * Collects the commands that a session at PRIVILEGE may run in MODE.
 * Privileged EXEC adds the user EXEC commands, and LISTING leaves out
 * hidden commands. Returns a malloc'd array, or NULL on ENOMEM.
 */
static const struct cmd_entry **
visible(enum cmd_mode mode, unsigned privilege, bool listing, size_t *n)
{
	const struct cmd_table *parts[2] = { &tables[mode], NULL };
	const struct cmd_entry **v;
	size_t total = tables[mode].n, i, k;

	if (mode == MODE_PRIV_EXEC) {
		parts[1] = &tables[MODE_USER_EXEC];
		total += parts[1]->n;
	}
	*n = 0;
	v = calloc(total + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (k = 0; k < 2 && parts[k] != NULL; k++) {
		for (i = 0; i < parts[k]->n; i++) {
			const struct cmd_entry *e = parts[k]->v[i];

			if (e->privilege > privilege)
				continue;
			if (listing && (e->def->flags & CMD_HIDDEN))
				continue;
			v[(*n)++] = e;
		}
	}
	return v;
}

static bool
is_exec(enum cmd_mode mode)
{
	return mode == MODE_USER_EXEC || mode == MODE_PRIV_EXEC;
}

/* ---- Messages. */

void
cmd_print_invalid(struct vty *vty, size_t column)
{
	vty_out(vty, "%*s^\n%% Invalid input detected at '^' marker.\n\n",
		(int)column, "");
}

void
cmd_print_incomplete(struct vty *vty)
{
	vty_out(vty, "%% Incomplete command.\n\n");
}

void
cmd_print_ambiguous(struct vty *vty, const char *line)
{
	size_t len;

	while (*line == ' ' || *line == '\t')
		line++;
	len = strlen(line);
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
			   line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	vty_out(vty, "%% Ambiguous command:  \"%.*s\"\n", (int)len, line);
}

/* IOS tries an unknown EXEC word as a host name to telnet to. */
void
cmd_print_unknown_host(struct vty *vty, const char *word, size_t len)
{
	vty_out(vty, "Translating \"%.*s\"\n\n"
		"%% Bad IP address or host name\n"
		"%% Unknown command or computer name, or unable to find "
		"computer address\n", (int)len, word);
}

/* ---- Execution. */

/* One attempt to match a line in one mode. */
struct attempt {
	struct cmd_matcher m;
	const struct cmd_entry **entries;
	const struct cmd_state *found;
	enum cmd_status status;
};

static void
attempt_run(struct attempt *a, struct vty *vty, enum cmd_mode mode,
	    const char *line, const struct cmd_word *words, int nwords)
{
	size_t n;

	a->entries = visible(mode, vty->privilege, false, &n);
	cmd_matcher_init(&a->m, line, words, nwords, a->entries, n);
	a->status = cmd_matcher_run(&a->m, &a->found);
}

static void
attempt_release(struct attempt *a)
{
	cmd_matcher_release(&a->m);
	free(a->entries);
	a->entries = NULL;
}

/* Returns the stack depth at which MODE is current, or -1. */
static int
depth_of(const struct vty *vty, enum cmd_mode mode)
{
	int i;

	for (i = vty->depth - 1; i >= 0; i--)
		if (vty->levels[i].mode == mode)
			return i + 1;
	return -1;
}

/*
 * Runs the handler of a complete match. A command of an outer mode runs
 * with the mode stack cut back to DEPTH; IOS changes mode only when the
 * command succeeds, so a failure puts the stack back.
 */
static enum cmd_result
run_handler(struct vty *vty, struct attempt *a, size_t echo_width,
	    struct cmd_filter *filter, int depth)
{
	struct vty_level saved[VTY_MODE_DEPTH];
	int saved_depth = vty->depth;
	bool saved_line_value = vty->line_value;
	size_t saved_column = vty->line_value_column;
	enum cmd_result res;
	struct cmd_args *args;
	int line_word;
	bool cut;

	args = cmd_args_build(&a->m, a->found);
	if (args == NULL) {
		vty_out(vty, "%% Not enough memory to run the command\n");
		vty_flush(vty);
		return CMD_ERROR;
	}
	args->echo_width = echo_width;

	cut = depth > 0 && depth < vty->depth;
	if (cut) {
		memcpy(saved, vty->levels, sizeof(saved));
		vty->depth = depth;
	}
	line_word = cmd_state_line_word(a->found);
	vty->line_value = line_word >= 0;
	if (line_word >= 0)
		vty->line_value_column = a->m.words[line_word].start;
	res = a->found->entry->def->fn(vty, args);
	vty->line_value = saved_line_value;
	vty->line_value_column = saved_column;
	if (cut && (res == CMD_WARNING || res == CMD_ERROR)) {
		memcpy(vty->levels, saved, sizeof(saved));
		vty->depth = saved_depth;
	}
	if (filter != NULL)
		cmd_filter_apply(filter, vty);
	vty_flush(vty);
	cmd_args_free(args);
	return res;
}

/* True when the one word of the line was taken as the keyword `show`. */
static bool
took_show(const struct cmd_matcher *m)
{
	size_t i;

	for (i = 0; i < m->nstates; i++) {
		const struct cmd_node *node = cmd_state_last(&m->states[i]);

		if (node != NULL && node->type == TOK_KEYWORD &&
		    strcmp(node->text, "show") == 0)
			return true;
	}
	return false;
}

/* Writes the IOS message for a line that matched no command. */
static void
report(struct vty *vty, const struct attempt *a, const char *line,
       size_t echo_width, bool exec)
{
	const struct cmd_word *w = a->m.words;
	int nwords = a->m.nwords;

	switch (a->status) {
	case STATUS_OK:
		return;
	case STATUS_AMBIGUOUS:
		cmd_print_ambiguous(vty, line);
		return;
	case STATUS_INCOMPLETE:
		if (nwords == 1 && took_show(&a->m)) {
			vty_out(vty, "%% Type \"show ?\" for a list of "
				"subcommands\n");
			return;
		}
		cmd_print_incomplete(vty);
		return;
	case STATUS_NO_MATCH:
		if (exec && nwords == 1) {
			cmd_print_unknown_host(vty, line + w[0].start, w[0].len);
			return;
		}
		cmd_print_invalid(vty, echo_width + a->m.err_offset);
		return;
	}
}

/* Index of the first word that starts with '|', or -1. */
static int
find_pipe(const char *line, const struct cmd_word *words, int nwords)
{
	int i;

	for (i = 1; i < nwords; i++)
		if (line[words[i].start] == '|')
			return i;
	return -1;
}

/* True when the command that A found takes `| format`. */
static bool
takes_format(const struct attempt *a)
{
	return (a->found->entry->def->flags & CMD_FORMAT) != 0;
}

/*
 * Tries LINE as a command followed by an output filter. Returns true when
 * it ran (or failed on the filter), with the result in *RES.
 */
static bool
exec_piped(struct vty *vty, const char *line, const struct cmd_word *words,
	   int nwords, size_t echo_width, enum cmd_result *res)
{
	struct cmd_filter *filter;
	struct attempt a = { 0 };
	int pipe = find_pipe(line, words, nwords);
	bool ran = false;

	if (pipe < 0)
		return false;
	attempt_run(&a, vty, vty_mode(vty), line, words, pipe);
	if (a.status != STATUS_OK ||
	    (a.found->entry->def->flags & CMD_NO_PIPE) ||
	    cmd_state_ends_in_line(a.found))
		goto out;

	ran = true;
	filter = cmd_filter_parse(vty, line, words[pipe].start + 1,
				  echo_width, takes_format(&a));
	if (filter == NULL) {
		vty_flush(vty);
		*res = CMD_ERROR;
		goto out;
	}
	*res = run_handler(vty, &a, echo_width, filter, 0);
	cmd_filter_free(filter);
out:
	attempt_release(&a);
	return ran;
}

static enum cmd_result
exec_exec(struct vty *vty, const char *line, const struct cmd_word *words,
	  int nwords, size_t echo_width)
{
	struct attempt a = { 0 };
	enum cmd_result res = CMD_ERROR;

	if (exec_piped(vty, line, words, nwords, echo_width, &res))
		return res;
	attempt_run(&a, vty, vty_mode(vty), line, words, nwords);
	if (a.status == STATUS_OK) {
		res = run_handler(vty, &a, echo_width, NULL, 0);
	} else {
		report(vty, &a, line, echo_width, true);
		vty_flush(vty);
	}
	attempt_release(&a);
	return res;
}

/*
 * Returns true when CAND is the better failure to report than BEST: an
 * incomplete or ambiguous line from the innermost mode, else the caret
 * that got furthest.
 */
static bool
better_failure(const struct attempt *cand, const struct attempt *best)
{
	if (best == NULL)
		return true;
	if (best->status != STATUS_NO_MATCH)
		return false;
	if (cand->status != STATUS_NO_MATCH)
		return true;
	return cand->m.err_offset > best->m.err_offset;
}

static enum cmd_result
exec_config(struct vty *vty, const char *line, const struct cmd_word *words,
	    int nwords, size_t echo_width)
{
	struct attempt tries[MODE_COUNT], *best = NULL;
	enum cmd_mode mode = vty_mode(vty);
	enum cmd_result res = CMD_ERROR;
	int n = 0, i;

	memset(tries, 0, sizeof(tries));
	while (mode < MODE_COUNT && cmd_mode_info(mode)->config) {
		struct attempt *a = &tries[n++];

		attempt_run(a, vty, mode, line, words, nwords);
		if (a->status == STATUS_OK) {
			res = run_handler(vty, a, echo_width, NULL,
					  depth_of(vty, mode));
			best = NULL;
			goto out;
		}
		if (better_failure(a, best))
			best = a;
		mode = cmd_mode_info(mode)->parent;
	}
	if (best != NULL) {
		report(vty, best, line, echo_width, false);
		vty_flush(vty);
	}
out:
	for (i = 0; i < n; i++)
		attempt_release(&tries[i]);
	return res;
}

enum cmd_result
cmd_execute(struct vty *vty, const char *line, size_t echo_width)
{
	struct cmd_word *words = NULL;
	enum cmd_result res = CMD_SUCCESS;
	const char *c = line;
	char *trimmed = NULL;
	size_t len;
	int nwords;

	while (*c == ' ' || *c == '\t')
		c++;
	if (*c == '\0' || *c == '!')
		return CMD_SUCCESS;

	/* IOS ignores blanks at the end of a line, in LINE arguments too. */
	len = strlen(line);
	if (line[len - 1] == ' ' || line[len - 1] == '\t') {
		while (line[len - 1] == ' ' || line[len - 1] == '\t')
			len--;
		trimmed = strndup(line, len);
		if (trimmed == NULL)
			goto nomem;
		line = trimmed;
	}

	nwords = cmd_split(line, &words);
	if (nwords < 0)
		goto nomem;
	if (is_exec(vty_mode(vty)))
		res = exec_exec(vty, line, words, nwords, echo_width);
	else
		res = exec_config(vty, line, words, nwords, echo_width);
	free(words);
	free(trimmed);
	return res;

nomem:
	free(trimmed);
	vty_out(vty, "%% Not enough memory to run the command\n");
	vty_flush(vty);
	return CMD_ERROR;
}

/* ---- `?` help and Tab completion. */

/* The line being helped: its words, and whether the last is unfinished. */
struct help_line {
	const char *line;
	struct cmd_word *words;
	int nwords;
	int done;	/* words before the one being typed */
	bool partial;	/* the last word has no space after it */
};

static int
help_line_init(struct help_line *h, const char *line)
{
	size_t len = strlen(line);

	memset(h, 0, sizeof(*h));
	h->line = line;
	h->nwords = cmd_split(line, &h->words);
	if (h->nwords < 0)
		return -1;
	h->partial = h->nwords > 0 && len > 0 && line[len - 1] != ' ' &&
		     line[len - 1] != '\t';
	h->done = h->partial ? h->nwords - 1 : h->nwords;
	return 0;
}

/*
 * Matches the finished words of H in MODE and returns the status. On
 * STATUS_OK the matcher contains the candidates for the next word.
 */
static enum cmd_status
help_match(struct vty *vty, enum cmd_mode mode, const struct help_line *h,
	   struct attempt *a)
{
	size_t n;
	int i;

	memset(a, 0, sizeof(*a));
	a->entries = visible(mode, vty->privilege, true, &n);
	cmd_matcher_init(&a->m, h->line, h->words, h->nwords, a->entries, n);
	for (i = 0; i < h->done; i++) {
		if (a->m.nstates == 0 && a->m.ndone > 0)
			break;
		a->status = cmd_matcher_step(&a->m, i);
		if (a->status != STATUS_OK)
			return a->status;
	}
	if (a->m.nstates == 0 && a->m.ndone == 0)
		a->status = STATUS_NO_MATCH;
	return a->status;
}

/* True when a state of A completes a command (after LINE too). */
static bool
complete_here(const struct attempt *a, bool *pipe_ok)
{
	bool cr = false;
	size_t i;

	*pipe_ok = false;
	for (i = 0; i < a->m.nstates + a->m.ndone; i++) {
		const struct cmd_state *s = i < a->m.nstates ?
			&a->m.states[i] : &a->m.done[i - a->m.nstates];

		if (s->node->type != TOK_END)
			continue;
		cr = true;
		if (!(s->entry->def->flags & CMD_NO_PIPE) &&
		    !cmd_state_ends_in_line(s))
			*pipe_ok = true;
	}
	return cr;
}

static int
row_cmp(const void *pa, const void *pb)
{
	const struct cmd_help_row *a = pa, *b = pb;

	return strcmp(a->word, b->word);
}

/*
 * Collects the distinct tokens that could take the next word, variables
 * first in declaration order, then keywords in alphabetical order.
 * PREFIX (LEN bytes) keeps only the tokens that it could begin.
 */
static size_t
collect_rows(const struct attempt *a, const char *prefix, size_t len,
	     struct cmd_help_row **rows)
{
	size_t i, k, n = 0, nvars = 0;
	struct cmd_help_row *v;

	v = calloc(a->m.nstates + 1, sizeof(*v));
	*rows = v;
	if (v == NULL)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < a->m.nstates; i++) {
			const struct cmd_node *node = a->m.states[i].node;

			if (node->type == TOK_END ||
			    (node->type == TOK_KEYWORD) != (pass == 1))
				continue;
			if (prefix && !cmd_token_prefix(node, prefix, len))
				continue;
			for (k = 0; k < n; k++)
				if (strcmp(v[k].word,
					   cmd_token_display(node)) == 0)
					break;
			if (k < n)
				continue;
			v[n].word = cmd_token_display(node);
			v[n].help = node->help;
			v[n].help_len = node->help_len;
			n++;
		}
		if (pass == 0)
			nvars = n;
	}
	qsort(v + nvars, n - nvars, sizeof(*v), row_cmp);
	return n;
}

/* Writes HELP (LEN bytes) from column COL, wrapped at HELP_WIDTH. */
static void
print_wrapped(struct vty *vty, const char *help, size_t len, size_t col)
{
	size_t room = col + 10 < HELP_WIDTH ? HELP_WIDTH - col : 10;

	while (len > room) {
		size_t cut = room;

		while (cut > 0 && help[cut] != ' ')
			cut--;
		if (cut == 0) {
			cut = room;
			while (cut < len && help[cut] != ' ')
				cut++;
		}
		vty_out(vty, "%.*s\n%*s", (int)cut, help, (int)col, "");
		while (cut < len && help[cut] == ' ')
			cut++;
		help += cut;
		len -= cut;
	}
	vty_out(vty, "%.*s\n", (int)len, help);
}

void
cmd_print_help_rows(struct vty *vty, const struct cmd_help_row *rows,
		    size_t nrows, bool cr)
{
	size_t width = 0, i;

	for (i = 0; i < nrows; i++)
		if (strlen(rows[i].word) > width)
			width = strlen(rows[i].word);
	for (i = 0; i < nrows; i++) {
		vty_out(vty, "  %-*s  ", (int)width, rows[i].word);
		print_wrapped(vty, rows[i].help, rows[i].help_len, width + 4);
	}
	if (cr)
		vty_out(vty, "  <cr>\n");
}

/* The heading IOS prints for `?` on an empty line. */
static const char *
mode_heading(enum cmd_mode mode)
{
	switch (mode) {
	case MODE_USER_EXEC:
	case MODE_PRIV_EXEC:
		return "Exec commands:";
	case MODE_CONFIG:
		return "Configure commands:";
	case MODE_CONFIG_IF:
		return "Interface configuration commands:";
	default:
		/* NOTE: IOS names each sub-mode here; those are not copied. */
		return "Configuration commands:";
	}
}

static void
describe_rows(struct vty *vty, const struct attempt *a,
	      const struct help_line *h, enum cmd_mode mode)
{
	struct cmd_help_row *rows, *all;
	bool pipe_ok, cr = complete_here(a, &pipe_ok);
	size_t n;

	n = collect_rows(a, NULL, 0, &rows);
	if (rows == NULL)
		return;
	all = realloc(rows, (n + 1) * sizeof(*rows));
	if (all == NULL) {
		free(rows);
		return;
	}
	rows = all;
	if (cr && pipe_ok && is_exec(mode)) {
		rows[n].word = "|";
		rows[n].help = "Output modifiers";
		rows[n].help_len = strlen(rows[n].help);
		n++;
	}
	if (h->nwords == 0)
		vty_out(vty, "%s\n", mode_heading(mode));
	cmd_print_help_rows(vty, rows, n, cr);
	vty_out(vty, "\n");
	free(rows);
}

static void
describe_partial(struct vty *vty, const struct attempt *a,
		 const struct help_line *h)
{
	const struct cmd_word *w = &h->words[h->nwords - 1];
	struct cmd_help_row *rows;
	size_t n, i;

	n = collect_rows(a, h->line + w->start, w->len, &rows);
	for (i = 0; i < n; i++)
		vty_out(vty, "%s  ", rows[i].word);
	vty_out(vty, "\n\n");
	free(rows);
}

/* True when the candidates of A can take the word being typed. */
static bool
has_candidates(const struct attempt *a, const struct help_line *h)
{
	const struct cmd_word *w;
	struct cmd_help_row *rows;
	bool pipe_ok;
	size_t n;

	if (!h->partial)
		return a->m.nstates > 0 || complete_here(a, &pipe_ok);
	w = &h->words[h->nwords - 1];
	n = collect_rows(a, h->line + w->start, w->len, &rows);
	free(rows);
	return n > 0;
}

/*
 * Finds the mode whose commands take the line being helped: the current
 * one, then, unless the line is empty, its parent config modes, as for
 * execution. Returns false with the failure in A.
 */
static bool
help_find(struct vty *vty, const struct help_line *h, struct attempt *a,
	  enum cmd_mode *found_mode)
{
	enum cmd_mode mode = vty_mode(vty);
	enum cmd_status first = STATUS_OK;

	for (;;) {
		enum cmd_status st = help_match(vty, mode, h, a);

		if (st == STATUS_OK && has_candidates(a, h)) {
			*found_mode = mode;
			return true;
		}
		if (first == STATUS_OK)
			first = st == STATUS_OK ? STATUS_NO_MATCH : st;
		attempt_release(a);
		if (h->done == 0 && !h->partial)
			break;
		if (is_exec(mode) || !cmd_mode_info(mode)->config)
			break;
		mode = cmd_mode_info(mode)->parent;
		if (mode >= MODE_COUNT || !cmd_mode_info(mode)->config)
			break;
	}
	a->status = first;
	return false;
}

/*
 * When LINE in a config mode is `do` followed by more text, returns the
 * offset of that text, which then gets help as privileged EXEC input.
 */
static long
do_rest(struct vty *vty, const struct help_line *h)
{
	struct attempt a;
	long rest = -1;
	size_t i;

	if (is_exec(vty_mode(vty)) || h->nwords < 2)
		return -1;
	if (help_match(vty, vty_mode(vty), &(struct help_line){
			.line = h->line, .words = h->words,
			.nwords = h->nwords, .done = 1 }, &a) == STATUS_OK &&
	    a.m.nstates > 0) {
		rest = (long)h->words[1].start;
		for (i = 0; i < a.m.nstates; i++)
			if (a.m.states[i].entry->def != &do_def)
				rest = -1;
	}
	attempt_release(&a);
	return rest;
}

/* Runs FN on the text after `do` as if the session were in EXEC. */
static void
as_exec(struct vty *vty, const char *rest,
	void (*fn)(struct vty *, const char *))
{
	int depth = vty->depth;

	vty->depth = 1;
	fn(vty, rest);
	vty->depth = depth;
}

/* Handles `?` after a `|`; returns false when the line has no filter. */
static bool
describe_pipe(struct vty *vty, const struct help_line *h)
{
	struct attempt a = { 0 };
	int pipe = find_pipe(h->line, h->words, h->nwords);
	bool used = false;

	if (pipe < 0 || !is_exec(vty_mode(vty)))
		return false;
	attempt_run(&a, vty, vty_mode(vty), h->line, h->words, pipe);
	if (a.status == STATUS_OK &&
	    !(a.found->entry->def->flags & CMD_NO_PIPE) &&
	    !cmd_state_ends_in_line(a.found)) {
		cmd_filter_describe(vty,
				    h->line + h->words[pipe].start + 1,
				    takes_format(&a));
		used = true;
	}
	attempt_release(&a);
	return used;
}

void
cmd_describe(struct vty *vty, const char *line)
{
	struct help_line h;
	struct attempt a;
	enum cmd_mode mode;
	long rest;

	if (help_line_init(&h, line) < 0)
		return;
	rest = do_rest(vty, &h);
	if (rest >= 0) {
		as_exec(vty, line + rest, cmd_describe);
		goto out;
	}
	if (describe_pipe(vty, &h))
		goto flush;

	if (!help_find(vty, &h, &a, &mode)) {
		if (a.status == STATUS_AMBIGUOUS)
			cmd_print_ambiguous(vty, line);
		else
			vty_out(vty, "%% Unrecognized command\n");
		goto flush;
	}
	if (h.partial)
		describe_partial(vty, &a, &h);
	else
		describe_rows(vty, &a, &h, mode);
	attempt_release(&a);
flush:
	vty_flush(vty);
out:
	free(h.words);
}

/* Returns the one keyword that the word being typed abbreviates. */
static char *
complete_in(struct vty *vty, const struct help_line *h)
{
	const struct cmd_word *w = &h->words[h->nwords - 1];
	const char *word = NULL;
	bool several = false;
	struct attempt a;
	enum cmd_mode mode;
	char *res = NULL;
	size_t i;

	if (!help_find(vty, h, &a, &mode))
		return NULL;
	for (i = 0; i < a.m.nstates; i++) {
		const struct cmd_node *node = a.m.states[i].node;

		if (node->type != TOK_KEYWORD ||
		    !cmd_token_prefix(node, h->line + w->start, w->len))
			continue;
		if (word == NULL)
			word = node->text;
		else if (strcmp(word, node->text) != 0)
			several = true;
	}
	if (word != NULL && !several)
		res = strdup(word);
	attempt_release(&a);
	return res;
}

/* Completes the filter keyword after `|` ("|inc" or "| inc"). */
static char *
complete_filter(struct vty *vty, const struct help_line *h)
{
	int pipe = find_pipe(h->line, h->words, h->nwords);
	const struct cmd_word *last = &h->words[h->nwords - 1];
	struct attempt a = { 0 };
	bool format;
	char *word, *res;

	attempt_run(&a, vty, vty_mode(vty), h->line, h->words, pipe);
	format = a.status == STATUS_OK && takes_format(&a);
	attempt_release(&a);
	if (pipe == h->nwords - 2 && h->words[pipe].len == 1)
		return cmd_filter_complete(h->line + last->start, format);
	if (pipe != h->nwords - 1 || last->len < 2)
		return NULL;
	word = strndup(h->line + last->start + 1, last->len - 1);
	res = word ? cmd_filter_complete(word, format) : NULL;
	free(word);
	if (res == NULL)
		return NULL;
	word = malloc(strlen(res) + 2);
	if (word != NULL)
		sprintf(word, "|%s", res);
	free(res);
	return word;
}

static char *
complete_line(struct vty *vty, const char *line)
{
	struct help_line h;
	char *res = NULL;
	long rest;

	if (help_line_init(&h, line) < 0)
		return NULL;
	if (!h.partial)
		goto out;
	rest = do_rest(vty, &h);
	if (rest >= 0) {
		int depth = vty->depth;

		vty->depth = 1;
		res = complete_line(vty, line + rest);
		vty->depth = depth;
		goto out;
	}
	if (is_exec(vty_mode(vty)) && find_pipe(line, h.words, h.nwords) > 0) {
		res = complete_filter(vty, &h);
		goto out;
	}
	res = complete_in(vty, &h);
out:
	free(h.words);
	return res;
}

char *
cmd_complete(struct vty *vty, const char *line)
{
	return complete_line(vty, line);
}

/* ---- exit, end and do. */

static enum cmd_result
exit_exec(struct vty *vty, const struct cmd_args *args)
{
	(void)vty;
	(void)args;
	return CMD_CLOSE;
}

static enum cmd_result
exit_config(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	vty_exit_mode(vty);
	return CMD_SUCCESS;
}

static enum cmd_result
end_config(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	vty_end_config(vty);
	return CMD_SUCCESS;
}

/*
 * Runs the rest of the line as privileged EXEC input without leaving the
 * config mode. The caret of an error still lands under the typed line.
 */
static enum cmd_result
do_exec(struct vty *vty, const struct cmd_args *args)
{
	struct vty_level saved[VTY_MODE_DEPTH];
	int depth = vty->depth;
	enum cmd_result res;
	size_t off = args->offsets[1];

	memcpy(saved, vty->levels, sizeof(saved));
	vty->depth = 1;
	vty->levels[0].mode = MODE_PRIV_EXEC;
	res = cmd_execute(vty, args->line + off, args->echo_width + off);
	memcpy(vty->levels, saved, sizeof(saved));
	vty->depth = depth;
	return res;
}

static const struct cmd_def exit_exec_def = {
	.syntax = "exit",
	.help = "Exit from the EXEC",
	.fn = exit_exec,
	.flags = CMD_NO_PIPE,
};

static const struct cmd_def end_def = {
	.syntax = "end",
	.help = "Exit from configure mode",
	.fn = end_config,
};

static const struct cmd_def do_def = {
	.syntax = "do LINE",
	.help = "To run exec commands in config mode\nExec Command",
	.fn = do_exec,
};

#define EXIT_DEF(m, text) \
	[m] = { .syntax = "exit", .help = text, .fn = exit_config }

/*
 * `exit` help per config mode. NOTE: the texts for config and interface
 * mode are the ones IOS prints; the others follow their pattern.
 */
static const struct cmd_def exit_defs[MODE_COUNT] = {
	EXIT_DEF(MODE_CONFIG, "Exit from configure mode"),
	EXIT_DEF(MODE_CONFIG_IF, "Exit from interface configuration mode"),
	EXIT_DEF(MODE_CONFIG_ISAKMP,
		 "Exit from ISAKMP protection suite configuration mode"),
	EXIT_DEF(MODE_CONFIG_ISAKMP_PROFILE,
		 "Exit from crypto isakmp profile sub mode"),
	EXIT_DEF(MODE_CONFIG_KEYRING, "Exit from crypto keyring sub mode"),
	EXIT_DEF(MODE_CRYPTO_TRANS,
		 "Exit from crypto transform configuration mode"),
	EXIT_DEF(MODE_CRYPTO_MAP, "Exit from crypto map configuration mode"),
	EXIT_DEF(MODE_IPSEC_PROFILE, "Exit from ipsec profile sub mode"),
	EXIT_DEF(MODE_EXT_NACL, "Exit from access-list configuration mode"),
	EXIT_DEF(MODE_STD_NACL, "Exit from access-list configuration mode"),
	EXIT_DEF(MODE_IKEV2_PROPOSAL, "Exit from crypto ikev2 proposal mode"),
	EXIT_DEF(MODE_IKEV2_POLICY, "Exit from crypto ikev2 policy mode"),
	EXIT_DEF(MODE_IKEV2_KEYRING, "Exit from crypto ikev2 keyring mode"),
	EXIT_DEF(MODE_IKEV2_KEYRING_PEER,
		 "Exit from crypto ikev2 keyring peer mode"),
	EXIT_DEF(MODE_IKEV2_PROFILE, "Exit from crypto ikev2 profile mode"),
	EXIT_DEF(MODE_CONFIG_LINE, "Exit from line configuration mode"),
	EXIT_DEF(MODE_CONFIG_ROUTER,
		 "Exit from routing protocol configuration mode"),
	EXIT_DEF(MODE_CONFIG_APPLET, "Exit from applet configuration mode"),
	EXIT_DEF(MODE_CONFIG_VRF, "Exit from VRF configuration mode"),
	EXIT_DEF(MODE_CONFIG_VRF_AF,
		 "Exit from VRF address-family configuration mode"),
	EXIT_DEF(MODE_ISAKMP_GROUP,
		 "Exit from ISAKMP client group policy configuration mode"),
	EXIT_DEF(MODE_EZVPN, "Exit from Easy VPN remote configuration mode"),
	EXIT_DEF(MODE_CONFIG_ARCHIVE, "Exit from archive configuration mode"),
};

void
cmd_install_standard(void)
{
	int mode;

	cmd_install(MODE_USER_EXEC, &exit_exec_def);
	for (mode = 0; mode < MODE_COUNT; mode++) {
		if (!cmd_mode_info((enum cmd_mode)mode)->config)
			continue;
		cmd_install((enum cmd_mode)mode, &exit_defs[mode]);
		cmd_install((enum cmd_mode)mode, &end_def);
		cmd_install((enum cmd_mode)mode, &do_def);
	}
}

void
cmd_init_all(void)
{
	if (initialised)
		return;
	initialised = true;
	cmd_install_standard();
	cmd_exec_install();
	cmd_config_install();
	cmd_show_datapath_install();
	cmd_show_ike_install();
	cmd_show_diag_install();
	cmd_show_ikev2_install();
	cmd_show_nhrp_install();
	cmd_reload_install();
	cmd_show_interfaces_install();
	cmd_replay_install();
	cmd_ping_install();
	cmd_show_route_install();
	cmd_monitor_install();
	cmd_logging_install();
}
