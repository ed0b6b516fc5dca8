#include "core/log.h"
#include "core/router.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

struct found {
	const char *needle;
	int count;
};

static void
find_line(void *arg, const char *line)
{
	struct found *f = arg;

	if (strstr(line, f->needle) != NULL)
		f->count++;
}

static bool
stop_fd_readable(const struct router *r)
{
	struct pollfd pfd = { .fd = r->stop_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static void
stops_on(int signo, const char *name)
{
	struct router r;
	struct found f = { .needle = name };

	cr_assert_eq(log_init(LOG_DEFAULT_BUFFER_SIZE), 0);
	cr_assert_eq(router_init(&r, "/nonexistent/startup-config"), 0);
	cr_assert_str_eq(r.startup_config_path, "/nonexistent/startup-config");
	cr_assert_eq(router_watch_signals(&r), 0);
	cr_assert_not(r.stopping);
	cr_assert_not(stop_fd_readable(&r));

	cr_assert_eq(kill(getpid(), signo), 0);
	router_wait_stop(&r);
	cr_assert(r.stopping);
	cr_assert(stop_fd_readable(&r));

	log_buffer_foreach(find_line, &f);
	cr_assert_eq(f.count, 1, "no %%SYS-5-RELOAD line naming %s", name);
	router_release(&r);
	cr_assert_eq(r.stop_fd, -1);
	log_shutdown();
}

Test(router, sigterm_requests_stop)
{
	stops_on(SIGTERM, "%SYS-5-RELOAD: Reload requested by SIGTERM.");
}

Test(router, sigint_requests_stop)
{
	stops_on(SIGINT, "%SYS-5-RELOAD: Reload requested by SIGINT.");
}

Test(router, request_stop_wakes_waiters)
{
	struct router r;

	cr_assert_eq(router_init(&r, NULL), 0);
	cr_assert_eq(router_watch_signals(&r), 0);
	router_request_stop(&r);
	router_wait_stop(&r);
	cr_assert(r.stopping);
	cr_assert(stop_fd_readable(&r));
	router_release(&r);
}
