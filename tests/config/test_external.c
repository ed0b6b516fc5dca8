/*
 * The third-party IOS configs in $VR_SHARED_DIR/cases/external/configs:
 * each loads with the crypto objects it defines present in the model
 * (checked per file), and its render loads into a fresh router as the
 * same text.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cli/command.h"
#include "cli/config_load.h"
#include "core/cfg_file.h"
#include "core/config.h"
#include "core/router.h"

#define M "/vrouter-config:"

/* One expected leaf value (or, with VALUE NULL, one expected node). */
struct expect {
	const char *file;
	const char *xpath;
	const char *value;
};

static const struct expect expects[] = {
	{ "batfish-aws-vpn-03701a53bba3c48b7.txt",
	  M "crypto/ipsec/df-bit", "clear" },
	{ "batfish-aws-vpn-03701a53bba3c48b7.txt",
	  M "crypto/ipsec/security-association/replay-window-size", "128" },
	{ "batfish-aws-vpn-03701a53bba3c48b7.txt",
	  M "interfaces/interface[name='Tunnel1']/tunnel/protection/profile",
	  "ipsec-vpn-03701a53bba3c48b7-0" },
	{ "batfish-aws-vpn-03701a53bba3c48b7.txt",
	  M "interfaces/interface[name='Tunnel1']/tunnel/mode", "ipsec-ipv4" },
	{ "batfish-hybrid-cloud-aws-lhr-border-02.cfg",
	  M "aaa/new-model", "true" },
	{ "batfish-hybrid-cloud-aws-lhr-border-02.cfg",
	  M "crypto/isakmp/profile[name='isakmp-vpn-ba2e34a8-0']", NULL },
	{ "batfish-ios-crypto-map.cfg",
	  M "crypto/map[name='mymap']/entry[sequence='30']/dynamic",
	  "mydynamicmap" },
	{ "batfish-ios-crypto-map.cfg",
	  M "crypto/dynamic-map[name='mydynamicmap']/entry[sequence='5']/"
	  "pfs-group", "2" },
	{ "batfish-ios-crypto-map.cfg",
	  M "crypto/dynamic-map[name='mydynamicmap']/entry[sequence='5']/"
	  "transform-set", "ts1" },
	{ "batfish-parsing-unit-cisco_crypto.cfg",
	  M "crypto/ikev2/keyring[name='VPN_KEY']", NULL },
	{ "batfish-parsing-unit-cisco_crypto.cfg",
	  M "crypto/ikev2/policy[name='10']", NULL },
	{ "batfish-testrig-ios-crypto-ipsec-r1.cfg",
	  M "crypto/keyring[name='KEYRING']/pre-shared-key"
	  "[address='2.3.4.8'][mask='255.255.255.255']/key", "psk2" },
	{ "batfish-testrig-ios-crypto-ipsec-r1.cfg",
	  M "crypto/keyring[name='KEYRING']/local-address", "2.3.4.6" },
	{ "batfish-testrig-ios-crypto-ipsec-r1.cfg",
	  M "crypto/isakmp/profile[name='ISAKMP-PROFIE']/keyring", "KEYRING" },
	{ "batfish-testrig-ios-crypto-ipsec-r1.cfg",
	  M "crypto/isakmp/profile[name='ISAKMP-PROFIE']/keepalive/retry",
	  "3" },
	{ "batfish-testrig-ios-crypto-ipsec-r1.cfg",
	  M "crypto/isakmp/profile[name='ISAKMP-PROFIE']/"
	  "match-identity-address[address='2.3.4.8']"
	  "[mask='255.255.255.255']", NULL },
	{ "batfish-testrig-ios-crypto-ipsec-r2.cfg",
	  M "crypto/isakmp/profile[name='ISAKMP-PROFILE-FOR-R1']", NULL },
	{ "batfish-testrig-ios-crypto-ipsec-r3.cfg",
	  M "crypto/dynamic-map[name='mydynamicmap']/entry[sequence='5']",
	  NULL },
	{ "clarkson-dmvpn-behind-nat-HQ.txt",
	  M "crypto/ipsec/security-association/replay-window-size", "1024" },
	{ "clarkson-dmvpn-behind-nat-HQ.txt",
	  M "interfaces/interface[name='Tunnel1']/tunnel/source",
	  "FastEthernet0/0" },
	{ "clarkson-dmvpn-behind-nat-HQ.txt",
	  M "interfaces/interface[name='Tunnel0']/tunnel/protection/shared",
	  NULL },
	{ "clarkson-ikev2-dmvpn-ivrf-HUB.txt",
	  M "vrfs/vrf[name='IWAN-TRANSPORT-1']/rd", "1:1" },
	{ "clarkson-ikev2-dmvpn-ivrf-HUB.txt",
	  M "crypto/ikev2/proposal[name='AES/CBC/256']/encryption",
	  "aes-cbc-256" },
	{ "clarkson-ikev2-dmvpn-ivrf-HUB.txt",
	  M "crypto/ikev2/keyring[name='DMVPN-KEYRING-1']/peer[name='ANY']/"
	  "pre-shared-key", "c1sco123" },
	{ "clarkson-ikev2-dmvpn-ivrf-HUB.txt",
	  M "crypto/ikev2/profile[name='FVRF-IKEv2-IWAN-TRANSPORT-1']/"
	  "match-fvrf", "IWAN-TRANSPORT-1" },
	{ "clarkson-ikev2-dmvpn-ivrf-HUB.txt",
	  M "crypto/ikev2/profile[name='FVRF-IKEv2-IWAN-TRANSPORT-1']/"
	  "keyring-local", "DMVPN-KEYRING-1" },
	{ "clarkson-ikev2-dmvpn-ivrf-HUB.txt",
	  M "interfaces/interface[name='Tunnel0']/nhrp/network-id", "101" },
	{ "clarkson-ikev2-dmvpn-ivrf-SPOKE-1.txt",
	  M "vrfs/vrf[name='front-door']", NULL },
	{ "clarkson-ikev2-dmvpn-ivrf-SPOKE-1.txt",
	  M "interfaces/interface[name='Tunnel0']/tunnel/vrf",
	  "IWAN-TRANSPORT-1" },
	{ "clarkson-l2l-ezvpn-R1.cfg",
	  M "crypto/isakmp/client-group[name='ezvpn']/pool", "EZVPN-POOL" },
	{ "clarkson-l2l-ezvpn-R1.cfg",
	  M "address-pools/pool[name='EZVPN-POOL']/first", "172.16.255.1" },
	{ "clarkson-l2l-ezvpn-R1.cfg",
	  M "aaa/method-list[service='authorization network'][name='EZVPN']/"
	  "methods", "group radius local" },
	{ "clarkson-l2l-ezvpn-R1.cfg",
	  M "interfaces/interface[name='Virtual-Template1']/"
	  "template-type-tunnel", NULL },
	{ "clarkson-l2l-ezvpn-R1.cfg",
	  M "crypto/isakmp/profile[name='EZVPN-DVTI']/virtual-template", "1" },
	{ "clarkson-svti-CE.txt",
	  M "crypto/keyring[name='IPV4']/pre-shared-key"
	  "[address='102.1.1.1'][mask='255.255.255.255']/key", "somesayERS" },
	{ "clarkson-svti-CE.txt",
	  M "interfaces/interface[name='Tunnel101']/tunnel/protection/profile",
	  "IPV4" },
	{ "clarkson-svti-CE2.txt",
	  M "crypto/ipsec/profile[name='IPV4']/isakmp-profile", "IPV4" },
};

static void
setup(void)
{
	cmd_init_all();
}

static void
teardown(void)
{
	cmd_free_all();
}

TestSuite(external, .init = setup, .fini = teardown);

/* Loads TEXT into a new store; returns it, with the rejected count. */
static struct cfg *
load(const char *text, int *rejected)
{
	struct router r = { 0 };
	char *report = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&report, &len);

	cr_assert_not_null(rep);
	r.cfg = cfg_create(VR_YANG_DIR);
	cr_assert_not_null(r.cfg);
	*rejected = config_load_text(&r, "external", text, rep);
	fclose(rep);
	free(report);
	return r.cfg;
}

static char *
read_config(const char *name)
{
	const char *shared = getenv("VR_SHARED_DIR");
	char path[1024];
	size_t len;
	char *text;

	cr_assert_not_null(shared, "VR_SHARED_DIR is not set; it must name "
			   "the folder with cases/external/configs");
	snprintf(path, sizeof(path), "%s/cases/external/configs/%s", shared,
		 name);
	text = cfg_file_read(path, &len);
	cr_assert_not_null(text, "cannot read %s", path);
	return text;
}

Test(external, objects_per_file)
{
	size_t i;

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		const struct expect *e = &expects[i];
		char *text = read_config(e->file);
		int rejected;
		struct cfg *cfg = load(text, &rejected);
		const struct lyd_node *tree = cfg_read_lock(cfg);
		const struct lyd_node *node = cfg_find(tree, e->xpath);
		char value[CFG_SECRET_MAX + 1] = "";

		cr_expect_not_null(node, "%s: %s missing", e->file, e->xpath);
		/* Secrets are sealed in the tree; other values are copied. */
		if (node && e->value)
			cfg_secret_open(lyd_get_value(node), value,
					sizeof(value));
		if (node && e->value)
			cr_expect_str_eq(value, e->value, "%s: %s", e->file,
					 e->xpath);
		cfg_read_unlock(cfg);
		cfg_destroy(cfg);
		free(text);
	}
}

/*
 * Exports CFG in FORMAT, checks that libyang parses and validates it
 * against the modules, and that it imports into a store rendering RENDER.
 */
static void
check_export(struct cfg *cfg, enum cfg_format format, const char *render,
	     const char *file)
{
	char *text = cfg_export(cfg, format), *again, err[256];
	struct lyd_node *tree = NULL;
	struct cfg *fresh;

	cr_assert_not_null(text);
	cr_expect_eq(lyd_parse_data_mem(cfg_ly_ctx(cfg), text,
					format == CFG_FORMAT_JSON ? LYD_JSON :
					LYD_XML, LYD_PARSE_STRICT,
					LYD_VALIDATE_PRESENT, &tree),
		     LY_SUCCESS, "%s: export %d does not validate", file,
		     format);
	lyd_free_all(tree);
	fresh = cfg_create(VR_YANG_DIR);
	cr_assert_not_null(fresh);
	cr_expect_eq(cfg_import(fresh, text, format, false, err, sizeof(err)),
		     0, "%s: %s", file, err);
	again = cfg_render_ios(fresh);
	cr_expect_str_eq(again, render, "%s: export %d", file, format);
	free(again);
	cfg_destroy(fresh);
	free(text);
}

/*
 * Every file renders, the render reloads cleanly into itself, and the
 * JSON and XML exports validate and reload into the same config.
 */
Test(external, round_trip_per_file)
{
	const char *last = NULL;
	size_t i;

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		char *text, *render, *again;
		struct cfg *cfg;
		int rejected;

		if (last && !strcmp(last, expects[i].file))
			continue;
		last = expects[i].file;
		text = read_config(last);
		cfg = load(text, &rejected);
		render = cfg_render_ios(cfg);
		check_export(cfg, CFG_FORMAT_JSON, render, last);
		check_export(cfg, CFG_FORMAT_XML, render, last);
		cfg_destroy(cfg);
		cfg = load(render, &rejected);
		cr_expect_eq(rejected, 0, "%s: render rejected %d lines", last,
			     rejected);
		again = cfg_render_ios(cfg);
		cr_expect_str_eq(again, render, "%s", last);
		cfg_destroy(cfg);
		free(text);
		free(render);
		free(again);
	}
}
