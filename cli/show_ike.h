/*
 * Writers behind `show crypto isakmp sa`, `show crypto isakmp peers` and
 * `show crypto session`. The commands pass live snapshots from the IKE
 * manager and the datapath; tests pass snapshots built by hand.
 */
#ifndef VR_CLI_SHOW_IKE_H
#define VR_CLI_SHOW_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vty;
struct lyd_node;
struct ike_sa_info;
struct dp_sa_info;

/* The snapshots that `show crypto session` combines into sessions. */
struct cmd_session_input {
	const struct lyd_node *running;	/* static peers; may be NULL */
	const struct ike_sa_info *ike;	/* from ike_get_sas() */
	size_t n_ike;
	const struct dp_sa_info *ipsec;	/* from dp_get_sas() */
	size_t n_ipsec;
	uint64_t now_ns;		/* dp_now_ns() when IPSEC was read */
};

/* Writes the IKEv1 SAs of SAS as `show crypto isakmp sa [detail]`. */
void cmd_isakmp_sa_write(struct vty *vty, const struct ike_sa_info *sas,
			 size_t n, bool detail);

/* Writes one entry per IKEv1 peer of SAS as `show crypto isakmp peers`. */
void cmd_isakmp_peers_write(struct vty *vty, const struct ike_sa_info *sas,
			    size_t n);

/*
 * Writes `show crypto session [detail]`: one session per interface and
 * peer, from the static peers of IN->running (crypto map entries applied
 * to an interface, protected point-to-point tunnels), the IKE SAs and
 * the IPsec SAs. REMOTE (network order) keeps only that peer; 0 keeps
 * all. Returns -1 when out of memory, after writing nothing.
 */
int cmd_crypto_session_write(struct vty *vty,
			     const struct cmd_session_input *in,
			     uint32_t remote, bool detail);

#endif
