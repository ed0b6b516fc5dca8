/*
 * IKEv2 show and clear commands in IOS XE layout: show crypto ikev2 sa
 * [detailed], show crypto ikev2 session [detailed], show crypto ikev2
 * stats [exchange], clear crypto ikev2 sa [remote A] and clear crypto
 * ikev2 stats. They read the IKE manager's snapshots (version 2 entries
 * of ike_get_sas(), ike_get_v2_children() and ike_get_v2_stats()).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/router.h"
#include "ikemgr/ikemgr.h"

static int
conn_id_order(const void *a, const void *b)
{
	const struct ike_sa_info *x = a, *y = b;

	return x->conn_id < y->conn_id ? -1 : x->conn_id > y->conn_id;
}

/* Reads the IKEv2 SAs, sorted by conn-id, into *OUT. Returns the count,
 * or -1 after printing the error. */
static int
read_v2_sas(struct vty *vty, struct ike_sa_info **out)
{
	struct ike_sa_info *all;
	int n, k = 0;

	*out = NULL;
	if (vty->router == NULL || vty->router->ike == NULL)
		return 0;
	n = ike_get_sas(vty->router->ike, &all);
	if (n < 0) {
		vty_out(vty, "%% Failed to read the IKE SA table\n");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (all[i].version == 2)
			all[k++] = all[i];
	if (k > 1)
		qsort(all, (size_t)k, sizeof(*all), conn_id_order);
	*out = all;
	return k;
}

static void
upper(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < cap && src[i] != '\0'; i++)
		dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ?
				src[i] - 'a' + 'A' : src[i]);
	dst[i] = '\0';
}

static const char *
encr_text(const char *encr)
{
	if (strcmp(encr, "aes-gcm") == 0)
		return "AES-GCM";
	if (strcmp(encr, "3des") == 0)
		return "3DES";
	return "AES-CBC";
}

/*
 * Writes the PRF or integrity name as IOS prints it.
 * NOTE: SHA96 and MD596 for integrity are the names IOS uses in proposal
 * listings; their use in `show crypto ikev2 sa` is not checked.
 */
static void
hash_text(const char *hash, bool integ, char *out, size_t cap)
{
	if (hash[0] == '\0')
		snprintf(out, cap, "None");
	else if (strcmp(hash, "sha") == 0)
		snprintf(out, cap, integ ? "SHA96" : "SHA1");
	else if (strcmp(hash, "md5") == 0)
		snprintf(out, cap, integ ? "MD596" : "MD5");
	else
		upper(out, cap, hash);
}

static void
write_spi(char *out, size_t cap, const uint8_t spi[8])
{
	snprintf(out, cap, "%02X%02X%02X%02X%02X%02X%02X%02X", spi[0], spi[1],
		 spi[2], spi[3], spi[4], spi[5], spi[6], spi[7]);
}

/* NOTE: "Deleting IKE SA" for the DELETE state is not taken from an IOS
 * capture, which shows only the READY and IN-NEG texts. */
static const char *
status_text(const char *state)
{
	if (strcmp(state, "READY") == 0)
		return "Negotiation done";
	if (strcmp(state, "DELETE") == 0)
		return "Deleting IKE SA";
	return "Negotiation in progress";
}

static void
write_detail(struct vty *vty, const struct ike_sa_info *sa)
{
	char lspi[20], rspi[20], left[40], local[INET_ADDRSTRLEN];
	char remote[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->local, local, sizeof(local));
	inet_ntop(AF_INET, &sa->peer, remote, sizeof(remote));
	write_spi(lspi, sizeof(lspi), sa->initiator ? sa->icookie : sa->rcookie);
	write_spi(rspi, sizeof(rspi), sa->initiator ? sa->rcookie : sa->icookie);
	vty_out(vty, "      CE id: %u, Session-id: %u\n", sa->conn_id,
		sa->conn_id - 1000);
	vty_out(vty, "      Status Description: %s\n",
		status_text(sa->state));
	snprintf(left, sizeof(left), "Local spi: %s", lspi);
	vty_out(vty, "      %-34sRemote spi: %s\n", left, rspi);
	vty_out(vty, "      Local id: %s\n",
		sa->local_id[0] != '\0' ? sa->local_id : local);
	vty_out(vty, "      Remote id: %s\n",
		sa->remote_id[0] != '\0' ? sa->remote_id : remote);
	snprintf(left, sizeof(left), "Local req msg id:  %u",
		 sa->local_msgid > 0 ? sa->local_msgid - 1 : 0);
	vty_out(vty, "      %-34sRemote req msg id:  %u\n", left,
		sa->remote_msgid > 0 ? sa->remote_msgid - 1 : 0);
	snprintf(left, sizeof(left), "Local next msg id: %u", sa->local_msgid);
	vty_out(vty, "      %-34sRemote next msg id: %u\n", left,
		sa->remote_msgid);
	/* One request at a time: the window is 1, nothing is queued. */
	vty_out(vty, "      %-34sRemote req queued:  %u\n",
		"Local req queued:  0", 0u);
	vty_out(vty, "      %-34sRemote window:      %u\n",
		"Local window:      1", 1u);
	if (sa->dpd_interval != 0)
		vty_out(vty, "      DPD configured for %u seconds, retry %u\n",
			sa->dpd_interval, sa->dpd_retry);
	else
		vty_out(vty, "      DPD configured for 0 seconds, retry 0\n");
	/* NOTE: the two fragmentation lines follow a third-party IOS XE
	 * emulation, not a capture. The MTU in use excludes the IP and UDP
	 * headers. */
	if (sa->frag_mtu != 0)
		vty_out(vty, "      IETF Std Fragmentation  enabled.\n");
	else
		vty_out(vty, "      Fragmentation not  configured.\n");
	vty_out(vty, "      Dynamic Route Update: disabled\n");
	if (sa->frag_mtu != 0)
		vty_out(vty, "      IETF Std Fragmentation MTU in use: %u bytes.\n",
			sa->frag_mtu - 28u);
	vty_out(vty, "      Extended Authentication not configured.\n");
	vty_out(vty, "      NAT-T is %s\n", sa->natt ? "detected  outside" :
		"not detected");
	vty_out(vty, "      Cisco Trust Security SGT is disabled\n");
	vty_out(vty, "      Initiator of SA : %s\n",
		sa->initiator ? "Yes" : "No");
}

#define TABLE_HEAD "Tunnel-id Local                 Remote                " \
		   "fvrf/ivrf            Status \n"

/* Writes one IKE SA's row and lines under the table head. */
static void
write_v2_sa(struct vty *vty, const struct ike_sa_info *sa, bool detail)
{
	char local[32], remote[32], a[INET_ADDRSTRLEN];
	char prf[12], integ[12];

	inet_ntop(AF_INET, &sa->local, a, sizeof(a));
	snprintf(local, sizeof(local), "%s/%u", a, sa->local_port);
	inet_ntop(AF_INET, &sa->peer, a, sizeof(a));
	snprintf(remote, sizeof(remote), "%s/%u", a, sa->peer_port);
	vty_out(vty, "%-10u%-22s%-22s%-21s%-7s\n", sa->conn_id - 1000,
		local, remote, "none/none", sa->state);
	hash_text(sa->hash, false, prf, sizeof(prf));
	hash_text(sa->integ, true, integ, sizeof(integ));
	vty_out(vty, "      Encr: %s, keysize: %u, PRF: %s, Hash: %s, "
		"DH Grp:%u, Auth sign: PSK, Auth verify: PSK\n",
		encr_text(sa->encr), sa->key_bits, prf, integ, sa->dh_group);
	vty_out(vty, "      Life/Active Time: %u/%u sec\n", sa->lifetime_sec,
		sa->active_sec);
	if (detail)
		write_detail(vty, sa);
}

/* Writes the IKEv2 SAs of SAS as `show crypto ikev2 sa [detailed]`. */
static void
write_v2_sas(struct vty *vty, const struct ike_sa_info *sas, size_t n,
	     bool detail)
{
	vty_out(vty, " IPv4 Crypto IKEv2  SA \n\n");
	vty_out(vty, TABLE_HEAD);
	for (size_t i = 0; i < n; i++) {
		write_v2_sa(vty, &sas[i], detail);
		vty_out(vty, "\n");
	}
	vty_out(vty, "\n IPv6 Crypto IKEv2  SA \n\n");
}

static void
write_selector(struct vty *vty, const char *label, uint32_t lo, uint32_t hi,
	       uint16_t plo, uint16_t phi)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &lo, a, sizeof(a));
	inet_ntop(AF_INET, &hi, b, sizeof(b));
	vty_out(vty, "%s %s/%u - %s/%u\n", label, a, plo, b, phi);
}

/* Writes the child SA pair C under its IKE SA. */
static void
write_child(struct vty *vty, const struct ike_v2_child_info *c, bool detail)
{
	write_selector(vty, "Child sa: local selector ", c->local_lo,
		       c->local_hi, c->lport_lo, c->lport_hi);
	write_selector(vty, "          remote selector", c->remote_lo,
		       c->remote_hi, c->rport_lo, c->rport_hi);
	vty_out(vty, "          ESP spi in/out: 0x%X/0x%X\n", c->spi_in,
		c->spi_out);
	if (!detail)
		return;
	vty_out(vty, "          AH spi in/out: 0x0/0x0\n");
	vty_out(vty, "          CPI in/out: 0x0/0x0\n");
	vty_out(vty, "          Encr: %s, keysize: %u, esp_hmac: %s\n",
		c->encr, c->key_bits, c->esp_hmac);
	vty_out(vty, "          ah_hmac: None, comp: IPCOMP_NONE, mode %s\n",
		c->transport ? "transport" : "tunnel");
}

/*
 * Writes `show crypto ikev2 session [detailed]`. The IKE SAs of SAS
 * (sorted by conn-id) are grouped into one session per peer, and each IKE
 * SA is followed by its child SA pairs from KIDS.
 */
static void
write_v2_sessions(struct vty *vty, const struct ike_sa_info *sas, size_t n,
		  const struct ike_v2_child_info *kids, size_t nkids,
		  bool detail)
{
	vty_out(vty, " IPv4 Crypto IKEv2 Session \n\n");
	for (size_t i = 0; i < n; i++) {
		size_t nike = 0, nchild = 0;
		bool ready = false, seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = sas[j].peer == sas[i].peer;
		if (seen)
			continue;
		for (size_t j = i; j < n; j++) {
			if (sas[j].peer != sas[i].peer)
				continue;
			nike++;
			ready |= strcmp(sas[j].state, "READY") == 0;
			for (size_t k = 0; k < nkids; k++)
				nchild += kids[k].conn_id == sas[j].conn_id;
		}
		vty_out(vty, "Session-id:%u, Status:%s, IKE count:%zu, "
			"CHILD count:%zu\n\n", sas[i].conn_id - 1000,
			!ready ? "DOWN-NEGOTIATING" :
			nchild > 0 ? "UP-ACTIVE" : "UP-IDLE", nike, nchild);
		vty_out(vty, TABLE_HEAD);
		for (size_t j = i; j < n; j++) {
			if (sas[j].peer != sas[i].peer)
				continue;
			write_v2_sa(vty, &sas[j], detail);
			for (size_t k = 0; k < nkids; k++)
				if (kids[k].conn_id == sas[j].conn_id)
					write_child(vty, &kids[k], detail);
		}
		vty_out(vty, "\n");
	}
	vty_out(vty, "\n IPv6 Crypto IKEv2 Session \n\n");
}

static enum cmd_result
cmd_show_ikev2_sa(struct vty *vty, const struct cmd_args *args)
{
	struct ike_sa_info *sas;
	int n = read_v2_sas(vty, &sas);

	if (n < 0)
		return CMD_ERROR;
	write_v2_sas(vty, sas, (size_t)n, cmd_has(args, "detailed"));
	free(sas);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_ikev2_session(struct vty *vty, const struct cmd_args *args)
{
	struct ike_v2_child_info *kids = NULL;
	struct ike_sa_info *sas;
	int n = read_v2_sas(vty, &sas), nkids = 0;

	if (n < 0)
		return CMD_ERROR;
	if (n > 0)
		nkids = ike_get_v2_children(vty->router->ike, &kids);
	if (nkids < 0) {
		vty_out(vty, "%% Failed to read the IKEv2 child SA table\n");
		free(sas);
		return CMD_ERROR;
	}
	write_v2_sessions(vty, sas, (size_t)n, kids, (size_t)nkids,
			  cmd_has(args, "detailed"));
	free(kids);
	free(sas);
	return CMD_SUCCESS;
}

/* Counts the IKEv2 SAs of SAS[0..N) that we initiated (OUTGOING) or
 * responded to, and of those the READY ones. */
static void
count_v2_sas(const struct ike_sa_info *sas, size_t n, bool outgoing,
	     unsigned *total, unsigned *active)
{
	*total = *active = 0;
	for (size_t i = 0; i < n; i++) {
		if (sas[i].version != 2 || sas[i].initiator != outgoing)
			continue;
		(*total)++;
		*active += strcmp(sas[i].state, "READY") == 0;
	}
}

/*
 * Writes `show crypto ikev2 stats` in the IOS XE layout. vrouter has no
 * `crypto ikev2 limit` and no certificates, so the resource and SA
 * limits and the revoked-certificate count are 0 (no limit, none).
 * Max in nego shows the fixed limits on SAs in negotiation. Incoming
 * ones are those the responder replied to that are not yet
 * authenticated, and outgoing ones have no limit (0).
 */
static enum cmd_result
cmd_show_ikev2_stats(struct vty *vty, const struct cmd_args *args)
{
	static const char rule[] = "-----------------------------------------"
				   "---------------------------------------\n";
	struct ike_v2_stats st = { 0 };
	struct ike_sa_info *sas = NULL;
	unsigned in_total, in_active, out_total, out_active;
	int n = 0;

	(void)args;
	if (vty->router != NULL && vty->router->ike != NULL) {
		ike_get_v2_stats(vty->router->ike, &st);
		n = ike_get_sas(vty->router->ike, &sas);
		if (n < 0) {
			vty_out(vty, "%% Failed to read the IKE SA table\n");
			return CMD_ERROR;
		}
	}
	count_v2_sas(sas, (size_t)n, false, &in_total, &in_active);
	count_v2_sas(sas, (size_t)n, true, &out_total, &out_active);
	free(sas);
	vty_out(vty, "%s%26s%s\n%s", rule, "", "Crypto IKEv2 SA Statistics",
		rule);
	vty_out(vty, "System Resource Limit:   %-9uMax IKEv2 SAs: %-9u"
		"Max in nego(in/out): %u/%u\n", 0u, 0u, IKE_HALF_OPEN_MAX, 0u);
	vty_out(vty, "Total incoming IKEv2 SA Count:    %-9uactive:        %-9u"
		"negotiating: %u\n", in_total, in_active,
		in_total - in_active);
	vty_out(vty, "Total outgoing IKEv2 SA Count:    %-9uactive:        %-9u"
		"negotiating: %u\n", out_total, out_active,
		out_total - out_active);
	vty_out(vty, "Incoming IKEv2 Requests: %-9lluaccepted:      %-9llu"
		"rejected:    %llu\n", (unsigned long long)st.sa_init_in,
		(unsigned long long)st.sa_init_in_accepted,
		(unsigned long long)(st.sa_init_in - st.sa_init_in_accepted));
	vty_out(vty, "Outgoing IKEv2 Requests: %-9lluaccepted:      %-9llu"
		"rejected:    %llu\n", (unsigned long long)st.sa_init_out,
		(unsigned long long)st.sa_init_out_accepted,
		(unsigned long long)st.sa_init_out_rejected);
	vty_out(vty, "Rejected IKEv2 Requests: %-9llursrc low:      %-9llu"
		"SA limit:    %u\n",
		(unsigned long long)st.sa_init_in_half_open,
		(unsigned long long)st.sa_init_in_half_open, 0u);
	vty_out(vty, "IKEv2 packets dropped at dispatch: %llu\n",
		(unsigned long long)st.dropped);
	vty_out(vty, "Incoming IKEV2 Cookie Challenged Requests: %llu\n",
		(unsigned long long)(st.cookie_valid + st.cookie_invalid +
				     st.cookie_missing));
	vty_out(vty, "    accepted: %-9llurejected: %-9llu"
		"rejected no cookie: %llu\n",
		(unsigned long long)st.cookie_valid,
		(unsigned long long)st.cookie_invalid,
		(unsigned long long)st.cookie_missing);
	vty_out(vty, "Total Deleted sessions of Cert Revoked Peers: 0\n");
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_show_ikev2_stats_exchange(struct vty *vty, const struct cmd_args *args)
{
	static const char *const names[IKE_V2_EXCHANGES] = {
		[IKE_V2_SA_INIT] = "IKE_SA_INIT",
		[IKE_V2_AUTH] = "IKE_AUTH",
		[IKE_V2_CREATE_CHILD_SA] = "CREATE_CHILD_SA",
		[IKE_V2_INFORMATIONAL] = "INFORMATIONAL",
	};
	struct ike_v2_stats st = { 0 };

	(void)args;
	if (vty->router != NULL && vty->router->ike != NULL)
		ike_get_v2_stats(vty->router->ike, &st);
	/* NOTE: IOS lists more exchanges and notifies than these rows. */
	vty_out(vty, "%-34s%7s%11s%11s%11s\n", "EXCHANGE/NOTIFY", "TX(REQ)",
		"TX(RES)", "RX(REQ)", "RX(RES)");
	for (int i = 0; i < IKE_V2_EXCHANGES; i++)
		vty_out(vty, "%-34s%7llu%11llu%11llu%11llu\n", names[i],
			(unsigned long long)st.tx_req[i],
			(unsigned long long)st.tx_res[i],
			(unsigned long long)st.rx_req[i],
			(unsigned long long)st.rx_res[i]);
	vty_out(vty, "\nERROR NOTIFY\n\n");
	/* vrouter sends and accepts INVALID_SPI in requests only. */
	vty_out(vty, "%-34s%7llu%11llu%11llu%11llu\n", "INVALID_SPI",
		(unsigned long long)st.invalid_spi_tx, 0ULL,
		(unsigned long long)st.invalid_spi_rx, 0ULL);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_ikev2_sa(struct vty *vty, const struct cmd_args *args)
{
	const char *v = cmd_arg(args, "remote");
	uint32_t addr = 0;

	if (v != NULL && inet_pton(AF_INET, v, &addr) != 1) {
		vty_out(vty, "%% Invalid address %s\n", v);
		return CMD_ERROR;
	}
	if (vty->router == NULL || vty->router->ike == NULL)
		return CMD_SUCCESS;
	ike_clear(vty->router->ike, IKE_CLEAR_IKEV2, addr, 0);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_ikev2_stats(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	if (vty->router != NULL && vty->router->ike != NULL)
		ike_clear_v2_stats(vty->router->ike);
	return CMD_SUCCESS;
}

#define H_SHOW "Show running system information\nEncryption module\n" \
	       "Shows ikev2 information\n"
#define H_CLEAR "Reset functions\nEncryption module\nIKEv2 information\n"

static const struct cmd_def ikev2_cmds[] = {
	{ "show crypto ikev2 sa [detailed]",
	  H_SHOW "Shows ikev2 SAs\nShows detailed ikev2 SA information",
	  cmd_show_ikev2_sa, 0, 0 },
	{ "show crypto ikev2 session [detailed]",
	  H_SHOW "Shows ikev2 active sessions\n"
	  "Shows detailed ikev2 session information",
	  cmd_show_ikev2_session, 0, 0 },
	{ "show crypto ikev2 stats",
	  H_SHOW "Shows ikev2 statistics",
	  cmd_show_ikev2_stats, 0, 0 },
	{ "show crypto ikev2 stats exchange",
	  H_SHOW "Shows ikev2 statistics\nShows ikev2 exchange statistics",
	  cmd_show_ikev2_stats_exchange, 0, 0 },
	{ "clear crypto ikev2 sa [remote A.B.C.D$remote]",
	  H_CLEAR "Clear IKEv2 SAs\nClear the SAs of one remote peer\n"
	  "IP address of the remote peer",
	  cmd_clear_ikev2_sa, 0, 0 },
	{ "clear crypto ikev2 stats",
	  H_CLEAR "Clear IKEv2 statistics",
	  cmd_clear_ikev2_stats, 0, 0 },
};

void
cmd_show_ikev2_install(void)
{
	for (size_t i = 0; i < sizeof(ikev2_cmds) / sizeof(ikev2_cmds[0]); i++)
		cmd_install(MODE_PRIV_EXEC, &ikev2_cmds[i]);
}
