/* stats.h: the raw per-window counters and the dashboard figures made from them (pure). */
#ifndef FEEDBACKD_STATS_H
#define FEEDBACKD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Raw counters kept per bucket and per window total; order matches stats_counter_name(). */
enum counter {
	C_RATINGS,       /* "r":    all ratings, both scales */
	C_S5,            /* "s5":   scale-5 ratings */
	C_SATISFIED,     /* "sat":  scale-5 score 4-5 */
	C_NEUTRAL,       /* "neu":  scale-5 score 3 */
	C_DISSATISFIED,  /* "dis":  scale-5 score 1-2 */
	C_SCORE_SUM,     /* "ssum": sum of scale-5 scores */
	C_N10,           /* "n10":  scale-10 ratings */
	C_PROMOTERS,     /* "pro":  scale-10 score 9-10 */
	C_DETRACTORS,    /* "det":  scale-10 score 0-6 */
	C_COMPLAINTS,    /* "cmp" */
	C_REPLIES,       /* "rep":  every reply event */
	C_RESP_N,        /* "rn":   replies that closed a reply clock, first or next */
	C_RESP_SUM_MS,   /* "rsum": sum of their response times (business ms, as every time here) */
	C_RESP_MAX_MS,   /* "rmax": the longest (a maximum, not a sum) */
	C_SLA_MET,       /* "met":  reply clocks, first or next, answered within their target */
	C_SLA_MISSED,    /* "miss": reply clocks, first or next, not answered within it */
	/* The same for first-reply clocks alone; next-reply ones are the above less these. */
	C_FIRST_N,       /* "frn":    first-reply clocks closed by a reply */
	C_FIRST_SUM_MS,  /* "frsum":  sum of their response times */
	C_FIRST_MAX_MS,  /* "frmax":  the longest (a maximum) */
	C_FIRST_MET,     /* "frmet" */
	C_FIRST_MISSED,  /* "frmiss" */
	C_NEXT_MAX_MS,   /* "nrmax":  the longest response time of next-reply clocks (a maximum) */
	C_RES_N,         /* "rsn":    resolution clocks ended by `solved` */
	C_RES_SUM_MS,    /* "rssum":  sum of their resolution times */
	C_RES_MAX_MS,    /* "rsmax":  the longest (a maximum) */
	C_RES_MET,       /* "rsmet":  resolution clocks that met their target */
	C_RES_MISSED,    /* "rsmiss": resolution clocks that missed it */
	C_PROMISE_KEPT,  /* "pkept" */
	C_PROMISE_BROKEN, /* "pbroken" */
	/* Service recovery (recovery.h), counted for the complaint's agent. */
	C_RECOVERY_RATED, /* "rcrated": complaint tickets rated after the complaint (the first such rating) */
	C_RECOVERED,      /* "rcsat":   of those, rated satisfied (scale-5 4-5, scale-10 9-10) */
	C_FOLLOW_UP_MISSING, /* "fumiss": answered complaints not followed up within [recovery] follow_up_within */
	/* Rating integrity (integrity.h). */
	C_TOP,           /* "top":    ratings at the top of their scale: 5 of 5, 10 of 10 */
	C_QUICK,         /* "quick":  ratings stamped within INTEGRITY_QUICK_MS after the agent's latest reply */
	COUNTER_COUNT
};

/* What rating integrity (integrity.h) compares, in one window: an agent's counts, or its peers'. */
struct integrity_counts {
	int64_t ratings; /* both scales */
	int64_t top;     /* at the top of their scale: 5 of 5, 10 of 10 */
	int64_t middle;  /* below the top but not at the bottom: 3-4 of 5, 7-9 of 10 */
	int64_t quick;   /* stamped within INTEGRITY_QUICK_MS after the agent's latest reply */
};

/* One window's counters, the percentiles of its response times (histogram.c), a group's agents. */
struct totals {
	int64_t c[COUNTER_COUNT];
	int64_t resp_n;                /* response times in the histogram: 0 when none (all below 0) */
	int64_t resp_p50_ms, resp_p90_ms;
	bool group;                    /* a team's or the site's (group.h): agents is shown */
	int64_t agents;                /* its agents with an event in the window */
	/* Rating integrity: the agent's peers (its team, or the site, less itself), when known. */
	bool peers_known;
	struct integrity_counts peers;
};

/* The short field name of a counter in Redis ("sat"). */
const char *stats_counter_name(enum counter c);

/* Whether counter c keeps the largest value added (the ..._MAX_MS ones), not their sum. */
bool stats_counter_is_max(enum counter c);

/* Figures per window: the fields "<prefix>_<window>" of docs/redis-keys.md, in its order. */
#define STATS_FIGURES 37

/* Figure i's field prefix ("csat" for "csat_24h"); i < STATS_FIGURES. */
const char *stats_figure_prefix(int i);

/* The decimals of figure i's text (csat: 1, "72.5"); i < STATS_FIGURES. */
int stats_figure_decimals(int i);

/*
 * One window's figures: value[i] is figure i scaled by 10^decimals (its text is
 * stats_format_fixed(value[i], stats_figure_decimals(i))); have[i] is false when the figure
 * has no value, and its field is absent.
 */
void stats_figures(const struct totals *t, int64_t value[STATS_FIGURES], bool have[STATS_FIGURES]);

/* num/den rounded half away from zero; den must be > 0. */
int64_t stats_div_round(int64_t num, int64_t den);

/*
 * Fixed-point formatting: (725, 1) -> "72.5", (-35, 1) -> "-3.5", (412, 2) -> "4.12". Returns
 * the text's length; a buffer too short for it gets a terminated prefix.
 */
size_t stats_format_fixed(int64_t scaled, int decimals, char *buf, size_t size);

/* Figures as scaled integers; false when there are no samples. */
bool stats_csat_tenths(const struct totals *t, int64_t *out);        /* percent x10 */
bool stats_dsat_tenths(const struct totals *t, int64_t *out);        /* percent x10 */
bool stats_score_avg_hundredths(const struct totals *t, int64_t *out);
bool stats_nps_tenths(const struct totals *t, int64_t *out);         /* -1000..1000 */
bool stats_complaint_rate_tenths(const struct totals *t, int64_t *out); /* per 100 replies, x10 */
bool stats_resp_avg_s(const struct totals *t, int64_t *out);         /* whole seconds */
bool stats_recovery_rate_tenths(const struct totals *t, int64_t *out); /* percent x10 */

#endif
