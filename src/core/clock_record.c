/* clock_record.c: a ticket's checkpoint record, written and read back (pure). */
#include "clock_record.h"

#include <stdlib.h>
#include <string.h>

#include "mpack.h"

/*
 * Version 3: version 2's members, then, for a complaint in service recovery (recovery.h), its
 * agent, complaint, created, answered, followed (-1: none), severity and flags.
 * Version 2: [2, policy, calendar, agent, category, terms, clocks, ticket, timeline], the last
 * four binaries (below), each empty when there is nothing to say. Numbers in them are
 * zigzag varints (LEB128), so a ticket record is small (mostly one per ticket in Redis);
 * states, goals, kinds, flags and statuses are one byte.
 * Version 1 (before policies): [1, phase, ...] with one reply clock, read and never written.
 */
#define CLOCK_RECORD_V1 1
#define CLOCK_RECORD_V2 2
#define CLOCK_RECORD_V3 3
#define CLOCK_V2_LEN 9
#define CLOCK_V3_RECOVERY_LEN 16
#define CLOCK_V1_IDLE_LEN 2
#define CLOCK_V1_EARLY_LEN 4
#define CLOCK_V1_RUNNING_LEN 10
#define CLOCK_V1_OVERDUE 3
#define CLOCK_VAR_MAX 10      /* bytes of the longest varint (64 bits) */
/* terms: pause mask, then per goal its targets by kind, promise, at-risk (all varints). */
#define CLOCK_TERMS_BYTES ((1 + POLICY_TARGET_COUNT * (TERMS_KINDS + 2)) * CLOCK_VAR_MAX)
/*
 * clocks: per clock (reply, resolution) start, created (or, settling, stop), settle_at, then
 * state, goal, kind, flags, then the fired episodes' starts: at-risk, breach, promise.
 */
#define CLOCK_RUNS_BYTES (2 * ((3 + CLOCK_EPISODES) * CLOCK_VAR_MAX + 4))
/* ticket: early, expires, forget_at, flags. */
#define CLOCK_TICKET_BYTES (3 * CLOCK_VAR_MAX + 1)
/* timeline: per change its ts and status. */
#define CLOCK_TIMELINE_BYTES (PAUSES_MAX * (CLOCK_VAR_MAX + 1))
#define CLOCK_BIN_MAX CLOCK_TERMS_BYTES
_Static_assert(CLOCK_BIN_MAX >= CLOCK_RUNS_BYTES && CLOCK_BIN_MAX >= CLOCK_TICKET_BYTES &&
    CLOCK_BIN_MAX >= CLOCK_TIMELINE_BYTES, "the largest binary sizes the buffer");

enum clock_run_flag { RUN_RISK_FIRED = 1, RUN_BREACH_COUNTED = 2, RUN_PROMISE_FIRED = 4 };
enum clock_ticket_flag { TICKET_REPLIED = 1, TICKET_SOLVED = 2 };
enum clock_recovery_flag { RECOVERY_DUE_FIRED = 1, RECOVERY_RATED = 2 };

/* A cursor over a binary member. */
struct clock_bytes {
	unsigned char *p;
	const unsigned char *end;
	bool ok;
};

/* Appends n little-endian bytes of v. */
static void
clock_put(struct clock_bytes *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		*b->p++ = (unsigned char)(v >> (8 * i));
}

/* Reads n little-endian bytes; a short binary clears ok and reads 0. */
static uint64_t
clock_get(struct clock_bytes *b, int n)
{
	uint64_t v = 0;

	if (b->end - b->p < n) {
		b->ok = false;
		return 0;
	}
	for (int i = 0; i < n; i++)
		v |= (uint64_t)*b->p++ << (8 * i);
	return v;
}

/* Appends a signed number as a zigzag varint: small magnitudes take a byte or two. */
static void
clock_put_var(struct clock_bytes *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

	while (z >= 0x80) {
		*b->p++ = (unsigned char)(z | 0x80);
		z >>= 7;
	}
	*b->p++ = (unsigned char)z;
}

/* Reads a zigzag varint; a short or overlong one clears ok and reads 0. */
static int64_t
clock_get_var(struct clock_bytes *b)
{
	uint64_t z = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (b->p == b->end)
			break;
		z |= (uint64_t)(*b->p & 0x7f) << shift;
		if ((*b->p++ & 0x80) == 0)
			return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
	}
	b->ok = false;
	return 0;
}

/* Packs a string given by the caller. */
static bool
clock_pack_str(msgpack_packer *pk, const char *str)
{
	size_t len = strlen(str);

	return msgpack_pack_str(pk, len) == 0 && msgpack_pack_str_body(pk, str, len) == 0;
}

/* Packs the binary written so far into buf. */
static bool
clock_pack_bin(msgpack_packer *pk, const unsigned char *buf, const struct clock_bytes *b)
{
	size_t len = (size_t)(b->p - buf);

	return msgpack_pack_bin(pk, len) == 0 && msgpack_pack_bin_body(pk, buf, len) == 0;
}

/*
 * Writes one clock, with its settle time and the starts of its fired episodes (0 for one that
 * did not fire), so a restore under another calendar still resolves the episodes it fired.
 */
static void
clock_put_run(struct clock_bytes *b, const struct clock_state *s, const struct clock_run *r, int64_t settle_at)
{
	const bool fired[CLOCK_EPISODES] = {r->risk_fired, r->breach_counted, r->promise_fired};

	clock_put_var(b, r->start);
	clock_put_var(b, r->created);
	clock_put_var(b, r->state == RUN_SETTLING ? settle_at : 0);
	clock_put(b, r->state, 1);
	clock_put(b, r->goal, 1);
	clock_put(b, r->kind, 1);
	clock_put(b, (r->risk_fired ? RUN_RISK_FIRED : 0) | (r->breach_counted ? RUN_BREACH_COUNTED : 0) |
	    (r->promise_fired ? RUN_PROMISE_FIRED : 0), 1);
	for (int e = 0; e < CLOCK_EPISODES; e++)
		clock_put_var(b, fired[e] && r->state != RUN_IDLE ? clock_since(s, r, (enum clock_episode)e) : 0);
}

/* Resolves a handle to its string; the category's absence is "". */
static const char *
clock_record_name(const struct clock_names *names, uint32_t handle)
{
	return handle == CLOCK_NO_NAME ? "" : names->name(names->arg, handle);
}

/* Appends a recovery's members. */
static bool
clock_pack_recovery(msgpack_packer *pk, const struct recovery *r)
{
	return clock_pack_str(pk, r->agent) && msgpack_pack_int64(pk, r->complaint) == 0 &&
	    msgpack_pack_int64(pk, r->created) == 0 && msgpack_pack_int64(pk, r->answered) == 0 && msgpack_pack_int64(pk, r->followed) == 0 &&
	    msgpack_pack_int(pk, r->severity) == 0 &&
	    msgpack_pack_int(pk, (r->due_fired ? RECOVERY_DUE_FIRED : 0) | (r->rated ? RECOVERY_RATED : 0)) == 0;
}

/* See clock_record.h. */
bool
clock_record_pack(msgpack_packer *pk, const struct clock_state *s, const struct clock_names *names,
    const struct recovery *recovery)
{
	unsigned char buf[CLOCK_BIN_MAX];
	struct clock_bytes b = {buf, buf + sizeof(buf), true};
	bool named = clock_holds_names(s);
	const struct terms *t = s->terms;
	const struct clock_extra *x = s->extra;
	static const struct clock_run idle;

	if (msgpack_pack_array(pk, recovery != NULL ? CLOCK_V3_RECOVERY_LEN : CLOCK_V2_LEN) != 0 ||
	    msgpack_pack_int(pk, CLOCK_RECORD_V3) != 0 ||
	    !clock_pack_str(pk, t != NULL ? t->policy : "") ||
	    !clock_pack_str(pk, t != NULL ? t->calendar_name : "") ||
	    !clock_pack_str(pk, named ? clock_record_name(names, s->agent) : "") ||
	    !clock_pack_str(pk, named ? clock_record_name(names, s->category) : ""))
		return false;
	if (t != NULL) {
		clock_put_var(&b, t->pause_mask);
		for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
			for (int k = 0; k < TERMS_KINDS; k++)
				clock_put_var(&b, t->goals[g].target_ms[k]);
			clock_put_var(&b, t->goals[g].promise_ms);
			clock_put_var(&b, t->goals[g].at_risk_permille);
		}
	}
	if (!clock_pack_bin(pk, buf, &b))
		return false;
	b.p = buf;
	clock_put_run(&b, s, &s->reply, s->when);
	clock_put_run(&b, s, x != NULL ? &x->resolution : &idle, x != NULL ? x->settle_at : 0);
	if (!clock_pack_bin(pk, buf, &b))
		return false;
	b.p = buf;
	clock_put_var(&b, x != NULL ? x->early : 0);
	clock_put_var(&b, x != NULL ? x->expires : 0);
	clock_put_var(&b, named || (x != NULL && x->expires > 0) ? 0 : s->when);
	clock_put(&b, (s->replied ? TICKET_REPLIED : 0) | (s->solved ? TICKET_SOLVED : 0), 1);
	if (!clock_pack_bin(pk, buf, &b))
		return false;
	b.p = buf;
	for (size_t i = 0; x != NULL && x->pauses != NULL && i < x->pauses->n; i++) {
		clock_put_var(&b, x->pauses->at[i].ts);
		clock_put(&b, x->pauses->at[i].status, 1);
	}
	return clock_pack_bin(pk, buf, &b) && (recovery == NULL || clock_pack_recovery(pk, recovery));
}

/* Reads a string member of at most EVENT_ID_MAX bytes (POLICY_NAME_MAX - 1 for names), at least min. */
static bool
clock_str(const msgpack_object *o, size_t min, size_t max, struct clock_text *out)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size < min || o->via.str.size > max)
		return false;
	/* msgpack gives an empty string no pointer; memcpy and the callers need one. */
	out->ptr = o->via.str.size > 0 ? o->via.str.ptr : "";
	out->len = o->via.str.size;
	return true;
}

/* A binary member as a cursor. */
static bool
clock_bin(const msgpack_object *o, struct clock_bytes *b)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return false;
	b->p = (unsigned char *)(uintptr_t)o->via.bin.ptr;
	b->end = b->p + o->via.bin.size;
	b->ok = true;
	return true;
}

/* Copies a name member into a fixed buffer. */
static bool
clock_name_into(const msgpack_object *o, char out[POLICY_NAME_MAX])
{
	struct clock_text t;

	if (!clock_str(o, 0, POLICY_NAME_MAX - 1, &t))
		return false;
	memcpy(out, t.ptr, t.len);
	out[t.len] = '\0';
	return true;
}

/* Reads the terms binary: empty (none yet) or whole. */
static bool
clock_get_terms(struct clock_bytes *b, struct clock_record *rec)
{
	struct terms *t = &rec->terms;
	int64_t mask, permille;

	if (b->p == b->end)
		return true;
	rec->has_terms = true;
	mask = clock_get_var(b);
	t->pause_mask = (unsigned)mask;
	b->ok &= mask >= 0 && mask < 1 << TICKET_STATUS_COUNT;
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		for (int k = 0; k < TERMS_KINDS; k++)
			t->goals[g].target_ms[k] = clock_get_var(b);
		t->goals[g].promise_ms = clock_get_var(b);
		permille = clock_get_var(b);
		t->goals[g].at_risk_permille = (uint16_t)permille;
		b->ok &= permille >= 0 && permille <= 1000;
		for (int k = 0; k < TERMS_KINDS; k++)
			b->ok &= t->goals[g].target_ms[k] >= 0 && t->goals[g].target_ms[k] <= INT64_MAX / 1000;
		b->ok &= t->goals[g].promise_ms >= 0;
	}
	return b->ok && b->p == b->end;
}

/* A clock as a record holds it: the clock, its settle time and the starts of its fired episodes. */
struct clock_record_run {
	struct clock_run r;
	int64_t settle_at;
	int64_t since[CLOCK_EPISODES];
};

/* Reads one clock. */
static void
clock_get_run(struct clock_bytes *b, struct clock_record_run *d)
{
	struct clock_run *r = &d->r;
	unsigned flags;

	r->start = clock_get_var(b);
	r->created = clock_get_var(b);
	d->settle_at = clock_get_var(b);
	r->state = (uint8_t)clock_get(b, 1);
	r->goal = (uint8_t)clock_get(b, 1);
	r->kind = (uint8_t)clock_get(b, 1);
	flags = (unsigned)clock_get(b, 1);
	r->risk_fired = flags & RUN_RISK_FIRED;
	r->breach_counted = flags & RUN_BREACH_COUNTED;
	r->promise_fired = flags & RUN_PROMISE_FIRED;
	for (int e = 0; e < CLOCK_EPISODES; e++)
		d->since[e] = clock_get_var(b);
	b->ok &= (flags & ~(unsigned)(RUN_RISK_FIRED | RUN_BREACH_COUNTED | RUN_PROMISE_FIRED)) == 0 &&
	    r->state <= RUN_SETTLING && r->goal < POLICY_TARGET_COUNT && r->kind < CLOCK_KIND_COUNT;
}

/* Reads the timeline binary; empty is none. */
static bool
clock_get_timeline(struct clock_bytes *b, struct pauses *p)
{
	for (size_t n = 0; b->p < b->end; n++) {
		int64_t ts = clock_get_var(b);
		unsigned st = (unsigned)clock_get(b, 1);

		if (!b->ok || n == PAUSES_MAX || st >= TICKET_STATUS_COUNT ||
		    !pauses_note(p, ts, (enum ticket_status)st))
			return false;
	}
	return true;
}

/* Puts what a record says beside the reply clock into the state's extras, made when anything needs them. */
static bool
clock_put_extra(struct clock_state *s, const struct clock_record_run *d, const struct pauses *p,
    int64_t early, int64_t expires)
{
	struct clock_extra *x;

	if (d[1].r.state == RUN_IDLE && expires == 0 && p->n == 0 && d[0].since[CLOCK_RISK] == 0 &&
	    d[0].since[CLOCK_BREACH] == 0 && d[0].since[CLOCK_PROMISE] == 0)
		return true;
	if ((x = s->extra = calloc(1, sizeof(*x))) == NULL ||
	    (p->n > 0 && (x->pauses = malloc(sizeof(*p))) == NULL))
		return false;
	if (p->n > 0)
		*x->pauses = *p;
	x->resolution = d[1].r;
	x->settle_at = d[1].settle_at;
	x->early = early;
	x->expires = expires;
	memcpy(x->since[0], d[0].since, sizeof(x->since[0]));
	memcpy(x->since[1], d[1].since, sizeof(x->since[1]));
	return true;
}

/* Fills a state from a version-2 record's members. */
static bool
clock_unpack_v2(const msgpack_object *m, struct clock_state *s, struct clock_record *rec)
{
	struct clock_record_run d[2];
	struct pauses p = {0};
	struct clock_bytes b;
	int64_t early, expires, forget_at;
	unsigned flags;

	if (!clock_name_into(&m[1], rec->terms.policy) || !clock_name_into(&m[2], rec->terms.calendar_name) ||
	    !clock_str(&m[3], 0, EVENT_ID_MAX, &rec->agent) || !clock_str(&m[4], 0, EVENT_ID_MAX, &rec->category) ||
	    !clock_bin(&m[5], &b) || !clock_get_terms(&b, rec) || !clock_bin(&m[6], &b))
		return false;
	clock_get_run(&b, &d[0]);
	clock_get_run(&b, &d[1]);
	if (!b.ok || b.p != b.end || !clock_bin(&m[7], &b))
		return false;
	early = clock_get_var(&b);
	expires = clock_get_var(&b);
	forget_at = clock_get_var(&b);
	flags = (unsigned)clock_get(&b, 1);
	if (!b.ok || b.p != b.end || (flags & ~(unsigned)(TICKET_REPLIED | TICKET_SOLVED)) != 0 || expires < 0 ||
	    !clock_bin(&m[8], &b) || !clock_get_timeline(&b, &p) || !clock_put_extra(s, d, &p, early, expires))
		return false;
	s->reply = d[0].r;
	s->replied = flags & TICKET_REPLIED;
	s->solved = flags & TICKET_SOLVED;
	s->when = s->reply.state == RUN_SETTLING ? d[0].settle_at : clock_holds_names(s) || expires > 0 ? 0 : forget_at;
	/* Running clocks need terms to run under, and names to be credited to. */
	return (rec->has_terms || !clock_holds_names(s)) && (!clock_holds_names(s) || rec->agent.len > 0);
}

/* Reads a version-3 record's recovery members into a new recovery; false when malformed or out of memory. */
static bool
clock_unpack_recovery(const msgpack_object *m, struct clock_record *rec)
{
	struct clock_text agent;
	int64_t complaint, created, answered, followed, severity, flags;

	if (!clock_str(&m[0], 1, EVENT_ID_MAX, &agent) || !mpack_int(&m[1], 0, INT64_MAX, &complaint) ||
	    !mpack_int(&m[2], 0, INT64_MAX, &created) ||
	    !mpack_int(&m[3], RECOVERY_NONE, INT64_MAX, &answered) ||
	    !mpack_int(&m[4], RECOVERY_NONE, INT64_MAX, &followed) ||
	    !mpack_int(&m[5], SEVERITY_LOW, SEVERITY_CRITICAL, &severity) ||
	    !mpack_int(&m[6], 0, RECOVERY_DUE_FIRED | RECOVERY_RATED, &flags) ||
	    (rec->recovery = recovery_new(agent.ptr, agent.len, (enum severity)severity, complaint, created)) == NULL)
		return false;
	rec->recovery->answered = answered;
	rec->recovery->followed = followed;
	rec->recovery->due_fired = flags & RECOVERY_DUE_FIRED;
	rec->recovery->rated = flags & RECOVERY_RATED;
	return true;
}

/* Fills a state from a version-1 record (one reply clock, the default policy's, in wall time). */
static bool
clock_unpack_v1(const msgpack_object *m, size_t n, struct clock_state *s, struct clock_record *rec)
{
	struct clock_run *r = &s->reply;
	int64_t phase, permille, kind, early, expires;

	if (!mpack_int(&m[1], 0, CLOCK_V1_OVERDUE, &phase))
		return false;
	if (phase == 0)
		return n == CLOCK_V1_IDLE_LEN;
	if (phase == 1) {
		if (n != CLOCK_V1_EARLY_LEN || !mpack_int(&m[2], INT64_MIN, INT64_MAX, &early) ||
		    !mpack_int(&m[3], 1, INT64_MAX, &expires) || (s->extra = calloc(1, sizeof(*s->extra))) == NULL)
			return false;
		s->extra->early = early;
		s->extra->expires = expires;
		return true;
	}
	if (n != CLOCK_V1_RUNNING_LEN || !mpack_int(&m[2], INT64_MIN, INT64_MAX, &r->start) ||
	    !mpack_int(&m[3], INT64_MIN, INT64_MAX, &r->created) ||
	    !mpack_int(&m[4], 0, INT64_MAX / 1000, &rec->v1_target) || !mpack_int(&m[5], 0, 1000, &permille) ||
	    !mpack_int(&m[6], 0, CLOCK_KIND_COUNT - 1, &kind) || m[7].type != MSGPACK_OBJECT_BOOLEAN ||
	    !clock_str(&m[8], 1, EVENT_ID_MAX, &rec->agent) || !clock_str(&m[9], 0, EVENT_ID_MAX, &rec->category))
		return false;
	rec->v1_running = true;
	rec->v1_at_risk_permille = (uint16_t)permille;
	r->state = phase == CLOCK_V1_OVERDUE ? RUN_OVERDUE : RUN_OPEN;
	r->breach_counted = phase == CLOCK_V1_OVERDUE;
	r->goal = POLICY_FIRST_REPLY;
	r->kind = (uint8_t)kind;
	r->risk_fired = m[7].via.boolean;
	/* What fired keeps its start, as version 2's restores do: wall time, start + its span. */
	if ((r->risk_fired || r->breach_counted) && (s->extra = calloc(1, sizeof(*s->extra))) == NULL)
		return false;
	if (r->risk_fired)
		s->extra->since[0][CLOCK_RISK] = r->start + rec->v1_target * permille / 1000;
	if (r->breach_counted)
		s->extra->since[0][CLOCK_BREACH] = r->start + rec->v1_target;
	return true;
}

/*
 * The bytes of the scalar, string or binary member at p (type byte and payload), or 0 for
 * anything else: unpacking an array, map or ext allocates what its header claims, before any check.
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

/* Whether buf is exactly one short array of scalars, strings and binaries: cheap to unpack. */
static bool
clock_flat(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t off = 1;
	uint64_t size;
	unsigned n;

	/* A fixarray, or the array 16 of a record with a recovery (16 members). */
	if (len >= 3 && p[0] == 0xdc && (n = (unsigned)p[1] << 8 | p[2]) == CLOCK_V3_RECOVERY_LEN)
		off = 3;
	else if (len > 0 && (p[0] & 0xf0) == 0x90)
		n = p[0] & 0x0f;
	else
		return false;
	for (; n > 0; n--) {
		if (off >= len)
			return false;
		size = clock_member_size(p + off, len - off);
		if (size == 0 || size > len - off)
			return false;
		off += (size_t)size;
	}
	return off == len;
}

/* Reads an unpacked record of either version. */
static bool
clock_unpack(const msgpack_object *o, struct clock_state *s, struct clock_record *rec)
{
	const msgpack_object *m;
	int64_t version;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < CLOCK_V1_IDLE_LEN)
		return false;
	m = o->via.array.ptr;
	if (!mpack_int(&m[0], CLOCK_RECORD_V1, CLOCK_RECORD_V3, &version))
		return false;
	if (version == CLOCK_RECORD_V1)
		return clock_unpack_v1(m, o->via.array.size, s, rec);
	if (o->via.array.size == CLOCK_V3_RECOVERY_LEN && version == CLOCK_RECORD_V3)
		return clock_unpack_v2(m, s, rec) && clock_unpack_recovery(&m[CLOCK_V2_LEN], rec);
	return o->via.array.size == CLOCK_V2_LEN && clock_unpack_v2(m, s, rec);
}

/* See clock_record.h. */
bool
clock_record_decode(const char *buf, size_t len, struct clock_state *s, struct clock_record *rec)
{
	msgpack_zone zone;
	msgpack_object o;
	size_t off = 0;
	bool ok;

	memset(s, 0, sizeof(*s));
	memset(rec, 0, sizeof(*rec));
	rec->agent.ptr = rec->category.ptr = "";
	if (!clock_flat(buf, len))
		return false;
	/* One chunk holds a whole record's objects, so the zone allocates once. */
	if (!msgpack_zone_init(&zone, CLOCK_V3_RECOVERY_LEN * sizeof(msgpack_object)))
		return false;
	/* SUCCESS means all of buf was used (else EXTRA_BYTES). */
	ok = msgpack_unpack(buf, len, &off, &zone, &o) == MSGPACK_UNPACK_SUCCESS && clock_unpack(&o, s, rec);
	msgpack_zone_destroy(&zone);
	if (!ok) {
		clock_clear(s);
		free(rec->recovery);
		memset(rec, 0, sizeof(*rec));
		rec->agent.ptr = rec->category.ptr = "";
	}
	return ok;
}
