/* config_rule_keys.h: the values only [rule.NAME] keys take: threshold, margin, mode, confidence, min_samples. */
#ifndef FEEDBACKD_CONFIG_RULE_KEYS_H
#define FEEDBACKD_CONFIG_RULE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

/* The highest CSAT (%) and NPS there is. */
#define CONFIG_SCORE_MAX 100

/* Whether a firing alert of rule id can resolve: for CSAT and NPS, threshold + margin is at most CONFIG_SCORE_MAX. */
bool config_rule_keys_resolvable(enum rule_id id, double threshold, double margin);

/* A rule threshold in the rule's unit (response times also take a duration); false with the reason. */
bool config_rule_keys_threshold(enum rule_id id, const char *value, double *out, char *reason, size_t size);

/* The hysteresis margin: points for CSAT and NPS, a fraction of the threshold elsewhere; false with the reason. */
bool config_rule_keys_margin(enum rule_id id, const char *value, double *out, char *reason, size_t size);

/* "confidence" or "plain" (true: confidence), the first only for the rules that have an interval; false with the reason. */
bool config_rule_keys_mode(enum rule_id id, const char *value, bool *out, char *reason, size_t size);

/* The confidence level of a rule's interval, 0.5 to 0.999; false with the reason. */
bool config_rule_keys_confidence(const char *value, double *out, char *reason, size_t size);

/* A rule's min_samples, a whole number from 0 up to a bound; false with the reason. */
bool config_rule_keys_samples(const char *value, int64_t *out, char *reason, size_t size);

#endif
