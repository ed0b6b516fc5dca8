/*
 * The vrouter process: parses the command line, starts the parts of one
 * router in dependency order, runs the console or waits for a signal, and
 * stops the parts in reverse order.
 */
#define _GNU_SOURCE		/* close_range */
#include "cli/command.h"
#include "cli/cmd_eem.h"
#include "cli/config_load.h"
#include "cli/console.h"
#include "cli/cmd_config.h"
#include "cli/ssh.h"
#include "cli/telnet.h"
#include "core/config.h"
#include "core/lab.h"
#include "core/log.h"
#include "core/router.h"
#include "datapath/datapath.h"
#include "ikemgr/ikemgr.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VROUTER_VERSION
#define VROUTER_VERSION "0.1"
#endif

#define DEFAULT_TELNET_ADDR "127.0.0.1"
#define DEFAULT_TELNET_PORT 2323
#define MAX_ATTACHMENTS 32

/* One --replay IFNAME=FILE or --wire IFNAME=LOCAL,REMOTE argument. */
struct attachment {
	char ifname[32];
	char *path;		/* --replay: capture file */
	char *local;		/* --wire: ADDR:PORT to listen on */
	char *remote;		/* --wire: ADDR:PORT to send to; NULL for --tun */
};

struct options {
	const char *config_path;
	bool config_given;	/* --config was used, so saves may write it */
	bool telnet;
	char telnet_addr[64];
	unsigned telnet_port;
	bool ssh;
	char ssh_addr[64];
	unsigned ssh_port;
	bool console;
	struct attachment replays[MAX_ATTACHMENTS];
	int nreplays;
	struct attachment wires[MAX_ATTACHMENTS];
	int nwires;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: vrouter [--config FILE] [--telnet [ADDR:]PORT | --no-telnet]\n"
		"               [--replay IFNAME=FILE.pcap]... [--wire IFNAME=LOCALADDR:PORT,REMOTEADDR:PORT]...\n"
		"               [--tun IFNAME=TUNDEV]... [--no-console] [--help] [--version]\n"
		"       vrouter lab [OPTIONS] FILE | CMD ...   (see vrouter lab --help)\n"
		"\n"
		"  -c, --config FILE     startup-config to load and `write memory` to;\n"
		"                        without it %s is loaded\n"
		"                        and saving is refused\n"
		"  -t, --telnet [ADDR:]PORT\n"
		"                        telnet listener (default %s:%u; without ADDR\n"
		"                        it listens on %s only; IPv6 as [ADDR]:PORT)\n"
		"      --no-telnet       run without a telnet listener\n"
		"  -s, --ssh [ADDR:]PORT SSH listener (none by default; without ADDR it\n"
		"                        listens on %s only); host keys are kept\n"
		"                        beside the startup-config\n"
		"  -r, --replay IFNAME=FILE\n"
		"                        feed a pcap capture into IFNAME's ingress once\n"
		"                        the router has started (repeatable)\n"
		"  -w, --wire IFNAME=LOCALADDR:PORT,REMOTEADDR:PORT\n"
		"                        carry IFNAME's packets over UDP to another\n"
		"                        router process (repeatable)\n"
		"  -u, --tun IFNAME=TUNDEV\n"
		"                        exchange IFNAME's packets with Linux through\n"
		"                        the TUN device TUNDEV, created if missing\n"
		"                        (repeatable; needs CAP_NET_ADMIN)\n"
		"  -n, --no-console      no console on stdin; run until SIGTERM or SIGINT\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n",
		VR_DEFAULT_CONFIG, DEFAULT_TELNET_ADDR, DEFAULT_TELNET_PORT,
		DEFAULT_TELNET_ADDR, DEFAULT_TELNET_ADDR);
}

/* Parses a port number 0-65535; 0 lets the kernel pick a free port. */
static bool
parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long n;

	if (*s == '\0')
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > 65535 || *s == '-')
		return false;
	*port = (unsigned)n;
	return true;
}

/* Parses --telnet's or --ssh's "PORT", "ADDR:PORT" or "[ADDR6]:PORT". */
static bool
parse_listen(const char *arg, char *out_addr, size_t out_len, unsigned *out_port)
{
	const char *colon, *port = arg;
	size_t addr_len = 0;
	const char *addr = DEFAULT_TELNET_ADDR;

	if (arg[0] == '[') {
		colon = strstr(arg, "]:");
		if (colon == NULL)
			return false;
		addr = arg + 1;
		addr_len = (size_t)(colon - addr);
		port = colon + 2;
	} else if ((colon = strrchr(arg, ':')) != NULL) {
		if (strchr(arg, ':') != colon)
			return false;	/* a bare IPv6 address needs [] */
		addr = arg;
		addr_len = (size_t)(colon - arg);
		port = colon + 1;
	} else {
		addr_len = strlen(addr);
	}
	if (addr_len == 0 || addr_len >= out_len)
		return false;
	memcpy(out_addr, addr, addr_len);
	out_addr[addr_len] = '\0';
	return parse_port(port, out_port);
}

static bool
parse_telnet(struct options *o, const char *arg)
{
	o->telnet = parse_listen(arg, o->telnet_addr, sizeof(o->telnet_addr),
				 &o->telnet_port);
	return o->telnet;
}

/*
 * Splits "IFNAME=VALUE" into A's interface name and returns VALUE, or
 * NULL when the form is wrong.
 */
static char *
split_ifname(struct attachment *a, char *arg)
{
	char *eq = strchr(arg, '=');
	size_t len;

	if (eq == NULL || eq == arg || eq[1] == '\0')
		return NULL;
	len = (size_t)(eq - arg);
	if (len >= sizeof(a->ifname))
		return NULL;
	memcpy(a->ifname, arg, len);
	a->ifname[len] = '\0';
	return eq + 1;
}

static bool
parse_replay(struct options *o, char *arg)
{
	struct attachment *a;

	if (o->nreplays == MAX_ATTACHMENTS)
		return false;
	a = &o->replays[o->nreplays];
	a->path = split_ifname(a, arg);
	if (a->path == NULL)
		return false;
	o->nreplays++;
	return true;
}

static bool
parse_wire(struct options *o, char *arg)
{
	struct attachment *a;
	char *comma;

	if (o->nwires == MAX_ATTACHMENTS)
		return false;
	a = &o->wires[o->nwires];
	a->local = split_ifname(a, arg);
	if (a->local == NULL)
		return false;
	comma = strchr(a->local, ',');
	if (comma == NULL || comma == a->local || comma[1] == '\0')
		return false;
	*comma = '\0';
	a->remote = comma + 1;
	o->nwires++;
	return true;
}

/* Fills O from ARGV. Returns -1 to exit 0 (help, version), 1 on error. */
static int
parse_options(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "telnet", required_argument, NULL, 't' },
		{ "no-telnet", no_argument, NULL, 'T' },
		{ "ssh", required_argument, NULL, 's' },
		{ "replay", required_argument, NULL, 'r' },
		{ "wire", required_argument, NULL, 'w' },
		{ "tun", required_argument, NULL, 'u' },
		{ "no-console", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){
		.config_path = VR_DEFAULT_CONFIG,
		.telnet = true,
		.telnet_addr = DEFAULT_TELNET_ADDR,
		.telnet_port = DEFAULT_TELNET_PORT,
		.console = true,
	};
	while ((c = getopt_long(argc, argv, "c:t:s:r:w:u:nhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			o->config_given = true;
			break;
		case 't':
			if (!parse_telnet(o, optarg)) {
				fprintf(stderr, "vrouter: invalid --telnet '%s': expected PORT, ADDR:PORT or [ADDR6]:PORT with PORT 0-65535\n",
					optarg);
				return 1;
			}
			break;
		case 'T':
			o->telnet = false;
			break;
		case 's':
			o->ssh = parse_listen(optarg, o->ssh_addr,
					      sizeof(o->ssh_addr), &o->ssh_port);
			if (!o->ssh) {
				fprintf(stderr, "vrouter: invalid --ssh '%s': expected PORT, ADDR:PORT or [ADDR6]:PORT with PORT 0-65535\n",
					optarg);
				return 1;
			}
			break;
		case 'r':
			if (!parse_replay(o, optarg)) {
				fprintf(stderr, "vrouter: invalid --replay '%s': expected IFNAME=FILE (at most %d)\n",
					optarg, MAX_ATTACHMENTS);
				return 1;
			}
			break;
		case 'w':
			if (!parse_wire(o, optarg)) {
				fprintf(stderr, "vrouter: invalid --wire '%s': expected IFNAME=LOCALADDR:PORT,REMOTEADDR:PORT (at most %d)\n",
					optarg, MAX_ATTACHMENTS);
				return 1;
			}
			break;
		case 'u':
			if (o->nwires == MAX_ATTACHMENTS ||
			    (o->wires[o->nwires].local =
			     split_ifname(&o->wires[o->nwires], optarg)) ==
			    NULL) {
				fprintf(stderr, "vrouter: invalid --tun '%s': expected IFNAME=TUNDEV (at most %d)\n",
					optarg, MAX_ATTACHMENTS);
				return 1;
			}
			o->wires[o->nwires++].remote = NULL;
			break;
		case 'n':
			o->console = false;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("vrouter %s\n", VROUTER_VERSION);
			return -1;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vrouter: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 1;
	}
	return 0;
}

/*
 * Creates the datapath and the IKE manager, connects them to each other
 * and to the config store, and starts their threads.
 */
static int
start_parts(struct router *r)
{
	r->dp = dp_create();
	r->ike = ike_create();
	if (r->dp == NULL || r->ike == NULL) {
		fprintf(stderr, "vrouter: cannot create the datapath or the IKE manager: out of memory\n");
		return -1;
	}
	dp_set_invalid_spi_sink(r->dp, ike_post_invalid_spi, r->ike);
	dp_set_sa_event_sink(r->dp, ike_post_sa_event, r->ike);
	dp_set_ike_sink(r->dp, ike_post_packet, r->ike);
	dp_set_acquire_sink(r->dp, ike_post_acquire, r->ike);
	ike_set_dp(r->ike, r->dp);
	if (cfg_subscribe(r->cfg, dp_config_apply, r->dp) < 0 ||
	    cfg_subscribe(r->cfg, ike_config_apply, r->ike) < 0) {
		fprintf(stderr, "vrouter: cannot subscribe to config changes\n");
		return -1;
	}
	if (ike_start(r->ike) < 0 || dp_start(r->dp) < 0) {
		fprintf(stderr, "vrouter: cannot start the datapath or IKE threads: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static int
attach_wires(struct router *r, const struct options *o)
{
	char err[256];
	int i;

	for (i = 0; i < o->nwires; i++) {
		const struct attachment *a = &o->wires[i];

		if (a->remote == NULL) {
			if (dp_tun_attach(r->dp, a->ifname, a->local, err,
					  sizeof(err)) < 0) {
				fprintf(stderr, "vrouter: --tun %s=%s failed: %s\n",
					a->ifname, a->local, err);
				return -1;
			}
			continue;
		}
		if (dp_wire_attach(r->dp, a->ifname, a->local, a->remote, err,
				   sizeof(err)) < 0) {
			fprintf(stderr, "vrouter: --wire %s=%s,%s failed: %s\n",
				a->ifname, a->local, a->remote, err);
			return -1;
		}
	}
	return 0;
}

/*
 * Expands NAME as IOS does ("gi1" to "GigabitEthernet1") into OUT and
 * returns true when the running config has that interface.
 */
static bool
configured_interface(struct router *r, const char *name, char *out,
		     size_t len)
{
	return cc_ifname(name, NULL, out, len) &&
	       cc_interface_exists(r->cfg, out);
}

static int
queue_replays(struct router *r, const struct options *o)
{
	char err[256];
	int i;

	for (i = 0; i < o->nreplays; i++) {
		const struct attachment *a = &o->replays[i];
		char ifname[64];

		if (!configured_interface(r, a->ifname, ifname,
					  sizeof(ifname))) {
			fprintf(stderr, "vrouter: --replay %s=%s failed: "
				"interface %s is not in the config\n",
				a->ifname, a->path, a->ifname);
			return -1;
		}
		if (dp_replay(r->dp, ifname, a->path, err,
			      sizeof(err)) < 0) {
			fprintf(stderr, "vrouter: --replay %s=%s failed: %s\n",
				a->ifname, a->path, err);
			return -1;
		}
	}
	return 0;
}

/* Prints the start-up summary line to stderr. */
static void
print_summary(const struct options *o, int rejected)
{
	char telnet[192];

	if (!o->telnet)
		snprintf(telnet, sizeof(telnet), "no telnet");
	else if (strchr(o->telnet_addr, ':') != NULL)
		snprintf(telnet, sizeof(telnet), "telnet [%s]:%u",
			 o->telnet_addr, vty_telnet_port());
	else
		snprintf(telnet, sizeof(telnet), "telnet %s:%u",
			 o->telnet_addr, vty_telnet_port());

	if (o->ssh) {
		size_t used = strlen(telnet);

		snprintf(telnet + used, sizeof(telnet) - used,
			 strchr(o->ssh_addr, ':') ? ", ssh [%s]:%u" :
						    ", ssh %s:%u",
			 o->ssh_addr, vty_ssh_port());
	}
	if (rejected < 0)
		fprintf(stderr, "vrouter: started, %s, config %s not loaded\n",
			telnet, o->config_path);
	else
		fprintf(stderr, "vrouter: started, %s, config %s (%d line%s rejected)\n",
			telnet, o->config_path, rejected,
			rejected == 1 ? "" : "s");
}

/* Starts the SSH server, with its host keys beside the startup-config. */
static int
start_ssh(struct router *r, const struct options *o)
{
	char *copy = strdup(o->config_path);
	char err[256];
	int rc;

	if (copy == NULL)
		return -1;
	rc = vty_ssh_start(r, o->ssh_addr, o->ssh_port, dirname(copy), err,
			   sizeof(err));
	if (rc < 0)
		fprintf(stderr, "vrouter: cannot listen for SSH on %s port %u: %s (pick another with --ssh)\n",
			o->ssh_addr, o->ssh_port, err);
	free(copy);
	return rc;
}

/* Stops and frees every part that R holds, newest first. */
static void
stop_parts(struct router *r, bool telnet_started)
{
	if (telnet_started)
		vty_telnet_stop();
	vty_ssh_stop();
	/* Applets run CLI commands that reach the IKE manager and datapath. */
	cmd_eem_stop(r);
	/*
	 * The IKE manager stops first: it waits on the datapath when it
	 * installs SAs, and the datapath only queues to it.
	 */
	if (r->ike != NULL)
		ike_stop(r->ike);
	if (r->dp != NULL)
		dp_stop(r->dp);
	dp_destroy(r->dp);
	ike_destroy(r->ike);
	r->dp = NULL;
	r->ike = NULL;
	cmd_free_all();
	cfg_destroy(r->cfg);
	r->cfg = NULL;
}

/* Formats ADDR and PORT as --telnet and --ssh take them. */
static void
format_listen(char *buf, size_t len, const char *addr, unsigned port)
{
	snprintf(buf, len, strchr(addr, ':') != NULL ? "[%s]:%u" : "%s:%u",
		 addr, port);
}

/*
 * Runs this binary again with ARGS after `reload`, keeping the PID so a
 * lab or a service manager sees the same process come back. A listener
 * whose port the kernel picked (port 0) is given the port it had, so
 * sessions reconnect to the same port, as after a reload of a real
 * router. TELNET_PORT and SSH_PORT are the ports in use, 0 for none.
 * Descriptors beyond stdio are closed first so the listeners can bind
 * again.
 */
static void
reexec(char **args, const struct options *o, unsigned telnet_port,
       unsigned ssh_port)
{
	static char telnet_opt[] = "--telnet", ssh_opt[] = "--ssh";
	char telnet[sizeof(o->telnet_addr) + 16];
	char ssh[sizeof(o->ssh_addr) + 16];
	char path[4096];
	char **argv;
	ssize_t len;
	size_t n = 0;

	while (args[n] != NULL)
		n++;
	argv = calloc(n + 5, sizeof(*argv));
	if (argv == NULL) {
		fprintf(stderr, "vrouter: reload failed: out of memory\n");
		return;
	}
	memcpy(argv, args, n * sizeof(*argv));
	/* A later --telnet or --ssh replaces an earlier one. */
	if (o->telnet_port == 0 && telnet_port != 0) {
		format_listen(telnet, sizeof(telnet), o->telnet_addr,
			      telnet_port);
		argv[n++] = telnet_opt;
		argv[n++] = telnet;
	}
	if (o->ssh && o->ssh_port == 0 && ssh_port != 0) {
		format_listen(ssh, sizeof(ssh), o->ssh_addr, ssh_port);
		argv[n++] = ssh_opt;
		argv[n++] = ssh;
	}
	/* The binary's own path, so ps names the process as before, not
	 * "exe"; /proc/self/exe when the path cannot be read. */
	len = readlink("/proc/self/exe", path, sizeof(path) - 1);
	path[len > 0 ? len : 0] = '\0';
	if (len <= 0 || access(path, X_OK) != 0)
		snprintf(path, sizeof(path), "/proc/self/exe");
	close_range(3, ~0U, 0);
	execv(path, argv);
	fprintf(stderr, "vrouter: reload failed: %s\n", strerror(errno));
	free(argv);
}

static void
free_args(char **args)
{
	for (size_t i = 0; args[i] != NULL; i++)
		free(args[i]);
	free(args);
}

/* Returns a NULL-terminated deep copy of ARGV, or NULL. */
static char **
copy_args(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 1, sizeof(*args));

	if (args == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		args[i] = strdup(argv[i]);
		if (args[i] == NULL) {
			free_args(args);
			return NULL;
		}
	}
	return args;
}

int
main(int argc, char **argv)
{
	char **args = NULL, *saved;
	struct options o;
	struct router r;
	char err[256];
	bool telnet_started = false, reload;
	unsigned telnet_port, ssh_port;
	int rejected, ret = 1;

	if (argc > 1 && strcmp(argv[1], "lab") == 0)
		return lab_main(argc - 1, argv + 1);
	/*
	 * getopt_long() reorders argv, and the option parsers split --wire
	 * and --replay values in place. `reload` runs the binary again with
	 * copies of the arguments as given.
	 */
	args = copy_args(argc, argv);
	if (args == NULL) {
		fprintf(stderr, "vrouter: out of memory\n");
		return 1;
	}
	switch (parse_options(&o, argc, argv)) {
	case -1:
		free_args(args);
		return 0;
	case 1:
		free_args(args);
		return 2;
	}

	/*
	 * Without --config the shipped default is loaded but never written:
	 * `write memory` must not edit a file of the source tree.
	 */
	if (router_init(&r, o.config_given ? o.config_path : NULL) < 0) {
		fprintf(stderr, "vrouter: cannot set up signal handling: %s\n",
			strerror(errno));
		return 1;
	}
	log_init(LOG_DEFAULT_BUFFER_SIZE);
	if (router_watch_signals(&r) < 0) {
		fprintf(stderr, "vrouter: cannot start the signal thread: %s\n",
			strerror(errno));
		goto out;
	}

	r.cfg = cfg_create(VR_YANG_DIR);
	if (r.cfg == NULL) {
		fprintf(stderr, "vrouter: cannot load the YANG modules from %s\n",
			VR_YANG_DIR);
		goto out;
	}
	cmd_init_all();
	if (cfg_subscribe(r.cfg, log_config_apply, NULL) < 0) {
		fprintf(stderr, "vrouter: cannot subscribe the logger to config changes\n");
		goto out;
	}

	/* A missing or broken startup-config is reported, not fatal. */
	rejected = config_load_file(&r, o.config_path, stderr);
	if (rejected < 0 && access(o.config_path, F_OK) == 0)
		r.startup_config_unread = true;
	saved = cfg_render_ios(r.cfg);
	router_set_saved_config(&r, saved);
	cfg_text_free(saved);

	if (start_parts(&r) < 0 || cmd_eem_start(&r) < 0)
		goto out;
	if (o.telnet) {
		if (vty_telnet_start(&r, o.telnet_addr, o.telnet_port, err,
				     sizeof(err)) < 0) {
			fprintf(stderr, "vrouter: %s (pick another port with --telnet or use --no-telnet)\n",
				err);
			goto out;
		}
		telnet_started = true;
	}
	if (o.ssh && start_ssh(&r, &o) < 0)
		goto out;
	if (attach_wires(&r, &o) < 0 || queue_replays(&r, &o) < 0)
		goto out;

	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	print_summary(&o, rejected);

	if (o.console) {
		if (vty_console_run(&r) < 0)
			fprintf(stderr, "vrouter: the console could not start; running until SIGTERM or SIGINT\n");
		else
			router_request_stop(&r);
	}
	router_wait_stop(&r);
	ret = 0;
out:
	telnet_port = vty_telnet_port();
	ssh_port = vty_ssh_port();
	stop_parts(&r, telnet_started);
	reload = r.reload_requested;
	router_release(&r);
	log_shutdown();
	if (reload)
		reexec(args, &o, telnet_port, ssh_port);
	free_args(args);
	return ret;
}
