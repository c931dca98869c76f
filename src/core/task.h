/* task.h: one task's state and every domain decision on it, and what must be saved and sent (pure). */
#ifndef FEEDBACKD_TASK_H
#define FEEDBACKD_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "appraisal.h"
#include "month.h"
#include "clock.h"
#include "policy.h"
#include "rank.h"
#include "recovery.h"
#include "dedupe.h"
#include "event.h"
#include "outbox.h"
#include "rolling.h"
#include "rule.h"
#include "window.h"

/* Everything a task decides by; owned by the caller, never changed while tasks use it. */
struct task_config {
	const struct windows *windows;
	struct agent_plan plan;              /* agent_plan_init(windows) */
	struct month_clock *months;          /* the appraisal's months ([appraisal] calendar) */
	struct clock_config clocks;
	struct recovery_config recovery;
	/*
	 * The policies a ticket may start under, in match order, with their terms at the same
	 * index; the default's apart. A ticket keeps the terms it started with.
	 */
	const struct policy *policies;
	const struct terms *const *policy_terms;
	size_t policy_count;
	const struct policy *default_policy;
	const struct terms *default_terms;
	/* A restored ticket's terms made the caller's own (its calendar found by name); NULL: out of memory. */
	const struct terms *(*restore_terms)(void *arg, const struct terms *t);
	void *restore_arg;
	/* An agent's team when its event names none ([teams] map); NULL: none. May be NULL itself. */
	const char *(*team_of)(void *arg, const char *agent, size_t len);
	void *team_arg;
	uint64_t team_generation;            /* > 0, changed whenever team_of may answer otherwise (a reload) */
	const struct rule_config *rules;     /* RULE_COUNT of them */
	/* The rules an agent of team is judged by (team NULL: none); NULL: rules for every agent. */
	const struct rule_config *(*rules_of)(void *arg, const char *team);
	void *rules_arg;
	int64_t dedupe_horizon_ms;
	int64_t rules_refresh_ms;            /* an agent with a rule pending or firing is re-evaluated this often */
	uint32_t tasks;                      /* how many tasks share the ids */
	/* The task that owns an agent or ticket id: the route topic's partition for that key. */
	uint32_t (*owner)(void *arg, const char *id, size_t len);
	void *owner_arg;
};

/* What became of one event. */
enum task_result {
	TASK_APPLIED,   /* counted (or, for a message, handed to its clock) */
	TASK_DUPLICATE, /* its event_id was seen within the horizon: nothing changed */
	TASK_LATE,      /* older than every window: counts nothing (a late reply still stops its clock) */
};

/* One agent's view, for the contract stats hash and the rankings. */
struct task_view {
	const char *agent;
	const char *team;                  /* an agent's team; NULL: none, or a group's view */
	struct totals totals[WINDOWS_MAX];
	int64_t rank[WINDOWS_MAX][RANK_COUNT]; /* rank_score per window; RANK_NONE for a group */
	int64_t open, overdue, newest_ms;
	struct appraisal_view months[APPRAISAL_MONTHS]; /* the months counted, oldest first */
	size_t nmonths;
	/* the now_ms of the oldest change it shows (an event, a batch); 0: none (windows slid, restored) */
	int64_t since_ms;
};

/* Called by task_flush for everything changed since the last flush; false aborts it. */
struct task_sink {
	/* blob NULL: only the view changed (the checkpoint keeps the agent as it is) */
	bool (*agent)(void *arg, const char *id, const char *blob, size_t len, const struct task_view *view);
	bool (*ticket)(void *arg, const char *id, const char *blob, size_t len); /* blob NULL: deleted */
	bool (*dedupe)(void *arg, const uint8_t rec[DEDUPE_RECORD_SIZE]);
	struct outbox_sink outbox;                                                   /* its entries */
	bool (*meta)(void *arg, const char *blob, size_t len);                      /* sequences and marks */
	void *arg;
};

struct task;

/* An empty task number id; NULL when out of memory. */
struct task *task_new(uint32_t id, const struct task_config *cfg);
void task_free(struct task *t);

/* The task's number. */
uint32_t task_id(const struct task *t);

/* An event whose agent this task owns: dedupe, the agent's counters, and its ticket part. */
enum task_result task_event(struct task *t, const struct event *e, int64_t now_ms);

/*
 * A route batch (route.h) from another task; one already applied (its sequence at or below
 * the source's mark) is skipped whole. False when malformed: nothing of it was applied.
 */
bool task_batch(struct task *t, const char *buf, size_t len, int64_t now_ms);

/* Runs what is due at now_ms: clocks at risk or breached, windows that slid, rules to re-check. */
void task_tick(struct task *t, int64_t now_ms);

/* When task_tick has work next; INT64_MAX when never. */
int64_t task_next_tick(const struct task *t);

/* True when something changed since the last flush. */
bool task_dirty(const struct task *t);

/*
 * True when the last flush changed its agents TASK_HOT_CHANGES times each or more on
 * average (a backlog: views written later would combine more changes), false when about
 * once each (a steady stream over many agents: waiting would only delay each view).
 */
#define TASK_HOT_CHANGES 2
bool task_hot(const struct task *t);

/*
 * Hands every change since the last flush to the sink, in this order: tickets, dedupe
 * records, agents (re-checking their rules, which may add alerts), new outbox entries,
 * delivered outbox entries, meta. The task forgets the changes once the sink has them: the
 * caller must commit them all atomically, or drop the task and restore it. At most one
 * flush may await its commit.
 */
bool task_flush(struct task *t, int64_t now_ms, const struct task_sink *sink);

/* The task's outbox: committed entries are sent from it (outbox_committed, outbox_next). */
struct outbox *task_outbox(struct task *t);

/* Restore: the meta blob, then every agent, ticket, dedupe record (and outbox entry, to task_outbox). */
bool task_restore_meta(struct task *t, const char *blob, size_t len);
bool task_restore_agent(struct task *t, const char *id, size_t id_len, const char *blob, size_t len);
bool task_restore_ticket(struct task *t, const char *id, size_t id_len, const char *blob, size_t len,
    int64_t now_ms);
bool task_restore_dedupe(struct task *t, const uint8_t rec[DEDUPE_RECORD_SIZE], int64_t now_ms);

/*
 * After a restore: every agent is shown again (view and rules), without saving it again,
 * TASK_SHOW_PER_FLUSH a flush (as task_show_all).
 */
void task_restore_done(struct task *t, int64_t now_ms);

/*
 * Every agent is shown again (after a view write failed, or a restore), TASK_SHOW_PER_FLUSH a
 * flush on top of the changed ones: so a change made meanwhile is not queued behind all of
 * them (100,000 agents' views take seconds to write). task_dirty stays true until done.
 */
#define TASK_SHOW_PER_FLUSH 1024
void task_show_all(struct task *t);

/* Gauges for /metrics. */
size_t task_agents(const struct task *t);
size_t task_clocks(const struct task *t, size_t *overdue);
size_t task_dedupe_ids(const struct task *t);

#endif
