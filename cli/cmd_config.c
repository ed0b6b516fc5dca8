/* Transaction and error helpers shared by the configuration commands. */
#include "cli/cmd_config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libyang/libyang.h>

#include "cli/vty.h"
#include "core/config.h"
#include "core/router.h"

#define XPATH_MAX 1024

bool
cc_begin(struct cc_txn *t, struct vty *vty)
{
	t->vty = vty;
	t->failed = false;
	t->txn = cfg_txn_begin(vty->router->cfg);
	if (!t->txn) {
		vty_out(vty, "%% Out of memory\n");
		return false;
	}
	return true;
}

static bool
format_xpath(struct cc_txn *t, char *buf, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, XPATH_MAX, fmt, ap);

	if (n < 0 || n >= XPATH_MAX) {
		t->failed = true;
		return false;
	}
	return true;
}

void
cc_set(struct cc_txn *t, const char *value, const char *fmt, ...)
{
	char xpath[XPATH_MAX];
	va_list ap;
	bool ok;

	if (t->failed)
		return;
	va_start(ap, fmt);
	ok = format_xpath(t, xpath, fmt, ap);
	va_end(ap);
	if (ok && cfg_txn_set(t->txn, xpath, value) < 0)
		t->failed = true;
}

void
cc_del(struct cc_txn *t, const char *fmt, ...)
{
	char xpath[XPATH_MAX];
	va_list ap;
	bool ok;

	if (t->failed)
		return;
	va_start(ap, fmt);
	ok = format_xpath(t, xpath, fmt, ap);
	va_end(ap);
	if (ok && cfg_txn_delete(t->txn, xpath) < 0)
		t->failed = true;
}

const char *
cc_get(struct cc_txn *t, const char *fmt, ...)
{
	char xpath[XPATH_MAX];
	va_list ap;
	bool ok;

	const struct lyd_node *node;

	va_start(ap, fmt);
	ok = format_xpath(t, xpath, fmt, ap);
	va_end(ap);
	if (!ok)
		return NULL;
	node = cfg_txn_find(t->txn, xpath);
	if (!node || !(node->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST)))
		return NULL;
	return lyd_get_value(node);
}

bool
cc_exists(struct cc_txn *t, const char *fmt, ...)
{
	char xpath[XPATH_MAX];
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = format_xpath(t, xpath, fmt, ap);
	va_end(ap);
	return ok && cfg_txn_find(t->txn, xpath) != NULL;
}

enum cmd_result
cc_commit(struct cc_txn *t)
{
	char err[256];

	if (t->failed && t->vty->line_value) {
		/*
		 * The value of a LINE argument failed its YANG type: IOS
		 * marks the value, and the libyang text would name the
		 * model's pattern.
		 */
		cc_invalid_input(t->vty, t->vty->line_value_column);
		cfg_txn_abort(t->txn);
		return CMD_WARNING;
	}
	if (t->failed) {
		const char *msg = cfg_txn_error(t->txn);

		vty_out(t->vty, "%% %s\n", *msg ? msg : "Invalid configuration");
		cfg_txn_abort(t->txn);
		return CMD_WARNING;
	}
	if (cfg_txn_commit(t->txn, err, sizeof(err)) < 0) {
		vty_out(t->vty, "%% %s\n", err);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

enum cmd_result
cc_enter(struct vty *vty, enum cmd_mode mode, const char *xpath)
{
	char copy[VTY_XPATH_MAX];
	struct cc_txn t;
	enum cmd_result ret;

	/* XPATH may be the session's own, which vty_enter_mode() rewrites. */
	snprintf(copy, sizeof(copy), "%s", xpath);
	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, NULL, "%s", copy);
	ret = cc_commit(&t);
	if (ret == CMD_SUCCESS)
		vty_enter_mode(vty, mode, copy);
	return ret;
}

enum cmd_result
cc_delete(struct vty *vty, const char *xpath)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s", xpath);
	return cc_commit(&t);
}

enum cmd_result
cc_abort(struct cc_txn *t)
{
	cfg_txn_abort(t->txn);
	return CMD_WARNING;
}

void
cc_invalid_input(struct vty *vty, size_t column)
{
	char prompt[128];
	size_t width = vty_prompt(vty, prompt, sizeof(prompt));

	vty_out(vty, "%*s^\n", (int)(width + column), "");
	vty_out(vty, "%% Invalid input detected at '^' marker.\n\n");
}

size_t
cc_column(const struct cmd_args *args, int word_index, size_t offset)
{
	size_t col = 0;
	int i;

	for (i = 0; i < word_index && i < cmd_argc(args); i++)
		col += strlen(cmd_argv(args, i)) + 1;
	return col + offset;
}

bool
cc_interface_exists(struct cfg *cfg, const char *name)
{
	char xpath[XPATH_MAX];
	bool found;

	if (cfg == NULL)
		return false;
	snprintf(xpath, sizeof(xpath),
		 CC_M "interfaces/interface[name='%s']/name", name);
	found = cfg_get_value(cfg_read_lock(cfg), xpath) != NULL;
	cfg_read_unlock(cfg);
	return found;
}

void
cc_invalid_interface(struct vty *vty, const struct cmd_args *args,
		     int type_word, bool number_apart)
{
	if (number_apart)
		cc_invalid_input(vty, cc_column(args, type_word + 1, 0));
	else
		cc_invalid_input(vty, cc_column(args, type_word,
			strcspn(cmd_argv(args, type_word), "0123456789")));
}

bool
cc_name_ok(struct vty *vty, const char *name)
{
	if (strchr(name, '\'') || strchr(name, '"')) {
		vty_out(vty, "%% Invalid name \"%s\": quotes are not allowed\n",
			name);
		return false;
	}
	return true;
}

bool
cc_parse_ipv4(const char *s, unsigned *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

bool
cc_mask_ok(unsigned mask)
{
	unsigned inv = ~mask;

	return (inv & (inv + 1)) == 0;
}

void
cmd_config_install(void)
{
	cc_install_system();
	cc_install_banner();
	cc_install_interfaces();
	cc_install_acl();
	cc_install_isakmp();
	cc_install_ipsec();
	cc_install_cryptomap();
	cc_install_route();
	cc_install_keyring();
	cc_install_tunnel();
	cc_install_ikev2();
	cc_install_vrf();
	cc_install_copy();
	cc_install_show();
	cc_install_ezvpn();
}

/* Interface types that vrouter models; a prefix must name exactly one. */
static const char *const if_types[] = {
	"GigabitEthernet", "TenGigabitEthernet", "FastEthernet", "Ethernet",
	"Loopback", "Tunnel", "Virtual-Template",
};

/* True for "1", "0/0", "0/0/1", "1.100": slot numbers and a sub-interface. */
static bool
ifnum_ok(const char *s)
{
	bool digit = false, dot = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			digit = true;
		} else if ((*s == '/' || *s == '.') && digit && !dot) {
			dot = *s == '.';
			digit = false;
		} else {
			return false;
		}
	}
	return digit;
}

bool
cc_ifname(const char *type, const char *number, char *out, size_t len)
{
	char prefix[64];
	const char *match = NULL;
	size_t n, i;

	if (!number) {
		/* Split "gi0/1" into "gi" and "0/1". */
		n = strcspn(type, "0123456789");
		if (n == 0 || n >= sizeof(prefix))
			return false;
		memcpy(prefix, type, n);
		prefix[n] = '\0';
		number = type + n;
		type = prefix;
	}
	if (!ifnum_ok(number))
		return false;
	n = strlen(type);
	for (i = 0; i < sizeof(if_types) / sizeof(if_types[0]); i++) {
		if (strncasecmp(type, if_types[i], n))
			continue;
		if (strlen(if_types[i]) == n) {
			match = if_types[i];
			break;
		}
		if (match)
			return false;	/* "t" is Tunnel or TenGigabitEthernet */
		match = if_types[i];
	}
	if (!match)
		return false;
	return snprintf(out, len, "%s%s", match, number) < (int)len;
}

enum cmd_result
cc_set_here(struct vty *vty, const char *leaf, const char *value)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_set(&t, value, "%s/%s", vty_xpath(vty), leaf);
	return cc_commit(&t);
}

enum cmd_result
cc_del_here(struct vty *vty, const char *leaf)
{
	struct cc_txn t;

	if (!cc_begin(&t, vty))
		return CMD_WARNING;
	cc_del(&t, "%s/%s", vty_xpath(vty), leaf);
	return cc_commit(&t);
}
