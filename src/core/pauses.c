/* pauses.c: a ticket's status timeline, and clock time that leaves its paused stretches out (pure). */
#include "pauses.h"

#include <string.h>

/* Whether change a sorts before change b: by time, then by status, so arrival order is moot. */
static bool
pauses_before(const struct pauses_change *a, int64_t ts, uint8_t status)
{
	return a->ts < ts || (a->ts == ts && a->status < status);
}

/* See pauses.h. */
bool
pauses_note(struct pauses *p, int64_t ts, enum ticket_status status)
{
	uint8_t st = (uint8_t)status;
	size_t i = p->n;

	while (i > 0 && !pauses_before(&p->at[i - 1], ts, st))
		i--;
	if (i < p->n && p->at[i].ts == ts && p->at[i].status == st)
		return false;
	if (p->n == PAUSES_MAX) {
		/* The oldest change goes: the newest decide every clock still running. */
		if (i == 0)
			return false;
		memmove(&p->at[0], &p->at[1], (i - 1) * sizeof(p->at[0]));
		i--;
	} else {
		memmove(&p->at[i + 1], &p->at[i], (p->n - i) * sizeof(p->at[0]));
		p->n++;
	}
	p->at[i].ts = ts;
	p->at[i].status = st;
	return true;
}

/* See pauses.h. */
void
pauses_prune(struct pauses *p, int64_t since)
{
	size_t keep = 0;

	/* The last change at or before since still says what was in force from then on. */
	while (keep + 1 < p->n && p->at[keep + 1].ts <= since)
		keep++;
	if (keep == 0)
		return;
	memmove(&p->at[0], &p->at[keep], (p->n - keep) * sizeof(p->at[0]));
	p->n = (uint8_t)(p->n - keep);
}

/* The index of the first change after t (p->n when none is). */
static size_t
pauses_after(const struct pauses *p, int64_t t)
{
	size_t i = 0;

	while (i < p->n && p->at[i].ts <= t)
		i++;
	return i;
}

/* See pauses.h. */
enum ticket_status
pauses_status_at(const struct pauses *p, int64_t t)
{
	size_t i = pauses_after(p, t);

	return i == 0 ? STATUS_OPEN : (enum ticket_status)p->at[i - 1].status;
}

/* Whether a status holds the clock. */
static bool
pauses_stops(unsigned stop_mask, enum ticket_status status)
{
	return (stop_mask >> status & 1u) != 0;
}

/* See pauses.h. */
int64_t
pauses_elapsed(const struct pauses *p, unsigned stop_mask, struct calendar *cal, int64_t from,
    int64_t to)
{
	enum ticket_status status = pauses_status_at(p, from);
	int64_t total = 0, a = from, b;

	for (size_t i = pauses_after(p, from); a < to; i++) {
		b = i < p->n && p->at[i].ts < to ? p->at[i].ts : to;
		if (!pauses_stops(stop_mask, status))
			total += calendar_between(cal, a, b);
		if (i < p->n)
			status = (enum ticket_status)p->at[i].status;
		a = b;
	}
	return total;
}

/* See pauses.h. */
int64_t
pauses_deadline(const struct pauses *p, unsigned stop_mask, struct calendar *cal, int64_t from,
    int64_t span)
{
	enum ticket_status status = pauses_status_at(p, from);
	int64_t left = span, a = from, t;

	for (size_t i = pauses_after(p, from);; i++) {
		bool last = i == p->n;

		if (!pauses_stops(stop_mask, status)) {
			t = calendar_add(cal, a, left);
			if (last || t <= p->at[i].ts)
				return t;
			left -= calendar_between(cal, a, p->at[i].ts);
		} else if (last) {
			return PAUSES_NEVER;
		}
		a = p->at[i].ts;
		status = (enum ticket_status)p->at[i].status;
	}
}
