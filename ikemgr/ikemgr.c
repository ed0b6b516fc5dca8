/*
 * The IKE manager thread. It owns the IKE SA table and the per-peer
 * recovery state. Other threads reach it through its event queue
 * (datapath reports, acquires, clear requests), its packet queue
 * (inbound IKE messages) and the config snapshot that
 * ike_config_apply() leaves for it. The thread holds sa_lock while it
 * handles anything, so ike_get_sas() sees whole states.
 */
#include "ikemgr/ike_private.h"
#include "ikemgr/ike_ezvpn.h"
#include "ikemgr/ikev2.h"
#include "ikemgr/ike_diag.h"

#include "core/debug.h"
#include "core/log.h"
#include "core/msgq.h"
#include "datapath/datapath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libyang/libyang.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define PACKET_QUEUE_LEN	64
#define TIMER_TICK_MS		100

/* A `clear crypto ...` request, answered in the manager thread. */
struct clear_req {
	enum ike_clear_kind kind;
	uint32_t addr;
	uint32_t conn_id;
	int result;
};

/* One message of the event queue. */
struct ike_event {
	enum {
		IKE_EV_INVALID_SPI,
		IKE_EV_SA_LIFETIME,
		IKE_EV_ACQUIRE,
		IKE_EV_CLEAR,
		IKE_EV_INITIATE,
	} kind;
	union {
		struct dp_invalid_spi_event spi;
		struct dp_sa_event sa;
		struct dp_acquire_event acquire;
		struct clear_req *clear;
		uint32_t peer;
	} u;
};

static double
monotonic_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ike_child_set_ports(struct ikemgr *ike, uint32_t peer, uint32_t spi_out,
		    uint16_t lport, uint16_t pport)
{
	if (ike->io.set_encap != NULL)
		(void)ike->io.set_encap(ike->io_ctx, peer, spi_out, lport,
					pport);
}

double
ike_now(struct ikemgr *ike)
{
	return ike->now_fn(ike->now_ctx);
}

struct ikemgr *
ike_create(void)
{
	struct ikemgr *ike;

	ike = calloc(1, sizeof(*ike));
	if (ike == NULL)
		return NULL;
	ike->events = msgq_create(IKE_EVENT_QUEUE_LEN, sizeof(struct ike_event));
	ike->packets = msgq_create(PACKET_QUEUE_LEN,
				   sizeof(struct dp_ike_packet));
	ike->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ike->events == NULL || ike->packets == NULL || ike->stop_fd < 0) {
		msgq_destroy(ike->events);
		msgq_destroy(ike->packets);
		if (ike->stop_fd >= 0)
			close(ike->stop_fd);
		free(ike);
		return NULL;
	}
	ike->now_fn = monotonic_now;
	ike->next_conn_id = 1001;
	pthread_mutex_init(&ike->config_lock, NULL);
	pthread_mutex_init(&ike->sa_lock, NULL);
	pthread_mutex_init(&ike->sync_lock, NULL);
	pthread_cond_init(&ike->sync_cond, NULL);
	return ike;
}

void
ike_set_clock(struct ikemgr *ike, double (*now_fn)(void *ctx), void *ctx)
{
	ike->now_fn = now_fn != NULL ? now_fn : monotonic_now;
	ike->now_ctx = ctx;
}

static int
dp_send(void *ctx, const struct dp_ike_packet *pkt)
{
	return dp_ike_send(ctx, pkt);
}

static int
dp_install(void *ctx, const struct dp_sa_cfg *sas, size_t n, char *err,
	   size_t errlen)
{
	return dp_sa_install_n(ctx, sas, n, err, errlen);
}

static int
dp_remove(void *ctx, bool outbound, uint32_t dst, uint32_t spi)
{
	return dp_sa_remove(ctx, outbound, dst, spi);
}

static int
dp_set_encap(void *ctx, uint32_t dst, uint32_t spi, uint16_t sport,
	     uint16_t dport)
{
	return dp_sa_set_encap(ctx, dst, spi, sport, dport);
}

void
ike_set_dp(struct ikemgr *ike, struct dp *dp)
{
	static const struct ike_transport via_dp = {
		.send = dp_send,
		.install = dp_install,
		.remove = dp_remove,
		.set_encap = dp_set_encap,
	};

	ike_set_transport(ike, &via_dp, dp);
	ike->diag_dp = dp;
}

void
ike_set_transport(struct ikemgr *ike, const struct ike_transport *t,
		  void *ctx)
{
	ike->io = *t;
	ike->io_ctx = ctx;
}

void
ike_set_spi_source(struct ikemgr *ike, uint32_t (*fn)(void *ctx), void *ctx)
{
	ike->spi_fn = fn;
	ike->spi_ctx = ctx;
}

void
ike_destroy(struct ikemgr *ike)
{
	if (ike == NULL)
		return;
	ike_stop(ike);
	msgq_destroy(ike->events);
	msgq_destroy(ike->packets);
	close(ike->stop_fd);
	ike_config_free(ike->pending);
	ike_config_free(ike->config);
	for (size_t i = 0; i < ike->nsas; i++)
		ikev1_free_sa(ike->sas[i]);
	for (size_t i = 0; i < ike->nqms; i++)
		ikev1_free_qm(ike->qms[i]);
	ikev2_free_all(ike);
	ike_ezvpn_state_free(ike);
	free(ike->sas);
	free(ike->qms);
	free(ike->children);
	free(ike->contacted);
	free(ike->recoveries);
	pthread_mutex_destroy(&ike->config_lock);
	pthread_mutex_destroy(&ike->sa_lock);
	pthread_mutex_destroy(&ike->sync_lock);
	pthread_cond_destroy(&ike->sync_cond);
	free(ike);
}

/* ---- Config: derived in the committing thread, used by the manager. */

void
ike_config_apply(void *arg, const struct lyd_node *running)
{
	struct ikemgr *ike = arg;
	struct ike_config *c, *old;

	c = ike_config_derive(running);
	if (c == NULL) {
		/* The previous config stays in force. */
		log_debug("IKE: out of memory while applying the IKE config");
		return;
	}
	pthread_mutex_lock(&ike->config_lock);
	old = ike->pending;
	ike->pending = c;
	pthread_mutex_unlock(&ike->config_lock);
	ike_config_free(old);
}

/* Takes the config that ike_config_apply() left, if any; returns
 * whether there was one. */
static bool
take_pending_config(struct ikemgr *ike)
{
	struct ike_config *c;

	pthread_mutex_lock(&ike->config_lock);
	c = ike->pending;
	ike->pending = NULL;
	pthread_mutex_unlock(&ike->config_lock);
	if (c == NULL)
		return false;
	ike_config_free(ike->config);
	ike->config = c;
	ike->config_changed = true;
	return true;
}

/* ---- Event handling, in the manager thread. */

/*
 * Records a recovery attempt towards PEER at NOW unless one was made in
 * the last IKE_RECOVERY_INTERVAL_SEC. Returns true when it may start.
 */
static bool
recovery_allowed(struct ikemgr *ike, uint32_t peer, double now)
{
	struct ike_recovery *r;
	size_t i;

	for (i = 0; i < ike->nrecoveries; i++) {
		r = &ike->recoveries[i];
		if (r->peer != peer)
			continue;
		if (now - r->last_attempt < IKE_RECOVERY_INTERVAL_SEC)
			return false;
		r->last_attempt = now;
		return true;
	}

	/* Only static peers get here, so the table stays small. */
	r = realloc(ike->recoveries, (ike->nrecoveries + 1) * sizeof(*r));
	if (r == NULL)
		return false;
	ike->recoveries = r;
	ike->recoveries[ike->nrecoveries++] = (struct ike_recovery){ peer, now };
	return true;
}

/* Queues a DELETE for SPI on SA, to go out once phase 1 completes. */
static void
defer_delete(struct ike_sa *sa, uint32_t spi)
{
	for (size_t i = 0; i < sa->npending_deletes; i++)
		if (sa->pending_deletes[i] == spi)
			return;
	if (sa->npending_deletes < IKE_PENDING_DELETES)
		sa->pending_deletes[sa->npending_deletes++] = spi;
}

static void start_for_entry(struct ikemgr *ike, const struct ike_entry *e);

/*
 * Starts Main Mode with INITIAL-CONTACT towards the sender of an unknown
 * SPI, then sends the DELETE and runs Quick Mode for its map entry. A
 * peer that cannot start Quick Mode on traffic would otherwise stay
 * without SAs (strongSwan 5.9 with kernel-libipsec has no acquire). An
 * entry with an IKEv2 profile negotiates IKEv2 instead.
 */
static void
recover(struct ikemgr *ike, const struct dp_invalid_spi_event *ev)
{
	const struct ike_entry *e = ike_config_entry_for_peer(ike->config,
							       ev->src);
	struct ike_sa *sa;

	if (e != NULL && e->ikev2_profile[0] != '\0') {
		if (!e->dynamic)
			ikev2_recover(ike, e, ev->spi);
		return;
	}
	if (e != NULL && !e->dynamic)
		start_for_entry(ike, e);
	sa = ike_find_sa(ike, ev->src);
	if (sa == NULL)
		sa = ikev1_initiate(ike, ev->src, NULL);
	if (sa == NULL)
		return;
	sa->send_initial_contact = true;
	defer_delete(sa, ev->spi);
}

static void
handle_invalid_spi(struct ikemgr *ike, const struct dp_invalid_spi_event *ev)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	const struct ike_config *c = ike->config;
	struct ike_sa *sa;

	atomic_fetch_add(&ike->invalid_spi_events, 1);
	inet_ntop(AF_INET, &ev->src, src, sizeof(src));
	inet_ntop(AF_INET, &ev->dst, dst, sizeof(dst));

	if (ikev2_invalid_spi(ike, ev)) {
		ike_diag_action(ike, ev, DP_SPI_ACT_INVALID_SPI_SENT);
		return;
	}
	sa = ike_find_sa(ike, ev->src);
	if (sa != NULL && sa->state == IKE_QM_IDLE) {
		/* An INVALID-SPI notify, then, as IOS, a DELETE naming the
		 * SPI the sender used. */
		if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, ntohl(ev->src)))
			log_debug("ISAKMP: (%u):invalid SPI 0x%X from %s: sending delete notify",
				  sa->conn_id, ev->spi, src);
		ikev1_send_invalid_spi(ike, sa, ev->spi);
		ikev1_send_delete_esp(ike, sa, &ev->spi, 1);
		ike_diag_action(ike, ev, DP_SPI_ACT_DELETE_SENT);
		return;
	}
	if (ike_ezvpn_client_peer(ike, ev->src)) {
		/* An EzVPN client never starts IKE for an unknown SPI: its
		 * server is no static peer, and `connect auto` reconnects. */
		if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, ntohl(ev->src)))
			log_debug("ISAKMP: (0):invalid SPI 0x%X from %s: EzVPN client, no invalid-spi-recovery",
				  ev->spi, src);
		atomic_fetch_add(&ike->delete_notify_ignored, 1);
		ike_diag_action(ike, ev, DP_SPI_ACT_EZVPN_CLIENT);
		return;
	}
	if (sa != NULL) {
		/* Phase 1 is under way: the DELETE follows it. */
		defer_delete(sa, ev->spi);
		ike_diag_action(ike, ev, DP_SPI_ACT_DELETE_QUEUED);
		return;
	}

	if (c != NULL && c->invalid_spi_recovery &&
	    ike_config_static_peer(c, ev->src)) {
		if (recovery_allowed(ike, ev->src, ike_now(ike))) {
			atomic_fetch_add(&ike->recovery_started, 1);
			/*
			 * NOTE: IOS's debug wording for this step is not
			 * known; this line is vrouter's own.
			 */
			if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, ntohl(ev->src)))
				log_debug("ISAKMP: (0):invalid SPI recovery: starting IKE with %s for SPI 0x%X received on %s",
					  src, ev->spi, ev->ifname);
			recover(ike, ev);
			ike_diag_action(ike, ev, DP_SPI_ACT_RECOVERY);
			return;
		}
		atomic_fetch_add(&ike->recovery_suppressed, 1);
		ike_diag_action(ike, ev, DP_SPI_ACT_SUPPRESSED);
	} else {
		ike_diag_action(ike, ev, ike_config_static_peer(c, ev->src) ?
				DP_SPI_ACT_IGNORED : DP_SPI_ACT_NOT_PEER);
	}

	atomic_fetch_add(&ike->delete_notify_ignored, 1);
	if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, ntohl(ev->src)))
		log_debug("ISAKMP-ERROR: (0):ignoring request to send delete notify (no ISAKMP sa) src %s dst %s for SPI 0x%X",
			  dst, src, ev->spi);
}

/* Starts negotiation for ENTRY: Quick Mode over a live IKE SA, else Main
 * Mode first. */
static void
start_for_entry(struct ikemgr *ike, const struct ike_entry *e)
{
	struct ike_sa *sa;

	if (e->dynamic || e->npeers == 0)
		return;		/* a dynamic map only answers */
	if (e->ikev2_profile[0] != '\0') {
		ikev2_start(ike, e);
		return;
	}
	sa = ike_find_sa(ike, e->peers[0]);
	if (sa != NULL && sa->state == IKE_QM_IDLE) {
		ikev1_quick_start(ike, sa, e);
		return;
	}
	if (sa == NULL)
		sa = ikev1_initiate(ike, e->peers[0], e);
	if (sa == NULL)
		return;
	sa->pending_qm = true;
	snprintf(sa->pending_map, sizeof(sa->pending_map), "%s", e->map);
	sa->pending_seq = e->seq;
	snprintf(sa->pending_ifname, sizeof(sa->pending_ifname), "%s",
		 e->ifname);
}

/* True when ENTRY has an SA pair that is not being replaced. */
static bool
has_pair(struct ikemgr *ike, const struct ike_entry *e)
{
	for (size_t i = 0; i < ike->nchildren; i++) {
		const struct ike_child *c = &ike->children[i];

		if (c->map_seq == e->seq && strcmp(c->map, e->map) == 0 &&
		    strcmp(c->ifname, e->ifname) == 0 && !c->rekeyed &&
		    (!e->multipoint || e->npeers == 0 ||
		     c->peer == e->peers[0]))
			return true;
	}
	return ikev2_has_child(ike, e);
}

/* True when the config still has the crypto map entry or tunnel that
 * pair C was negotiated for, on the same interface. */
static bool
entry_configured(const struct ike_config *cfg, const struct ike_child *c)
{
	for (size_t i = 0; cfg != NULL && i < cfg->nentries; i++) {
		const struct ike_entry *e = &cfg->entries[i];

		if (e->seq == c->map_seq && strcmp(e->map, c->map) == 0 &&
		    strcmp(e->ifname, c->ifname) == 0)
			return true;
	}
	return ike_ezvpn_owns_child(cfg, c);
}

/*
 * Deletes the IKEv1 SA pairs whose crypto map entry or tunnel left the
 * config (`no crypto map NAME SEQ`, or the map taken off its interface),
 * with a DELETE to the peer where an IKE SA is up, as IOS does.
 */
static void
remove_unconfigured(struct ikemgr *ike)
{
	size_t i = 0;

	while (i < ike->nchildren) {
		const struct ike_child *c = &ike->children[i];

		/* A pair bound to neither a map nor an interface has no
		 * entry to lose. */
		if ((c->map[0] == '\0' && c->ifname[0] == '\0') ||
		    entry_configured(ike->config, c)) {
			i++;
			continue;
		}
		ikev1_remove_child(ike, i, true);
	}
}

/* Protected tunnels negotiate as soon as they are configured, as IOS
 * brings them up, without waiting for traffic. */
static void
start_tunnels(struct ikemgr *ike)
{
	const struct ike_config *c = ike->config;

	for (size_t i = 0; c != NULL && i < c->nentries; i++) {
		const struct ike_entry *e = &c->entries[i];

		if (e->map[0] != '\0' || e->local == 0 || e->multipoint ||
		    has_pair(ike, e) || ike_find_sa(ike, e->peers[0]) != NULL)
			continue;
		start_for_entry(ike, e);
	}
}

static void
handle_acquire(struct ikemgr *ike, const struct dp_acquire_event *ev)
{
	const struct ike_entry *e;
	struct ike_entry resolved;

	e = ike_config_lookup(ike->config, ev->map, ev->map_seq, ev->ifname);
	/*
	 * An mGRE tunnel's event carries the GRE packet to the NBMA peer. A
	 * peer that no static map names was resolved by NHRP: its SAs come
	 * from the dynamic entry, aimed at that peer. It stays a dynamic
	 * peer, so invalid-SPI recovery still leaves it alone.
	 */
	if (e != NULL && e->multipoint) {
		const struct ike_entry *dyn = e;

		e = ike_config_tunnel_peer(ike->config, ev->ifname, ev->dst);
		if (e == NULL && dyn->dynamic && ev->dst != 0) {
			resolved = *dyn;
			resolved.dynamic = false;
			resolved.peers[0] = ev->dst;
			resolved.npeers = 1;
			e = &resolved;
		}
	}
	if (e == NULL || has_pair(ike, e))
		return;
	start_for_entry(ike, e);
}

static void
handle_initiate(struct ikemgr *ike, uint32_t peer)
{
	const struct ike_entry *e = ike_config_entry_for_peer(ike->config,
							       peer);

	if (e != NULL && !e->dynamic)
		start_for_entry(ike, e);
	else if (ike_find_sa(ike, peer) == NULL)
		ikev1_initiate(ike, peer, NULL);
}

static void
mark_handled(struct ikemgr *ike, uint64_t n)
{
	pthread_mutex_lock(&ike->sync_lock);
	ike->handled += n;
	pthread_cond_broadcast(&ike->sync_cond);
	pthread_mutex_unlock(&ike->sync_lock);
}

/*
 * An SA reached its soft or hard limit. At the soft limit a new Quick
 * Mode starts for a static map entry, whichever side negotiated the old
 * pair. The two pairs overlap until the peer sends on the new one, or
 * for at most 10 s, and then the IKEv1 timers delete the old pair. At the
 * hard limit the datapath removed one SA, and its sibling goes too.
 */
static void
handle_sa_lifetime(struct ikemgr *ike, const struct dp_sa_event *ev)
{
	char dst[INET_ADDRSTRLEN];

	if (ev->kind == DP_SA_SOFT_EXPIRED)
		atomic_fetch_add(&ike->sa_soft_expired, 1);
	else
		atomic_fetch_add(&ike->sa_hard_expired, 1);
	if (debug_on_peer(DEBUG_CRYPTO_IPSEC, ntohl(ev->dst))) {
		inet_ntop(AF_INET, &ev->dst, dst, sizeof(dst));
		log_debug("IPSEC(sa_lifetime): %s %s lifetime of %s SA reached, "
			  "sa_dest= %s, sa_spi= 0x%X(%u)",
			  ev->kind == DP_SA_SOFT_EXPIRED ? "soft" : "hard",
			  ev->by_bytes ? "kilobyte" : "time",
			  ev->outbound ? "outbound" : "inbound", dst, ev->spi,
			  ev->spi);
	}
	if (ikev2_sa_lifetime(ike, ev))
		return;
	for (size_t i = 0; i < ike->nchildren; i++) {
		struct ike_child *c = &ike->children[i];
		const struct ike_entry *e;

		if ((ev->outbound ? c->spi_out : c->spi_in) != ev->spi)
			continue;
		if (ev->kind == DP_SA_HARD_EXPIRED) {
			ikev1_remove_child(ike, i, false);
			return;
		}
		if (c->rekeyed)
			return;
		c->rekeyed = true;
		e = ike_config_lookup(ike->config, c->map, c->map_seq,
				      c->ifname);
		if (e != NULL)
			start_for_entry(ike, e);
		return;
	}
}

static int
do_clear(struct ikemgr *ike, const struct clear_req *r)
{
	int n = 0;
	bool matched = false;
	size_t i;

	if (r->kind == IKE_CLEAR_IKEV2) {
		n = ikev2_clear(ike, true, true, r->addr);
		return n == 0 && r->addr != 0 ? -1 : n;
	}
	if (r->kind != IKE_CLEAR_ISAKMP) {
		n = ikev2_clear(ike, r->kind == IKE_CLEAR_SESSION, true,
				r->addr);
		matched = n > 0;
	}
	if (r->kind == IKE_CLEAR_ALL_SA || r->kind == IKE_CLEAR_PEER_SA ||
	    r->kind == IKE_CLEAR_SESSION) {
		i = 0;
		while (i < ike->nchildren) {
			if (r->addr != 0 && ike->children[i].peer != r->addr) {
				i++;
				continue;
			}
			matched = true;
			ikev1_remove_child(ike, i, true);
			n++;
		}
	}
	if (r->kind == IKE_CLEAR_ISAKMP || r->kind == IKE_CLEAR_SESSION) {
		i = 0;
		while (i < ike->nsas) {
			struct ike_sa *sa = ike->sas[i];

			if ((r->addr != 0 && sa->peer != r->addr) ||
			    (r->conn_id != 0 && sa->conn_id != r->conn_id)) {
				i++;
				continue;
			}
			matched = true;
			ikev1_delete_sa(ike, sa, true, false);
			n++;
		}
	}
	if (!matched && (r->addr != 0 || r->conn_id != 0))
		return -1;
	return n;
}

static void
handle_event(struct ikemgr *ike, struct ike_event *ev)
{
	switch (ev->kind) {
	case IKE_EV_INVALID_SPI:
		handle_invalid_spi(ike, &ev->u.spi);
		break;
	case IKE_EV_SA_LIFETIME:
		handle_sa_lifetime(ike, &ev->u.sa);
		break;
	case IKE_EV_ACQUIRE:
		handle_acquire(ike, &ev->u.acquire);
		break;
	case IKE_EV_CLEAR:
		ike_diag_clearing(ike, true);
		ev->u.clear->result = do_clear(ike, ev->u.clear);
		ike_diag_clearing(ike, false);
		break;
	case IKE_EV_INITIATE:
		handle_initiate(ike, ev->u.peer);
		break;
	}
}

/* Milliseconds until the next retransmission is due, at most one timer
 * tick, so retransmissions keep their intervals to the millisecond. */
static int
poll_timeout(struct ikemgr *ike)
{
	double next, wait;

	pthread_mutex_lock(&ike->sa_lock);
	next = ikev1_next_deadline(ike);
	pthread_mutex_unlock(&ike->sa_lock);
	if (next == 0)
		return TIMER_TICK_MS;
	wait = (next - ike_now(ike)) * 1000.0;
	if (wait <= 0)
		return 0;
	return wait < TIMER_TICK_MS ? (int)wait + 1 : TIMER_TICK_MS;
}

static void *
thread_main(void *arg)
{
	struct ikemgr *ike = arg;
	struct ike_event ev;
	struct dp_ike_packet *pkt = malloc(sizeof(*pkt));
	struct pollfd pfd[3];

	if (pkt == NULL)
		return NULL;
	pfd[0] = (struct pollfd){ .fd = msgq_fd(ike->events), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = ike->stop_fd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = msgq_fd(ike->packets), .events = POLLIN };
	for (;;) {
		if (poll(pfd, 3, poll_timeout(ike)) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN)
			break;
		pthread_mutex_lock(&ike->sa_lock);
		/*
		 * The config is checked before each event, so an event
		 * posted after ike_config_apply() returned is handled
		 * under that config.
		 */
		while (msgq_pop(ike->packets, pkt)) {
			take_pending_config(ike);
			if (ikev2_is_v2(pkt))
				ikev2_input(ike, pkt);
			else
				ikev1_input(ike, pkt);
			mark_handled(ike, 1);
		}
		while (msgq_pop(ike->events, &ev)) {
			take_pending_config(ike);
			handle_event(ike, &ev);
			mark_handled(ike, 1);
		}
		take_pending_config(ike);
		if (ike->config_changed) {
			ike->config_changed = false;
			remove_unconfigured(ike);
			start_tunnels(ike);
		}
		ikev1_timers(ike, ike_now(ike));
		ikev2_timers(ike, ike_now(ike));
		pthread_mutex_unlock(&ike->sa_lock);
	}
	free(pkt);
	return NULL;
}

int
ike_start(struct ikemgr *ike)
{
	if (ike->running)
		return 0;
	take_pending_config(ike);
	pthread_mutex_lock(&ike->sync_lock);
	ike->running = true;
	pthread_mutex_unlock(&ike->sync_lock);
	if (pthread_create(&ike->thread, NULL, thread_main, ike) == 0)
		return 0;
	pthread_mutex_lock(&ike->sync_lock);
	ike->running = false;
	pthread_mutex_unlock(&ike->sync_lock);
	return -1;
}

void
ike_stop(struct ikemgr *ike)
{
	uint64_t one = 1;
	struct ike_event ev;
	uint64_t dropped = 0;

	if (!ike->running)
		return;
	while (write(ike->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(ike->thread, NULL);
	/* Reset the stop signal, so a later ike_start() keeps running. */
	while (read(ike->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;

	/* Release ike_sync() callers waiting for events that will not run. */
	while (msgq_pop(ike->events, &ev)) {
		if (ev.kind == IKE_EV_CLEAR)
			ev.u.clear->result = -1;
		dropped++;
	}
	pthread_mutex_lock(&ike->sync_lock);
	ike->running = false;
	ike->handled += dropped;
	pthread_cond_broadcast(&ike->sync_cond);
	pthread_mutex_unlock(&ike->sync_lock);
}

static bool
post_event(struct ikemgr *ike, const struct ike_event *ev)
{
	if (!msgq_push(ike->events, ev))
		return false;
	pthread_mutex_lock(&ike->sync_lock);
	ike->posted++;
	pthread_mutex_unlock(&ike->sync_lock);
	return true;
}

void
ike_post_invalid_spi(void *arg, const struct dp_invalid_spi_event *ev)
{
	struct ike_event e = { .kind = IKE_EV_INVALID_SPI, .u.spi = *ev };

	post_event(arg, &e);
}

void
ike_post_sa_event(void *arg, const struct dp_sa_event *ev)
{
	struct ike_event e = { .kind = IKE_EV_SA_LIFETIME, .u.sa = *ev };

	post_event(arg, &e);
}

void
ike_post_acquire(void *arg, const struct dp_acquire_event *ev)
{
	struct ike_event e = { .kind = IKE_EV_ACQUIRE, .u.acquire = *ev };

	post_event(arg, &e);
}

void
ike_post_packet(void *arg, const struct dp_ike_packet *pkt)
{
	struct ikemgr *ike = arg;

	if (pkt->len > DP_IKE_MSG_MAX) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	/* Counted before the push, so the thread never marks it handled
	 * before ike_sync() can see it posted. */
	pthread_mutex_lock(&ike->sync_lock);
	ike->posted++;
	pthread_mutex_unlock(&ike->sync_lock);
	if (!msgq_push(ike->packets, pkt))
		mark_handled(ike, 1);
}

int
ike_initiate(struct ikemgr *ike, uint32_t peer)
{
	struct ike_event e = { .kind = IKE_EV_INITIATE, .u.peer = peer };

	return post_event(ike, &e) ? 0 : -1;
}

void
ike_sync(struct ikemgr *ike)
{
	uint64_t target;

	pthread_mutex_lock(&ike->sync_lock);
	target = ike->posted;
	while (ike->running && ike->handled < target)
		pthread_cond_wait(&ike->sync_cond, &ike->sync_lock);
	pthread_mutex_unlock(&ike->sync_lock);
}

void
ike_get_stats(struct ikemgr *ike, struct ike_stats *out)
{
	*out = (struct ike_stats){
		.invalid_spi_events = atomic_load(&ike->invalid_spi_events),
		.invalid_spi_dropped = msgq_drops(ike->events),
		.delete_notify_ignored = atomic_load(&ike->delete_notify_ignored),
		.recovery_started = atomic_load(&ike->recovery_started),
		.recovery_suppressed = atomic_load(&ike->recovery_suppressed),
		.sa_soft_expired = atomic_load(&ike->sa_soft_expired),
		.sa_hard_expired = atomic_load(&ike->sa_hard_expired),
	};
}

void
ike_get_counters(struct ikemgr *ike, struct ike_counters *out)
{
	*out = (struct ike_counters){
		.p1_established = atomic_load(&ike->p1_established),
		.p2_established = atomic_load(&ike->p2_established),
		.delete_sent = atomic_load(&ike->delete_sent),
		.delete_received = atomic_load(&ike->delete_received),
		.packets_dropped = atomic_load(&ike->packets_dropped) +
				   msgq_drops(ike->packets),
		.half_open_dropped = atomic_load(&ike->half_open_dropped),
	};
}

/* ---- Snapshots and clears ---- */

static const char *
encr_name(uint8_t encr)
{
	switch (encr) {
	case IKE_ENCR_DES: return "des";
	case IKE_ENCR_3DES: return "3des";
	default: return "aes";
	}
}

static const char *
hash_text(uint8_t hash)
{
	switch (hash) {
	case IKE_HASH_MD5: return "md5";
	case IKE_HASH_SHA256: return "sha256";
	case IKE_HASH_SHA384: return "sha384";
	case IKE_HASH_SHA512: return "sha512";
	default: return "sha";
	}
}

/*
 * Writes the peer's phase 1 ID payload as text for the show commands.
 * An FQDN, user FQDN or key-id has unprintable octets as '.'. An IPv4
 * address is written when it is not the peer's, as behind a NAT. Other
 * types, the peer's own address and no ID yet give "".
 */
static void
peer_id_text(const struct ike_sa *sa, char *buf, size_t len)
{
	/* Body: ID type, protocol, port (2), then the data. */
	const uint8_t *data = sa->peer_id + 4;
	size_t n = 0, data_len;
	uint32_t addr;

	buf[0] = '\0';
	if (sa->peer_id_len < 4)
		return;
	data_len = sa->peer_id_len - 4;
	switch (sa->peer_id[0]) {
	case 1:				/* ID_IPV4_ADDR */
		if (data_len != 4)
			return;
		memcpy(&addr, data, 4);
		if (addr != sa->peer)
			inet_ntop(AF_INET, &addr, buf, (socklen_t)len);
		return;
	case 2:				/* ID_FQDN */
	case 3:				/* ID_USER_FQDN */
	case 11:			/* ID_KEY_ID */
		for (; n < data_len && n + 1 < len; n++)
			buf[n] = data[n] >= 0x20 && data[n] < 0x7f ?
				 (char)data[n] : '.';
		buf[n] = '\0';
		return;
	default:
		return;
	}
}

static void
fill_info(struct ikemgr *ike, const struct ike_sa *sa,
	  struct ike_sa_info *o, double now)
{
	static const char *const states[] = {
		[IKE_MM_NO_STATE] = "MM_NO_STATE",
		[IKE_MM_SA_SETUP] = "MM_SA_SETUP",
		[IKE_MM_KEY_EXCH] = "MM_KEY_EXCH",
		[IKE_QM_IDLE] = "QM_IDLE",
		[IKE_AG_NO_STATE] = "AG_NO_STATE",
		[IKE_AG_INIT_EXCH] = "AG_INIT_EXCH",
		[IKE_DEAD] = "MM_NO_STATE",
	};

	(void)ike;
	memset(o, 0, sizeof(*o));
	o->conn_id = sa->conn_id;
	o->version = 1;
	o->local = sa->local;
	o->peer = sa->peer;
	o->local_port = sa->lport;
	o->peer_port = sa->pport;
	snprintf(o->state, sizeof(o->state), "%s", states[sa->state]);
	o->active = sa->state != IKE_DEAD;
	o->initiator = sa->initiator;
	memcpy(o->icookie, sa->icookie, 8);
	memcpy(o->rcookie, sa->rcookie, 8);
	snprintf(o->encr, sizeof(o->encr), "%s", encr_name(sa->pol.encr));
	o->key_bits = sa->pol.encr == IKE_ENCR_AES ? sa->pol.key_bits : 0;
	snprintf(o->hash, sizeof(o->hash), "%s", hash_text(sa->pol.hash));
	snprintf(o->auth, sizeof(o->auth), "psk");
	o->dh_group = sa->pol.group;
	o->lifetime_sec = sa->pol.lifetime;
	if (sa->state == IKE_QM_IDLE && sa->expires > now)
		o->remaining_sec = (uint32_t)(sa->expires - now);
	o->natt = sa->natt;
	o->dpd = sa->peer_dpd;
	snprintf(o->map, sizeof(o->map), "%s", sa->map);
	snprintf(o->profile, sizeof(o->profile), "%s", sa->profile);
	o->map_seq = sa->map_seq;
	snprintf(o->ifname, sizeof(o->ifname), "%s", sa->ifname);
	o->child_sas = sa->child_sas;
	peer_id_text(sa, o->remote_id, sizeof(o->remote_id));
	o->modecfg = sa->xa != NULL && sa->xa->step == IKE_XA_DONE;
	o->xauth = sa->xa != NULL && sa->xa->passed &&
		   sa->xa->step != IKE_XA_FAILED;
}

int
ike_get_sas(struct ikemgr *ike, struct ike_sa_info **out)
{
	struct ike_sa_info *arr;
	double now = ike_now(ike);
	size_t n;

	pthread_mutex_lock(&ike->sa_lock);
	n = ike->nsas;
	arr = calloc(n > 0 ? n : 1, sizeof(*arr));
	if (arr == NULL) {
		pthread_mutex_unlock(&ike->sa_lock);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		fill_info(ike, ike->sas[i], &arr[i], now);
	if (ikev2_get_sas(ike, &arr, &n, now) < 0) {
		pthread_mutex_unlock(&ike->sa_lock);
		free(arr);
		return -1;
	}
	pthread_mutex_unlock(&ike->sa_lock);
	*out = arr;
	return (int)n;
}

int
ike_clear(struct ikemgr *ike, enum ike_clear_kind kind, uint32_t addr,
	  uint32_t conn_id)
{
	struct clear_req r = { kind, addr, conn_id, -1 };
	struct ike_event e = { .kind = IKE_EV_CLEAR, .u.clear = &r };
	bool running;

	pthread_mutex_lock(&ike->sync_lock);
	running = ike->running;
	pthread_mutex_unlock(&ike->sync_lock);
	if (!running) {
		pthread_mutex_lock(&ike->sa_lock);
		take_pending_config(ike);
		r.result = do_clear(ike, &r);
		pthread_mutex_unlock(&ike->sa_lock);
		return r.result;
	}
	if (!post_event(ike, &e))
		return -1;
	ike_sync(ike);
	return r.result;
}
