/*
 * Helpers of the IKE hardening tests, on top of the two back-to-back
 * managers of tests/ike.
 */
#ifndef VR_TESTS_HARDENING_IKE_HARDENING_H
#define VR_TESTS_HARDENING_IKE_HARDENING_H

#include "ike_test.h"

/* True when X and Y each have one inbound and one outbound SA. */
bool ikh_both_pairs(struct ikt_side *x, struct ikt_side *y);

/* Posts LEN octets of DATA from SRC, UDP 500, to TO's manager. */
void ikh_post(struct ikt_side *to, uint32_t src, const uint8_t *data,
	      size_t len);

/* Sleeps one millisecond, the step of the tests' polling loops. */
void ikh_nap(void);

#endif
