/*
 * Configuration files in privileged EXEC: copy FILE running-config (IOS
 * text, JSON or XML, merged, with a report line per rejected line) and
 * configure replace FILE (the running config becomes the file's, and
 * the difference is listed as `show archive config differences` does).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/config_load.h"
#include "cli/vty.h"
#include "core/cfg_file.h"
#include "core/config.h"
#include "core/router.h"

/* Runs config_load_file() and copies its report into the session. */
static int
load_reporting(struct vty *vty, struct router *r, const char *path)
{
	char *report = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&report, &len);
	int rejected;

	if (!rep) {
		vty_out(vty, "%% Out of memory\n");
		return -1;
	}
	rejected = config_load_file(r, path, rep);
	fclose(rep);
	if (len)
		vty_write_raw(vty, report, len);
	free(report);
	return rejected;
}

static enum cmd_result
copy_file_running(struct vty *vty, const struct cmd_args *args)
{
	const char *path = cmd_arg(args, "file");
	char reply[128], file[PATH_MAX];
	int rejected;

	if (!strcmp(path, "startup-config") || !strcmp(path, "nvram:"))
		path = vty->router->startup_config_path;
	if (!path) {
		vty_out(vty, "%% No startup-config file is configured\n");
		return CMD_WARNING;
	}

	if (vty_ask(vty, "Destination filename [running-config]? ", reply,
		    sizeof(reply)) < 0)
		return CMD_ERROR;
	if (reply[0] && strcmp(reply, "running-config")) {
		vty_out(vty, "%% Only running-config can be the destination\n");
		return CMD_WARNING;
	}
	if (cc_flash_path(vty->router, path, file, sizeof(file)) < 0) {
		vty_out(vty, "%% File name too long: %s\n", path);
		return CMD_WARNING;
	}
	rejected = load_reporting(vty, vty->router, file);
	if (rejected < 0)
		return CMD_ERROR;
	vty_out(vty, "%d line%s rejected\n", rejected, rejected == 1 ? "" : "s");
	return CMD_SUCCESS;
}

/* A top-level line of a render and the indented lines under it. */
struct block {
	const char *head;
	const char **lines;
	size_t n;
};

struct blocks {
	struct block *v;
	size_t n;
	const char **all;	/* storage of every block's lines */
};

/* Splits TEXT (modified in place) into blocks; "!" and "end" are dropped. */
static int
split_blocks(char *text, struct blocks *b)
{
	size_t lines = 1, used = 0;
	char *p, *save = NULL, *line;

	memset(b, 0, sizeof(*b));
	for (p = text; *p; p++)
		lines += *p == '\n';
	b->v = calloc(lines, sizeof(*b->v));
	b->all = calloc(lines, sizeof(*b->all));
	if (!b->v || !b->all)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *t = line + strspn(line, " ");

		if (*t == '!' || !*t || !strcmp(line, "end"))
			continue;
		if (line[0] != ' ' || b->n == 0) {
			b->v[b->n].head = line;
			b->v[b->n].lines = b->all + used;
			b->n++;
			continue;
		}
		b->v[b->n - 1].n++;
		b->all[used++] = line;
	}
	return 0;
}

static void
blocks_free(struct blocks *b)
{
	free(b->v);
	free(b->all);
}

static const struct block *
find_block(const struct blocks *b, const char *head)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].head, head))
			return &b->v[i];
	return NULL;
}

static bool
has_line(const struct block *blk, const char *line)
{
	size_t i;

	for (i = 0; blk && i < blk->n; i++)
		if (!strcmp(blk->lines[i], line))
			return true;
	return false;
}

/*
 * Prints the lines of FROM's blocks that TO lacks, with SIGN: a whole
 * block as "+head" and " +line", a changed block as "head" and " +line".
 * Returns the number of lines printed.
 */
static unsigned
print_side(struct vty *vty, const struct blocks *from, const struct blocks *to,
	   char sign)
{
	unsigned count = 0;
	size_t i, j;

	for (i = 0; i < from->n; i++) {
		const struct block *blk = &from->v[i];
		const struct block *other = find_block(to, blk->head);
		bool head_done = false;

		if (!other) {
			vty_out(vty, "%c%s\n", sign, blk->head);
			head_done = true;
			count++;
		}
		for (j = 0; j < blk->n; j++) {
			if (has_line(other, blk->lines[j]))
				continue;
			if (!head_done) {
				vty_out(vty, "%s\n", blk->head);
				head_done = true;
			}
			vty_out(vty, "%.*s%c%s\n",
				(int)strspn(blk->lines[j], " "), blk->lines[j],
				sign, blk->lines[j] +
				strspn(blk->lines[j], " "));
			count++;
		}
	}
	return count;
}

static enum cmd_result
configure_replace(struct vty *vty, const struct cmd_args *args)
{
	const char *path = cmd_arg(args, "file");
	struct router target = { 0 };
	struct blocks before = { 0 }, after = { 0 };
	char reply[16], err[256], file[PATH_MAX];
	char *old_text = NULL, *new_text = NULL;
	enum cmd_result ret = CMD_ERROR;
	int rejected;
	unsigned changes;

	if (!cmd_has(args, "force")) {
		if (vty_ask(vty, "This will apply all necessary additions and "
			    "deletions\nto replace the current running "
			    "configuration with the\ncontents of the specified "
			    "configuration file, which is\nassumed to be a "
			    "complete configuration, not a partial\n"
			    "configuration. Enter Y if you are sure you want "
			    "to proceed. ? [no]: ", reply, sizeof(reply)) < 0)
			return CMD_ERROR;
		if (reply[0] != 'y' && reply[0] != 'Y')
			return CMD_SUCCESS;
	}
	/* The file is loaded into a store of its own, then swapped in. */
	target.cfg = cfg_create(VR_YANG_DIR);
	if (!target.cfg) {
		vty_out(vty, "%% Cannot create a configuration store\n");
		return CMD_ERROR;
	}
	if (cc_flash_path(vty->router, path, file, sizeof(file)) < 0) {
		vty_out(vty, "%% File name too long: %s\n", path);
		goto out;
	}
	rejected = load_reporting(vty, &target, file);
	if (rejected < 0)
		goto out;
	old_text = cfg_render_ios(vty->router->cfg);
	new_text = cfg_render_ios(target.cfg);
	if (!old_text || !new_text) {
		vty_out(vty, "%% Out of memory\n");
		goto out;
	}
	if (cfg_replace_from(vty->router->cfg, target.cfg, err,
			     sizeof(err)) < 0) {
		vty_out(vty, "%% Rollback failed: %s\n", err);
		goto out;
	}
	if (split_blocks(old_text, &before) == 0 &&
	    split_blocks(new_text, &after) == 0) {
		vty_out(vty, "!Contextual Config Diffs:\n");
		changes = print_side(vty, &after, &before, '+');
		changes += print_side(vty, &before, &after, '-');
		vty_out(vty, "\nTotal number of passes: 1\n"
			"Rollback Done\n");
		if (changes == 0)
			vty_out(vty, "%% No changes\n");
	}
	blocks_free(&before);
	blocks_free(&after);
	ret = rejected ? CMD_WARNING : CMD_SUCCESS;
out:
	cfg_text_free(old_text);
	cfg_text_free(new_text);
	cfg_destroy(target.cfg);
	return ret;
}

/* show running-config interface NAME: that interface's block only. */
static enum cmd_result
show_run_interface(struct vty *vty, const struct cmd_args *args)
{
	char name[64], head[80];
	char *text, *start, *end;
	size_t len;

	if (!cc_ifname(cmd_arg(args, "type"), cmd_arg(args, "number"), name,
		       sizeof(name))) {
		cc_invalid_input(vty, cc_column(args, 3, 0));
		return CMD_WARNING;
	}
	text = cfg_render_ios(vty->router->cfg);
	if (!text) {
		vty_out(vty, "%% Out of memory\n");
		return CMD_ERROR;
	}
	snprintf(head, sizeof(head), "\ninterface %s", name);
	len = strlen(head);
	for (start = strstr(text, head); start;
	     start = strstr(start + 1, head))
		if (start[len] == '\n' || start[len] == ' ')
			break;
	if (!start) {
		cfg_text_free(text);
		cc_invalid_interface(vty, args, 3,
				     cmd_arg(args, "number") != NULL);
		return CMD_WARNING;
	}
	start++;
	end = strstr(start, "\n!\n");
	len = end ? (size_t)(end - start) + 1 : strlen(start);
	vty_out(vty, "Building configuration...\n\n"
		"Current configuration : %zu bytes\n!\n%.*send\n\n", len,
		(int)len, start);
	cfg_text_free(text);
	return CMD_SUCCESS;
}

static const struct cmd_def defs[] = {
	{ "show running-config interface WORD$type [WORD$number]",
	  "Show running system information\nCurrent operating "
	  "configuration\nShow interface configuration\nInterface type and "
	  "number\nInterface number", show_run_interface, 0, 15 },
	{ "copy WORD$file running-config", "Copy from one file to another\n"
	  "Source file (IOS text, JSON or XML)\nUpdate (merge with) current "
	  "system configuration", copy_file_running, 0, 15 },
	{ "configure replace WORD$file [force$force]",
	  "Enter configuration mode\nReplace the running-config with a new "
	  "config file\nConfiguration file (IOS text, JSON or XML)\n"
	  "Replace without asking", configure_replace, 0, 15 },
};

void
cc_install_copy(void)
{
	CC_INSTALL(MODE_PRIV_EXEC, defs);
}
