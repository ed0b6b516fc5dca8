/*
 * Packet input: link-layer framing, IPv4 checks and reassembly, ESP and
 * ESP-in-UDP (RFC 3948) for our own addresses, unknown-SPI reporting,
 * and forwarding of everything else. Runs on the datapath thread only.
 * Nothing here allocates memory, reads the clock or logs per packet,
 * except the rate-limited RECVD_PKT_INV_SPI, RECVD_PKT_MAC_ERR and
 * PKT_REPLAY_ERR lines.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "core/log.h"
#include "datapath/dp_private.h"

#define ETH_HDR_LEN	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define PROTO_ICMP	1
#define PROTO_ESP	50
#define PROTO_GRE	47
#define PROTO_UDP	17
#define PORT_IKE	500
#define PORT_NATT	4500
#define NH_IPV4		4
#define NH_IPV6		41
#define NH_NONE		59


/* Reads a 16-bit big-endian field. */
static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Locates the layer-3 packet inside a frame of link type DLT. */
static const uint8_t *
strip_link(int dlt, const uint8_t *frame, size_t len, size_t *l3_len)
{
	size_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (len < ETH_HDR_LEN)
			return NULL;
		off = ETH_HDR_LEN;
		type = get16(frame + 12);
		while (type == ETHERTYPE_VLAN && len >= off + 4) {
			type = get16(frame + off + 2);
			off += 4;
		}
		if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
			return NULL;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		/* A 4-octet address family; IPv4 and IPv6 are told apart
		 * by the version nibble below, which is byte-order proof. */
		if (len < 4)
			return NULL;
		off = 4;
		break;
	case DLT_RAW:
	case DLT_IPV4:
		off = 0;
		break;
	default:
		return NULL;
	}
	if (len <= off)
		return NULL;
	*l3_len = len - off;
	return frame + off;
}

void
dp_input_frame(struct dp *dp, const char *ifname, int stat, int dlt,
	       const uint8_t *frame, size_t len, uint64_t now)
{
	const uint8_t *l3;
	size_t l3_len = 0;

	dp_stat_add(dp, DP_STAT_RX_PACKETS, 1);
	dp_stat_add(dp, DP_STAT_RX_OCTETS, len);
	dp->now = now;
	dp->rx_if = stat;
	l3 = strip_link(dlt, frame, len, &l3_len);
	if (l3 == NULL || (l3[0] >> 4 != 4 && l3[0] >> 4 != 6)) {
		dp_drop(dp, DP_DROP_L2_UNSUPPORTED, len);
		dp->rx_if = -1;
		return;
	}
	if (dp->n_captures_active)
		dp_capture_packet(dp, stat, false, l3, l3_len);
	if (l3_len > sizeof(dp->pkt))
		l3_len = sizeof(dp->pkt);
	/* ESP decrypts in place, and the caller's frame is read-only. */
	memcpy(dp->pkt, l3, l3_len);
	dp_input_ip(dp, ifname, dp->pkt, l3_len, now, 0);
	dp->rx_if = -1;
}

void
dp_input_flush(struct dp *dp)
{
	dp_wire_flush(dp);
	if (dp->suppressed_pending) {
		log_count_rate_limited(dp->suppressed_pending);
		dp->suppressed_pending = 0;
	}
}

void
dp_input_expire(struct dp *dp, uint64_t now)
{
	size_t n = dp_reass_expire(dp->reass, now);

	for (size_t i = 0; i < n; i++)
		dp_drop(dp, DP_DROP_REASS_TIMEOUT, 0);
	dp_nhrp_timers(dp, now);
}

/* Returns the index of the interface that owns ADDR, or -1. */
int
dp_local_if(const struct dp *dp, uint32_t addr)
{
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		const struct dp_if_cfg *ifc = &dp->cfg.ifs[i];

		if (ifc->addr == addr && addr != 0 && !ifc->shutdown)
			return (int)i;
	}
	return -1;
}

/* Logs RECVD_PKT_INV_SPI for a flow the limiter let through. */
static void
log_invalid_spi(struct dp *dp, const char *ifname, const uint8_t *raw_src,
		const uint8_t *raw_dst, uint32_t spi, bool v6)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = v6 ? AF_INET6 : AF_INET;

	if (inet_ntop(af, raw_src, s, sizeof(s)) == NULL ||
	    inet_ntop(af, raw_dst, d, sizeof(d)) == NULL) {
		snprintf(s, sizeof(s), "?");
		snprintf(d, sizeof(d), "?");
	}
	/* IOS 15 and IOS XE end the line with the input interface. */
	log_msg(LOGMSG_CRYPTO_RECVD_PKT_INV_SPI,
		"decaps: rec'd IPSEC packet has invalid spi for "
		"destaddr=%s, prot=%u, spi=0x%X(%u), srcaddr=%s, "
		"input interface=%s", d, PROTO_ESP, spi, spi, s, ifname);
	dp_stat_add(dp, DP_STAT_INV_SPI_LOGGED, 1);
}

/* Hands the IKE manager an unknown-SPI event its limiter let through. */
static void
raise_invalid_spi(struct dp *dp, const char *ifname, uint32_t src,
		  uint32_t dst, uint32_t spi, bool udp)
{
	struct dp_invalid_spi_event ev = {
		.src = src,
		.dst = dst,
		.spi = spi,
		.proto = PROTO_ESP,
		.udp_encap = udp,
	};

	snprintf(ev.ifname, sizeof(ev.ifname), "%s", ifname);
	dp->sink(dp->sink_ctx, &ev);
	dp_stat_add(dp, DP_STAT_INV_SPI_EVENTS, 1);
}

/*
 * Reports an unknown SPI: one log line per flow a minute at most, and a
 * rate-limited event to the IKE manager. SRC and DST are network order;
 * for IPv6 they are folded hashes of the addresses at RAW_SRC and
 * RAW_DST, which are formatted only when a line goes out. During a
 * flood, both limiters reject the packet and the flow table counts it
 * without a function call.
 */
static inline __attribute__((always_inline)) void
report_invalid_spi(struct dp *dp, const char *ifname, uint32_t src,
		   uint32_t dst, const uint8_t *raw_src, const uint8_t *raw_dst,
		   uint32_t spi, int udp_sport, bool v6, uint64_t now)
{
	if (!dp_limiter_exhausted(dp->log_lim, now) &&
	    dp_limiter_allow(dp->log_lim, src, dst, spi, now)) {
		log_invalid_spi(dp, ifname, raw_src, raw_dst, spi, v6);
	} else {
		dp->suppressed_pending++;
		dp_stat_add(dp, DP_STAT_INV_SPI_SUPPRESSED, 1);
	}
	if (v6)
		return;
	dp_spi_diag_hit(dp->spi_diag, src, dst, spi, udp_sport, ifname, now);
	if (dp->sink != NULL && !dp_limiter_exhausted(dp->event_lim, now) &&
	    dp_limiter_allow(dp->event_lim, src, dst, spi, now))
		raise_invalid_spi(dp, ifname, src, dst, spi, udp_sport >= 0);
}

/*
 * Drops a clear packet that a crypto map of its ingress interface says
 * should have come in encrypted, and logs RECVD_PKT_NOT_IPSEC once a minute per
 * source and destination through the invalid-SPI log limiter (SPI 0,
 * which no SA has).
 */
static __attribute__((noinline)) void
not_ipsec(struct dp *dp, const uint8_t *pkt, size_t len, uint64_t now)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	uint32_t src, dst;

	dp_drop(dp, DP_DROP_ESP_CLEAR_POLICY, len);
	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);
	if (dp_limiter_exhausted(dp->log_lim, now) ||
	    !dp_limiter_allow(dp->log_lim, src, dst, 0, now)) {
		dp->suppressed_pending++;
		return;
	}
	inet_ntop(AF_INET, pkt + 12, s, sizeof(s));
	inet_ntop(AF_INET, pkt + 16, d, sizeof(d));
	log_msg(LOGMSG_CRYPTO_RECVD_PKT_NOT_IPSEC,
		"Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= /%s, "
		"src_addr= %s, prot= %u", d, s, pkt[9]);
}

static enum dp_drop
esp_status_drop(enum dp_esp_status st)
{
	switch (st) {
	case DP_ESP_SHORT:
		return DP_DROP_ESP_SHORT;
	case DP_ESP_BAD_LEN:
		return DP_DROP_ESP_BAD_LEN;
	case DP_ESP_REPLAY:
		return DP_DROP_ESP_REPLAY;
	case DP_ESP_OUT_OF_WINDOW:
		return DP_DROP_ESP_OUT_OF_WINDOW;
	case DP_ESP_AUTH:
		return DP_DROP_ESP_AUTH;
	case DP_ESP_PAD:
		return DP_DROP_ESP_PAD;
	default:
		return DP_DROP_ESP_INTERNAL;
	}
}

/* Each SA logs a MAC or a replay error at most once a minute, so that a
 * flood of bad packets cannot fill the log. */
#define SA_ERR_LOG_INTERVAL_NS	(60ULL * 1000000000ULL)

/*
 * Logs RECVD_PKT_MAC_ERR or PKT_REPLAY_ERR for SA E when status ST is an
 * integrity or anti-replay failure. A line of a kind that E logged less
 * than a minute ago is counted as rate-limited instead.
 */
static void
log_sa_error(struct dp *dp, struct dp_sa_entry *e, enum dp_esp_status st,
	     uint64_t now)
{
	uint64_t *last;

	if (st == DP_ESP_AUTH)
		last = &e->mac_err_log_ns;
	else if (st == DP_ESP_REPLAY || st == DP_ESP_OUT_OF_WINDOW)
		last = &e->replay_err_log_ns;
	else
		return;
	if (*last != 0 && now - *last < SA_ERR_LOG_INTERVAL_NS) {
		dp->suppressed_pending++;
		return;
	}
	/* A clock reading of 0 would look like "never logged". */
	*last = now != 0 ? now : 1;
	if (st == DP_ESP_AUTH)
		log_msg(LOGMSG_CRYPTO_RECVD_PKT_MAC_ERR,
			"decrypt: mac verify failed for connection id=%u",
			e->conn_id);
	else
		log_msg(LOGMSG_CRYPTO_PKT_REPLAY_ERR,
			"decrypt: replay check failed connection id=%u",
			e->conn_id);
}

static bool
sa_expired(const struct dp_sa_entry *e, uint64_t now)
{
	uint64_t kb = e->cfg.lifetime_kb;

	return (e->expires_ns != 0 && now >= e->expires_ns) ||
	       (e->dynamic && kb != 0 &&
		dp_esp_sa_bytes(e->esp) / 1024 >= kb);
}

/*
 * Decapsulates the ESP packet at PKT + ESP_OFF with its SA E and handles
 * what comes out. Kept out of line, so that esp_input() stays small.
 */
static __attribute__((noinline)) void
esp_decap_input(struct dp *dp, const char *ifname, struct dp_sa_entry *e,
		uint8_t *pkt, size_t hlen, size_t esp_off, size_t len,
		uint64_t now, int depth)
{
	uint8_t *esp = pkt + esp_off;
	size_t esp_len = len - esp_off;
	struct dp_esp_result res;
	enum dp_esp_status st;
	const struct dp_if_cfg *bound;

	/* Past its lifetime, the SA waits for the scan to remove it and
	 * takes no more packets. Either encapsulation is accepted, as RFC
	 * 7296 2.23 requires: strongSwan's kernel-libipsec backend, for
	 * one, sends ESP in UDP 4500 even when IKE found no NAT. */
	if (sa_expired(e, now)) {
		e->invalid_sa++;
		dp_drop(dp, DP_DROP_ESP_INVALID_SA, len);
		return;
	}
	st = dp_esp_decap(e->esp, esp, esp_len, &res);
	if (st != DP_ESP_OK) {
		dp_drop(dp, esp_status_drop(st), len);
		log_sa_error(dp, e, st, now);
		return;
	}
	dp_stat_add(dp, DP_STAT_DECAP_OK, 1);
	if (res.next_header == NH_NONE)
		return;

	uint8_t *payload = esp + res.payload_off;

	/* An sVTI's SA decrypts the packets of its tunnel interface; a
	 * GRE tunnel's SA decrypts GRE, which then finds its tunnel. */
	bound = dp_tunnel_if(dp, e->cfg.ifname);
	if (dp_esp_sa_params(e->esp)->tunnel) {
		if (res.next_header == NH_IPV4 && bound != NULL &&
		    bound->tunnel == DP_TUNNEL_IPSEC) {
			dp_tunnel_deliver(dp, e->cfg.ifname, payload,
					  res.payload_len, depth);
		} else if (res.next_header == NH_IPV4 &&
			   e->cfg.has_selector && res.payload_len >= 20 &&
			   !dp_selector_match(&e->cfg.selector, false, payload,
					      res.payload_len)) {
			e->invalid_ident++;
			dp_drop(dp, DP_DROP_ESP_INVALID_IDENT, len);
		} else if (res.next_header == NH_IPV4) {
			bool was = dp->decrypted;

			dp->decrypted = bound != NULL;
			dp_input_ip(dp, ifname, payload, res.payload_len, now,
				    depth + 1);
			dp->decrypted = was;
		} else if (res.next_header == NH_IPV6) {
			dp_drop(dp, DP_DROP_IPV6, res.payload_len);
		} else {
			dp_drop(dp, DP_DROP_ESP_NEXT_HEADER, len);
		}
		return;
	}

	/* Transport mode: the payload replaces the ESP part of the packet
	 * and the packet was for us. */
	uint16_t tot = htons((uint16_t)(hlen + res.payload_len));

	memmove(pkt + hlen, payload, res.payload_len);
	memcpy(pkt + 2, &tot, 2);
	pkt[9] = res.next_header;
	if (res.next_header == PROTO_GRE && depth < DP_MAX_NESTING)
		dp_gre_input(dp, pkt, hlen, hlen + res.payload_len, true,
			     depth + 1);
	else if (res.next_header == NH_IPV4 && depth < DP_MAX_NESTING)
		dp_input_ip(dp, ifname, pkt + hlen, res.payload_len, now,
			    depth + 1);
	else
		dp_stat_add(dp, DP_STAT_LOCAL_DELIVERED, 1);
}

/*
 * Handles the ESP packet at PKT + ESP_OFF (after the IPv4 header and,
 * for UDP encapsulation, the UDP header). LEN is the whole IP length.
 * Inlined, because under a flood of unknown SPIs nearly every packet
 * ends here.
 */
static inline __attribute__((always_inline)) void
esp_input(struct dp *dp, const char *ifname, int local, uint8_t *pkt,
	  size_t hlen, size_t esp_off, size_t len, uint64_t now, int depth)
{
	struct dp_sa_entry *e;
	uint32_t src, dst, spi;

	dp_stat_add(dp, DP_STAT_ESP_IN, 1);
	/* SPI and sequence number, and a payload of at least 4 octets
	 * (RFC 4303 2.4: the trailer ends on a 4-octet boundary). SPI 0 is
	 * reserved and never sent (RFC 4303 2.1). */
	if (len - esp_off < 12 || (spi = get32(pkt + esp_off)) == 0) {
		dp_drop(dp, DP_DROP_ESP_SHORT, len);
		return;
	}
	memcpy(&dst, pkt + 16, 4);
	e = dp_sadb_lookup(dp->sadb, dst, PROTO_ESP, spi);
	if (e != NULL) {
		esp_decap_input(dp, ifname, e, pkt, hlen, esp_off, len, now,
				depth);
		return;
	}
	dp_drop(dp, dp->transport_only != NULL && dp->transport_only[local] ?
		DP_DROP_ESP_NO_SA_TRANSPORT : DP_DROP_ESP_NO_SA, len);
	memcpy(&src, pkt + 12, 4);
	report_invalid_spi(dp, ifname, src, dst, pkt + 12, pkt + 16, spi,
			   esp_off != hlen ? get16(pkt + hlen) : -1, false, now);
}

static void
udp_input(struct dp *dp, const char *ifname, int local, uint8_t *pkt,
	  size_t hlen, size_t len, uint64_t now, int depth)
{
	const uint8_t *udp = pkt + hlen;
	size_t ulen, plen;
	uint16_t dport;

	if (len < hlen + 8 || (ulen = get16(udp + 4)) < 8 ||
	    hlen + ulen > len) {
		dp_drop(dp, DP_DROP_IPV4_MALFORMED, len);
		return;
	}
	len = hlen + ulen;
	plen = ulen - 8;
	dport = get16(udp + 2);
	if (dport == PORT_IKE) {
		dp_ike_input(dp, ifname, pkt, udp + 8, plen, false);
		return;
	}
	if (dport != PORT_NATT) {
		/* No UDP service listens here: port unreachable, which
		 * also ends a traceroute. */
		dp_stat_add(dp, DP_STAT_LOCAL_DELIVERED, 1);
		dp_icmp_error(dp, ifname, pkt, len, 3, 3, 0, depth);
		return;
	}
	/* RFC 3948 2.2 and 2.3: a lone 0xFF is a NAT keepalive, and four
	 * zero octets (the non-ESP marker) start an IKE message. */
	if (plen == 1 && udp[8] == 0xff) {
		dp_stat_add(dp, DP_STAT_NAT_KEEPALIVE, 1);
		return;
	}
	if (plen >= 4 && get32(udp + 8) == 0) {
		dp_ike_input(dp, ifname, pkt, udp + 12, plen - 4, true);
		return;
	}
	esp_input(dp, ifname, local, pkt, hlen, hlen + 8, len, now, depth);
}

static void
input_ipv6(struct dp *dp, const char *ifname, const uint8_t *pkt, size_t len,
	   uint64_t now)
{
	uint32_t hs = 0, hd = 0;

	if (len < 40 || 40 + (size_t)get16(pkt + 4) > len) {
		dp_drop(dp, DP_DROP_IPV4_MALFORMED, len);
		return;
	}
	/* No IPv6 SA can be configured, so every IPv6 ESP packet has an
	 * unknown SPI. Extension headers before ESP are not walked. */
	if (pkt[6] != PROTO_ESP || len < 48) {
		dp_drop(dp, DP_DROP_IPV6, len);
		return;
	}
	dp_drop(dp, DP_DROP_ESP_NO_SA_V6, len);
	for (int i = 0; i < 16; i += 4) {
		hs = hs * 31 + get32(pkt + 8 + i);
		hd = hd * 31 + get32(pkt + 24 + i);
	}
	report_invalid_spi(dp, ifname, hs, hd, pkt + 8, pkt + 24,
			   get32(pkt + 40), -1, true, now);
}

static void
reassemble(struct dp *dp, const char *ifname, uint8_t *pkt, size_t hlen,
	   size_t len, uint64_t now, int depth)
{
	uint8_t *whole = NULL;
	size_t whole_len = 0;

	switch (dp_reass_add(dp->reass, pkt, hlen, len, now, &whole,
			     &whole_len)) {
	case DP_REASS_DONE:
		break;
	case DP_REASS_PENDING:
		return;
	case DP_REASS_OVERLAP:
		dp_drop(dp, DP_DROP_REASS_OVERLAP, len);
		return;
	case DP_REASS_TOO_BIG:
		dp_drop(dp, DP_DROP_REASS_TOO_BIG, len);
		return;
	case DP_REASS_NO_SLOT:
		dp_drop(dp, DP_DROP_REASS_NO_SLOT, len);
		return;
	case DP_REASS_BAD_FRAG:
		dp_drop(dp, DP_DROP_REASS_BAD_FRAG, len);
		return;
	}
	dp_stat_add(dp, DP_STAT_REASSEMBLED, 1);
	/* The slot is reused by the next fragment, which may be inside
	 * this very datagram, so work on a copy. */
	memcpy(dp->reass_pkt, whole, whole_len);
	dp_input_ip(dp, ifname, dp->reass_pkt, whole_len, now, depth);
}

void
dp_input_ip(struct dp *dp, const char *ifname, uint8_t *pkt, size_t len,
	    uint64_t now, int depth)
{
	size_t hlen, tot;
	uint32_t dst;
	int local;

	if (depth > DP_MAX_NESTING) {
		dp_drop(dp, DP_DROP_IPV4_NESTED, len);
		return;
	}
	if (len >= 1 && pkt[0] >> 4 == 6) {
		input_ipv6(dp, ifname, pkt, len, now);
		return;
	}
	hlen = len >= 1 ? (size_t)(pkt[0] & 0xf) * 4 : 0;
	if (len < 20 || pkt[0] >> 4 != 4 || hlen < 20 || hlen > len ||
	    (tot = get16(pkt + 2)) < hlen || tot > len) {
		dp_drop(dp, DP_DROP_IPV4_MALFORMED, len);
		return;
	}
	len = tot;	/* drop link-layer padding */
	if (get16(pkt + 6) & 0x3fff) {
		reassemble(dp, ifname, pkt, hlen, len, now, depth);
		return;
	}

	memcpy(&dst, pkt + 16, 4);
	local = dp_local_if(dp, dst);
	if (depth == 0 && pkt[9] != PROTO_ESP && dp->cfg.n_maps != 0 &&
	    dp_clear_policy_fails(dp, ifname, pkt, len, local >= 0)) {
		not_ipsec(dp, pkt, len, now);
		return;
	}
	if (local < 0) {
		dp_forward(dp, ifname, pkt, len, depth);
		return;
	}
	dp_stat_add(dp, DP_STAT_FOR_US, 1);
	switch (pkt[9]) {
	case PROTO_ESP:
		esp_input(dp, ifname, local, pkt, hlen, hlen, len, now, depth);
		break;
	case PROTO_UDP:
		udp_input(dp, ifname, local, pkt, hlen, len, now, depth);
		break;
	case PROTO_ICMP:
		dp_icmp_input(dp, ifname, pkt, hlen, len);
		break;
	case PROTO_GRE:
		/* Decrypted GRE in tunnel-mode ESP arrives here too, on the
		 * interface of the SA's crypto map. */
		dp_gre_input(dp, pkt, hlen, len, dp->decrypted, depth);
		break;
	default:
		dp_stat_add(dp, DP_STAT_LOCAL_DELIVERED, 1);
		break;
	}
}
