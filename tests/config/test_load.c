/*
 * Loading IOS configuration files: rejected lines are reported with
 * their number and IOS error, good lines apply, and a rendered config
 * loads back into the same text.
 */
#include <criterion/criterion.h>
#include <dirent.h>
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

TestSuite(load, .init = setup, .fini = teardown);

/* Loads TEXT into a new router; returns the rejected count and render. */
static int
load_fresh(const char *text, char **render, char **report)
{
	struct router r = { 0 };
	size_t len = 0;
	FILE *rep;
	int n;

	r.cfg = cfg_create(VR_YANG_DIR);
	cr_assert_not_null(r.cfg);
	rep = open_memstream(report, &len);
	cr_assert_not_null(rep);
	n = config_load_text(&r, "test", text, rep);
	fclose(rep);
	*render = cfg_render_ios(r.cfg);
	cfg_destroy(r.cfg);
	return n;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(load, bad_lines_reported_good_applied)
{
	static const char text[] =
		"!\n"
		"hostname LOADED\n"
		"interface Loopback0\n"
		" ip address 10.0.0.1 255.255.255.255\n"
		" negotiation auto\n"
		"!\n"
		"crypto isakmp policy 10\n"
		" encr aes 512\n"
		" group 14\n"
		"bogus command here\n"
		"\n"
		"ip route 0.0.0.0 0.0.0.0 10.0.0.2\n"
		"end\n"
		"hostname AFTER-END\n";
	char path[200], *report = NULL;
	size_t len = 0;
	FILE *rep;
	int n;

	snprintf(path, sizeof(path), "%s/bad.cfg", fx.dir);
	cr_assert_eq(cfg_file_save(path, text, strlen(text), path + 199, 1),
		     0);
	rep = open_memstream(&report, &len);
	n = config_load_file(&fx.router, path, rep);
	fclose(rep);

	cr_assert_eq(n, 3, "report:\n%s", report);
	cr_assert_eq(count_lines(report), 3, "report:\n%s", report);
	cr_assert_not_null(strstr(report, "line 5: negotiation auto: % Invalid "
				  "input detected at '^' marker.\n"), "%s",
			   report);
	cr_assert_not_null(strstr(report, "line 8: encr aes 512: % Invalid "
				  "input detected at '^' marker.\n"), "%s",
			   report);
	cr_assert_not_null(strstr(report, "line 10: bogus command here: "),
			   "%s", report);
	free(report);

	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "LOADED");
	cr_assert_str_eq(fx_get(&fx, M "interfaces/interface[name='Loopback0']"
				"/ipv4/address"), "10.0.0.1");
	cr_assert_str_eq(fx_get(&fx, M "crypto/isakmp/policy[priority='10']"
				"/group"), "14");
	cr_assert_str_eq(fx_get(&fx, M "routing/static-route[prefix='0.0.0.0']"
				"[mask='0.0.0.0'][next-hop='10.0.0.2']/prefix"),
			 "0.0.0.0");
}

Test(load, unreadable_file_returns_error)
{
	char path[200], *report = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&report, &len);

	snprintf(path, sizeof(path), "%s/absent.cfg", fx.dir);
	cr_assert_eq(config_load_file(&fx.router, path, rep), -1);
	fclose(rep);
	cr_assert_not_null(strstr(report, "absent.cfg"), "%s", report);
	free(report);
}

/* A config that uses every command the renderer prints. */
static const char rich[] =
	"!\n"
	"hostname HQ-EDGE\n"
	"!\n"
	"crypto isakmp policy 5\n"
	" encr 3des\n"
	" hash md5\n"
	" authentication pre-share\n"
	" group 2\n"
	"crypto isakmp policy 10\n"
	" encr aes 256\n"
	" hash sha256\n"
	" authentication pre-share\n"
	" group 14\n"
	" lifetime 28800\n"
	"crypto isakmp key Secret1 address 10.1.1.1\n"
	"crypto isakmp key Any address 0.0.0.0 0.0.0.0 no-xauth\n"
	"crypto isakmp keepalive 10 3 periodic\n"
	"crypto isakmp invalid-spi-recovery\n"
	"!\n"
	"crypto ipsec transform-set TS1 esp-aes 256 esp-sha-hmac \n"
	" mode tunnel\n"
	"!\n"
	"crypto ipsec transform-set TSM esp-aes esp-sha-hmac \n"
	" mode transport\n"
	"!\n"
	"crypto ipsec profile PROT\n"
	" set security-association lifetime kilobytes 100000\n"
	" set transform-set TS1 TSM \n"
	" set pfs group19\n"
	" set ikev2-profile IKEV2-PROF\n"
	"!\n"
	"crypto map VPNMAP 10 ipsec-isakmp \n"
	" description to branch 1\n"
	" set peer 10.1.1.1\n"
	" set peer 10.1.1.3\n"
	" set peer 10.1.1.2 default\n"
	" set security-association lifetime seconds 3600\n"
	" set transform-set TS1 \n"
	" set pfs group14\n"
	" match address VPN-ACL\n"
	" reverse-route\n"
	"!\n"
	"crypto map VPNMAP 20 ipsec-manual \n"
	" set peer 10.2.2.2\n"
	" set session-key inbound esp 4096 cipher "
	"00112233445566778899aabbccddeeff authenticator "
	"0123456789abcdef0123456789abcdef01234567\n"
	" set session-key outbound esp 8192 cipher "
	"ffeeddccbbaa99887766554433221100 authenticator "
	"76543210fedcba9876543210fedcba9876543210\n"
	" set transform-set TSM \n"
	" match address 101\n"
	"!\n"
	"crypto map VPNMAP 65535 ipsec-isakmp dynamic DYN \n"
	"!\n"
	"interface Loopback0\n"
	" ip address 10.255.0.1 255.255.255.255\n"
	"!\n"
	"interface GigabitEthernet1\n"
	" description WAN uplink\n"
	" ip address 10.10.1.2 255.255.255.0\n"
	" crypto map VPNMAP\n"
	"!\n"
	"interface GigabitEthernet2\n"
	" no ip address\n"
	" shutdown\n"
	"!\n"
	"ip route 0.0.0.0 0.0.0.0 10.10.1.1\n"
	"ip route 192.168.1.0 255.255.255.0 GigabitEthernet1 10.10.1.1 200\n"
	"!\n"
	"ip access-list standard MGMT\n"
	" permit 10.0.0.0 0.255.255.255\n"
	" deny any log\n"
	"!\n"
	"ip access-list extended ALPHA\n"
	" permit ip any any\n"
	"!\n"
	"ip access-list extended VPN-ACL\n"
	" remark protected traffic\n"
	" permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n"
	" deny tcp any host 10.1.1.1 eq www log\n"
	"!\n"
	"access-list 101 permit esp host 10.10.1.2 host 10.1.1.1\n"
	"access-list 101 permit udp any range 1000 2000 any eq non500-isakmp\n"
	"!\n"
	"end\n";

Test(load, rich_config_round_trip)
{
	char *render, *again, *report;

	cr_assert_eq(load_fresh(rich, &render, &report), 0, "report:\n%s",
		     report);
	free(report);
	cr_assert_str_eq(render, rich);

	cr_assert_eq(load_fresh(render, &again, &report), 0, "report:\n%s",
		     report);
	free(report);
	cr_assert_str_eq(again, render);
	free(render);
	free(again);
}

/* True when LINE starts with PREFIX. */
static bool
starts(const char *line, const char *prefix)
{
	return !strncmp(line, prefix, strlen(prefix));
}

/*
 * Checks that each supported block opener of FILE that was not reported
 * shows up in RENDER.
 */
static void
check_supported_lines(const char *name, const char *text,
		      const char *report, const char *render)
{
	char *copy = strdup(text), *line, *save = NULL, tag[64], want[256];
	char *p;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if ((p = strchr(line, '\r')))
			*p = '\0';
		while (strlen(line) && line[strlen(line) - 1] == ' ')
			line[strlen(line) - 1] = '\0';
		snprintf(tag, sizeof(tag), ": %s: ", line);
		if (strstr(report, tag))
			continue;
		if (starts(line, "crypto isakmp policy ") ||
		    starts(line, "hostname ")) {
			snprintf(want, sizeof(want), "%s\n", line);
		} else if (starts(line, "crypto map ") &&
			   strstr(line, " ipsec-")) {
			snprintf(want, sizeof(want), "%s \n", line);
		} else if (starts(line, "crypto ipsec transform-set ")) {
			snprintf(want, sizeof(want), "%s", line);
		} else {
			continue;
		}
		cr_expect_not_null(strstr(render, want),
				   "%s: applied \"%s\" missing from render",
				   name, line);
	}
	free(copy);
}

Test(load, external_configs_load)
{
	const char *shared = getenv("VR_SHARED_DIR");
	char dir[512], path[1024];
	struct dirent *de;
	DIR *d;
	int files = 0;

	cr_assert_not_null(shared, "VR_SHARED_DIR is not set; it must name "
			   "the folder with cases/external/configs");
	snprintf(dir, sizeof(dir), "%s/cases/external/configs", shared);
	d = opendir(dir);
	cr_assert_not_null(d, "cannot open %s", dir);
	while ((de = readdir(d))) {
		char *text, *render, *report, *again, *report2;
		size_t len;
		int n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		text = cfg_file_read(path, &len);
		cr_assert_not_null(text, "cannot read %s", path);
		n = load_fresh(text, &render, &report);
		cr_assert_geq(n, 0, "%s", de->d_name);
		cr_assert_eq(count_lines(report), n,
			     "%s: %d rejected, report:\n%s", de->d_name, n,
			     report);
		check_supported_lines(de->d_name, text, report, render);

		/* What was applied renders into a config that loads cleanly. */
		cr_assert_eq(load_fresh(render, &again, &report2), 0,
			     "%s: render does not reload:\n%s", de->d_name,
			     report2);
		cr_assert_str_eq(again, render, "%s", de->d_name);
		free(text);
		free(render);
		free(report);
		free(again);
		free(report2);
		files++;
	}
	closedir(d);
	cr_assert_gt(files, 0, "no configs in %s", dir);
}

Test(load, rejected_block_does_not_reuse_mode)
{
	static const char text[] =
		"crypto ipsec transform-set T esp-aes esp-sha-hmac\n"
		"crypto map M 10 ipsec-isakmp\n"
		" set peer 10.1.1.1\n"
		"crypto gdoi group D\n"
		" set pfs group2\n";
	char *render, *report;

	cr_assert_eq(load_fresh(text, &render, &report), 1, "%s", report);
	cr_assert_not_null(strstr(report, "line 4: crypto gdoi group D: %"
				  " Invalid input detected at '^' marker. "
				  "(1 indented line skipped with it)\n"), "%s",
			   report);
	cr_assert_null(strstr(render, "set pfs"), "%s", render);
	free(render);
	free(report);
}
