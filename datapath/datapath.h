/*
 * The datapath: one thread that owns the interfaces' packet I/O, the IPv4
 * reassembly state, the SA database and the drop counters. Other threads
 * reach it only through the functions below, which post messages to its
 * queue or read counters that it publishes.
 */
#ifndef VR_DATAPATH_DATAPATH_H
#define VR_DATAPATH_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp;
struct lyd_node;

/* What the datapath tells the IKE manager about an inbound unknown SPI. */
struct dp_invalid_spi_event {
	uint32_t src;		/* sender, network byte order */
	uint32_t dst;		/* our address, network byte order */
	uint32_t spi;		/* host byte order */
	uint8_t proto;		/* 50 for ESP */
	bool udp_encap;		/* ESP in UDP 4500 */
	char ifname[32];	/* input interface */
};

typedef void (*dp_invalid_spi_fn)(void *ctx, const struct dp_invalid_spi_event *ev);

struct dp *dp_create(void);

/* Starts the datapath thread. */
int dp_start(struct dp *dp);

/* Stops and joins the thread; queued work is discarded. */
void dp_stop(struct dp *dp);
void dp_destroy(struct dp *dp);

/*
 * cfg_apply_fn for cfg_subscribe(): derives interfaces, routes and manual
 * SAs from the running tree and posts them to the datapath thread.
 */
void dp_config_apply(void *dp, const struct lyd_node *running);

/* Sets where unknown-SPI events go; call before dp_start(). */
void dp_set_invalid_spi_sink(struct dp *dp, dp_invalid_spi_fn fn, void *ctx);

/*
 * Queues a capture file to be fed into IFNAME's ingress. Returns 0 when
 * queued, -1 with a reason in ERR when the file cannot be opened.
 */
int dp_replay(struct dp *dp, const char *ifname, const char *path,
	      char *err, size_t errlen);

/*
 * Binds IFNAME to a UDP "wire": packets arrive on LOCAL ("ADDR:PORT") and
 * leave towards REMOTE. Used to connect router processes point to point.
 */
int dp_wire_attach(struct dp *dp, const char *ifname, const char *local,
		   const char *remote, char *err, size_t errlen);

/*
 * Binds IFNAME to the Linux TUN device TUNDEV, created when it does not
 * exist (which needs CAP_NET_ADMIN): IP packets that Linux routes into
 * TUNDEV arrive on IFNAME, and IFNAME's output goes to Linux. Addresses
 * and routes on the Linux side are the caller's business.
 */
int dp_tun_attach(struct dp *dp, const char *ifname, const char *tundev,
		  char *err, size_t errlen);

/* Blocks until every message queued before this call has been handled. */
void dp_sync(struct dp *dp);

/*
 * Building blocks of the packet path, exported for the capture writer,
 * the tests and the benchmarks. Inside a router they are used by the
 * datapath thread only; none of them locks.
 */

/* ---- ESP security associations (RFC 4303) ---- */

enum dp_cipher {
	DP_CIPHER_NULL,
	DP_CIPHER_3DES_CBC,
	DP_CIPHER_AES_CBC,	/* 128, 192 or 256 by key length */
	/* RFC 4106 with a 16-octet ICV; the key ends in a 4-octet salt. */
	DP_CIPHER_AES_GCM,
	/* RFC 7634: a 32-octet key followed by a 4-octet salt. */
	DP_CIPHER_CHACHA20_POLY1305,
};

enum dp_integ {
	DP_INTEG_NONE,
	DP_INTEG_HMAC_MD5_96,
	DP_INTEG_HMAC_SHA1_96,
	DP_INTEG_HMAC_SHA256_128,
	DP_INTEG_HMAC_SHA384_192,
	DP_INTEG_HMAC_SHA512_256,
};

#define DP_KEY_MAX		64
#define DP_REPLAY_WINDOW_MAX	1024
#define DP_REPLAY_WINDOW_DEFAULT 64
#define DP_NATT_PORT		4500	/* IKE and ESP in UDP (RFC 3948) */

struct dp_sa_params {
	uint32_t spi;		/* host byte order */
	uint32_t src;		/* outer source, network byte order */
	uint32_t dst;		/* outer destination, network byte order */
	bool outbound;
	bool tunnel;		/* tunnel mode; transport mode when false */
	bool udp_encap;		/* ESP in UDP (RFC 3948) */
	/*
	 * UDP ports of the packets of this SA when udp_encap is set, host
	 * order; 0 means 4500. Behind a NAPT the peer's port is the one
	 * its NAT chose, which IKE learns from the peer's messages.
	 */
	uint16_t encap_sport, encap_dport;
	bool esn;		/* 64-bit extended sequence numbers */
	enum dp_cipher cipher;
	uint8_t cipher_key[DP_KEY_MAX];
	size_t cipher_key_len;
	enum dp_integ integ;
	uint8_t integ_key[DP_KEY_MAX];
	size_t integ_key_len;
	uint32_t replay_window;	/* inbound only; 0 disables the check */
	/*
	 * Outbound: the next sequence number to send. Inbound: one more
	 * than the highest number already seen (the ESN receiver uses it
	 * to infer the high 32 bits). 0 means 1, the RFC start.
	 */
	uint64_t seq_start;
};

/* Per-SA counters, named after the `show crypto ipsec sa` fields. */
struct dp_sa_counters {
	uint64_t encaps, encrypt, digest;
	uint64_t decaps, decrypt, verify;
	uint64_t bytes_in, bytes_out;
	uint64_t encaps_failed;		/* #pkts encaps failed (send) */
	uint64_t decaps_failed;		/* #pkts decaps failed, any reason */
	uint64_t verify_failed;		/* ICV mismatch */
	uint64_t replay_failed;		/* duplicate or left of the window */
	uint64_t invalid_len;		/* too short, or not a block multiple */
	uint64_t invalid_prot;		/* bad padding or next header */
	uint64_t replay_rollover_send;	/* sequence number space exhausted */
	uint64_t replay_rollover_rcv;
	uint64_t dummy;			/* next header 59 (RFC 4303 2.6) */
	/* Outbound packets of this SA's crypto map entry or tunnel that
	 * found no outbound SA (#pkts no sa (send)); kept by the datapath,
	 * not by dp_esp_decap() or dp_esp_encap(). */
	uint64_t no_sa_send;
	/*
	 * Inbound packets that matched this SA's destination and SPI after
	 * its lifetime (seconds or kilobytes) ran out, before the lifetime
	 * scan removed it (#pkts invalid sa (rcv), which IOS XE drops as
	 * IN_V4_PKT_HIT_INVALID_SA). Kept by the datapath.
	 */
	uint64_t invalid_sa;
	/* Decrypted packets whose inner addresses, protocol or ports lie
	 * outside the SA's selector (#pkts invalid identity (recv)). Kept
	 * by the datapath. */
	uint64_t invalid_ident;
};

enum dp_esp_status {
	DP_ESP_OK,
	DP_ESP_SHORT,		/* shorter than header, IV, trailer and ICV */
	DP_ESP_BAD_LEN,		/* ciphertext not a multiple of the block */
	DP_ESP_REPLAY,		/* sequence number already received */
	DP_ESP_OUT_OF_WINDOW,	/* sequence number left of the window */
	DP_ESP_AUTH,		/* ICV mismatch */
	DP_ESP_PAD,		/* padding bytes or pad length invalid */
	DP_ESP_ROLLOVER,	/* outbound: no sequence number left */
	DP_ESP_NO_ROOM,		/* outbound: output buffer too small */
	DP_ESP_INTERNAL,	/* a libcrypto call failed */
};

/* Where the payload ended up after dp_esp_decap(). */
struct dp_esp_result {
	size_t payload_off;	/* from the start of the ESP header */
	size_t payload_len;
	uint8_t next_header;
	uint64_t seq;		/* full (ESN-inferred) sequence number */
};

struct dp_esp_sa;

/*
 * Creates an SA with its cipher and MAC contexts keyed once. Returns NULL
 * with a reason in ERR for an unsupported algorithm or a wrong key length.
 */
struct dp_esp_sa *dp_esp_sa_create(const struct dp_sa_params *p,
				   char *err, size_t errlen);
void dp_esp_sa_free(struct dp_esp_sa *sa);
const struct dp_sa_params *dp_esp_sa_params(const struct dp_esp_sa *sa);
void dp_esp_sa_counters(const struct dp_esp_sa *sa, struct dp_sa_counters *out);
void dp_esp_sa_clear_counters(struct dp_esp_sa *sa);
/* Octets the SA protected or verified, both ways, since the last clear. */
uint64_t dp_esp_sa_bytes(const struct dp_esp_sa *sa);

/* IV length in octets as `show crypto ipsec sa` prints it. */
size_t dp_esp_iv_len(enum dp_cipher cipher);

/*
 * Verifies and decrypts the ESP packet ESP[0..LEN) in place: anti-replay
 * check, ICV, decryption, padding, then the window update. Updates the
 * SA's counters. On DP_ESP_OK, OUT locates the payload inside ESP.
 */
enum dp_esp_status dp_esp_decap(struct dp_esp_sa *sa, uint8_t *esp, size_t len,
				struct dp_esp_result *out);

/*
 * Encapsulates PAYLOAD into ESP at OUT (SPI, sequence number, IV,
 * ciphertext, padding, ICV). Returns the ESP length, or 0 with *STATUS
 * set when the buffer is too small or the sequence space is exhausted.
 */
size_t dp_esp_encap(struct dp_esp_sa *sa, const uint8_t *payload, size_t len,
		    uint8_t next_header, uint8_t *out, size_t cap,
		    enum dp_esp_status *status);

/*
 * Sets the UDP ports of a UDP-encapsulated SA (0 means 4500), for a
 * peer whose NAT moved it to another port.
 */
void dp_esp_sa_set_encap(struct dp_esp_sa *sa, uint16_t sport,
			 uint16_t dport);

/*
 * Builds a whole outbound IPv4 packet: outer header from the SA's
 * addresses, the UDP header with the SA's encap_sport and encap_dport
 * when the SA is UDP-encapsulated, then ESP.
 * In tunnel mode INNER is a whole IP packet; in transport mode it is an
 * IPv4 packet whose payload is protected and whose header is reused.
 * Returns the packet length, or 0 with *STATUS set.
 */
size_t dp_esp_encap_ipv4(struct dp_esp_sa *sa, const uint8_t *inner,
			 size_t len, uint8_t *out, size_t cap,
			 enum dp_esp_status *status);

/* Length dp_esp_encap_ipv4() would return for INNER, without encrypting. */
size_t dp_esp_encap_ipv4_len(const struct dp_esp_sa *sa, const uint8_t *inner,
			     size_t len);

/*
 * Computes the SA's truncated HMAC over DATA into ICV and returns the ICV
 * length (0 when the SA has no integrity algorithm).
 */
size_t dp_esp_icv(struct dp_esp_sa *sa, const uint8_t *data, size_t len,
		  uint8_t *icv);

/*
 * ---- SA database: SAs by (destination, SPI), one protocol per table ----
 *
 * The protocol of a table's first insert is its own; inserts of another
 * protocol fail and lookups of another protocol miss.
 */

struct dp_sadb;

/* Creates a table for at least NSA entries, hashed with SEED. */
struct dp_sadb *dp_sadb_create(size_t nsa, uint64_t seed);
void dp_sadb_free(struct dp_sadb *db);

/*
 * Inserts VALUE, growing the table when needed; returns -1 when the key
 * is present or memory runs out.
 */
int dp_sadb_insert(struct dp_sadb *db, uint32_t dst, uint8_t proto,
		   uint32_t spi, void *value);

/*
 * The table's layout is here only so that dp_sadb_lookup(), which runs
 * once per ESP packet, can be inlined; only sadb.c changes it.
 */
struct dp_sadb_table {
	size_t mask;
	/* Keys apart from values, so a probe run reads 8 keys per cache
	 * line. Key 0 (SPI 0, which RFC 4303 reserves, to 0.0.0.0) marks
	 * an empty slot and is never inserted. */
	uint64_t *keys;		/* dst << 32 | spi */
	void **values;
};

struct dp_sadb {
	struct dp_sadb_table cur;
	uint64_t seed;
	int proto;		/* of the first insert; -1 while empty */
	size_t used;
	/*
	 * While the table grows, the entries of the previous array move to
	 * CUR a few slots per insert (from OLD_NEXT on), so no single insert
	 * rehashes everything. A moved or deleted entry of OLD keeps its key
	 * and gets a marker value, so probe runs through it stay intact.
	 */
	struct dp_sadb_table old;
	size_t old_next;
	/* The array the next growth uses, built ahead by another thread
	 * (see dp_sadb_offer()); keys NULL when none. */
	struct dp_sadb_table spare;
	/* The previous array once every entry moved, until
	 * dp_sadb_take_retired() or the next growth frees it. */
	struct dp_sadb_table retired;
};

/*
 * Returns the home slot of KEY in T: one round of the MurmurHash3
 * finalizer, with the seed mixed in after its first shift. The key's
 * first shift then does not depend on the seed, so a compiler folds it
 * for a destination it knows, and the seed still enters before the
 * multiplication.
 */
static inline size_t
dp_sadb_home(const struct dp_sadb *db, const struct dp_sadb_table *t,
	     uint64_t key)
{
	uint64_t x = key ^ key >> 33;

	x ^= db->seed;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x & t->mask;
}

/* Looks KEY up in the previous array while the table grows. */
void *dp_sadb_lookup_old(const struct dp_sadb *db, uint64_t key);

static inline void *
dp_sadb_lookup(const struct dp_sadb *db, uint32_t dst, uint8_t proto,
	       uint32_t spi)
{
	uint64_t key = (uint64_t)dst << 32 | spi;
	const struct dp_sadb_table *t = &db->cur;

	/* Also ends a lookup in an empty table, whose protocol is -1. */
	if (proto != db->proto)
		return NULL;
	/* Key 0 needs no test: the loop ends at an empty slot first. */
	for (size_t i = dp_sadb_home(db, t, key); t->keys[i] != 0;
	     i = (i + 1) & t->mask) {
		if (t->keys[i] == key)
			return t->values[i];
	}
	if (db->old.keys != NULL)
		return dp_sadb_lookup_old(db, key);
	return NULL;
}

/*
 * Growing into fresh memory faults in every page of the new array while
 * inserts touch it, which holds up packets. So the owner can ask another
 * thread to build the next array with every page written:
 * dp_sadb_next_slots() returns its size once the table is a quarter full
 * (0 while none is wanted), dp_sadb_table_build() builds it in any
 * thread, and dp_sadb_offer() hands it over, taking ownership of T's
 * arrays and freeing them when they no longer fit.
 */
size_t dp_sadb_next_slots(const struct dp_sadb *db);
int dp_sadb_table_build(struct dp_sadb_table *t, size_t slots);
void dp_sadb_table_free(struct dp_sadb_table *t);
void dp_sadb_offer(struct dp_sadb *db, struct dp_sadb_table *t);

/* Moves the array a growth left behind into OUT, for the caller to
 * free in another thread; false when there is none. */
bool dp_sadb_take_retired(struct dp_sadb *db, struct dp_sadb_table *out);

/* Removes the key and returns its value, or NULL when it is absent. */
void *dp_sadb_remove(struct dp_sadb *db, uint32_t dst, uint8_t proto,
		     uint32_t spi);
size_t dp_sadb_count(const struct dp_sadb *db);

/* ---- Unknown-SPI report limiter ---- */

/*
 * Decides whether a report about flow (SRC, DST, SPI) may go out: at most
 * one per INTERVAL per flow, and globally at most BURST at once plus
 * RATE per second. Flows are remembered in a fixed set-associative table
 * (4 ways, 2^SETS_LOG2 sets) that evicts the oldest way, so memory does
 * not depend on how many distinct flows arrive.
 */
struct dp_limiter;

struct dp_limiter *dp_limiter_create(unsigned sets_log2, uint64_t interval_ns,
				     uint32_t burst, uint32_t rate_per_sec,
				     uint64_t seed);
void dp_limiter_free(struct dp_limiter *lim);
bool dp_limiter_allow(struct dp_limiter *lim, uint32_t src, uint32_t dst,
		      uint32_t spi, uint64_t now_ns);

/* Bytes the limiter allocated at creation; it never allocates again. */
size_t dp_limiter_memory(const struct dp_limiter *lim);

/* ---- IPv4 reassembly ---- */

enum dp_reass_status {
	DP_REASS_DONE,		/* *OUT holds the whole datagram */
	DP_REASS_PENDING,	/* fragment stored, datagram incomplete */
	DP_REASS_OVERLAP,	/* fragments overlap: datagram discarded */
	DP_REASS_TOO_BIG,	/* would exceed 65535 octets */
	DP_REASS_NO_SLOT,	/* every slot holds a datagram in progress */
	DP_REASS_BAD_FRAG,	/* non-final fragment not a multiple of 8 */
};

/*
 * Reassembles IPv4 datagrams in NSLOTS slots of 64 KiB allocated at
 * creation; a datagram not complete after TIMEOUT_NS is discarded by
 * dp_reass_expire().
 */
struct dp_reass;

struct dp_reass *dp_reass_create(size_t nslots, uint64_t timeout_ns);
void dp_reass_free(struct dp_reass *r);

/*
 * Adds fragment PKT (a checked IPv4 header of HLEN octets, LEN octets in
 * all). On DP_REASS_DONE *OUT points into the slot and stays valid until
 * the next call.
 */
enum dp_reass_status dp_reass_add(struct dp_reass *r, const uint8_t *pkt,
				  size_t hlen, size_t len, uint64_t now_ns,
				  uint8_t **out, size_t *out_len);

/* Discards datagrams older than the timeout; returns how many. */
size_t dp_reass_expire(struct dp_reass *r, uint64_t now_ns);

/* ---- Drop reasons ---- */

/*
 * Every reason the datapath drops a packet for. Each has its own counter;
 * the QFP global table groups them under IOS XE names and the IPsec
 * feature table lists the IPsec ones under their IOS drop codes.
 */
enum dp_drop {
	DP_DROP_ESP_NO_SA,		/* unknown SPI, tunnel mode */
	DP_DROP_ESP_NO_SA_TRANSPORT,	/* unknown SPI, transport-only peer */
	DP_DROP_ESP_NO_SA_V6,		/* unknown SPI in IPv6 */
	DP_DROP_ESP_SHORT,		/* ESP too short or malformed */
	DP_DROP_ESP_BAD_LEN,		/* ciphertext not a block multiple */
	DP_DROP_ESP_AUTH,		/* ICV mismatch */
	DP_DROP_ESP_REPLAY,		/* duplicate sequence number */
	DP_DROP_ESP_OUT_OF_WINDOW,	/* left of the anti-replay window */
	DP_DROP_ESP_PAD,		/* padding invalid after decryption */
	DP_DROP_ESP_NEXT_HEADER,	/* tunnel mode, inner not IP */
	DP_DROP_ESP_INTERNAL,		/* crypto library failure */
	DP_DROP_ESP_ENCAP,		/* outbound encapsulation failed */
	DP_DROP_ESP_NO_SA_OUT,		/* ACL permits, manual entry lacks SA */
	DP_DROP_ESP_IKE_START,		/* ACL permits, no SA negotiated yet */
	DP_DROP_ESP_INVALID_SA,		/* SA found, but past its lifetime */
	DP_DROP_ESP_INVALID_IDENT,	/* decrypted, outside the selector */
	DP_DROP_ESP_CLEAR_POLICY,	/* clear, but a crypto ACL covers it */
	DP_DROP_IPV4_MALFORMED,		/* bad version, IHL or lengths */
	DP_DROP_IPV4_NO_ROUTE,
	DP_DROP_IPV4_TTL,
	DP_DROP_IPV4_NESTED,		/* ESP inside ESP beyond the limit */
	DP_DROP_IPV6,			/* IPv6 other than ESP: not routed */
	DP_DROP_L2_UNSUPPORTED,		/* neither IPv4 nor IPv6 */
	DP_DROP_REASS_OVERLAP,
	DP_DROP_REASS_TIMEOUT,
	DP_DROP_REASS_TOO_BIG,		/* reassembled size over 65535 */
	DP_DROP_REASS_NO_SLOT,		/* all reassembly slots in use */
	DP_DROP_REASS_BAD_FRAG,		/* non-final fragment not 8-aligned */
	DP_DROP_WIRE_TX,		/* sendto() on a wire failed */
	DP_DROP_IPV4_FRAG_DF,		/* over the MTU with DF set */
	DP_DROP_TUNNEL_NO_PEER,		/* no tunnel, source or NHRP map */
	DP_DROP_TUNNEL_UNPROTECTED,	/* clear GRE on a protected tunnel */
	DP_DROP_UDP_CHECKSUM,		/* IKE datagram with a bad checksum */
	DP_DROP_IKE_NO_SINK,		/* IKE message, no IKE manager */
	DP_DROP_IKE_LENGTH,		/* empty, or over DP_IKE_MSG_MAX */
	DP_DROP_COUNT
};

/* The QFP global drop name, e.g. "IpsecInput". */
const char *dp_drop_global_name(enum dp_drop d);

/*
 * The IPsec feature drop code and name, e.g. 4 and
 * "IN_US_V4_PKT_SA_NOT_FOUND_SPI"; false when D is not an IPsec drop.
 */
bool dp_drop_feature(enum dp_drop d, unsigned *code, const char **name);

struct dp_drop_stats {
	uint64_t packets[DP_DROP_COUNT];
	uint64_t octets[DP_DROP_COUNT];
};

/* Reads the drop counters since the last dp_clear_drops(). */
void dp_get_drops(struct dp *dp, struct dp_drop_stats *out);
void dp_clear_drops(struct dp *dp);

/* Zeroes one reason's counters. */
void dp_clear_drop(struct dp *dp, enum dp_drop d);

/* Counters of packets that were not dropped. */
struct dp_stats {
	uint64_t rx_packets;		/* frames read from pcaps and wires */
	uint64_t rx_octets;
	uint64_t for_us;		/* addressed to one of our addresses */
	uint64_t esp_in;		/* ESP packets for us, before lookup */
	uint64_t decap_ok;		/* ESP packets decapsulated */
	uint64_t ike_punted;		/* UDP 500 and non-ESP-marked 4500 */
	uint64_t nat_keepalive;		/* one-octet 0xFF on UDP 4500 */
	uint64_t local_delivered;	/* other traffic for us */
	uint64_t forwarded;		/* routed out of an interface */
	uint64_t encrypted;		/* forwarded through an outbound SA */
	uint64_t wire_tx;		/* frames sent on a UDP wire */
	uint64_t reassembled;		/* datagrams rebuilt from fragments */
	uint64_t invalid_spi_logged;	/* RECVD_PKT_INV_SPI lines emitted */
	uint64_t invalid_spi_suppressed; /* lines held back by the limiter */
	uint64_t invalid_spi_events;	/* reports handed to the sink */
	uint64_t replays_done;		/* capture files fully read */
	uint64_t icmp_out;		/* ICMP messages the router sent */
	uint64_t fragments_out;		/* fragments made at an egress MTU */
	uint64_t mss_adjusted;		/* TCP SYNs whose MSS was lowered */
	/* Longest time linking installed SAs held up packet processing. */
	uint64_t sa_install_max_ns;
	uint64_t ike_sent;		/* IKE datagrams from dp_ike_send() */
	uint64_t ike_send_rejected;	/* dp_ike_send() calls that failed */
	uint64_t acquire_events;	/* handed to the acquire sink */
};
void dp_get_stats(struct dp *dp, struct dp_stats *out);

/* ---- Configuration as the datapath sees it ---- */

#define DP_NAME_MAX 64
#define DP_IFNAME_MAX 32

#define DP_MTU_DEFAULT 1500
#define DP_NHRP_MAX 16
#define DP_NHS_MAX 4
#define DP_NHRP_HOLDTIME_DEFAULT 7200	/* IOS default, seconds */

enum dp_tunnel_mode {
	DP_TUNNEL_NONE,			/* not a Tunnel interface */
	DP_TUNNEL_GRE,			/* tunnel mode gre ip (the default) */
	DP_TUNNEL_MGRE,			/* tunnel mode gre multipoint */
	DP_TUNNEL_IPSEC,		/* tunnel mode ipsec ipv4 (sVTI) */
};

/* ip nhrp map ADDRESS NBMA */
struct dp_nhrp_map {
	uint32_t addr;			/* tunnel address, network order */
	uint32_t nbma;			/* transport address */
};

struct dp_if_cfg {
	char name[DP_IFNAME_MAX];
	uint32_t addr;			/* network byte order; 0 when unset */
	uint8_t plen;
	bool shutdown;
	char crypto_map[DP_NAME_MAX];	/* "" when none */
	uint16_t mtu;			/* `ip mtu`; DP_MTU_DEFAULT when unset */
	uint16_t tcp_mss;		/* `ip tcp adjust-mss`; 0 when unset */
	/* Tunnel interfaces only. */
	enum dp_tunnel_mode tunnel;
	uint32_t tunnel_src;		/* tunnel source as an address */
	char tunnel_src_if[DP_IFNAME_MAX]; /* tunnel source as an interface */
	uint32_t tunnel_dst;		/* tunnel destination; 0 for mGRE */
	uint32_t tunnel_key;
	bool has_key;
	char protection[DP_NAME_MAX];	/* tunnel protection ipsec profile */
	struct dp_nhrp_map nhrp[DP_NHRP_MAX];
	size_t n_nhrp;
	/* NHRP of an mGRE tunnel; network ID 0 leaves NHRP off. */
	uint32_t nhrp_network_id;
	uint16_t nhrp_holdtime;		/* seconds; DP_NHRP_HOLDTIME_DEFAULT */
	bool nhrp_no_unique;		/* ip nhrp registration no-unique */
	bool nhrp_shortcut;		/* ip nhrp shortcut */
	char nhrp_auth[9];		/* ip nhrp authentication; "": none */
	struct dp_nhrp_map nhs[DP_NHS_MAX]; /* nbma 0: from the maps */
	size_t n_nhs;
};

/* `crypto ipsec df-bit`: the DF bit of the outer header of ESP packets. */
enum dp_df_bit {
	DP_DF_COPY,			/* from the inner header (the default) */
	DP_DF_SET,
	DP_DF_CLEAR,
};

struct dp_route_cfg {
	uint32_t prefix;		/* network byte order */
	uint8_t plen;
	uint32_t next_hop;		/* 0 for an interface route */
	char ifname[DP_IFNAME_MAX];	/* "" when resolved by next hop */
	uint8_t distance;
};

/*
 * The traffic a negotiated SA carries: the proxy identities of the IKEv1
 * Quick Mode IDs (RFC 2407 4.6.2), seen from this router. Addresses and
 * masks are in network byte order; protocol 0 and port 0 match any.
 */
struct dp_selector {
	uint32_t local, local_mask;	/* our side: source when outbound */
	uint32_t remote, remote_mask;
	uint8_t proto;
	uint16_t local_port, remote_port;	/* host byte order */
};

/* One SA of a crypto map entry applied to an interface: manually keyed
 * from the config, or negotiated and added with dp_sa_add(). */
struct dp_sa_cfg {
	struct dp_sa_params params;
	char map[DP_NAME_MAX];
	uint32_t map_seq;
	char ifname[DP_IFNAME_MAX];
	char transform[96];		/* as shown: "esp-3des esp-md5-hmac" */
	uint32_t lifetime_kb;
	uint32_t lifetime_sec;
	/* Set for negotiated SAs. The outbound SAs of a dynamic crypto map
	 * entry carry only the packets their selector matches, and every
	 * inbound SA with one drops decrypted packets outside it. */
	bool has_selector;
	struct dp_selector selector;
};

/* One permit or deny entry of an access list used as a crypto ACL. */
struct dp_acl_entry {
	char acl[DP_NAME_MAX];
	uint32_t seq;
	bool permit;
	int proto;			/* IP protocol; -1 matches any */
	uint32_t src, src_wild;		/* network byte order */
	uint32_t dst, dst_wild;		/* wildcard all ones: any */
	uint16_t sport_lo, sport_hi;	/* inclusive; 0-65535 when absent */
	uint16_t dport_lo, dport_hi;
	bool sport_neq, dport_neq;	/* "neq": match outside the range */
};

/* A crypto map entry applied to an interface, for outbound matching. */
struct dp_map_cfg {
	char map[DP_NAME_MAX];
	uint32_t seq;
	char ifname[DP_IFNAME_MAX];
	char acl[DP_NAME_MAX];		/* match address; "" when none */
	bool manual;			/* ipsec-manual; else ipsec-isakmp */
	bool dynamic;			/* ipsec-isakmp dynamic DYN-MAP */
};

struct dp_config {
	struct dp_if_cfg *ifs;
	size_t n_ifs;
	struct dp_route_cfg *routes;
	size_t n_routes;
	struct dp_sa_cfg *sas;
	size_t n_sas;
	struct dp_acl_entry *acl;	/* entries of every list, in order */
	size_t n_acl;
	struct dp_map_cfg *maps;	/* by interface, map name, sequence */
	size_t n_maps;
	enum dp_df_bit df_bit;
};

/*
 * Fills CFG from a running tree of the vrouter-config module:
 * interfaces, static routes, access lists, crypto map entries on
 * interfaces and their manual SAs. Entries that cannot become an SA
 * (missing key, unsupported transform) are skipped and described in ERR
 * when ERR is not NULL; the return is then -1. Free with
 * dp_config_free().
 */
int dp_config_extract(const struct lyd_node *tree, struct dp_config *cfg,
		      char *err, size_t errlen);
void dp_config_free(struct dp_config *cfg);

/*
 * Writes the transforms of transform set NAME as IOS shows them, e.g.
 * "esp-256-aes esp-sha-hmac", into BUF. Returns -1 when there is no such
 * set in TREE.
 */
int dp_config_transform_text(const struct lyd_node *tree, const char *name,
			     char *buf, size_t len);

/* The algorithm one ESP transform-set keyword selects. */
struct dp_transform_keyword {
	const char *word;		/* "esp-aes", "esp-sha256-hmac", ... */
	bool cipher;			/* selects CIPHER, else INTEG */
	enum dp_cipher cipher_alg;
	enum dp_integ integ_alg;
};

/* Returns the entry of transform keyword WORD, or NULL when the datapath
 * has no such ESP algorithm (AH, GMAC and compression keywords). */
const struct dp_transform_keyword *dp_transform_lookup(const char *word);

/*
 * Hands CFG to the datapath thread, which reconciles: SAs whose
 * parameters did not change keep their counters and replay state. The
 * datapath owns CFG afterwards, also on failure (-1, queue full).
 */
int dp_config_post(struct dp *dp, struct dp_config *cfg);

/* ---- Snapshots for show commands ---- */

struct dp_sa_info {
	struct dp_sa_params params;	/* keys zeroed */
	struct dp_sa_counters counters;
	char map[DP_NAME_MAX];
	uint32_t map_seq;
	char ifname[DP_IFNAME_MAX];
	char transform[96];
	uint32_t conn_id;
	uint32_t lifetime_kb;
	uint32_t lifetime_sec;
	uint64_t installed_ns;		/* CLOCK_MONOTONIC at install */
	bool negotiated;		/* from dp_sa_add() or dp_sa_install() */
	bool has_selector;		/* see struct dp_sa_cfg */
	struct dp_selector selector;
};

/*
 * Writes the remaining lifetime of SA at NOW_NS (CLOCK_MONOTONIC) to *KB
 * and *SEC, as the datapath enforces it: a negotiated SA's lifetime runs
 * down with the octets it carried and its age, and stops at 0. A manual
 * SA never expires, so it keeps its configured lifetime.
 */
void dp_sa_remaining(const struct dp_sa_info *sa, uint64_t now_ns,
		     uint32_t *kb, uint32_t *sec);

/*
 * Copies every installed SA into a malloc'd array (free() it) through a
 * request to the datapath thread. Returns the count, or -1.
 */
int dp_get_sas(struct dp *dp, struct dp_sa_info **out);

/*
 * Sums, through a request to the datapath thread, the packets decrypted
 * by the inbound SAs from PEER into *IN and those encrypted by the
 * outbound SAs to PEER into *OUT, without copying the SAs. Returns 0,
 * or -1 when the datapath has stopped.
 */
int dp_peer_traffic(struct dp *dp, uint32_t peer, uint64_t *in,
		    uint64_t *out);

/* Zeroes every SA's counters (`clear crypto sa counters`). */
void dp_clear_sa_counters(struct dp *dp);

/*
 * Installs an SA that does not come from the config (one negotiated by
 * IKE), replacing any SA with the same direction, destination and SPI.
 * Config changes leave it in place. Returns -1 when the queue is full.
 */
int dp_sa_add(struct dp *dp, const struct dp_sa_cfg *sa);

/* Removes the SA with this direction, destination (network order) and
 * SPI; returns -1 when the queue is full. */
int dp_sa_delete(struct dp *dp, bool outbound, uint32_t dst, uint32_t spi);

/*
 * Sends the packets of the outbound SA (DST, SPI) from UDP port SPORT
 * to DPORT (0 means 4500) from now on. The SA keeps its keys, sequence
 * numbers and counters. The IKE manager calls this when a peer behind a
 * NAPT shows up on another port (RFC 7296 2.23). Does nothing when the
 * SA is absent or not UDP-encapsulated. Returns -1 when the queue is
 * full.
 */
int dp_sa_set_encap(struct dp *dp, uint32_t dst, uint32_t spi, uint16_t sport,
		    uint16_t dport);

/*
 * Installs SA as dp_sa_add() does, so that a packet for its SPI that
 * arrives after the return is decrypted: the IKE manager calls this
 * before it sends the message that lets the peer use the SA. Cipher and
 * MAC contexts are keyed in the caller's thread, which then publishes
 * the SA on a lock-free list without waiting for the datapath thread.
 * That thread links published SAs in before each message and after each
 * read of packets, so messages posted after the return (dp_sa_remove(),
 * dp_get_sas()) see the SA too. A caller that finds 512 SAs or more
 * waiting waits until they are linked, which bounds how long linking
 * holds packets up. Any SPI other than 0 works, 0x80000000 and above
 * included. Returns -1 with the reason in ERR when the SA cannot be
 * created; when linking fails later for want of memory, the datapath
 * reports it on stderr.
 */
int dp_sa_install(struct dp *dp, const struct dp_sa_cfg *sa, char *err,
		  size_t errlen);

/*
 * Installs the N SAs at SAS as dp_sa_install() does, linked in together
 * and in order: an IKE exchange installs its inbound and outbound SA
 * together. Nothing is installed when one cannot be created.
 */
int dp_sa_install_n(struct dp *dp, const struct dp_sa_cfg *sas, size_t n,
		    char *err, size_t errlen);

/* Removes an SA like dp_sa_delete() and waits; -1 when it is not there. */
int dp_sa_remove(struct dp *dp, bool outbound, uint32_t dst, uint32_t spi);

/* Lifetime events of SAs installed with dp_sa_add() or dp_sa_install(). */
enum dp_sa_event_kind {
	DP_SA_SOFT_EXPIRED,		/* time to rekey; the SA still works */
	DP_SA_HARD_EXPIRED,		/* the SA was removed */
};

struct dp_sa_event {
	enum dp_sa_event_kind kind;
	bool outbound;
	bool by_bytes;			/* the kilobyte limit, not the time */
	uint32_t dst;			/* network byte order */
	uint32_t spi;
};

typedef void (*dp_sa_event_fn)(void *ctx, const struct dp_sa_event *ev);

/*
 * Sets where SA lifetime events go; call before dp_start(). The soft
 * limit is 90 percent of lifetime_kb and lifetime_sec (0: no limit).
 * The datapath checks up to 256 SAs per pass of its loop, which runs
 * at least 10 times a second, and starts a new round at most every 0.1
 * s; so an event comes up to 0.1 s late, or up to N / 2560 s late with
 * N SAs on an idle router. A soft event always precedes the hard one.
 * SAs from the config (ipsec-manual) never expire.
 */
void dp_set_sa_event_sink(struct dp *dp, dp_sa_event_fn fn, void *ctx);

/*
 * `clear crypto sa`: deletes the negotiated SAs and re-creates the
 * manual ones, whose counters and replay windows start over. Waits until
 * done.
 */
void dp_clear_sas(struct dp *dp);

/* ---- IKE messages to and from the router's own addresses ---- */

#define DP_IKE_MSG_MAX 8192

/*
 * An IKE message on UDP. Inbound, the datapath fills it for UDP 500 and
 * for UDP 4500 with the non-ESP marker (removed, natt set) addressed to
 * one of the router's interface addresses. Outbound, the IKE manager
 * fills it and the datapath adds IPv4 and UDP headers (and the marker
 * when natt is set), routes it and sends it; ifname is ignored then.
 */
struct dp_ike_packet {
	uint32_t src, dst;		/* network byte order */
	uint16_t sport, dport;		/* host byte order */
	bool natt;			/* non-ESP marker on the wire */
	char ifname[DP_IFNAME_MAX];	/* input interface */
	uint16_t len;
	uint8_t data[DP_IKE_MSG_MAX];
};

typedef void (*dp_ike_rx_fn)(void *ctx, const struct dp_ike_packet *pkt);

/* Sets where inbound IKE messages go; call before dp_start(). Without a
 * sink they are counted and dropped. FN must not block. */
void dp_set_ike_sink(struct dp *dp, dp_ike_rx_fn fn, void *ctx);

/*
 * Queues PKT for sending; returns -1, counted in ike_send_rejected, when
 * the queue (64 messages) is full or PKT is malformed: len 0 or above
 * DP_IKE_MSG_MAX, destination 0, or port 0. Source 0 means the egress
 * interface's address. Never blocks. Without a running thread the
 * caller sends PKT itself, as for dp_input_batch().
 */
int dp_ike_send(struct dp *dp, const struct dp_ike_packet *pkt);

/*
 * Traffic that needs an SA that does not exist yet: a packet matched a
 * crypto map entry of type ipsec-isakmp with no outbound SA (counted as
 * `#pkts no sa (send)` and dropped), or was routed into a protected
 * tunnel interface with no SA. At most one event per map entry or
 * tunnel per second.
 */
struct dp_acquire_event {
	char map[DP_NAME_MAX];		/* "" for a tunnel interface */
	uint32_t map_seq;
	char ifname[DP_IFNAME_MAX];	/* egress interface or tunnel */
	uint32_t src, dst;		/* the packet's, network byte order */
	uint8_t proto;
};

typedef void (*dp_acquire_fn)(void *ctx, const struct dp_acquire_event *ev);

/* Sets where acquire events go; call before dp_start(). */
void dp_set_acquire_sink(struct dp *dp, dp_acquire_fn fn, void *ctx);

/* ---- Invalid-SPI flow table (`show crypto ipsec invalid-spi`) ---- */

/*
 * The datapath keeps the IPv4 flows (source, destination, SPI) of
 * inbound ESP packets that found no SA: up to DP_SPI_FLOWS_MAX, the one
 * with the oldest last packet evicted for a new one, all memory taken at
 * creation. New flows are admitted at a limited rate. Next to it, a ring of the last DP_SPI_REMOVED_MAX inbound SAs
 * removed and why, so a flow can tell whether its SPI was ever ours.
 */
#define DP_SPI_FLOWS_MAX 4096
#define DP_SPI_REMOVED_MAX 1024

/* What the IKE manager did about a flow's unknown-SPI report. */
enum dp_spi_action {
	DP_SPI_ACT_NONE,		/* no report handled yet */
	DP_SPI_ACT_DELETE_SENT,		/* DELETE over an existing IKE SA */
	DP_SPI_ACT_DELETE_QUEUED,	/* DELETE after the phase 1 under way */
	DP_SPI_ACT_RECOVERY,		/* invalid-spi-recovery started IKE */
	DP_SPI_ACT_IGNORED,		/* no IKE SA, recovery off */
	DP_SPI_ACT_SUPPRESSED,		/* recovery held back by its limit */
	DP_SPI_ACT_NOT_PEER,		/* sender is not a configured peer */
	/* INVALID_SPI notify and DELETE over an existing IKEv2 SA */
	DP_SPI_ACT_INVALID_SPI_SENT,
	DP_SPI_ACT_EZVPN_CLIENT,	/* from our EzVPN server: no recovery */
};

/*
 * What became of the inbound SA with a flow's destination and SPI. An
 * SA lost at a restart is unknowable, so it reads as never seen.
 */
enum dp_spi_history {
	DP_SPI_NEVER_SEEN,		/* not ours since the start */
	DP_SPI_DELETED,			/* removed by the IKE manager */
	DP_SPI_EXPIRED,			/* its hard lifetime ran out */
	DP_SPI_REKEYED,			/* a newer SA of its entry took over */
	DP_SPI_CLEARED,			/* clear crypto sa or session */
};

struct dp_spi_flow {
	uint32_t src, dst;		/* network byte order */
	uint32_t spi;
	bool udp_encap;
	/* ESP in UDP: the source port of the latest packet, which behind
	 * a NAT that translates ports is the one it chose. */
	uint16_t udp_sport;
	char ifname[DP_IFNAME_MAX];	/* input interface of the first */
	uint64_t packets;
	uint64_t first_ns, last_ns;	/* CLOCK_MONOTONIC */
	enum dp_spi_action action;	/* the latest */
	uint64_t action_ns;
	enum dp_spi_history history;	/* the latest removal of the SPI */
	uint64_t removed_ns;
	uint64_t replaced_ns;		/* REKEYED: install of the newer SA */
};

struct dp_spi_table {
	struct dp_spi_flow *flows;	/* latest last packet first; free() */
	size_t n;
	uint64_t evicted;		/* flows pushed out since the clear */
	/* Packets of new flows beyond the admission limit (512 at once,
	 * 200 a second), which keeps a flood from flushing the table, or
	 * whose hash bucket was full. */
	uint64_t untracked;
};

/* Copies the flow table through a request to the datapath thread.
 * Returns 0, or -1 when out of memory. */
int dp_get_spi_flows(struct dp *dp, struct dp_spi_table *out);

/* `clear crypto ipsec invalid-spi`: empties the flow table (the record
 * of removed SAs stays). Waits until done. */
void dp_clear_spi_flows(struct dp *dp);

/* What the IKE manager tells the flow table. */
struct dp_spi_note {
	enum {
		DP_SPI_NOTE_ACTION,	/* ACTION taken for the flow */
		DP_SPI_NOTE_CLEAR_BEGIN, /* SAs removed from now: cleared */
		DP_SPI_NOTE_CLEAR_END,
	} kind;
	uint32_t src, dst, spi;		/* addresses in network order */
	enum dp_spi_action action;
};

/* Queues NOTE without blocking; -1 when the queue is full. Notes and
 * dp_sa_remove() share the queue, so they take effect in call order. */
int dp_spi_note(struct dp *dp, const struct dp_spi_note *note);

/* ---- NHRP (RFC 2332) on multipoint GRE tunnels ---- */

/* What `show dmvpn` prints in a row's State column. */
enum dp_nhrp_state {
	DP_NHRP_STATE_UP,		/* UP: usable */
	DP_NHRP_STATE_NHRP,		/* NHRP: NHS without a reply yet */
	DP_NHRP_STATE_IKE,		/* IKE: protected, no SA to NBMA yet */
};

/*
 * One row of a tunnel's NHRP cache: a static `ip nhrp map` or NHS, or a
 * dynamic entry learned from a registration request.
 */
struct dp_nhrp_entry {
	char ifname[DP_IFNAME_MAX];
	uint32_t addr;			/* tunnel address, network order */
	uint32_t nbma;			/* NBMA address, network order */
	bool dynamic;			/* learned by registration */
	bool nhs;			/* one of our next hop servers */
	bool unique;			/* registered with the unique flag */
	bool shortcut;			/* learned by a resolution reply */
	enum dp_nhrp_state state;
	uint16_t holdtime;		/* dynamic: as registered, seconds */
	uint64_t created_ns;		/* CLOCK_MONOTONIC */
	uint64_t updown_ns;		/* when the state last changed */
	uint64_t expires_ns;		/* dynamic only; 0: never */
};

/* NHRP packet counters of the router, by packet type. */
struct dp_nhrp_stats {
	uint64_t reg_req_sent, reg_req_rcvd;
	uint64_t reg_reply_sent, reg_reply_rcvd;
	uint64_t purge_req_rcvd, purge_reply_sent;
	uint64_t res_req_sent, res_req_rcvd;
	uint64_t res_reply_sent, res_reply_rcvd;
	uint64_t error_rcvd;		/* error indications */
	uint64_t malformed;		/* dropped: short, bad checksum, ... */
	uint64_t auth_failed;		/* dropped: authentication mismatch */
	uint64_t unsupported;		/* dropped: a type not handled */
	uint64_t rejected;		/* registrations answered with an error */
	uint64_t send_failed;		/* no route, no NBMA or no SA yet */
};

/*
 * Copies the NHRP caches of every mGRE tunnel (static rows first, then
 * dynamic rows, by tunnel) into a malloc'd array (free() it) and the
 * counters into STATS. Returns the count, or -1 when out of memory.
 */
int dp_nhrp_get(struct dp *dp, struct dp_nhrp_entry **out,
		struct dp_nhrp_stats *stats);

/* `clear ip nhrp`: removes the dynamic entries. Waits until done. */
void dp_nhrp_clear(struct dp *dp);

/* ---- Routing table ---- */

enum dp_route_type {
	DP_ROUTE_CONNECTED,		/* C: the subnet of an interface */
	DP_ROUTE_LOCAL,			/* L: an interface's own address */
	DP_ROUTE_STATIC,		/* S: `ip route` */
};

struct dp_route {
	enum dp_route_type type;
	uint32_t prefix;		/* network byte order, masked */
	uint8_t plen;
	uint8_t distance;		/* 0 connected, 1 static by default */
	uint32_t next_hop;		/* network byte order; 0: none */
	char ifname[DP_IFNAME_MAX];	/* egress, resolved for statics */
	bool via_if;			/* static route given an interface */
};

/*
 * Builds the routing table of CFG as IOS installs it: connected and
 * local routes of interfaces that have an address and are not shut
 * down, and the static routes whose next hop resolves, the lowest
 * distance winning per prefix. The array (free() it) is ordered by
 * prefix length, longest first, so the first match is the best.
 * Returns the count, or -1 when out of memory.
 */
int dp_rib_build(const struct dp_config *cfg, struct dp_route **out);

/* Longest-prefix match in a table from dp_rib_build(); NULL for none. */
const struct dp_route *dp_rib_lookup(const struct dp_route *rib, size_t n,
				     uint32_t dst);

/* ---- Interface counters ---- */

struct dp_if_counters {
	uint64_t rx_packets, rx_octets;
	uint64_t tx_packets, tx_octets;
	/* Frames dropped before any feature saw them (too large for a
	 * receive slot); feature drops are counted per reason instead. */
	uint64_t rx_drops;
	uint64_t tx_drops;		/* output packets that failed to leave */
};

/*
 * Reads IFNAME's counters since the last dp_clear_if_counters();
 * returns -1 when IFNAME never carried a packet or a config.
 */
int dp_get_if_counters(struct dp *dp, const char *ifname,
		       struct dp_if_counters *out);

/* `clear counters`: zeroes every interface's counters. */
void dp_clear_if_counters(struct dp *dp);

/* ---- Probes: ping and traceroute ---- */

enum dp_probe_kind {
	DP_PROBE_ECHO,			/* ICMP echo request (ping) */
	DP_PROBE_UDP,			/* UDP datagram (traceroute) */
};

struct dp_probe {
	enum dp_probe_kind kind;
	uint32_t dst;			/* network byte order */
	uint32_t src;			/* 0: the egress interface's address */
	uint8_t ttl;			/* 0 means 255 */
	uint16_t size;			/* whole IP datagram, octets */
	bool df;			/* set the DF bit */
	uint16_t id;			/* ICMP identifier (echo) */
	uint16_t seq;			/* ICMP sequence (echo) */
	uint16_t dport;			/* UDP destination port */
};

enum dp_probe_status {
	DP_PROBE_TIMEOUT,		/* nothing came back in time */
	DP_PROBE_REPLY,			/* echo reply */
	DP_PROBE_TTL_EXCEEDED,		/* ICMP time exceeded */
	DP_PROBE_UNREACHABLE,		/* ICMP destination unreachable */
	DP_PROBE_NO_ROUTE,		/* could not be sent: no route */
	DP_PROBE_NOT_SENT,		/* could not be sent: other reason */
};

struct dp_probe_result {
	enum dp_probe_status status;
	uint32_t from;			/* sender of the answer */
	uint8_t icmp_type, icmp_code;
	uint16_t mtu;			/* next-hop MTU of a frag-needed */
	uint64_t rtt_ns;
};

/*
 * Sends probe P from the datapath thread and waits up to TIMEOUT_MS for
 * the answer that matches it (echo reply, or an ICMP error quoting it).
 * Blocks the caller, never the datapath. Returns -1 when the datapath
 * thread is not running or its queue is full.
 */
int dp_probe_run(struct dp *dp, const struct dp_probe *p,
		 uint32_t timeout_ms, struct dp_probe_result *res);

/* ---- Embedded packet capture (`monitor capture`) ---- */

#define DP_CAPTURE_MAX 8
#define DP_CAPTURE_BUFFER_DEFAULT (10u << 20)	/* IOS XE: 10 MB */

enum dp_capture_dir {
	DP_CAPTURE_IN = 1,
	DP_CAPTURE_OUT = 2,
	DP_CAPTURE_BOTH = 3,
};

/* What one capture point is set to; "" and 0 fields mean unset. */
struct dp_capture_cfg {
	char name[DP_NAME_MAX];
	char ifname[DP_IFNAME_MAX];
	enum dp_capture_dir dir;
	bool match_any;			/* match ipv4 any any */
	char acl[DP_NAME_MAX];		/* match by access list */
	uint32_t buffer_bytes;		/* buffer size */
};

enum dp_capture_op {
	DP_CAPTURE_SET,			/* merge the set fields of CFG */
	DP_CAPTURE_START,
	DP_CAPTURE_STOP,
	DP_CAPTURE_CLEAR,		/* empty the buffer */
	DP_CAPTURE_DELETE,		/* no monitor capture NAME */
};

/*
 * Applies OP to capture point CFG->name, creating it on DP_CAPTURE_SET.
 * Packets are copied at layer 3 as they enter (after the link header)
 * or leave an interface, until the buffer is full. Returns -1 with the
 * reason in ERR (an unknown capture, START without an interface or a
 * match, too many capture points).
 */
int dp_capture_op(struct dp *dp, enum dp_capture_op op,
		  const struct dp_capture_cfg *cfg, char *err, size_t errlen);

struct dp_capture_pkt {
	uint64_t time_ns;		/* CLOCK_REALTIME */
	uint32_t len;
	bool out;
	const uint8_t *data;		/* IPv4 or IPv6 packet */
};

/* A copy of a capture point's state and buffer; free with
 * dp_capture_snapshot_free(). */
struct dp_capture_snapshot {
	struct dp_capture_cfg cfg;
	bool active;
	bool full;			/* stopped adding: buffer full */
	uint64_t dropped;		/* packets that found the buffer full */
	size_t n;
	struct dp_capture_pkt *pkts;
	uint8_t *bytes;
};

int dp_capture_snapshot(struct dp *dp, const char *name,
			struct dp_capture_snapshot *out, char *err,
			size_t errlen);
void dp_capture_snapshot_free(struct dp_capture_snapshot *s);

/* Writes a snapshot as a pcap file (link type raw IP). */
int dp_capture_export(const struct dp_capture_snapshot *s, const char *path,
		      char *err, size_t errlen);

/* ---- Direct input, for tests and benchmarks ---- */

/*
 * Feeds N packets starting at the link-layer header type DLT (a pcap
 * DLT_ value) into IFNAME's ingress, with NOW_NS as the clock for the
 * whole batch. Only for a datapath whose thread is not running: the
 * caller then acts as the datapath thread. Returns -1 for an unknown
 * interface or link type.
 */
int dp_input_batch(struct dp *dp, const char *ifname, int dlt,
		   const uint8_t *const *pkts, const size_t *lens, size_t n,
		   uint64_t now_ns);

/*
 * Without a thread, applies pending messages (config, clears) in the
 * caller; used by tests together with dp_input_batch().
 */
void dp_poll(struct dp *dp);

/* Reads CLOCK_MONOTONIC in nanoseconds. */
uint64_t dp_now_ns(void);

#endif
