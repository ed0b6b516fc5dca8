/*
 * Line discipline of telnet sessions: the real telnet code and the real
 * command engine run on one end of a socketpair, and the test plays the
 * client on the other end, writing raw bytes and checking the exact bytes
 * that come back. `show history` tells which lines really ran.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/telnet.h"
#include "cli/vty.h"
#include "core/log.h"

#define IAC "\xff"
#define NEGOTIATION IAC "\xfb\x01" IAC "\xfb\x03" IAC "\xfd\x1f"
#define READ_TIMEOUT_MS 3000

/* ---- Harness: a session thread on one end of a socketpair. */

static int client = -1;
static pthread_t server;

static void *
serve(void *arg)
{
	vty_telnet_serve(NULL, (int)(intptr_t)arg, "127.0.0.1", 0);
	return NULL;
}

/* Reads until the received bytes end with END; returns a malloc'd copy. */
static char *
read_until(int fd, const char *end, size_t *lenp)
{
	size_t len = 0, cap = 4096, elen = strlen(end);
	char *buf = malloc(cap);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		if (len >= elen && memcmp(buf + len - elen, end, elen) == 0)
			break;
		if (poll(&pfd, 1, READ_TIMEOUT_MS) <= 0)
			break;
		if (len + 512 > cap)
			buf = realloc(buf, cap *= 2);
		n = read(fd, buf + len, 512);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

/* Asserts that the peer closed FD with no more bytes to read. */
static void
expect_eof(int fd, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	cr_assert_gt(poll(&pfd, 1, READ_TIMEOUT_MS), 0, "%s: still open", what);
	cr_expect_eq(read(fd, &c, 1), 0, "%s: not closed", what);
}

static void
send_bytes(const char *bytes, size_t len)
{
	cr_assert_eq(write(client, bytes, len), (ssize_t)len);
}

#define SEND(s) send_bytes((s), sizeof(s) - 1)

/* Sends BYTES and asserts that the session replies with exactly WANT. */
static void
expect_reply(const char *bytes, size_t blen, const char *want, size_t wlen)
{
	size_t got_len;
	char *got;

	send_bytes(bytes, blen);
	got = read_until(client, want + wlen - (wlen > 8 ? 8 : wlen), &got_len);
	cr_expect_eq(got_len, wlen, "reply length %zu, expected %zu: \"%s\"",
		     got_len, wlen, got);
	cr_expect(got_len == wlen && memcmp(got, want, wlen) == 0,
		  "reply \"%s\", expected \"%s\"", got, want);
	free(got);
}

#define EXPECT(in, out) \
	expect_reply((in), sizeof(in) - 1, (out), sizeof(out) - 1)

static void
session_up(void)
{
	int sv[2];
	char *greeting;

	log_init(64 * 1024);
	cmd_init_all();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	client = sv[0];
	cr_assert_eq(pthread_create(&server, NULL, serve,
				    (void *)(intptr_t)sv[1]), 0);
	greeting = read_until(client, "Router>", NULL);
	cr_assert_str_eq(greeting, NEGOTIATION "\r\nRouter>");
	free(greeting);
}

static void
session_down(void)
{
	shutdown(client, SHUT_WR);
	free(read_until(client, "\x01never", NULL));
	pthread_join(server, NULL);
	close(client);
	cmd_free_all();
	log_shutdown();
}

/* Asserts that `show history` lists exactly LINES, then itself. */
static void
expect_history(int n, const char *const *lines)
{
	char want[2048] = "show history\r\n";
	int i;

	for (i = 0; i < n; i++) {
		strcat(want, "  ");
		strcat(want, lines[i]);
		strcat(want, "\r\n");
	}
	strcat(want, "  show history\r\nRouter>");
	expect_reply("show history\r", 13, want, strlen(want));
}

TestSuite(telnet, .init = session_up, .fini = session_down, .timeout = 30);

Test(telnet, enter_variants_one_line_each)
{
	EXPECT("terminal width 1\r", "terminal width 1\r\nRouter>");
	EXPECT("terminal width 2\n", "terminal width 2\r\nRouter>");
	EXPECT("terminal width 3\r\n", "terminal width 3\r\nRouter>");
	EXPECT("terminal width 4\r\0", "terminal width 4\r\nRouter>");
	/* CR and LF in separate segments still make one Enter. */
	EXPECT("terminal width 5\r", "terminal width 5\r\nRouter>");
	SEND("\n");
	expect_history(5, (const char *const[]){
		"terminal width 1", "terminal width 2", "terminal width 3",
		"terminal width 4", "terminal width 5" });
}

Test(telnet, echo_is_byte_exact)
{
	EXPECT("show  privilege\r",
	       "show  privilege\r\nCurrent privilege level is 1\r\nRouter>");
}

Test(telnet, question_mark_shows_help_only)
{
	char *got;

	SEND("show privi?");
	got = read_until(client, "Router>show privi", NULL);
	cr_expect(strncmp(got, "show privi?\r\n", 13) == 0, "got \"%s\"", got);
	cr_expect_not_null(strstr(got, "privilege"), "got \"%s\"", got);
	cr_expect_not_null(strstr(got, "\r\nRouter>show privi"),
			   "got \"%s\"", got);
	free(got);
	EXPECT("lege\r", "lege\r\nCurrent privilege level is 1\r\nRouter>");
	expect_history(1, (const char *const[]){ "show privilege" });
}

Test(telnet, tab_completes_word)
{
	EXPECT("show privi\t", "show privi" "lege ");
	EXPECT("\r", "\r\nCurrent privilege level is 1\r\nRouter>");
}

Test(telnet, tab_without_match_redraws)
{
	EXPECT("xyz\t", "xyz\r\nRouter>xyz");
}

Test(telnet, ctrl_c_leaves_config_mode)
{
	EXPECT("enable\r", "enable\r\nRouter#");
	EXPECT("configure terminal\r", "configure terminal\r\n"
	       "Enter configuration commands, one per line.  End with CNTL/Z.\r\n"
	       "Router(config)#");
	EXPECT("abc\x03", "abc^C\r\nRouter#");
	EXPECT("show history\r", "show history\r\n  enable\r\n"
	       "  configure terminal\r\n  show history\r\nRouter#");
}

Test(telnet, telnet_ip_erase_commands)
{
	/* IAC EC erases a character, IAC EL the line, IAC IP is Ctrl-C. */
	EXPECT("ab" IAC "\xf7", "ab\b \b");
	EXPECT("cd" IAC "\xf8", "cd\b\b\b   \b\b\b");
	EXPECT("xy" IAC "\xf4", "xy^C\r\nRouter>");
	expect_history(0, NULL);
}

Test(telnet, ctrl_z_runs_line_and_ends)
{
	EXPECT("enable\r", "enable\r\nRouter#");
	EXPECT("configure terminal\r", "configure terminal\r\n"
	       "Enter configuration commands, one per line.  End with CNTL/Z.\r\n"
	       "Router(config)#");
	EXPECT("do terminal length 7\x1a", "do terminal length 7^Z\r\nRouter#");
	EXPECT("show privilege\r",
	       "show privilege\r\nCurrent privilege level is 15\r\nRouter#");
	EXPECT("show terminal | include Length\r", "show terminal | include "
	       "Length\r\nLength: 7 lines, Width: 80 columns\r\nRouter#");
}

Test(telnet, ctrl_z_ignored_in_exec)
{
	EXPECT("show privi\x1alege\r",
	       "show privilege\r\nCurrent privilege level is 1\r\nRouter>");
}

Test(telnet, history_arrows_and_ctrl_p)
{
	EXPECT("terminal length 0\r", "terminal length 0\r\nRouter>");
	EXPECT("show privilege\r",
	       "show privilege\r\nCurrent privilege level is 1\r\nRouter>");
	EXPECT("\x1b[A", "show privilege");
	EXPECT("\x10", "\b\b\b\b\b\b\b\b\b\b\b\b\b\bterminal length 0");
	EXPECT("\x0e", "\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\bshow privilege"
	       "   \b\b\b");
	EXPECT("\x1b[A\r", "\b\b\b\b\b\b\b\b\b\b\b\b\b\bterminal length 0"
	       "\r\nRouter>");
	expect_history(3, (const char *const[]){ "terminal length 0",
		"show privilege", "terminal length 0" });
}

Test(telnet, editing_keys)
{
	/* Ctrl-A, insert at the start, Ctrl-E. */
	EXPECT("bc\x01", "bc\b\b");
	EXPECT("a", "abc\b\b");
	EXPECT("\x05", "bc");
	/* Backspace and DEL at the end of the line. */
	EXPECT("x\x7f", "x\b \b");
	EXPECT("y\x08", "y\b \b");
	/* Ctrl-W cuts the word "abc"; Ctrl-Y puts it back twice. */
	EXPECT("\x17", "\b\b\b   \b\b\b");
	EXPECT("\x19\x19", "abcabc");
	/* Ctrl-B twice and Ctrl-K cut the tail, Ctrl-D deletes under cursor. */
	EXPECT("\x02\x02\x0b", "\b\b  \b\b");
	EXPECT("\x01\x04", "\b\b\b\bbca \b\b\b\b");
	/* Ctrl-U cuts everything before the cursor. */
	EXPECT("\x05\x15", "bca\b\b\b   \b\b\b");
	EXPECT("terminal length 9\r", "terminal length 9\r\nRouter>");
	expect_history(1, (const char *const[]){ "terminal length 9" });
}

/* Erasure of " --More-- " after a key. */
#define ERASE "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\b"

Test(telnet, paging_more)
{
	EXPECT("terminal width 0\r", "terminal width 0\r\nRouter>");
	EXPECT("terminal length 3\r", "terminal length 3\r\nRouter>");
	EXPECT("show version\r", "show version\r\n"
	       "Cisco IOS XE Software, Version 17.03.04a\r\n"
	       "Cisco IOS Software [Amsterdam], Virtual XE Software "
	       "(X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.3.4a, RELEASE "
	       "SOFTWARE (fc3)\r\n --More-- ");
	/* Space: a page (2 lines); Enter: one line; q: stop. */
	EXPECT(" ", ERASE "vrouter virtual router, version 0.1\r\n"
	       "This is vrouter, which follows the IOS XE CLI; it is not "
	       "Cisco software.\r\n --More-- ");
	EXPECT("\r", ERASE "\r\n --More-- ");
	EXPECT("q", ERASE "Router>");
}

Test(telnet, paging_off_with_length_zero)
{
	char *got;

	EXPECT("terminal length 0\r", "terminal length 0\r\nRouter>");
	SEND("show version\r");
	got = read_until(client, "\r\nRouter>", NULL);
	cr_expect_null(strstr(got, "More"), "got \"%s\"", got);
	cr_expect_not_null(strstr(got, "Configuration register is 0x2102\r\n"),
			   "got \"%s\"", got);
	free(got);
}

Test(telnet, naws_sets_size_without_leaking)
{
	/* Client agrees to NAWS, then reports 132 x 50. */
	SEND(IAC "\xfb\x1f" IAC "\xfa\x1f\x00\x84\x00\x32" IAC "\xf0");
	EXPECT("show terminal | include Length\r", "show terminal | include "
	       "Length\r\nLength: 50 lines, Width: 132 columns\r\nRouter>");
	expect_history(1, (const char *const[]){
		"show terminal | include Length" });
}

Test(telnet, naws_zero_is_ignored)
{
	SEND(IAC "\xfa\x1f\x00\x00\x00\x00" IAC "\xf0");
	EXPECT("show terminal | include Length\r", "show terminal | include "
	       "Length\r\nLength: 24 lines, Width: 80 columns\r\nRouter>");
}

Test(telnet, monitor_line_redraws_input)
{
	char *got;
	const char *tail;

	EXPECT("terminal monitor\r", "terminal monitor\r\nRouter>");
	EXPECT("ab\x02", "ab\b");
	log_msg(LOGMSG_SYS_CONFIG_I, "Configured from console by console");
	got = read_until(client, "Router>ab\b", NULL);
	cr_expect(strncmp(got, "\r\n*", 3) == 0, "got \"%s\"", got);
	tail = "%SYS-5-CONFIG_I: Configured from console by console\r\n"
	       "Router>ab\b";
	cr_expect(strlen(got) > strlen(tail) &&
		  strcmp(got + strlen(got) - strlen(tail), tail) == 0,
		  "got \"%s\"", got);
	free(got);
	/* Typing goes on where it was: "a" + "c" + "b". */
	EXPECT("c\x15", "cb\b\b\bb  \b\b\b");
}

Test(telnet, blank_line_runs_nothing)
{
	EXPECT("  \r", "  \r\nRouter>");
	expect_history(0, NULL);
}

Test(telnet, paste_many_lines)
{
	char paste[200 * 24], *got, *p;
	size_t len = 0;
	int i, prompts = 0;

	for (i = 0; i < 200; i++)
		len += (size_t)sprintf(paste + len, "terminal length %d\r\n",
				       i);
	send_bytes(paste, len);
	got = read_until(client, "terminal length 199\r\nRouter>", NULL);
	for (p = got; (p = strstr(p, "\r\nRouter>")) != NULL; p++)
		prompts++;
	cr_expect_eq(prompts, 200);
	free(got);
	expect_history(9, (const char *const[]){
		"terminal length 191", "terminal length 192",
		"terminal length 193", "terminal length 194",
		"terminal length 195", "terminal length 196",
		"terminal length 197", "terminal length 198",
		"terminal length 199" });
}

Test(telnet, idle_session_times_out)
{
	vty_telnet_set_exec_timeout(1);
	EXPECT("terminal length 0\r", "terminal length 0\r\nRouter>");
	expect_eof(client, "idle session");
	vty_telnet_set_exec_timeout(600);
}

Test(telnet, exit_closes_connection)
{
	EXPECT("exit\r", "exit\r\n");
	expect_eof(client, "session after exit");
}

/* ---- The listener: session limit, reuse of freed lines, stop. */

static int
connect_port(unsigned port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0,
		     "connect: %s", strerror(errno));
	return fd;
}

static void
expect_greeting(int fd)
{
	char *got = read_until(fd, "Router>", NULL);

	cr_expect_str_eq(got, NEGOTIATION "\r\nRouter>");
	free(got);
}

static void
log_up(void)
{
	log_init(64 * 1024);
	cmd_init_all();
}

static void
log_down(void)
{
	cmd_free_all();
	log_shutdown();
}

TestSuite(telnet_server, .init = log_up, .fini = log_down, .timeout = 60);

Test(telnet_server, seventeenth_session_rejected)
{
	int fds[VTY_LINES_DEFAULT], extra, i;
	char err[128], *got;
	size_t len;
	unsigned port;

	cr_assert_eq(vty_telnet_start(NULL, "127.0.0.1", 0, err, sizeof(err)),
		     0, "%s", err);
	port = vty_telnet_port();
	cr_assert_neq(port, 0);

	for (i = 0; i < VTY_LINES_DEFAULT; i++) {
		fds[i] = connect_port(port);
		expect_greeting(fds[i]);
	}

	extra = connect_port(port);
	got = read_until(extra, "later.\r\n", &len);
	cr_expect_str_eq(got, NEGOTIATION
		"\r\n% All 16 vty lines are in use; try again later.\r\n");
	free(got);
	expect_eof(extra, "rejected connection");
	close(extra);

	/*
	 * A line freed by exit serves the next connection, once its session
	 * thread has finished closing, so the client retries for a while.
	 */
	cr_assert_eq(write(fds[0], "exit\r", 5), 5);
	free(read_until(fds[0], "exit\r\n", NULL));
	expect_eof(fds[0], "session after exit");
	close(fds[0]);
	for (i = 0; i < 50; i++) {
		fds[0] = connect_port(port);
		got = read_until(fds[0], "Router>", &len);
		if (strstr(got, "Router>"))
			break;
		free(got);
		got = NULL;
		close(fds[0]);
		usleep(100 * 1000);
	}
	cr_assert_not_null(got, "no vty line was freed by exit");
	cr_expect_str_eq(got, NEGOTIATION "\r\nRouter>");
	free(got);

	/* Stopping the server ends every session. */
	vty_telnet_stop();
	cr_expect_eq(vty_telnet_port(), 0);
	for (i = 0; i < VTY_LINES_DEFAULT; i++) {
		expect_eof(fds[i], "session after stop");
		close(fds[i]);
	}
}

Test(telnet_server, invalid_address_rejected)
{
	char err[128] = "";

	cr_expect_eq(vty_telnet_start(NULL, "not-an-address", 0, err,
				      sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "invalid telnet address not-an-address"),
			   "error: %s", err);
	cr_expect_eq(vty_telnet_port(), 0);
}

Test(telnet, terminal_history_on_and_off)
{
	EXPECT("show privilege\r",
	       "show privilege\r\nCurrent privilege level is 1\r\nRouter>");
	EXPECT("terminal no history\r", "terminal no history\r\nRouter>");
	EXPECT("show terminal | include History\r", "show terminal | include "
	       "History\r\nHistory is disabled, history size is 10.\r\n"
	       "Router>");
	/* Nothing is kept, not even the lines before. */
	EXPECT("show history\r", "show history\r\nRouter>");
	EXPECT("terminal history\r", "terminal history\r\nRouter>");
	expect_history(0, NULL);

	EXPECT("terminal history size 3\r", "terminal history size 3\r\n"
	       "Router>");
	EXPECT("terminal no history size\r", "terminal no history size\r\n"
	       "Router>");
	EXPECT("show terminal | include History\r", "show terminal | include "
	       "History\r\nHistory is enabled, history size is 10.\r\n"
	       "Router>");
}
