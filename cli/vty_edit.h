/*
 * The IOS line editor for byte-stream sessions (telnet, SSH): echo, the
 * Emacs keys IOS accepts, history, `?` help and Tab completion, and log
 * lines printed above the line being typed.
 *
 * The editor reads bytes through GETC, which must already turn CR LF,
 * CR NUL and a bare LF into one '\r'. It writes through the session's
 * vty_io with the session's write_lock held, so vty_edit_async() may run
 * in another thread at any time.
 */
#ifndef VR_CLI_VTY_EDIT_H
#define VR_CLI_VTY_EDIT_H

#include <stdbool.h>
#include <stddef.h>

struct vty;

#define VTY_EDIT_LINE_MAX 1024
#define VTY_EDIT_PROMPT_MAX 96

enum vty_edit_result {
	VTY_EDIT_LINE,		/* Enter: the line is in ed->buf */
	VTY_EDIT_ABORT,		/* Ctrl-C: line dropped */
	VTY_EDIT_END,		/* Ctrl-Z: ed->buf holds the pending line */
	VTY_EDIT_CLOSED,	/* the peer disconnected */
};

struct vty_edit {
	struct vty *vty;
	int (*getc)(void *ctx);	/* next input byte, -1 on disconnect */
	void *ctx;

	char prompt[VTY_EDIT_PROMPT_MAX];
	size_t prompt_len;
	char buf[VTY_EDIT_LINE_MAX];
	size_t len;
	size_t cursor;
	char yank[VTY_EDIT_LINE_MAX];	/* last text cut by Ctrl-K/U/W */
	int hist_pos;			/* history index being shown */
	bool on_screen;			/* prompt and line are displayed */
};

void vty_edit_init(struct vty_edit *ed, struct vty *vty,
		   int (*getc)(void *ctx), void *ctx);

/*
 * Prints the prompt and edits one line until Enter, Ctrl-C, Ctrl-Z or
 * disconnect. On VTY_EDIT_LINE the caller has already seen "\r\n" echoed.
 */
enum vty_edit_result vty_edit_line(struct vty_edit *ed);

/*
 * Folds the line ends of input byte C: CR LF, CR NUL, a lone CR and a lone
 * LF each become one '\r', because clients and scripts end lines in all
 * four ways (RFC 854 requires CR LF or CR NUL). Returns the byte to use,
 * or -1 to drop C. AFTER_CR keeps the state between calls.
 */
int vty_edit_fold_eol(bool *after_cr, unsigned char c);

/*
 * Reads a reply to a question through GETC until Enter, with Backspace
 * and echo when ECHO. Returns its length, -1 on disconnect, or
 * VTY_ASK_ABORT on Ctrl-C with the text typed before it in BUF.
 */
int vty_edit_read_reply(struct vty *vty, int (*getc)(void *ctx), void *ctx,
			char *buf, size_t len, bool echo);

/*
 * Writes LINE from another thread: on a new line when the prompt is
 * shown, then the prompt and the input again. Call with write_lock held.
 */
void vty_edit_async(struct vty_edit *ed, const char *line);

#endif
