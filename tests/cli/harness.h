/*
 * A CLI session whose output goes to a memory buffer, for tests that
 * drive the command engine and compare the exact bytes it writes.
 */
#ifndef VR_TESTS_CLI_HARNESS_H
#define VR_TESTS_CLI_HARNESS_H

#include <stddef.h>

#include "cli/vty.h"

struct harness {
	struct vty vty;
	char *buf;		/* everything written, NUL-terminated */
	size_t len;
	size_t cap;
};

/* Opens a session in MODE (EXEC modes and config modes below them). */
void harness_open(struct harness *h, enum cmd_mode mode);
void harness_close(struct harness *h);

/* Executes LINE with the given prompt width; returns the output. */
const char *harness_exec(struct harness *h, const char *line,
			 size_t echo_width, enum cmd_result *res);

/* Returns the `?` help output for LINE. */
const char *harness_describe(struct harness *h, const char *line);

#endif
