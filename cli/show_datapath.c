/*
 * Show and clear commands of the datapath, in IOS XE layout:
 * show crypto ipsec sa, show crypto map, the QFP global drop table and
 * the IPsec feature drop table. SA counters come from a snapshot that the
 * datapath thread copies; drop counters are read from its atomics.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libyang/libyang.h>

#include "cli/cmd_config.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"
#include "datapath/datapath.h"

#define MOD "/vrouter-config:"
#define PATH_MTU 1500

static struct dp *
router_dp(struct vty *vty)
{
	if (vty->router == NULL || vty->router->dp == NULL) {
		vty_out(vty, "%% The datapath is not running\n");
		return NULL;
	}
	return vty->router->dp;
}

static const char *
leaf(const struct lyd_node *node, const char *path)
{
	struct lyd_node *n = NULL;

	if (lyd_find_path(node, path, 0, &n) != LY_SUCCESS || n == NULL)
		return NULL;
	return lyd_get_value(n);
}

/* ---- crypto ACLs ---- */

/* Finds the first entry of access list NAME whose action is ACTION. */
static const struct lyd_node *
acl_first(const struct lyd_node *tree, const char *name, const char *action)
{
	char xpath[256];
	struct ly_set *set = NULL;
	const struct lyd_node *found = NULL;

	snprintf(xpath, sizeof(xpath), MOD "access-lists/access-list"
		 "[name='%s']/entry", name);
	if (tree == NULL || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return NULL;
	for (uint32_t i = 0; i < set->count && found == NULL; i++) {
		const char *a = leaf(set->dnodes[i], "action");

		if (action == NULL || (a != NULL && strcmp(a, action) == 0))
			found = set->dnodes[i];
	}
	ly_set_free(set, NULL);
	return found;
}

static int
protocol_number(const char *p)
{
	static const struct { const char *name; int num; } names[] = {
		{ "ip", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 },
		{ "udp", 17 }, { "gre", 47 }, { "esp", 50 }, { "ahp", 51 },
		{ "eigrp", 88 }, { "ospf", 89 }, { "pim", 103 },
	};

	for (size_t i = 0; p != NULL && i < sizeof(names) / sizeof(names[0]);
	     i++) {
		if (strcmp(names[i].name, p) == 0)
			return names[i].num;
	}
	return p != NULL ? atoi(p) : 0;
}

/*
 * Formats the "source" or "destination" match of ACL entry ACE as an
 * IPsec identity "(addr/mask/prot/port)".
 */
static void
ident_text(const struct lyd_node *ace, const char *which, char *buf,
	   size_t len)
{
	char path[64];
	const char *addr = "0.0.0.0", *mask = "0.0.0.0", *v, *op;
	char mbuf[INET_ADDRSTRLEN];
	uint32_t w;
	unsigned port = 0;

	snprintf(path, sizeof(path), "%s/host", which);
	if ((v = leaf(ace, path)) != NULL) {
		addr = v;
		mask = "255.255.255.255";
	} else {
		snprintf(path, sizeof(path), "%s/address", which);
		if ((v = leaf(ace, path)) != NULL)
			addr = v;
		snprintf(path, sizeof(path), "%s/wildcard", which);
		if ((v = leaf(ace, path)) != NULL &&
		    inet_pton(AF_INET, v, &w) == 1) {
			w = ~w;
			inet_ntop(AF_INET, &w, mbuf, sizeof(mbuf));
			mask = mbuf;
		}
	}
	snprintf(path, sizeof(path), "%s/operator", which);
	op = leaf(ace, path);
	snprintf(path, sizeof(path), "%s/port", which);
	if (op != NULL && strcmp(op, "eq") == 0 &&
	    (v = leaf(ace, path)) != NULL)
		port = (unsigned)atoi(v);
	snprintf(buf, len, "(%s/%s/%d/%u)", addr, mask,
		 protocol_number(leaf(ace, "protocol")), port);
}

/* Appends the "source" or "destination" match of ACE in ACL syntax. */
static void
append_match(const struct lyd_node *ace, const char *which, char *buf,
	     size_t len)
{
	char path[64];
	const char *v, *w, *op, *port, *end;
	size_t used = strlen(buf);

	snprintf(path, sizeof(path), "%s/host", which);
	if ((v = leaf(ace, path)) != NULL) {
		snprintf(buf + used, len - used, " host %s", v);
	} else {
		snprintf(path, sizeof(path), "%s/address", which);
		v = leaf(ace, path);
		snprintf(path, sizeof(path), "%s/wildcard", which);
		w = leaf(ace, path);
		if (v != NULL && w != NULL)
			snprintf(buf + used, len - used, " %s %s", v, w);
		else
			snprintf(buf + used, len - used, " any");
	}
	snprintf(path, sizeof(path), "%s/operator", which);
	op = leaf(ace, path);
	snprintf(path, sizeof(path), "%s/port", which);
	port = leaf(ace, path);
	snprintf(path, sizeof(path), "%s/port-end", which);
	end = leaf(ace, path);
	used = strlen(buf);
	if (op != NULL && port != NULL)
		snprintf(buf + used, len - used, " %s %s%s%s", op, port,
			 end ? " " : "", end ? end : "");
}

/* Prints the entries of access list NAME as `show crypto map` lists them. */
static void
show_acl_entries(struct vty *vty, const struct lyd_node *tree,
		 const char *name)
{
	char xpath[256];
	struct ly_set *set = NULL;

	snprintf(xpath, sizeof(xpath), MOD "access-lists/access-list"
		 "[name='%s']/entry", name);
	if (lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return;
	for (uint32_t i = 0; i < set->count; i++) {
		const struct lyd_node *ace = set->dnodes[i];
		const char *action = leaf(ace, "action");
		const char *proto = leaf(ace, "protocol");
		char line[256];

		if (action == NULL || strcmp(action, "remark") == 0)
			continue;
		snprintf(line, sizeof(line), "access-list %s %s%s%s", name,
			 action, proto ? " " : "", proto ? proto : "");
		append_match(ace, "source", line, sizeof(line));
		if (proto != NULL)
			append_match(ace, "destination", line, sizeof(line));
		vty_out(vty, "\t    %s\n", line);
	}
	ly_set_free(set, NULL);
}

/* Formats one side of a negotiated selector as "(addr/mask/prot/port)". */
static void
selector_text(uint32_t addr, uint32_t mask, uint8_t proto, uint16_t port,
	      char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	inet_ntop(AF_INET, &mask, m, sizeof(m));
	snprintf(buf, len, "(%s/%s/%u/%u)", a, m, proto, port);
}

/*
 * Fills the local and remote identities of crypto map MAP entry SEQ from
 * the first permit entry of its match-address ACL, as IOS shows them.
 * Returns false, leaving 0.0.0.0/0 in both, when the entry has no such
 * ACL, as a dynamic entry has none.
 */
static bool
flow_idents(struct vty *vty, const char *map, uint32_t seq, char *local,
	    char *remote, size_t len)
{
	const struct lyd_node *tree, *ace = NULL;
	const char *acl;
	char xpath[256];

	snprintf(local, len, "(0.0.0.0/0.0.0.0/0/0)");
	snprintf(remote, len, "(0.0.0.0/0.0.0.0/0/0)");
	if (vty->router == NULL || vty->router->cfg == NULL)
		return false;
	tree = cfg_read_lock(vty->router->cfg);
	snprintf(xpath, sizeof(xpath), MOD "crypto/map[name='%s']/entry"
		 "[sequence='%u']/match-address", map, seq);
	acl = tree != NULL ? cfg_get_value(tree, xpath) : NULL;
	if (acl != NULL)
		ace = acl_first(tree, acl, "permit");
	if (ace != NULL) {
		ident_text(ace, "source", local, len);
		ident_text(ace, "destination", remote, len);
	}
	cfg_read_unlock(vty->router->cfg);
	return ace != NULL;
}

/* True when IFNAME is a Tunnel interface in a GRE mode. */
static bool
gre_tunnel(struct vty *vty, const char *ifname)
{
	const struct lyd_node *tree;
	const char *mode;
	char xpath[160];
	bool found, gre;

	if (strncmp(ifname, "Tunnel", 6) != 0 || vty->router == NULL ||
	    vty->router->cfg == NULL)
		return false;
	tree = cfg_read_lock(vty->router->cfg);
	snprintf(xpath, sizeof(xpath), MOD "interfaces/interface[name='%s']"
		 "/name", ifname);
	found = tree != NULL && cfg_get_value(tree, xpath) != NULL;
	snprintf(xpath, sizeof(xpath), MOD "interfaces/interface[name='%s']"
		 "/tunnel/mode", ifname);
	mode = tree != NULL ? cfg_get_value(tree, xpath) : NULL;
	gre = found && (mode == NULL || strncmp(mode, "gre", 3) == 0);
	cfg_read_unlock(vty->router->cfg);
	return gre;
}

/* ---- show crypto ipsec sa ---- */

static size_t
icv_len(const struct dp_sa_params *p)
{
	static const size_t lens[] = {
		[DP_INTEG_NONE] = 0,
		[DP_INTEG_HMAC_MD5_96] = 12,
		[DP_INTEG_HMAC_SHA1_96] = 12,
		[DP_INTEG_HMAC_SHA256_128] = 16,
		[DP_INTEG_HMAC_SHA384_192] = 24,
		[DP_INTEG_HMAC_SHA512_256] = 32,
	};

	if (p->cipher == DP_CIPHER_AES_GCM ||
	    p->cipher == DP_CIPHER_CHACHA20_POLY1305)
		return 16;
	return (size_t)p->integ < sizeof(lens) / sizeof(lens[0]) ?
	       lens[p->integ] : 0;
}

/*
 * Largest inner packet that fits the path MTU after the outer header,
 * ESP header, IV, padding to the block, trailer and ICV; 1438 for
 * AES-CBC with HMAC-SHA1 on a 1500-octet path, as IOS prints it.
 */
static unsigned
plaintext_mtu(const struct dp_sa_params *p)
{
	size_t block = p->cipher == DP_CIPHER_AES_CBC ? 16 :
		       p->cipher == DP_CIPHER_3DES_CBC ? 8 : 4;
	size_t room = PATH_MTU - 20 - 8 - dp_esp_iv_len(p->cipher) -
		      icv_len(p) - (p->udp_encap ? 8 : 0);

	return (unsigned)(room / block * block - 2);
}

/* The peer's end of SA S. */
static uint32_t
remote_endpoint(const struct dp_sa_info *s)
{
	return s->params.outbound ? s->params.dst : s->params.src;
}

static int
compare_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

/*
 * Orders two negotiated SAs of one crypto map entry by peer and
 * selector: a dynamic entry carries one flow per peer and proxy pair.
 * Returns 0 when either SA has no selector.
 */
static int
selector_order(const struct dp_sa_info *x, const struct dp_sa_info *y)
{
	const struct dp_selector *a = &x->selector, *b = &y->selector;
	int c;

	if (!x->has_selector || !y->has_selector)
		return 0;
	c = compare_u32(ntohl(remote_endpoint(x)), ntohl(remote_endpoint(y)));
	if (c == 0)
		c = compare_u32(ntohl(a->remote), ntohl(b->remote));
	if (c == 0)
		c = compare_u32(ntohl(a->remote_mask), ntohl(b->remote_mask));
	if (c == 0)
		c = compare_u32(ntohl(a->local), ntohl(b->local));
	if (c == 0)
		c = compare_u32(ntohl(a->local_mask), ntohl(b->local_mask));
	if (c == 0)
		c = compare_u32(a->proto, b->proto);
	if (c == 0)
		c = compare_u32(a->remote_port, b->remote_port);
	if (c == 0)
		c = compare_u32(a->local_port, b->local_port);
	return c;
}

static int
sa_order(const void *a, const void *b)
{
	const struct dp_sa_info *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	if (c == 0)
		c = strcmp(x->map, y->map);
	if (c == 0)
		c = (int)x->map_seq - (int)y->map_seq;
	if (c == 0)
		c = selector_order(x, y);
	if (c == 0)
		c = (int)x->params.outbound - (int)y->params.outbound;
	if (c == 0)
		c = compare_u32(x->conn_id, y->conn_id);
	return c;
}

static bool
same_flow(const struct dp_sa_info *a, const struct dp_sa_info *b)
{
	return strcmp(a->ifname, b->ifname) == 0 &&
	       strcmp(a->map, b->map) == 0 && a->map_seq == b->map_seq &&
	       selector_order(a, b) == 0;
}

static void
ip_text(uint32_t addr, char *buf)
{
	inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* The peer's UDP port of SA P: 500 for plain ESP, and for ESP in UDP
 * the port its NAT maps it to, which IKE may move an outbound SA to. */
static unsigned
peer_port(const struct dp_sa_params *p)
{
	unsigned port = p->outbound ? p->encap_dport : p->encap_sport;

	if (!p->udp_encap)
		return 500;
	return port != 0 ? port : DP_NATT_PORT;
}

static void
show_esp_sa(struct vty *vty, const struct dp_sa_info *s, uint64_t now_ns)
{
	const struct dp_sa_params *p = &s->params;
	uint32_t kb, sec;

	vty_out(vty, "      spi: 0x%X(%u)\n", p->spi, p->spi);
	vty_out(vty, "        transform: %s ,\n", s->transform);
	vty_out(vty, "        in use settings ={%s%s, }\n",
		p->tunnel ? "Tunnel" : "Transport",
		p->udp_encap ? " UDP-Encaps" : "");
	vty_out(vty, "        conn id: %u, flow_id: SW:%u, sibling_flags "
		"80000040, crypto map: %s\n", s->conn_id,
		s->conn_id > 2000 ? s->conn_id - 2000 : s->conn_id, s->map);
	/* NOTE: manual SAs do not expire, so they print their configured
	 * lifetime without counting down. */
	dp_sa_remaining(s, now_ns, &kb, &sec);
	vty_out(vty, "        sa timing: remaining key lifetime (k/sec): "
		"(%u/%u)\n", kb, sec);
	vty_out(vty, "        IV size: %zu bytes\n", dp_esp_iv_len(p->cipher));
	/*
	 * A configured window shows on both directions, as IOS XE prints
	 * it; an outbound SA installed without a window still prints Y.
	 */
	if (p->replay_window == 0 && !p->outbound)
		vty_out(vty, "        replay detection support: N\n");
	else if (p->replay_window == 0 ||
		 p->replay_window == DP_REPLAY_WINDOW_DEFAULT)
		vty_out(vty, "        replay detection support: Y\n");
	else
		vty_out(vty, "        replay detection support: Y  replay "
			"window size: %u\n", p->replay_window);
	vty_out(vty, "        Status: ACTIVE(ACTIVE)\n\n");
}

/* Sums the counters of the SAs [FIRST, LAST) of one flow. */
static void
flow_counters(const struct dp_sa_info *sas, size_t first, size_t last,
	      struct dp_sa_counters *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = first; i < last; i++) {
		const struct dp_sa_counters *s = &sas[i].counters;

		c->encaps += s->encaps;
		c->encrypt += s->encrypt;
		c->digest += s->digest;
		c->decaps += s->decaps;
		c->decrypt += s->decrypt;
		c->verify += s->verify;
		c->encaps_failed += s->encaps_failed;
		c->decaps_failed += s->decaps_failed;
		c->verify_failed += s->verify_failed;
		c->replay_failed += s->replay_failed;
		c->invalid_len += s->invalid_len;
		c->invalid_prot += s->invalid_prot;
		c->replay_rollover_send += s->replay_rollover_send;
		c->replay_rollover_rcv += s->replay_rollover_rcv;
		c->no_sa_send += s->no_sa_send;
		c->invalid_sa += s->invalid_sa;
		c->invalid_ident += s->invalid_ident;
	}
}

static void
show_flow_counters(struct vty *vty, const struct dp_sa_counters *c,
		   bool detail)
{
	vty_out(vty, "    #pkts encaps: %lu, #pkts encrypt: %lu, #pkts "
		"digest: %lu\n", (unsigned long)c->encaps,
		(unsigned long)c->encrypt, (unsigned long)c->digest);
	vty_out(vty, "    #pkts decaps: %lu, #pkts decrypt: %lu, #pkts "
		"verify: %lu\n", (unsigned long)c->decaps,
		(unsigned long)c->decrypt, (unsigned long)c->verify);
	vty_out(vty, "    #pkts compressed: 0, #pkts decompressed: 0\n");
	vty_out(vty, "    #pkts not compressed: 0, #pkts compr. failed: 0\n");
	vty_out(vty, "    #pkts not decompressed: 0, #pkts decompress "
		"failed: 0\n");
	if (!detail) {
		vty_out(vty, "    #send errors %lu, #recv errors %lu\n\n",
			(unsigned long)(c->encaps_failed + c->no_sa_send),
			(unsigned long)(c->decaps_failed + c->invalid_sa +
					c->invalid_ident));
		return;
	}
	/* Unknown SPIs match no SA, so they are counted per drop reason,
	 * never here (see struct dp_sa_counters for invalid sa). */
	vty_out(vty, "    #pkts no sa (send) %lu, #pkts invalid sa (rcv) "
		"%lu\n", (unsigned long)c->no_sa_send,
		(unsigned long)c->invalid_sa);
	vty_out(vty, "    #pkts encaps failed (send) %lu, #pkts decaps "
		"failed (rcv) %lu\n", (unsigned long)c->encaps_failed,
		(unsigned long)c->decaps_failed);
	vty_out(vty, "    #pkts invalid prot (recv) %lu, #pkts verify "
		"failed: %lu\n", (unsigned long)c->invalid_prot,
		(unsigned long)c->verify_failed);
	vty_out(vty, "    #pkts invalid identity (recv) %lu, #pkts invalid "
		"len (rcv) %lu\n", (unsigned long)c->invalid_ident,
		(unsigned long)c->invalid_len);
	vty_out(vty, "    #pkts replay rollover (send): %lu, #pkts replay "
		"rollover (rcv) %lu\n", (unsigned long)c->replay_rollover_send,
		(unsigned long)c->replay_rollover_rcv);
	vty_out(vty, "    ##pkts replay failed (rcv): %lu\n",
		(unsigned long)c->replay_failed);
	vty_out(vty, "    #pkts tagged (send): 0, #pkts untagged (rcv): 0\n");
	vty_out(vty, "    #pkts not tagged (send): 0, #pkts not untagged "
		"(rcv): 0\n");
	vty_out(vty, "    #pkts internal err (send): 0, #pkts internal err "
		"(recv) 0\n\n");
}

/* True for the placeholder of an entry with no SA (see add_idle_flows()). */
static bool
idle_flow(const struct dp_sa_info *s)
{
	return s->conn_id == 0;
}

/* Returns whether SAS[0..N) has an SA of crypto map entry M. */
static bool
entry_has_sa(const struct dp_sa_info *sas, size_t n,
	     const struct dp_map_cfg *m)
{
	for (size_t i = 0; i < n; i++) {
		if (sas[i].map_seq == m->seq &&
		    strcmp(sas[i].map, m->map) == 0 &&
		    strcmp(sas[i].ifname, m->ifname) == 0)
			return true;
	}
	return false;
}

/* Fills placeholder S of entry M on interface IFC, oriented outbound. */
static void
idle_flow_fill(const struct lyd_node *tree, const struct dp_map_cfg *m,
	       const struct dp_if_cfg *ifc, struct dp_sa_info *s)
{
	char xpath[256];
	const char *peer;

	memset(s, 0, sizeof(*s));
	snprintf(s->map, sizeof(s->map), "%s", m->map);
	s->map_seq = m->seq;
	memcpy(s->ifname, m->ifname, sizeof(s->ifname));
	s->params.outbound = true;
	s->params.src = ifc != NULL ? ifc->addr : 0;
	snprintf(xpath, sizeof(xpath), MOD "crypto/map[name='%s']/entry"
		 "[sequence='%u']/peer", m->map, m->seq);
	peer = cfg_get_value(tree, xpath);
	if (peer == NULL || inet_pton(AF_INET, peer, &s->params.dst) != 1)
		s->params.dst = 0;
}

/*
 * Appends to *SAS, of *N entries, a placeholder with conn id 0 for each
 * ipsec-isakmp crypto map entry with an ACL, applied to an interface,
 * that has no SA yet. IOS shows such an entry with its ACL's flow, zero
 * counters and no SA. Returns -1 when memory runs out.
 */
static int
add_idle_flows(struct vty *vty, struct dp_sa_info **sas, size_t *n)
{
	const struct lyd_node *tree;
	struct dp_config cfg;
	int ret = 0;

	if (vty->router == NULL || vty->router->cfg == NULL)
		return 0;
	tree = cfg_read_lock(vty->router->cfg);
	if (tree == NULL)
		goto out;
	/* The return is -1 when a manual entry lacks a key, but the crypto
	 * map entries are extracted all the same. */
	(void)dp_config_extract(tree, &cfg, NULL, 0);
	for (size_t i = 0; i < cfg.n_maps && ret == 0; i++) {
		const struct dp_map_cfg *m = &cfg.maps[i];
		const struct dp_if_cfg *ifc = NULL;
		struct dp_sa_info *grown;

		if (m->manual || m->dynamic || m->acl[0] == '\0' ||
		    entry_has_sa(*sas, *n, m))
			continue;
		grown = realloc(*sas, (*n + 1) * sizeof(**sas));
		if (grown == NULL) {
			ret = -1;
			break;
		}
		*sas = grown;
		for (size_t k = 0; k < cfg.n_ifs; k++) {
			if (strcmp(cfg.ifs[k].name, m->ifname) == 0)
				ifc = &cfg.ifs[k];
		}
		idle_flow_fill(tree, m, ifc, &(*sas)[(*n)++]);
	}
	dp_config_free(&cfg);
out:
	cfg_read_unlock(vty->router->cfg);
	return ret;
}

/* One flow: the SAs [FIRST, LAST) of one crypto map entry. */
static void
show_flow(struct vty *vty, const struct dp_sa_info *sas, size_t first,
	  size_t last, bool detail, uint64_t now_ns)
{
	const struct dp_sa_info *in = NULL, *out = NULL;
	const struct dp_sa_params *p;
	struct dp_sa_counters c;
	char local[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
	char lident[96], rident[96];

	/* The datapath encrypts with the newest outbound SA of the flow,
	 * the one with the highest conn id, so that one is current. */
	for (size_t i = first; i < last; i++) {
		if (idle_flow(&sas[i]))
			continue;
		if (sas[i].params.outbound &&
		    (out == NULL || sas[i].conn_id > out->conn_id))
			out = &sas[i];
		else if (!sas[i].params.outbound && in == NULL)
			in = &sas[i];
	}
	/* A flow has at least one SA, the one at FIRST. */
	p = in != NULL ? &in->params : &sas[first].params;
	ip_text(in != NULL ? p->dst : p->src, local);
	ip_text(in != NULL ? p->src : p->dst, peer);

	if (!flow_idents(vty, sas[first].map, sas[first].map_seq, lident,
			 rident, sizeof(lident)) && sas[first].has_selector) {
		const struct dp_selector *s = &sas[first].selector;

		selector_text(s->local, s->local_mask, s->proto,
			      s->local_port, lident, sizeof(lident));
		selector_text(s->remote, s->remote_mask, s->proto,
			      s->remote_port, rident, sizeof(rident));
	}
	if (gre_tunnel(vty, sas[first].ifname)) {
		/* GRE tunnel protection protects GRE between the ends. */
		snprintf(lident, sizeof(lident), "(%s/255.255.255.255/47/0)",
			 local);
		snprintf(rident, sizeof(rident), "(%s/255.255.255.255/47/0)",
			 peer);
	}
	vty_out(vty, "   protected vrf: (none)\n");
	vty_out(vty, "   local  ident (addr/mask/prot/port): %s\n", lident);
	vty_out(vty, "   remote ident (addr/mask/prot/port): %s\n", rident);
	vty_out(vty, "   current_peer %s port %u\n", peer,
		peer_port(out != NULL ? &out->params : p));
	vty_out(vty, "     PERMIT, flags={origin_is_acl,}\n");
	flow_counters(sas, first, last, &c);
	show_flow_counters(vty, &c, detail);

	vty_out(vty, "     local crypto endpt.: %s, remote crypto endpt.: "
		"%s\n", local, peer);
	/* Without an SA, nothing is added to the packets. */
	vty_out(vty, "     plaintext mtu %u, path mtu %u, ip mtu %u, ip mtu "
		"idb %s\n", idle_flow(&sas[first]) ? PATH_MTU : plaintext_mtu(p),
		PATH_MTU, PATH_MTU, sas[first].ifname);
	vty_out(vty, "     current outbound spi: 0x%X(%u)\n",
		out ? out->params.spi : 0, out ? out->params.spi : 0);
	vty_out(vty, "     PFS (Y/N): N, DH group: none\n\n");

	vty_out(vty, "     inbound esp sas:\n");
	for (size_t i = first; i < last; i++) {
		if (!sas[i].params.outbound && !idle_flow(&sas[i]))
			show_esp_sa(vty, &sas[i], now_ns);
	}
	if (in == NULL)
		vty_out(vty, "\n");
	vty_out(vty, "     inbound ah sas:\n\n");
	vty_out(vty, "     inbound pcp sas:\n\n");
	vty_out(vty, "     outbound esp sas:\n");
	for (size_t i = first; i < last; i++) {
		if (sas[i].params.outbound && !idle_flow(&sas[i]))
			show_esp_sa(vty, &sas[i], now_ns);
	}
	if (out == NULL)
		vty_out(vty, "\n");
	vty_out(vty, "     outbound ah sas:\n\n");
	vty_out(vty, "     outbound pcp sas:\n");
}

/* True when the flow of S passes the peer, map or interface filter. */
/* IFNAME is the full interface name the user selected, or NULL. */
static bool
flow_selected(const struct cmd_args *args, const char *ifname,
	      const struct dp_sa_info *s)
{
	const char *peer = cmd_arg(args, "peer");
	const char *map = cmd_arg(args, "map");
	char remote[INET_ADDRSTRLEN];

	ip_text(s->params.outbound ? s->params.dst : s->params.src, remote);
	if (peer != NULL && strcmp(peer, remote) != 0)
		return false;
	if (map != NULL && strcmp(map, s->map) != 0)
		return false;
	return ifname == NULL || strcmp(ifname, s->ifname) == 0;
}

/*
 * Expands the `interface X` argument ("gi1") into OUT. An interface the
 * config does not have gets IOS's caret error, as IOS parses only
 * existing interfaces. Returns false after printing that error.
 */
static bool
selected_interface(struct vty *vty, const struct cmd_args *args, char *out,
		   size_t len)
{
	if (!cc_ifname(cmd_arg(args, "ifname"), NULL, out, len)) {
		cc_invalid_input(vty, cc_column(args, 5, 0));
		return false;
	}
	if (vty->router == NULL ||
	    !cc_interface_exists(vty->router->cfg, out)) {
		cc_invalid_interface(vty, args, 5, false);
		return false;
	}
	return true;
}

/*
 * Without "detail" the error counters are summed into "#send errors"
 * and "#recv errors", as IOS prints them; "detail" lists each one.
 * NOTE: some IOS XE releases print the detailed list either way.
 */
static enum cmd_result
cmd_show_crypto_ipsec_sa(struct vty *vty, const struct cmd_args *args)
{
	struct dp *dp = router_dp(vty);
	struct dp_sa_info *sas = NULL;
	const char *last_if = "";
	char ifname[64] = "";
	size_t first = 0, count;
	uint64_t now_ns;
	int n;

	if (dp == NULL)
		return CMD_WARNING;
	if (cmd_arg(args, "ifname") != NULL &&
	    !selected_interface(vty, args, ifname, sizeof(ifname)))
		return CMD_WARNING;
	n = dp_get_sas(dp, &sas);
	if (n < 0) {
		vty_out(vty, "%% Failed to read the SA database\n");
		return CMD_ERROR;
	}
	count = (size_t)n;
	if (add_idle_flows(vty, &sas, &count) < 0) {
		free(sas);
		vty_out(vty, "%% Failed to list the crypto map entries: out of "
			"memory\n");
		return CMD_ERROR;
	}
	n = (int)count;
	now_ns = dp_now_ns();
	qsort(sas, (size_t)n, sizeof(sas[0]), sa_order);
	for (size_t i = 1; i <= (size_t)n; i++) {
		char local[INET_ADDRSTRLEN];
		const struct dp_sa_params *p = &sas[first].params;

		if (i < (size_t)n && same_flow(&sas[first], &sas[i]))
			continue;
		if (!flow_selected(args, ifname[0] != '\0' ? ifname : NULL,
				   &sas[first])) {
			first = i;
			continue;
		}
		if (strcmp(last_if, sas[first].ifname) != 0) {
			ip_text(p->outbound ? p->src : p->dst, local);
			vty_out(vty, "\ninterface: %s\n", sas[first].ifname);
			vty_out(vty, "    Crypto map tag: %s, local addr %s\n",
				sas[first].map, local);
			last_if = sas[first].ifname;
		}
		vty_out(vty, "\n");
		show_flow(vty, sas, first, i, cmd_has(args, "detail"),
			  now_ns);
		first = i;
	}
	vty_out(vty, "\n");
	free(sas);
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_crypto_sa_counters(struct vty *vty, const struct cmd_args *args)
{
	struct dp *dp = router_dp(vty);

	(void)args;
	if (dp == NULL)
		return CMD_WARNING;
	dp_clear_sa_counters(dp);
	return CMD_SUCCESS;
}

/* ---- show crypto map ---- */

/* Instantiated dynamic entries are numbered from here upward, as on IOS. */
#define DYNAMIC_SEQ_FIRST 65536

/*
 * Prints the lifetime, PFS and transform set lines of crypto map entry
 * or dynamic map entry E.
 */
static void
show_map_policy(struct vty *vty, const struct lyd_node *tree,
		const struct lyd_node *e)
{
	const char *life_kb = leaf(e, "lifetime-kilobytes");
	const char *life_s = leaf(e, "lifetime-seconds");
	const char *pfs = leaf(e, "pfs-group");
	const struct lyd_node *c;

	vty_out(vty, "\tSecurity association lifetime: %s kilobytes/%s "
		"seconds\n", life_kb ? life_kb : "4608000",
		life_s ? life_s : "3600");
	vty_out(vty, "\tDualstack (Y/N): N\n");
	vty_out(vty, "\tResponder-Only (Y/N): N\n");
	vty_out(vty, "\tPFS (Y/N): %s\n", pfs ? "Y" : "N");
	if (pfs != NULL)
		vty_out(vty, "\tDH group:  group%s\n", pfs);
	vty_out(vty, "\tMixed-mode : Disabled\n");
	vty_out(vty, "\tTransform sets={ \n");
	LY_LIST_FOR(lyd_child(e), c) {
		char text[128];

		if (strcmp(LYD_NAME(c), "transform-set") != 0)
			continue;
		if (dp_config_transform_text(tree, lyd_get_value(c), text,
					     sizeof(text)) < 0)
			text[0] = '\0';
		vty_out(vty, "\t\t%s:  { %s  } , \n", lyd_get_value(c), text);
	}
	vty_out(vty, "\t}\n");
}

static void
show_map_entry(struct vty *vty, const struct lyd_node *tree,
	       const struct lyd_node *map, const struct lyd_node *e)
{
	const char *name = leaf(map, "name");
	const char *type = leaf(e, "type");
	const char *acl = leaf(e, "match-address");
	const char *dynamic = leaf(e, "dynamic");
	const char *peer = NULL;
	const struct lyd_node *c;

	vty_out(vty, "Crypto Map IPv4 \"%s\" %s %s\n", name,
		leaf(e, "sequence"), type ? type : "ipsec-isakmp");
	if (dynamic != NULL) {
		vty_out(vty, "\tDynamic map template tag: %s\n", dynamic);
		return;
	}
	LY_LIST_FOR(lyd_child(e), c) {
		if (strcmp(LYD_NAME(c), "peer") == 0 && peer == NULL)
			peer = lyd_get_value(c);
	}
	if (peer == NULL || acl == NULL) {
		vty_out(vty, "\tWARNING: This crypto map is in an incomplete "
			"state!\n");
		vty_out(vty, "\t(missing peer or access-list definitions)\n");
	}
	LY_LIST_FOR(lyd_child(e), c) {
		if (strcmp(LYD_NAME(c), "peer") == 0)
			vty_out(vty, "\tPeer = %s\n", lyd_get_value(c));
	}
	if (acl != NULL) {
		vty_out(vty, "\tExtended IP access list %s\n", acl);
		show_acl_entries(vty, tree, acl);
	}
	if (peer != NULL)
		vty_out(vty, "\tCurrent peer: %s\n", peer);
	show_map_policy(vty, tree, e);
}

/* Appends one side of a selector to LINE in ACL syntax. */
static void
append_selector_side(char *line, size_t len, uint32_t addr, uint32_t mask,
		     uint8_t proto, uint16_t port)
{
	char a[INET_ADDRSTRLEN], w[INET_ADDRSTRLEN];
	uint32_t wild = ~mask;
	size_t used = strlen(line);

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	inet_ntop(AF_INET, &wild, w, sizeof(w));
	if (mask == 0xffffffff)
		snprintf(line + used, len - used, " host %s", a);
	else if (mask == 0)
		snprintf(line + used, len - used, " any");
	else
		snprintf(line + used, len - used, " %s %s", a, w);
	used = strlen(line);
	if (port != 0 && (proto == 6 || proto == 17))
		snprintf(line + used, len - used, " eq %u", port);
}

/* The ACL keyword of IP protocol PROTO, or its number. */
static void
protocol_text(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 0: snprintf(buf, len, "ip"); break;
	case 1: snprintf(buf, len, "icmp"); break;
	case 6: snprintf(buf, len, "tcp"); break;
	case 17: snprintf(buf, len, "udp"); break;
	case 47: snprintf(buf, len, "gre"); break;
	default: snprintf(buf, len, "%u", proto); break;
	}
}

/*
 * Prints the entries that the peers of dynamic crypto map entry E of MAP
 * instantiated, one per outbound flow in SAS, numbered from *NEXT_SEQ.
 * The transform sets, lifetimes and PFS are those of the first entry of
 * the dynamic map, because the IKE manager negotiates with that entry.
 */
static void
show_dynamic_instances(struct vty *vty, const struct lyd_node *tree,
		       const struct lyd_node *map, const struct lyd_node *e,
		       const struct dp_sa_info *sas, size_t n,
		       uint32_t *next_seq)
{
	const char *name = leaf(map, "name");
	const char *dynamic = leaf(e, "dynamic");
	uint32_t seq = (uint32_t)strtoul(leaf(e, "sequence"), NULL, 10);
	const struct lyd_node *templ = NULL;
	struct ly_set *set = NULL;
	char xpath[256];

	snprintf(xpath, sizeof(xpath), MOD "crypto/dynamic-map[name='%s']"
		 "/entry", dynamic);
	if (lyd_find_xpath(tree, xpath, &set) == LY_SUCCESS &&
	    set->count > 0)
		templ = set->dnodes[0];
	for (size_t i = 0; templ != NULL && i < n; i++) {
		const struct dp_sa_info *s = &sas[i];
		const struct dp_selector *sel = &s->selector;
		char peer[INET_ADDRSTRLEN], proto[8], line[256];

		/* SAS is sorted by flow, so this takes one SA a flow: its
		 * last outbound one. */
		if (!s->params.outbound || !s->has_selector ||
		    s->map_seq != seq || strcmp(s->map, name) != 0 ||
		    (i + 1 < n && sas[i + 1].params.outbound &&
		     same_flow(s, &sas[i + 1])))
			continue;
		ip_text(s->params.dst, peer);
		protocol_text(sel->proto, proto, sizeof(proto));
		snprintf(line, sizeof(line), "access-list  permit %s", proto);
		append_selector_side(line, sizeof(line), sel->local,
				     sel->local_mask, sel->proto,
				     sel->local_port);
		append_selector_side(line, sizeof(line), sel->remote,
				     sel->remote_mask, sel->proto,
				     sel->remote_port);
		vty_out(vty, "Crypto Map IPv4 \"%s\" %u ipsec-isakmp\n", name,
			(*next_seq)++);
		vty_out(vty, "\tPeer = %s\n", peer);
		vty_out(vty, "\tExtended IP access list \n");
		vty_out(vty, "\t    %s\n", line);
		vty_out(vty, "\t    dynamic (created from dynamic map %s/%s)\n",
			dynamic, leaf(templ, "sequence"));
		vty_out(vty, "\tCurrent peer: %s\n", peer);
		show_map_policy(vty, tree, templ);
	}
	ly_set_free(set, NULL);
}

static void
show_map_interfaces(struct vty *vty, const struct lyd_node *tree,
		    const char *name)
{
	struct ly_set *set = NULL;

	vty_out(vty, "\tInterfaces using crypto map %s:\n", name);
	if (lyd_find_xpath(tree, MOD "interfaces/interface", &set) ==
	    LY_SUCCESS) {
		for (uint32_t i = 0; i < set->count; i++) {
			const char *m = leaf(set->dnodes[i], "crypto-map");

			if (m != NULL && strcmp(m, name) == 0)
				vty_out(vty, "\t\t%s\n",
					leaf(set->dnodes[i], "name"));
		}
	}
	ly_set_free(set, NULL);
	vty_out(vty, "\n");
}

static enum cmd_result
cmd_show_crypto_map(struct vty *vty, const struct cmd_args *args)
{
	const struct lyd_node *tree;
	struct ly_set *maps = NULL;
	struct dp *dp = router_dp(vty);
	struct dp_sa_info *sas = NULL;
	uint32_t next_seq = DYNAMIC_SEQ_FIRST;
	int n = 0;

	(void)args;
	if (vty->router == NULL || vty->router->cfg == NULL)
		return CMD_SUCCESS;
	/* The SAs of instantiated entries, read before the config lock
	 * is taken. */
	if (dp != NULL && (n = dp_get_sas(dp, &sas)) > 0)
		qsort(sas, (size_t)n, sizeof(sas[0]), sa_order);
	if (n < 0)
		n = 0;
	tree = cfg_read_lock(vty->router->cfg);
	if (tree != NULL &&
	    lyd_find_xpath(tree, MOD "crypto/map", &maps) == LY_SUCCESS) {
		for (uint32_t i = 0; i < maps->count; i++) {
			const struct lyd_node *map = maps->dnodes[i];
			const struct lyd_node *c;

			LY_LIST_FOR(lyd_child(map), c) {
				if (strcmp(LYD_NAME(c), "entry") == 0)
					show_map_entry(vty, tree, map, c);
			}
			LY_LIST_FOR(lyd_child(map), c) {
				if (strcmp(LYD_NAME(c), "entry") == 0 &&
				    leaf(c, "dynamic") != NULL)
					show_dynamic_instances(vty, tree, map,
							       c, sas,
							       (size_t)n,
							       &next_seq);
			}
			show_map_interfaces(vty, tree, leaf(map, "name"));
		}
	}
	ly_set_free(maps, NULL);
	cfg_read_unlock(vty->router->cfg);
	free(sas);
	return CMD_SUCCESS;
}

/* ---- QFP global drops ---- */

#define QFP_RULE \
	"-------------------------------------------------------------------------\n"

/* Prints NAME with PACKETS ending at column 49 and OCTETS at column 71. */
static void
qfp_row(struct vty *vty, const char *name, const char *packets,
	const char *octets)
{
	int pad1 = 49 - (int)strlen(name) - (int)strlen(packets);
	int pad2 = 71 - 49 - (int)strlen(octets);

	vty_out(vty, "%s%*s%s%*s%s  \n", name, pad1 > 1 ? pad1 : 1, "",
		packets, pad2 > 1 ? pad2 : 1, "", octets);
}

static void
show_global_drops(struct vty *vty, const struct dp_drop_stats *st, bool all)
{
	bool any = false;

	vty_out(vty, QFP_RULE);
	qfp_row(vty, "Global Drop Stats", "Packets", "Octets");
	vty_out(vty, QFP_RULE);
	/* Reasons sharing a global name are summed into one row. */
	for (int d = 0; d < DP_DROP_COUNT; d++) {
		const char *name = dp_drop_global_name(d);
		uint64_t pkts = 0, octets = 0;
		char p[24], o[24];
		bool first = true;

		for (int e = 0; e < d; e++)
			first = first && strcmp(dp_drop_global_name(e), name);
		if (!first)
			continue;
		for (int e = d; e < DP_DROP_COUNT; e++) {
			if (strcmp(dp_drop_global_name(e), name) == 0) {
				pkts += st->packets[e];
				octets += st->octets[e];
			}
		}
		if (pkts == 0 && !all)
			continue;
		snprintf(p, sizeof(p), "%lu", (unsigned long)pkts);
		snprintf(o, sizeof(o), "%lu", (unsigned long)octets);
		qfp_row(vty, name, p, o);
		any = true;
	}
	if (!any)
		vty_out(vty, "   The Global drop stats were all zero\n");
}

static enum cmd_result
cmd_show_qfp_drops(struct vty *vty, const struct cmd_args *args)
{
	struct dp *dp = router_dp(vty);
	struct dp_drop_stats st;

	if (dp == NULL)
		return CMD_WARNING;
	dp_get_drops(dp, &st);
	if (cmd_has(args, "clear")) {
		char when[64];
		time_t now = time(NULL);
		struct tm tm;

		dp_clear_drops(dp);
		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
		vty_out(vty, "    Last clearing of QFP drops statistics : %s\n"
			"\n\n", when);
	}
	show_global_drops(vty, &st, cmd_has(args, "all"));
	return CMD_SUCCESS;
}

static enum cmd_result
cmd_clear_qfp_drops(struct vty *vty, const struct cmd_args *args)
{
	struct dp *dp = router_dp(vty);

	(void)args;
	if (dp == NULL)
		return CMD_WARNING;
	dp_clear_drops(dp);
	return CMD_SUCCESS;
}

/* ---- IPsec feature drops ---- */

#define FEATURE_RULE \
	"------------------------------------------------------------------------\n"

/* Direction group of a feature drop name: 0 inbound, 1 outbound, 2 other. */
static int
drop_group(const char *name)
{
	if (strncmp(name, "IN_", 3) == 0 || strncmp(name, "CD_IN_", 6) == 0)
		return 0;
	if (strncmp(name, "OUT_", 4) == 0)
		return 1;
	return 2;
}

static void
show_feature_drops(struct vty *vty, const struct dp_drop_stats *st,
		   bool all)
{
	bool group_printed = false;

	vty_out(vty, FEATURE_RULE);
	vty_out(vty, "Drop Type  Name                                     "
		"Packets\n");
	vty_out(vty, FEATURE_RULE);
	for (int g = 0; g < 3; g++) {
		bool any = false;

		/* Rows in code order within each group. */
		for (unsigned code = 1; code < 1000; code++) {
			for (int d = 0; d < DP_DROP_COUNT; d++) {
				unsigned c;
				const char *name;

				if (!dp_drop_feature(d, &c, &name) ||
				    c != code || drop_group(name) != g)
					continue;
				if (!all && st->packets[d] == 0)
					continue;
				if (!any && group_printed)
					vty_out(vty, "\n");
				vty_out(vty, "%9u  %-41s%20lu\n", c, name,
					(unsigned long)st->packets[d]);
				any = true;
			}
		}
		group_printed = group_printed || any;
	}
}

static enum cmd_result
cmd_show_ipsec_drops(struct vty *vty, const struct cmd_args *args)
{
	struct dp *dp = router_dp(vty);
	struct dp_drop_stats st;

	if (dp == NULL)
		return CMD_WARNING;
	dp_get_drops(dp, &st);
	if (cmd_has(args, "clear")) {
		for (int d = 0; d < DP_DROP_COUNT; d++) {
			unsigned c;
			const char *name;

			if (dp_drop_feature(d, &c, &name))
				dp_clear_drop(dp, d);
		}
	}
	show_feature_drops(vty, &st, cmd_has(args, "all"));
	return CMD_SUCCESS;
}

#define H_SHOW "Show running system information\n"
#define H_CLEAR "Reset functions\n"
#define H_QFP \
	"Show platform information\n" \
	"Show platform hardware information\n" \
	"QuantumFlow Processor\n" \
	"Active instance\n"

static const struct cmd_def datapath_cmds[] = {
	{ "show crypto ipsec sa [(peer A.B.C.D$peer|map WORD$map|"
	  "interface WORD$ifname)] [detail]",
	  H_SHOW "Encryption module\nShow IPSEC information\n"
	  "IPSEC SA table\nIPSEC SAs for a peer\nIP address of the peer\n"
	  "IPSEC SAs for a crypto map\nCrypto map name\n"
	  "IPSEC SAs for an interface\nInterface name\n"
	  "Detailed error counters",
	  cmd_show_crypto_ipsec_sa, 0, 0 },
	{ "show crypto map",
	  H_SHOW "Encryption module\nCrypto maps",
	  cmd_show_crypto_map, 0, 0 },
	{ "clear crypto sa counters",
	  H_CLEAR "Encryption module\nClear all IPSEC security associations\n"
	  "Reset the IPSEC SA counters",
	  cmd_clear_crypto_sa_counters, 0, 0 },
	{ "show platform hardware qfp active statistics drop "
	  "[(all$all|clear$clear)]",
	  H_SHOW H_QFP "QFP statistics\nStatistics drop\n"
	  "Include drop causes that are zero\n"
	  "Clear the drop statistics after showing them",
	  cmd_show_qfp_drops, 0, 0 },
	{ "clear platform hardware qfp active statistics drop",
	  H_CLEAR H_QFP "QFP statistics\nStatistics drop",
	  cmd_clear_qfp_drops, 0, 0 },
	{ "show platform hardware qfp active feature ipsec datapath drops "
	  "[(all$all|clear$clear)]",
	  H_SHOW H_QFP "QFP feature\nIPsec feature\nIPsec datapath\n"
	  "IPsec datapath drops\nInclude drop types that are zero\n"
	  "Clear the drop counters after showing them",
	  cmd_show_ipsec_drops, 0, 0 },
};

void
cmd_show_datapath_install(void)
{
	for (size_t i = 0; i < sizeof(datapath_cmds) / sizeof(datapath_cmds[0]);
	     i++)
		cmd_install(MODE_PRIV_EXEC, &datapath_cmds[i]);
}
