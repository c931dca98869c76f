/* clock.h: one ticket's reply clock, its effects and its checkpoint record (pure). */
#ifndef FEEDBACKD_CLOCK_H
#define FEEDBACKD_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "alert.h"
#include "event.h"
#include "stats.h"

#define CLOCK_NONE INT64_C(-1)     /* no time: no timer for the ticket */
#define CLOCK_NO_NAME UINT32_MAX   /* the category handle of an event without a category */
#define CLOCK_MAX_ADDS 4           /* rn, rsum, rmax, then met or miss */
#define CLOCK_MAX_ALERTS 3         /* breach firing + resolved, superseded at-risk resolved */

/* What opened a clock: a message, or a complaint of severity s (CLOCK_MESSAGE + 1 + s). */
enum clock_kind {
	CLOCK_MESSAGE,
	CLOCK_LOW,
	CLOCK_NORMAL,
	CLOCK_HIGH,
	CLOCK_CRITICAL
};
#define CLOCK_KIND_COUNT (1 + SEVERITY_COUNT)

/* Where a ticket stands; a zeroed state is CLOCK_IDLE (nothing known). */
enum clock_phase {
	CLOCK_IDLE,     /* no clock, no early reply: the caller stores nothing */
	CLOCK_EARLY,    /* no clock; a reply waits for the message it answers */
	CLOCK_OPEN,     /* running, before its breach fired */
	CLOCK_OVERDUE   /* the breach fired; only a reply ends it */
};

/* [sla], as docs/reply-clocks.md describes it. */
struct clock_config {
	int64_t target_ms[CLOCK_KIND_COUNT]; /* reply_target, then reply_target.<severity> */
	int64_t pair_horizon_ms;             /* how long an early reply waits */
	int at_risk_permille;                /* round(at_risk x 1000), 0..1000; 0 disables */
};

/*
 * One ticket's state, owned by the caller; 40 bytes. agent and category are the caller's
 * handles (CLOCK_NO_NAME: no category), held from the clock's start (open_delta +1) to its
 * end (open_delta -1). Later versions (calendars, pauses) add members and bump the record.
 */
struct clock_state {
	union {
		struct {
			int64_t start;    /* OPEN, OVERDUE: ts of the opening event */
			int64_t created;  /* when the clock was first made (now_ms) */
		};
		struct {
			int64_t early;    /* EARLY: ts of the earliest waiting reply */
			int64_t expires;  /* when it stops waiting (applied + pair_horizon) */
		};
	};
	int64_t target;               /* ms, fixed when the clock started */
	uint32_t agent;               /* the opening event's agent: owns the clock */
	uint32_t category;
	uint16_t at_risk_permille;    /* as configured when the clock (re)started */
	uint8_t phase;                /* enum clock_phase */
	uint8_t kind;                 /* enum clock_kind */
	bool risk_fired;
};

/* What happened to the state after a call. */
enum clock_fate {
	CLOCK_DELETE,     /* forget the ticket (phase CLOCK_IDLE) */
	CLOCK_KEEP,       /* a clock runs (open or overdue) */
	CLOCK_KEEP_EARLY  /* only an early reply, deleted by clock_fire at next_ms */
};

/* One counter change for an agent's windows that cover ts (C_RESP_MAX_MS is a maximum). */
struct clock_add {
	uint32_t agent;
	enum counter counter;
	int64_t ts;
	int64_t value;
};

/*
 * A call's effects, to apply in order. adds and the gauge deltas are for agent;
 * alerts are the outbox's facts, filled as the Lua scripts filled them (without "replied",
 * which struct alert_facts has no member for: it is start + response_ms). About 4 KB:
 * keep one and reuse it; each call resets the counts, not the arrays.
 */
struct clock_effects {
	enum clock_fate fate;
	bool changed;                 /* the state changed: checkpoint it */
	int64_t next_ms;              /* the ticket's timer (clock_next), or CLOCK_NONE */
	uint32_t agent;               /* whose counters and gauges change (when any do) */
	int open_delta, overdue_delta;
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
};

/* How alerts and records name a clock: its ticket, and the strings of handles (asked only then). */
struct clock_names {
	const char *ticket;
	const char *(*name)(void *arg, uint32_t handle);
	void *arg;
};

/* A string inside a decoded record (not NUL-terminated). */
struct clock_text {
	const char *ptr;
	size_t len;
};

/* The kind of a complaint (its severity) or a message. */
enum clock_kind clock_kind_of(enum event_type type, enum severity severity);

/* The name alerts carry as severity: "message", "low", ... */
const char *clock_kind_name(enum clock_kind kind);

/* A complaint or message: starts the clock, moves an unfired start back, or pairs. */
void clock_open(struct clock_state *s, const struct clock_config *cfg,
    const struct clock_opening *ev, int64_t now_ms, struct clock_effects *out);

/* A reply stamped ts: stops the clock, or waits as an early reply. */
void clock_reply(struct clock_state *s, const struct clock_config *cfg, int64_t ts,
    int64_t now_ms, const struct clock_names *names, struct clock_effects *out);

/*
 * The ticket's timer ran: fires the at-risk alert or the breach, or forgets an expired early
 * reply. True when a clock fired; false for a stale timer or an expiry.
 */
bool clock_fire(struct clock_state *s, int64_t now_ms, const struct clock_names *names,
    struct clock_effects *out);

/* A running clock's deadline. */
int64_t clock_due(const struct clock_state *s);

/* The ticket's timer: unfired at-risk point, else deadline; early expiry; or CLOCK_NONE. */
int64_t clock_next(const struct clock_state *s);

/* Appends the checkpoint record of a state (names give the handles' strings); false on error. */
bool clock_pack(msgpack_packer *pk, const struct clock_state *s, const struct clock_names *names);

/*
 * Reads a record clock_pack wrote (any version so far); on failure s is zeroed. The caller
 * then sets s->agent and s->category to its handles for the strings given (slices of o's;
 * a category of length 0 is CLOCK_NO_NAME). The timer to arm is clock_next(s).
 */
bool clock_unpack(const msgpack_object *o, struct clock_state *s, struct clock_text *agent,
    struct clock_text *category);

/*
 * clock_unpack of bytes that hold exactly one record; the slices point into buf. Anything
 * but a short flat array is refused before msgpack allocates what a header claims.
 */
bool clock_decode(const char *buf, size_t len, struct clock_state *s, struct clock_text *agent,
    struct clock_text *category);

#endif
