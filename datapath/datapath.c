/*
 * The datapath thread: packet input from capture files and UDP wires,
 * IPv4 checks and reassembly, ESP decapsulation against the SA database,
 * unknown-SPI reporting and a minimal IPv4 forwarding table.
 *
 * Everything in struct dp below the "thread-owned" line is touched only
 * by the datapath thread (or, while no thread runs, by the caller of
 * dp_input_batch() and dp_poll()). Other threads post messages to the
 * queue or read the atomic counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <pcap/pcap.h>

#include "core/debug.h"
#include "core/log.h"
#include "core/msgq.h"
#include "datapath/datapath.h"
#include "datapath/dp_private.h"

#define QUEUE_LEN		256
/* IKE messages waiting to be sent; 64 of about 8 KiB each. */
#define IKE_QUEUE_LEN		64
#define BATCH			32
#define REASS_SLOTS		16
#define REASS_TIMEOUT_NS	(30ULL * 1000000000ULL)
#define NS_PER_SEC		1000000000ULL
/* IOS logs RECVD_PKT_INV_SPI at most once a minute per flow. */
#define INV_SPI_LOG_INTERVAL_NS	(60ULL * NS_PER_SEC)
#define INV_SPI_LOG_BURST	32
#define INV_SPI_LOG_RATE	10
#define INV_SPI_EVENT_INTERVAL_NS (1ULL * NS_PER_SEC)
#define INV_SPI_EVENT_BURST	64
#define INV_SPI_EVENT_RATE	100

enum msg_type {
	MSG_CONFIG,
	MSG_REPLAY,
	MSG_SYNC,
	MSG_GET_SAS,
	MSG_PEER_TRAFFIC,
	MSG_CLEAR_SA,
	MSG_RESET_SAS,
	MSG_SA_ADD,
	MSG_SA_DELETE,
	MSG_SA_ENCAP,
	MSG_SA_REMOVE,
	MSG_WIRE,
	MSG_PROBE,
	MSG_PROBE_CANCEL,
	MSG_CAPTURE,
	MSG_SPI_NOTE,
	MSG_SPI_GET,
	MSG_SPI_CLEAR,
	MSG_NHRP_GET,
	MSG_NHRP_CLEAR,
	MSG_STOP,
};

struct sas_request {
	struct dp_sa_info *sas;
	int n;
	sem_t done;
};

/* dp_peer_traffic(): on the caller's stack. */
struct traffic_request {
	uint32_t peer;
	uint64_t in, out;
	int rc;
	sem_t done;
};

/* dp_sa_remove(): on the caller's stack. */
struct sa_request {
	bool outbound;
	uint32_t dst, spi;
	int rc;
	sem_t done;
};

/* dp_capture_op() and dp_capture_snapshot(): on the caller's stack. */
struct capture_request {
	bool snapshot;
	enum dp_capture_op op;
	struct dp_capture_cfg cfg;
	struct dp_capture_snapshot *out;
	int rc;
	char err[160];
	sem_t done;
};

/* dp_get_spi_flows(): on the caller's stack. */
struct spi_request {
	struct dp_spi_table *out;
	int rc;
	sem_t done;
};

/* dp_nhrp_get(): on the caller's stack. */
struct nhrp_request {
	struct dp_nhrp_entry *rows;
	struct dp_nhrp_stats *stats;
	int n;
	sem_t done;
};

struct msg {
	enum msg_type type;
	void *ptr;
	sem_t *done;
	char ifname[DP_IFNAME_MAX];
	bool outbound;			/* MSG_SA_DELETE */
	uint32_t dst, spi;
	uint16_t sport, dport;		/* MSG_SA_ENCAP */
	struct dp_spi_note note;	/* MSG_SPI_NOTE */
};

static void handle_msg(struct dp *dp, struct msg *m);

uint64_t
dp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t
random_seed(void)
{
	uint64_t seed = dp_now_ns();
	FILE *f = fopen("/dev/urandom", "rb");

	if (f != NULL) {
		if (fread(&seed, sizeof(seed), 1, f) != 1)
			seed ^= (uint64_t)getpid();
		fclose(f);
	}
	return seed;
}

struct dp *
dp_create(void)
{
	/* Aligned for the cache line of sa_pending. */
	struct dp *dp = aligned_alloc(_Alignof(struct dp), sizeof(*dp));
	uint64_t seed = random_seed();

	if (dp == NULL)
		return NULL;
	memset(dp, 0, sizeof(*dp));
	pthread_mutex_init(&dp->base_lock, NULL);
	dp->seed = seed;
	dp->next_conn_id = 2001;
	dp->sa_gen = 1;
	dp->rx_if = -1;
	dp->q = msgq_create(QUEUE_LEN, sizeof(struct msg));
	dp->ike_q = msgq_create(IKE_QUEUE_LEN, sizeof(struct dp_ike_packet));
	dp->reass = dp_reass_create(REASS_SLOTS, REASS_TIMEOUT_NS);
	dp->log_lim = dp_limiter_create(14, INV_SPI_LOG_INTERVAL_NS,
					INV_SPI_LOG_BURST, INV_SPI_LOG_RATE,
					seed);
	dp->event_lim = dp_limiter_create(10, INV_SPI_EVENT_INTERVAL_NS,
					  INV_SPI_EVENT_BURST,
					  INV_SPI_EVENT_RATE, seed * 31 + 7);
	dp->sadb = dp_sadb_create(0, seed);
	dp->sadb_out = dp_sadb_create(0, seed);
	dp->spi_diag = dp_spi_diag_create(seed * 17 + 3);
	if (dp->q == NULL || dp->ike_q == NULL || dp->reass == NULL || dp->log_lim == NULL ||
	    dp->event_lim == NULL || dp->sadb == NULL ||
	    dp->sadb_out == NULL || dp->spi_diag == NULL) {
		dp_destroy(dp);
		return NULL;
	}
	return dp;
}

static void *
dp_thread(void *arg)
{
	struct dp *dp = arg;

	while (!atomic_load(&dp->stop)) {
		struct pollfd pfd[2 + DP_MAX_WIRES];
		size_t n = 0;
		uint64_t now;
		struct msg m;

		pfd[n].fd = msgq_fd(dp->q);
		pfd[n++].events = POLLIN;
		pfd[n].fd = msgq_fd(dp->ike_q);
		pfd[n++].events = POLLIN;
		for (size_t i = 0; i < dp->n_wires; i++) {
			pfd[n].fd = dp->wires[i].fd;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			break;

		dp_sa_adopt_pending(dp);
		while (!atomic_load(&dp->stop) && msgq_pop(dp->q, &m))
			handle_msg(dp, &m);
		while (!atomic_load(&dp->stop) &&
		       msgq_pop(dp->ike_q, &dp->ike_msg))
			dp_ike_output(dp);

		now = dp_now_ns();
		for (size_t i = 2; i < n; i++) {
			if (pfd[i].revents & POLLIN)
				dp_wire_receive(dp, &dp->wires[i - 2], now);
		}
		dp_input_expire(dp, now);
		dp_input_flush(dp);
		dp_sa_expire(dp, now);
	}
	return NULL;
}

int
dp_start(struct dp *dp)
{
	if (dp->running)
		return 0;
	atomic_store(&dp->stop, false);
	if (pthread_create(&dp->thread, NULL, dp_thread, dp) != 0)
		return -1;
	dp->running = true;
	return 0;
}

/* Frees what a message that will not be handled carries. */
static void
discard_msg(struct msg *m)
{
	switch (m->type) {
	case MSG_CONFIG:
		dp_config_free(m->ptr);
		free(m->ptr);
		break;
	case MSG_REPLAY:
		pcap_close(m->ptr);
		break;
	case MSG_WIRE:
		dp_wire_close(m->ptr);
		free(m->ptr);
		break;
	case MSG_GET_SAS:
		sem_post(&((struct sas_request *)m->ptr)->done);
		break;
	case MSG_PEER_TRAFFIC:
		((struct traffic_request *)m->ptr)->rc = -1;
		sem_post(&((struct traffic_request *)m->ptr)->done);
		break;
	case MSG_SA_REMOVE:
		((struct sa_request *)m->ptr)->rc = -1;
		sem_post(&((struct sa_request *)m->ptr)->done);
		break;
	case MSG_SPI_GET:
		sem_post(&((struct spi_request *)m->ptr)->done);
		break;
	case MSG_NHRP_GET:
		sem_post(&((struct nhrp_request *)m->ptr)->done);
		break;
	case MSG_CAPTURE:
		((struct capture_request *)m->ptr)->rc = -1;
		snprintf(((struct capture_request *)m->ptr)->err,
			 sizeof(((struct capture_request *)m->ptr)->err),
			 "The datapath stopped");
		sem_post(&((struct capture_request *)m->ptr)->done);
		break;
	case MSG_PROBE:
		((struct dp_probe_req *)m->ptr)->res.status = DP_PROBE_NOT_SENT;
		sem_post(&((struct dp_probe_req *)m->ptr)->done);
		break;
	case MSG_SA_ADD:
		OPENSSL_cleanse(m->ptr, sizeof(struct dp_sa_cfg));
		free(m->ptr);
		break;
	default:
		if (m->done != NULL)
			sem_post(m->done);
		break;
	}
}

void
dp_stop(struct dp *dp)
{
	struct msg m = { .type = MSG_STOP };

	if (!dp->running)
		return;
	atomic_store(&dp->stop, true);
	while (!msgq_push(dp->q, &m))
		usleep(1000);
	pthread_join(dp->thread, NULL);
	dp->running = false;
	while (msgq_pop(dp->q, &m))
		discard_msg(&m);
}

static void
free_sas(struct dp_sa_entry **sas, size_t n, size_t cap)
{
	for (size_t i = 0; i < n; i++) {
		if (sas[i] == NULL)
			continue;
		dp_esp_sa_free(sas[i]->esp);
		OPENSSL_cleanse(sas[i], sizeof(*sas[i]));
		free(sas[i]);
	}
	dp_sas_free(sas, cap);
}

void
dp_destroy(struct dp *dp)
{
	struct msg m;

	if (dp == NULL)
		return;
	dp_stop(dp);
	if (dp->q != NULL) {
		while (msgq_pop(dp->q, &m))
			discard_msg(&m);
		msgq_destroy(dp->q);
	}
	msgq_destroy(dp->ike_q);
	for (size_t i = 0; i < dp->n_wires; i++)
		dp_wire_close(&dp->wires[i]);
	dp_sa_pending_free(dp);
	free_sas(dp->sas, dp->n_sas, dp->sas_cap);
	dp_config_free(&dp->cfg);
	free(dp->transport_only);
	free(dp->map_sa);
	free(dp->acquire_map_ns);
	free(dp->acquire_if_ns);
	free(dp->no_sa_map);
	free(dp->no_sa_if);
	free(dp->tunnel_sa);
	free(dp->rib);
	dp_capture_free_all(dp);
	dp_sadb_free(dp->sadb);
	dp_sadb_free(dp->sadb_out);
	dp_reass_free(dp->reass);
	dp_limiter_free(dp->log_lim);
	dp_limiter_free(dp->event_lim);
	dp_spi_diag_free(dp->spi_diag);
	dp_nhrp_free(dp);
	pthread_mutex_destroy(&dp->base_lock);
	free(dp);
}

void
dp_set_invalid_spi_sink(struct dp *dp, dp_invalid_spi_fn fn, void *ctx)
{
	dp->sink = fn;
	dp->sink_ctx = ctx;
}

/* Posts M; without a thread, handles it right away in the caller. */
static int
post(struct dp *dp, struct msg *m)
{
	if (!dp->running) {
		handle_msg(dp, m);
		return 0;
	}
	if (!msgq_push(dp->q, m))
		return -1;
	return 0;
}

/* Posts M and waits until the datapath has handled it. */
static void
post_wait(struct dp *dp, struct msg *m, sem_t *done)
{
	if (!dp->running) {
		handle_msg(dp, m);
		return;
	}
	while (!msgq_push(dp->q, m))
		usleep(1000);
	while (sem_wait(done) < 0 && errno == EINTR)
		;
}

void
dp_wake(struct dp *dp)
{
	struct msg m = { .type = MSG_SYNC };

	/* A full queue wakes the thread as well. */
	(void)msgq_push(dp->q, &m);
}

void
dp_sync(struct dp *dp)
{
	sem_t done;
	struct msg m = { .type = MSG_SYNC, .done = &done };

	sem_init(&done, 0, 0);
	post_wait(dp, &m, &done);
	sem_destroy(&done);
}

void
dp_poll(struct dp *dp)
{
	struct msg m;

	if (dp->running)
		return;
	while (msgq_pop(dp->q, &m))
		handle_msg(dp, &m);
}

int
dp_config_post(struct dp *dp, struct dp_config *cfg)
{
	struct dp_config *copy = malloc(sizeof(*copy));
	struct msg m = { .type = MSG_CONFIG };

	if (copy == NULL) {
		dp_config_free(cfg);
		return -1;
	}
	*copy = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	m.ptr = copy;
	if (post(dp, &m) < 0) {
		discard_msg(&m);
		return -1;
	}
	return 0;
}

void
dp_config_apply(void *ctx, const struct lyd_node *running)
{
	struct dp *dp = ctx;
	struct dp_config cfg;
	char err[256] = "";

	/* Entries with unusable keys are left out, and `debug crypto ipsec` logs why. */
	if (dp_config_extract(running, &cfg, err, sizeof(err)) < 0 &&
	    debug_on(DEBUG_CRYPTO_IPSEC))
		log_debug("IPSEC(manual_sa): not installed: %s", err);
	if (dp_config_post(dp, &cfg) < 0)
		log_debug("IPSEC(config): config update lost: datapath queue full");
}

static int
replay_link_ok(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

int
dp_replay(struct dp *dp, const char *ifname, const char *path, char *err,
	  size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct msg m = { .type = MSG_REPLAY };
	pcap_t *p;

	p = pcap_open_offline(path, perr);
	if (p == NULL) {
		/* libpcap's message names the file already. */
		snprintf(err, errlen, "%s", perr);
		return -1;
	}
	if (!replay_link_ok(pcap_datalink(p))) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(p));

		snprintf(err, errlen, "%s: unsupported link type %d (%s); "
			 "use Ethernet, raw IP or BSD loopback captures", path,
			 pcap_datalink(p), name != NULL ? name : "unknown");
		pcap_close(p);
		return -1;
	}
	m.ptr = p;
	snprintf(m.ifname, sizeof(m.ifname), "%s", ifname);
	if (post(dp, &m) < 0) {
		snprintf(err, errlen, "datapath queue full");
		pcap_close(p);
		return -1;
	}
	return 0;
}

/*
 * Opens a UDP wire from LOCAL to REMOTE, or the TUN device LOCAL when
 * REMOTE is NULL, and hands it to the datapath thread.
 */
static int
attach(struct dp *dp, const char *ifname, const char *local,
       const char *remote, char *err, size_t errlen)
{
	struct dp_wire *w = calloc(1, sizeof(*w));
	struct msg m = { .type = MSG_WIRE };
	int rc;

	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = remote != NULL ?
	     dp_wire_open(w, ifname, local, remote, err, errlen) :
	     dp_tun_open(w, ifname, local, err, errlen);
	if (rc < 0) {
		free(w);
		return -1;
	}
	m.ptr = w;
	if (post(dp, &m) < 0) {
		snprintf(err, errlen, "datapath queue full");
		discard_msg(&m);
		return -1;
	}
	return 0;
}

int
dp_wire_attach(struct dp *dp, const char *ifname, const char *local,
	       const char *remote, char *err, size_t errlen)
{
	return attach(dp, ifname, local, remote, err, errlen);
}

int
dp_tun_attach(struct dp *dp, const char *ifname, const char *tundev,
	      char *err, size_t errlen)
{
	return attach(dp, ifname, tundev, NULL, err, errlen);
}

static void
replay_pcap(struct dp *dp, pcap_t *p, const char *ifname)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int dlt = pcap_datalink(p);
	int stat = dp_ifstat_index(dp, ifname);
	uint64_t now = 0;
	unsigned n = 0;

	while (pcap_next_ex(p, &h, &data) == 1) {
		if (n++ % BATCH == 0) {
			dp_input_flush(dp);
			dp_sa_adopt_pending(dp);
			now = dp_now_ns();
		}
		dp_ifstat_add(dp, stat, DP_IFC_RX_PACKETS, 1);
		dp_ifstat_add(dp, stat, DP_IFC_RX_OCTETS, h->caplen);
		dp_input_frame(dp, ifname, stat, dlt, data, h->caplen, now);
	}
	dp_input_flush(dp);
	pcap_close(p);
	dp_stat_add(dp, DP_STAT_REPLAYS_DONE, 1);
}

int
dp_input_batch(struct dp *dp, const char *ifname, int dlt,
	       const uint8_t *const *pkts, const size_t *lens, size_t n,
	       uint64_t now_ns)
{
	int stat;

	if (dp->running || !replay_link_ok(dlt))
		return -1;
	dp_sa_adopt_pending(dp);
	stat = dp_ifstat_index(dp, ifname);
	if (stat >= 0) {
		uint64_t octets = 0;

		for (size_t i = 0; i < n; i++)
			octets += lens[i];
		dp_ifstat_add(dp, stat, DP_IFC_RX_PACKETS, n);
		dp_ifstat_add(dp, stat, DP_IFC_RX_OCTETS, octets);
	}
	for (size_t i = 0; i < n; i++)
		dp_input_frame(dp, ifname, stat, dlt, pkts[i], lens[i], now_ns);
	dp_input_expire(dp, now_ns);
	dp_input_flush(dp);
	return 0;
}

static void
copy_sa_info(const struct dp_sa_entry *e, struct dp_sa_info *out)
{
	memset(out, 0, sizeof(*out));
	out->params = *dp_esp_sa_params(e->esp);
	memset(out->params.cipher_key, 0, sizeof(out->params.cipher_key));
	memset(out->params.integ_key, 0, sizeof(out->params.integ_key));
	dp_esp_sa_counters(e->esp, &out->counters);
	out->counters.no_sa_send = e->no_sa_send;
	out->counters.invalid_sa = e->invalid_sa;
	out->counters.invalid_ident = e->invalid_ident;
	memcpy(out->map, e->cfg.map, sizeof(out->map));
	out->map_seq = e->cfg.map_seq;
	memcpy(out->ifname, e->cfg.ifname, sizeof(out->ifname));
	memcpy(out->transform, e->cfg.transform, sizeof(out->transform));
	out->conn_id = e->conn_id;
	out->lifetime_kb = e->cfg.lifetime_kb;
	out->lifetime_sec = e->cfg.lifetime_sec;
	out->installed_ns = e->installed_ns;
	out->negotiated = e->dynamic;
	out->has_selector = e->cfg.has_selector;
	out->selector = e->cfg.selector;
}

void
dp_sa_remaining(const struct dp_sa_info *sa, uint64_t now_ns, uint32_t *kb,
		uint32_t *sec)
{
	uint64_t used_kb, age;

	*kb = sa->lifetime_kb;
	*sec = sa->lifetime_sec;
	if (!sa->negotiated)
		return;
	/* Each SA carries one direction, so one of the two is 0. */
	used_kb = (sa->counters.bytes_in + sa->counters.bytes_out) / 1024;
	age = now_ns > sa->installed_ns ?
	      (now_ns - sa->installed_ns) / NS_PER_SEC : 0;
	*kb = used_kb < *kb ? *kb - (uint32_t)used_kb : 0;
	*sec = age < *sec ? *sec - (uint32_t)age : 0;
}

static void
handle_get_sas(struct dp *dp, struct sas_request *req)
{
	req->sas = calloc(dp->n_sas ? dp->n_sas : 1, sizeof(req->sas[0]));
	req->n = req->sas != NULL ? (int)dp->n_sas : -1;
	for (int i = 0; i < req->n; i++)
		copy_sa_info(dp->sas[i], &req->sas[i]);
	sem_post(&req->done);
}

static void
handle_peer_traffic(struct dp *dp, struct traffic_request *req)
{
	req->in = req->out = 0;
	for (size_t i = 0; i < dp->n_sas; i++) {
		const struct dp_sa_params *p = dp_esp_sa_params(dp->sas[i]->esp);
		struct dp_sa_counters c;

		if (p->outbound ? p->dst != req->peer : p->src != req->peer)
			continue;
		dp_esp_sa_counters(dp->sas[i]->esp, &c);
		if (p->outbound)
			req->out += c.encaps;
		else
			req->in += c.decaps;
	}
	req->rc = 0;
	sem_post(&req->done);
}

static void
handle_msg(struct dp *dp, struct msg *m)
{
	/* SAs published before this message was posted come first. */
	dp_sa_adopt_pending(dp);
	switch (m->type) {
	case MSG_CONFIG:
		dp_reconcile(dp, m->ptr);
		free(m->ptr);
		break;
	case MSG_REPLAY:
		replay_pcap(dp, m->ptr, m->ifname);
		break;
	case MSG_GET_SAS:
		handle_get_sas(dp, m->ptr);
		break;
	case MSG_PEER_TRAFFIC:
		handle_peer_traffic(dp, m->ptr);
		break;
	case MSG_CLEAR_SA:
		for (size_t i = 0; i < dp->n_sas; i++) {
			dp_esp_sa_clear_counters(dp->sas[i]->esp);
			dp->sas[i]->no_sa_send = 0;
			dp->sas[i]->invalid_sa = 0;
			dp->sas[i]->invalid_ident = 0;
		}
		break;
	case MSG_WIRE:
		dp_wire_install(dp, m->ptr);
		break;
	case MSG_RESET_SAS:
		dp_sa_reset_now(dp);
		break;
	case MSG_SA_ADD:
		dp_sa_add_now(dp, m->ptr);
		OPENSSL_cleanse(m->ptr, sizeof(struct dp_sa_cfg));
		free(m->ptr);
		break;
	case MSG_SA_DELETE:
		dp_sa_delete_now(dp, m->outbound, m->dst, m->spi);
		break;
	case MSG_SA_ENCAP:
		dp_sa_set_encap_now(dp, m->dst, m->spi, m->sport, m->dport);
		break;
	case MSG_SA_REMOVE: {
		struct sa_request *r = m->ptr;

		r->rc = dp_sa_delete_now(dp, r->outbound, r->dst, r->spi) ?
			0 : -1;
		sem_post(&r->done);
		break;
	}
	case MSG_PROBE:
		dp_probe_send(dp, m->ptr);
		break;
	case MSG_PROBE_CANCEL:
		dp_probe_cancel(dp, m->ptr);
		break;
	case MSG_CAPTURE: {
		struct capture_request *r = m->ptr;

		if (r->snapshot)
			r->rc = dp_capture_copy(dp, r->cfg.name, r->out, r->err,
						sizeof(r->err));
		else
			r->rc = dp_capture_apply(dp, r->op, &r->cfg, r->err,
						 sizeof(r->err));
		sem_post(&r->done);
		break;
	}
	case MSG_SPI_NOTE:
		dp_spi_diag_note(dp->spi_diag, &m->note, dp_now_ns());
		break;
	case MSG_SPI_GET: {
		struct spi_request *r = m->ptr;

		r->rc = dp_spi_diag_copy(dp->spi_diag, r->out);
		sem_post(&r->done);
		break;
	}
	case MSG_SPI_CLEAR:
		dp_spi_diag_clear(dp->spi_diag);
		break;
	case MSG_NHRP_GET: {
		struct nhrp_request *r = m->ptr;

		r->n = dp_nhrp_copy(dp, &r->rows, r->stats);
		sem_post(&r->done);
		break;
	}
	case MSG_NHRP_CLEAR:
		dp_nhrp_clear_now(dp);
		break;
	case MSG_SYNC:
	case MSG_STOP:
		break;
	}
	if (m->type != MSG_GET_SAS && m->type != MSG_PEER_TRAFFIC &&
	    m->type != MSG_SA_REMOVE &&
	    m->type != MSG_CAPTURE && m->type != MSG_SPI_GET &&
	    m->type != MSG_NHRP_GET &&
	    m->done != NULL)
		sem_post(m->done);
}

int
dp_get_sas(struct dp *dp, struct dp_sa_info **out)
{
	struct sas_request req = { .n = -1 };
	struct msg m = { .type = MSG_GET_SAS, .ptr = &req };

	sem_init(&req.done, 0, 0);
	post_wait(dp, &m, &req.done);
	sem_destroy(&req.done);
	*out = req.sas;
	return req.n;
}

int
dp_peer_traffic(struct dp *dp, uint32_t peer, uint64_t *in, uint64_t *out)
{
	struct traffic_request req = { .peer = peer, .rc = -1 };
	struct msg m = { .type = MSG_PEER_TRAFFIC, .ptr = &req };

	sem_init(&req.done, 0, 0);
	post_wait(dp, &m, &req.done);
	sem_destroy(&req.done);
	*in = req.in;
	*out = req.out;
	return req.rc;
}

int
dp_get_spi_flows(struct dp *dp, struct dp_spi_table *out)
{
	struct spi_request req = { .out = out, .rc = -1 };
	struct msg m = { .type = MSG_SPI_GET, .ptr = &req };

	memset(out, 0, sizeof(*out));
	sem_init(&req.done, 0, 0);
	post_wait(dp, &m, &req.done);
	sem_destroy(&req.done);
	return req.rc;
}

int
dp_nhrp_get(struct dp *dp, struct dp_nhrp_entry **out,
	    struct dp_nhrp_stats *stats)
{
	struct dp_nhrp_stats unused;
	struct nhrp_request req = { .n = -1,
				    .stats = stats != NULL ? stats : &unused };
	struct msg m = { .type = MSG_NHRP_GET, .ptr = &req };

	sem_init(&req.done, 0, 0);
	post_wait(dp, &m, &req.done);
	sem_destroy(&req.done);
	*out = req.rows;
	return req.n;
}

void
dp_nhrp_clear(struct dp *dp)
{
	sem_t done;
	struct msg m = { .type = MSG_NHRP_CLEAR, .done = &done };

	sem_init(&done, 0, 0);
	post_wait(dp, &m, &done);
	sem_destroy(&done);
}

void
dp_clear_spi_flows(struct dp *dp)
{
	sem_t done;
	struct msg m = { .type = MSG_SPI_CLEAR, .done = &done };

	sem_init(&done, 0, 0);
	post_wait(dp, &m, &done);
	sem_destroy(&done);
}

int
dp_spi_note(struct dp *dp, const struct dp_spi_note *note)
{
	struct msg m = { .type = MSG_SPI_NOTE, .note = *note };

	return post(dp, &m);
}

void
dp_clear_sa_counters(struct dp *dp)
{
	sem_t done;
	struct msg m = { .type = MSG_CLEAR_SA, .done = &done };

	sem_init(&done, 0, 0);
	post_wait(dp, &m, &done);
	sem_destroy(&done);
}

void
dp_clear_sas(struct dp *dp)
{
	sem_t done;
	struct msg m = { .type = MSG_RESET_SAS, .done = &done };

	sem_init(&done, 0, 0);
	post_wait(dp, &m, &done);
	sem_destroy(&done);
}

int
dp_sa_add(struct dp *dp, const struct dp_sa_cfg *sa)
{
	struct msg m = { .type = MSG_SA_ADD };
	struct dp_sa_cfg *copy = malloc(sizeof(*copy));

	if (copy == NULL)
		return -1;
	*copy = *sa;
	m.ptr = copy;
	if (post(dp, &m) < 0) {
		discard_msg(&m);
		return -1;
	}
	return 0;
}

int
dp_sa_delete(struct dp *dp, bool outbound, uint32_t dst, uint32_t spi)
{
	struct msg m = { .type = MSG_SA_DELETE, .outbound = outbound,
			 .dst = dst, .spi = spi };

	return post(dp, &m);
}

int
dp_sa_set_encap(struct dp *dp, uint32_t dst, uint32_t spi, uint16_t sport,
		uint16_t dport)
{
	struct msg m = { .type = MSG_SA_ENCAP, .dst = dst, .spi = spi,
			 .sport = sport, .dport = dport };

	return post(dp, &m);
}

int
dp_sa_remove(struct dp *dp, bool outbound, uint32_t dst, uint32_t spi)
{
	struct sa_request req = { .outbound = outbound, .dst = dst,
				  .spi = spi, .rc = -1 };
	struct msg m = { .type = MSG_SA_REMOVE, .ptr = &req };

	sem_init(&req.done, 0, 0);
	post_wait(dp, &m, &req.done);
	sem_destroy(&req.done);
	return req.rc;
}

static int
capture_request(struct dp *dp, struct capture_request *req, char *err,
		size_t errlen)
{
	struct msg m = { .type = MSG_CAPTURE, .ptr = req };

	sem_init(&req->done, 0, 0);
	post_wait(dp, &m, &req->done);
	sem_destroy(&req->done);
	if (req->rc < 0)
		snprintf(err, errlen, "%s", req->err);
	return req->rc;
}

int
dp_capture_op(struct dp *dp, enum dp_capture_op op,
	      const struct dp_capture_cfg *cfg, char *err, size_t errlen)
{
	struct capture_request req = { .op = op, .cfg = *cfg, .rc = -1 };

	return capture_request(dp, &req, err, errlen);
}

int
dp_capture_snapshot(struct dp *dp, const char *name,
		    struct dp_capture_snapshot *out, char *err, size_t errlen)
{
	struct capture_request req = { .snapshot = true, .out = out,
				       .rc = -1 };

	snprintf(req.cfg.name, sizeof(req.cfg.name), "%s", name);
	return capture_request(dp, &req, err, errlen);
}

void
dp_set_sa_event_sink(struct dp *dp, dp_sa_event_fn fn, void *ctx)
{
	dp->sa_sink = fn;
	dp->sa_sink_ctx = ctx;
}

int
dp_probe_run(struct dp *dp, const struct dp_probe *p, uint32_t timeout_ms,
	     struct dp_probe_result *res)
{
	struct dp_probe_req req = { .p = *p };
	struct msg m = { .type = MSG_PROBE, .ptr = &req };
	struct timespec ts;
	sem_t done;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!dp->running)
		return -1;
	sem_init(&req.done, 0, 0);
	if (!msgq_push(dp->q, &m)) {
		sem_destroy(&req.done);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while ((rc = sem_timedwait(&req.done, &ts)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		/* Make sure the datapath lets go of REQ before it goes. */
		m = (struct msg){ .type = MSG_PROBE_CANCEL, .ptr = &req,
				  .done = &done };
		sem_init(&done, 0, 0);
		post_wait(dp, &m, &done);
		sem_destroy(&done);
		if (!req.answered)
			req.res.status = DP_PROBE_TIMEOUT;
	}
	sem_destroy(&req.done);
	*res = req.res;
	return 0;
}

void
dp_get_drops(struct dp *dp, struct dp_drop_stats *out)
{
	pthread_mutex_lock(&dp->base_lock);
	for (int i = 0; i < DP_DROP_COUNT; i++) {
		out->packets[i] = atomic_load_explicit(&dp->drop_pkts[i],
						       memory_order_relaxed) -
				  dp->drop_base.packets[i];
		out->octets[i] = atomic_load_explicit(&dp->drop_octets[i],
						      memory_order_relaxed) -
				 dp->drop_base.octets[i];
	}
	pthread_mutex_unlock(&dp->base_lock);
}

/*
 * Clearing records the current values as a base that readers subtract,
 * because the counters have a single writer, the datapath thread.
 */
void
dp_clear_drop(struct dp *dp, enum dp_drop d)
{
	if ((unsigned)d >= DP_DROP_COUNT)
		return;
	pthread_mutex_lock(&dp->base_lock);
	dp->drop_base.packets[d] =
	    atomic_load_explicit(&dp->drop_pkts[d], memory_order_relaxed);
	dp->drop_base.octets[d] =
	    atomic_load_explicit(&dp->drop_octets[d], memory_order_relaxed);
	pthread_mutex_unlock(&dp->base_lock);
}

void
dp_clear_drops(struct dp *dp)
{
	for (int d = 0; d < DP_DROP_COUNT; d++)
		dp_clear_drop(dp, d);
}

void
dp_get_stats(struct dp *dp, struct dp_stats *out)
{
	uint64_t v[DP_STAT_COUNT];

	_Static_assert(sizeof(v) == sizeof(*out),
		       "struct dp_stats and enum dp_stat disagree");
	for (int i = 0; i < DP_STAT_COUNT; i++)
		v[i] = atomic_load_explicit(&dp->stats[i],
					    memory_order_relaxed);
	memcpy(out, v, sizeof(*out));
}
