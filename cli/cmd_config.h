/*
 * Shared helpers of the configuration commands (cli/cmd_config_*.c).
 * Every command is one transaction on the config store: handlers stage
 * edits with cc_set()/cc_del() and finish with cc_commit(), which prints
 * the "% " error and applies nothing when any step failed.
 */
#ifndef VR_CLI_CMD_CONFIG_H
#define VR_CLI_CMD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/command.h"

#define CC_M "/vrouter-config:"

struct vty;
struct cfg;
struct cfg_txn;

struct cc_txn {
	struct vty *vty;
	struct cfg_txn *txn;
	bool failed;
};

/* Opens a transaction; prints an error and returns false on failure. */
bool cc_begin(struct cc_txn *t, struct vty *vty);

/* Sets the node at the formatted XPath to VALUE (NULL for no value). */
void cc_set(struct cc_txn *t, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Deletes the node at the formatted XPath; absence is not an error. */
void cc_del(struct cc_txn *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Returns the candidate tree's value at the formatted XPath, or NULL. */
const char *cc_get(struct cc_txn *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True when the formatted XPath selects at least one candidate node. */
bool cc_exists(struct cc_txn *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Commits, or prints "% reason" and aborts; returns the handler result. */
enum cmd_result cc_commit(struct cc_txn *t);

/*
 * Sets (or deletes) LEAF, a path relative to the node that the current
 * sub-mode edits, in a transaction of its own.
 */
enum cmd_result cc_set_here(struct vty *vty, const char *leaf,
			    const char *value);
enum cmd_result cc_del_here(struct vty *vty, const char *leaf);

/*
 * Creates the node at XPATH (a path, not a format) in a transaction of its
 * own and enters MODE to edit it; cc_delete() deletes it.
 */
enum cmd_result cc_enter(struct vty *vty, enum cmd_mode mode,
			 const char *xpath);
enum cmd_result cc_delete(struct vty *vty, const char *xpath);

/* Aborts and returns CMD_WARNING, for handlers that printed an error. */
enum cmd_result cc_abort(struct cc_txn *t);

/*
 * Prints IOS's invalid-input error with the caret under column COLUMN of
 * the command line (0 = its first character).
 */
void cc_invalid_input(struct vty *vty, size_t column);

/*
 * Column in the command line of the first character of argument word
 * WORD_INDEX (as counted by cmd_argv) plus OFFSET.
 * NOTE: assumes single spaces between the words that precede it.
 */
size_t cc_column(const struct cmd_args *args, int word_index, size_t offset);

/* True when the running config has the interface of full name NAME. */
bool cc_interface_exists(struct cfg *cfg, const char *name);

/*
 * Prints IOS's caret error for an interface that does not exist, since
 * IOS parses only existing ones. The caret goes under the number: the
 * word after TYPE_WORD when NUMBER_APART, else the digits in TYPE_WORD.
 */
void cc_invalid_interface(struct vty *vty, const struct cmd_args *args,
			  int type_word, bool number_apart);

/* True when NAME can be used inside an XPath predicate ('...'). */
bool cc_name_ok(struct vty *vty, const char *name);

/* Parses a dotted-quad IPv4 address into host order. */
bool cc_parse_ipv4(const char *s, unsigned *out);

/* True when MASK (host order) is contiguous ones then zeros. */
bool cc_mask_ok(unsigned mask);

/*
 * Expands an interface name as IOS accepts it ("gi1", "GigabitEthernet 1"
 * given as TYPE and NUMBER, "lo0", "Tu1") into its full form in OUT.
 * NUMBER may be NULL. Returns false when the type is unknown or ambiguous
 * or the number is malformed.
 */
bool cc_ifname(const char *type, const char *number, char *out, size_t len);

/*
 * True when the session edits a crypto map entry of type ipsec-manual.
 * It opens a transaction of its own, so call it before cc_begin().
 */
bool cc_editing_manual_entry(struct vty *vty);

/* Installs every definition of the array DEFS in MODE. */
#define CC_INSTALL(mode, defs)                                          \
	do {                                                            \
		size_t i_;                                              \
		for (i_ = 0; i_ < sizeof(defs) / sizeof(defs[0]); i_++) \
			cmd_install(mode, &defs[i_]);                   \
	} while (0)

/* Installs the `set` commands shared by ipsec profiles and crypto maps. */
void cc_install_sa_settings(enum cmd_mode mode);

void cc_install_system(void);
void cc_install_interfaces(void);
void cc_install_acl(void);
void cc_install_isakmp(void);
void cc_install_ipsec(void);
void cc_install_cryptomap(void);
void cc_install_route(void);
void cc_install_keyring(void);
void cc_install_tunnel(void);
void cc_install_ikev2(void);
void cc_install_vrf(void);
void cc_install_copy(void);
void cc_install_show(void);
void cc_install_ezvpn(void);
void cc_install_archive(void);
void cc_install_banner(void);

/*
 * Reads a banner given as DTEXTD: ARG is the rest of the command line,
 * and when it does not close the text, the following lines are read up
 * to the closing delimiter D, as IOS does. Stores the text without its
 * delimiters in TEXT (SIZE bytes). Returns false after printing the
 * error when the text is too long, holds a control character or "^C",
 * or the input ends first; even then every line up to the delimiter has
 * been read as banner text and none runs as a command.
 */
bool cc_read_banner(struct vty *vty, const char *arg, char *text,
		    size_t size);

struct router;

/*
 * Resolves FILE for R: "flash:NAME" and "bootflash:NAME" name NAME in
 * the folder of R's startup-config (the working directory without one),
 * and anything else is a path. Returns 0, or -1 when OUT is too small.
 */
int cc_flash_path(const struct router *r, const char *file, char *out,
		  size_t len);

/*
 * After a successful write memory: saves TEXT as the next archive file
 * when `archive` has a path and write-memory. Returns 0, or -1 with a
 * message in the session.
 */
int cc_archive_on_write(struct vty *vty, const char *text);

/*
 * Decodes the key or password TEXT of a command whose optional TYPE
 * argument is 0 (clear, also when TYPE is NULL), 6 or 7, as IOS writes
 * it. Writes the clear text into OUT and returns true, or prints the
 * IOS error and returns false: type 7 text must decode to at least one
 * printable character, and type 6 needs a master key that vrouter does
 * not model.
 */
bool cc_secret_text(struct vty *vty, const char *type, const char *text,
		    char *out, size_t len);

/* Help lines of the (0|6|7) type argument of cc_secret_text(). */
#define CC_HELP_SECRET_TYPES \
	"Specifies an UNENCRYPTED password will follow\n" \
	"Specifies an ENCRYPTED password will follow\n" \
	"Specifies a HIDDEN password will follow\n"

#endif
