/* alert.c: an alert's facts, its contract JSON, its deterministic id and its text (pure). */
#include "alert.h"

#include <inttypes.h>
#include <math.h>
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

/*
 * JSON text written as jansson's json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(10)) writes
 * an object built member by member, without building one: the facts and the contract JSON
 * of every alert, 1 event in 50 of benchmark 1. Like json_object_set_new given what
 * json_string or json_real refuse (a string that is not UTF-8, a real that is not finite),
 * such a member is left out.
 */
struct alert_json {
	char *data;     /* NULL once out of memory */
	size_t len, cap;
};

/* Appends n bytes. */
static void alert_json_put(struct alert_json *j, const char *s, size_t n)
{
	if (j->data != NULL && j->len + n + 1 > j->cap) {
		size_t cap = 2 * (j->len + n + 1);
		char *p = realloc(j->data, cap);

		if (p == NULL)
			free(j->data);
		j->data = p;
		j->cap = cap;
	}
	if (j->data != NULL) {
		memcpy(j->data + j->len, s, n);
		j->len += n;
	}
}

/* Starts an object. */
static void alert_json_begin(struct alert_json *j)
{
	j->len = 0;
	j->cap = 1024;
	if ((j->data = malloc(j->cap)) != NULL)
		j->data[j->len++] = '{';
}

/* Writes a member's key (a plain ASCII name), after a comma unless it is the first. */
static void alert_json_key(struct alert_json *j, const char *key)
{
	if (j->len > 1)
		alert_json_put(j, ",", 1);
	alert_json_put(j, "\"", 1);
	alert_json_put(j, key, strlen(key));
	alert_json_put(j, "\":", 2);
}

/* The length of the UTF-8 sequence at s (of n bytes) as jansson checks it; 0 when invalid. */
static size_t alert_utf8_len(const unsigned char *s, size_t n)
{
	size_t k = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 :
	    s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	uint32_t c;

	if (k == 0 || k > n)
		return 0;
	c = k == 1 ? s[0] : (uint32_t)(s[0] & (0x7f >> k));
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are refused. */
	if ((k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return k;
}

/* A string member, escaped as jansson does; left out unless value is UTF-8. */
static void alert_json_str(struct alert_json *j, const char *key, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t n = strlen(value), run = 0;

	for (size_t i = 0, k; i < n; i += k)
		if ((k = alert_utf8_len(s + i, n - i)) == 0)
			return;
	alert_json_key(j, key);
	alert_json_put(j, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char esc[8];

		if (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
			continue;
		alert_json_put(j, value + run, i - run);
		run = i + 1;
		switch (s[i]) {
		case '"': alert_json_put(j, "\\\"", 2); break;
		case '\\': alert_json_put(j, "\\\\", 2); break;
		case '\b': alert_json_put(j, "\\b", 2); break;
		case '\f': alert_json_put(j, "\\f", 2); break;
		case '\n': alert_json_put(j, "\\n", 2); break;
		case '\r': alert_json_put(j, "\\r", 2); break;
		case '\t': alert_json_put(j, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", s[i]);
			alert_json_put(j, esc, 6);
		}
	}
	alert_json_put(j, value + run, n - run);
	alert_json_put(j, "\"", 1);
}

/* A member whose value is literal JSON text: an integer, null, true. */
static void alert_json_raw(struct alert_json *j, const char *key, const char *text)
{
	alert_json_key(j, key);
	alert_json_put(j, text, strlen(text));
}

/* An integer member. */
static void alert_json_int(struct alert_json *j, const char *key, int64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, value);
	alert_json_raw(j, key, buf);
}

/* A real member as jansson writes it: 10 digits, ".0" on a whole number, a bare exponent. */
static void alert_json_real(struct alert_json *j, const char *key, double value)
{
	char buf[40], *e;
	int n;

	if (!isfinite(value))
		return;
	n = snprintf(buf, sizeof(buf), "%.10g", value);
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL)
		memcpy(buf + n, ".0", 3);
	if ((e = strchr(buf, 'e')) != NULL) {
		/* "1e+20" and "1e-05" are written "1e20" and "1e-5". */
		char *digits = e + 1 + (e[1] == '-'), *from = e + 2;

		while (*from == '0')
			from++;
		memmove(digits, from, strlen(from) + 1);
	}
	alert_json_raw(j, key, buf);
}

/* Ends the object: the text, NUL-terminated, for the caller to free; NULL when out of memory. */
static char *alert_json_end(struct alert_json *j)
{
	alert_json_put(j, "}", 1);
	if (j->data != NULL)
		j->data[j->len] = '\0';
	return j->data;
}

/* Sets key to a string unless it is empty. */
static void alert_set_str(struct alert_json *j, const char *key, const char *value)
{
	if (value[0] != '\0')
		alert_json_str(j, key, value);
}

/* Sets key to an integer unless it is absent (-1). */
static void alert_set_int(struct alert_json *j, const char *key, int64_t value)
{
	if (value >= 0)
		alert_json_int(j, key, value);
}

/* Adds a quality alert's interval, then ends the object. */
static char *alert_finish(struct alert_json *j, const struct alert_facts *f)
{
	if (f->has_interval) {
		alert_json_real(j, "lower", f->lower);
		alert_json_real(j, "upper", f->upper);
	}
	return alert_json_end(j);
}

/* See alert.h. */
char *alert_facts_json(const struct alert_facts *f)
{
	struct alert_json j;

	alert_json_begin(&j);
	alert_set_str(&j, "rule", f->rule);
	alert_set_str(&j, "state", f->state);
	alert_set_str(&j, "agent", f->agent);
	alert_set_str(&j, "ticket", f->ticket);
	alert_set_str(&j, "window", f->window);
	alert_set_str(&j, "severity", f->severity);
	alert_set_str(&j, "category", f->category);
	alert_set_str(&j, "message", f->message);
	alert_set_int(&j, "since", f->since);
	alert_set_int(&j, "at", f->at);
	alert_set_int(&j, "start", f->start);
	alert_set_int(&j, "due", f->due);
	alert_set_int(&j, "target", f->target);
	alert_set_int(&j, "late_ms", f->late_ms);
	alert_set_int(&j, "remaining_ms", f->remaining_ms);
	alert_set_int(&j, "response_ms", f->response_ms);
	alert_set_int(&j, "samples", f->samples);
	if (f->superseded)
		alert_json_raw(&j, "superseded", "true");
	if (f->repeat)
		alert_json_raw(&j, "repeat", "true");
	if (f->has_value)
		alert_json_real(&j, "value", f->value);
	if (f->has_threshold)
		alert_json_real(&j, "threshold", f->threshold);
	return alert_finish(&j, f);
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
static void alert_set_time(struct alert_json *j, const char *key, int64_t ms)
{
	char buf[TS_RFC3339_SIZE];

	if (ms < 0) {
		alert_json_raw(j, key, "null");
		return;
	}
	ts_format_rfc3339(ms, buf, sizeof(buf));
	alert_json_str(j, key, buf);
}

/* Sets key to a number of seconds from ms, or leaves it out. */
static void alert_set_seconds(struct alert_json *j, const char *key, int64_t ms)
{
	if (ms >= 0)
		alert_json_real(j, key, (double)ms / 1000.0);
}

/* Sets key to a string, or null when it is empty. */
static void alert_set_str_or_null(struct alert_json *j, const char *key, const char *value)
{
	if (value[0] != '\0')
		alert_json_str(j, key, value);
	else
		alert_json_raw(j, key, "null");
}

/* See alert.h. */
char *alert_render(const struct alert_facts *f)
{
	struct alert_json j;
	char id[ALERT_ID_SIZE], text[ALERT_TEXT_SIZE];
	bool clock = f->ticket[0] != '\0';

	alert_id(f, id);
	alert_json_begin(&j);
	alert_json_str(&j, "alert_id", id);
	alert_json_str(&j, "rule", f->rule);
	alert_json_str(&j, "state", f->state);
	alert_json_str(&j, "agent_id", f->agent);
	alert_set_str_or_null(&j, "ticket_id", f->ticket);
	alert_set_str_or_null(&j, "window", f->window);
	if (clock) {
		/* A clock's value is how long the customer has waited; its threshold the target. */
		int64_t waited = f->response_ms >= 0 ? f->response_ms : f->at - f->start;

		alert_json_real(&j, "value", (double)waited / 1000.0);
		alert_json_real(&j, "threshold", (double)f->target / 1000.0);
		alert_json_raw(&j, "samples", "null");
	} else {
		if (f->has_value)
			alert_json_real(&j, "value", f->value);
		else
			alert_json_raw(&j, "value", "null");
		if (f->has_threshold)
			alert_json_real(&j, "threshold", f->threshold);
		else
			alert_json_raw(&j, "threshold", "null");
		if (f->samples >= 0)
			alert_json_int(&j, "samples", f->samples);
		else
			alert_json_raw(&j, "samples", "null");
	}
	alert_set_time(&j, "since", f->since);
	alert_set_time(&j, "at", f->at);
	if (f->message[0] != '\0')
		snprintf(text, sizeof(text), "%s", f->message);
	else
		alert_clock_message(f, text, sizeof(text));
	alert_json_str(&j, "message", text);
	if (clock) {
		alert_set_time(&j, "opened_at", f->start);
		alert_set_time(&j, "deadline", f->due);
		alert_set_seconds(&j, "late_s", f->late_ms);
		alert_set_seconds(&j, "remaining_s", f->remaining_ms);
		alert_set_seconds(&j, "response_s", f->response_ms);
		if (strcmp(f->severity, "message") != 0)
			alert_set_str(&j, "severity", f->severity);
		alert_set_str(&j, "category", f->category);
		if (f->superseded)
			alert_json_raw(&j, "superseded", "true");
	}
	if (f->repeat)
		alert_json_raw(&j, "repeat", "true");
	return alert_finish(&j, f);
}
