/*
 * Per-peer rate limit for catalogued messages that a peer can cause
 * again and again, such as a failed authentication on every retry.
 */
#include "ikemgr/ike_private.h"

#include "core/log.h"

bool
ike_log_due(struct ike_log_limit *lim, uint32_t peer, double now,
	    double interval)
{
	size_t oldest = 0;

	for (size_t i = 0; i < IKE_LOG_PEERS; i++) {
		if (lim->last[i].used && lim->last[i].peer == peer) {
			if (now - lim->last[i].at < interval) {
				log_count_rate_limited(1);
				return false;
			}
			lim->last[i].at = now;
			return true;
		}
		if (lim->last[oldest].used &&
		    (!lim->last[i].used ||
		     lim->last[i].at < lim->last[oldest].at))
			oldest = i;
	}
	/* A peer not in the table takes the slot logged longest ago, so
	 * with more peers than slots a message may come more often. */
	lim->last[oldest].peer = peer;
	lim->last[oldest].at = now;
	lim->last[oldest].used = true;
	return true;
}
