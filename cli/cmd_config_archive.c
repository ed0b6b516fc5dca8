/*
 * The configuration archive, as IOS's `archive` keeps it: numbered
 * copies of the running config named PATH-1, PATH-2, ... saved by
 * `archive config` and, with `write-memory`, by every `write memory`.
 * Only the newest `maximum` files are kept, and `configure replace`
 * rolls back to any of them.
 *
 * The list is read from the folder each time, so it survives restarts.
 * NOTE: IOS also expands $h (hostname) and $t (time) in the path and
 * offers `time-period`; neither is modelled.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"
#include "core/cfg_file.h"
#include "core/config.h"
#include "core/router.h"

#define ARCHIVE_X CC_M "archive"
#define ARCHIVE_MAX_DEFAULT 10
/* Archive files listed at most; `maximum` is at most 14. */
#define ARCHIVE_SCAN_MAX 256

struct archive {
	char url[256];		/* the path as configured */
	char base[PATH_MAX];	/* the path as a file name */
	unsigned maximum;
	bool on_write;
	unsigned numbers[ARCHIVE_SCAN_MAX];	/* ascending */
	size_t count;
};

int
cc_flash_path(const struct router *r, const char *file, char *out, size_t len)
{
	char copy[PATH_MAX];
	const char *name, *dir = ".";

	if (strncmp(file, "flash:", 6) == 0)
		name = file + 6;
	else if (strncmp(file, "bootflash:", 10) == 0)
		name = file + 10;
	else
		return snprintf(out, len, "%s", file) < (int)len ? 0 : -1;
	if (r->startup_config_path != NULL) {
		snprintf(copy, sizeof(copy), "%s", r->startup_config_path);
		dir = dirname(copy);
	}
	return snprintf(out, len, "%s/%s", dir, name) < (int)len ? 0 : -1;
}

static int
compare_numbers(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* Lists the archive files PATH-N beside A->base into A->numbers. */
static void
scan(struct archive *a)
{
	char copy[PATH_MAX], dir[PATH_MAX], prefix[NAME_MAX + 2];
	struct dirent *de;
	size_t plen;
	DIR *d;

	snprintf(copy, sizeof(copy), "%s", a->base);
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	snprintf(copy, sizeof(copy), "%s", a->base);
	snprintf(prefix, sizeof(prefix), "%s-", basename(copy));
	plen = strlen(prefix);
	a->count = 0;
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && a->count < ARCHIVE_SCAN_MAX) {
		const char *num = de->d_name + plen;
		char *end;
		unsigned long n;

		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    num[0] < '1' || num[0] > '9')
			continue;
		n = strtoul(num, &end, 10);
		if (*end == '\0' && n < 1000000)
			a->numbers[a->count++] = (unsigned)n;
	}
	closedir(d);
	qsort(a->numbers, a->count, sizeof(a->numbers[0]), compare_numbers);
}

/* Reads the archive settings; false when no path is configured. */
static bool
load(struct router *r, struct archive *a)
{
	const struct lyd_node *tree = cfg_read_lock(r->cfg);
	const char *url = cfg_get_value(tree, ARCHIVE_X "/path");
	const char *max = cfg_get_value(tree, ARCHIVE_X "/maximum");
	bool ok = url != NULL;

	memset(a, 0, sizeof(*a));
	if (ok) {
		snprintf(a->url, sizeof(a->url), "%s", url);
		a->maximum = max ? (unsigned)atoi(max) : ARCHIVE_MAX_DEFAULT;
		a->on_write = cfg_find(tree, ARCHIVE_X "/write-memory") != NULL;
	}
	cfg_read_unlock(r->cfg);
	if (ok && cc_flash_path(r, a->url, a->base, sizeof(a->base)) < 0)
		ok = false;
	if (ok)
		scan(a);
	return ok;
}

static unsigned
next_number(const struct archive *a)
{
	return a->count ? a->numbers[a->count - 1] + 1 : 1;
}

/*
 * Saves TEXT as the next archive file, then deletes the oldest files
 * beyond the maximum. Returns 0, or -1 with a message in the session.
 */
static int
save(struct vty *vty, struct archive *a, const char *text)
{
	char path[PATH_MAX + 16], err[512];
	unsigned n = next_number(a);

	snprintf(path, sizeof(path), "%s-%u", a->base, n);
	if (cfg_file_save(path, text, strlen(text), err, sizeof(err)) < 0) {
		vty_out(vty, "%% Archive not saved: %s\n", err);
		return -1;
	}
	if (a->count < ARCHIVE_SCAN_MAX)
		a->numbers[a->count++] = n;
	while (a->count > a->maximum) {
		snprintf(path, sizeof(path), "%s-%u", a->base, a->numbers[0]);
		if (unlink(path) < 0)
			vty_out(vty, "%% Cannot delete old archive %s\n", path);
		memmove(a->numbers, a->numbers + 1,
			(a->count - 1) * sizeof(a->numbers[0]));
		a->count--;
	}
	return 0;
}

int
cc_archive_on_write(struct vty *vty, const char *text)
{
	struct archive a;

	if (!load(vty->router, &a) || !a.on_write)
		return 0;
	return save(vty, &a, text);
}

static enum cmd_result
archive_config(struct vty *vty, const struct cmd_args *args)
{
	struct archive a;
	char *text;
	int rc;

	(void)args;
	if (!load(vty->router, &a)) {
		vty_out(vty, "%% Archive path not specified. Use 'path' under "
			"'archive' to configure it\n");
		return CMD_WARNING;
	}
	text = cfg_render_ios(vty->router->cfg);
	if (text == NULL) {
		vty_out(vty, "%% Out of memory\n");
		return CMD_ERROR;
	}
	rc = save(vty, &a, text);
	cfg_text_free(text);
	return rc < 0 ? CMD_ERROR : CMD_SUCCESS;
}

static enum cmd_result
show_archive(struct vty *vty, const struct cmd_args *args)
{
	struct archive a;

	(void)args;
	if (!load(vty->router, &a)) {
		vty_out(vty, "Archive feature not enabled\n");
		return CMD_SUCCESS;
	}
	vty_out(vty, "The maximum archive configurations allowed is %u.\n",
		a.maximum);
	vty_out(vty, "There are currently %zu archive configurations saved.\n",
		a.count);
	vty_out(vty, "The next archive file will be named %s-%u\n", a.url,
		next_number(&a));
	vty_out(vty, " Archive #  Name\n");
	for (unsigned i = 0; i < a.maximum; i++) {
		if (i < a.count)
			vty_out(vty, "  %2u        %s-%u%s\n", i + 1, a.url,
				a.numbers[i],
				i + 1 == a.count ? " <- Most Recent" : "");
		else
			vty_out(vty, "  %2u\n", i + 1);
	}
	return CMD_SUCCESS;
}

static enum cmd_result
enter_archive(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	vty_enter_mode(vty, MODE_CONFIG_ARCHIVE, ARCHIVE_X);
	return CMD_SUCCESS;
}

static enum cmd_result
no_archive(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	(void)args;
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, ARCHIVE_X);
	return cc_commit(&t);
}

static enum cmd_result
set_path(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "path", cmd_arg(args, "url"));
}

static enum cmd_result
no_path(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "path");
}

static enum cmd_result
set_maximum(struct vty *vty, const struct cmd_args *args)
{
	return cc_set_here(vty, "maximum", cmd_arg(args, "n"));
}

static enum cmd_result
no_maximum(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "maximum");
}

static enum cmd_result
set_write_memory(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_set_here(vty, "write-memory", NULL);
}

static enum cmd_result
no_write_memory(struct vty *vty, const struct cmd_args *args)
{
	(void)args;
	return cc_del_here(vty, "write-memory");
}

static const struct cmd_def config_defs[] = {
	{ "archive", "Archive the configuration", enter_archive, 0, 0 },
	{ "no archive", "Negate a command or set its defaults\n"
	  "Archive the configuration", no_archive, 0, 0 },
};

static const struct cmd_def archive_defs[] = {
	{ "path WORD$url", "path for backups\nURL of the archive files, "
	  "e.g. flash:archive-config", set_path, 0, 0 },
	{ "no path [WORD]", "Negate a command or set its defaults\n"
	  "path for backups\nURL of the archive files", no_path, 0, 0 },
	{ "maximum <1-14>$n", "maximum number of backup copies\n"
	  "maximum number of backup copies", set_maximum, 0, 0 },
	{ "no maximum [<1-14>]", "Negate a command or set its defaults\n"
	  "maximum number of backup copies\nmaximum number of backup copies",
	  no_maximum, 0, 0 },
	{ "write-memory", "Enable automatic backup generation during "
	  "write memory", set_write_memory, 0, 0 },
	{ "no write-memory", "Negate a command or set its defaults\n"
	  "Enable automatic backup generation during write memory",
	  no_write_memory, 0, 0 },
};

static const struct cmd_def exec_defs[] = {
	{ "show archive", "Show running system information\n"
	  "Archive functions", show_archive, 0, 15 },
	{ "archive config", "manage archive files\n"
	  "perform rollback confirmation", archive_config, 0, 15 },
};

void
cc_install_archive(void)
{
	CC_INSTALL(MODE_CONFIG, config_defs);
	CC_INSTALL(MODE_CONFIG_ARCHIVE, archive_defs);
	CC_INSTALL(MODE_PRIV_EXEC, exec_defs);
}
