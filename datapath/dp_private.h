/*
 * State shared by the datapath's own source files. Nothing outside
 * datapath/ includes this; the interface is datapath.h.
 */
#ifndef VR_DATAPATH_DP_PRIVATE_H
#define VR_DATAPATH_DP_PRIVATE_H

#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "datapath/datapath.h"

struct msgq;

#define DP_MAX_WIRES 16
#define DP_PKT_MAX (65535 + 64)
/* How many ESP layers one packet may carry inside the outer one. */
#define DP_MAX_NESTING 2

/* Counters of struct dp_stats, in the same order. */
enum dp_stat {
	DP_STAT_RX_PACKETS,
	DP_STAT_RX_OCTETS,
	DP_STAT_FOR_US,
	DP_STAT_ESP_IN,
	DP_STAT_DECAP_OK,
	DP_STAT_IKE_PUNTED,
	DP_STAT_NAT_KEEPALIVE,
	DP_STAT_LOCAL_DELIVERED,
	DP_STAT_FORWARDED,
	DP_STAT_ENCRYPTED,
	DP_STAT_WIRE_TX,
	DP_STAT_REASSEMBLED,
	DP_STAT_INV_SPI_LOGGED,
	DP_STAT_INV_SPI_SUPPRESSED,
	DP_STAT_INV_SPI_EVENTS,
	DP_STAT_REPLAYS_DONE,
	DP_STAT_ICMP_OUT,
	DP_STAT_FRAGMENTS_OUT,
	DP_STAT_MSS_ADJUSTED,
	DP_STAT_SA_INSTALL_MAX_NS,
	DP_STAT_IKE_SENT,
	DP_STAT_IKE_SEND_REJECTED,	/* written by callers, atomically */
	DP_STAT_ACQUIRE_EVENTS,
	DP_STAT_COUNT
};

struct dp_sa_entry {
	struct dp_esp_sa *esp;
	struct dp_sa_cfg cfg;		/* keys included, for reconcile */
	uint32_t conn_id;
	uint64_t installed_ns;
	bool dynamic;			/* from dp_sa_add(), not the config */
	bool soft_sent;			/* DP_SA_SOFT_EXPIRED reported */
	uint64_t no_sa_send;		/* see struct dp_sa_counters */
	uint64_t invalid_sa;		/* see struct dp_sa_counters */
	uint64_t invalid_ident;		/* see struct dp_sa_counters */
	uint64_t expires_ns;		/* lifetime_sec runs out; 0: never */
	uint64_t mac_err_log_ns;	/* last RECVD_PKT_MAC_ERR; 0: none */
	uint64_t replay_err_log_ns;	/* last PKT_REPLAY_ERR; 0: none */
	size_t index;			/* position in dp->sas */
};

/* Counters of one interface, in struct dp_if_counters order. */
enum dp_ifc {
	DP_IFC_RX_PACKETS,
	DP_IFC_RX_OCTETS,
	DP_IFC_TX_PACKETS,
	DP_IFC_TX_OCTETS,
	DP_IFC_RX_DROPS,
	DP_IFC_TX_DROPS,
	DP_IFC_COUNT
};

#define DP_MAX_IFSTATS 64

/* Published by the datapath thread; the name never changes once set. */
struct dp_ifstat {
	char name[DP_IFNAME_MAX];
	_Atomic uint64_t c[DP_IFC_COUNT];
	uint64_t base[DP_IFC_COUNT];	/* values at the last clear */
};

#define DP_MAX_PROBES 16

/* A ping or traceroute probe in flight; lives on the waiter's stack. */
struct dp_probe_req {
	struct dp_probe p;
	struct dp_probe_result res;
	uint16_t ip_id;			/* identification of the probe */
	uint64_t sent_ns;
	bool answered;
	sem_t done;
};

/* Frames a wire reads or queues per system call (recvmmsg, sendmmsg). */
#define DP_WIRE_BATCH 32
/* Largest frame a batch slot takes; a larger one is sent on its own. */
#define DP_WIRE_SLOT 9216

/* One `monitor capture` point; see capture.c. */
struct dp_capture {
	bool defined, active, full;
	struct dp_capture_cfg cfg;
	int stat;			/* ifstats index of cfg.ifname */
	uint8_t *buf;			/* records, see capture.c */
	size_t cap, used, n;
	uint64_t dropped;
};

/* A UDP socket that carries an interface's Ethernet frames. */
struct dp_wire {
	char ifname[DP_IFNAME_MAX];
	int fd;
	bool tun;			/* a TUN device: raw IP, no Ethernet */
	int stat;			/* ifstats index of the interface */
	struct sockaddr_in remote;
	uint8_t (*rx)[DP_WIRE_SLOT];	/* DP_WIRE_BATCH receive slots */
	uint8_t (*tx)[DP_WIRE_SLOT];	/* DP_WIRE_BATCH send slots */
	size_t tx_len[DP_WIRE_BATCH];
	size_t tx_n;			/* frames queued in tx */
};

struct dp_no_sa_cache {
	uint64_t gen;
	struct dp_sa_entry *sa;		/* NULL: the flow has no inbound SA */
};

struct dp_tunnel_sa_cache {
	uint64_t gen;
	uint32_t peer;
	struct dp_sa_entry *sa;		/* NULL: no SA for PEER */
};

/* The SAs of one dp_sa_install_n() call, published to the datapath. */
struct dp_sa_batch {
	struct dp_sa_batch *next;	/* published earlier */
	size_t depth;			/* SAs in this and earlier batches */
	size_t n;
	struct dp_sa_entry *entries[];
};

struct dp {
	/*
	 * Batches that dp_sa_install_n() published and the datapath thread
	 * has not linked in yet, newest first. Alone on its cache line, so
	 * installers do not contend with the counters the thread writes.
	 */
	_Alignas(64) _Atomic(struct dp_sa_batch *) sa_pending;
	/*
	 * Arrays for the next growth of the inbound [0] and outbound [1] SA
	 * tables. The thread requests SPARE_SLOTS slots, and an installer
	 * builds them and leaves them in SPARE (see dp_sadb_offer()).
	 */
	_Atomic size_t spare_slots[2];
	_Atomic(struct dp_sadb_table *) spare[2];
	/* Arrays the tables left behind, for an installer to free. */
	_Atomic(struct dp_sadb_table *) retired[2];
	_Alignas(64) struct msgq *q;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	dp_invalid_spi_fn sink;
	void *sink_ctx;
	dp_ike_rx_fn ike_sink;
	void *ike_sink_ctx;
	dp_acquire_fn acquire_sink;
	void *acquire_sink_ctx;
	struct msgq *ike_q;		/* struct dp_ike_packet to send */
	uint64_t seed;

	_Atomic uint64_t drop_pkts[DP_DROP_COUNT];
	_Atomic uint64_t drop_octets[DP_DROP_COUNT];
	_Atomic uint64_t stats[DP_STAT_COUNT];
	pthread_mutex_t base_lock;
	struct dp_drop_stats drop_base;	/* values at the last clear */
	struct dp_ifstat ifstats[DP_MAX_IFSTATS];
	_Atomic size_t n_ifstats;

	/* ---- thread-owned ---- */
	struct dp_config cfg;		/* interfaces and routes in force */
	bool *transport_only;		/* per cfg.ifs: all its SAs transport */
	struct dp_sa_entry **sas;
	size_t n_sas;
	size_t sas_cap;
	size_t life_cursor;		/* next SA the lifetime scan checks */
	uint64_t life_pass_ns;		/* when the scan last wrapped */
	dp_sa_event_fn sa_sink;
	void *sa_sink_ctx;
	struct dp_sa_entry **map_sa;	/* per cfg.maps: outbound SA or NULL */
	struct dp_sadb *sadb;		/* inbound SAs, for packets */
	struct dp_sadb *sadb_out;	/* outbound SAs, for dp_sa_remove() */
	uint32_t next_conn_id;
	struct dp_wire wires[DP_MAX_WIRES];
	size_t n_wires;
	struct dp_reass *reass;
	struct dp_limiter *log_lim;
	struct dp_limiter *event_lim;
	struct dp_spi_diag *spi_diag;	/* invalid-SPI flows, see spi_diag.c */
	uint64_t suppressed_pending;	/* for log_count_rate_limited() */
	uint8_t pkt[DP_PKT_MAX];	/* the packet being processed */
	uint8_t reass_pkt[DP_PKT_MAX];	/* a datagram just reassembled */
	uint8_t rx_frame[DP_PKT_MAX];	/* a frame read from a wire */
	uint8_t out_pkt[DP_PKT_MAX];	/* a packet just encapsulated */
	struct dp_route *rib;		/* from dp_rib_build() */
	size_t n_rib;
	uint64_t now;			/* clock of the packet in hand */
	int rx_if;			/* ifstats index of its input, or -1 */
	bool decrypted;			/* it came out of a tunnel's SA */
	uint16_t ip_id;			/* of packets the router originates */
	uint64_t icmp_tokens;		/* ICMP error budget, see icmp_allow() */
	uint64_t icmp_refill_ns;
	struct dp_probe_req *probes[DP_MAX_PROBES];
	struct dp_capture captures[DP_CAPTURE_MAX];
	unsigned n_captures_active;
	uint8_t icmp_pkt[DP_PKT_MAX];	/* an ICMP message being sent */
	uint8_t probe_pkt[DP_PKT_MAX];	/* a probe being sent */
	uint8_t frag_pkt[DP_PKT_MAX];	/* one fragment being sent */
	uint8_t tun_pkt[DP_PKT_MAX];	/* a packet leaving a tunnel */
	uint8_t tun_plain[DP_PKT_MAX];	/* GRE before tunnel protection */
	/* Last acquire event per cfg.maps and per cfg.ifs entry, 0: none. */
	uint64_t *acquire_map_ns;
	uint64_t *acquire_if_ns;
	/* Changes whenever an SA is linked or unlinked; starts at 1. */
	uint64_t sa_gen;
	/* Per cfg.maps and cfg.ifs entry: the SA dp_count_no_sa() found,
	 * valid while its gen equals sa_gen. */
	struct dp_no_sa_cache *no_sa_map;
	struct dp_no_sa_cache *no_sa_if;
	/* Per cfg.ifs entry: the outbound SA a tunnel last found for its
	 * peer, valid while its gen equals sa_gen. */
	struct dp_tunnel_sa_cache *tunnel_sa;
	struct dp_nhrp *nhrp;		/* NHRP caches, see nhrp.c */
	struct dp_ike_packet ike_msg;	/* inbound, or popped from ike_q */
	uint8_t ike_pkt[DP_IKE_MSG_MAX + 32]; /* an IKE datagram being sent */
};

/* Big-endian 16-bit fields of packet headers. */
static inline uint16_t
dp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
dp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 checksum of an IPv4 header of HLEN octets (field included). */
static inline uint16_t
dp_ip_checksum(const uint8_t *h, size_t hlen)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < hlen; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Single writer (the datapath thread), so no read-modify-write needed. */
static inline void
dp_stat_add(struct dp *dp, enum dp_stat s, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&dp->stats[s], memory_order_relaxed);

	atomic_store_explicit(&dp->stats[s], v + n, memory_order_relaxed);
}

static inline void
dp_ifstat_add(struct dp *dp, int idx, enum dp_ifc c, uint64_t n)
{
	_Atomic uint64_t *p;

	if (idx < 0)
		return;
	p = &dp->ifstats[idx].c[c];
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed)
			      + n, memory_order_relaxed);
}

static inline void
dp_drop(struct dp *dp, enum dp_drop d, size_t octets)
{
	uint64_t v;


	v = atomic_load_explicit(&dp->drop_pkts[d], memory_order_relaxed);
	atomic_store_explicit(&dp->drop_pkts[d], v + 1, memory_order_relaxed);
	v = atomic_load_explicit(&dp->drop_octets[d], memory_order_relaxed);
	atomic_store_explicit(&dp->drop_octets[d], v + octets,
			      memory_order_relaxed);
}

/* input.c */
/*
 * STAT is dp_ifstat_index(dp, IFNAME), looked up once per batch; the
 * caller adds the batch to the interface's receive counters.
 */
void dp_input_frame(struct dp *dp, const char *ifname, int stat, int dlt,
		    const uint8_t *frame, size_t len, uint64_t now);
void dp_input_ip(struct dp *dp, const char *ifname, uint8_t *pkt,
		 size_t len, uint64_t now, int depth);
int dp_local_if(const struct dp *dp, uint32_t addr);

/* forward.c */
int dp_ifstat_index(struct dp *dp, const char *ifname);
/* 1 when access list NAME permits PKT, 0 when it denies, -1 no match. */
int dp_acl_permits(const struct dp *dp, const char *name, const uint8_t *pkt,
		   size_t len);
/* True when clear packet PKT from INGRESS matches the mirror of a static
 * crypto map ACL there and must be dropped; LOCAL: it is addressed to
 * the router. */
bool dp_clear_policy_fails(const struct dp *dp, const char *ingress,
			   const uint8_t *pkt, size_t len, bool local);
/* True when S covers PKT, read as an outbound packet (source local) or
 * as a decrypted inbound one (source remote). */
bool dp_selector_match(const struct dp_selector *s, bool outbound,
		       const uint8_t *pkt, size_t len);
void dp_forward(struct dp *dp, const char *ifname, uint8_t *pkt, size_t len,
		int depth);
/*
 * Routes a packet the router sends or forwards (TTL already handled):
 * crypto map, MTU and fragmentation, wire. Returns 0 when it left or
 * was delivered locally, -1 with the drop counted.
 */
int dp_ip_output(struct dp *dp, uint8_t *pkt, size_t len, int depth);
/* The same for a packet that crypto maps leave alone (IKE). */
int dp_ip_output_plain(struct dp *dp, uint8_t *pkt, size_t len);
/* Our address towards DST: the egress interface's, or 0 without route. */
uint32_t dp_source_for(const struct dp *dp, uint32_t dst);
/*
 * Counts #pkts no sa (send) on the flow of crypto map entry MAP (index
 * in cfg.maps) or, when MAP is -1, of tunnel interface IFC (index in
 * cfg.ifs): on its inbound SA, when it has one.
 */
void dp_count_no_sa(struct dp *dp, int map, int ifc);
/* Sizes the caches of dp_count_no_sa() to dp->cfg. */
void dp_no_sa_reset(struct dp *dp);
void dp_icmp_error(struct dp *dp, const char *ifname, const uint8_t *pkt,
		   size_t len, uint8_t type, uint8_t code, uint16_t mtu,
		   int depth);
void dp_icmp_input(struct dp *dp, const char *ifname, uint8_t *pkt,
		   size_t hlen, size_t len);
void dp_probe_send(struct dp *dp, struct dp_probe_req *req);
void dp_probe_cancel(struct dp *dp, struct dp_probe_req *req);
void dp_rib_update(struct dp *dp);
void dp_input_flush(struct dp *dp);
void dp_input_expire(struct dp *dp, uint64_t now);

/* reconcile.c */
/*
 * dp->sas and its capacity sas_cap: an array in a mapping of its own,
 * which grows with mremap(), so doubling it moves page table entries
 * instead of copying pointers while packets wait.
 */
struct dp_sa_entry **dp_sas_alloc(size_t cap);
void dp_sas_free(struct dp_sa_entry **sas, size_t cap);
void dp_reconcile(struct dp *dp, struct dp_config *cfg);
void dp_sa_add_now(struct dp *dp, const struct dp_sa_cfg *c);
/* Links an entry whose ESP context is ready; takes ownership of E. */
int dp_sa_link_now(struct dp *dp, struct dp_sa_entry *e);
void dp_sa_free_entry(struct dp_sa_entry *e);
void dp_sa_expire(struct dp *dp, uint64_t now);
bool dp_sa_delete_now(struct dp *dp, bool outbound, uint32_t dst,
		      uint32_t spi);
void dp_sa_set_encap_now(struct dp *dp, uint32_t dst, uint32_t spi,
			 uint16_t sport, uint16_t dport);
void dp_sa_reset_now(struct dp *dp);

/* datapath.c */
/* Makes a sleeping datapath thread run its loop; never blocks. */
void dp_wake(struct dp *dp);

/* sa_publish.c */
/* Links every published batch, oldest first. */
void dp_sa_adopt(struct dp *dp);
/* Frees the batches that were never linked. */
void dp_sa_pending_free(struct dp *dp);

/*
 * Links the SAs published by dp_sa_install_n(), if any. Called before
 * each message and after each read of a batch of packets, so whatever
 * the datapath takes up after an install returned finds the SA. Costs
 * one load while nothing waits.
 */
static inline void
dp_sa_adopt_pending(struct dp *dp)
{
	if (atomic_load_explicit(&dp->sa_pending, memory_order_acquire) !=
	    NULL)
		dp_sa_adopt(dp);
}

/* ike.c */
/* Hands the UDP payload at PAYLOAD (marker removed) to the IKE sink. */
void dp_ike_input(struct dp *dp, const char *ifname, const uint8_t *pkt,
		  const uint8_t *payload, size_t len, bool natt);
/* Builds and sends dp->ike_msg; returns -1 with the drop counted. */
int dp_ike_output(struct dp *dp);
/* Sizes the acquire rate limits to dp->cfg; called on each config. */
void dp_acquire_reset(struct dp *dp);
/*
 * Raises an acquire event for PKT, which needs an SA of crypto map entry
 * MAP (index in cfg.maps) or, when MAP is -1, of tunnel interface IFC
 * (index in cfg.ifs). Each entry or tunnel raises at most one a second.
 */
void dp_acquire(struct dp *dp, int map, int ifc, const uint8_t *pkt);

/* limiter.c */
/*
 * Writes every page of a fresh zeroed allocation of BYTES at P, so a
 * table is resident from the start: otherwise each newly remembered
 * flow may fault in another page, and memory grows with the flows seen.
 * A memset() would not do, because gcc turns malloc() and memset() to
 * zero into calloc(), which leaves fresh pages untouched.
 */
void dp_prefault(void *p, size_t bytes);

/*
 * The limiter's layout is here only so that dp_limiter_exhausted() can
 * be inlined; only limiter.c changes it.
 */
struct dp_limiter_way {
	uint64_t tag;		/* flow hash; 0 marks an empty way */
	uint64_t last_ns;	/* when the flow was last reported */
};

struct dp_limiter {
	/* Token bucket in units of 1/rate seconds, refilled lazily. */
	uint64_t tokens;
	uint64_t bucket_ns;
	uint64_t period_ns;		/* time to earn one token */
	bool bucket_started;
	uint32_t burst;
	uint32_t rate;
	uint64_t interval_ns;
	uint64_t seed;
	size_t set_mask;
	size_t bytes;
	struct dp_limiter_way ways[];
};

/*
 * True when the bucket is empty and earns no token before NOW, so that
 * dp_limiter_allow() would return false without a change to the limiter
 * and without looking at the flow. During a flood this holds for all
 * but a few packets a second.
 */
static inline bool
dp_limiter_exhausted(const struct dp_limiter *lim, uint64_t now_ns)
{
	return lim->tokens == 0 && lim->bucket_started &&
	       now_ns < lim->bucket_ns + lim->period_ns;
}

/*
 * Seeded hash of the flow (SRC, DST, SPI), for the report limiter and
 * the invalid-SPI flow table. The shifts between the multiplications
 * keep a sender who does not know the seed from choosing flows that
 * share a bucket.
 */
static inline uint64_t
dp_flow_hash(uint64_t seed, uint32_t src, uint32_t dst, uint32_t spi)
{
	uint64_t x = ((uint64_t)src << 32 | dst) ^ seed;

	x ^= (uint64_t)spi * 0x9e3779b97f4a7c15ULL;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebULL;
	return x;
}

/* spi_diag.c */
/*
 * The invalid-SPI flow table. Only the fields that every packet with an
 * unknown SPI reads are here, so that dp_spi_diag_hit() can be inlined
 * into the input path. The flows themselves are in STORE (see
 * spi_diag.c), and only spi_diag.c changes either.
 *
 * The top DP_SPI_BUCKETS_LOG2 bits of a flow's hash choose its bucket,
 * and the next four bits choose its bit of the bucket's 16-bit filter.
 * FILTER[B] is the union of the bits of the flows in bucket B, so a flow
 * whose bit is clear is not in the table. While no new flow may be
 * admitted either, a packet of a random-SPI flood costs one hash, one
 * load from this 16 KiB array and a token check.
 */
#define DP_SPI_BUCKETS_LOG2	13

struct dp_spi_store;

struct dp_spi_diag {
	uint64_t seed;
	uint32_t tokens;		/* admissions of new flows left */
	uint64_t next_token_ns;		/* when the next one is earned */
	uint64_t untracked;		/* packets of flows not admitted */
	struct dp_spi_store *store;
	uint16_t filter[1 << DP_SPI_BUCKETS_LOG2];
};

static inline size_t
dp_spi_bucket(uint64_t hash)
{
	return hash >> (64 - DP_SPI_BUCKETS_LOG2);
}

static inline uint16_t
dp_spi_filter_bit(uint64_t hash)
{
	return (uint16_t)(1u << (hash >> (64 - DP_SPI_BUCKETS_LOG2 - 4) & 15));
}

struct dp_spi_diag *dp_spi_diag_create(uint64_t seed);
void dp_spi_diag_free(struct dp_spi_diag *d);
void dp_spi_diag_clear(struct dp_spi_diag *d);
/* Does the work of dp_spi_diag_hit() that needs the flows. HASH is
 * dp_flow_hash() of the packet's flow. */
void dp_spi_diag_update(struct dp_spi_diag *d, uint64_t hash, uint32_t src,
			uint32_t dst, uint32_t spi, int udp_sport,
			const char *ifname, uint64_t now);

/* Counts a packet of flow (SRC, DST, SPI) that found no SA. UDP_SPORT
 * is the UDP source port of ESP in UDP, -1 for plain ESP. */
static inline void
dp_spi_diag_hit(struct dp_spi_diag *d, uint32_t src, uint32_t dst,
		uint32_t spi, int udp_sport, const char *ifname, uint64_t now)
{
	uint64_t h = dp_flow_hash(d->seed, src, dst, spi);

	if (!(d->filter[dp_spi_bucket(h)] & dp_spi_filter_bit(h)) &&
	    d->tokens == 0 && now < d->next_token_ns) {
		d->untracked++;
		return;
	}
	dp_spi_diag_update(d, h, src, dst, spi, udp_sport, ifname, now);
}

void dp_spi_diag_note(struct dp_spi_diag *d, const struct dp_spi_note *n,
		      uint64_t now);
/* Records that the inbound SA (DST, SPI) was removed for WHY. */
void dp_spi_diag_removed(struct dp_spi_diag *d, uint32_t dst, uint32_t spi,
		      enum dp_spi_history cause, uint64_t now,
		      uint64_t replaced_ns);
int dp_spi_diag_copy(const struct dp_spi_diag *d, struct dp_spi_table *out);

/* tunnel.c */
/* Sizes the tunnels' SA caches to dp->cfg. */
void dp_tunnel_reset(struct dp *dp);
/* The Tunnel interface NAME when it is one and not shut down. */
const struct dp_if_cfg *dp_tunnel_if(const struct dp *dp, const char *name);
/* Encapsulates PKT for tunnel T and routes the result. */
int dp_tunnel_output(struct dp *dp, const struct dp_if_cfg *t,
		     const uint8_t *pkt, size_t len, uint32_t next_hop,
		     int depth);
/* Sends PKT of GRE protocol type PROTO through T to the NBMA address
 * PEER (the tunnel destination for point-to-point tunnels). */
int dp_tunnel_send(struct dp *dp, const struct dp_if_cfg *t, uint16_t proto,
		   const uint8_t *pkt, size_t len, uint32_t peer, int depth);
/* T's tunnel source as an address: given, or the source interface's. */
uint32_t dp_tunnel_source(const struct dp *dp, const struct dp_if_cfg *t);
/* True when T has an outbound SA towards PEER. */
bool dp_tunnel_has_sa(struct dp *dp, const struct dp_if_cfg *t,
		      uint32_t peer);
/* Feeds PKT, just taken out of a tunnel, into TUNNEL's input. */
void dp_tunnel_deliver(struct dp *dp, const char *tunnel, uint8_t *pkt,
		       size_t len, int depth);
/* Handles a GRE packet for us; DECRYPTED when it came out of ESP. */
void dp_gre_input(struct dp *dp, uint8_t *pkt, size_t hlen, size_t len,
		  bool decrypted, int depth);

/* nhrp.c */
/* Rebuilds the next hop server state for dp->cfg, keeping the dynamic
 * entries of tunnels that still run NHRP. */
void dp_nhrp_reset(struct dp *dp);
void dp_nhrp_free(struct dp *dp);
/* The NBMA address of tunnel address ADDR on mGRE tunnel T, or 0. */
uint32_t dp_nhrp_resolve(struct dp *dp, const struct dp_if_cfg *t,
			 uint32_t addr);
/* Handles the NHRP packet PKT that came through T from NBMA address SRC. */
void dp_nhrp_input(struct dp *dp, const struct dp_if_cfg *t, uint32_t src,
		   const uint8_t *pkt, size_t len);
/* Sends registrations that are due and expires dynamic entries. */
void dp_nhrp_timers(struct dp *dp, uint64_t now);
int dp_nhrp_copy(struct dp *dp, struct dp_nhrp_entry **out,
		 struct dp_nhrp_stats *stats);
void dp_nhrp_clear_now(struct dp *dp);
/* Reads the NHRP settings of interface node N into IFC. */
void dp_nhrp_extract(const struct lyd_node *n, struct dp_if_cfg *ifc);

/* capture.c */
int dp_capture_apply(struct dp *dp, enum dp_capture_op op,
		     const struct dp_capture_cfg *cfg, char *err,
		     size_t errlen);
/* Copies PKT into every active capture point that wants it. */
void dp_capture_packet(struct dp *dp, int stat, bool out, const uint8_t *pkt,
		       size_t len);
int dp_capture_copy(struct dp *dp, const char *name,
		    struct dp_capture_snapshot *out, char *err, size_t errlen);
void dp_capture_free_all(struct dp *dp);

/* wire.c */
int dp_wire_open(struct dp_wire *w, const char *ifname, const char *local,
		 const char *remote, char *err, size_t errlen);
int dp_tun_open(struct dp_wire *w, const char *ifname, const char *tundev,
		char *err, size_t errlen);
void dp_wire_install(struct dp *dp, struct dp_wire *w);
void dp_wire_receive(struct dp *dp, struct dp_wire *w, uint64_t now);
/*
 * Queues PKT on IFNAME's wire, which counts it once sent. Returns 1, or
 * 0 when IFNAME has no wire, or -1 when a frame too large to queue
 * failed to go out.
 */
int dp_wire_send(struct dp *dp, const char *ifname, const uint8_t *pkt,
		 size_t len);
/* Sends every queued frame of every wire. */
void dp_wire_flush(struct dp *dp);
void dp_wire_close(struct dp_wire *w);

#endif
