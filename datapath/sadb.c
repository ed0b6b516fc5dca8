/*
 * SA database: open addressing with linear probing, keyed by
 * (destination, protocol, SPI) and hashed with a seeded multiply-xorshift
 * mixer so that an attacker who picks SPIs cannot predict collisions.
 * Deletion shifts the following entries of the probe run back (Knuth's
 * algorithm R), so lookups never meet tombstones. The table doubles
 * when an insert would take the load above one half. That rehash is the
 * only step whose cost grows with the number of SAs.
 */
#include <stdlib.h>

#include "datapath/datapath.h"

#define MIN_SLOTS 16

struct slot {
	uint64_t key;		/* dst << 32 | spi; proto checked apart */
	uint8_t proto;
	void *value;		/* NULL marks an empty slot */
};

struct dp_sadb {
	size_t mask;
	size_t used;
	uint64_t seed;
	struct slot *slots;
};

static uint64_t
mix(uint64_t x, uint64_t seed)
{
	x ^= seed;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t
home(const struct dp_sadb *db, uint64_t key, uint8_t proto)
{
	return mix(key ^ proto, db->seed) & db->mask;
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
	db->slots = calloc(n, sizeof(db->slots[0]));
	if (db->slots == NULL) {
		free(db);
		return NULL;
	}
	db->mask = n - 1;
	db->seed = seed;
	return db;
}

void
dp_sadb_free(struct dp_sadb *db)
{
	if (db == NULL)
		return;
	free(db->slots);
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
	size_t n = (db->mask + 1) * 2;
	struct slot *old = db->slots, *slots = calloc(n, sizeof(*slots));
	size_t old_n = db->mask + 1;

	if (slots == NULL)
		return -1;
	db->slots = slots;
	db->mask = n - 1;
	for (size_t i = 0; i < old_n; i++) {
		size_t j;

		if (old[i].value == NULL)
			continue;
		for (j = home(db, old[i].key, old[i].proto);
		     slots[j].value != NULL; j = (j + 1) & db->mask)
			;
		slots[j] = old[i];
	}
	free(old);
	return 0;
}

int
dp_sadb_insert(struct dp_sadb *db, uint32_t dst, uint8_t proto, uint32_t spi,
	       void *value)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	size_t i;

	if (value == NULL)
		return -1;
	if ((db->used + 1) * 2 > db->mask + 1 && grow(db) < 0)
		return -1;
	for (i = home(db, key, proto); db->slots[i].value;
	     i = (i + 1) & db->mask) {
		if (db->slots[i].key == key && db->slots[i].proto == proto)
			return -1;
	}
	db->slots[i].key = key;
	db->slots[i].proto = proto;
	db->slots[i].value = value;
	db->used++;
	return 0;
}

void *
dp_sadb_lookup(const struct dp_sadb *db, uint32_t dst, uint8_t proto,
	       uint32_t spi)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	size_t i;

	for (i = home(db, key, proto); db->slots[i].value;
	     i = (i + 1) & db->mask) {
		if (db->slots[i].key == key && db->slots[i].proto == proto)
			return db->slots[i].value;
	}
	return NULL;
}

void *
dp_sadb_remove(struct dp_sadb *db, uint32_t dst, uint8_t proto, uint32_t spi)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	size_t i, j;
	void *value;

	for (i = home(db, key, proto); db->slots[i].value;
	     i = (i + 1) & db->mask) {
		if (db->slots[i].key == key && db->slots[i].proto == proto)
			break;
	}
	value = db->slots[i].value;
	if (value == NULL)
		return NULL;
	/* Move back each later entry of the run whose home slot does not
	 * lie cyclically in (i, j], so every entry stays reachable. */
	for (j = (i + 1) & db->mask; db->slots[j].value;
	     j = (j + 1) & db->mask) {
		size_t h = home(db, db->slots[j].key, db->slots[j].proto);
		bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);

		if (stays)
			continue;
		db->slots[i] = db->slots[j];
		i = j;
	}
	db->slots[i].value = NULL;
	db->used--;
	return value;
}
