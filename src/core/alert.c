/* alert.c: an alert's facts, its contract JSON, its deterministic id and its text (pure). */
#include "alert.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alert_text.h"
#include "rule.h"
#include "timestamp.h"

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

/*
 * The facts of an outbox entry, read. What alert_facts_json wrote (no blank, no nesting,
 * strings escaped as it escapes them) is scanned directly into members; anything else, such
 * as the Lua release's entries, is parsed by jansson. Either way the members are looked up
 * alike (the last of a repeated key wins, as in jansson), so both give the same facts.
 */
#define ALERT_MEMBERS_MAX 40

/* One scanned member: its key's bytes, and its value. */
struct alert_member {
	const char *key;
	size_t key_len;
	enum { ALERT_STRING, ALERT_INTEGER, ALERT_REAL, ALERT_LITERAL } kind;
	const char *text;   /* ALERT_STRING: its escaped bytes; ALERT_LITERAL: true, false or null */
	size_t len;
	int64_t integer;
	double real;
};

/* The facts' object: scanned members, or, when obj is not NULL, jansson's. */
struct alert_doc {
	json_t *obj;
	size_t n;
	struct alert_member m[ALERT_MEMBERS_MAX];
};

/* The last member named key, or NULL. */
static const struct alert_member *alert_doc_member(const struct alert_doc *d, const char *key)
{
	size_t len = strlen(key);

	for (size_t i = d->n; i-- > 0;)
		if (d->m[i].key_len == len && memcmp(d->m[i].key, key, len) == 0)
			return &d->m[i];
	return NULL;
}

/* The byte a scanned escape stands for, after its backslash; 0 for one left to jansson. */
static char alert_unescape(const char *p, const char *end)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c;
	unsigned v = 0;

	if (p >= end)
		return 0;
	if (*p != 'u')
		return *p != '\0' && (c = strchr(from, *p)) != NULL ? to[c - from] : 0;
	if (end - p < 5 || p[1] != '0' || p[2] != '0')
		return 0;
	for (int i = 3; i < 5; i++) {
		int h = p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10 :
		    p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10 : -1;

		if (h < 0)
			return 0;
		v = v * 16 + (unsigned)h;
	}
	/* Only \u0001..\u007f: \u0000 is refused by jansson, the rest is left to it. */
	return v >= 1 && v <= 0x7f ? (char)v : 0;
}

/* Scans a string at *p: its escaped bytes; false for anything left to jansson. */
static bool alert_scan_string(const char **p, const char *end, const char **text, size_t *len)
{
	const char *q = *p + 1;
	size_t k;

	if (*p >= end || **p != '"')
		return false;
	while (q < end && *q != '"') {
		if ((unsigned char)*q < 0x20)
			return false;
		if (*q == '\\') {
			if (alert_unescape(q + 1, end) == 0)
				return false;
			q += q[1] == 'u' ? 6 : 2;
		} else if ((k = alert_utf8_len((const unsigned char *)q, (size_t)(end - q))) == 0) {
			return false;
		} else {
			q += k;
		}
	}
	if (q >= end)
		return false;
	*text = *p + 1;
	*len = (size_t)(q - *text);
	*p = q + 1;
	return true;
}

/* Scans a number at *p by JSON's grammar into m; false for anything left to jansson. */
static bool alert_scan_number(const char **p, const char *end, struct alert_member *m)
{
	const char *q = *p, *digits;
	char buf[64];
	bool real = false;

	q += q < end && *q == '-';
	digits = q;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (q == digits || (*digits == '0' && q - digits > 1))
		return false;
	if (q < end && *q == '.') {
		real = true;
		digits = ++q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q == digits)
			return false;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		real = true;
		q++;
		q += q < end && (*q == '+' || *q == '-');
		digits = q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q == digits)
			return false;
	}
	if ((size_t)(q - *p) >= sizeof(buf))
		return false;
	memcpy(buf, *p, (size_t)(q - *p));
	buf[q - *p] = '\0';
	errno = 0;
	if (real) {
		m->kind = ALERT_REAL;
		m->real = strtod(buf, NULL);
		/* jansson refuses a real out of range; left to it. */
		if (errno != 0 || !isfinite(m->real))
			return false;
	} else {
		m->kind = ALERT_INTEGER;
		m->integer = strtoll(buf, NULL, 10);
		if (errno != 0)
			return false;
	}
	*p = q;
	return true;
}

/* Scans a flat object with nothing between its tokens into d; false for anything left to jansson. */
static bool alert_scan(const char *json, size_t len, struct alert_doc *d)
{
	const char *p = json, *end = json + len;

	d->obj = NULL;
	d->n = 0;
	if (p >= end || *p++ != '{')
		return false;
	while (p < end && *p != '}') {
		struct alert_member *m = &d->m[d->n];

		if (d->n == ALERT_MEMBERS_MAX || (d->n > 0 && *p++ != ','))
			return false;
		if (!alert_scan_string(&p, end, &m->key, &m->key_len) || memchr(m->key, '\\', m->key_len) != NULL ||
		    p >= end || *p++ != ':' || p >= end)
			return false;
		if (*p == '"') {
			m->kind = ALERT_STRING;
			if (!alert_scan_string(&p, end, &m->text, &m->len))
				return false;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			if (!alert_scan_number(&p, end, m))
				return false;
		} else {
			static const char *const literals[] = {"true", "false", "null"};
			size_t i = 0;

			while (i < 3 && ((size_t)(end - p) < strlen(literals[i]) ||
			    memcmp(p, literals[i], strlen(literals[i])) != 0))
				i++;
			if (i == 3)
				return false;
			m->kind = ALERT_LITERAL;
			m->text = literals[i];
			p += strlen(literals[i]);
		}
		d->n++;
	}
	return p < end && p + 1 == end;
}

/* Copies a string member (truncated to size), or "" when absent or not a string. */
static void alert_get_str(const struct alert_doc *d, const char *key, char *buf, size_t size)
{
	const struct alert_member *m;
	size_t n = 0;

	if (d->obj != NULL) {
		const char *s = json_string_value(json_object_get(d->obj, key));

		snprintf(buf, size, "%s", s != NULL ? s : "");
		return;
	}
	if ((m = alert_doc_member(d, key)) != NULL && m->kind == ALERT_STRING) {
		for (const char *q = m->text, *end = q + m->len; q < end && n + 1 < size; q++) {
			buf[n++] = *q == '\\' ? alert_unescape(q + 1, end) : *q;
			q += *q != '\\' ? 0 : q[1] == 'u' ? 5 : 1;
		}
	}
	buf[n] = '\0';
}

/* Reads a number member into *out; false when absent or not a number. */
static bool alert_get_real(const struct alert_doc *d, const char *key, double *out)
{
	const struct alert_member *m;

	if (d->obj != NULL) {
		json_t *v = json_object_get(d->obj, key);

		if (!json_is_number(v))
			return false;
		*out = json_number_value(v);
		return true;
	}
	if ((m = alert_doc_member(d, key)) == NULL || (m->kind != ALERT_INTEGER && m->kind != ALERT_REAL))
		return false;
	*out = m->kind == ALERT_INTEGER ? (double)m->integer : m->real;
	return true;
}

/* Reads an integer member; Lua's cjson writes numbers as reals, so both are taken. */
static int64_t alert_get_int(const struct alert_doc *d, const char *key)
{
	double v;

	return alert_get_real(d, key, &v) ? (int64_t)v : -1;
}

/* Whether a member is the literal true. */
static bool alert_get_true(const struct alert_doc *d, const char *key)
{
	const struct alert_member *m;

	if (d->obj != NULL)
		return json_is_true(json_object_get(d->obj, key));
	return (m = alert_doc_member(d, key)) != NULL && m->kind == ALERT_LITERAL && strcmp(m->text, "true") == 0;
}

/* See alert.h. */
bool alert_facts_parse(const char *json, size_t len, struct alert_facts *f)
{
	struct alert_doc d;

	/* json_is_object reads its argument twice: the parse is assigned first. */
	if (!alert_scan(json, len, &d) && (d.obj = json_loadb(json, len, 0, NULL), !json_is_object(d.obj))) {
		json_decref(d.obj);
		return false;
	}
	memset(f, 0, sizeof(*f));
	alert_get_str(&d, "rule", f->rule, sizeof(f->rule));
	alert_get_str(&d, "state", f->state, sizeof(f->state));
	alert_get_str(&d, "agent", f->agent, sizeof(f->agent));
	alert_get_str(&d, "team", f->team, sizeof(f->team));
	alert_get_str(&d, "ticket", f->ticket, sizeof(f->ticket));
	alert_get_str(&d, "window", f->window, sizeof(f->window));
	alert_get_str(&d, "severity", f->severity, sizeof(f->severity));
	alert_get_str(&d, "category", f->category, sizeof(f->category));
	alert_get_str(&d, "policy", f->policy, sizeof(f->policy));
	alert_get_str(&d, "calendar", f->calendar, sizeof(f->calendar));
	alert_get_str(&d, "goal", f->goal, sizeof(f->goal));
	alert_get_str(&d, "message", f->message, sizeof(f->message));
	f->since = alert_get_int(&d, "since");
	f->at = alert_get_int(&d, "at");
	f->start = alert_get_int(&d, "start");
	f->due = alert_get_int(&d, "due");
	f->target = alert_get_int(&d, "target");
	f->late_ms = alert_get_int(&d, "late_ms");
	f->remaining_ms = alert_get_int(&d, "remaining_ms");
	f->response_ms = alert_get_int(&d, "response_ms");
	/* Entries queued before policies have none of these: "" and -1, as absent members are. */
	f->business_ms = alert_get_int(&d, "business_ms");
	f->wall_ms = alert_get_int(&d, "wall_ms");
	f->promise_ms = alert_get_int(&d, "promise_ms");
	f->promised = alert_get_int(&d, "promised");
	f->samples = alert_get_int(&d, "samples");
	f->superseded = alert_get_true(&d, "superseded");
	f->repeat = alert_get_true(&d, "repeat");
	f->has_value = alert_get_real(&d, "value", &f->value);
	f->has_threshold = alert_get_real(&d, "threshold", &f->threshold);
	f->has_interval = alert_get_real(&d, "lower", &f->lower) && alert_get_real(&d, "upper", &f->upper);
	json_decref(d.obj);
	return f->rule[0] != '\0' && (f->agent[0] != '\0' || f->team[0] != '\0') && f->since >= 0 && f->at >= 0 &&
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
	alert_set_str(&j, "team", f->team);
	alert_set_str(&j, "ticket", f->ticket);
	alert_set_str(&j, "window", f->window);
	alert_set_str(&j, "severity", f->severity);
	alert_set_str(&j, "category", f->category);
	alert_set_str(&j, "policy", f->policy);
	alert_set_str(&j, "calendar", f->calendar);
	alert_set_str(&j, "goal", f->goal);
	alert_set_str(&j, "message", f->message);
	alert_set_int(&j, "since", f->since);
	alert_set_int(&j, "at", f->at);
	alert_set_int(&j, "start", f->start);
	alert_set_int(&j, "due", f->due);
	alert_set_int(&j, "target", f->target);
	alert_set_int(&j, "late_ms", f->late_ms);
	alert_set_int(&j, "remaining_ms", f->remaining_ms);
	alert_set_int(&j, "response_ms", f->response_ms);
	alert_set_int(&j, "business_ms", f->business_ms);
	alert_set_int(&j, "wall_ms", f->wall_ms);
	alert_set_int(&j, "promise_ms", f->promise_ms);
	alert_set_int(&j, "promised", f->promised);
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

/*
 * Whether the goal is part of the episode's name: a ticket's reply and resolution clocks may
 * each have broken their promise at once. Every other rule keeps the id and field it had.
 */
static bool alert_names_goal(const struct alert_facts *f)
{
	return f->ticket[0] != '\0' && f->goal[0] != '\0' && strcmp(f->rule, "promise_broken") == 0;
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
	/* A team's own alerts only: an agent's ids stay what they were. */
	if (f->team[0] != '\0')
		h = alert_fnv(h, f->team, strlen(f->team) + 1);
	h = alert_fnv(h, f->ticket, strlen(f->ticket) + 1);
	if (alert_names_goal(f))
		h = alert_fnv(h, f->goal, strlen(f->goal) + 1);
	h = alert_fnv(h, since, strlen(since));
	snprintf(out, ALERT_ID_SIZE, "%016" PRIx64, h);
}

/* See alert.h. */
void alert_field(const struct alert_facts *f, char *buf, size_t size)
{
	if (alert_names_goal(f))
		snprintf(buf, size, "%s:%s:%s", f->rule, f->ticket, f->goal);
	else if (f->ticket[0] != '\0')
		snprintf(buf, size, "%s:%s", f->rule, f->ticket);
	else
		snprintf(buf, size, "%s", f->rule);
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

/*
 * An alert's own level, by its rule: for clocks warning (at risk), high (breach), critical
 * (promise); info for rating integrity, which pages nobody; NULL for the others.
 */
static const char *alert_level(const char *rule)
{
	size_t n = strlen(rule);

	if (strcmp(rule, RULE_RATING_INTEGRITY_NAME) == 0)
		return "info";
	if (strcmp(rule, "promise_broken") == 0)
		return "critical";
	if (n >= 8 && strcmp(rule + n - 8, "_at_risk") == 0)
		return "warning";
	if (n >= 7 && strcmp(rule + n - 7, "_breach") == 0)
		return "high";
	return NULL;
}

/* Adds what a clock under a policy carries; facts queued before policies have none and get none. */
static void alert_set_policy(struct alert_json *j, const struct alert_facts *f)
{
	const char *level = alert_level(f->rule);

	if (f->policy[0] == '\0')
		return;
	if (level != NULL)
		alert_json_str(j, "level", level);
	alert_json_str(j, "policy", f->policy);
	alert_json_str(j, "calendar", f->calendar);
	alert_json_str(j, "goal", f->goal);
	alert_set_seconds(j, "business_s", f->business_ms);
	alert_set_seconds(j, "wall_s", f->wall_ms);
	if (f->promise_ms >= 0) {
		alert_set_seconds(j, "promise_s", f->promise_ms);
		alert_set_time(j, "promised_at", f->promised);
	}
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
	alert_set_str_or_null(&j, "agent_id", f->agent);
	if (f->team[0] != '\0')
		alert_json_str(&j, "team_id", f->team);
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
		alert_set_policy(&j, f);
		if (f->superseded)
			alert_json_raw(&j, "superseded", "true");
	} else if (alert_level(f->rule) != NULL) {
		alert_json_str(&j, "level", alert_level(f->rule));
	}
	if (f->repeat)
		alert_json_raw(&j, "repeat", "true");
	return alert_finish(&j, f);
}
