/*
 * The topology file of a lab: one statement a line, fields separated by
 * blanks, "#" starting a comment. docs/labs.md describes each statement.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lab.h"

#define MAX_FIELDS	(LAB_MAX_ARGS + 2)

/* One line being parsed, for error messages. */
struct line {
	const char *path;
	int lineno;
	int nfields;
	char *fields[MAX_FIELDS];
	char *err;
	size_t errlen;
};

static int
fail(struct line *l, int field, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (field < l->nfields)
		snprintf(l->err, l->errlen, "%s:%d: field %d \"%s\": %s",
			 l->path, l->lineno, field + 1, l->fields[field],
			 reason);
	else
		snprintf(l->err, l->errlen, "%s:%d: %s", l->path, l->lineno,
			 reason);
	return -1;
}

int
lab_split(char *text, char **fields, int max)
{
	char *p = text;
	int n = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n == max)
			return -1;
		if (*p == '"') {
			char *end = strchr(p + 1, '"');

			if (end == NULL)
				return -2;
			fields[n++] = p + 1;
			*end = '\0';
			p = end + 1;
			continue;
		}
		fields[n++] = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

static int
split(struct line *l, char *text)
{
	int n = lab_split(text, l->fields, MAX_FIELDS);

	if (n == -1) {
		l->nfields = MAX_FIELDS;
		return fail(l, MAX_FIELDS - 1, "too many fields (at most %d)",
			    MAX_FIELDS);
	}
	if (n == -2) {
		l->nfields = 0;
		return fail(l, 0, "missing closing quote");
	}
	l->nfields = n;
	return 0;
}

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= LAB_NAME_LEN || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return false;
	}
	return true;
}

static int
parse_port(struct line *l, int field, unsigned *port)
{
	char *end;
	long n;

	if (field >= l->nfields)
		return fail(l, field, "missing port number after \"%s\"",
			    l->fields[field - 1]);
	errno = 0;
	n = strtol(l->fields[field], &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > 65535)
		return fail(l, field, "invalid port: expected 1-65535");
	*port = (unsigned)n;
	return 0;
}

int
lab_router_index(const struct lab *lab, const char *name)
{
	for (int i = 0; i < lab->nrouters; i++) {
		if (strcmp(lab->routers[i].name, name) == 0)
			return i;
	}
	return -1;
}

int
lab_link_index(const struct lab *lab, const char *name)
{
	for (int i = 0; i < lab->nlinks; i++) {
		if (strcmp(lab->links[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* Returns true when ROUTER's IFNAME is already cabled or a TUN. */
static bool
interface_used(const struct lab *lab, int router, const char *ifname)
{
	for (int i = 0; i < lab->nlinks; i++) {
		for (int e = 0; e < 2; e++) {
			if (lab->links[i].router[e] == router &&
			    strcmp(lab->links[i].ifname[e], ifname) == 0)
				return true;
		}
	}
	for (int i = 0; i < lab->ntuns; i++) {
		if (lab->tuns[i].router == router &&
		    strcmp(lab->tuns[i].ifname, ifname) == 0)
			return true;
	}
	return false;
}

/* Parses field FIELD as ROUTER:IFNAME of a router already declared. */
static int
parse_end(struct lab *lab, struct line *l, int field, int *router,
	  char *ifname)
{
	char *colon;
	char name[LAB_NAME_LEN];
	size_t n;

	if (field >= l->nfields)
		return fail(l, field, "missing ROUTER:INTERFACE");
	colon = strchr(l->fields[field], ':');
	if (colon == NULL || colon == l->fields[field] || colon[1] == '\0')
		return fail(l, field, "expected ROUTER:INTERFACE");
	n = (size_t)(colon - l->fields[field]);
	if (n >= sizeof(name))
		return fail(l, field, "router name too long");
	memcpy(name, l->fields[field], n);
	name[n] = '\0';
	*router = lab_router_index(lab, name);
	if (*router < 0)
		return fail(l, field, "no router \"%s\" declared above", name);
	if (strlen(colon + 1) >= LAB_IFNAME_LEN)
		return fail(l, field, "interface name too long");
	if (interface_used(lab, *router, colon + 1))
		return fail(l, field, "interface already used by a link or tun");
	strcpy(ifname, colon + 1);
	return 0;
}

/* Returns 0 when NAME is free for a new router or link. */
static int
check_new_name(struct lab *lab, struct line *l, int field)
{
	const char *name = l->fields[field];

	if (!valid_name(name))
		return fail(l, field, "invalid name: expected a letter, then "
			    "letters, digits, - or _ (at most %d)",
			    LAB_NAME_LEN - 1);
	if (lab_router_index(lab, name) >= 0 ||
	    lab_link_index(lab, name) >= 0)
		return fail(l, field, "name already declared");
	return 0;
}

static int
parse_router(struct lab *lab, struct line *l)
{
	struct lab_router *r;
	struct stat st;
	char *copy, *dir;

	if (l->nfields < 3)
		return fail(l, l->nfields, "expected: router NAME CONFIG "
			    "[telnet PORT] [ssh PORT]");
	if (check_new_name(lab, l, 1) < 0)
		return -1;
	if (lab->nrouters == LAB_MAX_ROUTERS)
		return fail(l, 1, "too many routers (at most %d)",
			    LAB_MAX_ROUTERS);
	r = &lab->routers[lab->nrouters];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", l->fields[1]);
	r->err_fd = -1;
	r->line = l->lineno;
	if (l->fields[2][0] == '/') {
		snprintf(r->config, sizeof(r->config), "%s", l->fields[2]);
	} else {
		copy = strdup(l->path);
		if (copy == NULL)
			return fail(l, 2, "out of memory");
		dir = dirname(copy);
		snprintf(r->config, sizeof(r->config), "%s/%s", dir,
			 l->fields[2]);
		free(copy);
	}
	if (access(r->config, R_OK) < 0)
		return fail(l, 2, "cannot read config %s: %s", r->config,
			    strerror(errno));
	if (stat(r->config, &st) < 0)
		return fail(l, 2, "cannot read config %s: %s", r->config,
			    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(l, 2, "config %s is not a regular file",
			    r->config);
	if (st.st_size > LAB_MAX_CONFIG)
		return fail(l, 2, "config %s is larger than %ld MB",
			    r->config, LAB_MAX_CONFIG / (1024 * 1024));
	for (int f = 3; f < l->nfields; f += 2) {
		if (strcmp(l->fields[f], "telnet") == 0) {
			if (parse_port(l, f + 1, &r->telnet_port) < 0)
				return -1;
		} else if (strcmp(l->fields[f], "ssh") == 0) {
			if (parse_port(l, f + 1, &r->ssh_port) < 0)
				return -1;
		} else {
			return fail(l, f, "unknown keyword: expected telnet "
				    "or ssh");
		}
	}
	lab->nrouters++;
	return 0;
}

static struct lab_link *
new_link(struct lab *lab, struct line *l)
{
	struct lab_link *k;

	if (check_new_name(lab, l, 1) < 0)
		return NULL;
	if (lab->nlinks == LAB_MAX_LINKS) {
		fail(l, 1, "too many links and hosts (at most %d)",
		     LAB_MAX_LINKS);
		return NULL;
	}
	k = &lab->links[lab->nlinks];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", l->fields[1]);
	k->fd[0] = k->fd[1] = -1;
	k->router[0] = k->router[1] = -1;
	k->line = l->lineno;
	return k;
}

static int
parse_link(struct lab *lab, struct line *l)
{
	struct lab_link *k;

	if (l->nfields != 4)
		return fail(l, l->nfields < 4 ? l->nfields : 4,
			    "expected: link NAME ROUTER:INTERFACE "
			    "ROUTER:INTERFACE");
	k = new_link(lab, l);
	if (k == NULL || parse_end(lab, l, 2, &k->router[0],
				   k->ifname[0]) < 0)
		return -1;
	/* The first end counts as used while the second is checked. */
	lab->nlinks++;
	if (parse_end(lab, l, 3, &k->router[1], k->ifname[1]) < 0) {
		lab->nlinks--;
		return -1;
	}
	return 0;
}

static int
parse_host(struct lab *lab, struct line *l)
{
	struct lab_link *k;

	if (l->nfields != 3 && l->nfields != 5)
		return fail(l, l->nfields, "expected: host NAME "
			    "ROUTER:INTERFACE [port PORT]");
	k = new_link(lab, l);
	if (k == NULL || parse_end(lab, l, 2, &k->router[0],
				   k->ifname[0]) < 0)
		return -1;
	if (l->nfields == 5) {
		if (strcmp(l->fields[3], "port") != 0)
			return fail(l, 3, "unknown keyword: expected port");
		if (parse_port(l, 4, &k->host_port) < 0)
			return -1;
	}
	snprintf(k->ifname[1], sizeof(k->ifname[1]), "%s", k->name);
	lab->nlinks++;
	return 0;
}

/* Parses field FIELD as A.B.C.D:PORT, with a port from 1 to 65535. */
static int
parse_address_port(struct line *l, int field, struct sockaddr_in *sa)
{
	char text[INET_ADDRSTRLEN];
	const char *colon = strrchr(l->fields[field], ':');
	size_t n = colon ? (size_t)(colon - l->fields[field]) : 0;
	char *end;
	long port;

	if (colon == NULL || n == 0 || n >= sizeof(text))
		return fail(l, field, "expected IPV4-ADDRESS:PORT");
	memcpy(text, l->fields[field], n);
	text[n] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, text, &sa->sin_addr) != 1)
		return fail(l, field, "invalid IPv4 address \"%s\"", text);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 1 ||
	    port > 65535)
		return fail(l, field, "invalid port: expected 1-65535");
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

/*
 * remote NAME ROUTER:INTERFACE LOCAL-ADDRESS:PORT REMOTE-ADDRESS:PORT: the
 * lab relays the interface's frames from a UDP socket on LOCAL to the lab
 * of another machine at REMOTE, which has the mirror statement.
 */
static int
parse_remote(struct lab *lab, struct line *l)
{
	struct lab_link *k;

	if (l->nfields != 5)
		return fail(l, l->nfields < 5 ? l->nfields : 5,
			    "expected: remote NAME ROUTER:INTERFACE "
			    "LOCAL-ADDRESS:PORT REMOTE-ADDRESS:PORT");
	k = new_link(lab, l);
	if (k == NULL || parse_end(lab, l, 2, &k->router[0],
				   k->ifname[0]) < 0 ||
	    parse_address_port(l, 3, &k->local) < 0 ||
	    parse_address_port(l, 4, &k->peer[1]) < 0)
		return -1;
	k->remote = true;
	k->peer_known[1] = true;
	snprintf(k->ifname[1], sizeof(k->ifname[1]), "%s", k->name);
	lab->nlinks++;
	return 0;
}

static int
parse_tun(struct lab *lab, struct line *l)
{
	struct lab_tun *t;

	if (l->nfields != 3 && l->nfields != 5)
		return fail(l, l->nfields, "expected: tun ROUTER:INTERFACE "
			    "TUNDEV [netns NAMESPACE]");
	if (lab->ntuns == LAB_MAX_TUNS)
		return fail(l, 0, "too many tun statements (at most %d)",
			    LAB_MAX_TUNS);
	t = &lab->tuns[lab->ntuns];
	memset(t, 0, sizeof(*t));
	if (parse_end(lab, l, 1, &t->router, t->ifname) < 0)
		return -1;
	if (strlen(l->fields[2]) >= sizeof(t->dev) || !valid_name(l->fields[2]))
		return fail(l, 2, "invalid TUN device name (at most %zu "
			    "letters, digits, - or _)", sizeof(t->dev) - 1);
	strcpy(t->dev, l->fields[2]);
	if (l->nfields == 5) {
		if (strcmp(l->fields[3], "netns") != 0)
			return fail(l, 3, "unknown keyword: expected netns");
		if (!valid_name(l->fields[4]) ||
		    strlen(l->fields[4]) >= sizeof(t->netns))
			return fail(l, 4, "invalid namespace name");
		strcpy(t->netns, l->fields[4]);
	}
	lab->ntuns++;
	return 0;
}

static int
parse_trafgen(struct lab *lab, struct line *l)
{
	struct lab_trafgen *g;
	int link;

	if (l->nfields < 3)
		return fail(l, l->nfields, "expected: trafgen HOST ARGUMENTS...");
	link = lab_link_index(lab, l->fields[1]);
	if (link < 0 || lab->links[link].router[1] >= 0 ||
	    lab->links[link].remote)
		return fail(l, 1, "no host \"%s\" declared above",
			    l->fields[1]);
	if (lab->ntrafgens == LAB_MAX_TRAFGENS)
		return fail(l, 0, "too many trafgen statements (at most %d)",
			    LAB_MAX_TRAFGENS);
	g = &lab->trafgens[lab->ntrafgens];
	memset(g, 0, sizeof(*g));
	g->link = link;
	for (int f = 2; f < l->nfields; f++) {
		g->argv[g->argc] = strdup(l->fields[f]);
		if (g->argv[g->argc] == NULL)
			return fail(l, f, "out of memory");
		g->argc++;
	}
	lab->ntrafgens++;
	return 0;
}

static int
parse_console(struct lab *lab, struct line *l)
{
	if (l->nfields != 2)
		return fail(l, l->nfields, "expected: console ROUTER");
	lab->console = lab_router_index(lab, l->fields[1]);
	if (lab->console < 0)
		return fail(l, 1, "no router \"%s\" declared above",
			    l->fields[1]);
	return 0;
}

static int
parse_line(struct lab *lab, struct line *l)
{
	static const struct {
		const char *word;
		int (*parse)(struct lab *, struct line *);
	} statements[] = {
		{ "router", parse_router },
		{ "link", parse_link },
		{ "host", parse_host },
		{ "remote", parse_remote },
		{ "tun", parse_tun },
		{ "trafgen", parse_trafgen },
		{ "console", parse_console },
	};

	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]);
	     i++) {
		if (strcmp(l->fields[0], statements[i].word) == 0)
			return statements[i].parse(lab, l);
	}
	return fail(l, 0, "unknown statement: expected router, link, host, "
		    "remote, tun, trafgen or console");
}

int
lab_parse(struct lab *lab, const char *path, char *err, size_t errlen)
{
	struct line l = { .path = path, .err = err, .errlen = errlen };
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int ret = -1;

	lab->console = -1;
	snprintf(lab->file, sizeof(lab->file), "%s", path);
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open topology file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	while ((n = getline(&text, &cap, f)) >= 0) {
		l.lineno++;
		if (memchr(text, '\0', (size_t)n) != NULL) {
			l.nfields = 0;
			fail(&l, 0, "not a text file (NUL byte)");
			goto out;
		}
		if (split(&l, text) < 0)
			goto out;
		if (l.nfields > 0 && parse_line(lab, &l) < 0)
			goto out;
	}
	if (lab->nrouters == 0) {
		snprintf(err, errlen, "%s: no router statement", path);
		goto out;
	}
	ret = 0;
out:
	free(text);
	fclose(f);
	return ret;
}

void
lab_free(struct lab *lab)
{
	for (int i = 0; i < lab->ntrafgens; i++) {
		for (int a = 0; a < lab->trafgens[i].argc; a++)
			free(lab->trafgens[i].argv[a]);
		lab->trafgens[i].argc = 0;
	}
}
