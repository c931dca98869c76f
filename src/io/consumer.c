/* consumer.c: the Kafka group consumer, driven by the libevent loop. */
#include "consumer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"
#include "timestamp.h"

/* Messages taken per read; the loop regains control between reads. */
#define CONSUMER_BATCH 1000
#define CONSUMER_READS_PER_WAKEUP 4
/*
 * How often a held revoke asks whether its tasks are let go, and how long it holds at most:
 * 30 s, or half of max.poll.interval.ms (the group's rebalance timeout) when that is shorter.
 */
#define CONSUMER_REVOKE_POLL_MS 10
#define CONSUMER_REVOKE_MAX_MS 30000

/* A local queue that the loop drains: the consumer queue or the route topic's own. */
struct consumer_source {
	struct consumer *c;
	rd_kafka_queue_t *queue;
	struct kafka_watch watch;
	bool filled;  /* held at least half a prefetch since it was last found empty */
	int64_t msg_len; /* the size of the last message taken, to tell a queue's size by */
	rd_kafka_topic_partition_list_t *taken; /* the next offset of each partition taken from meanwhile */
};

struct consumer {
	rd_kafka_t *rk;
	struct consumer_source input; /* input partitions, and the group's events */
	struct consumer_source route; /* route partitions (queue NULL without the route): consumer_route_apart */
	const char *route_topic;
	struct kafka_log log;
	struct consumer_handler handler;
	bool paused;       /* partitions paused: an outage */
	bool held;         /* not draining the local queue: back-pressure */
	bool closed;
	bool rebalanced;   /* the assignment changed during the current read (its callback runs inside it) */
	bool joined;       /* an assignment arrived, however small: see consumer_joined() */
	int assigned;
	rd_kafka_topic_partition_list_t *restoring; /* paused one by one, kept through outages */
	rd_kafka_topic_partition_list_t *revoking;  /* revoked, held until their owner let them go */
	int64_t revoke_started_ms;
	int64_t revoke_max_ms;
	struct event *revoke_ev;
	char *stats; /* latest statistics JSON */
	int64_t prefetch_msgs;     /* librdkafka's queued.min.messages */
	int64_t prefetch_bytes;    /* and queued.max.messages.kbytes, in bytes */
	rd_kafka_message_t *msgs[CONSUMER_BATCH];
};

/*
 * Sends the route partitions among parts to a queue of their own, before they are assigned.
 * librdkafka 2.0 stops fetching a partition while the queue its messages end in holds
 * queued.min.messages or queued.max.messages.kbytes (forwarding followed), and its broker
 * thread looks again only when something wakes it: a response, an op, or its 1 s timeout
 * (fetch.queue.backoff.ms, which adds a wake-up for a drained queue, came in 2.1). With one
 * queue for all, a backlog fills it and every partition stops until that timeout, so the
 * consumer brought about one prefetch a second. On a queue of their own the route
 * partitions stay fetchable while the input queue is full: a Fetch for them is always
 * outstanding, and its answer (a batch, or nothing after fetch.wait.max.ms) wakes the
 * broker thread to look at the input partitions again. A forward set by the application
 * survives the fetch start of an assignment; a revoke clears it, so each assignment sets it.
 */
static void consumer_route_apart(struct consumer *c, const rd_kafka_topic_partition_list_t *parts)
{
	for (int i = 0; c->route.queue != NULL && i < parts->cnt; i++) {
		rd_kafka_queue_t *q;

		if (strcmp(parts->elems[i].topic, c->route_topic) != 0)
			continue;
		q = rd_kafka_queue_get_partition(c->rk, parts->elems[i].topic, parts->elems[i].partition);
		if (q == NULL) {
			log_err("kafka: no queue for %s [%d]; it is read with the input", parts->elems[i].topic,
			    (int)parts->elems[i].partition);
			continue;
		}
		rd_kafka_queue_forward(q, c->route.queue);
		rd_kafka_queue_destroy(q);
	}
}

/* Forgets where the loop took messages from a queue. */
static void consumer_forget(struct consumer_source *src)
{
	if (src->taken != NULL && src->taken->cnt > 0) {
		rd_kafka_topic_partition_list_destroy(src->taken);
		src->taken = rd_kafka_topic_partition_list_new(0);
	}
	src->filled = false;
}

/*
 * Whether the group negotiated the cooperative protocol (it is fixed for the consumer's life).
 * librdkafka answers NULL once its group handle has terminated, which a rebalance callback
 * can see during rd_kafka_consumer_close(): a revoke handed over before the close (the loop,
 * paused for the stop, never read it) is only served there, while the close's unsubscribe
 * stops the group waiting for it, so the group unassigns, leaves and terminates on its own
 * thread meanwhile. The commit and unassign of that revoke then just fail (the commit logs it).
 */
static bool consumer_cooperative(const struct consumer *c)
{
	const char *protocol = rd_kafka_rebalance_protocol(c->rk);

	return protocol != NULL && strcmp(protocol, "COOPERATIVE") == 0;
}

/* Ends a revoke begun at started_ms: offsets committed, then the partitions leave the assignment. */
static void consumer_unassign(struct consumer *c, const rd_kafka_topic_partition_list_t *parts, int64_t started_ms)
{
	bool cooperative = consumer_cooperative(c);
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t err;

	c->handler.revoked(c->handler.arg, parts);
	/* A partition that comes back is restored afresh; its owner pauses it again. */
	for (int i = 0; i < parts->cnt; i++)
		rd_kafka_topic_partition_list_del(c->restoring, parts->elems[i].topic, parts->elems[i].partition);
	err = rd_kafka_commit(c->rk, NULL, 0);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		log_warn("kafka: offset commit on revoke: %s; the next owner reads again from the last "
		    "commit, and drops what the checkpoint holds as duplicates", rd_kafka_err2str(err));
	if (cooperative)
		error = rd_kafka_incremental_unassign(c->rk, parts);
	else
		rd_kafka_assign(c->rk, NULL);
	c->assigned = cooperative ? c->assigned - parts->cnt : 0;
	log_notice("kafka: revoked %d partitions (their tasks let go in %lld ms)", parts->cnt,
	    (long long)(ts_now_ms() - started_ms));
	if (error != NULL) {
		log_err("kafka: rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
}

/* Ends the held revoke, if any. */
static void consumer_revoke_finish(struct consumer *c)
{
	rd_kafka_topic_partition_list_t *parts = c->revoking;

	if (parts == NULL)
		return;
	c->revoking = NULL;
	evtimer_del(c->revoke_ev);
	consumer_unassign(c, parts, c->revoke_started_ms);
	rd_kafka_topic_partition_list_destroy(parts);
}

/* The held revoke's poll: it ends once the owner let its tasks go, or at its deadline. */
static void consumer_on_revoke_wait(evutil_socket_t fd, short what, void *arg)
{
	struct consumer *c = arg;
	struct timeval tv = {0, CONSUMER_REVOKE_POLL_MS * 1000};

	(void)fd;
	(void)what;
	if (c->handler.letting_go(c->handler.arg, c->revoking)) {
		if (ts_now_ms() < c->revoke_started_ms + c->revoke_max_ms) {
			evtimer_add(c->revoke_ev, &tv);
			return;
		}
		log_warn("kafka: the revoked tasks still have work out after %lld ms; their partitions are let "
		    "go now, and their next owner may send alerts again that these delivered (at least once)",
		    (long long)c->revoke_max_ms);
	}
	consumer_revoke_finish(c);
}

/*
 * Begins a revoke. Its partitions stop fetching at once (librdkafka pauses the assignment
 * before it hands a revoke over, until the unassign), but leave the assignment only once
 * their tasks finished their last commit and deliveries (consumer_on_revoke_wait): the group
 * waits for this member's unassign before it hands them on (Kafka Streams commits in its
 * revoke callback for the same reason), so the next owner's claim cannot fence the commit
 * that records what this one delivered, and it never sends those alerts again. Partitions
 * already lost, and a consumer closing, are let go at once.
 */
static void consumer_revoke(struct consumer *c, rd_kafka_topic_partition_list_t *parts)
{
	struct timeval now = {0, 0};
	int64_t started_ms = ts_now_ms();

	consumer_revoke_finish(c);
	c->handler.revoking(c->handler.arg, parts);
	if (c->closed || rd_kafka_assignment_lost(c->rk) ||
	    (c->revoking = rd_kafka_topic_partition_list_copy(parts)) == NULL) {
		consumer_unassign(c, parts, started_ms);
		return;
	}
	c->revoke_started_ms = started_ms;
	evtimer_add(c->revoke_ev, &now);
}

/* Applies an assignment change with the protocol the group negotiated. */
static void consumer_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct consumer *c = opaque;
	bool cooperative = consumer_cooperative(c);
	rd_kafka_error_t *error = NULL;

	c->rebalanced = true;
	/* A partition may come back at its committed offset: what was taken before says nothing. */
	consumer_forget(&c->input);
	consumer_forget(&c->route);
	if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		consumer_revoke(c, parts);
		return;
	}
	consumer_route_apart(c, parts);
	if (cooperative)
		error = rd_kafka_incremental_assign(rk, parts);
	else
		rd_kafka_assign(rk, parts);
	c->assigned += parts->cnt;
	/* Partitions that arrive during an outage wait with the others. */
	if (c->paused)
		rd_kafka_pause_partitions(rk, parts);
	/* A member of a group with more members than partitions is given none, and is still in. */
	c->joined = true;
	log_notice("kafka: assigned %d partitions (%s)", parts->cnt, cooperative ? "cooperative" : "eager");
	/* Not while closing (a revoke held into the shutdown let the group assign again): the close revokes them. */
	if (!c->closed)
		c->handler.assigned(c->handler.arg, parts);
	if (error != NULL) {
		log_err("kafka: rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
}

/* librdkafka statistics (every statistics.interval.ms): the latest document is kept for /metrics. */
static int consumer_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct consumer *c = opaque;
	char *copy = malloc(len + 1);

	(void)rk;
	if (copy != NULL) {
		memcpy(copy, json, len);
		copy[len] = '\0';
		free(c->stats);
		c->stats = copy;
	}
	return 0; /* librdkafka frees json */
}

/* Client-level errors; a fatal one stops the daemon gracefully. */
static void consumer_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct consumer *c = opaque;
	char why[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		c->handler.fatal(c->handler.arg, why);
		return;
	}
	log_limited(LOG_WARNING, "kafka-consumer", "kafka consumer: %s: %s",
	    rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/*
 * Wakes librdkafka's fetcher once the loop emptied a queue that had filled. A full queue
 * stops fetching its partitions, and librdkafka 2.0's broker thread looks again only when
 * something wakes it (see consumer_route_apart), which the route partitions' Fetch does
 * only while their own queue is not full too (input not keyed by agent fills both). A seek
 * does wake it ("seek done"). Each partition taken from is sought to the offset after the
 * last message taken: rd_kafka_seek_partitions moves the partition's version at once, so
 * messages of it still queued or in flight are dropped and fetched again from that offset,
 * and nothing is lost or taken twice. The queue is empty, so nothing queued is dropped;
 * a Fetch in flight for those partitions, if any, is fetched again. Partitions paused
 * while their task restores are left alone.
 */
static void consumer_nudge(struct consumer *c, struct consumer_source *src)
{
	rd_kafka_topic_partition_list_t *seek = src->taken;
	rd_kafka_error_t *error;

	src->taken = rd_kafka_topic_partition_list_new(seek->cnt);
	src->filled = false;
	for (int i = 0; i < c->restoring->cnt; i++)
		rd_kafka_topic_partition_list_del(seek, c->restoring->elems[i].topic, c->restoring->elems[i].partition);
	if (seek->cnt > 0 && (error = rd_kafka_seek_partitions(c->rk, seek, 0)) != NULL) {
		log_limited(LOG_WARNING, "kafka-seek", "kafka: seek: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(seek);
}

/* Notes the next offset of a partition taken from src, for consumer_nudge. */
static void consumer_taken(struct consumer_source *src, const rd_kafka_message_t *m)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(src->taken, topic, m->partition);

	if (tp == NULL)
		tp = rd_kafka_topic_partition_list_add(src->taken, topic, m->partition);
	tp->offset = m->offset + 1;
}

/*
 * Hands one read's messages to the owner, after logging the error events among them. When
 * the read emptied its queue, the nudge goes first, so the Fetch it brings about overlaps
 * the work on these messages.
 */
static void consumer_deliver(struct consumer *c, struct consumer_source *src, ssize_t n, bool emptied)
{
	size_t good = 0;

	for (ssize_t i = 0; i < n; i++) {
		rd_kafka_message_t *m = c->msgs[i];

		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			/*
			 * A read holds runs of one partition: note each run's end. Not after a
			 * rebalance within the read: consumer_forget ran before these were noted, and
			 * a partition given back resumes at its committed offset, which a nudge to
			 * past them would skip.
			 */
			if (!c->rebalanced &&
			    (i + 1 == n || c->msgs[i + 1]->rkt != m->rkt || c->msgs[i + 1]->partition != m->partition))
				consumer_taken(src, m);
			c->msgs[good++] = m;
			continue;
		}
		if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			log_limited(LOG_WARNING, "kafka-consume", "kafka: consume: %s", rd_kafka_message_errstr(m));
		rd_kafka_message_destroy(m);
	}
	if (emptied && src->filled && !c->paused && !c->held && !c->closed)
		consumer_nudge(c, src);
	if (good > 0)
		c->handler.messages(c->handler.arg, c->msgs, good);
	for (size_t i = 0; i < good; i++)
		rd_kafka_message_destroy(c->msgs[i]);
}

/* Whether a queue holds half a prefetch or more, by count or (about) by size. */
static bool consumer_filled(const struct consumer *c, const struct consumer_source *src)
{
	int64_t len = (int64_t)rd_kafka_queue_length(src->queue);

	return 2 * len >= c->prefetch_msgs || 2 * len * src->msg_len >= c->prefetch_bytes;
}

/* A local queue became non-empty: take what is there, a bounded amount at a time. */
static void consumer_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct consumer_source *src = arg;
	struct consumer *c = src->c;

	(void)fd;
	(void)what;
	kafka_watch_drain(&src->watch);
	for (int round = 0; round < CONSUMER_READS_PER_WAKEUP; round++) {
		ssize_t n;

		if (c->paused || c->held || c->closed)
			return;
		if (!src->filled)
			src->filled = consumer_filled(c, src);
		c->rebalanced = false;
		n = rd_kafka_consume_batch_queue(src->queue, 0, c->msgs, CONSUMER_BATCH);
		if (n <= 0) {
			/* The last read took the queue's last message: emptied all the same. */
			if (n == 0)
				consumer_deliver(c, src, 0, true);
			return;
		}
		src->msg_len = (int64_t)c->msgs[n - 1]->len;
		consumer_deliver(c, src, n, n < CONSUMER_BATCH);
		if (n < CONSUMER_BATCH)
			return;
	}
	/* The pipe only signals empty -> non-empty, so come back for the rest. */
	kafka_watch_kick(&src->watch);
}

/* Serves both local queues again soon, after a hold or a pause. */
static void consumer_kick(struct consumer *c)
{
	kafka_watch_kick(&c->input.watch);
	if (c->route.queue != NULL)
		kafka_watch_kick(&c->route.watch);
}

/* Starts draining one local queue from the loop. */
static bool consumer_source_start(struct consumer *c, struct consumer_source *src, struct event_base *base)
{
	src->c = c;
	return kafka_watch_start(&src->watch, base, src->queue, consumer_on_readable, src);
}

/* Builds the consumer's configuration. */
static rd_kafka_conf_t *consumer_conf(const struct config *cfg, const char *brokers, struct consumer *c,
    char *err, size_t err_size)
{
	rd_kafka_conf_t *conf = kafka_conf_new(cfg, brokers, err, err_size);

	if (conf == NULL)
		return NULL;
	/*
	 * Offsets are stored by feedbackd only after their effects are in Redis. With the route
	 * partitions apart (consumer_route_apart) and consumer_nudge, librdkafka looks at a full
	 * queue again at most fetch.wait.max.ms later (100 ms here instead of 500) or as soon as
	 * the loop empties it, not a second later, so its prefetch only has to cover that:
	 * 12,500 messages or 2 MB per local queue (librdkafka: 100,000 and 64 MB), plus what one
	 * Fetch brings on top, at most 128 KB per partition (1 MB). Benchmark 1 went from
	 * ~100,000 to ~140,000 events/s and its peak RSS from ~165 to ~125 MiB
	 * (bench/README.md). An rdkafka.* key may say otherwise.
	 */
	/*
	 * range, whatever an rdkafka.* key says: it gives partition q of every subscribed topic
	 * with the same count to the same member, so input partition q is read where route
	 * partition q (task q) lives and its events are applied without a hop. The default
	 * (range,roundrobin) could fall to roundrobin, and cooperative-sticky ignores it.
	 */
	if (!kafka_conf_set(conf, "partition.assignment.strategy", "range", err, err_size) ||
	    !kafka_conf_default(conf, cfg, "fetch.wait.max.ms", "100", err, err_size) ||
	    !kafka_conf_default(conf, cfg, "queued.min.messages", "12500", err, err_size) ||
	    !kafka_conf_default(conf, cfg, "queued.max.messages.kbytes", "2048", err, err_size) ||
	    !kafka_conf_default(conf, cfg, "max.partition.fetch.bytes", "131072", err, err_size) ||
	    !kafka_conf_group(conf, cfg, err, err_size) ||
	    !kafka_conf_set(conf, "enable.auto.offset.store", "false", err, err_size) ||
	    !kafka_conf_set(conf, "auto.offset.reset", "earliest", err, err_size)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_rebalance_cb(conf, consumer_rebalance);
	rd_kafka_conf_set_error_cb(conf, consumer_error);
	/* Consumer lag and broker states for /metrics and /healthz. */
	if (!kafka_conf_default(conf, cfg, "statistics.interval.ms", "5000", err, err_size)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_stats_cb(conf, consumer_stats);
	rd_kafka_conf_set_opaque(conf, c);
	return conf;
}

/* An integer property as librdkafka took it; INT64_MAX when it cannot tell. */
static int64_t consumer_conf_int(rd_kafka_t *rk, const char *name)
{
	char buf[32];
	size_t size = sizeof(buf);
	long long v;

	if (rd_kafka_conf_get(rd_kafka_conf(rk), name, buf, &size) != RD_KAFKA_CONF_OK ||
	    (v = strtoll(buf, NULL, 10)) <= 0)
		return INT64_MAX;
	return v;
}

/* Frees what the consumer holds besides librdkafka's handle. */
static void consumer_discard(struct consumer *c)
{
	if (c->revoke_ev != NULL)
		event_free(c->revoke_ev);
	rd_kafka_topic_partition_list_destroy(c->restoring);
	rd_kafka_topic_partition_list_destroy(c->input.taken);
	rd_kafka_topic_partition_list_destroy(c->route.taken);
	free(c->stats);
	free(c);
}

/* See consumer.h. */
struct consumer *consumer_new(struct event_base *base, const struct config *cfg, const char *brokers,
    bool with_route, const struct consumer_handler *handler, char *err, size_t err_size)
{
	struct consumer *c = calloc(1, sizeof(*c));
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t rerr;

	if (c == NULL)
		return NULL;
	c->handler = *handler;
	c->restoring = rd_kafka_topic_partition_list_new(0);
	c->input.taken = rd_kafka_topic_partition_list_new(0);
	c->route.taken = rd_kafka_topic_partition_list_new(0);
	if ((c->revoke_ev = evtimer_new(base, consumer_on_revoke_wait, c)) == NULL) {
		snprintf(err, err_size, "out of memory");
		consumer_discard(c);
		return NULL;
	}
	conf = consumer_conf(cfg, brokers, c, err, err_size);
	if (conf == NULL) {
		consumer_discard(c);
		return NULL;
	}
	c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, err_size);
	if (c->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		consumer_discard(c);
		return NULL;
	}
	c->prefetch_msgs = consumer_conf_int(c->rk, "queued.min.messages");
	c->revoke_max_ms = consumer_conf_int(c->rk, "max.poll.interval.ms") / 2;
	if (c->revoke_max_ms > CONSUMER_REVOKE_MAX_MS)
		c->revoke_max_ms = CONSUMER_REVOKE_MAX_MS;
	c->prefetch_bytes = consumer_conf_int(c->rk, "queued.max.messages.kbytes");
	if (c->prefetch_bytes < INT64_MAX / 1024)
		c->prefetch_bytes *= 1024;
	if (!kafka_log_start(&c->log, base, c->rk)) {
		snprintf(err, err_size, "cannot watch the consumer's log queue");
		consumer_free(c);
		return NULL;
	}
	rd_kafka_poll_set_consumer(c->rk);
	c->input.queue = rd_kafka_queue_get_consumer(c->rk);
	if (with_route) {
		c->route_topic = cfg->route_topic;
		c->route.queue = rd_kafka_queue_new(c->rk);
	}
	topics = rd_kafka_topic_partition_list_new((int)cfg->topic_count + 1);
	for (size_t i = 0; i < cfg->topic_count; i++)
		rd_kafka_topic_partition_list_add(topics, cfg->topics[i], RD_KAFKA_PARTITION_UA);
	if (with_route)
		rd_kafka_topic_partition_list_add(topics, cfg->route_topic, RD_KAFKA_PARTITION_UA);
	rerr = rd_kafka_subscribe(c->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, err_size, "subscribe: %s", rd_kafka_err2str(rerr));
		consumer_free(c);
		return NULL;
	}
	if (!consumer_source_start(c, &c->input, base) ||
	    (c->route.queue != NULL && !consumer_source_start(c, &c->route, base))) {
		snprintf(err, err_size, "cannot watch the consumer queues");
		consumer_free(c);
		return NULL;
	}
	return c;
}

/* Pauses or resumes every assigned partition; those paused for a restore stay paused. */
static void consumer_set_paused(struct consumer *c, bool paused)
{
	rd_kafka_topic_partition_list_t *parts = NULL;

	c->paused = paused;
	if (rd_kafka_assignment(c->rk, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR && parts != NULL) {
		log_notice("kafka: %s fetching from %d partitions", paused ? "paused" : "resumed", parts->cnt);
		if (!paused) {
			for (int i = 0; i < c->restoring->cnt; i++)
				rd_kafka_topic_partition_list_del(parts, c->restoring->elems[i].topic,
				    c->restoring->elems[i].partition);
		}
		if (paused)
			rd_kafka_pause_partitions(c->rk, parts);
		else
			rd_kafka_resume_partitions(c->rk, parts);
		rd_kafka_topic_partition_list_destroy(parts);
	}
}

/* Pauses or resumes one partition in librdkafka. */
static void consumer_set_partition(struct consumer *c, const char *topic, int32_t partition, bool paused)
{
	rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(one, topic, partition);
	if (paused)
		rd_kafka_pause_partitions(c->rk, one);
	else
		rd_kafka_resume_partitions(c->rk, one);
	rd_kafka_topic_partition_list_destroy(one);
}

/* See consumer.h. */
bool consumer_pause_partition(struct consumer *c, const char *topic, int32_t partition)
{
	if (rd_kafka_topic_partition_list_find(c->restoring, topic, partition) == NULL &&
	    rd_kafka_topic_partition_list_add(c->restoring, topic, partition) == NULL)
		return false;
	/* During an outage it is paused already; the set keeps it so once the outage ends. */
	if (!c->paused)
		consumer_set_partition(c, topic, partition, true);
	return true;
}

/* See consumer.h. */
void consumer_resume_partition(struct consumer *c, const char *topic, int32_t partition)
{
	if (!rd_kafka_topic_partition_list_del(c->restoring, topic, partition))
		return;
	/* During an outage consumer_resume brings it back with the others. */
	if (!c->paused)
		consumer_set_partition(c, topic, partition, false);
}

/* See consumer.h. */
void consumer_hold(struct consumer *c)
{
	c->held = true;
}

/* See consumer.h. */
void consumer_release(struct consumer *c)
{
	if (!c->held)
		return;
	c->held = false;
	if (!c->paused)
		consumer_kick(c);
}

/* See consumer.h. */
void consumer_pause(struct consumer *c)
{
	if (!c->paused)
		consumer_set_paused(c, true);
}

/* See consumer.h. */
void consumer_resume(struct consumer *c)
{
	if (!c->paused)
		return;
	consumer_set_paused(c, false);
	if (!c->held)
		consumer_kick(c);
}

/* See consumer.h. */
bool consumer_paused(const struct consumer *c)
{
	return c->paused;
}

/* See consumer.h. */
const char *consumer_statistics(const struct consumer *c)
{
	return c != NULL ? c->stats : NULL;
}

/* See consumer.h. */
int consumer_assigned(const struct consumer *c)
{
	return c->assigned;
}

/* See consumer.h. */
bool consumer_joined(const struct consumer *c)
{
	return c->joined;
}

/* See consumer.h. */
void consumer_store(struct consumer *c, const char *topic, int32_t partition, int64_t next_offset)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;

	rd_kafka_topic_partition_list_add(list, topic, partition)->offset = next_offset;
	err = rd_kafka_offsets_store(c->rk, list);
	/* A partition revoked meanwhile refuses the store: its new owner re-reads it, and the
	 * offsets high-water mark in Redis keeps that from counting anything twice. */
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_debug("kafka: store %s/%d@%lld: %s", topic, (int)partition, (long long)next_offset,
		    rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(list);
}

/* See consumer.h. */
void consumer_close(struct consumer *c)
{
	rd_kafka_resp_err_t err;

	if (c->closed)
		return;
	/* A revoke still held ends first: rd_kafka_consumer_close revokes what is assigned. */
	consumer_revoke_finish(c);
	c->closed = true;
	kafka_watch_stop(&c->input.watch, c->input.queue);
	if (c->route.queue != NULL)
		kafka_watch_stop(&c->route.watch, c->route.queue);
	err = rd_kafka_consumer_close(c->rk);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("kafka: consumer close: %s", rd_kafka_err2str(err));
}

/* See consumer.h. */
void consumer_free(struct consumer *c)
{
	if (c == NULL)
		return;
	consumer_close(c);
	if (c->input.queue != NULL)
		rd_kafka_queue_destroy(c->input.queue);
	if (c->route.queue != NULL)
		rd_kafka_queue_destroy(c->route.queue);
	kafka_log_stop(&c->log);
	rd_kafka_destroy(c->rk);
	consumer_discard(c);
}
