/*
 * test_taskstore_big.c: a task store at scale, against a private redis-server: 100,000 agents
 * restored in pages of bounded memory; with TASKSTORE_MEASURE=1, Redis's CPU per committed
 * agent blob and dedupe record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil_taskstore.h"

#define BIG_AGENTS 100000
#define BIG_BLOB 200

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
	test_got.seen[i] = 1;
	test_got.big_entries++;
}

/* A field of INFO's text, as a number (0 when absent). */
static double info_field(const char *section, const char *field)
{
	redisReply *r = redisserver_command(&test_plain.srv, "INFO %s", section);
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
	struct taskstore *ts = taskstore_new(test_plain.redis, "fb:", "g", 4, 1000, NULL);
	struct taskstore_changes *cs = taskstore_changes_new(ts);
	struct taskstore_restore_fns fns = {test_on_meta, on_big_entry, test_on_dedupe, test_on_done};
	char id[16], blob[BIG_BLOB];
	unsigned char *seen = calloc(BIG_AGENTS, 1);
	double scans;
	long before, grown;

	(void)state;
	test_own(&test_plain, ts);
	for (size_t i = 0; i < BIG_AGENTS; i++) {
		snprintf(id, sizeof(id), "a%zu", i);
		big_blob(blob, i);
		assert_true(taskstore_put(cs, TASKSTORE_AGENT, id, strlen(id), blob, BIG_BLOB));
		/* Change sets of 5 MB: each clear frees them (over 4 MiB), the next one grows anew. */
		if ((i + 1) % 25000 == 0) {
			assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_OK);
			taskstore_changes_clear(cs);
		}
	}
	freeReplyObject(redisserver_command(&test_plain.srv, "CONFIG RESETSTAT"));
	peak_rss_reset();
	before = peak_rss_kb();
	test_got_reset();
	test_got.seen = seen;
	assert_true(taskstore_restore(ts, test_now_ms(), TEST_HORIZON_MS, &fns, NULL));
	test_run_until(&test_plain, false);
	assert_int_equal(test_got.res, TASKSTORE_OK);
	assert_true(test_got.big_entries >= BIG_AGENTS);
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
	test_got.seen = NULL;
	free(seen);
	taskstore_changes_free(cs);
	taskstore_free(ts);
}

/* Redis's CPU over one commit of cs: INFO cpu and the script's own commandstats time. */
static void measure(struct taskstore *ts, struct taskstore_changes *cs, const char *what, double units)
{
	double cpu, usec;
	size_t bytes = taskstore_changes_bytes(cs); /* the commit empties cs */

	freeReplyObject(redisserver_command(&test_plain.srv, "CONFIG RESETSTAT"));
	cpu = info_field("cpu", "used_cpu_user:") + info_field("cpu", "used_cpu_sys:");
	assert_int_equal(test_commit(&test_plain, ts, cs), TASKSTORE_OK);
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
	int64_t now = test_now_ms();
	char id[24];

	(void)state;
	if (getenv("TASKSTORE_MEASURE") == NULL)
		skip();
	ts = taskstore_new(test_plain.redis, "fb:", "g", 5, 3600000, NULL);
	agents = taskstore_changes_new(ts);
	dedupe = taskstore_changes_new(ts);
	both = taskstore_changes_new(ts);
	test_own(&test_plain, ts);
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
	for (int i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "agent-%05d", i);
		assert_true(taskstore_put(agents, TASKSTORE_AGENT, id, strlen(id), blob, sizeof(blob)));
	}
	measure(ts, agents, "10,000 agents of 2.5 KB (overwrite)", 10000);
	measure(ts, dedupe, "30,000 dedupe records", 30000);
	measure(ts, both, "10,000 agents + 30,000 dedupe records", 10000 + 30000);
	taskstore_changes_free(agents);
	taskstore_changes_free(dedupe);
	taskstore_changes_free(both);
	taskstore_free(ts);
}

/* Runs the big tests against a standalone server. */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_big_restore, test_flush),
	    cmocka_unit_test_setup(test_measure, test_flush),
	};

	return cmocka_run_group_tests(tests, test_setup_plain, test_teardown_plain);
}
