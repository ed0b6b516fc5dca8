/*
 * The IKE manager as an IKEv2 responder to IKE_SA_INIT, fed messages
 * through ike_post_packet() with a transport that keeps the replies.
 *
 * Input: one octet that picks the case, then the rest.
 *   0: the rest is a whole message from 10.1.1.1 on UDP 500;
 *   1: the rest is the payload chain of an IKE_SA_INIT request whose
 *      header the harness writes: a fresh SPIi, the first payload type
 *      from the first octet of the rest, message ID 0, the I flag and
 *      the right length. The responder parses the SA, KE, nonce and
 *      notify payloads, and for a valid proposal computes DH and keys.
 * Every IKEv2 SA is cleared after each input, so each starts afresh.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/datapath.h"
#include "fuzz_common.h"
#include "ikemgr/ikemgr.h"

static const char setup_config[] =
	"crypto ikev2 proposal PROP\n"
	" encryption aes-cbc-256\n"
	" integrity sha256\n"
	" group 14\n"
	"crypto ikev2 policy POL\n"
	" proposal PROP\n"
	"crypto ikev2 keyring KR\n"
	" peer P\n"
	"  address 10.1.1.1\n"
	"  pre-shared-key FuzzPeerKey\n"
	"crypto ikev2 profile PROF\n"
	" match identity remote address 10.1.1.1 255.255.255.255\n"
	" authentication remote pre-share\n"
	" authentication local pre-share\n"
	" keyring local KR\n"
	"crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n"
	"access-list 110 permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n"
	"crypto map VPN 10 ipsec-isakmp\n"
	" set peer 10.1.1.1\n"
	" set transform-set TS\n"
	" set ikev2-profile PROF\n"
	" match address 110\n"
	"interface GigabitEthernet1\n"
	" ip address 10.10.1.2 255.255.255.0\n"
	" crypto map VPN\n";

#define HDR_LEN		28

static struct router router;
static uint64_t counter;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_ike_open(&router, &fz_capture, setup_config);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len;
	uint8_t *msg;

	if (size < 2)
		return 0;
	msg = calloc(1, HDR_LEN + size);
	if (msg == NULL)
		abort();
	if (data[0] % 2 == 0) {
		memcpy(msg, data + 1, size - 1);
		fz_post(&router, msg, size - 1, 500);
	} else {
		counter++;
		memcpy(msg, "fz2", 3);
		for (int i = 0; i < 5; i++)
			msg[3 + i] = (uint8_t)(counter >> (8 * i));
		msg[16] = data[1];
		msg[17] = 0x20;		/* IKEv2 */
		msg[18] = 34;		/* IKE_SA_INIT */
		msg[19] = 0x08;		/* Initiator */
		len = htonl((uint32_t)(HDR_LEN + size - 2));
		memcpy(msg + 24, &len, 4);
		memcpy(msg + HDR_LEN, data + 2, size - 2);
		fz_post(&router, msg, HDR_LEN + size - 2, 500);
	}
	(void)ike_clear(router.ike, IKE_CLEAR_IKEV2, 0, 0);
	free(msg);
	return 0;
}
