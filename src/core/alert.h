/* alert.h: an alert's facts, its contract JSON, its deterministic id and its text (pure). */
#ifndef FEEDBACKD_ALERT_H
#define FEEDBACKD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define ALERT_ID_SIZE 17   /* 16 hex digits and NUL */
#define ALERT_TEXT_SIZE 768 /* fits every clock sentence with 128-byte ids */
#define ALERT_NAME_SIZE 64  /* a policy's or calendar's name, NUL included */

/*
 * What a decision recorded in the outbox. Reply-clock alerts carry the clock fields,
 * quality alerts the window, value and interval; absent numbers are -1 (or has_* false).
 */
struct alert_facts {
	char rule[32];
	char state[16];                    /* "firing" or "resolved" */
	char agent[EVENT_ID_MAX + 1];      /* "" for a team's own alert */
	char team[EVENT_TEAM_MAX + 1];     /* a team's own alert (its figures): the team; "" otherwise */
	char ticket[EVENT_ID_MAX + 1];     /* "" for quality alerts */
	char window[16];                   /* "" for reply-clock alerts */
	char severity[16];
	char category[EVENT_ID_MAX + 1];
	char message[ALERT_TEXT_SIZE];     /* given by quality rules; made here for clocks */
	int64_t since;                     /* episode start, epoch ms: part of the id */
	int64_t at;                        /* decision time, epoch ms */
	int64_t start, due, target;        /* clock start, deadline, target ms */
	int64_t late_ms, remaining_ms, response_ms;
	char policy[ALERT_NAME_SIZE];      /* clock alerts: the ticket's policy */
	char calendar[ALERT_NAME_SIZE];    /* and its calendar */
	char goal[16];                     /* "first_reply", "next_reply" or "resolution" */
	int64_t business_ms, wall_ms;      /* clock and wall time from start to the decision or stop */
	int64_t promise_ms, promised;      /* the promise (business ms) and its instant; -1: none */
	bool superseded;                   /* an at-risk alert ended by the breach */
	bool repeat;                       /* a reminder of a firing alert (repeat_interval) */
	bool has_value, has_threshold, has_interval;
	double value, threshold, lower, upper;
	int64_t samples;
};

/* Reads the facts JSON of an outbox entry; false when it is not one. */
bool alert_facts_parse(const char *json, size_t len, struct alert_facts *f);

/* Encodes facts as outbox JSON (the inverse of alert_facts_parse); caller frees. */
char *alert_facts_json(const struct alert_facts *f);

/*
 * The episode's id: the same rule, agent, ticket and start always give the same id (and, for
 * promise_broken only, the same goal: a ticket's reply and resolution promises are two episodes).
 */
void alert_id(const struct alert_facts *f, char out[ALERT_ID_SIZE]);

/*
 * The field in the agent's alerts hash: the rule, or "rule:ticket" for clock alerts, and
 * "promise_broken:ticket:goal" for a broken promise.
 */
void alert_field(const struct alert_facts *f, char *buf, size_t size);

/* The contract JSON published everywhere; caller frees. */
char *alert_render(const struct alert_facts *f);

/* A duration for people: "45s", "3m12s", "1h03m", "2d04h" (in alert_text.c). */
void alert_duration(int64_t ms, char *buf, size_t size);

#endif
