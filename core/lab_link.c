/*
 * The links of a lab: relaying frames between the two UDP sockets of a
 * link, the faults applied on the way (loss, delay and jitter,
 * corruption, a cut, a filter), and the small match language of
 * `fault LINK drop expr "..."`.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/lab.h"

#define ETH_HLEN	14
#define ETHERTYPE_IP	0x0800
#define ETHERTYPE_VLAN	0x8100
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ESP	50
#define PORT_IKE	500
#define PORT_NATT	4500
#define MAX_QUEUED	4096
#define NS_PER_MS	1000000ULL

/* A frame held back by a `delay` fault. */
struct lab_frame {
	struct lab_frame *next;
	uint64_t due;
	int to;			/* end that receives it */
	size_t len;
	uint8_t data[];
};

uint64_t
lab_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

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

/* The fields of an IPv4 packet that match terms look at. */
struct headers {
	uint8_t proto;
	uint32_t src, dst;
	bool ports;		/* UDP or TCP with its ports present */
	uint16_t sport, dport;
	const uint8_t *l4;	/* transport payload */
	size_t l4_len;
};

/* Locates the IPv4 header of an Ethernet frame; false for anything else. */
static bool
parse_headers(const uint8_t *frame, size_t len, struct headers *h)
{
	size_t off = ETH_HLEN, hlen;
	uint16_t type;
	const uint8_t *ip;

	if (len < ETH_HLEN)
		return false;
	type = get16(frame + 12);
	while (type == ETHERTYPE_VLAN && len >= off + 4) {
		type = get16(frame + off + 2);
		off += 4;
	}
	if (type != ETHERTYPE_IP || len < off + 20)
		return false;
	ip = frame + off;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4 || hlen < 20 || len < off + hlen)
		return false;
	memset(h, 0, sizeof(*h));
	h->proto = ip[9];
	h->src = get32(ip + 12);
	h->dst = get32(ip + 16);
	h->l4 = ip + hlen;
	h->l4_len = len - off - hlen;
	/* Only a first fragment carries the transport header. */
	if ((get16(ip + 6) & 0x1fff) == 0 &&
	    (h->proto == PROTO_UDP || h->proto == PROTO_TCP) &&
	    h->l4_len >= 4) {
		h->ports = true;
		h->sport = get16(h->l4);
		h->dport = get16(h->l4 + 2);
	}
	return true;
}

static bool
udp_port(const struct headers *h, uint16_t port)
{
	return h->proto == PROTO_UDP && h->ports &&
	       (h->sport == port || h->dport == port);
}

/* UDP 4500 carries ESP when the four octets after the header are not 0. */
static bool
natt_esp(const struct headers *h)
{
	return udp_port(h, PORT_NATT) && h->l4_len >= 12 &&
	       get32(h->l4 + 8) != 0;
}

static bool
term_matches(const struct lab_term *t, const struct headers *h)
{
	switch (t->kind) {
	case LAB_TERM_PROTO:
		return h->proto == t->value;
	case LAB_TERM_PORT:
		return h->ports && (h->sport == t->value ||
				    h->dport == t->value);
	case LAB_TERM_SRC:
		return (h->src & t->mask) == t->value;
	case LAB_TERM_DST:
		return (h->dst & t->mask) == t->value;
	case LAB_TERM_HOST:
		return (h->src & t->mask) == t->value ||
		       (h->dst & t->mask) == t->value;
	case LAB_TERM_IKE:
		return udp_port(h, PORT_IKE) ||
		       (udp_port(h, PORT_NATT) && !natt_esp(h));
	case LAB_TERM_ESP:
		return h->proto == PROTO_ESP || natt_esp(h);
	}
	return false;
}

bool
lab_match_frame(const struct lab_match *m, const uint8_t *frame, size_t len)
{
	struct headers h;

	if (!parse_headers(frame, len, &h))
		return false;
	for (int i = 0; i < m->nterms; i++) {
		if (term_matches(&m->terms[i], &h) == m->terms[i].negate)
			return false;
	}
	return true;
}

static int
parse_number(const char *s, unsigned max, uint32_t *out)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || *s == '-' || n > max)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int
parse_prefix(const char *s, struct lab_term *t)
{
	char addr[32];
	const char *slash = strchr(s, '/');
	uint32_t len = 32;
	struct in_addr in;
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1 ||
	    (slash != NULL && parse_number(slash + 1, 32, &len) < 0))
		return -1;
	t->mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	t->value = ntohl(in.s_addr) & t->mask;
	return 0;
}

static int
parse_proto(const char *s, uint32_t *out)
{
	static const struct {
		const char *name;
		uint32_t number;
	} names[] = {
		{ "icmp", 1 }, { "tcp", PROTO_TCP }, { "udp", PROTO_UDP },
		{ "gre", 47 }, { "esp", PROTO_ESP }, { "ah", 51 },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].number;
			return 0;
		}
	}
	return parse_number(s, 255, out);
}

/* Parses one term starting at WORDS[*I]; advances *I past it. */
static int
parse_term(char **words, int nwords, int *i, struct lab_term *t, char *err,
	   size_t errlen)
{
	const char *w;

	memset(t, 0, sizeof(*t));
	if (*i < nwords && strcmp(words[*i], "not") == 0) {
		t->negate = true;
		(*i)++;
	}
	if (*i >= nwords) {
		snprintf(err, errlen, "expression ends where a term is "
			 "expected");
		return -1;
	}
	w = words[(*i)++];
	if (strcmp(w, "ike") == 0) {
		t->kind = LAB_TERM_IKE;
		return 0;
	}
	if (strcmp(w, "esp") == 0) {
		t->kind = LAB_TERM_ESP;
		return 0;
	}
	if (*i >= nwords) {
		snprintf(err, errlen, "\"%s\" needs a value", w);
		return -1;
	}
	if (strcmp(w, "proto") == 0) {
		t->kind = LAB_TERM_PROTO;
		if (parse_proto(words[*i], &t->value) == 0)
			goto ok;
		snprintf(err, errlen, "invalid protocol \"%s\": expected "
			 "icmp, tcp, udp, gre, esp, ah or 0-255", words[*i]);
		return -1;
	}
	if (strcmp(w, "port") == 0) {
		t->kind = LAB_TERM_PORT;
		if (parse_number(words[*i], 65535, &t->value) == 0)
			goto ok;
		snprintf(err, errlen, "invalid port \"%s\": expected 0-65535",
			 words[*i]);
		return -1;
	}
	if (strcmp(w, "src") == 0)
		t->kind = LAB_TERM_SRC;
	else if (strcmp(w, "dst") == 0)
		t->kind = LAB_TERM_DST;
	else if (strcmp(w, "host") == 0)
		t->kind = LAB_TERM_HOST;
	else {
		snprintf(err, errlen, "unknown term \"%s\": expected proto, "
			 "port, src, dst, host, ike or esp", w);
		return -1;
	}
	if (parse_prefix(words[*i], t) < 0) {
		snprintf(err, errlen, "invalid address \"%s\": expected "
			 "A.B.C.D or A.B.C.D/LEN", words[*i]);
		return -1;
	}
ok:
	(*i)++;
	return 0;
}

int
lab_match_parse(struct lab_match *m, const char *text, char *err,
		size_t errlen)
{
	char buf[256], *words[64], *save = NULL, *w;
	int nwords = 0, i = 0;

	memset(m, 0, sizeof(*m));
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "expression too long (at most %zu "
			 "characters)", sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, text);
	for (w = strtok_r(buf, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		if (nwords == 64) {
			snprintf(err, errlen, "expression too long");
			return -1;
		}
		words[nwords++] = w;
	}
	if (nwords == 0) {
		snprintf(err, errlen, "empty expression");
		return -1;
	}
	for (;;) {
		if (m->nterms == LAB_MAX_TERMS) {
			snprintf(err, errlen, "too many terms (at most %d)",
				 LAB_MAX_TERMS);
			return -1;
		}
		if (parse_term(words, nwords, &i, &m->terms[m->nterms], err,
			       errlen) < 0)
			return -1;
		m->nterms++;
		if (i == nwords)
			return 0;
		if (strcmp(words[i], "and") != 0) {
			snprintf(err, errlen, "expected \"and\" before \"%s\"",
				 words[i]);
			return -1;
		}
		i++;
	}
}

/* A pseudo-random number from the lab's xorshift32 state. */
static uint32_t
next_random(struct lab *lab)
{
	uint32_t x = lab->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	lab->rng = x;
	return x;
}

static bool
chance(struct lab *lab, unsigned pct)
{
	return pct > 0 && next_random(lab) % 100 < pct;
}

static void
send_frame(struct lab_link *link, int to, const uint8_t *frame, size_t len)
{
	if (!link->peer_known[to]) {
		link->stats[1 - to].no_peer++;
		return;
	}
	/* A full socket buffer loses the frame as a busy cable would. */
	(void)sendto(link->fd[to], frame, len, MSG_DONTWAIT,
		     (const struct sockaddr *)&link->peer[to],
		     sizeof(link->peer[to]));
	link->stats[1 - to].relayed++;
}

static void
enqueue(struct lab *lab, struct lab_link *link, int to, const uint8_t *frame,
	size_t len, uint64_t now)
{
	const struct lab_fault *f = &link->fault;
	struct lab_frame *q, **pos;
	uint64_t delay = (uint64_t)f->delay_ms * NS_PER_MS;

	if (f->jitter_ms > 0) {
		uint64_t span = 2 * (uint64_t)f->jitter_ms + 1;
		int64_t j = (int64_t)(next_random(lab) % span) -
			    (int64_t)f->jitter_ms;

		if (j < 0 && (uint64_t)-j > delay)
			delay = 0;
		else
			delay = (uint64_t)((int64_t)delay + j * (int64_t)NS_PER_MS);
	}
	if (link->queued >= MAX_QUEUED ||
	    (q = malloc(sizeof(*q) + len)) == NULL) {
		link->stats[1 - to].overflow++;
		return;
	}
	q->due = now + delay;
	q->to = to;
	q->len = len;
	memcpy(q->data, frame, len);
	/* Jitter may reorder frames, as it does on a real path. */
	for (pos = &link->queue; *pos != NULL && (*pos)->due <= q->due;
	     pos = &(*pos)->next)
		;
	q->next = *pos;
	*pos = q;
	link->queued++;
	link->stats[1 - to].delayed++;
}

void
lab_link_frame(struct lab *lab, struct lab_link *link, int from,
	       uint8_t *frame, size_t len, uint64_t now)
{
	struct lab_fault *f = &link->fault;
	struct lab_link_stats *st = &link->stats[from];
	int to = 1 - from;

	if (f->cut) {
		st->cut++;
		return;
	}
	if (f->drop && lab_match_frame(&f->drop_match, frame, len)) {
		st->filtered++;
		return;
	}
	if (chance(lab, f->loss_pct)) {
		st->lost++;
		return;
	}
	if (len > ETH_HLEN && chance(lab, f->corrupt_pct)) {
		/* One flipped bit past the Ethernet header. */
		size_t at = ETH_HLEN + next_random(lab) % (len - ETH_HLEN);

		frame[at] ^= (uint8_t)(1u << (next_random(lab) % 8));
		st->corrupted++;
	}
	if (f->delay_ms > 0 || f->jitter_ms > 0) {
		enqueue(lab, link, to, frame, len, now);
		return;
	}
	send_frame(link, to, frame, len);
}

uint64_t
lab_link_flush(struct lab *lab, struct lab_link *link, uint64_t now)
{
	struct lab_frame *q;

	(void)lab;
	while ((q = link->queue) != NULL && q->due <= now) {
		link->queue = q->next;
		link->queued--;
		send_frame(link, q->to, q->data, q->len);
		free(q);
	}
	return link->queue != NULL ? link->queue->due : 0;
}

void
lab_link_drain(struct lab_link *link)
{
	struct lab_frame *q;

	while ((q = link->queue) != NULL) {
		link->queue = q->next;
		free(q);
	}
	link->queued = 0;
}

/* Ends the fault timed by *UNTIL when due; keeps *NEXT the earliest end. */
static bool
expired(uint64_t *until, uint64_t now, uint64_t *next)
{
	if (*until == 0)
		return false;
	if (*until <= now) {
		*until = 0;
		return true;
	}
	if (*next == 0 || *until < *next)
		*next = *until;
	return false;
}

uint64_t
lab_fault_expire(struct lab_link *link, uint64_t now)
{
	struct lab_fault *f = &link->fault;
	uint64_t next = 0;

	if (expired(&f->loss_until, now, &next))
		f->loss_pct = 0;
	if (expired(&f->delay_until, now, &next))
		f->delay_ms = f->jitter_ms = 0;
	if (expired(&f->corrupt_until, now, &next))
		f->corrupt_pct = 0;
	if (expired(&f->cut_until, now, &next))
		f->cut = false;
	if (expired(&f->drop_until, now, &next))
		f->drop = false;
	return next;
}
