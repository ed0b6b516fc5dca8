/*
 * A router with only its config store and a CLI session in (config) mode,
 * for driving configuration commands the way a user types them.
 */
#ifndef VR_TESTS_CONFIG_FIXTURE_H
#define VR_TESTS_CONFIG_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/router.h"

#define M "/vrouter-config:"

struct fixture {
	struct router router;
	struct vty vty;
	char *out;		/* output of the last command, "\r" removed */
	size_t len, cap;
	enum cmd_result result;
	char startup[128];	/* startup-config path in a private folder */
	char dir[64];
};

void fx_open(struct fixture *f);
void fx_close(struct fixture *f);

/* Runs LINE in the current mode; returns its output. */
const char *fx_run(struct fixture *f, const char *line);

/* Runs each line of LINES (separated by "\n"); asserts none is rejected. */
void fx_apply(struct fixture *f, const char *lines);

/*
 * Returns a copy of the running value at XPATH (a secret opened), or
 * "(none)".
 */
const char *fx_get(struct fixture *f, const char *xpath);

/* Returns the rendered running config (valid until the next call). */
const char *fx_render(struct fixture *f);

/* Assert that the rendered running config contains, or lacks, TEXT. */
void fx_assert_render_has(struct fixture *f, const char *text);
void fx_assert_render_lacks(struct fixture *f, const char *text);

/* Sets the reply that vty_ask() prompts receive. */
void fx_set_reply(struct fixture *f, const char *reply);

#endif
