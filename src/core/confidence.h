/* confidence.h: confidence intervals for proportions and NPS (pure arithmetic). */
#ifndef FEEDBACKD_CONFIDENCE_H
#define FEEDBACKD_CONFIDENCE_H

#include <stdbool.h>
#include <stdint.h>

/* Two-sided normal quantile of a confidence level: 0.95 -> 1.959964; NaN outside (0, 1). */
double confidence_z(double confidence);

/* Wilson score interval of k successes out of n in [0, 1]; false on bad counts. */
bool confidence_wilson(int64_t k, int64_t n, double z, double *lo, double *hi);

/* Adjusted-Wald interval of NPS = (promoters - detractors) / n in [-1, 1]; false on bad counts. */
bool confidence_nps(int64_t promoters, int64_t detractors, int64_t n, double z,
    double *lo, double *hi);

#endif
