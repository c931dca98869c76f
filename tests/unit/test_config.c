/* test_config.c: loading a config file, its whole-file checks and the shipped example. */

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
#include "config_rule_teams.h"
#include "log.h"
#include "testutil.h"
#include "testutil_config.h"

/* NULL-aware string equality. */
static void
test_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Asserts two rule configurations are the same, field by field. */
static void
test_rule_equal(const struct rule_config *a, const struct rule_config *b)
{
	assert_int_equal(a->enabled, b->enabled);
	assert_int_equal(a->window, b->window);
	assert_true(a->threshold == b->threshold);
	assert_int_equal(a->min_samples, b->min_samples);
	assert_int_equal(a->confidence_mode, b->confidence_mode);
	assert_true(a->confidence == b->confidence);
	assert_true(a->margin == b->margin);
	assert_int_equal(a->for_ms, b->for_ms);
	assert_int_equal(a->repeat_ms, b->repeat_ms);
}

/* Asserts every setting of a and b is the same, the rdkafka lines excepted. */
static void
test_config_equal(const struct config *a, const struct config *b)
{
	test_str_equal(a->brokers, b->brokers);
	test_str_equal(a->group, b->group);
	test_str_equal(a->group_instance_id, b->group_instance_id);
	assert_int_equal(a->topic_count, b->topic_count);
	for (size_t i = 0; i < a->topic_count; i++)
		test_str_equal(a->topics[i], b->topics[i]);
	test_str_equal(a->dlq_topic, b->dlq_topic);
	test_str_equal(a->alerts_topic, b->alerts_topic);
	assert_int_equal(a->embedded_partitions, b->embedded_partitions);
	test_str_equal(a->redis_host, b->redis_host);
	assert_int_equal(a->redis_port, b->redis_port);
	test_str_equal(a->redis_socket, b->redis_socket);
	test_str_equal(a->redis_user, b->redis_user);
	test_str_equal(a->redis_password, b->redis_password);
	assert_int_equal(a->redis_db, b->redis_db);
	test_str_equal(a->prefix, b->prefix);
	assert_int_equal(a->redis_timeout_ms, b->redis_timeout_ms);
	assert_int_equal(a->redis_wait_replicas, b->redis_wait_replicas);
	assert_int_equal(a->redis_mode, b->redis_mode);
	assert_memory_equal(&a->redis_cluster, &b->redis_cluster, sizeof a->redis_cluster);
	assert_memory_equal(&a->redis_sentinels, &b->redis_sentinels, sizeof a->redis_sentinels);
	test_str_equal(a->redis_master_name, b->redis_master_name);
	assert_memory_equal(&a->windows, &b->windows, sizeof a->windows);
	assert_int_equal(a->refresh_ms, b->refresh_ms);
	assert_int_equal(a->batch_size, b->batch_size);
	assert_int_equal(a->dedupe_horizon_ms, b->dedupe_horizon_ms);
	assert_int_equal(a->max_future_ms, b->max_future_ms);
	assert_int_equal(a->reply_target_ms, b->reply_target_ms);
	for (int s = 0; s < SEVERITY_COUNT; s++)
		assert_int_equal(a->reply_target_severity_ms[s], b->reply_target_severity_ms[s]);
	assert_true(a->at_risk == b->at_risk);
	assert_int_equal(a->pair_horizon_ms, b->pair_horizon_ms);
	test_str_equal(a->http_listen, b->http_listen);
	assert_int_equal(a->log_level, b->log_level);
	assert_int_equal(a->tasks, b->tasks);
	test_str_equal(a->route_topic, b->route_topic);
	assert_int_equal(a->partitioner, b->partitioner);
	assert_int_equal(a->flush_interval_ms, b->flush_interval_ms);
	for (int r = 0; r < RULE_COUNT; r++)
		test_rule_equal(&a->rules[r], &b->rules[r]);
}

/* The shipped example file, found through automake's srcdir. */
static void
test_shipped_path(char *buf, size_t size)
{
	const char	*srcdir = getenv("srcdir");

	snprintf(buf, size, "%s/conf/feedbackd.conf", srcdir != NULL ? srcdir : ".");
}

/* An empty file, or one of comments and empty sections, is the defaults. */
static void
test_empty_file(void **state)
{
	struct fixture	*f = *state;
	struct config	 def;

	config_defaults(&def);
	test_loads(f, "");
	test_config_equal(&f->cfg, &def);
	assert_string_equal(f->cfg.path, f->path);
	test_loads(f, "; comment\n# another\n\n[kafka]\n[redis]\n   \n");
	test_config_equal(&f->cfg, &def);
	config_free(&def);
}

/* The shipped conf/feedbackd.conf loads as it is and equals the defaults. */
static void
test_shipped_conf(void **state)
{
	struct fixture	*f = *state;
	struct config	 def;
	char		 path[4096];

	test_shipped_path(path, sizeof path);
	if (!config_load(&f->cfg, path, f->err, sizeof f->err))
		fail_msg("%s", f->err);
	config_defaults(&def);
	test_config_equal(&f->cfg, &def);
	assert_int_equal(f->cfg.rdkafka_count, 0);
	config_free(&def);
}

/*
 * With every "#key = value" line of the shipped file uncommented it must still
 * equal the defaults: the documented defaults are the real ones, and every key
 * is documented. Only the rdkafka.* examples add something.
 */
static void
test_shipped_conf_documents_defaults(void **state)
{
	static const char *const keys[] = {
		"brokers", "group", "group_instance_id", "topics", "dlq_topic", "alerts_topic",
		"embedded_partitions", "host", "port", "socket", "user", "password",
		"db", "prefix", "timeout", "sizes", "refresh", "batch_size",
		"dedupe_horizon", "max_future", "reply_target", "reply_target.low",
		"reply_target.normal", "reply_target.high", "reply_target.critical",
		"at_risk", "pair_horizon", "listen", "level",
		"enabled", "window", "threshold", "min_samples", "mode", "confidence",
		"margin", "for", "repeat_interval", "tasks", "route_topic", "partitioner",
		"flush_interval",
	};
	struct fixture	*f = *state;
	struct config	 def;
	char		 path[4096], *text, *out, *o, *line, *save = NULL;
	size_t		 examples = 0;

	test_shipped_path(path, sizeof path);
	text = test_slurp(path);
	out = calloc(1, strlen(text) + 2);
	assert_non_null(out);
	o = out;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z') {
			line++;
			if (strncmp(line, "rdkafka.", 8) == 0)
				examples++;
		}
		o += sprintf(o, "%s\n", line);
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char	needle[64];

		snprintf(needle, sizeof needle, "\n%s = ", keys[i]);
		if (strstr(out, needle) == NULL) {
			snprintf(needle, sizeof needle, "\n%s =\n", keys[i]);
			if (strstr(out, needle) == NULL)
				fail_msg("key %s is not in %s", keys[i], path);
		}
	}
	test_loads(f, out);
	config_defaults(&def);
	test_config_equal(&f->cfg, &def);
	assert_true(examples > 0);
	assert_int_equal(f->cfg.rdkafka_count, examples);
	assert_string_equal(f->cfg.rdkafka[0].name, "security.protocol");
	config_free(&def);
	free(text);
	free(out);
}

/* A config can be loaded again over an earlier one, or over config_defaults. */
static void
test_reload(void **state)
{
	struct fixture	*f = *state;

	config_defaults(&f->cfg);
	test_loads(f, "[redis]\nsocket = /a\n[kafka]\ntopics = x,y\nrdkafka.a = 1\n");
	assert_string_equal(f->cfg.redis_socket, "/a");
	test_loads(f, "[redis]\nport = 1\n");
	assert_null(f->cfg.redis_socket);
	assert_int_equal(f->cfg.topic_count, 1);
	assert_int_equal(f->cfg.rdkafka_count, 0);
	assert_int_equal(f->cfg.redis_port, 1);
	config_free(&f->cfg);
	test_loads(f, "[redis]\ndb = 3\n");
	assert_int_equal(f->cfg.redis_db, 3);
}

/* A misspelt key is reported with its line. */
static void
test_unknown_key(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "# x\n[redis]\nhost = h\n\n\n\nprot = 6380\n",
	    ":7: unknown key 'prot' in [redis]");
	/* A key of another section is unknown here too. */
	test_fails(f, "[kafka]\nport = 1\n", ":2: unknown key 'port' in [kafka]");
	/* rdkafka.* belongs to [kafka] only. */
	test_fails(f, "[redis]\nrdkafka.debug = all\n",
	    ":2: unknown key 'rdkafka.debug' in [redis]");
	/* Keys are case-sensitive, like the documentation shows them. */
	test_fails(f, "[redis]\nPort = 1\n", ":2: unknown key 'Port' in [redis]");
}

/* A misspelt section is reported on its header line, even when empty. */
static void
test_unknown_section(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[redis]\nport = 1\n[reids]\nhost = x\n", ":3: unknown section [reids]");
	/* Braces would move the {group:task} hash tag of the task checkpoints. */
	test_fails(f, "[redis]\nprefix = {x}:\n",
	    ":2: [redis] prefix: '{x}:' holds a brace, which would change the keys' cluster slots");
	test_fails(f, "[kafka]\ngroup = g}\n[engine]\nroute_topic = r\n",
	    ":2: [kafka] group: 'g}' holds a brace, which would change the task keys' cluster slots");
	test_fails(f, "[kafka]\n\n[nothing]\n", ":3: unknown section [nothing]");
	test_fails(f, "[Redis]\n", ":1: unknown section [Redis]");
	test_fails(f, "[]\n", ":1: unknown section []");
}

/* A key before the first section header has nowhere to go. */
static void
test_key_outside_section(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "\nport = 1\n[redis]\n", ":2: key 'port' is outside any [section]");
}

/* Lines that are neither a section nor key = value. */
static void
test_syntax_error(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[redis]\nport 6379\n",
	    ":2: syntax error: expected [section] or key = value");
	test_fails(f, "[redis\n", ":1: syntax error: expected [section] or key = value");
	/* The earlier of a syntax error and a bad value wins. */
	test_fails(f, "[redis]\njunk\nport = 0\n",
	    ":2: syntax error: expected [section] or key = value");
	test_fails(f, "[redis]\nport = 0\njunk\n",
	    ":2: [redis] port: '0' is not an integer between 1 and 65535");
}

/* The same key twice is an error that points at both lines. */
static void
test_duplicate_key(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[redis]\nport = 1\nhost = h\nport = 2\n",
	    ":4: duplicate key 'port' in [redis] (first set on line 2)");
	/* Also across two headers of the same section. */
	test_fails(f, "[log]\nlevel = info\n[redis]\n[log]\nlevel = debug\n",
	    ":5: duplicate key 'level' in [log] (first set on line 2)");
	test_fails(f, "[kafka]\nrdkafka.debug = all\nrdkafka.debug = cgrp\n",
	    ":3: duplicate key 'rdkafka.debug' in [kafka] (first set on line 2)");
}

/* rdkafka.NAME = VALUE lines are kept in order for librdkafka, untouched. */
static void
test_rdkafka_passthrough(void **state)
{
	struct fixture	*f = *state;
	struct config	*c = &f->cfg;

	test_loads(f,
	    "[kafka]\n"
	    "brokers = b:9093\n"
	    "rdkafka.security.protocol = SASL_SSL\n"
	    "rdkafka.sasl.mechanisms = PLAIN\n"
	    "rdkafka.sasl.password = p=w:d#x\n"
	    "rdkafka.client.id =\n");
	assert_int_equal(c->rdkafka_count, 4);
	assert_string_equal(c->rdkafka[0].name, "security.protocol");
	assert_string_equal(c->rdkafka[0].value, "SASL_SSL");
	assert_string_equal(c->rdkafka[1].name, "sasl.mechanisms");
	assert_string_equal(c->rdkafka[1].value, "PLAIN");
	assert_string_equal(c->rdkafka[2].name, "sasl.password");
	assert_string_equal(c->rdkafka[2].value, "p=w:d#x");
	assert_string_equal(c->rdkafka[3].name, "client.id");
	assert_string_equal(c->rdkafka[3].value, "");
	test_fails(f, "[kafka]\nrdkafka. = x\n", ":2: [kafka] rdkafka.: missing property name");
}

/* More rdkafka lines than the table holds is an error, not a silent drop. */
static void
test_rdkafka_too_many(void **state)
{
	struct fixture	*f = *state;
	char		 text[8192], suffix[64];
	size_t		 off;

	off = (size_t)snprintf(text, sizeof text, "[kafka]\n");
	for (int i = 0; i <= CONFIG_PASSTHROUGH_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof text - off, "rdkafka.p%d = v\n", i);
	snprintf(suffix, sizeof suffix, ":%d: more than %d rdkafka.* keys",
	    CONFIG_PASSTHROUGH_MAX + 2, CONFIG_PASSTHROUGH_MAX);
	test_fails(f, text, suffix);
}

/* Rules between keys, checked after the whole file, still name a line. */
static void
test_cross_key_rules(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[kafka]\ngroup = g\ntopics =\n",
	    ":3: [kafka] topics: at least one topic is required");
	test_fails(f, "[kafka]\ntopics = in, feedback.dlq\n",
	    ":2: [kafka] dlq_topic: 'feedback.dlq' is also an input topic");
	test_fails(f, "[kafka]\ntopics = in, out\n\nalerts_topic = out\n",
	    ":4: [kafka] alerts_topic: 'out' is also an input topic");
	test_fails(f, "[kafka]\ndlq_topic = same\nalerts_topic = same\n",
	    ":3: [kafka] dlq_topic and [kafka] alerts_topic are both 'same'");
	test_fails(f, "[kafka]\ntopics = in\n[engine]\nroute_topic = in\n",
	    ":4: [engine] route_topic: 'in' is also an input topic");
	test_fails(f, "[engine]\nroute_topic = feedback.alerts\n",
	    ":2: [kafka] alerts_topic and [engine] route_topic are both 'feedback.alerts'");
	/* The derived name clashes too, on the group's line. */
	test_fails(f, "[kafka]\ndlq_topic = g.route\ngroup = g\n",
	    ":3: [kafka] dlq_topic and [engine] route_topic are both 'g.route'");
}

/* [redis] mode against the keys each mode needs or cannot use. */
static void
test_redis_modes(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[redis]\nmode = cluster\n",
	    ":2: [redis] mode = cluster needs cluster = HOST:PORT,... (seed nodes)");
	test_fails(f, "[redis]\ncluster = a:1\n", ":2: [redis] cluster is set, but mode is not cluster");
	test_fails(f, "[redis]\nmode = sentinel\n", ":2: [redis] mode = sentinel needs sentinels = HOST:PORT,...");
	test_fails(f, "[redis]\nmode = cluster\nsentinels = a:1\ncluster = b:2\n",
	    ":3: [redis] sentinels is set, but mode is not sentinel");
	test_fails(f, "[redis]\ndb = 2\nmode = cluster\ncluster = a:1\n",
	    ":2: [redis] db: a Redis Cluster has only database 0");
	test_fails(f, "[redis]\nmode = sentinel\nsentinels = a:1\nsocket = /run/redis.sock\n",
	    ":4: [redis] socket: mode = sentinel reaches its nodes over TCP; remove socket");
}

/* Files that cannot be read, and lines inih cannot take whole. */
static void
test_file_errors(void **state)
{
	struct fixture	*f = *state;
	char		 text[512];

	assert_false(config_load(&f->cfg, "/nonexistent/feedbackd.conf", f->err, sizeof f->err));
	assert_string_equal(f->err, "/nonexistent/feedbackd.conf: No such file or directory");

	memset(text, 0, sizeof text);
	strcpy(text, "[redis]\npassword = ");
	memset(text + strlen(text), 'x', 300);
	strcat(text, "\n");
	test_fails(f, text, ":2: line is longer than 199 characters");
}

/* Indentation, CRLF and a UTF-8 BOM are harmless; indented keys are not continuations. */
static void
test_layout(void **state)
{
	struct fixture	*f = *state;

	test_loads(f, "\xef\xbb\xbf[redis]\r\n  host = h\r\n\tport = 7\r\n  [log]\n  level = debug\n");
	assert_string_equal(f->cfg.redis_host, "h");
	assert_int_equal(f->cfg.redis_port, 7);
	assert_int_equal(f->cfg.log_level, LOG_DEBUG);
}

/* A rule window must be a configured one, whichever of the two lines comes first. */
static void
test_rule_bad_window(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[rule.csat_below]\nthreshold = 70\nwindow = 2h\n",
	    ":3: [rule.csat_below] window: '2h' is not one of the configured windows "
	    "(1h,24h,7d,30d)");
	/* The windows are read whole first: a later [windows] counts... */
	test_loads(f, "[rule.nps_below]\nwindow = 2h\n[windows]\nsizes = 2h,1d\n");
	assert_int_equal(f->cfg.rules[RULE_NPS_BELOW].window, 0);
	/* ...and can remove the window a rule names. */
	test_fails(f, "[rule.complaint_rate_above]\nwindow = 7d\n[windows]\nsizes = 1h,1d\n",
	    ":2: [rule.complaint_rate_above] window: '7d' is not one of the configured windows "
	    "(1h,1d)");
	/* Names are compared as written: 1d is not 24h. */
	test_fails(f, "[windows]\nsizes = 1h,1d\n[rule.csat_below]\nwindow = 24h\n",
	    ":4: [rule.csat_below] window: '24h' is not one of the configured windows (1h,1d)");
	test_fails(f, "[rule.response_time_above]\nwindow =\n",
	    ":2: [rule.response_time_above] window: '' is not one of the configured windows "
	    "(1h,24h,7d,30d)");
}

/* csat_below and nps_below resolve at threshold + margin or above: past 100 they never would. */
static void
test_rule_margin_reachable(void **state)
{
	static const struct {
		const char	*text;
		const char	*suffix;
	} bad[] = {
		/* Reported on the later of the two lines, whichever comes first. */
		{ "[rule.csat_below]\nthreshold = 99\nmargin = 2\n",
		  ":3: [rule.csat_below] threshold + margin (99 + 2) is above 100: a firing alert "
		  "could never resolve" },
		{ "[rule.csat_below]\nmargin = 5\nthreshold = 96\n",
		  ":3: [rule.csat_below] threshold + margin (96 + 5) is above 100: a firing alert "
		  "could never resolve" },
		/* The default margin (2 points) counts too. */
		{ "# csat\n[rule.csat_below]\nthreshold = 98.5\n",
		  ":3: [rule.csat_below] threshold + margin (98.5 + 2) is above 100: a firing alert "
		  "could never resolve" },
		{ "[rule.nps_below]\nthreshold = 99\n",
		  ":2: [rule.nps_below] threshold + margin (99 + 2) is above 100: a firing alert "
		  "could never resolve" },
		{ "[rule.nps_below]\nthreshold = -10\nmargin = 100.5\n",
		  ":3: [rule.nps_below] margin: '100.5' is not a number of points from 0 to 100" },
		{ "[rule.nps_below]\nthreshold = 0.5\nmargin = 100\n",
		  ":3: [rule.nps_below] threshold + margin (0.5 + 100) is above 100: a firing alert "
		  "could never resolve" },
	};
	static const struct {
		const char	*text;
		enum rule_id	 id;
		double		 threshold, margin;
	} good[] = {
		/* 100 itself is reachable: CSAT 100.0% resolves. */
		{ "[rule.csat_below]\nthreshold = 98\n", RULE_CSAT_BELOW, 98, 2 },
		{ "[rule.csat_below]\nthreshold = 100\nmargin = 0\n", RULE_CSAT_BELOW, 100, 0 },
		{ "[rule.csat_below]\nthreshold = 80.1\nmargin = 19.9\n", RULE_CSAT_BELOW, 80.1, 19.9 },
		{ "[rule.nps_below]\nthreshold = -100\nmargin = 100\n", RULE_NPS_BELOW, -100, 100 },
		{ "[rule.nps_below]\nthreshold = 50\nmargin = 50\n", RULE_NPS_BELOW, 50, 50 },
		/* Margins of the other rules are fractions of the threshold: 0 is always reachable. */
		{ "[rule.complaints_above]\nthreshold = 1000\nmargin = 0.99\n", RULE_COMPLAINTS_ABOVE,
		  1000, 0.99 },
	};
	struct fixture	*f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		test_fails(f, bad[i].text, bad[i].suffix);
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		test_loads(f, good[i].text);
		assert_true(f->cfg.rules[good[i].id].threshold == good[i].threshold);
		assert_true(f->cfg.rules[good[i].id].margin == good[i].margin);
	}
}

/* Writes text to path; the test removes it. */
static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* [teams] map: read beside the config file when relative; its errors name the file and line. */
static void
test_teams_map(void **state)
{
	struct fixture	*f = *state;
	char		 abs[80], want[200];

	snprintf(abs, sizeof abs, "/tmp/test_teams.%d.map", (int)getpid());
	write_file(abs, "# agent team\na17 billing\na18 billing\nb1 tech\n");
	test_loads(f, "[kafka]\ntopics = t\n");
	assert_null(f->cfg.teams);
	snprintf(want, sizeof want, "[kafka]\ntopics = t\n[teams]\nmap = %s\n", abs + strlen("/tmp/"));
	test_loads(f, want);
	assert_non_null(f->cfg.teams);
	assert_string_equal(teammap_team(f->cfg.teams, "a18", 3), "billing");
	assert_int_equal(teammap_teams(f->cfg.teams), 2);
	snprintf(want, sizeof want, "[kafka]\ntopics = t\n[teams]\nmap = %s\n", abs);
	test_loads(f, want);
	assert_string_equal(teammap_team(f->cfg.teams, "b1", 2), "tech");
	write_file(abs, "a17 billing\na17 tech\n");
	snprintf(want, sizeof want, ":4: [teams] map: %s:2: agent 'a17' is listed twice (first on line 1)", abs);
	{
		char text[200];

		snprintf(text, sizeof text, "[kafka]\ntopics = t\n[teams]\nmap = %s\n", abs);
		test_fails(f, text, want);
	}
	unlink(abs);
	test_fails(f, "[kafka]\ntopics = t\n[teams]\nmap = /nonexistent/teams\n",
	    ":4: [teams] map: /nonexistent/teams: No such file or directory");
}

/* What a reload changed: keys changed, set and unset in file order, secrets hidden, long lists cut. */
static void
test_reload_diff(void **state)
{
	struct fixture	*f = *state;
	struct config	 old;
	char		 diff[CONFIG_DIFF_SIZE], many[4096];
	size_t		 n = 0;

	test_loads(f, "[kafka]\ntopics = t\n[sla]\nreply_target = 24h\n[redis]\npassword = pw-one\n"
	    "[rule.csat_below]\nthreshold = 85\n");
	old = f->cfg;
	memset(&f->cfg, 0, sizeof f->cfg);
	test_loads(f, "[kafka]\ntopics = t\n[sla]\nreply_target = 4h\n[redis]\npassword = pw-two\n"
	    "[teams]\nmap =\n[calendar.x]\ntimezone = UTC\nmonday = 24h\n");
	config_diff(&old, &f->cfg, diff, sizeof diff);
	assert_string_equal(diff, "[sla] reply_target 24h -> 4h, [redis] password changed, [teams] map set to \"\", "
	    "[calendar.x] timezone set to UTC, [calendar.x] monday set to 24h, [rule.csat_below] threshold unset (was 85)");
	/* a password's value is never in the summary */
	assert_null(strstr(diff, "pw-two"));
	assert_null(strstr(diff, "pw-one"));
	config_diff(&f->cfg, &f->cfg, diff, sizeof diff);
	assert_string_equal(diff, "nothing changed");
	config_free(&old);
	/* more changes than fit: the rest counted */
	n += (size_t)snprintf(many, sizeof many, "[kafka]\ntopics = t\n");
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "rdkafka.x.%02d = %d\n", i, i);
	test_loads(f, "[kafka]\ntopics = t\n");
	old = f->cfg;
	memset(&f->cfg, 0, sizeof f->cfg);
	test_loads(f, many);
	config_diff(&old, &f->cfg, diff, sizeof diff);
	assert_non_null(strstr(diff, "[kafka] rdkafka.x.00 set to 0, "));
	assert_non_null(strstr(diff, " more"));
	assert_true(strlen(diff) < sizeof diff);
	config_free(&old);
}

/* [rule.NAME] team.TEAM.threshold: a team's own threshold, the rest of the rule as [rule.NAME] says. */
static void
test_rule_teams(void **state)
{
	struct fixture			*f = *state;
	const struct rule_config	*r;

	test_loads(f, "[kafka]\ntopics = t\n[rule.csat_below]\nteam.vip.threshold = 90\nmin_samples = 5\n"
	    "team.night-shift.threshold = 70\n[rule.response_time_above]\nteam.vip.threshold = 30m\n");
	assert_int_equal(f->cfg.rule_team_count, 2);
	r = config_rule_teams_of(&f->cfg, "vip");
	assert_true(r[RULE_CSAT_BELOW].threshold == 90);
	assert_int_equal(r[RULE_CSAT_BELOW].min_samples, 5); /* set after the team key: still the team's */
	assert_true(r[RULE_RESPONSE_TIME_ABOVE].threshold == 1800);
	assert_true(r[RULE_NPS_BELOW].threshold == f->cfg.rules[RULE_NPS_BELOW].threshold);
	assert_true(config_rule_teams_of(&f->cfg, "night-shift")[RULE_CSAT_BELOW].threshold == 70);
	assert_ptr_equal(config_rule_teams_of(&f->cfg, "other"), f->cfg.rules);
	assert_ptr_equal(config_rule_teams_of(&f->cfg, NULL), f->cfg.rules);
	test_fails(f, "[rule.csat_below]\nteam.vip.threshold = 101\n", ":2: '101' is not a percentage from 0 to 100");
	test_fails(f, "[rule.csat_below]\nteam.vip.margin = 1\n",
	    ":2: [rule.csat_below] team.vip.margin: a team's key is team.TEAM.threshold, TEAM 1-126 bytes");
	test_fails(f, "[rule.csat_below]\nteam..threshold = 1\n",
	    ":2: [rule.csat_below] team..threshold: a team's key is team.TEAM.threshold, TEAM 1-126 bytes");
	test_fails(f, "[rule.csat_below]\nteam.vip.threshold = 1\nteam.vip.threshold = 2\n",
	    ":3: [rule.csat_below] team.vip.threshold is set twice");
	test_fails(f, "[kafka]\ntopics = t\n[rule.csat_below]\nteam.vip.threshold = 99\n",
	    ":4: [rule.csat_below] team.vip.threshold + margin (99 + 2) is above 100: a firing alert could never resolve");
}

/* Runs every test; srcdir (set by automake) locates conf/feedbackd.conf. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty_file),
		T(test_shipped_conf),
		T(test_shipped_conf_documents_defaults),
		T(test_reload),
		T(test_unknown_key),
		T(test_unknown_section),
		T(test_key_outside_section),
		T(test_syntax_error),
		T(test_duplicate_key),
		T(test_rdkafka_passthrough),
		T(test_rdkafka_too_many),
		T(test_redis_modes),
		T(test_cross_key_rules),
		T(test_file_errors),
		T(test_layout),
		T(test_rule_bad_window),
		T(test_rule_margin_reachable),
		T(test_teams_map),
		T(test_reload_diff),
		T(test_rule_teams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
