/*
 * SA installs without a round trip to the datapath thread.
 *
 * dp_sa_install_n() keys the cipher and MAC contexts in the caller's
 * thread and pushes the call's SAs, as one batch, onto a lock-free list.
 * The list is a Treiber stack with many producers and one consumer that
 * takes the whole list with one exchange, so ABA cannot occur. The
 * datapath thread links pending batches in before each message and
 * after each read of packets, so a packet that arrives after
 * dp_sa_install_n() returned finds its SA, and a message posted after
 * it (a removal, a show) sees it.
 *
 * An idle datapath thread sleeps in poll() for up to 0.1 s, and
 * installs then pile up unlinked; so does a busy one that the scheduler
 * keeps off the CPU. The installer that takes the backlog to WAKE_DEPTH
 * SAs wakes the thread, and one that takes it to MAX_DEPTH waits until
 * the thread has linked it in. That bounds the work of one adoption,
 * which a packet that arrives meanwhile waits for, to about MAX_DEPTH
 * links; the waits cost one round trip per MAX_DEPTH SAs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/dp_private.h"

#define WAKE_DEPTH 128
#define MAX_DEPTH 512

static void
free_batch(struct dp_sa_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		dp_sa_free_entry(b->entries[i]);
	free(b);
}

/* Reverses the newest-first list LIST. */
static struct dp_sa_batch *
oldest_first(struct dp_sa_batch *list)
{
	struct dp_sa_batch *prev = NULL;

	while (list != NULL) {
		struct dp_sa_batch *next = list->next;

		list->next = prev;
		prev = list;
		list = next;
	}
	return prev;
}

static struct dp_sadb *
sadb_of(struct dp *dp, int i)
{
	return i == 0 ? dp->sadb : dp->sadb_out;
}

static void
free_table_block(struct dp_sadb_table *t)
{
	if (t != NULL) {
		dp_sadb_table_free(t);
		free(t);
	}
}

/*
 * Datapath thread: takes the arrays installers built, requests the next
 * ones, and leaves arrays the tables no longer use for installers to
 * free.
 */
static void
exchange_spares(struct dp *dp)
{
	for (int i = 0; i < 2; i++) {
		struct dp_sadb_table *t = atomic_exchange(&dp->spare[i], NULL);
		struct dp_sadb_table old;

		if (t != NULL) {
			dp_sadb_offer(sadb_of(dp, i), t);
			free(t);
		}
		atomic_store(&dp->spare_slots[i],
			     dp_sadb_next_slots(sadb_of(dp, i)));
		if (atomic_load(&dp->retired[i]) != NULL ||
		    !dp_sadb_take_retired(sadb_of(dp, i), &old))
			continue;
		t = malloc(sizeof(*t));
		if (t == NULL) {
			dp_sadb_table_free(&old);
			continue;
		}
		*t = old;
		atomic_store(&dp->retired[i], t);
	}
}

/*
 * Installer: frees the arrays the tables left behind and builds the ones
 * the datapath thread asked for, if any.
 */
static void
build_spares(struct dp *dp)
{
	for (int i = 0; i < 2; i++) {
		size_t want = atomic_load(&dp->spare_slots[i]);
		struct dp_sadb_table *t, *none = NULL;

		free_table_block(atomic_exchange(&dp->retired[i], NULL));

		/* One installer claims the request by zeroing it. */
		if (want == 0 || atomic_load(&dp->spare[i]) != NULL ||
		    !atomic_compare_exchange_strong(&dp->spare_slots[i], &want,
						    0))
			continue;
		t = malloc(sizeof(*t));
		if (t == NULL)
			continue;
		if (dp_sadb_table_build(t, want) < 0) {
			free(t);
			continue;
		}
		if (!atomic_compare_exchange_strong(&dp->spare[i], &none, t))
			free_table_block(t);
	}
}

void
dp_sa_adopt(struct dp *dp)
{
	struct dp_sa_batch *b;
	uint64_t t0 = dp_now_ns(), t;

	b = atomic_exchange_explicit(&dp->sa_pending, NULL,
				     memory_order_acquire);
	b = oldest_first(b);
	while (b != NULL) {
		struct dp_sa_batch *next = b->next;

		for (size_t i = 0; i < b->n; i++) {
			uint32_t spi = b->entries[i]->cfg.params.spi;

			/* dp_sa_link_now() frees the entry when it fails. */
			if (dp_sa_link_now(dp, b->entries[i]) < 0)
				fprintf(stderr, "datapath: SA 0x%X not "
					"installed: out of memory\n", spi);
		}
		free(b);
		b = next;
	}
	exchange_spares(dp);
	t = dp_now_ns() - t0;
	if (t > atomic_load_explicit(&dp->stats[DP_STAT_SA_INSTALL_MAX_NS],
				     memory_order_relaxed))
		atomic_store_explicit(&dp->stats[DP_STAT_SA_INSTALL_MAX_NS], t,
				      memory_order_relaxed);
}

void
dp_sa_pending_free(struct dp *dp)
{
	struct dp_sa_batch *b = atomic_exchange(&dp->sa_pending, NULL);

	for (int i = 0; i < 2; i++) {
		free_table_block(atomic_exchange(&dp->spare[i], NULL));
		free_table_block(atomic_exchange(&dp->retired[i], NULL));
	}

	while (b != NULL) {
		struct dp_sa_batch *next = b->next;

		free_batch(b);
		b = next;
	}
}

/* Pushes B onto the pending list; returns the backlog before it. */
static size_t
publish(struct dp *dp, struct dp_sa_batch *b)
{
	struct dp_sa_batch *head = atomic_load_explicit(&dp->sa_pending,
							memory_order_relaxed);

	do {
		b->next = head;
		b->depth = (head != NULL ? head->depth : 0) + b->n;
	} while (!atomic_compare_exchange_weak_explicit(&dp->sa_pending, &head,
							b, memory_order_release,
							memory_order_relaxed));
	return head != NULL ? head->depth : 0;
}

int
dp_sa_install_n(struct dp *dp, const struct dp_sa_cfg *sas, size_t n,
		char *err, size_t errlen)
{
	struct dp_sa_batch *b = calloc(1, sizeof(*b) +
					  n * sizeof(b->entries[0]));
	size_t before;

	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	build_spares(dp);
	for (; b->n < n; b->n++) {
		struct dp_sa_entry *e = calloc(1, sizeof(*e));

		if (e == NULL) {
			snprintf(err, errlen, "out of memory");
			free_batch(b);
			return -1;
		}
		e->esp = dp_esp_sa_create(&sas[b->n].params, err, errlen);
		if (e->esp == NULL) {
			free(e);
			free_batch(b);
			return -1;
		}
		e->cfg = sas[b->n];
		e->installed_ns = dp_now_ns();
		b->entries[b->n] = e;
	}
	if (n == 0) {
		free(b);
		return 0;
	}
	before = publish(dp, b);
	if (!dp->running) {
		/* No thread: the caller acts as the datapath thread. */
		dp_sa_adopt(dp);
	} else if (before + n >= MAX_DEPTH) {
		dp_sync(dp);
	} else if (before < WAKE_DEPTH && before + n >= WAKE_DEPTH) {
		dp_wake(dp);
	}
	return 0;
}

int
dp_sa_install(struct dp *dp, const struct dp_sa_cfg *sa, char *err,
	      size_t errlen)
{
	return dp_sa_install_n(dp, sa, 1, err, errlen);
}
