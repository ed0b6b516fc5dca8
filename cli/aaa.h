/*
 * Local authentication as IOS does it: secrets hashed as type 9 (scrypt)
 * or type 8 (PBKDF2-SHA256), line passwords kept as type 7, and the
 * checks behind the login and enable prompts.
 *
 * Hashes use IOS's own base64 alphabet ("./0-9A-Za-z", no padding): a
 * type 9 secret is "$9$" SALT "$" HASH, where SALT is 14 characters used
 * as they are and HASH is scrypt(N=16384, r=1, p=1) of 32 bytes. Type 8
 * is the same with PBKDF2-HMAC-SHA256 and 20000 iterations.
 */
#ifndef VR_CLI_AAA_H
#define VR_CLI_AAA_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

struct cfg;

/* "$9$" + 14 + "$" + 43 characters, and a NUL. */
#define AAA_HASH_MAX 80
/* Type 7 text of a password of at most AAA_PASSWORD_MAX characters. */
#define AAA_PASSWORD_MAX 64
#define AAA_TYPE7_MAX (2 + 2 * AAA_PASSWORD_MAX + 1)
/* That text sealed, as the config holds it (core/config.h). */
#define AAA_SEALED7_MAX (CFG_SEALED_LEN(AAA_TYPE7_MAX) + 1)

/*
 * Hashes PASSWORD as type TYPE (8 or 9) with a random salt into OUT.
 * Returns 0, or -1 when the random source or the KDF failed.
 */
int aaa_hash_new(int type, const char *password, char *out, size_t len);

/* Hashes PASSWORD as type 9 or 8 with the given 14-character SALT. */
int aaa_hash_with_salt(int type, const char *password, const char *salt,
		       char *out, size_t len);

/* True when HASH is a well-formed type TYPE (8 or 9) hash. */
bool aaa_hash_valid(int type, const char *hash);

/* True when PASSWORD matches HASH (a "$8$" or "$9$" string). */
bool aaa_hash_verify(const char *hash, const char *password);

/*
 * Type 7 (reversible, what `service password-encryption` shows).
 * aaa_type7_encode() writes the encoding of PASSWORD with seed SEED
 * (0-15); aaa_type7_decode() returns -1 on malformed text.
 */
int aaa_type7_encode(const char *password, unsigned seed, char *out,
		     size_t len);
int aaa_type7_decode(const char *text, char *out, size_t len);

/* What a line asks before a session starts (`login` in line mode). */
enum aaa_login {
	AAA_LOGIN_NONE,		/* no login: straight to the prompt */
	AAA_LOGIN_LINE,		/* `login`: the line password */
	AAA_LOGIN_LOCAL,	/* `login local`: username and secret */
};

/* Transports a vty line accepts (`transport input`). */
#define AAA_TRANSPORT_TELNET 0x1
#define AAA_TRANSPORT_SSH 0x2

/* The settings of one line, resolved from the running config. */
struct aaa_line {
	bool configured;	/* a `line` block covers this line */
	enum aaa_login login;
	char password7[AAA_SEALED7_MAX];	/* sealed; "" when none */
	unsigned transports;	/* AAA_TRANSPORT_* */
	unsigned exec_timeout;	/* seconds; 0 never */
	unsigned session_timeout;	/* seconds; 0 never */
	unsigned privilege;	/* privilege level the line starts at */
};

/*
 * Looks up line CON (true for `line con 0`) or vty line N. Lines that no
 * `line` block covers get the defaults: no login, every transport,
 * exec-timeout 10 minutes, privilege 1.
 */
void aaa_line_get(struct cfg *cfg, bool con, unsigned n, struct aaa_line *out);

/*
 * Number of vty lines: one past the highest `line vty` number configured,
 * or DEFAULT_COUNT when no `line vty` block exists.
 */
unsigned aaa_vty_count(struct cfg *cfg, unsigned default_count);

/*
 * Checks USER and PASSWORD against the `username` entries. On success
 * stores the user's privilege in PRIV and returns true.
 */
bool aaa_check_user(struct cfg *cfg, const char *user, const char *password,
		    unsigned *priv);

/* True when PASSWORD matches the line password of LINE. */
bool aaa_check_line_password(const struct aaa_line *line,
			     const char *password);

/*
 * `enable`: whether an enable secret or enable password is configured,
 * and whether PASSWORD matches the secret, or the password when no
 * secret is configured.
 */
bool aaa_enable_secret_set(struct cfg *cfg);
bool aaa_check_enable(struct cfg *cfg, const char *password);

#endif
