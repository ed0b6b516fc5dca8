/*
 * `replay capture FILE interface IFNAME`: feeds a pcap capture into an
 * interface's ingress while the router runs, as --replay does at start.
 * IOS has no such command; it exists so that a captured fault can be
 * played into a running router from any session.
 */
#include <stdio.h>

#include "cli/cmd_config.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/router.h"
#include "datapath/datapath.h"

static enum cmd_result
replay_capture(struct vty *vty, const struct cmd_args *args)
{
	const char *path = cmd_arg(args, "file");
	char ifname[64];
	char err[256];

	if (!cc_ifname(cmd_arg(args, "type"), cmd_arg(args, "number"), ifname,
		       sizeof(ifname))) {
		vty_out(vty, "%% Invalid interface name: %s\n",
			cmd_arg(args, "type"));
		return CMD_WARNING;
	}
	if (vty->router == NULL || vty->router->dp == NULL) {
		vty_out(vty, "%% The datapath is not running\n");
		return CMD_ERROR;
	}
	if (!cc_interface_exists(vty->router->cfg, ifname)) {
		vty_out(vty, "%% Interface %s does not exist; configure it "
			"first\n", ifname);
		return CMD_WARNING;
	}
	if (dp_replay(vty->router->dp, ifname, path, err, sizeof(err)) < 0) {
		vty_out(vty, "%% Cannot replay %s\n", err);
		return CMD_ERROR;
	}
	vty_out(vty, "Replaying %s into %s\n", path, ifname);
	return CMD_SUCCESS;
}

static const struct cmd_def replay_capture_def = {
	.syntax = "replay capture WORD$file interface WORD$type [WORD$number]",
	.help = "Feed a capture into the datapath\n"
		"Packets from a pcap file\n"
		"Path of the pcap file\n"
		"Interface whose ingress receives the packets\n"
		"Interface name, e.g. GigabitEthernet1 or gi1\n"
		"Interface number when the name is given apart",
	.fn = replay_capture,
	.privilege = 15,
};

void
cmd_replay_install(void)
{
	cmd_install(MODE_PRIV_EXEC, &replay_capture_def);
}
