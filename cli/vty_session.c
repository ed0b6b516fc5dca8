/*
 * The parts that telnet and SSH sessions share: the registry of vty lines,
 * the IOS login dialogue, the login and logout messages, and the command
 * loop.
 */
#include "cli/vty.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/aaa.h"
#include "cli/vty_edit.h"
#include "core/config.h"
#include "core/log.h"
#include "core/router.h"

/* Tries IOS allows at the login prompt before it closes the session. */
#define LOGIN_TRIES 3

static struct {
	pthread_mutex_t lock;
	struct vty *lines[VTY_LINES_MAX];
	struct vty *console;
} reg = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static struct cfg *
vty_cfg(const struct vty *vty)
{
	return vty->router ? vty->router->cfg : NULL;
}

unsigned
vty_line_number(const struct vty *vty)
{
	unsigned n = 0;

	if (vty->is_console)
		return 0;
	if (vty->line_index >= 0)
		return (unsigned)vty->line_index + 1;
	sscanf(vty->line_name, "vty %u", &n);
	return n + 1;
}

int
vty_session_open(struct vty *vty, const char *transport, unsigned local_port,
		 char *reason, size_t len)
{
	unsigned count = aaa_vty_count(vty_cfg(vty), VTY_LINES_DEFAULT);
	unsigned want = strcmp(transport, "ssh") == 0 ? AAA_TRANSPORT_SSH :
							AAA_TRANSPORT_TELNET;
	struct aaa_line line;
	int n = -1;
	unsigned i;

	if (count > VTY_LINES_MAX)
		count = VTY_LINES_MAX;
	pthread_mutex_lock(&reg.lock);
	for (i = 0; i < count && n < 0; i++) {
		if (reg.lines[i] == NULL) {
			reg.lines[i] = vty;
			n = (int)i;
		}
	}
	pthread_mutex_unlock(&reg.lock);
	if (n < 0) {
		snprintf(reason, len, "%% All %u vty lines are in use; try "
			 "again later.", count);
		return -1;
	}

	vty->line_index = n;
	vty->transport = transport;
	vty->local_port = local_port;
	snprintf(vty->line_name, sizeof(vty->line_name), "vty %d", n);
	aaa_line_get(vty_cfg(vty), false, (unsigned)n, &line);
	if (!(line.transports & want)) {
		snprintf(reason, len, "%% Connection refused: line vty %d does "
			 "not accept %s.", n, transport);
		vty_session_close(vty);
		return -1;
	}
	if (line.configured) {
		vty->exec_timeout = line.exec_timeout;
		vty->exec_timeout_set = true;
		/*
		 * `session-timeout` closes a session that sends no input for
		 * that long, whatever exec-timeout is set to, so the shorter
		 * of the two non-zero limits applies.
		 */
		if (line.session_timeout > 0 &&
		    (vty->exec_timeout == 0 ||
		     line.session_timeout < vty->exec_timeout))
			vty->exec_timeout = line.session_timeout;
	}
	return n;
}

/* Formats the time of a login message: "17:03:12 UTC Fri Dec 4 2026". */
static void
login_time(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(buf, len, "%H:%M:%S %Z %a %b %-d %Y", &tm) == 0)
		snprintf(buf, len, "unknown time");
}

void
vty_session_logged_in(struct vty *vty, const char *user, unsigned priv)
{
	char when[64];

	snprintf(vty->user, sizeof(vty->user), "%s", user ? user : "");
	vty->privilege = priv;
	vty->levels[0].mode = priv >= 15 ? MODE_PRIV_EXEC : MODE_USER_EXEC;
	vty->login_time = time(NULL);
	if (vty->user[0]) {
		login_time(when, sizeof(when));
		log_msg(LOGMSG_SEC_LOGIN_SUCCESS,
			"Login Success [user: %s] [Source: %s] [localport: %u] "
			"at %s", vty->user, vty->peer, vty->local_port, when);
	}
}

void
vty_session_login_failed(struct vty *vty, const char *user,
			 const char *reason)
{
	char when[64];

	login_time(when, sizeof(when));
	log_msg(LOGMSG_SEC_LOGIN_FAILED,
		"Login failed [user: %s] [Source: %s] [localport: %u] "
		"[Reason: %s] at %s", user, vty->peer, vty->local_port, reason,
		when);
}

void
vty_sockaddr_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf,
			  (socklen_t)len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)len);
}

unsigned
vty_sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return 0;
}

char *
vty_banner_text(const struct vty *vty, const char *kind)
{
	struct cfg *cfg = vty_cfg(vty);
	char xpath[64];
	const char *text;
	char *copy = NULL;

	if (cfg == NULL)
		return NULL;
	snprintf(xpath, sizeof(xpath), "/vrouter-config:system/banner/%s",
		 kind);
	text = cfg_get_value(cfg_read_lock(cfg), xpath);
	if (text != NULL)
		copy = strdup(text);
	cfg_read_unlock(cfg);
	return copy;
}

void
vty_session_banner(struct vty *vty, const char *kind)
{
	char *text = vty_banner_text(vty, kind);
	const char *p, *nl;

	if (text == NULL)
		return;
	/* A text that does not end a line gets a line end of its own. */
	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			vty_write_raw(vty, p, strlen(p));
			vty_write_raw(vty, "\r\n", 2);
			break;
		}
		vty_write_raw(vty, p, (size_t)(nl - p));
		vty_write_raw(vty, "\r\n", 2);
	}
	free(text);
}

/* `login local`: username and secret against the local users. */
static int
login_local(struct vty *vty, unsigned line_priv)
{
	char user[sizeof(vty->user)], password[AAA_PASSWORD_MAX + 1];
	unsigned priv = line_priv;
	int tries, ret = -1;

	vty_write_raw(vty, "\r\nUser Access Verification\r\n\r\n", 30);
	for (tries = 0; tries < LOGIN_TRIES; tries++) {
		if (vty_ask(vty, "Username: ", user, sizeof(user)) < 0 ||
		    vty_ask_secret(vty, "Password: ", password,
				   sizeof(password)) < 0)
			break;
		if (aaa_check_user(vty_cfg(vty), user, password, &priv)) {
			vty_session_logged_in(vty, user, priv);
			ret = 0;
			break;
		}
		vty_session_login_failed(vty, user,
					 "Login Authentication Failed");
		vty_write_raw(vty, "% Login invalid\r\n\r\n", 19);
	}
	OPENSSL_cleanse(password, sizeof(password));
	return ret;
}

/* `login`: the line password alone. */
static int
login_line(struct vty *vty, const struct aaa_line *line)
{
	char password[AAA_PASSWORD_MAX + 1];
	int tries, ret = -1;

	if (line->password7[0] == '\0') {
		vty_write_raw(vty, "\r\nPassword required, but none set\r\n", 35);
		return -1;
	}
	vty_write_raw(vty, "\r\nUser Access Verification\r\n\r\n", 30);
	for (tries = 0; tries < LOGIN_TRIES; tries++) {
		if (vty_ask_secret(vty, "Password: ", password,
				   sizeof(password)) < 0)
			break;
		if (aaa_check_line_password(line, password)) {
			vty_session_logged_in(vty, NULL, line->privilege);
			ret = 0;
			break;
		}
	}
	if (ret < 0 && tries == LOGIN_TRIES)
		vty_write_raw(vty, "% Bad passwords\r\n", 17);
	OPENSSL_cleanse(password, sizeof(password));
	return ret;
}

int
vty_session_login(struct vty *vty)
{
	struct aaa_line line;
	int ret;

	aaa_line_get(vty_cfg(vty), vty->is_console,
		     vty->line_index >= 0 ? (unsigned)vty->line_index : 0,
		     &line);
	/* IOS shows the message of the day, then the login banner. */
	vty_session_banner(vty, "motd");
	switch (line.login) {
	case AAA_LOGIN_LOCAL:
		vty_session_banner(vty, "login");
		ret = login_local(vty, line.privilege);
		break;
	case AAA_LOGIN_LINE:
		vty_session_banner(vty, "login");
		ret = login_line(vty, &line);
		break;
	case AAA_LOGIN_NONE:
	default:
		vty_session_logged_in(vty, NULL, line.privilege);
		ret = 0;
		break;
	}
	if (ret == 0)
		vty_session_banner(vty, "exec");
	return ret;
}

void
vty_session_close(struct vty *vty)
{
	if (vty->line_index < 0)
		return;
	if (vty->user[0])
		log_msg(LOGMSG_SYS_LOGOUT, "User %s has exited tty session "
			"%u(%s)", vty->user, vty_line_number(vty), vty->peer);
	pthread_mutex_lock(&reg.lock);
	if (reg.lines[vty->line_index] == vty)
		reg.lines[vty->line_index] = NULL;
	pthread_mutex_unlock(&reg.lock);
	vty->line_index = -1;
}

bool
vty_session_idle_expired(const struct vty *vty)
{
	time_t last = __atomic_load_n(&vty->last_input, __ATOMIC_RELAXED);

	return vty->exec_timeout > 0 &&
	       time(NULL) - last >= (time_t)vty->exec_timeout;
}

void
vty_session_foreach(void (*fn)(void *ctx, const struct vty *vty), void *ctx)
{
	int i;

	pthread_mutex_lock(&reg.lock);
	if (reg.console)
		fn(ctx, reg.console);
	for (i = 0; i < VTY_LINES_MAX; i++)
		if (reg.lines[i])
			fn(ctx, reg.lines[i]);
	pthread_mutex_unlock(&reg.lock);
}

void
vty_session_set_console(struct vty *vty)
{
	pthread_mutex_lock(&reg.lock);
	reg.console = vty;
	pthread_mutex_unlock(&reg.lock);
}

int
vty_session_clear(unsigned line)
{
	int ret = -1;

	pthread_mutex_lock(&reg.lock);
	if (line >= 1 && line <= VTY_LINES_MAX && reg.lines[line - 1]) {
		reg.lines[line - 1]->cleared = true;
		ret = 0;
	}
	pthread_mutex_unlock(&reg.lock);
	return ret;
}

/* Runs the pending line; returns false when the session is to close. */
static bool
run_line(struct vty *vty, struct vty_edit *ed)
{
	enum cmd_result res;

	if (ed->buf[strspn(ed->buf, " \t")] == '\0')
		return true;
	vty_history_add(vty, ed->buf);
	res = cmd_execute(vty, ed->buf, ed->prompt_len);
	/* The line may have set a secret; the history keeps its own copy. */
	OPENSSL_cleanse(ed->buf, sizeof(ed->buf));
	if (vty_flush(vty) < 0 || vty->cleared)
		return false;
	return res != CMD_CLOSE;
}

void
vty_session_loop(struct vty *vty, struct vty_edit *ed)
{
	while (!vty->cleared) {
		switch (vty_edit_line(ed)) {
		case VTY_EDIT_CLOSED:
			return;
		case VTY_EDIT_LINE:
			if (!run_line(vty, ed))
				return;
			break;
		case VTY_EDIT_ABORT:
			vty_end_config(vty);
			break;
		case VTY_EDIT_END:
			/* IOS runs the pending line, then leaves config mode. */
			if (ed->len > 0 && !run_line(vty, ed))
				return;
			vty_end_config(vty);
			break;
		}
	}
}
