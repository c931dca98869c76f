/* testutil_task.h: the fixture of the task tests: a capturing sink, two tasks' config, events and deliveries. */
#ifndef FEEDBACKD_TESTUTIL_TASK_H
#define FEEDBACKD_TESTUTIL_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "task.h"

#define SEC INT64_C(1000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* 2026-11-22T10:00:00Z */
#define T0 INT64_C(1795341600000)
#define ENTRIES_MAX 64
#define RECORDS_MAX 256   /* dedupe records: one an event, 16 bytes each */

/* What one flush handed over, kept as copies. */
struct capture {
	size_t agents, views, tickets, deleted, records, added, removed, metas;
	char agent_id[ENTRIES_MAX][32];
	char *agent_blob[ENTRIES_MAX];
	size_t agent_len[ENTRIES_MAX];
	struct task_view view[ENTRIES_MAX];
	char view_agent[ENTRIES_MAX][32];
	char ticket_id[ENTRIES_MAX][32];
	char *ticket_blob[ENTRIES_MAX];
	size_t ticket_len[ENTRIES_MAX];
	uint8_t record[RECORDS_MAX][DEDUPE_RECORD_SIZE];
	struct outbox_entry entry[ENTRIES_MAX];
	char *entry_blob[ENTRIES_MAX];
	size_t entry_len[ENTRIES_MAX];
	char *meta;
	size_t meta_len;
};

/* The fixture's windows, rules, config (two tasks, setup's) and default policy. */
extern struct windows ws;
extern struct rule_config rules[RULE_COUNT];
extern struct task_config cfg;
extern struct month_clock months; /* cfg.months: UTC */
extern struct policy default_policy;
extern struct terms default_terms;
/* The terms of the last restored record that were not quite the default's (a version-1 clock's). */
extern struct terms restored_terms;

/* Frees what a capture copied and empties it. */
void cap_reset(struct capture *c);

/* Flushes t into c (emptied first); true when more is left for the next flush (paced shows). */
bool flush_once(struct task *t, int64_t now, struct capture *c);

/* Flushes t into c (emptied first), which must leave nothing for the next flush. */
void flush(struct task *t, int64_t now, struct capture *c);

/* Owner: ids starting with 'x' belong to task 1, all others to task 0. */
uint32_t owner(void *arg, const char *id, size_t len);

/*
 * The default windows and rules (rating integrity off), two tasks, 24 h targets, at risk at
 * 80%; [recovery] 3d and 7d.
 */
int setup(void **state);

/* An event of type for agent (and ticket, when not NULL) at ts; a rating's score on scale 5. */
struct event ev(const char *id, enum event_type type, const char *agent, const char *ticket, int64_t ts, int score);

/* Restores task r from what one flush captured in c (its meta, agents, tickets, outbox, dedupe records) at now. */
void restore_into(struct task *r, const struct capture *c, int64_t now);
/* Event e with team_id team. */
struct event in_team(struct event e, const char *team);
/* The view of agent in c, or a failure. */
const struct task_view *view_of(const struct capture *c, const char *agent);

/* Hands every batch in c's new outbox entries to task to (as the route topic would). */
size_t deliver_batches(struct capture *c, struct task *to, int64_t now);

/* The alerts of rule among c's new outbox entries, the last one's facts into f. */
size_t alerts_of(const struct capture *c, const char *rule, struct alert_facts *f);

#endif
