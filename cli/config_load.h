/*
 * Loads an IOS configuration file into the running config, line by line
 * through the command engine, the way IOS applies its startup-config.
 */
#ifndef VR_CLI_CONFIG_LOAD_H
#define VR_CLI_CONFIG_LOAD_H

#include <stdio.h>

struct router;

/*
 * Runs each line of the file at PATH in (config) mode. Blank lines and
 * "!" comments are skipped and "end" stops the load. Each rejected line
 * is written to REPORT (when not NULL) and logged as
 * "line N: <text>: <IOS error>", and loading continues.
 * Returns the number of rejected lines, or -1 when PATH cannot be read.
 */
int config_load_file(struct router *r, const char *path, FILE *report);

/* Same as config_load_file() for text already in memory; NAME labels it. */
int config_load_text(struct router *r, const char *name, const char *text,
		     FILE *report);

#endif
