/*
 * Applet actions: their syntax check and their execution in the runner
 * thread. Variables are strings; "$name" in an action's text is replaced
 * by the variable's value before the action runs, and a name that is not
 * set is left as typed.
 *
 * Supported actions (after `action LABEL`):
 *   cli command "LINE" [pattern "..."]   $_cli_result gets the output;
 *                         "LINE | append FILE" and "| redirect FILE"
 *                         also add the output to FILE or replace it.
 *                         With `pattern`, the `cli command` actions
 *                         that follow reply to the command's questions
 *                         ("[confirm]", prompts) that each pattern
 *                         matches. A question that no pattern matches
 *                         gets no reply, and the command stops
 *   syslog [priority P] msg "TEXT"       %HA_EM-6-LOG: NAME: TEXT
 * NOTE: $_cli_result holds the output without the prompt that IOS
 * appends to it, a command and its replies share one $_cli_result, and
 * `syslog priority` does not change the severity 6 of %HA_EM-6-LOG.
 *   regexp "RE" "STRING" [VAR...]        POSIX extended RE; VARs get the
 *                         match and its groups, $_regexp_result 1 or 0
 *   set VAR VALUE, append VAR VALUE, increment|decrement VAR [N]
 *   if A OP B, elseif A OP B, else, end  OP: eq ne lt gt le ge
 *   wait SECONDS, comment ..., puts ..., exit
 *   file open HANDLE PATH w|a, file write|puts HANDLE TEXT,
 *   file close HANDLE                    puts adds a line end
 * A PATH "flash:NAME" names NAME in the EEM's flash folder. A run starts
 * with the `event manager environment` variables and the built-ins
 * $_event_type_string, $_event_pub_sec, $_event_id and, for syslog
 * events, $_syslog_msg.
 */
#define _GNU_SOURCE	/* asprintf, strndup */
#include "core/eem_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define MAX_VARS 64
#define MAX_FILES 8
#define MAX_DEPTH 16
/* Maximum number of questions of one `cli command` action that the
 * actions after it reply to. */
#define MAX_REPLIES 8

int
eem_tokenize(char *buf, char **words, int max)
{
	int n = 0;
	char *p = buf;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return -1;
		if (*p == '"') {
			words[n++] = ++p;
			p = strchr(p, '"');
			if (p == NULL)
				return -1;
			*p++ = '\0';
			continue;
		}
		words[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

static bool
is_number(const char *s, long *out)
{
	char *end;
	long v;

	if (*s == '\0')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0)
		return false;
	if (out != NULL)
		*out = v;
	return true;
}

static bool
is_op(const char *s)
{
	static const char *const ops[] = { "eq", "ne", "lt", "gt", "le", "ge" };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i]) == 0)
			return true;
	return false;
}

/* Checks the words of one action; returns NULL or the reason. */
static const char *
check_words(char **w, int n)
{
	const char *a = w[0];

	if (strcmp(a, "cli") == 0)
		return n >= 3 && strcmp(w[1], "command") == 0 &&
		       (n == 3 || (n == 5 && strcmp(w[3], "pattern") == 0)) ?
		       NULL : "expected cli command \"LINE\" [pattern \"RE\"]";
	if (strcmp(a, "syslog") == 0) {
		if (n == 3 && strcmp(w[1], "msg") == 0)
			return NULL;
		if (n == 5 && strcmp(w[1], "priority") == 0 &&
		    log_severity_parse(w[2]) >= 0 && strcmp(w[3], "msg") == 0)
			return NULL;
		return "expected syslog [priority LEVEL] msg \"TEXT\"";
	}
	if (strcmp(a, "regexp") == 0) {
		regex_t re;

		if (n < 3)
			return "expected regexp \"RE\" \"STRING\" [VAR...]";
		if (regcomp(&re, w[1], REG_EXTENDED) != 0)
			return "invalid regular expression";
		regfree(&re);
		return NULL;
	}
	if (strcmp(a, "set") == 0 || strcmp(a, "append") == 0)
		return n == 3 ? NULL : "expected VAR VALUE";
	if (strcmp(a, "increment") == 0 || strcmp(a, "decrement") == 0)
		return n == 2 || (n == 3 && is_number(w[2], NULL)) ? NULL :
		       "expected VAR [NUMBER]";
	if (strcmp(a, "if") == 0 || strcmp(a, "elseif") == 0)
		return n == 4 && is_op(w[2]) ? NULL :
		       "expected A eq|ne|lt|gt|le|ge B";
	if (strcmp(a, "else") == 0 || strcmp(a, "end") == 0 ||
	    strcmp(a, "exit") == 0)
		return n == 1 ? NULL : "takes no arguments";
	if (strcmp(a, "wait") == 0) {
		long s;

		return n == 2 && is_number(w[1], &s) && s >= 0 &&
		       s <= 31536000 ? NULL : "expected wait SECONDS";
	}
	if (strcmp(a, "comment") == 0 || strcmp(a, "puts") == 0)
		return NULL;
	if (strcmp(a, "file") == 0) {
		if (n == 5 && strcmp(w[1], "open") == 0 &&
		    (strcmp(w[4], "w") == 0 || strcmp(w[4], "a") == 0 ||
		     strcmp(w[4], "w+") == 0 || strcmp(w[4], "a+") == 0))
			return NULL;
		if (n == 4 && (strcmp(w[1], "write") == 0 ||
			       strcmp(w[1], "puts") == 0))
			return NULL;
		if (n == 3 && strcmp(w[1], "close") == 0)
			return NULL;
		return "expected file open HANDLE PATH w|a, file write|puts "
		       "HANDLE TEXT or file close HANDLE";
	}
	return "unknown action";
}

int
eem_check_action(const char *text, char *err, size_t errlen)
{
	char *words[EEM_MAX_TOKENS];
	char *buf = strdup(text);
	const char *why;
	int n;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = eem_tokenize(buf, words, EEM_MAX_TOKENS);
	if (n <= 0)
		why = n == 0 ? "empty action" : "unterminated quote";
	else
		why = check_words(words, n);
	if (why != NULL)
		snprintf(err, errlen, "%s", why);
	free(buf);
	return why == NULL ? 0 : -1;
}

/* Variables, open files and the CLI session of one run. */
struct run_ctx {
	struct eem *eem;
	struct eem_run *run;
	int64_t deadline;
	char *names[MAX_VARS];
	char *values[MAX_VARS];
	int nvars;
	char *fnames[MAX_FILES];
	FILE *files[MAX_FILES];
	void *session;
	bool session_failed;
	size_t next;		/* index of the action that runs next */
};

static const char *
get_var(struct run_ctx *c, const char *name, size_t len)
{
	int i;

	for (i = 0; i < c->nvars; i++)
		if (strlen(c->names[i]) == len &&
		    strncmp(c->names[i], name, len) == 0)
			return c->values[i];
	return NULL;
}

static void
set_var(struct run_ctx *c, const char *name, const char *value)
{
	char *v = strdup(value);
	int i;

	if (v == NULL)
		return;
	for (i = 0; i < c->nvars; i++) {
		if (strcmp(c->names[i], name) == 0) {
			free(c->values[i]);
			c->values[i] = v;
			return;
		}
	}
	if (c->nvars == MAX_VARS || (c->names[c->nvars] = strdup(name)) == NULL) {
		free(v);
		return;
	}
	c->values[c->nvars++] = v;
}

static bool
var_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

/* Returns TEXT with "$name" replaced by set variables; malloc'd. */
static char *
substitute(struct run_ctx *c, const char *text)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *p = text;

	if (f == NULL)
		return NULL;
	while (*p != '\0') {
		const char *name = p + 1, *val;
		size_t n = 0;

		if (*p != '$') {
			fputc(*p++, f);
			continue;
		}
		while (var_char(name[n]))
			n++;
		val = n > 0 ? get_var(c, name, n) : NULL;
		if (val == NULL) {
			fputc(*p++, f);
			continue;
		}
		fputs(val, f);
		p = name + n;
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Resolves "flash:NAME" into the flash folder; returns malloc'd. */
static char *
resolve_path(struct run_ctx *c, const char *path)
{
	char *out;

	if (strncmp(path, "flash:", 6) != 0)
		return strdup(path);
	path += 6;
	while (*path == '/')
		path++;
	if (asprintf(&out, "%s/%s", c->eem->flash_dir != NULL ?
		     c->eem->flash_dir : ".", path) < 0)
		return NULL;
	return out;
}

static void
file_error(struct run_ctx *c, const char *label, const char *what)
{
	log_msg(LOGMSG_HA_EM_FILE_ERROR, "Error executing applet %s statement "
		"%s: %s", c->run->name, label, what);
}

/* Writes TEXT to PATH, appending or replacing. */
static void
write_file(struct run_ctx *c, const char *label, const char *path,
	   const char *text, bool append)
{
	char *full = resolve_path(c, path);
	FILE *f = full != NULL ? fopen(full, append ? "a" : "w") : NULL;
	char why[300];

	if (f == NULL) {
		snprintf(why, sizeof(why), "cannot open %.200s: %s", path,
			 strerror(errno));
		file_error(c, label, why);
		free(full);
		return;
	}
	fputs(text, f);
	if (fclose(f) != 0) {
		snprintf(why, sizeof(why), "cannot write %.200s: %s", path,
			 strerror(errno));
		file_error(c, label, why);
	}
	free(full);
}

/*
 * Splits a trailing "| append FILE" or "| redirect FILE" off LINE, in
 * place, and copies FILE into OUT. Returns false when LINE has none.
 */
static bool
split_output_filter(char *line, bool *append, char *out, size_t len)
{
	char *bar = strrchr(line, '|');
	char tail[512];
	char *words[4];
	int n;

	if (bar == NULL)
		return false;
	snprintf(tail, sizeof(tail), "%s", bar + 1);
	n = eem_tokenize(tail, words, 4);
	if (n != 2 || (strcmp(words[0], "append") != 0 &&
		       strcmp(words[0], "redirect") != 0))
		return false;
	*append = strcmp(words[0], "append") == 0;
	snprintf(out, len, "%s", words[1]);
	*bar = '\0';
	return true;
}

/*
 * Takes the replies to the questions of a `cli command` action whose
 * pattern is PATTERN. Each `cli command` action that follows replies to
 * the question that the pattern before it matches, as on IOS, and runs
 * only as that reply. Returns the number of replies, whose patterns
 * and texts (malloc'd) are in PATTERNS and TEXTS.
 */
static size_t
take_replies(struct run_ctx *c, const char *pattern, char **patterns,
	     char **texts, size_t max)
{
	char *raw[EEM_MAX_TOKENS], *buf, *want = strdup(pattern);
	size_t n = 0;
	int nw;

	while (want != NULL && n < max && c->next < c->run->nactions) {
		buf = strdup(c->run->texts[c->next]);
		nw = buf != NULL ? eem_tokenize(buf, raw, EEM_MAX_TOKENS) : -1;
		if (nw < 3 || strcmp(raw[0], "cli") != 0) {
			free(buf);
			break;
		}
		patterns[n] = want;
		texts[n] = substitute(c, raw[2]);
		want = nw == 5 ? substitute(c, raw[4]) : NULL;
		free(buf);
		if (texts[n++] == NULL)
			break;
		c->next++;
	}
	free(want);
	return n;
}

static void
do_cli(struct run_ctx *c, const char *label, const char *command,
       const char *pattern)
{
	struct eem_cli_reply replies[MAX_REPLIES];
	char *patterns[MAX_REPLIES], *texts[MAX_REPLIES];
	char *line = strdup(command);
	char *out = NULL;
	char file[512];
	bool to_file, append = false;
	size_t nreplies = 0, i;

	if (line == NULL)
		return;
	if (pattern != NULL)
		nreplies = take_replies(c, pattern, patterns, texts,
					MAX_REPLIES);
	for (i = 0; i < nreplies; i++) {
		replies[i].pattern = patterns[i];
		replies[i].text = texts[i] != NULL ? texts[i] : "";
	}
	to_file = split_output_filter(line, &append, file, sizeof(file));
	if (c->session == NULL && !c->session_failed) {
		c->session = c->eem->ops->open(c->eem->ops_ctx);
		if (c->session == NULL) {
			c->session_failed = true;
			log_msg(LOGMSG_HA_EM_CLI_ERROR, "Unable to run CLI "
				"command for applet %s: %s", c->run->name,
				"no CLI session could be opened");
		}
	}
	if (c->session != NULL)
		c->eem->ops->run(c->session, line, replies, nreplies, &out);
	set_var(c, "_cli_result", out != NULL ? out : "");
	if (to_file && out != NULL)
		write_file(c, label, file, out, append);
	for (i = 0; i < nreplies; i++) {
		free(patterns[i]);
		free(texts[i]);
	}
	free(out);
	free(line);
}

static bool
compare(const char *a, const char *op, const char *b)
{
	long x, y;
	int cmp;

	if (is_number(a, &x) && is_number(b, &y))
		cmp = x < y ? -1 : x > y;
	else
		cmp = strcmp(a, b);
	if (strcmp(op, "eq") == 0)
		return cmp == 0;
	if (strcmp(op, "ne") == 0)
		return cmp != 0;
	if (strcmp(op, "lt") == 0)
		return cmp < 0;
	if (strcmp(op, "gt") == 0)
		return cmp > 0;
	if (strcmp(op, "le") == 0)
		return cmp <= 0;
	return cmp >= 0;
}

static void
do_regexp(struct run_ctx *c, char **w, int n)
{
	regmatch_t m[EEM_MAX_TOKENS];
	regex_t re;
	int i, nvars = n - 3;

	set_var(c, "_regexp_result", "0");
	if (regcomp(&re, w[1], REG_EXTENDED) != 0)
		return;
	if (regexec(&re, w[2], (size_t)(nvars > 0 ? nvars : 1), m, 0) == 0) {
		set_var(c, "_regexp_result", "1");
		for (i = 0; i < nvars; i++) {
			char *v;

			if (m[i].rm_so < 0 || (size_t)i > re.re_nsub) {
				set_var(c, w[3 + i], "");
				continue;
			}
			v = strndup(w[2] + m[i].rm_so,
				    (size_t)(m[i].rm_eo - m[i].rm_so));
			if (v != NULL)
				set_var(c, w[3 + i], v);
			free(v);
		}
	}
	regfree(&re);
}

static void
do_arith(struct run_ctx *c, char **w, int n, int sign)
{
	const char *cur = get_var(c, w[1], strlen(w[1]));
	long v = 0, step = 1;
	char buf[32];

	if (cur != NULL)
		is_number(cur, &v);
	if (n == 3)
		is_number(w[2], &step);
	snprintf(buf, sizeof(buf), "%ld", v + sign * step);
	set_var(c, w[1], buf);
}

static int
find_file(struct run_ctx *c, const char *handle)
{
	int i;

	for (i = 0; i < MAX_FILES; i++)
		if (c->fnames[i] != NULL && strcmp(c->fnames[i], handle) == 0)
			return i;
	return -1;
}

static void
close_file(struct run_ctx *c, int i)
{
	fclose(c->files[i]);
	free(c->fnames[i]);
	c->fnames[i] = NULL;
	c->files[i] = NULL;
}

static void
do_file(struct run_ctx *c, const char *label, char **w)
{
	char why[300];
	int i = find_file(c, w[2]);

	if (strcmp(w[1], "open") == 0) {
		char *full;

		if (i >= 0)
			close_file(c, i);
		for (i = 0; i < MAX_FILES && c->fnames[i] != NULL; i++)
			;
		full = resolve_path(c, w[3]);
		if (i == MAX_FILES || full == NULL) {
			file_error(c, label, "too many open files");
			free(full);
			return;
		}
		c->files[i] = fopen(full, w[4][0] == 'a' ? "a" : "w");
		free(full);
		if (c->files[i] == NULL) {
			snprintf(why, sizeof(why), "cannot open %s: %s", w[3],
				 strerror(errno));
			file_error(c, label, why);
			return;
		}
		c->fnames[i] = strdup(w[2]);
		if (c->fnames[i] == NULL) {
			fclose(c->files[i]);
			c->files[i] = NULL;
		}
		return;
	}
	if (i < 0) {
		snprintf(why, sizeof(why), "file handle %s is not open", w[2]);
		file_error(c, label, why);
		return;
	}
	if (strcmp(w[1], "close") == 0) {
		close_file(c, i);
		return;
	}
	fputs(w[3], c->files[i]);
	if (strcmp(w[1], "puts") == 0)
		fputc('\n', c->files[i]);
}

/*
 * Sleeps SECONDS or until the deadline or a stop. Returns false when the
 * run must end.
 */
static bool
do_wait(struct run_ctx *c, long seconds, enum eem_status *status)
{
	struct eem *eem = c->eem;
	int64_t until = eem_now_ms() + seconds * 1000;
	bool maxrun = until >= c->deadline;
	struct timespec ts;

	if (maxrun)
		until = c->deadline;
	pthread_mutex_lock(&eem->lock);
	while (!eem->stopping && eem_now_ms() < until) {
		int64_t left = until - eem_now_ms();

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (left % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&eem->cond, &eem->lock, &ts);
	}
	if (eem->stopping) {
		*status = EEM_STOPPED;
		maxrun = true;
	} else if (maxrun) {
		*status = EEM_MAXRUN;
	}
	pthread_mutex_unlock(&eem->lock);
	return !maxrun;
}

/* One level of if/elseif/else. */
struct branch {
	bool parent_active;
	bool taking;
	bool taken;
};

/*
 * Runs one action given as words W[0..N), unless a branch on STACK that
 * was not taken encloses it. Returns false when the run must end.
 */
static bool
run_action(struct run_ctx *c, const char *label, char **w, int n,
	   struct branch *stack, int *depth, enum eem_status *status)
{
	bool active = *depth == 0 || stack[*depth - 1].taking;
	const char *a = w[0];
	long s;

	if (strcmp(a, "if") == 0) {
		if (*depth == MAX_DEPTH)
			return true;
		stack[*depth].parent_active = active;
		stack[*depth].taking = active && compare(w[1], w[2], w[3]);
		stack[*depth].taken = stack[*depth].taking;
		(*depth)++;
		return true;
	}
	if (strcmp(a, "elseif") == 0 || strcmp(a, "else") == 0) {
		struct branch *b;

		if (*depth == 0)
			return true;
		b = &stack[*depth - 1];
		b->taking = b->parent_active && !b->taken &&
			    (a[4] == '\0' || compare(w[1], w[2], w[3]));
		b->taken |= b->taking;
		return true;
	}
	if (strcmp(a, "end") == 0) {
		if (*depth > 0)
			(*depth)--;
		return true;
	}
	if (!active)
		return true;
	if (strcmp(a, "cli") == 0)
		do_cli(c, label, w[2], n == 5 ? w[4] : NULL);
	else if (strcmp(a, "syslog") == 0)
		log_msg(LOGMSG_HA_EM_LOG, "%s: %s", c->run->name, w[n - 1]);
	else if (strcmp(a, "regexp") == 0)
		do_regexp(c, w, n);
	else if (strcmp(a, "set") == 0)
		set_var(c, w[1], w[2]);
	else if (strcmp(a, "append") == 0) {
		const char *cur = get_var(c, w[1], strlen(w[1]));
		char *v;

		if (asprintf(&v, "%s%s", cur != NULL ? cur : "", w[2]) >= 0) {
			set_var(c, w[1], v);
			free(v);
		}
	} else if (strcmp(a, "increment") == 0)
		do_arith(c, w, n, 1);
	else if (strcmp(a, "decrement") == 0)
		do_arith(c, w, n, -1);
	else if (strcmp(a, "wait") == 0 && is_number(w[1], &s))
		return do_wait(c, s, status);
	else if (strcmp(a, "file") == 0)
		do_file(c, label, w);
	else if (strcmp(a, "exit") == 0)
		return false;
	return true;
}

static void
release_ctx(struct run_ctx *c)
{
	int i;

	for (i = 0; i < MAX_FILES; i++)
		if (c->fnames[i] != NULL)
			close_file(c, i);
	for (i = 0; i < c->nvars; i++) {
		free(c->names[i]);
		free(c->values[i]);
	}
	if (c->session != NULL)
		c->eem->ops->close(c->session);
}

enum eem_status
eem_execute(struct eem *eem, struct eem_run *r)
{
	struct branch stack[MAX_DEPTH];
	struct run_ctx c = { .eem = eem, .run = r };
	enum eem_status status = EEM_SUCCESS;
	char pub[32];
	int depth = 0;
	size_t i;

	c.deadline = eem_now_ms() + (int64_t)r->maxrun * 1000;
	for (i = 0; i < r->nenv; i++)
		set_var(&c, r->env_names[i], r->env_values[i]);
	set_var(&c, "_event_type_string", r->type_string);
	snprintf(pub, sizeof(pub), "%lld", (long long)r->pub_time);
	set_var(&c, "_event_pub_sec", pub);
	snprintf(pub, sizeof(pub), "%u", r->job_id);
	set_var(&c, "_event_id", pub);
	if (r->syslog_msg != NULL)
		set_var(&c, "_syslog_msg", r->syslog_msg);

	for (i = 0; i < r->nactions; i = c.next) {
		char *raw[EEM_MAX_TOKENS], *words[EEM_MAX_TOKENS];
		char *buf = strdup(r->texts[i]);
		bool go_on = true, complete = true;
		int n, j;

		c.next = i + 1;
		if (eem_now_ms() >= c.deadline) {
			status = EEM_MAXRUN;
			free(buf);
			break;
		}
		pthread_mutex_lock(&eem->lock);
		if (eem->stopping)
			status = EEM_STOPPED;
		pthread_mutex_unlock(&eem->lock);
		if (status == EEM_STOPPED) {
			free(buf);
			break;
		}

		n = buf != NULL ? eem_tokenize(buf, raw, EEM_MAX_TOKENS) : -1;
		for (j = 0; j < n; j++) {
			words[j] = substitute(&c, raw[j]);
			complete &= words[j] != NULL;
		}
		if (n > 0 && complete && check_words(words, n) == NULL)
			go_on = run_action(&c, r->labels[i], words, n, stack,
					   &depth, &status);
		for (j = 0; j < n; j++)
			free(words[j]);
		free(buf);
		if (!go_on)
			break;
	}
	if (status == EEM_MAXRUN)
		log_msg(LOGMSG_HA_EM_POLICY_MAXRUN, "Error executing applet "
			"%s statement %s", r->name,
			i < r->nactions ? r->labels[i] : "end");
	release_ctx(&c);
	return status;
}
