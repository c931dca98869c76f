/* task_restore.c: a task rebuilt from its checkpoint: meta, agents, tickets, dedupe records (pure). */
#include "task_state.h"

#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "clock_record.h"
#include "mpack.h"

/* See task.h. */
bool task_restore_meta(struct task *t, const char *blob, size_t len)
{
	msgpack_unpacked u;
	uint64_t version, seq;
	bool ok = false;

	msgpack_unpacked_init(&u);
	if (!mpack_one(&u, blob, len) || u.data.type != MSGPACK_OBJECT_ARRAY || u.data.via.array.size != 3)
		goto out;
	const msgpack_object *m = u.data.via.array.ptr;
	if (!mpack_uint(&m[0], TASK_VERSION, &version) || version != TASK_VERSION ||
	    !mpack_uint(&m[1], UINT64_MAX, &seq) || seq == 0 || m[2].type != MSGPACK_OBJECT_ARRAY ||
	    m[2].via.array.size != t->cfg->tasks)
		goto out;
	for (uint32_t s = 0; s < t->cfg->tasks; s++)
		if (!mpack_uint(&m[2].via.array.ptr[s], UINT64_MAX, &t->marks[s]))
			goto out;
	outbox_restore_seq(&t->out, seq);
	ok = true;
out:
	msgpack_unpacked_destroy(&u);
	return ok;
}

/* See task.h. */
bool task_restore_agent(struct task *t, const char *id, size_t id_len, const char *blob, size_t len)
{
	uint32_t i = task_agent_slot(t, id, id_len);

	if (i == UINT32_MAX || !agent_decode(blob, len, &t->agents[i].a, &t->cfg->plan))
		return false;
	t->agents[i].team_slot = 0; /* its team is the record's */
	return true;
}

/*
 * The terms a restored ticket runs under: its record's, made the caller's own. A version-1
 * clock's are the default policy's with its own target and at-risk fraction, around the clock
 * as it was counted (its fired points, and so its alert ids, stay what they were).
 */
static const struct terms *task_restored_terms(const struct task *t, const struct clock_state *s,
    const struct clock_record *rec)
{
	struct terms v1;

	if (rec->has_terms)
		return t->cfg->restore_terms(t->cfg->restore_arg, &rec->terms);
	/* What version 1 had: reply targets, no promise, no pause, no resolution clock. */
	v1 = *t->cfg->default_terms;
	v1.calendar = calendar_always();
	snprintf(v1.calendar_name, sizeof(v1.calendar_name), "%s", CALENDAR_ALWAYS);
	v1.pause_mask = 0;
	for (int g = 0; g < POLICY_TARGET_COUNT; g++)
		v1.goals[g].promise_ms = 0;
	memset(&v1.goals[POLICY_RESOLUTION], 0, sizeof(v1.goals[POLICY_RESOLUTION]));
	v1.goals[POLICY_FIRST_REPLY].target_ms[s->reply.kind] = rec->v1_target;
	v1.goals[POLICY_FIRST_REPLY].at_risk_permille = rec->v1_at_risk_permille;
	return t->cfg->restore_terms(t->cfg->restore_arg, &v1);
}

/* See task.h. */
bool task_restore_ticket(struct task *t, const char *id, size_t id_len, const char *blob, size_t len,
    int64_t now_ms)
{
	struct clock_state s;
	struct clock_record rec;
	struct tickets_slot *k;
	uint32_t i;
	int64_t next;

	(void)now_ms;
	if (!clock_record_decode(blob, len, &s, &rec))
		return false;
	if (((rec.has_terms || rec.v1_running) && (s.terms = task_restored_terms(t, &s, &rec)) == NULL) ||
	    (i = tickets_slot(&t->tickets, id, id_len, &rec.agent, &rec.category)) == UINT32_MAX) {
		clock_clear(&s);
		free(rec.recovery);
		return false;
	}
	k = &t->tickets.v[i];
	/* The same record again (HSCAN may repeat one): the first copy's overdue count goes. */
	t->ticket_overdue -= clock_reply_overdue(&k->clock);
	clock_clear(&k->clock);
	if (clock_holds_names(&s)) {
		if (!tickets_rename(&t->tickets, i, &rec.agent, &rec.category)) {
			clock_clear(&s);
			free(rec.recovery);
			task_ticket_forget(t, i);
			return false;
		}
		tickets_handles(i, rec.category.len > 0, &s.agent, &s.category);
		t->ticket_overdue += clock_reply_overdue(&s);
	}
	k->clock = s;
	free(k->recovery);
	k->recovery = rec.recovery;
	if ((next = task_ticket_next(t, i)) != CLOCK_NONE)
		timers_set(t->ticket_timers, i, next);
	return true;
}

/* See task.h. */
bool task_restore_dedupe(struct task *t, const uint8_t rec[DEDUPE_RECORD_SIZE], int64_t now_ms)
{
	return dedupe_restore_record(t->dedupe, rec, now_ms) >= 0;
}

/* See task.h. */
void task_restore_done(struct task *t, int64_t now_ms)
{
	/* Every agent's active windows at once, so the first partials count all of them. */
	for (uint32_t i = 0; i < t->agent_count; i++) {
		int64_t next = INT64_MAX;

		if (t->agents[i].a.active == NULL)
			task_agent_active(t, &t->agents[i], now_ms, &next);
	}
	outbox_restore_done(&t->out);
	task_show_all(t);
}
