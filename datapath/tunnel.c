/*
 * Tunnel interfaces: static VTI (`tunnel mode ipsec ipv4`), GRE point to
 * point (RFC 2784, with the RFC 2890 key) and multipoint GRE whose peers
 * come from NHRP (static maps, next hop servers and registrations, see
 * nhrp.c), each optionally protected by IPsec SAs
 * bound to the tunnel (struct dp_sa_cfg ifname "TunnelN"). Runs on the
 * datapath thread only.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/dp_private.h"

#define PROTO_GRE	47
#define GRE_CSUM	0x8000
#define GRE_KEY		0x2000
#define GRE_SEQ		0x1000
#define ETH_P_IP	0x0800
#define ETH_P_NHRP	0x2001	/* GRE protocol type of NHRP (Cisco) */

const struct dp_if_cfg *
dp_tunnel_if(const struct dp *dp, const char *name)
{
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		const struct dp_if_cfg *t = &dp->cfg.ifs[i];

		if (t->tunnel != DP_TUNNEL_NONE && !t->shutdown &&
		    strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

uint32_t
dp_tunnel_source(const struct dp *dp, const struct dp_if_cfg *t)
{
	if (t->tunnel_src != 0)
		return t->tunnel_src;
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		if (strcmp(dp->cfg.ifs[i].name, t->tunnel_src_if) == 0)
			return dp->cfg.ifs[i].addr;
	}
	return 0;
}

void
dp_tunnel_reset(struct dp *dp)
{
	free(dp->tunnel_sa);
	dp->tunnel_sa = calloc(dp->cfg.n_ifs + 1, sizeof(*dp->tunnel_sa));
}

/*
 * The newest outbound SA bound to tunnel T with remote end PEER (higher
 * conn-ids are newer), so a rekeyed SA takes over at once. The scan
 * over every SA runs again only when an SA was linked or unlinked, or
 * an mGRE tunnel sends to another peer than last time.
 * NOTE: an mGRE tunnel that alternates between peers scans every time.
 */
static struct dp_sa_entry *
tunnel_sa(struct dp *dp, const struct dp_if_cfg *t, uint32_t peer)
{
	struct dp_tunnel_sa_cache *c = NULL;
	struct dp_sa_entry *best = NULL;

	if (dp->tunnel_sa != NULL) {
		c = &dp->tunnel_sa[t - dp->cfg.ifs];
		if (c->gen == dp->sa_gen && c->peer == peer)
			return c->sa;
	}
	for (size_t i = 0; i < dp->n_sas; i++) {
		struct dp_sa_entry *e = dp->sas[i];

		if (e->cfg.params.outbound && e->cfg.params.dst == peer &&
		    strcmp(e->cfg.ifname, t->name) == 0 &&
		    (best == NULL || e->conn_id > best->conn_id))
			best = e;
	}
	if (c != NULL) {
		c->gen = dp->sa_gen;
		c->peer = peer;
		c->sa = best;
	}
	return best;
}

bool
dp_tunnel_has_sa(struct dp *dp, const struct dp_if_cfg *t, uint32_t peer)
{
	return tunnel_sa(dp, t, peer) != NULL;
}

int
dp_tunnel_output(struct dp *dp, const struct dp_if_cfg *t,
		 const uint8_t *pkt, size_t len, uint32_t next_hop, int depth)
{
	uint32_t peer = t->tunnel_dst;

	if (t->tunnel == DP_TUNNEL_MGRE) {
		uint32_t dst;

		memcpy(&dst, pkt + 16, 4);
		peer = dp_nhrp_resolve(dp, t, next_hop != 0 ? next_hop : dst);
	}
	return dp_tunnel_send(dp, t, ETH_P_IP, pkt, len, peer, depth);
}

int
dp_tunnel_send(struct dp *dp, const struct dp_if_cfg *t, uint16_t proto,
	       const uint8_t *pkt, size_t len, uint32_t peer, int depth)
{
	int stat = dp_ifstat_index(dp, t->name);
	uint32_t src = dp_tunnel_source(dp, t);
	struct dp_sa_entry *e;
	enum dp_esp_status st;
	uint8_t *out = dp->tun_pkt;
	size_t n, gre;

	/* A tunnel routed through another tunnel: the packet is the
	 * output of the first, in the buffer this one writes. */
	if (pkt == dp->tun_pkt) {
		memcpy(dp->frag_pkt, pkt, len);
		pkt = dp->frag_pkt;
	}
	if (src == 0 || peer == 0 || depth > DP_MAX_NESTING) {
		dp_drop(dp, DP_DROP_TUNNEL_NO_PEER, len);
		return -1;
	}
	e = tunnel_sa(dp, t, peer);
	if (t->tunnel == DP_TUNNEL_IPSEC) {
		if (e == NULL) {
			dp_drop(dp, DP_DROP_ESP_IKE_START, len);
			dp_count_no_sa(dp, -1, (int)(t - dp->cfg.ifs));
			dp_acquire(dp, -1, (int)(t - dp->cfg.ifs), pkt);
			return -1;
		}
		n = dp_esp_encap_ipv4(e->esp, pkt, len, out, DP_PKT_MAX, &st);
		if (n == 0) {
			dp_drop(dp, DP_DROP_ESP_ENCAP, len);
			return -1;
		}
		dp_stat_add(dp, DP_STAT_ENCRYPTED, 1);
		goto send;
	}
	/* GRE: outer IPv4, then the GRE header with the optional key. */
	gre = t->has_key ? 8 : 4;
	if (20 + gre + len > DP_PKT_MAX) {
		dp_drop(dp, DP_DROP_ESP_ENCAP, len);
		return -1;
	}
	memset(out, 0, 20 + gre);
	out[0] = 0x45;
	dp_put16(out + 2, (uint16_t)(20 + gre + len));
	dp_put16(out + 4, ++dp->ip_id);
	out[8] = 255;
	out[9] = PROTO_GRE;
	memcpy(out + 12, &src, 4);
	memcpy(out + 16, &peer, 4);
	dp_put16(out + 10, dp_ip_checksum(out, 20));
	dp_put16(out + 20, t->has_key ? GRE_KEY : 0);
	dp_put16(out + 22, proto);
	if (t->has_key) {
		uint32_t k = htonl(t->tunnel_key);

		memcpy(out + 24, &k, 4);
	}
	memcpy(out + 20 + gre, pkt, len);
	n = 20 + gre + len;
	if (t->protection[0] != '\0') {
		if (e == NULL) {
			dp_drop(dp, DP_DROP_ESP_IKE_START, len);
			dp_count_no_sa(dp, -1, (int)(t - dp->cfg.ifs));
			/* For mGRE the event carries the GRE packet, whose
			 * destination is the NBMA peer to negotiate with. */
			dp_acquire(dp, -1, (int)(t - dp->cfg.ifs),
				   t->tunnel == DP_TUNNEL_MGRE ? out : pkt);
			return -1;
		}
		memcpy(dp->tun_plain, out, n);
		n = dp_esp_encap_ipv4(e->esp, dp->tun_plain, n, out, DP_PKT_MAX,
				      &st);
		if (n == 0) {
			dp_drop(dp, DP_DROP_ESP_ENCAP, len);
			return -1;
		}
		dp_stat_add(dp, DP_STAT_ENCRYPTED, 1);
	}
send:
	dp_ifstat_add(dp, stat, DP_IFC_TX_PACKETS, 1);
	dp_ifstat_add(dp, stat, DP_IFC_TX_OCTETS, len);
	return dp_ip_output(dp, out, n, depth + 1);
}

void
dp_tunnel_deliver(struct dp *dp, const char *tunnel, uint8_t *pkt,
		  size_t len, int depth)
{
	int stat = dp_ifstat_index(dp, tunnel);
	int saved = dp->rx_if;

	dp_ifstat_add(dp, stat, DP_IFC_RX_PACKETS, 1);
	dp_ifstat_add(dp, stat, DP_IFC_RX_OCTETS, len);
	dp->rx_if = stat;
	dp_input_ip(dp, tunnel, pkt, len, dp->now, depth + 1);
	dp->rx_if = saved;
}

void
dp_gre_input(struct dp *dp, uint8_t *pkt, size_t hlen, size_t len,
	     bool decrypted, int depth)
{
	const uint8_t *g = pkt + hlen;
	size_t off = 4;
	uint16_t flags, proto;
	uint32_t src, dst, key = 0;

	if (len < hlen + 4) {
		dp_drop(dp, DP_DROP_IPV4_MALFORMED, len);
		return;
	}
	flags = dp_get16(g);
	if (flags & GRE_CSUM)
		off += 4;
	if (flags & GRE_KEY) {
		if (len < hlen + off + 4) {
			dp_drop(dp, DP_DROP_IPV4_MALFORMED, len);
			return;
		}
		key = (uint32_t)g[off] << 24 | (uint32_t)g[off + 1] << 16 |
		      (uint32_t)g[off + 2] << 8 | g[off + 3];
		off += 4;
	}
	if (flags & GRE_SEQ)
		off += 4;
	proto = dp_get16(g + 2);
	if ((flags & 7) != 0 || (proto != ETH_P_IP && proto != ETH_P_NHRP) ||
	    len < hlen + off + (proto == ETH_P_IP ? 20 : 0)) {
		dp_drop(dp, DP_DROP_L2_UNSUPPORTED, len);
		return;
	}
	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		const struct dp_if_cfg *t = &dp->cfg.ifs[i];

		if ((t->tunnel != DP_TUNNEL_GRE &&
		     t->tunnel != DP_TUNNEL_MGRE) || t->shutdown ||
		    dp_tunnel_source(dp, t) != dst ||
		    (t->tunnel == DP_TUNNEL_GRE && t->tunnel_dst != src) ||
		    t->has_key != !!(flags & GRE_KEY) ||
		    (t->has_key && t->tunnel_key != key))
			continue;
		/* A protected tunnel takes only what its SAs decrypted. */
		if (t->protection[0] != '\0' && !decrypted) {
			dp_drop(dp, DP_DROP_TUNNEL_UNPROTECTED, len);
			return;
		}
		if (proto == ETH_P_NHRP)
			dp_nhrp_input(dp, t, src, pkt + hlen + off,
				      len - hlen - off);
		else
			dp_tunnel_deliver(dp, t->name, pkt + hlen + off,
					  len - hlen - off, depth);
		return;
	}
	dp_drop(dp, DP_DROP_TUNNEL_NO_PEER, len);
}
