/*
 * IOS type 7 encoding: a two-digit seed (0-15) followed by each octet of
 * the text XORed with a fixed key string from that seed on, in hex. It
 * is obfuscation, not encryption: anyone can decode it, and IOS uses it
 * only to keep passwords off a casual reader's screen.
 */
#include "core/cfg_render.h"
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>
#include <openssl/crypto.h>

static const char xlat[] =
	"dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87";

int
cfg_type7_encode(const char *clear, unsigned seed, char *out, size_t len)
{
	size_t i, n = strlen(clear);

	if (seed > 15 || len < 2 * n + 3)
		return -1;
	snprintf(out, len, "%02u", seed);
	for (i = 0; i < n; i++)
		snprintf(out + 2 + 2 * i, 3, "%02X",
			 (unsigned char)clear[i] ^
			 (unsigned char)xlat[(seed + i) % (sizeof(xlat) - 1)]);
	return 0;
}

/* The value of the hex digit C, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
cfg_type7_decode(const char *text, char *out, size_t len)
{
	size_t i, tlen = strlen(text), n;
	unsigned seed;
	int hi, lo;
	char c;

	/* Two decimal digits of seed, then whole hex octets. */
	if (tlen < 2 || tlen % 2 != 0 || text[0] < '0' || text[0] > '9' ||
	    text[1] < '0' || text[1] > '9')
		return -1;
	seed = (unsigned)(text[0] - '0') * 10 + (unsigned)(text[1] - '0');
	n = (tlen - 2) / 2;
	if (seed > 15 || n + 1 > len)
		return -1;
	for (i = 0; i < n; i++) {
		hi = hex_value(text[2 + 2 * i]);
		lo = hex_value(text[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			goto invalid;
		c = (char)((hi << 4 | lo) ^
			   (unsigned char)xlat[(seed + i) % (sizeof(xlat) - 1)]);
		/* A control character cannot have been typed as a password. */
		if ((unsigned char)c < 0x20 || c == 0x7f)
			goto invalid;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
invalid:
	memset(out, 0, i);
	return -1;
}

unsigned
cfg_type7_seed(const char *clear)
{
	unsigned sum = 0;

	/* A seed fixed by the text keeps `show running-config` stable. */
	for (; *clear != '\0'; clear++)
		sum += (unsigned char)*clear;
	return sum % 16;
}

void
cfg_print_key(FILE *f, const struct lyd_node *node, const char *key)
{
	struct lyd_node *flag = NULL;
	size_t len = 2 * strlen(key) + 3;
	char *text;

	if (lyd_find_path(node, "/vrouter-access:access/password-encryption",
			  0, &flag) != LY_SUCCESS || flag == NULL) {
		fprintf(f, "%s", key);
		return;
	}
	/* cfg_secret_reveal() turns the marker into type 7 text. */
	if (cfg_secret_is_sealed(key)) {
		fprintf(f, "7 $vr7$%s", key + strlen("$vrs$"));
		return;
	}
	text = malloc(len);
	if (text != NULL &&
	    cfg_type7_encode(key, cfg_type7_seed(key), text, len) == 0)
		fprintf(f, "7 %s", text);
	else
		fprintf(f, "7 <out of memory>");
	free(text);
}

void
cfg_print_type7_clear(FILE *f, const char *text)
{
	char clear[CFG_SECRET_MAX + 1];

	/* cfg_secret_reveal() decodes the sealed type 7 text. */
	if (cfg_secret_is_sealed(text)) {
		fprintf(f, "$vr0$%s", text + strlen("$vrs$"));
		return;
	}
	if (cfg_type7_decode(text, clear, sizeof(clear)) == 0)
		fprintf(f, "%s", clear);
	else
		fprintf(f, "<invalid type 7 text>");
	OPENSSL_cleanse(clear, sizeof(clear));
}
