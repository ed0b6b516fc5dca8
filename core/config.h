/*
 * The configuration store: the running config as a libyang data tree of
 * the vrouter YANG modules (configs/yang/), edited in transactions.
 *
 * Config flows one way. A CLI command opens a transaction, stages edits by
 * XPath, and commits. The commit validates the whole candidate tree; on
 * success it replaces the running tree and calls every subscriber with the
 * new tree, so datapath and ikemgr can derive and apply their own state.
 * On failure the running tree is left untouched.
 *
 * Thread-safety: all functions may be called from any thread. Commits are
 * serialised by one lock; subscribers run in the committing thread while
 * the lock is held and must not start another transaction.
 */
#ifndef VR_CORE_CONFIG_H
#define VR_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct ly_ctx;
struct lyd_node;
struct cfg;
struct cfg_txn;

/* Creates a store with the YANG modules found in YANG_DIR; NULL on failure. */
struct cfg *cfg_create(const char *yang_dir);
void cfg_destroy(struct cfg *cfg);

struct ly_ctx *cfg_ly_ctx(struct cfg *cfg);

/* Opens a transaction on a copy of the running tree. */
struct cfg_txn *cfg_txn_begin(struct cfg *cfg);

/*
 * Creates or replaces the node at XPATH. VALUE is the leaf value, or NULL
 * for a list entry, container or empty leaf. Missing parents are created.
 * Returns 0, or -1 with a message in the transaction's error text.
 */
int cfg_txn_set(struct cfg_txn *txn, const char *xpath, const char *value);

/* Removes the node at XPATH and its children; absent nodes are not errors. */
int cfg_txn_delete(struct cfg_txn *txn, const char *xpath);

/*
 * Returns the first candidate node at XPATH, like cfg_find() on
 * cfg_txn_tree(); in a batch, a path under the node looked up last is
 * resolved from that node.
 */
struct lyd_node *cfg_txn_find(struct cfg_txn *txn, const char *xpath);

/* Returns the candidate tree, for reads within the transaction. */
struct lyd_node *cfg_txn_tree(struct cfg_txn *txn);

/*
 * Validates and commits, then frees the transaction. Returns 0 on success;
 * on failure returns -1 and copies a one-line reason into ERR.
 */
int cfg_txn_commit(struct cfg_txn *txn, char *err, size_t errlen);

/* Frees the transaction without changing the running config. */
void cfg_txn_abort(struct cfg_txn *txn);

/*
 * Batches: one transaction for many commands, for loading whole files.
 * cfg_batch_begin() copies the running tree once and holds the commit
 * lock until cfg_batch_end(), so other threads' commits wait. While the
 * batch is open, transactions begun by the same thread edit the batch tree
 * in place: their commit skips validation and notifies nobody, and their
 * abort leaves the edits they made. The batch is then "tainted": a failed
 * command may have left part of its change behind, and the caller should
 * end the batch without committing and apply the commands one by one.
 *
 * cfg_batch_end() with COMMIT validates the batch tree once, swaps it in
 * and notifies the subscribers once. Returns 0, or -1 with a reason in
 * ERR (the running config is then unchanged); without COMMIT it discards
 * the batch and returns 0.
 */
int cfg_batch_begin(struct cfg *cfg);
bool cfg_batch_tainted(struct cfg *cfg);
int cfg_batch_end(struct cfg *cfg, bool commit, char *err, size_t errlen);

/* Last error text of the transaction, or "" when none. */
const char *cfg_txn_error(const struct cfg_txn *txn);

/*
 * Read access: the running tree is stable between cfg_read_lock() and
 * cfg_read_unlock(); do not keep pointers into it after unlocking.
 */
const struct lyd_node *cfg_read_lock(struct cfg *cfg);
void cfg_read_unlock(struct cfg *cfg);

/* Returns the value of the leaf at XPATH in TREE, or NULL. */
const char *cfg_get_value(const struct lyd_node *tree, const char *xpath);

/*
 * Returns the first node at XPATH in TREE, or NULL. A data path with all
 * its list keys is looked up through libyang's hashes; other XPaths are
 * evaluated.
 */
struct lyd_node *cfg_find(const struct lyd_node *tree, const char *xpath);

typedef void (*cfg_apply_fn)(void *ctx, const struct lyd_node *running);

/*
 * Registers FN to be called after each successful commit, and once right
 * away with the current tree.
 */
int cfg_subscribe(struct cfg *cfg, cfg_apply_fn fn, void *ctx);

/*
 * Renders the running config in IOS order and layout, from the first "!"
 * after the "Current configuration" line to the final "end".
 * Returns a malloc'd string that the caller frees.
 */
char *cfg_render_ios(struct cfg *cfg);

/* YANG data encodings for export and import. */
enum cfg_format {
	CFG_FORMAT_JSON,	/* RFC 7951 JSON, as RESTCONF returns it */
	CFG_FORMAT_XML,		/* XML, as NETCONF <get-config> returns it */
};

/*
 * Prints the running tree in FORMAT through libyang. Returns a malloc'd
 * string ("" for an empty config) or NULL when out of memory.
 */
char *cfg_export(struct cfg *cfg, enum cfg_format format);

/*
 * Returns the format TEXT is written in: JSON when its first non-blank
 * character is '{', XML when it is '<', and -1 for anything else (IOS
 * text).
 */
int cfg_detect_format(const char *text);

/*
 * Parses TEXT (FORMAT) as vrouter data, validates it and commits it:
 * merged into the running config, or replacing it when REPLACE. Returns
 * 0, or -1 with libyang's reason in ERR and the running config unchanged.
 */
int cfg_import(struct cfg *cfg, const char *text, enum cfg_format format,
	       bool replace, char *err, size_t errlen);

/* Hostname from the running config ("Router" when unset); copies into BUF. */
void cfg_hostname(struct cfg *cfg, char *buf, size_t len);

/* Incremented by every successful commit. */
unsigned long cfg_generation(struct cfg *cfg);

#endif
