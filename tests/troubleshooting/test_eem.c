/*
 * The Embedded Event Manager on a real config store, logger and command
 * engine: applets typed in config mode, rendered and reloaded, triggered
 * by syslog lines, timers and `event manager run`, with the files and
 * log lines their actions leave checked exactly.
 */
#include "cli/cmd_eem.h"
#include "cli/config_load.h"
#include "core/config.h"
#include "core/eem.h"
#include "core/log.h"
#include "fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static struct fixture fx;

static void
setup(void)
{
	cr_assert_eq(log_init(LOG_DEFAULT_BUFFER_SIZE), 0);
	fx_open(&fx);
	cr_assert_eq(cmd_eem_start(&fx.router), 0);
}

static void
teardown(void)
{
	cmd_eem_stop(&fx.router);
	fx_close(&fx);
	log_shutdown();
}

TestSuite(eem, .init = setup, .fini = teardown);

static void
collect(void *ctx, const char *line)
{
	char *buf = ctx;

	strncat(buf, line, 65535 - strlen(buf));
	strncat(buf, "\n", 65535 - strlen(buf));
}

static const char *
buffered(void)
{
	static char buf[65536];

	buf[0] = '\0';
	log_buffer_foreach(collect, buf);
	return buf;
}

/* Waits up to 5 s for NEEDLE in the log buffer. */
static bool
wait_log(const char *needle)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (strstr(buffered(), needle))
			return true;
		usleep(10000);
	}
	return false;
}

static int
count(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)) != NULL; text++)
		n++;
	return n;
}

/* Waits up to 5 s for N copies of NEEDLE in the log buffer. */
static bool
wait_for_count(const char *needle, int n)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (count(buffered(), needle) >= n)
			return true;
		usleep(10000);
	}
	return false;
}

/* Returns the contents of FILE in the fixture's folder (malloc'd). */
static char *
read_flash(const char *name)
{
	char path[256];
	char *buf = NULL;
	size_t len = 0;
	FILE *f, *out;
	int c;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	out = open_memstream(&buf, &len);
	while ((c = fgetc(f)) != EOF)
		fputc(c, out);
	fclose(f);
	fclose(out);
	return buf;
}

static const char *const counter_applet =
	"event manager applet COUNT\n"
	" event none maxrun 5\n"
	" action 1.0 set n 3\n"
	" action 2.0 increment n 2\n"
	" action 3.0 if $n gt 4\n"
	" action 3.1  set verdict big\n"
	" action 3.2 else\n"
	" action 3.3  set verdict small\n"
	" action 3.4 end\n"
	" action 4.0 append verdict \"-$n\"\n"
	" action 5.0 file open fh flash:count.txt w\n"
	" action 5.1 file puts fh \"verdict=$verdict type=$_event_type_string\"\n"
	" action 5.2 file close fh\n"
	" action 6.0 syslog msg \"done $verdict\"\n";

Test(eem, none_event_runs_actions)
{
	char *text;

	fx_apply(&fx, counter_applet);
	fx_run(&fx, "end");
	cr_assert_str_eq(fx_run(&fx, "event manager run COUNT"), "");
	text = read_flash("count.txt");
	cr_assert_not_null(text, "count.txt was not written");
	cr_assert_str_eq(text, "verdict=big-5 type=none\n");
	free(text);
	cr_assert(wait_log("%HA_EM-6-LOG: COUNT: done big-5"), "%s",
		  buffered());
	cr_assert(strstr(fx_run(&fx, "show event manager history events"),
			 " success      "), "%s", fx.out);
	cr_assert(strstr(fx.out, "none                applet: COUNT\n"),
		  "%s", fx.out);
}

Test(eem, render_and_reload_round_trip)
{
	char *first;

	fx_apply(&fx, counter_applet);
	fx_apply(&fx, "event manager applet INV authorization bypass\n"
		 " event syslog occurs 2 pattern \"RECVD_PKT_INV_SPI\" "
		 "period 60 ratelimit 30 maxrun 90\n"
		 " action 10 syslog msg \"ten\"\n"
		 " action 9 cli command \"show crypto ipsec sa | append "
		 "flash:x.txt\"\n");
	first = strdup(fx_render(&fx));
	/* Labels run and print in string order: "10" before "9". */
	cr_assert(strstr(first,
			 "\nevent manager applet INV authorization bypass\n"
			 " event syslog occurs 2 pattern \"RECVD_PKT_INV_SPI\" "
			 "period 60 ratelimit 30 maxrun 90\n"
			 " action 10 syslog msg \"ten\"\n"
			 " action 9 cli command \"show crypto ipsec sa | append "
			 "flash:x.txt\"\n!\n"), "%s", first);
	cr_assert(strstr(first, " action 3.1 set verdict big\n"), "%s", first);

	cmd_eem_stop(&fx.router);
	fx_close(&fx);
	fx_open(&fx);
	cr_assert_eq(cmd_eem_start(&fx.router), 0);
	cr_assert_eq(config_load_text(&fx.router, "rendered", first, NULL), 0,
		     "rendered text was rejected:\n%s", first);
	cr_assert_str_eq(fx_render(&fx), first);
	free(first);
	fx_run(&fx, "end");
	fx_run(&fx, "show event manager policy registered");
	cr_assert(strstr(fx.out, "applet    user    syslog              Off"),
		  "%s", fx.out);
	cr_assert(strstr(fx.out, " pattern {RECVD_PKT_INV_SPI}\n occurs 2\n"
			 " period 60.000\n ratelimit 30.000\n maxrun 90.000\n"
			 " action 10 syslog msg \"ten\"\n"), "%s", fx.out);
}

Test(eem, bad_lines_rejected)
{
	fx_apply(&fx, "event manager applet BAD");
	cr_assert(strstr(fx_run(&fx, "event syslog occurs 2"),
			 "% Invalid event: event syslog needs a pattern"),
		  "%s", fx.out);
	cr_assert(strstr(fx_run(&fx, "event syslog pattern \"(\""),
			 "% Invalid event: invalid regular expression"),
		  "%s", fx.out);
	cr_assert(strstr(fx_run(&fx, "event timer watchdog"),
			 "% Invalid event: event timer needs time"), "%s",
		  fx.out);
	cr_assert(strstr(fx_run(&fx, "event none occurs 2"),
			 "% Invalid event: unexpected occurs in event none"),
		  "%s", fx.out);
	cr_assert(strstr(fx_run(&fx, "event syslog pattern \"x\" time 5"),
			 "% Invalid event: unexpected time in event syslog"),
		  "%s", fx.out);
	cr_assert(strstr(fx_run(&fx, "event snmp oid 1.2.3"),
			 "% Invalid event: unsupported event snmp"), "%s",
		  fx.out);
	cr_assert(strstr(fx_run(&fx, "action 1 launch rockets"),
			 "% Invalid action 1: unknown action"), "%s", fx.out);
	cr_assert(strstr(fx_run(&fx, "action 1 cli command \"show clock"),
			 "% Invalid action 1: unterminated quote"), "%s",
		  fx.out);
	cr_assert(strstr(fx_run(&fx, "action 1 wait soon"),
			 "% Invalid action 1: expected wait SECONDS"), "%s",
		  fx.out);
	cr_assert_str_eq(fx_get(&fx, M "event-manager/applet[name='BAD']/"
				"event/type"), "(none)");
	fx_run(&fx, "end");
	cr_assert(strstr(fx_run(&fx, "event manager run NOPE"),
			 "% EEM policy NOPE not registered"), "%s", fx.out);
}

Test(eem, syslog_pattern_with_occurs)
{
	fx_apply(&fx, "event manager applet NOSA\n"
		 " event syslog occurs 2 pattern \"IKMP_NO_SA: IKE message "
		 "from [0-9.]+\"\n"
		 " action 1 regexp \"from ([0-9.]+) has\" \"$_syslog_msg\" "
		 "all peer\n"
		 " action 2 syslog msg \"peer $peer type $_event_type_string\"\n");
	fx_run(&fx, "end");
	log_msg(LOGMSG_CRYPTO_IKMP_NO_SA, "IKE message from %s has no SA "
		"and is not an initialization offer", "10.1.1.1");
	usleep(300000);
	cr_assert_not(strstr(buffered(), "%HA_EM"), "one match ran it:\n%s",
		      buffered());
	log_msg(LOGMSG_CRYPTO_IKMP_NO_SA, "IKE message from %s has no SA "
		"and is not an initialization offer", "10.2.2.2");
	cr_assert(wait_log("%HA_EM-6-LOG: NOSA: peer 10.2.2.2 type syslog"),
		  "%s", buffered());
	/* The applet's own line is not screened again. */
	usleep(300000);
	cr_assert_eq(count(buffered(), "%HA_EM-6-LOG"), 1, "%s", buffered());
}

Test(eem, ratelimit_suppresses_reruns)
{
	int i;

	fx_apply(&fx, "event manager applet RL\n"
		 " event syslog pattern \"%SYS-5-RESTART\" ratelimit 60\n"
		 " action 1 syslog msg \"restart seen\"\n");
	fx_run(&fx, "end");
	for (i = 0; i < 5; i++)
		log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	cr_assert(wait_log("RL: restart seen"));
	usleep(300000);
	cr_assert_eq(count(buffered(), "RL: restart seen"), 1, "%s",
		     buffered());
}

Test(eem, cli_session_enable_and_configure)
{
	char *text;

	fx_apply(&fx, "event manager applet CLI\n"
		 " event none\n"
		 " action 1.0 cli command \"show privilege\"\n"
		 " action 1.1 set before \"$_cli_result\"\n"
		 " action 2.0 cli command \"enable\"\n"
		 " action 3.0 cli command \"configure terminal\"\n"
		 " action 3.1 cli command \"hostname EEM-SET\"\n"
		 " action 3.2 cli command \"end\"\n"
		 " action 4.0 cli command \"show running-config | redirect "
		 "flash:run.txt\"\n"
		 " action 4.1 cli command \"show privilege | append "
		 "flash:run.txt\"\n"
		 " action 5.0 file open f flash:before.txt w\n"
		 " action 5.1 file write f \"$before\"\n"
		 " action 5.2 file close f\n");
	fx_run(&fx, "end");
	cr_assert_str_eq(fx_run(&fx, "event manager run CLI"), "");
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "EEM-SET");
	text = read_flash("run.txt");
	cr_assert_not_null(text);
	cr_assert(strstr(text, "\nhostname EEM-SET\n"), "%s", text);
	cr_assert(strstr(text, "Current privilege level is 15\n"), "%s", text);
	free(text);
	text = read_flash("before.txt");
	cr_assert_not_null(text);
	cr_assert_str_eq(text, "Current privilege level is 1\n");
	free(text);
	cr_assert(wait_log("%SYS-5-CONFIG_I: Configured from"), "%s",
		  buffered());
}

/*
 * An applet that matches CONFIG_I and configures something logs CONFIG_I
 * itself: that line must not trigger it again.
 */
Test(eem, own_config_i_does_not_retrigger)
{
	fx_apply(&fx, "event manager applet LOOP\n"
		 " event syslog pattern \"CONFIG_I\"\n"
		 " action 1.0 cli command \"enable\"\n"
		 " action 2.0 cli command \"configure terminal\"\n"
		 " action 3.0 cli command \"hostname LOOPED\"\n"
		 " action 4.0 cli command \"end\"\n"
		 " action 5.0 syslog msg \"ran\"\n");
	/* Leaving config mode logs the CONFIG_I that starts the applet. */
	fx_run(&fx, "end");
	cr_assert(wait_log("%HA_EM-6-LOG: LOOP: ran"), "%s", buffered());
	cr_assert(wait_log("Configured from console by eem"), "%s",
		  buffered());
	usleep(500000);
	cr_assert_eq(count(buffered(), "%HA_EM-6-LOG: LOOP: ran"), 1,
		     "the applet ran again on its own CONFIG_I:\n%s",
		     buffered());
	cr_assert_eq(count(buffered(), "%SYS-5-CONFIG_I"), 2, "%s",
		     buffered());
	cr_assert_str_eq(fx_get(&fx, M "system/hostname"), "LOOPED");

	/* Another session's CONFIG_I still starts it. */
	fx_run(&fx, "configure terminal");
	fx_run(&fx, "end");
	cr_assert(wait_for_count("%HA_EM-6-LOG: LOOP: ran", 2), "%s",
		  buffered());
}

/* Sets up the router's stop descriptor that reload writes to. */
static int
stop_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	fx.router.stop_fd = fd;
	return fd;
}

/* True when reload asked the router to stop through FD. */
static bool
stop_requested(int fd)
{
	uint64_t v = 0;

	return read(fd, &v, sizeof(v)) == sizeof(v) && v > 0;
}

/* Without a pattern, reload's questions get no answer: no restart. */
Test(eem, cli_reload_without_pattern_does_not_reload)
{
	int fd = stop_eventfd();

	fx_apply(&fx, "event manager applet RELOAD\n"
		 " event none\n"
		 " action 1.0 cli command \"enable\"\n"
		 " action 2.0 cli command \"reload\"\n"
		 " action 3.0 syslog msg \"$_cli_result\"\n");
	fx_run(&fx, "end");
	fx_run(&fx, "write memory");
	cr_assert_str_eq(fx_run(&fx, "event manager run RELOAD"), "");
	cr_assert(wait_log("%HA_EM-6-LOG: RELOAD: Proceed with reload? "
			   "[confirm]"), "%s", buffered());
	cr_assert_not(fx.router.reload_requested);
	cr_assert_not(stop_requested(fd));
	cr_assert_null(strstr(buffered(), "%SYS-5-RELOAD"), "%s",
		       buffered());
	close(fd);
}

/*
 * IOS's form: `pattern` on the reload action, the answers in the cli
 * actions that follow, each matched against the question it answers.
 */
Test(eem, cli_reload_pattern_and_answers)
{
	int fd = stop_eventfd();

	fx_apply(&fx, "event manager applet RELOAD\n"
		 " event none\n"
		 " action 1.0 cli command \"enable\"\n"
		 " action 2.0 cli command \"reload\" pattern \"yes/no\"\n"
		 " action 2.1 cli command \"no\" pattern \"confirm\"\n"
		 " action 2.2 cli command \"y\"\n"
		 " action 3.0 syslog msg \"after\"\n");
	fx_run(&fx, "end");
	/* The applet makes the running config differ from startup. */
	cr_assert_str_eq(fx_run(&fx, "event manager run RELOAD"), "");
	cr_assert(wait_log("%HA_EM-6-LOG: RELOAD: after"), "%s", buffered());
	cr_assert(strstr(buffered(), "%SYS-5-RELOAD: Reload requested by "
			 "console on eem. Reload Reason: Reload Command."),
		  "%s", buffered());
	cr_assert(fx.router.reload_requested);
	cr_assert(stop_requested(fd));
	close(fd);
}

/* A reply that refuses the confirmation stops the reload. */
Test(eem, cli_reload_answer_no_cancels)
{
	int fd = stop_eventfd();

	fx_apply(&fx, "event manager applet RELOAD\n"
		 " event none\n"
		 " action 1.0 cli command \"enable\"\n"
		 " action 2.0 cli command \"reload\" pattern \"confirm\"\n"
		 " action 2.1 cli command \"n\"\n"
		 " action 3.0 syslog msg \"after\"\n");
	fx_run(&fx, "end");
	fx_run(&fx, "write memory");
	cr_assert_str_eq(fx_run(&fx, "event manager run RELOAD"), "");
	cr_assert(wait_log("%HA_EM-6-LOG: RELOAD: after"), "%s", buffered());
	cr_assert_not(fx.router.reload_requested);
	cr_assert_not(stop_requested(fd));
	/* The reply went to the question and did not run as a command. */
	cr_assert_null(strstr(buffered(), "%HA_EM-3"), "%s", buffered());
	close(fd);
}

Test(eem, maxrun_stops_runaway)
{
	struct timespec t0, t1;
	double secs;

	fx_apply(&fx, "event manager applet SLOW\n"
		 " event none maxrun 1\n"
		 " action 1 syslog msg \"start\"\n"
		 " action 2 wait 30\n"
		 " action 3 syslog msg \"never\"\n");
	fx_run(&fx, "end");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fx_run(&fx, "event manager run SLOW");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_lt(secs, 10.0, "the run took %.1f s", secs);
	cr_assert(strstr(buffered(), "%HA_EM-6-LOG: SLOW: start"));
	cr_assert(strstr(buffered(), "%HA_EM-3-FMPD_EXECUTION_ERROR: Error "
			 "executing applet SLOW statement 2"), "%s",
		  buffered());
	cr_assert_not(strstr(buffered(), "never"));
	cr_assert(strstr(fx_run(&fx, "show event manager history events"),
			 " maxrun       "), "%s", fx.out);
}

Test(eem, countdown_timer_fires_once)
{
	fx_apply(&fx, "event manager applet TICK\n"
		 " event timer countdown time 1\n"
		 " action 1 syslog msg \"$_event_type_string\"\n");
	cr_assert(wait_log("%HA_EM-6-LOG: TICK: timer countdown"), "%s",
		  buffered());
	sleep(2);
	cr_assert_eq(count(buffered(), "TICK: timer countdown"), 1);
}

Test(eem, watchdog_timer_repeats)
{
	int i;

	fx_apply(&fx, "event manager applet DOG\n"
		 " event timer watchdog time 1 maxrun 5\n"
		 " action 1 syslog msg \"woof\"\n");
	cr_assert(strstr(fx_render(&fx), "\n event timer watchdog time 1 "
			 "maxrun 5\n"), "%s", fx_render(&fx));
	for (i = 0; i < 50 && count(buffered(), "DOG: woof") < 2; i++)
		usleep(100000);
	cr_assert_geq(count(buffered(), "DOG: woof"), 2, "%s", buffered());
}

Test(eem, no_applet_removes_it)
{
	fx_apply(&fx, counter_applet);
	fx_apply(&fx, "no event manager applet COUNT");
	fx_run(&fx, "end");
	cr_assert(strstr(fx_run(&fx, "event manager run COUNT"),
			 "% EEM policy COUNT not registered"), "%s", fx.out);
	cr_assert_str_eq(fx_run(&fx, "show event manager policy registered"),
			 "");
}

Test(eem, syslog_flood_is_bounded)
{
	unsigned long long screened, lost, queued, dropped;
	const char *p;
	int i;

	fx_apply(&fx, "event manager applet FLOOD\n"
		 " event syslog pattern \"RESTART\"\n"
		 " action 1 increment n\n");
	/* Staying in config mode keeps %SYS-5-CONFIG_I out of the counts. */
	for (i = 0; i < 3000; i++)
		log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	/* Wait for the dispatcher to drain the line queue. */
	for (i = 0; i < 500; i++) {
		fx_run(&fx, "do show event manager statistics server");
		p = strstr(fx.out, "Syslog Event Queue");
		cr_assert_not_null(p, "%s", fx.out);
		cr_assert_eq(sscanf(p + 30, "%llu %llu", &screened, &lost), 2);
		if (screened + lost >= 3000)
			break;
		usleep(10000);
	}
	cr_assert_eq(screened + lost, 3000, "%s", fx.out);
	p = strstr(fx.out, "Applet Publish Queue");
	cr_assert_not_null(p, "%s", fx.out);
	cr_assert_eq(sscanf(p + 30, "%llu %llu", &queued, &dropped), 2);
	/* Every screened line matched: it ran or was dropped, none lost. */
	cr_assert_eq(queued + dropped, screened, "%s", fx.out);
	cr_assert_gt(dropped, 0, "a flood must overflow the run queue");
	cr_assert(strstr(fx.out, "Client                         Events"));
}

Test(eem, occurs_within_period_only)
{
	fx_apply(&fx, "event manager applet WIN\n"
		 " event syslog occurs 2 pattern \"RESTART\" period 1\n"
		 " action 1 syslog msg \"twice within a second\"\n");
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	usleep(1300000);
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	usleep(300000);
	cr_assert_not(strstr(buffered(), "WIN: twice"),
		      "matches 1.3 s apart ran it:\n%s", buffered());
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	cr_assert(wait_log("%HA_EM-6-LOG: WIN: twice within a second"),
		  "%s", buffered());
}

Test(eem, environment_variables)
{
	char *text;

	fx_apply(&fx, "event manager environment _out flash:env.txt\n"
		 "event manager environment _who two words\n"
		 "event manager applet ENV\n"
		 " event none\n"
		 " action 1 file open f $_out w\n"
		 " action 2 file puts f \"who=$_who\"\n"
		 " action 3 file close f\n");
	cr_assert(strstr(fx_render(&fx),
			 "\nevent manager environment _out flash:env.txt\n"
			 "event manager environment _who two words\n"
			 "event manager applet ENV\n"), "%s", fx_render(&fx));
	cr_assert_str_eq(fx_run(&fx, "do event manager run ENV"), "");
	text = read_flash("env.txt");
	cr_assert_not_null(text);
	cr_assert_str_eq(text, "who=two words\n");
	free(text);
	fx_run(&fx, "no event manager environment _who");
	cr_assert_str_eq(fx_get(&fx, M "event-manager/environment[name='_who']/value"), "(none)", "%s", fx_render(&fx));
	cr_assert_not(strstr(fx_render(&fx), "environment _who"));
	cr_assert(strstr(fx_render(&fx), "environment _out"));
	cr_assert(strstr(fx_run(&fx, "event manager environment bad-name x"),
			 "% Invalid variable name bad-name"), "%s", fx.out);
}

Test(eem, long_line_screened_from_its_mnemonic)
{
	char text[1100];

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	fx_apply(&fx, "event manager applet LONG\n"
		 " event syslog pattern \"^%PARSER-4-BADCFG: startup line 7\"\n"
		 " action 1 syslog msg \"cut line seen\"\n");
	/* The line is cut to LOG_LINE_MAX; the body still starts at "%". */
	log_msg(LOGMSG_PARSER_CONFIG_LINE, "%s line %u rejected: %s: %s",
		"startup", 7u, text, "bad");
	cr_assert(wait_log("%HA_EM-6-LOG: LONG: cut line seen"), "%s",
		  buffered());
}
