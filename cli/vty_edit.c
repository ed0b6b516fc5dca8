/*
 * Line editor for byte-stream sessions, in the manner of FRR's lib/vty.c
 * with IOS key bindings. The screen is updated with plain BS, spaces and
 * text only, so any terminal (and any expect script) receives exact bytes.
 */
#include "cli/vty_edit.h"

#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vty.h"

#define CTRL(c) ((c) & 0x1f)
#define KEY_DEL 0x7f
#define KEY_ESC 0x1b

/* Writes to the session; the caller holds write_lock. */
static void
put(struct vty_edit *ed, const char *buf, size_t len)
{
	if (len > 0)
		ed->vty->io->write(ed->vty, buf, len);
}

static void
put_repeat(struct vty_edit *ed, char c, size_t n)
{
	char chunk[64];
	size_t k;

	memset(chunk, c, sizeof(chunk));
	while (n > 0) {
		k = n < sizeof(chunk) ? n : sizeof(chunk);
		put(ed, chunk, k);
		n -= k;
	}
}

/* Draws prompt and line and puts the cursor back where it was. */
static void
draw(struct vty_edit *ed)
{
	put(ed, ed->prompt, ed->prompt_len);
	put(ed, ed->buf, ed->len);
	put_repeat(ed, '\b', ed->len - ed->cursor);
	ed->on_screen = true;
}

static void
move_to(struct vty_edit *ed, size_t pos)
{
	if (pos < ed->cursor)
		put_repeat(ed, '\b', ed->cursor - pos);
	else
		put(ed, ed->buf + ed->cursor, pos - ed->cursor);
	ed->cursor = pos;
}

static void
insert_text(struct vty_edit *ed, const char *text, size_t n)
{
	size_t tail;

	if (n > sizeof(ed->buf) - 1 - ed->len)
		n = sizeof(ed->buf) - 1 - ed->len;
	if (n == 0)
		return;

	tail = ed->len - ed->cursor;
	memmove(ed->buf + ed->cursor + n, ed->buf + ed->cursor, tail);
	memcpy(ed->buf + ed->cursor, text, n);
	ed->len += n;
	ed->buf[ed->len] = '\0';

	put(ed, ed->buf + ed->cursor, n + tail);
	put_repeat(ed, '\b', tail);
	ed->cursor += n;
}

/* Removes [FROM, TO) from the line; when YANK, keeps it for Ctrl-Y. */
static void
delete_range(struct vty_edit *ed, size_t from, size_t to, bool yank)
{
	size_t n = to - from, tail;

	if (n == 0)
		return;
	if (yank) {
		memcpy(ed->yank, ed->buf + from, n);
		ed->yank[n] = '\0';
	}

	move_to(ed, from);
	tail = ed->len - to;
	memmove(ed->buf + from, ed->buf + to, tail);
	ed->len -= n;
	ed->buf[ed->len] = '\0';

	put(ed, ed->buf + from, tail);
	put_repeat(ed, ' ', n);
	put_repeat(ed, '\b', tail + n);
}

static void
replace_line(struct vty_edit *ed, const char *text)
{
	size_t old = ed->len, n = strlen(text);

	if (n > sizeof(ed->buf) - 1)
		n = sizeof(ed->buf) - 1;
	move_to(ed, 0);
	memcpy(ed->buf, text, n);
	ed->buf[n] = '\0';
	ed->len = ed->cursor = n;
	put(ed, ed->buf, n);
	if (old > n) {
		put_repeat(ed, ' ', old - n);
		put_repeat(ed, '\b', old - n);
	}
}

static void
history_move(struct vty_edit *ed, int step)
{
	struct vty *vty = ed->vty;
	int pos = ed->hist_pos + step;

	if (pos < 0 || pos > vty->history_len)
		return;
	ed->hist_pos = pos;
	replace_line(ed, pos == vty->history_len ? "" : vty->history[pos]);
}

static size_t
word_start(const struct vty_edit *ed)
{
	size_t i = ed->cursor;

	while (i > 0 && ed->buf[i - 1] == ' ')
		i--;
	while (i > 0 && ed->buf[i - 1] != ' ')
		i--;
	return i;
}

/*
 * Runs a callback that prints help below the line (cmd_describe), then
 * draws prompt and line again. Called without write_lock.
 */
static void
help(struct vty_edit *ed)
{
	char head[VTY_EDIT_LINE_MAX];

	memcpy(head, ed->buf, ed->cursor);
	head[ed->cursor] = '\0';

	pthread_mutex_lock(&ed->vty->write_lock);
	put(ed, "?\r\n", 3);
	ed->on_screen = false;
	pthread_mutex_unlock(&ed->vty->write_lock);

	cmd_describe(ed->vty, head);
	vty_flush(ed->vty);

	pthread_mutex_lock(&ed->vty->write_lock);
	draw(ed);
	pthread_mutex_unlock(&ed->vty->write_lock);
}

/*
 * Completes the word before the cursor. cmd_complete() may return the
 * completed word or the whole completed line; both are accepted.
 */
static void
complete(struct vty_edit *ed)
{
	char head[VTY_EDIT_LINE_MAX];
	size_t start = ed->cursor;
	const char *word;
	char *done;

	while (start > 0 && ed->buf[start - 1] != ' ')
		start--;
	memcpy(head, ed->buf, ed->cursor);
	head[ed->cursor] = '\0';
	done = cmd_complete(ed->vty, head);

	pthread_mutex_lock(&ed->vty->write_lock);
	if (done == NULL) {
		/* IOS shows the line again on a new line when Tab cannot help. */
		put(ed, "\r\n", 2);
		draw(ed);
		goto done;
	}

	word = done;
	if (start > 0 && strncmp(done, head, ed->cursor) == 0)
		word = done + start;
	/* Echo only the missing tail when the word was typed as a prefix. */
	if (strncmp(word, head + start, ed->cursor - start) == 0)
		word += ed->cursor - start;
	else
		delete_range(ed, start, ed->cursor, false);
	insert_text(ed, word, strlen(word));
	if (ed->cursor == 0 || ed->buf[ed->cursor - 1] != ' ')
		insert_text(ed, " ", 1);
done:
	pthread_mutex_unlock(&ed->vty->write_lock);
	free(done);
}

/* Consumes the rest of an escape sequence and returns the key it encodes. */
static int
read_escape(struct vty_edit *ed)
{
	int c = ed->getc(ed->ctx);

	if (c != '[' && c != 'O')
		return c < 0 ? -1 : 0;
	c = ed->getc(ed->ctx);
	switch (c) {
	case 'A':
		return CTRL('P');
	case 'B':
		return CTRL('N');
	case 'C':
		return CTRL('F');
	case 'D':
		return CTRL('B');
	case 'H':
		return CTRL('A');
	case 'F':
		return CTRL('E');
	}
	/* ESC [ 3 ~ is Delete; other numbered keys are ignored. */
	if (c == '3') {
		c = ed->getc(ed->ctx);
		return c == '~' ? CTRL('D') : (c < 0 ? -1 : 0);
	}
	while (c >= '0' && c <= '9')
		c = ed->getc(ed->ctx);
	return c < 0 ? -1 : 0;
}

/* Applies one editing key; called with write_lock held. */
static void
edit_key(struct vty_edit *ed, int c)
{
	char ch = (char)c;

	switch (c) {
	case CTRL('A'):
		move_to(ed, 0);
		break;
	case CTRL('E'):
		move_to(ed, ed->len);
		break;
	case CTRL('B'):
		if (ed->cursor > 0)
			move_to(ed, ed->cursor - 1);
		break;
	case CTRL('F'):
		if (ed->cursor < ed->len)
			move_to(ed, ed->cursor + 1);
		break;
	case CTRL('D'):
		if (ed->cursor < ed->len)
			delete_range(ed, ed->cursor, ed->cursor + 1, false);
		break;
	case CTRL('H'):
	case KEY_DEL:
		if (ed->cursor > 0)
			delete_range(ed, ed->cursor - 1, ed->cursor, false);
		break;
	case CTRL('K'):
		delete_range(ed, ed->cursor, ed->len, true);
		break;
	case CTRL('U'):
	case CTRL('X'):
		delete_range(ed, 0, ed->cursor, true);
		break;
	case CTRL('W'):
		delete_range(ed, word_start(ed), ed->cursor, true);
		break;
	case CTRL('Y'):
		insert_text(ed, ed->yank, strlen(ed->yank));
		break;
	case CTRL('P'):
		history_move(ed, -1);
		break;
	case CTRL('N'):
		history_move(ed, 1);
		break;
	case CTRL('L'):
	case CTRL('R'):
		put(ed, "\r\n", 2);
		draw(ed);
		break;
	default:
		if ((unsigned char)c >= 0x20)
			insert_text(ed, &ch, 1);
		break;
	}
}

void
vty_edit_init(struct vty_edit *ed, struct vty *vty, int (*getc)(void *ctx),
	      void *ctx)
{
	memset(ed, 0, sizeof(*ed));
	ed->vty = vty;
	ed->getc = getc;
	ed->ctx = ctx;
}

/* Ends the line on screen with ECHO and "\r\n". */
static void
finish(struct vty_edit *ed, const char *echo)
{
	pthread_mutex_lock(&ed->vty->write_lock);
	move_to(ed, ed->len);
	put(ed, echo, strlen(echo));
	put(ed, "\r\n", 2);
	ed->on_screen = false;
	pthread_mutex_unlock(&ed->vty->write_lock);
}

enum vty_edit_result
vty_edit_line(struct vty_edit *ed)
{
	int c;

	ed->len = ed->cursor = 0;
	ed->buf[0] = '\0';
	ed->hist_pos = ed->vty->history_len;
	ed->prompt_len = vty_prompt(ed->vty, ed->prompt, sizeof(ed->prompt));

	pthread_mutex_lock(&ed->vty->write_lock);
	draw(ed);
	pthread_mutex_unlock(&ed->vty->write_lock);

	for (;;) {
		c = ed->getc(ed->ctx);
		if (c == KEY_ESC)
			c = read_escape(ed);
		if (c < 0) {
			pthread_mutex_lock(&ed->vty->write_lock);
			ed->on_screen = false;
			pthread_mutex_unlock(&ed->vty->write_lock);
			return VTY_EDIT_CLOSED;
		}

		switch (c) {
		case '\r':
			finish(ed, "");
			return VTY_EDIT_LINE;
		case CTRL('C'):
			finish(ed, "^C");
			return VTY_EDIT_ABORT;
		case CTRL('Z'):
			if (!cmd_mode_info(vty_mode(ed->vty))->config)
				continue;
			finish(ed, "^Z");
			return VTY_EDIT_END;
		case '?':
			help(ed);
			continue;
		case '\t':
			complete(ed);
			continue;
		}

		pthread_mutex_lock(&ed->vty->write_lock);
		edit_key(ed, c);
		pthread_mutex_unlock(&ed->vty->write_lock);
	}
}

void
vty_edit_async(struct vty_edit *ed, const char *line)
{
	if (!ed->on_screen) {
		put(ed, line, strlen(line));
		put(ed, "\r\n", 2);
		return;
	}
	put(ed, "\r\n", 2);
	put(ed, line, strlen(line));
	put(ed, "\r\n", 2);
	draw(ed);
}

int
vty_edit_fold_eol(bool *after_cr, unsigned char c)
{
	if (*after_cr) {
		*after_cr = false;
		if (c == '\n' || c == '\0')
			return -1;
	}
	if (c == '\r')
		*after_cr = true;
	return c == '\n' ? '\r' : c;
}

int
vty_edit_read_reply(struct vty *vty, int (*getc)(void *ctx), void *ctx,
		    char *buf, size_t len, bool echo)
{
	size_t n = 0;
	int c;

	for (;;) {
		c = getc(ctx);
		if (c < 0)
			return -1;
		if (c == 0x03) {
			buf[n] = '\0';
			return VTY_ASK_ABORT;
		}
		if (c == '\r') {
			vty_write_raw(vty, "\r\n", 2);
			buf[n] = '\0';
			return (int)n;
		}
		if (c == 0x08 || c == 0x7f) {
			if (n > 0 && echo)
				vty_write_raw(vty, "\b \b", 3);
			n -= n > 0;
			continue;
		}
		if (c < 0x20 || n + 1 >= len)
			continue;
		buf[n++] = (char)c;
		if (echo)
			vty_write_raw(vty, buf + n - 1, 1);
	}
}
