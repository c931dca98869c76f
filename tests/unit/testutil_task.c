/* testutil_task.c: the fixture of the task tests: a capturing sink, two tasks' config, events and deliveries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil_task.h"

/* Copies len bytes. */
static char *dup_bytes(const char *p, size_t len)
{
	char *c = malloc(len + 1);

	assert_non_null(c);
	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/* Sink: an agent. */
static bool cap_agent(void *arg, const char *id, const char *blob, size_t len, const struct task_view *v)
{
	struct capture *c = arg;

	assert_true(c->views < ENTRIES_MAX);
	snprintf(c->view_agent[c->views], 32, "%s", id);
	c->view[c->views++] = *v;
	if (blob != NULL) {
		snprintf(c->agent_id[c->agents], 32, "%s", id);
		c->agent_blob[c->agents] = dup_bytes(blob, len);
		c->agent_len[c->agents++] = len;
	}
	return true;
}

/* Sink: a ticket. */
static bool cap_ticket(void *arg, const char *id, const char *blob, size_t len)
{
	struct capture *c = arg;

	if (blob == NULL) {
		c->deleted++;
		return true;
	}
	assert_true(c->tickets < ENTRIES_MAX);
	snprintf(c->ticket_id[c->tickets], 32, "%s", id);
	c->ticket_blob[c->tickets] = dup_bytes(blob, len);
	c->ticket_len[c->tickets++] = len;
	return true;
}

/* Sink: a dedupe record. */
static bool cap_record(void *arg, const uint8_t rec[DEDUPE_RECORD_SIZE])
{
	struct capture *c = arg;

	assert_true(c->records < RECORDS_MAX);
	memcpy(c->record[c->records++], rec, DEDUPE_RECORD_SIZE);
	return true;
}

/* Sink: an outbox entry. */
static bool cap_added(void *arg, const struct outbox_entry *e, const char *blob, size_t len)
{
	struct capture *c = arg;

	assert_true(c->added < ENTRIES_MAX);
	c->entry[c->added] = *e;
	c->entry[c->added].data = dup_bytes(e->data, e->len);
	c->entry_blob[c->added] = dup_bytes(blob, len);
	c->entry_len[c->added++] = len;
	return true;
}

/* Sink: a delivered entry. */
static bool cap_removed(void *arg, uint64_t seq)
{
	struct capture *c = arg;

	(void)seq;
	c->removed++;
	return true;
}

/* Sink: meta. */
static bool cap_meta(void *arg, const char *blob, size_t len)
{
	struct capture *c = arg;

	free(c->meta);
	c->meta = dup_bytes(blob, len);
	c->meta_len = len;
	c->metas++;
	return true;
}

/* See testutil_task.h. */
void cap_reset(struct capture *c)
{
	for (size_t i = 0; i < c->agents; i++)
		free(c->agent_blob[i]);
	for (size_t i = 0; i < c->tickets; i++)
		free(c->ticket_blob[i]);
	for (size_t i = 0; i < c->added; i++) {
		free(c->entry[i].data);
		free(c->entry_blob[i]);
	}
	free(c->meta);
	memset(c, 0, sizeof(*c));
}

/* See testutil_task.h. */
bool flush_once(struct task *t, int64_t now, struct capture *c)
{
	struct task_sink sink = {cap_agent, cap_ticket, cap_record, {cap_added, cap_removed, c}, cap_meta, c};

	cap_reset(c);
	assert_true(task_flush(t, now, &sink));
	return task_dirty(t);
}

/* See testutil_task.h. */
void flush(struct task *t, int64_t now, struct capture *c)
{
	assert_false(flush_once(t, now, c));
}

/* See testutil_task.h. */
uint32_t owner(void *arg, const char *id, size_t len)
{
	(void)arg;
	return len > 0 && id[0] == 'x';
}

struct windows ws;
struct rule_config rules[RULE_COUNT];
struct task_config cfg;
struct month_clock months;
struct policy default_policy;
struct terms default_terms;

struct terms restored_terms;

/* Whether two terms have the same mask and goals. */
static bool same_goals(const struct terms *a, const struct terms *b)
{
	if (a->pause_mask != b->pause_mask)
		return false;
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		for (int k = 0; k < TERMS_KINDS; k++)
			if (a->goals[g].target_ms[k] != b->goals[g].target_ms[k])
				return false;
		if (a->goals[g].promise_ms != b->goals[g].promise_ms ||
		    a->goals[g].at_risk_permille != b->goals[g].at_risk_permille)
			return false;
	}
	return true;
}

/* task_config.restore_terms: a record's terms are the default's here, or (version 1) a copy of them kept. */
static const struct terms *restore_terms(void *arg, const struct terms *t)
{
	(void)arg;
	assert_string_equal(t->policy, "default");
	assert_string_equal(t->calendar_name, "always");
	if (same_goals(t, &default_terms))
		return &default_terms;
	restored_terms = *t;
	restored_terms.calendar = calendar_always();
	return &restored_terms;
}

/* See testutil_task.h. */
int setup(void **state)
{
	char reason[64];

	(void)state;
	assert_true(windows_parse("1h,24h,7d,30d", &ws, reason, sizeof(reason)));
	for (int id = 0; id < RULE_COUNT; id++)
		rule_defaults((enum rule_id)id, &ws, &rules[id]);
	/* Off but where a test turns it on: judged with no peers known, it would have every agent shown again. */
	rules[RULE_RATING_INTEGRITY].enabled = false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.windows = &ws;
	assert_true(agent_plan_init(&cfg.plan, &ws));
	month_clock_init(&months, NULL);
	cfg.months = &months;
	/* The default policy of a file without policies: [sla]'s targets around the clock. */
	memset(&default_policy, 0, sizeof(default_policy));
	snprintf(default_policy.name, sizeof(default_policy.name), "default");
	memset(&default_terms, 0, sizeof(default_terms));
	snprintf(default_terms.policy, sizeof(default_terms.policy), "default");
	snprintf(default_terms.calendar_name, sizeof(default_terms.calendar_name), "always");
	default_terms.calendar = calendar_always();
	default_terms.pause_mask = 1u << STATUS_PENDING | 1u << STATUS_ON_HOLD;
	for (int k = 0; k < CLOCK_KIND_COUNT; k++) {
		default_terms.goals[POLICY_FIRST_REPLY].target_ms[k] = 24 * HOUR;
		default_terms.goals[POLICY_NEXT_REPLY].target_ms[k] = 24 * HOUR;
	}
	default_terms.goals[POLICY_FIRST_REPLY].at_risk_permille = 800;
	default_terms.goals[POLICY_NEXT_REPLY].at_risk_permille = 800;
	cfg.default_policy = &default_policy;
	cfg.default_terms = &default_terms;
	cfg.restore_terms = restore_terms;
	cfg.clocks.pair_horizon_ms = 7 * DAY;
	cfg.recovery.follow_up_within_ms = 3 * DAY;
	cfg.recovery.rating_within_ms = 7 * DAY;
	cfg.rules = rules;
	cfg.dedupe_horizon_ms = DAY;
	cfg.rules_refresh_ms = MIN;
	cfg.tasks = 2;
	cfg.owner = owner;
	return 0;
}

/* See testutil_task.h. */
struct event ev(const char *id, enum event_type type, const char *agent, const char *ticket, int64_t ts,
    int score)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	snprintf(e.event_id, sizeof(e.event_id), "%s", id);
	e.type = type;
	snprintf(e.agent_id, sizeof(e.agent_id), "%s", agent);
	if (ticket != NULL)
		snprintf(e.ticket_id, sizeof(e.ticket_id), "%s", ticket);
	e.ts_ms = ts;
	e.score = score;
	e.scale = 5;
	e.severity = SEVERITY_NORMAL;
	return e;
}

/* See testutil_task.h. */
struct event in_team(struct event e, const char *team)
{
	snprintf(e.team_id, sizeof(e.team_id), "%s", team);
	return e;
}

/* See testutil_task.h. */
void restore_into(struct task *r, const struct capture *c, int64_t now)
{
	assert_true(task_restore_meta(r, c->meta, c->meta_len));
	for (size_t i = 0; i < c->agents; i++)
		if (c->agent_blob[i] != NULL)
			assert_true(task_restore_agent(r, c->agent_id[i], strlen(c->agent_id[i]), c->agent_blob[i],
			    c->agent_len[i]));
	for (size_t i = 0; i < c->tickets; i++)
		assert_true(task_restore_ticket(r, c->ticket_id[i], strlen(c->ticket_id[i]), c->ticket_blob[i],
		    c->ticket_len[i], now));
	for (size_t i = 0; i < c->added; i++)
		assert_true(outbox_restore(task_outbox(r), c->entry[i].seq, c->entry_blob[i], c->entry_len[i],
		    cfg.tasks));
	for (size_t i = 0; i < c->records; i++)
		assert_true(task_restore_dedupe(r, c->record[i], now));
	task_restore_done(r, now);
}

/* See testutil_task.h. */
const struct task_view *view_of(const struct capture *c, const char *agent)
{
	for (size_t i = 0; i < c->views; i++)
		if (strcmp(c->view_agent[i], agent) == 0)
			return &c->view[i];
	fail_msg("no view of %s", agent);
	return NULL;
}

/* See testutil_task.h. */
size_t deliver_batches(struct capture *c, struct task *to, int64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < c->added; i++) {
		if (c->entry[i].kind != OUTBOX_BATCH || c->entry[i].dest != task_id(to))
			continue;
		assert_true(task_batch(to, c->entry[i].data, c->entry[i].len, now));
		n++;
	}
	return n;
}

/* See testutil_task.h. */
size_t alerts_of(const struct capture *c, const char *rule, struct alert_facts *f)
{
	size_t n = 0;
	struct alert_facts a;

	for (size_t i = 0; i < c->added; i++) {
		if (c->entry[i].kind != OUTBOX_ALERT)
			continue;
		assert_true(alert_facts_parse(c->entry[i].data, c->entry[i].len, &a));
		if (strcmp(a.rule, rule) == 0) {
			*f = a;
			n++;
		}
	}
	return n;
}

