/*
 * The SSH server, on libssh: password authentication against the local
 * users, one shell channel per session (with pty size and window
 * changes) or an exec channel that runs a single command. Sessions take
 * vty lines like telnet sessions and run the same line editor.
 *
 * One process runs one router, so there is one SSH server per process.
 */
#ifndef VR_CLI_SSH_H
#define VR_CLI_SSH_H

#include <stddef.h>

struct router;

/*
 * Listens on ADDR (numeric IPv4 or IPv6) and PORT (0 picks a free port,
 * see vty_ssh_port()). The host keys are read from KEY_DIR, and generated
 * there on first start (ssh_host_ed25519_key, ssh_host_rsa_key).
 * Returns 0, or -1 with a message in ERR.
 */
int vty_ssh_start(struct router *r, const char *addr, unsigned port,
		  const char *key_dir, char *err, size_t errlen);

/* Closes the listener and every session, and waits for their threads. */
void vty_ssh_stop(void);

/* Port the server listens on, or 0 when it is not running. */
unsigned vty_ssh_port(void);

#endif
