#include "cli/config_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/cfg_file.h"
#include "core/log.h"

/* Output of the command being run, kept until it is inspected. */
struct capture {
	char buf[4096];
	size_t len;
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

/* A config file cannot answer questions: every prompt gets an empty reply. */
static int
capture_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	(void)vty;
	(void)echo;
	if (len > 0)
		buf[0] = '\0';
	return 0;
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

/* Strips the line end, leading blanks and a UTF-8 byte order mark. */
static char *
clean_line(char *line, bool first)
{
	size_t n;

	if (first && !strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	line += strspn(line, " \t");
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	return line;
}

int
config_load_text(struct router *r, const char *name, const char *text,
		 FILE *report)
{
	struct capture cap = { .len = 0 };
	struct vty vty;
	char *copy = strdup(text), *line, *next;
	char prompt[128], err[256];
	unsigned lineno = 0;
	int rejected = 0;

	if (!copy)
		return -1;
	vty_init(&vty, r, &capture_io, &cap, "startup", false);
	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty.privilege = 15;
	vty.term_length = 0;
	vty.term_width = 0;
	vty_enter_mode(&vty, MODE_CONFIG, NULL);

	for (line = copy; line && *line; line = next) {
		enum cmd_result res;
		bool indented;
		char *cmd;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		indented = line[0] == ' ' || line[0] == '\t';
		cmd = clean_line(line, lineno++ == 0);
		if (!*cmd || cmd[0] == '!')
			continue;
		if (!strcmp(cmd, "end"))
			break;
		/* Re-enter (config) after a line such as `exit` left it. */
		if (!cmd_mode_info(vty_mode(&vty))->config)
			vty_enter_mode(&vty, MODE_CONFIG, NULL);

		cap.len = 0;
		cap.buf[0] = '\0';
		res = cmd_execute(&vty, cmd, vty_prompt(&vty, prompt,
							sizeof(prompt)));
		vty_flush(&vty);
		if (res != CMD_WARNING && res != CMD_ERROR)
			continue;
		rejected++;
		/*
		 * A rejected line at the left margin opened a block that
		 * vrouter does not model; its indented lines must not land in
		 * the sub-mode that was open before it.
		 */
		if (!indented) {
			while (vty_mode(&vty) != MODE_CONFIG &&
			       cmd_mode_info(vty_mode(&vty))->config)
				vty_exit_mode(&vty);
		}
		error_text(cap.buf, err, sizeof(err));
		if (report)
			fprintf(report, "line %u: %s: %s\n", lineno, cmd, err);
		log_msg(LOGMSG_PARSER_CONFIG_LINE, "%s line %u rejected: %s: %s",
			name, lineno, cmd, err);
	}
	vty_release(&vty);
	free(copy);
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
		free(text);
		return -1;
	}
	ret = config_load_text(r, path, text, report);
	free(text);
	return ret;
}
