/*
 * The IKE manager thread. It owns the IKE SA table and the per-peer
 * recovery state. Other threads reach it through its event queue
 * (ike_post_invalid_spi) and through the config snapshot that
 * ike_config_apply() leaves for it.
 *
 * The IKE SA table stays empty until IKE negotiation exists, so every
 * unknown-SPI report takes the "no ISAKMP sa" path for now.
 */
#include "ikemgr/ikemgr.h"

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

#define YANG_PREFIX "/vrouter-config:"

/*
 * The IKE manager's view of the running config: the
 * `crypto isakmp invalid-spi-recovery` switch and the static peers,
 * which are the only senders that recovery may start IKE towards.
 */
struct ike_config {
	bool invalid_spi_recovery;
	uint32_t *peers;		/* network byte order, sorted */
	size_t npeers;
};

/* One peer's last invalid-spi-recovery attempt. */
struct recovery {
	uint32_t peer;
	double last_attempt;
};

/* An IKE SA. NOTE: only the peer for now; IKE negotiation fills the rest. */
struct ike_sa {
	uint32_t peer;
};

/* One message of the event queue: a datapath report of either kind. */
struct ike_event {
	enum { IKE_EV_INVALID_SPI, IKE_EV_SA_LIFETIME } kind;
	union {
		struct dp_invalid_spi_event spi;
		struct dp_sa_event sa;
	} u;
};

struct ikemgr {
	struct msgq *events;
	int stop_fd;
	pthread_t thread;
	bool running;

	double (*now_fn)(void *ctx);
	void *now_ctx;

	/* Handed over by ike_config_apply(), taken by the thread. */
	pthread_mutex_t config_lock;
	struct ike_config *pending;

	/* Owned by the thread. */
	struct ike_config *config;
	struct ike_sa *sas;
	size_t nsas;
	struct recovery *recoveries;
	size_t nrecoveries;

	/* Events pushed and handled, for ike_sync(). */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cond;
	uint64_t posted;
	uint64_t handled;

	atomic_uint_fast64_t invalid_spi_events;
	atomic_uint_fast64_t delete_notify_ignored;
	atomic_uint_fast64_t recovery_started;
	atomic_uint_fast64_t recovery_suppressed;
	atomic_uint_fast64_t sa_soft_expired;
	atomic_uint_fast64_t sa_hard_expired;
};

static double
monotonic_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
config_free(struct ike_config *c)
{
	if (c == NULL)
		return;
	free(c->peers);
	free(c);
}

struct ikemgr *
ike_create(void)
{
	struct ikemgr *ike;

	ike = calloc(1, sizeof(*ike));
	if (ike == NULL)
		return NULL;
	ike->events = msgq_create(IKE_EVENT_QUEUE_LEN, sizeof(struct ike_event));
	ike->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ike->events == NULL || ike->stop_fd < 0) {
		msgq_destroy(ike->events);
		if (ike->stop_fd >= 0)
			close(ike->stop_fd);
		free(ike);
		return NULL;
	}
	ike->now_fn = monotonic_now;
	pthread_mutex_init(&ike->config_lock, NULL);
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

void
ike_destroy(struct ikemgr *ike)
{
	if (ike == NULL)
		return;
	ike_stop(ike);
	msgq_destroy(ike->events);
	close(ike->stop_fd);
	config_free(ike->pending);
	config_free(ike->config);
	free(ike->sas);
	free(ike->recoveries);
	pthread_mutex_destroy(&ike->config_lock);
	pthread_mutex_destroy(&ike->sync_lock);
	pthread_cond_destroy(&ike->sync_cond);
	free(ike);
}

/* ---- Config: derived in the committing thread, used by the manager. */

/* Returns the value of the child leaf NAME of NODE, or NULL. */
static const char *
child_value(const struct lyd_node *node, const char *name)
{
	const struct lyd_node *child;

	LY_LIST_FOR(lyd_child(node), child)
		if (strcmp(LYD_NAME(child), name) == 0)
			return lyd_get_value(child);
	return NULL;
}

/* True when some interface applies the crypto map named MAP. */
static bool
map_applied(const struct lyd_node *running, const char *map)
{
	struct ly_set *set = NULL;
	bool applied = false;
	uint32_t i;

	if (lyd_find_xpath(running, YANG_PREFIX "interfaces/interface/crypto-map",
			   &set) != LY_SUCCESS)
		return false;
	for (i = 0; i < set->count && !applied; i++)
		applied = strcmp(lyd_get_value(set->dnodes[i]), map) == 0;
	ly_set_free(set, NULL);
	return applied;
}

static int
compare_addr(const void *a, const void *b)
{
	uint32_t x = ntohl(*(const uint32_t *)a);
	uint32_t y = ntohl(*(const uint32_t *)b);

	return x < y ? -1 : x > y;
}

/* Appends the address text VALUE to C's peers; -1 when out of memory. */
static int
add_peer(struct ike_config *c, const char *value)
{
	uint32_t addr, *peers;

	if (value == NULL || inet_pton(AF_INET, value, &addr) != 1)
		return 0;
	peers = realloc(c->peers, (c->npeers + 1) * sizeof(*peers));
	if (peers == NULL)
		return -1;
	peers[c->npeers++] = addr;
	c->peers = peers;
	return 0;
}

/*
 * Collects the static peers: `set peer` addresses of ipsec-isakmp crypto
 * map entries that are not dynamic-map templates, in maps applied to an
 * interface. IOS runs invalid-SPI recovery only towards such peers.
 */
static int
collect_static_peers(struct ike_config *c, const struct lyd_node *running)
{
	struct ly_set *entries = NULL;
	const struct lyd_node *entry;
	const char *type, *map;
	uint32_t i;
	int ret = -1;

	if (lyd_find_xpath(running, YANG_PREFIX "crypto/map/entry",
			   &entries) != LY_SUCCESS)
		return 0;
	for (i = 0; i < entries->count; i++) {
		const struct lyd_node *child;

		entry = entries->dnodes[i];
		type = child_value(entry, "type");
		map = child_value(lyd_parent(entry), "name");
		if (type != NULL && strcmp(type, "ipsec-isakmp") != 0)
			continue;
		if (child_value(entry, "dynamic") != NULL || map == NULL ||
		    !map_applied(running, map))
			continue;
		LY_LIST_FOR(lyd_child(entry), child) {
			if (strcmp(LYD_NAME(child), "peer") != 0 &&
			    strcmp(LYD_NAME(child), "default-peer") != 0)
				continue;
			if (add_peer(c, lyd_get_value(child)) < 0)
				goto out;
		}
	}
	if (c->npeers > 0)
		qsort(c->peers, c->npeers, sizeof(*c->peers), compare_addr);
	ret = 0;
out:
	ly_set_free(entries, NULL);
	return ret;
}

static struct ike_config *
config_derive(const struct lyd_node *running)
{
	struct ike_config *c;
	struct ly_set *set = NULL;

	c = calloc(1, sizeof(*c));
	if (c == NULL || running == NULL)
		return c;
	if (lyd_find_xpath(running, YANG_PREFIX "crypto/isakmp/invalid-spi-recovery",
			   &set) == LY_SUCCESS) {
		c->invalid_spi_recovery = set->count > 0;
		ly_set_free(set, NULL);
	}
	if (collect_static_peers(c, running) < 0) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
ike_config_apply(void *arg, const struct lyd_node *running)
{
	struct ikemgr *ike = arg;
	struct ike_config *c, *old;

	c = config_derive(running);
	if (c == NULL) {
		/* The previous config stays in force. */
		log_debug("IKE: out of memory while applying the IKE config");
		return;
	}
	pthread_mutex_lock(&ike->config_lock);
	old = ike->pending;
	ike->pending = c;
	pthread_mutex_unlock(&ike->config_lock);
	config_free(old);
}

/* Takes the config that ike_config_apply() left, if any. */
static void
take_pending_config(struct ikemgr *ike)
{
	struct ike_config *c;

	pthread_mutex_lock(&ike->config_lock);
	c = ike->pending;
	ike->pending = NULL;
	pthread_mutex_unlock(&ike->config_lock);
	if (c == NULL)
		return;
	config_free(ike->config);
	ike->config = c;
}

/* ---- Event handling, in the manager thread. */

static bool
is_static_peer(const struct ike_config *c, uint32_t addr)
{
	return c != NULL && c->npeers > 0 &&
	       bsearch(&addr, c->peers, c->npeers, sizeof(addr),
		       compare_addr) != NULL;
}

static struct ike_sa *
find_ike_sa(struct ikemgr *ike, uint32_t peer)
{
	size_t i;

	for (i = 0; i < ike->nsas; i++)
		if (ike->sas[i].peer == peer)
			return &ike->sas[i];
	return NULL;
}

/*
 * Records a recovery attempt towards PEER at NOW unless one was made in
 * the last IKE_RECOVERY_INTERVAL_SEC. Returns true when it may start.
 */
static bool
recovery_allowed(struct ikemgr *ike, uint32_t peer, double now)
{
	struct recovery *r;
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
	ike->recoveries[ike->nrecoveries++] = (struct recovery){ peer, now };
	return true;
}

static void
handle_invalid_spi(struct ikemgr *ike, const struct dp_invalid_spi_event *ev)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	const struct ike_config *c = ike->config;

	atomic_fetch_add(&ike->invalid_spi_events, 1);
	inet_ntop(AF_INET, &ev->src, src, sizeof(src));
	inet_ntop(AF_INET, &ev->dst, dst, sizeof(dst));

	if (find_ike_sa(ike, ev->src) != NULL) {
		/*
		 * TODO: send an ISAKMP DELETE for the SPI over this SA, as
		 * IOS does, once IKEv1 exchanges exist.
		 */
		return;
	}

	if (c != NULL && c->invalid_spi_recovery &&
	    is_static_peer(c, ev->src)) {
		if (recovery_allowed(ike, ev->src, ike->now_fn(ike->now_ctx))) {
			atomic_fetch_add(&ike->recovery_started, 1);
			/*
			 * TODO: start IKEv1 main mode towards SRC and send
			 * the DELETE for the SPI over the new IKE SA, once
			 * IKEv1 exchanges exist. Only the decision and the
			 * count are made here.
			 * NOTE: IOS's debug wording for this step is not
			 * known; this line is vrouter's own.
			 */
			if (debug_on(DEBUG_CRYPTO_ISAKMP))
				log_debug("ISAKMP: (0):invalid SPI recovery: starting IKE with %s for SPI 0x%X received on %s",
					  src, ev->spi, ev->ifname);
			return;
		}
		atomic_fetch_add(&ike->recovery_suppressed, 1);
	}

	atomic_fetch_add(&ike->delete_notify_ignored, 1);
	if (debug_on(DEBUG_CRYPTO_ISAKMP))
		log_debug("ISAKMP-ERROR: (0):ignoring request to send delete notify (no ISAKMP sa) src %s dst %s for SPI 0x%X",
			  dst, src, ev->spi);
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
 * An SA reached its soft or hard lifetime. The soft limit is where IOS
 * starts a rekey; the hard one is where the datapath stopped the SA.
 * TODO: start Quick Mode or CREATE_CHILD_SA at the soft limit once IKE
 * negotiates SAs; until then the event is counted and shown by
 * `debug crypto ipsec`.
 */
static void
handle_sa_lifetime(struct ikemgr *ike, const struct dp_sa_event *ev)
{
	char dst[INET_ADDRSTRLEN];

	if (ev->kind == DP_SA_SOFT_EXPIRED)
		atomic_fetch_add(&ike->sa_soft_expired, 1);
	else
		atomic_fetch_add(&ike->sa_hard_expired, 1);
	if (!debug_on(DEBUG_CRYPTO_IPSEC))
		return;
	inet_ntop(AF_INET, &ev->dst, dst, sizeof(dst));
	log_debug("IPSEC(sa_lifetime): %s %s lifetime of %s SA reached, "
		  "sa_dest= %s, sa_spi= 0x%X(%u)",
		  ev->kind == DP_SA_SOFT_EXPIRED ? "soft" : "hard",
		  ev->by_bytes ? "kilobyte" : "time",
		  ev->outbound ? "outbound" : "inbound", dst, ev->spi, ev->spi);
}

static void *
thread_main(void *arg)
{
	struct ikemgr *ike = arg;
	struct ike_event ev;
	struct pollfd pfd[2];

	pfd[0] = (struct pollfd){ .fd = msgq_fd(ike->events), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = ike->stop_fd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN)
			break;
		/*
		 * The config is checked before each event, so an event
		 * posted after ike_config_apply() returned is handled
		 * under that config.
		 */
		while (msgq_pop(ike->events, &ev)) {
			take_pending_config(ike);
			if (ev.kind == IKE_EV_INVALID_SPI)
				handle_invalid_spi(ike, &ev.u.spi);
			else
				handle_sa_lifetime(ike, &ev.u.sa);
			mark_handled(ike, 1);
		}
	}
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

	/* Release ike_sync() callers waiting for events that will not run. */
	while (msgq_pop(ike->events, &ev))
		dropped++;
	pthread_mutex_lock(&ike->sync_lock);
	ike->running = false;
	ike->handled += dropped;
	pthread_cond_broadcast(&ike->sync_cond);
	pthread_mutex_unlock(&ike->sync_lock);
}

static void
post_event(struct ikemgr *ike, const struct ike_event *ev)
{
	if (!msgq_push(ike->events, ev))
		return;
	pthread_mutex_lock(&ike->sync_lock);
	ike->posted++;
	pthread_mutex_unlock(&ike->sync_lock);
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
