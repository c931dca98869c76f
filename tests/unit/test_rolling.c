/* test_rolling.c: window totals match a brute-force list of events, through merges, drops and checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rolling.h"
#include "stats.h"
#include "window.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
/* 2026-11-22T10:00:00Z */
#define T0 INT64_C(1795341600000)
#define MODEL_MAX 8192

/* One accepted event of the model: its time and its value per slot. */
struct model_event {
	int64_t ts;
	int64_t v[ROLLING_SLOTS_MAX];
};

/* Every accepted event still counting somewhere, kept whole. */
struct model {
	size_t n;
	struct model_event *e;
};

/* A random stream's setup. */
struct setup {
	const char *windows;
	size_t slots;
	uint64_t max_mask;
	int64_t start;
	uint64_t seed;
	int steps;
	unsigned tiers_used; /* the tiers the stream must have put buckets in */
};

static uint64_t rng;

/* xorshift64: a fixed sequence per seed. */
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Uniform in [lo, hi]. */
static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* Floor of x to a multiple of g, for any sign of x. */
static int64_t floor_to(int64_t x, int64_t g)
{
	int64_t q = x / g;

	if (x % g != 0 && x < 0)
		q--;
	return q * g;
}

/* The documented rule: ts counts in window i at now iff its bucket starts at or after now - span. */
static bool model_counts(const struct rolling_plan *p, size_t i, int64_t ts, int64_t now)
{
	return floor_to(ts, p->gran_ms[i]) >= now - p->span_ms[i];
}

/* Whether ts counts in any window at now. */
static bool model_counts_anywhere(const struct rolling_plan *p, int64_t ts, int64_t now)
{
	for (size_t i = 0; i < p->tiers; i++)
		if (model_counts(p, i, ts, now))
			return true;
	return false;
}

/* Every window's totals by summing (or maxing) the events the rule includes. */
static void model_totals(const struct model *m, const struct rolling_plan *p, int64_t now, int64_t *out)
{
	memset(out, 0, p->tiers * p->slots * sizeof out[0]);
	for (size_t k = 0; k < m->n; k++)
		for (size_t i = 0; i < p->tiers; i++) {
			if (!model_counts(p, i, m->e[k].ts, now))
				continue;
			for (size_t s = 0; s < p->slots; s++) {
				int64_t *o = &out[i * p->slots + s];

				if (p->max_slots >> s & 1)
					*o = m->e[k].v[s] > *o ? m->e[k].v[s] : *o;
				else
					*o += m->e[k].v[s];
			}
		}
}

/* The first time after now at which an event stops counting in a window it counts in now. */
static int64_t model_next_change(const struct model *m, const struct rolling_plan *p, int64_t now)
{
	int64_t best = INT64_MAX;

	for (size_t k = 0; k < m->n; k++)
		for (size_t i = 0; i < p->tiers; i++) {
			int64_t leave = floor_to(m->e[k].ts, p->gran_ms[i]) + p->span_ms[i] + 1;

			if (model_counts(p, i, m->e[k].ts, now) && leave < best)
				best = leave;
		}
	return best;
}

/* Forgets events that count nowhere at now: with now never going back, they never count again. */
static void model_prune(struct model *m, const struct rolling_plan *p, int64_t now)
{
	size_t w = 0;

	for (size_t k = 0; k < m->n; k++)
		if (model_counts_anywhere(p, m->e[k].ts, now))
			m->e[w++] = m->e[k];
	m->n = w;
}

/* A plan for the given windows, slots and MAX slots (bit s of max_mask). */
static struct rolling_plan make_plan(const char *list, size_t slots, uint64_t max_mask)
{
	struct windows ws;
	struct rolling_plan p;
	enum rolling_kind kinds[ROLLING_SLOTS_MAX];

	assert_true(windows_parse(list, &ws, NULL, 0));
	for (size_t s = 0; s < slots; s++)
		kinds[s] = (max_mask >> s & 1) ? ROLLING_MAX : ROLLING_SUM;
	assert_true(rolling_plan_init(&p, &ws, slots, kinds));
	return p;
}

/* The MAX slots of the first n counters of stats.h. */
static uint64_t max_counters(size_t n)
{
	uint64_t mask = 0;

	for (size_t c = 0; c < n; c++)
		if (stats_counter_is_max((enum counter)c))
			mask |= UINT64_C(1) << c;
	return mask;
}

/* The engine's plan: the counters of stats.h. */
static struct rolling_plan engine_plan(const char *list)
{
	return make_plan(list, COUNTER_COUNT, max_counters(COUNTER_COUNT));
}

/* Packs r into a fresh buffer. */
static msgpack_sbuffer pack(const struct rolling *r, const struct rolling_plan *p)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	assert_true(rolling_pack(&pk, r, p));
	return sb;
}

/* Asserts a and b pack to the same bytes. */
static void assert_same_state(const struct rolling *a, const struct rolling *b, const struct rolling_plan *p)
{
	msgpack_sbuffer sa = pack(a, p), sb = pack(b, p);

	assert_int_equal(sa.size, sb.size);
	assert_memory_equal(sa.data, sb.data, sa.size);
	msgpack_sbuffer_destroy(&sa);
	msgpack_sbuffer_destroy(&sb);
}

/* Asserts the module's totals at now equal the model's, slot by slot. */
static void assert_totals(const struct rolling *r, const struct model *m, const struct rolling_plan *p, int64_t now)
{
	int64_t got[WINDOWS_MAX * ROLLING_SLOTS_MAX], want[WINDOWS_MAX * ROLLING_SLOTS_MAX];

	rolling_totals(r, p, now, got, NULL);
	model_totals(m, p, now, want);
	for (size_t k = 0; k < p->tiers * p->slots; k++)
		if (got[k] != want[k])
			fail_msg("now %lld window %zu slot %zu: got %lld want %lld", (long long)now, k / p->slots,
			    k % p->slots, (long long)got[k], (long long)want[k]);
}

/* A random time for a new event: recent, future, anywhere, near an edge, or late. */
static int64_t random_ts(const struct rolling_plan *p, int64_t now)
{
	int64_t longest = p->span_ms[p->tiers - 1], ts;
	size_t i = (size_t)rnd_in(0, (int64_t)p->tiers - 1);
	int64_t k = rnd_in(0, 99);

	if (k < 35)
		ts = now - rnd_in(0, 3 * p->gran_ms[0]);
	else if (k < 50)
		ts = now + rnd_in(0, 5 * MIN_MS);
	else if (k < 70)
		ts = now - rnd_in(0, longest);
	else if (k < 85)
		ts = now - p->span_ms[i] + rnd_in(-2 * p->gran_ms[i], 2 * p->gran_ms[i]);
	else if (k < 92)
		ts = now - longest - rnd_in(0, longest);
	else
		ts = floor_to(now - p->span_ms[i], p->gran_ms[i]) + rnd_in(-1, 1);
	return ts < 0 ? 0 : ts;
}

/* The next change rolling_totals reports at now. */
static int64_t next_change(const struct rolling *r, const struct rolling_plan *p, int64_t now)
{
	int64_t out[WINDOWS_MAX * ROLLING_SLOTS_MAX], nc;

	rolling_totals(r, p, now, out, &nc);
	return nc;
}

/* 1-4 random increments: mostly counts of 1, sometimes large (response times) or 0. */
static size_t random_incs(const struct rolling_plan *p, struct rolling_inc *incs)
{
	size_t n = (size_t)rnd_in(1, 4);

	for (size_t k = 0; k < n; k++) {
		int64_t c = rnd_in(0, 9);

		incs[k].slot = (unsigned)rnd_in(0, (int64_t)p->slots - 1);
		incs[k].value = c < 6 ? 1 : c < 8 ? rnd_in(1, 20000000) : c < 9 ? rnd_in(2, 300) : 0;
	}
	return n;
}

/* The next now: a small step, exactly on the next edge or just before it, a span, or days. */
static int64_t random_now(const struct rolling *r, const struct rolling_plan *p, int64_t now)
{
	int64_t k = rnd_in(0, 99), nc = next_change(r, p, now);
	size_t i = (size_t)rnd_in(0, (int64_t)p->tiers - 1);

	if (k < 30)
		return now + rnd_in(0, p->gran_ms[0]);
	if (k < 50 && nc != INT64_MAX)
		return nc;
	if (k < 60 && nc != INT64_MAX)
		return nc - 1;
	if (k < 70)
		return now + rnd_in(0, p->span_ms[i]);
	if (k < 73)
		return now + rnd_in(1, 40) * DAY_MS + rnd_in(0, DAY_MS);
	return now + rnd_in(0, 10 * p->gran_ms[0]);
}

/* Bit t set when tier t's section is non-empty in the packed sb ([version, id, [lengths], bin]). */
static unsigned tiers_used(const msgpack_sbuffer *sb)
{
	msgpack_unpacked u;
	unsigned used = 0;

	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb->data, sb->size, NULL), MSGPACK_UNPACK_SUCCESS);
	for (uint32_t t = 0; t < u.data.via.array.ptr[2].via.array.size; t++)
		if (u.data.via.array.ptr[2].via.array.ptr[t].via.u64 > 0)
			used |= 1u << t;
	msgpack_unpacked_destroy(&u);
	return used;
}

/* Replaces r by decode(encode(r)), checking the copy packs to the same bytes. */
static void round_trip(struct rolling *r, const struct rolling_plan *p)
{
	msgpack_sbuffer sb = pack(r, p);
	struct rolling copy = { NULL, 0, 0 };

	assert_true(rolling_decode(sb.data, sb.size, &copy, p));
	assert_same_state(r, &copy, p);
	rolling_free(r);
	*r = copy;
	msgpack_sbuffer_destroy(&sb);
}

/* Runs one random stream against the model, checking totals and next changes at every step. */
static void run_stream(const struct setup *su)
{
	struct rolling_plan p = make_plan(su->windows, su->slots, su->max_mask);
	struct rolling r = { NULL, 0, 0 };
	struct model m = { 0, calloc(MODEL_MAX, sizeof(struct model_event)) };
	int64_t now = su->start;
	unsigned used = 0;

	assert_non_null(m.e);
	rng = su->seed;
	for (int step = 0; step < su->steps; step++) {
		int64_t nc, adds = rnd_in(0, 3);

		for (int64_t a = 0; a < adds && m.n < MODEL_MAX; a++) {
			struct rolling_inc incs[4];
			size_t n = random_incs(&p, incs);
			int64_t ts = random_ts(&p, now);
			bool counts = model_counts_anywhere(&p, ts, now);
			struct model_event *e = &m.e[m.n];

			assert_int_equal(rolling_add(&r, &p, now, ts, incs, n), counts ? ROLLING_ADDED : ROLLING_LATE);
			if (!counts)
				continue;
			memset(e, 0, sizeof *e);
			e->ts = ts;
			for (size_t k = 0; k < n; k++)
				e->v[incs[k].slot] = (p.max_slots >> incs[k].slot & 1) ?
				    (incs[k].value > e->v[incs[k].slot] ? incs[k].value : e->v[incs[k].slot]) :
				    e->v[incs[k].slot] + incs[k].value;
			/* Zeros add nothing, so such an event leaves no bucket to leave a window. */
			for (size_t k = 0; k < p.slots; k++)
				if (e->v[k] != 0) {
					m.n++;
					break;
				}
		}
		assert_totals(&r, &m, &p, now);
		if (rnd() % 2 == 0) {
			assert_true(rolling_advance(&r, &p, now));
			assert_totals(&r, &m, &p, now);
		}
		if (rnd() % 8 == 0) {
			round_trip(&r, &p);
		} else {
			msgpack_sbuffer sb = pack(&r, &p);

			used |= tiers_used(&sb);
			msgpack_sbuffer_destroy(&sb);
		}
		if (rnd() % 8 == 0) {
			/* Idempotent: a second advance at the same now changes nothing. */
			struct rolling before = { NULL, 0, 0 };
			msgpack_sbuffer sb;

			assert_true(rolling_advance(&r, &p, now));
			sb = pack(&r, &p);
			assert_true(rolling_decode(sb.data, sb.size, &before, &p));
			assert_true(rolling_advance(&r, &p, now));
			assert_same_state(&r, &before, &p);
			rolling_free(&before);
			msgpack_sbuffer_destroy(&sb);
		}
		model_prune(&m, &p, now);
		nc = next_change(&r, &p, now);
		assert_int_equal(nc, model_next_change(&m, &p, now));
		if (nc != INT64_MAX) {
			assert_true(nc > now);
			assert_totals(&r, &m, &p, nc - 1);
			assert_totals(&r, &m, &p, nc);
		}
		now = random_now(&r, &p, now);
	}
	/* The stream did reach the tiers it should, so merges were exercised. */
	assert_int_equal(used, su->tiers_used);
	/* After the longest window has passed with no event, nothing is held at all. */
	now += p.span_ms[p.tiers - 1] + 6 * MIN_MS;
	assert_true(rolling_advance(&r, &p, now));
	assert_int_equal(rolling_bytes(&r), 0);
	assert_int_equal(next_change(&r, &p, now), INT64_MAX);
	rolling_free(&r);
	free(m.e);
}

/* Random streams of several layouts, each against the brute-force model. */
static void test_streams(void **state)
{
	static const struct setup setups[] = {
	    { "1h,24h,7d,30d", COUNTER_COUNT, UINT64_C(1) << C_RESP_MAX_MS, T0, 1, 5000, 0xf },
	    { "1h,24h,7d,30d", COUNTER_COUNT, UINT64_C(1) << C_RESP_MAX_MS, T0 + 4321, 7, 5000, 0xf },
	    /* Starting at the epoch: now - span is negative for a while. */
	    { "24s,1m,90s,5m", COUNTER_COUNT, UINT64_C(1) << C_RESP_MAX_MS, 0, 2, 3000, 0xf },
	    /* Windows within 1% of each other, 64 slots with MAX ones at both ends. */
	    { "100s,101s,2h", ROLLING_SLOTS_MAX, (UINT64_C(1) << 63) | 1 | (UINT64_C(1) << 20), T0 + 12345, 3, 2000, 0x7 },
	    { "25s", 3, 2, T0, 5, 1500, 0x1 },
	    { "90s,1h,36h,8d", 9, UINT64_C(0x180), T0 + 999, 11, 2000, 0xf },
	    /*
	     * 99.5 d in 12 h buckets, 100 d in 1 d buckets: the longer window's edge can pass the
	     * other's, and no 1 d bucket can be out of the first window yet in the second.
	     */
	    { "2388h,100d", 5, UINT64_C(0x10), T0 + 7, 13, 3000, 0x1 },
	};

	(void)state;
	for (size_t k = 0; k < sizeof setups / sizeof setups[0]; k++)
		run_stream(&setups[k]);
}

/* Window w's total of slot 0 at now. */
static int64_t total0(const struct rolling *r, const struct rolling_plan *p, int64_t now, size_t w)
{
	int64_t out[WINDOWS_MAX * ROLLING_SLOTS_MAX];

	rolling_totals(r, p, now, out, NULL);
	return out[w * p->slots];
}

/*
 * The guarantee: an event at ts counts in window i at every now <= floor(ts / g_i) * g_i
 * + span_i, which is past ts + span_i - span_i / 100, and at no now > that; it is late once
 * it counts in no window, always by now > ts + longest span.
 */
static void test_edge_bound(void **state)
{
	struct rolling_plan p = engine_plan("1h,24h,7d,30d");
	const struct rolling_inc one = { C_RATINGS, 1 };

	(void)state;
	rng = 17;
	for (size_t i = 0; i < p.tiers; i++)
		for (int k = 0; k < 300; k++) {
			struct rolling r = { NULL, 0, 0 }, late = { NULL, 0, 0 };
			int64_t ts = T0 + rnd_in(0, 40 * DAY_MS), s = p.span_ms[i];
			int64_t last = floor_to(ts, p.gran_ms[i]) + s;

			assert_int_equal(rolling_add(&r, &p, ts, ts, &one, 1), ROLLING_ADDED);
			assert_true(rolling_advance(&r, &p, ts + s - s / 100));
			assert_int_equal(total0(&r, &p, ts + s - s / 100, i), 1);
			assert_true(rolling_advance(&r, &p, last));
			assert_int_equal(total0(&r, &p, last, i), 1);
			assert_true(last + 1 > ts + s - s / 100);
			assert_true(rolling_advance(&r, &p, last + 1));
			assert_int_equal(total0(&r, &p, last + 1, i), 0);
			assert_int_equal(total0(&r, &p, ts + s + 1, i), 0);
			/* Arriving that late, it still counts until the same moment. */
			assert_int_equal(rolling_add(&late, &p, ts + s - s / 100, ts, &one, 1), ROLLING_ADDED);
			assert_int_equal(total0(&late, &p, ts + s - s / 100, i), 1);
			assert_int_equal(total0(&late, &p, last, i), 1);
			assert_int_equal(total0(&late, &p, last + 1, i), 0);
			rolling_free(&late);
			rolling_free(&r);
		}
	for (int k = 0; k < 300; k++) {
		struct rolling r = { NULL, 0, 0 };
		int64_t ts = T0 + rnd_in(0, 40 * DAY_MS), longest = p.span_ms[p.tiers - 1];
		int64_t gone = floor_to(ts, p.gran_ms[p.tiers - 1]) + longest + 1;

		assert_int_equal(rolling_add(&r, &p, gone - 1, ts, &one, 1), ROLLING_ADDED);
		assert_int_equal(rolling_add(&r, &p, gone, ts, &one, 1), ROLLING_LATE);
		assert_int_equal(rolling_add(&r, &p, ts + longest + 1 + rnd_in(0, DAY_MS), ts, &one, 1), ROLLING_LATE);
		assert_int_equal(total0(&r, &p, gone - 1, p.tiers - 1), 1);
		rolling_free(&r);
	}
}

/* Bad increments and times change nothing; zeros add nothing; sums saturate, maxima keep the largest. */
static void test_invalid_and_limits(void **state)
{
	struct rolling_plan p = engine_plan("1h,24h,7d,30d");
	struct rolling r = { NULL, 0, 0 }, before = { NULL, 0, 0 };
	struct rolling_inc bad_slot = { COUNTER_COUNT, 1 }, neg = { C_RATINGS, -1 }, zero = { C_RATINGS, 0 };
	struct rolling_inc big[2] = { { C_SCORE_SUM, INT64_MAX }, { C_RESP_MAX_MS, 5 } };
	struct rolling_inc more[2] = { { C_SCORE_SUM, 7 }, { C_RESP_MAX_MS, 3 } };
	struct rolling_inc mixed[2] = { { C_RATINGS, 1 }, { C_RATINGS + 1, -2 } };
	int64_t out[WINDOWS_MAX * ROLLING_SLOTS_MAX];
	msgpack_sbuffer sb;

	(void)state;
	assert_int_equal(rolling_add(&r, &p, T0, T0, &zero, 1), ROLLING_ADDED);
	assert_int_equal(rolling_bytes(&r), 0);
	assert_int_equal(rolling_add(&r, &p, T0, T0, big, 2), ROLLING_ADDED);
	sb = pack(&r, &p);
	assert_true(rolling_decode(sb.data, sb.size, &before, &p));
	msgpack_sbuffer_destroy(&sb);
	assert_int_equal(rolling_add(&r, &p, T0, T0, &bad_slot, 1), ROLLING_INVALID);
	assert_int_equal(rolling_add(&r, &p, T0, T0, &neg, 1), ROLLING_INVALID);
	assert_int_equal(rolling_add(&r, &p, T0, T0, mixed, 2), ROLLING_INVALID);
	assert_int_equal(rolling_add(&r, &p, T0, -1, mixed, 1), ROLLING_INVALID);
	assert_int_equal(rolling_add(&r, &p, T0, ROLLING_TS_MAX + 1, mixed, 1), ROLLING_INVALID);
	assert_int_equal(rolling_add(&r, &p, ROLLING_TS_MAX + 1, T0, mixed, 1), ROLLING_INVALID);
	assert_same_state(&r, &before, &p);
	assert_int_equal(rolling_add(&r, &p, T0, T0 + 1, more, 2), ROLLING_ADDED);
	rolling_totals(&r, &p, T0, out, NULL);
	for (size_t w = 0; w < p.tiers; w++) {
		assert_int_equal(out[w * p.slots + C_SCORE_SUM], INT64_MAX);
		assert_int_equal(out[w * p.slots + C_RESP_MAX_MS], 5);
		assert_int_equal(out[w * p.slots + C_RATINGS], 0);
	}
	rolling_free(&r);
	rolling_free(&before);
}

/* A state with buckets in every tier, packed; the caller destroys the buffer. */
static msgpack_sbuffer rich_state(const struct rolling_plan *p, struct rolling *r)
{
	int64_t now = T0;

	rng = 5;
	for (int k = 0; k < 600; k++) {
		struct rolling_inc incs[4];
		size_t n = random_incs(p, incs);

		(void)rolling_add(r, p, now, now - rnd_in(0, p->span_ms[p->tiers - 1]), incs, n);
		now += rnd_in(0, HOUR_MS);
		assert_true(rolling_advance(r, p, now));
	}
	return pack(r, p);
}

/* Decode refuses every truncation, trailing bytes, other plans and versions, and survives garbage. */
static void test_decode_rejects(void **state)
{
	struct rolling_plan p = engine_plan("1h,24h,7d,30d"), other = engine_plan("1h,24h,7d");
	struct rolling r = { NULL, 0, 0 }, got = { NULL, 0, 0 }, keep = { NULL, 0, 0 };
	msgpack_sbuffer sb = rich_state(&p, &r);
	int decoded = 0;
	char *buf = malloc(sb.size + 1);

	(void)state;
	assert_non_null(buf);
	assert_true(sb.size > 500);
	assert_true(rolling_decode(sb.data, sb.size, &keep, &p));
	assert_true(rolling_decode(sb.data, sb.size, &got, &p));
	for (size_t len = 0; len < sb.size; len++) {
		assert_false(rolling_decode(sb.data, len, &got, &p));
		assert_same_state(&got, &keep, &p); /* unchanged on failure */
	}
	memcpy(buf, sb.data, sb.size);
	buf[sb.size] = 0;
	assert_false(rolling_decode(buf, sb.size + 1, &got, &p));
	assert_false(rolling_decode(sb.data, sb.size, &got, &other));
	buf[1] = 2; /* version 2 */
	assert_false(rolling_decode(buf, sb.size, &got, &p));
	rng = 77;
	for (int k = 0; k < 20000; k++) {
		struct rolling f = { NULL, 0, 0 };
		int64_t out[WINDOWS_MAX * ROLLING_SLOTS_MAX];
		struct rolling_inc inc = { C_RATINGS, 1 };

		memcpy(buf, sb.data, sb.size);
		for (int64_t flips = rnd_in(1, 4); flips > 0; flips--)
			buf[rnd() % sb.size] = (char)rnd();
		if (!rolling_decode(buf, sb.size, &f, &p))
			continue;
		decoded++;
		/* Whatever decodes is a well-formed state: every call works on it. */
		rolling_totals(&f, &p, T0 + 30 * DAY_MS, out, NULL);
		(void)next_change(&f, &p, T0 + 30 * DAY_MS);
		(void)rolling_add(&f, &p, T0 + 30 * DAY_MS, T0 + 29 * DAY_MS, &inc, 1);
		assert_true(rolling_advance(&f, &p, T0 + 31 * DAY_MS));
		round_trip(&f, &p);
		rolling_free(&f);
	}
	/* Enough mutants were well-formed for the calls above to have run on them. */
	assert_true(decoded > 100);
	free(buf);
	msgpack_sbuffer_destroy(&sb);
	rolling_free(&r);
	rolling_free(&got);
	rolling_free(&keep);
}

/* Asserts wide's totals and next change at now are narrow's, with its other slots zero. */
static void assert_widened(const struct rolling *wide, const struct rolling_plan *wp, const struct rolling *narrow,
    const struct rolling_plan *np, int64_t now)
{
	int64_t got[WINDOWS_MAX * ROLLING_SLOTS_MAX], want[WINDOWS_MAX * ROLLING_SLOTS_MAX];
	int64_t got_nc, want_nc;

	rolling_totals(wide, wp, now, got, &got_nc);
	rolling_totals(narrow, np, now, want, &want_nc);
	assert_int_equal(got_nc, want_nc);
	for (size_t w = 0; w < wp->tiers; w++)
		for (size_t s = 0; s < wp->slots; s++)
			if (got[w * wp->slots + s] != (s < np->slots ? want[w * np->slots + s] : 0))
				fail_msg("now %lld window %zu slot %zu: got %lld", (long long)now, w, s,
				    (long long)got[w * wp->slots + s]);
}

/*
 * Partials merged in at each "flush" (as a task's team partials reach the team's task) total
 * exactly what every event added directly does: sums and maxima, old events into coarse tiers.
 * The first half's partials of 15 events are put bucket by bucket, the second's of 35 merged.
 */
static void test_merge_from(void **state)
{
	struct rolling_plan p = make_plan("1h,24h,7d,30d", 4, 1u << 3);
	struct rolling all = { NULL, 0, 0 }, merged = { NULL, 0, 0 }, part = { NULL, 0, 0 };
	int64_t want[WINDOWS_MAX * ROLLING_SLOTS_MAX], got[WINDOWS_MAX * ROLLING_SLOTS_MAX], wn, gn;

	(void)state;
	rng = 31;
	for (int step = 0; step < 400; step++) {
		int64_t now = T0 + step * 7 * MIN_MS + rnd_in(0, 1000);
		bool flush = step % (step < 200 ? 3 : 7) == 0;

		for (int k = 0; k < 5; k++) {
			int64_t ts = now - (rnd() % 4 == 0 ? rnd_in(0, 29 * DAY_MS) : rnd_in(0, HOUR_MS));
			struct rolling_inc inc[2] = { { (unsigned)rnd_in(0, 2), rnd_in(1, 9) }, { 3, rnd_in(1, 100000) } };
			enum rolling_result r = rolling_add(&all, &p, now, ts, inc, 2);

			assert_int_equal(rolling_add(&part, &p, now, ts, inc, 2), r);
		}
		if (flush) {
			assert_true(rolling_merge_from(&merged, &part, &p, now));
			rolling_free(&part);
		}
		if (step % 5 == 0) {
			assert_true(rolling_advance(&merged, &p, now));
			assert_true(rolling_advance(&all, &p, now));
		}
		if (flush) {
			rolling_totals(&all, &p, now, want, &wn);
			rolling_totals(&merged, &p, now, got, &gn);
			assert_memory_equal(got, want, p.tiers * p.slots * sizeof(want[0]));
			assert_int_equal(gn, wn);
		}
	}
	/* an empty source adds nothing */
	assert_true(rolling_merge_from(&merged, &part, &p, T0 + 400 * 7 * MIN_MS));
	rolling_free(&all);
	rolling_free(&merged);
	rolling_free(&part);
}

/*
 * A store of the first agent checkpoints' 16 counters, widened to the engine's plan, has the
 * same totals for them and zero for the rest; it then takes adds to every slot and checkpoints
 * under the new plan. Other windows, fewer slots or other kinds are refused, r unchanged.
 */
static void test_widen(void **state)
{
	struct rolling_plan old = make_plan("1h,24h,7d,30d", 16, max_counters(16)), p = engine_plan("1h,24h,7d,30d");
	struct rolling_plan other_windows = engine_plan("1h,24h,7d,31d");
	struct rolling_plan other_kinds = make_plan("1h,24h,7d,30d", COUNTER_COUNT, 1);
	struct rolling r = { NULL, 0, 0 }, narrow = { NULL, 0, 0 }, empty = { NULL, 0, 0 };
	msgpack_sbuffer sb = rich_state(&old, &r), again;
	const int64_t now = T0 + 25 * DAY_MS; /* rich_state's last now is at most T0 + 600 h */
	struct rolling_inc incs[4] = { { C_RES_MAX_MS, 7000 }, { C_PROMISE_BROKEN, 2 }, { C_FIRST_N, 1 },
	    { C_RATINGS, 1 } }, less = { C_RES_MAX_MS, 5000 };
	int64_t before[WINDOWS_MAX * ROLLING_SLOTS_MAX], out[WINDOWS_MAX * ROLLING_SLOTS_MAX];

	(void)state;
	/* A recent event too, so every tier has buckets. */
	assert_int_equal(rolling_add(&r, &old, now, now - MIN_MS, incs + 3, 1), ROLLING_ADDED);
	msgpack_sbuffer_destroy(&sb);
	sb = pack(&r, &old);
	assert_int_equal(tiers_used(&sb), 0xf);
	assert_true(rolling_decode(sb.data, sb.size, &narrow, &old));
	/* Refused: the store stays the old plan's, byte for byte. */
	assert_false(rolling_widen(&r, &old, &other_windows));
	assert_false(rolling_widen(&r, &old, &other_kinds));
	assert_false(rolling_widen(&r, &p, &old));
	assert_same_state(&r, &narrow, &old);
	assert_true(rolling_widen(&empty, &old, &p));
	assert_int_equal(rolling_bytes(&empty), 0);
	assert_true(rolling_widen(&r, &old, &p));
	again = pack(&r, &p);
	/* The same totals as the window slides, through merges, drops and checkpoints. */
	for (int64_t at = now; at <= now + 32 * DAY_MS; at += 7 * HOUR_MS + 1) {
		assert_widened(&r, &p, &narrow, &old, at);
		assert_true(rolling_advance(&r, &p, at));
		assert_widened(&r, &p, &narrow, &old, at);
		round_trip(&r, &p);
	}
	assert_int_equal(rolling_bytes(&r), 0);
	/* Adds to new slots and old ones, a maximum kept as one. */
	assert_true(rolling_decode(again.data, again.size, &r, &p));
	rolling_totals(&r, &p, now, before, NULL);
	assert_int_equal(rolling_add(&r, &p, now, now, incs, 4), ROLLING_ADDED);
	assert_int_equal(rolling_add(&r, &p, now, now - HOUR_MS, &less, 1), ROLLING_ADDED);
	rolling_totals(&r, &p, now, out, NULL);
	for (size_t w = 0; w < p.tiers; w++) {
		int64_t *o = out + w * p.slots, *b = before + w * p.slots;

		assert_int_equal(o[C_RES_MAX_MS], 7000);
		assert_int_equal(o[C_PROMISE_BROKEN], 2);
		assert_int_equal(o[C_FIRST_N], 1);
		assert_int_equal(o[C_RATINGS], b[C_RATINGS] + 1);
		assert_int_equal(o[C_RES_N], 0);
	}
	round_trip(&r, &p);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&again);
	rolling_free(&r);
	rolling_free(&narrow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edge_bound),
	    cmocka_unit_test(test_invalid_and_limits),
	    cmocka_unit_test(test_streams),
	    cmocka_unit_test(test_decode_rejects),
	    cmocka_unit_test(test_widen),
	    cmocka_unit_test(test_merge_from),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
