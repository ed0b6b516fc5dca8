/*
 * IPv4 reassembly (RFC 791) with a fixed number of slots allocated at
 * creation. A slot holds one datagram being rebuilt, identified by
 * (source, destination, protocol, identification), with a bitmap of the
 * 8-octet units received. Overlapping fragments drop the whole datagram
 * (as RFC 5722 requires for IPv6; Linux does the same for IPv4), because
 * overlaps are how fragment attacks hide data.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/datapath.h"

#define MAX_DATAGRAM	65535
#define UNITS		(MAX_DATAGRAM / 8 + 1)

struct slot {
	bool used;
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	uint64_t started_ns;
	size_t hdr_len;			/* header of the first fragment */
	size_t total;			/* payload length; 0 until last seen */
	size_t received;		/* payload octets received */
	size_t max_end;			/* highest payload end seen */
	uint8_t buf[60 + MAX_DATAGRAM];
	uint64_t have[(UNITS + 63) / 64];
};

struct dp_reass {
	size_t nslots;
	uint64_t timeout_ns;
	struct slot *slots;
};

struct dp_reass *
dp_reass_create(size_t nslots, uint64_t timeout_ns)
{
	struct dp_reass *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->slots = calloc(nslots, sizeof(r->slots[0]));
	if (r->slots == NULL) {
		free(r);
		return NULL;
	}
	r->nslots = nslots;
	r->timeout_ns = timeout_ns;
	return r;
}

void
dp_reass_free(struct dp_reass *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r);
}

static void
release(struct slot *s)
{
	s->used = false;
}

size_t
dp_reass_expire(struct dp_reass *r, uint64_t now_ns)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nslots; i++) {
		struct slot *s = &r->slots[i];

		if (s->used && now_ns - s->started_ns >= r->timeout_ns) {
			release(s);
			n++;
		}
	}
	return n;
}

static struct slot *
find_slot(struct dp_reass *r, uint32_t src, uint32_t dst, uint16_t id,
	  uint8_t proto, uint64_t now_ns, enum dp_reass_status *st)
{
	struct slot *free_slot = NULL;

	for (size_t i = 0; i < r->nslots; i++) {
		struct slot *s = &r->slots[i];

		if (!s->used) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (s->src == src && s->dst == dst && s->id == id &&
		    s->proto == proto)
			return s;
	}
	if (free_slot == NULL) {
		*st = DP_REASS_NO_SLOT;
		return NULL;
	}
	memset(free_slot->have, 0, sizeof(free_slot->have));
	free_slot->used = true;
	free_slot->src = src;
	free_slot->dst = dst;
	free_slot->id = id;
	free_slot->proto = proto;
	free_slot->started_ns = now_ns;
	free_slot->hdr_len = 0;
	free_slot->total = 0;
	free_slot->received = 0;
	free_slot->max_end = 0;
	return free_slot;
}

/* Marks units [first, last] as received; false when one already was. */
static bool
mark_units(struct slot *s, size_t first, size_t last)
{
	for (size_t u = first; u <= last; u++) {
		if (s->have[u / 64] & (1ULL << (u % 64)))
			return false;
	}
	for (size_t u = first; u <= last; u++)
		s->have[u / 64] |= 1ULL << (u % 64);
	return true;
}

enum dp_reass_status
dp_reass_add(struct dp_reass *r, const uint8_t *pkt, size_t hlen, size_t len,
	  uint64_t now_ns, uint8_t **out, size_t *out_len)
{
	enum dp_reass_status st = DP_REASS_PENDING;
	uint16_t frag, id, tot;
	uint32_t src, dst;
	size_t off, plen;
	bool more;
	struct slot *s;

	memcpy(&frag, pkt + 6, 2);
	frag = ntohs(frag);
	more = frag & 0x2000;
	off = (size_t)(frag & 0x1fff) * 8;
	plen = len - hlen;
	memcpy(&id, pkt + 4, 2);
	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);

	if (more && (plen == 0 || plen % 8 != 0))
		return DP_REASS_BAD_FRAG;
	if (off + plen > MAX_DATAGRAM - hlen)
		return DP_REASS_TOO_BIG;

	s = find_slot(r, src, dst, id, pkt[9], now_ns, &st);
	if (s == NULL)
		return st;
	if (plen > 0 && !mark_units(s, off / 8, (off + plen - 1) / 8)) {
		release(s);
		return DP_REASS_OVERLAP;
	}
	if (!more) {
		if (s->total != 0 || off + plen < s->max_end) {
			release(s);
			return DP_REASS_OVERLAP;
		}
		s->total = off + plen;
	} else if (s->total != 0 && off + plen > s->total) {
		release(s);
		return DP_REASS_OVERLAP;
	}
	if (off == 0) {
		memcpy(s->buf, pkt, hlen);
		s->hdr_len = hlen;
	}
	memcpy(s->buf + 60 + off, pkt + hlen, plen);
	s->received += plen;
	if (off + plen > s->max_end)
		s->max_end = off + plen;

	if (s->total == 0 || s->hdr_len == 0 || s->received != s->total)
		return DP_REASS_PENDING;

	/* Complete: put the first header right before the payload. */
	{
		uint8_t *start = s->buf + 60 - s->hdr_len;

		memmove(start, s->buf, s->hdr_len);
		tot = htons((uint16_t)(s->hdr_len + s->total));
		memcpy(start + 2, &tot, 2);
		memset(start + 6, 0, 2);
		*out = start;
		*out_len = s->hdr_len + s->total;
	}
	release(s);
	return DP_REASS_DONE;
}
