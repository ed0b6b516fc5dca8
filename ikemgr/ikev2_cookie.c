/*
 * COOKIE under load (RFC 7296 2.6). Once the half-open IKEv2 SAs reach
 * `crypto ikev2 cookie-challenge N`, the responder replies to IKE_SA_INIT
 * with a COOKIE notify and keeps no state, so a flood from forged
 * addresses costs neither memory nor a DH computation. Only a retry
 * that returns a valid cookie goes on.
 *
 * cookie = version | HMAC-SHA256(secret of that version, Ni | IPi | SPIi)
 *
 * The secret changes every SECRET_LIFE_SEC; a cookie made with the one
 * before is still accepted so that a retry in flight across a change
 * gets through.
 */
#include "ikemgr/ikev2_sa.h"
#include "ikemgr/ike_crypto.h"
#include "ikemgr/isakmp.h"

#include <openssl/crypto.h>
#include <stdatomic.h>
#include <string.h>

#define SECRET_LIFE_SEC		120.0
#define COOKIE_LEN		(4 + 32)

static int
refresh_secret(struct ikemgr *ike, struct ikev2_state *st)
{
	double now = ike_now(ike);

	if (st->cookie_ver != 0 && now - st->cookie_rotated < SECRET_LIFE_SEC)
		return 0;
	memcpy(st->cookie_secret[1], st->cookie_secret[0],
	       sizeof(st->cookie_secret[1]));
	if (ike_random(st->cookie_secret[0], sizeof(st->cookie_secret[0])) < 0)
		return -1;
	st->cookie_ver++;
	st->cookie_rotated = now;
	return 0;
}

static int
make_cookie(const uint8_t *secret, uint32_t ver, const uint8_t *ni,
	    size_t ni_len, uint32_t peer, const uint8_t spii[8],
	    uint8_t out[COOKIE_LEN])
{
	struct ike_chunk in[3] = {
		{ ni, ni_len }, { &peer, 4 }, { spii, 8 },
	};

	ikev2_put_be32(out, ver);
	return ike_prf(IKE_HASH_SHA256, secret, 32, in, 3, out + 4);
}

/* Number of IKE SAs we responded to IKE_SA_INIT for that have not yet
 * completed IKE_AUTH, in all and, in FROM_PEER, from PEER. */
static size_t
half_open_from(const struct ikev2_state *st, uint32_t peer, size_t *from_peer)
{
	size_t n = 0;

	*from_peer = 0;
	for (size_t i = 0; i < st->nsas; i++) {
		const struct v2_sa *sa = st->sas[i];

		if (sa->initiator || sa->state != V2_INIT)
			continue;
		n++;
		*from_peer += sa->peer == peer;
	}
	return n;
}

static size_t
half_open(const struct ikev2_state *st)
{
	size_t from_peer;

	return half_open_from(st, 0, &from_peer);
}

static bool
starts_with_cookie(const struct ikev2_msg *m)
{
	struct v2_notify n;

	return m->n > 0 && ikev2_read_notify(&m->pl[0], &n) &&
	       n.type == IKEV2_N_COOKIE;
}

/* True when the first payload of M is a COOKIE this responder made for
 * the peer's address, SPIi and Ni. */
static bool
valid_cookie(const struct ikev2_state *st, const struct ikev2_msg *m,
	     uint32_t peer, const uint8_t spii[8], const uint8_t *ni,
	     size_t ni_len)
{
	uint8_t want[COOKIE_LEN];
	struct v2_notify n;
	const uint8_t *secret;
	uint32_t ver;

	if (m->n == 0 || !ikev2_read_notify(&m->pl[0], &n) ||
	    n.type != IKEV2_N_COOKIE || n.data_len != COOKIE_LEN)
		return false;
	ver = ikev2_get_be32(n.data);
	if (ver == st->cookie_ver)
		secret = st->cookie_secret[0];
	else if (ver + 1 == st->cookie_ver)
		secret = st->cookie_secret[1];
	else
		return false;
	if (make_cookie(secret, ver, ni, ni_len, peer, spii, want) < 0)
		return false;
	return CRYPTO_memcmp(want, n.data, COOKIE_LEN) == 0;
}

bool
ikev2_cookie_admit(struct ikemgr *ike, const struct dp_ike_packet *pkt,
		   const struct ikev2_hdr *h, const struct ikev2_msg *m)
{
	const struct ikev2_config *c = v2_config(ike);
	struct ikev2_state *st = ike->v2;
	uint8_t ni[V2_NONCE_MAX], cookie[COOKIE_LEN];
	size_t ni_len, from_peer;

	/* The limits of IKEv1 apply as well, with or without COOKIEs: a
	 * peer that returns its cookies still takes a DH computation and
	 * an SA for each IKE_SA_INIT. */
	if (st != NULL &&
	    (half_open_from(st, pkt->src, &from_peer) >= IKE_HALF_OPEN_MAX ||
	     from_peer >= IKE_HALF_OPEN_PEER_MAX)) {
		atomic_fetch_add(&ike->half_open_dropped, 1);
		st->stats.sa_init_in_half_open++;
		goto drop;
	}
	if (c == NULL || c->cookie_challenge == 0 ||
	    half_open(st) < c->cookie_challenge)
		return true;
	if (!ikev2_read_nonce(m, ni, &ni_len) || refresh_secret(ike, st) < 0)
		goto drop;
	if (valid_cookie(st, m, pkt->src, h->spii, ni, ni_len)) {
		st->stats.cookie_valid++;
		return true;
	}
	if (starts_with_cookie(m))
		st->stats.cookie_invalid++;
	else
		st->stats.cookie_missing++;
	if (make_cookie(st->cookie_secret[0], st->cookie_ver, ni, ni_len,
			pkt->src, h->spii, cookie) < 0)
		goto drop;
	ikev2_init_error(ike, pkt, h, IKEV2_N_COOKIE, cookie, sizeof(cookie));
	st->stats.cookie_tx++;
	return false;
drop:
	atomic_fetch_add(&ike->packets_dropped, 1);
	st->stats.dropped++;
	return false;
}
