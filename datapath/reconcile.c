/*
 * Applies a new configuration on the datapath thread. SAs whose
 * parameters, keys and crypto map binding are unchanged are carried over
 * with their counters and anti-replay state; the others are created
 * fresh. The SA database is rebuilt from the result.
 */
#include <stdio.h>
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

void
dp_reconcile(struct dp *dp, struct dp_config *cfg)
{
	struct dp_sa_entry **sas;
	struct dp_sadb *db;
	size_t n = 0;

	sas = calloc(cfg->n_sas ? cfg->n_sas : 1, sizeof(sas[0]));
	db = dp_sadb_create(cfg->n_sas, dp->seed);
	if (sas == NULL || db == NULL) {
		fprintf(stderr, "datapath: out of memory applying config\n");
		free(sas);
		dp_sadb_free(db);
		dp_config_free(cfg);
		return;
	}
	for (size_t i = 0; i < cfg->n_sas; i++) {
		const struct dp_sa_cfg *c = &cfg->sas[i];
		struct dp_sa_entry *e = take_old(dp->sas, dp->n_sas, c);

		if (e == NULL)
			e = new_entry(dp, c);
		if (e == NULL)
			continue;
		if (!c->params.outbound &&
		    dp_sadb_insert(db, c->params.dst, 50, c->params.spi, e) < 0) {
			fprintf(stderr, "datapath: crypto map %s %u: inbound "
				"SPI 0x%X already in use\n", c->map,
				c->map_seq, c->params.spi);
			dp_esp_sa_free(e->esp);
			free(e);
			continue;
		}
		sas[n++] = e;
	}

	for (size_t i = 0; i < dp->n_sas; i++) {
		if (dp->sas[i] != NULL) {
			dp_esp_sa_free(dp->sas[i]->esp);
			free(dp->sas[i]);
		}
	}
	free(dp->sas);
	dp_sadb_free(dp->sadb);
	dp->sas = sas;
	dp->n_sas = n;
	dp->sadb = db;

	/* Keys now live in the SA entries only. */
	dp_config_free(&dp->cfg);
	OPENSSL_cleanse(cfg->sas, cfg->n_sas * sizeof(cfg->sas[0]));
	free(cfg->sas);
	cfg->sas = NULL;
	cfg->n_sas = 0;
	dp->cfg = *cfg;
	mark_transport_only(dp);
	link_map_sas(dp);
}
