/*
 * IKE messages to and from the router's own addresses, and acquire
 * events for traffic that needs an SA that IKE has not negotiated yet.
 *
 * Inbound, UDP 500 and UDP 4500 with the non-ESP marker (RFC 3948 2.2)
 * reach the IKE sink with the UDP payload, marker removed. Outbound, the
 * IKE manager's messages wait in their own queue, so a burst of them
 * cannot crowd out config or SA messages, and the datapath thread adds
 * the IPv4 and UDP headers and routes them past the crypto maps.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msgq.h"
#include "datapath/dp_private.h"

#define PROTO_UDP	17
#define NON_ESP_MARKER	4
#define NS_PER_SEC	1000000000ULL
#define ACQUIRE_INTERVAL_NS NS_PER_SEC

/* RFC 768 checksum over the pseudo header and UDP header and payload. */
static uint16_t
udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
	const uint8_t *s = (const uint8_t *)&src, *d = (const uint8_t *)&dst;
	uint32_t sum = PROTO_UDP + (uint32_t)len;
	size_t i;

	sum += (uint32_t)(s[0] << 8 | s[1]) + (uint32_t)(s[2] << 8 | s[3]);
	sum += (uint32_t)(d[0] << 8 | d[1]) + (uint32_t)(d[2] << 8 | d[3]);
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)udp[i] << 8 | udp[i + 1];
	if (i < len)
		sum += (uint32_t)udp[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
dp_set_ike_sink(struct dp *dp, dp_ike_rx_fn fn, void *ctx)
{
	dp->ike_sink = fn;
	dp->ike_sink_ctx = ctx;
}

void
dp_set_acquire_sink(struct dp *dp, dp_acquire_fn fn, void *ctx)
{
	dp->acquire_sink = fn;
	dp->acquire_sink_ctx = ctx;
}

/*
 * PKT is the IPv4 packet and PAYLOAD its UDP payload after any marker.
 * The checksum covers the marker too, so it is checked on the datagram.
 */
void
dp_ike_input(struct dp *dp, const char *ifname, const uint8_t *pkt,
	     const uint8_t *payload, size_t len, bool natt)
{
	size_t hlen = (size_t)(pkt[0] & 0xf) * 4;
	const uint8_t *udp = pkt + hlen;
	size_t ulen = dp_get16(udp + 4), total = hlen + ulen;
	struct dp_ike_packet *m = &dp->ike_msg;
	uint32_t src, dst;

	dp_stat_add(dp, DP_STAT_IKE_PUNTED, 1);
	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);
	/* A zero checksum means the sender computed none (RFC 768). */
	if (dp_get16(udp + 6) != 0 &&
	    udp_checksum(src, dst, udp, ulen) != 0) {
		dp_drop(dp, DP_DROP_UDP_CHECKSUM, total);
		return;
	}
	if (len == 0 || len > DP_IKE_MSG_MAX) {
		dp_drop(dp, DP_DROP_IKE_LENGTH, total);
		return;
	}
	if (dp->ike_sink == NULL) {
		dp_drop(dp, DP_DROP_IKE_NO_SINK, total);
		return;
	}
	m->src = src;
	m->dst = dst;
	m->sport = dp_get16(udp);
	m->dport = dp_get16(udp + 2);
	m->natt = natt;
	snprintf(m->ifname, sizeof(m->ifname), "%s", ifname);
	m->len = (uint16_t)len;
	memcpy(m->data, payload, len);
	dp->ike_sink(dp->ike_sink_ctx, m);
}

int
dp_ike_output(struct dp *dp)
{
	const struct dp_ike_packet *m = &dp->ike_msg;
	size_t marker = m->natt ? NON_ESP_MARKER : 0;
	size_t ulen = 8 + marker + m->len, total = 20 + ulen;
	uint8_t *p = dp->ike_pkt, *udp = p + 20;
	uint32_t src = m->src;
	uint16_t ck;

	if (src == 0)
		src = dp_source_for(dp, m->dst);
	if (src == 0) {
		dp_drop(dp, DP_DROP_IPV4_NO_ROUTE, total);
		return -1;
	}
	/* DF clear: a message larger than the path MTU goes in fragments,
	 * which IKE peers reassemble (RFC 7383 fragmentation aside). */
	memset(p, 0, 20);
	p[0] = 0x45;
	dp_put16(p + 2, (uint16_t)total);
	dp_put16(p + 4, ++dp->ip_id);
	p[8] = 255;
	p[9] = PROTO_UDP;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &m->dst, 4);
	dp_put16(p + 10, dp_ip_checksum(p, 20));
	dp_put16(udp, m->sport);
	dp_put16(udp + 2, m->dport);
	dp_put16(udp + 4, (uint16_t)ulen);
	dp_put16(udp + 6, 0);
	memset(udp + 8, 0, marker);
	memcpy(udp + 8 + marker, m->data, m->len);
	ck = udp_checksum(src, m->dst, udp, ulen);
	/* A sum of 0 goes out as all ones; 0 would mean "none". */
	dp_put16(udp + 6, ck != 0 ? ck : 0xffff);
	dp->now = dp_now_ns();
	dp->rx_if = -1;
	if (dp_ip_output_plain(dp, p, total) < 0)
		return -1;
	dp_stat_add(dp, DP_STAT_IKE_SENT, 1);
	return 0;
}

int
dp_ike_send(struct dp *dp, const struct dp_ike_packet *pkt)
{
	if (pkt->len == 0 || pkt->len > DP_IKE_MSG_MAX || pkt->dst == 0 ||
	    pkt->sport == 0 || pkt->dport == 0)
		goto reject;
	if (!dp->running) {
		/* No thread: the caller acts as the datapath thread. */
		dp->ike_msg = *pkt;
		dp_ike_output(dp);
		dp_wire_flush(dp);
		return 0;
	}
	if (msgq_push(dp->ike_q, pkt))
		return 0;
reject:
	atomic_fetch_add_explicit(&dp->stats[DP_STAT_IKE_SEND_REJECTED], 1,
				  memory_order_relaxed);
	return -1;
}

void
dp_acquire_reset(struct dp *dp)
{
	free(dp->acquire_map_ns);
	free(dp->acquire_if_ns);
	dp->acquire_map_ns = calloc(dp->cfg.n_maps + 1, sizeof(uint64_t));
	dp->acquire_if_ns = calloc(dp->cfg.n_ifs + 1, sizeof(uint64_t));
}

void
dp_acquire(struct dp *dp, int map, int ifc, const uint8_t *pkt)
{
	struct dp_acquire_event ev;
	uint64_t *last;

	if (dp->acquire_sink == NULL)
		return;
	if (map >= 0 && dp->acquire_map_ns != NULL &&
	    (size_t)map < dp->cfg.n_maps)
		last = &dp->acquire_map_ns[map];
	else if (map < 0 && ifc >= 0 && dp->acquire_if_ns != NULL &&
		 (size_t)ifc < dp->cfg.n_ifs)
		last = &dp->acquire_if_ns[ifc];
	else
		return;
	/* 0 means "never"; a packet clock of 0 is taken as 1 ns. */
	if (*last != 0 && dp->now - *last < ACQUIRE_INTERVAL_NS)
		return;
	*last = dp->now != 0 ? dp->now : 1;

	memset(&ev, 0, sizeof(ev));
	if (map >= 0) {
		const struct dp_map_cfg *m = &dp->cfg.maps[map];

		memcpy(ev.map, m->map, sizeof(ev.map));
		ev.map_seq = m->seq;
		memcpy(ev.ifname, m->ifname, sizeof(ev.ifname));
	} else {
		memcpy(ev.ifname, dp->cfg.ifs[ifc].name, sizeof(ev.ifname));
	}
	memcpy(&ev.src, pkt + 12, 4);
	memcpy(&ev.dst, pkt + 16, 4);
	ev.proto = pkt[9];
	dp->acquire_sink(dp->acquire_sink_ctx, &ev);
	dp_stat_add(dp, DP_STAT_ACQUIRE_EVENTS, 1);
}
