/*
 * espgen output replayed into a router: it decapsulates with the same
 * keys configured as an ipsec-manual crypto map, and with no SA it
 * produces the RECVD_PKT_INV_SPI line for the chosen SPI.
 */
#include <criterion/criterion.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp_test.h"

#define IF "/vrouter-config:interfaces/interface[name='GigabitEthernet1']"
#define TS "/vrouter-config:crypto/ipsec/transform-set[name='TS']"
#define MAP "/vrouter-config:crypto/map[name='VPN']/entry[sequence='10']"
#define AES256 "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
#define SHA256 "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
#define GCM256 AES256 "01020304"

extern char **environ;

static struct dpt_router router;
static struct dpt_log log_lines;
static char dir[] = "/tmp/vr-espgen-XXXXXX";
static char pcap_path[256];

static void
setup(void)
{
	static const char *const pairs[] = {
		IF "/ipv4/address", "10.10.1.2",
		IF "/ipv4/mask", "255.255.255.0",
		IF "/crypto-map", "VPN",
		NULL, NULL,
	};

	cr_assert_not_null(mkdtemp(dir));
	snprintf(pcap_path, sizeof(pcap_path), "%s/out.pcap", dir);
	dpt_log_start(&log_lines);
	dpt_router_start(&router, true);
	dpt_commit(&router, pairs);
}

static void
teardown(void)
{
	dpt_router_stop(&router);
	dpt_log_stop(&log_lines);
	unlink(pcap_path);
	rmdir(dir);
}

TestSuite(espgen, .init = setup, .fini = teardown);

/* Runs espgen with ARGS (NULL-terminated) after "-o PCAP_PATH". */
static void
espgen(const char *const *args)
{
	const char *build = getenv("VR_BUILD_DIR");
	char bin[512];
	char *argv[32];
	int n = 0, status;
	pid_t pid;

	cr_assert(build != NULL, "VR_BUILD_DIR is not set");
	snprintf(bin, sizeof(bin), "%s/tools/espgen", build);
	argv[n++] = bin;
	argv[n++] = (char *)(uintptr_t)"-o";
	argv[n++] = pcap_path;
	for (int i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = (char *)(uintptr_t)args[i];
	argv[n] = NULL;
	cr_assert(posix_spawn(&pid, bin, NULL, NULL, argv, environ) == 0,
		  "cannot run %s", bin);
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "espgen failed with status %d", status);
}

static void
replay(void)
{
	char err[256] = "";

	cr_assert(dp_replay(router.dp, "GigabitEthernet1", pcap_path, err,
			    sizeof(err)) == 0, "%s", err);
	dp_sync(router.dp);
}

static struct dp_sa_counters
inbound_counters(void)
{
	struct dp_sa_info *sas = NULL;
	int n = dp_get_sas(router.dp, &sas);
	struct dp_sa_counters c;

	cr_assert_eq(n, 1, "%d SAs installed", n);
	c = sas[0].counters;
	free(sas);
	return c;
}

/* Manual crypto map entry VPN 10 with an AES-256-CBC, HMAC-SHA-256 SA. */
static const char *const aes_sha256_entry[] = {
	TS "/transform[.='esp-aes']", NULL,
	TS "/transform[.='esp-sha256-hmac']", NULL,
	TS "/key-size", "256",
	MAP "/type", "ipsec-manual",
	MAP "/peer[.='10.1.1.1']", NULL,
	MAP "/transform-set[.='TS']", NULL,
	MAP "/session-key/inbound/esp/spi", "4096",
	MAP "/session-key/inbound/esp/cipher", AES256,
	MAP "/session-key/inbound/esp/authenticator", SHA256,
	NULL, NULL,
};

Test(espgen, aes_cbc_sha256_round_trip)
{
	static const char *const args[] = {
		"--src", "10.1.1.1", "--dst", "10.10.1.2", "--spi", "4096",
		"--enc", "aes-256-cbc", "--enc-key", AES256,
		"--auth", "hmac-sha256-128", "--auth-key", SHA256,
		"-c", "20", "--seq", "100", NULL,
	};
	struct dp_sa_counters c;

	dpt_commit(&router, aes_sha256_entry);
	espgen(args);
	replay();
	c = inbound_counters();
	cr_assert_eq(c.decaps, 20);
	cr_assert_eq(c.verify, 20);
	cr_assert_eq(c.decaps_failed, 0);
}

Test(espgen, gcm_udp_transport_round_trip)
{
	static const char *const args[] = {
		"--src", "10.1.1.1", "--dst", "10.10.1.2", "--spi", "0x2000",
		"--enc", "aes-256-gcm", "--enc-key", GCM256, "--udp",
		"--mode", "transport", "-c", "5", NULL,
	};
	static const char *const pairs[] = {
		TS "/transform[.='esp-gcm']", NULL,
		TS "/key-size", "256",
		TS "/mode", "transport",
		MAP "/type", "ipsec-manual",
		MAP "/peer[.='10.1.1.1']", NULL,
		MAP "/transform-set[.='TS']", NULL,
		MAP "/session-key/inbound/esp/spi", "8192",
		MAP "/session-key/inbound/esp/cipher", GCM256,
		NULL, NULL,
	};
	struct dp_stats st;

	dpt_commit(&router, pairs);
	espgen(args);
	replay();
	cr_assert_eq(inbound_counters().decaps, 5);
	dp_get_stats(router.dp, &st);
	/* Transport mode: the ICMP echoes were for this router. */
	cr_assert_eq(st.local_delivered, 5);
}

Test(espgen, unknown_spi_logged)
{
	static const char *const args[] = {
		"--src", "10.1.1.1", "--dst", "10.10.1.2",
		"--spi", "0xB761863E", NULL,
	};

	espgen(args);
	replay();
	cr_assert_eq(dpt_global_drops(router.dp, "IpsecInput"), 8);
	cr_assert_eq(dpt_log_count(&log_lines,
		"%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has "
		"invalid spi for destaddr=10.10.1.2, prot=50, "
		"spi=0xB761863E(3076621886), srcaddr=10.1.1.1, "
		"input interface=GigabitEthernet1"), 1);
}

Test(espgen, wrong_auth_key_logs_mac_error)
{
	static const char *const args[] = {
		"--src", "10.1.1.1", "--dst", "10.10.1.2", "--spi", "4096",
		"--enc", "aes-256-cbc", "--enc-key", AES256,
		"--auth", "hmac-sha256-128", "--auth-key",
		"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c"
		"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		"-c", "20", NULL,
	};
	struct dp_sa_info *sas = NULL;
	char line[128];
	int n;

	dpt_commit(&router, aes_sha256_entry);
	espgen(args);
	replay();
	n = dp_get_sas(router.dp, &sas);
	cr_assert_eq(n, 1, "%d SAs installed", n);
	cr_assert_eq(sas[0].counters.verify_failed, 20);
	snprintf(line, sizeof(line), "%%CRYPTO-4-RECVD_PKT_MAC_ERR: decrypt: "
		 "mac verify failed for connection id=%u", sas[0].conn_id);
	free(sas);
	/* Twenty failures within a minute make one line. */
	cr_assert_eq(dpt_log_count(&log_lines, line), 1);
	cr_assert_eq(dpt_log_count(&log_lines, "RECVD_PKT_MAC_ERR"), 1);
	cr_assert_eq(dpt_log_count(&log_lines, "PKT_REPLAY_ERR"), 0);
}
