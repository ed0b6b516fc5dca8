#include "ike_hardening.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool
ikh_both_pairs(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 1 && ikt_count(x, true) == 1 &&
	       ikt_count(y, false) == 1 && ikt_count(y, true) == 1;
}

bool
ikh_no_sas(struct ikt_side *x, struct ikt_side *y)
{
	(void)y;
	return ikt_count(x, false) == 0 && ikt_count(x, true) == 0;
}

bool
ikh_sent_any(struct ikt_side *x, struct ikt_side *y)
{
	size_t n;

	(void)y;
	pthread_mutex_lock(&x->lock);
	n = x->sent;
	pthread_mutex_unlock(&x->lock);
	return n > 0;
}

void
ikh_post(struct ikt_side *to, uint32_t src, const uint8_t *data, size_t len)
{
	struct dp_ike_packet *p = calloc(1, sizeof(*p));

	cr_assert_not_null(p);
	cr_assert_leq(len, sizeof(p->data));
	memcpy(p->data, data, len);
	p->len = len;
	p->src = src;
	p->dst = to->addr;
	p->sport = 500;
	p->dport = 500;
	snprintf(p->ifname, sizeof(p->ifname), "GigabitEthernet1");
	ike_post_packet(to->ike, p);
	free(p);
}

void
ikh_nap(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
}
