#include "cli/command.h"
#include "cli/vty.h"
#include "core/config.h"
#include "core/debug.h"
#include "core/log.h"
#include "core/router.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Session output, with "\r\n" folded to "\n". */
static char output[65536];
static size_t output_len;
static int confirm_key;
static struct router router;
static struct vty vty;

static int
capture_write(struct vty *v, const char *buf, size_t len)
{
	size_t i;

	(void)v;
	for (i = 0; i < len && output_len + 1 < sizeof(output); i++)
		if (buf[i] != '\r')
			output[output_len++] = buf[i];
	output[output_len] = '\0';
	return 0;
}

static int
answer_key(struct vty *v)
{
	(void)v;
	return confirm_key;
}

static const struct vty_io capture_io = {
	.write = capture_write,
	.read_key = answer_key,
};

static void
setup(void)
{
	cr_assert_eq(log_init(LOG_DEFAULT_BUFFER_SIZE), 0);
	debug_all_off();
	memset(&router, 0, sizeof(router));
	router.cfg = cfg_create(VR_YANG_DIR);
	cr_assert_not_null(router.cfg, "cannot load YANG from %s", VR_YANG_DIR);
	cmd_init_all();
	vty_init(&vty, &router, &capture_io, NULL, "con 0", true);
	vty.levels[0].mode = MODE_PRIV_EXEC;
	vty.privilege = 15;
	vty.term_length = 0;
	confirm_key = '\r';
}

static void
teardown(void)
{
	vty_release(&vty);
	cmd_free_all();
	cfg_destroy(router.cfg);
	debug_all_off();
	log_shutdown();
}

TestSuite(cmd_logging, .init = setup, .fini = teardown);

/* Runs LINE and returns what it printed. */
static const char *
run(const char *line)
{
	output_len = 0;
	output[0] = '\0';
	cmd_execute(&vty, line, strlen("Router#"));
	return output;
}

Test(cmd_logging, debug_isakmp_on_and_off)
{
	cr_assert_str_eq(run("debug crypto isakmp"),
			 "Crypto ISAKMP debugging is on\n");
	cr_assert(debug_on(DEBUG_CRYPTO_ISAKMP));
	cr_assert_not(debug_on(DEBUG_CRYPTO_IPSEC));
	cr_assert_str_eq(run("no debug crypto isakmp"),
			 "Crypto ISAKMP debugging is off\n");
	cr_assert_not(debug_on(DEBUG_CRYPTO_ISAKMP));
}

Test(cmd_logging, abbreviated_debug_ipsec)
{
	cr_assert_str_eq(run("deb cry ips"), "Crypto IPSEC debugging is on\n");
	cr_assert(debug_on(DEBUG_CRYPTO_IPSEC));
	cr_assert_str_eq(run("undebug crypto ipsec"),
			 "Crypto IPSEC debugging is off\n");
	cr_assert_not(debug_on(DEBUG_CRYPTO_IPSEC));
}

Test(cmd_logging, show_debugging_lists_switches)
{
	cr_assert_str_eq(run("show debugging"), "");
	run("debug crypto isakmp");
	run("debug crypto ipsec");
	cr_assert_str_eq(run("show debugging"),
			 "Cryptographic Subsystem:\n"
			 "  Crypto ISAKMP debugging is on\n"
			 "  Crypto IPSEC debugging is on\n");
}

Test(cmd_logging, undebug_all_turns_everything_off)
{
	run("debug crypto isakmp");
	run("debug crypto ipsec");
	cr_assert_str_eq(run("undebug all"),
			 "All possible debugging has been turned off\n");
	cr_assert_not(debug_on(DEBUG_CRYPTO_ISAKMP));
	cr_assert_not(debug_on(DEBUG_CRYPTO_IPSEC));
	run("debug crypto ipsec");
	cr_assert_str_eq(run("no debug all"),
			 "All possible debugging has been turned off\n");
	cr_assert_not(debug_on(DEBUG_CRYPTO_IPSEC));
}

Test(cmd_logging, show_logging_header_and_buffer)
{
	const char *out;
	const char *header =
		"Syslog logging: enabled (0 messages dropped, 3 messages rate-limited, 0 flushes, 0 overruns, xml disabled, filtering disabled)\n"
		"\n"
		"No Active Message Discriminator.\n"
		"\n\n\n"
		"No Inactive Message Discriminator.\n"
		"\n\n"
		"    Console logging: level debugging, 0 messages logged, xml disabled,\n"
		"                     filtering disabled\n"
		"    Monitor logging: level debugging, 0 messages logged, xml disabled,\n"
		"                     filtering disabled\n"
		"    Buffer logging:  level debugging, 2 messages logged, xml disabled,\n"
		"                    filtering disabled\n"
		"    Exception Logging: size (4096 bytes)\n"
		"    Count and timestamp logging messages: disabled\n"
		"    Persistent logging: disabled\n"
		"\n"
		"No active filter modules.\n"
		"\n"
		"    Trap logging: level informational, 1 message lines logged\n"
		"        Logging Source-Interface:       VRF Name:\n"
		"\n"
		"Log Buffer (102400 bytes):\n";

	log_count_rate_limited(3);
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	log_debug("ISAKMP: (0):test line");
	out = run("show logging");
	cr_assert_eq(strncmp(out, header, strlen(header)), 0,
		     "header differs:\n%s", out);
	out += strlen(header);
	cr_assert_not_null(strstr(out, ": %SYS-5-RESTART: System restarted --\n"));
	cr_assert_not_null(strstr(out, ": ISAKMP: (0):test line\n"));
	cr_assert_lt(strstr(out, "RESTART"), strstr(out, "test line"),
		     "buffer is not oldest first");
}

Test(cmd_logging, show_logging_disabled_destinations)
{
	const char *out;

	log_set_console_level(LOG_SEV_OFF);
	log_set_buffer(8192, LOG_SEV_OFF);
	out = run("show logging");
	cr_assert_not_null(strstr(out, "\n    Console logging: disabled\n"));
	cr_assert_not_null(strstr(out,
		"\n    Buffer logging:  disabled, xml disabled,\n"
		"                    filtering disabled\n"));
	cr_assert_not_null(strstr(out, "\nLog Buffer (8192 bytes):\n"));
}

Test(cmd_logging, clear_logging_confirmed)
{
	struct log_stats st;

	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	confirm_key = '\r';
	cr_assert_str_eq(run("clear logging"),
			 "Clear logging buffer [confirm]\n");
	log_get_stats(&st);
	cr_assert_eq(st.buffer_used, 0);
}

Test(cmd_logging, clear_logging_declined)
{
	struct log_stats st;

	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	confirm_key = 'n';
	run("clear logging");
	log_get_stats(&st);
	cr_assert_gt(st.buffer_used, 0);
}
