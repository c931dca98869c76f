/* legacy.c: the previous release's Redis state: refused at start, or cleared by --rebuild (I/O). */
#include "legacy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "log.h"
#include "redis.h"
#include "redisnodes.h"
#include "taskstore.h"
#include "timestamp.h"
#include "view.h"
#include "window.h"

/* Keys asked for per SCAN step, so also the most keys in one UNLINK. */
#define LEGACY_SCAN_COUNT "1000"
/* A progress line at least this often while keys are deleted. */
#define LEGACY_PROGRESS_MS 2000
/* The start-up check retries an unreachable Redis after this long, doubling up to the max. */
#define LEGACY_RETRY_MIN_MS 100
#define LEGACY_RETRY_MAX_MS 5000
/* The longest wait for each Kafka request of --rebuild, and for its consumer to join the group. */
#define LEGACY_KAFKA_TIMEOUT_MS 15000
#define LEGACY_JOIN_TIMEOUT_MS 60000
/* Room for the "found" list of the start-up check. */
#define LEGACY_FOUND_SIZE 2048
/* The unfinished-rebuild marker, after the prefix. */
#define LEGACY_MARKER "rebuild"
/* The previous release's committed positions of a group, after the prefix and before the group. */
#define LEGACY_OFFSETS "offsets:"
/* The previous release's keys with fixed names, after the prefix; markers are what the check looks for. */
static const struct legacy_fixed {
	const char *name;
	bool marker;
} legacy_fixed[] = {
	{"due", true},
	{"clocks", true},
	{"outbox", true},
	{"rules:active", true},
	{"outbox:json", false},
	{"outbox:lease", false},
};
#define LEGACY_FIXED_COUNT (sizeof(legacy_fixed) / sizeof(legacy_fixed[0]))

/*
 * Its families of keys, after the prefix. "agent:" also covers the contract's agent keys
 * (P agent:{A}:stats, :alerts and :month:M), which are rebuilt from Kafka too, "agents:"
 * the shards of the agent index ([redis] agents_shards > 1; P agents is a fixed name),
 * "team:" the teams' figures, alerts, rankings and months, "site:" the site's figures and
 * months, and "rank:" the site's rankings.
 */
static const char *const legacy_families[] = {"evt:", "agent:", "ticket:", "agents:", "team:", "site:", "rank:"};
#define LEGACY_FAMILY_COUNT (sizeof(legacy_families) / sizeof(legacy_families[0]))

/*
 * A key name under the prefix: name then suffix (the group, or ""); "" when it does not
 * fit (a prefix over 256 bytes is refused by view_new anyway).
 */
static void legacy_key(char *buf, size_t size, const struct config *cfg, const char *name, const char *suffix)
{
	int n = snprintf(buf, size, "%s%s%s", cfg->prefix, name, suffix);

	if (n < 0 || (size_t)n >= size)
		*buf = '\0';
}

/* Runs a command whose answer does not matter beyond success. */
static bool legacy_run(redisContext *c, int argc, const char **argv, char *err, size_t size)
{
	redisReply *reply = redisnodes_command(c, argc, argv, err, size);

	freeReplyObject(reply);
	return reply != NULL;
}

/* Whether key exists; false with err set when Redis failed. */
static bool legacy_exists(redisContext *c, const char *key, bool *exists, char *err, size_t size)
{
	redisReply *reply = redisnodes_command(c, 2, (const char *[]){"EXISTS", key}, err, size);

	if (reply == NULL)
		return false;
	*exists = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
	freeReplyObject(reply);
	return true;
}

/* Adds key to the comma list found when it exists. */
static bool legacy_look(redisContext *c, const char *key, char *found, size_t found_size, char *err, size_t size)
{
	bool exists;
	size_t used = strlen(found);

	if (*key == '\0' || !legacy_exists(c, key, &exists, err, size))
		return *key == '\0';
	if (exists)
		snprintf(found + used, found_size - used, "%s%s", used > 0 ? ", " : "", key);
	return true;
}

/*
 * Looks for the previous release's markers (into found, a comma list) and for an
 * unfinished rebuild (its start time into started, else ""); false when Redis failed.
 */
static bool legacy_find(const struct redisnodes *n, const struct config *cfg, char *found, size_t found_size,
    char *started, size_t started_size, char *err, size_t size)
{
	char key[VIEW_KEY_SIZE];
	redisReply *reply;

	*found = '\0';
	*started = '\0';
	legacy_key(key, sizeof(key), cfg, LEGACY_MARKER, "");
	if ((reply = redisnodes_command(redisnodes_of(n, key), 2, (const char *[]){"GET", key}, err, size)) == NULL)
		return false;
	if (reply->type == REDIS_REPLY_STRING)
		snprintf(started, started_size, "%s", reply->str);
	freeReplyObject(reply);
	legacy_key(key, sizeof(key), cfg, LEGACY_OFFSETS, cfg->group);
	if (!legacy_look(redisnodes_of(n, key), key, found, found_size, err, size))
		return false;
	for (size_t i = 0; i < LEGACY_FIXED_COUNT; i++) {
		if (!legacy_fixed[i].marker)
			continue;
		legacy_key(key, sizeof(key), cfg, legacy_fixed[i].name, "");
		if (!legacy_look(redisnodes_of(n, key), key, found, found_size, err, size))
			return false;
	}
	return true;
}

/* Sleeps ms milliseconds. */
static void legacy_sleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* See legacy.h. */
bool legacy_check(const struct config *cfg)
{
	char found[LEGACY_FOUND_SIZE], started[64], err[512], where[300], longest[32];
	int backoff = LEGACY_RETRY_MIN_MS;

	redis_where(cfg, where, sizeof(where));
	/* Nothing runs yet that a wait could hold up; a stop signal simply ends the process. */
	for (;;) {
		struct redisnodes *n = redisnodes_open(cfg, err, sizeof(err));
		bool ok = n != NULL && legacy_find(n, cfg, found, sizeof(found), started, sizeof(started), err,
		    sizeof(err));

		redisnodes_close(n);
		if (ok)
			break;
		log_limited(LOG_WARNING, "legacy-check", "redis: cannot look for the previous release's keys at %s: %s; "
		    "retrying", where, err);
		legacy_sleep(backoff);
		backoff = backoff * 2 > LEGACY_RETRY_MAX_MS ? LEGACY_RETRY_MAX_MS : backoff * 2;
	}
	if (*started != '\0') {
		log_err("redis: %s holds %s" LEGACY_MARKER ": a `feedbackd --rebuild` started at %s did not finish, so "
		    "figures are missing; not starting. Stop every feedbackd instance of group %s, run "
		    "`feedbackd --rebuild -c %s` again, then start the service", where, cfg->prefix, started, cfg->group,
		    cfg->path);
		return false;
	}
	if (*found == '\0')
		return true;
	duration_format(windows_longest_ms(&cfg->windows), longest, sizeof(longest));
	log_err("redis: %s holds the previous release's state (%s), which this release cannot read; not starting, "
	    "so that it is not mixed with new figures. To rebuild every figure from Kafka: stop every feedbackd "
	    "instance of group %s; run `feedbackd --rebuild -c %s` once (it resets the group's offsets so that the "
	    "input topics are read again from their beginning, deletes the old keys, the stats and alerts keys and "
	    "the task checkpoints, and prints its progress); then start the service. The input topics must still "
	    "hold the events of the longest window (%s), otherwise the figures older than their oldest event are "
	    "lost", where, found, cfg->group, cfg->path, longest);
	return false;
}

/* librdkafka's log lines of --rebuild, straight into the log (there is no loop to serve a queue). */
static void legacy_on_kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *line)
{
	log_msg(level, "rdkafka %s: %s: %s", rd_kafka_name(rk), fac, line);
}

/*
 * Adds every partition of topic to list at its first offset (at_end false) or past its last
 * one; a topic the cluster does not have is said and skipped. Counts the partitions added.
 */
static bool legacy_add_topic(rd_kafka_t *rk, const rd_kafka_metadata_t *md, const char *topic, bool at_end,
    rd_kafka_topic_partition_list_t *list, int *added, char *err, size_t size)
{
	const rd_kafka_metadata_topic_t *t = NULL;

	for (int i = 0; i < md->topic_cnt && t == NULL; i++)
		if (strcmp(md->topics[i].topic, topic) == 0 && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
			t = &md->topics[i];
	if (t == NULL) {
		printf("rebuild: topic %s does not exist: no offsets to reset there\n", topic);
		return true;
	}
	for (int i = 0; i < t->partition_cnt; i++) {
		int32_t p = t->partitions[i].id;
		int64_t low, high;
		rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high,
		    LEGACY_KAFKA_TIMEOUT_MS);

		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(err, size, "cannot read the offsets of %s/%d: %s", topic, (int)p, rd_kafka_err2str(e));
			return false;
		}
		rd_kafka_topic_partition_list_add(list, topic, p)->offset = at_end ? high : low;
		(*added)++;
	}
	return true;
}

/* The error of an offset commit that only another member of the group explains. */
static bool legacy_member_error(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
	    e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS;
}

/* What the group gave the rebuild's consumer when it joined. */
struct legacy_join {
	bool joined;
	int assigned;
};

/* The group's assignment: only counted, never fetched (the consumer is there to commit as a member). */
static void legacy_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
    void *opaque)
{
	struct legacy_join *j = opaque;

	j->joined = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
	j->assigned = j->joined ? parts->cnt : 0;
	rd_kafka_assign(rk, NULL);
}

/* The members of the group as the brokers describe it; -1 when they cannot (the mock cluster). */
static int legacy_members(rd_kafka_t *rk, const char *group)
{
	const struct rd_kafka_group_list *list;
	int members = -1;

	if (rd_kafka_list_groups(rk, group, &list, LEGACY_KAFKA_TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return -1;
	for (int i = 0; i < list->group_cnt; i++)
		if (strcmp(list->groups[i].group, group) == 0)
			members = list->groups[i].member_cnt;
	rd_kafka_group_list_destroy(list);
	return members;
}

/* Subscribes to the topics of list and waits until the group gives an assignment. */
static rd_kafka_resp_err_t legacy_join(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *list)
{
	const struct legacy_join *join = rd_kafka_opaque(rk);
	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(list->cnt);
	int64_t deadline = log_clock_ms() + LEGACY_JOIN_TIMEOUT_MS;
	rd_kafka_resp_err_t e;

	for (int i = 0; i < list->cnt; i++)
		if (rd_kafka_topic_partition_list_find(topics, list->elems[i].topic, RD_KAFKA_PARTITION_UA) == NULL)
			rd_kafka_topic_partition_list_add(topics, list->elems[i].topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	while (e == RD_KAFKA_RESP_ERR_NO_ERROR && !join->joined) {
		rd_kafka_message_t *msg;

		if (log_clock_ms() >= deadline)
			return RD_KAFKA_RESP_ERR__TIMED_OUT;
		if ((msg = rd_kafka_consumer_poll(rk, 100)) != NULL)
			rd_kafka_message_destroy(msg);
	}
	return e;
}

/*
 * Commits list as the group's offsets from a consumer that joined it: Kafka takes offsets
 * from outside a group only while it is empty, the mock cluster never once the group
 * exists. A member given every partition is alone in the group, so no other member's
 * commits undo these. The commit is read back to be sure.
 */
static bool legacy_commit(rd_kafka_t *rk, const struct config *cfg, rd_kafka_topic_partition_list_t *list,
    char *err, size_t size)
{
	const struct legacy_join *join = rd_kafka_opaque(rk);
	rd_kafka_topic_partition_list_t *check;
	int members = legacy_members(rk, cfg->group);
	rd_kafka_resp_err_t e;

	if (members > 0) {
		snprintf(err, size, "group %s has %d active members: stop every feedbackd instance of the group and "
		    "run --rebuild again", cfg->group, members);
		return false;
	}
	if ((e = legacy_join(rk, list)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, size, "cannot join group %s: %s", cfg->group, rd_kafka_err2str(e));
		return false;
	}
	if (join->assigned < list->cnt) {
		snprintf(err, size, "group %s has other active members (it gave %d of %d partitions): stop every "
		    "feedbackd instance of the group and run --rebuild again", cfg->group, join->assigned, list->cnt);
		return false;
	}
	e = rd_kafka_commit(rk, list, 0);
	check = rd_kafka_topic_partition_list_copy(list);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		e = rd_kafka_committed(rk, check, LEGACY_KAFKA_TIMEOUT_MS);
	for (int i = 0; e == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; i++)
		if (check->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR || check->elems[i].offset != list->elems[i].offset)
			e = check->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR ? check->elems[i].err : RD_KAFKA_RESP_ERR__FAIL;
	rd_kafka_topic_partition_list_destroy(check);
	if (legacy_member_error(e))
		snprintf(err, size, "group %s has other active members: stop every feedbackd instance of the group and "
		    "run --rebuild again (a killed instance leaves the group after its session.timeout.ms)", cfg->group);
	else if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
		snprintf(err, size, "cannot commit the offsets of group %s: %s", cfg->group, rd_kafka_err2str(e));
	return e == RD_KAFKA_RESP_ERR_NO_ERROR;
}

/*
 * Resets the group's committed offsets: every input partition to its first offset (every
 * event is read again), every route partition past its last record (records of the old
 * state must not be applied again). What was done goes into done.
 */
static bool legacy_reset_offsets(const struct config *cfg, char *done, size_t done_size, char *err, size_t size)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk = NULL;
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_topic_partition_list_t *list = NULL;
	struct legacy_join join = {false, 0};
	rd_kafka_resp_err_t e;
	int inputs = 0, routes = 0;
	bool ok = false;

	if (strcmp(cfg->brokers, "embedded") == 0) {
		snprintf(done, done_size, "brokers = embedded keeps no offsets between runs: nothing to reset in Kafka");
		return true;
	}
	conf = kafka_conf_new(cfg, cfg->brokers, err, size);
	if (conf == NULL || !kafka_conf_set(conf, "log.queue", "false", err, size) ||
	    !kafka_conf_set(conf, "group.id", cfg->group, err, size) ||
	    !kafka_conf_set(conf, "enable.auto.commit", "false", err, size)) {
		if (conf != NULL)
			rd_kafka_conf_destroy(conf);
		return false;
	}
	rd_kafka_conf_set_log_cb(conf, legacy_on_kafka_log);
	rd_kafka_conf_set_rebalance_cb(conf, legacy_on_rebalance);
	rd_kafka_conf_set_opaque(conf, &join);
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, size)) == NULL) {
		rd_kafka_conf_destroy(conf);
		return false;
	}
	/* All topics: asking for some by name could create them on a broker that auto-creates. */
	e = rd_kafka_metadata(rk, 1, NULL, &md, LEGACY_KAFKA_TIMEOUT_MS);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, size, "cannot read the topics from %s: %s", cfg->brokers, rd_kafka_err2str(e));
		goto out;
	}
	list = rd_kafka_topic_partition_list_new(64);
	for (size_t i = 0; i < cfg->topic_count; i++)
		if (!legacy_add_topic(rk, md, cfg->topics[i], false, list, &inputs, err, size))
			goto out;
	if (!legacy_add_topic(rk, md, cfg->route_topic, true, list, &routes, err, size))
		goto out;
	ok = list->cnt == 0 || legacy_commit(rk, cfg, list, err, size);
	if (ok)
		snprintf(done, done_size, "group %s: %d input partitions set to their first offset, %d partitions of %s "
		    "to their end", cfg->group, inputs, routes, cfg->route_topic);
out:
	if (list != NULL)
		rd_kafka_topic_partition_list_destroy(list);
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return ok;
}

/* What a sweep of the keys has done so far, and when it last said so. */
struct legacy_sweep {
	uint64_t deleted;
	uint64_t scanned;
	int64_t said_ms;
};

/* The progress line, on stdout for whoever runs --rebuild. */
static void legacy_progress(struct legacy_sweep *s)
{
	printf("rebuild: %" PRIu64 " keys deleted (scanned %" PRIu64 ")\n", s->deleted, s->scanned);
	fflush(stdout);
	s->said_ms = log_clock_ms();
}

/* A SCAN MATCH pattern that matches the text literally, then anything: glob characters escaped. */
static bool legacy_pattern(const char *text, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = text; *p != '\0'; p++) {
		if (n + 3 >= size)
			return false;
		if (strchr("*?[]\\", *p) != NULL)
			buf[n++] = '\\';
		buf[n++] = *p;
	}
	buf[n++] = '*';
	buf[n] = '\0';
	return true;
}

/* Whether the sweep deletes key: a family of the previous release, or this group's checkpoints. */
static bool legacy_doomed(const struct config *cfg, const char *task, const char *key, size_t len)
{
	size_t plen = strlen(cfg->prefix), tlen = strlen(task);

	if (len >= tlen && memcmp(key, task, tlen) == 0)
		return true;
	if (len < plen || memcmp(key, cfg->prefix, plen) != 0)
		return false;
	for (size_t i = 0; i < LEGACY_FAMILY_COUNT; i++) {
		size_t flen = strlen(legacy_families[i]);

		if (len - plen >= flen && memcmp(key + plen, legacy_families[i], flen) == 0)
			return true;
	}
	return false;
}

/* Reads the replies to n pipelined UNLINKs and counts what they deleted. */
static bool legacy_unlinked(redisContext *c, int n, struct legacy_sweep *s, char *err, size_t size)
{
	for (int i = 0; i < n; i++) {
		redisReply *reply = NULL;

		if (redisGetReply(c, (void **)&reply) != REDIS_OK || reply == NULL) {
			snprintf(err, size, "%s", c->errstr[0] != '\0' ? c->errstr : "no reply");
			return false;
		}
		if (reply->type == REDIS_REPLY_INTEGER)
			s->deleted += (uint64_t)reply->integer;
		else
			snprintf(err, size, "UNLINK: %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		freeReplyObject(reply);
	}
	return true;
}

/*
 * Queues an UNLINK of the doomed keys of one SCAN reply (its keys element), or one UNLINK
 * per key on a cluster (a command names keys of one slot only); the UNLINKs queued, err set
 * when they could not be. Nothing is read here: the replies come after the next SCAN is sent.
 */
static int legacy_queue_unlink(redisContext *c, bool per_key, const struct config *cfg, const char *task,
    const redisReply *keys, struct legacy_sweep *s, char *err, size_t size)
{
	const char **argv = malloc((keys->elements + 1) * sizeof(*argv));
	size_t *lens = malloc((keys->elements + 1) * sizeof(*lens));
	int argc = 1, queued = 0;

	if (argv == NULL || lens == NULL) {
		snprintf(err, size, "out of memory");
		goto out;
	}
	argv[0] = "UNLINK";
	lens[0] = 6;
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		if (k->type != REDIS_REPLY_STRING)
			continue;
		s->scanned++;
		if (legacy_doomed(cfg, task, k->str, k->len)) {
			argv[argc] = k->str;
			lens[argc++] = k->len;
		}
	}
	for (int i = 1; per_key && i < argc; i++)
		queued += redisAppendCommandArgv(c, 2, (const char *[]){"UNLINK", argv[i]}, (size_t[]){6, lens[i]}) ==
		    REDIS_OK;
	if (!per_key && argc > 1)
		queued = redisAppendCommandArgv(c, argc, argv, lens) == REDIS_OK;
	if (queued < (per_key ? argc - 1 : argc > 1))
		snprintf(err, size, "out of memory");
out:
	free(argv);
	free(lens);
	return queued;
}

/*
 * Deletes every key of the families under the prefix and this group's checkpoints: one
 * SCAN MATCH over the prefix, each step's doomed keys in one UNLINK sent together with
 * the next SCAN (a pipeline of two), so the sweep costs one round trip per step.
 */
static bool legacy_sweep(redisContext *c, bool per_key, const struct config *cfg, struct legacy_sweep *s, char *err,
    size_t size)
{
	char pattern[2 * VIEW_KEY_SIZE], task[VIEW_KEY_SIZE], cursor[32] = "0";
	int unlinking = 0;

	/* The checkpoints are under the prefix too, so one pattern finds all. */
	if (!taskstore_group_keys(cfg->prefix, cfg->group, task, sizeof(task)) ||
	    !legacy_pattern(cfg->prefix, pattern, sizeof(pattern))) {
		snprintf(err, size, "the prefix or group is too long");
		return false;
	}
	*err = '\0';
	s->said_ms = log_clock_ms();
	do {
		redisReply *reply = NULL;

		redisAppendCommandArgv(c, 6, (const char *[]){"SCAN", cursor, "MATCH", pattern, "COUNT",
		    LEGACY_SCAN_COUNT}, NULL);
		if (!legacy_unlinked(c, unlinking, s, err, size))
			return false;
		if (redisGetReply(c, (void **)&reply) != REDIS_OK || reply == NULL) {
			snprintf(err, size, "%s", c->errstr[0] != '\0' ? c->errstr : "no reply");
			return false;
		}
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY ||
		    reply->element[0]->len >= sizeof(cursor)) {
			snprintf(err, size, "SCAN: %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
			freeReplyObject(reply);
			return false;
		}
		memcpy(cursor, reply->element[0]->str, reply->element[0]->len + 1);
		unlinking = legacy_queue_unlink(c, per_key, cfg, task, reply->element[1], s, err, size);
		freeReplyObject(reply);
		if (*err != '\0')
			return false;
		if (log_clock_ms() - s->said_ms >= LEGACY_PROGRESS_MS)
			legacy_progress(s);
	} while (strcmp(cursor, "0") != 0);
	if (!legacy_unlinked(c, unlinking, s, err, size))
		return false;
	return *err == '\0';
}

/*
 * Deletes the keys with fixed names, each on the primary serving it: the previous release's
 * and the contract's (P agents, P alerts, its sent set).
 */
static bool legacy_unlink_fixed(const struct redisnodes *n, const struct config *cfg, struct legacy_sweep *s,
    char *err, size_t size)
{
	char keys[LEGACY_FIXED_COUNT + 4][VIEW_KEY_SIZE];

	for (size_t i = 0; i < LEGACY_FIXED_COUNT; i++)
		legacy_key(keys[i], sizeof(keys[i]), cfg, legacy_fixed[i].name, "");
	legacy_key(keys[LEGACY_FIXED_COUNT], VIEW_KEY_SIZE, cfg, LEGACY_OFFSETS, cfg->group);
	if (!view_key_agents(cfg->prefix, 1, 0, keys[LEGACY_FIXED_COUNT + 1], VIEW_KEY_SIZE) ||
	    !view_key_stream(cfg->prefix, keys[LEGACY_FIXED_COUNT + 2], VIEW_KEY_SIZE) ||
	    !view_key_sent(cfg->prefix, keys[LEGACY_FIXED_COUNT + 3], VIEW_KEY_SIZE)) {
		snprintf(err, size, "the prefix is too long");
		return false;
	}
	for (size_t i = 0; i < LEGACY_FIXED_COUNT + 4; i++) {
		redisReply *reply;

		if (keys[i][0] == '\0')
			continue;
		if ((reply = redisnodes_command(redisnodes_of(n, keys[i]), 2, (const char *[]){"UNLINK", keys[i]}, err,
		    size)) == NULL)
			return false;
		if (reply->type == REDIS_REPLY_INTEGER)
			s->deleted += (uint64_t)reply->integer;
		freeReplyObject(reply);
	}
	return true;
}

/* Sweeps every primary, then the fixed names; false with the reason in err. */
static bool legacy_delete(const struct redisnodes *n, const struct config *cfg, struct legacy_sweep *s, char *err,
    size_t size)
{
	for (int i = 0; i < redisnodes_count(n); i++)
		if (!legacy_sweep(redisnodes_at(n, i), redisnodes_cluster(n), cfg, s, err, size))
			return false;
	return legacy_unlink_fixed(n, cfg, s, err, size);
}

/* See legacy.h. */
int legacy_rebuild(const struct config *cfg)
{
	char err[1024] = "", where[300], marker[VIEW_KEY_SIZE], now[TS_RFC3339_SIZE], kafka[512] = "";
	struct legacy_sweep sweep = {0, 0, 0};
	struct redisnodes *n;
	redisContext *c;

	redis_where(cfg, where, sizeof(where));
	if ((n = redisnodes_open(cfg, err, sizeof(err))) == NULL) {
		log_err("rebuild: cannot use redis at %s: %s; nothing was changed", where, err);
		return 1;
	}
	legacy_key(marker, sizeof(marker), cfg, LEGACY_MARKER, "");
	c = redisnodes_of(n, marker);
	ts_format_rfc3339(ts_now_ms(), now, sizeof(now));
	/* Set first: from here on a start is refused until a run of --rebuild completes. */
	if (!legacy_run(c, 3, (const char *[]){"SET", marker, now}, err, sizeof(err))) {
		log_err("rebuild: redis at %s: %s; nothing was changed", where, err);
		redisnodes_close(n);
		return 1;
	}
	if (!legacy_reset_offsets(cfg, kafka, sizeof(kafka), err, sizeof(err))) {
		log_err("rebuild: kafka: %s; nothing was changed", err);
		legacy_run(c, 2, (const char *[]){"DEL", marker}, err, sizeof(err));
		redisnodes_close(n);
		return 1;
	}
	printf("rebuild: kafka: %s\n", kafka);
	printf("rebuild: deleting the previous release's keys, the stats and alerts keys and the task checkpoints "
	    "of group %s under \"%s\" in %s\n", cfg->group, cfg->prefix, where);
	fflush(stdout);
	if (!legacy_delete(n, cfg, &sweep, err, sizeof(err)) ||
	    !legacy_run(c, 2, (const char *[]){"DEL", marker}, err, sizeof(err))) {
		log_err("rebuild: redis at %s: %s; after %" PRIu64 " keys deleted; run --rebuild again (the service will "
		    "not start until a run completes)", where, err, sweep.deleted);
		redisnodes_close(n);
		return 1;
	}
	redisnodes_close(n);
	legacy_progress(&sweep);
	printf("rebuild: done: %" PRIu64 " keys deleted (scanned %" PRIu64 "); %s; start the service now: it reads "
	    "the input topics again from their beginning\n", sweep.deleted, sweep.scanned, kafka);
	fflush(stdout);
	return 0;
}
