/*
 * task_state.h: a task's state, shared by task.c, task_tickets.c and task_restore.c, the
 * files of one module; callers outside it use task.h (pure).
 */
#ifndef FEEDBACKD_TASK_STATE_H
#define FEEDBACKD_TASK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "dedupe.h"
#include "group.h"
#include "idmap.h"
#include "outbox.h"
#include "outgroups.h"
#include "peers.h"
#include "route.h"
#include "task.h"
#include "tickets.h"
#include "timers.h"

/* Bumped when the meta or outbox layout changes. */
#define TASK_VERSION 1
/* Timers popped per round of task_tick, so one tick's stack array stays small. */
#define TASK_TICK_ROUND 256

struct task_agent {
	struct agent a;
	char *id;
	bool dirty; /* its state changed: saved and shown at the next flush */
	bool view;  /* only shown (and its rules re-checked) at the next flush */
	bool listed; /* in dirty_agents */
	int64_t since_ms; /* the now_ms of its oldest change not yet flushed; 0: none */
	unsigned active;  /* the windows it counts as active in, under a.team, in the task's outgroups */
	uint64_t team_generation; /* a.team is team_of's answer of this generation; 0: an event's team_id */
	uint32_t team_slot;       /* outgroups_slot(a.team) + 1; 0: to be looked up (a.team changed) */
	int64_t peers_sent_ms;    /* a group: when its rating counts last went to the tasks (not saved) */
	struct group_inbox inbox; /* a group's partials since its last flush (group.h) */
};

/* A growable array of 32-bit indexes. */
struct task_list {
	uint32_t *v;
	size_t n, cap;
};

struct task {
	uint32_t id;
	const struct task_config *cfg;
	struct dedupe *dedupe;

	struct idmap *agent_index;
	struct task_agent *agents;
	uint32_t agent_count;
	size_t agent_cap;
	struct task_list dirty_agents;
	uint32_t show_next, show_end; /* agents [show_next, show_end) still to be shown again */
	struct timers *agent_timers; /* when an agent's windows slide or its rules are due */

	struct tickets tickets;
	size_t ticket_overdue;
	struct task_list dirty_tickets;
	char **deleted;              /* ticket ids deleted since the last flush */
	size_t deleted_n, deleted_cap;
	struct timers *ticket_timers;

	uint8_t *records;            /* dedupe records claimed since the last flush */
	size_t records_n, records_cap;

	struct outgroups groups;     /* what this task's agents add to their teams and the site */
	struct peers peers;          /* the teams' and the site's rating counts, for rating integrity */
	bool peers_blind;            /* an agent with enough ratings was judged before any peers were known */
	struct route_batch **building; /* per destination task, NULL until a record is added */
	struct outbox out;
	uint64_t *marks;             /* per source task: the last batch sequence applied */
	size_t changes;  /* changes to agents since the last flush (task_agent_dirty calls) */
	bool hot;        /* the last flush changed its agents TASK_HOT_CHANGES times each or more */
	bool marks_changed;
};

/* Appends an index to a list; false when out of memory. */
bool task_list_push(struct task_list *l, uint32_t i);

/* The task that owns an agent or ticket id. */
uint32_t task_owner(const struct task *t, const char *id);

/* The batch being built for another task: a new one on first use or once the last is full; NULL: out of memory. */
struct route_batch *task_building(struct task *t, uint32_t dest);

/* Queues alert facts for publication. */
void task_alert(struct task *t, const struct alert_facts *f);

/* Applies counter adds and gauge changes to an agent this task owns. */
void task_agent_delta(struct task *t, const struct route_delta *d, int64_t now_ms);

/* The ticket part of an event (task_tickets.c), for a ticket this task owns. */
void task_ticket_part(struct task *t, const struct event *e, int64_t now_ms);

/* When ticket i's timer runs next: its clock's or its recovery's, the earlier; CLOCK_NONE: never. */
int64_t task_ticket_next(const struct task *t, uint32_t i);

/* Runs the tickets' timers that are due at now_ms. */
void task_tick_tickets(struct task *t, int64_t now_ms);

/* Hands deleted and changed tickets to the sink. */
bool task_flush_tickets(struct task *t, msgpack_sbuffer *sb, const struct task_sink *sink);

/* An agent's slot, made on first use; UINT32_MAX when out of memory. */
uint32_t task_agent_slot(struct task *t, const char *id, size_t len);

/* Frees a ticket's slot; its id waits for the next flush, which deletes its record. */
void task_ticket_forget(struct task *t, uint32_t i);

/* An agent's active windows at now_ms, moved in the outgroups; *next no later than their next change. */
void task_agent_active(struct task *t, struct task_agent *ta, int64_t now_ms, int64_t *next);

#endif
