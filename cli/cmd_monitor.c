/*
 * Embedded Packet Capture as IOS XE has it, in privileged EXEC:
 *
 *   monitor capture NAME interface IF in|out|both
 *   monitor capture NAME match ipv4 any any | access-list ACL
 *   monitor capture NAME buffer size MB
 *   monitor capture NAME start|stop|clear
 *   monitor capture NAME export FILE
 *   no monitor capture NAME
 *   show monitor capture [NAME [buffer [brief]]]
 *
 * The capture points live in the datapath (dp_capture_op()); export
 * writes a pcap of raw IP packets that tcpdump and tshark read. A
 * "flash:" or "bootflash:" prefix names the router's working directory.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/router.h"
#include "datapath/datapath.h"

static struct dp *
datapath(struct vty *vty)
{
	if (vty->router == NULL || vty->router->dp == NULL) {
		vty_out(vty, "%% The datapath is not running\n");
		return NULL;
	}
	return vty->router->dp;
}

/* Applies OP with CFG and prints the datapath's reason on failure. */
static enum cmd_result
apply(struct vty *vty, enum dp_capture_op op, const struct dp_capture_cfg *cfg)
{
	struct dp *dp = datapath(vty);
	char err[160] = "";

	if (dp == NULL)
		return CMD_ERROR;
	if (dp_capture_op(dp, op, cfg, err, sizeof(err)) < 0) {
		vty_out(vty, "%% %s\n", err);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

static void
named(struct dp_capture_cfg *cfg, const struct cmd_args *args)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "%s", cmd_arg(args, "name"));
}

static enum cmd_result
cmd_capture_interface(struct vty *vty, const struct cmd_args *args)
{
	struct dp_capture_cfg cfg;
	const char *dir = cmd_arg(args, "dir");

	named(&cfg, args);
	if (!cc_ifname(cmd_arg(args, "type"), cmd_arg(args, "number"),
		       cfg.ifname, sizeof(cfg.ifname))) {
		vty_out(vty, "%% Invalid interface name: %s\n",
			cmd_arg(args, "type"));
		return CMD_WARNING;
	}
	cfg.dir = strcmp(dir, "in") == 0 ? DP_CAPTURE_IN :
		  strcmp(dir, "out") == 0 ? DP_CAPTURE_OUT : DP_CAPTURE_BOTH;
	return apply(vty, DP_CAPTURE_SET, &cfg);
}

static enum cmd_result
cmd_capture_match_any(struct vty *vty, const struct cmd_args *args)
{
	struct dp_capture_cfg cfg;

	named(&cfg, args);
	cfg.match_any = true;
	return apply(vty, DP_CAPTURE_SET, &cfg);
}

static enum cmd_result
cmd_capture_acl(struct vty *vty, const struct cmd_args *args)
{
	struct dp_capture_cfg cfg;

	named(&cfg, args);
	snprintf(cfg.acl, sizeof(cfg.acl), "%s", cmd_arg(args, "acl"));
	return apply(vty, DP_CAPTURE_SET, &cfg);
}

static enum cmd_result
cmd_capture_buffer(struct vty *vty, const struct cmd_args *args)
{
	struct dp_capture_cfg cfg;

	named(&cfg, args);
	cfg.buffer_bytes = (uint32_t)strtoul(cmd_arg(args, "mb"), NULL, 10)
			   << 20;
	return apply(vty, DP_CAPTURE_SET, &cfg);
}

static enum cmd_result
cmd_capture_action(struct vty *vty, const struct cmd_args *args)
{
	const char *action = cmd_arg(args, "action");
	struct dp_capture_cfg cfg;
	enum cmd_result r;

	named(&cfg, args);
	if (strcmp(action, "start") == 0) {
		r = apply(vty, DP_CAPTURE_START, &cfg);
		if (r == CMD_SUCCESS)
			vty_out(vty, "Started capture point : %s\n", cfg.name);
		return r;
	}
	if (strcmp(action, "stop") == 0) {
		r = apply(vty, DP_CAPTURE_STOP, &cfg);
		if (r == CMD_SUCCESS)
			vty_out(vty, "Stopped capture point : %s\n", cfg.name);
		return r;
	}
	return apply(vty, DP_CAPTURE_CLEAR, &cfg);
}

static enum cmd_result
cmd_no_capture(struct vty *vty, const struct cmd_args *args)
{
	struct dp_capture_cfg cfg;

	named(&cfg, args);
	return apply(vty, DP_CAPTURE_DELETE, &cfg);
}

/* Copies capture point NAME into S, or prints why not. */
static enum cmd_result
take_snapshot(struct vty *vty, const char *name,
	      struct dp_capture_snapshot *s)
{
	struct dp *dp = datapath(vty);
	char err[160] = "";

	if (dp == NULL)
		return CMD_ERROR;
	if (dp_capture_snapshot(dp, name, s, err, sizeof(err)) < 0) {
		vty_out(vty, "%% %s\n", err);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_capture_export(struct vty *vty, const struct cmd_args *args)
{
	struct dp_capture_snapshot s;
	const char *file = cmd_arg(args, "file");
	char err[256] = "";
	enum cmd_result r;
	int rc;

	if (strncmp(file, "flash:", 6) == 0)
		file += 6;
	else if (strncmp(file, "bootflash:", 10) == 0)
		file += 10;
	r = take_snapshot(vty, cmd_arg(args, "name"), &s);
	if (r != CMD_SUCCESS)
		return r;
	rc = dp_capture_export(&s, file, err, sizeof(err));
	dp_capture_snapshot_free(&s);
	if (rc < 0) {
		vty_out(vty, "%% Export failed: %s\n", err);
		return CMD_ERROR;
	}
	vty_out(vty, "Exported Successfully\n");
	return CMD_SUCCESS;
}

static const char *
protocol_name(const uint8_t *p, uint32_t len)
{
	static char num[8];
	uint8_t proto;

	if (len < 20)
		return "?";
	proto = p[0] >> 4 == 6 ? p[6] : p[9];
	switch (proto) {
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 51:
		return "AH";
	default:
		snprintf(num, sizeof(num), "%u", proto);
		return num;
	}
}

static void
show_packet(struct vty *vty, size_t i, const struct dp_capture_pkt *pkt,
	    uint64_t t0, bool brief)
{
	char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?";
	const uint8_t *p = pkt->data;
	uint64_t dt = pkt->time_ns - t0;
	unsigned dscp = 0;

	if (pkt->len >= 20 && p[0] >> 4 == 4) {
		inet_ntop(AF_INET, p + 12, src, sizeof(src));
		inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
		dscp = p[1] >> 2;
	} else if (pkt->len >= 40 && p[0] >> 4 == 6) {
		inet_ntop(AF_INET6, p + 8, src, sizeof(src));
		inet_ntop(AF_INET6, p + 24, dst, sizeof(dst));
	}
	vty_out(vty, "%4zu %5u %4llu.%06llu   %-16s ->  %-16s %2u  %-4s %s\n",
		i, pkt->len, (unsigned long long)(dt / 1000000000ULL),
		(unsigned long long)(dt % 1000000000ULL / 1000), src, dst,
		dscp, dscp == 0 ? "BE" : "", protocol_name(p, pkt->len));
	if (brief)
		return;
	for (uint32_t off = 0; off < pkt->len; off += 16) {
		vty_out(vty, "  %04X: ", off);
		for (uint32_t k = off; k < off + 16 && k < pkt->len; k += 2)
			vty_out(vty, k + 1 < pkt->len ? " %02X%02X" : " %02X",
				p[k], k + 1 < pkt->len ? p[k + 1] : 0);
		vty_out(vty, "\n");
	}
	vty_out(vty, "\n");
}

static enum cmd_result
cmd_show_capture_buffer(struct vty *vty, const struct cmd_args *args)
{
	struct dp_capture_snapshot s;
	static const char rule[] = " -------------------------------------"
		"---------------------------------------\n";
	enum cmd_result r = take_snapshot(vty, cmd_arg(args, "name"), &s);

	if (r != CMD_SUCCESS)
		return r;
	vty_out(vty, "%s", rule);
	vty_out(vty, " #   size   timestamp     source             "
		"destination      dscp    protocol\n");
	vty_out(vty, "%s", rule);
	for (size_t i = 0; i < s.n; i++)
		show_packet(vty, i, &s.pkts[i], s.pkts[0].time_ns,
			    cmd_has(args, "brief"));
	dp_capture_snapshot_free(&s);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_capture(struct vty *vty, const struct cmd_args *args)
{
	struct dp_capture_snapshot s;
	static const char *const dirs[] = { "", "IN", "OUT", "BOTH" };
	enum cmd_result r = take_snapshot(vty, cmd_arg(args, "name"), &s);

	if (r != CMD_SUCCESS)
		return r;
	vty_out(vty, "Status Information for Capture %s\n", s.cfg.name);
	vty_out(vty, "  Target Type:\n");
	if (s.cfg.ifname[0] != '\0')
		vty_out(vty, "   Interface: %s, Direction: %s\n", s.cfg.ifname,
			dirs[s.cfg.dir & 3]);
	vty_out(vty, "   Status : %s\n", s.active ? "Active" : "Inactive");
	vty_out(vty, "  Filter Details:\n");
	if (s.cfg.match_any)
		vty_out(vty, "   IPv4\n    Source IP:  any\n"
			"    Destination IP:  any\n   Protocol: any\n");
	else if (s.cfg.acl[0] != '\0')
		vty_out(vty, "   Access-list: %s\n", s.cfg.acl);
	vty_out(vty, "  Buffer Details:\n");
	vty_out(vty, "   Buffer Type: LINEAR (default)\n");
	vty_out(vty, "   Buffer Size (in MB): %u\n", s.cfg.buffer_bytes >> 20);
	vty_out(vty, "   Packets in buffer: %zu%s\n", s.n,
		s.full ? " (buffer full)" : "");
	dp_capture_snapshot_free(&s);
	return CMD_SUCCESS;
}

#define MC_HELP "Monitor various events\n" \
		"Packet capture\n" \
		"Name of the capture point"

static const struct cmd_def defs[] = {
	{ "monitor capture WORD$name interface WORD$type [WORD$number] "
	  "(in|out|both)$dir",
	  MC_HELP "\nCapture on an interface\n"
	  "Interface name, e.g. GigabitEthernet1 or gi1\n"
	  "Interface number when the name is given apart\n"
	  "Inbound packets\nOutbound packets\nBoth directions",
	  cmd_capture_interface, 0, 15 },
	{ "monitor capture WORD$name match ipv4 any any",
	  MC_HELP "\nPackets to capture\nIPv4 packets\nAny source\n"
	  "Any destination",
	  cmd_capture_match_any, 0, 15 },
	{ "monitor capture WORD$name access-list WORD$acl",
	  MC_HELP "\nCapture what an access list permits\nAccess list name",
	  cmd_capture_acl, 0, 15 },
	{ "monitor capture WORD$name buffer size <1-100>$mb",
	  MC_HELP "\nCapture buffer\nBuffer size\nSize in megabytes",
	  cmd_capture_buffer, 0, 15 },
	{ "monitor capture WORD$name (start|stop|clear)$action",
	  MC_HELP "\nStart capturing\nStop capturing\nEmpty the buffer",
	  cmd_capture_action, 0, 15 },
	{ "monitor capture WORD$name export WORD$file",
	  MC_HELP "\nWrite the buffer to a pcap file\n"
	  "File name, e.g. flash:cap.pcap",
	  cmd_capture_export, 0, 15 },
	{ "no monitor capture WORD$name",
	  "Negate a command or set its defaults\n" MC_HELP,
	  cmd_no_capture, 0, 15 },
	{ "show monitor capture WORD$name buffer [brief]",
	  "Show running system information\n" MC_HELP "\n"
	  "Packets in the buffer\nOne line per packet",
	  cmd_show_capture_buffer, 0, 15 },
	{ "show monitor capture WORD$name",
	  "Show running system information\n" MC_HELP,
	  cmd_show_capture, 0, 15 },
};

void
cmd_monitor_install(void)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		cmd_install(MODE_PRIV_EXEC, &defs[i]);
}
