/*
 * On-demand DPD as IOS does it (`crypto isakmp keepalive S R on-demand`,
 * `dpd S R on-demand` in an IKEv2 profile): a liveness check goes out
 * only when ESP packets went to the peer during the keepalive interval
 * and none came back. The ESP counts are those of the datapath's SAs
 * with the peer, or of the source a test sets.
 */
#include "ikemgr/ike_private.h"

#include "datapath/datapath.h"

void
ike_set_traffic_source(struct ikemgr *ike, ike_traffic_fn fn, void *ctx)
{
	pthread_mutex_lock(&ike->sa_lock);
	ike->traffic_fn = fn;
	ike->traffic_ctx = ctx;
	pthread_mutex_unlock(&ike->sa_lock);
}

/* A counter that went down belongs to SAs newer than the last reading
 * (a rekey), so all of it is new. */
static uint64_t
growth(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

bool
ike_dpd_due(struct ikemgr *ike, uint32_t peer, struct ike_dpd_watch *w)
{
	uint64_t in, out;
	bool sent, received;
	int rc = -1;

	if (ike->traffic_fn != NULL)
		rc = ike->traffic_fn(ike->traffic_ctx, peer, &in, &out);
	else if (ike->diag_dp != NULL)
		rc = dp_peer_traffic(ike->diag_dp, peer, &in, &out);
	if (rc < 0)
		return true;		/* no ESP to watch: as periodic */
	sent = growth(out, w->valid ? w->out : 0) > 0;
	received = growth(in, w->valid ? w->in : 0) > 0;
	w->in = in;
	w->out = out;
	w->valid = true;
	return sent && !received;
}
