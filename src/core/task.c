/* task.c: one task's state and every domain decision on it, and what must be saved and sent (pure). */
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "idmap.h"
#include "clock_record.h"
#include "group.h"
#include "growarray.h"
#include "outgroups.h"
#include "route.h"
#include "task_state.h"
#include "tickets.h"
#include "timers.h"

/* A batch for another task is sealed at this size, well under a Kafka message's 1 MB. */
#define TASK_BATCH_BYTES (256 * 1024)

/* See task_state.h. */
bool task_list_push(struct task_list *l, uint32_t i)
{
	if (!growarray((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return false;
	l->v[l->n++] = i;
	return true;
}

/* See task.h. */
struct task *task_new(uint32_t id, const struct task_config *cfg)
{
	struct task *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->id = id;
	t->cfg = cfg;
	outbox_init(&t->out);
	t->dedupe = dedupe_new(1024);
	/* The map borrows the ids the agents keep anyway. */
	t->agent_index = idmap_new_borrowing(256);
	t->agent_timers = timers_new();
	t->ticket_timers = timers_new();
	t->building = calloc(cfg->tasks, sizeof(*t->building));
	t->marks = calloc(cfg->tasks, sizeof(*t->marks));
	if (!outgroups_init(&t->groups) || !peers_init(&t->peers) || !tickets_init(&t->tickets) || t->dedupe == NULL || t->agent_index == NULL ||
	    t->agent_timers == NULL || t->ticket_timers == NULL || t->building == NULL || t->marks == NULL) {
		task_free(t);
		return NULL;
	}
	return t;
}

/* See task.h. */
void task_free(struct task *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->agent_count; i++) {
		agent_free(&t->agents[i].a);
		group_inbox_free(&t->agents[i].inbox);
		free(t->agents[i].id);
	}
	for (size_t i = 0; i < t->deleted_n; i++)
		free(t->deleted[i]);
	for (uint32_t d = 0; t->building != NULL && d < t->cfg->tasks; d++)
		route_batch_free(t->building[d]);
	free(t->agents);
	outgroups_free(&t->groups);
	peers_free(&t->peers);
	tickets_free(&t->tickets);
	free(t->deleted);
	free(t->dirty_agents.v);
	free(t->dirty_tickets.v);
	free(t->records);
	outbox_free(&t->out);
	free(t->building);
	free(t->marks);
	dedupe_free(t->dedupe);
	idmap_free(t->agent_index);
	timers_free(t->agent_timers);
	timers_free(t->ticket_timers);
	free(t);
}

/* See task.h. */
uint32_t task_id(const struct task *t)
{
	return t->id;
}

/* See task_state.h. */
uint32_t task_owner(const struct task *t, const char *id)
{
	return t->cfg->owner(t->cfg->owner_arg, id, strlen(id));
}

/* See task_state.h. */
uint32_t task_agent_slot(struct task *t, const char *id, size_t len)
{
	uint32_t i;

	if (idmap_get(t->agent_index, id, len, &i))
		return i;
	if (!growarray((void **)&t->agents, &t->agent_cap, (size_t)t->agent_count + 1, sizeof(*t->agents)))
		return UINT32_MAX;
	i = t->agent_count;
	memset(&t->agents[i], 0, sizeof(t->agents[i]));
	if ((t->agents[i].id = strndup(id, len)) == NULL || idmap_put(t->agent_index, t->agents[i].id, len, i) < 0) {
		free(t->agents[i].id);
		return UINT32_MAX;
	}
	t->agent_count++;
	return i;
}

/* Lists an agent for the next flush. */
static void task_agent_list(struct task *t, uint32_t i)
{
	if (!t->agents[i].listed && task_list_push(&t->dirty_agents, i))
		t->agents[i].listed = true;
}

/* Marks an agent whose state changed at now_ms, to be saved and shown at the next flush. */
static void task_agent_dirty(struct task *t, uint32_t i, int64_t now_ms)
{
	t->agents[i].dirty = true;
	t->changes++;
	if (t->agents[i].since_ms == 0)
		t->agents[i].since_ms = now_ms;
	task_agent_list(t, i);
}

/* Marks an agent to be shown again and its rules re-checked: its windows slid, or it was restored. */
static void task_agent_view(struct task *t, uint32_t i)
{
	t->agents[i].view = true;
	task_agent_list(t, i);
}

/* Moves the batch built for task d into the outbox, numbered; the next record starts another. */
static void task_seal(struct task *t, uint32_t d)
{
	struct route_batch *b = t->building[d];
	const char *data;
	char *copy;
	size_t len;

	if (b == NULL)
		return;
	if (route_batch_count(b) > 0 && (data = route_batch_data(b, outbox_next_seq(&t->out), &len)) != NULL &&
	    (copy = malloc(len + 1)) != NULL) {
		memcpy(copy, data, len);
		copy[len] = '\0';
		outbox_add(&t->out, OUTBOX_BATCH, d, copy, len);
	}
	route_batch_free(b);
	t->building[d] = NULL;
}

/* See task_state.h. */
struct route_batch *task_building(struct task *t, uint32_t dest)
{
	if (t->building[dest] != NULL && route_batch_bytes(t->building[dest]) >= TASK_BATCH_BYTES)
		task_seal(t, dest);
	if (t->building[dest] == NULL)
		t->building[dest] = route_batch_new(t->id);
	return t->building[dest];
}

/* See task_state.h. */
void task_alert(struct task *t, const struct alert_facts *f)
{
	char *json = alert_facts_json(f);

	if (json != NULL)
		outbox_add(&t->out, OUTBOX_ALERT, 0, json, strlen(json));
}

/* The current month at now_ms and the month of event time ts, nothing served yet. */
static struct outgroups_month task_month(const struct task *t, int64_t now_ms, int64_t ts)
{
	return (struct outgroups_month){month_of(t->cfg->months, now_ms), month_of(t->cfg->months, ts), 0};
}

/*
 * Counts an agent's increments at event time ts, and month.served tickets: in its windows and
 * in month.month, and so in its team's and the site's.
 */
static void task_count(struct task *t, struct task_agent *ta, int64_t now_ms, int64_t ts,
    const struct rolling_inc *incs, size_t n, struct outgroups_month month)
{
	struct agent *a = &ta->a;
	bool windows = n > 0 && agent_count(a, &t->cfg->plan, now_ms, ts, incs, n);
	bool months = appraisal_count(&a->months, month.now, month.month, incs, n, month.served);

	if (!windows && !months)
		return;
	if (ta->team_slot == 0)
		ta->team_slot = outgroups_slot(&t->groups, a->team) + 1;
	outgroups_count(&t->groups, ta->team_slot - 1, &t->cfg->plan, ts, incs, n, windows, months ? &month : NULL);
}

/*
 * Claims an id in the task's dedupe set for horizon_ms, and keeps the record for the next
 * commit; false when the id is live there already.
 */
static bool task_claim(struct task *t, const char *id, size_t len, int64_t now_ms, int64_t horizon_ms)
{
	uint8_t rec[DEDUPE_RECORD_SIZE];

	if (!dedupe_claim(t->dedupe, id, len, now_ms, horizon_ms))
		return false;
	if (dedupe_last_record(t->dedupe, rec) &&
	    growarray((void **)&t->records, &t->records_cap, (t->records_n + 1) * DEDUPE_RECORD_SIZE, 1)) {
		memcpy(t->records + t->records_n * DEDUPE_RECORD_SIZE, rec, DEDUPE_RECORD_SIZE);
		t->records_n++;
	}
	return true;
}

/*
 * 1 when a reply is its agent's first to its ticket in the reply's month (the month's
 * "served"), else 0. The claim "\x02, month, agent, NUL, ticket" cannot be an event id, which
 * holds no NUL; it lives in the dedupe set until the month is no longer counted, so the
 * checkpoint keeps it as it keeps event ids.
 */
static int64_t task_served(struct task *t, const struct event *e, const struct outgroups_month *month, int64_t now_ms)
{
	char id[1 + sizeof(month_t) + 2 * EVENT_ID_MAX + 2];
	size_t agent_len = strlen(e->agent_id), ticket_len = strlen(e->ticket_id);
	month_t m = month->month;

	if (e->type != EVENT_REPLY || ticket_len == 0 || !appraisal_counted(m, month->now))
		return 0;
	id[0] = '\x02';
	memcpy(id + 1, &m, sizeof(m));
	memcpy(id + 1 + sizeof(m), e->agent_id, agent_len + 1);
	memcpy(id + 2 + sizeof(m) + agent_len, e->ticket_id, ticket_len);
	return task_claim(t, id, 2 + sizeof(m) + agent_len + ticket_len, now_ms,
	    month_start(t->cfg->months, appraisal_closed(m)) - now_ms) ? 1 : 0;
}

/* See task_state.h. */
void task_agent_delta(struct task *t, const struct route_delta *d, int64_t now_ms)
{
	uint32_t i = task_agent_slot(t, d->agent, strlen(d->agent));
	struct agent *a;

	if (i == UINT32_MAX)
		return;
	a = &t->agents[i].a;
	/*
	 * One agent_count per event time (a closing reply's adds share one), as the adds one by
	 * one would do: a negative value, which rolling_add refuses alone, is left out.
	 */
	for (size_t k = 0, j; k < d->add_count; k = j) {
		struct rolling_inc incs[ROUTE_ADDS_MAX];
		size_t n = 0;

		for (j = k; j < d->add_count && d->adds[j].ts_ms == d->adds[k].ts_ms; j++)
			if (d->adds[j].value >= 0)
				incs[n++] = (struct rolling_inc){(unsigned)d->adds[j].counter, d->adds[j].value};
		if (n > 0)
			task_count(t, &t->agents[i], now_ms, d->adds[k].ts_ms, incs, n, task_month(t, now_ms, d->adds[k].ts_ms));
	}
	a->open += d->open;
	a->overdue += d->overdue;
	outgroups_clocks(&t->groups, a->team, d->open, d->overdue);
	task_agent_dirty(t, i, now_ms);
}

/* An agent's team as of event e: the event's, else the map's; moved with its active windows. */
static void task_agent_team(struct task *t, uint32_t i, const struct event *e)
{
	struct task_agent *ta = &t->agents[i];
	bool mapped = e->team_id[0] == '\0';
	const char *team;
	char was[EVENT_ID_MAX + 1];
	bool had = ta->a.team != NULL;

	/* The map's answer for this agent is known until the next reload: no lookup an event. */
	if (mapped && ta->team_generation == t->cfg->team_generation)
		return;
	team = !mapped ? e->team_id :
	    t->cfg->team_of != NULL ? t->cfg->team_of(t->cfg->team_arg, ta->id, strlen(ta->id)) : NULL;
	ta->team_generation = mapped ? t->cfg->team_generation : 0;
	if ((team == NULL && !had) || (team != NULL && had && strcmp(team, ta->a.team) == 0))
		return;
	snprintf(was, sizeof(was), "%s", had ? ta->a.team : "");
	if (!agent_set_team(&ta->a, team)) {
		ta->team_generation = 0;
		return;
	}
	ta->team_slot = 0;
	/* Its running clocks and active windows go with it; what it counted stays the old team's. */
	outgroups_move(&t->groups, had ? was : NULL, ta->active, ta->a.team, ta->active, t->cfg->plan.counts.tiers);
	outgroups_clocks(&t->groups, had ? was : NULL, -ta->a.open, -ta->a.overdue);
	outgroups_clocks(&t->groups, ta->a.team, ta->a.open, ta->a.overdue);
}

/* See task.h. */
enum task_result task_event(struct task *t, const struct event *e, int64_t now_ms)
{
	struct rolling_inc incs[AGENT_INCS_MAX];
	bool late = e->ts_ms < now_ms - windows_longest_ms(t->cfg->windows);
	size_t n;
	uint32_t i;

	if (!task_claim(t, e->event_id, strlen(e->event_id), now_ms, t->cfg->dedupe_horizon_ms))
		return TASK_DUPLICATE;
	if (!late && (i = task_agent_slot(t, e->agent_id, strlen(e->agent_id))) != UINT32_MAX) {
		struct agent *a = &t->agents[i].a;
		struct outgroups_month month = task_month(t, now_ms, e->ts_ms);

		task_agent_team(t, i, e);
		n = agent_incs_of(a, e, incs);
		month.served = task_served(t, e, &month, now_ms);
		if (n > 0 || month.served > 0)
			task_count(t, &t->agents[i], now_ms, e->ts_ms, incs, n, month);
		if (e->ts_ms > a->newest_ms)
			a->newest_ms = e->ts_ms;
		if (e->type == EVENT_REPLY && e->ts_ms > a->last_reply_ms)
			a->last_reply_ms = e->ts_ms;
		task_agent_dirty(t, i, now_ms);
	}
	/*
	 * A late complaint or message would only open a clock that breached long ago, and a late
	 * rating counts in no window; a rating without a ticket has no recovery to tell.
	 */
	if (e->ticket_id[0] != '\0' &&
	    (e->type == EVENT_REPLY || e->type == EVENT_STATUS || e->type == EVENT_FOLLOW_UP || !late)) {
		uint32_t dest = task_owner(t, e->ticket_id);

		if (dest == t->id)
			task_ticket_part(t, e, now_ms);
		else if (task_building(t, dest) != NULL)
			route_batch_ticket_part(t->building[dest], e);
	}
	return late ? TASK_LATE : TASK_APPLIED;
}

/* The reader's view of a task applying a batch (or sending its own partials). */
struct task_reading {
	struct task *t;
	int64_t now_ms;
	bool known; /* the batch comes from one of the tasks */
	uint32_t src;
};

/* Applies a batch only from a known task and above the mark kept for it: a repeat is skipped. */
static bool task_read_wanted(void *arg, uint32_t src, uint64_t seq)
{
	struct task_reading *r = arg;

	r->known = src < r->t->cfg->tasks;
	r->src = src;
	return r->known && seq > r->t->marks[src];
}

/* A ticket part from another task. */
static bool task_read_ticket(void *arg, const struct event *e)
{
	struct task_reading *r = arg;

	task_ticket_part(r->t, e, r->now_ms);
	return true;
}

/* A delta from another task. */
static bool task_read_delta(void *arg, const struct route_delta *d)
{
	struct task_reading *r = arg;

	task_agent_delta(r->t, d, r->now_ms);
	return true;
}

/* Applies a partial from task src to a group this task owns; false when malformed. */
static bool task_group_partial(struct task *t, uint32_t src, const char *key, size_t key_len,
    const char *partial, size_t len, int64_t now_ms)
{
	enum group_scope scope;
	const char *team;
	size_t team_len;
	uint32_t i;

	if (!group_key_parse(key, key_len, &scope, &team, &team_len))
		return false;
	if ((i = task_agent_slot(t, key, key_len)) == UINT32_MAX)
		return true; /* out of memory: as for an agent's delta, the partial is lost */
	if (!group_partial_apply(&t->agents[i].a, &t->agents[i].inbox, src, t->cfg->tasks, partial, len, &t->cfg->plan,
	    now_ms, month_of(t->cfg->months, now_ms)))
		return false;
	task_agent_dirty(t, i, now_ms);
	return true;
}

/* A group's partial from another task. */
static bool task_read_group(void *arg, const char *key, size_t key_len, const char *partial, size_t len)
{
	struct task_reading *r = arg;

	return task_group_partial(r->t, r->src, key, key_len, partial, len, r->now_ms);
}

/*
 * Keeps a group's rating counts. The first counts of a group have every agent shown and
 * judged again, paced (task_show_all), when some agent enough rated to be judged was judged
 * with no peers known; later counts are used as the agents change, or their windows slide.
 */
static void task_peers_arrived(struct task *t, const char *key, size_t key_len, const struct integrity_counts *counts,
    size_t tiers)
{
	/* Out of memory, the group's agents go unjudged until its next send. */
	if (peers_set(&t->peers, key, key_len, counts, tiers) > 0 && t->peers_blind) {
		t->peers_blind = false;
		task_show_all(t);
	}
}

/* A group's rating counts from its owner task. */
static bool task_read_peers(void *arg, const char *key, size_t key_len, const struct integrity_counts *counts,
    size_t tiers)
{
	struct task_reading *r = arg;

	task_peers_arrived(r->t, key, key_len, counts, tiers);
	return true;
}

/*
 * A group's rating counts go to the tasks with agents of it active in some window (this one
 * too), for their rating integrity, at most once a rules refresh: the rule weighs days of
 * ratings, and each send costs a record per task.
 */
static void task_send_peers(struct task *t, struct task_agent *ta, const struct totals *totals, int64_t now_ms)
{
	struct integrity_counts counts[WINDOWS_MAX];
	size_t tiers = t->cfg->plan.counts.tiers, len = strlen(ta->id);

	if (ta->peers_sent_ms != 0 && now_ms - ta->peers_sent_ms < t->cfg->rules_refresh_ms)
		return;
	ta->peers_sent_ms = now_ms;
	for (size_t w = 0; w < tiers; w++)
		integrity_counts_of(&totals[w], &counts[w]);
	for (uint32_t d = 0; d < t->cfg->tasks && d < ta->a.active_tasks; d++) {
		int64_t active = 0;

		for (size_t w = 0; w < tiers; w++)
			active += ta->a.active[d * WINDOWS_MAX + w];
		if (active == 0)
			continue;
		if (d == t->id)
			task_peers_arrived(t, ta->id, len, counts, tiers);
		else if (task_building(t, d) != NULL)
			route_batch_peers(t->building[d], ta->id, len, counts, tiers);
	}
}

/*
 * An agent's peers in every window: its team's counts (else the site's) less its own, when
 * known; when not, whether it would have been judged.
 */
static void task_agent_peers(struct task *t, const struct task_agent *ta, struct totals *totals)
{
	char key[GROUP_KEY_SIZE];
	const struct integrity_counts *all = NULL;

	if (ta->a.team != NULL)
		all = peers_get(&t->peers, key, group_key(GROUP_TEAM, ta->a.team, key));
	if (all == NULL)
		all = peers_get(&t->peers, key, group_key(GROUP_SITE, NULL, key));
	if (all == NULL) {
		const struct rule_config *rc = &t->cfg->rules[RULE_RATING_INTEGRITY];
		const struct totals *w = &totals[rc->window];

		t->peers_blind |= rc->enabled && w->c[C_S5] + w->c[C_N10] >= rc->min_samples;
		return;
	}
	for (size_t w = 0; w < t->cfg->plan.counts.tiers; w++) {
		struct integrity_counts own;

		integrity_counts_of(&totals[w], &own);
		integrity_less(&all[w], &own, &totals[w].peers);
		totals[w].peers_known = true;
	}
}

/* Sends the partial of one of this task's groups to the task that owns the group, this one included. */
static bool task_send_partial(void *arg, const struct outgroup *g)
{
	struct task_reading *r = arg;
	struct task *t = r->t;
	char key[GROUP_KEY_SIZE];
	size_t key_len = group_key(g->scope, g->team, key);
	uint32_t dest = task_owner(t, group_owner_id(g->scope, g->team));
	msgpack_sbuffer sb;
	msgpack_packer pk;
	bool ok;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ok = group_partial_pack(&pk, &g->pending, g->times, g->ntimes, &t->cfg->plan, g->active);
	if (ok && dest == t->id)
		ok = task_group_partial(t, t->id, key, key_len, sb.data, sb.size, r->now_ms);
	else if (ok && task_building(t, dest) != NULL)
		ok = route_batch_group(t->building[dest], key, key_len, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return ok;
}

/* See task.h. */
bool task_batch(struct task *t, const char *buf, size_t len, int64_t now_ms)
{
	struct task_reading r = {t, now_ms, false, 0};
	struct route_reader apply = {task_read_wanted, task_read_ticket, task_read_delta, task_read_group,
	    task_read_peers, &r};
	uint32_t src;
	uint64_t seq;

	/* The reader sees the records only once the whole batch was read well. */
	if (!route_batch_read(buf, len, &src, &seq, &apply) || !r.known)
		return false;
	if (seq > t->marks[src]) {
		t->marks[src] = seq;
		t->marks_changed = true;
	}
	return true;
}

/* See task.h. */
void task_tick(struct task *t, int64_t now_ms)
{
	uint32_t due[TASK_TICK_ROUND];
	size_t n;

	task_tick_tickets(t, now_ms);
	while ((n = timers_pop_due(t->agent_timers, now_ms, due, TASK_TICK_ROUND)) > 0)
		for (size_t k = 0; k < n; k++)
			task_agent_view(t, due[k]);
}

/* See task.h. */
int64_t task_next_tick(const struct task *t)
{
	int64_t a = INT64_MAX, b = INT64_MAX;
	uint32_t h;

	timers_peek(t->ticket_timers, &a, &h);
	timers_peek(t->agent_timers, &b, &h);
	return a < b ? a : b;
}

/* See task.h. */
bool task_hot(const struct task *t)
{
	return t->hot;
}

/* See task.h. */
bool task_dirty(const struct task *t)
{
	if (t->dirty_agents.n || t->dirty_tickets.n || t->deleted_n || t->records_n ||
	    outbox_changed(&t->out) || t->marks_changed || t->show_next < t->show_end)
		return true;
	for (uint32_t d = 0; d < t->cfg->tasks; d++)
		if (t->building[d] != NULL && route_batch_count(t->building[d]) > 0)
			return true;
	return false;
}

/* Moves every batch built since the last flush into the outbox. */
static void task_seal_batches(struct task *t)
{
	for (uint32_t d = 0; d < t->cfg->tasks; d++)
		task_seal(t, d);
}

/* See task_state.h. */
void task_agent_active(struct task *t, struct task_agent *ta, int64_t now_ms, int64_t *next)
{
	const struct rolling_plan *plan = &t->cfg->plan.counts;
	unsigned mask = group_active_mask(plan, ta->a.newest_ms, now_ms);
	int64_t change = group_active_change(plan, ta->a.newest_ms, now_ms);

	outgroups_move(&t->groups, ta->a.team, ta->active, ta->a.team, mask, plan->tiers);
	ta->active = mask;
	if (change < *next)
		*next = change;
}

/*
 * Runs the quality rules of an agent (its team's thresholds, if any), or of a team on its
 * own figures: their alerts are the team's. The site has none.
 */
static void task_rules(struct task *t, struct task_agent *ta, const struct totals *totals, int64_t now_ms)
{
	enum group_scope scope = GROUP_SITE;
	const char *team = NULL, *whose = ta->a.team;
	size_t team_len = 0;
	const struct rule_config *rules;
	struct agent_alerts alerts;

	if (ta->a.active != NULL) {
		if (!group_key_parse(ta->id, strlen(ta->id), &scope, &team, &team_len) || scope != GROUP_TEAM)
			return;
		whose = team;
	}
	rules = t->cfg->rules_of != NULL ? t->cfg->rules_of(t->cfg->rules_arg, whose) : t->cfg->rules;
	if (agent_evaluate(&ta->a, team != NULL ? "" : ta->id, rules, t->cfg->windows, totals, now_ms, &alerts))
		ta->dirty = true;
	for (size_t k = 0; k < alerts.count; k++) {
		if (team != NULL)
			snprintf(alerts.facts[k].team, sizeof(alerts.facts[k].team), "%s", team);
		task_alert(t, &alerts.facts[k]);
	}
}

/* The months an agent's view shows: those still counted, with when each one's hash expires. */
static void task_months(struct task *t, struct agent *a, int64_t now_ms, struct task_view *view)
{
	month_t now = month_of(t->cfg->months, now_ms);

	appraisal_advance(&a->months, now);
	view->nmonths = appraisal_views(&a->months, now, view->months);
	for (size_t k = 0; k < view->nmonths; k++)
		view->months[k].expire_ms = month_start(t->cfg->months, view->months[k].month + APPRAISAL_KEEP_MONTHS);
}

/* Re-checks one agent's rules and hands its state (when changed) and view to the sink. */
static bool task_flush_agent(struct task *t, uint32_t i, msgpack_sbuffer *sb, int64_t now_ms,
    const struct task_sink *sink)
{
	struct task_agent *ta = &t->agents[i];
	struct task_view view = {.agent = ta->id, .since_ms = ta->since_ms};
	msgpack_packer pk;
	int64_t next;

	if (ta->a.active != NULL && !group_settle(&ta->a, &ta->inbox, &t->cfg->plan, now_ms))
		return false;
	agent_advance(&ta->a, &t->cfg->plan, now_ms);
	agent_totals(&ta->a, &t->cfg->plan, now_ms, view.totals, &next);
	for (size_t w = 0; w < WINDOWS_MAX; w++)
		for (int id = 0; id < RANK_COUNT; id++)
			view.rank[w][id] = ta->a.active != NULL || w >= t->cfg->plan.counts.tiers ? RANK_NONE :
			    rank_score((enum rank_id)id, t->cfg->rules, &view.totals[w]);
	view.team = ta->a.team;
	if (ta->a.active != NULL) {
		group_totals(&ta->a, t->cfg->plan.counts.tiers, view.totals);
		task_send_peers(t, ta, view.totals, now_ms);
	} else {
		task_agent_active(t, ta, now_ms, &next);
		task_agent_peers(t, ta, view.totals);
	}
	task_rules(t, ta, view.totals, now_ms);
	task_months(t, &ta->a, now_ms, &view);
	view.open = ta->a.open;
	view.overdue = ta->a.overdue;
	view.newest_ms = ta->a.newest_ms;
	if (agent_rules_active(&ta->a) && now_ms + t->cfg->rules_refresh_ms < next)
		next = now_ms + t->cfg->rules_refresh_ms;
	if (next == INT64_MAX)
		timers_remove(t->agent_timers, i);
	else
		timers_set(t->agent_timers, i, next);
	msgpack_sbuffer_clear(sb);
	if (ta->dirty) {
		msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
		if (!agent_pack(&pk, &ta->a, &t->cfg->plan))
			return false;
	}
	ta->dirty = false;
	ta->view = false;
	ta->since_ms = 0;
	return sink->agent(sink->arg, ta->id, sb->size ? sb->data : NULL, sb->size, &view);
}

/* Encodes the meta record: [version, next outbox sequence, [mark per source task]]. */
static bool task_pack_meta(const struct task *t, msgpack_sbuffer *sb)
{
	msgpack_packer pk;

	msgpack_sbuffer_clear(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	if (msgpack_pack_array(&pk, 3) || msgpack_pack_int(&pk, TASK_VERSION) ||
	    msgpack_pack_uint64(&pk, outbox_next_seq(&t->out)) || msgpack_pack_array(&pk, t->cfg->tasks))
		return false;
	for (uint32_t s = 0; s < t->cfg->tasks; s++)
		if (msgpack_pack_uint64(&pk, t->marks[s]))
			return false;
	return true;
}

/* See task.h. */
bool task_flush(struct task *t, int64_t now_ms, const struct task_sink *sink)
{
	msgpack_sbuffer sb;
	bool ok = false;

	msgpack_sbuffer_init(&sb);
	task_seal_batches(t);
	if (!task_flush_tickets(t, &sb, sink))
		goto out;
	for (size_t i = 0; i < t->records_n; i++)
		if (!sink->dedupe(sink->arg, t->records + i * DEDUPE_RECORD_SIZE))
			goto out;
	t->records_n = 0;
	for (uint32_t n = 0; n < TASK_SHOW_PER_FLUSH && t->show_next < t->show_end; n++)
		task_agent_view(t, t->show_next++);
	t->hot = t->dirty_agents.n > 0 && t->changes >= TASK_HOT_CHANGES * t->dirty_agents.n;
	t->changes = 0;
	/*
	 * The agents, then their partials, which may change groups this task owns: so the groups
	 * go last, each once (one listed already is not listed again).
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->dirty_agents.n; i++) {
			struct task_agent *ta = &t->agents[t->dirty_agents.v[i]];

			if (!ta->listed || (pass == 0 && ta->a.active != NULL))
				continue;
			ta->listed = false;
			if (!task_flush_agent(t, t->dirty_agents.v[i], &sb, now_ms, sink))
				goto out;
		}
		if (pass == 0 &&
		    !outgroups_flush(&t->groups, &t->cfg->plan, now_ms, task_send_partial,
		    &(struct task_reading){t, now_ms, true, t->id}))
			goto out;
	}
	t->dirty_agents.n = 0;
	t->changes = 0;
	task_seal_batches(t);
	if (!outbox_flush(&t->out, &sink->outbox))
		goto out;
	if (!task_pack_meta(t, &sb) || !sink->meta(sink->arg, sb.data, sb.size))
		goto out;
	t->marks_changed = false;
	ok = true;
out:
	msgpack_sbuffer_destroy(&sb);
	return ok;
}

/* See task.h. */
struct outbox *task_outbox(struct task *t)
{
	return &t->out;
}

/* See task.h. */
void task_show_all(struct task *t)
{
	t->show_next = 0;
	t->show_end = t->agent_count;
}

/* See task.h. */
size_t task_agents(const struct task *t)
{
	size_t n = 0;

	/* Groups live among the agents (group.h) but are none. */
	for (uint32_t i = 0; i < t->agent_count; i++)
		n += t->agents[i].a.active == NULL;
	return n;
}

/* See task.h. */
size_t task_clocks(const struct task *t, size_t *overdue)
{
	size_t running = 0;

	for (uint32_t i = 0; i < t->tickets.used; i++)
		running += t->tickets.v[i].text != NULL && clock_reply_running(&t->tickets.v[i].clock);
	*overdue = t->ticket_overdue;
	return running;
}

/* See task.h. */
size_t task_dedupe_ids(const struct task *t)
{
	return dedupe_count(t->dedupe);
}
