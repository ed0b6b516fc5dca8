/*
 * IKEv2 (RFC 7296) in the IKE manager: the protocol numbers, the config
 * derived from `crypto ikev2 ...`, the IKE SA and child SA tables and
 * the entry points that ikemgr.c calls in the manager thread.
 */
#ifndef VR_IKEMGR_IKEV2_H
#define VR_IKEMGR_IKEV2_H

#include "ikemgr/ike_private.h"

#define IKEV2_VERSION		0x20	/* major 2, minor 0 */

/* Payload types (RFC 7296 3.2). */
#define IKEV2_NP_NONE		0
#define IKEV2_NP_SA		33
#define IKEV2_NP_KE		34
#define IKEV2_NP_IDI		35
#define IKEV2_NP_IDR		36
#define IKEV2_NP_AUTH		39
#define IKEV2_NP_NONCE		40
#define IKEV2_NP_N		41
#define IKEV2_NP_D		42
#define IKEV2_NP_TSI		44
#define IKEV2_NP_TSR		45
#define IKEV2_NP_SK		46
#define IKEV2_NP_EAP		48	/* the last type of RFC 7296 3.2 */
#define IKEV2_NP_SKF		53	/* Encrypted Fragment, RFC 7383 */

/* Exchange types and header flags. */
#define IKEV2_IKE_SA_INIT	34
#define IKEV2_IKE_AUTH		35
#define IKEV2_CREATE_CHILD_SA	36
#define IKEV2_INFORMATIONAL	37
#define IKEV2_FLAG_I		0x08
#define IKEV2_FLAG_R		0x20

/* Transform types and ids (RFC 7296 3.3.2, RFC 5282). */
#define IKEV2_TT_ENCR		1
#define IKEV2_TT_PRF		2
#define IKEV2_TT_INTEG		3
#define IKEV2_TT_DH		4
#define IKEV2_TT_ESN		5
#define IKEV2_ENCR_3DES		3
#define IKEV2_ENCR_AES_CBC	12
#define IKEV2_ENCR_AES_GCM_16	20
#define IKEV2_PRF_MD5		1
#define IKEV2_PRF_SHA1		2
#define IKEV2_PRF_SHA256	5
#define IKEV2_PRF_SHA384	6
#define IKEV2_PRF_SHA512	7
#define IKEV2_INTEG_NONE	0
#define IKEV2_INTEG_MD5_96	1
#define IKEV2_INTEG_SHA1_96	2
#define IKEV2_INTEG_SHA256_128	12
#define IKEV2_INTEG_SHA384_192	13
#define IKEV2_INTEG_SHA512_256	14
#define IKEV2_ATTR_KEY_LENGTH	14

/* Protocol ids of proposals and DELETE payloads. */
#define IKEV2_PROTO_IKE		1
#define IKEV2_PROTO_ESP		3

/* Notify types (RFC 7296 3.10.1). */
#define IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD 1
#define IKEV2_N_INVALID_SYNTAX	7
#define IKEV2_N_INVALID_SPI	11
#define IKEV2_N_NO_PROPOSAL_CHOSEN 14
#define IKEV2_N_INVALID_KE_PAYLOAD 17
#define IKEV2_N_AUTHENTICATION_FAILED 24
#define IKEV2_N_TS_UNACCEPTABLE	38
#define IKEV2_N_CHILD_SA_NOT_FOUND 44
#define IKEV2_N_INITIAL_CONTACT	16384
#define IKEV2_N_NAT_DETECTION_SOURCE_IP 16388
#define IKEV2_N_NAT_DETECTION_DESTINATION_IP 16389
#define IKEV2_N_COOKIE		16390
#define IKEV2_N_USE_TRANSPORT_MODE 16391
#define IKEV2_N_REKEY_SA	16393
#define IKEV2_N_FRAGMENTATION_SUPPORTED 16430	/* RFC 7383 */

#define IKEV2_ID_IPV4_ADDR	1
#define IKEV2_ID_FQDN		2
#define IKEV2_ID_RFC822_ADDR	3
#define IKEV2_ID_KEY_ID		11
#define IKEV2_AUTH_PSK		2	/* shared key message integrity code */
#define IKEV2_TS_IPV4_RANGE	7

/* ---- Config: crypto ikev2 proposal, keyring and profile ---- */

#define IKEV2_ALGS_MAX		8

/* One `crypto ikev2 proposal`: each list in the order configured. */
struct ikev2_proposal {
	uint16_t encr[IKEV2_ALGS_MAX];	/* IKEV2_ENCR_* */
	uint16_t key_bits[IKEV2_ALGS_MAX];
	size_t nencr;
	uint16_t integ[IKEV2_ALGS_MAX];	/* IKEV2_INTEG_* */
	size_t ninteg;
	uint16_t prf[IKEV2_ALGS_MAX];	/* IKEV2_PRF_* */
	size_t nprf;
	uint16_t group[IKEV2_ALGS_MAX];
	size_t ngroup;
};

#define IKEV2_ID_MAX		128

/* An IKE identity (RFC 7296 3.5): the ID Type and its data. */
struct ikev2_id {
	uint8_t type;			/* IKEV2_ID_*; 0: none */
	uint8_t data[IKEV2_ID_MAX];	/* an IPv4 address in network order */
	size_t len;
};

/* One peer block of a `crypto ikev2 keyring`. */
struct ikev2_key {
	char keyring[DP_NAME_MAX];
	bool has_addr;			/* `address` given */
	uint32_t addr, mask;		/* network order */
	char hostname[DP_NAME_MAX];	/* `hostname`; "" when not given */
	struct ikev2_id identity;	/* `identity`; type 0 when not given */
	char local[129];		/* the key this router signs with */
	char remote[129];		/* the key the peer signs with */
};

/* One `match identity remote fqdn|email|key-id` value. With DOMAIN it
 * matches the identities that end in "." or "@" and the value. */
struct ikev2_match_id {
	struct ikev2_id id;
	bool domain;
};

/* One `crypto ikev2 profile`. */
struct ikev2_profile {
	char name[DP_NAME_MAX];
	uint32_t match_addr[IKE_ENTRY_PEERS];	/* network order */
	uint32_t match_mask[IKE_ENTRY_PEERS];
	size_t nmatch;
	struct ikev2_match_id match_id[IKE_ENTRY_PEERS];
	size_t nmatch_id;
	/* `identity local`: type 0 sends the local address. */
	struct ikev2_id local_id;
	char keyring[DP_NAME_MAX];
	uint32_t lifetime;		/* seconds */
	uint16_t dpd_interval;		/* 0: no DPD */
	uint16_t dpd_retry;
	bool dpd_periodic;
};

/* The MTU of `crypto ikev2 fragmentation` without `mtu N`, as on IOS. */
#define IKEV2_FRAG_MTU_DEFAULT	576

struct ikev2_config {
	struct ikev2_proposal *proposals;	/* in policy order */
	size_t nproposals;
	struct ikev2_key *keys;
	size_t nkeys;
	struct ikev2_profile *profiles;
	size_t nprofiles;
	uint16_t dpd_interval;		/* crypto ikev2 dpd; 0: none */
	uint16_t dpd_retry;
	bool dpd_periodic;
	/* Number of half-open SAs from which IKE_SA_INIT gets a COOKIE
	 * challenge (`crypto ikev2 cookie-challenge`). 0: never. */
	uint16_t cookie_challenge;
	/* Maximum IP datagram size of a fragment in octets (`crypto ikev2
	 * fragmentation [mtu N]`). 0: fragmentation not configured. */
	uint16_t frag_mtu;
};

/* Derives the IKEv2 config of RUNNING; NULL when out of memory. Without
 * any `crypto ikev2 proposal` the IOS default proposal is used. */
struct ikev2_config *ikev2_config_derive(const struct lyd_node *running);
void ikev2_config_free(struct ikev2_config *c);
const struct ikev2_profile *ikev2_config_profile(const struct ikev2_config *c,
						 const char *name);
/*
 * Finds the first profile whose `match identity remote` matches the
 * peer's identity ID. An address identity matches by its `address`
 * values, the others by their fqdn, email or key-id values. Without ID,
 * or with an ID of a type no profile names, the peer's address PEER is
 * used as an address identity.
 */
const struct ikev2_profile *
ikev2_config_profile_for_peer(const struct ikev2_config *c, uint32_t peer,
			      const struct ikev2_id *id);
/*
 * Finds the keyring peer block of PROFILE's local keyring for a peer, as
 * IOS looks it up. The first choice is the block whose `identity` is the
 * peer's identity ID (NULL when not known yet, as on the initiator).
 * Next is the block whose `address` contains PEER with the longest mask,
 * and `0.0.0.0 0.0.0.0` is the last resort. Returns NULL when none
 * matches.
 */
const struct ikev2_key *ikev2_config_key(const struct ikev2_config *c,
					 const struct ikev2_profile *profile,
					 uint32_t peer,
					 const struct ikev2_id *id);

/* ---- Cryptography of the IKE SA ---- */

/* Algorithms chosen for an IKE SA. */
struct ikev2_algs {
	uint16_t encr, key_bits, integ, prf, group;
};

/* The seven keys of RFC 7296 2.14. */
struct ikev2_keys {
	uint8_t sk_d[IKE_HASH_MAX], sk_pi[IKE_HASH_MAX], sk_pr[IKE_HASH_MAX];
	uint8_t sk_ai[IKE_HASH_MAX], sk_ar[IKE_HASH_MAX];
	uint8_t sk_ei[IKE_KEY_MAX + 4], sk_er[IKE_KEY_MAX + 4];
	size_t prf_len, integ_len, encr_len;
};

/* Hash id (IKE_HASH_*) of an IKEv2 PRF; 0 when unknown. */
unsigned ikev2_prf_hash(uint16_t prf);
/* Key octets of an INTEG transform, and its ICV octets. */
size_t ikev2_integ_key_len(uint16_t integ);
size_t ikev2_integ_icv_len(uint16_t integ);
/* Key octets of ENCR with KEY_BITS, the GCM salt included. */
size_t ikev2_encr_key_len(uint16_t encr, uint16_t key_bits);

/* Fills OUT[0..LEN) with prf+(KEY, SEED) (RFC 7296 2.13). */
int ikev2_prf_plus(unsigned hash, const uint8_t *key, size_t key_len,
		   const uint8_t *seed, size_t seed_len, uint8_t *out,
		   size_t len);

/* Computes SKEYSEED and the seven keys (RFC 7296 2.14). */
int ikev2_derive(const struct ikev2_algs *a, struct ikev2_keys *k,
		 const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		 size_t nr_len, const uint8_t *gir, size_t gir_len,
		 const uint8_t spii[8], const uint8_t spir[8]);

/*
 * Computes the keys of an IKE SA that rekeys another (RFC 7296 2.18):
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's
 * PRF OLD_PRF, then the seven keys with the new SA's algorithms A.
 */
int ikev2_derive_rekey(const struct ikev2_algs *a, struct ikev2_keys *k,
		       uint16_t old_prf, const uint8_t *sk_d, size_t sk_d_len,
		       const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		       size_t nr_len, const uint8_t *gir, size_t gir_len,
		       const uint8_t spii[8], const uint8_t spir[8]);

/*
 * Completes the SK payload of MSG[0..LEN) whose plaintext starts at
 * offset SK_BODY (after the payload header and the room for the IV):
 * pads, encrypts with the sender's keys and appends the ICV, fixing the
 * SK payload and message lengths. Returns the new length or 0.
 */
size_t ikev2_seal(const struct ikev2_algs *a, const struct ikev2_keys *k,
		  bool initiator, uint8_t *msg, size_t len, size_t cap,
		  size_t sk_body);

/*
 * Verifies and decrypts the SK payload whose header is at MSG+SK_HDR,
 * sent by the initiator (FROM_INITIATOR) or the responder. On success
 * sets *PLAIN and *PLAIN_LEN to the inner payloads, decrypted in place.
 */
int ikev2_open(const struct ikev2_algs *a, const struct ikev2_keys *k,
	       bool from_initiator, uint8_t *msg, size_t len, size_t sk_hdr,
	       uint8_t **plain, size_t *plain_len);

/* Seal and open an Encrypted Fragment payload, as ikev2_seal() and
 * ikev2_open() do for SK. Its header has four more octets (Fragment
 * Number, Total Fragments), which the integrity check and the AES-GCM
 * AAD cover (RFC 7383 2.5). */
size_t ikev2_seal_skf(const struct ikev2_algs *a, const struct ikev2_keys *k,
		      bool initiator, uint8_t *msg, size_t len, size_t cap,
		      size_t sk_body);
int ikev2_open_skf(const struct ikev2_algs *a, const struct ikev2_keys *k,
		   bool from_initiator, uint8_t *msg, size_t len,
		   size_t skf_hdr, uint8_t **plain, size_t *plain_len);

/* IV octets of the SK payload of ENCR. */
size_t ikev2_iv_len(uint16_t encr);

/* ---- Exchanges, in the manager thread ---- */

/* True when PKT carries an IKEv2 header (major version 2). */
bool ikev2_is_v2(const struct dp_ike_packet *pkt);
void ikev2_input(struct ikemgr *ike, const struct dp_ike_packet *pkt);
/* Starts IKE_SA_INIT for ENTRY, or CREATE_CHILD_SA over a live IKE SA. */
void ikev2_start(struct ikemgr *ike, const struct ike_entry *entry);
void ikev2_timers(struct ikemgr *ike, double now);
/* Recovers from an unknown SPI from ENTRY's peer without an IKE SA:
 * ikev2_start(), INITIAL_CONTACT in IKE_AUTH, then a DELETE of SPI. */
void ikev2_recover(struct ikemgr *ike, const struct ike_entry *entry,
		   uint32_t spi);
/* Handles an unknown SPI from a peer with an IKEv2 SA: INVALID_SPI and
 * DELETE in an INFORMATIONAL. Returns false when there is no such SA. */
bool ikev2_invalid_spi(struct ikemgr *ike,
		       const struct dp_invalid_spi_event *ev);
/*
 * Sends INVALID_SPI for SPI to PEER over its IKEv2 SA: in the RFC 7296
 * form, or with SPI_FIELD in the older form (protocol ESP, SPI size 4),
 * and with WITH_DELETE a DELETE of SPI in the same message. Call with
 * sa_lock held. Returns false when there is no established SA.
 */
bool ikev2_send_invalid_spi(struct ikemgr *ike, uint32_t peer, uint32_t spi,
			    bool spi_field, bool with_delete);
/* True when ENTRY (by map, sequence and interface) has an IKEv2 child. */
bool ikev2_has_child(struct ikemgr *ike, const struct ike_entry *entry);
/* Appends snapshots of the IKEv2 SAs to ARR of *N (grown with realloc). */
int ikev2_get_sas(struct ikemgr *ike, struct ike_sa_info **arr, size_t *n,
		  double now);
/* Clears the child SAs of ADDR (0: all), with a DELETE each over a live
 * IKE SA, and with IKE_SAS its IKE SAs too. Returns the number of IKE
 * SAs cleared with IKE_SAS, else of child SAs. */
int ikev2_clear(struct ikemgr *ike, bool ike_sas, bool children,
		uint32_t addr);
/* Handles a soft or hard lifetime report for an IKEv2 child SA: a rekey
 * with CREATE_CHILD_SA, or its removal. False for other SAs. */
bool ikev2_sa_lifetime(struct ikemgr *ike, const struct dp_sa_event *ev);
/* Frees every IKEv2 SA; in ike_destroy(). */
void ikev2_free_all(struct ikemgr *ike);

#endif
