/*
 * The IKE manager: one thread that owns the IKE SA table and decides what
 * to do about events from the datapath, such as an inbound unknown SPI.
 */
#ifndef VR_IKEMGR_IKEMGR_H
#define VR_IKEMGR_IKEMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ikemgr;
struct lyd_node;
struct dp_invalid_spi_event;
struct dp_sa_event;
struct dp_ike_packet;
struct dp_acquire_event;
struct dp_sa_cfg;
struct dp;

struct ikemgr *ike_create(void);
int ike_start(struct ikemgr *ike);
void ike_stop(struct ikemgr *ike);
void ike_destroy(struct ikemgr *ike);

/* cfg_apply_fn: takes the IKE-related config from the running tree. */
void ike_config_apply(void *ike, const struct lyd_node *running);

/*
 * dp_invalid_spi_fn: queues an unknown-SPI report without blocking. When
 * the queue is full the event is dropped and counted.
 */
void ike_post_invalid_spi(void *ike, const struct dp_invalid_spi_event *ev);

/*
 * dp_sa_event_fn: queues an SA lifetime report (soft or hard limit)
 * without blocking; shares the queue and its drop count with
 * ike_post_invalid_spi().
 */
void ike_post_sa_event(void *ike, const struct dp_sa_event *ev);

struct ike_stats {
	uint64_t invalid_spi_events;	/* reports handled */
	uint64_t invalid_spi_dropped;	/* reports lost to a full queue */
	uint64_t delete_notify_ignored;	/* no IKE SA to send a DELETE over */
	uint64_t recovery_started;	/* IKE started by invalid-spi-recovery */
	uint64_t recovery_suppressed;	/* held back: attempt within 10 s */
	uint64_t sa_soft_expired;	/* SAs past their soft lifetime */
	uint64_t sa_hard_expired;	/* SAs stopped at their hard lifetime */
};
void ike_get_stats(struct ikemgr *ike, struct ike_stats *out);

/* Blocks until every event and IKE message queued before this call has
 * been handled. */
void ike_sync(struct ikemgr *ike);

/* Capacity of the event queue; ike_post_invalid_spi() drops beyond it. */
#define IKE_EVENT_QUEUE_LEN 1024

/* Minimum time between two invalid-spi-recovery attempts to one peer. */
#define IKE_RECOVERY_INTERVAL_SEC 10

/*
 * Replaces the monotonic clock the manager reads for rate limits; for
 * tests. Call before ike_start(). NOW_FN(CTX) returns seconds.
 */
void ike_set_clock(struct ikemgr *ike, double (*now_fn)(void *ctx),
		   void *ctx);

/*
 * dp_ike_rx_fn: copies an inbound IKE message into the manager's packet
 * queue without blocking; a full queue drops it and counts the drop.
 */
void ike_post_packet(void *ike, const struct dp_ike_packet *pkt);

/* dp_acquire_fn: traffic needs an SA; starts IKE for that entry. */
void ike_post_acquire(void *ike, const struct dp_acquire_event *ev);

/* How the manager sends IKE messages and installs and removes SAs. */
struct ike_transport {
	int (*send)(void *ctx, const struct dp_ike_packet *pkt);
	int (*install)(void *ctx, const struct dp_sa_cfg *sas, size_t n,
		       char *err, size_t errlen);
	int (*remove)(void *ctx, bool outbound, uint32_t dst, uint32_t spi);
	/* Moves the outbound SA (DST, SPI) to UDP ports SPORT and DPORT
	 * (dp_sa_set_encap()). NULL when SAs never move. */
	int (*set_encap)(void *ctx, uint32_t dst, uint32_t spi,
			 uint16_t sport, uint16_t dport);
};

/* Sends and installs through DP (dp_ike_send, dp_sa_install_n,
 * dp_sa_remove, dp_sa_set_encap). Call before ike_start(). */
void ike_set_dp(struct ikemgr *ike, struct dp *dp);

/* Replaces the transport, e.g. to join two managers in a test. Call
 * before ike_start(). */
void ike_set_transport(struct ikemgr *ike, const struct ike_transport *t,
		       void *ctx);

/* Replaces the inbound SPI allocator; for tests of SPIs such as
 * 0xFFxxxxxx. Call before ike_start(). */
void ike_set_spi_source(struct ikemgr *ike, uint32_t (*fn)(void *ctx),
			void *ctx);

/*
 * Where on-demand DPD reads ESP traffic: FN(CTX, PEER, IN, OUT) stores
 * the packets decapsulated from PEER (network order) and encapsulated
 * to it, summed over its SAs, and returns 0, or -1 when unknown. By
 * default the counters of the datapath given to ike_set_dp() are read.
 * For tests; safe at any time.
 */
typedef int (*ike_traffic_fn)(void *ctx, uint32_t peer, uint64_t *in,
			      uint64_t *out);
void ike_set_traffic_source(struct ikemgr *ike, ike_traffic_fn fn,
			    void *ctx);

/* Starts Main Mode (and Quick Mode for its crypto map entry) towards
 * PEER as traffic would; returns once queued. */
int ike_initiate(struct ikemgr *ike, uint32_t peer);

/* Protocol counters beyond ike_stats. */
struct ike_counters {
	uint64_t p1_established;	/* Main Modes completed */
	uint64_t p2_established;	/* Quick Modes completed */
	uint64_t delete_sent;		/* SPIs named in DELETEs sent */
	uint64_t delete_received;
	uint64_t packets_dropped;	/* malformed or unexpected messages */
	uint64_t half_open_dropped;	/* first messages over the
					 * half-open limits */
};
void ike_get_counters(struct ikemgr *ike, struct ike_counters *out);

/* IKEv2 messages by exchange, for `show crypto ikev2 stats exchange`. */
enum ike_v2_exchange {
	IKE_V2_SA_INIT,
	IKE_V2_AUTH,
	IKE_V2_CREATE_CHILD_SA,
	IKE_V2_INFORMATIONAL,
	IKE_V2_EXCHANGES
};

struct ike_v2_stats {
	uint64_t tx_req[IKE_V2_EXCHANGES], tx_res[IKE_V2_EXCHANGES];
	uint64_t rx_req[IKE_V2_EXCHANGES], rx_res[IKE_V2_EXCHANGES];
	uint64_t invalid_spi_tx;	/* INVALID_SPI notifies sent */
	uint64_t invalid_spi_rx;	/* received */
	uint64_t sa_established;
	uint64_t child_established;
	uint64_t delete_tx;		/* DELETE payloads sent */
	uint64_t delete_rx;
	uint64_t dropped;		/* malformed or not authenticated */
	uint64_t cookie_tx;		/* IKE_SA_INIT responses with a COOKIE */
	uint64_t frag_tx;		/* Encrypted Fragment payloads sent */
	uint64_t frag_rx;		/* received and authenticated */
	uint64_t frag_reassembled;	/* messages put together from them */
	uint64_t frag_dropped;		/* malformed, duplicate or forged */
	/* IKE_SA_INIT requests for a new IKE SA. In: those received, and
	 * those accepted with an SA payload. Out: those sent, those the
	 * peer accepted with its SA payload, and those it rejected with
	 * NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD or COOKIE. */
	uint64_t sa_init_in, sa_init_in_accepted;
	uint64_t sa_init_out, sa_init_out_accepted, sa_init_out_rejected;
	/* Received IKE_SA_INIT requests dropped because the peer or all
	 * peers have as many half-open IKE SAs as allowed. */
	uint64_t sa_init_in_half_open;
	/* Received IKE_SA_INIT requests under the COOKIE challenge: with
	 * a valid COOKIE, with an invalid one, and without one. */
	uint64_t cookie_valid, cookie_invalid, cookie_missing;
};
void ike_get_v2_stats(struct ikemgr *ike, struct ike_v2_stats *out);
/* Sets every IKEv2 counter of ike_get_v2_stats() to 0, for `clear crypto
 * ikev2 stats`. Safe from any thread. */
void ike_clear_v2_stats(struct ikemgr *ike);

/* Maximum number of responder IKE SAs not yet authenticated, per IKE
 * version: in all, and from one peer address. First messages beyond
 * either limit are dropped and counted. */
#define IKE_HALF_OPEN_MAX	1024
#define IKE_HALF_OPEN_PEER_MAX	16

/* One IKEv2 child SA pair, for `show crypto ikev2 session detailed`. */
struct ike_v2_child_info {
	uint32_t conn_id;		/* of its IKE SA */
	uint32_t spi_in, spi_out;	/* host order */
	/* Selectors as address and port ranges; addresses network order. */
	uint32_t local_lo, local_hi, remote_lo, remote_hi;
	uint16_t lport_lo, lport_hi, rport_lo, rport_hi;
	char encr[12];			/* IOS text: AES-CBC, AES-GCM, 3DES */
	uint16_t key_bits;		/* 0 when fixed */
	char esp_hmac[8];		/* IOS text: SHA96, SHA256, None */
	bool transport;
};

/* Copies the IKEv2 child SA pairs, in the order negotiated, into a
 * malloc'd array (free() it). Returns the count, or -1. Safe from any
 * thread. */
int ike_get_v2_children(struct ikemgr *ike, struct ike_v2_child_info **out);

/* ---- Snapshots and requests for show, clear and debug commands ---- */

/* One IKE SA (or one being negotiated), as `show crypto isakmp sa` and
 * `show crypto session` need it. */
struct ike_sa_info {
	uint32_t conn_id;		/* IOS conn-id, 1000 upwards */
	int version;			/* 1 for ISAKMP, 2 for IKEv2 */
	uint32_t local, peer;		/* network byte order */
	uint16_t local_port, peer_port;
	char state[20];			/* IOS text: QM_IDLE, MM_NO_STATE, ... */
	bool active;			/* ACTIVE; false prints STALE */
	bool initiator;
	uint8_t icookie[8], rcookie[8];	/* IKE SPIs */
	char encr[12];			/* IOS detail column: aes, 3des, ... */
	uint16_t key_bits;		/* 128, 192, 256; 0 when fixed */
	char hash[8];			/* sha, sha256, sha384, sha512, md5 */
	char auth[8];			/* psk */
	uint8_t dh_group;
	uint32_t lifetime_sec;		/* negotiated */
	uint32_t remaining_sec;		/* time left before expiry */
	uint32_t active_sec;		/* IKEv2: since it was established;
					 * 0 before */
	bool natt;			/* NAT traversal in use (port 4500) */
	bool dpd;			/* peer supports DPD: capability D */
	char profile[64];		/* isakmp profile, "" when none */
	char map[64];			/* crypto map or tunnel that uses it */
	uint32_t map_seq;
	char ifname[32];		/* interface of that map or tunnel */
	uint32_t child_sas;		/* IPsec SA pairs negotiated over it */
	/* IKEv2 only. */
	char integ[8];			/* sha, sha256, ...; "" with AES-GCM */
	uint32_t local_msgid;		/* next request of ours */
	uint32_t remote_msgid;		/* next request expected */
	uint16_t dpd_interval, dpd_retry;	/* seconds; 0: no DPD */
	uint16_t frag_mtu;		/* RFC 7383 fragmentation in use with
					 * this MTU; 0: not negotiated */
	/* Identities as text: an FQDN, email or key-id, or an address
	 * other than local or peer (a peer behind a NAT sends its own).
	 * "" when the identity is the address in local or peer. IKEv1
	 * fills in only remote_id. */
	char local_id[130], remote_id[130];
	/* IKEv1 Easy VPN flags: mode config done (capability C) and
	 * XAUTH passed (capability X). */
	bool modecfg, xauth;
};

/* Copies every IKE SA into a malloc'd array (free() it). Returns the
 * count, or -1. Safe from any thread. */
int ike_get_sas(struct ikemgr *ike, struct ike_sa_info **out);

/* What `clear crypto ...` removes. */
enum ike_clear_kind {
	IKE_CLEAR_ALL_SA,		/* clear crypto sa: IPsec SAs */
	IKE_CLEAR_PEER_SA,		/* clear crypto sa peer A */
	IKE_CLEAR_ISAKMP,		/* clear crypto isakmp [CONN-ID] */
	IKE_CLEAR_SESSION,		/* clear crypto session [remote A] */
	IKE_CLEAR_IKEV2,		/* clear crypto ikev2 sa [remote A] */
};

/*
 * Carries out a clear: IPsec SAs are deleted with a DELETE to the peer
 * over a live IKE SA, IKE SAs with an ISAKMP DELETE. ADDR (network
 * order) selects a peer and CONN_ID an IKE SA; 0 means all. Returns
 * once done, the number of SAs removed, or -1 when nothing matched a
 * given ADDR or CONN_ID.
 */
int ike_clear(struct ikemgr *ike, enum ike_clear_kind kind, uint32_t addr,
	      uint32_t conn_id);

/* The EzVPN client, for `show crypto ipsec client ezvpn`. */
#define IKE_EZVPN_SPLIT_MAX 8
struct ike_ezvpn_info {
	bool configured;		/* a profile is on an outside interface */
	char name[64];
	char mode[24];			/* network-extension, client, ... */
	bool connect_auto;
	char inside[32], outside[32];
	char state[24];			/* IOS text: IPSEC_ACTIVE, IKE_PEND, ... */
	char last_event[24];
	char unusable[128];		/* why it cannot connect; "" if it can */
	uint32_t peer;			/* network order */
	uint32_t assigned, assigned_mask;	/* from mode config; or 0 */
	uint32_t split_addr[IKE_EZVPN_SPLIT_MAX];
	uint32_t split_mask[IKE_EZVPN_SPLIT_MAX];
	size_t nsplit;
	uint64_t connects;		/* Aggressive Modes started */
	uint64_t xauth_failed;		/* XAUTH rejected by the server */
};

/* Copies the EzVPN client's state into OUT. Returns 0, or -1 when no
 * profile is applied to an interface. Safe from any thread. */
int ike_get_ezvpn(struct ikemgr *ike, struct ike_ezvpn_info *out);

/*
 * Requests that the EzVPN client connect now, for `crypto ipsec client
 * ezvpn connect [NAME]`, which `connect manual` profiles need. Returns
 * 0, or -1 when no profile is applied to an outside interface or NAME
 * is not its name. Safe from any thread.
 */
int ike_ezvpn_connect(struct ikemgr *ike, const char *name);

#endif
