/* dlq.c: dead letters: rejected messages, kept byte for byte (or cut to fit), with the reason in headers. */
#include "dlq.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "keyslot.h"
#include "log.h"
#include "timestamp.h"

/* Transient failures are retried after 1 s, doubling to at most a minute. */
#define DLQ_RETRY_MIN_MS 1000
#define DLQ_RETRY_MAX_MS 60000
/* How long a delivered letter's position is remembered; re-reads come within minutes. */
#define DLQ_REMEMBER_MS (INT64_C(7) * 86400000)
/* Kafka's default max.message.bytes, assumed until the topic's own is read. */
#define DLQ_DEFAULT_LIMIT 1048588
/* Room kept in the limit for the record batch's framing (61 bytes) and the record's varints. */
#define DLQ_FRAMING 512
/* A letter that cannot keep this much of its message is given up rather than sent hollow. */
#define DLQ_MIN_KEPT 1024

/*
 * How a failed produce is handled. DLQ_PRODUCER_GONE is the producer's own end (fatal
 * idempotence error, shutdown): the letter stays pending, so its offset is never committed
 * and the message is read again after the restart.
 */
enum dlq_failure { DLQ_TRANSIENT, DLQ_TOO_LARGE, DLQ_PERMANENT, DLQ_PRODUCER_GONE };

/* One dead letter, owned here until the broker has it. */
struct dlq_record {
	struct dlq *dlq;
	struct dlq_record *next; /* in the retry list */
	char *topic;
	int32_t partition;
	int64_t offset;
	int type;                /* for metrics_dead_letter(): enum event_type, or -1 */
	char reason[128];
	char position[300];      /* "topic:partition:offset", its member in the Redis record */
	void *key;
	size_t key_len;
	void *payload;           /* NULL for a tombstone */
	size_t len;
	size_t cap;              /* most bytes of payload to send: halved after each size refusal */
	size_t sent;             /* bytes of payload in the last attempt */
	int backoff_ms;
	int64_t due_ms;          /* when a record in the retry list is tried again */
};

struct dlq {
	const struct config *cfg;
	struct producer *producer;
	struct redis *redis;
	struct metrics *metrics;
	char key[300];           /* the Redis sorted set of delivered positions */
	unsigned slot;           /* its cluster slot */
	int64_t limit;           /* the topic's max.message.bytes */
	dlq_done_fn done;
	void *arg;
	struct event *retry_ev;
	struct dlq_record *retry;
	struct dlq_record *parked; /* never finished: the producer is gone (see DLQ_PRODUCER_GONE) */
	size_t pending;
};

/* Copies n bytes of src, or returns NULL for a NULL src. */
static void *dlq_copy(const void *src, size_t n, bool *failed)
{
	void *dst;

	if (src == NULL)
		return NULL;
	dst = malloc(n ? n : 1);
	if (dst == NULL)
		*failed = true;
	else if (n > 0)
		memcpy(dst, src, n);
	return dst;
}

/* Frees a record. */
static void dlq_record_free(struct dlq_record *r)
{
	free(r->topic);
	free(r->key);
	free(r->payload);
	free(r);
}

static void dlq_produce(struct dlq_record *r);

/* Frees a list of records linked by next. */
static void dlq_list_free(struct dlq_record *r)
{
	while (r != NULL) {
		struct dlq_record *next = r->next;

		dlq_record_free(r);
		r = next;
	}
}

/* Which failures are worth another try, and which are the letter's size. */
static enum dlq_failure dlq_failure_of(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__FATAL:
	case RD_KAFKA_RESP_ERR__DESTROY:
		return DLQ_PRODUCER_GONE;
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
		return DLQ_TOO_LARGE;
	case RD_KAFKA_RESP_ERR__QUEUE_FULL:
	case RD_KAFKA_RESP_ERR__FAIL: /* out of memory in producer_send() */
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
	case RD_KAFKA_RESP_ERR__RETRY:
	case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
	case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
	case RD_KAFKA_RESP_ERR__NODE_UPDATE:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
	case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
	case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
	case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
	case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
	case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
	case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
	case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
		return DLQ_TRANSIENT;
	default:
		/* The letter itself, the topic or the rights are wrong: trying again cannot help. */
		return DLQ_PERMANENT;
	}
}

/* Puts a record on the retry list, to be produced again at due_ms. */
static void dlq_retry_at(struct dlq_record *r, int64_t due_ms)
{
	struct dlq *d = r->dlq;
	struct timeval tv = {0, 100000};

	r->due_ms = due_ms;
	r->next = d->retry;
	d->retry = r;
	if (!evtimer_pending(d->retry_ev, NULL))
		evtimer_add(d->retry_ev, &tv);
}

/* The letter is on the DLQ (and recorded, or Redis is away) or given up: its offset may be committed. */
static void dlq_finish(struct dlq_record *r)
{
	struct dlq *d = r->dlq;

	d->pending--;
	d->done(d->arg, r->topic, r->partition, r->offset);
	dlq_record_free(r);
}

/* The topic's limit, read at start and after every size refusal. */
static void dlq_on_limit(void *arg, int64_t bytes, const char *why)
{
	struct dlq *d = arg;

	if (bytes < 0) {
		log_limited(LOG_NOTICE, "dlq-limit", "dlq: cannot read max.message.bytes of %s (%s); assuming %" PRId64
		    " bytes", d->cfg->dlq_topic, why != NULL ? why : "unknown error", d->limit);
		return;
	}
	if (bytes != d->limit)
		log_info("dlq: %s takes records of up to %" PRId64 " bytes (max.message.bytes)", d->cfg->dlq_topic,
		    bytes);
	d->limit = bytes;
}

/* Gives a letter up: logged with what to fix and counted; its offset may then be committed. */
static void dlq_give_up(struct dlq_record *r, const char *why)
{
	struct dlq *d = r->dlq;

	d->metrics->dlq_lost++;
	log_limited(LOG_ERR, "dlq-lost", "dlq: giving up the dead letter of %s (%s): %s; the message stays at "
	    "that position of its topic; check that %s exists, that feedbackd may write to it and its "
	    "max.message.bytes", r->position, r->reason, why, d->cfg->dlq_topic);
	dlq_finish(r);
}

/* Handles a produce that failed, locally or in its delivery report. */
static void dlq_failed(struct dlq_record *r, rd_kafka_resp_err_t err)
{
	struct dlq *d = r->dlq;

	switch (dlq_failure_of(err)) {
	case DLQ_TOO_LARGE:
		/* The limit may have changed since it was read: read it again, and keep at most half. */
		producer_topic_limit(d->producer, d->cfg->dlq_topic, dlq_on_limit, d);
		r->cap = r->sent / 2;
		if (r->cap < DLQ_MIN_KEPT) {
			dlq_give_up(r, rd_kafka_err2str(err));
			return;
		}
		log_limited(LOG_WARNING, "dlq-size", "dlq: %s refused as too large (%zu bytes of it sent): "
		    "sending at most %zu", r->position, r->sent, r->cap);
		dlq_retry_at(r, ts_now_ms() + DLQ_RETRY_MIN_MS);
		return;
	case DLQ_TRANSIENT:
		d->metrics->dlq_failures++;
		r->backoff_ms = r->backoff_ms == 0 ? DLQ_RETRY_MIN_MS : r->backoff_ms * 2;
		if (r->backoff_ms > DLQ_RETRY_MAX_MS)
			r->backoff_ms = DLQ_RETRY_MAX_MS;
		log_limited(LOG_WARNING, "dlq-delivery", "dlq: %s not delivered to %s: %s; retrying in %d s "
		    "(check the brokers: the partition's offsets wait for its dead letters)", r->position,
		    d->cfg->dlq_topic, rd_kafka_err2str(err), r->backoff_ms / 1000);
		dlq_retry_at(r, ts_now_ms() + r->backoff_ms);
		return;
	case DLQ_PRODUCER_GONE:
		log_limited(LOG_WARNING, "dlq-delivery", "dlq: %s not delivered: %s; it is read again at the next "
		    "start", r->position, rd_kafka_err2str(err));
		r->next = d->parked;
		d->parked = r;
		return;
	case DLQ_PERMANENT:
		dlq_give_up(r, rd_kafka_err2str(err));
		return;
	}
}

/* The delivered position was recorded (or could not be: then at-least-once is what remains). */
static void dlq_on_recorded(void *arg, redisReply *reply)
{
	(void)reply;
	dlq_finish(arg);
}

/* Delivery report for one dead letter. */
static void dlq_on_delivery(void *arg, rd_kafka_resp_err_t err)
{
	struct dlq_record *r = arg;
	struct dlq *d = r->dlq;
	char now[24], old[24];

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		dlq_failed(r, err);
		return;
	}
	metrics_dead_letter(d->metrics, r->type);
	if (r->sent < r->len)
		d->metrics->dlq_truncated++;
	snprintf(now, sizeof(now), "%" PRId64, ts_now_ms());
	snprintf(old, sizeof(old), "%" PRId64, ts_now_ms() - DLQ_REMEMBER_MS);
	/* Both replies come in order; the offset is finished only after the record is in. */
	redis_command(d->redis, d->slot, 4, (const char *[]){"ZREMRANGEBYSCORE", d->key, "-inf", old}, NULL, NULL,
	    NULL);
	if (!redis_command(d->redis, d->slot, 4, (const char *[]){"ZADD", d->key, now, r->position}, NULL,
	        dlq_on_recorded, r))
		dlq_finish(r);
}

/* How many bytes of the payload fit the topic's limit beside the key and headers. */
static size_t dlq_room(const struct dlq_record *r, const rd_kafka_headers_t *h)
{
	size_t used = DLQ_FRAMING + r->key_len, room;
	const char *name;
	const void *value;
	size_t size;

	for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
		used += strlen(name) + size + 8;
	room = r->dlq->limit > (int64_t)used ? (size_t)r->dlq->limit - used : 0;
	return room < r->cap ? room : r->cap;
}

/* Adds the headers that say a letter was cut, and how to check the original. */
static void dlq_mark_truncated(rd_kafka_headers_t *h, const struct dlq_record *r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], size[24];

	EVP_Digest(r->payload, r->len, md, &md_len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(size, sizeof(size), "%zu", r->len);
	rd_kafka_header_add(h, "truncated", -1, "true", -1);
	rd_kafka_header_add(h, "original_size", -1, size, -1);
	rd_kafka_header_add(h, "original_sha256", -1, hex, (ssize_t)(2 * md_len));
}

/* Produces a record with its provenance headers, cut to the topic's limit if it must be. */
static void dlq_produce(struct dlq_record *r)
{
	struct dlq *d = r->dlq;
	rd_kafka_headers_t *h = rd_kafka_headers_new(7);
	char partition[16], offset[24];
	rd_kafka_resp_err_t err;

	snprintf(partition, sizeof(partition), "%" PRId32, r->partition);
	snprintf(offset, sizeof(offset), "%" PRId64, r->offset);
	rd_kafka_header_add(h, "error", -1, r->reason, -1);
	rd_kafka_header_add(h, "source_topic", -1, r->topic, -1);
	rd_kafka_header_add(h, "source_partition", -1, partition, -1);
	rd_kafka_header_add(h, "source_offset", -1, offset, -1);
	r->sent = r->len;
	if (r->payload != NULL && r->len > dlq_room(r, h)) {
		/* The marks take room too: measure again with them in place. */
		dlq_mark_truncated(h, r);
		r->sent = dlq_room(r, h);
		if (r->sent < DLQ_MIN_KEPT) {
			rd_kafka_headers_destroy(h);
			dlq_give_up(r, "the dead-letter topic's limit leaves no room for the message");
			return;
		}
	}
	err = producer_send(d->producer, d->cfg->dlq_topic, RD_KAFKA_PARTITION_UA, r->key, r->key_len, r->payload,
	    r->sent, h, dlq_on_delivery, r);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_headers_destroy(h);
		dlq_failed(r, err);
	}
}

/* The answer to "was this position dead-lettered before?" */
static void dlq_on_checked(void *arg, redisReply *reply)
{
	struct dlq_record *r = arg;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
		log_info("dlq: %s was dead-lettered before (read again after a rebalance); not sent twice",
		    r->position);
		dlq_finish(r);
		return;
	}
	dlq_produce(r);
}

/* Retry timer: produce the records that are due again; the rest wait for the next tick. */
static void dlq_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct dlq *d = arg;
	struct dlq_record *r = d->retry, *due = NULL;
	struct timeval tv = {0, 100000};
	int64_t now = ts_now_ms();

	(void)fd;
	(void)what;
	d->retry = NULL;
	while (r != NULL) {
		struct dlq_record *next = r->next;

		if (r->due_ms <= now) {
			r->next = due;
			due = r;
		} else {
			r->next = d->retry;
			d->retry = r;
		}
		r = next;
	}
	if (d->retry != NULL)
		evtimer_add(d->retry_ev, &tv);
	while (due != NULL) {
		struct dlq_record *next = due->next;

		dlq_produce(due);
		due = next;
	}
}

/* See dlq.h. */
struct dlq *dlq_new(struct event_base *base, const struct config *cfg, struct producer *producer,
    struct redis *redis, struct metrics *metrics, dlq_done_fn done, void *arg)
{
	struct dlq *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->producer = producer;
	d->redis = redis;
	d->metrics = metrics;
	snprintf(d->key, sizeof(d->key), "%sdlq:%s", cfg->prefix, cfg->group);
	d->slot = keyslot(d->key, strlen(d->key));
	d->done = done;
	d->arg = arg;
	d->limit = DLQ_DEFAULT_LIMIT;
	d->retry_ev = evtimer_new(base, dlq_on_retry, d);
	producer_topic_limit(producer, cfg->dlq_topic, dlq_on_limit, d);
	return d;
}

/* See dlq.h. */
void dlq_send(struct dlq *d, const rd_kafka_message_t *msg, int type, const char *reason)
{
	struct dlq_record *r = calloc(1, sizeof(*r));
	const char *topic = rd_kafka_topic_name(msg->rkt);

	bool failed = false;

	if (r != NULL) {
		r->topic = strdup(topic);
		r->payload = dlq_copy(msg->payload, msg->len, &failed);
		r->key = dlq_copy(msg->key, msg->key_len, &failed);
	}
	if (r == NULL || r->topic == NULL || failed) {
		/* Without memory the offset is never finished, so it is re-read after a restart. */
		log_err("dlq: out of memory for %s/%" PRId32 "@%" PRId64, topic, msg->partition, msg->offset);
		if (r != NULL)
			dlq_record_free(r);
		return;
	}
	r->dlq = d;
	r->partition = msg->partition;
	r->offset = msg->offset;
	r->type = type;
	r->key_len = msg->key != NULL ? msg->key_len : 0;
	r->len = msg->payload != NULL ? msg->len : 0;
	r->cap = SIZE_MAX;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	snprintf(r->position, sizeof(r->position), "%s:%" PRId32 ":%" PRId64, topic, msg->partition, msg->offset);
	d->pending++;
	log_limited(LOG_WARNING, "dlq", "rejected %s/%" PRId32 "@%" PRId64 ": %s", topic, msg->partition, msg->offset,
	    reason);
	/* Without Redis there is nothing to ask: send (at least once rather than not at all). */
	if (!redis_command(d->redis, d->slot, 3, (const char *[]){"ZSCORE", d->key, r->position}, NULL, dlq_on_checked, r))
		dlq_produce(r);
}

/* See dlq.h. */
size_t dlq_pending(const struct dlq *d)
{
	return d->pending;
}

/* See dlq.h. */
void dlq_free(struct dlq *d)
{
	if (d == NULL)
		return;
	dlq_list_free(d->retry);
	dlq_list_free(d->parked);
	event_free(d->retry_ev);
	free(d);
}
