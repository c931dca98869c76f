/* appraisal.h: the monthly appraisal of an agent, a team or the site: a month's counts and response times, and its figures (pure). */
#ifndef FEEDBACKD_APPRAISAL_H
#define FEEDBACKD_APPRAISAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "month.h"
#include "rolling.h"

/*
 * The months an owner counts in: the current one, the one before it (last month's late
 * ratings and deadlines) and the one after it (an event stamped a few minutes ahead,
 * [ingest] max_future, at the end of a month).
 */
#define APPRAISAL_MONTHS 3
/* A month's hash is kept this many months from the month's start: the current one and the 12 before. */
#define APPRAISAL_KEEP_MONTHS 13

/* What a month counts, in the order appraisal_pack writes the counts. */
enum appraisal_counter {
	AP_SERVED,     /* distinct tickets the agent replied to in the month (the task's served claims) */
	AP_RATINGS,    /* ratings, both scales */
	AP_POSITIVE,   /* scale-5 4-5 and scale-10 9-10 */
	AP_NEGATIVE,   /* scale-5 1-2 and scale-10 0-6 */
	AP_COMPLAINTS,
	AP_MET,        /* reply clocks, first or next, answered within their target */
	AP_MISSED,     /* ... not answered within it */
	AP_RESP_N,     /* response times in the month's histogram */
	AP_COUNTER_COUNT
};

/* How many response times fell in one histogram bucket (histogram.h's buckets). */
struct appraisal_time {
	uint32_t bucket;
	uint32_t n;
};

/* One month's counts; month 0 is a free slot. */
struct appraisal_month {
	month_t month;
	int64_t c[AP_COUNTER_COUNT];
	struct appraisal_time *times; /* sorted by bucket, each bucket once */
	size_t ntimes, cap;
};

/* One owner's months; a zeroed struct has counted nothing. */
struct appraisal {
	struct appraisal_month m[APPRAISAL_MONTHS];
};

/* Figures of a month's hash: the fields of docs/redis-keys.md "Monthly appraisal", in its order. */
#define APPRAISAL_FIGURES 10

/* The longest figure name, in bytes. */
#define APPRAISAL_NAME_MAX 24

/* Figure i's field name ("positive_rate", at most APPRAISAL_NAME_MAX bytes); i < APPRAISAL_FIGURES. */
const char *appraisal_figure_name(int i);
/* The decimals of figure i's text (positive_rate: 1, "92.5"). */
int appraisal_figure_decimals(int i);

/* One month's figures, scaled as stats_figures' are (value[i] x 10^decimals); have[i] false: no value, field absent. */
struct appraisal_view {
	month_t month;
	int64_t expire_ms;  /* when its hash goes: the start of month + APPRAISAL_KEEP_MONTHS */
	int64_t value[APPRAISAL_FIGURES];
	bool have[APPRAISAL_FIGURES];
};

/*
 * Counts an event's increments (agent_incs_of's, or a reply clock's: enum counter slots) and
 * a served ticket (served: 0 or 1) in month m, when the current month is now: only the months
 * appraisal_counted says. False when nothing changed (m out of range, nothing
 * of the increments counts here) or out of memory.
 */
bool appraisal_count(struct appraisal *ap, month_t now, month_t m, const struct rolling_inc *incs, size_t n,
    int64_t served);

/* Whether month m is counted when the current month is now. */
bool appraisal_counted(month_t m, month_t now);

/* The first month after m in which m is no longer counted. */
month_t appraisal_closed(month_t m);

/* Adds src's months into dst, those still counted when the current month is now; false when out of memory. */
bool appraisal_merge(struct appraisal *dst, const struct appraisal *src, month_t now);

/* Forgets the months no longer counted when the current month is now. */
void appraisal_advance(struct appraisal *ap, month_t now);

/* Whether nothing is counted. */
bool appraisal_empty(const struct appraisal *ap);

/*
 * The figures of each month counted when the current month is now, into out (oldest first);
 * returns how many. expire_ms is left to the caller (it needs the time zone).
 */
size_t appraisal_views(const struct appraisal *ap, month_t now, struct appraisal_view out[APPRAISAL_MONTHS]);

/* Appends ap as one MessagePack array of [month, [counts], [bucket, n, ...]]; false on a packer error. */
bool appraisal_pack(msgpack_packer *pk, const struct appraisal *ap);

/* Replaces *ap by the months in o; false, *ap unchanged, when malformed or out of memory. */
bool appraisal_unpack(const msgpack_object *o, struct appraisal *ap);

/* Empties ap, keeping its buffers for reuse. */
void appraisal_clear(struct appraisal *ap);

/* Frees what it holds; it is then empty. */
void appraisal_free(struct appraisal *ap);

#endif
