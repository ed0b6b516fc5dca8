/*
 * Logging commands: `show logging` and `clear logging`. The debug
 * switches live in cmd_debug.c and are installed from here.
 *
 * TODO: `logging buffered|console|monitor` and their `no` forms, once the
 * YANG model has logging nodes to store them in; log_set_buffer() and
 * friends already apply them.
 */
#include "cli/cmd_debug.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/log.h"

#include <inttypes.h>

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
	vty_out(vty, "Syslog logging: enabled (0 messages dropped, %" PRIu64
		" messages rate-limited, 0 flushes, 0 overruns, xml disabled, filtering disabled)\n\n",
		st.rate_limited);
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
	vty_out(vty, "    Trap logging: level informational, %" PRIu64
		" message lines logged\n", st.trap_logged);
	vty_out(vty, "        Logging Source-Interface:       VRF Name:\n\n");
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
	cmd_debug_install();
}
