/*
 * Derives what the datapath needs from the running tree of the
 * vrouter-config module: interface addresses, static routes and the SAs
 * of ipsec-manual crypto map entries on the interfaces that carry the
 * map. Runs in the committing thread; the result is posted to the
 * datapath thread.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>
#include <openssl/crypto.h>

#include "core/config.h"
#include "datapath/dp_private.h"

#define MOD "/vrouter-config:"
#define DEFAULT_LIFETIME_SEC 3600
#define DEFAULT_LIFETIME_KB 4608000

/* Appends one "; "-separated reason to ERR. */
static void
add_err(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	used = strlen(err);
	if (used > 0 && used + 2 < errlen) {
		memcpy(err + used, "; ", 3);
		used += 2;
	}
	if (used >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

/* Value of the leaf at the relative PATH below NODE, or NULL. */
static const char *
leaf(const struct lyd_node *node, const char *path)
{
	struct lyd_node *n = NULL;

	if (lyd_find_path(node, path, 0, &n) != LY_SUCCESS || n == NULL)
		return NULL;
	return lyd_get_value(n);
}

/* First value of the leaf-list NAME directly below NODE, or NULL. */
static const char *
first_of(const struct lyd_node *node, const char *name)
{
	struct lyd_node *c;

	LY_LIST_FOR(lyd_child(node), c) {
		if (strcmp(LYD_NAME(c), name) == 0)
			return lyd_get_value(c);
	}
	return NULL;
}

static struct ly_set *
find_all(const struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;

	if (tree == NULL || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return NULL;
	return set;
}

static uint8_t
mask_len(uint32_t mask_n)
{
	uint32_t m = ntohl(mask_n);
	uint8_t n = 0;

	while (m & 0x80000000U) {
		n++;
		m <<= 1;
	}
	return n;
}

/* Tunnel mode, ends, key, protection and static NHRP maps. */
static void
extract_tunnel(const struct lyd_node *n, struct dp_if_cfg *ifc)
{
	const char *v;
	struct lyd_node *c;
	struct lyd_node *nhrp = NULL;

	if (strncmp(ifc->name, "Tunnel", 6) != 0)
		return;
	v = leaf(n, "tunnel/mode");
	ifc->tunnel = DP_TUNNEL_GRE;
	if (v != NULL && strcmp(v, "ipsec-ipv4") == 0)
		ifc->tunnel = DP_TUNNEL_IPSEC;
	else if (v != NULL && strcmp(v, "gre-multipoint") == 0)
		ifc->tunnel = DP_TUNNEL_MGRE;
	v = leaf(n, "tunnel/source");
	if (v != NULL && inet_pton(AF_INET, v, &ifc->tunnel_src) != 1)
		snprintf(ifc->tunnel_src_if, sizeof(ifc->tunnel_src_if), "%s",
			 v);
	v = leaf(n, "tunnel/destination");
	if (v != NULL)
		inet_pton(AF_INET, v, &ifc->tunnel_dst);
	v = leaf(n, "tunnel/key");
	if (v != NULL) {
		ifc->tunnel_key = (uint32_t)strtoul(v, NULL, 10);
		ifc->has_key = true;
	}
	v = leaf(n, "tunnel/protection/profile");
	if (v != NULL)
		snprintf(ifc->protection, sizeof(ifc->protection), "%s", v);
	dp_nhrp_extract(n, ifc);
	if (lyd_find_path(n, "nhrp", 0, &nhrp) != LY_SUCCESS || nhrp == NULL)
		return;
	LY_LIST_FOR(lyd_child(nhrp), c) {
		const char *addr, *nbma;

		if (strcmp(LYD_NAME(c), "map") != 0 ||
		    ifc->n_nhrp == DP_NHRP_MAX)
			continue;
		addr = leaf(c, "address");
		nbma = leaf(c, "nbma");
		if (addr == NULL || nbma == NULL ||
		    inet_pton(AF_INET, addr, &ifc->nhrp[ifc->n_nhrp].addr) != 1 ||
		    inet_pton(AF_INET, nbma, &ifc->nhrp[ifc->n_nhrp].nbma) != 1)
			continue;
		ifc->n_nhrp++;
	}
}

static void
extract_ifs(const struct lyd_node *tree, struct dp_config *cfg)
{
	struct ly_set *set = find_all(tree, MOD "interfaces/interface");

	if (set == NULL || set->count == 0)
		goto out;
	cfg->ifs = calloc(set->count, sizeof(cfg->ifs[0]));
	if (cfg->ifs == NULL)
		goto out;
	for (uint32_t i = 0; i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];
		struct dp_if_cfg *ifc = &cfg->ifs[cfg->n_ifs++];
		const char *v;
		uint32_t mask;

		snprintf(ifc->name, sizeof(ifc->name), "%s", leaf(n, "name"));
		v = leaf(n, "ipv4/address");
		if (v != NULL)
			inet_pton(AF_INET, v, &ifc->addr);
		v = leaf(n, "ipv4/mask");
		if (v != NULL && inet_pton(AF_INET, v, &mask) == 1)
			ifc->plen = mask_len(mask);
		ifc->shutdown = leaf(n, "shutdown") != NULL;
		ifc->mtu = DP_MTU_DEFAULT;
		v = leaf(n, "ip-mtu");
		if (v != NULL && atoi(v) >= 68 && atoi(v) <= 65535)
			ifc->mtu = (uint16_t)atoi(v);
		v = leaf(n, "tcp-adjust-mss");
		if (v != NULL && atoi(v) > 0 && atoi(v) <= 65535)
			ifc->tcp_mss = (uint16_t)atoi(v);
		extract_tunnel(n, ifc);
		v = leaf(n, "crypto-map");
		if (v != NULL)
			snprintf(ifc->crypto_map, sizeof(ifc->crypto_map),
				 "%s", v);
	}
out:
	ly_set_free(set, NULL);
}

static void
extract_routes(const struct lyd_node *tree, struct dp_config *cfg)
{
	struct ly_set *set = find_all(tree, MOD "routing/static-route");

	if (set == NULL || set->count == 0)
		goto out;
	cfg->routes = calloc(set->count, sizeof(cfg->routes[0]));
	if (cfg->routes == NULL)
		goto out;
	for (uint32_t i = 0; i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];
		struct dp_route_cfg *r = &cfg->routes[cfg->n_routes];
		const char *nh = leaf(n, "next-hop");
		const char *dist = leaf(n, "distance");
		uint32_t mask = 0;
		char word[DP_IFNAME_MAX] = "";
		char gw[INET_ADDRSTRLEN] = "";

		if (inet_pton(AF_INET, leaf(n, "prefix"), &r->prefix) != 1 ||
		    inet_pton(AF_INET, leaf(n, "mask"), &mask) != 1 ||
		    nh == NULL)
			continue;
		r->plen = mask_len(mask);
		r->distance = dist ? (uint8_t)atoi(dist) : 1;
		/* "10.1.1.1", "GigabitEthernet1" or "GigabitEthernet1 10.1.1.1" */
		if (sscanf(nh, "%31s %15s", word, gw) < 1)
			continue;
		if (inet_pton(AF_INET, word, &r->next_hop) != 1) {
			snprintf(r->ifname, sizeof(r->ifname), "%s", word);
			if (gw[0] != '\0')
				inet_pton(AF_INET, gw, &r->next_hop);
		}
		cfg->n_routes++;
	}
out:
	ly_set_free(set, NULL);
}

static int
parse_hex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = hex ? strlen(hex) : 0;

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/* Opens the sealed hex key VALUE into HEX; NULL when absent or unreadable. */
static const char *
open_key(const char *value, char *hex, size_t len)
{
	if (value == NULL || cfg_secret_open(value, hex, len) < 0)
		return NULL;
	return hex;
}

/* Algorithms and display text of one transform set. */
struct transform {
	enum dp_cipher cipher;
	enum dp_integ integ;
	size_t cipher_key_len;		/* salt included for GCM */
	bool tunnel;
	char text[96];
};

/* The ESP transform keywords of `crypto ipsec transform-set`, for manual
 * SAs here and for the SAs the IKE manager negotiates. */
static const struct dp_transform_keyword transform_keywords[] = {
	{ "esp-null", true, DP_CIPHER_NULL, DP_INTEG_NONE },
	{ "esp-3des", true, DP_CIPHER_3DES_CBC, DP_INTEG_NONE },
	{ "esp-aes", true, DP_CIPHER_AES_CBC, DP_INTEG_NONE },
	{ "esp-gcm", true, DP_CIPHER_AES_GCM, DP_INTEG_NONE },
	{ "esp-md5-hmac", false, DP_CIPHER_NULL, DP_INTEG_HMAC_MD5_96 },
	{ "esp-sha-hmac", false, DP_CIPHER_NULL, DP_INTEG_HMAC_SHA1_96 },
	{ "esp-sha256-hmac", false, DP_CIPHER_NULL, DP_INTEG_HMAC_SHA256_128 },
	{ "esp-sha384-hmac", false, DP_CIPHER_NULL, DP_INTEG_HMAC_SHA384_192 },
	{ "esp-sha512-hmac", false, DP_CIPHER_NULL, DP_INTEG_HMAC_SHA512_256 },
};

const struct dp_transform_keyword *
dp_transform_lookup(const char *word)
{
	for (size_t i = 0; i < sizeof(transform_keywords) /
			       sizeof(transform_keywords[0]); i++) {
		if (strcmp(transform_keywords[i].word, word) == 0)
			return &transform_keywords[i];
	}
	return NULL;
}

/*
 * Reads transform set NAME into T. Returns 0, -1 when the set is missing,
 * or -2 when a transform is not supported (T->text is complete then).
 */
static int
read_transform_set(const struct lyd_node *tree, const char *name,
		   struct transform *t, char *err, size_t errlen)
{
	char xpath[256];
	struct ly_set *set;
	const struct lyd_node *ts, *c;
	const char *ks, *mode;
	const char *unsupported = NULL;
	unsigned bits;
	int ret = -1;

	snprintf(xpath, sizeof(xpath),
		 MOD "crypto/ipsec/transform-set[name='%s']", name);
	set = find_all(tree, xpath);
	if (set == NULL || set->count == 0) {
		add_err(err, errlen, "transform set %s not found", name);
		goto out;
	}
	ts = set->dnodes[0];
	ks = leaf(ts, "key-size");
	bits = ks ? (unsigned)atoi(ks) : 128;
	mode = leaf(ts, "mode");
	memset(t, 0, sizeof(*t));
	t->cipher = DP_CIPHER_NULL;
	t->integ = DP_INTEG_NONE;
	t->tunnel = mode == NULL || strcmp(mode, "transport") != 0;
	t->cipher_key_len = 0;

	LY_LIST_FOR(lyd_child(ts), c) {
		const struct dp_transform_keyword *kw;
		const char *v;
		char word[32];

		if (strcmp(LYD_NAME(c), "transform") != 0)
			continue;
		v = lyd_get_value(c);
		snprintf(word, sizeof(word), "%s", v);
		kw = dp_transform_lookup(v);
		if (kw == NULL) {
			if (unsupported == NULL)
				unsupported = v;
		} else if (!kw->cipher) {
			t->integ = kw->integ_alg;
		} else {
			t->cipher = kw->cipher_alg;
			if (t->cipher == DP_CIPHER_3DES_CBC)
				t->cipher_key_len = 24;
			else if (t->cipher == DP_CIPHER_AES_CBC)
				t->cipher_key_len = bits / 8;
			else if (t->cipher == DP_CIPHER_AES_GCM)
				t->cipher_key_len = bits / 8 + 4;
			if (t->cipher == DP_CIPHER_AES_CBC && bits != 128)
				snprintf(word, sizeof(word), "esp-%u-aes",
					 bits);
			else if (t->cipher == DP_CIPHER_AES_GCM && bits != 128)
				snprintf(word, sizeof(word), "esp-gcm %u",
					 bits);
		}
		if (t->text[0] != '\0')
			strncat(t->text, " ", sizeof(t->text) -
				strlen(t->text) - 1);
		strncat(t->text, word, sizeof(t->text) - strlen(t->text) - 1);
	}
	if (unsupported != NULL) {
		add_err(err, errlen, "transform set %s: %s is not supported "
			"by the datapath", name, unsupported);
		ret = -2;
		goto out;
	}
	ret = 0;
out:
	ly_set_free(set, NULL);
	return ret;
}

static int
fill_keys(struct dp_sa_params *p, const struct lyd_node *esp,
	  const struct transform *t, char *err, size_t errlen,
	  const char *map, unsigned seq)
{
	const char *ck = leaf(esp, "cipher");
	const char *ak = leaf(esp, "authenticator");
	char hex[CFG_SECRET_MAX + 1];
	int ret = -1;

	/* The keys are sealed in the tree (core/config.h). */
	if (t->cipher != DP_CIPHER_NULL &&
	    (parse_hex(open_key(ck, hex, sizeof(hex)), p->cipher_key,
		       sizeof(p->cipher_key), &p->cipher_key_len) < 0 ||
	     p->cipher_key_len != t->cipher_key_len)) {
		add_err(err, errlen, "crypto map %s %u: cipher key must be %zu "
			"octets", map, seq, t->cipher_key_len);
		goto out;
	}
	if (t->integ != DP_INTEG_NONE &&
	    parse_hex(open_key(ak, hex, sizeof(hex)), p->integ_key,
		      sizeof(p->integ_key), &p->integ_key_len) < 0) {
		add_err(err, errlen, "crypto map %s %u: invalid authenticator "
			"key", map, seq);
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(hex, sizeof(hex));
	return ret;
}

static int
grow_sas(struct dp_config *cfg, size_t *cap)
{
	struct dp_sa_cfg *n;

	if (cfg->n_sas < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 8;
	n = realloc(cfg->sas, *cap * sizeof(*n));
	if (n == NULL)
		return -1;
	cfg->sas = n;
	return 0;
}

/*
 * Anti-replay window from `crypto ipsec security-association replay
 * window-size N` or `replay disable` (0), read from any node of the tree.
 */
static unsigned
global_replay_window(const struct lyd_node *node)
{
	const char *size;

	if (cfg_get_value(node, "/vrouter-config:crypto/ipsec/"
			  "security-association/replay-disable") != NULL)
		return 0;
	size = cfg_get_value(node, "/vrouter-config:crypto/ipsec/"
			     "security-association/replay-window-size");
	return size != NULL ? (unsigned)strtoul(size, NULL, 10) :
			      DP_REPLAY_WINDOW_DEFAULT;
}

/* Adds the inbound and outbound SAs of one manual entry on one interface. */
static void
add_entry_sas(struct dp_config *cfg, size_t *cap, const struct lyd_node *e,
	      const struct dp_if_cfg *ifc, uint32_t peer,
	      const struct transform *t, char *err, size_t errlen)
{
	static const char *const dirs[2] = { "session-key/inbound/esp",
					     "session-key/outbound/esp" };
	const char *map = leaf(lyd_parent(e), "name");
	unsigned seq = (unsigned)atoi(leaf(e, "sequence"));
	const char *life_s = leaf(e, "lifetime-seconds");
	const char *life_kb = leaf(e, "lifetime-kilobytes");

	for (int d = 0; d < 2; d++) {
		struct lyd_node *esp = NULL;
		struct dp_sa_cfg *c;
		const char *spi;

		if (lyd_find_path(e, dirs[d], 0, &esp) != LY_SUCCESS ||
		    esp == NULL || (spi = leaf(esp, "spi")) == NULL)
			continue;
		if (grow_sas(cfg, cap) < 0)
			return;
		c = &cfg->sas[cfg->n_sas];
		memset(c, 0, sizeof(*c));
		c->params.spi = (uint32_t)strtoul(spi, NULL, 10);
		c->params.outbound = d == 1;
		c->params.src = d == 1 ? ifc->addr : peer;
		c->params.dst = d == 1 ? peer : ifc->addr;
		c->params.tunnel = t->tunnel;
		c->params.cipher = t->cipher;
		c->params.integ = t->integ;
		c->params.replay_window = global_replay_window(e);
		if (fill_keys(&c->params, esp, t, err, errlen, map, seq) < 0) {
			OPENSSL_cleanse(c, sizeof(*c));
			continue;
		}
		snprintf(c->map, sizeof(c->map), "%s", map);
		c->map_seq = seq;
		memcpy(c->ifname, ifc->name, sizeof(c->ifname));
		memcpy(c->transform, t->text, sizeof(c->transform));
		c->lifetime_sec = DEFAULT_LIFETIME_SEC;
		if (life_s != NULL)
			c->lifetime_sec = (uint32_t)strtoul(life_s, NULL, 10);
		c->lifetime_kb = DEFAULT_LIFETIME_KB;
		if (life_kb != NULL)
			c->lifetime_kb = (uint32_t)strtoul(life_kb, NULL, 10);
		cfg->n_sas++;
	}
}

static void
extract_sas(const struct lyd_node *tree, struct dp_config *cfg, char *err,
	    size_t errlen)
{
	struct ly_set *set = find_all(tree, MOD "crypto/map/entry");
	size_t cap = 0;

	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *e = set->dnodes[i];
		const char *type = leaf(e, "type");
		const char *map = leaf(lyd_parent(e), "name");
		const char *peer_text = first_of(e, "peer");
		const char *ts = first_of(e, "transform-set");
		struct transform t;
		uint32_t peer;

		if (type == NULL || strcmp(type, "ipsec-manual") != 0)
			continue;
		/*
		 * An entry being configured has no peer or transform set
		 * yet; IOS leaves it disabled without a message, and `show
		 * crypto map` marks it incomplete.
		 */
		if (peer_text == NULL || ts == NULL ||
		    inet_pton(AF_INET, peer_text, &peer) != 1)
			continue;
		if (read_transform_set(tree, ts, &t, err, errlen) < 0)
			continue;
		for (size_t k = 0; k < cfg->n_ifs; k++) {
			const struct dp_if_cfg *ifc = &cfg->ifs[k];

			if (ifc->addr != 0 &&
			    strcmp(ifc->crypto_map, map) == 0)
				add_entry_sas(cfg, &cap, e, ifc, peer, &t,
					      err, errlen);
		}
	}
	ly_set_free(set, NULL);
}

/* Reads a "source" or "destination" address and port match. */
static void
read_match(const struct lyd_node *entry, const char *which, uint32_t *addr,
	   uint32_t *wild, uint16_t *lo, uint16_t *hi, bool *neq)
{
	struct lyd_node *m = NULL;
	const char *v, *op;
	unsigned port;

	*addr = 0;
	*wild = 0xffffffffU;
	*lo = 0;
	*hi = 65535;
	*neq = false;
	if (lyd_find_path(entry, which, 0, &m) != LY_SUCCESS || m == NULL)
		return;
	if ((v = leaf(m, "host")) != NULL) {
		inet_pton(AF_INET, v, addr);
		*wild = 0;
	} else if ((v = leaf(m, "address")) != NULL) {
		inet_pton(AF_INET, v, addr);
		if ((v = leaf(m, "wildcard")) != NULL)
			inet_pton(AF_INET, v, wild);
	}
	op = leaf(m, "operator");
	v = leaf(m, "port");
	if (op == NULL || v == NULL)
		return;
	port = (unsigned)atoi(v);
	if (strcmp(op, "eq") == 0 || strcmp(op, "neq") == 0) {
		*lo = *hi = (uint16_t)port;
		*neq = op[0] == 'n';
	} else if (strcmp(op, "lt") == 0) {
		/* "lt 0" matches nothing: every port is outside 0-65535. */
		if (port == 0)
			*neq = true;
		else
			*hi = (uint16_t)(port - 1);
	} else if (strcmp(op, "gt") == 0) {
		*lo = (uint16_t)(port < 65535 ? port + 1 : 65535);
	} else if (strcmp(op, "range") == 0) {
		*lo = (uint16_t)port;
		v = leaf(m, "port-end");
		*hi = v ? (uint16_t)atoi(v) : (uint16_t)port;
	}
}

static int
protocol_number(const char *p)
{
	static const struct { const char *name; int num; } names[] = {
		{ "ip", -1 }, { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 },
		{ "udp", 17 }, { "gre", 47 }, { "esp", 50 }, { "ahp", 51 },
		{ "eigrp", 88 }, { "ospf", 89 }, { "pim", 103 },
	};

	if (p == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, p) == 0)
			return names[i].num;
	}
	return atoi(p);
}

static void
extract_acls(const struct lyd_node *tree, struct dp_config *cfg)
{
	struct ly_set *set = find_all(tree, MOD "access-lists/access-list/entry");

	if (set == NULL || set->count == 0)
		goto out;
	cfg->acl = calloc(set->count, sizeof(cfg->acl[0]));
	if (cfg->acl == NULL)
		goto out;
	for (uint32_t i = 0; i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];
		const char *action = leaf(n, "action");
		struct dp_acl_entry *a = &cfg->acl[cfg->n_acl];

		if (action == NULL || strcmp(action, "remark") == 0)
			continue;
		snprintf(a->acl, sizeof(a->acl), "%s",
			 leaf(lyd_parent(n), "name"));
		a->seq = (uint32_t)strtoul(leaf(n, "sequence"), NULL, 10);
		a->permit = strcmp(action, "permit") == 0;
		a->proto = protocol_number(leaf(n, "protocol"));
		read_match(n, "source", &a->src, &a->src_wild, &a->sport_lo,
			   &a->sport_hi, &a->sport_neq);
		read_match(n, "destination", &a->dst, &a->dst_wild,
			   &a->dport_lo, &a->dport_hi, &a->dport_neq);
		cfg->n_acl++;
	}
out:
	ly_set_free(set, NULL);
}

static int
map_order(const void *a, const void *b)
{
	const struct dp_map_cfg *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	if (c == 0)
		c = strcmp(x->map, y->map);
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

/* Records every crypto map entry once per interface that carries it. */
static void
extract_maps(const struct lyd_node *tree, struct dp_config *cfg)
{
	struct ly_set *set = find_all(tree, MOD "crypto/map/entry");
	size_t cap = 0;

	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *e = set->dnodes[i];
		const char *map = leaf(lyd_parent(e), "name");
		const char *type = leaf(e, "type");
		const char *acl = leaf(e, "match-address");
		bool dynamic = leaf(e, "dynamic") != NULL;

		for (size_t k = 0; k < cfg->n_ifs; k++) {
			struct dp_map_cfg *m;

			if (strcmp(cfg->ifs[k].crypto_map, map) != 0)
				continue;
			if (cfg->n_maps == cap) {
				struct dp_map_cfg *n;

				cap = cap ? cap * 2 : 8;
				n = realloc(cfg->maps, cap * sizeof(*n));
				if (n == NULL)
					goto out;
				cfg->maps = n;
			}
			m = &cfg->maps[cfg->n_maps++];
			memset(m, 0, sizeof(*m));
			snprintf(m->map, sizeof(m->map), "%s", map);
			m->seq = (uint32_t)strtoul(leaf(e, "sequence"), NULL, 10);
			memcpy(m->ifname, cfg->ifs[k].name, sizeof(m->ifname));
			snprintf(m->acl, sizeof(m->acl), "%s", acl ? acl : "");
			m->manual = type != NULL &&
				    strcmp(type, "ipsec-manual") == 0;
			m->dynamic = dynamic;
		}
	}
out:
	ly_set_free(set, NULL);
	if (cfg->n_maps > 1)
		qsort(cfg->maps, cfg->n_maps, sizeof(cfg->maps[0]), map_order);
}

/*
 * Gives each outside interface of an EzVPN client profile a dynamic
 * entry named after the profile, sequence 1: the SAs the client
 * negotiates carry that name and protect the traffic their selectors
 * match.
 */
static void
extract_ezvpn_maps(const struct lyd_node *tree, struct dp_config *cfg)
{
	struct ly_set *set = find_all(tree, MOD "interfaces/interface/"
				      "client-ezvpn");

	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *e = set->dnodes[i];
		const char *side = leaf(e, "side");
		struct dp_map_cfg *n, *m;

		if (side != NULL && strcmp(side, "inside") == 0)
			continue;
		n = realloc(cfg->maps, (cfg->n_maps + 1) * sizeof(*n));
		if (n == NULL)
			break;
		cfg->maps = n;
		m = &cfg->maps[cfg->n_maps++];
		memset(m, 0, sizeof(*m));
		snprintf(m->map, sizeof(m->map), "%s", leaf(e, "name"));
		m->seq = 1;
		snprintf(m->ifname, sizeof(m->ifname), "%s",
			 leaf(lyd_parent(e), "name"));
		m->dynamic = true;
	}
	ly_set_free(set, NULL);
	if (cfg->n_maps > 1)
		qsort(cfg->maps, cfg->n_maps, sizeof(cfg->maps[0]), map_order);
}

int
dp_config_extract(const struct lyd_node *tree, struct dp_config *cfg,
		  char *err, size_t errlen)
{
	struct ly_set *df;

	memset(cfg, 0, sizeof(*cfg));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	extract_ifs(tree, cfg);
	extract_routes(tree, cfg);
	extract_sas(tree, cfg, err, errlen);
	extract_acls(tree, cfg);
	extract_maps(tree, cfg);
	extract_ezvpn_maps(tree, cfg);
	df = find_all(tree, MOD "crypto/ipsec/df-bit");
	if (df != NULL && df->count > 0) {
		const char *v = lyd_get_value(df->dnodes[0]);

		if (strcmp(v, "set") == 0)
			cfg->df_bit = DP_DF_SET;
		else if (strcmp(v, "clear") == 0)
			cfg->df_bit = DP_DF_CLEAR;
	}
	ly_set_free(df, NULL);
	return err != NULL && err[0] != '\0' ? -1 : 0;
}

int
dp_config_transform_text(const struct lyd_node *tree, const char *name,
			 char *buf, size_t len)
{
	struct transform t;

	if (read_transform_set(tree, name, &t, NULL, 0) == -1)
		return -1;
	snprintf(buf, len, "%s", t.text);
	return 0;
}

void
dp_config_free(struct dp_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->ifs);
	free(cfg->routes);
	free(cfg->acl);
	free(cfg->maps);
	if (cfg->sas != NULL)
		OPENSSL_cleanse(cfg->sas, cfg->n_sas * sizeof(cfg->sas[0]));
	free(cfg->sas);
	memset(cfg, 0, sizeof(*cfg));
}
