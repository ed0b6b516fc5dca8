/*
 * `vrouter lab FILE` runs a lab: it starts each router of the topology as
 * a vrouter process of its own, relays the frames of every link through
 * two UDP sockets on loopback, restarts routers that reload, reports
 * routers that crash, and answers control commands on a Unix socket in
 * its work directory. `vrouter lab CMD ...` sends one such command.
 */
#define _GNU_SOURCE		/* pipe2, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "core/lab.h"

#define NS_PER_MS	1000000ULL
#define NS_PER_SEC	1000000000ULL
#define START_TIMEOUT_SEC 60
#define STOP_TIMEOUT_SEC 10
#define FRAME_MAX	65536
#define READS_PER_POLL	64
#define MAX_POLL	(2 + 2 * LAB_MAX_LINKS + LAB_MAX_ROUTERS)

#ifndef VR_YANG_DIR
#define VR_YANG_DIR "configs/yang"
#endif

static const char *const control_words[] = {
	"status", "stop", "fault", "clear", "reload",
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: vrouter lab [--dir DIR] [--console ROUTER] [--no-ssh] FILE\n"
		"       vrouter lab [--dir DIR] status | stop | clear LINK|all | reload ROUTER\n"
		"       vrouter lab [--dir DIR] fault LINK loss PCT | delay MS [jitter MS] |\n"
		"                   corrupt PCT | cut | drop ike|esp|expr \"EXPR\" [for SECONDS]\n"
		"\n"
		"  -d, --dir DIR       work directory holding the control socket, the\n"
		"                      routers' startup-configs and trafgen output\n"
		"                      (default $VROUTER_LAB_DIR or /tmp/vrouter-lab-UID)\n"
		"  -c, --console NAME  run router NAME on this terminal\n"
		"      --no-ssh        start the routers without SSH listeners\n"
		"\n"
		"docs/labs.md describes the topology file and the commands.\n");
}

/* ---- control client ---- */

static void
default_dir(char *dir, size_t len)
{
	const char *env = getenv("VROUTER_LAB_DIR");

	if (env != NULL && *env != '\0')
		snprintf(dir, len, "%s", env);
	else
		snprintf(dir, len, "/tmp/vrouter-lab-%u", (unsigned)getuid());
}

static int
socket_address(const char *dir, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if ((size_t)snprintf(sun->sun_path, sizeof(sun->sun_path),
			     "%s/lab.sock", dir) >= sizeof(sun->sun_path)) {
		fprintf(stderr, "vrouter lab: work directory path too long: %s\n",
			dir);
		return -1;
	}
	return 0;
}

/* Joins ARGV into one command line, quoting words that hold blanks. */
static int
join_words(int argc, char **argv, char *line, size_t len)
{
	size_t used = 0;

	for (int i = 0; i < argc; i++) {
		bool quote = strpbrk(argv[i], " \t") != NULL ||
			     argv[i][0] == '\0';
		int n = snprintf(line + used, len - used, "%s%s%s%s",
				 i > 0 ? " " : "", quote ? "\"" : "", argv[i],
				 quote ? "\"" : "");

		if (n < 0 || (size_t)n >= len - used ||
		    strchr(argv[i], '"') != NULL)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

static int
run_client(const char *dir, int argc, char **argv)
{
	struct sockaddr_un sun;
	char line[1024], reply[4096];
	ssize_t n;
	bool first = true, failed = false;
	int fd;

	if (socket_address(dir, &sun) < 0)
		return 2;
	if (join_words(argc, argv, line, sizeof(line) - 1) < 0) {
		fprintf(stderr, "vrouter lab: invalid command: longer than "
			"1022 characters or contains a double quote\n");
		return 2;
	}
	strcat(line, "\n");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "vrouter lab: no lab running in %s (%s); start "
			"one with `vrouter lab --dir %s FILE`\n", dir,
			strerror(errno), dir);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "vrouter lab: sending the command failed: %s\n",
			strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, reply, sizeof(reply))) > 0) {
		if (first && n >= 2 && reply[0] == '%' && reply[1] == ' ')
			failed = true;
		first = false;
		fwrite(reply, 1, (size_t)n, stdout);
	}
	close(fd);
	if (first) {
		fprintf(stderr, "vrouter lab: the lab closed the connection "
			"without a reply\n");
		return 1;
	}
	return failed ? 1 : 0;
}

/* ---- start-up ---- */

/* Opens a UDP socket bound to ADDR; *BOUND is the port it got. */
static int
open_udp(const struct sockaddr_in *addr, unsigned *bound)
{
	struct sockaddr_in sa = *addr;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

static int
open_loopback_udp(unsigned port, unsigned *bound)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return open_udp(&sa, bound);
}

/*
 * The router ends of the wires get ports below the kernel's ephemeral
 * range (net.ipv4.ip_local_port_range), which no socket bound to port 0
 * ever takes. The lab releases a picked port before the router binds it,
 * and in that gap a relay socket of the lab, or any program's socket,
 * could otherwise take it and the router would fail to start.
 */
#define WIRE_PORT_MIN 16384

static unsigned
ephemeral_port_min(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned low = 32768, high;

	if (f == NULL)
		return low;
	if (fscanf(f, "%u %u", &low, &high) != 2)
		low = 32768;
	fclose(f);
	return low;
}

/*
 * Picks a free loopback UDP port for a router's end of a wire, going up
 * from a random start so that two labs started together seldom pick the
 * same ports. Another program could still bind the port before the
 * router does; the router then fails to start with a bind error.
 */
static int
pick_port(struct lab *lab, unsigned *port)
{
	unsigned end = ephemeral_port_min(), bound;
	unsigned span;
	int fd;

	/* A range too small for a whole lab: let the kernel pick. */
	if (end <= WIRE_PORT_MIN + 2 * LAB_MAX_LINKS) {
		fd = open_loopback_udp(0, port);
		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	}
	span = end - WIRE_PORT_MIN;
	if (lab->next_port == 0)
		lab->next_port = WIRE_PORT_MIN + lab->rng % span;
	for (unsigned i = 0; i < span; i++) {
		unsigned candidate = lab->next_port;

		lab->next_port = candidate + 1 < end ? candidate + 1 :
			WIRE_PORT_MIN;
		fd = open_loopback_udp(candidate, &bound);
		if (fd >= 0) {
			close(fd);
			*port = candidate;
			return 0;
		}
	}
	return -1;
}

/* Binds the end of remote link K that faces the other machine's lab. */
static int
open_remote_end(struct lab_link *k)
{
	char addr[INET_ADDRSTRLEN];

	k->fd[1] = open_udp(&k->local, &k->lab_port[1]);
	if (k->fd[1] >= 0)
		return 0;
	inet_ntop(AF_INET, &k->local.sin_addr, addr, sizeof(addr));
	fprintf(stderr, "vrouter lab: link %s: cannot bind UDP %s:%u: %s\n",
		k->name, addr, ntohs(k->local.sin_port), strerror(errno));
	return -1;
}

static int
open_links(struct lab *lab)
{
	for (int i = 0; i < lab->nlinks; i++) {
		struct lab_link *k = &lab->links[i];

		for (int e = 0; e < 2; e++) {
			unsigned want = k->router[e] < 0 ? k->host_port : 0;

			if (k->remote && e == 1) {
				if (open_remote_end(k) < 0)
					return -1;
				continue;
			}
			k->fd[e] = open_loopback_udp(want, &k->lab_port[e]);
			if (k->fd[e] < 0) {
				fprintf(stderr, "vrouter lab: link %s: cannot "
					"bind a loopback UDP port%s: %s\n",
					k->name, want ? " (the host port)" : "",
					strerror(errno));
				return -1;
			}
			if (k->router[e] < 0)
				continue;
			if (pick_port(lab, &k->router_port[e]) < 0) {
				fprintf(stderr, "vrouter lab: link %s: no free "
					"UDP port: %s\n", k->name,
					strerror(errno));
				return -1;
			}
			k->peer[e] = (struct sockaddr_in){
				.sin_family = AF_INET,
				.sin_port = htons((uint16_t)k->router_port[e]),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
			};
			k->peer_known[e] = true;
		}
	}
	return 0;
}

static int
copy_file(const char *from, const char *to)
{
	char buf[8192];
	struct stat st;
	off_t total = 0;
	ssize_t n;
	int in, out = -1, ret = -1;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	/* The topology check ran earlier; the file may have changed since,
	 * and a device such as /dev/zero would never reach end of file. */
	if (fstat(in, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_size > LAB_MAX_CONFIG) {
		errno = EINVAL;
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		total += n;
		if (total > LAB_MAX_CONFIG) {
			errno = EFBIG;
			goto out;
		}
		if (write(out, buf, (size_t)n) != n)
			goto out;
	}
	ret = n == 0 ? 0 : -1;
out:
	if (out >= 0 && close(out) < 0)
		ret = -1;
	close(in);
	return ret;
}

static int
open_control(struct lab *lab)
{
	struct sockaddr_un sun;
	int fd;

	if (socket_address(lab->dir, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		fprintf(stderr, "vrouter lab: a lab is already running in %s; "
			"stop it with `vrouter lab --dir %s stop` or pick "
			"another --dir\n", lab->dir, lab->dir);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 16) < 0) {
		fprintf(stderr, "vrouter lab: cannot listen on %s: %s\n",
			sun.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	lab->ctl_fd = fd;
	return 0;
}

/* Restores the signal mask and dispositions a child expects. */
static void
child_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTTOU, SIG_DFL);
}

/* Appends a formatted argument to a router's argument vector. */
static void
add_arg(char **argv, int *argc, char *store, size_t *used, size_t cap,
	const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
add_arg(char **argv, int *argc, char *store, size_t *used, size_t cap,
	const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(store + *used, cap - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *used)
		return;
	argv[(*argc)++] = store + *used;
	*used += (size_t)n + 1;
}

static int
start_router(struct lab *lab, int idx)
{
	struct lab_router *r = &lab->routers[idx];
	char store[8192], *argv[2 * LAB_MAX_LINKS + 16];
	size_t used = 0;
	int argc = 0, pipefd[2];
	pid_t pid;

	add_arg(argv, &argc, store, &used, sizeof(store), "%s", lab->self);
	if (!r->console)
		add_arg(argv, &argc, store, &used, sizeof(store), "--no-console");
	add_arg(argv, &argc, store, &used, sizeof(store), "--telnet");
	add_arg(argv, &argc, store, &used, sizeof(store), "127.0.0.1:%u",
		r->telnet_port);
	if (lab->ssh) {
		add_arg(argv, &argc, store, &used, sizeof(store), "--ssh");
		add_arg(argv, &argc, store, &used, sizeof(store),
			"127.0.0.1:%u", r->ssh_port);
	}
	add_arg(argv, &argc, store, &used, sizeof(store), "--config");
	add_arg(argv, &argc, store, &used, sizeof(store), "%s", r->startup);
	for (int i = 0; i < lab->nlinks; i++) {
		const struct lab_link *k = &lab->links[i];

		for (int e = 0; e < 2; e++) {
			if (k->router[e] != idx)
				continue;
			add_arg(argv, &argc, store, &used, sizeof(store),
				"--wire");
			add_arg(argv, &argc, store, &used, sizeof(store),
				"%s=127.0.0.1:%u,127.0.0.1:%u", k->ifname[e],
				k->router_port[e], k->lab_port[e]);
		}
	}
	for (int i = 0; i < lab->ntuns; i++) {
		if (lab->tuns[i].router != idx)
			continue;
		add_arg(argv, &argc, store, &used, sizeof(store), "--tun");
		add_arg(argv, &argc, store, &used, sizeof(store), "%s=%s",
			lab->tuns[i].ifname, lab->tuns[i].dev);
	}
	argv[argc] = NULL;
	if (used >= sizeof(store) - 1) {
		fprintf(stderr, "vrouter lab: %s: too many arguments\n", r->name);
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		child_signals();
		dup2(pipefd[1], STDERR_FILENO);
		/* In a background process group the console router stops
		 * (SIGTTOU) when it sets up the terminal, so its prompt
		 * waits until give_terminal() after the status table. */
		if (r->console && lab->hand_over)
			setpgid(0, 0);
		if (!r->console) {
			int null = open("/dev/null", O_RDONLY);

			/* Its own process group: Ctrl-C reaches the lab,
			 * which stops the routers in order. */
			setpgid(0, 0);
			if (null >= 0)
				dup2(null, STDIN_FILENO);
			dup2(pipefd[1], STDOUT_FILENO);
		}
		execv(lab->self, argv);
		fprintf(stderr, "vrouter lab: exec %s failed: %s\n", lab->self,
			strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	if (r->console && lab->hand_over)
		setpgid(pid, pid);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	r->pid = pid;
	r->err_fd = pipefd[0];
	r->errlen = 0;
	r->state = LAB_ROUTER_STARTING;
	r->restart = false;
	return 0;
}

static void
start_trafgen(struct lab *lab, struct lab_trafgen *g)
{
	const struct lab_link *k = &lab->links[g->link];
	char attach[32], *argv[LAB_MAX_ARGS + 4];
	int argc = 0, fd;
	pid_t pid;

	snprintf(g->log, sizeof(g->log), "%s/%s.trafgen", lab->dir, k->name);
	snprintf(attach, sizeof(attach), "127.0.0.1:%u", k->lab_port[1]);
	argv[argc++] = lab->trafgen_path;
	argv[argc++] = (char *)(uintptr_t)"--attach";
	argv[argc++] = attach;
	for (int i = 0; i < g->argc; i++)
		argv[argc++] = g->argv[i];
	argv[argc] = NULL;
	fd = open(g->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "vrouter lab: trafgen on %s: cannot write %s: "
			"%s\n", k->name, g->log, strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		child_signals();
		setpgid(0, 0);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(lab->trafgen_path, argv);
		fprintf(stderr, "exec %s failed: %s\n", lab->trafgen_path,
			strerror(errno));
		_exit(127);
	}
	close(fd);
	if (pid < 0)
		fprintf(stderr, "vrouter lab: trafgen on %s: fork failed: %s\n",
			k->name, strerror(errno));
	else
		g->pid = pid;
}

/* Moves TUN devices into their namespaces once their router made them. */
static void
move_tuns(struct lab *lab, int idx)
{
	for (int i = 0; i < lab->ntuns; i++) {
		const struct lab_tun *t = &lab->tuns[i];
		int status;
		pid_t pid;

		if (t->router != idx || t->netns[0] == '\0')
			continue;
		pid = fork();
		if (pid == 0) {
			child_signals();
			execlp("ip", "ip", "link", "set", "dev", t->dev, "netns",
			       t->netns, (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(stderr, "vrouter lab: moving %s into netns %s "
				"failed (does the namespace exist?)\n", t->dev,
				t->netns);
	}
}

/* ---- the event loop ---- */

/* Makes the console router the terminal's foreground process group and
 * lets it continue. */
static void
give_terminal(const struct lab *lab)
{
	const struct lab_router *r;

	if (!lab->hand_over || lab->console < 0)
		return;
	r = &lab->routers[lab->console];
	if (r->pid <= 0)
		return;
	if (tcsetpgrp(STDIN_FILENO, r->pid) < 0)
		fprintf(stderr, "lab: cannot give the terminal to %s: %s\n",
			r->name, strerror(errno));
	kill(-r->pid, SIGCONT);
}

/* Makes the lab the terminal's foreground process group again. */
static void
take_terminal(const struct lab *lab)
{
	if (lab->hand_over)
		tcsetpgrp(STDIN_FILENO, getpgrp());
}

/* Handles one line a router wrote to stderr. */
static void
router_line(struct lab *lab, int idx, char *line)
{
	struct lab_router *r = &lab->routers[idx];
	const char *p;
	unsigned port;

	if (r->state == LAB_ROUTER_STARTING &&
	    (p = strstr(line, "vrouter: started, telnet 127.0.0.1:")) != NULL &&
	    sscanf(p, "vrouter: started, telnet 127.0.0.1:%u", &port) == 1) {
		r->telnet_port = port;
		p = strstr(p, ", ssh 127.0.0.1:");
		if (p != NULL && sscanf(p, ", ssh 127.0.0.1:%u", &port) == 1)
			r->ssh_port = port;
		r->state = LAB_ROUTER_RUNNING;
		move_tuns(lab, idx);
		/* A console router started again after the table is out. */
		if (r->console && lab->ready)
			give_terminal(lab);
	}
	fprintf(stderr, "%s: %s\n", r->name, line);
}

static void
read_router(struct lab *lab, int idx)
{
	struct lab_router *r = &lab->routers[idx];
	ssize_t n;
	char *nl;

	n = read(r->err_fd, r->errbuf + r->errlen,
		 sizeof(r->errbuf) - 1 - r->errlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (r->errlen > 0) {
			r->errbuf[r->errlen] = '\0';
			router_line(lab, idx, r->errbuf);
			r->errlen = 0;
		}
		close(r->err_fd);
		r->err_fd = -1;
		return;
	}
	r->errlen += (size_t)n;
	r->errbuf[r->errlen] = '\0';
	while ((nl = strchr(r->errbuf, '\n')) != NULL) {
		*nl = '\0';
		router_line(lab, idx, r->errbuf);
		r->errlen -= (size_t)(nl + 1 - r->errbuf);
		memmove(r->errbuf, nl + 1, r->errlen + 1);
	}
	if (r->errlen == sizeof(r->errbuf) - 1) {
		router_line(lab, idx, r->errbuf);
		r->errlen = 0;
	}
}

static void
describe_exit(char *text, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(text, len, "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(text, len, "exit status %d", WEXITSTATUS(status));
}

static void
router_exited(struct lab *lab, int idx, int status)
{
	struct lab_router *r = &lab->routers[idx];
	char how[96];

	while (r->err_fd >= 0)
		read_router(lab, idx);
	r->pid = 0;
	r->last_status = status;
	describe_exit(how, sizeof(how), status);
	if (lab->stopping) {
		r->state = LAB_ROUTER_STOPPED;
		return;
	}
	if (r->restart || (WIFEXITED(status) &&
			   WEXITSTATUS(status) == LAB_EXIT_RELOAD)) {
		r->restarts++;
		fprintf(stderr, "lab: %s reloaded (%s); starting it again\n",
			r->name, how);
		if (start_router(lab, idx) == 0)
			return;
		fprintf(stderr, "lab: %s: cannot start it again: %s\n",
			r->name, strerror(errno));
		r->state = LAB_ROUTER_CRASHED;
		return;
	}
	if (r->console)
		take_terminal(lab);
	if (r->console && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		fprintf(stderr, "lab: %s's console ended; stopping the lab\n",
			r->name);
		r->state = LAB_ROUTER_STOPPED;
		lab->stopping = true;
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r->state = LAB_ROUTER_STOPPED;
		fprintf(stderr, "lab: %s stopped (%s)\n", r->name, how);
		return;
	}
	r->state = LAB_ROUTER_CRASHED;
	fprintf(stderr, "lab: %s crashed (%s); the other routers keep "
		"running\n", r->name, how);
}

static void
reap(struct lab *lab)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < lab->nrouters; i++) {
			if (lab->routers[i].pid == pid)
				router_exited(lab, i, status);
		}
		for (int i = 0; i < lab->ntrafgens; i++) {
			struct lab_trafgen *g = &lab->trafgens[i];
			char how[96];

			if (g->pid != pid)
				continue;
			g->pid = 0;
			describe_exit(how, sizeof(how), status);
			if (!lab->stopping)
				fprintf(stderr, "lab: trafgen on %s ended (%s); "
					"see %s\n", lab->links[g->link].name,
					how, g->log);
		}
	}
}

static void
read_signals(struct lab *lab)
{
	struct signalfd_siginfo si;

	while (read(lab->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(lab);
		else if (!lab->stopping) {
			fprintf(stderr, "lab: %s; stopping the lab\n",
				strsignal((int)si.ssi_signo));
			lab->stopping = true;
		}
	}
}

/* Starts the stopped or crashed routers that `reload` named. */
static void
start_requested(struct lab *lab)
{
	for (int i = 0; i < lab->nrouters; i++) {
		struct lab_router *r = &lab->routers[i];

		if (!r->restart || r->pid > 0 || lab->stopping)
			continue;
		r->restarts++;
		if (start_router(lab, i) < 0) {
			fprintf(stderr, "lab: %s: cannot start it: %s\n",
				r->name, strerror(errno));
			r->restart = false;
		}
	}
}

/* Serves one control connection: one command line in, the reply out. */
static void
serve_control(struct lab *lab)
{
	char line[1024], *reply = NULL;
	size_t used = 0, reply_len = 0;
	struct pollfd p;
	FILE *out;
	int fd;

	fd = accept4(lab->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	/* A client sends its line right after connecting; one that does not
	 * holds up the relays for at most 200 ms. */
	while (used < sizeof(line) - 1 && poll(&p, 1, 200) == 1) {
		ssize_t n = read(fd, line + used, sizeof(line) - 1 - used);

		if (n <= 0)
			break;
		used += (size_t)n;
		if (memchr(line, '\n', used) != NULL)
			break;
	}
	line[used] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	out = open_memstream(&reply, &reply_len);
	if (out != NULL) {
		lab_control(lab, line, lab_now(), out);
		fclose(out);
		(void)send(fd, reply, reply_len, MSG_NOSIGNAL);
		free(reply);
	}
	close(fd);
}

static void
read_link(struct lab *lab, struct lab_link *k, int e, uint64_t now)
{
	static uint8_t frame[FRAME_MAX];
	struct sockaddr_in from;

	for (int i = 0; i < READS_PER_POLL; i++) {
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(k->fd[e], frame, sizeof(frame), 0,
				     (struct sockaddr *)&from, &flen);

		if (n < 0)
			return;
		if (k->router[e] < 0 && !k->remote) {
			/* A host end receives where it last sent from. */
			k->peer[e] = from;
			k->peer_known[e] = true;
		}
		lab_link_frame(lab, k, e, frame, (size_t)n, now);
	}
}

/* Returns the poll timeout in ms until the next queued frame or fault end. */
static int
next_timeout(struct lab *lab, uint64_t now, int max_ms)
{
	uint64_t next = now + (uint64_t)max_ms * NS_PER_MS;

	for (int i = 0; i < lab->nlinks; i++) {
		uint64_t due = lab_link_flush(lab, &lab->links[i], now);
		uint64_t end = lab_fault_expire(&lab->links[i], now);

		if (due != 0 && due < next)
			next = due;
		if (end != 0 && end < next)
			next = end;
	}
	return next <= now ? 0 : (int)((next - now + NS_PER_MS - 1) / NS_PER_MS);
}

/* One round of the event loop, waiting at most MAX_MS. */
static void
step(struct lab *lab, int max_ms)
{
	struct pollfd p[MAX_POLL];
	int owner[MAX_POLL];	/* >= 0 router, -1 - 2 * link - end */
	int n = 0, timeout;
	uint64_t now = lab_now();

	timeout = next_timeout(lab, now, max_ms);
	p[n++] = (struct pollfd){ .fd = lab->sig_fd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = lab->ctl_fd, .events = POLLIN };
	for (int i = 0; i < lab->nlinks; i++) {
		for (int e = 0; e < 2; e++) {
			owner[n] = -1 - (2 * i + e);
			p[n++] = (struct pollfd){ .fd = lab->links[i].fd[e],
						  .events = POLLIN };
		}
	}
	for (int i = 0; i < lab->nrouters; i++) {
		if (lab->routers[i].err_fd < 0)
			continue;
		owner[n] = i;
		p[n++] = (struct pollfd){ .fd = lab->routers[i].err_fd,
					  .events = POLLIN };
	}
	if (poll(p, (nfds_t)n, timeout) <= 0)
		return;
	now = lab_now();
	for (int i = 2; i < n; i++) {
		if (p[i].revents == 0)
			continue;
		if (owner[i] >= 0) {
			if (lab->routers[owner[i]].err_fd == p[i].fd)
				read_router(lab, owner[i]);
		} else {
			int l = (-1 - owner[i]) / 2;

			read_link(lab, &lab->links[l], (-1 - owner[i]) % 2,
				  now);
		}
	}
	if (p[1].revents != 0) {
		serve_control(lab);
		start_requested(lab);
	}
	if (p[0].revents != 0)
		read_signals(lab);
}

static bool
all_started(const struct lab *lab)
{
	for (int i = 0; i < lab->nrouters; i++) {
		if (lab->routers[i].state == LAB_ROUTER_STARTING)
			return false;
	}
	return true;
}

/* Runs the loop until every router reported its start or exited. */
static void
wait_started(struct lab *lab)
{
	uint64_t deadline = lab_now() + START_TIMEOUT_SEC * NS_PER_SEC;

	while (!all_started(lab) && !lab->stopping && lab_now() < deadline)
		step(lab, 100);
	for (int i = 0; i < lab->nrouters; i++) {
		struct lab_router *r = &lab->routers[i];

		if (r->state == LAB_ROUTER_STARTING)
			fprintf(stderr, "lab: %s has not reported its start "
				"after %d s (pid %d)\n", r->name,
				START_TIMEOUT_SEC, (int)r->pid);
	}
}

static int
start_all(struct lab *lab)
{
	/*
	 * All routers at once: they share the SSH host keys of the work
	 * directory, and the first router's SSH listener creates them after
	 * the start, under a lock that the others wait on.
	 */
	for (int i = 0; i < lab->nrouters; i++) {
		if (start_router(lab, i) < 0) {
			fprintf(stderr, "vrouter lab: cannot start %s: %s\n",
				lab->routers[i].name, strerror(errno));
			return -1;
		}
	}
	wait_started(lab);
	return 0;
}

static bool
anything_running(const struct lab *lab)
{
	for (int i = 0; i < lab->nrouters; i++) {
		if (lab->routers[i].pid > 0)
			return true;
	}
	for (int i = 0; i < lab->ntrafgens; i++) {
		if (lab->trafgens[i].pid > 0)
			return true;
	}
	return false;
}

static void
signal_all(struct lab *lab, int sig)
{
	for (int i = 0; i < lab->nrouters; i++) {
		if (lab->routers[i].pid > 0)
			kill(lab->routers[i].pid, sig);
	}
	for (int i = 0; i < lab->ntrafgens; i++) {
		if (lab->trafgens[i].pid > 0)
			kill(lab->trafgens[i].pid, sig);
	}
}

static void
stop_all(struct lab *lab)
{
	uint64_t deadline = lab_now() + STOP_TIMEOUT_SEC * NS_PER_SEC;

	lab->stopping = true;
	/* A console router still waiting for the terminal is stopped and
	 * would not see SIGTERM. */
	give_terminal(lab);
	signal_all(lab, SIGTERM);
	while (anything_running(lab) && lab_now() < deadline)
		step(lab, 100);
	if (anything_running(lab)) {
		fprintf(stderr, "lab: processes still running after %d s; "
			"killing them\n", STOP_TIMEOUT_SEC);
		signal_all(lab, SIGKILL);
		while (anything_running(lab))
			step(lab, 100);
	}
}

static void
close_all(struct lab *lab)
{
	struct sockaddr_un sun;

	for (int i = 0; i < lab->nlinks; i++) {
		struct lab_link *k = &lab->links[i];

		lab_link_drain(k);
		for (int e = 0; e < 2; e++) {
			if (k->fd[e] >= 0)
				close(k->fd[e]);
			k->fd[e] = -1;
		}
	}
	for (int i = 0; i < lab->nrouters; i++) {
		if (lab->routers[i].err_fd >= 0)
			close(lab->routers[i].err_fd);
		lab->routers[i].err_fd = -1;
	}
	if (lab->ctl_fd >= 0) {
		close(lab->ctl_fd);
		if (socket_address(lab->dir, &sun) == 0)
			unlink(sun.sun_path);
	}
	if (lab->sig_fd >= 0)
		close(lab->sig_fd);
	lab->ctl_fd = lab->sig_fd = -1;
}

static int
prepare(struct lab *lab)
{
	const char *dir = lab->dir;
	sigset_t set;

	if (mkdir(lab->dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "vrouter lab: cannot create %s: %s\n", lab->dir,
			strerror(errno));
		return -1;
	}
	for (int i = 0; i < lab->nrouters; i++) {
		struct lab_router *r = &lab->routers[i];
		char path[sizeof(r->startup)];

		snprintf(path, sizeof(path), "%s/%s.cfg", dir, r->name);
		memcpy(r->startup, path, sizeof(path));
		if (copy_file(r->config, r->startup) < 0) {
			fprintf(stderr, "vrouter lab: cannot copy %s to %s: "
				"%s\n", r->config, r->startup, strerror(errno));
			return -1;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Only a lab in the terminal's foreground can hand it over, and it
	 * must take it back from the background without being stopped. */
	lab->hand_over = lab->console >= 0 && isatty(STDIN_FILENO) &&
			 tcgetpgrp(STDIN_FILENO) == getpgrp();
	if (lab->hand_over)
		signal(SIGTTOU, SIG_IGN);
	lab->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (lab->sig_fd < 0) {
		fprintf(stderr, "vrouter lab: signalfd: %s\n", strerror(errno));
		return -1;
	}
	if (open_control(lab) < 0 || open_links(lab) < 0)
		return -1;
	return 0;
}

static int
run_lab(struct lab *lab)
{
	int ret = 1;

	lab->started_ns = lab_now();
	lab->rng = (uint32_t)(lab->started_ns ^ (uint64_t)getpid()) | 1;
	if (prepare(lab) < 0 || start_all(lab) < 0)
		goto out;
	for (int i = 0; i < lab->ntrafgens; i++)
		start_trafgen(lab, &lab->trafgens[i]);
	lab_print_status(lab, lab_now(), stdout);
	printf("\nlab: ready in %.2f s; stop it with Ctrl-C or `vrouter lab "
	       "--dir %s stop`\n",
	       (double)(lab_now() - lab->started_ns) / NS_PER_SEC, lab->dir);
	fflush(stdout);
	lab->ready = true;
	give_terminal(lab);
	while (!lab->stopping)
		step(lab, 1000);
	ret = 0;
out:
	stop_all(lab);
	take_terminal(lab);
	close_all(lab);
	fprintf(stderr, "lab: stopped\n");
	return ret;
}

static bool
is_control_word(const char *word)
{
	for (size_t i = 0; i < sizeof(control_words) / sizeof(control_words[0]);
	     i++) {
		if (strcmp(word, control_words[i]) == 0)
			return true;
	}
	return false;
}

/* Finds this binary and the traffic generator beside the sources. */
static int
find_programs(struct lab *lab)
{
	const char *env = getenv("VR_TRAFGEN");
	ssize_t n = readlink("/proc/self/exe", lab->self,
			     sizeof(lab->self) - 1);

	if (n < 0) {
		fprintf(stderr, "vrouter lab: cannot find this program: %s\n",
			strerror(errno));
		return -1;
	}
	lab->self[n] = '\0';
	if (env != NULL && *env != '\0')
		snprintf(lab->trafgen_path, sizeof(lab->trafgen_path), "%s",
			 env);
	else
		snprintf(lab->trafgen_path, sizeof(lab->trafgen_path),
			 "%s/../../tools/trafgen", VR_YANG_DIR);
	return 0;
}

int
lab_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "console", required_argument, NULL, 'c' },
		{ "no-ssh", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab *lab;
	const char *console = NULL;
	char dir[256], err[768];
	bool ssh = true;
	int c, ret = 2;

	default_dir(dir, sizeof(dir));
	optind = 1;
	/* "+": options end at the first word, so "fault L1 ..." keeps its own. */
	while ((c = getopt_long(argc, argv, "+d:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		case 'c':
			console = optarg;
			break;
		case 'S':
			ssh = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (is_control_word(argv[optind]))
		return run_client(dir, argc - optind, argv + optind);
	if (optind + 1 != argc) {
		fprintf(stderr, "vrouter lab: unexpected argument '%s'\n",
			argv[optind + 1]);
		return 2;
	}
	lab = calloc(1, sizeof(*lab));
	if (lab == NULL)
		return 1;
	lab->ctl_fd = lab->sig_fd = -1;
	lab->ssh = ssh;
	snprintf(lab->dir, sizeof(lab->dir), "%s", dir);
	if (lab_parse(lab, argv[optind], err, sizeof(err)) < 0) {
		fprintf(stderr, "vrouter lab: %s\n", err);
		goto out;
	}
	if (console != NULL) {
		lab->console = lab_router_index(lab, console);
		if (lab->console < 0) {
			fprintf(stderr, "vrouter lab: --console %s: no such "
				"router in %s\n", console, argv[optind]);
			goto out;
		}
	}
	if (lab->console >= 0)
		lab->routers[lab->console].console = true;
	if (find_programs(lab) < 0)
		goto out;
	ret = run_lab(lab);
out:
	lab_free(lab);
	free(lab);
	return ret;
}
