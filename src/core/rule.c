/* rule.c: quality-threshold rules, their figures and their alert state machine (pure). */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "confidence.h"
#include "rule.h"

#define RULE_HOUR_MS INT64_C(3600000)
#define RULE_DAY_MS (24 * RULE_HOUR_MS)
/* Sums such as threshold + margin may land an ulp off the rounded figure they meet. */
#define RULE_TOLERANCE 1e-9
/* Room for one formatted number (an int64_t, sign and point), and for one with its unit. */
#define RULE_NUM_SIZE 24
#define RULE_TEXT_SIZE 48

/* What each rule measures and how it is introduced in messages. */
struct rule_info {
	const char	*name;
	const char	*subject;	/* "CSAT" */
	const char	*noun;		/* what samples count, singular */
	const char	*nouns;
	int64_t		 window_ms;	/* span of the default window */
	double		 threshold;
	int64_t		 min_samples;
	bool		 score;		/* below-threshold, margin in points, confidence mode */
	double		 margin;
	double		 confidence;
};

static const struct rule_info rule_infos[RULE_COUNT] = {
	[RULE_CSAT_BELOW] = { "csat_below", "CSAT", "rating", "ratings",
	    RULE_DAY_MS, 80, 20, true, 2, 0.95 },
	[RULE_NPS_BELOW] = { "nps_below", "NPS", "rating", "ratings",
	    7 * RULE_DAY_MS, 0, 20, true, 2, 0.95 },
	[RULE_COMPLAINTS_ABOVE] = { "complaints_above", "complaints", "complaint", "complaints",
	    RULE_DAY_MS, 5, 0, false, 0.10, 0.95 },
	[RULE_COMPLAINT_RATE_ABOVE] = { "complaint_rate_above", "complaint rate", "reply",
	    "replies", 7 * RULE_DAY_MS, 10, 20, false, 0.10, 0.95 },
	[RULE_RESPONSE_TIME_ABOVE] = { "response_time_above", "mean response time", "reply",
	    "replies", RULE_DAY_MS, 8 * 3600, 20, false, 0.10, 0.95 },
	/* threshold: points above the peers' top-box share; margin unused (it resolves when no longer suspect) */
	[RULE_RATING_INTEGRITY] = { RULE_RATING_INTEGRITY_NAME, "Top-box share", "rating", "ratings",
	    7 * RULE_DAY_MS, 10, 20, false, 0, 0.99 },
};

/* "csat_below", ...; NULL when out of range. */
const char *
rule_name(enum rule_id id)
{
	if ((unsigned)id >= RULE_COUNT)
		return NULL;
	return rule_infos[id].name;
}

/* The rule called name; false when there is none. */
bool
rule_parse_name(const char *name, enum rule_id *out)
{
	if (name == NULL)
		return false;
	for (int i = 0; i < RULE_COUNT; i++) {
		if (strcmp(rule_infos[i].name, name) == 0) {
			*out = (enum rule_id)i;
			return true;
		}
	}
	return false;
}

/* csat_below and nps_below: margin in points, confidence mode allowed. */
bool
rule_is_score(enum rule_id id)
{
	return (unsigned)id < RULE_COUNT && rule_infos[id].score;
}

/* The configured window closest in span to the rule's default (24h or 7d); ties go longer. */
size_t
rule_default_window(enum rule_id id, const struct windows *ws)
{
	int64_t	want = (unsigned)id < RULE_COUNT ? rule_infos[id].window_ms : RULE_DAY_MS;
	size_t	best = 0;

	for (size_t i = 1; i < ws->count; i++) {
		int64_t	d = ws->w[i].span_ms - want, bd = ws->w[best].span_ms - want;

		/* "<=" prefers the later, longer window (they ascend) on a tie. */
		if ((d < 0 ? -d : d) <= (bd < 0 ? -bd : bd))
			best = i;
	}
	return best;
}

/* The built-in configuration of a rule over the configured windows. */
void
rule_defaults(enum rule_id id, const struct windows *ws, struct rule_config *out)
{
	const struct rule_info	*ri = &rule_infos[(unsigned)id < RULE_COUNT ? id : 0];

	memset(out, 0, sizeof *out);
	out->enabled = true;
	out->window = rule_default_window(id, ws);
	out->threshold = ri->threshold;
	out->min_samples = ri->min_samples;
	out->confidence_mode = ri->score;
	out->confidence = ri->confidence;
	out->margin = ri->margin;
	out->for_ms = 0;
	out->repeat_ms = 0;
}

/* a >= b, forgiving the rounding of a computed b. */
static bool
rule_at_least(double a, double b)
{
	return a >= b - RULE_TOLERANCE * fmax(1, fabs(b));
}

/* The figure of a rule as the stats hash shows it, and its sample count. */
static void
rule_value(enum rule_id id, const struct totals *t, struct rule_observation *o)
{
	const int64_t	*c = t->c;
	int64_t		 v = 0;

	switch (id) {
	case RULE_CSAT_BELOW:
		o->samples = c[C_S5];
		o->has_value = stats_csat_tenths(t, &v);
		o->value = (double)v / 10;
		break;
	case RULE_NPS_BELOW:
		o->samples = c[C_N10];
		o->has_value = stats_nps_tenths(t, &v);
		o->value = (double)v / 10;
		break;
	case RULE_COMPLAINTS_ABOVE:
		o->samples = c[C_COMPLAINTS];
		o->has_value = true;
		o->value = (double)c[C_COMPLAINTS];
		break;
	case RULE_COMPLAINT_RATE_ABOVE:
		o->samples = c[C_REPLIES];
		o->has_value = stats_complaint_rate_tenths(t, &v);
		o->value = (double)v / 10;
		break;
	case RULE_RESPONSE_TIME_ABOVE:
		o->samples = c[C_RESP_N];
		o->has_value = stats_resp_avg_s(t, &v);
		o->value = (double)v;
		break;
	default:
		break;
	}
	if (!o->has_value)
		o->value = 0;
}

/*
 * Rating integrity: the agent's top-box share (value) against its peers' (threshold), with
 * the supporting signals; it fires while suspect and resolves once not.
 */
static void
rule_integrity(const struct rule_config *cfg, const struct totals *t, struct rule_observation *out)
{
	struct integrity_counts agent;

	integrity_counts_of(t, &agent);
	out->samples = agent.ratings;
	out->has_value = t->peers_known && agent.ratings > 0 && t->peers.ratings > 0;
	integrity_judge(&agent, &t->peers, cfg->min_samples, confidence_z(2 * cfg->confidence - 1), cfg->threshold,
	    &out->integrity);
	out->value = out->integrity.top.agent;
	out->threshold = out->integrity.top.peers;
	if (!cfg->enabled || !out->has_value || !out->integrity.enough) {
		out->clear = true;
		return;
	}
	out->condition = out->integrity.suspect;
	out->clear = !out->condition;
}

/* The rule's figure over one window's totals, and whether it should fire or resolve. */
void
rule_observe(enum rule_id id, const struct rule_config *cfg, const struct totals *t,
    struct rule_observation *out)
{
	const int64_t	*c = t->c;
	bool		 score = rule_is_score(id), enough, below;
	double		 z, lo, hi;

	memset(out, 0, sizeof *out);
	out->threshold = cfg->threshold;
	if ((unsigned)id >= RULE_COUNT) {
		out->clear = true;
		return;
	}
	if (id == RULE_RATING_INTEGRITY) {
		rule_integrity(cfg, t, out);
		return;
	}
	rule_value(id, t, out);
	if (score && cfg->confidence_mode && out->has_value) {
		z = confidence_z(cfg->confidence);
		if (id == RULE_CSAT_BELOW)
			confidence_wilson(c[C_SATISFIED], c[C_S5], z, &lo, &hi);
		else
			confidence_nps(c[C_PROMOTERS], c[C_DETRACTORS], c[C_N10], z, &lo, &hi);
		/* A NaN z (a confidence outside (0, 1)) leaves no interval, so nothing fires. */
		out->has_interval = !isnan(lo) && !isnan(hi);
		out->lower = 100 * lo;
		out->upper = 100 * hi;
	}

	enough = id == RULE_COMPLAINTS_ABOVE || out->samples >= cfg->min_samples;
	if (!cfg->enabled || !out->has_value || !enough) {
		out->clear = true;
		return;
	}
	if (score) {
		if (cfg->confidence_mode)
			below = out->has_interval && out->upper < cfg->threshold;
		else
			below = out->value < cfg->threshold;
		out->condition = below;
		out->clear = !below && rule_at_least(out->value, cfg->threshold + cfg->margin);
	} else {
		out->condition = out->value > cfg->threshold;
		out->clear = !out->condition &&
		    rule_at_least(cfg->threshold * (1 - cfg->margin), out->value);
	}
}

/* The next state at now_ms; *next equals *current exactly when RULE_NONE is returned. */
enum rule_action
rule_step(const struct rule_config *cfg, const struct rule_observation *obs,
    const struct rule_state *current, int64_t now_ms, struct rule_state *next)
{
	struct rule_state	cur = *current;	/* next may be current */

	*next = cur;
	switch (cur.kind) {
	case RULE_OK:
		if (!obs->condition)
			return RULE_NONE;
		if (cfg->for_ms > 0) {
			memset(next, 0, sizeof *next);
			next->kind = RULE_PENDING;
			next->pending_since_ms = now_ms;
			return RULE_PENDING_START;
		}
		memset(next, 0, sizeof *next);
		next->kind = RULE_FIRING;
		next->since_ms = now_ms;
		next->last_sent_ms = now_ms;
		return RULE_FIRE;
	case RULE_PENDING:
		if (!obs->condition) {
			memset(next, 0, sizeof *next);
			return RULE_PENDING_CANCEL;
		}
		if (now_ms - cur.pending_since_ms < cfg->for_ms)
			return RULE_NONE;
		next->kind = RULE_FIRING;
		next->since_ms = now_ms;
		next->last_sent_ms = now_ms;
		return RULE_FIRE;
	case RULE_FIRING:
		if (obs->clear) {
			memset(next, 0, sizeof *next);
			return RULE_RESOLVE;
		}
		if (cfg->repeat_ms > 0 && now_ms - cur.last_sent_ms >= cfg->repeat_ms) {
			next->last_sent_ms = now_ms;
			return RULE_REPEAT;
		}
		return RULE_NONE;
	}
	/* An impossible kind is rewritten as OK, quietly. */
	memset(next, 0, sizeof *next);
	return RULE_PENDING_CANCEL;
}

/* "firing:SINCE:PENDING_SINCE:LAST_SENT", "pending:0:SINCE:0" or "" (OK); false if too short. */
bool
rule_state_format(const struct rule_state *st, char *buf, size_t size)
{
	int	n;

	if (size == 0)
		return false;
	if (st->kind != RULE_PENDING && st->kind != RULE_FIRING) {
		buf[0] = '\0';
		return true;
	}
	n = snprintf(buf, size, "%s:%" PRId64 ":%" PRId64 ":%" PRId64,
	    st->kind == RULE_FIRING ? "firing" : "pending", st->since_ms,
	    st->pending_since_ms, st->last_sent_ms);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return false;
	}
	return true;
}

/* One unsigned decimal ending at ':' or the end of text; advances *p past it. */
static bool
rule_parse_ms(const char **p, bool last, int64_t *out)
{
	const char	*s = *p;
	int64_t		 n = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (INT64_MAX - (*s - '0')) / 10)
			return false;
		n = n * 10 + (*s - '0');
	}
	if (last ? *s != '\0' : *s != ':')
		return false;
	*p = last ? s : s + 1;
	*out = n;
	return true;
}

/* Parses rule_state_format() text (NULL or "" is OK); junk gives OK and false. */
bool
rule_state_parse(const char *text, struct rule_state *out)
{
	struct rule_state	 st;
	const char		*p = text;
	bool			 ok;

	memset(out, 0, sizeof *out);
	if (text == NULL || *text == '\0')
		return true;
	memset(&st, 0, sizeof st);
	if (strncmp(p, "firing:", 7) == 0) {
		st.kind = RULE_FIRING;
		p += 7;
	} else if (strncmp(p, "pending:", 8) == 0) {
		st.kind = RULE_PENDING;
		p += 8;
	} else
		return false;
	if (!rule_parse_ms(&p, false, &st.since_ms) ||
	    !rule_parse_ms(&p, false, &st.pending_since_ms) ||
	    !rule_parse_ms(&p, true, &st.last_sent_ms))
		return false;
	/* Only states rule_step() can make. */
	if (st.kind == RULE_FIRING)
		ok = st.since_ms > 0 && st.last_sent_ms >= st.since_ms;
	else
		ok = st.since_ms == 0 && st.pending_since_ms > 0 && st.last_sent_ms == 0;
	if (!ok)
		return false;
	*out = st;
	return true;
}

/* v with one decimal, rounded half away from zero like the stats hash. */
static void
rule_fmt1(double v, char *buf, size_t size)
{
	stats_format_fixed((int64_t)llround(v * 10), 1, buf, size);
}

/* A count threshold: whole when it is, else one decimal. */
static void
rule_fmt_count(double v, char *buf, size_t size)
{
	if (v == floor(v))
		stats_format_fixed((int64_t)v, 0, buf, size);
	else
		rule_fmt1(v, buf, size);
}

/* "25 ratings", "1 rating". */
static void
rule_fmt_samples(const struct rule_info *ri, int64_t n, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRId64 " %s", n, n == 1 ? ri->noun : ri->nouns);
}

/* Seconds in the unit that suits the threshold: "9.5 h", "12.5 min", "40 s". */
static void
rule_fmt_seconds(double v, double threshold, char *buf, size_t size)
{
	char	num[RULE_NUM_SIZE];

	if (threshold >= 3600) {
		rule_fmt1(v / 3600, num, sizeof num);
		snprintf(buf, size, "%s h", num);
	} else if (threshold >= 60) {
		rule_fmt1(v / 60, num, sizeof num);
		snprintf(buf, size, "%s min", num);
	} else {
		stats_format_fixed((int64_t)llround(v), 0, num, sizeof num);
		snprintf(buf, size, "%s s", num);
	}
}

/* The confidence level as a percentage: "95", "99.5". */
static void
rule_fmt_level(double confidence, char *buf, size_t size)
{
	int64_t	tenths = (int64_t)llround(confidence * 1000);

	stats_format_fixed(tenths % 10 == 0 ? tenths / 10 : tenths, tenths % 10 == 0 ? 0 : 1,
	    buf, size);
}

/* Value and threshold of a rule in its own unit: "72.0%" / "80.0%". */
static void
rule_fmt_pair(enum rule_id id, double value, double threshold, char *v, char *t,
    size_t size)
{
	char	a[RULE_NUM_SIZE], b[RULE_NUM_SIZE];

	switch (id) {
	case RULE_CSAT_BELOW:
		rule_fmt1(value, a, sizeof a);
		rule_fmt1(threshold, b, sizeof b);
		snprintf(v, size, "%s%%", a);
		snprintf(t, size, "%s%%", b);
		break;
	case RULE_COMPLAINTS_ABOVE:
		rule_fmt_count(value, v, size);
		rule_fmt_count(threshold, t, size);
		break;
	case RULE_COMPLAINT_RATE_ABOVE:
		rule_fmt1(value, a, sizeof a);
		snprintf(v, size, "%s per 100 replies", a);
		rule_fmt1(threshold, t, size);
		break;
	case RULE_RESPONSE_TIME_ABOVE:
		rule_fmt_seconds(value, threshold, v, size);
		rule_fmt_seconds(threshold, threshold, t, size);
		break;
	default:
		rule_fmt1(value, v, size);
		rule_fmt1(threshold, t, size);
		break;
	}
}

/*
 * Rating integrity's message: what was compared, and each test's shares (firing), or the
 * shares now (resolved).
 */
static void
rule_describe_integrity(const struct rule_config *cfg, const char *w, const struct rule_observation *obs,
    enum rule_action action, char *buf, size_t size)
{
	const struct integrity_result *r = &obs->integrity;
	char a[RULE_NUM_SIZE], p[RULE_NUM_SIZE], qa[RULE_NUM_SIZE], qp[RULE_NUM_SIZE];
	char ma[RULE_NUM_SIZE], mp[RULE_NUM_SIZE], z[RULE_NUM_SIZE], th[RULE_NUM_SIZE];

	rule_fmt1(r->top.agent, a, sizeof a);
	rule_fmt1(r->top.peers, p, sizeof p);
	if (action == RULE_RESOLVE) {
		snprintf(buf, size, "Top-box share %s%% over %s (%" PRId64 " ratings) is no longer suspect: peers %s%%",
		    a, w, obs->samples, p);
		return;
	}
	rule_fmt1(r->top.z, z, sizeof z);
	rule_fmt_count(cfg->threshold, th, sizeof th);
	rule_fmt1(r->quick.agent, qa, sizeof qa);
	rule_fmt1(r->quick.peers, qp, sizeof qp);
	rule_fmt1(r->middle.agent, ma, sizeof ma);
	rule_fmt1(r->middle.peers, mp, sizeof mp);
	snprintf(buf, size, "Top-box share %s%% over %s (%" PRId64 " ratings) is far above its peers' %s%% "
	    "(z %s, threshold %s points); ratings within %ds of a reply %s%% (peers %s%%)%s; "
	    "middle scores among those below the top %s%% (peers %s%%)%s", a, w, obs->samples, p, z,
	    th, (int)(INTEGRITY_QUICK_MS / 1000), qa, qp,
	    r->quick.significant ? ", unusual" : "", ma, mp, r->middle.significant ? ", missing" : "");
}

/* The human message: "CSAT 72.0% over 24h (25 ratings) is below 80.0%", or a resolved one. */
void
rule_describe(enum rule_id id, const struct rule_config *cfg, const char *window_name,
    const struct rule_observation *obs, enum rule_action action, char *buf, size_t size)
{
	const struct rule_info	*ri;
	char			 v[RULE_TEXT_SIZE], t[RULE_TEXT_SIZE], n[RULE_TEXT_SIZE];
	char			 lo[RULE_NUM_SIZE], hi[RULE_NUM_SIZE], lvl[RULE_NUM_SIZE];
	char			 extra[RULE_DESCRIBE_SIZE] = "";
	const char		*w = window_name != NULL ? window_name : "?";

	if (size == 0)
		return;
	if ((unsigned)id >= RULE_COUNT) {
		snprintf(buf, size, "unknown rule");
		return;
	}
	ri = &rule_infos[id];
	if (id == RULE_RATING_INTEGRITY && obs->has_value && obs->integrity.enough && cfg->enabled) {
		rule_describe_integrity(cfg, w, obs, action, buf, size);
		return;
	}
	rule_fmt_pair(id, obs->value, cfg->threshold, v, t, sizeof v);
	rule_fmt_samples(ri, obs->samples, n, sizeof n);

	if (action == RULE_RESOLVE && !cfg->enabled) {
		snprintf(buf, size, "rule %s is disabled", ri->name);
		return;
	}
	if (!obs->has_value) {
		snprintf(buf, size, "%s over %s has no %s", ri->subject, w, ri->nouns);
		return;
	}
	if (action == RULE_RESOLVE && id != RULE_COMPLAINTS_ABOVE &&
	    obs->samples < cfg->min_samples) {
		snprintf(buf, size, "%s over %s has %s, under the minimum of %" PRId64,
		    ri->subject, w, n, cfg->min_samples);
		return;
	}

	if (action == RULE_RESOLVE) {
		if (id == RULE_COMPLAINTS_ABOVE)
			snprintf(buf, size, "complaints back to %s over %s, threshold %s", v, w, t);
		else
			snprintf(buf, size, "%s back to %s over %s (%s), threshold %s",
			    ri->subject, v, w, n, t);
		return;
	}

	if (obs->has_interval) {
		rule_fmt1(obs->lower, lo, sizeof lo);
		rule_fmt1(obs->upper, hi, sizeof hi);
		rule_fmt_level(cfg->confidence, lvl, sizeof lvl);
		if (id == RULE_CSAT_BELOW)
			snprintf(extra, sizeof extra, " (%s%% interval %s-%s%%)", lvl, lo, hi);
		else
			snprintf(extra, sizeof extra, " (%s%% interval %s to %s)", lvl, lo, hi);
	}
	if (id == RULE_COMPLAINTS_ABOVE)
		snprintf(buf, size, "%s %s over %s is above %s", v,
		    obs->value == 1 ? ri->noun : ri->nouns, w, t);
	else
		snprintf(buf, size, "%s %s over %s (%s) is %s %s%s", ri->subject, v, w, n,
		    ri->score ? "below" : "above", t, extra);
}
