/*
 * NHRP (RFC 2332) as Cisco DMVPN runs it over multipoint GRE (GRE
 * protocol type 0x2001): a spoke registers its tunnel address and NBMA
 * address with each next hop server (`ip nhrp nhs`) and renews the
 * registration every third of its holding time; a hub replies to
 * registrations and keeps the spokes as dynamic cache entries until
 * their holding time runs out or a purge request removes them.
 *
 * NHRP lives in the datapath thread because the packets arrive there,
 * inside GRE and ESP, and because every packet routed into an mGRE
 * tunnel looks its NBMA address up in the cache: no lock is needed.
 *
 * With `ip nhrp shortcut`, a spoke that routes a packet to a tunnel
 * address it has no entry for sends the packet to its next hop server
 * and a resolution request for the address; the server replies from its
 * cache, and the spoke then sends to the resolved NBMA address directly.
 *
 * On a protected tunnel the packets keep going through the server until
 * the SAs with the resolved peer are up.
 *
 * NOTE: traffic indications (`ip nhrp redirect`) are not sent.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/log.h"
#include "datapath/dp_private.h"

#define ETH_P_IP	0x0800
#define ETH_P_NHRP	0x2001

/* Packet types (RFC 2332 section 5). */
#define NHRP_RES_REQUEST	1
#define NHRP_RES_REPLY		2
#define NHRP_REG_REQUEST	3
#define NHRP_REG_REPLY		4
#define NHRP_PURGE_REQUEST	5
#define NHRP_PURGE_REPLY	6
#define NHRP_ERROR		7

#define NHRP_FLAG_UNIQUE	0x8000	/* registration: U bit */
#define NHRP_FLAG_NO_REPLY	0x8000	/* purge: N bit */

/* CIE codes of a registration reply. */
#define NHRP_CODE_SUCCESS	0
#define NHRP_CODE_UNIQUE_TAKEN	14	/* address already registered */
#define NHRP_CODE_NO_BINDING	12	/* resolution: no such entry */

#define NHRP_EXT_COMPULSORY	0x8000
#define NHRP_EXT_END		0
#define NHRP_EXT_AUTH		7

#define FIXED_LEN	20		/* fixed header */
#define MAND_LEN	20		/* mandatory part with IPv4 addresses */
#define CIE_LEN		20		/* a CIE with IPv4 client addresses */
#define NHRP_MTU	1514		/* what IOS puts in its CIE */
#define PKT_MAX		128		/* largest packet this file builds */

#define NS		1000000000ULL
#define RETRY_FIRST_NS	(1 * NS)
#define RETRY_MAX_NS	(32 * NS)
#define DYNAMIC_MAX	1024
#define RESOLVE_MAX	64		/* resolutions in flight */
#define RESOLVE_TRIES	3

/* Registration with one next hop server. */
struct nhs_state {
	char ifname[DP_IFNAME_MAX];
	uint32_t addr, nbma;
	uint32_t request_id;		/* of the request in flight */
	uint64_t next_ns;		/* when to send next; 0: now */
	uint64_t retry_ns;		/* current backoff */
	uint64_t reply_ns;		/* last good reply; 0: none */
	uint64_t created_ns;
	uint64_t updown_ns;
	bool registered;
};

struct dyn_entry {
	char ifname[DP_IFNAME_MAX];
	uint32_t addr, nbma;
	bool unique;
	bool shortcut;			/* from a resolution reply */
	uint16_t holdtime;
	uint64_t created_ns, expires_ns;
};

/* A resolution request in flight. */
struct resolution {
	char ifname[DP_IFNAME_MAX];
	uint32_t addr;			/* tunnel address to resolve */
	uint32_t request_id;		/* 0 until sent */
	uint64_t next_ns;
	unsigned tries;
};

struct dp_nhrp {
	struct resolution resolving[RESOLVE_MAX];
	size_t n_resolving;
	struct nhs_state *nhs;
	size_t n_nhs;
	struct dyn_entry *dyn;
	size_t n_dyn;
	uint64_t config_ns;		/* when the static rows appeared */
	uint32_t next_request_id;
	struct dp_nhrp_stats stats;
};

/* An NHRP packet taken apart; the addresses in network order. */
struct nhrp_msg {
	uint8_t type;
	uint8_t hops;
	uint16_t flags;
	uint32_t request_id;
	uint32_t src_nbma, src_addr, dst_addr;
	/* The first CIE. */
	bool has_cie;
	uint8_t code, prefix;
	uint16_t holdtime;
	uint32_t cli_nbma, cli_addr;
	/* Authentication extension: a clear-text password (SPI 1). */
	bool has_auth;
	char auth[9];
};

static struct dp_nhrp *
state(struct dp *dp)
{
	if (dp->nhrp == NULL)
		dp->nhrp = calloc(1, sizeof(*dp->nhrp));
	return dp->nhrp;
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static bool
runs_nhrp(const struct dp_if_cfg *t)
{
	return t->tunnel == DP_TUNNEL_MGRE && !t->shutdown &&
	       t->nhrp_network_id != 0;
}

/*
 * Logs the DMVPN message ID about the peer (PEER, PEER_NBMA) of tunnel
 * T as seen from this router; REASON is for the DOWN messages.
 */
static void
log_peer(struct dp *dp, enum log_msg_id id, const struct dp_if_cfg *t,
	 uint32_t peer, uint32_t peer_nbma, const char *reason)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	char c[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	uint32_t own_nbma = dp_tunnel_source(dp, t);

	inet_ntop(AF_INET, &peer, a, sizeof(a));
	inet_ntop(AF_INET, &peer_nbma, b, sizeof(b));
	inet_ntop(AF_INET, &t->addr, c, sizeof(c));
	inet_ntop(AF_INET, &own_nbma, d, sizeof(d));
	if (id == LOGMSG_DMVPN_NHRP_NHS_DOWN)
		log_msg(LOGMSG_DMVPN_NHRP_NHS_DOWN, "%s: Next Hop Server : "
			"(Tunnel: %s NBMA: %s ) for (Tunnel: %s NBMA: %s ) is "
			"DOWN, Reason: %s", t->name, a, b, c, d, reason);
	else if (id == LOGMSG_DMVPN_NHRP_NHC_DOWN)
		log_msg(LOGMSG_DMVPN_NHRP_NHC_DOWN, "%s: Next Hop Client : "
			"(Tunnel: %s NBMA: %s ) for (Tunnel: %s NBMA: %s ) is "
			"DOWN, Reason: %s", t->name, a, b, c, d, reason);
	else if (id == LOGMSG_DMVPN_NHRP_NHS_UP)
		log_msg(LOGMSG_DMVPN_NHRP_NHS_UP, "%s: Next Hop Server : "
			"(Tunnel: %s NBMA: %s ) for (Tunnel: %s NBMA: %s ) is "
			"UP", t->name, a, b, c, d);
	else
		log_msg(LOGMSG_DMVPN_NHRP_NHC_UP, "%s: Next Hop Client : "
			"(Tunnel: %s NBMA: %s ) for (Tunnel: %s NBMA: %s ) is "
			"UP", t->name, a, b, c, d);
}

/* ---- configuration ---- */

static const char *
leaf(const struct lyd_node *n, const char *path)
{
	struct lyd_node *l = NULL;

	if (lyd_find_path(n, path, 0, &l) != LY_SUCCESS || l == NULL)
		return NULL;
	return lyd_get_value(l);
}

void
dp_nhrp_extract(const struct lyd_node *n, struct dp_if_cfg *ifc)
{
	struct lyd_node *nhrp = NULL, *c;
	const char *v;

	ifc->nhrp_holdtime = DP_NHRP_HOLDTIME_DEFAULT;
	if (lyd_find_path(n, "nhrp", 0, &nhrp) != LY_SUCCESS || nhrp == NULL)
		return;
	if ((v = leaf(nhrp, "network-id")) != NULL)
		ifc->nhrp_network_id = (uint32_t)strtoul(v, NULL, 10);
	if ((v = leaf(nhrp, "holdtime")) != NULL)
		ifc->nhrp_holdtime = (uint16_t)strtoul(v, NULL, 10);
	if ((v = leaf(nhrp, "authentication")) != NULL)
		snprintf(ifc->nhrp_auth, sizeof(ifc->nhrp_auth), "%s", v);
	ifc->nhrp_no_unique = leaf(nhrp, "registration-no-unique") != NULL;
	ifc->nhrp_shortcut = leaf(nhrp, "shortcut") != NULL;
	LY_LIST_FOR(lyd_child(nhrp), c) {
		struct dp_nhrp_map *m = &ifc->nhs[ifc->n_nhs];

		if (strcmp(LYD_NAME(c), "nhs") != 0 ||
		    ifc->n_nhs == DP_NHS_MAX)
			continue;
		v = leaf(c, "address");
		if (v == NULL || inet_pton(AF_INET, v, &m->addr) != 1)
			continue;
		m->nbma = 0;
		v = leaf(c, "nbma");
		if (v != NULL && inet_pton(AF_INET, v, &m->nbma) != 1)
			continue;
		ifc->n_nhs++;
	}
}

/* The NBMA address of ADDR from T's static maps and NHS settings. */
static uint32_t
static_nbma(const struct dp_if_cfg *t, uint32_t addr)
{
	for (size_t i = 0; i < t->n_nhrp; i++)
		if (t->nhrp[i].addr == addr)
			return t->nhrp[i].nbma;
	for (size_t i = 0; i < t->n_nhs; i++)
		if (t->nhs[i].addr == addr && t->nhs[i].nbma != 0)
			return t->nhs[i].nbma;
	return 0;
}

static struct nhs_state *
find_nhs(struct nhs_state *v, size_t n, const char *ifname, uint32_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].addr == addr && strcmp(v[i].ifname, ifname) == 0)
			return &v[i];
	return NULL;
}

static const struct dp_if_cfg *
find_tunnel(const struct dp *dp, const char *ifname)
{
	const struct dp_if_cfg *t = dp_tunnel_if(dp, ifname);

	return t != NULL && runs_nhrp(t) ? t : NULL;
}

void
dp_nhrp_reset(struct dp *dp)
{
	struct dp_nhrp *st = state(dp);
	struct nhs_state *nhs = NULL;
	size_t n = 0, kept = 0;
	uint64_t now = dp_now_ns();

	if (st == NULL)
		return;
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		const struct dp_if_cfg *t = &dp->cfg.ifs[i];

		if (runs_nhrp(t))
			n += t->n_nhs;
	}
	if (n > 0 && (nhs = calloc(n, sizeof(*nhs))) == NULL)
		return;
	n = 0;
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		const struct dp_if_cfg *t = &dp->cfg.ifs[i];

		for (size_t k = 0; runs_nhrp(t) && k < t->n_nhs; k++) {
			struct nhs_state *old, *s = &nhs[n++];

			old = find_nhs(st->nhs, st->n_nhs, t->name,
				       t->nhs[k].addr);
			if (old != NULL &&
			    old->nbma == static_nbma(t, t->nhs[k].addr)) {
				*s = *old;
				continue;
			}
			snprintf(s->ifname, sizeof(s->ifname), "%s", t->name);
			s->addr = t->nhs[k].addr;
			s->nbma = static_nbma(t, s->addr);
			s->created_ns = now;
			s->updown_ns = now;
		}
	}
	free(st->nhs);
	st->nhs = nhs;
	st->n_nhs = n;
	st->n_resolving = 0;
	if (st->config_ns == 0)
		st->config_ns = now;
	/* Dynamic entries stay while their tunnel runs NHRP. */
	for (size_t i = 0; i < st->n_dyn; i++)
		if (find_tunnel(dp, st->dyn[i].ifname) != NULL)
			st->dyn[kept++] = st->dyn[i];
	st->n_dyn = kept;
}

void
dp_nhrp_free(struct dp *dp)
{
	if (dp->nhrp == NULL)
		return;
	free(dp->nhrp->nhs);
	free(dp->nhrp->dyn);
	free(dp->nhrp);
	dp->nhrp = NULL;
}

/* NOTE: a linear search, run for every packet routed into an mGRE
 * tunnel without a static map for its next hop; a hub with hundreds of
 * spokes would want a hash table here. */
static struct dyn_entry *
find_dyn(struct dp_nhrp *st, const char *ifname, uint32_t addr)
{
	for (size_t i = 0; st != NULL && i < st->n_dyn; i++)
		if (st->dyn[i].addr == addr &&
		    strcmp(st->dyn[i].ifname, ifname) == 0)
			return &st->dyn[i];
	return NULL;
}

/* The NBMA address of T's first next hop server, or 0. */
static uint32_t
first_nhs(const struct dp_if_cfg *t)
{
	for (size_t i = 0; i < t->n_nhs; i++) {
		uint32_t nbma = static_nbma(t, t->nhs[i].addr);

		if (nbma != 0)
			return nbma;
	}
	return 0;
}

/* Queues a resolution request for ADDR on T unless one is in flight. */
static void
queue_resolution(struct dp_nhrp *st, const struct dp_if_cfg *t, uint32_t addr)
{
	struct resolution *r;

	for (size_t i = 0; i < st->n_resolving; i++)
		if (st->resolving[i].addr == addr &&
		    strcmp(st->resolving[i].ifname, t->name) == 0)
			return;
	if (st->n_resolving == RESOLVE_MAX)
		return;
	r = &st->resolving[st->n_resolving++];
	memset(r, 0, sizeof(*r));
	snprintf(r->ifname, sizeof(r->ifname), "%s", t->name);
	r->addr = addr;
}

/* Raises an acquire event for the SAs with NBMA address PEER of T. */
static void
acquire_peer(struct dp *dp, const struct dp_if_cfg *t, uint32_t peer)
{
	uint8_t hdr[20] = { 0x45 };
	uint32_t src = dp_tunnel_source(dp, t);

	/* The event takes the addresses from a GRE packet's header. */
	hdr[9] = 47;
	memcpy(hdr + 12, &src, 4);
	memcpy(hdr + 16, &peer, 4);
	dp_acquire(dp, -1, (int)(t - dp->cfg.ifs), hdr);
}

uint32_t
dp_nhrp_resolve(struct dp *dp, const struct dp_if_cfg *t, uint32_t addr)
{
	uint32_t nbma = static_nbma(t, addr), mask;
	struct dyn_entry *d;

	if (nbma != 0 || !runs_nhrp(t))
		return nbma;
	d = find_dyn(dp->nhrp, t->name, addr);
	/* A resolved peer without an SA yet is reached through the server
	 * while IKE brings the SAs up. */
	if (d != NULL && (!d->shortcut || t->protection[0] == '\0' ||
			  dp_tunnel_has_sa(dp, t, d->nbma)))
		return d->nbma;
	if (d != NULL)
		acquire_peer(dp, t, d->nbma);
	/* Other tunnel addresses are reached through the next hop server,
	 * and with `ip nhrp shortcut` resolved meanwhile. */
	mask = t->plen == 0 ? 0 : htonl(~0u << (32 - t->plen));
	if ((addr & mask) != (t->addr & mask) || addr == t->addr)
		return 0;
	if (t->nhrp_shortcut && d == NULL && dp->nhrp != NULL)
		queue_resolution(dp->nhrp, t, addr);
	return first_nhs(t);
}

/* ---- packets ---- */

/* RFC 1071 checksum over the whole NHRP packet. */
static uint16_t
checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Reads the extensions at P[0..LEN) into M; false when malformed. */
static bool
parse_extensions(const uint8_t *p, size_t len, struct nhrp_msg *m)
{
	size_t off = 0;

	while (off + 4 <= len) {
		uint16_t type = dp_get16(p + off) & ~NHRP_EXT_COMPULSORY;
		size_t elen = dp_get16(p + off + 2);

		if (off + 4 + elen > len)
			return false;
		if (type == NHRP_EXT_END)
			return true;
		if (type == NHRP_EXT_AUTH) {
			/* Reserved (2), SPI (2), then the password. */
			if (elen < 4 || dp_get16(p + off + 6) != 1 ||
			    elen - 4 >= sizeof(m->auth))
				return false;
			memcpy(m->auth, p + off + 8, elen - 4);
			m->auth[elen - 4] = '\0';
			m->has_auth = true;
		}
		off += 4 + elen;
	}
	return off == len;
}

/*
 * Takes an NHRP packet apart. Only IPv4 over IPv4 with 4-octet NBMA
 * addresses and no subaddresses is accepted, which is what DMVPN sends.
 */
static bool
parse(const uint8_t *p, size_t len, struct nhrp_msg *m)
{
	size_t size, ext, off;

	memset(m, 0, sizeof(*m));
	if (len < FIXED_LEN + MAND_LEN)
		return false;
	size = dp_get16(p + 10);
	ext = dp_get16(p + 14);
	if (dp_get16(p) != 1 || dp_get16(p + 2) != ETH_P_IP || p[16] != 1 ||
	    size < FIXED_LEN + MAND_LEN || size > len ||
	    checksum(p, size) != 0 || p[18] != 4 || p[19] != 0 ||
	    p[20] != 4 || p[21] != 4)
		return false;
	if (ext != 0 && (ext < FIXED_LEN + MAND_LEN || ext > size))
		return false;
	m->type = p[17];
	m->hops = p[9];
	m->flags = dp_get16(p + 22);
	memcpy(&m->request_id, p + 24, 4);
	m->request_id = ntohl(m->request_id);
	m->src_nbma = get32(p + 28);
	m->src_addr = get32(p + 32);
	m->dst_addr = get32(p + 36);
	off = FIXED_LEN + MAND_LEN;
	if ((ext != 0 ? ext : size) >= off + 12) {
		const uint8_t *c = p + off;
		size_t need = 12 + c[8] + c[9] + c[10];

		if ((c[8] != 0 && c[8] != 4) || c[9] != 0 ||
		    (c[10] != 0 && c[10] != 4) ||
		    off + need > (ext != 0 ? ext : size))
			return false;
		m->has_cie = true;
		m->code = c[0];
		m->prefix = c[1];
		m->holdtime = dp_get16(c + 6);
		if (c[8] == 4)
			m->cli_nbma = get32(c + 12);
		if (c[10] == 4)
			m->cli_addr = get32(c + 12 + c[8]);
	}
	return ext == 0 || parse_extensions(p + ext, size - ext, m);
}

/* Appends the authentication extension (when set) and the end. */
static size_t
put_extensions(uint8_t *p, size_t off, const char *auth)
{
	size_t alen = strlen(auth);

	if (alen > 0) {
		dp_put16(p + off, NHRP_EXT_COMPULSORY | NHRP_EXT_AUTH);
		dp_put16(p + off + 2, (uint16_t)(4 + alen));
		dp_put16(p + off + 4, 0);
		dp_put16(p + off + 6, 1);
		memcpy(p + off + 8, auth, alen);
		off += 8 + alen;
	}
	dp_put16(p + off, NHRP_EXT_COMPULSORY | NHRP_EXT_END);
	dp_put16(p + off + 2, 0);
	return off + 4;
}

/* Sets the size and checksum of the packet P of LEN octets. */
static void
finish(uint8_t *p, size_t len)
{
	dp_put16(p + 10, (uint16_t)len);
	dp_put16(p + 12, 0);
	dp_put16(p + 12, checksum(p, len));
}

/* The CIE of a packet; a client address of 0 is left out. */
struct cie {
	uint8_t code;
	uint16_t holdtime;
	uint32_t nbma, addr;
};

/* Builds a packet of TYPE with the one CIE CIE; returns its length. */
static size_t
build_cie(uint8_t *p, uint8_t type, uint16_t flags, uint32_t request_id,
	  uint32_t src_nbma, uint32_t src_addr, uint32_t dst_addr,
	  const struct cie *cie, const char *auth)
{
	uint8_t *c = p + FIXED_LEN + MAND_LEN;
	size_t len = FIXED_LEN + MAND_LEN + 12;

	memset(p, 0, FIXED_LEN + MAND_LEN + CIE_LEN);
	dp_put16(p, 1);				/* AFN: IPv4 NBMA */
	dp_put16(p + 2, ETH_P_IP);
	p[9] = 255;				/* hop count */
	p[16] = 1;				/* version */
	p[17] = type;
	p[18] = 4;				/* NBMA address length */
	p[20] = 4;				/* source protocol length */
	p[21] = 4;				/* destination protocol length */
	dp_put16(p + 22, flags);
	put32(p + 24, htonl(request_id));
	put32(p + 28, src_nbma);
	put32(p + 32, src_addr);
	put32(p + 36, dst_addr);
	c[0] = cie->code;
	c[1] = 32;				/* prefix length */
	dp_put16(c + 4, NHRP_MTU);
	dp_put16(c + 6, cie->holdtime);
	if (cie->nbma != 0) {
		c[8] = 4;
		put32(p + len, cie->nbma);
		len += 4;
	}
	if (cie->addr != 0) {
		c[10] = 4;
		put32(p + len, cie->addr);
		len += 4;
	}
	dp_put16(p + 14, (uint16_t)len);	/* extension offset */
	len = put_extensions(p, len, auth);
	finish(p, len);
	return len;
}

/*
 * Builds a packet of TYPE with one CIE of code CODE whose client is the
 * source, as a registration or its reply carries it. Returns its length.
 */
static size_t
build(uint8_t *p, uint8_t type, uint16_t flags, uint32_t request_id,
      uint32_t src_nbma, uint32_t src_addr, uint32_t dst_addr, uint8_t code,
      uint16_t holdtime, const char *auth)
{
	struct cie c = { code, holdtime, src_nbma, src_addr };

	return build_cie(p, type, flags, request_id, src_nbma, src_addr,
			 dst_addr, &c, auth);
}

static void
send_to(struct dp *dp, const struct dp_if_cfg *t, const uint8_t *p,
	size_t len, uint32_t nbma)
{
	if (dp_tunnel_send(dp, t, ETH_P_NHRP, p, len, nbma, 0) < 0)
		dp->nhrp->stats.send_failed++;
}

static void
send_registration(struct dp *dp, const struct dp_if_cfg *t,
		  struct nhs_state *s)
{
	uint8_t p[PKT_MAX];
	size_t len;

	s->request_id = ++dp->nhrp->next_request_id;
	len = build(p, NHRP_REG_REQUEST,
		    t->nhrp_no_unique ? 0 : NHRP_FLAG_UNIQUE, s->request_id,
		    dp_tunnel_source(dp, t), t->addr, s->addr,
		    NHRP_CODE_SUCCESS, t->nhrp_holdtime, t->nhrp_auth);
	dp->nhrp->stats.reg_req_sent++;
	send_to(dp, t, p, len, s->nbma);
}

/* Adds a dynamic entry for ADDR on T; NULL when the table is full. */
static struct dyn_entry *
add_dyn(struct dp *dp, const struct dp_if_cfg *t, uint32_t addr)
{
	struct dp_nhrp *st = dp->nhrp;
	struct dyn_entry *d;

	if (st->dyn == NULL)
		st->dyn = calloc(DYNAMIC_MAX, sizeof(*st->dyn));
	if (st->dyn == NULL || st->n_dyn == DYNAMIC_MAX)
		return NULL;
	d = &st->dyn[st->n_dyn++];
	memset(d, 0, sizeof(*d));
	snprintf(d->ifname, sizeof(d->ifname), "%s", t->name);
	d->addr = addr;
	d->created_ns = dp->now;
	return d;
}

/* Enters or renews the registration in M, learned from NBMA address
 * SRC; returns the CIE code of the reply. */
static uint8_t
register_client(struct dp *dp, const struct dp_if_cfg *t,
		const struct nhrp_msg *m, uint32_t src)
{
	struct dp_nhrp *st = dp->nhrp;
	struct dyn_entry *d = find_dyn(st, t->name, m->src_addr);
	uint16_t holdtime = m->has_cie && m->holdtime != 0 ?
			    m->holdtime : t->nhrp_holdtime;

	if (d != NULL && d->unique && d->nbma != src)
		return NHRP_CODE_UNIQUE_TAKEN;
	if (d == NULL) {
		d = add_dyn(dp, t, m->src_addr);
		if (d == NULL)
			return 5;	/* insufficient resources */
		log_peer(dp, LOGMSG_DMVPN_NHRP_NHC_UP, t, m->src_addr, src,
			 NULL);
	}
	d->shortcut = false;
	/* The outer source is the address the spoke is reached at, also
	 * when a NAT rewrote the NBMA address the packet claims. */
	d->nbma = src;
	d->unique = (m->flags & NHRP_FLAG_UNIQUE) != 0;
	d->holdtime = holdtime;
	d->expires_ns = dp->now + holdtime * NS;
	return NHRP_CODE_SUCCESS;
}

static void
answer_registration(struct dp *dp, const struct dp_if_cfg *t,
		    const struct nhrp_msg *m, uint32_t src)
{
	uint8_t p[PKT_MAX];
	uint8_t code;
	size_t len;

	dp->nhrp->stats.reg_req_rcvd++;
	code = register_client(dp, t, m, src);
	if (code != NHRP_CODE_SUCCESS)
		dp->nhrp->stats.rejected++;
	len = build(p, NHRP_REG_REPLY, m->flags, m->request_id, m->src_nbma,
		    m->src_addr, m->dst_addr, code,
		    m->has_cie ? m->holdtime : t->nhrp_holdtime, t->nhrp_auth);
	dp->nhrp->stats.reg_reply_sent++;
	send_to(dp, t, p, len, src);
}

static void
take_reply(struct dp *dp, const struct dp_if_cfg *t,
	   const struct nhrp_msg *m)
{
	struct dp_nhrp *st = dp->nhrp;
	struct nhs_state *s = find_nhs(st->nhs, st->n_nhs, t->name,
				       m->dst_addr);

	st->stats.reg_reply_rcvd++;
	if (s == NULL || s->request_id != m->request_id ||
	    m->src_addr != t->addr)
		return;
	if (!m->has_cie || m->code != NHRP_CODE_SUCCESS) {
		st->stats.rejected++;
		return;
	}
	if (!s->registered) {
		s->updown_ns = dp->now;
		log_peer(dp, LOGMSG_DMVPN_NHRP_NHS_UP, t, s->addr, s->nbma,
			 NULL);
	}
	s->registered = true;
	s->reply_ns = dp->now;
	s->retry_ns = RETRY_FIRST_NS;
	s->next_ns = dp->now + t->nhrp_holdtime * NS / 3;
}

/*
 * Replies to a resolution request from the cache: the NBMA address of
 * the requested tunnel address, or code 12 when there is no entry. The
 * reply goes to SRC, where the request came from.
 */
static void
answer_resolution(struct dp *dp, const struct dp_if_cfg *t,
		  const struct nhrp_msg *m, uint32_t src)
{
	struct dp_nhrp *st = dp->nhrp;
	struct dyn_entry *d = find_dyn(st, t->name, m->dst_addr);
	struct cie c = { NHRP_CODE_NO_BINDING, 0, 0, m->dst_addr };
	uint8_t p[PKT_MAX];
	size_t len;

	st->stats.res_req_rcvd++;
	c.nbma = static_nbma(t, m->dst_addr);
	c.holdtime = t->nhrp_holdtime;
	/* An entry past its holding time waits for the timers to go. */
	if (c.nbma == 0 && d != NULL && d->expires_ns > dp->now) {
		c.nbma = d->nbma;
		c.holdtime = (uint16_t)((d->expires_ns - dp->now) / NS);
	}
	if (c.nbma != 0)
		c.code = NHRP_CODE_SUCCESS;
	len = build_cie(p, NHRP_RES_REPLY, m->flags, m->request_id,
			m->src_nbma, m->src_addr, m->dst_addr, &c, t->nhrp_auth);
	st->stats.res_reply_sent++;
	send_to(dp, t, p, len, src);
}

/* Installs the shortcut that a reply to one of our resolution requests
 * names. */
static void
take_resolution_reply(struct dp *dp, const struct dp_if_cfg *t,
		      const struct nhrp_msg *m)
{
	struct dp_nhrp *st = dp->nhrp;
	struct dyn_entry *d;
	size_t i;

	st->stats.res_reply_rcvd++;
	for (i = 0; i < st->n_resolving; i++)
		if (st->resolving[i].request_id == m->request_id &&
		    st->resolving[i].addr == m->dst_addr &&
		    strcmp(st->resolving[i].ifname, t->name) == 0)
			break;
	if (i == st->n_resolving)
		return;
	st->resolving[i] = st->resolving[--st->n_resolving];
	if (!m->has_cie || m->code != NHRP_CODE_SUCCESS || m->cli_nbma == 0 ||
	    m->holdtime == 0) {
		st->stats.rejected++;
		return;
	}
	d = find_dyn(st, t->name, m->dst_addr);
	if (d == NULL && (d = add_dyn(dp, t, m->dst_addr)) == NULL)
		return;
	d->nbma = m->cli_nbma;
	d->shortcut = true;
	d->holdtime = m->holdtime;
	d->expires_ns = dp->now + m->holdtime * NS;
}

/* Removes the dynamic entry of the purge request's client and replies
 * unless the request sets the no-reply flag. */
static void
take_purge(struct dp *dp, const struct dp_if_cfg *t,
	   const struct nhrp_msg *m, uint32_t src)
{
	struct dp_nhrp *st = dp->nhrp;
	struct dyn_entry *d;
	uint32_t addr = m->cli_addr != 0 ? m->cli_addr : m->src_addr;
	uint8_t p[PKT_MAX];
	size_t len;

	st->stats.purge_req_rcvd++;
	d = find_dyn(st, t->name, addr);
	if (d != NULL) {
		if (!d->shortcut)
			log_peer(dp, LOGMSG_DMVPN_NHRP_NHC_DOWN, t, d->addr,
				 d->nbma, "purged");
		*d = st->dyn[--st->n_dyn];
	}
	if (m->flags & NHRP_FLAG_NO_REPLY)
		return;
	len = build(p, NHRP_PURGE_REPLY, m->flags, m->request_id, m->src_nbma,
		    m->src_addr, m->dst_addr, NHRP_CODE_SUCCESS, 0,
		    t->nhrp_auth);
	st->stats.purge_reply_sent++;
	send_to(dp, t, p, len, src);
}

void
dp_nhrp_input(struct dp *dp, const struct dp_if_cfg *t, uint32_t src,
	      const uint8_t *pkt, size_t len)
{
	struct dp_nhrp *st = state(dp);
	struct nhrp_msg m;

	if (st == NULL)
		return;
	if (!runs_nhrp(t)) {
		st->stats.unsupported++;
		return;
	}
	if (!parse(pkt, len, &m) || m.hops == 0) {
		st->stats.malformed++;
		return;
	}
	/* With `ip nhrp authentication` set, both ends must send it. */
	if (t->nhrp_auth[0] != '\0' &&
	    (!m.has_auth || strcmp(m.auth, t->nhrp_auth) != 0)) {
		st->stats.auth_failed++;
		return;
	}
	switch (m.type) {
	case NHRP_RES_REQUEST:
		answer_resolution(dp, t, &m, src);
		break;
	case NHRP_RES_REPLY:
		take_resolution_reply(dp, t, &m);
		break;
	case NHRP_REG_REQUEST:
		answer_registration(dp, t, &m, src);
		break;
	case NHRP_REG_REPLY:
		take_reply(dp, t, &m);
		break;
	case NHRP_PURGE_REQUEST:
		take_purge(dp, t, &m, src);
		break;
	case NHRP_ERROR:
		st->stats.error_rcvd++;
		break;
	default:
		st->stats.unsupported++;
		break;
	}
}

/* Sends the resolution requests that are due to the first next hop
 * server, each up to RESOLVE_TRIES times a second apart. */
static void
send_resolutions(struct dp *dp, uint64_t now)
{
	struct dp_nhrp *st = dp->nhrp;
	size_t i = 0;

	while (i < st->n_resolving) {
		struct resolution *r = &st->resolving[i];
		const struct dp_if_cfg *t = find_tunnel(dp, r->ifname);
		struct cie c = { NHRP_CODE_SUCCESS, 0, 0, 0 };
		uint8_t p[PKT_MAX];
		size_t len;

		if (t == NULL || r->tries == RESOLVE_TRIES) {
			*r = st->resolving[--st->n_resolving];
			continue;
		}
		i++;
		if (r->next_ns > now)
			continue;
		c.holdtime = t->nhrp_holdtime;
		r->request_id = ++st->next_request_id;
		r->tries++;
		r->next_ns = now + NS;
		len = build_cie(p, NHRP_RES_REQUEST, 0, r->request_id,
				dp_tunnel_source(dp, t), t->addr, r->addr, &c,
				t->nhrp_auth);
		st->stats.res_req_sent++;
		send_to(dp, t, p, len, first_nhs(t));
	}
}

void
dp_nhrp_timers(struct dp *dp, uint64_t now)
{
	struct dp_nhrp *st = dp->nhrp;
	size_t kept = 0;

	if (st == NULL)
		return;
	dp->now = now;
	for (size_t i = 0; i < st->n_nhs; i++) {
		struct nhs_state *s = &st->nhs[i];
		const struct dp_if_cfg *t = find_tunnel(dp, s->ifname);

		if (t == NULL)
			continue;
		if (s->registered &&
		    now - s->reply_ns > t->nhrp_holdtime * NS) {
			s->registered = false;
			s->updown_ns = now;
			log_peer(dp, LOGMSG_DMVPN_NHRP_NHS_DOWN, t, s->addr,
				 s->nbma, "Registration Timeout");
		}
		if (s->next_ns > now)
			continue;
		send_registration(dp, t, s);
		/* Until the reply comes, retry with exponential backoff;
		 * the reply moves the next one to a third of the holdtime. */
		if (s->retry_ns == 0)
			s->retry_ns = RETRY_FIRST_NS;
		s->next_ns = now + s->retry_ns;
		if (s->retry_ns < RETRY_MAX_NS)
			s->retry_ns *= 2;
	}
	send_resolutions(dp, now);
	for (size_t i = 0; i < st->n_dyn; i++) {
		const struct dyn_entry *d = &st->dyn[i];
		const struct dp_if_cfg *t;

		if (d->expires_ns > now) {
			st->dyn[kept++] = *d;
			continue;
		}
		t = find_tunnel(dp, d->ifname);
		if (t != NULL && !d->shortcut)
			log_peer(dp, LOGMSG_DMVPN_NHRP_NHC_DOWN, t, d->addr,
				 d->nbma, "expired");
	}
	st->n_dyn = kept;
}

/* ---- snapshots ---- */

static enum dp_nhrp_state
row_state(struct dp *dp, const struct dp_if_cfg *t, uint32_t nbma)
{
	if (t->protection[0] != '\0' && !dp_tunnel_has_sa(dp, t, nbma))
		return DP_NHRP_STATE_IKE;
	return DP_NHRP_STATE_UP;
}

static struct dp_nhrp_entry *
add_row(struct dp_nhrp_entry **v, size_t *n, size_t *cap,
	const struct dp_if_cfg *t, uint32_t addr, uint32_t nbma)
{
	struct dp_nhrp_entry *e;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct dp_nhrp_entry *nv = realloc(*v, c * sizeof(**v));

		if (nv == NULL)
			return NULL;
		*v = nv;
		*cap = c;
	}
	e = &(*v)[(*n)++];
	memset(e, 0, sizeof(*e));
	snprintf(e->ifname, sizeof(e->ifname), "%s", t->name);
	e->addr = addr;
	e->nbma = nbma;
	return e;
}

/* Appends the static row of ADDR on T, with its NHS state if any. */
static int
static_row(struct dp *dp, const struct dp_if_cfg *t, uint32_t addr,
	   struct dp_nhrp_entry **v, size_t *n, size_t *cap)
{
	struct dp_nhrp *st = dp->nhrp;
	uint32_t nbma = static_nbma(t, addr);
	struct nhs_state *s = find_nhs(st->nhs, st->n_nhs, t->name, addr);
	struct dp_nhrp_entry *e = add_row(v, n, cap, t, addr, nbma);

	if (e == NULL)
		return -1;
	e->created_ns = s != NULL ? s->created_ns : st->config_ns;
	e->updown_ns = e->created_ns;
	e->state = row_state(dp, t, nbma);
	if (s != NULL) {
		e->nhs = true;
		e->updown_ns = s->updown_ns;
		if (e->state == DP_NHRP_STATE_UP && !s->registered)
			e->state = DP_NHRP_STATE_NHRP;
	}
	return 0;
}

/* The static rows of T: its maps, then the NHSes given with an NBMA
 * address that no map names. */
static int
copy_static(struct dp *dp, const struct dp_if_cfg *t,
	    struct dp_nhrp_entry **v, size_t *n, size_t *cap)
{
	for (size_t k = 0; k < t->n_nhrp; k++)
		if (static_row(dp, t, t->nhrp[k].addr, v, n, cap) < 0)
			return -1;
	for (size_t k = 0; k < t->n_nhs; k++) {
		bool mapped = false;

		for (size_t j = 0; j < t->n_nhrp; j++)
			mapped |= t->nhrp[j].addr == t->nhs[k].addr;
		if (mapped || t->nhs[k].nbma == 0)
			continue;
		if (static_row(dp, t, t->nhs[k].addr, v, n, cap) < 0)
			return -1;
	}
	return 0;
}

int
dp_nhrp_copy(struct dp *dp, struct dp_nhrp_entry **out,
	     struct dp_nhrp_stats *stats)
{
	struct dp_nhrp *st = state(dp);
	struct dp_nhrp_entry *v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (st == NULL)
		return -1;
	if (stats != NULL)
		*stats = st->stats;
	for (size_t i = 0; i < dp->cfg.n_ifs; i++) {
		const struct dp_if_cfg *t = &dp->cfg.ifs[i];

		if (t->tunnel != DP_TUNNEL_MGRE || t->shutdown)
			continue;
		if (copy_static(dp, t, &v, &n, &cap) < 0)
			goto fail;
		for (size_t k = 0; k < st->n_dyn; k++) {
			const struct dyn_entry *d = &st->dyn[k];
			struct dp_nhrp_entry *e;

			if (strcmp(d->ifname, t->name) != 0)
				continue;
			e = add_row(&v, &n, &cap, t, d->addr, d->nbma);
			if (e == NULL)
				goto fail;
			e->dynamic = true;
			e->unique = d->unique;
			e->shortcut = d->shortcut;
			e->holdtime = d->holdtime;
			e->created_ns = d->created_ns;
			e->updown_ns = d->created_ns;
			e->expires_ns = d->expires_ns;
			e->state = d->shortcut ? row_state(dp, t, d->nbma) :
				   DP_NHRP_STATE_UP;
		}
	}
	*out = v;
	return (int)n;
fail:
	free(v);
	return -1;
}

void
dp_nhrp_clear_now(struct dp *dp)
{
	if (dp->nhrp != NULL)
		dp->nhrp->n_dyn = 0;
}
