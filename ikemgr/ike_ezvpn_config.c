/*
 * The Easy VPN part of the IKE manager's config. For the client, it is
 * the profile applied to an outside interface. For the server, it is the
 * client configuration groups, address pools, local users and the crypto
 * map settings that turn XAUTH and mode config on.
 */
#include "ikemgr/ike_ezvpn.h"

#include "core/cfg_render.h"
#include "core/config.h"

#include <arpa/inet.h>
#include <libyang/libyang.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "/vrouter-config:"
#define ACCESS "/vrouter-access:"

static const char *
child_value(const struct lyd_node *node, const char *name)
{
	const struct lyd_node *child;

	LY_LIST_FOR(lyd_child(node), child)
		if (strcmp(LYD_NAME(child), name) == 0)
			return lyd_get_value(child);
	return NULL;
}

static struct ly_set *
select_nodes(const struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;

	if (lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return NULL;
	return set;
}

static uint32_t
parse_addr(const char *text)
{
	uint32_t a = 0;

	if (text == NULL || inet_pton(AF_INET, text, &a) != 1)
		return 0;
	return a;
}

static void
copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* Opens the secret leaf NAME of NODE into DST. DST is "" when the leaf
 * is absent or does not open. */
static void
copy_secret(char *dst, size_t cap, const struct lyd_node *node,
	    const char *name)
{
	const char *v = child_value(node, name);

	if (v == NULL || cfg_secret_open(v, dst, cap) < 0)
		dst[0] = '\0';
}

static uint32_t
plen_mask(uint8_t plen)
{
	return plen == 0 ? 0 : htonl(0xffffffffu << (32 - plen));
}

/*
 * Adds the transforms an IOS EzVPN client offers to E: ESP with AES-256,
 * AES-128 and 3DES, each with HMAC-SHA1, in tunnel mode.
 */
static int
add_client_tsets(struct ike_config *c, struct ike_entry *e)
{
	static const struct {
		uint8_t esp_id;
		uint16_t bits;
		enum dp_cipher cipher;
		const char *text;
	} offer[] = {
		{ IPSEC_ESP_AES, 256, DP_CIPHER_AES_CBC,
		  "esp-256-aes esp-sha-hmac" },
		{ IPSEC_ESP_AES, 128, DP_CIPHER_AES_CBC,
		  "esp-aes esp-sha-hmac" },
		{ IPSEC_ESP_3DES, 0, DP_CIPHER_3DES_CBC,
		  "esp-3des esp-sha-hmac" },
	};
	size_t n = sizeof(offer) / sizeof(offer[0]);
	struct ike_tset *arr;

	arr = realloc(c->tsets, (c->ntsets + n) * sizeof(*arr));
	if (arr == NULL)
		return -1;
	c->tsets = arr;
	for (size_t i = 0; i < n; i++) {
		struct ike_tset *t = &arr[c->ntsets];

		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "EZVPN-%zu", i + 1);
		t->esp_id = offer[i].esp_id;
		t->key_bits = offer[i].bits;
		t->cipher = offer[i].cipher;
		t->auth = IPSEC_AUTH_SHA;
		t->integ = DP_INTEG_HMAC_SHA1_96;
		copy_text(t->text, sizeof(t->text), offer[i].text);
		e->tsets[e->ntsets++] = c->ntsets++;
	}
	return 0;
}

/* Sets the phase 1 policies an IOS EzVPN client offers. All use DH group
 * 2, since Aggressive Mode sends one KE. */
static void
client_policies(struct ike_ez_client *cl)
{
	static const struct ike_policy offer[] = {
		{ 65001, IKE_ENCR_AES, 256, IKE_HASH_SHA, IKE_AUTH_PSK, true,
		  2, 86400 },
		{ 65002, IKE_ENCR_AES, 128, IKE_HASH_SHA, IKE_AUTH_PSK, true,
		  2, 86400 },
		{ 65003, IKE_ENCR_3DES, 0, IKE_HASH_SHA, IKE_AUTH_PSK, true,
		  2, 86400 },
	};

	memcpy(cl->policies, offer, sizeof(offer));
	cl->npolicies = sizeof(offer) / sizeof(offer[0]);
}

/* Finds the interfaces that carry profile NAME, inside and outside. */
static void
client_interfaces(struct ike_ez_client *cl, const struct lyd_node *tree,
		  const struct dp_config *dc)
{
	char xpath[256];
	struct ly_set *set;

	snprintf(xpath, sizeof(xpath),
		 MOD "interfaces/interface/client-ezvpn[name='%s']", cl->name);
	set = select_nodes(tree, xpath);
	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const char *side = child_value(set->dnodes[i], "side");
		const char *ifname = child_value(lyd_parent(set->dnodes[i]),
						 "name");
		bool inside = side != NULL && strcmp(side, "inside") == 0;

		if (ifname == NULL)
			continue;
		if (inside && cl->inside[0] == '\0')
			copy_text(cl->inside, sizeof(cl->inside), ifname);
		else if (!inside && cl->outside[0] == '\0')
			copy_text(cl->outside, sizeof(cl->outside), ifname);
	}
	ly_set_free(set, NULL);
	for (size_t i = 0; i < dc->n_ifs; i++) {
		const struct dp_if_cfg *f = &dc->ifs[i];

		if (strcmp(f->name, cl->outside) == 0)
			cl->local = f->addr;
		if (strcmp(f->name, cl->inside) == 0) {
			cl->inside_net.mask = plen_mask(f->plen);
			cl->inside_net.addr = f->addr & cl->inside_net.mask;
		}
	}
}

/* Stores in CL->unusable why the profile cannot connect, if it cannot. */
static void
client_check(struct ike_ez_client *cl)
{
	const char *why = NULL;

	if (strcmp(cl->mode, "client") == 0)
		why = "mode client needs PAT of the inside hosts, which "
		      "vrouter does not do; use mode network-extension";
	else if (cl->group[0] == '\0' || cl->key[0] == '\0')
		why = "no group and key configured";
	else if (cl->peer == 0)
		why = "no peer address configured";
	else if (cl->local == 0)
		why = "the outside interface has no address";
	else if (cl->inside_net.addr == 0)
		why = "no inside interface with an address";
	if (why != NULL)
		copy_text(cl->unusable, sizeof(cl->unusable), why);
}

/* Reads the client. The first profile applied to an outside interface
 * becomes the client, because vrouter runs one EzVPN client at a time. */
static int
read_client(struct ike_config *c, const struct lyd_node *tree,
	    const struct dp_config *dc)
{
	struct ly_set *set = select_nodes(tree, MOD "crypto/ipsec/client-ezvpn");
	struct ike_ez_client *cl = NULL;
	int ret = -1;

	for (uint32_t i = 0; set != NULL && i < set->count && cl == NULL;
	     i++) {
		const struct lyd_node *n = set->dnodes[i];
		const struct lyd_node *child;
		const char *v;

		cl = calloc(1, sizeof(*cl));
		if (cl == NULL)
			goto out;
		copy_text(cl->name, sizeof(cl->name), child_value(n, "name"));
		client_interfaces(cl, tree, dc);
		if (cl->outside[0] == '\0') {
			free(cl);
			cl = NULL;
			continue;
		}
		v = child_value(n, "connect");
		cl->connect_auto = v == NULL || strcmp(v, "auto") == 0;
		v = child_value(n, "mode");
		copy_text(cl->mode, sizeof(cl->mode), v != NULL ? v : "client");
		copy_text(cl->group, sizeof(cl->group), child_value(n, "group"));
		copy_secret(cl->key, sizeof(cl->key), n, "key");
		copy_text(cl->user, sizeof(cl->user),
			  child_value(n, "username"));
		copy_secret(cl->password, sizeof(cl->password), n,
			    "password");
		/* NOTE: a peer given as a host name is skipped, because
		 * vrouter resolves no names. */
		LY_LIST_FOR(lyd_child(n), child)
			if (cl->peer == 0 && strcmp(LYD_NAME(child), "peer") == 0)
				cl->peer = parse_addr(lyd_get_value(child));
		client_policies(cl);
		copy_text(cl->entry.map, sizeof(cl->entry.map), cl->name);
		cl->entry.seq = 1;
		copy_text(cl->entry.ifname, sizeof(cl->entry.ifname),
			  cl->outside);
		cl->entry.local = cl->local;
		cl->entry.peers[0] = cl->peer;
		cl->entry.npeers = 1;
		cl->entry.aggressive = true;
		cl->entry.ezvpn = true;
		cl->entry.life_sec = c->sa_life_sec;
		cl->entry.life_kb = c->sa_life_kb;
		if (add_client_tsets(c, &cl->entry) < 0)
			goto out;
		client_check(cl);
	}
	c->ez->client = cl;
	cl = NULL;
	ret = 0;
out:
	free(cl);
	ly_set_free(set, NULL);
	return ret;
}

/* Adds the permit lines of access list ACL to G as split-tunnel
 * networks. Their destinations are the networks behind the server. */
static void
group_split(struct ike_ez_group *g, const struct dp_config *dc,
	    const char *acl)
{
	for (size_t i = 0; i < dc->n_acl && g->nsplit < IKE_EZ_SPLIT_MAX;
	     i++) {
		const struct dp_acl_entry *a = &dc->acl[i];

		if (strcmp(a->acl, acl) != 0 || !a->permit)
			continue;
		g->split[g->nsplit].mask = ~a->src_wild;
		g->split[g->nsplit].addr = a->src & ~a->src_wild;
		g->nsplit++;
	}
}

/* Allocates one zeroed row of SIZE octets per node of SET into *ROWS.
 * Returns -1 when out of memory. */
static int
alloc_rows(const struct ly_set *set, size_t size, void *rows)
{
	void **p = rows;

	*p = NULL;
	if (set == NULL || set->count == 0)
		return 0;
	*p = calloc(set->count, size);
	return *p != NULL ? 0 : -1;
}

static int
read_groups(struct ike_ezvpn_config *ez, const struct lyd_node *tree,
	    const struct dp_config *dc)
{
	struct ly_set *set = select_nodes(tree,
					  MOD "crypto/isakmp/client-group");

	if (alloc_rows(set, sizeof(*ez->groups), &ez->groups) < 0) {
		ly_set_free(set, NULL);
		return -1;
	}
	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i], *child;
		struct ike_ez_group *g = &ez->groups[ez->ngroups++];
		const char *acl = child_value(n, "acl");

		copy_text(g->name, sizeof(g->name), child_value(n, "name"));
		copy_secret(g->key, sizeof(g->key), n, "key");
		copy_text(g->pool, sizeof(g->pool), child_value(n, "pool"));
		g->netmask = parse_addr(child_value(n, "netmask"));
		LY_LIST_FOR(lyd_child(n), child)
			if (strcmp(LYD_NAME(child), "dns") == 0 && g->ndns < 2)
				g->dns[g->ndns++] =
					parse_addr(lyd_get_value(child));
		if (acl != NULL)
			group_split(g, dc, acl);
	}
	ly_set_free(set, NULL);
	return 0;
}

static int
read_pools(struct ike_ezvpn_config *ez, const struct lyd_node *tree)
{
	struct ly_set *set = select_nodes(tree, MOD "address-pools/pool");

	if (alloc_rows(set, sizeof(*ez->pools), &ez->pools) < 0) {
		ly_set_free(set, NULL);
		return -1;
	}
	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];
		struct ike_ez_pool *p = &ez->pools[ez->npools++];
		const char *last = child_value(n, "last");

		copy_text(p->name, sizeof(p->name), child_value(n, "name"));
		p->first = ntohl(parse_addr(child_value(n, "first")));
		p->last = last != NULL ? ntohl(parse_addr(last)) : p->first;
	}
	ly_set_free(set, NULL);
	return 0;
}

static int
read_users(struct ike_ezvpn_config *ez, const struct lyd_node *tree)
{
	struct ly_set *set = select_nodes(tree, ACCESS "access/user");

	if (alloc_rows(set, sizeof(*ez->users), &ez->users) < 0) {
		ly_set_free(set, NULL);
		return -1;
	}
	for (uint32_t i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];
		struct ike_ez_user *u = &ez->users[ez->nusers++];
		char pw7[2 * IKE_EZ_SECRET_MAX + 4];

		copy_text(u->name, sizeof(u->name), child_value(n, "name"));
		copy_secret(pw7, sizeof(pw7), n, "password7");
		u->hashed = pw7[0] == '\0' ||
			    cfg_type7_decode(pw7, u->password,
					     sizeof(u->password)) < 0;
		OPENSSL_cleanse(pw7, sizeof(pw7));
	}
	ly_set_free(set, NULL);
	return 0;
}

/* Checks whether AAA list NAME of `authentication login` has the local
 * method. Without `aaa new-model` the local users always count. */
static bool
aaa_list_local(const struct lyd_node *tree, const char *name)
{
	char xpath[256];
	struct ly_set *set;
	const char *methods = NULL;
	bool local;

	set = select_nodes(tree, MOD "aaa/new-model");
	local = set == NULL || set->count == 0 ||
		strcmp(lyd_get_value(set->dnodes[0]), "true") != 0;
	ly_set_free(set, NULL);
	if (local)
		return true;
	snprintf(xpath, sizeof(xpath),
		 MOD "aaa/method-list[service='authentication login']"
		 "[name='%s']", name);
	set = select_nodes(tree, xpath);
	if (set != NULL && set->count > 0)
		methods = child_value(set->dnodes[0], "methods");
	local = methods != NULL && strstr(methods, "local") != NULL;
	ly_set_free(set, NULL);
	return local;
}

/* Reads the crypto map settings of the server. The server side is on
 * when a crypto map applied to an interface has a client authentication
 * list or responds to configuration requests. */
static void
read_server_maps(struct ike_ezvpn_config *ez, const struct lyd_node *tree,
		 const struct dp_config *dc)
{
	char xpath[256];

	for (size_t i = 0; i < dc->n_ifs; i++) {
		const char *map = dc->ifs[i].crypto_map;
		struct ly_set *set;
		const char *list, *addr;

		if (map[0] == '\0')
			continue;
		snprintf(xpath, sizeof(xpath), MOD "crypto/map[name='%s']",
			 map);
		set = select_nodes(tree, xpath);
		if (set != NULL && set->count > 0) {
			list = child_value(set->dnodes[0],
					   "client-authentication-list");
			addr = child_value(set->dnodes[0],
					   "client-configuration-address");
			if (list != NULL) {
				ez->server_xauth = true;
				ez->xauth_local = aaa_list_local(tree, list);
			}
			if (addr != NULL && strcmp(addr, "respond") == 0)
				ez->server_modecfg = true;
		}
		ly_set_free(set, NULL);
	}
}

int
ike_ezvpn_derive(struct ike_config *c, const struct lyd_node *tree,
		 const struct dp_config *dc)
{
	c->ez = calloc(1, sizeof(*c->ez));
	if (c->ez == NULL)
		return -1;
	if (read_client(c, tree, dc) < 0 || read_groups(c->ez, tree, dc) < 0 ||
	    read_pools(c->ez, tree) < 0 || read_users(c->ez, tree) < 0)
		return -1;
	read_server_maps(c->ez, tree, dc);
	return 0;
}

void
ike_ezvpn_config_free(struct ike_ezvpn_config *ez)
{
	if (ez == NULL)
		return;
	if (ez->client != NULL)
		OPENSSL_cleanse(ez->client, sizeof(*ez->client));
	free(ez->client);
	if (ez->groups != NULL)
		OPENSSL_cleanse(ez->groups, ez->ngroups * sizeof(*ez->groups));
	free(ez->groups);
	free(ez->pools);
	if (ez->users != NULL)
		OPENSSL_cleanse(ez->users, ez->nusers * sizeof(*ez->users));
	free(ez->users);
	free(ez);
}

const struct ike_ez_group *
ike_ezvpn_group_by_id(const struct ike_config *c, const uint8_t *id,
		      size_t len)
{
	const struct ike_ezvpn_config *ez = c != NULL ? c->ez : NULL;

	/* ID_KEY_ID (11), protocol and port, then the group name. */
	if (ez == NULL || len <= 4 || id[0] != 11)
		return NULL;
	for (size_t i = 0; i < ez->ngroups; i++) {
		const struct ike_ez_group *g = &ez->groups[i];

		if (g->key[0] != '\0' && strlen(g->name) == len - 4 &&
		    memcmp(g->name, id + 4, len - 4) == 0)
			return g;
	}
	return NULL;
}
