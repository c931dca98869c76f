/* event.c: parsing and validating one feedback event (pure, no I/O). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "event.h"
#include "jsonlex.h"
#include "timestamp.h"

#define EVENT_CATEGORY_MAX 128

static const char *const event_type_names[] = {
	"rating", "complaint", "message", "reply"
};
_Static_assert(sizeof event_type_names / sizeof event_type_names[0] == EVENT_TYPE_COUNT,
    "one name per enum event_type");
static const char *const severity_names[] = {
	"low", "normal", "high", "critical"
};

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

/* Why jansson refused the bytes, in the contract's short words. */
static const char *
event_json_error(const json_error_t *err)
{
	switch (json_error_code(err)) {
	case json_error_duplicate_key:
		return "duplicate key";
	case json_error_invalid_utf8:
		return "invalid utf-8";
	case json_error_null_character:
		return "nul character";
	default:
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
event_get_string(json_t *root, const char *name, bool required, size_t min, size_t max,
    char *out, char *reason, size_t reason_size)
{
	json_t	*v = json_object_get(root, name);
	size_t	 len;

	out[0] = '\0';
	if (v == NULL) {
		if (required)
			return event_reject(reason, reason_size, "missing field", name);
		return true;
	}
	if (!json_is_string(v))
		return event_reject(reason, reason_size, "wrong type", name);
	len = json_string_length(v);
	if (len < min || len > max)
		return event_reject(reason, reason_size, "bad length", name);
	/* jansson refuses \u0000 by default, so the length and strlen agree. */
	memcpy(out, json_string_value(v), len);
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
event_get_ts(json_t *root, int64_t now_ms, int64_t max_future_ms, int64_t *out,
    char *reason, size_t reason_size)
{
	json_t	*v = json_object_get(root, "ts");
	int64_t	 horizon = max_future_ms < 0 ? 0 : max_future_ms;

	if (v == NULL)
		return event_reject(reason, reason_size, "missing field", "ts");
	if (json_is_string(v)) {
		if (!ts_parse_rfc3339(json_string_value(v), json_string_length(v), out))
			return event_reject(reason, reason_size, "bad ts", NULL);
	} else if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return event_reject(reason, reason_size, "bad ts", NULL);
		*out = json_integer_value(v);
	} else
		return event_reject(reason, reason_size, "wrong type", "ts");
	/* Compared as a difference so a huge ts cannot overflow now + max. */
	if (*out > now_ms && (uint64_t)*out - (uint64_t)now_ms > (uint64_t)horizon)
		return event_reject(reason, reason_size, "ts in the future", NULL);
	return true;
}

/* Reads the score and optional scale of a rating. */
static bool
event_get_rating(json_t *root, struct event *ev, char *reason, size_t reason_size)
{
	json_t		*score = json_object_get(root, "score");
	json_t		*scale = json_object_get(root, "scale");
	json_int_t	 s, max, min;

	if (score == NULL)
		return event_reject(reason, reason_size, "missing field", "score");
	/* A real such as 4.0 is refused: scores are counted, never rounded. */
	if (!json_is_integer(score))
		return event_reject(reason, reason_size, "wrong type", "score");
	ev->scale = 5;
	if (scale != NULL) {
		if (!json_is_integer(scale))
			return event_reject(reason, reason_size, "wrong type", "scale");
		if (json_integer_value(scale) != 5 && json_integer_value(scale) != 10)
			return event_reject(reason, reason_size, "bad scale", NULL);
		ev->scale = (int)json_integer_value(scale);
	}
	min = ev->scale == 5 ? 1 : 0;
	max = ev->scale;
	s = json_integer_value(score);
	if (s < min || s > max)
		return event_reject(reason, reason_size, "score out of range", NULL);
	ev->score = (int)s;
	return true;
}

/* Reads the optional severity of a complaint. */
static bool
event_get_severity(json_t *root, struct event *ev, char *reason, size_t reason_size)
{
	json_t	*v = json_object_get(root, "severity");
	int	 i;

	ev->severity = SEVERITY_NORMAL;
	if (v == NULL)
		return true;
	if (!json_is_string(v))
		return event_reject(reason, reason_size, "wrong type", "severity");
	i = event_lookup(severity_names, SEVERITY_COUNT, json_string_value(v),
	    json_string_length(v));
	if (i < 0)
		return event_reject(reason, reason_size, "unknown severity", NULL);
	ev->severity = (enum severity)i;
	return true;
}

/* Validates every field of a decoded object into ev. */
static bool
event_fill(json_t *root, int64_t now_ms, int64_t max_future_ms, struct event *ev,
    char *reason, size_t reason_size)
{
	json_t	*type;
	int	 i;

	if (!event_get_string(root, "event_id", true, 1, EVENT_ID_MAX, ev->event_id,
	    reason, reason_size))
		return false;

	type = json_object_get(root, "type");
	if (type == NULL)
		return event_reject(reason, reason_size, "missing field", "type");
	if (!json_is_string(type))
		return event_reject(reason, reason_size, "wrong type", "type");
	i = event_lookup(event_type_names, EVENT_TYPE_COUNT, json_string_value(type),
	    json_string_length(type));
	if (i < 0)
		return event_reject(reason, reason_size, "unknown type", NULL);
	ev->type = (enum event_type)i;

	if (!event_get_string(root, "agent_id", true, 1, EVENT_ID_MAX, ev->agent_id,
	    reason, reason_size))
		return false;
	if (event_has_control(ev->agent_id, strlen(ev->agent_id)))
		return event_reject(reason, reason_size, "control character", "agent_id");

	if (!event_get_ts(root, now_ms, max_future_ms, &ev->ts_ms, reason, reason_size))
		return false;

	/* Only a rating may stand alone; everything else belongs to a ticket. */
	if (!event_get_string(root, "ticket_id", ev->type != EVENT_RATING, 1,
	    EVENT_ID_MAX, ev->ticket_id, reason, reason_size))
		return false;

	if (ev->type == EVENT_RATING &&
	    !event_get_rating(root, ev, reason, reason_size))
		return false;
	if (ev->type == EVENT_COMPLAINT &&
	    !event_get_severity(root, ev, reason, reason_size))
		return false;

	return event_get_string(root, "category", false, 0, EVENT_CATEGORY_MAX,
	    ev->category, reason, reason_size);
}

/*
 * Decodes buf as jansson does, except that a number too large to hold is read as the largest
 * that can be held, with its sign and kind, rather than failing the whole message.
 */
static json_t *
event_decode(const char *buf, size_t len, json_error_t *err)
{
	/* DECODE_ANY so a bare number is "not an object" rather than "not json". */
	const size_t	 flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
	json_t		*root;
	char		*clamped;
	size_t		 clen;

	root = json_loadb(buf, len, flags, err);
	if (root != NULL || json_error_code(err) != json_error_numeric_overflow)
		return root;
	/* Only this rare path pays for the copy; out of memory leaves it "not json". */
	if ((clamped = jsonlex_clamp_numbers(buf, len, &clen)) == NULL)
		return NULL;
	root = json_loadb(clamped, clen, flags, err);
	free(clamped);
	return root;
}

/* Parses and validates one message against the contract in docs/events.md. */
bool
event_parse(const char *buf, size_t len, int64_t now_ms, int64_t max_future_ms,
    struct event *out, char *reason, size_t reason_size)
{
	json_t		*root;
	json_error_t	 err;
	struct event	 ev;
	bool		 ok;

	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	/* A Kafka tombstone: no value at all, told apart from an empty one. */
	if (buf == NULL)
		return event_reject(reason, reason_size, "null value", NULL);
	/* Checked before decoding so a huge message costs nothing. */
	if (len > EVENT_MAX_BYTES)
		return event_reject(reason, reason_size, "too large", NULL);

	root = event_decode(buf, len, &err);
	if (root == NULL)
		return event_reject(reason, reason_size, event_json_error(&err), NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return event_reject(reason, reason_size, "not an object", NULL);
	}

	memset(&ev, 0, sizeof ev);
	ev.severity = SEVERITY_NORMAL;
	ok = event_fill(root, now_ms, max_future_ms, &ev, reason, reason_size);
	json_decref(root);
	/* out is only written for a valid event, never half-filled. */
	if (ok)
		*out = ev;
	return ok;
}

/* The type of a message event_parse rejected, for counting dead letters by type; -1 if none. */
int
event_rejected_type(const char *buf, size_t len)
{
	const char	*type;
	size_t		 tlen;

	/*
	 * Read leniently: a message is often rejected for what jansson cannot read (its size,
	 * bad UTF-8, \u0000, a huge number) while its type is plain to see.
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
