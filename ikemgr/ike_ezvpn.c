/*
 * The EzVPN client's connection and the hooks the IKEv1 code calls.
 * With `connect auto` the client starts Aggressive Mode at start. It
 * starts again whenever the tunnel goes down, because its IKE SA was
 * deleted (DPD, the server's DELETE or INITIAL-CONTACT, a failed XAUTH)
 * or its IPsec SAs are gone. Invalid-SPI recovery never applies to the
 * client, because the server is no static peer and reconnecting brings
 * the SAs back in sync. Runs in the manager thread.
 */
#include "ikemgr/ike_ezvpn.h"

#include "core/debug.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds between two connection attempts. */
#define RETRY_SEC		5
/* Seconds phase 1 may wait for XAUTH and mode config, and mode config
 * for Quick Mode, before the attempt is given up. */
#define SETUP_SEC		30

static const struct ike_ez_client *
client_of(const struct ike_config *c)
{
	return c != NULL && c->ez != NULL ? c->ez->client : NULL;
}

const char *
ike_ezvpn_psk(const struct ike_config *c, const struct ike_entry *entry)
{
	const struct ike_ez_client *cl = client_of(c);

	return entry != NULL && entry->ezvpn && cl != NULL ? cl->key : NULL;
}

size_t
ike_ezvpn_own_id(const struct ike_config *c, uint8_t *out, size_t cap)
{
	const struct ike_ez_client *cl = client_of(c);
	size_t n = cl != NULL ? strlen(cl->group) : 0;

	if (n == 0 || 4 + n > cap)
		return 0;
	out[0] = 11;		/* ID_KEY_ID */
	out[1] = 17;		/* UDP port 500, as IOS sends */
	out[2] = 500 >> 8;
	out[3] = 500 & 0xff;
	memcpy(out + 4, cl->group, n);
	return 4 + n;
}

const struct ike_policy *
ike_ezvpn_policies(const struct ike_config *c, size_t *n)
{
	const struct ike_ez_client *cl = client_of(c);

	*n = cl != NULL ? cl->npolicies : 0;
	return cl != NULL ? cl->policies : NULL;
}

void
ike_ezvpn_add_vids(struct isakmp_buf *b)
{
	static const uint8_t xauth[8] = {
		0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12,
	};
	static const uint8_t unity[16] = {
		0x12, 0xf5, 0xf2, 0x8c, 0x45, 0x71, 0x68, 0xa9,
		0x70, 0x2d, 0x9f, 0xe2, 0x74, 0xcc, 0x01, 0x00,
	};

	isakmp_add(b, ISAKMP_NP_VID, xauth, sizeof(xauth));
	isakmp_add(b, ISAKMP_NP_VID, unity, sizeof(unity));
}

static struct ike_ezvpn_state *
state_of(struct ikemgr *ike)
{
	if (ike->ez == NULL) {
		ike->ez = calloc(1, sizeof(*ike->ez));
		if (ike->ez != NULL)
			ike->ez->last_event = "CONNECT";
	}
	return ike->ez;
}

void
ike_ezvpn_state_free(struct ikemgr *ike)
{
	free(ike->ez);
	ike->ez = NULL;
}

bool
ike_ezvpn_phase1_done(struct ikemgr *ike, struct ike_sa *sa)
{
	const struct ike_ezvpn_config *ez = ike->config->ez;
	const struct ike_ez_group *g;

	if (sa->ezvpn) {
		sa->xa = calloc(1, sizeof(*sa->xa));
		if (ike->ez != NULL && sa->conn_id == ike->ez->conn_id) {
			ike->ez->phase = IKE_EZ_XAUTH_REQ;
			ike->ez->last_event = "IKE_COMPLETE";
		}
		return true;
	}
	if (sa->initiator || ez == NULL)
		return false;
	/* A peer that authenticated with a group key gets XAUTH even when
	 * it offered plain pre-shared keys, because the group key alone
	 * must not open the tunnel. */
	g = ike_ezvpn_group_by_id(ike->config, sa->peer_id, sa->peer_id_len);
	if (!sa->pol.xauth && g == NULL)
		return false;
	sa->xa = calloc(1, sizeof(*sa->xa));
	if (sa->xa == NULL) {
		/* Without its XAUTH state the SA would skip XAUTH. */
		ikev1_delete_sa(ike, sa, true, false);
		return true;
	}
	if (g != NULL)
		snprintf(sa->xa->group, sizeof(sa->xa->group), "%s", g->name);
	if (!ez->server_xauth) {
		/* Without a client authentication list there is no XAUTH,
		 * and the SA goes straight to mode config. */
		sa->xa->step = IKE_XA_AUTHED;
		return true;
	}
	if (ike_xauth_server_start(ike, sa) < 0)
		sa->xa->step = IKE_XA_FAILED;
	return true;
}

bool
ike_ezvpn_server(const struct ike_config *c)
{
	return c != NULL && c->ez != NULL &&
	       (c->ez->ngroups > 0 || c->ez->server_xauth);
}

bool
ike_ezvpn_qm_allowed(const struct ike_sa *sa)
{
	return sa->xa == NULL || sa->xa->step == IKE_XA_AUTHED ||
	       sa->xa->step == IKE_XA_DONE;
}

bool
ike_ezvpn_client_peer(const struct ikemgr *ike, uint32_t peer)
{
	const struct ike_ez_client *cl = client_of(ike->config);

	return cl != NULL && cl->peer == peer;
}

bool
ike_ezvpn_owns_child(const struct ike_config *c,
		     const struct ike_child *child)
{
	const struct ike_ez_client *cl = client_of(c);

	return cl != NULL && child->map_seq == cl->entry.seq &&
	       strcmp(child->map, cl->entry.map) == 0 &&
	       strcmp(child->ifname, cl->entry.ifname) == 0;
}

/* Checks whether a pair of the client protects the flow to network N. */
static bool
has_pair_to(struct ikemgr *ike, const struct ike_ez_net *n)
{
	for (size_t i = 0; i < ike->nchildren; i++) {
		const struct ike_child *c = &ike->children[i];

		if (ike_ezvpn_owns_child(ike->config, c) && !c->rekeyed &&
		    c->selector.remote == n->addr &&
		    c->selector.remote_mask == n->mask)
			return true;
	}
	return false;
}

static size_t
count_pairs(struct ikemgr *ike)
{
	size_t n = 0;

	for (size_t i = 0; i < ike->nchildren; i++)
		n += ike_ezvpn_owns_child(ike->config, &ike->children[i]);
	return n;
}

/*
 * Starts Quick Mode for the first split network without a pair, from
 * the inside network. Without split networks the remote side is any
 * address. One runs at a time, since they share the entry.
 */
static void
start_quick_modes(struct ikemgr *ike, struct ike_sa *sa)
{
	const struct ike_ez_client *cl = client_of(ike->config);
	struct ike_ezvpn_state *st = ike->ez;
	struct ike_ez_net any = { 0, 0 };
	size_t n = st->nsplit > 0 ? st->nsplit : 1;

	for (size_t i = 0; i < n; i++) {
		const struct ike_ez_net *to = st->nsplit > 0 ? &st->split[i] :
					      &any;
		struct ike_entry e = cl->entry;

		if (has_pair_to(ike, to))
			continue;
		e.has_selector = true;
		e.selector.proto = -1;
		e.selector.permit = true;
		e.selector.src = cl->inside_net.addr;
		e.selector.src_wild = ~cl->inside_net.mask;
		e.selector.dst = to->addr;
		e.selector.dst_wild = ~to->mask;
		ikev1_quick_start(ike, sa, &e);
		return;
	}
}

static void
log_connection(const struct ike_ez_client *cl,
	       const struct ike_ezvpn_state *st, bool up)
{
	char local[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
	char net[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
	char assigned[INET_ADDRSTRLEN];
	enum log_msg_id id = up ? LOGMSG_CRYPTO_EZVPN_CONNECTION_UP :
			     LOGMSG_CRYPTO_EZVPN_CONNECTION_DOWN;

	inet_ntop(AF_INET, &cl->local, local, sizeof(local));
	inet_ntop(AF_INET, &st->peer, peer, sizeof(peer));
	inet_ntop(AF_INET, &st->assigned, assigned, sizeof(assigned));
	inet_ntop(AF_INET, &cl->inside_net.addr, net, sizeof(net));
	inet_ntop(AF_INET, &cl->inside_net.mask, mask, sizeof(mask));
	log_msg(id, "(Client) User=%s Group=%s Client_public_addr=%s "
		"Server_public_addr=%s Assigned_client_addr=%s "
		"NEM_Remote_Subnets=%s/%s", cl->user, cl->group, local, peer,
		assigned, net, mask);
}

/* Removes the pairs of a tunnel that went down and schedules a new
 * attempt. A DELETE goes to the server while an IKE SA with it is up. */
static void
went_down(struct ikemgr *ike, const struct ike_ez_client *cl, double now,
	  const char *event)
{
	struct ike_ezvpn_state *st = ike->ez;
	size_t i = 0;

	while (i < ike->nchildren) {
		if (cl != NULL &&
		    ike_ezvpn_owns_child(ike->config, &ike->children[i]))
			ikev1_remove_child(ike, i, true);
		else
			i++;
	}
	if (st->up && cl != NULL)
		log_connection(cl, st, false);
	st->up = false;
	st->conn_id = 0;
	st->phase = IKE_EZ_CONNECT_REQUIRED;
	st->last_event = event;
	if (st->next_try < now + 1)
		st->next_try = now + 1;
}

static void
key_digest(const struct ike_ez_client *cl, uint8_t out[32])
{
	struct ike_chunk in = { cl->key, strlen(cl->key) };

	if (ike_hash(IKE_HASH_SHA256, &in, 1, out) < 0)
		memset(out, 0, 32);
}

/* Checks whether the group key changed since the attempt in progress
 * began. Such an attempt fails on the hash of phase 1, or has failed
 * already. */
static bool
key_changed(const struct ike_ezvpn_state *st, const struct ike_ez_client *cl)
{
	uint8_t now_digest[32];

	if (st->up || st->phase > IKE_EZ_IKE_PEND)
		return false;
	key_digest(cl, now_digest);
	return memcmp(now_digest, st->key_digest, sizeof(now_digest)) != 0;
}

static void
connect_now(struct ikemgr *ike, const struct ike_ez_client *cl, double now)
{
	struct ike_ezvpn_state *st = ike->ez;
	struct ike_sa *sa;

	st->next_try = now + RETRY_SEC;
	if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, ntohl(cl->peer)))
		log_debug("EZVPN(%s): connecting to %s", cl->name,
			  inet_ntop(AF_INET, &cl->peer,
				    (char[INET_ADDRSTRLEN]){ 0 },
				    INET_ADDRSTRLEN));
	sa = ikev1_initiate(ike, cl->peer, &cl->entry);
	if (sa == NULL)
		return;
	st->connects++;
	key_digest(cl, st->key_digest);
	st->conn_id = sa->conn_id;
	st->peer = cl->peer;
	st->phase = IKE_EZ_IKE_PEND;
	st->last_event = "CONNECT";
}

/* Gives up an attempt stuck between phase 1 and IPsec. */
static bool
stuck(const struct ike_sa *sa, double now)
{
	if (sa->state != IKE_QM_IDLE || now - sa->established < SETUP_SEC)
		return false;
	return sa->xa == NULL || sa->xa->step != IKE_XA_DONE;
}

void
ike_ezvpn_timers(struct ikemgr *ike, double now)
{
	const struct ike_ez_client *cl = client_of(ike->config);
	struct ike_ezvpn_state *st;
	struct ike_sa *sa;

	if (cl == NULL && ike->ez == NULL)
		return;
	st = state_of(ike);
	if (st == NULL)
		return;
	sa = st->conn_id != 0 ? ike_find_sa_by_conn(ike, st->conn_id) : NULL;
	if (cl == NULL || cl->unusable[0] != '\0') {
		if (st->conn_id != 0 || st->up)
			went_down(ike, cl, now, "CONFIG_CHANGED");
		if (sa != NULL)
			ikev1_delete_sa(ike, sa, true, false);
		return;
	}
	if (st->connects > 0 && key_changed(st, cl)) {
		if (sa != NULL)
			ikev1_delete_sa(ike, sa, false, false);
		went_down(ike, cl, now, "CONFIG_CHANGED");
		st->next_try = now;
		key_digest(cl, st->key_digest);
	} else if (st->conn_id != 0 && sa == NULL) {
		went_down(ike, cl, now, st->phase == IKE_EZ_IPSEC_ACTIVE ?
			  "IKE_SA_DELETED" : "CONNECT_FAILED");
	} else if (sa != NULL && sa->xa != NULL &&
		   sa->xa->step == IKE_XA_FAILED) {
		ikev1_delete_sa(ike, sa, false, false);
		went_down(ike, cl, now, "XAUTH_STATUS_FAIL");
		st->next_try = now + RETRY_SEC;
	} else if (sa != NULL && stuck(sa, now) && count_pairs(ike) == 0) {
		ikev1_delete_sa(ike, sa, true, false);
		went_down(ike, cl, now, "TIMEOUT");
	} else if (sa != NULL && sa->xa != NULL &&
		   sa->xa->step == IKE_XA_DONE) {
		start_quick_modes(ike, sa);
		if (count_pairs(ike) > 0 && !st->up) {
			st->up = true;
			st->phase = IKE_EZ_IPSEC_ACTIVE;
			st->last_event = "IPSEC_ACTIVE";
			log_connection(cl, st, true);
		}
	}
	if (st->conn_id == 0 && st->connect_request) {
		st->connect_request = false;
		connect_now(ike, cl, now);
	} else if (st->conn_id == 0 && cl->connect_auto &&
		   now >= st->next_try) {
		connect_now(ike, cl, now);
	}
}

int
ike_ezvpn_connect(struct ikemgr *ike, const char *name)
{
	const struct ike_ez_client *cl;
	struct ike_ezvpn_state *st;
	int ret = -1;

	pthread_mutex_lock(&ike->sa_lock);
	cl = client_of(ike->config);
	if (cl == NULL || (name != NULL && strcmp(name, cl->name) != 0))
		goto out;
	st = state_of(ike);
	if (st == NULL)
		goto out;
	/* The next timer run starts Aggressive Mode unless one is on. */
	st->connect_request = st->conn_id == 0;
	ret = 0;
out:
	pthread_mutex_unlock(&ike->sa_lock);
	return ret;
}

/*
 * NOTE: IOS's names for the states between phase 1 and IPSEC_ACTIVE are
 * known only in part, so mode config and Quick Mode both show as
 * SS_OPEN, and the Last Event names are vrouter's own.
 */
static const char *
phase_name(enum ike_ez_phase p)
{
	switch (p) {
	case IKE_EZ_CONNECT_REQUIRED: return "CONNECT_REQUIRED";
	case IKE_EZ_IKE_PEND: return "IKE_PEND";
	case IKE_EZ_XAUTH_REQ: return "XAUTH_REQ";
	case IKE_EZ_XAUTH_REPLIED: return "XAUTH_REPLIED";
	case IKE_EZ_MODECFG_PEND: return "SS_OPEN";
	case IKE_EZ_IPSEC_PEND: return "SS_OPEN";
	case IKE_EZ_IPSEC_ACTIVE: return "IPSEC_ACTIVE";
	}
	return "CONNECT_REQUIRED";
}

int
ike_get_ezvpn(struct ikemgr *ike, struct ike_ezvpn_info *out)
{
	const struct ike_ez_client *cl;
	const struct ike_ezvpn_state *st;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ike->sa_lock);
	cl = client_of(ike->config);
	st = ike->ez;
	if (cl != NULL) {
		out->configured = true;
		snprintf(out->name, sizeof(out->name), "%s", cl->name);
		snprintf(out->mode, sizeof(out->mode), "%s", cl->mode);
		snprintf(out->inside, sizeof(out->inside), "%s", cl->inside);
		snprintf(out->outside, sizeof(out->outside), "%s",
			 cl->outside);
		snprintf(out->unusable, sizeof(out->unusable), "%s",
			 cl->unusable);
		out->peer = cl->peer;
		out->connect_auto = cl->connect_auto;
	}
	snprintf(out->state, sizeof(out->state), "%s",
		 phase_name(st != NULL ? st->phase : IKE_EZ_CONNECT_REQUIRED));
	snprintf(out->last_event, sizeof(out->last_event), "%s",
		 st != NULL ? st->last_event : "CONNECT");
	if (st != NULL && st->phase >= IKE_EZ_IPSEC_PEND) {
		out->assigned = st->assigned;
		out->assigned_mask = st->assigned_mask;
		out->nsplit = st->nsplit;
		for (size_t i = 0; i < st->nsplit; i++) {
			out->split_addr[i] = st->split[i].addr;
			out->split_mask[i] = st->split[i].mask;
		}
	}
	if (st != NULL) {
		out->connects = st->connects;
		out->xauth_failed = st->xauth_failed;
	}
	pthread_mutex_unlock(&ike->sa_lock);
	return out->configured ? 0 : -1;
}
