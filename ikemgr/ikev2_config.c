/*
 * The IKEv2 part of the IKE manager's config: proposals in policy order,
 * keyring peers with their pre-shared keys, and profiles with their
 * remote identities, keyring, lifetime and DPD.
 */
#include "ikemgr/ikev2.h"

#include "core/config.h"

#include <arpa/inet.h>
#include <ctype.h>
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

static const struct lyd_node *
child_node(const struct lyd_node *node, const char *name)
{
	const struct lyd_node *child;

	LY_LIST_FOR(lyd_child(node), child)
		if (strcmp(LYD_NAME(child), name) == 0)
			return child;
	return NULL;
}

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

static uint16_t
hash_alg(const char *v, bool prf)
{
	static const struct {
		const char *name;
		uint16_t prf, integ;
	} algs[] = {
		{ "md5", IKEV2_PRF_MD5, IKEV2_INTEG_MD5_96 },
		{ "sha1", IKEV2_PRF_SHA1, IKEV2_INTEG_SHA1_96 },
		{ "sha256", IKEV2_PRF_SHA256, IKEV2_INTEG_SHA256_128 },
		{ "sha384", IKEV2_PRF_SHA384, IKEV2_INTEG_SHA384_192 },
		{ "sha512", IKEV2_PRF_SHA512, IKEV2_INTEG_SHA512_256 },
	};

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(v, algs[i].name) == 0)
			return prf ? algs[i].prf : algs[i].integ;
	return 0;
}

static void
add_encr(struct ikev2_proposal *p, const char *v)
{
	uint16_t id = 0, bits = 0;

	if (strcmp(v, "3des") == 0) {
		id = IKEV2_ENCR_3DES;
	} else if (strncmp(v, "aes-cbc-", 8) == 0) {
		id = IKEV2_ENCR_AES_CBC;
		bits = (uint16_t)atoi(v + 8);
	} else if (strncmp(v, "aes-gcm-", 8) == 0) {
		id = IKEV2_ENCR_AES_GCM_16;
		bits = (uint16_t)atoi(v + 8);
	}
	if (id == 0 || p->nencr == IKEV2_ALGS_MAX)
		return;		/* des: not offered, as IOS XE */
	p->encr[p->nencr] = id;
	p->key_bits[p->nencr++] = bits;
}

static void
read_proposal(const struct lyd_node *n, struct ikev2_proposal *p)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c) {
		const char *name = LYD_NAME(c), *v = lyd_get_value(c);

		if (strcmp(name, "encryption") == 0)
			add_encr(p, v);
		else if (strcmp(name, "integrity") == 0 &&
			 p->ninteg < IKEV2_ALGS_MAX && hash_alg(v, false))
			p->integ[p->ninteg++] = hash_alg(v, false);
		else if (strcmp(name, "prf") == 0 &&
			 p->nprf < IKEV2_ALGS_MAX && hash_alg(v, true))
			p->prf[p->nprf++] = hash_alg(v, true);
		else if (strcmp(name, "group") == 0 &&
			 p->ngroup < IKEV2_ALGS_MAX &&
			 ike_dh_supported((unsigned)atoi(v)))
			p->group[p->ngroup++] = (uint16_t)atoi(v);
	}
	/* Without `prf`, IOS uses the integrity algorithms as PRFs. */
	for (size_t i = 0; p->nprf == 0 && i < p->ninteg; i++)
		p->prf[i] = p->integ[i] == IKEV2_INTEG_MD5_96 ? IKEV2_PRF_MD5 :
			    p->integ[i] == IKEV2_INTEG_SHA1_96 ? IKEV2_PRF_SHA1 :
			    (uint16_t)(p->integ[i] - IKEV2_INTEG_SHA256_128 +
				       IKEV2_PRF_SHA256);
	if (p->nprf == 0)
		p->nprf = p->ninteg;
}

/*
 * The proposal used when none is configured: AES-CBC 256, 192 and 128,
 * SHA-512 down to SHA-1 for integrity and PRF, DH groups 19, 20, 14, 5.
 * NOTE: IOS XE's default proposal differs between releases; this list
 * was not checked against a particular release.
 */
static void
default_proposal(struct ikev2_proposal *p)
{
	static const uint16_t bits[] = { 256, 192, 128 };
	static const uint16_t integ[] = {
		IKEV2_INTEG_SHA512_256, IKEV2_INTEG_SHA384_192,
		IKEV2_INTEG_SHA256_128, IKEV2_INTEG_SHA1_96,
	};
	static const uint16_t prf[] = {
		IKEV2_PRF_SHA512, IKEV2_PRF_SHA384, IKEV2_PRF_SHA256,
		IKEV2_PRF_SHA1,
	};
	static const uint16_t groups[] = { 19, 20, 14, 5 };

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < 3; i++) {
		p->encr[i] = IKEV2_ENCR_AES_CBC;
		p->key_bits[i] = bits[i];
	}
	p->nencr = 3;
	memcpy(p->integ, integ, sizeof(integ));
	p->ninteg = 4;
	memcpy(p->prf, prf, sizeof(prf));
	p->nprf = 4;
	memcpy(p->group, groups, sizeof(groups));
	p->ngroup = 4;
}

static int
add_proposal_named(struct ikev2_config *c, const struct lyd_node *tree,
		   const char *name)
{
	char xpath[200];
	struct ly_set *set = NULL;
	struct ikev2_proposal *p;

	snprintf(xpath, sizeof(xpath),
		 MOD "crypto/ikev2/proposal[name='%s']", name);
	if (lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return 0;
	if (set->count > 0) {
		p = grow(&c->proposals, &c->nproposals, sizeof(*p));
		if (p == NULL) {
			ly_set_free(set, NULL);
			return -1;
		}
		read_proposal(set->dnodes[0], p);
		if (p->nencr == 0 || p->ngroup == 0 || p->nprf == 0)
			c->nproposals--;	/* incomplete: IOS skips it */
	}
	ly_set_free(set, NULL);
	return 0;
}

/* Proposals named by policies, in policy order; else every proposal;
 * else the default one. */
static int
read_proposals(struct ikev2_config *c, const struct lyd_node *tree)
{
	struct ly_set *set = NULL;
	const struct lyd_node *n;
	int ret = 0;

	if (lyd_find_xpath(tree, MOD "crypto/ikev2/policy/proposal",
			   &set) == LY_SUCCESS) {
		for (uint32_t i = 0; ret == 0 && i < set->count; i++)
			ret = add_proposal_named(c, tree,
						 lyd_get_value(set->dnodes[i]));
		ly_set_free(set, NULL);
		set = NULL;
	}
	if (ret == 0 && c->nproposals == 0 &&
	    lyd_find_xpath(tree, MOD "crypto/ikev2/proposal",
			   &set) == LY_SUCCESS) {
		for (uint32_t i = 0; ret == 0 && i < set->count; i++) {
			n = set->dnodes[i];
			ret = add_proposal_named(c, tree, leaf(n, "name"));
		}
		ly_set_free(set, NULL);
	}
	if (ret == 0 && c->nproposals == 0) {
		struct ikev2_proposal *p = grow(&c->proposals, &c->nproposals,
						sizeof(*p));

		if (p == NULL)
			return -1;
		default_proposal(p);
	}
	return ret;
}

/* Parses "A.B.C.D [MASK]"; a missing mask is a host. */
static bool
parse_addr_mask(const char *v, uint32_t *addr, uint32_t *mask)
{
	char buf[64], *sp;

	snprintf(buf, sizeof(buf), "%s", v);
	sp = strchr(buf, ' ');
	if (sp != NULL)
		*sp++ = '\0';
	if (inet_pton(AF_INET, buf, addr) != 1)
		return false;
	*mask = 0xffffffff;
	if (sp != NULL && inet_pton(AF_INET, sp, mask) != 1)
		return false;
	*addr &= *mask;
	return true;
}

/* Reads "KIND VALUE" of `identity` or `match identity remote`, KIND
 * being address, fqdn, email or key-id, into ID. */
static bool
parse_id(const char *text, struct ikev2_id *id)
{
	static const struct {
		const char *kind;
		uint8_t type;
	} kinds[] = {
		{ "address ", IKEV2_ID_IPV4_ADDR },
		{ "fqdn ", IKEV2_ID_FQDN },
		{ "email ", IKEV2_ID_RFC822_ADDR },
		{ "key-id ", IKEV2_ID_KEY_ID },
	};

	memset(id, 0, sizeof(*id));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t kind_len = strlen(kinds[i].kind);
		const char *v = text + kind_len;

		if (strncmp(text, kinds[i].kind, kind_len) != 0)
			continue;
		id->type = kinds[i].type;
		if (id->type == IKEV2_ID_IPV4_ADDR) {
			id->len = 4;
			return inet_pton(AF_INET, v, id->data) == 1;
		}
		id->len = strlen(v);
		if (id->len == 0 || id->len > sizeof(id->data))
			return false;
		memcpy(id->data, v, id->len);
		return true;
	}
	return false;
}

/* Reads the match settings of keyring peer block N: `address`,
 * `hostname` and `identity`. False when it has none of them or one is
 * invalid. */
static bool
read_peer_match(const struct lyd_node *n, struct ikev2_key *k)
{
	const char *addr = leaf(n, "address");
	const char *host = leaf(n, "hostname");
	const char *ident = leaf(n, "identity");

	if (addr != NULL) {
		if (!parse_addr_mask(addr, &k->addr, &k->mask))
			return false;
		k->has_addr = true;
	}
	if (host != NULL)
		snprintf(k->hostname, sizeof(k->hostname), "%s", host);
	if (ident != NULL && !parse_id(ident, &k->identity))
		return false;
	return addr != NULL || host != NULL || ident != NULL;
}

static int
read_keyrings(struct ikev2_config *c, const struct lyd_node *tree)
{
	struct ly_set *set = NULL;

	if (lyd_find_xpath(tree, MOD "crypto/ikev2/keyring/peer",
			   &set) != LY_SUCCESS)
		return 0;
	for (uint32_t i = 0; i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];
		const char *both = leaf(n, "pre-shared-key");
		const char *loc = leaf(n, "pre-shared-key-local");
		const char *rem = leaf(n, "pre-shared-key-remote");
		const char *shared, *sealed_local, *sealed_remote;
		struct ikev2_key *k;

		/* Not grow(): the old block contains keys and is cleansed. */
		k = OPENSSL_clear_realloc(c->keys, c->nkeys * sizeof(*k),
					  (c->nkeys + 1) * sizeof(*k));
		if (k == NULL) {
			ly_set_free(set, NULL);
			return -1;
		}
		c->keys = k;
		k += c->nkeys++;
		memset(k, 0, sizeof(*k));
		snprintf(k->keyring, sizeof(k->keyring), "%s",
			 leaf(lyd_parent(n), "name"));
		if (!read_peer_match(n, k)) {
			c->nkeys--;
			continue;
		}
		/*
		 * The keys are sealed in the tree (core/config.h). A key that
		 * cannot be opened is stored as "".
		 */
		shared = both != NULL ? both : "";
		sealed_local = loc != NULL ? loc : shared;
		sealed_remote = rem != NULL ? rem : shared;
		if (cfg_secret_open(sealed_local, k->local,
				    sizeof(k->local)) < 0)
			k->local[0] = '\0';
		if (cfg_secret_open(sealed_remote, k->remote,
				    sizeof(k->remote)) < 0)
			k->remote[0] = '\0';
	}
	ly_set_free(set, NULL);
	return 0;
}

static void
read_dpd(const struct lyd_node *n, uint16_t *interval, uint16_t *retry,
	 bool *periodic)
{
	const char *mode;

	if (n == NULL)
		return;
	*interval = (uint16_t)atoi(leaf(n, "interval") ?: "0");
	*retry = (uint16_t)atoi(leaf(n, "retry") ?: "2");
	mode = leaf(n, "mode");
	*periodic = mode != NULL && strcmp(mode, "periodic") == 0;
}

/* Adds `match identity remote fqdn|email|key-id [domain] VALUE` to P. */
static void
add_match_id(struct ikev2_profile *p, const char *text)
{
	struct ikev2_match_id *m;
	char buf[200];
	const char *sp = strchr(text, ' ');

	if (sp == NULL || p->nmatch_id == IKE_ENTRY_PEERS)
		return;
	m = &p->match_id[p->nmatch_id];
	m->domain = strncmp(sp + 1, "domain ", 7) == 0;
	snprintf(buf, sizeof(buf), "%.*s %s", (int)(sp - text), text,
		 m->domain ? sp + 8 : sp + 1);
	if (parse_id(buf, &m->id))
		p->nmatch_id++;
}

/* Reads `identity local KIND [VALUE]`. Without a value, and for dn,
 * which needs certificates, the local address is sent. */
static void
read_local_id(const char *text, struct ikev2_id *id)
{
	memset(id, 0, sizeof(*id));
	if (text != NULL && strchr(text, ' ') != NULL && !parse_id(text, id))
		memset(id, 0, sizeof(*id));
}

static int
read_profiles(struct ikev2_config *c, const struct lyd_node *tree)
{
	struct ly_set *set = NULL;

	if (lyd_find_xpath(tree, MOD "crypto/ikev2/profile",
			   &set) != LY_SUCCESS)
		return 0;
	for (uint32_t i = 0; i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i], *ch;
		struct ikev2_profile *p = grow(&c->profiles, &c->nprofiles,
					       sizeof(*p));

		if (p == NULL) {
			ly_set_free(set, NULL);
			return -1;
		}
		snprintf(p->name, sizeof(p->name), "%s", leaf(n, "name"));
		snprintf(p->keyring, sizeof(p->keyring), "%s",
			 leaf(n, "keyring-local") ?: "");
		p->lifetime = (uint32_t)atol(leaf(n, "lifetime") ?: "86400");
		read_dpd(child_node(n, "dpd"), &p->dpd_interval,
			 &p->dpd_retry, &p->dpd_periodic);
		read_local_id(leaf(n, "identity-local"), &p->local_id);
		LY_LIST_FOR(lyd_child(n), ch) {
			const char *v = lyd_get_value(ch);

			if (strcmp(LYD_NAME(ch), "match-identity-remote") != 0)
				continue;
			if (strncmp(v, "address ", 8) != 0) {
				add_match_id(p, v);
				continue;
			}
			if (p->nmatch == IKE_ENTRY_PEERS)
				continue;
			if (parse_addr_mask(v + 8, &p->match_addr[p->nmatch],
					    &p->match_mask[p->nmatch])) {
				/* `address 0.0.0.0` without a mask matches
				 * any IPv4 identity on IOS, as in DMVPN
				 * hub and spoke profiles. */
				if (p->match_addr[p->nmatch] == 0)
					p->match_mask[p->nmatch] = 0;
				p->nmatch++;
			}
		}
	}
	ly_set_free(set, NULL);
	return 0;
}

/* Reads `crypto ikev2 fragmentation [mtu N]` into C->frag_mtu. */
static void
read_fragmentation(struct ikev2_config *c, const struct lyd_node *running)
{
	struct ly_set *set = NULL;

	if (lyd_find_xpath(running, MOD "crypto/ikev2/fragmentation",
			   &set) != LY_SUCCESS)
		return;
	if (set->count > 0) {
		const struct lyd_node *mtu = lyd_child(set->dnodes[0]);

		c->frag_mtu = IKEV2_FRAG_MTU_DEFAULT;
		for (; mtu != NULL; mtu = mtu->next)
			if (strcmp(mtu->schema->name, "mtu") == 0)
				c->frag_mtu = (uint16_t)atoi(lyd_get_value(mtu));
	}
	ly_set_free(set, NULL);
}

struct ikev2_config *
ikev2_config_derive(const struct lyd_node *running)
{
	struct ikev2_config *c = calloc(1, sizeof(*c));
	struct ly_set *set = NULL;

	if (c == NULL)
		return NULL;
	if (running != NULL &&
	    (read_keyrings(c, running) < 0 || read_profiles(c, running) < 0))
		goto fail;
	if (read_proposals(c, running) < 0)
		goto fail;
	if (running != NULL &&
	    lyd_find_xpath(running, MOD "crypto/ikev2/dpd", &set) ==
	    LY_SUCCESS) {
		if (set->count > 0)
			read_dpd(set->dnodes[0], &c->dpd_interval,
				 &c->dpd_retry, &c->dpd_periodic);
		ly_set_free(set, NULL);
	}
	if (running != NULL &&
	    lyd_find_xpath(running, MOD "crypto/ikev2/cookie-challenge",
			   &set) == LY_SUCCESS) {
		if (set->count > 0)
			c->cookie_challenge = (uint16_t)atoi(
				lyd_get_value(set->dnodes[0]));
		ly_set_free(set, NULL);
	}
	if (running != NULL)
		read_fragmentation(c, running);
	return c;
fail:
	ikev2_config_free(c);
	return NULL;
}

void
ikev2_config_free(struct ikev2_config *c)
{
	if (c == NULL)
		return;
	if (c->keys != NULL)
		OPENSSL_cleanse(c->keys, c->nkeys * sizeof(*c->keys));
	free(c->keys);
	free(c->proposals);
	free(c->profiles);
	free(c);
}

const struct ikev2_profile *
ikev2_config_profile(const struct ikev2_config *c, const char *name)
{
	for (size_t i = 0; c != NULL && i < c->nprofiles; i++)
		if (strcmp(c->profiles[i].name, name) == 0)
			return &c->profiles[i];
	return NULL;
}

/* Compares LEN octets, letters of FQDN and email identities in either
 * case (RFC 4343 makes DNS names case-insensitive). */
static bool
id_octets_equal(uint8_t type, const uint8_t *a, const uint8_t *b, size_t len)
{
	bool fold = type == IKEV2_ID_FQDN || type == IKEV2_ID_RFC822_ADDR;

	for (size_t i = 0; i < len; i++)
		if (fold ? tolower(a[i]) != tolower(b[i]) : a[i] != b[i])
			return false;
	return true;
}

static bool
id_equal(const struct ikev2_id *a, const struct ikev2_id *b)
{
	return a->type == b->type && a->len == b->len &&
	       id_octets_equal(a->type, a->data, b->data, a->len);
}

/* True when ID is M's value, or with `domain` ends in "." or "@" and
 * the value. */
static bool
id_matches(const struct ikev2_match_id *m, const struct ikev2_id *id)
{
	size_t off;

	if (!m->domain || id->type != m->id.type || id->len <= m->id.len)
		return id_equal(&m->id, id);
	off = id->len - m->id.len;
	return (id->data[off - 1] == '.' || id->data[off - 1] == '@') &&
	       id_octets_equal(id->type, id->data + off, m->id.data,
			       m->id.len);
}

const struct ikev2_profile *
ikev2_config_profile_for_peer(const struct ikev2_config *c, uint32_t peer,
			      const struct ikev2_id *id)
{
	uint32_t addr = peer;

	if (id != NULL && id->type == IKEV2_ID_IPV4_ADDR && id->len == 4)
		memcpy(&addr, id->data, 4);
	for (size_t i = 0; c != NULL && id != NULL && i < c->nprofiles; i++) {
		const struct ikev2_profile *p = &c->profiles[i];

		for (size_t k = 0; k < p->nmatch_id; k++)
			if (id_matches(&p->match_id[k], id))
				return p;
	}
	for (size_t i = 0; c != NULL && i < c->nprofiles; i++) {
		const struct ikev2_profile *p = &c->profiles[i];

		for (size_t k = 0; k < p->nmatch; k++)
			if ((addr & p->match_mask[k]) == p->match_addr[k])
				return p;
	}
	return NULL;
}

const struct ikev2_key *
ikev2_config_key(const struct ikev2_config *c,
		 const struct ikev2_profile *profile, uint32_t peer,
		 const struct ikev2_id *id)
{
	const struct ikev2_key *best = NULL;

	for (size_t i = 0; c != NULL && id != NULL && i < c->nkeys; i++) {
		const struct ikev2_key *k = &c->keys[i];

		if (strcmp(k->keyring, profile->keyring) == 0 &&
		    k->identity.type != 0 && id_equal(&k->identity, id))
			return k;
	}
	/* NOTE: `hostname` blocks are read but never match, because a
	 * crypto map or tunnel names its peer by address only. */
	for (size_t i = 0; c != NULL && i < c->nkeys; i++) {
		const struct ikev2_key *k = &c->keys[i];

		if (strcmp(k->keyring, profile->keyring) != 0 ||
		    !k->has_addr || (peer & k->mask) != k->addr)
			continue;
		/* The longest mask wins, as IOS matches keyring peers. */
		if (best == NULL || ntohl(k->mask) > ntohl(best->mask))
			best = k;
	}
	return best;
}
