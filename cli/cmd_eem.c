/*
 * Embedded Event Manager commands: `event manager applet NAME` with its
 * `event` and `action` lines, stored in /vrouter-config:event-manager,
 * `event manager environment`, `event manager run` and the `show event
 * manager` commands. This file also provides the private sessions that
 * applets' `cli command` actions run in.
 */
#include "cli/cmd_eem.h"

#include <libgen.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/eem.h"
#include "core/router.h"

#define EX CC_M "event-manager/applet"

/* ---- Private sessions. */

struct eem_session {
	struct vty vty;
	char *out;
	size_t len, cap;
	/* Replies to the questions of the command being run. */
	const struct eem_cli_reply *replies;
	size_t nreplies;
	size_t asked;		/* questions answered so far */
	size_t since;		/* output offset the next pattern matches from */
};

static int
session_write(struct vty *vty, const char *buf, size_t len)
{
	struct eem_session *s = vty->io_ctx;
	size_t i;

	if (s->len + len + 1 > s->cap) {
		size_t cap = (s->len + len + 1) * 2;
		char *p = realloc(s->out, cap);

		if (p == NULL)
			return -1;
		s->out = p;
		s->cap = cap;
	}
	for (i = 0; i < len; i++)
		if (buf[i] != '\r')
			s->out[s->len++] = buf[i];
	s->out[s->len] = '\0';
	return 0;
}

/*
 * Returns the reply to the question that the command just printed, or
 * NULL when the next reply's pattern does not match the output since
 * the last question or no reply is left.
 */
static const char *
next_reply(struct eem_session *s)
{
	const struct eem_cli_reply *r;
	regex_t re;
	bool match;

	if (s->asked >= s->nreplies || s->out == NULL)
		return NULL;
	r = &s->replies[s->asked];
	if (regcomp(&re, r->pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return NULL;
	match = regexec(&re, s->out + s->since, 0, NULL, 0) == 0;
	regfree(&re);
	if (!match)
		return NULL;
	s->asked++;
	s->since = s->len;
	return r->text;
}

static int
session_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	const char *reply = next_reply(vty->io_ctx);

	(void)echo;
	if (reply == NULL || len == 0)
		return -1;
	snprintf(buf, len, "%s", reply);
	return (int)strlen(buf);
}

/* A "[confirm]" takes the first character of the reply; "" is Enter. */
static int
session_read_key(struct vty *vty)
{
	const char *reply = next_reply(vty->io_ctx);

	if (reply == NULL)
		return -1;
	return reply[0] != '\0' ? (unsigned char)reply[0] : '\r';
}

static const struct vty_io session_io = {
	.write = session_write,
	.read_line = session_read_line,
	.read_key = session_read_key,
};

static void *
session_open(void *ctx)
{
	struct eem_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	vty_init(&s->vty, ctx, &session_io, s, "eem", false);
	s->vty.term_length = 0;
	s->vty.term_width = 0;
	return s;
}

/* True when LINE is `enable`, as typed or abbreviated to "en" or more. */
static bool
is_enable(const char *line)
{
	size_t n;

	while (*line == ' ')
		line++;
	n = strcspn(line, " ");
	return n >= 2 && strncmp(line, "enable", n) == 0 &&
	       line[n + strspn(line + n, " ")] == '\0';
}

static bool
session_run(void *session, const char *line,
	    const struct eem_cli_reply *replies, size_t nreplies, char **out)
{
	struct eem_session *s = session;
	enum cmd_result rc;

	s->len = 0;
	if (s->out != NULL)
		s->out[0] = '\0';
	s->replies = replies;
	s->nreplies = nreplies;
	s->asked = 0;
	s->since = 0;
	/*
	 * EEM sessions are privileged without the enable secret, as IOS
	 * runs applets: `enable` needs no password there.
	 */
	if (is_enable(line)) {
		s->vty.levels[0].mode = MODE_PRIV_EXEC;
		s->vty.privilege = 15;
		*out = strdup("");
		return true;
	}
	rc = cmd_execute(&s->vty, line, 0);
	s->replies = NULL;
	s->nreplies = 0;
	*out = strdup(s->out != NULL ? s->out : "");
	return rc == CMD_SUCCESS;
}

static void
session_close(void *session)
{
	struct eem_session *s = session;
	const struct cmd_mode_info *mi = cmd_mode_info(vty_mode(&s->vty));

	if (mi->config)
		vty_end_config(&s->vty);
	vty_release(&s->vty);
	free(s->out);
	free(s);
}

static const struct eem_cli_ops session_ops = {
	.open = session_open,
	.run = session_run,
	.close = session_close,
};

int
cmd_eem_start(struct router *r)
{
	char *copy = NULL;
	const char *flash = NULL;

	if (r->startup_config_path != NULL) {
		copy = strdup(r->startup_config_path);
		if (copy != NULL)
			flash = dirname(copy);
	}
	r->eem = eem_create(&session_ops, r, flash);
	free(copy);
	if (r->eem == NULL) {
		fprintf(stderr, "vrouter: cannot create the event manager: out of memory\n");
		return -1;
	}
	if (cfg_subscribe(r->cfg, eem_config_apply, r->eem) < 0 ||
	    eem_start(r->eem) < 0) {
		fprintf(stderr, "vrouter: cannot start the event manager\n");
		eem_destroy(r->eem);
		r->eem = NULL;
		return -1;
	}
	return 0;
}

void
cmd_eem_stop(struct router *r)
{
	eem_destroy(r->eem);
	r->eem = NULL;
}

/* ---- Configuration. */

static enum cmd_result
enter_applet(struct vty *vty, const char *name, const char *options)
{
	char xpath[VTY_XPATH_MAX];
	struct cc_txn t;
	enum cmd_result rc;

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), EX "[name='%s']", name);
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, NULL, "%s", xpath);
	if (options != NULL)
		cc_set(&t, options, "%s/options", xpath);
	else
		cc_del(&t, "%s/options", xpath);
	rc = cc_commit(&t);
	if (rc == CMD_SUCCESS)
		vty_enter_mode(vty, MODE_CONFIG_APPLET, xpath);
	return rc;
}

static enum cmd_result
applet(struct vty *vty, const struct cmd_args *args)
{
	return enter_applet(vty, cmd_arg(args, "name"),
			    cmd_arg(args, "options"));
}

static enum cmd_result
set_environment(struct vty *vty, const char *name, const char *value)
{
	struct cc_txn t;
	const char *p;

	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_')) {
			vty_out(vty, "%% Invalid variable name %s: use letters, "
				"digits and _\n", name);
			return CMD_WARNING;
		}
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, value, CC_M "event-manager/environment[name='%s']/value",
	       name);
	return cc_commit(&t);
}

static enum cmd_result
environment(struct vty *vty, const struct cmd_args *args)
{
	return set_environment(vty, cmd_arg(args, "name"),
			       cmd_arg(args, "value"));
}

/* Deletes the KIND ("applet" or "environment") entry named NAME. */
static enum cmd_result
delete_entry(struct vty *vty, const char *kind, const char *name)
{
	char xpath[VTY_XPATH_MAX];

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	snprintf(xpath, sizeof(xpath), CC_M "event-manager/%s[name='%s']",
		 kind, name);
	return cc_delete(vty, xpath);
}

static enum cmd_result
no_environment(struct vty *vty, const struct cmd_args *args)
{
	return delete_entry(vty, "environment", cmd_arg(args, "name"));
}

static enum cmd_result
no_applet(struct vty *vty, const struct cmd_args *args)
{
	return delete_entry(vty, "applet", cmd_arg(args, "name"));
}

/*
 * `[no] event manager applet|environment ...` typed inside an applet:
 * the applet mode's own `event LINE` and `no event LINE` take these
 * lines, so they are handed back to (config) here, as IOS leaves one
 * applet for the next. SPEC is the text after "event".
 */
static enum cmd_result
global_line(struct vty *vty, const char *spec, bool negate)
{
	char buf[1200];
	char *kind, *name, *rest;

	snprintf(buf, sizeof(buf), "%s", spec + strlen("manager "));
	kind = buf + strspn(buf, " ");
	name = kind + strcspn(kind, " ");
	if (*name != '\0')
		*name++ = '\0';
	name += strspn(name, " ");
	rest = name + strcspn(name, " ");
	if (*rest != '\0') {
		*rest++ = '\0';
		rest += strspn(rest, " ");
	}
	if (*name == '\0' || (strcmp(kind, "environment") == 0 && !negate &&
			       *rest == '\0')) {
		vty_out(vty, "%% Incomplete command.\n\n");
		return CMD_WARNING;
	}
	if (strcmp(kind, "applet") != 0 && strcmp(kind, "environment") != 0) {
		vty_out(vty, "%% Invalid input: event manager %s\n", kind);
		return CMD_WARNING;
	}
	vty_exit_mode(vty);
	if (negate)
		return delete_entry(vty, kind, name);
	if (strcmp(kind, "environment") == 0)
		return set_environment(vty, name, rest);
	return enter_applet(vty, name, *rest != '\0' ? rest : NULL);
}

struct event_edit {
	struct cc_txn *t;
	const char *xpath;
};

static void
set_event_leaf(void *ctx, const char *leaf, const char *value)
{
	struct event_edit *e = ctx;

	cc_set(e->t, value, "%s/event/%s", e->xpath, leaf);
}

static enum cmd_result
event(struct vty *vty, const struct cmd_args *args)
{
	struct event_edit e = { .xpath = vty_xpath(vty) };
	const char *spec = cmd_arg(args, "spec");
	char err[256];
	struct cc_txn t;

	if (strncmp(spec, "manager ", 8) == 0)
		return global_line(vty, spec, false);
	if (eem_check_event(spec, err, sizeof(err)) < 0) {
		vty_out(vty, "%% Invalid event: %s\n", err);
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	e.t = &t;
	cc_del(&t, "%s/event", e.xpath);
	eem_parse_event(spec, set_event_leaf, &e, err, sizeof(err));
	return cc_commit(&t);
}

static enum cmd_result
no_event(struct vty *vty, const struct cmd_args *args)
{
	const char *rest = cmd_arg(args, "rest");
	struct cc_txn t;

	if (rest != NULL && strncmp(rest, "manager ", 8) == 0)
		return global_line(vty, rest, true);
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/event", vty_xpath(vty));
	return cc_commit(&t);
}

static enum cmd_result
action(struct vty *vty, const struct cmd_args *args)
{
	const char *label = cmd_arg(args, "label");
	const char *spec = cmd_arg(args, "spec");
	char err[256];
	struct cc_txn t;

	if (!cc_name_ok(vty, label))
		return CMD_WARNING;
	if (eem_check_action(spec, err, sizeof(err)) < 0) {
		vty_out(vty, "%% Invalid action %s: %s\n", label, err);
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, spec, "%s/action[label='%s']/text", vty_xpath(vty), label);
	return cc_commit(&t);
}

static enum cmd_result
no_action(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_name_ok(vty, cmd_arg(args, "label")))
		return CMD_WARNING;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/action[label='%s']", vty_xpath(vty),
	       cmd_arg(args, "label"));
	return cc_commit(&t);
}

/* ---- EXEC commands. */

static enum cmd_result
run(struct vty *vty, const struct cmd_args *args)
{
	char err[256];

	if (vty->router == NULL || vty->router->eem == NULL) {
		vty_out(vty, "%% The event manager is not running\n");
		return CMD_ERROR;
	}
	if (eem_run(vty->router->eem, cmd_arg(args, "name"), err,
		    sizeof(err)) < 0) {
		vty_out(vty, "%% %s\n", err);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

static enum cmd_result
print_show(struct vty *vty, char *(*fn)(struct eem *))
{
	char *text;

	if (vty->router == NULL || vty->router->eem == NULL)
		return CMD_SUCCESS;
	text = fn(vty->router->eem);
	if (text == NULL) {
		vty_out(vty, "%% Out of memory\n");
		return CMD_ERROR;
	}
	vty_out(vty, "%s", text);
	free(text);
	return CMD_SUCCESS;
}

static enum cmd_result
show_registered(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return print_show(vty, eem_show_registered);
}

static enum cmd_result
show_history(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return print_show(vty, eem_show_history);
}

static enum cmd_result
show_statistics(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return print_show(vty, eem_show_statistics);
}

#define EM_HELP "Event Manager configuration commands\n" \
	"Event Manager configuration commands\n"
#define NO_HELP "Negate a command or set its defaults\n"
#define SHOW_EM_HELP "Show running system information\n" \
	"Event related commands\nEvent Manager information\n"

static const struct cmd_def config_cmds[] = {
	{ "event manager environment WORD$name LINE$value",
	  EM_HELP "Set an Event Manager global variable\n"
	  "Name of the variable\nValue of the variable",
	  environment, CMD_NO_PIPE, 0 },
	{ "no event manager environment WORD$name [LINE]",
	  NO_HELP EM_HELP "Set an Event Manager global variable\n"
	  "Name of the variable\nIgnored arguments", no_environment, 0, 0 },
	{ "event manager applet WORD$name [LINE$options]",
	  EM_HELP "Register an Event Manager applet\nName of the Event "
	  "Manager applet\nOptions, e.g. authorization bypass",
	  applet, 0, 0 },
	{ "no event manager applet WORD$name [LINE]",
	  NO_HELP EM_HELP "Register an Event Manager applet\nName of the "
	  "Event Manager applet\nIgnored arguments", no_applet, 0, 0 },
};

static const struct cmd_def applet_cmds[] = {
	{ "event LINE$spec",
	  "Add or modify event information\n"
	  "syslog pattern \"RE\" [occurs N] [period S] [ratelimit S] "
	  "[maxrun S], timer watchdog|countdown time S [maxrun S], or none "
	  "[maxrun S]", event, CMD_NO_PIPE, 0 },
	{ "no event [LINE$rest]",
	  NO_HELP "Add or modify event information\nIgnored arguments",
	  no_event, 0, 0 },
	{ "action WORD$label LINE$spec",
	  "Add or modify an action statement\nAction label\n"
	  "cli, syslog, regexp, set, append, if, else, end, wait, file, ...",
	  action, CMD_NO_PIPE, 0 },
	{ "no action WORD$label [LINE]",
	  NO_HELP "Add or modify an action statement\nAction label\n"
	  "Ignored arguments", no_action, 0, 0 },
};

static const struct cmd_def exec_cmds[] = {
	{ "event manager run WORD$name [LINE]",
	  EM_HELP "Run an Event Manager policy registered with event none\n"
	  "Name of the policy\nIgnored arguments", run, 0, 15 },
	{ "show event manager policy registered [LINE]",
	  SHOW_EM_HELP "Event Manager policy information\n"
	  "Registered policies\nIgnored arguments", show_registered, 0, 15 },
	{ "show event manager statistics server",
	  SHOW_EM_HELP "Event Manager statistics\nEvent Manager server "
	  "statistics", show_statistics, 0, 15 },
	{ "show event manager history events [LINE]",
	  SHOW_EM_HELP "Event Manager history information\n"
	  "Event history\nIgnored arguments", show_history, 0, 15 },
};

void
cmd_eem_install(void)
{
	CC_INSTALL(MODE_CONFIG, config_cmds);
	CC_INSTALL(MODE_CONFIG_APPLET, applet_cmds);
	CC_INSTALL(MODE_PRIV_EXEC, exec_cmds);
}
