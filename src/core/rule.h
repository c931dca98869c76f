/* rule.h: quality-threshold rules, their figures and their alert state machine (pure). */
#ifndef FEEDBACKD_RULE_H
#define FEEDBACKD_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "integrity.h"
#include "stats.h"
#include "window.h"

/* Room for any rule_state_format() text. */
#define RULE_STATE_TEXT_SIZE 80
/* Room for any rule_describe() message. */
#define RULE_DESCRIBE_SIZE 256

enum rule_id {
	RULE_CSAT_BELOW,
	RULE_NPS_BELOW,
	RULE_COMPLAINTS_ABOVE,
	RULE_COMPLAINT_RATE_ABOVE,
	RULE_RESPONSE_TIME_ABOVE,
	RULE_RATING_INTEGRITY,
	RULE_COUNT
};

/* The one rule whose alerts have a level of their own (alert.c), so its name is shared. */
#define RULE_RATING_INTEGRITY_NAME "rating_integrity_suspect"

struct rule_config {
	bool	enabled;
	size_t	window;          /* index into the configured windows */
	double	threshold;       /* %, NPS points, complaints, per 100 replies, seconds; integrity: points above the peers */
	int64_t	min_samples;     /* ignored by complaints_above */
	bool	confidence_mode; /* csat_below and nps_below only */
	double	confidence;      /* 0.95; rating integrity: one-sided, 0.99 */
	double	margin;          /* points for csat/nps, else a fraction of the threshold */
	int64_t	for_ms;          /* pending period; 0 fires at once */
	int64_t	repeat_ms;       /* re-publish a firing alert this often; 0 never */
};

enum rule_state_kind { RULE_OK, RULE_PENDING, RULE_FIRING };

/* Kept per agent and rule in Redis between evaluations. */
struct rule_state {
	enum rule_state_kind kind;
	int64_t	since_ms;         /* episode start = firing time; 0 unless firing */
	int64_t	pending_since_ms; /* when the condition began, if it had to wait */
	int64_t	last_sent_ms;     /* last FIRE or REPEAT */
};

/* One rule's figure now, in the threshold's unit, and what it means for the alert. */
struct rule_observation {
	double	value;
	double	threshold;        /* what value is compared with: the configured one, or the peers' share */
	bool	has_value;        /* false when there is nothing to divide by */
	int64_t	samples;          /* ratings, replies, or complaints */
	double	lower, upper;     /* the confidence interval, same unit as value */
	bool	has_interval;
	bool	condition;        /* the alert should fire (or keep pending) */
	bool	clear;            /* a firing alert should resolve */
	struct integrity_result integrity; /* rating integrity: the three tests */
};

enum rule_action {
	RULE_NONE,           /* nothing changed */
	RULE_FIRE,           /* publish "firing"; a new episode */
	RULE_RESOLVE,        /* publish "resolved" */
	RULE_REPEAT,         /* publish "firing" again, same episode */
	RULE_PENDING_START,  /* state changed, nothing to publish */
	RULE_PENDING_CANCEL  /* state changed, nothing to publish */
};

/* "csat_below", ...; NULL when out of range. */
const char *rule_name(enum rule_id id);

/* The rule called name; false when there is none. */
bool rule_parse_name(const char *name, enum rule_id *out);

/* csat_below and nps_below: margin in points, confidence mode allowed. */
bool rule_is_score(enum rule_id id);

/* The configured window closest in span to the rule's default (24h or 7d); ties go longer. */
size_t rule_default_window(enum rule_id id, const struct windows *ws);

/* The built-in configuration of a rule over the configured windows. */
void rule_defaults(enum rule_id id, const struct windows *ws, struct rule_config *out);

/* The rule's figure over one window's totals, and whether it should fire or resolve. */
void rule_observe(enum rule_id id, const struct rule_config *cfg, const struct totals *t,
    struct rule_observation *out);

/* The next state at now_ms; *next equals *current exactly when RULE_NONE is returned. */
enum rule_action rule_step(const struct rule_config *cfg, const struct rule_observation *obs,
    const struct rule_state *current, int64_t now_ms, struct rule_state *next);

/* "firing:SINCE:PENDING_SINCE:LAST_SENT", "pending:0:SINCE:0" or "" (OK); false if too short. */
bool rule_state_format(const struct rule_state *st, char *buf, size_t size);

/* Parses rule_state_format() text (NULL or "" is OK); junk gives OK and false. */
bool rule_state_parse(const char *text, struct rule_state *out);

/* The human message: "CSAT 72.0% over 24h (25 ratings) is below 80.0%", or a resolved one. */
void rule_describe(enum rule_id id, const struct rule_config *cfg, const char *window_name,
    const struct rule_observation *obs, enum rule_action action, char *buf, size_t size);

#endif
