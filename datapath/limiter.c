/*
 * Per-flow report limiter for unknown-SPI messages and events.
 *
 * A flow is remembered in one of four ways of a set chosen by a seeded
 * hash of (source, destination, SPI). A report is allowed when the flow
 * was not reported within the interval and the global token bucket has a
 * token; the flow's way then records the time, evicting the oldest way of
 * the set. All memory is allocated at creation, so a flood of distinct
 * SPIs costs evictions and suppressed reports, never memory.
 */
#include <stdlib.h>
#include <unistd.h>

#include "datapath/dp_private.h"

#define WAYS 4
#define NS_PER_SEC 1000000000ULL

/* A tag for flow (SRC, DST, SPI); never 0, which marks an empty way. */
static uint64_t
flow_tag(uint32_t src, uint32_t dst, uint32_t spi, uint64_t seed)
{
	uint64_t x = dp_flow_hash(seed, src, dst, spi);

	x ^= x >> 32;
	return x ? x : 1;
}

void
dp_prefault(void *p, size_t bytes)
{
	volatile uint8_t *b = p;
	long page = sysconf(_SC_PAGESIZE);
	size_t step = page > 0 ? (size_t)page : 4096;

	for (size_t off = 0; off < bytes; off += step)
		b[off] = 0;
}

struct dp_limiter *
dp_limiter_create(unsigned sets_log2, uint64_t interval_ns, uint32_t burst,
		  uint32_t rate_per_sec, uint64_t seed)
{
	struct dp_limiter *lim;
	size_t sets = (size_t)1 << sets_log2;
	size_t bytes = sizeof(*lim) + sets * WAYS * sizeof(lim->ways[0]);

	if (sets_log2 > 24 || rate_per_sec == 0)
		return NULL;
	lim = calloc(1, bytes);
	if (lim == NULL)
		return NULL;
	dp_prefault(lim, bytes);
	lim->interval_ns = interval_ns;
	lim->seed = seed;
	lim->set_mask = sets - 1;
	lim->burst = burst ? burst : 1;
	lim->rate = rate_per_sec;
	lim->period_ns = NS_PER_SEC / rate_per_sec;
	if (lim->period_ns == 0)
		lim->period_ns = 1;
	lim->tokens = lim->burst;
	lim->bytes = bytes;
	return lim;
}

void
dp_limiter_free(struct dp_limiter *lim)
{
	free(lim);
}

size_t
dp_limiter_memory(const struct dp_limiter *lim)
{
	return lim->bytes;
}

/* Adds the tokens earned since the last refill, up to the burst. */
static void
refill(struct dp_limiter *lim, uint64_t now_ns)
{
	uint64_t add;

	if (!lim->bucket_started) {
		lim->bucket_ns = now_ns;
		lim->bucket_started = true;
		return;
	}
	if (now_ns < lim->bucket_ns + lim->period_ns)
		return;
	add = (now_ns - lim->bucket_ns) / lim->period_ns;
	lim->tokens += add;
	if (lim->tokens > lim->burst)
		lim->tokens = lim->burst;
	lim->bucket_ns += add * lim->period_ns;
}

bool
dp_limiter_allow(struct dp_limiter *lim, uint32_t src, uint32_t dst,
		 uint32_t spi, uint64_t now_ns)
{
	uint64_t tag;
	struct dp_limiter_way *set, *victim;

	/* With the bucket empty no flow may report, so a flood costs a
	 * refill check and no table access. */
	refill(lim, now_ns);
	if (lim->tokens == 0)
		return false;
	tag = flow_tag(src, dst, spi, lim->seed);
	set = &lim->ways[(tag & lim->set_mask) * WAYS];
	victim = &set[0];
	for (int i = 0; i < WAYS; i++) {
		if (set[i].tag == tag) {
			if (now_ns - set[i].last_ns < lim->interval_ns)
				return false;
			victim = &set[i];
			goto report;
		}
		if (set[i].tag == 0 ||
		    (victim->tag != 0 && set[i].last_ns < victim->last_ns))
			victim = &set[i];
	}
report:
	lim->tokens--;
	victim->tag = tag;
	victim->last_ns = now_ns;
	return true;
}
