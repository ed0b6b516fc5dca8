/*
 * The ISAKMP Transaction exchange of EzVPN, both roles. Each message is
 * HDR*, HASH, ATTR with HASH = prf(SKEYID_a, M-ID | ATTR). A request
 * and its reply share an M-ID and continue one CBC chain. The server
 * sends XAUTH REQUEST (user name and password), the client REPLY, the
 * server SET (XAUTH-STATUS), the client ACK. The client then sends a
 * mode config REQUEST, and the server replies with an address from
 * the group's pool, its netmask and DNS servers and the Cisco Unity
 * split-tunnel networks. Runs in the manager thread.
 */
#include "ikemgr/ike_ezvpn.h"

#include "core/debug.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DBG(sa, fmt, ...)						\
	do {								\
		if (debug_on_peer(DEBUG_CRYPTO_ISAKMP, ntohl((sa)->peer))) \
			log_debug("ISAKMP: (%u):" fmt, (sa)->conn_id,	\
				  ##__VA_ARGS__);			\
	} while (0)

#define ATTR_TV			0x8000
/* A Unity split-include entry: address, mask, protocol and two ports. */
#define SPLIT_ENTRY_LEN		14

/* One attribute of an attribute payload. A TV attribute has VALUE only. */
struct cfg_attr {
	uint16_t type;
	bool tv;
	uint16_t value;
	const uint8_t *data;
	size_t len;
};

/* An attribute payload: its message type, identifier and attributes. */
struct cfg_payload {
	uint8_t type;
	uint16_t ident;
	const uint8_t *attrs;
	size_t len;
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reads the attribute at ATTRS[*OFF..LEN). Returns 1, 0 at the end, or
 * -1 when malformed. */
static int
next_attr(const struct cfg_payload *p, size_t *off, struct cfg_attr *a)
{
	const uint8_t *q = p->attrs + *off;
	size_t left = p->len - *off;

	if (left == 0)
		return 0;
	if (left < 4)
		return -1;
	a->type = get16(q) & 0x7fff;
	a->tv = (get16(q) & ATTR_TV) != 0;
	a->value = get16(q + 2);
	a->data = q + 4;
	a->len = a->tv ? 0 : a->value;
	if (a->len > left - 4)
		return -1;
	*off += 4 + a->len;
	return 1;
}

static void
put_tlv(struct isakmp_buf *b, uint16_t type, const void *v, size_t len)
{
	isakmp_put16(b, type);
	isakmp_put16(b, (uint16_t)len);
	isakmp_put(b, v, len);
}

static void
put_tv(struct isakmp_buf *b, uint16_t type, uint16_t value)
{
	isakmp_put16(b, ATTR_TV | type);
	isakmp_put16(b, value);
}

static void
start_payload(struct isakmp_buf *b, uint8_t *buf, size_t cap, uint8_t type,
	      uint16_t ident)
{
	isakmp_build_start(b, buf, cap, NULL);
	isakmp_put8(b, type);
	isakmp_put8(b, 0);
	isakmp_put16(b, ident);
}

static struct ike_xauth *
xauth_of(struct ike_sa *sa)
{
	if (sa->xa == NULL)
		sa->xa = calloc(1, sizeof(*sa->xa));
	return sa->xa;
}

void
ike_xauth_free(struct ike_xauth *xa)
{
	if (xa == NULL)
		return;
	OPENSSL_cleanse(xa, sizeof(*xa));
	free(xa);
}

/* Sends the attribute payload in B: in the exchange under way with
 * NEW_EXCHANGE false, else in a new one. */
static int
send_attrs(struct ikemgr *ike, struct ike_sa *sa, struct isakmp_buf *b,
	   bool new_exchange, bool retx)
{
	struct ike_xauth *xa = sa->xa;

	if (b->overflow)
		return -1;
	if (new_exchange) {
		xa->msgid = ikev1_random_msgid();
		if (ikev1_phase2_iv(sa, xa->msgid, xa->iv) < 0)
			return -1;
	}
	return ikev1_send_hashed(ike, sa, ISAKMP_XCHG_TRANSACTION, xa->msgid,
				 xa->iv, ISAKMP_NP_ATTR, b->data, b->len,
				 retx);
}

int
ike_xauth_server_start(struct ikemgr *ike, struct ike_sa *sa)
{
	struct ike_xauth *xa = xauth_of(sa);
	uint8_t body[64];
	struct isakmp_buf b;

	if (xa == NULL || ike_random(&xa->ident, sizeof(xa->ident)) < 0)
		return -1;
	start_payload(&b, body, sizeof(body), IKE_CFG_REQUEST, xa->ident);
	put_tv(&b, IKE_CFG_XAUTH_TYPE, 0);	/* generic */
	put_tlv(&b, IKE_CFG_XAUTH_USER_NAME, NULL, 0);
	put_tlv(&b, IKE_CFG_XAUTH_USER_PASSWORD, NULL, 0);
	DBG(sa, "Sending XAUTH request");
	if (send_attrs(ike, sa, &b, true, true) < 0)
		return -1;
	xa->step = IKE_XA_REQ_SENT;
	return 0;
}

/* Copies a string attribute into DST of CAP octets. Returns false when
 * it does not fit or contains a NUL. */
static bool
attr_text(const struct cfg_attr *a, char *dst, size_t cap)
{
	if (a->tv || a->len >= cap || memchr(a->data, '\0', a->len) != NULL)
		return false;
	memcpy(dst, a->data, a->len);
	dst[a->len] = '\0';
	return true;
}

/* Checks USER and PASSWORD against the local users. On failure, REASON
 * gives the cause. */
static bool
check_user(const struct ike_ezvpn_config *ez, const char *user,
	   const char *password, const char **reason)
{
	size_t plen = strlen(password);

	if (!ez->xauth_local) {
		*reason = "the authentication list has no local method";
		return false;
	}
	for (size_t i = 0; i < ez->nusers; i++) {
		const struct ike_ez_user *u = &ez->users[i];

		if (strcmp(u->name, user) != 0)
			continue;
		if (u->hashed) {
			*reason = "the user has a secret, which XAUTH "
				  "cannot check";
			return false;
		}
		if (strlen(u->password) == plen &&
		    CRYPTO_memcmp(u->password, password, plen) == 0)
			return true;
		*reason = "wrong password";
		return false;
	}
	*reason = "no such user";
	return false;
}

/* Handles the client's XAUTH REPLY on the server and sends SET with the
 * verdict. */
static void
server_reply(struct ikemgr *ike, struct ike_sa *sa,
	     const struct cfg_payload *p)
{
	struct ike_xauth *xa = sa->xa;
	const struct ike_ezvpn_config *ez = ike->config->ez;
	char user[IKE_EZ_NAME_MAX] = "", pw[IKE_EZ_SECRET_MAX] = "";
	const char *reason = "no user name or password";
	char addr[INET_ADDRSTRLEN];
	struct cfg_attr a;
	uint8_t body[16];
	struct isakmp_buf b;
	size_t off = 0;
	int rc;

	while ((rc = next_attr(p, &off, &a)) > 0) {
		if (a.type == IKE_CFG_XAUTH_USER_NAME)
			attr_text(&a, user, sizeof(user));
		else if (a.type == IKE_CFG_XAUTH_USER_PASSWORD)
			attr_text(&a, pw, sizeof(pw));
	}
	ikev1_retx_clear(&sa->retx);
	xa->passed = rc == 0 && user[0] != '\0' &&
		     check_user(ez, user, pw, &reason);
	OPENSSL_cleanse(pw, sizeof(pw));
	snprintf(xa->user, sizeof(xa->user), "%s", user);
	inet_ntop(AF_INET, &sa->peer, addr, sizeof(addr));
	if (xa->passed) {
		DBG(sa, "XAUTH: user %s authenticated", user);
	} else {
		DBG(sa, "XAUTH: user %s failed: %s", user, reason);
		log_msg(LOGMSG_CRYPTO_IKMP_AUTH_FAIL,
			"Authentication method %u failed with host %s",
			(unsigned)IKE_AUTH_XAUTH_INIT_PSK, addr);
	}
	start_payload(&b, body, sizeof(body), IKE_CFG_SET, xa->ident);
	put_tv(&b, IKE_CFG_XAUTH_STATUS, xa->passed ? 1 : 0);
	if (send_attrs(ike, sa, &b, true, true) == 0)
		xa->step = IKE_XA_SET_SENT;
}

/* Finds the lowest address of POOL that no other IKE SA has assigned. */
static uint32_t
pool_address(struct ikemgr *ike, const char *pool)
{
	const struct ike_ezvpn_config *ez = ike->config->ez;
	const struct ike_ez_pool *p = NULL;

	for (size_t i = 0; i < ez->npools && p == NULL; i++)
		if (strcmp(ez->pools[i].name, pool) == 0)
			p = &ez->pools[i];
	for (uint32_t a = p != NULL ? p->first : 1;
	     p != NULL && a >= p->first && a <= p->last; a++) {
		uint32_t n = htonl(a);
		bool used = false;

		for (size_t i = 0; i < ike->nsas && !used; i++)
			used = ike->sas[i]->xa != NULL &&
			       ike->sas[i]->xa->assigned == n;
		if (!used)
			return n;
		if (a == UINT32_MAX)
			break;
	}
	return 0;
}

static void
put_split(struct isakmp_buf *b, const struct ike_ez_group *g)
{
	uint8_t entry[SPLIT_ENTRY_LEN] = { 0 };

	if (g->nsplit == 0)
		return;
	isakmp_put16(b, IKE_CFG_UNITY_SPLIT_INCLUDE);
	isakmp_put16(b, (uint16_t)(g->nsplit * SPLIT_ENTRY_LEN));
	for (size_t i = 0; i < g->nsplit; i++) {
		memcpy(entry, &g->split[i].addr, 4);
		memcpy(entry + 4, &g->split[i].mask, 4);
		isakmp_put(b, entry, sizeof(entry));
	}
}

static const struct ike_ez_group *
group_named(const struct ike_config *c, const char *name)
{
	for (size_t i = 0; c->ez != NULL && i < c->ez->ngroups; i++)
		if (strcmp(c->ez->groups[i].name, name) == 0)
			return &c->ez->groups[i];
	return NULL;
}

/* Handles the client's mode config REQUEST on the server and replies
 * with what the group has. */
static void
server_modecfg(struct ikemgr *ike, struct ike_sa *sa,
	       const struct cfg_payload *p)
{
	struct ike_xauth *xa = sa->xa;
	const struct ike_ez_group *g = group_named(ike->config, xa->group);
	uint8_t body[512];
	struct isakmp_buf b;
	char addr[INET_ADDRSTRLEN];

	if (g == NULL) {
		DBG(sa, "mode config: group %s is gone", xa->group);
		return;
	}
	if (xa->assigned == 0 && g->pool[0] != '\0')
		xa->assigned = pool_address(ike, g->pool);
	start_payload(&b, body, sizeof(body), IKE_CFG_REPLY, p->ident);
	if (xa->assigned != 0) {
		put_tlv(&b, IKE_CFG_IP4_ADDRESS, &xa->assigned, 4);
		DBG(sa, "allocating address %s",
		    inet_ntop(AF_INET, &xa->assigned, addr, sizeof(addr)));
	} else if (g->pool[0] != '\0') {
		DBG(sa, "mode config: pool %s has no free address", g->pool);
	}
	if (g->netmask != 0)
		put_tlv(&b, IKE_CFG_IP4_NETMASK, &g->netmask, 4);
	for (size_t i = 0; i < g->ndns; i++)
		put_tlv(&b, IKE_CFG_IP4_DNS, &g->dns[i], 4);
	put_split(&b, g);
	DBG(sa, "Config payload REPLY for group %s", g->name);
	if (send_attrs(ike, sa, &b, false, false) == 0)
		xa->step = IKE_XA_DONE;
}

/* Handles P in the server's state. Returns false when it does not fit. */
static bool
server_input(struct ikemgr *ike, struct ike_sa *sa, uint32_t msgid,
	     const struct cfg_payload *p)
{
	struct ike_xauth *xa = sa->xa;

	if (xa->step == IKE_XA_REQ_SENT && msgid == xa->msgid &&
	    p->type == IKE_CFG_REPLY) {
		server_reply(ike, sa, p);
	} else if (xa->step == IKE_XA_SET_SENT && msgid == xa->msgid &&
		   p->type == IKE_CFG_ACK) {
		ikev1_retx_clear(&sa->retx);
		if (!xa->passed) {
			xa->step = IKE_XA_FAILED;
			ikev1_delete_sa(ike, sa, true, false);
			return true;
		}
		xa->step = IKE_XA_AUTHED;
	} else if (p->type == IKE_CFG_REQUEST && msgid != xa->msgid &&
		   (xa->step == IKE_XA_AUTHED || xa->step == IKE_XA_DONE ||
		    (xa->step == IKE_XA_SET_SENT && xa->passed))) {
		/* A request after SET is also taken as a lost ACK. */
		ikev1_retx_clear(&sa->retx);
		xa->msgid = msgid;
		server_modecfg(ike, sa, p);
	} else {
		return false;
	}
	return true;
}

/* Handles the server's XAUTH REQUEST on the client and replies with the
 * configured user name and password. */
static void
client_request(struct ikemgr *ike, struct ike_sa *sa,
	       const struct cfg_payload *p)
{
	const struct ike_ez_client *cl = ike->config->ez->client;
	struct ike_xauth *xa = sa->xa;
	uint8_t body[IKE_EZ_NAME_MAX + IKE_EZ_SECRET_MAX + 32];
	struct isakmp_buf b;

	DBG(sa, "Need XAUTH");
	start_payload(&b, body, sizeof(body), IKE_CFG_REPLY, p->ident);
	put_tv(&b, IKE_CFG_XAUTH_TYPE, 0);
	put_tlv(&b, IKE_CFG_XAUTH_USER_NAME, cl->user, strlen(cl->user));
	put_tlv(&b, IKE_CFG_XAUTH_USER_PASSWORD, cl->password,
		strlen(cl->password));
	if (send_attrs(ike, sa, &b, false, false) == 0) {
		xa->step = IKE_XA_REPLIED;
		ike->ez->phase = IKE_EZ_XAUTH_REPLIED;
		ike->ez->last_event = "XAUTH_REQUEST";
	}
	OPENSSL_cleanse(body, sizeof(body));
}

/* Requests an address, its mask and the split networks from the server. */
static void
client_modecfg_request(struct ikemgr *ike, struct ike_sa *sa)
{
	struct ike_xauth *xa = sa->xa;
	uint8_t body[64];
	struct isakmp_buf b;

	if (ike_random(&xa->ident, sizeof(xa->ident)) < 0)
		return;
	start_payload(&b, body, sizeof(body), IKE_CFG_REQUEST, xa->ident);
	put_tlv(&b, IKE_CFG_IP4_ADDRESS, NULL, 0);
	put_tlv(&b, IKE_CFG_IP4_NETMASK, NULL, 0);
	put_tlv(&b, IKE_CFG_IP4_DNS, NULL, 0);
	put_tlv(&b, IKE_CFG_UNITY_SPLIT_INCLUDE, NULL, 0);
	DBG(sa, "Config payload REQUEST");
	if (send_attrs(ike, sa, &b, true, true) == 0) {
		xa->step = IKE_XA_CFG_SENT;
		ike->ez->phase = IKE_EZ_MODECFG_PEND;
		ike->ez->last_event = "XAUTH_STATUS_PASS";
	}
}

/* Handles the server's SET of the XAUTH status on the client and ACKs it. */
static void
client_set(struct ikemgr *ike, struct ike_sa *sa, const struct cfg_payload *p)
{
	struct ike_xauth *xa = sa->xa;
	struct cfg_attr a;
	uint8_t body[16];
	struct isakmp_buf b;
	size_t off = 0;
	bool ok = false;

	while (next_attr(p, &off, &a) > 0)
		if (a.type == IKE_CFG_XAUTH_STATUS && a.tv)
			ok = a.value == 1;
	start_payload(&b, body, sizeof(body), IKE_CFG_ACK, p->ident);
	put_tv(&b, IKE_CFG_XAUTH_STATUS, ok ? 1 : 0);
	if (send_attrs(ike, sa, &b, false, false) < 0)
		return;
	if (!ok) {
		DBG(sa, "XAUTH status FAIL: the server rejected user %s",
		    ike->config->ez->client->user);
		xa->step = IKE_XA_FAILED;
		ike->ez->xauth_failed++;
		ike->ez->last_event = "XAUTH_STATUS_FAIL";
		return;
	}
	DBG(sa, "XAUTH status PASS");
	xa->passed = true;
	xa->step = IKE_XA_AUTHED;
	client_modecfg_request(ike, sa);
}

/* Handles the mode config REPLY on the client and keeps the address and
 * the networks. */
static void
client_reply(struct ikemgr *ike, struct ike_sa *sa,
	     const struct cfg_payload *p)
{
	struct ike_ezvpn_state *st = ike->ez;
	struct cfg_attr a;
	size_t off = 0;

	st->assigned = 0;
	st->assigned_mask = 0;
	st->nsplit = 0;
	while (next_attr(p, &off, &a) > 0) {
		if (a.type == IKE_CFG_IP4_ADDRESS && a.len == 4)
			memcpy(&st->assigned, a.data, 4);
		else if (a.type == IKE_CFG_IP4_NETMASK && a.len == 4)
			memcpy(&st->assigned_mask, a.data, 4);
		if (a.type != IKE_CFG_UNITY_SPLIT_INCLUDE)
			continue;
		for (size_t k = 0; k + SPLIT_ENTRY_LEN <= a.len &&
		     st->nsplit < IKE_EZ_SPLIT_MAX; k += SPLIT_ENTRY_LEN) {
			struct ike_ez_net *n = &st->split[st->nsplit++];

			memcpy(&n->addr, a.data + k, 4);
			memcpy(&n->mask, a.data + k + 4, 4);
			n->addr &= n->mask;
		}
	}
	ikev1_retx_clear(&sa->retx);
	sa->xa->step = IKE_XA_DONE;
	st->phase = IKE_EZ_IPSEC_PEND;
	st->last_event = "MODE_CONFIG_REPLY";
	DBG(sa, "Config payload REPLY: %zu split networks", st->nsplit);
}

/* Handles P in the client's state. Returns false when it does not fit. */
static bool
client_input(struct ikemgr *ike, struct ike_sa *sa, uint32_t msgid,
	     const struct cfg_payload *p)
{
	struct ike_xauth *xa = sa->xa;

	if (ike->config->ez == NULL || ike->config->ez->client == NULL ||
	    ike->ez == NULL)
		return false;
	if ((xa->step == IKE_XA_NONE || xa->step == IKE_XA_REPLIED) &&
	    p->type == IKE_CFG_REQUEST) {
		/* A second REQUEST after a REPLY means that the server
		 * requests again. */
		xa->msgid = msgid;
		client_request(ike, sa, p);
	} else if (xa->step == IKE_XA_REPLIED && p->type == IKE_CFG_SET &&
		   msgid != xa->msgid) {
		xa->msgid = msgid;
		client_set(ike, sa, p);
	} else if (xa->step == IKE_XA_CFG_SENT && msgid == xa->msgid &&
		   p->type == IKE_CFG_REPLY) {
		client_reply(ike, sa, p);
	} else {
		return false;
	}
	return true;
}

void
ike_xauth_input(struct ikemgr *ike, struct ike_sa *sa,
		const struct isakmp_hdr *h, uint8_t *msg, size_t len,
		struct isakmp_msg *m)
{
	uint8_t iv[IKE_BLOCK_MAX], kept[IKE_BLOCK_MAX];
	const struct isakmp_pl *pl;
	struct cfg_payload p;
	struct ike_xauth *xa;
	bool handled;

	if (!(h->flags & ISAKMP_FLAG_E) || sa->state != IKE_QM_IDLE ||
	    h->msgid == 0 || (!sa->ezvpn && sa->xa == NULL) ||
	    (xa = xauth_of(sa)) == NULL)
		goto drop;
	/* A reply continues the chain of our message, but a request
	 * starts a new one. */
	if (h->msgid == xa->msgid)
		memcpy(iv, xa->iv, sizeof(iv));
	else if (ikev1_phase2_iv(sa, h->msgid, iv) < 0)
		goto drop;
	if (ikev1_decrypt(sa, msg, len, iv) < 0 ||
	    isakmp_parse_payloads(h->next, msg + ISAKMP_HDR_LEN,
				  len - ISAKMP_HDR_LEN, m) < 0 ||
	    !ikev1_check_hash(sa, h->msgid, m) ||
	    (pl = isakmp_find(m, ISAKMP_NP_ATTR)) == NULL || pl->len < 4)
		goto drop;
	/* The handlers reply from the new chain. A message that fits no
	 * state leaves the exchange under way as it was. */
	memcpy(kept, xa->iv, sizeof(kept));
	memcpy(xa->iv, iv, sizeof(iv));
	p.type = pl->body[0];
	p.ident = get16(pl->body + 2);
	p.attrs = pl->body + 4;
	p.len = pl->len - 4;
	handled = sa->ezvpn ? client_input(ike, sa, h->msgid, &p) :
		  server_input(ike, sa, h->msgid, &p);
	if (handled)
		return;
	/* SA may be gone only after a handled message. */
	memcpy(xa->iv, kept, sizeof(kept));
	DBG(sa, "unexpected Transaction message type %u", p.type);
drop:
	atomic_fetch_add(&ike->packets_dropped, 1);
}
