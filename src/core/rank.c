/* rank.c: fair rankings: the confidence bound each agent is ranked by, per figure and window (pure). */
#include "rank.h"

#include <math.h>

#include "confidence.h"

/* The confidence of a ranking whose rule has no confidence setting. */
#define RANK_CONFIDENCE 0.95

/* Each ranking's name and the quality rule whose min_samples (and confidence) it takes. */
static const struct {
	const char *name;
	enum rule_id rule;
} rank_infos[RANK_COUNT] = {
	[RANK_CSAT_LOWER] = {"csat_lower", RULE_CSAT_BELOW},
	[RANK_NPS_LOWER] = {"nps_lower", RULE_NPS_BELOW},
	[RANK_COMPLAINT_RATE_UPPER] = {"complaint_rate_upper", RULE_COMPLAINT_RATE_ABOVE},
};

/* See rank.h. */
const char *rank_name(enum rank_id id)
{
	return (unsigned)id < RANK_COUNT ? rank_infos[id].name : NULL;
}

/* See rank.h. */
int64_t rank_score(enum rank_id id, const struct rule_config rules[RULE_COUNT], const struct totals *t)
{
	const struct rule_config *rc;
	const int64_t *c = t->c;
	double lo = NAN, hi = NAN, bound;

	if ((unsigned)id >= RANK_COUNT)
		return RANK_NONE;
	rc = &rules[rank_infos[id].rule];
	switch (id) {
	case RANK_CSAT_LOWER:
		if (c[C_S5] < rc->min_samples || c[C_S5] <= 0)
			return RANK_NONE;
		confidence_wilson(c[C_SATISFIED], c[C_S5], confidence_z(rc->confidence), &lo, &hi);
		bound = lo;
		break;
	case RANK_NPS_LOWER:
		if (c[C_N10] < rc->min_samples || c[C_N10] <= 0)
			return RANK_NONE;
		confidence_nps(c[C_PROMOTERS], c[C_DETRACTORS], c[C_N10], confidence_z(rc->confidence), &lo, &hi);
		bound = lo;
		break;
	default:
		/* Complaints per reply, as a share: at most every reply drew one. */
		if (c[C_REPLIES] < rc->min_samples || c[C_REPLIES] <= 0)
			return RANK_NONE;
		confidence_wilson(c[C_COMPLAINTS] < c[C_REPLIES] ? c[C_COMPLAINTS] : c[C_REPLIES], c[C_REPLIES],
		    confidence_z(RANK_CONFIDENCE), &lo, &hi);
		bound = hi;
		break;
	}
	if (isnan(bound))
		return RANK_NONE;
	return llround(bound * 10000.0);
}
