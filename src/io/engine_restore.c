/* engine_restore.c: a task taken on: its generation claimed, its checkpoint restored, then it is ready. */
#include "engine_state.h"

#include <inttypes.h>
#include <stdlib.h>

#include "deliver.h"
#include "log.h"
#include "policyset.h"
#include "taskstore.h"
#include "timestamp.h"

/* See engine_state.h. */
const struct terms *engine_restore_terms(void *arg, const struct terms *t)
{
	struct engine *e = arg;
	bool missing;
	const struct terms *kept = policyset_restore(&e->policies, e->cfg, t, &missing);

	if (missing)
		log_limited(LOG_WARNING, "calendar", "engine: a ticket of policy '%s' ran on calendar '%s', which is no "
		    "longer configured; its clocks run on `always`", t->policy, t->calendar_name);
	return kept;
}

/* Restore: the meta record (NULL for a task never checkpointed). */
static void engine_restore_meta(void *arg, uint64_t gen, uint64_t seq, const void *pos, size_t len)
{
	struct engine_task *et = arg;

	(void)gen;
	(void)seq;
	/* Its outbox numbers and marks cannot be guessed: numbering afresh would lose or repeat batches. */
	if (pos != NULL && !task_restore_meta(et->task, pos, len))
		et->meta_bad = true;
}

/* Restore: one agent, ticket or outbox entry. */
static void engine_restore_entry(void *arg, enum taskstore_kind kind, const char *id, size_t id_len,
    const void *blob, size_t len)
{
	struct engine_task *et = arg;
	bool ok = false;

	et->restored_entries++;
	switch (kind) {
	case TASKSTORE_AGENT:
		ok = task_restore_agent(et->task, id, id_len, blob, len);
		break;
	case TASKSTORE_TICKET:
		ok = task_restore_ticket(et->task, id, id_len, blob, len, ts_now_ms());
		break;
	case TASKSTORE_OUTBOX:
		ok = outbox_restore(task_outbox(et->task), strtoull(id, NULL, 10), blob, len, et->e->ntasks);
		break;
	default:
		break;
	}
	if (!ok)
		log_limited(LOG_ERR, "restore", "engine: task %" PRIu32 ": unreadable checkpoint entry '%.*s'; "
		    "skipped", et->id, (int)id_len, id);
}

/* Restore: dedupe records. */
static void engine_restore_dedupe(void *arg, const unsigned char *records, size_t n)
{
	struct engine_task *et = arg;
	int64_t now = ts_now_ms();

	for (size_t i = 0; i < n; i++)
		task_restore_dedupe(et->task, records + i * DEDUPE_RECORD_SIZE, now);
}

/* Restore finished: the task takes events, its views are written again and its outbox re-sent. */
static void engine_restore_done(void *arg, enum taskstore_result res)
{
	struct engine_task *et = arg;
	struct engine *e = et->e;
	struct timeval tv = {0, ENGINE_RETRY_MS * 1000};
	int64_t now = ts_now_ms();

	if (et->state == ENGINE_CLOSING) {
		engine_task_maybe_free(et);
		return;
	}
	if (res == TASKSTORE_FENCED) {
		/* Another member claimed it since: it is theirs; claiming again would fence them out. */
		log_warn("engine: task %" PRIu32 " was claimed by another instance while restoring; dropping it",
		    et->id);
		engine_close(et, true);
		return;
	}
	if (res == TASKSTORE_OK && et->meta_bad) {
		log_err("engine: task %" PRIu32 ": its checkpoint's meta record is unreadable (written by "
		    "another release?); not running it: run `feedbackd --rebuild` with every instance stopped",
		    et->id);
		engine_close(et, true);
		return;
	}
	if (res != TASKSTORE_OK) {
		/* Start over with a fresh task: a partial restore is never used. */
		task_free(et->task);
		et->task = task_new(et->id, &e->tcfg);
		deliver_attach(et->deliver, et->task != NULL && !et->held ? task_outbox(et->task) : NULL);
		et->state = ENGINE_CLAIMING;
		evtimer_add(et->retry_ev, &tv);
		return;
	}
	task_restore_done(et->task, now);
	et->state = ENGINE_READY;
	log_info("engine: task %" PRIu32 " restored in %" PRId64 " ms (%zu entries, %zu agents)", et->id,
	    now - et->restore_started_ms, et->restored_entries, task_agents(et->task));
	engine_schedule_tick(et);
	if (et->held) {
		engine_twins_may_go(et);
	} else {
		et->delivering = true;
		deliver_drive(et->deliver);
	}
	engine_flush(et);
	e->handler.task_ready(e->handler.arg, et->id);
}

/* The answer to a claim: restore under the new generation. */
static void engine_restore_on_claim(void *arg, enum taskstore_result res, uint64_t gen)
{
	struct engine_task *et = arg;
	struct taskstore_restore_fns fns = {engine_restore_meta, engine_restore_entry, engine_restore_dedupe,
		engine_restore_done};
	struct timeval tv = {0, ENGINE_RETRY_MS * 1000};

	(void)gen;
	if (et->state == ENGINE_CLOSING) {
		engine_task_maybe_free(et);
		return;
	}
	if (res != TASKSTORE_OK ||
	    !taskstore_restore(et->store, ts_now_ms(), et->e->cfg->dedupe_horizon_ms, &fns, et)) {
		evtimer_add(et->retry_ev, &tv);
		return;
	}
	et->state = ENGINE_RESTORING;
}

/* See engine_state.h. */
void engine_restore_claim(struct engine_task *et)
{
	struct timeval tv = {0, ENGINE_RETRY_MS * 1000};

	et->state = ENGINE_CLAIMING;
	if (!taskstore_claim(et->store, engine_restore_on_claim, et))
		evtimer_add(et->retry_ev, &tv);
}
