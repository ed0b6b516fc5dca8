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
 * "!" comments are skipped and "end" stops the load. What a terminal
 * paste adds is skipped too: a UTF-8 byte order mark, "Building
 * configuration..." and "Current configuration :" lines, EXEC commands
 * after a prompt ("R1#show run"); a config-mode prompt in front of a line
 * ("R1(config)#") is removed. Each rejected line is written to REPORT
 * (when not NULL) and logged as "line N: <text>: <IOS error>", and loading
 * continues. Lines indented under a rejected line are skipped with it and
 * counted in its report line, so a block that vrouter does not model
 * (a crypto pki certificate chain with its hex lines, a routing process)
 * is one rejection. A command that reads lines of its own after a
 * prompt, such as a banner whose text spans several lines, takes them
 * from the text that follows it. All the lines are applied in one batch of the config
 * store (see cfg_batch_begin()), and subscribers are notified once.
 * A file whose first character is '{' or '<' is YANG data instead (JSON
 * or XML, as `show running-config | format` prints it): it is validated
 * and merged as a whole, or rejected as a whole with one report line.
 * Returns the number of rejections, or -1 when PATH cannot be read.
 */
int config_load_file(struct router *r, const char *path, FILE *report);

/* Same as config_load_file() for text already in memory; NAME labels it. */
int config_load_text(struct router *r, const char *name, const char *text,
		     FILE *report);

#endif
