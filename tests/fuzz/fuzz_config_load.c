/*
 * The config loader: IOS text line by line through the command engine,
 * or YANG data as JSON (first character '{') or XML ('<'), loaded into a
 * router the way `vrouter --config FILE` loads its startup-config.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/config_load.h"
#include "datapath/datapath.h"
#include "fuzz_common.h"
#include "ikemgr/ikemgr.h"

static struct router router;
static FILE *report;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_router_open(&router, true);
	report = fopen("/dev/null", "w");
	if (report == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_strndup(data, size);

	(void)config_load_text(&router, "fuzz input", text, report);
	ike_sync(router.ike);
	dp_sync(router.dp);
	free(text);
	return 0;
}
