/*
 * Internals shared by core/eem.c (applets, events, threads, shows) and
 * core/eem_action.c (parsing and running actions).
 */
#ifndef VR_CORE_EEM_PRIVATE_H
#define VR_CORE_EEM_PRIVATE_H

#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/eem.h"

#define EEM_NAME_MAX 65
#define EEM_MAX_OCCURS 32
#define EEM_RUN_QUEUE 32
#define EEM_HISTORY 50
#define EEM_MAX_TOKENS 64

enum eem_event_type {
	EEM_EVENT_NONE,
	EEM_EVENT_SYSLOG,
	EEM_EVENT_WATCHDOG,
	EEM_EVENT_COUNTDOWN,
};

/* One registered applet, built from the running config. */
struct eem_applet {
	char name[EEM_NAME_MAX];
	enum eem_event_type type;
	char *pattern;			/* syslog only */
	regex_t re;
	bool re_ok;
	unsigned occurs, period, ratelimit, time, maxrun;
	char **labels;			/* sorted by strcmp() */
	char **texts;
	size_t nactions;
	time_t registered;

	/* Event state, kept across config changes of an unchanged event. */
	int64_t matches[EEM_MAX_OCCURS];	/* CLOCK_MONOTONIC ms */
	unsigned nmatches;
	int64_t last_run;		/* ms; 0 before the first run */
	int64_t next_fire;		/* timers; 0 when disarmed */
};

enum eem_status {
	EEM_SUCCESS,
	EEM_MAXRUN,		/* stopped at its maxrun */
	EEM_STOPPED,		/* the router is stopping */
};

/* One triggered run: a copy of the applet's actions and the event. */
struct eem_run {
	char name[EEM_NAME_MAX];
	char **labels;
	char **texts;
	size_t nactions;
	unsigned maxrun;
	const char *type_string;	/* static: "syslog", "none", ... */
	char *syslog_msg;		/* NULL unless a syslog event */
	char **env_names;		/* event manager environment */
	char **env_values;
	size_t nenv;
	unsigned job_id;
	time_t pub_time;
	enum eem_status status;
};

struct eem_history {
	unsigned job_id;
	time_t time;
	const char *type_string;
	char name[EEM_NAME_MAX];
	enum eem_status status;
};

struct msgq;

struct eem {
	const struct eem_cli_ops *ops;
	void *ops_ctx;
	char *flash_dir;

	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t cond;		/* run queue, completions, stop */
	struct eem_applet *applets;
	size_t napplets;
	char **env_names;
	char **env_values;
	size_t nenv;
	bool any_syslog;		/* read by the hook without the lock */

	struct eem_run *queue[EEM_RUN_QUEUE];
	size_t qhead, qlen;
	uint64_t queue_drops;
	uint64_t runs_queued;
	uint64_t lines_screened;
	unsigned next_job;
	unsigned last_done_job;

	struct eem_history history[EEM_HISTORY];
	size_t nhistory;		/* entries written, ever */

	bool stopping;
	bool started;
	struct msgq *lines;		/* syslog bodies from the hook */
	int wake_fd;			/* eventfd: config change or stop */
	pthread_t dispatcher, runner;
	/*
	 * The applet that the runner executes, "" between runs. Only the
	 * runner thread writes and reads it: lines that it logs come from
	 * that applet's own actions.
	 */
	char running[EEM_NAME_MAX];
};

/*
 * Splits BUF in place into words; a double-quoted string is one word
 * without its quotes, backslashes kept. Returns the number of words, or
 * -1 on an unterminated quote or more than MAX words.
 */
int eem_tokenize(char *buf, char **words, int max);

/* Runs R's actions in the runner thread; returns how the run ended. */
enum eem_status eem_execute(struct eem *eem, struct eem_run *r);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t eem_now_ms(void);

#endif
