/*
 * State shared by the files of the IKE manager: the derived config, the
 * IKE SA and Quick Mode tables, and the manager itself. Only the
 * sources of the IKE manager include it.
 */
#ifndef VR_IKEMGR_IKE_PRIVATE_H
#define VR_IKEMGR_IKE_PRIVATE_H

#include "datapath/datapath.h"
#include "ikemgr/ike_crypto.h"
#include "ikemgr/ikemgr.h"
#include "ikemgr/isakmp.h"

#include <pthread.h>
#include <stdatomic.h>

struct msgq;
struct ike_ezvpn_config;
struct ike_ezvpn_state;
struct ike_xauth;
struct ikev2_config;
struct ikev2_state;

/* One peer's last invalid-spi-recovery attempt. */
struct ike_recovery {
	uint32_t peer;
	double last_attempt;
};

/* crypto isakmp policy N */
struct ike_policy {
	uint16_t priority;
	uint8_t encr;			/* IKE_ENCR_* */
	uint16_t key_bits;		/* AES only; 0 otherwise */
	uint8_t hash;			/* IKE_HASH_* */
	uint8_t auth;			/* IKE_AUTH_PSK, or 0 for others */
	bool xauth;			/* XAUTHInitPreShared (EzVPN) */
	uint8_t group;
	uint32_t lifetime;		/* seconds */
};

/* crypto isakmp key, or a keyring's pre-shared-key */
struct ike_psk {
	uint32_t addr, mask;		/* network order */
	char key[129];
};

/* crypto ipsec transform-set */
struct ike_tset {
	char name[DP_NAME_MAX];
	uint8_t esp_id;			/* IPSEC_ESP_* */
	uint16_t key_bits;		/* AES: 128, 192, 256; else 0 */
	uint8_t auth;			/* IPSEC_AUTH_*; 0: none */
	bool transport;
	enum dp_cipher cipher;
	enum dp_integ integ;
	char text[96];			/* "esp-aes esp-sha-hmac" */
};

#define IKE_ENTRY_PEERS		8
#define IKE_ENTRY_TSETS		6

/* One ipsec-isakmp crypto map entry applied to an interface, a
 * dynamic-map entry that answers any peer, or a protected tunnel (MAP
 * empty, IFNAME the tunnel). */
struct ike_entry {
	char map[DP_NAME_MAX];
	uint32_t seq;
	char ifname[DP_IFNAME_MAX];
	uint32_t local;			/* address of IFNAME */
	bool dynamic;			/* from a dynamic map: never initiates */
	uint32_t peers[IKE_ENTRY_PEERS];
	size_t npeers;
	size_t tsets[IKE_ENTRY_TSETS];	/* indexes into ike_config.tsets */
	size_t ntsets;
	uint8_t pfs_group;		/* 0: no PFS */
	uint32_t life_sec, life_kb;
	bool has_selector;		/* first permit entry of the ACL */
	struct dp_acl_entry selector;
	char profile[DP_NAME_MAX];	/* set isakmp-profile; "" if none */
	bool aggressive;		/* its profile: initiate mode
					 * aggressive */
	char ikev2_profile[DP_NAME_MAX];	/* set ikev2-profile; "": IKEv1 */
	/* Of an mGRE tunnel: negotiates on traffic only, with PEERS[0]. */
	bool multipoint;
	bool ezvpn;			/* the EzVPN client's profile */
};

struct ike_config {
	bool invalid_spi_recovery;
	uint32_t *peers;		/* static peers, network order, sorted */
	size_t npeers;

	struct ike_policy *policies;	/* by priority */
	size_t npolicies;
	struct ike_psk *psks;
	size_t npsks;
	struct ike_tset *tsets;
	size_t ntsets;
	struct ike_entry *entries;
	size_t nentries;

	uint16_t keepalive_sec;		/* 0: no DPD of ours */
	uint16_t keepalive_retry;
	bool keepalive_periodic;
	uint16_t nat_keepalive;		/* 0: none */
	bool aggressive_disable;	/* crypto isakmp aggressive-mode
					 * disable */
	uint32_t sa_life_sec;		/* global IPsec SA lifetime */
	uint32_t sa_life_kb;
	struct ikev2_config *v2;	/* crypto ikev2 ... */
	struct ike_ezvpn_config *ez;	/* Easy VPN client and server */
};

struct ike_config *ike_config_derive(const struct lyd_node *running);
void ike_config_free(struct ike_config *c);
bool ike_config_static_peer(const struct ike_config *c, uint32_t addr);
const char *ike_config_psk(const struct ike_config *c, uint32_t peer);
/* The entry whose peer list contains PEER, else the first dynamic
 * entry, or NULL. */
const struct ike_entry *ike_config_entry_for_peer(const struct ike_config *c,
						  uint32_t peer);
/*
 * The entry of PEER whose access list mirrors the Quick Mode proxy
 * identities IDCI and IDCR (ID payload bodies; both empty match any),
 * else the first dynamic entry, or NULL.
 */
const struct ike_entry *ike_config_entry_for_ids(const struct ike_config *c,
						 uint32_t peer,
						 const uint8_t *idci,
						 size_t ci_len,
						 const uint8_t *idcr,
						 size_t cr_len);
const struct ike_entry *ike_config_entry(const struct ike_config *c,
					 const char *map, uint32_t seq);
/* The entry of a protected tunnel interface, or NULL. */
const struct ike_entry *ike_config_tunnel(const struct ike_config *c,
					  const char *ifname);
/* The entry of tunnel IFNAME whose peer is PEER, or NULL. */
const struct ike_entry *ike_config_tunnel_peer(const struct ike_config *c,
					       const char *ifname,
					       uint32_t peer);
/* A map entry by MAP and SEQ, or a tunnel by IFNAME and SEQ when MAP is
 * "". */
const struct ike_entry *ike_config_lookup(const struct ike_config *c,
					  const char *map, uint32_t seq,
					  const char *ifname);

/* ---- IKE SAs ---- */

enum ike_state {
	IKE_MM_NO_STATE,		/* MM1 sent or received */
	IKE_MM_SA_SETUP,		/* MM2 sent or received */
	IKE_MM_KEY_EXCH,		/* MM3/MM4 done */
	IKE_QM_IDLE,			/* phase 1 complete */
	IKE_AG_NO_STATE,		/* aggressive: AM1 sent */
	IKE_AG_INIT_EXCH,		/* aggressive: AM2 sent */
	IKE_DEAD,			/* deleted, kept for show until purged */
};

#define IKE_NONCE_LEN		32
#define IKE_MSG_MAX		DP_IKE_MSG_MAX
#define IKE_PENDING_DELETES	8
#define IKE_RETRANSMITS		5

/* When a message was last logged about each of the most recent peers. */
#define IKE_LOG_PEERS 16
struct ike_log_limit {
	struct {
		uint32_t peer;		/* network order */
		double at;		/* ike_now() */
		bool used;
	} last[IKE_LOG_PEERS];
};

/* ESP packet counts with one peer at the last on-demand DPD check. */
struct ike_dpd_watch {
	uint64_t in, out;
	bool valid;			/* false before the first check */
};

/* The last message sent, kept for retransmission. */
struct ike_retx {
	uint8_t *msg;
	size_t len;
	bool natt;
	uint16_t sport, dport;
	double next;			/* 0: nothing to retransmit */
	unsigned count;
};

struct ike_sa {
	uint32_t conn_id;
	enum ike_state state;
	bool initiator;
	uint8_t icookie[8], rcookie[8];
	uint32_t local, peer;		/* network order */
	uint16_t lport, pport;		/* host order */
	bool natt;			/* floated to 4500 */
	bool peer_natt;			/* peer sent the RFC 3947 VID */
	bool nat_detected;
	bool behind_nat;		/* our own NAT-D hash did not match */
	double last_keepalive;		/* NAT keepalive last sent */
	bool peer_dpd;
	struct ike_dpd_watch dpd_watch;	/* on-demand DPD */
	double dpd_checked;		/* last keepalive interval check */
	bool aggressive;		/* phase 1 in aggressive mode */
	bool ezvpn;			/* the EzVPN client's connection */
	struct ike_xauth *xa;		/* XAUTH and mode config; or NULL */
	uint8_t own_id[72];		/* our ID payload body */
	size_t own_id_len;
	uint8_t peer_id[64];		/* the peer's, from AM1 or AM2 */
	size_t peer_id_len;
	char profile[DP_NAME_MAX];

	struct ike_policy pol;		/* the chosen proposal */
	uint8_t *sai_b;			/* initiator's SA payload body */
	size_t sai_len;
	struct ike_dh *dh;
	uint8_t gxi[IKE_DH_MAX], gxr[IKE_DH_MAX];
	size_t gx_len;
	uint8_t ni[IKE_NONCE_LEN + 32], nr[IKE_NONCE_LEN + 32];
	size_t ni_len, nr_len;
	char psk[129];
	struct ike_keys keys;
	uint8_t iv[IKE_BLOCK_MAX];	/* phase 1 CBC chain */
	uint8_t p1_last[IKE_BLOCK_MAX];	/* last phase 1 block, for phase 2 */

	double created, established, expires, last_rx;
	struct ike_retx retx;
	uint8_t last_rx_hash[20];	/* of the last message, to spot a
					 * retransmission */
	uint8_t *reply;			/* what we sent in answer to it */
	size_t reply_len;
	bool reply_natt;

	/* Work to do once phase 1 completes. */
	bool send_initial_contact;
	uint32_t pending_deletes[IKE_PENDING_DELETES];
	size_t npending_deletes;
	bool pending_qm;
	char pending_map[DP_NAME_MAX];
	uint32_t pending_seq;
	char pending_ifname[DP_IFNAME_MAX];

	char map[DP_NAME_MAX];
	uint32_t map_seq;
	char ifname[DP_IFNAME_MAX];
	uint32_t child_sas;

	uint32_t dpd_seq;		/* last R-U-THERE sequence sent */
	double dpd_sent;		/* 0: none outstanding */
	unsigned dpd_missed;
};

/* A Quick Mode exchange in progress. */
struct ike_qm {
	uint32_t conn_id;		/* of its IKE SA */
	uint32_t msgid;
	bool initiator;
	int step;			/* messages handled so far */
	uint8_t iv[IKE_BLOCK_MAX];
	struct ike_entry entry;
	struct ike_tset ts;		/* the chosen transform */
	uint8_t encap;			/* IPSEC_ENCAP_* */
	uint32_t life_sec, life_kb;
	uint32_t spi_in, spi_out;	/* host order */
	uint8_t ni[IKE_NONCE_LEN + 32], nr[IKE_NONCE_LEN + 32];
	size_t ni_len, nr_len;
	uint8_t group;
	struct ike_dh *dh;
	uint8_t gxy[IKE_DH_MAX];
	size_t gxy_len;
	uint8_t idci[64], idcr[64];	/* ID bodies, empty when not sent */
	size_t idci_len, idcr_len;
	struct ike_retx retx;
	double started;
	bool installed;
};

/* An IPsec SA pair negotiated over an IKE SA. */
struct ike_child {
	uint32_t conn_id;
	uint32_t local, peer;
	uint32_t spi_in, spi_out;
	char map[DP_NAME_MAX];
	uint32_t map_seq;
	char ifname[DP_IFNAME_MAX];
	bool initiator;
	double created, expires;
	bool rekeyed;			/* a newer pair replaced it */
	struct dp_selector selector;	/* the flow it protects */
	uint64_t decaps;		/* inbound packets when last read */
	double busy;			/* when decaps last grew */
	double started;			/* when its Quick Mode began */
	uint64_t serial;		/* order in which pairs were added */
};

struct ikemgr {
	struct msgq *events;
	struct msgq *packets;
	int stop_fd;
	pthread_t thread;
	bool running;

	double (*now_fn)(void *ctx);
	void *now_ctx;

	struct ike_transport io;
	void *io_ctx;
	struct dp *diag_dp;		/* invalid-SPI flow table; or NULL */
	uint32_t (*spi_fn)(void *ctx);	/* for tests: forced SPIs */
	void *spi_ctx;
	ike_traffic_fn traffic_fn;	/* for tests: ESP counts */
	void *traffic_ctx;

	pthread_mutex_t config_lock;
	struct ike_config *pending;

	/* Owned by the thread, read under sa_lock by ike_get_sas(). */
	pthread_mutex_t sa_lock;
	struct ike_config *config;
	bool config_changed;		/* since the last start_tunnels() */
	struct ike_sa *answering;	/* SA whose message is being handled */
	const struct dp_ike_packet *answering_pkt; /* and that message */
	struct ike_sa **sas;
	size_t nsas;
	struct ike_qm **qms;
	size_t nqms;
	struct ike_child *children;
	size_t nchildren;
	uint64_t children_added;	/* serial of the last pair added */
	uint32_t next_conn_id;
	struct ike_recovery *recoveries;
	size_t nrecoveries;
	uint32_t *contacted;		/* peers of earlier IKE SAs: no
					 * INITIAL-CONTACT to them */
	size_t ncontacted;
	struct ikev2_state *v2;		/* IKEv2 SAs; NULL until used */
	struct ike_ezvpn_state *ez;	/* EzVPN client; NULL until used */

	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cond;
	uint64_t posted;
	uint64_t handled;

	atomic_uint_fast64_t invalid_spi_events;
	atomic_uint_fast64_t delete_notify_ignored;
	atomic_uint_fast64_t recovery_started;
	atomic_uint_fast64_t recovery_suppressed;
	atomic_uint_fast64_t sa_soft_expired;
	atomic_uint_fast64_t sa_hard_expired;
	atomic_uint_fast64_t packets_dropped;
	atomic_uint_fast64_t half_open_dropped;
	atomic_uint_fast64_t delete_sent;
	atomic_uint_fast64_t delete_received;
	atomic_uint_fast64_t p1_established;
	atomic_uint_fast64_t p2_established;
	/* IKEV2 NEG_ABORT for a peer without a pre-shared key. */
	struct ike_log_limit no_psk_log;
	/* IKMP_MODE_FAILURE for a phase 1 HASH that did not match. */
	struct ike_log_limit hash_fail_log;
};

double ike_now(struct ikemgr *ike);

/* Returns whether a message about PEER may be logged at NOW, at most one
 * every INTERVAL seconds a peer, and records it. A suppressed message is
 * counted as rate-limited in `show logging`. */
bool ike_log_due(struct ike_log_limit *lim, uint32_t peer, double now,
		 double interval);

/*
 * Moves the outbound IPsec SA SPI_OUT (host order) to PEER onto UDP
 * ports LPORT (ours) and PPORT (the peer's, as its NAT maps it), so
 * that ESP in UDP follows a peer that IKE saw on a new port.
 */
void ike_child_set_ports(struct ikemgr *ike, uint32_t peer, uint32_t spi_out,
			 uint16_t lport, uint16_t pport);

/*
 * Decides, at the end of a keepalive interval without IKE messages from
 * PEER, whether on-demand DPD sends a liveness check: true when ESP
 * packets went to PEER since the last check and none came back, or
 * when no ESP counts can be read. Updates W.
 */
bool ike_dpd_due(struct ikemgr *ike, uint32_t peer, struct ike_dpd_watch *w);

/* ikev1.c: the exchanges, all called in the manager thread. */
void ikev1_input(struct ikemgr *ike, const struct dp_ike_packet *pkt);
/* Starts Main Mode with PEER for ENTRY (may be NULL); returns the SA. */
struct ike_sa *ikev1_initiate(struct ikemgr *ike, uint32_t peer,
			      const struct ike_entry *entry);
/* Starts Quick Mode for ENTRY over SA. */
int ikev1_quick_start(struct ikemgr *ike, struct ike_sa *sa,
		      const struct ike_entry *entry);
/* Sends a protected DELETE for ESP SPI (host order) over SA. */
/* Sends an INVALID-SPI notify naming SPI over SA; -1 when it cannot. */
int ikev1_send_invalid_spi(struct ikemgr *ike, struct ike_sa *sa,
			   uint32_t spi);
int ikev1_send_delete_esp(struct ikemgr *ike, struct ike_sa *sa,
			  const uint32_t *spis, size_t n);
/* Sends an ISAKMP DELETE for SA and removes it and, with CHILDREN, its
 * IPsec SAs. */
void ikev1_delete_sa(struct ikemgr *ike, struct ike_sa *sa, bool notify,
		     bool children);
/* Removes the IPsec SA pair at index I of the child table. */
void ikev1_remove_child(struct ikemgr *ike, size_t i, bool notify);
void ikev1_timers(struct ikemgr *ike, double now);
/* The earliest retransmission time of any exchange, or 0 for none. */
double ikev1_next_deadline(struct ikemgr *ike);
void ikev1_free_sa(struct ike_sa *sa);
void ikev1_free_qm(struct ike_qm *qm);
void ikev1_retx_clear(struct ike_retx *r);
uint32_t ikev1_random_msgid(void);
/* The IV of a new exchange: hash(last phase 1 block | M-ID). */
int ikev1_phase2_iv(const struct ike_sa *sa, uint32_t msgid, uint8_t *iv);
/* Decrypts the body of MSG in place with IV, which is updated. */
int ikev1_decrypt(struct ike_sa *sa, uint8_t *msg, size_t len, uint8_t *iv);
/*
 * Sends a protected message of EXCHANGE with M-ID MSGID: HASH, then the
 * payload TYPE with BODY, where HASH = prf(SKEYID_a, M-ID | payload). IV
 * is the CBC chain of the exchange and is updated. With RETX the message
 * is kept in SA's retransmission slot.
 */
int ikev1_send_hashed(struct ikemgr *ike, struct ike_sa *sa, uint8_t exchange,
		      uint32_t msgid, uint8_t *iv, uint8_t type,
		      const uint8_t *body, size_t len, bool retx);
/* Checks HASH, the first payload of M, against what follows it. */
bool ikev1_check_hash(const struct ike_sa *sa, uint32_t msgid,
		      const struct isakmp_msg *m);

struct ike_sa *ike_find_sa(struct ikemgr *ike, uint32_t peer);
struct ike_sa *ike_find_sa_by_conn(struct ikemgr *ike, uint32_t conn_id);

#endif
