/*
 * SA database: open addressing with linear probing, keyed by
 * (destination, SPI) and hashed with a seeded multiply-xorshift mixer so
 * that an attacker who picks SPIs cannot predict collisions. A table
 * contains the SAs of one protocol, so a key fits in 8 octets.
 * Deletion shifts the following entries of the probe run back (Knuth's
 * algorithm R), so lookups in the current array never meet tombstones.
 * The table doubles when an insert would take the load above one half,
 * and the old entries move over a few per insert, so no single call
 * rehashes the whole table.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "datapath/datapath.h"

#define MIN_SLOTS 16

/* Old slots moved per insert while growing: the old array is done long
 * before the new one fills to half (it takes half as many inserts). */
#define MOVE_PER_INSERT 8

static char moved_marker;
#define MOVED ((void *)&moved_marker)

static int
alloc_table(struct dp_sadb_table *t, size_t n)
{
	t->keys = calloc(n, sizeof(*t->keys));
	t->values = calloc(n, sizeof(*t->values));
	if (t->keys == NULL || t->values == NULL) {
		free(t->keys);
		free(t->values);
		t->keys = NULL;
		t->values = NULL;
		return -1;
	}
	t->mask = n - 1;
	return 0;
}

static void
free_table(struct dp_sadb_table *t)
{
	free(t->keys);
	free(t->values);
	memset(t, 0, sizeof(*t));
}

/* The slot of KEY in T, or -1; MOVED entries do not count. */
static ssize_t
find(const struct dp_sadb *db, const struct dp_sadb_table *t, uint64_t key)
{
	if (t->keys == NULL)
		return -1;
	for (size_t i = dp_sadb_home(db, t, key); t->keys[i] != 0;
	     i = (i + 1) & t->mask) {
		if (t->keys[i] == key)
			return t->values[i] == MOVED ? -1 : (ssize_t)i;
	}
	return -1;
}

/* Puts KEY into T, which has room and does not hold it. */
static void
place(const struct dp_sadb *db, struct dp_sadb_table *t, uint64_t key, void *value)
{
	size_t i = dp_sadb_home(db, t, key);

	while (t->keys[i] != 0)
		i = (i + 1) & t->mask;
	t->keys[i] = key;
	t->values[i] = value;
}

/* Moves up to N entries of the old array into the current one. */
static void
move_some(struct dp_sadb *db, size_t n)
{
	struct dp_sadb_table *o = &db->old;

	while (o->keys != NULL && n-- > 0) {
		size_t i = db->old_next++;

		if (o->keys[i] != 0 && o->values[i] != MOVED) {
			place(db, &db->cur, o->keys[i], o->values[i]);
			o->values[i] = MOVED;
		}
		if (db->old_next > o->mask) {
			/* Kept for dp_sadb_take_retired(), which lets another
			 * thread pay for unmapping it. */
			free_table(&db->retired);
			db->retired = *o;
			memset(o, 0, sizeof(*o));
			db->old_next = 0;
		}
	}
}

struct dp_sadb *
dp_sadb_create(size_t nsa, uint64_t seed)
{
	struct dp_sadb *db = calloc(1, sizeof(*db));
	size_t n = MIN_SLOTS;

	if (db == NULL)
		return NULL;
	while (n < nsa * 2)
		n *= 2;
	if (alloc_table(&db->cur, n) < 0) {
		free(db);
		return NULL;
	}
	db->seed = seed;
	db->proto = -1;
	return db;
}

void
dp_sadb_free(struct dp_sadb *db)
{
	if (db == NULL)
		return;
	free_table(&db->cur);
	free_table(&db->old);
	free_table(&db->spare);
	free_table(&db->retired);
	free(db);
}

size_t
dp_sadb_count(const struct dp_sadb *db)
{
	return db->used;
}

size_t
dp_sadb_next_slots(const struct dp_sadb *db)
{
	size_t slots = db->cur.mask + 1;

	if (db->spare.keys != NULL || (db->used + 1) * 4 <= slots)
		return 0;
	return slots * 2;
}

/*
 * Writes a zero into every page of P, which calloc() may have mapped
 * without touching, so the pages fault in now. The volatile store keeps
 * the compiler from dropping it as a store of a known value.
 */
static void
touch_pages(void *p, size_t len)
{
	volatile uint8_t *b = p;

	for (size_t off = 0; off < len; off += 4096)
		b[off] = 0;
}

int
dp_sadb_table_build(struct dp_sadb_table *t, size_t slots)
{
	if (alloc_table(t, slots) < 0)
		return -1;
	touch_pages(t->keys, slots * sizeof(*t->keys));
	touch_pages(t->values, slots * sizeof(*t->values));
	return 0;
}

void
dp_sadb_table_free(struct dp_sadb_table *t)
{
	free_table(t);
}

void
dp_sadb_offer(struct dp_sadb *db, struct dp_sadb_table *t)
{
	if (db->spare.keys == NULL && t->keys != NULL &&
	    t->mask + 1 == (db->cur.mask + 1) * 2) {
		db->spare = *t;
		memset(t, 0, sizeof(*t));
	} else {
		free_table(t);
	}
}

bool
dp_sadb_take_retired(struct dp_sadb *db, struct dp_sadb_table *out)
{
	if (db->retired.keys == NULL)
		return false;
	*out = db->retired;
	memset(&db->retired, 0, sizeof(db->retired));
	return true;
}

/* Starts moving to an array twice the size; -1 without memory. */
static int
grow(struct dp_sadb *db)
{
	struct dp_sadb_table bigger;
	size_t slots = (db->cur.mask + 1) * 2;

	/* A previous move still running finishes first. */
	move_some(db, (size_t)-1);
	if (db->spare.keys != NULL && db->spare.mask + 1 == slots) {
		bigger = db->spare;
		memset(&db->spare, 0, sizeof(db->spare));
	} else if (alloc_table(&bigger, slots) < 0) {
		return -1;
	}
	free_table(&db->spare);
	db->old = db->cur;
	db->cur = bigger;
	db->old_next = 0;
	return 0;
}

int
dp_sadb_insert(struct dp_sadb *db, uint32_t dst, uint8_t proto, uint32_t spi,
	       void *value)
{
	uint64_t key = (uint64_t)dst << 32 | spi;

	if (value == NULL || value == MOVED || key == 0 ||
	    (db->proto >= 0 && db->proto != proto))
		return -1;
	if (find(db, &db->cur, key) >= 0 || find(db, &db->old, key) >= 0)
		return -1;
	/* Entries in CUR plus those still to move must stay below half. */
	if ((db->used + 1) * 2 > db->cur.mask + 1 && grow(db) < 0)
		return -1;
	move_some(db, MOVE_PER_INSERT);
	db->proto = proto;
	place(db, &db->cur, key, value);
	db->used++;
	return 0;
}

void *
dp_sadb_lookup_old(const struct dp_sadb *db, uint64_t key)
{
	ssize_t i = find(db, &db->old, key);

	return i >= 0 ? db->old.values[i] : NULL;
}

/* Deletes slot I of T, moving back the later entries of its run whose
 * home slot does not lie cyclically in (i, j], so all stay reachable. */
static void
remove_at(const struct dp_sadb *db, struct dp_sadb_table *t, size_t i)
{
	size_t j;

	for (j = (i + 1) & t->mask; t->keys[j] != 0; j = (j + 1) & t->mask) {
		size_t h = dp_sadb_home(db, t, t->keys[j]);
		bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);

		if (stays)
			continue;
		t->keys[i] = t->keys[j];
		t->values[i] = t->values[j];
		i = j;
	}
	t->keys[i] = 0;
	t->values[i] = NULL;
}

void *
dp_sadb_remove(struct dp_sadb *db, uint32_t dst, uint8_t proto, uint32_t spi)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	ssize_t i;
	void *value;

	if (proto != db->proto || key == 0)
		return NULL;
	i = find(db, &db->cur, key);
	if (i >= 0) {
		value = db->cur.values[i];
		remove_at(db, &db->cur, (size_t)i);
	} else {
		/* Not moved yet: mark it, which keeps the run intact. */
		i = find(db, &db->old, key);
		if (i < 0)
			return NULL;
		value = db->old.values[i];
		db->old.values[i] = MOVED;
	}
	db->used--;
	return value;
}
