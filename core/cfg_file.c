#include "core/cfg_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Flushes the directory entry of a rename to disk. */
static int
fsync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

/*
 * Deletes the temporary files PATH.tmpXXXXXX that saves cut short by a
 * crash or a kill left behind. Only files untouched for STALE_SEC are
 * deleted, so that a save running at the same time keeps its own.
 */
#define STALE_SEC 60

static void
remove_stale(const char *path)
{
	char copy[PATH_MAX], dir[PATH_MAX], prefix[NAME_MAX + 1];
	char name[PATH_MAX + NAME_MAX + 2];
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	size_t plen;
	DIR *d;

	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(prefix, sizeof(prefix), "%s.tmp", basename(copy));
	plen = strlen(prefix);
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    strlen(de->d_name) != plen + 6)
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
		if (lstat(name, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime >= STALE_SEC)
			unlink(name);
	}
	closedir(d);
}

int
cfg_file_save(const char *path, const char *text, size_t len,
	      char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	const char *step = "create";
	int fd = -1, ret = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	step = "write";
	if (write_all(fd, text, len) < 0)
		goto out;
	step = "sync";
	if (fsync(fd) < 0)
		goto out;
	step = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	step = "rename";
	if (rename(tmp, path) < 0)
		goto out;
	tmp[0] = '\0';
	step = "sync directory of";
	if (fsync_dir(path) < 0)
		goto out;
	remove_stale(path);
	ret = 0;
out:
	if (ret < 0) {
		int saved = errno;

		snprintf(err, errlen, "cannot %s %s: %s", step, path,
			 strerror(saved));
		if (fd >= 0)
			close(fd);
		if (tmp[0] && strcmp(step, "create"))
			unlink(tmp);
		errno = saved;
	}
	return ret;
}

char *
cfg_file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	/*
	 * A config may hold secrets: no stdio buffer, and blocks that the
	 * buffer grows out of are cleansed.
	 */
	setvbuf(f, NULL, _IONBF, 0);
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *nbuf = OPENSSL_clear_realloc(buf, cap,
							   cap + 65536);

			if (!nbuf) {
				OPENSSL_clear_free(buf, cap);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nbuf;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		OPENSSL_clear_free(buf, cap);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}
