/*
 * Secrets sealed in the config tree.
 *
 * libyang keeps leaf values in its dictionary and in copies made by
 * lyd_dup, diffs and parsers, and frees them without clearing them. A
 * leaf marked with the YANG extension `secret` therefore holds only a
 * sealed form of its value: "$vrs$" and the base64 text of
 * nonce || AES-256-GCM ciphertext || tag, under keys that exist only in
 * this process. The plaintext lives in short buffers that the readers
 * cleanse.
 *
 * The nonce is HMAC-SHA256(mac key, plaintext), cut to 96 bits, so one
 * plaintext always seals to the same text: a config set again with the
 * same secret does not change, and trees compare as before. Two
 * different plaintexts get one nonce only if the truncated HMAC collides
 * (about 2^-96 for a pair), so GCM's nonce rule holds. The price is
 * that equal secrets are visibly equal in the sealed tree.
 */
#include "core/config.h"
#include "core/cfg_render.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libyang/libyang.h>
#include <libyang/plugins_types.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define SEALED_PREFIX "$vrs$"
/* The marker of cfg_print_key(): reveal as type 7 text. */
#define TYPE7_PREFIX "$vr7$"
/* The marker of cfg_print_type7_clear(): reveal type 7 text decoded. */
#define DECODE7_PREFIX "$vr0$"
#define PREFIX_LEN 5
#define NONCE_LEN 12
#define TAG_LEN 16

struct seal_keys {
	unsigned char enc[32];	/* AES-256-GCM key */
	unsigned char mac[32];	/* HMAC-SHA256 key of the nonce */
};

/*
 * The keys, on a page of their own: locked in RAM where RLIMIT_MEMLOCK
 * allows it, left out of core dumps, and wiped in a forked child. They
 * are process-wide because every reader of a config tree (the IKE
 * manager, the renderers, AAA) must open its secrets, and those readers
 * get a tree, not the store. The OpenSSL secure heap is not used: once
 * initialised, OpenSSL also puts DH and EC private keys in its fixed
 * arena, which would bound the number of IKE negotiations.
 */
static struct seal_keys *keys;
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void
init_keys(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (page < (long)sizeof(*keys))
		page = (long)sizeof(*keys);
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	/*
	 * Best effort: mlock fails beyond RLIMIT_MEMLOCK and the advice on
	 * kernels without it, and the keys work either way.
	 */
	(void)mlock(p, (size_t)page);
	(void)madvise(p, (size_t)page, MADV_DONTDUMP);
	(void)madvise(p, (size_t)page, MADV_WIPEONFORK);
	if (RAND_priv_bytes(p, sizeof(*keys)) != 1) {
		munmap(p, (size_t)page);
		return;
	}
	keys = p;
}

static const struct seal_keys *
get_keys(void)
{
	pthread_once(&keys_once, init_keys);
	return keys;
}

bool
cfg_secret_is_sealed(const char *value)
{
	return value && strncmp(value, SEALED_PREFIX, PREFIX_LEN) == 0;
}

char *
cfg_secret_seal(const char *plain, size_t len)
{
	const struct seal_keys *k = get_keys();
	unsigned char mac[EVP_MAX_MD_SIZE], *raw = NULL;
	size_t rawlen = NONCE_LEN + len + TAG_LEN;
	unsigned maclen = 0;
	EVP_CIPHER_CTX *ctx = NULL;
	char *out = NULL;
	int n;

	if (!k || len > CFG_SECRET_MAX)
		return NULL;
	raw = malloc(rawlen);
	ctx = EVP_CIPHER_CTX_new();
	if (!raw || !ctx ||
	    !HMAC(EVP_sha256(), k->mac, sizeof(k->mac),
		  (const unsigned char *)plain, len, mac, &maclen))
		goto out;
	memcpy(raw, mac, NONCE_LEN);
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->enc,
			       raw) != 1 ||
	    EVP_EncryptUpdate(ctx, raw + NONCE_LEN, &n,
			      (const unsigned char *)plain, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, raw + NONCE_LEN + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
				raw + NONCE_LEN + len) != 1)
		goto out;
	out = malloc(CFG_SEALED_LEN(len) + 1);
	if (!out)
		goto out;
	memcpy(out, SEALED_PREFIX, PREFIX_LEN);
	EVP_EncodeBlock((unsigned char *)out + PREFIX_LEN, raw, (int)rawlen);
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	return out;
}

/* Length of the base64 text of a sealed value that starts at TEXT. */
static size_t
sealed_span(const char *text)
{
	size_t n = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "abcdefghijklmnopqrstuvwxyz0123456789+/");

	while (n % 4 != 0 && text[n] == '=')
		n++;
	return n;
}

/* Opens the LEN base64 characters at B64 into OUT, returns its length. */
static int
open_b64(const char *b64, size_t len, char *out, size_t outlen)
{
	const struct seal_keys *k = get_keys();
	unsigned char *raw = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t pad = 0, rawlen, plen;
	int n, ret = -1;

	if (!k || len == 0 || len % 4 != 0)
		return -1;
	while (pad < 2 && b64[len - 1 - pad] == '=')
		pad++;
	raw = malloc(len / 4 * 3);
	ctx = EVP_CIPHER_CTX_new();
	if (!raw || !ctx ||
	    EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len) < 0)
		goto out;
	rawlen = len / 4 * 3 - pad;
	if (rawlen < NONCE_LEN + TAG_LEN)
		goto out;
	plen = rawlen - NONCE_LEN - TAG_LEN;
	if (plen + 1 > outlen)
		goto out;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->enc,
			       raw) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
				raw + NONCE_LEN + plen) != 1 ||
	    EVP_DecryptUpdate(ctx, (unsigned char *)out, &n,
			      raw + NONCE_LEN, (int)plen) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)out + n, &n) != 1) {
		OPENSSL_cleanse(out, plen);
		goto out;
	}
	out[plen] = '\0';
	ret = (int)plen;
out:
	if (raw)
		OPENSSL_cleanse(raw, len / 4 * 3);
	free(raw);
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int
cfg_secret_open(const char *value, char *out, size_t outlen)
{
	size_t n;

	if (!value || outlen == 0)
		return -1;
	if (!cfg_secret_is_sealed(value)) {
		/* A tree built without the store, as some tests do. */
		n = strlen(value);
		if (n + 1 > outlen)
			return -1;
		memcpy(out, value, n + 1);
		return (int)n;
	}
	value += PREFIX_LEN;
	n = sealed_span(value);
	if (value[n] != '\0')
		return -1;
	return open_b64(value, n, out, outlen);
}

bool
cfg_schema_is_secret(const struct lysc_node *snode)
{
	LY_ARRAY_COUNT_TYPE i;

	if (!snode || !(snode->nodetype & LYS_LEAF))
		return false;
	LY_ARRAY_FOR(snode->exts, i) {
		const struct lysc_ext *def = snode->exts[i].def;

		if (!strcmp(def->name, "secret") &&
		    !strncmp(def->module->name, "vrouter-", 8))
			return true;
	}
	return false;
}

/*
 * Checks PLAIN against the member types of SNODE's union that follow
 * the sealed form, as libyang would have checked the plaintext, without
 * storing it anywhere. Copies a reason without the value into ERR.
 */
int
cfg_secret_check(const struct lysc_node *snode, const char *plain,
		 char *err, size_t errlen)
{
	const struct lysc_node_leaf *leaf = (const struct lysc_node_leaf *)snode;
	const struct lysc_type *type = leaf->type;
	const struct lysc_type_union *u = (const struct lysc_type_union *)type;
	size_t len = strlen(plain), chars = 0, i;
	LY_ARRAY_COUNT_TYPE t;

	/* libyang counts the length of a string in UTF-8 characters. */
	for (i = 0; i < len; i++)
		if (((unsigned char)plain[i] & 0xC0) != 0x80)
			chars++;
	if (len > CFG_SECRET_MAX) {
		snprintf(err, errlen, "Invalid %s: a value of %zu characters "
			 "is longer than %d", snode->name, chars,
			 CFG_SECRET_MAX);
		return -1;
	}
	if (type->basetype != LY_TYPE_UNION)
		return 0;
	/* Member 0 is the sealed form, so the value must fit another. */
	for (t = 1; t < LY_ARRAY_COUNT(u->types); t++) {
		const struct lysc_type_str *s =
			(const struct lysc_type_str *)u->types[t];
		struct ly_err_item *e = NULL;
		bool ok = true;

		if (s->basetype != LY_TYPE_STRING)
			continue;
		if (s->length &&
		    lyplg_type_validate_range(LY_TYPE_STRING, s->length,
					      (int64_t)chars, plain, len,
					      &e) != LY_SUCCESS)
			ok = false;
		if (ok && s->patterns &&
		    lyplg_type_validate_patterns(s->patterns, plain, len,
						 &e) != LY_SUCCESS)
			ok = false;
		if (e) {
			/* libyang's message quotes the value. */
			if (e->msg)
				OPENSSL_cleanse(e->msg, strlen(e->msg));
			ly_err_free(e);
		}
		if (ok)
			return 0;
	}
	snprintf(err, errlen, "Invalid %s: a value of %zu characters does "
		 "not match its type", snode->name, chars);
	return -1;
}

/* Seals the secret leaf NODE in place, even a sealed-looking one if ALL. */
static int
seal_node(struct lyd_node *node, bool all)
{
	const char *v = lyd_get_value(node);
	char *sealed;
	LY_ERR rc;

	if (!v || (!all && cfg_secret_is_sealed(v)))
		return 0;
	sealed = cfg_secret_seal(v, strlen(v));
	if (!sealed)
		return -1;
	rc = lyd_change_term(node, sealed);
	free(sealed);
	return rc == LY_SUCCESS || rc == LY_EEXIST ? 0 : -1;
}

int
cfg_secret_seal_tree(struct lyd_node *tree, bool all)
{
	struct lyd_node *top, *node;
	int ret = 0;

	LY_LIST_FOR(tree, top) {
		LYD_TREE_DFS_BEGIN(top, node) {
			if (cfg_schema_is_secret(node->schema) &&
			    seal_node(node, all) < 0)
				ret = -1;
			LYD_TREE_DFS_END(top, node);
		}
	}
	return ret;
}

/* Appends the LEN bytes at S to OUT (when not NULL); returns LEN. */
static size_t
put(char *out, size_t at, const char *s, size_t len)
{
	if (out)
		memcpy(out + at, s, len);
	return len;
}

/* Writes PLAIN escaped as HOW asks at OUT + AT, returns its length. */
static size_t
put_escaped(char *out, size_t at, const char *plain, enum cfg_reveal how)
{
	size_t n = 0;
	char esc[8];

	for (; *plain; plain++) {
		unsigned char c = (unsigned char)*plain;

		if (how == CFG_REVEAL_JSON && (c == '"' || c == '\\')) {
			esc[0] = '\\';
			esc[1] = (char)c;
			n += put(out, at + n, esc, 2);
		} else if (how == CFG_REVEAL_JSON && c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			n += put(out, at + n, esc, 6);
		} else if (how == CFG_REVEAL_XML && c == '&') {
			n += put(out, at + n, "&amp;", 5);
		} else if (how == CFG_REVEAL_XML && c == '<') {
			n += put(out, at + n, "&lt;", 4);
		} else if (how == CFG_REVEAL_XML && c == '>') {
			n += put(out, at + n, "&gt;", 4);
		} else {
			n += put(out, at + n, plain, 1);
		}
	}
	OPENSSL_cleanse(esc, sizeof(esc));
	return n;
}

/*
 * Writes TEXT with each sealed value replaced by its plaintext (type 7
 * text after the type 7 marker, the decoded type 7 text after the
 * decode marker) to OUT, or only counts when OUT is NULL. A token that
 * does not open or decode is copied as it is.
 */
static size_t
reveal_into(const char *text, char *out, enum cfg_reveal how)
{
	char plain[CFG_SECRET_MAX + 1], type7[2 * CFG_SECRET_MAX + 3];
	size_t n = 0, span;
	const char *p, *tok;
	bool is7, decode7;

	for (p = text; (tok = strstr(p, "$vr")) != NULL; p = tok + 1) {
		is7 = !strncmp(tok, TYPE7_PREFIX, PREFIX_LEN);
		decode7 = !strncmp(tok, DECODE7_PREFIX, PREFIX_LEN);
		if (!is7 && !decode7 &&
		    strncmp(tok, SEALED_PREFIX, PREFIX_LEN)) {
			n += put(out, n, p, (size_t)(tok - p) + 1);
			continue;
		}
		span = sealed_span(tok + PREFIX_LEN);
		if (open_b64(tok + PREFIX_LEN, span, plain,
			     sizeof(plain)) < 0 ||
		    (decode7 && cfg_type7_decode(plain, type7,
						 sizeof(type7)) < 0)) {
			n += put(out, n, p, (size_t)(tok - p) + 1);
			continue;
		}
		n += put(out, n, p, (size_t)(tok - p));
		if (decode7 ||
		    (is7 && cfg_type7_encode(plain, cfg_type7_seed(plain),
					     type7, sizeof(type7)) == 0))
			n += put_escaped(out, n, type7, how);
		else
			n += put_escaped(out, n, plain, how);
		tok += PREFIX_LEN + span - 1;
	}
	n += put(out, n, p, strlen(p));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(type7, sizeof(type7));
	return n;
}

char *
cfg_secret_reveal(const char *text, enum cfg_reveal how)
{
	size_t len = reveal_into(text, NULL, how);
	char *out = malloc(len + 1);

	if (!out)
		return NULL;
	reveal_into(text, out, how);
	out[len] = '\0';
	return out;
}

void
cfg_text_free(char *text)
{
	if (!text)
		return;
	/* The whole block: callers may have cut the text with NULs. */
	OPENSSL_cleanse(text, malloc_usable_size(text));
	free(text);
}
