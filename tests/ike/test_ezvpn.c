/*
 * An EzVPN client and server back to back. The client runs Aggressive
 * Mode with the group name and key, then XAUTH against the server's
 * local users. Mode config assigns an address from the group's pool and
 * the group's split-tunnel list, then Quick Mode runs from the client's
 * inside network. Wrong credentials leave no SA, and
 * an unknown SPI from the server never starts recovery on the client.
 */
#include "ike_test.h"

#include "cli/config_load.h"
#include "core/config.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct ikt_side a, b;

/* A: the client. The profile comes before the interfaces, where its
 * first line would be read as the interface command. */
#define CLIENT(key, password, extra) \
	"crypto ipsec client ezvpn EZ\n" \
	" connect auto\n" \
	" group LABGROUP key " key "\n" \
	" mode network-extension\n" \
	" peer 10.0.0.2\n" \
	" xauth userid mode local\n" \
	" username lab password " password "\n" \
	extra \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.1 255.255.255.0\n" \
	" crypto ipsec client ezvpn EZ outside\n" \
	"interface GigabitEthernet2\n" \
	" ip address 192.168.1.1 255.255.255.0\n" \
	" crypto ipsec client ezvpn EZ inside\n"

#define CLIENT_OK CLIENT("LabKey123", "LabPass123", "")

/* B: the server. It negotiates through a dynamic map, with XAUTH
 * against the local users and addresses from EZPOOL. */
#define SERVER \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.2 255.255.255.0\n" \
	"interface GigabitEthernet2\n" \
	" ip address 192.168.2.1 255.255.255.0\n" \
	"aaa new-model\n" \
	"aaa authentication login EZAUTH local\n" \
	"aaa authorization network EZAUTH local\n" \
	"username lab password 0 LabPass123\n" \
	"crypto isakmp policy 10\n" \
	" encryption aes 256\n" \
	" hash sha\n" \
	" authentication pre-share\n" \
	" group 2\n" \
	"ip access-list extended SPLIT\n" \
	" permit ip 192.168.2.0 0.0.0.255 any\n" \
	"ip local pool EZPOOL 10.99.0.10 10.99.0.20\n" \
	"crypto isakmp client configuration group LABGROUP\n" \
	" key LabKey123\n" \
	" pool EZPOOL\n" \
	" acl SPLIT\n" \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n" \
	"crypto dynamic-map DYN 10\n" \
	" set transform-set TS\n" \
	"crypto map VPNMAP client authentication list EZAUTH\n" \
	"crypto map VPNMAP isakmp authorization list EZAUTH\n" \
	"crypto map VPNMAP client configuration address respond\n" \
	"crypto map VPNMAP 65535 ipsec-isakmp dynamic DYN\n" \
	"interface GigabitEthernet1\n" \
	" crypto map VPNMAP\n"

static uint32_t
addr(const char *s)
{
	uint32_t x;

	cr_assert_eq(inet_pton(AF_INET, s, &x), 1);
	return x;
}

static bool
both_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 1 && ikt_count(x, true) == 1 &&
	       ikt_count(y, false) == 1 && ikt_count(y, true) == 1;
}

static bool
client_active(struct ikt_side *x, struct ikt_side *y)
{
	struct ike_ezvpn_info info;

	(void)y;
	return ike_get_ezvpn(x->ike, &info) == 0 &&
	       strcmp(info.state, "IPSEC_ACTIVE") == 0;
}

static bool
auth_failed(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	(void)y;
	return ikt_log_count("%CRYPTO-6-IKMP_AUTH_FAIL: Authentication "
			     "method 65001 failed with host 10.0.0.1") > 0;
}

static bool
hash_failed(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	(void)y;
	return ikt_log_count("hash verification failed") > 0;
}

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
}

static struct dp_sa_cfg
only_sa(struct ikt_side *s, bool outbound)
{
	struct dp_sa_cfg c = { 0 };
	size_t found = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nsas; i++) {
		if (s->sas[i].params.outbound == outbound) {
			c = s->sas[i];
			found++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	cr_assert_eq(found, 1, "%zu %s SAs", found,
		     outbound ? "outbound" : "inbound");
	return c;
}

/* Asserts that S's one IKE SA shows mode config and XAUTH done, and
 * REMOTE_ID as the peer's identity. REMOTE_ID is the client's group name
 * on the server, or "" on the client for the server's address. */
static void
assert_ezvpn_ike_sa(struct ikt_side *s, const char *remote_id)
{
	struct ike_sa_info *info;

	cr_assert_eq(ike_get_sas(s->ike, &info), 1);
	cr_assert(info[0].modecfg, "no mode config capability");
	cr_assert(info[0].xauth, "no XAUTH capability");
	cr_assert_str_eq(info[0].remote_id, remote_id);
	free(info);
}

TestSuite(ezvpn, .fini = teardown, .timeout = 60);

Test(ezvpn, connects_with_xauth_and_mode_config)
{
	struct ike_ezvpn_info info;
	struct dp_sa_cfg out;

	ikt_log_start();
	ikt_pair_start(&a, CLIENT_OK, &b, SERVER);
	cr_assert(ikt_wait(&a, &b, both_pairs, 15),
		  "client has %zu SAs, server %zu", a.nsas, b.nsas);
	cr_assert(ikt_wait(&a, &b, client_active, 5));

	/* The client's pair protects its inside network towards the split
	 * network the server's group handed out. */
	out = only_sa(&a, true);
	cr_assert(out.has_selector);
	cr_assert_eq(out.selector.local, addr("192.168.1.0"));
	cr_assert_eq(out.selector.local_mask, addr("255.255.255.0"));
	cr_assert_eq(out.selector.remote, addr("192.168.2.0"));
	cr_assert_eq(out.selector.remote_mask, addr("255.255.255.0"));
	cr_assert_str_eq(out.map, "EZ");
	cr_assert_eq(out.map_seq, 1);
	cr_assert_str_eq(out.ifname, "GigabitEthernet1");
	out = only_sa(&b, true);
	cr_assert_eq(out.selector.local, addr("192.168.2.0"));
	cr_assert_eq(out.selector.remote, addr("192.168.1.0"));
	cr_assert_str_eq(out.map, "VPNMAP");

	cr_assert_eq(ike_get_ezvpn(a.ike, &info), 0);
	cr_assert_eq(info.assigned, addr("10.99.0.10"),
		     "the first address of EZPOOL");
	cr_assert_eq(info.nsplit, 1);
	cr_assert_eq(info.split_addr[0], addr("192.168.2.0"));
	cr_assert_eq(info.split_mask[0], addr("255.255.255.0"));
	cr_assert_eq(info.xauth_failed, 0);
	cr_assert_eq(ikt_log_count("%CRYPTO-6-EZVPN_CONNECTION_UP: (Client) "
				   "User=lab Group=LABGROUP "
				   "Client_public_addr=10.0.0.1 "
				   "Server_public_addr=10.0.0.2 "
				   "Assigned_client_addr=10.99.0.10 "
				   "NEM_Remote_Subnets=192.168.1.0/"
				   "255.255.255.0"), 1);
	cr_assert_eq(ikt_ike_up(&a), 1);
	cr_assert_eq(ikt_ike_up(&b), 1);
	/* The server has no EzVPN client profile. */
	cr_assert_eq(ike_get_ezvpn(b.ike, &info), -1);
	assert_ezvpn_ike_sa(&a, "");
	assert_ezvpn_ike_sa(&b, "LABGROUP");
}

Test(ezvpn, wrong_xauth_password_fails)
{
	struct ike_ezvpn_info info;

	ikt_log_start();
	ikt_pair_start(&a, CLIENT("LabKey123", "WrongPass", ""), &b, SERVER);
	cr_assert(ikt_wait(&a, &b, auth_failed, 15),
		  "the server logged no XAUTH failure");
	ike_sync(a.ike);
	ike_sync(b.ike);
	cr_assert_eq(ikt_count(&a, true) + ikt_count(&a, false), 0);
	cr_assert_eq(ikt_count(&b, true) + ikt_count(&b, false), 0);
	cr_assert_eq(ikt_log_count("EZVPN_CONNECTION_UP"), 0);
	cr_assert(ikt_wait(&a, &b, client_active, 2) == false);
	cr_assert_eq(ike_get_ezvpn(a.ike, &info), 0);
	cr_assert_geq(info.xauth_failed, 1);
	cr_assert_eq(ikt_ike_up(&b), 0, "the server deleted the IKE SA");
}

Test(ezvpn, wrong_group_key_fails)
{
	ikt_log_start();
	ikt_pair_start(&a, CLIENT("NotTheKey", "LabPass123", ""), &b, SERVER);
	cr_assert(ikt_wait(&a, &b, hash_failed, 15),
		  "the client accepted the server's HASH_R");
	cr_assert(ikt_wait(&a, &b, both_pairs, 3) == false);
	cr_assert_eq(ikt_count(&a, true) + ikt_count(&a, false), 0);
	cr_assert_eq(ikt_count(&b, true) + ikt_count(&b, false), 0);
	cr_assert_eq(ikt_ike_up(&a), 0);
	cr_assert_eq(ikt_log_count("%CRYPTO-6-IKMP_AUTH_FAIL"), 0,
		     "XAUTH never started");
}

#define MODE_FAILURE "%CRYPTO-6-IKMP_MODE_FAILURE: Processing of " \
		     "Aggressive mode failed with peer at 10.0.0.2"

static bool
mode_failure_logged(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	(void)y;
	return ikt_log_count(MODE_FAILURE) > 0;
}

static bool
client_tried_twice(struct ikt_side *x, struct ikt_side *y)
{
	struct ike_ezvpn_info info;

	(void)y;
	return ike_get_ezvpn(x->ike, &info) == 0 && info.connects >= 2;
}

/*
 * A wrong group key is logged as IKMP_MODE_FAILURE once a minute, not
 * once an attempt, and the client keeps trying. Once the client has the
 * right key it connects at once instead of waiting for its next attempt
 * (5 s after the last one).
 */
Test(ezvpn, wrong_group_key_logged_and_retried)
{
	ikt_log_start();
	ikt_pair_start(&a, CLIENT("NotTheKey", "LabPass123", ""), &b, SERVER);
	cr_assert(ikt_wait(&a, &b, mode_failure_logged, 15),
		  "no IKMP_MODE_FAILURE for the wrong group key");
	cr_assert(ikt_wait(&a, &b, client_tried_twice, 10),
		  "the client did not try again");
	cr_assert(ikt_wait(&a, &b, ikt_no_ike_sa, 2),
		  "the client kept the failed IKE SA");
	cr_assert_eq(ikt_log_count(MODE_FAILURE), 1,
		     "logged %zu times within a minute",
		     ikt_log_count(MODE_FAILURE));

	ikt_side_config(&a, "crypto ipsec client ezvpn EZ\n"
			    " group LABGROUP key LabKey123\n");
	cr_assert(ikt_wait(&a, &b, client_active, 2.5),
		  "the client did not connect at once with the right key");
}

Test(ezvpn, unknown_spi_starts_no_recovery)
{
	struct dp_invalid_spi_event ev = { 0 };
	struct ike_stats st;

	ikt_log_start();
	ikt_pair_start(&a, CLIENT("LabKey123", "LabPass123",
				  "crypto isakmp invalid-spi-recovery\n"),
		       &b, SERVER);
	/* The client's Aggressive Mode never reaches the server, so the
	 * client has no IKE SA up when the unknown SPI arrives. */
	a.drop_all = true;
	ev.src = addr("10.0.0.2");
	ev.dst = addr("10.0.0.1");
	ev.spi = 0x1234567;
	ev.proto = 50;
	snprintf(ev.ifname, sizeof(ev.ifname), "GigabitEthernet1");
	ike_post_invalid_spi(a.ike, &ev);
	ike_sync(a.ike);
	ike_get_stats(a.ike, &st);
	cr_assert_eq(st.invalid_spi_events, 1);
	cr_assert_eq(st.recovery_started, 0);
	cr_assert_eq(st.delete_notify_ignored, 1);
	cr_assert_eq(ikt_log_count("EzVPN client, no invalid-spi-recovery"),
		     1);
	cr_assert_eq(ikt_log_count("invalid SPI recovery: starting IKE"), 0);
}

static uint32_t
client_outbound_spi(void)
{
	return only_sa(&a, true).params.spi;
}

static uint32_t first_spi;

static bool
new_pairs(struct ikt_side *x, struct ikt_side *y)
{
	struct dp_sa_cfg c;
	bool found = false;

	if (!both_pairs(x, y) || !client_active(x, y))
		return false;
	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < x->nsas; i++) {
		if (x->sas[i].params.outbound) {
			c = x->sas[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&x->lock);
	return found && c.params.spi != first_spi;
}

Test(ezvpn, reconnects_after_server_clear)
{
	ikt_log_start();
	ikt_pair_start(&a, CLIENT_OK, &b, SERVER);
	cr_assert(ikt_wait(&a, &b, both_pairs, 15));
	cr_assert(ikt_wait(&a, &b, client_active, 5));
	first_spi = client_outbound_spi();

	/* The server deletes the IPsec and IKE SAs with DELETEs, and connect
	 * auto brings up new ones. */
	cr_assert_geq(ike_clear(b.ike, IKE_CLEAR_SESSION, addr("10.0.0.1"), 0),
		      1);
	cr_assert(ikt_wait(&a, &b, new_pairs, 20),
		  "client has %zu SAs, server %zu after the clear", a.nsas,
		  b.nsas);
	cr_assert_eq(ikt_log_count("%CRYPTO-6-EZVPN_CONNECTION_DOWN: (Client) "
				   "User=lab Group=LABGROUP"), 1);
	cr_assert_eq(ikt_log_count("%CRYPTO-6-EZVPN_CONNECTION_UP"), 2);
	cr_assert_eq(ikt_ike_up(&a), 1);
	cr_assert_eq(ikt_ike_up(&b), 1);
}

static bool
client_rekeyed(struct ikt_side *x, struct ikt_side *y)
{
	(void)y;
	return ikt_count(x, true) == 2 && ikt_count(x, false) == 2;
}

Test(ezvpn, soft_lifetime_rekeys_pair)
{
	struct dp_sa_event ev = { 0 };

	ikt_log_start();
	ikt_pair_start(&a, CLIENT_OK, &b, SERVER);
	cr_assert(ikt_wait(&a, &b, both_pairs, 15));
	cr_assert(ikt_wait(&a, &b, client_active, 5));

	/* The client's pair reaches its soft lifetime: a second Quick Mode
	 * over the same IKE SA brings a new pair for the same flow. */
	ev.kind = DP_SA_SOFT_EXPIRED;
	ev.outbound = true;
	ev.dst = addr("10.0.0.2");
	ev.spi = client_outbound_spi();
	ike_post_sa_event(a.ike, &ev);
	cr_assert(ikt_wait(&a, &b, client_rekeyed, 5),
		  "client has %zu SAs after the soft lifetime", a.nsas);
	cr_assert_eq(ikt_ike_up(&a), 1, "the rekey reused the IKE SA");
	cr_assert_eq(ikt_log_count("%CRYPTO-6-EZVPN_CONNECTION_DOWN"), 0);
}

static bool
client_unusable(struct ikt_side *x, struct ikt_side *y)
{
	struct ike_ezvpn_info info;

	(void)y;
	return ike_get_ezvpn(x->ike, &info) == 0 && info.unusable[0] != '\0' &&
	       strcmp(info.state, "CONNECT_REQUIRED") == 0 &&
	       ikt_count(x, true) == 0;
}

static bool
server_empty(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	return ikt_count(y, true) + ikt_count(y, false) == 0;
}

Test(ezvpn, mode_client_not_connected)
{
	struct ike_ezvpn_info info;
	struct cfg_txn *txn;
	const struct lyd_node *tree;
	char err[256];
	FILE *out = tmpfile();

	ikt_log_start();
	ikt_pair_start(&a, CLIENT_OK, &b, SERVER);
	cr_assert(ikt_wait(&a, &b, client_active, 15));

	/* The CLI rejects mode client with the reason. */
	cr_assert_not_null(out);
	cr_assert_eq(config_load_text(&a.r, "test",
				      "crypto ipsec client ezvpn EZ\n"
				      " mode client\n", out), 1);
	rewind(out);
	cr_assert_gt(fread(err, 1, sizeof(err) - 1, out), 0);
	err[sizeof(err) - 1] = '\0';
	cr_assert_not_null(strstr(err, "mode client is not supported"), "%s",
			   err);
	fclose(out);

	/* Set in the config store directly, as a JSON config would, it
	 * takes the tunnel down and keeps it down. */
	txn = cfg_txn_begin(a.r.cfg);
	cr_assert_not_null(txn);
	cr_assert_eq(cfg_txn_set(txn, "/vrouter-config:crypto/ipsec/"
				 "client-ezvpn[name='EZ']/mode", "client"), 0);
	cr_assert_eq(cfg_txn_commit(txn, err, sizeof(err)), 0, "%s", err);
	tree = cfg_read_lock(a.r.cfg);
	ike_config_apply(a.ike, tree);
	cfg_read_unlock(a.r.cfg);
	cr_assert(ikt_wait(&a, &b, client_unusable, 5));
	/* It stays down: connect auto does not try again. */
	cr_assert(ikt_wait(&a, &b, client_active, 2) == false);
	cr_assert_eq(ike_get_ezvpn(a.ike, &info), 0);
	cr_assert_str_eq(info.state, "CONNECT_REQUIRED");
	cr_assert_not_null(strstr(info.unusable, "mode client needs PAT"));
	cr_assert_eq(ikt_count(&a, true) + ikt_count(&a, false), 0);
	cr_assert_eq(ikt_log_count("%CRYPTO-6-EZVPN_CONNECTION_DOWN"), 1);
	/* The client's DELETEs took the server's pair down too. */
	cr_assert(ikt_wait(&a, &b, server_empty, 5),
		  "the server kept %zu SAs", b.nsas);
}

static _Atomic double fake_now = 1000.0;

static double
fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void
teardown_clock(void)
{
	ikt_pair_stop(&a, &b);
	ikt_set_clock(NULL, NULL);
}

static bool
client_down(struct ikt_side *x, struct ikt_side *y)
{
	(void)y;
	return ikt_log_count("%CRYPTO-6-EZVPN_CONNECTION_DOWN") == 1 &&
	       ikt_count(x, true) == 0;
}

/* Moves the fake clock by SECONDS in steps of one, giving the manager
 * threads a timer tick (100 ms) at each step. */
static void
advance(int seconds)
{
	for (int i = 0; i < seconds; i++) {
		fake_now = fake_now + 1;
		usleep(150000);
	}
}

TestSuite(ezvpn_dpd, .fini = teardown_clock, .timeout = 60);

Test(ezvpn_dpd, dead_server_reconnects)
{
	ikt_log_start();
	ikt_set_clock(fake_clock, NULL);
	ikt_pair_start(&a, CLIENT("LabKey123", "LabPass123",
				  "crypto isakmp keepalive 10 2 periodic\n"),
		       &b, SERVER);
	cr_assert(ikt_wait(&a, &b, both_pairs, 15));
	cr_assert(ikt_wait(&a, &b, client_active, 5));
	first_spi = client_outbound_spi();

	/* The server stops responding. After 10 s and five retries 2 s
	 * apart without a response, the client declares it dead. */
	b.drop_all = true;
	advance(30);
	cr_assert(ikt_wait(&a, &b, client_down, 5),
		  "the client did not go down: %zu SAs", a.nsas);
	cr_assert_geq(ikt_log_count("DPD: peer 10.0.0.2 is dead"), 1);

	/* The server responds again, and connect auto brings new pairs. */
	b.drop_all = false;
	advance(20);
	cr_assert(ikt_wait(&a, &b, new_pairs, 10),
		  "client has %zu SAs, server %zu after DPD", a.nsas, b.nsas);
	cr_assert_eq(ikt_log_count("%CRYPTO-6-EZVPN_CONNECTION_UP"), 2);
}

static bool
never_true(struct ikt_side *x, struct ikt_side *y)
{
	(void)x;
	(void)y;
	return false;
}

/* With connect manual the client waits for the EXEC connect command. */
Test(ezvpn, connect_manual_waits_for_command)
{
	struct ike_ezvpn_info info;

	ikt_log_start();
	ikt_pair_start(&a, CLIENT("LabKey123", "LabPass123",
				  " connect manual\n"), &b, SERVER);
	ikt_wait(&a, &b, never_true, 1);	/* lets a second pass */
	cr_assert_eq(ike_get_ezvpn(a.ike, &info), 0);
	cr_assert_not(info.connect_auto);
	cr_assert_eq(info.connects, 0);
	cr_assert_eq(ikt_count(&a, true), 0);

	cr_assert_eq(ike_ezvpn_connect(a.ike, "OTHER"), -1);
	cr_assert_eq(ike_ezvpn_connect(b.ike, NULL), -1);
	cr_assert_eq(ike_ezvpn_connect(a.ike, "EZ"), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 15),
		  "client has %zu SAs, server %zu", a.nsas, b.nsas);
	cr_assert(ikt_wait(&a, &b, client_active, 5));
	cr_assert_eq(ike_get_ezvpn(a.ike, &info), 0);
	cr_assert_eq(info.connects, 1);
}
