/*
 * An IKE peer for the harnesses and the hardening tests. It negotiates
 * as 10.1.1.1 on UDP 500, with the pre-shared key FZ_PSK, with the
 * manager of a router that fz_ike_open() built. Then it encrypts and
 * authenticates payload chains of the caller's choosing with the keys
 * it negotiated. The algorithms are fixed: AES-128-CBC, SHA-1 and DH
 * group 19 for IKEv1, and AES-256-CBC, SHA-256 and DH group 19 for
 * IKEv2.
 */
#ifndef VR_TESTS_FUZZ_FUZZ_PEER_H
#define VR_TESTS_FUZZ_FUZZ_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/router.h"
#include "ikemgr/ikev2.h"
#include "ikemgr/ikev2_msg.h"

#define FZ_PSK		"FuzzPeerKey"
#define FZ_PEER		"10.1.1.1"
#define FZ_LOCAL	"10.10.1.2"

/*
 * The IOS configs the peer fits, one for each IKE version: a crypto map
 * entry for the peer (with the IKEv2 profile PROF in fz_config_v2) that
 * protects 192.168.2.0/24, the router's side, to 192.168.1.0/24.
 */
extern const char fz_config_v1[];
extern const char fz_config_v2[];

/* Room for one message, the IKE maximum the datapath hands over. */
#define FZ_MSG_MAX	DP_IKE_MSG_MAX

/* ---- IKEv1 Main Mode and the exchanges protected by it ---- */

struct fz_v1 {
	struct router *r;
	uint8_t icookie[8], rcookie[8];
	struct ike_dh *dh;
	uint8_t gxi[IKE_DH_MAX], gxr[IKE_DH_MAX];
	size_t gx_len;
	uint8_t ni[32], nr[IKE_NONCE_LEN + 32];
	size_t ni_len, nr_len;
	uint8_t sai_b[64];		/* the SA payload body of MM1 */
	size_t sai_len;
	struct ike_keys keys;
	uint8_t iv[IKE_BLOCK_MAX];	/* the phase 1 CBC chain */
	uint8_t p1_last[IKE_BLOCK_MAX];	/* last block of MM6 */
};

/*
 * Runs MM1 to MM4 with R's manager, with initiator cookie "fz1" and
 * SERIAL, and derives the phase 1 keys. Returns false, with the reason
 * on stderr, when the manager does not reply as a responder must.
 */
bool fz_v1_to_mm4(struct fz_v1 *p, struct router *r, uint64_t serial);

/* Frees the DH key of P. */
void fz_v1_free(struct fz_v1 *p);

/*
 * Writes into the first HASH payload of the chain CHAIN (first payload
 * FIRST) the HASH_I that MM5 needs over the chain's first ID payload,
 * when both exist and the HASH body has the hash's length.
 */
void fz_v1_fix_hash_i(const struct fz_v1 *p, uint8_t first, uint8_t *chain,
		      size_t len);

/*
 * Writes HASH(1) of a Quick Mode or Informational message MSGID (RFC
 * 2409 5.5 and 5.7) into the chain's first payload, when that is a HASH
 * of the hash's length, over the payloads after it.
 */
void fz_v1_fix_hash1(const struct fz_v1 *p, uint32_t msgid, uint8_t first,
		     uint8_t *chain, size_t len);

/*
 * Builds into OUT an encrypted message of EXCHANGE with MSGID whose
 * plaintext is CHAIN (first payload FIRST), zero-padded to the block.
 * Main Mode continues the phase 1 CBC chain and updates it. Other
 * exchanges use the phase 2 IV of MSGID. Returns the length, 0 when it
 * does not fit CAP.
 */
size_t fz_v1_seal(struct fz_v1 *p, uint8_t exchange, uint32_t msgid,
		  uint8_t first, const uint8_t *chain, size_t len,
		  uint8_t *out, size_t cap);

/* A Quick Mode that the manager started, as its QM1 showed it. */
struct fz_v1_qm {
	uint32_t msgid;
	uint8_t iv[IKE_BLOCK_MAX];	/* of QM2: QM1's last block */
	uint8_t ni[IKE_NONCE_LEN + 32];	/* the manager's nonce */
	size_t ni_len;
};

/* Reads the manager's QM1 PKT into QM. Returns false when PKT is not a
 * QM1 of P's ISAKMP SA. */
bool fz_v1_take_qm1(const struct fz_v1 *p, const struct dp_ike_packet *pkt,
		    struct fz_v1_qm *qm);

/* Writes HASH(2) of QM's exchange into the chain's first payload, when
 * that is a HASH of the hash's length, over the payloads after it. */
void fz_v1_fix_hash2(const struct fz_v1 *p, const struct fz_v1_qm *qm,
		     uint8_t first, uint8_t *chain, size_t len);

/* Builds QM2 of QM's exchange from CHAIN into OUT, continuing its CBC
 * chain. Returns the length, 0 when it does not fit CAP. */
size_t fz_v1_seal_qm(const struct fz_v1 *p, struct fz_v1_qm *qm,
		     uint8_t first, const uint8_t *chain, size_t len,
		     uint8_t *out, size_t cap);

/* Sends a valid MM5 and reads MM6. Returns false when phase 1 did not
 * end. */
bool fz_v1_mm5(struct fz_v1 *p);

/*
 * Decrypts the manager's message PKT of exchange Quick Mode or
 * Informational in place with the phase 2 IV of its message ID. Returns
 * the plaintext length after the header, or 0.
 */
size_t fz_v1_open_p2(const struct fz_v1 *p, struct dp_ike_packet *pkt);

/* Builds into OUT a valid QM1 chain for SPI (host order) without its
 * HASH(1), which the harness fixes. The first payload is a HASH.
 * Returns the chain's length. */
size_t fz_v1_qm1_chain(const struct fz_v1 *p, uint32_t spi, uint8_t *out,
		       size_t cap);

/* ---- IKEv2 ---- */

struct fz_v2 {
	struct router *r;
	bool responder;			/* the manager initiated the IKE SA */
	uint8_t spii[8], spir[8];
	struct ikev2_algs algs;
	struct ikev2_keys keys;
	uint8_t ni[256], nr[256];	/* the initiator's and responder's */
	size_t ni_len, nr_len;
	uint8_t init[512];		/* our IKE_SA_INIT message, which our
					 * AUTH covers */
	size_t init_len;
	uint32_t next_msgid;		/* of our next request */
};

/* Runs IKE_SA_INIT with R's manager, SPIi "fz2" and SERIAL, and derives
 * the keys. Returns false, with the reason on stderr, on failure. */
bool fz_v2_init(struct fz_v2 *p, struct router *r, uint64_t serial);

/*
 * Responds to the IKE_SA_INIT request that R's manager sent last, which
 * ike_initiate() makes it send, as the responder with SPIr "fz3" and
 * SERIAL, and derives the keys. The manager's IKE_AUTH request follows.
 * Returns false, with the reason on stderr, on failure.
 */
bool fz_v2_answer_init(struct fz_v2 *p, struct router *r, uint64_t serial);

/* Writes into the chain's first AUTH payload the pre-shared key AUTH of
 * its first IDi payload (IDr when P is the responder), when both exist
 * and the AUTH fits. */
void fz_v2_fix_auth(const struct fz_v2 *p, uint8_t first, uint8_t *chain,
		    size_t len);

/*
 * Builds into OUT a valid IKE_AUTH chain with AUTH computed: IDi, AUTH,
 * SA (ESP, SPI), TSi and TSr, or with IDr first when P is the responder.
 * Returns its length.
 */
size_t fz_v2_auth_chain(const struct fz_v2 *p, uint32_t spi, uint8_t *out,
			size_t cap);

/* Builds into OUT a CREATE_CHILD_SA chain for a new ESP pair with SPI:
 * SA, Nonce, TSi and TSr, as the peer's request or as a RESPONSE to the
 * manager's request. Its first payload is SA. */
size_t fz_v2_child_chain(uint32_t spi, bool response, uint8_t *out,
			 size_t cap);

/*
 * Builds into OUT a message of EXCHANGE with FLAGS (and the I flag when
 * P is the initiator) and MSGID whose only payload is an SK payload
 * that carries CHAIN (first payload FIRST). Returns the length, 0 when
 * it does not fit.
 */
size_t fz_v2_seal(const struct fz_v2 *p, uint8_t exchange, uint8_t flags,
		  uint32_t msgid, uint8_t first, const uint8_t *chain,
		  size_t len, uint8_t *out, size_t cap);

/*
 * Verifies and decrypts the manager's message PKT (an SK payload after
 * the header) in place. Fills H and M with the header and the inner
 * payloads. Returns false when it is not such a message of this SA.
 */
bool fz_v2_open(const struct fz_v2 *p, struct dp_ike_packet *pkt,
		struct ikev2_hdr *h, struct ikev2_msg *m);

/* Seals CHAIN as a request of EXCHANGE with the next message ID and
 * posts it. Returns whether the manager responded to it. */
bool fz_v2_request(struct fz_v2 *p, uint8_t exchange, uint8_t first,
		   const uint8_t *chain, size_t len);

/* The peer's inbound ESP SPI of the child SA of fz_v2_establish(). */
#define FZ_PEER_SPI	0x10000001u

/* Runs IKE_SA_INIT and a valid IKE_AUTH: an IKE SA and one child SA
 * pair. Returns false, with the reason on stderr, on failure. */
bool fz_v2_establish(struct fz_v2 *p, struct router *r, uint64_t serial);

/*
 * Responds to the manager's last message when it is a request of this
 * SA. The response to an INFORMATIONAL is empty and ends it. The
 * response to a CREATE_CHILD_SA contains only a NO_PROPOSAL_CHOSEN
 * notify, which rejects it. Returns whether a response was sent.
 */
bool fz_v2_answer_last(const struct fz_v2 *p);

#endif
