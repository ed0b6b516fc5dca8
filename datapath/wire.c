/*
 * UDP "wires": each carries one interface's Ethernet frames to a peer
 * process, as dynamips and GNS3 UDP NIOs do, so router processes can be
 * cabled point to point over loopback. A TUN device takes the place of
 * a wire to exchange raw IP packets with the Linux host.
 */
#define _GNU_SOURCE		/* recvmmsg, sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <pcap/pcap.h>

#include "datapath/dp_private.h"

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

/* Gives a freshly opened wire its interface and an empty send queue. */
static void
named(struct dp_wire *w, const char *ifname)
{
	snprintf(w->ifname, sizeof(w->ifname), "%s", ifname);
	w->stat = -1;
	w->tx_n = 0;
}

int
dp_wire_open(struct dp_wire *w, const char *ifname, const char *local,
	     const char *remote, char *err, size_t errlen)
{
	struct sockaddr_in la;

	if (parse_endpoint(local, &la, err, errlen) < 0 ||
	    parse_endpoint(remote, &w->remote, err, errlen) < 0)
		return -1;
	w->rx = malloc(DP_WIRE_BATCH * sizeof(w->rx[0]));
	w->tx = malloc(DP_WIRE_BATCH * sizeof(w->tx[0]));
	w->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->rx == NULL || w->tx == NULL || w->fd < 0) {
		snprintf(err, errlen, "socket: %s", w->fd < 0 ?
			 strerror(errno) : "out of memory");
		goto fail;
	}
	if (bind(w->fd, (struct sockaddr *)&la, sizeof(la)) < 0) {
		snprintf(err, errlen, "bind %s: %s", local, strerror(errno));
		goto fail;
	}
	named(w, ifname);
	return 0;
fail:
	dp_wire_close(w);
	return -1;
}

int
dp_tun_open(struct dp_wire *w, const char *ifname, const char *tundev,
	    char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };

	if (strlen(tundev) >= sizeof(ifr.ifr_name)) {
		snprintf(err, errlen, "TUN device name \"%s\" is too long",
			 tundev);
		return -1;
	}
	memcpy(ifr.ifr_name, tundev, strlen(tundev) + 1);
	w->rx = malloc(DP_WIRE_BATCH * sizeof(w->rx[0]));
	w->tx = NULL;
	w->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (w->rx == NULL || w->fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", w->fd < 0 ?
			 strerror(errno) : "out of memory");
		goto fail;
	}
	if (ioctl(w->fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "TUNSETIFF %s: %s", tundev,
			 strerror(errno));
		goto fail;
	}
	named(w, ifname);
	w->tun = true;
	return 0;
fail:
	dp_wire_close(w);
	return -1;
}

void
dp_wire_close(struct dp_wire *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->rx);
	free(w->tx);
	w->rx = NULL;
	w->tx = NULL;
}

void
dp_wire_install(struct dp *dp, struct dp_wire *w)
{
	w->stat = dp_ifstat_index(dp, w->ifname);
	for (size_t i = 0; i < dp->n_wires; i++) {
		if (strcmp(dp->wires[i].ifname, w->ifname) == 0) {
			dp_wire_flush(dp);
			dp_wire_close(&dp->wires[i]);
			dp->wires[i] = *w;
			free(w);
			return;
		}
	}
	if (dp->n_wires == DP_MAX_WIRES) {
		fprintf(stderr, "datapath: wire for %s not attached: at most "
			"%d wires\n", w->ifname, DP_MAX_WIRES);
		dp_wire_close(w);
		free(w);
		return;
	}
	dp->wires[dp->n_wires++] = *w;
	free(w);
}

void
dp_wire_receive(struct dp *dp, struct dp_wire *w, uint64_t now)
{
	struct mmsghdr mm[DP_WIRE_BATCH];
	struct iovec iov[DP_WIRE_BATCH];
	int n;

	if (w->tun) {
		/* A TUN device hands over one packet per read(). */
		for (int i = 0; i < DP_WIRE_BATCH; i++) {
			ssize_t len = read(w->fd, w->rx[0], DP_WIRE_SLOT);

			if (len <= 0)
				break;
			dp_sa_adopt_pending(dp);
			dp_ifstat_add(dp, w->stat, DP_IFC_RX_PACKETS, 1);
			dp_ifstat_add(dp, w->stat, DP_IFC_RX_OCTETS,
				      (uint64_t)len);
			dp_input_frame(dp, w->ifname, w->stat, DLT_RAW,
				       w->rx[0], (size_t)len, now);
		}
		return;
	}
	for (int i = 0; i < DP_WIRE_BATCH; i++) {
		iov[i].iov_base = w->rx[i];
		iov[i].iov_len = DP_WIRE_SLOT;
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(w->fd, mm, DP_WIRE_BATCH, MSG_DONTWAIT, NULL);
	/* After the read: a frame in this batch that a peer sent once an
	 * install returned finds that install published by now. */
	dp_sa_adopt_pending(dp);
	if (n > 0) {
		uint64_t octets = 0;

		for (int i = 0; i < n; i++)
			octets += mm[i].msg_len;
		dp_ifstat_add(dp, w->stat, DP_IFC_RX_PACKETS, (uint64_t)n);
		dp_ifstat_add(dp, w->stat, DP_IFC_RX_OCTETS, octets);
	}
	for (int i = 0; i < n; i++) {
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
			/* Larger than any MTU the router sends. */
			dp_drop(dp, DP_DROP_L2_UNSUPPORTED, mm[i].msg_len);
			dp_ifstat_add(dp, w->stat, DP_IFC_RX_DROPS, 1);
			continue;
		}
		dp_input_frame(dp, w->ifname, w->stat, DLT_EN10MB, w->rx[i],
			       mm[i].msg_len, now);
	}
}

/* Sends the frames queued on W with one sendmmsg() where it can. */
static void
flush_wire(struct dp *dp, struct dp_wire *w)
{
	struct mmsghdr mm[DP_WIRE_BATCH];
	struct iovec iov[DP_WIRE_BATCH];
	size_t done = 0;

	for (size_t i = 0; i < w->tx_n; i++) {
		iov[i].iov_base = w->tx[i];
		iov[i].iov_len = w->tx_len[i];
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_name = &w->remote;
		mm[i].msg_hdr.msg_namelen = sizeof(w->remote);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < w->tx_n) {
		int n = sendmmsg(w->fd, mm + done, (unsigned)(w->tx_n - done),
				 MSG_DONTWAIT);

		if (n <= 0) {
			/* The socket buffer is full or the peer gone. */
			for (; done < w->tx_n; done++) {
				dp_drop(dp, DP_DROP_WIRE_TX, w->tx_len[done]);
				dp_ifstat_add(dp, w->stat, DP_IFC_TX_DROPS, 1);
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			dp_stat_add(dp, DP_STAT_WIRE_TX, 1);
			dp_ifstat_add(dp, w->stat, DP_IFC_TX_PACKETS, 1);
			dp_ifstat_add(dp, w->stat, DP_IFC_TX_OCTETS,
				      w->tx_len[done + (size_t)i]);
		}
		done += (size_t)n;
	}
	w->tx_n = 0;
}

void
dp_wire_flush(struct dp *dp)
{
	for (size_t i = 0; i < dp->n_wires; i++) {
		if (dp->wires[i].tx_n > 0)
			flush_wire(dp, &dp->wires[i]);
	}
}

int
dp_wire_send(struct dp *dp, const char *ifname, const uint8_t *pkt,
	     size_t len)
{
	/* Locally administered MACs; the peer does not check them. */
	static const uint8_t eth[14] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0,
					 0, 1, 0x08, 0x00 };
	struct dp_wire *w = NULL;

	for (size_t i = 0; i < dp->n_wires && w == NULL; i++) {
		if (strcmp(dp->wires[i].ifname, ifname) == 0)
			w = &dp->wires[i];
	}
	if (w == NULL)
		return 0;
	if (w->tun) {
		if (write(w->fd, pkt, len) < 0)
			return -1;
		dp_stat_add(dp, DP_STAT_WIRE_TX, 1);
		dp_ifstat_add(dp, w->stat, DP_IFC_TX_PACKETS, 1);
		dp_ifstat_add(dp, w->stat, DP_IFC_TX_OCTETS, len);
		return 1;
	}
	if (len + sizeof(eth) > DP_WIRE_SLOT) {
		struct iovec iov[2] = {
			{ .iov_base = (void *)(uintptr_t)eth,
			  .iov_len = sizeof(eth) },
			{ .iov_base = (void *)(uintptr_t)pkt, .iov_len = len },
		};
		struct msghdr mh = {
			.msg_name = &w->remote,
			.msg_namelen = sizeof(w->remote),
			.msg_iov = iov,
			.msg_iovlen = 2,
		};

		flush_wire(dp, w);
		if (sendmsg(w->fd, &mh, MSG_DONTWAIT) < 0)
			return -1;
		dp_stat_add(dp, DP_STAT_WIRE_TX, 1);
		dp_ifstat_add(dp, w->stat, DP_IFC_TX_PACKETS, 1);
		dp_ifstat_add(dp, w->stat, DP_IFC_TX_OCTETS, len + sizeof(eth));
		return 1;
	}
	if (w->tx_n == DP_WIRE_BATCH)
		flush_wire(dp, w);
	memcpy(w->tx[w->tx_n], eth, sizeof(eth));
	memcpy(w->tx[w->tx_n] + sizeof(eth), pkt, len);
	w->tx_len[w->tx_n++] = len + sizeof(eth);
	return 1;
}
