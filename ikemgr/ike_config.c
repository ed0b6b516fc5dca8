/*
 * The IKE manager's view of the running config, derived in the
 * committing thread: ISAKMP policies, pre-shared keys, transform sets,
 * crypto map entries with their peers and proxy identities, DPD and SA
 * lifetimes. Interfaces, access lists and applied map entries come from
 * dp_config_extract(), so the datapath and IKE read them the same way.
 */
#include "ikemgr/ike_private.h"
#include "ikemgr/ike_ezvpn.h"
#include "ikemgr/ikev2.h"

#include "core/config.h"

#include <arpa/inet.h>
#include <libyang/libyang.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define MOD "/vrouter-config:"

static const char *
leaf(const struct lyd_node *node, const char *name)
{
	const struct lyd_node *child;

	LY_LIST_FOR(lyd_child(node), child)
		if (strcmp(LYD_NAME(child), name) == 0)
			return lyd_get_value(child);
	return NULL;
}

static unsigned
leaf_uint(const struct lyd_node *node, const char *name, unsigned dflt)
{
	const char *v = leaf(node, name);

	return v != NULL ? (unsigned)strtoul(v, NULL, 10) : dflt;
}

static struct ly_set *
find_all(const struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;

	if (tree == NULL || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return NULL;
	return set;
}

static uint32_t
addr_of(const char *text)
{
	uint32_t a = 0;

	if (text == NULL || inet_pton(AF_INET, text, &a) != 1)
		return 0;
	return a;
}

/* Grows *ARR of *N elements of SIZE by one; returns the new element. */
static void *
grow(void *arr_p, size_t *n, size_t size)
{
	void **arr = arr_p;
	char *p = realloc(*arr, (*n + 1) * size);

	if (p == NULL)
		return NULL;
	*arr = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

static uint8_t
hash_id(const char *v)
{
	if (v == NULL || strcmp(v, "sha") == 0)
		return IKE_HASH_SHA;
	if (strcmp(v, "md5") == 0)
		return IKE_HASH_MD5;
	if (strcmp(v, "sha256") == 0)
		return IKE_HASH_SHA256;
	if (strcmp(v, "sha384") == 0)
		return IKE_HASH_SHA384;
	return IKE_HASH_SHA512;
}

static int
policy_order(const void *a, const void *b)
{
	const struct ike_policy *x = a, *y = b;

	return x->priority - y->priority;
}

static int
read_policies(struct ike_config *c, const struct lyd_node *tree)
{
	struct ly_set *set = find_all(tree, MOD "crypto/isakmp/policy");
	int ret = -1;

	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];
		const char *encr = leaf(n, "encryption");
		const char *auth = leaf(n, "authentication");
		struct ike_policy *p = grow(&c->policies, &c->npolicies,
					    sizeof(*p));

		if (p == NULL)
			goto out;
		p->priority = (uint16_t)leaf_uint(n, "priority", 1);
		if (encr == NULL || strcmp(encr, "des") == 0)
			p->encr = IKE_ENCR_DES;
		else if (strcmp(encr, "3des") == 0)
			p->encr = IKE_ENCR_3DES;
		else
			p->encr = IKE_ENCR_AES;
		if (p->encr == IKE_ENCR_AES)
			p->key_bits = (uint16_t)leaf_uint(n, "key-size", 128);
		p->hash = hash_id(leaf(n, "hash"));
		p->auth = auth != NULL && strcmp(auth, "pre-share") == 0 ?
			  IKE_AUTH_PSK : 0;
		p->group = (uint8_t)leaf_uint(n, "group", 1);
		p->lifetime = leaf_uint(n, "lifetime", 86400);
	}
	if (c->npolicies > 1)
		qsort(c->policies, c->npolicies, sizeof(*c->policies),
		      policy_order);
	ret = 0;
out:
	ly_set_free(set, NULL);
	return ret;
}

/* Reads the address/mask/key entries matched by XPATH. */
static int
read_keys(struct ike_config *c, const struct lyd_node *tree,
	  const char *xpath)
{
	struct ly_set *set = find_all(tree, xpath);
	int ret = -1;

	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];
		const char *key = leaf(n, "key");
		struct ike_psk *k;

		if (key == NULL)
			continue;
		/* Not grow(): the old block holds keys and is cleansed. */
		k = OPENSSL_clear_realloc(c->psks, c->npsks * sizeof(*k),
					  (c->npsks + 1) * sizeof(*k));
		if (k == NULL)
			goto out;
		c->psks = k;
		k += c->npsks++;
		memset(k, 0, sizeof(*k));
		k->addr = addr_of(leaf(n, "address"));
		k->mask = addr_of(leaf(n, "mask"));
		k->addr &= k->mask;
		if (cfg_secret_open(key, k->key, sizeof(k->key)) < 0)
			c->npsks--;	/* unreadable: as if not configured */
	}
	ret = 0;
out:
	ly_set_free(set, NULL);
	return ret;
}

/* The IKEv1 ESP transform id of datapath cipher C. */
static uint8_t
esp_id_of(enum dp_cipher c)
{
	switch (c) {
	case DP_CIPHER_AES_CBC:
		return IPSEC_ESP_AES;
	case DP_CIPHER_AES_GCM:
		return IPSEC_ESP_AES_GCM_16;
	case DP_CIPHER_3DES_CBC:
		return IPSEC_ESP_3DES;
	case DP_CIPHER_NULL:
		return IPSEC_ESP_NULL;
	default:
		return 0;
	}
}

/* The IKEv1 authentication algorithm attribute of datapath MAC I. */
static uint8_t
auth_of(enum dp_integ i)
{
	switch (i) {
	case DP_INTEG_HMAC_MD5_96:
		return IPSEC_AUTH_MD5;
	case DP_INTEG_HMAC_SHA1_96:
		return IPSEC_AUTH_SHA;
	case DP_INTEG_HMAC_SHA256_128:
		return IPSEC_AUTH_SHA256;
	case DP_INTEG_HMAC_SHA384_192:
		return IPSEC_AUTH_SHA384;
	case DP_INTEG_HMAC_SHA512_256:
		return IPSEC_AUTH_SHA512;
	default:
		return 0;
	}
}

/* Fills T from one transform-set node; -1 for transforms IKE cannot
 * negotiate into a datapath SA (AH, GMAC, compression). The keywords
 * are the datapath's, so that negotiated and manual SAs read them
 * alike. */
static int
read_tset(const struct lyd_node *n, struct ike_tset *t)
{
	const struct lyd_node *child;
	const char *mode = leaf(n, "mode");
	unsigned bits = leaf_uint(n, "key-size", 128);

	snprintf(t->name, sizeof(t->name), "%s", leaf(n, "name"));
	t->transport = mode != NULL && strcmp(mode, "transport") == 0;
	t->esp_id = 0;
	LY_LIST_FOR(lyd_child(n), child) {
		const struct dp_transform_keyword *kw;

		if (strcmp(LYD_NAME(child), "transform") != 0)
			continue;
		kw = dp_transform_lookup(lyd_get_value(child));
		if (kw == NULL)
			return -1;
		if (kw->cipher) {
			t->cipher = kw->cipher_alg;
			t->esp_id = esp_id_of(kw->cipher_alg);
			if (kw->cipher_alg == DP_CIPHER_AES_CBC ||
			    kw->cipher_alg == DP_CIPHER_AES_GCM)
				t->key_bits = (uint16_t)bits;
		} else {
			t->integ = kw->integ_alg;
			t->auth = auth_of(kw->integ_alg);
		}
	}
	return t->esp_id != 0 ? 0 : -1;
}

static int
read_tsets(struct ike_config *c, const struct lyd_node *tree)
{
	struct ly_set *set = find_all(tree, MOD "crypto/ipsec/transform-set");
	int ret = -1;

	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		struct ike_tset t = { 0 }, *slot;

		if (read_tset(set->dnodes[i], &t) < 0)
			continue;
		dp_config_transform_text(tree, t.name, t.text, sizeof(t.text));
		slot = grow(&c->tsets, &c->ntsets, sizeof(*slot));
		if (slot == NULL)
			goto out;
		*slot = t;
	}
	ret = 0;
out:
	ly_set_free(set, NULL);
	return ret;
}

static bool
find_tset(const struct ike_config *c, const char *name, size_t *idx)
{
	for (size_t i = 0; i < c->ntsets; i++) {
		if (strcmp(c->tsets[i].name, name) == 0) {
			*idx = i;
			return true;
		}
	}
	return false;
}

/* Reads `set isakmp-profile` of NODE and whether that profile initiates
 * in aggressive mode. */
static void
read_profile(const struct ike_config *c, const struct lyd_node *node,
	     struct ike_entry *e)
{
	const char *name = leaf(node, "isakmp-profile");
	char xpath[256];
	struct ly_set *set;

	(void)c;
	if (name == NULL)
		return;
	snprintf(e->profile, sizeof(e->profile), "%s", name);
	snprintf(xpath, sizeof(xpath),
		 MOD "crypto/isakmp/profile[name='%s']/initiate-aggressive",
		 name);
	/* An absolute path: libyang evaluates it from the root. */
	set = find_all(node, xpath);
	e->aggressive = set != NULL && set->count > 0;
	ly_set_free(set, NULL);
}

/* Fills the peers, transform sets, PFS and lifetimes of E from NODE. */
static void
read_entry_policy(const struct ike_config *c, const struct lyd_node *node,
		  struct ike_entry *e)
{
	const struct lyd_node *child;

	LY_LIST_FOR(lyd_child(node), child) {
		const char *name = LYD_NAME(child), *v = lyd_get_value(child);

		if ((strcmp(name, "peer") == 0 ||
		     strcmp(name, "default-peer") == 0) &&
		    e->npeers < IKE_ENTRY_PEERS && addr_of(v) != 0)
			e->peers[e->npeers++] = addr_of(v);
		else if (strcmp(name, "transform-set") == 0 &&
			 e->ntsets < IKE_ENTRY_TSETS &&
			 find_tset(c, v, &e->tsets[e->ntsets]))
			e->ntsets++;
	}
	snprintf(e->ikev2_profile, sizeof(e->ikev2_profile), "%s",
		 leaf(node, "ikev2-profile") ?: "");
	read_profile(c, node, e);
	e->pfs_group = (uint8_t)leaf_uint(node, "pfs-group", 0);
	e->life_sec = leaf_uint(node, "lifetime-seconds", c->sa_life_sec);
	e->life_kb = leaf_uint(node, "lifetime-kilobytes", c->sa_life_kb);
}

static void
find_selector(const struct dp_config *dc, const char *acl,
	      struct ike_entry *e)
{
	for (size_t i = 0; i < dc->n_acl; i++) {
		if (strcmp(dc->acl[i].acl, acl) == 0 && dc->acl[i].permit) {
			e->selector = dc->acl[i];
			e->has_selector = true;
			return;
		}
	}
}

static uint32_t
if_addr(const struct dp_config *dc, const char *ifname)
{
	for (size_t i = 0; i < dc->n_ifs; i++)
		if (strcmp(dc->ifs[i].name, ifname) == 0)
			return dc->ifs[i].addr;
	return 0;
}

/*
 * Adds an entry for each ipsec-isakmp map entry applied to an interface;
 * an entry that refers to a dynamic map gets that dynamic map's entries
 * as answering templates.
 */
static int
read_entries(struct ike_config *c, const struct lyd_node *tree,
	     const struct dp_config *dc)
{
	char xpath[256];

	for (size_t i = 0; i < dc->n_maps; i++) {
		const struct dp_map_cfg *m = &dc->maps[i];
		struct ly_set *set;
		const struct lyd_node *node;
		const char *dyn;
		struct ike_entry *e;

		if (m->manual)
			continue;
		snprintf(xpath, sizeof(xpath),
			 MOD "crypto/map[name='%s']/entry[sequence='%u']",
			 m->map, m->seq);
		set = find_all(tree, xpath);
		if (set == NULL || set->count == 0) {
			ly_set_free(set, NULL);
			continue;
		}
		node = set->dnodes[0];
		dyn = leaf(node, "dynamic");
		if (dyn != NULL) {
			snprintf(xpath, sizeof(xpath),
				 MOD "crypto/dynamic-map[name='%s']/entry", dyn);
			ly_set_free(set, NULL);
			set = find_all(tree, xpath);
			for (uint32_t k = 0; set != NULL && k < set->count;
			     k++) {
				e = grow(&c->entries, &c->nentries,
					 sizeof(*e));
				if (e == NULL)
					goto fail;
				snprintf(e->map, sizeof(e->map), "%s", m->map);
				e->seq = m->seq;
				memcpy(e->ifname, m->ifname, sizeof(e->ifname));
				e->local = if_addr(dc, m->ifname);
				e->dynamic = true;
				read_entry_policy(c, set->dnodes[k], e);
				e->npeers = 0;
			}
			ly_set_free(set, NULL);
			continue;
		}
		e = grow(&c->entries, &c->nentries, sizeof(*e));
		if (e == NULL)
			goto fail;
		snprintf(e->map, sizeof(e->map), "%s", m->map);
		e->seq = m->seq;
		memcpy(e->ifname, m->ifname, sizeof(e->ifname));
		e->local = if_addr(dc, m->ifname);
		read_entry_policy(c, node, e);
		if (m->acl[0] != '\0')
			find_selector(dc, m->acl, e);
		ly_set_free(set, NULL);
		continue;
fail:
		ly_set_free(set, NULL);
		return -1;
	}
	return 0;
}

/* The address a tunnel's packets leave from: its source address, or
 * the address of its source interface. */
static uint32_t
tunnel_source(const struct dp_config *dc, const struct dp_if_cfg *t)
{
	return t->tunnel_src != 0 ? t->tunnel_src :
	       if_addr(dc, t->tunnel_src_if);
}

/* Adds the entry of mGRE tunnel T towards PEER. PEER 0 adds the
 * dynamic entry, which responds to any peer and never initiates. */
static int
add_mgre_entry(struct ike_config *c, const struct lyd_node *profile,
	       const struct dp_config *dc, const struct dp_if_cfg *t,
	       uint32_t peer, uint32_t seq)
{
	struct ike_entry *e = grow(&c->entries, &c->nentries, sizeof(*e));

	if (e == NULL)
		return -1;
	memcpy(e->ifname, t->name, sizeof(e->ifname));
	e->seq = seq;
	e->multipoint = true;
	e->local = tunnel_source(dc, t);
	read_entry_policy(c, profile, e);
	e->dynamic = peer == 0;
	e->peers[0] = peer;
	e->npeers = peer != 0;
	e->has_selector = true;
	e->selector.proto = 47;
	e->selector.src = e->local;
	e->selector.dst = peer;
	/* The dynamic entry proposes GRE to any peer when it initiates
	 * towards a peer resolved by NHRP. */
	if (peer == 0)
		e->selector.dst_wild = 0xffffffff;
	return 0;
}

/*
 * Adds the entries of a protected mGRE tunnel: one per NBMA address of
 * its static NHRP maps and next hop servers, numbered from 1 so that
 * each peer's SAs have an entry of their own, and a dynamic one
 * (sequence 0) that responds to peers learned by NHRP. As on IOS, only the static ones
 * initiate, and only they count as static peers for invalid-SPI
 * recovery.
 */
static int
read_mgre(struct ike_config *c, const struct lyd_node *profile,
	  const struct dp_config *dc, const struct dp_if_cfg *t)
{
	uint32_t peers[DP_NHRP_MAX + DP_NHS_MAX];
	size_t n = 0;

	for (size_t i = 0; i < t->n_nhrp + t->n_nhs; i++) {
		uint32_t p = i < t->n_nhrp ? t->nhrp[i].nbma :
			     t->nhs[i - t->n_nhrp].nbma;
		bool seen = p == 0;

		for (size_t k = 0; k < n && !seen; k++)
			seen = peers[k] == p;
		if (!seen)
			peers[n++] = p;
	}
	for (size_t i = 0; i < n; i++)
		if (add_mgre_entry(c, profile, dc, t, peers[i],
				   (uint32_t)i + 1) < 0)
			return -1;
	return add_mgre_entry(c, profile, dc, t, 0, 0);
}

/*
 * Adds an entry for each point-to-point GRE or sVTI tunnel with
 * `tunnel protection ipsec profile`: its destination is the peer, and
 * the proxy identities are the GRE packets between the two ends, or
 * any to any for sVTI, as IOS proposes them.
 */
static int
read_tunnels(struct ike_config *c, const struct lyd_node *tree,
	     const struct dp_config *dc)
{
	char xpath[256];

	for (size_t i = 0; i < dc->n_ifs; i++) {
		const struct dp_if_cfg *t = &dc->ifs[i];
		struct ly_set *set;
		struct ike_entry *e;

		if (t->protection[0] == '\0' ||
		    (t->tunnel_dst == 0 && t->tunnel != DP_TUNNEL_MGRE) ||
		    t->tunnel == DP_TUNNEL_NONE)
			continue;
		snprintf(xpath, sizeof(xpath),
			 MOD "crypto/ipsec/profile[name='%s']", t->protection);
		set = find_all(tree, xpath);
		if (set == NULL || set->count == 0) {
			ly_set_free(set, NULL);
			continue;
		}
		if (t->tunnel == DP_TUNNEL_MGRE) {
			int rc = read_mgre(c, set->dnodes[0], dc, t);

			ly_set_free(set, NULL);
			if (rc < 0)
				return -1;
			continue;
		}
		e = grow(&c->entries, &c->nentries, sizeof(*e));
		if (e == NULL) {
			ly_set_free(set, NULL);
			return -1;
		}
		memcpy(e->ifname, t->name, sizeof(e->ifname));
		e->local = tunnel_source(dc, t);
		read_entry_policy(c, set->dnodes[0], e);
		ly_set_free(set, NULL);
		e->peers[0] = t->tunnel_dst;
		e->npeers = 1;
		e->has_selector = true;
		if (t->tunnel == DP_TUNNEL_IPSEC) {
			e->selector.proto = -1;
			e->selector.src_wild = 0xffffffff;
			e->selector.dst_wild = 0xffffffff;
		} else {
			e->selector.proto = 47;
			e->selector.src = e->local;
			e->selector.dst = t->tunnel_dst;
		}
	}
	return 0;
}

static int
compare_addr(const void *a, const void *b)
{
	uint32_t x = ntohl(*(const uint32_t *)a);
	uint32_t y = ntohl(*(const uint32_t *)b);

	return x < y ? -1 : x > y;
}

/* Static peers: the peers of applied entries that are not dynamic. IOS
 * runs invalid-SPI recovery only towards them. */
static int
collect_static_peers(struct ike_config *c)
{
	for (size_t i = 0; i < c->nentries; i++) {
		const struct ike_entry *e = &c->entries[i];

		for (size_t k = 0; k < e->npeers; k++) {
			uint32_t *p = grow(&c->peers, &c->npeers,
					   sizeof(*p));

			if (p == NULL)
				return -1;
			*p = e->peers[k];
		}
	}
	if (c->npeers > 1)
		qsort(c->peers, c->npeers, sizeof(*c->peers), compare_addr);
	return 0;
}

static void
read_globals(struct ike_config *c, const struct lyd_node *tree)
{
	struct ly_set *set;

	set = find_all(tree, MOD "crypto/isakmp/invalid-spi-recovery");
	c->invalid_spi_recovery = set != NULL && set->count > 0;
	ly_set_free(set, NULL);

	set = find_all(tree, MOD "crypto/isakmp/keepalive");
	if (set != NULL && set->count > 0) {
		const struct lyd_node *n = set->dnodes[0];
		const char *mode = leaf(n, "mode");

		c->keepalive_sec = (uint16_t)leaf_uint(n, "seconds", 10);
		c->keepalive_retry = (uint16_t)leaf_uint(n, "retry", 2);
		c->keepalive_periodic = mode != NULL &&
					strcmp(mode, "periodic") == 0;
	}
	ly_set_free(set, NULL);

	set = find_all(tree, MOD "crypto/isakmp/aggressive-mode-disable");
	c->aggressive_disable = set != NULL && set->count > 0;
	ly_set_free(set, NULL);

	set = find_all(tree, MOD "crypto/isakmp/nat-keepalive");
	if (set != NULL && set->count > 0)
		c->nat_keepalive = (uint16_t)strtoul(
			lyd_get_value(set->dnodes[0]), NULL, 10);
	ly_set_free(set, NULL);

	c->sa_life_sec = 3600;
	c->sa_life_kb = 4608000;
	set = find_all(tree, MOD "crypto/ipsec/security-association");
	if (set != NULL && set->count > 0) {
		c->sa_life_sec = leaf_uint(set->dnodes[0], "lifetime-seconds",
					   3600);
		c->sa_life_kb = leaf_uint(set->dnodes[0], "lifetime-kilobytes",
					  4608000);
	}
	ly_set_free(set, NULL);
}

struct ike_config *
ike_config_derive(const struct lyd_node *running)
{
	struct dp_config dc;
	struct ike_config *c;
	int rc = 0;

	c = calloc(1, sizeof(*c));
	if (c == NULL || running == NULL)
		return c;
	read_globals(c, running);
	dp_config_extract(running, &dc, NULL, 0);
	if (read_policies(c, running) < 0 ||
	    read_keys(c, running, MOD "crypto/isakmp/key") < 0 ||
	    /* NOTE: every keyring's keys are searched, as if global; an
	     * isakmp profile does not yet limit the search to its own. */
	    read_keys(c, running, MOD "crypto/keyring/pre-shared-key") < 0 ||
	    read_tsets(c, running) < 0 || read_entries(c, running, &dc) < 0 ||
	    read_tunnels(c, running, &dc) < 0 ||
	    ike_ezvpn_derive(c, running, &dc) < 0 ||
	    collect_static_peers(c) < 0 ||
	    (c->v2 = ikev2_config_derive(running)) == NULL)
		rc = -1;
	dp_config_free(&dc);
	if (rc < 0) {
		ike_config_free(c);
		return NULL;
	}
	return c;
}

void
ike_config_free(struct ike_config *c)
{
	if (c == NULL)
		return;
	free(c->peers);
	free(c->policies);
	if (c->psks != NULL)
		OPENSSL_cleanse(c->psks, c->npsks * sizeof(*c->psks));
	free(c->psks);
	free(c->tsets);
	free(c->entries);
	ikev2_config_free(c->v2);
	ike_ezvpn_config_free(c->ez);
	free(c);
}

bool
ike_config_static_peer(const struct ike_config *c, uint32_t addr)
{
	return c != NULL && c->npeers > 0 &&
	       bsearch(&addr, c->peers, c->npeers, sizeof(addr),
		       compare_addr) != NULL;
}

/* The key of the longest matching address/mask, as IOS picks it. */
const char *
ike_config_psk(const struct ike_config *c, uint32_t peer)
{
	const struct ike_psk *best = NULL;

	for (size_t i = 0; c != NULL && i < c->npsks; i++) {
		const struct ike_psk *k = &c->psks[i];

		if ((peer & k->mask) != k->addr)
			continue;
		if (best == NULL || ntohl(k->mask) > ntohl(best->mask))
			best = k;
	}
	return best != NULL ? best->key : NULL;
}

const struct ike_entry *
ike_config_entry_for_peer(const struct ike_config *c, uint32_t peer)
{
	const struct ike_entry *dyn = NULL;

	for (size_t i = 0; c != NULL && i < c->nentries; i++) {
		const struct ike_entry *e = &c->entries[i];

		if (e->dynamic && dyn == NULL)
			dyn = e;
		for (size_t k = 0; k < e->npeers; k++)
			if (e->peers[k] == peer)
				return e;
	}
	return dyn;
}

const struct ike_entry *
ike_config_entry(const struct ike_config *c, const char *map, uint32_t seq)
{
	for (size_t i = 0; c != NULL && i < c->nentries; i++)
		if (c->entries[i].seq == seq &&
		    strcmp(c->entries[i].map, map) == 0)
			return &c->entries[i];
	return NULL;
}

const struct ike_entry *
ike_config_lookup(const struct ike_config *c, const char *map, uint32_t seq,
		  const char *ifname)
{
	if (map[0] != '\0')
		return ike_config_entry(c, map, seq);
	/* The entries of one mGRE tunnel differ by sequence number. */
	for (size_t i = 0; c != NULL && i < c->nentries; i++)
		if (c->entries[i].map[0] == '\0' && c->entries[i].seq == seq &&
		    strcmp(c->entries[i].ifname, ifname) == 0)
			return &c->entries[i];
	return NULL;
}

const struct ike_entry *
ike_config_tunnel_peer(const struct ike_config *c, const char *ifname,
		       uint32_t peer)
{
	for (size_t i = 0; c != NULL && i < c->nentries; i++) {
		const struct ike_entry *e = &c->entries[i];

		if (e->map[0] == '\0' && e->npeers > 0 &&
		    e->peers[0] == peer && strcmp(e->ifname, ifname) == 0)
			return e;
	}
	return NULL;
}

const struct ike_entry *
ike_config_tunnel(const struct ike_config *c, const char *ifname)
{
	for (size_t i = 0; c != NULL && i < c->nentries; i++)
		if (c->entries[i].map[0] == '\0' &&
		    strcmp(c->entries[i].ifname, ifname) == 0)
			return &c->entries[i];
	return NULL;
}

/*
 * Reads an ID payload body of type IPv4 address or subnet into ADDR and
 * WILD (the ACL wildcard: 0 for a host); false for other types.
 */
static bool
id_to_acl(const uint8_t *id, size_t len, uint32_t *addr, uint32_t *wild)
{
	uint32_t mask;

	if (len == 8 && id[0] == IPSEC_ID_IPV4_ADDR) {
		memcpy(addr, id + 4, 4);
		*wild = 0;
		return true;
	}
	if (len == 12 && id[0] == IPSEC_ID_IPV4_SUBNET) {
		memcpy(addr, id + 4, 4);
		memcpy(&mask, id + 8, 4);
		*wild = ~mask;
		return true;
	}
	return false;
}

/* True when the initiator's IDs IDCI and IDCR mirror E's selector. */
static bool
ids_match(const struct ike_entry *e, const uint8_t *idci, size_t ci_len,
	  const uint8_t *idcr, size_t cr_len)
{
	uint32_t ia, iw, ra, rw;
	int proto;

	if (!e->has_selector)
		return true;
	if (!id_to_acl(idci, ci_len, &ia, &iw) ||
	    !id_to_acl(idcr, cr_len, &ra, &rw))
		return false;
	proto = e->selector.proto < 0 ? 0 : e->selector.proto;
	return idci[1] == proto && idcr[1] == proto &&
	       ia == e->selector.dst && iw == e->selector.dst_wild &&
	       ra == e->selector.src && rw == e->selector.src_wild;
}

const struct ike_entry *
ike_config_entry_for_ids(const struct ike_config *c, uint32_t peer,
			 const uint8_t *idci, size_t ci_len,
			 const uint8_t *idcr, size_t cr_len)
{
	const struct ike_entry *dyn = NULL;
	bool no_ids = ci_len == 0 && cr_len == 0;

	for (size_t i = 0; c != NULL && i < c->nentries; i++) {
		const struct ike_entry *e = &c->entries[i];

		if (e->dynamic) {
			if (dyn == NULL)
				dyn = e;
			continue;
		}
		for (size_t k = 0; k < e->npeers; k++) {
			if (e->peers[k] != peer)
				continue;
			if (no_ids || ids_match(e, idci, ci_len, idcr, cr_len))
				return e;
		}
	}
	return dyn;
}
