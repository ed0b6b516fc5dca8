/*
 * One router: the parts a vrouter process runs and the handles that CLI
 * sessions use to reach them. Each part owns its own state; this struct
 * only lends out the handles.
 */
#ifndef VR_CORE_ROUTER_H
#define VR_CORE_ROUTER_H

#include <stdbool.h>
#include <time.h>

struct cfg;
struct dp;
struct ikemgr;

struct router {
	struct cfg *cfg;
	struct dp *dp;
	struct ikemgr *ike;
	const char *startup_config_path;	/* file that write memory saves */
	time_t boot_time;
	volatile bool stopping;			/* set by SIGTERM/SIGINT */
};

#endif
