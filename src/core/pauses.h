/* pauses.h: a ticket's status timeline, and clock time that leaves its paused stretches out (pure). */
#ifndef FEEDBACKD_PAUSES_H
#define FEEDBACKD_PAUSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "event.h"

#define PAUSES_MAX 16                /* status changes a ticket keeps */
#define PAUSES_NEVER INT64_MAX       /* a deadline that a pause holds back for now */

/* One status change. */
struct pauses_change {
	int64_t ts;
	uint8_t status;              /* enum ticket_status */
};

/*
 * The changes, sorted by (ts, status), so that any arrival order of the same events gives the
 * same timeline. Before the first change a ticket is open. A zeroed struct is empty.
 */
struct pauses {
	uint8_t n;
	struct pauses_change at[PAUSES_MAX];
};

/*
 * Records status at ts; false when the same change is already there (nothing changed). When
 * the timeline is full the oldest change is dropped: call pauses_prune first.
 */
bool pauses_note(struct pauses *p, int64_t ts, enum ticket_status status);

/* Drops the changes no clock started at or after since needs: all before it but the last. */
void pauses_prune(struct pauses *p, int64_t since);

/* The status in force at t: the last change at or before t, else open. */
enum ticket_status pauses_status_at(const struct pauses *p, int64_t t);

/*
 * Clock time in [from, to): business time on cal, leaving out every stretch whose status is
 * in stop_mask (bit 1 << enum ticket_status).
 */
int64_t pauses_elapsed(const struct pauses *p, unsigned stop_mask, struct calendar *cal,
    int64_t from, int64_t to);

/*
 * The earliest instant at which span of clock time (as pauses_elapsed counts it) has passed
 * since from; PAUSES_NEVER when the timeline ends paused before that (the clock is held until
 * a later change releases it).
 */
int64_t pauses_deadline(const struct pauses *p, unsigned stop_mask, struct calendar *cal,
    int64_t from, int64_t span);

#endif
