/*
 * Labs: several vrouter processes started from one topology file, their
 * interfaces cabled through UDP relays in the lab process so that link
 * faults (loss, delay, corruption, cuts, filters) can be applied while
 * the lab runs. docs/labs.md describes the file format and the control
 * commands.
 */
#ifndef VR_CORE_LAB_H
#define VR_CORE_LAB_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* A router process that exits with this status is started again. */
#define LAB_EXIT_RELOAD		75

#define LAB_MAX_ROUTERS		128
#define LAB_MAX_LINKS		256
#define LAB_MAX_TUNS		32
#define LAB_MAX_TRAFGENS	32
/* A router config larger than this is not a config (16 MB). */
#define LAB_MAX_CONFIG		(16L * 1024 * 1024)
#define LAB_NAME_LEN		32
#define LAB_IFNAME_LEN		32
#define LAB_MAX_ARGS		24

/* A match expression of `fault LINK drop expr "..."`: terms joined by and. */
#define LAB_MAX_TERMS		8

enum lab_term_kind {
	LAB_TERM_PROTO,		/* IP protocol number */
	LAB_TERM_PORT,		/* UDP or TCP source or destination port */
	LAB_TERM_SRC,		/* IPv4 source in a prefix */
	LAB_TERM_DST,		/* IPv4 destination in a prefix */
	LAB_TERM_HOST,		/* IPv4 source or destination in a prefix */
	LAB_TERM_IKE,		/* UDP 500, or UDP 4500 with the non-ESP marker */
	LAB_TERM_ESP,		/* protocol 50, or UDP 4500 with an SPI */
};

struct lab_term {
	enum lab_term_kind kind;
	bool negate;
	uint32_t value;		/* protocol, port or network address */
	uint32_t mask;		/* prefix mask for addresses */
};

struct lab_match {
	int nterms;
	struct lab_term terms[LAB_MAX_TERMS];
};

/*
 * Faults on one link, applied to both directions. A fault whose until
 * time is 0 stays until `clear`; otherwise it ends at that CLOCK_MONOTONIC
 * time in nanoseconds.
 */
struct lab_fault {
	unsigned loss_pct;
	uint64_t loss_until;
	unsigned delay_ms, jitter_ms;
	uint64_t delay_until;
	unsigned corrupt_pct;
	uint64_t corrupt_until;
	bool cut;
	uint64_t cut_until;
	bool drop;
	struct lab_match drop_match;
	char drop_text[128];	/* the filter as given, for `status` */
	uint64_t drop_until;
};

/* Frame counters of one link direction; [0] is from end 0 to end 1. */
struct lab_link_stats {
	uint64_t relayed;
	uint64_t lost;		/* dropped by `loss` */
	uint64_t cut;		/* dropped by `cut` */
	uint64_t filtered;	/* dropped by `drop` */
	uint64_t corrupted;
	uint64_t delayed;
	uint64_t overflow;	/* delay queue full */
	uint64_t no_peer;	/* host end not attached yet */
};

struct lab_frame;

/*
 * A cable between two router interfaces, a router interface and a host,
 * or a router interface and a lab on another machine (a remote link).
 */
struct lab_link {
	char name[LAB_NAME_LEN];
	int router[2];			/* -1 for a host or remote end */
	char ifname[2][LAB_IFNAME_LEN];
	unsigned host_port;		/* host links: fixed lab port, 0 = any */
	bool remote;			/* end 1 is the other machine's lab */
	struct sockaddr_in local;	/* remote links: where end 1 binds */
	int fd[2];			/* lab sockets facing each end */
	unsigned lab_port[2];		/* their loopback ports */
	unsigned router_port[2];	/* the routers' own wire ports */
	struct sockaddr_in peer[2];	/* where each end receives */
	bool peer_known[2];
	struct lab_fault fault;
	struct lab_link_stats stats[2];
	struct lab_frame *queue;	/* delayed frames, by due time */
	unsigned queued;
	int line;			/* topology line, for messages */
};

struct lab_tun {
	int router;
	char ifname[LAB_IFNAME_LEN];
	char dev[16];
	char netns[64];			/* empty: stays in this namespace */
};

struct lab_trafgen {
	int link;			/* the host link it attaches to */
	int argc;
	char *argv[LAB_MAX_ARGS];
	pid_t pid;
	char log[300];			/* its output file */
};

enum lab_router_state {
	LAB_ROUTER_STOPPED,
	LAB_ROUTER_STARTING,
	LAB_ROUTER_RUNNING,
	LAB_ROUTER_CRASHED,
};

struct lab_router {
	char name[LAB_NAME_LEN];
	char config[512];		/* config file named by the topology */
	char startup[300];		/* its copy in the work directory */
	unsigned telnet_port, ssh_port;	/* 0 until the router reports them */
	pid_t pid;
	int err_fd;			/* the router's stderr, read by the lab */
	char errbuf[1024];
	size_t errlen;
	enum lab_router_state state;
	int last_status;		/* wait status of the last exit */
	unsigned restarts;
	bool restart;			/* start again once it exits */
	bool console;			/* on the lab's terminal */
	int line;
};

struct lab {
	char file[512];
	char dir[256];			/* work directory */
	char self[512];			/* the vrouter binary */
	char trafgen_path[512];
	bool ssh;
	int nrouters, nlinks, ntuns, ntrafgens;
	struct lab_router routers[LAB_MAX_ROUTERS];
	struct lab_link links[LAB_MAX_LINKS];
	struct lab_tun tuns[LAB_MAX_TUNS];
	struct lab_trafgen trafgens[LAB_MAX_TRAFGENS];
	int console;			/* router on the terminal, or -1 */
	bool hand_over;			/* console router waits for the terminal */
	bool ready;			/* the status table is out */
	int ctl_fd;
	int sig_fd;
	bool stopping;
	uint64_t started_ns;
	uint32_t rng;
	unsigned next_port;		/* next candidate of pick_port() */
};

/* Entry point of `vrouter lab ...`; ARGV[0] is "lab". Returns the exit status. */
int lab_main(int argc, char **argv);

/*
 * Reads the topology file PATH into LAB. On error writes "PATH:LINE:
 * field N "TEXT": reason" into ERR and returns -1.
 */
int lab_parse(struct lab *lab, const char *path, char *err, size_t errlen);

/*
 * Splits TEXT in place into at most MAX blank-separated FIELDS; "..."
 * keeps blanks and "#" starts a comment. Returns the number of fields,
 * -1 when there are more than MAX, -2 for a missing closing quote.
 */
int lab_split(char *text, char **fields, int max);

/* Frees what lab_parse() allocated. */
void lab_free(struct lab *lab);

/* Returns the index of the router or link called NAME, or -1. */
int lab_router_index(const struct lab *lab, const char *name);
int lab_link_index(const struct lab *lab, const char *name);

/*
 * Parses the match expression TEXT ("proto udp and port 500 and not src
 * 10.0.0.0/8") into M. Returns 0, or -1 with a reason in ERR.
 */
int lab_match_parse(struct lab_match *m, const char *text, char *err,
		    size_t errlen);

/* Returns true when the Ethernet frame FRAME of LEN octets matches M. */
bool lab_match_frame(const struct lab_match *m, const uint8_t *frame,
		     size_t len);

/*
 * Runs the control command LINE (`fault`, `clear`, `status`, `reload`,
 * `stop`) on LAB at NOW (CLOCK_MONOTONIC ns) and writes the reply to OUT.
 * Returns 0, or -1 when the command failed (the reply then starts with
 * "% ").
 */
int lab_control(struct lab *lab, const char *line, uint64_t now, FILE *out);

/* Writes the table of routers, links and hosts with their state to OUT. */
void lab_print_status(const struct lab *lab, uint64_t now, FILE *out);

/*
 * Passes one frame that arrived on LINK from end FROM through the
 * link's faults at NOW: it is sent to the other end, queued for later, or
 * dropped and counted.
 */
void lab_link_frame(struct lab *lab, struct lab_link *link, int from,
		    uint8_t *frame, size_t len, uint64_t now);

/* Sends LINK's queued frames that are due at NOW; returns the next due time or 0. */
uint64_t lab_link_flush(struct lab *lab, struct lab_link *link, uint64_t now);

/* Ends faults whose time is up; returns the next end time or 0. */
uint64_t lab_fault_expire(struct lab_link *link, uint64_t now);

/* Frees LINK's queued frames. */
void lab_link_drain(struct lab_link *link);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t lab_now(void);

#endif
