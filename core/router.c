/*
 * Router lifecycle plumbing: stop requests and the signal thread. The
 * start-up and shut-down order of the parts is in core/main.c.
 */
#include "core/router.h"

#include "core/log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <openssl/evp.h>

int
router_init(struct router *r, const char *startup_config_path)
{
	sigset_t stop_signals;
	int ret = -1;

	*r = (struct router){
		.startup_config_path = startup_config_path,
		.boot_time = time(NULL),
		.stop_fd = -1,
		.signal_fd = -1,
		.saved_lock = PTHREAD_MUTEX_INITIALIZER,
	};
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		goto out;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0)
		goto out;
	r->signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
	if (r->signal_fd < 0)
		goto out;
	r->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->stop_fd < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		router_release(r);
	return ret;
}

void
router_request_stop(struct router *r)
{
	uint64_t one = 1;

	r->stopping = true;
	while (write(r->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *
signal_thread(void *arg)
{
	struct router *r = arg;
	struct signalfd_siginfo si;
	struct pollfd pfd[2] = {
		{ .fd = r->signal_fd, .events = POLLIN },
		{ .fd = r->stop_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents & POLLIN)
			break;
		if (read(r->signal_fd, &si, sizeof(si)) != sizeof(si))
			continue;
		log_msg(LOGMSG_SYS_RELOAD,
			"Reload requested by %s. Reload Reason: %s.",
			si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT",
			"Process stop signal");
		router_request_stop(r);
		break;
	}
	return NULL;
}

int
router_watch_signals(struct router *r)
{
	int err;

	err = pthread_create(&r->signal_thread, NULL, signal_thread, r);
	if (err != 0) {
		errno = err;
		return -1;
	}
	r->watching_signals = true;
	return 0;
}

void
router_wait_stop(struct router *r)
{
	struct pollfd pfd = { .fd = r->stop_fd, .events = POLLIN };

	while (!r->stopping) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		if (pfd.revents & POLLIN)
			break;
	}
}

void
router_release(struct router *r)
{
	if (r->watching_signals) {
		router_request_stop(r);
		pthread_join(r->signal_thread, NULL);
		r->watching_signals = false;
	}
	if (r->signal_fd >= 0)
		close(r->signal_fd);
	if (r->stop_fd >= 0)
		close(r->stop_fd);
	r->signal_fd = -1;
	r->stop_fd = -1;
	r->saved_set = false;
}

void
router_set_saved_config(struct router *r, const char *text)
{
	unsigned char digest[sizeof(r->saved_digest)];
	bool ok = text != NULL &&
		  EVP_Digest(text, strlen(text), digest, NULL, EVP_sha256(),
			     NULL) == 1;

	pthread_mutex_lock(&r->saved_lock);
	memcpy(r->saved_digest, digest, sizeof(digest));
	r->saved_set = ok;
	pthread_mutex_unlock(&r->saved_lock);
}

bool
router_config_differs(struct router *r, const char *text)
{
	unsigned char digest[sizeof(r->saved_digest)];
	bool differs;

	if (text == NULL ||
	    EVP_Digest(text, strlen(text), digest, NULL, EVP_sha256(),
		       NULL) != 1)
		return true;
	pthread_mutex_lock(&r->saved_lock);
	differs = !r->saved_set ||
		  memcmp(r->saved_digest, digest, sizeof(digest)) != 0;
	pthread_mutex_unlock(&r->saved_lock);
	return differs;
}
