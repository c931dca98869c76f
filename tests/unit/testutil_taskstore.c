/* testutil_taskstore.c: the fixture the task store test drivers share (see testutil_taskstore.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <cmocka.h>

#include "testutil_taskstore.h"

struct test_conn test_plain;
struct test_got test_got;

/* See testutil_taskstore.h. */
int64_t test_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The connection's state changes. */
static void on_state(void *arg, bool up)
{
	((struct test_conn *)arg)->up = up;
}

/* See testutil_taskstore.h. */
void test_run_until(struct test_conn *c, bool want_up)
{
	int64_t deadline = test_now_ms() + 30000;

	while (want_up ? !c->up : !test_got.answered) {
		if (test_now_ms() > deadline)
			fail_msg("no answer within 30 s");
		event_base_loop(c->base, EVLOOP_ONCE);
	}
}

/* See testutil_taskstore.h. */
int test_conn_open(struct test_conn *c, bool cluster)
{
	memset(c, 0, sizeof(*c));
	if (!redisserver_start(&c->srv, cluster))
		return -1;
	c->cfg.redis_host = "127.0.0.1";
	c->cfg.redis_port = c->srv.port;
	c->cfg.prefix = "fb:";
	c->cfg.redis_timeout_ms = 500; /* the retry test loses a reply on purpose */
	c->base = event_base_new();
	c->redis = c->base != NULL ? redis_new(c->base, &c->cfg, &c->metrics, on_state, c) : NULL;
	if (c->redis == NULL)
		return -1;
	test_run_until(c, true);
	return 0;
}

/* See testutil_taskstore.h. */
int test_conn_close(struct test_conn *c)
{
	redis_free(c->redis);
	if (c->base != NULL)
		event_base_free(c->base);
	return redisserver_stop(&c->srv) ? 0 : -1;
}

/* See testutil_taskstore.h. */
int test_setup_plain(void **state)
{
	(void)state;
	return test_conn_open(&test_plain, false);
}

/* See testutil_taskstore.h. */
int test_teardown_plain(void **state)
{
	(void)state;
	return test_conn_close(&test_plain);
}


/* Claim answers. */
static void on_claim(void *arg, enum taskstore_result res, uint64_t gen)
{
	(void)arg;
	test_got.answered = true;
	test_got.res = res;
	test_got.gen = gen;
}

/* See testutil_taskstore.h. */
void test_on_commit(void *arg, enum taskstore_result res)
{
	(void)arg;
	test_got.answered = true;
	test_got.res = res;
}

/* See testutil_taskstore.h. */
void test_on_meta(void *arg, uint64_t gen, uint64_t seq, const void *pos, size_t pos_len)
{
	(void)arg;
	test_got.metas++;
	test_got.gen = gen;
	test_got.seq = seq;
	test_got.pos_len = pos != NULL ? (ssize_t)pos_len : -1;
	assert_true(pos_len <= sizeof(test_got.pos));
	if (pos != NULL)
		memcpy(test_got.pos, pos, pos_len);
}

/* A restore's entry, kept as "kind:id=blob" (blobs here are printable or \0, shown as '~'). */
static void on_entry(void *arg, enum taskstore_kind kind, const char *id, size_t id_len, const void *blob,
    size_t blob_len)
{
	char *e = malloc(id_len + blob_len + 16);
	size_t n;

	(void)arg;
	assert_non_null(e);
	assert_true(test_got.n < sizeof(test_got.entries) / sizeof(test_got.entries[0]));
	n = (size_t)sprintf(e, "%d:%.*s=", (int)kind, (int)id_len, id);
	for (size_t i = 0; i < blob_len; i++)
		e[n++] = ((const char *)blob)[i] != '\0' ? ((const char *)blob)[i] : '~';
	e[n] = '\0';
	test_got.entries[test_got.n++] = e;
}

/* See testutil_taskstore.h. */
void test_on_dedupe(void *arg, const unsigned char *records, size_t n)
{
	(void)arg;
	assert_true(test_got.dd_n + n <= sizeof(test_got.dd) / TASKSTORE_DEDUPE_SIZE);
	memcpy(test_got.dd + test_got.dd_n * TASKSTORE_DEDUPE_SIZE, records, n * TASKSTORE_DEDUPE_SIZE);
	test_got.dd_n += n;
}

/* See testutil_taskstore.h. */
void test_on_done(void *arg, enum taskstore_result res)
{
	(void)arg;
	test_got.answered = true;
	test_got.res = res;
}

static const struct taskstore_restore_fns collect = {test_on_meta, on_entry, test_on_dedupe, test_on_done};

/* See testutil_taskstore.h. */
void test_got_reset(void)
{
	for (size_t i = 0; i < test_got.n; i++)
		free(test_got.entries[i]);
	memset(&test_got, 0, sizeof(test_got));
}

/* See testutil_taskstore.h. */
int test_flush(void **state)
{
	redisReply *r = redisserver_command(&test_plain.srv, "FLUSHALL");

	(void)state;
	freeReplyObject(r);
	test_got_reset();
	return r != NULL ? 0 : -1;
}

/* See testutil_taskstore.h. */
enum taskstore_result test_claim(struct test_conn *c, struct taskstore *ts)
{
	test_got_reset();
	assert_true(taskstore_claim(ts, on_claim, NULL));
	assert_true(taskstore_busy(ts));
	test_run_until(c, false);
	return test_got.res;
}

/* See testutil_taskstore.h. */
enum taskstore_result test_restore(struct test_conn *c, struct taskstore *ts, int64_t now)
{
	test_got_reset();
	assert_true(taskstore_restore(ts, now, TEST_HORIZON_MS, &collect, NULL));
	test_run_until(c, false);
	return test_got.res;
}

/* See testutil_taskstore.h. */
enum taskstore_result test_commit(struct test_conn *c, struct taskstore *ts, struct taskstore_changes *cs)
{
	test_got_reset();
	assert_true(taskstore_commit(ts, cs, test_on_commit, NULL));
	assert_false(taskstore_commit(ts, cs, test_on_commit, NULL)); /* one call at a time */
	test_run_until(c, false);
	return test_got.res;
}

/* Orders strings for qsort. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Orders dedupe records for qsort. */
static int cmp_record(const void *a, const void *b)
{
	return memcmp(a, b, TASKSTORE_DEDUPE_SIZE);
}

/* See testutil_taskstore.h. */
void test_check_entries(const char *const *want, size_t n)
{
	qsort(test_got.entries, test_got.n, sizeof(test_got.entries[0]), cmp_str);
	for (size_t i = 0; i < test_got.n && i < n; i++)
		assert_string_equal(test_got.entries[i], want[i]);
	assert_int_equal(test_got.n, n);
}

/* See testutil_taskstore.h. */
void test_check_records(unsigned char (*want)[TASKSTORE_DEDUPE_SIZE], size_t n)
{
	qsort(test_got.dd, test_got.dd_n, TASKSTORE_DEDUPE_SIZE, cmp_record);
	qsort(want, n, TASKSTORE_DEDUPE_SIZE, cmp_record);
	assert_int_equal(test_got.dd_n, n);
	assert_memory_equal(test_got.dd, want, n * TASKSTORE_DEDUPE_SIZE);
}

/* See testutil_taskstore.h. */
const unsigned char *test_record(unsigned char (*buf)[TASKSTORE_DEDUPE_SIZE], unsigned char b)
{
	memset(*buf, b, TASKSTORE_DEDUPE_SIZE);
	return *buf;
}

/* See testutil_taskstore.h. */
void test_put(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id, const char *blob)
{
	assert_true(taskstore_put(cs, kind, id, strlen(id), blob, strlen(blob)));
}

/* See testutil_taskstore.h. */
void test_del(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id)
{
	assert_true(taskstore_del(cs, kind, id, strlen(id)));
}

/* See testutil_taskstore.h. */
long long test_meta_field(struct test_conn *c, const char *key, const char *field)
{
	redisReply *r = redisserver_command(&c->srv, "HGET %s %s", key, field);
	long long v = r != NULL && r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;

	freeReplyObject(r);
	return v;
}

/* See testutil_taskstore.h. */
void test_own(struct test_conn *c, struct taskstore *ts)
{
	assert_int_equal(test_claim(c, ts), TASKSTORE_OK);
	assert_int_equal(test_restore(c, ts, test_now_ms()), TASKSTORE_OK);
}
