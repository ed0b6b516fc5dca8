/*
 * Debug switches set by `debug ...` commands and read by any thread
 * before it builds a debug line. Reads and writes are atomic, so a
 * switch can change while other threads test it.
 */
#ifndef VR_CORE_DEBUG_H
#define VR_CORE_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum debug_flag {
	DEBUG_CRYPTO_ISAKMP,	/* debug crypto isakmp */
	DEBUG_CRYPTO_IPSEC,	/* debug crypto ipsec */
	DEBUG_CRYPTO_IKEV2,	/* debug crypto ikev2 */
	DEBUG_CRYPTO_IKEV2_PACKET,	/* debug crypto ikev2 packet */
	DEBUG_CRYPTO_IKEV2_INTERNAL,	/* debug crypto ikev2 internal */
	DEBUG_COUNT
};

bool debug_on(enum debug_flag flag);
void debug_set(enum debug_flag flag, bool on);

/*
 * Turns every switch off and removes every peer condition (`undebug all`,
 * `no debug all`).
 */
void debug_all_off(void);

/*
 * Conditional debugging by peer (`debug crypto condition peer ipv4 A`).
 * While no condition is set every debug line is printed. Once one is
 * set, code that builds a debug line about a peer calls
 * debug_peer_allowed() with the peer's IPv4 address (host byte order)
 * and prints the line only when it returns true, as IOS does. A line
 * whose peer is not known yet (PEER 0) is then suppressed, like IOS
 * without `debug crypto condition unmatched`.
 */
#define DEBUG_MAX_PEER_CONDITIONS 32

/* Returns 0, 1 when PEER was already set, or -1 when the table is full. */
int debug_condition_add_peer(uint32_t peer);

/* Returns 0, or -1 when PEER was not a condition. */
int debug_condition_remove_peer(uint32_t peer);

/* Removes every peer condition (`debug crypto condition reset`). */
void debug_condition_reset(void);

/* Copies up to MAX peer conditions into OUT; returns how many are set. */
size_t debug_condition_peers(uint32_t *out, size_t max);

/* True when no peer condition is set, or PEER is one of them. */
bool debug_peer_allowed(uint32_t peer);

/* debug_on(FLAG) && debug_peer_allowed(PEER), for the common test. */
bool debug_on_peer(enum debug_flag flag, uint32_t peer);

#endif
