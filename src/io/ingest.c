/* ingest.c: consumed messages to the tasks: parsed, dead-lettered, applied in place or forwarded. */
#include "ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "event.h"
#include "log.h"
#include "offsets.h"
#include "timestamp.h"

/* Forwards in flight, or events not committed yet, above which the consumer stops handing over
 * messages (librdkafka's bounded prefetch then stops the fetching): memory stays bounded while
 * the broker or Redis is slow. */
#define INGEST_FORWARDS_MAX 100000
#define INGEST_UNCOMMITTED_MAX 100000

/* A partition some of whose offsets became done by a commit, stored once the commit settled. */
struct ingest_partition {
	const char *topic;
	int32_t partition;
};

/* An event on its way to the task that owns its agent. */
struct ingest_forward {
	struct ingest *in;
	const char *topic;
	int32_t partition;
	int64_t offset;
};

struct ingest {
	const struct config *cfg;
	struct metrics *metrics;
	struct producer *route;
	struct consumer *consumer;
	struct dlq *dlq;
	struct engine *engine;
	struct offsets *offsets;    /* which consumed offsets are done, per partition */
	void (*fatal)(void *arg, const char *reason);
	void *fatal_arg;
	size_t forwarding;
	struct ingest_partition *unstored; /* partitions of the commit being settled */
	size_t unstored_n, unstored_cap;
	bool holding;       /* the consumer is held for back-pressure */
	bool redis_down;
	bool stopped;
};

/* The configured name of a topic: a string that lives as long as the daemon. NULL if unknown. */
static const char *ingest_topic(const struct ingest *in, const char *name)
{
	if (strcmp(name, in->cfg->route_topic) == 0)
		return in->cfg->route_topic;
	for (size_t i = 0; i < in->cfg->topic_count; i++)
		if (strcmp(name, in->cfg->topics[i]) == 0)
			return in->cfg->topics[i];
	return NULL;
}

/* Stores every offset of a partition that is now safe to commit. */
static void ingest_store(struct ingest *in, const char *topic, int32_t partition)
{
	int64_t next;

	if (in->consumer != NULL && offsets_take(in->offsets, topic, partition, &next))
		consumer_store(in->consumer, topic, partition, next);
}

/* Marks an offset finished and stores what that allows. */
static void ingest_finish(struct ingest *in, const char *topic, int32_t partition, int64_t offset)
{
	offsets_done(in->offsets, topic, partition, offset);
	ingest_store(in, topic, partition);
}

/* Pauses fetching while Redis is down, and holds the local queue while forwards pile up. */
static void ingest_backpressure(struct ingest *in)
{
	if (in->consumer == NULL || in->stopped)
		return;
	if (in->redis_down)
		consumer_pause(in->consumer);
	else
		consumer_resume(in->consumer);
	in->holding = in->forwarding >= INGEST_FORWARDS_MAX ||
	    engine_uncommitted(in->engine) >= INGEST_UNCOMMITTED_MAX;
	if (in->holding)
		consumer_hold(in->consumer);
	else
		consumer_release(in->consumer);
}

/* A forward was acknowledged: the event is the owner's now, so its offset is done here. */
static void ingest_on_forwarded(void *arg, rd_kafka_resp_err_t err)
{
	struct ingest_forward *f = arg;
	struct ingest *in = f->in;

	in->forwarding--;
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		/* The route producer never times out, so this is a setup fault: say so and stop. */
		log_err("kafka: cannot forward %s/%" PRId32 "@%" PRId64 " to %s: %s; check that the topic exists "
		    "and this daemon may write to it", f->topic, f->partition, f->offset, in->cfg->route_topic,
		    rd_kafka_err2str(err));
		in->fatal(in->fatal_arg, "the route topic refuses forwarded events");
	} else {
		ingest_finish(in, f->topic, f->partition, f->offset);
	}
	free(f);
	ingest_backpressure(in);
}

/* Sends an event's message as it is to the task that owns its agent. */
static void ingest_forward(struct ingest *in, const rd_kafka_message_t *m, const char *topic, uint32_t owner,
    const struct event *ev)
{
	struct ingest_forward *f = malloc(sizeof(*f));
	rd_kafka_resp_err_t err;

	if (f == NULL) {
		/* Its offset could never be done: stop, and the next start reads it again. */
		log_err("ingest: out of memory forwarding %s/%" PRId32 "@%" PRId64 "; stopping", topic, m->partition,
		    m->offset);
		in->fatal(in->fatal_arg, "out of memory");
		return;
	}
	*f = (struct ingest_forward){in, topic, m->partition, m->offset};
	err = producer_send(in->route, in->cfg->route_topic, (int32_t)owner, ev->agent_id, strlen(ev->agent_id),
	    m->payload, m->len, NULL, ingest_on_forwarded, f);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("kafka: cannot queue a forward of %s/%" PRId32 "@%" PRId64 " to %s: %s; stopping (the next "
		    "start reads it again)", topic, m->partition, m->offset, in->cfg->route_topic, rd_kafka_err2str(err));
		free(f);
		in->fatal(in->fatal_arg, "the route topic's producer refused a forward");
		return;
	}
	in->forwarding++;
}

/* An event: applied by its agent's task when that task is here and reads this partition, else forwarded. */
static void ingest_event(struct ingest *in, const rd_kafka_message_t *m, const char *topic, int64_t now)
{
	struct event ev;
	char reason[EVENT_REASON_SIZE];
	uint32_t owner;

	if (!event_parse(m->payload, m->len, now, in->cfg->max_future_ms, &ev, reason, sizeof(reason))) {
		dlq_send(in->dlq, m, event_rejected_type(m->payload, m->len), reason);
		return;
	}
	owner = engine_owner(in->engine, ev.agent_id, strlen(ev.agent_id));
	/* In place only where this partition's offsets are the task's own: input q feeds task q. */
	if (owner == (uint32_t)m->partition && engine_ready(in->engine, owner))
		engine_event(in->engine, owner, &ev, topic, m->partition, m->offset, now);
	else
		ingest_forward(in, m, topic, owner, &ev);
}

/* True when a route-topic message carries a batch rather than a forwarded event. */
static bool ingest_is_batch(const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *h = NULL;
	const void *v;
	size_t len;

	return rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    rd_kafka_header_get_last(h, DELIVER_BATCH_HEADER, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* A route-topic message for task m->partition, which this instance owns and has restored. */
static void ingest_route(struct ingest *in, const rd_kafka_message_t *m, const char *topic, int64_t now)
{
	uint32_t task = (uint32_t)m->partition;
	struct event ev;
	char reason[EVENT_REASON_SIZE];

	if (!engine_ready(in->engine, task)) {
		/* Paused while restoring, so only a message fetched before the pause lands here. */
		log_limited(LOG_ERR, "route", "ingest: %s/%" PRId32 "@%" PRId64 " arrived for a task not restored; "
		    "it is read again after the next rebalance", topic, m->partition, m->offset);
		return;
	}
	if (ingest_is_batch(m)) {
		if (!engine_batch(in->engine, task, m->payload, m->len, topic, m->partition, m->offset, now))
			log_limited(LOG_ERR, "route", "ingest: malformed batch at %s/%" PRId32 "@%" PRId64 "; skipped",
			    topic, m->partition, m->offset);
		return;
	}
	if (!event_parse(m->payload, m->len, now, in->cfg->max_future_ms, &ev, reason, sizeof(reason))) {
		dlq_send(in->dlq, m, event_rejected_type(m->payload, m->len), reason);
		return;
	}
	engine_event(in->engine, task, &ev, topic, m->partition, m->offset, now);
}

/* See ingest.h. */
void ingest_messages(void *arg, rd_kafka_message_t **msgs, size_t count)
{
	struct ingest *in = arg;
	int64_t now = ts_now_ms();

	for (size_t i = 0; i < count; i++) {
		const rd_kafka_message_t *m = msgs[i];
		const char *topic = ingest_topic(in, rd_kafka_topic_name(m->rkt));

		if (topic == NULL || !offsets_begin(in->offsets, topic, m->partition, m->offset)) {
			log_limited(LOG_ERR, "ingest", "ingest: cannot track %s/%" PRId32 "@%" PRId64,
			    rd_kafka_topic_name(m->rkt), m->partition, m->offset);
			continue;
		}
		if (topic == in->cfg->route_topic)
			ingest_route(in, m, topic, now);
		else
			ingest_event(in, m, topic, now);
	}
	ingest_backpressure(in);
}

/* Pauses or resumes the input partitions that feed task (input q feeds task q). */
static void ingest_inputs(struct ingest *in, uint32_t task, bool pause)
{
	for (size_t i = 0; i < in->cfg->topic_count; i++) {
		if (pause)
			consumer_pause_partition(in->consumer, in->cfg->topics[i], (int32_t)task);
		else
			consumer_resume_partition(in->consumer, in->cfg->topics[i], (int32_t)task);
	}
}

/* See ingest.h. */
void ingest_assigned(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct ingest *in = arg;

	for (int i = 0; i < parts->cnt; i++)
		offsets_forget(in->offsets, parts->elems[i].topic, parts->elems[i].partition);
	/* A task's partitions wait for its restore; the engine says when it is ready. */
	for (int i = 0; i < parts->cnt; i++) {
		uint32_t task = (uint32_t)parts->elems[i].partition;

		if (strcmp(parts->elems[i].topic, in->cfg->route_topic) != 0)
			continue;
		consumer_pause_partition(in->consumer, in->cfg->route_topic, (int32_t)task);
		ingest_inputs(in, task, true);
		engine_assign(in->engine, task);
	}
}

/* See ingest.h. */
void ingest_revoking(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct ingest *in = arg;

	for (int i = 0; i < parts->cnt; i++)
		if (strcmp(parts->elems[i].topic, in->cfg->route_topic) == 0)
			engine_revoke(in->engine, (uint32_t)parts->elems[i].partition);
}

/* See ingest.h. */
bool ingest_letting_go(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct ingest *in = arg;

	for (int i = 0; i < parts->cnt; i++)
		if (strcmp(parts->elems[i].topic, in->cfg->route_topic) == 0 &&
		    engine_closing(in->engine, (uint32_t)parts->elems[i].partition))
			return true;
	return false;
}

/* See ingest.h. */
void ingest_revoked(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct ingest *in = arg;

	for (int i = 0; i < parts->cnt; i++) {
		ingest_store(in, parts->elems[i].topic, parts->elems[i].partition);
		offsets_forget(in->offsets, parts->elems[i].topic, parts->elems[i].partition);
	}
}

/* See ingest.h. */
void ingest_dead_lettered(void *arg, const char *topic, int32_t partition, int64_t offset)
{
	ingest_finish(arg, topic, partition, offset);
}

/* See ingest.h. */
void ingest_done(void *arg, const char *topic, int32_t partition, int64_t offset)
{
	struct ingest *in = arg;
	size_t i = in->unstored_n;

	offsets_done(in->offsets, topic, partition, offset);
	/* A commit's offsets come a partition after another: the last one noted is the usual match. */
	while (i > 0 && (in->unstored[i - 1].partition != partition || strcmp(in->unstored[i - 1].topic, topic) != 0))
		i--;
	if (i > 0)
		return;
	if (in->unstored_n == in->unstored_cap) {
		size_t cap = in->unstored_cap ? 2 * in->unstored_cap : 8;
		struct ingest_partition *p = realloc(in->unstored, cap * sizeof(*p));

		if (p == NULL) {
			ingest_store(in, topic, partition); /* out of memory: stored at once, as one */
			return;
		}
		in->unstored = p;
		in->unstored_cap = cap;
	}
	in->unstored[in->unstored_n++] = (struct ingest_partition){topic, partition};
}

/* See ingest.h. */
void ingest_settled(void *arg)
{
	struct ingest *in = arg;

	for (size_t i = 0; i < in->unstored_n; i++)
		ingest_store(in, in->unstored[i].topic, in->unstored[i].partition);
	in->unstored_n = 0;
	if (in->holding)
		ingest_backpressure(in);
}

/* See ingest.h. */
void ingest_task_ready(void *arg, uint32_t task)
{
	struct ingest *in = arg;

	consumer_resume_partition(in->consumer, in->cfg->route_topic, (int32_t)task);
	ingest_inputs(in, task, false);
}

/* See ingest.h. */
void ingest_task_lost(void *arg, uint32_t task)
{
	struct ingest *in = arg;

	/* Another instance owns it now; the rebalance that says so takes these partitions away. */
	consumer_pause_partition(in->consumer, in->cfg->route_topic, (int32_t)task);
	ingest_inputs(in, task, true);
}

/* See ingest.h. */
void ingest_redis_state(struct ingest *in, bool up)
{
	in->redis_down = !up;
	if (up)
		engine_redis_up(in->engine);
	ingest_backpressure(in);
}

/* See ingest.h. */
size_t ingest_forwarding(const struct ingest *in)
{
	return in->forwarding;
}

/* See ingest.h. */
struct ingest *ingest_new(const struct config *cfg, struct metrics *metrics, struct producer *route,
    void (*fatal)(void *arg, const char *reason), void *fatal_arg)
{
	struct ingest *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->cfg = cfg;
	in->metrics = metrics;
	in->route = route;
	in->fatal = fatal;
	in->fatal_arg = fatal_arg;
	if ((in->offsets = offsets_new()) == NULL) {
		free(in);
		return NULL;
	}
	return in;
}

/* See ingest.h. */
void ingest_attach(struct ingest *in, struct consumer *consumer, struct dlq *dlq, struct engine *engine)
{
	in->consumer = consumer;
	in->dlq = dlq;
	in->engine = engine;
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
	offsets_free(in->offsets);
	free(in->unstored);
	free(in);
}
