/*
 * Shared parts of the libFuzzer harnesses: a router built the way
 * vrouter's main() builds one (config store, datapath, IKE manager and
 * the command engine), configured from IOS text.
 */
#ifndef VR_TESTS_FUZZ_FUZZ_COMMON_H
#define VR_TESTS_FUZZ_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/router.h"

struct dp_ike_packet;
struct dp_sa_cfg;
struct ike_transport;

/* The entry point every harness defines, as libFuzzer calls it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Builds R with its datapath and IKE manager wired together. The
 * datapath thread runs only when DP_THREAD is set; without it the
 * harness feeds packets with dp_input_batch() and calls fz_flush_ike().
 * Aborts on failure: a harness without its router proves nothing.
 */
void fz_router_open(struct router *r, bool dp_thread);

/*
 * Without a datapath thread: sends what the IKE manager queued through
 * dp_ike_send() in the calling thread, then applies pending datapath
 * messages. Negotiated SAs are not installed in that case.
 */
void fz_flush_ike(struct router *r);

/* An ike_transport's install and remove that do nothing. */
int fz_install_nothing(void *ctx, const struct dp_sa_cfg *sas, size_t n,
		       char *err, size_t errlen);
int fz_remove_nothing(void *ctx, bool outbound, uint32_t dst, uint32_t spi);

/*
 * Builds R with only a config store and an IKE manager that sends and
 * installs through T, starts it and applies the IOS config TEXT. The
 * manager takes its inbound SPIs from a counter, 0x0f000001 upwards,
 * which fz_reset_spis() sets back. Aborts on failure.
 */
void fz_ike_open(struct router *r, const struct ike_transport *t,
		 const char *text);

/*
 * A transport that keeps a copy of the last message the manager sent
 * and counts them, for fz_ike_open().
 */
extern const struct ike_transport fz_capture;

/* Messages sent through fz_capture so far. */
size_t fz_sent_count(void);

/* Copies the last message sent through fz_capture; false before any. */
bool fz_last_sent(struct dp_ike_packet *out);

/*
 * Posts SIZE octets of DATA to R's IKE manager as a UDP message from the
 * peer 10.1.1.1 to 10.10.1.2 on PORT (4500 with the non-ESP marker
 * already stripped), and returns once the manager has handled it.
 */
void fz_post(struct router *r, const uint8_t *data, size_t size,
	     uint16_t port);

/* Makes the next inbound SPI of fz_ike_open()'s managers 0x0f000001, so
 * that an input sees the same SPIs on every run. Call only while no
 * SA from before can still ask for one. */
void fz_reset_spis(void);

/* Stops and frees what fz_ike_open() built. */
void fz_ike_close(struct router *r);

/* Applies IOS config lines and aborts when any line is rejected. */
void fz_router_config(struct router *r, const char *text);

/*
 * Copies DATA into a NUL-terminated string, with each NUL byte
 * replaced by a space. The caller frees it.
 */
char *fz_strndup(const uint8_t *data, size_t size);

#endif
