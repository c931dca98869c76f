/* test_confidence.c: the normal quantile, Wilson intervals and the NPS interval. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "confidence.h"

/* Asserts |a - b| <= tol, with the numbers in the message. */
static void
test_near(double a, double b, double tol)
{
	if (!(fabs(a - b) <= tol))
		fail_msg("%.9f is not within %g of %.9f", a, tol, b);
}

/* Checks one Wilson interval at 95% against a reference. */
static void
test_wilson95(int64_t k, int64_t n, double lo, double hi, double tol)
{
	double	l, h;

	assert_true(confidence_wilson(k, n, confidence_z(0.95), &l, &h));
	test_near(l, lo, tol);
	test_near(h, hi, tol);
}

/* Two-sided quantiles, as in any normal table (NIST/SEMATECH e-Handbook 1.3.6.7.1). */
static void
test_z(void **state)
{
	(void)state;
	test_near(confidence_z(0.90), 1.644854, 1e-5);
	test_near(confidence_z(0.95), 1.959964, 1e-5);
	test_near(confidence_z(0.99), 2.575829, 1e-5);
	/* After the Halley step the error is far below Acklam's 1.15e-9 relative. */
	test_near(confidence_z(0.95), 1.959963984540054, 1e-12);
	/* Both branches of Acklam's approximation: the centre and a tail. */
	test_near(confidence_z(0.5), 0.674489750196082, 1e-12);
	test_near(confidence_z(0.999), 3.290526731491926, 1e-11);
	test_near(confidence_z(0.999999), 4.891638475714779, 1e-9);
	/* Small levels: z goes to 0. */
	test_near(confidence_z(0.01), 0.012533469508, 1e-11);
	assert_true(isnan(confidence_z(0)));
	assert_true(isnan(confidence_z(1)));
	assert_true(isnan(confidence_z(-0.5)));
	assert_true(isnan(confidence_z(1.5)));
	assert_true(isnan(confidence_z(NAN)));
}

/*
 * Wilson score intervals at 95%. Newcombe, "Two-sided confidence intervals for
 * the single proportion: comparison of seven methods", Statistics in Medicine
 * 17 (1998) 857-872, Table II, method 3 (score interval without continuity
 * correction), gives these to 4 decimals.
 */
static void
test_wilson_newcombe(void **state)
{
	(void)state;
	test_wilson95(81, 263, 0.2553, 0.3662, 5e-5);
	test_wilson95(15, 148, 0.0624, 0.1605, 5e-5);
	test_wilson95(0, 20, 0.0000, 0.1611, 5e-5);
	test_wilson95(1, 29, 0.0061, 0.1718, 5e-5);
}

/*
 * The cases the rules rely on. 8/10 is the example, "about [0.490,
 * 0.943]". The 6-decimal values were computed independently from Wilson's
 * formula with Python's statistics.NormalDist().inv_cdf(0.975); the closed
 * forms at k = 0 and k = n are z^2/(n+z^2) and n/(n+z^2).
 */
static void
test_wilson_known(void **state)
{
	double	lo, hi;

	(void)state;
	test_wilson95(8, 10, 0.490162, 0.943318, 1e-6);
	test_wilson95(17, 20, 0.639581, 0.947631, 1e-6);
	test_wilson95(10, 25, 0.234033, 0.592605, 1e-6);
	/* 0/10: the lower bound is exactly 0, not a rounding error either side. */
	assert_true(confidence_wilson(0, 10, confidence_z(0.95), &lo, &hi));
	assert_true(lo == 0.0);
	test_near(hi, 0.277533, 1e-6);
	/* 10/10: the upper bound is exactly 1. */
	assert_true(confidence_wilson(10, 10, confidence_z(0.95), &lo, &hi));
	test_near(lo, 0.722467, 1e-6);
	assert_true(hi == 1.0);
	/* A lower confidence narrows the interval: 8/10 at 90%. */
	assert_true(confidence_wilson(8, 10, confidence_z(0.90), &lo, &hi));
	test_near(lo, 0.540793, 1e-6);
	test_near(hi, 0.931442, 1e-6);
	/* z = 0 is the point estimate. */
	assert_true(confidence_wilson(3, 4, 0, &lo, &hi));
	test_near(lo, 0.75, 1e-15);
	test_near(hi, 0.75, 1e-15);
}

/* Counts that make no proportion give the whole range and false. */
static void
test_wilson_bad_counts(void **state)
{
	static const int64_t bad[][2] = { { 0, 0 }, { 1, 0 }, { -1, 10 }, { 11, 10 }, { 0, -5 } };
	double	lo, hi;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		lo = hi = 0.5;
		assert_false(confidence_wilson(bad[i][0], bad[i][1], 1.96, &lo, &hi));
		assert_true(lo == 0.0 && hi == 1.0);
	}
}

/* Every bound of every k/n for small n is in [0, 1], ordered, and around k/n. */
static void
test_wilson_contains_estimate(void **state)
{
	double	lo, hi, z = confidence_z(0.99);

	(void)state;
	for (int64_t n = 1; n <= 60; n++) {
		for (int64_t k = 0; k <= n; k++) {
			double	p = (double)k / (double)n;

			assert_true(confidence_wilson(k, n, z, &lo, &hi));
			assert_true(lo >= 0 && hi <= 1 && lo <= p && p <= hi);
			assert_true(hi - lo > 0);
		}
	}
}

/*
 * NPS adjusted-Wald (Rocks 2016): n + 3, promoters and detractors + 3/4.
 * Reference values computed independently in Python from that recipe.
 */
static void
test_nps_known(void **state)
{
	double	lo, hi, z = confidence_z(0.95);

	(void)state;
	/* 30 promoters, 10 detractors of 60: NPS 33.3, adjusted centre 20/63 = 0.31746. */
	assert_true(confidence_nps(30, 10, 60, z, &lo, &hi));
	test_near(lo, 0.133012, 1e-6);
	test_near(hi, 0.501909, 1e-6);
	assert_true(confidence_nps(50, 20, 100, z, &lo, &hi));
	test_near(lo, 0.140511, 1e-6);
	test_near(hi, 0.442013, 1e-6);
	/* A negative score: 8 promoters, 12 detractors of 40. */
	assert_true(confidence_nps(8, 12, 40, z, &lo, &hi));
	test_near(lo, -0.302535, 1e-6);
	test_near(hi, 0.116488, 1e-6);
}

/* Equal promoters and detractors: centred on 0; and mirrored counts mirror the interval. */
static void
test_nps_symmetric(void **state)
{
	double	lo, hi, lo2, hi2, z = confidence_z(0.95);

	(void)state;
	assert_true(confidence_nps(5, 5, 20, z, &lo, &hi));
	test_near(lo, -0.288981, 1e-6);
	test_near(hi, 0.288981, 1e-6);
	test_near(lo, -hi, 1e-15);
	/* All passives: the same centre, a narrower interval (less variance). */
	assert_true(confidence_nps(0, 0, 20, z, &lo2, &hi2));
	test_near(lo2, -hi2, 1e-15);
	assert_true(hi2 < hi);
	assert_true(confidence_nps(8, 12, 40, z, &lo, &hi));
	assert_true(confidence_nps(12, 8, 40, z, &lo2, &hi2));
	test_near(lo, -hi2, 1e-15);
	test_near(hi, -lo2, 1e-15);
}

/* All promoters or all detractors: the bound past +-1 is clamped, the other is not. */
static void
test_nps_clamped(void **state)
{
	double	lo, hi, z = confidence_z(0.95);

	(void)state;
	/* Unclamped, 10/10 promoters would give [0.475036, 1.063426]. */
	assert_true(confidence_nps(10, 0, 10, z, &lo, &hi));
	assert_true(hi == 1.0);
	test_near(lo, 0.475036, 1e-6);
	assert_true(confidence_nps(0, 10, 10, z, &lo, &hi));
	assert_true(lo == -1.0);
	test_near(hi, -0.475036, 1e-6);
	/* A single response keeps within range too. */
	assert_true(confidence_nps(1, 0, 1, z, &lo, &hi));
	assert_true(lo >= -1 && hi <= 1 && lo < hi);
}

/* The same mix with more responses: the interval shrinks, and stays around the score. */
static void
test_nps_shrinks(void **state)
{
	double	lo, hi, width = 3, z = confidence_z(0.95);

	(void)state;
	/* 50% promoters, 20% detractors: NPS 0.3. */
	for (int64_t n = 20; n <= 5120; n *= 4) {
		assert_true(confidence_nps(n / 2, n / 5, n, z, &lo, &hi));
		assert_true(hi - lo < width);
		assert_true(lo < 0.3 && 0.3 < hi);
		width = hi - lo;
	}
	/* At n = 5120 the half-width is about z * sqrt(0.61 / 5120) = 0.0214. */
	test_near(width / 2, 1.959964 * sqrt(0.61 / 5123), 2e-4);
}

/* Impossible counts give [-1, 1] and false. */
static void
test_nps_bad_counts(void **state)
{
	double	lo, hi;

	(void)state;
	assert_false(confidence_nps(0, 0, 0, 1.96, &lo, &hi));
	assert_true(lo == -1.0 && hi == 1.0);
	assert_false(confidence_nps(6, 5, 10, 1.96, &lo, &hi));
	assert_true(lo == -1.0 && hi == 1.0);
	assert_false(confidence_nps(-1, 0, 10, 1.96, &lo, &hi));
	assert_false(confidence_nps(0, -1, 10, 1.96, &lo, &hi));
	assert_false(confidence_nps(11, 0, 10, 1.96, &lo, &hi));
	assert_true(confidence_nps(5, 5, 10, 1.96, &lo, &hi));
}

/* Runs every test. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_z),
		cmocka_unit_test(test_wilson_newcombe),
		cmocka_unit_test(test_wilson_known),
		cmocka_unit_test(test_wilson_bad_counts),
		cmocka_unit_test(test_wilson_contains_estimate),
		cmocka_unit_test(test_nps_known),
		cmocka_unit_test(test_nps_symmetric),
		cmocka_unit_test(test_nps_clamped),
		cmocka_unit_test(test_nps_shrinks),
		cmocka_unit_test(test_nps_bad_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
