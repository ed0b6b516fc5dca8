/*
 * Loading configs as users paste them, and the batched load: prompts,
 * byte order mark and show output are skipped, blocks vrouter does not
 * model are one rejection, and a line that fails half-way through a batch
 * leaves the same result as a line-by-line load.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_load.h"
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

TestSuite(paste, .init = setup, .fini = teardown);

/* Loads TEXT into the fixture's router; returns rejections and report. */
static int
load(const char *text, char **report)
{
	size_t len = 0;
	FILE *rep = open_memstream(report, &len);
	int n;

	cr_assert_not_null(rep);
	n = config_load_text(&fx.router, "paste", text, rep);
	fclose(rep);
	return n;
}

static void
subscriber(void *ctx, const struct lyd_node *running)
{
	(void)running;
	++*(int *)ctx;
}

Test(paste, terminal_paste_is_cleaned)
{
	static const char text[] =
		"\xEF\xBB\xBFR1#show running-config\n"
		"Building configuration...\n"
		"\n"
		"Current configuration : 1234 bytes\n"
		"!\n"
		"hostname PASTED\n"
		"R1(config)#crypto isakmp nat keepalive 20\n"
		"R1(config)#interface Loopback0\n"
		"R1(config-if)# ip address 10.9.9.9 255.255.255.255\n"
		"end\n"
		"\n"
		"R1#show ip interface brief\n"
		"Interface   IP-Address  OK? Method Status Protocol\n";
	char *report = NULL;

	cr_assert_eq(load(text, &report), 0, "%s", report);
	free(report);
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "PASTED");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/nat-keepalive"), "20");
	cr_assert_str_eq(fx_get(&fx, M "interfaces/interface"
				"[name='Loopback0']/ipv4/address"),
			 "10.9.9.9");
}

Test(paste, certificate_block_is_one_rejection)
{
	static const char text[] =
		"crypto pki certificate chain TP-self-signed-1\n"
		" certificate self-signed 01\n"
		"  3082022B 30820194 A0030201 02020101 300D0609 2A864886\n"
		"  F70D0101 05050030 31312F30 2D060355 04031326 494F532D\n"
		"  \tquit\n"
		"hostname AFTER\n"
		"router ospf 1\n"
		" network 10.0.0.0 0.255.255.255 area 0\n"
		"crypto isakmp identity hostname\n";
	char *report = NULL;

	cr_assert_eq(load(text, &report), 2, "%s", report);
	cr_assert_not_null(strstr(report, "line 1: crypto pki certificate "
				  "chain TP-self-signed-1: % Certificates are "
				  "not supported; the certificate block is "
				  "skipped (4 indented lines skipped with "
				  "it)\n"), "%s", report);
	cr_assert_not_null(strstr(report, "line 7: router ospf 1: % Invalid "
				  "input detected at '^' marker. (1 indented "
				  "line skipped with it)\n"), "%s", report);
	free(report);
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "AFTER");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/identity"), "hostname");
}

Test(paste, batch_notifies_once)
{
	static const char text[] =
		"crypto keyring A\n"
		"  pre-shared-key address 10.0.0.1 key one\n"
		"crypto keyring B\n"
		"  pre-shared-key address 10.0.0.2 key two\n";
	unsigned long gen = cfg_generation(fx.router.cfg);
	char *report = NULL;
	int calls = 0;

	cfg_subscribe(fx.router.cfg, subscriber, &calls);
	cr_assert_eq(calls, 1);
	cr_assert_eq(load(text, &report), 0, "%s", report);
	free(report);
	cr_assert_eq(calls, 2, "subscribers ran %d times", calls);
	cr_assert_eq(cfg_generation(fx.router.cfg), gen + 1);
	cr_assert_str_eq(fx_get(&fx, M "crypto/keyring[name='B']/"
				"pre-shared-key[address='10.0.0.2']"
				"[mask='255.255.255.255']/key"), "two");
}

/*
 * `set transform-set` clears the list before it checks the names: a name
 * with a quote in a batch leaves that edit behind, so the load must fall
 * back to one transaction per line and keep TS.
 */
Test(paste, half_failed_line_leaves_nothing)
{
	static const char text[] =
		"crypto ipsec transform-set TS esp-aes esp-sha-hmac\n"
		"crypto map M 10 ipsec-isakmp\n"
		" set transform-set TS\n"
		" set transform-set TS BAD'NAME\n"
		" set peer 10.1.1.1\n";
	char *report = NULL;

	cr_assert_eq(load(text, &report), 1, "%s", report);
	cr_assert_not_null(strstr(report, "line 4: set transform-set TS "
				  "BAD'NAME: % Invalid name \"BAD'NAME\": "
				  "quotes are not allowed\n"), "%s", report);
	free(report);
	cr_assert_str_eq(fx_get(&fx, M "crypto/map[name='M']/"
				"entry[sequence='10']/transform-set"), "TS");
	cr_assert_str_eq(fx_get(&fx, M "crypto/map[name='M']/"
				"entry[sequence='10']/peer"), "10.1.1.1");
}

/* A line refused before it edits anything does not spoil the batch. */
Test(paste, refused_line_in_batch)
{
	static const char text[] =
		"hostname GOOD\n"
		"crypto ipsec transform-set TS esp-aes esp-sha-hmac\n"
		"crypto ipsec profile P\n"
		" set transform-set TS\n"
		"no crypto ipsec transform-set TS\n";
	char *report = NULL;
	int n = load(text, &report);

	cr_assert_eq(n, 1, "%s", report);
	cr_assert_not_null(strstr(report, "line 5: no crypto ipsec "
				  "transform-set TS: % Transform set TS is in "
				  "use"), "%s", report);
	free(report);
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "GOOD");
	cr_assert_str_eq(fx_get(&fx, M "crypto/ipsec/profile[name='P']/"
				"transform-set"), "TS");
}

/* The store side: a batch that does not validate changes nothing. */
Test(paste, invalid_batch_is_not_committed)
{
	struct cfg *cfg = fx.router.cfg;
	struct cfg_txn *txn;
	char err[256] = "";

	cr_assert_eq(cfg_batch_begin(cfg), 0);
	txn = cfg_txn_begin(cfg);
	cr_assert_eq(cfg_txn_set(txn, M "system/hostname", "INBATCH"), 0);
	cr_assert_eq(cfg_txn_commit(txn, err, sizeof(err)), 0);
	/* key-size is only valid with encryption aes: caught at the end. */
	txn = cfg_txn_begin(cfg);
	cr_assert_eq(cfg_txn_set(txn, M "crypto/isakmp/policy[priority='1']/"
				 "key-size", "256"), 0);
	cr_assert_eq(cfg_txn_commit(txn, err, sizeof(err)), 0);
	cr_assert_not(cfg_batch_tainted(cfg));
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "(none)");
	cr_assert_eq(cfg_batch_end(cfg, true, err, sizeof(err)), -1);
	cr_assert(strlen(err) > 0);
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "(none)");

	/* The store takes ordinary transactions again. */
	txn = cfg_txn_begin(cfg);
	cr_assert_eq(cfg_txn_set(txn, M "system/hostname", "AFTER"), 0);
	cr_assert_eq(cfg_txn_commit(txn, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "AFTER");
}

#define PROFILE M "crypto/ikev2/profile[name='P']"
#define VRF M "vrfs/vrf[name='V']"

/* Blanks at the end of a typed or pasted line are ignored, as in IOS. */
Test(paste, trailing_blanks_ignored)
{
	const char *out;

	fx_apply(&fx, "crypto ikev2 profile P \t");
	out = fx_run(&fx, "match identity remote address 10.1.1.1 "
		     "255.255.255.255 ");
	cr_assert_eq(fx.result, CMD_SUCCESS, "%s", out);
	cr_assert_str_eq(fx_get(&fx, PROFILE "/match-identity-remote"),
			 "address 10.1.1.1 255.255.255.255");
	fx_apply(&fx, "vrf definition V\n"
		 "description  two  blanks  \t \n"
		 "rd 65000:1 ");
	cr_assert_str_eq(fx_get(&fx, VRF "/description"), "two  blanks");
	cr_assert_str_eq(fx_get(&fx, VRF "/rd"), "65000:1");
}

/* IOS takes the words of an identity, so blanks between them do not count. */
Test(paste, identity_blanks_folded)
{
	fx_apply(&fx, "crypto ikev2 profile P\n"
		 "match identity remote address 10.1.1.1 \t 255.255.255.0");
	cr_assert_str_eq(fx_get(&fx, PROFILE "/match-identity-remote"),
			 "address 10.1.1.1 255.255.255.0");
}

/*
 * A LINE value that its YANG type rejects gets the IOS caret under the
 * value, never the libyang message.
 */
Test(paste, line_value_error_has_caret)
{
	char prompt[128], want[256];
	size_t width;
	const char *out;

	fx_apply(&fx, "vrf definition V");
	width = vty_prompt(&fx.vty, prompt, sizeof(prompt));
	out = fx_run(&fx, "rd not-a-distinguisher");
	cr_assert_eq(fx.result, CMD_WARNING, "%s", out);
	/* The value starts after "rd ". */
	snprintf(want, sizeof(want), "%*s^\n%% Invalid input detected at "
		 "'^' marker.\n\n", (int)(width + 3), "");
	cr_assert_str_eq(out, want);
	cr_assert_str_eq(fx_get(&fx, VRF "/rd"), "(none)");
}

/*
 * A config pasted at the terminal runs line by line: the blank at the
 * end of "match identity remote address 0.0.0.0 " in a real hub config
 * does not lose the line.
 */
Test(paste, hub_config_line_by_line)
{
	const char *shared = getenv("VR_SHARED_DIR");
	char path[1024], *text, *line, *save = NULL;
	size_t len;

	cr_assert_not_null(shared, "VR_SHARED_DIR is not set; it must name "
			   "the folder with cases/external/configs");
	snprintf(path, sizeof(path), "%s/cases/external/configs/"
		 "clarkson-ikev2-dmvpn-ivrf-HUB.txt", shared);
	text = cfg_file_read(path, &len);
	cr_assert_not_null(text, "cannot read %s", path);
	for (line = strtok_r(text, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save))
		fx_run(&fx, line);
	free(text);
	/* IOS, and vrouter after it, print a blank after the identity. */
	cr_assert(strstr(fx_render(&fx), " match identity remote address "
			 "0.0.0.0 \n"), "%s", fx_render(&fx));
}
