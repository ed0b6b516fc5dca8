#include "core/log.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads docs/syslog-messages.md from the source tree. */
static char *
read_doc(void)
{
	const char *src = getenv("VR_SOURCE_DIR");
	char path[4096];
	char *text;
	FILE *f;
	long size;

	cr_assert_not_null(src, "VR_SOURCE_DIR is not set; run through ctest");
	snprintf(path, sizeof(path), "%s/docs/syslog-messages.md", src);
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return text;
}

Test(log_catalogue, every_id_has_a_full_row)
{
	int id;

	for (id = 0; id < LOGMSG_COUNT; id++) {
		const struct log_catalogue_entry *e = log_catalogue(id);

		cr_assert_not_null(e, "id %d", id);
		cr_assert_not_null(e->facility, "id %d", id);
		cr_assert_not_null(e->mnemonic, "id %d", id);
		cr_assert_not_null(e->text, "id %d", id);
		cr_assert_not_null(e->explanation, "id %d", id);
		cr_assert_not_null(e->action, "id %d", id);
		cr_assert(e->severity >= LOG_SEV_EMERGENCIES &&
			  e->severity <= LOG_SEV_DEBUGGING, "id %d", id);
	}
	cr_assert_null(log_catalogue(LOGMSG_COUNT));
}

Test(log_catalogue, mnemonics_are_unique)
{
	int a, b;

	for (a = 0; a < LOGMSG_COUNT; a++)
		for (b = a + 1; b < LOGMSG_COUNT; b++)
			cr_assert(strcmp(log_catalogue(a)->facility,
					 log_catalogue(b)->facility) != 0 ||
				  strcmp(log_catalogue(a)->mnemonic,
					 log_catalogue(b)->mnemonic) != 0,
				  "ids %d and %d share a mnemonic", a, b);
}

Test(log_catalogue, doc_lists_every_message)
{
	char *doc = read_doc();
	char heading[128];
	int id;

	for (id = 0; id < LOGMSG_COUNT; id++) {
		const struct log_catalogue_entry *e = log_catalogue(id);

		snprintf(heading, sizeof(heading), "## %%%s-%d-%s\n",
			 e->facility, (int)e->severity, e->mnemonic);
		cr_expect_not_null(strstr(doc, heading),
				   "docs/syslog-messages.md lacks %s", heading);
		cr_expect_not_null(strstr(doc, e->explanation),
				   "docs/syslog-messages.md lacks the explanation of %s",
				   e->mnemonic);
		cr_expect_not_null(strstr(doc, e->action),
				   "docs/syslog-messages.md lacks the action of %s",
				   e->mnemonic);
	}
	free(doc);
}
