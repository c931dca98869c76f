/*
 * dedupe_mem.c: memory and cost of the dedupe set (10,000,000 UUID-like ids) and of the id
 * map (1,000,000 ticket ids "T-000123456").
 *
 * Build and run (about 30 s; peak ~330 MB while the growing set rehashes, holding its old and
 * new tables; do not run it next to other heavy jobs):
 *   in a configured build dir:  make bench/dedupe_mem && ./bench/dedupe_mem
 *   or by hand from the top:     cc -O2 -std=c11 -D_GNU_SOURCE -Isrc/core bench/dedupe_mem.c \
 *                                  src/core/dedupe.c src/core/idmap.c -lxxhash -o /tmp/dedupe_mem
 * Optional argument: the number of dedupe ids (default 10000000).
 * It prints one "name value" line per figure; bytes per id are dedupe_bytes / ids and the
 * VmRSS growth / ids (RSS is read from /proc/self/status, so it counts every page touched).
 * Each part runs in its own child process, so each RSS growth starts from a fresh heap. The
 * floor_* lines are the latency of one dependent random read in an array of the table's
 * size: what any single lookup there costs when its line is not cached.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dedupe.h"
#include "idmap.h"

#define HORIZON_MS (24LL * 3600 * 1000)
#define TICKETS 1000000
#define NOW_MS 1800000000000LL

/* VmRSS of this process in bytes, from /proc/self/status (0 if unreadable). */
static size_t bench_rss(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb * 1024;
}

/* Monotonic nanoseconds. */
static double bench_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A deterministic generator (splitmix64). */
static uint64_t bench_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Writes a random UUID-like id (36 characters) into buf. */
static void bench_uuid(uint64_t *seed, char buf[37])
{
	uint64_t a = bench_rnd(seed), b = bench_rnd(seed);

	snprintf(buf, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
	    (unsigned)a & 0xfff, (unsigned)(b >> 48), (unsigned long long)(b & 0xffffffffffffULL));
}

/* Claims n random ids into a set made for `reserve` ids, printing cost and memory under label. */
static void bench_dedupe(const char *label, size_t n, size_t reserve)
{
	enum { BATCH = 4096 };
	static char ids[BATCH][37];
	uint64_t seed = 42;
	size_t rss0 = bench_rss();
	struct dedupe *d = dedupe_new(reserve);
	size_t fresh = 0;
	double worst = 0, total = 0;

	if (d == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	/* ids are made a batch at a time, outside the timed part */
	for (int replay = 0; replay < 2; replay++) {
		seed = 42;
		fresh = 0;
		total = 0;
		for (size_t i = 0; i < n; i += BATCH) {
			size_t m = n - i < BATCH ? n - i : BATCH;
			double t0;

			for (size_t k = 0; k < m; k++)
				bench_uuid(&seed, ids[k]);
			t0 = bench_ns();
			for (size_t k = 0; k < m; k++)
				fresh += dedupe_claim(d, ids[k], 36, NOW_MS + (int64_t)(i / 100), HORIZON_MS);
			t0 = bench_ns() - t0;
			total += t0;
			if (t0 > worst)
				worst = t0;
		}
		if (replay == 0) {
			printf("%s.ids %zu\n%s.new %zu\n%s.capacity %zu\n", label, n, label, fresh, label,
			    dedupe_capacity(d));
			printf("%s.dedupe_bytes %zu\n%s.dedupe_bytes_per_id %.2f\n", label, dedupe_bytes(d), label,
			    (double)dedupe_bytes(d) / (double)n);
			printf("%s.rss_delta_bytes %zu\n%s.rss_bytes_per_id %.2f\n", label, bench_rss() - rss0, label,
			    (double)(bench_rss() - rss0) / (double)n);
			printf("%s.ns_per_new_claim %.1f\n%s.worst_batch_of_%d_ns %.0f\n", label, total / (double)n, label,
			    BATCH, worst);
		} else {
			printf("%s.ns_per_duplicate_claim %.1f\n%s.new_on_replay %zu\n", label, total / (double)n, label,
			    fresh);
		}
	}
	dedupe_free(d);
}

/* The other way to keep keys: one malloc per key and a pointer to it. Prints its bytes per key. */
static void bench_malloc_keys(void)
{
	char key[32];
	size_t rss0 = bench_rss();
	char **keys = malloc(TICKETS * sizeof(*keys));

	for (uint32_t i = 0; i < TICKETS; i++) {
		int n = snprintf(key, sizeof(key), "T-%09u", i * 7 + 123);

		keys[i] = malloc((size_t)n);
		memcpy(keys[i], key, (size_t)n);
	}
	printf("malloc_per_key.rss_bytes_per_key_incl_pointer %.2f\n", (double)(bench_rss() - rss0) / TICKETS);
	for (uint32_t i = 0; i < TICKETS; i++)
		free(keys[i]);
	free(keys);
}

/* Maps 1,000,000 ticket ids in a map made for `expected`; prints bytes per entry and lookup cost. */
static void bench_idmap(const char *label, size_t expected)
{
	char key[32];
	size_t rss0 = bench_rss();
	struct idmap *m = idmap_new(expected);
	uint64_t seed = 7;
	uint32_t *order = malloc(TICKETS * sizeof(*order));
	uint64_t sum = 0;
	double t0, t;

	for (uint32_t i = 0; i < TICKETS; i++) {
		int n = snprintf(key, sizeof(key), "T-%09u", i * 7 + 123);

		if (idmap_put(m, key, (size_t)n, i) != 1) {
			fprintf(stderr, "put failed\n");
			exit(1);
		}
		order[i] = i;
	}
	printf("%s.entries %zu\n%s.bytes %zu\n%s.bytes_per_entry %.2f\n", label, idmap_size(m), label,
	    idmap_bytes(m), label, (double)idmap_bytes(m) / TICKETS);
	printf("%s.rss_delta_bytes %zu\n%s.rss_bytes_per_entry %.2f\n", label, bench_rss() - rss0, label,
	    (double)(bench_rss() - rss0) / TICKETS);
	for (uint32_t i = TICKETS - 1; i > 0; i--) { /* random lookup order */
		uint32_t j = (uint32_t)(bench_rnd(&seed) % (i + 1)), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	/* keys made beforehand, so only the lookup is timed; the first pass warms the caches */
	for (int pass = 0; pass < 2; pass++) {
		char *keys = malloc((size_t)TICKETS * 12);

		for (uint32_t i = 0; i < TICKETS; i++)
			snprintf(keys + (size_t)i * 12, 12, "T-%09u", order[i] * 7 + 123);
		t0 = bench_ns();
		for (uint32_t i = 0; i < TICKETS; i++) {
			uint32_t v = 0;

			idmap_get(m, keys + (size_t)i * 12, 11, &v);
			sum += v;
		}
		t = bench_ns() - t0;
		printf("%s.pass%d_ns_per_lookup_random %.1f\n", label, pass, t / TICKETS);
		t0 = bench_ns();
		for (uint32_t i = 0; i < TICKETS; i++) {
			uint32_t v = 0;

			idmap_get(m, keys + (size_t)(i % 1024) * 12, 11, &v);
			sum += v;
		}
		t = bench_ns() - t0;
		printf("%s.pass%d_ns_per_lookup_hot_1024 %.1f\n", label, pass, t / TICKETS);
		t0 = bench_ns();
		for (uint32_t i = 0; i < TICKETS; i++) {
			uint32_t v = 0;

			idmap_get(m, keys + (size_t)(i % 100000) * 12, 11, &v);
			sum += v;
		}
		t = bench_ns() - t0;
		printf("%s.pass%d_ns_per_lookup_random_among_100000 %.1f\n", label, pass, t / TICKETS);
		free(keys);
	}
	printf("%s.checksum %llu\n", label, (unsigned long long)sum);
	free(order);
	idmap_free(m);
}

/*
 * The floor for any table of this size, as a reference: the latency of one random 16-byte
 * read that depends on the one before (a random cycle through the array, Sattolo's shuffle).
 */
static void bench_floor(const char *label, size_t bytes)
{
	size_t n = bytes / 16;
	uint64_t *a = calloc(n, 16);
	uint64_t seed = 9, at = 0;
	double t0;

	for (size_t i = 0; i < n; i++)
		a[2 * i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(bench_rnd(&seed) % i), x = a[2 * i];

		a[2 * i] = a[2 * j];
		a[2 * j] = x;
	}
	t0 = bench_ns();
	for (size_t i = 0; i < 4000000; i++)
		at = a[2 * at];
	printf("%s.ns_per_dependent_random_read %.1f (at %llu)\n", label, (bench_ns() - t0) / 4000000,
	    (unsigned long long)at);
	free(a);
}

/* Runs one part in a child process, so each RSS delta starts from a fresh heap. */
static void bench_part(int part, size_t n)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		switch (part) {
		case 0: bench_idmap("idmap_grown", 0); break;
		case 1: bench_idmap("idmap_sized", TICKETS); break;
		case 2: bench_malloc_keys(); break;
		case 3: bench_floor("floor_20MB", 20000000); break;
		case 4: bench_dedupe("dedupe_grown", n, 0); break;
		case 5: bench_dedupe("dedupe_reserved", n, n); break;
		default: bench_floor("floor_188MB", 188235344); break;
		}
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;

	for (int part = 0; part <= 6; part++)
		bench_part(part, n);
	return 0;
}
