/*
 * Easy VPN (EzVPN) over IKEv1: the client and server config derived from
 * the running tree, and the ISAKMP Transaction exchange (exchange type 6)
 * that carries XAUTH (draft-beaulieu-ike-xauth-02) and mode config
 * (draft-dukes-ike-mode-cfg-02) between phase 1 and Quick Mode.
 *
 * The client runs Aggressive Mode with its group name as an ID_KEY_ID
 * and the group key as the pre-shared key, offering the
 * XAUTHInitPreShared authentication method. The server then requests the
 * XAUTH user name and password, sets the result, and replies to the
 * client's mode config request with an address from the group's pool
 * and the group's split-tunnel networks. The client then starts one
 * Quick Mode per split network from its inside network.
 */
#ifndef VR_IKEMGR_IKE_EZVPN_H
#define VR_IKEMGR_IKE_EZVPN_H

#include "ikemgr/ike_private.h"

/* Exchange, payload and authentication method numbers. */
#define ISAKMP_XCHG_TRANSACTION	6
#define ISAKMP_NP_ATTR		14
#define IKE_AUTH_XAUTH_INIT_PSK	65001

/* Attribute payload message types. */
#define IKE_CFG_REQUEST		1
#define IKE_CFG_REPLY		2
#define IKE_CFG_SET		3
#define IKE_CFG_ACK		4

/* Mode config, Cisco Unity and XAUTH attribute types. */
#define IKE_CFG_IP4_ADDRESS	1
#define IKE_CFG_IP4_NETMASK	2
#define IKE_CFG_IP4_DNS		3
#define IKE_CFG_UNITY_SPLIT_INCLUDE 28676
#define IKE_CFG_XAUTH_TYPE	16520
#define IKE_CFG_XAUTH_USER_NAME	16521
#define IKE_CFG_XAUTH_USER_PASSWORD 16522
#define IKE_CFG_XAUTH_STATUS	16527

#define IKE_EZ_SPLIT_MAX	8
#define IKE_EZ_NAME_MAX		65
#define IKE_EZ_SECRET_MAX	129

/* An IPv4 network, both fields in network order. */
struct ike_ez_net {
	uint32_t addr, mask;
};

/* An EzVPN client profile (`crypto ipsec client ezvpn NAME`), applied to
 * an outside interface. */
struct ike_ez_client {
	char name[DP_NAME_MAX];
	bool connect_auto;
	char mode[24];			/* client, network-extension, ... */
	char group[IKE_EZ_NAME_MAX];
	char key[IKE_EZ_SECRET_MAX];
	uint32_t peer;			/* the first peer; network order */
	char user[IKE_EZ_NAME_MAX];
	char password[IKE_EZ_SECRET_MAX];
	char outside[DP_IFNAME_MAX];
	char inside[DP_IFNAME_MAX];
	uint32_t local;			/* address of OUTSIDE */
	struct ike_ez_net inside_net;
	char unusable[128];		/* why it cannot connect; "" if it can */
	struct ike_policy policies[3];	/* the phase 1 offer */
	size_t npolicies;
	/* The Quick Mode template with tunnel transforms, map NAME, seq 1. */
	struct ike_entry entry;
};

/* A server group (`crypto isakmp client configuration group NAME`). */
struct ike_ez_group {
	char name[IKE_EZ_NAME_MAX];
	char key[IKE_EZ_SECRET_MAX];
	char pool[DP_NAME_MAX];
	uint32_t dns[2];
	size_t ndns;
	uint32_t netmask;		/* 0: none sent */
	struct ike_ez_net split[IKE_EZ_SPLIT_MAX];	/* from its acl */
	size_t nsplit;
};

/* An address pool (`ip local pool NAME FIRST [LAST]`), addresses in host
 * order. */
struct ike_ez_pool {
	char name[DP_NAME_MAX];
	uint32_t first, last;
};

/* A local user (`username NAME password PASSWORD`), password decoded. */
struct ike_ez_user {
	char name[IKE_EZ_NAME_MAX];
	char password[IKE_EZ_SECRET_MAX];
	bool hashed;			/* `secret`: XAUTH cannot check it */
};

struct ike_ezvpn_config {
	struct ike_ez_client *client;	/* NULL: no profile on an interface */
	struct ike_ez_group *groups;
	size_t ngroups;
	struct ike_ez_pool *pools;
	size_t npools;
	struct ike_ez_user *users;
	size_t nusers;
	/* True when a crypto map on an interface has `client
	 * authentication list`. */
	bool server_xauth;
	/* True when its AAA list has the `local` method (or it names no
	 * list). */
	bool xauth_local;
	/* True when that map has `client configuration address respond`. */
	bool server_modecfg;
};

/* The state of the client's connection, with the names that `show
 * crypto ipsec client ezvpn` prints. */
enum ike_ez_phase {
	IKE_EZ_CONNECT_REQUIRED,
	IKE_EZ_IKE_PEND,
	IKE_EZ_XAUTH_REQ,
	IKE_EZ_XAUTH_REPLIED,
	IKE_EZ_MODECFG_PEND,
	IKE_EZ_IPSEC_PEND,
	IKE_EZ_IPSEC_ACTIVE,
};

/* The client's connection, kept by the manager across IKE SAs. */
struct ike_ezvpn_state {
	enum ike_ez_phase phase;
	const char *last_event;
	uint32_t conn_id;		/* IKE SA of the current attempt */
	double next_try;		/* connect auto: next attempt */
	bool connect_request;		/* `crypto ipsec client ezvpn connect` */
	bool up;			/* EZVPN_CONNECTION_UP logged */
	uint32_t peer;
	uint32_t assigned;		/* from mode config; network order */
	uint32_t assigned_mask;
	struct ike_ez_net split[IKE_EZ_SPLIT_MAX];
	size_t nsplit;
	uint64_t connects;		/* Aggressive Modes started */
	uint64_t xauth_failed;
	/* SHA-256 of the group key the current attempt uses, to start a
	 * new attempt at once when the key changes. */
	uint8_t key_digest[32];
};

/* Progress of the Transaction exchanges of an IKE SA. */
enum ike_xauth_step {
	IKE_XA_NONE,			/* client: waiting for the REQUEST */
	IKE_XA_REQ_SENT,		/* server: XAUTH REQUEST sent */
	IKE_XA_REPLIED,			/* client: XAUTH REPLY sent */
	IKE_XA_SET_SENT,		/* server: XAUTH SET sent */
	IKE_XA_AUTHED,			/* XAUTH passed */
	IKE_XA_CFG_SENT,		/* client: mode config REQUEST sent */
	IKE_XA_DONE,			/* mode config done: Quick Mode may run */
	IKE_XA_FAILED,
};

/* The Transaction exchange state of one IKE SA. */
struct ike_xauth {
	enum ike_xauth_step step;
	uint32_t msgid;			/* of the exchange in progress */
	uint8_t iv[IKE_BLOCK_MAX];	/* its CBC chain */
	uint16_t ident;			/* attribute payload identifier */
	bool passed;			/* XAUTH passed: the result the server
					 * sent or the client received */
	char user[IKE_EZ_NAME_MAX];
	char group[IKE_EZ_NAME_MAX];
	uint32_t assigned;		/* server: pool address; network order */
};

/* ---- ike_ezvpn_config.c ---- */

/* Reads the EzVPN client and server config into C->ez. Returns -1 when
 * out of memory. DC gives the interfaces and access lists. */
int ike_ezvpn_derive(struct ike_config *c, const struct lyd_node *tree,
		     const struct dp_config *dc);
void ike_ezvpn_config_free(struct ike_ezvpn_config *ez);
/* Finds the group named by the ID_KEY_ID payload body ID, or NULL. */
const struct ike_ez_group *ike_ezvpn_group_by_id(const struct ike_config *c,
						 const uint8_t *id,
						 size_t len);

/* ---- ike_ezvpn.c: the client connection and the manager hooks ---- */

/* Returns the pre-shared key of the Aggressive Mode started by
 * ikev1_initiate() for ENTRY when it is the EzVPN client's, else NULL. */
const char *ike_ezvpn_psk(const struct ike_config *c,
			  const struct ike_entry *entry);
/* Writes the client's ID payload body (ID_KEY_ID with the group name)
 * into OUT of CAP octets. Returns its length, or 0. */
size_t ike_ezvpn_own_id(const struct ike_config *c, uint8_t *out, size_t cap);
/* Appends the XAUTH and Cisco Unity vendor IDs that IOS EzVPN clients
 * send in Aggressive Mode. Unity requests split networks from the
 * server. */
void ike_ezvpn_add_vids(struct isakmp_buf *b);
/* Returns the phase 1 policies the EzVPN client offers. */
const struct ike_policy *ike_ezvpn_policies(const struct ike_config *c,
					    size_t *n);
/* Starts XAUTH or waits for it once phase 1 of SA completed. Returns true
 * when SA belongs to EzVPN and Quick Mode must wait. SA may be deleted by
 * then, so the caller must not use it after a true return. */
bool ike_ezvpn_phase1_done(struct ikemgr *ike, struct ike_sa *sa);
/* Returns true when this router is an EzVPN server, because it has a
 * client configuration group or a map with a client authentication
 * list. Such a router accepts XAUTHInitPreShared proposals. */
bool ike_ezvpn_server(const struct ike_config *c);
/* Returns true when SA may run Quick Mode, with no XAUTH or mode config
 * pending. */
bool ike_ezvpn_qm_allowed(const struct ike_sa *sa);
/* Returns true when PEER is the server of this router's EzVPN client. */
bool ike_ezvpn_client_peer(const struct ikemgr *ike, uint32_t peer);
/* Returns true when CHILD is a pair of the client profile in C. */
bool ike_ezvpn_owns_child(const struct ike_config *c,
			  const struct ike_child *child);
/* Runs `connect auto` and logs the tunnel going up and down. */
void ike_ezvpn_timers(struct ikemgr *ike, double now);
void ike_ezvpn_state_free(struct ikemgr *ike);

/* ---- ike_xauth.c: the Transaction exchange ---- */

void ike_xauth_input(struct ikemgr *ike, struct ike_sa *sa,
		     const struct isakmp_hdr *h, uint8_t *msg, size_t len,
		     struct isakmp_msg *m);
/* Sends the server's XAUTH REQUEST over SA. */
int ike_xauth_server_start(struct ikemgr *ike, struct ike_sa *sa);
void ike_xauth_free(struct ike_xauth *xa);

#endif
