/*
 * testutil_taskstore.h: the fixture the task store test drivers share: a private redis-server
 * with the daemon's async connection in a libevent loop, the last call's answer and what a
 * restore streamed back, and helpers to claim, restore, commit and check.
 */
#ifndef FEEDBACKD_TESTUTIL_TASKSTORE_H
#define FEEDBACKD_TESTUTIL_TASKSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>

#include "config.h"
#include "metrics.h"
#include "redis.h"
#include "redisserver.h"
#include "taskstore.h"

/* The dedupe horizon of the restores. */
#define TEST_HORIZON_MS 10000

/* One server and the daemon's async connection to it. */
struct test_conn {
	struct redisserver srv;
	struct config cfg;
	struct metrics metrics;
	struct event_base *base;
	struct redis *redis;
	bool up;
};

/* What the last call answered, and what a restore streamed back. */
struct test_got {
	bool answered;
	enum taskstore_result res;
	uint64_t gen, seq;
	int metas;
	char pos[64];
	ssize_t pos_len;                /* -1: no positions */
	char *entries[64];              /* "kind:id=blob", sorted by test_check_entries */
	size_t n;
	unsigned char dd[64 * TASKSTORE_DEDUPE_SIZE];
	size_t dd_n;
	unsigned char *seen;            /* the big test's agents seen, by number */
	size_t big_entries;
};

/* The standalone server every test but the cluster one runs against; what the last call answered. */
extern struct test_conn test_plain;
extern struct test_got test_got;

/* Wall time in ms: Redis expires the segment keys by its own clock. */
int64_t test_now_ms(void);

/* Runs c's loop until the last call answered (or, with want_up, until c is up again). */
void test_run_until(struct test_conn *c, bool want_up);

/* Starts a server (a cluster one with cluster) and connects the async client; 0 on success. */
int test_conn_open(struct test_conn *c, bool cluster);

/* Disconnects and stops the server; 0 when nothing was left behind. */
int test_conn_close(struct test_conn *c);

/* The group's server. */
int test_setup_plain(void **state);

/* Stops the group's server. */
int test_teardown_plain(void **state);

/* Commit answers. */
void test_on_commit(void *arg, enum taskstore_result res);

/* A restore's meta. */
void test_on_meta(void *arg, uint64_t gen, uint64_t seq, const void *pos, size_t pos_len);

/* A restore's dedupe records. */
void test_on_dedupe(void *arg, const unsigned char *records, size_t n);

/* A restore's end. */
void test_on_done(void *arg, enum taskstore_result res);

/* Forgets the last answer and restore. */
void test_got_reset(void);

/* Each test starts from an empty database and no answer. */
int test_flush(void **state);

/* Claims ts and returns the result, with the generation in test_got.gen. */
enum taskstore_result test_claim(struct test_conn *c, struct taskstore *ts);

/* Restores ts at now into got and returns the result. */
enum taskstore_result test_restore(struct test_conn *c, struct taskstore *ts, int64_t now);

/* Commits cs and returns the result. */
enum taskstore_result test_commit(struct test_conn *c, struct taskstore *ts, struct taskstore_changes *cs);

/* The restored entries are exactly want (in any order). */
void test_check_entries(const char *const *want, size_t n);

/* The restored dedupe records are exactly want's n records (in any order). */
void test_check_records(unsigned char (*want)[TASKSTORE_DEDUPE_SIZE], size_t n);

/* A 16-byte record made of one repeated byte. */
const unsigned char *test_record(unsigned char (*buf)[TASKSTORE_DEDUPE_SIZE], unsigned char b);

/* Puts a NUL-terminated id and blob. */
void test_put(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id, const char *blob);

/* Deletes a NUL-terminated id. */
void test_del(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id);

/* An integer field of the task's meta hash, read directly (-1 when absent). */
long long test_meta_field(struct test_conn *c, const char *key, const char *field);

/* Claims and restores ts: a fresh owner ready to commit. */
void test_own(struct test_conn *c, struct taskstore *ts);

#endif
