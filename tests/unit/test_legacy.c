/*
 * test_legacy.c: the start-up check for the previous release's keys and the Redis half of
 * --rebuild (brokers = embedded, so Kafka has nothing to reset), against a private
 * redis-server: which keys are found, exactly which are deleted, the counts printed.
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

#include "config.h"
#include "legacy.h"
#include "log.h"
#include "redisserver.h"

/* Keys of the big seed, spread over the families, so the sweep takes many SCAN steps. */
#define BIG_KEYS 5000

/* One key of a seeded Redis, and whether --rebuild must delete it. */
struct seed {
	const char *key;
	bool doomed;
};

/* Every kind of key under prefix "fb:" and group "g", and its fate, written out by hand. */
static const struct seed mixed[] = {
	/* the previous release */
	{"fb:offsets:g", true},
	{"fb:due", true},
	{"fb:clocks", true},
	{"fb:outbox", true},
	{"fb:outbox:json", true},
	{"fb:outbox:lease", true},
	{"fb:rules:active", true},
	{"fb:evt:e-1", true},
	{"fb:ticket:{t-1}", true},
	{"fb:agent:{a-1}:b:1h:42", true},
	{"fb:agent:{a-1}:sums", true},
	{"fb:agent:{a-1}:totals", true},
	{"fb:agent:{a-1}:written", true},
	{"fb:agent:{a-1}:rules", true},
	/* the contract keys and this group's checkpoints */
	{"fb:agent:{a-1}:stats", true},
	{"fb:agent:{a-2}:alerts", true},
	{"fb:agents", true},
	{"fb:alerts", true},
	{"{fb:alerts}:sent", true},
	{"fb:task:{g:0}:meta", true},
	{"fb:task:{g:13}:agents", true},
	/* kept: another group's state, the dead-letter positions, look-alikes, other prefixes */
	{"fb:offsets:other", false},
	{"fb:task:{other:0}:meta", false},
	{"fb:task:{g2:0}:meta", false},
	{"fb:dlq:g", false},
	{"fb:agentsX", false},
	{"fb:evt", false},
	{"fbx:agent:{a-1}:stats", false},
	{"other:due", false},
	{"{fb:alerts}:sentX", false},
};
#define MIXED_COUNT (sizeof(mixed) / sizeof(mixed[0]))

static struct redisserver srv;
static char dir[] = "/tmp/test_legacy.XXXXXX";

/* Loads a configuration for the test's server with this prefix and group (brokers = embedded). */
static void load(struct config *cfg, const char *prefix, const char *group, int port)
{
	char path[128], err[CONFIG_ERROR_SIZE];
	FILE *f;

	snprintf(path, sizeof(path), "%s/feedbackd.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[kafka]\nbrokers = embedded\ngroup = %s\n[redis]\nhost = 127.0.0.1\nport = %d\nprefix = %s\n"
	    "timeout = 2s\n[windows]\nsizes = 1h,7d\n", group, port, prefix);
	fclose(f);
	config_defaults(cfg);
	if (!config_load(cfg, path, err, sizeof(err)))
		fail_msg("config: %s", err);
}

/* Sets one key (a string: --rebuild does not look at types). */
static void set_key(const char *key)
{
	redisReply *r = redisserver_command(&srv, "SET %s 1", key);

	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
}

/* Orders strings for qsort. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every key in the server, sorted, one per line (KEYS: the test's Redis is small). */
static char *all_keys(void)
{
	redisReply *r = redisserver_command(&srv, "KEYS *");
	char **keys, *out;
	size_t size = 1;

	assert_non_null(r);
	keys = calloc(r->elements + 1, sizeof(*keys));
	assert_non_null(keys);
	for (size_t i = 0; i < r->elements; i++) {
		keys[i] = r->element[i]->str;
		size += r->element[i]->len + 1;
	}
	qsort(keys, r->elements, sizeof(*keys), cmp_str);
	out = calloc(1, size);
	assert_non_null(out);
	for (size_t i = 0; i < r->elements; i++) {
		strcat(out, keys[i]);
		strcat(out, "\n");
	}
	free(keys);
	freeReplyObject(r);
	return out;
}

/* The keys of seeds that survive a rebuild, sorted, one per line. */
static char *survivors(const struct seed *seeds, size_t n)
{
	const char **keys = calloc(n + 1, sizeof(*keys));
	char *out = calloc(1, 4096);
	size_t k = 0;

	assert_non_null(keys);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		if (!seeds[i].doomed)
			keys[k++] = seeds[i].key;
	qsort(keys, k, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < k; i++) {
		strcat(out, keys[i]);
		strcat(out, "\n");
	}
	free(keys);
	return out;
}

/* Runs --rebuild with stdout in a file; returns its status and its summary's two counts. */
static int rebuild(const struct config *cfg, unsigned long *deleted, unsigned long *scanned)
{
	char path[128], text[8192];
	const char *done;
	int saved, fd, rc;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/stdout", dir);
	fflush(stdout);
	saved = dup(1);
	f = fopen(path, "w+");
	assert_non_null(f);
	fd = fileno(f);
	dup2(fd, 1);
	rc = legacy_rebuild(cfg);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	*deleted = *scanned = (unsigned long)-1;
	done = strstr(text, "rebuild: done: ");
	if (rc == 0) {
		assert_non_null(done);
		assert_int_equal(sscanf(done, "rebuild: done: %lu keys deleted (scanned %lu)", deleted, scanned), 2);
		/* Its last progress line says the same before the summary. */
		assert_non_null(strstr(text, "keys deleted (scanned"));
		assert_true(strstr(text, "keys deleted (scanned") < done);
	}
	return rc;
}

/* Empties the server before each test. */
static int flush_db(void **state)
{
	redisReply *r = redisserver_command(&srv, "FLUSHALL");

	(void)state;
	freeReplyObject(r);
	return r == NULL;
}

/* An empty Redis, or one with only this release's keys, passes; so do old keys that are no marker. */
static void test_check_passes(void **state)
{
	struct config cfg;

	(void)state;
	load(&cfg, "fb:", "g", srv.port);
	assert_true(legacy_check(&cfg));
	set_key("fb:agent:{a-1}:stats");
	set_key("fb:agents");
	set_key("fb:task:{g:0}:meta");
	set_key("fb:dlq:g");
	set_key("fb:offsets:other"); /* another group's */
	set_key("fb:evt:e-1");
	set_key("fb:outbox:json");
	assert_true(legacy_check(&cfg));
	config_free(&cfg);
}

/* Each marker alone refuses the start, and the check changes nothing. */
static void test_check_each_marker(void **state)
{
	static const char *const markers[] = {"fb:offsets:g", "fb:due", "fb:clocks", "fb:outbox", "fb:rules:active",
	    "fb:rebuild"};
	struct config cfg;

	(void)state;
	load(&cfg, "fb:", "g", srv.port);
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		char want[128], *got;

		set_key(markers[i]);
		assert_false(legacy_check(&cfg));
		snprintf(want, sizeof(want), "%s\n", markers[i]);
		got = all_keys();
		assert_string_equal(got, want);
		free(got);
		flush_db(NULL);
	}
	config_free(&cfg);
}

/* Exactly the doomed keys go; the counts printed are exact; the start is then allowed. */
static void test_rebuild_mixed(void **state)
{
	struct config cfg;
	unsigned long deleted, scanned, doomed = 0, under_prefix = 0;
	char *want, *got;

	(void)state;
	load(&cfg, "fb:", "g", srv.port);
	for (size_t i = 0; i < MIXED_COUNT; i++) {
		set_key(mixed[i].key);
		doomed += mixed[i].doomed;
		under_prefix += strncmp(mixed[i].key, "fb:", 3) == 0;
	}
	assert_false(legacy_check(&cfg));
	assert_int_equal(rebuild(&cfg, &deleted, &scanned), 0);
	assert_int_equal(deleted, doomed);
	/* The SCAN covers the prefix, its own marker (P rebuild) included. */
	assert_int_equal(scanned, under_prefix + 1);
	want = survivors(mixed, MIXED_COUNT);
	got = all_keys();
	assert_string_equal(got, want);
	free(got);
	assert_true(legacy_check(&cfg));
	/* Twice is harmless: nothing more to delete. */
	assert_int_equal(rebuild(&cfg, &deleted, &scanned), 0);
	assert_int_equal(deleted, 0);
	got = all_keys();
	assert_string_equal(got, want);
	free(got);
	free(want);
	config_free(&cfg);
}

/* Many keys: the pipelined sweep over many SCAN steps deletes every one of them. */
static void test_rebuild_big(void **state)
{
	static const char *const kinds[] = {"fb:evt:e-", "fb:agent:{a-", "fb:ticket:{t-", "fb:task:{g:",
	    "fb:dlq:keep-"};
	struct config cfg;
	unsigned long deleted, scanned;
	redisReply *r;

	(void)state;
	load(&cfg, "fb:", "g", srv.port);
	for (int i = 0; i < BIG_KEYS; i++) {
		char key[64];

		snprintf(key, sizeof(key), "%s%d}", kinds[i % 5], i);
		set_key(key);
	}
	assert_int_equal(rebuild(&cfg, &deleted, &scanned), 0);
	assert_int_equal(deleted, BIG_KEYS / 5 * 4);
	assert_int_equal(scanned, BIG_KEYS + 1);
	r = redisserver_command(&srv, "DBSIZE");
	assert_int_equal(r->integer, BIG_KEYS / 5);
	freeReplyObject(r);
	config_free(&cfg);
}

/* A prefix with glob characters is matched literally: "f?[b]:" is not "fx[b]:" nor "fxb:". */
static void test_rebuild_glob_prefix(void **state)
{
	static const struct seed seeds[] = {
		{"f?[b]*:evt:e-1", true},
		{"f?[b]*:agent:{a}:stats", true},
		{"f?[b]*:agents", true},
		{"{f?[b]*:alerts}:sent", true},
		{"fx[b]*:evt:e-1", false},
		{"f?b*:evt:e-1", false},
		{"f?[b]x:evt:e-1", false},
	};
	struct config cfg;
	unsigned long deleted, scanned;
	char *want, *got;

	(void)state;
	load(&cfg, "f?[b]*:", "g", srv.port);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		set_key(seeds[i].key);
	assert_int_equal(rebuild(&cfg, &deleted, &scanned), 0);
	assert_int_equal(deleted, 4);
	assert_int_equal(scanned, 3 + 1);
	want = survivors(seeds, sizeof(seeds) / sizeof(seeds[0]));
	got = all_keys();
	assert_string_equal(got, want);
	free(got);
	free(want);
	config_free(&cfg);
}

/* No Redis: --rebuild fails (status 1) rather than report success. */
static void test_rebuild_no_redis(void **state)
{
	struct config cfg;
	unsigned long deleted, scanned;

	(void)state;
	load(&cfg, "fb:", "g", 1); /* nothing listens on port 1 */
	assert_int_equal(rebuild(&cfg, &deleted, &scanned), 1);
	config_free(&cfg);
}

/* Starts the server and the temp dir. */
static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return 1;
	return redisserver_start(&srv, false) ? 0 : 1;
}

/* Stops the server and removes the temp dir's files. */
static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/feedbackd.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	unlink(path);
	rmdir(dir);
	return redisserver_stop(&srv) ? 0 : 1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_check_passes, flush_db),
		cmocka_unit_test_setup(test_check_each_marker, flush_db),
		cmocka_unit_test_setup(test_rebuild_mixed, flush_db),
		cmocka_unit_test_setup(test_rebuild_big, flush_db),
		cmocka_unit_test_setup(test_rebuild_glob_prefix, flush_db),
		cmocka_unit_test_setup(test_rebuild_no_redis, flush_db),
	};

	/* The refusals are logged at err: quiet them. */
	log_setup(LOG_CRIT, false);
	return cmocka_run_group_tests_name("legacy", tests, setup, teardown);
}
