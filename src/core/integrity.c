/* integrity.c: whether an agent's ratings look nudged ("press 10"): its top-box share against its peers', and two supporting signals (pure). */
#include "integrity.h"

#include <math.h>
#include <string.h>

/* See integrity.h. */
bool integrity_quick(int64_t reply_ms, int64_t ts)
{
	return reply_ms > 0 && ts >= reply_ms && ts - reply_ms <= INTEGRITY_QUICK_MS;
}

/* See integrity.h. */
void integrity_counts_of(const struct totals *t, struct integrity_counts *out)
{
	const int64_t *c = t->c;

	out->ratings = c[C_S5] + c[C_N10];
	out->top = c[C_TOP];
	/* 3-4 of 5 are the neutral 3s and the satisfied 4s; 7-9 of 10 all the non-detractors below 10. */
	out->middle = c[C_NEUTRAL] + c[C_SATISFIED] + c[C_N10] - c[C_DETRACTORS] - c[C_TOP];
	out->quick = c[C_QUICK];
}

/* a - b, not below 0. */
static int64_t integrity_sub(int64_t a, int64_t b)
{
	return a > b ? a - b : 0;
}

/* See integrity.h. */
void integrity_less(const struct integrity_counts *all, const struct integrity_counts *agent,
    struct integrity_counts *out)
{
	out->ratings = integrity_sub(all->ratings, agent->ratings);
	out->top = integrity_sub(all->top, agent->top);
	out->middle = integrity_sub(all->middle, agent->middle);
	out->quick = integrity_sub(all->quick, agent->quick);
}

/*
 * The one-sided two-proportion z test of k1/n1 against k2/n2 (pooled variance); sign +1
 * tests for the agent above, -1 below. No samples on a side, or no variance, is no evidence.
 */
static void integrity_test(int64_t k1, int64_t n1, int64_t k2, int64_t n2, int sign, double z,
    struct integrity_test *out)
{
	double p1, p2, p, se;

	memset(out, 0, sizeof(*out));
	if (n1 <= 0 || n2 <= 0)
		return;
	p1 = (double)k1 / (double)n1;
	p2 = (double)k2 / (double)n2;
	out->agent = 100 * p1;
	out->peers = 100 * p2;
	p = (double)(k1 + k2) / (double)(n1 + n2);
	se = sqrt(p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2));
	if (se <= 0)
		return;
	out->z = (p1 - p2) / se;
	out->significant = sign * out->z > z;
}

/* See integrity.h. */
void integrity_judge(const struct integrity_counts *agent, const struct integrity_counts *peers,
    int64_t min_samples, double z, double margin, struct integrity_result *out)
{
	memset(out, 0, sizeof(*out));
	out->enough = agent->ratings >= min_samples && peers->ratings >= min_samples && agent->ratings > 0 &&
	    peers->ratings > 0;
	integrity_test(agent->top, agent->ratings, peers->top, peers->ratings, 1, z, &out->top);
	integrity_test(agent->quick, agent->ratings, peers->quick, peers->ratings, 1, z, &out->quick);
	integrity_test(agent->middle, agent->ratings - agent->top, peers->middle, peers->ratings - peers->top, -1, z,
	    &out->middle);
	out->suspect = out->enough && out->top.significant && out->top.agent - out->top.peers >= margin &&
	    (out->quick.significant || out->middle.significant);
}
