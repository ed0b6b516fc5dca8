/*
 * Two IKE managers back to back, the responder answering through a
 * dynamic crypto map: every SA either side installs carries the selector
 * of the Quick Mode IDs, seen from that side, so the responder's
 * datapath can send the replies through the dynamic entry.
 */
#include "ike_test.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

static struct ikt_side a, b;

#define COMMON \
	"crypto isakmp policy 10\n" \
	" encryption aes 256\n" \
	" hash sha256\n" \
	" authentication pre-share\n" \
	" group 14\n" \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n"

/* A: a static entry towards 10.0.0.2 whose crypto ACL has the one line ACL. */
#define CFG_A(acl) \
	COMMON \
	"crypto isakmp key s3cret address 10.0.0.2\n" \
	"ip access-list extended VPN\n" \
	" " acl "\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer 10.0.0.2\n" \
	" set transform-set TS\n" \
	" match address VPN\n" \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.1 255.255.255.0\n" \
	" crypto map CMAP\n"

/* B: any peer with the key, through dynamic map DYN at entry 20. */
#define CFG_B \
	COMMON \
	"crypto isakmp key s3cret address 0.0.0.0 0.0.0.0\n" \
	"crypto dynamic-map DYN 10\n" \
	" set transform-set TS\n" \
	"crypto map CMAP 20 ipsec-isakmp dynamic DYN\n" \
	"interface GigabitEthernet1\n" \
	" ip address 10.0.0.2 255.255.255.0\n" \
	" crypto map CMAP\n"

static uint32_t
addr(const char *s)
{
	uint32_t x;

	cr_assert_eq(inet_pton(AF_INET, s, &x), 1);
	return x;
}

static bool
both_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 1 && ikt_count(x, true) == 1 &&
	       ikt_count(y, false) == 1 && ikt_count(y, true) == 1;
}

static void
teardown(void)
{
	ikt_pair_stop(&a, &b);
}

/* The SA of side S in direction OUTBOUND; fails when there is none. */
static struct dp_sa_cfg
only_sa(struct ikt_side *s, bool outbound)
{
	struct dp_sa_cfg c = { 0 };
	bool found = false;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nsas; i++) {
		if (s->sas[i].params.outbound == outbound) {
			c = s->sas[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	cr_assert(found, "no %s SA", outbound ? "outbound" : "inbound");
	return c;
}

/* Checks the selector of C against the expected local and remote side. */
static void
assert_selector(const struct dp_sa_cfg *c, const char *local,
		const char *local_mask, const char *remote,
		const char *remote_mask, uint8_t proto)
{
	const struct dp_selector *s = &c->selector;

	cr_assert(c->has_selector, "SA 0x%X has no selector", c->params.spi);
	cr_assert_eq(s->local, addr(local));
	cr_assert_eq(s->local_mask, addr(local_mask));
	cr_assert_eq(s->remote, addr(remote));
	cr_assert_eq(s->remote_mask, addr(remote_mask));
	cr_assert_eq(s->proto, proto);
	cr_assert_eq(s->local_port, 0);
	cr_assert_eq(s->remote_port, 0);
}

static void
bring_up(const char *cfg_a)
{
	ikt_pair_start(&a, cfg_a, &b, CFG_B);
	cr_assert_eq(ike_initiate(a.ike, b.addr), 0);
	cr_assert(ikt_wait(&a, &b, both_pairs, 10),
		  "no SA pair on both sides: A %zu, B %zu", a.nsas, b.nsas);
}

/* Both directions on both sides carry the proxies, each from its side. */
Test(ikev1_dynamic, selectors_from_quick_mode_ids, .fini = teardown)
{
	struct dp_sa_cfg c;

	bring_up(CFG_A("permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255"));
	for (int out = 0; out < 2; out++) {
		c = only_sa(&a, out);
		assert_selector(&c, "192.168.1.0", "255.255.255.0",
				"192.168.2.0", "255.255.255.0", 0);
		c = only_sa(&b, out);
		assert_selector(&c, "192.168.2.0", "255.255.255.0",
				"192.168.1.0", "255.255.255.0", 0);
		cr_assert_str_eq(c.map, "CMAP");
		cr_assert_eq(c.map_seq, 20, "not the dynamic entry's sequence");
	}
}

/* A host-to-host ACL for one protocol gives host selectors with it. */
Test(ikev1_dynamic, host_and_protocol_selector, .fini = teardown)
{
	struct dp_sa_cfg c;

	bring_up(CFG_A("permit icmp host 1.1.1.1 host 2.2.2.2"));
	c = only_sa(&b, true);
	assert_selector(&c, "2.2.2.2", "255.255.255.255", "1.1.1.1",
			"255.255.255.255", 1);
	c = only_sa(&a, false);
	assert_selector(&c, "1.1.1.1", "255.255.255.255", "2.2.2.2",
			"255.255.255.255", 1);
}
