/*
 * `show crypto ipsec invalid-spi` and `clear crypto ipsec invalid-spi`:
 * the out-of-sync view, which IOS does not have. IOS shows an unknown
 * SPI only as a RECVD_PKT_INV_SPI line a minute per flow and the
 * IpsecInput drop counter. This lists each flow (source, destination,
 * SPI) from the datapath's bounded table, with its packets, whether an
 * IKE SA to the sender exists, whether the SPI was ever ours, what the
 * IKE manager did about it, and a verdict.
 *
 * The name takes IOS's own words for the fault, from the RECVD_PKT_INV_SPI
 * message and `crypto isakmp invalid-spi-recovery`. It sits under
 * `show crypto ipsec` because the SPIs are those of IPsec SAs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/router.h"
#include "datapath/datapath.h"
#include "ikemgr/ikemgr.h"

#define NS_PER_SEC 1000000000ULL
#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * How long after its SA was replaced by a rekey a flow may still hit the
 * old SPI and count as a transient: one RECVD_PKT_INV_SPI interval, the
 * time in which IOS logs a flow once. A single occurrence at rekey time
 * is normal; a flow that keeps going beyond it is out of sync.
 */
#define REKEY_OVERLAP_NS (60ULL * NS_PER_SEC)

/* The clocks the CLOCK_MONOTONIC times of the table are shown against. */
struct clocks {
	uint64_t mono_ns;
	struct timespec real;
};

/*
 * Formats monotonic time T as local wall-clock time "HH:MM:SS.mmm". The
 * sum is taken in nanoseconds and cut to milliseconds once, so that one
 * event shows the same time in every show as long as the wall clock is
 * not set.
 */
static const char *
wall(const struct clocks *c, uint64_t t, char *buf, size_t len)
{
	int64_t ago = c->mono_ns > t ? (int64_t)(c->mono_ns - t) : 0;
	int64_t real_ns = (int64_t)c->real.tv_sec * (int64_t)NS_PER_SEC +
			  c->real.tv_nsec - ago;
	time_t sec = (time_t)(real_ns / (int64_t)NS_PER_SEC);
	struct tm tm;

	localtime_r(&sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (int)(real_ns % (int64_t)NS_PER_SEC / 1000000));
	return buf;
}

static const char *
action_text(enum dp_spi_action a)
{
	switch (a) {
	case DP_SPI_ACT_NONE:
		break;
	case DP_SPI_ACT_DELETE_SENT:
		return "DELETE sent over the existing IKE SA";
	case DP_SPI_ACT_DELETE_QUEUED:
		return "DELETE queued behind the phase 1 under way";
	case DP_SPI_ACT_RECOVERY:
		return "invalid-spi-recovery started IKE";
	case DP_SPI_ACT_IGNORED:
		return "ignored: no IKE SA and invalid-spi-recovery off";
	case DP_SPI_ACT_SUPPRESSED:
		return "suppressed: recovery to this peer ran less than "
		       STR(IKE_RECOVERY_INTERVAL_SEC) " s before";
	case DP_SPI_ACT_NOT_PEER:
		return "ignored: not a configured peer";
	case DP_SPI_ACT_INVALID_SPI_SENT:
		return "INVALID_SPI and DELETE sent over the existing IKEv2 SA";
	case DP_SPI_ACT_EZVPN_CLIENT:
		return "ignored: EzVPN client, invalid-spi-recovery does not "
		       "apply; connect auto reconnects";
	}
	return "none yet";
}

static const char *
history_text(enum dp_spi_history h)
{
	switch (h) {
	case DP_SPI_NEVER_SEEN:
		break;
	case DP_SPI_DELETED:
		return "ours, deleted";
	case DP_SPI_EXPIRED:
		return "ours, expired";
	case DP_SPI_REKEYED:
		return "ours, replaced by a rekey";
	case DP_SPI_CLEARED:
		return "ours, cleared";
	}
	return "never seen";
}

static const char *
verdict(const struct dp_spi_flow *f)
{
	if (f->history == DP_SPI_REKEYED &&
	    f->last_ns <= f->removed_ns + REKEY_OVERLAP_NS)
		return "transient rekey";
	/* A sender we had an SA with is a peer, configured or not. */
	if (f->history != DP_SPI_NEVER_SEEN)
		return "peer kept an SA we lost";
	switch (f->action) {
	case DP_SPI_ACT_NONE:
		return "undetermined: the IKE manager has not handled it";
	case DP_SPI_ACT_NOT_PEER:
		return "spoofed or unknown source";
	default:
		return "peer kept an SA we lost";
	}
}

static bool
has_ike_sa(const struct ike_sa_info *sas, int n, uint32_t peer)
{
	for (int i = 0; i < n; i++) {
		if (sas[i].peer == peer)
			return true;
	}
	return false;
}

static void
write_flow(struct vty *vty, const struct dp_spi_flow *f, const struct clocks *c,
	   const struct ike_sa_info *ike, int n_ike)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	char t1[16], t2[16];
	uint64_t blackhole_ns = f->last_ns - f->first_ns;

	inet_ntop(AF_INET, &f->src, src, sizeof(src));
	inet_ntop(AF_INET, &f->dst, dst, sizeof(dst));
	vty_out(vty, "   srcaddr: %s, destaddr: %s, spi: 0x%X(%u)", src, dst,
		f->spi, f->spi);
	if (f->udp_encap)
		vty_out(vty, ", UDP 4500 from port %u", f->udp_sport);
	vty_out(vty, "\n");
	vty_out(vty, "    input interface: %s, packets: %llu\n", f->ifname,
		(unsigned long long)f->packets);
	vty_out(vty, "    first seen: %s, last seen: %s, black-holed: "
		"%llu.%03llu s\n", wall(c, f->first_ns, t1, sizeof(t1)),
		wall(c, f->last_ns, t2, sizeof(t2)),
		(unsigned long long)(blackhole_ns / NS_PER_SEC),
		(unsigned long long)(blackhole_ns % NS_PER_SEC / 1000000));
	if (n_ike < 0)
		vty_out(vty, "    IKE SA to %s: unknown\n", src);
	else
		vty_out(vty, "    IKE SA to %s: %s\n", src,
			has_ike_sa(ike, n_ike, f->src) ? "yes" : "no");
	vty_out(vty, "    SPI history: %s", history_text(f->history));
	if (f->history == DP_SPI_REKEYED && f->replaced_ns != 0)
		vty_out(vty, " at %s", wall(c, f->replaced_ns, t1, sizeof(t1)));
	if (f->history != DP_SPI_NEVER_SEEN)
		vty_out(vty, ", removed at %s",
			wall(c, f->removed_ns, t2, sizeof(t2)));
	vty_out(vty, "\n    recovery: %s", action_text(f->action));
	if (f->action != DP_SPI_ACT_NONE)
		vty_out(vty, " at %s", wall(c, f->action_ns, t1, sizeof(t1)));
	vty_out(vty, "\n    verdict: %s\n\n", verdict(f));
}

static enum cmd_result
cmd_show_invalid_spi(struct vty *vty, const struct cmd_args *args)
{
	struct router *r = vty->router;
	struct dp_spi_table t;
	struct ike_sa_info *ike = NULL;
	int n_ike = -1;
	struct clocks c;

	(void)args;
	if (r == NULL || r->dp == NULL) {
		vty_out(vty, "%% The datapath is not running\n");
		return CMD_ERROR;
	}
	if (dp_get_spi_flows(r->dp, &t) < 0) {
		vty_out(vty, "%% Not enough memory to copy the invalid-SPI "
			"table\n");
		return CMD_ERROR;
	}
	if (r->ike != NULL)
		n_ike = ike_get_sas(r->ike, &ike);
	c.mono_ns = dp_now_ns();
	clock_gettime(CLOCK_REALTIME, &c.real);
	vty_out(vty, "Invalid SPI flows: %zu (table of %u, %llu evicted, "
		"%llu packets of flows not admitted)\n\n", t.n,
		DP_SPI_FLOWS_MAX, (unsigned long long)t.evicted,
		(unsigned long long)t.untracked);
	for (size_t i = 0; i < t.n; i++)
		write_flow(vty, &t.flows[i], &c, ike, n_ike);
	free(ike);
	free(t.flows);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_invalid_spi(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	if (vty->router != NULL && vty->router->dp != NULL)
		dp_clear_spi_flows(vty->router->dp);
	return CMD_SUCCESS;
}

static const struct cmd_def diag_cmds[] = {
	{ "show crypto ipsec invalid-spi",
	  "Show running system information\nEncryption module\n"
	  "IPSEC information\n"
	  "Flows of inbound ESP packets with an unknown SPI, with a verdict",
	  cmd_show_invalid_spi, 0, 0 },
	{ "clear crypto ipsec invalid-spi",
	  "Reset functions\nEncryption module\nIPSEC information\n"
	  "Empty the table of invalid-SPI flows",
	  cmd_clear_invalid_spi, 0, 0 },
};

void
cmd_show_diag_install(void)
{
	for (size_t i = 0; i < sizeof(diag_cmds) / sizeof(diag_cmds[0]); i++)
		cmd_install(MODE_PRIV_EXEC, &diag_cmds[i]);
}
