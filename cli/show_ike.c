/*
 * IKE show and clear commands in IOS XE layout: show crypto isakmp sa
 * [detail], show crypto isakmp peers, show crypto session [detail],
 * clear crypto sa, clear crypto isakmp and clear crypto session. The
 * handlers read snapshots from the IKE manager and the datapath and
 * hand them to the writers of show_ike_text.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "cli/show_ike.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"
#include "datapath/datapath.h"
#include "ikemgr/ikemgr.h"

static int
conn_id_order(const void *a, const void *b)
{
	const struct ike_sa_info *x = a, *y = b;

	return x->conn_id < y->conn_id ? -1 : x->conn_id > y->conn_id;
}

/*
 * Reads the IKE SAs sorted by conn-id into *OUT (NULL and 0 when the
 * router has no IKE manager). Returns the count, or -1 after printing
 * the error.
 */
static int
read_ike_sas(struct vty *vty, struct ike_sa_info **out)
{
	int n;

	*out = NULL;
	if (vty->router == NULL || vty->router->ike == NULL)
		return 0;
	n = ike_get_sas(vty->router->ike, out);
	if (n < 0) {
		vty_out(vty, "%% Failed to read the IKE SA table\n");
		return -1;
	}
	if (n > 1)
		qsort(*out, (size_t)n, sizeof(**out), conn_id_order);
	return n;
}

static enum cmd_result
cmd_show_isakmp_sa(struct vty *vty, const struct cmd_args *args)
{
	struct ike_sa_info *sas;
	int n = read_ike_sas(vty, &sas);

	if (n < 0)
		return CMD_ERROR;
	cmd_isakmp_sa_write(vty, sas, (size_t)n, cmd_has(args, "detail"));
	free(sas);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_isakmp_peers(struct vty *vty, const struct cmd_args *args)
{
	struct ike_sa_info *sas;
	int n = read_ike_sas(vty, &sas);

	(void)args;
	if (n < 0)
		return CMD_ERROR;
	cmd_isakmp_peers_write(vty, sas, (size_t)n);
	free(sas);
	return CMD_SUCCESS;
}

static uint32_t
addr_arg(const struct cmd_args *args, const char *name)
{
	const char *v = cmd_arg(args, name);
	uint32_t addr = 0;

	if (v != NULL && inet_pton(AF_INET, v, &addr) != 1)
		addr = 0;
	return addr;
}

static enum cmd_result
cmd_show_crypto_session(struct vty *vty, const struct cmd_args *args)
{
	struct cmd_session_input in = { 0 };
	struct ike_sa_info *ike = NULL;
	struct dp_sa_info *ipsec = NULL;
	uint32_t remote = addr_arg(args, "remote");
	enum cmd_result ret = CMD_ERROR;
	int n;

	n = read_ike_sas(vty, &ike);
	if (n < 0)
		goto out;
	in.ike = ike;
	in.n_ike = (size_t)n;
	if (vty->router != NULL && vty->router->dp != NULL) {
		n = dp_get_sas(vty->router->dp, &ipsec);
		if (n < 0) {
			vty_out(vty, "%% Failed to read the SA database\n");
			goto out;
		}
		in.ipsec = ipsec;
		in.n_ipsec = (size_t)n;
	}
	in.now_ns = dp_now_ns();
	if (vty->router != NULL && vty->router->cfg != NULL)
		in.running = cfg_read_lock(vty->router->cfg);
	n = cmd_crypto_session_write(vty, &in, remote, cmd_has(args, "detail"));
	if (vty->router != NULL && vty->router->cfg != NULL)
		cfg_read_unlock(vty->router->cfg);
	if (n < 0) {
		vty_out(vty, "%% Not enough memory to list the sessions\n");
		goto out;
	}
	ret = CMD_SUCCESS;
out:
	free(ike);
	free(ipsec);
	return ret;
}

/*
 * Clears IPsec SAs through the IKE manager, which sends a DELETE over a
 * live IKE SA: those of PEER, or all when PEER is 0. In the latter case
 * the datapath then re-creates the manual SAs, whose counters and replay
 * windows start over. NOTE: with a peer, manual SAs stay as they are.
 */
static enum cmd_result
clear_sas(struct vty *vty, enum ike_clear_kind kind, uint32_t peer)
{
	struct router *r = vty->router;

	if (r == NULL)
		return CMD_SUCCESS;
	if (r->ike != NULL)
		ike_clear(r->ike, kind, peer, 0);
	if (peer == 0 && r->dp != NULL)
		dp_clear_sas(r->dp);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_crypto_sa(struct vty *vty, const struct cmd_args *args)
{
	uint32_t peer = addr_arg(args, "peer");

	return clear_sas(vty, peer != 0 ? IKE_CLEAR_PEER_SA : IKE_CLEAR_ALL_SA,
			 peer);
}

/* clear crypto session [remote A]: the IKE and IPsec SAs of sessions. */
static enum cmd_result
cmd_clear_crypto_session(struct vty *vty, const struct cmd_args *args)
{
	return clear_sas(vty, IKE_CLEAR_SESSION, addr_arg(args, "remote"));
}

/* clear crypto isakmp [CONN-ID]: the IPsec SAs stay (UP-NO-IKE). */
static enum cmd_result
cmd_clear_crypto_isakmp(struct vty *vty, const struct cmd_args *args)
{
	const char *id = cmd_arg(args, "connid");

	if (vty->router == NULL || vty->router->ike == NULL)
		return CMD_SUCCESS;
	ike_clear(vty->router->ike, IKE_CLEAR_ISAKMP, 0,
		  id != NULL ? (uint32_t)strtoul(id, NULL, 10) : 0);
	return CMD_SUCCESS;
}

#define H_SHOW "Show running system information\nEncryption module\n"
#define H_CLEAR "Reset functions\nEncryption module\n"

static const struct cmd_def ike_cmds[] = {
	{ "show crypto isakmp sa [detail]",
	  H_SHOW "ISAKMP information\nISAKMP SAs\n"
	  "Show ISAKMP SA details",
	  cmd_show_isakmp_sa, 0, 0 },
	{ "show crypto isakmp peers",
	  H_SHOW "ISAKMP information\nShow ISAKMP peer structures",
	  cmd_show_isakmp_peers, 0, 0 },
	{ "show crypto session [remote A.B.C.D$remote] [detail]",
	  H_SHOW "Show crypto sessions\nSessions of one remote peer\n"
	  "IP address of the remote peer\nShow crypto session details",
	  cmd_show_crypto_session, 0, 0 },
	{ "clear crypto sa [peer A.B.C.D$peer]",
	  H_CLEAR "Clear all IPSEC security associations\n"
	  "Clear the IPSEC SAs of one peer\nIP address of the peer",
	  cmd_clear_crypto_sa, 0, 0 },
	{ "clear crypto isakmp [<1-2147483647>$connid]",
	  H_CLEAR "Clear ISAKMP security associations\n"
	  "Connection id of the SA to clear",
	  cmd_clear_crypto_isakmp, 0, 0 },
	{ "clear crypto session [remote A.B.C.D$remote]",
	  H_CLEAR "Clear crypto sessions (IKE and IPSEC SAs)\n"
	  "Clear the sessions of one remote peer\n"
	  "IP address of the remote peer",
	  cmd_clear_crypto_session, 0, 0 },
};

void
cmd_show_ike_install(void)
{
	for (size_t i = 0; i < sizeof(ike_cmds) / sizeof(ike_cmds[0]); i++)
		cmd_install(MODE_PRIV_EXEC, &ike_cmds[i]);
}
