/* agent.h: one agent's figures: its counters in every window, clock gauges and rule states (pure). */
#ifndef FEEDBACKD_AGENT_H
#define FEEDBACKD_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "alert.h"
#include "appraisal.h"
#include "event.h"
#include "histogram.h"
#include "rolling.h"
#include "rule.h"
#include "stats.h"
#include "window.h"

/* The most counter increments one event makes (a scale-5 rating: r, s5, class, ssum). */
#define AGENT_INCS_MAX 6

/*
 * One agent, or one group of agents (a team, the site: group.h), whose figures are the sums
 * of its agents'; a zeroed struct is an agent with nothing counted and every rule OK.
 */
struct agent {
	struct rolling counts;                /* enum counter slots in every window */
	struct histogram responses;           /* the response times that C_RESP_N counts */
	struct appraisal months;              /* this month's and last month's (the caller's to count) */
	/*
	 * The percentiles agent_totals last worked out (a window each), kept until a time is
	 * added or summary_until, when a bucket leaves a window: most views show no new time.
	 */
	struct histogram_summary *summary;
	int64_t summary_until;
	int64_t open;                         /* reply clocks of this agent running now */
	int64_t overdue;                      /* of those, the ones whose breach fired */
	int64_t newest_ms;                    /* ts of the newest counted event (the caller's to move) */
	int64_t last_reply_ms;                /* ts of the agent's latest reply (the caller's to move); 0: none */
	/* RULE_COUNT states, malloc'ed; NULL while each is OK with no times (most agents, most of the time). */
	struct rule_state *rules;
	char *team;                           /* an agent's team, malloc'ed; NULL: none */
	/* A group's agents with an event in each window, as each task last said: active_tasks x WINDOWS_MAX. */
	int64_t *active;
	uint32_t active_tasks;                /* 0 (active NULL) for an agent */
};

/* What the quality rules decided for an agent: the alerts to publish, in rule order. */
struct agent_alerts {
	size_t count;
	struct alert_facts facts[RULE_COUNT];
};

/* The rolling layouts of an agent's state over the windows. */
struct agent_plan {
	struct rolling_plan counts;    /* one slot per enum counter */
	struct rolling_plan responses; /* one range of histogram buckets */
};

/* The layouts over ws. */
bool agent_plan_init(struct agent_plan *plan, const struct windows *ws);

/*
 * The increments an event's own type credits to its agent a (none for a message); a rating
 * soon after a's latest reply counts as quick.
 */
size_t agent_incs_of(const struct agent *a, const struct event *e, struct rolling_inc out[AGENT_INCS_MAX]);

/*
 * Counts increments at event time ts, and the response time of a C_RESP_MAX_MS among them
 * (a reply clock's); false when ts is in no window (nothing changed).
 */
bool agent_count(struct agent *a, const struct agent_plan *plan, int64_t now_ms, int64_t ts,
    const struct rolling_inc *incs, size_t n);

/* Merges what is due at now_ms (rolling_advance); never changes totals. */
void agent_advance(struct agent *a, const struct agent_plan *plan, int64_t now_ms);

/*
 * Every window's totals and response percentiles at now_ms, out[w] for window w of the plan;
 * next_change as rolling_totals.
 */
void agent_totals(struct agent *a, const struct agent_plan *plan, int64_t now_ms,
    struct totals out[WINDOWS_MAX], int64_t *next_change);

/* Forgets the kept percentiles: times were added (as a group's partial adds them). */
void agent_times_changed(struct agent *a);

/*
 * Runs every enabled quality rule on the totals at now_ms: moves the rule states and adds
 * the alerts to publish. True when any rule state changed (the agent must be saved).
 */
bool agent_evaluate(struct agent *a, const char *agent_id, const struct rule_config rules[RULE_COUNT],
    const struct windows *ws, const struct totals totals[WINDOWS_MAX], int64_t now_ms,
    struct agent_alerts *out);

/* True while some rule is pending or firing, so the agent is re-evaluated even when idle. */
bool agent_rules_active(const struct agent *a);

/* Appends the agent as one MessagePack object (versioned); false on a packer error. */
bool agent_pack(msgpack_packer *pk, const struct agent *a, const struct agent_plan *plan);

/* Replaces *a by the agent in buf (exactly one object); false, *a unchanged, if malformed. */
bool agent_decode(const char *buf, size_t len, struct agent *a, const struct agent_plan *plan);

/* Sets an agent's team (NULL: none); false when out of memory, unchanged. */
bool agent_set_team(struct agent *a, const char *team);

/* Makes a an owner of group figures reported by tasks (its active table); false when out of memory. */
bool agent_make_group(struct agent *a, uint32_t tasks);

/* Frees what the agent holds; it is then empty. */
void agent_free(struct agent *a);

#endif
