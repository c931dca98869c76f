/* group.c: teams and the site: the partials tasks send them, and their agents active per window (pure). */
#include "group.h"

#include <stdlib.h>
#include <string.h>

#include "growarray.h"
#include "mpack.h"
#include "timestamp.h"

/*
 * A partial: [counts, times, [active per window], open change, overdue change, months]; times
 * are [ts, bucket, n, ...], or (before 2026-12-07) a histogram_pack of them, still read;
 * months (appraisal_pack) are what the agents added to each month; a partial of the release
 * before has none (its first 5 fields).
 */
#define GROUP_PARTIAL_FIELDS 6
#define GROUP_PARTIAL_V1_FIELDS 5
/* The members of one count in a partial's times. */
#define GROUP_TIME_MEMBERS 3

/* Whether an event at ts counts in window w at now: its bucket starts at or after now - span. */
static bool group_in_window(const struct rolling_plan *plan, size_t w, int64_t ts, int64_t now_ms)
{
	return ts_floor_div(ts, plan->gran_ms[w]) * plan->gran_ms[w] >= now_ms - plan->span_ms[w];
}

/* See group.h. */
unsigned group_active_mask(const struct rolling_plan *plan, int64_t ts, int64_t now_ms)
{
	unsigned mask = 0;

	for (size_t w = 0; ts > 0 && w < plan->tiers; w++)
		if (group_in_window(plan, w, ts, now_ms))
			mask |= 1u << w;
	return mask;
}

/* See group.h. */
int64_t group_active_change(const struct rolling_plan *plan, int64_t ts, int64_t now_ms)
{
	int64_t next = INT64_MAX;

	for (size_t w = 0; ts > 0 && w < plan->tiers; w++) {
		/* The first now at which the bucket of ts starts before now - span. */
		int64_t leave = ts_floor_div(ts, plan->gran_ms[w]) * plan->gran_ms[w] + plan->span_ms[w] + 1;

		if (leave > now_ms && leave < next)
			next = leave;
	}
	return next;
}

/* See group.h. */
bool group_partial_pack(msgpack_packer *pk, const struct agent *pending, const struct histogram_count *times,
    size_t ntimes, const struct agent_plan *plan, const int64_t active[WINDOWS_MAX])
{
	if (msgpack_pack_array(pk, GROUP_PARTIAL_FIELDS) || !rolling_pack(pk, &pending->counts, &plan->counts) ||
	    msgpack_pack_array(pk, GROUP_TIME_MEMBERS * ntimes))
		return false;
	for (size_t k = 0; k < ntimes; k++)
		if (msgpack_pack_int64(pk, times[k].ts) || msgpack_pack_uint32(pk, times[k].bucket) ||
		    msgpack_pack_uint32(pk, times[k].n))
			return false;
	if (msgpack_pack_array(pk, plan->counts.tiers))
		return false;
	for (size_t w = 0; w < plan->counts.tiers; w++)
		if (msgpack_pack_int64(pk, active[w]))
			return false;
	return msgpack_pack_int64(pk, pending->open) == 0 && msgpack_pack_int64(pk, pending->overdue) == 0 &&
	    appraisal_pack(pk, &pending->months);
}

/*
 * Appends a partial's times to the inbox, each checked; false, the inbox as it was, when one
 * is malformed or out of memory.
 */
static bool group_times(struct group_inbox *in, const msgpack_object *o)
{
	const msgpack_object *v = o->via.array.ptr;
	size_t n = o->via.array.size / GROUP_TIME_MEMBERS;

	if (o->via.array.size % GROUP_TIME_MEMBERS != 0 ||
	    !growarray((void **)&in->times, &in->times_cap, in->ntimes + n, sizeof(*in->times)))
		return false;
	for (size_t k = 0; k < n; k++, v += GROUP_TIME_MEMBERS) {
		int64_t ts, b, c;

		if (!mpack_int(&v[0], 0, ROLLING_TS_MAX, &ts) || !mpack_int(&v[1], 0, HISTOGRAM_BUCKETS - 1, &b) ||
		    !mpack_int(&v[2], 1, UINT32_MAX, &c))
			return false;
		in->times[in->ntimes + k] = (struct histogram_count){ts, (uint32_t)b, (uint32_t)c};
	}
	in->ntimes += n;
	return true;
}

/* Moves a partial's counts and times into the inbox: taken whole by an empty one, merged otherwise. */
static bool group_take(struct group_inbox *in, struct agent *part, const struct agent_plan *plan, int64_t now_ms)
{
	if (in->counts.buf == NULL) {
		in->counts = part->counts;
		part->counts = (struct rolling){NULL, 0, 0};
	} else if (!rolling_merge_from(&in->counts, &part->counts, &plan->counts, now_ms)) {
		return false;
	}
	if (in->responses.ranges == NULL) {
		in->responses = part->responses;
		part->responses.ranges = NULL;
		return true;
	}
	return histogram_merge_from(&in->responses, &part->responses, &plan->responses, now_ms);
}

/* See group.h. */
bool group_partial_apply(struct agent *g, struct group_inbox *in, uint32_t src, uint32_t tasks, const char *blob,
    size_t len, const struct agent_plan *plan, int64_t now_ms, month_t month_now)
{
	msgpack_unpacked u;
	struct agent part;
	int64_t active[WINDOWS_MAX], open, overdue;
	bool ok = false, listed;
	size_t had = in->ntimes;

	memset(&part, 0, sizeof(part));
	msgpack_unpacked_init(&u);
	if (src >= tasks || !mpack_one(&u, blob, len) || u.data.type != MSGPACK_OBJECT_ARRAY ||
	    (u.data.via.array.size != GROUP_PARTIAL_FIELDS && u.data.via.array.size != GROUP_PARTIAL_V1_FIELDS))
		goto out;
	const msgpack_object *m = u.data.via.array.ptr;
	/* An old partial's times: [range, rolling, ...]; a rolling is an array. */
	listed = m[1].type == MSGPACK_OBJECT_ARRAY &&
	    (m[1].via.array.size < 2 || m[1].via.array.ptr[1].type != MSGPACK_OBJECT_ARRAY);
	if (!rolling_unpack(&m[0], &part.counts, &plan->counts) ||
	    (!listed && !histogram_unpack(&m[1], &part.responses, &plan->responses)) ||
	    m[2].type != MSGPACK_OBJECT_ARRAY || m[2].via.array.size != plan->counts.tiers)
		goto out;
	for (size_t w = 0; w < plan->counts.tiers; w++)
		if (!mpack_int(&m[2].via.array.ptr[w], 0, INT32_MAX, &active[w]))
			goto out;
	if (!mpack_int(&m[3], INT32_MIN, INT32_MAX, &open) || !mpack_int(&m[4], INT32_MIN, INT32_MAX, &overdue) ||
	    (u.data.via.array.size == GROUP_PARTIAL_FIELDS && !appraisal_unpack(&m[5], &part.months)))
		goto out;
	if (listed && !group_times(in, &m[1]))
		goto out;
	/* A group made by an older task count keeps what its tasks said, in a table this size. */
	if (g->active_tasks != tasks) {
		int64_t *old = g->active;
		uint32_t n = g->active_tasks < tasks ? g->active_tasks : tasks;

		g->active = NULL;
		if (!agent_make_group(g, tasks)) {
			g->active = old;
			goto out;
		}
		if (old != NULL)
			memcpy(g->active, old, (size_t)n * WINDOWS_MAX * sizeof(*old));
		free(old);
	}
	if (!group_take(in, &part, plan, now_ms) || !appraisal_merge(&g->months, &part.months, month_now))
		goto out;
	memcpy(&g->active[src * WINDOWS_MAX], active, plan->counts.tiers * sizeof(active[0]));
	g->open += open;
	g->overdue += overdue;
	ok = true;
out:
	if (!ok)
		in->ntimes = had;
	agent_free(&part);
	msgpack_unpacked_destroy(&u);
	return ok;
}

/* See group.h. */
bool group_settle(struct agent *g, struct group_inbox *in, const struct agent_plan *plan, int64_t now_ms)
{
	bool ok = rolling_merge_from(&g->counts, &in->counts, &plan->counts, now_ms) &&
	    histogram_merge_from(&g->responses, &in->responses, &plan->responses, now_ms);

	if (in->responses.ranges != NULL || in->ntimes > 0)
		agent_times_changed(g);
	if (ok) {
		in->ntimes = histogram_counts_sort(in->times, in->ntimes, &plan->responses);
		ok = histogram_add_counts(&g->responses, &plan->responses, now_ms, in->times, in->ntimes);
	}
	rolling_free(&in->counts);
	histogram_free(&in->responses);
	in->ntimes = 0;
	/* A burst's list is given back; a steady flow's is reused. */
	if (in->times_cap > 4096)
		group_inbox_free(in);
	return ok;
}

/* See group.h. */
void group_inbox_free(struct group_inbox *in)
{
	rolling_free(&in->counts);
	histogram_free(&in->responses);
	free(in->times);
	in->times = NULL;
	in->ntimes = in->times_cap = 0;
}

/* See group.h. */
void group_totals(const struct agent *g, size_t tiers, struct totals totals[WINDOWS_MAX])
{
	for (size_t w = 0; w < tiers; w++) {
		totals[w].group = true;
		totals[w].agents = 0;
		for (uint32_t s = 0; s < g->active_tasks; s++)
			totals[w].agents += g->active[s * WINDOWS_MAX + w];
	}
}
