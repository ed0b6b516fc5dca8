/*
 * Helpers shared by the datapath tests: reference-file lookup, hex
 * decoding, the ESP vector file reader, a router made of the real config
 * store and datapath, and a log sink that keeps the lines it receives.
 */
#ifndef VR_TESTS_DATAPATH_DP_TEST_H
#define VR_TESTS_DATAPATH_DP_TEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/log.h"
#include "datapath/datapath.h"

/* Path of REL below $VR_SHARED_DIR/cases/external; fails the test when
 * the variable is unset or the file is missing. */
const char *dpt_external(const char *rel, char *buf, size_t len);

/* Decodes HEX into OUT and returns the length; fails the test on bad hex. */
size_t dpt_hex(const char *hex, uint8_t *out, size_t cap);

/* One "key: value" block of the vector file. */
#define DPT_VEC_FIELDS 24
struct dpt_vec {
	int n;
	char *key[DPT_VEC_FIELDS];
	char *val[DPT_VEC_FIELDS];
};

/* Reads every block of the vector file; free with dpt_vecs_free(). */
struct dpt_vec *dpt_vecs_load(const char *path, size_t *count);
void dpt_vecs_free(struct dpt_vec *v, size_t count);
const char *dpt_vec_get(const struct dpt_vec *v, const char *key);

/* Lines received by a log sink. */
#define DPT_LOG_MAX 4096
struct dpt_log {
	pthread_mutex_t lock;
	size_t n;		/* lines received, also beyond DPT_LOG_MAX */
	char *lines[DPT_LOG_MAX];
};

void dpt_log_start(struct dpt_log *log);
void dpt_log_stop(struct dpt_log *log);
/* Number of kept lines containing TEXT. */
size_t dpt_log_count(struct dpt_log *log, const char *text);

/* A config store whose commits feed a datapath. */
struct dpt_router {
	struct cfg *cfg;
	struct dp *dp;
};

void dpt_router_start(struct dpt_router *r, bool thread);
void dpt_router_stop(struct dpt_router *r);

/*
 * Commits the NULL-terminated list of (xpath, value) pairs in one
 * transaction; fails the test on error.
 */
void dpt_commit(struct dpt_router *r, const char *const *pairs);

/* Replays FILE (below cases/external/pcap) into IFNAME and waits. */
void dpt_replay(struct dpt_router *r, const char *ifname, const char *file);

/* Feeds one raw IPv4 packet into IFNAME of R's datapath. */
void dpt_input(struct dpt_router *r, const char *ifname, const uint8_t *pkt,
	       size_t len);

/* Sum of the drop counters whose QFP global name is NAME. */
uint64_t dpt_global_drops(struct dp *dp, const char *name);

/* Counters of DP's inbound SA SPI; fails the test when there is none. */
struct dp_sa_counters dpt_inbound_counters(struct dp *dp, uint32_t spi);

#endif
