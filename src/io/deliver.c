/* deliver.c: sends a task's committed outbox: route batches to other tasks, alerts to Redis and Kafka. */
#include "deliver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "timestamp.h"

/* Waits before entries that failed are sent again. */
#define DELIVER_RETRY_MS 1000
/* Room for an alert message's identity: "alert_id:state:at". */
#define DELIVER_ID_SIZE 64

/* One entry in flight; it is delivered when every place it goes has confirmed. */
struct deliver_item {
	struct deliver *d;
	uint64_t seq;
	int waiting;  /* confirmations still to come */
	bool failed;
	bool alert;   /* an alert: its Kafka leg is remembered once confirmed */
};

/* A set of outbox sequences, ascending. */
struct deliver_seqs {
	uint64_t *v;
	size_t n, cap;
};

struct deliver {
	const struct config *cfg;
	struct metrics *metrics;
	struct view *view;
	struct producer *route;
	struct producer *alerts;
	deliver_done_fn done;
	void *arg;
	struct outbox *outbox;
	struct event *retry_ev;
	uint64_t sent_upto;  /* every entry up to this sequence was handed out */
	/*
	 * Alerts whose Kafka leg is confirmed while another leg (Redis) is not: a retry sends
	 * only what is missing, so an outage of Redis does not repeat the alert on Kafka every
	 * retry. An entry leaves when its alert is delivered everywhere.
	 */
	struct deliver_seqs on_kafka;
	/*
	 * Entries out now. A retry skips them: one still waiting for its report (the broker is
	 * away, say) is sent again only if that report fails, never while it may still land.
	 * Its count is the number of items in flight.
	 */
	struct deliver_seqs out;
	bool dead;           /* freed by its owner while items were out */
};

/* Frees the deliverer itself. */
static void deliver_release(struct deliver *d)
{
	if (d->retry_ev != NULL)
		event_free(d->retry_ev);
	free(d->on_kafka.v);
	free(d->out.v);
	free(d);
}

/* Where seq is in s, or would go. */
static size_t deliver_seqs_find(const struct deliver_seqs *s, uint64_t seq)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* True when seq is in s. */
static bool deliver_seqs_has(const struct deliver_seqs *s, uint64_t seq)
{
	size_t i = deliver_seqs_find(s, seq);

	return i < s->n && s->v[i] == seq;
}

/* Adds seq to s; false when out of memory. */
static bool deliver_seqs_add(struct deliver_seqs *s, uint64_t seq)
{
	size_t i = deliver_seqs_find(s, seq);

	if (i < s->n && s->v[i] == seq)
		return true;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return false;
		s->v = v;
		s->cap = cap;
	}
	memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(*s->v));
	s->v[i] = seq;
	s->n++;
	return true;
}

/* Removes seq from s. */
static void deliver_seqs_del(struct deliver_seqs *s, uint64_t seq)
{
	size_t i = deliver_seqs_find(s, seq);

	if (i < s->n && s->v[i] == seq) {
		memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof(*s->v));
		s->n--;
	}
}

/* One confirmation (or failure) of an item. */
static void deliver_confirm(struct deliver_item *it, bool ok)
{
	struct deliver *d = it->d;
	struct timeval tv = {DELIVER_RETRY_MS / 1000, 0};

	if (!ok)
		it->failed = true;
	if (--it->waiting > 0)
		return;
	deliver_seqs_del(&d->out, it->seq);
	if (d->dead) {
		if (d->out.n == 0)
			deliver_release(d);
	} else if (it->failed) {
		/* From the failed one on, everything is sent again; receivers drop what they had. */
		if (it->seq - 1 < d->sent_upto)
			d->sent_upto = it->seq - 1;
		evtimer_add(d->retry_ev, &tv);
	} else {
		if (it->alert)
			deliver_seqs_del(&d->on_kafka, it->seq);
		d->done(d->arg, it->seq);
	}
	free(it);
}

/* Kafka delivery report of a route batch or an alert. */
static void deliver_on_kafka(void *arg, rd_kafka_resp_err_t err)
{
	struct deliver_item *it = arg;

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_limited(LOG_WARNING, "deliver", "kafka: outbox entry %" PRIu64 " not delivered: %s; "
		    "sending it again", it->seq, rd_kafka_err2str(err));
	else if (it->alert && !it->d->dead)
		deliver_seqs_add(&it->d->on_kafka, it->seq); /* out of memory: it may be sent again */
	deliver_confirm(it, err == RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* The view writes of an alert were answered. */
static void deliver_on_view(void *arg, bool ok)
{
	deliver_confirm(arg, ok);
}

/* Sends a route batch to the task it is for. */
static bool deliver_batch(struct deliver *d, struct deliver_item *it, const struct outbox_entry *o)
{
	rd_kafka_headers_t *h = rd_kafka_headers_new(1);
	rd_kafka_resp_err_t err;

	rd_kafka_header_add(h, DELIVER_BATCH_HEADER, -1, "1", 1);
	err = producer_send(d->route, d->cfg->route_topic, (int32_t)o->dest, NULL, 0, o->data, o->len, h,
	    deliver_on_kafka, it);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_headers_destroy(h);
		log_limited(LOG_WARNING, "deliver", "kafka: produce to %s: %s; retrying", d->cfg->route_topic,
		    rd_kafka_err2str(err));
		return false;
	}
	it->waiting++;
	return true;
}

/* The Kafka leg of an alert: its message on the alerts topic. */
static void deliver_alert_kafka(struct deliver *d, struct deliver_item *it, const struct alert_facts *f,
    const char *json)
{
	rd_kafka_resp_err_t err;

	/* Keyed by whose alert it is: an agent's, or a team's own. */
	const char *key = f->agent[0] != '\0' ? f->agent : f->team;

	err = producer_send(d->alerts, d->cfg->alerts_topic, -1, key, strlen(key), json, strlen(json),
	    NULL, deliver_on_kafka, it);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_limited(LOG_WARNING, "kafka-produce", "kafka: produce to %s: %s; retrying", d->cfg->alerts_topic,
		    rd_kafka_err2str(err));
		d->metrics->alerts_failed++;
		it->failed = true;
		return;
	}
	it->waiting++;
	d->metrics->alerts_published++;
	metrics_alert(d->metrics, f->rule, f->state);
	log_info("alert %s %s %s=%s%s%s", f->rule, f->state, f->agent[0] != '\0' ? "agent" : "team", key,
	    f->ticket[0] ? " ticket=" : "", f->ticket);
}

/* Publishes an alert: the stream and the agent's (or team's) alerts hash, and the alerts topic. */
static bool deliver_alert(struct deliver *d, struct deliver_item *it, const struct outbox_entry *o)
{
	struct alert_facts f;
	char id[DELIVER_ID_SIZE], aid[ALERT_ID_SIZE], field[2 * EVENT_ID_MAX + 40];
	struct view_flush *vf;
	char *json;
	bool firing;

	if (!alert_facts_parse(o->data, o->len, &f)) {
		log_limited(LOG_ERR, "deliver", "outbox entry %" PRIu64 " is not an alert; dropped", o->seq);
		return true; /* no leg: done when the caller lets it go */
	}
	if ((json = alert_render(&f)) == NULL || (vf = view_flush_begin(d->view)) == NULL) {
		free(json);
		return false;
	}
	firing = strcmp(f.state, "firing") == 0;
	alert_id(&f, aid);
	snprintf(id, sizeof(id), "%s:%s:%" PRId64, aid, f.state, f.at);
	alert_field(&f, field, sizeof(field));
	view_alert(vf, id, f.agent, f.team, field, firing, json, ts_now_ms());
	it->alert = true;
	/* A retry whose Kafka leg was confirmed before sends only the Redis leg again. */
	if (!deliver_seqs_has(&d->on_kafka, o->seq))
		deliver_alert_kafka(d, it, &f, json);
	free(json);
	it->waiting++; /* the view leg, which may answer before view_flush_end returns */
	view_flush_end(vf, deliver_on_view, it);
	return true;
}

/* See deliver.h. */
void deliver_drive(struct deliver *d)
{
	const struct outbox_entry *o;

	if (d->outbox == NULL || evtimer_pending(d->retry_ev, NULL))
		return;
	/* By number, not position: a delivery confirmed at once removes its entry from the outbox. */
	while ((o = outbox_after(d->outbox, d->sent_upto)) != NULL) {
		struct deliver_item *it;
		bool ok;

		if (deliver_seqs_has(&d->out, o->seq)) {
			d->sent_upto = o->seq;
			continue;
		}
		if ((it = calloc(1, sizeof(*it))) == NULL)
			break;
		if (!deliver_seqs_add(&d->out, o->seq)) {
			free(it);
			break;
		}
		it->d = d;
		it->seq = o->seq;
		/* One hold of our own until the legs are out, so none can finish the item under us. */
		it->waiting = 1;
		d->sent_upto = o->seq;
		ok = o->kind == OUTBOX_BATCH ? deliver_batch(d, it, o) : deliver_alert(d, it, o);
		if (!ok)
			it->failed = true;
		deliver_confirm(it, true);
		if (!ok || evtimer_pending(d->retry_ev, NULL))
			return;
	}
}

/* The retry timer. */
static void deliver_on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	deliver_drive(arg);
}

/* See deliver.h. */
struct deliver *deliver_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    struct view *view, struct producer *route, struct producer *alerts, deliver_done_fn done, void *arg)
{
	struct deliver *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->metrics = metrics;
	d->view = view;
	d->route = route;
	d->alerts = alerts;
	d->done = done;
	d->arg = arg;
	if ((d->retry_ev = evtimer_new(base, deliver_on_retry, d)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

/* See deliver.h. */
void deliver_attach(struct deliver *d, struct outbox *o)
{
	d->outbox = o;
	d->sent_upto = 0;
	d->on_kafka.n = 0;
}

/* See deliver.h. */
bool deliver_idle(const struct deliver *d)
{
	return d->out.n == 0;
}

/* See deliver.h. */
void deliver_free(struct deliver *d)
{
	if (d == NULL)
		return;
	evtimer_del(d->retry_ev);
	d->outbox = NULL;
	if (d->out.n > 0)
		d->dead = true;
	else
		deliver_release(d);
}
