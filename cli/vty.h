/*
 * A CLI session (console, telnet or SSH): its mode stack, terminal
 * settings and output. Command handlers write with vty_out(); the engine
 * collects that output, applies the `|` filter and pages it.
 *
 * A session belongs to the one thread that runs it. Other threads only
 * reach it through vty_async_write() (log lines for `terminal monitor`).
 */
#ifndef VR_CLI_VTY_H
#define VR_CLI_VTY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "command.h"

struct router;

#define VTY_MODE_DEPTH 6
#define VTY_XPATH_MAX 512
/* Commands kept for the arrow keys and `show history` (IOS default 10). */
#define VTY_HISTORY_MAX 10

/* One level of the mode stack: the mode and the config node it edits. */
struct vty_level {
	enum cmd_mode mode;
	char xpath[VTY_XPATH_MAX];	/* "" for modes that edit no list entry */
};

/* Transport hooks, provided by the console, telnet or SSH front end. */
struct vty_io {
	/* Writes LEN bytes as they are; returns -1 when the peer is gone. */
	int (*write)(struct vty *vty, const char *buf, size_t len);
	/*
	 * Reads one line for a prompt that the handler printed (e.g.
	 * "Destination filename [startup-config]? "), with echo when ECHO.
	 * Returns the length, or -1 on disconnect or timeout.
	 */
	int (*read_line)(struct vty *vty, char *buf, size_t len, bool echo);
	/* Reads one key for --More-- and [confirm]; -1 on disconnect. */
	int (*read_key)(struct vty *vty);
	/*
	 * Optional. Writes LINE (no line end) from another thread without
	 * corrupting the line being edited: the line editor moves to a new
	 * line, writes LINE and redraws prompt and input. Called with
	 * write_lock held. When NULL, LINE and "\r\n" are written as they are.
	 */
	void (*write_async)(struct vty *vty, const char *line);
};

struct vty {
	struct router *router;
	const struct vty_io *io;
	void *io_ctx;			/* owned by the front end */

	struct vty_level levels[VTY_MODE_DEPTH];
	int depth;			/* levels[depth - 1] is the current mode */
	unsigned privilege;		/* 1 in user EXEC, 15 after enable */

	unsigned term_length;		/* lines per page; 0 disables paging */
	unsigned term_width;		/* columns; 0 means no wrapping */
	bool monitor;			/* `terminal monitor` */
	bool is_console;
	char line_name[32];		/* "con 0", "vty 0" */
	char peer[64];			/* remote address, "" on the console */

	/* Output being collected for the current command. */
	char *out;
	size_t out_len;
	size_t out_cap;

	pthread_mutex_t write_lock;	/* serialises io->write with log output */

	/* Commands entered in this session, oldest first (malloc'd). */
	char *history[VTY_HISTORY_MAX];
	int history_len;
};

/* Initialises a session in user EXEC with IOS terminal defaults. */
void vty_init(struct vty *vty, struct router *router, const struct vty_io *io,
	      void *io_ctx, const char *line_name, bool is_console);
void vty_release(struct vty *vty);

/* Appends LINE to the history unless it is empty or repeats the last one. */
void vty_history_add(struct vty *vty, const char *line);

/* Appends formatted text to the command output. */
void vty_out(struct vty *vty, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vty_write_raw(struct vty *vty, const char *buf, size_t len);

/*
 * Writes out the collected output: "\n" becomes "\r\n" and --More--
 * pages at term_length. The engine applies any `|` filter to the output
 * before it calls this. Returns -1 when the peer disconnected.
 */
int vty_flush(struct vty *vty);

/* Writes a line from another thread (log output), with its own line end. */
void vty_async_write(struct vty *vty, const char *line);

/*
 * Starts or stops log output to the session (`terminal monitor`; the
 * console always monitors). vty_release() stops it. Returns -1 when the
 * logger cannot add the session.
 */
int vty_set_monitor(struct vty *vty, bool on);

/* Current mode and the config node that it edits. */
enum cmd_mode vty_mode(const struct vty *vty);
const char *vty_xpath(const struct vty *vty);

/* Pushes a sub-mode. Returns -1 when the stack is full. */
int vty_enter_mode(struct vty *vty, enum cmd_mode mode, const char *xpath);

/* Pops to the parent mode; in (config) this returns to privileged EXEC. */
void vty_exit_mode(struct vty *vty);

/* Leaves every config mode (end, Ctrl-Z) and logs %SYS-5-CONFIG_I. */
void vty_end_config(struct vty *vty);

/* Writes the prompt, e.g. "Router(config-if)#"; returns its length. */
size_t vty_prompt(struct vty *vty, char *buf, size_t len);

/*
 * Asks a yes/no question ending in "[confirm]" and returns true for Enter
 * or 'y'. Used by `clear logging` and similar.
 */
bool vty_confirm(struct vty *vty, const char *question);

/* Prints PROMPT and reads a reply line; returns its length or -1. */
int vty_ask(struct vty *vty, const char *prompt, char *buf, size_t len);

#endif
