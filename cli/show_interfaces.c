/*
 * `show interfaces [IF]`, `show ip interface brief` and `clear counters`.
 * Names, addresses and state come from the running config (an interface
 * is up unless it is shut down); packet and byte counters come from the
 * datapath.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"
#include "cli/cmd_config.h"
#include "datapath/datapath.h"

struct if_row {
	char name[64];
	char address[16];
	char mask[16];
	char description[256];
	bool shutdown;
	/* Tunnel interfaces: tunnel source, destination, mode, key,
	 * protection profile, as configured ("" when unset). */
	char tun_src[64], tun_dst[64], tun_mode[32], tun_key[16];
	char tun_profile[64];
};

/*
 * Orders interface names as IOS lists them: by type, then by each number
 * in the name compared numerically (GigabitEthernet2 before ...10).
 */
static int
compare_if_names(const void *a, const void *b)
{
	const char *x = ((const struct if_row *)a)->name;
	const char *y = ((const struct if_row *)b)->name;

	while (*x != '\0' && *y != '\0') {
		if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
			size_t lx = strspn(x, "0123456789");
			size_t ly = strspn(y, "0123456789");
			unsigned long nx = strtoul(x, NULL, 10);
			unsigned long ny = strtoul(y, NULL, 10);

			if (nx != ny)
				return nx < ny ? -1 : 1;
			x += lx;
			y += ly;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
		x++;
		y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

static void
copy_value(char *buf, size_t len, const struct lyd_node *node,
	   const char *path)
{
	const char *v = cfg_get_value(node, path);

	snprintf(buf, len, "%s", v != NULL ? v : "");
}

static size_t
collect_interfaces(struct cfg *cfg, struct if_row **rows_out)
{
	const struct lyd_node *tree = cfg_read_lock(cfg);
	struct ly_set *set = NULL;
	struct if_row *rows = NULL;
	size_t n = 0;

	if (tree != NULL &&
	    lyd_find_xpath(tree, "/vrouter-config:interfaces/interface",
			   &set) == LY_SUCCESS && set->count > 0) {
		rows = calloc(set->count, sizeof(*rows));
		for (uint32_t i = 0; rows != NULL && i < set->count; i++) {
			const struct lyd_node *ifn = set->dnodes[i];
			const char *name = cfg_get_value(ifn, "name");
			const char *addr = cfg_get_value(ifn, "ipv4/address");
			const char *mask = cfg_get_value(ifn, "ipv4/mask");
			const char *descr = cfg_get_value(ifn, "description");

			snprintf(rows[n].name, sizeof(rows[n].name), "%s",
				 name != NULL ? name : "?");
			snprintf(rows[n].address, sizeof(rows[n].address), "%s",
				 addr != NULL ? addr : "unassigned");
			snprintf(rows[n].mask, sizeof(rows[n].mask), "%s",
				 mask != NULL ? mask : "");
			snprintf(rows[n].description,
				 sizeof(rows[n].description), "%s",
				 descr != NULL ? descr : "");
			rows[n].shutdown = cfg_get_value(ifn, "shutdown") != NULL;
			copy_value(rows[n].tun_src, sizeof(rows[n].tun_src), ifn,
				   "tunnel/source");
			copy_value(rows[n].tun_dst, sizeof(rows[n].tun_dst), ifn,
				   "tunnel/destination");
			copy_value(rows[n].tun_mode, sizeof(rows[n].tun_mode),
				   ifn, "tunnel/mode");
			copy_value(rows[n].tun_key, sizeof(rows[n].tun_key), ifn,
				   "tunnel/key");
			copy_value(rows[n].tun_profile,
				   sizeof(rows[n].tun_profile), ifn,
				   "tunnel/protection/profile");
			n++;
		}
	}
	ly_set_free(set, NULL);
	cfg_read_unlock(cfg);

	if (n > 1)
		qsort(rows, n, sizeof(*rows), compare_if_names);
	*rows_out = rows;
	return n;
}

static enum cmd_result
show_ip_interface_brief(struct vty *vty, const struct cmd_args *args)
{
	struct if_row *rows = NULL;
	size_t n;

	(void)args;
	vty_out(vty, "%-27s%-16s%-4s%-7s%-22s%s\n", "Interface", "IP-Address",
		"OK?", "Method", "Status", "Protocol");
	if (vty->router == NULL || vty->router->cfg == NULL)
		return CMD_SUCCESS;

	n = collect_interfaces(vty->router->cfg, &rows);
	for (size_t i = 0; i < n; i++) {
		const struct if_row *r = &rows[i];

		vty_out(vty, "%-27s%-16s%-4s%-7s%-22s%s\n", r->name,
			r->address, "YES",
			strcmp(r->address, "unassigned") == 0 ? "unset" : "manual",
			r->shutdown ? "administratively down" : "up",
			r->shutdown ? "down" : "up");
	}
	free(rows);
	return CMD_SUCCESS;
}

static const struct cmd_def show_ip_interface_brief_def = {
	.syntax = "show ip interface brief",
	.help = "Show running system information\n"
		"IP information\n"
		"IP interface status and configuration\n"
		"Brief summary of IP status and configuration",
	.fn = show_ip_interface_brief,
	.privilege = 1,
};

static unsigned
prefix_len(const char *mask)
{
	unsigned a, b, c, d, n = 0;
	uint32_t m;

	if (sscanf(mask, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		return 0;
	m = a << 24 | b << 16 | c << 8 | d;
	while (m & 0x80000000U) {
		n++;
		m <<= 1;
	}
	return n;
}

/* The tunnel lines of `show interfaces TunnelN`, as IOS XE prints them. */
static void
show_tunnel(struct vty *vty, const struct if_row *r)
{
	const char *proto = "GRE/IP";
	unsigned overhead = r->tun_key[0] != '\0' ? 28 : 24;

	if (strcmp(r->tun_mode, "ipsec-ipv4") == 0) {
		proto = "IPSEC/IP";
		overhead = 62;
	} else if (strcmp(r->tun_mode, "gre-multipoint") == 0) {
		proto = "multi-GRE/IP";
	}
	if (r->description[0] != '\0')
		vty_out(vty, "  Description: %s\n", r->description);
	if (strcmp(r->address, "unassigned") != 0)
		vty_out(vty, "  Internet address is %s/%u\n", r->address,
			prefix_len(r->mask));
	vty_out(vty, "  MTU 9976 bytes, BW 100 Kbit/sec, DLY 50000 usec, \n");
	vty_out(vty, "     reliability 255/255, txload 1/255, rxload 1/255\n");
	vty_out(vty, "  Encapsulation TUNNEL, loopback not set\n");
	vty_out(vty, "  Keepalive not set\n");
	vty_out(vty, "  Tunnel linestate evaluation %s\n",
		r->shutdown ? "down" : "up");
	vty_out(vty, "  Tunnel source %s, destination %s\n",
		r->tun_src[0] ? r->tun_src : "UNKNOWN",
		r->tun_dst[0] ? r->tun_dst : "UNKNOWN");
	vty_out(vty, "  Tunnel protocol/transport %s\n", proto);
	if (strcmp(proto, "IPSEC/IP") != 0) {
		if (r->tun_key[0] != '\0')
			vty_out(vty, "    Key %s, sequencing disabled\n",
				r->tun_key);
		else
			vty_out(vty, "    Key disabled, sequencing disabled\n");
		vty_out(vty, "    Checksumming of packets disabled\n");
	}
	vty_out(vty, "  Tunnel TTL 255, Fast tunneling enabled\n");
	vty_out(vty, "  Tunnel transport MTU %u bytes\n", 1500 - overhead);
	if (r->tun_profile[0] != '\0')
		vty_out(vty, "  Tunnel protection via IPSec (profile \"%s\")\n",
			r->tun_profile);
}

/* The hardware line, MTU and delay IOS XE shows for each kind. */
static void
show_hardware(struct vty *vty, const struct if_row *r, unsigned idx)
{
	if (strncmp(r->name, "Loopback", 8) == 0) {
		vty_out(vty, "  Hardware is Loopback\n");
	} else if (strncmp(r->name, "Tunnel", 6) == 0) {
		vty_out(vty, "  Hardware is Tunnel\n");
		show_tunnel(vty, r);
		return;
	} else {
		/* A stable locally administered MAC per interface. */
		vty_out(vty, "  Hardware is CSR vNIC, address is 0200.0000.%04x "
			"(bia 0200.0000.%04x)\n", idx + 1, idx + 1);
	}
	if (r->description[0] != '\0')
		vty_out(vty, "  Description: %s\n", r->description);
	if (strcmp(r->address, "unassigned") != 0)
		vty_out(vty, "  Internet address is %s/%u\n", r->address,
			prefix_len(r->mask));
	if (strncmp(r->name, "Loopback", 8) == 0)
		vty_out(vty, "  MTU 1514 bytes, BW 8000000 Kbit/sec, DLY 5000 "
			"usec, \n");
	else
		vty_out(vty, "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 "
			"usec, \n");
	vty_out(vty, "     reliability 255/255, txload 1/255, rxload 1/255\n");
	vty_out(vty, "  Encapsulation %s, loopback not set\n",
		strncmp(r->name, "Loopback", 8) == 0 ? "LOOPBACK" : "ARPA");
	vty_out(vty, "  Keepalive set (10 sec)\n");
}

static void
show_interface(struct vty *vty, const struct if_row *r, unsigned idx)
{
	struct dp_if_counters c = { 0 };

	if (vty->router->dp != NULL)
		dp_get_if_counters(vty->router->dp, r->name, &c);
	vty_out(vty, "%s is %s, line protocol is %s \n", r->name,
		r->shutdown ? "administratively down" : "up",
		r->shutdown ? "down" : "up");
	show_hardware(vty, r, idx);
	vty_out(vty, "  Last input never, output never, output hang never\n");
	vty_out(vty, "  Last clearing of \"show interface\" counters never\n");
	vty_out(vty, "  Input queue: 0/375/%llu/0 (size/max/drops/flushes); "
		"Total output drops: %llu\n", (unsigned long long)c.rx_drops,
		(unsigned long long)c.tx_drops);
	vty_out(vty, "  Queueing strategy: fifo\n");
	vty_out(vty, "  Output queue: 0/40 (size/max)\n");
	vty_out(vty, "  5 minute input rate 0 bits/sec, 0 packets/sec\n");
	vty_out(vty, "  5 minute output rate 0 bits/sec, 0 packets/sec\n");
	vty_out(vty, "     %llu packets input, %llu bytes, 0 no buffer\n",
		(unsigned long long)c.rx_packets,
		(unsigned long long)c.rx_octets);
	vty_out(vty, "     Received 0 broadcasts (0 IP multicasts)\n");
	vty_out(vty, "     0 runts, 0 giants, 0 throttles \n");
	vty_out(vty, "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 "
		"ignored\n");
	vty_out(vty, "     0 watchdog, 0 multicast, 0 pause input\n");
	vty_out(vty, "     %llu packets output, %llu bytes, 0 underruns\n",
		(unsigned long long)c.tx_packets,
		(unsigned long long)c.tx_octets);
	vty_out(vty, "     Output 0 broadcasts (0 IP multicasts)\n");
	vty_out(vty, "     0 output errors, 0 collisions, 0 interface "
		"resets\n");
	vty_out(vty, "     0 unknown protocol drops\n");
	vty_out(vty, "     0 babbles, 0 late collision, 0 deferred\n");
	vty_out(vty, "     0 lost carrier, 0 no carrier, 0 pause output\n");
	vty_out(vty, "     0 output buffer failures, 0 output buffers swapped "
		"out\n");
}

static enum cmd_result
show_interfaces(struct vty *vty, const struct cmd_args *args)
{
	const char *type = cmd_arg(args, "type");
	struct if_row *rows = NULL;
	char want[64] = "";
	size_t n;
	bool found = false;

	if (vty->router == NULL || vty->router->cfg == NULL)
		return CMD_SUCCESS;
	if (type != NULL && !cc_ifname(type, cmd_arg(args, "number"), want,
				       sizeof(want))) {
		cc_invalid_input(vty, cc_column(args, 2, 0));
		return CMD_WARNING;
	}
	n = collect_interfaces(vty->router->cfg, &rows);
	for (size_t i = 0; i < n; i++) {
		if (want[0] != '\0' && strcmp(rows[i].name, want) != 0)
			continue;
		show_interface(vty, &rows[i], (unsigned)i);
		found = true;
	}
	free(rows);
	if (!found && want[0] != '\0') {
		cc_invalid_interface(vty, args, 2,
				     cmd_arg(args, "number") != NULL);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

static enum cmd_result
clear_counters(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	if (vty->router == NULL || vty->router->dp == NULL)
		return CMD_SUCCESS;
	if (!vty_confirm(vty, "Clear \"show interface\" counters on all "
			 "interfaces "))
		return CMD_SUCCESS;
	dp_clear_if_counters(vty->router->dp);
	return CMD_SUCCESS;
}

static const struct cmd_def show_interfaces_def = {
	.syntax = "show interfaces [WORD$type [WORD$number]]",
	.help = "Show running system information\n"
		"Interface status and configuration\n"
		"Interface name, e.g. GigabitEthernet1 or gi1\n"
		"Interface number when the name is given apart",
	.fn = show_interfaces,
	.privilege = 1,
};

static const struct cmd_def clear_counters_def = {
	.syntax = "clear counters",
	.help = "Reset functions\n"
		"Clear counters on one or all interfaces",
	.fn = clear_counters,
	.privilege = 15,
};

void
cmd_show_interfaces_install(void)
{
	cmd_install(MODE_USER_EXEC, &show_ip_interface_brief_def);
	cmd_install(MODE_USER_EXEC, &show_interfaces_def);
	cmd_install(MODE_PRIV_EXEC, &clear_counters_def);
}
