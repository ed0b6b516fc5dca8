/*
 * Applies a new configuration on the datapath thread. SAs whose
 * parameters, keys and crypto map binding are unchanged are carried over
 * with their counters and anti-replay state; the others are created
 * fresh. The SA database is rebuilt from the result.
 */
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "datapath/dp_private.h"

static bool
same_sa(const struct dp_sa_cfg *a, const struct dp_sa_cfg *b)
{
	return memcmp(&a->params, &b->params, sizeof(a->params)) == 0 &&
	       strcmp(a->map, b->map) == 0 && a->map_seq == b->map_seq &&
	       strcmp(a->ifname, b->ifname) == 0;
}

static struct dp_sa_entry *
take_old(struct dp_sa_entry **old, size_t n_old, const struct dp_sa_cfg *c)
{
	for (size_t i = 0; i < n_old; i++) {
		struct dp_sa_entry *e = old[i];

		if (e != NULL && same_sa(&e->cfg, c)) {
			old[i] = NULL;
			/* Names shown may change without touching the SA. */
			memcpy(e->cfg.transform, c->transform,
			       sizeof(e->cfg.transform));
			e->cfg.lifetime_kb = c->lifetime_kb;
			e->cfg.lifetime_sec = c->lifetime_sec;
			return e;
		}
	}
	return NULL;
}

static struct dp_sa_entry *
new_entry(struct dp *dp, const struct dp_sa_cfg *c)
{
	struct dp_sa_entry *e = calloc(1, sizeof(*e));
	char err[128];

	if (e == NULL)
		return NULL;
	e->esp = dp_esp_sa_create(&c->params, err, sizeof(err));
	if (e->esp == NULL) {
		fprintf(stderr, "datapath: crypto map %s %u: SA 0x%X not "
			"installed: %s\n", c->map, c->map_seq, c->params.spi,
			err);
		free(e);
		return NULL;
	}
	e->cfg = *c;
	e->conn_id = dp->next_conn_id++;
	e->installed_ns = dp_now_ns();
	return e;
}

static void
mark_transport_only(struct dp *dp)
{
	free(dp->transport_only);
	dp->transport_only = calloc(dp->cfg.n_ifs ? dp->cfg.n_ifs : 1,
				    sizeof(bool));
	if (dp->transport_only == NULL)
		return;
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		bool any = false, all = true;

		for (size_t j = 0; j < dp->n_sas; j++) {
			const struct dp_sa_params *p =
			    dp_esp_sa_params(dp->sas[j]->esp);

			if (p->outbound || p->dst != dp->cfg.ifs[i].addr)
				continue;
			any = true;
			all = all && !p->tunnel;
		}
		dp->transport_only[i] = any && all;
	}
}

/* Points each crypto map entry on an interface at its outbound SA. */
static void
link_map_sas(struct dp *dp)
{
	free(dp->map_sa);
	dp->map_sa = calloc(dp->cfg.n_maps ? dp->cfg.n_maps : 1,
			    sizeof(dp->map_sa[0]));
	if (dp->map_sa == NULL)
		return;
	for (size_t i = 0; i < dp->cfg.n_maps; i++) {
		const struct dp_map_cfg *m = &dp->cfg.maps[i];

		for (size_t j = 0; j < dp->n_sas; j++) {
			const struct dp_sa_cfg *c = &dp->sas[j]->cfg;

			if (c->params.outbound && c->map_seq == m->seq &&
			    strcmp(c->map, m->map) == 0 &&
			    strcmp(c->ifname, m->ifname) == 0) {
				dp->map_sa[i] = dp->sas[j];
				break;
			}
		}
	}
}

static void
free_entry(struct dp_sa_entry *e)
{
	dp_esp_sa_free(e->esp);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

/*
 * Rebuilds the SA database from dp->sas, dropping an inbound SA whose
 * destination and SPI an earlier one already uses, and relinks the
 * derived tables. Returns -1, leaving the old state, when out of memory.
 */
static int
rebuild(struct dp *dp)
{
	struct dp_sadb *db = dp_sadb_create(dp->n_sas, dp->seed);
	size_t n = 0;

	if (db == NULL)
		return -1;
	for (size_t i = 0; i < dp->n_sas; i++) {
		struct dp_sa_entry *e = dp->sas[i];
		const struct dp_sa_params *p = &e->cfg.params;

		if (!p->outbound &&
		    dp_sadb_insert(db, p->dst, 50, p->spi, e) < 0) {
			fprintf(stderr, "datapath: %s %u: inbound SPI 0x%X "
				"already in use\n", e->cfg.map, e->cfg.map_seq,
				p->spi);
			free_entry(e);
			continue;
		}
		dp->sas[n++] = e;
	}
	dp->n_sas = n;
	dp_sadb_free(dp->sadb);
	dp->sadb = db;
	mark_transport_only(dp);
	link_map_sas(dp);
	return 0;
}

void
dp_reconcile(struct dp *dp, struct dp_config *cfg)
{
	struct dp_sa_entry **sas;
	size_t n = 0;

	sas = calloc(cfg->n_sas + dp->n_sas + 1, sizeof(sas[0]));
	if (sas == NULL) {
		fprintf(stderr, "datapath: out of memory applying config\n");
		dp_config_free(cfg);
		return;
	}
	for (size_t i = 0; i < cfg->n_sas; i++) {
		const struct dp_sa_cfg *c = &cfg->sas[i];
		struct dp_sa_entry *e = take_old(dp->sas, dp->n_sas, c);

		if (e == NULL)
			e = new_entry(dp, c);
		if (e != NULL)
			sas[n++] = e;
	}
	/* Negotiated SAs do not come from the config and stay. */
	for (size_t i = 0; i < dp->n_sas; i++) {
		if (dp->sas[i] != NULL && dp->sas[i]->dynamic) {
			sas[n++] = dp->sas[i];
			dp->sas[i] = NULL;
		}
	}
	for (size_t i = 0; i < dp->n_sas; i++) {
		if (dp->sas[i] != NULL)
			free_entry(dp->sas[i]);
	}
	free(dp->sas);
	dp->sas = sas;
	dp->n_sas = n;

	/* Keys now live in the SA entries only. */
	dp_config_free(&dp->cfg);
	OPENSSL_cleanse(cfg->sas, cfg->n_sas * sizeof(cfg->sas[0]));
	free(cfg->sas);
	cfg->sas = NULL;
	cfg->n_sas = 0;
	dp->cfg = *cfg;
	if (rebuild(dp) < 0)
		fprintf(stderr, "datapath: out of memory rebuilding the SA "
			"database\n");
	dp_rib_update(dp);
}

/* Index of the SA with this direction, destination and SPI, or -1. */
static ssize_t
find_sa(const struct dp *dp, bool outbound, uint32_t dst, uint32_t spi)
{
	for (size_t i = 0; i < dp->n_sas; i++) {
		const struct dp_sa_params *p = &dp->sas[i]->cfg.params;

		if (p->outbound == outbound && p->dst == dst && p->spi == spi)
			return (ssize_t)i;
	}
	return -1;
}

static void
remove_at(struct dp *dp, size_t i)
{
	free_entry(dp->sas[i]);
	memmove(&dp->sas[i], &dp->sas[i + 1],
		(dp->n_sas - i - 1) * sizeof(dp->sas[0]));
	dp->n_sas--;
}

void
dp_sa_add_now(struct dp *dp, const struct dp_sa_cfg *c)
{
	struct dp_sa_entry **sas;
	struct dp_sa_entry *e;
	ssize_t old = find_sa(dp, c->params.outbound, c->params.dst,
			      c->params.spi);

	e = new_entry(dp, c);
	if (e == NULL)
		return;
	e->dynamic = true;
	if (old >= 0)
		remove_at(dp, (size_t)old);
	sas = realloc(dp->sas, (dp->n_sas + 1) * sizeof(sas[0]));
	if (sas == NULL) {
		free_entry(e);
		return;
	}
	dp->sas = sas;
	dp->sas[dp->n_sas++] = e;
	rebuild(dp);
}

void
dp_sa_delete_now(struct dp *dp, bool outbound, uint32_t dst, uint32_t spi)
{
	ssize_t i = find_sa(dp, outbound, dst, spi);

	if (i < 0)
		return;
	remove_at(dp, (size_t)i);
	rebuild(dp);
}

/*
 * `clear crypto sa`: negotiated SAs are deleted, and manual ones are
 * created again from their configuration, so their counters and replay
 * windows start over as on IOS.
 */
void
dp_sa_reset_now(struct dp *dp)
{
	size_t n = 0;

	for (size_t i = 0; i < dp->n_sas; i++) {
		struct dp_sa_entry *e = dp->sas[i];
		struct dp_sa_entry *fresh;

		if (e->dynamic) {
			free_entry(e);
			continue;
		}
		fresh = new_entry(dp, &e->cfg);
		if (fresh != NULL) {
			fresh->conn_id = e->conn_id;
			dp->sas[n++] = fresh;
		}
		free_entry(e);
	}
	dp->n_sas = n;
	rebuild(dp);
}
