/*
 * The ISAKMP codec against real Main Mode and Quick Mode captures: two
 * IOS routers (PSK, AES-128, SHA1, group 2) and an Openswan pair that
 * floats to UDP 4500. Truncated and overlong payloads must be rejected.
 */
#include "ike_test.h"
#include "ikemgr/isakmp.h"

#include <criterion/criterion.h>
#include <string.h>

#define IOS_PCAP "suricata-ikev1-isakmp-main-mode.pcap"
#define NATT_PCAP "tcpdump-isakmp4500.pcap"

static struct ikt_msg msgs[64];

static size_t
count_type(const struct isakmp_msg *m, uint8_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		n += m->pl[i].type == type;
	return n;
}

static void
parse(const struct ikt_msg *x, struct isakmp_hdr *h, struct isakmp_msg *m)
{
	cr_assert_eq(isakmp_parse_hdr(x->data, x->len, h), 0);
	cr_assert_eq(h->length, x->len);
	cr_assert_eq(isakmp_parse_payloads(h->next, x->data + ISAKMP_HDR_LEN,
					   h->length - ISAKMP_HDR_LEN, m), 0);
}

Test(ikev1_codec, ios_main_mode_header_and_sa)
{
	static const uint8_t icookie[8] = { 0xe4, 0x7a, 0x59, 0x1f,
					    0xd0, 0x57, 0x58, 0x7f };
	static const uint8_t rcookie[8] = { 0xa0, 0x0b, 0x8e, 0xf0,
					    0x90, 0x2b, 0xb8, 0xec };
	static const uint8_t zero[8];
	static struct isakmp_sa sa;
	struct isakmp_hdr h;
	struct isakmp_msg m;
	struct isakmp_attr a;
	const struct isakmp_pl *sap;
	size_t n = ikt_read_pcap(IOS_PCAP, msgs, 64), off = 0;
	uint32_t attrs[16] = { 0 };

	cr_assert_eq(n, 9, "expected 6 Main Mode and 3 Quick Mode messages");
	parse(&msgs[0], &h, &m);
	cr_assert_eq(memcmp(h.icookie, icookie, 8), 0);
	cr_assert_eq(memcmp(h.rcookie, zero, 8), 0);
	cr_assert_eq(h.exchange, ISAKMP_XCHG_IDPROT);
	cr_assert_eq(h.flags, 0);
	cr_assert_eq(m.n, 5);
	cr_assert_eq(count_type(&m, ISAKMP_NP_VID), 4);

	sap = isakmp_find(&m, ISAKMP_NP_SA);
	cr_assert_not_null(sap);
	cr_assert_eq(isakmp_parse_sa(sap->body, sap->len, &sa), 0);
	cr_assert_eq(sa.doi, ISAKMP_DOI_IPSEC);
	cr_assert_eq(sa.nproposals, 1);
	cr_assert_eq(sa.p[0].proto, ISAKMP_PROTO_ISAKMP);
	cr_assert_eq(sa.p[0].ntransforms, 1);
	while (isakmp_next_attr(sa.p[0].t[0].attrs, sa.p[0].t[0].attrs_len,
				&off, &a) > 0)
		if (a.type < 16)
			attrs[a.type] = a.value;
	cr_assert_eq(attrs[IKE_ATTR_ENCR], IKE_ENCR_AES);
	cr_assert_eq(attrs[IKE_ATTR_KEY_LENGTH], 128);
	cr_assert_eq(attrs[IKE_ATTR_HASH], IKE_HASH_SHA);
	cr_assert_eq(attrs[IKE_ATTR_AUTH], IKE_AUTH_PSK);
	cr_assert_eq(attrs[IKE_ATTR_GROUP], 2);
	cr_assert_eq(attrs[IKE_ATTR_LIFE_TYPE], IKE_LIFE_SECONDS);
	cr_assert_eq(attrs[IKE_ATTR_LIFE_DURATION], 86400);

	parse(&msgs[1], &h, &m);
	cr_assert_eq(memcmp(h.rcookie, rcookie, 8), 0);
	sap = isakmp_find(&m, ISAKMP_NP_SA);
	cr_assert_eq(isakmp_parse_sa(sap->body, sap->len, &sa), 0);
	cr_assert_eq(sa.p[0].ntransforms, 1);
}

Test(ikev1_codec, ios_key_exchange_and_vendor_ids)
{
	struct isakmp_hdr h;
	struct isakmp_msg m;
	bool dpd = false;

	ikt_read_pcap(IOS_PCAP, msgs, 64);
	for (int i = 2; i < 4; i++) {
		parse(&msgs[i], &h, &m);
		cr_assert_eq(isakmp_find(&m, ISAKMP_NP_KE)->len, 128,
			     "group 2 public values are 128 octets");
		cr_assert_not_null(isakmp_find(&m, ISAKMP_NP_NONCE));
		cr_assert_eq(count_type(&m, ISAKMP_NP_NATD), 2);
		cr_assert_eq(isakmp_find(&m, ISAKMP_NP_NATD)->len, 20,
			     "NAT-D is a SHA1 hash");
	}
	/* IOS sends its DPD vendor ID with the key exchange. */
	parse(&msgs[2], &h, &m);
	for (size_t i = 0; i < m.n; i++)
		if (m.pl[i].type == ISAKMP_NP_VID && m.pl[i].len == 16 &&
		    memcmp(m.pl[i].body, isakmp_vid_dpd, 16) == 0)
			dpd = true;
	cr_assert(dpd, "the IOS initiator advertises DPD in MM3");
}

Test(ikev1_codec, ios_encrypted_messages)
{
	struct isakmp_hdr h;

	ikt_read_pcap(IOS_PCAP, msgs, 64);
	for (int i = 4; i < 9; i++) {
		cr_assert_eq(isakmp_parse_hdr(msgs[i].data, msgs[i].len, &h),
			     0);
		cr_assert(h.flags & ISAKMP_FLAG_E, "message %d encrypted", i);
		cr_assert_eq((h.length - ISAKMP_HDR_LEN) % 16, 0,
			     "AES-CBC bodies are whole blocks");
	}
	isakmp_parse_hdr(msgs[6].data, msgs[6].len, &h);
	cr_assert_eq(h.exchange, ISAKMP_XCHG_QUICK);
	cr_assert_eq(h.msgid, 0x635a2e6a);
}

Test(ikev1_codec, natt_float_to_4500)
{
	struct isakmp_hdr h;
	struct isakmp_msg m;
	size_t n = ikt_read_pcap(NATT_PCAP, msgs, 64), on500 = 0, on4500 = 0;
	bool vid3947 = false;

	cr_assert_gt(n, 6);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(isakmp_parse_hdr(msgs[i].data, msgs[i].len, &h),
			     0, "message %zu", i);
		if (!msgs[i].natt) {
			on500++;
			cr_assert_eq(h.flags & ISAKMP_FLAG_E, 0,
				     "messages on 500 are MM1 to MM4");
			continue;
		}
		on4500++;
		cr_assert(h.flags & ISAKMP_FLAG_E,
			  "messages after the float are encrypted");
	}
	cr_assert_eq(on500, 4);
	cr_assert_gt(on4500, 4);
	parse(&msgs[0], &h, &m);
	for (size_t i = 0; i < m.n; i++)
		if (m.pl[i].type == ISAKMP_NP_VID && m.pl[i].len == 16 &&
		    memcmp(m.pl[i].body, isakmp_vid_natt_rfc3947, 16) == 0)
			vid3947 = true;
	cr_assert(vid3947, "MM1 carries the RFC 3947 vendor ID");
	parse(&msgs[2], &h, &m);
	cr_assert_eq(count_type(&m, ISAKMP_NP_NATD), 2);
}

/* Every cut inside the payload chain of an unencrypted message fails. */
Test(ikev1_codec, truncated_payloads_rejected)
{
	struct isakmp_hdr h;
	struct isakmp_msg m;
	size_t n = ikt_read_pcap(IOS_PCAP, msgs, 64);

	for (size_t i = 0; i < 4 && i < n; i++) {
		size_t body = msgs[i].len - ISAKMP_HDR_LEN;

		isakmp_parse_hdr(msgs[i].data, msgs[i].len, &h);
		for (size_t cut = 0; cut < body; cut++)
			cr_assert_eq(isakmp_parse_payloads(h.next,
				msgs[i].data + ISAKMP_HDR_LEN, cut, &m), -1,
				"message %zu cut at %zu parsed", i, cut);
		for (size_t cut = 0; cut < ISAKMP_HDR_LEN; cut++)
			cr_assert_eq(isakmp_parse_hdr(msgs[i].data, cut, &h),
				     -1);
		cr_assert_eq(isakmp_parse_hdr(msgs[i].data,
					      msgs[i].len - 1, &h), -1,
			     "a header length beyond the datagram");
	}
}

Test(ikev1_codec, overlong_lengths_rejected)
{
	static struct isakmp_sa sa;
	struct ikt_msg *x = &msgs[0];
	struct isakmp_hdr h;
	struct isakmp_msg m;
	uint8_t *sa_body;
	size_t sa_len;

	ikt_read_pcap(IOS_PCAP, msgs, 64);
	parse(x, &h, &m);
	sa_body = x->data + (isakmp_find(&m, ISAKMP_NP_SA)->body - x->data);
	sa_len = isakmp_find(&m, ISAKMP_NP_SA)->len;

	/* The proposal claims one octet more than the SA holds. */
	sa_body[8 + 3]++;
	cr_assert_eq(isakmp_parse_sa(sa_body, sa_len, &sa), -1);
	sa_body[8 + 3]--;
	/* Two transforms announced, one present. */
	sa_body[8 + 7] = 2;
	cr_assert_eq(isakmp_parse_sa(sa_body, sa_len, &sa), -1);
	sa_body[8 + 7] = 1;
	cr_assert_eq(isakmp_parse_sa(sa_body, sa_len, &sa), 0);
	/* A first payload longer than the message. */
	x->data[ISAKMP_HDR_LEN + 2] = 0xff;
	cr_assert_eq(isakmp_parse_payloads(h.next, x->data + ISAKMP_HDR_LEN,
					   x->len - ISAKMP_HDR_LEN, &m), -1);
	/* A payload shorter than its own header. */
	x->data[ISAKMP_HDR_LEN + 2] = 0;
	x->data[ISAKMP_HDR_LEN + 3] = 3;
	cr_assert_eq(isakmp_parse_payloads(h.next, x->data + ISAKMP_HDR_LEN,
					   x->len - ISAKMP_HDR_LEN, &m), -1);
}

Test(ikev1_codec, attribute_bounds)
{
	/* A variable attribute of 8 octets, one that runs past the end,
	 * and a well-formed 4-octet life duration. */
	static const uint8_t too_long[] = { 0x00, 0x0c, 0x00, 0x08, 1, 2, 3,
					    4, 5, 6, 7, 8 };
	static const uint8_t past_end[] = { 0x00, 0x0c, 0x00, 0x04, 1, 2 };
	static const uint8_t life[] = { 0x00, 0x0c, 0x00, 0x04, 0x00, 0x01,
					0x51, 0x80 };
	struct isakmp_attr a;
	size_t off = 0;

	cr_assert_eq(isakmp_next_attr(too_long, sizeof(too_long), &off, &a),
		     -1);
	off = 0;
	cr_assert_eq(isakmp_next_attr(past_end, sizeof(past_end), &off, &a),
		     -1);
	off = 0;
	cr_assert_eq(isakmp_next_attr(life, sizeof(life), &off, &a), 1);
	cr_assert_eq(a.type, IKE_ATTR_LIFE_DURATION);
	cr_assert_eq(a.value, 86400);
	cr_assert_eq(off, sizeof(life));
}

Test(ikev1_codec, notify_and_delete_bodies)
{
	static const uint8_t del[] = { 0, 0, 0, 1, 3, 4, 0, 2,
				       0xff, 0, 0, 1, 0x80, 0, 0, 0 };
	static const uint8_t notify[] = { 0, 0, 0, 1, 1, 16, 0x60, 0x02,
					  1, 2, 3, 4, 5, 6, 7, 8,
					  9, 10, 11, 12, 13, 14, 15, 16 };
	struct isakmp_delete d;
	struct isakmp_notify n;

	cr_assert_eq(isakmp_parse_delete(del, sizeof(del), &d), 0);
	cr_assert_eq(d.proto, ISAKMP_PROTO_ESP);
	cr_assert_eq(d.nspis, 2);
	cr_assert_eq(isakmp_parse_delete(del, sizeof(del) - 1, &d), -1);
	cr_assert_eq(isakmp_parse_notify(notify, sizeof(notify), &n), 0);
	cr_assert_eq(n.type, ISAKMP_N_INITIAL_CONTACT);
	cr_assert_eq(n.spi_size, 16);
	cr_assert_eq(n.data_len, 0);
	cr_assert_eq(isakmp_parse_notify(notify, 20, &n), -1,
		     "SPI size beyond the payload");
}

Test(ikev1_codec, builder_chains_and_bounds)
{
	uint8_t buf[60], body[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_INFO }, out;
	struct isakmp_buf b;
	struct isakmp_msg m;

	isakmp_build_start(&b, buf, sizeof(buf), &h);
	cr_assert_neq(isakmp_add(&b, ISAKMP_NP_HASH, body, 8), 0);
	cr_assert_neq(isakmp_add(&b, ISAKMP_NP_D, body, 8), 0);
	cr_assert_eq(isakmp_build_end(&b), 52);
	cr_assert_eq(isakmp_parse_hdr(buf, 52, &out), 0);
	cr_assert_eq(out.next, ISAKMP_NP_HASH);
	cr_assert_eq(isakmp_parse_payloads(out.next, buf + 28, 24, &m), 0);
	cr_assert_eq(m.n, 2);
	cr_assert_eq(m.pl[1].type, ISAKMP_NP_D);
	/* A third payload does not fit in 60 octets. */
	cr_assert_eq(isakmp_add(&b, ISAKMP_NP_N, body, 8), 0);
	cr_assert_eq(isakmp_build_end(&b), 0);
}
