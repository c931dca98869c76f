/*
 * test_scripts.c: the Lua scripts' state machines, run for real in a private redis-server
 * (on a unix socket, so no port is ever needed): reply clocks, claims, offsets and dedupe.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "scripts.h"

/* Every target differs, so a clock that took the wrong one shows in its due time. */
#define TARGET 600000LL            /* messages: 10 min */
#define LOW 1800000LL              /* low complaints: 30 min */
#define NORMAL 900000LL            /* normal complaints (and those without severity): 15 min */
#define HIGH 300000LL              /* high complaints: 5 min */
#define CRITICAL 60000LL           /* critical complaints: 1 min */
#define WINDOWS "1h:3600000:150000;24h:86400000:3600000"
/* default, low, normal, high, critical, at-risk permille, pair horizon */
#define SLA "600000,1800000,900000,300000,60000,800,86400000"

static char sock_dir[] = "/tmp/feedbackd-scripts-XXXXXX";
static bool sock_dir_made;
static char sock_path[256];
static pid_t server;
static redisContext *rc;
/* The tests' "now": real time, because Redis expires bucket keys by its own clock. */
static long long T0;

/* Removes the server's directory and the files in it (redis-server makes no subdirectories). */
static int remove_sock_dir(void)
{
	DIR *d = opendir(sock_dir);
	struct dirent *e;
	char path[512];
	int rv = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sock_dir, e->d_name);
		if (unlink(path) != 0) {
			perror(path);
			rv = -1;
		}
	}
	closedir(d);
	if (rmdir(sock_dir) != 0) {
		perror(sock_dir);
		rv = -1;
	}
	return rv;
}

/* Stops the server (if one was forked) and removes its directory; 0 on success. */
static int stop_server(void)
{
	int rv = 0;

	if (rc != NULL) {
		redisFree(rc);
		rc = NULL;
	}
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
		server = 0;
	}
	if (sock_dir_made) {
		rv = remove_sock_dir();
		sock_dir_made = false;
	}
	return rv;
}

/* Starts a private redis-server on a unix socket and connects; leaves nothing behind on failure. */
static int setup_server(void **state)
{
	(void)state;
	T0 = (long long)time(NULL) * 1000 - 60000;
	if (mkdtemp(sock_dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	sock_dir_made = true;
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", sock_dir);
	server = fork();
	if (server < 0) {
		perror("fork");
		server = 0;
		stop_server();
		return -1;
	}
	if (server == 0) {
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock_path, "--save", "",
		    "--appendonly", "no", "--dir", sock_dir, "--loglevel", "warning", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		rc = redisConnectUnix(sock_path);
		if (rc != NULL && !rc->err)
			return 0;
		redisFree(rc);
		rc = NULL;
		if (waitpid(server, NULL, WNOHANG) == server) {
			server = 0;   /* already reaped: exec failed or the server refused to start */
			break;
		}
		usleep(50000);
	}
	fprintf(stderr, "test_scripts: could not start redis-server on %s\n", sock_path);
	stop_server();
	return -1;
}

/* Stops the server and removes its directory. */
static int teardown_server(void **state)
{
	(void)state;
	return stop_server();
}

/* Each test starts from an empty database. */
static int flush(void **state)
{
	redisReply *r;

	(void)state;
	r = redisCommand(rc, "FLUSHALL");
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "FLUSHALL failed: %s\n", r != NULL ? r->str : rc->errstr);
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

/* Fails the test unless r is a reply at all (hiredis returns NULL when the connection broke). */
static redisReply *present(redisReply *r)
{
	if (r == NULL)
		fail_msg("no reply from redis-server: %s", rc->errstr);
	return r;
}

/*
 * Fails the test, instead of crashing on r->element[...], unless r is an array of exactly n
 * elements; a script error fails with its message. Returns r.
 */
static redisReply *checked(redisReply *r, size_t n)
{
	char msg[512];

	present(r);
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(msg, sizeof(msg), "%s", r->str);
		freeReplyObject(r);
		fail_msg("script error: %s", msg);
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
		snprintf(msg, sizeof(msg), "reply type %d with %zu elements, want an array of %zu", r->type,
		    r->type == REDIS_REPLY_ARRAY ? r->elements : 0, n);
		freeReplyObject(r);
		fail_msg("%s", msg);
	}
	return r;
}

/* Element i of an array reply, asserted to be an integer. */
static long long int_at(const redisReply *r, size_t i)
{
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_true(i < r->elements);
	assert_int_equal(r->element[i]->type, REDIS_REPLY_INTEGER);
	return r->element[i]->integer;
}

/* Element i of an array reply, asserted to be an array itself. */
static const redisReply *array_at(const redisReply *r, size_t i)
{
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_true(i < r->elements);
	assert_int_equal(r->element[i]->type, REDIS_REPLY_ARRAY);
	return r->element[i];
}

/* Most events one apply call in these tests takes. */
#define MAX_EVENTS 6

/* Runs a script with NUL-terminated arguments; the caller frees the reply. */
static redisReply *eval(const char *src, int argc, const char **args)
{
	const char *argv[3 + 8 + MAX_EVENTS * 11];
	int n = 0;

	assert_true(argc >= 0 && (size_t)argc <= sizeof(argv) / sizeof(argv[0]) - 3);
	argv[n++] = "EVAL";
	argv[n++] = src;
	argv[n++] = "0";
	for (int i = 0; i < argc; i++)
		argv[n++] = args[i];
	return redisCommandArgv(rc, n, argv, NULL);
}

/* An event as the apply script takes it (see src/lua/apply.lua). */
struct ev {
	const char *tp;
	long long offset;
	const char *id;
	const char *type;   /* r c m p */
	const char *agent;
	const char *ticket;
	long long ts;
	const char *severity; /* "0".."3" */
};

/* Applies events at time now; predecessors as "tp=prev;...". The raw reply (maybe an error). */
static redisReply *apply_raw(long long now, const char *predecessors, const struct ev *evs, int count)
{
	const char *args[8 + MAX_EVENTS * 11];
	char nums[MAX_EVENTS][3][24];
	int n = 0;

	assert_true(count >= 1 && count <= MAX_EVENTS);
	snprintf(nums[0][0], sizeof(nums[0][0]), "%lld", now);
	args[n++] = nums[0][0];
	args[n++] = "fb:";
	args[n++] = WINDOWS;
	args[n++] = "300000";
	args[n++] = "86400000";
	args[n++] = "g";
	args[n++] = SLA;
	args[n++] = predecessors;
	for (int i = 0; i < count; i++) {
		snprintf(nums[i][1], sizeof(nums[i][1]), "%lld", evs[i].offset);
		snprintf(nums[i][2], sizeof(nums[i][2]), "%lld", evs[i].ts);
		args[n++] = evs[i].tp;
		args[n++] = nums[i][1];
		args[n++] = evs[i].id;
		args[n++] = evs[i].type;
		args[n++] = evs[i].agent;
		args[n++] = evs[i].ticket;
		args[n++] = nums[i][2];
		args[n++] = "0";
		args[n++] = "5";
		args[n++] = evs[i].severity ? evs[i].severity : "1";
		args[n++] = "";
	}
	return eval(script_src_apply, n, args);
}

/* Applies events; the reply is checked to be the apply script's 4-element array. */
static redisReply *apply_at(long long now, const char *predecessors, const struct ev *evs, int count)
{
	return checked(apply_raw(now, predecessors, evs, count), 4);
}

/* Claims due clocks at time now; the reply is checked to be the claim script's 6-element array. */
static redisReply *claim_at(long long now)
{
	char at[24];

	snprintf(at, sizeof(at), "%lld", now);
	return checked(eval(script_src_claim, 5, (const char *[]){at, "fb:", WINDOWS, "300000", "100"}), 6);
}

/* A hash field as an integer (-1 when absent). */
static long long hget(const char *key, const char *field)
{
	redisReply *r = present(redisCommand(rc, "HGET %s %s", key, field));
	long long v;

	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)
		fail_msg("HGET %s %s: reply type %d", key, field, r->type);
	v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
	freeReplyObject(r);
	return v;
}

/*
 * One of an agent's sums ("open", "overdue", "v" or "<counter>_<window>", as
 * src/lua/_common.lua stores them); -1 when the agent has none.
 */
static long long sum_of(const char *agent, const char *field)
{
	static const char src[] =
	    "local raw = redis.call('GET', 'fb:agent:{' .. ARGV[1] .. '}:sums')\n"
	    "if not raw then return -1 end\n"
	    "local t, f = cmsgpack.unpack(raw), ARGV[2]\n"
	    "local fixed = {v = 2, open = 3, overdue = 4}\n"
	    "if fixed[f] then return t[fixed[f]] end\n"
	    "local counters = {r = 1, s5 = 2, sat = 3, neu = 4, dis = 5, ssum = 6, n10 = 7, pro = 8, det = 9,\n"
	    "                  cmp = 10, rep = 11, rn = 12, rsum = 13, rmax = 14, met = 15, miss = 16}\n"
	    "local c, w = string.match(f, '^(%w+)_(%w+)$')\n"
	    "local wi = 0\n"
	    "for name in string.gmatch(t[1], '([^:;]+):%d+:%d+') do\n"
	    "  if name == w then return t[4 + wi * 17 + 1 + counters[c]] end\n"
	    "  wi = wi + 1\n"
	    "end\n"
	    "return redis.error_reply('no window ' .. w)\n";
	const char *args[] = {agent, field};
	redisReply *r = present(eval(src, 2, args));
	long long v;

	if (r->type != REDIS_REPLY_INTEGER)
		fail_msg("sums of %s, %s: reply type %d %s", agent, field, r->type,
		    r->type == REDIS_REPLY_ERROR ? r->str : "");
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* A hash field as a string copied to buf ("" when absent). */
static const char *hget_str(const char *key, const char *field, char *buf, size_t size)
{
	redisReply *r = present(redisCommand(rc, "HGET %s %s", key, field));

	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)
		fail_msg("HGET %s %s: reply type %d", key, field, r->type);
	snprintf(buf, size, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	return buf;
}

/* A sorted-set score as an integer (-1 when absent). */
static long long zscore(const char *key, const char *member)
{
	redisReply *r = present(redisCommand(rc, "ZSCORE %s %s", key, member));
	long long v;

	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)
		fail_msg("ZSCORE %s %s: reply type %d", key, member, r->type);
	v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
	freeReplyObject(r);
	return v;
}

/* Whether a key exists. */
static bool exists(const char *key)
{
	redisReply *r = present(redisCommand(rc, "EXISTS %s", key));
	bool v;

	if (r->type != REDIS_REPLY_INTEGER)
		fail_msg("EXISTS %s: reply type %d", key, r->type);
	v = r->integer == 1;
	freeReplyObject(r);
	return v;
}

/* The outbox entries of a reply (apply: element 2, claim: element 2) as "rule/state" list. */
static void outbox_rules(const redisReply *reply, char *buf, size_t size)
{
	const redisReply *out = array_at(reply, 2);
	size_t used = 0;

	buf[0] = '\0';
	assert_int_equal(out->elements % 2, 0);   /* id, JSON pairs */
	for (size_t i = 1; i < out->elements; i += 2) {
		const char *rule, *st;
		int rl, sl;

		assert_int_equal(out->element[i]->type, REDIS_REPLY_STRING);
		rule = strstr(out->element[i]->str, "\"rule\":\"");
		st = strstr(out->element[i]->str, "\"state\":\"");
		assert_non_null(rule);
		assert_non_null(st);
		rl = (int)strcspn(rule + 8, "\"");
		sl = (int)strcspn(st + 9, "\"");
		used += (size_t)snprintf(buf + used, size - used, "%s%.*s/%.*s", used ? " " : "", rl, rule + 8, sl,
		    st + 9);
		assert_true(used < size);
	}
}

/* Where member name's value starts in the JSON outbox entry i (0-based) of a reply; fails if absent. */
static const char *outbox_member(const redisReply *reply, size_t i, const char *name, bool quoted)
{
	const redisReply *out = array_at(reply, 2);
	char pat[64];
	const char *p;

	assert_true(2 * i + 1 < out->elements);
	assert_int_equal(out->element[2 * i + 1]->type, REDIS_REPLY_STRING);
	snprintf(pat, sizeof(pat), quoted ? "\"%s\":\"" : "\"%s\":", name);
	p = strstr(out->element[2 * i + 1]->str, pat);
	if (p == NULL)
		fail_msg("no %s in outbox entry %s", pat, out->element[2 * i + 1]->str);
	return p + strlen(pat);
}

/* The integer member name of the JSON outbox entry i (0-based) of a reply. */
static long long outbox_int(const redisReply *reply, size_t i, const char *name)
{
	return atoll(outbox_member(reply, i, name, false));
}

/* The string member name of the JSON outbox entry i (0-based) of a reply, copied to buf. */
static const char *outbox_str(const redisReply *reply, size_t i, const char *name, char *buf, size_t size)
{
	const char *p = outbox_member(reply, i, name, true);

	snprintf(buf, size, "%.*s", (int)strcspn(p, "\""), p);
	return buf;
}

/* Frees a reply checked by apply_at or claim_at. */
static void ok(redisReply *r)
{
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
}

/* A message opens a clock at its own ts: deadline and at-risk point in the due set. */
static void test_message_opens_clock(void **state)
{
	struct ev m = {"t:0", 1, "m1", "m", "a1", "T1", T0, NULL};

	(void)state;
	ok(apply_at(T0 + 5000, "t:0=-1", &m, 1));
	assert_int_equal(hget("fb:ticket:{T1}", "start"), T0);
	assert_int_equal(hget("fb:ticket:{T1}", "due"), T0 + TARGET);
	assert_int_equal(hget("fb:ticket:{T1}", "risk"), T0 + TARGET * 8 / 10);
	assert_int_equal(zscore("fb:due", "T1"), T0 + TARGET * 8 / 10);
	assert_int_equal(sum_of("a1", "open"), 1);
}

/* A critical complaint gets the critical target; a second opening event changes nothing. */
static void test_severity_target_and_duplicate_open(void **state)
{
	struct ev c = {"t:0", 1, "c1", "c", "a1", "T1", T0, "3"};
	struct ev m = {"t:0", 2, "m2", "m", "a1", "T1", T0 + 10000, NULL};

	(void)state;
	ok(apply_at(T0, "t:0=-1", &c, 1));
	ok(apply_at(T0 + 10000, "t:0=1", &m, 1));
	assert_int_equal(hget("fb:ticket:{T1}", "start"), T0);
	assert_int_equal(hget("fb:ticket:{T1}", "due"), T0 + CRITICAL);
	assert_int_equal(sum_of("a1", "open"), 1);
}

/*
 * Each severity has its own target (and a message the default one), all different: every clock
 * gets its own due time and at-risk point, and each fires exactly there, in deadline order.
 */
static void test_every_severity_target(void **state)
{
	static const struct {
		const char *ticket, *type, *severity, *sev_name;
		long long target;
	} c[] = {
	    {"T-msg", "m", NULL, "message", TARGET},
	    {"T-low", "c", "0", "low", LOW},
	    {"T-normal", "c", "1", "normal", NORMAL},
	    {"T-high", "c", "2", "high", HIGH},
	    {"T-critical", "c", "3", "critical", CRITICAL},
	};
	enum { N = sizeof(c) / sizeof(c[0]) };
	/* The ten actions in time order: critical, high, message, normal, low; at-risk then deadline. */
	static const int order[N] = {4, 3, 0, 2, 1};
	struct ev evs[N];
	char key[64], buf[64], rules[256];
	redisReply *r;

	(void)state;
	for (int i = 0; i < N; i++) {
		evs[i] = (struct ev){"t:0", i + 1, c[i].ticket, c[i].type, "a1", c[i].ticket, T0, c[i].severity};
		/* the targets really differ, so the assertions below can tell them apart */
		for (int j = 0; j < i; j++)
			assert_int_not_equal(c[i].target, c[j].target);
	}
	r = apply_at(T0, "t:0=-1", evs, N);
	assert_int_equal(int_at(r, 3), T0 + CRITICAL * 8 / 10);   /* the earliest new action */
	assert_int_equal(array_at(r, 2)->elements, 0);
	ok(r);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "fb:ticket:{%s}", c[i].ticket);
		assert_int_equal(hget(key, "start"), T0);
		assert_int_equal(hget(key, "target"), c[i].target);
		assert_int_equal(hget(key, "due"), T0 + c[i].target);
		assert_int_equal(hget(key, "risk"), T0 + c[i].target * 8 / 10);
		assert_string_equal(hget_str(key, "sev", buf, sizeof(buf)), c[i].sev_name);
		assert_int_equal(zscore("fb:due", c[i].ticket), T0 + c[i].target * 8 / 10);
	}
	assert_int_equal(sum_of("a1", "open"), N);

	for (int k = 0; k < N; k++) {
		int i = order[k];
		long long risk = T0 + c[i].target * 8 / 10, due = T0 + c[i].target;
		long long next = k + 1 < N ? T0 + c[order[k + 1]].target * 8 / 10 : -1;

		/* at-risk: nothing 1 ms before, exactly this clock at its point */
		r = claim_at(risk - 1);
		assert_int_equal(int_at(r, 0), 0);
		assert_int_equal(int_at(r, 3), risk);
		ok(r);
		r = claim_at(risk);
		assert_int_equal(int_at(r, 0), 1);
		outbox_rules(r, rules, sizeof(rules));
		assert_string_equal(rules, "reply_sla_at_risk/firing");
		assert_string_equal(outbox_str(r, 0, "ticket", buf, sizeof(buf)), c[i].ticket);
		assert_int_equal(outbox_int(r, 0, "target"), c[i].target);
		assert_int_equal(int_at(r, 3), due);
		ok(r);
		assert_int_equal(zscore("fb:due", c[i].ticket), due);

		/* breach: nothing 1 ms before the deadline, exactly this clock at it */
		r = claim_at(due - 1);
		assert_int_equal(int_at(r, 0), 0);
		ok(r);
		r = claim_at(due);
		assert_int_equal(int_at(r, 0), 1);
		outbox_rules(r, rules, sizeof(rules));
		assert_string_equal(rules, "reply_sla_at_risk/resolved reply_sla_breach/firing");
		assert_string_equal(outbox_str(r, 1, "ticket", buf, sizeof(buf)), c[i].ticket);
		assert_string_equal(outbox_str(r, 1, "severity", buf, sizeof(buf)), c[i].sev_name);
		assert_int_equal(outbox_int(r, 1, "due"), due);
		assert_int_equal(outbox_int(r, 1, "since"), due);
		assert_int_equal(int_at(r, 3), next);
		assert_int_equal(int_at(r, 5), k + 1);   /* overdue clocks over all agents */
		ok(r);
		assert_int_equal(zscore("fb:due", c[i].ticket), -1);
	}
	assert_int_equal(sum_of("a1", "overdue"), N);
	assert_int_equal(sum_of("a1", "open"), N);
}

/* An on-time reply stops the clock: met, response time, nothing left behind, no alert. */
static void test_reply_on_time(void **state)
{
	struct ev evs[] = {{"t:0", 1, "m1", "m", "a1", "T1", T0, NULL}, {"t:0", 2, "p1", "p", "a1", "T1", T0 + 90000, NULL}};
	redisReply *r;

	(void)state;
	r = apply_at(T0 + 100000, "t:0=-1", evs, 2);
	assert_int_equal(array_at(r, 2)->elements, 0);
	ok(r);
	assert_int_equal(sum_of("a1", "met_1h"), 1);
	assert_int_equal(sum_of("a1", "miss_1h"), 0);
	assert_int_equal(sum_of("a1", "rn_1h"), 1);
	assert_int_equal(sum_of("a1", "rsum_1h"), 90000);
	assert_int_equal(sum_of("a1", "rmax_1h"), 90000);
	assert_int_equal(sum_of("a1", "rep_1h"), 1);
	assert_int_equal(sum_of("a1", "open"), 0);
	assert_false(exists("fb:ticket:{T1}"));
	assert_int_equal(zscore("fb:due", "T1"), -1);
}

/* A reply that arrives before its message waits, then pairs with it. */
static void test_out_of_order_pairs(void **state)
{
	struct ev p = {"t:1", 1, "p1", "p", "a1", "T1", T0 + 120000, NULL};
	struct ev m = {"t:0", 1, "m1", "m", "a1", "T1", T0, NULL};

	(void)state;
	ok(apply_at(T0 + 130000, "t:1=-1", &p, 1));
	assert_int_equal(hget("fb:ticket:{T1}", "early"), T0 + 120000);
	assert_int_equal(sum_of("a1", "open"), 0); /* the reply counts; no clock runs */
	ok(apply_at(T0 + 140000, "t:0=-1", &m, 1));
	assert_false(exists("fb:ticket:{T1}"));
	assert_int_equal(sum_of("a1", "met_1h"), 1);
	assert_int_equal(sum_of("a1", "rsum_1h"), 120000);
	assert_int_equal(sum_of("a1", "open"), 0); /* paired at once: no clock ever ran */
	assert_int_equal(zscore("fb:due", "T1"), -1);
}

/* A message after the reply starts a new clock (next-reply time). */
static void test_message_after_reply_opens_new_clock(void **state)
{
	struct ev evs[] = {{"t:0", 1, "m1", "m", "a1", "T1", T0, NULL},
	    {"t:0", 2, "p1", "p", "a1", "T1", T0 + 1000, NULL},
	    {"t:0", 3, "m2", "m", "a1", "T1", T0 + 5000, NULL}};

	(void)state;
	ok(apply_at(T0 + 6000, "t:0=-1", evs, 3));
	assert_int_equal(hget("fb:ticket:{T1}", "start"), T0 + 5000);
	assert_int_equal(sum_of("a1", "open"), 1);
	assert_int_equal(sum_of("a1", "met_1h"), 1);
}

/* At-risk fires once, the breach supersedes it, a late reply resolves the breach. */
static void test_at_risk_breach_late_reply(void **state)
{
	struct ev m = {"t:0", 1, "m1", "m", "a1", "T1", T0, NULL};
	struct ev p = {"t:0", 2, "p1", "p", "a1", "T1", T0 + TARGET + 30000, NULL};
	char rules[256];
	redisReply *r;

	(void)state;
	ok(apply_at(T0, "t:0=-1", &m, 1));
	r = claim_at(T0 + TARGET * 8 / 10 - 1);   /* not yet */
	assert_int_equal(int_at(r, 0), 0);
	ok(r);
	r = claim_at(T0 + TARGET * 8 / 10);
	assert_int_equal(int_at(r, 0), 1);
	outbox_rules(r, rules, sizeof(rules));
	assert_string_equal(rules, "reply_sla_at_risk/firing");
	assert_int_equal(int_at(r, 3), T0 + TARGET);   /* next: the deadline */
	ok(r);
	r = claim_at(T0 + TARGET);
	outbox_rules(r, rules, sizeof(rules));
	assert_string_equal(rules, "reply_sla_at_risk/resolved reply_sla_breach/firing");
	assert_int_equal(int_at(r, 3), -1);
	assert_int_equal(int_at(r, 4), 1);   /* clocks open over all agents */
	assert_int_equal(int_at(r, 5), 1);   /* of which overdue */
	ok(r);
	assert_int_equal(sum_of("a1", "overdue"), 1);
	assert_int_equal(sum_of("a1", "open"), 1);
	assert_int_equal(hget("fb:clocks", "open"), 1);
	assert_int_equal(hget("fb:clocks", "overdue"), 1);
	assert_int_equal(sum_of("a1", "miss_1h"), 1);
	r = apply_at(T0 + TARGET + 31000, "t:0=1", &p, 1);
	outbox_rules(r, rules, sizeof(rules));
	assert_string_equal(rules, "reply_sla_breach/resolved");
	ok(r);
	assert_int_equal(sum_of("a1", "overdue"), 0);
	assert_int_equal(sum_of("a1", "open"), 0);
	assert_int_equal(hget("fb:clocks", "open"), 0);
	assert_int_equal(hget("fb:clocks", "overdue"), 0);
	assert_int_equal(sum_of("a1", "miss_1h"), 1);   /* counted once, at the breach */
	assert_int_equal(sum_of("a1", "met_1h"), 0);
	assert_int_equal(sum_of("a1", "rsum_1h"), TARGET + 30000);
	/* The outbox holds all four decisions until their delivery is confirmed. */
	r = redisCommand(rc, "HLEN fb:outbox");
	assert_int_equal(r->integer, 4);
	freeReplyObject(r);
}

/* A late reply publishes the breach it ended only if the clock was known before its deadline. */
static void test_late_reply_alerts_only_when_known(void **state)
{
	struct ev replay[] = {{"t:0", 1, "m1", "m", "a1", "T1", T0 - 3 * TARGET, NULL},
	    {"t:0", 2, "p1", "p", "a1", "T1", T0 - TARGET, NULL}};
	struct ev m = {"t:0", 3, "m2", "m", "a2", "T2", T0, NULL};
	struct ev p = {"t:0", 4, "p2", "p", "a2", "T2", T0 + TARGET + 1000, NULL};
	char rules[256];
	redisReply *r;

	(void)state;
	/* A backlog replay: both events long past, in one batch. Counted, not paged. */
	r = apply_at(T0, "t:0=-1", replay, 2);
	assert_int_equal(array_at(r, 2)->elements, 0);
	ok(r);
	assert_int_equal(sum_of("a1", "miss_24h"), 1);
	/* Known in time, but the reply beat the breach timer: the breach is published, then resolved. */
	ok(apply_at(T0, "t:0=2", &m, 1));
	r = apply_at(T0 + TARGET + 2000, "t:0=3", &p, 1);
	outbox_rules(r, rules, sizeof(rules));
	assert_string_equal(rules, "reply_sla_breach/firing reply_sla_breach/resolved");
	ok(r);
	assert_int_equal(sum_of("a2", "miss_1h"), 1);
}

/* A clock claimed by one caller is not claimed again by another: exactly once. */
static void test_claim_once(void **state)
{
	struct ev evs[3] = {{"t:0", 1, "m1", "m", "a1", "T1", T0, NULL}, {"t:0", 2, "m2", "m", "a2", "T2", T0, NULL},
	    {"t:0", 3, "m3", "m", "a3", "T3", T0, NULL}};
	redisReply *r;

	(void)state;
	ok(apply_at(T0, "t:0=-1", evs, 3));
	r = claim_at(T0 + TARGET + 5);   /* past both points: the breach alone fires */
	assert_int_equal(int_at(r, 0), 3);
	assert_int_equal(array_at(r, 2)->elements, 6);
	ok(r);
	r = claim_at(T0 + TARGET + 6);
	assert_int_equal(int_at(r, 0), 0);
	assert_int_equal(array_at(r, 2)->elements, 0);
	ok(r);
}

/* Redelivered offsets are skipped; a repeated event id is applied once. */
static void test_offsets_and_dedupe(void **state)
{
	struct ev a = {"t:0", 5, "r1", "r", "a1", "", T0, NULL};
	struct ev dup = {"t:0", 6, "r1", "r", "a1", "", T0, NULL};
	redisReply *r;

	(void)state;
	ok(apply_at(T0, "t:0=-1", &a, 1));
	r = apply_at(T0, "t:0=-1", &a, 1);   /* the same offset again: redelivery */
	assert_int_equal(int_at(array_at(r, 0), 2), 1);
	ok(r);
	r = apply_at(T0, "t:0=5", &dup, 1);  /* a new offset, the same id: duplicate */
	assert_int_equal(int_at(array_at(r, 0), 1), 1);
	ok(r);
	assert_int_equal(sum_of("a1", "r_1h"), 1);
	assert_int_equal(hget("fb:offsets:g", "t:0"), 6);
}

/* The agents named in a totals reply (apply: element 1), as "a,b,..." in reply order. */
static void totals_agents(const redisReply *reply, char *buf, size_t size)
{
	const redisReply *totals = array_at(reply, 1);
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < totals->elements; i += 3) {
		assert_int_equal(totals->element[i]->type, REDIS_REPLY_STRING);
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "", totals->element[i]->str);
		assert_true(used < size);
	}
}

/*
 * Events that change no figure (redelivered, duplicate, older than every window) still hand
 * back their agent's totals, as stored: the daemon leaves an agent's stats write to the
 * last batch it sent with the agent, so that batch must answer for it. An agent that has
 * no sums at all is not made up by a late event.
 */
static void test_every_event_returns_its_agent(void **state)
{
	struct ev first[] = {
	    {"t:0", 1, "r1", "r", "b1", "", T0, NULL},
	    {"t:0", 2, "r2", "r", "b2", "", T0, NULL},
	    {"t:0", 3, "r3", "r", "b3", "", T0, NULL},
	};
	struct ev again[] = {
	    {"t:0", 1, "r1", "r", "b1", "", T0, NULL},                        /* redelivered */
	    {"t:0", 4, "r2", "r", "b2", "", T0, NULL},                        /* duplicate id */
	    {"t:0", 5, "r5", "r", "b3", "", T0 - 2 * 86400000LL, NULL},      /* late */
	    {"t:0", 6, "r6", "r", "b4", "", T0 - 2 * 86400000LL, NULL},      /* late, a new agent */
	};
	char agents[64];
	redisReply *r;

	(void)state;
	ok(apply_at(T0, "t:0=-1", first, 3));
	r = apply_at(T0, "t:0=3", again, 4);
	totals_agents(r, agents, sizeof(agents));
	assert_string_equal(agents, "b1,b2,b3");
	assert_int_equal(int_at(array_at(r, 0), 2), 1); /* rating, redelivered */
	assert_int_equal(int_at(array_at(r, 0), 1), 1); /* rating, duplicate */
	assert_int_equal(int_at(array_at(r, 0), 3), 2); /* rating, late */
	ok(r);
	/* nothing counted twice, nothing rewritten, and the late events nowhere */
	assert_int_equal(sum_of("b1", "r_24h"), 1);
	assert_int_equal(sum_of("b2", "r_24h"), 1);
	assert_int_equal(sum_of("b3", "r_24h"), 1);
	assert_int_equal(sum_of("b1", "v"), 1);
	assert_int_equal(sum_of("b3", "v"), 1);
	assert_int_equal(sum_of("b4", "v"), -1);
	assert_false(exists("fb:agent:{b4}:sums"));
}

/* Writes agent a1's stats at version v with ratings_1h = value ("" deletes it); how many were written. */
static long long stats_write_a1(long long v, const char *value)
{
	char version[24];
	redisReply *r;
	long long n;

	snprintf(version, sizeof(version), "%lld", v);
	r = present(eval(script_src_stats_write, 6, (const char *[]){"fb:", "a1", version, "1", "ratings_1h", value}));
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

/*
 * A stats write lands unless the hash already shows its version or a newer one: never
 * backwards, and a write that is merely not the newest still lands (the newer one follows).
 */
static void test_stats_write_never_backwards(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(stats_write_a1(5, "5"), 1);
	assert_int_equal(stats_write_a1(4, "4"), 0);  /* older than shown */
	assert_int_equal(stats_write_a1(5, "x"), 0);  /* the version shown */
	assert_string_equal(hget_str("fb:agent:{a1}:stats", "ratings_1h", buf, sizeof(buf)), "5");
	/* the sums no longer decide: version 7 is newer than what is shown, whatever they hold */
	freeReplyObject(present(redisCommand(rc, "SET fb:agent:{a1}:sums x")));
	assert_int_equal(stats_write_a1(7, "7"), 1);
	assert_string_equal(hget_str("fb:agent:{a1}:stats", "ratings_1h", buf, sizeof(buf)), "7");
	assert_int_equal(stats_write_a1(8, ""), 1);   /* "" deletes the field */
	assert_string_equal(hget_str("fb:agent:{a1}:stats", "ratings_1h", buf, sizeof(buf)), "");
	assert_int_equal(hget("fb:agent:{a1}:stats", "ratings_1h"), -1);
}

/* A batch whose predecessor was not applied is refused, so a retry can never be skipped. */
static void test_gap_refused(void **state)
{
	struct ev a = {"t:0", 9, "r9", "r", "a1", "", T0, NULL};
	redisReply *r;

	(void)state;
	r = present(apply_raw(T0, "t:0=8", &a, 1));
	assert_int_equal(r->type, REDIS_REPLY_ERROR);
	assert_non_null(strstr(r->str, "GAP t:0"));
	freeReplyObject(r);
	assert_int_equal(hget("fb:offsets:g", "t:0"), -1);
	assert_int_equal(sum_of("a1", "r_1h"), -1);
}

/*
 * An agent last written by a release with a "totals" hash: its version and clock counts
 * carry over, its windows are re-summed from the buckets, and the old hash goes.
 */
static void test_totals_hash_carried_over(void **state)
{
	struct ev a = {"t:0", 1, "r1", "r", "a1", "", T0, NULL};
	char bucket[64];
	const redisReply *totals;
	redisReply *r, *stored;

	(void)state;
	snprintf(bucket, sizeof(bucket), "fb:agent:{a1}:b:1h:%lld", T0 / 150000);
	freeReplyObject(present(redisCommand(rc,
	    "HSET fb:agent:{a1}:totals v 7 open 2 overdue 1 r_1h 99 first_1h 0")));
	freeReplyObject(present(redisCommand(rc, "HSET %s r 3", bucket)));
	r = apply_at(T0, "t:0=-1", &a, 1);
	/* the daemon is handed the agent, its sums exactly as stored, its rule states */
	totals = array_at(r, 1);
	assert_int_equal(totals->elements, 3);
	assert_string_equal(totals->element[0]->str, "a1");
	stored = present(redisCommand(rc, "GET fb:agent:{a1}:sums"));
	assert_int_equal(stored->type, REDIS_REPLY_STRING);
	assert_int_equal(totals->element[1]->type, REDIS_REPLY_STRING);
	assert_memory_equal(totals->element[1]->str, stored->str, stored->len);
	assert_int_equal(totals->element[1]->len, stored->len);
	freeReplyObject(stored);
	ok(r);
	assert_int_equal(sum_of("a1", "v"), 8);
	assert_int_equal(sum_of("a1", "open"), 2);
	assert_int_equal(sum_of("a1", "overdue"), 1);
	assert_int_equal(sum_of("a1", "r_1h"), 4);  /* 3 in the bucket before, 1 now */
	assert_int_equal(sum_of("a1", "r_24h"), 1); /* only the new event's 24h bucket exists */
	assert_false(exists("fb:agent:{a1}:totals"));
}

/* Runs the refresh script for agent a1 at time now with windows spec, forced. */
static void refresh_a1(long long now, const char *spec)
{
	char at[24];

	snprintf(at, sizeof(at), "%lld", now);
	ok(eval(script_src_refresh, 6, (const char *[]){at, "fb:", spec, "300000", "1", "a1"}));
}

/* Sums kept for other windows are re-summed from the buckets, never reused. */
static void test_other_windows_resummed(void **state)
{
	struct ev evs[] = {
	    {"t:0", 1, "r1", "r", "a1", "", T0, NULL},
	    {"t:0", 2, "r2", "r", "a1", "", T0, NULL},
	};
	char bucket[64];

	(void)state;
	ok(apply_at(T0, "t:0=-1", evs, 2));
	assert_int_equal(sum_of("a1", "v"), 1);
	assert_int_equal(sum_of("a1", "r_1h"), 2);
	/* a bucket change the sums do not know of shows whether they were re-summed */
	snprintf(bucket, sizeof(bucket), "fb:agent:{a1}:b:1h:%lld", T0 / 150000);
	freeReplyObject(present(redisCommand(rc, "HINCRBY %s r 5", bucket)));
	refresh_a1(T0, WINDOWS); /* same windows, nothing slid: kept */
	assert_int_equal(sum_of("a1", "r_1h"), 2);
	assert_int_equal(sum_of("a1", "v"), 2);
	refresh_a1(T0, "1h:3600000:150000");
	assert_int_equal(sum_of("a1", "r_1h"), 7);
	assert_int_equal(sum_of("a1", "v"), 3);
	refresh_a1(T0, WINDOWS);
	assert_int_equal(sum_of("a1", "r_1h"), 7);
	assert_int_equal(sum_of("a1", "r_24h"), 2);
	assert_int_equal(sum_of("a1", "v"), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_message_opens_clock, flush),
	    cmocka_unit_test_setup(test_severity_target_and_duplicate_open, flush),
	    cmocka_unit_test_setup(test_every_severity_target, flush),
	    cmocka_unit_test_setup(test_reply_on_time, flush),
	    cmocka_unit_test_setup(test_out_of_order_pairs, flush),
	    cmocka_unit_test_setup(test_message_after_reply_opens_new_clock, flush),
	    cmocka_unit_test_setup(test_at_risk_breach_late_reply, flush),
	    cmocka_unit_test_setup(test_late_reply_alerts_only_when_known, flush),
	    cmocka_unit_test_setup(test_claim_once, flush),
	    cmocka_unit_test_setup(test_offsets_and_dedupe, flush),
	    cmocka_unit_test_setup(test_every_event_returns_its_agent, flush),
	    cmocka_unit_test_setup(test_stats_write_never_backwards, flush),
	    cmocka_unit_test_setup(test_gap_refused, flush),
	    cmocka_unit_test_setup(test_totals_hash_carried_over, flush),
	    cmocka_unit_test_setup(test_other_windows_resummed, flush),
	};

	return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
