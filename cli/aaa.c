/*
 * Password hashing and the local checks of the login and enable prompts.
 * See aaa.h for the hash formats.
 */
#include "cli/aaa.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/cfg_render.h"
#include "core/config.h"

#define A "/vrouter-access:access"

#define SALT_LEN 14
#define KEY_LEN 32
#define B64_KEY_LEN 43		/* 32 bytes in base64 without padding */
#define SCRYPT_N 16384
#define SCRYPT_R 1
#define SCRYPT_P 1
#define PBKDF2_ITER 20000
#define EXEC_TIMEOUT_DEFAULT 600

static const char alphabet[] =
	"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Standard base64 bit order, IOS alphabet, no padding. */
static void
b64_encode(const unsigned char *in, size_t len, char *out)
{
	unsigned v;
	size_t i, o = 0;

	for (i = 0; i < len; i += 3) {
		v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		if (i + 1 < len)
			out[o++] = alphabet[v >> 6 & 63];
		if (i + 2 < len)
			out[o++] = alphabet[v & 63];
	}
	out[o] = '\0';
}

static int
derive(int type, const char *password, const char *salt, unsigned char *key)
{
	OSSL_PARAM params[6], *p = params;
	uint64_t n = SCRYPT_N;
	uint32_t r = SCRYPT_R, par = SCRYPT_P, iter = PBKDF2_ITER;
	EVP_KDF_CTX *kctx = NULL;
	EVP_KDF *kdf;
	int ret = -1;

	kdf = EVP_KDF_fetch(NULL, type == 9 ? "SCRYPT" : "PBKDF2", NULL);
	if (kdf == NULL)
		goto out;
	kctx = EVP_KDF_CTX_new(kdf);
	if (kctx == NULL)
		goto out;

	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
						 (void *)(uintptr_t)password,
						 strlen(password));
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						 (void *)(uintptr_t)salt,
						 strlen(salt));
	if (type == 9) {
		*p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par);
	} else {
		*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_ITER, &iter);
		*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
							(char *)(uintptr_t)"SHA256",
							0);
	}
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, key, KEY_LEN, params) == 1)
		ret = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

int
aaa_hash_with_salt(int type, const char *password, const char *salt,
		   char *out, size_t len)
{
	unsigned char key[KEY_LEN];
	char enc[B64_KEY_LEN + 1];
	int n;

	if ((type != 8 && type != 9) || derive(type, password, salt, key) < 0)
		return -1;
	b64_encode(key, sizeof(key), enc);
	OPENSSL_cleanse(key, sizeof(key));
	n = snprintf(out, len, "$%d$%s$%s", type, salt, enc);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
aaa_hash_new(int type, const char *password, char *out, size_t len)
{
	unsigned char raw[SALT_LEN];
	char salt[SALT_LEN + 1];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < SALT_LEN; i++)
		salt[i] = alphabet[raw[i] & 63];
	salt[SALT_LEN] = '\0';
	return aaa_hash_with_salt(type, password, salt, out, len);
}

bool
aaa_hash_valid(int type, const char *hash)
{
	const char *salt, *key;
	size_t salt_len;

	if (hash[0] != '$' || hash[1] != '0' + type || hash[2] != '$')
		return false;
	salt = hash + 3;
	key = strchr(salt, '$');
	if (key == NULL)
		return false;
	salt_len = (size_t)(key - salt);
	key++;
	return salt_len > 0 && salt_len <= 32 &&
	       strspn(salt, alphabet) >= salt_len &&
	       strlen(key) == B64_KEY_LEN && strspn(key, alphabet) == B64_KEY_LEN;
}

bool
aaa_hash_verify(const char *hash, const char *password)
{
	char salt[33], calc[AAA_HASH_MAX];
	const char *end;
	int type;
	bool ok;

	if (hash == NULL || password == NULL || hash[0] != '$' ||
	    hash[1] == '\0')
		return false;
	type = hash[1] - '0';
	if (!aaa_hash_valid(type, hash))
		return false;
	end = strchr(hash + 3, '$');
	memcpy(salt, hash + 3, (size_t)(end - hash - 3));
	salt[end - hash - 3] = '\0';
	if (aaa_hash_with_salt(type, password, salt, calc, sizeof(calc)) < 0)
		return false;
	ok = strlen(calc) == strlen(hash) &&
	     CRYPTO_memcmp(calc, hash, strlen(hash)) == 0;
	OPENSSL_cleanse(calc, sizeof(calc));
	return ok;
}

int
aaa_type7_encode(const char *password, unsigned seed, char *out, size_t len)
{
	if (strlen(password) > AAA_PASSWORD_MAX)
		return -1;
	return cfg_type7_encode(password, seed, out, len);
}

int
aaa_type7_decode(const char *text, char *out, size_t len)
{
	return cfg_type7_decode(text, out, len);
}

/* Collects the nodes at XPATH in TREE; NULL when none. */
static struct ly_set *
select_nodes(const struct lyd_node *tree, const char *xpath)
{
	struct ly_set *set = NULL;

	if (tree == NULL || lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return NULL;
	if (set->count == 0) {
		ly_set_free(set, NULL);
		return NULL;
	}
	return set;
}

static void
line_defaults(struct aaa_line *out)
{
	memset(out, 0, sizeof(*out));
	out->login = AAA_LOGIN_NONE;
	out->transports = AAA_TRANSPORT_TELNET | AAA_TRANSPORT_SSH;
	out->exec_timeout = EXEC_TIMEOUT_DEFAULT;
	out->privilege = 1;
}

static void
line_fill(const struct lyd_node *e, struct aaa_line *out)
{
	const char *v;

	out->configured = true;
	v = cfg_get_value(e, "login");
	if (v)
		out->login = strcmp(v, "local") == 0 ? AAA_LOGIN_LOCAL :
						       AAA_LOGIN_LINE;
	v = cfg_get_value(e, "password7");
	if (v)
		snprintf(out->password7, sizeof(out->password7), "%s", v);
	v = cfg_get_value(e, "transport-input");
	if (v && strcmp(v, "ssh") == 0)
		out->transports = AAA_TRANSPORT_SSH;
	else if (v && strcmp(v, "telnet") == 0)
		out->transports = AAA_TRANSPORT_TELNET;
	else if (v && strcmp(v, "none") == 0)
		out->transports = 0;
	v = cfg_get_value(e, "exec-timeout");
	if (v)
		out->exec_timeout = (unsigned)strtoul(v, NULL, 10);
	v = cfg_get_value(e, "session-timeout");
	if (v)
		out->session_timeout = 60 * (unsigned)strtoul(v, NULL, 10);
	v = cfg_get_value(e, "privilege-level");
	if (v)
		out->privilege = (unsigned)strtoul(v, NULL, 10);
}

void
aaa_line_get(struct cfg *cfg, bool con, unsigned n, struct aaa_line *out)
{
	const struct lyd_node *tree;
	struct ly_set *set;
	const char *last;
	unsigned first, end;
	uint32_t i;

	line_defaults(out);
	if (cfg == NULL)
		return;
	tree = cfg_read_lock(cfg);
	set = select_nodes(tree, con ? A "/line[kind='con']" :
				       A "/line[kind='vty']");
	for (i = 0; set && i < set->count; i++) {
		first = (unsigned)strtoul(cfg_get_value(set->dnodes[i], "first"), NULL,
					  10);
		last = cfg_get_value(set->dnodes[i], "last");
		end = last ? (unsigned)strtoul(last, NULL, 10) : first;
		if (n >= first && n <= end) {
			line_fill(set->dnodes[i], out);
			break;
		}
	}
	ly_set_free(set, NULL);
	cfg_read_unlock(cfg);
}

unsigned
aaa_vty_count(struct cfg *cfg, unsigned default_count)
{
	const struct lyd_node *tree;
	struct ly_set *set;
	const char *v;
	unsigned count = 0, end;
	uint32_t i;

	if (cfg == NULL)
		return default_count;
	tree = cfg_read_lock(cfg);
	set = select_nodes(tree, A "/line[kind='vty']");
	if (set == NULL)
		count = default_count;
	for (i = 0; set && i < set->count; i++) {
		v = cfg_get_value(set->dnodes[i], "last");
		if (v == NULL)
			v = cfg_get_value(set->dnodes[i], "first");
		end = (unsigned)strtoul(v, NULL, 10);
		if (end + 1 > count)
			count = end + 1;
	}
	ly_set_free(set, NULL);
	cfg_read_unlock(cfg);
	return count;
}

/* True when PASSWORD matches a type 7 text. */
static bool
type7_matches(const char *sealed, const char *password)
{
	char clear[AAA_PASSWORD_MAX + 1], text[AAA_TYPE7_MAX];
	bool ok;

	/* The config holds the type 7 text sealed; see core/config.h. */
	ok = cfg_secret_open(sealed, text, sizeof(text)) >= 0 &&
	     aaa_type7_decode(text, clear, sizeof(clear)) >= 0 &&
	     strlen(clear) == strlen(password) &&
	     CRYPTO_memcmp(clear, password, strlen(clear)) == 0;
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(clear, sizeof(clear));
	return ok;
}

bool
aaa_check_user(struct cfg *cfg, const char *user, const char *password,
	       unsigned *priv)
{
	char secret[AAA_HASH_MAX] = "", pw7[AAA_SEALED7_MAX] = "";
	const struct lyd_node *tree;
	struct ly_set *set;
	const char *v;
	unsigned level = 1;
	uint32_t i;
	bool found = false, ok = false;

	if (cfg == NULL)
		return false;
	tree = cfg_read_lock(cfg);
	set = select_nodes(tree, A "/user");
	for (i = 0; set && i < set->count && !found; i++) {
		v = cfg_get_value(set->dnodes[i], "name");
		if (v == NULL || strcmp(v, user) != 0)
			continue;
		found = true;
		v = cfg_get_value(set->dnodes[i], "secret");
		snprintf(secret, sizeof(secret), "%s", v ? v : "");
		v = cfg_get_value(set->dnodes[i], "password7");
		snprintf(pw7, sizeof(pw7), "%s", v ? v : "");
		v = cfg_get_value(set->dnodes[i], "privilege");
		level = v ? (unsigned)strtoul(v, NULL, 10) : 1;
	}
	ly_set_free(set, NULL);
	cfg_read_unlock(cfg);

	/* The KDF runs without the config lock held. */
	if (found && secret[0])
		ok = aaa_hash_verify(secret, password);
	else if (found && pw7[0])
		ok = type7_matches(pw7, password);
	OPENSSL_cleanse(pw7, sizeof(pw7));
	if (ok && priv)
		*priv = level;
	return ok;
}

bool
aaa_check_line_password(const struct aaa_line *line, const char *password)
{
	return line->password7[0] && type7_matches(line->password7, password);
}

/* Copies the value at XPATH into BUF; false when there is none. */
static bool
access_value(struct cfg *cfg, const char *xpath, char *buf, size_t len)
{
	const struct lyd_node *tree;
	const char *v;

	if (cfg == NULL)
		return false;
	tree = cfg_read_lock(cfg);
	v = tree ? cfg_get_value(tree, xpath) : NULL;
	snprintf(buf, len, "%s", v ? v : "");
	cfg_read_unlock(cfg);
	return buf[0] != '\0';
}

/* Copies the enable secret into BUF; false when none is configured. */
static bool
enable_secret(struct cfg *cfg, char *buf, size_t len)
{
	return access_value(cfg, A "/enable-secret", buf, len);
}

/* Copies the sealed type 7 text of the enable password into BUF. */
static bool
enable_password7(struct cfg *cfg, char *buf, size_t len)
{
	return access_value(cfg, A "/enable-password/password7", buf, len);
}

bool
aaa_enable_secret_set(struct cfg *cfg)
{
	char hash[AAA_HASH_MAX], pw7[AAA_SEALED7_MAX];

	return enable_secret(cfg, hash, sizeof(hash)) ||
	       enable_password7(cfg, pw7, sizeof(pw7));
}

bool
aaa_check_enable(struct cfg *cfg, const char *password)
{
	char hash[AAA_HASH_MAX], pw7[AAA_SEALED7_MAX];
	bool ok = false;

	/* As in IOS, the enable password applies only without a secret. */
	if (enable_secret(cfg, hash, sizeof(hash)))
		return aaa_hash_verify(hash, password);
	if (enable_password7(cfg, pw7, sizeof(pw7)))
		ok = type7_matches(pw7, password);
	OPENSSL_cleanse(pw7, sizeof(pw7));
	return ok;
}
