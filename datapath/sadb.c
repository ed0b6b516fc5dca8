/*
 * Inbound SA database: open addressing with linear probing, keyed by
 * (destination, protocol, SPI) and hashed with a seeded multiply-xorshift
 * mixer so that an attacker who picks SPIs cannot predict collisions.
 * The table is built whole by each config reconcile and never deletes,
 * so it needs no tombstones. Load stays at or below one half.
 */
#include <stdlib.h>

#include "datapath/datapath.h"

struct slot {
	uint64_t key;		/* dst << 32 | spi; proto checked apart */
	uint8_t proto;
	void *value;		/* NULL marks an empty slot */
};

struct dp_sadb {
	size_t mask;
	size_t used;
	uint64_t seed;
	struct slot slots[];
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

struct dp_sadb *
dp_sadb_create(size_t nsa, uint64_t seed)
{
	struct dp_sadb *db;
	size_t n = 16;

	while (n < nsa * 2)
		n *= 2;
	db = calloc(1, sizeof(*db) + n * sizeof(db->slots[0]));
	if (db == NULL)
		return NULL;
	db->mask = n - 1;
	db->seed = seed;
	return db;
}

void
dp_sadb_free(struct dp_sadb *db)
{
	free(db);
}

int
dp_sadb_insert(struct dp_sadb *db, uint32_t dst, uint8_t proto, uint32_t spi,
	       void *value)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	size_t i;

	if (value == NULL || (db->used + 1) * 2 > db->mask + 1)
		return -1;
	for (i = mix(key ^ proto, db->seed) & db->mask; db->slots[i].value;
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

	for (i = mix(key ^ proto, db->seed) & db->mask; db->slots[i].value;
	     i = (i + 1) & db->mask) {
		if (db->slots[i].key == key && db->slots[i].proto == proto)
			return db->slots[i].value;
	}
	return NULL;
}
