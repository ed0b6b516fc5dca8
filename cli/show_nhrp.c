/*
 * NHRP and DMVPN show and clear commands in IOS layout: show ip nhrp,
 * show ip nhrp traffic, show dmvpn and clear ip nhrp. The rows come
 * from the datapath's NHRP caches; a router without a datapath prints
 * the static maps of the config.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"
#include "datapath/datapath.h"

#define NS 1000000000ULL

static const char *
ntoa(uint32_t addr, char *buf)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* IOS's elapsed time: hh:mm:ss below a day, then XdYYh, then XwYd. */
static const char *
elapsed(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / NS;

	if (s < 86400)
		snprintf(buf, len, "%02u:%02u:%02u", (unsigned)(s / 3600),
			 (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	else if (s < 7 * 86400)
		snprintf(buf, len, "%ud%02uh", (unsigned)(s / 86400),
			 (unsigned)(s / 3600 % 24));
	else
		snprintf(buf, len, "%uw%ud", (unsigned)(s / (7 * 86400)),
			 (unsigned)(s / 86400 % 7));
	return buf;
}

/* The static maps of the config, for a router without a datapath. */
static void
show_config_maps(struct vty *vty)
{
	const struct lyd_node *tree = cfg_read_lock(vty->router->cfg);
	struct ly_set *set = NULL;

	if (tree != NULL &&
	    lyd_find_xpath(tree, "/vrouter-config:interfaces/interface"
			   "/nhrp/map", &set) == LY_SUCCESS) {
		for (uint32_t i = 0; i < set->count; i++) {
			const struct lyd_node *m = set->dnodes[i];
			const struct lyd_node *ifn = lyd_parent(lyd_parent(m));
			const char *addr = cfg_get_value(m, "address");

			vty_out(vty, "%s/32 via %s\n   %s created never, "
				"never expire \n   Type: static, Flags: used \n"
				"   NBMA address: %s \n", addr, addr,
				cfg_get_value(ifn, "name"),
				cfg_get_value(m, "nbma"));
		}
	}
	ly_set_free(set, NULL);
	cfg_read_unlock(vty->router->cfg);
}

/*
 * Reads the NHRP rows into *ROWS. Returns the count, 0 with *ROWS NULL
 * when the router has no datapath, or -1 after printing the error.
 */
static int
read_rows(struct vty *vty, struct dp_nhrp_entry **rows,
	  struct dp_nhrp_stats *stats)
{
	int n;

	*rows = NULL;
	memset(stats, 0, sizeof(*stats));
	if (vty->router == NULL || vty->router->dp == NULL)
		return 0;
	n = dp_nhrp_get(vty->router->dp, rows, stats);
	if (n < 0)
		vty_out(vty, "%% Failed to read the NHRP cache\n");
	return n;
}

static void
print_entry(struct vty *vty, const struct dp_nhrp_entry *e, uint64_t now)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], t1[16], t2[16];

	vty_out(vty, "%s/32 via %s\n", ntoa(e->addr, a), a);
	if (e->dynamic)
		vty_out(vty, "   %s created %s, expire %s\n", e->ifname,
			elapsed(now - e->created_ns, t1, sizeof(t1)),
			elapsed(e->expires_ns > now ? e->expires_ns - now : 0,
				t2, sizeof(t2)));
	else
		vty_out(vty, "   %s created %s, never expire \n", e->ifname,
			elapsed(now - e->created_ns, t1, sizeof(t1)));
	vty_out(vty, "   Type: %s, Flags: %s\n",
		e->dynamic ? "dynamic" : "static",
		!e->dynamic ? "used " : e->shortcut ? "router used nhop " :
		e->unique ? "unique registered used nhop " :
		"registered used nhop ");
	vty_out(vty, "   NBMA address: %s \n", ntoa(e->nbma, b));
}

static enum cmd_result
cmd_show_ip_nhrp(struct vty *vty, const struct cmd_args *args)
{
	struct dp_nhrp_entry *rows;
	struct dp_nhrp_stats stats;
	uint64_t now = dp_now_ns();
	int n = read_rows(vty, &rows, &stats);

	(void)args;
	if (n < 0)
		return CMD_WARNING;
	if (vty->router == NULL || vty->router->dp == NULL) {
		show_config_maps(vty);
		return CMD_SUCCESS;
	}
	for (int i = 0; i < n; i++)
		print_entry(vty, &rows[i], now);
	free(rows);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_ip_nhrp_traffic(struct vty *vty, const struct cmd_args *args)
{
	struct dp_nhrp_entry *rows;
	struct dp_nhrp_stats s;
	int n = read_rows(vty, &rows, &s);

	(void)args;
	if (n < 0)
		return CMD_WARNING;
	free(rows);
	vty_out(vty, "   Sent: Total %llu\n"
		"         %llu Resolution Request  %llu Resolution Reply  "
		"%llu Registration Request\n"
		"         %llu Registration Reply  0 Purge Request  "
		"%llu Purge Reply\n"
		"         0 Error Indication  0 Traffic Indication  "
		"0 Redirect Suppress\n",
		(unsigned long long)(s.res_req_sent + s.res_reply_sent +
				     s.reg_req_sent + s.reg_reply_sent +
				     s.purge_reply_sent),
		(unsigned long long)s.res_req_sent,
		(unsigned long long)s.res_reply_sent,
		(unsigned long long)s.reg_req_sent,
		(unsigned long long)s.reg_reply_sent,
		(unsigned long long)s.purge_reply_sent);
	vty_out(vty, "   Rcvd: Total %llu\n"
		"         %llu Resolution Request  %llu Resolution Reply  "
		"%llu Registration Request\n"
		"         %llu Registration Reply  %llu Purge Request  "
		"0 Purge Reply\n"
		"         %llu Error Indication  0 Traffic Indication  "
		"0 Redirect Suppress\n",
		(unsigned long long)(s.res_req_rcvd + s.res_reply_rcvd +
				     s.reg_req_rcvd + s.reg_reply_rcvd +
				     s.purge_req_rcvd + s.error_rcvd),
		(unsigned long long)s.res_req_rcvd,
		(unsigned long long)s.res_reply_rcvd,
		(unsigned long long)s.reg_req_rcvd,
		(unsigned long long)s.reg_reply_rcvd,
		(unsigned long long)s.purge_req_rcvd,
		(unsigned long long)s.error_rcvd);
	/* Not in IOS's output: what vrouter dropped or could not send. */
	vty_out(vty, "   Dropped: %llu malformed, %llu authentication "
		"failed, %llu unsupported\n"
		"   Rejected registrations: %llu, not sent: %llu\n",
		(unsigned long long)s.malformed,
		(unsigned long long)s.auth_failed,
		(unsigned long long)s.unsupported,
		(unsigned long long)s.rejected,
		(unsigned long long)s.send_failed);
	return CMD_SUCCESS;
}

static const char *const legend =
	"Legend: Attrb --> S - Static, D - Dynamic, I - Incomplete\n"
	"        N - NATed, L - Local, X - No Socket\n"
	"        T1 - Route Installed, T2 - Nexthop-override\n"
	"        C - CTS Capable\n"
	"        # Ent --> Number of NHRP entries with same NBMA peer\n"
	"        NHS Status: E --> Expecting Replies, R --> Responding, "
	"W --> Waiting\n"
	"        UpDn Time --> Up or Down Time for a Tunnel\n"
	"=========================================================="
	"================\n";

static const char *
state_name(enum dp_nhrp_state s)
{
	switch (s) {
	case DP_NHRP_STATE_UP:
		return "UP";
	case DP_NHRP_STATE_NHRP:
		return "NHRP";
	case DP_NHRP_STATE_IKE:
		return "IKE";
	}
	return "?";
}

/* Prints the rows of tunnel ROWS[0].ifname, which run to END. */
static void
print_dmvpn_tunnel(struct vty *vty, const struct dp_nhrp_entry *rows,
		   size_t end, uint64_t now)
{
	bool spoke = false;

	for (size_t i = 0; i < end; i++)
		spoke |= rows[i].nhs;
	vty_out(vty, "\nInterface: %s, IPv4 NHRP Details \n"
		"Type:%s, NHRP Peers:%zu, \n\n"
		" # Ent  Peer NBMA Addr Peer Tunnel Add State  UpDn Tm Attrb\n"
		" ----- --------------- --------------- ----- -------- -----\n",
		rows[0].ifname, spoke ? "Spoke" : "Hub", end);
	for (size_t i = 0; i < end; i++) {
		const struct dp_nhrp_entry *e = &rows[i];
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], t[16];
		unsigned same = 0;

		for (size_t k = 0; k < end; k++)
			same += rows[k].nbma == e->nbma;
		vty_out(vty, " %5u %-15s %15s %5s %8s %5s\n", same,
			ntoa(e->nbma, a), ntoa(e->addr, b),
			state_name(e->state),
			e->updown_ns != 0 ?
			elapsed(now - e->updown_ns, t, sizeof(t)) : "never",
			e->dynamic ? "D" : "S");
	}
}

static enum cmd_result
cmd_show_dmvpn(struct vty *vty, const struct cmd_args *args)
{
	struct dp_nhrp_entry *rows;
	struct dp_nhrp_stats stats;
	uint64_t now = dp_now_ns();
	int n = read_rows(vty, &rows, &stats);
	size_t i = 0;

	(void)args;
	if (n < 0)
		return CMD_WARNING;
	vty_out(vty, "%s", legend);
	while (i < (size_t)n) {
		size_t end = i;

		while (end < (size_t)n &&
		       strcmp(rows[end].ifname, rows[i].ifname) == 0)
			end++;
		print_dmvpn_tunnel(vty, rows + i, end - i, now);
		i = end;
	}
	vty_out(vty, "\n");
	free(rows);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_ip_nhrp(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	if (vty->router != NULL && vty->router->dp != NULL)
		dp_nhrp_clear(vty->router->dp);
	return CMD_SUCCESS;
}

#define H_SHOW "Show running system information\n"

static const struct cmd_def nhrp_cmds[] = {
	{ "show ip nhrp", H_SHOW "IP information\nNHRP information",
	  cmd_show_ip_nhrp, 0, 0 },
	{ "show ip nhrp traffic", H_SHOW "IP information\nNHRP information\n"
	  "NHRP traffic statistics", cmd_show_ip_nhrp_traffic, 0, 0 },
	{ "show dmvpn", H_SHOW "DMVPN information", cmd_show_dmvpn, 0, 0 },
	{ "clear ip nhrp", "Reset functions\nIP\nClear NHRP cache",
	  cmd_clear_ip_nhrp, 0, 0 },
};

void
cmd_show_nhrp_install(void)
{
	for (size_t i = 0; i < sizeof(nhrp_cmds) / sizeof(nhrp_cmds[0]); i++)
		cmd_install(MODE_PRIV_EXEC, &nhrp_cmds[i]);
}
