/*
 * Session state shared by the console, telnet and SSH front ends: mode
 * stack, prompt, collected command output and --More-- paging.
 */
#include "cli/vty.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/config.h"
#include "core/log.h"
#include "core/router.h"

#define HOSTNAME_MAX 64
/* IOS shows only the first 20 characters of the hostname in config modes. */
#define HOSTNAME_CONFIG_MAX 20

#define MORE_PROMPT " --More-- "
/* IOS erases " --More-- " with 9 backspaces, 8 spaces, 9 backspaces. */
#define MORE_ERASE "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\b"

/* Cleanses and frees a command line, which may hold a secret. */
static void
free_line(char *line)
{
	OPENSSL_cleanse(line, strlen(line));
	free(line);
}

/* Cleanses the whole output buffer and empties it. */
static void
out_cleanse(struct vty *vty)
{
	if (vty->out)
		OPENSSL_cleanse(vty->out, vty->out_cap);
	vty->out_len = 0;
}

void
vty_init(struct vty *vty, struct router *router, const struct vty_io *io,
	 void *io_ctx, const char *line_name, bool is_console)
{
	memset(vty, 0, sizeof(*vty));
	vty->router = router;
	vty->io = io;
	vty->io_ctx = io_ctx;
	vty->levels[0].mode = MODE_USER_EXEC;
	vty->depth = 1;
	vty->privilege = 1;
	vty->term_length = 24;
	vty->term_width = 80;
	vty->is_console = is_console;
	snprintf(vty->line_name, sizeof(vty->line_name), "%s",
		 line_name ? line_name : (is_console ? "con 0" : "vty 0"));
	vty->line_index = -1;
	vty->history_size = VTY_HISTORY_DEFAULT;
	vty->last_input = time(NULL);
	pthread_mutex_init(&vty->write_lock, NULL);
}

void
vty_release(struct vty *vty)
{
	int i;

	vty_set_monitor(vty, false);
	for (i = 0; i < vty->history_len; i++)
		free_line(vty->history[i]);
	vty->history_len = 0;
	out_cleanse(vty);
	free(vty->out);
	vty->out = NULL;
	vty->out_len = vty->out_cap = 0;
	pthread_mutex_destroy(&vty->write_lock);
}

void
vty_history_resize(struct vty *vty, int size)
{
	int drop;

	if (size < 0)
		size = 0;
	if (size > VTY_HISTORY_MAX)
		size = VTY_HISTORY_MAX;
	vty->history_size = size;
	drop = vty->history_len - size;
	if (drop <= 0)
		return;
	for (int i = 0; i < drop; i++)
		free_line(vty->history[i]);
	memmove(vty->history, vty->history + drop,
		(size_t)size * sizeof(vty->history[0]));
	vty->history_len = size;
}

void
vty_history_add(struct vty *vty, const char *line)
{
	char *copy;

	if (line[0] == '\0' || vty->history_size == 0 || vty->history_off)
		return;
	if (vty->history_len > 0 &&
	    strcmp(vty->history[vty->history_len - 1], line) == 0)
		return;
	copy = strdup(line);
	if (copy == NULL)
		return;
	/* Makes room for one: the oldest goes. */
	vty_history_resize(vty, vty->history_size - 1);
	vty->history_size++;
	vty->history[vty->history_len++] = copy;
}


static void
out_reserve(struct vty *vty, size_t extra)
{
	size_t need = vty->out_len + extra + 1;
	size_t cap;
	char *p;

	if (need <= vty->out_cap)
		return;
	cap = vty->out_cap ? vty->out_cap : 256;
	while (cap < need)
		cap *= 2;
	/* The old block is cleansed: the output may show secrets. */
	p = OPENSSL_clear_realloc(vty->out, vty->out_cap, cap);
	if (p == NULL)
		abort();
	vty->out = p;
	vty->out_cap = cap;
}

void
vty_out(struct vty *vty, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;

	out_reserve(vty, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(vty->out + vty->out_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	vty->out_len += (size_t)n;
}

/* Writes to the transport with the write lock held by the caller. */
static int
write_locked(struct vty *vty, const char *buf, size_t len)
{
	if (len == 0 || vty->io == NULL || vty->io->write == NULL)
		return 0;
	return vty->io->write(vty, buf, len);
}

void
vty_write_raw(struct vty *vty, const char *buf, size_t len)
{
	pthread_mutex_lock(&vty->write_lock);
	write_locked(vty, buf, len);
	pthread_mutex_unlock(&vty->write_lock);
}

/*
 * Writes LEN bytes of output, turning each bare "\n" into "\r\n".
 * Called with the write lock held.
 */
static int
write_crlf(struct vty *vty, const char *buf, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n' || (i > 0 && buf[i - 1] == '\r'))
			continue;
		if (write_locked(vty, buf + start, i - start) < 0 ||
		    write_locked(vty, "\r\n", 2) < 0)
			return -1;
		start = i + 1;
	}
	return write_locked(vty, buf + start, len - start);
}

/* Screen rows that a line of LEN characters takes at the terminal width. */
static unsigned
screen_rows(const struct vty *vty, size_t len)
{
	if (vty->term_width == 0 || len <= vty->term_width)
		return 1;
	return (unsigned)((len + vty->term_width - 1) / vty->term_width);
}

/*
 * Shows " --More-- " and waits for a key. Returns the number of further
 * rows to print: the page size for space, 1 for Enter, 0 to stop (q or
 * any other key), or -1 when the peer is gone.
 */
static int
more_prompt(struct vty *vty, unsigned page)
{
	int key, ret;

	pthread_mutex_lock(&vty->write_lock);
	ret = write_locked(vty, MORE_PROMPT, strlen(MORE_PROMPT));
	pthread_mutex_unlock(&vty->write_lock);
	if (ret < 0 || vty->io->read_key == NULL)
		return -1;

	key = vty->io->read_key(vty);
	if (key < 0)
		return -1;

	pthread_mutex_lock(&vty->write_lock);
	ret = write_locked(vty, MORE_ERASE, strlen(MORE_ERASE));
	pthread_mutex_unlock(&vty->write_lock);
	if (ret < 0)
		return -1;

	switch (key) {
	case ' ':
		return (int)page;
	case '\r':
	case '\n':
		return 1;
	default:
		return 0;
	}
}

int
vty_flush(struct vty *vty)
{
	const char *p, *end, *nl;
	unsigned page, left, rows;
	int ret = 0, more;

	if (vty->out_len == 0)
		return 0;

	/* The last row of the screen is kept for --More--. */
	page = vty->term_length > 1 ? vty->term_length - 1 : 1;
	left = page;
	p = vty->out;
	end = vty->out + vty->out_len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		rows = screen_rows(vty, (size_t)(nl - p) - (nl[-1] == '\n'));

		if (vty->term_length > 0 && rows > left && left < page) {
			more = more_prompt(vty, page);
			if (more < 0) {
				ret = -1;
				break;
			}
			if (more == 0)
				break;
			left = (unsigned)more;
		}

		pthread_mutex_lock(&vty->write_lock);
		ret = write_crlf(vty, p, (size_t)(nl - p));
		pthread_mutex_unlock(&vty->write_lock);
		if (ret < 0)
			break;
		left = rows >= left ? 0 : left - rows;
		p = nl;
	}

	/* What was sent is cleansed: it may have shown a secret. */
	if (vty->out)
		OPENSSL_cleanse(vty->out, vty->out_len);
	vty->out_len = 0;
	if (vty->out)
		vty->out[0] = '\0';
	return ret < 0 ? -1 : 0;
}

void
vty_async_write(struct vty *vty, const char *line)
{
	pthread_mutex_lock(&vty->write_lock);
	if (vty->io && vty->io->write_async) {
		vty->io->write_async(vty, line);
	} else {
		write_locked(vty, line, strlen(line));
		write_locked(vty, "\r\n", 2);
	}
	pthread_mutex_unlock(&vty->write_lock);
}

static void
monitor_sink(void *ctx, enum log_severity sev, const char *line)
{
	(void)sev;
	vty_async_write(ctx, line);
}

int
vty_set_monitor(struct vty *vty, bool on)
{
	if (on == vty->monitor)
		return 0;
	if (!on) {
		log_sink_remove(monitor_sink, vty);
		vty->monitor = false;
		return 0;
	}

	/* A kind sink follows later `logging console|monitor LEVEL` changes. */
	if (log_sink_add_kind(monitor_sink, vty, vty->is_console ?
			      LOG_SINK_CONSOLE : LOG_SINK_MONITOR) < 0)
		return -1;
	vty->monitor = true;
	return 0;
}

enum cmd_mode
vty_mode(const struct vty *vty)
{
	return vty->levels[vty->depth - 1].mode;
}

const char *
vty_xpath(const struct vty *vty)
{
	return vty->levels[vty->depth - 1].xpath;
}

/*
 * Enters MODE below its parent. When the parent sits lower in the stack
 * (a command of an outer mode ran from a sub-mode), the levels above it
 * are left first, as IOS leaves the sub-mode.
 */
int
vty_enter_mode(struct vty *vty, enum cmd_mode mode, const char *xpath)
{
	enum cmd_mode parent = cmd_mode_info(mode)->parent;
	struct vty_level *lvl;
	int i;

	for (i = vty->depth - 1; i >= 0; i--) {
		if (vty->levels[i].mode == parent) {
			vty->depth = i + 1;
			break;
		}
	}
	if (vty->depth >= VTY_MODE_DEPTH)
		return -1;

	lvl = &vty->levels[vty->depth++];
	lvl->mode = mode;
	snprintf(lvl->xpath, sizeof(lvl->xpath), "%s", xpath ? xpath : "");
	return 0;
}

static void
log_config_done(struct vty *vty)
{
	char name[sizeof(vty->line_name)];
	size_t i, n = 0;

	if (vty->is_console) {
		log_msg(LOGMSG_SYS_CONFIG_I, "Configured from console by console");
		return;
	}

	/* "vty 0" is written "vty0" in this message. */
	for (i = 0; vty->line_name[i] != '\0'; i++)
		if (vty->line_name[i] != ' ')
			name[n++] = vty->line_name[i];
	name[n] = '\0';
	if (vty->user[0])
		log_msg(LOGMSG_SYS_CONFIG_I,
			"Configured from console by %s on %s (%s)", vty->user,
			name, vty->peer);
	else
		log_msg(LOGMSG_SYS_CONFIG_I,
			"Configured from console by %s (%s)", name, vty->peer);
}

void
vty_exit_mode(struct vty *vty)
{
	if (vty->depth <= 1)
		return;
	vty->depth--;
	if (vty_mode(vty) == MODE_PRIV_EXEC || vty_mode(vty) == MODE_USER_EXEC)
		log_config_done(vty);
}

void
vty_end_config(struct vty *vty)
{
	if (!cmd_mode_info(vty_mode(vty))->config)
		return;
	vty->depth = 1;
	log_config_done(vty);
}

size_t
vty_prompt(struct vty *vty, char *buf, size_t len)
{
	const struct cmd_mode_info *info = cmd_mode_info(vty_mode(vty));
	char host[HOSTNAME_MAX] = "Router";
	int n;

	if (vty->router && vty->router->cfg)
		cfg_hostname(vty->router->cfg, host, sizeof(host));
	if (info->config)
		host[HOSTNAME_CONFIG_MAX] = '\0';

	n = snprintf(buf, len, "%s%s%c", host, info->prompt,
		     vty_mode(vty) == MODE_USER_EXEC ? '>' : '#');
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : (len ? len - 1 : 0);
}

bool
vty_confirm(struct vty *vty, const char *question)
{
	static const char tag[] = "[confirm]";
	size_t qlen = strlen(question);
	int key;

	if (vty_flush(vty) < 0)
		return false;
	vty_write_raw(vty, question, qlen);
	if (qlen < sizeof(tag) - 1 ||
	    strcmp(question + qlen - (sizeof(tag) - 1), tag) != 0)
		vty_write_raw(vty, tag, sizeof(tag) - 1);

	if (vty->io->read_key == NULL)
		return false;
	key = vty->io->read_key(vty);
	if (key < 0)
		return false;
	vty_write_raw(vty, "\r\n", 2);
	return key == '\r' || key == '\n' || key == 'y' || key == 'Y';
}

int
vty_ask(struct vty *vty, const char *prompt, char *buf, size_t len)
{
	if (vty_flush(vty) < 0)
		return -1;
	vty_write_raw(vty, prompt, strlen(prompt));
	if (vty->io->read_line == NULL)
		return -1;
	return vty->io->read_line(vty, buf, len, true);
}

int
vty_ask_secret(struct vty *vty, const char *prompt, char *buf, size_t len)
{
	if (vty_flush(vty) < 0)
		return -1;
	vty_write_raw(vty, prompt, strlen(prompt));
	if (vty->io->read_line == NULL)
		return -1;
	return vty->io->read_line(vty, buf, len, false);
}

bool
vty_break_requested(struct vty *vty)
{
	return vty->io != NULL && vty->io->poll_break != NULL &&
	       vty->io->poll_break(vty);
}

bool
vty_take_break(const unsigned char *in, size_t *pos, size_t len)
{
	const unsigned char *esc;

	if (*pos >= len)
		return false;
	esc = memchr(in + *pos, VTY_ESCAPE_CHAR, len - *pos);
	if (esc == NULL)
		return false;
	*pos = (size_t)(esc - in) + 1;
	return true;
}
