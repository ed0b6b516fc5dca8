/*
 * Matches input words against the graphs of a set of commands, one word
 * at a time. The state set holds every token that may take the next word
 * (forks already crossed) with the path that led to it. At each word only
 * the tokens matching at the best precedence level survive, so an exact
 * keyword shadows an abbreviation and a typed value shadows WORD; two
 * different keywords abbreviated by the same word are ambiguous, as IOS
 * reports them, without looking at later words.
 */
#include "cli/cmd_graph.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* One step of a path: a token that took word WORD, or a named fork (-1). */
struct cmd_path {
	const struct cmd_node *node;
	int word;
	const struct cmd_path *prev;
};

#define ARENA_PATHS 256

struct cmd_arena {
	struct cmd_arena *next;
	size_t used;
	struct cmd_path paths[ARENA_PATHS];
};

static const struct cmd_path *
path_push(struct cmd_matcher *m, const struct cmd_node *node, int word,
	  const struct cmd_path *prev)
{
	struct cmd_arena *a = m->arena;
	struct cmd_path *p;

	if (a == NULL || a->used == ARENA_PATHS) {
		/* Not zeroed: a path is written before it is read. */
		a = malloc(sizeof(*a));
		if (a == NULL) {
			m->nomem = true;
			return prev;
		}
		a->used = 0;
		a->next = m->arena;
		m->arena = a;
	}
	p = &a->paths[a->used++];
	p->node = node;
	p->word = word;
	p->prev = prev;
	return p;
}

/*
 * Appends S to V unless its token is there already. Every command has
 * tokens of its own, so only the states from FROM on, those of S's
 * command, need comparing.
 */
static void
state_add(struct cmd_matcher *m, struct cmd_state **v, size_t *n,
	  size_t *cap, size_t from, const struct cmd_state *s)
{
	size_t i;

	for (i = from; i < *n; i++)
		if ((*v)[i].node == s->node)
			return;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct cmd_state *nv = realloc(*v, ncap * sizeof(*nv));

		if (nv == NULL) {
			m->nomem = true;
			return;
		}
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *s;
}

/*
 * Adds the tokens reachable from NODE through forks; the states of
 * ENTRY in V start at FROM.
 */
static void
closure(struct cmd_matcher *m, const struct cmd_node *node,
	const struct cmd_entry *entry, const struct cmd_path *path,
	struct cmd_state **v, size_t *n, size_t *cap, size_t from)
{
	size_t i;

	for (i = 0; i < node->nnext; i++) {
		const struct cmd_node *next = node->next[i];
		struct cmd_state s = { next, entry, path, LEVEL_NONE };

		if (next->type != TOK_FORK) {
			state_add(m, v, n, cap, from, &s);
			continue;
		}
		closure(m, next, entry,
			next->name ? path_push(m, next, -1, path) : path,
			v, n, cap, from);
	}
}

int
cmd_split(const char *line, struct cmd_word **words)
{
	size_t i = 0, start;
	int n = 0, cap = 0;
	struct cmd_word *v = NULL;

	for (;;) {
		while (line[i] == ' ' || line[i] == '\t')
			i++;
		if (line[i] == '\0')
			break;
		start = i;
		while (line[i] != '\0' && line[i] != ' ' && line[i] != '\t')
			i++;
		if (n == cap) {
			struct cmd_word *nv;

			cap = cap ? cap * 2 : 8;
			nv = realloc(v, (size_t)cap * sizeof(*nv));
			if (nv == NULL) {
				free(v);
				*words = NULL;
				return -1;
			}
			v = nv;
		}
		v[n].start = start;
		v[n].len = i - start;
		n++;
	}
	*words = v;
	return n;
}

void
cmd_matcher_init(struct cmd_matcher *m, const char *line,
		 const struct cmd_word *words, int nwords,
		 const struct cmd_entry *const *entries, size_t nentries)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->line = line;
	m->words = words;
	m->nwords = nwords;
	m->err_word = -1;
	for (i = 0; i < nentries; i++)
		closure(m, entries[i]->start, entries[i], NULL, &m->states,
			&m->nstates, &m->states_cap, m->nstates);
}

void
cmd_matcher_release(struct cmd_matcher *m)
{
	struct cmd_arena *a, *next;

	for (a = m->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(m->states);
	free(m->done);
	memset(m, 0, sizeof(*m));
}

/* True when two different keywords share the best (partial) level. */
static bool
ambiguous(const struct cmd_matcher *m)
{
	const char *first = NULL;
	size_t i;

	for (i = 0; i < m->nstates; i++) {
		const struct cmd_state *s = &m->states[i];

		if (s->level != LEVEL_PARTIAL)
			continue;
		if (first == NULL)
			first = s->node->text;
		else if (strcmp(first, s->node->text) != 0)
			return true;
	}
	return false;
}

/*
 * Drops the abbreviations of hidden commands when a listed command also
 * takes the word, so that a hidden command never makes a listed one
 * ambiguous.
 */
static void
shadow_hidden(struct cmd_matcher *m)
{
	bool listed = false;
	size_t i;

	for (i = 0; i < m->nstates; i++)
		if (m->states[i].level == LEVEL_PARTIAL &&
		    !(m->states[i].entry->def->flags & CMD_HIDDEN))
			listed = true;
	for (i = 0; listed && i < m->nstates; i++)
		if (m->states[i].entry->def->flags & CMD_HIDDEN)
			m->states[i].level = LEVEL_NONE;
}

/* Rates every state against word I; returns the best level. */
static enum cmd_level
rate(struct cmd_matcher *m, int i, size_t *reached_max)
{
	const char *word = m->line + m->words[i].start;
	enum cmd_level best = LEVEL_NONE;
	size_t j, reached;

	*reached_max = 0;
	for (j = 0; j < m->nstates; j++) {
		struct cmd_state *s = &m->states[j];

		s->level = LEVEL_NONE;
		if (s->node->type == TOK_END)
			continue;
		s->level = cmd_token_match(s->node, word, m->words[i].len,
					   &reached);
		if (s->level > best)
			best = s->level;
		if (s->level == LEVEL_NONE && reached > *reached_max)
			*reached_max = reached;
	}
	return best;
}

enum cmd_status
cmd_matcher_step(struct cmd_matcher *m, int i)
{
	struct cmd_state *next = NULL;
	size_t nnext = 0, cap = 0, j, reached, from = 0;
	const struct cmd_entry *entry = NULL;
	enum cmd_level best;

	best = rate(m, i, &reached);
	if (best == LEVEL_NONE) {
		m->err_offset = m->words[i].start + reached;
		m->err_word = i;
		return STATUS_NO_MATCH;
	}
	if (best == LEVEL_PARTIAL)
		shadow_hidden(m);
	if (best == LEVEL_PARTIAL && ambiguous(m)) {
		m->err_word = i;
		return STATUS_AMBIGUOUS;
	}

	for (j = 0; j < m->nstates; j++) {
		const struct cmd_state *s = &m->states[j];
		const struct cmd_path *p;

		if (s->level != best)
			continue;
		/* The states keep the order of their commands. */
		if (s->entry != entry) {
			entry = s->entry;
			from = nnext;
		}
		p = path_push(m, s->node, i, s->path);
		if (s->node->type == TOK_LINE)
			closure(m, s->node, s->entry, p, &m->done, &m->ndone,
				&m->done_cap, 0);
		else
			closure(m, s->node, s->entry, p, &next, &nnext, &cap,
				from);
	}
	free(m->states);
	m->states = next;
	m->nstates = nnext;
	m->states_cap = cap;
	return STATUS_OK;
}

/* Picks the one command that is complete, from STATES or DONE. */
static enum cmd_status
pick_end(const struct cmd_state *v, size_t n,
	 const struct cmd_state **found)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].node->type != TOK_END)
			continue;
		if (*found != NULL && (*found)->entry != v[i].entry)
			return STATUS_AMBIGUOUS;
		if (*found == NULL)
			*found = &v[i];
	}
	return STATUS_OK;
}

enum cmd_status
cmd_matcher_run(struct cmd_matcher *m, const struct cmd_state **found)
{
	enum cmd_status st;
	int i;

	*found = NULL;
	for (i = 0; i < m->nwords; i++) {
		if (m->nstates == 0 && m->ndone > 0)
			break;
		st = cmd_matcher_step(m, i);
		if (st != STATUS_OK) {
			if (m->ndone > 0)
				break;
			return st;
		}
	}
	if (m->ndone > 0 && i < m->nwords)
		m->nstates = 0;	/* the LINE paths took the rest */

	if (pick_end(m->states, m->nstates, found) != STATUS_OK ||
	    pick_end(m->done, m->ndone, found) != STATUS_OK) {
		m->err_word = m->nwords - 1;
		return STATUS_AMBIGUOUS;
	}
	return *found ? STATUS_OK : STATUS_INCOMPLETE;
}

const struct cmd_node *
cmd_state_last(const struct cmd_state *state)
{
	const struct cmd_path *p;

	for (p = state->path; p != NULL; p = p->prev)
		if (p->word >= 0)
			return p->node;
	return NULL;
}

bool
cmd_state_ends_in_line(const struct cmd_state *found)
{
	const struct cmd_node *last = cmd_state_last(found);

	return last != NULL && last->type == TOK_LINE;
}

int
cmd_state_line_word(const struct cmd_state *found)
{
	const struct cmd_path *p;

	/* A LINE token takes the rest of the line, so it is the last. */
	for (p = found->path; p != NULL; p = p->prev)
		if (p->word >= 0)
			return p->node->type == TOK_LINE ? p->word : -1;
	return -1;
}

/* ---- Handler arguments. */

/* True when some token or group of ENTRY is explicitly named NAME. */
static bool
declared(const struct cmd_entry *entry, const char *name)
{
	size_t i;

	for (i = 0; i < entry->nnodes; i++)
		if (entry->nodes[i]->name != NULL &&
		    strcmp(entry->nodes[i]->name, name) == 0)
			return true;
	return false;
}

/*
 * Stores VALUE under NAME unless a token matched earlier has that name.
 * A token's own text (IMPLICIT) never stands in for an explicit $name
 * of the same command, so "set peer A.B.C.D$peer" stores the address.
 */
static int
args_add(struct cmd_args *a, const struct cmd_entry *entry, const char *name,
	 const char *value, bool implicit)
{
	size_t i;

	if (implicit && declared(entry, name))
		return 0;
	for (i = 0; i < a->nvals; i++)
		if (strcmp(a->vals[i].name, name) == 0)
			return 0;
	a->vals[a->nvals].name = name;
	a->vals[a->nvals].value = strdup(value);
	if (a->vals[a->nvals].value == NULL)
		return -1;
	a->nvals++;
	return 0;
}

/* The text that a consumed token stands for in the arguments. */
static char *
step_value(const struct cmd_matcher *m, const struct cmd_path *p)
{
	const struct cmd_word *w = &m->words[p->word];

	if (p->node->type == TOK_KEYWORD)
		return strdup(p->node->text);
	if (p->node->type == TOK_LINE)
		return strdup(m->line + w->start);
	return strndup(m->line + w->start, w->len);
}

static int
args_fill(struct cmd_args *a, const struct cmd_matcher *m,
	  const struct cmd_entry *entry, const struct cmd_path **steps,
	  size_t nsteps)
{
	const char *pending[16];
	size_t npending = 0, i, k;
	char *value = NULL;

	for (i = 0; i < nsteps; i++) {
		const struct cmd_path *p = steps[i];

		if (p->word < 0) {
			if (npending < sizeof(pending) / sizeof(pending[0]))
				pending[npending++] = p->node->name;
			continue;
		}
		value = step_value(m, p);
		if (value == NULL)
			return -1;
		a->offsets[a->argc] = m->words[p->word].start;
		if (p->node->type == TOK_KEYWORD)
			a->argv[a->argc++] = strndup(m->line +
						     m->words[p->word].start,
						     m->words[p->word].len);
		else
			a->argv[a->argc++] = strdup(value);
		if (a->argv[a->argc - 1] == NULL)
			goto fail;
		for (k = 0; k < npending; k++)
			if (args_add(a, entry, pending[k], value, false) < 0)
				goto fail;
		npending = 0;
		if (args_add(a, entry, p->node->name ? p->node->name :
			     p->node->text, value, p->node->name == NULL) < 0)
			goto fail;
		free(value);
		value = NULL;
	}
	return 0;

fail:
	free(value);
	return -1;
}

struct cmd_args *
cmd_args_build(const struct cmd_matcher *m, const struct cmd_state *found)
{
	const struct cmd_path **steps = NULL, *p;
	struct cmd_args *a;
	size_t nsteps = 0, i;

	for (p = found->path; p != NULL; p = p->prev)
		nsteps++;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->line = m->line;
	a->words = m->words;
	steps = calloc(nsteps + 1, sizeof(*steps));
	a->argv = calloc(nsteps + 1, sizeof(*a->argv));
	a->offsets = calloc(nsteps + 1, sizeof(*a->offsets));
	a->vals = calloc(2 * nsteps + 1, sizeof(*a->vals));
	if (steps == NULL || a->argv == NULL || a->offsets == NULL ||
	    a->vals == NULL)
		goto fail;

	i = nsteps;
	for (p = found->path; p != NULL; p = p->prev)
		steps[--i] = p;
	if (args_fill(a, m, found->entry, steps, nsteps) < 0)
		goto fail;
	free(steps);
	return a;

fail:
	free(steps);
	cmd_args_free(a);
	return NULL;
}

static void
free_word(char *word)
{
	if (word != NULL)
		OPENSSL_cleanse(word, strlen(word));
	free(word);
}

void
cmd_args_free(struct cmd_args *args)
{
	size_t i;
	int n;

	if (args == NULL)
		return;
	/* Cleansed: an argument may be a secret. */
	for (n = 0; n < args->argc; n++)
		free_word(args->argv[n]);
	for (i = 0; i < args->nvals; i++)
		free_word(args->vals[i].value);
	free(args->argv);
	free(args->offsets);
	free(args->vals);
	free(args);
}

const char *
cmd_arg(const struct cmd_args *args, const char *name)
{
	size_t i;

	for (i = 0; i < args->nvals; i++)
		if (strcmp(args->vals[i].name, name) == 0)
			return args->vals[i].value;
	return NULL;
}

bool
cmd_has(const struct cmd_args *args, const char *name)
{
	return cmd_arg(args, name) != NULL;
}

int
cmd_argc(const struct cmd_args *args)
{
	return args->argc;
}

const char *
cmd_argv(const struct cmd_args *args, int n)
{
	if (n < 0 || n >= args->argc)
		return NULL;
	return args->argv[n];
}
