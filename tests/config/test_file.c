/* Atomic save and read of the startup-config file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/cfg_file.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vr-cfgfile-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/startup-config", dir);
}

static void
teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(file, .init = setup, .fini = teardown);

static int
count_entries(void)
{
	char cmd[160];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

Test(file, save_then_read_back)
{
	char err[256] = "";
	size_t len = 0;
	char *text;

	cr_assert_eq(cfg_file_save(path, "hostname A\n", 11, err, sizeof(err)),
		     0, "%s", err);
	text = cfg_file_read(path, &len);
	cr_assert_not_null(text);
	cr_assert_eq(len, 11);
	cr_assert_str_eq(text, "hostname A\n");
	free(text);
	cr_assert_eq(count_entries(), 1, "temporary file left behind");
}

Test(file, failed_write_keeps_old_file)
{
	struct rlimit old, lim;
	char err[256] = "";
	char big[8192];
	size_t len = 0;
	char *text;

	cr_assert_eq(cfg_file_save(path, "hostname OLD\n", 13, err,
				   sizeof(err)), 0, "%s", err);

	/* A file size limit makes the write of the new content fail. */
	memset(big, 'x', sizeof(big));
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	cr_assert_neq(cfg_file_save(path, big, sizeof(big), err, sizeof(err)),
		      0);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_not_null(strstr(err, "cannot write"), "error: %s", err);

	text = cfg_file_read(path, &len);
	cr_assert_not_null(text);
	cr_assert_str_eq(text, "hostname OLD\n");
	free(text);
	cr_assert_eq(count_entries(), 1, "temporary file left behind");
}

Test(file, missing_directory_reported)
{
	char bad[160], err[256] = "";

	snprintf(bad, sizeof(bad), "%s/nodir/startup-config", dir);
	cr_assert_neq(cfg_file_save(bad, "x\n", 2, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "nodir"), "error: %s", err);
}

Test(file, read_missing_file_fails)
{
	size_t len;
	char bad[160];

	snprintf(bad, sizeof(bad), "%s/absent", dir);
	cr_assert_null(cfg_file_read(bad, &len));
	cr_assert_eq(errno, ENOENT);
}
