/*
 * test_view_alert.c: alerts as src/io/view.c writes them (each message once into the stream,
 * the agent's alerts hash, the sent set's trimming) into a private redis-server; and, on one
 * with cluster-enabled owning every slot, the key names' slots (the sent set in the stream's),
 * every kind of call accepted, and the control that a cross-slot call is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scripts.h"
#include "testutil_view.h"

/* Asserts the stream holds exactly the n given JSON messages, oldest first, in field alert. */
static void assert_stream(const char *const *json, size_t n)
{
	redisReply *r = test_cmd("XRANGE fb:alerts - +");

	assert_int_equal(r->elements, n);
	for (size_t i = 0; i < n; i++) {
		const redisReply *fields = r->element[i]->element[1];

		assert_int_equal(fields->elements, 2);
		assert_string_equal(fields->element[0]->str, "alert");
		assert_string_equal(fields->element[1]->str, json[i]);
	}
	freeReplyObject(r);
}

/* Each message reaches the stream once across re-sends; the hash follows firing/resolved. */
static void test_alerts_once(void **state)
{
	const char *fire = "{\"alert_id\":\"e9ad6453a31ea751\",\"state\":\"firing\"}";
	const char *resolve = "{\"alert_id\":\"e9ad6453a31ea751\",\"state\":\"resolved\"}";
	const char *remind = "{\"alert_id\":\"e9ad6453a31ea751\",\"state\":\"firing\",\"repeat\":true}";
	const char *all[] = {fire, resolve, remind};
	struct view_flush *f;
	redisReply *r;

	(void)state;
	for (int send = 0; send < 3; send++) {
		f = view_flush_begin(test_cur->view);
		view_alert(f, "e9ad6453a31ea751:firing:1000", "a17", "", "csat_below", true, fire, TEST_NOW + send);
		if (send == 0) /* twice in one flush too */
			view_alert(f, "e9ad6453a31ea751:firing:1000", "a17", "", "csat_below", true, fire, TEST_NOW);
		assert_true(test_finish(f));
		assert_stream(all, 1);
		r = test_cmd("HGETALL fb:agent:{a17}:alerts");
		assert_int_equal(r->elements, 2);
		assert_string_equal(r->element[0]->str, "csat_below");
		assert_string_equal(r->element[1]->str, fire);
		freeReplyObject(r);
	}
	r = test_cmd("ZSCORE {fb:alerts}:sent e9ad6453a31ea751:firing:1000");
	assert_string_equal(r->str, "1795341660123"); /* the first send's time */
	freeReplyObject(r);
	for (int send = 0; send < 3; send++) {
		f = view_flush_begin(test_cur->view);
		view_alert(f, "e9ad6453a31ea751:resolved:2000", "a17", "", "csat_below", false, resolve, TEST_NOW + 10);
		assert_true(test_finish(f));
		assert_stream(all, 2);
		assert_int_equal(test_cmd_int("EXISTS fb:agent:{a17}:alerts"), 0);
	}
	/* a reminder is another message of the same episode */
	f = view_flush_begin(test_cur->view);
	view_alert(f, "e9ad6453a31ea751:firing:3000", "a17", "", "csat_below", true, remind, TEST_NOW + 20);
	view_alert(f, "e9ad6453a31ea751:firing:3000", "a17", "", "csat_below", true, remind, TEST_NOW + 20);
	assert_true(test_finish(f));
	assert_stream(all, 3);
	assert_int_equal(test_cmd_int("ZCARD {fb:alerts}:sent"), 3);
	assert_int_equal(test_cmd_int("HLEN fb:agent:{a17}:alerts"), 1);
}

/*
 * wait_replicas: an alert's flush is ok only once a replica holds its writes (WAIT after
 * them); with none in time it fails, so the deliverer sends the alert again.
 */
static void test_alert_wait_replicas(void **state)
{
	const struct redis_wait wait = {1, 500}; /* a replica acks within 1 s: room on a busy machine */
	struct view *v = view_new(test_cur->redis, "fb:", &test_config.windows, &wait, 1);
	const char *fire = "{\"alert_id\":\"0c5d\",\"state\":\"firing\"}";
	struct redisserver replica = {0};
	struct view_flush *f;
	redisReply *r;

	(void)state;
	assert_non_null(v);
	f = view_flush_begin(v);
	view_alert(f, "0c5d:firing:1000", "a3", "", "csat_below", true, fire, TEST_NOW);
	assert_false(test_finish(f)); /* no replica: written, not confirmed */
	assert_int_equal(test_calls_of("wait"), 2); /* the stream's slot and the agent's */
	assert_stream((const char *[]){fire}, 1);

	assert_true(redisserver_start(&replica, false));
	assert_true(redisserver_replicate(&replica, &test_cur->rs));
	f = view_flush_begin(v);
	view_alert(f, "0c5d:firing:1000", "a3", "", "csat_below", true, fire, TEST_NOW);
	assert_true(test_finish(f));
	assert_stream((const char *[]){fire}, 1); /* sent again, appended once */
	r = redisserver_command(&replica, "HGET fb:agent:{a3}:alerts csat_below");
	assert_non_null(r);
	assert_string_equal(r->str, fire);
	freeReplyObject(r);
	assert_true(redisserver_stop(&replica));
	view_free(v);
}

/* Runs the view_alert script directly with a small horizon and size bound. */
static long long run_alert_script(const char *id, long long now, long long horizon, long long max)
{
	redisReply *r = test_cmd("EVAL %s 2 fb:alerts {fb:alerts}:sent %s {} %lld %lld %lld 10000",
	    script_src_view_alert, id, now, horizon, max);
	long long n;

	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

/* The sent set forgets identities older than the horizon and the oldest beyond its bound. */
static void test_sent_trimmed(void **state)
{
	redisReply *r;

	(void)state;
	assert_int_equal(run_alert_script("x1", 1000, 100, 2), 1);
	assert_int_equal(run_alert_script("x2", 1001, 100, 2), 1);
	assert_int_equal(run_alert_script("x3", 1002, 100, 2), 1); /* over the bound: x1 goes */
	r = test_cmd("ZRANGE {fb:alerts}:sent 0 -1");
	assert_int_equal(r->elements, 2);
	assert_string_equal(r->element[0]->str, "x2");
	assert_string_equal(r->element[1]->str, "x3");
	freeReplyObject(r);
	assert_int_equal(run_alert_script("x2", 1050, 100, 2), 0);
	assert_int_equal(run_alert_script("x4", 1101, 100, 10), 1); /* x2 (1001) is 100 ms old: kept */
	assert_int_equal(test_cmd_int("ZCARD {fb:alerts}:sent"), 3);
	assert_int_equal(run_alert_script("x5", 1102, 100, 10), 1); /* now x2 is older than 100 ms */
	r = test_cmd("ZRANGE {fb:alerts}:sent 0 -1");
	assert_int_equal(r->elements, 3);
	assert_string_equal(r->element[0]->str, "x3");
	assert_string_equal(r->element[1]->str, "x4");
	assert_string_equal(r->element[2]->str, "x5");
	freeReplyObject(r);
	assert_int_equal(test_cmd_int("XLEN fb:alerts"), 5);
}

/* Key names: the contract templates, and the sent set in the stream's slot for any prefix. */
static void test_keys(void **state)
{
	const char *prefixes[] = {"fb:", "{t}:", "x{:", "p{q}{r}:"};
	char buf[VIEW_KEY_SIZE], stream[VIEW_KEY_SIZE], tiny[8];

	(void)state;
	assert_true(view_key_stats("fb:", "a17", buf, sizeof(buf)));
	assert_string_equal(buf, "fb:agent:{a17}:stats");
	assert_true(view_key_alerts("fb:", "a17", buf, sizeof(buf)));
	assert_string_equal(buf, "fb:agent:{a17}:alerts");
	assert_true(view_key_agents("fb:", 1, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "fb:agents");
	assert_true(view_key_agents("fb:", 16, 15, buf, sizeof(buf)));
	assert_string_equal(buf, "fb:agents:15");
	assert_true(view_key_stream("fb:", buf, sizeof(buf)));
	assert_string_equal(buf, "fb:alerts");
	assert_true(view_key_sent("fb:", buf, sizeof(buf)));
	assert_string_equal(buf, "{fb:alerts}:sent");
	assert_false(view_key_stats("fb:", "a17", tiny, sizeof(tiny)));
	assert_false(view_key_sent("a}b:", buf, sizeof(buf))); /* no tag could name its slot */
	assert_false(view_key_sent("x{}:", buf, sizeof(buf))); /* an empty tag is none */
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		assert_true(view_key_stream(prefixes[i], stream, sizeof(stream)));
		assert_true(view_key_sent(prefixes[i], buf, sizeof(buf)));
		assert_int_equal(test_cmd_int("CLUSTER KEYSLOT %s", stream), test_cmd_int("CLUSTER KEYSLOT %s", buf));
	}
}

/*
 * agents_shards = 4: each agent is in fb:agents:<k>, k its id's cluster slot mod 4, with its
 * newest time (GT), and fb:agents is not written; one ZADD per shard touched.
 */
static void test_agent_index_shards(void **state)
{
	const char *agents[] = {"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "{x}y"};
	struct view *v = view_new(test_cur->redis, "fb:", &test_config.windows, NULL, 4);
	struct view_flush *f;
	bool used[4] = {false};
	int zadds = 0;

	(void)state;
	assert_non_null(v);
	f = view_flush_begin(v);
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++) {
		view_agent_seen(f, agents[i], TEST_NOW + (int64_t)i);
		view_agent_seen(f, agents[i], TEST_NOW - 1000); /* GT: never lowers the score */
	}
	assert_true(test_finish(f));
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++) {
		long long k = test_cmd_int("CLUSTER KEYSLOT %s", agents[i]) % 4;
		redisReply *r = test_cmd("ZSCORE fb:agents:%lld %s", k, agents[i]);

		assert_int_equal(r->type, REDIS_REPLY_STRING);
		assert_int_equal(strtoll(r->str, NULL, 10), TEST_NOW + (long long)i);
		freeReplyObject(r);
		used[k] = true;
	}
	for (int k = 0; k < 4; k++)
		zadds += used[k];
	assert_int_equal(test_calls_of("zadd"), zadds);
	assert_int_equal(test_cmd_int("EXISTS fb:agents"), 0);
	view_free(v);
}

/* Every kind of call is accepted by a cluster node, in every stats path: whole, HSET, HSET with HDEL. */
static void test_cluster_accepts(void **state)
{
	struct view_flush *f = view_flush_begin(test_cur->view);
	struct totals full[4], mixed_t[4];
	view_memo_t memo1[TEST_MEMO_FIELDS], memo2[TEST_MEMO_FIELDS];

	(void)state;
	for (int i = 0; i < TEST_MEMO_FIELDS; i++)
		memo1[i] = memo2[i] = VIEW_MEMO_UNKNOWN;
	test_fill_totals(full, true);
	test_fill_totals(mixed_t, false);
	view_agent_stats(f, "a1", full, 1, 0, TEST_NOW, memo1);
	view_agent_stats(f, "a1", full, 1, 0, TEST_NOW, memo1);
	view_agent_stats(f, "a2", full, 1, 0, TEST_NOW, memo2);
	view_agent_stats(f, "a2", mixed_t, 1, 0, TEST_NOW, memo2);
	view_agent_seen(f, "a1", 5);
	view_agent_seen(f, "a2", 6);
	view_alert(f, "k:firing:1", "a1", "", "csat_below", true, "{\"state\":\"firing\"}", TEST_NOW);
	view_alert(f, "k:resolved:2", "a1", "", "csat_below", false, "{\"state\":\"resolved\"}", TEST_NOW);
	assert_true(test_finish(f));
	test_assert_stats("fb:agent:{a1}:stats", true, "1", "0", "1795341660123");
	test_assert_stats("fb:agent:{a2}:stats", false, "1", "0", "1795341660123");
	assert_int_equal(test_cmd_int("ZCARD fb:agents"), 2);
	assert_int_equal(test_cmd_int("XLEN fb:alerts"), 2);
	assert_int_equal(test_cmd_int("EXISTS fb:agent:{a1}:alerts"), 0);
	assert_int_equal(test_calls_of("exec"), 3);  /* two whole writes and a2's HSET with HDEL */
	assert_int_equal(test_calls_of("del"), 2);
}

/* The control: the same node refuses calls that span slots, so the test above can fail. */
static void test_cluster_refuses_cross_slot(void **state)
{
	redisReply *r;

	(void)state;
	r = test_cmd("EVAL %s 2 fb:alerts fb:agents i {} 1 1 1 1", script_src_view_alert);
	assert_int_equal(r->type, REDIS_REPLY_ERROR);
	assert_non_null(strstr(r->str, "CROSSSLOT"));
	freeReplyObject(r);
	freeReplyObject(test_cmd("MULTI"));
	freeReplyObject(test_cmd("HSET fb:agent:{a1}:stats f v"));
	freeReplyObject(test_cmd("HDEL fb:agent:{a2}:stats f"));
	r = test_cmd("EXEC");
	assert_int_equal(r->type, REDIS_REPLY_ERROR);
	assert_non_null(strstr(r->str, "CROSSSLOT"));
	freeReplyObject(r);
	assert_int_equal(test_cmd_int("EXISTS fb:agent:{a1}:stats"), 0);
}

/*
 * A script call whose declared keys are in different slots is a programming error the
 * daemon refuses before sending: nothing reaches Redis, in any mode.
 */
static void test_script_keys_one_slot(void **state)
{
	const char *argv[] = {"fb:alerts", "fb:agents", "i", "{}", "1", "1", "1", "1"};
	unsigned slot;
	size_t len;
	char *cmd;

	(void)state;
	assert_false(redis_script_keys(test_cur->redis, SCRIPT_VIEW_ALERT, 2, 8, argv, NULL, NULL, NULL));
	assert_null(redis_script_format(test_cur->redis, SCRIPT_VIEW_ALERT, 2, 8, argv, NULL, &len, NULL));
	assert_int_equal(test_calls_of("evalsha") + test_calls_of("eval"), 0);
	argv[1] = "{fb:alerts}:sent"; /* the same slot: formatted */
	cmd = redis_script_format(test_cur->redis, SCRIPT_VIEW_ALERT, 2, 8, argv, NULL, &len, &slot);
	assert_non_null(cmd);
	assert_int_equal(slot, test_cmd_int("CLUSTER KEYSLOT fb:alerts"));
	free(cmd);
}

/* Runs the standalone and the cluster groups. */
int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test_setup(test_alerts_once, test_flush_db),
		cmocka_unit_test_setup(test_sent_trimmed, test_flush_db),
		cmocka_unit_test_setup(test_alert_wait_replicas, test_flush_db),
	};
	const struct CMUnitTest cluster[] = {
		cmocka_unit_test_setup(test_keys, test_flush_db),
		cmocka_unit_test_setup(test_cluster_accepts, test_flush_db),
		cmocka_unit_test_setup(test_agent_index_shards, test_flush_db),
		cmocka_unit_test_setup(test_cluster_refuses_cross_slot, test_flush_db),
		cmocka_unit_test_setup(test_script_keys_one_slot, test_flush_db),
	};

	return cmocka_run_group_tests_name("view alerts (standalone)", plain, test_setup_plain, test_teardown_server) +
	    cmocka_run_group_tests_name("view (cluster)", cluster, test_setup_cluster, test_teardown_server);
}
