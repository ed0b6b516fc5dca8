/*
 * IKEv2 message fragmentation (RFC 7383) for the ikev2*.c sources: the
 * IKEV2_FRAGMENTATION_SUPPORTED notify of IKE_SA_INIT, the split of an
 * outgoing protected message into Encrypted Fragment payloads, and the
 * reassembly of the peer's fragments per IKE SA and message ID.
 */
#ifndef VR_IKEMGR_IKEV2_FRAG_H
#define VR_IKEMGR_IKEV2_FRAG_H

#include "ikemgr/ikev2_sa.h"

/* Bounds on one message being reassembled: its Total Fragments, the
 * plaintext octets kept, and the seconds its fragments are kept. */
#define IKEV2_FRAG_MAX		64
#define IKEV2_FRAG_BYTES_MAX	32768
#define IKEV2_FRAG_TIMEOUT_SEC	30.0

/* The fragments of one outgoing message, each a complete IKE message. */
struct ikev2_frags {
	uint8_t *buf;			/* one allocation for all of them */
	size_t off[IKEV2_FRAG_MAX];
	size_t len[IKEV2_FRAG_MAX];
	size_t n;
};

/* Adds IKEV2_FRAGMENTATION_SUPPORTED to IKE_SA_INIT message B when C
 * configures `crypto ikev2 fragmentation`. */
void ikev2_frag_offer(struct ikev2_buf *b, const struct ikev2_config *c);

/*
 * Turns fragmentation on for SA when C configures it and the peer's
 * IKE_SA_INIT message M announced it (RFC 7383 2.3). A responder calls
 * this before ikev2_frag_offer() adds the notify to its response, so
 * that it announces support only to an initiator that did.
 */
void ikev2_frag_negotiate(struct v2_sa *sa, const struct ikev2_config *c,
			  const struct ikev2_msg *m);

/*
 * Splits MSG[0..LEN), a sealed message with an SK payload, into OUT when
 * SA uses fragmentation and MSG does not fit its MTU. Each fragment is
 * encrypted and integrity-protected on its own. Returns the number of
 * fragments (free them with ikev2_frags_free()), or 0 when MSG goes out
 * whole.
 */
size_t ikev2_frag_split(struct ikemgr *ike, const struct v2_sa *sa,
			const uint8_t *msg, size_t len,
			struct ikev2_frags *out);
void ikev2_frags_free(struct ikev2_frags *f);

/*
 * Takes fragment MSG with header H for SA, which the caller matched to
 * the message ID it expects. It checks and authenticates the fragment
 * and keeps its plaintext. Returns -1 to drop it (counted), 0 while
 * fragments are missing, and 1 when the message is complete. *PLAIN
 * (malloc'd, the caller frees it) and *PLAIN_LEN are then the inner
 * payloads, and *FIRST is the type of the first.
 */
int ikev2_frag_input(struct ikemgr *ike, struct v2_sa *sa,
		     const struct ikev2_hdr *h, uint8_t *msg, uint8_t **plain,
		     size_t *plain_len, uint8_t *first);

/* Authenticates fragment MSG of a request SA has handled already and
 * returns its Fragment Number, or -1 when it fails (counted). */
int ikev2_frag_number(struct ikemgr *ike, struct v2_sa *sa,
		      const struct ikev2_hdr *h, uint8_t *msg);

/* Discards SA's reassemblies older than IKEV2_FRAG_TIMEOUT_SEC. */
void ikev2_frag_expire(struct v2_sa *sa, double now);
/* Frees SA's reassemblies. */
void ikev2_frag_free(struct v2_sa *sa);

#endif
