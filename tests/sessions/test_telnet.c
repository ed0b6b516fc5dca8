/*
 * Line discipline of telnet sessions: the real telnet code runs on one end
 * of a socketpair and the test plays the client on the other end, writing
 * raw bytes and checking the exact bytes that come back.
 *
 * This program defines cmd_execute(), cmd_describe() and cmd_complete()
 * itself, so the linker does not pull in the command engine. The fakes
 * record each executed line, which lets a test tell one Enter from two.
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

/* ---- Fake command engine. */

static pthread_mutex_t ran_lock = PTHREAD_MUTEX_INITIALIZER;
static char ran[256][128];
static int nran;
static struct vty *last_vty;

enum cmd_result
cmd_execute(struct vty *vty, const char *line, size_t echo_width)
{
	unsigned n, i;

	(void)echo_width;
	pthread_mutex_lock(&ran_lock);
	if (nran < 256)
		snprintf(ran[nran++], sizeof(ran[0]), "%s", line);
	last_vty = vty;
	pthread_mutex_unlock(&ran_lock);

	if (strcmp(line, "exit") == 0)
		return CMD_CLOSE;
	if (strcmp(line, "enable") == 0) {
		vty->levels[0].mode = MODE_PRIV_EXEC;
		vty->privilege = 15;
		return CMD_SUCCESS;
	}
	if (strcmp(line, "conf t") == 0) {
		vty_enter_mode(vty, MODE_CONFIG, NULL);
		return CMD_SUCCESS;
	}
	if (strcmp(line, "size") == 0) {
		vty_out(vty, "%ux%u\n", vty->term_width, vty->term_length);
		return CMD_SUCCESS;
	}
	if (sscanf(line, "len %u", &n) == 1) {
		vty->term_length = n;
		return CMD_SUCCESS;
	}
	if (sscanf(line, "lines %u", &n) == 1) {
		for (i = 1; i <= n; i++)
			vty_out(vty, "L%u\n", i);
		return CMD_SUCCESS;
	}
	if (strcmp(line, "quiet") == 0)
		return CMD_SUCCESS;
	vty_out(vty, "[%s]\n", line);
	return CMD_SUCCESS;
}

void
cmd_describe(struct vty *vty, const char *line)
{
	vty_out(vty, "help <%s>\n", line);
}

char *
cmd_complete(struct vty *vty, const char *line)
{
	const char *word = strrchr(line, ' ');

	(void)vty;
	word = word ? word + 1 : line;
	if (*word && strncmp(word, "configure", strlen(word)) == 0)
		return strdup("configure");
	return NULL;
}

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

static void
send_bytes(const char *bytes, size_t len)
{
	cr_assert_eq(write(client, bytes, len), (ssize_t)len);
}

#define SEND(s) send_bytes((s), sizeof(s) - 1)

/* Sends BYTES and asserts that the session answers with exactly WANT. */
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
	nran = 0;
	last_vty = NULL;
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
	log_shutdown();
}

static void
expect_ran(int n, const char *const *lines)
{
	int i;

	pthread_mutex_lock(&ran_lock);
	cr_expect_eq(nran, n, "ran %d lines, expected %d", nran, n);
	for (i = 0; i < n && i < nran; i++)
		cr_expect_str_eq(ran[i], lines[i], "line %d", i);
	pthread_mutex_unlock(&ran_lock);
}

TestSuite(telnet, .init = session_up, .fini = session_down, .timeout = 30);

Test(telnet, enter_variants_one_line_each)
{
	EXPECT("a\r", "a\r\n[a]\r\nRouter>");
	EXPECT("b\n", "b\r\n[b]\r\nRouter>");
	EXPECT("c\r\n", "c\r\n[c]\r\nRouter>");
	EXPECT("d\r\0", "d\r\n[d]\r\nRouter>");
	/* CR and LF in separate segments still make one Enter. */
	EXPECT("e\r", "e\r\n[e]\r\nRouter>");
	SEND("\n");
	EXPECT("quiet\r", "quiet\r\nRouter>");
	expect_ran(6, (const char *const[]){ "a", "b", "c", "d", "e",
					    "quiet" });
}

Test(telnet, echo_is_byte_exact)
{
	EXPECT("show  crypto  x|y\r",
	       "show  crypto  x|y\r\n[show  crypto  x|y]\r\nRouter>");
}

Test(telnet, question_mark_shows_help_only)
{
	EXPECT("sh?", "sh?\r\nhelp <sh>\r\nRouter>sh");
	EXPECT(" ?", " ?\r\nhelp <sh >\r\nRouter>sh ");
	EXPECT("\r", "\r\n[sh ]\r\nRouter>");
	expect_ran(1, (const char *const[]){ "sh " });
}

Test(telnet, tab_completes_word)
{
	EXPECT("conf\t", "conf" "igure ");
	EXPECT("\r", "\r\n[configure ]\r\nRouter>");
}

Test(telnet, tab_without_match_redraws)
{
	EXPECT("xyz\t", "xyz\r\nRouter>xyz");
}

Test(telnet, ctrl_c_leaves_config_mode)
{
	EXPECT("enable\r", "enable\r\nRouter#");
	EXPECT("conf t\r", "conf t\r\nRouter(config)#");
	EXPECT("abc\x03", "abc^C\r\nRouter#");
	expect_ran(2, (const char *const[]){ "enable", "conf t" });
}

Test(telnet, ctrl_z_runs_line_and_ends)
{
	EXPECT("enable\r", "enable\r\nRouter#");
	EXPECT("conf t\r", "conf t\r\nRouter(config)#");
	EXPECT("host\x1a", "host^Z\r\n[host]\r\nRouter#");
	expect_ran(3, (const char *const[]){ "enable", "conf t", "host" });
}

Test(telnet, ctrl_z_ignored_in_exec)
{
	EXPECT("a\x1a" "b\r", "ab\r\n[ab]\r\nRouter>");
}

Test(telnet, history_arrows_and_ctrl_p)
{
	EXPECT("one\r", "one\r\n[one]\r\nRouter>");
	EXPECT("two\r", "two\r\n[two]\r\nRouter>");
	EXPECT("\x1b[A", "two");
	EXPECT("\x10", "\b\b\bone");
	EXPECT("\x0e", "\b\b\btwo");
	EXPECT("\x1b[A\r", "\b\b\bone\r\n[one]\r\nRouter>");
	expect_ran(3, (const char *const[]){ "one", "two", "one" });
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
	EXPECT("\r", "bca\r\n[bca]\r\nRouter>");
	EXPECT("abc\x15\r", "abc\b\b\b   \b\b\b\r\nRouter>");
}

Test(telnet, paging_more)
{
	EXPECT("len 4\r", "len 4\r\nRouter>");
	EXPECT("lines 8\r",
	       "lines 8\r\nL1\r\nL2\r\nL3\r\n --More-- ");
	/* Space: a page (3 lines); Enter: one line; q: stop. */
	EXPECT(" ", "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\b"
	       "L4\r\nL5\r\nL6\r\n --More-- ");
	EXPECT("\r", "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\b"
	       "L7\r\n --More-- ");
	EXPECT("q", "\b\b\b\b\b\b\b\b\b        \b\b\b\b\b\b\b\b\bRouter>");
}

Test(telnet, paging_off_with_length_zero)
{
	EXPECT("len 0\r", "len 0\r\nRouter>");
	EXPECT("lines 30\r",
	       "lines 30\r\nL1\r\nL2\r\nL3\r\nL4\r\nL5\r\nL6\r\nL7\r\nL8\r\n"
	       "L9\r\nL10\r\nL11\r\nL12\r\nL13\r\nL14\r\nL15\r\nL16\r\n"
	       "L17\r\nL18\r\nL19\r\nL20\r\nL21\r\nL22\r\nL23\r\nL24\r\n"
	       "L25\r\nL26\r\nL27\r\nL28\r\nL29\r\nL30\r\nRouter>");
}

Test(telnet, naws_sets_size_without_leaking)
{
	/* Client agrees to NAWS, then reports 132 x 50. */
	SEND(IAC "\xfb\x1f" IAC "\xfa\x1f\x00\x84\x00\x32" IAC "\xf0");
	EXPECT("size\r", "size\r\n132x50\r\nRouter>");
	expect_ran(1, (const char *const[]){ "size" });
}

Test(telnet, naws_zero_is_ignored)
{
	SEND(IAC "\xfa\x1f\x00\x00\x00\x00" IAC "\xf0");
	EXPECT("size\r", "size\r\n80x24\r\nRouter>");
}

Test(telnet, async_line_redraws_input)
{
	struct vty *vty;

	EXPECT("quiet\r", "quiet\r\nRouter>");
	pthread_mutex_lock(&ran_lock);
	vty = last_vty;
	pthread_mutex_unlock(&ran_lock);
	cr_assert_not_null(vty);

	EXPECT("ab\x02", "ab\b");
	vty_async_write(vty, "*Mar  1 00:00:01.000: %SYS-5-CONFIG_I: x");
	EXPECT("", "\r\n*Mar  1 00:00:01.000: %SYS-5-CONFIG_I: x\r\n"
	       "Router>ab\b");
	EXPECT("c\r", "cb\bb\r\n[acb]\r\nRouter>");
}

Test(telnet, blank_line_runs_nothing)
{
	EXPECT("  \r", "  \r\nRouter>");
	expect_ran(0, NULL);
}

Test(telnet, paste_many_lines)
{
	char paste[200 * 8], *got;
	size_t len = 0;
	int i;

	for (i = 0; i < 200; i++)
		len += (size_t)sprintf(paste + len, "l%03d\r\n", i);
	send_bytes(paste, len);
	got = read_until(client, "[l199]\r\nRouter>", NULL);
	free(got);

	pthread_mutex_lock(&ran_lock);
	cr_expect_eq(nran, 200);
	for (i = 0; i < nran; i++) {
		char want[16];

		snprintf(want, sizeof(want), "l%03d", i);
		cr_expect_str_eq(ran[i], want);
	}
	pthread_mutex_unlock(&ran_lock);
}

Test(telnet, exit_closes_connection)
{
	char *got;
	size_t len;

	EXPECT("exit\r", "exit\r\n");
	got = read_until(client, "\x01never", &len);
	cr_expect_eq(len, 0, "bytes after exit: \"%s\"", got);
	free(got);
}
