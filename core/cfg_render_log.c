/*
 * Renders the logging settings as IOS prints them in show running-config:
 * the `service` lines before the hostname, the local destinations after
 * it, and the syslog hosts after the access lists. Only settings that
 * differ from the IOS defaults are printed.
 */
#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/cfg_render.h"
#include "core/config.h"

#define LX "/vrouter-config:logging/"

static void
render_stamp(FILE *f, const struct lyd_node *tree, const char *kind)
{
	static const char *const flags[] = {
		"msec", "localtime", "show-timezone"
	};
	char xpath[128];
	const char *type;
	size_t i;

	snprintf(xpath, sizeof(xpath), LX "timestamps-%s/type", kind);
	type = cfg_get_value(tree, xpath);
	if (type == NULL)
		return;
	if (strcmp(type, "none") == 0) {
		fprintf(f, "no service timestamps %s\n", kind);
		return;
	}
	fprintf(f, "service timestamps %s %s", kind, type);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		snprintf(xpath, sizeof(xpath), LX "timestamps-%s/%s", kind,
			 flags[i]);
		if (cfg_find(tree, xpath) != NULL)
			fprintf(f, " %s", flags[i]);
	}
	fprintf(f, "\n");
}

void
cfg_render_service(FILE *f, const struct lyd_node *tree)
{
	bool seq = cfg_find(tree, LX "sequence-numbers") != NULL;

	if (cfg_get_value(tree, LX "timestamps-debug/type") == NULL &&
	    cfg_get_value(tree, LX "timestamps-log/type") == NULL && !seq)
		return;
	render_stamp(f, tree, "debug");
	render_stamp(f, tree, "log");
	if (seq)
		fprintf(f, "service sequence-numbers\n");
	fprintf(f, "!\n");
}

/* Prints "logging NAME LEVEL" or "no logging NAME" for leaf LEAF. */
static bool
render_level(FILE *f, const struct lyd_node *tree, const char *name,
	     const char *leaf)
{
	char xpath[128];
	const char *level;

	snprintf(xpath, sizeof(xpath), LX "%s", leaf);
	level = cfg_get_value(tree, xpath);
	if (level == NULL)
		return false;
	if (strcmp(level, "disabled") == 0)
		fprintf(f, "no logging %s\n", name);
	else
		fprintf(f, "logging %s %s\n", name, level);
	return true;
}

void
cfg_render_logging(FILE *f, const struct lyd_node *tree)
{
	const char *size = cfg_get_value(tree, LX "buffered-size");
	const char *level = cfg_get_value(tree, LX "buffered-level");
	const char *rate = cfg_get_value(tree, LX "rate-limit");
	bool any = false;

	if (level != NULL && strcmp(level, "disabled") == 0) {
		fprintf(f, "no logging buffered\n");
		any = true;
	} else if (size != NULL || level != NULL) {
		fprintf(f, "logging buffered");
		if (size != NULL)
			fprintf(f, " %s", size);
		if (level != NULL)
			fprintf(f, " %s", level);
		fprintf(f, "\n");
		any = true;
	}
	if (rate != NULL) {
		const char *except = cfg_get_value(tree,
						   LX "rate-limit-except");

		fprintf(f, "logging rate-limit %s", rate);
		if (except != NULL)
			fprintf(f, " except %s", except);
		fprintf(f, "\n");
		any = true;
	}
	any |= render_level(f, tree, "console", "console-level");
	any |= render_level(f, tree, "monitor", "monitor-level");
	if (any)
		fprintf(f, "!\n");
}

void
cfg_render_logging_hosts(FILE *f, const struct lyd_node *tree)
{
	const char *source = cfg_get_value(tree, LX "source-interface");
	struct ly_set *set = NULL;
	bool any;
	uint32_t i;

	any = render_level(f, tree, "trap", "trap-level");
	if (source != NULL) {
		fprintf(f, "logging source-interface %s\n", source);
		any = true;
	}
	if (tree != NULL &&
	    lyd_find_xpath(tree, LX "host", &set) != LY_SUCCESS)
		set = NULL;
	for (i = 0; set != NULL && i < set->count; i++) {
		const struct lyd_node *h = set->dnodes[i];
		const char *port = cfg_node_val(h, "port");
		const char *format = cfg_node_val(h, "format");

		fprintf(f, "logging host %s", cfg_node_val(h, "address"));
		if (port != NULL && strcmp(port, "514") != 0)
			fprintf(f, " transport udp port %s", port);
		if (format != NULL && strcmp(format, "rfc3164") != 0)
			fprintf(f, " syslog-format %s", format);
		fprintf(f, "\n");
		any = true;
	}
	ly_set_free(set, NULL);
	if (any)
		fprintf(f, "!\n");
}
