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

#include "datapath/datapath.h"

#define WAYS 4
#define NS_PER_SEC 1000000000ULL

struct way {
	uint64_t tag;		/* flow hash; 0 marks an empty way */
	uint64_t last_ns;	/* when the flow was last reported */
};

struct dp_limiter {
	uint64_t interval_ns;
	uint64_t seed;
	size_t set_mask;
	/* Token bucket in units of 1/rate seconds, refilled lazily. */
	uint32_t burst;
	uint32_t rate;
	uint64_t period_ns;		/* time to earn one token */
	uint64_t tokens;
	uint64_t bucket_ns;
	bool bucket_started;
	size_t bytes;
	struct way ways[];
};

static uint64_t
flow_hash(uint32_t src, uint32_t dst, uint32_t spi, uint64_t seed)
{
	uint64_t x = ((uint64_t)src << 32 | dst) ^ seed;

	x ^= (uint64_t)spi * 0x9e3779b97f4a7c15ULL;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 32;
	return x ? x : 1;
}

/*
 * Touches every page of a fresh zeroed allocation, so the table is
 * resident from the start: otherwise each newly remembered flow may
 * fault in another page, and memory grows with the flows seen.
 */
static void
prefault(void *p, size_t bytes)
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
	size_t bytes = sizeof(*lim) + sets * WAYS * sizeof(struct way);

	if (sets_log2 > 24 || rate_per_sec == 0)
		return NULL;
	lim = calloc(1, bytes);
	if (lim == NULL)
		return NULL;
	prefault(lim, bytes);
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
	struct way *set, *victim;

	/* With the bucket empty no flow may report, so a flood costs a
	 * refill check and no table access. */
	refill(lim, now_ns);
	if (lim->tokens == 0)
		return false;
	tag = flow_hash(src, dst, spi, lim->seed);
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
