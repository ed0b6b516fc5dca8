/* The configuration store: transactions, validation, subscribers. */
#include <criterion/criterion.h>
#include <libyang/libyang.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#define M "/vrouter-config:"

static struct cfg *cfg;

static void
setup(void)
{
	cfg = cfg_create(VR_YANG_DIR);
	cr_assert_not_null(cfg, "cannot load the YANG modules from %s",
			   VR_YANG_DIR);
}

static void
teardown(void)
{
	cfg_destroy(cfg);
}

TestSuite(store, .init = setup, .fini = teardown);

static void
set_commit(const char *xpath, const char *value)
{
	struct cfg_txn *txn = cfg_txn_begin(cfg);
	char err[256] = "";

	cr_assert_not_null(txn);
	cr_assert_eq(cfg_txn_set(txn, xpath, value), 0, "set %s: %s", xpath,
		     cfg_txn_error(txn));
	cr_assert_eq(cfg_txn_commit(txn, err, sizeof(err)), 0, "commit: %s",
		     err);
}

static const char *
running_value(const char *xpath)
{
	static char buf[256];
	const char *v = cfg_get_value(cfg_read_lock(cfg), xpath);

	snprintf(buf, sizeof(buf), "%s", v ? v : "(null)");
	cfg_read_unlock(cfg);
	return buf;
}

Test(store, empty_hostname_is_router)
{
	char name[64];

	cfg_hostname(cfg, name, sizeof(name));
	cr_assert_str_eq(name, "Router");
	cr_assert_eq(cfg_generation(cfg), 0);
}

Test(store, commit_sets_value_and_generation)
{
	char name[64];

	set_commit(M "system/hostname", "R1");
	cfg_hostname(cfg, name, sizeof(name));
	cr_assert_str_eq(name, "R1");
	cr_assert_eq(cfg_generation(cfg), 1);
	set_commit(M "interfaces/interface[name='GigabitEthernet1']/description",
		   "uplink");
	cr_assert_str_eq(running_value(M "system/hostname"), "R1");
	cr_assert_str_eq(running_value(
		M "interfaces/interface[name='GigabitEthernet1']/description"),
		"uplink");
	cr_assert_eq(cfg_generation(cfg), 2);
}

Test(store, abort_leaves_running_unchanged)
{
	struct cfg_txn *txn;

	set_commit(M "system/hostname", "R1");
	txn = cfg_txn_begin(cfg);
	cr_assert_eq(cfg_txn_set(txn, M "system/hostname", "R2"), 0);
	cr_assert_str_eq(cfg_get_value(cfg_txn_tree(txn), M "system/hostname"),
			 "R2");
	cfg_txn_abort(txn);
	cr_assert_str_eq(running_value(M "system/hostname"), "R1");
	cr_assert_eq(cfg_generation(cfg), 1);
}

Test(store, invalid_value_rejected_by_set)
{
	struct cfg_txn *txn = cfg_txn_begin(cfg);

	cr_assert_neq(cfg_txn_set(txn, M "crypto/isakmp/policy[priority='10']"
				  "/lifetime", "5"), 0);
	cr_assert_neq(strlen(cfg_txn_error(txn)), 0);
	cfg_txn_abort(txn);
}

Test(store, failed_validation_changes_nothing)
{
	struct cfg_txn *txn = cfg_txn_begin(cfg);
	char err[256] = "";

	/* An ipv4 container without its mandatory mask. */
	cr_assert_eq(cfg_txn_set(txn, M "interfaces/interface"
				 "[name='Loopback0']/ipv4/address", "10.0.0.1"),
		     0);
	cr_assert_neq(cfg_txn_commit(txn, err, sizeof(err)), 0);
	cr_assert_neq(strlen(err), 0);
	cr_assert_str_eq(running_value(M "interfaces/interface"
				       "[name='Loopback0']/ipv4/address"),
			 "(null)");
	cr_assert_eq(cfg_generation(cfg), 0);
}

Test(store, delete_removes_subtree)
{
	struct cfg_txn *txn;
	char err[256];

	set_commit(M "crypto/isakmp/policy[priority='10']/hash", "sha256");
	set_commit(M "crypto/isakmp/policy[priority='20']/hash", "md5");
	txn = cfg_txn_begin(cfg);
	cr_assert_eq(cfg_txn_delete(txn, M "crypto/isakmp/policy"
				    "[priority='10']"), 0);
	cr_assert_eq(cfg_txn_delete(txn, M "crypto/isakmp/policy"
				    "[priority='99']"), 0);
	cr_assert_eq(cfg_txn_commit(txn, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(running_value(M "crypto/isakmp/policy[priority='10']"
				       "/hash"), "(null)");
	cr_assert_str_eq(running_value(M "crypto/isakmp/policy[priority='20']"
				       "/hash"), "md5");
}

struct seen {
	int calls;
	char hostname[64];
};

static void
record(void *ctx, const struct lyd_node *running)
{
	struct seen *s = ctx;
	const char *v = cfg_get_value(running, M "system/hostname");

	s->calls++;
	snprintf(s->hostname, sizeof(s->hostname), "%s", v ? v : "");
}

Test(store, subscriber_called_now_and_on_commit)
{
	struct seen s = { 0 };
	struct cfg_txn *txn;
	char err[256];

	set_commit(M "system/hostname", "R1");
	cr_assert_eq(cfg_subscribe(cfg, record, &s), 0);
	cr_assert_eq(s.calls, 1);
	cr_assert_str_eq(s.hostname, "R1");
	set_commit(M "system/hostname", "R2");
	cr_assert_eq(s.calls, 2);
	cr_assert_str_eq(s.hostname, "R2");

	/* A failed commit does not notify. */
	txn = cfg_txn_begin(cfg);
	cfg_txn_set(txn, M "interfaces/interface[name='Loopback0']/ipv4/"
		    "address", "10.0.0.1");
	cr_assert_neq(cfg_txn_commit(txn, err, sizeof(err)), 0);
	cr_assert_eq(s.calls, 2);
}

Test(store, render_empty_config)
{
	char *text = cfg_render_ios(cfg);

	cr_assert_str_eq(text, "!\nhostname Router\n!\nend\n");
	free(text);
}

#define WRITER_COMMITS 150

/* Commits WRITER_COMMITS static routes of its own, one per transaction. */
static void *
route_writer(void *arg)
{
	unsigned id = *(unsigned *)arg;
	char xpath[256], err[256];

	for (unsigned i = 0; i < WRITER_COMMITS; i++) {
		struct cfg_txn *txn = cfg_txn_begin(cfg);

		if (txn == NULL)
			return (void *)1;
		snprintf(xpath, sizeof(xpath),
			 M "routing/static-route[prefix='10.%u.%u.0']"
			 "[mask='255.255.255.0'][next-hop='192.0.2.1']",
			 id, i);
		if (cfg_txn_set(txn, xpath, NULL) < 0 ||
		    cfg_txn_commit(txn, err, sizeof(err)) < 0)
			return (void *)1;
	}
	return NULL;
}

Test(store, concurrent_commits_keep_every_edit)
{
	unsigned ids[4] = { 1, 2, 3, 4 };
	pthread_t threads[4];
	struct ly_set *set = NULL;
	void *failed;

	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&threads[i], NULL, route_writer,
					    &ids[i]), 0);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(pthread_join(threads[i], &failed), 0);
		cr_assert_null(failed, "writer %d failed a commit", i);
	}

	cr_assert_eq(lyd_find_xpath(cfg_read_lock(cfg),
				    M "routing/static-route", &set),
		     LY_SUCCESS);
	cr_assert_eq(set->count, 4 * WRITER_COMMITS,
		     "%u routes in the running config, expected %u",
		     set->count, 4 * WRITER_COMMITS);
	ly_set_free(set, NULL);
	cfg_read_unlock(cfg);
	cr_assert_eq(cfg_generation(cfg), 4 * WRITER_COMMITS);
}

Test(store, nested_begin_fails_instead_of_hanging)
{
	struct cfg_txn *outer = cfg_txn_begin(cfg);

	cr_assert_not_null(outer);
	cr_assert_null(cfg_txn_begin(cfg),
		       "a second open transaction in one thread was allowed");
	cfg_txn_abort(outer);

	outer = cfg_txn_begin(cfg);
	cr_assert_not_null(outer, "the store stayed locked after an abort");
	cfg_txn_abort(outer);
}
