/*
 * The lab topology file and the fault filter expressions: lab_parse()
 * on the input as a file, and lab_match_parse() on each of its lines
 * with the match tried against the input as a frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lab.h"
#include "fuzz_common.h"

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/vr-fuzz-lab-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	return 0;
}

static void
match_lines(char *text, const uint8_t *frame, size_t size)
{
	char *line, *save = NULL, err[256];
	struct lab_match m;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (lab_match_parse(&m, line, err, sizeof(err)) == 0)
			(void)lab_match_frame(&m, frame, size);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lab lab;
	char err[256], *text;
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	memset(&lab, 0, sizeof(lab));
	/* lab_free() also releases what a failed parse had allocated. */
	(void)lab_parse(&lab, path, err, sizeof(err));
	lab_free(&lab);
	text = fz_strndup(data, size);
	match_lines(text, data, size);
	free(text);
	return 0;
}
