/*
 * The IKEv2 SA and child SA tables, private to the ikev2*.c sources.
 */
#ifndef VR_IKEMGR_IKEV2_SA_H
#define VR_IKEMGR_IKEV2_SA_H

#include "ikemgr/ikev2.h"
#include "ikemgr/ikev2_msg.h"

#include <arpa/inet.h>

#define IKE_PORT		500
#define NATT_PORT		4500
#define RETX_FIRST_SEC		1.0
#define NEGOTIATION_SEC		30.0
#define REKEY_GRACE_SEC		30.0

/* A debug line under `debug crypto ikev2` for SA's peer. */
#define DBG(sa, fmt, ...)						\
	do {								\
		if (debug_on_peer(DEBUG_CRYPTO_IKEV2, (sa)->peer))	\
			log_debug("IKEv2:(SA ID = %u):" fmt,		\
				  (unsigned)(sa)->conn_id, ##__VA_ARGS__); \
	} while (0)

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
	/* The peer rekeyed the same child meanwhile: the lowest nonce of
	 * its exchange, to settle which new pair goes (RFC 7296 2.8.1). */
	bool collided;
	uint8_t peer_min[V2_NONCE_MAX];
	size_t peer_min_len;
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
	struct ikev2_id local_id;	/* the profile's; type 0: address */
	struct ikev2_id remote_id;	/* the peer's IDi or IDr */
	char profile[DP_NAME_MAX];
	uint32_t lifetime;
	uint16_t dpd_interval, dpd_retry;
	bool dpd_periodic;		/* else on-demand */
	struct ike_dpd_watch dpd_watch;
	double dpd_checked;		/* last on-demand check */

	/* Our requests: one outstanding (window size 1). */
	uint32_t next_msgid;
	uint8_t *req;
	size_t req_len;
	uint32_t req_msgid;
	uint8_t req_exchange;
	double retx_next;
	unsigned retx_count;
	bool req_is_dpd;		/* retransmitted every dpd_retry s */
	struct v2_child_neg neg;
	/* Our rekey of this IKE SA, while its request is outstanding. */
	bool rekeying;
	struct ike_dh *rekey_dh;
	uint8_t rekey_spi[8];
	uint8_t rekey_ni[V2_NONCE_LEN];
	/* The peer rekeyed this IKE SA too while ours was outstanding
	 * (RFC 7296 2.8.2): the IKE SA made for its exchange and the
	 * lowest nonce of that exchange. */
	uint32_t rekey_peer_conn;
	uint8_t rekey_peer_min[V2_NONCE_MAX];
	size_t rekey_peer_min_len;
	/* A redundant IKE SA of such a collision, made for the peer's
	 * exchange: the peer should delete it, and we remove it at this
	 * time if it has not. 0: not redundant. */
	double redundant_until;
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
	/* RFC 7383 fragmentation: the MTU our fragments are sized for once
	 * both ends announced IKEV2_FRAGMENTATION_SUPPORTED; 0: not in
	 * use. The peer's fragmented request [0] and response [1] being
	 * reassembled, or NULL. */
	uint16_t frag_mtu;
	struct v2_frag_rx *frag_rx[2];
	/* The responder's COOKIE, returned in each IKE_SA_INIT retry. */
	uint8_t cookie[64];
	size_t cookie_len;
	unsigned cookie_tries;
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
	/* COOKIE secrets: [0] current, [1] the one before. */
	uint8_t cookie_secret[2][32];
	uint32_t cookie_ver;		/* of [0]; 0: none made yet */
	double cookie_rotated;
};

/* One proposal of an SA payload, read into parallel lists. */
struct v2_prop {
	uint8_t num, proto, spi_size;
	uint8_t spi[8];
	uint16_t ids[5][IKEV2_ALGS_MAX * 2];	/* by transform type */
	uint16_t bits[5][IKEV2_ALGS_MAX * 2];
	size_t n[5];
};

struct ike_choice {
	const struct ikev2_config *c;
	struct ikev2_algs algs;
	uint8_t num;
	uint8_t spi[8];			/* the proposal's, when rekeying */
	uint8_t spi_size;
	bool found;
};

struct esp_choice {
	const struct ike_config *c;
	const struct ike_entry *e;
	bool any_dh;			/* IKE_AUTH: DH transforms ignored */
	uint16_t want_dh;		/* PFS group required; 0: none */
	struct ike_tset ts;
	uint32_t spi;			/* the peer's, host order */
	uint8_t num;
	bool found;
};

/* A Notify payload's fields. */
struct v2_notify {
	uint8_t proto, spi_size;
	uint16_t type;
	const uint8_t *spi, *data;
	size_t data_len;
};

/* ---- Shared by the ikev2*.c sources, in the manager thread ---- */

/* ikev2.c */
struct v2_sa *ikev2_new_sa(struct ikemgr *ike, uint32_t local, uint32_t peer,
			   bool initiator);
struct v2_sa *ikev2_find_any(struct ikemgr *ike, uint32_t peer);
void ikev2_remove_sa(struct ikemgr *ike, struct v2_sa *sa, bool children);
void ikev2_transmit(struct ikemgr *ike, struct v2_sa *sa, const uint8_t *msg,
		    size_t len);
uint8_t *ikev2_dup_msg(const uint8_t *msg, size_t len);
void ikev2_send_request(struct ikemgr *ike, struct v2_sa *sa,
			const uint8_t *msg, size_t len);
void ikev2_send_response(struct ikemgr *ike, struct v2_sa *sa,
			 const uint8_t *msg, size_t len);
void ikev2_request_done(struct v2_sa *sa);
void ikev2_start_msg(struct ikev2_buf *b, uint8_t *p, size_t cap,
		     const struct v2_sa *sa, uint8_t exchange, bool response,
		     uint32_t msgid);
size_t ikev2_seal_msg(const struct v2_sa *sa, struct ikev2_buf *b);
void ikev2_add_notify(struct ikev2_buf *b, uint8_t proto, const uint8_t *spi,
		      size_t spi_len, uint16_t type, const void *data,
		      size_t len);
void ikev2_add_delete_esp(struct ikev2_buf *b, const uint32_t *spis, size_t n);
void ikev2_add_job(struct ikemgr *ike, struct v2_sa *sa, enum v2_job_kind kind,
		   uint32_t spi, const struct ike_entry *e);
void ikev2_run_jobs(struct ikemgr *ike, struct v2_sa *sa);
void ikev2_delete_ike_sa(struct ikemgr *ike, struct v2_sa *sa);

/* ikev2_payload.c */
void ikev2_add_ike_sa(struct ikev2_buf *b, const struct ikev2_config *c,
		      const struct ikev2_algs *only, uint8_t num,
		      const uint8_t *spi);
uint16_t ikev2_esp_integ_id(enum dp_integ integ);
void ikev2_add_esp_sa(struct ikev2_buf *b, const struct ike_config *c,
		      const struct ike_entry *e, const struct ike_tset *only,
		      uint8_t only_num, uint32_t spi, uint16_t dh);
int ikev2_each_proposal(const uint8_t *body, size_t len,
			bool (*fn)(const struct v2_prop *, void *), void *arg);
bool ikev2_choose_ike(const struct v2_prop *p, void *arg);
bool ikev2_choose_esp(const struct v2_prop *p, void *arg);
void ikev2_add_entry_ts(struct ikev2_buf *b, const struct ike_entry *e);
bool ikev2_read_notify(const struct ikev2_pl *pl, struct v2_notify *n);
bool ikev2_find_notify(const struct ikev2_msg *m, uint16_t type,
		       struct v2_notify *n);
/* True when M carries USE_TRANSPORT_MODE. */
bool ikev2_wants_transport(const struct ikev2_msg *m);

/* ikev2_auth.c */
/* Sends an unprotected IKE_SA_INIT response with one notify of TYPE. */
void ikev2_init_error(struct ikemgr *ike, const struct dp_ike_packet *pkt,
		      const struct ikev2_hdr *h, uint16_t type,
		      const void *data, size_t len);
size_t ikev2_ke_body(const struct ike_dh *dh, uint16_t group, uint8_t *ke);
bool ikev2_read_nonce(const struct ikev2_msg *m, uint8_t *out, size_t *len);
void ikev2_init_responder(struct ikemgr *ike, const struct dp_ike_packet *pkt,
			  const struct ikev2_hdr *h, const struct ikev2_msg *m);
void ikev2_add_transport_notify(struct ikev2_buf *b, const struct ike_tset *t);
const struct ike_tset *ikev2_first_tset(struct ikemgr *ike,
					const struct ike_entry *e);
bool ikev2_offered(const struct ikev2_config *c, const struct ikev2_algs *a);
bool ikev2_take_first(const struct v2_prop *p, void *arg);
void ikev2_init_response(struct ikemgr *ike, struct v2_sa *sa,
			 const struct dp_ike_packet *pkt,
			 const struct ikev2_hdr *h, const struct ikev2_msg *m);
void ikev2_established(struct ikemgr *ike, struct v2_sa *sa);
void ikev2_auth_responder(struct ikemgr *ike, struct v2_sa *sa,
			  const struct ikev2_msg *m, uint32_t msgid);
void ikev2_child_accepted(struct ikemgr *ike, struct v2_sa *sa,
			  const struct ikev2_msg *m, const uint8_t *ni,
			  size_t ni_len, const uint8_t *nr, size_t nr_len);
void ikev2_auth_response(struct ikemgr *ike, struct v2_sa *sa,
			 const struct ikev2_msg *m);

/* ikev2_cookie.c */
/*
 * Decides whether IKE_SA_INIT request M from PKT may create state. Under
 * `crypto ikev2 cookie-challenge` load it must start with a valid COOKIE,
 * else a COOKIE response goes back and false is returned.
 */
bool ikev2_cookie_admit(struct ikemgr *ike, const struct dp_ike_packet *pkt,
			const struct ikev2_hdr *h, const struct ikev2_msg *m);

/* ikev2_child.c */
/* True when a colliding rekey by the peer has a higher lowest nonce
 * than our exchange with nonces NI and NR, so our new pair goes. */
bool ikev2_lost_collision(const struct v2_child_neg *neg, const uint8_t *ni,
			  size_t ni_len, const uint8_t *nr, size_t nr_len);
uint32_t ikev2_new_spi(struct ikemgr *ike);
int ikev2_install_pair(struct ikemgr *ike, struct v2_sa *sa,
		       const struct ike_entry *e, const struct ike_tset *t,
		       bool xchg_initiator, uint32_t spi_in, uint32_t spi_out,
		       const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		       size_t nr_len, const uint8_t *gir, size_t gir_len);
void ikev2_add_child(struct ikemgr *ike, struct v2_sa *sa,
		     const struct ike_entry *e, const struct ike_tset *t,
		     bool initiator, uint32_t spi_in, uint32_t spi_out);
void ikev2_remove_child(struct ikemgr *ike, size_t i);
ssize_t ikev2_child_by_in(struct ikev2_state *st, uint32_t conn_id,
			  uint32_t spi_in);
void ikev2_send_create_child(struct ikemgr *ike, struct v2_sa *sa,
			     const struct v2_job *j);
void ikev2_create_child_responder(struct ikemgr *ike, struct v2_sa *sa,
				  const struct ikev2_msg *m, uint32_t msgid);
void ikev2_create_child_response(struct ikemgr *ike, struct v2_sa *sa,
				 const struct ikev2_msg *m);
void ikev2_send_rekey_ike(struct ikemgr *ike, struct v2_sa *sa);
/* Removes SA when it is the redundant IKE SA of a simultaneous rekey
 * that the peer did not delete in time; returns true when it did. */
bool ikev2_drop_redundant(struct ikemgr *ike, struct v2_sa *sa, double now);
void ikev2_info_responder(struct ikemgr *ike, struct v2_sa *sa,
			  const struct ikev2_msg *m, uint32_t msgid);
void ikev2_info_response(struct ikemgr *ike, struct v2_sa *sa);

static inline const char *
ntoa(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static inline const struct ikev2_config *
v2_config(struct ikemgr *ike)
{
	return ike->config != NULL ? ike->config->v2 : NULL;
}

#endif
