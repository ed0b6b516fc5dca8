/*
 * Applies a new configuration on the datapath thread. SAs whose
 * parameters, keys and crypto map binding are unchanged are carried over
 * with their counters and anti-replay state; the others are created
 * fresh. The SA database is rebuilt from the result.
 */
#define _GNU_SOURCE		/* mremap */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "datapath/dp_private.h"

#define NS_PER_SEC 1000000000ULL

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

static bool
of_map_entry(const struct dp_sa_cfg *c, const char *map, uint32_t seq,
	     const char *ifname)
{
	return c->params.outbound && c->map_seq == seq &&
	       strcmp(c->map, map) == 0 && strcmp(c->ifname, ifname) == 0;
}

/*
 * The newest outbound SA of crypto map MAP entry SEQ on IFNAME, or NULL:
 * after a rekey the new SA carries the traffic, as on IOS, while the old
 * one still decrypts until IKE deletes it. Higher conn-ids are newer.
 */
static struct dp_sa_entry *
newest_map_sa(const struct dp *dp, const char *map, uint32_t seq,
	      const char *ifname, const struct dp_sa_entry *except)
{
	struct dp_sa_entry *best = NULL;

	for (size_t j = 0; j < dp->n_sas; j++) {
		struct dp_sa_entry *e = dp->sas[j];

		if (e != except && of_map_entry(&e->cfg, map, seq, ifname) &&
		    (best == NULL || e->conn_id > best->conn_id))
			best = e;
	}
	return best;
}

/*
 * Records the removal of E for the invalid-SPI flow table, when E is a
 * negotiated inbound SA: as a rekey when a newer inbound SA of the same
 * crypto map entry or tunnel from the same peer is in place. Scans the
 * SAs as newest_map_sa() does.
 */
static void
note_removal(struct dp *dp, const struct dp_sa_entry *e,
	     enum dp_spi_history cause)
{
	const struct dp_sa_cfg *c = &e->cfg;
	const struct dp_sa_entry *newer = NULL;

	if (c->params.outbound || !e->dynamic)
		return;
	for (size_t j = 0; cause != DP_SPI_CLEARED && j < dp->n_sas; j++) {
		const struct dp_sa_entry *o = dp->sas[j];
		const struct dp_sa_cfg *oc = &o->cfg;

		if (o->conn_id > e->conn_id && !oc->params.outbound &&
		    oc->params.src == c->params.src &&
		    oc->params.dst == c->params.dst &&
		    oc->map_seq == c->map_seq &&
		    strcmp(oc->map, c->map) == 0 &&
		    strcmp(oc->ifname, c->ifname) == 0 &&
		    (newer == NULL || o->conn_id > newer->conn_id))
			newer = o;
	}
	dp_spi_diag_removed(dp->spi_diag, c->params.dst, c->params.spi,
			    newer != NULL ? DP_SPI_REKEYED : cause,
			    dp_now_ns(), newer != NULL ? newer->installed_ns : 0);
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

		dp->map_sa[i] = newest_map_sa(dp, m->map, m->seq, m->ifname,
					      NULL);
	}
}

struct dp_sa_entry **
dp_sas_alloc(size_t cap)
{
	void *p = mmap(NULL, cap * sizeof(struct dp_sa_entry *),
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p != MAP_FAILED ? p : NULL;
}

void
dp_sas_free(struct dp_sa_entry **sas, size_t cap)
{
	if (sas != NULL)
		munmap(sas, cap * sizeof(sas[0]));
}

/* Doubles dp->sas; -1 without memory, leaving it as it was. */
static int
grow_sas(struct dp *dp)
{
	size_t cap = dp->sas_cap ? dp->sas_cap * 2 : 512;
	void *p;

	if (dp->sas == NULL) {
		dp->sas = dp_sas_alloc(cap);
		if (dp->sas == NULL)
			return -1;
		dp->sas_cap = cap;
		return 0;
	}
	p = mremap(dp->sas, dp->sas_cap * sizeof(dp->sas[0]),
		   cap * sizeof(dp->sas[0]), MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -1;
	dp->sas = p;
	dp->sas_cap = cap;
	return 0;
}

/* Records each entry's position in dp->sas, which may hold other SAs
 * than before, so what dp_count_no_sa() found is out of date. */
static void
reindex(struct dp *dp)
{
	for (size_t i = 0; i < dp->n_sas; i++)
		dp->sas[i]->index = i;
	dp->sa_gen++;
}

void
dp_sa_free_entry(struct dp_sa_entry *e)
{
	dp_esp_sa_free(e->esp);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

#define free_entry dp_sa_free_entry

/* Outbound SAs are indexed under protocol 0, inbound ones under ESP. */
static uint8_t
index_proto(bool outbound)
{
	return outbound ? 0 : 50;
}

static struct dp_sadb *
table_of(struct dp *dp, bool outbound)
{
	return outbound ? dp->sadb_out : dp->sadb;
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
	struct dp_sadb *out = dp_sadb_create(dp->n_sas, dp->seed);
	size_t n = 0;

	if (db == NULL || out == NULL) {
		dp_sadb_free(db);
		dp_sadb_free(out);
		reindex(dp);
		return -1;
	}
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
		/* The same outbound SA may sit on several interfaces that
		 * carry one map; the index finds the first. */
		if (p->outbound)
			dp_sadb_insert(out, p->dst, 0, p->spi, e);
		dp->sas[n++] = e;
	}
	dp->n_sas = n;
	reindex(dp);
	dp_sadb_free(dp->sadb);
	dp_sadb_free(dp->sadb_out);
	dp->sadb = db;
	dp->sadb_out = out;
	mark_transport_only(dp);
	link_map_sas(dp);
	return 0;
}

void
dp_reconcile(struct dp *dp, struct dp_config *cfg)
{
	struct dp_sa_entry **sas;
	size_t n = 0, cap;

	cap = cfg->n_sas + dp->n_sas + 1;
	sas = dp_sas_alloc(cap);
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
	dp_sas_free(dp->sas, dp->sas_cap);
	dp->sas = sas;
	dp->n_sas = n;
	dp->sas_cap = cap;

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
	dp_acquire_reset(dp);
	dp_no_sa_reset(dp);
	dp_tunnel_reset(dp);
	dp_nhrp_reset(dp);
}

/* Removes E from dp->sas (by swapping in the last entry), the index
 * and the crypto map links, and frees it. */
static void
unlink_entry(struct dp *dp, struct dp_sa_entry *e)
{
	const struct dp_sa_params *p = &e->cfg.params;
	struct dp_sa_entry *last = dp->sas[--dp->n_sas];

	dp->sa_gen++;
	dp->sas[e->index] = last;
	last->index = e->index;
	if (dp_sadb_lookup(table_of(dp, p->outbound), p->dst,
			   index_proto(p->outbound), p->spi) == e)
		dp_sadb_remove(table_of(dp, p->outbound), p->dst,
			       index_proto(p->outbound), p->spi);
	for (size_t i = 0; dp->map_sa != NULL && i < dp->cfg.n_maps; i++) {
		/* Fall back on another SA of the same entry, if any. */
		if (dp->map_sa[i] == e)
			dp->map_sa[i] = newest_map_sa(dp, e->cfg.map,
						      e->cfg.map_seq,
						      e->cfg.ifname, e);
	}
	free_entry(e);
}

int
dp_sa_link_now(struct dp *dp, struct dp_sa_entry *e)
{
	const struct dp_sa_params *p = &e->cfg.params;
	uint8_t proto = index_proto(p->outbound);
	struct dp_sa_entry *old = dp_sadb_lookup(table_of(dp, p->outbound),
						 p->dst, proto, p->spi);

	e->dynamic = true;
	if (e->conn_id == 0)
		e->conn_id = dp->next_conn_id++;
	if (e->cfg.lifetime_sec != 0)
		e->expires_ns = e->installed_ns +
				e->cfg.lifetime_sec * NS_PER_SEC;
	if (old != NULL)
		unlink_entry(dp, old);
	if (dp->n_sas == dp->sas_cap && grow_sas(dp) < 0) {
		free_entry(e);
		return -1;
	}
	if (dp_sadb_insert(table_of(dp, p->outbound), p->dst, proto, p->spi,
			   e) < 0) {
		free_entry(e);
		return -1;
	}
	e->index = dp->n_sas;
	dp->sas[dp->n_sas++] = e;
	dp->sa_gen++;
	if (p->outbound) {
		/* The newest SA of its own map entry carries the traffic. */
		for (size_t i = 0; dp->map_sa != NULL && i < dp->cfg.n_maps;
		     i++) {
			const struct dp_map_cfg *m = &dp->cfg.maps[i];

			if (of_map_entry(&e->cfg, m->map, m->seq, m->ifname))
				dp->map_sa[i] = e;
		}
	} else if (p->tunnel) {
		for (size_t i = 0; dp->transport_only != NULL &&
		     i < dp->cfg.n_ifs; i++) {
			if (dp->cfg.ifs[i].addr == p->dst)
				dp->transport_only[i] = false;
		}
	} else {
		mark_transport_only(dp);
	}
	return 0;
}

void
dp_sa_add_now(struct dp *dp, const struct dp_sa_cfg *c)
{
	struct dp_sa_entry *e = new_entry(dp, c);

	if (e != NULL)
		dp_sa_link_now(dp, e);
}

bool
dp_sa_delete_now(struct dp *dp, bool outbound, uint32_t dst, uint32_t spi)
{
	struct dp_sa_entry *e = dp_sadb_lookup(table_of(dp, outbound), dst,
					       index_proto(outbound), spi);

	if (e == NULL)
		return false;
	note_removal(dp, e, DP_SPI_DELETED);
	unlink_entry(dp, e);
	return true;
}

void
dp_sa_set_encap_now(struct dp *dp, uint32_t dst, uint32_t spi,
		    uint16_t sport, uint16_t dport)
{
	struct dp_sa_entry *e = dp_sadb_lookup(table_of(dp, true), dst,
					       index_proto(true), spi);

	if (e == NULL || !e->cfg.params.udp_encap)
		return;
	e->cfg.params.encap_sport = sport;
	e->cfg.params.encap_dport = dport;
	dp_esp_sa_set_encap(e->esp, sport, dport);
}

static void
sa_event(struct dp *dp, const struct dp_sa_entry *e,
	 enum dp_sa_event_kind kind, bool by_bytes)
{
	struct dp_sa_event ev = {
		.kind = kind,
		.outbound = e->cfg.params.outbound,
		.by_bytes = by_bytes,
		.dst = e->cfg.params.dst,
		.spi = e->cfg.params.spi,
	};

	if (dp->sa_sink != NULL)
		dp->sa_sink(dp->sa_sink_ctx, &ev);
}

/* SAs the lifetime scan checks per call of dp_sa_expire(), a few
 * microseconds' work so the loop that calls it stays responsive. */
#define LIFE_SLICE 256

/*
 * Checks a slice of the negotiated SAs against their lifetimes: soft at
 * 90 percent (an event), hard at 100 percent (an event, and the SA goes).
 */
void
dp_sa_expire(struct dp *dp, uint64_t now)
{
	size_t budget = LIFE_SLICE;

	/* A table that fits in one slice is checked 10 times a second. */
	if (dp->life_cursor == 0) {
		if (now - dp->life_pass_ns < NS_PER_SEC / 10)
			return;
		dp->life_pass_ns = now;
	}
	while (budget-- > 0 && dp->life_cursor < dp->n_sas) {
		struct dp_sa_entry *e = dp->sas[dp->life_cursor];
		struct dp_sa_counters c;
		uint64_t kb, age, kb_max = e->cfg.lifetime_kb,
			 ns_max = e->cfg.lifetime_sec * NS_PER_SEC;
		bool hard_b, hard_t, soft_b, soft_t;

		if (!e->dynamic) {
			dp->life_cursor++;
			continue;
		}
		dp_esp_sa_counters(e->esp, &c);
		kb = (c.bytes_in + c.bytes_out) / 1024;
		age = now > e->installed_ns ? now - e->installed_ns : 0;
		hard_b = kb_max && kb >= kb_max;
		hard_t = ns_max && age >= ns_max;
		soft_b = kb_max && kb * 10 >= kb_max * 9;
		soft_t = ns_max && age / 9 >= ns_max / 10;
		if ((soft_b || soft_t) && !e->soft_sent) {
			/* Also right before a hard expiry that came first. */
			e->soft_sent = true;
			sa_event(dp, e, DP_SA_SOFT_EXPIRED, soft_b);
		}
		if (hard_b || hard_t) {
			sa_event(dp, e, DP_SA_HARD_EXPIRED, hard_b);
			note_removal(dp, e, DP_SPI_EXPIRED);
			/* The last SA moves into this slot: check it next. */
			unlink_entry(dp, e);
			continue;
		}
		dp->life_cursor++;
	}
	if (dp->life_cursor >= dp->n_sas)
		dp->life_cursor = 0;
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
			note_removal(dp, e, DP_SPI_CLEARED);
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
