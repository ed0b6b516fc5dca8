/*
 * `ping` and `traceroute` as IOS XE prints them. The probes are built and
 * sent by the datapath thread (dp_probe_run()); this file parses the
 * options, waits for each reply or error in the session's thread and prints one
 * character (ping) or one field (traceroute) per probe as it completes.
 *
 * Options may come in any order and be abbreviated, as on IOS:
 *   ping A.B.C.D [repeat N] [size S] [timeout T] [source IF|A.B.C.D]
 *        [df-bit]
 *   traceroute A.B.C.D [source IF|A.B.C.D] [timeout T] [probe N]
 *        [ttl MIN MAX] [port P]
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_config.h"
#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"
#include "datapath/datapath.h"

#define MOD "/vrouter-config:"
#define PING_LINE 70		/* IOS wraps the !!!!! line here */

struct opts {
	uint32_t dst;
	uint32_t src;
	unsigned long repeat, size, timeout, probes, ttl_min, ttl_max, port;
	bool df;
};

/* Identifiers of successive pings, so late replies match nothing. */
static atomic_uint next_echo_id = 1;

/* Address of interface NAME from the running config, or 0. */
static uint32_t
if_address(struct vty *vty, const char *name)
{
	char xpath[160];
	const char *v;
	uint32_t a = 0;

	snprintf(xpath, sizeof(xpath),
		 MOD "interfaces/interface[name='%s']/ipv4/address", name);
	v = cfg_get_value(cfg_read_lock(vty->router->cfg), xpath);
	if (v != NULL && inet_pton(AF_INET, v, &a) != 1)
		a = 0;
	cfg_read_unlock(vty->router->cfg);
	return a;
}

/* True when ADDR is configured on one of our interfaces. */
static bool
own_address(struct vty *vty, uint32_t addr)
{
	const struct lyd_node *tree = cfg_read_lock(vty->router->cfg);
	char xpath[160], text[INET_ADDRSTRLEN];
	bool found;

	inet_ntop(AF_INET, &addr, text, sizeof(text));
	snprintf(xpath, sizeof(xpath), MOD "interfaces/interface[ipv4/"
		 "address='%s']/name", text);
	found = cfg_get_value(tree, xpath) != NULL;
	cfg_read_unlock(vty->router->cfg);
	return found;
}

static bool
number(const char *w, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (w == NULL || !isdigit((unsigned char)w[0]))
		return false;
	v = strtoul(w, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Option keywords, matched by unique prefix. */
static const char *const ping_words[] = {
	"df-bit", "repeat", "size", "source", "timeout", NULL,
};
static const char *const trace_words[] = {
	"port", "probe", "source", "timeout", "ttl", NULL,
};

static const char *
keyword(const char *w, const char *const *words, bool *ambiguous)
{
	const char *match = NULL;
	size_t n = strlen(w);

	*ambiguous = false;
	for (size_t i = 0; words[i] != NULL; i++) {
		if (strncasecmp(w, words[i], n) != 0)
			continue;
		if (strlen(words[i]) == n)
			return words[i];
		if (match != NULL)
			*ambiguous = true;
		match = words[i];
	}
	return *ambiguous ? NULL : match;
}

/* Reads "source IF" (one or two words) or "source A.B.C.D". */
static int
parse_source(struct vty *vty, char **w, int n, int i, struct opts *o)
{
	char ifname[64];
	uint32_t a;

	if (i >= n) {
		vty_out(vty, "%% Incomplete command.\n");
		return -1;
	}
	if (inet_pton(AF_INET, w[i], &a) == 1) {
		if (!own_address(vty, a)) {
			vty_out(vty, "%% Invalid source address- IP address "
				"not on any of our up interfaces\n");
			return -1;
		}
		o->src = a;
		return i + 1;
	}
	if (i + 1 < n && isdigit((unsigned char)w[i + 1][0]) &&
	    cc_ifname(w[i], w[i + 1], ifname, sizeof(ifname))) {
		i++;
	} else if (!cc_ifname(w[i], NULL, ifname, sizeof(ifname))) {
		vty_out(vty, "%% Invalid source interface - %s\n", w[i]);
		return -1;
	}
	o->src = if_address(vty, ifname);
	if (o->src == 0) {
		vty_out(vty, "%% Invalid source interface - IP not enabled "
			"or interface is down\n");
		return -1;
	}
	return i + 1;
}

/* Splits LINE into at most MAX words in place. */
static int
split(char *line, char **w, int max)
{
	int n = 0;

	for (char *t = strtok(line, " \t"); t != NULL && n < max;
	     t = strtok(NULL, " \t"))
		w[n++] = t;
	return n;
}

static int
parse_opts(struct vty *vty, const char *line, bool trace, struct opts *o)
{
	char buf[512];
	char *w[32];
	int n, i = 0;

	snprintf(buf, sizeof(buf), "%s", line != NULL ? line : "");
	n = split(buf, w, 32);
	while (i < n) {
		bool amb;
		const char *k = keyword(w[i], trace ? trace_words : ping_words,
					&amb);
		bool ok = true;

		if (k == NULL) {
			vty_out(vty, amb ? "%% Ambiguous command:  \"%s\"\n" :
				"%% Invalid input detected: \"%s\"\n", w[i]);
			return -1;
		}
		i++;
		if (strcmp(k, "df-bit") == 0) {
			o->df = true;
			continue;
		}
		if (strcmp(k, "source") == 0) {
			if ((i = parse_source(vty, w, n, i, o)) < 0)
				return -1;
			continue;
		}
		if (i >= n) {
			vty_out(vty, "%% Incomplete command.\n");
			return -1;
		}
		if (strcmp(k, "repeat") == 0)
			ok = number(w[i], 1, 2147483647, &o->repeat);
		else if (strcmp(k, "size") == 0)
			ok = number(w[i], 36, 18024, &o->size);
		else if (strcmp(k, "timeout") == 0)
			ok = number(w[i], 0, 3600, &o->timeout);
		else if (strcmp(k, "probe") == 0)
			ok = number(w[i], 1, 65535, &o->probes);
		else if (strcmp(k, "port") == 0)
			ok = number(w[i], 1, 65535, &o->port);
		else if (strcmp(k, "ttl") == 0)
			ok = number(w[i], 1, 255, &o->ttl_min) && i + 1 < n &&
			     number(w[++i], o->ttl_min, 255, &o->ttl_max);
		if (!ok) {
			vty_out(vty, "%% Invalid input detected: \"%s\"\n",
				w[i]);
			return -1;
		}
		i++;
	}
	return 0;
}

static struct dp *
datapath(struct vty *vty)
{
	if (vty->router == NULL || vty->router->dp == NULL ||
	    vty->router->cfg == NULL) {
		vty_out(vty, "%% The datapath is not running\n");
		return NULL;
	}
	return vty->router->dp;
}

static char
ping_char(const struct dp_probe_result *r)
{
	switch (r->status) {
	case DP_PROBE_REPLY:
		return '!';
	case DP_PROBE_TTL_EXCEEDED:
		return '&';
	case DP_PROBE_UNREACHABLE:
		return r->icmp_code == 4 ? 'M' : 'U';
	default:
		return '.';
	}
}

static enum cmd_result
cmd_ping(struct vty *vty, const struct cmd_args *args)
{
	struct opts o = { .repeat = 5, .size = 100, .timeout = 2 };
	struct dp *dp = datapath(vty);
	char dst[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];
	uint64_t min = UINT64_MAX, max = 0, sum = 0;
	unsigned long ok = 0, sent = 0;
	uint16_t id = (uint16_t)atomic_fetch_add(&next_echo_id, 1);

	if (dp == NULL)
		return CMD_ERROR;
	inet_pton(AF_INET, cmd_arg(args, "dst"), &o.dst);
	if (parse_opts(vty, cmd_arg(args, "opts"), false, &o) < 0)
		return CMD_WARNING;
	inet_ntop(AF_INET, &o.dst, dst, sizeof(dst));
	vty_out(vty, "Type escape sequence to abort.\n");
	vty_out(vty, "Sending %lu, %lu-byte ICMP Echos to %s, timeout is %lu "
		"seconds:\n", o.repeat, o.size, dst, o.timeout);
	if (o.src != 0) {
		inet_ntop(AF_INET, &o.src, src, sizeof(src));
		vty_out(vty, "Packet sent with a source address of %s \n", src);
	}
	if (o.df)
		vty_out(vty, "Packet sent with the DF bit set\n");
	vty_flush(vty);
	for (unsigned long i = 0; i < o.repeat; i++) {
		struct dp_probe p = {
			.kind = DP_PROBE_ECHO, .dst = o.dst, .src = o.src,
			.size = (uint16_t)o.size, .df = o.df, .id = id,
			.seq = (uint16_t)i,
		};
		struct dp_probe_result r;

		if (dp_probe_run(dp, &p, (uint32_t)o.timeout * 1000, &r) < 0)
			r.status = DP_PROBE_NOT_SENT;
		if (r.status == DP_PROBE_REPLY) {
			uint64_t ms = r.rtt_ns / 1000000;

			ok++;
			sum += ms;
			min = ms < min ? ms : min;
			max = ms > max ? ms : max;
		}
		sent++;
		vty_out(vty, "%c", ping_char(&r));
		if ((i + 1) % PING_LINE == 0 && i + 1 < o.repeat)
			vty_out(vty, "\n");
		vty_flush(vty);
		/* Ctrl-Shift-6 ends the ping; the summary counts what was sent. */
		if (vty->router->stopping || vty_break_requested(vty))
			break;
	}
	vty_out(vty, "\nSuccess rate is %lu percent (%lu/%lu)",
		sent > 0 ? ok * 100 / sent : 0, ok, sent);
	if (ok > 0)
		vty_out(vty, ", round-trip min/avg/max = %llu/%llu/%llu ms",
			(unsigned long long)min, (unsigned long long)(sum / ok),
			(unsigned long long)max);
	vty_out(vty, "\n");
	return CMD_SUCCESS;
}

/* The "!H"-style annotation IOS appends for an unreachable code. */
static const char *
unreach_mark(uint8_t code)
{
	switch (code) {
	case 0:
		return " !N";
	case 1:
		return " !H";
	case 2:
		return " !P";
	case 3:
		return "";
	case 13:
		return " !A";
	default:
		return " !U";
	}
}

static enum cmd_result
cmd_traceroute(struct vty *vty, const struct cmd_args *args)
{
	struct opts o = { .timeout = 3, .probes = 3, .ttl_min = 1,
			  .ttl_max = 30, .port = 33434 };
	struct dp *dp = datapath(vty);
	char text[INET_ADDRSTRLEN];
	bool done = false;
	uint16_t id = (uint16_t)atomic_fetch_add(&next_echo_id, 1);
	unsigned long port;

	if (dp == NULL)
		return CMD_ERROR;
	inet_pton(AF_INET, cmd_arg(args, "dst"), &o.dst);
	if (parse_opts(vty, cmd_arg(args, "opts"), true, &o) < 0)
		return CMD_WARNING;
	port = o.port;
	inet_ntop(AF_INET, &o.dst, text, sizeof(text));
	vty_out(vty, "Type escape sequence to abort.\n");
	vty_out(vty, "Tracing the route to %s\n", text);
	vty_out(vty, "VRF info: (vrf in name/id, vrf out name/id)\n");
	vty_flush(vty);
	for (unsigned long ttl = o.ttl_min; ttl <= o.ttl_max && !done; ttl++) {
		uint32_t last = 0;

		vty_out(vty, "%3lu", ttl);
		for (unsigned long k = 0; k < o.probes; k++) {
			struct dp_probe p = {
				.kind = DP_PROBE_UDP, .dst = o.dst,
				.src = o.src, .ttl = (uint8_t)ttl, .size = 28,
				.id = id, .dport = (uint16_t)port++,
			};
			struct dp_probe_result r;

			if (dp_probe_run(dp, &p, (uint32_t)o.timeout * 1000,
					 &r) < 0)
				r.status = DP_PROBE_NOT_SENT;
			if (r.status != DP_PROBE_TTL_EXCEEDED &&
			    r.status != DP_PROBE_UNREACHABLE &&
			    r.status != DP_PROBE_REPLY) {
				vty_out(vty, " *");
				vty_flush(vty);
				continue;
			}
			if (r.from != last) {
				inet_ntop(AF_INET, &r.from, text, sizeof(text));
				vty_out(vty, " %s", text);
				last = r.from;
			}
			vty_out(vty, " %llu msec",
				(unsigned long long)(r.rtt_ns / 1000000));
			if (r.status == DP_PROBE_UNREACHABLE) {
				vty_out(vty, "%s", unreach_mark(r.icmp_code));
				done = true;
			}
			vty_flush(vty);
		}
		vty_out(vty, "\n");
		vty_flush(vty);
		if (vty->router->stopping || vty_break_requested(vty))
			break;
	}
	return CMD_SUCCESS;
}

static const struct cmd_def ping_def = {
	.syntax = "ping A.B.C.D$dst [LINE$opts]",
	.help = "Send echo messages\n"
		"Ping destination address\n"
		"repeat N, size S, timeout T, source IF|A.B.C.D, df-bit",
	.fn = cmd_ping,
	.privilege = 1,
};

static const struct cmd_def traceroute_def = {
	.syntax = "traceroute A.B.C.D$dst [LINE$opts]",
	.help = "Trace route to destination\n"
		"Trace route to destination address\n"
		"source IF|A.B.C.D, timeout T, probe N, ttl MIN MAX, port P",
	.fn = cmd_traceroute,
	.privilege = 1,
};

void
cmd_ping_install(void)
{
	cmd_install(MODE_USER_EXEC, &ping_def);
	cmd_install(MODE_USER_EXEC, &traceroute_def);
}
