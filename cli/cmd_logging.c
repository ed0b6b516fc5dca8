/*
 * Logging commands: `show logging`, `clear logging`, and the `logging
 * ...` and `service timestamps|sequence-numbers` config commands. The
 * config commands only edit /vrouter-config:logging; log_config_apply()
 * applies the result to the logger. The debug switches live in
 * cmd_debug.c and the EEM commands in cmd_eem.c; both are installed from
 * here.
 */
#include "cli/cmd_config.h"
#include "cli/cmd_debug.h"
#include "cli/cmd_eem.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define LX CC_M "logging/"

/* One "    Console logging: ..." row of the header, as IOS XE prints it. */
static void
show_destination(struct vty *vty, const char *title, const char *indent,
		 enum log_severity level, uint64_t logged)
{
	if (level == LOG_SEV_OFF) {
		vty_out(vty, "    %s logging: disabled\n", title);
		return;
	}
	vty_out(vty, "    %s logging: level %s, %" PRIu64
		" messages logged, xml disabled,\n", title,
		log_severity_name(level), logged);
	vty_out(vty, "%sfiltering disabled\n", indent);
}

/*
 * One "Logging to A (udp port P, ...)" block of the trap section.
 * NOTE: the layout follows IOS XE 16/17 output as commonly printed; the
 * reference transcripts at hand stop before the trap section.
 */
static void
show_host(void *ctx, const struct log_host *h)
{
	struct vty *vty = ctx;

	vty_out(vty, "        Logging to %s  (udp port %u, audit disabled,\n"
		"              link up),\n"
		"              %" PRIu64 " message lines logged, \n"
		"              0 message lines rate-limited, \n"
		"              0 message lines dropped-by-MD, \n"
		"              xml disabled, sequence number disabled\n"
		"              filtering disabled\n",
		h->address, h->port, h->logged);
	if (h->format == LOG_HOST_RFC5424)
		vty_out(vty, "              syslog-format rfc5424\n");
}

static void
show_line(void *ctx, const char *line)
{
	vty_out(ctx, "%s\n", line);
}

static enum cmd_result
cmd_show_logging(struct vty *vty, const struct cmd_args *args)
{
	struct log_stats st;

	(void)args;
	log_get_stats(&st);
	vty_out(vty, "Syslog logging: enabled (%" PRIu64
		" messages dropped, %" PRIu64
		" messages rate-limited, 0 flushes, 0 overruns, xml disabled, filtering disabled)\n\n",
		st.dropped, st.rate_limited);
	vty_out(vty, "No Active Message Discriminator.\n\n\n\n");
	vty_out(vty, "No Inactive Message Discriminator.\n\n\n");
	show_destination(vty, "Console", "                     ",
			 st.console_level, st.console_logged);
	show_destination(vty, "Monitor", "                     ",
			 st.monitor_level, st.monitor_logged);

	/* IOS aligns the buffer row one column further and its tail less. */
	if (st.buffer_level == LOG_SEV_OFF)
		vty_out(vty, "    Buffer logging:  disabled, xml disabled,\n"
			"                    filtering disabled\n");
	else
		vty_out(vty, "    Buffer logging:  level %s, %" PRIu64
			" messages logged, xml disabled,\n"
			"                    filtering disabled\n",
			log_severity_name(st.buffer_level), st.buffer_logged);
	vty_out(vty, "    Exception Logging: size (4096 bytes)\n"
		"    Count and timestamp logging messages: disabled\n"
		"    Persistent logging: disabled\n\n"
		"No active filter modules.\n\n");
	if (st.trap_level == LOG_SEV_OFF)
		vty_out(vty, "    Trap logging: disabled\n");
	else
		vty_out(vty, "    Trap logging: level %s, %" PRIu64
			" message lines logged\n",
			log_severity_name(st.trap_level), st.trap_logged);
	log_hosts_foreach(show_host, vty);
	vty_out(vty, "        Logging Source-Interface:       VRF Name:\n");
	if (st.source_interface[0] != '\0')
		vty_out(vty, "        %-31s\n", st.source_interface);
	vty_out(vty, "\n");
	vty_out(vty, "Log Buffer (%zu bytes):\n", st.buffer_size);
	log_buffer_foreach(show_line, vty);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_logging(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	if (vty_confirm(vty, "Clear logging buffer [confirm]"))
		log_buffer_clear();
	return CMD_SUCCESS;
}

/* Level keyword of the selection named "level", or NULL when not typed. */
static const char *
level_arg(const struct cmd_args *args, const char *name)
{
	const char *v = cmd_arg(args, name);

	if (v == NULL)
		return NULL;
	return log_severity_name(log_severity_parse(v));
}

/* Sets LEAF to the typed level, or DEF when none was typed (NULL: delete). */
static enum cmd_result
set_level(struct vty *vty, const struct cmd_args *args, const char *leaf,
	  const char *def)
{
	const char *level = level_arg(args, "level");
	struct cc_txn t;

	if (level == NULL)
		level = def;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (level != NULL)
		cc_set(&t, level, LX "%s", leaf);
	else
		cc_del(&t, LX "%s", leaf);
	return cc_commit(&t);
}

static enum cmd_result
set_disabled(struct vty *vty, const char *leaf)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, "disabled", LX "%s", leaf);
	return cc_commit(&t);
}

static enum cmd_result
logging_buffered(struct vty *vty, const struct cmd_args *args)
{
	const char *size = cmd_arg(args, "size");
	struct cc_txn t;
	const char *level = level_arg(args, "level");

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (size != NULL)
		cc_set(&t, size, LX "buffered-size");
	if (level != NULL)
		cc_set(&t, level, LX "buffered-level");
	else
		cc_del(&t, LX "buffered-level");
	return cc_commit(&t);
}

static enum cmd_result
no_logging_buffered(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return set_disabled(vty, "buffered-level");
}

static enum cmd_result
logging_console(struct vty *vty, const struct cmd_args *args)
{
	return set_level(vty, args, "console-level", NULL);
}

static enum cmd_result
no_logging_console(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return set_disabled(vty, "console-level");
}

static enum cmd_result
logging_monitor(struct vty *vty, const struct cmd_args *args)
{
	return set_level(vty, args, "monitor-level", NULL);
}

static enum cmd_result
no_logging_monitor(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return set_disabled(vty, "monitor-level");
}

static enum cmd_result
logging_trap(struct vty *vty, const struct cmd_args *args)
{
	return set_level(vty, args, "trap-level", NULL);
}

static enum cmd_result
no_logging_trap(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return set_disabled(vty, "trap-level");
}

static enum cmd_result
logging_host(struct vty *vty, const struct cmd_args *args)
{
	const char *addr = cmd_arg(args, "addr");
	const char *port = cmd_arg(args, "port");
	const char *fmt = cmd_arg(args, "format");
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, LX "host[address='%s']", addr);
	cc_set(&t, NULL, LX "host[address='%s']", addr);
	if (port != NULL)
		cc_set(&t, port, LX "host[address='%s']/port", addr);
	if (fmt != NULL)
		cc_set(&t, fmt, LX "host[address='%s']/format", addr);
	return cc_commit(&t);
}

static enum cmd_result
no_logging_host(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, LX "host[address='%s']", cmd_arg(args, "addr"));
	return cc_commit(&t);
}

static enum cmd_result
logging_source(struct vty *vty, const struct cmd_args *args)
{
	char name[64];
	struct cc_txn t;

	if (!cc_ifname(cmd_arg(args, "type"), cmd_arg(args, "number"), name,
		       sizeof(name))) {
		cc_invalid_input(vty, cc_column(args, 2, 0));
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, name, LX "source-interface");
	return cc_commit(&t);
}

/* Deletes the leaves named in the NULL-ended list LEAVES. */
static enum cmd_result
delete_leaves(struct vty *vty, const char *const *leaves)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	for (; *leaves != NULL; leaves++)
		cc_del(&t, LX "%s", *leaves);
	return cc_commit(&t);
}

static enum cmd_result
no_logging_source(struct vty *vty, const struct cmd_args *args)
{
	static const char *const leaves[] = { "source-interface", NULL };

	(void)args;
	return delete_leaves(vty, leaves);
}

static enum cmd_result
logging_rate_limit(struct vty *vty, const struct cmd_args *args)
{
	const char *except = level_arg(args, "level");
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, cmd_arg(args, "rate"), LX "rate-limit");
	if (except != NULL)
		cc_set(&t, except, LX "rate-limit-except");
	else
		cc_del(&t, LX "rate-limit-except");
	return cc_commit(&t);
}

static enum cmd_result
no_logging_rate_limit(struct vty *vty, const struct cmd_args *args)
{
	static const char *const leaves[] = {
		"rate-limit-except", "rate-limit", NULL
	};

	(void)args;
	return delete_leaves(vty, leaves);
}

static enum cmd_result
service_timestamps(struct vty *vty, const struct cmd_args *args)
{
	const char *kind = cmd_arg(args, "kind");
	const char *type = cmd_arg(args, "type");
	static const char *const flags[] = {
		"msec", "localtime", "show-timezone"
	};
	struct cc_txn t;
	size_t i;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, LX "timestamps-%s", kind);
	cc_set(&t, type, LX "timestamps-%s/type", kind);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(type, "datetime") == 0 && cmd_has(args, flags[i]))
			cc_set(&t, NULL, LX "timestamps-%s/%s", kind,
			       flags[i]);
	return cc_commit(&t);
}

static enum cmd_result
no_service_timestamps(struct vty *vty, const struct cmd_args *args)
{
	const char *kind = cmd_arg(args, "kind");
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (kind == NULL || strcmp(kind, "log") == 0) {
		cc_del(&t, LX "timestamps-log");
		cc_set(&t, "none", LX "timestamps-log/type");
	}
	if (kind == NULL || strcmp(kind, "debug") == 0) {
		cc_del(&t, LX "timestamps-debug");
		cc_set(&t, "none", LX "timestamps-debug/type");
	}
	return cc_commit(&t);
}

static enum cmd_result
service_sequence(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, NULL, LX "sequence-numbers");
	return cc_commit(&t);
}

static enum cmd_result
no_service_sequence(struct vty *vty, const struct cmd_args *args)
{
	static const char *const leaves[] = { "sequence-numbers", NULL };

	(void)args;
	return delete_leaves(vty, leaves);
}

/* A severity as a keyword or a number, with one help line each. */
#define LEVELS "(alerts|critical|debugging|emergencies|errors|" \
	"informational|notifications|warnings|<0-7>)$level"
#define LEVELS_HELP \
	"Immediate action needed           (severity=1)\n" \
	"Critical conditions               (severity=2)\n" \
	"Debugging messages                (severity=7)\n" \
	"System is unusable                (severity=0)\n" \
	"Error conditions                  (severity=3)\n" \
	"Informational messages            (severity=6)\n" \
	"Normal but significant conditions (severity=5)\n" \
	"Warning conditions                (severity=4)\n" \
	"Logging severity level"
#define LOGGING_HELP "Modify message logging facilities\n"
#define NO_HELP "Negate a command or set its defaults\n"
#define BUFFERED_HELP "Set buffered logging parameters\n"
#define CONSOLE_HELP "Set console logging parameters\n"
#define MONITOR_HELP "Set terminal line (monitor) logging parameters\n"
#define TRAP_HELP "Set syslog server logging level\n"
#define HOST_HELP "Set syslog server IP address and parameters\n" \
	"IP address of the syslog server\n"
#define SOURCE_HELP "Specify interface for source address in logging " \
	"transactions\n"
#define RATE_HELP "Set messages per second limit\n"
#define SERVICE_HELP "Modify use of network based services\n"
#define STAMP_HELP "Timestamp debug/log messages\n" \
	"Timestamp log messages\nTimestamp debug messages\n"

static const struct cmd_def logging_config_cmds[] = {
	{ "logging buffered [<4096-2147483647>$size] [" LEVELS "]",
	  LOGGING_HELP BUFFERED_HELP "Logging buffer size\n" LEVELS_HELP,
	  logging_buffered, 0, 0 },
	{ "no logging buffered [LINE]",
	  NO_HELP LOGGING_HELP BUFFERED_HELP "Ignored arguments",
	  no_logging_buffered, 0, 0 },
	{ "logging console [" LEVELS "]",
	  LOGGING_HELP CONSOLE_HELP LEVELS_HELP, logging_console, 0, 0 },
	{ "no logging console [LINE]",
	  NO_HELP LOGGING_HELP CONSOLE_HELP "Ignored arguments",
	  no_logging_console, 0, 0 },
	{ "logging monitor [" LEVELS "]",
	  LOGGING_HELP MONITOR_HELP LEVELS_HELP, logging_monitor, 0, 0 },
	{ "no logging monitor [LINE]",
	  NO_HELP LOGGING_HELP MONITOR_HELP "Ignored arguments",
	  no_logging_monitor, 0, 0 },
	{ "logging trap [" LEVELS "]",
	  LOGGING_HELP TRAP_HELP LEVELS_HELP, logging_trap, 0, 0 },
	{ "no logging trap [LINE]",
	  NO_HELP LOGGING_HELP TRAP_HELP "Ignored arguments",
	  no_logging_trap, 0, 0 },
	{ "logging host A.B.C.D$addr [transport udp port <1-65535>$port] "
	  "[syslog-format (rfc3164|rfc5424)$format]",
	  LOGGING_HELP HOST_HELP
	  "Specify the transport protocol (default=UDP)\n"
	  "UDP based logging\nSpecify the UDP port (default=514)\n"
	  "Port number\n"
	  "Message format (vrouter extension; default rfc3164)\n"
	  "BSD syslog format of RFC 3164\nSyslog format of RFC 5424",
	  logging_host, 0, 0 },
	{ "no logging host A.B.C.D$addr [LINE]",
	  NO_HELP LOGGING_HELP HOST_HELP "Ignored arguments",
	  no_logging_host, 0, 0 },
	{ "logging source-interface WORD$type [WORD$number]",
	  LOGGING_HELP SOURCE_HELP "Interface type\nInterface number",
	  logging_source, 0, 0 },
	{ "no logging source-interface [LINE]",
	  NO_HELP LOGGING_HELP SOURCE_HELP "Ignored arguments",
	  no_logging_source, 0, 0 },
	{ "logging rate-limit <1-10000>$rate [except " LEVELS "]",
	  LOGGING_HELP RATE_HELP "Messages per second\n"
	  "Messages of this severity or higher are not limited\n"
	  LEVELS_HELP, logging_rate_limit, 0, 0 },
	{ "no logging rate-limit [LINE]",
	  NO_HELP LOGGING_HELP RATE_HELP "Ignored arguments",
	  no_logging_rate_limit, 0, 0 },
	{ "service timestamps (log|debug)$kind (datetime)$type [msec] "
	  "[localtime] [show-timezone]",
	  SERVICE_HELP STAMP_HELP
	  "Timestamp with date and time\n"
	  "Include milliseconds in timestamp\n"
	  "Use local time zone for timestamps\n"
	  "Add time zone information to timestamp",
	  service_timestamps, 0, 0 },
	{ "service timestamps (log|debug)$kind (uptime)$type",
	  SERVICE_HELP STAMP_HELP "Timestamp with system uptime",
	  service_timestamps, 0, 0 },
	{ "no service timestamps [(log|debug)$kind] [LINE]",
	  NO_HELP SERVICE_HELP STAMP_HELP "Ignored arguments",
	  no_service_timestamps, 0, 0 },
	{ "service sequence-numbers",
	  SERVICE_HELP "Stamp logger messages with a sequence number",
	  service_sequence, 0, 0 },
	{ "no service sequence-numbers",
	  NO_HELP SERVICE_HELP
	  "Stamp logger messages with a sequence number",
	  no_service_sequence, 0, 0 },
};

static const struct cmd_def logging_cmds[] = {
	{ "show logging",
	  "Show running system information\n"
	  "Show the contents of logging buffers",
	  cmd_show_logging, 0, 15 },
	{ "clear logging",
	  "Reset functions\nClear logging buffer",
	  cmd_clear_logging, 0, 15 },
};

void
cmd_logging_install(void)
{
	size_t i;

	for (i = 0; i < sizeof(logging_cmds) / sizeof(logging_cmds[0]); i++)
		cmd_install(MODE_PRIV_EXEC, &logging_cmds[i]);
	CC_INSTALL(MODE_CONFIG, logging_config_cmds);
	cmd_debug_install();
	cmd_eem_install();
}
