/*
 * Embedded Event Manager: applets from /vrouter-config:event-manager that
 * run when a syslog line matches a pattern, when a timer fires, or when
 * `event manager run` asks. Their actions run CLI commands in a private
 * session, log, match regular expressions, keep variables, branch, wait
 * and write files.
 *
 * Two threads serve one EEM. The dispatcher takes the lines that the
 * logger hook queued (the hook only copies the line, so matching never
 * runs in the thread that logged), counts occurrences and fires timers.
 * The runner runs the triggered applets one at a time, as IOS runs them
 * in its default scheduler class, and stops a run that passes its maxrun
 * between two actions or in a `wait`.
 */
#ifndef VR_CORE_EEM_H
#define VR_CORE_EEM_H

#include <stdbool.h>
#include <stddef.h>

struct eem;
struct lyd_node;

/* Default `maxrun` of an event, in seconds, as on IOS. */
#define EEM_DEFAULT_MAXRUN 20

/*
 * A reply to a question of a command (a "[confirm]" or a line prompt):
 * given when the command's output so far matches PATTERN (a POSIX
 * extended regular expression), as the `pattern` of IOS's `action cli`.
 */
struct eem_cli_reply {
	const char *pattern;
	const char *text;
};

/*
 * How applets reach the CLI. OPEN returns a new private session in user
 * EXEC (NULL on failure); RUN executes one line in it with the NREPLIES
 * REPLIES to its questions in order, and returns its output in *OUT
 * (malloc'd, "\r" removed) and true when the command was accepted. A
 * question that the next reply's pattern does not match, or that comes
 * after the last reply, gets no answer: the command then stops as after
 * a disconnect (reload does not restart). CLOSE releases the session.
 */
struct eem_cli_ops {
	void *(*open)(void *ctx);
	bool (*run)(void *session, const char *line,
		    const struct eem_cli_reply *replies, size_t nreplies,
		    char **out);
	void (*close)(void *session);
};

/*
 * Creates an EEM with no applets; its threads start in eem_start().
 * FLASH_DIR is the folder that "flash:NAME" paths of actions name (NULL:
 * the working directory).
 */
struct eem *eem_create(const struct eem_cli_ops *ops, void *ctx,
		       const char *flash_dir);

/*
 * Starts the threads and hooks the logger. Returns 0, or -1 with errno
 * set.
 */
int eem_start(struct eem *eem);

/* Unhooks the logger, stops a running applet, joins and frees. */
void eem_destroy(struct eem *eem);

/*
 * A config store subscriber (CTX is the EEM): replaces the applets by
 * those of the running tree. Applets whose event is unchanged keep their
 * occurrence counts and timers.
 */
void eem_config_apply(void *ctx, const struct lyd_node *running);

/*
 * Checks the text after `event` or after `action LABEL`. Returns 0, or
 * -1 with a one-line reason in ERR.
 */
int eem_check_event(const char *text, char *err, size_t errlen);
int eem_check_action(const char *text, char *err, size_t errlen);

/*
 * Parses the text after `event` into the leaves of the YANG event
 * container: calls SET(CTX, LEAF, VALUE) for type, pattern, occurs,
 * period, ratelimit, time and maxrun as given. Returns 0, or -1 with a
 * reason in ERR.
 */
int eem_parse_event(const char *text,
		    void (*set)(void *ctx, const char *leaf, const char *value),
		    void *ctx, char *err, size_t errlen);

/*
 * Runs applet NAME, which must have `event none`, and waits until it
 * ends. Returns 0, or -1 with the IOS-style reason in ERR.
 */
int eem_run(struct eem *eem, const char *name, char *err, size_t errlen);

/*
 * The texts of `show event manager policy registered` and `show event
 * manager history events`, malloc'd.
 */
char *eem_show_registered(struct eem *eem);
char *eem_show_history(struct eem *eem);

/*
 * The text of `show event manager statistics server`: events queued and
 * dropped by the syslog line queue and the run queue, malloc'd.
 */
char *eem_show_statistics(struct eem *eem);

#endif
