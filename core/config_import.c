/*
 * Sealing the secrets of a JSON or XML config text before libyang parses
 * it. libyang's parser would otherwise store each plaintext in its
 * dictionary and in the union type's copy of the original value, and
 * free both without clearing them.
 *
 * The scanners find the string values of secret leaves by the path of
 * member or element names from the top (module prefixes dropped), as the
 * schema names them. They check only as much syntax as finding those
 * values needs; libyang then parses the rewritten text in full.
 */
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>
#include <openssl/crypto.h>

#define NAME_PATH_MAX 512
#define NESTING_MAX 64

/* A secret value in the text: [start, end) is replaced by SEALED. */
struct span {
	size_t start, end;
	char *sealed;
};

struct scan {
	const char *text;
	size_t pos;
	char **secrets;		/* name paths of the secret leaves */
	size_t nsecrets;
	char path[NAME_PATH_MAX];
	size_t path_len;
	int depth;		/* names in PATH */
	int nest;		/* open JSON objects and arrays */
	struct span *spans;
	size_t nspans;
};

int
cfg_secret_paths(const struct ly_ctx *ctx, char ***paths, size_t *count)
{
	const struct lys_module *mod;
	const struct lysc_node *top, *n, *up;
	uint32_t idx = 0;

	*paths = NULL;
	*count = 0;
	while ((mod = ly_ctx_get_module_iter(ctx, &idx)) != NULL) {
		if (!mod->implemented || strncmp(mod->name, "vrouter-", 8))
			continue;
		LY_LIST_FOR(mod->compiled->data, top) {
			LYSC_TREE_DFS_BEGIN(top, n) {
				char path[NAME_PATH_MAX] = "", tmp[NAME_PATH_MAX];
				char **v;

				if (!cfg_schema_is_secret(n))
					goto next;
				for (up = n; up; up = lysc_data_parent(up)) {
					snprintf(tmp, sizeof(tmp), "%s%s%s",
						 up->name, path[0] ? "/" : "",
						 path);
					memcpy(path, tmp, sizeof(path));
				}
				v = realloc(*paths, (*count + 1) * sizeof(*v));
				if (!v)
					goto fail;
				*paths = v;
				v[*count] = strdup(path);
				if (!v[*count])
					goto fail;
				(*count)++;
next:
				LYSC_TREE_DFS_END(top, n);
			}
		}
	}
	return 0;
fail:
	cfg_secret_paths_free(*paths, *count);
	*paths = NULL;
	*count = 0;
	return -1;
}

void
cfg_secret_paths_free(char **paths, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
}

/* Appends NAME (LEN bytes, "module:" prefix dropped) to the path. */
static int
push_name(struct scan *sc, const char *name, size_t len)
{
	const char *colon = memchr(name, ':', len);

	if (colon) {
		len -= (size_t)(colon + 1 - name);
		name = colon + 1;
	}
	if (sc->depth >= NESTING_MAX ||
	    sc->path_len + len + 2 > sizeof(sc->path))
		return -1;
	if (sc->path_len)
		sc->path[sc->path_len++] = '/';
	memcpy(sc->path + sc->path_len, name, len);
	sc->path_len += len;
	sc->path[sc->path_len] = '\0';
	sc->depth++;
	return 0;
}

static void
pop_name(struct scan *sc)
{
	char *slash = strrchr(sc->path, '/');

	sc->path_len = slash ? (size_t)(slash - sc->path) : 0;
	sc->path[sc->path_len] = '\0';
	sc->depth--;
}

static bool
at_secret(const struct scan *sc)
{
	for (size_t i = 0; i < sc->nsecrets; i++)
		if (!strcmp(sc->path, sc->secrets[i]))
			return true;
	return false;
}

/*
 * Records [START, END) to be replaced by the sealed PLAIN (LEN bytes)
 * between two QUOTE strings.
 */
static int
add_span(struct scan *sc, size_t start, size_t end, const char *plain,
	 size_t len, const char *quote)
{
	struct span *v = realloc(sc->spans, (sc->nspans + 1) * sizeof(*v));
	char *sealed;
	size_t size;

	if (!v)
		return -1;
	sc->spans = v;
	sealed = cfg_secret_seal(plain, len);
	if (!sealed)
		return -1;
	size = strlen(sealed) + 2 * strlen(quote) + 1;
	v[sc->nspans].sealed = malloc(size);
	if (!v[sc->nspans].sealed) {
		free(sealed);
		return -1;
	}
	snprintf(v[sc->nspans].sealed, size, "%s%s%s", quote, sealed, quote);
	free(sealed);
	v[sc->nspans].start = start;
	v[sc->nspans].end = end;
	sc->nspans++;
	return 0;
}

/* Writes code point CP as UTF-8 at OUT + *N (room for 4 is checked). */
static int
put_utf8(char *out, size_t *n, size_t cap, unsigned long cp)
{
	unsigned char *o = (unsigned char *)out + *n;

	if (*n + 4 >= cap || cp > 0x10FFFF)
		return -1;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		*n += 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		*n += 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		*n += 3;
	} else {
		o[0] = (unsigned char)(0xF0 | cp >> 18);
		o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[3] = (unsigned char)(0x80 | (cp & 0x3F));
		*n += 4;
	}
	return 0;
}

/* Reads four hex digits at S into *V. */
static int
hex4(const char *s, unsigned long *v)
{
	char digits[5];
	char *end;

	if (strnlen(s, 4) < 4)
		return -1;
	memcpy(digits, s, 4);
	digits[4] = '\0';
	*v = strtoul(digits, &end, 16);
	return end == digits + 4 ? 0 : -1;
}

static void
skip_ws(struct scan *sc)
{
	sc->pos += strspn(sc->text + sc->pos, " \t\r\n");
}

/*
 * Reads the JSON string at the scan position and decodes it into OUT
 * (CAP bytes, NUL-terminated) when OUT is not NULL. Returns its decoded
 * length, or -1.
 */
static long
json_string(struct scan *sc, char *out, size_t cap)
{
	const char *s = sc->text;
	size_t n = 0, discard = 0;
	unsigned long cp, low;
	char c;

	if (s[sc->pos] != '"')
		return -1;
	for (sc->pos++; (c = s[sc->pos]) != '"'; sc->pos++) {
		size_t *len = out ? &n : &discard;

		if (c == '\0' || (unsigned char)c < 0x20)
			return -1;
		if (c != '\\') {
			if (out && n + 1 >= cap)
				return -1;
			if (out)
				out[n] = c;
			(*len)++;
			continue;
		}
		c = s[++sc->pos];
		switch (c) {
		case '"': case '\\': case '/':
			cp = (unsigned char)c;
			break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (hex4(s + sc->pos + 1, &cp) < 0)
				return -1;
			sc->pos += 4;
			if (cp >= 0xD800 && cp < 0xDC00 &&
			    s[sc->pos + 1] == '\\' && s[sc->pos + 2] == 'u' &&
			    hex4(s + sc->pos + 3, &low) == 0 &&
			    low >= 0xDC00 && low < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (low - 0xDC00);
				sc->pos += 6;
			}
			break;
		default:
			return -1;
		}
		if (out && put_utf8(out, &n, cap, cp) < 0)
			return -1;
		if (!out)
			discard++;
	}
	sc->pos++;
	if (out)
		out[n] = '\0';
	return (long)(out ? n : discard);
}

/* Steps over C when it is the next character; never past the end. */
static bool
next_is(struct scan *sc, char c)
{
	if (sc->text[sc->pos] != c)
		return false;
	sc->pos++;
	return true;
}

static int json_value(struct scan *sc);

static int
json_object(struct scan *sc)
{
	char name[NAME_PATH_MAX];
	long len;

	sc->pos++;
	skip_ws(sc);
	if (sc->text[sc->pos] == '}') {
		sc->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(sc);
		len = json_string(sc, name, sizeof(name));
		if (len < 0 || push_name(sc, name, (size_t)len) < 0)
			return -1;
		skip_ws(sc);
		if (!next_is(sc, ':') || json_value(sc) < 0)
			return -1;
		pop_name(sc);
		skip_ws(sc);
		if (next_is(sc, '}'))
			return 0;
		if (!next_is(sc, ','))
			return -1;
	}
}

static int
json_array(struct scan *sc)
{
	sc->pos++;
	skip_ws(sc);
	if (sc->text[sc->pos] == ']') {
		sc->pos++;
		return 0;
	}
	for (;;) {
		if (json_value(sc) < 0)
			return -1;
		skip_ws(sc);
		if (next_is(sc, ']'))
			return 0;
		if (!next_is(sc, ','))
			return -1;
	}
}

/* Scans one value; a string at a secret path is recorded for sealing. */
static int
json_value(struct scan *sc)
{
	char plain[CFG_SECRET_MAX + 1];
	size_t start;
	long len;
	int ret;

	skip_ws(sc);
	switch (sc->text[sc->pos]) {
	case '{':
	case '[':
		/* Bounds the recursion on hostile input. */
		if (++sc->nest > 2 * NESTING_MAX)
			return -1;
		ret = sc->text[sc->pos] == '{' ? json_object(sc) :
						 json_array(sc);
		sc->nest--;
		return ret;
	case '"':
		start = sc->pos;
		if (!at_secret(sc))
			return json_string(sc, NULL, 0) < 0 ? -1 : 0;
		len = json_string(sc, plain, sizeof(plain));
		ret = len < 0 ? -1 : add_span(sc, start, sc->pos, plain,
					      (size_t)len, "\"");
		OPENSSL_cleanse(plain, sizeof(plain));
		return ret;
	default:
		/* A number or a literal (true, false, null). */
		len = (long)strcspn(sc->text + sc->pos, ",]} \t\r\n");
		sc->pos += (size_t)len;
		return len > 0 ? 0 : -1;
	}
}

/* Decodes the XML character data [START, END) into OUT (CAP bytes). */
static long
xml_text(const char *s, size_t start, size_t end, char *out, size_t cap)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = { { "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' },
		     { "quot;", '"' }, { "apos;", '\'' } };
	size_t i = start, n = 0, k;
	unsigned long cp;
	char *e;

	while (i < end) {
		if (!strncmp(s + i, "<![CDATA[", 9)) {
			const char *close = strstr(s + i + 9, "]]>");
			size_t len;

			if (!close || (size_t)(close - s) > end)
				return -1;
			len = (size_t)(close - s) - i - 9;
			if (n + len >= cap)
				return -1;
			memcpy(out + n, s + i + 9, len);
			n += len;
			i = (size_t)(close - s) + 3;
		} else if (s[i] == '<') {
			return -1;	/* an element: not a leaf value */
		} else if (s[i] == '&' && s[i + 1] == '#') {
			bool hex = s[i + 2] == 'x';

			cp = strtoul(s + i + (hex ? 3 : 2), &e, hex ? 16 : 10);
			if (*e != ';' || put_utf8(out, &n, cap, cp) < 0)
				return -1;
			i = (size_t)(e - s) + 1;
		} else if (s[i] == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
				if (!strncmp(s + i + 1, ents[k].name,
					     strlen(ents[k].name)))
					break;
			if (k == sizeof(ents) / sizeof(ents[0]) || n + 1 >= cap)
				return -1;
			out[n++] = ents[k].c;
			i += 1 + strlen(ents[k].name);
		} else {
			if (n + 1 >= cap)
				return -1;
			out[n++] = s[i++];
		}
	}
	out[n] = '\0';
	return (long)n;
}

/* Skips to just after TERM; -1 when it is missing. */
static int
skip_past(struct scan *sc, const char *term)
{
	const char *p = strstr(sc->text + sc->pos, term);

	if (!p)
		return -1;
	sc->pos = (size_t)(p - sc->text) + strlen(term);
	return 0;
}

/* Scans a start tag at the scan position; *EMPTY for "<name/>". */
static int
xml_start_tag(struct scan *sc, bool *empty)
{
	const char *s = sc->text, *close;
	size_t name = ++sc->pos, len;

	len = strcspn(s + name, " \t\r\n/>");
	if (len == 0 || push_name(sc, s + name, len) < 0)
		return -1;
	sc->pos += len;
	/* Attributes: values are quoted and may contain '>'. */
	while (s[sc->pos] && s[sc->pos] != '>' && s[sc->pos] != '/') {
		if (s[sc->pos] == '"' || s[sc->pos] == '\'') {
			close = strchr(s + sc->pos + 1, s[sc->pos]);
			if (!close)
				return -1;
			sc->pos = (size_t)(close - s) + 1;
		} else {
			sc->pos++;
		}
	}
	*empty = s[sc->pos] == '/';
	if (*empty)
		sc->pos++;
	if (s[sc->pos] != '>')
		return -1;
	sc->pos++;
	if (*empty)
		pop_name(sc);
	return 0;
}

/* The first '<' at or after P that does not open a CDATA section. */
static const char *
value_end(const char *p)
{
	for (;;) {
		p = strchr(p, '<');
		if (!p || strncmp(p, "<![CDATA[", 9))
			return p;
		p = strstr(p + 9, "]]>");
		if (!p)
			return NULL;
		p += 3;
	}
}

static int
xml_scan(struct scan *sc)
{
	const char *s = sc->text;
	char plain[CFG_SECRET_MAX + 1];
	bool empty;
	long len;

	while (s[sc->pos]) {
		const char *lt = strchr(s + sc->pos, '<');

		if (!lt)
			return sc->depth == 0 ? 0 : -1;
		sc->pos = (size_t)(lt - s);
		if (!strncmp(lt, "<?", 2)) {
			if (skip_past(sc, "?>") < 0)
				return -1;
		} else if (!strncmp(lt, "<!--", 4)) {
			if (skip_past(sc, "-->") < 0)
				return -1;
		} else if (lt[1] == '!') {
			return -1;	/* DOCTYPE or CDATA outside a leaf */
		} else if (lt[1] == '/') {
			if (sc->depth == 0 || skip_past(sc, ">") < 0)
				return -1;
			pop_name(sc);
		} else {
			if (xml_start_tag(sc, &empty) < 0)
				return -1;
			if (empty || !at_secret(sc))
				continue;
			/* The value runs to the end tag of the leaf. */
			lt = value_end(s + sc->pos);
			if (!lt || strncmp(lt, "</", 2))
				return -1;
			len = xml_text(s, sc->pos, (size_t)(lt - s), plain,
				       sizeof(plain));
			if (len < 0 || add_span(sc, sc->pos, (size_t)(lt - s),
						plain, (size_t)len, "") < 0) {
				OPENSSL_cleanse(plain, sizeof(plain));
				return -1;
			}
			OPENSSL_cleanse(plain, sizeof(plain));
			sc->pos = (size_t)(lt - s);
		}
	}
	return sc->depth == 0 ? 0 : -1;
}

/* TEXT with each recorded span replaced, in one allocation. */
static char *
rewrite(const struct scan *sc)
{
	size_t len = strlen(sc->text), n = 0, at = 0, i;
	char *out;

	for (i = 0; i < sc->nspans; i++)
		len += strlen(sc->spans[i].sealed) -
		       (sc->spans[i].end - sc->spans[i].start);
	out = malloc(len + 1);
	if (!out)
		return NULL;
	for (i = 0; i < sc->nspans; i++) {
		const struct span *sp = &sc->spans[i];

		memcpy(out + n, sc->text + at, sp->start - at);
		n += sp->start - at;
		memcpy(out + n, sp->sealed, strlen(sp->sealed));
		n += strlen(sp->sealed);
		at = sp->end;
	}
	memcpy(out + n, sc->text + at, strlen(sc->text + at) + 1);
	return out;
}

char *
cfg_secret_seal_text(const struct ly_ctx *ctx, const char *text,
		     enum cfg_format format)
{
	struct scan sc = { .text = text };
	char *out = NULL;
	int rc;

	if (cfg_secret_paths(ctx, &sc.secrets, &sc.nsecrets) < 0)
		goto out;
	if (format == CFG_FORMAT_JSON) {
		skip_ws(&sc);
		rc = json_value(&sc);
		skip_ws(&sc);
		if (rc == 0 && text[sc.pos] != '\0')
			rc = -1;
	} else {
		rc = xml_scan(&sc);
	}
	if (rc == 0)
		out = rewrite(&sc);
out:
	cfg_secret_paths_free(sc.secrets, sc.nsecrets);
	for (size_t i = 0; i < sc.nspans; i++)
		free(sc.spans[i].sealed);
	free(sc.spans);
	return out;
}
