/*
 * Secrets sealed in the config store: the sealed form round-trips, the
 * libyang tree never holds the plaintext, and renders, exports and
 * imports still read and write the plaintext.
 */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#define M "/vrouter-config:"
#define KEY_XPATH M "crypto/isakmp/key[address='10.1.1.1']" \
	"[mask='255.255.255.255']/key"
#define PSK "Seal-Psk-Unit-7d1e"

static struct cfg *cfg;

static void
setup(void)
{
	cfg = cfg_create(VR_YANG_DIR);
	cr_assert_not_null(cfg, "cannot load the YANG modules from %s",
			   VR_YANG_DIR);
}

static void
teardown(void)
{
	cfg_destroy(cfg);
}

TestSuite(secrets, .init = setup, .fini = teardown);

static int
set_commit(const char *xpath, const char *value, char *err, size_t errlen)
{
	struct cfg_txn *txn = cfg_txn_begin(cfg);

	cr_assert_not_null(txn);
	if (cfg_txn_set(txn, xpath, value) < 0) {
		snprintf(err, errlen, "%s", cfg_txn_error(txn));
		cfg_txn_abort(txn);
		return -1;
	}
	return cfg_txn_commit(txn, err, errlen);
}

/* The running value at XPATH (copied), or "(none)". */
static const char *
running_value(const char *xpath)
{
	static char buf[512];
	const char *v = cfg_get_value(cfg_read_lock(cfg), xpath);

	snprintf(buf, sizeof(buf), "%s", v ? v : "(none)");
	cfg_read_unlock(cfg);
	return buf;
}

/* The running tree as libyang prints it in FORMAT, without revealing. */
static char *
raw_tree(LYD_FORMAT format)
{
	char *text = NULL;

	cr_assert_eq(lyd_print_mem(&text, cfg_read_lock(cfg), format,
				   LYD_PRINT_WITHSIBLINGS), LY_SUCCESS);
	cfg_read_unlock(cfg);
	cr_assert_not_null(text);
	return text;
}

Test(secrets, seal_round_trip)
{
	char *a = cfg_secret_seal(PSK, strlen(PSK));
	char *b = cfg_secret_seal(PSK, strlen(PSK));
	char *c = cfg_secret_seal("other", 5);
	char clear[CFG_SECRET_MAX + 1];

	cr_assert_not_null(a);
	cr_assert(cfg_secret_is_sealed(a), "not sealed: %s", a);
	cr_assert_null(strstr(a, PSK));
	cr_assert_eq(strlen(a), CFG_SEALED_LEN(strlen(PSK)));
	cr_assert_eq(cfg_secret_open(a, clear, sizeof(clear)),
		     (int)strlen(PSK));
	cr_assert_str_eq(clear, PSK);
	/* One plaintext, one sealed form: configs compare as before. */
	cr_assert_str_eq(a, b);
	cr_assert_str_neq(a, c);
	free(a);
	free(b);
	free(c);
}

Test(secrets, open_rejects_tampering)
{
	char *sealed = cfg_secret_seal(PSK, strlen(PSK));
	char clear[CFG_SECRET_MAX + 1];
	size_t mid = strlen(sealed) / 2;

	cr_assert_eq(cfg_secret_open(sealed, clear, strlen(PSK)), -1,
		     "a buffer one byte short was accepted");
	sealed[mid] = sealed[mid] == 'A' ? 'B' : 'A';
	cr_assert_eq(cfg_secret_open(sealed, clear, sizeof(clear)), -1);
	cr_assert_eq(cfg_secret_open("$vrs$AAAA", clear, sizeof(clear)), -1);
	cr_assert_eq(cfg_secret_open("$vrs$A", clear, sizeof(clear)), -1);
	/* A value the store did not seal is returned as it is. */
	cr_assert_eq(cfg_secret_open("plain", clear, sizeof(clear)), 5);
	cr_assert_str_eq(clear, "plain");
	free(sealed);
}

Test(secrets, tree_holds_only_sealed_psk)
{
	char err[256] = "", clear[CFG_SECRET_MAX + 1];
	const char *v;
	char *json, *xml;

	cr_assert_eq(set_commit(KEY_XPATH, PSK, err, sizeof(err)), 0, "%s",
		     err);
	v = running_value(KEY_XPATH);
	cr_assert(cfg_secret_is_sealed(v), "stored as %s", v);
	cr_assert_eq(cfg_secret_open(v, clear, sizeof(clear)),
		     (int)strlen(PSK));
	cr_assert_str_eq(clear, PSK);
	json = raw_tree(LYD_JSON);
	xml = raw_tree(LYD_XML);
	cr_assert_null(strstr(json, PSK), "libyang holds the key:\n%s", json);
	cr_assert_null(strstr(xml, PSK), "libyang holds the key:\n%s", xml);
	free(json);
	free(xml);
}

Test(secrets, sealed_looking_key_is_plaintext)
{
	char err[256] = "", clear[CFG_SECRET_MAX + 1];

	cr_assert_eq(set_commit(KEY_XPATH, "$vrs$AAAA", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_gt(cfg_secret_open(running_value(KEY_XPATH), clear,
				     sizeof(clear)), 0);
	cr_assert_str_eq(clear, "$vrs$AAAA");
}

Test(secrets, render_and_export_reveal)
{
	char err[256] = "";
	char *ios, *json, *xml;

	cr_assert_eq(set_commit(KEY_XPATH, PSK, err, sizeof(err)), 0, "%s",
		     err);
	ios = cfg_render_ios(cfg);
	json = cfg_export(cfg, CFG_FORMAT_JSON);
	xml = cfg_export(cfg, CFG_FORMAT_XML);
	cr_assert_not_null(strstr(ios, "crypto isakmp key " PSK
				  " address 10.1.1.1\n"), "%s", ios);
	cr_assert_not_null(strstr(json, "\"key\": \"" PSK "\""), "%s", json);
	cr_assert_not_null(strstr(xml, "<key>" PSK "</key>"), "%s", xml);
	cr_assert_null(strstr(ios, "$vr"), "%s", ios);
	cr_assert_null(strstr(json, "$vr"), "%s", json);
	cfg_text_free(ios);
	cfg_text_free(json);
	cfg_text_free(xml);
}

Test(secrets, password_encryption_prints_type7)
{
	char err[256] = "";
	char *ios;

	cr_assert_eq(set_commit(KEY_XPATH, "cisco", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(set_commit("/vrouter-access:access/password-encryption",
				NULL, err, sizeof(err)), 0, "%s", err);
	ios = cfg_render_ios(cfg);
	/* "cisco" with the seed its characters sum to (529 % 16 = 1). */
	cr_assert_not_null(strstr(ios, "crypto isakmp key 7 01100F175804 "
				  "address 10.1.1.1\n"), "%s", ios);
	cfg_text_free(ios);
}

Test(secrets, length_checked_without_quoting)
{
	char err[256] = "", key[130];

	memset(key, 'k', 129);
	key[129] = '\0';
	cr_assert_eq(set_commit(KEY_XPATH, key, err, sizeof(err)), -1);
	cr_assert_null(strstr(err, "kkkk"), "the error quotes the key: %s",
		       err);
	cr_assert_not_null(strstr(err, "129 characters"), "%s", err);
	key[128] = '\0';
	cr_assert_eq(set_commit(KEY_XPATH, key, err, sizeof(err)), 0, "%s",
		     err);
}

Test(secrets, type7_pattern_checked)
{
	const char *xpath = "/vrouter-access:access/user[name='bob']/password7";
	char err[256] = "", clear[CFG_SECRET_MAX + 1];

	cr_assert_eq(set_commit(xpath, "not-type-7", err, sizeof(err)), -1);
	cr_assert_eq(set_commit(xpath, "0822455D0A16", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert(cfg_secret_is_sealed(running_value(xpath)));
	cr_assert_gt(cfg_secret_open(running_value(xpath), clear,
				     sizeof(clear)), 0);
	cr_assert_str_eq(clear, "0822455D0A16");
}

Test(secrets, import_seals_and_export_escapes)
{
	const char *json =
		"{\"vrouter-config:crypto\":{\"isakmp\":{\"key\":[{"
		"\"address\":\"10.1.1.1\",\"mask\":\"255.255.255.255\","
		"\"key\":\"a\\\"b\\\\c<&>\"}]}}}";
	char err[256] = "", clear[CFG_SECRET_MAX + 1];
	char *out, *raw;

	cr_assert_eq(cfg_import(cfg, json, CFG_FORMAT_JSON, false, err,
				sizeof(err)), 0, "%s", err);
	cr_assert(cfg_secret_is_sealed(running_value(KEY_XPATH)));
	cr_assert_gt(cfg_secret_open(running_value(KEY_XPATH), clear,
				     sizeof(clear)), 0);
	cr_assert_str_eq(clear, "a\"b\\c<&>");
	raw = raw_tree(LYD_JSON);
	cr_assert_null(strstr(raw, "<&>"), "%s", raw);
	free(raw);

	out = cfg_export(cfg, CFG_FORMAT_JSON);
	cr_assert_not_null(strstr(out, "\"key\": \"a\\\"b\\\\c<&>\""), "%s",
			   out);
	cfg_text_free(out);
	out = cfg_export(cfg, CFG_FORMAT_XML);
	cr_assert_not_null(strstr(out, "<key>a\"b\\c&lt;&amp;&gt;</key>"),
			   "%s", out);
	/* The export parses back to the same key. */
	cr_assert_eq(cfg_import(cfg, out, CFG_FORMAT_XML, true, err,
				sizeof(err)), 0, "%s", err);
	cfg_text_free(out);
	cr_assert_gt(cfg_secret_open(running_value(KEY_XPATH), clear,
				     sizeof(clear)), 0);
	cr_assert_str_eq(clear, "a\"b\\c<&>");
}

/* Opens the one sealed value in TEXT into OUT. */
static void
open_sealed_in(const char *text, char *out, size_t len)
{
	const char *tok = strstr(text, "$vrs$");
	char sealed[CFG_SEALED_LEN(CFG_SECRET_MAX) + 1];
	size_t n;

	cr_assert_not_null(tok, "nothing sealed in %s", text);
	n = strspn(tok + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789+/=") + 5;
	cr_assert_lt(n, sizeof(sealed));
	memcpy(sealed, tok, n);
	sealed[n] = '\0';
	cr_assert_gt(cfg_secret_open(sealed, out, len), 0, "%s", sealed);
}

Test(secrets, seal_text_json)
{
	const char *json =
		"{ \"vrouter-config:crypto\": { \"keyring\": [ {\n"
		"  \"name\": \"KR\", \"pre-shared-key\": [ {\n"
		"   \"address\": \"10.2.2.2\", \"mask\": \"255.255.255.255\",\n"
		"   \"key\": \"J\\u00e9son-\\\"Key\\\"\" } ] } ] } }";
	char clear[CFG_SECRET_MAX + 1];
	char *out = cfg_secret_seal_text(cfg_ly_ctx(cfg), json,
					 CFG_FORMAT_JSON);

	cr_assert_not_null(out);
	cr_assert_null(strstr(out, "son-"), "%s", out);
	cr_assert_not_null(strstr(out, "\"name\": \"KR\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"address\": \"10.2.2.2\""), "%s",
			   out);
	open_sealed_in(out, clear, sizeof(clear));
	cr_assert_str_eq(clear, "J\xc3\xa9son-\"Key\"");
	cfg_text_free(out);
}

Test(secrets, seal_text_xml)
{
	const char *xml =
		"<?xml version=\"1.0\"?>\n<!-- keys -->\n"
		"<crypto xmlns=\"urn:vrouter:config\"><isakmp><key>"
		"<address>10.1.1.1</address><mask>255.255.255.255</mask>"
		"<key>X&lt;m&#x6C;<![CDATA[<&>]]>-Key</key>"
		"</key></isakmp></crypto>";
	char clear[CFG_SECRET_MAX + 1];
	char *out = cfg_secret_seal_text(cfg_ly_ctx(cfg), xml,
					 CFG_FORMAT_XML);

	cr_assert_not_null(out);
	cr_assert_null(strstr(out, "-Key"), "%s", out);
	cr_assert_not_null(strstr(out, "<address>10.1.1.1</address>"), "%s",
			   out);
	open_sealed_in(out, clear, sizeof(clear));
	cr_assert_str_eq(clear, "X<ml<&>-Key");
	cfg_text_free(out);
}

Test(secrets, seal_text_rejects_malformed)
{
	static const char *const json[] = {
		"{\"vrouter-config:crypto\": {\"isakmp\": ",
		"{\"a\": \"unterminated}",
		"{\"a\" 1}",
		"[1, 2",
	};
	static const char *const xml[] = {
		"<crypto><isakmp>",
		"<crypto><isakmp><key><key>k</isakmp></crypto>",
		"<!DOCTYPE x><crypto/>",
	};
	char deep[4001];
	size_t i;

	for (i = 0; i < sizeof(json) / sizeof(json[0]); i++)
		cr_assert_null(cfg_secret_seal_text(cfg_ly_ctx(cfg), json[i],
						    CFG_FORMAT_JSON), "%s",
			       json[i]);
	/* Nesting deeper than the scanner's limit, not a stack overflow. */
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	cr_assert_null(cfg_secret_seal_text(cfg_ly_ctx(cfg), deep,
					    CFG_FORMAT_JSON));
	for (i = 0; i < sizeof(xml) / sizeof(xml[0]); i++)
		cr_assert_null(cfg_secret_seal_text(cfg_ly_ctx(cfg), xml[i],
						    CFG_FORMAT_XML), "%s",
			       xml[i]);
}

Test(secrets, replace_from_keeps_sealed)
{
	struct cfg *other = cfg_create(VR_YANG_DIR);
	struct cfg *saved = cfg;
	char err[256] = "", clear[CFG_SECRET_MAX + 1];

	cr_assert_not_null(other);
	cfg = other;
	cr_assert_eq(set_commit(KEY_XPATH, PSK, err, sizeof(err)), 0, "%s",
		     err);
	cfg = saved;
	cr_assert_eq(cfg_replace_from(cfg, other, err, sizeof(err)), 0, "%s",
		     err);
	cfg_destroy(other);
	cr_assert(cfg_secret_is_sealed(running_value(KEY_XPATH)));
	cr_assert_gt(cfg_secret_open(running_value(KEY_XPATH), clear,
				     sizeof(clear)), 0);
	cr_assert_str_eq(clear, PSK);
}

/* Every leaf marked secret accepts the sealed form first. */
Test(secrets, every_secret_leaf_takes_sealed_form)
{
	const struct ly_ctx *ctx = cfg_ly_ctx(cfg);
	const struct lys_module *mod;
	const struct lysc_node *node;
	char *sealed = cfg_secret_seal(PSK, strlen(PSK));
	uint32_t idx = 0;
	unsigned found = 0;

	while ((mod = ly_ctx_get_module_iter(ctx, &idx)) != NULL) {
		if (!mod->implemented || strncmp(mod->name, "vrouter-", 8))
			continue;
		LY_LIST_FOR(mod->compiled->data, node) {
			const struct lysc_node *n;

			LYSC_TREE_DFS_BEGIN(node, n) {
				if (cfg_schema_is_secret(n)) {
					found++;
					cr_assert_eq(lyd_value_validate(ctx, n,
						sealed, strlen(sealed), NULL,
						NULL, NULL), LY_SUCCESS,
						"%s rejects the sealed form",
						n->name);
				}
				LYSC_TREE_DFS_END(node, n);
			}
		}
	}
	/*
	 * ISAKMP key, two keyring keys, three IKEv2 keys, two password7,
	 * the Easy VPN group key, client key and XAUTH password, and the
	 * cipher and authenticator keys of both manual ESP directions.
	 */
	cr_assert_geq(found, 15);
	free(sealed);
}
