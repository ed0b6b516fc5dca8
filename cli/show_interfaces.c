/*
 * `show ip interface brief`, rendered from the running config. Packet
 * counters and line state come with the forwarding work; until then an
 * interface is up unless it is shut down.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"

struct if_row {
	char name[64];
	char address[16];
	bool shutdown;
};

/*
 * Orders interface names as IOS lists them: by type, then by each number
 * in the name compared numerically (GigabitEthernet2 before ...10).
 */
static int
compare_if_names(const void *a, const void *b)
{
	const char *x = ((const struct if_row *)a)->name;
	const char *y = ((const struct if_row *)b)->name;

	while (*x != '\0' && *y != '\0') {
		if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
			size_t lx = strspn(x, "0123456789");
			size_t ly = strspn(y, "0123456789");
			unsigned long nx = strtoul(x, NULL, 10);
			unsigned long ny = strtoul(y, NULL, 10);

			if (nx != ny)
				return nx < ny ? -1 : 1;
			x += lx;
			y += ly;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
		x++;
		y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

static size_t
collect_interfaces(struct cfg *cfg, struct if_row **rows_out)
{
	const struct lyd_node *tree = cfg_read_lock(cfg);
	struct ly_set *set = NULL;
	struct if_row *rows = NULL;
	size_t n = 0;

	if (tree != NULL &&
	    lyd_find_xpath(tree, "/vrouter-config:interfaces/interface",
			   &set) == LY_SUCCESS && set->count > 0) {
		rows = calloc(set->count, sizeof(*rows));
		for (uint32_t i = 0; rows != NULL && i < set->count; i++) {
			const struct lyd_node *ifn = set->dnodes[i];
			const char *name = cfg_get_value(ifn, "name");
			const char *addr = cfg_get_value(ifn, "ipv4/address");

			snprintf(rows[n].name, sizeof(rows[n].name), "%s",
				 name != NULL ? name : "?");
			snprintf(rows[n].address, sizeof(rows[n].address), "%s",
				 addr != NULL ? addr : "unassigned");
			rows[n].shutdown = cfg_get_value(ifn, "shutdown") != NULL;
			n++;
		}
	}
	ly_set_free(set, NULL);
	cfg_read_unlock(cfg);

	if (n > 1)
		qsort(rows, n, sizeof(*rows), compare_if_names);
	*rows_out = rows;
	return n;
}

static enum cmd_result
show_ip_interface_brief(struct vty *vty, const struct cmd_args *args)
{
	struct if_row *rows = NULL;
	size_t n;

	(void)args;
	vty_out(vty, "%-27s%-16s%-4s%-7s%-22s%s\n", "Interface", "IP-Address",
		"OK?", "Method", "Status", "Protocol");
	if (vty->router == NULL || vty->router->cfg == NULL)
		return CMD_SUCCESS;

	n = collect_interfaces(vty->router->cfg, &rows);
	for (size_t i = 0; i < n; i++) {
		const struct if_row *r = &rows[i];

		vty_out(vty, "%-27s%-16s%-4s%-7s%-22s%s\n", r->name,
			r->address, "YES",
			strcmp(r->address, "unassigned") == 0 ? "unset" : "manual",
			r->shutdown ? "administratively down" : "up",
			r->shutdown ? "down" : "up");
	}
	free(rows);
	return CMD_SUCCESS;
}

static const struct cmd_def show_ip_interface_brief_def = {
	.syntax = "show ip interface brief",
	.help = "Show running system information\n"
		"IP information\n"
		"IP interface status and configuration\n"
		"Brief summary of IP status and configuration",
	.fn = show_ip_interface_brief,
	.privilege = 1,
};

void
cmd_show_interfaces_install(void)
{
	cmd_install(MODE_USER_EXEC, &show_ip_interface_brief_def);
}
