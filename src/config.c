/* config.c: the INI file, read with libinih and checked against one table of keys. */

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "rule.h"
#include "timestamp.h"
#include "window.h"

#define nitems(a) (sizeof (a) / sizeof ((a)[0]))

#define CONFIG_REASON_SIZE 256
#define CONFIG_PASSTHROUGH_PREFIX "rdkafka."
/* Values are quoted in messages only this far, so a long one cannot hide the reason. */
#define CONFIG_QUOTE_MAX 64
/* The most a rule's min_samples may ask for. */
#define CONFIG_SAMPLES_MAX 1000000
/* The highest CSAT (%) and NPS there is. */
#define CONFIG_SCORE_MAX 100
/* threshold + margin is a sum of decimals read as doubles: 80.1 + 19.9 must still be 100. */
#define CONFIG_SCORE_TOLERANCE 1e-9

enum config_type {
	CONFIG_STRING,		/* must not be empty */
	CONFIG_OPTSTRING,	/* empty means unset (NULL) */
	CONFIG_TOPIC,		/* one Kafka topic name */
	CONFIG_TOPICS,		/* comma-separated topic names */
	CONFIG_INT,		/* between min and max */
	CONFIG_DURATION,	/* "90s", stored as int64_t ms */
	CONFIG_SLA_TARGET,	/* a duration that defaults to reply_target */
	CONFIG_FRACTION,	/* 0 <= x < 1, stored as double */
	CONFIG_WINDOWS,		/* "1h,24h", into struct windows */
	CONFIG_LOGLEVEL,	/* log_level_parse() */
	CONFIG_LISTEN,		/* "HOST:PORT", or "off" for NULL */
	CONFIG_BOOL,		/* true/false, yes/no, on/off */
	CONFIG_OPTDURATION,	/* "0" or a duration, as int64_t ms */
	CONFIG_RULE_WINDOW,	/* a window name, resolved once the file is read */
	CONFIG_RULE_THRESHOLD,	/* a number in the rule's unit and range */
	CONFIG_RULE_SAMPLES,	/* 0..CONFIG_SAMPLES_MAX, as int64_t */
	CONFIG_RULE_MODE,	/* "confidence" or "plain", as bool confidence_mode */
	CONFIG_RULE_CONFIDENCE,	/* 0.5..0.999 */
	CONFIG_RULE_MARGIN,	/* points for score rules, else a fraction */
};

/* One key of the file: where it goes, its built-in default and what it means. */
struct config_key {
	const char		*section;
	const char		*name;
	enum config_type	 type;
	size_t			 offset;
	const char		*def;	/* NULL: unset (or inherited, for CONFIG_SLA_TARGET) */
	int			 min;	/* CONFIG_INT only */
	int			 max;
	const char		*help;
	enum rule_id		 rule;	/* the CONFIG_RULE_* types only */
};

#define KEY(sec, key, type, field, def, help) \
	{ sec, key, type, offsetof(struct config, field), def, 0, 0, help, 0 }
#define INT(sec, key, field, def, min, max, help) \
	{ sec, key, CONFIG_INT, offsetof(struct config, field), def, min, max, help, 0 }
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
static const struct config_key config_keys[] = {
	KEY("kafka", "brokers", CONFIG_STRING, brokers, "embedded",
	    "bootstrap servers host:port,...; \"embedded\" runs a mock cluster in-process"),
	KEY("kafka", "group", CONFIG_STRING, group, "feedbackd",
	    "consumer group id"),
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

	KEY("windows", "sizes", CONFIG_WINDOWS, windows, "1h,24h,7d,30d",
	    "rolling windows, comma separated; the names appear in field names"),
	KEY("windows", "refresh", CONFIG_DURATION, refresh_ms, "60s",
	    "how often idle agents' windows are slid forward"),

	INT("ingest", "batch_size", batch_size, "8000", 1, 10000,
	    "most events per Redis script call"),
	INT("ingest", "max_inflight_batches", max_inflight_batches, "2", 1, 64,
	    "batches awaiting Redis at once; then the open batch fills to batch_size"),
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
	KEY("sla", "rescan", CONFIG_DURATION, rescan_ms, "5s",
	    "how often deadlines set by other instances are re-read"),

	KEY("http", "listen", CONFIG_LISTEN, http_listen, "127.0.0.1:9187",
	    "HOST:PORT of the health and metrics endpoint, or off"),

	KEY("log", "level", CONFIG_LOGLEVEL, log_level, "info",
	    "err, warning, notice, info or debug"),

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
};

/* State of one config_load: the file, the line being read and the first error. */
struct config_parse {
	struct config	*cfg;
	FILE		*fp;
	char		*line;		/* getline buffer */
	size_t		 line_size;
	int		 lineno;
	int		 seen[nitems(config_keys)];	/* line that set each key, 0 if none */
	int		 rdkafka_seen[CONFIG_PASSTHROUGH_MAX];
	char		 rule_window[RULE_COUNT][CONFIG_QUOTE_MAX + 1];	/* as written */
	bool		 failed;
	int		 err_line;
	char		*err;
	size_t		 err_size;
};

static int	config_fail(struct config_parse *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static bool	config_reject(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* The address of a key's field inside cfg. */
static void *
config_field(struct config *cfg, const struct config_key *k)
{
	return (char *)cfg + k->offset;
}

/* Records the first error as "file:line: reason" (no line when 0); returns 0 for inih. */
static int
config_fail(struct config_parse *p, int line, const char *fmt, ...)
{
	char	reason[CONFIG_REASON_SIZE];
	va_list	ap;

	if (p->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(p->err, p->err_size, "%s:%d: %s", p->cfg->path, line, reason);
	else
		snprintf(p->err, p->err_size, "%s: %s", p->cfg->path, reason);
	p->failed = true;
	p->err_line = line;
	return 0;
}

/* Writes why a value was refused; returns false. */
static bool
config_reject(char *reason, size_t size, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(reason, size, fmt, ap);
	va_end(ap);
	return false;
}

/* Replaces an owned string; false only when out of memory. */
static bool
config_set_string(char **dst, const char *value)
{
	char	*copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return false;
	free(*dst);
	*dst = copy;
	return true;
}

/* Parses a whole decimal integer in [min, max]. */
static bool
config_parse_int(const char *s, int min, int max, int *out)
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
config_topic_valid(const char *s, size_t len)
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
config_set_topics(struct config *cfg, const char *value, char *reason, size_t size)
{
	char		*topics[CONFIG_TOPICS_MAX];
	size_t		 count = 0;
	const char	*p = value;

	while (*p == ' ' || *p == '\t')
		p++;
	/* An empty list is let through; config_validate() reports it with its own words. */
	while (*p != '\0') {
		const char	*start = p, *end, *comma = strchr(p, ',');

		end = comma != NULL ? comma : p + strlen(p);
		p = comma != NULL ? comma + 1 : end;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (!config_topic_valid(start, (size_t)(end - start))) {
			config_reject(reason, size, "'%.*s' is not a valid topic name",
			    (int)(end - start > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : end - start),
			    start);
			goto fail;
		}
		for (size_t i = 0; i < count; i++) {
			if (strlen(topics[i]) == (size_t)(end - start) &&
			    memcmp(topics[i], start, (size_t)(end - start)) == 0) {
				config_reject(reason, size, "topic '%s' is listed twice",
				    topics[i]);
				goto fail;
			}
		}
		if (count == CONFIG_TOPICS_MAX) {
			config_reject(reason, size, "more than %d topics", CONFIG_TOPICS_MAX);
			goto fail;
		}
		if ((topics[count] = strndup(start, (size_t)(end - start))) == NULL) {
			config_reject(reason, size, "out of memory");
			goto fail;
		}
		count++;
		/* A trailing comma would otherwise end the loop silently. */
		if (comma != NULL && *p == '\0') {
			config_reject(reason, size, "'' is not a valid topic name");
			goto fail;
		}
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
config_listen_valid(const char *value)
{
	const char	*colon = strrchr(value, ':');
	int		 port;

	return colon != NULL && colon != value &&
	    config_parse_int(colon + 1, 1, 65535, &port);
}

/* A whole finite decimal number: no blanks, hex, inf or nan. */
static bool
config_parse_number(const char *s, double *out)
{
	char	*end;
	double	 d;

	if (*s == '\0' || s[strspn(s, "0123456789.eE+-")] != '\0')
		return false;
	errno = 0;
	d = strtod(s, &end);
	if (*end != '\0' || errno != 0 || !isfinite(d))
		return false;
	*out = d;
	return true;
}

/* A rule threshold in the rule's unit; response times also take a duration. */
static bool
config_set_threshold(enum rule_id id, const char *value, double *out, char *reason,
    size_t size)
{
	double	d;
	int64_t	ms;

	switch (id) {
	case RULE_CSAT_BELOW:
		if (!config_parse_number(value, &d) || d < 0 || d > 100)
			return config_reject(reason, size, "'%.*s' is not a percentage from 0 to 100",
			    CONFIG_QUOTE_MAX, value);
		break;
	case RULE_NPS_BELOW:
		if (!config_parse_number(value, &d) || d < -100 || d > 100)
			return config_reject(reason, size, "'%.*s' is not a score from -100 to 100",
			    CONFIG_QUOTE_MAX, value);
		break;
	case RULE_RESPONSE_TIME_ABOVE:
		if (duration_parse(value, &ms)) {
			d = (double)ms / 1000;
			break;
		}
		if (!config_parse_number(value, &d) || d < 0)
			return config_reject(reason, size,
			    "'%.*s' is not a duration (like 90s, 30m, 8h) or a number of seconds",
			    CONFIG_QUOTE_MAX, value);
		break;
	default:
		if (!config_parse_number(value, &d) || d < 0)
			return config_reject(reason, size, "'%.*s' is not a number of 0 or more",
			    CONFIG_QUOTE_MAX, value);
		break;
	}
	*out = d;
	return true;
}

/* The hysteresis margin: points for CSAT and NPS, a fraction of the threshold elsewhere. */
static bool
config_set_margin(enum rule_id id, const char *value, double *out, char *reason, size_t size)
{
	double	d;

	if (rule_is_score(id)) {
		if (!config_parse_number(value, &d) || d < 0 || d > 100)
			return config_reject(reason, size,
			    "'%.*s' is not a number of points from 0 to 100", CONFIG_QUOTE_MAX, value);
	} else if (!config_parse_number(value, &d) || d < 0 || d >= 1)
		return config_reject(reason, size,
		    "'%.*s' is not a fraction from 0 up to (not including) 1", CONFIG_QUOTE_MAX,
		    value);
	*out = d;
	return true;
}

/* "confidence" or "plain"; the first only for the rules that have an interval. */
static bool
config_set_mode(enum rule_id id, const char *value, bool *out, char *reason, size_t size)
{
	if (strcmp(value, "plain") == 0) {
		*out = false;
		return true;
	}
	if (strcmp(value, "confidence") != 0)
		return config_reject(reason, size, "'%.*s' is not confidence or plain",
		    CONFIG_QUOTE_MAX, value);
	if (!rule_is_score(id))
		return config_reject(reason, size,
		    "'confidence' is only available for %s and %s",
		    rule_name(RULE_CSAT_BELOW), rule_name(RULE_NPS_BELOW));
	*out = true;
	return true;
}

/*
 * Parses value into k's field. On failure writes the reason, starting with
 * "[section] key: ", and leaves the field as it was.
 */
static bool
config_set(struct config *cfg, const struct config_key *k, const char *value,
    char *reason, size_t size)
{
	void		*field = config_field(cfg, k);
	char		 why[CONFIG_REASON_SIZE];
	int		 n, level, samples;
	int64_t		 ms;
	double		 d;
	char		*end;
	struct windows	 ws;

	n = snprintf(reason, size, "[%s] %s: ", k->section, k->name);
	if (n < 0 || (size_t)n >= size)
		n = 0;
	reason += n;
	size -= (size_t)n;

	switch (k->type) {
	case CONFIG_STRING:
		if (*value == '\0')
			return config_reject(reason, size, "must not be empty");
		break;
	case CONFIG_OPTSTRING:
		if (*value == '\0')
			value = NULL;
		break;
	case CONFIG_TOPIC:
		if (!config_topic_valid(value, strlen(value)))
			return config_reject(reason, size, "'%.*s' is not a valid topic name",
			    CONFIG_QUOTE_MAX, value);
		break;
	case CONFIG_TOPICS:
		return config_set_topics(cfg, value, reason, size);
	case CONFIG_INT:
		if (!config_parse_int(value, k->min, k->max, field))
			return config_reject(reason, size,
			    "'%.*s' is not an integer between %d and %d", CONFIG_QUOTE_MAX,
			    value, k->min, k->max);
		return true;
	case CONFIG_DURATION:
	case CONFIG_SLA_TARGET:
		if (!duration_parse(value, &ms))
			return config_reject(reason, size,
			    "'%.*s' is not a duration (like 500ms, 90s, 15m, 24h, 7d)",
			    CONFIG_QUOTE_MAX, value);
		*(int64_t *)field = ms;
		return true;
	case CONFIG_FRACTION:
		errno = 0;
		d = strtod(value, &end);
		/* The negated test also refuses NaN. */
		if (*value == '\0' || *end != '\0' || errno != 0 || !(d >= 0 && d < 1))
			return config_reject(reason, size,
			    "'%.*s' is not a number from 0 up to (not including) 1",
			    CONFIG_QUOTE_MAX, value);
		*(double *)field = d;
		return true;
	case CONFIG_WINDOWS:
		if (!windows_parse(value, &ws, why, sizeof why))
			return config_reject(reason, size, "'%.*s' is not a window list (%s)",
			    CONFIG_QUOTE_MAX, value, why);
		*(struct windows *)field = ws;
		return true;
	case CONFIG_LOGLEVEL:
		if ((level = log_level_parse(value)) < 0)
			return config_reject(reason, size,
			    "'%.*s' is not one of err, warning, notice, info, debug",
			    CONFIG_QUOTE_MAX, value);
		*(int *)field = level;
		return true;
	case CONFIG_LISTEN:
		if (strcmp(value, "off") == 0)
			value = NULL;
		else if (!config_listen_valid(value))
			return config_reject(reason, size, "'%.*s' is not HOST:PORT or off",
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
			return config_reject(reason, size, "'%.*s' is not true or false",
			    CONFIG_QUOTE_MAX, value);
		return true;
	case CONFIG_OPTDURATION:
		if (strcmp(value, "0") == 0)
			ms = 0;
		else if (!duration_parse(value, &ms))
			return config_reject(reason, size,
			    "'%.*s' is not 0 or a duration (like 500ms, 90s, 15m, 24h, 7d)",
			    CONFIG_QUOTE_MAX, value);
		*(int64_t *)field = ms;
		return true;
	case CONFIG_RULE_WINDOW:
		/* The windows may be set further down: config_rule_windows() resolves it. */
		return true;
	case CONFIG_RULE_THRESHOLD:
		return config_set_threshold(k->rule, value, field, reason, size);
	case CONFIG_RULE_SAMPLES:
		if (!config_parse_int(value, 0, CONFIG_SAMPLES_MAX, &samples))
			return config_reject(reason, size,
			    "'%.*s' is not a whole number from 0 to %d", CONFIG_QUOTE_MAX, value,
			    CONFIG_SAMPLES_MAX);
		*(int64_t *)field = samples;
		return true;
	case CONFIG_RULE_MODE:
		return config_set_mode(k->rule, value, field, reason, size);
	case CONFIG_RULE_CONFIDENCE:
		if (!config_parse_number(value, &d) || d < 0.5 || d > 0.999)
			return config_reject(reason, size, "'%.*s' is not a number from 0.5 to 0.999",
			    CONFIG_QUOTE_MAX, value);
		*(double *)field = d;
		return true;
	case CONFIG_RULE_MARGIN:
		return config_set_margin(k->rule, value, field, reason, size);
	}
	/* The string types end up here. */
	if (!config_set_string(field, value))
		return config_reject(reason, size, "out of memory");
	return true;
}

/* Severity targets not set in the file follow reply_target, whatever order the lines came in. */
static void
config_inherit(struct config *cfg, const int *seen)
{
	for (size_t i = 0; i < nitems(config_keys); i++) {
		const struct config_key	*k = &config_keys[i];

		if (k->type == CONFIG_SLA_TARGET && (seen == NULL || seen[i] == 0))
			*(int64_t *)config_field(cfg, k) = cfg->reply_target_ms;
	}
}

/* Fills cfg with the built-in defaults. */
void
config_defaults(struct config *cfg)
{
	char	reason[CONFIG_REASON_SIZE];

	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < nitems(config_keys); i++) {
		const struct config_key	*k = &config_keys[i];

		if (k->def == NULL)
			continue;
		/* A default that does not parse is a bug in the table above; the unit tests catch it. */
		if (!config_set(cfg, k, k->def, reason, sizeof reason)) {
			log_err("bad built-in default: %s", reason);
			abort();
		}
	}
	config_inherit(cfg, NULL);
	for (int id = 0; id < RULE_COUNT; id++)
		rule_defaults((enum rule_id)id, &cfg->windows, &cfg->rules[id]);
}

/* Frees every string cfg owns; cfg may then be loaded again. */
void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < nitems(config_keys); i++) {
		const struct config_key	*k = &config_keys[i];

		switch (k->type) {
		case CONFIG_STRING:
		case CONFIG_OPTSTRING:
		case CONFIG_TOPIC:
		case CONFIG_LISTEN:
			free(*(char **)config_field(cfg, k));
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < cfg->topic_count; i++)
		free(cfg->topics[i]);
	for (size_t i = 0; i < cfg->rdkafka_count; i++) {
		free(cfg->rdkafka[i].name);
		free(cfg->rdkafka[i].value);
	}
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

/* True when some key of the table lives in section name (len bytes). */
static bool
config_section_known(const char *name, size_t len)
{
	for (size_t i = 0; i < nitems(config_keys); i++) {
		if (strlen(config_keys[i].section) == len &&
		    memcmp(config_keys[i].section, name, len) == 0)
			return true;
	}
	return false;
}

/*
 * inih's line reader. Counting lines here is how errors get their line
 * numbers: this inih is built without INI_HANDLER_LINENO. It also checks
 * section headers, which inih never shows the handler, so an unknown or
 * misspelt section is reported even when it holds no keys.
 */
static char *
config_read_line(char *str, int num, void *stream)
{
	struct config_parse	*p = stream;
	ssize_t			 n;
	char			*s, *end;

	if (p->failed)
		return NULL;	/* stop at the first error */
	if ((n = getline(&p->line, &p->line_size, p->fp)) < 0)
		return NULL;
	p->lineno++;
	s = p->line;
	if (p->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	/*
	 * inih joins an indented line onto the previous key ("multi-line
	 * values"), which would turn an indented "port = 1" into a second value
	 * of the key above. Nothing here is multi-line, so indentation is dropped.
	 */
	while (*s == ' ' || *s == '\t')
		s++;
	end = p->line + n;
	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	*end = '\0';
	/* inih would silently split a longer line in two. */
	if (end - s > num - 1) {
		config_fail(p, p->lineno, "line is longer than %d characters", num - 1);
		return NULL;
	}
	if (*s == '[' && (end = strchr(s, ']')) != NULL &&
	    !config_section_known(s + 1, (size_t)(end - s - 1))) {
		config_fail(p, p->lineno, "unknown section [%.*s]",
		    (int)(end - s - 1 > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : end - s - 1),
		    s + 1);
		return NULL;
	}
	memcpy(str, s, strlen(s) + 1);
	return str;
}

/* Stores one "rdkafka.NAME = VALUE" line for librdkafka. */
static int
config_passthrough(struct config_parse *p, const char *name, const char *value)
{
	struct config		*cfg = p->cfg;
	struct config_passthrough *pt;

	if (*name == '\0')
		return config_fail(p, p->lineno, "[kafka] %s: missing property name",
		    CONFIG_PASSTHROUGH_PREFIX);
	for (size_t i = 0; i < cfg->rdkafka_count; i++) {
		if (strcmp(cfg->rdkafka[i].name, name) == 0)
			return config_fail(p, p->lineno,
			    "duplicate key '%s%s' in [kafka] (first set on line %d)",
			    CONFIG_PASSTHROUGH_PREFIX, name, p->rdkafka_seen[i]);
	}
	if (cfg->rdkafka_count == CONFIG_PASSTHROUGH_MAX)
		return config_fail(p, p->lineno, "more than %d %s* keys",
		    CONFIG_PASSTHROUGH_MAX, CONFIG_PASSTHROUGH_PREFIX);
	pt = &cfg->rdkafka[cfg->rdkafka_count];
	pt->name = strdup(name);
	pt->value = strdup(value);
	/* Counted even when half-made, so config_free releases whichever copy succeeded. */
	p->rdkafka_seen[cfg->rdkafka_count++] = p->lineno;
	if (pt->name == NULL || pt->value == NULL)
		return config_fail(p, p->lineno, "out of memory");
	return 1;
}

/* inih's handler: one "name = value" line of the current section. */
static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse	*p = user;
	char			 reason[CONFIG_REASON_SIZE];
	size_t			 i;

	if (p->failed)
		return 0;
	if (*section == '\0')
		return config_fail(p, p->lineno, "key '%s' is outside any [section]", name);
	if (strcmp(section, "kafka") == 0 &&
	    strncmp(name, CONFIG_PASSTHROUGH_PREFIX, strlen(CONFIG_PASSTHROUGH_PREFIX)) == 0)
		return config_passthrough(p, name + strlen(CONFIG_PASSTHROUGH_PREFIX), value);

	for (i = 0; i < nitems(config_keys); i++) {
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			break;
	}
	if (i == nitems(config_keys))
		return config_fail(p, p->lineno, "unknown key '%s' in [%s]", name, section);
	/* A second line for a key is a mistake: silently taking the last would hide it. */
	if (p->seen[i] != 0)
		return config_fail(p, p->lineno,
		    "duplicate key '%s' in [%s] (first set on line %d)", name, section,
		    p->seen[i]);
	p->seen[i] = p->lineno;
	if (!config_set(p->cfg, &config_keys[i], value, reason, sizeof reason))
		return config_fail(p, p->lineno, "%s", reason);
	if (config_keys[i].type == CONFIG_RULE_WINDOW)
		snprintf(p->rule_window[config_keys[i].rule], sizeof p->rule_window[0], "%s",
		    value);
	return 1;
}

/* The line that set a key, for errors found only once the whole file is read. */
static int
config_line_of(const struct config_parse *p, const char *section, const char *name)
{
	for (size_t i = 0; i < nitems(config_keys); i++) {
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return p->seen[i];
	}
	return 0;
}

/* Checks a produced-to topic against the input topics; it must not feed itself. */
static bool
config_validate_output(struct config_parse *p, const char *key, const char *topic)
{
	int	line = config_line_of(p, "kafka", key);
	int	topics_line = config_line_of(p, "kafka", "topics");

	/* The later of the two lines is where the clash appeared. */
	if (topics_line > line)
		line = topics_line;
	for (size_t i = 0; i < p->cfg->topic_count; i++) {
		if (strcmp(p->cfg->topics[i], topic) == 0) {
			config_fail(p, line, "[kafka] %s: '%s' is also an input topic",
			    key, topic);
			return false;
		}
	}
	return true;
}

/*
 * Turns each rule's window name into an index into the final [windows]; a
 * rule without one takes its default window, or the configured one closest
 * to it in span.
 */
static bool
config_rule_windows(struct config_parse *p)
{
	struct config	*cfg = p->cfg;
	char		 section[32], list[WINDOWS_MAX * WINDOW_NAME_SIZE] = "";
	size_t		 off = 0, w;

	for (int id = 0; id < RULE_COUNT; id++) {
		const char	*name = p->rule_window[id];
		int		 line;

		snprintf(section, sizeof section, "rule.%s", rule_name((enum rule_id)id));
		if ((line = config_line_of(p, section, "window")) == 0) {
			cfg->rules[id].window = rule_default_window((enum rule_id)id, &cfg->windows);
			continue;
		}
		for (w = 0; w < cfg->windows.count; w++) {
			if (strcmp(cfg->windows.w[w].name, name) == 0)
				break;
		}
		if (w < cfg->windows.count) {
			cfg->rules[id].window = w;
			continue;
		}
		for (w = 0; w < cfg->windows.count; w++)
			off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
			    w > 0 ? "," : "", cfg->windows.w[w].name);
		config_fail(p, line,
		    "[%s] window: '%s' is not one of the configured windows (%s)", section, name,
		    list);
		return false;
	}
	return true;
}

/*
 * A firing csat_below or nps_below resolves only once the figure is at least
 * threshold + margin; past 100 no figure gets there, and such an alert would
 * stay firing until its ratings age out. Reported on the later of the two lines.
 */
static bool
config_rule_margins(struct config_parse *p)
{
	char	section[32];
	int	line, margin_line;

	for (int id = 0; id < RULE_COUNT; id++) {
		const struct rule_config	*rc = &p->cfg->rules[id];

		if (!rule_is_score((enum rule_id)id) ||
		    rc->threshold + rc->margin <= CONFIG_SCORE_MAX + CONFIG_SCORE_TOLERANCE)
			continue;
		snprintf(section, sizeof section, "rule.%s", rule_name((enum rule_id)id));
		line = config_line_of(p, section, "threshold");
		if ((margin_line = config_line_of(p, section, "margin")) > line)
			line = margin_line;
		config_fail(p, line,
		    "[%s] threshold + margin (%g + %g) is above %d: a firing alert could never "
		    "resolve", section, rc->threshold, rc->margin, CONFIG_SCORE_MAX);
		return false;
	}
	return true;
}

/* Rules that involve more than one key, checked after the whole file is read. */
static bool
config_validate(struct config_parse *p)
{
	struct config	*cfg = p->cfg;
	int		 line;

	if (cfg->topic_count == 0) {
		config_fail(p, config_line_of(p, "kafka", "topics"),
		    "[kafka] topics: at least one topic is required");
		return false;
	}
	if (!config_validate_output(p, "dlq_topic", cfg->dlq_topic) ||
	    !config_validate_output(p, "alerts_topic", cfg->alerts_topic))
		return false;
	if (strcmp(cfg->dlq_topic, cfg->alerts_topic) == 0) {
		line = config_line_of(p, "kafka", "dlq_topic");
		if (config_line_of(p, "kafka", "alerts_topic") > line)
			line = config_line_of(p, "kafka", "alerts_topic");
		config_fail(p, line, "[kafka] dlq_topic and alerts_topic are both '%s'",
		    cfg->dlq_topic);
		return false;
	}
	return config_rule_windows(p) && config_rule_margins(p);
}

/*
 * Loads path over the defaults; on error writes "file:line: reason" and
 * returns false. cfg must be zeroed or hold a config (from config_defaults or
 * an earlier load): whatever it owns is freed first. On failure cfg holds a
 * partial config that only config_free should touch.
 */
bool
config_load(struct config *cfg, const char *path, char *err, size_t err_size)
{
	struct config_parse	p;
	int			ret;

	config_free(cfg);
	config_defaults(cfg);
	memset(&p, 0, sizeof p);
	p.cfg = cfg;
	p.err = err;
	p.err_size = err_size;
	if (err_size > 0)
		err[0] = '\0';
	if ((cfg->path = strdup(path)) == NULL) {
		snprintf(err, err_size, "%s: out of memory", path);
		return false;
	}
	if ((p.fp = fopen(path, "r")) == NULL) {
		config_fail(&p, 0, "%s", strerror(errno));
		return false;
	}

	ret = ini_parse_stream(config_read_line, &p, config_handler, &p);
	if (ferror(p.fp) && !p.failed)
		config_fail(&p, 0, "read error: %s", strerror(errno));
	fclose(p.fp);
	free(p.line);
	/* inih reports lines it cannot parse only through its return value. */
	if (ret > 0 && (!p.failed || ret < p.err_line)) {
		p.failed = false;
		config_fail(&p, ret, "syntax error: expected [section] or key = value");
	}
	if (p.failed)
		return false;

	config_inherit(cfg, p.seen);
	return config_validate(&p);
}
