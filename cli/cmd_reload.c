/*
 * `reload`: restarts the router as IOS does, asking first whether to
 * save a running config that differs from the startup-config. The
 * process stops its parts and runs its own binary again with the same
 * arguments (see main()). Every SA, IKE SA and counter is lost, as on a
 * router that reboots, and the PID stays the same for a supervisor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/log.h"
#include "core/router.h"

/* True when the running config differs from the one loaded or saved. */
static bool
running_modified(struct router *r)
{
	char *running;
	bool modified;

	if (r->startup_config_path == NULL)
		return false;
	running = cfg_render_ios(r->cfg);
	modified = router_config_differs(r, running);
	cfg_text_free(running);
	return modified;
}

static enum cmd_result
reload(struct vty *vty, const struct cmd_args *args)
{
	struct router *r = vty->router;
	char line[sizeof(vty->line_name)];
	char reply[16];
	size_t i, n = 0;

	(void)args;
	if (r == NULL) {
		vty_out(vty, "%% Reload is not possible here\n");
		return CMD_ERROR;
	}
	if (running_modified(r)) {
		/* vty_ask() writes its prompt raw, so the blank line that
		 * IOS prints first goes through vty_out(). */
		vty_out(vty, "\n");
		if (vty_ask(vty, "System configuration has been modified. "
			    "Save? [yes/no]: ", reply, sizeof(reply)) < 0)
			return CMD_SUCCESS;
		if (strcasecmp(reply, "yes") == 0 || strcasecmp(reply, "y") == 0) {
			if (cmd_execute(vty, "write memory", 0) != CMD_SUCCESS)
				return CMD_WARNING;
		} else if (strcasecmp(reply, "no") != 0 &&
			   strcasecmp(reply, "n") != 0) {
			vty_out(vty, "%% Please answer 'yes' or 'no'.\n");
			return CMD_WARNING;
		}
	}
	if (!vty_confirm(vty, "Proceed with reload? "))
		return CMD_SUCCESS;

	/* "vty 0" as IOS names it in this message: "vty0". */
	for (i = 0; vty->line_name[i] != '\0'; i++)
		if (vty->line_name[i] != ' ')
			line[n++] = vty->line_name[i];
	line[n] = '\0';
	log_msg(LOGMSG_SYS_RELOAD, "Reload requested by %s on %s. Reload "
		"Reason: %s.", vty->user[0] != '\0' ? vty->user : "console",
		line, "Reload Command");
	r->reload_requested = true;
	router_request_stop(r);
	return CMD_SUCCESS;
}

static const struct cmd_def reload_def = {
	.syntax = "reload",
	.help = "Halt and perform a cold restart",
	.fn = reload,
	.privilege = 15,
};

void
cmd_reload_install(void)
{
	cmd_install(MODE_PRIV_EXEC, &reload_def);
}
