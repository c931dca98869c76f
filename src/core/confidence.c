/* confidence.c: confidence intervals for proportions and NPS (pure arithmetic). */

#include <math.h>

#include "confidence.h"

/*
 * NPS pseudo-counts of the adjusted-Wald interval (Rocks 2016): 3/4 of a
 * promoter, 3/4 of a detractor and, implicitly, 3/2 of a passive, 3 in all.
 */
#define CONFIDENCE_NPS_PSEUDO 0.75
#define CONFIDENCE_NPS_ADDED 3.0

/* Beyond these tails Acklam's approximation switches to its tail formula. */
#define CONFIDENCE_P_LOW 0.02425
#define CONFIDENCE_P_HIGH (1 - CONFIDENCE_P_LOW)

/* x limited to [lo, hi]. */
static double
confidence_clamp(double x, double lo, double hi)
{
	if (x < lo)
		return lo;
	if (x > hi)
		return hi;
	return x;
}

/*
 * The standard normal quantile: the x with P(Z <= x) = p, for 0 < p < 1.
 * P. J. Acklam's rational approximation ("An algorithm for computing the
 * inverse normal cumulative distribution function", 2003; relative error
 * under 1.15e-9), then one step of Halley's method against erfc(), which
 * brings it to about double precision.
 */
static double
confidence_probit(double p)
{
	static const double a[] = {
		-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
		1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
	};
	static const double b[] = {
		-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
		6.680131188771972e+01, -1.328068155288572e+01,
	};
	static const double c[] = {
		-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
		-2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
	};
	static const double d[] = {
		7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
		3.754408661907416e+00,
	};
	double	q, r, x, e, u;

	if (p < CONFIDENCE_P_LOW || p > CONFIDENCE_P_HIGH) {
		/* Tails, the upper one by symmetry. */
		q = sqrt(-2 * log(p < CONFIDENCE_P_LOW ? p : 1 - p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
		if (p > CONFIDENCE_P_HIGH)
			x = -x;
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	/* Halley: e is the error in probability, u the step Newton would take. */
	e = 0.5 * erfc(-x / sqrt(2)) - p;
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

/* Two-sided normal quantile of a confidence level: 0.95 -> 1.959964; NaN outside (0, 1). */
double
confidence_z(double confidence)
{
	/* The negated test also refuses NaN. */
	if (!(confidence > 0 && confidence < 1))
		return NAN;
	return confidence_probit((1 + confidence) / 2);
}

/*
 * Wilson score interval (E. B. Wilson, "Probable inference, the law of
 * succession, and statistical inference", JASA 22, 1927; recommended by Brown,
 * Cai and DasGupta, "Interval estimation for a binomial proportion",
 * Statistical Science 16, 2001):
 *   (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n),  p = k/n.
 */
bool
confidence_wilson(int64_t k, int64_t n, double z, double *lo, double *hi)
{
	double	p, z2, den, center, half;

	*lo = 0;
	*hi = 1;
	if (n <= 0 || k < 0 || k > n)
		return false;
	p = (double)k / (double)n;
	z2 = z * z;
	den = 1 + z2 / (double)n;
	center = (p + z2 / (2 * (double)n)) / den;
	half = z * sqrt(p * (1 - p) / (double)n + z2 / (4 * (double)n * (double)n)) / den;
	/* At k = 0 or k = n one bound is exactly 0 or 1; rounding must not move it. */
	*lo = k == 0 ? 0 : confidence_clamp(center - half, 0, 1);
	*hi = k == n ? 1 : confidence_clamp(center + half, 0, 1);
	return true;
}

/*
 * NPS interval: the adjusted-Wald method that B. Rocks found best of six in
 * "Interval estimation for the 'Net Promoter Score'", The American
 * Statistician 70(4), 2016 (also J. Lewis and J. Sauro, MeasuringU, 2021).
 * Add 3 to n and 3/4 to promoters and to detractors; with the adjusted
 * shares pp and pd, NPS' = pp - pd, Var = pp + pd - NPS'^2 (each response a
 * -1/0/+1 score) and the interval is NPS' -+ z sqrt(Var / (n + 3)). Like
 * Wilson's, it pulls small samples towards the middle and never collapses to
 * a point at 0 or n promoters.
 */
bool
confidence_nps(int64_t promoters, int64_t detractors, int64_t n, double z,
    double *lo, double *hi)
{
	double	na, pp, pd, nps, var;

	*lo = -1;
	*hi = 1;
	if (n <= 0 || promoters < 0 || detractors < 0 || promoters > n ||
	    detractors > n - promoters)
		return false;
	na = (double)n + CONFIDENCE_NPS_ADDED;
	pp = ((double)promoters + CONFIDENCE_NPS_PSEUDO) / na;
	pd = ((double)detractors + CONFIDENCE_NPS_PSEUDO) / na;
	nps = pp - pd;
	var = pp + pd - nps * nps;
	*lo = confidence_clamp(nps - z * sqrt(var / na), -1, 1);
	*hi = confidence_clamp(nps + z * sqrt(var / na), -1, 1);
	return true;
}
