/*
 * The IKE manager: one thread that owns the IKE SA table and decides what
 * to do about events from the datapath, such as an inbound unknown SPI.
 */
#ifndef VR_IKEMGR_IKEMGR_H
#define VR_IKEMGR_IKEMGR_H

#include <stdint.h>

struct ikemgr;
struct lyd_node;
struct dp_invalid_spi_event;
struct dp_sa_event;

struct ikemgr *ike_create(void);
int ike_start(struct ikemgr *ike);
void ike_stop(struct ikemgr *ike);
void ike_destroy(struct ikemgr *ike);

/* cfg_apply_fn: takes the IKE-related config from the running tree. */
void ike_config_apply(void *ike, const struct lyd_node *running);

/*
 * dp_invalid_spi_fn: queues an unknown-SPI report without blocking. When
 * the queue is full the event is dropped and counted.
 */
void ike_post_invalid_spi(void *ike, const struct dp_invalid_spi_event *ev);

/*
 * dp_sa_event_fn: queues an SA lifetime report (soft or hard limit)
 * without blocking; shares the queue and its drop count with
 * ike_post_invalid_spi().
 */
void ike_post_sa_event(void *ike, const struct dp_sa_event *ev);

struct ike_stats {
	uint64_t invalid_spi_events;	/* reports handled */
	uint64_t invalid_spi_dropped;	/* reports lost to a full queue */
	uint64_t delete_notify_ignored;	/* no IKE SA to send a DELETE over */
	uint64_t recovery_started;	/* IKE started by invalid-spi-recovery */
	uint64_t recovery_suppressed;	/* held back: attempt within 10 s */
	uint64_t sa_soft_expired;	/* SAs past their soft lifetime */
	uint64_t sa_hard_expired;	/* SAs stopped at their hard lifetime */
};
void ike_get_stats(struct ikemgr *ike, struct ike_stats *out);

/* Blocks until every event queued before this call has been handled. */
void ike_sync(struct ikemgr *ike);

/* Capacity of the event queue; ike_post_invalid_spi() drops beyond it. */
#define IKE_EVENT_QUEUE_LEN 1024

/* Minimum time between two invalid-spi-recovery attempts to one peer. */
#define IKE_RECOVERY_INTERVAL_SEC 10

/*
 * Replaces the monotonic clock the manager reads for rate limits; for
 * tests. Call before ike_start(). NOW_FN(CTX) returns seconds.
 */
void ike_set_clock(struct ikemgr *ike, double (*now_fn)(void *ctx),
		   void *ctx);

#endif
