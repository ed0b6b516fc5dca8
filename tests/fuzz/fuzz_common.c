#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/config_load.h"
#include "core/config.h"
#include "datapath/datapath.h"
#include "ikemgr/ikemgr.h"

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
	ike_set_dp(r->ike, r->dp);
	if (cfg_subscribe(r->cfg, dp_config_apply, r->dp) < 0 ||
	    cfg_subscribe(r->cfg, ike_config_apply, r->ike) < 0 ||
	    ike_start(r->ike) < 0 ||
	    (dp_thread && dp_start(r->dp) < 0)) {
		fprintf(stderr, "fuzz: cannot start the router's parts\n");
		abort();
	}
}

void
fz_router_config(struct router *r, const char *text)
{
	if (config_load_text(r, "fuzz setup", text, stderr) != 0) {
		fprintf(stderr, "fuzz: the harness config was rejected\n");
		abort();
	}
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
