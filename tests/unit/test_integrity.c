/* test_integrity.c: rating integrity: its counts, its three tests by hand, and its verdicts on generated agents over many seeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "confidence.h"
#include "integrity.h"

/* The default rule: one-sided 0.99, 20 ratings, 10 points. */
#define MIN_SAMPLES 20
#define MARGIN 10.0
#define SEEDS 2000
/* The documented false-alarm bound at confidence 0.99: 2 x (1 - 0.99). */
#define FALSE_ALARM_BOUND 0.02

static double z99;

/* The one-sided critical value at 0.99, as the rule takes it. */
static int setup(void **state)
{
	(void)state;
	z99 = confidence_z(2 * 0.99 - 1);
	assert_true(fabs(z99 - 2.3263) < 1e-3);
	return 0;
}

/* The counts of totals: top box of both scales, middle 3-4 of 5 and 7-9 of 10, quick. */
static void test_counts(void **state)
{
	struct totals t;
	struct integrity_counts c, all = {100, 40, 30, 10}, less;

	(void)state;
	memset(&t, 0, sizeof(t));
	/* scale 5: 5 fives, 3 fours, 2 threes, 1 two; scale 10: 2 tens, 3 nines, 1 seven, 2 detractors */
	t.c[C_S5] = 11;
	t.c[C_SATISFIED] = 8;
	t.c[C_NEUTRAL] = 2;
	t.c[C_DISSATISFIED] = 1;
	t.c[C_N10] = 8;
	t.c[C_PROMOTERS] = 5;
	t.c[C_DETRACTORS] = 2;
	t.c[C_TOP] = 7;
	t.c[C_QUICK] = 4;
	integrity_counts_of(&t, &c);
	assert_int_equal(c.ratings, 19);
	assert_int_equal(c.top, 7);
	assert_int_equal(c.middle, 3 + 2 + 3 + 1); /* the fours, threes, nines and the seven */
	assert_int_equal(c.quick, 4);
	integrity_less(&all, &c, &less);
	assert_int_equal(less.ratings, 81);
	assert_int_equal(less.top, 33);
	assert_int_equal(less.middle, 21);
	assert_int_equal(less.quick, 6);
	/* never below zero: a team's counts may lag its agent's */
	integrity_less(&c, &all, &less);
	assert_int_equal(less.ratings + less.top + less.middle + less.quick, 0);
	assert_true(integrity_quick(1000, 1000 + INTEGRITY_QUICK_MS));
	assert_false(integrity_quick(1000, 1001 + INTEGRITY_QUICK_MS));
	assert_false(integrity_quick(1000, 999));
	assert_false(integrity_quick(0, 5));
}

/* The pooled two-proportion z of k1/n1 against k2/n2, worked out here on its own. */
static double pooled_z(double k1, double n1, double k2, double n2)
{
	double p = (k1 + k2) / (n1 + n2);

	return (k1 / n1 - k2 / n2) / sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
}

/* One suspect by hand: 48 of 60 at the top against 189 of 540, many quick, few middle. */
static void test_by_hand(void **state)
{
	struct integrity_counts agent = {60, 48, 2, 30}, peers = {540, 189, 250, 54};
	struct integrity_result r;

	(void)state;
	integrity_judge(&agent, &peers, MIN_SAMPLES, z99, MARGIN, &r);
	assert_true(r.enough);
	assert_true(fabs(r.top.agent - 80.0) < 1e-9);
	assert_true(fabs(r.top.peers - 35.0) < 1e-9);
	assert_true(fabs(r.top.z - pooled_z(48, 60, 189, 540)) < 1e-9);
	assert_true(fabs(r.top.z - 6.7645) < 1e-3);
	assert_true(r.top.significant);
	/* 30 of 60 quick against 54 of 540 (10%) */
	assert_true(fabs(r.quick.z - pooled_z(30, 60, 54, 540)) < 1e-9);
	assert_true(r.quick.significant);
	/* 2 of the 12 below the top are middle scores, against 250 of 351 */
	assert_true(fabs(r.middle.agent - 100.0 * 2 / 12) < 1e-9);
	assert_true(fabs(r.middle.z - pooled_z(2, 12, 250, 351)) < 1e-9);
	assert_true(r.middle.z < -z99 && r.middle.significant);
	assert_true(r.suspect);
	/* The same share, but not by the margin: a peers' top of 75% */
	peers.top = 405;
	integrity_judge(&agent, &peers, MIN_SAMPLES, z99, MARGIN, &r);
	assert_false(r.suspect);
	/* Too few ratings: never */
	peers.top = 189;
	agent = (struct integrity_counts){19, 19, 0, 19};
	integrity_judge(&agent, &peers, MIN_SAMPLES, z99, MARGIN, &r);
	assert_false(r.enough);
	assert_false(r.suspect);
	/* A high top box alone, with peers' speed and middle scores, is no suspect */
	agent = (struct integrity_counts){60, 40, 18, 6};
	integrity_judge(&agent, &peers, MIN_SAMPLES, z99, MARGIN, &r);
	assert_true(r.top.significant);
	assert_false(r.quick.significant);
	assert_false(r.middle.significant);
	assert_false(r.suspect);
}

/* A small deterministic generator (xorshift64*), so that every seed gives the same ratings everywhere. */
static uint64_t rng_state;

/* A uniform double in [0, 1). */
static double rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0;
}

/* A rating distribution on scale 5 (shares of 5, 4, 3, 2, 1) and the share of quick ratings. */
struct profile {
	double share[5];
	double quick;
};

/* Typical agents: 35% fives, 10% of ratings within 30 s of a reply. */
static const struct profile TEAM = {{0.35, 0.35, 0.15, 0.10, 0.05}, 0.10};
/* Asks customers for a 5: mostly fives and, from those who would not, ones; rated right after the reply. */
static const struct profile NUDGER = {{0.80, 0.04, 0.02, 0.04, 0.10}, 0.60};
/* The same nudging, but the ratings come as late as anyone's: only the shape gives it away. */
static const struct profile NUDGER_SLOW = {{0.80, 0.04, 0.02, 0.04, 0.10}, 0.10};
/* Honestly excellent, with the nudger's mean of 4.40: many fives, the rest mostly fours. */
static const struct profile EXCELLENT = {{0.50, 0.42, 0.06, 0.02, 0.00}, 0.10};

/* n ratings drawn from a profile, as counts. */
static void draw(const struct profile *p, int64_t n, struct integrity_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (int64_t i = 0; i < n; i++) {
		double r = rng_next(), acc = 0;
		int score = 5;

		for (int k = 0; k < 5; k++) {
			acc += p->share[k];
			if (r < acc) {
				score = 5 - k;
				break;
			}
		}
		out->ratings++;
		out->top += score == 5;
		out->middle += score == 3 || score == 4;
		out->quick += rng_next() < p->quick;
	}
}

/* How often, over SEEDS seeds, an agent of profile p with n ratings is suspect among 540 of the team's. */
static double flag_rate(const struct profile *p, int64_t n)
{
	struct integrity_counts agent, peers;
	struct integrity_result r;
	int flagged = 0;

	for (int seed = 1; seed <= SEEDS; seed++) {
		rng_state = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)seed;
		draw(p, n, &agent);
		draw(&TEAM, 540, &peers);
		integrity_judge(&agent, &peers, MIN_SAMPLES, z99, MARGIN, &r);
		flagged += r.suspect;
	}
	return (double)flagged / SEEDS;
}

/*
 * Generated agents over many seeds: a nudger is caught, and an honestly excellent agent with
 * the nudger's mean is flagged no more often than the documented bound (docs/alert-rules.md).
 */
static void test_generated(void **state)
{
	(void)state;
	for (int64_t n = 30; n <= 60; n += 30) {
		double excellent = flag_rate(&EXCELLENT, n), typical = flag_rate(&TEAM, n);
		double nudger = flag_rate(&NUDGER, n), slow = flag_rate(&NUDGER_SLOW, n);

		print_message("%d ratings: excellent %.4f, typical %.4f, nudger %.4f, slow nudger %.4f\n", (int)n,
		    excellent, typical, nudger, slow);
		assert_true(excellent <= FALSE_ALARM_BOUND);
		assert_true(typical <= FALSE_ALARM_BOUND);
		assert_true(nudger >= 0.99);
		assert_true(slow >= (n == 30 ? 0.5 : 0.8));
	}
}

/* Runs the rating integrity tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_generated),
	};

	return cmocka_run_group_tests_name("integrity", tests, setup, NULL);
}
