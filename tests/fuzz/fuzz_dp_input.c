/*
 * The packet input path of a configured router: IPv4 and IPv6 parsing,
 * reassembly, ESP with manual SAs installed, ESP in UDP 4500, NAT
 * keepalives and IKE on UDP 500 and 4500, which goes on to the IKE
 * manager's responder with a pre-shared key for the peer.
 *
 * Input: one flags octet (bit 0: Ethernet frames rather than raw IP,
 * bit 1: input on GigabitEthernet2), then up to FZ_BATCH packets, each a
 * 16-bit big-endian length and that many octets. A length past the end
 * takes what is left.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/datapath.h"
#include "fuzz_common.h"
#include "ikemgr/ikemgr.h"

#define FZ_BATCH 16

static const char setup_config[] =
	"crypto isakmp policy 10\n"
	" encryption aes\n"
	" hash sha\n"
	" authentication pre-share\n"
	" group 14\n"
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
	" crypto map VPN\n"
	"interface GigabitEthernet2\n"
	" ip address 192.168.1.254 255.255.255.0\n";

static struct router router;
static uint64_t clock_ns = 1000000000ull;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_router_open(&router, false);
	fz_router_config(&router, setup_config);
	fz_flush_ike(&router);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pkts[FZ_BATCH];
	uint8_t *copies[FZ_BATCH];
	size_t lens[FZ_BATCH], n = 0, off = 1;
	const char *ifname;
	int dlt;

	if (size < 1)
		return 0;
	dlt = data[0] & 1 ? DLT_EN10MB : DLT_RAW;
	ifname = data[0] & 2 ? "GigabitEthernet2" : "GigabitEthernet1";
	while (off < size && n < FZ_BATCH) {
		size_t len = size - off;

		if (len >= 2) {
			size_t want = (size_t)data[off] << 8 | data[off + 1];

			off += 2;
			len = size - off;
			if (want < len)
				len = want;
		}
		/* A copy of its own lets ASan see reads past each packet. */
		copies[n] = malloc(len ? len : 1);
		if (copies[n] == NULL)
			abort();
		if (len > 0)
			memcpy(copies[n], data + off, len);
		pkts[n] = copies[n];
		lens[n] = len;
		n++;
		off += len;
	}
	clock_ns += 1000000;
	if (n > 0 && dp_input_batch(router.dp, ifname, dlt, pkts, lens, n,
				    clock_ns) < 0)
		abort();
	ike_sync(router.ike);
	fz_flush_ike(&router);
	for (size_t i = 0; i < n; i++)
		free(copies[i]);
	return 0;
}
