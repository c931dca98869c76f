/* config_rule_keys.c: the values only [rule.NAME] keys take: threshold, margin, mode, confidence, min_samples. */
#include "config_rule_keys.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "timestamp.h"

/* The most a rule's min_samples may ask for. */
#define CONFIG_SAMPLES_MAX 1000000

/* A whole finite decimal number: no blanks, hex, inf or nan. */
static bool
config_rule_keys_number(const char *s, double *out)
{
	char	*end;
	double	 d;

	if (*s == '\0' || s[strspn(s, "0123456789.eE+-")] != '\0')
		return false;
	errno = 0;
	d = strtod(s, &end);
	if (*end != '\0' || errno != 0 || !isfinite(d))
		return false;
	*out = d;
	return true;
}

/* threshold + margin is a sum of decimals read as doubles: 80.1 + 19.9 must still be 100. */
#define CONFIG_SCORE_TOLERANCE 1e-9

/* See config_rule_keys.h. */
bool
config_rule_keys_resolvable(enum rule_id id, double threshold, double margin)
{
	return !rule_is_score(id) || threshold + margin <= CONFIG_SCORE_MAX + CONFIG_SCORE_TOLERANCE;
}

/* See config_rule_keys.h. */
bool
config_rule_keys_threshold(enum rule_id id, const char *value, double *out, char *reason, size_t size)
{
	double	d;
	int64_t	ms;

	switch (id) {
	case RULE_CSAT_BELOW:
		if (!config_rule_keys_number(value, &d) || d < 0 || d > 100)
			return config_keys_reject(reason, size, "'%.*s' is not a percentage from 0 to 100",
			    CONFIG_QUOTE_MAX, value);
		break;
	case RULE_NPS_BELOW:
		if (!config_rule_keys_number(value, &d) || d < -100 || d > 100)
			return config_keys_reject(reason, size, "'%.*s' is not a score from -100 to 100",
			    CONFIG_QUOTE_MAX, value);
		break;
	case RULE_RESPONSE_TIME_ABOVE:
		if (duration_parse(value, &ms)) {
			d = (double)ms / 1000;
			break;
		}
		if (!config_rule_keys_number(value, &d) || d < 0)
			return config_keys_reject(reason, size,
			    "'%.*s' is not a duration (like 90s, 30m, 8h) or a number of seconds",
			    CONFIG_QUOTE_MAX, value);
		break;
	default:
		if (!config_rule_keys_number(value, &d) || d < 0)
			return config_keys_reject(reason, size, "'%.*s' is not a number of 0 or more",
			    CONFIG_QUOTE_MAX, value);
		break;
	}
	*out = d;
	return true;
}

/* See config_rule_keys.h. */
bool
config_rule_keys_margin(enum rule_id id, const char *value, double *out, char *reason, size_t size)
{
	double	d;

	if (rule_is_score(id)) {
		if (!config_rule_keys_number(value, &d) || d < 0 || d > 100)
			return config_keys_reject(reason, size,
			    "'%.*s' is not a number of points from 0 to 100", CONFIG_QUOTE_MAX, value);
	} else if (!config_rule_keys_number(value, &d) || d < 0 || d >= 1)
		return config_keys_reject(reason, size,
		    "'%.*s' is not a fraction from 0 up to (not including) 1", CONFIG_QUOTE_MAX,
		    value);
	*out = d;
	return true;
}

/* See config_rule_keys.h. */
bool
config_rule_keys_mode(enum rule_id id, const char *value, bool *out, char *reason, size_t size)
{
	if (strcmp(value, "plain") == 0) {
		*out = false;
		return true;
	}
	if (strcmp(value, "confidence") != 0)
		return config_keys_reject(reason, size, "'%.*s' is not confidence or plain",
		    CONFIG_QUOTE_MAX, value);
	if (!rule_is_score(id))
		return config_keys_reject(reason, size,
		    "'confidence' is only available for %s and %s",
		    rule_name(RULE_CSAT_BELOW), rule_name(RULE_NPS_BELOW));
	*out = true;
	return true;
}

/* See config_rule_keys.h. */
bool
config_rule_keys_confidence(const char *value, double *out, char *reason, size_t size)
{
	double	d;

	if (!config_rule_keys_number(value, &d) || d < 0.5 || d > 0.999)
		return config_keys_reject(reason, size, "'%.*s' is not a number from 0.5 to 0.999",
		    CONFIG_QUOTE_MAX, value);
	*out = d;
	return true;
}

/* See config_rule_keys.h. */
bool
config_rule_keys_samples(const char *value, int64_t *out, char *reason, size_t size)
{
	int	samples;

	if (!config_keys_int(value, 0, CONFIG_SAMPLES_MAX, &samples))
		return config_keys_reject(reason, size,
		    "'%.*s' is not a whole number from 0 to %d", CONFIG_QUOTE_MAX, value,
		    CONFIG_SAMPLES_MAX);
	*out = samples;
	return true;
}
