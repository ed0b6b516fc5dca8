/*
 * espgen: writes a pcap (raw IPv4 link type) of ESP packets built with
 * the datapath's own encapsulation, so that captures for any SPI,
 * algorithm or key can be made without a second IPsec implementation.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/rand.h>
#include <pcap/pcap.h>

#include "datapath/datapath.h"

static const char usage_text[] =
"Usage: espgen -o FILE --src ADDR --dst ADDR --spi SPI [options]\n"
"\n"
"Writes COUNT ESP packets from SRC to DST into a pcap file (raw IPv4 link\n"
"type). Each packet protects an ICMP echo request between the inner\n"
"addresses (tunnel mode) or carries the echo itself (transport mode).\n"
"\n"
"Options:\n"
"  -o, --output FILE       pcap file to write\n"
"      --src ADDR          outer source address (the peer)\n"
"      --dst ADDR          outer destination address (the router)\n"
"      --spi SPI           SPI, decimal or 0x-prefixed hex\n"
"      --enc ALG           null, 3des-cbc, aes-128-cbc, aes-192-cbc,\n"
"                          aes-256-cbc, aes-128-gcm, aes-256-gcm,\n"
"                          chacha20-poly1305\n"
"                          (default aes-128-cbc)\n"
"      --enc-key HEX       cipher key; for GCM the 4-octet salt follows\n"
"                          the key. Random (and printed) when omitted\n"
"      --auth ALG          none, hmac-md5-96, hmac-sha1-96,\n"
"                          hmac-sha256-128 (default hmac-sha1-96; none\n"
"                          with GCM)\n"
"      --auth-key HEX      integrity key; random (and printed) when omitted\n"
"      --mode MODE         tunnel or transport (default tunnel)\n"
"      --udp               encapsulate in UDP 4500 (RFC 3948)\n"
"  -c, --count N           number of packets (default 8)\n"
"      --seq N             first sequence number (default 1)\n"
"      --inner-src ADDR    inner source (default 192.168.1.1)\n"
"      --inner-dst ADDR    inner destination (default 192.168.2.1)\n"
"      --size N            ICMP data octets per packet (default 56)\n"
"  -h, --help              show this text\n"
"\n"
"Examples:\n"
"  # 8 packets the router at 10.10.1.2 does not have an SA for\n"
"  espgen -o badspi.pcap --src 10.1.1.1 --dst 10.10.1.2 --spi 0xB761863E\n"
"\n"
"  # AES-256-CBC with HMAC-SHA-256, keys given, 100 packets from seq 500\n"
"  espgen -o aes.pcap --src 10.1.1.1 --dst 10.10.1.2 --spi 4096 \\\n"
"    --enc aes-256-cbc --enc-key $(openssl rand -hex 32) \\\n"
"    --auth hmac-sha256-128 --auth-key $(openssl rand -hex 32) \\\n"
"    -c 100 --seq 500\n";

struct options {
	const char *output;
	struct dp_sa_params sa;
	bool have_src, have_dst, have_spi;
	bool have_enc_key, have_auth_key;
	bool auth_given;
	unsigned long count;
	uint32_t inner_src, inner_dst;
	size_t size;
};

struct alg_name {
	const char *name;
	int value;
	size_t key_len;
};

static const struct alg_name ciphers[] = {
	{ "null", DP_CIPHER_NULL, 0 },
	{ "3des-cbc", DP_CIPHER_3DES_CBC, 24 },
	{ "aes-128-cbc", DP_CIPHER_AES_CBC, 16 },
	{ "aes-192-cbc", DP_CIPHER_AES_CBC, 24 },
	{ "aes-256-cbc", DP_CIPHER_AES_CBC, 32 },
	{ "aes-128-gcm", DP_CIPHER_AES_GCM, 20 },
	{ "aes-256-gcm", DP_CIPHER_AES_GCM, 36 },
	{ "chacha20-poly1305", DP_CIPHER_CHACHA20_POLY1305, 36 },
};

static const struct alg_name integs[] = {
	{ "none", DP_INTEG_NONE, 0 },
	{ "hmac-md5-96", DP_INTEG_HMAC_MD5_96, 16 },
	{ "hmac-sha1-96", DP_INTEG_HMAC_SHA1_96, 20 },
	{ "hmac-sha256-128", DP_INTEG_HMAC_SHA256_128, 32 },
};

static const struct alg_name *
find_alg(const struct alg_name *algs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	}
	return NULL;
}

static int
parse_addr(const char *text, uint32_t *out, const char *what)
{
	if (inet_pton(AF_INET, text, out) != 1) {
		fprintf(stderr, "espgen: invalid %s address \"%s\"\n", what,
			text);
		return -1;
	}
	return 0;
}

static int
parse_hex(const char *hex, uint8_t *out, size_t cap, size_t *len,
	  const char *what)
{
	size_t n = strlen(hex);

	if (n % 2 != 0 || n / 2 > cap) {
		fprintf(stderr, "espgen: invalid %s \"%s\": expected an even "
			"number of hex digits, at most %zu octets\n", what,
			hex, cap);
		return -1;
	}
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "espgen: invalid %s \"%s\"\n", what,
				hex);
			return -1;
		}
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static int
parse_number(const char *text, unsigned long long max,
	     unsigned long long *out, const char *what)
{
	char *end;

	*out = strtoull(text, &end, 0);
	if (*text == '\0' || *end != '\0' || *out > max) {
		fprintf(stderr, "espgen: invalid %s \"%s\"\n", what, text);
		return -1;
	}
	return 0;
}

static void
print_hex(const char *what, const uint8_t *key, size_t len)
{
	fprintf(stderr, "espgen: %s ", what);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%02x", key[i]);
	fprintf(stderr, "\n");
}

enum {
	OPT_SRC = 256, OPT_DST, OPT_SPI, OPT_ENC, OPT_ENC_KEY, OPT_AUTH,
	OPT_AUTH_KEY, OPT_MODE, OPT_UDP, OPT_SEQ, OPT_INNER_SRC,
	OPT_INNER_DST, OPT_SIZE,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "src", required_argument, NULL, OPT_SRC },
	{ "dst", required_argument, NULL, OPT_DST },
	{ "spi", required_argument, NULL, OPT_SPI },
	{ "enc", required_argument, NULL, OPT_ENC },
	{ "enc-key", required_argument, NULL, OPT_ENC_KEY },
	{ "auth", required_argument, NULL, OPT_AUTH },
	{ "auth-key", required_argument, NULL, OPT_AUTH_KEY },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "udp", no_argument, NULL, OPT_UDP },
	{ "count", required_argument, NULL, 'c' },
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "inner-src", required_argument, NULL, OPT_INNER_SRC },
	{ "inner-dst", required_argument, NULL, OPT_INNER_DST },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Handles one option; returns -1 on an invalid value. */
static int
parse_option(struct options *o, int c, const char *arg,
	     size_t *want_key_len)
{
	const struct alg_name *alg;
	unsigned long long v;

	switch (c) {
	case 'o':
		o->output = arg;
		return 0;
	case OPT_SRC:
		o->have_src = true;
		return parse_addr(arg, &o->sa.src, "source");
	case OPT_DST:
		o->have_dst = true;
		return parse_addr(arg, &o->sa.dst, "destination");
	case OPT_SPI:
		o->have_spi = true;
		if (parse_number(arg, UINT32_MAX, &v, "SPI") < 0)
			return -1;
		o->sa.spi = (uint32_t)v;
		return 0;
	case OPT_ENC:
		alg = find_alg(ciphers, sizeof(ciphers) / sizeof(ciphers[0]),
			       arg);
		if (alg == NULL) {
			fprintf(stderr, "espgen: unknown cipher \"%s\"; see "
				"--help for the list\n", arg);
			return -1;
		}
		o->sa.cipher = (enum dp_cipher)alg->value;
		*want_key_len = alg->key_len;
		return 0;
	case OPT_ENC_KEY:
		o->have_enc_key = true;
		return parse_hex(arg, o->sa.cipher_key,
				 sizeof(o->sa.cipher_key),
				 &o->sa.cipher_key_len, "cipher key");
	case OPT_AUTH:
		alg = find_alg(integs, sizeof(integs) / sizeof(integs[0]), arg);
		if (alg == NULL) {
			fprintf(stderr, "espgen: unknown integrity algorithm "
				"\"%s\"; see --help for the list\n", arg);
			return -1;
		}
		o->sa.integ = (enum dp_integ)alg->value;
		o->auth_given = true;
		return 0;
	case OPT_AUTH_KEY:
		o->have_auth_key = true;
		return parse_hex(arg, o->sa.integ_key, sizeof(o->sa.integ_key),
				 &o->sa.integ_key_len, "integrity key");
	case OPT_MODE:
		if (strcmp(arg, "tunnel") != 0 &&
		    strcmp(arg, "transport") != 0) {
			fprintf(stderr, "espgen: mode must be tunnel or "
				"transport, not \"%s\"\n", arg);
			return -1;
		}
		o->sa.tunnel = strcmp(arg, "tunnel") == 0;
		return 0;
	case OPT_UDP:
		o->sa.udp_encap = true;
		return 0;
	case 'c':
		if (parse_number(arg, 100000000, &v, "count") < 0)
			return -1;
		o->count = (unsigned long)v;
		return 0;
	case OPT_SEQ:
		if (parse_number(arg, UINT32_MAX, &v, "sequence number") < 0 ||
		    v == 0) {
			fprintf(stderr, "espgen: sequence numbers start at 1\n");
			return -1;
		}
		o->sa.seq_start = v;
		return 0;
	case OPT_INNER_SRC:
		return parse_addr(arg, &o->inner_src, "inner source");
	case OPT_INNER_DST:
		return parse_addr(arg, &o->inner_dst, "inner destination");
	case OPT_SIZE:
		if (parse_number(arg, 60000, &v, "size") < 0)
			return -1;
		o->size = (size_t)v;
		return 0;
	default:
		return -1;
	}
}

/* Fills the keys the user left out with random ones and prints them. */
static int
complete_keys(struct options *o, size_t want_key_len)
{
	size_t auth_len = 0;

	for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]); i++) {
		if (integs[i].value == (int)o->sa.integ)
			auth_len = integs[i].key_len;
	}
	if (!o->have_enc_key && want_key_len > 0) {
		if (RAND_bytes(o->sa.cipher_key, (int)want_key_len) != 1)
			return -1;
		o->sa.cipher_key_len = want_key_len;
		print_hex("cipher key", o->sa.cipher_key, want_key_len);
	} else if (o->sa.cipher_key_len != want_key_len) {
		fprintf(stderr, "espgen: the cipher key must be %zu octets\n",
			want_key_len);
		return -1;
	}
	if (!o->have_auth_key && auth_len > 0) {
		if (RAND_bytes(o->sa.integ_key, (int)auth_len) != 1)
			return -1;
		o->sa.integ_key_len = auth_len;
		print_hex("integrity key", o->sa.integ_key, auth_len);
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct options *o)
{
	size_t want_key_len = 16;
	int c;

	memset(o, 0, sizeof(*o));
	o->sa.outbound = true;
	o->sa.tunnel = true;
	o->sa.cipher = DP_CIPHER_AES_CBC;
	o->sa.integ = DP_INTEG_HMAC_SHA1_96;
	o->count = 8;
	o->size = 56;
	inet_pton(AF_INET, "192.168.1.1", &o->inner_src);
	inet_pton(AF_INET, "192.168.2.1", &o->inner_dst);

	while ((c = getopt_long(argc, argv, "o:c:h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (parse_option(o, c, optarg, &want_key_len) < 0)
			return -1;
	}
	if (optind != argc || !o->output || !o->have_src || !o->have_dst ||
	    !o->have_spi) {
		fprintf(stderr, "espgen: -o, --src, --dst and --spi are "
			"required\n\n%s", usage_text);
		return -1;
	}
	if ((o->sa.cipher == DP_CIPHER_AES_GCM ||
	     o->sa.cipher == DP_CIPHER_CHACHA20_POLY1305) && !o->auth_given)
		o->sa.integ = DP_INTEG_NONE;
	return complete_keys(o, want_key_len);
}

/* RFC 1071 checksum over LEN octets. */
static uint16_t
checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len % 2)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4 ICMP echo request with sequence SEQ; returns its length. */
static size_t
make_inner(const struct options *o, uint8_t *buf, uint16_t seq)
{
	size_t len = 20 + 8 + o->size;
	uint16_t v;

	memset(buf, 0, len);
	buf[0] = 0x45;
	v = htons((uint16_t)len);
	memcpy(buf + 2, &v, 2);
	v = htons(seq);
	memcpy(buf + 4, &v, 2);
	buf[8] = 64;
	buf[9] = 1;
	memcpy(buf + 12, o->sa.tunnel ? &o->inner_src : &o->sa.src, 4);
	memcpy(buf + 16, o->sa.tunnel ? &o->inner_dst : &o->sa.dst, 4);
	v = htons(checksum(buf, 20));
	memcpy(buf + 10, &v, 2);
	buf[20] = 8;			/* echo request */
	buf[25] = 1;			/* identifier 1 */
	buf[26] = (uint8_t)(seq >> 8);
	buf[27] = (uint8_t)seq;
	for (size_t i = 0; i < o->size; i++)
		buf[28 + i] = (uint8_t)i;
	v = htons(checksum(buf + 20, 8 + o->size));
	memcpy(buf + 22, &v, 2);
	return len;
}

int
main(int argc, char **argv)
{
	static uint8_t inner[65536], pkt[65536 + 128];
	struct options o;
	struct dp_esp_sa *sa;
	pcap_t *pd = NULL;
	pcap_dumper_t *dumper = NULL;
	char err[256] = "";
	struct timeval tv;
	int ret = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	sa = dp_esp_sa_create(&o.sa, err, sizeof(err));
	if (sa == NULL) {
		fprintf(stderr, "espgen: invalid SA: %s\n", err);
		return 2;
	}
	pd = pcap_open_dead(DLT_RAW, 65535);
	dumper = pd ? pcap_dump_open(pd, o.output) : NULL;
	if (dumper == NULL) {
		fprintf(stderr, "espgen: cannot write %s: %s\n", o.output,
			pd ? pcap_geterr(pd) : "out of memory");
		goto out;
	}
	gettimeofday(&tv, NULL);
	for (unsigned long i = 0; i < o.count; i++) {
		struct pcap_pkthdr h = { .ts = tv };
		enum dp_esp_status st;
		size_t inner_len = make_inner(&o, inner, (uint16_t)(i + 1));
		size_t len = dp_esp_encap_ipv4(sa, inner, inner_len, pkt,
					       sizeof(pkt), &st);

		if (len == 0) {
			fprintf(stderr, "espgen: packet %lu not encapsulated "
				"(status %d): the sequence number space may be "
				"exhausted\n", i + 1, (int)st);
			goto out;
		}
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)dumper, &h, pkt);
		tv.tv_usec += 1000;
		if (tv.tv_usec >= 1000000) {
			tv.tv_sec++;
			tv.tv_usec -= 1000000;
		}
	}
	ret = 0;
out:
	if (dumper != NULL)
		pcap_dump_close(dumper);
	if (pd != NULL)
		pcap_close(pd);
	dp_esp_sa_free(sa);
	return ret;
}
