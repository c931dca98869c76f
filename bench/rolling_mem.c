/* rolling_mem.c: memory and add cost of core/rolling for 100,000 agents with 30 days of events. */
/*
 * Built by `make` as bench/rolling_mem (never installed); run it alone, it takes about a
 * minute on one core and about 300 MB:  ./bench/rolling_mem [AGENTS]
 * Without autotools: cc -O2 -Isrc/core bench/rolling_mem.c src/core/rolling.c
 *   src/core/window.c src/core/timestamp.c -lmsgpackc -o rolling_mem
 *
 * Profile: windows 1h,24h,7d,30d; the 16 counters of stats.h; every agent gets 100 events
 * a day for 30 days, evenly spread (one per 864 s slot, at a random time in it), applied in
 * time order; each agent is advanced every 6 hours of event time (staggered) and all at the
 * end, before anything is measured. Mix: 60% ratings (80%
 * scale 5), 10% complaints, 15% replies that close a clock (rep, rn, rsum, rmax, met or
 * miss; response log-uniform 30 s..8 h), 15% messages (no counter). Every agent is built
 * in full; nothing is extrapolated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rolling.h"
#include "stats.h"
#include "window.h"

#define DAY_MS INT64_C(86400000)
#define DAYS 30
#define PER_DAY 100
#define SLOT_MS (DAY_MS / PER_DAY)
#define ADVANCE_SLOTS 25
/* 2026-11-01T00:00:00Z */
#define START_MS INT64_C(1793491200000)

static uint64_t rng = 88172645463325252u;

/* xorshift64. */
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Monotonic nanoseconds. */
static int64_t nanos(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* VmRSS in kB from /proc/self/status. */
static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* One event of the mix as increments; returns how many (0: a message, no counter). */
static size_t make_event(struct rolling_inc *inc)
{
	unsigned k = (unsigned)(rnd() % 100);
	size_t n = 0;

	if (k < 48) { /* scale 5: 60% x 80% */
		int64_t score = 1 + (int64_t)(rnd() % 100 < 70 ? 3 + rnd() % 2 : rnd() % 3);

		inc[n++] = (struct rolling_inc){ C_RATINGS, 1 };
		inc[n++] = (struct rolling_inc){ C_S5, 1 };
		inc[n++] = (struct rolling_inc){ score >= 4 ? C_SATISFIED : score == 3 ? C_NEUTRAL : C_DISSATISFIED, 1 };
		inc[n++] = (struct rolling_inc){ C_SCORE_SUM, score };
	} else if (k < 60) { /* scale 10 */
		unsigned score = (unsigned)(rnd() % 11);

		inc[n++] = (struct rolling_inc){ C_RATINGS, 1 };
		inc[n++] = (struct rolling_inc){ C_N10, 1 };
		if (score >= 9 || score <= 6)
			inc[n++] = (struct rolling_inc){ score >= 9 ? C_PROMOTERS : C_DETRACTORS, 1 };
	} else if (k < 70) {
		inc[n++] = (struct rolling_inc){ C_COMPLAINTS, 1 };
	} else if (k < 85) {
		/* log-uniform 30 s .. 8 h: 30 s x 2^(0..~9.9) */
		int64_t ms = (int64_t)(30000.0 * (double)(1u << (rnd() % 10)) * (1.0 + (double)(rnd() % 1000) / 1000.0));

		inc[n++] = (struct rolling_inc){ C_REPLIES, 1 };
		inc[n++] = (struct rolling_inc){ C_RESP_N, 1 };
		inc[n++] = (struct rolling_inc){ C_RESP_SUM_MS, ms };
		inc[n++] = (struct rolling_inc){ C_RESP_MAX_MS, ms };
		inc[n++] = (struct rolling_inc){ ms <= 3600000 ? C_SLA_MET : C_SLA_MISSED, 1 };
	}
	return n;
}

int main(int argc, char **argv)
{
	size_t agents = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
	struct windows ws;
	struct rolling_plan plan;
	enum rolling_kind kinds[COUNTER_COUNT];
	struct rolling *r;
	long rss0, rss1;
	int64_t t0, t_build, now = START_MS, adds = 0, incs_total = 0, t_add = 0, steady = 0;
	size_t bytes = 0, used = 0, slots = (size_t)DAYS * PER_DAY;
	int64_t totals[WINDOWS_MAX * COUNTER_COUNT], sink = 0;

	for (size_t s = 0; s < COUNTER_COUNT; s++)
		kinds[s] = s == C_RESP_MAX_MS ? ROLLING_MAX : ROLLING_SUM;
	if (!windows_parse("1h,24h,7d,30d", &ws, NULL, 0) || !rolling_plan_init(&plan, &ws, COUNTER_COUNT, kinds))
		return 1;
	rss0 = rss_kb();
	if ((r = calloc(agents, sizeof *r)) == NULL)
		return 1;
	t0 = nanos();
	for (size_t slot = 0; slot < slots; slot++) {
		int64_t base = START_MS + (int64_t)slot * SLOT_MS;

		now = base + SLOT_MS;
		for (size_t a = 0; a < agents; a++) {
			struct rolling_inc inc[5];
			size_t n = make_event(inc);

			if (n == 0)
				continue;
			if (rolling_add(&r[a], &plan, now, base + (int64_t)(rnd() % SLOT_MS), inc, n) != ROLLING_ADDED)
				return 2;
			/* Every agent is advanced every 6 hours (staggered), all of them at the end. */
			if ((slot + a) % ADVANCE_SLOTS == 0 && !rolling_advance(&r[a], &plan, now))
				return 2;
			adds++;
			incs_total += (int64_t)n;
		}
	}
	for (size_t a = 0; a < agents; a++)
		if (!rolling_advance(&r[a], &plan, now))
			return 2;
	t_build = nanos() - t0;
	rss1 = rss_kb();
	for (size_t a = 0; a < agents; a++) {
		bytes += rolling_bytes(&r[a]);
		used += r[a].len;
	}

	/* Steady state: 10 million adds of recent events to random agents, timed alone. */
	for (int round = 0; round < 100; round++) {
		int64_t t;
		struct rolling_inc inc[100][5];
		size_t n[100], who[100];
		int64_t ts[100];

		for (int k = 0; k < 100; k++) {
			n[k] = make_event(inc[k]);
			who[k] = (size_t)(rnd() % agents);
			ts[k] = now - (int64_t)(rnd() % 60000);
		}
		t = nanos();
		for (int rep = 0; rep < 1000; rep++)
			for (int k = 0; k < 100; k++)
				if (n[k] > 0 && rolling_add(&r[who[k]], &plan, now, ts[k], inc[k], n[k]) == ROLLING_ADDED)
					steady++;
		t_add += nanos() - t;
	}

	/* Reading every agent once: totals alone, then totals and next change in one pass. */
	t0 = nanos();
	for (size_t a = 0; a < agents; a++) {
		rolling_totals(&r[a], &plan, now, totals, NULL);
		sink += totals[3 * COUNTER_COUNT + C_RATINGS];
	}
	{
		int64_t t_tot = nanos() - t0, t_nc, nc;

		t0 = nanos();
		for (size_t a = 0; a < agents; a++) {
			rolling_totals(&r[a], &plan, now, totals, &nc);
			sink += nc & 1;
		}
		t_nc = nanos() - t0;
		printf("agents %zu, events per agent %zu (with counters %lld in total), increments %lld\n", agents, slots,
		    (long long)adds, (long long)incs_total);
		printf("tiers (ms):");
		for (size_t i = 0; i < plan.tiers; i++)
			printf(" %lld", (long long)plan.gran_ms[i]);
		printf("\nrolling_bytes total %zu = %.1f bytes/agent (in use %zu = %.1f)\n", bytes,
		    (double)bytes / (double)agents, used, (double)used / (double)agents);
		printf("struct rolling array %zu bytes = %zu bytes/agent\n", agents * sizeof *r, sizeof *r);
		printf("VmRSS before %ld kB, after build %ld kB, delta %ld kB = %.1f bytes/agent\n", rss0, rss1,
		    rss1 - rss0, (double)(rss1 - rss0) * 1024.0 / (double)agents);
		printf("build: %.3f s for %lld adds and their advances = %.1f ns per add\n", (double)t_build / 1e9,
		    (long long)adds, (double)t_build / (double)adds);
		printf("steady adds (recent ts, random agent): %lld in %.3f s = %.1f ns/add\n", (long long)steady,
		    (double)t_add / 1e9, (double)t_add / (double)steady);
		printf("rolling_totals: %.1f ns/agent; with the next change: %.1f ns/agent (sink %lld)\n",
		    (double)t_tot / (double)agents, (double)t_nc / (double)agents, (long long)sink);
	}
	for (size_t a = 0; a < agents; a++)
		rolling_free(&r[a]);
	free(r);
	return 0;
}
