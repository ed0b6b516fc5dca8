/*
 * The control commands of a running lab, received on its control socket:
 * fault, clear, status, reload and stop. docs/labs.md lists them.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/lab.h"

#define MAX_WORDS	16
#define NS_PER_SEC	1000000000ULL

static int __attribute__((format(printf, 2, 3)))
reject(FILE *out, const char *fmt, ...)
{
	va_list ap;

	fputs("% ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return -1;
}

static const char *
state_name(const struct lab_router *r)
{
	switch (r->state) {
	case LAB_ROUTER_STOPPED:
		return "stopped";
	case LAB_ROUTER_STARTING:
		return "starting";
	case LAB_ROUTER_RUNNING:
		return "running";
	case LAB_ROUTER_CRASHED:
		return "crashed";
	}
	return "?";
}

/* Appends " (N s left)" for a fault that ends at UNTIL. */
static void
print_left(FILE *out, uint64_t until, uint64_t now)
{
	if (until > now)
		fprintf(out, " (%.1f s left)",
			(double)(until - now) / NS_PER_SEC);
}

static void
print_faults(const struct lab_link *k, uint64_t now, FILE *out)
{
	const struct lab_fault *f = &k->fault;
	bool any = false;

	if (f->cut) {
		fprintf(out, " cut");
		print_left(out, f->cut_until, now);
		any = true;
	}
	if (f->loss_pct > 0) {
		fprintf(out, " loss %u%%", f->loss_pct);
		print_left(out, f->loss_until, now);
		any = true;
	}
	if (f->delay_ms > 0 || f->jitter_ms > 0) {
		fprintf(out, " delay %u ms jitter %u ms", f->delay_ms,
			f->jitter_ms);
		print_left(out, f->delay_until, now);
		any = true;
	}
	if (f->corrupt_pct > 0) {
		fprintf(out, " corrupt %u%%", f->corrupt_pct);
		print_left(out, f->corrupt_until, now);
		any = true;
	}
	if (f->drop) {
		fprintf(out, " drop %s", f->drop_text);
		print_left(out, f->drop_until, now);
		any = true;
	}
	if (!any)
		fprintf(out, " none");
}

static void
print_end(const struct lab *lab, const struct lab_link *k, int e, FILE *out)
{
	char text[LAB_NAME_LEN + LAB_IFNAME_LEN + 16];
	char addr[INET_ADDRSTRLEN];

	if (k->router[e] >= 0) {
		snprintf(text, sizeof(text), "%s:%s",
			 lab->routers[k->router[e]].name, k->ifname[e]);
	} else if (k->remote) {
		inet_ntop(AF_INET, &k->peer[1].sin_addr, addr, sizeof(addr));
		snprintf(text, sizeof(text), "remote %s:%u", addr,
			 ntohs(k->peer[1].sin_port));
	} else {
		snprintf(text, sizeof(text), "host 127.0.0.1:%u",
			 k->lab_port[e]);
	}
	fprintf(out, "%-28s", text);
}

static void
print_stats(const struct lab_link_stats *s, const char *dir, FILE *out)
{
	fprintf(out, "  %s relayed %llu lost %llu cut %llu filtered %llu "
		"corrupted %llu delayed %llu overflow %llu unattached %llu\n",
		dir, (unsigned long long)s->relayed,
		(unsigned long long)s->lost, (unsigned long long)s->cut,
		(unsigned long long)s->filtered,
		(unsigned long long)s->corrupted,
		(unsigned long long)s->delayed,
		(unsigned long long)s->overflow,
		(unsigned long long)s->no_peer);
}

void
lab_print_status(const struct lab *lab, uint64_t now, FILE *out)
{
	fprintf(out, "Lab %s, work directory %s, up %.1f s\n\n", lab->file,
		lab->dir, (double)(now - lab->started_ns) / NS_PER_SEC);
	fprintf(out, "%-12s %-9s %-8s %-7s %-7s %-8s %s\n", "Router", "State",
		"PID", "Telnet", "SSH", "Restarts", "Startup-config");
	for (int i = 0; i < lab->nrouters; i++) {
		const struct lab_router *r = &lab->routers[i];
		char ssh[16] = "-";

		if (r->ssh_port != 0)
			snprintf(ssh, sizeof(ssh), "%u", r->ssh_port);
		fprintf(out, "%-12s %-9s %-8d %-7u %-7s %-8u %s%s\n", r->name,
			state_name(r), (int)r->pid, r->telnet_port, ssh,
			r->restarts, r->startup,
			r->console ? " (console)" : "");
		if (r->state == LAB_ROUTER_CRASHED) {
			if (WIFSIGNALED(r->last_status))
				fprintf(out, "  killed by signal %d (%s)\n",
					WTERMSIG(r->last_status),
					strsignal(WTERMSIG(r->last_status)));
			else
				fprintf(out, "  exit status %d\n",
					WEXITSTATUS(r->last_status));
		}
	}
	fprintf(out, "\n%-12s %-28s %-28s %s\n", "Link", "End A", "End B",
		"Faults");
	for (int i = 0; i < lab->nlinks; i++) {
		const struct lab_link *k = &lab->links[i];

		fprintf(out, "%-12s ", k->name);
		print_end(lab, k, 0, out);
		fputc(' ', out);
		print_end(lab, k, 1, out);
		print_faults(k, now, out);
		fputc('\n', out);
		print_stats(&k->stats[0], "A->B", out);
		print_stats(&k->stats[1], "B->A", out);
	}
	for (int i = 0; i < lab->ntuns; i++) {
		const struct lab_tun *t = &lab->tuns[i];

		fprintf(out, "tun %s:%s %s%s%s\n",
			lab->routers[t->router].name, t->ifname, t->dev,
			t->netns[0] != '\0' ? " netns " : "", t->netns);
	}
	for (int i = 0; i < lab->ntrafgens; i++) {
		const struct lab_trafgen *g = &lab->trafgens[i];

		fprintf(out, "trafgen on %s: pid %d, output in %s\n",
			lab->links[g->link].name, (int)g->pid, g->log);
	}
}

static int
parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long n;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	n = strtoul(s, &end, 10);
	if (*end != '\0' || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/*
 * Takes a trailing "for SECONDS" off WORDS and returns the end time, 0
 * for none, or 1 (never a valid end time) on a bad value.
 */
static uint64_t
parse_for(char **words, int *n, uint64_t now, FILE *out)
{
	unsigned secs;

	if (*n < 2 || strcmp(words[*n - 2], "for") != 0)
		return 0;
	if (parse_uint(words[*n - 1], 86400, &secs) < 0 || secs == 0) {
		reject(out, "invalid duration \"%s\": expected 1-86400 "
		       "seconds", words[*n - 1]);
		return 1;
	}
	*n -= 2;
	return now + (uint64_t)secs * NS_PER_SEC;
}

static int
fault_percent(char **w, int n, unsigned *pct, uint64_t *until_field,
	      uint64_t until, FILE *out)
{
	if (n != 4 || parse_uint(w[3], 100, pct) < 0)
		return reject(out, "invalid percentage \"%s\": expected 0-100",
			      n > 3 ? w[3] : "");
	*until_field = until;
	return 0;
}

static int
fault_delay(struct lab_fault *f, char **w, int n, uint64_t until, FILE *out)
{
	unsigned delay, jitter = 0;

	if ((n != 4 && n != 6) || parse_uint(w[3], 60000, &delay) < 0)
		return reject(out, "expected: delay MS [jitter MS] with MS "
			      "0-60000");
	if (n == 6 && (strcmp(w[4], "jitter") != 0 ||
		       parse_uint(w[5], 60000, &jitter) < 0))
		return reject(out, "expected \"jitter MS\" with MS 0-60000, "
			      "not \"%s\"", w[4]);
	f->delay_ms = delay;
	f->jitter_ms = jitter;
	f->delay_until = until;
	return 0;
}

static int
fault_drop(struct lab_fault *f, char **w, int n, uint64_t until, FILE *out)
{
	const char *text;
	char err[160];

	if (n == 4 && (strcmp(w[3], "ike") == 0 || strcmp(w[3], "esp") == 0))
		text = w[3];
	else if (n == 5 && strcmp(w[3], "expr") == 0)
		text = w[4];
	else
		return reject(out, "expected: drop ike | drop esp | drop expr "
			      "\"EXPRESSION\"");
	if (lab_match_parse(&f->drop_match, text, err, sizeof(err)) < 0)
		return reject(out, "invalid expression: %s", err);
	snprintf(f->drop_text, sizeof(f->drop_text), "%s%s%s",
		 n == 5 ? "expr \"" : "", text, n == 5 ? "\"" : "");
	f->drop = true;
	f->drop_until = until;
	return 0;
}

/* fault LINK KIND ... [for SECONDS] */
static int
cmd_fault(struct lab *lab, char **w, int n, uint64_t now, FILE *out)
{
	struct lab_link *k;
	struct lab_fault *f;
	uint64_t until;
	int i, rc;

	if (n < 3)
		return reject(out, "expected: fault LINK loss PCT | delay MS "
			      "[jitter MS] | corrupt PCT | cut | drop "
			      "ike|esp|expr \"...\" [for SECONDS]");
	i = lab_link_index(lab, w[1]);
	if (i < 0)
		return reject(out, "no link or host \"%s\" in this lab", w[1]);
	k = &lab->links[i];
	f = &k->fault;
	until = parse_for(w, &n, now, out);
	if (until == 1)
		return -1;
	if (strcmp(w[2], "loss") == 0)
		rc = fault_percent(w, n, &f->loss_pct, &f->loss_until, until,
				   out);
	else if (strcmp(w[2], "corrupt") == 0)
		rc = fault_percent(w, n, &f->corrupt_pct, &f->corrupt_until,
				   until, out);
	else if (strcmp(w[2], "delay") == 0)
		rc = fault_delay(f, w, n, until, out);
	else if (strcmp(w[2], "drop") == 0)
		rc = fault_drop(f, w, n, until, out);
	else if (strcmp(w[2], "cut") == 0 && n == 3) {
		f->cut = true;
		f->cut_until = until;
		rc = 0;
	} else
		return reject(out, "unknown fault \"%s\": expected loss, delay, "
			      "corrupt, cut or drop", w[2]);
	if (rc == 0) {
		fprintf(out, "%s:", k->name);
		print_faults(k, now, out);
		fputc('\n', out);
	}
	return rc;
}

static void
clear_link(struct lab_link *k)
{
	memset(&k->fault, 0, sizeof(k->fault));
	/* Frames already delayed still arrive, late, as on a real path. */
}

static int
cmd_clear(struct lab *lab, char **w, int n, FILE *out)
{
	int i;

	if (n != 2)
		return reject(out, "expected: clear LINK | clear all");
	if (strcmp(w[1], "all") == 0) {
		for (i = 0; i < lab->nlinks; i++)
			clear_link(&lab->links[i]);
		fprintf(out, "faults cleared on all links\n");
		return 0;
	}
	i = lab_link_index(lab, w[1]);
	if (i < 0)
		return reject(out, "no link or host \"%s\" in this lab", w[1]);
	clear_link(&lab->links[i]);
	fprintf(out, "faults cleared on %s\n", w[1]);
	return 0;
}

static int
cmd_reload(struct lab *lab, char **w, int n, FILE *out)
{
	struct lab_router *r;
	int i;

	if (n != 2)
		return reject(out, "expected: reload ROUTER");
	i = lab_router_index(lab, w[1]);
	if (i < 0)
		return reject(out, "no router \"%s\" in this lab", w[1]);
	r = &lab->routers[i];
	if (r->console)
		return reject(out, "%s is on the console; reload it from "
			      "there", r->name);
	r->restart = true;
	if (r->pid > 0) {
		/* SIGTERM lets the router free what it holds; the lab
		 * starts it again once it has exited. */
		kill(r->pid, SIGTERM);
		fprintf(out, "%s: reloading (pid %d)\n", r->name, (int)r->pid);
	} else {
		fprintf(out, "%s: starting\n", r->name);
	}
	return 0;
}

int
lab_control(struct lab *lab, const char *line, uint64_t now, FILE *out)
{
	char buf[512], *w[MAX_WORDS];
	int n;

	if (strlen(line) >= sizeof(buf))
		return reject(out, "command too long");
	strcpy(buf, line);
	n = lab_split(buf, w, MAX_WORDS);
	if (n == -1)
		return reject(out, "too many words (at most %d)",
			      MAX_WORDS);
	if (n == -2)
		return reject(out, "missing closing quote");
	if (n == 0)
		return reject(out, "empty command");
	if (strcmp(w[0], "status") == 0 && n == 1) {
		lab_print_status(lab, now, out);
		return 0;
	}
	if (strcmp(w[0], "stop") == 0 && n == 1) {
		lab->stopping = true;
		fprintf(out, "stopping the lab\n");
		return 0;
	}
	if (strcmp(w[0], "fault") == 0)
		return cmd_fault(lab, w, n, now, out);
	if (strcmp(w[0], "clear") == 0)
		return cmd_clear(lab, w, n, out);
	if (strcmp(w[0], "reload") == 0)
		return cmd_reload(lab, w, n, out);
	return reject(out, "unknown command \"%s\": expected status, fault, "
		      "clear, reload or stop", w[0]);
}
