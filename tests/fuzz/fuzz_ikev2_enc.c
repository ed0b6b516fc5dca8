/*
 * The IKEv2 manager fed messages inside a valid SK payload: for each
 * input the harness negotiates with the manager as the peer 10.1.1.1
 * (fuzz_peer.c), then encrypts and authenticates the input's payload
 * chain with the keys of that IKE SA and posts it.
 *
 * Input: eight octets of header, then the plaintext payload chain.
 *   0: the case, after IKE_SA_INIT:
 *      0, an IKE_AUTH request;
 *      then on an IKE SA with one child SA pair:
 *      1, a CREATE_CHILD_SA request; 2, an INFORMATIONAL request;
 *      3, the response to the INFORMATIONAL with a DELETE that the
 *         manager sends after `clear crypto sa peer`;
 *      4, the response to the CREATE_CHILD_SA that the manager sends
 *         for its crypto map entry once that DELETE is answered;
 *      5, the IKE_AUTH response, after the manager initiated the IKE SA
 *         for its crypto map entry and the harness answered its
 *         IKE_SA_INIT request;
 *   1: options: 0x01 writes the right AUTH for the chain's IDi into its
 *      AUTH payload; 0x02 takes the message ID from octets 3 to 6, else
 *      it is the one the manager expects; 0x04 takes the exchange type
 *      from octet 7; 0x08 flips the R flag;
 *   2: the first payload type inside the SK payload;
 *   3-6: the message ID, big-endian;
 *   7: the exchange type.
 * Every IKEv2 SA is deleted after each input.
 *
 * The child SA's ESP SPIs are FZ_PEER_SPI (0x10000001) at the peer and
 * 0x0f000001 upwards at the manager for each input. NOTE: the manager's
 * IKE SPI, nonces and DH keys are random, so two runs of one input
 * differ in those values, never in the plaintext.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_peer.h"

#define IN_HDR		8
#define OPT_FIX_AUTH	0x01
#define OPT_MSGID	0x02
#define OPT_EXCHANGE	0x04
#define OPT_FLIP_R	0x08

enum fuzz_case {
	CASE_AUTH,
	CASE_CHILD_REQ,
	CASE_INFO_REQ,
	CASE_INFO_RESP,
	CASE_CHILD_RESP,
	CASE_AUTH_RESP,
	CASES
};

static struct router router;
static uint64_t serial;
static uint32_t peer_addr;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_ike_open(&router, &fz_capture, fz_config_v2);
	inet_pton(AF_INET, FZ_PEER, &peer_addr);
	return 0;
}

/* The manager's last message when it is a request of EXCHANGE. */
static bool
manager_request(uint8_t exchange, uint32_t *msgid)
{
	static struct dp_ike_packet sent;
	struct ikev2_hdr h;

	if (!fz_last_sent(&sent) ||
	    ikev2_parse_hdr(sent.data, sent.len, &h) < 0 ||
	    (h.flags & IKEV2_FLAG_R) || h.exchange != exchange)
		return false;
	*msgid = h.msgid;
	return true;
}

/*
 * Brings the manager to the point case C needs: sets the exchange,
 * flags and expected message ID of the fuzzed message. Aborts when the
 * manager does not get there, since the input would then test nothing.
 */
static void
prepare(struct fz_v2 *peer, enum fuzz_case c, uint8_t *exchange,
	uint8_t *flags, uint32_t *msgid)
{
	bool ok = true;

	*flags = 0;
	*msgid = 0;
	if (c == CASE_AUTH) {
		ok = fz_v2_init(peer, &router, ++serial);
		*exchange = IKEV2_IKE_AUTH;
		*msgid = peer->next_msgid;
	} else if (c == CASE_AUTH_RESP) {
		ok = ike_initiate(router.ike, peer_addr) == 0;
		ike_sync(router.ike);
		ok = ok && fz_v2_answer_init(peer, &router, ++serial) &&
		     manager_request(IKEV2_IKE_AUTH, msgid);
		*exchange = IKEV2_IKE_AUTH;
		*flags = IKEV2_FLAG_R;
	} else {
		ok = fz_v2_establish(peer, &router, ++serial);
		*exchange = c == CASE_CHILD_REQ || c == CASE_CHILD_RESP ?
			    IKEV2_CREATE_CHILD_SA : IKEV2_INFORMATIONAL;
		*msgid = peer->next_msgid;
	}
	if (ok && (c == CASE_INFO_RESP || c == CASE_CHILD_RESP)) {
		*flags = IKEV2_FLAG_R;
		ok = ike_clear(router.ike, IKE_CLEAR_PEER_SA, peer_addr, 0) > 0 &&
		     manager_request(IKEV2_INFORMATIONAL, msgid);
	}
	if (ok && c == CASE_CHILD_RESP) {
		ok = fz_v2_answer_last(peer) &&
		     ike_initiate(router.ike, peer_addr) == 0;
		ike_sync(router.ike);
		ok = ok && manager_request(IKEV2_CREATE_CHILD_SA, msgid);
	}
	if (!ok) {
		fprintf(stderr, "fuzz_ikev2_enc: the manager did not reach "
			"the state of case %d\n", (int)c);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[FZ_MSG_MAX];
	struct fz_v2 peer;
	uint8_t *chain, first, opts, exchange, flags;
	enum fuzz_case c;
	uint32_t msgid;
	size_t len, n;

	if (size < IN_HDR || size - IN_HDR > FZ_MSG_MAX - 128)
		return 0;
	c = (enum fuzz_case)(data[0] % CASES);
	opts = data[1];
	first = data[2];
	len = size - IN_HDR;
	chain = malloc(len + 1);
	if (chain == NULL)
		abort();
	memcpy(chain, data + IN_HDR, len);

	fz_reset_spis();
	prepare(&peer, c, &exchange, &flags, &msgid);
	if (opts & OPT_MSGID)
		msgid = (uint32_t)data[3] << 24 | (uint32_t)data[4] << 16 |
			(uint32_t)data[5] << 8 | data[6];
	if (opts & OPT_EXCHANGE)
		exchange = data[7];
	if (opts & OPT_FLIP_R)
		flags ^= IKEV2_FLAG_R;
	if (opts & OPT_FIX_AUTH)
		fz_v2_fix_auth(&peer, first, chain, len);
	n = fz_v2_seal(&peer, exchange, flags, msgid, first, chain, len, msg,
		       sizeof(msg));
	if (n > 0)
		fz_post(&router, msg, n, 500);

	/* A live IKE SA is deleted with a request, and the response to it
	 * removes the SA. */
	if (ike_clear(router.ike, IKE_CLEAR_IKEV2, 0, 0) > 0)
		(void)fz_v2_answer_last(&peer);
	free(chain);
	return 0;
}
