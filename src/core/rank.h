/* rank.h: fair rankings: the confidence bound each agent is ranked by, per figure and window (pure). */
#ifndef FEEDBACKD_RANK_H
#define FEEDBACKD_RANK_H

#include <stdbool.h>
#include <stdint.h>

#include "rule.h"
#include "stats.h"

/*
 * One sorted set per ranking and window. The score is a confidence bound, so few samples
 * rank by what they can show (3 ratings of 100% have a CSAT lower bound of 43.9), not by
 * their raw figure: the lower Wilson bound of CSAT, the lower adjusted-Wald bound of NPS,
 * the upper Wilson bound of the complaint rate. Each uses its quality rule's min_samples
 * and confidence (the complaint rate, which has none, 95%).
 */
enum rank_id {
	RANK_CSAT_LOWER,            /* percent: higher is better */
	RANK_NPS_LOWER,             /* NPS points: higher is better */
	RANK_COMPLAINT_RATE_UPPER,  /* per 100 replies: lower is better */
	RANK_COUNT
};

/* A score an owner has not: it is not in that ranking (too few samples). */
#define RANK_NONE INT64_MIN

/* The ranking's name in its keys ("csat_lower"). */
const char *rank_name(enum rank_id id);

/*
 * The score of totals t in ranking id, in hundredths (7235 is 72.35); RANK_NONE when t has
 * fewer samples than the rule's min_samples (the owner is then not in the ranking).
 */
int64_t rank_score(enum rank_id id, const struct rule_config rules[RULE_COUNT], const struct totals *t);

#endif
