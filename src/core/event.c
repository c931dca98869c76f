/* event.c: parsing and validating one feedback event (pure, no I/O). */

#include <stdio.h>
#include <string.h>

#include "event.h"
#include "jsondoc.h"
#include "jsonlex.h"
#include "timestamp.h"

#define EVENT_CATEGORY_MAX 128

static const char *const event_type_names[] = {
	"rating", "complaint", "message", "reply", "status", "follow_up"
};
_Static_assert(sizeof event_type_names / sizeof event_type_names[0] == EVENT_TYPE_COUNT,
    "one name per enum event_type");
static const char *const severity_names[] = {
	"low", "normal", "high", "critical"
};
_Static_assert(sizeof severity_names / sizeof severity_names[0] == SEVERITY_COUNT,
    "one name per enum severity");
static const char *const ticket_status_names[] = {
	"open", "pending", "on_hold", "solved", "reopened"
};
_Static_assert(sizeof ticket_status_names / sizeof ticket_status_names[0] == TICKET_STATUS_COUNT,
    "one name per enum ticket_status");

/* Writes "what" or "what: field" as the rejection reason; always returns false. */
static bool
event_reject(char *reason, size_t reason_size, const char *what, const char *field)
{
	if (reason == NULL || reason_size == 0)
		return false;
	if (field != NULL)
		snprintf(reason, reason_size, "%s: %s", what, field);
	else
		snprintf(reason, reason_size, "%s", what);
	return false;
}

/* Why the bytes are not an event's JSON object, in the contract's short words. */
static const char *
event_json_error(enum jsondoc_status st)
{
	switch (st) {
	case JSONDOC_DUPLICATE_KEY:
		return "duplicate key";
	case JSONDOC_INVALID_UTF8:
		return "invalid utf-8";
	case JSONDOC_NUL_CHARACTER:
		return "nul character";
	case JSONDOC_NOT_OBJECT:
		return "not an object";
	default:
		/* Out of memory too. */
		return "not json";
	}
}

/* True when s has a C0 control character or DEL, which would corrupt keys and logs. */
static bool
event_has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

/* Copies string field name to out if its length is in [min, max]; absent ok unless required. */
static bool
event_get_string(const struct jsondoc *doc, const char *name, bool required, size_t min, size_t max,
    char *out, char *reason, size_t reason_size)
{
	const struct jsondoc_value *v = jsondoc_get(doc, name);
	size_t	 len;

	out[0] = '\0';
	if (v == NULL) {
		if (required)
			return event_reject(reason, reason_size, "missing field", name);
		return true;
	}
	if (v->kind != JSONDOC_STRING)
		return event_reject(reason, reason_size, "wrong type", name);
	len = v->len;
	if (len < min || len > max)
		return event_reject(reason, reason_size, "bad length", name);
	/* A \u0000 was refused, so the length and strlen agree. */
	memcpy(out, v->str, len);
	out[len] = '\0';
	return true;
}

/* Finds the len bytes at s in a table of contract names; -1 when absent. */
static int
event_lookup(const char *const *names, int count, const char *s, size_t len)
{
	for (int i = 0; i < count; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	}
	return -1;
}

/* Reads ts as an RFC 3339 string or integer epoch ms and refuses the far future. */
static bool
event_get_ts(const struct jsondoc *doc, int64_t now_ms, int64_t max_future_ms, int64_t *out,
    char *reason, size_t reason_size)
{
	const struct jsondoc_value *v = jsondoc_get(doc, "ts");
	int64_t	 horizon = max_future_ms < 0 ? 0 : max_future_ms;

	if (v == NULL)
		return event_reject(reason, reason_size, "missing field", "ts");
	if (v->kind == JSONDOC_STRING) {
		if (!ts_parse_rfc3339(v->str, v->len, out))
			return event_reject(reason, reason_size, "bad ts", NULL);
	} else if (v->kind == JSONDOC_INTEGER) {
		if (v->integer < 0)
			return event_reject(reason, reason_size, "bad ts", NULL);
		*out = v->integer;
	} else
		return event_reject(reason, reason_size, "wrong type", "ts");
	/* Compared as a difference so a huge ts cannot overflow now + max. */
	if (*out > now_ms && (uint64_t)*out - (uint64_t)now_ms > (uint64_t)horizon)
		return event_reject(reason, reason_size, "ts in the future", NULL);
	return true;
}

/* Reads the score and optional scale of a rating. */
static bool
event_get_rating(const struct jsondoc *doc, struct event *ev, char *reason, size_t reason_size)
{
	const struct jsondoc_value	*score = jsondoc_get(doc, "score");
	const struct jsondoc_value	*scale = jsondoc_get(doc, "scale");
	int64_t		 s, max, min;

	if (score == NULL)
		return event_reject(reason, reason_size, "missing field", "score");
	/* A real such as 4.0 is refused: scores are counted, never rounded. */
	if (score->kind != JSONDOC_INTEGER)
		return event_reject(reason, reason_size, "wrong type", "score");
	ev->scale = 5;
	if (scale != NULL) {
		if (scale->kind != JSONDOC_INTEGER)
			return event_reject(reason, reason_size, "wrong type", "scale");
		if (scale->integer != 5 && scale->integer != 10)
			return event_reject(reason, reason_size, "bad scale", NULL);
		ev->scale = (int)scale->integer;
	}
	min = ev->scale == 5 ? 1 : 0;
	max = ev->scale;
	s = score->integer;
	if (s < min || s > max)
		return event_reject(reason, reason_size, "score out of range", NULL);
	ev->score = (int)s;
	return true;
}

/* Reads the optional severity of a complaint. */
static bool
event_get_severity(const struct jsondoc *doc, struct event *ev, char *reason, size_t reason_size)
{
	const struct jsondoc_value *v = jsondoc_get(doc, "severity");

	ev->severity = SEVERITY_NORMAL;
	if (v == NULL)
		return true;
	if (v->kind != JSONDOC_STRING)
		return event_reject(reason, reason_size, "wrong type", "severity");
	if (!severity_from_name(v->str, v->len, &ev->severity))
		return event_reject(reason, reason_size, "unknown severity", NULL);
	return true;
}

/* Reads the status of a status event, which it must have. */
static bool
event_get_status(const struct jsondoc *doc, struct event *ev, char *reason, size_t reason_size)
{
	const struct jsondoc_value *v = jsondoc_get(doc, "status");

	if (v == NULL)
		return event_reject(reason, reason_size, "missing field", "status");
	if (v->kind != JSONDOC_STRING)
		return event_reject(reason, reason_size, "wrong type", "status");
	if (!ticket_status_from_name(v->str, v->len, &ev->status))
		return event_reject(reason, reason_size, "unknown status", NULL);
	return true;
}

/* Reads a reply's optional follow_up flag; a follow_up event is one by its type. */
static bool
event_get_follow_up(const struct jsondoc *doc, struct event *ev, char *reason, size_t reason_size)
{
	const struct jsondoc_value *v = jsondoc_get(doc, "follow_up");

	ev->follow_up = ev->type == EVENT_FOLLOW_UP;
	if (v == NULL || ev->type != EVENT_REPLY)
		return true;
	if (v->kind != JSONDOC_BOOL)
		return event_reject(reason, reason_size, "wrong type", "follow_up");
	ev->follow_up = v->integer != 0;
	return true;
}

/* Validates every field of a decoded object into ev. */
static bool
event_fill(const struct jsondoc *doc, int64_t now_ms, int64_t max_future_ms, struct event *ev,
    char *reason, size_t reason_size)
{
	const struct jsondoc_value *type;
	int	 i;

	if (!event_get_string(doc, "event_id", true, 1, EVENT_ID_MAX, ev->event_id,
	    reason, reason_size))
		return false;

	type = jsondoc_get(doc, "type");
	if (type == NULL)
		return event_reject(reason, reason_size, "missing field", "type");
	if (type->kind != JSONDOC_STRING)
		return event_reject(reason, reason_size, "wrong type", "type");
	i = event_lookup(event_type_names, EVENT_TYPE_COUNT, type->str,
	    type->len);
	if (i < 0)
		return event_reject(reason, reason_size, "unknown type", NULL);
	ev->type = (enum event_type)i;

	if (!event_get_string(doc, "agent_id", true, 1, EVENT_ID_MAX, ev->agent_id,
	    reason, reason_size))
		return false;
	if (event_has_control(ev->agent_id, strlen(ev->agent_id)))
		return event_reject(reason, reason_size, "control character", "agent_id");

	if (!event_get_ts(doc, now_ms, max_future_ms, &ev->ts_ms, reason, reason_size))
		return false;

	/* Only a rating may stand alone; everything else belongs to a ticket. */
	if (!event_get_string(doc, "ticket_id", ev->type != EVENT_RATING, 1,
	    EVENT_ID_MAX, ev->ticket_id, reason, reason_size))
		return false;

	if (ev->type == EVENT_RATING &&
	    !event_get_rating(doc, ev, reason, reason_size))
		return false;
	if (ev->type == EVENT_COMPLAINT &&
	    !event_get_severity(doc, ev, reason, reason_size))
		return false;
	if (ev->type == EVENT_STATUS &&
	    !event_get_status(doc, ev, reason, reason_size))
		return false;
	if (!event_get_follow_up(doc, ev, reason, reason_size))
		return false;

	if (!event_get_string(doc, "queue", false, 0, EVENT_ID_MAX, ev->queue, reason, reason_size))
		return false;
	if (event_has_control(ev->queue, strlen(ev->queue)))
		return event_reject(reason, reason_size, "control character", "queue");
	if (!event_get_string(doc, "team_id", false, 1, EVENT_TEAM_MAX, ev->team_id, reason, reason_size))
		return false;
	if (event_has_control(ev->team_id, strlen(ev->team_id)))
		return event_reject(reason, reason_size, "control character", "team_id");
	return event_get_string(doc, "category", false, 0, EVENT_CATEGORY_MAX,
	    ev->category, reason, reason_size);
}

/* Parses and validates one message against the contract in docs/events.md. */
bool
event_parse(const char *buf, size_t len, int64_t now_ms, int64_t max_future_ms,
    struct event *out, char *reason, size_t reason_size)
{
	/*
	 * The thread's parser, not one passed in: event_parse's signature is the contract its
	 * callers and tests use, the daemon parses on one thread, and jsondoc_thread frees it
	 * when the thread ends, so nothing leaks.
	 */
	struct jsondoc		*doc;
	enum jsondoc_status	 st;
	struct event		 ev;

	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	/* A Kafka tombstone: no value at all, told apart from an empty one. */
	if (buf == NULL)
		return event_reject(reason, reason_size, "null value", NULL);
	/* Checked before decoding so a huge message costs nothing. */
	if (len > EVENT_MAX_BYTES)
		return event_reject(reason, reason_size, "too large", NULL);

	if ((doc = jsondoc_thread()) == NULL)
		return event_reject(reason, reason_size, "not json", NULL);
	if ((st = jsondoc_parse(doc, buf, len)) != JSONDOC_OK)
		return event_reject(reason, reason_size, event_json_error(st), NULL);

	memset(&ev, 0, sizeof ev);
	ev.severity = SEVERITY_NORMAL;
	ev.status = STATUS_OPEN;
	/* out is only written for a valid event, never half-filled. */
	if (!event_fill(doc, now_ms, max_future_ms, &ev, reason, reason_size))
		return false;
	*out = ev;
	return true;
}

/* The type of a message event_parse rejected, for counting dead letters by type; -1 if none. */
int
event_rejected_type(const char *buf, size_t len)
{
	const char	*type;
	size_t		 tlen;

	/*
	 * Read leniently: a message is often rejected for what the strict parser refuses (its size,
	 * bad UTF-8, a \u0000, a duplicate key) while its type is plain to see.
	 */
	if (buf == NULL ||
	    (type = jsonlex_member_string(buf, len, "type", &tlen)) == NULL)
		return -1;
	return event_lookup(event_type_names, EVENT_TYPE_COUNT, type, tlen);
}

/* The contract name of a type ("rating"). */
const char *
event_type_name(enum event_type type)
{
	if ((unsigned)type >= (unsigned)EVENT_TYPE_COUNT)
		return "unknown";
	return event_type_names[type];
}

/* The contract name of a severity ("critical"). */
const char *
severity_name(enum severity severity)
{
	if ((unsigned)severity >= SEVERITY_COUNT)
		return "unknown";
	return severity_names[severity];
}

/* The contract name of a ticket status ("on_hold"). */
const char *
ticket_status_name(enum ticket_status status)
{
	if ((unsigned)status >= TICKET_STATUS_COUNT)
		return "unknown";
	return ticket_status_names[status];
}

/* See event.h. */
bool
severity_from_name(const char *s, size_t len, enum severity *out)
{
	int	 i = event_lookup(severity_names, SEVERITY_COUNT, s, len);

	if (i >= 0)
		*out = (enum severity)i;
	return i >= 0;
}

/* See event.h. */
bool
ticket_status_from_name(const char *s, size_t len, enum ticket_status *out)
{
	int	 i = event_lookup(ticket_status_names, TICKET_STATUS_COUNT, s, len);

	if (i >= 0)
		*out = (enum ticket_status)i;
	return i >= 0;
}
