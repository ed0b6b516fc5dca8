/*
 * IPv4 output and forwarding. This covers the routing table lookup,
 * crypto maps on the egress interface, and `ip mtu` with fragmentation
 * or ICMP "fragmentation needed" per the DF bit and `crypto ipsec
 * df-bit`. It also covers `ip tcp adjust-mss`, TTL expiry, the ICMP
 * messages the router sends and replies to, ping and traceroute probes,
 * and interface counters. Runs on the datapath thread only.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/dp_private.h"

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define ICMP_ECHO_REPLY	0
#define ICMP_UNREACH	3
#define ICMP_ECHO	8
#define ICMP_TIME_EXCEEDED 11
#define UNREACH_PORT	3
#define UNREACH_NEEDFRAG 4
#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFMASK	0x1fff
#define TCP_SYN		0x02
#define TCPOPT_MSS	2
/* ICMP errors the router may send: a burst, then a rate per second. */
#define ICMP_BURST	100
#define ICMP_RATE	1000
#define NS_PER_SEC	1000000000ULL

/* RFC 1071 sum of LEN octets, not yet folded or inverted. */
static uint32_t
sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
ip_set_checksum(uint8_t *pkt, size_t hlen)
{
	dp_put16(pkt + 10, 0);
	dp_put16(pkt + 10, fold(sum16(pkt, hlen, 0)));
}

/* Replaces OLD by NEW under checksum CK in place (RFC 1624). */
static void
checksum_adjust(uint8_t *ck, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~dp_get16(ck) + (uint16_t)~old + new;

	dp_put16(ck, fold(sum));
}

/* ---- interface counters ---- */

int
dp_ifstat_index(struct dp *dp, const char *ifname)
{
	size_t n = atomic_load_explicit(&dp->n_ifstats, memory_order_relaxed);

	if (ifname == NULL || ifname[0] == '\0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(dp->ifstats[i].name, ifname) == 0)
			return (int)i;
	}
	if (n == DP_MAX_IFSTATS)
		return -1;
	snprintf(dp->ifstats[n].name, sizeof(dp->ifstats[n].name), "%s",
		 ifname);
	atomic_store_explicit(&dp->n_ifstats, n + 1, memory_order_release);
	return (int)n;
}

int
dp_get_if_counters(struct dp *dp, const char *ifname,
		   struct dp_if_counters *out)
{
	size_t n = atomic_load_explicit(&dp->n_ifstats, memory_order_acquire);
	uint64_t v[DP_IFC_COUNT];

	_Static_assert(sizeof(v) == sizeof(*out),
		       "struct dp_if_counters and enum dp_ifc disagree");
	for (size_t i = 0; i < n; i++) {
		struct dp_ifstat *s = &dp->ifstats[i];

		if (strcmp(s->name, ifname) != 0)
			continue;
		pthread_mutex_lock(&dp->base_lock);
		for (int c = 0; c < DP_IFC_COUNT; c++)
			v[c] = atomic_load_explicit(&s->c[c],
						    memory_order_relaxed) -
			       s->base[c];
		pthread_mutex_unlock(&dp->base_lock);
		memcpy(out, v, sizeof(*out));
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

void
dp_clear_if_counters(struct dp *dp)
{
	size_t n = atomic_load_explicit(&dp->n_ifstats, memory_order_acquire);

	pthread_mutex_lock(&dp->base_lock);
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < DP_IFC_COUNT; c++)
			dp->ifstats[i].base[c] = atomic_load_explicit(
			    &dp->ifstats[i].c[c], memory_order_relaxed);
	}
	pthread_mutex_unlock(&dp->base_lock);
}

/* ---- routing table ---- */

void
dp_rib_update(struct dp *dp)
{
	struct dp_route *rib = NULL;
	int n = dp_rib_build(&dp->cfg, &rib);

	if (n < 0) {
		fprintf(stderr, "datapath: out of memory building the routing "
			"table\n");
		return;
	}
	free(dp->rib);
	dp->rib = rib;
	dp->n_rib = (size_t)n;
	for (size_t i = 0; i < dp->cfg.n_ifs; i++)
		dp_ifstat_index(dp, dp->cfg.ifs[i].name);
}

static const struct dp_if_cfg *
find_if(const struct dp *dp, const char *name)
{
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		if (strcmp(dp->cfg.ifs[i].name, name) == 0)
			return &dp->cfg.ifs[i];
	}
	return NULL;
}

/* ---- crypto maps ---- */

static bool
port_match(uint16_t port, uint16_t lo, uint16_t hi, bool neq)
{
	bool in = port >= lo && port <= hi;

	return neq ? !in : in;
}

static bool
acl_entry_match(const struct dp_acl_entry *a, const uint8_t *pkt, size_t len)
{
	size_t hlen = (size_t)(pkt[0] & 0xf) * 4;
	uint32_t src, dst;
	bool ports;

	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);
	if ((a->proto >= 0 && a->proto != pkt[9]) ||
	    ((src ^ a->src) & ~a->src_wild) != 0 ||
	    ((dst ^ a->dst) & ~a->dst_wild) != 0)
		return false;
	ports = a->sport_lo != 0 || a->sport_hi != 65535 || a->sport_neq ||
		a->dport_lo != 0 || a->dport_hi != 65535 || a->dport_neq;
	if (!ports)
		return true;
	/* Ports are in the first fragment only. */
	if ((dp_get16(pkt + 6) & IP_OFFMASK) != 0 || len < hlen + 4)
		return false;
	return port_match(dp_get16(pkt + hlen), a->sport_lo, a->sport_hi,
			  a->sport_neq) &&
	       port_match(dp_get16(pkt + hlen + 2), a->dport_lo, a->dport_hi,
			  a->dport_neq);
}

/* Returns 1 when access list NAME permits the packet, 0 when an entry
 * denies it, -1 when no entry matches (the implicit deny). */
int
dp_acl_permits(const struct dp *dp, const char *name, const uint8_t *pkt,
	       size_t len)
{
	for (size_t i = 0; i < dp->cfg.n_acl; i++) {
		const struct dp_acl_entry *a = &dp->cfg.acl[i];

		if (strcmp(a->acl, name) == 0 && acl_entry_match(a, pkt, len))
			return a->permit ? 1 : 0;
	}
	return -1;
}

bool
dp_selector_match(const struct dp_selector *s, bool outbound,
		  const uint8_t *pkt, size_t len)
{
	size_t hlen = (size_t)(pkt[0] & 0xf) * 4;
	uint32_t src, dst, local, remote;
	uint16_t sport, dport;

	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);
	local = outbound ? src : dst;
	remote = outbound ? dst : src;
	if (((local ^ s->local) & s->local_mask) != 0 ||
	    ((remote ^ s->remote) & s->remote_mask) != 0 ||
	    (s->proto != 0 && s->proto != pkt[9]))
		return false;
	if (s->local_port == 0 && s->remote_port == 0)
		return true;
	/* Ports are in the first fragment only. A later fragment that came
	 * in through the SA passes on its addresses and protocol, but one
	 * going out is not sent through it, as with a crypto ACL. */
	if ((dp_get16(pkt + 6) & IP_OFFMASK) != 0)
		return !outbound;
	if (len < hlen + 4)
		return false;
	sport = dp_get16(pkt + hlen);
	dport = dp_get16(pkt + hlen + 2);
	return (s->local_port == 0 ||
		s->local_port == (outbound ? sport : dport)) &&
	       (s->remote_port == 0 ||
		s->remote_port == (outbound ? dport : sport));
}

/*
 * The newest outbound SA of dynamic crypto map entry M whose selector
 * matches the packet, or NULL. A dynamic entry has no ACL: each peer
 * that negotiated through it brought its own proxy identities.
 *
 * NOTE: once the entry has an SA, this scans every SA for each packet
 * that reaches the entry, so its cost grows with the number of SAs.
 */
static struct dp_sa_entry *
dynamic_sa(const struct dp *dp, const struct dp_map_cfg *m,
	   const uint8_t *pkt, size_t len)
{
	struct dp_sa_entry *best = NULL;

	for (size_t i = 0; i < dp->n_sas; i++) {
		struct dp_sa_entry *e = dp->sas[i];
		const struct dp_sa_cfg *c = &e->cfg;

		if (!c->params.outbound || !c->has_selector ||
		    c->map_seq != m->seq || strcmp(c->map, m->map) != 0 ||
		    strcmp(c->ifname, m->ifname) != 0)
			continue;
		if ((best == NULL || e->conn_id > best->conn_id) &&
		    dp_selector_match(&c->selector, true, pkt, len))
			best = e;
	}
	return best;
}

/*
 * The crypto map entry of interface EGRESS that takes the packet, in
 * sequence order as IOS checks them: a static entry whose ACL permits
 * it, or a dynamic entry with an SA whose selector matches it. Returns
 * its index in dp->cfg.maps and sets *SA to the outbound SA to use (NULL
 * when a static entry has none yet), or returns -1 when the packet
 * leaves in clear.
 */
static int
crypto_match(const struct dp *dp, const char *egress, const uint8_t *pkt,
	     size_t len, struct dp_sa_entry **sa)
{
	for (size_t i = 0; i < dp->cfg.n_maps; i++) {
		const struct dp_map_cfg *m = &dp->cfg.maps[i];

		if (strcmp(m->ifname, egress) != 0)
			continue;
		if (m->dynamic && !m->manual) {
			/* map_sa holds the entry's newest outbound SA: without
			 * one there is nothing to scan. */
			if (dp->map_sa == NULL || dp->map_sa[i] == NULL)
				continue;
			*sa = dynamic_sa(dp, m, pkt, len);
			if (*sa != NULL)
				return (int)i;
		} else if (m->acl[0] != '\0' &&
			   dp_acl_permits(dp, m->acl, pkt, len) == 1) {
			*sa = dp->map_sa != NULL ? dp->map_sa[i] : NULL;
			return (int)i;
		}
	}
	return -1;
}

/*
 * True when a clear packet that came in on INGRESS should have arrived
 * encrypted: a static crypto map entry of INGRESS has an ACL that
 * permits the packet's mirror image, which is the traffic the peer
 * protects towards us. IOS drops such a packet and logs
 * RECVD_PKT_NOT_IPSEC. IKE and ESP in UDP to the router itself pass, so
 * that an ACL naming the peers' own addresses cannot block negotiation.
 */
bool
dp_clear_policy_fails(const struct dp *dp, const char *ingress,
		      const uint8_t *pkt, size_t len, bool local)
{
	size_t hlen = (size_t)(pkt[0] & 0xf) * 4;
	uint8_t mirror[60 + 4];
	size_t mlen = hlen;
	bool ports = (pkt[9] == 6 || pkt[9] == 17) && len >= hlen + 4;

	if (local && pkt[9] == 17 && len >= hlen + 4) {
		uint16_t dport = dp_get16(pkt + hlen + 2);

		if (dport == 500 || dport == 4500)
			return false;
	}
	memcpy(mirror, pkt, hlen);
	memcpy(mirror + 12, pkt + 16, 4);
	memcpy(mirror + 16, pkt + 12, 4);
	if (len >= hlen + 4) {
		memcpy(mirror + hlen, pkt + hlen, 4);
		if (ports) {
			memcpy(mirror + hlen, pkt + hlen + 2, 2);
			memcpy(mirror + hlen + 2, pkt + hlen, 2);
		}
		mlen += 4;
	}
	for (size_t i = 0; i < dp->cfg.n_maps; i++) {
		const struct dp_map_cfg *m = &dp->cfg.maps[i];

		if (m->dynamic || m->acl[0] == '\0' ||
		    strcmp(m->ifname, ingress) != 0)
			continue;
		if (dp_acl_permits(dp, m->acl, mirror, mlen) == 1)
			return true;
	}
	return false;
}

/* ---- output ---- */

static int
if_send(struct dp *dp, const char *ifname, const uint8_t *pkt, size_t len)
{
	int rc, idx = -1;

	if (dp->n_captures_active) {
		idx = dp_ifstat_index(dp, ifname);
		dp_capture_packet(dp, idx, true, pkt, len);
	}
	rc = dp_wire_send(dp, ifname, pkt, len);
	if (rc > 0)
		return 0;
	if (idx < 0)
		idx = dp_ifstat_index(dp, ifname);
	if (rc < 0) {
		dp_ifstat_add(dp, idx, DP_IFC_TX_DROPS, 1);
		dp_drop(dp, DP_DROP_WIRE_TX, len);
		return -1;
	}
	/* No wire: the packet leaves into nothing, as on a router port
	 * with no cable, and counts as the Ethernet frame it would be. */
	dp_ifstat_add(dp, idx, DP_IFC_TX_PACKETS, 1);
	dp_ifstat_add(dp, idx, DP_IFC_TX_OCTETS, len + 14);
	return 0;
}

/* Sends PKT in fragments of at most MTU octets (RFC 791). */
static int
fragment(struct dp *dp, const char *ifname, const uint8_t *pkt, size_t len,
	 size_t mtu)
{
	size_t hlen = (size_t)(pkt[0] & 0xf) * 4;
	size_t chunk = (mtu - hlen) & ~(size_t)7;
	uint16_t frag = dp_get16(pkt + 6);
	size_t base = (size_t)(frag & IP_OFFMASK) * 8;
	int ret = 0;

	if (mtu < hlen + 8) {
		dp_drop(dp, DP_DROP_IPV4_FRAG_DF, len);
		return -1;
	}
	for (size_t off = 0; off < len - hlen; off += chunk) {
		size_t n = len - hlen - off;
		bool last = n <= chunk;
		uint8_t *f = dp->frag_pkt;

		if (!last)
			n = chunk;
		memcpy(f, pkt, hlen);
		memcpy(f + hlen, pkt + hlen + off, n);
		dp_put16(f + 2, (uint16_t)(hlen + n));
		dp_put16(f + 6, (uint16_t)(((base + off) / 8) |
					(last ? frag & IP_MF : IP_MF)));
		ip_set_checksum(f, hlen);
		dp_stat_add(dp, DP_STAT_FRAGMENTS_OUT, 1);
		if (if_send(dp, ifname, f, hlen + n) < 0)
			ret = -1;
	}
	return ret;
}

static uint16_t
if_mtu(const struct dp *dp, const char *ifname)
{
	const struct dp_if_cfg *ifc = find_if(dp, ifname);

	return ifc != NULL && ifc->mtu >= 68 ? ifc->mtu : DP_MTU_DEFAULT;
}

/*
 * Sends PKT out of IFNAME within its MTU: fragments it, or drops it and
 * sends the source ICMP "fragmentation needed" when DF is set.
 */
static int
mtu_send(struct dp *dp, const char *ifname, const uint8_t *pkt, size_t len,
	 int depth)
{
	size_t mtu = if_mtu(dp, ifname);

	if (len <= mtu)
		return if_send(dp, ifname, pkt, len);
	if (dp_get16(pkt + 6) & IP_DF) {
		dp_drop(dp, DP_DROP_IPV4_FRAG_DF, len);
		dp_icmp_error(dp, NULL, pkt, len, ICMP_UNREACH,
			      UNREACH_NEEDFRAG, (uint16_t)mtu, depth);
		return -1;
	}
	return fragment(dp, ifname, pkt, len, mtu);
}

void
dp_no_sa_reset(struct dp *dp)
{
	free(dp->no_sa_map);
	free(dp->no_sa_if);
	dp->no_sa_map = calloc(dp->cfg.n_maps + 1, sizeof(*dp->no_sa_map));
	dp->no_sa_if = calloc(dp->cfg.n_ifs + 1, sizeof(*dp->no_sa_if));
	dp->sa_gen++;
}

/* An inbound SA of crypto map MAP entry SEQ on IFNAME; MAP NULL matches
 * any SA on IFNAME, as for a tunnel interface. */
static struct dp_sa_entry *
find_inbound_sa(const struct dp *dp, const char *map, uint32_t seq,
		const char *ifname)
{
	for (size_t i = 0; i < dp->n_sas; i++) {
		struct dp_sa_entry *e = dp->sas[i];

		if (!e->cfg.params.outbound &&
		    (map == NULL || (e->cfg.map_seq == seq &&
				     strcmp(e->cfg.map, map) == 0)) &&
		    strcmp(e->cfg.ifname, ifname) == 0)
			return e;
	}
	return NULL;
}

/*
 * The scan over every SA runs once per flow until an SA is linked or
 * unlinked, so a flood of packets that find no SA costs one lookup each
 * rather than a scan each.
 */
void
dp_count_no_sa(struct dp *dp, int map, int ifc)
{
	struct dp_no_sa_cache *c;

	if (map >= 0 && dp->no_sa_map != NULL &&
	    (size_t)map < dp->cfg.n_maps) {
		const struct dp_map_cfg *m = &dp->cfg.maps[map];

		c = &dp->no_sa_map[map];
		if (c->gen != dp->sa_gen)
			c->sa = find_inbound_sa(dp, m->map, m->seq, m->ifname);
	} else if (map < 0 && ifc >= 0 && dp->no_sa_if != NULL &&
		   (size_t)ifc < dp->cfg.n_ifs) {
		c = &dp->no_sa_if[ifc];
		if (c->gen != dp->sa_gen)
			c->sa = find_inbound_sa(dp, NULL, 0,
						dp->cfg.ifs[ifc].name);
	} else {
		return;
	}
	c->gen = dp->sa_gen;
	if (c->sa != NULL)
		c->sa->no_sa_send++;
}

/* Encrypts PKT with outbound SA E of crypto map entry MAP and sends it;
 * without E, counts the drop and asks IKE for an SA. */
static int
crypto_send(struct dp *dp, size_t map, struct dp_sa_entry *e,
	    const char *egress, const uint8_t *pkt, size_t len, int depth)
{
	const struct dp_map_cfg *m = &dp->cfg.maps[map];
	size_t mtu = if_mtu(dp, egress), out_len;
	bool inner_df = dp_get16(pkt + 6) & IP_DF, df;
	enum dp_esp_status st;
	uint16_t frag;

	if (e == NULL) {
		dp_drop(dp, m->manual ? DP_DROP_ESP_NO_SA_OUT :
					DP_DROP_ESP_IKE_START, len);
		dp_count_no_sa(dp, (int)map, -1);
		if (!m->manual)
			dp_acquire(dp, (int)map, -1, pkt);
		return -1;
	}
	df = dp->cfg.df_bit == DP_DF_SET ||
	     (dp->cfg.df_bit == DP_DF_COPY && inner_df);
	out_len = dp_esp_encap_ipv4_len(e->esp, pkt, len);
	if (out_len > mtu && df) {
		/* The source must send packets that fit once encrypted. */
		size_t room = mtu - (out_len - len);

		dp_drop(dp, DP_DROP_IPV4_FRAG_DF, len);
		if (inner_df)
			dp_icmp_error(dp, NULL, pkt, len, ICMP_UNREACH,
				      UNREACH_NEEDFRAG,
				      (uint16_t)(room > 68 ? room : 68), depth);
		return -1;
	}
	out_len = dp_esp_encap_ipv4(e->esp, pkt, len, dp->out_pkt,
				    sizeof(dp->out_pkt), &st);
	if (out_len == 0) {
		dp_drop(dp, DP_DROP_ESP_ENCAP, len);
		return -1;
	}
	frag = dp_get16(dp->out_pkt + 6);
	dp_put16(dp->out_pkt + 6, df ? frag | IP_DF : frag & ~IP_DF);
	ip_set_checksum(dp->out_pkt, 20);
	dp_stat_add(dp, DP_STAT_ENCRYPTED, 1);
	return mtu_send(dp, egress, dp->out_pkt, out_len, depth);
}

/* Routes PKT, through the egress crypto maps only when CRYPTO is set. */
static int
ip_output(struct dp *dp, uint8_t *pkt, size_t len, int depth, bool crypto)
{
	const struct dp_route *r;
	const struct dp_if_cfg *tun;
	struct dp_sa_entry *sa = NULL;
	uint32_t dst;
	int map;

	memcpy(&dst, pkt + 16, 4);
	if (dp_local_if(dp, dst) >= 0) {
		/* To ourselves: looped back into input. No reply or
		 * error gets a reply, which bounds the loop. */
		dp_input_ip(dp, "", pkt, len, dp->now, depth);
		return 0;
	}
	r = dp_rib_lookup(dp->rib, dp->n_rib, dst);
	if (r == NULL) {
		dp_drop(dp, DP_DROP_IPV4_NO_ROUTE, len);
		return -1;
	}
	tun = dp_tunnel_if(dp, r->ifname);
	if (tun != NULL)
		return dp_tunnel_output(dp, tun, pkt, len, r->next_hop, depth);
	map = crypto ? crypto_match(dp, r->ifname, pkt, len, &sa) : -1;
	if (map >= 0)
		return crypto_send(dp, (size_t)map, sa, r->ifname, pkt, len,
				   depth);
	return mtu_send(dp, r->ifname, pkt, len, depth);
}

int
dp_ip_output(struct dp *dp, uint8_t *pkt, size_t len, int depth)
{
	return ip_output(dp, pkt, len, depth, true);
}

int
dp_ip_output_plain(struct dp *dp, uint8_t *pkt, size_t len)
{
	return ip_output(dp, pkt, len, 0, false);
}

/* ---- forwarding ---- */

/* Lowers the MSS option of a TCP SYN to MSS (`ip tcp adjust-mss`). */
static void
clamp_mss(struct dp *dp, uint8_t *pkt, size_t len, uint16_t mss)
{
	size_t hlen = (size_t)(pkt[0] & 0xf) * 4, thlen;
	uint8_t *tcp = pkt + hlen;

	if (pkt[9] != PROTO_TCP || (dp_get16(pkt + 6) & IP_OFFMASK) != 0 ||
	    len < hlen + 20 || !(tcp[13] & TCP_SYN))
		return;
	thlen = (size_t)(tcp[12] >> 4) * 4;
	if (thlen < 20 || hlen + thlen > len)
		return;
	for (size_t i = 20; i + 1 < thlen;) {
		uint8_t kind = tcp[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (tcp[i + 1] < 2 || i + tcp[i + 1] > thlen)
			break;
		if (kind == TCPOPT_MSS && tcp[i + 1] == 4) {
			uint16_t old = dp_get16(tcp + i + 2);

			if (old > mss) {
				dp_put16(tcp + i + 2, mss);
				checksum_adjust(tcp + 16, old, mss);
				dp_stat_add(dp, DP_STAT_MSS_ADJUSTED, 1);
			}
			return;
		}
		i += tcp[i + 1];
	}
}

void
dp_forward(struct dp *dp, const char *ifname, uint8_t *pkt, size_t len,
	   int depth)
{
	const struct dp_if_cfg *in = find_if(dp, ifname);
	const struct dp_route *r;
	uint32_t dst;
	uint16_t mss = 0;

	memcpy(&dst, pkt + 16, 4);
	if (pkt[8] <= 1) {
		dp_drop(dp, DP_DROP_IPV4_TTL, len);
		dp_icmp_error(dp, ifname, pkt, len, ICMP_TIME_EXCEEDED, 0, 0,
			      depth);
		return;
	}
	r = dp_rib_lookup(dp->rib, dp->n_rib, dst);
	if (r == NULL) {
		dp_drop(dp, DP_DROP_IPV4_NO_ROUTE, len);
		/* Host unreachable, which IOS sends for a missing route. */
		dp_icmp_error(dp, ifname, pkt, len, ICMP_UNREACH, 1, 0, depth);
		return;
	}
	/* TTL minus one, checksum adjusted incrementally (RFC 1624). */
	checksum_adjust(pkt + 10, dp_get16(pkt + 8), dp_get16(pkt + 8) - 0x100);
	pkt[8]--;
	if (in != NULL && in->tcp_mss)
		mss = in->tcp_mss;
	{
		const struct dp_if_cfg *out = find_if(dp, r->ifname);

		if (out != NULL && out->tcp_mss && (!mss || out->tcp_mss < mss))
			mss = out->tcp_mss;
	}
	if (mss)
		clamp_mss(dp, pkt, len, mss);
	dp_stat_add(dp, DP_STAT_FORWARDED, 1);
	dp_ip_output(dp, pkt, len, depth);
}

/* ---- ICMP ---- */

/* Token bucket that bounds the ICMP errors the router sends. */
static bool
icmp_allow(struct dp *dp)
{
	uint64_t now = dp->now;

	if (now > dp->icmp_refill_ns) {
		uint64_t add = (now - dp->icmp_refill_ns) * ICMP_RATE /
			       NS_PER_SEC;

		if (add > 0 || dp->icmp_refill_ns == 0) {
			dp->icmp_tokens += add;
			if (dp->icmp_tokens > ICMP_BURST ||
			    dp->icmp_refill_ns == 0)
				dp->icmp_tokens = ICMP_BURST;
			dp->icmp_refill_ns = now;
		}
	}
	if (dp->icmp_tokens == 0)
		return false;
	dp->icmp_tokens--;
	return true;
}

uint32_t
dp_source_for(const struct dp *dp, uint32_t dst)
{
	const struct dp_route *r = dp_rib_lookup(dp->rib, dp->n_rib, dst);
	const struct dp_if_cfg *ifc = r != NULL ? find_if(dp, r->ifname) : NULL;

	return ifc != NULL ? ifc->addr : 0;
}

static void
ip_header(uint8_t *h, size_t total, uint16_t id, bool df, uint8_t ttl,
	  uint8_t proto, uint32_t src, uint32_t dst)
{
	memset(h, 0, 20);
	h[0] = 0x45;
	dp_put16(h + 2, (uint16_t)total);
	dp_put16(h + 4, id);
	dp_put16(h + 6, df ? IP_DF : 0);
	h[8] = ttl;
	h[9] = proto;
	memcpy(h + 12, &src, 4);
	memcpy(h + 16, &dst, 4);
	ip_set_checksum(h, 20);
}

void
dp_icmp_error(struct dp *dp, const char *ifname, const uint8_t *pkt,
	      size_t len, uint8_t type, uint8_t code, uint16_t mtu, int depth)
{
	size_t hlen = (size_t)(pkt[0] & 0xf) * 4;
	size_t quote = hlen + 8 < len ? hlen + 8 : len;
	uint8_t *m = dp->icmp_pkt;
	uint32_t src, dst;
	const struct dp_if_cfg *in = ifname ? find_if(dp, ifname) : NULL;

	memcpy(&dst, pkt + 12, 4);
	/* RFC 1812 4.3.2.7: not about an ICMP error, a later fragment, or
	 * a source that names no single host. */
	if ((dp_get16(pkt + 6) & IP_OFFMASK) != 0 || dst == 0 ||
	    (ntohl(dst) >> 28) >= 14 || pkt == m)
		return;
	if (pkt[9] == PROTO_ICMP && len >= hlen + 1 &&
	    pkt[hlen] != ICMP_ECHO && pkt[hlen] != ICMP_ECHO_REPLY)
		return;
	/* No way back: nothing to send, and nothing to count. */
	if (dp_rib_lookup(dp->rib, dp->n_rib, dst) == NULL &&
	    dp_local_if(dp, dst) < 0)
		return;
	if (depth > DP_MAX_NESTING || !icmp_allow(dp))
		return;
	/* From the address the packet was sent to when it is ours (port
	 * unreachable), else the one it came in on, else the way back. */
	memcpy(&src, pkt + 16, 4);
	if (dp_local_if(dp, src) < 0)
		src = in != NULL && in->addr != 0 ? in->addr :
		      dp_source_for(dp, dst);
	if (src == 0)
		return;
	memset(m + 20, 0, 8);
	m[20] = type;
	m[21] = code;
	dp_put16(m + 26, mtu);
	memcpy(m + 28, pkt, quote);
	dp_put16(m + 22, fold(sum16(m + 20, 8 + quote, 0)));
	ip_header(m, 28 + quote, ++dp->ip_id, false, 255, PROTO_ICMP, src,
		  dst);
	dp_stat_add(dp, DP_STAT_ICMP_OUT, 1);
	/* No error is sent about an error, so this cannot loop either. */
	dp_ip_output(dp, m, 28 + quote, 0);
}

static void
probe_done(struct dp *dp, size_t slot, enum dp_probe_status st, uint32_t from,
	   const uint8_t *icmp)
{
	struct dp_probe_req *req = dp->probes[slot];

	dp->probes[slot] = NULL;
	req->res.status = st;
	req->res.from = from;
	if (icmp != NULL) {
		req->res.icmp_type = icmp[0];
		req->res.icmp_code = icmp[1];
		req->res.mtu = dp_get16(icmp + 6);
	}
	req->res.rtt_ns = dp->now > req->sent_ns ? dp->now - req->sent_ns : 0;
	req->answered = true;
	sem_post(&req->done);
}

/* Matches an ICMP error quoting one of our probes. */
static void
probe_error(struct dp *dp, uint32_t from, const uint8_t *icmp, size_t len)
{
	const uint8_t *q = icmp + 8;
	uint32_t qdst;
	uint16_t qid;

	if (len < 8 + 20)
		return;
	memcpy(&qdst, q + 16, 4);
	qid = dp_get16(q + 4);
	for (size_t i = 0; i < DP_MAX_PROBES; i++) {
		struct dp_probe_req *r = dp->probes[i];

		if (r == NULL || r->ip_id != qid || r->p.dst != qdst)
			continue;
		probe_done(dp, i, icmp[0] == ICMP_TIME_EXCEEDED ?
			   DP_PROBE_TTL_EXCEEDED : DP_PROBE_UNREACHABLE, from,
			   icmp);
		return;
	}
}

void
dp_icmp_input(struct dp *dp, const char *ifname, uint8_t *pkt, size_t hlen,
	      size_t len)
{
	uint8_t *icmp = pkt + hlen;
	size_t ilen = len - hlen;
	uint32_t src, dst;

	(void)ifname;
	if (ilen < 8 || fold(sum16(icmp, ilen, 0)) != 0) {
		dp_drop(dp, DP_DROP_IPV4_MALFORMED, len);
		return;
	}
	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);
	switch (icmp[0]) {
	case ICMP_ECHO:
		/* The reply is the request turned around, in place. */
		memcpy(pkt + 12, &dst, 4);
		memcpy(pkt + 16, &src, 4);
		pkt[8] = 255;
		ip_set_checksum(pkt, hlen);
		checksum_adjust(icmp + 2, ICMP_ECHO << 8, ICMP_ECHO_REPLY << 8);
		icmp[0] = ICMP_ECHO_REPLY;
		dp_stat_add(dp, DP_STAT_ICMP_OUT, 1);
		/* A new packet: its own tunnels may nest as deep as any.
		 * No reply gets a reply, so this cannot loop. */
		dp_ip_output(dp, pkt, len, 0);
		return;
	case ICMP_ECHO_REPLY:
		for (size_t i = 0; i < DP_MAX_PROBES; i++) {
			struct dp_probe_req *r = dp->probes[i];

			if (r != NULL && r->p.kind == DP_PROBE_ECHO &&
			    r->p.dst == src && r->p.id == dp_get16(icmp + 4) &&
			    r->p.seq == dp_get16(icmp + 6)) {
				probe_done(dp, i, DP_PROBE_REPLY, src, icmp);
				return;
			}
		}
		break;
	case ICMP_UNREACH:
	case ICMP_TIME_EXCEEDED:
		probe_error(dp, src, icmp, ilen);
		break;
	default:
		break;
	}
	dp_stat_add(dp, DP_STAT_LOCAL_DELIVERED, 1);
}

/* ---- probes ---- */

void
dp_probe_send(struct dp *dp, struct dp_probe_req *req)
{
	const struct dp_probe *p = &req->p;
	size_t size = p->size, slot;
	uint8_t *pkt = dp->probe_pkt;
	uint32_t src = p->src;
	uint8_t proto = p->kind == DP_PROBE_ECHO ? PROTO_ICMP : PROTO_UDP;
	int rc;

	for (slot = 0; slot < DP_MAX_PROBES && dp->probes[slot]; slot++)
		;
	if (slot == DP_MAX_PROBES) {
		req->res.status = DP_PROBE_NOT_SENT;
		sem_post(&req->done);
		return;
	}
	if (size < 28)
		size = 28;
	if (size > 18024)
		size = 18024;
	if (src == 0)
		src = dp_source_for(dp, p->dst);
	if (src == 0 && dp_local_if(dp, p->dst) >= 0)
		src = p->dst;
	if (src == 0) {
		req->res.status = DP_PROBE_NO_ROUTE;
		sem_post(&req->done);
		return;
	}
	/* IOS fills echo data with 0xABCD. */
	for (size_t i = 28; i < size; i++)
		pkt[i] = (i & 1) ? 0xcd : 0xab;
	memset(pkt + 20, 0, 8);
	if (p->kind == DP_PROBE_ECHO) {
		pkt[20] = ICMP_ECHO;
		dp_put16(pkt + 24, p->id);
		dp_put16(pkt + 26, p->seq);
		dp_put16(pkt + 22, fold(sum16(pkt + 20, size - 20, 0)));
	} else {
		dp_put16(pkt + 20, (uint16_t)(49152 + (p->id & 0x3fff)));
		dp_put16(pkt + 22, p->dport);
		dp_put16(pkt + 24, (uint16_t)(size - 20));
	}
	req->ip_id = ++dp->ip_id;
	ip_header(pkt, size, req->ip_id, p->df, p->ttl ? p->ttl : 255, proto,
		  src, p->dst);
	dp->probes[slot] = req;
	dp->now = dp_now_ns();
	req->sent_ns = dp->now;
	dp->rx_if = -1;
	rc = dp_ip_output(dp, pkt, size, 0);
	dp_wire_flush(dp);
	if (rc < 0 && dp->probes[slot] == req) {
		/* Dropped here: IOS prints the ICMP code it would get. */
		dp->probes[slot] = NULL;
		req->res.status = dp_rib_lookup(dp->rib, dp->n_rib, p->dst) ?
				  DP_PROBE_NOT_SENT : DP_PROBE_NO_ROUTE;
		sem_post(&req->done);
	}
}

void
dp_probe_cancel(struct dp *dp, struct dp_probe_req *req)
{
	for (size_t i = 0; i < DP_MAX_PROBES; i++) {
		if (dp->probes[i] == req)
			dp->probes[i] = NULL;
	}
}
