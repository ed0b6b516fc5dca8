/*
 * Telnet front end: the listener, the per-session threads, the telnet
 * protocol through libtelnet, and the vty_io hooks that connect a session
 * to its line editor.
 */
#include "cli/telnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libtelnet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "cli/vty_edit.h"
#include "core/router.h"

/* How often blocked reads look at the stop flags, in milliseconds. */
#define POLL_MS 200
/* A peer that accepts no output for this long is dropped. */
#define SEND_TIMEOUT_MS 30000
/* How long a closing session waits for the peer to close its side. */
#define DRAIN_MS 2000
/* The same for a rejected connection, which blocks the listener. */
#define REJECT_DRAIN_MS 200
/* IOS `exec-timeout` default: an idle session closes after 10 minutes. */
#define EXEC_TIMEOUT_DEFAULT 600
/* IOS accepts at most 512 in `terminal length` and `terminal width`. */
#define TERM_DIM_MAX 512

struct session {
	int fd;
	telnet_t *tn;
	struct router *router;
	struct vty vty;
	struct vty_edit ed;

	/* Decoded input bytes not yet read by the editor. */
	unsigned char *in;
	size_t in_len;
	size_t in_pos;
	size_t in_cap;
	bool after_cr;		/* the last byte read was CR */

	bool dead;		/* the peer is gone or stopped reading */
	bool async;		/* the logger thread is writing */
	struct session *next;	/* in the list of running sessions */
};

struct slot {
	pthread_t thread;
	bool used;
	bool done;		/* the session thread has ended */
	int fd;
	char peer[INET6_ADDRSTRLEN];
};

/* The one telnet server of the process (see telnet.h). */
static struct {
	pthread_mutex_t lock;	/* guards slots, sessions and running */
	bool running;
	volatile bool stopping;
	int listen_fd;
	unsigned port;
	struct router *router;
	pthread_t listener;
	struct slot slots[VTY_TELNET_MAX_SESSIONS];
	struct session *sessions;
	unsigned exec_timeout;	/* seconds; 0 never times out */
} srv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.listen_fd = -1,
	.exec_timeout = EXEC_TIMEOUT_DEFAULT,
};

static const telnet_telopt_t telopts[] = {
	{ TELNET_TELOPT_ECHO, TELNET_WILL, TELNET_DONT },
	{ TELNET_TELOPT_SGA, TELNET_WILL, TELNET_DO },
	{ TELNET_TELOPT_NAWS, TELNET_WONT, TELNET_DO },
	{ -1, 0, 0 },
};

static bool
stop_requested(const struct session *s)
{
	return srv.stopping || (s->router && s->router->stopping);
}

/* Sends LEN bytes to the socket, waiting at most SEND_TIMEOUT_MS. */
static void
send_all(struct session *s, const char *buf, size_t len)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0 && !s->dead) {
		n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A log line is dropped rather than block the logger. */
			if (s->async)
				return;
			if (poll(&pfd, 1, SEND_TIMEOUT_MS) > 0)
				continue;
		}
		s->dead = true;
	}
}

static void
naws(struct session *s, const char *buf, size_t size)
{
	unsigned width, height;

	if (size != 4)
		return;
	width = (unsigned)(unsigned char)buf[0] << 8 | (unsigned char)buf[1];
	height = (unsigned)(unsigned char)buf[2] << 8 | (unsigned char)buf[3];

	/* A size of 0 means unknown (RFC 1073), so it changes nothing. */
	if (width > 0)
		s->vty.term_width = width < TERM_DIM_MAX ? width : TERM_DIM_MAX;
	if (height > 0)
		s->vty.term_length = height < TERM_DIM_MAX ? height : TERM_DIM_MAX;
}

static void
queue_input(struct session *s, const char *buf, size_t size)
{
	size_t cap = s->in_cap ? s->in_cap : 1024;
	unsigned char *p;

	while (cap < s->in_len + size)
		cap *= 2;
	if (cap != s->in_cap) {
		/* Cleansed, because the input may contain secrets. */
		p = OPENSSL_clear_realloc(s->in, s->in_cap, cap);
		if (p == NULL) {
			s->dead = true;
			return;
		}
		s->in = p;
		s->in_cap = cap;
	}
	memcpy(s->in + s->in_len, buf, size);
	s->in_len += size;
}

static void
on_telnet_event(telnet_t *tn, telnet_event_t *ev, void *ctx)
{
	struct session *s = ctx;

	(void)tn;
	switch (ev->type) {
	case TELNET_EV_DATA:
		queue_input(s, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_SEND:
		send_all(s, ev->data.buffer, ev->data.size);
		break;
	case TELNET_EV_IAC:
		/* Telnet's own editing commands (RFC 854) map to their keys. */
		if (ev->iac.cmd == TELNET_IP || ev->iac.cmd == TELNET_BREAK)
			queue_input(s, "\x03", 1);
		else if (ev->iac.cmd == TELNET_EC)
			queue_input(s, "\x7f", 1);
		else if (ev->iac.cmd == TELNET_EL)
			queue_input(s, "\x15", 1);
		break;
	case TELNET_EV_SUBNEGOTIATION:
		if (ev->sub.telopt == TELNET_TELOPT_NAWS)
			naws(s, ev->sub.buffer, ev->sub.size);
		break;
	case TELNET_EV_ERROR:
		s->dead = true;
		break;
	default:
		break;
	}
}

static bool
idle_expired(const struct session *s)
{
	unsigned limit = __atomic_load_n(&srv.exec_timeout, __ATOMIC_RELAXED);
	time_t last = __atomic_load_n(&s->vty.last_input, __ATOMIC_RELAXED);

	if (s->vty.exec_timeout_set)
		return vty_session_idle_expired(&s->vty);
	return limit > 0 && time(NULL) - last >= (time_t)limit;
}

/*
 * Reads from the socket until libtelnet yields data. Returns -1 when the
 * peer closed, the session was idle for the exec timeout, or the server
 * stops.
 */
static int
fill_input(struct session *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;
	int rc;

	/* What was read is cleansed, because a line may have set a secret. */
	if (s->in)
		OPENSSL_cleanse(s->in, s->in_len);
	s->in_len = s->in_pos = 0;
	while (s->in_len == 0) {
		if (s->dead || s->vty.cleared || stop_requested(s))
			return -1;
		rc = poll(&pfd, 1, POLL_MS);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc == 0 && idle_expired(s))
			return -1;
		if (rc <= 0)
			continue;

		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;

		__atomic_store_n(&s->vty.last_input, time(NULL),
				 __ATOMIC_RELAXED);
		pthread_mutex_lock(&s->vty.write_lock);
		telnet_recv(s->tn, buf, (size_t)n);
		pthread_mutex_unlock(&s->vty.write_lock);
		OPENSSL_cleanse(buf, (size_t)n);
	}
	return 0;
}

/* Returns the next input byte, line ends folded (vty_edit_fold_eol()). */
static int
session_getc(void *ctx)
{
	struct session *s = ctx;
	int c;

	do {
		if (s->in_pos == s->in_len && fill_input(s) < 0)
			return -1;
		c = vty_edit_fold_eol(&s->after_cr, s->in[s->in_pos++]);
	} while (c < 0);
	return c;
}

static int
io_write(struct vty *vty, const char *buf, size_t len)
{
	struct session *s = vty->io_ctx;

	if (s->dead)
		return -1;
	telnet_send(s->tn, buf, len);
	return s->dead ? -1 : 0;
}

static int
io_read_key(struct vty *vty)
{
	return session_getc(vty->io_ctx);
}

static int
io_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	return vty_edit_read_reply(vty, session_getc, vty->io_ctx, buf, len, echo);
}

static bool
io_poll_break(struct vty *vty)
{
	struct session *s = vty->io_ctx;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

	if (s->in_pos == s->in_len && poll(&pfd, 1, 0) > 0 &&
	    fill_input(s) < 0)
		return false;
	return vty_take_break(s->in, &s->in_pos, s->in_len);
}

static void
io_write_async(struct vty *vty, const char *line)
{
	struct session *s = vty->io_ctx;

	s->async = true;
	vty_edit_async(&s->ed, line);
	s->async = false;
}

static const struct vty_io telnet_io = {
	.write = io_write,
	.read_line = io_read_line,
	.read_key = io_read_key,
	.poll_break = io_poll_break,
	.write_async = io_write_async,
};

/*
 * Closes the connection without a TCP reset: stop sending, read until the
 * peer closes or DRAIN_MS milliseconds pass, then close. Closing a socket that
 * still has unread input makes Linux send RST, and the client may then
 * lose the last output.
 */
static void
close_gently(int fd, int drain_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[512];
	int waited = 0;

	shutdown(fd, SHUT_WR);
	while (waited < drain_ms && poll(&pfd, 1, 100) >= 0) {
		if (pfd.revents == 0) {
			waited += 100;
			continue;
		}
		if (recv(fd, buf, sizeof(buf), 0) <= 0)
			break;
	}
	close(fd);
}

static void
session_register(struct session *s, bool add)
{
	struct session **pp;

	pthread_mutex_lock(&srv.lock);
	if (add) {
		s->next = srv.sessions;
		srv.sessions = s;
	} else {
		for (pp = &srv.sessions; *pp; pp = &(*pp)->next) {
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		}
	}
	pthread_mutex_unlock(&srv.lock);
}

static unsigned bound_port(int fd);

void
vty_telnet_serve(struct router *r, int fd, const char *peer, unsigned index)
{
	struct session *s;
	char line_name[16], reason[128];

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		return;
	}
	s->fd = fd;
	s->router = r;
	snprintf(line_name, sizeof(line_name), "vty %u", index);
	vty_init(&s->vty, r, &telnet_io, s, line_name, false);
	snprintf(s->vty.peer, sizeof(s->vty.peer), "%s", peer);
	vty_edit_init(&s->ed, &s->vty, session_getc, s);

	s->tn = telnet_init(telopts, on_telnet_event, 0, s);
	if (s->tn == NULL)
		goto out;

	pthread_mutex_lock(&s->vty.write_lock);
	telnet_negotiate(s->tn, TELNET_WILL, TELNET_TELOPT_ECHO);
	telnet_negotiate(s->tn, TELNET_WILL, TELNET_TELOPT_SGA);
	telnet_negotiate(s->tn, TELNET_DO, TELNET_TELOPT_NAWS);
	telnet_send(s->tn, "\r\n", 2);
	pthread_mutex_unlock(&s->vty.write_lock);

	if (vty_session_open(&s->vty, "telnet", bound_port(fd), reason,
			     sizeof(reason)) < 0) {
		vty_write_raw(&s->vty, reason, strlen(reason));
		vty_write_raw(&s->vty, "\r\n", 2);
		goto out;
	}
	session_register(s, true);
	if (vty_session_login(&s->vty) == 0)
		vty_session_loop(&s->vty, &s->ed);
	session_register(s, false);
	vty_session_close(&s->vty);

out:
	vty_release(&s->vty);
	if (s->tn)
		telnet_free(s->tn);
	close_gently(fd, DRAIN_MS);
	if (s->in)
		OPENSSL_clear_free(s->in, s->in_cap);
	free(s);
}

static void *
session_thread(void *arg)
{
	struct slot *slot = arg;

	vty_telnet_serve(srv.router, slot->fd, slot->peer,
			 (unsigned)(slot - srv.slots));
	pthread_mutex_lock(&srv.lock);
	slot->done = true;
	pthread_mutex_unlock(&srv.lock);
	return NULL;
}

/* Joins the threads of sessions that have ended; called with srv.lock. */
static void
reap_sessions(bool all)
{
	struct slot *slot;
	pthread_t thread;
	int i;

	for (i = 0; i < VTY_TELNET_MAX_SESSIONS; i++) {
		slot = &srv.slots[i];
		if (!slot->used || (!slot->done && !all))
			continue;
		thread = slot->thread;
		pthread_mutex_unlock(&srv.lock);
		pthread_join(thread, NULL);
		pthread_mutex_lock(&srv.lock);
		slot->used = false;
		slot->done = false;
	}
}

static void
reject_busy(int fd)
{
	char msg[96];
	int n;

	n = snprintf(msg, sizeof(msg),
		     "\r\n%% All %d vty lines are in use; try again later.\r\n",
		     VTY_TELNET_MAX_SESSIONS);
	send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close_gently(fd, REJECT_DRAIN_MS);
}

static void
accept_one(void)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct slot *slot = NULL;
	int fd, i, one = 1;

	fd = accept(srv.listen_fd, (struct sockaddr *)&ss, &sslen);
	if (fd < 0)
		return;
	/*
	 * The echo, the output and the prompt leave in separate writes: with
	 * Nagle's algorithm each would wait for the client's delayed ACK.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	pthread_mutex_lock(&srv.lock);
	reap_sessions(false);
	for (i = 0; i < VTY_TELNET_MAX_SESSIONS && slot == NULL; i++)
		if (!srv.slots[i].used)
			slot = &srv.slots[i];
	if (slot) {
		slot->used = true;
		slot->done = false;
		slot->fd = fd;
		vty_sockaddr_name(&ss, slot->peer, sizeof(slot->peer));
		if (pthread_create(&slot->thread, NULL, session_thread,
				   slot) != 0) {
			slot->used = false;
			slot = NULL;
		}
	}
	pthread_mutex_unlock(&srv.lock);

	if (slot == NULL)
		reject_busy(fd);
}

static void *
listener_thread(void *arg)
{
	struct pollfd pfd = { .fd = srv.listen_fd, .events = POLLIN };

	(void)arg;
	while (!srv.stopping && !(srv.router && srv.router->stopping)) {
		if (poll(&pfd, 1, POLL_MS) > 0)
			accept_one();
	}
	return NULL;
}

static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return vty_sockaddr_port(&ss);
}

int
vty_telnet_start(struct router *r, const char *addr, unsigned port,
		 char *err, size_t errlen)
{
	int fd;

	if (srv.running) {
		snprintf(err, errlen, "the telnet server is already running");
		return -1;
	}
	if (port > 65535) {
		snprintf(err, errlen, "invalid telnet port %u (0-65535)", port);
		return -1;
	}
	fd = vty_listen("telnet", addr, port, VTY_TELNET_MAX_SESSIONS, err,
			errlen);
	if (fd < 0)
		return -1;

	srv.listen_fd = fd;
	srv.port = bound_port(fd);
	srv.router = r;
	srv.stopping = false;
	if (pthread_create(&srv.listener, NULL, listener_thread, NULL) != 0) {
		snprintf(err, errlen, "cannot start the telnet listener thread");
		close(fd);
		srv.listen_fd = -1;
		return -1;
	}
	srv.running = true;
	return 0;
}

void
vty_telnet_stop(void)
{
	if (!srv.running)
		return;
	srv.stopping = true;
	pthread_join(srv.listener, NULL);

	pthread_mutex_lock(&srv.lock);
	reap_sessions(true);
	pthread_mutex_unlock(&srv.lock);

	close(srv.listen_fd);
	srv.listen_fd = -1;
	srv.port = 0;
	srv.running = false;
}

void
vty_telnet_set_exec_timeout(unsigned seconds)
{
	__atomic_store_n(&srv.exec_timeout, seconds, __ATOMIC_RELAXED);
}

unsigned
vty_telnet_port(void)
{
	return srv.running ? srv.port : 0;
}

void
vty_telnet_foreach(void (*fn)(void *ctx, const struct vty *vty, time_t idle),
		   void *ctx)
{
	time_t now = time(NULL);
	struct session *s;

	pthread_mutex_lock(&srv.lock);
	for (s = srv.sessions; s; s = s->next)
		fn(ctx, &s->vty,
		   now - __atomic_load_n(&s->vty.last_input,
					 __ATOMIC_RELAXED));
	pthread_mutex_unlock(&srv.lock);
}
