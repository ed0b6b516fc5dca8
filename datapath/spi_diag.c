/*
 * The invalid-SPI flow table behind `show crypto ipsec invalid-spi`, and
 * the ring of inbound SAs removed lately. Owned by the datapath thread.
 *
 * Flows live in a fixed array, found through seeded hash chains and kept
 * on a list ordered by last packet, so the flow with the oldest last
 * packet is the one a new flow evicts. Links are 16-bit indexes. All
 * memory is taken and written at creation: a flood of random SPIs costs
 * evictions, never memory.
 *
 * New flows are admitted at ADMIT_BURST at once and 200 a second.
 * A flood of random SPIs would otherwise turn the whole table over
 * within milliseconds and push out the few flows of peers that are out
 * of sync, which are the ones worth showing. Its packets are counted as
 * untracked instead, so each costs one hash lookup and a token check.
 * A new flow whose hash chain already has CHAIN_MAX flows is not
 * admitted either.
 */
#include <stdlib.h>
#include <string.h>

#include "datapath/dp_private.h"

#define NIL		0xffff
#define BUCKETS_LOG2	13
#define BUCKETS		(1 << BUCKETS_LOG2)
#define ADMIT_BURST	512
/* Longest hash chain: a full bucket refuses new flows, so no packet
 * walks more, however the flows hash. */
#define CHAIN_MAX	16
#define ADMIT_PERIOD_NS	(1000000000ULL / 200)

_Static_assert(DP_SPI_FLOWS_MAX < NIL, "flow indexes are 16-bit");
_Static_assert(BUCKETS >= 2 * DP_SPI_FLOWS_MAX, "short hash chains");

struct flow {
	struct dp_spi_flow f;
	uint16_t hnext;			/* next in its hash chain */
	uint16_t prev, next;		/* on the list by last packet */
};

/* One removed inbound SA. */
struct removal {
	uint32_t dst, spi;
	enum dp_spi_history cause;
	uint64_t at_ns;
	uint64_t replaced_ns;
};

struct dp_spi_diag {
	uint64_t seed;
	uint32_t tokens;		/* admissions of new flows left */
	uint64_t next_token_ns;		/* when the next one is earned */
	uint64_t untracked;		/* packets of flows not admitted */
	uint16_t heads[BUCKETS];
	/* Bit B is set while bucket B has a chain. A packet of an unknown
	 * flow whose bucket is empty reads this 1 KiB and not HEADS. */
	uint64_t occupied[BUCKETS / 64];
	uint8_t chain_len[BUCKETS];
	uint16_t newest, oldest;	/* ends of the list */
	uint16_t free_head;		/* unused flows, linked by hnext */
	size_t n;
	uint64_t evicted;
	bool clearing;			/* between CLEAR_BEGIN and CLEAR_END */
	struct removal removals[DP_SPI_REMOVED_MAX];
	size_t removals_next;		/* next slot of the ring */
	size_t removals_n;
	struct flow flows[DP_SPI_FLOWS_MAX];
};

/*
 * The seeded mix of the limiter, whose shifts between multiplications
 * keep a sender from choosing flows that share a bucket without
 * knowing the seed.
 */
static size_t
bucket(const struct dp_spi_diag *d, uint32_t src, uint32_t dst, uint32_t spi)
{
	uint64_t x = ((uint64_t)src << 32 | dst) ^ d->seed;

	x ^= (uint64_t)spi * 0x9e3779b97f4a7c15ULL;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebULL;
	return x >> (64 - BUCKETS_LOG2);
}

/*
 * Takes an admission token: ADMIT_BURST at once, then one every
 * ADMIT_PERIOD_NS. While none is left, a flood costs one comparison.
 */
static bool
admit(struct dp_spi_diag *d, uint64_t now)
{
	uint64_t earned;

	if (d->tokens == 0 && now < d->next_token_ns)
		return false;
	if (now >= d->next_token_ns) {
		earned = (now - d->next_token_ns) / ADMIT_PERIOD_NS + 1;
		d->tokens = earned >= ADMIT_BURST - d->tokens ? ADMIT_BURST :
			    d->tokens + (uint32_t)earned;
		d->next_token_ns = d->tokens == ADMIT_BURST ?
				   now + ADMIT_PERIOD_NS :
				   d->next_token_ns + earned * ADMIT_PERIOD_NS;
	}
	d->tokens--;
	return true;
}

static void
reset(struct dp_spi_diag *d)
{
	memset(d->heads, 0xff, sizeof(d->heads));
	memset(d->occupied, 0, sizeof(d->occupied));
	memset(d->chain_len, 0, sizeof(d->chain_len));
	d->newest = d->oldest = NIL;
	d->n = 0;
	d->evicted = 0;
	d->untracked = 0;
	for (size_t i = 0; i < DP_SPI_FLOWS_MAX; i++)
		d->flows[i].hnext = i + 1 < DP_SPI_FLOWS_MAX ?
				    (uint16_t)(i + 1) : NIL;
	d->free_head = 0;
}

struct dp_spi_diag *
dp_spi_diag_create(uint64_t seed)
{
	struct dp_spi_diag *d = malloc(sizeof(*d));

	if (d == NULL)
		return NULL;
	/* Writes every page now, so the table is resident from the start. */
	memset(d, 0, sizeof(*d));
	d->seed = seed;
	d->tokens = ADMIT_BURST;
	reset(d);
	return d;
}

void
dp_spi_diag_free(struct dp_spi_diag *d)
{
	free(d);
}

void
dp_spi_diag_clear(struct dp_spi_diag *d)
{
	reset(d);
}

static void
list_unlink(struct dp_spi_diag *d, uint16_t i)
{
	struct flow *fl = &d->flows[i];

	if (fl->prev != NIL)
		d->flows[fl->prev].next = fl->next;
	else
		d->newest = fl->next;
	if (fl->next != NIL)
		d->flows[fl->next].prev = fl->prev;
	else
		d->oldest = fl->prev;
}

static void
list_push(struct dp_spi_diag *d, uint16_t i)
{
	struct flow *fl = &d->flows[i];

	fl->prev = NIL;
	fl->next = d->newest;
	if (d->newest != NIL)
		d->flows[d->newest].prev = i;
	else
		d->oldest = i;
	d->newest = i;
}

/* Looks flow (SRC, DST, SPI) up in bucket B. */
static uint16_t
find(const struct dp_spi_diag *d, size_t b, uint32_t src, uint32_t dst,
     uint32_t spi)
{
	uint16_t i;

	if (!(d->occupied[b / 64] & 1ULL << (b % 64)))
		return NIL;
	for (i = d->heads[b]; i != NIL;) {
		const struct dp_spi_flow *f = &d->flows[i].f;

		if (f->spi == spi && f->src == src && f->dst == dst)
			return i;
		i = d->flows[i].hnext;
	}
	return NIL;
}

/* Takes the flow with the oldest last packet out of the table. */
static uint16_t
evict(struct dp_spi_diag *d)
{
	uint16_t i = d->oldest;
	const struct dp_spi_flow *f = &d->flows[i].f;
	size_t b = bucket(d, f->src, f->dst, f->spi);
	uint16_t *link = &d->heads[b];

	while (*link != i)
		link = &d->flows[*link].hnext;
	*link = d->flows[i].hnext;
	d->chain_len[b]--;
	if (d->heads[b] == NIL)
		d->occupied[b / 64] &= ~(1ULL << (b % 64));
	list_unlink(d, i);
	d->n--;
	d->evicted++;
	return i;
}

void
dp_spi_diag_hit(struct dp_spi_diag *d, uint32_t src, uint32_t dst,
		uint32_t spi, bool udp, const char *ifname, uint64_t now)
{
	size_t b = bucket(d, src, dst, spi);
	uint16_t i = find(d, b, src, dst, spi);
	struct dp_spi_flow *f;

	if (i != NIL) {
		f = &d->flows[i].f;
		f->packets++;
		f->last_ns = now;
		if (d->newest != i) {
			list_unlink(d, i);
			list_push(d, i);
		}
		return;
	}
	if (d->chain_len[b] >= CHAIN_MAX || !admit(d, now)) {
		d->untracked++;
		return;
	}
	if (d->free_head != NIL) {
		i = d->free_head;
		d->free_head = d->flows[i].hnext;
	} else {
		i = evict(d);
	}
	f = &d->flows[i].f;
	memset(f, 0, sizeof(*f));
	f->src = src;
	f->dst = dst;
	f->spi = spi;
	f->udp_encap = udp;
	strncpy(f->ifname, ifname, sizeof(f->ifname) - 1);
	f->packets = 1;
	f->first_ns = f->last_ns = now;
	d->flows[i].hnext = d->heads[b];
	d->heads[b] = i;
	d->chain_len[b]++;
	d->occupied[b / 64] |= 1ULL << (b % 64);
	list_push(d, i);
	d->n++;
}

void
dp_spi_diag_note(struct dp_spi_diag *d, const struct dp_spi_note *n,
		 uint64_t now)
{
	uint16_t i;

	switch (n->kind) {
	case DP_SPI_NOTE_CLEAR_BEGIN:
	case DP_SPI_NOTE_CLEAR_END:
		d->clearing = n->kind == DP_SPI_NOTE_CLEAR_BEGIN;
		return;
	case DP_SPI_NOTE_ACTION:
		i = find(d, bucket(d, n->src, n->dst, n->spi), n->src, n->dst,
			 n->spi);
		if (i == NIL)
			return;		/* evicted or cleared meanwhile */
		d->flows[i].f.action = n->action;
		d->flows[i].f.action_ns = now;
		return;
	}
}

void
dp_spi_diag_removed(struct dp_spi_diag *d, uint32_t dst, uint32_t spi,
		    enum dp_spi_history cause, uint64_t now,
		    uint64_t replaced_ns)
{
	struct removal *g = &d->removals[d->removals_next];

	if (d->clearing && cause == DP_SPI_DELETED)
		cause = DP_SPI_CLEARED;
	g->dst = dst;
	g->spi = spi;
	g->cause = cause;
	g->at_ns = now;
	g->replaced_ns = replaced_ns;
	d->removals_next = (d->removals_next + 1) % DP_SPI_REMOVED_MAX;
	if (d->removals_n < DP_SPI_REMOVED_MAX)
		d->removals_n++;
}

/* Fills F's removal fields from the latest removal of its SPI. */
static void
lookup_removal(const struct dp_spi_diag *d, struct dp_spi_flow *f)
{
	for (size_t k = 1; k <= d->removals_n; k++) {
		size_t at = (d->removals_next + DP_SPI_REMOVED_MAX - k) %
			    DP_SPI_REMOVED_MAX;
		const struct removal *g = &d->removals[at];

		if (g->spi == f->spi && g->dst == f->dst) {
			f->history = g->cause;
			f->removed_ns = g->at_ns;
			f->replaced_ns = g->replaced_ns;
			return;
		}
	}
	f->history = DP_SPI_NEVER_SEEN;
}

int
dp_spi_diag_copy(const struct dp_spi_diag *d, struct dp_spi_table *out)
{
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	out->flows = calloc(d->n ? d->n : 1, sizeof(out->flows[0]));
	if (out->flows == NULL)
		return -1;
	for (uint16_t i = d->newest; i != NIL; i = d->flows[i].next) {
		out->flows[k] = d->flows[i].f;
		lookup_removal(d, &out->flows[k]);
		k++;
	}
	out->n = k;
	out->evicted = d->evicted;
	out->untracked = d->untracked;
	return 0;
}
