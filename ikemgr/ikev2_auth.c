/*
 * IKE_SA_INIT and IKE_AUTH (RFC 7296 1.2) in both roles: proposals and
 * DH, NAT detection and the move to port 4500, pre-shared-key AUTH
 * (2.15), INITIAL_CONTACT and the first child SA.
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

static bool
equal_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* ---- IKE_SA_INIT ---- */

static void
nat_hash(const uint8_t *spii, const uint8_t *spir, uint32_t addr,
	 uint16_t port, uint8_t out[20])
{
	uint8_t p[2];
	struct ike_chunk in[4] = {
		{ spii, 8 }, { spir, 8 }, { &addr, 4 }, { p, 2 },
	};

	ikev2_put_be16(p, port);
	ike_hash(IKE_HASH_SHA, in, 4, out);
}

static void
add_nat_d(struct ikev2_buf *b, const struct v2_sa *sa, const uint8_t *spir)
{
	uint8_t h[20];

	nat_hash(sa->spii, spir, sa->local, sa->lport, h);
	ikev2_add_notify(b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, 20);
	nat_hash(sa->spii, spir, sa->peer, sa->pport, h);
	ikev2_add_notify(b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h,
			 20);
}

/* Checks the NAT-D notifies of a message from the peer with header H. */
static void
check_nat(struct v2_sa *sa, const struct ikev2_hdr *h,
	  const struct ikev2_msg *m, const struct dp_ike_packet *pkt)
{
	struct v2_notify n;
	uint8_t hash[20];
	bool src_ok = true, dst_ok = true;

	if (ikev2_find_notify(m, IKEV2_N_NAT_DETECTION_SOURCE_IP, &n)) {
		nat_hash(h->spii, h->spir, pkt->src, pkt->sport, hash);
		src_ok = n.data_len == 20 && memcmp(n.data, hash, 20) == 0;
	}
	if (ikev2_find_notify(m, IKEV2_N_NAT_DETECTION_DESTINATION_IP, &n)) {
		nat_hash(h->spii, h->spir, pkt->dst, pkt->dport, hash);
		dst_ok = n.data_len == 20 && memcmp(n.data, hash, 20) == 0;
	}
	sa->nat_detected = !src_ok || !dst_ok;
	if (sa->nat_detected)
		DBG(sa, "NAT detected: %s", !dst_ok ? "we are behind a NAT" :
		    "the peer is behind a NAT");
}

/* Writes a KE payload body for DH into KE; returns its length or 0. */
size_t
ikev2_ke_body(const struct ike_dh *dh, uint16_t group, uint8_t *ke)
{
	size_t len;

	if (ike_dh_public(dh, ke + 4, IKE_DH_MAX, &len) < 0)
		return 0;
	ikev2_put_be16(ke, group);
	ke[2] = ke[3] = 0;
	return len + 4;
}

static int
make_ke_nonce(struct v2_sa *sa, uint8_t *ke, size_t *ke_len, uint8_t *nonce)
{
	ike_dh_free(sa->dh);
	sa->dh = ike_dh_new(sa->algs.group);
	if (sa->dh == NULL ||
	    (*ke_len = ikev2_ke_body(sa->dh, sa->algs.group, ke)) == 0 ||
	    ike_random(nonce, V2_NONCE_LEN) < 0)
		return -1;
	return 0;
}

/* Sends IKE_SA_INIT, with a new DH key and nonce when FRESH; a COOKIE
 * retry keeps both, since the responder's cookie may cover Ni. */
/* COOKIE responses answered per IKE SA before it gives up. */
#define COOKIE_TRIES		3

static void
send_init_request(struct ikemgr *ike, struct v2_sa *sa, bool fresh)
{
	const struct ikev2_config *c = v2_config(ike);
	static const uint8_t zero[8];
	uint8_t msg[2048], ke[IKE_DH_MAX + 4];
	struct ikev2_buf b;
	size_t ke_len, len;

	if (fresh || sa->dh == NULL) {
		if (make_ke_nonce(sa, ke, &ke_len, sa->ni) < 0)
			return;
		sa->ni_len = V2_NONCE_LEN;
	} else if ((ke_len = ikev2_ke_body(sa->dh, sa->algs.group, ke)) == 0) {
		return;
	}
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_IKE_SA_INIT, false, 0);
	/* RFC 7296 2.6: the COOKIE notify comes first. */
	if (sa->cookie_len > 0)
		ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_COOKIE, sa->cookie,
				 sa->cookie_len);
	ikev2_add_ike_sa(&b, c, NULL, 0, NULL);
	ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
	ikev2_add(&b, IKEV2_NP_NONCE, sa->ni, sa->ni_len);
	add_nat_d(&b, sa, zero);
	ikev2_frag_offer(&b, c);
	len = ikev2_build_end(&b);
	if (len == 0)
		return;
	free(sa->init_i);
	sa->init_i = ikev2_dup_msg(msg, len);
	sa->init_i_len = sa->init_i != NULL ? len : 0;
	DBG(sa, "sending IKE_SA_INIT request, DH group %u", sa->algs.group);
	ike->v2->stats.sa_init_out++;
	ikev2_send_request(ike, sa, msg, len);
}

/* The profile and keys for the peer: the entry's profile when given,
 * else the one whose remote identity matches. IDENT is the address of
 * the peer's identity, or its address when that is no IPv4 address; ID
 * is the identity itself (NULL on the initiator, before IKE_AUTH). */
static bool
find_profile(const struct ikev2_config *c, const char *name, uint32_t peer,
	     uint32_t ident, const struct ikev2_id *id,
	     const struct ikev2_profile **pp, const struct ikev2_key **kp)
{
	const struct ikev2_profile *p;
	const struct ikev2_key *k;

	p = name != NULL && name[0] != '\0' ?
	    ikev2_config_profile(c, name) :
	    ikev2_config_profile_for_peer(c, ident, id);
	if (p == NULL)
		return false;
	k = ikev2_config_key(c, p, peer, id);
	/* Behind a NAT the peer's address is the NAT's: its IKE identity
	 * can still name its keyring block. */
	if (k == NULL)
		k = ikev2_config_key(c, p, ident, NULL);
	if (k == NULL || k->local[0] == '\0' || k->remote[0] == '\0')
		return false;
	*pp = p;
	*kp = k;
	return true;
}

/* Sets SA's profile, identity, keys, lifetime and DPD from find_profile(). */
static bool
load_profile(struct ikemgr *ike, struct v2_sa *sa, const char *name,
	     uint32_t ident, const struct ikev2_id *id)
{
	const struct ikev2_config *c = v2_config(ike);
	const struct ikev2_profile *p;
	const struct ikev2_key *k;

	if (!find_profile(c, name, sa->peer, ident, id, &p, &k))
		return false;
	snprintf(sa->profile, sizeof(sa->profile), "%s", p->name);
	sa->local_id = p->local_id;
	snprintf(sa->psk_local, sizeof(sa->psk_local), "%s", k->local);
	snprintf(sa->psk_remote, sizeof(sa->psk_remote), "%s", k->remote);
	sa->lifetime = p->lifetime;
	sa->dpd_interval = p->dpd_interval != 0 ? p->dpd_interval :
			   c->dpd_interval;
	sa->dpd_retry = p->dpd_interval != 0 ? p->dpd_retry : c->dpd_retry;
	sa->dpd_periodic = p->dpd_interval != 0 ? p->dpd_periodic :
			   c->dpd_periodic;
	return true;
}

void
ikev2_start(struct ikemgr *ike, const struct ike_entry *e)
{
	const struct ikev2_config *c = v2_config(ike);
	const struct ikev2_profile *prof;
	const struct ikev2_key *key;
	struct v2_sa *sa;
	char p[INET_ADDRSTRLEN];

	if (e->dynamic || e->npeers == 0 || c == NULL)
		return;
	sa = ikev2_find_any(ike, e->peers[0]);
	if (sa != NULL) {
		if (sa->state == V2_READY)
			ikev2_add_job(ike, sa, V2_JOB_CREATE_CHILD, 0, e);
		return;		/* IKE_AUTH will carry the child */
	}
	/* Checked before the SA exists, so that each failed attempt does
	 * not take a tunnel id. */
	if (!find_profile(c, e->ikev2_profile, e->peers[0], e->peers[0],
			  NULL, &prof, &key)) {
		if (ike_log_due(&ike->no_psk_log, e->peers[0],
				ike_now(ike), 60))
			log_msg(LOGMSG_IKEV2_NEG_ABORT,
				"Negotiation aborted due to ERROR: no IKEv2 "
				"profile with a pre-shared key for peer %s",
				ntoa(e->peers[0], p));
		return;
	}
	sa = ikev2_new_sa(ike, e->local, e->peers[0], true);
	if (sa == NULL)
		return;
	if (!load_profile(ike, sa, e->ikev2_profile, e->peers[0], NULL)) {
		ikev2_remove_sa(ike, sa, false);
		return;
	}
	if (ike_random(sa->spii, 8) < 0) {
		ikev2_remove_sa(ike, sa, false);
		return;
	}
	sa->neg = (struct v2_child_neg){ .active = true, .entry = *e };
	sa->algs.group = c->proposals[0].group[0];
	send_init_request(ike, sa, true);
}

void
ikev2_recover(struct ikemgr *ike, const struct ike_entry *e, uint32_t spi)
{
	struct v2_sa *sa;

	ikev2_start(ike, e);
	sa = ikev2_find_any(ike, e->peers[0]);
	if (sa != NULL)
		ikev2_add_job(ike, sa, V2_JOB_DELETE_CHILD, spi, NULL);
}

static bool
seen_peer(struct ikemgr *ike, uint32_t peer)
{
	struct ikev2_state *st = ike->v2;
	uint32_t *arr;

	for (size_t i = 0; i < st->ncontacted; i++)
		if (st->contacted[i] == peer)
			return true;
	arr = realloc(st->contacted, (st->ncontacted + 1) * sizeof(*arr));
	if (arr != NULL) {
		st->contacted = arr;
		arr[st->ncontacted++] = peer;
	}
	return false;
}

static int
compute_keys(struct v2_sa *sa, const uint8_t *peer_ke, size_t len)
{
	uint8_t gir[IKE_DH_MAX];
	size_t gir_len;
	int rc;

	if (len < 4 || ikev2_get_be16(peer_ke) != sa->algs.group ||
	    ike_dh_shared(sa->dh, peer_ke + 4, len - 4, gir, sizeof(gir),
			  &gir_len) < 0)
		return -1;
	rc = ikev2_derive(&sa->algs, &sa->keys, sa->ni, sa->ni_len, sa->nr,
			  sa->nr_len, gir, gir_len, sa->spii, sa->spir);
	memset(gir, 0, sizeof(gir));
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	return rc;
}

bool
ikev2_read_nonce(const struct ikev2_msg *m, uint8_t *out, size_t *len)
{
	const struct ikev2_pl *n = ikev2_find(m, IKEV2_NP_NONCE);

	if (n == NULL || n->len < 16 || n->len > V2_NONCE_MAX)
		return false;
	memcpy(out, n->body, n->len);
	*len = n->len;
	return true;
}

void
ikev2_init_error(struct ikemgr *ike, const struct dp_ike_packet *pkt,
		 const struct ikev2_hdr *h, uint16_t type, const void *data,
		 size_t len)
{
	struct v2_sa tmp = {
		.local = pkt->dst, .peer = pkt->src, .lport = pkt->dport,
		.pport = pkt->sport, .natt = pkt->natt,
	};
	uint8_t msg[128];
	struct ikev2_buf b;

	memcpy(tmp.spii, h->spii, 8);
	ikev2_start_msg(&b, msg, sizeof(msg), &tmp, IKEV2_IKE_SA_INIT, true, 0);
	ikev2_add_notify(&b, 0, NULL, 0, type, data, len);
	ikev2_transmit(ike, &tmp, msg, ikev2_build_end(&b));
}

void
ikev2_init_responder(struct ikemgr *ike, const struct dp_ike_packet *pkt,
		     const struct ikev2_hdr *h, const struct ikev2_msg *m)
{
	const struct ikev2_config *c = v2_config(ike);
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct ike_choice ch = { .c = c };
	uint8_t msg[2048], ke[IKE_DH_MAX + 4], grp[2];
	struct ikev2_buf b;
	struct v2_sa *sa;
	size_t ke_len, len;

	ike->v2->stats.sa_init_in++;
	if (!ikev2_cookie_admit(ike, pkt, h, m))
		return;
	if (c == NULL || sap == NULL || kep == NULL || kep->len < 4 ||
	    ikev2_each_proposal(sap->body, sap->len, ikev2_choose_ike,
				&ch) < 0) {
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	if (!ch.found) {
		ikev2_init_error(ike, pkt, h, IKEV2_N_NO_PROPOSAL_CHOSEN,
				 NULL, 0);
		return;
	}
	if (ikev2_get_be16(kep->body) != ch.algs.group) {
		ikev2_put_be16(grp, ch.algs.group);
		ikev2_init_error(ike, pkt, h, IKEV2_N_INVALID_KE_PAYLOAD, grp, 2);
		return;
	}
	sa = ikev2_new_sa(ike, pkt->dst, pkt->src, false);
	if (sa == NULL)
		return;
	memcpy(sa->spii, h->spii, 8);
	sa->lport = pkt->dport;
	sa->pport = pkt->sport;
	sa->natt = pkt->natt;
	sa->algs = ch.algs;
	if (!ikev2_read_nonce(m, sa->ni, &sa->ni_len) ||
	    ike_random(sa->spir, 8) < 0 ||
	    make_ke_nonce(sa, ke, &ke_len, sa->nr) < 0) {
		ikev2_remove_sa(ike, sa, false);
		return;
	}
	sa->nr_len = V2_NONCE_LEN;
	check_nat(sa, h, m, pkt);
	ikev2_frag_negotiate(sa, c, m);
	if (compute_keys(sa, kep->body, kep->len) < 0) {
		ikev2_remove_sa(ike, sa, false);
		atomic_fetch_add(&ike->packets_dropped, 1);
		return;
	}
	sa->init_i = ikev2_dup_msg(pkt->data, h->length);
	sa->init_i_len = sa->init_i != NULL ? h->length : 0;
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_IKE_SA_INIT, true, 0);
	ikev2_add_ike_sa(&b, c, &ch.algs, ch.num, NULL);
	ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
	ikev2_add(&b, IKEV2_NP_NONCE, sa->nr, sa->nr_len);
	add_nat_d(&b, sa, sa->spir);
	if (sa->frag_mtu != 0)
		ikev2_frag_offer(&b, c);
	len = ikev2_build_end(&b);
	if (len == 0 || sa->init_i == NULL) {
		ikev2_remove_sa(ike, sa, false);
		return;
	}
	sa->init_r = ikev2_dup_msg(msg, len);
	sa->init_r_len = sa->init_r != NULL ? len : 0;
	sa->peer_msgid = 1;
	DBG(sa, "IKE_SA_INIT answered: encr %u/%u prf %u integ %u group %u",
	    ch.algs.encr, ch.algs.key_bits, ch.algs.prf, ch.algs.integ,
	    ch.algs.group);
	ike->v2->stats.sa_init_in_accepted++;
	ikev2_send_response(ike, sa, msg, len);
}

/* ---- IKE_AUTH ---- */

/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage | Nonce |
 * prf(SK_p, IDbody)) as RFC 7296 2.15 defines it. */
static int
auth_value(const struct v2_sa *sa, bool of_initiator, const char *psk,
	   const uint8_t *id, size_t id_len, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	unsigned hash = ikev2_prf_hash(sa->algs.prf);
	uint8_t macid[IKE_HASH_MAX], key[IKE_HASH_MAX];
	struct ike_chunk idc[1] = { { id, id_len } };
	struct ike_chunk padc[1] = { { pad, sizeof(pad) - 1 } };
	struct ike_chunk octets[3];
	int rc;

	if (ike_prf(hash, of_initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
		    sa->keys.prf_len, idc, 1, macid) < 0 ||
	    ike_prf(hash, psk, strlen(psk), padc, 1, key) < 0)
		return -1;
	octets[0] = of_initiator ?
		    (struct ike_chunk){ sa->init_i, sa->init_i_len } :
		    (struct ike_chunk){ sa->init_r, sa->init_r_len };
	octets[1] = of_initiator ?
		    (struct ike_chunk){ sa->nr, sa->nr_len } :
		    (struct ike_chunk){ sa->ni, sa->ni_len };
	octets[2] = (struct ike_chunk){ macid, sa->keys.prf_len };
	rc = ike_prf(hash, key, sa->keys.prf_len, octets, 3, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* Adds our IDi or IDr, the profile's `identity local` or else the local
 * address, and the AUTH payload over it. */
static void
add_id_auth(struct ikev2_buf *b, const struct v2_sa *sa, bool initiator)
{
	uint8_t id[4 + IKEV2_ID_MAX], auth[4 + IKE_HASH_MAX];
	size_t id_len;

	memset(id, 0, 4);
	if (sa->local_id.type != 0) {
		id[0] = sa->local_id.type;
		memcpy(id + 4, sa->local_id.data, sa->local_id.len);
		id_len = 4 + sa->local_id.len;
	} else {
		id[0] = IKEV2_ID_IPV4_ADDR;
		memcpy(id + 4, &sa->local, 4);
		id_len = 8;
	}
	ikev2_add(b, initiator ? IKEV2_NP_IDI : IKEV2_NP_IDR, id, id_len);
	auth[0] = IKEV2_AUTH_PSK;
	auth[1] = auth[2] = auth[3] = 0;
	if (auth_value(sa, initiator, sa->psk_local, id, id_len,
		       auth + 4) < 0) {
		b->overflow = true;
		return;
	}
	ikev2_add(b, IKEV2_NP_AUTH, auth, 4 + sa->keys.prf_len);
}

/* Copies the ID Type and data of ID payload PL into ID; type 0 when
 * the payload is too short or too long. */
static void
read_id(const struct ikev2_pl *pl, struct ikev2_id *id)
{
	memset(id, 0, sizeof(*id));
	if (pl->len > 4 && pl->len - 4 <= sizeof(id->data)) {
		id->type = pl->body[0];
		id->len = pl->len - 4;
		memcpy(id->data, pl->body + 4, id->len);
	}
}

static bool
verify_auth(const struct v2_sa *sa, const struct ikev2_msg *m,
	    bool of_initiator)
{
	const struct ikev2_pl *id = ikev2_find(m, of_initiator ?
					       IKEV2_NP_IDI : IKEV2_NP_IDR);
	const struct ikev2_pl *auth = ikev2_find(m, IKEV2_NP_AUTH);
	uint8_t want[IKE_HASH_MAX];

	if (id == NULL || auth == NULL || auth->len != 4 + sa->keys.prf_len ||
	    auth->body[0] != IKEV2_AUTH_PSK ||
	    auth_value(sa, of_initiator, sa->psk_remote, id->body, id->len,
		       want) < 0)
		return false;
	return equal_ct(want, auth->body + 4, sa->keys.prf_len);
}

void
ikev2_add_transport_notify(struct ikev2_buf *b, const struct ike_tset *t)
{
	if (t->transport)
		ikev2_add_notify(b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE,
				 NULL, 0);
}

/* The transform set used for ENTRY's first proposal. */
const struct ike_tset *
ikev2_first_tset(struct ikemgr *ike, const struct ike_entry *e)
{
	return e->ntsets > 0 ? &ike->config->tsets[e->tsets[0]] : NULL;
}

static void
send_auth_request(struct ikemgr *ike, struct v2_sa *sa)
{
	const struct ike_entry *e = &sa->neg.entry;
	const struct ike_tset *t = ikev2_first_tset(ike, e);
	uint8_t msg[2048];
	struct ikev2_buf b;
	size_t len;

	sa->neg.spi_in = ikev2_new_spi(ike);
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_IKE_AUTH, false, 1);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (!seen_peer(ike, sa->peer))
		ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL,
				 0);
	add_id_auth(&b, sa, true);
	if (t != NULL) {
		ikev2_add_transport_notify(&b, t);
		ikev2_add_esp_sa(&b, ike->config, e, NULL, 0, sa->neg.spi_in,
				 0);
		ikev2_add_entry_ts(&b, e);
	}
	len = ikev2_seal_msg(sa, &b);
	if (len == 0)
		return;
	sa->state = V2_AUTH;
	DBG(sa, "sending IKE_AUTH request%s", sa->natt ? " on port 4500" : "");
	ikev2_send_request(ike, sa, msg, len);
}

/* True when our config offers every algorithm of A. */
bool
ikev2_offered(const struct ikev2_config *c, const struct ikev2_algs *a)
{
	struct v2_prop p = { .proto = IKEV2_PROTO_IKE };
	struct ike_choice ch = { .c = c };

	p.ids[IKEV2_TT_ENCR - 1][0] = a->encr;
	p.bits[IKEV2_TT_ENCR - 1][0] = a->key_bits;
	p.ids[IKEV2_TT_PRF - 1][0] = a->prf;
	p.ids[IKEV2_TT_INTEG - 1][0] = a->integ;
	p.ids[IKEV2_TT_DH - 1][0] = a->group;
	p.n[0] = p.n[1] = p.n[3] = 1;
	p.n[2] = a->integ != IKEV2_INTEG_NONE;
	return ikev2_choose_ike(&p, &ch) && ch.algs.encr == a->encr &&
	       ch.algs.prf == a->prf && ch.algs.integ == a->integ &&
	       ch.algs.group == a->group;
}

/* Reads the single proposal the responder chose. */
bool
ikev2_take_first(const struct v2_prop *p, void *arg)
{
	struct ikev2_algs *a = arg;

	if (p->proto != IKEV2_PROTO_IKE || p->n[0] != 1 || p->n[1] != 1 ||
	    p->n[3] != 1 || p->n[2] > 1)
		return true;
	a->encr = p->ids[0][0];
	a->key_bits = p->bits[0][0];
	a->prf = p->ids[1][0];
	a->integ = p->n[2] == 1 ? p->ids[2][0] : IKEV2_INTEG_NONE;
	a->group = p->ids[3][0];
	return true;
}

void
ikev2_init_response(struct ikemgr *ike, struct v2_sa *sa,
		    const struct dp_ike_packet *pkt, const struct ikev2_hdr *h,
		    const struct ikev2_msg *m)
{
	const struct ikev2_config *c = v2_config(ike);
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct ikev2_algs a = { 0 };
	struct v2_notify n;
	uint16_t group;

	if (sa->state != V2_INIT || c == NULL)
		goto drop;
	if (ikev2_find_notify(m, IKEV2_N_INVALID_KE_PAYLOAD, &n) &&
	    n.data_len == 2) {
		group = ikev2_get_be16(n.data);
		a = sa->algs;
		a.group = group;
		if (group == sa->algs.group || !ike_dh_supported(group))
			goto drop;
		DBG(sa, "peer requested DH group %u: restarting IKE_SA_INIT",
		    group);
		ike->v2->stats.sa_init_out_rejected++;
		sa->algs.group = group;
		ikev2_request_done(sa);
		sa->next_msgid = 0;
		send_init_request(ike, sa, true);
		return;
	}
	if (ikev2_find_notify(m, IKEV2_N_COOKIE, &n)) {
		if (n.data_len == 0 || n.data_len > sizeof(sa->cookie) ||
		    sa->cookie_tries >= COOKIE_TRIES)
			goto drop;
		memcpy(sa->cookie, n.data, n.data_len);
		sa->cookie_len = n.data_len;
		sa->cookie_tries++;
		DBG(sa, "responder sent a COOKIE: retrying IKE_SA_INIT with it");
		ike->v2->stats.sa_init_out_rejected++;
		ikev2_request_done(sa);
		sa->next_msgid = 0;
		send_init_request(ike, sa, false);
		return;
	}
	if (ikev2_find_notify(m, IKEV2_N_NO_PROPOSAL_CHOSEN, &n)) {
		DBG(sa, "peer sent NO_PROPOSAL_CHOSEN in IKE_SA_INIT");
		ike->v2->stats.sa_init_out_rejected++;
		ikev2_remove_sa(ike, sa, false);
		return;
	}
	if (sap == NULL || kep == NULL ||
	    ikev2_each_proposal(sap->body, sap->len, ikev2_take_first,
				&a) < 0 ||
	    a.group != sa->algs.group || !ikev2_offered(c, &a))
		goto drop;
	sa->algs = a;
	memcpy(sa->spir, h->spir, 8);
	if (!ikev2_read_nonce(m, sa->nr, &sa->nr_len))
		goto drop;
	check_nat(sa, h, m, pkt);
	ikev2_frag_negotiate(sa, c, m);
	if (compute_keys(sa, kep->body, kep->len) < 0)
		goto drop;
	ike->v2->stats.sa_init_out_accepted++;
	sa->init_r = ikev2_dup_msg(pkt->data, h->length);
	sa->init_r_len = sa->init_r != NULL ? h->length : 0;
	ikev2_request_done(sa);
	if (sa->nat_detected) {
		/* RFC 7296 2.23: move to port 4500 for everything after. */
		sa->lport = NATT_PORT;
		sa->pport = NATT_PORT;
		sa->natt = true;
	}
	send_auth_request(ike, sa);
	return;
drop:
	atomic_fetch_add(&ike->packets_dropped, 1);
	ike->v2->stats.dropped++;
}

/* Deletes the other established IKEv2 SAs with the peer of SA after
 * INITIAL_CONTACT (RFC 7296 2.4), with their children, without
 * notifying. */
static void
initial_contact(struct ikemgr *ike, struct v2_sa *sa)
{
	struct ikev2_state *st = ike->v2;
	size_t i = 0;

	while (i < st->nsas) {
		struct v2_sa *old = st->sas[i];

		/* An SA of ours still in negotiation stays: both ends of a
		 * tunnel may start at once, each with INITIAL_CONTACT. */
		if (old == sa || old->peer != sa->peer ||
		    old->state != V2_READY) {
			i++;
			continue;
		}
		DBG(sa, "INITIAL_CONTACT: deleting IKE SA %u", old->conn_id);
		ikev2_remove_sa(ike, old, true);
		i = 0;
	}
}

void
ikev2_established(struct ikemgr *ike, struct v2_sa *sa)
{
	double now = ike_now(ike);

	sa->state = V2_READY;
	sa->established = now;
	sa->expires = now + (sa->lifetime != 0 ? sa->lifetime : 86400);
	ike->v2->stats.sa_established++;
	atomic_fetch_add(&ike->p1_established, 1);
	DBG(sa, "IKE SA established with profile %s", sa->profile);
}

void
ikev2_auth_responder(struct ikemgr *ike, struct v2_sa *sa,
		     const struct ikev2_msg *m, uint32_t msgid)
{
	const struct ikev2_pl *idi = ikev2_find(m, IKEV2_NP_IDI);
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *tsi = ikev2_find(m, IKEV2_NP_TSI);
	const struct ikev2_pl *tsr = ikev2_find(m, IKEV2_NP_TSR);
	const struct ike_entry *e;
	struct esp_choice ch = { .c = ike->config, .any_dh = true };
	struct v2_notify n;
	struct ikev2_id id = { 0 };
	uint32_t ident = sa->peer, spi_in = 0;
	uint8_t msg[2048];
	struct ikev2_buf b;
	size_t len;

	if (sa->initiator || sa->state != V2_INIT || idi == NULL)
		return;
	if (idi->len == 8 && idi->body[0] == IKEV2_ID_IPV4_ADDR)
		memcpy(&ident, idi->body + 4, 4);
	read_id(idi, &id);
	sa->remote_id = id;
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_IKE_AUTH, true, msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (!load_profile(ike, sa, NULL, ident, &id) ||
	    !verify_auth(sa, m, true)) {
		DBG(sa, "authentication of the initiator failed");
		ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED,
			   NULL, 0);
		len = ikev2_seal_msg(sa, &b);
		if (len > 0)
			ikev2_transmit(ike, sa, msg, len);
		ike->v2->stats.dropped++;
		ikev2_remove_sa(ike, sa, false);
		return;
	}
	if (ikev2_find_notify(m, IKEV2_N_INITIAL_CONTACT, &n))
		initial_contact(ike, sa);
	ikev2_established(ike, sa);
	add_id_auth(&b, sa, false);
	e = ike_config_entry_for_peer(ike->config, sa->peer);
	if (e == NULL || e->dynamic)
		e = ike_config_entry_for_peer(ike->config, ident) ?: e;
	ch.e = e;
	if (e != NULL && sap != NULL && tsi != NULL && tsr != NULL &&
	    ikev2_each_proposal(sap->body, sap->len, ikev2_choose_esp,
				&ch) == 0 &&
	    ch.found) {
		ch.ts.transport = ch.ts.transport && ikev2_wants_transport(m);
		spi_in = ikev2_new_spi(ike);
		/* Installed before the response lets the peer use it. */
		if (ikev2_install_pair(ike, sa, e, &ch.ts, false, spi_in,
				       ch.spi,
				 sa->ni, sa->ni_len, sa->nr, sa->nr_len, NULL,
				 0) < 0)
			spi_in = 0;
	}
	if (spi_in != 0) {
		ikev2_add_transport_notify(&b, &ch.ts);
		ikev2_add_esp_sa(&b, ike->config, e, &ch.ts, ch.num, spi_in, 0);
		ikev2_add(&b, IKEV2_NP_TSI, tsi->body, tsi->len);
		ikev2_add(&b, IKEV2_NP_TSR, tsr->body, tsr->len);
	} else if (sap != NULL) {
		ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN,
				 NULL, 0);
	}
	len = ikev2_seal_msg(sa, &b);
	if (len == 0)
		return;
	ikev2_send_response(ike, sa, msg, len);
	if (spi_in != 0)
		ikev2_add_child(ike, sa, e, &ch.ts, false, spi_in, ch.spi);
}

/* Installs the child the peer accepted in response M to our request
 * for NEG, with nonces NI and NR. */
void
ikev2_child_accepted(struct ikemgr *ike, struct v2_sa *sa,
		     const struct ikev2_msg *m, const uint8_t *ni,
		     size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct v2_child_neg neg = sa->neg;
	struct esp_choice ch = {
		.c = ike->config, .e = &neg.entry, .any_dh = neg.dh == NULL,
		.want_dh = neg.dh != NULL ? neg.entry.pfs_group : 0,
	};
	uint8_t gir[IKE_DH_MAX];
	size_t gir_len = 0;
	struct v2_notify n;
	ssize_t old;
	int rc;

	sa->neg.active = false;
	sa->neg.dh = NULL;
	if (sap == NULL ||
	    ikev2_each_proposal(sap->body, sap->len, ikev2_choose_esp,
				&ch) < 0 ||
	    !ch.found) {
		for (size_t i = 0; i < m->n; i++)
			if (ikev2_read_notify(&m->pl[i], &n) && n.type < 16384)
				DBG(sa, "child SA refused: notify %u", n.type);
		ike_dh_free(neg.dh);
		return;
	}
	if (ni_len == 0 || nr_len == 0) {
		/* RFC 7296 1.3: the response carries Nr; without it there
		 * is no KEYMAT for the pair. */
		DBG(sa, "child SA refused: the response has no nonce");
		atomic_fetch_add(&ike->packets_dropped, 1);
		ike->v2->stats.dropped++;
		ike_dh_free(neg.dh);
		return;
	}
	if (neg.dh != NULL &&
	    (kep == NULL || kep->len < 4 ||
	     ikev2_get_be16(kep->body) != neg.entry.pfs_group ||
	     ike_dh_shared(neg.dh, kep->body + 4, kep->len - 4, gir,
			   sizeof(gir), &gir_len) < 0)) {
		DBG(sa, "child SA refused: no usable KE payload for PFS");
		ike_dh_free(neg.dh);
		return;
	}
	ike_dh_free(neg.dh);
	ch.ts.transport = ch.ts.transport && ikev2_wants_transport(m);
	rc = ikev2_install_pair(ike, sa, &neg.entry, &ch.ts, true, neg.spi_in,
			  ch.spi, ni, ni_len, nr, nr_len, gir, gir_len);
	memset(gir, 0, sizeof(gir));
	if (rc < 0)
		return;
	ikev2_add_child(ike, sa, &neg.entry, &ch.ts, true, neg.spi_in, ch.spi);
	if (neg.rekey_spi == 0)
		return;
	if (ikev2_lost_collision(&neg, ni, ni_len, nr, nr_len)) {
		/* Both sides rekeyed the child: the pair with the lowest
		 * nonce goes, deleted by us who created it. */
		DBG(sa, "rekey collision: deleting our new child SA 0x%X",
		    neg.spi_in);
		old = ikev2_child_by_in(ike->v2, sa->conn_id, neg.spi_in);
		if (old >= 0)
			ikev2_remove_child(ike, (size_t)old);
		ikev2_add_job(ike, sa, V2_JOB_DELETE_CHILD, neg.spi_in, NULL);
		return;
	}
	old = ikev2_child_by_in(ike->v2, sa->conn_id, neg.rekey_spi);
	if (old >= 0)
		ikev2_remove_child(ike, (size_t)old);
	ikev2_add_job(ike, sa, V2_JOB_DELETE_CHILD, neg.rekey_spi, NULL);
}

void
ikev2_auth_response(struct ikemgr *ike, struct v2_sa *sa,
		    const struct ikev2_msg *m)
{
	if (sa->state != V2_AUTH || !verify_auth(sa, m, false)) {
		DBG(sa, "authentication of the responder failed");
		ike->v2->stats.dropped++;
		ikev2_remove_sa(ike, sa, false);
		return;
	}
	/* NOTE: IDr is not matched against the profile's `match identity
	 * remote`: the AUTH payload alone authenticates the responder. */
	read_id(ikev2_find(m, IKEV2_NP_IDR), &sa->remote_id);
	ikev2_request_done(sa);
	ikev2_established(ike, sa);
	if (sa->neg.active)
		ikev2_child_accepted(ike, sa, m, sa->ni, sa->ni_len, sa->nr,
			       sa->nr_len);
	ikev2_run_jobs(ike, sa);
}

