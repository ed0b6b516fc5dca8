/*
 * The command engine: random lines in every mode against a running
 * router's config store, datapath and IKE manager.
 *
 * Input: one octet that picks the mode the session starts in (see
 * preludes[]), then lines separated by newlines. Lines that start with
 * ping or traceroute are skipped because each waits seconds for replies.
 * The ping and traceroute parsers have tests of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/vty.h"
#include "fuzz_common.h"

/* Commands that enter each mode from privileged EXEC. */
static const char *const preludes[] = {
	"",
	"configure terminal",
	"configure terminal\ninterface GigabitEthernet1",
	"configure terminal\ninterface Tunnel0",
	"configure terminal\ncrypto isakmp policy 10",
	"configure terminal\ncrypto ipsec transform-set TS esp-aes esp-sha-hmac",
	"configure terminal\ncrypto map VPN 10 ipsec-isakmp",
	"configure terminal\ncrypto map VPN 20 ipsec-manual",
	"configure terminal\ncrypto keyring KR",
	"configure terminal\ncrypto isakmp profile PROF",
	"configure terminal\ncrypto ipsec profile IPP",
	"configure terminal\ncrypto ikev2 proposal P2",
	"configure terminal\ncrypto ikev2 policy POL",
	"configure terminal\ncrypto ikev2 keyring K2\npeer P",
	"configure terminal\ncrypto ikev2 profile PR2",
	"configure terminal\nip access-list extended ACL",
	"configure terminal\nline vty 0 4",
	"configure terminal\nline con 0",
	"configure terminal\narchive",
	"configure terminal\nevent manager applet A",
	"configure terminal\nvrf definition V",
	"configure terminal\ncrypto isakmp client configuration group G",
	"disable",
};

#define NPRELUDES (sizeof(preludes) / sizeof(preludes[0]))

static struct router router;
static char startup_path[64];

static int
discard_write(struct vty *vty, const char *buf, size_t len)
{
	(void)vty;
	(void)buf;
	(void)len;
	return 0;
}

static int
empty_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	(void)vty;
	(void)echo;
	if (len > 0)
		buf[0] = '\0';
	return 0;
}

static int
return_key(struct vty *vty)
{
	(void)vty;
	return '\r';
}

static const struct vty_io fuzz_io = {
	.write = discard_write,
	.read_line = empty_read_line,
	.read_key = return_key,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/vr-fuzz-cli-XXXXXX";

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(startup_path, sizeof(startup_path), "%s/startup-config", dir);
	fz_router_open(&router, true);
	router.startup_config_path = startup_path;
	return 0;
}

static bool
skipped(const char *line)
{
	size_t n;

	line += strspn(line, " \t");
	n = strcspn(line, " \t");
	if (n == 0)
		return false;
	return strncmp(line, "ping", n) == 0 ||
	       strncmp(line, "traceroute", n) == 0;
}

static void
run_lines(struct vty *vty, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (skipped(line))
			continue;
		(void)cmd_execute(vty, line, 0);
		vty_flush(vty);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vty vty;
	char *prelude, *text;

	if (size < 1)
		return 0;
	vty_init(&vty, &router, &fuzz_io, NULL, "vty 0", false);
	vty.term_length = 0;
	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty.privilege = 15;
	prelude = strdup(preludes[data[0] % NPRELUDES]);
	text = fz_strndup(data + 1, size - 1);
	if (prelude == NULL)
		abort();
	run_lines(&vty, prelude);
	run_lines(&vty, text);
	vty_release(&vty);
	free(prelude);
	free(text);
	return 0;
}
