/* clock.c: one ticket's reply clock, its effects and its checkpoint record (pure). */
#include "clock.h"

#include <stdio.h>
#include <string.h>

#include "mpack.h"

#define CLOCK_RECORD_V1 1
/* Record lengths per phase: version and phase, then the phase's members. */
#define CLOCK_IDLE_LEN 2
#define CLOCK_EARLY_LEN 4
#define CLOCK_RUNNING_LEN 10
#define CLOCK_PERMILLE_MAX 1000

static const char clock_at_risk[] = "reply_sla_at_risk";
static const char clock_breach[] = "reply_sla_breach";
static const char clock_firing[] = "firing";
static const char clock_resolved[] = "resolved";

/*
 * The one place a deadline is computed: span ms of clock time after start. A business-hours
 * calendar or a paused clock replaces this; everything else asks clock_due/clock_risk.
 */
static int64_t
clock_deadline(int64_t start, int64_t span)
{
	return start + span;
}

/* See clock.h. */
enum clock_kind
clock_kind_of(enum event_type type, enum severity severity)
{
	return type == EVENT_COMPLAINT ? (enum clock_kind)(CLOCK_LOW + severity) : CLOCK_MESSAGE;
}

/* See clock.h. */
const char *
clock_kind_name(enum clock_kind kind)
{
	if (kind == CLOCK_MESSAGE)
		return event_type_name(EVENT_MESSAGE);
	return severity_name((enum severity)(kind - CLOCK_LOW));
}

/* See clock.h. */
int64_t
clock_due(const struct clock_state *s)
{
	return clock_deadline(s->start, s->target);
}

/* The at-risk point: floor(target x at_risk) into the clock, as the Lua computed it. */
static int64_t
clock_risk(const struct clock_state *s)
{
	return clock_deadline(s->start, s->target * s->at_risk_permille / 1000);
}

/* See clock.h. */
int64_t
clock_next(const struct clock_state *s)
{
	switch (s->phase) {
	case CLOCK_OPEN:
		if (s->at_risk_permille > 0 && !s->risk_fired)
			return clock_risk(s);
		return clock_due(s);
	case CLOCK_EARLY:
		return s->expires;
	default:
		return CLOCK_NONE;
	}
}

/* Starts a call's effects empty: no field of a previous call survives. */
static void
clock_begin(struct clock_effects *out, uint32_t agent)
{
	out->changed = false;
	out->agent = agent;
	out->open_delta = 0;
	out->overdue_delta = 0;
	out->n_adds = 0;
	out->n_alerts = 0;
}

/* Ends a call: the fate and timer follow from the phase the state is left in. */
static void
clock_finish(const struct clock_state *s, struct clock_effects *out)
{
	static const enum clock_fate fates[] = {
		[CLOCK_IDLE] = CLOCK_DELETE,
		[CLOCK_EARLY] = CLOCK_KEEP_EARLY,
		[CLOCK_OPEN] = CLOCK_KEEP,
		[CLOCK_OVERDUE] = CLOCK_KEEP,
	};

	out->fate = fates[s->phase];
	out->next_ms = clock_next(s);
}

/* Forgets an early reply whose horizon passed: Redis expired the key at that point. */
static void
clock_expire(struct clock_state *s, int64_t now_ms, struct clock_effects *out)
{
	if (s->phase == CLOCK_EARLY && now_ms >= s->expires) {
		memset(s, 0, sizeof(*s));
		out->changed = true;
	}
}

/* Queues one counter change for the effects' agent. */
static void
clock_add(struct clock_effects *out, enum counter c, int64_t ts, int64_t value)
{
	struct clock_add *a = &out->adds[out->n_adds++];

	a->agent = out->agent;
	a->counter = c;
	a->ts = ts;
	a->value = value;
}

/*
 * Counts a reply at replied to a clock started at start with deadline due: its response
 * time and, unless the breach already counted it, met (at the reply) or missed (at the
 * deadline). Returns the response time.
 */
static int64_t
clock_count(struct clock_effects *out, int64_t start, int64_t replied, int64_t due,
    bool breach_counted)
{
	int64_t resp = replied - start;

	clock_add(out, C_RESP_N, replied, 1);
	clock_add(out, C_RESP_SUM_MS, replied, resp);
	clock_add(out, C_RESP_MAX_MS, replied, resp);
	if (!breach_counted) {
		if (replied <= due)
			clock_add(out, C_SLA_MET, replied, 1);
		else
			clock_add(out, C_SLA_MISSED, due, 1);
	}
	return resp;
}

/* Resolves a handle to its string; the category's absence is "". */
static const char *
clock_name(const struct clock_names *names, uint32_t handle)
{
	return handle == CLOCK_NO_NAME ? "" : names->name(names->arg, handle);
}

/*
 * Queues an alert about the clock with the facts clock_alert gave the outbox; since
 * identifies the episode. The rule-specific numbers start absent (-1).
 */
static struct alert_facts *
clock_alert(const struct clock_state *s, const struct clock_names *names, int64_t now_ms,
    const char *rule, const char *state, int64_t since, struct clock_effects *out)
{
	struct alert_facts *f = &out->alerts[out->n_alerts++];

	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	snprintf(f->state, sizeof(f->state), "%s", state);
	snprintf(f->agent, sizeof(f->agent), "%s", clock_name(names, s->agent));
	snprintf(f->ticket, sizeof(f->ticket), "%s", names->ticket);
	snprintf(f->severity, sizeof(f->severity), "%s", clock_kind_name(s->kind));
	snprintf(f->category, sizeof(f->category), "%s", clock_name(names, s->category));
	f->since = since;
	f->at = now_ms;
	f->start = s->start;
	f->due = clock_due(s);
	f->target = s->target;
	f->late_ms = -1;
	f->remaining_ms = -1;
	f->response_ms = -1;
	f->samples = -1;
	return f;
}

/* (Re)starts a running clock at ts; the at-risk point follows the configuration now. */
static void
clock_start(struct clock_state *s, const struct clock_config *cfg, int64_t ts)
{
	s->start = ts;
	s->at_risk_permille = (uint16_t)cfg->at_risk_permille;
}

/* See clock.h. */
void
clock_open(struct clock_state *s, const struct clock_config *cfg,
    const struct clock_opening *ev, int64_t now_ms, struct clock_effects *out)
{
	bool waiting;
	int64_t early;

	clock_begin(out, ev->agent);
	clock_expire(s, now_ms, out);
	/* Opening a clock this old would only breach at once. */
	if (ev->late)
		goto done;
	if (s->phase == CLOCK_OPEN || s->phase == CLOCK_OVERDUE) {
		out->agent = s->agent;
		/* An older opening event that arrived late moves the start back, if nothing fired yet. */
		if (s->phase == CLOCK_OPEN && ev->ts < s->start && !s->risk_fired) {
			clock_start(s, cfg, ev->ts);
			out->changed = true;
		}
		goto done;
	}
	waiting = s->phase == CLOCK_EARLY;
	early = s->early;
	memset(s, 0, sizeof(*s));
	out->changed = true;
	if (waiting && early >= ev->ts && early - ev->ts <= cfg->pair_horizon_ms) {
		/* The reply was already here: count the pair, leave no clock, page nobody. */
		clock_count(out, ev->ts, early, clock_deadline(ev->ts, cfg->target_ms[ev->kind]), false);
		goto done;
	}
	/* Any early reply not paired is superseded by the clock. */
	s->phase = CLOCK_OPEN;
	s->kind = (uint8_t)ev->kind;
	s->agent = ev->agent;
	s->category = ev->category;
	s->target = cfg->target_ms[ev->kind];
	s->created = now_ms;
	clock_start(s, cfg, ev->ts);
	out->open_delta = 1;
done:
	clock_finish(s, out);
}

/* Keeps a reply that found no clock as early, unless an earlier one already waits. */
static void
clock_wait(struct clock_state *s, const struct clock_config *cfg, int64_t ts, int64_t now_ms,
    struct clock_effects *out)
{
	if (s->phase == CLOCK_EARLY && ts >= s->early)
		return;
	s->phase = CLOCK_EARLY;
	s->early = ts;
	s->expires = now_ms + cfg->pair_horizon_ms;
	out->changed = true;
}

/* See clock.h. */
void
clock_reply(struct clock_state *s, const struct clock_config *cfg, int64_t ts,
    int64_t now_ms, const struct clock_names *names, struct clock_effects *out)
{
	bool overdue = s->phase == CLOCK_OVERDUE;
	struct alert_facts *f;
	int64_t due, resp;

	clock_begin(out, s->agent);
	clock_expire(s, now_ms, out);
	if (s->phase == CLOCK_IDLE || s->phase == CLOCK_EARLY) {
		clock_wait(s, cfg, ts, now_ms, out);
		goto done;
	}
	if (ts < s->start) /* answers something older than this clock */
		goto done;
	due = clock_due(s);
	resp = clock_count(out, s->start, ts, due, overdue);
	if (overdue) {
		out->overdue_delta = -1;
		f = clock_alert(s, names, now_ms, clock_breach, clock_resolved, due, out);
		f->response_ms = resp;
	} else if (ts > due && s->created <= due) {
		/*
		 * Late, and the clock was known before its deadline, but the breach has not fired
		 * yet (the daemon was down, or the reply beat the timer): still a breach, so say
		 * so. A clock first seen already past its deadline (a backlog replay) is not paged.
		 */
		f = clock_alert(s, names, now_ms, clock_breach, clock_firing, due, out);
		f->late_ms = ts - due;
		f = clock_alert(s, names, now_ms, clock_breach, clock_resolved, due, out);
		f->response_ms = resp;
	}
	if (s->risk_fired && !overdue) {
		f = clock_alert(s, names, now_ms, clock_at_risk, clock_resolved, clock_risk(s), out);
		f->response_ms = resp;
		f->superseded = ts > due;
	}
	out->open_delta = -1;
	memset(s, 0, sizeof(*s));
	out->changed = true;
done:
	clock_finish(s, out);
}

/* See clock.h. */
bool
clock_fire(struct clock_state *s, int64_t now_ms, const struct clock_names *names,
    struct clock_effects *out)
{
	struct alert_facts *f;
	int64_t due;
	bool fired = false;

	clock_begin(out, s->agent);
	clock_expire(s, now_ms, out);
	/* A stale timer: the clock ended, was already fired, or is not due yet. */
	if (s->phase != CLOCK_OPEN || now_ms < clock_next(s))
		goto done;
	fired = true;
	out->changed = true;
	due = clock_due(s);
	if (now_ms >= due) {
		s->phase = CLOCK_OVERDUE;
		out->overdue_delta = 1;
		clock_add(out, C_SLA_MISSED, due, 1);
		if (s->risk_fired) {
			f = clock_alert(s, names, now_ms, clock_at_risk, clock_resolved, clock_risk(s), out);
			f->superseded = true;
		}
		f = clock_alert(s, names, now_ms, clock_breach, clock_firing, due, out);
		f->late_ms = now_ms - due;
	} else {
		s->risk_fired = true;
		f = clock_alert(s, names, now_ms, clock_at_risk, clock_firing, clock_risk(s), out);
		f->remaining_ms = due - now_ms;
	}
done:
	clock_finish(s, out);
	return fired;
}

/* Packs a string given by the caller. */
static bool
clock_pack_str(msgpack_packer *pk, const char *str)
{
	size_t len = strlen(str);

	return msgpack_pack_str(pk, len) == 0 && msgpack_pack_str_body(pk, str, len) == 0;
}

/* See clock.h. */
bool
clock_pack(msgpack_packer *pk, const struct clock_state *s, const struct clock_names *names)
{
	static const size_t lens[] = {
		[CLOCK_IDLE] = CLOCK_IDLE_LEN,
		[CLOCK_EARLY] = CLOCK_EARLY_LEN,
		[CLOCK_OPEN] = CLOCK_RUNNING_LEN,
		[CLOCK_OVERDUE] = CLOCK_RUNNING_LEN,
	};

	if (msgpack_pack_array(pk, lens[s->phase]) != 0 ||
	    msgpack_pack_int(pk, CLOCK_RECORD_V1) != 0 || msgpack_pack_int(pk, s->phase) != 0)
		return false;
	if (s->phase == CLOCK_IDLE)
		return true;
	if (s->phase == CLOCK_EARLY)
		return msgpack_pack_int64(pk, s->early) == 0 && msgpack_pack_int64(pk, s->expires) == 0;
	return msgpack_pack_int64(pk, s->start) == 0 && msgpack_pack_int64(pk, s->created) == 0 &&
	    msgpack_pack_int64(pk, s->target) == 0 &&
	    msgpack_pack_int(pk, s->at_risk_permille) == 0 && msgpack_pack_int(pk, s->kind) == 0 &&
	    (s->risk_fired ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) == 0 &&
	    clock_pack_str(pk, clock_name(names, s->agent)) &&
	    clock_pack_str(pk, clock_name(names, s->category));
}

/* Reads a string member of at most EVENT_ID_MAX bytes, at least min. */
static bool
clock_str(const msgpack_object *o, size_t min, struct clock_text *out)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size < min || o->via.str.size > EVENT_ID_MAX)
		return false;
	out->ptr = o->via.str.ptr;
	out->len = o->via.str.size;
	return true;
}

/* Fills a running clock from a record's members after version and phase. */
static bool
clock_unpack_running(const msgpack_object *m, struct clock_state *s, struct clock_text *agent,
    struct clock_text *category)
{
	int64_t permille, kind;

	if (!mpack_int(&m[0], INT64_MIN, INT64_MAX, &s->start) ||
	    !mpack_int(&m[1], INT64_MIN, INT64_MAX, &s->created) ||
	    !mpack_int(&m[2], 0, INT64_MAX / CLOCK_PERMILLE_MAX, &s->target) ||
	    !mpack_int(&m[3], 0, CLOCK_PERMILLE_MAX, &permille) ||
	    !mpack_int(&m[4], 0, CLOCK_KIND_COUNT - 1, &kind) ||
	    m[5].type != MSGPACK_OBJECT_BOOLEAN || !clock_str(&m[6], 1, agent) ||
	    !clock_str(&m[7], 0, category))
		return false;
	s->at_risk_permille = (uint16_t)permille;
	s->kind = (uint8_t)kind;
	s->risk_fired = m[5].via.boolean;
	return true;
}

/* See clock.h. */
bool
clock_unpack(const msgpack_object *o, struct clock_state *s, struct clock_text *agent,
    struct clock_text *category)
{
	const msgpack_object *m;
	int64_t version, phase;

	memset(s, 0, sizeof(*s));
	agent->ptr = category->ptr = "";
	agent->len = category->len = 0;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < CLOCK_IDLE_LEN)
		return false;
	m = o->via.array.ptr;
	if (!mpack_int(&m[0], CLOCK_RECORD_V1, CLOCK_RECORD_V1, &version) ||
	    !mpack_int(&m[1], CLOCK_IDLE, CLOCK_OVERDUE, &phase))
		return false;
	switch (phase) {
	case CLOCK_IDLE:
		return o->via.array.size == CLOCK_IDLE_LEN;
	case CLOCK_EARLY:
		if (o->via.array.size != CLOCK_EARLY_LEN ||
		    !mpack_int(&m[2], INT64_MIN, INT64_MAX, &s->early) ||
		    !mpack_int(&m[3], INT64_MIN, INT64_MAX, &s->expires))
			break;
		s->phase = CLOCK_EARLY;
		return true;
	default:
		if (o->via.array.size != CLOCK_RUNNING_LEN ||
		    !clock_unpack_running(m + CLOCK_IDLE_LEN, s, agent, category))
			break;
		s->phase = (uint8_t)phase;
		return true;
	}
	memset(s, 0, sizeof(*s));
	return false;
}

/*
 * The bytes of the scalar or string member at p (type byte and payload), or 0 for anything
 * else: unpacking an array, map or ext allocates what its header claims, before any check.
 */
static uint64_t
clock_member_size(const unsigned char *p, size_t avail)
{
	uint64_t head, body = 0;

	if (p[0] <= 0x7f || p[0] >= 0xe0 || (p[0] >= 0xc0 && p[0] <= 0xc3))
		return 1; /* fixints, nil, bools */
	if (p[0] >= 0xa0 && p[0] <= 0xbf)
		return 1 + (p[0] & 0x1f); /* fixstr */
	switch (p[0]) {
	case 0xcc: /* uint8, int8 */
	case 0xd0:
		return 2;
	case 0xcd: /* 16 bits */
	case 0xd1:
		return 3;
	case 0xca: /* 32 bits, float too */
	case 0xce:
	case 0xd2:
		return 5;
	case 0xcb: /* 64 bits, double too */
	case 0xcf:
	case 0xd3:
		return 9;
	case 0xc4: /* bin8, str8: a length byte */
	case 0xd9:
		head = 2;
		break;
	case 0xc5: /* 16-bit lengths */
	case 0xda:
		head = 3;
		break;
	case 0xc6: /* 32-bit lengths */
	case 0xdb:
		head = 5;
		break;
	default:
		return 0;
	}
	if (avail < head)
		return 0;
	for (uint64_t i = 1; i < head; i++)
		body = body << 8 | p[i];
	return head + body;
}

/* Whether buf is exactly one short array of scalars and strings: cheap to unpack. */
static bool
clock_flat(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t off = 1;
	uint64_t size;

	if (len == 0 || (p[0] & 0xf0) != 0x90)
		return false;
	for (unsigned n = p[0] & 0x0f; n > 0; n--) {
		if (off >= len)
			return false;
		size = clock_member_size(p + off, len - off);
		if (size == 0 || size > len - off)
			return false;
		off += (size_t)size;
	}
	return off == len;
}

/* See clock.h. */
bool
clock_decode(const char *buf, size_t len, struct clock_state *s, struct clock_text *agent,
    struct clock_text *category)
{
	msgpack_zone zone;
	msgpack_object o;
	size_t off = 0;
	bool ok;

	memset(s, 0, sizeof(*s));
	if (!clock_flat(buf, len))
		return false;
	/* One chunk holds a whole record's objects, so the zone allocates once. */
	if (!msgpack_zone_init(&zone, CLOCK_RUNNING_LEN * sizeof(msgpack_object)))
		return false;
	/* SUCCESS means all of buf was used (else EXTRA_BYTES). */
	ok = msgpack_unpack(buf, len, &off, &zone, &o) == MSGPACK_UNPACK_SUCCESS &&
	    clock_unpack(&o, s, agent, category);
	msgpack_zone_destroy(&zone);
	if (!ok)
		memset(s, 0, sizeof(*s));
	return ok;
}
