/*
 * Capture files as `replay` reads them: libpcap's file parser and then
 * each packet through the input path of a configured router, with the
 * link type the file declares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "datapath/datapath.h"
#include "fuzz_common.h"
#include "ikemgr/ikemgr.h"

static const char setup_config[] =
	"crypto isakmp key FuzzPeerKey address 10.1.1.1\n"
	"crypto ipsec transform-set TS esp-aes esp-sha-hmac\n"
	"access-list 110 permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255\n"
	"crypto map VPN 10 ipsec-manual\n"
	" set peer 10.1.1.1\n"
	" set transform-set TS\n"
	" match address 110\n"
	" set session-key inbound esp 4096 cipher 000102030405060708090a0b0c0d0e0f authenticator 0102030405060708090a0b0c0d0e0f1011121314\n"
	" set session-key outbound esp 4097 cipher 000102030405060708090a0b0c0d0e0f authenticator 0102030405060708090a0b0c0d0e0f1011121314\n"
	"interface GigabitEthernet1\n"
	" ip address 10.10.1.2 255.255.255.0\n"
	" crypto map VPN\n";

static struct router router;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/vr-fuzz-pcap-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	fz_router_open(&router, true);
	fz_router_config(&router, setup_config);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	FILE *f = fopen(path, "w");

	if (f == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	if (dp_replay(router.dp, "GigabitEthernet1", path, err,
		      sizeof(err)) == 0)
		dp_sync(router.dp);
	ike_sync(router.ike);
	return 0;
}
