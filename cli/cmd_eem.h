/*
 * Embedded Event Manager commands (cli/cmd_eem.c) and the private CLI
 * sessions in which applets run their `action cli command` lines.
 */
#ifndef VR_CLI_CMD_EEM_H
#define VR_CLI_CMD_EEM_H

struct router;

/* Installs the EEM commands; called by cmd_logging_install(). */
void cmd_eem_install(void);

/*
 * Creates R->eem with CLI sessions on R, subscribes it to R's config
 * and starts its threads. "flash:" paths of applets name files beside
 * the startup-config (the working directory without one). Returns 0, or
 * -1 with a reason on stderr; R->eem is then NULL.
 */
int cmd_eem_start(struct router *r);

/* Stops and frees R->eem, if any. */
void cmd_eem_stop(struct router *r);

#endif
