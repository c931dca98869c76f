/* rolling_plan.c: how rolling counters lay out their tiers over the windows, and its fingerprint (pure). */
#include "rolling_plan.h"

#include <string.h>

/* Tier 0's granularity divides a day, so its buckets line up with hours and days. */
#define ROLLING_PLAN_PERIOD_MS INT64_C(86400000)
/* The finest granularity, as a fraction of the shortest span. */
#define ROLLING_PLAN_PARTS 100

/* See rolling_plan.h. */
bool
rolling_plan_init(struct rolling_plan *plan, const struct windows *ws, size_t slots,
    const enum rolling_kind *kinds)
{
	struct rolling_plan	p;
	uint32_t		id = UINT32_C(2166136261);

	memset(&p, 0, sizeof p);
	if (ws == NULL || ws->count == 0 || ws->count > WINDOWS_MAX || slots == 0 ||
	    slots > ROLLING_SLOTS_MAX)
		return false;
	p.tiers = ws->count;
	p.slots = slots;
	for (size_t i = 0; i < p.tiers; i++) {
		int64_t	span = ws->w[i].span_ms, most = span / ROLLING_PLAN_PARTS;

		if (span < ROLLING_PLAN_PARTS || span > ROLLING_TS_MAX ||
		    (i > 0 && span <= p.span_ms[i - 1]))
			return false;
		p.span_ms[i] = span;
		if (i > 0) {
			/* Nested tiers: a coarse bucket is whole fine buckets, so merging is exact. */
			p.gran_ms[i] = most / p.gran_ms[i - 1] * p.gran_ms[i - 1];
			continue;
		}
		for (int64_t d = 1; d * d <= ROLLING_PLAN_PERIOD_MS; d++) {
			int64_t	e = ROLLING_PLAN_PERIOD_MS / d;

			if (ROLLING_PLAN_PERIOD_MS % d != 0)
				continue;
			if (d <= most && d > p.gran_ms[0])
				p.gran_ms[0] = d;
			if (e <= most && e > p.gran_ms[0])
				p.gran_ms[0] = e;
		}
	}
	for (size_t s = 0; s < slots; s++) {
		if (kinds[s] != ROLLING_SUM && kinds[s] != ROLLING_MAX)
			return false;
		if (kinds[s] == ROLLING_MAX)
			p.max_slots |= UINT64_C(1) << s;
	}
	/* FNV-1a over every figure (the struct is zeroed, so its padding too), so a checkpoint
	 * of another layout is refused. */
	for (size_t i = 0; i < sizeof p; i++) {
		id ^= ((const uint8_t *)&p)[i];
		id *= UINT32_C(16777619);
	}
	p.id = id;
	*plan = p;
	return true;
}
