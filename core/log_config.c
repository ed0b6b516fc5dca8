/*
 * Applies the logging settings of the running config to the process
 * logger: a config store subscriber, so `logging ...` and `service
 * timestamps|sequence-numbers` take effect however the config changed
 * (a command, a startup-config, an imported file). Every absent leaf
 * restores the IOS default, so removing a line undoes it.
 */
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/config.h"

#define M "/vrouter-config:"

/* Level of the leaf at XPATH, or DEF when it is absent. */
static enum log_severity
level_at(const struct lyd_node *tree, const char *xpath, enum log_severity def)
{
	const char *v = cfg_get_value(tree, xpath);

	if (v == NULL)
		return def;
	if (strcmp(v, "disabled") == 0)
		return LOG_SEV_OFF;
	return (enum log_severity)log_severity_parse(v);
}

static void
apply_stamps(const struct lyd_node *tree, enum log_line_kind kind,
	     const char *container)
{
	struct log_stamp st = { .type = LOG_STAMP_DATETIME, .msec = true };
	char xpath[128];
	const char *type;

	snprintf(xpath, sizeof(xpath), M "logging/%s/type", container);
	type = cfg_get_value(tree, xpath);
	if (type != NULL) {
		st.type = strcmp(type, "uptime") == 0 ? LOG_STAMP_UPTIME :
			  strcmp(type, "none") == 0 ? LOG_STAMP_NONE :
			  LOG_STAMP_DATETIME;
		snprintf(xpath, sizeof(xpath), M "logging/%s/msec", container);
		st.msec = cfg_find(tree, xpath) != NULL;
		snprintf(xpath, sizeof(xpath), M "logging/%s/localtime",
			 container);
		st.localtime = cfg_find(tree, xpath) != NULL;
		snprintf(xpath, sizeof(xpath), M "logging/%s/show-timezone",
			 container);
		st.show_timezone = cfg_find(tree, xpath) != NULL;
	}
	log_set_timestamps(kind, &st);
}

static void
apply_hosts(const struct lyd_node *tree)
{
	struct log_host hosts[16];
	struct ly_set *set = NULL;
	size_t n = 0;
	uint32_t i;

	if (tree != NULL &&
	    lyd_find_xpath(tree, M "logging/host", &set) != LY_SUCCESS)
		set = NULL;
	for (i = 0; set != NULL && i < set->count && n < 16; i++) {
		const struct lyd_node *h = set->dnodes[i];
		struct lyd_node *leaf = NULL;
		struct log_host *out = &hosts[n++];

		memset(out, 0, sizeof(*out));
		out->port = 514;
		if (lyd_find_path(h, "address", 0, &leaf) == LY_SUCCESS)
			snprintf(out->address, sizeof(out->address), "%s",
				 lyd_get_value(leaf));
		if (lyd_find_path(h, "port", 0, &leaf) == LY_SUCCESS)
			out->port = (uint16_t)atoi(lyd_get_value(leaf));
		if (lyd_find_path(h, "format", 0, &leaf) == LY_SUCCESS &&
		    strcmp(lyd_get_value(leaf), "rfc5424") == 0)
			out->format = LOG_HOST_RFC5424;
	}
	ly_set_free(set, NULL);
	if (log_set_hosts(hosts, n) < 0)
		fprintf(stderr, "vrouter: cannot open a UDP socket for every logging host\n");
}

/* Hostname and the address of `logging source-interface`. */
static void
apply_origin(const struct lyd_node *tree)
{
	const char *ifname = cfg_get_value(tree, M "logging/source-interface");
	const char *host = cfg_get_value(tree, M "system/hostname");
	const char *addr = NULL;
	char xpath[256];

	if (ifname != NULL) {
		snprintf(xpath, sizeof(xpath),
			 M "interfaces/interface[name='%s']/ipv4/address",
			 ifname);
		addr = cfg_get_value(tree, xpath);
	}
	log_set_origin(host, ifname, addr);
}

void
log_config_apply(void *ctx, const struct lyd_node *running)
{
	const char *v;
	size_t size = LOG_DEFAULT_BUFFER_SIZE;
	unsigned rate = 0;

	(void)ctx;
	v = cfg_get_value(running, M "logging/buffered-size");
	if (v != NULL)
		size = strtoul(v, NULL, 10);
	log_set_buffer(size, level_at(running, M "logging/buffered-level",
				      LOG_SEV_DEBUGGING));
	log_set_console_level(level_at(running, M "logging/console-level",
				       LOG_SEV_DEBUGGING));
	log_set_monitor_level(level_at(running, M "logging/monitor-level",
				       LOG_SEV_DEBUGGING));
	log_set_trap_level(level_at(running, M "logging/trap-level",
				    LOG_SEV_INFORMATIONAL));
	v = cfg_get_value(running, M "logging/rate-limit");
	if (v != NULL)
		rate = (unsigned)strtoul(v, NULL, 10);
	log_set_rate_limit(rate, level_at(running,
					  M "logging/rate-limit-except",
					  LOG_SEV_OFF));
	log_set_sequence_numbers(cfg_find(running,
					  M "logging/sequence-numbers") != NULL);
	apply_stamps(running, LOG_KIND_LOG, "timestamps-log");
	apply_stamps(running, LOG_KIND_DEBUG, "timestamps-debug");
	apply_origin(running);
	apply_hosts(running);
}
