/* stats.c: the raw per-window counters and the dashboard figures made from them (pure). */

#include <string.h>

#include "stats.h"

/* Room for any int64_t in decimal, sign and point included: 21 bytes at most. */
#define STATS_VALUE_SIZE 32
/* More decimals are cut to this many: an int64_t has at most 19 digits. */
#define STATS_MAX_DECIMALS 18

static const char *const stats_counter_names[COUNTER_COUNT] = {
	"r", "s5", "sat", "neu", "dis", "ssum", "n10", "pro",
	"det", "cmp", "rep", "rn", "rsum", "rmax", "met", "miss",
	"frn", "frsum", "frmax", "frmet", "frmiss", "nrmax",
	"rsn", "rssum", "rsmax", "rsmet", "rsmiss", "pkept", "pbroken",
	"rcrated", "rcsat", "fumiss", "top", "quick"
};

/* The short field name of a counter in Redis ("sat"); NULL when out of range. */
const char *
stats_counter_name(enum counter c)
{
	if ((unsigned)c >= COUNTER_COUNT)
		return NULL;
	return stats_counter_names[c];
}

/* Whether counter c keeps the largest value added, not their sum: the one list of maxima. */
bool
stats_counter_is_max(enum counter c)
{
	return c == C_RESP_MAX_MS || c == C_FIRST_MAX_MS || c == C_NEXT_MAX_MS || c == C_RES_MAX_MS;
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

/*
 * Fixed-point formatting: (725, 1) -> "72.5", (-35, 1) -> "-3.5", (412, 2) -> "4.12". Digits
 * are made from the right, with no snprintf: this runs for every figure written.
 */
size_t
stats_format_fixed(int64_t scaled, int decimals, char *buf, size_t size)
{
	char		 text[STATS_VALUE_SIZE], *p = text + sizeof text;
	uint64_t	 mag;
	int		 digits = 0;
	size_t		 len, n;

	if (decimals < 0)
		decimals = 0;
	if (decimals > STATS_MAX_DECIMALS)
		decimals = STATS_MAX_DECIMALS;
	/* Unsigned magnitude, so INT64_MIN has one too. */
	mag = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
	/* At least one digit before the point: 7 with 2 decimals is "0.07". */
	do {
		*--p = (char)('0' + mag % 10);
		mag /= 10;
		if (++digits == decimals)
			*--p = '.';
	} while (mag > 0 || digits <= decimals);
	/* The sign is written apart so -0.5 keeps it though its integer part is 0. */
	if (scaled < 0)
		*--p = '-';
	len = (size_t)(text + sizeof text - p);
	if (buf == NULL || size == 0)
		return len;
	n = len < size - 1 ? len : size - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return len;
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

/*
 * Percent of scale-5 ratings that are dissatisfied (1-2), x10: a scale of its own, not
 * 100 - CSAT, since the neutral 3s lie between the two.
 */
bool
stats_dsat_tenths(const struct totals *t, int64_t *out)
{
	if (t->c[C_S5] <= 0)
		return false;
	*out = stats_div_round(1000 * t->c[C_DISSATISFIED], t->c[C_S5]);
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

/* The mean of n times summing sum_ms, in whole seconds; false when there are none. */
static bool
stats_mean_s(int64_t n, int64_t sum_ms, int64_t *out)
{
	if (n <= 0)
		return false;
	/* One rounding of the exact mean, not a rounded mean rounded again. */
	*out = stats_div_round(sum_ms, n * 1000);
	return true;
}

/* The longest of n times, max_ms, in whole seconds; defined with their mean. */
static bool
stats_longest_s(int64_t n, int64_t max_ms, int64_t *out)
{
	if (n <= 0)
		return false;
	*out = stats_div_round(max_ms, 1000);
	return true;
}

/* Mean response time of replies that closed a clock, in whole seconds. */
bool
stats_resp_avg_s(const struct totals *t, int64_t *out)
{
	return stats_mean_s(t->c[C_RESP_N], t->c[C_RESP_SUM_MS], out);
}

/* The longest response time of replies that closed a clock, in whole seconds; defined with the mean. */
static bool
stats_resp_max_s(const struct totals *t, int64_t *out)
{
	return stats_longest_s(t->c[C_RESP_N], t->c[C_RESP_MAX_MS], out);
}

/* The median response time in whole seconds, from the histogram (within 2%). */
static bool
stats_resp_p50_s(const struct totals *t, int64_t *out)
{
	if (t->resp_n <= 0)
		return false;
	*out = stats_div_round(t->resp_p50_ms, 1000);
	return true;
}

/* The 90th percentile response time in whole seconds, from the histogram (within 2%). */
static bool
stats_resp_p90_s(const struct totals *t, int64_t *out)
{
	if (t->resp_n <= 0)
		return false;
	*out = stats_div_round(t->resp_p90_ms, 1000);
	return true;
}

/* A group's agents with an event in the window; an agent's own hash has no such field. */
static bool
stats_agents(const struct totals *t, int64_t *out)
{
	*out = t->agents;
	return t->group;
}

/* Whether some first-reply clock was judged met or missed. */
static bool
stats_first_judged(const struct totals *t)
{
	return t->c[C_FIRST_MET] + t->c[C_FIRST_MISSED] > 0;
}

/* Mean response time of first-reply clocks closed by a reply, in whole seconds. */
static bool
stats_first_avg_s(const struct totals *t, int64_t *out)
{
	return stats_mean_s(t->c[C_FIRST_N], t->c[C_FIRST_SUM_MS], out);
}

/* The longest response time of first-reply clocks closed by a reply, in whole seconds. */
static bool
stats_first_max_s(const struct totals *t, int64_t *out)
{
	return stats_longest_s(t->c[C_FIRST_N], t->c[C_FIRST_MAX_MS], out);
}

/* Whether some next-reply clock (a reply clock that is no first-reply one) was judged. */
static bool
stats_next_judged(const struct totals *t)
{
	return t->c[C_SLA_MET] - t->c[C_FIRST_MET] + t->c[C_SLA_MISSED] - t->c[C_FIRST_MISSED] > 0;
}

/* Next-reply clocks met: every reply clock met less the first-reply ones. */
static bool
stats_next_met(const struct totals *t, int64_t *out)
{
	if (!stats_next_judged(t))
		return false;
	*out = t->c[C_SLA_MET] - t->c[C_FIRST_MET];
	return true;
}

/* Next-reply clocks missed: every reply clock missed less the first-reply ones. */
static bool
stats_next_missed(const struct totals *t, int64_t *out)
{
	if (!stats_next_judged(t))
		return false;
	*out = t->c[C_SLA_MISSED] - t->c[C_FIRST_MISSED];
	return true;
}

/* Mean response time of next-reply clocks closed by a reply, in whole seconds. */
static bool
stats_next_avg_s(const struct totals *t, int64_t *out)
{
	return stats_mean_s(t->c[C_RESP_N] - t->c[C_FIRST_N], t->c[C_RESP_SUM_MS] - t->c[C_FIRST_SUM_MS],
	    out);
}

/* The longest response time of next-reply clocks closed by a reply, in whole seconds. */
static bool
stats_next_max_s(const struct totals *t, int64_t *out)
{
	return stats_longest_s(t->c[C_RESP_N] - t->c[C_FIRST_N], t->c[C_NEXT_MAX_MS], out);
}

/* Whether some resolution clock was judged met or missed. */
static bool
stats_res_judged(const struct totals *t)
{
	return t->c[C_RES_MET] + t->c[C_RES_MISSED] > 0;
}

/* Mean resolution time of clocks ended by `solved`, in whole seconds. */
static bool
stats_res_avg_s(const struct totals *t, int64_t *out)
{
	return stats_mean_s(t->c[C_RES_N], t->c[C_RES_SUM_MS], out);
}

/* The longest resolution time of clocks ended by `solved`, in whole seconds. */
static bool
stats_res_max_s(const struct totals *t, int64_t *out)
{
	return stats_longest_s(t->c[C_RES_N], t->c[C_RES_MAX_MS], out);
}

/* Whether some promise was kept or broken. */
static bool
stats_promised(const struct totals *t)
{
	return t->c[C_PROMISE_KEPT] + t->c[C_PROMISE_BROKEN] > 0;
}

/* Whether the window has a complaint or a recovery outcome: its recovery counts are shown then. */
static bool
stats_recovery_seen(const struct totals *t)
{
	return t->c[C_COMPLAINTS] + t->c[C_RECOVERY_RATED] + t->c[C_FOLLOW_UP_MISSING] > 0;
}

/* Percent of complaint tickets rated after the complaint that were rated satisfied, x10. */
bool
stats_recovery_rate_tenths(const struct totals *t, int64_t *out)
{
	if (t->c[C_RECOVERY_RATED] <= 0)
		return false;
	*out = stats_div_round(1000 * t->c[C_RECOVERED], t->c[C_RECOVERY_RATED]);
	return true;
}

/*
 * How one figure of a window is made: a counter shown as it is, present always or while
 * present() holds; or a value worked out from several counters, which may be absent.
 */
struct stats_figure {
	const char *prefix;
	int decimals;
	int counter;   /* enum counter of a count, or -1 */
	bool (*present)(const struct totals *t); /* a count's condition; NULL: always present */
	bool (*value)(const struct totals *t, int64_t *out); /* with counter -1: false when absent */
};

/* The figures of one window, in the order of docs/redis-keys.md: the one list of them. */
static const struct stats_figure stats_table[STATS_FIGURES] = {
	{"ratings", 0, C_RATINGS, NULL, NULL},
	{"satisfied", 0, C_SATISFIED, NULL, NULL},
	{"neutral", 0, C_NEUTRAL, NULL, NULL},
	{"dissatisfied", 0, C_DISSATISFIED, NULL, NULL},
	{"csat", 1, -1, NULL, stats_csat_tenths},
	{"dsat", 1, -1, NULL, stats_dsat_tenths},
	{"score_avg", 2, -1, NULL, stats_score_avg_hundredths},
	{"nps_ratings", 0, C_N10, NULL, NULL},
	{"nps", 1, -1, NULL, stats_nps_tenths},
	{"complaints", 0, C_COMPLAINTS, NULL, NULL},
	{"replies", 0, C_REPLIES, NULL, NULL},
	{"complaint_rate", 1, -1, NULL, stats_complaint_rate_tenths},
	{"resp_avg_s", 0, -1, NULL, stats_resp_avg_s},
	{"resp_max_s", 0, -1, NULL, stats_resp_max_s},
	{"resp_p50_s", 0, -1, NULL, stats_resp_p50_s},
	{"resp_p90_s", 0, -1, NULL, stats_resp_p90_s},
	{"reply_sla_met", 0, C_SLA_MET, NULL, NULL},
	{"reply_sla_missed", 0, C_SLA_MISSED, NULL, NULL},
	{"first_reply_met", 0, C_FIRST_MET, stats_first_judged, NULL},
	{"first_reply_missed", 0, C_FIRST_MISSED, stats_first_judged, NULL},
	{"first_reply_avg_s", 0, -1, NULL, stats_first_avg_s},
	{"first_reply_max_s", 0, -1, NULL, stats_first_max_s},
	{"next_reply_met", 0, -1, NULL, stats_next_met},
	{"next_reply_missed", 0, -1, NULL, stats_next_missed},
	{"next_reply_avg_s", 0, -1, NULL, stats_next_avg_s},
	{"next_reply_max_s", 0, -1, NULL, stats_next_max_s},
	{"resolution_met", 0, C_RES_MET, stats_res_judged, NULL},
	{"resolution_missed", 0, C_RES_MISSED, stats_res_judged, NULL},
	{"resolution_avg_s", 0, -1, NULL, stats_res_avg_s},
	{"resolution_max_s", 0, -1, NULL, stats_res_max_s},
	{"promise_kept", 0, C_PROMISE_KEPT, stats_promised, NULL},
	{"promise_broken", 0, C_PROMISE_BROKEN, stats_promised, NULL},
	{"recovered", 0, C_RECOVERED, stats_recovery_seen, NULL},
	{"recovery_rated", 0, C_RECOVERY_RATED, stats_recovery_seen, NULL},
	{"recovery_rate", 1, -1, NULL, stats_recovery_rate_tenths},
	{"follow_up_missing", 0, C_FOLLOW_UP_MISSING, stats_recovery_seen, NULL},
	{"agents", 0, -1, NULL, stats_agents},
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
		if (f->value != NULL)
			have[i] = f->value(t, &value[i]);
		else {
			value[i] = t->c[f->counter];
			have[i] = f->present == NULL || f->present(t);
		}
	}
}
