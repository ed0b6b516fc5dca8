/*
 * Helpers shared by the IKE tests.
 */
#include "ike_test.h"

#include "cli/command.h"
#include "cli/config_load.h"
#include "core/config.h"
#include "core/debug.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

size_t
ikt_read_pcap(const char *file, struct ikt_msg *out, size_t cap)
{
	const char *dir = getenv("VR_SHARED_DIR");
	char path[1024], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *p;
	pcap_t *pc;
	size_t n = 0;

	cr_assert(dir != NULL, "VR_SHARED_DIR is not set: the captures are "
		  "read from $VR_SHARED_DIR/cases/external/pcap");
	snprintf(path, sizeof(path), "%s/cases/external/pcap/%s", dir, file);
	cr_assert(access(path, R_OK) == 0, "capture %s is missing", path);
	pc = pcap_open_offline(path, err);
	cr_assert(pc != NULL, "cannot open %s: %s", path, err);
	cr_assert_eq(pcap_datalink(pc), DLT_EN10MB);
	while (n < cap && pcap_next_ex(pc, &h, &p) == 1) {
		size_t off = 14, ihl, len = h->caplen;
		uint16_t sport, dport;

		if (len < off + 20 || p[12] != 0x08 || p[13] != 0x00 ||
		    p[off + 9] != 17)
			continue;
		ihl = (size_t)(p[off] & 0x0f) * 4;
		off += ihl;
		if (len < off + 8)
			continue;
		sport = (uint16_t)(p[off] << 8 | p[off + 1]);
		dport = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		off += 8;
		out[n].natt = false;
		if (dport == 4500 || sport == 4500) {
			/* The non-ESP marker; ESP and keepalives lack it. */
			if (len < off + 4 || p[off] | p[off + 1] | p[off + 2] |
			    p[off + 3])
				continue;
			off += 4;
			out[n].natt = true;
		} else if (dport != 500 && sport != 500) {
			continue;
		}
		cr_assert(len - off <= sizeof(out[n].data));
		out[n].sport = sport;
		out[n].dport = dport;
		out[n].len = len - off;
		memcpy(out[n].data, p + off, len - off);
		n++;
	}
	pcap_close(pc);
	return n;
}

/* ---- Log lines ---- */

#define LOG_KEEP 4096

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_lines[LOG_KEEP];
static size_t log_n;

static void
keep_line(void *ctx, enum log_severity sev, const char *line)
{
	(void)ctx;
	(void)sev;
	pthread_mutex_lock(&log_lock);
	if (log_n < LOG_KEEP)
		log_lines[log_n++] = strdup(line);
	pthread_mutex_unlock(&log_lock);
}

static void
free_lines(void)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_n; i++)
		free(log_lines[i]);
	log_n = 0;
	pthread_mutex_unlock(&log_lock);
}

void
ikt_log_start(void)
{
	free_lines();
	debug_set(DEBUG_CRYPTO_ISAKMP, true);
	debug_set(DEBUG_CRYPTO_IPSEC, true);
	cr_assert_eq(log_sink_add(keep_line, NULL, LOG_SEV_DEBUGGING), 0);
}

size_t
ikt_log_count(const char *text)
{
	size_t n = 0;

	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_n; i++)
		n += log_lines[i] != NULL && strstr(log_lines[i], text) != NULL;
	pthread_mutex_unlock(&log_lock);
	return n;
}

/* ---- Two managers back to back ---- */

/* The port S's NAPT shows for S's source port PORT. */
static uint16_t
napt_out(const struct ikt_side *s, uint16_t port)
{
	if (port == 500 && s->nat_port500 != 0)
		return s->nat_port500;
	if (port == 4500 && s->nat_port4500 != 0)
		return s->nat_port4500;
	return port;
}

/* Maps *PORT, a destination port on S's NAT, back to S's own port.
 * Returns false when the NAT translates ports and has no mapping for
 * it, so the message is lost. */
static bool
napt_in(const struct ikt_side *s, uint16_t *port)
{
	if (s->nat_port500 == 0 && s->nat_port4500 == 0)
		return true;
	if (*port == napt_out(s, 500))
		*port = 500;
	else if (*port == napt_out(s, 4500))
		*port = 4500;
	else
		return false;
	return true;
}

static int
side_send(void *ctx, const struct dp_ike_packet *pkt)
{
	struct ikt_side *s = ctx;
	struct dp_ike_packet *in;
	bool drop;

	pthread_mutex_lock(&s->lock);
	s->sent++;
	drop = s->drop_all || s->sent == s->drop_nth;
	s->natt_sent += pkt->natt;
	s->last = *pkt;
	if (pkt->len == 1 && pkt->data[0] == 0xff && !pkt->natt) {
		s->keepalives_sent++;
		drop = true;
	}
	pthread_mutex_unlock(&s->lock);
	/* The peer behind a NAT is reached at the NAT's address. */
	if (drop || (pkt->dst != s->peer->addr && pkt->dst != s->peer->nat_addr))
		return 0;
	if (s->on_send != NULL && !s->on_send(s, pkt))
		return 0;
	in = malloc(sizeof(*in));
	if (in == NULL)
		return -1;
	*in = *pkt;
	if (s->nat_addr != 0) {
		in->src = s->nat_addr;
		in->sport = napt_out(s, pkt->sport);
	}
	if (in->dst == s->peer->nat_addr) {
		in->dst = s->peer->addr;
		if (!napt_in(s->peer, &in->dport)) {
			pthread_mutex_lock(&s->peer->lock);
			s->peer->nat_unmapped++;
			pthread_mutex_unlock(&s->peer->lock);
			free(in);
			return 0;
		}
	}
	snprintf(in->ifname, sizeof(in->ifname), "GigabitEthernet1");
	ike_post_packet(s->peer->ike, in);
	free(in);
	return 0;
}

static int
side_install(void *ctx, const struct dp_sa_cfg *sas, size_t n, char *err,
	     size_t errlen)
{
	struct ikt_side *s = ctx;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	if (s->installs++ == 0)
		s->sent_at_first_install = s->sent;
	if (s->nsas + n > IKT_SAS_MAX) {
		snprintf(err, errlen, "test SA table full");
		ret = -1;
	} else {
		memcpy(s->sas + s->nsas, sas, n * sizeof(*sas));
		s->nsas += n;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int
side_remove(void *ctx, bool outbound, uint32_t dst, uint32_t spi)
{
	struct ikt_side *s = ctx;
	int ret = -1;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nsas; i++) {
		const struct dp_sa_params *p = &s->sas[i].params;

		if (p->outbound == outbound && p->dst == dst && p->spi == spi) {
			s->sas[i] = s->sas[--s->nsas];
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int
side_set_encap(void *ctx, uint32_t dst, uint32_t spi, uint16_t sport,
	       uint16_t dport)
{
	struct ikt_side *s = ctx;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nsas; i++) {
		struct dp_sa_params *p = &s->sas[i].params;

		if (p->outbound && p->dst == dst && p->spi == spi &&
		    p->udp_encap) {
			p->encap_sport = sport;
			p->encap_dport = dport;
			s->encap_moves++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static double (*test_clock)(void *ctx);
static void *test_clock_ctx;

/* Milliseconds of ikt_fake_clock(), read by the manager threads. */
static _Atomic uint64_t fake_ms = 1000000;

double
ikt_fake_clock(void *ctx)
{
	(void)ctx;
	return (double)fake_ms / 1000.0;
}

void
ikt_advance(double seconds)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };

	fake_ms += (uint64_t)(seconds * 1000);
	nanosleep(&ts, NULL);
}

void
ikt_set_clock(double (*clock)(void *ctx), void *ctx)
{
	test_clock = clock;
	test_clock_ctx = ctx;
}

static const struct ike_transport side_transport = {
	.send = side_send,
	.install = side_install,
	.remove = side_remove,
	.set_encap = side_set_encap,
};

void
ikt_side_config(struct ikt_side *s, const char *text)
{
	const struct lyd_node *tree;
	int rejected;

	rejected = config_load_text(&s->r, "test", text, stderr);
	cr_assert_eq(rejected, 0, "%d config lines rejected", rejected);
	tree = cfg_read_lock(s->r.cfg);
	ike_config_apply(s->ike, tree);
	cfg_read_unlock(s->r.cfg);
}

/* The address of the first "ip address" line of TEXT. */
static uint32_t
first_address(const char *text)
{
	const char *p = strstr(text, "ip address ");
	char buf[16];
	uint32_t a = 0;

	cr_assert(p != NULL, "the config has no ip address line");
	sscanf(p + 11, "%15s", buf);
	cr_assert_eq(inet_pton(AF_INET, buf, &a), 1);
	return a;
}

static void
side_start(struct ikt_side *s, struct ikt_side *peer, const char *text)
{
	memset(&s->r, 0, sizeof(s->r));
	s->r.cfg = cfg_create(VR_YANG_DIR);
	cr_assert(s->r.cfg != NULL, "cfg_create(%s) failed", VR_YANG_DIR);
	s->ike = ike_create();
	cr_assert(s->ike != NULL);
	s->peer = peer;
	s->addr = first_address(text);
	s->nsas = 0;
	s->sent = 0;
	s->installs = 0;
	s->drop_all = false;
	s->drop_nth = 0;
	s->nat_addr = 0;
	s->nat_port500 = 0;
	s->nat_port4500 = 0;
	s->nat_unmapped = 0;
	s->encap_moves = 0;
	s->natt_sent = 0;
	s->keepalives_sent = 0;
	s->on_send = NULL;
	pthread_mutex_init(&s->lock, NULL);
	ike_set_transport(s->ike, &side_transport, s);
	ike_set_clock(s->ike, test_clock, test_clock_ctx);
	ikt_side_config(s, text);
}

void
ikt_side_restart(struct ikt_side *s, const char *text)
{
	struct ikemgr *old = s->ike;

	ike_stop(old);
	s->ike = ike_create();
	cr_assert(s->ike != NULL);
	pthread_mutex_lock(&s->lock);
	s->nsas = 0;
	s->sent = 0;
	pthread_mutex_unlock(&s->lock);
	ike_set_transport(s->ike, &side_transport, s);
	ikt_side_config(s, text);
	cr_assert_eq(ike_start(s->ike), 0);
	/* The peer may still post into the old manager until here. */
	ike_destroy(old);
}

void
ikt_pair_start(struct ikt_side *a, const char *cfg_a, struct ikt_side *b,
	       const char *cfg_b)
{
	cr_assert_eq(log_init(LOG_DEFAULT_BUFFER_SIZE), 0);
	cmd_init_all();
	side_start(a, b, cfg_a);
	side_start(b, a, cfg_b);
	cr_assert_eq(ike_start(a->ike), 0);
	cr_assert_eq(ike_start(b->ike), 0);
}

void
ikt_pair_stop(struct ikt_side *a, struct ikt_side *b)
{
	/* A test that failed before both sides started leaves NULLs. */
	if (a->ike != NULL)
		ike_stop(a->ike);
	if (b->ike != NULL)
		ike_stop(b->ike);
	ike_destroy(a->ike);
	ike_destroy(b->ike);
	if (a->r.cfg != NULL)
		cfg_destroy(a->r.cfg);
	if (b->r.cfg != NULL)
		cfg_destroy(b->r.cfg);
	pthread_mutex_destroy(&a->lock);
	pthread_mutex_destroy(&b->lock);
	cmd_free_all();
	log_sink_remove(keep_line, NULL);
	debug_all_off();
	log_shutdown();
	free_lines();
}

bool
ikt_wait(struct ikt_side *a, struct ikt_side *b,
	 bool (*cond)(struct ikt_side *, struct ikt_side *), double seconds)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (double t = 0; t < seconds; t += 0.01) {
		if (cond(a, b))
			return true;
		nanosleep(&ts, NULL);
	}
	return cond(a, b);
}

size_t
ikt_count(struct ikt_side *s, bool outbound)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nsas; i++)
		n += s->sas[i].params.outbound == outbound;
	pthread_mutex_unlock(&s->lock);
	return n;
}

bool
ikt_find(struct ikt_side *s, uint32_t spi, bool outbound,
	 struct dp_sa_cfg *out)
{
	bool found = false;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nsas && !found; i++) {
		if (s->sas[i].params.spi == spi &&
		    s->sas[i].params.outbound == outbound) {
			*out = s->sas[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

int
ikt_ike_up(struct ikt_side *s)
{
	struct ike_sa_info *info;
	int n = ike_get_sas(s->ike, &info), up = 0;

	for (int i = 0; i < n; i++)
		up += strcmp(info[i].state, "QM_IDLE") == 0;
	free(info);
	return up;
}

bool
ikt_one_pair_each(struct ikt_side *x, struct ikt_side *y)
{
	return ikt_count(x, false) == 1 && ikt_count(x, true) == 1 &&
	       ikt_count(y, false) == 1 && ikt_count(y, true) == 1;
}

bool
ikt_no_ike_sa(struct ikt_side *x, struct ikt_side *y)
{
	struct ike_sa_info *info;
	int n = ike_get_sas(x->ike, &info);

	(void)y;
	free(info);
	return n == 0;
}

bool
ikt_sent_any(struct ikt_side *x, struct ikt_side *y)
{
	size_t n;

	(void)y;
	pthread_mutex_lock(&x->lock);
	n = x->sent;
	pthread_mutex_unlock(&x->lock);
	return n > 0;
}

bool
ikt_v2_dropped(struct ikt_side *x, struct ikt_side *y)
{
	struct ike_v2_stats st;

	(void)x;
	ike_get_v2_stats(y->ike, &st);
	return st.dropped > 0;
}
