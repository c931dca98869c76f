/* clock.c: one ticket's clocks (first or next reply, resolution), their pauses and promises, and their effects (pure). */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOCK_PERMILLE 1000

/* The alert rules of each clock, and the one promise rule they share. */
struct clock_rules {
	const char *at_risk;
	const char *breach;
};
static const struct clock_rules clock_reply_rules = {"reply_sla_at_risk", "reply_sla_breach"};
static const struct clock_rules clock_resolution_rules = {"resolution_sla_at_risk", "resolution_sla_breach"};
static const char clock_promise_rule[] = "promise_broken";
static const char clock_firing[] = "firing";
static const char clock_resolved[] = "resolved";

/* A ticket with no status event: nothing pauses it. */
static const struct pauses clock_no_pauses;
/* The resolution clock of a ticket without extras: idle. */
static const struct clock_run clock_idle;

/* See clock.h. */
enum clock_kind
clock_kind_of(enum event_type type, enum severity severity)
{
	return type == EVENT_COMPLAINT ? (enum clock_kind)(CLOCK_LOW + severity) : CLOCK_MESSAGE;
}

/* See clock.h. */
const char *
clock_kind_name(enum clock_kind kind)
{
	if (kind == CLOCK_MESSAGE)
		return event_type_name(EVENT_MESSAGE);
	return severity_name((enum severity)(kind - CLOCK_LOW));
}

/* Whether a clock is running or waiting to be counted. */
static bool
clock_run_active(const struct clock_run *r)
{
	return r->state != RUN_IDLE;
}

/* Whether a clock runs (open or overdue). */
static bool
clock_run_running(const struct clock_run *r)
{
	return r->state == RUN_OPEN || r->state == RUN_OVERDUE;
}

/* The status timeline, empty when the ticket never had a status event. */
static const struct pauses *
clock_pauses(const struct clock_state *s)
{
	return s->extra != NULL && s->extra->pauses != NULL ? s->extra->pauses : &clock_no_pauses;
}

/* The resolution clock, idle when the ticket has no extras. */
static const struct clock_run *
clock_resolution(const struct clock_state *s)
{
	return s->extra != NULL ? &s->extra->resolution : &clock_idle;
}

/* Which clock r is, as an index of the extras' since: 0 the reply clock, 1 the resolution clock. */
static int
clock_which(const struct clock_state *s, const struct clock_run *r)
{
	return r != &s->reply;
}

/* The goal r runs for, in the ticket's terms. */
static const struct terms_goal *
clock_goal(const struct clock_state *s, const struct clock_run *r)
{
	return &s->terms->goals[r->goal];
}

/* r's target, business ms. */
static int64_t
clock_target(const struct clock_state *s, const struct clock_run *r)
{
	return clock_goal(s, r)->target_ms[r->kind];
}

/* r's promise, business ms; 0: none. */
static int64_t
clock_promise(const struct clock_state *s, const struct clock_run *r)
{
	return clock_goal(s, r)->promise_ms;
}

/* When a settling clock is counted: the reply clock's in the state, the resolution clock's in the extras. */
static int64_t *
clock_settle_slot(struct clock_state *s, const struct clock_run *r)
{
	return r == &s->reply ? &s->when : &s->extra->settle_at;
}

/*
 * The one place an instant is worked out: span business ms of clock time after the clock's
 * start, on the terms' calendar, leaving out its paused stretches. PAUSES_NEVER while a pause
 * holds the clock.
 */
static int64_t
clock_point(const struct clock_state *s, const struct clock_run *r, int64_t span)
{
	return pauses_deadline(clock_pauses(s), s->terms->pause_mask, s->terms->calendar, r->start, span);
}

/* Clock time (business, unpaused) from a clock's start to t. */
static int64_t
clock_elapsed(const struct clock_state *s, const struct clock_run *r, int64_t t)
{
	return pauses_elapsed(clock_pauses(s), s->terms->pause_mask, s->terms->calendar, r->start, t);
}

/* A clock's deadline. */
static int64_t
clock_run_due(const struct clock_state *s, const struct clock_run *r)
{
	return clock_point(s, r, clock_target(s, r));
}

/* A clock's at-risk point: floor(target x at_risk) into it. */
static int64_t
clock_run_risk(const struct clock_state *s, const struct clock_run *r)
{
	return clock_point(s, r, clock_target(s, r) * clock_goal(s, r)->at_risk_permille / CLOCK_PERMILLE);
}

/* The instant a clock's promise breaks; PAUSES_NEVER when it has none. */
static int64_t
clock_run_promised(const struct clock_state *s, const struct clock_run *r)
{
	return clock_promise(s, r) > 0 ? clock_point(s, r, clock_promise(s, r)) : PAUSES_NEVER;
}

/* When a clock has something to do next, or CLOCK_NONE. */
static int64_t
clock_run_next(const struct clock_state *s, const struct clock_run *r)
{
	int64_t t = PAUSES_NEVER, promised;

	switch (r->state) {
	case RUN_OPEN:
		t = clock_goal(s, r)->at_risk_permille > 0 && !r->risk_fired ? clock_run_risk(s, r) : clock_run_due(s, r);
		/* A promise is checked against the longest target a policy's tickets start with: a shorter one can break first. */
		if (!r->promise_fired && (promised = clock_run_promised(s, r)) < t)
			t = promised;
		break;
	case RUN_OVERDUE:
		if (!r->promise_fired)
			t = clock_run_promised(s, r);
		break;
	case RUN_SETTLING:
		t = r == &s->reply ? s->when : s->extra->settle_at;
		break;
	}
	return t == PAUSES_NEVER ? CLOCK_NONE : t;
}

/* The earlier of two times, CLOCK_NONE being none. */
static int64_t
clock_min(int64_t a, int64_t b)
{
	if (a == CLOCK_NONE)
		return b;
	return b == CLOCK_NONE || a < b ? a : b;
}

/* See clock.h. */
int64_t
clock_next(const struct clock_state *s)
{
	int64_t t = CLOCK_NONE;

	if (s->terms != NULL)
		t = clock_min(clock_run_next(s, &s->reply), clock_run_next(s, clock_resolution(s)));
	if (s->extra != NULL && s->extra->expires > 0)
		t = clock_min(t, s->extra->expires);
	if (!clock_holds_names(s) && s->when > 0)
		t = clock_min(t, s->when);
	return t;
}

/* See clock.h. */
bool
clock_holds_names(const struct clock_state *s)
{
	return clock_run_active(&s->reply) || clock_run_active(clock_resolution(s));
}

/* See clock.h. */
bool
clock_reply_running(const struct clock_state *s)
{
	return clock_run_running(&s->reply);
}

/* See clock.h. */
bool
clock_reply_overdue(const struct clock_state *s)
{
	return s->reply.state == RUN_OVERDUE;
}

/* See clock.h. */
int64_t
clock_due(const struct clock_state *s)
{
	int64_t t = PAUSES_NEVER;

	if (clock_run_running(&s->reply))
		t = clock_run_due(s, &s->reply);
	else if (clock_run_running(clock_resolution(s)))
		t = clock_run_due(s, clock_resolution(s));
	return t == PAUSES_NEVER ? CLOCK_NONE : t;
}

/* See clock.h. */
bool
clock_empty(const struct clock_state *s)
{
	return s->terms == NULL && s->extra == NULL;
}

/* See clock.h. */
void
clock_clear(struct clock_state *s)
{
	if (s->extra != NULL)
		free(s->extra->pauses);
	free(s->extra);
	memset(s, 0, sizeof(*s));
}

/* Whether an early reply waits on the ticket. */
static bool
clock_early_waits(const struct clock_state *s)
{
	return s->extra != NULL && s->extra->expires > 0;
}

/* See clock.h. */
int64_t
clock_early_reply(const struct clock_state *s)
{
	return clock_early_waits(s) ? s->extra->early : CLOCK_NONE;
}

/*
 * The ticket's extras, made on first need (a status event, a resolution clock, an early
 * reply); NULL when out of memory. Episodes that fired before keep the points they fired at.
 */
static struct clock_extra *
clock_extra(struct clock_state *s)
{
	struct clock_extra *x = s->extra;
	int64_t *since;

	if (x != NULL || (x = calloc(1, sizeof(*x))) == NULL)
		return x;
	s->extra = x;
	since = x->since[clock_which(s, &s->reply)];
	if (s->terms != NULL && s->reply.risk_fired)
		since[CLOCK_RISK] = clock_run_risk(s, &s->reply);
	if (s->terms != NULL && s->reply.breach_counted)
		since[CLOCK_BREACH] = clock_run_due(s, &s->reply);
	if (s->terms != NULL && s->reply.promise_fired)
		since[CLOCK_PROMISE] = clock_run_promised(s, &s->reply);
	return x;
}

/* Drops the extras once nothing in them is needed. */
static void
clock_extra_trim(struct clock_state *s)
{
	struct clock_extra *x = s->extra;

	/* Fired episodes keep their since there: a restore under other hours must not move them. */
	if (x != NULL && x->pauses == NULL && x->resolution.state == RUN_IDLE && x->expires == 0 &&
	    !s->reply.risk_fired && !s->reply.breach_counted && !s->reply.promise_fired) {
		free(x);
		s->extra = NULL;
	}
}

/* See clock.h. */
int64_t
clock_since(const struct clock_state *s, const struct clock_run *r, enum clock_episode e)
{
	if (s->extra != NULL)
		return s->extra->since[clock_which(s, r)][e];
	if (e == CLOCK_RISK)
		return clock_run_risk(s, r);
	return e == CLOCK_BREACH ? clock_run_due(s, r) : clock_run_promised(s, r);
}

/* Records when a fired episode of r started, where a later timeline cannot move it. */
static void
clock_mark(struct clock_state *s, const struct clock_run *r, enum clock_episode e, int64_t since)
{
	if (s->extra != NULL)
		s->extra->since[clock_which(s, r)][e] = since;
}

/* Starts a call's effects empty: no field of a previous call survives. */
static void
clock_begin(struct clock_effects *out, uint32_t agent)
{
	out->changed = false;
	out->agent = agent;
	out->open_delta = 0;
	out->overdue_delta = 0;
	out->n_adds = 0;
	out->n_alerts = 0;
}

/*
 * Ends a call: a ticket with nothing running is remembered for memory_ms (which clock comes
 * next, its status), then forgotten; one feedbackd knows nothing of is forgotten at once.
 */
static void
clock_finish(struct clock_state *s, const struct clock_config *cfg, int64_t now_ms,
    struct clock_effects *out)
{
	clock_extra_trim(s);
	if (clock_holds_names(s) || clock_early_waits(s)) {
		/* when is the settle time while the reply clock settles, else unset */
		if (s->reply.state != RUN_SETTLING && s->when != 0) {
			s->when = 0;
			out->changed = true;
		}
	} else if (clock_empty(s)) {
		/* Nothing left to forget (an expired early reply already said changed): no change. */
		clock_clear(s);
	} else if (s->when == 0) {
		s->when = now_ms + cfg->memory_ms;
		out->changed = true;
	}
	if (!clock_holds_names(s) && s->when != 0 && now_ms >= s->when) {
		clock_clear(s);
		out->changed = true;
	}
	out->fate = clock_empty(s) ? CLOCK_DELETE : CLOCK_KEEP;
	out->next_ms = clock_next(s);
}

/* Forgets an early reply whose horizon passed. */
static void
clock_expire(struct clock_state *s, int64_t now_ms, struct clock_effects *out)
{
	if (clock_early_waits(s) && now_ms >= s->extra->expires) {
		s->extra->early = 0;
		s->extra->expires = 0;
		out->changed = true;
	}
}

/* Queues one counter change for the effects' agent. */
static void
clock_add(struct clock_effects *out, enum counter c, int64_t ts, int64_t value)
{
	struct clock_add *a = &out->adds[out->n_adds++];

	a->agent = out->agent;
	a->counter = c;
	a->ts = ts;
	a->value = value;
}

/* Counts a met or missed target: every reply clock, and a first reply's own too. */
static void
clock_add_outcome(struct clock_effects *out, const struct clock_run *r, bool reply, bool met, int64_t ts)
{
	if (!reply)
		clock_add(out, met ? C_RES_MET : C_RES_MISSED, ts, 1);
	else {
		clock_add(out, met ? C_SLA_MET : C_SLA_MISSED, ts, 1);
		if (r->goal == POLICY_FIRST_REPLY)
			clock_add(out, met ? C_FIRST_MET : C_FIRST_MISSED, ts, 1);
	}
}

/* Resolves a handle to its string; the category's absence is "". */
static const char *
clock_name(const struct clock_names *names, uint32_t handle)
{
	return handle == CLOCK_NO_NAME ? "" : names->name(names->arg, handle);
}

/*
 * Queues an alert about a clock at `at` (the decision, or the event that stopped it); since
 * identifies the episode. The rule-specific numbers start absent (-1).
 */
static struct alert_facts *
clock_alert(const struct clock_state *s, const struct clock_run *r, const struct clock_names *names,
    int64_t now_ms, int64_t at, const char *rule, const char *state, int64_t since,
    struct clock_effects *out)
{
	struct alert_facts *f = &out->alerts[out->n_alerts++];
	int64_t due = clock_run_due(s, r);

	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	snprintf(f->state, sizeof(f->state), "%s", state);
	snprintf(f->agent, sizeof(f->agent), "%s", clock_name(names, s->agent));
	snprintf(f->ticket, sizeof(f->ticket), "%s", names->ticket);
	snprintf(f->severity, sizeof(f->severity), "%s", clock_kind_name((enum clock_kind)r->kind));
	snprintf(f->category, sizeof(f->category), "%s", clock_name(names, s->category));
	snprintf(f->policy, sizeof(f->policy), "%s", s->terms->policy);
	snprintf(f->calendar, sizeof(f->calendar), "%s", s->terms->calendar_name);
	snprintf(f->goal, sizeof(f->goal), "%s", policy_target_name((enum policy_target)r->goal));
	f->since = since;
	f->at = now_ms;
	f->start = r->start;
	f->due = due == PAUSES_NEVER ? -1 : due;
	f->target = clock_target(s, r);
	f->business_ms = at > r->start ? clock_elapsed(s, r, at) : 0;
	f->wall_ms = at > r->start ? at - r->start : 0;
	f->promise_ms = clock_promise(s, r) > 0 ? clock_promise(s, r) : -1;
	f->promised = clock_promise(s, r) > 0 ? clock_run_promised(s, r) : -1;
	if (f->promised == PAUSES_NEVER)
		f->promised = -1;
	f->late_ms = -1;
	f->remaining_ms = -1;
	f->response_ms = -1;
	f->samples = -1;
	return f;
}

/* The rules of a clock: the reply clock's or the resolution clock's. */
static const struct clock_rules *
clock_rules_of(const struct clock_state *s, const struct clock_run *r)
{
	return r == &s->reply ? &clock_reply_rules : &clock_resolution_rules;
}

/* Starts a clock of goal at ts under the ticket's terms; false when the terms have no such target. */
static bool
clock_run_start(struct clock_state *s, struct clock_run *r, enum policy_target goal,
    enum clock_kind kind, int64_t ts, int64_t now_ms)
{
	const struct terms_goal *g = &s->terms->goals[goal];

	if (g->target_ms[kind] <= 0)
		return false;
	memset(r, 0, sizeof(*r));
	r->state = RUN_OPEN;
	r->goal = (uint8_t)goal;
	r->kind = (uint8_t)kind;
	r->start = ts;
	r->created = now_ms;
	return true;
}

/* An older opening event moves a running clock's start back, if nothing about it fired yet. */
static bool
clock_run_move_back(struct clock_run *r, int64_t ts)
{
	if (r->state != RUN_OPEN || ts >= r->start || r->risk_fired)
		return false;
	r->start = ts;
	return true;
}

/*
 * Counts a stopped clock's figures: its clock time, met (at the stop) or missed (at the
 * deadline, unless the breach counted it), and its promise kept or broken. The timeline is
 * read now, so a status event that arrived while it settled counts as if it came in order.
 */
static void
clock_settle(struct clock_state *s, struct clock_run *r, struct clock_effects *out)
{
	bool reply = r == &s->reply;
	int64_t took = clock_elapsed(s, r, r->stop), due = clock_run_due(s, r), promised;

	clock_add(out, reply ? C_RESP_N : C_RES_N, r->stop, 1);
	clock_add(out, reply ? C_RESP_SUM_MS : C_RES_SUM_MS, r->stop, took);
	clock_add(out, reply ? C_RESP_MAX_MS : C_RES_MAX_MS, r->stop, took);
	if (reply && r->goal == POLICY_FIRST_REPLY) {
		clock_add(out, C_FIRST_N, r->stop, 1);
		clock_add(out, C_FIRST_SUM_MS, r->stop, took);
		clock_add(out, C_FIRST_MAX_MS, r->stop, took);
	} else if (reply) {
		clock_add(out, C_NEXT_MAX_MS, r->stop, took);
	}
	if (!r->breach_counted)
		clock_add_outcome(out, r, reply, r->stop <= due, r->stop <= due ? r->stop : due);
	if (clock_promise(s, r) > 0 && !r->promise_fired) {
		promised = clock_run_promised(s, r);
		clock_add(out, r->stop <= promised ? C_PROMISE_KEPT : C_PROMISE_BROKEN,
		    r->stop <= promised ? r->stop : promised, 1);
	}
	memset(r, 0, sizeof(*r));
	if (r == &s->reply)
		s->when = 0;
	out->changed = true;
}

/*
 * Stops a running clock at ts: its alerts resolve (a breach or broken promise that ts reveals
 * fires and resolves at once), the reply clock leaves the gauges. answered (a reply; `solved`
 * for the resolution clock) settles it after the grace; otherwise (`solved` ending a reply
 * clock) nothing is counted.
 */
static void
clock_run_stop(struct clock_state *s, struct clock_run *r, const struct clock_config *cfg, int64_t ts,
    bool answered, int64_t now_ms, const struct clock_names *names, struct clock_effects *out)
{
	const struct clock_rules *rules = clock_rules_of(s, r);
	bool overdue = r->state == RUN_OVERDUE;
	int64_t due = clock_run_due(s, r), promised = clock_run_promised(s, r);
	int64_t took = answered ? ts - r->start : -1;
	struct alert_facts *f;

	if (overdue) {
		f = clock_alert(s, r, names, now_ms, ts, rules->breach, clock_resolved, clock_since(s, r, CLOCK_BREACH), out);
		f->response_ms = took;
	} else if (answered && ts > due && r->created <= due) {
		/*
		 * Late, and the clock was known before its deadline, but the breach has not fired
		 * yet (the daemon was down, or the reply beat the timer): still a breach, so say
		 * so. A clock first seen already past its deadline (a backlog replay) is not paged.
		 */
		f = clock_alert(s, r, names, now_ms, ts, rules->breach, clock_firing, due, out);
		f->late_ms = ts - due;
		f = clock_alert(s, r, names, now_ms, ts, rules->breach, clock_resolved, due, out);
		f->response_ms = took;
	}
	if (r->risk_fired && !overdue) {
		f = clock_alert(s, r, names, now_ms, ts, rules->at_risk, clock_resolved, clock_since(s, r, CLOCK_RISK), out);
		f->response_ms = took;
		f->superseded = answered && ts > due;
	}
	if (r->promise_fired) {
		f = clock_alert(s, r, names, now_ms, ts, clock_promise_rule, clock_resolved,
		    clock_since(s, r, CLOCK_PROMISE), out);
		f->response_ms = took;
	} else if (answered && clock_promise(s, r) > 0 && ts > promised && r->created <= promised) {
		f = clock_alert(s, r, names, now_ms, ts, clock_promise_rule, clock_firing, promised, out);
		f->late_ms = ts - promised;
		f = clock_alert(s, r, names, now_ms, ts, clock_promise_rule, clock_resolved, promised, out);
		f->response_ms = took;
	}
	if (r == &s->reply) {
		out->open_delta = -1;
		out->overdue_delta = -overdue;
	}
	out->changed = true;
	if (!answered) {
		memset(r, 0, sizeof(*r));
		return;
	}
	r->state = RUN_SETTLING;
	r->stop = ts;
	*clock_settle_slot(s, r) = now_ms + cfg->grace_ms;
	if (cfg->grace_ms == 0)
		clock_settle(s, r, out);
}

/* A reply clock settling when the next one starts is counted first: one waits at a time. */
static void
clock_settle_now(struct clock_state *s, struct clock_run *r, struct clock_effects *out)
{
	if (r->state == RUN_SETTLING)
		clock_settle(s, r, out);
}

/*
 * Starts the resolution clock at ts, unless it runs, the ticket is solved, or there is no
 * target (or no memory for it: the ticket then has no resolution clock).
 */
static void
clock_resolution_open(struct clock_state *s, enum clock_kind kind, int64_t ts, int64_t now_ms,
    struct clock_effects *out)
{
	if (clock_run_running(clock_resolution(s))) {
		out->changed |= clock_run_move_back(&s->extra->resolution, ts);
		return;
	}
	if (s->solved || s->terms->goals[POLICY_RESOLUTION].target_ms[kind] <= 0 || clock_extra(s) == NULL)
		return;
	clock_settle_now(s, &s->extra->resolution, out);
	out->changed |= clock_run_start(s, &s->extra->resolution, POLICY_RESOLUTION, kind, ts, now_ms);
}

/* Starts a reply clock at ts (first or next), or counts the early reply it pairs with. */
static void
clock_reply_open(struct clock_state *s, const struct clock_config *cfg, enum clock_kind kind, int64_t ts,
    int64_t now_ms, struct clock_effects *out)
{
	enum policy_target goal = s->replied ? POLICY_NEXT_REPLY : POLICY_FIRST_REPLY;
	int64_t early = clock_early_waits(s) ? s->extra->early : 0;
	bool paired = clock_early_waits(s) && early >= ts && early - ts <= cfg->pair_horizon_ms;

	clock_settle_now(s, &s->reply, out);
	/* Any early reply not paired is superseded by the clock. */
	if (s->extra != NULL)
		s->extra->early = s->extra->expires = 0;
	out->changed = true;
	if (!clock_run_start(s, &s->reply, goal, kind, ts, now_ms))
		return;
	if (paired) {
		/* The reply was already here: count the pair, page nobody. */
		s->replied = true;
		s->reply.state = RUN_SETTLING;
		s->reply.stop = early;
		s->when = now_ms + cfg->grace_ms;
		if (cfg->grace_ms == 0)
			clock_settle(s, &s->reply, out);
		return;
	}
	out->open_delta = 1;
}

/* See clock.h. */
void
clock_open(struct clock_state *s, const struct clock_config *cfg,
    const struct clock_opening *ev, int64_t now_ms, struct clock_effects *out)
{
	clock_begin(out, ev->agent);
	clock_expire(s, now_ms, out);
	/* Opening a clock this old would only breach at once. */
	if (ev->late)
		goto done;
	if (s->terms == NULL) {
		s->terms = ev->terms;
		out->changed = true;
	}
	if (clock_holds_names(s))
		out->agent = s->agent;
	else {
		s->agent = ev->agent;
		s->category = ev->category;
	}
	if (clock_run_running(&s->reply))
		out->changed |= clock_run_move_back(&s->reply, ev->ts);
	else
		clock_reply_open(s, cfg, ev->kind, ev->ts, now_ms, out);
	clock_resolution_open(s, ev->kind, ev->ts, now_ms, out);
done:
	clock_finish(s, cfg, now_ms, out);
}

/* Keeps a reply that found no clock as early, unless an earlier one already waits. */
static void
clock_wait(struct clock_state *s, const struct clock_config *cfg, int64_t ts, int64_t now_ms,
    struct clock_effects *out)
{
	if (clock_early_waits(s) && ts >= s->extra->early)
		return;
	/* Out of memory, the reply is not kept: its message starts a clock, which it does not stop. */
	if (clock_extra(s) == NULL)
		return;
	s->extra->early = ts;
	s->extra->expires = now_ms + cfg->pair_horizon_ms;
	out->changed = true;
}

/* See clock.h. */
void
clock_reply(struct clock_state *s, const struct clock_config *cfg, int64_t ts,
    int64_t now_ms, const struct clock_names *names, struct clock_effects *out)
{
	clock_begin(out, s->agent);
	clock_expire(s, now_ms, out);
	if (!clock_run_running(&s->reply)) {
		clock_wait(s, cfg, ts, now_ms, out);
	} else if (ts >= s->reply.start) { /* else it answers something older than this clock */
		s->replied = true;
		clock_run_stop(s, &s->reply, cfg, ts, true, now_ms, names, out);
	}
	clock_finish(s, cfg, now_ms, out);
}

/* Keeps the timeline short: only what the clocks still running (or the next one) can need. */
static void
clock_prune(struct clock_state *s, int64_t ts)
{
	int64_t since = ts;

	if (clock_run_active(&s->reply) && s->reply.start < since)
		since = s->reply.start;
	if (clock_run_active(clock_resolution(s)) && clock_resolution(s)->start < since)
		since = clock_resolution(s)->start;
	pauses_prune(s->extra->pauses, since);
}

/* `solved`: the reply clock ends uncounted, the resolution clock is answered. */
static void
clock_solve(struct clock_state *s, const struct clock_config *cfg, int64_t ts, int64_t now_ms,
    const struct clock_names *names, struct clock_effects *out)
{
	s->solved = true;
	if (clock_run_running(&s->reply) && ts >= s->reply.start)
		clock_run_stop(s, &s->reply, cfg, ts, false, now_ms, names, out);
	if (clock_run_running(clock_resolution(s)) && ts >= clock_resolution(s)->start)
		clock_run_stop(s, &s->extra->resolution, cfg, ts, true, now_ms, names, out);
}

/* `reopened`: the clocks start again at ts, as a customer message would start them. */
static void
clock_reopen(struct clock_state *s, const struct clock_config *cfg, int64_t ts, int64_t now_ms,
    struct clock_effects *out)
{
	s->solved = false;
	if (!clock_run_running(&s->reply))
		clock_reply_open(s, cfg, CLOCK_MESSAGE, ts, now_ms, out);
	clock_resolution_open(s, CLOCK_MESSAGE, ts, now_ms, out);
}

/* See clock.h. */
bool
clock_status(struct clock_state *s, const struct clock_config *cfg, enum ticket_status status,
    int64_t ts, int64_t now_ms, const struct clock_names *names, struct clock_effects *out)
{
	clock_begin(out, s->agent);
	clock_expire(s, now_ms, out);
	if (clock_extra(s) == NULL ||
	    (s->extra->pauses == NULL && (s->extra->pauses = calloc(1, sizeof(*s->extra->pauses))) == NULL)) {
		clock_finish(s, cfg, now_ms, out);
		return false;
	}
	clock_prune(s, ts);
	if (pauses_note(s->extra->pauses, ts, status)) {
		out->changed = true;
		/* A ticket with no terms has no clock to stop or start: its timeline waits for one. */
		/*
		 * Even when already solved: a reply clock started since (a message) ends too. A
		 * ticket reopened is solved, or was forgotten since and has nothing running.
		 */
		if (s->terms != NULL && status == STATUS_SOLVED)
			clock_solve(s, cfg, ts, now_ms, names, out);
		else if (s->terms != NULL && status == STATUS_REOPENED && (s->solved || !clock_holds_names(s)))
			clock_reopen(s, cfg, ts, now_ms, out);
	}
	clock_finish(s, cfg, now_ms, out);
	return true;
}

/* Fires what is due on one running clock: its at-risk point, its deadline or its promise. */
static bool
clock_run_fire(struct clock_state *s, struct clock_run *r, int64_t now_ms,
    const struct clock_names *names, struct clock_effects *out)
{
	const struct clock_rules *rules = clock_rules_of(s, r);
	int64_t next = clock_run_next(s, r), due, promised;
	struct alert_facts *f;

	if (next == CLOCK_NONE || now_ms < next)
		return false;
	out->changed = true;
	if (r->state == RUN_SETTLING) {
		clock_settle(s, r, out);
		return true;
	}
	due = clock_run_due(s, r);
	promised = clock_run_promised(s, r);
	if (!r->promise_fired && now_ms >= promised && (r->state == RUN_OVERDUE || now_ms < due)) {
		r->promise_fired = true;
		clock_mark(s, r, CLOCK_PROMISE, promised);
		clock_add(out, C_PROMISE_BROKEN, promised, 1);
		f = clock_alert(s, r, names, now_ms, now_ms, clock_promise_rule, clock_firing, promised, out);
		f->late_ms = now_ms - promised;
	} else if (now_ms >= due) {
		r->state = RUN_OVERDUE;
		r->breach_counted = true;
		clock_mark(s, r, CLOCK_BREACH, due);
		clock_add_outcome(out, r, r == &s->reply, false, due);
		if (r == &s->reply)
			out->overdue_delta = 1;
		if (r->risk_fired) {
			f = clock_alert(s, r, names, now_ms, now_ms, rules->at_risk, clock_resolved,
			    clock_since(s, r, CLOCK_RISK), out);
			f->superseded = true;
		}
		f = clock_alert(s, r, names, now_ms, now_ms, rules->breach, clock_firing, due, out);
		f->late_ms = now_ms - due;
	} else {
		r->risk_fired = true;
		clock_mark(s, r, CLOCK_RISK, clock_run_risk(s, r));
		f = clock_alert(s, r, names, now_ms, now_ms, rules->at_risk, clock_firing, clock_run_risk(s, r), out);
		/* A pause that holds the clock leaves it no deadline: what is left is its clock time. */
		f->remaining_ms = due == PAUSES_NEVER ? clock_target(s, r) - clock_elapsed(s, r, now_ms) : due - now_ms;
	}
	return true;
}

/* See clock.h. */
bool
clock_fire(struct clock_state *s, const struct clock_config *cfg, int64_t now_ms,
    const struct clock_names *names, struct clock_effects *out)
{
	bool fired = false;

	clock_begin(out, s->agent);
	clock_expire(s, now_ms, out);
	/* One step a call: the caller re-arms the timer, which is due again if more is. */
	if (s->terms != NULL)
		fired = clock_run_fire(s, &s->reply, now_ms, names, out) ||
		    (s->extra != NULL && clock_run_fire(s, &s->extra->resolution, now_ms, names, out));
	clock_finish(s, cfg, now_ms, out);
	/* Forgetting the ticket is something done; a timer on a ticket with nothing left is stale. */
	return fired || out->changed;
}
