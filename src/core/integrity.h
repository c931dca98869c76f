/* integrity.h: whether an agent's ratings look nudged ("press 10"): its top-box share against its peers', and two supporting signals (pure). */
#ifndef FEEDBACKD_INTEGRITY_H
#define FEEDBACKD_INTEGRITY_H

#include <stdbool.h>
#include <stdint.h>

#include "stats.h"

/* A rating stamped this soon after its agent's latest reply counts as quick (C_QUICK). */
#define INTEGRITY_QUICK_MS INT64_C(30000)

/* One one-sided two-proportion test: the shares in percent, and its z (agent less peers). */
struct integrity_test {
	double agent, peers, z;
	bool significant;  /* beyond the critical z, in the test's direction */
};

/* The verdict. */
struct integrity_result {
	bool enough;                      /* agent and peers each have min_samples ratings */
	struct integrity_test top;        /* top-box share of all ratings: above the peers' */
	struct integrity_test quick;      /* quick share of all ratings: above the peers' */
	struct integrity_test middle;     /* middle share of the ratings below the top: below the peers' */
	bool suspect;                     /* top, by margin points or more, and quick or middle */
};

/* Whether a rating at ts is quick after a reply at reply_ms (0: none yet). */
bool integrity_quick(int64_t reply_ms, int64_t ts);

/* The counts of one window's totals. */
void integrity_counts_of(const struct totals *t, struct integrity_counts *out);

/* Peers' counts less an agent's own (its team's or the site's include them), none below 0. */
void integrity_less(const struct integrity_counts *all, const struct integrity_counts *agent,
    struct integrity_counts *out);

/*
 * Judges an agent against its peers: each test one-sided at critical value z (from the
 * rule's confidence); suspect when both sides have min_samples ratings, the top-box share is
 * significantly and at least margin points above the peers', and at least one supporting
 * signal is significant: quick ratings above the peers' share, or middle scores among the
 * ratings below the top under the peers' share.
 */
void integrity_judge(const struct integrity_counts *agent, const struct integrity_counts *peers,
    int64_t min_samples, double z, double margin, struct integrity_result *out);

#endif
