/*
 * IKEv2 child SAs: their keys and installation, CREATE_CHILD_SA for new
 * and rekeyed children and for rekeying the IKE SA (RFC 7296 1.3,
 * 2.17, 2.18), and INFORMATIONAL requests with DELETE and INVALID_SPI.
 */
#include "ikemgr/ikev2_sa.h"

#include "core/debug.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Child SAs ---- */

uint32_t
ikev2_new_spi(struct ikemgr *ike)
{
	uint32_t spi = 0;

	if (ike->spi_fn != NULL)
		return ike->spi_fn(ike->spi_ctx);
	while (spi < 256)
		if (ike_random(&spi, sizeof(spi)) < 0)
			return 0;
	return spi;
}

static size_t
esp_key_len(const struct ike_tset *t)
{
	if (t->cipher == DP_CIPHER_3DES_CBC)
		return 24;
	if (t->cipher == DP_CIPHER_AES_CBC)
		return t->key_bits / 8;
	return 0;
}

static void
fill_cfg(const struct v2_sa *sa, const struct ike_entry *e,
	 const struct ike_tset *t, bool outbound, uint32_t spi,
	 const uint8_t *km, struct dp_sa_cfg *c)
{
	struct dp_sa_params *p = &c->params;
	size_t ek = esp_key_len(t);
	size_t ik = ikev2_integ_key_len(ikev2_esp_integ_id(t->integ));

	memset(c, 0, sizeof(*c));
	p->spi = spi;
	p->src = outbound ? sa->local : sa->peer;
	p->dst = outbound ? sa->peer : sa->local;
	p->outbound = outbound;
	p->tunnel = !t->transport;
	p->udp_encap = sa->nat_detected;
	if (sa->nat_detected) {
		p->encap_sport = outbound ? sa->lport : sa->pport;
		p->encap_dport = outbound ? sa->pport : sa->lport;
	}
	p->cipher = t->cipher;
	memcpy(p->cipher_key, km, ek);
	p->cipher_key_len = ek;
	p->integ = t->integ;
	memcpy(p->integ_key, km + ek, ik);
	p->integ_key_len = ik;
	p->replay_window = outbound ? 0 : DP_REPLAY_WINDOW_DEFAULT;
	snprintf(c->map, sizeof(c->map), "%s", e->map);
	c->map_seq = e->seq;
	snprintf(c->ifname, sizeof(c->ifname), "%s", e->ifname);
	snprintf(c->transform, sizeof(c->transform), "%s", t->text);
	c->lifetime_kb = e->life_kb;
	c->lifetime_sec = e->life_sec;
}

/*
 * Derives the keys of a child SA pair (KEYMAT = prf+(SK_d, Ni | Nr),
 * RFC 7296 2.17) and installs both SAs. The initiator-to-responder SA
 * takes the first keys. XCHG_INITIATOR is true when we sent the request
 * of the exchange that created the pair.
 */
int
ikev2_install_pair(struct ikemgr *ike, struct v2_sa *sa,
		   const struct ike_entry *e, const struct ike_tset *t,
		   bool xchg_initiator, uint32_t spi_in, uint32_t spi_out,
		   const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		   size_t nr_len, const uint8_t *gir, size_t gir_len)
{
	size_t half = esp_key_len(t) +
		      ikev2_integ_key_len(ikev2_esp_integ_id(t->integ));
	uint8_t seed[IKE_DH_MAX + 2 * V2_NONCE_MAX], km[4 * DP_KEY_MAX];
	struct dp_sa_cfg cfgs[2];
	char err[128];
	int rc;

	if (2 * half > sizeof(km) || gir_len > IKE_DH_MAX ||
	    ni_len + nr_len > 2 * V2_NONCE_MAX)
		return -1;
	/* With PFS the seed starts with g^ir of the CREATE_CHILD_SA. */
	if (gir_len > 0)
		memcpy(seed, gir, gir_len);
	memcpy(seed + gir_len, ni, ni_len);
	memcpy(seed + gir_len + ni_len, nr, nr_len);
	rc = ikev2_prf_plus(ikev2_prf_hash(sa->algs.prf), sa->keys.sk_d,
			    sa->keys.prf_len, seed, gir_len + ni_len + nr_len,
			    km, 2 * half);
	memset(seed, 0, sizeof(seed));
	if (rc < 0)
		return -1;
	fill_cfg(sa, e, t, false, spi_in, xchg_initiator ? km + half : km,
		 &cfgs[0]);
	fill_cfg(sa, e, t, true, spi_out, xchg_initiator ? km : km + half,
		 &cfgs[1]);
	memset(km, 0, sizeof(km));
	rc = ike->io.install != NULL ?
	     ike->io.install(ike->io_ctx, cfgs, 2, err, sizeof(err)) : 0;
	memset(cfgs, 0, sizeof(cfgs));
	if (rc < 0) {
		DBG(sa, "installing the child SA failed: %s", err);
		return -1;
	}
	return 0;
}

void
ikev2_add_child(struct ikemgr *ike, struct v2_sa *sa,
		const struct ike_entry *e, const struct ike_tset *t,
		bool initiator, uint32_t spi_in, uint32_t spi_out)
{
	struct ikev2_state *st = ike->v2;
	struct v2_child *arr;
	double now = ike_now(ike);

	arr = realloc(st->children, (st->nchildren + 1) * sizeof(*arr));
	if (arr == NULL)
		return;
	st->children = arr;
	arr[st->nchildren++] = (struct v2_child){
		.conn_id = sa->conn_id, .local = sa->local, .peer = sa->peer,
		.spi_in = spi_in, .spi_out = spi_out, .entry = *e, .ts = *t,
		.initiator = initiator, .created = now,
		.expires = now + e->life_sec,
	};
	sa->child_sas++;
	st->stats.child_established++;
	atomic_fetch_add(&ike->p2_established, 1);
	DBG(sa, "child SA installed: inbound SPI 0x%X, outbound SPI 0x%X, %s",
	    spi_in, spi_out, t->text);
}

void
ikev2_remove_child(struct ikemgr *ike, size_t i)
{
	struct ikev2_state *st = ike->v2;
	struct v2_child c = st->children[i];

	if (ike->io.remove != NULL) {
		ike->io.remove(ike->io_ctx, false, c.local, c.spi_in);
		ike->io.remove(ike->io_ctx, true, c.peer, c.spi_out);
	}
	st->children[i] = st->children[--st->nchildren];
}

static ssize_t
child_by_out(struct ikev2_state *st, uint32_t conn_id, uint32_t spi_out)
{
	for (size_t i = 0; i < st->nchildren; i++)
		if (st->children[i].conn_id == conn_id &&
		    st->children[i].spi_out == spi_out)
			return (ssize_t)i;
	return -1;
}

ssize_t
ikev2_child_by_in(struct ikev2_state *st, uint32_t conn_id, uint32_t spi_in)
{
	for (size_t i = 0; i < st->nchildren; i++)
		if (st->children[i].conn_id == conn_id &&
		    st->children[i].spi_in == spi_in)
			return (ssize_t)i;
	return -1;
}

bool
ikev2_has_child(struct ikemgr *ike, const struct ike_entry *e)
{
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; st != NULL && i < st->nchildren; i++) {
		const struct v2_child *c = &st->children[i];

		if (!c->rekeyed && c->entry.seq == e->seq &&
		    strcmp(c->entry.map, e->map) == 0 &&
		    strcmp(c->entry.ifname, e->ifname) == 0)
			return true;
	}
	return false;
}

/* ---- CREATE_CHILD_SA ---- */

static bool first_proto(const struct v2_prop *p, void *arg);
static void rekey_ike_responder(struct ikemgr *ike, struct v2_sa *sa,
				const struct ikev2_msg *m, uint32_t msgid);
static void rekey_ike_response(struct ikemgr *ike, struct v2_sa *sa,
			       const struct ikev2_msg *m);

void
ikev2_send_create_child(struct ikemgr *ike, struct v2_sa *sa,
			const struct v2_job *j)
{
	struct ikev2_state *st = ike->v2;
	const struct ike_entry *e = &j->entry;
	uint8_t msg[2048], spi[4], ke[IKE_DH_MAX + 4];
	struct ikev2_buf b;
	ssize_t old = -1;
	size_t len, ke_len = 0;

	if (j->kind == V2_JOB_REKEY_CHILD) {
		old = ikev2_child_by_in(st, sa->conn_id, j->spi);
		if (old < 0)
			return;
		st->children[old].rekeyed = true;
		e = &st->children[old].entry;
	}
	if (ikev2_first_tset(ike, e) == NULL)
		return;
	ike_dh_free(sa->neg.dh);
	sa->neg = (struct v2_child_neg){
		.active = true, .entry = *e, .spi_in = ikev2_new_spi(ike),
		.rekey_spi = old >= 0 ? j->spi : 0,
	};
	if (ike_random(sa->neg.ni, V2_NONCE_LEN) < 0)
		return;
	if (e->pfs_group != 0) {
		sa->neg.dh = ike_dh_new(e->pfs_group);
		if (sa->neg.dh == NULL ||
		    (ke_len = ikev2_ke_body(sa->neg.dh, e->pfs_group, ke)) == 0)
			return;
	}
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, false,
		  sa->next_msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (old >= 0) {
		ikev2_put_be32(spi, j->spi);
		ikev2_add_notify(&b, IKEV2_PROTO_ESP, spi, 4, IKEV2_N_REKEY_SA,
			   NULL, 0);
	}
	ikev2_add_transport_notify(&b, ikev2_first_tset(ike, e));
	ikev2_add_esp_sa(&b, ike->config, e, NULL, 0, sa->neg.spi_in,
			 e->pfs_group);
	ikev2_add(&b, IKEV2_NP_NONCE, sa->neg.ni, V2_NONCE_LEN);
	if (ke_len > 0)
		ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
	ikev2_add_entry_ts(&b, e);
	len = ikev2_seal_msg(sa, &b);
	if (len == 0)
		return;
	DBG(sa, "sending CREATE_CHILD_SA request%s",
	    old >= 0 ? " to rekey a child SA" : "");
	ikev2_send_request(ike, sa, msg, len);
}

/*
 * Runs the responder's half of PFS for the chosen proposal CH: with a
 * PFS group, a KE of ours into KE and g^ir into GIR; without one, the
 * peer's KE (offered with a proposal not chosen) is ignored.
 */
static int
pfs_respond(const struct esp_choice *ch, const struct ikev2_pl *kep,
	    uint8_t *ke, size_t *ke_len, uint8_t *gir, size_t *gir_len)
{
	struct ike_dh *dh;
	int rc = -1;

	if (ch->want_dh == 0)
		return 0;
	if (kep == NULL || kep->len < 4 ||
	    ikev2_get_be16(kep->body) != ch->want_dh)
		return -1;
	dh = ike_dh_new(ch->want_dh);
	if (dh != NULL && (*ke_len = ikev2_ke_body(dh, ch->want_dh, ke)) > 0 &&
	    ike_dh_shared(dh, kep->body + 4, kep->len - 4, gir, IKE_DH_MAX,
			  gir_len) == 0)
		rc = 0;
	ike_dh_free(dh);
	return rc;
}

/* Responds to a rekey of a child SA we do not have (any more), as after a
 * collision that our rekey already settled. */
static void
child_not_found(struct ikemgr *ike, struct v2_sa *sa, uint32_t msgid,
		const struct v2_notify *n)
{
	uint8_t msg[256];
	struct ikev2_buf b;
	size_t len;

	DBG(sa, "REKEY_SA for unknown child SA 0x%X",
	    ikev2_get_be32(n->spi));
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, true,
			msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	ikev2_add_notify(&b, IKEV2_PROTO_ESP, n->spi, 4,
			 IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0);
	len = ikev2_seal_msg(sa, &b);
	if (len > 0)
		ikev2_send_response(ike, sa, msg, len);
}

static int
nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c != 0 ? c : (alen > blen) - (alen < blen);
}

/* Keeps the lower of NI and NR, the nonces of the peer's colliding
 * rekey. */
static void
note_collision(struct v2_sa *sa, const uint8_t *ni, size_t ni_len,
	       const uint8_t *nr, size_t nr_len)
{
	bool i_low = nonce_cmp(ni, ni_len, nr, nr_len) < 0;

	sa->neg.collided = true;
	sa->neg.peer_min_len = i_low ? ni_len : nr_len;
	memcpy(sa->neg.peer_min, i_low ? ni : nr, sa->neg.peer_min_len);
}

bool
ikev2_lost_collision(const struct v2_child_neg *neg, const uint8_t *ni,
		     size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	const uint8_t *low = ni;
	size_t low_len = ni_len;

	if (!neg->collided)
		return false;
	if (nonce_cmp(nr, nr_len, ni, ni_len) < 0) {
		low = nr;
		low_len = nr_len;
	}
	return nonce_cmp(low, low_len, neg->peer_min, neg->peer_min_len) < 0;
}

void
ikev2_create_child_responder(struct ikemgr *ike, struct v2_sa *sa,
			     const struct ikev2_msg *m, uint32_t msgid)
{
	struct ikev2_state *st = ike->v2;
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *tsi = ikev2_find(m, IKEV2_NP_TSI);
	const struct ikev2_pl *tsr = ikev2_find(m, IKEV2_NP_TSR);
	const struct ike_entry *e = NULL;
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct esp_choice ch = { .c = ike->config };
	uint8_t msg[2048], ni[V2_NONCE_MAX], nr[V2_NONCE_LEN];
	uint8_t ke[IKE_DH_MAX + 4], gir[IKE_DH_MAX];
	struct ikev2_buf b;
	struct v2_notify n;
	struct ike_entry entry;
	size_t ni_len, len, ke_len = 0, gir_len = 0;
	uint32_t spi_in = 0;
	ssize_t old = -1;
	uint8_t proto = 0;
	bool collision = false;

	if (sap != NULL &&
	    ikev2_each_proposal(sap->body, sap->len, first_proto,
				&proto) == 0 &&
	    proto == IKEV2_PROTO_IKE) {
		rekey_ike_responder(ike, sa, m, msgid);
		return;
	}
	if (ikev2_find_notify(m, IKEV2_N_REKEY_SA, &n) && n.spi_size == 4) {
		old = child_by_out(st, sa->conn_id, ikev2_get_be32(n.spi));
		if (old < 0) {
			child_not_found(ike, sa, msgid, &n);
			return;
		}
		st->children[old].rekeyed = true;
		entry = st->children[old].entry;
		e = &entry;
		collision = sa->neg.active &&
			    sa->neg.rekey_spi == st->children[old].spi_in;
	}
	if (e == NULL)
		e = ike_config_entry_for_peer(ike->config, sa->peer);
	ch.e = e;
	if (e != NULL)
		ch.want_dh = e->pfs_group;
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, true,
		  msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (e != NULL && sap != NULL && tsi != NULL && tsr != NULL &&
	    ikev2_read_nonce(m, ni, &ni_len) &&
	    ikev2_each_proposal(sap->body, sap->len, ikev2_choose_esp,
				&ch) == 0 &&
	    ch.found && ike_random(nr, sizeof(nr)) == 0 &&
	    pfs_respond(&ch, kep, ke, &ke_len, gir, &gir_len) == 0) {
		ch.ts.transport = ch.ts.transport && ikev2_wants_transport(m);
		spi_in = ikev2_new_spi(ike);
		if (ikev2_install_pair(ike, sa, e, &ch.ts, false, spi_in,
				       ch.spi, ni,
				 ni_len, nr, sizeof(nr), gir, gir_len) < 0)
			spi_in = 0;
		memset(gir, 0, sizeof(gir));
	}
	if (spi_in != 0) {
		ikev2_add_transport_notify(&b, &ch.ts);
		ikev2_add_esp_sa(&b, ike->config, e, &ch.ts, ch.num, spi_in,
			   ch.want_dh);
		ikev2_add(&b, IKEV2_NP_NONCE, nr, sizeof(nr));
		if (ke_len > 0)
			ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
		ikev2_add(&b, IKEV2_NP_TSI, tsi->body, tsi->len);
		ikev2_add(&b, IKEV2_NP_TSR, tsr->body, tsr->len);
	} else {
		ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN,
				 NULL, 0);
	}
	len = ikev2_seal_msg(sa, &b);
	if (len == 0)
		return;
	ikev2_send_response(ike, sa, msg, len);
	if (spi_in == 0)
		return;
	ikev2_add_child(ike, sa, e, &ch.ts, false, spi_in, ch.spi);
	if (collision)
		note_collision(sa, ni, ni_len, nr, sizeof(nr));
}

void
ikev2_create_child_response(struct ikemgr *ike, struct v2_sa *sa,
			    const struct ikev2_msg *m)
{
	uint8_t nr[V2_NONCE_MAX];
	size_t nr_len;

	ikev2_request_done(sa);
	if (sa->rekeying) {
		rekey_ike_response(ike, sa, m);
		return;
	}
	if (!sa->neg.active)
		return;
	if (!ikev2_read_nonce(m, nr, &nr_len)) {
		ikev2_child_accepted(ike, sa, m, NULL, 0, NULL, 0);
		return;
	}
	ikev2_child_accepted(ike, sa, m, sa->neg.ni, V2_NONCE_LEN, nr, nr_len);
}

/* ---- Rekeying the IKE SA (RFC 7296 2.18) ---- */

static bool
first_proto(const struct v2_prop *p, void *arg)
{
	*(uint8_t *)arg = p->proto;
	return true;
}

/* Moves the child SAs of FROM to TO. */
static void
move_children(struct ikemgr *ike, struct v2_sa *from, struct v2_sa *to)
{
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; i < st->nchildren; i++) {
		if (st->children[i].conn_id != from->conn_id)
			continue;
		st->children[i].conn_id = to->conn_id;
		to->child_sas++;
	}
	from->child_sas = 0;
}

/* Makes NSA, the new IKE SA, take over OLD's settings and, with
 * CHILDREN, its child SAs. */
static void
take_over(struct ikemgr *ike, struct v2_sa *old, struct v2_sa *nsa,
	  bool children)
{

	nsa->lport = old->lport;
	nsa->pport = old->pport;
	nsa->natt = old->natt;
	nsa->nat_detected = old->nat_detected;
	memcpy(nsa->psk_local, old->psk_local, sizeof(nsa->psk_local));
	memcpy(nsa->psk_remote, old->psk_remote, sizeof(nsa->psk_remote));
	memcpy(nsa->profile, old->profile, sizeof(nsa->profile));
	nsa->lifetime = old->lifetime;
	nsa->dpd_interval = old->dpd_interval;
	nsa->dpd_retry = old->dpd_retry;
	nsa->dpd_periodic = old->dpd_periodic;
	/* RFC 7383 2.3: a rekeyed IKE SA keeps the fragmentation support
	 * negotiated in IKE_SA_INIT. */
	nsa->frag_mtu = old->frag_mtu;
	if (children)
		move_children(ike, old, nsa);
	ikev2_established(ike, nsa);
	DBG(nsa, "IKE SA %u rekeyed into this one", old->conn_id);
}

/* Derives NSA's keys from OLD's SK_d and the new DH exchange. */
static int
rekey_keys(const struct v2_sa *old, struct v2_sa *nsa,
	   const struct ike_dh *dh, const struct ikev2_pl *kep,
	   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	uint8_t gir[IKE_DH_MAX];
	size_t gir_len;
	int rc;

	if (kep->len < 4 || ikev2_get_be16(kep->body) != nsa->algs.group ||
	    ike_dh_shared(dh, kep->body + 4, kep->len - 4, gir, sizeof(gir),
			  &gir_len) < 0)
		return -1;
	rc = ikev2_derive_rekey(&nsa->algs, &nsa->keys, old->algs.prf,
				old->keys.sk_d, old->keys.prf_len, ni, ni_len,
				nr, nr_len, gir, gir_len, nsa->spii,
				nsa->spir);
	memset(gir, 0, sizeof(gir));
	return rc;
}

void
ikev2_send_rekey_ike(struct ikemgr *ike, struct v2_sa *sa)
{
	uint8_t msg[2048], ke[IKE_DH_MAX + 4];
	struct ikev2_buf b;
	size_t ke_len, len;

	ike_dh_free(sa->rekey_dh);
	sa->rekey_dh = ike_dh_new(sa->algs.group);
	if (sa->rekey_dh == NULL ||
	    (ke_len = ikev2_ke_body(sa->rekey_dh, sa->algs.group, ke)) == 0 ||
	    ike_random(sa->rekey_spi, 8) < 0 ||
	    ike_random(sa->rekey_ni, V2_NONCE_LEN) < 0)
		return;
	sa->rekey_peer_conn = 0;
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, false,
		  sa->next_msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	ikev2_add_ike_sa(&b, NULL, &sa->algs, 1, sa->rekey_spi);
	ikev2_add(&b, IKEV2_NP_NONCE, sa->rekey_ni, V2_NONCE_LEN);
	ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
	len = ikev2_seal_msg(sa, &b);
	if (len == 0)
		return;
	sa->rekeying = true;
	DBG(sa, "sending CREATE_CHILD_SA request to rekey the IKE SA");
	ikev2_send_request(ike, sa, msg, len);
}

/* The responder's choice for our rekey: its algorithms and new SPI. */
struct rekey_choice {
	struct ikev2_algs algs;
	uint8_t spi[8];
	bool ok;
};

static bool
take_rekey(const struct v2_prop *p, void *arg)
{
	struct rekey_choice *rc = arg;

	ikev2_take_first(p, &rc->algs);
	if (p->proto == IKEV2_PROTO_IKE && p->spi_size == 8) {
		memcpy(rc->spi, p->spi, 8);
		rc->ok = true;
	}
	return true;
}

static struct v2_sa *
find_conn(struct ikemgr *ike, uint32_t conn_id)
{
	struct ikev2_state *st = ike->v2;

	for (size_t i = 0; i < st->nsas; i++)
		if (st->sas[i]->conn_id == conn_id)
			return st->sas[i];
	return NULL;
}

/*
 * Settles a simultaneous rekey of OLD (RFC 7296 2.8.2) once our own
 * exchange, with responder nonce NR, made NSA. The end that started the
 * exchange with the lowest of the four nonces deletes the new IKE SA of
 * that exchange. The other new IKE SA takes the child SAs, and the end
 * that started it deletes OLD. Returns false when the peer's new IKE SA
 * is gone, so the caller goes on as if there had been no collision.
 */
static bool
settle_collision(struct ikemgr *ike, struct v2_sa *old, struct v2_sa *nsa,
		 const uint8_t *nr, size_t nr_len)
{
	struct v2_sa *theirs = find_conn(ike, old->rekey_peer_conn);
	const uint8_t *low = old->rekey_ni;
	size_t low_len = V2_NONCE_LEN;

	old->rekey_peer_conn = 0;
	if (theirs == NULL || theirs->state != V2_READY)
		return false;
	if (nonce_cmp(nr, nr_len, low, low_len) < 0) {
		low = nr;
		low_len = nr_len;
	}
	if (nonce_cmp(low, low_len, old->rekey_peer_min,
		      old->rekey_peer_min_len) >= 0) {
		DBG(old, "simultaneous rekey: IKE SA %u survives, the peer deletes %u",
		    nsa->conn_id, theirs->conn_id);
		theirs->redundant_until = ike_now(ike) + NEGOTIATION_SEC;
		take_over(ike, old, nsa, true);
		ikev2_delete_ike_sa(ike, old);
		return true;
	}
	/* Ours has the lowest nonce: we delete it, and the peer deletes
	 * OLD once its own exchange ends. */
	DBG(old, "simultaneous rekey: IKE SA %u survives, %u goes",
	    theirs->conn_id, nsa->conn_id);
	take_over(ike, old, nsa, false);
	move_children(ike, old, theirs);
	ikev2_delete_ike_sa(ike, nsa);
	return true;
}

/*
 * The peer deletes SA while our colliding rekey of it is outstanding:
 * it settled on the new IKE SA of its own exchange, so the child SAs
 * move there instead of going with SA.
 */
static void
keep_rekeyed_children(struct ikemgr *ike, struct v2_sa *sa)
{
	struct v2_sa *theirs = find_conn(ike, sa->rekey_peer_conn);

	sa->rekey_peer_conn = 0;
	if (theirs == NULL || theirs->state != V2_READY)
		return;
	DBG(sa, "simultaneous rekey: the peer kept IKE SA %u",
	    theirs->conn_id);
	move_children(ike, sa, theirs);
}

/*
 * Removes SA, the redundant IKE SA of a simultaneous rekey, when the
 * peer that started it has not deleted it within NEGOTIATION_SEC, as
 * strongSwan does with the redundant SA it waits for. The peer's DELETE
 * may be lost, and charon 5.9 never sets up that SA at all when our
 * DELETE of the old IKE SA reaches it before our response to its rekey
 * request. SA has no child SAs, so it goes without a DELETE of ours. A
 * peer that sent requests over SA uses it, so SA then stays.
 */
bool
ikev2_drop_redundant(struct ikemgr *ike, struct v2_sa *sa, double now)
{
	if (sa->redundant_until == 0 || now < sa->redundant_until ||
	    sa->state != V2_READY)
		return false;
	sa->redundant_until = 0;
	if (sa->peer_msgid != 0 || sa->child_sas != 0) {
		DBG(sa, "simultaneous rekey: the peer uses this IKE SA, "
		    "which it should have deleted: keeping it");
		return false;
	}
	DBG(sa, "simultaneous rekey: the peer did not delete this redundant "
	    "IKE SA: removing it");
	ikev2_remove_sa(ike, sa, true);
	return true;
}

static void
rekey_ike_response(struct ikemgr *ike, struct v2_sa *sa,
		   const struct ikev2_msg *m)
{
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct rekey_choice rc = { .ok = false };
	uint8_t nr[V2_NONCE_MAX];
	struct v2_sa *nsa = NULL;
	size_t nr_len;

	sa->rekeying = false;
	if (sap == NULL || kep == NULL || !ikev2_read_nonce(m, nr, &nr_len) ||
	    ikev2_each_proposal(sap->body, sap->len, take_rekey, &rc) < 0 ||
	    !rc.ok || memcmp(&rc.algs, &sa->algs, sizeof(rc.algs)) != 0) {
		DBG(sa, "the peer did not accept the rekey of the IKE SA");
		goto out;
	}
	nsa = ikev2_new_sa(ike, sa->local, sa->peer, true);
	if (nsa == NULL)
		goto out;
	memcpy(nsa->spii, sa->rekey_spi, 8);
	memcpy(nsa->spir, rc.spi, 8);
	nsa->algs = sa->algs;
	if (rekey_keys(sa, nsa, sa->rekey_dh, kep, sa->rekey_ni, V2_NONCE_LEN,
		       nr, nr_len) < 0) {
		ikev2_remove_sa(ike, nsa, false);
		goto out;
	}
	if (sa->rekey_peer_conn != 0 &&
	    settle_collision(ike, sa, nsa, nr, nr_len))
		goto out;
	take_over(ike, sa, nsa, true);
	ikev2_delete_ike_sa(ike, sa);
out:
	/* Still set only when our exchange failed: the peer's rekey of SA
	 * went through, so its IKE SA takes the child SAs. */
	if (sa->rekey_peer_conn != 0)
		keep_rekeyed_children(ike, sa);
	ike_dh_free(sa->rekey_dh);
	sa->rekey_dh = NULL;
}

static void
rekey_ike_responder(struct ikemgr *ike, struct v2_sa *sa,
		    const struct ikev2_msg *m, uint32_t msgid)
{
	const struct ikev2_pl *sap = ikev2_find(m, IKEV2_NP_SA);
	const struct ikev2_pl *kep = ikev2_find(m, IKEV2_NP_KE);
	struct ike_choice ch = { .c = v2_config(ike) };
	uint8_t msg[2048], ke[IKE_DH_MAX + 4], ni[V2_NONCE_MAX], grp[2];
	struct ike_dh *dh = NULL;
	struct v2_sa *nsa = NULL;
	struct ikev2_buf b;
	size_t ni_len, ke_len = 0, len;

	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_CREATE_CHILD_SA, true,
		  msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (ch.c == NULL || kep == NULL || kep->len < 4 ||
	    !ikev2_read_nonce(m, ni, &ni_len) ||
	    ikev2_each_proposal(sap->body, sap->len, ikev2_choose_ike,
				&ch) < 0 ||
	    !ch.found || ch.spi_size != 8) {
		ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN,
				 NULL, 0);
		goto send;
	}
	if (ikev2_get_be16(kep->body) != ch.algs.group) {
		ikev2_put_be16(grp, ch.algs.group);
		ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_INVALID_KE_PAYLOAD,
				 grp, 2);
		goto send;
	}
	nsa = ikev2_new_sa(ike, sa->local, sa->peer, false);
	dh = ike_dh_new(ch.algs.group);
	if (nsa != NULL) {
		memcpy(nsa->spii, ch.spi, 8);
		nsa->algs = ch.algs;
		nsa->nr_len = V2_NONCE_LEN;
	}
	if (nsa == NULL || dh == NULL ||
	    (ke_len = ikev2_ke_body(dh, ch.algs.group, ke)) == 0 ||
	    ike_random(nsa->spir, 8) < 0 ||
	    ike_random(nsa->nr, V2_NONCE_LEN) < 0 ||
	    rekey_keys(sa, nsa, dh, kep, ni, ni_len, nsa->nr,
		       nsa->nr_len) < 0) {
		if (nsa != NULL)
			ikev2_remove_sa(ike, nsa, false);
		nsa = NULL;
		ikev2_add_notify(&b, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN,
				 NULL, 0);
		goto send;
	}
	ikev2_add_ike_sa(&b, NULL, &ch.algs, ch.num, nsa->spir);
	ikev2_add(&b, IKEV2_NP_NONCE, nsa->nr, nsa->nr_len);
	ikev2_add(&b, IKEV2_NP_KE, ke, ke_len);
send:
	ike_dh_free(dh);
	len = ikev2_seal_msg(sa, &b);
	if (len == 0) {
		if (nsa != NULL)
			ikev2_remove_sa(ike, nsa, false);
		return;
	}
	ikev2_send_response(ike, sa, msg, len);
	if (nsa == NULL)
		return;
	if (!sa->rekeying) {
		take_over(ike, sa, nsa, true);
		return;
	}
	/* Our own rekey of SA is outstanding: the child SAs stay until
	 * its response shows which new IKE SA survives. */
	DBG(sa, "simultaneous rekey of the IKE SA: IKE SA %u from the peer",
	    nsa->conn_id);
	sa->rekey_peer_conn = nsa->conn_id;
	sa->rekey_peer_min_len = nonce_cmp(ni, ni_len, nsa->nr,
					   nsa->nr_len) < 0 ?
				 ni_len : nsa->nr_len;
	memcpy(sa->rekey_peer_min, nonce_cmp(ni, ni_len, nsa->nr,
					     nsa->nr_len) < 0 ? ni : nsa->nr,
	       sa->rekey_peer_min_len);
	take_over(ike, sa, nsa, false);
}

/* ---- INFORMATIONAL ---- */

/* The SPI an INVALID_SPI notify names: in the notification data (RFC
 * 7296 3.10) or, in the older form, in the SPI field. */
static bool
invalid_spi_of(const struct v2_notify *n, uint32_t *spi)
{
	if (n->spi_size == 4) {
		*spi = ikev2_get_be32(n->spi);
		return true;
	}
	if (n->spi_size == 0 && n->data_len >= 4) {
		*spi = ikev2_get_be32(n->data);
		return true;
	}
	return false;
}

void
ikev2_info_responder(struct ikemgr *ike, struct v2_sa *sa,
		     const struct ikev2_msg *m, uint32_t msgid)
{
	struct ikev2_state *st = ike->v2;
	uint32_t del_in[16], renew[4], spi;
	struct ike_entry renew_e[4];
	size_t ndel = 0, nrenew = 0, len;
	bool delete_ike = false;
	uint8_t msg[512];
	struct ikev2_buf b;
	struct v2_notify n;
	ssize_t idx;

	for (size_t i = 0; i < m->n; i++) {
		const struct ikev2_pl *pl = &m->pl[i];

		if (pl->type == IKEV2_NP_D && pl->len >= 4) {
			size_t nspi = ikev2_get_be16(pl->body + 2);

			st->stats.delete_rx++;
			atomic_fetch_add(&ike->delete_received, 1);
			if (pl->body[0] == IKEV2_PROTO_IKE) {
				delete_ike = true;
				continue;
			}
			if (pl->body[0] != IKEV2_PROTO_ESP ||
			    pl->body[1] != 4 || 4 + 4 * nspi > pl->len)
				continue;
			for (size_t k = 0; k < nspi; k++) {
				spi = ikev2_get_be32(pl->body + 4 + 4 * k);
				idx = child_by_out(st, sa->conn_id, spi);
				DBG(sa, "DELETE for ESP SPI 0x%X%s", spi,
				    idx < 0 ? ": no such child SA" : "");
				if (idx < 0 || ndel == 16)
					continue;
				del_in[ndel++] = st->children[idx].spi_in;
				ikev2_remove_child(ike, (size_t)idx);
			}
		} else if (ikev2_read_notify(pl, &n) &&
			   n.type == IKEV2_N_INVALID_SPI) {
			st->stats.invalid_spi_rx++;
			if (!invalid_spi_of(&n, &spi))
				continue;
			idx = child_by_out(st, sa->conn_id, spi);
			DBG(sa, "INVALID_SPI for SPI 0x%X%s", spi,
			    idx < 0 ? ": no such outbound SA" :
			    ": deleting and renegotiating the child SA");
			if (idx < 0 || nrenew == 4)
				continue;
			renew[nrenew] = st->children[idx].spi_in;
			renew_e[nrenew++] = st->children[idx].entry;
			ikev2_remove_child(ike, (size_t)idx);
		}
	}
	ikev2_start_msg(&b, msg, sizeof(msg), sa, IKEV2_INFORMATIONAL, true,
			msgid);
	ikev2_begin_sk(&b, ikev2_iv_len(sa->algs.encr));
	if (ndel > 0 && !delete_ike)
		ikev2_add_delete_esp(&b, del_in, ndel);
	len = ikev2_seal_msg(sa, &b);
	if (len > 0)
		ikev2_send_response(ike, sa, msg, len);
	if (delete_ike && sa->rekey_peer_conn != 0)
		keep_rekeyed_children(ike, sa);
	if (delete_ike) {
		DBG(sa, "peer deleted the IKE SA");
		ikev2_remove_sa(ike, sa, true);
		return;
	}
	for (size_t i = 0; i < nrenew; i++) {
		ikev2_add_job(ike, sa, V2_JOB_DELETE_CHILD, renew[i], NULL);
		ikev2_add_job(ike, sa, V2_JOB_CREATE_CHILD, 0, &renew_e[i]);
	}
}

void
ikev2_info_response(struct ikemgr *ike, struct v2_sa *sa)
{
	ikev2_request_done(sa);
	if (sa->state == V2_DEAD) {
		ikev2_remove_sa(ike, sa, true);
		return;
	}
	ikev2_run_jobs(ike, sa);
}

