/*
 * Loading a large crypto config: a generated file of 10,000 lines (5,000
 * crypto map entries, named access lists and keyrings) is loaded into a
 * fresh router by config_load_file(). The reference reads the same file
 * and splits it into lines and words.
 *
 * Each round creates a new config store, loads the file (timed) and
 * destroys the store. The reference and the load are timed alternately,
 * three rounds after one warm-up, and the medians compared. Prints both
 * times, the time per line and their ratio. Exits 1 when a line is
 * rejected, when the load misses an object, or when the whole load takes
 * 100 ms or more.
 *
 * NOTE: perf (cpu-clock samples, RelWithDebInfo, 2-vCPU VM) last put
 * about 16% of the load in the final lyd_validate_all(), 12-15% in
 * command matching, and most of the rest in per-line libyang edits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/config_load.h"
#include "core/cfg_file.h"
#include "core/config.h"
#include "core/router.h"

#define LINES 10000
#define MAP_ENTRIES 5000
#define KEYRINGS 50
#define KEYS_PER_RING 9
#define ACLS 100
#define ACES_PER_ACL 4
#define ROUNDS 3
#define GOAL_MS 100.0

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Writes the generated config to F; returns its number of lines. */
static unsigned
generate(FILE *f)
{
	unsigned lines = 0, i, j, rest;

	fprintf(f, "crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n"
		" mode tunnel\n");
	lines += 2;
	for (i = 0; i < KEYRINGS; i++) {
		fprintf(f, "crypto keyring RING%u\n", i);
		for (j = 0; j < KEYS_PER_RING; j++)
			fprintf(f, "  pre-shared-key address 10.%u.%u.1 key "
				"secret-%u-%u\n", 100 + i / 100, i % 100 * 2 + j,
				i, j);
		lines += 1 + KEYS_PER_RING;
	}
	for (i = 0; i < ACLS; i++) {
		fprintf(f, "ip access-list extended ACL%u\n", i);
		for (j = 0; j < ACES_PER_ACL; j++)
			fprintf(f, " permit ip 192.168.%u.0 0.0.0.255 "
				"10.%u.%u.0 0.0.0.255\n", i % 250, j, i % 250);
		lines += 1 + ACES_PER_ACL;
	}
	fprintf(f, "interface GigabitEthernet1\n"
		" ip address 10.10.1.2 255.255.255.0\n"
		" crypto map VPN\n");
	lines += 3;
	/* The lines left over give the first entries a peer and an ACL. */
	rest = LINES - lines - MAP_ENTRIES;
	for (i = 0; i < MAP_ENTRIES; i++) {
		fprintf(f, "crypto map VPN %u ipsec-isakmp\n", i + 1);
		lines++;
		if (i < (rest + 1) / 2) {
			fprintf(f, " set peer 172.%u.%u.%u\n", 16 + i / 65536,
				i / 256 % 256, i % 256);
			lines++;
		}
		if (i < rest / 2) {
			fprintf(f, " match address ACL%u\n", i % ACLS);
			lines++;
		}
	}
	return lines;
}

/* Reference: read the file and split it into lines and words. */
static unsigned long
tokenize(const char *path)
{
	size_t len;
	char *text = cfg_file_read(path, &len), *line, *save = NULL;
	unsigned long words = 0;

	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *w, *wsave = NULL;

		for (w = strtok_r(line, " ", &wsave); w;
		     w = strtok_r(NULL, " ", &wsave))
			words++;
	}
	free(text);
	return words;
}

/*
 * Loads PATH into a new store; returns the rejected count or -1, and the
 * time the load took (not the creation of the store) in MS.
 */
static int
load(const char *path, bool check, double *ms)
{
	struct router r = { 0 };
	const struct lyd_node *tree;
	int rejected;
	double t;

	r.cfg = cfg_create(VR_YANG_DIR);
	if (!r.cfg)
		return -1;
	t = now_ms();
	rejected = config_load_file(&r, path, stderr);
	*ms = now_ms() - t;
	if (check && rejected == 0) {
		tree = cfg_read_lock(r.cfg);
		if (!cfg_get_value(tree, "/vrouter-config:crypto/map"
				   "[name='VPN']/entry[sequence='1000']/peer") ||
		    !cfg_get_value(tree, "/vrouter-config:access-lists/"
				   "access-list[name='ACL99']/entry"
				   "[sequence='40']/action"))
			rejected = -1;
		cfg_read_unlock(r.cfg);
	}
	cfg_destroy(r.cfg);
	return rejected;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(void)
{
	char path[] = "/tmp/bench-config-XXXXXX";
	double ref[ROUNDS], prod[ROUNDS], t;
	unsigned long words = 0;
	unsigned lines;
	int fd, i, rejected;
	FILE *f;

	fd = mkstemp(path);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		perror("bench_config: temporary file");
		return 1;
	}
	lines = generate(f);
	fclose(f);

	cmd_init_all();
	/* Warm-up, and the check that every line and object arrived. */
	rejected = load(path, true, &t);
	if (rejected != 0) {
		fprintf(stderr, "bench_config: the generated config did not "
			"load cleanly (%d)\n", rejected);
		unlink(path);
		cmd_free_all();
		return 1;
	}
	for (i = 0; i < ROUNDS; i++) {
		t = now_ms();
		words += tokenize(path);
		ref[i] = now_ms() - t;
		load(path, false, &prod[i]);
	}
	unlink(path);
	cmd_free_all();
	qsort(ref, ROUNDS, sizeof(ref[0]), cmp_double);
	qsort(prod, ROUNDS, sizeof(prod[0]), cmp_double);

	printf("bench config_tokenize: %.2f ms (%.3f us/line, %u lines, "
	       "%lu words)\n", ref[ROUNDS / 2], ref[ROUNDS / 2] * 1e3 / lines,
	       lines, words / ROUNDS);
	/*
	 * The goal is absolute: the whole load under GOAL_MS. Printed as a
	 * bound on the ratio, it is GOAL_MS over this run's tokenizer time,
	 * so this line has the same form as the other benchmarks' lines.
	 */
	printf("bench config_load: %.1f ms ratio=%.0f goal<=%.0f "
	       "(%.2f us/line; goal %.0f ms)\n", prod[ROUNDS / 2],
	       prod[ROUNDS / 2] / ref[ROUNDS / 2],
	       GOAL_MS / ref[ROUNDS / 2], prod[ROUNDS / 2] * 1e3 / lines,
	       GOAL_MS);
	return prod[ROUNDS / 2] < GOAL_MS ? 0 : 1;
}
