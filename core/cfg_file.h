/*
 * The startup-config file: read whole, and replaced atomically so that a
 * crash or a failed write during `write memory` leaves the previous file
 * in place.
 */
#ifndef VR_CORE_CFG_FILE_H
#define VR_CORE_CFG_FILE_H

#include <stddef.h>

/*
 * Writes LEN bytes of TEXT to PATH through a temporary file in the same
 * directory (write, fsync, rename, fsync of the directory). Returns 0, or
 * -1 with a reason in ERR; PATH is then unchanged. A successful save also
 * deletes the temporary files of earlier saves that a kill cut short,
 * once they are a minute old.
 */
int cfg_file_save(const char *path, const char *text, size_t len,
		  char *err, size_t errlen);

/*
 * Reads the whole file at PATH into a malloc'd, NUL-terminated buffer and
 * stores its length in LEN. Returns NULL with errno set on failure. The
 * file may hold secrets: free the buffer with cfg_text_free().
 */
char *cfg_file_read(const char *path, size_t *len);

#endif
