/*
 * Helpers of the IKE hardening tests, on top of the two back-to-back
 * managers of tests/ike.
 */
#ifndef VR_TESTS_HARDENING_IKE_HARDENING_H
#define VR_TESTS_HARDENING_IKE_HARDENING_H

#include "ike_test.h"

/*
 * Config texts of the two sides: the IKEv1 policy, the IKEv2 proposal
 * and keyring, and one side with its crypto map, where KEYS are the
 * key lines and PROFILE the map's `set ikev2-profile` line, if any.
 */
#define IKH_V1_POLICY \
	"crypto isakmp policy 10\n" \
	" encryption aes 256\n" \
	" hash sha256\n" \
	" authentication pre-share\n" \
	" group 14\n"

#define IKH_V2_PROPOSAL \
	"crypto ikev2 proposal PROP\n" \
	" encryption aes-cbc-256\n" \
	" integrity sha256\n" \
	" group 14\n" \
	"crypto ikev2 policy POL\n" \
	" proposal PROP\n"

#define IKH_V2_KEYS(peer) \
	"crypto ikev2 keyring KR\n" \
	" peer P\n" \
	"  address " peer "\n" \
	"  pre-shared-key s3cret\n" \
	"crypto ikev2 profile PROF\n" \
	" match identity remote address " peer " 255.255.255.255\n" \
	" authentication remote pre-share\n" \
	" authentication local pre-share\n" \
	" keyring local KR\n"

#define IKH_SIDE(keys, me, peer, lnet, rnet, profile) \
	keys \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n" \
	"ip access-list extended VPN\n" \
	" permit ip " lnet " 0.0.0.255 " rnet " 0.0.0.255\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer " peer "\n" \
	" set transform-set TS\n" \
	profile \
	" match address VPN\n" \
	"interface GigabitEthernet1\n" \
	" ip address " me " 255.255.255.0\n" \
	" crypto map CMAP\n"

/* The two IKEv2 sides, A at 10.0.0.1 and B at 10.0.0.2. */
#define IKH_V2_A \
	IKH_SIDE(IKH_V2_PROPOSAL IKH_V2_KEYS("10.0.0.2"), "10.0.0.1", \
		 "10.0.0.2", "192.168.1.0", "192.168.2.0", \
		 " set ikev2-profile PROF\n")
#define IKH_V2_B \
	IKH_SIDE(IKH_V2_PROPOSAL IKH_V2_KEYS("10.0.0.1"), "10.0.0.2", \
		 "10.0.0.1", "192.168.2.0", "192.168.1.0", \
		 " set ikev2-profile PROF\n")

/* True when X and Y each have one inbound and one outbound SA. */
bool ikh_both_pairs(struct ikt_side *x, struct ikt_side *y);

/* True when X installed no SA. */
bool ikh_no_sas(struct ikt_side *x, struct ikt_side *y);

/* True when X sent at least one message. */
bool ikh_sent_any(struct ikt_side *x, struct ikt_side *y);

/* Posts LEN octets of DATA from SRC, UDP 500, to TO's manager. */
void ikh_post(struct ikt_side *to, uint32_t src, const uint8_t *data,
	      size_t len);

/* Sleeps one millisecond, the step of the tests' polling loops. */
void ikh_nap(void);

#endif
