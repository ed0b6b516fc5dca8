/*
 * A main() for the harnesses in the normal build: feeds each file named
 * on the command line, or each file in a named folder, through
 * LLVMFuzzerTestOneInput() once, as libFuzzer does when it reproduces a
 * crash. This is how the saved crash inputs and the seed corpus run as
 * regression tests under gcc with ASan and UBSan.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int ret = -1;

	if (f == NULL) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0)
		goto out;
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	printf("replay: %s (%ld octets)\n", path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	ret = 0;
out:
	if (ret < 0)
		fprintf(stderr, "replay: cannot read %s\n", path);
	free(buf);
	fclose(f);
	return ret;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in DIR in name order; returns how many ran. */
static int
run_dir(const char *dir)
{
	struct dirent *de;
	char **paths = NULL;
	size_t n = 0, cap = 0;
	int ran = 0;
	DIR *d = opendir(dir);

	if (d == NULL) {
		fprintf(stderr, "replay: cannot open folder %s\n", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			paths = realloc(paths, cap * sizeof(*paths));
			if (paths == NULL)
				abort();
		}
		paths[n++] = strdup(path);
	}
	closedir(d);
	qsort(paths, n, sizeof(*paths), compare_names);
	for (size_t i = 0; i < n; i++) {
		if (run_file(paths[i]) == 0)
			ran++;
		free(paths[i]);
	}
	free(paths);
	return ran;
}

int
main(int argc, char **argv)
{
	int total = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int ran;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s not found\n", argv[i]);
			return 1;
		}
		ran = S_ISDIR(st.st_mode) ? run_dir(argv[i])
					  : run_file(argv[i]) == 0;
		if (ran < 0)
			return 1;
		total += ran;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no input files\n");
		return 1;
	}
	printf("replay: %d inputs ran without a crash\n", total);
	return 0;
}
