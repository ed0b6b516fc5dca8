/*
 * The IKE manager as a responder, fed messages through ike_post_packet()
 * the way the datapath hands them over, with a transport that keeps the
 * replies instead of sending them.
 *
 * Input: one octet that picks the case, then a message.
 *   0: the message arrives from the IKEv1 peer 10.1.1.1 on UDP 500;
 *   1: a valid Main Mode MM1 from 10.1.1.1 goes first, and the message
 *      follows as MM3 of that exchange, its cookies set to the pair the
 *      MM2 reply chose (the responder then parses KE, nonce and NAT-D
 *      and computes the DH secret);
 *   2: the message arrives on UDP 4500 with the non-ESP marker, as
 *      after a NAT-T port float;
 *   3: the manager starts Main Mode with 10.1.1.1 as its crypto map
 *      would, and the message follows as MM2, with the initiator cookie
 *      of the MM1 it sent (the initiator parses the chosen proposal).
 * Every IKE SA is cleared after each input, so each starts afresh.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/datapath.h"
#include "fuzz_common.h"
#include "ikemgr/ikemgr.h"

static const char setup_config[] =
	"crypto isakmp policy 10\n"
	" encryption aes\n"
	" hash sha\n"
	" authentication pre-share\n"
	" group 14\n"
	"crypto isakmp key FuzzPeerKey address 10.1.1.1\n"
	"crypto ipsec transform-set TS esp-aes esp-sha-hmac\n"
	"access-list 110 permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255\n"
	"crypto map VPN 10 ipsec-isakmp\n"
	" set peer 10.1.1.1\n"
	" set transform-set TS\n"
	" match address 110\n"
	"interface GigabitEthernet1\n"
	" ip address 10.10.1.2 255.255.255.0\n"
	" crypto map VPN\n";

/* Main Mode MM1: one proposal of AES-128, SHA-1, pre-shared key, group
 * 14 and a lifetime of 86400 s (RFC 2409 appendix A attributes). */
static const uint8_t mm1[] = {
	/* Header: initiator cookie (patched), responder cookie 0. */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 0x10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 88,
	/* SA payload: DOI IPsec, situation identity only. */
	0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 1,
	/* Proposal 1: ISAKMP, no SPI, one transform. */
	0, 0, 0, 48, 1, 1, 0, 1,
	/* Transform 1: KEY_IKE. */
	0, 0, 0, 40, 1, 1, 0, 0,
	0x80, 0x01, 0x00, 0x07, 0x80, 0x0e, 0x00, 0x80,
	0x80, 0x02, 0x00, 0x02, 0x80, 0x03, 0x00, 0x01,
	0x80, 0x04, 0x00, 0x0e, 0x80, 0x0b, 0x00, 0x01,
	0x00, 0x0c, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80,
};

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

/* Posts DATA from the peer on PORT; returns whether the manager sent a
 * message while it handled it, and that message in REPLY. */
static bool
post(const uint8_t *data, size_t size, uint16_t port,
     struct dp_ike_packet *reply)
{
	size_t count = fz_sent_count();

	fz_post(&router, data, size, port);
	return fz_sent_count() != count && fz_last_sent(reply);
}

/* Starts Main Mode with a fresh cookie; fills RCOOKIE from MM2. */
static bool
start_main_mode(uint8_t icookie[8], uint8_t rcookie[8])
{
	static struct dp_ike_packet reply;
	uint8_t msg[sizeof(mm1)];
	bool ok;

	counter++;
	memcpy(icookie, "fz", 2);
	for (int i = 0; i < 6; i++)
		icookie[2 + i] = (uint8_t)(counter >> (8 * i));
	memcpy(msg, mm1, sizeof(mm1));
	memcpy(msg, icookie, 8);
	ok = post(msg, sizeof(msg), 500, &reply) && reply.len >= 28 &&
	     memcmp(reply.data, icookie, 8) == 0;
	if (ok)
		memcpy(rcookie, reply.data + 8, 8);
	return ok;
}

/* Makes the manager initiate Main Mode; fills ICOOKIE from its MM1. */
static bool
initiate_main_mode(uint8_t icookie[8])
{
	static struct dp_ike_packet sent;
	size_t count = fz_sent_count();
	uint32_t peer;
	bool ok;

	inet_pton(AF_INET, "10.1.1.1", &peer);
	if (ike_initiate(router.ike, peer) < 0)
		return false;
	/* The manager sends MM1 while it handles the request. */
	ike_sync(router.ike);
	ok = fz_sent_count() != count && fz_last_sent(&sent) &&
	     sent.len >= 28 && sent.data[18] == 2;
	if (ok)
		memcpy(icookie, sent.data, 8);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_ike_packet reply;
	uint8_t icookie[8], rcookie[8], *msg;

	if (size < 1)
		return 0;
	msg = malloc(size);
	if (msg == NULL)
		abort();
	memcpy(msg, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		post(msg, size - 1, 500, &reply);
		break;
	case 1:
		if (!start_main_mode(icookie, rcookie)) {
			struct ike_counters c;

			ike_get_counters(router.ike, &c);
			/* The responder must answer a valid MM1. */
			fprintf(stderr, "fuzz_ike: no MM2 for a valid MM1 "
				"(%llu messages dropped)\n",
				(unsigned long long)c.packets_dropped);
			abort();
		}
		if (size - 1 >= 20) {
			memcpy(msg, icookie, 8);
			memcpy(msg + 8, rcookie, 8);
			msg[18] = 2;	/* Main Mode */
		}
		post(msg, size - 1, 500, &reply);
		break;
	case 2:
		post(msg, size - 1, 4500, &reply);
		break;
	default:
		if (!initiate_main_mode(icookie)) {
			fprintf(stderr, "fuzz_ike: ike_initiate() sent no "
				"MM1\n");
			abort();
		}
		if (size - 1 >= 20) {
			memcpy(msg, icookie, 8);
			msg[18] = 2;	/* Main Mode */
		}
		post(msg, size - 1, 500, &reply);
		break;
	}
	(void)ike_clear(router.ike, IKE_CLEAR_ISAKMP, 0, 0);
	free(msg);
	return 0;
}
