/*
 * The process logger: formats IOS lines, keeps the `logging buffered` ring
 * and hands each line to the registered sinks.
 *
 * `lock` guards the ring buffer, the levels and the counters. `sink_lock`
 * is a read-write lock over the sink table. Emitters hold it for reading
 * while sinks run, so log_sink_remove() waits for running sinks. Where
 * both are taken, `sink_lock` comes first. The state is static so that
 * log_msg() works before log_init(), as unit tests of other modules need.
 */
#include "core/log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX_SINKS 64
#define LOG_MAX_HOSTS 16

/* IOS sends to syslog hosts as `logging facility local7` by default. */
#define LOG_FACILITY_LOCAL7 23

/* A syslog host with its connected UDP socket. */
struct host {
	struct log_host conf;
	int fd;
};

struct sink {
	log_sink_fn fn;
	void *ctx;
	enum log_sink_kind kind;
	enum log_severity level;
};

/*
 * The buffer is a byte ring of `size` bytes holding whole lines, each
 * ended by '\n'. `head` is the offset of the oldest line and `used` the
 * number of bytes held, so its memory use is bounded by the configured
 * size exactly as IOS bounds it.
 */
struct ring {
	char *data;
	size_t size;
	size_t head;
	size_t used;
};

static struct {
	pthread_mutex_t lock;
	struct ring ring;
	enum log_severity buffer_level;
	enum log_severity console_level;
	enum log_severity monitor_level;
	uint64_t messages_logged;
	uint64_t buffer_logged;
	uint64_t trap_logged;
	atomic_uint_fast64_t rate_limited;
	atomic_uint_fast64_t console_logged;
	atomic_uint_fast64_t monitor_logged;
	enum log_severity trap_level;
	uint64_t dropped;
	struct log_stamp stamps[2];	/* by enum log_line_kind */
	bool sequence_numbers;
	unsigned sequence;
	struct timespec start;		/* CLOCK_MONOTONIC at log_init() */

	/* logging rate-limit: lines let through in second `rate_second`. */
	unsigned rate_limit;
	enum log_severity rate_except;
	time_t rate_second;
	unsigned rate_count;

	struct host hosts[LOG_MAX_HOSTS];
	int nhosts;
	char hostname[64];
	char source_interface[64];
	char source_address[16];

	pthread_rwlock_t sink_lock;
	log_hook_fn hook;		/* under sink_lock, like the sinks */
	void *hook_ctx;
	struct sink sinks[LOG_MAX_SINKS];
	int nsinks;
} logger = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ring = { .size = LOG_DEFAULT_BUFFER_SIZE },
	.buffer_level = LOG_SEV_DEBUGGING,
	.console_level = LOG_SEV_DEBUGGING,
	.monitor_level = LOG_SEV_DEBUGGING,
	.trap_level = LOG_SEV_INFORMATIONAL,
	.stamps = { { .msec = true }, { .msec = true } },
	.rate_except = LOG_SEV_OFF,
	.hostname = "Router",
	.sink_lock = PTHREAD_RWLOCK_INITIALIZER,
};

static const char *const severity_names[] = {
	"emergencies", "alerts", "critical", "errors",
	"warnings", "notifications", "informational", "debugging",
};

/*
 * The catalogue. Texts are the printf formats that call sites pass, in
 * IOS wording where IOS has the message.
 */
static const struct log_catalogue_entry catalogue[LOGMSG_COUNT] = {
	[LOGMSG_SYS_CONFIG_I] = {
		"SYS", LOG_SEV_NOTIFICATIONS, "CONFIG_I",
		"Configured from %s by %s",
		"The running configuration was changed from a CLI session, "
		"which has now left configuration mode.",
		"No action is required. Compare with the startup-config and "
		"save with `write memory` if the change is to survive a "
		"restart.",
	},
	[LOGMSG_SYS_RESTART] = {
		"SYS", LOG_SEV_NOTIFICATIONS, "RESTART",
		"System restarted --",
		"The router process started and finished loading its "
		"startup-config.",
		"No action is required.",
	},
	[LOGMSG_SYS_LOGGINGHOST_STARTSTOP] = {
		"SYS", LOG_SEV_INFORMATIONAL, "LOGGINGHOST_STARTSTOP",
		"Logging to host %s port %u %s",
		"Logging to a syslog host started or stopped.",
		"No action is required.",
	},
	[LOGMSG_LINK_UPDOWN] = {
		"LINK", LOG_SEV_ERRORS, "UPDOWN",
		"Interface %s, changed state to %s",
		"An interface changed its link state.",
		"If the change was not expected, check the interface "
		"configuration (`shutdown`) and what it is attached to.",
	},
	[LOGMSG_LINEPROTO_UPDOWN] = {
		"LINEPROTO", LOG_SEV_NOTIFICATIONS, "UPDOWN",
		"Line protocol on Interface %s, changed state to %s",
		"The line protocol of an interface went up or down.",
		"If the change was not expected, check the interface and its "
		"peer.",
	},
	[LOGMSG_CRYPTO_RECVD_PKT_INV_SPI] = {
		"CRYPTO", LOG_SEV_WARNINGS, "RECVD_PKT_INV_SPI",
		"decaps: rec'd IPSEC packet has invalid spi for destaddr=%s, "
		"prot=%u, spi=0x%X(%u), srcaddr=%s, input interface=%s",
		"An IPsec packet arrived whose SPI is not in the SA database. "
		"This can be temporary (the peers' SAs age at slightly "
		"different times, or the local SAs were cleared), can come "
		"from bad packets sent by the peer, and could be a hostile "
		"event. The message is rate-limited to one per minute; the "
		"drop counters count every packet.",
		"If the local SAs were cleared, the peer may not know: a new "
		"IKE negotiation from this router usually brings the SAs back "
		"in sync (see `crypto isakmp invalid-spi-recovery`). If the "
		"message persists, debug IKE on both ends and contact the "
		"peer's administrator.",
	},
	[LOGMSG_CRYPTO_PKT_REPLAY_ERR] = {
		"CRYPTO", LOG_SEV_WARNINGS, "PKT_REPLAY_ERR",
		"decrypt: replay check failed connection id=%u",
		"An inbound IPsec packet failed the anti-replay check: its "
		"sequence number was already seen or fell left of the window. "
		"The message is rate-limited to one per minute for each SA; "
		"the SA's replay failed counter counts every packet.",
		"Occasional errors come from reordering in the network. A "
		"steady rate points to a replayed stream or a peer that reset "
		"its sequence numbers without a new SA.",
	},
	[LOGMSG_CRYPTO_RECVD_PKT_MAC_ERR] = {
		"CRYPTO", LOG_SEV_WARNINGS, "RECVD_PKT_MAC_ERR",
		"decrypt: mac verify failed for connection id=%u",
		"An inbound IPsec packet failed its integrity check. The "
		"message is rate-limited to one per minute for each SA; the "
		"SA's verify failed counter counts every packet.",
		"Check that both peers use the same keys and transform set; "
		"with manual keys, compare the keys on both ends.",
	},
	[LOGMSG_CRYPTO_RECVD_PKT_NOT_IPSEC] = {
		"CRYPTO", LOG_SEV_WARNINGS, "RECVD_PKT_NOT_IPSEC",
		"Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= /%s, "
		"src_addr= %s, prot= %u",
		"A clear packet arrived on an interface whose crypto map "
		"protects that traffic: the mirror image of the packet is "
		"permitted by the ACL of a static map entry, so the peer "
		"should have sent it encrypted. The packet was dropped and "
		"counted as IN_US_CL_V4_PKT_FAILED_POLICY. The message is "
		"rate-limited to one per minute for each source and "
		"destination.",
		"Check that the peer's crypto ACL mirrors this one and that "
		"its crypto map is applied to the interface facing this "
		"router. A peer that lost its SAs does not send in clear; a "
		"peer without the map does.",
	},
	[LOGMSG_CRYPTO_ISAKMP_ON_OFF] = {
		"CRYPTO", LOG_SEV_INFORMATIONAL, "ISAKMP_ON_OFF",
		"ISAKMP is %s",
		"ISAKMP was enabled by the first crypto map applied to an "
		"interface, or disabled when the last one was removed.",
		"No action is required.",
	},
	[LOGMSG_PARSER_CONFIG_LINE] = {
		"PARSER", LOG_SEV_WARNINGS, "BADCFG",
		"%s line %u rejected: %s: %s",
		"A line of the startup-config was rejected while it was "
		"loaded; the router started without it.",
		"Correct the line in the startup-config file, or enter the "
		"corrected command and save with `write memory`.",
	},
	[LOGMSG_SYS_RELOAD] = {
		"SYS", LOG_SEV_NOTIFICATIONS, "RELOAD",
		"Reload requested by %s. Reload Reason: %s.",
		"The router process was asked to stop and is shutting down.",
		"No action is required if the stop was intended.",
	},
	[LOGMSG_CRYPTO_IKMP_NO_SA] = {
		"CRYPTO", LOG_SEV_WARNINGS, "IKMP_NO_SA",
		"IKE message from %s has no SA and is not an initialization "
		"offer",
		"An IKE message arrived for an IKE SA that this router does "
		"not have, and it does not start a new negotiation.",
		"Usually benign after one side restarted or cleared its IKE "
		"SAs. If it persists, check the peer's state.",
	},
	[LOGMSG_SEC_LOGIN_SUCCESS] = {
		"SEC_LOGIN", LOG_SEV_NOTIFICATIONS, "LOGIN_SUCCESS",
		"Login Success [user: %s] [Source: %s] [localport: %u] at %s",
		"A user logged in to a vty line over telnet or SSH.",
		"No action is required.",
	},
	[LOGMSG_SEC_LOGIN_FAILED] = {
		"SEC_LOGIN", LOG_SEV_WARNINGS, "LOGIN_FAILED",
		"Login failed [user: %s] [Source: %s] [localport: %u] "
		"[Reason: %s] at %s",
		"A login on a vty line failed: the username or the secret did "
		"not match the local users.",
		"A few failures are typing mistakes. Many failures from one "
		"source are a guessing attack: restrict the source with "
		"`transport input` or an access list.",
	},
	[LOGMSG_SYS_LOGOUT] = {
		"SYS", LOG_SEV_INFORMATIONAL, "LOGOUT",
		"User %s has exited tty session %u(%s)",
		"A user left a vty session, or the session was closed by "
		"`clear line` or the exec-timeout.",
		"No action is required.",
	},
	[LOGMSG_HA_EM_LOG] = {
		"HA_EM", LOG_SEV_INFORMATIONAL, "LOG",
		"%s: %s",
		"An Embedded Event Manager applet logged this text with its "
		"`action syslog msg` action; the applet is named first.",
		"Follow what the applet's author documented for the message.",
	},
	[LOGMSG_HA_EM_POLICY_MAXRUN] = {
		"HA_EM", LOG_SEV_ERRORS, "FMPD_EXECUTION_ERROR",
		"Error executing applet %s statement %s",
		"An Embedded Event Manager applet ran longer than its maxrun "
		"(20 seconds unless the event sets `maxrun`) and was stopped "
		"at the action named.",
		"Raise `maxrun` in the applet's event if it needs more time, "
		"or shorten its `wait` actions.",
	},
	[LOGMSG_HA_EM_CLI_ERROR] = {
		"HA_EM", LOG_SEV_ERRORS, "FMPD_CLI_CONNECT",
		"Unable to run CLI command for applet %s: %s",
		"An applet's `action cli command` was rejected by the command "
		"engine; the applet went on with its next action.",
		"Check the command in the applet: type it in a session in "
		"the same mode to see the error.",
	},
	[LOGMSG_HA_EM_FILE_ERROR] = {
		"HA_EM", LOG_SEV_ERRORS, "FMPD_ERROR",
		"Error executing applet %s statement %s: %s",
		"An applet's `action file` could not open or write its file; "
		"the applet went on with its next action.",
		"Check the path and the permissions of the file's folder.",
	},
	/*
	 * NOTE: the DMVPN texts follow IOS 15 output as commonly quoted;
	 * their exact spacing on other releases is not verified.
	 */
	[LOGMSG_DMVPN_NHRP_NHS_UP] = {
		"DMVPN", LOG_SEV_NOTIFICATIONS, "NHRP_NHS_UP",
		"%s: Next Hop Server : (Tunnel: %s NBMA: %s ) for (Tunnel: %s "
		"NBMA: %s ) is UP",
		"A next hop server (`ip nhrp nhs`) replied to this spoke's "
		"NHRP registration.",
		"No action is needed.",
	},
	[LOGMSG_DMVPN_NHRP_NHS_DOWN] = {
		"DMVPN", LOG_SEV_NOTIFICATIONS, "NHRP_NHS_DOWN",
		"%s: Next Hop Server : (Tunnel: %s NBMA: %s ) for (Tunnel: %s "
		"NBMA: %s ) is DOWN, Reason: %s",
		"No registration reply came from a next hop server within the "
		"holding time, so the spoke counts it as down and keeps "
		"retrying.",
		"Check the path to the server's NBMA address, the IPsec SAs "
		"with it (`show crypto ipsec sa`) and `show ip nhrp traffic` "
		"on both ends.",
	},
	[LOGMSG_DMVPN_NHRP_NHC_UP] = {
		"DMVPN", LOG_SEV_NOTIFICATIONS, "NHRP_NHC_UP",
		"%s: Next Hop Client : (Tunnel: %s NBMA: %s ) for (Tunnel: %s "
		"NBMA: %s ) is UP",
		"A spoke registered with this next hop server for the first "
		"time since its entry was created.",
		"No action is needed.",
	},
	[LOGMSG_DMVPN_NHRP_NHC_DOWN] = {
		"DMVPN", LOG_SEV_NOTIFICATIONS, "NHRP_NHC_DOWN",
		"%s: Next Hop Client : (Tunnel: %s NBMA: %s ) for (Tunnel: %s "
		"NBMA: %s ) is DOWN, Reason: %s",
		"The dynamic entry of a spoke went: its holding time ran out "
		"or it sent a purge request.",
		"If the spoke should be up, check its registrations (`show ip "
		"nhrp traffic`) and the IPsec SAs with it.",
	},
	[LOGMSG_CRYPTO_EZVPN_CONNECTION_UP] = {
		"CRYPTO", LOG_SEV_INFORMATIONAL, "EZVPN_CONNECTION_UP",
		"(Client) User=%s Group=%s Client_public_addr=%s "
		"Server_public_addr=%s Assigned_client_addr=%s "
		"NEM_Remote_Subnets=%s/%s",
		"The Easy VPN client completed XAUTH, mode config and Quick "
		"Mode with its server: the tunnel carries traffic. The line "
		"names the XAUTH user, the group, both public addresses, the "
		"address the server assigned and the inside network.",
		"No action is required.",
	},
	[LOGMSG_CRYPTO_EZVPN_CONNECTION_DOWN] = {
		"CRYPTO", LOG_SEV_INFORMATIONAL, "EZVPN_CONNECTION_DOWN",
		"(Client) User=%s Group=%s Client_public_addr=%s "
		"Server_public_addr=%s Assigned_client_addr=%s "
		"NEM_Remote_Subnets=%s/%s",
		"The Easy VPN client's tunnel went down: its IKE SA was "
		"deleted (by DPD, by the server's DELETE or INITIAL-CONTACT) "
		"or the profile changed. With `connect auto` the client "
		"connects again.",
		"If the tunnel does not come back, check `show crypto ipsec "
		"client ezvpn` and debug IKE on both ends.",
	},
	[LOGMSG_CRYPTO_IKMP_AUTH_FAIL] = {
		"CRYPTO", LOG_SEV_INFORMATIONAL, "IKMP_AUTH_FAIL",
		"Authentication method %u failed with host %s",
		"The peer failed authentication. Method 65001 is XAUTH after "
		"a pre-shared key: the Easy VPN client's user name or "
		"password did not match a local user, and its IKE SA is "
		"deleted.",
		"Check the `username` and `password` of the client's ezvpn "
		"profile against the server's `username` entries and its "
		"`crypto map NAME client authentication list`.",
	},
	[LOGMSG_IKEV2_NEG_ABORT] = {
		"IKEV2", LOG_SEV_ERRORS, "NEG_ABORT",
		"Negotiation aborted due to ERROR: no IKEv2 profile with a "
		"pre-shared key for peer %s",
		"The router did not start an IKEv2 negotiation with the peer "
		"because no IKEv2 profile gives a local and a remote "
		"pre-shared key for it. It keeps trying, and logs this at "
		"most once a minute for each peer. The mnemonic follows IOS XE; the text after ERROR is "
		"vrouter's.",
		"Give the profile's keyring a peer block with the peer's "
		"`address` and a `pre-shared-key` (or both `pre-shared-key "
		"local` and `remote`). The initiator looks its key up by "
		"address, so a block with only an `identity` serves only "
		"the responder.",
	},
	[LOGMSG_CRYPTO_IKMP_MODE_FAILURE] = {
		"CRYPTO", LOG_SEV_INFORMATIONAL, "IKMP_MODE_FAILURE",
		"Processing of %s mode failed with peer at %s",
		"Phase 1 with the peer failed because the HASH it sent did "
		"not match, usually because the pre-shared key (for Easy "
		"VPN, the group key) differs between the two ends. An Easy "
		"VPN client drops the attempt and connects again. Logged at "
		"most once a minute for each peer.",
		"Compare the pre-shared key for this peer, or the client's "
		"`group NAME key KEY` with the server's `crypto isakmp "
		"client configuration group` key. `debug crypto isakmp` "
		"shows each failed check.",
	},
};

const struct log_catalogue_entry *
log_catalogue(enum log_msg_id id)
{
	if ((unsigned)id >= LOGMSG_COUNT)
		return NULL;
	return &catalogue[id];
}

const char *
log_severity_name(enum log_severity sev)
{
	if (sev < LOG_SEV_EMERGENCIES || sev > LOG_SEV_DEBUGGING)
		return "off";
	return severity_names[sev];
}

int
log_severity_parse(const char *word)
{
	char *end;
	long n;
	int i;

	if (word == NULL || *word == '\0')
		return -1;
	n = strtol(word, &end, 10);
	if (*end == '\0')
		return n >= 0 && n <= LOG_SEV_DEBUGGING ? (int)n : -1;
	for (i = 0; i <= LOG_SEV_DEBUGGING; i++)
		if (strcasecmp(word, severity_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Writes a "datetime" stamp of ST into BUF. '*' marks the clock as not
 * authoritative, which is what IOS prints while no NTP server is
 * configured. UTC is the IOS default without `clock timezone`.
 */
static void
format_datetime(char *buf, size_t len, const struct log_stamp *st)
{
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct timespec ts;
	struct tm tm;
	char msec[24] = "";
	char zone[16] = "";

	clock_gettime(CLOCK_REALTIME, &ts);
	if (st->localtime)
		localtime_r(&ts.tv_sec, &tm);
	else
		gmtime_r(&ts.tv_sec, &tm);
	if (st->msec)
		snprintf(msec, sizeof(msec), ".%03ld", ts.tv_nsec / 1000000);
	if (st->show_timezone)
		snprintf(zone, sizeof(zone), " %s",
			 st->localtime && tm.tm_zone ? tm.tm_zone : "UTC");
	snprintf(buf, len, "*%s %2d %02d:%02d:%02d%s%s", months[tm.tm_mon],
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msec, zone);
}

/* Writes an IOS uptime stamp: "01:02:03", "1d02h" or "1w2d". */
static void
format_uptime(char *buf, size_t len, const struct timespec *start)
{
	struct timespec now;
	long up;

	clock_gettime(CLOCK_MONOTONIC, &now);
	up = (long)(now.tv_sec - start->tv_sec);
	if (up < 0)
		up = 0;
	if (up < 86400)
		snprintf(buf, len, "%02ld:%02ld:%02ld", up / 3600,
			 up / 60 % 60, up % 60);
	else if (up < 7 * 86400)
		snprintf(buf, len, "%ldd%02ldh", up / 86400, up / 3600 % 24);
	else
		snprintf(buf, len, "%ldw%ldd", up / (7 * 86400),
			 up / 86400 % 7);
}

void
log_format_timestamp(char *buf, size_t len)
{
	static const struct log_stamp datetime_msec = { .msec = true };

	format_datetime(buf, len, &datetime_msec);
}

/* Drops the oldest line from the ring. */
static void
ring_drop_oldest(struct ring *r)
{
	while (r->used > 0) {
		char c = r->data[r->head];

		r->head = (r->head + 1) % r->size;
		r->used--;
		if (c == '\n')
			break;
	}
}

/* Appends LINE and its '\n'; LEN + 1 must not exceed the ring size. */
static void
ring_append(struct ring *r, const char *line, size_t len)
{
	size_t tail, first;

	while (r->size - r->used < len + 1)
		ring_drop_oldest(r);
	tail = (r->head + r->used) % r->size;
	first = r->size - tail < len ? r->size - tail : len;
	memcpy(r->data + tail, line, first);
	memcpy(r->data, line + first, len - first);
	r->data[(tail + len) % r->size] = '\n';
	r->used += len + 1;
}

/*
 * Copies the line starting at offset *POS into OUT (cut to OUTLEN - 1
 * characters) and moves *POS and *LEFT past its '\n'.
 */
static void
ring_read_line(const struct ring *r, size_t *pos, size_t *left, char *out,
	       size_t outlen)
{
	size_t n = 0;

	while (*left > 0) {
		char c = r->data[*pos];

		*pos = (*pos + 1) % r->size;
		(*left)--;
		if (c == '\n')
			break;
		if (n + 1 < outlen)
			out[n++] = c;
	}
	out[n] = '\0';
}

/* Writes LINE into the buffer; called with the logger lock held. */
static void
buffer_write(const char *line, size_t len)
{
	struct ring *r = &logger.ring;

	if (r->data == NULL) {
		r->data = malloc(r->size);
		if (r->data == NULL)
			return;
		r->head = 0;
		r->used = 0;
	}
	if (len + 1 > r->size)
		len = r->size - 1;
	ring_append(r, line, len);
	logger.buffer_logged++;
}

static enum log_severity
kind_level(enum log_sink_kind kind, enum log_severity fixed)
{
	switch (kind) {
	case LOG_SINK_CONSOLE:
		return logger.console_level;
	case LOG_SINK_MONITOR:
		return logger.monitor_level;
	case LOG_SINK_OTHER:
		break;
	}
	return fixed;
}

/* True when `logging rate-limit` drops a line of SEV; logger lock held. */
static bool
rate_limited(enum log_severity sev)
{
	struct timespec now;

	if (logger.rate_limit == 0 || sev <= logger.rate_except)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec != logger.rate_second) {
		logger.rate_second = now.tv_sec;
		logger.rate_count = 0;
	}
	if (logger.rate_count >= logger.rate_limit)
		return true;
	logger.rate_count++;
	return false;
}

/*
 * Writes "[NNNNNN: ][<stamp>: ]BODY" into LINE by the settings of KIND,
 * cutting BODY to fit, and returns the length; *PREFIX_LEN gets where
 * BODY starts. Logger lock held, so sequence numbers follow the order
 * of the lines.
 */
static size_t
compose(char *line, size_t size, enum log_line_kind kind, const char *body,
	size_t body_len, size_t *prefix_len)
{
	const struct log_stamp *st = &logger.stamps[kind];
	char stamp[48];
	size_t n = 0;
	int m;

	line[0] = '\0';
	if (logger.sequence_numbers) {
		m = snprintf(line, size, "%06u: ", ++logger.sequence);
		n = m > 0 ? (size_t)m : 0;
	}
	if (st->type != LOG_STAMP_NONE) {
		if (st->type == LOG_STAMP_UPTIME)
			format_uptime(stamp, sizeof(stamp), &logger.start);
		else
			format_datetime(stamp, sizeof(stamp), st);
		m = snprintf(line + n, size - n, "%s: ", stamp);
		n += m > 0 ? (size_t)m : 0;
	}
	if (n >= size)
		n = size - 1;
	if (body_len > size - 1 - n)
		body_len = size - 1 - n;
	memcpy(line + n, body, body_len);
	line[n + body_len] = '\0';
	*prefix_len = n;
	return n + body_len;
}

/*
 * Sends LINE to every syslog host; logger lock held. The PRI is facility
 * local7 with SEV. RFC 3164 gets the header "Mmm dd hh:mm:ss HOSTNAME"
 * in UTC and the tag "vrouter:", RFC 5424 "1 TIMESTAMP HOSTNAME vrouter -
 * MSGID -", where MSGID is the mnemonic of a catalogued line and "-" for
 * a debug line.
 */
static void
send_hosts(enum log_severity sev, const char *line, const char *msgid)
{
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	const char *origin = logger.source_address[0] != '\0' ?
		logger.source_address : logger.hostname;
	char pkt[LOG_LINE_MAX + 256];
	struct timespec ts;
	struct tm tm;
	int pri = LOG_FACILITY_LOCAL7 * 8 + (int)sev;
	int i, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	for (i = 0; i < logger.nhosts; i++) {
		struct host *h = &logger.hosts[i];

		if (h->conf.format == LOG_HOST_RFC5424)
			n = snprintf(pkt, sizeof(pkt),
				     "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s vrouter - %s - %s",
				     pri, tm.tm_year + 1900, tm.tm_mon + 1,
				     tm.tm_mday, tm.tm_hour, tm.tm_min,
				     tm.tm_sec, ts.tv_nsec / 1000000, origin,
				     msgid, line);
		else
			n = snprintf(pkt, sizeof(pkt),
				     "<%d>%s %2d %02d:%02d:%02d %s vrouter: %s", pri,
				     months[tm.tm_mon], tm.tm_mday, tm.tm_hour,
				     tm.tm_min, tm.tm_sec, origin, line);
		if (n < 0)
			continue;
		if ((size_t)n >= sizeof(pkt))
			n = sizeof(pkt) - 1;
		if (send(h->fd, pkt, (size_t)n, MSG_DONTWAIT) < 0) {
			h->conf.failed++;
			logger.dropped++;
		} else {
			h->conf.logged++;
		}
	}
}

/* A hook that logs anyway does not see its own lines again. */
static _Thread_local bool in_hook;

/*
 * Passes one message body to the buffer, the hosts, the counters, the
 * sinks and the hook. MSGID is the mnemonic, "-" for a debug line.
 */
static void
emit(enum log_line_kind kind, enum log_severity sev, const char *body,
     size_t body_len, const char *msgid)
{
	char line[LOG_LINE_MAX];
	size_t len, prefix_len;
	int i;

	pthread_mutex_lock(&logger.lock);
	if (rate_limited(sev)) {
		pthread_mutex_unlock(&logger.lock);
		atomic_fetch_add(&logger.rate_limited, 1);
		return;
	}
	len = compose(line, sizeof(line), kind, body, body_len, &prefix_len);
	logger.messages_logged++;
	if (sev <= logger.trap_level) {
		logger.trap_logged++;
		send_hosts(sev, line, msgid);
	}
	if (sev <= logger.buffer_level)
		buffer_write(line, len);
	pthread_mutex_unlock(&logger.lock);

	pthread_rwlock_rdlock(&logger.sink_lock);
	for (i = 0; i < logger.nsinks; i++) {
		struct sink *s = &logger.sinks[i];

		if (sev > s->level)
			continue;
		if (s->kind == LOG_SINK_CONSOLE)
			atomic_fetch_add(&logger.console_logged, 1);
		else if (s->kind == LOG_SINK_MONITOR)
			atomic_fetch_add(&logger.monitor_logged, 1);
		s->fn(s->ctx, sev, line);
	}
	if (logger.hook != NULL && !in_hook) {
		in_hook = true;
		logger.hook(logger.hook_ctx, sev, line + prefix_len);
		in_hook = false;
	}
	pthread_rwlock_unlock(&logger.sink_lock);
}

/*
 * Builds "<prefix><text>" into BODY and returns its length. Line ends
 * inside the text become spaces, because the buffer and the sinks take
 * one line per message.
 */
static size_t
format_body(char *body, size_t size, const char *prefix, const char *fmt,
	    va_list ap)
{
	int n, m;
	size_t len, i;

	n = snprintf(body, size, "%s", prefix);
	if (n < 0)
		n = 0;
	if ((size_t)n >= size)
		n = (int)size - 1;
	m = vsnprintf(body + n, size - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	len = (size_t)n + (size_t)m;
	if (len >= size)
		len = size - 1;
	for (i = (size_t)n; i < len; i++)
		if (body[i] == '\n' || body[i] == '\r')
			body[i] = ' ';
	return len;
}

void
log_msg(enum log_msg_id id, const char *fmt, ...)
{
	const struct log_catalogue_entry *e = log_catalogue(id);
	char prefix[96];
	char body[LOG_LINE_MAX];
	va_list ap;
	size_t len;

	if (e == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "%%%s-%d-%s: ", e->facility,
		 (int)e->severity, e->mnemonic);
	va_start(ap, fmt);
	len = format_body(body, sizeof(body), prefix, fmt, ap);
	va_end(ap);
	emit(LOG_KIND_LOG, e->severity, body, len, e->mnemonic);
}

void
log_debug(const char *fmt, ...)
{
	char body[LOG_LINE_MAX];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	len = format_body(body, sizeof(body), "", fmt, ap);
	va_end(ap);
	emit(LOG_KIND_DEBUG, LOG_SEV_DEBUGGING, body, len, "-");
}

static int
sink_add(log_sink_fn fn, void *ctx, enum log_sink_kind kind,
	 enum log_severity level)
{
	int ret = -1;

	pthread_rwlock_wrlock(&logger.sink_lock);
	if (logger.nsinks == LOG_MAX_SINKS)
		goto out;
	pthread_mutex_lock(&logger.lock);
	level = kind_level(kind, level);
	pthread_mutex_unlock(&logger.lock);
	logger.sinks[logger.nsinks++] = (struct sink){ fn, ctx, kind, level };
	ret = 0;
out:
	pthread_rwlock_unlock(&logger.sink_lock);
	return ret;
}

int
log_sink_add(log_sink_fn fn, void *ctx, enum log_severity max_sev)
{
	return sink_add(fn, ctx, LOG_SINK_OTHER, max_sev);
}

int
log_sink_add_kind(log_sink_fn fn, void *ctx, enum log_sink_kind kind)
{
	return sink_add(fn, ctx, kind, LOG_SEV_DEBUGGING);
}

void
log_sink_set_level(log_sink_fn fn, void *ctx, enum log_severity max_sev)
{
	int i;

	pthread_rwlock_wrlock(&logger.sink_lock);
	for (i = 0; i < logger.nsinks; i++)
		if (logger.sinks[i].fn == fn && logger.sinks[i].ctx == ctx)
			logger.sinks[i].level = max_sev;
	pthread_rwlock_unlock(&logger.sink_lock);
}

void
log_sink_remove(log_sink_fn fn, void *ctx)
{
	int i;

	pthread_rwlock_wrlock(&logger.sink_lock);
	for (i = 0; i < logger.nsinks; i++) {
		if (logger.sinks[i].fn != fn || logger.sinks[i].ctx != ctx)
			continue;
		memmove(&logger.sinks[i], &logger.sinks[i + 1],
			(size_t)(logger.nsinks - i - 1) * sizeof(struct sink));
		logger.nsinks--;
		i--;
	}
	pthread_rwlock_unlock(&logger.sink_lock);
}

/* Sets the level of every sink of KIND; called with sink_lock written. */
static void
set_kind_level(enum log_sink_kind kind, enum log_severity level)
{
	int i;

	for (i = 0; i < logger.nsinks; i++)
		if (logger.sinks[i].kind == kind)
			logger.sinks[i].level = level;
}

void
log_set_console_level(enum log_severity level)
{
	pthread_rwlock_wrlock(&logger.sink_lock);
	pthread_mutex_lock(&logger.lock);
	logger.console_level = level;
	pthread_mutex_unlock(&logger.lock);
	set_kind_level(LOG_SINK_CONSOLE, level);
	pthread_rwlock_unlock(&logger.sink_lock);
}

void
log_set_monitor_level(enum log_severity level)
{
	pthread_rwlock_wrlock(&logger.sink_lock);
	pthread_mutex_lock(&logger.lock);
	logger.monitor_level = level;
	pthread_mutex_unlock(&logger.lock);
	set_kind_level(LOG_SINK_MONITOR, level);
	pthread_rwlock_unlock(&logger.sink_lock);
}

/*
 * Moves the newest lines that fit into a ring of NEW_SIZE bytes; called
 * with the logger lock held. On allocation failure the old ring stays.
 */
static void
ring_resize(struct ring *r, size_t new_size)
{
	char *data;
	size_t pos, left;
	struct ring nr;

	if (r->data == NULL) {
		r->size = new_size;
		return;
	}
	data = malloc(new_size);
	if (data == NULL)
		return;
	while (r->used > new_size)
		ring_drop_oldest(r);
	nr = (struct ring){ .data = data, .size = new_size };
	pos = r->head;
	left = r->used;
	while (left > 0) {
		char line[LOG_LINE_MAX];

		ring_read_line(r, &pos, &left, line, sizeof(line));
		ring_append(&nr, line, strlen(line));
	}
	free(r->data);
	*r = nr;
}

void
log_set_buffer(size_t size, enum log_severity level)
{
	pthread_mutex_lock(&logger.lock);
	if (size < LOG_MIN_BUFFER_SIZE)
		size = LOG_MIN_BUFFER_SIZE;
	if (size > LOG_MAX_BUFFER_SIZE)
		size = LOG_MAX_BUFFER_SIZE;
	if (size != logger.ring.size)
		ring_resize(&logger.ring, size);
	logger.buffer_level = level;
	pthread_mutex_unlock(&logger.lock);
}

void
log_buffer_foreach(void (*fn)(void *ctx, const char *line), void *ctx)
{
	const struct ring *r = &logger.ring;
	char line[LOG_LINE_MAX];
	size_t pos, left;

	pthread_mutex_lock(&logger.lock);
	pos = r->head;
	left = r->data != NULL ? r->used : 0;
	while (left > 0) {
		ring_read_line(r, &pos, &left, line, sizeof(line));
		fn(ctx, line);
	}
	pthread_mutex_unlock(&logger.lock);
}

void
log_buffer_clear(void)
{
	pthread_mutex_lock(&logger.lock);
	logger.ring.head = 0;
	logger.ring.used = 0;
	pthread_mutex_unlock(&logger.lock);
}

void
log_count_rate_limited(uint64_t n)
{
	atomic_fetch_add(&logger.rate_limited, n);
}

void
log_get_stats(struct log_stats *out)
{
	pthread_mutex_lock(&logger.lock);
	*out = (struct log_stats){
		.messages_logged = logger.messages_logged,
		.buffer_logged = logger.buffer_logged,
		.rate_limited = atomic_load(&logger.rate_limited),
		.console_logged = atomic_load(&logger.console_logged),
		.monitor_logged = atomic_load(&logger.monitor_logged),
		.trap_logged = logger.trap_logged,
		.buffer_size = logger.ring.size,
		.buffer_used = logger.ring.used,
		.buffer_level = logger.buffer_level,
		.console_level = logger.console_level,
		.monitor_level = logger.monitor_level,
		.trap_level = logger.trap_level,
		.dropped = logger.dropped,
		.sequence_numbers = logger.sequence_numbers,
		.rate_limit = logger.rate_limit,
	};
	snprintf(out->source_interface, sizeof(out->source_interface), "%s",
		 logger.source_interface);
	pthread_mutex_unlock(&logger.lock);
}

void
log_set_timestamps(enum log_line_kind kind, const struct log_stamp *st)
{
	if ((unsigned)kind > LOG_KIND_DEBUG || st == NULL)
		return;
	pthread_mutex_lock(&logger.lock);
	logger.stamps[kind] = *st;
	pthread_mutex_unlock(&logger.lock);
}

void
log_set_sequence_numbers(bool on)
{
	pthread_mutex_lock(&logger.lock);
	logger.sequence_numbers = on;
	pthread_mutex_unlock(&logger.lock);
}

void
log_set_trap_level(enum log_severity level)
{
	pthread_mutex_lock(&logger.lock);
	logger.trap_level = level;
	pthread_mutex_unlock(&logger.lock);
}

void
log_set_rate_limit(unsigned per_second, enum log_severity except)
{
	pthread_mutex_lock(&logger.lock);
	logger.rate_limit = per_second;
	logger.rate_except = except;
	logger.rate_count = 0;
	pthread_mutex_unlock(&logger.lock);
}

/*
 * Returns a UDP socket connected to H, or -1. The socket is bound to
 * SOURCE (the `logging source-interface` address, "" for none) when this
 * host has that address, e.g. a 127.0.0.0/8 lab address. An address that
 * exists only inside the router (a datapath interface) cannot be bound,
 * so the kernel picks the source address then, as without the command.
 */
static int
host_socket(const struct log_host *h, const char *source)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in src = { .sin_family = AF_INET };
	int fd;

	if (inet_pton(AF_INET, h->address, &sin.sin_addr) != 1)
		return -1;
	sin.sin_port = htons(h->port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A failed bind leaves the socket unbound and usable. */
	if (source[0] != '\0' &&
	    inet_pton(AF_INET, source, &src.sin_addr) == 1)
		(void)bind(fd, (struct sockaddr *)&src, sizeof(src));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void
log_set_origin(const char *hostname, const char *source_interface,
	       const char *source_address)
{
	const char *addr = source_address != NULL ? source_address : "";
	bool moved;
	int i, fd;

	pthread_mutex_lock(&logger.lock);
	snprintf(logger.hostname, sizeof(logger.hostname), "%s",
		 hostname != NULL && *hostname != '\0' ? hostname : "Router");
	snprintf(logger.source_interface, sizeof(logger.source_interface),
		 "%s", source_interface != NULL ? source_interface : "");
	moved = strcmp(logger.source_address, addr) != 0;
	snprintf(logger.source_address, sizeof(logger.source_address), "%s",
		 addr);
	/* Sockets bound to the old source address are opened again. */
	for (i = 0; moved && i < logger.nhosts; i++) {
		fd = host_socket(&logger.hosts[i].conf, logger.source_address);
		if (fd < 0)
			continue;
		close(logger.hosts[i].fd);
		logger.hosts[i].fd = fd;
	}
	pthread_mutex_unlock(&logger.lock);
}

static bool
same_host(const struct log_host *a, const struct log_host *b)
{
	return strcmp(a->address, b->address) == 0 && a->port == b->port &&
	       a->format == b->format;
}

/* Index of a host equal to H in TABLE, or -1. */
static int
find_host(const struct host *table, int n, const struct log_host *h)
{
	int i;

	for (i = 0; i < n; i++)
		if (same_host(&table[i].conf, h))
			return i;
	return -1;
}

int
log_set_hosts(const struct log_host *hosts, size_t n)
{
	struct host old[LOG_MAX_HOSTS], neu[LOG_MAX_HOSTS];
	bool added[LOG_MAX_HOSTS] = { false };
	int nold, nneu = 0, ret = 0, i, j;

	if (n > LOG_MAX_HOSTS) {
		n = LOG_MAX_HOSTS;
		ret = -1;
	}
	pthread_mutex_lock(&logger.lock);
	nold = logger.nhosts;
	memcpy(old, logger.hosts, sizeof(old));
	for (i = 0; i < (int)n; i++) {
		j = find_host(old, nold, &hosts[i]);
		if (j >= 0) {
			neu[nneu++] = old[j];
			old[j].fd = -1;
			continue;
		}
		neu[nneu] = (struct host){ .conf = hosts[i] };
		neu[nneu].conf.logged = 0;
		neu[nneu].conf.failed = 0;
		neu[nneu].fd = host_socket(&hosts[i], logger.source_address);
		if (neu[nneu].fd < 0) {
			ret = -1;
			continue;
		}
		added[nneu++] = true;
	}
	memcpy(logger.hosts, neu, sizeof(neu));
	logger.nhosts = nneu;
	pthread_mutex_unlock(&logger.lock);

	for (i = 0; i < nold; i++) {
		if (old[i].fd < 0)
			continue;
		close(old[i].fd);
		log_msg(LOGMSG_SYS_LOGGINGHOST_STARTSTOP, "Logging to host %s port %u %s",
			old[i].conf.address, old[i].conf.port,
			"stopped - CLI initiated");
	}
	for (i = 0; i < nneu; i++)
		if (added[i])
			log_msg(LOGMSG_SYS_LOGGINGHOST_STARTSTOP,
				"Logging to host %s port %u %s",
				neu[i].conf.address, neu[i].conf.port,
				"started - CLI initiated");
	return ret;
}

void
log_hosts_foreach(void (*fn)(void *ctx, const struct log_host *h), void *ctx)
{
	int i;

	pthread_mutex_lock(&logger.lock);
	for (i = 0; i < logger.nhosts; i++)
		fn(ctx, &logger.hosts[i].conf);
	pthread_mutex_unlock(&logger.lock);
}

void
log_set_hook(log_hook_fn fn, void *ctx)
{
	pthread_rwlock_wrlock(&logger.sink_lock);
	logger.hook = fn;
	logger.hook_ctx = ctx;
	pthread_rwlock_unlock(&logger.sink_lock);
}

/* Returns the logger to its defaults with an empty buffer of SIZE bytes. */
static void
reset(size_t buffer_size)
{
	static const struct log_stamp datetime_msec = { .msec = true };
	int i;

	pthread_mutex_lock(&logger.lock);
	for (i = 0; i < logger.nhosts; i++)
		close(logger.hosts[i].fd);
	logger.nhosts = 0;
	logger.trap_level = LOG_SEV_INFORMATIONAL;
	logger.dropped = 0;
	logger.stamps[LOG_KIND_LOG] = datetime_msec;
	logger.stamps[LOG_KIND_DEBUG] = datetime_msec;
	logger.sequence_numbers = false;
	logger.sequence = 0;
	clock_gettime(CLOCK_MONOTONIC, &logger.start);
	logger.rate_limit = 0;
	logger.rate_except = LOG_SEV_OFF;
	snprintf(logger.hostname, sizeof(logger.hostname), "Router");
	logger.source_interface[0] = '\0';
	logger.source_address[0] = '\0';
	free(logger.ring.data);
	logger.ring = (struct ring){ .size = buffer_size };
	logger.buffer_level = LOG_SEV_DEBUGGING;
	logger.console_level = LOG_SEV_DEBUGGING;
	logger.monitor_level = LOG_SEV_DEBUGGING;
	logger.messages_logged = 0;
	logger.buffer_logged = 0;
	logger.trap_logged = 0;
	atomic_store(&logger.rate_limited, 0);
	atomic_store(&logger.console_logged, 0);
	atomic_store(&logger.monitor_logged, 0);
	pthread_mutex_unlock(&logger.lock);
}

int
log_init(size_t buffer_size)
{
	if (buffer_size < LOG_MIN_BUFFER_SIZE ||
	    buffer_size > LOG_MAX_BUFFER_SIZE)
		return -1;
	reset(buffer_size);
	return 0;
}

void
log_shutdown(void)
{
	pthread_rwlock_wrlock(&logger.sink_lock);
	logger.nsinks = 0;
	logger.hook = NULL;
	logger.hook_ctx = NULL;
	pthread_rwlock_unlock(&logger.sink_lock);
	reset(LOG_DEFAULT_BUFFER_SIZE);
}
