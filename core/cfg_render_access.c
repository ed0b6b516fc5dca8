/*
 * Renders the access configuration (vrouter-access.yang) as IOS prints
 * it: `enable secret` and `username` lines near the top, the `line`
 * blocks last, just before "end". Secrets appear only hashed or in
 * type 7.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/cfg_render.h"

#define A "/vrouter-access:access"

static const char *
leaf(const struct lyd_node *node, const char *name)
{
	struct lyd_node *found = NULL;

	if (lyd_find_path(node, name, 0, &found) != LY_SUCCESS || !found)
		return NULL;
	return lyd_get_value(found);
}

/* Like leaf(), but NULL when the leaf holds only its YANG default. */
static const char *
explicit_leaf(const struct lyd_node *node, const char *name)
{
	struct lyd_node *found = NULL;

	if (lyd_find_path(node, name, 0, &found) != LY_SUCCESS || !found ||
	    (found->flags & LYD_DEFAULT))
		return NULL;
	return lyd_get_value(found);
}

static struct ly_set *
select_nodes(const struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;

	if (!tree || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return NULL;
	return set;
}

void
cfg_render_access_users(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set;
	const char *v, *priv;
	uint32_t i;

	set = select_nodes(tree, A "/enable-secret");
	if (set && set->count > 0) {
		v = lyd_get_value(set->dnodes[0]);
		if (v != NULL && v[0] != '\0')
			fprintf(f, "enable secret %c %s\n!\n", v[1], v);
	}
	ly_set_free(set, NULL);

	set = select_nodes(tree, A "/user");
	for (i = 0; set && i < set->count; i++) {
		fprintf(f, "username %s", leaf(set->dnodes[i], "name"));
		priv = explicit_leaf(set->dnodes[i], "privilege");
		if (priv)
			fprintf(f, " privilege %s", priv);
		if ((v = leaf(set->dnodes[i], "secret")) != NULL)
			fprintf(f, " secret %c %s", v[1], v);
		else if ((v = leaf(set->dnodes[i], "password7")) != NULL)
			fprintf(f, " password 7 %s", v);
		fprintf(f, "\n");
	}
	if (set && set->count > 0)
		fprintf(f, "!\n");
	ly_set_free(set, NULL);
}

static void
render_line(FILE *f, const struct lyd_node *e)
{
	const char *kind = leaf(e, "kind"), *first = leaf(e, "first");
	const char *last = leaf(e, "last"), *v;
	unsigned long secs;

	/* Keys are always present; the check keeps printf away from NULL. */
	if (kind == NULL || first == NULL)
		return;
	fprintf(f, "line %s %s", kind, first);
	if (last)
		fprintf(f, " %s", last);
	fprintf(f, "\n");
	if ((v = explicit_leaf(e, "exec-timeout")) != NULL) {
		secs = strtoul(v, NULL, 10);
		fprintf(f, " exec-timeout %lu %lu\n", secs / 60, secs % 60);
	}
	if ((v = explicit_leaf(e, "session-timeout")) != NULL)
		fprintf(f, " session-timeout %s\n", v);
	if ((v = explicit_leaf(e, "privilege-level")) != NULL)
		fprintf(f, " privilege level %s\n", v);
	if ((v = leaf(e, "password7")) != NULL)
		fprintf(f, " password 7 %s\n", v);
	if ((v = leaf(e, "login")) != NULL)
		fprintf(f, " login%s\n", strcmp(v, "local") == 0 ? " local" : "");
	if ((v = explicit_leaf(e, "transport-input")) != NULL)
		fprintf(f, " transport input %s\n", v);
}

void
cfg_render_access_lines(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set;
	uint32_t i;

	/* The console first, then the vty ranges, as IOS lists them. */
	set = select_nodes(tree, A "/line[kind='con']");
	for (i = 0; set && i < set->count; i++)
		render_line(f, set->dnodes[i]);
	ly_set_free(set, NULL);
	set = select_nodes(tree, A "/line[kind='vty']");
	for (i = 0; set && i < set->count; i++)
		render_line(f, set->dnodes[i]);
	if (set && set->count > 0)
		fprintf(f, "!\n");
	ly_set_free(set, NULL);
}
