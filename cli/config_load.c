#include "cli/config_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/cfg_file.h"
#include "core/config.h"
#include "core/router.h"
#include "core/log.h"

/*
 * Output of the command being run, kept until it is inspected, and the
 * position in the text for commands that read further lines.
 */
struct capture {
	char buf[4096];
	size_t len;
	char **next;		/* the line after the command's */
	unsigned *lineno;
};

static int
capture_write(struct vty *vty, const char *buf, size_t len)
{
	struct capture *c = vty->io_ctx;
	size_t room = sizeof(c->buf) - 1 - c->len;

	if (len > room)
		len = room;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	c->buf[c->len] = '\0';
	return 0;
}

/*
 * Takes the next line of the text as the reply, as a terminal paste
 * answers a prompt: a multi-line banner reads its text this way. Returns
 * -1 at the end of the text.
 */
static int
capture_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	struct capture *c = vty->io_ctx;
	char *line = *c->next, *end;

	(void)echo;
	if (line == NULL || len == 0)
		return -1;
	end = strchr(line, '\n');
	*c->next = end ? end + 1 : NULL;
	if (end)
		*end = '\0';
	++*c->lineno;
	snprintf(buf, len, "%s", line);
	buf[strcspn(buf, "\r")] = '\0';
	return (int)strlen(buf);
}

static int
capture_read_key(struct vty *vty)
{
	(void)vty;
	return '\r';
}

static const struct vty_io capture_io = {
	.write = capture_write,
	.read_line = capture_read_line,
	.read_key = capture_read_key,
};

/*
 * Copies the IOS error of a rejected command from its output: the last
 * line that starts with "%", other than the crypto map "% NOTE".
 */
static void
error_text(const char *out, char *err, size_t len)
{
	const char *line = out, *found = NULL;
	size_t n;

	while (*line) {
		const char *end = line + strcspn(line, "\r\n");

		if (line[0] == '%' && strncmp(line, "% NOTE", 6))
			found = line;
		line = end + strspn(end, "\r\n");
	}
	if (!found) {
		/* An error without "%", e.g. "ERROR: transform set ...". */
		found = out + strspn(out, " \r\n^");
	}
	n = strcspn(found, "\r\n");
	if (n >= len)
		n = len - 1;
	memcpy(err, found, n);
	err[n] = '\0';
}

/* One rejected line, or a rejected line with the block indented under it. */
struct reject {
	unsigned lineno;
	unsigned skipped;	/* indented lines skipped with it */
	char *cmd;
	char *err;
};

struct rejects {
	struct reject *v;
	size_t n, cap;
};

static void
rejects_free(struct rejects *rj)
{
	size_t i;

	for (i = 0; i < rj->n; i++) {
		free(rj->v[i].cmd);
		free(rj->v[i].err);
	}
	free(rj->v);
	memset(rj, 0, sizeof(*rj));
}

static struct reject *
rejects_add(struct rejects *rj, unsigned lineno, const char *cmd,
	    const char *err)
{
	struct reject *e;

	if (rj->n == rj->cap) {
		size_t cap = rj->cap ? rj->cap * 2 : 16;
		struct reject *v = realloc(rj->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		rj->v = v;
		rj->cap = cap;
	}
	e = &rj->v[rj->n];
	e->lineno = lineno;
	e->skipped = 0;
	e->cmd = strdup(cmd);
	e->err = strdup(err);
	if (!e->cmd || !e->err) {
		free(e->cmd);
		free(e->err);
		return NULL;
	}
	rj->n++;
	return e;
}

/* Number of blanks before the first character of LINE. */
static unsigned
indent_of(const char *line)
{
	return (unsigned)strspn(line, " \t");
}

/* Length of the prompt in front of a pasted line ("R1(config-if)#"), or 0. */
static size_t
prompt_len(const char *line, bool *exec)
{
	size_t n = strcspn(line, " #>(");

	if (n == 0 || !((line[0] >= 'A' && line[0] <= 'Z') ||
			(line[0] >= 'a' && line[0] <= 'z')))
		return 0;
	*exec = line[n] != '(';
	if (line[n] == '(') {
		n += strcspn(line + n, ")# ");
		if (line[n] != ')')
			return 0;
		n++;
	}
	if (line[n] != '#' && line[n] != '>')
		return 0;
	return n + 1;
}

/*
 * Cleans one line of a file or terminal paste and returns the command to
 * run, or NULL when the line carries none: strips the line end, trailing
 * blanks, a UTF-8 byte order mark and a pasted prompt. Lines that `show
 * running-config` prints around the config, and EXEC commands typed after
 * a prompt, carry no command.
 */
static char *
clean_line(char *line, unsigned *indent)
{
	size_t n;
	bool exec = false;

	if (!strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	*indent = indent_of(line);
	if (*indent == 0 && (n = prompt_len(line, &exec)) > 0) {
		if (exec)
			return NULL;
		line += n;
		*indent = indent_of(line);
	}
	line += *indent;
	if (!*line || line[0] == '!' ||
	    !strcmp(line, "Building configuration...") ||
	    !strncmp(line, "Current configuration :", 23))
		return NULL;
	return line;
}

/*
 * A certificate block (crypto pki certificate chain, or crypto ca in old
 * releases): its hex lines and quit are the certificate itself and are
 * skipped as one unit.
 */
static bool
is_certificate_block(const char *cmd)
{
	return !strncmp(cmd, "crypto pki certificate ", 23) ||
	       !strncmp(cmd, "crypto ca certificate ", 22);
}

/* Runs the lines of TEXT; rejected ones go to RJ. */
static void
run_lines(struct router *r, const char *text, struct rejects *rj)
{
	struct capture cap = { .len = 0 };
	struct vty vty;
	char *copy = strdup(text), *line, *next = NULL;
	char prompt[128], err[256];
	struct reject *open_block = NULL;
	unsigned lineno = 0, block_indent = 0;

	if (!copy)
		return;
	cap.next = &next;
	cap.lineno = &lineno;
	vty_init(&vty, r, &capture_io, &cap, "startup", false);
	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty.privilege = 15;
	vty.term_length = 0;
	vty.term_width = 0;
	vty_enter_mode(&vty, MODE_CONFIG, NULL);

	for (line = copy; line && *line; line = next) {
		enum cmd_result res;
		unsigned indent, cmd_lineno;
		char *cmd;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		cmd = clean_line(line, &indent);
		if (!cmd)
			continue;
		/* Lines indented under a rejected line go with it. */
		if (open_block && indent > block_indent) {
			open_block->skipped++;
			continue;
		}
		open_block = NULL;
		if (!strcmp(cmd, "end"))
			break;
		/* Re-enter (config) after a line such as `exit` left it. */
		if (!cmd_mode_info(vty_mode(&vty))->config)
			vty_enter_mode(&vty, MODE_CONFIG, NULL);

		if (is_certificate_block(cmd)) {
			open_block = rejects_add(rj, lineno, cmd,
				"% Certificates are not supported; the "
				"certificate block is skipped");
			block_indent = indent;
			continue;
		}
		cap.len = 0;
		cap.buf[0] = '\0';
		cmd_lineno = lineno;
		res = cmd_execute(&vty, cmd, vty_prompt(&vty, prompt,
							sizeof(prompt)));
		vty_flush(&vty);
		if (res != CMD_WARNING && res != CMD_ERROR)
			continue;
		/*
		 * A rejected line at the left margin opened a block that
		 * vrouter does not model; its indented lines must not land in
		 * the sub-mode that was open before it.
		 */
		if (indent == 0) {
			while (vty_mode(&vty) != MODE_CONFIG &&
			       cmd_mode_info(vty_mode(&vty))->config)
				vty_exit_mode(&vty);
		}
		error_text(cap.buf, err, sizeof(err));
		open_block = rejects_add(rj, cmd_lineno, cmd, err);
		block_indent = indent;
	}
	vty_release(&vty);
	cfg_text_free(copy);	/* the lines may set secrets */
}

int
config_load_text(struct router *r, const char *name, const char *text,
		 FILE *report)
{
	struct rejects rj = { 0 };
	char err[256];
	size_t i;
	int rejected, format = cfg_detect_format(text);

	/* JSON or XML (the `| format` exports) is one YANG document. */
	if (format >= 0) {
		if (cfg_import(r->cfg, text, (enum cfg_format)format, false,
			       err, sizeof(err)) == 0)
			return 0;
		if (report)
			fprintf(report, "%% %s: %s\n", name, err);
		log_msg(LOGMSG_PARSER_CONFIG_LINE, "%s rejected: %s", name,
			err);
		return 1;
	}

	/*
	 * One batch for the whole text, so that each line costs an edit and
	 * not a copy and validation of the whole tree. When a line failed
	 * half-way or the batch does not validate, the batch is dropped and
	 * the lines are applied one transaction each, which gives the exact
	 * per-line result.
	 * NOTE: a line that leaves the tree invalid until a later line fixes
	 * it is accepted in a batch, where a line-by-line load rejects it.
	 */
	if (cfg_batch_begin(r->cfg) == 0) {
		bool ok;

		run_lines(r, text, &rj);
		ok = !cfg_batch_tainted(r->cfg);
		if (cfg_batch_end(r->cfg, ok, err, sizeof(err)) < 0 || !ok) {
			rejects_free(&rj);
			run_lines(r, text, &rj);
		}
	} else {
		run_lines(r, text, &rj);
	}

	for (i = 0; i < rj.n; i++) {
		const struct reject *e = &rj.v[i];

		if (report && e->skipped)
			fprintf(report, "line %u: %s: %s (%u indented line%s "
				"skipped with it)\n", e->lineno, e->cmd,
				e->err, e->skipped, e->skipped == 1 ? "" : "s");
		else if (report)
			fprintf(report, "line %u: %s: %s\n", e->lineno,
				e->cmd, e->err);
		log_msg(LOGMSG_PARSER_CONFIG_LINE, "%s line %u rejected: %s: %s",
			name, e->lineno, e->cmd, e->err);
	}
	rejected = (int)rj.n;
	rejects_free(&rj);
	return rejected;
}

int
config_load_file(struct router *r, const char *path, FILE *report)
{
	size_t len;
	char *text = cfg_file_read(path, &len);
	int ret;

	if (!text) {
		if (report)
			fprintf(report, "%% Cannot read %s: %m\n", path);
		return -1;
	}
	if (strlen(text) != len) {
		if (report)
			fprintf(report, "%% %s is not a text file\n", path);
		cfg_text_free(text);
		return -1;
	}
	ret = config_load_text(r, path, text, report);
	cfg_text_free(text);
	return ret;
}
