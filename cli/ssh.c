/*
 * SSH front end: the listener, one thread per connection, the libssh
 * server dialogue (key exchange, password authentication, channel and
 * its requests) and the vty_io hooks that connect the channel to a
 * session's line editor.
 */
#include "cli/ssh.h"

/*
 * NOTE: libssh 0.10 marks parts of its message API deprecated in favour
 * of server callbacks, but still supports it. The messages keep the
 * dialogue here one sequential function per step.
 */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/aaa.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "cli/vty_edit.h"
#include "core/router.h"

/* How often blocked reads look at the stop flags, in milliseconds. */
#define POLL_MS 200
/* Password tries before the connection closes, as IOS's default. */
#define AUTH_TRIES 3
/* Seconds a client may take to authenticate and open its channel. */
#define SETUP_TIMEOUT 30
/* Threads at once: every vty line plus a few that are being rejected. */
#define MAX_CONNS (VTY_LINES_MAX + 4)
#define TERM_DIM_MAX 512
#define RSA_BITS 2048

struct conn {
	struct router *router;
	ssh_session ssh;
	ssh_channel chan;
	struct vty vty;
	struct vty_edit ed;
	char peer[64];
	unsigned local_port;

	unsigned char in[4096];
	size_t in_len, in_pos;
	bool after_cr;
	bool dead;

	pthread_t thread;
	bool used, done;
};

static struct {
	pthread_mutex_t lock;
	bool running;
	volatile bool stopping;
	ssh_bind bind;
	unsigned port;
	char key_dir[1024];
	struct router *router;
	pthread_t listener;
	struct conn conns[MAX_CONNS];
} srv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static bool
stop_requested(const struct conn *c)
{
	return srv.stopping || (c->router && c->router->stopping);
}

/*
 * Reads channel data into the input buffer. Returns -1 when the peer
 * closed, the line was cleared, the session idled out or the server stops.
 */
static int
fill_input(struct conn *c)
{
	struct pollfd pfd = { .fd = ssh_get_fd(c->ssh), .events = POLLIN };
	int n;

	/* What was read is cleansed, because a line may have set a secret. */
	OPENSSL_cleanse(c->in, c->in_len);
	c->in_len = c->in_pos = 0;
	for (;;) {
		if (c->dead || c->vty.cleared || stop_requested(c))
			return -1;
		pthread_mutex_lock(&c->vty.write_lock);
		n = ssh_channel_read_nonblocking(c->chan, c->in,
						 sizeof(c->in), 0);
		if (n == 0 && (ssh_channel_is_eof(c->chan) ||
			       !ssh_channel_is_open(c->chan)))
			n = SSH_ERROR;
		pthread_mutex_unlock(&c->vty.write_lock);
		if (n < 0)
			return -1;
		if (n > 0) {
			c->in_len = (size_t)n;
			__atomic_store_n(&c->vty.last_input, time(NULL),
					 __ATOMIC_RELAXED);
			return 0;
		}
		if (vty_session_idle_expired(&c->vty))
			return -1;
		if (poll(&pfd, 1, POLL_MS) < 0 && errno != EINTR)
			return -1;
	}
}

/* Returns the next input byte, line ends folded (vty_edit_fold_eol()). */
static int
conn_getc(void *ctx)
{
	struct conn *c = ctx;
	int ch;

	do {
		if (c->in_pos == c->in_len && fill_input(c) < 0)
			return -1;
		ch = vty_edit_fold_eol(&c->after_cr, c->in[c->in_pos++]);
	} while (ch < 0);
	return ch;
}

static int
io_write(struct vty *vty, const char *buf, size_t len)
{
	struct conn *c = vty->io_ctx;

	if (c->dead)
		return -1;
	if (ssh_channel_write(c->chan, buf, (uint32_t)len) == SSH_ERROR)
		c->dead = true;
	return c->dead ? -1 : 0;
}

static int
io_read_key(struct vty *vty)
{
	return conn_getc(vty->io_ctx);
}

static int
io_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	return vty_edit_read_reply(vty, conn_getc, vty->io_ctx, buf, len, echo);
}

static bool
io_poll_break(struct vty *vty)
{
	struct conn *c = vty->io_ctx;
	int n;

	if (c->in_pos == c->in_len) {
		pthread_mutex_lock(&c->vty.write_lock);
		n = ssh_channel_read_nonblocking(c->chan, c->in,
						 sizeof(c->in), 0);
		pthread_mutex_unlock(&c->vty.write_lock);
		if (n <= 0)
			return false;
		c->in_pos = 0;
		c->in_len = (size_t)n;
	}
	return vty_take_break(c->in, &c->in_pos, c->in_len);
}

static void
io_write_async(struct vty *vty, const char *line)
{
	struct conn *c = vty->io_ctx;

	vty_edit_async(&c->ed, line);
}

static const struct vty_io ssh_io = {
	.write = io_write,
	.read_line = io_read_line,
	.read_key = io_read_key,
	.poll_break = io_poll_break,
	.write_async = io_write_async,
};

static void
set_size(struct conn *c, int width, int height)
{
	if (width > 0)
		c->vty.term_width = width < TERM_DIM_MAX ? (unsigned)width :
							   TERM_DIM_MAX;
	if (height > 0)
		c->vty.term_length = height < TERM_DIM_MAX ? (unsigned)height :
							     TERM_DIM_MAX;
}

/*
 * Message callback for the session once the shell runs: a window change
 * after the shell started reaches the server as a message, not through
 * the channel callback. Returns 1 for other messages, to which libssh then
 * sends its default reply. Runs inside libssh's packet handling,
 * with write_lock held.
 */
static int
on_message(ssh_session session, ssh_message msg, void *userdata)
{
	(void)session;
	if (ssh_message_type(msg) != SSH_REQUEST_CHANNEL ||
	    ssh_message_subtype(msg) != SSH_CHANNEL_REQUEST_WINDOW_CHANGE)
		return 1;
	set_size(userdata, ssh_message_channel_request_pty_width(msg),
		 ssh_message_channel_request_pty_height(msg));
	return 0;
}

/* Runs from inside libssh's packet handling, with write_lock held. */
static int
on_window_change(ssh_session session, ssh_channel channel, int width,
		 int height, int pxwidth, int pwheight, void *userdata)
{
	(void)session;
	(void)channel;
	(void)pxwidth;
	(void)pwheight;
	set_size(userdata, width, height);
	return 0;
}

/*
 * Replies to authentication requests until a password matches a local
 * user.
 * Returns 0 with the user logged in, -1 after AUTH_TRIES failures.
 */
static int
authenticate(struct conn *c)
{
	struct cfg *cfg = c->router ? c->router->cfg : NULL;
	ssh_message msg;
	unsigned priv = 1;
	int tries = 0, ret = -1;
	const char *user;

	ssh_set_auth_methods(c->ssh, SSH_AUTH_METHOD_PASSWORD);
	while (ret < 0 && tries < AUTH_TRIES &&
	       (msg = ssh_message_get(c->ssh)) != NULL) {
		if (ssh_message_type(msg) == SSH_REQUEST_AUTH &&
		    ssh_message_subtype(msg) == SSH_AUTH_METHOD_PASSWORD) {
			user = ssh_message_auth_user(msg);
			if (aaa_check_user(cfg, user,
					   ssh_message_auth_password(msg),
					   &priv)) {
				ssh_message_auth_reply_success(msg, 0);
				vty_session_logged_in(&c->vty, user, priv);
				ret = 0;
			} else {
				vty_session_login_failed(&c->vty, user,
					"Login Authentication Failed");
				tries++;
			}
		}
		if (ret < 0) {
			ssh_message_auth_set_methods(msg,
						     SSH_AUTH_METHOD_PASSWORD);
			ssh_message_reply_default(msg);
		}
		ssh_message_free(msg);
	}
	return ret;
}

/*
 * Accepts the session channel and its requests. Returns 1 for a shell,
 * 2 for an exec request (its command copied to CMD), -1 on failure.
 */
static int
open_channel(struct conn *c, char *cmd, size_t len)
{
	ssh_message msg;
	int kind = 0;

	while (kind == 0 && (msg = ssh_message_get(c->ssh)) != NULL) {
		if (c->chan == NULL &&
		    ssh_message_type(msg) == SSH_REQUEST_CHANNEL_OPEN &&
		    ssh_message_subtype(msg) == SSH_CHANNEL_SESSION) {
			c->chan = ssh_message_channel_request_open_reply_accept(
				msg);
		} else if (c->chan &&
			   ssh_message_type(msg) == SSH_REQUEST_CHANNEL) {
			switch (ssh_message_subtype(msg)) {
			case SSH_CHANNEL_REQUEST_PTY:
				set_size(c, ssh_message_channel_request_pty_width(msg),
					 ssh_message_channel_request_pty_height(msg));
				ssh_message_channel_request_reply_success(msg);
				break;
			case SSH_CHANNEL_REQUEST_WINDOW_CHANGE:
			case SSH_CHANNEL_REQUEST_ENV:
				ssh_message_channel_request_reply_success(msg);
				break;
			case SSH_CHANNEL_REQUEST_SHELL:
				ssh_message_channel_request_reply_success(msg);
				kind = 1;
				break;
			case SSH_CHANNEL_REQUEST_EXEC:
				snprintf(cmd, len, "%s",
					 ssh_message_channel_request_command(msg));
				ssh_message_channel_request_reply_success(msg);
				kind = 2;
				break;
			default:
				ssh_message_reply_default(msg);
				break;
			}
		} else {
			ssh_message_reply_default(msg);
		}
		ssh_message_free(msg);
	}
	return kind == 0 ? -1 : kind;
}

/* Runs one command of an exec channel, without paging. */
static void
run_exec(struct conn *c, const char *cmd)
{
	c->vty.term_length = 0;
	cmd_execute(&c->vty, cmd, 0);
	vty_flush(&c->vty);
	pthread_mutex_lock(&c->vty.write_lock);
	ssh_channel_request_send_exit_status(c->chan, 0);
	pthread_mutex_unlock(&c->vty.write_lock);
}

/*
 * Sends the login banner as the SSH authentication banner, which
 * clients print before they ask for the password.
 */
static void
send_login_banner(struct conn *c)
{
	char *text = vty_banner_text(&c->vty, "login");
	ssh_string banner;

	if (text == NULL)
		return;
	banner = ssh_string_from_char(text);
	/* A failed send breaks the connection, which authentication sees. */
	if (banner != NULL)
		ssh_send_issue_banner(c->ssh, banner);
	ssh_string_free(banner);
	free(text);
}

static void
serve(struct conn *c)
{
	struct ssh_channel_callbacks_struct cb = {
		.userdata = c,
		.channel_pty_window_change_function = on_window_change,
	};
	char reason[128], cmd[VTY_EDIT_LINE_MAX];
	long timeout = SETUP_TIMEOUT;
	int kind, nodelay = 1;

	vty_init(&c->vty, c->router, &ssh_io, c, "vty 0", false);
	snprintf(c->vty.peer, sizeof(c->vty.peer), "%s", c->peer);
	c->vty.local_port = c->local_port;
	vty_edit_init(&c->ed, &c->vty, conn_getc, c);
	ssh_options_set(c->ssh, SSH_OPTIONS_TIMEOUT, &timeout);
	/* As for telnet: echo and prompt must not wait for delayed ACKs. */
	ssh_options_set(c->ssh, SSH_OPTIONS_NODELAY, &nodelay);

	if (ssh_handle_key_exchange(c->ssh) != SSH_OK)
		goto out;
	if (vty_session_open(&c->vty, "ssh", c->local_port, reason,
			     sizeof(reason)) < 0) {
		vty_session_login_failed(&c->vty, "", reason + 2);
		goto out;
	}
	send_login_banner(c);
	if (authenticate(c) < 0)
		goto close;
	kind = open_channel(c, cmd, sizeof(cmd));
	if (kind < 0)
		goto close;

	ssh_callbacks_init(&cb);
	ssh_set_channel_callbacks(c->chan, &cb);
	ssh_set_message_callback(c->ssh, on_message, c);
	if (kind == 2) {
		run_exec(c, cmd);
	} else {
		/* The password was checked: the motd and exec banners follow. */
		vty_session_banner(&c->vty, "motd");
		vty_session_banner(&c->vty, "exec");
		vty_session_loop(&c->vty, &c->ed);
	}
close:
	vty_session_close(&c->vty);
out:
	pthread_mutex_lock(&c->vty.write_lock);
	if (c->chan) {
		ssh_channel_send_eof(c->chan);
		ssh_channel_close(c->chan);
		ssh_channel_free(c->chan);
		c->chan = NULL;
	}
	pthread_mutex_unlock(&c->vty.write_lock);
	vty_release(&c->vty);
	OPENSSL_cleanse(c->in, sizeof(c->in));
	ssh_disconnect(c->ssh);
	ssh_free(c->ssh);
	c->ssh = NULL;
}

static void *
conn_thread(void *arg)
{
	struct conn *c = arg;

	serve(c);
	pthread_mutex_lock(&srv.lock);
	c->done = true;
	pthread_mutex_unlock(&srv.lock);
	return NULL;
}

/* Joins finished connection threads; called with srv.lock held. */
static void
reap(bool all)
{
	struct conn *c;
	pthread_t thread;
	int i;

	for (i = 0; i < MAX_CONNS; i++) {
		c = &srv.conns[i];
		if (!c->used || (!c->done && !all))
			continue;
		thread = c->thread;
		pthread_mutex_unlock(&srv.lock);
		pthread_join(thread, NULL);
		pthread_mutex_lock(&srv.lock);
		c->used = false;
		c->done = false;
	}
}

/* Address and local port of the peer of the accepted session. */
static void
describe_peer(ssh_session s, char *peer, size_t len, unsigned *local_port)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd = ssh_get_fd(s);

	snprintf(peer, len, "unknown");
	*local_port = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == 0)
		vty_sockaddr_name(&ss, peer, len);
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		*local_port = vty_sockaddr_port(&ss);
}

static void
accept_one(void)
{
	ssh_session s = ssh_new();
	struct conn *c = NULL;
	int i;

	if (s == NULL)
		return;
	if (ssh_bind_accept(srv.bind, s) != SSH_OK) {
		ssh_free(s);
		return;
	}
	pthread_mutex_lock(&srv.lock);
	reap(false);
	for (i = 0; i < MAX_CONNS && c == NULL; i++)
		if (!srv.conns[i].used)
			c = &srv.conns[i];
	if (c) {
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->router = srv.router;
		c->ssh = s;
		describe_peer(s, c->peer, sizeof(c->peer), &c->local_port);
		if (pthread_create(&c->thread, NULL, conn_thread, c) != 0) {
			c->used = false;
			c = NULL;
		}
	}
	pthread_mutex_unlock(&srv.lock);
	if (c == NULL) {
		ssh_disconnect(s);
		ssh_free(s);
	}
}

/*
 * Loads the host key at PATH, generating it first when it is missing.
 * The key goes to a temporary file that is then renamed, so a router
 * that loads the key never reads a partial file.
 */
static int
host_key(const char *path, enum ssh_keytypes_e type, int bits, char *err,
	 size_t errlen)
{
	char tmp[1100];
	ssh_key key = NULL;
	int rc;

	if (access(path, R_OK) == 0)
		return 0;
	if (ssh_pki_generate(type, bits, &key) != SSH_OK) {
		snprintf(err, errlen, "cannot generate the host key %s", path);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, tmp);
	ssh_key_free(key);
	if (rc != SSH_OK || chmod(tmp, 0600) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot write the host key %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Gives the listener its host keys, generating the missing ones under a
 * lock in KEY_DIR: the routers of a lab share one directory, and the
 * first one to get there creates the keys while the others wait for them.
 */
static int
load_host_keys(const char *key_dir, char *err, size_t errlen)
{
	char lock_path[1100], ed_path[1100], rsa_path[1100];
	int fd, ret = -1;

	snprintf(lock_path, sizeof(lock_path), "%s/ssh_host_keys.lock",
		 key_dir);
	snprintf(ed_path, sizeof(ed_path), "%s/ssh_host_ed25519_key", key_dir);
	snprintf(rsa_path, sizeof(rsa_path), "%s/ssh_host_rsa_key", key_dir);
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock %s: %s", lock_path,
			 strerror(errno));
		goto out;
	}
	if (host_key(ed_path, SSH_KEYTYPE_ED25519, 0, err, errlen) < 0 ||
	    host_key(rsa_path, SSH_KEYTYPE_RSA, RSA_BITS, err, errlen) < 0)
		goto out;
	/* With the socket set, ssh_bind_listen() opens no socket of its
	 * own; it loads the keys. */
	if (ssh_bind_options_set(srv.bind, SSH_BIND_OPTIONS_HOSTKEY,
				 ed_path) < 0 ||
	    ssh_bind_options_set(srv.bind, SSH_BIND_OPTIONS_HOSTKEY,
				 rsa_path) < 0 ||
	    ssh_bind_listen(srv.bind) < 0) {
		snprintf(err, errlen, "%s", ssh_get_error(srv.bind));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Accepts connections once the host keys are loaded. Creating the RSA key
 * is a random prime search that often takes a tenth of a second or more,
 * so it happens here rather than before the router reports its start. A
 * client that connects meanwhile waits in the listen queue.
 */
static void *
listener_thread(void *arg)
{
	struct pollfd pfd = { .fd = ssh_bind_get_fd(srv.bind),
			      .events = POLLIN };
	char err[1200];

	(void)arg;
	if (load_host_keys(srv.key_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "vrouter: SSH server stopped, no host keys: "
			"%s\n", err);
		/* Refuses the clients in the queue and any that follow. */
		shutdown(pfd.fd, SHUT_RD);
		return NULL;
	}
	while (!srv.stopping && !(srv.router && srv.router->stopping)) {
		if (poll(&pfd, 1, POLL_MS) > 0)
			accept_one();
	}
	return NULL;
}

int
vty_ssh_start(struct router *r, const char *addr, unsigned port,
	      const char *key_dir, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	if (srv.running) {
		snprintf(err, errlen, "the SSH server is already running");
		return -1;
	}
	if (port > 65535) {
		snprintf(err, errlen, "invalid SSH port %u (0-65535)", port);
		return -1;
	}
	if (strlen(key_dir) >= sizeof(srv.key_dir)) {
		snprintf(err, errlen, "host key directory name too long: %s",
			 key_dir);
		return -1;
	}
	fd = vty_listen("SSH", addr, port, MAX_CONNS, err, errlen);
	if (fd < 0)
		return -1;
	srv.bind = ssh_bind_new();
	if (srv.bind == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	/* From here on, ssh_bind_free() closes FD. */
	ssh_bind_set_fd(srv.bind, fd);
	if (ssh_bind_options_set(srv.bind, SSH_BIND_OPTIONS_BANNER,
				 "Cisco-1.25") < 0) {
		snprintf(err, errlen, "%s", ssh_get_error(srv.bind));
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	srv.port = vty_sockaddr_port(&ss);
	snprintf(srv.key_dir, sizeof(srv.key_dir), "%s", key_dir);
	srv.router = r;
	srv.stopping = false;
	if (pthread_create(&srv.listener, NULL, listener_thread, NULL) != 0) {
		snprintf(err, errlen, "cannot start the SSH listener thread");
		goto fail;
	}
	srv.running = true;
	return 0;
fail:
	ssh_bind_free(srv.bind);
	srv.bind = NULL;
	return -1;
}

void
vty_ssh_stop(void)
{
	if (!srv.running)
		return;
	srv.stopping = true;
	pthread_join(srv.listener, NULL);
	pthread_mutex_lock(&srv.lock);
	reap(true);
	pthread_mutex_unlock(&srv.lock);
	ssh_bind_free(srv.bind);
	srv.bind = NULL;
	srv.port = 0;
	srv.running = false;
}

unsigned
vty_ssh_port(void)
{
	return srv.running ? srv.port : 0;
}
