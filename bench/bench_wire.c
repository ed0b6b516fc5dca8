/*
 * UDP wire I/O: frames go from a generator socket into a router's
 * GigabitEthernet1 wire, are routed, and leave its GigabitEthernet2 wire
 * towards a sink socket that counts them. The reference is a bare relay
 * thread that moves the same frames between two sockets with recvmmsg()
 * and sendmmsg() and nothing else. Generator and sink are the same for
 * both, so the ratio of frames delivered per second compares the
 * datapath's batched wire I/O, input checks and forwarding with the bare
 * system calls. Goal: at least 0.9. Rounds alternate; medians compared.
 */
#define _GNU_SOURCE		/* recvmmsg, sendmmsg */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench.h"
#include "datapath/datapath.h"

#define ROUNDS 5
#define BATCH 32
#define FRAME 14 + 20 + 8 + 64
#define ROUND_SECONDS 0.3

struct flow {
	int gen_fd, sink_fd;
	struct sockaddr_in to;		/* where the generator sends */
	atomic_bool stop;
	atomic_uint_fast64_t received;
};

static int
udp_socket(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(0x7f000001) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int buf = 4 << 20;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (port != 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("bench_wire: bind");
		close(fd);
		return -1;
	}
	return fd;
}

/* UDP 10.0.1.2 -> 10.0.2.2 in an Ethernet frame, to be routed. */
static void
build_frame(uint8_t *f)
{
	memset(f, 0, FRAME);
	f[12] = 0x08;
	f[14] = 0x45;
	f[14 + 3] = FRAME - 14;
	f[14 + 8] = 64;
	f[14 + 9] = 17;
	inet_pton(AF_INET, "10.0.1.2", f + 14 + 12);
	inet_pton(AF_INET, "10.0.2.2", f + 14 + 16);
	{
		uint32_t sum = 0;

		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)f[14 + i] << 8 | f[14 + i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		f[14 + 10] = (uint8_t)(~sum >> 8);
		f[14 + 11] = (uint8_t)~sum;
	}
	f[34 + 1] = 9;
	f[34 + 3] = 9;
	f[34 + 5] = FRAME - 34;
}

static void *
generator(void *arg)
{
	struct flow *fl = arg;
	uint8_t frame[FRAME];
	struct iovec iov = { .iov_base = frame, .iov_len = FRAME };
	struct mmsghdr mm[BATCH];

	build_frame(frame);
	for (int i = 0; i < BATCH; i++) {
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &fl->to;
		mm[i].msg_hdr.msg_namelen = sizeof(fl->to);
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&fl->stop))
		sendmmsg(fl->gen_fd, mm, BATCH, 0);
	return NULL;
}

static void *
sink(void *arg)
{
	struct flow *fl = arg;
	static uint8_t buf[BATCH][2048];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];

	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&fl->stop)) {
		struct pollfd p = { .fd = fl->sink_fd, .events = POLLIN };
		int n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recvmmsg(fl->sink_fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n > 0)
			atomic_fetch_add(&fl->received, (uint64_t)n);
	}
	return NULL;
}

/* The reference: recvmmsg() from IN, sendmmsg() of the same to OUT. */
struct relay {
	int in_fd, out_fd;
	struct sockaddr_in out_to;
	atomic_bool stop;
};

static void *
relay(void *arg)
{
	struct relay *r = arg;
	static uint8_t buf[BATCH][2048];
	struct iovec iov[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];

	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		memset(&in[i], 0, sizeof(in[i]));
		in[i].msg_hdr.msg_iov = &iov[i];
		in[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&r->stop)) {
		struct pollfd p = { .fd = r->in_fd, .events = POLLIN };
		int n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recvmmsg(r->in_fd, in, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			out[i] = in[i];
			iov[i].iov_len = in[i].msg_len;
			out[i].msg_hdr.msg_name = &r->out_to;
			out[i].msg_hdr.msg_namelen = sizeof(r->out_to);
		}
		if (n > 0)
			sendmmsg(r->out_fd, out, (unsigned)n, MSG_DONTWAIT);
		for (int i = 0; i < BATCH; i++)
			iov[i].iov_len = sizeof(buf[i]);
	}
	return NULL;
}

/* Frames per second the sink on SINK_PORT receives while the generator
 * sends to TO_PORT for one round. */
static double
measure(uint16_t to_port, int sink_fd)
{
	struct flow fl = { .sink_fd = sink_fd,
			   .to = { .sin_family = AF_INET,
				   .sin_port = htons(to_port),
				   .sin_addr.s_addr = htonl(0x7f000001) } };
	pthread_t g, s;
	double t0, t;

	fl.gen_fd = udp_socket(0);
	pthread_create(&s, NULL, sink, &fl);
	pthread_create(&g, NULL, generator, &fl);
	t0 = bench_seconds();
	usleep((useconds_t)(ROUND_SECONDS * 1e6));
	atomic_store(&fl.stop, true);
	t = bench_seconds() - t0;
	pthread_join(g, NULL);
	pthread_join(s, NULL);
	close(fl.gen_fd);
	return (double)atomic_load(&fl.received) / t;
}

int
main(void)
{
	uint16_t base = (uint16_t)(40000 + getpid() % 10000);
	struct dp *dp = dp_create();
	struct dp_config cfg = { .n_ifs = 2 };
	struct relay r = { .out_to = { .sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(0x7f000001) } };
	char a1[32], b1[32], a2[32], b2[32], err[160] = "";
	double prod[ROUNDS], ref[ROUNDS];
	int sink_fd;
	pthread_t rt;

	/* Router: Gi1 in on base, Gi2 out from base+2 to the sink, base+3. */
	cfg.ifs = calloc(2, sizeof(cfg.ifs[0]));
	if (dp == NULL || cfg.ifs == NULL)
		return 1;
	snprintf(cfg.ifs[0].name, DP_IFNAME_MAX, "GigabitEthernet1");
	inet_pton(AF_INET, "10.0.1.1", &cfg.ifs[0].addr);
	cfg.ifs[0].plen = 24;
	snprintf(cfg.ifs[1].name, DP_IFNAME_MAX, "GigabitEthernet2");
	inet_pton(AF_INET, "10.0.2.1", &cfg.ifs[1].addr);
	cfg.ifs[1].plen = 24;
	dp_config_post(dp, &cfg);
	snprintf(a1, sizeof(a1), "127.0.0.1:%u", base);
	snprintf(b1, sizeof(b1), "127.0.0.1:%u", base + 1);
	snprintf(a2, sizeof(a2), "127.0.0.1:%u", base + 2);
	snprintf(b2, sizeof(b2), "127.0.0.1:%u", base + 3);
	sink_fd = udp_socket((uint16_t)(base + 3));
	if (sink_fd < 0 ||
	    dp_wire_attach(dp, "GigabitEthernet1", a1, b1, err,
			   sizeof(err)) < 0 ||
	    dp_wire_attach(dp, "GigabitEthernet2", a2, b2, err,
			   sizeof(err)) < 0 || dp_start(dp) < 0) {
		fprintf(stderr, "bench_wire: %s\n", err);
		return 1;
	}
	/* Reference relay: in on base+4, out to the same sink. */
	r.in_fd = udp_socket((uint16_t)(base + 4));
	r.out_fd = udp_socket(0);
	r.out_to.sin_port = htons((uint16_t)(base + 3));
	pthread_create(&rt, NULL, relay, &r);

	measure(base, sink_fd);
	for (int k = 0; k < ROUNDS; k++) {
		prod[k] = measure(base, sink_fd);
		ref[k] = measure((uint16_t)(base + 4), sink_fd);
	}
	atomic_store(&r.stop, true);
	pthread_join(rt, NULL);
	dp_destroy(dp);
	close(r.in_fd);
	close(r.out_fd);
	close(sink_fd);
	printf("bench wire_relay_reference: %.2f Mpps\n",
	       bench_median(ref, ROUNDS) / 1e6);
	printf("bench wire_forward: %.2f Mpps ratio=%.2f goal>=0.90\n",
	       bench_median(prod, ROUNDS) / 1e6,
	       bench_median(prod, ROUNDS) / bench_median(ref, ROUNDS));
	return 0;
}
