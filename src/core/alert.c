/* alert.c: an alert's facts, its contract JSON, its deterministic id and its text (pure). */
#include "alert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "timestamp.h"

/* Copies a string member, or "" when absent or not a string. */
static void alert_get_str(json_t *obj, const char *key, char *buf, size_t size)
{
	const char *s = json_string_value(json_object_get(obj, key));

	snprintf(buf, size, "%s", s != NULL ? s : "");
}

/* Reads an integer member; Lua's cjson writes numbers as reals, so both are taken. */
static int64_t alert_get_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? (int64_t)json_number_value(v) : -1;
}

/* Reads a real member into *out; false when absent. */
static bool alert_get_real(json_t *obj, const char *key, double *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* See alert.h. */
bool alert_facts_parse(const char *json, size_t len, struct alert_facts *f)
{
	json_t *obj = json_loadb(json, len, 0, NULL);

	if (!json_is_object(obj)) {
		json_decref(obj);
		return false;
	}
	memset(f, 0, sizeof(*f));
	alert_get_str(obj, "rule", f->rule, sizeof(f->rule));
	alert_get_str(obj, "state", f->state, sizeof(f->state));
	alert_get_str(obj, "agent", f->agent, sizeof(f->agent));
	alert_get_str(obj, "ticket", f->ticket, sizeof(f->ticket));
	alert_get_str(obj, "window", f->window, sizeof(f->window));
	alert_get_str(obj, "severity", f->severity, sizeof(f->severity));
	alert_get_str(obj, "category", f->category, sizeof(f->category));
	alert_get_str(obj, "message", f->message, sizeof(f->message));
	f->since = alert_get_int(obj, "since");
	f->at = alert_get_int(obj, "at");
	f->start = alert_get_int(obj, "start");
	f->due = alert_get_int(obj, "due");
	f->target = alert_get_int(obj, "target");
	f->late_ms = alert_get_int(obj, "late_ms");
	f->remaining_ms = alert_get_int(obj, "remaining_ms");
	f->response_ms = alert_get_int(obj, "response_ms");
	f->samples = alert_get_int(obj, "samples");
	f->superseded = json_is_true(json_object_get(obj, "superseded"));
	f->repeat = json_is_true(json_object_get(obj, "repeat"));
	f->has_value = alert_get_real(obj, "value", &f->value);
	f->has_threshold = alert_get_real(obj, "threshold", &f->threshold);
	f->has_interval = alert_get_real(obj, "lower", &f->lower) && alert_get_real(obj, "upper", &f->upper);
	json_decref(obj);
	return f->rule[0] != '\0' && f->agent[0] != '\0' && f->since >= 0 && f->at >= 0 &&
	    (strcmp(f->state, "firing") == 0 || strcmp(f->state, "resolved") == 0);
}

/* Sets key to a string unless it is empty. */
static void alert_set_str(json_t *obj, const char *key, const char *value)
{
	if (value[0] != '\0')
		json_object_set_new(obj, key, json_string(value));
}

/* Sets key to an integer unless it is absent (-1). */
static void alert_set_int(json_t *obj, const char *key, int64_t value)
{
	if (value >= 0)
		json_object_set_new(obj, key, json_integer(value));
}

/* Adds a quality alert's interval, then serialises and releases obj. */
static char *alert_finish(json_t *obj, const struct alert_facts *f)
{
	char *out;

	if (f->has_interval) {
		json_object_set_new(obj, "lower", json_real(f->lower));
		json_object_set_new(obj, "upper", json_real(f->upper));
	}
	out = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(obj);
	return out;
}

/* See alert.h. */
char *alert_facts_json(const struct alert_facts *f)
{
	json_t *obj = json_object();

	alert_set_str(obj, "rule", f->rule);
	alert_set_str(obj, "state", f->state);
	alert_set_str(obj, "agent", f->agent);
	alert_set_str(obj, "ticket", f->ticket);
	alert_set_str(obj, "window", f->window);
	alert_set_str(obj, "severity", f->severity);
	alert_set_str(obj, "category", f->category);
	alert_set_str(obj, "message", f->message);
	alert_set_int(obj, "since", f->since);
	alert_set_int(obj, "at", f->at);
	alert_set_int(obj, "start", f->start);
	alert_set_int(obj, "due", f->due);
	alert_set_int(obj, "target", f->target);
	alert_set_int(obj, "late_ms", f->late_ms);
	alert_set_int(obj, "remaining_ms", f->remaining_ms);
	alert_set_int(obj, "response_ms", f->response_ms);
	alert_set_int(obj, "samples", f->samples);
	if (f->superseded)
		json_object_set_new(obj, "superseded", json_true());
	if (f->repeat)
		json_object_set_new(obj, "repeat", json_true());
	if (f->has_value)
		json_object_set_new(obj, "value", json_real(f->value));
	if (f->has_threshold)
		json_object_set_new(obj, "threshold", json_real(f->threshold));
	return alert_finish(obj, f);
}

/* Feeds bytes into a 64-bit FNV-1a hash. */
static uint64_t alert_fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* See alert.h. */
void alert_id(const struct alert_facts *f, char out[ALERT_ID_SIZE])
{
	char since[24];
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	/* NUL separators keep ("ab","c") and ("a","bc") apart. */
	snprintf(since, sizeof(since), "%" PRId64, f->since);
	h = alert_fnv(h, f->rule, strlen(f->rule) + 1);
	h = alert_fnv(h, f->agent, strlen(f->agent) + 1);
	h = alert_fnv(h, f->ticket, strlen(f->ticket) + 1);
	h = alert_fnv(h, since, strlen(since));
	snprintf(out, ALERT_ID_SIZE, "%016" PRIx64, h);
}

/* See alert.h. */
void alert_field(const struct alert_facts *f, char *buf, size_t size)
{
	if (f->ticket[0] != '\0')
		snprintf(buf, size, "%s:%s", f->rule, f->ticket);
	else
		snprintf(buf, size, "%s", f->rule);
}

/* See alert.h. */
void alert_duration(int64_t ms, char *buf, size_t size)
{
	int64_t s = (ms < 0 ? 0 : ms) / 1000;

	if (s < 60)
		snprintf(buf, size, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

/* A reply target as people say it: whole hours stay hours ("24h", "48h"), not days. */
static void alert_target(int64_t ms, char *buf, size_t size)
{
	if (ms % 3600000 == 0 && ms < 10 * 86400000LL)
		snprintf(buf, size, "%" PRId64 "h", ms / 3600000);
	else
		duration_format(ms, buf, size);
}

/* The people-readable sentence for a reply-clock alert. */
static void alert_clock_message(const struct alert_facts *f, char *buf, size_t size)
{
	char target[16], t1[16], t2[16], what[192];
	bool breach = strcmp(f->rule, "reply_sla_breach") == 0;
	bool firing = strcmp(f->state, "firing") == 0;

	alert_target(f->target, target, sizeof(target));
	/* Clocks opened by a message carry "message" where complaints carry their severity. */
	if (strcmp(f->severity, "message") == 0)
		snprintf(what, sizeof(what), "message%s%s", f->category[0] ? ", " : "", f->category);
	else
		snprintf(what, sizeof(what), "complaint, %s%s%s", f->severity, f->category[0] ? ", " : "",
		    f->category);
	if (breach && firing) {
		alert_duration(f->late_ms, t1, sizeof(t1));
		snprintf(buf, size, "Agent %s missed the %s reply target on ticket %s (%s): no reply %s after the deadline",
		    f->agent, target, f->ticket, what, t1);
	} else if (breach && f->response_ms <= f->target) {
		/* Stamped in time, but it reached feedbackd after the breach was declared. */
		alert_duration(f->response_ms, t1, sizeof(t1));
		snprintf(buf, size, "Agent %s replied to ticket %s after %s, within the %s reply target, "
		    "but the reply arrived after the breach was declared", f->agent, f->ticket, t1, target);
	} else if (breach) {
		alert_duration(f->response_ms, t1, sizeof(t1));
		alert_duration(f->response_ms - f->target, t2, sizeof(t2));
		snprintf(buf, size, "Agent %s replied to ticket %s after %s, %s past the %s reply target",
		    f->agent, f->ticket, t1, t2, target);
	} else if (firing) {
		alert_duration(f->remaining_ms, t1, sizeof(t1));
		snprintf(buf, size, "Ticket %s (%s) for agent %s has %s left of its %s reply target",
		    f->ticket, what, f->agent, t1, target);
	} else if (f->superseded) {
		snprintf(buf, size, "Ticket %s for agent %s passed its %s reply target (see reply_sla_breach)",
		    f->ticket, f->agent, target);
	} else {
		alert_duration(f->response_ms, t1, sizeof(t1));
		snprintf(buf, size, "Agent %s replied to ticket %s after %s, within the %s reply target",
		    f->agent, f->ticket, t1, target);
	}
}

/* Sets key to an RFC 3339 time, or null when absent. */
static void alert_set_time(json_t *obj, const char *key, int64_t ms)
{
	char buf[TS_RFC3339_SIZE];

	if (ms < 0) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	ts_format_rfc3339(ms, buf, sizeof(buf));
	json_object_set_new(obj, key, json_string(buf));
}

/* Sets key to a number of seconds from ms, or leaves it out. */
static void alert_set_seconds(json_t *obj, const char *key, int64_t ms)
{
	if (ms >= 0)
		json_object_set_new(obj, key, json_real((double)ms / 1000.0));
}

/* See alert.h. */
char *alert_render(const struct alert_facts *f)
{
	json_t *obj = json_object();
	char id[ALERT_ID_SIZE], text[ALERT_TEXT_SIZE];
	bool clock = f->ticket[0] != '\0';

	alert_id(f, id);
	json_object_set_new(obj, "alert_id", json_string(id));
	json_object_set_new(obj, "rule", json_string(f->rule));
	json_object_set_new(obj, "state", json_string(f->state));
	json_object_set_new(obj, "agent_id", json_string(f->agent));
	json_object_set_new(obj, "ticket_id", clock ? json_string(f->ticket) : json_null());
	json_object_set_new(obj, "window", f->window[0] ? json_string(f->window) : json_null());
	if (clock) {
		/* A clock's value is how long the customer has waited; its threshold the target. */
		int64_t waited = f->response_ms >= 0 ? f->response_ms : f->at - f->start;

		json_object_set_new(obj, "value", json_real((double)waited / 1000.0));
		json_object_set_new(obj, "threshold", json_real((double)f->target / 1000.0));
		json_object_set_new(obj, "samples", json_null());
	} else {
		json_object_set_new(obj, "value", f->has_value ? json_real(f->value) : json_null());
		json_object_set_new(obj, "threshold", f->has_threshold ? json_real(f->threshold) : json_null());
		json_object_set_new(obj, "samples", f->samples >= 0 ? json_integer(f->samples) : json_null());
	}
	alert_set_time(obj, "since", f->since);
	alert_set_time(obj, "at", f->at);
	if (f->message[0] != '\0')
		snprintf(text, sizeof(text), "%s", f->message);
	else
		alert_clock_message(f, text, sizeof(text));
	json_object_set_new(obj, "message", json_string(text));
	if (clock) {
		alert_set_time(obj, "opened_at", f->start);
		alert_set_time(obj, "deadline", f->due);
		alert_set_seconds(obj, "late_s", f->late_ms);
		alert_set_seconds(obj, "remaining_s", f->remaining_ms);
		alert_set_seconds(obj, "response_s", f->response_ms);
		if (strcmp(f->severity, "message") != 0)
			alert_set_str(obj, "severity", f->severity);
		alert_set_str(obj, "category", f->category);
		if (f->superseded)
			json_object_set_new(obj, "superseded", json_true());
	}
	if (f->repeat)
		json_object_set_new(obj, "repeat", json_true());
	return alert_finish(obj, f);
}
