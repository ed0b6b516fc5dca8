/*
 * The config in YANG form and as files: `| format restconf-json` and
 * `| format netconf-xml` print data libyang validates and that loads back
 * into the same config; copy FILE running-config merges IOS text, JSON
 * or XML with a report per rejected line; configure replace lists what
 * it changed; show running-config interface and `| section` print parts.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "core/cfg_file.h"
#include "core/config.h"
#include "fixture.h"

static struct fixture fx;

static void
setup(void)
{
	fx_open(&fx);
}

static void
teardown(void)
{
	fx_close(&fx);
}

TestSuite(yang, .init = setup, .fini = teardown);

static const char crypto_config[] =
	"hostname HUB\n"
	"crypto keyring KR\n"
	"pre-shared-key address 10.0.0.0 255.0.0.0 key secret\n"
	"exit\n"
	"crypto ikev2 proposal P1\n"
	"encryption aes-cbc-256 aes-cbc-128\n"
	"integrity sha256\n"
	"group 14 19\n"
	"exit\n"
	"crypto ipsec profile PROT\n"
	"set transform-set MISSING\n"
	"exit\n"
	"interface Tunnel0\n"
	"ip address 10.9.0.1 255.255.255.0\n"
	"ip nhrp network-id 101\n"
	"ip nhrp map multicast dynamic\n"
	"tunnel source GigabitEthernet1\n"
	"tunnel mode gre multipoint\n"
	"tunnel protection ipsec profile PROT shared\n"
	"end";

/* Writes TEXT to NAME in the fixture's folder; returns the path. */
static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	char err[256];

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	cr_assert_eq(cfg_file_save(path, text, strlen(text), err,
				   sizeof(err)), 0, "%s", err);
	return path;
}

/* Loads TEXT (FORMAT) into a new store; returns its IOS render. */
static char *
import_fresh(const char *text, enum cfg_format format)
{
	struct cfg *fresh = cfg_create(VR_YANG_DIR);
	char err[256], *render;

	cr_assert_not_null(fresh);
	cr_assert_eq(cfg_import(fresh, text, format, false, err,
				sizeof(err)), 0, "%s\n%s", err, text);
	render = cfg_render_ios(fresh);
	cfg_destroy(fresh);
	return render;
}

/* Parses TEXT with libyang against the modules, with validation. */
static void
assert_valid(const char *text, LYD_FORMAT format)
{
	struct lyd_node *tree = NULL;

	cr_assert_eq(lyd_parse_data_mem(cfg_ly_ctx(fx.router.cfg), text,
					format, LYD_PARSE_STRICT,
					LYD_VALIDATE_PRESENT, &tree),
		     LY_SUCCESS, "does not validate:\n%s", text);
	cr_assert_str_eq(cfg_get_value(tree, M "crypto/keyring[name='KR']/"
				       "pre-shared-key[address='10.0.0.0']"
				       "[mask='255.0.0.0']/key"), "secret");
	lyd_free_all(tree);
}

Test(yang, export_json_and_xml)
{
	char *render, *json, *xml, *again;

	fx_apply(&fx, crypto_config);
	render = strdup(fx_render(&fx));
	json = strdup(fx_run(&fx, "show running-config | format "
			     "restconf-json"));
	xml = strdup(fx_run(&fx, "show running-config | format "
			    "netconf-xml"));
	cr_assert_not_null(strstr(json, "\"vrouter-config:crypto\": {"),
			   "%s", json);
	cr_assert_not_null(strstr(xml, "<crypto xmlns=\"urn:vrouter:config\">"),
			   "%s", xml);
	assert_valid(json, LYD_JSON);
	assert_valid(xml, LYD_XML);

	again = import_fresh(json, CFG_FORMAT_JSON);
	cr_assert_str_eq(again, render);
	free(again);
	again = import_fresh(xml, CFG_FORMAT_XML);
	cr_assert_str_eq(again, render);
	free(again);
	free(render);
	free(json);
	free(xml);
}

Test(yang, format_filter_needs_known_name)
{
	const char *out = fx_run(&fx, "show running-config | format yaml");

	cr_assert_not_null(strstr(out, "% Invalid input detected"), "%s", out);
}

Test(yang, copy_file_reports_lines)
{
	const char *path = write_file("merge.cfg",
				      "hostname MERGED\n"
				      "bogus line\n"
				      "crypto isakmp nat keepalive 30\n");
	char line[300];
	const char *out;

	fx_apply(&fx, "crypto isakmp identity hostname\nend");
	snprintf(line, sizeof(line), "copy %s running-config", path);
	fx_set_reply(&fx, "");
	out = fx_run(&fx, line);
	cr_assert_not_null(strstr(out, "Destination filename [running-config]? "),
			   "%s", out);
	cr_assert_not_null(strstr(out, "line 2: bogus line: % Invalid input "
				  "detected at '^' marker.\n"), "%s", out);
	cr_assert_not_null(strstr(out, "1 line rejected\n"), "%s", out);
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "MERGED");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/nat-keepalive"), "30");
	/* A merge keeps what the file does not mention. */
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/identity"), "hostname");
}

Test(yang, copy_json_file)
{
	char path[256], bad[256], line[600];
	const char *out;

	snprintf(path, sizeof(path), "%s", write_file("data.json",
		"{ \"vrouter-config:crypto\": { \"isakmp\": "
		"{ \"nat-keepalive\": 45 } } }\n"));
	snprintf(bad, sizeof(bad), "%s", write_file("bad.json",
		"{ \"vrouter-config:crypto\": { \"nope\": 1 } }\n"));

	fx_run(&fx, "end");
	fx_set_reply(&fx, "");
	snprintf(line, sizeof(line), "copy %s running-config", path);
	out = fx_run(&fx, line);
	cr_assert_not_null(strstr(out, "0 lines rejected"), "%s", out);
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/nat-keepalive"), "45");

	snprintf(line, sizeof(line), "copy %s running-config", bad);
	out = fx_run(&fx, line);
	cr_assert_not_null(strstr(out, "bad.json: "), "%s", out);
	cr_assert_not_null(strstr(out, "1 line rejected"), "%s", out);
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/nat-keepalive"), "45");
}

Test(yang, configure_replace_lists_changes)
{
	const char *path = write_file("new.cfg",
				      "hostname NEW\n"
				      "crypto keyring KR\n"
				      "  pre-shared-key address 10.0.0.0 "
				      "255.0.0.0 key changed\n");
	char line[300];
	const char *out;

	fx_apply(&fx, crypto_config);
	snprintf(line, sizeof(line), "configure replace %s force", path);
	out = fx_run(&fx, line);
	cr_assert_not_null(strstr(out, "!Contextual Config Diffs:\n"), "%s",
			   out);
	cr_assert_not_null(strstr(out, "+hostname NEW\n"), "%s", out);
	cr_assert_not_null(strstr(out, "-hostname HUB\n"), "%s", out);
	cr_assert_not_null(strstr(out, "crypto keyring KR  \n"
				  "  +pre-shared-key address 10.0.0.0 255.0.0.0 "
				  "key changed\n"), "%s", out);
	cr_assert_not_null(strstr(out, "-interface Tunnel0\n"), "%s", out);
	cr_assert_not_null(strstr(out, "Rollback Done\n"), "%s", out);

	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "NEW");
	cr_assert_str_eq(fx_get(&fx, M "crypto/keyring[name='KR']/"
				"pre-shared-key[address='10.0.0.0']"
				"[mask='255.0.0.0']/key"), "changed");
	cr_assert_str_eq(fx_get(&fx, M "interfaces/interface"
				"[name='Tunnel0']"), "(none)");
}

Test(yang, configure_replace_asks_first)
{
	const char *path = write_file("empty.cfg", "hostname NEVER\n");
	char line[300];

	fx_run(&fx, "end");
	fx_set_reply(&fx, "no");
	snprintf(line, sizeof(line), "configure replace %s", path);
	cr_assert_not_null(strstr(fx_run(&fx, line), "Enter Y if you are "
				  "sure you want to proceed. ? [no]: "));
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "(none)");
}

Test(yang, show_running_config_parts)
{
	static const char block[] =
		"interface Tunnel0\n"
		" ip address 10.9.0.1 255.255.255.0\n"
		" ip nhrp map multicast dynamic\n"
		" ip nhrp network-id 101\n"
		" tunnel source GigabitEthernet1\n"
		" tunnel mode gre multipoint\n"
		" tunnel protection ipsec profile PROT shared\n";
	char want[512];
	const char *out;

	fx_apply(&fx, crypto_config);
	out = fx_run(&fx, "show running-config interface tu0");
	snprintf(want, sizeof(want), "Building configuration...\n\n"
		 "Current configuration : %zu bytes\n!\n%send\n\n",
		 strlen(block), block);
	cr_assert_str_eq(out, want);
	out = fx_run(&fx, "show running-config | section crypto keyring");
	cr_assert_str_eq(out, "crypto keyring KR  \n"
			 "  pre-shared-key address 10.0.0.0 255.0.0.0 key "
			 "secret\n");
}

Test(yang, ezvpn_client_round_trip)
{
	static const char block[] =
		"crypto ipsec client ezvpn REMOTE\n"
		" connect auto\n"
		" group ezvpn key cisco123\n"
		" mode network-extension\n"
		" peer 202.100.1.1 vpn.example.net\n"
		" username bob password secret\n"
		" xauth userid mode local\n"
		"!\n";
	char *render, *again;
	struct cfg *fresh;
	char *json;
	char err[256];

	fx_apply(&fx, "crypto ipsec client ezvpn REMOTE\n"
		 "connect auto\ngroup ezvpn key cisco123\n"
		 "mode network-extension\npeer 202.100.1.1\n"
		 "peer vpn.example.net\nusername bob password secret\n"
		 "xauth userid mode local\nexit\n"
		 "interface GigabitEthernet1\n"
		 "crypto ipsec client ezvpn REMOTE\nexit\n"
		 "interface GigabitEthernet2\n"
		 "crypto ipsec client ezvpn REMOTE inside\nend");
	render = strdup(fx_render(&fx));
	cr_assert_not_null(strstr(render, block), "%s", render);
	cr_assert_not_null(strstr(render, "interface GigabitEthernet1\n"
				  " no ip address\n"
				  " crypto ipsec client ezvpn REMOTE\n!\n"),
			   "%s", render);
	cr_assert_not_null(strstr(render, " crypto ipsec client ezvpn REMOTE "
				  "inside\n"), "%s", render);

	/* The render and the JSON export both rebuild the same config. */
	json = cfg_export(fx.router.cfg, CFG_FORMAT_JSON);
	fresh = cfg_create(VR_YANG_DIR);
	cr_assert_eq(cfg_import(fresh, json, CFG_FORMAT_JSON, false, err,
				sizeof(err)), 0, "%s", err);
	again = cfg_render_ios(fresh);
	cr_assert_str_eq(again, render);
	free(again);
	cfg_destroy(fresh);
	free(json);
	free(render);
}
