/*
 * Embedded packet capture, as IOS XE's `monitor capture`: capture points
 * bound to an interface and direction copy matching packets into a
 * linear buffer until it is full. The capture points belong to the
 * datapath thread; other threads change them and read their buffers
 * through dp_capture_op() and dp_capture_snapshot().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "datapath/dp_private.h"

/* Header of one packet in a capture buffer; the packet follows. */
struct record {
	uint64_t time_ns;
	uint32_t len;
	uint32_t out;
};

static size_t
record_size(size_t len)
{
	return (sizeof(struct record) + len + 7) & ~(size_t)7;
}

static struct dp_capture *
find(struct dp *dp, const char *name)
{
	for (size_t i = 0; i < DP_CAPTURE_MAX; i++) {
		if (dp->captures[i].defined &&
		    strcmp(dp->captures[i].cfg.name, name) == 0)
			return &dp->captures[i];
	}
	return NULL;
}

static void
count_active(struct dp *dp)
{
	dp->n_captures_active = 0;
	for (size_t i = 0; i < DP_CAPTURE_MAX; i++)
		dp->n_captures_active += dp->captures[i].active;
}

static void
merge(struct dp_capture_cfg *to, const struct dp_capture_cfg *from)
{
	if (from->ifname[0] != '\0') {
		memcpy(to->ifname, from->ifname, sizeof(to->ifname));
		to->dir = from->dir;
	}
	if (from->match_any) {
		to->match_any = true;
		to->acl[0] = '\0';
	}
	if (from->acl[0] != '\0') {
		memcpy(to->acl, from->acl, sizeof(to->acl));
		to->match_any = false;
	}
	if (from->buffer_bytes != 0)
		to->buffer_bytes = from->buffer_bytes;
}

int
dp_capture_apply(struct dp *dp, enum dp_capture_op op,
		 const struct dp_capture_cfg *cfg, char *err, size_t errlen)
{
	struct dp_capture *c = find(dp, cfg->name);

	if (c == NULL && op != DP_CAPTURE_SET) {
		snprintf(err, errlen, "Capture point %s does not exist",
			 cfg->name);
		return -1;
	}
	switch (op) {
	case DP_CAPTURE_SET:
		if (c == NULL) {
			for (size_t i = 0; i < DP_CAPTURE_MAX && c == NULL; i++)
				if (!dp->captures[i].defined)
					c = &dp->captures[i];
			if (c == NULL) {
				snprintf(err, errlen, "At most %d capture "
					 "points", DP_CAPTURE_MAX);
				return -1;
			}
			memset(c, 0, sizeof(*c));
			c->defined = true;
			c->stat = -1;
			memcpy(c->cfg.name, cfg->name, sizeof(c->cfg.name));
			c->cfg.buffer_bytes = DP_CAPTURE_BUFFER_DEFAULT;
		}
		if (c->active) {
			snprintf(err, errlen, "Capture point %s is active; "
				 "stop it first", cfg->name);
			return -1;
		}
		merge(&c->cfg, cfg);
		return 0;
	case DP_CAPTURE_START:
		if (c->cfg.ifname[0] == '\0' ||
		    (!c->cfg.match_any && c->cfg.acl[0] == '\0')) {
			snprintf(err, errlen, "Capture point %s needs an "
				 "interface and a match before it starts",
				 cfg->name);
			return -1;
		}
		if (c->buf == NULL || c->cap != c->cfg.buffer_bytes) {
			free(c->buf);
			c->buf = malloc(c->cfg.buffer_bytes);
			c->cap = c->buf != NULL ? c->cfg.buffer_bytes : 0;
			c->used = 0;
			c->n = 0;
		}
		if (c->buf == NULL) {
			snprintf(err, errlen, "No memory for a %u-byte buffer",
				 c->cfg.buffer_bytes);
			return -1;
		}
		c->stat = dp_ifstat_index(dp, c->cfg.ifname);
		c->active = true;
		break;
	case DP_CAPTURE_STOP:
		c->active = false;
		break;
	case DP_CAPTURE_CLEAR:
		c->used = 0;
		c->n = 0;
		c->full = false;
		c->dropped = 0;
		break;
	case DP_CAPTURE_DELETE:
		free(c->buf);
		memset(c, 0, sizeof(*c));
		break;
	}
	count_active(dp);
	return 0;
}

void
dp_capture_packet(struct dp *dp, int stat, bool out, const uint8_t *pkt,
		  size_t len)
{
	for (size_t i = 0; i < DP_CAPTURE_MAX; i++) {
		struct dp_capture *c = &dp->captures[i];
		struct record r;
		struct timespec ts;
		size_t need = record_size(len);

		if (!c->active || c->stat != stat || stat < 0 ||
		    !(c->cfg.dir & (out ? DP_CAPTURE_OUT : DP_CAPTURE_IN)))
			continue;
		if (!c->cfg.match_any &&
		    (len < 20 || pkt[0] >> 4 != 4 ||
		     dp_acl_permits(dp, c->cfg.acl, pkt, len) != 1))
			continue;
		if (c->used + need > c->cap) {
			c->full = true;
			c->dropped++;
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		r.time_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
			    (uint64_t)ts.tv_nsec;
		r.len = (uint32_t)len;
		r.out = out;
		memcpy(c->buf + c->used, &r, sizeof(r));
		memcpy(c->buf + c->used + sizeof(r), pkt, len);
		c->used += need;
		c->n++;
	}
}

int
dp_capture_copy(struct dp *dp, const char *name,
		struct dp_capture_snapshot *out, char *err, size_t errlen)
{
	struct dp_capture *c = find(dp, name);
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (c == NULL) {
		snprintf(err, errlen, "Capture point %s does not exist", name);
		return -1;
	}
	out->cfg = c->cfg;
	out->active = c->active;
	out->full = c->full;
	out->dropped = c->dropped;
	out->bytes = malloc(c->used ? c->used : 1);
	out->pkts = calloc(c->n ? c->n : 1, sizeof(out->pkts[0]));
	if (out->bytes == NULL || out->pkts == NULL) {
		dp_capture_snapshot_free(out);
		snprintf(err, errlen, "Out of memory");
		return -1;
	}
	memcpy(out->bytes, c->buf, c->used);
	for (size_t i = 0; i < c->n; i++) {
		struct record r;

		memcpy(&r, out->bytes + off, sizeof(r));
		out->pkts[i].time_ns = r.time_ns;
		out->pkts[i].len = r.len;
		out->pkts[i].out = r.out;
		out->pkts[i].data = out->bytes + off + sizeof(r);
		off += record_size(r.len);
	}
	out->n = c->n;
	return 0;
}

void
dp_capture_snapshot_free(struct dp_capture_snapshot *s)
{
	free(s->pkts);
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

void
dp_capture_free_all(struct dp *dp)
{
	for (size_t i = 0; i < DP_CAPTURE_MAX; i++)
		free(dp->captures[i].buf);
}

int
dp_capture_export(const struct dp_capture_snapshot *s, const char *path,
		  char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *d;

	if (p == NULL) {
		snprintf(err, errlen, "pcap_open_dead failed");
		return -1;
	}
	d = pcap_dump_open(p, path);
	if (d == NULL) {
		snprintf(err, errlen, "%s", pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct pcap_pkthdr h = {
			.ts.tv_sec = (time_t)(s->pkts[i].time_ns / 1000000000),
			.ts.tv_usec = (suseconds_t)(s->pkts[i].time_ns %
						    1000000000 / 1000),
			.caplen = s->pkts[i].len,
			.len = s->pkts[i].len,
		};

		pcap_dump((u_char *)d, &h, s->pkts[i].data);
	}
	if (pcap_dump_flush(d) < 0) {
		snprintf(err, errlen, "writing %s failed", path);
		pcap_dump_close(d);
		pcap_close(p);
		return -1;
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}
