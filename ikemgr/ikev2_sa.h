/*
 * The IKEv2 SA and child SA tables, private to the ikev2*.c sources.
 */
#ifndef VR_IKEMGR_IKEV2_SA_H
#define VR_IKEMGR_IKEV2_SA_H

#include "ikemgr/ikev2.h"
#include "ikemgr/ikev2_msg.h"

#define V2_NONCE_LEN		32
#define V2_NONCE_MAX		256
#define V2_JOBS			8
#define V2_RETRANSMITS		5

enum v2_state {
	V2_INIT,			/* IKE_SA_INIT sent or answered */
	V2_AUTH,			/* IKE_AUTH sent */
	V2_READY,			/* authenticated */
	V2_DEAD,
};

/* Work that needs a request of our own, run one at a time. */
enum v2_job_kind {
	V2_JOB_DELETE_CHILD,		/* DELETE naming SPI (our inbound) */
	V2_JOB_INVALID_SPI,		/* INVALID_SPI and DELETE for SPI */
	V2_JOB_CREATE_CHILD,		/* CREATE_CHILD_SA for ENTRY */
	V2_JOB_REKEY_CHILD,		/* CREATE_CHILD_SA replacing SPI */
	V2_JOB_DPD,			/* empty INFORMATIONAL */
	V2_JOB_DELETE_IKE,
	V2_JOB_REKEY_IKE,		/* CREATE_CHILD_SA for a new IKE SA */
};

struct v2_job {
	enum v2_job_kind kind;
	uint32_t spi;
	bool spi_field;			/* INVALID_SPI in the older form */
	bool no_delete;			/* INVALID_SPI without the DELETE */
	struct ike_entry entry;
};

/* A CREATE_CHILD_SA or IKE_AUTH child negotiation of ours. */
struct v2_child_neg {
	bool active;
	struct ike_entry entry;
	uint32_t spi_in;
	uint32_t rekey_spi;		/* inbound SPI replaced; 0: none */
	uint8_t ni[V2_NONCE_LEN];
	struct ike_dh *dh;		/* PFS in CREATE_CHILD_SA; NULL: none */
};

struct v2_sa {
	uint32_t conn_id;
	enum v2_state state;
	bool initiator;
	uint8_t spii[8], spir[8];
	uint32_t local, peer;		/* network order */
	uint16_t lport, pport;
	bool natt;			/* on port 4500 with the marker */
	bool nat_detected;

	struct ikev2_algs algs;
	struct ikev2_keys keys;
	struct ike_dh *dh;
	uint8_t ni[V2_NONCE_MAX], nr[V2_NONCE_MAX];
	size_t ni_len, nr_len;
	uint8_t *init_i, *init_r;	/* IKE_SA_INIT messages, for AUTH */
	size_t init_i_len, init_r_len;
	char psk_local[129], psk_remote[129];
	char profile[DP_NAME_MAX];
	uint32_t lifetime;
	uint16_t dpd_interval, dpd_retry;

	/* Our requests: one outstanding (window size 1). */
	uint32_t next_msgid;
	uint8_t *req;
	size_t req_len;
	uint32_t req_msgid;
	uint8_t req_exchange;
	double retx_next;
	unsigned retx_count;
	struct v2_child_neg neg;
	/* Our rekey of this IKE SA, while its request is outstanding. */
	bool rekeying;
	struct ike_dh *rekey_dh;
	uint8_t rekey_spi[8];
	uint8_t rekey_ni[V2_NONCE_LEN];
	bool expiring;			/* past its lifetime: a grace period
					 * for the rekey, then DELETE */
	struct v2_job jobs[V2_JOBS];
	size_t njobs;

	/* The peer's requests. */
	uint32_t peer_msgid;		/* next expected */
	uint8_t *resp;			/* last response, for retransmits */
	size_t resp_len;
	uint8_t req_hash[20];		/* SHA-1 of the request it answers */

	double created, established, expires, last_rx;
	uint32_t child_sas;
};

struct v2_child {
	uint32_t conn_id;		/* of its IKE SA */
	uint32_t local, peer;
	uint32_t spi_in, spi_out;	/* host order */
	struct ike_entry entry;
	struct ike_tset ts;
	bool initiator;
	double created, expires;
	bool rekeyed;
};

struct ikev2_state {
	struct v2_sa **sas;
	size_t nsas;
	struct v2_child *children;
	size_t nchildren;
	uint32_t *contacted;		/* peers of earlier SAs */
	size_t ncontacted;
	struct ike_v2_stats stats;
};

#endif
