/*
 * dedupe_mem.c: memory and cost of the dedupe set (10,000,000 UUID-like ids) and of the id
 * map (1,000,000 ticket ids "T-000123456").
 *
 * Build and run (about 10 s, ~450 MB peak: do not run it next to other heavy jobs):
 *   in a configured build dir:  make bench/dedupe_mem && ./bench/dedupe_mem
 *   or by hand from the top:     cc -O2 -std=c11 -D_GNU_SOURCE -Isrc/core bench/dedupe_mem.c \
 *                                  src/core/dedupe.c src/core/idmap.c -lxxhash -o /tmp/dedupe_mem
 * Optional argument: the number of dedupe ids (default 10000000).
 * It prints one "name value" line per figure; bytes per id are dedupe_bytes / ids and the
 * VmRSS growth / ids (RSS is read from /proc/self/status, so it counts every page touched).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Claims n random ids into d (growing or not), printing cost and memory under the given label. */
static void bench_dedupe(const char *label, size_t n, size_t reserve)
{
	uint64_t seed = 42;
	char id[37];
	size_t rss0 = bench_rss();
	struct dedupe *d = dedupe_new(reserve);
	size_t fresh = 0;
	double worst = 0, t0, t;

	if (d == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	t0 = bench_ns();
	for (size_t i = 0; i < n; i++) {
		double a, b;

		bench_uuid(&seed, id);
		a = bench_ns();
		fresh += dedupe_claim(d, id, 36, NOW_MS + (int64_t)(i / 100), HORIZON_MS);
		b = bench_ns();
		if (b - a > worst)
			worst = b - a;
	}
	t = bench_ns() - t0;
	printf("%s.ids %zu\n%s.new %zu\n%s.capacity %zu\n", label, n, label, fresh, label, dedupe_capacity(d));
	printf("%s.dedupe_bytes %zu\n%s.dedupe_bytes_per_id %.2f\n", label, dedupe_bytes(d), label,
	    (double)dedupe_bytes(d) / (double)n);
	printf("%s.rss_delta_bytes %zu\n%s.rss_bytes_per_id %.2f\n", label, bench_rss() - rss0, label,
	    (double)(bench_rss() - rss0) / (double)n);
	printf("%s.ns_per_claim_incl_id_generation %.1f\n%s.worst_claim_ns %.0f\n", label, t / (double)n, label, worst);
	/* duplicates: the same ids again, timed without generating them in the loop */
	seed = 42;
	t = 0;
	fresh = 0;
	for (size_t i = 0; i < n; i++) {
		double a;

		bench_uuid(&seed, id);
		a = bench_ns();
		fresh += dedupe_claim(d, id, 36, NOW_MS + 1000, HORIZON_MS);
		t += bench_ns() - a;
	}
	printf("%s.ns_per_duplicate_claim %.1f\n%s.new_on_replay %zu\n", label, t / (double)n, label, fresh);
	dedupe_free(d);
}

/* Maps 1,000,000 ticket ids and prints bytes per entry and the cost of a lookup. */
static void bench_idmap(void)
{
	char key[32];
	size_t rss0 = bench_rss();
	struct idmap *m = idmap_new(0);
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
	printf("idmap.entries %zu\nidmap.bytes %zu\nidmap.bytes_per_entry %.2f\n", idmap_size(m), idmap_bytes(m),
	    (double)idmap_bytes(m) / TICKETS);
	printf("idmap.rss_delta_bytes %zu\nidmap.rss_bytes_per_entry %.2f\n", bench_rss() - rss0,
	    (double)(bench_rss() - rss0) / TICKETS);
	for (uint32_t i = TICKETS - 1; i > 0; i--) { /* random lookup order */
		uint32_t j = (uint32_t)(bench_rnd(&seed) % (i + 1)), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (int pass = 0; pass < 3; pass++) {
		int lens[1];

		t0 = bench_ns();
		for (uint32_t i = 0; i < TICKETS; i++) {
			uint32_t v = 0;

			lens[0] = snprintf(key, sizeof(key), "T-%09u", order[i] * 7 + 123);
			idmap_get(m, key, (size_t)lens[0], &v);
			sum += v;
		}
		t = bench_ns() - t0;
		printf("idmap.pass%d_ns_per_lookup_random_incl_snprintf %.1f\n", pass, t / TICKETS);
	}
	/* the same with keys made beforehand, so only the lookup is timed */
	{
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
		printf("idmap.ns_per_lookup_random %.1f\n", t / TICKETS);
		t0 = bench_ns();
		for (uint32_t i = 0; i < TICKETS; i++) {
			uint32_t v = 0;

			idmap_get(m, keys + (size_t)(i % 1024) * 12, 11, &v);
			sum += v;
		}
		t = bench_ns() - t0;
		printf("idmap.ns_per_lookup_hot_1024 %.1f\n", t / TICKETS);
		free(keys);
	}
	printf("idmap.checksum %llu\n", (unsigned long long)sum);
	free(order);
	idmap_free(m);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;

	bench_dedupe("dedupe_grown", n, 0);
	bench_dedupe("dedupe_reserved", n, n);
	bench_idmap();
	return 0;
}
