/*
 * test_taskstore.c: a task's checkpoint round trip, fencing, retries and dedupe segments,
 * through the async API in a libevent loop against a private redis-server, and once against
 * a one-node Redis Cluster (a cross-slot call would fail there). Big restores and Redis's
 * cost per commit are in test_taskstore_big.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "keyslot.h"
#include "scripts.h"
#include "testutil_taskstore.h"

static struct test_conn clustered;

/* Everything committed comes back exactly, in order of the calls: later wins per id. */
static void round_trip(struct test_conn *c)
{
	struct taskstore *ts = taskstore_new(c->redis, "fb:", "feedbackd", 3, 1000, NULL);
	struct taskstore_changes *cs;
	unsigned char rec[TASKSTORE_DEDUPE_SIZE], want[3][TASKSTORE_DEDUPE_SIZE];
	int64_t now = test_now_ms(), base = now / 1000 * 1000 + 2000; /* two whole segments ahead */
	const char *want1[] = {"0:a1=blob-a1-v2", "0:a3=", "1:t1=T", "1:t9=new", "2:o1=O1"};
	const char *want2[] = {"0:a3=", "0:a4=x~y", "1:t1=T", "1:t9=new", "2:o1=O1"};

	assert_non_null(ts);
	cs = taskstore_changes_new(ts);
	assert_false(taskstore_commit(ts, cs, test_on_commit, NULL)); /* not claimed and restored */
	assert_int_equal(test_claim(c, ts), TASKSTORE_OK);
	assert_int_equal(test_got.gen, 1);
	assert_int_equal(test_restore(c, ts, now), TASKSTORE_OK);
	assert_int_equal(test_got.metas, 1);
	assert_int_equal(test_got.gen, 1);
	assert_int_equal(test_got.seq, 0);
	assert_int_equal(test_got.pos_len, -1);
	assert_int_equal(test_got.n + test_got.dd_n, 0);

	assert_true(taskstore_positions(cs, "P1", 2));
	assert_true(taskstore_positions(cs, "P2\0x", 4));
	test_put(cs, TASKSTORE_AGENT, "a1", "blob-a1");
	assert_true(taskstore_put(cs, TASKSTORE_AGENT, "a2", 2, "x\0y", 3));
	assert_true(taskstore_put(cs, TASKSTORE_AGENT, "a3", 2, NULL, 0));
	test_put(cs, TASKSTORE_AGENT, "a1", "blob-a1-v2");
	test_del(cs, TASKSTORE_AGENT, "a2");
	test_del(cs, TASKSTORE_TICKET, "t9");
	test_put(cs, TASKSTORE_TICKET, "t9", "new");
	test_put(cs, TASKSTORE_TICKET, "t1", "T");
	test_put(cs, TASKSTORE_OUTBOX, "o1", "O1");
	test_del(cs, TASKSTORE_OUTBOX, "o-never");
	assert_true(taskstore_dedupe(cs, test_record(&rec, 1), base + 100));
	assert_true(taskstore_dedupe(cs, test_record(&rec, 2), base + 200));
	assert_true(taskstore_dedupe(cs, test_record(&rec, 3), base + 5000));
	assert_int_equal(taskstore_changes_bytes(cs), 2 + 4 + 9 + 5 + 2 + 12 + 2 + 2 + 5 + 3 + 4 + 7 + 3 * 16);
	assert_int_equal(test_commit(c, ts, cs), TASKSTORE_OK);

	assert_int_equal(test_restore(c, ts, now), TASKSTORE_OK);
	assert_int_equal(test_got.seq, 1);
	assert_int_equal(test_got.pos_len, 4);
	assert_memory_equal(test_got.pos, "P2\0x", 4);
	test_check_entries(want1, 5);
	memcpy(want[0], test_record(&rec, 1), sizeof(rec));
	memcpy(want[1], test_record(&rec, 2), sizeof(rec));
	memcpy(want[2], test_record(&rec, 3), sizeof(rec));
	test_check_records(want, 3);

	taskstore_changes_clear(cs);
	assert_int_equal(taskstore_changes_bytes(cs), 0);
	test_del(cs, TASKSTORE_AGENT, "a1");
	assert_true(taskstore_put(cs, TASKSTORE_AGENT, "a4", 2, "x\0y", 3));
	assert_int_equal(test_commit(c, ts, cs), TASKSTORE_OK);
	assert_int_equal(test_restore(c, ts, now), TASKSTORE_OK);
	assert_int_equal(test_got.seq, 2);
	assert_memory_equal(test_got.pos, "P2\0x", 4); /* not in this commit: kept */
	test_check_entries(want2, 5);
	test_check_records(want, 3);
	taskstore_changes_free(cs);
	taskstore_free(ts);
}

/* The round trip on the plain server, and keys that would move the hash tag are refused. */
static void test_round_trip(void **state)
{
	(void)state;
	round_trip(&test_plain);
	assert_null(taskstore_new(test_plain.redis, "fb{", "g", 1, 1000, NULL));
	assert_null(taskstore_new(test_plain.redis, "fb:", "g}", 1, 1000, NULL));
	assert_null(taskstore_new(test_plain.redis, "fb:", "{g", 1, 1000, NULL));
	assert_null(taskstore_new(test_plain.redis, "fb:", "g", 1, 0, NULL));
}

/* A zombie's commit after another claim changes nothing, and its restore says so. */
static void test_fencing(void **state)
{
	struct taskstore *a = taskstore_new(test_plain.redis, "fb:", "g", 7, 1000, NULL);
	struct taskstore *b = taskstore_new(test_plain.redis, "fb:", "g", 7, 1000, NULL);
	struct taskstore_changes *cs = taskstore_changes_new(a);
	unsigned char rec[TASKSTORE_DEDUPE_SIZE], want[2][TASKSTORE_DEDUPE_SIZE];
	const char *want_a[] = {"0:a=1"};
	const char *want_b[] = {"0:a=1", "0:b=B"};

	(void)state;
	test_own(&test_plain, a);
	test_put(cs, TASKSTORE_AGENT, "a", "1");
	assert_true(taskstore_dedupe(cs, test_record(&rec, 9), test_now_ms() + 2000));
	memcpy(want[0], rec, sizeof(rec));
	assert_int_equal(test_commit(&test_plain, a, cs), TASKSTORE_OK);

	assert_int_equal(test_claim(&test_plain, b), TASKSTORE_OK);
	assert_int_equal(test_got.gen, 2);
	taskstore_changes_clear(cs);
	test_put(cs, TASKSTORE_AGENT, "a", "zombie");
	test_del(cs, TASKSTORE_AGENT, "a");
	test_put(cs, TASKSTORE_TICKET, "t", "zombie");
	assert_true(taskstore_positions(cs, "zombie", 6));
	assert_true(taskstore_dedupe(cs, test_record(&rec, 8), test_now_ms() + 2000));
	assert_int_equal(test_commit(&test_plain, a, cs), TASKSTORE_FENCED);
	assert_false(taskstore_commit(a, cs, test_on_commit, NULL)); /* fenced: no more commits */
	assert_int_equal(test_restore(&test_plain, a, test_now_ms()), TASKSTORE_FENCED);
	assert_int_equal(test_got.metas, 0);

	assert_int_equal(test_restore(&test_plain, b, test_now_ms()), TASKSTORE_OK);
	assert_int_equal(test_got.gen, 2);
	assert_int_equal(test_got.seq, 1);
	assert_int_equal(test_got.pos_len, -1);
	test_check_entries(want_a, 1);
	test_check_records(want, 1);
	taskstore_changes_release(cs); /* buffers freed, the segment length kept */
	test_put(cs, TASKSTORE_AGENT, "b", "B");
	assert_true(taskstore_dedupe(cs, test_record(&want[1], 7), test_now_ms() + 2000));
	assert_int_equal(test_commit(&test_plain, b, cs), TASKSTORE_OK);
	assert_int_equal(test_restore(&test_plain, b, test_now_ms()), TASKSTORE_OK);
	assert_int_equal(test_got.seq, 2);
	test_check_entries(want_b, 2);
	test_check_records(want, 2);
	taskstore_changes_free(cs);
	taskstore_free(a);
	taskstore_free(b);
}

/* The length of a string key, read directly. */
static long long strlen_of(const char *key)
{
	redisReply *r = redisserver_command(&test_plain.srv, "STRLEN %s", key);
	long long n = r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	return n;
}

/* A commit whose reply was lost is retried; the retry applies nothing twice. */
static void test_retry_is_noop(void **state)
{
	struct taskstore *ts = taskstore_new(test_plain.redis, "fb:", "g", 1, 1000, NULL);
	struct taskstore_changes *cs = taskstore_changes_new(ts);
	unsigned char rec[TASKSTORE_DEDUPE_SIZE];
	int64_t expiry = test_now_ms() + 3000;
	char dd[64];

	(void)state;
	snprintf(dd, sizeof(dd), "fb:task:{g:1}:dd:%lld", (long long)(expiry / 1000));
	test_own(&test_plain, ts);
	test_put(cs, TASKSTORE_AGENT, "a", "1");
	assert_true(taskstore_dedupe(cs, test_record(&rec, 5), expiry));
	assert_true(taskstore_dedupe(cs, test_record(&rec, 6), expiry));
	/* Redis runs the commit but sends no reply: the connection times out, the outcome unknown. */
	assert_true(redis_command(test_plain.redis, taskstore_slot(ts), 3, (const char *[]){"CLIENT", "REPLY", "SKIP"}, NULL, NULL, NULL));
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_FAILED);
	assert_int_equal(strlen_of(dd), 2 * TASKSTORE_DEDUPE_SIZE);
	assert_int_equal(test_meta_field(&test_plain, "fb:task:{g:1}:meta", "seq"), 1);
	test_run_until(&test_plain, true);
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_OK);
	assert_int_equal(strlen_of(dd), 2 * TASKSTORE_DEDUPE_SIZE);
	assert_int_equal(test_meta_field(&test_plain, "fb:task:{g:1}:meta", "seq"), 1);
	/* The next change set is a new commit and appends. */
	taskstore_changes_clear(cs);
	assert_true(taskstore_dedupe(cs, test_record(&rec, 7), expiry));
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_OK);
	assert_int_equal(strlen_of(dd), 3 * TASKSTORE_DEDUPE_SIZE);
	assert_int_equal(test_meta_field(&test_plain, "fb:task:{g:1}:meta", "seq"), 2);
	taskstore_changes_free(cs);
	taskstore_free(ts);
}

/*
 * wait_replicas: a commit that no replica confirms within the timeout answers FAILED, though
 * applied; its retry is answered "applied before" and waits again, and counts once a replica
 * holds it. Without wait_replicas no WAIT is sent.
 */
static void test_wait_replicas(void **state)
{
	const struct redis_wait wait = {1, 100};
	struct taskstore *ts = taskstore_new(test_plain.redis, "fb:", "g", 6, 1000, &wait);
	struct taskstore *plain = taskstore_new(test_plain.redis, "fb:", "g", 5, 1000, NULL);
	struct taskstore_changes *cs = taskstore_changes_new(ts), *pcs = taskstore_changes_new(plain);
	struct redisserver replica = {0};
	redisReply *r;

	(void)state;
	test_own(&test_plain, plain);
	test_put(pcs, TASKSTORE_AGENT, "a", "1");
	freeReplyObject(redisserver_command(&test_plain.srv, "CONFIG RESETSTAT"));
	assert_int_equal(test_commit(&test_plain, plain, pcs), TASKSTORE_OK);
	assert_int_equal(redisserver_calls(&test_plain.srv, "wait"), 0);

	test_own(&test_plain, ts);
	test_put(cs, TASKSTORE_AGENT, "a", "1");
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_FAILED); /* no replica */
	assert_int_equal(test_meta_field(&test_plain, "fb:task:{g:6}:meta", "seq"), 1);
	assert_int_equal(redisserver_calls(&test_plain.srv, "wait"), 1);
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_FAILED); /* still none */
	assert_int_equal(redisserver_calls(&test_plain.srv, "wait"), 2);

	assert_true(redisserver_start(&replica, false));
	assert_true(redisserver_replicate(&replica, &test_plain.srv));
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_OK);
	assert_int_equal(test_meta_field(&test_plain, "fb:task:{g:6}:meta", "seq"), 1); /* applied once */
	r = redisserver_command(&replica, "HGET fb:task:{g:6}:meta seq");
	assert_non_null(r);
	assert_string_equal(r->str, "1");
	freeReplyObject(r);
	/* The next commit is a new one, and goes through at once. */
	test_put(cs, TASKSTORE_AGENT, "b", "2");
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_OK);
	assert_int_equal(test_meta_field(&test_plain, "fb:task:{g:6}:meta", "seq"), 2);
	assert_true(redisserver_stop(&replica));
	taskstore_changes_free(cs);
	taskstore_changes_free(pcs);
	taskstore_free(ts);
	taskstore_free(plain);
}

/* Runs the checkpoint script directly; returns the reply (an error's text in err). */
static long long raw_commit(const char *seq, const char *op, const char *count, char *err, size_t err_size)
{
	redisReply *r = redisserver_command(&test_plain.srv, "EVAL %s 2 m h 1 %s %s 2 %s f v", script_src_checkpoint,
	    seq, op, count);
	long long v = -1;

	assert_non_null(r);
	err[0] = '\0';
	if (r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(err, err_size, "%s", r->str);
	freeReplyObject(r);
	return v;
}

/* The script applies nothing on a sequence gap or a malformed group, and skips a replay. */
static void test_script_guards(void **state)
{
	redisReply *r;
	char err[256];

	(void)state;
	freeReplyObject(redisserver_command(&test_plain.srv, "HSET m gen 1"));
	assert_int_equal(raw_commit("2", "hset", "1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "checkpoint 2 after 0"));
	assert_int_equal(raw_commit("1", "hset", "2", err, sizeof(err)), -1); /* count past the end */
	assert_non_null(strstr(err, "malformed"));
	assert_int_equal(raw_commit("1", "bogus", "1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "malformed"));
	r = redisserver_command(&test_plain.srv, "EXISTS h");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	assert_int_equal(test_meta_field(&test_plain, "m", "seq"), -1);
	assert_int_equal(raw_commit("1", "hset", "1", err, sizeof(err)), 1);
	assert_int_equal(raw_commit("1", "hset", "1", err, sizeof(err)), 2);
	assert_int_equal(test_meta_field(&test_plain, "m", "seq"), 1);
	freeReplyObject(redisserver_command(&test_plain.srv, "HSET m gen 2"));
	assert_int_equal(raw_commit("2", "hset", "1", err, sizeof(err)), 0);
	assert_int_equal(test_meta_field(&test_plain, "m", "seq"), 1);
}

/* Whether a key exists, read directly (which also expires it lazily). */
static bool exists(const char *key)
{
	redisReply *r = redisserver_command(&test_plain.srv, "EXISTS %s", key);
	bool e = r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1;

	freeReplyObject(r);
	return e;
}

/* A key's absolute expiry in ms, read directly. */
static long long pexpiretime(const char *key)
{
	redisReply *r = redisserver_command(&test_plain.srv, "PEXPIRETIME %s", key);
	long long t = r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer : -3;

	freeReplyObject(r);
	return t;
}

/* Segment keys expire at their segment's end; restore reads only the live ones. */
static void test_dedupe_segments(void **state)
{
	const int64_t seg = 200;
	struct taskstore *ts = taskstore_new(test_plain.redis, "fb:", "g", 2, seg, NULL);
	struct taskstore_changes *cs = taskstore_changes_new(ts);
	unsigned char rec[TASKSTORE_DEDUPE_SIZE], want[2][TASKSTORE_DEDUPE_SIZE];
	int64_t now = test_now_ms(), e_old = now - 1000, e_soon = now + 300, e_late = now + 2000;
	char k_old[64], k_soon[64], k_late[64];

	(void)state;
	snprintf(k_old, sizeof(k_old), "fb:task:{g:2}:dd:%lld", (long long)(e_old / seg));
	snprintf(k_soon, sizeof(k_soon), "fb:task:{g:2}:dd:%lld", (long long)(e_soon / seg));
	snprintf(k_late, sizeof(k_late), "fb:task:{g:2}:dd:%lld", (long long)(e_late / seg));
	test_own(&test_plain, ts);
	assert_true(taskstore_dedupe(cs, test_record(&rec, 1), e_old));
	assert_true(taskstore_dedupe(cs, test_record(&rec, 2), e_soon));
	memcpy(want[0], rec, sizeof(rec));
	assert_true(taskstore_dedupe(cs, test_record(&rec, 3), e_late));
	memcpy(want[1], rec, sizeof(rec));
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_OK);
	assert_false(exists(k_old)); /* its segment had ended: gone at once */
	assert_int_equal(pexpiretime(k_soon), (e_soon / seg + 1) * seg);
	assert_int_equal(pexpiretime(k_late), (e_late / seg + 1) * seg);

	assert_int_equal(test_restore(&test_plain, ts, now), TASKSTORE_OK);
	test_check_records(want, 2);
	/*
	 * Seen from a clock behind the writer's, a record expiring in the segment after the one
	 * of that clock's now + horizon is still read (the restore reads one segment more).
	 */
	assert_int_equal(test_restore(&test_plain, ts, e_late / seg * seg - 1 - TEST_HORIZON_MS), TASKSTORE_OK);
	test_check_records(want, 2);
	/* Seen from later, the early segment is no longer read, even while its key lives. */
	assert_int_equal(test_restore(&test_plain, ts, e_soon + seg), TASKSTORE_OK);
	test_check_records(want + 1, 1);
	assert_true(exists(k_soon));
	/* And Redis drops it at its end. */
	while (test_now_ms() <= (e_soon / seg + 1) * seg + 50)
		usleep(20000);
	assert_false(exists(k_soon));
	assert_true(exists(k_late));
	taskstore_changes_free(cs);
	taskstore_free(ts);
}

/* Starts the cluster test's own server. */
static int setup_cluster(void **state)
{
	(void)state;
	return test_conn_open(&clustered, true);
}

/* Stops the cluster test's server, also after a failed test. */
static int teardown_cluster(void **state)
{
	(void)state;
	return test_conn_close(&clustered);
}

/* On a Redis Cluster every call is accepted, and every key lies in the task's slot. */
static void test_cluster(void **state)
{
	struct test_conn *c = &clustered;
	redisReply *r;
	struct taskstore *ts;

	(void)state;
	/* The control: this server refuses a call across slots. */
	r = redisserver_command(&c->srv, "EVAL %s 2 foo bar", "return 1");
	assert_int_equal(r->type, REDIS_REPLY_ERROR);
	assert_non_null(strstr(r->str, "CROSSSLOT"));
	freeReplyObject(r);

	round_trip(c);
	ts = taskstore_new(c->redis, "fb:", "feedbackd", 3, 1000, NULL);
	r = redisserver_command(&c->srv, "CLUSTER KEYSLOT fb:task:{feedbackd:3}:meta");
	assert_int_equal(r->integer, taskstore_slot(ts));
	freeReplyObject(r);
	r = redisserver_command(&c->srv, "KEYS *");
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 6); /* meta, agents, tickets, outbox and two segments */
	for (size_t i = 0; i < r->elements; i++)
		assert_int_equal(keyslot(r->element[i]->str, r->element[i]->len), taskstore_slot(ts));
	freeReplyObject(r);
	taskstore_free(ts);
}

/* Runs the task store tests against a standalone server (the cluster test starts its own). */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_round_trip, test_flush),
	    cmocka_unit_test_setup(test_fencing, test_flush),
	    cmocka_unit_test_setup(test_retry_is_noop, test_flush),
	    cmocka_unit_test_setup(test_wait_replicas, test_flush),
	    cmocka_unit_test_setup(test_script_guards, test_flush),
	    cmocka_unit_test_setup(test_dedupe_segments, test_flush),
	    cmocka_unit_test_setup_teardown(test_cluster, setup_cluster, teardown_cluster),
	};

	return cmocka_run_group_tests(tests, test_setup_plain, test_teardown_plain);
}
