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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Whether the manager sent anything since the last post, written by its
 * thread. */
static pthread_mutex_t reply_lock = PTHREAD_MUTEX_INITIALIZER;
static bool replied;

static int
note_reply(void *ctx, const struct dp_ike_packet *pkt)
{
	(void)ctx;
	(void)pkt;
	pthread_mutex_lock(&reply_lock);
	replied = true;
	pthread_mutex_unlock(&reply_lock);
	return 0;
}

static const struct ike_transport capture = {
	.send = note_reply,
	.install = fz_install_nothing,
	.remove = fz_remove_nothing,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_ike_open(&router, &capture, setup_config);
	return 0;
}

static uint64_t
handled(void)
{
	struct ike_counters c;
	struct ike_v2_stats s;

	ike_get_counters(router.ike, &c);
	ike_get_v2_stats(router.ike, &s);
	return c.packets_dropped + s.rx_req[IKE_V2_SA_INIT];
}

/*
 * Posts DATA from the peer and waits until the manager replied, counted
 * a drop or counted an IKE_SA_INIT request, for at most 50 ms: packets
 * have a queue of their own, which ike_sync() does not wait for.
 */
static void
post(const uint8_t *data, size_t size)
{
	struct dp_ike_packet pkt;
	uint64_t before = handled();
	bool done = false;

	memset(&pkt, 0, sizeof(pkt));
	inet_pton(AF_INET, "10.1.1.1", &pkt.src);
	inet_pton(AF_INET, "10.10.1.2", &pkt.dst);
	pkt.sport = pkt.dport = 500;
	snprintf(pkt.ifname, sizeof(pkt.ifname), "GigabitEthernet1");
	if (size > sizeof(pkt.data))
		size = sizeof(pkt.data);
	memcpy(pkt.data, data, size);
	pkt.len = (uint16_t)size;
	pthread_mutex_lock(&reply_lock);
	replied = false;
	pthread_mutex_unlock(&reply_lock);
	ike_post_packet(router.ike, &pkt);
	for (int i = 0; i < 500 && !done; i++) {
		pthread_mutex_lock(&reply_lock);
		done = replied;
		pthread_mutex_unlock(&reply_lock);
		if (!done && handled() == before)
			nanosleep(&(struct timespec){ 0, 100000 }, NULL);
		else
			done = true;
	}
	ike_sync(router.ike);
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
		post(msg, size - 1);
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
		post(msg, HDR_LEN + size - 2);
	}
	(void)ike_clear(router.ike, IKE_CLEAR_IKEV2, 0, 0);
	free(msg);
	return 0;
}
