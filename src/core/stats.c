/* stats.c: the raw per-window counters and the dashboard figures made from them (pure). */

#include <inttypes.h>
#include <stdio.h>

#include "stats.h"

/* Room for the longest contract field prefix, "_", and a 15-byte window name. */
#define STATS_FIELD_SIZE 64
/* Room for any int64_t in decimal, sign and point included. */
#define STATS_VALUE_SIZE 32
/* 10^18 is the largest power of ten an int64_t holds. */
#define STATS_MAX_DECIMALS 18

static const char *const stats_counter_names[COUNTER_COUNT] = {
	"r", "s5", "sat", "neu", "dis", "ssum", "n10", "pro",
	"det", "cmp", "rep", "rn", "rsum", "rmax", "met", "miss"
};

/* The short field name of a counter in Redis ("sat"); NULL when out of range. */
const char *
stats_counter_name(enum counter c)
{
	if ((unsigned)c >= COUNTER_COUNT)
		return NULL;
	return stats_counter_names[c];
}

/* num/den rounded half away from zero; den must be > 0. */
int64_t
stats_div_round(int64_t num, int64_t den)
{
	int64_t	q, r, ar;

	/* A caller bug must not become a division by zero; 0 is the least harmful. */
	if (den <= 0)
		return 0;
	q = num / den;
	r = num % den;
	ar = r < 0 ? -r : r;
	/* ar >= den - ar is 2*ar >= den without the overflow. */
	if (ar >= den - ar)
		q += num < 0 ? -1 : 1;
	return q;
}

/* Fixed-point formatting: (725, 1) -> "72.5", (-35, 1) -> "-3.5", (412, 2) -> "4.12". */
size_t
stats_format_fixed(int64_t scaled, int decimals, char *buf, size_t size)
{
	uint64_t	mag, p = 1;
	int		n;

	if (buf == NULL || size == 0)
		return 0;
	if (decimals < 0)
		decimals = 0;
	if (decimals > STATS_MAX_DECIMALS)
		decimals = STATS_MAX_DECIMALS;
	for (int i = 0; i < decimals; i++)
		p *= 10;
	/* Unsigned magnitude, so INT64_MIN has one too. */
	mag = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
	/* The sign is written apart so -0.5 keeps it though its integer part is 0. */
	if (decimals == 0)
		n = snprintf(buf, size, "%s%" PRIu64, scaled < 0 ? "-" : "", mag);
	else
		n = snprintf(buf, size, "%s%" PRIu64 ".%0*" PRIu64, scaled < 0 ? "-" : "",
		    mag / p, decimals, mag % p);
	return (size_t)n;
}

/* Percent of scale-5 ratings that are satisfied, x10. */
bool
stats_csat_tenths(const struct totals *t, int64_t *out)
{
	if (t->c[C_S5] <= 0)
		return false;
	*out = stats_div_round(1000 * t->c[C_SATISFIED], t->c[C_S5]);
	return true;
}

/* Mean scale-5 score, x100. */
bool
stats_score_avg_hundredths(const struct totals *t, int64_t *out)
{
	if (t->c[C_S5] <= 0)
		return false;
	*out = stats_div_round(100 * t->c[C_SCORE_SUM], t->c[C_S5]);
	return true;
}

/* Net promoter score (-100..100), x10. */
bool
stats_nps_tenths(const struct totals *t, int64_t *out)
{
	if (t->c[C_N10] <= 0)
		return false;
	*out = stats_div_round(1000 * (t->c[C_PROMOTERS] - t->c[C_DETRACTORS]),
	    t->c[C_N10]);
	return true;
}

/* Complaints per 100 replies, x10. */
bool
stats_complaint_rate_tenths(const struct totals *t, int64_t *out)
{
	if (t->c[C_REPLIES] <= 0)
		return false;
	*out = stats_div_round(1000 * t->c[C_COMPLAINTS], t->c[C_REPLIES]);
	return true;
}

/* Mean response time of replies that closed a clock, in whole seconds. */
bool
stats_resp_avg_s(const struct totals *t, int64_t *out)
{
	if (t->c[C_RESP_N] <= 0)
		return false;
	/* One rounding of the exact mean, not a rounded mean rounded again. */
	*out = stats_div_round(t->c[C_RESP_SUM_MS], t->c[C_RESP_N] * 1000);
	return true;
}

/* The longest response time of replies that closed a clock, in whole seconds; defined with the mean. */
static bool
stats_resp_max_s(const struct totals *t, int64_t *out)
{
	if (t->c[C_RESP_N] <= 0)
		return false;
	*out = stats_div_round(t->c[C_RESP_MAX_MS], 1000);
	return true;
}

/* How one figure of a window is made: a count shown as it is, or a ratio that may be absent. */
struct stats_figure {
	const char *prefix;
	int decimals;
	int counter;   /* enum counter of a plain count (always present), or -1 */
	bool (*ratio)(const struct totals *t, int64_t *out);
};

/* The figures of one window, in the order of docs/redis-keys.md: the one list of them. */
static const struct stats_figure stats_table[STATS_FIGURES] = {
	{"ratings", 0, C_RATINGS, NULL},
	{"satisfied", 0, C_SATISFIED, NULL},
	{"neutral", 0, C_NEUTRAL, NULL},
	{"dissatisfied", 0, C_DISSATISFIED, NULL},
	{"csat", 1, -1, stats_csat_tenths},
	{"score_avg", 2, -1, stats_score_avg_hundredths},
	{"nps_ratings", 0, C_N10, NULL},
	{"nps", 1, -1, stats_nps_tenths},
	{"complaints", 0, C_COMPLAINTS, NULL},
	{"replies", 0, C_REPLIES, NULL},
	{"complaint_rate", 1, -1, stats_complaint_rate_tenths},
	{"resp_avg_s", 0, -1, stats_resp_avg_s},
	{"resp_max_s", 0, -1, stats_resp_max_s},
	{"reply_sla_met", 0, C_SLA_MET, NULL},
	{"reply_sla_missed", 0, C_SLA_MISSED, NULL},
};

/* Figure i's field prefix ("csat" for "csat_24h"). */
const char *
stats_figure_prefix(int i)
{
	return stats_table[i].prefix;
}

/* The decimals of figure i's text. */
int
stats_figure_decimals(int i)
{
	return stats_table[i].decimals;
}

/* One window's figures as scaled integers, and which of them have a value. */
void
stats_figures(const struct totals *t, int64_t value[STATS_FIGURES], bool have[STATS_FIGURES])
{
	for (int i = 0; i < STATS_FIGURES; i++) {
		const struct stats_figure *f = &stats_table[i];

		value[i] = 0;
		if (f->ratio == NULL) {
			value[i] = t->c[f->counter];
			have[i] = true;
		} else
			have[i] = f->ratio(t, &value[i]);
	}
}

/* Emits every contract field of one window ("csat_24h" = "72.0", ...). */
void
stats_render(const char *window_name, const struct totals *t, stats_field_fn fn, void *ctx)
{
	char	field[STATS_FIELD_SIZE], value[STATS_VALUE_SIZE];
	int64_t	v[STATS_FIGURES];
	bool	have[STATS_FIGURES];

	stats_figures(t, v, have);
	for (int i = 0; i < STATS_FIGURES; i++) {
		snprintf(field, sizeof field, "%s_%s", stats_table[i].prefix, window_name);
		if (have[i])
			stats_format_fixed(v[i], stats_table[i].decimals, value, sizeof value);
		fn(ctx, field, have[i] ? value : NULL);
	}
}
