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
struct ly_set;
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
 * The value of a secret leaf is checked against its type and stored
 * sealed. Returns 0, or -1 with a message in the transaction's error text.
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
 * after the "Current configuration" line to the final "end", secrets
 * in clear (or type 7). Returns a malloc'd string that the caller frees
 * with cfg_text_free().
 */
char *cfg_render_ios(struct cfg *cfg);

/* YANG data encodings for export and import. */
enum cfg_format {
	CFG_FORMAT_JSON,	/* RFC 7951 JSON, as RESTCONF returns it */
	CFG_FORMAT_XML,		/* XML, as NETCONF <get-config> returns it */
};

/*
 * Prints the running tree in FORMAT through libyang, secrets in clear.
 * Returns a malloc'd string ("" for an empty config) that the caller
 * frees with cfg_text_free(), or NULL when out of memory.
 */
char *cfg_export(struct cfg *cfg, enum cfg_format format);

/*
 * Returns the format TEXT is written in: JSON when its first non-blank
 * character is '{', XML when it is '<', and -1 for anything else (IOS
 * text).
 */
int cfg_detect_format(const char *text);

/*
 * Parses TEXT (FORMAT) as vrouter data, seals its secrets, validates it
 * and commits it: merged into the running config, or replacing it when
 * REPLACE. Secrets in TEXT are plaintext, whatever their form. Returns
 * 0, or -1 with libyang's reason in ERR and the running config unchanged.
 */
int cfg_import(struct cfg *cfg, const char *text, enum cfg_format format,
	       bool replace, char *err, size_t errlen);

/* Hostname from the running config ("Router" when unset); copies into BUF. */
void cfg_hostname(struct cfg *cfg, char *buf, size_t len);

/* Incremented by every successful commit. */
unsigned long cfg_generation(struct cfg *cfg);

/*
 * Secrets (core/config_secret.c). A leaf with the YANG extension
 * `secret` contains its value sealed: "$vrs$" and base64 text, encrypted
 * and authenticated under keys that exist only in this process. The
 * store seals what cfg_txn_set() and cfg_import() put in such a leaf.
 * Readers open it into a buffer of their own and cleanse that buffer
 * with OPENSSL_cleanse() after use.
 */

/* Maximum length of the plaintext of a secret leaf, in bytes. */
#define CFG_SECRET_MAX 256
/* Length of the sealed form of a plaintext of N bytes, without the NUL. */
#define CFG_SEALED_LEN(n) (5 + 4 * (((n) + 28 + 2) / 3))

struct lysc_node;

/* Returns true when VALUE has the form of a sealed secret. */
bool cfg_secret_is_sealed(const char *value);

/* Returns the sealed form of the LEN bytes at PLAIN (malloc'd), or NULL. */
char *cfg_secret_seal(const char *plain, size_t len);

/*
 * Opens the secret leaf value VALUE into OUT (NUL-terminated) and returns
 * its length, or -1 when it does not fit or fails authentication. A value
 * that is not sealed (a tree built without the store) is copied as it is.
 */
int cfg_secret_open(const char *value, char *out, size_t outlen);

/* Returns true when SNODE is a leaf marked with the `secret` extension. */
bool cfg_schema_is_secret(const struct lysc_node *snode);

/*
 * Checks the plaintext PLAIN against the type of the secret leaf SNODE
 * (the union members after the sealed form), without storing it. Returns
 * 0, or -1 with a reason that does not quote the value in ERR.
 */
int cfg_secret_check(const struct lysc_node *snode, const char *plain,
		     char *err, size_t errlen);

/*
 * Seals the secret leaves of TREE and its siblings in place: those not
 * yet sealed, or every one when ALL (values parsed from outside are all
 * plaintext). Returns 0, or -1 when one could not be sealed.
 */
int cfg_secret_seal_tree(struct lyd_node *tree, bool all);

/*
 * Lists the secret leaves of CTX's vrouter modules as paths of node names
 * from the top, without module prefixes ("crypto/isakmp/key/key"), in a
 * malloc'd array. Returns 0, or -1 when out of memory.
 */
int cfg_secret_paths(const struct ly_ctx *ctx, char ***paths, size_t *count);
void cfg_secret_paths_free(char **paths, size_t count);

/*
 * Returns a copy of the JSON or XML config TEXT (FORMAT) in which the
 * value of every secret leaf of CTX's modules is sealed, so that libyang
 * parses no plaintext. Returns NULL when the text cannot be scanned (or
 * on ENOMEM). libyang's parser then reports what is wrong with it. Free
 * the copy with cfg_text_free().
 */
char *cfg_secret_seal_text(const struct ly_ctx *ctx, const char *text,
			   enum cfg_format format);

/* Output encoding of the plaintexts that cfg_secret_reveal() writes into
 * the text. */
enum cfg_reveal {
	CFG_REVEAL_TEXT,	/* as it is: IOS text */
	CFG_REVEAL_JSON,	/* escaped for a JSON string */
	CFG_REVEAL_XML,		/* escaped for XML character data */
};

/*
 * Returns a copy of TEXT (malloc'd, free with cfg_text_free()) with each
 * sealed value replaced by its plaintext, and each "$vr7$" marker that
 * cfg_print_key() writes by the type 7 text of the plaintext.
 */
char *cfg_secret_reveal(const char *text, enum cfg_reveal how);

/*
 * Cleanses and frees TEXT, a malloc'd rendered config that may contain
 * secrets. The whole block is cleansed, even past a NUL.
 */
void cfg_text_free(char *text);

/*
 * Replaces the running config of CFG with the running config of FROM, a
 * store of its own (configure replace). Sealed values stay sealed on the
 * way. Returns 0, or -1 with a reason in ERR and the config unchanged.
 */
int cfg_replace_from(struct cfg *cfg, struct cfg *from, char *err,
		     size_t errlen);

/*
 * Sorts the nodes of SET (list entries from lyd_find_xpath()) by the
 * number in their leaf KEY, as IOS lists numbered entries such as ISAKMP
 * policies. libyang keeps them in the order they were created.
 */
void cfg_sort_by_number(struct ly_set *set, const char *key);

#endif
