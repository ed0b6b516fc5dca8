/*
 * The vty core on a recording transport: prompts, the mode stack, output
 * line ends, --More-- paging, [confirm], and %SYS-5-CONFIG_I when config
 * mode is left.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/vty.h"
#include "core/config.h"
#include "core/log.h"
#include "core/router.h"

/* ---- Recording transport: output is kept, keys come from a script. */

static char written[8192];
static size_t written_len;
static const char *keys;

static int
rec_write(struct vty *vty, const char *buf, size_t len)
{
	(void)vty;
	cr_assert_lt(written_len + len, sizeof(written));
	memcpy(written + written_len, buf, len);
	written_len += len;
	written[written_len] = '\0';
	return 0;
}

static int
rec_read_key(struct vty *vty)
{
	(void)vty;
	return *keys ? (unsigned char)*keys++ : -1;
}

static int
rec_read_line(struct vty *vty, char *buf, size_t len, bool echo)
{
	const char *nl = strchr(keys, '\r');
	size_t n = nl ? (size_t)(nl - keys) : strlen(keys);

	(void)vty;
	(void)echo;
	if (n >= len)
		n = len - 1;
	memcpy(buf, keys, n);
	buf[n] = '\0';
	keys += n + (nl != NULL);
	return (int)n;
}

static const struct vty_io rec_io = {
	.write = rec_write,
	.read_line = rec_read_line,
	.read_key = rec_read_key,
};

static struct vty vty;

static void
setup(void)
{
	written_len = 0;
	written[0] = '\0';
	keys = "";
	log_init(64 * 1024);
	vty_init(&vty, NULL, &rec_io, NULL, "vty 3", false);
	snprintf(vty.peer, sizeof(vty.peer), "127.0.0.1");
}

static void
teardown(void)
{
	vty_release(&vty);
	log_shutdown();
}

static char *
prompt(void)
{
	static char buf[128];

	vty_prompt(&vty, buf, sizeof(buf));
	return buf;
}

TestSuite(vty, .init = setup, .fini = teardown, .timeout = 30);

Test(vty, defaults_are_ios)
{
	cr_expect_eq(vty_mode(&vty), MODE_USER_EXEC);
	cr_expect_eq(vty.privilege, 1);
	cr_expect_eq(vty.term_length, 24);
	cr_expect_eq(vty.term_width, 80);
	cr_expect_eq(vty.depth, 1);
	cr_expect_str_eq(prompt(), "Router>");
}

Test(vty, prompts_per_mode)
{
	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty.privilege = 15;
	cr_expect_str_eq(prompt(), "Router#");
	cr_assert_eq(vty_enter_mode(&vty, MODE_CONFIG, NULL), 0);
	cr_expect_str_eq(prompt(), "Router(config)#");
	cr_assert_eq(vty_enter_mode(&vty, MODE_CRYPTO_TRANS, "/x"), 0);
	cr_expect_str_eq(prompt(), "Router(cfg-crypto-trans)#");
	cr_expect_str_eq(vty_xpath(&vty), "/x");
}

Test(vty, enter_mode_walks_up_to_parent)
{
	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty_enter_mode(&vty, MODE_CONFIG, NULL);
	vty_enter_mode(&vty, MODE_IKEV2_KEYRING, "/k");
	vty_enter_mode(&vty, MODE_IKEV2_KEYRING_PEER, "/k/p");
	cr_expect_eq(vty.depth, 4);

	/* A sibling of the keyring replaces the keyring and its peer. */
	vty_enter_mode(&vty, MODE_CONFIG_IF, "/if");
	cr_expect_eq(vty.depth, 3);
	cr_expect_eq(vty_mode(&vty), MODE_CONFIG_IF);
	cr_expect_str_eq(vty_xpath(&vty), "/if");
}

static void
collect_line(void *ctx, const char *line)
{
	char *buf = ctx;

	strncat(buf, line, 1023 - strlen(buf));
	strncat(buf, "\n", 1023 - strlen(buf));
}

Test(vty, exit_from_config_logs_config_i)
{
	char logged[1024] = "";

	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty_enter_mode(&vty, MODE_CONFIG, NULL);
	vty_enter_mode(&vty, MODE_CONFIG_IF, "/if");
	vty_exit_mode(&vty);
	cr_expect_eq(vty_mode(&vty), MODE_CONFIG);
	log_buffer_foreach(collect_line, logged);
	cr_expect_null(strstr(logged, "CONFIG_I"));

	vty_exit_mode(&vty);
	cr_expect_eq(vty_mode(&vty), MODE_PRIV_EXEC);
	log_buffer_foreach(collect_line, logged);
	cr_expect_not_null(strstr(logged,
		"%SYS-5-CONFIG_I: Configured from console by vty3 (127.0.0.1)"),
		"log: %s", logged);
}

Test(vty, end_config_from_console)
{
	char logged[1024] = "";

	vty.is_console = true;
	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty_enter_mode(&vty, MODE_CONFIG, NULL);
	vty_enter_mode(&vty, MODE_CRYPTO_MAP, "/m");
	vty_end_config(&vty);
	cr_expect_eq(vty.depth, 1);
	cr_expect_eq(vty_mode(&vty), MODE_PRIV_EXEC);
	log_buffer_foreach(collect_line, logged);
	cr_expect_not_null(strstr(logged,
		"%SYS-5-CONFIG_I: Configured from console by console\n"),
		"log: %s", logged);
}

Test(vty, end_config_in_exec_logs_nothing)
{
	char logged[1024] = "";

	vty_end_config(&vty);
	log_buffer_foreach(collect_line, logged);
	cr_expect_str_eq(logged, "");
}

Test(vty, mode_stack_is_bounded)
{
	int i, rc = 0;

	for (i = 0; i < VTY_MODE_DEPTH + 2 && rc == 0; i++)
		rc = vty_enter_mode(&vty, MODE_IKEV2_KEYRING_PEER, NULL);
	cr_expect_eq(rc, -1);
	cr_expect_eq(vty.depth, VTY_MODE_DEPTH);
}

Test(vty, flush_converts_line_ends)
{
	vty_out(&vty, "a\nb\r\nc");
	vty_out(&vty, "%d\n", 42);
	cr_assert_eq(vty_flush(&vty), 0);
	cr_expect_str_eq(written, "a\r\nb\r\nc42\r\n");
	cr_expect_eq(vty.out_len, 0);
}

Test(vty, out_grows_past_initial_buffer)
{
	char big[3000];
	size_t i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vty.term_length = 0;
	vty_out(&vty, "%s", big);
	vty_out(&vty, "%s\n", big);
	cr_assert_eq(vty.out_len, 2 * (sizeof(big) - 1) + 1);
	vty_flush(&vty);
	cr_expect_eq(written_len, 2 * (sizeof(big) - 1) + 2);
	for (i = 0; i < 2 * (sizeof(big) - 1); i++)
		cr_assert_eq(written[i], 'x');
}

#define ERASE "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\b"

Test(vty, paging_space_enter_q)
{
	int i;

	vty.term_length = 3;
	for (i = 1; i <= 9; i++)
		vty_out(&vty, "%d\n", i);
	keys = " \rq";
	cr_assert_eq(vty_flush(&vty), 0);
	cr_expect_str_eq(written,
			 "1\r\n2\r\n --More-- " ERASE
			 "3\r\n4\r\n --More-- " ERASE
			 "5\r\n --More-- " ERASE);
}

Test(vty, paging_counts_wrapped_rows)
{
	vty.term_length = 3;
	vty.term_width = 10;
	vty_out(&vty, "%s\n", "0123456789abcde");
	vty_out(&vty, "x\n");
	keys = "q";
	vty_flush(&vty);
	cr_expect_str_eq(written, "0123456789abcde\r\n --More-- " ERASE);
}

Test(vty, paging_stops_on_disconnect)
{
	int i;

	vty.term_length = 2;
	for (i = 0; i < 5; i++)
		vty_out(&vty, "l\n");
	keys = "";
	cr_expect_eq(vty_flush(&vty), -1);
	cr_expect_str_eq(written, "l\r\n --More-- ");
}

Test(vty, length_zero_never_pages)
{
	int i;

	vty.term_length = 0;
	for (i = 0; i < 100; i++)
		vty_out(&vty, "l\n");
	vty_flush(&vty);
	cr_expect_null(strstr(written, "More"));
	cr_expect_eq(written_len, 300);
}

Test(vty, confirm_enter_and_n)
{
	keys = "\r";
	cr_expect(vty_confirm(&vty, "Clear logging buffer "));
	cr_expect_str_eq(written, "Clear logging buffer [confirm]\r\n");

	written_len = 0;
	keys = "n";
	cr_expect_not(vty_confirm(&vty, "Proceed? [confirm]"));
	cr_expect_str_eq(written, "Proceed? [confirm]\r\n");
}

Test(vty, ask_flushes_output_first)
{
	char reply[32];

	vty_out(&vty, "before\n");
	keys = "startup-config\r";
	cr_expect_eq(vty_ask(&vty, "Destination filename [startup-config]? ",
			     reply, sizeof(reply)), 14);
	cr_expect_str_eq(reply, "startup-config");
	cr_expect_str_eq(written,
			 "before\r\nDestination filename [startup-config]? ");
}

Test(vty, history_drops_blank_repeats_and_oldest)
{
	char name[16];
	int i;

	vty_history_add(&vty, "");
	vty_history_add(&vty, "a");
	vty_history_add(&vty, "a");
	cr_expect_eq(vty.history_len, 1);
	for (i = 0; i < VTY_HISTORY_DEFAULT + 3; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		vty_history_add(&vty, name);
	}
	cr_expect_eq(vty.history_len, VTY_HISTORY_DEFAULT);
	cr_expect_str_eq(vty.history[0], "c3");
	snprintf(name, sizeof(name), "c%d", VTY_HISTORY_DEFAULT + 2);
	cr_expect_str_eq(vty.history[VTY_HISTORY_DEFAULT - 1], name);
}

Test(vty, history_resize_keeps_newest)
{
	char name[16];
	int i;

	for (i = 0; i < VTY_HISTORY_DEFAULT; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		vty_history_add(&vty, name);
	}
	vty_history_resize(&vty, 3);
	cr_expect_eq(vty.history_len, 3);
	snprintf(name, sizeof(name), "c%d", VTY_HISTORY_DEFAULT - 3);
	cr_expect_str_eq(vty.history[0], name);
	vty_history_resize(&vty, 0);
	cr_expect_eq(vty.history_len, 0);
	vty_history_add(&vty, "username bob password 0 secret");
	cr_expect_eq(vty.history_len, 0, "size 0 kept a line");
	vty_history_resize(&vty, VTY_HISTORY_MAX);
	for (i = 0; i < VTY_HISTORY_MAX + 1; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		vty_history_add(&vty, name);
	}
	cr_expect_eq(vty.history_len, VTY_HISTORY_MAX);
	cr_expect_str_eq(vty.history[0], "d1");
}

Test(vty, async_write_without_editor)
{
	vty_async_write(&vty, "*Mar  1 00:00:00.000: %LINK-3-UPDOWN: x");
	cr_expect_str_eq(written, "*Mar  1 00:00:00.000: %LINK-3-UPDOWN: x\r\n");
}

Test(vty, monitor_receives_log_lines)
{
	cr_assert_eq(vty_set_monitor(&vty, true), 0);
	cr_expect(vty.monitor);
	log_msg(LOGMSG_SYS_CONFIG_I, "Configured from console by console");
	cr_expect_not_null(strstr(written,
		"%SYS-5-CONFIG_I: Configured from console by console\r\n"),
		"written: %s", written);

	written_len = 0;
	written[0] = '\0';
	vty_set_monitor(&vty, false);
	log_msg(LOGMSG_SYS_CONFIG_I, "Configured from console by console");
	cr_expect_str_eq(written, "");
}

/* The hostname comes from the running config; config modes cut it. */
Test(vty, long_hostname_cut_in_config)
{
	const char *src = getenv("VR_SOURCE_DIR");
	struct router router = { 0 };
	struct cfg_txn *txn;
	char yang[1024], err[256];

	cr_assert_not_null(src, "VR_SOURCE_DIR is not set");
	snprintf(yang, sizeof(yang), "%s/configs/yang", src);
	router.cfg = cfg_create(yang);
	cr_assert_not_null(router.cfg, "cannot load YANG modules from %s", yang);
	txn = cfg_txn_begin(router.cfg);
	cr_assert_eq(cfg_txn_set(txn, "/vrouter-config:system/hostname",
				 "THIS.IS.A.PARTICULARLY.LONG"), 0);
	cr_assert_eq(cfg_txn_commit(txn, err, sizeof(err)), 0, "%s", err);

	vty.router = &router;
	vty.levels[0].mode = MODE_PRIV_EXEC;
	cr_expect_str_eq(prompt(), "THIS.IS.A.PARTICULARLY.LONG#");
	vty_enter_mode(&vty, MODE_CONFIG, NULL);
	cr_expect_str_eq(prompt(), "THIS.IS.A.PARTICULAR(config)#");
	vty.router = NULL;
	cfg_destroy(router.cfg);
}
