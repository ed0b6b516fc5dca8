/*
 * Renders the running tree as IOS XE prints `show running-config`: global
 * blocks in IOS order, "!" between blocks, one space of indent for the
 * lines of a sub-mode. Every line printed here is accepted by the CLI and
 * yields the same tree, so a pasted render reproduces itself.
 */
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/cfg_render.h"

#define M "/vrouter-config:"

/* Returns the value of the leaf at relative PATH under NODE, or NULL. */
static const char *
val(const struct lyd_node *node, const char *path)
{
	struct lyd_node *found = NULL;

	if (lyd_find_path(node, path, 0, &found) != LY_SUCCESS || !found)
		return NULL;
	return lyd_get_value(found);
}

/* Like val(), but NULL when the leaf only holds its YANG default. */
static const char *
explicit_val(const struct lyd_node *node, const char *path)
{
	struct lyd_node *found = NULL;

	if (lyd_find_path(node, path, 0, &found) != LY_SUCCESS || !found)
		return NULL;
	if (found->flags & LYD_DEFAULT)
		return NULL;
	return lyd_get_value(found);
}

static bool
has(const struct lyd_node *node, const char *path)
{
	struct ly_set *set = NULL;
	bool found;

	if (lyd_find_xpath(node, path, &set) != LY_SUCCESS)
		return false;
	found = set->count > 0;
	ly_set_free(set, NULL);
	return found;
}

/* Collects the nodes at XPATH; the caller frees the set. */
static struct ly_set *
find_all(const struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;

	if (!tree || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return NULL;
	return set;
}

/* Prints the values of leaf-list NAME under NODE, each after a space. */
static void
print_leaflist(FILE *f, const struct lyd_node *node, const char *name)
{
	struct lyd_node *child;

	LY_LIST_FOR(lyd_child(node), child) {
		if (!strcmp(child->schema->name, name))
			fprintf(f, " %s", lyd_get_value(child));
	}
}

static void
render_hostname(FILE *f, const struct lyd_node *tree)
{
	const char *name = cfg_get_value(tree, M "system/hostname");

	fprintf(f, "hostname %s\n!\n", name ? name : "Router");
}

static void
render_archive(FILE *f, const struct lyd_node *tree)
{
	const struct lyd_node *archive = cfg_find(tree, M "archive");
	const char *path, *max;
	bool write;

	if (archive == NULL)
		return;
	path = val(archive, "path");
	max = explicit_val(archive, "maximum");
	write = has(archive, "write-memory");
	if (path == NULL && max == NULL && !write)
		return;
	fprintf(f, "archive\n");
	if (path != NULL)
		fprintf(f, " path %s\n", path);
	if (max != NULL)
		fprintf(f, " maximum %s\n", max);
	if (write)
		fprintf(f, " write-memory\n");
	fprintf(f, "!\n");
}

static void
render_isakmp(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set;
	const struct lyd_node *ka;
	bool any = false;
	uint32_t i;

	set = find_all(tree, M "crypto/isakmp/policy");
	cfg_sort_by_number(set, "priority");
	for (i = 0; set && i < set->count; i++) {
		const struct lyd_node *p = set->dnodes[i];
		const char *v;

		fprintf(f, "crypto isakmp policy %s\n", val(p, "priority"));
		if ((v = explicit_val(p, "encryption"))) {
			const char *size = val(p, "key-size");

			fprintf(f, " encr %s%s%s\n", v, size ? " " : "",
				size ? size : "");
		}
		if ((v = explicit_val(p, "hash")))
			fprintf(f, " hash %s\n", v);
		if ((v = explicit_val(p, "authentication")))
			fprintf(f, " authentication %s\n", v);
		if ((v = explicit_val(p, "group")))
			fprintf(f, " group %s\n", v);
		if ((v = explicit_val(p, "lifetime")))
			fprintf(f, " lifetime %s\n", v);
		any = true;
	}
	ly_set_free(set, NULL);

	set = find_all(tree, M "crypto/isakmp/key");
	for (i = 0; set && i < set->count; i++) {
		const struct lyd_node *k = set->dnodes[i];
		const char *mask = val(k, "mask");

		fprintf(f, "crypto isakmp key ");
		cfg_print_key(f, k, val(k, "key"));
		fprintf(f, " address %s", val(k, "address"));
		if (mask && strcmp(mask, "255.255.255.255"))
			fprintf(f, " %s", mask);
		fprintf(f, "%s\n", has(k, "no-xauth") ? " no-xauth" : "");
		any = true;
	}
	ly_set_free(set, NULL);

	ka = NULL;
	set = find_all(tree, M "crypto/isakmp/keepalive");
	if (set && set->count)
		ka = set->dnodes[0];
	if (ka) {
		const char *retry = val(ka, "retry");
		const char *mode = val(ka, "mode");

		fprintf(f, "crypto isakmp keepalive %s", val(ka, "seconds"));
		if (retry)
			fprintf(f, " %s", retry);
		if (mode && !strcmp(mode, "periodic"))
			fprintf(f, " periodic");
		fprintf(f, "\n");
		any = true;
	}
	ly_set_free(set, NULL);

	if (tree && has(tree, M "crypto/isakmp/invalid-spi-recovery")) {
		fprintf(f, "crypto isakmp invalid-spi-recovery\n");
		any = true;
	}
	if (any)
		fprintf(f, "!\n");
}

static void
render_transform_sets(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set = find_all(tree, M "crypto/ipsec/transform-set");
	uint32_t i;

	for (i = 0; set && i < set->count; i++) {
		const struct lyd_node *ts = set->dnodes[i];
		const char *size = val(ts, "key-size");
		struct lyd_node *child;

		fprintf(f, "crypto ipsec transform-set %s", val(ts, "name"));
		LY_LIST_FOR(lyd_child(ts), child) {
			const char *t;

			if (strcmp(child->schema->name, "transform"))
				continue;
			t = lyd_get_value(child);
			fprintf(f, " %s", t);
			/* The key size belongs to the one variable-size cipher. */
			if (size && (!strcmp(t, "esp-aes") ||
				     !strcmp(t, "esp-gcm") ||
				     !strcmp(t, "esp-gmac")))
				fprintf(f, " %s", size);
		}
		/* IOS XE ends this line with a space and always prints mode. */
		fprintf(f, " \n mode %s\n!\n", val(ts, "mode"));
	}
	ly_set_free(set, NULL);
}

/* Lines shared by crypto ipsec profiles and crypto map entries. */
static void
render_sa_settings(FILE *f, const struct lyd_node *n)
{
	const char *v;

	if ((v = val(n, "lifetime-seconds")))
		fprintf(f, " set security-association lifetime seconds %s\n", v);
	if ((v = val(n, "lifetime-kilobytes")))
		fprintf(f, " set security-association lifetime kilobytes %s\n",
			v);
	if (has(n, "transform-set")) {
		fprintf(f, " set transform-set");
		print_leaflist(f, n, "transform-set");
		fprintf(f, " \n");
	}
	if ((v = val(n, "pfs-group")))
		fprintf(f, " set pfs group%s\n", v);
	if ((v = val(n, "isakmp-profile")))
		fprintf(f, " set isakmp-profile %s\n", v);
	if ((v = val(n, "ikev2-profile")))
		fprintf(f, " set ikev2-profile %s\n", v);
}

static void
render_ipsec_profiles(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set = find_all(tree, M "crypto/ipsec/profile");
	uint32_t i;

	for (i = 0; set && i < set->count; i++) {
		fprintf(f, "crypto ipsec profile %s\n",
			val(set->dnodes[i], "name"));
		render_sa_settings(f, set->dnodes[i]);
		fprintf(f, "!\n");
	}
	ly_set_free(set, NULL);
}

static void
render_session_key(FILE *f, const struct lyd_node *e, const char *dir)
{
	char path[64];
	const char *spi, *cipher, *auth;

	snprintf(path, sizeof(path), "session-key/%s/esp/spi", dir);
	spi = val(e, path);
	if (!spi)
		return;
	snprintf(path, sizeof(path), "session-key/%s/esp/cipher", dir);
	cipher = val(e, path);
	snprintf(path, sizeof(path), "session-key/%s/esp/authenticator", dir);
	auth = val(e, path);
	fprintf(f, " set session-key %s esp %s", dir, spi);
	if (cipher)
		fprintf(f, " cipher %s", cipher);
	if (auth)
		fprintf(f, " authenticator %s", auth);
	fprintf(f, "\n");
}

/*
 * Orders map entries by map name, then sequence, so that the output does
 * not depend on which line created a map first.
 */
static int
node_map_entry_cmp(const void *pa, const void *pb)
{
	const struct lyd_node *a = *(const struct lyd_node *const *)pa;
	const struct lyd_node *b = *(const struct lyd_node *const *)pb;
	int c = strcmp(val(lyd_parent(a), "name"), val(lyd_parent(b), "name"));
	unsigned long x, y;

	if (c)
		return c;
	x = strtoul(val(a, "sequence"), NULL, 10);
	y = strtoul(val(b, "sequence"), NULL, 10);
	return x < y ? -1 : x > y;
}

/* Prints the lines of a crypto map or dynamic-map entry and its "!". */
static void
render_map_entry(FILE *f, const struct lyd_node *e)
{
	const char *v;
	struct lyd_node *child;

	if ((v = val(e, "description")))
		fprintf(f, " description %s\n", v);
	LY_LIST_FOR(lyd_child(e), child) {
		if (strcmp(child->schema->name, "peer"))
			continue;
		v = lyd_get_value(child);
		fprintf(f, " set peer %s\n", v);
	}
	if ((v = val(e, "default-peer")))
		fprintf(f, " set peer %s default\n", v);
	render_session_key(f, e, "inbound");
	render_session_key(f, e, "outbound");
	render_sa_settings(f, e);
	if ((v = val(e, "match-address")))
		fprintf(f, " match address %s\n", v);
	if (has(e, "reverse-route"))
		fprintf(f, " reverse-route\n");
	fprintf(f, "!\n");
}

static void
render_crypto_maps(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set = find_all(tree, M "crypto/dynamic-map/entry");
	uint32_t i;

	if (set)
		qsort(set->dnodes, set->count, sizeof(set->dnodes[0]),
		      node_map_entry_cmp);
	for (i = 0; set && i < set->count; i++) {
		const struct lyd_node *e = set->dnodes[i];

		fprintf(f, "crypto dynamic-map %s %s\n",
			val(lyd_parent(e), "name"), val(e, "sequence"));
		render_map_entry(f, e);
	}
	ly_set_free(set, NULL);
	cfg_render_map_globals(f, tree);

	set = find_all(tree, M "crypto/map/entry");
	if (set)
		qsort(set->dnodes, set->count, sizeof(set->dnodes[0]),
		      node_map_entry_cmp);
	for (i = 0; set && i < set->count; i++) {
		const struct lyd_node *e = set->dnodes[i];
		const char *dyn = val(e, "dynamic");

		fprintf(f, "crypto map %s %s %s", val(lyd_parent(e), "name"),
			val(e, "sequence"), val(e, "type"));
		if (dyn)
			fprintf(f, " dynamic %s", dyn);
		fprintf(f, " \n");
		render_map_entry(f, e);
	}
	ly_set_free(set, NULL);
}

/*
 * IOS prints virtual interfaces before physical ones; within a type the
 * numbers compare numerically, slot by slot.
 */
static int
if_type_rank(const char *name)
{
	static const char *const order[] = {
		"Loopback", "Tunnel", "Ethernet", "FastEthernet",
		"GigabitEthernet", "TenGigabitEthernet",
	};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		size_t n = strlen(order[i]);

		if (!strncmp(name, order[i], n) && name[n] >= '0' &&
		    name[n] <= '9')
			return (int)i;
	}
	return (int)i;
}

int
cfg_ifname_cmp(const char *a, const char *b)
{
	int ra = if_type_rank(a), rb = if_type_rank(b);

	if (ra != rb)
		return ra - rb;
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			char *ea, *eb;
			unsigned long na = strtoul(a, &ea, 10);
			unsigned long nb = strtoul(b, &eb, 10);

			if (na != nb)
				return na < nb ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int
node_ifname_cmp(const void *pa, const void *pb)
{
	const struct lyd_node *a = *(const struct lyd_node *const *)pa;
	const struct lyd_node *b = *(const struct lyd_node *const *)pb;

	return cfg_ifname_cmp(val(a, "name"), val(b, "name"));
}

static void
render_interfaces(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set = find_all(tree, M "interfaces/interface");
	uint32_t i;

	if (!set)
		return;
	qsort(set->dnodes, set->count, sizeof(set->dnodes[0]),
	      node_ifname_cmp);
	for (i = 0; i < set->count; i++) {
		const struct lyd_node *ifn = set->dnodes[i];
		const char *v;

		fprintf(f, "interface %s", val(ifn, "name"));
		cfg_render_if_header(f, ifn);
		if (has(ifn, "ipv4"))
			fprintf(f, " ip address %s %s\n",
				val(ifn, "ipv4/address"), val(ifn, "ipv4/mask"));
		else if ((v = val(ifn, "unnumbered")))
			fprintf(f, " ip unnumbered %s\n", v);
		else
			fprintf(f, " no ip address\n");
		cfg_render_if_ip(f, ifn);
		if (has(ifn, "shutdown"))
			fprintf(f, " shutdown\n");
		if ((v = val(ifn, "crypto-map")))
			fprintf(f, " crypto map %s\n", v);
		cfg_render_if_tunnel(f, ifn);
		fprintf(f, "!\n");
	}
	ly_set_free(set, NULL);
}

static void
render_routes(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set = find_all(tree, M "routing/static-route");
	uint32_t i;

	for (i = 0; set && i < set->count; i++) {
		const struct lyd_node *r = set->dnodes[i];
		const char *dist = explicit_val(r, "distance");

		fprintf(f, "ip route %s %s %s", val(r, "prefix"), val(r, "mask"),
			val(r, "next-hop"));
		if (dist)
			fprintf(f, " %s", dist);
		fprintf(f, "\n");
	}
	if (set && set->count)
		fprintf(f, "!\n");
	ly_set_free(set, NULL);
}

/*
 * Numbered lists sort by number. Named ones print standard lists first,
 * then extended ones, each by name.
 */
static int
node_acl_cmp(const void *pa, const void *pb)
{
	const struct lyd_node *a = *(const struct lyd_node *const *)pa;
	const struct lyd_node *b = *(const struct lyd_node *const *)pb;
	const char *na = val(a, "name"), *nb = val(b, "name");
	int ta = strcmp(val(a, "type"), "standard") != 0;
	int tb = strcmp(val(b, "type"), "standard") != 0;

	if (cfg_acl_is_numbered(na) && cfg_acl_is_numbered(nb)) {
		unsigned long x = strtoul(na, NULL, 10);
		unsigned long y = strtoul(nb, NULL, 10);

		return x < y ? -1 : x > y;
	}
	if (ta != tb)
		return ta - tb;
	return strcmp(na, nb);
}

/* libyang keeps list entries in insertion order; IOS prints by sequence. */
static int
node_seq_cmp(const void *pa, const void *pb)
{
	const struct lyd_node *a = *(const struct lyd_node *const *)pa;
	const struct lyd_node *b = *(const struct lyd_node *const *)pb;
	unsigned long x = strtoul(val(a, "sequence"), NULL, 10);
	unsigned long y = strtoul(val(b, "sequence"), NULL, 10);

	return x < y ? -1 : x > y;
}

static void
render_acls(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set = find_all(tree, M "access-lists/access-list");
	bool numbered_any = false;
	uint32_t i;
	int pass;

	if (set)
		qsort(set->dnodes, set->count, sizeof(set->dnodes[0]),
		      node_acl_cmp);

	/* Named lists first, as blocks; then numbered ones, line by line. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; set && i < set->count; i++) {
			const struct lyd_node *acl = set->dnodes[i];
			const char *name = val(acl, "name");
			const char *type = val(acl, "type");
			bool numbered = cfg_acl_is_numbered(name);
			struct ly_set *entries;
			struct lyd_node *e;
			uint32_t k;

			if (numbered != (pass == 1))
				continue;
			if (!numbered)
				fprintf(f, "ip access-list %s %s\n", type, name);
			else
				numbered_any = true;
			entries = find_all(acl, "entry");
			if (entries)
				qsort(entries->dnodes, entries->count,
				      sizeof(entries->dnodes[0]), node_seq_cmp);
			for (k = 0; entries && k < entries->count; k++) {
				e = entries->dnodes[k];
				if (numbered)
					fprintf(f, "access-list %s ", name);
				else
					fprintf(f, " ");
				cfg_render_ace(f, e, !strcmp(type, "extended"));
				fprintf(f, "\n");
			}
			ly_set_free(entries, NULL);
			if (!numbered)
				fprintf(f, "!\n");
		}
	}
	if (numbered_any)
		fprintf(f, "!\n");
	ly_set_free(set, NULL);
}

/*
 * Banners, before the line blocks as IOS prints them: "banner motd ^C",
 * the stored text (line ends included) and "^C".
 */
static void
render_banners(FILE *f, const struct lyd_node *tree)
{
	static const char *const kinds[] = { "exec", "login", "motd" };
	const struct lyd_node *banner = cfg_find(tree, M "system/banner");
	const char *text;
	bool any = false;
	size_t i;

	if (banner == NULL)
		return;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		text = val(banner, kinds[i]);
		if (text == NULL)
			continue;
		fprintf(f, "banner %s ^C%s^C\n", kinds[i], text);
		any = true;
	}
	if (any)
		fprintf(f, "!\n");
}

char *
cfg_render_tree(const struct lyd_node *tree)
{
	char *buf = NULL, *clear;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "!\n");
	cfg_render_service(f, tree);
	if (cfg_find(tree, "/vrouter-access:access/password-encryption"))
		fprintf(f, "service password-encryption\n!\n");
	render_hostname(f, tree);
	cfg_render_logging(f, tree);
	cfg_render_vrfs(f, tree);
	cfg_render_aaa(f, tree);
	cfg_render_access_users(f, tree);
	render_archive(f, tree);
	cfg_render_keyrings(f, tree);
	render_isakmp(f, tree);
	cfg_render_isakmp_profiles(f, tree);
	cfg_render_client_groups(f, tree);
	cfg_render_ikev2(f, tree);
	cfg_render_ipsec_globals(f, tree);
	render_transform_sets(f, tree);
	render_ipsec_profiles(f, tree);
	cfg_render_ezvpn(f, tree);
	render_crypto_maps(f, tree);
	render_interfaces(f, tree);
	cfg_render_pools(f, tree);
	render_routes(f, tree);
	render_acls(f, tree);
	cfg_render_logging_hosts(f, tree);
	render_banners(f, tree);
	cfg_render_access_lines(f, tree);
	cfg_render_eem(f, tree);
	fprintf(f, "end\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	/*
	 * The stream holds sealed values only, because its buffer is
	 * reallocated as it grows; the one clear copy is made at once.
	 */
	clear = cfg_secret_reveal(buf, CFG_REVEAL_TEXT);
	free(buf);
	return clear;
}

const char *
cfg_node_val(const struct lyd_node *node, const char *path)
{
	return val(node, path);
}

bool
cfg_node_has(const struct lyd_node *node, const char *path)
{
	return has(node, path);
}

char *
cfg_render_ios(struct cfg *cfg)
{
	const struct lyd_node *tree = cfg_read_lock(cfg);
	char *text = cfg_render_tree(tree);

	cfg_read_unlock(cfg);
	return text;
}

/* Port keywords of IOS access lists, by protocol: tcp, udp or both. */
static const struct {
	const char *name;
	unsigned short port;
	char proto;	/* 't' tcp, 'u' udp, 'b' both */
} port_names[] = {
	{ "bgp", 179, 't' },
	{ "bootpc", 68, 'u' },
	{ "bootps", 67, 'u' },
	{ "domain", 53, 'b' },
	{ "ftp", 21, 't' },
	{ "ftp-data", 20, 't' },
	{ "isakmp", 500, 'u' },
	{ "non500-isakmp", 4500, 'u' },
	{ "ntp", 123, 'u' },
	{ "smtp", 25, 't' },
	{ "snmp", 161, 'u' },
	{ "snmptrap", 162, 'u' },
	{ "syslog", 514, 'u' },
	{ "telnet", 23, 't' },
	{ "tftp", 69, 'u' },
	{ "www", 80, 't' },
};

static bool
proto_matches(const char *proto, char which)
{
	if (which == 'b')
		return true;
	return (which == 't' && !strcmp(proto, "tcp")) ||
	       (which == 'u' && !strcmp(proto, "udp"));
}

const char *
cfg_port_name(const char *proto, unsigned port)
{
	size_t i;

	for (i = 0; i < sizeof(port_names) / sizeof(port_names[0]); i++) {
		if (port_names[i].port == port &&
		    proto_matches(proto, port_names[i].proto))
			return port_names[i].name;
	}
	return NULL;
}

int
cfg_port_parse(const char *proto, const char *word)
{
	char *end;
	unsigned long n;
	size_t i;

	for (i = 0; i < sizeof(port_names) / sizeof(port_names[0]); i++) {
		if (!strcmp(port_names[i].name, word) &&
		    proto_matches(proto, port_names[i].proto))
			return port_names[i].port;
	}
	if (*word < '0' || *word > '9')
		return -1;
	n = strtoul(word, &end, 10);
	if (*end || n > 65535)
		return -1;
	return (int)n;
}

bool
cfg_acl_is_numbered(const char *name)
{
	if (!name || !*name)
		return false;
	for (; *name; name++) {
		if (*name < '0' || *name > '9')
			return false;
	}
	return true;
}

static void
render_port(FILE *f, const struct lyd_node *side, const char *proto)
{
	const char *op = val(side, "operator");
	const char *port, *name;

	if (!op)
		return;
	port = val(side, "port");
	name = cfg_port_name(proto, (unsigned)atoi(port));
	fprintf(f, " %s %s", op, name ? name : port);
	if (!strcmp(op, "range")) {
		port = val(side, "port-end");
		name = cfg_port_name(proto, (unsigned)atoi(port));
		fprintf(f, " %s", name ? name : port);
	}
}

static void
render_address(FILE *f, const struct lyd_node *side, bool extended)
{
	const char *v;

	if (has(side, "any"))
		fprintf(f, " any");
	else if ((v = val(side, "host")))
		fprintf(f, extended ? " host %s" : " %s", v);
	else
		fprintf(f, " %s %s", val(side, "address"), val(side, "wildcard"));
}

void
cfg_render_ace(FILE *f, const struct lyd_node *entry, bool extended)
{
	const char *action = val(entry, "action");
	const char *proto = "ip";
	struct lyd_node *side = NULL;

	if (!strcmp(action, "remark")) {
		fprintf(f, "remark %s", val(entry, "remark"));
		return;
	}
	fprintf(f, "%s", action);
	if (extended) {
		proto = val(entry, "protocol");
		fprintf(f, " %s", proto);
	}
	lyd_find_path(entry, "source", 0, &side);
	render_address(f, side, extended);
	if (extended) {
		render_port(f, side, proto);
		side = NULL;
		lyd_find_path(entry, "destination", 0, &side);
		render_address(f, side, extended);
		render_port(f, side, proto);
		if (has(entry, "established"))
			fprintf(f, " established");
	}
	if (has(entry, "log"))
		fprintf(f, " log");
}
