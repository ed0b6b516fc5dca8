/*
 * Debug switches set by `debug ...` commands and read by any thread
 * before it builds a debug line. Reads and writes are atomic, so a
 * switch can change while other threads test it.
 */
#ifndef VR_CORE_DEBUG_H
#define VR_CORE_DEBUG_H

#include <stdbool.h>

enum debug_flag {
	DEBUG_CRYPTO_ISAKMP,	/* debug crypto isakmp */
	DEBUG_CRYPTO_IPSEC,	/* debug crypto ipsec */
	DEBUG_COUNT
};

bool debug_on(enum debug_flag flag);
void debug_set(enum debug_flag flag, bool on);

/* Turns every switch off (`undebug all`, `no debug all`). */
void debug_all_off(void);

#endif
