/*
 * The ISAKMP codec: the header, the payload chain, and each payload
 * parser on every payload of its type, the way ikev1.c reads a message.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ikemgr/isakmp.h"

/* Walks every attribute of a transform, as the proposal matcher does. */
static void
walk_attrs(const struct isakmp_transform *t)
{
	struct isakmp_attr a;
	size_t off = 0;

	while (isakmp_next_attr(t->attrs, t->attrs_len, &off, &a) == 1)
		;
}

static void
parse_payload(const struct isakmp_pl *pl)
{
	static struct isakmp_sa sa;
	struct isakmp_notify nt;
	struct isakmp_delete del;
	struct isakmp_id id;

	switch (pl->type) {
	case ISAKMP_NP_SA:
		if (isakmp_parse_sa(pl->body, pl->len, &sa) < 0)
			break;
		for (size_t p = 0; p < sa.nproposals; p++)
			for (size_t t = 0; t < sa.p[p].ntransforms; t++)
				walk_attrs(&sa.p[p].t[t]);
		break;
	case ISAKMP_NP_N:
		(void)isakmp_parse_notify(pl->body, pl->len, &nt);
		break;
	case ISAKMP_NP_D:
		(void)isakmp_parse_delete(pl->body, pl->len, &del);
		break;
	case ISAKMP_NP_ID:
		(void)isakmp_parse_id(pl->body, pl->len, &id);
		break;
	default:
		break;
	}
	(void)isakmp_payload_name(pl->type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isakmp_hdr h;
	struct isakmp_msg m;
	uint8_t *copy;

	/* A copy of exactly SIZE octets lets ASan see any read past it. */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	if (isakmp_parse_hdr(copy, size, &h) == 0 &&
	    isakmp_parse_payloads(h.next, copy + ISAKMP_HDR_LEN,
				  h.length - ISAKMP_HDR_LEN, &m) == 0) {
		for (size_t i = 0; i < m.n; i++)
			parse_payload(&m.pl[i]);
		(void)isakmp_find(&m, ISAKMP_NP_VID);
	}
	free(copy);
	return 0;
}
