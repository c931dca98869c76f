/*
 * test_taskstore.c: a task's checkpoint round trip, fencing, retries, dedupe segments and
 * big restores, through the async API in a libevent loop against a private redis-server,
 * and once against a one-node Redis Cluster (a cross-slot call would fail there).
 * TASKSTORE_MEASURE=1 also prints Redis's CPU per committed agent blob and dedupe record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "keyslot.h"
#include "redisserver.h"
#include "scripts.h"
#include "taskstore.h"

#define HORIZON_MS 10000
#define BIG_AGENTS 100000
#define BIG_BLOB 200

/* One server and the daemon's async connection to it. */
struct conn {
	struct redisserver srv;
	struct config cfg;
	struct metrics metrics;
	struct event_base *base;
	struct redis *redis;
	bool up;
};

/* What the last call answered, and what a restore streamed back. */
struct got {
	bool answered;
	enum taskstore_result res;
	uint64_t gen, seq;
	int metas;
	char pos[64];
	ssize_t pos_len;                /* -1: no positions */
	char *entries[64];              /* "kind:id=blob", sorted by check_entries */
	size_t n;
	unsigned char dd[64 * TASKSTORE_DEDUPE_SIZE];
	size_t dd_n;
	unsigned char *seen;            /* the big test's agents seen, by number */
	size_t big_entries;
};

static struct conn plain;
static struct conn clustered;
static struct got got;

/* Wall time in ms: Redis expires the segment keys by its own clock. */
static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The connection's state changes. */
static void on_state(void *arg, bool up)
{
	((struct conn *)arg)->up = up;
}

/* Runs c's loop until the last call answered (or, with want_up, until c is up again). */
static void run_until(struct conn *c, bool want_up)
{
	int64_t deadline = now_ms() + 30000;

	while (want_up ? !c->up : !got.answered) {
		if (now_ms() > deadline)
			fail_msg("no answer within 30 s");
		event_base_loop(c->base, EVLOOP_ONCE);
	}
}

/* Starts a server (a cluster one with cluster) and connects the async client; 0 on success. */
static int conn_open(struct conn *c, bool cluster)
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
	run_until(c, true);
	return 0;
}

/* Disconnects and stops the server; 0 when nothing was left behind. */
static int conn_close(struct conn *c)
{
	redis_free(c->redis);
	if (c->base != NULL)
		event_base_free(c->base);
	return redisserver_stop(&c->srv) ? 0 : -1;
}

/* The group's server. */
static int setup(void **state)
{
	(void)state;
	return conn_open(&plain, false);
}

/* Stops the group's server. */
static int teardown(void **state)
{
	(void)state;
	return conn_close(&plain);
}


/* Claim answers. */
static void on_claim(void *arg, enum taskstore_result res, uint64_t gen)
{
	(void)arg;
	got.answered = true;
	got.res = res;
	got.gen = gen;
}

/* Commit answers. */
static void on_commit(void *arg, enum taskstore_result res)
{
	(void)arg;
	got.answered = true;
	got.res = res;
}

/* A restore's meta. */
static void on_meta(void *arg, uint64_t gen, uint64_t seq, const void *pos, size_t pos_len)
{
	(void)arg;
	got.metas++;
	got.gen = gen;
	got.seq = seq;
	got.pos_len = pos != NULL ? (ssize_t)pos_len : -1;
	assert_true(pos_len <= sizeof(got.pos));
	if (pos != NULL)
		memcpy(got.pos, pos, pos_len);
}

/* A restore's entry, kept as "kind:id=blob" (blobs here are printable or \0, shown as '~'). */
static void on_entry(void *arg, enum taskstore_kind kind, const char *id, size_t id_len, const void *blob,
    size_t blob_len)
{
	char *e = malloc(id_len + blob_len + 16);
	size_t n;

	(void)arg;
	assert_non_null(e);
	assert_true(got.n < sizeof(got.entries) / sizeof(got.entries[0]));
	n = (size_t)sprintf(e, "%d:%.*s=", (int)kind, (int)id_len, id);
	for (size_t i = 0; i < blob_len; i++)
		e[n++] = ((const char *)blob)[i] != '\0' ? ((const char *)blob)[i] : '~';
	e[n] = '\0';
	got.entries[got.n++] = e;
}

/* A restore's dedupe records. */
static void on_dedupe(void *arg, const unsigned char *records, size_t n)
{
	(void)arg;
	assert_true(got.dd_n + n <= sizeof(got.dd) / TASKSTORE_DEDUPE_SIZE);
	memcpy(got.dd + got.dd_n * TASKSTORE_DEDUPE_SIZE, records, n * TASKSTORE_DEDUPE_SIZE);
	got.dd_n += n;
}

/* A restore's end. */
static void on_done(void *arg, enum taskstore_result res)
{
	(void)arg;
	got.answered = true;
	got.res = res;
}

static const struct taskstore_restore_fns collect = {on_meta, on_entry, on_dedupe, on_done};

/* Forgets the last answer and restore. */
static void got_reset(void)
{
	for (size_t i = 0; i < got.n; i++)
		free(got.entries[i]);
	memset(&got, 0, sizeof(got));
}

/* Each test starts from an empty database and no answer. */
static int flush(void **state)
{
	redisReply *r = redisserver_command(&plain.srv, "FLUSHALL");

	(void)state;
	freeReplyObject(r);
	got_reset();
	return r != NULL ? 0 : -1;
}

/* Claims ts and returns the result, with the generation in got.gen. */
static enum taskstore_result claim(struct conn *c, struct taskstore *ts)
{
	got_reset();
	assert_true(taskstore_claim(ts, on_claim, NULL));
	assert_true(taskstore_busy(ts));
	run_until(c, false);
	return got.res;
}

/* Restores ts at now into got and returns the result. */
static enum taskstore_result restore(struct conn *c, struct taskstore *ts, int64_t now)
{
	got_reset();
	assert_true(taskstore_restore(ts, now, HORIZON_MS, &collect, NULL));
	run_until(c, false);
	return got.res;
}

/* Commits cs and returns the result. */
static enum taskstore_result commit(struct conn *c, struct taskstore *ts, struct taskstore_changes *cs)
{
	got_reset();
	assert_true(taskstore_commit(ts, cs, on_commit, NULL));
	assert_false(taskstore_commit(ts, cs, on_commit, NULL)); /* one call at a time */
	run_until(c, false);
	return got.res;
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

/* The restored entries are exactly want (in any order). */
static void check_entries(const char *const *want, size_t n)
{
	qsort(got.entries, got.n, sizeof(got.entries[0]), cmp_str);
	for (size_t i = 0; i < got.n && i < n; i++)
		assert_string_equal(got.entries[i], want[i]);
	assert_int_equal(got.n, n);
}

/* The restored dedupe records are exactly want's n records (in any order). */
static void check_records(unsigned char (*want)[TASKSTORE_DEDUPE_SIZE], size_t n)
{
	qsort(got.dd, got.dd_n, TASKSTORE_DEDUPE_SIZE, cmp_record);
	qsort(want, n, TASKSTORE_DEDUPE_SIZE, cmp_record);
	assert_int_equal(got.dd_n, n);
	assert_memory_equal(got.dd, want, n * TASKSTORE_DEDUPE_SIZE);
}

/* A 16-byte record made of one repeated byte. */
static const unsigned char *record(unsigned char (*buf)[TASKSTORE_DEDUPE_SIZE], unsigned char b)
{
	memset(*buf, b, TASKSTORE_DEDUPE_SIZE);
	return *buf;
}

/* Puts a NUL-terminated id and blob. */
static void put(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id, const char *blob)
{
	assert_true(taskstore_put(cs, kind, id, strlen(id), blob, strlen(blob)));
}

/* Deletes a NUL-terminated id. */
static void del(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id)
{
	assert_true(taskstore_del(cs, kind, id, strlen(id)));
}

/* An integer field of the task's meta hash, read directly (-1 when absent). */
static long long meta_field(struct conn *c, const char *key, const char *field)
{
	redisReply *r = redisserver_command(&c->srv, "HGET %s %s", key, field);
	long long v = r != NULL && r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;

	freeReplyObject(r);
	return v;
}

/* Claims and restores ts: a fresh owner ready to commit. */
static void own(struct conn *c, struct taskstore *ts)
{
	assert_int_equal(claim(c, ts), TASKSTORE_OK);
	assert_int_equal(restore(c, ts, now_ms()), TASKSTORE_OK);
}

/* Everything committed comes back exactly, in order of the calls: later wins per id. */
static void round_trip(struct conn *c)
{
	struct taskstore *ts = taskstore_new(c->redis, "fb:", "feedbackd", 3, 1000);
	struct taskstore_changes *cs;
	unsigned char rec[TASKSTORE_DEDUPE_SIZE], want[3][TASKSTORE_DEDUPE_SIZE];
	int64_t now = now_ms(), base = now / 1000 * 1000 + 2000; /* two whole segments ahead */
	const char *want1[] = {"0:a1=blob-a1-v2", "0:a3=", "1:t1=T", "1:t9=new", "2:o1=O1"};
	const char *want2[] = {"0:a3=", "0:a4=x~y", "1:t1=T", "1:t9=new", "2:o1=O1"};

	assert_non_null(ts);
	cs = taskstore_changes_new(ts);
	assert_false(taskstore_commit(ts, cs, on_commit, NULL)); /* not claimed and restored */
	assert_int_equal(claim(c, ts), TASKSTORE_OK);
	assert_int_equal(got.gen, 1);
	assert_int_equal(restore(c, ts, now), TASKSTORE_OK);
	assert_int_equal(got.metas, 1);
	assert_int_equal(got.gen, 1);
	assert_int_equal(got.seq, 0);
	assert_int_equal(got.pos_len, -1);
	assert_int_equal(got.n + got.dd_n, 0);

	assert_true(taskstore_positions(cs, "P1", 2));
	assert_true(taskstore_positions(cs, "P2\0x", 4));
	put(cs, TASKSTORE_AGENT, "a1", "blob-a1");
	assert_true(taskstore_put(cs, TASKSTORE_AGENT, "a2", 2, "x\0y", 3));
	assert_true(taskstore_put(cs, TASKSTORE_AGENT, "a3", 2, NULL, 0));
	put(cs, TASKSTORE_AGENT, "a1", "blob-a1-v2");
	del(cs, TASKSTORE_AGENT, "a2");
	del(cs, TASKSTORE_TICKET, "t9");
	put(cs, TASKSTORE_TICKET, "t9", "new");
	put(cs, TASKSTORE_TICKET, "t1", "T");
	put(cs, TASKSTORE_OUTBOX, "o1", "O1");
	del(cs, TASKSTORE_OUTBOX, "o-never");
	assert_true(taskstore_dedupe(cs, record(&rec, 1), base + 100));
	assert_true(taskstore_dedupe(cs, record(&rec, 2), base + 200));
	assert_true(taskstore_dedupe(cs, record(&rec, 3), base + 5000));
	assert_int_equal(taskstore_changes_bytes(cs), 2 + 4 + 9 + 5 + 2 + 12 + 2 + 2 + 5 + 3 + 4 + 7 + 3 * 16);
	assert_int_equal(commit(c, ts, cs), TASKSTORE_OK);

	assert_int_equal(restore(c, ts, now), TASKSTORE_OK);
	assert_int_equal(got.seq, 1);
	assert_int_equal(got.pos_len, 4);
	assert_memory_equal(got.pos, "P2\0x", 4);
	check_entries(want1, 5);
	memcpy(want[0], record(&rec, 1), sizeof(rec));
	memcpy(want[1], record(&rec, 2), sizeof(rec));
	memcpy(want[2], record(&rec, 3), sizeof(rec));
	check_records(want, 3);

	taskstore_changes_clear(cs);
	assert_int_equal(taskstore_changes_bytes(cs), 0);
	del(cs, TASKSTORE_AGENT, "a1");
	assert_true(taskstore_put(cs, TASKSTORE_AGENT, "a4", 2, "x\0y", 3));
	assert_int_equal(commit(c, ts, cs), TASKSTORE_OK);
	assert_int_equal(restore(c, ts, now), TASKSTORE_OK);
	assert_int_equal(got.seq, 2);
	assert_memory_equal(got.pos, "P2\0x", 4); /* not in this commit: kept */
	check_entries(want2, 5);
	check_records(want, 3);
	taskstore_changes_free(cs);
	taskstore_free(ts);
}

/* The round trip on the plain server, and keys that would move the hash tag are refused. */
static void test_round_trip(void **state)
{
	(void)state;
	round_trip(&plain);
	assert_null(taskstore_new(plain.redis, "fb{", "g", 1, 1000));
	assert_null(taskstore_new(plain.redis, "fb:", "g}", 1, 1000));
	assert_null(taskstore_new(plain.redis, "fb:", "{g", 1, 1000));
	assert_null(taskstore_new(plain.redis, "fb:", "g", 1, 0));
}

/* A zombie's commit after another claim changes nothing, and its restore says so. */
static void test_fencing(void **state)
{
	struct taskstore *a = taskstore_new(plain.redis, "fb:", "g", 7, 1000);
	struct taskstore *b = taskstore_new(plain.redis, "fb:", "g", 7, 1000);
	struct taskstore_changes *cs = taskstore_changes_new(a);
	unsigned char rec[TASKSTORE_DEDUPE_SIZE], want[2][TASKSTORE_DEDUPE_SIZE];
	const char *want_a[] = {"0:a=1"};
	const char *want_b[] = {"0:a=1", "0:b=B"};

	(void)state;
	own(&plain, a);
	put(cs, TASKSTORE_AGENT, "a", "1");
	assert_true(taskstore_dedupe(cs, record(&rec, 9), now_ms() + 2000));
	memcpy(want[0], rec, sizeof(rec));
	assert_int_equal(commit(&plain, a, cs), TASKSTORE_OK);

	assert_int_equal(claim(&plain, b), TASKSTORE_OK);
	assert_int_equal(got.gen, 2);
	taskstore_changes_clear(cs);
	put(cs, TASKSTORE_AGENT, "a", "zombie");
	del(cs, TASKSTORE_AGENT, "a");
	put(cs, TASKSTORE_TICKET, "t", "zombie");
	assert_true(taskstore_positions(cs, "zombie", 6));
	assert_true(taskstore_dedupe(cs, record(&rec, 8), now_ms() + 2000));
	assert_int_equal(commit(&plain, a, cs), TASKSTORE_FENCED);
	assert_false(taskstore_commit(a, cs, on_commit, NULL)); /* fenced: no more commits */
	assert_int_equal(restore(&plain, a, now_ms()), TASKSTORE_FENCED);
	assert_int_equal(got.metas, 0);

	assert_int_equal(restore(&plain, b, now_ms()), TASKSTORE_OK);
	assert_int_equal(got.gen, 2);
	assert_int_equal(got.seq, 1);
	assert_int_equal(got.pos_len, -1);
	check_entries(want_a, 1);
	check_records(want, 1);
	taskstore_changes_release(cs); /* buffers freed, the segment length kept */
	put(cs, TASKSTORE_AGENT, "b", "B");
	assert_true(taskstore_dedupe(cs, record(&want[1], 7), now_ms() + 2000));
	assert_int_equal(commit(&plain, b, cs), TASKSTORE_OK);
	assert_int_equal(restore(&plain, b, now_ms()), TASKSTORE_OK);
	assert_int_equal(got.seq, 2);
	check_entries(want_b, 2);
	check_records(want, 2);
	taskstore_changes_free(cs);
	taskstore_free(a);
	taskstore_free(b);
}

/* The length of a string key, read directly. */
static long long strlen_of(const char *key)
{
	redisReply *r = redisserver_command(&plain.srv, "STRLEN %s", key);
	long long n = r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	return n;
}

/* A commit whose reply was lost is retried; the retry applies nothing twice. */
static void test_retry_is_noop(void **state)
{
	struct taskstore *ts = taskstore_new(plain.redis, "fb:", "g", 1, 1000);
	struct taskstore_changes *cs = taskstore_changes_new(ts);
	unsigned char rec[TASKSTORE_DEDUPE_SIZE];
	int64_t expiry = now_ms() + 3000;
	char dd[64];

	(void)state;
	snprintf(dd, sizeof(dd), "fb:task:{g:1}:dd:%lld", (long long)(expiry / 1000));
	own(&plain, ts);
	put(cs, TASKSTORE_AGENT, "a", "1");
	assert_true(taskstore_dedupe(cs, record(&rec, 5), expiry));
	assert_true(taskstore_dedupe(cs, record(&rec, 6), expiry));
	/* Redis runs the commit but sends no reply: the connection times out, the outcome unknown. */
	assert_true(redis_command(plain.redis, 3, (const char *[]){"CLIENT", "REPLY", "SKIP"}, NULL, NULL, NULL));
	assert_int_equal(commit(&plain, ts, cs), TASKSTORE_FAILED);
	assert_int_equal(strlen_of(dd), 2 * TASKSTORE_DEDUPE_SIZE);
	assert_int_equal(meta_field(&plain, "fb:task:{g:1}:meta", "seq"), 1);
	run_until(&plain, true);
	assert_int_equal(commit(&plain, ts, cs), TASKSTORE_OK);
	assert_int_equal(strlen_of(dd), 2 * TASKSTORE_DEDUPE_SIZE);
	assert_int_equal(meta_field(&plain, "fb:task:{g:1}:meta", "seq"), 1);
	/* The next change set is a new commit and appends. */
	taskstore_changes_clear(cs);
	assert_true(taskstore_dedupe(cs, record(&rec, 7), expiry));
	assert_int_equal(commit(&plain, ts, cs), TASKSTORE_OK);
	assert_int_equal(strlen_of(dd), 3 * TASKSTORE_DEDUPE_SIZE);
	assert_int_equal(meta_field(&plain, "fb:task:{g:1}:meta", "seq"), 2);
	taskstore_changes_free(cs);
	taskstore_free(ts);
}

/* Runs the checkpoint script directly; returns the reply (an error's text in err). */
static long long raw_commit(const char *seq, const char *op, const char *count, char *err, size_t err_size)
{
	redisReply *r = redisserver_command(&plain.srv, "EVAL %s 2 m h 1 %s %s 2 %s f v", script_src_checkpoint,
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
	freeReplyObject(redisserver_command(&plain.srv, "HSET m gen 1"));
	assert_int_equal(raw_commit("2", "hset", "1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "checkpoint 2 after 0"));
	assert_int_equal(raw_commit("1", "hset", "2", err, sizeof(err)), -1); /* count past the end */
	assert_non_null(strstr(err, "malformed"));
	assert_int_equal(raw_commit("1", "bogus", "1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "malformed"));
	r = redisserver_command(&plain.srv, "EXISTS h");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	assert_int_equal(meta_field(&plain, "m", "seq"), -1);
	assert_int_equal(raw_commit("1", "hset", "1", err, sizeof(err)), 1);
	assert_int_equal(raw_commit("1", "hset", "1", err, sizeof(err)), 2);
	assert_int_equal(meta_field(&plain, "m", "seq"), 1);
	freeReplyObject(redisserver_command(&plain.srv, "HSET m gen 2"));
	assert_int_equal(raw_commit("2", "hset", "1", err, sizeof(err)), 0);
	assert_int_equal(meta_field(&plain, "m", "seq"), 1);
}

/* Whether a key exists, read directly (which also expires it lazily). */
static bool exists(const char *key)
{
	redisReply *r = redisserver_command(&plain.srv, "EXISTS %s", key);
	bool e = r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1;

	freeReplyObject(r);
	return e;
}

/* A key's absolute expiry in ms, read directly. */
static long long pexpiretime(const char *key)
{
	redisReply *r = redisserver_command(&plain.srv, "PEXPIRETIME %s", key);
	long long t = r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer : -3;

	freeReplyObject(r);
	return t;
}

/* Segment keys expire at their segment's end; restore reads only the live ones. */
static void test_dedupe_segments(void **state)
{
	const int64_t seg = 200;
	struct taskstore *ts = taskstore_new(plain.redis, "fb:", "g", 2, seg);
	struct taskstore_changes *cs = taskstore_changes_new(ts);
	unsigned char rec[TASKSTORE_DEDUPE_SIZE], want[2][TASKSTORE_DEDUPE_SIZE];
	int64_t now = now_ms(), e_old = now - 1000, e_soon = now + 300, e_late = now + 2000;
	char k_old[64], k_soon[64], k_late[64];

	(void)state;
	snprintf(k_old, sizeof(k_old), "fb:task:{g:2}:dd:%lld", (long long)(e_old / seg));
	snprintf(k_soon, sizeof(k_soon), "fb:task:{g:2}:dd:%lld", (long long)(e_soon / seg));
	snprintf(k_late, sizeof(k_late), "fb:task:{g:2}:dd:%lld", (long long)(e_late / seg));
	own(&plain, ts);
	assert_true(taskstore_dedupe(cs, record(&rec, 1), e_old));
	assert_true(taskstore_dedupe(cs, record(&rec, 2), e_soon));
	memcpy(want[0], rec, sizeof(rec));
	assert_true(taskstore_dedupe(cs, record(&rec, 3), e_late));
	memcpy(want[1], rec, sizeof(rec));
	assert_int_equal(commit(&plain, ts, cs), TASKSTORE_OK);
	assert_false(exists(k_old)); /* its segment had ended: gone at once */
	assert_int_equal(pexpiretime(k_soon), (e_soon / seg + 1) * seg);
	assert_int_equal(pexpiretime(k_late), (e_late / seg + 1) * seg);

	assert_int_equal(restore(&plain, ts, now), TASKSTORE_OK);
	check_records(want, 2);
	/*
	 * Seen from a clock behind the writer's, a record expiring in the segment after the one
	 * of that clock's now + horizon is still read (the restore reads one segment more).
	 */
	assert_int_equal(restore(&plain, ts, e_late / seg * seg - 1 - HORIZON_MS), TASKSTORE_OK);
	check_records(want, 2);
	/* Seen from later, the early segment is no longer read, even while its key lives. */
	assert_int_equal(restore(&plain, ts, e_soon + seg), TASKSTORE_OK);
	check_records(want + 1, 1);
	assert_true(exists(k_soon));
	/* And Redis drops it at its end. */
	while (now_ms() <= (e_soon / seg + 1) * seg + 50)
		usleep(20000);
	assert_false(exists(k_soon));
	assert_true(exists(k_late));
	taskstore_changes_free(cs);
	taskstore_free(ts);
}

/* The big test's blob of agent i: its number spelled out, then filler. */
static void big_blob(char *buf, size_t i)
{
	int n = sprintf(buf, "%zu:", i);

	memset(buf + n, 'a' + (int)(i % 26), BIG_BLOB - (size_t)n);
}

/* The big test's entries: each agent must come with its own blob. */
static void on_big_entry(void *arg, enum taskstore_kind kind, const char *id, size_t id_len, const void *blob,
    size_t blob_len)
{
	char want[BIG_BLOB];
	size_t i = (size_t)strtoul(id + 1, NULL, 10);

	(void)arg;
	assert_int_equal(kind, TASKSTORE_AGENT);
	assert_true(id_len > 1 && i < BIG_AGENTS);
	big_blob(want, i);
	assert_int_equal(blob_len, BIG_BLOB);
	assert_memory_equal(blob, want, BIG_BLOB);
	got.seen[i] = 1;
	got.big_entries++;
}

/* A field of INFO's text, as a number (0 when absent). */
static double info_field(const char *section, const char *field)
{
	redisReply *r = redisserver_command(&plain.srv, "INFO %s", section);
	const char *p = r != NULL && r->type == REDIS_REPLY_STRING ? strstr(r->str, field) : NULL;
	double v = p != NULL ? atof(p + strlen(field)) : 0;

	freeReplyObject(r);
	return v;
}

/* Resets the peak resident set (VmHWM) to the current one. */
static void peak_rss_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	assert_non_null(f);
	fputs("5", f);
	fclose(f);
}

/* The peak resident set since the last reset, in kB (VmHWM). */
static long peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	assert_true(kb > 0);
	return kb;
}

/* 100,000 agents come back, each once or more with its blob, in pages of bounded size. */
static void test_big_restore(void **state)
{
	struct taskstore *ts = taskstore_new(plain.redis, "fb:", "g", 4, 1000);
	struct taskstore_changes *cs = taskstore_changes_new(ts);
	struct taskstore_restore_fns fns = {on_meta, on_big_entry, on_dedupe, on_done};
	char id[16], blob[BIG_BLOB];
	unsigned char *seen = calloc(BIG_AGENTS, 1);
	double scans;
	long before, grown;

	(void)state;
	own(&plain, ts);
	for (size_t i = 0; i < BIG_AGENTS; i++) {
		snprintf(id, sizeof(id), "a%zu", i);
		big_blob(blob, i);
		assert_true(taskstore_put(cs, TASKSTORE_AGENT, id, strlen(id), blob, BIG_BLOB));
		/* Change sets of 5 MB: each clear frees them (over 4 MiB), the next one grows anew. */
		if ((i + 1) % 25000 == 0) {
			assert_int_equal(commit(&plain, ts, cs), TASKSTORE_OK);
			taskstore_changes_clear(cs);
		}
	}
	freeReplyObject(redisserver_command(&plain.srv, "CONFIG RESETSTAT"));
	peak_rss_reset();
	before = peak_rss_kb();
	got_reset();
	got.seen = seen;
	assert_true(taskstore_restore(ts, now_ms(), HORIZON_MS, &fns, NULL));
	run_until(&plain, false);
	assert_int_equal(got.res, TASKSTORE_OK);
	assert_true(got.big_entries >= BIG_AGENTS);
	for (size_t i = 0; i < BIG_AGENTS; i++)
		assert_int_equal(seen[i], 1);
	/* Pages of about a thousand: the whole hash never sits in one reply. */
	scans = info_field("commandstats", "cmdstat_hscan:calls=");
	assert_true(scans >= BIG_AGENTS / 2000);
	/* The peak grew by less than half the data; ASan's quarantine keeps freed replies
	 * resident, so it is judged only without it. */
	grown = peak_rss_kb() - before;
#if defined(__SANITIZE_ADDRESS__)
	(void)grown;
#else
	assert_true(grown < (long)(BIG_AGENTS * BIG_BLOB / 1024 / 2));
#endif
	got.seen = NULL;
	free(seen);
	taskstore_changes_free(cs);
	taskstore_free(ts);
}

/* Starts the cluster test's own server. */
static int setup_cluster(void **state)
{
	(void)state;
	return conn_open(&clustered, true);
}

/* Stops the cluster test's server, also after a failed test. */
static int teardown_cluster(void **state)
{
	(void)state;
	return conn_close(&clustered);
}

/* On a Redis Cluster every call is accepted, and every key lies in the task's slot. */
static void test_cluster(void **state)
{
	struct conn *c = &clustered;
	redisReply *r;
	struct taskstore *ts;

	(void)state;
	/* The control: this server refuses a call across slots. */
	r = redisserver_command(&c->srv, "EVAL %s 2 foo bar", "return 1");
	assert_int_equal(r->type, REDIS_REPLY_ERROR);
	assert_non_null(strstr(r->str, "CROSSSLOT"));
	freeReplyObject(r);

	round_trip(c);
	ts = taskstore_new(c->redis, "fb:", "feedbackd", 3, 1000);
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

/* Redis's CPU over one commit of cs: INFO cpu and the script's own commandstats time. */
static void measure(struct taskstore *ts, struct taskstore_changes *cs, const char *what, double units)
{
	double cpu, usec;
	size_t bytes = taskstore_changes_bytes(cs); /* the commit empties cs */

	freeReplyObject(redisserver_command(&plain.srv, "CONFIG RESETSTAT"));
	cpu = info_field("cpu", "used_cpu_user:") + info_field("cpu", "used_cpu_sys:");
	assert_int_equal(commit(&plain, ts, cs), TASKSTORE_OK);
	cpu = info_field("cpu", "used_cpu_user:") + info_field("cpu", "used_cpu_sys:") - cpu;
	usec = info_field("commandstats", "cmdstat_evalsha:calls=1,usec=");
	printf("measure: %s: %zu bytes, Redis CPU %.0f us (%.2f us per unit), script %.0f us (%.2f us per unit)\n",
	    what, bytes, cpu * 1e6, cpu * 1e6 / units, usec, usec / units);
}

/* With TASKSTORE_MEASURE set: Redis's CPU per committed 2.5 KB agent blob and dedupe record. */
static void test_measure(void **state)
{
	struct taskstore *ts;
	struct taskstore_changes *agents, *dedupe, *both;
	char blob[2500];
	unsigned char rec[TASKSTORE_DEDUPE_SIZE];
	int64_t now = now_ms();
	char id[24];

	(void)state;
	if (getenv("TASKSTORE_MEASURE") == NULL)
		skip();
	ts = taskstore_new(plain.redis, "fb:", "g", 5, 3600000);
	agents = taskstore_changes_new(ts);
	dedupe = taskstore_changes_new(ts);
	both = taskstore_changes_new(ts);
	own(&plain, ts);
	memset(blob, 'b', sizeof(blob));
	for (int i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "agent-%05d", i);
		assert_true(taskstore_put(agents, TASKSTORE_AGENT, id, strlen(id), blob, sizeof(blob)));
		assert_true(taskstore_put(both, TASKSTORE_AGENT, id, strlen(id), blob, sizeof(blob)));
	}
	for (int i = 0; i < 30000; i++) {
		memcpy(rec, &i, sizeof(i));
		memset(rec + sizeof(i), 'r', sizeof(rec) - sizeof(i));
		assert_true(taskstore_dedupe(dedupe, rec, now + 86400000 + i));
		assert_true(taskstore_dedupe(both, rec, now + 86400000 + i));
	}
	measure(ts, agents, "10,000 agents of 2.5 KB (first write)", 10000);
	measure(ts, agents, "10,000 agents of 2.5 KB (overwrite)", 10000);
	measure(ts, dedupe, "30,000 dedupe records", 30000);
	measure(ts, both, "10,000 agents + 30,000 dedupe records", 10000 + 30000);
	taskstore_changes_free(agents);
	taskstore_changes_free(dedupe);
	taskstore_changes_free(both);
	taskstore_free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_round_trip, flush),
	    cmocka_unit_test_setup(test_fencing, flush),
	    cmocka_unit_test_setup(test_retry_is_noop, flush),
	    cmocka_unit_test_setup(test_script_guards, flush),
	    cmocka_unit_test_setup(test_dedupe_segments, flush),
	    cmocka_unit_test_setup(test_big_restore, flush),
	    cmocka_unit_test_setup_teardown(test_cluster, setup_cluster, teardown_cluster),
	    cmocka_unit_test_setup(test_measure, flush),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
