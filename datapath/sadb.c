/*
 * SA database: open addressing with linear probing, keyed by
 * (destination, SPI) and hashed with a seeded multiply-xorshift mixer so
 * that an attacker who picks SPIs cannot predict collisions. A table
 * holds the SAs of one protocol, which keeps a slot at 16 octets.
 * Deletion shifts the following entries of the probe run back (Knuth's
 * algorithm R), so lookups never meet tombstones. The table doubles
 * when an insert would take the load above one half. That rehash is the
 * only step whose cost grows with the number of SAs.
 */
#include <stdlib.h>

#include "datapath/datapath.h"

#define MIN_SLOTS 16

struct dp_sadb {
	size_t mask;
	size_t used;
	uint64_t seed;
	int proto;		/* of the first insert; -1 while empty */
	/* Keys apart from values, so a probe run reads 8 keys per cache
	 * line. Key 0 (SPI 0, which RFC 4303 reserves, to 0.0.0.0) marks
	 * an empty slot and is never inserted. */
	uint64_t *keys;		/* dst << 32 | spi */
	void **values;
};

/* One round of the MurmurHash3 finalizer over the seeded key. */
static size_t
home(const struct dp_sadb *db, uint64_t key)
{
	uint64_t x = key ^ db->seed;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x & db->mask;
}

/* Allocates N empty slots into DB; returns -1 without memory. */
static int
alloc_slots(struct dp_sadb *db, size_t n)
{
	uint64_t *keys = calloc(n, sizeof(*keys));
	void **values = calloc(n, sizeof(*values));

	if (keys == NULL || values == NULL) {
		free(keys);
		free(values);
		return -1;
	}
	db->keys = keys;
	db->values = values;
	db->mask = n - 1;
	return 0;
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
	if (alloc_slots(db, n) < 0) {
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
	free(db->keys);
	free(db->values);
	free(db);
}

size_t
dp_sadb_count(const struct dp_sadb *db)
{
	return db->used;
}

/* Doubles the table; returns -1, leaving it as it was, without memory. */
static int
grow(struct dp_sadb *db)
{
	uint64_t *old_keys = db->keys;
	void **old_values = db->values;
	size_t old_n = db->mask + 1;

	if (alloc_slots(db, old_n * 2) < 0)
		return -1;
	for (size_t i = 0; i < old_n; i++) {
		size_t j;

		if (old_keys[i] == 0)
			continue;
		for (j = home(db, old_keys[i]); db->keys[j] != 0;
		     j = (j + 1) & db->mask)
			;
		db->keys[j] = old_keys[i];
		db->values[j] = old_values[i];
	}
	free(old_keys);
	free(old_values);
	return 0;
}

int
dp_sadb_insert(struct dp_sadb *db, uint32_t dst, uint8_t proto, uint32_t spi,
	       void *value)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	size_t i;

	if (value == NULL || key == 0 || (db->proto >= 0 && db->proto != proto))
		return -1;
	if ((db->used + 1) * 2 > db->mask + 1 && grow(db) < 0)
		return -1;
	for (i = home(db, key); db->keys[i] != 0; i = (i + 1) & db->mask) {
		if (db->keys[i] == key)
			return -1;
	}
	db->proto = proto;
	db->keys[i] = key;
	db->values[i] = value;
	db->used++;
	return 0;
}

void *
dp_sadb_lookup(const struct dp_sadb *db, uint32_t dst, uint8_t proto,
	       uint32_t spi)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	size_t i;

	if (proto != db->proto || key == 0)
		return NULL;
	for (i = home(db, key); db->keys[i] != 0; i = (i + 1) & db->mask) {
		if (db->keys[i] == key)
			return db->values[i];
	}
	return NULL;
}

void *
dp_sadb_remove(struct dp_sadb *db, uint32_t dst, uint8_t proto, uint32_t spi)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	size_t i, j;
	void *value;

	if (proto != db->proto || key == 0)
		return NULL;
	for (i = home(db, key); db->keys[i] != 0; i = (i + 1) & db->mask) {
		if (db->keys[i] == key)
			break;
	}
	if (db->keys[i] == 0)
		return NULL;
	value = db->values[i];
	/* Move back each later entry of the run whose home slot does not
	 * lie cyclically in (i, j], so every entry stays reachable. */
	for (j = (i + 1) & db->mask; db->keys[j] != 0;
	     j = (j + 1) & db->mask) {
		size_t h = home(db, db->keys[j]);
		bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);

		if (stays)
			continue;
		db->keys[i] = db->keys[j];
		db->values[i] = db->values[j];
		i = j;
	}
	db->keys[i] = 0;
	db->values[i] = NULL;
	db->used--;
	return value;
}
