/*
 * EXEC basics: privilege changes, entering configuration mode, terminal
 * settings and the session's own show commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/aaa.h"
#include "cli/cmd_graph.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"

#ifndef VROUTER_VERSION
#define VROUTER_VERSION "0.1"
#endif

/* The IOS XE release whose CLI vrouter follows. */
#define IOS_XE_VERSION "17.03.04a"
#define IOS_VERSION "17.3.4a"

/* Tries `enable` allows for the enable secret, as IOS. */
#define ENABLE_TRIES 3

static enum cmd_result
cmd_enable(struct vty *vty, const struct cmd_args *args)
{
	struct cfg *cfg = vty->router ? vty->router->cfg : NULL;
	char password[AAA_PASSWORD_MAX + 1];
	bool ok = !aaa_enable_secret_set(cfg);
	int i;

	(void)args;
	for (i = 0; !ok && i < ENABLE_TRIES; i++) {
		if (vty_ask_secret(vty, "Password: ", password,
				   sizeof(password)) < 0)
			return CMD_WARNING;
		ok = aaa_check_enable(cfg, password);
	}
	OPENSSL_cleanse(password, sizeof(password));
	if (!ok) {
		vty_out(vty, "%% Bad secrets\n\n");
		return CMD_WARNING;
	}
	vty->levels[0].mode = MODE_PRIV_EXEC;
	vty->privilege = 15;
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_disable(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	vty->depth = 1;
	vty->levels[0].mode = MODE_USER_EXEC;
	vty->privilege = 1;
	return CMD_SUCCESS;
}

static enum cmd_result
enter_config(struct vty *vty)
{
	if (vty_enter_mode(vty, MODE_CONFIG, NULL) < 0)
		return CMD_ERROR;
	vty_out(vty,
		"Enter configuration commands, one per line.  End with CNTL/Z.\n");
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_configure(struct vty *vty, const struct cmd_args *args)
{
	char reply[64];
	size_t len;
	int n;

	if (cmd_has(args, "terminal"))
		return enter_config(vty);
	n = vty_ask(vty, "Configuring from terminal, memory, or network [terminal]? ",
		    reply, sizeof(reply));
	if (n < 0)
		return CMD_WARNING;

	/* Like IOS, accept any abbreviation of "terminal", or Enter. */
	len = strlen(reply);
	if (len == 0 || strncasecmp(reply, "terminal", len) == 0)
		return enter_config(vty);
	vty_out(vty, "%% Configuration from %s is not supported; use "
		"\"configure terminal\" or \"copy\"\n", reply);
	return CMD_WARNING;
}

static enum cmd_result
cmd_logout(struct vty *vty, const struct cmd_args *args)
{
	(void)vty;
	(void)args;
	return CMD_CLOSE;
}

static enum cmd_result
cmd_terminal_length(struct vty *vty, const struct cmd_args *args)
{
	vty->term_length = (unsigned)strtoul(cmd_arg(args, "lines"), NULL, 10);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_terminal_width(struct vty *vty, const struct cmd_args *args)
{
	vty->term_width = (unsigned)strtoul(cmd_arg(args, "columns"), NULL, 10);
	return CMD_SUCCESS;
}

/*
 * terminal [no] history [size N]: IOS keeps the lines as typed, secrets
 * included, so `terminal no history` or size 0 is the way to keep none.
 * `terminal no history size` puts back the default size.
 */
static enum cmd_result
cmd_terminal_history(struct vty *vty, const struct cmd_args *args)
{
	const char *size = cmd_arg(args, "size");
	int keep = vty->history_size;

	if (cmd_has(args, "reset")) {
		vty_history_resize(vty, VTY_HISTORY_DEFAULT);
	} else if (size != NULL) {
		vty_history_resize(vty, (int)strtol(size, NULL, 10));
		vty->history_off = false;
	} else if (cmd_has(args, "no")) {
		/* Drops the lines kept so far, and keeps the size. */
		vty_history_resize(vty, 0);
		vty->history_size = keep;
		vty->history_off = true;
	} else {
		vty->history_off = false;
	}
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_terminal_monitor(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	if (vty->is_console) {
		vty_out(vty, "%% Console already monitors\n");
		return CMD_WARNING;
	}
	if (vty_set_monitor(vty, true) < 0) {
		vty_out(vty, "%% Cannot send log messages to this terminal\n");
		return CMD_ERROR;
	}
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_terminal_no_monitor(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	if (!vty->is_console)
		vty_set_monitor(vty, false);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_privilege(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	vty_out(vty, "Current privilege level is %u\n", vty->privilege);
	return CMD_SUCCESS;
}

/* Appends "N unit" or "N units" to BUF, comma-separated, when N > 0. */
static void
uptime_part(char *buf, size_t len, long n, const char *unit)
{
	size_t used = strlen(buf);

	if (n == 0 || used >= len)
		return;
	snprintf(buf + used, len - used, "%s%ld %s%s", used ? ", " : "", n,
		 unit, n == 1 ? "" : "s");
}

/* Formats SECONDS as IOS does: "1 day, 15 hours, 32 minutes". */
static void
format_uptime(long seconds, char *buf, size_t len)
{
	long minutes = seconds / 60;

	buf[0] = '\0';
	uptime_part(buf, len, minutes / (60 * 24 * 365), "year");
	minutes %= 60 * 24 * 365;
	uptime_part(buf, len, minutes / (60 * 24 * 7), "week");
	minutes %= 60 * 24 * 7;
	uptime_part(buf, len, minutes / (60 * 24), "day");
	minutes %= 60 * 24;
	uptime_part(buf, len, minutes / 60, "hour");
	uptime_part(buf, len, minutes % 60, "minute");
	if (buf[0] == '\0')
		snprintf(buf, len, "0 minutes");
}

static enum cmd_result
cmd_show_version(struct vty *vty, const struct cmd_args *args)
{
	char host[64] = "Router", uptime[128], restarted[64] = "unknown";
	time_t boot = vty->router ? vty->router->boot_time : 0;
	time_t now = time(NULL);
	struct tm tm;

	(void)args;
	if (vty->router && vty->router->cfg)
		cfg_hostname(vty->router->cfg, host, sizeof(host));
	format_uptime(boot ? (long)(now - boot) : 0, uptime, sizeof(uptime));
	if (boot && localtime_r(&boot, &tm))
		strftime(restarted, sizeof(restarted),
			 "%H:%M:%S %Z %a %b %-d %Y", &tm);

	vty_out(vty,
		"Cisco IOS XE Software, Version " IOS_XE_VERSION "\n"
		"Cisco IOS Software [Amsterdam], Virtual XE Software "
		"(X86_64_LINUX_IOSD-UNIVERSALK9-M), Version " IOS_VERSION
		", RELEASE SOFTWARE (fc3)\n"
		"vrouter virtual router, version " VROUTER_VERSION "\n"
		"This is vrouter, which follows the IOS XE CLI; it is not "
		"Cisco software.\n"
		"\n"
		"ROM: IOS-XE ROMMON\n"
		"\n"
		"%s uptime is %s\n"
		"Uptime for this control processor is %s\n"
		"System returned to ROM by reload\n"
		"System restarted at %s\n"
		"System image file is \"bootflash:vrouter\"\n"
		"Last reload reason: reload\n"
		"\n"
		"vrouter (x86_64) processor with virtual memory.\n"
		"Processor board ID VROUTER\n"
		"Configuration register is 0x2102\n"
		"\n",
		host, uptime, uptime, restarted);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_terminal(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	vty_out(vty, "Line %s, Location: \"%s\", Type: \"\"\n",
		vty->line_name, vty->peer);
	vty_out(vty, "Length: %u lines, Width: %u columns\n",
		vty->term_length, vty->term_width);
	vty_out(vty, "Status: Ready, Active%s%s\n",
		vty->term_length ? ", Automore On" : "",
		vty->monitor ? ", Monitoring" : "");
	vty_out(vty, "Capabilities: none\n");
	vty_out(vty, "Editing is enabled.\n");
	vty_out(vty, "History is %s, history size is %d.\n",
		vty->history_off ? "disabled" : "enabled", vty->history_size);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_history(struct vty *vty, const struct cmd_args *args)
{
	int i;

	(void)args;
	for (i = 0; i < vty->history_len; i++)
		vty_out(vty, "  %s\n", vty->history[i]);
	return CMD_SUCCESS;
}

/* Formats an idle time as IOS does: "00:01:05". */
static void
format_idle(time_t idle, char *buf, size_t len)
{
	snprintf(buf, len, "%02ld:%02ld:%02ld", (long)(idle / 3600 % 100),
		 (long)(idle / 60 % 60), (long)(idle % 60));
}

/* Prints one `show users` row for VTY into the session OUT. */
static void
show_user_line(void *out_vty, const struct vty *vty)
{
	struct vty *out = out_vty;
	time_t idle = time(NULL) -
		      __atomic_load_n(&vty->last_input, __ATOMIC_RELAXED);
	char idle_text[16];

	format_idle(vty == out ? 0 : idle, idle_text, sizeof(idle_text));
	vty_out(out, "%c%3u %-10s%-11s%-21s%-11s%s\n",
		vty == out ? '*' : ' ', vty_line_number(vty), vty->line_name,
		vty->user, "idle", idle_text, vty->peer);
}

static enum cmd_result
cmd_show_users(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	vty_out(vty, "    Line       User       Host(s)              Idle       Location\n");
	vty_session_foreach(show_user_line, vty);
	vty_out(vty, "\n  Interface    User               Mode         Idle     Peer Address\n\n");
	return CMD_SUCCESS;
}

struct line_table {
	struct vty *out;
	bool active[VTY_LINES_MAX + 1];	/* by IOS line number */
	unsigned self;
};

static void
mark_active(void *ctx, const struct vty *vty)
{
	struct line_table *t = ctx;
	unsigned n = vty_line_number(vty);

	if (n <= VTY_LINES_MAX)
		t->active[n] = true;
}

static enum cmd_result
cmd_show_line(struct vty *vty, const struct cmd_args *args)
{
	struct line_table t = { .out = vty, .self = vty_line_number(vty) };
	struct cfg *cfg = vty->router ? vty->router->cfg : NULL;
	unsigned count = aaa_vty_count(cfg, VTY_LINES_DEFAULT), n;

	(void)args;
	if (count > VTY_LINES_MAX)
		count = VTY_LINES_MAX;
	t.active[0] = vty->is_console;
	vty_session_foreach(mark_active, &t);
	vty_out(vty, "   Tty Typ     Tx/Rx    A Modem  Roty AccO AccI  Uses  "
		"Noise Overruns  Int\n");
	for (n = 0; n <= count; n++)
		vty_out(vty, "%c%5u %-3s              -    -      -    -    -  "
			"   -      0    0/0       -\n",
			t.active[n] ? '*' : ' ', n, n == 0 ? "CTY" : "VTY");
	vty_out(vty, "\nLine(s) not in async mode -or- with no hardware "
		"support:\n\n");
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_line(struct vty *vty, const struct cmd_args *args)
{
	unsigned n = (unsigned)strtoul(cmd_arg(args, "line"), NULL, 10);

	if (n == vty_line_number(vty) && !vty->is_console) {
		vty_out(vty, "%% Not allowed to clear current line\n");
		return CMD_WARNING;
	}
	if (!vty_confirm(vty, ""))
		return CMD_SUCCESS;
	if (n == 0 || vty_session_clear(n) < 0) {
		vty_out(vty, "%% Line %u is not in use\n", n);
		return CMD_WARNING;
	}
	vty_out(vty, " [OK]\n");
	return CMD_SUCCESS;
}

/*
 * `connect HOST` opens a telnet connection in IOS. vrouter has no name
 * resolution or outgoing telnet, so it fails as IOS does for a host that
 * does not resolve.
 */
static enum cmd_result
cmd_connect(struct vty *vty, const struct cmd_args *args)
{
	const char *host = cmd_arg(args, "host");

	cmd_print_unknown_host(vty, host, strlen(host));
	return CMD_WARNING;
}

/*
 * `show clock`, e.g. "*17:02:11.482 UTC Fri Dec 4 2026". The leading '*'
 * is IOS's mark for a clock that no NTP server set, which is always so
 * here: the time comes from the host.
 */
static enum cmd_result
cmd_show_clock(struct vty *vty, const struct cmd_args *args)
{
	struct timespec now;
	struct tm tm;
	char day[32];

	(void)args;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(day, sizeof(day), "%a %b", &tm);
	vty_out(vty, "*%02d:%02d:%02d.%03ld UTC %s %d %d\n", tm.tm_hour,
		tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000, day, tm.tm_mday,
		tm.tm_year + 1900);
	return CMD_SUCCESS;
}

#define SHOW_HELP "Show running system information\n"
#define TERM_HELP "Set terminal line parameters\n"

static const struct cmd_def user_cmds[] = {
	{ "enable", "Turn on privileged commands", cmd_enable, 0, 1 },
	{ "disable", "Turn off privileged commands", cmd_disable, 0, 1 },
	{ "connect WORD$host", "Open a terminal connection\n"
	  "IP address or hostname of a remote system", cmd_connect, 0, 1 },
	{ "logout", "Exit from the EXEC", cmd_logout, 0, 1 },
	{ "quit", "Exit from the EXEC", cmd_logout, CMD_HIDDEN, 1 },
	{ "terminal length <0-512>$lines",
	  TERM_HELP "Set number of lines on a screen\n"
	  "Number of lines on screen (0 for no pausing)",
	  cmd_terminal_length, 0, 1 },
	{ "terminal width <0-512>$columns",
	  TERM_HELP "Set width of the display terminal\n"
	  "Number of characters on a screen line",
	  cmd_terminal_width, 0, 1 },
	{ "terminal history size <0-256>$size",
	  TERM_HELP "Enable and control the command history function\n"
	  "Set history buffer size\nSize of history buffer",
	  cmd_terminal_history, 0, 1 },
	{ "terminal no$no history size$reset",
	  TERM_HELP "Negate a command or set its defaults\n"
	  "Enable and control the command history function\n"
	  "Set history buffer size",
	  cmd_terminal_history, 0, 1 },
	{ "terminal history",
	  TERM_HELP "Enable and control the command history function",
	  cmd_terminal_history, 0, 1 },
	{ "terminal no$no history",
	  TERM_HELP "Negate a command or set its defaults\n"
	  "Enable and control the command history function",
	  cmd_terminal_history, 0, 1 },
	{ "terminal monitor",
	  TERM_HELP "Copy debug output to the current terminal line",
	  cmd_terminal_monitor, 0, 1 },
	{ "terminal no monitor",
	  TERM_HELP "Negate a command or set its defaults\n"
	  "Copy debug output to the current terminal line",
	  cmd_terminal_no_monitor, 0, 1 },
	{ "show privilege", SHOW_HELP "Show current privilege level",
	  cmd_show_privilege, 0, 1 },
	{ "show version", SHOW_HELP "System hardware and software status",
	  cmd_show_version, 0, 1 },
	{ "show terminal", SHOW_HELP "Display terminal configuration parameters",
	  cmd_show_terminal, 0, 1 },
	{ "show users", SHOW_HELP "Display information about terminal lines",
	  cmd_show_users, 0, 1 },
	{ "show history", SHOW_HELP "Display the session command history",
	  cmd_show_history, 0, 1 },
	{ "show line", SHOW_HELP "TTY line information", cmd_show_line, 0,
	  1 },
	{ "show clock", SHOW_HELP "Display the system clock", cmd_show_clock,
	  0, 1 },
};

static const struct cmd_def priv_cmds[] = {
	{ "configure [terminal]$terminal",
	  "Enter configuration mode\nConfigure from the terminal",
	  cmd_configure, 0, 15 },
	{ "clear line <0-100>$line",
	  "Reset functions\nReset a terminal line\nLine number",
	  cmd_clear_line, 0, 15 },
};

void
cmd_exec_install(void)
{
	size_t i;

	for (i = 0; i < sizeof(user_cmds) / sizeof(user_cmds[0]); i++)
		cmd_install(MODE_USER_EXEC, &user_cmds[i]);
	for (i = 0; i < sizeof(priv_cmds) / sizeof(priv_cmds[0]); i++)
		cmd_install(MODE_PRIV_EXEC, &priv_cmds[i]);
	cmd_line_install();
}
