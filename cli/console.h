/*
 * The local console ("con 0") on stdin and stdout. On a terminal it edits
 * lines with GNU readline; on a pipe it runs each input line without echo
 * or prompt, so scripts can feed commands to the router.
 */
#ifndef VR_CLI_CONSOLE_H
#define VR_CLI_CONSOLE_H

struct router;

/*
 * Runs the console until `exit` or `logout` in EXEC, end of input, or
 * R->stopping. Returns 0, or -1 when the console could not start.
 */
int vty_console_run(struct router *r);

#endif
