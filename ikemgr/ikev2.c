/*
 * IKEv2 (RFC 7296) in the IKE manager thread. This file has the IKE SA
 * table, sending with retransmission, the queue of our own requests,
 * the dispatch of received messages, timers, and the snapshots and
 * clears for the CLI.
 * The exchanges are in ikev2_auth.c and ikev2_child.c.
 */
#include "ikemgr/ikev2_sa.h"
#include "ikemgr/ikev2_frag.h"

#include "core/debug.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ikev2_state *
state_of(struct ikemgr *ike)
{
	if (ike->v2 == NULL)
		ike->v2 = calloc(1, sizeof(*ike->v2));
	return ike->v2;
}

bool
ikev2_is_v2(const struct dp_ike_packet *pkt)
{
	return pkt->len >= IKEV2_HDR_LEN && (pkt->data[17] >> 4) == 2;
}

/* ---- The SA table ---- */

static void
free_sa(struct v2_sa *sa)
{
	ike_dh_free(sa->dh);
	ike_dh_free(sa->rekey_dh);
	ike_dh_free(sa->neg.dh);
	free(sa->init_i);
	free(sa->init_r);
	free(sa->req);
	free(sa->resp);
	ikev2_frag_free(sa);
	/* The SA contains its SK_* keys. */
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

struct v2_sa *
ikev2_new_sa(struct ikemgr *ike, uint32_t local, uint32_t peer, bool initiator)
{
	struct ikev2_state *st = state_of(ike);
	struct v2_sa *sa, **arr;

	if (st == NULL)
		return NULL;
	arr = realloc(st->sas, (st->nsas + 1) * sizeof(*arr));
	if (arr == NULL)
		return NULL;
	st->sas = arr;
	sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return NULL;
	sa->conn_id = ike->next_conn_id++;
	sa->initiator = initiator;
	sa->local = local;
	sa->peer = peer;
	sa->lport = IKE_PORT;
	sa->pport = IKE_PORT;
	sa->created = ike_now(ike);
	sa->last_rx = sa->created;
	st->sas[st->nsas++] = sa;
	return sa;
}

static struct v2_sa *
find_ready(struct ikemgr *ike, uint32_t peer)
{
	struct ikev2_state *st = ike->v2;
	struct v2_sa *best = NULL;

	for (size_t i = 0; st != NULL && i < st->nsas; i++) {
		struct v2_sa *sa = st->sas[i];

		if (sa->peer == peer && sa->state == V2_READY &&
		    (best == NULL || sa->conn_id > best->conn_id))
			best = sa;
	}
	return best;
}

struct v2_sa *
ikev2_find_any(struct ikemgr *ike, uint32_t peer)
{
	struct ikev2_state *st = ike->v2;
	struct v2_sa *sa = find_ready(ike, peer);

	for (size_t i = 0; sa == NULL && st != NULL && i < st->nsas; i++)
		if (st->sas[i]->peer == peer && st->sas[i]->state != V2_DEAD)
			sa = st->sas[i];
	return sa;
}

static struct v2_sa *
find_by_spi(struct ikemgr *ike, const struct ikev2_hdr *h)
{
	static const uint8_t zero[8];
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; st != NULL && i < st->nsas; i++) {
		struct v2_sa *sa = st->sas[i];

		if (memcmp(sa->spii, h->spii, 8) != 0)
			continue;
		if (memcmp(sa->spir, h->spir, 8) == 0 ||
		    (sa->initiator && memcmp(sa->spir, zero, 8) == 0))
			return sa;
	}
	return NULL;
}


void
ikev2_remove_sa(struct ikemgr *ike, struct v2_sa *sa, bool children)
{
	struct ikev2_state *st = ike->v2;
	size_t i = 0;

	while (children && i < st->nchildren) {
		if (st->children[i].conn_id == sa->conn_id)
			ikev2_remove_child(ike, i);
		else
			i++;
	}
	for (i = 0; i < st->nsas; i++) {
		if (st->sas[i] != sa)
			continue;
		memmove(st->sas + i, st->sas + i + 1,
			(st->nsas - i - 1) * sizeof(*st->sas));
		st->nsas--;
		break;
	}
	if (sa->neg.active && sa->neg.spi_in != 0 && ike->io.remove != NULL &&
	    sa->state == V2_READY)
		ike->io.remove(ike->io_ctx, false, sa->local, sa->neg.spi_in);
	free_sa(sa);
}

/* ---- Sending ---- */

/* Counts MSG, sent (TX) or received, by exchange and direction. */
static void
count_msg(struct ikemgr *ike, const uint8_t *msg, bool tx)
{
	struct ike_v2_stats *st = &ike->v2->stats;
	unsigned x = msg[18] - IKEV2_IKE_SA_INIT;
	bool response = (msg[19] & IKEV2_FLAG_R) != 0;

	if (x >= IKE_V2_EXCHANGES)
		return;
	if (tx)
		(response ? st->tx_res : st->tx_req)[x]++;
	else
		(response ? st->rx_res : st->rx_req)[x]++;
}

/* Sends one datagram of SA to its peer. */
static void
send_datagram(struct ikemgr *ike, struct v2_sa *sa, const uint8_t *msg,
	      size_t len)
{
	struct dp_ike_packet *pkt;

	if (len == 0 || len > DP_IKE_MSG_MAX || ike->io.send == NULL)
		return;
	pkt = malloc(sizeof(*pkt));
	if (pkt == NULL)
		return;
	*pkt = (struct dp_ike_packet){
		.src = sa->local, .dst = sa->peer,
		.sport = sa->lport, .dport = sa->pport,
		.natt = sa->natt, .len = (uint16_t)len,
	};
	memcpy(pkt->data, msg, len);
	if (debug_on_peer(DEBUG_CRYPTO_IKEV2_PACKET, sa->peer)) {
		char p[INET_ADDRSTRLEN];

		log_debug("IKEv2:(SA ID = %u):Sending Packet [To %s:%u/From %s:%u] exchange %u msgid %u",
			  sa->conn_id, ntoa(sa->peer, p), sa->pport, "local",
			  sa->lport, msg[18], ikev2_get_be32(msg + 20));
	}
	if (ike->io.send(ike->io_ctx, pkt) < 0)
		DBG(sa, "send failed: queue full");
	free(pkt);
}

/* Sends MSG, as RFC 7383 fragments when SA uses them and it is too big
 * for their MTU. A retransmission fragments the message again. */
void
ikev2_transmit(struct ikemgr *ike, struct v2_sa *sa, const uint8_t *msg,
	       size_t len)
{
	struct ikev2_frags frags;

	if (len == 0 || len > DP_IKE_MSG_MAX)
		return;
	count_msg(ike, msg, true);
	if (ikev2_frag_split(ike, sa, msg, len, &frags) == 0) {
		send_datagram(ike, sa, msg, len);
		return;
	}
	for (size_t i = 0; i < frags.n; i++)
		send_datagram(ike, sa, frags.buf + frags.off[i], frags.len[i]);
	ikev2_frags_free(&frags);
}

uint8_t *
ikev2_dup_msg(const uint8_t *msg, size_t len)
{
	uint8_t *p = malloc(len);

	if (p != NULL)
		memcpy(p, msg, len);
	return p;
}

/* Returns the seconds until the next retransmission. They double from
 * RETX_FIRST_SEC, but a liveness check uses the DPD retry interval, as
 * IOS's `dpd INTERVAL RETRY` requests. */
static double
retx_interval(const struct v2_sa *sa)
{
	if (sa->req_is_dpd && sa->dpd_retry != 0)
		return sa->dpd_retry;
	return RETX_FIRST_SEC * (1u << sa->retx_count);
}

/* Sends our request and keeps it for retransmission. */
void
ikev2_send_request(struct ikemgr *ike, struct v2_sa *sa, const uint8_t *msg,
		   size_t len)
{
	free(sa->req);
	sa->req = ikev2_dup_msg(msg, len);
	sa->req_len = sa->req != NULL ? len : 0;
	sa->req_msgid = ikev2_get_be32(msg + 20);
	sa->req_exchange = msg[18];
	sa->retx_count = 0;
	sa->retx_next = ike_now(ike) + retx_interval(sa);
	sa->next_msgid = sa->req_msgid + 1;
	ikev2_transmit(ike, sa, msg, len);
}

/* Sends a response and keeps it for a retransmitted request. */
void
ikev2_send_response(struct ikemgr *ike, struct v2_sa *sa, const uint8_t *msg,
		    size_t len)
{
	free(sa->resp);
	sa->resp = ikev2_dup_msg(msg, len);
	sa->resp_len = sa->resp != NULL ? len : 0;
	ikev2_transmit(ike, sa, msg, len);
}

void
ikev2_request_done(struct v2_sa *sa)
{
	free(sa->req);
	sa->req = NULL;
	sa->req_len = 0;
	sa->retx_next = 0;
	sa->req_is_dpd = false;
}

/* Starts a message of EXCHANGE over SA: a request of ours, or the
 * response to the peer's request MSGID. */
void
ikev2_start_msg(struct ikev2_buf *b, uint8_t *p, size_t cap,
		const struct v2_sa *sa, uint8_t exchange, bool response,
		uint32_t msgid)
{
	struct ikev2_hdr h = { .exchange = exchange, .msgid = msgid };

	memcpy(h.spii, sa->spii, 8);
	memcpy(h.spir, sa->spir, 8);
	h.flags = (sa->initiator ? IKEV2_FLAG_I : 0) |
		  (response ? IKEV2_FLAG_R : 0);
	ikev2_build_start(b, p, cap, &h);
}

size_t
ikev2_seal_msg(const struct v2_sa *sa, struct ikev2_buf *b)
{
	if (b->overflow || ikev2_build_end(b) == 0)
		return 0;
	return ikev2_seal(&sa->algs, &sa->keys, sa->initiator, b->p, b->len,
			  b->cap, b->sk_body);
}

void
ikev2_add_notify(struct ikev2_buf *b, uint8_t proto, const uint8_t *spi,
		 size_t spi_len, uint16_t type, const void *data, size_t len)
{
	size_t off = ikev2_add(b, IKEV2_NP_N, NULL, 4 + spi_len + len);

	if (off == 0)
		return;
	b->p[off] = proto;
	b->p[off + 1] = (uint8_t)spi_len;
	ikev2_put_be16(b->p + off + 2, type);
	if (spi_len > 0)
		memcpy(b->p + off + 4, spi, spi_len);
	if (len > 0)
		memcpy(b->p + off + 4 + spi_len, data, len);
}

void
ikev2_add_delete_esp(struct ikev2_buf *b, const uint32_t *spis, size_t n)
{
	size_t off = ikev2_add(b, IKEV2_NP_D, NULL, 4 + 4 * n);

	if (off == 0)
		return;
	b->p[off] = IKEV2_PROTO_ESP;
	b->p[off + 1] = 4;
	ikev2_put_be16(b->p + off + 2, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		ikev2_put_be32(b->p + off + 4 + 4 * i, spis[i]);
}

/* ---- Jobs: requests of ours, one outstanding at a time ---- */

void
ikev2_add_job(struct ikemgr *ike, struct v2_sa *sa, enum v2_job_kind kind,
	      uint32_t spi, const struct ike_entry *e)
{
	if (sa->njobs == V2_JOBS) {
		DBG(sa, "request queue full: job %d dropped", (int)kind);
		return;
	}
	sa->jobs[sa->njobs] = (struct v2_job){ .kind = kind, .spi = spi };
	if (e != NULL)
		sa->jobs[sa->njobs].entry = *e;
	sa->njobs++;
	ikev2_run_jobs(ike, sa);
}

static void
send_informational(struct ikemgr *ike, struct v2_sa *sa,
		   const struct v2_job *j)
{
	uint8_t msg[512];
	struct ikev2_buf b;
	size_t len;
	uint8_t spi[4];

	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_INFORMATIONAL, false,
		  sa->next_msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	switch (j->kind) {
	case V2_JOB_INVALID_SPI:
		/* RFC 7296 1.5 and 3.10 give protocol 0, no SPI field and
		 * the SPI in the notification data. */
		ikev2_put_be32(spi, j->spi);
		if (j->spi_field)
			ikev2_add_notify(&b, IKEV2_PROTO_ESP, spi, 4,
				   IKEV2_N_INVALID_SPI, NULL, 0);
		else
			ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_INVALID_SPI,
					 spi, 4);
		ike->v2->stats.invalid_spi_tx++;
		if (j->no_delete)
			break;
		/* strongSwan 5.9 replies to INVALID_SPI with an empty
		 * response and acts on nothing, but a DELETE of the SPI
		 * makes it drop the SA pair that sends on it. */
		ikev2_add_delete_esp(&b, &j->spi, 1);
		ike->v2->stats.delete_tx++;
		break;
	case V2_JOB_DELETE_CHILD:
		ikev2_add_delete_esp(&b, &j->spi, 1);
		ike->v2->stats.delete_tx++;
		atomic_fetch_add(&ike->delete_sent, 1);
		break;
	case V2_JOB_DELETE_IKE:
		if (ikev2_add(&b, IKEV2_NP_D, NULL, 4) != 0)
			b.p[b.len - 4] = IKEV2_PROTO_IKE;
		ike->v2->stats.delete_tx++;
		break;
	default:
		break;			/* DPD: an empty request */
	}
	len = ikev2_seal_msg(sa, &b);
	if (len == 0)
		return;
	sa->req_is_dpd = j->kind == V2_JOB_DPD;
	ikev2_send_request(ike, sa, msg, len);
}


void
ikev2_run_jobs(struct ikemgr *ike, struct v2_sa *sa)
{
	struct v2_job j;

	if (sa->state != V2_READY || sa->req != NULL || sa->njobs == 0)
		return;
	j = sa->jobs[0];
	memmove(sa->jobs, sa->jobs + 1, --sa->njobs * sizeof(sa->jobs[0]));
	if (j.kind == V2_JOB_CREATE_CHILD || j.kind == V2_JOB_REKEY_CHILD)
		ikev2_send_create_child(ike, sa, &j);
	else if (j.kind == V2_JOB_REKEY_IKE)
		ikev2_send_rekey_ike(ike, sa);
	else
		send_informational(ike, sa, &j);
}

/* ---- Input ---- */

static struct v2_sa *
find_half_open(struct ikemgr *ike, const struct ikev2_hdr *h, uint32_t peer)
{
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; st != NULL && i < st->nsas; i++)
		if (!st->sas[i]->initiator && st->sas[i]->peer == peer &&
		    memcmp(st->sas[i]->spii, h->spii, 8) == 0)
			return st->sas[i];
	return NULL;
}

static void
handle_init(struct ikemgr *ike, const struct dp_ike_packet *pkt,
	    const struct ikev2_hdr *h, uint8_t *msg)
{
	struct ikev2_msg m = { .n = 0 };
	struct v2_sa *sa;

	if (ikev2_parse_chain(h->next, msg + IKEV2_HDR_LEN,
			      h->length - IKEV2_HDR_LEN, IKEV2_HDR_LEN,
			      &m) < 0 || m.sk_off != 0)
		goto drop;
	if (!(h->flags & IKEV2_FLAG_R)) {
		if (!(h->flags & IKEV2_FLAG_I) || h->msgid != 0)
			goto drop;
		sa = find_half_open(ike, h, pkt->src);
		if (sa != NULL) {
			/* A retransmission: our response was lost. */
			if (sa->resp != NULL && sa->state == V2_INIT)
				ikev2_transmit(ike, sa, sa->resp, sa->resp_len);
			return;
		}
		ikev2_init_responder(ike, pkt, h, &m);
		return;
	}
	sa = find_by_spi(ike, h);
	if (sa == NULL || !sa->initiator || sa->peer != pkt->src ||
	    sa->req == NULL || sa->req_exchange != IKEV2_IKE_SA_INIT)
		goto drop;
	ikev2_init_response(ike, sa, pkt, h, &m);
	return;
drop:
	atomic_fetch_add(&ike->packets_dropped, 1);
	if (ike->v2 != NULL)
		ike->v2->stats.dropped++;
}

/*
 * Returns true when M carries a DELETE of the IKE SA. Both ends may close
 * an IKE SA at once, each with a DELETE outstanding. RFC 7296 2.25.2 has
 * each respond to the other's as usual and forget its own. The SA is
 * then removed at once instead of after the retransmissions of both run
 * out.
 */
static bool
deletes_ike_sa(const struct ikev2_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->pl[i].type == IKEV2_NP_D && m->pl[i].len >= 4 &&
		    m->pl[i].body[0] == IKEV2_PROTO_IKE)
			return true;
	return false;
}

static void
dispatch_request(struct ikemgr *ike, struct v2_sa *sa, uint8_t exchange,
		 const struct ikev2_msg *m, uint32_t msgid)
{
	switch (exchange) {
	case IKEV2_IKE_AUTH:
		ikev2_auth_responder(ike, sa, m, msgid);
		break;
	case IKEV2_CREATE_CHILD_SA:
		if (sa->state == V2_READY)
			ikev2_create_child_responder(ike, sa, m, msgid);
		break;
	case IKEV2_INFORMATIONAL:
		if (sa->state == V2_READY ||
		    (sa->state == V2_DEAD && deletes_ike_sa(m)))
			ikev2_info_responder(ike, sa, m, msgid);
		else if (sa->state == V2_DEAD)
			ike->v2->stats.dropped++;
		break;
	default:
		break;
	}
}

static void
dispatch_response(struct ikemgr *ike, struct v2_sa *sa,
		  const struct ikev2_msg *m)
{
	switch (sa->req_exchange) {
	case IKEV2_IKE_AUTH:
		ikev2_auth_response(ike, sa, m);
		break;
	case IKEV2_CREATE_CHILD_SA:
		ikev2_create_child_response(ike, sa, m);
		ikev2_run_jobs(ike, sa);
		break;
	case IKEV2_INFORMATIONAL:
		ikev2_info_response(ike, sa);
		break;
	default:
		break;
	}
}

/* Hashes a request before it is decrypted in place. */
static void
request_hash(const uint8_t *msg, size_t len, uint8_t out[20])
{
	struct ike_chunk in[1] = { { msg, len } };

	ike_hash(IKE_HASH_SHA, in, 1, out);
}

static bool
same_request(const struct v2_sa *sa, const uint8_t *msg, size_t len)
{
	uint8_t h[20];

	request_hash(msg, len, h);
	return memcmp(h, sa->req_hash, 20) == 0;
}

/* Payloads that no IKEv2 exchange carries twice: SA, KE, IDi, IDr, AUTH,
 * Nonce, TSi, TSr and CP, as a bit per type from IKEV2_NP_SA. */
#define ONCE_ONLY ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | \
		   (1u << 6) | (1u << 7) | (1u << 11) | (1u << 12) | (1u << 14))

/*
 * Checks the payloads of the authenticated message M before any is acted
 * on. Returns 0 or the notify type of the error. A payload type outside
 * RFC 7296 3.2 with the critical bit set gives UNSUPPORTED_CRITICAL_
 * PAYLOAD, with the type in *TYPE (RFC 7296 2.5). INVALID_SYNTAX is for
 * a second payload of a ONCE_ONLY type, or a Notify or Delete whose SPI
 * fields do not fit its length.
 */
static uint16_t
payload_error(const struct ikev2_msg *m, uint8_t *type)
{
	uint32_t seen = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct ikev2_pl *pl = &m->pl[i];
		unsigned bit = pl->type - IKEV2_NP_SA;

		if (pl->type < IKEV2_NP_SA || pl->type > IKEV2_NP_EAP) {
			*type = pl->type;
			if (pl->critical)
				return IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD;
			continue;
		}
		if ((ONCE_ONLY >> bit) & 1) {
			if (seen & (1u << bit))
				return IKEV2_N_INVALID_SYNTAX;
			seen |= 1u << bit;
		}
		if ((pl->type == IKEV2_NP_N || pl->type == IKEV2_NP_D) &&
		    (pl->len < 4 || 4u + pl->body[1] > pl->len))
			return IKEV2_N_INVALID_SYNTAX;
		if (pl->type == IKEV2_NP_D &&
		    4u + pl->body[1] * (size_t)ikev2_get_be16(pl->body + 2) !=
		    pl->len)
			return IKEV2_N_INVALID_SYNTAX;
	}
	return 0;
}

/* Sends the response to request H of SA, which is one error notify of
 * TYPE with DATA. Nothing else in the request is acted on. */
static void
reject_request(struct ikemgr *ike, struct v2_sa *sa, const struct ikev2_hdr *h,
	       uint16_t type, const uint8_t *data, size_t len)
{
	uint8_t msg[256];
	struct ikev2_buf b;
	size_t n;

	DBG(sa, "request %u rejected with notify %u", h->msgid, type);
	ikev2_start_msg(&b, msg, sizeof(msg), sa, h->exchange, true, h->msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	ikev2_add_notify(&b, 0, NULL, 0, type, data, len);
	n = ikev2_seal_msg(sa, &b);
	if (n > 0)
		ikev2_send_response(ike, sa, msg, n);
}

/*
 * Records the ports of PKT, an authenticated message of SA's peer with
 * a new message ID. When the peer is behind a NAT that mapped it to a
 * new port, the outbound child SAs follow it too (RFC 7296 2.23).
 * NOTE: a peer whose NAT moved it to another address is not followed.
 * Its messages are dropped as coming from an unknown peer.
 */
static void
follow_peer(struct ikemgr *ike, struct v2_sa *sa,
	    const struct dp_ike_packet *pkt)
{
	bool moved = sa->natt && pkt->natt &&
		     (pkt->sport != sa->pport || pkt->dport != sa->lport);
	const struct ikev2_state *st = ike->v2;

	if (moved)
		DBG(sa, "peer moved from port %u to port %u", sa->pport,
		    pkt->sport);
	sa->lport = pkt->dport;
	sa->pport = pkt->sport;
	sa->natt = pkt->natt;
	if (!moved || !sa->nat_detected)
		return;
	for (size_t i = 0; i < st->nchildren; i++) {
		const struct v2_child *c = &st->children[i];

		if (c->conn_id == sa->conn_id)
			ike_child_set_ports(ike, c->peer, c->spi_out, sa->lport,
					    sa->pport);
	}
}

/*
 * Sends SA's last response again, to the ports the retransmitted request
 * PKT came from (RFC 7296 2.23), because the peer's NAT may have mapped
 * it anew since the first transmission. The retransmission is not
 * authenticated again, so SA keeps its ports until the peer's next
 * request.
 */
static void
resend_response(struct ikemgr *ike, struct v2_sa *sa,
		const struct dp_ike_packet *pkt)
{
	uint16_t lport = sa->lport, pport = sa->pport;
	bool natt = sa->natt;

	sa->lport = pkt->dport;
	sa->pport = pkt->sport;
	sa->natt = pkt->natt;
	ikev2_transmit(ike, sa, sa->resp, sa->resp_len);
	sa->lport = lport;
	sa->pport = pport;
	sa->natt = natt;
}

/* Records where SA's peer sent from and dispatches its decrypted message
 * M with header H, a request or a response. A request with a payload
 * error gets an error response, and a response with one is dropped. */
static void
deliver(struct ikemgr *ike, struct v2_sa *sa, const struct dp_ike_packet *pkt,
	const struct ikev2_hdr *h, const struct ikev2_msg *m)
{
	uint8_t type = 0;
	uint16_t error = payload_error(m, &type);

	sa->last_rx = ike_now(ike);
	follow_peer(ike, sa, pkt);
	if ((h->flags & IKEV2_FLAG_R) && error != 0) {
		DBG(sa, "response %u dropped: notify %u applies", h->msgid,
		    error);
		atomic_fetch_add(&ike->packets_dropped, 1);
		ike->v2->stats.dropped++;
	} else if (h->flags & IKEV2_FLAG_R) {
		dispatch_response(ike, sa, m);
	} else {
		sa->peer_msgid++;
		request_hash(pkt->data, h->length, sa->req_hash);
		if (error == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD)
			reject_request(ike, sa, h, error, &type, 1);
		else if (error != 0)
			reject_request(ike, sa, h, error, NULL, 0);
		else
			dispatch_request(ike, sa, h->exchange, m, h->msgid);
	}
}

/*
 * Takes fragment MSG of SA's peer (RFC 7383). Returns false to count it
 * as dropped. For a request already handled, only fragment 1 brings the
 * response again (RFC 7383 2.6.1). The other fragments are ignored.
 */
static bool
input_fragment(struct ikemgr *ike, struct v2_sa *sa,
	       const struct dp_ike_packet *pkt, const struct ikev2_hdr *h,
	       uint8_t *msg)
{
	bool response = (h->flags & IKEV2_FLAG_R) != 0;
	struct ikev2_msg m = { .n = 0 };
	uint8_t *plain = NULL, first;
	size_t plain_len;
	int ret;

	if (!response && h->msgid + 1 == sa->peer_msgid && sa->resp != NULL) {
		ret = ikev2_frag_number(ike, sa, h, msg);
		if (ret == 1)
			resend_response(ike, sa, pkt);
		return ret >= 0;
	}
	if ((!response && h->msgid != sa->peer_msgid) ||
	    (response && (sa->req == NULL || h->msgid != sa->req_msgid)))
		return false;
	ret = ikev2_frag_input(ike, sa, h, msg, &plain, &plain_len, &first);
	if (ret <= 0)
		return ret == 0;
	count_msg(ike, msg, false);
	if (ikev2_parse_chain(first, plain, plain_len, 0, &m) < 0) {
		free(plain);
		return false;
	}
	deliver(ike, sa, pkt, h, &m);
	free(plain);
	return true;
}

void
ikev2_input(struct ikemgr *ike, const struct dp_ike_packet *pkt)
{
	struct ikev2_hdr h;
	struct ikev2_msg m = { .n = 0 };
	struct v2_sa *sa;
	uint8_t *msg = NULL, *plain;
	size_t plain_len;
	bool response;

	if (state_of(ike) == NULL ||
	    ikev2_parse_hdr(pkt->data, pkt->len, &h) < 0 ||
	    h.version != IKEV2_VERSION)
		goto drop;
	msg = ikev2_dup_msg(pkt->data, h.length);
	if (msg == NULL)
		return;
	/* Fragments count once their message is reassembled. */
	if (h.next != IKEV2_NP_SKF)
		count_msg(ike, msg, false);
	if (h.exchange == IKEV2_IKE_SA_INIT) {
		handle_init(ike, pkt, &h, msg);
		free(msg);
		return;
	}
	sa = find_by_spi(ike, &h);
	response = (h.flags & IKEV2_FLAG_R) != 0;
	/* A closing SA takes only the peer's own close request. It still
	 * responds to a retransmission of the last request it handled,
	 * because after a simultaneous rekey the peer needs that response
	 * to settle. */
	if (sa == NULL || sa->peer != pkt->src ||
	    (sa->state == V2_DEAD && !response &&
	     h.exchange != IKEV2_INFORMATIONAL &&
	     (h.msgid + 1 != sa->peer_msgid || sa->resp == NULL)) ||
	    memcmp(sa->spir, h.spir, 8) != 0)
		goto drop;
	if (h.next == IKEV2_NP_SKF) {
		if (!input_fragment(ike, sa, pkt, &h, msg))
			goto drop;
		free(msg);
		return;
	}
	if (!response && h.msgid + 1 == sa->peer_msgid && sa->resp != NULL) {
		/* Only the same request we handled gets the response again. */
		if (!same_request(sa, msg, h.length))
			goto drop;
		resend_response(ike, sa, pkt);
		free(msg);
		return;
	}
	if ((!response && h.msgid != sa->peer_msgid) ||
	    (response && (sa->req == NULL || h.msgid != sa->req_msgid)))
		goto drop;
	if (ikev2_parse_chain(h.next, msg + IKEV2_HDR_LEN,
			      h.length - IKEV2_HDR_LEN, IKEV2_HDR_LEN,
			      &m) < 0 || m.sk_off == 0 ||
	    ikev2_open(&sa->algs, &sa->keys, !sa->initiator, msg, h.length,
		       m.sk_off, &plain, &plain_len) < 0 ||
	    ikev2_parse_chain(m.sk_next, plain, plain_len,
			      (size_t)(plain - msg), &m) < 0)
		goto drop;
	deliver(ike, sa, pkt, &h, &m);
	free(msg);
	return;
drop:
	free(msg);
	atomic_fetch_add(&ike->packets_dropped, 1);
	if (ike->v2 != NULL)
		ike->v2->stats.dropped++;
}

/* ---- Timers, events and snapshots ---- */

static bool
retransmit_due(struct ikemgr *ike, struct v2_sa *sa, double now)
{
	if (sa->req == NULL || now < sa->retx_next)
		return true;
	if (sa->retx_count >= V2_RETRANSMITS) {
		DBG(sa, "no response after %u retransmissions: deleting the IKE SA",
		    sa->retx_count);
		return false;
	}
	sa->retx_count++;
	sa->retx_next = now + retx_interval(sa);
	ikev2_transmit(ike, sa, sa->req, sa->req_len);
	return true;
}

/* Sends a DELETE for the IKE SA and marks it dead; the response or the
 * retransmission limit removes it. */
void
ikev2_delete_ike_sa(struct ikemgr *ike, struct v2_sa *sa)
{
	struct v2_job j = { .kind = V2_JOB_DELETE_IKE };

	if (sa->state != V2_READY) {
		ikev2_remove_sa(ike, sa, true);
		return;
	}
	sa->njobs = 0;
	ikev2_request_done(sa);
	send_informational(ike, sa, &j);
	sa->state = V2_DEAD;
}

/*
 * Handles the end of SA's lifetime. Either end rekeys the IKE SA at the
 * end of its own lifetime (RFC 7296 2.8). If no rekey succeeds within
 * the grace period, the SA is deleted. Equal lifetimes make both ends
 * rekey at once, which ikev2_child.c settles as RFC 7296 2.8.2
 * specifies.
 */
static void
expire(struct ikemgr *ike, struct v2_sa *sa, double now)
{
	if (sa->expiring) {
		DBG(sa, "IKE SA lifetime expired without a rekey: deleting it");
		ikev2_delete_ike_sa(ike, sa);
		return;
	}
	sa->expiring = true;
	sa->expires = now + REKEY_GRACE_SEC;
	ikev2_add_job(ike, sa, V2_JOB_REKEY_IKE, 0, NULL);
}

void
ikev2_timers(struct ikemgr *ike, double now)
{
	struct ikev2_state *st = ike->v2;
	size_t i = 0;

	while (st != NULL && i < st->nsas) {
		struct v2_sa *sa = st->sas[i];

		ikev2_frag_expire(sa, now);
		if (ikev2_drop_redundant(ike, sa, now))
			continue;
		if (!retransmit_due(ike, sa, now) ||
		    (sa->state != V2_READY && sa->state != V2_DEAD &&
		     now - sa->created > NEGOTIATION_SEC) ||
		    (sa->state == V2_DEAD && sa->req == NULL)) {
			ikev2_remove_sa(ike, sa, true);
			continue;
		}
		if (sa->state == V2_READY && now >= sa->expires) {
			expire(ike, sa, now);
		} else if (sa->state == V2_READY && sa->dpd_interval != 0 &&
			   sa->req == NULL && sa->njobs == 0 &&
			   now - sa->last_rx >= sa->dpd_interval &&
			   now - sa->dpd_checked >= sa->dpd_interval) {
			sa->dpd_checked = now;
			if (sa->dpd_periodic ||
			    ike_dpd_due(ike, sa->peer, &sa->dpd_watch))
				ikev2_add_job(ike, sa, V2_JOB_DPD, 0, NULL);
		}
		i++;
	}
}

bool
ikev2_invalid_spi(struct ikemgr *ike, const struct dp_invalid_spi_event *ev)
{
	struct v2_sa *sa = find_ready(ike, ev->src);

	if (sa == NULL)
		return false;
	DBG(sa, "invalid SPI 0x%X received: sending INVALID_SPI and DELETE",
	    ev->spi);
	ikev2_add_job(ike, sa, V2_JOB_INVALID_SPI, ev->spi, NULL);
	return true;
}

bool
ikev2_send_invalid_spi(struct ikemgr *ike, uint32_t peer, uint32_t spi,
		       bool spi_field, bool with_delete)
{
	struct v2_sa *sa = find_ready(ike, peer);

	if (sa == NULL)
		return false;
	if (sa->njobs == V2_JOBS)
		return false;
	sa->jobs[sa->njobs++] = (struct v2_job){
		.kind = V2_JOB_INVALID_SPI, .spi = spi,
		.spi_field = spi_field, .no_delete = !with_delete,
	};
	ikev2_run_jobs(ike, sa);
	return true;
}

bool
ikev2_sa_lifetime(struct ikemgr *ike, const struct dp_sa_event *ev)
{
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; st != NULL && i < st->nchildren; i++) {
		struct v2_child *c = &st->children[i];
		struct v2_sa *sa;

		if ((ev->outbound ? c->spi_out : c->spi_in) != ev->spi)
			continue;
		if (ev->kind == DP_SA_HARD_EXPIRED) {
			ikev2_remove_child(ike, i);
			return true;
		}
		sa = find_ready(ike, c->peer);
		if (!c->rekeyed && sa != NULL && sa->conn_id == c->conn_id)
			ikev2_add_job(ike, sa, V2_JOB_REKEY_CHILD, c->spi_in,
				      NULL);
		return true;
	}
	return false;
}

static const char *
encr_text(uint16_t encr)
{
	switch (encr) {
	case IKEV2_ENCR_3DES: return "3des";
	case IKEV2_ENCR_AES_GCM_16: return "aes-gcm";
	default: return "aes";
	}
}

static const char *
prf_text(uint16_t prf)
{
	switch (prf) {
	case IKEV2_PRF_MD5: return "md5";
	case IKEV2_PRF_SHA256: return "sha256";
	case IKEV2_PRF_SHA384: return "sha384";
	case IKEV2_PRF_SHA512: return "sha512";
	default: return "sha";
	}
}

static const char *
integ_text(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_MD5_96: return "md5";
	case IKEV2_INTEG_SHA256_128: return "sha256";
	case IKEV2_INTEG_SHA384_192: return "sha384";
	case IKEV2_INTEG_SHA512_256: return "sha512";
	default: return "sha";
	}
}

/* Writes an FQDN, email or key-id identity into BUF for the show
 * commands, with a peer's unprintable octets as '.'. BUF is "" for other
 * types. */
static void
id_text(const struct ikev2_id *id, char *buf, size_t len)
{
	size_t n = 0;

	if (id->type == IKEV2_ID_FQDN || id->type == IKEV2_ID_RFC822_ADDR ||
	    id->type == IKEV2_ID_KEY_ID)
		for (; n < id->len && n + 1 < len; n++)
			buf[n] = id->data[n] >= 0x20 && id->data[n] < 0x7f ?
				 (char)id->data[n] : '.';
	buf[n] = '\0';
}

static void
fill_info(struct ikemgr *ike, const struct v2_sa *sa, struct ike_sa_info *o,
	  double now)
{
	struct ikev2_state *st = ike->v2;

	memset(o, 0, sizeof(*o));
	o->conn_id = sa->conn_id;
	o->version = 2;
	o->local = sa->local;
	o->peer = sa->peer;
	o->local_port = sa->lport;
	o->peer_port = sa->pport;
	snprintf(o->state, sizeof(o->state), "%s",
		 sa->state == V2_READY ? "READY" :
		 sa->state == V2_DEAD ? "DELETE" : "IN-NEG");
	o->active = sa->state != V2_DEAD;
	o->initiator = sa->initiator;
	memcpy(o->icookie, sa->spii, 8);
	memcpy(o->rcookie, sa->spir, 8);
	snprintf(o->encr, sizeof(o->encr), "%s", encr_text(sa->algs.encr));
	o->key_bits = sa->algs.encr == IKEV2_ENCR_3DES ? 0 : sa->algs.key_bits;
	snprintf(o->hash, sizeof(o->hash), "%s", prf_text(sa->algs.prf));
	snprintf(o->auth, sizeof(o->auth), "psk");
	o->dh_group = (uint8_t)sa->algs.group;
	o->lifetime_sec = sa->lifetime;
	if (sa->state == V2_READY && sa->expires > now)
		o->remaining_sec = (uint32_t)(sa->expires - now);
	if (sa->established > 0 && now > sa->established)
		o->active_sec = (uint32_t)(now - sa->established);
	o->natt = sa->nat_detected;
	o->dpd = sa->dpd_interval != 0;
	snprintf(o->profile, sizeof(o->profile), "%s", sa->profile);
	id_text(&sa->local_id, o->local_id, sizeof(o->local_id));
	id_text(&sa->remote_id, o->remote_id, sizeof(o->remote_id));
	if (sa->remote_id.type == IKEV2_ID_IPV4_ADDR &&
	    sa->remote_id.len == 4 && memcmp(sa->remote_id.data, &sa->peer, 4))
		inet_ntop(AF_INET, sa->remote_id.data, o->remote_id,
			  sizeof(o->remote_id));
	for (size_t i = 0; i < st->nchildren; i++) {
		const struct v2_child *c = &st->children[i];

		if (c->conn_id != sa->conn_id)
			continue;
		snprintf(o->map, sizeof(o->map), "%s", c->entry.map);
		o->map_seq = c->entry.seq;
		snprintf(o->ifname, sizeof(o->ifname), "%s", c->entry.ifname);
		break;
	}
	o->child_sas = sa->child_sas;
	snprintf(o->integ, sizeof(o->integ), "%s",
		 sa->algs.integ == IKEV2_INTEG_NONE ? "" :
		 integ_text(sa->algs.integ));
	o->local_msgid = sa->next_msgid;
	o->remote_msgid = sa->peer_msgid;
	o->dpd_interval = sa->dpd_interval;
	o->dpd_retry = sa->dpd_retry;
	o->frag_mtu = sa->frag_mtu;
}

int
ikev2_get_sas(struct ikemgr *ike, struct ike_sa_info **arr, size_t *n,
	      double now)
{
	struct ikev2_state *st = ike->v2;
	struct ike_sa_info *p;

	if (st == NULL || st->nsas == 0)
		return 0;
	p = realloc(*arr, (*n + st->nsas) * sizeof(*p));
	if (p == NULL)
		return -1;
	*arr = p;
	for (size_t i = 0; i < st->nsas; i++)
		fill_info(ike, st->sas[i], &p[(*n)++], now);
	return 0;
}

int
ikev2_clear(struct ikemgr *ike, bool ike_sas, bool children, uint32_t addr)
{
	struct ikev2_state *st = ike->v2;
	int n = 0, nike = 0;
	size_t i = 0;

	while (children && st != NULL && i < st->nchildren) {
		struct v2_child c = st->children[i];
		struct v2_sa *sa;

		if (addr != 0 && c.peer != addr) {
			i++;
			continue;
		}
		ikev2_remove_child(ike, i);
		n++;
		sa = find_ready(ike, c.peer);
		if (sa != NULL && !ike_sas)
			ikev2_add_job(ike, sa, V2_JOB_DELETE_CHILD, c.spi_in,
				      NULL);
	}
	i = 0;
	while (ike_sas && st != NULL && i < st->nsas) {
		struct v2_sa *sa = st->sas[i];

		if ((addr != 0 && sa->peer != addr) || sa->state == V2_DEAD) {
			i++;
			continue;
		}
		nike++;
		ikev2_delete_ike_sa(ike, sa);
		i = 0;
	}
	return ike_sas ? nike : n;
}

void
ikev2_free_all(struct ikemgr *ike)
{
	struct ikev2_state *st = ike->v2;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nsas; i++)
		free_sa(st->sas[i]);
	free(st->sas);
	free(st->children);
	free(st->contacted);
	free(st);
	ike->v2 = NULL;
}

static void
sel_range(uint32_t addr, uint32_t wild, uint32_t *lo, uint32_t *hi)
{
	*lo = addr & ~wild;
	*hi = addr | wild;
}

static void
fill_child(const struct v2_child *c, struct ike_v2_child_info *o)
{
	static const char *const hmac[] = {
		[DP_INTEG_NONE] = "None",
		[DP_INTEG_HMAC_MD5_96] = "MD596",
		[DP_INTEG_HMAC_SHA1_96] = "SHA96",
		[DP_INTEG_HMAC_SHA256_128] = "SHA256",
		[DP_INTEG_HMAC_SHA384_192] = "SHA384",
		[DP_INTEG_HMAC_SHA512_256] = "SHA512",
	};
	const struct dp_acl_entry *s = &c->entry.selector;

	memset(o, 0, sizeof(*o));
	o->conn_id = c->conn_id;
	o->spi_in = c->spi_in;
	o->spi_out = c->spi_out;
	o->local_hi = o->remote_hi = 0xffffffff;
	o->lport_hi = o->rport_hi = 65535;
	if (c->entry.has_selector) {
		sel_range(s->src, s->src_wild, &o->local_lo, &o->local_hi);
		sel_range(s->dst, s->dst_wild, &o->remote_lo, &o->remote_hi);
		if (!s->sport_neq) {
			o->lport_lo = s->sport_lo;
			o->lport_hi = s->sport_hi;
		}
		if (!s->dport_neq) {
			o->rport_lo = s->dport_lo;
			o->rport_hi = s->dport_hi;
		}
	}
	snprintf(o->encr, sizeof(o->encr), "%s",
		 c->ts.cipher == DP_CIPHER_3DES_CBC ? "3DES" :
		 c->ts.cipher == DP_CIPHER_AES_GCM ? "AES-GCM" :
		 c->ts.cipher == DP_CIPHER_NULL ? "NULL" : "AES-CBC");
	o->key_bits = c->ts.key_bits;
	snprintf(o->esp_hmac, sizeof(o->esp_hmac), "%s",
		 (size_t)c->ts.integ < sizeof(hmac) / sizeof(hmac[0]) &&
		 hmac[c->ts.integ] != NULL ? hmac[c->ts.integ] : "None");
	o->transport = c->ts.transport;
}

int
ike_get_v2_children(struct ikemgr *ike, struct ike_v2_child_info **out)
{
	struct ike_v2_child_info *arr;
	size_t n;

	pthread_mutex_lock(&ike->sa_lock);
	n = ike->v2 != NULL ? ike->v2->nchildren : 0;
	arr = calloc(n > 0 ? n : 1, sizeof(*arr));
	if (arr == NULL) {
		pthread_mutex_unlock(&ike->sa_lock);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		fill_child(&ike->v2->children[i], &arr[i]);
	pthread_mutex_unlock(&ike->sa_lock);
	*out = arr;
	return (int)n;
}

void
ike_get_v2_stats(struct ikemgr *ike, struct ike_v2_stats *out)
{
	pthread_mutex_lock(&ike->sa_lock);
	if (ike->v2 != NULL)
		*out = ike->v2->stats;
	else
		memset(out, 0, sizeof(*out));
	pthread_mutex_unlock(&ike->sa_lock);
}

void
ike_clear_v2_stats(struct ikemgr *ike)
{
	pthread_mutex_lock(&ike->sa_lock);
	if (ike->v2 != NULL)
		memset(&ike->v2->stats, 0, sizeof(ike->v2->stats));
	pthread_mutex_unlock(&ike->sa_lock);
}
