/* clock.h: one ticket's clocks (first or next reply, resolution), their pauses and promises, and their effects (pure). */
#ifndef FEEDBACKD_CLOCK_H
#define FEEDBACKD_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "event.h"
#include "pauses.h"
#include "stats.h"
#include "terms.h"

#define CLOCK_NONE INT64_C(-1)     /* no time: no timer for the ticket */
#define CLOCK_NO_NAME UINT32_MAX   /* the category handle of an event without a category */
#define CLOCK_MAX_ADDS 24          /* a message may settle two reply clocks (9 adds each) and a resolution (5) */
#define CLOCK_MAX_ALERTS 8         /* `solved` may resolve three reply alerts and raise five */

/* What opened a clock: a message, or a complaint of severity s (CLOCK_MESSAGE + 1 + s). */
enum clock_kind {
	CLOCK_MESSAGE,
	CLOCK_LOW,
	CLOCK_NORMAL,
	CLOCK_HIGH,
	CLOCK_CRITICAL
};
#define CLOCK_KIND_COUNT TERMS_KINDS

/* Where one of a ticket's two clocks stands; zeroed is RUN_IDLE. */
enum clock_run_state {
	RUN_IDLE,      /* not running */
	RUN_OPEN,      /* running, before its deadline fired */
	RUN_OVERDUE,   /* its breach fired; it runs until a reply (or `solved`) stops it */
	RUN_SETTLING   /* stopped at stop; its figures are counted at its settle time ([sla] status_grace) */
};

/* The episodes a clock may fire, each an alert with its own since. */
enum clock_episode { CLOCK_RISK, CLOCK_BREACH, CLOCK_PROMISE };
#define CLOCK_EPISODES 3

/*
 * One clock: the reply clock (first or next reply) or the resolution clock. Its target, promise
 * and at-risk fraction are its goal's in the ticket's terms, for the kind that started it.
 */
struct clock_run {
	int64_t start;                /* ts of the event that started it */
	union {
		int64_t created;      /* OPEN, OVERDUE: when it was made (now_ms); one made after its deadline pages nobody */
		int64_t stop;         /* SETTLING: ts of the reply or `solved` that stopped it */
	};
	uint8_t state;                /* enum clock_run_state */
	uint8_t goal;                 /* enum policy_target */
	uint8_t kind;                 /* enum clock_kind of the event that started it */
	bool risk_fired;
	bool breach_counted;          /* its miss was counted when the breach fired */
	bool promise_fired;           /* its broken promise was counted when that fired */
};

/* [sla] beside the policies, as docs/reply-clocks.md describes it. */
struct clock_config {
	int64_t pair_horizon_ms;      /* how long an early reply waits */
	int64_t memory_ms;            /* how long a ticket with no clock running is remembered */
	int64_t grace_ms;             /* how long a stopped clock waits for late status events */
};

/*
 * What few tickets need, kept apart so that the common one (a reply clock, no status event, no
 * resolution target) stays small: 1,000,000 open clocks are 64 MB of states.
 */
struct clock_extra {
	struct pauses *pauses;        /* its status changes; NULL until its first status event */
	struct clock_run resolution;
	int64_t settle_at;            /* the resolution clock's, while it settles */
	int64_t early;                /* ts of the earliest reply waiting for its message */
	int64_t expires;              /* when that reply stops waiting (now_ms); 0: none waits */
	/*
	 * The instants the fired episodes started (their alerts' since, part of alert_id), by clock
	 * (reply, resolution): once a timeline exists a later status event may move the points,
	 * and the resolved message must still name the episode the firing one opened. Without a
	 * timeline they are the points themselves, and are not kept.
	 */
	int64_t since[2][CLOCK_EPISODES];
};

/*
 * One ticket, owned by the caller. agent and category are the caller's handles (CLOCK_NO_NAME:
 * no category), held while clock_holds_names. Zeroed is a ticket feedbackd knows nothing of;
 * clock_clear frees what a state owns.
 */
struct clock_state {
	const struct terms *terms;    /* the policy it started under; NULL until its first opening */
	struct clock_extra *extra;    /* NULL unless it has a timeline, a resolution clock or an early reply */
	struct clock_run reply;
	int64_t when;                 /* the reply clock settling: its settle time; nothing running: when it is forgotten */
	uint32_t agent;               /* the opening event's agent: owns the clocks */
	uint32_t category;
	bool replied;                 /* a reply clock was answered: later ones are next-reply clocks */
	bool solved;                  /* `solved` in force: no resolution clock until `reopened` */
};

/* What happened to the state after a call. */
enum clock_fate {
	CLOCK_DELETE,     /* forget the ticket (clock_clear done) */
	CLOCK_KEEP        /* keep it, with its timer at next_ms */
};

/* One counter change for an agent's windows that cover ts (maxima are maxima). */
struct clock_add {
	uint32_t agent;
	enum counter counter;
	int64_t ts;
	int64_t value;
};

/*
 * A call's effects, to apply in order. adds and the gauge deltas are for agent; alerts are
 * the outbox's facts. About 11 KB: keep one and reuse it; each call resets the counts.
 */
struct clock_effects {
	enum clock_fate fate;
	bool changed;                 /* the state changed: checkpoint it */
	int64_t next_ms;              /* the ticket's timer (clock_next), or CLOCK_NONE */
	uint32_t agent;               /* whose counters and gauges change (when any do) */
	int open_delta, overdue_delta; /* running and overdue reply clocks */
	size_t n_adds;
	struct clock_add adds[CLOCK_MAX_ADDS];
	size_t n_alerts;
	struct alert_facts alerts[CLOCK_MAX_ALERTS];
};

/* The opening event of clock_open. */
struct clock_opening {
	enum clock_kind kind;
	uint32_t agent;
	uint32_t category;            /* CLOCK_NO_NAME when the event had none */
	int64_t ts;
	bool late;                    /* older than the longest window: opens nothing */
	const struct terms *terms;    /* the policy the event selects, for a ticket that has none */
};

/* How alerts name a clock: its ticket, and the strings of handles (asked only then). */
struct clock_names {
	const char *ticket;
	const char *(*name)(void *arg, uint32_t handle);
	void *arg;
};

/* A string inside a decoded record or an event (not NUL-terminated). */
struct clock_text {
	const char *ptr;
	size_t len;
};

/* The kind of a complaint (its severity) or a message. */
enum clock_kind clock_kind_of(enum event_type type, enum severity severity);

/* The name alerts carry as severity: "message", "low", ... */
const char *clock_kind_name(enum clock_kind kind);

/* A complaint or message: starts the reply (and resolution) clock, moves an unfired start back, or pairs. */
void clock_open(struct clock_state *s, const struct clock_config *cfg,
    const struct clock_opening *ev, int64_t now_ms, struct clock_effects *out);

/* A reply stamped ts: stops the reply clock, or waits as an early reply. */
void clock_reply(struct clock_state *s, const struct clock_config *cfg, int64_t ts,
    int64_t now_ms, const struct clock_names *names, struct clock_effects *out);

/*
 * A status event stamped ts: recorded in the timeline (pauses move deadlines); `solved` stops
 * the clocks, `reopened` starts them again. False when out of memory (nothing changed).
 */
bool clock_status(struct clock_state *s, const struct clock_config *cfg, enum ticket_status status,
    int64_t ts, int64_t now_ms, const struct clock_names *names, struct clock_effects *out);

/*
 * The ticket's timer ran: one step of what is due (an at-risk point, a deadline, a promise, a
 * settling clock, an expired early reply, or forgetting the ticket). True when something was
 * done; false for a stale timer.
 */
bool clock_fire(struct clock_state *s, const struct clock_config *cfg, int64_t now_ms,
    const struct clock_names *names, struct clock_effects *out);

/* The ticket's timer: the earliest thing due, or CLOCK_NONE. */
int64_t clock_next(const struct clock_state *s);

/* Whether a clock runs (open, overdue or settling): the ticket's names are in use then. */
bool clock_holds_names(const struct clock_state *s);

/* Whether the reply clock runs, and whether it is overdue: the agent's gauges. */
bool clock_reply_running(const struct clock_state *s);
bool clock_reply_overdue(const struct clock_state *s);

/* The ts of the reply waiting for its message (an early reply); CLOCK_NONE when none waits. */
int64_t clock_early_reply(const struct clock_state *s);

/* A running clock's deadline (the reply clock's, else the resolution clock's); CLOCK_NONE if none. */
int64_t clock_due(const struct clock_state *s);

/*
 * The start of a fired episode e of r (s's reply clock or its resolution clock): as it fired,
 * or, when no timeline ever moved the points, the point itself. Its alerts' since.
 */
int64_t clock_since(const struct clock_state *s, const struct clock_run *r, enum clock_episode e);

/* Whether the state knows nothing: no terms, no timeline, no early reply (forget the ticket). */
bool clock_empty(const struct clock_state *s);

/* Frees what the state owns and zeroes it. */
void clock_clear(struct clock_state *s);

#endif
