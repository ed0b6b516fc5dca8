/*
 * The logging config commands end to end: typed in (config) mode, stored
 * in the YANG tree, rendered by show running-config, reloaded from that
 * text, and applied to the process logger, whose lines and UDP datagrams
 * are checked byte for byte.
 */
#include "cli/config_load.h"
#include "core/config.h"
#include "core/log.h"
#include "fixture.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct fixture fx;

static void
setup(void)
{
	cr_assert_eq(log_init(LOG_DEFAULT_BUFFER_SIZE), 0);
	fx_open(&fx);
	cr_assert_eq(cfg_subscribe(fx.router.cfg, log_config_apply, NULL), 0);
}

static void
teardown(void)
{
	fx_close(&fx);
	log_shutdown();
}

TestSuite(logging_config, .init = setup, .fini = teardown);

/* Collects the buffered lines, one "\n" after each. */
static void
collect(void *ctx, const char *line)
{
	char *buf = ctx;

	strncat(buf, line, 16383 - strlen(buf));
	strncat(buf, "\n", 16383 - strlen(buf));
}

static const char *
buffered(void)
{
	static char buf[16384];

	buf[0] = '\0';
	log_buffer_foreach(collect, buf);
	return buf;
}

static bool
matches(const char *text, const char *pattern)
{
	regex_t re;
	bool ok;

	cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0,
		     "bad pattern %s", pattern);
	ok = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

Test(logging_config, buffered_size_and_level)
{
	struct log_stats st;

	fx_apply(&fx, "logging buffered 8192 warnings");
	log_get_stats(&st);
	cr_assert_eq(st.buffer_size, 8192);
	cr_assert_eq(st.buffer_level, LOG_SEV_WARNINGS);
	log_buffer_clear();
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	log_msg(LOGMSG_CRYPTO_IKMP_NO_SA, "IKE message from %s has no SA "
		"and is not an initialization offer", "10.1.1.1");
	cr_assert_not(strstr(buffered(), "RESTART"),
		      "a notification passed a warnings buffer");
	cr_assert(strstr(buffered(), "%CRYPTO-4-IKMP_NO_SA: IKE message from "
			 "10.1.1.1"), "buffer: %s", buffered());
	cr_assert(strstr(fx_render(&fx), "\nlogging buffered 8192 warnings\n"),
		  "%s", fx_render(&fx));
}

Test(logging_config, numeric_level_stored_as_keyword)
{
	fx_apply(&fx, "logging console 2");
	cr_assert_str_eq(fx_get(&fx, M "logging/console-level"), "critical");
	cr_assert(strstr(fx_render(&fx), "\nlogging console critical\n"));
}

Test(logging_config, no_forms_disable_and_render)
{
	struct log_stats st;

	fx_apply(&fx, "no logging console\nno logging monitor\n"
		 "no logging buffered\nno logging trap");
	log_get_stats(&st);
	cr_assert_eq(st.console_level, LOG_SEV_OFF);
	cr_assert_eq(st.monitor_level, LOG_SEV_OFF);
	cr_assert_eq(st.buffer_level, LOG_SEV_OFF);
	cr_assert_eq(st.trap_level, LOG_SEV_OFF);
	cr_assert(strstr(fx_render(&fx), "\nno logging buffered\n"
			 "no logging console\nno logging monitor\n!\n"),
		  "%s", fx_render(&fx));
	cr_assert(strstr(fx_render(&fx), "\nno logging trap\n"));

	/* `logging console` alone restores the default level. */
	fx_apply(&fx, "logging console");
	log_get_stats(&st);
	cr_assert_eq(st.console_level, LOG_SEV_DEBUGGING);
	cr_assert_not(strstr(fx_render(&fx), "logging console"));
}

Test(logging_config, bad_input_rejected)
{
	cr_assert(strstr(fx_run(&fx, "logging buffered 100"), "% Invalid"),
		  "%s", fx.out);
	cr_assert(strstr(fx_run(&fx, "logging console 9"), "% Invalid"));
	cr_assert(strstr(fx_run(&fx, "logging host 10.1.1.300"), "% Invalid"));
	cr_assert(strstr(fx_run(&fx, "logging source-interface Bogus7"),
			 "% Invalid"), "%s", fx.out);
	cr_assert_str_eq(fx_get(&fx, M "logging/source-interface"), "(none)");
}

Test(logging_config, sequence_numbers_and_no_timestamps)
{
	fx_apply(&fx, "service sequence-numbers\nno service timestamps log");
	log_buffer_clear();
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	cr_assert(matches(buffered(),
			  "^[0-9]{6}: %SYS-5-RESTART: System restarted --\n"
			  "[0-9]{6}: %SYS-5-RESTART"), "%s", buffered());
	cr_assert(strstr(fx_render(&fx), "!\nno service timestamps log\n"
			 "service sequence-numbers\n!\nhostname"),
		  "%s", fx_render(&fx));
}

Test(logging_config, uptime_and_timezone_stamps)
{
	fx_apply(&fx, "service timestamps log uptime\n"
		 "service timestamps debug datetime msec show-timezone");
	log_buffer_clear();
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	log_debug("ISAKMP: (0):probe");
	cr_assert(matches(buffered(),
			  "^00:00:[0-9]{2}: %SYS-5-RESTART: System restarted --\n"
			  "\\*[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8}\\.[0-9]{3} UTC: "
			  "ISAKMP: \\(0\\):probe$"), "%s", buffered());
	cr_assert(strstr(fx_render(&fx),
			 "!\nservice timestamps debug datetime msec show-timezone\n"
			 "service timestamps log uptime\n!\n"), "%s",
		  fx_render(&fx));

	/* Without msec the seconds end the stamp. */
	fx_apply(&fx, "service timestamps debug datetime");
	log_buffer_clear();
	log_debug("probe");
	cr_assert(matches(buffered(), "^\\*[A-Z][a-z]{2} [ 0-9]{2} "
			  "[0-9]{2}:[0-9]{2}:[0-9]{2}: probe$"), "%s",
		  buffered());
}

Test(logging_config, rate_limit_drops_and_counts)
{
	struct log_stats st;
	int i;

	fx_apply(&fx, "logging rate-limit 1 except errors");
	log_buffer_clear();
	log_get_stats(&st);
	for (i = 0; i < 5; i++)
		log_msg(LOGMSG_LINK_UPDOWN, "Interface %s, changed state to %s",
			"GigabitEthernet1", "down");
	for (i = 0; i < 10; i++)
		log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	{
		struct log_stats after;
		const char *b = buffered();
		int links = 0, restarts = 0;
		const char *p;

		log_get_stats(&after);
		for (p = b; (p = strstr(p, "LINK-3-UPDOWN")); p++)
			links++;
		for (p = b; (p = strstr(p, "SYS-5-RESTART")); p++)
			restarts++;
		cr_assert_eq(links, 5, "errors are excepted: %d", links);
		/* At most two seconds can start during the loop. */
		cr_assert_leq(restarts, 2, "%d restarts passed", restarts);
		cr_assert_eq(after.rate_limited - st.rate_limited,
			     (uint64_t)(10 - restarts));
	}
	cr_assert(strstr(fx_render(&fx),
			 "\nlogging rate-limit 1 except errors\n"));
	fx_apply(&fx, "no logging rate-limit");
	cr_assert_str_eq(fx_get(&fx, M "logging/rate-limit"), "(none)");
}

/* A UDP socket on 127.0.0.1 with a kernel-chosen port. */
static int
udp_listener(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Receives datagrams until one contains NEEDLE; returns it. */
static const char *
receive_with(int fd, const char *needle)
{
	static char buf[2048];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		cr_assert_eq(poll(&p, 1, 2000), 1, "no datagram with %s",
			     needle);
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		cr_assert_geq(n, 0);
		buf[n] = '\0';
		if (strstr(buf, needle))
			return buf;
	}
}

Test(logging_config, host_rfc3164_and_rfc5424)
{
	unsigned p1, p2;
	int fd1 = udp_listener(&p1), fd2 = udp_listener(&p2);
	char cmd[256];
	const char *d;

	fx_apply(&fx, "hostname edge1\ninterface Loopback0\n"
		 " ip address 10.9.9.9 255.255.255.255\n exit");
	snprintf(cmd, sizeof(cmd), "logging host 127.0.0.1 transport udp "
		 "port %u", p1);
	fx_apply(&fx, cmd);
	snprintf(cmd, sizeof(cmd), "logging host 127.0.0.2 transport udp "
		 "port %u syslog-format rfc5424", p2);
	cr_assert_eq(close(fd2), 0);
	fd2 = socket(AF_INET, SOCK_DGRAM, 0);
	{
		struct sockaddr_in sin = { .sin_family = AF_INET };

		sin.sin_addr.s_addr = htonl(0x7f000002);
		sin.sin_port = htons((uint16_t)p2);
		cr_assert_eq(bind(fd2, (struct sockaddr *)&sin, sizeof(sin)),
			     0);
	}
	fx_apply(&fx, cmd);

	/* Adding the second host was logged to the first. */
	d = receive_with(fd1, "to host 127.0.0.2");
	cr_assert(matches(d, "^<190>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} edge1 "
			  "vrouter: \\*[^:]+:[0-9]{2}:[0-9]{2}\\.[0-9]{3}: "
			  "%SYS-6-LOGGINGHOST_STARTSTOP: Logging to host "
			  "127\\.0\\.0\\.2 port [0-9]+ started - CLI initiated$"),
		  "datagram: %s", d);

	fx_apply(&fx, "logging source-interface Loopback 0");
	log_msg(LOGMSG_CRYPTO_IKMP_NO_SA, "IKE message from %s has no SA "
		"and is not an initialization offer", "10.1.1.1");
	d = receive_with(fd2, "IKMP_NO_SA");
	cr_assert(matches(d, "^<188>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T"
			  "[0-9:]{8}\\.[0-9]{3}Z 10\\.9\\.9\\.9 vrouter - "
			  "IKMP_NO_SA - \\*.*: %CRYPTO-4-IKMP_NO_SA: IKE message "
			  "from 10\\.1\\.1\\.1 has no SA"), "datagram: %s", d);
	d = receive_with(fd1, "IKMP_NO_SA");
	cr_assert(matches(d, "^<188>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} "
			  "10\\.9\\.9\\.9 vrouter: \\*"), "datagram: %s", d);

	/* A trap level below the line's severity keeps it local. */
	fx_apply(&fx, "logging trap errors");
	log_msg(LOGMSG_CRYPTO_IKMP_NO_SA, "IKE message from %s has no SA "
		"and is not an initialization offer", "10.7.7.7");
	log_msg(LOGMSG_LINK_UPDOWN, "Interface %s, changed state to %s",
		"GigabitEthernet1", "down");
	d = receive_with(fd1, "UPDOWN");
	cr_assert_not(strstr(d, "10.7.7.7"));

	snprintf(cmd, sizeof(cmd),
		 "\nlogging trap errors\nlogging source-interface Loopback0\n"
		 "logging host 127.0.0.1 transport udp port %u\n"
		 "logging host 127.0.0.2 transport udp port %u syslog-format "
		 "rfc5424\n!\n", p1, p2);
	cr_assert(strstr(fx_render(&fx), cmd), "%s", fx_render(&fx));

	fx_run(&fx, "do show logging");
	cr_assert(matches(fx.out, "^    Trap logging: level errors, [0-9]+ "
			  "message lines logged$"), "%s", fx.out);
	snprintf(cmd, sizeof(cmd), "        Logging to 127.0.0.1  (udp port %u, "
		 "audit disabled,\n              link up),\n", p1);
	cr_assert(strstr(fx.out, cmd), "%s", fx.out);
	cr_assert(strstr(fx.out, "        Logging Source-Interface:       "
			 "VRF Name:\n        Loopback0"), "%s", fx.out);

	fx_apply(&fx, "no logging host 127.0.0.2");
	cr_assert_not(strstr(fx_render(&fx), "127.0.0.2"));
	close(fd1);
	close(fd2);
}

/*
 * Logs one IKMP_NO_SA line naming PEER and receives it on FD; returns
 * the datagram's source address and copies the datagram to TEXT.
 */
static const char *
log_and_receive_from(int fd, const char *peer, char *text, size_t len)
{
	static char from[INET_ADDRSTRLEN];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_in sin;
	socklen_t slen;
	char buf[2048];
	ssize_t n;

	log_msg(LOGMSG_CRYPTO_IKMP_NO_SA, "IKE message from %s has no SA "
		"and is not an initialization offer", peer);
	for (;;) {
		cr_assert_eq(poll(&p, 1, 2000), 1, "no datagram about %s",
			     peer);
		slen = sizeof(sin);
		n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
			     (struct sockaddr *)&sin, &slen);
		cr_assert_geq(n, 0);
		buf[n] = '\0';
		if (strstr(buf, peer) != NULL)
			break;
	}
	snprintf(text, len, "%s", buf);
	inet_ntop(AF_INET, &sin.sin_addr, from, sizeof(from));
	return from;
}

/*
 * logging source-interface: datagrams leave from the interface's address
 * when this host has it (127.0.0.0/8), and an address that only the
 * router's datapath has names the router without a bind.
 */
Test(logging_config, source_interface_binds_host_address)
{
	char cmd[128], text[2048];
	unsigned port;
	int fd = udp_listener(&port);

	fx_apply(&fx, "hostname edge1\ninterface Loopback0\n"
		 " ip address 127.0.0.55 255.255.255.255\n exit\n"
		 "interface Loopback1\n ip address 10.9.9.9 255.255.255.255\n"
		 " exit");
	snprintf(cmd, sizeof(cmd), "logging host 127.0.0.1 transport udp "
		 "port %u", port);
	fx_apply(&fx, cmd);
	cr_assert_str_eq(log_and_receive_from(fd, "10.1.1.1", text,
					      sizeof(text)), "127.0.0.1");
	cr_assert(strstr(text, " edge1 vrouter: "), "%s", text);

	fx_apply(&fx, "logging source-interface Loopback0");
	cr_assert_str_eq(log_and_receive_from(fd, "10.2.2.2", text,
					      sizeof(text)), "127.0.0.55");
	cr_assert(strstr(text, " 127.0.0.55 vrouter: "), "%s", text);

	/* 10.9.9.9 is not on this host: the kernel picks the source. */
	fx_apply(&fx, "logging source-interface Loopback1");
	cr_assert_str_eq(log_and_receive_from(fd, "10.3.3.3", text,
					      sizeof(text)), "127.0.0.1");
	cr_assert(strstr(text, " 10.9.9.9 vrouter: "), "%s", text);

	fx_apply(&fx, "logging source-interface Loopback0\n"
		 "no logging source-interface");
	cr_assert_str_eq(log_and_receive_from(fd, "10.4.4.4", text,
					      sizeof(text)), "127.0.0.1");
	cr_assert(strstr(text, " edge1 vrouter: "), "%s", text);
	close(fd);
}

Test(logging_config, render_reloads_to_same_tree)
{
	char *first, *second;
	int rejected;

	fx_apply(&fx, "service timestamps debug datetime msec localtime "
		 "show-timezone\nservice timestamps log uptime\n"
		 "service sequence-numbers\nlogging buffered 65536 informational\n"
		 "no logging console\nlogging monitor warnings\n"
		 "logging rate-limit 50\nlogging trap notifications\n"
		 "logging host 127.0.0.1 transport udp port 5514 "
		 "syslog-format rfc5424\nlogging host 127.0.0.3");
	first = strdup(fx_render(&fx));
	cr_assert_not_null(first);
	fx_close(&fx);
	fx_open(&fx);
	cr_assert_eq(cfg_subscribe(fx.router.cfg, log_config_apply, NULL), 0);
	rejected = config_load_text(&fx.router, "rendered", first, NULL);
	cr_assert_eq(rejected, 0, "rendered text was rejected:\n%s", first);
	second = strdup(fx_render(&fx));
	cr_assert_str_eq(second, first);
	free(first);
	free(second);
}

Test(logging_config, refused_host_counts_drops)
{
	struct log_stats st;
	unsigned port;
	char cmd[128];
	int fd = udp_listener(&port), i;

	/* Nothing listens on the port once the socket is closed. */
	close(fd);
	snprintf(cmd, sizeof(cmd), "logging host 127.0.0.1 transport udp "
		 "port %u", port);
	fx_apply(&fx, cmd);
	for (i = 0; i < 5; i++) {
		log_msg(LOGMSG_SYS_RESTART, "System restarted --");
		usleep(20000);
	}
	log_get_stats(&st);
	cr_assert_geq(st.dropped, 1, "the kernel refused no datagram");
	fx_run(&fx, "do show logging");
	snprintf(cmd, sizeof(cmd), "Syslog logging: enabled (%llu messages "
		 "dropped, ", (unsigned long long)st.dropped);
	cr_assert(strstr(fx.out, cmd), "%s", fx.out);
}

Test(logging_config, localtime_stamps_use_tz)
{
	setenv("TZ", "EST5", 1);
	tzset();
	fx_apply(&fx, "service timestamps log datetime msec localtime "
		 "show-timezone");
	log_buffer_clear();
	log_msg(LOGMSG_SYS_RESTART, "System restarted --");
	cr_assert(matches(buffered(), "^\\*[A-Z][a-z]{2} [ 0-9]{2} "
			  "[0-9:]{8}\\.[0-9]{3} EST: %SYS-5-RESTART"), "%s",
		  buffered());
	unsetenv("TZ");
	tzset();
}
