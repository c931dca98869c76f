/* ingest.c: consumed messages to Redis effects, in order, with offsets stored only after. */
#include "ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "event.h"
#include "log.h"
#include "progress.h"
#include "tally.h"
#include "timestamp.h"

#define INGEST_RETRY_MS 500

/* A sealed batch waiting for, or awaiting, its apply script. */
struct ingest_batch {
	struct ingest *in;
	struct ingest_batch *next;
	struct batch *batch;
	bool inflight;
	bool sent;     /* its agents are counted in ingest.pending */
};

struct ingest {
	const struct config *cfg;
	struct metrics *metrics;
	struct redis *redis;
	struct agentstats *stats;
	struct consumer *consumer;
	struct dlq *dlq;
	struct ingest_effects effects;
	struct progress *progress;
	struct tally *pending;        /* agent -> its events in batches sent, not yet applied */
	struct batch *open;           /* being filled */
	struct ingest_batch *head;    /* sealed, oldest first, until Redis confirms */
	struct ingest_batch *tail;
	size_t queued;
	struct event *retry_ev;
	struct event *seal_ev;        /* seals the open batch once the current wake-up is done */
	bool waiting_retry;
	bool stopped;
	/* apply script header arguments that only change on reload */
	char windows[WINDOWS_SPEC_SIZE];
	char sla[160];
	char max_future[24];
	char dedupe[24];
};

static void ingest_pump(struct ingest *in);

/* Encodes the windows and reply targets for the scripts. */
void ingest_reconfigure(struct ingest *in)
{
	const struct config *cfg = in->cfg;
	const int64_t *sev = cfg->reply_target_severity_ms;

	windows_encode(&cfg->windows, in->windows, sizeof(in->windows));
	snprintf(in->sla, sizeof(in->sla), "%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%d,%" PRId64,
	    cfg->reply_target_ms, sev[SEVERITY_LOW], sev[SEVERITY_NORMAL], sev[SEVERITY_HIGH],
	    sev[SEVERITY_CRITICAL], (int)(cfg->at_risk * 1000 + 0.5), cfg->pair_horizon_ms);
	snprintf(in->max_future, sizeof(in->max_future), "%" PRId64, cfg->max_future_ms);
	snprintf(in->dedupe, sizeof(in->dedupe), "%" PRId64, cfg->dedupe_horizon_ms);
}

/* Stores every offset that is now safe to commit for a partition. */
static void ingest_store(struct ingest *in, const char *topic, int32_t partition)
{
	int64_t next;

	if (in->consumer != NULL && progress_take(in->progress, topic, partition, &next))
		consumer_store(in->consumer, topic, partition, next);
}

/*
 * While Redis is down, fetching is paused outright (an outage may be long). While Redis is
 * merely busy, the consumer stops draining its bounded local queue: pausing partitions would
 * throw the prefetch away and cost a broker round trip per batch.
 */
static void ingest_backpressure(struct ingest *in)
{
	if (in->consumer == NULL || in->stopped)
		return;
	if (!redis_is_up(in->redis))
		consumer_pause(in->consumer);
	else
		consumer_resume(in->consumer);
	/* At the limit the open batch keeps filling; only a full one waiting stops the reads. */
	if (in->queued > (size_t)in->cfg->max_inflight_batches)
		consumer_hold(in->consumer);
	else
		consumer_release(in->consumer);
}

/* Closes the open batch and queues it behind the others. */
static void ingest_seal(struct ingest *in)
{
	struct ingest_batch *ib;
	int64_t prev[BATCH_PARTITIONS_MAX];
	struct batch *b = in->open;

	if (b == NULL || batch_count(b) == 0)
		return;
	ib = calloc(1, sizeof(*ib));
	if (ib == NULL)
		return; /* stays open; retried on the next seal */
	for (size_t i = 0; i < batch_partition_count(b); i++) {
		const char *topic;
		int32_t partition;
		int64_t last;

		batch_partition(b, i, &topic, &partition, &last);
		prev[i] = progress_swap_batched(in->progress, topic, partition, last);
	}
	batch_set_predecessors(b, prev);
	ib->in = in;
	ib->batch = b;
	in->open = NULL;
	if (in->tail != NULL)
		in->tail->next = ib;
	else
		in->head = ib;
	in->tail = ib;
	in->queued++;
	metrics_batch(in->metrics, batch_count(b));
}

/*
 * Group commit: while max_inflight_batches await Redis, the open batch keeps gathering
 * (up to batch_size) and is sealed when one of them returns. A busy Redis thus gets
 * bigger batches, whose per-agent work is shared by more events; an idle one gets each
 * consumer wake-up at once.
 */
static void ingest_seal_if_room(struct ingest *in)
{
	if (in->queued < (size_t)in->cfg->max_inflight_batches)
		ingest_seal(in);
}

/* Unlinks and frees a confirmed batch. */
static void ingest_remove(struct ingest *in, struct ingest_batch *ib)
{
	struct ingest_batch **pp = &in->head, *prev = NULL;

	while (*pp != ib) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = ib->next;
	if (in->tail == ib)
		in->tail = prev;
	in->queued--;
	batch_free(ib->batch);
	free(ib);
}

/* Counts a batch's agents into ingest.pending, or out of it once the batch is applied. */
static void ingest_tally_agents(struct ingest *in, const struct batch *b, bool add)
{
	for (size_t i = 0; i < batch_count(b); i++) {
		const char *agent;
		size_t len;

		batch_agent(b, i, &agent, &len);
		if (add)
			(void)tally_add(in->pending, agent, len); /* out of memory: written early, harmless */
		else
			tally_remove(in->pending, agent, len);
	}
}

/*
 * A batch goes to Redis for the first time: its agents now wait on it. Only sent batches
 * count, never one still filling or queued, so a stats write is put off exactly when
 * stats_write would have dropped it anyway (Redis runs the sent batch first, and the
 * version moves on).
 */
static void ingest_hold_agents(struct ingest *in, struct ingest_batch *ib)
{
	if (!ib->sent) {
		ib->sent = true;
		ingest_tally_agents(in, ib->batch, true);
	}
}

/* The batch's events are applied: its agents no longer wait on it. */
static void ingest_release_agents(struct ingest *in, const struct ingest_batch *ib)
{
	if (ib->sent)
		ingest_tally_agents(in, ib->batch, false);
}

/*
 * agentstats_pending_fn: an agent with events in a batch sent but not yet applied gets newer
 * totals from that batch's script call (apply hands back the agent of every event it is
 * given, even a duplicate), which Redis runs before any stats write sent now.
 */
static int64_t *ingest_agent_pending(void *arg, const char *agent, size_t len)
{
	struct ingest *in = arg;

	return tally_value(in->pending, agent, len);
}

/* Adds a script's per-type, per-result counts to the metrics. */
static void ingest_count(struct ingest *in, const redisReply *counts)
{
	if (counts->type != REDIS_REPLY_ARRAY || counts->elements != EVENT_TYPE_COUNT * RESULT_COUNT)
		return;
	for (size_t t = 0; t < EVENT_TYPE_COUNT; t++)
		for (size_t r = 0; r < RESULT_COUNT; r++) {
			uint64_t n = (uint64_t)counts->element[t * RESULT_COUNT + r]->integer;

			in->metrics->events[t][r] += n;
			in->metrics->events_by_result[r] += n;
		}
}

/* Waits a moment before re-sending failed batches. */
static void ingest_retry_later(struct ingest *in)
{
	struct timeval tv = {0, INGEST_RETRY_MS * 1000};

	if (!in->waiting_retry) {
		in->waiting_retry = true;
		evtimer_add(in->retry_ev, &tv);
	}
}

/* The apply script answered for one batch. */
static void ingest_on_applied(void *arg, redisReply *reply)
{
	struct ingest_batch *ib = arg;
	struct ingest *in = ib->in;
	struct batch *b = ib->batch;

	ib->inflight = false;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "GAP ", 4) == 0 &&
	    ib == in->head) {
		/*
		 * Nothing older waits here, yet Redis has not applied the predecessor: Redis lost
		 * writes it had acknowledged (restart without persistence, failover). Waiting cannot
		 * help; apply this batch without the check rather than stall the partition.
		 */
		int64_t none[BATCH_PARTITIONS_MAX];

		log_err("redis: lost acknowledged writes (%s); events before this batch may be missing from "
		    "the figures", reply->str);
		for (size_t i = 0; i < BATCH_PARTITIONS_MAX; i++)
			none[i] = -1;
		batch_set_predecessors(b, none);
	}
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
		/* Kept and re-sent in order; the script's offset checks make a re-send harmless. */
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
			log_limited(LOG_WARNING, "apply", "redis: batch of %zu events not applied: %s; retrying",
			    batch_count(b), reply->str);
		in->metrics->batch_retries++;
		ingest_retry_later(in);
		return;
	}
	ingest_count(in, reply->element[0]);
	ingest_release_agents(in, ib);
	agentstats_publish(in->stats, reply->element[1]);
	if (in->effects.outbox != NULL && reply->element[2]->elements > 0)
		in->effects.outbox(in->effects.arg, reply->element[2]);
	if (in->effects.next_due != NULL && reply->element[3]->integer >= 0)
		in->effects.next_due(in->effects.arg, reply->element[3]->integer);
	for (size_t i = 0; i < batch_count(b); i++) {
		const char *topic;
		int32_t partition;
		int64_t offset;

		batch_position(b, i, &topic, &partition, &offset);
		progress_done(in->progress, topic, partition, offset);
	}
	for (size_t i = 0; i < batch_partition_count(b); i++) {
		const char *topic;
		int32_t partition;
		int64_t last;

		batch_partition(b, i, &topic, &partition, &last);
		ingest_store(in, topic, partition);
	}
	ingest_remove(in, ib);
	ingest_seal_if_room(in);
	ingest_pump(in);
}

/* Sends every queued batch that is not in flight, oldest first. */
static void ingest_pump(struct ingest *in)
{
	char now[24];
	const char *header[BATCH_HEADER_ARGS - 1];

	if (in->waiting_retry || !redis_is_up(in->redis)) {
		ingest_backpressure(in);
		return;
	}
	snprintf(now, sizeof(now), "%" PRId64, ts_now_ms());
	header[0] = now;
	header[1] = in->cfg->prefix;
	header[2] = in->windows;
	header[3] = in->max_future;
	header[4] = in->dedupe;
	header[5] = in->cfg->group;
	header[6] = in->sla;
	for (struct ingest_batch *ib = in->head; ib != NULL; ib = ib->next) {
		const char **argv;
		size_t *lens;
		int argc;

		if (ib->inflight)
			continue;
		argc = batch_argv(ib->batch, header, &argv, &lens);
		if (argc < 0 || !redis_script(in->redis, SCRIPT_APPLY, argc, argv, lens, ingest_on_applied, ib)) {
			ingest_retry_later(in);
			break;
		}
		ib->inflight = true;
		ingest_hold_agents(in, ib);
	}
	ingest_backpressure(in);
}

/* Retry timer. */
static void ingest_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct ingest *in = arg;

	(void)fd;
	(void)what;
	in->waiting_retry = false;
	ingest_pump(in);
}

/* Parses one message into the open batch, or sends it to the DLQ. */
static void ingest_one(struct ingest *in, const rd_kafka_message_t *m, int64_t now)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	struct event ev;
	char reason[EVENT_REASON_SIZE];

	if (!progress_begin(in->progress, topic, m->partition, m->offset)) {
		log_err("ingest: out of memory tracking %s/%" PRId32, topic, m->partition);
		return;
	}
	if (!event_parse(m->payload, m->len, now, in->cfg->max_future_ms, &ev, reason, sizeof(reason))) {
		dlq_send(in->dlq, m, event_rejected_type(m->payload, m->len), reason);
		return;
	}
	if (in->open == NULL && (in->open = batch_new()) == NULL) {
		log_err("ingest: out of memory for a batch");
		return;
	}
	if (!batch_add(in->open, &ev, topic, m->partition, m->offset)) {
		ingest_seal(in);
		if ((in->open = in->open ? in->open : batch_new()) == NULL ||
		    !batch_add(in->open, &ev, topic, m->partition, m->offset)) {
			log_err("ingest: cannot batch %s/%" PRId32 "@%" PRId64, topic, m->partition, m->offset);
			return;
		}
	}
	if (batch_count(in->open) >= (size_t)in->cfg->batch_size)
		ingest_seal(in);
}

/* See ingest.h. */
void ingest_messages(void *arg, rd_kafka_message_t **msgs, size_t count)
{
	struct ingest *in = arg;
	int64_t now = ts_now_ms();

	for (size_t i = 0; i < count; i++)
		ingest_one(in, msgs[i], now);
	/*
	 * No linger timer: the open batch is sealed once the consumer's current wake-up has
	 * handed over everything it read, if Redis has room for it (ingest_seal_if_room), so
	 * a quiet stream waits for nothing.
	 */
	if (in->open != NULL && batch_count(in->open) > 0)
		event_active(in->seal_ev, EV_TIMEOUT, 0);
	ingest_pump(in);
}

/* End of a consumer wake-up: what was gathered goes to Redis if it has room. */
static void ingest_on_seal(evutil_socket_t fd, short what, void *arg)
{
	struct ingest *in = arg;

	(void)fd;
	(void)what;
	ingest_seal_if_room(in);
	ingest_pump(in);
}

/* See ingest.h. */
void ingest_assigned(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct ingest *in = arg;

	for (int i = 0; i < parts->cnt; i++)
		progress_forget(in->progress, parts->elems[i].topic, parts->elems[i].partition);
}

/* See ingest.h. */
void ingest_revoked(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct ingest *in = arg;

	/*
	 * Batches in flight for these partitions are abandoned, not awaited: if they land after
	 * the new owner starts, the offsets high-water mark in Redis makes one of the two a no-op.
	 */
	for (int i = 0; i < parts->cnt; i++) {
		ingest_store(in, parts->elems[i].topic, parts->elems[i].partition);
		progress_forget(in->progress, parts->elems[i].topic, parts->elems[i].partition);
	}
}

/* See ingest.h. */
void ingest_dead_lettered(void *arg, const char *topic, int32_t partition, int64_t offset)
{
	struct ingest *in = arg;

	progress_done(in->progress, topic, partition, offset);
	ingest_store(in, topic, partition);
}

/* See ingest.h. */
void ingest_redis_state(struct ingest *in, bool up)
{
	if (up)
		ingest_pump(in);
	else
		ingest_backpressure(in);
}

/* See ingest.h. */
struct ingest *ingest_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    struct redis *redis, struct agentstats *stats)
{
	struct ingest *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->cfg = cfg;
	in->metrics = metrics;
	in->redis = redis;
	in->stats = stats;
	in->progress = progress_new();
	in->pending = tally_new();
	in->retry_ev = evtimer_new(base, ingest_on_retry, in);
	in->seal_ev = event_new(base, -1, 0, ingest_on_seal, in);
	if (in->progress == NULL || in->pending == NULL || in->retry_ev == NULL || in->seal_ev == NULL) {
		ingest_free(in);
		return NULL;
	}
	ingest_reconfigure(in);
	agentstats_defer(stats, ingest_agent_pending, in);
	return in;
}

/* See ingest.h. */
void ingest_attach(struct ingest *in, struct consumer *consumer, struct dlq *dlq,
    const struct ingest_effects *effects)
{
	in->consumer = consumer;
	in->dlq = dlq;
	if (effects != NULL)
		in->effects = *effects;
}

/* See ingest.h. */
size_t ingest_queued(const struct ingest *in)
{
	return in->queued + (in->open != NULL && batch_count(in->open) > 0);
}

/* See ingest.h. */
void ingest_stop(struct ingest *in)
{
	in->stopped = true;
	if (in->consumer != NULL)
		consumer_pause(in->consumer);
}

/* See ingest.h. */
void ingest_free(struct ingest *in)
{
	if (in == NULL)
		return;
	while (in->head != NULL)
		ingest_remove(in, in->head);
	batch_free(in->open);
	progress_free(in->progress);
	if (in->stats != NULL)
		agentstats_defer(in->stats, NULL, NULL);
	tally_free(in->pending);
	if (in->retry_ev != NULL)
		event_free(in->retry_ev);
	if (in->seal_ev != NULL)
		event_free(in->seal_ev);
	free(in);
}
