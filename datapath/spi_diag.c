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
 * untracked instead, and while no token is left each costs a hash, a
 * test of its bucket's filter and a token check (see dp_spi_diag_hit()
 * in dp_private.h). A new flow whose hash chain already has CHAIN_MAX
 * flows is not admitted either.
 *
 * A chain walk reads only the keys, four to a cache line; the rest of a
 * flow is read when it matched.
 */
#include <stdlib.h>
#include <string.h>

#include "datapath/dp_private.h"

#define NIL		0xffff
#define BUCKETS		(1 << DP_SPI_BUCKETS_LOG2)
#define ADMIT_BURST	512
/* Longest hash chain: a full bucket refuses new flows, so no packet
 * walks more, however the flows hash. */
#define CHAIN_MAX	16
#define ADMIT_PERIOD_NS	(1000000000ULL / 200)

_Static_assert(DP_SPI_FLOWS_MAX < NIL, "flow indexes are 16-bit");
_Static_assert(BUCKETS >= 2 * DP_SPI_FLOWS_MAX, "short hash chains");

/* A flow's address, SPI and chain link: all that a chain walk reads. */
struct key {
	uint32_t src, dst, spi;
	uint16_t hnext;			/* next in its hash chain */
	uint16_t bit;			/* its bit of the bucket's filter */
};

struct flow {
	struct dp_spi_flow f;
	uint16_t prev, next;		/* on the list by last packet */
};

/* One removed inbound SA. */
struct removal {
	uint32_t dst, spi;
	enum dp_spi_history cause;
	uint64_t at_ns;
	uint64_t replaced_ns;
};

struct dp_spi_store {
	uint16_t heads[BUCKETS];
	struct key keys[DP_SPI_FLOWS_MAX];
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
	struct dp_spi_store *s = d->store;

	memset(d->filter, 0, sizeof(d->filter));
	memset(s->heads, 0xff, sizeof(s->heads));
	s->newest = s->oldest = NIL;
	s->n = 0;
	s->evicted = 0;
	d->untracked = 0;
	for (size_t i = 0; i < DP_SPI_FLOWS_MAX; i++)
		s->keys[i].hnext = i + 1 < DP_SPI_FLOWS_MAX ?
				   (uint16_t)(i + 1) : NIL;
	s->free_head = 0;
}

struct dp_spi_diag *
dp_spi_diag_create(uint64_t seed)
{
	struct dp_spi_diag *d = calloc(1, sizeof(*d));
	struct dp_spi_store *s = calloc(1, sizeof(*s));

	if (d == NULL || s == NULL) {
		free(d);
		free(s);
		return NULL;
	}
	dp_prefault(d, sizeof(*d));
	dp_prefault(s, sizeof(*s));
	d->store = s;
	d->seed = seed;
	d->tokens = ADMIT_BURST;
	reset(d);
	return d;
}

void
dp_spi_diag_free(struct dp_spi_diag *d)
{
	if (d == NULL)
		return;
	free(d->store);
	free(d);
}

void
dp_spi_diag_clear(struct dp_spi_diag *d)
{
	reset(d);
}

static void
list_unlink(struct dp_spi_store *s, uint16_t i)
{
	struct flow *fl = &s->flows[i];

	if (fl->prev != NIL)
		s->flows[fl->prev].next = fl->next;
	else
		s->newest = fl->next;
	if (fl->next != NIL)
		s->flows[fl->next].prev = fl->prev;
	else
		s->oldest = fl->prev;
}

static void
list_push(struct dp_spi_store *s, uint16_t i)
{
	struct flow *fl = &s->flows[i];

	fl->prev = NIL;
	fl->next = s->newest;
	if (s->newest != NIL)
		s->flows[s->newest].prev = i;
	else
		s->oldest = i;
	s->newest = i;
}

/* Looks flow (SRC, DST, SPI) up in bucket B. */
static uint16_t
find(const struct dp_spi_store *s, size_t b, uint32_t src, uint32_t dst,
     uint32_t spi)
{
	for (uint16_t i = s->heads[b]; i != NIL; i = s->keys[i].hnext) {
		const struct key *k = &s->keys[i];

		if (k->spi == spi && k->src == src && k->dst == dst)
			return i;
	}
	return NIL;
}

static size_t
chain_len(const struct dp_spi_store *s, size_t b)
{
	size_t n = 0;

	for (uint16_t i = s->heads[b]; i != NIL; i = s->keys[i].hnext)
		n++;
	return n;
}

/* Takes the flow with the oldest last packet out of the table. */
static uint16_t
evict(struct dp_spi_diag *d)
{
	struct dp_spi_store *s = d->store;
	uint16_t i = s->oldest;
	const struct key *k = &s->keys[i];
	size_t b = dp_spi_bucket(dp_flow_hash(d->seed, k->src, k->dst,
					     k->spi));
	uint16_t *link = &s->heads[b];
	uint16_t bits = 0;

	while (*link != i)
		link = &s->keys[*link].hnext;
	*link = k->hnext;
	/* The bit may be shared with another flow of the bucket. */
	for (uint16_t j = s->heads[b]; j != NIL; j = s->keys[j].hnext)
		bits |= s->keys[j].bit;
	d->filter[b] = bits;
	list_unlink(s, i);
	s->n--;
	s->evicted++;
	return i;
}

void
dp_spi_diag_update(struct dp_spi_diag *d, uint64_t hash, uint32_t src,
		   uint32_t dst, uint32_t spi, int udp_sport,
		   const char *ifname, uint64_t now)
{
	struct dp_spi_store *s = d->store;
	size_t b = dp_spi_bucket(hash);
	uint16_t bit = dp_spi_filter_bit(hash);
	uint16_t i = d->filter[b] & bit ? find(s, b, src, dst, spi) : NIL;
	struct dp_spi_flow *f;

	if (i != NIL) {
		f = &s->flows[i].f;
		f->packets++;
		f->last_ns = now;
		f->udp_encap = udp_sport >= 0;
		f->udp_sport = udp_sport >= 0 ? (uint16_t)udp_sport : 0;
		if (s->newest != i) {
			list_unlink(s, i);
			list_push(s, i);
		}
		return;
	}
	if (chain_len(s, b) >= CHAIN_MAX || !admit(d, now)) {
		d->untracked++;
		return;
	}
	if (s->free_head != NIL) {
		i = s->free_head;
		s->free_head = s->keys[i].hnext;
	} else {
		i = evict(d);
	}
	f = &s->flows[i].f;
	memset(f, 0, sizeof(*f));
	f->src = src;
	f->dst = dst;
	f->spi = spi;
	f->udp_encap = udp_sport >= 0;
	f->udp_sport = udp_sport >= 0 ? (uint16_t)udp_sport : 0;
	strncpy(f->ifname, ifname, sizeof(f->ifname) - 1);
	f->packets = 1;
	f->first_ns = f->last_ns = now;
	s->keys[i] = (struct key){
		.src = src,
		.dst = dst,
		.spi = spi,
		.hnext = s->heads[b],
		.bit = bit,
	};
	s->heads[b] = i;
	d->filter[b] |= bit;
	list_push(s, i);
	s->n++;
}

void
dp_spi_diag_note(struct dp_spi_diag *d, const struct dp_spi_note *n,
		 uint64_t now)
{
	struct dp_spi_store *s = d->store;
	uint16_t i;

	switch (n->kind) {
	case DP_SPI_NOTE_CLEAR_BEGIN:
	case DP_SPI_NOTE_CLEAR_END:
		s->clearing = n->kind == DP_SPI_NOTE_CLEAR_BEGIN;
		return;
	case DP_SPI_NOTE_ACTION:
		i = find(s, dp_spi_bucket(dp_flow_hash(d->seed, n->src, n->dst,
						      n->spi)),
			 n->src, n->dst, n->spi);
		if (i == NIL)
			return;		/* evicted or cleared meanwhile */
		s->flows[i].f.action = n->action;
		s->flows[i].f.action_ns = now;
		return;
	}
}

void
dp_spi_diag_removed(struct dp_spi_diag *d, uint32_t dst, uint32_t spi,
		    enum dp_spi_history cause, uint64_t now,
		    uint64_t replaced_ns)
{
	struct dp_spi_store *s = d->store;
	struct removal *g = &s->removals[s->removals_next];

	if (s->clearing && cause == DP_SPI_DELETED)
		cause = DP_SPI_CLEARED;
	g->dst = dst;
	g->spi = spi;
	g->cause = cause;
	g->at_ns = now;
	g->replaced_ns = replaced_ns;
	s->removals_next = (s->removals_next + 1) % DP_SPI_REMOVED_MAX;
	if (s->removals_n < DP_SPI_REMOVED_MAX)
		s->removals_n++;
}

/* Fills F's removal fields from the latest removal of its SPI. */
static void
lookup_removal(const struct dp_spi_store *s, struct dp_spi_flow *f)
{
	for (size_t k = 1; k <= s->removals_n; k++) {
		size_t at = (s->removals_next + DP_SPI_REMOVED_MAX - k) %
			    DP_SPI_REMOVED_MAX;
		const struct removal *g = &s->removals[at];

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
	const struct dp_spi_store *s = d->store;
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	out->flows = calloc(s->n ? s->n : 1, sizeof(out->flows[0]));
	if (out->flows == NULL)
		return -1;
	for (uint16_t i = s->newest; i != NIL; i = s->flows[i].next) {
		out->flows[k] = s->flows[i].f;
		lookup_removal(s, &out->flows[k]);
		k++;
	}
	out->n = k;
	out->evicted = s->evicted;
	out->untracked = d->untracked;
	return 0;
}
