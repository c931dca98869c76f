/* event.h: parsing and validating one feedback event (pure, no I/O). */
#ifndef FEEDBACKD_EVENT_H
#define FEEDBACKD_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_MAX_BYTES 65536
#define EVENT_ID_MAX 128
/* A team id is shorter, so that a team's key among a task's agents (groupkey.h) is an id too. */
#define EVENT_TEAM_MAX (EVENT_ID_MAX - 2)
#define EVENT_REASON_SIZE 96

enum event_type { EVENT_RATING, EVENT_COMPLAINT, EVENT_MESSAGE, EVENT_REPLY, EVENT_STATUS, EVENT_FOLLOW_UP };
#define EVENT_TYPE_COUNT 6
enum severity { SEVERITY_LOW, SEVERITY_NORMAL, SEVERITY_HIGH, SEVERITY_CRITICAL };
#define SEVERITY_COUNT 4
/* A ticket's status, as a `status` event sets it. */
enum ticket_status { STATUS_OPEN, STATUS_PENDING, STATUS_ON_HOLD, STATUS_SOLVED, STATUS_REOPENED };
#define TICKET_STATUS_COUNT 5

struct event {
	enum event_type type;
	char event_id[EVENT_ID_MAX + 1];
	char agent_id[EVENT_ID_MAX + 1];
	char ticket_id[EVENT_ID_MAX + 1]; /* "" when absent */
	char category[EVENT_ID_MAX + 1];  /* "" when absent */
	char queue[EVENT_ID_MAX + 1];     /* "" when absent */
	char team_id[EVENT_ID_MAX + 1];   /* "" when absent: the agent's team is then the map's */
	int64_t ts_ms;
	int score;                        /* rating only */
	int scale;                        /* rating only: 5 or 10 */
	enum severity severity;           /* complaint only; SEVERITY_NORMAL otherwise */
	enum ticket_status status;        /* status only; STATUS_OPEN otherwise */
	bool follow_up;                   /* a follow_up, or a reply marked "follow_up": true */
};

/*
 * Parses and validates one message against the contract in docs/events.md; buf NULL is a
 * Kafka tombstone ("null value"). A number too large to hold is read as the largest that can
 * be held, with its sign and kind. On rejection returns false and writes a short reason
 * ("missing field: agent_id").
 */
bool event_parse(const char *buf, size_t len, int64_t now_ms, int64_t max_future_ms,
    struct event *out, char *reason, size_t reason_size);

/*
 * The type of a message event_parse rejected, for counting dead letters by type: the last
 * top-level "type" of a JSON object when that is a valid type string without escapes, else
 * -1. Read whatever the message's size, UTF-8, \u0000s or numbers elsewhere.
 */
int event_rejected_type(const char *buf, size_t len);

/* The contract name of a type or severity ("rating", "critical"). */
const char *event_type_name(enum event_type type);
const char *severity_name(enum severity severity);
const char *ticket_status_name(enum ticket_status status);

/* The severity or status named by the len bytes at s ("on_hold"); false when none is. */
bool severity_from_name(const char *s, size_t len, enum severity *out);
bool ticket_status_from_name(const char *s, size_t len, enum ticket_status *out);

#endif
