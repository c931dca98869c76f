/* metrics.c: the daemon's counters, kept in one struct and rendered for Prometheus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "metrics.h"

/* Round trips to a local Redis take well under a millisecond; batches take longer. */
const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

/* [ingest] batch_size is at most 10000 (default 8000); a quiet stream sends batches of a few. */
const double metrics_batch_bounds[METRICS_BATCH_BUCKETS] = {
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

const char *const metrics_alert_rules[METRICS_ALERT_RULES] = {
    "reply_sla_at_risk", "reply_sla_breach", "csat_below", "nps_below",
    "complaints_above", "complaint_rate_above", "response_time_above"};

static const char *const metrics_alert_states[ALERT_STATE_COUNT] = {"firing", "resolved"};

/* In the order of enum event_type and enum event_result. */
static const char *const metrics_result_names[RESULT_COUNT] = {"applied", "duplicate", "redelivered", "late"};

/* Counts v in the first bucket whose upper bound holds it; above them all it is only in +Inf. */
static void metrics_observe(const double *bounds, uint64_t *counts, int n, double v)
{
	for (int i = 0; i < n; i++)
		if (v <= bounds[i]) {
			counts[i]++;
			return;
		}
}

/* See metrics.h. */
void metrics_seconds(struct metrics_seconds *h, double seconds)
{
	metrics_observe(metrics_latency_bounds, h->counts, METRICS_LATENCY_BUCKETS, seconds);
	h->sum += seconds;
	h->count++;
}

/* See metrics.h. */
void metrics_batch(struct metrics *m, size_t events)
{
	metrics_observe(metrics_batch_bounds, m->batch_sizes, METRICS_BATCH_BUCKETS, (double)events);
	m->batches++;
	m->batch_events += events;
}

/* See metrics.h. */
void metrics_dead_letter(struct metrics *m, int type)
{
	if (type >= 0 && type < EVENT_TYPE_COUNT)
		m->dead_lettered_by_type[type]++;
	m->dead_lettered++;
}

/* See metrics.h. */
bool metrics_alert(struct metrics *m, const char *rule, const char *state)
{
	for (int r = 0; r < METRICS_ALERT_RULES; r++) {
		if (strcmp(rule, metrics_alert_rules[r]) != 0)
			continue;
		for (int s = 0; s < ALERT_STATE_COUNT; s++)
			if (strcmp(state, metrics_alert_states[s]) == 0) {
				m->alerts[r][s]++;
				return true;
			}
		return false;
	}
	return false;
}

/* See metrics.h. */
uint64_t metrics_rss_bytes(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	int n;

	if (fp == NULL)
		return 0;
	n = fscanf(fp, "%llu %llu", &size, &resident);
	fclose(fp);
	if (n != 2 || page <= 0)
		return 0;
	return (uint64_t)resident * (uint64_t)page;
}

/* See metrics.h. */
bool metrics_kafka_stats(const char *json, struct metrics_gauges *g, int *brokers_up)
{
	json_t *root = json_loads(json, 0, NULL), *brokers, *topics, *v;
	const char *name;
	size_t n = 0;
	int up = 0;

	*brokers_up = 0;
	brokers = json_object_get(root, "brokers");
	topics = json_object_get(root, "topics");
	if (!json_is_object(brokers) || !json_is_object(topics)) {
		json_decref(root);
		return false;
	}
	json_object_foreach(brokers, name, v) {
		const char *source = json_string_value(json_object_get(v, "source"));

		/* The internal pseudo-broker and logical coordinator handles are not connections. */
		if (source != NULL && (strcmp(source, "internal") == 0 || strcmp(source, "logical") == 0))
			continue;
		if (json_is_string(json_object_get(v, "state")) &&
		    strcmp(json_string_value(json_object_get(v, "state")), "UP") == 0)
			up++;
	}
	json_object_foreach(topics, name, v) {
		json_t *parts = json_object_get(v, "partitions"), *p;
		const char *key;

		if (strlen(name) > METRICS_TOPIC_MAX)
			continue;
		json_object_foreach(parts, key, p) {
			long part = strtol(key, NULL, 10);
			json_t *lag = json_object_get(p, "consumer_lag");
			json_t *desired = json_object_get(p, "desired");

			/* "-1" is the unassigned-messages pseudo-partition; others only when fetched here. */
			if (part < 0 || !json_is_integer(lag) || !json_is_true(desired) || n >= METRICS_LAG_MAX)
				continue;
			strcpy(g->lag[n].topic, name);
			g->lag[n].partition = (int32_t)part;
			g->lag[n].lag = (int64_t)json_integer_value(lag);
			n++;
		}
	}
	g->lag_count = n;
	*brokers_up = up;
	json_decref(root);
	return true;
}

/* Writes a float the short way when that reads back exactly ("0.25", "1", "+Inf"). */
static void metrics_float(FILE *fp, double v)
{
	char buf[40];

	if (v != v) {
		fputs("NaN", fp);
		return;
	}
	if (v > 1e308 || v < -1e308) {
		fputs(v > 0 ? "+Inf" : "-Inf", fp);
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, fp);
}

/* Writes a label value with \\, \" and \n escaped. */
static void metrics_label(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', fp), fputc(*s, fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			fputc(*s, fp);
	}
}

/* The HELP and TYPE lines of one metric family. */
static void metrics_head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One family with a single unlabelled integer sample. */
static void metrics_one(FILE *fp, const char *name, const char *type, const char *help, uint64_t v)
{
	metrics_head(fp, name, type, help);
	fprintf(fp, "%s %llu\n", name, (unsigned long long)v);
}

/* One family with a single signed integer sample. */
static void metrics_signed(FILE *fp, const char *name, const char *help, int64_t v)
{
	metrics_head(fp, name, "gauge", help);
	fprintf(fp, "%s %lld\n", name, (long long)v);
}

/* One histogram family: cumulative buckets, then +Inf (equal to count), sum and count. */
static void metrics_histogram(FILE *fp, const char *name, const char *help, const double *bounds,
    const uint64_t *counts, int n, double sum, uint64_t count)
{
	uint64_t cum = 0;

	metrics_head(fp, name, "histogram", help);
	for (int i = 0; i < n; i++) {
		cum += counts[i];
		fprintf(fp, "%s_bucket{le=\"", name);
		metrics_float(fp, bounds[i]);
		fprintf(fp, "\"} %llu\n", (unsigned long long)cum);
	}
	fprintf(fp, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum ", name, (unsigned long long)count, name);
	metrics_float(fp, sum);
	fprintf(fp, "\n%s_count %llu\n", name, (unsigned long long)count);
}

/* Writes a seconds histogram. */
static void metrics_histogram_seconds(FILE *fp, const char *name, const char *help, const struct metrics_seconds *h)
{
	metrics_histogram(fp, name, help, metrics_latency_bounds, h->counts, METRICS_LATENCY_BUCKETS, h->sum, h->count);
}

/* feedbackd_events_total: the consumed events by type and result, dead letters included. */
static void metrics_events(FILE *fp, const struct metrics *m)
{
	uint64_t typed = 0;

	metrics_head(fp, "feedbackd_events_total", "counter",
	    "Events consumed, by type and result; dead_lettered: rejected to the dead-letter topic "
	    "(type unknown when rejected before the type was read).");
	for (int t = 0; t < EVENT_TYPE_COUNT; t++) {
		for (int r = 0; r < RESULT_COUNT; r++)
			fprintf(fp, "feedbackd_events_total{type=\"%s\",result=\"%s\"} %llu\n", event_type_name((enum event_type)t),
			    metrics_result_names[r], (unsigned long long)m->events[t][r]);
		fprintf(fp, "feedbackd_events_total{type=\"%s\",result=\"dead_lettered\"} %llu\n",
		    event_type_name((enum event_type)t), (unsigned long long)m->dead_lettered_by_type[t]);
		typed += m->dead_lettered_by_type[t];
	}
	/* Whatever the total holds beyond the typed ones had no type (or was counted without one). */
	fprintf(fp, "feedbackd_events_total{type=\"unknown\",result=\"dead_lettered\"} %llu\n",
	    (unsigned long long)(m->dead_lettered > typed ? m->dead_lettered - typed : 0));
}

/* See metrics.h. */
bool metrics_render(const struct metrics *m, const struct metrics_gauges *g, char **out)
{
	size_t size;
	FILE *fp;

	*out = NULL;
	fp = open_memstream(out, &size);
	if (fp == NULL)
		return false;

	metrics_events(fp, m);
	metrics_one(fp, "feedbackd_events_dead_lettered_total", "counter",
	    "Invalid messages delivered to the dead-letter topic.", m->dead_lettered);
	metrics_one(fp, "feedbackd_dead_letter_failures_total", "counter",
	    "Attempts to produce a dead letter that failed transiently (they are retried).", m->dlq_failures);
	metrics_one(fp, "feedbackd_dead_letters_truncated_total", "counter",
	    "Dead letters cut to fit the dead-letter topic's size limit (headers keep the size and SHA-256).",
	    m->dlq_truncated);
	metrics_one(fp, "feedbackd_dead_letters_lost_total", "counter",
	    "Dead letters given up after a permanent produce error (logged with their source position).",
	    m->dlq_lost);

	metrics_one(fp, "feedbackd_batches_total", "counter", "Task checkpoints committed to Redis.", m->batches);
	metrics_one(fp, "feedbackd_batch_events_total", "counter", "Events and route batches in those checkpoints.",
	    m->batch_events);
	metrics_one(fp, "feedbackd_batch_retries_total", "counter", "Checkpoint commits sent again after no answer.",
	    m->batch_retries);
	/* Its sum and count are the two counters above, so the three always agree. */
	metrics_histogram(fp, "feedbackd_batch_size_events", "Events and route batches per checkpoint.", metrics_batch_bounds,
	    m->batch_sizes, METRICS_BATCH_BUCKETS, (double)m->batch_events, m->batches);

	metrics_histogram_seconds(fp, "feedbackd_redis_latency_seconds", "Redis command round-trip time.",
	    &m->redis_latency);
	metrics_histogram_seconds(fp, "feedbackd_view_delay_seconds",
	    "From a change applied (an event, a route batch) to the answer of the stats write that shows it.",
	    &m->view_delay);
	metrics_one(fp, "feedbackd_redis_errors_total", "counter", "Redis commands answered with an error.",
	    m->redis_errors);
	metrics_one(fp, "feedbackd_redis_reconnects_total", "counter", "Connections to Redis started after a loss.",
	    m->redis_reconnects);
	metrics_one(fp, "feedbackd_redis_timeouts_total", "counter",
	    "Connections to Redis dropped because a command went unanswered for [redis] timeout.", m->redis_timeouts);
	metrics_one(fp, "feedbackd_redis_redirects_total", "counter",
	    "Redis calls sent again to another cluster node after a MOVED or ASK answer.", m->redis_redirects);
	metrics_one(fp, "feedbackd_redis_retries_total", "counter",
	    "Redis calls sent again after a TRYAGAIN or CLUSTERDOWN answer.", m->redis_retries);
	metrics_one(fp, "feedbackd_redis_map_refreshes_total", "counter",
	    "Redis Cluster slot maps read with CLUSTER SLOTS.", m->redis_map_refreshes);
	metrics_one(fp, "feedbackd_redis_up", "gauge", "Whether Redis is connected and the scripts are loaded.",
	    g->redis_up ? 1 : 0);

	metrics_head(fp, "feedbackd_alerts_published_total", "counter", "Alerts published, by rule and state.");
	for (int r = 0; r < METRICS_ALERT_RULES; r++)
		for (int s = 0; s < ALERT_STATE_COUNT; s++)
			fprintf(fp, "feedbackd_alerts_published_total{rule=\"%s\",state=\"%s\"} %llu\n",
			    metrics_alert_rules[r], metrics_alert_states[s], (unsigned long long)m->alerts[r][s]);
	metrics_one(fp, "feedbackd_alerts_failed_total", "counter", "Alert deliveries that failed (they are retried).",
	    m->alerts_failed);

	metrics_signed(fp, "feedbackd_kafka_assigned_partitions", "Partitions assigned to this group member.",
	    g->kafka_assigned);
	metrics_head(fp, "feedbackd_consumer_lag", "gauge",
	    "Messages between the consumed position and the end of each assigned partition.");
	for (size_t i = 0; i < g->lag_count && i < METRICS_LAG_MAX; i++) {
		if (g->lag[i].lag < 0)
			continue; /* not known yet */
		fputs("feedbackd_consumer_lag{topic=\"", fp);
		metrics_label(fp, g->lag[i].topic);
		fprintf(fp, "\",partition=\"%ld\"} %lld\n", (long)g->lag[i].partition, (long long)g->lag[i].lag);
	}
	metrics_one(fp, "feedbackd_tasks", "gauge", "Tasks (route topic partitions) this instance owns and has restored.",
	    g->tasks);
	metrics_one(fp, "feedbackd_agents", "gauge", "Agents in the tasks this instance owns.", g->agents);
	metrics_one(fp, "feedbackd_open_clocks", "gauge", "Reply clocks open now in the tasks this instance owns.",
	    g->open_clocks);
	metrics_one(fp, "feedbackd_overdue_clocks", "gauge", "Of those, the clocks past their deadline.",
	    g->overdue_clocks);
	metrics_one(fp, "feedbackd_dedupe_ids", "gauge", "Event ids remembered for dedupe in the tasks this instance owns.",
	    g->event_ids);

	metrics_one(fp, "feedbackd_reloads_total", "counter", "Configuration reloads (SIGHUP) attempted.", g->reloads);
	metrics_one(fp, "feedbackd_last_reload_success", "gauge",
	    "Whether the last reload succeeded (1 before the first).", g->last_reload_ok ? 1 : 0);
	metrics_one(fp, "feedbackd_process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	    g->rss_bytes);
	metrics_head(fp, "feedbackd_uptime_seconds", "gauge", "Seconds since the daemon started.");
	fputs("feedbackd_uptime_seconds ", fp);
	metrics_float(fp, g->uptime_seconds);
	fputc('\n', fp);

	if (ferror(fp)) {
		fclose(fp);
		free(*out);
		*out = NULL;
		return false;
	}
	if (fclose(fp) != 0) {
		free(*out);
		*out = NULL;
		return false;
	}
	return true;
}
