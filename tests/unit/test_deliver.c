/*
 * test_deliver.c: the outbox deliverer's legs and retries. The producer and the view are
 * its I/O edges; they are replaced with -Wl,--wrap mocks that record each call and let the
 * test answer it, so every delivery report and Redis answer is decided here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "deliver.h"

/* What the mocks saw, and the answers they still owe. */
static struct {
	int kafka_sends, view_alerts;
	producer_done_fn kafka_fn;        /* the last send's */
	void *kafka_arg;
	void *kafka_args[8];              /* every send's, in order */
	view_done_fn view_fn;             /* the last flush's */
	void *view_arg;
	void *view_args[8];
	int view_flushes;
	uint64_t done[8];
	int done_n;
} seen;

/* A dummy flush handle: the mocks never look inside it. */
static int dummy_flush;

/* Mock: queues the message and keeps its report for the test to give. */
rd_kafka_resp_err_t __wrap_producer_send(struct producer *p, const char *topic, int32_t partition,
    const void *key, size_t key_len, const void *value, size_t value_len, rd_kafka_headers_t *headers,
    producer_done_fn done, void *arg);
rd_kafka_resp_err_t __wrap_producer_send(struct producer *p, const char *topic, int32_t partition,
    const void *key, size_t key_len, const void *value, size_t value_len, rd_kafka_headers_t *headers,
    producer_done_fn done, void *arg)
{
	(void)p, (void)partition, (void)key, (void)key_len, (void)value, (void)value_len, (void)headers;
	assert_string_equal(topic, "alerts.t");
	assert_true(seen.kafka_sends < 8);
	seen.kafka_args[seen.kafka_sends++] = arg;
	seen.kafka_fn = done;
	seen.kafka_arg = arg;
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* Mock: a flush handle. */
struct view_flush *__wrap_view_flush_begin(struct view *v);
struct view_flush *__wrap_view_flush_begin(struct view *v)
{
	(void)v;
	return (struct view_flush *)&dummy_flush;
}

/* Mock: counts the alert's Redis writes. */
void __wrap_view_alert(struct view_flush *f, const char *id, const char *agent, const char *team, const char *field,
    bool firing, const char *json, int64_t now_ms);
void __wrap_view_alert(struct view_flush *f, const char *id, const char *agent, const char *team, const char *field,
    bool firing, const char *json, int64_t now_ms)
{
	(void)f, (void)id, (void)field, (void)json, (void)now_ms;
	assert_string_equal(agent, "a17");
	assert_string_equal(team, "");
	assert_true(firing);
	seen.view_alerts++;
}

/* Mock: keeps the flush's answer for the test to give. */
void __wrap_view_flush_end(struct view_flush *f, view_done_fn fn, void *arg);
void __wrap_view_flush_end(struct view_flush *f, view_done_fn fn, void *arg)
{
	(void)f;
	assert_true(seen.view_flushes < 8);
	seen.view_args[seen.view_flushes++] = arg;
	seen.view_fn = fn;
	seen.view_arg = arg;
}

/* The deliverer's done callback: records the sequence. */
static void on_done(void *arg, uint64_t seq)
{
	(void)arg;
	seen.done[seen.done_n++] = seq;
}

/* Accepts a flush's reports: the test does not checkpoint. */
static bool sink_added(void *arg, const struct outbox_entry *e, const char *blob, size_t len)
{
	(void)arg, (void)e, (void)blob, (void)len;
	return true;
}

/* See sink_added. */
static bool sink_removed(void *arg, uint64_t seq)
{
	(void)arg, (void)seq;
	return true;
}

/* A breach alert as the task puts it in its outbox. */
static const char breach_facts[] =
    "{\"rule\":\"reply_sla_breach\",\"state\":\"firing\",\"agent\":\"a17\",\"ticket\":\"T-9\","
    "\"since\":1795392000000,\"at\":1795392003250,\"start\":1795305600000,\"due\":1795392000000,"
    "\"target\":86400000,\"severity\":\"high\",\"category\":\"billing\",\"late_ms\":3250}";

/* One deliverer over an outbox holding one committed alert. */
struct fixture {
	struct event_base *base;
	struct config cfg;
	struct metrics metrics;
	struct outbox ob;
	struct deliver *d;
};

/* Builds the fixture with n alerts committed (entries 1..n) and hands them out. */
static void fixture_start_n(struct fixture *x, int n)
{
	const struct outbox_sink sink = {sink_added, sink_removed, NULL};

	memset(&seen, 0, sizeof(seen));
	memset(x, 0, sizeof(*x));
	assert_non_null(x->base = event_base_new());
	x->cfg.alerts_topic = "alerts.t";
	x->cfg.route_topic = "route.t";
	outbox_init(&x->ob);
	for (int i = 0; i < n; i++)
		assert_true(outbox_add(&x->ob, OUTBOX_ALERT, 0, strdup(breach_facts), strlen(breach_facts)));
	assert_true(outbox_flush(&x->ob, &sink));
	outbox_committed(&x->ob);
	x->d = deliver_new(x->base, &x->cfg, &x->metrics, (struct view *)&dummy_flush,
	    (struct producer *)&dummy_flush, (struct producer *)&dummy_flush, on_done, NULL);
	assert_non_null(x->d);
	deliver_attach(x->d, &x->ob);
	deliver_drive(x->d);
}

/* Builds the fixture with one alert and hands it out. */
static void fixture_start(struct fixture *x)
{
	fixture_start_n(x, 1);
}

/* Frees the fixture. */
static void fixture_stop(struct fixture *x)
{
	deliver_free(x->d);
	outbox_free(&x->ob);
	event_base_free(x->base);
}

/* Runs the loop until the retry timer (1 s) has fired. */
static void run_retry(struct fixture *x)
{
	struct timeval tv = {1, 300000};

	event_base_loopexit(x->base, &tv);
	event_base_dispatch(x->base);
}

/* Both legs confirmed at once: delivered, one Kafka message, nothing retried. */
static void test_alert_delivered(void **state)
{
	struct fixture x;

	(void)state;
	fixture_start(&x);
	assert_int_equal(seen.kafka_sends, 1);
	assert_int_equal(seen.view_alerts, 1);
	seen.kafka_fn(seen.kafka_arg, RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(seen.done_n, 0);
	seen.view_fn(seen.view_arg, true);
	assert_int_equal(seen.done_n, 1);
	assert_int_equal(seen.done[0], 1);
	assert_int_equal(x.metrics.alerts_published, 1);
	assert_true(deliver_idle(x.d));
	fixture_stop(&x);
}

/*
 * Redis fails while Kafka took the alert: the retry writes Redis again but does not send
 * the alert to Kafka a second time (an outage must not repeat it there every retry).
 */
static void test_redis_retry_keeps_kafka_leg(void **state)
{
	struct fixture x;

	(void)state;
	fixture_start(&x);
	seen.kafka_fn(seen.kafka_arg, RD_KAFKA_RESP_ERR_NO_ERROR);
	seen.view_fn(seen.view_arg, false);
	assert_int_equal(seen.done_n, 0);
	run_retry(&x);
	assert_int_equal(seen.view_alerts, 2);
	assert_int_equal(seen.kafka_sends, 1);
	seen.view_fn(seen.view_arg, false);
	run_retry(&x);
	assert_int_equal(seen.view_alerts, 3);
	assert_int_equal(seen.kafka_sends, 1);
	seen.view_fn(seen.view_arg, true);
	assert_int_equal(seen.done_n, 1);
	assert_int_equal(seen.done[0], 1);
	assert_int_equal(x.metrics.alerts_published, 1);
	fixture_stop(&x);
}

/* Kafka fails: both legs go again (Redis drops its own repeat by the alert's identity). */
static void test_kafka_retry_sends_again(void **state)
{
	struct fixture x;

	(void)state;
	fixture_start(&x);
	seen.view_fn(seen.view_arg, true);
	seen.kafka_fn(seen.kafka_arg, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
	assert_int_equal(seen.done_n, 0);
	run_retry(&x);
	assert_int_equal(seen.kafka_sends, 2);
	assert_int_equal(seen.view_alerts, 2);
	seen.kafka_fn(seen.kafka_arg, RD_KAFKA_RESP_ERR_NO_ERROR);
	seen.view_fn(seen.view_arg, true);
	assert_int_equal(seen.done_n, 1);
	assert_int_equal(x.metrics.alerts_published, 2);
	fixture_stop(&x);
}

/*
 * Entry 1 fails on Kafka while entry 2's message still waits for its report (the broker is
 * away): the retry sends entry 1 again but not entry 2, which may yet land. Entry 2 goes
 * again only when its own report fails.
 */
static void test_retry_skips_entries_out(void **state)
{
	struct fixture x;

	(void)state;
	fixture_start_n(&x, 2);
	assert_int_equal(seen.kafka_sends, 2);
	seen.view_fn(seen.view_args[0], true);
	seen.view_fn(seen.view_args[1], true);
	seen.kafka_fn(seen.kafka_args[0], RD_KAFKA_RESP_ERR__TRANSPORT);
	run_retry(&x);
	assert_int_equal(seen.kafka_sends, 3);   /* entry 1 only */
	assert_int_equal(seen.view_alerts, 3);
	assert_false(deliver_idle(x.d));
	seen.kafka_fn(seen.kafka_args[2], RD_KAFKA_RESP_ERR_NO_ERROR);
	seen.view_fn(seen.view_args[2], true);
	assert_int_equal(seen.done_n, 1);
	assert_int_equal(seen.done[0], 1);
	/* entry 2's first message fails after all: now it goes again, once */
	seen.kafka_fn(seen.kafka_args[1], RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
	run_retry(&x);
	assert_int_equal(seen.kafka_sends, 4);
	seen.kafka_fn(seen.kafka_args[3], RD_KAFKA_RESP_ERR_NO_ERROR);
	seen.view_fn(seen.view_args[3], true);
	assert_int_equal(seen.done_n, 2);
	assert_int_equal(seen.done[1], 2);
	assert_true(deliver_idle(x.d));
	fixture_stop(&x);
}

/* Runs the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_delivered),
		cmocka_unit_test(test_redis_retry_keeps_kafka_leg),
		cmocka_unit_test(test_kafka_retry_sends_again),
		cmocka_unit_test(test_retry_skips_entries_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
