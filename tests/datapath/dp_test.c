#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dp_test.h"

const char *
dpt_external(const char *rel, char *buf, size_t len)
{
	const char *dir = getenv("VR_SHARED_DIR");

	cr_assert(dir != NULL && dir[0] != '\0',
		  "VR_SHARED_DIR is not set: it must name the directory "
		  "that holds cases/external");
	snprintf(buf, len, "%s/cases/external/%s", dir, rel);
	cr_assert(access(buf, R_OK) == 0, "reference file %s is missing", buf);
	return buf;
}

size_t
dpt_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);

	cr_assert(n % 2 == 0 && n / 2 <= cap, "bad hex string \"%s\"", hex);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		cr_assert(sscanf(hex + 2 * i, "%2x", &v) == 1,
			  "bad hex string \"%s\"", hex);
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

struct dpt_vec *
dpt_vecs_load(const char *path, size_t *count)
{
	FILE *f = fopen(path, "r");
	struct dpt_vec *v = NULL;
	size_t n = 0;
	char *line = NULL;
	size_t cap = 0;
	bool in_block = false;

	cr_assert(f != NULL, "cannot open %s", path);
	while (getline(&line, &cap, f) >= 0) {
		char *colon, *val;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0') {
			in_block = false;
			continue;
		}
		if (line[0] == '#' || (colon = strstr(line, ": ")) == NULL)
			continue;
		if (!in_block) {
			v = realloc(v, (n + 1) * sizeof(*v));
			cr_assert(v != NULL);
			memset(&v[n++], 0, sizeof(*v));
			in_block = true;
		}
		*colon = '\0';
		val = colon + 2;
		if (v[n - 1].n < DPT_VEC_FIELDS) {
			v[n - 1].key[v[n - 1].n] = strdup(line);
			v[n - 1].val[v[n - 1].n] = strdup(val);
			v[n - 1].n++;
		}
	}
	free(line);
	fclose(f);
	*count = n;
	return v;
}

void
dpt_vecs_free(struct dpt_vec *v, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		for (int k = 0; k < v[i].n; k++) {
			free(v[i].key[k]);
			free(v[i].val[k]);
		}
	}
	free(v);
}

const char *
dpt_vec_get(const struct dpt_vec *v, const char *key)
{
	for (int k = 0; k < v->n; k++) {
		if (strcmp(v->key[k], key) == 0)
			return v->val[k];
	}
	return NULL;
}

static void
log_sink(void *ctx, enum log_severity sev, const char *line)
{
	struct dpt_log *log = ctx;

	(void)sev;
	pthread_mutex_lock(&log->lock);
	if (log->n < DPT_LOG_MAX)
		log->lines[log->n] = strdup(line);
	log->n++;
	pthread_mutex_unlock(&log->lock);
}

void
dpt_log_start(struct dpt_log *log)
{
	memset(log, 0, sizeof(*log));
	pthread_mutex_init(&log->lock, NULL);
	cr_assert(log_init(64 * 1024) == 0);
	cr_assert(log_sink_add(log_sink, log, LOG_SEV_DEBUGGING) == 0);
}

void
dpt_log_stop(struct dpt_log *log)
{
	log_sink_remove(log_sink, log);
	log_shutdown();
	for (size_t i = 0; i < log->n && i < DPT_LOG_MAX; i++)
		free(log->lines[i]);
	pthread_mutex_destroy(&log->lock);
}

size_t
dpt_log_count(struct dpt_log *log, const char *text)
{
	size_t n = 0;

	pthread_mutex_lock(&log->lock);
	for (size_t i = 0; i < log->n && i < DPT_LOG_MAX; i++) {
		if (strstr(log->lines[i], text) != NULL)
			n++;
	}
	pthread_mutex_unlock(&log->lock);
	return n;
}

void
dpt_router_start(struct dpt_router *r, bool thread)
{
	r->cfg = cfg_create(VR_YANG_DIR);
	cr_assert(r->cfg != NULL, "cfg_create(%s) failed", VR_YANG_DIR);
	r->dp = dp_create();
	cr_assert(r->dp != NULL);
	if (thread)
		cr_assert(dp_start(r->dp) == 0);
	cr_assert(cfg_subscribe(r->cfg, dp_config_apply, r->dp) == 0);
}

void
dpt_router_stop(struct dpt_router *r)
{
	dp_destroy(r->dp);
	cfg_destroy(r->cfg);
}

void
dpt_commit(struct dpt_router *r, const char *const *pairs)
{
	struct cfg_txn *txn = cfg_txn_begin(r->cfg);
	char err[512] = "";

	cr_assert(txn != NULL);
	for (size_t i = 0; pairs[i] != NULL; i += 2) {
		cr_assert(cfg_txn_set(txn, pairs[i], pairs[i + 1]) == 0,
			  "set %s = %s: %s", pairs[i],
			  pairs[i + 1] ? pairs[i + 1] : "(none)",
			  cfg_txn_error(txn));
	}
	cr_assert(cfg_txn_commit(txn, err, sizeof(err)) == 0,
		  "commit failed: %s", err);
	dp_sync(r->dp);
}

void
dpt_replay(struct dpt_router *r, const char *ifname, const char *file)
{
	char path[1024], rel[512], err[256] = "";

	snprintf(rel, sizeof(rel), "pcap/%s", file);
	dpt_external(rel, path, sizeof(path));
	cr_assert(dp_replay(r->dp, ifname, path, err, sizeof(err)) == 0,
		  "dp_replay: %s", err);
	dp_sync(r->dp);
}

void
dpt_input(struct dpt_router *r, const char *ifname, const uint8_t *pkt,
	  size_t len)
{
	const uint8_t *pkts[1] = { pkt };
	size_t lens[1] = { len };

	cr_assert_eq(dp_input_batch(r->dp, ifname, DLT_RAW, pkts, lens, 1,
				    dp_now_ns()), 0);
}

uint64_t
dpt_global_drops(struct dp *dp, const char *name)
{
	struct dp_drop_stats st;
	uint64_t n = 0;

	dp_get_drops(dp, &st);
	for (int d = 0; d < DP_DROP_COUNT; d++) {
		if (strcmp(dp_drop_global_name(d), name) == 0)
			n += st.packets[d];
	}
	return n;
}

struct dp_sa_counters
dpt_inbound_counters(struct dp *dp, uint32_t spi)
{
	struct dp_sa_info *sas = NULL;
	struct dp_sa_counters c = { 0 };
	int n = dp_get_sas(dp, &sas);
	bool found = false;

	for (int i = 0; i < n; i++) {
		if (sas[i].params.spi == spi && !sas[i].params.outbound) {
			c = sas[i].counters;
			found = true;
		}
	}
	free(sas);
	cr_assert(found, "no inbound SA with SPI 0x%X", spi);
	return c;
}
