/*
 * The configuration store, on libyang2. The running tree is replaced as a
 * whole on commit: a transaction edits a private copy (lyd_dup_siblings),
 * the commit validates that copy and swaps it in, so readers never see a
 * half-applied change.
 */
#include "core/config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#define CFG_MODULE "vrouter-config"
#define CFG_ACCESS_MODULE "vrouter-access"
#define CFG_ERR_MAX 256
#define CFG_PATH_MAX 1024

struct cfg_sub {
	cfg_apply_fn fn;
	void *ctx;
	struct cfg_sub *next;
};

struct cfg {
	struct ly_ctx *ctx;
	/* Name paths of the secret leaves (cfg_secret_paths()). */
	char **secret_paths;
	size_t nsecret_paths;
	struct lyd_node *running;	/* NULL when the config is empty */
	unsigned long generation;
	struct cfg_sub *subs;
	/*
	 * Writers (commits, subscriptions) take it for writing; readers take
	 * it for reading. Subscribers run with the write lock held.
	 */
	pthread_rwlock_t lock;
	/*
	 * Held by an open transaction from cfg_txn_begin() to its commit or
	 * abort, and by an open batch, so that transactions apply one after
	 * another: one that copied the running tree before another's commit
	 * would otherwise swap in a tree without that commit's edits.
	 * Error-checking, so a nested begin in one thread fails, not hangs.
	 */
	pthread_mutex_t commit_lock;

	/* Open batch (cfg_batch_begin); set and read under LOCK. */
	bool batching;
	bool batch_tainted;
	pthread_t batch_owner;
	struct lyd_node *batch;		/* the batch's candidate tree */
	/*
	 * The parent node a batch edited last and its path, so that the
	 * next command on the same node (the lines of one sub-mode) resolves
	 * a short relative path; LAST_NODE is NULL when LAST_PATH is known
	 * to be absent. Both are cleared by deletes, which may free nodes.
	 */
	struct lyd_node *last_node;
	char last_path[CFG_PATH_MAX];
	/* LAST_PATH was looked up and is not in the tree. */
	bool last_absent;
	/*
	 * The parent of LAST_PATH's node and its path, so that the next
	 * entry of the same list (crypto map VPN 1, VPN 2, ...) is looked up
	 * and created by its last step alone. UP_NODE is NULL when UP_PATH
	 * is absent or not yet looked up; cleared with LAST_NODE.
	 */
	struct lyd_node *up_node;
	char up_path[CFG_PATH_MAX];
	size_t up_len;
};

struct cfg_txn {
	struct cfg *cfg;
	struct lyd_node *tree;
	bool batched;		/* edits the open batch's tree in place */
	bool holds_commit_lock;
	unsigned edits;		/* cfg_txn_set/delete calls so far */
	char err[CFG_ERR_MAX];
};

/* Copies libyang's last error for CTX into BUF, without the trailing dot. */
static void
copy_ly_error(const struct ly_ctx *ctx, char *buf, size_t len)
{
	const struct ly_err_item *e = ly_err_last(ctx);
	const char *msg = e && e->msg ? e->msg : "invalid configuration";
	size_t n;

	snprintf(buf, len, "%s", msg);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
}

struct cfg *
cfg_create(const char *yang_dir)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));
	pthread_mutexattr_t attr;

	if (!cfg)
		return NULL;
	/* Errors are read with ly_err_last() and reported by the caller. */
	ly_log_options(LY_LOSTORE_LAST);
	if (ly_ctx_new(yang_dir, LY_CTX_NO_YANGLIBRARY, &cfg->ctx) != LY_SUCCESS)
		goto fail;
	if (!ly_ctx_load_module(cfg->ctx, CFG_MODULE, NULL, NULL)) {
		fprintf(stderr, "vrouter: failed to load YANG module %s from %s\n",
			CFG_MODULE, yang_dir);
		goto fail;
	}
	/* Users, secrets and lines live in a module of their own. */
	if (!ly_ctx_load_module(cfg->ctx, CFG_ACCESS_MODULE, NULL, NULL)) {
		fprintf(stderr, "vrouter: failed to load YANG module %s from %s\n",
			CFG_ACCESS_MODULE, yang_dir);
		goto fail;
	}
	if (cfg_secret_paths(cfg->ctx, &cfg->secret_paths,
			     &cfg->nsecret_paths) < 0)
		goto fail;
	pthread_rwlock_init(&cfg->lock, NULL);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&cfg->commit_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return cfg;
fail:
	ly_ctx_destroy(cfg->ctx);
	free(cfg);
	return NULL;
}

void
cfg_destroy(struct cfg *cfg)
{
	struct cfg_sub *s, *next;

	if (!cfg)
		return;
	for (s = cfg->subs; s; s = next) {
		next = s->next;
		free(s);
	}
	lyd_free_all(cfg->running);
	cfg_secret_paths_free(cfg->secret_paths, cfg->nsecret_paths);
	ly_ctx_destroy(cfg->ctx);
	pthread_rwlock_destroy(&cfg->lock);
	pthread_mutex_destroy(&cfg->commit_lock);
	free(cfg);
}

struct ly_ctx *
cfg_ly_ctx(struct cfg *cfg)
{
	return cfg->ctx;
}

struct cfg_txn *
cfg_txn_begin(struct cfg *cfg)
{
	struct cfg_txn *txn = calloc(1, sizeof(*txn));

	if (!txn)
		return NULL;
	txn->cfg = cfg;
	pthread_rwlock_rdlock(&cfg->lock);
	if (cfg->batching && pthread_equal(cfg->batch_owner, pthread_self())) {
		txn->batched = true;
		txn->tree = cfg->batch;
		pthread_rwlock_unlock(&cfg->lock);
		return txn;
	}
	pthread_rwlock_unlock(&cfg->lock);

	/* Taken before the read lock, in the order cfg_batch_begin() uses. */
	if (pthread_mutex_lock(&cfg->commit_lock) != 0) {
		free(txn);
		return NULL;
	}
	txn->holds_commit_lock = true;
	pthread_rwlock_rdlock(&cfg->lock);
	if (cfg->running &&
	    lyd_dup_siblings(cfg->running, NULL, LYD_DUP_RECURSIVE,
			     &txn->tree) != LY_SUCCESS) {
		pthread_rwlock_unlock(&cfg->lock);
		pthread_mutex_unlock(&cfg->commit_lock);
		free(txn);
		return NULL;
	}
	pthread_rwlock_unlock(&cfg->lock);
	return txn;
}

/* Offset of the last '/' of XPATH outside quoted predicate values. */
static size_t
last_step(const char *xpath)
{
	size_t i, last = 0;
	char quote = 0;

	for (i = 0; xpath[i]; i++) {
		if (quote) {
			if (xpath[i] == quote)
				quote = 0;
		} else if (xpath[i] == '\'' || xpath[i] == '"') {
			quote = xpath[i];
		} else if (xpath[i] == '/') {
			last = i;
		}
	}
	return last;
}

/* Forgets the nodes a batch found last, because a delete may free them. */
static void
forget_parents(struct cfg *cfg)
{
	cfg->last_node = NULL;
	cfg->last_path[0] = '\0';
	cfg->last_absent = false;
	cfg->up_node = NULL;
	cfg->up_path[0] = '\0';
	cfg->up_len = 0;
}

/*
 * Looks up PATH, the parent path a batch edits, through the parent of
 * PATH's last step when that is the one looked up last.
 */
static LY_ERR
find_parent(struct cfg_txn *txn, const char *path, struct lyd_node **node)
{
	struct cfg *cfg = txn->cfg;
	size_t split = last_step(path);
	struct lyd_node *up = NULL;

	if (split == 0) {
		cfg->up_node = NULL;
		cfg->up_path[0] = '\0';
		cfg->up_len = 0;
		return lyd_find_path(txn->tree, path, 0, node);
	}
	if (cfg->up_len != split || strncmp(cfg->up_path, path, split)) {
		memcpy(cfg->up_path, path, split);
		cfg->up_path[split] = '\0';
		cfg->up_len = split;
		cfg->up_node = NULL;
		if (lyd_find_path(txn->tree, cfg->up_path, 0, &up) ==
		    LY_SUCCESS)
			cfg->up_node = up;
	}
	if (!cfg->up_node)
		return lyd_find_path(txn->tree, path, 0, node);
	return lyd_find_path(cfg->up_node, path + split + 1, 0, node);
}

/*
 * In a batch, returns the existing parent node of the last step of XPATH
 * and points *REST at that step, or returns NULL. The parent found last
 * is kept, so the lines of one sub-mode resolve it once. LAST_ABSENT
 * distinguishes a parent known to be absent from one not looked up.
 */
static struct lyd_node *
batch_parent(struct cfg_txn *txn, const char *xpath, const char **rest)
{
	struct cfg *cfg = txn->cfg;
	size_t split = last_step(xpath);
	struct lyd_node *node = NULL;
	LY_ERR rc;

	if (!txn->batched || !txn->tree || split == 0 ||
	    split >= sizeof(cfg->last_path) || strchr(xpath + split, '['))
		return NULL;
	if (strncmp(cfg->last_path, xpath, split) ||
	    cfg->last_path[split] != '\0') {
		memcpy(cfg->last_path, xpath, split);
		cfg->last_path[split] = '\0';
		cfg->last_node = NULL;
		rc = find_parent(txn, cfg->last_path, &node);
		if (rc == LY_SUCCESS)
			cfg->last_node = node;
		cfg->last_absent = rc == LY_ENOTFOUND;
	}
	*rest = xpath + split + 1;
	return cfg->last_node;
}

/*
 * Finds child NAME of PARENT by its schema node when NAME is the bare name
 * of a leaf or container of PARENT's module, without parsing a path.
 * Returns LY_EINVAL when NAME is anything else.
 */
static LY_ERR
find_child(const struct lyd_node *parent, const char *name,
	   struct lyd_node **found)
{
	const struct lysc_node *snode;

	if (!parent->schema || strpbrk(name, ":/[.*"))
		return LY_EINVAL;
	snode = lys_find_child(parent->schema, parent->schema->module, name,
			       0, LYS_LEAF | LYS_CONTAINER, 0);
	if (!snode)
		return LY_EINVAL;
	return lyd_find_sibling_val(lyd_child(parent), snode, NULL, 0, found);
}

struct lyd_node *
cfg_txn_find(struct cfg_txn *txn, const char *xpath)
{
	struct lyd_node *parent, *found = NULL;
	const char *rest = NULL;
	LY_ERR rc;

	parent = batch_parent(txn, xpath, &rest);
	if (parent) {
		rc = find_child(parent, rest, &found);
		if (rc == LY_EINVAL)
			rc = lyd_find_path(parent, rest, 0, &found);
		if (rc == LY_SUCCESS)
			return found;
		if (rc == LY_ENOTFOUND || rc == LY_EINCOMPLETE)
			return NULL;
	} else if (rest && txn->cfg->last_absent) {
		return NULL;	/* nothing below an absent parent */
	}
	/* Not a plain data path (a leaf-list without its value). */
	return cfg_find(txn->tree, xpath);
}

/* True when the last step of XPATH names a node that a secret leaf names. */
static bool
names_secret(const struct cfg *cfg, const char *xpath)
{
	const char *name = xpath + last_step(xpath) + 1, *colon;
	size_t len = strcspn(name, "[");

	colon = memchr(name, ':', len);
	if (colon) {
		len -= (size_t)(colon + 1 - name);
		name = colon + 1;
	}
	for (size_t i = 0; i < cfg->nsecret_paths; i++) {
		const char *slash = strrchr(cfg->secret_paths[i], '/');
		const char *leaf = slash ? slash + 1 : cfg->secret_paths[i];

		if (strlen(leaf) == len && !strncmp(leaf, name, len))
			return true;
	}
	return false;
}

/*
 * Returns the schema node of the data path XPATH when it is a secret
 * leaf, or NULL: the path without its predicates is a schema path.
 */
static const struct lysc_node *
secret_schema(const struct cfg *cfg, const char *xpath)
{
	const struct lysc_node *snode;
	char spath[CFG_PATH_MAX];
	size_t i, n = 0;
	char quote = 0;
	int depth = 0;

	/* Most paths end in a name no secret leaf has: no lookup. */
	if (xpath[0] != '/' || !names_secret(cfg, xpath))
		return NULL;
	for (i = 0; xpath[i] && n + 1 < sizeof(spath); i++) {
		char c = xpath[i];

		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (depth && (c == '\'' || c == '"')) {
			quote = c;
		} else if (c == '[') {
			depth++;
		} else if (c == ']') {
			depth--;
		} else if (!depth) {
			spath[n++] = c;
		}
	}
	if (xpath[i])
		return NULL;
	spath[n] = '\0';
	snode = lys_find_path(cfg->ctx, NULL, spath, 0);
	return cfg_schema_is_secret(snode) ? snode : NULL;
}

/* Creates or replaces the node at XPATH with VALUE as it is. */
static int
set_value(struct cfg_txn *txn, const char *xpath, const char *value)
{
	struct lyd_node *first = NULL, *last = NULL, *parent, *up = NULL;
	struct cfg *cfg = txn->cfg;
	const char *rest = NULL;
	LY_ERR rc;

	txn->edits++;
	parent = batch_parent(txn, xpath, &rest);
	if (parent) {
		rc = lyd_new_path(parent, NULL, rest, value,
				  LYD_NEW_PATH_UPDATE, &first);
	} else {
		/* An absent parent is created below its own parent if known. */
		if (rest && cfg->last_absent)
			up = cfg->up_node;
		rc = lyd_new_path2(up ? up : txn->tree, cfg->ctx,
				   up ? xpath + cfg->up_len + 1 : xpath, value,
				   0, LYD_ANYDATA_STRING, LYD_NEW_PATH_UPDATE,
				   &first, &last);
		/* The parent that was absent exists now. */
		if (rc == LY_SUCCESS && rest && last && lyd_parent(last)) {
			cfg->last_node = lyd_parent(last);
			cfg->last_absent = false;
			/* UP_PATH, when kept, is LAST_PATH's parent. */
			if (cfg->up_len && !cfg->up_node)
				cfg->up_node = lyd_parent(cfg->last_node);
		}
	}
	if (rc != LY_SUCCESS) {
		copy_ly_error(txn->cfg->ctx, txn->err, sizeof(txn->err));
		return -1;
	}
	/* The first node of a new tree is the tree. */
	if (!txn->tree && first)
		txn->tree = first;
	else if (txn->tree)
		txn->tree = lyd_first_sibling(txn->tree);
	return 0;
}

/*
 * Sets the secret leaf SNODE at XPATH to the sealed form of PLAIN, so
 * that libyang never stores the plaintext.
 */
static int
set_secret(struct cfg_txn *txn, const struct lysc_node *snode,
	   const char *xpath, const char *plain)
{
	char *sealed;
	int ret;

	if (cfg_secret_check(snode, plain, txn->err, sizeof(txn->err)) < 0)
		return -1;
	sealed = cfg_secret_seal(plain, strlen(plain));
	if (!sealed) {
		snprintf(txn->err, sizeof(txn->err),
			 "Cannot seal the value of %s", snode->name);
		return -1;
	}
	ret = set_value(txn, xpath, sealed);
	free(sealed);
	return ret;
}

int
cfg_txn_set(struct cfg_txn *txn, const char *xpath, const char *value)
{
	const struct lysc_node *secret;

	/* A secret is plaintext here, even when it looks sealed. */
	if (value && (secret = secret_schema(txn->cfg, xpath)) != NULL)
		return set_secret(txn, secret, xpath, value);
	return set_value(txn, xpath, value);
}

int
cfg_txn_delete(struct cfg_txn *txn, const char *xpath)
{
	struct ly_set *set = NULL;
	uint32_t i;

	if (!txn->tree)
		return 0;
	txn->edits++;
	forget_parents(txn->cfg);
	if (lyd_find_xpath(txn->tree, xpath, &set) != LY_SUCCESS) {
		copy_ly_error(txn->cfg->ctx, txn->err, sizeof(txn->err));
		return -1;
	}
	for (i = 0; i < set->count; i++) {
		struct lyd_node *node = set->dnodes[i];

		if (node == txn->tree)
			txn->tree = txn->tree->next;
		lyd_free_tree(node);
	}
	ly_set_free(set, NULL);
	if (txn->tree)
		txn->tree = lyd_first_sibling(txn->tree);
	return 0;
}

struct lyd_node *
cfg_txn_tree(struct cfg_txn *txn)
{
	return txn->tree;
}

const char *
cfg_txn_error(const struct cfg_txn *txn)
{
	return txn->err;
}

void
cfg_txn_abort(struct cfg_txn *txn)
{
	if (!txn)
		return;
	if (txn->batched) {
		struct cfg *cfg = txn->cfg;

		pthread_rwlock_wrlock(&cfg->lock);
		cfg->batch = txn->tree;
		if (txn->edits)
			cfg->batch_tainted = true;
		pthread_rwlock_unlock(&cfg->lock);
		free(txn);
		return;
	}
	lyd_free_all(txn->tree);
	if (txn->holds_commit_lock)
		pthread_mutex_unlock(&txn->cfg->commit_lock);
	free(txn);
}

static void
notify(struct cfg *cfg)
{
	struct cfg_sub *s;

	for (s = cfg->subs; s; s = s->next)
		s->fn(s->ctx, cfg->running);
}

int
cfg_txn_commit(struct cfg_txn *txn, char *err, size_t errlen)
{
	struct cfg *cfg = txn->cfg;
	struct lyd_node *old;
	int ret = -1;

	if (txn->batched) {
		/* Validated once, by cfg_batch_end(). */
		pthread_rwlock_wrlock(&cfg->lock);
		cfg->batch = txn->tree;
		pthread_rwlock_unlock(&cfg->lock);
		free(txn);
		return 0;
	}
	/* The commit lock is held since cfg_txn_begin(); abort releases it. */
	if (cfg_secret_seal_tree(txn->tree, false) < 0) {
		snprintf(txn->err, sizeof(txn->err), "Cannot seal a secret");
		if (err && errlen)
			snprintf(err, errlen, "%s", txn->err);
		goto out;
	}
	if (txn->tree &&
	    lyd_validate_all(&txn->tree, cfg->ctx, LYD_VALIDATE_NO_STATE,
			     NULL) != LY_SUCCESS) {
		copy_ly_error(cfg->ctx, txn->err, sizeof(txn->err));
		if (err && errlen)
			snprintf(err, errlen, "%s", txn->err);
		goto out;
	}

	pthread_rwlock_wrlock(&cfg->lock);
	old = cfg->running;
	cfg->running = txn->tree;
	txn->tree = old;
	cfg->generation++;
	notify(cfg);
	pthread_rwlock_unlock(&cfg->lock);
	ret = 0;
out:
	cfg_txn_abort(txn);
	return ret;
}

int
cfg_batch_begin(struct cfg *cfg)
{
	struct lyd_node *copy = NULL;

	pthread_mutex_lock(&cfg->commit_lock);
	pthread_rwlock_wrlock(&cfg->lock);
	if (cfg->running &&
	    lyd_dup_siblings(cfg->running, NULL, LYD_DUP_RECURSIVE,
			     &copy) != LY_SUCCESS) {
		pthread_rwlock_unlock(&cfg->lock);
		pthread_mutex_unlock(&cfg->commit_lock);
		return -1;
	}
	cfg->batch = copy;
	cfg->batching = true;
	cfg->batch_tainted = false;
	cfg->batch_owner = pthread_self();
	pthread_rwlock_unlock(&cfg->lock);
	return 0;
}

bool
cfg_batch_tainted(struct cfg *cfg)
{
	bool tainted;

	pthread_rwlock_rdlock(&cfg->lock);
	tainted = cfg->batch_tainted;
	pthread_rwlock_unlock(&cfg->lock);
	return tainted;
}

int
cfg_batch_end(struct cfg *cfg, bool commit, char *err, size_t errlen)
{
	struct lyd_node *tree;
	int ret = 0;

	pthread_rwlock_wrlock(&cfg->lock);
	tree = cfg->batch;
	cfg->batch = NULL;
	cfg->batching = false;
	forget_parents(cfg);
	pthread_rwlock_unlock(&cfg->lock);

	if (commit && cfg_secret_seal_tree(tree, false) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "Cannot seal a secret");
		commit = false;
		ret = -1;
	}
	if (commit && tree &&
	    lyd_validate_all(&tree, cfg->ctx, LYD_VALIDATE_NO_STATE,
			     NULL) != LY_SUCCESS) {
		char msg[CFG_ERR_MAX];

		copy_ly_error(cfg->ctx, msg, sizeof(msg));
		if (err && errlen)
			snprintf(err, errlen, "%s", msg);
		commit = false;
		ret = -1;
	}
	if (commit) {
		pthread_rwlock_wrlock(&cfg->lock);
		lyd_free_all(cfg->running);
		cfg->running = tree;
		tree = NULL;
		cfg->generation++;
		notify(cfg);
		pthread_rwlock_unlock(&cfg->lock);
	}
	lyd_free_all(tree);
	pthread_mutex_unlock(&cfg->commit_lock);
	return ret;
}

const struct lyd_node *
cfg_read_lock(struct cfg *cfg)
{
	pthread_rwlock_rdlock(&cfg->lock);
	return cfg->running;
}

void
cfg_read_unlock(struct cfg *cfg)
{
	pthread_rwlock_unlock(&cfg->lock);
}

struct lyd_node *
cfg_find(const struct lyd_node *tree, const char *xpath)
{
	struct lyd_node *found = NULL;
	struct ly_set *set = NULL;
	LY_ERR rc;

	if (!tree)
		return NULL;
	/*
	 * lyd_find_path() finds list entries by hash; it refuses paths that
	 * are not plain data paths (a leaf-list without its value, a
	 * predicate on a non-key), which XPath then evaluates.
	 */
	rc = lyd_find_path(tree, xpath, 0, &found);
	if (rc == LY_SUCCESS)
		return found;
	if (rc == LY_ENOTFOUND || rc == LY_EINCOMPLETE)
		return NULL;
	if (lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		return NULL;
	found = set->count ? set->dnodes[0] : NULL;
	ly_set_free(set, NULL);
	return found;
}

/* XPath search, so that a leaf-list without a predicate is found too. */
const char *
cfg_get_value(const struct lyd_node *tree, const char *xpath)
{
	const struct lyd_node *node = cfg_find(tree, xpath);

	if (node && (node->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST)))
		return lyd_get_value(node);
	return NULL;
}

int
cfg_subscribe(struct cfg *cfg, cfg_apply_fn fn, void *ctx)
{
	struct cfg_sub *s = calloc(1, sizeof(*s)), **tail;

	if (!s)
		return -1;
	s->fn = fn;
	s->ctx = ctx;
	pthread_rwlock_wrlock(&cfg->lock);
	for (tail = &cfg->subs; *tail; tail = &(*tail)->next)
		;
	*tail = s;
	fn(ctx, cfg->running);
	pthread_rwlock_unlock(&cfg->lock);
	return 0;
}

char *
cfg_export(struct cfg *cfg, enum cfg_format format)
{
	char *text = NULL, *clear;
	LY_ERR rc;

	pthread_rwlock_rdlock(&cfg->lock);
	rc = lyd_print_mem(&text, cfg->running,
			   format == CFG_FORMAT_JSON ? LYD_JSON : LYD_XML,
			   LYD_PRINT_WITHSIBLINGS);
	pthread_rwlock_unlock(&cfg->lock);
	if (rc != LY_SUCCESS)
		return NULL;
	if (!text)
		return strdup("");
	/* libyang printed the sealed forms; only this copy is clear. */
	clear = cfg_secret_reveal(text, format == CFG_FORMAT_JSON ?
				  CFG_REVEAL_JSON : CFG_REVEAL_XML);
	free(text);
	return clear;
}

int
cfg_detect_format(const char *text)
{
	/* A UTF-8 byte order mark may precede either. */
	if (!strncmp(text, "\xEF\xBB\xBF", 3))
		text += 3;
	text += strspn(text, " \t\r\n");
	if (*text == '{')
		return CFG_FORMAT_JSON;
	if (*text == '<')
		return CFG_FORMAT_XML;
	return -1;
}

/* Commits PARSED (consumed), merged into or replacing the running tree. */
static int
commit_parsed(struct cfg *cfg, struct lyd_node *parsed, bool replace,
	      char *err, size_t errlen)
{
	struct cfg_txn *txn;

	txn = cfg_txn_begin(cfg);
	if (!txn) {
		lyd_free_all(parsed);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (replace) {
		lyd_free_all(txn->tree);
		txn->tree = parsed;
		forget_parents(cfg);
	} else if (parsed) {
		if (lyd_merge_siblings(&txn->tree, parsed,
				       LYD_MERGE_DESTRUCT) != LY_SUCCESS) {
			copy_ly_error(cfg->ctx, err, errlen);
			cfg_txn_abort(txn);
			return -1;
		}
	}
	return cfg_txn_commit(txn, err, errlen);
}

int
cfg_import(struct cfg *cfg, const char *text, enum cfg_format format,
	   bool replace, char *err, size_t errlen)
{
	struct lyd_node *parsed = NULL;
	char *sealed = cfg_secret_seal_text(cfg->ctx, text, format);
	bool scanned = sealed != NULL;
	LY_ERR rc;

	/*
	 * NOTE: when the text could not be scanned, libyang's parser stores
	 * any plaintext it holds in its dictionary, and frees it there
	 * without clearing it.
	 */
	rc = lyd_parse_data_mem(cfg->ctx, sealed ? sealed : text,
				format == CFG_FORMAT_JSON ? LYD_JSON : LYD_XML,
				LYD_PARSE_STRICT | LYD_PARSE_ONLY, 0, &parsed);
	cfg_text_free(sealed);
	if (rc != LY_SUCCESS) {
		copy_ly_error(cfg->ctx, err, errlen);
		return -1;
	}
	/* Without the scan, every secret value is plaintext. */
	if (cfg_secret_seal_tree(parsed, !scanned) < 0) {
		lyd_free_all(parsed);
		snprintf(err, errlen, "Cannot seal a secret");
		return -1;
	}
	return commit_parsed(cfg, parsed, replace, err, errlen);
}

int
cfg_replace_from(struct cfg *cfg, struct cfg *from, char *err,
		 size_t errlen)
{
	struct lyd_node *copy = NULL;
	LY_ERR rc = LY_SUCCESS;

	/* Values are stored again in CFG's context, still sealed. */
	pthread_rwlock_rdlock(&from->lock);
	if (from->running)
		rc = lyd_dup_siblings_to_ctx(from->running, cfg->ctx, NULL,
					     LYD_DUP_RECURSIVE, &copy);
	pthread_rwlock_unlock(&from->lock);
	if (rc != LY_SUCCESS) {
		copy_ly_error(cfg->ctx, err, errlen);
		return -1;
	}
	return commit_parsed(cfg, copy, true, err, errlen);
}


void
cfg_hostname(struct cfg *cfg, char *buf, size_t len)
{
	const char *name;

	pthread_rwlock_rdlock(&cfg->lock);
	name = cfg_get_value(cfg->running, "/" CFG_MODULE ":system/hostname");
	snprintf(buf, len, "%s", name ? name : "Router");
	pthread_rwlock_unlock(&cfg->lock);
}

unsigned long
cfg_generation(struct cfg *cfg)
{
	unsigned long gen;

	pthread_rwlock_rdlock(&cfg->lock);
	gen = cfg->generation;
	pthread_rwlock_unlock(&cfg->lock);
	return gen;
}

/* The number in leaf KEY of NODE, or 0 when it has none. */
static unsigned long
key_number(const struct lyd_node *node, const char *key)
{
	struct lyd_node *leaf = NULL;

	if (lyd_find_path(node, key, 0, &leaf) != LY_SUCCESS)
		return 0;
	return strtoul(lyd_get_value(leaf), NULL, 10);
}

void
cfg_sort_by_number(struct ly_set *set, const char *key)
{
	struct lyd_node *node;
	unsigned long number;
	uint32_t i, j;

	/* An insertion sort: the lists are short and mostly in order. */
	for (i = 1; set != NULL && i < set->count; i++) {
		node = set->dnodes[i];
		number = key_number(node, key);
		for (j = i; j > 0 && key_number(set->dnodes[j - 1], key) >
		     number; j--)
			set->dnodes[j] = set->dnodes[j - 1];
		set->dnodes[j] = node;
	}
}
