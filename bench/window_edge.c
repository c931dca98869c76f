/* window_edge.c: benchmark 8, how far each rolling window's old edge falls short of its span. */
/*
 * Built by `make` as bench/window_edge (never installed): ./bench/window_edge [WINDOWS [PHASES]]
 * (default "1h,24h,7d,30d" and 1,000 phases). It asks the daemon's own core/rolling, as
 * the agents' counters do, which event ages each window counts:
 *
 * For every window and for PHASES instants "now" spread over one bucket of that window
 * (where now falls within a bucket decides how much of the oldest bucket is already out),
 * one event is added to an empty rolling state at ts = now - age, and the window's total
 * is read at now. Counting is monotone in age, so a binary search over whole milliseconds
 * finds the oldest age counted; the edge error at that instant is span - that age (the
 * window is [now - span, now], docs/windows.md). Ages from 1 ms to 3 spans past the edge
 * are then checked to count nothing (no over-count), and ages up to a bucket short of the
 * span to count (the window is whole apart from its edge bucket). It prints,
 * per window, the bucket length, the largest and mean edge error over the instants, as
 * milliseconds and as a share of the span, and whether the target (at most 1% of the
 * span; issue 11) holds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rolling.h"
#include "window.h"

/* 2026-12-01T00:00:00Z: the instants are spread from here. */
#define BASE_MS INT64_C(1796083200000)
/* The target: an edge error of at most 1/EDGE_TARGET_DIV of the span. */
#define EDGE_TARGET_DIV 100

/* Whether one event age_ms old counts in window w at now_ms. */
static bool counts(const struct rolling_plan *plan, size_t w, int64_t now_ms, int64_t age_ms)
{
	struct rolling r = {0};
	struct rolling_inc inc = {0, 1};
	int64_t totals[WINDOWS_MAX * ROLLING_SLOTS_MAX];
	bool in = false;

	if (rolling_add(&r, plan, now_ms, now_ms - age_ms, &inc, 1) == ROLLING_ADDED) {
		rolling_totals(&r, plan, now_ms, totals, NULL);
		in = totals[w * plan->slots] == 1;
	}
	rolling_free(&r);
	return in;
}

/* The oldest age (ms) that window w counts at now_ms; -1 when it counts none. */
static int64_t oldest_counted(const struct rolling_plan *plan, size_t w, int64_t now_ms)
{
	int64_t lo = 0, hi = plan->span_ms[w] + 2; /* lo counts (checked below), hi does not */

	if (!counts(plan, w, now_ms, lo))
		return -1;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (counts(plan, w, now_ms, mid))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Prints one window's row; false when the window broke a rule or missed the target. */
static bool window_row(const struct rolling_plan *plan, const struct windows *ws, size_t w, int phases)
{
	int64_t span = plan->span_ms[w], gran = plan->gran_ms[w];
	int64_t worst = 0, sum = 0, worst_now = 0;
	int overcounts = 0, holes = 0;

	for (int k = 0; k < phases; k++) {
		int64_t now = BASE_MS + gran * k / phases + k % 7; /* odd ms too, not only round ones */
		int64_t oldest = oldest_counted(plan, w, now);
		int64_t err = oldest < 0 ? span : span - oldest;

		if (err > worst) {
			worst = err;
			worst_now = now;
		}
		sum += err;
		for (int64_t age = span + 1; age <= 3 * span; age += span / 97 + 1)
			overcounts += counts(plan, w, now, age);
		for (int64_t age = 0; age < span - gran; age += (span - gran) / 89 + 1)
			holes += !counts(plan, w, now, age);
	}
	bool met = worst * EDGE_TARGET_DIV <= span && overcounts == 0 && holes == 0;
	printf("%-6s span %12" PRId64 " ms  bucket %10" PRId64 " ms  edge error max %10" PRId64
	       " ms (%.3f%% of span, at now=%" PRId64 ")  mean %10.0f ms (%.3f%%)  over-counted %d  holes %d  %s\n",
	    ws->w[w].name, span, gran, worst, 100.0 * (double)worst / (double)span, worst_now,
	    (double)sum / phases, 100.0 * (double)sum / phases / (double)span, overcounts, holes,
	    met ? "met" : "NOT met");
	return met;
}

/* Runs benchmark 8 and prints its figures; exit status 1 when a target is not met. */
int main(int argc, char **argv)
{
	const char *list = argc > 1 ? argv[1] : "1h,24h,7d,30d";
	int phases = argc > 2 ? atoi(argv[2]) : 1000;
	struct windows ws;
	struct rolling_plan plan;
	enum rolling_kind kind = ROLLING_SUM;
	char reason[128];
	bool all = true;

	if (phases < 1 || !windows_parse(list, &ws, reason, sizeof(reason))) {
		fprintf(stderr, "usage: window_edge [WINDOWS [PHASES]]: %s\n", phases < 1 ? "PHASES >= 1" : reason);
		return 2;
	}
	if (!rolling_plan_init(&plan, &ws, 1, &kind)) {
		fprintf(stderr, "window_edge: no bucket plan for %s\n", list);
		return 2;
	}
	printf("== Benchmark 8: window edge error (core/rolling, windows %s, %d instants per window) ==\n",
	    list, phases);
	for (size_t w = 0; w < plan.tiers; w++)
		all = window_row(&plan, &ws, w, phases) && all;
	printf("target: every window's edge error <= 1%% of its span, no over-count, no hole: %s\n",
	    all ? "met" : "NOT met");
	return all ? 0 : 1;
}
