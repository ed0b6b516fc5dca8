/*
 * A telnet session end to end: libtelnet's option parser, the line
 * editor and the command engine, fed the input as the bytes a client
 * sends on its connection. The line needs no login, so the bytes reach
 * user EXEC; the input is cut at FZ_MAX octets so that it always fits in
 * the socket buffer while the session starts.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/telnet.h"
#include "fuzz_common.h"

#define FZ_MAX 16384

static struct router router;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_router_open(&router, true);
	fz_router_config(&router, "line vty 0 4\n no login\n");
	return 0;
}

/* Reads the server's output until it closes, as a client would. */
static void *
drain(void *arg)
{
	int fd = *(int *)arg;
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pthread_t reader;
	int sv[2];

	if (size > FZ_MAX)
		size = FZ_MAX;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	if (pthread_create(&reader, NULL, drain, &sv[1]) != 0)
		abort();
	vty_telnet_serve(&router, sv[0], "127.0.0.1", 0);
	pthread_join(reader, NULL);
	close(sv[1]);
	return 0;
}
