/*
 * IPv4 access lists: numbered (access-list N ...) and named
 * (ip access-list standard|extended NAME, then entries in a sub-mode).
 * Entries are parsed here rather than by the command graph, because
 * their grammar depends on the protocol. Errors put the caret under the
 * first word that does not fit, as IOS does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "cli/cmd_config.h"
#include "cli/vty.h"
#include "core/cfg_render.h"
#include "core/config.h"

#define ACL_XPATH CC_M "access-lists/access-list[name='%s']"
#define MAX_WORDS 24
#define SEQ_STEP 10

struct ace_side {
	const char *any;	/* non-NULL for "any" */
	const char *host;
	const char *address, *wildcard;
	const char *op, *port, *port_end;	/* numbers as text */
	char port_buf[2][12];
};

struct ace {
	const char *action;
	const char *protocol;	/* NULL in standard lists */
	struct ace_side src, dst;
	bool established, log;
};

struct words {
	char *word[MAX_WORDS];
	size_t offset[MAX_WORDS];
	int count;
};

/* Splits LINE (modified in place) into words with their offsets. */
static bool
split_words(char *line, struct words *w)
{
	char *p = line;

	w->count = 0;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			return true;
		if (w->count == MAX_WORDS)
			return false;
		w->offset[w->count] = (size_t)(p - line);
		w->word[w->count++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
}

static const struct {
	const char *name;
	int number;
} protocols[] = {
	{ "ip", -1 }, { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 },
	{ "udp", 17 }, { "gre", 47 }, { "esp", 50 }, { "ahp", 51 },
	{ "eigrp", 88 }, { "ospf", 89 }, { "pim", 103 },
};

/* Returns the protocol as IOS prints it, or NULL; BUF holds numbers. */
static const char *
parse_protocol(const char *word, char *buf, size_t len)
{
	char *end;
	unsigned long n;
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (!strcmp(word, protocols[i].name))
			return protocols[i].name;
	}
	if (*word < '0' || *word > '9')
		return NULL;
	n = strtoul(word, &end, 10);
	if (*end || n > 255)
		return NULL;
	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (protocols[i].number == (int)n)
			return protocols[i].name;
	}
	snprintf(buf, len, "%lu", n);
	return buf;
}

static bool
is_ipv4(const char *s)
{
	unsigned a;

	return cc_parse_ipv4(s, &a);
}

/* Parses an address match at *I; advances *I. */
static bool
parse_address(const struct words *w, int *i, struct ace_side *side,
	      bool extended)
{
	const char *word;

	if (*i >= w->count)
		return false;
	word = w->word[*i];
	if (!strcmp(word, "any")) {
		side->any = word;
		(*i)++;
		return true;
	}
	if (!strcmp(word, "host")) {
		if (*i + 1 >= w->count || !is_ipv4(w->word[*i + 1])) {
			(*i)++;
			return false;
		}
		side->host = w->word[*i + 1];
		*i += 2;
		return true;
	}
	if (!is_ipv4(word))
		return false;
	(*i)++;
	/* A standard list takes a lone address as one host. */
	if (!extended && (*i >= w->count || !is_ipv4(w->word[*i]))) {
		side->host = word;
		return true;
	}
	if (*i >= w->count || !is_ipv4(w->word[*i]))
		return false;
	/* IOS stores "A 0.0.0.0" as host A and "A 255.255.255.255" as any. */
	if (!strcmp(w->word[*i], "0.0.0.0")) {
		side->host = word;
	} else if (!strcmp(w->word[*i], "255.255.255.255")) {
		side->any = "any";
	} else {
		side->address = word;
		side->wildcard = w->word[*i];
	}
	(*i)++;
	return true;
}

/* Parses an optional port operator at *I for PROTO; advances *I. */
static bool
parse_port(const struct words *w, int *i, struct ace_side *side,
	   const char *proto)
{
	static const char *const ops[] = { "eq", "neq", "lt", "gt", "range" };
	bool ranged;
	int port, n;
	size_t k;

	if (*i >= w->count || (strcmp(proto, "tcp") && strcmp(proto, "udp")))
		return true;
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		if (!strcmp(w->word[*i], ops[k]))
			break;
	}
	if (k == sizeof(ops) / sizeof(ops[0]))
		return true;
	side->op = ops[k];
	ranged = !strcmp(ops[k], "range");
	(*i)++;
	for (n = 0; n < (ranged ? 2 : 1); n++) {
		if (*i >= w->count)
			return false;
		port = cfg_port_parse(proto, w->word[*i]);
		if (port < 0)
			return false;
		snprintf(side->port_buf[n], sizeof(side->port_buf[n]), "%d",
			 port);
		(*i)++;
	}
	side->port = side->port_buf[0];
	side->port_end = ranged ? side->port_buf[1] : NULL;
	return true;
}

/*
 * Parses the words after permit|deny into ACE. Returns -1 on success, or
 * the index of the first word that does not fit (COUNT when a word is
 * missing at the end).
 */
static int
parse_ace(const struct words *w, struct ace *ace, bool extended,
	  char *proto_buf, size_t len)
{
	int i = 0;

	ace->protocol = "ip";
	if (extended) {
		if (w->count < 1)
			return 0;
		ace->protocol = parse_protocol(w->word[0], proto_buf, len);
		if (!ace->protocol)
			return 0;
		i = 1;
	}
	if (!parse_address(w, &i, &ace->src, extended) ||
	    !parse_port(w, &i, &ace->src, ace->protocol))
		return i;
	if (extended) {
		if (!parse_address(w, &i, &ace->dst, true) ||
		    !parse_port(w, &i, &ace->dst, ace->protocol))
			return i;
		if (i < w->count && !strcmp(w->word[i], "established") &&
		    !strcmp(ace->protocol, "tcp")) {
			ace->established = true;
			i++;
		}
	}
	if (i < w->count && !strcmp(w->word[i], "log")) {
		ace->log = true;
		i++;
	}
	return i < w->count ? i : -1;
}

static void
write_side(struct cc_txn *t, const char *entry, const char *name,
	   const struct ace_side *s)
{
	if (s->any)
		cc_set(t, NULL, "%s/%s/any", entry, name);
	else if (s->host)
		cc_set(t, s->host, "%s/%s/host", entry, name);
	else {
		cc_set(t, s->address, "%s/%s/address", entry, name);
		cc_set(t, s->wildcard, "%s/%s/wildcard", entry, name);
	}
	if (s->op) {
		cc_set(t, s->op, "%s/%s/operator", entry, name);
		cc_set(t, s->port, "%s/%s/port", entry, name);
	}
	if (s->port_end)
		cc_set(t, s->port_end, "%s/%s/port-end", entry, name);
}

static void
write_ace(struct cc_txn *t, const char *entry, const struct ace *ace,
	  bool extended)
{
	cc_set(t, ace->action, "%s/action", entry);
	if (extended)
		cc_set(t, ace->protocol, "%s/protocol", entry);
	write_side(t, entry, "source", &ace->src);
	if (extended)
		write_side(t, entry, "destination", &ace->dst);
	if (ace->established)
		cc_set(t, NULL, "%s/established", entry);
	if (ace->log)
		cc_set(t, NULL, "%s/log", entry);
}

/* Renders entry NODE as text; caller frees. */
static char *
render_node(const struct lyd_node *node, bool extended)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	cfg_render_ace(f, node, extended);
	fclose(f);
	return buf;
}

/* Renders the candidate entry at XPATH as text; caller frees. */
static char *
render_entry(struct cc_txn *t, const char *xpath, bool extended)
{
	struct lyd_node *tree = cfg_txn_tree(t->txn), *node = NULL;

	if (!tree || lyd_find_path(tree, xpath, 0, &node) != LY_SUCCESS)
		return NULL;
	return render_node(node, extended);
}

/* The first child of list NAME in the candidate, or NULL. */
static struct lyd_node *
acl_children(struct cc_txn *t, const char *name)
{
	char xpath[VTY_XPATH_MAX];
	struct lyd_node *tree = cfg_txn_tree(t->txn), *acl = NULL;

	snprintf(xpath, sizeof(xpath), ACL_XPATH, name);
	if (!tree || lyd_find_path(tree, xpath, 0, &acl) != LY_SUCCESS)
		return NULL;
	return lyd_child(acl);
}

/* The sequence of NODE when it is an entry, else 0. */
static unsigned long
entry_sequence(const struct lyd_node *node)
{
	const struct lyd_node *key;

	if (strcmp(LYD_NAME(node), "entry"))
		return 0;
	/* A list instance holds its keys first. */
	key = lyd_child(node);
	if (!key || strcmp(LYD_NAME(key), "sequence"))
		return 0;
	return strtoul(lyd_get_value(key), NULL, 10);
}

/*
 * Returns the sequence of the first entry of list NAME, other than
 * SKIP_SEQ, that prints as TEXT, or 0.
 */
static unsigned long
find_same_entry(struct cc_txn *t, const char *name, const char *text,
		unsigned long skip_seq, bool extended)
{
	const struct lyd_node *node;
	unsigned long found = 0, seq;
	char *other;

	for (node = acl_children(t, name); node && !found; node = node->next) {
		seq = entry_sequence(node);
		if (seq == 0 || seq == skip_seq)
			continue;
		other = render_node(node, extended);
		if (other && !strcmp(other, text))
			found = seq;
		free(other);
	}
	return found;
}

/* Highest sequence number of list NAME plus the IOS step of 10. */
static unsigned long
next_sequence(struct cc_txn *t, const char *name)
{
	const struct lyd_node *node;
	unsigned long max = 0, seq;

	for (node = acl_children(t, name); node; node = node->next) {
		seq = entry_sequence(node);
		if (seq > max)
			max = seq;
	}
	return max + SEQ_STEP;
}

/* What an entry command should do with the parsed entry. */
enum ace_op { ACE_ADD, ACE_DELETE };

/*
 * Adds (or deletes) one entry of list NAME. SPEC holds the words after
 * the action; SPEC_WORD is its word index in the command line, for the
 * caret. SEQ is 0 to append.
 */
static enum cmd_result
edit_entry(struct vty *vty, const struct cmd_args *args, const char *name,
	   bool extended, unsigned long seq, const char *action,
	   const char *spec, int spec_word, enum ace_op op)
{
	char *line = strdup(spec ? spec : "");
	char entry[VTY_XPATH_MAX], proto_buf[8], *text = NULL;
	struct words w;
	struct ace ace = { .action = action };
	struct cc_txn t;
	unsigned long same;
	enum cmd_result ret = CMD_WARNING;
	int bad;

	if (!line)
		goto out;
	if (!split_words(line, &w)) {
		cc_invalid_input(vty, cc_column(args, spec_word,
						w.offset[MAX_WORDS - 1]));
		goto out;
	}
	if (!strcmp(action, "remark")) {
		if (!cc_begin(&t, vty))
			goto out;
		seq = seq ? seq : next_sequence(&t, name);
		cc_set(&t, spec, ACL_XPATH "/entry[sequence='%lu']/remark",
		       name, seq);
		cc_set(&t, "remark", ACL_XPATH "/entry[sequence='%lu']/action",
		       name, seq);
		ret = cc_commit(&t);
		goto out;
	}
	bad = parse_ace(&w, &ace, extended, proto_buf, sizeof(proto_buf));
	if (bad >= 0) {
		size_t off = bad < w.count ? w.offset[bad] : strlen(spec) + 1;

		cc_invalid_input(vty, cc_column(args, spec_word, off));
		goto out;
	}
	if (!cc_begin(&t, vty))
		goto out;
	if (!seq)
		seq = next_sequence(&t, name);
	else if (op == ACE_ADD &&
		 cc_exists(&t, ACL_XPATH "/entry[sequence='%lu']", name, seq)) {
		cc_abort(&t);
		vty_out(vty, "%% Duplicate sequence number\n");
		goto out;
	}
	snprintf(entry, sizeof(entry), ACL_XPATH "/entry[sequence='%lu']",
		 name, seq);
	write_ace(&t, entry, &ace, extended);
	text = t.failed ? NULL : render_entry(&t, entry, extended);
	same = text ? find_same_entry(&t, name, text, seq, extended) : 0;
	if (op == ACE_DELETE || same) {
		/* The staged entry only served to compare the printed forms. */
		cc_del(&t, "%s", entry);
	}
	if (op == ACE_DELETE && same)
		cc_del(&t, ACL_XPATH "/entry[sequence='%lu']", name, same);
	ret = cc_commit(&t);
out:
	free(text);
	free(line);
	return ret;
}

/* Numbered list ranges: 1-99 and 1300-1999 standard, 100-199 and
 * 2000-2699 extended. Returns 0 for numbers outside them. */
static int
numbered_type(unsigned long n)
{
	if ((n >= 1 && n <= 99) || (n >= 1300 && n <= 1999))
		return 's';
	if ((n >= 100 && n <= 199) || (n >= 2000 && n <= 2699))
		return 'e';
	return 0;
}

/* Creates list NAME of TYPE in T, or prints why it cannot. */
static bool
ensure_list(struct cc_txn *t, const char *name, const char *type)
{
	const char *old = cc_get(t, ACL_XPATH "/type", name);

	if (old && strcmp(old, type)) {
		vty_out(t->vty, "%% A named %s IP access list with this name "
			"already exists\n", old);
		return false;
	}
	cc_set(t, type, ACL_XPATH "/type", name);
	return true;
}

static enum cmd_result
access_list(struct vty *vty, const struct cmd_args *args)
{
	const char *num = cmd_arg(args, "num");
	const char *action = cmd_arg(args, "action");
	int kind = numbered_type(strtoul(num, NULL, 10));
	const char *type = kind == 'e' ? "extended" : "standard";
	struct cc_txn t;

	if (!kind) {
		cc_invalid_input(vty, cc_column(args, 1, 0));
		return CMD_WARNING;
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (!ensure_list(&t, num, type))
		return cc_abort(&t);
	if (cc_commit(&t) != CMD_SUCCESS)
		return CMD_WARNING;
	return edit_entry(vty, args, num, kind == 'e', 0,
			  action ? action : "remark", cmd_arg(args, "spec"), 3,
			  ACE_ADD);
}

static enum cmd_result
no_access_list(struct vty *vty, const struct cmd_args *args)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, ACL_XPATH, cmd_arg(args, "num"));
	return cc_commit(&t);
}

static enum cmd_result
ip_access_list(struct vty *vty, const struct cmd_args *args)
{
	const char *type = cmd_arg(args, "type");
	const char *name = cmd_arg(args, "name");
	char xpath[VTY_XPATH_MAX];
	struct cc_txn t;
	enum cmd_result ret;

	if (!cc_name_ok(vty, name))
		return CMD_WARNING;
	if (cfg_acl_is_numbered(name)) {
		int kind = numbered_type(strtoul(name, NULL, 10));

		if (!kind || (kind == 'e') != !strcmp(type, "extended")) {
			cc_invalid_input(vty, cc_column(args, 3, 0));
			return CMD_WARNING;
		}
	}
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	if (!ensure_list(&t, name, type))
		return cc_abort(&t);
	ret = cc_commit(&t);
	if (ret != CMD_SUCCESS)
		return ret;
	snprintf(xpath, sizeof(xpath), ACL_XPATH, name);
	vty_enter_mode(vty, strcmp(type, "extended") ? MODE_STD_NACL :
		       MODE_EXT_NACL, xpath);
	return CMD_SUCCESS;
}

static enum cmd_result
no_ip_access_list(struct vty *vty, const struct cmd_args *args)
{
	const char *name = cmd_arg(args, "name");
	struct cc_txn t;

	if (!cc_name_ok(vty, name) || !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, ACL_XPATH, name);
	return cc_commit(&t);
}

/* Name of the list that the (config-*-nacl) session edits. */
static bool
mode_list(struct vty *vty, char *name, size_t len, bool *extended)
{
	const char *xp = vty_xpath(vty);
	const char *start = strstr(xp, "[name='");
	size_t n;

	if (!start)
		return false;
	start += 7;
	n = strcspn(start, "'");
	if (n >= len)
		return false;
	memcpy(name, start, n);
	name[n] = '\0';
	*extended = vty_mode(vty) == MODE_EXT_NACL;
	return true;
}

static enum cmd_result
nacl_entry(struct vty *vty, const struct cmd_args *args)
{
	const char *seq = cmd_arg(args, "seq");
	const char *action = cmd_arg(args, "action");
	char name[128];
	bool extended;

	if (!mode_list(vty, name, sizeof(name), &extended))
		return CMD_ERROR;
	return edit_entry(vty, args, name, extended,
			  seq ? strtoul(seq, NULL, 10) : 0,
			  action ? action : "remark", cmd_arg(args, "spec"),
			  seq ? 2 : 1,
			  cmd_has(args, "no") ? ACE_DELETE : ACE_ADD);
}

static enum cmd_result
no_nacl_seq(struct vty *vty, const struct cmd_args *args)
{
	char name[128];
	bool extended;
	struct cc_txn t;

	if (!mode_list(vty, name, sizeof(name), &extended) ||
	    !cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, ACL_XPATH "/entry[sequence='%s']", name,
	       cmd_arg(args, "seq"));
	return cc_commit(&t);
}

#define H_NO "Negate a command or set its defaults\n"
#define H_ACTION "Specify packets to reject\nSpecify packets to forward\n"
#define H_AL "Add an access list entry\n"

static const struct cmd_def cmd_access_list = {
	.syntax = "access-list <1-2699>$num (deny|permit)$action LINE$spec",
	.help = H_AL "IP access list number\n" H_ACTION
		"Protocol, addresses, ports and options",
	.fn = access_list,
};

static const struct cmd_def cmd_access_list_remark = {
	.syntax = "access-list <1-2699>$num remark LINE$spec",
	.help = H_AL "IP access list number\n"
		"Access list entry comment\nComment up to 100 characters",
	.fn = access_list,
};

static const struct cmd_def cmd_no_access_list = {
	.syntax = "no access-list <1-2699>$num [LINE]",
	.help = H_NO H_AL "IP access list number\nRest of the entry",
	.fn = no_access_list,
};

#define H_IPACL "Global IP configuration subcommands\n" \
	"Named access list\nExtended Access List\nStandard Access List\n" \
	"Access-list name or number"

static const struct cmd_def cmd_ip_access_list = {
	.syntax = "ip access-list (extended|standard)$type WORD$name",
	.help = H_IPACL,
	.fn = ip_access_list,
};

static const struct cmd_def cmd_no_ip_access_list = {
	.syntax = "no ip access-list (extended|standard) WORD$name",
	.help = H_NO H_IPACL,
	.fn = no_ip_access_list,
};

static const struct cmd_def cmd_nacl_entry = {
	.syntax = "(deny|permit)$action LINE$spec",
	.help = H_ACTION "Protocol, addresses, ports and options",
	.fn = nacl_entry,
};

static const struct cmd_def cmd_nacl_seq_entry = {
	.syntax = "<1-2147483647>$seq (deny|permit)$action LINE$spec",
	.help = "Sequence Number\n" H_ACTION
		"Protocol, addresses, ports and options",
	.fn = nacl_entry,
};

static const struct cmd_def cmd_nacl_remark = {
	.syntax = "remark LINE$spec",
	.help = "Access list entry comment\nComment up to 100 characters",
	.fn = nacl_entry,
};

static const struct cmd_def cmd_no_nacl_entry = {
	.syntax = "no$no (deny|permit)$action LINE$spec",
	.help = H_NO H_ACTION "Protocol, addresses, ports and options",
	.fn = nacl_entry,
};

static const struct cmd_def cmd_no_nacl_seq = {
	.syntax = "no <1-2147483647>$seq",
	.help = H_NO "Sequence Number",
	.fn = no_nacl_seq,
};

void
cc_install_acl(void)
{
	static const enum cmd_mode modes[] = { MODE_STD_NACL, MODE_EXT_NACL };
	size_t i;

	cmd_install(MODE_CONFIG, &cmd_access_list);
	cmd_install(MODE_CONFIG, &cmd_access_list_remark);
	cmd_install(MODE_CONFIG, &cmd_no_access_list);
	cmd_install(MODE_CONFIG, &cmd_ip_access_list);
	cmd_install(MODE_CONFIG, &cmd_no_ip_access_list);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		cmd_install(modes[i], &cmd_nacl_entry);
		cmd_install(modes[i], &cmd_nacl_seq_entry);
		cmd_install(modes[i], &cmd_nacl_remark);
		cmd_install(modes[i], &cmd_no_nacl_entry);
		cmd_install(modes[i], &cmd_no_nacl_seq);
	}
}
