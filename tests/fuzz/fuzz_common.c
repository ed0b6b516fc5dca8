#include "fuzz_common.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/config_load.h"
#include "core/config.h"
#include "datapath/datapath.h"
#include "ikemgr/ikemgr.h"

/*
 * Without a datapath thread, the harness thread is the datapath thread,
 * so the IKE manager must not call into the datapath from its own: its
 * messages wait here until fz_flush_ike() sends them.
 */
#define FZ_IKE_QUEUE 64

static pthread_mutex_t ike_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dp_ike_packet ike_queue[FZ_IKE_QUEUE];
static size_t ike_queued;

static int
queue_ike(void *ctx, const struct dp_ike_packet *pkt)
{
	int ret = -1;

	(void)ctx;
	pthread_mutex_lock(&ike_lock);
	if (ike_queued < FZ_IKE_QUEUE) {
		ike_queue[ike_queued++] = *pkt;
		ret = 0;
	}
	pthread_mutex_unlock(&ike_lock);
	return ret;
}

int
fz_install_nothing(void *ctx, const struct dp_sa_cfg *sas, size_t n, char *err,
		size_t errlen)
{
	(void)ctx;
	(void)sas;
	(void)n;
	(void)err;
	(void)errlen;
	return 0;
}

int
fz_remove_nothing(void *ctx, bool outbound, uint32_t dst, uint32_t spi)
{
	(void)ctx;
	(void)outbound;
	(void)dst;
	(void)spi;
	return 0;
}

static const struct ike_transport queued_transport = {
	.send = queue_ike,
	.install = fz_install_nothing,
	.remove = fz_remove_nothing,
};

void
fz_flush_ike(struct router *r)
{
	pthread_mutex_lock(&ike_lock);
	for (size_t i = 0; i < ike_queued; i++)
		(void)dp_ike_send(r->dp, &ike_queue[i]);
	ike_queued = 0;
	pthread_mutex_unlock(&ike_lock);
	dp_poll(r->dp);
}

void
fz_router_open(struct router *r, bool dp_thread)
{
	memset(r, 0, sizeof(*r));
	if (router_init(r, "/dev/null") < 0)
		abort();
	r->startup_config_path = NULL;
	r->cfg = cfg_create(VR_YANG_DIR);
	r->dp = dp_create();
	r->ike = ike_create();
	if (r->cfg == NULL || r->dp == NULL || r->ike == NULL) {
		fprintf(stderr, "fuzz: cannot build the router\n");
		abort();
	}
	cmd_init_all();
	dp_set_invalid_spi_sink(r->dp, ike_post_invalid_spi, r->ike);
	dp_set_sa_event_sink(r->dp, ike_post_sa_event, r->ike);
	dp_set_ike_sink(r->dp, ike_post_packet, r->ike);
	dp_set_acquire_sink(r->dp, ike_post_acquire, r->ike);
	if (dp_thread)
		ike_set_dp(r->ike, r->dp);
	else
		ike_set_transport(r->ike, &queued_transport, NULL);
	if (cfg_subscribe(r->cfg, dp_config_apply, r->dp) < 0 ||
	    cfg_subscribe(r->cfg, ike_config_apply, r->ike) < 0 ||
	    ike_start(r->ike) < 0 ||
	    (dp_thread && dp_start(r->dp) < 0)) {
		fprintf(stderr, "fuzz: cannot start the router's parts\n");
		abort();
	}
}

static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dp_ike_packet captured;
static size_t captured_count;

static int
capture_ike(void *ctx, const struct dp_ike_packet *pkt)
{
	(void)ctx;
	pthread_mutex_lock(&capture_lock);
	captured = *pkt;
	captured_count++;
	pthread_mutex_unlock(&capture_lock);
	return 0;
}

const struct ike_transport fz_capture = {
	.send = capture_ike,
	.install = fz_install_nothing,
	.remove = fz_remove_nothing,
};

size_t
fz_sent_count(void)
{
	size_t n;

	pthread_mutex_lock(&capture_lock);
	n = captured_count;
	pthread_mutex_unlock(&capture_lock);
	return n;
}

bool
fz_last_sent(struct dp_ike_packet *out)
{
	bool any;

	pthread_mutex_lock(&capture_lock);
	any = captured_count > 0;
	if (any)
		*out = captured;
	pthread_mutex_unlock(&capture_lock);
	return any;
}

void
fz_post(struct router *r, const uint8_t *data, size_t size, uint16_t port)
{
	struct dp_ike_packet pkt;

	memset(&pkt, 0, sizeof(pkt));
	inet_pton(AF_INET, "10.1.1.1", &pkt.src);
	inet_pton(AF_INET, "10.10.1.2", &pkt.dst);
	pkt.sport = pkt.dport = port;
	pkt.natt = port == 4500;
	snprintf(pkt.ifname, sizeof(pkt.ifname), "GigabitEthernet1");
	if (size > sizeof(pkt.data))
		size = sizeof(pkt.data);
	memcpy(pkt.data, data, size);
	pkt.len = (uint16_t)size;
	ike_post_packet(r->ike, &pkt);
	ike_sync(r->ike);
}

void
fz_router_config(struct router *r, const char *text)
{
	if (config_load_text(r, "fuzz setup", text, stderr) != 0) {
		fprintf(stderr, "fuzz: the harness config was rejected\n");
		abort();
	}
}

#define FZ_FIRST_SPI	0x0f000001u

/* The manager's next inbound SPI. The manager thread takes SPIs and the
 * harness thread resets the counter, hence the atomic. */
static _Atomic uint32_t next_spi = FZ_FIRST_SPI;

static uint32_t
counted_spi(void *ctx)
{
	(void)ctx;
	return atomic_fetch_add(&next_spi, 1);
}

void
fz_reset_spis(void)
{
	atomic_store(&next_spi, FZ_FIRST_SPI);
}

void
fz_ike_open(struct router *r, const struct ike_transport *t, const char *text)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg_create(VR_YANG_DIR);
	r->ike = ike_create();
	if (r->cfg == NULL || r->ike == NULL)
		abort();
	cmd_init_all();
	ike_set_transport(r->ike, t, NULL);
	ike_set_spi_source(r->ike, counted_spi, NULL);
	if (cfg_subscribe(r->cfg, ike_config_apply, r->ike) < 0 ||
	    ike_start(r->ike) < 0)
		abort();
	fz_router_config(r, text);
	ike_sync(r->ike);
}

void
fz_ike_close(struct router *r)
{
	ike_stop(r->ike);
	ike_destroy(r->ike);
	cfg_destroy(r->cfg);
	cmd_free_all();
	memset(r, 0, sizeof(*r));
}

char *
fz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	for (size_t i = 0; i < size; i++)
		s[i] = data[i] == '\0' ? ' ' : (char)data[i];
	s[size] = '\0';
	return s;
}
