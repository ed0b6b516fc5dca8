/*
 * Helpers shared by the IKE tests: ISAKMP messages read from captures,
 * and two IKE managers joined back to back through a transport that
 * passes messages between them and records the SAs they install.
 */
#ifndef VR_TESTS_IKE_IKE_TEST_H
#define VR_TESTS_IKE_IKE_TEST_H

#include "core/router.h"
#include "datapath/datapath.h"
#include "ikemgr/ikemgr.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One ISAKMP message from a capture: UDP payload without the non-ESP
 * marker. */
struct ikt_msg {
	uint16_t sport, dport;
	bool natt;
	size_t len;
	uint8_t data[4096];
};

/*
 * Reads the ISAKMP messages (UDP 500, and UDP 4500 with the non-ESP
 * marker) of FILE below $VR_SHARED_DIR/cases/external/pcap. Fails the
 * test with a clear message when the file is missing. Returns the count.
 */
size_t ikt_read_pcap(const char *file, struct ikt_msg *out, size_t cap);

#define IKT_SAS_MAX 32

/* One side: a manager, its config store and the SAs it installed. */
struct ikt_side {
	struct router r;
	struct ikemgr *ike;
	uint32_t addr;			/* network order */
	struct ikt_side *peer;
	pthread_mutex_t lock;
	struct dp_sa_cfg sas[IKT_SAS_MAX];
	size_t nsas;
	size_t sent;			/* messages sent */
	bool drop_all;			/* lose every message it sends */
	size_t drop_nth;		/* lose its Nth message (from 1) */
	uint32_t nat_addr;		/* behind a NAT with this outside
					 * address; 0: no NAT */
	/* With NAT_ADDR, a NAPT that also maps the side's UDP source
	 * ports 500 and 4500 to these (0: keeps the port). Messages the
	 * peer sends to the NAT on a port with no mapping are lost and
	 * counted in nat_unmapped. */
	uint16_t nat_port500, nat_port4500;
	size_t nat_unmapped;
	size_t encap_moves;		/* outbound SAs moved to new ports */
	size_t natt_sent;		/* messages with the non-ESP marker */
	size_t keepalives_sent;		/* one-octet 0xFF NAT keepalives */
	struct dp_ike_packet last;	/* the last message it sent */
	uint64_t installs;		/* dp_sa_install_n calls */
	size_t sent_at_first_install;	/* messages sent before it */
	/* Called in the sender's manager thread for each message that is
	 * not lost otherwise; false loses it. NULL: none. */
	bool (*on_send)(struct ikt_side *s, const struct dp_ike_packet *pkt);
};

/*
 * The IKEv2 config of a side at ME with a crypto map to PEER for LNET/24
 * to RNET/24: AES-CBC-256, SHA-256 and group 14, a pre-shared key, and
 * EXTRA lines in the profile.
 */
#define IKT_V2_SIDE(me, peer, lnet, rnet, extra) \
	"crypto ikev2 proposal PROP\n" \
	" encryption aes-cbc-256\n" \
	" integrity sha256\n" \
	" group 14\n" \
	"crypto ikev2 policy POL\n" \
	" proposal PROP\n" \
	"crypto ikev2 keyring KR\n" \
	" peer P\n" \
	"  address " peer "\n" \
	"  pre-shared-key s3cret\n" \
	"crypto ikev2 profile PROF\n" \
	" match identity remote address " peer " 255.255.255.255\n" \
	" authentication remote pre-share\n" \
	" authentication local pre-share\n" \
	" keyring local KR\n" \
	extra \
	"crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n" \
	"ip access-list extended VPN\n" \
	" permit ip " lnet " 0.0.0.255 " rnet " 0.0.0.255\n" \
	"crypto map CMAP 10 ipsec-isakmp\n" \
	" set peer " peer "\n" \
	" set transform-set TS\n" \
	" set ikev2-profile PROF\n" \
	" match address VPN\n" \
	"interface GigabitEthernet1\n" \
	" ip address " me " 255.255.255.0\n" \
	" crypto map CMAP\n"

/* Makes managers created from now on read CLOCK instead of the
 * monotonic clock (NULL restores it). */
void ikt_set_clock(double (*clock)(void *ctx), void *ctx);

/* A clock for ikt_set_clock() that moves only with ikt_advance(). */
double ikt_fake_clock(void *ctx);

/* Moves ikt_fake_clock() on by SECONDS, then sleeps 300 ms so that the
 * managers' 100 ms timer ticks see the new time. */
void ikt_advance(double seconds);

/* Creates both sides, loads the IOS config texts and starts them. */
void ikt_pair_start(struct ikt_side *a, const char *cfg_a,
		    struct ikt_side *b, const char *cfg_b);
void ikt_pair_stop(struct ikt_side *a, struct ikt_side *b);

/* Replaces S's manager with a fresh one (a restart: every IKE SA lost,
 * installed SAs forgotten) that loads TEXT and starts. */
void ikt_side_restart(struct ikt_side *s, const char *text);

/* Replaces a side's config with TEXT (added to the running one). */
void ikt_side_config(struct ikt_side *s, const char *text);

/* Waits up to SECONDS until COND(A, B) holds; returns whether it did. */
bool ikt_wait(struct ikt_side *a, struct ikt_side *b,
	      bool (*cond)(struct ikt_side *, struct ikt_side *),
	      double seconds);

/* Number of installed SAs of side S in direction OUTBOUND. */
size_t ikt_count(struct ikt_side *s, bool outbound);

/* Copies the installed SA with SPI into OUT; false when absent. */
bool ikt_find(struct ikt_side *s, uint32_t spi, bool outbound,
	      struct dp_sa_cfg *out);

/* Starts keeping the log lines of both sides, debug lines included,
 * with `debug crypto isakmp` and `debug crypto ipsec` on. */
void ikt_log_start(void);

/* Number of kept log lines that contain TEXT. */
size_t ikt_log_count(const char *text);

/* Number of IKE SAs in QM_IDLE. */
int ikt_ike_up(struct ikt_side *s);

/* Conditions for ikt_wait(). True when X and Y each have one inbound
 * and one outbound SA installed. */
bool ikt_one_pair_each(struct ikt_side *x, struct ikt_side *y);
/* True when X has no IKE SA, not even one being deleted. */
bool ikt_no_ike_sa(struct ikt_side *x, struct ikt_side *y);
/* True when X has sent a message. */
bool ikt_sent_any(struct ikt_side *x, struct ikt_side *y);
/* True when Y counted an IKEv2 message as dropped. */
bool ikt_v2_dropped(struct ikt_side *x, struct ikt_side *y);

#endif
