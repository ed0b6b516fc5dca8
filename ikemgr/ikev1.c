/*
 * IKEv1 exchanges (RFC 2409) with pre-shared keys: Main Mode in both
 * roles, Quick Mode with and without PFS, protected Informational
 * exchanges (DELETE, INITIAL-CONTACT, DPD of RFC 3706), NAT traversal of
 * RFC 3947 and retransmission. Everything here runs in the manager
 * thread with ike->sa_lock held.
 */
#include "ikemgr/ike_private.h"
#include "ikemgr/ike_ezvpn.h"

#include "core/debug.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define IKE_PORT		500
#define NATT_PORT		4500
#define RETX_FIRST_SEC		1.0

#define DBG(conn, fmt, ...)						\
	do {								\
		if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))	\
			log_debug("ISAKMP: (%u):" fmt, (unsigned)(conn),	\
				  ##__VA_ARGS__);			\
	} while (0)

#define DBG_IPSEC(fmt, ...)						\
	do {								\
		if (debug_on_peer(DEBUG_CRYPTO_IPSEC, dbg_peer))	\
			log_debug("IPSEC" fmt, ##__VA_ARGS__);		\
	} while (0)

/* Compares secrets in constant time. */
static bool
equal_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/*
 * The peer (host order) that the thread is working for, so that debug
 * lines obey `debug crypto condition peer`. It is set where work for a
 * peer starts.
 */
static __thread uint32_t dbg_peer;

static void
about(uint32_t peer)
{
	dbg_peer = ntohl(peer);
}

static const char *
ntoa(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *
state_name(enum ike_state s)
{
	switch (s) {
	case IKE_MM_NO_STATE: return "MM_NO_STATE";
	case IKE_MM_SA_SETUP: return "MM_SA_SETUP";
	case IKE_MM_KEY_EXCH: return "MM_KEY_EXCH";
	case IKE_QM_IDLE: return "QM_IDLE";
	case IKE_AG_NO_STATE: return "AG_NO_STATE";
	case IKE_AG_INIT_EXCH: return "AG_INIT_EXCH";
	case IKE_DEAD: return "MM_NO_STATE";
	}
	return "MM_NO_STATE";
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ---- Sending ---- */

static void
transmit(struct ikemgr *ike, uint32_t src, uint32_t dst, uint16_t sport,
	 uint16_t dport, bool natt, const uint8_t *msg, size_t len)
{
	struct dp_ike_packet *pkt;
	char peer[INET_ADDRSTRLEN];

	if (len == 0 || len > DP_IKE_MSG_MAX || ike->io.send == NULL)
		return;
	pkt = malloc(sizeof(*pkt));
	if (pkt == NULL)
		return;
	pkt->src = src;
	pkt->dst = dst;
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->natt = natt;
	pkt->ifname[0] = '\0';
	pkt->len = (uint16_t)len;
	memcpy(pkt->data, msg, len);
	if (ike->io.send(ike->io_ctx, pkt) < 0 &&
	    debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))
		log_debug("ISAKMP-ERROR: (0):send to %s failed: queue full",
			  ntoa(dst, peer));
	free(pkt);
}

/* Sends MSG over SA and, with RETX, keeps it for retransmission. */
static void
sa_send(struct ikemgr *ike, struct ike_sa *sa, struct ike_retx *retx,
	const uint8_t *msg, size_t len)
{
	char peer[INET_ADDRSTRLEN];

	if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))
		log_debug("ISAKMP-PAK: (%u):sending packet to %s my_port %u peer_port %u (%s) %s",
			  sa->conn_id, ntoa(sa->peer, peer), sa->lport,
			  sa->pport, sa->initiator ? "I" : "R",
			  state_name(sa->state));
	transmit(ike, sa->local, sa->peer, sa->lport, sa->pport, sa->natt,
		 msg, len);
	if (ike->answering == sa) {
		/* Kept so a retransmission of the message gets the same reply. */
		free(sa->reply);
		sa->reply = malloc(len);
		sa->reply_len = sa->reply != NULL ? len : 0;
		if (sa->reply != NULL)
			memcpy(sa->reply, msg, len);
		sa->reply_natt = sa->natt;
	}
	if (retx == NULL)
		return;
	free(retx->msg);
	retx->msg = malloc(len);
	if (retx->msg == NULL) {
		retx->next = 0;
		return;
	}
	memcpy(retx->msg, msg, len);
	retx->len = len;
	retx->natt = sa->natt;
	retx->sport = sa->lport;
	retx->dport = sa->pport;
	retx->count = 0;
	retx->next = ike_now(ike) + RETX_FIRST_SEC;
}

void
ikev1_retx_clear(struct ike_retx *r)
{
	free(r->msg);
	*r = (struct ike_retx){ 0 };
}

/*
 * Pads the plaintext after the header of B to the cipher block, encrypts
 * it with IV (updated to the last ciphertext block) and sets the length.
 */
static size_t
encrypt_msg(struct ike_sa *sa, struct isakmp_buf *b, uint8_t *iv)
{
	size_t bs = ike_cipher_block(sa->pol.encr), body;

	body = b->len - ISAKMP_HDR_LEN;
	while (body % bs != 0) {
		isakmp_put8(b, 0);
		body++;
	}
	if (isakmp_build_end(b) == 0)
		return 0;
	if (ike_cbc(sa->pol.encr, sa->keys.enc_key, sa->keys.enc_key_len, iv,
		    b->data + ISAKMP_HDR_LEN, body, true) < 0)
		return 0;
	return b->len;
}

static void
hdr_for(const struct ike_sa *sa, struct isakmp_hdr *h, uint8_t exchange,
	uint8_t flags, uint32_t msgid)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->icookie, sa->icookie, 8);
	memcpy(h->rcookie, sa->rcookie, 8);
	h->exchange = exchange;
	h->flags = flags;
	h->msgid = msgid;
}

/* The phase 2 IV: hash(last phase 1 block | M-ID), cut to the block. */
int
ikev1_phase2_iv(const struct ike_sa *sa, uint32_t msgid, uint8_t *iv)
{
	uint8_t mid[4], h[IKE_HASH_MAX];
	size_t bs = ike_cipher_block(sa->pol.encr);
	struct ike_chunk in[2] = { { sa->p1_last, bs }, { mid, 4 } };

	put_be32(mid, msgid);
	if (ike_hash(sa->pol.hash, in, 2, h) < 0)
		return -1;
	memcpy(iv, h, bs);
	return 0;
}

uint32_t
ikev1_random_msgid(void)
{
	uint32_t id = 0;

	while (id == 0)
		if (ike_random(&id, sizeof(id)) < 0)
			return 0x1234567;
	return id;
}

int
ikev1_send_hashed(struct ikemgr *ike, struct ike_sa *sa, uint8_t exchange,
		  uint32_t msgid, uint8_t *iv, uint8_t type,
		  const uint8_t *body, size_t len, bool retx)
{
	uint8_t msg[1024], mid[4], hash[IKE_HASH_MAX];
	size_t hlen = sa->keys.prf_len, hash_off, pl_off;
	struct isakmp_buf b;
	struct isakmp_hdr h;
	struct ike_chunk in[2];

	hdr_for(sa, &h, exchange, ISAKMP_FLAG_E, msgid);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	memset(hash, 0, sizeof(hash));
	hash_off = isakmp_add(&b, ISAKMP_NP_HASH, hash, hlen);
	pl_off = b.len;
	if (isakmp_add(&b, type, body, len) == 0 || hash_off == 0)
		return -1;
	put_be32(mid, msgid);
	in[0] = (struct ike_chunk){ mid, 4 };
	in[1] = (struct ike_chunk){ msg + pl_off, b.len - pl_off };
	if (ike_prf(sa->pol.hash, sa->keys.skeyid_a, hlen, in, 2, hash) < 0)
		return -1;
	memcpy(msg + hash_off, hash, hlen);
	if (encrypt_msg(sa, &b, iv) == 0)
		return -1;
	sa_send(ike, sa, retx ? &sa->retx : NULL, msg, b.len);
	return 0;
}

/* Builds and sends a protected Informational exchange carrying the
 * payload TYPE with BODY. */
static int
send_info(struct ikemgr *ike, struct ike_sa *sa, uint8_t type,
	  const uint8_t *body, size_t len)
{
	uint8_t iv[IKE_BLOCK_MAX];
	uint32_t msgid = ikev1_random_msgid();

	if (ikev1_phase2_iv(sa, msgid, iv) < 0)
		return -1;
	DBG(sa->conn_id, "set new node %d to QM_IDLE", (int32_t)msgid);
	if (ikev1_send_hashed(ike, sa, ISAKMP_XCHG_INFO, msgid, iv, type,
			      body, len, false) < 0)
		return -1;
	DBG(sa->conn_id, "purging node %d", (int32_t)msgid);
	return 0;
}

static int
send_notify(struct ikemgr *ike, struct ike_sa *sa, uint16_t type,
	    const uint8_t *data, size_t data_len)
{
	uint8_t body[64];
	struct isakmp_buf b;

	isakmp_build_start(&b, body, sizeof(body), NULL);
	isakmp_put32(&b, ISAKMP_DOI_IPSEC);
	isakmp_put8(&b, ISAKMP_PROTO_ISAKMP);
	isakmp_put8(&b, 16);
	isakmp_put16(&b, type);
	isakmp_put(&b, sa->icookie, 8);
	isakmp_put(&b, sa->rcookie, 8);
	isakmp_put(&b, data, data_len);
	if (b.overflow)
		return -1;
	return send_info(ike, sa, ISAKMP_NP_N, body, b.len);
}

/*
 * Sends an INVALID-SPI notify (RFC 2408 3.14.1) naming the ESP SPI that
 * arrived from the peer and matches no SA here, in the SPI field.
 */
int
ikev1_send_invalid_spi(struct ikemgr *ike, struct ike_sa *sa, uint32_t spi)
{
	uint8_t body[16];
	struct isakmp_buf b;

	if (sa->state != IKE_QM_IDLE)
		return -1;
	isakmp_build_start(&b, body, sizeof(body), NULL);
	isakmp_put32(&b, ISAKMP_DOI_IPSEC);
	isakmp_put8(&b, ISAKMP_PROTO_ESP);
	isakmp_put8(&b, 4);
	isakmp_put16(&b, ISAKMP_N_INVALID_SPI);
	isakmp_put32(&b, spi);
	if (b.overflow)
		return -1;
	DBG(sa->conn_id, "sending NOTIFY INVALID_SPI protocol 3 for SPI 0x%X",
	    spi);
	return send_info(ike, sa, ISAKMP_NP_N, body, b.len);
}

int
ikev1_send_delete_esp(struct ikemgr *ike, struct ike_sa *sa,
		      const uint32_t *spis, size_t n)
{
	uint8_t body[8 + 4 * 64];
	struct isakmp_buf b;
	char peer[INET_ADDRSTRLEN];

	about(sa->peer);
	if (n == 0 || n > 64 || sa->state != IKE_QM_IDLE)
		return -1;
	isakmp_build_start(&b, body, sizeof(body), NULL);
	isakmp_put32(&b, ISAKMP_DOI_IPSEC);
	isakmp_put8(&b, ISAKMP_PROTO_ESP);
	isakmp_put8(&b, 4);
	isakmp_put16(&b, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		isakmp_put32(&b, spis[i]);
		DBG(sa->conn_id, "sending DELETE for ESP SPI 0x%X to %s",
		    spis[i], ntoa(sa->peer, peer));
	}
	atomic_fetch_add(&ike->delete_sent, n);
	return send_info(ike, sa, ISAKMP_NP_D, body, b.len);
}

static void
send_delete_isakmp(struct ikemgr *ike, struct ike_sa *sa)
{
	uint8_t body[24];
	struct isakmp_buf b;

	isakmp_build_start(&b, body, sizeof(body), NULL);
	isakmp_put32(&b, ISAKMP_DOI_IPSEC);
	isakmp_put8(&b, ISAKMP_PROTO_ISAKMP);
	isakmp_put8(&b, 16);
	isakmp_put16(&b, 1);
	isakmp_put(&b, sa->icookie, 8);
	isakmp_put(&b, sa->rcookie, 8);
	send_info(ike, sa, ISAKMP_NP_D, body, b.len);
	atomic_fetch_add(&ike->delete_sent, 1);
}

/* ---- The SA tables ---- */

void
ikev1_free_sa(struct ike_sa *sa)
{
	if (sa == NULL)
		return;
	ike_dh_free(sa->dh);
	ike_xauth_free(sa->xa);
	free(sa->sai_b);
	free(sa->reply);
	ikev1_retx_clear(&sa->retx);
	/* The SA contains its PSK and SKEYID keys. */
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void
ikev1_free_qm(struct ike_qm *qm)
{
	if (qm == NULL)
		return;
	ike_dh_free(qm->dh);
	ikev1_retx_clear(&qm->retx);
	memset(qm, 0, sizeof(*qm));
	free(qm);
}

static struct ike_sa *
new_sa(struct ikemgr *ike, uint32_t local, uint32_t peer, bool initiator)
{
	struct ike_sa *sa, **arr;

	arr = realloc(ike->sas, (ike->nsas + 1) * sizeof(*arr));
	if (arr == NULL)
		return NULL;
	ike->sas = arr;
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
	ike->sas[ike->nsas++] = sa;
	return sa;
}

static void
drop_qms_of(struct ikemgr *ike, uint32_t conn_id)
{
	size_t i = 0;

	while (i < ike->nqms) {
		if (ike->qms[i]->conn_id != conn_id) {
			i++;
			continue;
		}
		ikev1_free_qm(ike->qms[i]);
		ike->qms[i] = ike->qms[--ike->nqms];
	}
}

static void
remove_sa(struct ikemgr *ike, struct ike_sa *sa)
{
	for (size_t i = 0; i < ike->nsas; i++) {
		if (ike->sas[i] != sa)
			continue;
		drop_qms_of(ike, sa->conn_id);
		memmove(ike->sas + i, ike->sas + i + 1,
			(ike->nsas - i - 1) * sizeof(*ike->sas));
		ike->nsas--;
		ikev1_free_sa(sa);
		return;
	}
}

struct ike_sa *
ike_find_sa(struct ikemgr *ike, uint32_t peer)
{
	struct ike_sa *best = NULL;

	/* The newest established SA wins; then any in negotiation. */
	for (size_t i = 0; i < ike->nsas; i++) {
		struct ike_sa *sa = ike->sas[i];

		if (sa->peer != peer || sa->state == IKE_DEAD)
			continue;
		if (best == NULL || (sa->state == IKE_QM_IDLE &&
				     (best->state != IKE_QM_IDLE ||
				      sa->conn_id > best->conn_id)))
			best = sa;
	}
	return best;
}

struct ike_sa *
ike_find_sa_by_conn(struct ikemgr *ike, uint32_t conn_id)
{
	for (size_t i = 0; i < ike->nsas; i++)
		if (ike->sas[i]->conn_id == conn_id)
			return ike->sas[i];
	return NULL;
}

static struct ike_sa *
find_by_cookies(struct ikemgr *ike, const struct isakmp_hdr *h)
{
	static const uint8_t zero[8];

	for (size_t i = 0; i < ike->nsas; i++) {
		struct ike_sa *sa = ike->sas[i];

		if (memcmp(sa->icookie, h->icookie, 8) != 0)
			continue;
		/* A zero responder cookie in a known SA is a retransmitted
		 * MM1; an MM2 reaches our SA before it knows the cookie. */
		if (memcmp(sa->rcookie, h->rcookie, 8) == 0 ||
		    memcmp(h->rcookie, zero, 8) == 0 ||
		    (sa->initiator && memcmp(sa->rcookie, zero, 8) == 0))
			return sa;
	}
	return NULL;
}

static struct ike_qm *
find_qm(struct ikemgr *ike, uint32_t conn_id, uint32_t msgid)
{
	for (size_t i = 0; i < ike->nqms; i++)
		if (ike->qms[i]->conn_id == conn_id &&
		    ike->qms[i]->msgid == msgid)
			return ike->qms[i];
	return NULL;
}

static void
remove_qm(struct ikemgr *ike, struct ike_qm *qm)
{
	for (size_t i = 0; i < ike->nqms; i++) {
		if (ike->qms[i] == qm) {
			ike->qms[i] = ike->qms[--ike->nqms];
			ikev1_free_qm(qm);
			return;
		}
	}
}

void
ikev1_remove_child(struct ikemgr *ike, size_t i, bool notify)
{
	struct ike_child c = ike->children[i];
	struct ike_sa *sa;

	about(c.peer);
	if (notify) {
		sa = ike_find_sa(ike, c.peer);
		if (sa != NULL && sa->state == IKE_QM_IDLE) {
			ikev1_send_delete_esp(ike, sa, &c.spi_in, 1);
		} else if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer)) {
			char l[INET_ADDRSTRLEN], p[INET_ADDRSTRLEN];

			log_debug("ISAKMP-ERROR: (0):ignoring request to send delete notify (no ISAKMP sa) src %s dst %s for SPI 0x%X",
				  ntoa(c.local, l), ntoa(c.peer, p), c.spi_in);
		}
	}
	if (ike->io.remove != NULL) {
		ike->io.remove(ike->io_ctx, false, c.local, c.spi_in);
		ike->io.remove(ike->io_ctx, true, c.peer, c.spi_out);
	}
	DBG_IPSEC("(key_engine_delete_sas): delete SA pair inbound 0x%X outbound 0x%X with peer %s",
		  c.spi_in, c.spi_out,
		  ntoa(c.peer, (char[INET_ADDRSTRLEN]){ 0 }));
	ike->children[i] = ike->children[--ike->nchildren];
}

/* Removes every IPsec SA pair with PEER; with NOTIFY a DELETE goes too. */
static void
remove_children_of(struct ikemgr *ike, uint32_t peer, bool notify)
{
	size_t i = 0;

	while (i < ike->nchildren) {
		if (ike->children[i].peer == peer)
			ikev1_remove_child(ike, i, notify);
		else
			i++;
	}
}

void
ikev1_delete_sa(struct ikemgr *ike, struct ike_sa *sa, bool notify,
		bool children)
{
	char peer[INET_ADDRSTRLEN];

	about(sa->peer);
	if (notify && sa->state == IKE_QM_IDLE)
		send_delete_isakmp(ike, sa);
	DBG(sa->conn_id, "deleting SA reason \"%s\" state (%s) %s (peer %s)",
	    notify ? "No reason" : "Death by retransmission",
	    sa->initiator ? "I" : "R", state_name(sa->state),
	    ntoa(sa->peer, peer));
	if (children)
		remove_children_of(ike, sa->peer, false);
	remove_sa(ike, sa);
}

/* ---- Main Mode ---- */

static void
put_transform_p1(struct isakmp_buf *b, const struct ike_policy *p,
		 uint8_t num, bool last)
{
	size_t start = b->len;

	isakmp_put8(b, last ? ISAKMP_NP_NONE : ISAKMP_NP_T);
	isakmp_put8(b, 0);
	isakmp_put16(b, 0);
	isakmp_put8(b, num);
	isakmp_put8(b, 1);		/* KEY_IKE */
	isakmp_put16(b, 0);
	isakmp_put_attr(b, IKE_ATTR_ENCR, p->encr);
	if (p->key_bits != 0)
		isakmp_put_attr(b, IKE_ATTR_KEY_LENGTH, p->key_bits);
	isakmp_put_attr(b, IKE_ATTR_HASH, p->hash);
	isakmp_put_attr(b, IKE_ATTR_AUTH,
			p->xauth ? IKE_AUTH_XAUTH_INIT_PSK : IKE_AUTH_PSK);
	isakmp_put_attr(b, IKE_ATTR_GROUP, p->group);
	isakmp_put_attr(b, IKE_ATTR_LIFE_TYPE, IKE_LIFE_SECONDS);
	isakmp_put_attr(b, IKE_ATTR_LIFE_DURATION, p->lifetime);
	if (!b->overflow) {
		b->data[start + 2] = (uint8_t)((b->len - start) >> 8);
		b->data[start + 3] = (uint8_t)(b->len - start);
	}
}

/* Policies we can run: pre-shared keys, a cipher and group we have. */
static bool
usable_policy(const struct ike_policy *p)
{
	return p->auth == IKE_AUTH_PSK &&
	       ike_cipher_key_len(p->encr, p->key_bits) != 0 &&
	       ike_hash_len(p->hash) != 0 && ike_dh_supported(p->group);
}

/* Writes the SA payload body with one proposal of the policies PS. */
static size_t
build_p1_sa(struct isakmp_buf *b, const struct ike_policy *ps, size_t n)
{
	size_t prop, count = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		count += usable_policy(&ps[i]);
	if (count == 0 || count > 255)
		return 0;
	isakmp_put32(b, ISAKMP_DOI_IPSEC);
	isakmp_put32(b, 1);		/* SIT_IDENTITY_ONLY */
	prop = b->len;
	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, 0);
	isakmp_put16(b, 0);
	isakmp_put8(b, 1);
	isakmp_put8(b, ISAKMP_PROTO_ISAKMP);
	isakmp_put8(b, 0);
	isakmp_put8(b, (uint8_t)count);
	for (size_t i = 0; i < n; i++) {
		if (!usable_policy(&ps[i]))
			continue;
		k++;
		put_transform_p1(b, &ps[i], (uint8_t)k, k == count);
	}
	if (b->overflow)
		return 0;
	b->data[prop + 2] = (uint8_t)((b->len - prop) >> 8);
	b->data[prop + 3] = (uint8_t)(b->len - prop);
	return b->len;
}

/* Reads a phase 1 transform into P; false when an attribute is one we
 * do not support. */
static bool
read_p1_transform(const struct isakmp_transform *t, struct ike_policy *p)
{
	struct isakmp_attr a;
	size_t off = 0;
	bool life_kb = false;

	memset(p, 0, sizeof(*p));
	p->lifetime = 86400;
	while (isakmp_next_attr(t->attrs, t->attrs_len, &off, &a) > 0) {
		switch (a.type) {
		case IKE_ATTR_ENCR: p->encr = (uint8_t)a.value; break;
		case IKE_ATTR_KEY_LENGTH: p->key_bits = (uint16_t)a.value;
			break;
		case IKE_ATTR_HASH: p->hash = (uint8_t)a.value; break;
		case IKE_ATTR_AUTH:
			/* XAUTH after a pre-shared key phase 1: EzVPN. */
			p->xauth = a.value == IKE_AUTH_XAUTH_INIT_PSK;
			p->auth = p->xauth ? IKE_AUTH_PSK : (uint8_t)a.value;
			break;
		case IKE_ATTR_GROUP: p->group = (uint8_t)a.value; break;
		case IKE_ATTR_LIFE_TYPE:
			life_kb = a.value == IKE_LIFE_KILOBYTES;
			break;
		case IKE_ATTR_LIFE_DURATION:
			if (!life_kb)
				p->lifetime = a.value;
			break;
		default:
			return false;
		}
	}
	if (p->encr == IKE_ENCR_AES && p->key_bits == 0)
		p->key_bits = 128;
	return usable_policy(p);
}

static bool
policy_matches(const struct ike_policy *mine, const struct ike_policy *his)
{
	return mine->encr == his->encr && mine->key_bits == his->key_bits &&
	       mine->hash == his->hash && mine->auth == his->auth &&
	       mine->group == his->group;
}

static void
nat_d(const struct ike_sa *sa, uint32_t addr, uint16_t port, uint8_t *out)
{
	uint8_t pb[2] = { (uint8_t)(port >> 8), (uint8_t)port };
	struct ike_chunk in[4] = {
		{ sa->icookie, 8 }, { sa->rcookie, 8 }, { &addr, 4 }, { pb, 2 },
	};

	ike_hash(sa->pol.hash, in, 4, out);
}

static void
add_vids(struct isakmp_buf *b)
{
	isakmp_add(b, ISAKMP_NP_VID, isakmp_vid_natt_rfc3947, 16);
	isakmp_add(b, ISAKMP_NP_VID, isakmp_vid_dpd, 16);
}

static void
read_vids(struct ike_sa *sa, const struct isakmp_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct isakmp_pl *p = &m->pl[i];

		if (p->type != ISAKMP_NP_VID || p->len != 16)
			continue;
		if (memcmp(p->body, isakmp_vid_natt_rfc3947, 16) == 0) {
			sa->peer_natt = true;
			DBG(sa->conn_id, "vendor ID is NAT-T RFC 3947");
		} else if (memcmp(p->body, isakmp_vid_dpd, 16) == 0) {
			sa->peer_dpd = true;
			DBG(sa->conn_id, "vendor ID is DPD");
		}
	}
}

/* KE, NONCE and, when the peer speaks RFC 3947, the two NAT-D hashes. */
static size_t
build_ke_nonce(struct ikemgr *ike, struct ike_sa *sa, uint8_t *msg,
	       size_t cap)
{
	struct isakmp_hdr h;
	struct isakmp_buf b;
	uint8_t *gx = sa->initiator ? sa->gxi : sa->gxr;
	uint8_t *n = sa->initiator ? sa->ni : sa->nr;
	size_t *nlen = sa->initiator ? &sa->ni_len : &sa->nr_len;
	uint8_t nd[IKE_HASH_MAX];
	size_t hl = ike_hash_len(sa->pol.hash);

	(void)ike;
	sa->dh = ike_dh_new(sa->pol.group);
	if (sa->dh == NULL ||
	    ike_dh_public(sa->dh, gx, IKE_DH_MAX, &sa->gx_len) < 0)
		return 0;
	*nlen = IKE_NONCE_LEN;
	if (ike_random(n, *nlen) < 0)
		return 0;
	hdr_for(sa, &h, ISAKMP_XCHG_IDPROT, 0, 0);
	isakmp_build_start(&b, msg, cap, &h);
	isakmp_add(&b, ISAKMP_NP_KE, gx, sa->gx_len);
	isakmp_add(&b, ISAKMP_NP_NONCE, n, *nlen);
	if (sa->peer_natt) {
		nat_d(sa, sa->peer, sa->pport, nd);
		isakmp_add(&b, ISAKMP_NP_NATD, nd, hl);
		nat_d(sa, sa->local, sa->lport, nd);
		isakmp_add(&b, ISAKMP_NP_NATD, nd, hl);
	}
	return isakmp_build_end(&b);
}

/*
 * Checks the peer's NAT-D hashes: the first must be our address and
 * port, another the peer's. A mismatch means a NAT, or a peer that
 * forces UDP encapsulation by sending a false hash (strongSwan with
 * kernel-libipsec does), and either way both ends float to 4500.
 */
static void
check_nat_d(struct ike_sa *sa, const struct isakmp_msg *m)
{
	uint8_t mine[IKE_HASH_MAX], his[IKE_HASH_MAX];
	size_t hl = ike_hash_len(sa->pol.hash), seen = 0;
	bool me_ok = false, peer_ok = false;

	if (!sa->peer_natt)
		return;
	nat_d(sa, sa->local, sa->lport, mine);
	nat_d(sa, sa->peer, sa->pport, his);
	for (size_t i = 0; i < m->n; i++) {
		const struct isakmp_pl *p = &m->pl[i];

		if (p->type != ISAKMP_NP_NATD || p->len != hl)
			continue;
		if (seen++ == 0)
			me_ok = memcmp(p->body, mine, hl) == 0;
		else if (memcmp(p->body, his, hl) == 0)
			peer_ok = true;
	}
	if (seen == 0)
		return;
	sa->nat_detected = !me_ok || !peer_ok;
	sa->behind_nat = !me_ok;
	if (!peer_ok)
		DBG(sa->conn_id, "His hash no match - this node outside NAT");
	if (!me_ok)
		DBG(sa->conn_id, "My hash no match - this node inside NAT");
}

static int
compute_keys(struct ike_sa *sa, const uint8_t *peer_gx, size_t len)
{
	uint8_t gxy[IKE_DH_MAX], iv[IKE_HASH_MAX];
	size_t gxy_len, bs = ike_cipher_block(sa->pol.encr);
	size_t klen = ike_cipher_key_len(sa->pol.encr, sa->pol.key_bits);
	struct ike_chunk in[2];
	int ret = -1;

	if (ike_dh_shared(sa->dh, peer_gx, len, gxy, sizeof(gxy),
			  &gxy_len) < 0)
		goto out;
	memcpy(sa->initiator ? sa->gxr : sa->gxi, peer_gx, len);
	if (ike_derive_psk(&sa->keys, sa->pol.hash, sa->psk, strlen(sa->psk),
			   sa->ni, sa->ni_len, sa->nr, sa->nr_len, gxy,
			   gxy_len, sa->icookie, sa->rcookie, klen) < 0)
		goto out;
	in[0] = (struct ike_chunk){ sa->gxi, sa->gx_len };
	in[1] = (struct ike_chunk){ sa->gxr, sa->gx_len };
	if (ike_hash(sa->pol.hash, in, 2, iv) < 0)
		goto out;
	memcpy(sa->iv, iv, bs);
	ret = 0;
out:
	memset(gxy, 0, sizeof(gxy));
	return ret;
}

/* HASH_I or HASH_R over the ID payload body ID. */
static int
auth_hash(const struct ike_sa *sa, bool of_initiator, const uint8_t *id,
	  size_t id_len, uint8_t *out)
{
	bool i = of_initiator;
	struct ike_chunk in[6] = {
		{ i ? sa->gxi : sa->gxr, sa->gx_len },
		{ i ? sa->gxr : sa->gxi, sa->gx_len },
		{ i ? sa->icookie : sa->rcookie, 8 },
		{ i ? sa->rcookie : sa->icookie, 8 },
		{ sa->sai_b, sa->sai_len },
		{ id, id_len },
	};

	return ike_prf(sa->pol.hash, sa->keys.skeyid, sa->keys.prf_len, in, 6,
		       out);
}

static bool
seen_peer(struct ikemgr *ike, uint32_t peer)
{
	uint32_t *arr;

	for (size_t i = 0; i < ike->ncontacted; i++)
		if (ike->contacted[i] == peer)
			return true;
	arr = realloc(ike->contacted, (ike->ncontacted + 1) * sizeof(*arr));
	if (arr != NULL) {
		ike->contacted = arr;
		arr[ike->ncontacted++] = peer;
	}
	return false;
}

/* Writes our ID payload body: the address, UDP port 500 as IOS sends. */
static void
own_id(struct ike_sa *sa, uint8_t id[8])
{
	id[0] = IPSEC_ID_IPV4_ADDR;
	id[1] = 17;
	id[2] = IKE_PORT >> 8;
	id[3] = IKE_PORT & 0xff;
	memcpy(id + 4, &sa->local, 4);
	if (id == sa->own_id)
		sa->own_id_len = 8;
}

/* Appends the INITIAL-CONTACT notify of SA to B. */
static void
add_initial_contact(struct isakmp_buf *b, const struct ike_sa *sa)
{
	uint8_t n[24];
	struct isakmp_buf nb;

	DBG(sa->conn_id, "Send initial contact");
	isakmp_build_start(&nb, n, sizeof(n), NULL);
	isakmp_put32(&nb, ISAKMP_DOI_IPSEC);
	isakmp_put8(&nb, ISAKMP_PROTO_ISAKMP);
	isakmp_put8(&nb, 16);
	isakmp_put16(&nb, ISAKMP_N_INITIAL_CONTACT);
	isakmp_put(&nb, sa->icookie, 8);
	isakmp_put(&nb, sa->rcookie, 8);
	isakmp_add(b, ISAKMP_NP_N, n, nb.len);
}

/* MM5 or MM6: ID, HASH and, from the initiator, INITIAL-CONTACT. */
static size_t
build_auth(struct ikemgr *ike, struct ike_sa *sa, uint8_t *msg, size_t cap)
{
	uint8_t id[8], hash[IKE_HASH_MAX];
	struct isakmp_hdr h;
	struct isakmp_buf b;

	(void)ike;
	own_id(sa, id);
	if (auth_hash(sa, sa->initiator, id, 8, hash) < 0)
		return 0;
	hdr_for(sa, &h, ISAKMP_XCHG_IDPROT, ISAKMP_FLAG_E, 0);
	isakmp_build_start(&b, msg, cap, &h);
	isakmp_add(&b, ISAKMP_NP_ID, id, 8);
	isakmp_add(&b, ISAKMP_NP_HASH, hash, sa->keys.prf_len);
	if (sa->initiator && sa->send_initial_contact)
		add_initial_contact(&b, sa);
	return encrypt_msg(sa, &b, sa->iv);
}

/*
 * Drops the IKE and IPsec SAs of SA's peer that existed before SA began.
 * Those still being negotiated, or set up since, stay: when both ends
 * initiate at once, each one's INITIAL-CONTACT must not remove the
 * other's exchange.
 */
static void
initial_contact(struct ikemgr *ike, struct ike_sa *sa)
{
	char local[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];
	size_t i = 0;

	DBG(sa->conn_id, "Process initial contact,\nbring down existing phase 1 and 2 SA's with local %s remote %s remote port %u",
	    ntoa(sa->local, local), ntoa(sa->peer, peer), sa->pport);
	while (i < ike->nsas) {
		struct ike_sa *old = ike->sas[i];

		if (old != sa && old->peer == sa->peer &&
		    old->state == IKE_QM_IDLE &&
		    old->established < sa->created) {
			remove_sa(ike, old);
			continue;
		}
		i++;
	}
	i = 0;
	while (i < ike->nchildren) {
		if (ike->children[i].peer == sa->peer &&
		    ike->children[i].created < sa->created)
			ikev1_remove_child(ike, i, false);
		else
			i++;
	}
}

static void phase1_done(struct ikemgr *ike, struct ike_sa *sa);
static int am_send1(struct ikemgr *ike, struct ike_sa *sa);

struct ike_sa *
ikev1_initiate(struct ikemgr *ike, uint32_t peer,
	       const struct ike_entry *entry)
{
	uint8_t msg[2048];
	struct isakmp_hdr h;
	struct isakmp_buf b;
	struct ike_sa *sa;
	const char *psk = ike_ezvpn_psk(ike->config, entry);
	char addr[INET_ADDRSTRLEN];
	size_t sa_off, sa_end;

	about(peer);
	if (psk == NULL)
		psk = ike_config_psk(ike->config, peer);
	DBG(0, "SA request profile is (NULL)");
	if (psk == NULL) {
		if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))
			log_debug("ISAKMP-ERROR: (0):No pre-shared key with %s!",
				  ntoa(peer, addr));
		return NULL;
	}
	if (entry == NULL)
		entry = ike_config_entry_for_peer(ike->config, peer);
	if (entry == NULL || entry->local == 0)
		return NULL;
	sa = new_sa(ike, entry->local, peer, true);
	if (sa == NULL)
		return NULL;
	snprintf(sa->psk, sizeof(sa->psk), "%s", psk);
	snprintf(sa->map, sizeof(sa->map), "%s", entry->map);
	sa->map_seq = entry->seq;
	snprintf(sa->ifname, sizeof(sa->ifname), "%s", entry->ifname);
	sa->ezvpn = entry->ezvpn;
	sa->send_initial_contact = !seen_peer(ike, peer);
	if (ike_random(sa->icookie, 8) < 0)
		goto fail;
	DBG(0, "Created a peer struct for %s, peer port %u", ntoa(peer, addr),
	    IKE_PORT);
	DBG(0, "found peer pre-shared key matching %s", addr);
	snprintf(sa->profile, sizeof(sa->profile), "%s", entry->profile);
	if (entry->aggressive) {
		DBG(0, "beginning Aggressive Mode exchange");
		if (am_send1(ike, sa) < 0)
			goto fail;
		return sa;
	}
	DBG(0, "Can not start Aggressive mode, trying Main mode.");
	DBG(0, "beginning Main Mode exchange");

	hdr_for(sa, &h, ISAKMP_XCHG_IDPROT, 0, 0);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	sa_off = isakmp_add(&b, ISAKMP_NP_SA, NULL, 0);
	if (sa_off == 0)
		goto fail;
	sa_end = b.len;
	if (build_p1_sa(&b, ike->config->policies,
			ike->config->npolicies) == 0)
		goto fail;
	msg[sa_off - 2] = (uint8_t)((b.len - sa_off + 4) >> 8);
	msg[sa_off - 1] = (uint8_t)(b.len - sa_off + 4);
	sa->sai_len = b.len - sa_end;
	sa->sai_b = malloc(sa->sai_len);
	if (sa->sai_b == NULL)
		goto fail;
	memcpy(sa->sai_b, msg + sa_end, sa->sai_len);
	add_vids(&b);
	if (isakmp_build_end(&b) == 0)
		goto fail;
	sa->state = IKE_MM_NO_STATE;
	sa_send(ike, sa, &sa->retx, msg, b.len);
	return sa;
fail:
	remove_sa(ike, sa);
	return NULL;
}

/*
 * Picks the first transform of the first proposal of PROP that one of
 * our policies accepts, with the lower of the two lifetimes in CHOSEN.
 * With GROUP not 0, only that DH group qualifies (aggressive mode, whose
 * KE comes with the proposal). Returns the transform, or NULL.
 */
static const struct isakmp_transform *
choose_p1(struct ikemgr *ike, const struct isakmp_sa *prop, unsigned group,
	  struct ike_policy *chosen)
{
	struct ike_policy his;

	for (size_t t = 0; t < prop->p[0].ntransforms; t++) {
		if (!read_p1_transform(&prop->p[0].t[t], &his) ||
		    (group != 0 && his.group != group) ||
		    (his.xauth && !ike_ezvpn_server(ike->config)))
			continue;
		for (size_t k = 0; k < ike->config->npolicies; k++) {
			const struct ike_policy *mine =
				&ike->config->policies[k];

			DBG(0, "Checking ISAKMP transform %u against priority %u policy",
			    prop->p[0].t[t].num, mine->priority);
			if (!policy_matches(mine, &his))
				continue;
			*chosen = his;
			if (chosen->lifetime > mine->lifetime ||
			    chosen->lifetime == 0)
				chosen->lifetime = mine->lifetime;
			DBG(0, "atts are acceptable. Next payload is 0");
			return &prop->p[0].t[t];
		}
	}
	DBG(0, "no offers accepted!");
	return NULL;
}

/* Appends the responder's SA payload: PROP's first proposal with the
 * one transform PICK. */
static int
put_chosen_sa(struct isakmp_buf *b, const struct isakmp_sa *prop,
	      const struct isakmp_transform *pick)
{
	size_t sa_off = isakmp_add(b, ISAKMP_NP_SA, NULL, 0);

	isakmp_put32(b, ISAKMP_DOI_IPSEC);
	isakmp_put32(b, 1);
	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, 0);
	isakmp_put16(b, (uint16_t)(8 + 8 + pick->attrs_len));
	isakmp_put8(b, prop->p[0].num);
	isakmp_put8(b, ISAKMP_PROTO_ISAKMP);
	isakmp_put8(b, 0);
	isakmp_put8(b, 1);
	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, 0);
	isakmp_put16(b, (uint16_t)(8 + pick->attrs_len));
	isakmp_put8(b, pick->num);
	isakmp_put8(b, pick->id);
	isakmp_put16(b, 0);
	isakmp_put(b, pick->attrs, pick->attrs_len);
	if (sa_off == 0 || b->overflow)
		return -1;
	b->data[sa_off - 2] = (uint8_t)((b->len - sa_off + 4) >> 8);
	b->data[sa_off - 1] = (uint8_t)(b->len - sa_off + 4);
	return 0;
}

/*
 * Returns true when a first message from PEER would exceed the half-open
 * limits on responder SAs not yet authenticated (MM1 to MM4, AM1 to
 * AM2), in total and from PEER. Such SAs leave when phase 1 completes,
 * when the peer stops responding to our retransmissions, or a minute
 * after they were created (ikev1_timers). A flood from forged sources
 * thus keeps at most IKE_HALF_OPEN_MAX SAs, for no more than a minute.
 */
static bool
half_open_full(const struct ikemgr *ike, uint32_t peer)
{
	size_t total = 0, from_peer = 0;

	for (size_t i = 0; i < ike->nsas; i++) {
		const struct ike_sa *sa = ike->sas[i];

		if (sa->initiator || sa->state == IKE_QM_IDLE ||
		    sa->state == IKE_DEAD)
			continue;
		total++;
		from_peer += sa->peer == peer;
	}
	return total >= IKE_HALF_OPEN_MAX ||
	       from_peer >= IKE_HALF_OPEN_PEER_MAX;
}

/*
 * Creates the responder's SA for the first message of PKT with the
 * policy CHOSEN, keeping the initiator's SA payload SAP for the hashes.
 * PSK, when not NULL, replaces the key configured for the sender.
 * Returns NULL without a key for the sender, over the half-open limits
 * (counted in half_open_dropped) or on failure.
 */
static struct ike_sa *
responder_sa(struct ikemgr *ike, const struct dp_ike_packet *pkt,
	     const struct isakmp_hdr *hdr, const struct isakmp_pl *sap,
	     const struct ike_policy *chosen, const char *psk)
{
	if (psk == NULL)
		psk = ike_config_psk(ike->config, pkt->src);
	char addr[INET_ADDRSTRLEN];
	struct ike_sa *sa;

	if (psk == NULL) {
		if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))
			log_debug("ISAKMP-ERROR: (0):No pre-shared key with %s!",
				  ntoa(pkt->src, addr));
		return NULL;
	}
	if (half_open_full(ike, pkt->src)) {
		DBG(0, "half-open SA limit reached, dropping a first message "
		    "from %s", ntoa(pkt->src, addr));
		atomic_fetch_add(&ike->half_open_dropped, 1);
		atomic_fetch_add(&ike->packets_dropped, 1);
		return NULL;
	}
	sa = new_sa(ike, pkt->dst, pkt->src, false);
	if (sa == NULL)
		return NULL;
	sa->pol = *chosen;
	sa->lport = pkt->dport;
	sa->pport = pkt->sport;
	sa->natt = pkt->natt;
	memcpy(sa->icookie, hdr->icookie, 8);
	snprintf(sa->psk, sizeof(sa->psk), "%s", psk);
	sa->sai_len = sap->len;
	sa->sai_b = malloc(sap->len);
	if (sa->sai_b == NULL || ike_random(sa->rcookie, 8) < 0) {
		remove_sa(ike, sa);
		return NULL;
	}
	memcpy(sa->sai_b, sap->body, sap->len);
	DBG(0, "Created a peer struct for %s, peer port %u",
	    ntoa(pkt->src, addr), pkt->sport);
	DBG(0, "found peer pre-shared key matching %s", addr);
	return sa;
}

/* Responder: MM1 from a peer with a key. */
static void
mm_r1(struct ikemgr *ike, const struct dp_ike_packet *pkt,
      const struct isakmp_hdr *hdr, const struct isakmp_msg *m)
{
	const struct isakmp_pl *sap = isakmp_find(m, ISAKMP_NP_SA);
	struct isakmp_sa *prop = NULL;
	struct ike_policy chosen = { 0 };
	const struct isakmp_transform *pick;
	uint8_t msg[1024];
	struct isakmp_hdr h;
	struct isakmp_buf b;
	struct ike_sa *sa;

	if (sap == NULL || ike->config == NULL)
		return;
	prop = malloc(sizeof(*prop));
	if (prop == NULL || isakmp_parse_sa(sap->body, sap->len, prop) < 0 ||
	    prop->nproposals == 0)
		goto out;
	pick = choose_p1(ike, prop, 0, &chosen);
	if (pick == NULL)
		goto out;
	sa = responder_sa(ike, pkt, hdr, sap, &chosen, NULL);
	if (sa == NULL)
		goto out;
	read_vids(sa, m);
	hdr_for(sa, &h, ISAKMP_XCHG_IDPROT, 0, 0);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	if (put_chosen_sa(&b, prop, pick) < 0)
		goto drop;
	add_vids(&b);
	if (isakmp_build_end(&b) == 0)
		goto drop;
	sa->state = IKE_MM_SA_SETUP;
	sa_send(ike, sa, &sa->retx, msg, b.len);
	goto out;
drop:
	remove_sa(ike, sa);
out:
	free(prop);
}

/* Initiator: MM2 (the chosen transform) in, MM3 out. */
static void
mm_i2(struct ikemgr *ike, struct ike_sa *sa, const struct isakmp_hdr *hdr,
      const struct isakmp_msg *m)
{
	const struct isakmp_pl *sap = isakmp_find(m, ISAKMP_NP_SA);
	struct isakmp_sa *prop = malloc(sizeof(*prop));
	uint8_t msg[2048];
	size_t len;
	bool ok = false;

	if (prop == NULL || sap == NULL ||
	    isakmp_parse_sa(sap->body, sap->len, prop) < 0 ||
	    prop->nproposals != 1 || prop->p[0].ntransforms != 1 ||
	    !read_p1_transform(&prop->p[0].t[0], &sa->pol))
		goto out;
	for (size_t k = 0; k < ike->config->npolicies && !ok; k++)
		ok = policy_matches(&ike->config->policies[k], &sa->pol);
	if (!ok) {
		DBG(sa->conn_id, "responder chose a transform we did not offer");
		goto out;
	}
	memcpy(sa->rcookie, hdr->rcookie, 8);
	read_vids(sa, m);
	len = build_ke_nonce(ike, sa, msg, sizeof(msg));
	if (len == 0)
		goto out;
	sa->state = IKE_MM_SA_SETUP;
	sa_send(ike, sa, &sa->retx, msg, len);
out:
	free(prop);
}

/* Reads the KE and nonce payloads of MM3 or MM4; -1 when absent. */
static int
read_ke_nonce(struct ike_sa *sa, const struct isakmp_msg *m,
	      const uint8_t **ke, size_t *ke_len)
{
	const struct isakmp_pl *k = isakmp_find(m, ISAKMP_NP_KE);
	const struct isakmp_pl *n = isakmp_find(m, ISAKMP_NP_NONCE);
	uint8_t *dst = sa->initiator ? sa->nr : sa->ni;
	size_t *dst_len = sa->initiator ? &sa->nr_len : &sa->ni_len;

	if (k == NULL || n == NULL || n->len < 8 ||
	    n->len > sizeof(sa->ni) ||
	    k->len != ike_dh_public_len(sa->pol.group))
		return -1;
	memcpy(dst, n->body, n->len);
	*dst_len = n->len;
	*ke = k->body;
	*ke_len = k->len;
	return 0;
}

/* Floats SA to port 4500 when the NAT-D hashes showed a NAT. */
static void
maybe_float(struct ike_sa *sa)
{
	if (!sa->nat_detected || sa->natt)
		return;
	sa->natt = true;
	sa->lport = NATT_PORT;
	sa->pport = NATT_PORT;
}

/* Responder: MM3 in, MM4 out. */
static void
mm_r3(struct ikemgr *ike, struct ike_sa *sa, const struct isakmp_msg *m)
{
	const uint8_t *ke;
	size_t ke_len, len;
	uint8_t msg[2048];

	if (read_ke_nonce(sa, m, &ke, &ke_len) < 0)
		return;
	len = build_ke_nonce(ike, sa, msg, sizeof(msg));
	if (len == 0 || compute_keys(sa, ke, ke_len) < 0)
		return;
	check_nat_d(sa, m);
	sa->state = IKE_MM_KEY_EXCH;
	sa_send(ike, sa, &sa->retx, msg, len);
}

/* Initiator: MM4 in, MM5 out. */
static void
mm_i4(struct ikemgr *ike, struct ike_sa *sa, const struct isakmp_msg *m)
{
	const uint8_t *ke;
	size_t ke_len, len;
	uint8_t msg[512];

	if (read_ke_nonce(sa, m, &ke, &ke_len) < 0 ||
	    compute_keys(sa, ke, ke_len) < 0)
		return;
	check_nat_d(sa, m);
	maybe_float(sa);
	sa->state = IKE_MM_KEY_EXCH;
	len = build_auth(ike, sa, msg, sizeof(msg));
	if (len > 0)
		sa_send(ike, sa, &sa->retx, msg, len);
}

/* Checks the peer's ID and HASH in MM5 or MM6, and keeps the ID. */
static bool
verify_auth(struct ike_sa *sa, const struct isakmp_msg *m)
{
	const struct isakmp_pl *id = isakmp_find(m, ISAKMP_NP_ID);
	const struct isakmp_pl *hash = isakmp_find(m, ISAKMP_NP_HASH);
	uint8_t want[IKE_HASH_MAX];

	if (id == NULL || hash == NULL || hash->len != sa->keys.prf_len)
		return false;
	if (auth_hash(sa, !sa->initiator, id->body, id->len, want) < 0 ||
	    !equal_ct(want, hash->body, hash->len))
		return false;
	/* Kept for the show commands, as Aggressive Mode keeps it. */
	if (id->len <= sizeof(sa->peer_id)) {
		memcpy(sa->peer_id, id->body, id->len);
		sa->peer_id_len = id->len;
	}
	return true;
}

static bool
has_initial_contact(const struct isakmp_msg *m)
{
	struct isakmp_notify n;

	for (size_t i = 0; i < m->n; i++)
		if (m->pl[i].type == ISAKMP_NP_N &&
		    isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n) == 0 &&
		    n.type == ISAKMP_N_INITIAL_CONTACT)
			return true;
	return false;
}

/* Logs IKMP_MODE_FAILURE for a phase 1 whose peer's HASH did not match,
 * usually because the two ends have different pre-shared or group keys.
 * It logs at most once a minute per peer, because the peer retries with
 * the same key. */
static void
log_hash_failure(struct ikemgr *ike, const struct ike_sa *sa,
		 const char *mode)
{
	char addr[INET_ADDRSTRLEN];

	if (ike_log_due(&ike->hash_fail_log, sa->peer, ike_now(ike), 60))
		log_msg(LOGMSG_CRYPTO_IKMP_MODE_FAILURE,
			"Processing of %s mode failed with peer at %s", mode,
			ntoa(sa->peer, addr));
}

/* Responder: MM5 in, MM6 out. */
static void
mm_r5(struct ikemgr *ike, struct ike_sa *sa, const struct dp_ike_packet *pkt,
      const struct isakmp_msg *m)
{
	uint8_t msg[512];
	size_t len;
	char addr[INET_ADDRSTRLEN];

	if (!verify_auth(sa, m)) {
		if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))
			log_debug("ISAKMP-ERROR: (%u):hash verification failed from %s",
				  sa->conn_id, ntoa(sa->peer, addr));
		log_hash_failure(ike, sa, "Main");
		return;
	}
	if (pkt->natt) {
		sa->natt = true;
		sa->lport = pkt->dport;
		sa->pport = pkt->sport;
	}
	DBG(sa->conn_id, "SA has been authenticated with %s",
	    ntoa(sa->peer, addr));
	if (has_initial_contact(m))
		initial_contact(ike, sa);
	(void)seen_peer(ike, sa->peer);
	len = build_auth(ike, sa, msg, sizeof(msg));
	if (len == 0)
		return;
	sa->state = IKE_QM_IDLE;
	sa_send(ike, sa, NULL, msg, len);
	ikev1_retx_clear(&sa->retx);
	phase1_done(ike, sa);
}

/* Initiator: MM6 in. */
static void
mm_i6(struct ikemgr *ike, struct ike_sa *sa, const struct isakmp_msg *m)
{
	char addr[INET_ADDRSTRLEN];

	if (!verify_auth(sa, m)) {
		if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))
			log_debug("ISAKMP-ERROR: (%u):hash verification failed from %s",
				  sa->conn_id, ntoa(sa->peer, addr));
		log_hash_failure(ike, sa, "Main");
		return;
	}
	DBG(sa->conn_id, "SA has been authenticated with %s",
	    ntoa(sa->peer, addr));
	ikev1_retx_clear(&sa->retx);
	sa->state = IKE_QM_IDLE;
	phase1_done(ike, sa);
}

static void
phase1_done(struct ikemgr *ike, struct ike_sa *sa)
{
	const struct ike_entry *e;
	double now = ike_now(ike);

	memcpy(sa->p1_last, sa->iv, sizeof(sa->iv));
	sa->established = now;
	sa->last_keepalive = now;
	sa->expires = now + sa->pol.lifetime;
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	atomic_fetch_add(&ike->p1_established, 1);
	DBG(sa->conn_id, "Old State = IKE_%s_MM%d  New State = IKE_P1_COMPLETE",
	    sa->initiator ? "I" : "R", sa->initiator ? 6 : 5);
	if (sa->npending_deletes > 0) {
		ikev1_send_delete_esp(ike, sa, sa->pending_deletes,
				      sa->npending_deletes);
		sa->npending_deletes = 0;
	}
	if (ike_ezvpn_phase1_done(ike, sa))
		return;
	if (sa->pending_qm) {
		sa->pending_qm = false;
		e = ike_config_lookup(ike->config, sa->pending_map,
				      sa->pending_seq, sa->pending_ifname);
		if (e != NULL)
			ikev1_quick_start(ike, sa, e);
	}
}

/* ---- Aggressive Mode ---- */

/*
 * Initiator: AM1 carries SA, KE, nonce and ID at once, so it proposes
 * only the policies of the first usable policy's DH group.
 */
static int
am_send1(struct ikemgr *ike, struct ike_sa *sa)
{
	const struct ike_config *c = ike->config;
	struct ike_policy *ps;
	uint8_t msg[2048];
	struct isakmp_hdr h;
	struct isakmp_buf b;
	size_t n = 0, sa_off, sa_end;
	int ret = -1;

	const struct ike_policy *offer = c->policies;
	size_t noffer = c->npolicies;

	if (sa->ezvpn)
		offer = ike_ezvpn_policies(c, &noffer);
	ps = calloc(noffer > 0 ? noffer : 1, sizeof(*ps));
	if (ps == NULL)
		return -1;
	for (size_t i = 0; i < noffer; i++) {
		if (!usable_policy(&offer[i]))
			continue;
		if (n == 0)
			sa->pol = offer[i];
		if (offer[i].group == sa->pol.group)
			ps[n++] = offer[i];
	}
	sa->aggressive = true;
	sa->dh = n > 0 ? ike_dh_new(sa->pol.group) : NULL;
	sa->ni_len = IKE_NONCE_LEN;
	if (sa->dh == NULL ||
	    ike_dh_public(sa->dh, sa->gxi, IKE_DH_MAX, &sa->gx_len) < 0 ||
	    ike_random(sa->ni, sa->ni_len) < 0)
		goto out;
	if (sa->ezvpn)
		sa->own_id_len = ike_ezvpn_own_id(c, sa->own_id,
						  sizeof(sa->own_id));
	else
		own_id(sa, sa->own_id);
	if (sa->own_id_len == 0)
		goto out;
	hdr_for(sa, &h, ISAKMP_XCHG_AGGR, 0, 0);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	sa_off = isakmp_add(&b, ISAKMP_NP_SA, NULL, 0);
	sa_end = b.len;
	if (sa_off == 0 || build_p1_sa(&b, ps, n) == 0)
		goto out;
	msg[sa_off - 2] = (uint8_t)((b.len - sa_off + 4) >> 8);
	msg[sa_off - 1] = (uint8_t)(b.len - sa_off + 4);
	sa->sai_len = b.len - sa_end;
	sa->sai_b = malloc(sa->sai_len);
	if (sa->sai_b == NULL)
		goto out;
	memcpy(sa->sai_b, msg + sa_end, sa->sai_len);
	isakmp_add(&b, ISAKMP_NP_KE, sa->gxi, sa->gx_len);
	isakmp_add(&b, ISAKMP_NP_NONCE, sa->ni, sa->ni_len);
	isakmp_add(&b, ISAKMP_NP_ID, sa->own_id, sa->own_id_len);
	add_vids(&b);
	if (sa->ezvpn)
		ike_ezvpn_add_vids(&b);
	if (isakmp_build_end(&b) == 0)
		goto out;
	sa->state = IKE_AG_NO_STATE;
	sa_send(ike, sa, &sa->retx, msg, b.len);
	ret = 0;
out:
	free(ps);
	return ret;
}

/* Keeps the peer's ID payload body for HASH_I or HASH_R. */
static bool
keep_peer_id(struct ike_sa *sa, const struct isakmp_msg *m)
{
	const struct isakmp_pl *id = isakmp_find(m, ISAKMP_NP_ID);

	if (id == NULL || id->len > sizeof(sa->peer_id))
		return false;
	memcpy(sa->peer_id, id->body, id->len);
	sa->peer_id_len = id->len;
	return true;
}

/* Checks the HASH payload of M against the peer's HASH_I or HASH_R. */
static bool
verify_peer_hash(struct ike_sa *sa, const struct isakmp_msg *m)
{
	const struct isakmp_pl *hash = isakmp_find(m, ISAKMP_NP_HASH);
	uint8_t want[IKE_HASH_MAX];
	char addr[INET_ADDRSTRLEN];

	if (hash != NULL && hash->len == sa->keys.prf_len &&
	    auth_hash(sa, !sa->initiator, sa->peer_id, sa->peer_id_len,
		      want) == 0 &&
	    equal_ct(want, hash->body, hash->len))
		return true;
	if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))
		log_debug("ISAKMP-ERROR: (%u):hash verification failed from %s",
			  sa->conn_id, ntoa(sa->peer, addr));
	return false;
}

/* Appends the two NAT-D hashes when the peer speaks RFC 3947. */
static void
add_nat_d(struct isakmp_buf *b, const struct ike_sa *sa)
{
	uint8_t nd[IKE_HASH_MAX];
	size_t hl = ike_hash_len(sa->pol.hash);

	if (!sa->peer_natt)
		return;
	nat_d(sa, sa->peer, sa->pport, nd);
	isakmp_add(b, ISAKMP_NP_NATD, nd, hl);
	nat_d(sa, sa->local, sa->lport, nd);
	isakmp_add(b, ISAKMP_NP_NATD, nd, hl);
}

/* Responder: AM1 in, AM2 out with our KE, nonce, ID and HASH_R. */
static void
am_r1(struct ikemgr *ike, const struct dp_ike_packet *pkt,
      const struct isakmp_hdr *hdr, const struct isakmp_msg *m)
{
	const struct isakmp_pl *sap = isakmp_find(m, ISAKMP_NP_SA);
	const struct isakmp_pl *ke = isakmp_find(m, ISAKMP_NP_KE);
	const struct isakmp_pl *id;
	const struct ike_ez_group *group;
	struct isakmp_sa *prop = NULL;
	struct ike_policy chosen = { 0 };
	const struct isakmp_transform *pick = NULL;
	uint8_t msg[2048], hash[IKE_HASH_MAX];
	const uint8_t *peer_ke;
	size_t peer_ke_len;
	struct isakmp_hdr h;
	struct isakmp_buf b;
	struct ike_sa *sa = NULL;

	if (ike->config->aggressive_disable) {
		DBG(0, "Aggressive mode is disabled: dropping AM1");
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	if (sap == NULL || ke == NULL)
		return;
	prop = malloc(sizeof(*prop));
	if (prop == NULL || isakmp_parse_sa(sap->body, sap->len, prop) < 0 ||
	    prop->nproposals == 0)
		goto out;
	/* The KE fixes the group: only a transform of that size fits. */
	for (unsigned g = 1; g <= 21 && pick == NULL; g++)
		if (ike_dh_public_len(g) == ke->len)
			pick = choose_p1(ike, prop, g, &chosen);
	if (pick == NULL)
		goto out;
	/* An EzVPN client names its group in an ID_KEY_ID, and the group's
	 * key authenticates it. */
	id = isakmp_find(m, ISAKMP_NP_ID);
	group = id != NULL ? ike_ezvpn_group_by_id(ike->config, id->body,
						   id->len) : NULL;
	sa = responder_sa(ike, pkt, hdr, sap, &chosen,
			  group != NULL ? group->key : NULL);
	if (sa == NULL)
		goto out;
	sa->aggressive = true;
	read_vids(sa, m);
	if (!keep_peer_id(sa, m) ||
	    read_ke_nonce(sa, m, &peer_ke, &peer_ke_len) < 0)
		goto drop;
	sa->dh = ike_dh_new(sa->pol.group);
	sa->nr_len = IKE_NONCE_LEN;
	if (sa->dh == NULL ||
	    ike_dh_public(sa->dh, sa->gxr, IKE_DH_MAX, &sa->gx_len) < 0 ||
	    ike_random(sa->nr, sa->nr_len) < 0 ||
	    compute_keys(sa, peer_ke, peer_ke_len) < 0)
		goto drop;
	own_id(sa, sa->own_id);
	if (auth_hash(sa, false, sa->own_id, sa->own_id_len, hash) < 0)
		goto drop;
	hdr_for(sa, &h, ISAKMP_XCHG_AGGR, 0, 0);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	if (put_chosen_sa(&b, prop, pick) < 0)
		goto drop;
	isakmp_add(&b, ISAKMP_NP_KE, sa->gxr, sa->gx_len);
	isakmp_add(&b, ISAKMP_NP_NONCE, sa->nr, sa->nr_len);
	isakmp_add(&b, ISAKMP_NP_ID, sa->own_id, sa->own_id_len);
	isakmp_add(&b, ISAKMP_NP_HASH, hash, sa->keys.prf_len);
	add_nat_d(&b, sa);
	add_vids(&b);
	if (isakmp_build_end(&b) == 0)
		goto drop;
	sa->state = IKE_AG_INIT_EXCH;
	sa_send(ike, sa, &sa->retx, msg, b.len);
	goto out;
drop:
	remove_sa(ike, sa);
out:
	free(prop);
}

/* Initiator: AM2 in, AM3 out (encrypted HASH_I), phase 1 complete. */
static void
am_i2(struct ikemgr *ike, struct ike_sa *sa, const struct isakmp_hdr *hdr,
      const struct isakmp_msg *m)
{
	const struct isakmp_pl *sap = isakmp_find(m, ISAKMP_NP_SA);
	struct isakmp_sa *prop = malloc(sizeof(*prop));
	struct ike_policy his;
	uint8_t msg[512], hash[IKE_HASH_MAX];
	const uint8_t *ke;
	size_t ke_len;
	struct isakmp_hdr h;
	struct isakmp_buf b;
	bool ok = false;

	if (prop == NULL || sap == NULL ||
	    isakmp_parse_sa(sap->body, sap->len, prop) < 0 ||
	    prop->nproposals != 1 || prop->p[0].ntransforms != 1 ||
	    !read_p1_transform(&prop->p[0].t[0], &his) ||
	    his.group != sa->pol.group)
		goto out;
	if (sa->ezvpn) {
		const struct ike_policy *offer;
		size_t n;

		offer = ike_ezvpn_policies(ike->config, &n);
		for (size_t k = 0; k < n && !ok; k++)
			ok = policy_matches(&offer[k], &his);
	}
	for (size_t k = 0; k < ike->config->npolicies && !ok; k++)
		ok = policy_matches(&ike->config->policies[k], &his);
	if (!ok)
		goto out;
	sa->pol = his;
	memcpy(sa->rcookie, hdr->rcookie, 8);
	read_vids(sa, m);
	if (!keep_peer_id(sa, m) || read_ke_nonce(sa, m, &ke, &ke_len) < 0 ||
	    compute_keys(sa, ke, ke_len) < 0)
		goto out;
	if (!verify_peer_hash(sa, m)) {
		/* The responder sends this same AM2 again for every
		 * retransmitted AM1, so the SA goes and the next attempt
		 * starts afresh. */
		log_hash_failure(ike, sa, "Aggressive");
		ikev1_delete_sa(ike, sa, false, false);
		goto out;
	}
	check_nat_d(sa, m);
	maybe_float(sa);
	if (auth_hash(sa, true, sa->own_id, sa->own_id_len, hash) < 0)
		goto out;
	hdr_for(sa, &h, ISAKMP_XCHG_AGGR, ISAKMP_FLAG_E, 0);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	isakmp_add(&b, ISAKMP_NP_HASH, hash, sa->keys.prf_len);
	add_nat_d(&b, sa);
	if (sa->send_initial_contact)
		add_initial_contact(&b, sa);
	if (encrypt_msg(sa, &b, sa->iv) == 0)
		goto out;
	ikev1_retx_clear(&sa->retx);
	sa->state = IKE_QM_IDLE;
	/* AM3 has no reply message, so a lost AM3 shows up as a failed
	 * Quick Mode. */
	sa_send(ike, sa, NULL, msg, b.len);
	DBG(sa->conn_id, "SA has been authenticated with %s",
	    ntoa(sa->peer, (char[INET_ADDRSTRLEN]){ 0 }));
	phase1_done(ike, sa);
out:
	free(prop);
}

/* Responder: AM3 in, phase 1 complete. */
static void
am_r3(struct ikemgr *ike, struct ike_sa *sa, const struct dp_ike_packet *pkt,
      const struct isakmp_msg *m)
{
	if (!verify_peer_hash(sa, m)) {
		log_hash_failure(ike, sa, "Aggressive");
		return;
	}
	if (pkt->natt) {
		sa->natt = true;
		sa->lport = pkt->dport;
		sa->pport = pkt->sport;
	}
	DBG(sa->conn_id, "SA has been authenticated with %s",
	    ntoa(sa->peer, (char[INET_ADDRSTRLEN]){ 0 }));
	if (has_initial_contact(m))
		initial_contact(ike, sa);
	(void)seen_peer(ike, sa->peer);
	ikev1_retx_clear(&sa->retx);
	sa->state = IKE_QM_IDLE;
	phase1_done(ike, sa);
}

static void
input_aggr(struct ikemgr *ike, struct ike_sa *sa,
	   const struct dp_ike_packet *pkt, const struct isakmp_hdr *h,
	   uint8_t *msg, size_t len, struct isakmp_msg *m)
{
	bool enc = h->flags & ISAKMP_FLAG_E;
	uint8_t iv[IKE_BLOCK_MAX];

	if (enc && sa->state == IKE_AG_INIT_EXCH) {
		memcpy(iv, sa->iv, sizeof(iv));
		if (ikev1_decrypt(sa, msg, len, iv) < 0)
			goto drop;
	} else if (enc) {
		goto drop;
	}
	if (isakmp_parse_payloads(h->next, msg + ISAKMP_HDR_LEN,
				  len - ISAKMP_HDR_LEN, m) < 0)
		goto drop;
	if (enc)
		memcpy(sa->iv, iv, sizeof(iv));
	if (sa->state == IKE_AG_NO_STATE && sa->initiator && !enc)
		am_i2(ike, sa, h, m);
	else if (sa->state == IKE_AG_INIT_EXCH && !sa->initiator)
		am_r3(ike, sa, pkt, m);
	return;
drop:
	atomic_fetch_add(&ike->packets_dropped, 1);
}

/* ---- Quick Mode ---- */

/*
 * Moves SA to the ports of the message being handled, which is a Quick
 * Mode or informational message that passed its hash check. This
 * applies when the NAT in front of the peer mapped its port 4500 anew
 * after an idle time or a NAT restart. IKE messages, NAT keepalives and
 * the outbound IPsec SAs negotiated over SA follow it. Call it before
 * sending the response, which goes to the port the request came from.
 */
static void
follow_peer_port(struct ikemgr *ike, struct ike_sa *sa)
{
	const struct dp_ike_packet *pkt = ike->answering_pkt;
	char addr[INET_ADDRSTRLEN];

	if (pkt == NULL || ike->answering != sa || !sa->natt || !pkt->natt ||
	    !sa->nat_detected ||
	    (pkt->sport == sa->pport && pkt->dport == sa->lport))
		return;
	DBG(sa->conn_id, "peer %s moved from port %u to port %u",
	    ntoa(sa->peer, addr), sa->pport, pkt->sport);
	sa->lport = pkt->dport;
	sa->pport = pkt->sport;
	for (size_t i = 0; i < ike->nchildren; i++) {
		const struct ike_child *c = &ike->children[i];

		if (c->conn_id == sa->conn_id)
			ike_child_set_ports(ike, c->peer, c->spi_out,
					    sa->lport, sa->pport);
	}
}

static uint32_t
new_spi(struct ikemgr *ike)
{
	uint32_t spi = 0;

	if (ike->spi_fn != NULL)
		return ike->spi_fn(ike->spi_ctx);
	/* The whole range but 0 and the reserved 1-255 (RFC 4303 2.1). */
	while (spi < 256)
		if (ike_random(&spi, sizeof(spi)) < 0)
			return 0;
	return spi;
}

/* Writes an IPv4 ID payload body for ADDR with wildcard WILD. */
static size_t
put_id(uint8_t *out, uint32_t addr, uint32_t wild, int proto)
{
	uint32_t mask = ~wild;

	out[1] = proto < 0 ? 0 : (uint8_t)proto;
	out[2] = out[3] = 0;
	memcpy(out + 4, &addr, 4);
	if (wild == 0) {
		out[0] = IPSEC_ID_IPV4_ADDR;
		return 8;
	}
	out[0] = IPSEC_ID_IPV4_SUBNET;
	memcpy(out + 8, &mask, 4);
	return 12;
}

static size_t
integ_key_len(enum dp_integ i)
{
	switch (i) {
	case DP_INTEG_HMAC_MD5_96: return 16;
	case DP_INTEG_HMAC_SHA1_96: return 20;
	case DP_INTEG_HMAC_SHA256_128: return 32;
	case DP_INTEG_HMAC_SHA384_192: return 48;
	case DP_INTEG_HMAC_SHA512_256: return 64;
	default: return 0;
	}
}

static size_t
cipher_key_len(const struct ike_tset *t)
{
	if (t->cipher == DP_CIPHER_3DES_CBC)
		return 24;
	if (t->cipher == DP_CIPHER_AES_CBC)
		return t->key_bits / 8;
	/* RFC 4106 8.1: the KEYMAT of AES-GCM ends in the 4-octet salt. */
	if (t->cipher == DP_CIPHER_AES_GCM)
		return t->key_bits / 8 + 4;
	return 0;
}

static void
put_p2_transform(struct isakmp_buf *b, const struct ike_qm *qm,
		 const struct ike_tset *t, uint8_t num, bool last)
{
	size_t start = b->len;

	isakmp_put8(b, last ? ISAKMP_NP_NONE : ISAKMP_NP_T);
	isakmp_put8(b, 0);
	isakmp_put16(b, 0);
	isakmp_put8(b, num);
	isakmp_put8(b, t->esp_id);
	isakmp_put16(b, 0);
	isakmp_put_attr(b, IPSEC_ATTR_LIFE_TYPE, IKE_LIFE_SECONDS);
	isakmp_put_attr(b, IPSEC_ATTR_LIFE_DURATION, qm->life_sec);
	isakmp_put_attr(b, IPSEC_ATTR_LIFE_TYPE, IKE_LIFE_KILOBYTES);
	isakmp_put_attr(b, IPSEC_ATTR_LIFE_DURATION, qm->life_kb);
	isakmp_put_attr(b, IPSEC_ATTR_ENCAP, qm->encap);
	if (t->auth != 0)
		isakmp_put_attr(b, IPSEC_ATTR_AUTH, t->auth);
	if (t->esp_id == IPSEC_ESP_AES || t->esp_id == IPSEC_ESP_AES_GCM_16)
		isakmp_put_attr(b, IPSEC_ATTR_KEY_LENGTH, t->key_bits);
	if (qm->group != 0)
		isakmp_put_attr(b, IPSEC_ATTR_GROUP, qm->group);
	if (!b->overflow) {
		b->data[start + 2] = (uint8_t)((b->len - start) >> 8);
		b->data[start + 3] = (uint8_t)(b->len - start);
	}
}

/* Writes a QM SA body: one ESP proposal with SPI and the transforms. */
static void
put_p2_sa(struct isakmp_buf *b, const struct ike_qm *qm,
	  const struct ike_tset *const *ts, size_t n, uint8_t first_num)
{
	size_t prop;

	isakmp_put32(b, ISAKMP_DOI_IPSEC);
	isakmp_put32(b, 1);
	prop = b->len;
	isakmp_put8(b, ISAKMP_NP_NONE);
	isakmp_put8(b, 0);
	isakmp_put16(b, 0);
	isakmp_put8(b, 1);
	isakmp_put8(b, ISAKMP_PROTO_ESP);
	isakmp_put8(b, 4);
	isakmp_put8(b, (uint8_t)n);
	isakmp_put32(b, qm->spi_in);
	for (size_t i = 0; i < n; i++)
		put_p2_transform(b, qm, ts[i], (uint8_t)(first_num + i),
				 i + 1 == n);
	if (!b->overflow) {
		b->data[prop + 2] = (uint8_t)((b->len - prop) >> 8);
		b->data[prop + 3] = (uint8_t)(b->len - prop);
	}
}

/* Computes QM HASH(1) or HASH(2) over the payloads after the HASH. */
static int
qm_hash12(const struct ike_sa *sa, const struct ike_qm *qm, bool second,
	  const uint8_t *after, size_t after_len, uint8_t *out)
{
	uint8_t mid[4];
	struct ike_chunk in[3];
	size_t n = 0;

	put_be32(mid, qm->msgid);
	in[n++] = (struct ike_chunk){ mid, 4 };
	if (second)
		in[n++] = (struct ike_chunk){ qm->ni, qm->ni_len };
	in[n++] = (struct ike_chunk){ after, after_len };
	return ike_prf(sa->pol.hash, sa->keys.skeyid_a, sa->keys.prf_len, in,
		       n, out);
}

static int
qm_hash3(const struct ike_sa *sa, const struct ike_qm *qm, uint8_t *out)
{
	static const uint8_t zero;
	uint8_t mid[4];
	struct ike_chunk in[4] = {
		{ &zero, 1 }, { mid, 4 }, { qm->ni, qm->ni_len },
		{ qm->nr, qm->nr_len },
	};

	put_be32(mid, qm->msgid);
	return ike_prf(sa->pol.hash, sa->keys.skeyid_a, sa->keys.prf_len, in,
		       4, out);
}

static struct ike_qm *
new_qm(struct ikemgr *ike, struct ike_sa *sa, uint32_t msgid,
       bool initiator)
{
	struct ike_qm *qm, **arr;

	arr = realloc(ike->qms, (ike->nqms + 1) * sizeof(*arr));
	if (arr == NULL)
		return NULL;
	ike->qms = arr;
	qm = calloc(1, sizeof(*qm));
	if (qm == NULL)
		return NULL;
	qm->conn_id = sa->conn_id;
	qm->msgid = msgid;
	qm->initiator = initiator;
	qm->started = ike_now(ike);
	if (ikev1_phase2_iv(sa, msgid, qm->iv) < 0) {
		free(qm);
		return NULL;
	}
	ike->qms[ike->nqms++] = qm;
	return qm;
}

/*
 * Reads one Quick Mode ID body (RFC 2407 4.6.2) into an address, mask
 * and port. Without an ID (LEN 0) the side is the IKE peer HOST itself
 * (RFC 2409 5.5). Returns the protocol.
 *
 * NOTE: an ID of a type other than IPv4 address or subnet, such as an
 * address range, also narrows the side to HOST.
 */
static uint8_t
id_to_selector(const uint8_t *id, size_t len, uint32_t host, uint32_t *addr,
	       uint32_t *mask, uint16_t *port)
{
	*addr = host;
	*mask = 0xffffffff;
	*port = 0;
	if (len < 8)
		return 0;
	*port = (uint16_t)(id[2] << 8 | id[3]);
	if (id[0] == IPSEC_ID_IPV4_ADDR && len == 8) {
		memcpy(addr, id + 4, 4);
	} else if (id[0] == IPSEC_ID_IPV4_SUBNET && len == 12) {
		memcpy(addr, id + 4, 4);
		memcpy(mask, id + 8, 4);
		*addr &= *mask;
	}
	return id[1];
}

/* Fills the selector of C from the IDs of QM: IDci is the initiator's
 * side, IDcr the responder's. */
static void
fill_selector(const struct ike_sa *sa, const struct ike_qm *qm,
	      struct dp_sa_cfg *c)
{
	struct dp_selector *s = &c->selector;
	const uint8_t *lid = qm->initiator ? qm->idci : qm->idcr;
	const uint8_t *rid = qm->initiator ? qm->idcr : qm->idci;
	size_t llen = qm->initiator ? qm->idci_len : qm->idcr_len;
	size_t rlen = qm->initiator ? qm->idcr_len : qm->idci_len;

	c->has_selector = true;
	s->proto = id_to_selector(lid, llen, sa->local, &s->local,
				  &s->local_mask, &s->local_port);
	id_to_selector(rid, rlen, sa->peer, &s->remote, &s->remote_mask,
		       &s->remote_port);
}

/* Writes the SA parameters of one direction of QM into C. */
static int
fill_sa_cfg(const struct ike_sa *sa, const struct ike_qm *qm,
	    const struct ike_keys *k, bool outbound, struct dp_sa_cfg *c)
{
	struct dp_sa_params *p = &c->params;
	uint32_t spi = outbound ? qm->spi_out : qm->spi_in;
	size_t ek = cipher_key_len(&qm->ts), ik = integ_key_len(qm->ts.integ);
	uint8_t spi_n[4], km[DP_KEY_MAX * 2];

	memset(c, 0, sizeof(*c));
	put_be32(spi_n, spi);
	if (ike_keymat(k, qm->gxy, qm->gxy_len, ISAKMP_PROTO_ESP, spi_n,
		       qm->ni, qm->ni_len, qm->nr, qm->nr_len, km,
		       ek + ik) < 0)
		return -1;
	p->spi = spi;
	p->src = outbound ? sa->local : sa->peer;
	p->dst = outbound ? sa->peer : sa->local;
	p->outbound = outbound;
	p->tunnel = !qm->ts.transport;
	p->udp_encap = sa->natt;
	if (sa->natt) {
		p->encap_sport = outbound ? sa->lport : sa->pport;
		p->encap_dport = outbound ? sa->pport : sa->lport;
	}
	p->cipher = qm->ts.cipher;
	memcpy(p->cipher_key, km, ek);
	p->cipher_key_len = ek;
	p->integ = qm->ts.integ;
	memcpy(p->integ_key, km + ek, ik);
	p->integ_key_len = ik;
	p->replay_window = outbound ? 0 : DP_REPLAY_WINDOW_DEFAULT;
	memset(km, 0, sizeof(km));
	snprintf(c->map, sizeof(c->map), "%s", qm->entry.map);
	c->map_seq = qm->entry.seq;
	snprintf(c->ifname, sizeof(c->ifname), "%s", qm->entry.ifname);
	snprintf(c->transform, sizeof(c->transform), "%s", qm->ts.text);
	c->lifetime_kb = qm->life_kb;
	c->lifetime_sec = qm->life_sec;
	fill_selector(sa, qm, c);
	return 0;
}

/*
 * Installs the inbound SA, or both, in the datapath. The inbound one
 * goes in before the message that lets the peer use it is sent.
 */
static int
install(struct ikemgr *ike, struct ike_sa *sa, struct ike_qm *qm,
	bool inbound, bool outbound)
{
	struct dp_sa_cfg cfgs[2];
	size_t n = 0;
	char err[128];
	int rc;

	if (inbound && fill_sa_cfg(sa, qm, &sa->keys, false, &cfgs[n++]) < 0)
		return -1;
	if (outbound && fill_sa_cfg(sa, qm, &sa->keys, true, &cfgs[n++]) < 0)
		return -1;
	rc = ike->io.install != NULL ?
	     ike->io.install(ike->io_ctx, cfgs, n, err, sizeof(err)) : 0;
	memset(cfgs, 0, sizeof(cfgs));
	if (rc < 0) {
		if (debug_on_peer(DEBUG_CRYPTO_IPSEC, dbg_peer))
			log_debug("IPSEC(create_sa): failed: %s", err);
		return -1;
	}
	if (inbound)
		DBG(sa->conn_id, "Successfully installed IPSEC SA (SPI:0x%X) on %s",
		    qm->spi_in, qm->entry.ifname);
	return 0;
}

static void
add_child(struct ikemgr *ike, struct ike_sa *sa,
	  const struct ike_qm *qm)
{
	struct ike_child *arr;
	struct dp_sa_cfg flow = { 0 };
	double now = ike_now(ike);

	arr = realloc(ike->children,
		      (ike->nchildren + 1) * sizeof(*ike->children));
	if (arr == NULL)
		return;
	ike->children = arr;
	fill_selector(sa, qm, &flow);
	arr[ike->nchildren++] = (struct ike_child){
		.conn_id = sa->conn_id,
		.local = sa->local,
		.peer = sa->peer,
		.spi_in = qm->spi_in,
		.spi_out = qm->spi_out,
		.map_seq = qm->entry.seq,
		.initiator = qm->initiator,
		.created = now,
		.expires = now + qm->life_sec,
		.selector = flow.selector,
		.started = qm->started,
		.serial = ++ike->children_added,
	};
	snprintf(arr[ike->nchildren - 1].map, DP_NAME_MAX, "%s",
		 qm->entry.map);
	snprintf(arr[ike->nchildren - 1].ifname, DP_IFNAME_MAX, "%s",
		 qm->entry.ifname);
	sa->child_sas++;
	atomic_fetch_add(&ike->p2_established, 1);
	DBG_IPSEC("(create_sa): sa created, (sa) sa_dest= %s, sa_prot= 50, sa_spi= 0x%X(%u), sa_trans= %s , sa_conn_id= %u",
		  ntoa(sa->local, (char[INET_ADDRSTRLEN]){ 0 }), qm->spi_in,
		  qm->spi_in, qm->ts.text, sa->conn_id);
}

static int
qm_dh(struct ike_qm *qm, uint8_t *pub, size_t *len)
{
	qm->dh = ike_dh_new(qm->group);
	return qm->dh == NULL ? -1 :
	       ike_dh_public(qm->dh, pub, IKE_DH_MAX, len);
}

int
ikev1_quick_start(struct ikemgr *ike, struct ike_sa *sa,
		  const struct ike_entry *entry)
{
	const struct ike_tset *ts[IKE_ENTRY_TSETS];
	uint8_t msg[2048], hash[IKE_HASH_MAX], pub[IKE_DH_MAX];
	size_t pub_len = 0, hash_off, after;
	struct isakmp_hdr h;
	struct isakmp_buf b;
	struct ike_qm *qm;

	about(sa->peer);
	if (entry->ntsets == 0 || !entry->has_selector ||
	    sa->state != IKE_QM_IDLE)
		return -1;
	for (size_t i = 0; i < ike->nqms; i++)
		if (ike->qms[i]->conn_id == sa->conn_id &&
		    ike->qms[i]->initiator &&
		    ike->qms[i]->entry.seq == entry->seq &&
		    strcmp(ike->qms[i]->entry.map, entry->map) == 0 &&
		    strcmp(ike->qms[i]->entry.ifname, entry->ifname) == 0)
			return 0;	/* already under way */
	qm = new_qm(ike, sa, ikev1_random_msgid(), true);
	if (qm == NULL)
		return -1;
	qm->entry = *entry;
	qm->group = entry->pfs_group;
	qm->life_sec = entry->life_sec;
	qm->life_kb = entry->life_kb;
	qm->spi_in = new_spi(ike);
	qm->ni_len = IKE_NONCE_LEN;
	for (size_t i = 0; i < entry->ntsets; i++)
		ts[i] = &ike->config->tsets[entry->tsets[i]];
	qm->encap = ts[0]->transport ?
		    (sa->natt ? IPSEC_ENCAP_UDP_TRANSPORT :
				IPSEC_ENCAP_TRANSPORT) :
		    (sa->natt ? IPSEC_ENCAP_UDP_TUNNEL : IPSEC_ENCAP_TUNNEL);
	if (ike_random(qm->ni, qm->ni_len) < 0 ||
	    (qm->group != 0 && qm_dh(qm, pub, &pub_len) < 0))
		goto fail;
	qm->idci_len = put_id(qm->idci, entry->selector.src,
			      entry->selector.src_wild, entry->selector.proto);
	qm->idcr_len = put_id(qm->idcr, entry->selector.dst,
			      entry->selector.dst_wild, entry->selector.proto);

	DBG(sa->conn_id, "beginning Quick Mode exchange, M-ID of %d",
	    (int32_t)qm->msgid);
	DBG(sa->conn_id, "QM Initiator gets spi");
	hdr_for(sa, &h, ISAKMP_XCHG_QUICK, ISAKMP_FLAG_E, qm->msgid);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	memset(hash, 0, sizeof(hash));
	hash_off = isakmp_add(&b, ISAKMP_NP_HASH, hash, sa->keys.prf_len);
	after = b.len;
	{
		uint8_t body[1024];
		struct isakmp_buf sb;

		isakmp_build_start(&sb, body, sizeof(body), NULL);
		put_p2_sa(&sb, qm, ts, entry->ntsets, 1);
		if (sb.overflow)
			goto fail;
		isakmp_add(&b, ISAKMP_NP_SA, body, sb.len);
	}
	isakmp_add(&b, ISAKMP_NP_NONCE, qm->ni, qm->ni_len);
	if (qm->group != 0)
		isakmp_add(&b, ISAKMP_NP_KE, pub, pub_len);
	isakmp_add(&b, ISAKMP_NP_ID, qm->idci, qm->idci_len);
	isakmp_add(&b, ISAKMP_NP_ID, qm->idcr, qm->idcr_len);
	if (b.overflow || hash_off == 0 ||
	    qm_hash12(sa, qm, false, msg + after, b.len - after, hash) < 0)
		goto fail;
	memcpy(msg + hash_off, hash, sa->keys.prf_len);
	if (encrypt_msg(sa, &b, qm->iv) == 0)
		goto fail;
	qm->step = 1;
	if (debug_on_peer(DEBUG_CRYPTO_IPSEC, dbg_peer)) {
		char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

		log_debug("IPSEC(sa_request): ,\n  (key eng. msg.) OUTBOUND local= %s, remote= %s,\n    protocol= ESP, transform= %s  (%s),\n    lifedur= %us and %ukb,\n    spi= 0x%X(%u), conn_id= %u",
			  ntoa(sa->local, l), ntoa(sa->peer, r), ts[0]->text,
			  ts[0]->transport ? "Transport" : "Tunnel",
			  qm->life_sec, qm->life_kb, qm->spi_in, qm->spi_in,
			  sa->conn_id);
	}
	sa_send(ike, sa, &qm->retx, msg, b.len);
	return 0;
fail:
	remove_qm(ike, qm);
	return -1;
}

/* Reads an ESP transform into TS and the lifetime and encap of QM;
 * false when it has attributes or algorithms we do not support. */
static bool
read_p2_transform(const struct isakmp_transform *t, struct ike_qm *qm,
		  struct ike_tset *ts)
{
	struct isakmp_attr a;
	size_t off = 0;
	bool kb = false;
	uint8_t group = 0;

	memset(ts, 0, sizeof(*ts));
	ts->esp_id = t->id;
	qm->encap = IPSEC_ENCAP_TUNNEL;
	while (isakmp_next_attr(t->attrs, t->attrs_len, &off, &a) > 0) {
		switch (a.type) {
		case IPSEC_ATTR_LIFE_TYPE:
			kb = a.value == IKE_LIFE_KILOBYTES;
			break;
		case IPSEC_ATTR_LIFE_DURATION:
			if (kb)
				qm->life_kb = a.value;
			else
				qm->life_sec = a.value;
			break;
		case IPSEC_ATTR_GROUP: group = (uint8_t)a.value; break;
		case IPSEC_ATTR_ENCAP:
			/* Draft NAT-T values 61443 and 61444 too. */
			qm->encap = a.value == 61443 ? IPSEC_ENCAP_UDP_TUNNEL :
				    a.value == 61444 ?
				    IPSEC_ENCAP_UDP_TRANSPORT :
				    (uint8_t)a.value;
			break;
		case IPSEC_ATTR_AUTH: ts->auth = (uint8_t)a.value; break;
		case IPSEC_ATTR_KEY_LENGTH:
			ts->key_bits = (uint16_t)a.value;
			break;
		default:
			return false;
		}
	}
	if (group != qm->group)
		return false;
	if ((ts->esp_id == IPSEC_ESP_AES ||
	     ts->esp_id == IPSEC_ESP_AES_GCM_16) && ts->key_bits == 0)
		ts->key_bits = 128;
	ts->transport = qm->encap == IPSEC_ENCAP_TRANSPORT ||
			qm->encap == IPSEC_ENCAP_UDP_TRANSPORT;
	return true;
}

static bool
tset_matches(const struct ike_tset *mine, const struct ike_tset *his)
{
	return mine->esp_id == his->esp_id && mine->auth == his->auth &&
	       (mine->key_bits == 0 || mine->key_bits == his->key_bits) &&
	       mine->transport == his->transport;
}

/* Verifies HASH(1)/HASH(2): the first payload, over what follows it. */
static bool
check_qm_hash(const struct ike_sa *sa, const struct ike_qm *qm, bool second,
	      const struct isakmp_msg *m, const uint8_t *end)
{
	uint8_t want[IKE_HASH_MAX];
	const struct isakmp_pl *h = &m->pl[0];
	const uint8_t *after;

	if (m->n < 2 || h->type != ISAKMP_NP_HASH ||
	    h->len != sa->keys.prf_len)
		return false;
	after = h->body + h->len;
	if (qm_hash12(sa, qm, second, after, (size_t)(end - after), want) < 0)
		return false;
	return equal_ct(want, h->body, h->len);
}

/* Returns the end of the last payload of M, which HASH(1) and HASH(2)
 * cover. Returns NULL for a message without payloads, which has no HASH
 * to check. */
static const uint8_t *
payload_end(const struct isakmp_msg *m)
{
	const struct isakmp_pl *last;

	if (m->n == 0)
		return NULL;
	last = &m->pl[m->n - 1];
	return last->body + last->len;
}

static int
qm_shared(struct ike_qm *qm, const struct isakmp_msg *m)
{
	const struct isakmp_pl *ke = isakmp_find(m, ISAKMP_NP_KE);

	if (qm->group == 0)
		return ke == NULL ? 0 : -1;
	if (ke == NULL || qm->dh == NULL)
		return -1;
	return ike_dh_shared(qm->dh, ke->body, ke->len, qm->gxy,
			     sizeof(qm->gxy), &qm->gxy_len);
}

/* Reads the two ID payloads of a QM message into QM, if present. */
static void
read_ids(struct ike_qm *qm, const struct isakmp_msg *m)
{
	size_t k = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct isakmp_pl *p = &m->pl[i];

		if (p->type != ISAKMP_NP_ID || p->len > sizeof(qm->idci))
			continue;
		if (k == 0) {
			memcpy(qm->idci, p->body, p->len);
			qm->idci_len = p->len;
		} else if (k == 1) {
			memcpy(qm->idcr, p->body, p->len);
			qm->idcr_len = p->len;
		}
		k++;
	}
}

/*
 * Appends RESPONDER-LIFETIME (RFC 2407 4.6.3.1): the responder's shorter
 * lifetimes, which the initiator must adopt, as IOS sends it.
 */
static void
add_responder_lifetime(struct isakmp_buf *b, const struct ike_qm *qm)
{
	uint8_t body[40];
	struct isakmp_buf nb;

	isakmp_build_start(&nb, body, sizeof(body), NULL);
	isakmp_put32(&nb, ISAKMP_DOI_IPSEC);
	isakmp_put8(&nb, ISAKMP_PROTO_ESP);
	isakmp_put8(&nb, 4);
	isakmp_put16(&nb, ISAKMP_N_RESPONDER_LIFETIME);
	isakmp_put32(&nb, qm->spi_in);
	isakmp_put_attr(&nb, IPSEC_ATTR_LIFE_TYPE, IKE_LIFE_SECONDS);
	isakmp_put_attr(&nb, IPSEC_ATTR_LIFE_DURATION, qm->life_sec);
	isakmp_put_attr(&nb, IPSEC_ATTR_LIFE_TYPE, IKE_LIFE_KILOBYTES);
	isakmp_put_attr(&nb, IPSEC_ATTR_LIFE_DURATION, qm->life_kb);
	isakmp_add(b, ISAKMP_NP_N, body, nb.len);
}

/* Initiator: adopts the lifetimes of a RESPONDER-LIFETIME in M. */
static void
read_responder_lifetime(struct ike_sa *sa, struct ike_qm *qm,
			const struct isakmp_msg *m)
{
	struct isakmp_notify n;
	struct isakmp_attr a;
	size_t off = 0;
	bool kb = false;

	for (size_t i = 0; i < m->n; i++) {
		if (m->pl[i].type != ISAKMP_NP_N ||
		    isakmp_parse_notify(m->pl[i].body, m->pl[i].len, &n) < 0 ||
		    n.type != ISAKMP_N_RESPONDER_LIFETIME)
			continue;
		DBG(sa->conn_id, "processing NOTIFY RESPONDER_LIFETIME protocol %u",
		    n.proto);
		while (isakmp_next_attr(n.data, n.data_len, &off, &a) > 0) {
			if (a.type == IPSEC_ATTR_LIFE_TYPE)
				kb = a.value == IKE_LIFE_KILOBYTES;
			else if (a.type == IPSEC_ATTR_LIFE_DURATION && kb &&
				 a.value > 0 && a.value < qm->life_kb)
				qm->life_kb = a.value;
			else if (a.type == IPSEC_ATTR_LIFE_DURATION && !kb &&
				 a.value > 0 && a.value < qm->life_sec)
				qm->life_sec = a.value;
		}
		return;
	}
}

/* Responder: QM1 in, QM2 out after the inbound SA is installed. */
static void
qm_r1(struct ikemgr *ike, struct ike_sa *sa, struct ike_qm *qm,
      const struct isakmp_msg *m)
{
	const struct isakmp_pl *sap = isakmp_find(m, ISAKMP_NP_SA);
	const struct isakmp_pl *nonce = isakmp_find(m, ISAKMP_NP_NONCE);
	const struct isakmp_pl *ke = isakmp_find(m, ISAKMP_NP_KE);
	const struct ike_entry *e = NULL;
	struct isakmp_sa *prop = NULL;
	const struct isakmp_proposal *pp = NULL;
	const struct ike_tset *chosen_ts[1];
	uint8_t msg[2048], hash[IKE_HASH_MAX], pub[IKE_DH_MAX];
	size_t pub_len = 0, hash_off, after;
	uint8_t pick_num = 0;
	struct isakmp_hdr h;
	struct isakmp_buf b;
	bool found = false, lowered;

	if (!check_qm_hash(sa, qm, false, m, payload_end(m))) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		goto fail;
	}
	follow_peer_port(ike, sa);
	if (sap == NULL || nonce == NULL || nonce->len > sizeof(qm->ni))
		goto fail;
	memcpy(qm->ni, nonce->body, nonce->len);
	qm->ni_len = nonce->len;
	read_ids(qm, m);
	e = ike_config_entry_for_ids(ike->config, sa->peer, qm->idci,
				     qm->idci_len, qm->idcr, qm->idcr_len);
	if (e == NULL) {
		if (debug_on_peer(DEBUG_CRYPTO_IPSEC, dbg_peer))
			log_debug("IPSEC(validate_transform_proposal): proxy identities not supported");
		goto fail;
	}
	prop = malloc(sizeof(*prop));
	if (prop == NULL || isakmp_parse_sa(sap->body, sap->len, prop) < 0)
		goto fail;
	qm->entry = *e;
	qm->group = ke != NULL ? e->pfs_group : 0;
	if (ke != NULL && qm->group == 0)
		qm->group = 0xff;	/* never matches: PFS not configured */
	for (size_t p = 0; p < prop->nproposals && !found; p++) {
		pp = &prop->p[p];
		if (pp->proto != ISAKMP_PROTO_ESP || pp->spi_size != 4)
			continue;
		for (size_t t = 0; t < pp->ntransforms && !found; t++) {
			struct ike_tset his;

			qm->life_sec = e->life_sec;
			qm->life_kb = e->life_kb;
			if (!read_p2_transform(&pp->t[t], qm, &his))
				continue;
			for (size_t k = 0; k < e->ntsets && !found; k++) {
				const struct ike_tset *mine =
					&ike->config->tsets[e->tsets[k]];

				if (!tset_matches(mine, &his))
					continue;
				qm->ts = *mine;
				pick_num = pp->t[t].num;
				found = true;
			}
		}
	}
	if (!found) {
		DBG(sa->conn_id, "IPSec policy invalidated proposal with error 32");
		goto fail;
	}
	qm->spi_out = get_be32(pp->spi);
	if (qm->spi_out == 0)
		goto fail;
	lowered = qm->life_sec > e->life_sec || qm->life_kb > e->life_kb;
	if (qm->life_sec > e->life_sec || qm->life_sec == 0)
		qm->life_sec = e->life_sec;
	if (qm->life_kb > e->life_kb || qm->life_kb == 0)
		qm->life_kb = e->life_kb;
	qm->spi_in = new_spi(ike);
	qm->nr_len = IKE_NONCE_LEN;
	if (ike_random(qm->nr, qm->nr_len) < 0 ||
	    (qm->group != 0 && qm_dh(qm, pub, &pub_len) < 0) ||
	    qm_shared(qm, m) < 0)
		goto fail;
	DBG(sa->conn_id, "QM Responder gets spi");
	if (install(ike, sa, qm, true, false) < 0)
		goto fail;
	qm->installed = true;

	hdr_for(sa, &h, ISAKMP_XCHG_QUICK, ISAKMP_FLAG_E, qm->msgid);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	memset(hash, 0, sizeof(hash));
	hash_off = isakmp_add(&b, ISAKMP_NP_HASH, hash, sa->keys.prf_len);
	after = b.len;
	{
		uint8_t body[512];
		struct isakmp_buf sb;

		chosen_ts[0] = &qm->ts;
		isakmp_build_start(&sb, body, sizeof(body), NULL);
		put_p2_sa(&sb, qm, chosen_ts, 1, pick_num);
		isakmp_add(&b, ISAKMP_NP_SA, body, sb.len);
	}
	isakmp_add(&b, ISAKMP_NP_NONCE, qm->nr, qm->nr_len);
	if (qm->group != 0)
		isakmp_add(&b, ISAKMP_NP_KE, pub, pub_len);
	if (qm->idci_len > 0) {
		isakmp_add(&b, ISAKMP_NP_ID, qm->idci, qm->idci_len);
		isakmp_add(&b, ISAKMP_NP_ID, qm->idcr, qm->idcr_len);
	}
	if (lowered)
		add_responder_lifetime(&b, qm);
	if (b.overflow || hash_off == 0 ||
	    qm_hash12(sa, qm, true, msg + after, b.len - after, hash) < 0)
		goto fail;
	memcpy(msg + hash_off, hash, sa->keys.prf_len);
	if (encrypt_msg(sa, &b, qm->iv) == 0)
		goto fail;
	qm->step = 2;
	sa_send(ike, sa, &qm->retx, msg, b.len);
	free(prop);
	return;
fail:
	if (qm->installed && ike->io.remove != NULL)
		ike->io.remove(ike->io_ctx, false, sa->local, qm->spi_in);
	free(prop);
	remove_qm(ike, qm);
}

/* Initiator: QM2 in, SAs installed, QM3 out. */
static void
qm_i2(struct ikemgr *ike, struct ike_sa *sa, struct ike_qm *qm,
      const struct isakmp_msg *m)
{
	const struct isakmp_pl *sap = isakmp_find(m, ISAKMP_NP_SA);
	const struct isakmp_pl *nonce = isakmp_find(m, ISAKMP_NP_NONCE);
	struct isakmp_sa *prop = NULL;
	struct ike_tset his;
	uint8_t msg[256], hash[IKE_HASH_MAX];
	struct isakmp_hdr h;
	struct isakmp_buf b;
	bool ok = false;
	uint32_t life_sec = qm->life_sec, life_kb = qm->life_kb;

	if (nonce == NULL || nonce->len > sizeof(qm->nr) || sap == NULL)
		return;
	memcpy(qm->nr, nonce->body, nonce->len);
	qm->nr_len = nonce->len;
	if (!check_qm_hash(sa, qm, true, m, payload_end(m))) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	follow_peer_port(ike, sa);
	prop = malloc(sizeof(*prop));
	if (prop == NULL || isakmp_parse_sa(sap->body, sap->len, prop) < 0 ||
	    prop->nproposals != 1 || prop->p[0].ntransforms != 1 ||
	    prop->p[0].spi_size != 4 ||
	    !read_p2_transform(&prop->p[0].t[0], qm, &his))
		goto out;
	for (size_t k = 0; k < qm->entry.ntsets && !ok; k++) {
		const struct ike_tset *mine =
			&ike->config->tsets[qm->entry.tsets[k]];

		if (tset_matches(mine, &his)) {
			qm->ts = *mine;
			ok = true;
		}
	}
	if (!ok || qm_shared(qm, m) < 0)
		goto out;
	if (qm->life_sec == 0 || qm->life_sec > life_sec)
		qm->life_sec = life_sec;
	if (qm->life_kb == 0 || qm->life_kb > life_kb)
		qm->life_kb = life_kb;
	read_responder_lifetime(sa, qm, m);
	qm->spi_out = get_be32(prop->p[0].spi);
	if (install(ike, sa, qm, true, true) < 0)
		goto out;

	hdr_for(sa, &h, ISAKMP_XCHG_QUICK, ISAKMP_FLAG_E, qm->msgid);
	isakmp_build_start(&b, msg, sizeof(msg), &h);
	if (qm_hash3(sa, qm, hash) < 0)
		goto out;
	isakmp_add(&b, ISAKMP_NP_HASH, hash, sa->keys.prf_len);
	if (encrypt_msg(sa, &b, qm->iv) == 0)
		goto out;
	sa_send(ike, sa, NULL, msg, b.len);
	add_child(ike, sa, qm);
	DBG(sa->conn_id, "deleting node %d error FALSE reason \"No Error\"",
	    (int32_t)qm->msgid);
	DBG(sa->conn_id, "Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE");
	remove_qm(ike, qm);
out:
	free(prop);
}

/* Responder: QM3 in, outbound SA installed. */
static void
qm_r3(struct ikemgr *ike, struct ike_sa *sa, struct ike_qm *qm,
      const struct isakmp_msg *m)
{
	uint8_t want[IKE_HASH_MAX];
	const struct isakmp_pl *h = isakmp_find(m, ISAKMP_NP_HASH);

	if (h == NULL || h->len != sa->keys.prf_len ||
	    qm_hash3(sa, qm, want) < 0 ||
	    !equal_ct(want, h->body, h->len)) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	follow_peer_port(ike, sa);
	if (install(ike, sa, qm, false, true) < 0)
		return;
	add_child(ike, sa, qm);
	DBG(sa->conn_id, "deleting node %d error FALSE reason \"QM done (await)\"",
	    (int32_t)qm->msgid);
	DBG(sa->conn_id, "Old State = IKE_QM_R_QM2  New State = IKE_QM_PHASE2_COMPLETE");
	remove_qm(ike, qm);
}

/* ---- Informational ---- */

/* Acts on a DELETE payload. Returns false when it is malformed. */
static bool
handle_delete(struct ikemgr *ike, struct ike_sa *sa, const uint8_t *body,
	      size_t len, bool *sa_gone)
{
	struct isakmp_delete d;

	if (isakmp_parse_delete(body, len, &d) < 0)
		return false;
	atomic_fetch_add(&ike->delete_received, 1);
	if (d.proto == ISAKMP_PROTO_ISAKMP && d.spi_size == 16) {
		/* The SPI of an ISAKMP SA is its cookie pair. */
		if (d.nspis == 0 || memcmp(d.spis, sa->icookie, 8) != 0 ||
		    memcmp(d.spis + 8, sa->rcookie, 8) != 0) {
			DBG(sa->conn_id, "DELETE for another IKE SA ignored");
			return true;
		}
		DBG(sa->conn_id, "processing DELETE payload for the IKE SA");
		ikev1_delete_sa(ike, sa, false, false);
		*sa_gone = true;
		return true;
	}
	if (d.proto != ISAKMP_PROTO_ESP || d.spi_size != 4)
		return true;
	for (uint16_t k = 0; k < d.nspis; k++) {
		uint32_t spi = get_be32(d.spis + 4 * k);
		bool found = false;

		DBG(sa->conn_id, "processing DELETE payload. SPI 0x%X", spi);
		/* The peer names its inbound SPI: our outbound. */
		for (size_t i = 0; i < ike->nchildren; i++) {
			if (ike->children[i].peer == sa->peer &&
			    (ike->children[i].spi_out == spi ||
			     ike->children[i].spi_in == spi)) {
				if (debug_on_peer(DEBUG_CRYPTO_IPSEC, dbg_peer))
					log_debug("IPSEC(key_engine_delete_sas): rec'd delete notify from ISAKMP");
				ikev1_remove_child(ike, i, false);
				found = true;
				break;
			}
		}
		if (!found)
			DBG(sa->conn_id, "DELETE for unknown ESP SPI 0x%X ignored",
			    spi);
	}
	return true;
}

/*
 * Handles the peer's INVALID-SPI notify: it received ESP on an SPI it
 * does not have, our outbound SPI of a pair. The pair is deleted (with
 * a DELETE for our inbound SA) and, for an entry this side may
 * initiate, negotiated again. The SPI is in the SPI field as RFC 2408
 * 3.14 places it, or in the data from peers that leave the SPI field
 * empty.
 */
static void
invalid_spi_notify(struct ikemgr *ike, struct ike_sa *sa,
		   const struct isakmp_notify *n)
{
	const struct ike_entry *e;
	char map[DP_NAME_MAX], ifname[DP_IFNAME_MAX];
	uint32_t spi, seq;

	if (n->proto != ISAKMP_PROTO_ESP)
		return;
	if (n->spi_size == 4)
		spi = get_be32(n->spi);
	else if (n->data_len >= 4)
		spi = get_be32(n->data);
	else
		return;
	for (size_t i = 0; i < ike->nchildren; i++) {
		const struct ike_child *c = &ike->children[i];

		if (c->peer != sa->peer || c->spi_out != spi)
			continue;
		DBG(sa->conn_id, "INVALID_SPI for outbound ESP SPI 0x%X: "
		    "deleting the pair and negotiating a new one", spi);
		snprintf(map, sizeof(map), "%s", c->map);
		snprintf(ifname, sizeof(ifname), "%s", c->ifname);
		seq = c->map_seq;
		ikev1_remove_child(ike, i, true);
		e = ike_config_lookup(ike->config, map, seq, ifname);
		if (e != NULL && !e->dynamic)
			ikev1_quick_start(ike, sa, e);
		return;
	}
	DBG(sa->conn_id, "INVALID_SPI for unknown ESP SPI 0x%X ignored", spi);
}

/* Acts on a Notify payload. Returns false when it is malformed. */
static bool
handle_notify(struct ikemgr *ike, struct ike_sa *sa, const uint8_t *body,
	      size_t len)
{
	struct isakmp_notify n;
	uint32_t seq;

	if (isakmp_parse_notify(body, len, &n) < 0)
		return false;
	DBG(sa->conn_id, "processing NOTIFY %s protocol %u",
	    isakmp_notify_name(n.type), n.proto);
	switch (n.type) {
	case ISAKMP_N_R_U_THERE:
		if (n.data_len != 4)
			return false;
		seq = get_be32(n.data);
		DBG(sa->conn_id, "received DPD_R_U_THERE from peer, sequence 0x%X",
		    seq);
		send_notify(ike, sa, ISAKMP_N_R_U_THERE_ACK, n.data, 4);
		break;
	case ISAKMP_N_R_U_THERE_ACK:
		if (n.data_len == 4 && get_be32(n.data) == sa->dpd_seq) {
			sa->dpd_sent = 0;
			sa->dpd_missed = 0;
		}
		break;
	case ISAKMP_N_INITIAL_CONTACT:
		initial_contact(ike, sa);
		break;
	case ISAKMP_N_INVALID_SPI:
		invalid_spi_notify(ike, sa, &n);
		break;
	default:
		break;
	}
	return true;
}

bool
ikev1_check_hash(const struct ike_sa *sa, uint32_t msgid,
		 const struct isakmp_msg *m)
{
	uint8_t want[IKE_HASH_MAX], mid[4];
	const struct isakmp_pl *hp = &m->pl[0];
	const uint8_t *after;
	struct ike_chunk in[2];

	if (m->n < 2 || hp->type != ISAKMP_NP_HASH ||
	    hp->len != sa->keys.prf_len)
		return false;
	after = hp->body + hp->len;
	put_be32(mid, msgid);
	in[0] = (struct ike_chunk){ mid, 4 };
	in[1] = (struct ike_chunk){ after, (size_t)(payload_end(m) - after) };
	return ike_prf(sa->pol.hash, sa->keys.skeyid_a, sa->keys.prf_len, in,
		       2, want) == 0 && equal_ct(want, hp->body, hp->len);
}

static void
info_input(struct ikemgr *ike, struct ike_sa *sa, const struct isakmp_hdr *h,
	   const struct isakmp_msg *m)
{
	bool gone = false, ok = true;

	/* A wrong HASH(1) is a forged message, or the right one under
	 * another message ID. Either way it is dropped. */
	if (!ikev1_check_hash(sa, h->msgid, m)) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	follow_peer_port(ike, sa);
	DBG(sa->conn_id, "processing HASH payload. message ID = %d",
	    (int32_t)h->msgid);
	for (size_t i = 1; i < m->n && !gone; i++) {
		if (m->pl[i].type == ISAKMP_NP_D)
			ok &= handle_delete(ike, sa, m->pl[i].body,
					    m->pl[i].len, &gone);
		else if (m->pl[i].type == ISAKMP_NP_N)
			ok &= handle_notify(ike, sa, m->pl[i].body,
					    m->pl[i].len);
	}
	/* Its well-formed payloads were acted on; the message counts as
	 * dropped so that it does not show the peer alive. */
	if (!ok)
		atomic_fetch_add(&ike->packets_dropped, 1);
}

/* ---- Input dispatch ---- */

static void
rx_hash(const uint8_t *msg, size_t len, uint8_t *out)
{
	struct ike_chunk in = { msg, len };

	ike_hash(IKE_HASH_SHA, &in, 1, out);
}

/*
 * Decrypts the body of MSG in place. Phase 1 messages use and update the
 * SA's chain, others the IV of their exchange (updated in *IV).
 */
int
ikev1_decrypt(struct ike_sa *sa, uint8_t *msg, size_t len, uint8_t *iv)
{
	size_t body = len - ISAKMP_HDR_LEN;

	if (body == 0 || body % ike_cipher_block(sa->pol.encr) != 0)
		return -1;
	return ike_cbc(sa->pol.encr, sa->keys.enc_key, sa->keys.enc_key_len,
		       iv, msg + ISAKMP_HDR_LEN, body, false);
}

static void
input_p1(struct ikemgr *ike, struct ike_sa *sa,
	 const struct dp_ike_packet *pkt, const struct isakmp_hdr *h,
	 uint8_t *msg, size_t len, struct isakmp_msg *m)
{
	bool enc = h->flags & ISAKMP_FLAG_E;
	uint8_t iv[IKE_BLOCK_MAX];

	if (enc) {
		if (sa->state != IKE_MM_KEY_EXCH)
			return;
		memcpy(iv, sa->iv, sizeof(iv));
		if (ikev1_decrypt(sa, msg, len, iv) < 0)
			return;
	}
	if (isakmp_parse_payloads(h->next, msg + ISAKMP_HDR_LEN,
				  len - ISAKMP_HDR_LEN, m) < 0) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	if (enc)
		memcpy(sa->iv, iv, sizeof(iv));
	switch (sa->state) {
	case IKE_MM_NO_STATE:
		if (sa->initiator && !enc)
			mm_i2(ike, sa, h, m);
		break;
	case IKE_MM_SA_SETUP:
		if (!enc && !sa->initiator)
			mm_r3(ike, sa, m);
		else if (!enc && sa->initiator)
			mm_i4(ike, sa, m);
		break;
	case IKE_MM_KEY_EXCH:
		if (enc && sa->initiator)
			mm_i6(ike, sa, m);
		else if (enc)
			mm_r5(ike, sa, pkt, m);
		break;
	default:
		break;
	}
}

static void
input_quick(struct ikemgr *ike, struct ike_sa *sa,
	    const struct isakmp_hdr *h, uint8_t *msg, size_t len,
	    struct isakmp_msg *m)
{
	struct ike_qm *qm = find_qm(ike, sa->conn_id, h->msgid);
	uint8_t iv[IKE_BLOCK_MAX], prev_iv[IKE_BLOCK_MAX];
	bool created = false;
	uint64_t drops;

	if (!(h->flags & ISAKMP_FLAG_E) || sa->state != IKE_QM_IDLE ||
	    h->msgid == 0)
		return;
	if (!ike_ezvpn_qm_allowed(sa)) {
		/* Quick Mode before XAUTH passed. */
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	if (qm == NULL) {
		qm = new_qm(ike, sa, h->msgid, false);
		if (qm == NULL)
			return;
		created = true;
		DBG(sa->conn_id, "set new node %d to QM_IDLE",
		    (int32_t)h->msgid);
	}
	memcpy(iv, qm->iv, sizeof(iv));
	if (ikev1_decrypt(sa, msg, len, iv) < 0 ||
	    isakmp_parse_payloads(h->next, msg + ISAKMP_HDR_LEN,
				  len - ISAKMP_HDR_LEN, m) < 0) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		if (created)
			remove_qm(ike, qm);
		return;
	}
	/* The handlers encrypt their reply with the IV that follows this
	 * message. A message whose hash fails must leave the exchange as it
	 * was, because the peer's real message comes after the IV it has. */
	memcpy(prev_iv, qm->iv, sizeof(prev_iv));
	memcpy(qm->iv, iv, sizeof(iv));
	drops = atomic_load(&ike->packets_dropped);
	if (!qm->initiator && qm->step == 0)
		qm_r1(ike, sa, qm, m);
	else if (qm->initiator && qm->step == 1)
		qm_i2(ike, sa, qm, m);
	else if (!qm->initiator && qm->step == 2)
		qm_r3(ike, sa, qm, m);
	qm = find_qm(ike, sa->conn_id, h->msgid);
	if (qm != NULL && atomic_load(&ike->packets_dropped) != drops)
		memcpy(qm->iv, prev_iv, sizeof(prev_iv));
}

static void
input_info(struct ikemgr *ike, struct ike_sa *sa, const struct isakmp_hdr *h,
	   uint8_t *msg, size_t len, struct isakmp_msg *m)
{
	uint8_t iv[IKE_BLOCK_MAX];

	/* Unprotected notifies are dropped: anyone could send them. */
	if (!(h->flags & ISAKMP_FLAG_E) || sa->state != IKE_QM_IDLE ||
	    ikev1_phase2_iv(sa, h->msgid, iv) < 0 ||
	    ikev1_decrypt(sa, msg, len, iv) < 0 ||
	    isakmp_parse_payloads(h->next, msg + ISAKMP_HDR_LEN,
				  len - ISAKMP_HDR_LEN, m) < 0) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	info_input(ike, sa, h, m);
}

void
ikev1_input(struct ikemgr *ike, const struct dp_ike_packet *pkt)
{
	struct isakmp_hdr h;
	struct isakmp_msg *m = NULL;
	struct ike_sa *sa;
	uint8_t *msg = NULL, digest[20];
	char addr[INET_ADDRSTRLEN];
	static const uint8_t zero[8];
	uint64_t drops;

	about(pkt->src);
	if (isakmp_parse_hdr(pkt->data, pkt->len, &h) < 0 ||
	    (h.version >> 4) != 1) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, dbg_peer))
		log_debug("ISAKMP-PAK: (0):received packet from %s dport %u sport %u Global",
			  ntoa(pkt->src, addr), pkt->dport, pkt->sport);
	m = malloc(sizeof(*m));
	msg = malloc(h.length);
	if (m == NULL || msg == NULL)
		goto out;
	memcpy(msg, pkt->data, h.length);
	sa = find_by_cookies(ike, &h);
	if (sa == NULL) {
		if ((h.exchange != ISAKMP_XCHG_IDPROT &&
		     h.exchange != ISAKMP_XCHG_AGGR) ||
		    memcmp(h.rcookie, zero, 8) != 0 ||
		    (h.flags & ISAKMP_FLAG_E) ||
		    isakmp_parse_payloads(h.next, msg + ISAKMP_HDR_LEN,
					  h.length - ISAKMP_HDR_LEN, m) < 0) {
			atomic_fetch_add(&ike->packets_dropped, 1);
			goto out;
		}
		if (h.exchange == ISAKMP_XCHG_AGGR)
			am_r1(ike, pkt, &h, m);
		else
			mm_r1(ike, pkt, &h, m);
		goto out;
	}
	if (sa->peer != pkt->src) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		goto out;
	}
	/* A message we have already answered: the answer was lost. */
	rx_hash(msg, h.length, digest);
	if (memcmp(digest, sa->last_rx_hash, sizeof(digest)) == 0) {
		if (sa->reply != NULL)
			transmit(ike, sa->local, sa->peer, sa->lport,
				 sa->pport, sa->reply_natt, sa->reply,
				 sa->reply_len);
		goto out;
	}
	memcpy(sa->last_rx_hash, digest, sizeof(digest));
	free(sa->reply);
	sa->reply = NULL;
	sa->reply_len = 0;
	ike->answering = sa;
	ike->answering_pkt = pkt;
	drops = atomic_load(&ike->packets_dropped);
	switch (h.exchange) {
	case ISAKMP_XCHG_IDPROT:
		input_p1(ike, sa, pkt, &h, msg, h.length, m);
		break;
	case ISAKMP_XCHG_AGGR:
		input_aggr(ike, sa, pkt, &h, msg, h.length, m);
		break;
	case ISAKMP_XCHG_QUICK:
		input_quick(ike, sa, &h, msg, h.length, m);
		break;
	case ISAKMP_XCHG_INFO:
		input_info(ike, sa, &h, msg, h.length, m);
		break;
	case ISAKMP_XCHG_TRANSACTION:
		ike_xauth_input(ike, sa, &h, msg, h.length, m);
		break;
	default:
		atomic_fetch_add(&ike->packets_dropped, 1);
		break;
	}
	ike->answering = NULL;
	ike->answering_pkt = NULL;
	/* Only a message that was not dropped shows the peer alive, because
	 * a forged one with the right cookies must not hold off DPD. The SA
	 * may be gone by now, so it is looked up again. */
	sa = find_by_cookies(ike, &h);
	if (sa != NULL && atomic_load(&ike->packets_dropped) == drops) {
		sa->last_rx = ike_now(ike);
		sa->dpd_sent = 0;
		sa->dpd_missed = 0;
	}
out:
	free(m);
	free(msg);
}

/* ---- Timers ---- */

/* Retransmits R when due; returns false once it gave up. */
static bool
retx_due(struct ikemgr *ike, struct ike_sa *sa, struct ike_retx *r,
	 double now)
{
	if (r->msg == NULL || r->next == 0 || now < r->next)
		return true;
	if (r->count >= IKE_RETRANSMITS)
		return false;
	r->count++;
	DBG(sa->conn_id, "retransmitting phase %d %s...",
	    sa->state == IKE_QM_IDLE ? 2 : 1, state_name(sa->state));
	transmit(ike, sa->local, sa->peer, r->sport, r->dport, r->natt, r->msg,
		 r->len);
	/* 1, 2, 4, 8, 16 s: about half a minute in all, as IOS. */
	r->next = now + RETX_FIRST_SEC * (double)(1u << r->count);
	return true;
}

static void
dpd_tick(struct ikemgr *ike, struct ike_sa *sa, double now)
{
	const struct ike_config *c = ike->config;
	uint8_t seq[4];
	bool has_children = false;

	if (c == NULL || c->keepalive_sec == 0 || sa->state != IKE_QM_IDLE)
		return;
	if (sa->dpd_sent != 0) {
		if (now - sa->dpd_sent < c->keepalive_retry)
			return;
		if (++sa->dpd_missed > IKE_RETRANSMITS) {
			char addr[INET_ADDRSTRLEN];

			DBG(sa->conn_id, "DPD: peer %s is dead, deleting SAs",
			    ntoa(sa->peer, addr));
			ikev1_delete_sa(ike, sa, false, true);
			return;
		}
	} else {
		for (size_t i = 0; i < ike->nchildren; i++)
			has_children |= ike->children[i].peer == sa->peer;
		if (!c->keepalive_periodic && !has_children)
			return;
		if (now - sa->last_rx < c->keepalive_sec ||
		    now - sa->dpd_checked < c->keepalive_sec)
			return;
		sa->dpd_checked = now;
		if (!c->keepalive_periodic &&
		    !ike_dpd_due(ike, sa->peer, &sa->dpd_watch))
			return;
		sa->dpd_seq++;
	}
	put_be32(seq, sa->dpd_seq);
	DBG(sa->conn_id, "sending DPD R_U_THERE, sequence 0x%X", sa->dpd_seq);
	sa->dpd_sent = now;
	send_notify(ike, sa, ISAKMP_N_R_U_THERE, seq, 4);
}

/*
 * Sends a NAT keepalive (RFC 3948 2.3: one octet 0xFF on the UDP 4500
 * flow) when we are behind a NAT and `crypto isakmp nat keepalive` is
 * set, so the NAT keeps the mapping of an idle tunnel.
 */
static void
nat_keepalive_tick(struct ikemgr *ike, struct ike_sa *sa, double now)
{
	static const uint8_t ff = 0xff;
	const struct ike_config *c = ike->config;

	if (c == NULL || c->nat_keepalive == 0 || !sa->natt ||
	    !sa->behind_nat || sa->state != IKE_QM_IDLE ||
	    now - sa->last_keepalive < c->nat_keepalive)
		return;
	sa->last_keepalive = now;
	/* Without the non-ESP marker: the datapath sends the octet as is. */
	transmit(ike, sa->local, sa->peer, sa->lport, sa->pport, false, &ff, 1);
}

double
ikev1_next_deadline(struct ikemgr *ike)
{
	double next = 0;

	for (size_t i = 0; i < ike->nsas; i++) {
		double t = ike->sas[i]->retx.msg != NULL ?
			   ike->sas[i]->retx.next : 0;

		if (t != 0 && (next == 0 || t < next))
			next = t;
	}
	for (size_t i = 0; i < ike->nqms; i++) {
		double t = ike->qms[i]->retx.msg != NULL ?
			   ike->qms[i]->retx.next : 0;

		if (t != 0 && (next == 0 || t < next))
			next = t;
	}
	return next;
}

/*
 * A peer that responds to none of the Quick Mode retransmissions over a
 * live IKE SA has most likely lost that IKE SA, for instance by rebooting
 * during a rekey. IOS keeps such an IKE SA until DPD or its lifetime ends
 * it, and the tunnel stays black-holed meanwhile. Here the IKE SA is
 * deleted, and an initiator starts Main Mode again for the same entry.
 */
static void
quick_mode_gave_up(struct ikemgr *ike, struct ike_sa *sa,
		   const struct ike_entry *entry, bool initiator)
{
	uint32_t peer = sa->peer;
	char addr[INET_ADDRSTRLEN];

	DBG(sa->conn_id, "Quick Mode with %s got no answer, deleting the "
	    "ISAKMP SA", ntoa(peer, addr));
	ikev1_delete_sa(ike, sa, true, false);
	if (!initiator || (sa = ikev1_initiate(ike, peer, entry)) == NULL)
		return;
	sa->pending_qm = true;
	snprintf(sa->pending_map, sizeof(sa->pending_map), "%s", entry->map);
	sa->pending_seq = entry->seq;
	snprintf(sa->pending_ifname, sizeof(sa->pending_ifname), "%s",
		 entry->ifname);
}

/* After a rekey the old IPsec SA pair stays until the peer has moved to
 * the new one, or until this grace period ends. */
#define REKEY_GRACE_SEC		10
/* Seconds after which the peer counts as moved, once the new inbound SA
 * received packets and the old one none for this long. */
#define REKEY_IDLE_SEC		0.5
static bool
same_flow(const struct ike_child *x, const struct ike_child *y)
{
	const struct dp_selector *a = &x->selector, *b = &y->selector;

	return x->peer == y->peer && x->local == y->local &&
	       x->map_seq == y->map_seq && strcmp(x->map, y->map) == 0 &&
	       strcmp(x->ifname, y->ifname) == 0 && a->proto == b->proto &&
	       a->local == b->local && a->local_mask == b->local_mask &&
	       a->remote == b->remote && a->remote_mask == b->remote_mask &&
	       a->local_port == b->local_port &&
	       a->remote_port == b->remote_port;
}

static uint32_t
higher_spi(const struct ike_child *c)
{
	return c->spi_in > c->spi_out ? c->spi_in : c->spi_out;
}

/*
 * Returns true when pair Y supersedes pair X of the same flow: the later
 * one, unless their Quick Modes overlapped. Overlapping Quick Modes come
 * from simultaneous rekeys, which each peer completes in the opposite
 * order, so there the higher SPI decides: both peers see the same two
 * SPIs and so keep the same pair.
 */
static bool
supersedes(const struct ike_child *y, const struct ike_child *x)
{
	if (y->started < x->created && x->started < y->created)
		return higher_spi(y) > higher_spi(x);
	return y->serial > x->serial;
}

/* Returns the packets that inbound SA SPI decrypted, from SAS. */
static uint64_t
decaps_of(const struct dp_sa_info *sas, int n, uint32_t spi)
{
	for (int i = 0; i < n; i++) {
		if (!sas[i].params.outbound && sas[i].params.spi == spi)
			return sas[i].counters.decaps;
	}
	return 0;
}

/* Returns the oldest pair that supersedes pair I, or NULL. */
static struct ike_child *
superseded_by(struct ikemgr *ike, size_t i)
{
	const struct ike_child *old = &ike->children[i];
	struct ike_child *newer = NULL;

	for (size_t j = 0; j < ike->nchildren; j++) {
		struct ike_child *c = &ike->children[j];

		if (j != i && same_flow(c, old) && supersedes(c, old) &&
		    (newer == NULL || c->created < newer->created))
			newer = c;
	}
	return newer;
}

/*
 * Deletes each IPsec SA pair that a newer pair of the same flow
 * superseded, with a DELETE so that the peer removes its side too. A
 * pair goes once the peer sends on the newer pair and no longer on the
 * old one, or REKEY_GRACE_SEC after the newer pair came up. Without a
 * datapath to read counters from, only the grace period applies. The
 * newest pair of a flow stays until its lifetime ends.
 */
static void
retire_replaced(struct ikemgr *ike, double now)
{
	struct dp_sa_info *sas = NULL;
	int nsas = -1;
	size_t i = 0;

	while (i < ike->nchildren) {
		struct ike_child *old = &ike->children[i];
		const struct ike_child *newer = superseded_by(ike, i);
		uint64_t decaps;

		if (newer == NULL) {
			i++;
			continue;
		}
		if (now - newer->created < REKEY_GRACE_SEC) {
			if (nsas < 0 && ike->diag_dp != NULL)
				nsas = dp_get_sas(ike->diag_dp, &sas);
			decaps = decaps_of(sas, nsas, old->spi_in);
			if (decaps != old->decaps) {
				old->decaps = decaps;
				old->busy = now;
			}
			if (decaps_of(sas, nsas, newer->spi_in) == 0 ||
			    now - old->busy < REKEY_IDLE_SEC) {
				i++;
				continue;
			}
		}
		about(old->peer);
		DBG_IPSEC("(rekey): pair inbound 0x%X outbound 0x%X replaced by inbound 0x%X, deleting it",
			  old->spi_in, old->spi_out, newer->spi_in);
		ikev1_remove_child(ike, i, true);
	}
	free(sas);
}

void
ikev1_timers(struct ikemgr *ike, double now)
{
	size_t i = 0;

	while (i < ike->nqms) {
		struct ike_qm *qm = ike->qms[i];
		struct ike_sa *sa = ike_find_sa_by_conn(ike, qm->conn_id);
		bool gave_up = sa != NULL && !retx_due(ike, sa, &qm->retx, now);
		struct ike_entry entry = qm->entry;
		bool initiator = qm->initiator;

		if (sa == NULL || gave_up ||
		    (qm->retx.msg == NULL && now - qm->started > 30)) {
			if (sa != NULL && qm->installed && ike->io.remove)
				ike->io.remove(ike->io_ctx, false, sa->local,
					       qm->spi_in);
			remove_qm(ike, qm);
			if (gave_up)
				quick_mode_gave_up(ike, sa, &entry, initiator);
			continue;
		}
		i++;
	}
	i = 0;
	while (i < ike->nsas) {
		struct ike_sa *sa = ike->sas[i];
		size_t before = ike->nsas;

		about(sa->peer);
		if (!retx_due(ike, sa, &sa->retx, now)) {
			ikev1_delete_sa(ike, sa, false, false);
			continue;
		}
		if (sa->state == IKE_QM_IDLE && now >= sa->expires) {
			ikev1_delete_sa(ike, sa, true, false);
			continue;
		}
		if (sa->state != IKE_QM_IDLE && now - sa->created > 60) {
			ikev1_delete_sa(ike, sa, false, false);
			continue;
		}
		dpd_tick(ike, sa, now);
		if (ike->nsas == before)
			nat_keepalive_tick(ike, sa, now);
		if (ike->nsas == before)
			i++;
	}
	retire_replaced(ike, now);
	ike_ezvpn_timers(ike, now);
}
