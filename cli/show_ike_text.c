/*
 * Writers of the IKE show commands in IOS XE layout: show crypto isakmp
 * sa [detail], show crypto isakmp peers and show crypto session [detail].
 *
 * A crypto session is one peer behind one interface. The sessions come
 * from three places: the static peers of the running config (so a
 * configured peer with nothing negotiated shows as DOWN), the IKE
 * manager's SA snapshot and the datapath's IPsec SA snapshot.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cli/command.h"
#include "cli/show_ike.h"
#include "cli/vty.h"
#include "core/config.h"
#include "datapath/datapath.h"
#include "ikemgr/ikemgr.h"

#define MOD "/vrouter-config:"

static void
ip_text(uint32_t addr, char *buf)
{
	inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* Formats SEC as IOS prints a remaining lifetime: hh:mm:ss. */
static void
hms_text(uint32_t sec, char *buf, size_t len)
{
	snprintf(buf, len, "%02u:%02u:%02u", sec / 3600, sec / 60 % 60,
		 sec % 60);
}

/* True once the SA carries traffic keys: QM_IDLE for IKEv1, READY for
 * IKEv2. */
static bool
ike_ready(const struct ike_sa_info *sa)
{
	return sa->active && strcmp(sa->state, sa->version == 2 ? "READY" :
				    "QM_IDLE") == 0;
}

/* IOS capability letters, in the order of its legend: C IKE mode
 * config, D dead peer detection, N NAT traversal, X XAUTH. */
static void
caps_text(const struct ike_sa_info *sa, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", sa->modecfg ? "C" : "",
		 sa->dpd ? "D" : "", sa->natt ? "N" : "", sa->xauth ? "X" : "");
}

/* The peer's phase 1 identity as IOS prints it: from its ID payload,
 * else its address. */
static const char *
phase1_id(const struct ike_sa_info *sa, const char *peer)
{
	return sa->remote_id[0] != '\0' ? sa->remote_id : peer;
}

/* ---- show crypto isakmp sa [detail] ---- */

/* In IOS, dst is the IKE responder and src the initiator on both ends. */
static void
isakmp_ends(const struct ike_sa_info *sa, char *dst, char *src)
{
	ip_text(sa->initiator ? sa->peer : sa->local, dst);
	ip_text(sa->initiator ? sa->local : sa->peer, src);
}

static void
isakmp_sa_row(struct vty *vty, const struct ike_sa_info *sa)
{
	char dst[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];

	isakmp_ends(sa, dst, src);
	vty_out(vty, "%-15s %-15s %-12s%10u %s\n", dst, src, sa->state,
		sa->conn_id, sa->active ? "ACTIVE" : "STALE");
}

static void
isakmp_sa_detail_row(struct vty *vty, const struct ike_sa_info *sa)
{
	char local[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN];
	char life[16] = "", caps[8];

	ip_text(sa->local, local);
	ip_text(sa->peer, remote);
	if (ike_ready(sa))
		hms_text(sa->remaining_sec, life, sizeof(life));
	caps_text(sa, caps, sizeof(caps));
	vty_out(vty, "%-6u%-16s%-16s%-7s%-7s%-5s%-7s%-5s%-3u%-9s%s\n",
		sa->conn_id, local, remote, "", sa->active ? "ACTIVE" : "STALE",
		sa->encr, sa->hash, sa->auth, sa->dh_group, life, caps);
	/* The software engine numbers its connections from 1 where the
	 * conn-id starts at 1001. */
	vty_out(vty, "       Engine-id:Conn-id =  SW:%u\n\n",
		sa->conn_id > 1000 ? sa->conn_id - 1000 : sa->conn_id);
}

void
cmd_isakmp_sa_write(struct vty *vty, const struct ike_sa_info *sas, size_t n,
		    bool detail)
{
	if (detail) {
		vty_out(vty, "Codes: C - IKE configuration mode, D - Dead Peer "
			"Detection\n"
			"       K - Keepalives, N - NAT-traversal\n"
			"       T - cTCP encapsulation, X - IKE Extended "
			"Authentication\n"
			"       psk - Preshared key, rsig - RSA signature\n"
			"       renc - RSA encryption\n"
			"IPv4 Crypto ISAKMP SA\n\n"
			"C-id  Local           Remote          I-VRF  Status "
			"Encr Hash   Auth DH Lifetime Cap.\n\n");
	} else {
		vty_out(vty, "IPv4 Crypto ISAKMP SA\n"
			"dst             src             state          "
			"conn-id status\n");
	}
	for (size_t i = 0; i < n; i++) {
		if (sas[i].version != 1)
			continue;
		if (detail)
			isakmp_sa_detail_row(vty, &sas[i]);
		else
			isakmp_sa_row(vty, &sas[i]);
	}
	if (!detail)
		vty_out(vty, "\n");
	vty_out(vty, "IPv6 Crypto ISAKMP SA\n\n");
}

/* ---- show crypto isakmp peers ---- */

void
cmd_isakmp_peers_write(struct vty *vty, const struct ike_sa_info *sas,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char peer[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
		bool seen = false;

		if (sas[i].version != 1)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = sas[k].version == 1 &&
			       sas[k].peer == sas[i].peer;
		if (seen)
			continue;
		ip_text(sas[i].peer, peer);
		ip_text(sas[i].local, local);
		vty_out(vty, "Peer: %s Port: %u Local: %s\n", peer,
			sas[i].peer_port, local);
		vty_out(vty, " Phase1 id: %s\n", phase1_id(&sas[i], peer));
	}
}

/* ---- Crypto sessions ---- */

/* One IPSEC FLOW line of a session and the IPsec SAs counted on it. */
struct flow {
	char map[DP_NAME_MAX];		/* "" for a tunnel interface */
	uint32_t seq;
	char ident[160];		/* what follows "permit " */
	/*
	 * IPsec SAs name their crypto map entry, not the ACL entry they
	 * were negotiated for, so they are all counted on the first flow
	 * of their entry.
	 */
	bool counts_sas;
	bool from_selector;		/* made by selector_flow() */
	unsigned n_sas;
	uint64_t decaps, in_drops, encaps, out_drops;
	const struct dp_sa_info *in, *out;	/* newest of each direction */
};

struct session {
	char ifname[DP_IFNAME_MAX];
	uint32_t peer;			/* network byte order */
	char profile[64];
	struct flow *flows;
	size_t n_flows;
};

/* A reference to an IKE SA. Sorted by peer, the IKE SAs of one peer are
 * adjacent. */
struct ike_ref {
	uint32_t peer;
	size_t index;			/* into cmd_session_input.ike */
};

struct session_set {
	struct session *s;
	size_t n, cap;
	/* Open addressing over S by interface and peer: index + 1, or 0
	 * for an empty slot. N_SLOTS is a power of two, at least twice N. */
	size_t *slots;
	size_t n_slots;
	struct ike_ref *ike;		/* sorted by peer, then index */
	size_t n_ike;
	bool no_memory;
};

static size_t
session_hash(const char *ifname, uint32_t peer)
{
	uint64_t h = (peer + 1) * 0x9E3779B97F4A7C15ull;

	/* FNV-1a over the name. */
	for (const char *c = ifname; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001B3ull;
	return (size_t)(h ^ h >> 29);
}

static size_t
slot_of(const struct session_set *set, const char *ifname, uint32_t peer)
{
	size_t mask = set->n_slots - 1;
	size_t k = session_hash(ifname, peer) & mask;

	while (set->slots[k] != 0) {
		const struct session *s = &set->s[set->slots[k] - 1];

		if (s->peer == peer && strcmp(s->ifname, ifname) == 0)
			break;
		k = (k + 1) & mask;
	}
	return k;
}

/* Doubles the slot table and places every session again. */
static bool
slots_grow(struct session_set *set)
{
	size_t n = set->n_slots ? set->n_slots * 2 : 16;
	size_t *old = set->slots;

	set->slots = calloc(n, sizeof(*set->slots));
	if (set->slots == NULL) {
		set->slots = old;
		return false;
	}
	free(old);
	set->n_slots = n;
	for (size_t i = 0; i < set->n; i++)
		set->slots[slot_of(set, set->s[i].ifname, set->s[i].peer)] =
			i + 1;
	return true;
}

/* Returns the index of session (IFNAME, PEER), added when new; -1 when
 * out of memory. */
static long
session_get(struct session_set *set, const char *ifname, uint32_t peer)
{
	struct session *s;
	size_t k;

	if (set->n_slots > 0) {
		k = slot_of(set, ifname, peer);
		if (set->slots[k] != 0)
			return (long)set->slots[k] - 1;
	}
	if ((set->n + 1) * 2 > set->n_slots && !slots_grow(set)) {
		set->no_memory = true;
		return -1;
	}
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 8;

		s = realloc(set->s, cap * sizeof(*s));
		if (s == NULL) {
			set->no_memory = true;
			return -1;
		}
		set->s = s;
		set->cap = cap;
	}
	s = &set->s[set->n];
	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	s->peer = peer;
	set->slots[slot_of(set, s->ifname, peer)] = set->n + 1;
	return (long)set->n++;
}

static struct flow *
flow_add(struct session_set *set, struct session *s, const char *map,
	 uint32_t seq, const char *ident, bool counts_sas)
{
	struct flow *f = realloc(s->flows, (s->n_flows + 1) * sizeof(*f));

	if (f == NULL) {
		set->no_memory = true;
		return NULL;
	}
	s->flows = f;
	f = &s->flows[s->n_flows++];
	memset(f, 0, sizeof(*f));
	snprintf(f->map, sizeof(f->map), "%s", map);
	f->seq = seq;
	snprintf(f->ident, sizeof(f->ident), "%s", ident);
	f->counts_sas = counts_sas;
	return f;
}

static struct flow *
flow_counting(struct session *s, const char *map, uint32_t seq)
{
	for (size_t i = 0; i < s->n_flows; i++) {
		struct flow *f = &s->flows[i];

		if (f->counts_sas && !f->from_selector && f->seq == seq &&
		    strcmp(f->map, map) == 0)
			return f;
	}
	return NULL;
}

static void
session_set_free(struct session_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->s[i].flows);
	free(set->s);
	free(set->slots);
	free(set->ike);
}

static int
ike_ref_order(const void *a, const void *b)
{
	const struct ike_ref *x = a, *y = b;

	if (x->peer != y->peer)
		return x->peer < y->peer ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts references to the IKE SAs of IN by peer. Returns false when
 * out of memory. */
static bool
ike_refs_build(struct session_set *set, const struct cmd_session_input *in)
{
	if (in->n_ike == 0)
		return true;
	set->ike = calloc(in->n_ike, sizeof(*set->ike));
	if (set->ike == NULL)
		return false;
	for (size_t i = 0; i < in->n_ike; i++) {
		set->ike[i].peer = in->ike[i].peer;
		set->ike[i].index = i;
	}
	set->n_ike = in->n_ike;
	qsort(set->ike, set->n_ike, sizeof(*set->ike), ike_ref_order);
	return true;
}

/* Returns the position of the first IKE SA of PEER in SET->ike, or
 * SET->n_ike when it has none. */
static size_t
ike_first(const struct session_set *set, uint32_t peer)
{
	size_t lo = 0, hi = set->n_ike;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->ike[mid].peer < peer)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->n_ike && set->ike[lo].peer == peer ? lo : set->n_ike;
}

/* Appends an ACL address as IOS prints it in a flow: "host A" or A/M. */
static void
flow_addr(char *buf, size_t len, uint32_t addr, uint32_t wild)
{
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
	size_t used = strlen(buf);

	ip_text(addr & ~wild, a);
	if (wild == 0) {
		snprintf(buf + used, len - used, " host %s", a);
		return;
	}
	ip_text(~wild, m);
	snprintf(buf + used, len - used, " %s/%s", a, m);
}

/*
 * Adds one flow per permit entry of access list ACL. Returns false when
 * the list has no permit entry. NOTE: ports of TCP and UDP entries are
 * not shown.
 */
static bool
acl_flows(struct session_set *set, struct session *s,
	  const struct dp_config *dc, const char *map, uint32_t seq,
	  const char *acl)
{
	bool first = true;

	for (size_t i = 0; i < dc->n_acl; i++) {
		const struct dp_acl_entry *a = &dc->acl[i];
		char ident[160];

		if (!a->permit || strcmp(a->acl, acl) != 0)
			continue;
		if (a->proto < 0)
			snprintf(ident, sizeof(ident), "ip");
		else
			snprintf(ident, sizeof(ident), "%d", a->proto);
		flow_addr(ident, sizeof(ident), a->src, a->src_wild);
		flow_addr(ident, sizeof(ident), a->dst, a->dst_wild);
		if (flow_add(set, s, map, seq, ident, first) == NULL)
			return true;
		first = false;
	}
	return !first;
}

static const char *
child_value(const struct lyd_node *node, const char *name)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(node), c) {
		if (strcmp(LYD_NAME(c), name) == 0)
			return lyd_get_value(c);
	}
	return NULL;
}

static const struct lyd_node *
map_entry(const struct lyd_node *tree, const char *map, uint32_t seq)
{
	char xpath[256];
	struct lyd_node *n = NULL;

	snprintf(xpath, sizeof(xpath), MOD "crypto/map[name='%s']/entry"
		 "[sequence='%u']", map, seq);
	if (lyd_find_path(tree, xpath, 0, &n) != LY_SUCCESS)
		return NULL;
	return n;
}

/* Returns the peer IKE tries first: `set peer ... default`, else the
 * first `set peer`; 0 when there is none. */
static uint32_t
entry_peer(const struct lyd_node *entry)
{
	const char *v = child_value(entry, "default-peer");
	uint32_t addr = 0;

	if (v == NULL)
		v = child_value(entry, "peer");
	if (v == NULL || inet_pton(AF_INET, v, &addr) != 1)
		return 0;
	return addr;
}

/*
 * Adds the sessions of crypto map entries applied to interfaces. Entries
 * that only refer to a dynamic map have no peer until one connects; the
 * IKE and IPsec SAs bring those.
 */
static void
add_map_sessions(struct session_set *set, const struct lyd_node *tree,
		 const struct dp_config *dc)
{
	for (size_t i = 0; i < dc->n_maps; i++) {
		const struct dp_map_cfg *m = &dc->maps[i];
		const struct lyd_node *e = map_entry(tree, m->map, m->seq);
		const char *profile;
		uint32_t peer;
		long k;

		if (e == NULL || child_value(e, "dynamic") != NULL)
			continue;
		peer = entry_peer(e);
		if (peer == 0)
			continue;
		k = session_get(set, m->ifname, peer);
		if (k < 0)
			return;
		profile = child_value(e, "isakmp-profile");
		if (profile != NULL)
			snprintf(set->s[k].profile, sizeof(set->s[k].profile),
				 "%s", profile);
		acl_flows(set, &set->s[k], dc, m->map, m->seq, m->acl);
	}
}

static uint32_t
if_addr(const struct dp_config *dc, const char *ifname)
{
	for (size_t i = 0; i < dc->n_ifs; i++) {
		if (strcmp(dc->ifs[i].name, ifname) == 0)
			return dc->ifs[i].addr;
	}
	return 0;
}

static const struct dp_if_cfg *
protected_tunnel(const struct dp_config *dc, const char *ifname)
{
	for (size_t i = 0; i < dc->n_ifs; i++) {
		const struct dp_if_cfg *t = &dc->ifs[i];

		if (strcmp(t->name, ifname) == 0)
			return t->tunnel != DP_TUNNEL_NONE &&
			       t->protection[0] != '\0' ? t : NULL;
	}
	return NULL;
}

/* Adds the flow of tunnel T: GRE between the tunnel ends for GRE
 * protection, any IP for sVTI. */
static void
tunnel_flow(struct session_set *set, struct session *s,
	    const struct dp_config *dc, const struct dp_if_cfg *t)
{
	char ident[160], src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	uint32_t from = t->tunnel_src;

	if (from == 0 && t->tunnel_src_if[0] != '\0')
		from = if_addr(dc, t->tunnel_src_if);
	ip_text(from, src);
	ip_text(s->peer, dst);
	if (t->tunnel == DP_TUNNEL_IPSEC)
		snprintf(ident, sizeof(ident),
			 "ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0");
	else
		snprintf(ident, sizeof(ident), "47 host %s host %s", src, dst);
	flow_add(set, s, "", 0, ident, true);
}

/* Adds the sessions of protected point-to-point tunnels. */
static void
add_tunnel_sessions(struct session_set *set, const struct lyd_node *tree,
		    const struct dp_config *dc)
{
	for (size_t i = 0; i < dc->n_ifs; i++) {
		const struct dp_if_cfg *t = protected_tunnel(dc,
							     dc->ifs[i].name);
		char xpath[256];
		const char *profile;
		long k;

		if (t == NULL || t->tunnel == DP_TUNNEL_MGRE ||
		    t->tunnel_dst == 0)
			continue;
		k = session_get(set, t->name, t->tunnel_dst);
		if (k < 0)
			return;
		snprintf(xpath, sizeof(xpath), MOD "crypto/ipsec/profile"
			 "[name='%s']/isakmp-profile", t->protection);
		profile = cfg_get_value(tree, xpath);
		if (profile != NULL)
			snprintf(set->s[k].profile, sizeof(set->s[k].profile),
				 "%s", profile);
		tunnel_flow(set, &set->s[k], dc, t);
	}
}

/*
 * Returns the flow of an SA that no configured ACL describes (a dynamic
 * crypto map or Easy VPN peer): one per negotiated selector, local side
 * first, as IOS prints it. An SA without a selector protects any traffic.
 * NOTE: ports of a negotiated selector are not shown.
 */
static struct flow *
selector_flow(struct session_set *set, struct session *s,
	      const struct dp_sa_info *sa)
{
	const struct dp_selector *sel = &sa->selector;
	struct flow *f;
	char ident[160];

	if (!sa->has_selector) {
		snprintf(ident, sizeof(ident), "ip");
		flow_addr(ident, sizeof(ident), 0, 0xffffffffu);
		flow_addr(ident, sizeof(ident), 0, 0xffffffffu);
	} else {
		if (sel->proto == 0)
			snprintf(ident, sizeof(ident), "ip");
		else
			snprintf(ident, sizeof(ident), "%u", sel->proto);
		flow_addr(ident, sizeof(ident), sel->local, ~sel->local_mask);
		flow_addr(ident, sizeof(ident), sel->remote,
			  ~sel->remote_mask);
	}
	for (size_t i = 0; i < s->n_flows; i++) {
		f = &s->flows[i];
		if (f->from_selector && f->seq == sa->map_seq &&
		    strcmp(f->map, sa->map) == 0 &&
		    strcmp(f->ident, ident) == 0)
			return f;
	}
	f = flow_add(set, s, sa->map, sa->map_seq, ident, true);
	if (f != NULL)
		f->from_selector = true;
	return f;
}

/* Returns the flow that counts SA, creating it when the config has none. */
static struct flow *
sa_flow(struct session_set *set, struct session *s,
	const struct dp_config *dc, const struct dp_sa_info *sa)
{
	const struct dp_if_cfg *t = protected_tunnel(dc, sa->ifname);
	const char *map = t != NULL ? "" : sa->map;
	uint32_t seq = t != NULL ? 0 : sa->map_seq;
	struct flow *f = flow_counting(s, map, seq);

	if (f != NULL)
		return f;
	if (t != NULL) {
		tunnel_flow(set, s, dc, t);
		return flow_counting(s, map, seq);
	}
	for (size_t i = 0; i < dc->n_maps; i++) {
		const struct dp_map_cfg *m = &dc->maps[i];

		if (m->seq == seq && strcmp(m->map, map) == 0 &&
		    acl_flows(set, s, dc, map, seq, m->acl))
			return flow_counting(s, map, seq);
	}
	return selector_flow(set, s, sa);
}

static void
add_ipsec_sas(struct session_set *set, const struct cmd_session_input *in,
	      const struct dp_config *dc)
{
	for (size_t i = 0; i < in->n_ipsec; i++) {
		const struct dp_sa_info *sa = &in->ipsec[i];
		const struct dp_sa_params *p = &sa->params;
		struct flow *f;
		long k;

		k = session_get(set, sa->ifname, p->outbound ? p->dst : p->src);
		if (k < 0)
			return;
		f = sa_flow(set, &set->s[k], dc, sa);
		if (f == NULL)
			return;
		f->n_sas++;
		if (p->outbound) {
			f->encaps += sa->counters.encaps;
			f->out_drops += sa->counters.encaps_failed +
					sa->counters.no_sa_send;
			if (f->out == NULL ||
			    sa->installed_ns > f->out->installed_ns)
				f->out = sa;
		} else {
			f->decaps += sa->counters.decaps;
			f->in_drops += sa->counters.decaps_failed;
			if (f->in == NULL ||
			    sa->installed_ns > f->in->installed_ns)
				f->in = sa;
		}
	}
}

/* Copies the first isakmp profile that the IKE SAs of S name, unless
 * the config gave S one. */
static void
session_ike_profile(struct session_set *set, const struct cmd_session_input *in,
		    struct session *s)
{
	for (size_t p = ike_first(set, s->peer);
	     p < set->n_ike && set->ike[p].peer == s->peer &&
	     s->profile[0] == '\0'; p++)
		snprintf(s->profile, sizeof(s->profile), "%s",
			 in->ike[set->ike[p].index].profile);
}

/*
 * The IKE SAs of a peer join every session of that peer. A peer that
 * has none gets one, on the interface of its first IKE SA.
 */
static void
add_ike_sas(struct session_set *set, const struct cmd_session_input *in)
{
	bool *joined;
	size_t n = set->n;

	if (set->n_ike == 0)
		return;
	joined = calloc(set->n_ike, sizeof(*joined));
	if (joined == NULL) {
		set->no_memory = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t p = ike_first(set, set->s[i].peer);

		for (; p < set->n_ike && set->ike[p].peer == set->s[i].peer; p++)
			joined[p] = true;
		session_ike_profile(set, in, &set->s[i]);
	}
	for (size_t p = 0; p < set->n_ike; p++) {
		const struct ike_sa_info *sa = &in->ike[set->ike[p].index];
		long k;

		if (joined[p] || (p > 0 && set->ike[p - 1].peer == sa->peer))
			continue;
		k = session_get(set, sa->ifname, sa->peer);
		if (k < 0)
			break;
		session_ike_profile(set, in, &set->s[k]);
	}
	free(joined);
}

static int
session_order(const void *a, const void *b)
{
	const struct session *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	if (c != 0)
		return c;
	return ntohl(x->peer) < ntohl(y->peer) ? -1 :
	       ntohl(x->peer) > ntohl(y->peer);
}

/* ---- show crypto session [detail] ---- */

/* Formats an uptime as IOS does: hh:mm:ss, then 1d02h, then 1w2d. */
static void
uptime_text(uint64_t sec, char *buf, size_t len)
{
	if (sec < 86400)
		hms_text((uint32_t)sec, buf, len);
	else if (sec < 7 * 86400)
		snprintf(buf, len, "%ud%02uh", (unsigned)(sec / 86400),
			 (unsigned)(sec / 3600 % 24));
	else
		snprintf(buf, len, "%uw%ud", (unsigned)(sec / (7 * 86400)),
			 (unsigned)(sec / 86400 % 7));
}

struct session_state {
	const char *status;
	const struct ike_sa_info *ike;	/* the first ready IKE SA, or NULL */
	const struct ike_sa_info *any_ike; /* the first IKE SA, or NULL */
	unsigned n_sas;
	uint64_t oldest_sa_ns;		/* install time of the oldest SA */
};

static void
session_state(const struct session_set *set,
	      const struct cmd_session_input *in, const struct session *s,
	      struct session_state *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t p = ike_first(set, s->peer);
	     p < set->n_ike && set->ike[p].peer == s->peer; p++) {
		const struct ike_sa_info *sa = &in->ike[set->ike[p].index];

		if (st->any_ike == NULL)
			st->any_ike = sa;
		if (st->ike == NULL && ike_ready(sa))
			st->ike = sa;
	}
	for (size_t i = 0; i < s->n_flows; i++) {
		const struct flow *f = &s->flows[i];

		st->n_sas += f->n_sas;
		if (f->in != NULL && (st->oldest_sa_ns == 0 ||
				      f->in->installed_ns < st->oldest_sa_ns))
			st->oldest_sa_ns = f->in->installed_ns;
		if (f->out != NULL && (st->oldest_sa_ns == 0 ||
				       f->out->installed_ns < st->oldest_sa_ns))
			st->oldest_sa_ns = f->out->installed_ns;
	}
	if (st->ike != NULL)
		st->status = st->n_sas > 0 ? "UP-ACTIVE" : "UP-IDLE";
	else if (st->n_sas > 0)
		st->status = "UP-NO-IKE";
	else
		st->status = st->any_ike != NULL ? "DOWN-NEGOTIATING" : "DOWN";
}

static void
write_session_ike(struct vty *vty, const struct session_set *set,
		  const struct cmd_session_input *in, const struct session *s,
		  bool detail)
{
	for (size_t p = ike_first(set, s->peer);
	     p < set->n_ike && set->ike[p].peer == s->peer; p++) {
		const struct ike_sa_info *sa = &in->ike[set->ike[p].index];
		char local[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN];
		char caps[8], life[16];
		bool ready = ike_ready(sa);

		ip_text(sa->local, local);
		ip_text(sa->peer, remote);
		vty_out(vty, "  IKEv%d SA: local %s/%u remote %s/%u %s \n",
			sa->version, local, sa->local_port, remote,
			sa->peer_port, ready ? "Active" : "Inactive");
		if (!detail)
			continue;
		caps_text(sa, caps, sizeof(caps));
		if (ready)
			hms_text(sa->remaining_sec, life, sizeof(life));
		else
			snprintf(life, sizeof(life), "0");
		vty_out(vty, "          Capabilities:%s connid:%u lifetime:%s\n",
			ready && caps[0] != '\0' ? caps : "(none)",
			sa->conn_id, life);
	}
}

/*
 * Remaining (KB/Sec) of SA as the detail lines print it, the same as
 * show crypto ipsec sa: a manual SA keeps its configured lifetime.
 */
static void
sa_life_text(const struct cmd_session_input *in, const struct dp_sa_info *sa,
	     char *buf, size_t len)
{
	uint32_t kb, sec;

	if (sa == NULL) {
		snprintf(buf, len, "0/0");
		return;
	}
	dp_sa_remaining(sa, in->now_ns, &kb, &sec);
	snprintf(buf, len, "%u/%u", kb, sec);
}

static void
write_flow(struct vty *vty, const struct cmd_session_input *in,
	   const struct flow *f, bool detail)
{
	char life[48];

	vty_out(vty, "  IPSEC FLOW: permit %s \n", f->ident);
	vty_out(vty, "        Active SAs: %u, origin: crypto map\n", f->n_sas);
	if (!detail)
		return;
	sa_life_text(in, f->in, life, sizeof(life));
	vty_out(vty, "        Inbound:  #pkts dec'ed %lu drop %lu life "
		"(KB/Sec) %s\n", (unsigned long)f->decaps,
		(unsigned long)f->in_drops, life);
	sa_life_text(in, f->out, life, sizeof(life));
	vty_out(vty, "        Outbound: #pkts enc'ed %lu drop %lu life "
		"(KB/Sec) %s\n", (unsigned long)f->encaps,
		(unsigned long)f->out_drops, life);
}

static void
write_session(struct vty *vty, const struct session_set *set,
	      const struct cmd_session_input *in, const struct session *s,
	      bool detail)
{
	struct session_state st;
	char peer[INET_ADDRSTRLEN], up[24];
	unsigned port = 500, id = 0;

	session_state(set, in, s, &st);
	ip_text(s->peer, peer);
	if (st.any_ike != NULL)
		port = st.any_ike->peer_port;
	/* The session ID follows the IKE SA's conn-id, which stays the
	 * same while that SA lives; sessions without one print 0. */
	if (st.any_ike != NULL && st.any_ike->conn_id > 1000)
		id = st.any_ike->conn_id - 1000;

	vty_out(vty, "Interface: %s\n", s->ifname);
	if (s->profile[0] != '\0')
		vty_out(vty, "Profile: %s\n", s->profile);
	if (detail && st.ike != NULL) {
		uptime_text(st.ike->lifetime_sec > st.ike->remaining_sec ?
			    st.ike->lifetime_sec - st.ike->remaining_sec : 0,
			    up, sizeof(up));
		vty_out(vty, "Uptime: %s\n", up);
	} else if (detail && st.oldest_sa_ns != 0) {
		uptime_text(in->now_ns > st.oldest_sa_ns ?
			    (in->now_ns - st.oldest_sa_ns) / 1000000000u : 0,
			    up, sizeof(up));
		vty_out(vty, "Uptime: %s\n", up);
	}
	vty_out(vty, "Session status: %-14s\n", st.status);
	if (detail) {
		vty_out(vty, "Peer: %s port %u fvrf: (none) ivrf: (none)\n",
			peer, port);
		if (st.any_ike != NULL)
			vty_out(vty, "      Phase1_id: %s\n",
				phase1_id(st.any_ike, peer));
		vty_out(vty, "      Desc: (none)\n");
	} else {
		vty_out(vty, "Peer: %s port %u \n", peer, port);
	}
	vty_out(vty, "  Session ID: %u  \n", id);
	write_session_ike(vty, set, in, s, detail);
	for (size_t i = 0; i < s->n_flows; i++)
		write_flow(vty, in, &s->flows[i], detail);
	vty_out(vty, "\n");
}

int
cmd_crypto_session_write(struct vty *vty, const struct cmd_session_input *in,
			 uint32_t remote, bool detail)
{
	struct session_set set = { 0 };
	struct dp_config dc = { 0 };
	int ret = -1;

	if (!ike_refs_build(&set, in))
		goto out;
	if (in->running != NULL) {
		/* Entries that cannot become manual SAs still list their
		 * maps, interfaces and ACLs, which is all that is used. */
		dp_config_extract(in->running, &dc, NULL, 0);
		add_map_sessions(&set, in->running, &dc);
		add_tunnel_sessions(&set, in->running, &dc);
	}
	add_ipsec_sas(&set, in, &dc);
	add_ike_sas(&set, in);
	if (set.no_memory)
		goto out;
	/* Sorting moves the sessions, which leaves the slots stale: they
	 * are not used afterwards. */
	if (set.n > 1)
		qsort(set.s, set.n, sizeof(set.s[0]), session_order);

	vty_out(vty, "Crypto session current status\n\n");
	if (detail)
		vty_out(vty, "Code: C - IKE Configuration mode, D - Dead Peer "
			"Detection     \n"
			"K - Keepalives, N - NAT-traversal, T - cTCP "
			"encapsulation     \n"
			"X - IKE Extended Authentication, F - IKE "
			"Fragmentation\n"
			"R - IKE Auto Reconnect, U - IKE Dynamic Route Update\n"
			"S - SIP VPN\n\n");
	for (size_t i = 0; i < set.n; i++) {
		if (remote == 0 || set.s[i].peer == remote)
			write_session(vty, &set, in, &set.s[i], detail);
	}
	ret = 0;
out:
	session_set_free(&set);
	dp_config_free(&dc);
	return ret;
}

