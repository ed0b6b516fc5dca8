/*
 * The local console. GNU readline keeps global state and is not
 * thread-safe, so only the console thread calls it: log lines from other
 * threads are queued and printed by the console thread above the prompt.
 */
#define _GNU_SOURCE
#include "cli/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <readline/history.h>
#include <readline/readline.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/router.h"

/* How often the console looks at router->stopping, in milliseconds. */
#define POLL_MS 200
#define LINE_MAX_LEN 4096
#define PROMPT_MAX 96

struct console {
	struct router *router;
	struct vty vty;
	bool tty;
	bool done;
	bool ctrl_z;		/* the line ended with Ctrl-Z */
	char prompt[PROMPT_MAX];

	/* Log lines from other threads, printed by the console thread. */
	pthread_mutex_t queue_lock;
	char **queue;
	size_t queue_len;
	int wake[2];		/* a byte on wake[1] means the queue has lines */

	/* Pipe mode: bytes read from stdin but not yet used. */
	char in[LINE_MAX_LEN];
	size_t in_len;
	bool in_eof;		/* stdin reached its end */
};

/* readline callbacks take no context, and there is one console. */
static struct console *active;

static int
write_fd(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Writes to stdout with "\r\n" turned into "\n": a pipe is read by
 * scripts that expect plain line ends, and a terminal driver adds the
 * "\r" itself (ONLCR), so writing it too would double it.
 */
static int
io_write(struct vty *vty, const char *buf, size_t len)
{
	size_t start = 0, i;

	(void)vty;
	for (i = 0; i < len; i++) {
		if (buf[i] != '\r' || i + 1 >= len || buf[i + 1] != '\n')
			continue;
		if (write_fd(STDOUT_FILENO, buf + start, i - start) < 0)
			return -1;
		start = i + 1;
	}
	return write_fd(STDOUT_FILENO, buf + start, len - start);
}

/* Reads one byte from stdin with the terminal in non-canonical mode. */
static int
io_read_key(struct vty *vty)
{
	struct console *con = vty->io_ctx;
	struct termios saved, raw;
	unsigned char c;
	ssize_t n;

	if (!con->tty)
		return -1;
	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return -1;
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	do {
		n = read(STDIN_FILENO, &c, 1);
	} while (n < 0 && errno == EINTR);
	tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (n != 1)
		return -1;
	return c == '\n' ? '\r' : c;
}

/* Pipe mode: returns the next line of stdin without its line end. */
static int
pipe_read_line(struct console *con, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char *nl;
	size_t n;
	ssize_t got;

	for (;;) {
		nl = memchr(con->in, '\n', con->in_len);
		if (nl || con->in_len == sizeof(con->in)) {
			n = nl ? (size_t)(nl - con->in) : con->in_len;
			break;
		}
		if (con->router && con->router->stopping)
			return -1;
		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		got = read(STDIN_FILENO, con->in + con->in_len,
			   sizeof(con->in) - con->in_len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			/* A last line without "\n" still runs. */
			if (con->in_len == 0) {
				con->in_eof = true;
				return -1;
			}
			n = con->in_len;
			break;
		}
		con->in_len += (size_t)got;
	}

	if (n > 0 && con->in[n - 1] == '\r')
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(buf, con->in, n);
	buf[n] = '\0';

	/* Drop the line and its "\n" from the input. */
	n = nl ? (size_t)(nl - con->in) + 1 : con->in_len;
	memmove(con->in, con->in + n, con->in_len - n);
	con->in_len -= n;
	return (int)strlen(buf);
}

static int
io_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	struct console *con = vty->io_ctx;
	struct termios saved, quiet;
	bool restore = false;
	size_t n;
	int rc;

	/* The reply is not echoed, so end the question's line here. */
	if (!con->tty) {
		rc = pipe_read_line(con, buf, len);
		write_fd(STDOUT_FILENO, "\n", 1);
		return rc;
	}

	if (!echo && tcgetattr(STDIN_FILENO, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
	}
	if (fgets(buf, (int)len, stdin) == NULL)
		buf[0] = '\0';
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		write_fd(STDOUT_FILENO, "\n", 1);
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return feof(stdin) ? -1 : (int)n;
}

/* Queues LINE for the console thread; any thread, write_lock held. */
static void
io_write_async(struct vty *vty, const char *line)
{
	struct console *con = vty->io_ctx;
	char **grown, *copy;

	copy = strdup(line);
	if (copy == NULL)
		return;
	pthread_mutex_lock(&con->queue_lock);
	grown = realloc(con->queue, (con->queue_len + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
	} else {
		con->queue = grown;
		con->queue[con->queue_len++] = copy;
	}
	pthread_mutex_unlock(&con->queue_lock);
	if (write(con->wake[1], "", 1) < 0) {
		/* The pipe is full, so the console thread wakes anyway. */
	}
}

static const struct vty_io tty_io = {
	.write = io_write,
	.read_line = io_read_line,
	.read_key = io_read_key,
	.write_async = io_write_async,
};

/* On a pipe, log lines go straight to stdout under write_lock. */
static const struct vty_io pipe_io = {
	.write = io_write,
	.read_line = io_read_line,
	.read_key = io_read_key,
};

/* Prints queued log lines above the prompt and the line being typed. */
static void
print_queued(struct console *con)
{
	char buf[64], **lines, *saved_line;
	size_t n, i;
	int saved_point;

	while (read(con->wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&con->queue_lock);
	lines = con->queue;
	n = con->queue_len;
	con->queue = NULL;
	con->queue_len = 0;
	pthread_mutex_unlock(&con->queue_lock);
	if (n == 0)
		return;

	saved_point = rl_point;
	saved_line = rl_copy_text(0, rl_end);
	rl_save_prompt();
	rl_replace_line("", 0);
	rl_redisplay();

	for (i = 0; i < n; i++) {
		write_fd(STDOUT_FILENO, lines[i], strlen(lines[i]));
		write_fd(STDOUT_FILENO, "\n", 1);
		free(lines[i]);
	}
	free(lines);

	rl_restore_prompt();
	rl_replace_line(saved_line, 0);
	rl_point = saved_point;
	rl_redisplay();
	free(saved_line);
}

static void
update_prompt(struct console *con)
{
	vty_prompt(&con->vty, con->prompt, sizeof(con->prompt));
	rl_set_prompt(con->prompt);
}

/* Runs LINE; returns false when the session should end. */
static bool
run_line(struct console *con, const char *line, size_t echo_width)
{
	enum cmd_result res;

	if (line[strspn(line, " \t")] == '\0')
		return true;
	vty_history_add(&con->vty, line);
	res = cmd_execute(&con->vty, line, echo_width);
	if (vty_flush(&con->vty) < 0)
		return false;
	return res != CMD_CLOSE;
}

static void
on_line(char *line)
{
	struct console *con = active;
	size_t width = strlen(con->prompt);

	if (line == NULL) {
		write_fd(STDOUT_FILENO, "\n", 1);
		con->done = true;
		rl_callback_handler_remove();
		return;
	}
	if (line[0] != '\0' && con->vty.history_size > 0)
		add_history(line);

	if (con->ctrl_z) {
		/* IOS runs the pending line, then leaves config mode. */
		con->ctrl_z = false;
		if (line[0] != '\0' && !run_line(con, line, width))
			con->done = true;
		vty_end_config(&con->vty);
	} else if (!run_line(con, line, width)) {
		con->done = true;
	}
	/* The line may have set a secret. */
	OPENSSL_cleanse(line, strlen(line));
	free(line);

	if (con->done)
		rl_callback_handler_remove();
	else
		update_prompt(con);
}

/* `?`: shows help for the text before the cursor; nothing is inserted. */
static int
key_help(int count, int key)
{
	struct console *con = active;
	char *head;

	(void)count;
	(void)key;
	head = rl_copy_text(0, rl_point);
	rl_end_of_line(1, 0);
	fputs("?", rl_outstream);
	rl_crlf();
	fflush(rl_outstream);
	cmd_describe(&con->vty, head ? head : "");
	vty_flush(&con->vty);
	free(head);
	rl_on_new_line();
	return 0;
}

/* Tab: completes the word before the cursor through cmd_complete(). */
static int
key_complete(int count, int key)
{
	struct console *con = active;
	char *head, *done;
	const char *word;
	int start;

	(void)count;
	(void)key;
	head = rl_copy_text(0, rl_point);
	if (head == NULL)
		return 0;
	done = cmd_complete(&con->vty, head);
	if (done == NULL) {
		/* IOS shows the line again on a new line when Tab cannot help. */
		rl_crlf();
		rl_on_new_line();
		free(head);
		return 0;
	}

	start = rl_point;
	while (start > 0 && rl_line_buffer[start - 1] != ' ')
		start--;
	word = done;
	if (start > 0 && strncmp(done, head, strlen(head)) == 0)
		word = done + start;
	rl_delete_text(start, rl_point);
	rl_point = start;
	rl_insert_text(word);
	if (rl_point == 0 || rl_line_buffer[rl_point - 1] != ' ')
		rl_insert_text(" ");
	free(done);
	free(head);
	return 0;
}

/* Ctrl-Z: in config mode, ends the line and returns to privileged EXEC. */
static int
key_ctrl_z(int count, int key)
{
	struct console *con = active;

	(void)count;
	(void)key;
	if (!cmd_mode_info(vty_mode(&con->vty))->config)
		return 0;
	con->ctrl_z = true;
	rl_end_of_line(1, 0);
	rl_insert_text("^Z");
	rl_redisplay();
	rl_delete_text(rl_end - 2, rl_end);
	rl_crlf();
	rl_done = 1;
	return 0;
}

static void
run_tty(struct console *con)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = con->wake[0], .events = POLLIN },
	};
	struct termios saved, tio;
	bool restore = false;

	/*
	 * Ctrl-Z must reach readline as a key that leaves config mode, so the
	 * terminal's suspend character is turned off while the console runs.
	 */
	if (tcgetattr(STDIN_FILENO, &saved) == 0) {
		tio = saved;
		tio.c_cc[VSUSP] = _POSIX_VDISABLE;
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
	}

	rl_readline_name = "vrouter";
	rl_catch_signals = 0;
	/*
	 * With bracketed paste, readline takes a pasted block as one edit of
	 * one line; a pasted config must run line by line as on IOS.
	 */
	rl_variable_bind("enable-bracketed-paste", "off");
	rl_bind_key('?', key_help);
	rl_bind_key('\t', key_complete);
	rl_bind_key(0x1a, key_ctrl_z);

	vty_prompt(&con->vty, con->prompt, sizeof(con->prompt));
	rl_callback_handler_install(con->prompt, on_line);
	while (!con->done && !(con->router && con->router->stopping)) {
		if (poll(pfd, 2, POLL_MS) <= 0)
			continue;
		if (pfd[1].revents)
			print_queued(con);
		if (pfd[0].revents)
			rl_callback_read_char();
	}
	if (!con->done)
		rl_callback_handler_remove();
	clear_history();
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

static void
run_pipe(struct console *con)
{
	char line[LINE_MAX_LEN];

	while (pipe_read_line(con, line, sizeof(line)) >= 0) {
		if (!run_line(con, line, 0))
			break;
	}
}

int
vty_console_run(struct router *r)
{
	struct console *con;
	int ret = -1;

	con = calloc(1, sizeof(*con));
	if (con == NULL)
		return -1;
	con->router = r;
	con->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	con->wake[0] = con->wake[1] = -1;
	pthread_mutex_init(&con->queue_lock, NULL);
	if (pipe2(con->wake, O_NONBLOCK | O_CLOEXEC) < 0)
		goto out;

	vty_init(&con->vty, r, con->tty ? &tty_io : &pipe_io, con, "con 0",
		 true);
	/* A script on a pipe cannot press a key at --More--. */
	if (!con->tty)
		con->vty.term_length = 0;
	vty_set_monitor(&con->vty, true);

	active = con;
	vty_session_set_console(&con->vty);

	/*
	 * `line con 0` with `login` or `login local` prompts for
	 * credentials first. Like an IOS console, it prompts again after
	 * three failures rather than closing, until input ends or the
	 * router stops.
	 */
	while (vty_session_login(&con->vty) < 0) {
		if (feof(stdin) || con->in_eof ||
		    (r != NULL && r->stopping))
			goto logged_out;
	}
	if (con->tty)
		run_tty(con);
	else
		run_pipe(con);
logged_out:
	vty_session_set_console(NULL);
	active = NULL;

	vty_release(&con->vty);
	ret = 0;
out:
	while (con->queue_len > 0)
		free(con->queue[--con->queue_len]);
	free(con->queue);
	if (con->wake[0] >= 0) {
		close(con->wake[0]);
		close(con->wake[1]);
	}
	pthread_mutex_destroy(&con->queue_lock);
	free(con);
	return ret;
}
