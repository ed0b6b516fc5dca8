/*
 * One router: the parts a vrouter process runs and the handles that CLI
 * sessions use to reach them. Each part owns its own state; this struct
 * only lends out the handles.
 */
#ifndef VR_CORE_ROUTER_H
#define VR_CORE_ROUTER_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct cfg;
struct dp;
struct eem;
struct ikemgr;

struct router {
	struct cfg *cfg;
	struct dp *dp;
	struct ikemgr *ike;
	struct eem *eem;			/* NULL when EEM is not running */
	const char *startup_config_path;	/* file that write memory saves */

	/*
	 * The startup-config file exists but could not be loaded at boot
	 * (unreadable, not text). Saving over it would destroy it.
	 */
	bool startup_config_unread;
	time_t boot_time;
	volatile bool stopping;			/* set by SIGTERM/SIGINT */
	/* `reload`: main() runs the binary again once the parts stop. */
	volatile bool reload_requested;

	/*
	 * SHA-256 of the running config as rendered after the startup-config
	 * loaded or after the last save; `reload` asks to save when the
	 * running config renders differently. A digest, not the text, so
	 * that no copy of the secrets in it is kept. Guarded by saved_lock.
	 */
	unsigned char saved_digest[32];
	bool saved_set;
	pthread_mutex_t saved_lock;

	/*
	 * An eventfd that becomes readable once a stop is requested and
	 * then stays readable. Threads that sleep in poll() add it, so a
	 * stop wakes them.
	 */
	int stop_fd;
	int signal_fd;				/* SIGTERM and SIGINT */
	pthread_t signal_thread;
	bool watching_signals;
};

/*
 * Sets up R with no parts, and blocks SIGTERM and SIGINT in the calling
 * thread. Threads created later inherit the mask, so only the signal
 * thread receives them. Ignores SIGPIPE, because a telnet
 * peer that goes away must not end the process. Call before any thread
 * starts. Returns 0, or -1 with errno set.
 */
int router_init(struct router *r, const char *startup_config_path);

/*
 * Starts the thread that turns SIGTERM and SIGINT into
 * router_request_stop(). Returns 0, or -1 with errno set.
 */
int router_watch_signals(struct router *r);

/* Sets R->stopping and wakes every poll() on R->stop_fd. */
void router_request_stop(struct router *r);

/* Records TEXT (its digest) as the config last loaded or saved. */
void router_set_saved_config(struct router *r, const char *text);

/* True when TEXT differs from the config last loaded or saved. */
bool router_config_differs(struct router *r, const char *text);

/* Blocks until a stop is requested. */
void router_wait_stop(struct router *r);

/* Stops the signal thread and closes R's descriptors. */
void router_release(struct router *r);

#endif
