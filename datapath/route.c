/*
 * The IPv4 routing table: connected and local routes of the interfaces,
 * and static routes resolved to an egress interface. The datapath
 * thread builds its own copy on each reconcile and `show ip route`
 * builds one in the CLI thread, so no copy is shared or locked.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/datapath.h"

/* Recursion limit when a static next hop resolves through a static. */
#define RESOLVE_DEPTH 4

static uint32_t
plen_mask(uint8_t plen)
{
	return plen ? htonl(~0U << (32 - plen)) : 0;
}

static bool
covers(const struct dp_route *r, uint32_t dst)
{
	return ((dst ^ r->prefix) & plen_mask(r->plen)) == 0;
}

const struct dp_route *
dp_rib_lookup(const struct dp_route *rib, size_t n, uint32_t dst)
{
	for (size_t i = 0; i < n; i++) {
		if (covers(&rib[i], dst))
			return &rib[i];
	}
	return NULL;
}

/* Longest prefix first; at equal length, lowest distance first. */
static int
route_order(const void *a, const void *b)
{
	const struct dp_route *x = a, *y = b;

	if (x->plen != y->plen)
		return x->plen > y->plen ? -1 : 1;
	if (x->prefix != y->prefix)
		return ntohl(x->prefix) < ntohl(y->prefix) ? -1 : 1;
	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	return (int)x->type - (int)y->type;
}

/*
 * Resolves NH to an egress interface through the routes found so far
 * (RIB[0..N), ordered), allowing statics up to DEPTH levels.
 */
static const char *
resolve(const struct dp_route *rib, size_t n, uint32_t nh, int depth)
{
	const struct dp_route *r = dp_rib_lookup(rib, n, nh);

	if (r == NULL || depth > RESOLVE_DEPTH)
		return NULL;
	if (r->type != DP_ROUTE_STATIC || r->via_if)
		return r->ifname;
	return resolve(rib, n, r->next_hop, depth + 1);
}

/* Keeps only the lowest-distance route of each prefix. */
static size_t
best_only(struct dp_route *rib, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k > 0 && rib[k - 1].prefix == rib[i].prefix &&
		    rib[k - 1].plen == rib[i].plen)
			continue;
		rib[k++] = rib[i];
	}
	return k;
}

int
dp_rib_build(const struct dp_config *cfg, struct dp_route **out)
{
	size_t cap = 2 * cfg->n_ifs + cfg->n_routes + 1, n = 0;
	struct dp_route *rib = calloc(cap, sizeof(*rib));

	*out = NULL;
	if (rib == NULL)
		return -1;
	for (size_t i = 0; i < cfg->n_ifs; i++) {
		const struct dp_if_cfg *ifc = &cfg->ifs[i];
		struct dp_route *r;

		if (ifc->addr == 0 || ifc->shutdown)
			continue;
		r = &rib[n++];
		r->type = DP_ROUTE_CONNECTED;
		r->prefix = ifc->addr & plen_mask(ifc->plen);
		r->plen = ifc->plen;
		memcpy(r->ifname, ifc->name, sizeof(r->ifname));
		if (ifc->plen == 32)
			continue;
		r = &rib[n++];
		r->type = DP_ROUTE_LOCAL;
		r->prefix = ifc->addr;
		r->plen = 32;
		memcpy(r->ifname, ifc->name, sizeof(r->ifname));
	}
	qsort(rib, n, sizeof(*rib), route_order);
	n = best_only(rib, n);

	/* Statics resolve through connected routes first, then through
	 * each other, so their order in the config does not matter. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cfg->n_routes; i++) {
			const struct dp_route_cfg *c = &cfg->routes[i];
			struct dp_route *r = &rib[n];
			const char *egress;
			bool dup = false;

			for (size_t j = 0; j < n; j++)
				dup |= rib[j].type == DP_ROUTE_STATIC &&
				       rib[j].prefix ==
				       (c->prefix & plen_mask(c->plen)) &&
				       rib[j].plen == c->plen &&
				       rib[j].next_hop == c->next_hop &&
				       strcmp(rib[j].ifname, c->ifname) == 0;
			if (dup || n == cap)
				continue;
			if (c->ifname[0] != '\0') {
				egress = c->ifname;
				for (size_t j = 0; j < cfg->n_ifs; j++) {
					if (strcmp(cfg->ifs[j].name, egress) ==
					    0 && cfg->ifs[j].shutdown)
						egress = NULL;
				}
			} else {
				egress = resolve(rib, n, c->next_hop,
						 pass == 0 ? RESOLVE_DEPTH : 0);
			}
			if (egress == NULL)
				continue;
			memset(r, 0, sizeof(*r));
			r->type = DP_ROUTE_STATIC;
			r->prefix = c->prefix & plen_mask(c->plen);
			r->plen = c->plen;
			r->distance = c->distance;
			r->next_hop = c->next_hop;
			r->via_if = c->ifname[0] != '\0';
			snprintf(r->ifname, sizeof(r->ifname), "%s", egress);
			n++;
			qsort(rib, n, sizeof(*rib), route_order);
		}
	}
	n = best_only(rib, n);
	*out = rib;
	return (int)n;
}
