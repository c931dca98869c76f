/* agent.c: one agent's figures: its counters in every window, clock gauges and rule states (pure). */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integrity.h"
#include "mpack.h"

/* Bumped when the packed layout changes; older checkpoints are then refused, but for versions 1 to 4. */
#define AGENT_VERSION 5
/*
 * Older versions differ in their counts too: they hold the first counters of enum counter,
 * with the same kinds (version 1: through C_SLA_MISSED; 2 and 3: through C_PROMISE_BROKEN).
 * Decoding widens them to the current plan, so an upgrade keeps every agent's windows.
 */
#define AGENT_V1_COUNTERS 16
#define AGENT_V3_COUNTERS 29
_Static_assert(AGENT_V1_COUNTERS == C_SLA_MISSED + 1, "new counters go after C_SLA_MISSED");
_Static_assert(AGENT_V3_COUNTERS == C_PROMISE_BROKEN + 1, "new counters go after C_PROMISE_BROKEN");
/*
 * [version, open, overdue, newest, counts, [kind, since, pending_since, last_sent] x RULE_COUNT,
 * responses, team or nil, a group's active table ([[agents per window] per task]) or nil,
 * latest reply, months (appraisal_pack)]. Version 4 has the first 10 fields (its months count
 * from the upgrade); version 3 the first 9, and the states of the first AGENT_V3_RULES rules;
 * versions 1 and 2 the first 6 only: their agents' percentiles start from the upgrade, and
 * their team from their next event.
 */
#define AGENT_FIELDS 11
#define AGENT_V4_FIELDS 10
#define AGENT_V4 4
#define AGENT_V3_FIELDS 9
#define AGENT_V2_FIELDS 6
#define AGENT_V3_RULES 5
#define AGENT_V3 3                 /* the first version with responses, team and active table */
_Static_assert(AGENT_V3_RULES == RULE_RESPONSE_TIME_ABOVE + 1, "new rules go after response_time_above");
#define AGENT_RULE_FIELDS 4

/* The rolling layout over ws of the first counters of enum counter, one slot each. */
static bool agent_plan_of(struct rolling_plan *plan, const struct windows *ws, size_t counters)
{
	enum rolling_kind kinds[COUNTER_COUNT];

	for (size_t c = 0; c < counters; c++)
		kinds[c] = stats_counter_is_max((enum counter)c) ? ROLLING_MAX : ROLLING_SUM;
	return rolling_plan_init(plan, ws, counters, kinds);
}

/* See agent.h. */
bool agent_plan_init(struct agent_plan *plan, const struct windows *ws)
{
	return agent_plan_of(&plan->counts, ws, COUNTER_COUNT) && histogram_plan_init(&plan->responses, ws);
}

/* See agent.h. */
size_t agent_incs_of(const struct agent *a, const struct event *e, struct rolling_inc out[AGENT_INCS_MAX])
{
	size_t n = 0;

	switch (e->type) {
	case EVENT_RATING:
		out[n++] = (struct rolling_inc){C_RATINGS, 1};
		if (e->score == e->scale)
			out[n++] = (struct rolling_inc){C_TOP, 1};
		if (integrity_quick(a->last_reply_ms, e->ts_ms))
			out[n++] = (struct rolling_inc){C_QUICK, 1};
		if (e->scale == 5) {
			out[n++] = (struct rolling_inc){C_S5, 1};
			out[n++] = (struct rolling_inc){e->score >= 4 ? C_SATISFIED :
			    e->score == 3 ? C_NEUTRAL : C_DISSATISFIED, 1};
			out[n++] = (struct rolling_inc){C_SCORE_SUM, e->score};
		} else {
			out[n++] = (struct rolling_inc){C_N10, 1};
			/* A passive (7-8) counts only as a scale-10 rating. */
			if (e->score >= 9)
				out[n++] = (struct rolling_inc){C_PROMOTERS, 1};
			else if (e->score <= 6)
				out[n++] = (struct rolling_inc){C_DETRACTORS, 1};
		}
		break;
	case EVENT_COMPLAINT:
		out[n++] = (struct rolling_inc){C_COMPLAINTS, 1};
		break;
	case EVENT_REPLY:
		out[n++] = (struct rolling_inc){C_REPLIES, 1};
		break;
	case EVENT_MESSAGE:
	case EVENT_STATUS:
	case EVENT_FOLLOW_UP: /* a follow-up counts for its complaint's recovery, at the ticket's task */
		break;
	}
	return n;
}

/* See agent.h. */
bool agent_count(struct agent *a, const struct agent_plan *plan, int64_t now_ms, int64_t ts,
    const struct rolling_inc *incs, size_t n)
{
	if (rolling_add(&a->counts, &plan->counts, now_ms, ts, incs, n) != ROLLING_ADDED)
		return false;
	/* A clock closed by a reply adds its time as C_RESP_MAX_MS: the one add of it per response. */
	for (size_t i = 0; i < n; i++)
		if (incs[i].slot == C_RESP_MAX_MS) {
			histogram_add(&a->responses, &plan->responses, now_ms, ts, incs[i].value);
			agent_times_changed(a);
		}
	return true;
}

/* See agent.h. */
void agent_times_changed(struct agent *a)
{
	a->summary_until = 0;
}

/* See agent.h. */
void agent_advance(struct agent *a, const struct agent_plan *plan, int64_t now_ms)
{
	rolling_advance(&a->counts, &plan->counts, now_ms);
	histogram_advance(&a->responses, &plan->responses, now_ms);
}

/* See agent.h. */
void agent_totals(struct agent *a, const struct agent_plan *plan, int64_t now_ms,
    struct totals out[WINDOWS_MAX], int64_t *next_change)
{
	int64_t flat[WINDOWS_MAX * COUNTER_COUNT];
	struct histogram_summary pct[WINDOWS_MAX];

	rolling_totals(&a->counts, &plan->counts, now_ms, flat, next_change);
	if (a->summary != NULL && now_ms < a->summary_until) {
		memset(pct, 0, sizeof(pct));
		memcpy(pct, a->summary, plan->responses.tiers * sizeof(pct[0]));
	} else {
		histogram_summarize(&a->responses, &plan->responses, now_ms, pct, &a->summary_until);
		/* Kept only where there are times: most agents' state stays as small as it was. */
		if (a->responses.ranges != NULL && a->summary == NULL)
			a->summary = malloc(WINDOWS_MAX * sizeof(*a->summary));
		if (a->summary != NULL)
			memcpy(a->summary, pct, sizeof(pct));
		else
			a->summary_until = 0;
	}
	for (size_t w = 0; w < plan->counts.tiers; w++) {
		memcpy(out[w].c, &flat[w * COUNTER_COUNT], sizeof(out[w].c));
		out[w].resp_n = pct[w].n;
		out[w].resp_p50_ms = pct[w].p50_ms;
		out[w].resp_p90_ms = pct[w].p90_ms;
	}
}

/* The facts of the alert a rule's action publishes; a resolve belongs to the episode that fired. */
static void agent_facts(enum rule_id id, const char *agent_id, const struct rule_config *rc,
    const char *window, const struct rule_observation *obs, enum rule_action action,
    const struct rule_state *episode, int64_t now_ms, struct alert_facts *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule_name(id));
	snprintf(f->state, sizeof(f->state), "%s", action == RULE_RESOLVE ? "resolved" : "firing");
	snprintf(f->agent, sizeof(f->agent), "%s", agent_id);
	snprintf(f->window, sizeof(f->window), "%s", window);
	rule_describe(id, rc, window, obs, action, f->message, sizeof(f->message));
	f->since = episode->since_ms;
	f->at = now_ms;
	f->start = f->due = f->target = f->late_ms = f->remaining_ms = f->response_ms = -1;
	f->repeat = action == RULE_REPEAT;
	f->has_value = obs->has_value;
	f->value = obs->value;
	f->has_threshold = true;
	f->threshold = obs->threshold;
	f->samples = obs->samples;
	f->has_interval = obs->has_interval;
	f->lower = obs->lower;
	f->upper = obs->upper;
}

/* Every rule OK: the states of an agent whose rules is NULL. */
static const struct rule_state agent_all_ok[RULE_COUNT];

/* The agent's rule states, read-only. */
static const struct rule_state *agent_rules(const struct agent *a)
{
	return a->rules != NULL ? a->rules : agent_all_ok;
}

/* Whether RULE_COUNT states are all OK with no times: what a NULL block stands for. */
static bool agent_all_zero(const struct rule_state *rules)
{
	for (int id = 0; id < RULE_COUNT; id++)
		if (rules[id].kind != RULE_OK || rules[id].since_ms != 0 || rules[id].pending_since_ms != 0 ||
		    rules[id].last_sent_ms != 0)
			return false;
	return true;
}

/* Keeps states as the agent's, in a block only when needed; false when out of memory (unchanged). */
static bool agent_set_rules(struct agent *a, const struct rule_state states[RULE_COUNT])
{
	if (agent_all_zero(states)) {
		free(a->rules);
		a->rules = NULL;
		return true;
	}
	if (a->rules == NULL && (a->rules = malloc(RULE_COUNT * sizeof(*a->rules))) == NULL)
		return false;
	memcpy(a->rules, states, RULE_COUNT * sizeof(*a->rules));
	return true;
}

/* See agent.h. */
bool agent_evaluate(struct agent *a, const char *agent_id, const struct rule_config rules[RULE_COUNT],
    const struct windows *ws, const struct totals totals[WINDOWS_MAX], int64_t now_ms,
    struct agent_alerts *out)
{
	struct rule_state states[RULE_COUNT];
	bool changed = false;

	memcpy(states, agent_rules(a), sizeof(states));
	out->count = 0;
	for (int i = 0; i < RULE_COUNT; i++) {
		enum rule_id id = (enum rule_id)i;
		const struct rule_config *rc = &rules[id];
		struct rule_observation obs;
		struct rule_state next;
		enum rule_action action;

		rule_observe(id, rc, &totals[rc->window], &obs);
		action = rule_step(rc, &obs, &states[id], now_ms, &next);
		if (action == RULE_NONE)
			continue;
		if (action == RULE_FIRE || action == RULE_RESOLVE || action == RULE_REPEAT)
			agent_facts(id, agent_id, rc, ws->w[rc->window].name, &obs, action,
			    action == RULE_RESOLVE ? &states[id] : &next, now_ms,
			    &out->facts[out->count++]);
		states[id] = next;
		changed = true;
	}
	/* Out of memory: the rules stay as they were and are evaluated again at the next flush. */
	if (changed && !agent_set_rules(a, states)) {
		out->count = 0;
		return false;
	}
	return changed;
}

/* See agent.h. */
bool agent_rules_active(const struct agent *a)
{
	for (int id = 0; a->rules != NULL && id < RULE_COUNT; id++)
		if (a->rules[id].kind != RULE_OK)
			return true;
	return false;
}

/* See agent.h. */
bool agent_pack(msgpack_packer *pk, const struct agent *a, const struct agent_plan *plan)
{
	if (msgpack_pack_array(pk, AGENT_FIELDS) || msgpack_pack_int(pk, AGENT_VERSION) ||
	    msgpack_pack_int64(pk, a->open) || msgpack_pack_int64(pk, a->overdue) ||
	    msgpack_pack_int64(pk, a->newest_ms) || !rolling_pack(pk, &a->counts, &plan->counts) ||
	    msgpack_pack_array(pk, RULE_COUNT * AGENT_RULE_FIELDS))
		return false;
	for (int id = 0; id < RULE_COUNT; id++) {
		const struct rule_state *r = &agent_rules(a)[id];

		if (msgpack_pack_int(pk, (int)r->kind) || msgpack_pack_int64(pk, r->since_ms) ||
		    msgpack_pack_int64(pk, r->pending_since_ms) || msgpack_pack_int64(pk, r->last_sent_ms))
			return false;
	}
	if (!histogram_pack(pk, &a->responses, &plan->responses))
		return false;
	if (a->team != NULL ? msgpack_pack_str_with_body(pk, a->team, strlen(a->team)) : msgpack_pack_nil(pk))
		return false;
	if (a->active == NULL ? msgpack_pack_nil(pk) : msgpack_pack_array(pk, a->active_tasks))
		return false;
	for (uint32_t s = 0; a->active != NULL && s < a->active_tasks; s++) {
		if (msgpack_pack_array(pk, plan->counts.tiers))
			return false;
		for (size_t w = 0; w < plan->counts.tiers; w++)
			if (msgpack_pack_int64(pk, a->active[s * WINDOWS_MAX + w]))
				return false;
	}
	return msgpack_pack_int64(pk, a->last_reply_ms) == 0 && appraisal_pack(pk, &a->months);
}

/* Reads a team (nil: none) into next; false when malformed or out of memory. */
static bool agent_unpack_team(const msgpack_object *o, struct agent *next)
{
	if (o->type == MSGPACK_OBJECT_NIL)
		return true;
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 || o->via.str.size > EVENT_ID_MAX ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return false;
	return (next->team = strndup(o->via.str.ptr, o->via.str.size)) != NULL;
}

/* Reads a group's active table (nil: an agent) into next; false when malformed or out of memory. */
static bool agent_unpack_active(const msgpack_object *o, struct agent *next, size_t tiers)
{
	if (o->type == MSGPACK_OBJECT_NIL)
		return true;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0 || !agent_make_group(next, o->via.array.size))
		return false;
	for (uint32_t s = 0; s < o->via.array.size; s++) {
		const msgpack_object *row = &o->via.array.ptr[s];

		if (row->type != MSGPACK_OBJECT_ARRAY || row->via.array.size != tiers)
			return false;
		for (size_t w = 0; w < tiers; w++)
			if (!mpack_int(&row->via.array.ptr[w], 0, INT32_MAX, &next->active[s * WINDOWS_MAX + w]))
				return false;
	}
	return true;
}

/* Reads the states of the first n rules (the others OK); false on anything out of range. */
static bool agent_unpack_rules(const msgpack_object *o, int n, struct rule_state rules[RULE_COUNT])
{
	const msgpack_object *m = o->via.array.ptr;

	memset(rules, 0, RULE_COUNT * sizeof(*rules));
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != (uint32_t)n * AGENT_RULE_FIELDS)
		return false;
	for (int id = 0; id < n; id++, m += AGENT_RULE_FIELDS) {
		int64_t kind;

		if (!mpack_int(&m[0], RULE_OK, RULE_FIRING, &kind) ||
		    !mpack_int(&m[1], 0, INT64_MAX, &rules[id].since_ms) ||
		    !mpack_int(&m[2], 0, INT64_MAX, &rules[id].pending_since_ms) ||
		    !mpack_int(&m[3], 0, INT64_MAX, &rules[id].last_sent_ms))
			return false;
		rules[id].kind = (enum rule_state_kind)kind;
	}
	return true;
}

/* Replaces *r by an older record's counts o, of its first counters, widened to plan; false, *r unchanged, on failure. */
static bool agent_unpack_narrow(const msgpack_object *o, size_t counters, struct rolling *r,
    const struct rolling_plan *plan)
{
	struct windows ws;
	struct rolling_plan narrow;
	struct rolling old = {NULL, 0, 0};

	/* The plan's windows: a plan depends on their spans only, not on their names. */
	memset(&ws, 0, sizeof(ws));
	ws.count = plan->tiers;
	for (size_t i = 0; i < plan->tiers; i++)
		ws.w[i].span_ms = plan->span_ms[i];
	if (!agent_plan_of(&narrow, &ws, counters) || !rolling_unpack(o, &old, &narrow))
		return false;
	if (!rolling_widen(&old, &narrow, plan)) {
		rolling_free(&old);
		return false;
	}
	rolling_free(r);
	*r = old;
	return true;
}

/* The fields of a record of version v. */
static uint32_t agent_fields_of(int64_t v)
{
	return v < AGENT_V3 ? AGENT_V2_FIELDS : v == AGENT_V3 ? AGENT_V3_FIELDS : v == AGENT_V4 ? AGENT_V4_FIELDS : AGENT_FIELDS;
}

/* See agent.h. */
bool agent_decode(const char *buf, size_t len, struct agent *a, const struct agent_plan *plan)
{
	msgpack_unpacked u;
	struct rule_state rules[RULE_COUNT];
	struct agent next;
	int64_t version;
	bool ok = false;

	memset(&next, 0, sizeof(next));
	msgpack_unpacked_init(&u);
	if (!mpack_one(&u, buf, len) || u.data.type != MSGPACK_OBJECT_ARRAY || u.data.via.array.size < 1)
		goto out;
	const msgpack_object *m = u.data.via.array.ptr;
	if (!mpack_int(&m[0], 1, AGENT_VERSION, &version) ||
	    u.data.via.array.size != agent_fields_of(version) ||
	    !mpack_int(&m[1], INT32_MIN, INT32_MAX, &next.open) ||
	    !mpack_int(&m[2], INT32_MIN, INT32_MAX, &next.overdue) ||
	    !mpack_int(&m[3], 0, INT64_MAX, &next.newest_ms) ||
	    !agent_unpack_rules(&m[5], version < AGENT_V4 ? AGENT_V3_RULES : RULE_COUNT, rules) ||
	    !agent_set_rules(&next, rules))
		goto out;
	if ((version >= AGENT_V4 ? !rolling_unpack(&m[4], &next.counts, &plan->counts) :
	    !agent_unpack_narrow(&m[4], version == 1 ? AGENT_V1_COUNTERS : AGENT_V3_COUNTERS, &next.counts,
	    &plan->counts)) ||
	    (version >= AGENT_V3 && (!histogram_unpack(&m[6], &next.responses, &plan->responses) ||
	    !agent_unpack_team(&m[7], &next) || !agent_unpack_active(&m[8], &next, plan->counts.tiers))) ||
	    (version >= AGENT_V4 && !mpack_int(&m[9], 0, INT64_MAX, &next.last_reply_ms)) ||
	    (version == AGENT_VERSION && !appraisal_unpack(&m[10], &next.months))) {
		agent_free(&next);
		goto out;
	}
	agent_free(a);
	*a = next;
	ok = true;
out:
	msgpack_unpacked_destroy(&u);
	return ok;
}

/* See agent.h. */
bool agent_set_team(struct agent *a, const char *team)
{
	char *copy = NULL;

	if (team != NULL && (copy = strdup(team)) == NULL)
		return false;
	free(a->team);
	a->team = copy;
	return true;
}

/* See agent.h. */
bool agent_make_group(struct agent *a, uint32_t tasks)
{
	int64_t *active = calloc((size_t)tasks * WINDOWS_MAX, sizeof(*active));

	if (active == NULL)
		return false;
	free(a->active);
	a->active = active;
	a->active_tasks = tasks;
	return true;
}

/* See agent.h. */
void agent_free(struct agent *a)
{
	rolling_free(&a->counts);
	histogram_free(&a->responses);
	appraisal_free(&a->months);
	free(a->summary);
	free(a->rules);
	free(a->team);
	free(a->active);
	memset(a, 0, sizeof(*a));
}
