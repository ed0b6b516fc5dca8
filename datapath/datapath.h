/*
 * The datapath: one thread that owns the interfaces' packet I/O, the IPv4
 * reassembly state, the SA database and the drop counters. Other threads
 * reach it only through the functions below, which post messages to its
 * queue or read counters that it publishes.
 */
#ifndef VR_DATAPATH_DATAPATH_H
#define VR_DATAPATH_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp;
struct lyd_node;

/* What the datapath tells the IKE manager about an inbound unknown SPI. */
struct dp_invalid_spi_event {
	uint32_t src;		/* sender, network byte order */
	uint32_t dst;		/* our address, network byte order */
	uint32_t spi;		/* host byte order */
	uint8_t proto;		/* 50 for ESP */
	bool udp_encap;		/* ESP in UDP 4500 */
	char ifname[32];	/* input interface */
};

typedef void (*dp_invalid_spi_fn)(void *ctx, const struct dp_invalid_spi_event *ev);

struct dp *dp_create(void);

/* Starts the datapath thread. */
int dp_start(struct dp *dp);

/* Stops and joins the thread; queued work is discarded. */
void dp_stop(struct dp *dp);
void dp_destroy(struct dp *dp);

/*
 * cfg_apply_fn for cfg_subscribe(): derives interfaces, routes and manual
 * SAs from the running tree and posts them to the datapath thread.
 */
void dp_config_apply(void *dp, const struct lyd_node *running);

/* Sets where unknown-SPI events go; call before dp_start(). */
void dp_set_invalid_spi_sink(struct dp *dp, dp_invalid_spi_fn fn, void *ctx);

/*
 * Queues a capture file to be fed into IFNAME's ingress. Returns 0 when
 * queued, -1 with a reason in ERR when the file cannot be opened.
 */
int dp_replay(struct dp *dp, const char *ifname, const char *path,
	      char *err, size_t errlen);

/*
 * Binds IFNAME to a UDP "wire": packets arrive on LOCAL ("ADDR:PORT") and
 * leave towards REMOTE. Used to connect router processes point to point.
 */
int dp_wire_attach(struct dp *dp, const char *ifname, const char *local,
		   const char *remote, char *err, size_t errlen);

/* Blocks until every message queued before this call has been handled. */
void dp_sync(struct dp *dp);

#endif
