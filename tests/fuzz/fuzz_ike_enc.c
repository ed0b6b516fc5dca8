/*
 * The IKEv1 responder fed encrypted messages: for each input the harness
 * runs Main Mode with the manager as the peer 10.1.1.1 (fuzz_peer.c),
 * then encrypts the input's payload chain with the keys of that
 * exchange and posts it.
 *
 * Input: seven octets of header, then the plaintext payload chain.
 *   0: the case: 0, MM5 after MM4 (encrypted with the phase 1 IV
 *      chain); 1, a Quick Mode QM1 after phase 1; 2, an Informational
 *      after phase 1 (both with the phase 2 IV of their message ID);
 *      3, QM2 of the Quick Mode that the manager starts for its crypto
 *      map entry after phase 1 (with QM1's last block as IV);
 *   1: options: 0x01 writes the right HASH_I (MM5), HASH(1) or HASH(2)
 *      (QM2) into the chain's HASH payload; 0x02 takes the message ID
 *      from octets 3 to 6, else MM5 has 0, QM2 that of QM1 and the
 *      others 0x4655a001;
 *   2: the first payload type, the header's next payload;
 *   3-6: the message ID, big-endian.
 * Every IKE and IPsec SA is cleared after each input.
 *
 * The manager's ESP SPIs start at 0x0f000001 for each input. NOTE: its
 * cookies, nonces and DH keys are random, so two runs of one input
 * differ in those values, never in the plaintext.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_peer.h"
#include "ikemgr/isakmp.h"

#define IN_HDR		7
#define OPT_FIX_HASH	0x01
#define OPT_MSGID	0x02
#define DEFAULT_MSGID	0x4655a001u

enum fuzz_case {
	CASE_MM5,
	CASE_QM1,
	CASE_INFO,
	CASE_QM2,
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
	fz_ike_open(&router, &fz_capture, fz_config_v1);
	inet_pton(AF_INET, FZ_PEER, &peer_addr);
	return 0;
}

/* Makes the manager start Quick Mode for its crypto map entry over the
 * ISAKMP SA of PEER, as traffic would, and reads its QM1 into QM. */
static bool
manager_qm1(const struct fz_v1 *peer, struct fz_v1_qm *qm)
{
	static struct dp_ike_packet sent;
	size_t count = fz_sent_count();

	if (ike_initiate(router.ike, peer_addr) < 0)
		return false;
	ike_sync(router.ike);
	return fz_sent_count() != count && fz_last_sent(&sent) &&
	       fz_v1_take_qm1(peer, &sent, qm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[FZ_MSG_MAX];
	static const uint8_t exchanges[CASES] = {
		ISAKMP_XCHG_IDPROT, ISAKMP_XCHG_QUICK, ISAKMP_XCHG_INFO,
		ISAKMP_XCHG_QUICK,
	};
	struct fz_v1_qm qm;
	struct fz_v1 peer;
	enum fuzz_case c;
	uint8_t *chain, first, opts, exchange;
	size_t len, n;
	uint32_t msgid;

	if (size < IN_HDR || size - IN_HDR > FZ_MSG_MAX - 64)
		return 0;
	c = (enum fuzz_case)(data[0] % CASES);
	exchange = exchanges[c];
	opts = data[1];
	first = data[2];
	msgid = (uint32_t)data[3] << 24 | (uint32_t)data[4] << 16 |
		(uint32_t)data[5] << 8 | data[6];
	if (!(opts & OPT_MSGID))
		msgid = exchange == ISAKMP_XCHG_IDPROT ? 0 : DEFAULT_MSGID;
	len = size - IN_HDR;
	chain = malloc(len + 1);
	if (chain == NULL)
		abort();
	memcpy(chain, data + IN_HDR, len);

	fz_reset_spis();
	if (!fz_v1_to_mm4(&peer, &router, ++serial) ||
	    (c != CASE_MM5 && !fz_v1_mm5(&peer))) {
		fprintf(stderr, "fuzz_ike_enc: Main Mode with the manager "
			"failed before the input\n");
		abort();
	}
	if (c == CASE_QM2 && !manager_qm1(&peer, &qm)) {
		fprintf(stderr, "fuzz_ike_enc: the manager started no Quick "
			"Mode after phase 1\n");
		abort();
	}
	if (c == CASE_QM2 && !(opts & OPT_MSGID))
		msgid = qm.msgid;
	qm.msgid = msgid;
	if ((opts & OPT_FIX_HASH) && c == CASE_MM5)
		fz_v1_fix_hash_i(&peer, first, chain, len);
	else if ((opts & OPT_FIX_HASH) && c == CASE_QM2)
		fz_v1_fix_hash2(&peer, &qm, first, chain, len);
	else if (opts & OPT_FIX_HASH)
		fz_v1_fix_hash1(&peer, msgid, first, chain, len);
	if (c == CASE_QM2)
		n = fz_v1_seal_qm(&peer, &qm, first, chain, len, msg,
				  sizeof(msg));
	else
		n = fz_v1_seal(&peer, exchange, msgid, first, chain, len, msg,
			       sizeof(msg));
	if (n > 0)
		fz_post(&router, msg, n, 500);

	(void)ike_clear(router.ike, IKE_CLEAR_SESSION, 0, 0);
	fz_v1_free(&peer);
	free(chain);
	return 0;
}
