/* quality.c: evaluates the quality rules for every agent whose totals were just read. */
#include "quality.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "rule.h"
#include "timestamp.h"

#define QUALITY_SCRIPT_ARGS 7

struct quality {
	const struct config *cfg;
	struct redis *redis;
	struct alertpub *alerts;
};

/* The rule script answered: publish what it recorded (nothing when another instance won). */
static void quality_on_moved(void *arg, redisReply *reply)
{
	struct quality *q = arg;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
			log_limited(LOG_ERR, "rule", "redis: rule state update failed: %s", reply->str);
		return; /* evaluated again after the next batch or refresh */
	}
	alertpub_outbox(q->alerts, reply->element[1]);
}

/* The stored state text of one rule, or "" (ok) when there is none. */
static const char *quality_stored(const redisReply *rules, const char *name)
{
	if (rules == NULL || rules->type != REDIS_REPLY_ARRAY)
		return "";
	for (size_t i = 0; i + 1 < rules->elements; i += 2)
		if (strcmp(rules->element[i]->str, name) == 0)
			return rules->element[i + 1]->str;
	return "";
}

/* The facts of the alert an action publishes. */
static void quality_facts(const struct quality *q, enum rule_id id, const char *agent,
    const struct rule_observation *obs, enum rule_action action, const struct rule_state *episode,
    int64_t now, struct alert_facts *f)
{
	const struct rule_config *rc = &q->cfg->rules[id];
	const char *window = q->cfg->windows.w[rc->window].name;

	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule_name(id));
	snprintf(f->state, sizeof(f->state), "%s", action == RULE_RESOLVE ? "resolved" : "firing");
	snprintf(f->agent, sizeof(f->agent), "%s", agent);
	snprintf(f->window, sizeof(f->window), "%s", window);
	rule_describe(id, rc, window, obs, action, f->message, sizeof(f->message));
	f->since = episode->since_ms;
	f->at = now;
	f->start = f->due = f->target = f->late_ms = f->remaining_ms = f->response_ms = -1;
	f->repeat = action == RULE_REPEAT;
	f->has_value = obs->has_value;
	f->value = obs->value;
	f->has_threshold = true;
	f->threshold = rc->threshold;
	f->samples = obs->samples;
	f->has_interval = obs->has_interval;
	f->lower = obs->lower;
	f->upper = obs->upper;
}

/* Evaluates one rule and, when its state moves, asks Redis to move it. */
static void quality_rule(struct quality *q, enum rule_id id, const char *agent, const struct totals *t,
    const char *stored, int64_t now)
{
	const struct rule_config *rc = &q->cfg->rules[id];
	struct rule_observation obs;
	struct rule_state cur, next;
	enum rule_action action;
	char next_text[RULE_STATE_TEXT_SIZE], now_text[24];
	char *facts = NULL;
	struct alert_facts f;

	if (!rule_state_parse(stored, &cur))
		log_limited(LOG_WARNING, "rule-state", "rule %s for %s: unreadable state '%s', taken as ok",
		    rule_name(id), agent, stored);
	rule_observe(id, rc, &t[rc->window], &obs);
	action = rule_step(rc, &obs, &cur, now, &next);
	if (action == RULE_NONE)
		return;
	if (action == RULE_FIRE || action == RULE_RESOLVE || action == RULE_REPEAT) {
		/* A resolve belongs to the episode that was firing; the others to the new state's. */
		quality_facts(q, id, agent, &obs, action, action == RULE_RESOLVE ? &cur : &next, now, &f);
		facts = alert_facts_json(&f);
		if (facts == NULL)
			return;
	}
	rule_state_format(&next, next_text, sizeof(next_text));
	snprintf(now_text, sizeof(now_text), "%" PRId64, now);
	redis_script(q->redis, SCRIPT_RULE, QUALITY_SCRIPT_ARGS,
	    (const char *[]){now_text, q->cfg->prefix, agent, rule_name(id), stored, next_text,
	        facts != NULL ? facts : ""},
	    NULL, quality_on_moved, q);
	free(facts);
}

/* See quality.h. */
void quality_evaluate(void *arg, const char *agent, const struct totals *per_window, const redisReply *rules)
{
	struct quality *q = arg;
	int64_t now = ts_now_ms();

	for (int id = 0; id < RULE_COUNT; id++)
		quality_rule(q, (enum rule_id)id, agent, per_window, quality_stored(rules, rule_name((enum rule_id)id)),
		    now);
}

/* See quality.h. */
struct quality *quality_new(const struct config *cfg, struct redis *redis, struct alertpub *alerts)
{
	struct quality *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->cfg = cfg;
	q->redis = redis;
	q->alerts = alerts;
	return q;
}

/* See quality.h. */
void quality_free(struct quality *q)
{
	free(q);
}
