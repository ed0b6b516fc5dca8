/* The `debug`, `undebug` and `show debugging` commands (cli/cmd_debug.c). */
#ifndef VR_CLI_CMD_DEBUG_H
#define VR_CLI_CMD_DEBUG_H

/* Installs the debug commands; called by cmd_logging_install(). */
void cmd_debug_install(void);

#endif
