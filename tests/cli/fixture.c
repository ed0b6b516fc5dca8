/*
 * Fixture commands that reproduce the keyword sets of an IOS XE router
 * where the error and help cases under test depend on them (for example
 * `connect` next to `configure`, `shell` next to `show`).
 */
#include "fixture.h"

#include <stdio.h>
#include <string.h>

struct fixture_call fixture_last;

static void
record(const struct cmd_args *args, const char *const *names)
{
	size_t len = 0;
	int i;

	memset(&fixture_last, 0, sizeof(fixture_last));
	fixture_last.calls++;
	for (i = 0; i < cmd_argc(args); i++)
		len += (size_t)snprintf(fixture_last.words + len,
					sizeof(fixture_last.words) - len,
					"%s%s", i ? " " : "",
					cmd_argv(args, i));
	for (i = 0; names != NULL && names[i] != NULL; i++) {
		const char *v = cmd_arg(args, names[i]);

		snprintf(fixture_last.args[i], sizeof(fixture_last.args[i]),
			 "%s=%s", names[i], v ? v : "(none)");
	}
}

static enum cmd_result
plain(struct vty *vty, const struct cmd_args *args)
{
	(void)vty;
	record(args, NULL);
	return CMD_SUCCESS;
}

static enum cmd_result
show_version(struct vty *vty, const struct cmd_args *args)
{
	record(args, NULL);
	vty_out(vty, "Cisco IOS XE Software, Version 17.03.04a\n"
		"cisco CSR1000V (VXE) processor\n");
	return CMD_SUCCESS;
}

static enum cmd_result
show_running(struct vty *vty, const struct cmd_args *args)
{
	record(args, NULL);
	vty_out(vty, "%s", FIXTURE_RUNNING);
	return CMD_SUCCESS;
}

static enum cmd_result
send_line(struct vty *vty, const struct cmd_args *args)
{
	static const char *const names[] = { "LINE", NULL };

	record(args, names);
	vty_out(vty, "sent\n");
	return CMD_SUCCESS;
}

static enum cmd_result
named(struct vty *vty, const struct cmd_args *args)
{
	static const char *const names[] = { "n", "ip", "host", "name",
		"all", "cipher", "priority", "opt", NULL };

	(void)vty;
	record(args, names);
	return CMD_SUCCESS;
}

static enum cmd_result
interface(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "WORD");

	record(args, NULL);
	if (strcmp(name, "bad") == 0) {
		vty_out(vty, "%% Invalid interface type and number\n");
		return CMD_ERROR;
	}
	if (vty_enter_mode(vty, MODE_CONFIG_IF, NULL) < 0)
		return CMD_ERROR;
	return CMD_SUCCESS;
}

static enum cmd_result
isakmp_policy(struct vty *vty, const struct cmd_args *args)
{
	record(args, NULL);
	if (vty_enter_mode(vty, MODE_CONFIG_ISAKMP, NULL) < 0)
		return CMD_ERROR;
	return CMD_SUCCESS;
}

#define DEF(n, s, h, f, fl, p) \
	static const struct cmd_def n = { s, h, f, fl, p }

DEF(connect_def, "connect WORD",
    "Open a terminal connection\nIP address or hostname of a remote system",
    plain, 0, 0);
DEF(send_def, "send LINE", "Send a message to other tty lines\nMessage",
    send_line, 0, 0);
DEF(show_version_def, "show version",
    "Show running system information\nSystem hardware and software status",
    show_version, 0, 0);
DEF(show_redundancy_def, "show redundancy",
    "Show running system information\nshow redundancy information",
    plain, 0, 0);
DEF(show_ip_route_def, "show ip route",
    "Show running system information\nIP information\nIP routing table",
    plain, 0, 0);
DEF(show_ip_if_def, "show ip interface brief",
    "Show running system information\nIP information\n"
    "IP interface status and configuration\nBrief summary of IP status "
    "and configuration", plain, 0, 0);
DEF(show_ipv6_route_def, "show ipv6 route",
    "Show running system information\nIPv6 information\n"
    "Show IPv6 route table entries", plain, 0, 0);
DEF(show_inventory_def, "show inventory",
    "Show running system information\nShow the physical inventory",
    plain, 0, 0);
DEF(clear_line_def, "clear line <0-530>",
    "Reset functions\nReset a terminal line\nLine number", plain, 0, 0);
DEF(terminal_length_def, "terminal length <0-512>",
    "Set terminal line parameters\nSet number of lines on a screen\n"
    "Number of lines on screen (0 for no pausing)", plain, 0, 0);
DEF(hidden_def, "service-internal-dump", "Dump internal state",
    plain, CMD_HIDDEN, 0);

DEF(configure_def, "configure terminal",
    "Enter configuration mode\nConfigure from the terminal", plain, 0, 0);
DEF(show_running_def, "show running-config",
    "Show running system information\nCurrent operating configuration",
    show_running, CMD_FORMAT, 0);
DEF(show_ip_community_def, "show ip community-list",
    "Show running system information\nIP information\n"
    "List community-list", plain, 0, 0);
DEF(show_nopipe_def, "show nopipe",
    "Show running system information\nOutput that takes no filter",
    show_version, CMD_NO_PIPE, 0);
DEF(test_kw_def, "test kw (all|WORD$name)",
    "Test commands\nKeyword or word\nEvery item\nItem name", named, 0, 0);
DEF(test_num_def, "test num (<1-100>$n|100abc)",
    "Test commands\nNumber or keyword\nA number\nA keyword", named, 0, 0);
DEF(test_addr_def, "test addr (A.B.C.D$ip|WORD$host)",
    "Test commands\nAddress or name\nAn address\nA host name", named, 0, 0);
DEF(test_prefix_def, "test prefix (A.B.C.D/M|X:X::X:X/M|X:X::X:X|HEX)",
    "Test commands\nPrefix or address\nIPv4 prefix\nIPv6 prefix\n"
    "IPv6 address\nHexadecimal string", named, 0, 0);
DEF(test_opt_def, "test opt [extra [more]]$opt",
    "Test commands\nOptional groups\nFirst optional word\n"
    "Nested optional word", named, 0, 0);
DEF(test_long_def, "test long-help",
    "Test commands\nA help text long enough to wrap at eighty columns "
    "on the screen of the terminal that shows it", plain, 0, 0);

DEF(hostname_def, "hostname WORD",
    "Set system's network name\nThis system's network name", plain, 0, 0);
DEF(shell_def, "shell processing full",
    "Configure shell command\nProcess shell scripts\n"
    "Enable shell processing fully", plain, 0, 0);
DEF(terminal_queue_def, "terminal-queue entry-retry-interval <0-1000>",
    "Terminal queue commands\nSet the terminal queue retry interval\n"
    "Retry interval in seconds", plain, 0, 0);
DEF(dial_peer_def, "dial-peer cor custom",
    "Dial Map (Peer) configuration commands\nClass of Restriction\n"
    "Custom COR names", plain, 0, 0);
DEF(configuration_def, "configuration mode exclusive",
    "Configuration access\nSet configuration locking mode\n"
    "Exclusive mode", plain, 0, 0);
DEF(logging_host_def, "logging A.B.C.D",
    "Modify message logging facilities\nIP address of the logging host",
    plain, 0, 0);
DEF(logging_buffered_def, "logging buffered [<4096-2147483647>]",
    "Modify message logging facilities\nSet buffered logging parameters\n"
    "Logging buffer size", plain, 0, 0);
DEF(interface_def, "interface WORD",
    "Select an interface to configure\nInterface name", interface, 0, 0);
DEF(isakmp_def, "crypto isakmp policy <1-10000>$priority",
    "Encryption module\nConfigure ISAKMP policy\n"
    "Set policy for an ISAKMP protection suite\nPriority of protection suite",
    isakmp_policy, 0, 0);

DEF(shutdown_def, "shutdown", "Shutdown the selected interface", plain, 0, 0);
DEF(ip_address_def, "ip address A.B.C.D A.B.C.D",
    "Interface Internet Protocol config commands\nSet the IP address of an "
    "interface\nIP address\nIP subnet mask", plain, 0, 0);
DEF(description_def, "description LINE",
    "Interface specific description\nUp to 240 characters describing this "
    "interface", send_line, 0, 0);

DEF(encryption_def, "encryption (aes|3des)$cipher",
    "Set encryption algorithm for protection suite\nAES - Advanced "
    "Encryption Standard\nThree key triple DES", named, 0, 0);
DEF(hash_def, "hash (sha|md5)",
    "Set hash algorithm for protection suite\nSecure Hash Standard\n"
    "Message Digest 5", plain, 0, 0);

void
fixture_install(void)
{
	static const struct {
		enum cmd_mode mode;
		const struct cmd_def *def;
	} all[] = {
		{ MODE_USER_EXEC, &connect_def },
		{ MODE_USER_EXEC, &send_def },
		{ MODE_USER_EXEC, &show_version_def },
		{ MODE_USER_EXEC, &show_redundancy_def },
		{ MODE_USER_EXEC, &show_ip_route_def },
		{ MODE_USER_EXEC, &show_ip_if_def },
		{ MODE_USER_EXEC, &show_ipv6_route_def },
		{ MODE_USER_EXEC, &show_inventory_def },
		{ MODE_USER_EXEC, &clear_line_def },
		{ MODE_USER_EXEC, &terminal_length_def },
		{ MODE_USER_EXEC, &hidden_def },
		{ MODE_PRIV_EXEC, &configure_def },
		{ MODE_PRIV_EXEC, &show_running_def },
		{ MODE_PRIV_EXEC, &show_ip_community_def },
		{ MODE_PRIV_EXEC, &show_nopipe_def },
		{ MODE_PRIV_EXEC, &test_kw_def },
		{ MODE_PRIV_EXEC, &test_num_def },
		{ MODE_PRIV_EXEC, &test_addr_def },
		{ MODE_PRIV_EXEC, &test_opt_def },
		{ MODE_PRIV_EXEC, &test_prefix_def },
		{ MODE_PRIV_EXEC, &test_long_def },
		{ MODE_CONFIG, &hostname_def },
		{ MODE_CONFIG, &shell_def },
		{ MODE_CONFIG, &terminal_queue_def },
		{ MODE_CONFIG, &dial_peer_def },
		{ MODE_CONFIG, &configuration_def },
		{ MODE_CONFIG, &logging_host_def },
		{ MODE_CONFIG, &logging_buffered_def },
		{ MODE_CONFIG, &interface_def },
		{ MODE_CONFIG, &isakmp_def },
		{ MODE_CONFIG_IF, &shutdown_def },
		{ MODE_CONFIG_IF, &ip_address_def },
		{ MODE_CONFIG_IF, &description_def },
		{ MODE_CONFIG_ISAKMP, &encryption_def },
		{ MODE_CONFIG_ISAKMP, &hash_def },
	};
	size_t i;

	memset(&fixture_last, 0, sizeof(fixture_last));
	cmd_install_standard();
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		cmd_install(all[i].mode, all[i].def);
}
