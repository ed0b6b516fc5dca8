/*
 * Renders the access configuration (vrouter-access.yang) as IOS prints
 * it: `enable secret` and `username` lines near the top, the `line`
 * blocks last, just before "end". Secrets appear hashed or in type 7,
 * except passwords given in clear while `service password-encryption`
 * is off, which IOS also shows in clear.
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

/*
 * Prints " password[ 0] TEXT" for the password7 leaf of E (a user, a
 * line or the enable password): in clear, with TYPE0 before it, when it
 * was given in clear and password encryption is off, as type 7 text
 * otherwise.
 */
static void
print_password(FILE *f, const struct lyd_node *e, const char *type0)
{
	const char *v = leaf(e, "password7");
	struct lyd_node *flag = NULL;

	if (v == NULL)
		return;
	if (lyd_find_path(e, "password-clear", 0, &flag) == LY_SUCCESS &&
	    flag != NULL &&
	    lyd_find_path(e, A "/password-encryption", 0, &flag) !=
		    LY_SUCCESS) {
		fprintf(f, " password%s ", type0);
		cfg_print_type7_clear(f, v);
		return;
	}
	fprintf(f, " password 7 %s", v);
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

	set = select_nodes(tree, A "/enable-password");
	if (set && set->count > 0) {
		fprintf(f, "enable");
		print_password(f, set->dnodes[0], "");
		fprintf(f, "\n!\n");
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
		else
			print_password(f, set->dnodes[i], " 0");
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
	if (leaf(e, "password7") != NULL) {
		print_password(f, e, "");
		fprintf(f, "\n");
	}
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
