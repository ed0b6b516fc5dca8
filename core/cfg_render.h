/*
 * Pieces of the IOS renderer that the configuration commands share, so
 * that the parser and the printer agree on names and forms.
 */
#ifndef VR_CORE_CFG_RENDER_H
#define VR_CORE_CFG_RENDER_H

#include <stdbool.h>
#include <stdio.h>

struct lyd_node;

/*
 * Renders TREE (may be NULL) like cfg_render_ios(), secrets in clear;
 * the caller frees it with cfg_text_free().
 */
char *cfg_render_tree(const struct lyd_node *tree);

/* Orders interface names as IOS lists them (Loopback0 < Tunnel1 < Gi1). */
int cfg_ifname_cmp(const char *a, const char *b);

/* True when NAME is a number, so the list prints as access-list N. */
bool cfg_acl_is_numbered(const char *name);

/* Prints one access-list entry from "permit"/"deny"/"remark" on, no EOL. */
void cfg_render_ace(FILE *f, const struct lyd_node *entry, bool extended);

/*
 * Port keywords IOS prints for PROTO ("tcp" or "udp"). cfg_port_name()
 * returns NULL for ports IOS prints as numbers; cfg_port_parse() returns
 * the port of a keyword or decimal number, or -1.
 */
const char *cfg_port_name(const char *proto, unsigned port);
int cfg_port_parse(const char *proto, const char *word);

/*
 * The access configuration (core/cfg_render_access.c): `enable secret`
 * and `username` lines, printed after the hostname, and the `line`
 * blocks, printed last before "end".
 */
void cfg_render_access_users(FILE *f, const struct lyd_node *tree);
void cfg_render_access_lines(FILE *f, const struct lyd_node *tree);

/* Value of the leaf at relative PATH under NODE, or NULL (cfg_render.c). */
const char *cfg_node_val(const struct lyd_node *node, const char *path);

/* True when the relative XPath PATH selects a node under NODE. */
bool cfg_node_has(const struct lyd_node *node, const char *path);

/* Blocks of the crypto configuration (cfg_render_crypto.c). */
void cfg_render_keyrings(FILE *f, const struct lyd_node *tree);
void cfg_render_isakmp_profiles(FILE *f, const struct lyd_node *tree);
void cfg_render_ipsec_globals(FILE *f, const struct lyd_node *tree);
/* Lines of crypto map NAME that are not entries (local-address, ...). */
void cfg_render_map_globals(FILE *f, const struct lyd_node *tree);
void cfg_render_ikev2(FILE *f, const struct lyd_node *tree);
void cfg_render_client_groups(FILE *f, const struct lyd_node *tree);
void cfg_render_vrfs(FILE *f, const struct lyd_node *tree);
void cfg_render_aaa(FILE *f, const struct lyd_node *tree);
void cfg_render_pools(FILE *f, const struct lyd_node *tree);
void cfg_render_ezvpn(FILE *f, const struct lyd_node *tree);

/*
 * Logging (cfg_render_log.c): the `service timestamps|sequence-numbers`
 * lines before the hostname, the local destinations after it, and the
 * trap level, source interface and hosts after the access lists.
 */
void cfg_render_service(FILE *f, const struct lyd_node *tree);
void cfg_render_logging(FILE *f, const struct lyd_node *tree);
void cfg_render_logging_hosts(FILE *f, const struct lyd_node *tree);

/*
 * IOS type 7 text of CLEAR with SEED (0-15) into OUT (cfg_type7.c), and
 * back. Both return 0, or -1 when OUT is too small or TEXT is not type 7.
 */
int cfg_type7_encode(const char *clear, unsigned seed, char *out, size_t len);
int cfg_type7_decode(const char *text, char *out, size_t len);

/* The seed `service password-encryption` uses for a pre-shared key. */
unsigned cfg_type7_seed(const char *clear);

/*
 * Prints the pre-shared key KEY of a node in NODE's tree: as "7 TEXT"
 * under `service password-encryption`, in clear otherwise, as IOS does.
 * A sealed KEY is printed as a marker that cfg_secret_reveal() replaces.
 */
void cfg_print_key(FILE *f, const struct lyd_node *node, const char *key);

/*
 * Prints the clear text of the type 7 password TEXT. A sealed TEXT is
 * printed as a marker that cfg_secret_reveal() replaces.
 */
void cfg_print_type7_clear(FILE *f, const char *text);

/* EEM applets (cfg_render_eem.c), printed after the line blocks. */
void cfg_render_eem(FILE *f, const struct lyd_node *tree);

/*
 * Parts of an interface block (cfg_render_if.c): the end of the
 * "interface NAME" line, description and vrf forwarding; the IP lines
 * after the address; the tunnel lines at the end.
 */
void cfg_render_if_header(FILE *f, const struct lyd_node *ifn);
void cfg_render_if_ip(FILE *f, const struct lyd_node *ifn);
void cfg_render_if_tunnel(FILE *f, const struct lyd_node *ifn);

#endif
