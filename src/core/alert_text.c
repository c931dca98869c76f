/* alert_text.c: the people-readable sentences of clock alerts (pure). */
#include "alert_text.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "timestamp.h"

/* What a clock alert's sentence is made of, worked out once from its facts. */
struct alert_words {
	bool promise;                     /* promise_broken: the limit is the promise */
	bool resolution;                  /* about solving the ticket (the resolution clock or its promise) */
	bool solved;                      /* resolved by `solved`, not by a reply */
	const char *noun;                 /* "reply target", "resolution target" or "promise" */
	int64_t limit_ms;                 /* the target, or the promise */
	char limit[24];                   /* and as people say it */
	char what[EVENT_ID_MAX + 48];     /* "complaint, high, billing" or "message, billing" */
	char goal[24];                    /* "first reply", "next reply" or "resolution"; "" unknown */
	bool clock_time;                  /* the clock counted other time than the wall clock's */
	char business[112];               /* what says so (", in business hours on calendar X"), or "" */
	int64_t elapsed;                  /* the time counted from the start to the stop */
};

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

/*
 * A target or promise as people say it: a reply one in whole hours when it is whole hours
 * under 10 days ("24h", "48h", not "1d"), a resolution one in its largest exact unit ("3d").
 */
static void alert_text_limit(int64_t ms, bool resolution, char *buf, size_t size)
{
	if (!resolution && ms % 3600000 == 0 && ms < 10 * 86400000LL)
		snprintf(buf, size, "%" PRId64 "h", ms / 3600000);
	else
		duration_format(ms, buf, size);
}

/* Works out the words of f's sentence. */
static void alert_text_words(const struct alert_facts *f, struct alert_words *w)
{
	size_t i;

	w->promise = strcmp(f->rule, "promise_broken") == 0;
	w->resolution = w->promise ? strcmp(f->goal, "resolution") == 0 : strncmp(f->rule, "resolution_", 11) == 0;
	/* A reply clock resolved without a response time was ended by `solved`. */
	w->solved = w->resolution || f->response_ms < 0;
	w->noun = w->promise ? "promise" : w->resolution ? "resolution target" : "reply target";
	w->limit_ms = w->promise && f->promise_ms >= 0 ? f->promise_ms : f->target;
	alert_text_limit(w->limit_ms, w->resolution, w->limit, sizeof(w->limit));
	/* Clocks opened by a message carry "message" where complaints carry their severity. */
	if (strcmp(f->severity, "message") == 0)
		snprintf(w->what, sizeof(w->what), "message%s%s", f->category[0] ? ", " : "", f->category);
	else
		snprintf(w->what, sizeof(w->what), "complaint, %s%s%s", f->severity, f->category[0] ? ", " : "",
		    f->category);
	for (i = 0; f->goal[i] != '\0' && i + 1 < sizeof(w->goal); i++)
		w->goal[i] = f->goal[i] == '_' ? ' ' : f->goal[i];
	w->goal[i] = '\0';
	/* Under `always` with no pause the two agree, and the sentences say wall time as they always did. */
	w->clock_time = f->business_ms >= 0 && f->wall_ms >= 0 && f->business_ms != f->wall_ms;
	w->business[0] = '\0';
	if (w->clock_time && (f->calendar[0] == '\0' || strcmp(f->calendar, CALENDAR_ALWAYS) == 0))
		snprintf(w->business, sizeof(w->business), ", not counting pauses");
	else if (w->clock_time)
		snprintf(w->business, sizeof(w->business), ", in business hours on calendar %s", f->calendar);
	w->elapsed = w->clock_time ? f->business_ms : f->response_ms >= 0 ? f->response_ms : f->wall_ms;
}

/* A breach or broken promise, firing: how long past its limit the ticket still waits. */
static void alert_text_late(const struct alert_facts *f, const struct alert_words *w, char *buf, size_t size)
{
	char late[24], tail[192];
	int64_t ms = w->clock_time ? f->business_ms - w->limit_ms : f->late_ms;
	const char *when = w->promise ? "the promised time" : "the deadline";

	alert_duration(ms, late, sizeof(late));
	/* Decided at the limit itself: "0s after the deadline" said nothing useful. */
	if (ms < 1000)
		snprintf(tail, sizeof(tail), w->resolution ? "still unsolved at %s" : "no reply by %s", when);
	else
		snprintf(tail, sizeof(tail), "%s %s after %s%s", w->resolution ? "unsolved" : "no reply", late,
		    w->promise ? "it" : when, w->business);
	if (w->promise)
		snprintf(buf, size, "Agent %s broke the %s promise to the customer on ticket %s%s%s%s: %s", f->agent,
		    w->limit, f->ticket, w->goal[0] ? " (" : "", w->goal, w->goal[0] ? ")" : "", tail);
	else if (w->resolution)
		snprintf(buf, size, "Ticket %s (%s) for agent %s was not solved within its %s resolution target: %s",
		    f->ticket, w->what, f->agent, w->limit, tail);
	else
		snprintf(buf, size, "Agent %s missed the %s reply target on ticket %s (%s): %s", f->agent, w->limit,
		    f->ticket, w->what, tail);
}

/* An at-risk alert, firing: the time left before the deadline. */
static void alert_text_left(const struct alert_facts *f, const struct alert_words *w, char *buf, size_t size)
{
	char left[24];

	alert_duration(w->clock_time ? w->limit_ms - f->business_ms : f->remaining_ms, left, sizeof(left));
	snprintf(buf, size, "Ticket %s (%s) for agent %s has %s left of its %s %s%s", f->ticket, w->what, f->agent,
	    left, w->limit, w->noun, w->business);
}

/*
 * A resolved alert whose clock stopped: how long it took against its limit. declared: the
 * breach or broken promise was published, so a stop within the limit came in too late.
 */
static void alert_text_stopped(const struct alert_facts *f, const struct alert_words *w, bool declared,
    char *buf, size_t size)
{
	char took[24], past[24], head[EVENT_ID_MAX * 2 + 96];

	alert_duration(w->elapsed, took, sizeof(took));
	if (w->solved)
		snprintf(head, sizeof(head), "Ticket %s for agent %s was solved%s after %s", f->ticket, f->agent,
		    w->resolution ? "" : " without a reply", took);
	else
		snprintf(head, sizeof(head), "Agent %s replied to ticket %s after %s", f->agent, f->ticket, took);
	if (w->elapsed > w->limit_ms) {
		alert_duration(w->elapsed - w->limit_ms, past, sizeof(past));
		snprintf(buf, size, "%s, %s past the %s %s%s", head, past, w->limit, w->noun, w->business);
	} else if (declared) {
		/* Stamped in time, but it reached feedbackd after the breach or promise was declared. */
		snprintf(buf, size, "%s, within the %s %s%s, but the %s arrived after the %s", head, w->limit, w->noun,
		    w->business, w->solved ? "solved status" : "reply",
		    w->promise ? "promise was declared broken" : "breach was declared");
	} else {
		snprintf(buf, size, "%s, within the %s %s%s", head, w->limit, w->noun, w->business);
	}
}

/* See alert_text.h. */
void alert_clock_message(const struct alert_facts *f, char *buf, size_t size)
{
	struct alert_words w;
	bool firing = strcmp(f->state, "firing") == 0;
	bool breach = strcmp(f->rule, "reply_sla_breach") == 0 || strcmp(f->rule, "resolution_sla_breach") == 0 ||
	    strcmp(f->rule, "promise_broken") == 0;

	alert_text_words(f, &w);
	if (breach && firing)
		alert_text_late(f, &w, buf, size);
	else if (firing)
		alert_text_left(f, &w, buf, size);
	else if (!breach && f->superseded)
		snprintf(buf, size, "Ticket %s for agent %s passed its %s %s (see %s_sla_breach)", f->ticket, f->agent,
		    w.limit, w.noun, w.resolution ? "resolution" : "reply");
	else
		alert_text_stopped(f, &w, breach, buf, size);
}
