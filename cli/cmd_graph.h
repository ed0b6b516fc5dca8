/*
 * Internals of the command engine, shared by command.c (execution, `?`,
 * Tab), cmd_graph.c (declarations to graphs), cmd_matcher.c (matching
 * input against graphs) and filter.c (`|` output filters). Other modules
 * use cli/command.h only.
 */
#ifndef VR_CLI_CMD_GRAPH_H
#define VR_CLI_CMD_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/command.h"

struct vty;

enum cmd_tok {
	TOK_KEYWORD,
	TOK_WORD,
	TOK_LINE,
	TOK_IPV4,
	TOK_IPV4_PREFIX,
	TOK_IPV6,
	TOK_IPV6_PREFIX,
	TOK_RANGE,
	TOK_HEX,
	TOK_FORK,	/* consumes nothing: group entry, exit or marker */
	TOK_END,	/* the command is complete here */
};

/* How well one input word matches one token; higher wins. */
enum cmd_level {
	LEVEL_NONE = 0,
	LEVEL_ANY,	/* WORD, LINE */
	LEVEL_PARTIAL,	/* keyword abbreviation */
	LEVEL_VALUE,	/* range, address, prefix, HEX */
	LEVEL_EXACT,	/* whole keyword */
};

struct cmd_node {
	enum cmd_tok type;
	char *text;		/* keyword, or the variable as declared */
	const char *help;	/* one help line, or NULL for forks */
	size_t help_len;
	char *name;		/* $name; on a fork, the name of its group */
	unsigned long long lo, hi;	/* TOK_RANGE bounds */
	struct cmd_node **next;
	size_t nnext;
	size_t next_cap;
};

/* One installed command: its declaration and its graph. */
struct cmd_entry {
	const struct cmd_def *def;
	enum cmd_mode mode;
	unsigned privilege;	/* effective: 0 in the declaration resolved */
	struct cmd_node *start;	/* a fork */
	struct cmd_node **nodes;	/* every node, for freeing */
	size_t nnodes;
	size_t nodes_cap;
};

/*
 * Builds ENTRY's graph from DEF. Returns 0, or -1 with a message in ERR
 * for a malformed syntax string or a help line count that does not match.
 */
int cmd_graph_build(struct cmd_entry *entry, const struct cmd_def *def,
		    char *err, size_t errlen);
void cmd_graph_free(struct cmd_entry *entry);

/*
 * Matches WORD (LEN bytes) against a consuming token. For LEVEL_NONE,
 * *REACHED is the number of leading characters some input could still
 * share with the token: the caret goes there.
 */
enum cmd_level cmd_token_match(const struct cmd_node *node, const char *word,
			       size_t len, size_t *reached);

/*
 * Returns the text `?` shows for NODE: the keyword, or the variable as
 * IOS writes it ("A.B.C.D/nn" for the declared "A.B.C.D/M").
 */
const char *cmd_token_display(const struct cmd_node *node);

/* True when WORD could still grow into input that NODE accepts. */
bool cmd_token_prefix(const struct cmd_node *node, const char *word,
		      size_t len);

/* ---- Matcher (cmd_matcher.c). */

struct cmd_word {
	size_t start;	/* offset in the line */
	size_t len;
};

/* Splits LINE at spaces and tabs. Returns the word count, -1 on ENOMEM. */
int cmd_split(const char *line, struct cmd_word **words);

enum cmd_status {
	STATUS_OK,
	STATUS_NO_MATCH,
	STATUS_INCOMPLETE,
	STATUS_AMBIGUOUS,
};

struct cmd_args {
	const char *line;
	const struct cmd_word *words;
	int argc;
	char **argv;		/* words as typed; LINE takes the rest */
	size_t *offsets;	/* offset of each argv entry in the line */
	struct cmd_arg_value {
		const char *name;
		char *value;
	} *vals;
	size_t nvals;
	size_t echo_width;	/* prompt length of the executing line */
};

struct cmd_path;
struct cmd_state {
	const struct cmd_node *node;	/* a consuming token or TOK_END */
	const struct cmd_entry *entry;
	const struct cmd_path *path;
	enum cmd_level level;		/* of the word being matched */
};

struct cmd_matcher {
	const char *line;
	const struct cmd_word *words;
	int nwords;
	struct cmd_state *states;	/* tokens for the next word, and ENDs */
	size_t nstates;
	size_t states_cap;
	struct cmd_state *done;	/* complete after a LINE took the rest */
	size_t ndone;
	size_t done_cap;
	struct cmd_arena *arena;
	size_t err_offset;	/* NO_MATCH: caret offset in the line */
	int err_word;		/* index of the word that failed */
	bool nomem;
};

/* Starts matching LINE (split in WORDS) against the ENTRIES. */
void cmd_matcher_init(struct cmd_matcher *m, const char *line,
		      const struct cmd_word *words, int nwords,
		      const struct cmd_entry *const *entries, size_t nentries);
void cmd_matcher_release(struct cmd_matcher *m);

/* Consumes word I. Returns STATUS_OK while some command still fits. */
enum cmd_status cmd_matcher_step(struct cmd_matcher *m, int i);

/* Steps through every word, then picks the command that is complete. */
enum cmd_status cmd_matcher_run(struct cmd_matcher *m,
				const struct cmd_state **found);

/* Builds the handler arguments of a complete match (NULL on ENOMEM). */
struct cmd_args *cmd_args_build(const struct cmd_matcher *m,
				const struct cmd_state *found);
void cmd_args_free(struct cmd_args *args);

/* The last token that took a word on the path to STATE, or NULL. */
const struct cmd_node *cmd_state_last(const struct cmd_state *state);

/* True when the matched path of FOUND ends with a LINE token. */
bool cmd_state_ends_in_line(const struct cmd_state *found);

/* The index of the word where the LINE token of FOUND starts, or -1. */
int cmd_state_line_word(const struct cmd_state *found);

/* ---- Output filters (filter.c). */

struct cmd_filter;

/*
 * Parses the text after `|` (TEXT starts at offset BASE of the line).
 * Returns the filter, or NULL after writing the IOS error for the line to
 * VTY; ECHO_WIDTH places the caret. FORMAT is true when the command
 * takes `| format` (CMD_FORMAT); without it, `format` is not a filter
 * keyword there, in this function and the two below.
 */
struct cmd_filter *cmd_filter_parse(struct vty *vty, const char *line,
				    size_t base, size_t echo_width,
				    bool format);

/* Replaces the output collected in VTY by its filtered lines. */
void cmd_filter_apply(struct cmd_filter *filter, struct vty *vty);
void cmd_filter_free(struct cmd_filter *filter);

/* Writes the `?` help for the text after `|`. */
void cmd_filter_describe(struct vty *vty, const char *text, bool format);

/* Returns the filter keyword that WORD abbreviates (malloc'd), or NULL. */
char *cmd_filter_complete(const char *word, bool format);

/* ---- Errors and help layout shared by command.c and filter.c. */

void cmd_print_invalid(struct vty *vty, size_t column);
void cmd_print_incomplete(struct vty *vty);
void cmd_print_ambiguous(struct vty *vty, const char *line);
void cmd_print_unknown_host(struct vty *vty, const char *word, size_t len);

/* One row of `?` help after a space: a word and its help text. */
struct cmd_help_row {
	const char *word;
	const char *help;
	size_t help_len;
};

/* Writes ROWS with IOS padding and wrapping, then `<cr>` when CR. */
void cmd_print_help_rows(struct vty *vty, const struct cmd_help_row *rows,
			 size_t nrows, bool cr);

#endif
