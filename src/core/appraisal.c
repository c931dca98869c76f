/* appraisal.c: the monthly appraisal of an agent, a team or the site: a month's counts and response times, and its figures (pure). */
#include "appraisal.h"

#include <stdlib.h>
#include <string.h>

#include "growarray.h"
#include "histogram.h"
#include "mpack.h"
#include "stats.h"

/* A packed month: [month, [counts], [bucket, n, ...]]. */
#define APPRAISAL_MONTH_FIELDS 3

/* The appraisal counter an enum counter slot adds to; AP_COUNTER_COUNT: none. */
static enum appraisal_counter appraisal_counter_of(unsigned slot)
{
	switch (slot) {
	case C_RATINGS:
		return AP_RATINGS;
	case C_SATISFIED:
	case C_PROMOTERS:
		return AP_POSITIVE;
	case C_DISSATISFIED:
	case C_DETRACTORS:
		return AP_NEGATIVE;
	case C_COMPLAINTS:
		return AP_COMPLAINTS;
	case C_SLA_MET:
		return AP_MET;
	case C_SLA_MISSED:
		return AP_MISSED;
	default:
		return AP_COUNTER_COUNT;
	}
}

_Static_assert(APPRAISAL_MONTHS == 3, "the months counted are now - 1, now and now + 1");

/* See appraisal.h. */
bool appraisal_counted(month_t m, month_t now)
{
	return m != 0 && m >= now - 1 && m <= now + 1;
}

/* See appraisal.h. */
month_t appraisal_closed(month_t m)
{
	return m + 2;
}

/* Month m's slot, taken from a month no longer counted if need be; NULL when m is not counted. */
static struct appraisal_month *appraisal_slot(struct appraisal *ap, month_t now, month_t m)
{
	struct appraisal_month *free_slot = NULL;

	if (!appraisal_counted(m, now))
		return NULL;
	for (size_t i = 0; i < APPRAISAL_MONTHS; i++) {
		if (ap->m[i].month == m)
			return &ap->m[i];
		if (!appraisal_counted(ap->m[i].month, now))
			free_slot = &ap->m[i];
	}
	/* Only APPRAISAL_MONTHS months are counted at a time, so one slot holds none of them. */
	free_slot->month = m;
	memset(free_slot->c, 0, sizeof(free_slot->c));
	free_slot->ntimes = 0;
	return free_slot;
}

/* Adds n times to bucket b of a month (kept sorted); false when out of memory. */
static bool appraisal_add_time(struct appraisal_month *am, uint32_t b, uint32_t n)
{
	size_t lo = 0, hi = am->ntimes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (am->times[mid].bucket < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < am->ntimes && am->times[lo].bucket == b) {
		am->times[lo].n += n;
		return true;
	}
	if (!growarray((void **)&am->times, &am->cap, am->ntimes + 1, sizeof(*am->times)))
		return false;
	memmove(am->times + lo + 1, am->times + lo, (am->ntimes - lo) * sizeof(*am->times));
	am->times[lo] = (struct appraisal_time){b, n};
	am->ntimes++;
	return true;
}

/* See appraisal.h. */
bool appraisal_count(struct appraisal *ap, month_t now, month_t m, const struct rolling_inc *incs, size_t n,
    int64_t served)
{
	struct appraisal_month *am = NULL;
	bool changed = false;

	for (size_t i = 0; i < n; i++) {
		enum appraisal_counter c = appraisal_counter_of(incs[i].slot);

		if (c == AP_COUNTER_COUNT && incs[i].slot != C_RESP_MAX_MS)
			continue;
		if (am == NULL && (am = appraisal_slot(ap, now, m)) == NULL)
			return false;
		if (c != AP_COUNTER_COUNT) {
			am->c[c] += incs[i].value;
		} else {
			/* A clock closed by a reply adds its time as C_RESP_MAX_MS: the one add of it per response. */
			if (!appraisal_add_time(am, (uint32_t)histogram_bucket(incs[i].value), 1))
				return changed;
			am->c[AP_RESP_N]++;
		}
		changed = true;
	}
	if (served > 0) {
		if (am == NULL && (am = appraisal_slot(ap, now, m)) == NULL)
			return false;
		am->c[AP_SERVED] += served;
		changed = true;
	}
	return changed;
}

/* See appraisal.h. */
bool appraisal_merge(struct appraisal *dst, const struct appraisal *src, month_t now)
{
	for (size_t i = 0; i < APPRAISAL_MONTHS; i++) {
		const struct appraisal_month *from = &src->m[i];
		struct appraisal_month *to = appraisal_slot(dst, now, from->month);

		if (to == NULL)
			continue;
		for (int c = 0; c < AP_COUNTER_COUNT; c++)
			to->c[c] += from->c[c];
		for (size_t k = 0; k < from->ntimes; k++)
			if (!appraisal_add_time(to, from->times[k].bucket, from->times[k].n))
				return false;
	}
	return true;
}

/* See appraisal.h. */
void appraisal_advance(struct appraisal *ap, month_t now)
{
	for (size_t i = 0; i < APPRAISAL_MONTHS; i++)
		if (ap->m[i].month != 0 && !appraisal_counted(ap->m[i].month, now)) {
			free(ap->m[i].times);
			memset(&ap->m[i], 0, sizeof(ap->m[i]));
		}
}

/* See appraisal.h. */
bool appraisal_empty(const struct appraisal *ap)
{
	for (size_t i = 0; i < APPRAISAL_MONTHS; i++)
		if (ap->m[i].month != 0)
			return false;
	return true;
}

/* The value of the bucket holding the nearest-rank quantile of a month's times (at least one). */
static int64_t appraisal_quantile_ms(const struct appraisal_month *am, int permille)
{
	int64_t rank = histogram_rank(am->c[AP_RESP_N], permille), seen = 0;

	for (size_t k = 0; k < am->ntimes; k++) {
		seen += am->times[k].n;
		if (seen >= rank)
			return histogram_value_ms(am->times[k].bucket);
	}
	return histogram_value_ms(am->times[am->ntimes - 1].bucket);
}

/* A month's figure: a count, a share of a count in tenths of a percent, or a percentile in seconds. */
struct appraisal_figure {
	const char *name;
	int decimals;
	enum appraisal_counter count;  /* the count shown, or the share's numerator */
	enum appraisal_counter of;     /* the share's denominator; AP_COUNTER_COUNT: the count itself */
	int permille;                  /* > 0: the response-time percentile instead */
};

/* The month hash's fields, in docs/redis-keys.md's order. */
static const struct appraisal_figure appraisal_figures[APPRAISAL_FIGURES] = {
	{"served", 0, AP_SERVED, AP_COUNTER_COUNT, 0},
	{"ratings", 0, AP_RATINGS, AP_COUNTER_COUNT, 0},
	{"positive_rate", 1, AP_POSITIVE, AP_RATINGS, 0},
	{"dsat_rate", 1, AP_NEGATIVE, AP_RATINGS, 0},
	{"complaints", 0, AP_COMPLAINTS, AP_COUNTER_COUNT, 0},
	{"complaint_rate", 1, AP_COMPLAINTS, AP_SERVED, 0},
	{"reply_sla_met", 0, AP_MET, AP_COUNTER_COUNT, 0},
	{"reply_sla_missed", 0, AP_MISSED, AP_COUNTER_COUNT, 0},
	{"resp_p50_s", 0, AP_RESP_N, AP_COUNTER_COUNT, 500},
	{"resp_p90_s", 0, AP_RESP_N, AP_COUNTER_COUNT, 900},
};

/* See appraisal.h. */
const char *appraisal_figure_name(int i)
{
	return appraisal_figures[i].name;
}

/* See appraisal.h. */
int appraisal_figure_decimals(int i)
{
	return appraisal_figures[i].decimals;
}

/* Fills one month's figures. */
static void appraisal_view_of(const struct appraisal_month *am, struct appraisal_view *v)
{
	v->month = am->month;
	v->expire_ms = 0;
	for (int i = 0; i < APPRAISAL_FIGURES; i++) {
		const struct appraisal_figure *f = &appraisal_figures[i];

		v->have[i] = true;
		if (f->permille > 0) {
			v->have[i] = am->c[AP_RESP_N] > 0 && am->ntimes > 0;
			if (v->have[i])
				v->value[i] = stats_div_round(appraisal_quantile_ms(am, f->permille), 1000);
		} else if (f->of != AP_COUNTER_COUNT) {
			v->have[i] = am->c[f->of] > 0;
			if (v->have[i])
				v->value[i] = stats_div_round(1000 * am->c[f->count], am->c[f->of]);
		} else {
			v->value[i] = am->c[f->count];
		}
	}
}

/* See appraisal.h. */
size_t appraisal_views(const struct appraisal *ap, month_t now, struct appraisal_view out[APPRAISAL_MONTHS])
{
	size_t n = 0;

	for (month_t m = now - 1; m <= now + 1; m++)
		for (size_t i = 0; i < APPRAISAL_MONTHS; i++)
			if (ap->m[i].month == m)
				appraisal_view_of(&ap->m[i], &out[n++]);
	return n;
}

/* See appraisal.h. */
bool appraisal_pack(msgpack_packer *pk, const struct appraisal *ap)
{
	size_t n = 0;

	for (size_t i = 0; i < APPRAISAL_MONTHS; i++)
		n += ap->m[i].month != 0;
	if (msgpack_pack_array(pk, n))
		return false;
	for (size_t i = 0; i < APPRAISAL_MONTHS; i++) {
		const struct appraisal_month *am = &ap->m[i];

		if (am->month == 0)
			continue;
		if (msgpack_pack_array(pk, APPRAISAL_MONTH_FIELDS) || msgpack_pack_int32(pk, am->month) ||
		    msgpack_pack_array(pk, AP_COUNTER_COUNT))
			return false;
		for (int c = 0; c < AP_COUNTER_COUNT; c++)
			if (msgpack_pack_int64(pk, am->c[c]))
				return false;
		if (msgpack_pack_array(pk, 2 * am->ntimes))
			return false;
		for (size_t k = 0; k < am->ntimes; k++)
			if (msgpack_pack_uint32(pk, am->times[k].bucket) || msgpack_pack_uint32(pk, am->times[k].n))
				return false;
	}
	return true;
}

/* Reads one packed month into am (empty); false when malformed or out of memory. */
static bool appraisal_unpack_month(const msgpack_object *o, struct appraisal_month *am)
{
	const msgpack_object *f = o->via.array.ptr;
	int64_t v, month, resp_n = 0;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != APPRAISAL_MONTH_FIELDS ||
	    !mpack_int(&f[0], 1, INT32_MAX, &month) || f[1].type != MSGPACK_OBJECT_ARRAY ||
	    f[1].via.array.size != AP_COUNTER_COUNT || f[2].type != MSGPACK_OBJECT_ARRAY || f[2].via.array.size % 2 != 0)
		return false;
	am->month = (month_t)month;
	for (int c = 0; c < AP_COUNTER_COUNT; c++)
		if (!mpack_int(&f[1].via.array.ptr[c], 0, INT64_MAX, &am->c[c]))
			return false;
	for (uint32_t k = 0; k < f[2].via.array.size; k += 2) {
		int64_t n;

		/* Buckets strictly ascending: each once, as appraisal_add_time keeps them. */
		if (!mpack_int(&f[2].via.array.ptr[k], 0, HISTOGRAM_BUCKETS - 1, &v) ||
		    !mpack_int(&f[2].via.array.ptr[k + 1], 1, UINT32_MAX, &n) ||
		    (am->ntimes > 0 && (uint32_t)v <= am->times[am->ntimes - 1].bucket) ||
		    !appraisal_add_time(am, (uint32_t)v, (uint32_t)n))
			return false;
		resp_n += n;
	}
	return resp_n == am->c[AP_RESP_N];
}

/* See appraisal.h. */
bool appraisal_unpack(const msgpack_object *o, struct appraisal *ap)
{
	struct appraisal next;

	memset(&next, 0, sizeof(next));
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > APPRAISAL_MONTHS)
		return false;
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		bool ok = appraisal_unpack_month(&o->via.array.ptr[i], &next.m[i]);

		for (uint32_t k = 0; ok && k < i; k++)
			ok = next.m[k].month != next.m[i].month;
		if (!ok) {
			appraisal_free(&next);
			return false;
		}
	}
	appraisal_free(ap);
	*ap = next;
	return true;
}

/* See appraisal.h. */
void appraisal_clear(struct appraisal *ap)
{
	for (size_t i = 0; i < APPRAISAL_MONTHS; i++) {
		ap->m[i].month = 0;
		memset(ap->m[i].c, 0, sizeof(ap->m[i].c));
		ap->m[i].ntimes = 0;
	}
}

/* See appraisal.h. */
void appraisal_free(struct appraisal *ap)
{
	for (size_t i = 0; i < APPRAISAL_MONTHS; i++)
		free(ap->m[i].times);
	memset(ap, 0, sizeof(*ap));
}
