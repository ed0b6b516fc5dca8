/*
 * Turns a command declaration ("crypto isakmp policy <1-10000>$priority")
 * into a graph of token nodes joined by forks, and matches one input word
 * against one token.
 *
 * Grammar, parsed by recursive descent:
 *   seq   := item { item }
 *   item  := atom [$name] | "(" alts ")" [$name] | "[" alts "]" [$name]
 *   alts  := seq { "|" seq }
 * An atom is a keyword or a variable (WORD, LINE, A.B.C.D, <lo-hi>, ...).
 * A group is a fork into its alternatives and a fork out of them; an
 * optional group also links its entry fork straight to its exit fork.
 */
#include "cli/cmd_graph.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A piece of graph with one way in and one way out. */
struct frag {
	struct cmd_node *in;
	struct cmd_node *out;
};

struct parser {
	struct cmd_entry *entry;
	const char *syntax;
	size_t pos;
	const char *help;	/* next help line */
	size_t help_used;	/* lines taken so far */
	size_t help_lines;
	char *err;
	size_t errlen;
	bool failed;
};

static const struct {
	const char *text;
	enum cmd_tok type;
} variables[] = {
	{ "WORD", TOK_WORD },
	{ "LINE", TOK_LINE },
	{ "HEX", TOK_HEX },
	{ "A.B.C.D", TOK_IPV4 },
	{ "A.B.C.D/M", TOK_IPV4_PREFIX },
	{ "X:X::X:X", TOK_IPV6 },
	{ "X:X::X:X/M", TOK_IPV6_PREFIX },
};

static void fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	p->failed = true;
	n = snprintf(p->err, p->errlen, "at offset %zu: ", p->pos);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static struct cmd_node *
node_new(struct parser *p, enum cmd_tok type)
{
	struct cmd_entry *e = p->entry;
	struct cmd_node *node;

	if (e->nnodes == e->nodes_cap) {
		size_t cap = e->nodes_cap ? e->nodes_cap * 2 : 16;
		struct cmd_node **v = realloc(e->nodes, cap * sizeof(*v));

		if (v == NULL)
			goto nomem;
		e->nodes = v;
		e->nodes_cap = cap;
	}
	node = calloc(1, sizeof(*node));
	if (node == NULL)
		goto nomem;
	node->type = type;
	e->nodes[e->nnodes++] = node;
	return node;

nomem:
	fail(p, "out of memory");
	return NULL;
}

static void
link_to(struct parser *p, struct cmd_node *from, struct cmd_node *to)
{
	if (from == NULL || to == NULL)
		return;
	if (from->nnext == from->next_cap) {
		size_t cap = from->next_cap ? from->next_cap * 2 : 2;
		struct cmd_node **v = realloc(from->next, cap * sizeof(*v));

		if (v == NULL) {
			fail(p, "out of memory");
			return;
		}
		from->next = v;
		from->next_cap = cap;
	}
	from->next[from->nnext++] = to;
}

static bool
is_special(char c)
{
	return c == '(' || c == ')' || c == '[' || c == ']' || c == '|' ||
	       c == '$' || c == ' ' || c == '\t' || c == '\0';
}

static void
skip_space(struct parser *p)
{
	while (p->syntax[p->pos] == ' ' || p->syntax[p->pos] == '\t')
		p->pos++;
}

/* Takes the next help line for a token. */
static void
take_help(struct parser *p, struct cmd_node *node)
{
	const char *nl;

	if (p->help_used == p->help_lines) {
		p->help_used++;	/* counted, reported at the end */
		return;
	}
	nl = strchr(p->help, '\n');
	node->help = p->help;
	node->help_len = nl ? (size_t)(nl - p->help) : strlen(p->help);
	p->help = nl ? nl + 1 : p->help + node->help_len;
	p->help_used++;
}

static char *
parse_name(struct parser *p)
{
	size_t start, len;
	char *name;

	if (p->syntax[p->pos] != '$')
		return NULL;
	start = ++p->pos;
	while (isalnum((unsigned char)p->syntax[p->pos]) ||
	       p->syntax[p->pos] == '_' || p->syntax[p->pos] == '-')
		p->pos++;
	len = p->pos - start;
	if (len == 0) {
		fail(p, "'$' without a name");
		return NULL;
	}
	if (!is_special(p->syntax[p->pos])) {
		fail(p, "invalid character '%c' in a $name",
		     p->syntax[p->pos]);
		return NULL;
	}
	name = strndup(p->syntax + start, len);
	if (name == NULL)
		fail(p, "out of memory");
	return name;
}

static bool
parse_range(struct parser *p, const char *atom, struct cmd_node *node)
{
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)atom[1]))
		goto bad;
	node->lo = strtoull(atom + 1, &end, 10);
	if (*end != '-' || !isdigit((unsigned char)end[1]))
		goto bad;
	node->hi = strtoull(end + 1, &end, 10);
	if (errno != 0 || strcmp(end, ">") != 0)
		goto bad;
	if (node->lo > node->hi) {
		fail(p, "range %s is empty", atom);
		return false;
	}
	return true;

bad:
	fail(p, "invalid range \"%s\" (expected <lo-hi>)", atom);
	return false;
}

static bool
valid_keyword(const char *atom)
{
	const char *c;

	for (c = atom; *c != '\0'; c++)
		if (!isgraph((unsigned char)*c) || isupper((unsigned char)*c) ||
		    *c == '<' || *c == '>')
			return false;
	return true;
}

/* Classifies ATOM and fills NODE's type and bounds. */
static bool
classify(struct parser *p, const char *atom, struct cmd_node *node)
{
	size_t i;

	for (i = 0; i < sizeof(variables) / sizeof(variables[0]); i++) {
		if (strcmp(atom, variables[i].text) == 0) {
			node->type = variables[i].type;
			return true;
		}
	}
	if (atom[0] == '<') {
		node->type = TOK_RANGE;
		return parse_range(p, atom, node);
	}
	if (!valid_keyword(atom)) {
		fail(p, "\"%s\" is neither a lower-case keyword nor a known "
		     "variable (WORD, LINE, HEX, A.B.C.D, A.B.C.D/M, X:X::X:X, "
		     "X:X::X:X/M, <lo-hi>)", atom);
		return false;
	}
	node->type = TOK_KEYWORD;
	return true;
}

static bool parse_alts(struct parser *p, char close, struct frag *alts,
		       size_t *nalts, size_t max);

static struct frag
parse_atom(struct parser *p)
{
	struct frag f = { NULL, NULL };
	size_t start = p->pos;
	struct cmd_node *node;

	while (!is_special(p->syntax[p->pos]))
		p->pos++;
	node = node_new(p, TOK_KEYWORD);
	if (node == NULL)
		return f;
	node->text = strndup(p->syntax + start, p->pos - start);
	if (node->text == NULL) {
		fail(p, "out of memory");
		return f;
	}
	if (!classify(p, node->text, node))
		return f;
	take_help(p, node);
	node->name = parse_name(p);
	f.in = f.out = node;
	return f;
}

#define MAX_ALTS 64

static struct frag
parse_group(struct parser *p)
{
	struct frag alts[MAX_ALTS], f = { NULL, NULL };
	char open = p->syntax[p->pos];
	char close = open == '(' ? ')' : ']';
	struct cmd_node *marker;
	size_t nalts = 0, i;
	char *name;

	p->pos++;
	if (!parse_alts(p, close, alts, &nalts, MAX_ALTS))
		return f;
	if (p->syntax[p->pos] != close) {
		fail(p, "'%c' is not closed by '%c'", open, close);
		return f;
	}
	p->pos++;
	name = parse_name(p);

	f.in = node_new(p, TOK_FORK);
	f.out = node_new(p, TOK_FORK);
	marker = f.in;
	if (name != NULL) {
		marker = node_new(p, TOK_FORK);
		link_to(p, f.in, marker);
		if (marker != NULL)
			marker->name = name;
		else
			free(name);
	}
	for (i = 0; i < nalts; i++) {
		link_to(p, marker, alts[i].in);
		link_to(p, alts[i].out, f.out);
	}
	if (open == '[')
		link_to(p, f.in, f.out);
	return f;
}

/* Parses a sequence up to '|', a closing bracket or the end. */
static struct frag
parse_seq(struct parser *p)
{
	struct frag seq = { NULL, NULL }, item;
	char c;

	for (;;) {
		skip_space(p);
		c = p->syntax[p->pos];
		if (c == '\0' || c == '|' || c == ')' || c == ']')
			break;
		if (c == '$') {
			fail(p, "'$name' must follow a token or a group");
			break;
		}
		item = (c == '(' || c == '[') ? parse_group(p) : parse_atom(p);
		if (p->failed)
			break;
		if (seq.in == NULL)
			seq.in = item.in;
		else
			link_to(p, seq.out, item.in);
		seq.out = item.out;
	}
	if (seq.in == NULL && !p->failed)
		fail(p, "empty sequence");
	return seq;
}

static bool
parse_alts(struct parser *p, char close, struct frag *alts, size_t *nalts,
	   size_t max)
{
	for (;;) {
		if (*nalts == max) {
			fail(p, "more than %zu alternatives", max);
			return false;
		}
		alts[(*nalts)++] = parse_seq(p);
		if (p->failed)
			return false;
		if (p->syntax[p->pos] != '|')
			break;
		if (close == '\0') {
			fail(p, "'|' outside a group");
			return false;
		}
		p->pos++;
	}
	if (close == '\0' && p->syntax[p->pos] != '\0') {
		fail(p, "unexpected '%c'", p->syntax[p->pos]);
		return false;
	}
	return true;
}

/* True when only TOK_END can follow NODE (forks skipped). */
static bool
only_end_follows(const struct cmd_node *node)
{
	size_t i;

	for (i = 0; i < node->nnext; i++) {
		const struct cmd_node *n = node->next[i];

		if (n->type == TOK_FORK) {
			if (!only_end_follows(n))
				return false;
		} else if (n->type != TOK_END) {
			return false;
		}
	}
	return true;
}

static size_t
count_help_lines(const char *help)
{
	size_t n = 1, len = strlen(help);
	const char *c;

	if (len == 0)
		return 0;
	for (c = help; *c != '\0'; c++)
		if (*c == '\n' && c[1] != '\0')
			n++;
	return n;
}

static bool
check_help(struct parser *p, const char *help)
{
	const char *c;

	for (c = help; *c != '\0'; c++) {
		if (*c == '\n' && (c == help || c[-1] == '\n')) {
			fail(p, "empty help line");
			return false;
		}
	}
	if (p->help_used != p->help_lines) {
		fail(p, "%zu tokens but %zu help lines", p->help_used,
		     p->help_lines);
		return false;
	}
	return true;
}

int
cmd_graph_build(struct cmd_entry *entry, const struct cmd_def *def,
		char *err, size_t errlen)
{
	struct parser p = {
		.entry = entry,
		.syntax = def->syntax ? def->syntax : "",
		.help = def->help ? def->help : "",
		.err = err,
		.errlen = errlen,
	};
	struct frag alts[1];
	struct cmd_node *end;
	size_t nalts = 0, i;

	p.help_lines = count_help_lines(p.help);
	entry->def = def;
	entry->start = node_new(&p, TOK_FORK);
	if (p.failed)
		return -1;
	if (!parse_alts(&p, '\0', alts, &nalts, 1))
		return -1;

	end = node_new(&p, TOK_END);
	link_to(&p, entry->start, alts[0].in);
	link_to(&p, alts[0].out, end);
	if (p.failed || !check_help(&p, def->help ? def->help : ""))
		return -1;

	for (i = 0; i < entry->nnodes; i++) {
		if (entry->nodes[i]->type == TOK_LINE &&
		    !only_end_follows(entry->nodes[i])) {
			p.pos = strlen(p.syntax);
			fail(&p, "LINE must be the last token");
			return -1;
		}
	}
	return 0;
}

void
cmd_graph_free(struct cmd_entry *entry)
{
	size_t i;

	for (i = 0; i < entry->nnodes; i++) {
		free(entry->nodes[i]->text);
		free(entry->nodes[i]->name);
		free(entry->nodes[i]->next);
		free(entry->nodes[i]);
	}
	free(entry->nodes);
	entry->nodes = NULL;
	entry->nnodes = entry->nodes_cap = 0;
	entry->start = NULL;
}

const char *
cmd_token_display(const struct cmd_node *node)
{
	switch (node->type) {
	case TOK_IPV4_PREFIX:
		return "A.B.C.D/nn";
	case TOK_IPV6:
		return "X:X:X:X::X";
	case TOK_IPV6_PREFIX:
		return "X:X:X:X::X/<0-128>";
	default:
		return node->text;
	}
}

/* ---- Matching one word against one token. */

static bool
all_chars(const char *word, size_t len, const char *set)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (strchr(set, word[i]) == NULL || word[i] == '\0')
			return false;
	return true;
}

static bool
parse_number(const char *word, size_t len, unsigned long long *value)
{
	unsigned long long v = 0;
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (!isdigit((unsigned char)word[i]))
			return false;
		d = (unsigned)(word[i] - '0');
		if (v > (~0ULL - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*value = v;
	return true;
}

/* Parses an address, optionally followed by "/M" with M <= MAXLEN. */
static bool
parse_addr(int af, const char *word, size_t len, bool prefix,
	   unsigned maxlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	unsigned long long plen;
	char text[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen = len;

	if (len >= sizeof(text))
		return false;
	slash = memchr(word, '/', len);
	if (prefix) {
		if (slash == NULL)
			return false;
		alen = (size_t)(slash - word);
		if (!parse_number(slash + 1, len - alen - 1, &plen) ||
		    plen > maxlen)
			return false;
	} else if (slash != NULL) {
		return false;
	}
	memcpy(text, word, alen);
	text[alen] = '\0';
	return inet_pton(af, text, buf) == 1;
}

static bool
parse_hex(const char *word, size_t len)
{
	if (len > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
		word += 2;
		len -= 2;
	}
	return len > 0 && all_chars(word, len, "0123456789abcdefABCDEF");
}

static enum cmd_level
match_keyword(const char *kw, const char *word, size_t len, size_t *reached)
{
	size_t n = 0;

	/* Also stops at the end of KW: the LEN bytes of WORD contain no NUL. */
	while (n < len && kw[n] != '\0' &&
	       tolower((unsigned char)word[n]) == (unsigned char)kw[n])
		n++;
	if (n == len)
		return kw[n] == '\0' ? LEVEL_EXACT : LEVEL_PARTIAL;
	*reached = n;
	return LEVEL_NONE;
}

enum cmd_level
cmd_token_match(const struct cmd_node *node, const char *word, size_t len,
		size_t *reached)
{
	unsigned long long v;
	bool ok = false;

	*reached = 0;
	if (len == 0)
		return LEVEL_NONE;
	switch (node->type) {
	case TOK_KEYWORD:
		return match_keyword(node->text, word, len, reached);
	case TOK_WORD:
	case TOK_LINE:
		return LEVEL_ANY;
	case TOK_RANGE:
		ok = parse_number(word, len, &v) && v >= node->lo &&
		     v <= node->hi;
		break;
	case TOK_IPV4:
	case TOK_IPV4_PREFIX:
		ok = parse_addr(AF_INET, word, len,
				node->type == TOK_IPV4_PREFIX, 32);
		break;
	case TOK_IPV6:
	case TOK_IPV6_PREFIX:
		ok = parse_addr(AF_INET6, word, len,
				node->type == TOK_IPV6_PREFIX, 128);
		break;
	case TOK_HEX:
		ok = parse_hex(word, len);
		break;
	case TOK_FORK:
	case TOK_END:
		break;
	}
	return ok ? LEVEL_VALUE : LEVEL_NONE;
}

bool
cmd_token_prefix(const struct cmd_node *node, const char *word, size_t len)
{
	unsigned long long v;
	size_t reached;

	switch (node->type) {
	case TOK_KEYWORD:
		return match_keyword(node->text, word, len, &reached) !=
		       LEVEL_NONE || len == 0;
	case TOK_WORD:
	case TOK_LINE:
		return true;
	case TOK_RANGE:
		return len == 0 || (parse_number(word, len, &v) &&
				    v <= node->hi);
	case TOK_IPV4:
	case TOK_IPV4_PREFIX:
		return all_chars(word, len, "0123456789./");
	case TOK_IPV6:
	case TOK_IPV6_PREFIX:
		return all_chars(word, len, "0123456789abcdefABCDEF:./");
	case TOK_HEX:
		return all_chars(word, len, "0123456789abcdefABCDEFxX");
	case TOK_FORK:
	case TOK_END:
		break;
	}
	return false;
}
