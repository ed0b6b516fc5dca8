/*
 * The Embedded Event Manager: registered applets, their event detectors
 * (syslog patterns, timers, `event manager run`), the dispatcher and
 * runner threads, and the show texts. Actions are in eem_action.c.
 */
#include "core/eem_private.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "core/config.h"
#include "core/log.h"
#include "core/msgq.h"

#define M "/vrouter-config:event-manager/"

/* Syslog bodies waiting for the dispatcher. */
#define LINE_QUEUE 256

struct line_msg {
	char body[LOG_LINE_MAX];
	char origin[EEM_NAME_MAX];	/* applet whose action logged it, or "" */
};

int64_t
eem_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
type_string(enum eem_event_type type)
{
	switch (type) {
	case EEM_EVENT_SYSLOG:
		return "syslog";
	case EEM_EVENT_WATCHDOG:
		return "timer watchdog";
	case EEM_EVENT_COUNTDOWN:
		return "timer countdown";
	case EEM_EVENT_NONE:
		break;
	}
	return "none";
}

/* ---- Parsing the event line. */

static bool
parse_seconds(const char *word, unsigned long max, unsigned long *out)
{
	char *end;

	if (*word < '0' || *word > '9')
		return false;
	errno = 0;
	*out = strtoul(word, &end, 10);
	return *end == '\0' && errno == 0 && *out >= 1 && *out <= max;
}

int
eem_parse_event(const char *text,
		void (*set)(void *ctx, const char *leaf, const char *value),
		void *ctx, char *err, size_t errlen)
{
	static const struct {
		const char *word;
		unsigned long max;
	} numbers[] = {
		{ "occurs", EEM_MAX_OCCURS }, { "period", 86400 },
		{ "ratelimit", 86400 }, { "time", 31536000 },
		{ "maxrun", 31536000 },
	};
	char *words[EEM_MAX_TOKENS];
	char *buf = strdup(text);
	const char *type = NULL;
	bool pattern = false, timer = false;
	int n, i = 1, ret = -1;
	size_t k;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = eem_tokenize(buf, words, EEM_MAX_TOKENS);
	if (n <= 0) {
		snprintf(err, errlen, n == 0 ? "missing event type" :
			 "unterminated quote");
		goto out;
	}
	if (strcmp(words[0], "syslog") == 0) {
		type = "syslog";
	} else if (strcmp(words[0], "none") == 0) {
		type = "none";
	} else if (strcmp(words[0], "timer") == 0 && n > 1 &&
		   (strcmp(words[1], "watchdog") == 0 ||
		    strcmp(words[1], "countdown") == 0)) {
		type = words[1][0] == 'w' ? "timer-watchdog" :
		       "timer-countdown";
		timer = true;
		i = 2;
	} else {
		snprintf(err, errlen, "unsupported event %s; expected syslog, "
			 "timer watchdog|countdown or none", words[0]);
		goto out;
	}
	set(ctx, "type", type);
	for (; i < n; i += 2) {
		unsigned long v;
		bool is_time;

		if (i + 1 >= n) {
			snprintf(err, errlen, "%s needs a value", words[i]);
			goto out;
		}
		if (strcmp(words[i], "pattern") == 0 && type[0] == 's') {
			regex_t re;

			if (regcomp(&re, words[i + 1], REG_EXTENDED) != 0) {
				snprintf(err, errlen, "invalid regular "
					 "expression \"%s\"", words[i + 1]);
				goto out;
			}
			regfree(&re);
			set(ctx, "pattern", words[i + 1]);
			pattern = true;
			continue;
		}
		for (k = 0; k < sizeof(numbers) / sizeof(numbers[0]); k++)
			if (strcmp(words[i], numbers[k].word) == 0)
				break;
		is_time = strcmp(words[i], "time") == 0;
		/* Timers and none take only time and maxrun. */
		if (k == sizeof(numbers) / sizeof(numbers[0]) ||
		    (is_time && !timer) ||
		    (type[0] != 's' && !is_time &&
		     strcmp(words[i], "maxrun") != 0)) {
			snprintf(err, errlen, "unexpected %s in event %s",
				 words[i], words[0]);
			goto out;
		}
		if (!parse_seconds(words[i + 1], numbers[k].max, &v)) {
			snprintf(err, errlen, "%s takes a whole number from 1 "
				 "to %lu", words[i], numbers[k].max);
			goto out;
		}
		set(ctx, words[i], words[i + 1]);
	}
	if (type[0] == 's' && !pattern) {
		snprintf(err, errlen, "event syslog needs a pattern");
		goto out;
	}
	if (timer && strstr(text, " time ") == NULL) {
		snprintf(err, errlen, "event timer needs time SECONDS");
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

static void
ignore_leaf(void *ctx, const char *leaf, const char *value)
{
	(void)ctx;
	(void)leaf;
	(void)value;
}

int
eem_check_event(const char *text, char *err, size_t errlen)
{
	return eem_parse_event(text, ignore_leaf, NULL, err, errlen);
}

/* ---- Applets from the running config. */

static void
free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static void
applet_free(struct eem_applet *a)
{
	free(a->pattern);
	if (a->re_ok)
		regfree(&a->re);
	free_strings(a->labels, a->nactions);
	free_strings(a->texts, a->nactions);
}

static unsigned
uint_leaf(const struct lyd_node *node, const char *path, unsigned def)
{
	struct lyd_node *leaf = NULL;

	if (lyd_find_path(node, path, 0, &leaf) != LY_SUCCESS || leaf == NULL)
		return def;
	return (unsigned)strtoul(lyd_get_value(leaf), NULL, 10);
}

static const char *
str_leaf(const struct lyd_node *node, const char *path)
{
	struct lyd_node *leaf = NULL;

	if (lyd_find_path(node, path, 0, &leaf) != LY_SUCCESS || leaf == NULL)
		return NULL;
	return lyd_get_value(leaf);
}

/* Index order of labels: IOS runs actions in the string order of labels. */
static int
label_cmp(const void *a, const void *b)
{
	const struct lyd_node *const *x = a, *const *y = b;

	return strcmp(str_leaf(*x, "label"), str_leaf(*y, "label"));
}

/* Fills A from the applet node N; returns false when out of memory. */
static bool
applet_load(struct eem_applet *a, const struct lyd_node *n)
{
	const char *type = str_leaf(n, "event/type");
	const char *pattern = str_leaf(n, "event/pattern");
	struct ly_set *set = NULL;
	bool ok = false;
	size_t i;

	snprintf(a->name, sizeof(a->name), "%s", str_leaf(n, "name"));
	a->type = type == NULL ? EEM_EVENT_NONE :
		  strcmp(type, "syslog") == 0 ? EEM_EVENT_SYSLOG :
		  strcmp(type, "timer-watchdog") == 0 ? EEM_EVENT_WATCHDOG :
		  strcmp(type, "timer-countdown") == 0 ? EEM_EVENT_COUNTDOWN :
		  EEM_EVENT_NONE;
	a->occurs = uint_leaf(n, "event/occurs", 1);
	a->period = uint_leaf(n, "event/period", 0);
	a->ratelimit = uint_leaf(n, "event/ratelimit", 0);
	a->time = uint_leaf(n, "event/time", 0);
	a->maxrun = uint_leaf(n, "event/maxrun", EEM_DEFAULT_MAXRUN);
	a->registered = time(NULL);
	if (a->type == EEM_EVENT_SYSLOG && pattern != NULL) {
		a->pattern = strdup(pattern);
		if (a->pattern == NULL)
			return false;
		a->re_ok = regcomp(&a->re, pattern, REG_EXTENDED | REG_NOSUB)
			   == 0;
	}
	if (lyd_find_xpath(n, "action", &set) != LY_SUCCESS)
		return true;
	qsort(set->dnodes, set->count, sizeof(set->dnodes[0]), label_cmp);
	a->labels = calloc(set->count + 1, sizeof(char *));
	a->texts = calloc(set->count + 1, sizeof(char *));
	if (a->labels == NULL || a->texts == NULL)
		goto out;
	for (i = 0; i < set->count; i++) {
		a->labels[i] = strdup(str_leaf(set->dnodes[i], "label"));
		a->texts[i] = strdup(str_leaf(set->dnodes[i], "text"));
		a->nactions = i + 1;
		if (a->labels[i] == NULL || a->texts[i] == NULL)
			goto out;
	}
	ok = true;
out:
	ly_set_free(set, NULL);
	return ok;
}

static bool
same_event(const struct eem_applet *a, const struct eem_applet *b)
{
	return a->type == b->type && a->occurs == b->occurs &&
	       a->period == b->period && a->ratelimit == b->ratelimit &&
	       a->time == b->time &&
	       ((a->pattern == NULL && b->pattern == NULL) ||
		(a->pattern != NULL && b->pattern != NULL &&
		 strcmp(a->pattern, b->pattern) == 0));
}

/* Copies the environment variables of TREE; false when out of memory. */
static bool
load_environment(const struct lyd_node *tree, char ***names,
		 char ***values, size_t *n)
{
	struct ly_set *set = NULL;
	size_t i;

	*names = NULL;
	*values = NULL;
	*n = 0;
	if (tree == NULL ||
	    lyd_find_xpath(tree, M "environment", &set) != LY_SUCCESS)
		return true;
	*names = calloc(set->count + 1, sizeof(char *));
	*values = calloc(set->count + 1, sizeof(char *));
	if (*names == NULL || *values == NULL)
		goto fail;
	for (i = 0; i < set->count; i++) {
		(*names)[i] = strdup(str_leaf(set->dnodes[i], "name"));
		(*values)[i] = strdup(str_leaf(set->dnodes[i], "value"));
		*n = i + 1;
		if ((*names)[i] == NULL || (*values)[i] == NULL)
			goto fail;
	}
	ly_set_free(set, NULL);
	return true;
fail:
	ly_set_free(set, NULL);
	free_strings(*names, *n);
	free_strings(*values, *n);
	*names = NULL;
	*values = NULL;
	*n = 0;
	return false;
}

void
eem_config_apply(void *ctx, const struct lyd_node *running)
{
	struct eem *eem = ctx;
	struct eem_applet *neu = NULL, *old;
	struct ly_set *set = NULL;
	size_t i, j, n = 0, nold;
	bool any_syslog = false;
	uint64_t one = 1;
	int64_t now = eem_now_ms();
	char **env_names, **env_values, **old_names, **old_values;
	size_t nenv, old_nenv;

	if (running != NULL &&
	    lyd_find_xpath(running, M "applet", &set) != LY_SUCCESS)
		set = NULL;
	if (set != NULL && set->count > 0) {
		neu = calloc(set->count, sizeof(*neu));
		if (neu == NULL) {
			fprintf(stderr, "vrouter: EEM: out of memory; the "
				"applets were not changed\n");
			ly_set_free(set, NULL);
			return;
		}
	}
	for (i = 0; set != NULL && i < set->count; i++) {
		if (!applet_load(&neu[n], set->dnodes[i])) {
			fprintf(stderr, "vrouter: EEM: out of memory loading "
				"applet %s\n", neu[n].name);
			applet_free(&neu[n]);
			memset(&neu[n], 0, sizeof(neu[n]));
			continue;
		}
		n++;
	}
	ly_set_free(set, NULL);
	if (!load_environment(running, &env_names, &env_values, &nenv))
		fprintf(stderr, "vrouter: EEM: out of memory; applets run "
			"without the environment variables\n");

	pthread_mutex_lock(&eem->lock);
	old = eem->applets;
	nold = eem->napplets;
	old_names = eem->env_names;
	old_values = eem->env_values;
	old_nenv = eem->nenv;
	eem->env_names = env_names;
	eem->env_values = env_values;
	eem->nenv = nenv;
	for (i = 0; i < n; i++) {
		struct eem_applet *a = &neu[i];

		for (j = 0; j < nold; j++) {
			if (strcmp(old[j].name, a->name) != 0 ||
			    !same_event(&old[j], a))
				continue;
			memcpy(a->matches, old[j].matches, sizeof(a->matches));
			a->nmatches = old[j].nmatches;
			a->last_run = old[j].last_run;
			a->next_fire = old[j].next_fire;
			a->registered = old[j].registered;
			break;
		}
		if (j == nold && (a->type == EEM_EVENT_WATCHDOG ||
				  a->type == EEM_EVENT_COUNTDOWN))
			a->next_fire = now + (int64_t)a->time * 1000;
		any_syslog |= a->type == EEM_EVENT_SYSLOG && a->re_ok;
	}
	eem->applets = neu;
	eem->napplets = n;
	__atomic_store_n(&eem->any_syslog, any_syslog, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&eem->lock);

	for (j = 0; j < nold; j++)
		applet_free(&old[j]);
	free(old);
	free_strings(old_names, old_nenv);
	free_strings(old_values, old_nenv);
	if (write(eem->wake_fd, &one, sizeof(one)) < 0)
		fprintf(stderr, "vrouter: EEM: cannot wake the dispatcher: "
			"%s\n", strerror(errno));
}

/* ---- Triggering runs. */

static void
run_free(struct eem_run *r)
{
	if (r == NULL)
		return;
	free_strings(r->labels, r->nactions);
	free_strings(r->texts, r->nactions);
	free_strings(r->env_names, r->nenv);
	free_strings(r->env_values, r->nenv);
	free(r->syslog_msg);
	free(r);
}

/*
 * Queues a run of A for the runner; eem->lock held. Returns the job id,
 * or 0 when the queue is full or memory ran out.
 */
static unsigned
queue_run(struct eem *eem, struct eem_applet *a, const char *syslog_msg)
{
	struct eem_run *r = calloc(1, sizeof(*r));
	size_t i;

	if (r == NULL || eem->qlen == EEM_RUN_QUEUE)
		goto fail;
	snprintf(r->name, sizeof(r->name), "%s", a->name);
	r->maxrun = a->maxrun;
	r->type_string = type_string(a->type);
	r->pub_time = time(NULL);
	r->labels = calloc(a->nactions + 1, sizeof(char *));
	r->texts = calloc(a->nactions + 1, sizeof(char *));
	if (r->labels == NULL || r->texts == NULL)
		goto fail;
	for (i = 0; i < a->nactions; i++) {
		r->labels[i] = strdup(a->labels[i]);
		r->texts[i] = strdup(a->texts[i]);
		r->nactions = i + 1;
		if (r->labels[i] == NULL || r->texts[i] == NULL)
			goto fail;
	}
	if (syslog_msg != NULL && (r->syslog_msg = strdup(syslog_msg)) == NULL)
		goto fail;
	r->env_names = calloc(eem->nenv + 1, sizeof(char *));
	r->env_values = calloc(eem->nenv + 1, sizeof(char *));
	if (r->env_names == NULL || r->env_values == NULL)
		goto fail;
	for (i = 0; i < eem->nenv; i++) {
		r->env_names[i] = strdup(eem->env_names[i]);
		r->env_values[i] = strdup(eem->env_values[i]);
		r->nenv = i + 1;
		if (r->env_names[i] == NULL || r->env_values[i] == NULL)
			goto fail;
	}
	r->job_id = ++eem->next_job;
	eem->runs_queued++;
	eem->queue[(eem->qhead + eem->qlen++) % EEM_RUN_QUEUE] = r;
	a->last_run = eem_now_ms();
	pthread_cond_broadcast(&eem->cond);
	return r->job_id;
fail:
	eem->queue_drops++;
	run_free(r);
	return 0;
}

/* Counts a syslog match of A at NOW; eem->lock held. */
static void
syslog_match(struct eem *eem, struct eem_applet *a, const char *body,
	     int64_t now)
{
	unsigned i, kept = 0;

	if (a->ratelimit > 0 && a->last_run > 0 &&
	    now - a->last_run < (int64_t)a->ratelimit * 1000)
		return;
	if (a->period > 0) {
		for (i = 0; i < a->nmatches; i++)
			if (now - a->matches[i] < (int64_t)a->period * 1000)
				a->matches[kept++] = a->matches[i];
		a->nmatches = kept;
	}
	if (a->nmatches == EEM_MAX_OCCURS) {
		memmove(a->matches, a->matches + 1,
			(EEM_MAX_OCCURS - 1) * sizeof(a->matches[0]));
		a->nmatches--;
	}
	a->matches[a->nmatches++] = now;
	if (a->nmatches < a->occurs)
		return;
	a->nmatches = 0;
	queue_run(eem, a, body);
}

/*
 * Screens one logged line against the syslog applets. ORIGIN, the applet
 * whose actions logged the line, is not triggered by it: an applet that
 * matches `CONFIG_I` and configures something would otherwise run again
 * and again.
 */
static void
screen_line(struct eem *eem, const char *body, const char *origin)
{
	int64_t now = eem_now_ms();
	size_t i;

	pthread_mutex_lock(&eem->lock);
	eem->lines_screened++;
	for (i = 0; i < eem->napplets; i++) {
		struct eem_applet *a = &eem->applets[i];

		if (a->type == EEM_EVENT_SYSLOG && a->re_ok &&
		    strcmp(a->name, origin) != 0 &&
		    regexec(&a->re, body, 0, NULL, 0) == 0)
			syslog_match(eem, a, body, now);
	}
	pthread_mutex_unlock(&eem->lock);
}

/* Fires due timers; returns ms until the next one, or -1 for none. */
static int
fire_timers(struct eem *eem)
{
	int64_t now = eem_now_ms(), next = -1;
	size_t i;

	pthread_mutex_lock(&eem->lock);
	for (i = 0; i < eem->napplets; i++) {
		struct eem_applet *a = &eem->applets[i];

		if (a->next_fire == 0)
			continue;
		if (a->next_fire <= now) {
			queue_run(eem, a, NULL);
			if (a->type == EEM_EVENT_WATCHDOG)
				a->next_fire = now + (int64_t)a->time * 1000;
			else
				a->next_fire = 0;
		}
		if (a->next_fire != 0 &&
		    (next < 0 || a->next_fire - now < next))
			next = a->next_fire - now;
	}
	pthread_mutex_unlock(&eem->lock);
	return next > INT32_MAX ? INT32_MAX : (int)next;
}

/*
 * The logger hook: copies the body for the dispatcher, with the name of
 * the applet when the runner logged it. Lines of `action syslog` are not
 * screened again, as on IOS, so an applet cannot trigger itself through
 * its own message.
 */
static void
log_hook(void *ctx, enum log_severity sev, const char *body)
{
	struct eem *eem = ctx;
	struct line_msg m;

	(void)sev;
	if (!__atomic_load_n(&eem->any_syslog, __ATOMIC_RELAXED) ||
	    strncmp(body, "%HA_EM-", 7) == 0)
		return;
	snprintf(m.body, sizeof(m.body), "%s", body);
	m.origin[0] = '\0';
	if (pthread_equal(pthread_self(), eem->runner))
		snprintf(m.origin, sizeof(m.origin), "%s", eem->running);
	msgq_push(eem->lines, &m);
}

static void *
dispatcher_main(void *arg)
{
	struct eem *eem = arg;
	struct line_msg m;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = msgq_fd(eem->lines), .events = POLLIN },
			{ .fd = eem->wake_fd, .events = POLLIN },
		};
		uint64_t v;
		bool stop;

		poll(pfd, 2, fire_timers(eem));
		if (pfd[1].revents & POLLIN) {
			if (read(eem->wake_fd, &v, sizeof(v)) < 0 &&
			    errno != EAGAIN)
				break;
		}
		pthread_mutex_lock(&eem->lock);
		stop = eem->stopping;
		pthread_mutex_unlock(&eem->lock);
		if (stop)
			break;
		while (msgq_pop(eem->lines, &m))
			screen_line(eem, m.body, m.origin);
	}
	return NULL;
}

static void
record_history(struct eem *eem, const struct eem_run *r)
{
	struct eem_history *h = &eem->history[eem->nhistory % EEM_HISTORY];

	*h = (struct eem_history){
		.job_id = r->job_id,
		.time = r->pub_time,
		.type_string = r->type_string,
		.status = r->status,
	};
	snprintf(h->name, sizeof(h->name), "%s", r->name);
	eem->nhistory++;
}

static void *
runner_main(void *arg)
{
	struct eem *eem = arg;

	pthread_mutex_lock(&eem->lock);
	for (;;) {
		struct eem_run *r;

		while (!eem->stopping && eem->qlen == 0)
			pthread_cond_wait(&eem->cond, &eem->lock);
		if (eem->stopping)
			break;
		r = eem->queue[eem->qhead];
		eem->qhead = (eem->qhead + 1) % EEM_RUN_QUEUE;
		eem->qlen--;
		pthread_mutex_unlock(&eem->lock);

		snprintf(eem->running, sizeof(eem->running), "%s", r->name);
		r->status = eem_execute(eem, r);
		eem->running[0] = '\0';

		pthread_mutex_lock(&eem->lock);
		record_history(eem, r);
		eem->last_done_job = r->job_id;
		pthread_cond_broadcast(&eem->cond);
		run_free(r);
	}
	pthread_mutex_unlock(&eem->lock);
	return NULL;
}

/* ---- Life cycle. */

struct eem *
eem_create(const struct eem_cli_ops *ops, void *ctx, const char *flash_dir)
{
	struct eem *eem = calloc(1, sizeof(*eem));
	pthread_condattr_t attr;

	if (eem == NULL)
		return NULL;
	eem->ops = ops;
	eem->ops_ctx = ctx;
	eem->wake_fd = -1;
	if (flash_dir != NULL && (eem->flash_dir = strdup(flash_dir)) == NULL)
		goto fail;
	eem->lines = msgq_create(LINE_QUEUE, sizeof(struct line_msg));
	eem->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (eem->lines == NULL || eem->wake_fd < 0)
		goto fail;
	pthread_mutex_init(&eem->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&eem->cond, &attr);
	pthread_condattr_destroy(&attr);
	return eem;
fail:
	if (eem->lines != NULL)
		msgq_destroy(eem->lines);
	if (eem->wake_fd >= 0)
		close(eem->wake_fd);
	free(eem->flash_dir);
	free(eem);
	return NULL;
}

int
eem_start(struct eem *eem)
{
	int rc;

	rc = pthread_create(&eem->dispatcher, NULL, dispatcher_main, eem);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	rc = pthread_create(&eem->runner, NULL, runner_main, eem);
	if (rc != 0) {
		uint64_t one = 1;

		pthread_mutex_lock(&eem->lock);
		eem->stopping = true;
		pthread_mutex_unlock(&eem->lock);
		if (write(eem->wake_fd, &one, sizeof(one)) < 0)
			abort();
		pthread_join(eem->dispatcher, NULL);
		errno = rc;
		return -1;
	}
	eem->started = true;
	log_set_hook(log_hook, eem);
	return 0;
}

void
eem_destroy(struct eem *eem)
{
	struct line_msg m;
	uint64_t one = 1;
	size_t i;

	if (eem == NULL)
		return;
	if (eem->started) {
		log_set_hook(NULL, NULL);
		pthread_mutex_lock(&eem->lock);
		eem->stopping = true;
		pthread_cond_broadcast(&eem->cond);
		pthread_mutex_unlock(&eem->lock);
		if (write(eem->wake_fd, &one, sizeof(one)) < 0)
			fprintf(stderr, "vrouter: EEM: cannot wake the "
				"dispatcher: %s\n", strerror(errno));
		pthread_join(eem->dispatcher, NULL);
		pthread_join(eem->runner, NULL);
	}
	for (i = 0; i < eem->qlen; i++)
		run_free(eem->queue[(eem->qhead + i) % EEM_RUN_QUEUE]);
	for (i = 0; i < eem->napplets; i++)
		applet_free(&eem->applets[i]);
	free(eem->applets);
	free_strings(eem->env_names, eem->nenv);
	free_strings(eem->env_values, eem->nenv);
	while (msgq_pop(eem->lines, &m))
		;
	msgq_destroy(eem->lines);
	close(eem->wake_fd);
	pthread_cond_destroy(&eem->cond);
	pthread_mutex_destroy(&eem->lock);
	free(eem->flash_dir);
	free(eem);
}

int
eem_run(struct eem *eem, const char *name, char *err, size_t errlen)
{
	unsigned job = 0;
	int ret = -1;
	size_t i;

	pthread_mutex_lock(&eem->lock);
	for (i = 0; i < eem->napplets; i++)
		if (strcmp(eem->applets[i].name, name) == 0)
			break;
	if (i == eem->napplets) {
		snprintf(err, errlen, "EEM policy %s not registered", name);
		goto out;
	}
	if (eem->applets[i].type != EEM_EVENT_NONE) {
		snprintf(err, errlen, "EEM policy %s not registered with event "
			 "none Event Detector", name);
		goto out;
	}
	if (!eem->started) {
		snprintf(err, errlen, "EEM is not running");
		goto out;
	}
	if (pthread_equal(pthread_self(), eem->runner)) {
		snprintf(err, errlen, "an applet cannot run EEM policy %s",
			 name);
		goto out;
	}
	job = queue_run(eem, &eem->applets[i], NULL);
	if (job == 0) {
		snprintf(err, errlen, "EEM run queue is full; try again later");
		goto out;
	}
	while (!eem->stopping && eem->last_done_job < job)
		pthread_cond_wait(&eem->cond, &eem->lock);
	ret = 0;
out:
	pthread_mutex_unlock(&eem->lock);
	return ret;
}

/* ---- Show texts. */

static void
format_time(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm);
}

/*
 * NOTE: the layouts of both shows follow IOS 15 output as commonly
 * printed; the reference transcripts at hand do not include them.
 */
char *
eem_show_registered(struct eem *eem)
{
	char *out = NULL;
	size_t len = 0, i, k;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	pthread_mutex_lock(&eem->lock);
	if (eem->napplets > 0)
		fprintf(f, "No.  Class     Type    Event Type          Trap  "
			"Time Registered           Name\n");
	for (i = 0; i < eem->napplets; i++) {
		const struct eem_applet *a = &eem->applets[i];
		char when[40];

		format_time(when, sizeof(when), a->registered);
		fprintf(f, "%-4zu applet    user    %-19s Off   %-25s %s\n",
			i + 1, type_string(a->type), when, a->name);
		if (a->type == EEM_EVENT_SYSLOG)
			fprintf(f, " pattern {%s}\n", a->pattern);
		if (a->type == EEM_EVENT_WATCHDOG ||
		    a->type == EEM_EVENT_COUNTDOWN)
			fprintf(f, " time %u.000\n", a->time);
		if (a->occurs > 1)
			fprintf(f, " occurs %u\n", a->occurs);
		if (a->period > 0)
			fprintf(f, " period %u.000\n", a->period);
		if (a->ratelimit > 0)
			fprintf(f, " ratelimit %u.000\n", a->ratelimit);
		fprintf(f, " maxrun %u.000\n", a->maxrun);
		for (k = 0; k < a->nactions; k++)
			fprintf(f, " action %s %s\n", a->labels[k],
				a->texts[k]);
		fprintf(f, "\n");
	}
	pthread_mutex_unlock(&eem->lock);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *
eem_show_history(struct eem *eem)
{
	static const char *const status[] = {
		[EEM_SUCCESS] = "success",
		[EEM_MAXRUN] = "maxrun",
		[EEM_STOPPED] = "stopped",
	};
	char *out = NULL;
	size_t len = 0, i, first, n;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	pthread_mutex_lock(&eem->lock);
	n = eem->nhistory < EEM_HISTORY ? eem->nhistory : EEM_HISTORY;
	first = eem->nhistory - n;
	if (n > 0)
		fprintf(f, "No.  Job Id Status       Time of Event            "
			"Event Type          Name\n");
	for (i = 0; i < n; i++) {
		const struct eem_history *h =
			&eem->history[(first + i) % EEM_HISTORY];
		char when[40];

		format_time(when, sizeof(when), h->time);
		fprintf(f, "%-4zu %-6u %-12s %-24s %-19s applet: %s\n", i + 1,
			h->job_id, status[h->status], when, h->type_string,
			h->name);
	}
	pthread_mutex_unlock(&eem->lock);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * NOTE: the layout follows the queue table of IOS 15 `show event manager
 * statistics server` as commonly printed, with vrouter's two queues.
 */
char *
eem_show_statistics(struct eem *eem)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	pthread_mutex_lock(&eem->lock);
	fprintf(f, "EEM Queue Information\n\n"
		"                               Triggered      Dropped        "
		"Queue     Queue\n"
		"Client                         Events         Events         "
		"Size      Limit\n"
		"-----------------------------------------------------------"
		"---------------------\n");
	fprintf(f, "%-30s %-14llu %-14llu %-9s %u\n", "Syslog Event Queue",
		(unsigned long long)eem->lines_screened,
		(unsigned long long)msgq_drops(eem->lines), "-",
		LINE_QUEUE);
	fprintf(f, "%-30s %-14llu %-14llu %-9zu %u\n", "Applet Publish Queue",
		(unsigned long long)eem->runs_queued,
		(unsigned long long)eem->queue_drops, eem->qlen,
		EEM_RUN_QUEUE);
	pthread_mutex_unlock(&eem->lock);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
