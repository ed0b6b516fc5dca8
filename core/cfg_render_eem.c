/*
 * Renders the Embedded Event Manager applets as IOS prints them in show
 * running-config, after the line blocks: the environment variables,
 * then per applet the applet line, its event line
 * with the options in IOS order, and its actions in the string order of
 * their labels, which is the order they run in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/cfg_render.h"
#include "core/config.h"

static int
label_cmp(const void *a, const void *b)
{
	const struct lyd_node *const *x = a, *const *y = b;

	return strcmp(cfg_node_val(*x, "label"), cfg_node_val(*y, "label"));
}

static void
render_event(FILE *f, const struct lyd_node *applet)
{
	static const char *const after[] = { "period", "ratelimit" };
	const char *type = cfg_node_val(applet, "event/type");
	const char *v;
	size_t i;

	if (type == NULL)
		return;
	if (strcmp(type, "syslog") == 0) {
		fprintf(f, " event syslog");
		if ((v = cfg_node_val(applet, "event/occurs")) != NULL)
			fprintf(f, " occurs %s", v);
		fprintf(f, " pattern \"%s\"",
			cfg_node_val(applet, "event/pattern"));
		for (i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
			char path[32];

			snprintf(path, sizeof(path), "event/%s", after[i]);
			if ((v = cfg_node_val(applet, path)) != NULL)
				fprintf(f, " %s %s", after[i], v);
		}
	} else if (strncmp(type, "timer-", 6) == 0) {
		fprintf(f, " event timer %s time %s", type + 6,
			cfg_node_val(applet, "event/time"));
	} else {
		fprintf(f, " event none");
	}
	if ((v = cfg_node_val(applet, "event/maxrun")) != NULL)
		fprintf(f, " maxrun %s", v);
	fprintf(f, "\n");
}

static void
render_environment(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *set = NULL;
	uint32_t i;

	if (lyd_find_xpath(tree, "/vrouter-config:event-manager/environment",
			   &set) != LY_SUCCESS)
		return;
	for (i = 0; i < set->count; i++)
		fprintf(f, "event manager environment %s %s\n",
			cfg_node_val(set->dnodes[i], "name"),
			cfg_node_val(set->dnodes[i], "value"));
	ly_set_free(set, NULL);
}

void
cfg_render_eem(FILE *f, const struct lyd_node *tree)
{
	struct ly_set *applets = NULL;
	uint32_t i, k;

	if (tree == NULL)
		return;
	render_environment(f, tree);
	if (lyd_find_xpath(tree, "/vrouter-config:event-manager/applet",
			   &applets) != LY_SUCCESS)
		return;
	for (i = 0; i < applets->count; i++) {
		const struct lyd_node *a = applets->dnodes[i];
		const char *options = cfg_node_val(a, "options");
		struct ly_set *actions = NULL;

		fprintf(f, "event manager applet %s%s%s\n",
			cfg_node_val(a, "name"), options ? " " : "",
			options ? options : "");
		render_event(f, a);
		if (lyd_find_xpath(a, "action", &actions) == LY_SUCCESS) {
			qsort(actions->dnodes, actions->count,
			      sizeof(actions->dnodes[0]), label_cmp);
			for (k = 0; k < actions->count; k++)
				fprintf(f, " action %s %s\n",
					cfg_node_val(actions->dnodes[k], "label"),
					cfg_node_val(actions->dnodes[k], "text"));
			ly_set_free(actions, NULL);
		}
		fprintf(f, "!\n");
	}
	ly_set_free(applets, NULL);
}
