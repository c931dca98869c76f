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
void
stats_format_fixed(int64_t scaled, int decimals, char *buf, size_t size)
{
	uint64_t	mag, p = 1;

	if (buf == NULL || size == 0)
		return;
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
		snprintf(buf, size, "%s%" PRIu64, scaled < 0 ? "-" : "", mag);
	else
		snprintf(buf, size, "%s%" PRIu64 ".%0*" PRIu64, scaled < 0 ? "-" : "",
		    mag / p, decimals, mag % p);
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

/* Emits one field "<prefix>_<window>", value absent when have is false. */
static void
stats_emit(stats_field_fn fn, void *ctx, const char *prefix, const char *window_name,
    bool have, int64_t scaled, int decimals)
{
	char	field[STATS_FIELD_SIZE], value[STATS_VALUE_SIZE];

	snprintf(field, sizeof field, "%s_%s", prefix, window_name);
	if (!have) {
		fn(ctx, field, NULL);
		return;
	}
	stats_format_fixed(scaled, decimals, value, sizeof value);
	fn(ctx, field, value);
}

/* Emits every contract field of one window ("csat_24h" = "72.0", ...). */
void
stats_render(const char *window_name, const struct totals *t, stats_field_fn fn, void *ctx)
{
	const int64_t	*c = t->c;
	int64_t		 v = 0;
	bool		 have;

	stats_emit(fn, ctx, "ratings", window_name, true, c[C_RATINGS], 0);
	stats_emit(fn, ctx, "satisfied", window_name, true, c[C_SATISFIED], 0);
	stats_emit(fn, ctx, "neutral", window_name, true, c[C_NEUTRAL], 0);
	stats_emit(fn, ctx, "dissatisfied", window_name, true, c[C_DISSATISFIED], 0);
	have = stats_csat_tenths(t, &v);
	stats_emit(fn, ctx, "csat", window_name, have, v, 1);
	have = stats_score_avg_hundredths(t, &v);
	stats_emit(fn, ctx, "score_avg", window_name, have, v, 2);
	stats_emit(fn, ctx, "nps_ratings", window_name, true, c[C_N10], 0);
	have = stats_nps_tenths(t, &v);
	stats_emit(fn, ctx, "nps", window_name, have, v, 1);
	stats_emit(fn, ctx, "complaints", window_name, true, c[C_COMPLAINTS], 0);
	stats_emit(fn, ctx, "replies", window_name, true, c[C_REPLIES], 0);
	have = stats_complaint_rate_tenths(t, &v);
	stats_emit(fn, ctx, "complaint_rate", window_name, have, v, 1);
	have = stats_resp_avg_s(t, &v);
	stats_emit(fn, ctx, "resp_avg_s", window_name, have, v, 0);
	/* The max is meaningful exactly when the mean is. */
	stats_emit(fn, ctx, "resp_max_s", window_name, have,
	    stats_div_round(c[C_RESP_MAX_MS], 1000), 0);
	stats_emit(fn, ctx, "reply_sla_met", window_name, true, c[C_SLA_MET], 0);
	stats_emit(fn, ctx, "reply_sla_missed", window_name, true, c[C_SLA_MISSED], 0);
}
