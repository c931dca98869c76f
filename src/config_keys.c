/* config_keys.c: every key of the config file, its default and its value parser. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "config_rule_keys.h"
#include "log.h"
#include "partitioner.h"
#include "rule.h"
#include "timestamp.h"
#include "window.h"

#define nitems(a) (sizeof (a) / sizeof ((a)[0]))

/* What an unset [engine] route_topic is named after: "<group>.route". */
#define CONFIG_ROUTE_SUFFIX ".route"

enum config_type {
	CONFIG_STRING,		/* must not be empty */
	CONFIG_OPTSTRING,	/* empty means unset (NULL) */
	CONFIG_OBSOLETE,	/* accepted and ignored, with a warning: the key lost its meaning */
	CONFIG_TOPIC,		/* one Kafka topic name */
	CONFIG_OPTTOPIC,	/* a topic name; empty means unset (NULL) */
	CONFIG_TOPICS,		/* comma-separated topic names */
	CONFIG_INT,		/* between min and max */
	CONFIG_DURATION,	/* "90s", stored as int64_t ms; within min..max ms when max > 0 */
	CONFIG_SLA_TARGET,	/* a duration that defaults to reply_target */
	CONFIG_FRACTION,	/* 0 <= x < 1, stored as double */
	CONFIG_WINDOWS,		/* "1h,24h", into struct windows */
	CONFIG_LOGLEVEL,	/* log_level_parse() */
	CONFIG_LISTEN,		/* "HOST:PORT", or "off" for NULL */
	CONFIG_BOOL,		/* true/false, yes/no, on/off */
	CONFIG_OPTDURATION,	/* "0" or a duration, as int64_t ms */
	CONFIG_RULE_WINDOW,	/* a window name, resolved once the file is read */
	CONFIG_RULE_THRESHOLD,	/* a number in the rule's unit and range */
	CONFIG_RULE_SAMPLES,	/* a rule's min_samples, as int64_t */
	CONFIG_RULE_MODE,	/* "confidence" or "plain", as bool confidence_mode */
	CONFIG_RULE_CONFIDENCE,	/* 0.5..0.999 */
	CONFIG_RULE_MARGIN,	/* points for score rules, else a fraction */
	CONFIG_PARTITIONER,	/* partitioner_parse(), as enum partitioner_kind */
	CONFIG_REDIS_MODE,	/* standalone, cluster or sentinel, as enum redis_mode */
	CONFIG_HOSTPORTS,	/* "host:port,...", into struct config_hostports; empty: none */
};

/* One key of the file: where it goes, its built-in default and what it means. */
struct config_key {
	const char		*section;
	const char		*name;
	enum config_type	 type;
	size_t			 offset;
	const char		*def;	/* NULL: unset (or inherited, for CONFIG_SLA_TARGET) */
	int			 min;	/* CONFIG_INT, and CONFIG_DURATION (ms) */
	int			 max;
	const char		*help;
	enum rule_id		 rule;	/* the CONFIG_RULE_* types only */
};

#define KEY(sec, key, type, field, def, help) \
	{ sec, key, type, offsetof(struct config, field), def, 0, 0, help, 0 }
/* A key that lost its meaning: still accepted, so old files load, and reported. */
#define OBSOLETE(sec, key, why) \
	{ sec, key, CONFIG_OBSOLETE, 0, NULL, 0, 0, why, 0 }
#define INT(sec, key, field, def, min, max, help) \
	{ sec, key, CONFIG_INT, offsetof(struct config, field), def, min, max, help, 0 }
#define DURATION(sec, key, field, def, min_ms, max_ms, help) \
	{ sec, key, CONFIG_DURATION, offsetof(struct config, field), def, min_ms, max_ms, help, 0 }
#define SLA(key, sev, help) \
	{ "sla", key, CONFIG_SLA_TARGET, offsetof(struct config, reply_target_severity_ms) + \
	    (sev) * sizeof (int64_t), NULL, 0, 0, help, 0 }
/* A key of [rule.NAME]; its default comes from rule_defaults(), not from a string. */
#define RULE(id, name, key, type, member, help) \
	{ "rule." name, key, type, offsetof(struct config, rules) + \
	    (id) * sizeof (struct rule_config) + offsetof(struct rule_config, member), \
	    NULL, 0, 0, help, id }
/* The keys every rule has. */
#define RULE_COMMON(id, name) \
	RULE(id, name, "enabled", CONFIG_BOOL, enabled, "true or false"), \
	RULE(id, name, "window", CONFIG_RULE_WINDOW, window, "one of the [windows] sizes"), \
	RULE(id, name, "threshold", CONFIG_RULE_THRESHOLD, threshold, "fires past this"), \
	RULE(id, name, "mode", CONFIG_RULE_MODE, confidence_mode, "confidence or plain"), \
	RULE(id, name, "margin", CONFIG_RULE_MARGIN, margin, "hysteresis before resolving"), \
	RULE(id, name, "for", CONFIG_OPTDURATION, for_ms, "pending period; 0 fires at once"), \
	RULE(id, name, "repeat_interval", CONFIG_OPTDURATION, repeat_ms, \
	    "re-publish a firing alert this often; 0 never")
#define RULE_SAMPLES(id, name) \
	RULE(id, name, "min_samples", CONFIG_RULE_SAMPLES, min_samples, \
	    "fewer ratings or replies never fire")
#define RULE_CONFIDENCE(id, name) \
	RULE(id, name, "confidence", CONFIG_RULE_CONFIDENCE, confidence, \
	    "confidence level of the interval")

/*
 * Every key, its type and default. This table is the only place defaults live:
 * config_defaults() parses these strings exactly as if they came from the file,
 * and conf/feedbackd.conf repeats them (a unit test holds the two together).
 */
static const struct config_key config_keys_table[] = {
	KEY("kafka", "brokers", CONFIG_STRING, brokers, "embedded",
	    "bootstrap servers host:port,...; \"embedded\" runs a mock cluster in-process"),
	KEY("kafka", "group", CONFIG_STRING, group, "feedbackd",
	    "consumer group id"),
	KEY("kafka", "group_instance_id", CONFIG_OPTSTRING, group_instance_id, NULL,
	    "static group membership: this instance's name, kept across restarts; empty: dynamic"),
	KEY("kafka", "topics", CONFIG_TOPICS, topics, "feedback.events",
	    "input topics, comma separated"),
	KEY("kafka", "dlq_topic", CONFIG_TOPIC, dlq_topic, "feedback.dlq",
	    "invalid events are produced here with the reason in a header"),
	KEY("kafka", "alerts_topic", CONFIG_TOPIC, alerts_topic, "feedback.alerts",
	    "alerts are produced here"),
	INT("kafka", "embedded_partitions", embedded_partitions, "4", 1, 64,
	    "partitions of each topic of the embedded cluster"),

	KEY("redis", "host", CONFIG_STRING, redis_host, "127.0.0.1",
	    "Redis host name or address"),
	INT("redis", "port", redis_port, "6379", 1, 65535,
	    "Redis TCP port"),
	KEY("redis", "socket", CONFIG_OPTSTRING, redis_socket, NULL,
	    "unix socket path; wins over host and port"),
	KEY("redis", "user", CONFIG_OPTSTRING, redis_user, NULL,
	    "ACL user name for AUTH"),
	KEY("redis", "password", CONFIG_OPTSTRING, redis_password, NULL,
	    "password for AUTH"),
	INT("redis", "db", redis_db, "0", 0, 15,
	    "database number for SELECT"),
	KEY("redis", "prefix", CONFIG_STRING, prefix, "fb:",
	    "prefix of every key feedbackd reads or writes"),
	KEY("redis", "timeout", CONFIG_DURATION, redis_timeout_ms, "5s",
	    "a connection with commands outstanding and no reply for this long is dropped"),
	INT("redis", "wait_replicas", redis_wait_replicas, "0", 0, 64,
	    "replicas that must confirm a checkpoint commit (WAIT) before its offsets are committed"),
	KEY("redis", "mode", CONFIG_REDIS_MODE, redis_mode, "standalone",
	    "standalone (host and port, or socket), cluster (the cluster's seeds) or sentinel"),
	KEY("redis", "cluster", CONFIG_HOSTPORTS, redis_cluster, "",
	    "mode = cluster: seed nodes host:port,...; the rest are found with CLUSTER SLOTS"),
	KEY("redis", "sentinels", CONFIG_HOSTPORTS, redis_sentinels, "",
	    "mode = sentinel: the Sentinels, host:port,..."),
	KEY("redis", "master_name", CONFIG_STRING, redis_master_name, "mymaster",
	    "mode = sentinel: the name the Sentinels monitor the primary under"),
	INT("redis", "agents_shards", redis_agents_shards, "1", 1, 1024,
	    "keys the agent index is split into: 1 is fb:agents, N > 1 fb:agents:0 to fb:agents:<N-1>"),

	KEY("windows", "sizes", CONFIG_WINDOWS, windows, "1h,24h,7d,30d",
	    "rolling windows, comma separated; the names appear in field names"),
	KEY("windows", "refresh", CONFIG_DURATION, refresh_ms, "60s",
	    "how often an agent with a rule pending or firing is evaluated again while idle"),

	INT("ingest", "batch_size", batch_size, "8000", 1, 10000,
	    "a task commits to Redis at once when it holds this many events not yet committed"),
	OBSOLETE("ingest", "max_inflight_batches", "each task has one commit in flight at a time"),
	KEY("ingest", "dedupe_horizon", CONFIG_DURATION, dedupe_horizon_ms, "24h",
	    "how long an event_id is remembered to drop duplicates"),
	KEY("ingest", "max_future", CONFIG_DURATION, max_future_ms, "5m",
	    "events stamped further ahead than this are rejected"),

	KEY("sla", "reply_target", CONFIG_DURATION, reply_target_ms, "24h",
	    "reply deadline for messages, and the default for complaints"),
	SLA("reply_target.low", SEVERITY_LOW, "reply deadline for low complaints"),
	SLA("reply_target.normal", SEVERITY_NORMAL, "reply deadline for normal complaints"),
	SLA("reply_target.high", SEVERITY_HIGH, "reply deadline for high complaints"),
	SLA("reply_target.critical", SEVERITY_CRITICAL, "reply deadline for critical complaints"),
	KEY("sla", "at_risk", CONFIG_FRACTION, at_risk, "0.8",
	    "fraction of the deadline that raises an at-risk alert; 0 disables"),
	KEY("sla", "pair_horizon", CONFIG_DURATION, pair_horizon_ms, "7d",
	    "how long a reply that arrived before its message waits for it"),
	KEY("sla", "ticket_memory", CONFIG_OPTDURATION, ticket_memory_ms, "0",
	    "how long a ticket with no clock running is remembered (0: forgotten at once)"),
	KEY("sla", "status_grace", CONFIG_OPTDURATION, status_grace_ms, "10s",
	    "how long a stopped clock waits for status events stamped before its stop; 0 counts it at once"),
	OBSOLETE("sla", "rescan", "the task that owns a clock fires it from its own timer"),

	KEY("recovery", "follow_up_within", CONFIG_DURATION, follow_up_within_ms, "3d",
	    "a complaint's follow-up is due this long after its answer (follow_up_due, follow_up_missing)"),
	KEY("recovery", "rating_within", CONFIG_DURATION, rating_within_ms, "7d",
	    "a rating this long after a complaint is its recovery's outcome; then the complaint is forgotten"),

	KEY("appraisal", "calendar", CONFIG_OPTSTRING, appraisal_calendar, NULL,
	    "the [calendar.NAME] whose time zone the monthly hashes follow; unset: UTC (read at start only)"),

	KEY("http", "listen", CONFIG_LISTEN, http_listen, "127.0.0.1:9187",
	    "HOST:PORT of the health and metrics endpoint, or off"),

	KEY("teams", "map", CONFIG_OPTSTRING, teams_map, NULL,
	    "a file of AGENT TEAM lines (beside this file when relative); an event's team_id wins"),

	KEY("log", "level", CONFIG_LOGLEVEL, log_level, "info",
	    "err, warning, notice, info or debug"),

	INT("engine", "tasks", tasks, "0", 0, 1024,
	    "partitions of the route topic, one task each; 0: those of the first input topic"),
	KEY("engine", "route_topic", CONFIG_OPTTOPIC, route_topic, NULL,
	    "internal topic between tasks; unset: \"<group>.route\""),
	KEY("engine", "partitioner", CONFIG_PARTITIONER, partitioner, "consistent_random",
	    "the input producers' partitioner: consistent_random or murmur2_random"),
	DURATION("engine", "flush_interval", flush_interval_ms, "20ms", 1, 10000,
	    "how often a task's changes are committed to Redis"),

	/* Keys that could have no effect on a rule are left out, so setting one is an error. */
	RULE_COMMON(RULE_CSAT_BELOW, "csat_below"),
	RULE_SAMPLES(RULE_CSAT_BELOW, "csat_below"),
	RULE_CONFIDENCE(RULE_CSAT_BELOW, "csat_below"),
	RULE_COMMON(RULE_NPS_BELOW, "nps_below"),
	RULE_SAMPLES(RULE_NPS_BELOW, "nps_below"),
	RULE_CONFIDENCE(RULE_NPS_BELOW, "nps_below"),
	RULE_COMMON(RULE_COMPLAINTS_ABOVE, "complaints_above"),
	RULE_COMMON(RULE_COMPLAINT_RATE_ABOVE, "complaint_rate_above"),
	RULE_SAMPLES(RULE_COMPLAINT_RATE_ABOVE, "complaint_rate_above"),
	RULE_COMMON(RULE_RESPONSE_TIME_ABOVE, "response_time_above"),
	RULE_SAMPLES(RULE_RESPONSE_TIME_ABOVE, "response_time_above"),
	/* No mode or margin: it fires while suspect and resolves once not (docs/alert-rules.md). */
	RULE(RULE_RATING_INTEGRITY, RULE_RATING_INTEGRITY_NAME, "enabled", CONFIG_BOOL, enabled, "true or false"),
	RULE(RULE_RATING_INTEGRITY, RULE_RATING_INTEGRITY_NAME, "window", CONFIG_RULE_WINDOW, window,
	    "one of the [windows] sizes"),
	RULE(RULE_RATING_INTEGRITY, RULE_RATING_INTEGRITY_NAME, "threshold", CONFIG_RULE_THRESHOLD, threshold,
	    "points the top-box share must exceed the peers' by"),
	RULE(RULE_RATING_INTEGRITY, RULE_RATING_INTEGRITY_NAME, "for", CONFIG_OPTDURATION, for_ms,
	    "pending period; 0 fires at once"),
	RULE(RULE_RATING_INTEGRITY, RULE_RATING_INTEGRITY_NAME, "repeat_interval", CONFIG_OPTDURATION, repeat_ms,
	    "re-publish a firing alert this often; 0 never"),
	RULE_SAMPLES(RULE_RATING_INTEGRITY, RULE_RATING_INTEGRITY_NAME),
	RULE(RULE_RATING_INTEGRITY, RULE_RATING_INTEGRITY_NAME, "confidence", CONFIG_RULE_CONFIDENCE, confidence,
	    "one-sided confidence of each of its tests"),
};

_Static_assert(nitems(config_keys_table) <= CONFIG_KEYS_MAX, "raise CONFIG_KEYS_MAX");

/* The address of a key's field inside cfg. */
static void *
config_keys_field(struct config *cfg, const struct config_key *k)
{
	return (char *)cfg + k->offset;
}

/* See config_keys.h. */
bool
config_keys_reject(char *reason, size_t size, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(reason, size, fmt, ap);
	va_end(ap);
	return false;
}

/* See config_keys.h. */
bool
config_keys_refuse(char *reason, size_t size, const char *section, const char *key,
    const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(reason, size, "[%s] %s%s", section, key != NULL ? key : "",
	    key != NULL ? ": " : "");
	if (n < 0 || (size_t)n >= size)
		return false;
	va_start(ap, fmt);
	vsnprintf(reason + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* See config_keys.h. */
bool
config_keys_list_next(const char **cursor, const char **item, size_t *len)
{
	const char	*start = *cursor, *end, *comma;

	if (start == NULL)
		return false;
	comma = strchr(start, ',');
	end = comma != NULL ? comma : start + strlen(start);
	/* After a comma there is always one more item, "" for a trailing comma. */
	*cursor = comma != NULL ? comma + 1 : NULL;
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*item = start;
	*len = (size_t)(end - start);
	return true;
}

/* See config_keys.h. */
bool
config_keys_name_valid(const char *s, size_t len)
{
	if (len == 0 || len >= POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char	c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* See config_keys.h. */
bool
config_keys_duration(const char *value, int64_t *ms, char *reason, size_t size)
{
	if (!duration_parse(value, ms))
		return config_keys_reject(reason, size,
		    "'%.*s' is not a duration (like 500ms, 90s, 15m, 24h, 7d)", CONFIG_QUOTE_MAX,
		    value);
	return true;
}

/* See config_keys.h. */
bool
config_keys_fraction(const char *value, double *out, char *reason, size_t size)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(value, &end);
	/* The negated test also refuses NaN. */
	if (*value == '\0' || *end != '\0' || errno != 0 || !(d >= 0 && d < 1))
		return config_keys_reject(reason, size,
		    "'%.*s' is not a number from 0 up to (not including) 1", CONFIG_QUOTE_MAX,
		    value);
	*out = d;
	return true;
}

/* Replaces an owned string; false only when out of memory. */
static bool
config_keys_set_string(char **dst, const char *value)
{
	char	*copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return false;
	free(*dst);
	*dst = copy;
	return true;
}

/* See config_keys.h. */
bool
config_keys_int(const char *s, int min, int max, int *out)
{
	char	*end;
	long	 v;

	/* strtol would accept leading blanks and an empty string as 0. */
	if ((*s < '0' || *s > '9') && *s != '-' && *s != '+')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

/* Kafka's own rule for topic names: up to 249 of [A-Za-z0-9._-], not "." or "..". */
static bool
config_keys_topic_valid(const char *s, size_t len)
{
	if (len == 0 || len > 249)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char	c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Parses "a, b,c" into cfg->topics; the old list is kept unless the new one is valid. */
static bool
config_keys_set_topics(struct config *cfg, const char *value, char *reason, size_t size)
{
	char		*topics[CONFIG_TOPICS_MAX];
	size_t		 count = 0, len;
	const char	*cursor = value, *start;

	/* An empty list is let through; config_validate() reports it with its own words. */
	if (value[strspn(value, " \t")] == '\0')
		cursor = NULL;
	while (config_keys_list_next(&cursor, &start, &len)) {
		if (!config_keys_topic_valid(start, len)) {
			config_keys_reject(reason, size, "'%.*s' is not a valid topic name",
			    (int)(len > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : len), start);
			goto fail;
		}
		for (size_t i = 0; i < count; i++) {
			if (strlen(topics[i]) == len && memcmp(topics[i], start, len) == 0) {
				config_keys_reject(reason, size, "topic '%s' is listed twice",
				    topics[i]);
				goto fail;
			}
		}
		if (count == CONFIG_TOPICS_MAX) {
			config_keys_reject(reason, size, "more than %d topics", CONFIG_TOPICS_MAX);
			goto fail;
		}
		if ((topics[count] = strndup(start, len)) == NULL) {
			config_keys_reject(reason, size, "out of memory");
			goto fail;
		}
		count++;
	}
	for (size_t i = 0; i < cfg->topic_count; i++)
		free(cfg->topics[i]);
	memcpy(cfg->topics, topics, count * sizeof topics[0]);
	cfg->topic_count = count;
	return true;

fail:
	for (size_t i = 0; i < count; i++)
		free(topics[i]);
	return false;
}

/* Checks "HOST:PORT" loosely (the port is after the last colon, so "[::1]:9187" works). */
static bool
config_keys_listen_valid(const char *value)
{
	const char	*colon = strrchr(value, ':');
	int		 port;

	return colon != NULL && colon != value &&
	    config_keys_int(colon + 1, 1, 65535, &port);
}

/* [redis] mode: one of the words of enum redis_mode. */
static bool
config_keys_set_redis_mode(const char *value, void *field, char *reason, size_t size)
{
	static const char *const names[] = {
		[REDIS_MODE_STANDALONE] = "standalone",
		[REDIS_MODE_CLUSTER] = "cluster",
		[REDIS_MODE_SENTINEL] = "sentinel",
	};

	for (size_t i = 0; i < nitems(names); i++) {
		if (strcmp(value, names[i]) == 0) {
			*(enum redis_mode *)field = (enum redis_mode)i;
			return true;
		}
	}
	return config_keys_reject(reason, size, "'%.*s' is not standalone, cluster or sentinel",
	    CONFIG_QUOTE_MAX, value);
}

/* A list of host:port endpoints; empty means none. */
static bool
config_keys_set_hostports(const char *value, void *field, char *reason, size_t size)
{
	struct config_hostports	*list = field;
	int			 n, bad;

	if (*value == '\0') {
		list->count = 0;
		return true;
	}
	if ((n = hostport_list(value, list->at, HOSTPORT_LIST_MAX, &bad)) < 0)
		return config_keys_reject(reason, size,
		    bad == HOSTPORT_LIST_MAX ? "more than %d endpoints in '%.*s'" :
		    "item %d of '%.*s' is not HOST:PORT", bad == HOSTPORT_LIST_MAX ? bad : bad + 1,
		    CONFIG_QUOTE_MAX, value);
	list->count = n;
	return true;
}

/* Refuses a duration outside k's [min, max] ms, naming the bounds as durations. */
static bool
config_keys_reject_span(const struct config_key *k, const char *value, char *reason,
    size_t size)
{
	char	min[32], max[32];

	duration_format(k->min, min, sizeof min);
	duration_format(k->max, max, sizeof max);
	return config_keys_reject(reason, size, "'%.*s' is not a duration from %s to %s",
	    CONFIG_QUOTE_MAX, value, min, max);
}

/*
 * Parses value into k's field. On failure writes the reason, starting with
 * "[section] key: ", and leaves the field as it was.
 */
static bool
config_keys_value(struct config *cfg, const struct config_key *k, const char *value,
    char *reason, size_t size)
{
	void		*field = config_keys_field(cfg, k);
	char		 why[CONFIG_REASON_SIZE];
	int		 n, level;
	int64_t		 ms;
	struct windows	 ws;

	if (k->type == CONFIG_OBSOLETE) {
		log_warn("config: [%s] %s no longer has an effect (%s); remove it", k->section, k->name,
		    k->help);
		return true;
	}
	n = snprintf(reason, size, "[%s] %s: ", k->section, k->name);
	if (n < 0 || (size_t)n >= size)
		n = 0;
	reason += n;
	size -= (size_t)n;

	switch (k->type) {
	case CONFIG_OBSOLETE: /* reported above */
		break;
	case CONFIG_STRING:
		if (*value == '\0')
			return config_keys_reject(reason, size, "must not be empty");
		break;
	case CONFIG_OPTSTRING:
		if (*value == '\0')
			value = NULL;
		break;
	case CONFIG_OPTTOPIC:
		if (*value == '\0') {
			value = NULL;
			break;
		}
		/* FALLTHROUGH */
	case CONFIG_TOPIC:
		if (!config_keys_topic_valid(value, strlen(value)))
			return config_keys_reject(reason, size, "'%.*s' is not a valid topic name",
			    CONFIG_QUOTE_MAX, value);
		break;
	case CONFIG_TOPICS:
		return config_keys_set_topics(cfg, value, reason, size);
	case CONFIG_INT:
		if (!config_keys_int(value, k->min, k->max, field))
			return config_keys_reject(reason, size,
			    "'%.*s' is not an integer between %d and %d", CONFIG_QUOTE_MAX,
			    value, k->min, k->max);
		return true;
	case CONFIG_DURATION:
	case CONFIG_SLA_TARGET:
		if (!config_keys_duration(value, &ms, reason, size))
			return false;
		if (k->max > 0 && (ms < k->min || ms > k->max))
			return config_keys_reject_span(k, value, reason, size);
		*(int64_t *)field = ms;
		return true;
	case CONFIG_REDIS_MODE:
		return config_keys_set_redis_mode(value, field, reason, size);
	case CONFIG_HOSTPORTS:
		return config_keys_set_hostports(value, field, reason, size);
	case CONFIG_PARTITIONER:
		if (!partitioner_parse(value, field))
			return config_keys_reject(reason, size,
			    "'%.*s' is not consistent_random or murmur2_random", CONFIG_QUOTE_MAX,
			    value);
		return true;
	case CONFIG_FRACTION:
		return config_keys_fraction(value, field, reason, size);
	case CONFIG_WINDOWS:
		if (!windows_parse(value, &ws, why, sizeof why))
			return config_keys_reject(reason, size, "'%.*s' is not a window list (%s)",
			    CONFIG_QUOTE_MAX, value, why);
		*(struct windows *)field = ws;
		return true;
	case CONFIG_LOGLEVEL:
		if ((level = log_level_parse(value)) < 0)
			return config_keys_reject(reason, size,
			    "'%.*s' is not one of err, warning, notice, info, debug",
			    CONFIG_QUOTE_MAX, value);
		*(int *)field = level;
		return true;
	case CONFIG_LISTEN:
		if (strcmp(value, "off") == 0)
			value = NULL;
		else if (!config_keys_listen_valid(value))
			return config_keys_reject(reason, size, "'%.*s' is not HOST:PORT or off",
			    CONFIG_QUOTE_MAX, value);
		break;
	case CONFIG_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "on") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		    strcmp(value, "off") == 0)
			*(bool *)field = false;
		else
			return config_keys_reject(reason, size, "'%.*s' is not true or false",
			    CONFIG_QUOTE_MAX, value);
		return true;
	case CONFIG_OPTDURATION:
		if (strcmp(value, "0") == 0)
			ms = 0;
		else if (!duration_parse(value, &ms))
			return config_keys_reject(reason, size,
			    "'%.*s' is not 0 or a duration (like 500ms, 90s, 15m, 24h, 7d)",
			    CONFIG_QUOTE_MAX, value);
		*(int64_t *)field = ms;
		return true;
	case CONFIG_RULE_WINDOW:
		/* The windows may be set further down: config_rule_windows() resolves it. */
		return true;
	case CONFIG_RULE_THRESHOLD:
		return config_rule_keys_threshold(k->rule, value, field, reason, size);
	case CONFIG_RULE_SAMPLES:
		return config_rule_keys_samples(value, field, reason, size);
	case CONFIG_RULE_MODE:
		return config_rule_keys_mode(k->rule, value, field, reason, size);
	case CONFIG_RULE_CONFIDENCE:
		return config_rule_keys_confidence(value, field, reason, size);
	case CONFIG_RULE_MARGIN:
		return config_rule_keys_margin(k->rule, value, field, reason, size);
	}
	/* The string types end up here. */
	if (!config_keys_set_string(field, value))
		return config_keys_reject(reason, size, "out of memory");
	return true;
}

/* See config_keys.h. */
int
config_keys_find(const char *section, const char *name)
{
	for (size_t i = 0; i < nitems(config_keys_table); i++) {
		if (strcmp(config_keys_table[i].section, section) == 0 &&
		    strcmp(config_keys_table[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* See config_keys.h. */
bool
config_keys_mark(int i, int *seen, const char *section, const char *name, int line,
    char *reason, size_t size)
{
	if (i < 0)
		return config_keys_reject(reason, size, "unknown key '%s' in [%s]", name, section);
	/* A second line for a key is a mistake: silently taking the last would hide it. */
	if (seen[i] != 0)
		return config_keys_reject(reason, size,
		    "duplicate key '%s' in [%s] (first set on line %d)", name, section, seen[i]);
	seen[i] = line;
	return true;
}

/* See config_keys.h. */
bool
config_keys_section_known(const char *name, size_t len)
{
	for (size_t i = 0; i < nitems(config_keys_table); i++) {
		if (strlen(config_keys_table[i].section) == len &&
		    memcmp(config_keys_table[i].section, name, len) == 0)
			return true;
	}
	return false;
}

/* See config_keys.h. */
bool
config_keys_set(struct config *cfg, int i, const char *value, char *reason, size_t size)
{
	return config_keys_value(cfg, &config_keys_table[i], value, reason, size);
}

/* See config_keys.h. */
int
config_keys_rule_window(int i)
{
	const struct config_key	*k = &config_keys_table[i];

	return k->type == CONFIG_RULE_WINDOW ? (int)k->rule : -1;
}

/* An unset route topic is named after the group, which may make an invalid name. */
static bool
config_keys_route_topic(struct config *cfg, char *reason, size_t size)
{
	size_t	len = strlen(cfg->group) + strlen(CONFIG_ROUTE_SUFFIX);
	char	*name = malloc(len + 1);

	if (name == NULL)
		return config_keys_reject(reason, size, "out of memory");
	snprintf(name, len + 1, "%s%s", cfg->group, CONFIG_ROUTE_SUFFIX);
	if (!config_keys_topic_valid(name, len)) {
		config_keys_reject(reason, size,
		    "[kafka] group: '%.*s' (the name of an unset [engine] route_topic) is not a "
		    "valid topic name; set route_topic", CONFIG_QUOTE_MAX, name);
		free(name);
		return false;
	}
	free(cfg->route_topic);
	cfg->route_topic = name;
	return true;
}

/* See config_keys.h. */
bool
config_keys_derive(struct config *cfg, const int *seen, char *reason, size_t size)
{
	for (size_t i = 0; i < nitems(config_keys_table); i++) {
		const struct config_key	*k = &config_keys_table[i];

		/* Severity targets not set follow reply_target, whatever order the lines came in. */
		if (k->type == CONFIG_SLA_TARGET && (seen == NULL || seen[i] == 0))
			*(int64_t *)config_keys_field(cfg, k) = cfg->reply_target_ms;
	}
	/* Unset, or set empty: the group may have changed since the defaults named it. */
	if (seen == NULL || seen[config_keys_find("engine", "route_topic")] == 0 ||
	    cfg->route_topic == NULL)
		return config_keys_route_topic(cfg, reason, size);
	return true;
}

/* See config_keys.h. */
void
config_keys_defaults(struct config *cfg)
{
	char	reason[CONFIG_REASON_SIZE];

	for (size_t i = 0; i < nitems(config_keys_table); i++) {
		const struct config_key	*k = &config_keys_table[i];

		if (k->def == NULL)
			continue;
		/* A default that does not parse is a bug in the table above; the unit tests catch it. */
		if (!config_keys_value(cfg, k, k->def, reason, sizeof reason)) {
			log_err("bad built-in default: %s", reason);
			abort();
		}
	}
	if (!config_keys_derive(cfg, NULL, reason, sizeof reason)) {
		log_err("built-in defaults: %s", reason);
		abort();
	}
	for (int id = 0; id < RULE_COUNT; id++)
		rule_defaults((enum rule_id)id, &cfg->windows, &cfg->rules[id]);
}

/* See config_keys.h. */
void
config_keys_free(struct config *cfg)
{
	for (size_t i = 0; i < nitems(config_keys_table); i++) {
		const struct config_key	*k = &config_keys_table[i];

		switch (k->type) {
		case CONFIG_STRING:
		case CONFIG_OPTSTRING:
		case CONFIG_TOPIC:
		case CONFIG_OPTTOPIC:
		case CONFIG_LISTEN:
			free(*(char **)config_keys_field(cfg, k));
			*(char **)config_keys_field(cfg, k) = NULL;
			break;
		case CONFIG_TOPICS:
			for (size_t t = 0; t < cfg->topic_count; t++)
				free(cfg->topics[t]);
			cfg->topic_count = 0;
			break;
		default:
			break;
		}
	}
}
