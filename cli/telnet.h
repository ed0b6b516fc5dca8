/*
 * The telnet server: one listener thread and one thread per session, each
 * session a vty with its own mode and terminal settings. The protocol is
 * handled by libtelnet; the server offers WILL ECHO and WILL SGA and requests
 * DO NAWS (RFC 857, 858, 1073), so clients switch to character mode and
 * report their window size.
 *
 * One process runs one router, so there is one telnet server per process.
 */
#ifndef VR_CLI_TELNET_H
#define VR_CLI_TELNET_H

#include <stddef.h>
#include <time.h>

struct router;
struct vty;

/*
 * Telnet connections served at once; the vty lines configured (16 by
 * default, see vty.h) limit sessions further.
 */
#define VTY_TELNET_MAX_SESSIONS 100

/*
 * Listens on ADDR (numeric IPv4 or IPv6) and PORT (0 picks a free port,
 * see vty_telnet_port()). Returns 0, or -1 with a message in ERR.
 */
int vty_telnet_start(struct router *r, const char *addr, unsigned port,
		     char *err, size_t errlen);

/* Closes the listener and every session, and waits for their threads. */
void vty_telnet_stop(void);

/*
 * Sets the idle time after which a session closes, in seconds, for every
 * session (IOS `exec-timeout`, default 600); 0 disables it.
 */
void vty_telnet_set_exec_timeout(unsigned seconds);

/* Port the server listens on, or 0 when it is not running. */
unsigned vty_telnet_port(void);

/*
 * Runs one telnet session on the connected socket FD in the calling
 * thread until the peer leaves, `exit` runs or R->stopping is set. Closes
 * FD. PEER is the remote address shown in logs and `show users`.
 */
void vty_telnet_serve(struct router *r, int fd, const char *peer,
		      unsigned index);

/* Calls FN for each running session, with its idle time in seconds. */
void vty_telnet_foreach(void (*fn)(void *ctx, const struct vty *vty,
				   time_t idle),
			void *ctx);

#endif
