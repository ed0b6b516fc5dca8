/*
 * UDP "wires": each carries one interface's Ethernet frames to a peer
 * process, as dynamips and GNS3 UDP NIOs do, so router processes can be
 * cabled point to point over loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "datapath/dp_private.h"

#define WIRE_BATCH 32

static int
parse_endpoint(const char *text, struct sockaddr_in *sa, char *err,
	       size_t errlen)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - text) >= sizeof(host)) {
		snprintf(err, errlen, "invalid endpoint \"%s\": expected "
			 "ADDR:PORT", text);
		return -1;
	}
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	port = strtol(colon + 1, &end, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (*end != '\0' || port <= 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		snprintf(err, errlen, "invalid endpoint \"%s\": expected "
			 "IPv4-ADDR:PORT", text);
		return -1;
	}
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

int
dp_wire_open(struct dp_wire *w, const char *ifname, const char *local,
	     const char *remote, char *err, size_t errlen)
{
	struct sockaddr_in la;

	if (parse_endpoint(local, &la, err, errlen) < 0 ||
	    parse_endpoint(remote, &w->remote, err, errlen) < 0)
		return -1;
	w->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(w->fd, (struct sockaddr *)&la, sizeof(la)) < 0) {
		snprintf(err, errlen, "bind %s: %s", local, strerror(errno));
		close(w->fd);
		return -1;
	}
	snprintf(w->ifname, sizeof(w->ifname), "%s", ifname);
	return 0;
}

void
dp_wire_install(struct dp *dp, struct dp_wire *w)
{
	for (size_t i = 0; i < dp->n_wires; i++) {
		if (strcmp(dp->wires[i].ifname, w->ifname) == 0) {
			close(dp->wires[i].fd);
			dp->wires[i] = *w;
			free(w);
			return;
		}
	}
	if (dp->n_wires == DP_MAX_WIRES) {
		fprintf(stderr, "datapath: wire for %s not attached: at most "
			"%d wires\n", w->ifname, DP_MAX_WIRES);
		close(w->fd);
		free(w);
		return;
	}
	dp->wires[dp->n_wires++] = *w;
	free(w);
}

void
dp_wire_receive(struct dp *dp, struct dp_wire *w, uint64_t now)
{
	for (int i = 0; i < WIRE_BATCH; i++) {
		ssize_t n = recv(w->fd, dp->rx_frame, sizeof(dp->rx_frame), 0);

		if (n <= 0)
			break;
		dp_input_frame(dp, w->ifname, DLT_EN10MB, dp->rx_frame,
			       (size_t)n, now);
	}
}

int
dp_wire_send(struct dp *dp, const char *ifname, const uint8_t *pkt,
	     size_t len)
{
	/* Locally administered MACs; the peer does not check them. */
	uint8_t eth[14] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1,
			    0x08, 0x00 };
	struct iovec iov[2] = {
		{ .iov_base = eth, .iov_len = sizeof(eth) },
		{ .iov_base = (void *)(uintptr_t)pkt, .iov_len = len },
	};

	for (size_t i = 0; i < dp->n_wires; i++) {
		struct dp_wire *w = &dp->wires[i];
		struct msghdr mh = {
			.msg_name = &w->remote,
			.msg_namelen = sizeof(w->remote),
			.msg_iov = iov,
			.msg_iovlen = 2,
		};

		if (strcmp(w->ifname, ifname) != 0)
			continue;
		if (sendmsg(w->fd, &mh, MSG_DONTWAIT) < 0)
			return -1;
		dp_stat_add(dp, DP_STAT_WIRE_TX, 1);
		return 0;
	}
	/* No wire on this interface: the packet leaves into nothing, as
	 * on a router port with no cable. */
	return 0;
}
