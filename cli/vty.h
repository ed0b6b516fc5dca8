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
#include <time.h>

#include "command.h"

struct router;

#define VTY_MODE_DEPTH 6
#define VTY_XPATH_MAX 512
/*
 * Number of commands kept for the arrow keys and `show history`. It is
 * 10 unless `terminal history size` (0 to 256, as in IOS) sets another.
 */
#define VTY_HISTORY_DEFAULT 10
#define VTY_HISTORY_MAX 256

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
	 * Optional. Returns true, without blocking, when the user typed the
	 * IOS escape sequence (Ctrl-Shift-6, byte 0x1E) since the command
	 * started; input up to and including it is discarded.
	 */
	bool (*poll_break)(struct vty *vty);
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

	/*
	 * Flag set while a command that ends in a LINE argument runs, and
	 * the column of that argument in the line, for the caret of a
	 * rejected value.
	 */
	bool line_value;
	size_t line_value_column;

	/* Output being collected for the current command. */
	char *out;
	size_t out_len;
	size_t out_cap;

	pthread_mutex_t write_lock;	/* serialises io->write with log output */

	/* Commands entered in this session, oldest first (malloc'd). */
	char *history[VTY_HISTORY_MAX];
	int history_len;
	int history_size;		/* `terminal history size` */
	bool history_off;		/* `terminal no history` */

	/* Remote sessions (telnet, SSH); see vty_session_open(). */
	char user[33];			/* "" before login or without one */
	const char *transport;		/* "telnet", "ssh" or NULL */
	unsigned local_port;		/* port the peer connected to */
	int line_index;			/* vty line number, -1 when none */
	time_t login_time;
	time_t last_input;		/* updated by the front end */
	unsigned exec_timeout;		/* idle seconds before closing; 0 never */
	bool exec_timeout_set;		/* a `line` block set exec_timeout */
	volatile bool cleared;		/* `clear line`: the front end closes */
};

/* Initialises a session in user EXEC with IOS terminal defaults. */
void vty_init(struct vty *vty, struct router *router, const struct vty_io *io,
	      void *io_ctx, const char *line_name, bool is_console);
void vty_release(struct vty *vty);

/* Appends LINE to the history unless it is empty or repeats the last one. */
void vty_history_add(struct vty *vty, const char *line);

/*
 * Keeps at most SIZE (0 to VTY_HISTORY_MAX) commands in the history from
 * now on. Older ones are cleansed and freed, because a line may contain
 * a secret.
 */
void vty_history_resize(struct vty *vty, int size);

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

/* The IOS escape character, typed as Ctrl-Shift-6 (Ctrl-^). */
#define VTY_ESCAPE_CHAR 0x1e

/*
 * True when the user asked to interrupt the running command (ping,
 * traceroute) with Ctrl-Shift-6; false on transports that cannot tell.
 */
bool vty_break_requested(struct vty *vty);

/*
 * Looks for VTY_ESCAPE_CHAR in IN[*POS..LEN). When found, moves *POS past
 * it and returns true. For the transports' poll_break hooks.
 */
bool vty_take_break(const unsigned char *in, size_t *pos, size_t len);

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

/*
 * Prints PROMPT and reads a reply line. Returns its length, -1 when the
 * input ends, or VTY_ASK_ABORT when the user pressed Ctrl-C (BUF then
 * contains the text typed before it). Callers that only need a reply
 * treat any negative value as no reply.
 */
#define VTY_ASK_ABORT (-2)
int vty_ask(struct vty *vty, const char *prompt, char *buf, size_t len);

/*
 * Prints PROMPT and reads a reply without echo (passwords); returns its
 * length or -1.
 */
int vty_ask_secret(struct vty *vty, const char *prompt, char *buf,
		   size_t len);

/* ---- Remote sessions: vty lines, login and logout (vty_session.c). */

/*
 * Most vty lines (`line vty 0 99`), and the lines a router without any
 * `line vty` block offers.
 */
#define VTY_LINES_MAX 100
#define VTY_LINES_DEFAULT 16

/*
 * Takes the lowest free vty line for a new telnet or SSH session and
 * records TRANSPORT and LOCAL_PORT. Returns the line number, or -1 with
 * a one-line reason in REASON when every configured line is in use or
 * the line does not accept TRANSPORT (`transport input`).
 */
int vty_session_open(struct vty *vty, const char *transport,
		     unsigned local_port, char *reason, size_t len);

/*
 * Shows the motd banner, requests credentials as the line's `login`
 * setting requires (login banner, "User Access Verification", Username:,
 * Password:, three tries) and sets the session's user and privilege.
 * Returns 0, after the exec banner, when the session may start, or -1
 * to close it.
 */
int vty_session_login(struct vty *vty);

/*
 * Returns a malloc'd copy of banner KIND ("exec", "login" or "motd"), or
 * NULL when none is configured.
 */
char *vty_banner_text(const struct vty *vty, const char *kind);

/*
 * Writes banner KIND, when one is configured, with "\r\n" line ends and
 * a line end after the last line.
 */
void vty_session_banner(struct vty *vty, const char *kind);

/*
 * Marks the session as logged in as USER with privilege PRIV (SSH, whose
 * password was checked by the protocol) and logs LOGIN_SUCCESS.
 */
void vty_session_logged_in(struct vty *vty, const char *user, unsigned priv);

/* Logs %SYS-6-LOGOUT for a logged-in session and frees its line. */
void vty_session_close(struct vty *vty);

/*
 * Runs the command loop of a byte-stream session until the peer leaves,
 * `exit` runs or the line is cleared.
 */
struct vty_edit;
void vty_session_loop(struct vty *vty, struct vty_edit *ed);

/* True when the session has been idle for its exec-timeout. */
bool vty_session_idle_expired(const struct vty *vty);

/*
 * Calls FN for the console (when it runs) and each session on a vty line,
 * under the registry lock: FN must not open or close sessions.
 */
void vty_session_foreach(void (*fn)(void *ctx, const struct vty *vty),
			 void *ctx);

/* Registers the console session for `show users`; NULL removes it. */
void vty_session_set_console(struct vty *vty);

/*
 * `clear line N`: closes the session on IOS line N (vty K is line K + 1).
 * Returns 0, or -1 when no session uses that line.
 */
int vty_session_clear(unsigned line);

/* Logs %SEC_LOGIN-4-LOGIN_FAILED for USER with REASON. */
void vty_session_login_failed(struct vty *vty, const char *user,
			      const char *reason);

/* Numeric address (IPv4-mapped IPv6 as IPv4) and port of SS. */
struct sockaddr_storage;
void vty_sockaddr_name(const struct sockaddr_storage *ss, char *buf,
		       size_t len);
unsigned vty_sockaddr_port(const struct sockaddr_storage *ss);

/*
 * Opens a TCP socket that listens on ADDR (numeric IPv4 or IPv6) and PORT
 * (0 for any free port) for the server PROTO ("telnet", "SSH"), which
 * error messages name. Returns the descriptor, or -1 with ERR set.
 */
int vty_listen(const char *proto, const char *addr, unsigned port,
	       int backlog, char *err, size_t errlen);

/* IOS line number of a session: 0 for the console, vty N is N + 1. */
unsigned vty_line_number(const struct vty *vty);

#endif
