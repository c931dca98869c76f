/* task_tickets.c: a task's tickets: their clocks and service recoveries, what they credit to agents, their records (pure). */
#include <stdlib.h>
#include <string.h>

#include "clock_record.h"
#include "growarray.h"
#include "recovery.h"
#include "task_state.h"

_Static_assert(ROUTE_ADDS_MAX >= CLOCK_MAX_ADDS, "a delta record carries all of a clock call's adds");

/* See task_state.h. */
void task_ticket_forget(struct task *t, uint32_t i)
{
	char *id = tickets_forget(&t->tickets, i);

	timers_remove(t->ticket_timers, i);
	if (growarray((void **)&t->deleted, &t->deleted_cap, t->deleted_n + 1, sizeof(*t->deleted)))
		t->deleted[t->deleted_n++] = id;
	else
		free(id);
}

/* Marks a ticket whose record must be written at the next flush. */
static void task_ticket_dirty(struct task *t, uint32_t i)
{
	struct tickets_slot *k = &t->tickets.v[i];

	if (!k->dirty) {
		k->dirty = true;
		if (!task_list_push(&t->dirty_tickets, i))
			k->dirty = false;
	}
}

/* See task_state.h. */
int64_t task_ticket_next(const struct task *t, uint32_t i)
{
	const struct tickets_slot *k = &t->tickets.v[i];
	int64_t next = clock_next(&k->clock), r;

	if (k->recovery != NULL && (r = recovery_next(k->recovery, &t->cfg->recovery)) != RECOVERY_NONE &&
	    (next == CLOCK_NONE || r < next))
		next = r;
	return next;
}

/* Re-arms a ticket's timer for its clock and its recovery; a ticket with neither is forgotten. */
static void task_ticket_settle(struct task *t, uint32_t i)
{
	struct tickets_slot *k = &t->tickets.v[i];
	int64_t next = task_ticket_next(t, i);

	if (k->recovery == NULL && clock_empty(&k->clock)) {
		task_ticket_forget(t, i);
		return;
	}
	if (next == CLOCK_NONE)
		timers_remove(t->ticket_timers, i);
	else
		timers_set(t->ticket_timers, i, next);
}

/* Credits a delta to its agent: here when this task owns it, else through the route topic. */
static void task_credit(struct task *t, const struct route_delta *d, int64_t now_ms)
{
	uint32_t dest = task_owner(t, d->agent);

	if (dest == t->id)
		task_agent_delta(t, d, now_ms);
	else if (task_building(t, dest) != NULL)
		route_batch_delta(t->building[dest], d);
}

/* Starts a delta for agent (truncated to an id's length), with no adds. */
static void task_delta_for(struct route_delta *d, const char *agent)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->agent, agent, strnlen(agent, sizeof(d->agent) - 1)); /* d is zeroed: the NUL is there */
}

/* Carries out a clock's effects: counters and gauges, alerts, and a record to write. */
static void task_effects(struct task *t, uint32_t i, const struct clock_effects *fx, int64_t now_ms)
{
	if (fx->n_adds > 0 || fx->open_delta != 0 || fx->overdue_delta != 0) {
		struct route_delta d;

		task_delta_for(&d, tickets_name(&t->tickets, fx->agent));
		d.open = fx->open_delta;
		d.overdue = fx->overdue_delta;
		for (size_t a = 0; a < fx->n_adds && a < ROUTE_ADDS_MAX; a++)
			d.adds[d.add_count++] = (struct route_add){fx->adds[a].ts, fx->adds[a].counter, fx->adds[a].value};
		task_credit(t, &d, now_ms);
	}
	for (size_t a = 0; a < fx->n_alerts; a++)
		task_alert(t, &fx->alerts[a]);
	t->ticket_overdue += (size_t)(fx->overdue_delta > 0);
	t->ticket_overdue -= (size_t)(fx->overdue_delta < 0);
	/* A forgotten clock of a ticket still in recovery leaves a record of its recovery alone. */
	if (fx->changed || (fx->fate == CLOCK_DELETE && t->tickets.v[i].recovery != NULL))
		task_ticket_dirty(t, i);
}

/* Carries out a recovery's effects: its counts for the complaint's agent, its alert, a record to write. */
static void task_recovery_effects(struct task *t, uint32_t i, const struct recovery_effects *fx, int64_t now_ms)
{
	const struct recovery *r = t->tickets.v[i].recovery;

	if (fx->n_adds > 0) {
		struct route_delta d;

		task_delta_for(&d, r->agent);
		for (size_t a = 0; a < fx->n_adds; a++)
			d.adds[d.add_count++] = (struct route_add){fx->adds[a].ts, fx->adds[a].counter, 1};
		task_credit(t, &d, now_ms);
	}
	if (fx->n_alerts > 0)
		task_alert(t, &fx->alert);
	if (fx->changed)
		task_ticket_dirty(t, i);
}

/* The terms a ticket opened by e starts under: its policy's, the first that matches. */
static const struct terms *task_terms(const struct task *t, const struct event *e)
{
	const struct task_config *c = t->cfg;
	const struct policy *p = policy_select(c->policies, c->policy_count, c->default_policy, e);

	return p == c->default_policy ? c->default_terms : c->policy_terms[p - c->policies];
}

/*
 * What a rating or a follow-up does to a ticket's recovery; a ticket with none (most of
 * them) is not even made.
 */
static void task_recovery_part(struct task *t, const struct event *e, int64_t now_ms)
{
	uint32_t i = tickets_find(&t->tickets, e->ticket_id, strlen(e->ticket_id));
	struct recovery_effects fx;
	struct recovery *r;

	if (i == UINT32_MAX || (r = t->tickets.v[i].recovery) == NULL)
		return;
	if (e->type == EVENT_RATING)
		recovery_rating(r, &t->cfg->recovery, e->ts_ms, recovery_satisfied(e->score, e->scale), &fx);
	else
		recovery_follow_up(r, &t->cfg->recovery, e->ticket_id, e->ts_ms, now_ms, &fx);
	task_recovery_effects(t, i, &fx, now_ms);
	task_ticket_settle(t, i);
}

/*
 * A complaint starts its ticket's recovery, unless one is under way; a reply that came before
 * it (an early reply, which its clock is about to pair) is its answer. False when out of memory.
 */
static bool task_recovery_open(struct task *t, uint32_t i, const struct event *e, int64_t now_ms)
{
	struct tickets_slot *k = &t->tickets.v[i];
	int64_t early = clock_early_reply(&k->clock);
	struct recovery_effects fx;

	if (k->recovery != NULL)
		return true;
	if ((k->recovery = recovery_new(e->agent_id, strlen(e->agent_id), e->severity, e->ts_ms, now_ms)) == NULL)
		return false;
	if (early != CLOCK_NONE)
		recovery_reply(k->recovery, &t->cfg->recovery, e->ticket_id, early, false, now_ms, &fx);
	task_ticket_dirty(t, i);
	return true;
}

/* See task_state.h. */
void task_ticket_part(struct task *t, const struct event *e, int64_t now_ms)
{
	/* What may start a clock names its agent: an opening event, or `reopened`. */
	bool naming = e->type == EVENT_COMPLAINT || e->type == EVENT_MESSAGE ||
	    (e->type == EVENT_STATUS && e->status == STATUS_REOPENED);
	struct clock_text agent = {naming ? e->agent_id : "", naming ? strlen(e->agent_id) : 0};
	struct clock_text category = {naming ? e->category : "", naming ? strlen(e->category) : 0};
	struct clock_names names = {e->ticket_id, tickets_name, &t->tickets};
	struct clock_opening op = {
		.kind = clock_kind_of(e->type, e->severity),
		.ts = e->ts_ms,
		.late = e->ts_ms < now_ms - windows_longest_ms(t->cfg->windows),
	};
	struct clock_effects fx;
	struct recovery_effects rfx;
	struct tickets_slot *k;
	uint32_t i;

	if (e->type == EVENT_RATING || e->type == EVENT_FOLLOW_UP) {
		task_recovery_part(t, e, now_ms);
		return;
	}
	if ((i = tickets_slot(&t->tickets, e->ticket_id, strlen(e->ticket_id), &agent, &category)) == UINT32_MAX)
		return;
	k = &t->tickets.v[i];
	/*
	 * A running clock keeps the names it started with (and goes by its own handles, the same
	 * ones). Otherwise this event's names are kept: a new clock, or the early reply it pairs
	 * with, goes by them.
	 */
	if (naming && !clock_holds_names(&k->clock)) {
		if (!tickets_rename(&t->tickets, i, &agent, &category)) {
			task_ticket_settle(t, i);
			return;
		}
		tickets_handles(i, e->category[0] != '\0', &op.agent, &op.category);
		if (e->type == EVENT_STATUS) {
			k->clock.agent = op.agent;
			k->clock.category = op.category;
		}
	}
	if (e->type == EVENT_REPLY) {
		clock_reply(&k->clock, &t->cfg->clocks, e->ts_ms, now_ms, &names, &fx);
		if (k->recovery != NULL) {
			recovery_reply(k->recovery, &t->cfg->recovery, e->ticket_id, e->ts_ms, e->follow_up, now_ms, &rfx);
			task_recovery_effects(t, i, &rfx, now_ms);
		}
	} else if (e->type == EVENT_STATUS) {
		/* `reopened` on a ticket forgotten since it was solved starts it anew, as an opening would. */
		if (naming && k->clock.terms == NULL)
			k->clock.terms = task_terms(t, e);
		clock_status(&k->clock, &t->cfg->clocks, e->status, e->ts_ms, now_ms, &names, &fx);
	} else {
		/* Out of memory, the complaint's clock still runs; only its recovery goes untracked. */
		if (e->type == EVENT_COMPLAINT && !op.late)
			(void)task_recovery_open(t, i, e, now_ms);
		op.terms = task_terms(t, e);
		clock_open(&k->clock, &t->cfg->clocks, &op, now_ms, &fx);
	}
	task_effects(t, i, &fx, now_ms);
	task_ticket_settle(t, i);
}

/* Runs a ticket's recovery timer when due; a recovery that is over is dropped from the ticket. */
static void task_recovery_timer(struct task *t, uint32_t i, int64_t now_ms)
{
	struct tickets_slot *k = &t->tickets.v[i];
	struct recovery_effects fx;

	/* recovery_fire itself does nothing before the recovery's time. */
	if (k->recovery == NULL)
		return;
	if (recovery_fire(k->recovery, &t->cfg->recovery, k->text, now_ms, &fx)) {
		task_recovery_effects(t, i, &fx, now_ms);
		return;
	}
	free(k->recovery);
	k->recovery = NULL;
	task_ticket_dirty(t, i);
}

/* See task_state.h. */
void task_tick_tickets(struct task *t, int64_t now_ms)
{
	uint32_t due[TASK_TICK_ROUND];
	size_t n;

	/* A fired at-risk point re-arms at the deadline, which may be due too: loop until none is. */
	while ((n = timers_pop_due(t->ticket_timers, now_ms, due, TASK_TICK_ROUND)) > 0) {
		for (size_t k = 0; k < n; k++) {
			struct tickets_slot *tk = &t->tickets.v[due[k]];
			struct clock_names names = {tk->text, tickets_name, &t->tickets};
			struct clock_effects fx;
			int64_t next;

			if (tk->text == NULL)
				continue;
			if ((next = clock_next(&tk->clock)) != CLOCK_NONE && next <= now_ms) {
				clock_fire(&tk->clock, &t->cfg->clocks, now_ms, &names, &fx);
				task_effects(t, due[k], &fx, now_ms);
			}
			task_recovery_timer(t, due[k], now_ms);
			task_ticket_settle(t, due[k]);
		}
	}
}

/* See task_state.h. */
bool task_flush_tickets(struct task *t, msgpack_sbuffer *sb, const struct task_sink *sink)
{
	msgpack_packer pk;

	for (size_t i = 0; i < t->deleted_n; i++) {
		bool ok = sink->ticket(sink->arg, t->deleted[i], NULL, 0);

		free(t->deleted[i]);
		t->deleted[i] = NULL;
		if (!ok) {
			t->deleted_n = 0;
			return false;
		}
	}
	t->deleted_n = 0;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	for (size_t i = 0; i < t->dirty_tickets.n; i++) {
		struct tickets_slot *k = &t->tickets.v[t->dirty_tickets.v[i]];
		struct clock_names names = {k->text, tickets_name, &t->tickets};

		if (k->text == NULL || !k->dirty)
			continue;
		k->dirty = false;
		msgpack_sbuffer_clear(sb);
		if (!clock_record_pack(&pk, &k->clock, &names, k->recovery) ||
		    !sink->ticket(sink->arg, k->text, sb->data, sb->size))
			return false;
	}
	t->dirty_tickets.n = 0;
	return true;
}
