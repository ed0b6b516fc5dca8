/*
 * Listening TCP sockets of the telnet and SSH servers.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/vty.h"

int
vty_listen(const char *proto, const char *addr, unsigned port, int backlog,
	   char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai = NULL;
	char service[16];
	int fd = -1, on = 1, rc;

	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(addr, service, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "invalid %s address %s: %s", proto, addr,
			 gai_strerror(rc));
		return -1;
	}

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, backlog) < 0) {
		snprintf(err, errlen, "cannot listen for %s on %s port %u: %s",
			 proto, addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}
