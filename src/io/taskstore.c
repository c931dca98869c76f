/* taskstore.c: one task's checkpoint in Redis, every key in one cluster slot (I/O adapter). */
#include "taskstore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyslot.h"
#include "log.h"

/* Fields per HSCAN page: a page of ~2.5 KB agent blobs is a few MB at most. */
#define TASKSTORE_SCAN_COUNT "1000"
/* Dedupe records per GETRANGE page: 1 MiB. */
#define TASKSTORE_RANGE_RECORDS 65536
/* Room for an int64 in decimal, sign and NUL included. */
#define TASKSTORE_NUM 24
/* The commit script's KEYS before the dedupe segments: meta, then one hash per kind. */
#define TASKSTORE_FIXED_KEYS (1 + TASKSTORE_KINDS)
/* Room for the start shared by a group's task keys (taskstore_group_keys). */
#define TASKSTORE_KEY_START 1024

/* The task's fixed keys after its base: meta, then the hash of each kind. */
static const char *const taskstore_key_names[TASKSTORE_FIXED_KEYS] = {
	"meta",
	[1 + TASKSTORE_AGENT] = "agents",
	[1 + TASKSTORE_TICKET] = "tickets",
	[1 + TASKSTORE_OUTBOX] = "outbox",
};

/* One put or delete; id and blob are offsets into the change set's buffer. */
struct taskstore_op {
	enum taskstore_kind kind;
	bool del;
	size_t id, id_len, blob, blob_len;
};

/* The dedupe records one commit appends to one segment. */
struct taskstore_segment {
	int64_t seg;
	unsigned char *data;
	size_t len, cap;
};

struct taskstore_changes {
	int64_t segment_ms;
	struct taskstore_op *ops;
	size_t nops, ops_cap;
	char *buf;                        /* ids, blobs and positions */
	size_t len, cap;
	bool has_pos;
	size_t pos, pos_len;
	struct taskstore_segment *segs;   /* [0, nsegs) in use, up to nalloc with buffers kept */
	size_t nsegs, nalloc, segs_cap;
	size_t bytes;                     /* what taskstore_changes_bytes reports */
};

/* Where a restore is. */
enum taskstore_phase {
	TASKSTORE_META,
	TASKSTORE_SCAN,
	TASKSTORE_SEGMENTS
};

struct taskstore {
	struct redis *r;
	char *keys[TASKSTORE_FIXED_KEYS]; /* meta, then the hashes by kind */
	size_t key_lens[TASKSTORE_FIXED_KEYS];
	char *seg_key;                    /* the base, then room for "dd:" and a number */
	size_t base_len;
	int64_t segment_ms;
	uint64_t gen;                     /* claimed generation; 0 before a claim */
	uint64_t seq;                     /* last applied commit */
	bool restored;                    /* seq is known under gen: commits may go */
	bool busy, freed;
	/* the call in flight */
	taskstore_claim_fn claim_fn;
	taskstore_commit_fn commit_fn;
	struct taskstore_restore_fns fns;
	void *arg;
	uint64_t commit_seq;
	const struct redis_wait *wait; /* replicas a commit must reach before it counts; NULL: none */
	int wait_replicas;                /* what the WAIT in flight asks for */
	char *call;                       /* the commit being made, as RESP, until answered OK or FENCED */
	size_t call_len;
	enum taskstore_phase phase;
	int kind;
	char cursor[TASKSTORE_NUM];
	int64_t seg, seg_last;
	size_t offset;
};

/*
 * A change set keeps a buffer for the next flush up to this size (a flush of a few thousand
 * events reuses its pages), and gives back a larger one.
 */
#define TASKSTORE_KEEP (4 * 1024 * 1024)

/* Frees an array of cap elements of size elem when it is larger than TASKSTORE_KEEP. */
static void taskstore_shrink(void **p, size_t *cap, size_t elem)
{
	if (*cap * elem > TASKSTORE_KEEP) {
		free(*p);
		*p = NULL;
		*cap = 0;
	}
}

/* Grows an array to hold need elements of size elem; false when out of memory. */
static bool taskstore_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap != 0 ? *cap : 16;
	void *np;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	np = realloc(*p, n * elem);
	if (np == NULL)
		return false;
	*p = np;
	*cap = n;
	return true;
}

/* Floor division, so a segment is right for expiries before the epoch too. */
static int64_t taskstore_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Writes the key of dedupe segment seg into ts->seg_key; returns its length. */
static size_t taskstore_seg_key(struct taskstore *ts, int64_t seg)
{
	return ts->base_len + (size_t)sprintf(ts->seg_key + ts->base_len, "dd:%" PRId64, seg);
}

/* Parses a reply string as an unsigned decimal; 0 for anything else (never a valid gen). */
static uint64_t taskstore_number(const redisReply *r)
{
	char num[TASKSTORE_NUM], *end;
	uint64_t v;

	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= sizeof(num))
		return 0;
	memcpy(num, r->str, r->len);
	num[r->len] = '\0';
	v = strtoull(num, &end, 10);
	return *end == '\0' ? v : 0;
}

/* Forgets the commit call kept for a retry. */
static void taskstore_drop_call(struct taskstore *ts)
{
	free(ts->call);
	ts->call = NULL;
}

/* Frees a task's own memory. */
static void taskstore_destroy(struct taskstore *ts)
{
	taskstore_drop_call(ts);
	for (int i = 0; i < TASKSTORE_FIXED_KEYS; i++)
		free(ts->keys[i]);
	free(ts->seg_key);
	free(ts);
}

/* See taskstore.h. */
bool taskstore_group_keys(const char *prefix, const char *group, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%stask:{%s:", prefix, group);

	return n >= 0 && (size_t)n < size;
}

/* See taskstore.h. */
struct taskstore *taskstore_new(struct redis *r, const char *prefix, const char *group,
    int partition, int64_t segment_ms, const struct redis_wait *wait)
{
	struct taskstore *ts;
	char *base = NULL, start[TASKSTORE_KEY_START];
	bool ok;
	int n;

	if (strchr(prefix, '{') != NULL || strpbrk(group, "{}") != NULL || segment_ms <= 0)
		return NULL;
	ts = calloc(1, sizeof(*ts));
	n = ts != NULL && taskstore_group_keys(prefix, group, start, sizeof(start)) ?
	    asprintf(&base, "%s%d}:", start, partition) : -1;
	if (n < 0) {
		free(ts);
		return NULL;
	}
	ts->r = r;
	ts->segment_ms = segment_ms;
	ts->wait = wait;
	ts->base_len = (size_t)n;
	ts->seg_key = malloc(ts->base_len + sizeof("dd:") + TASKSTORE_NUM);
	ok = ts->seg_key != NULL;
	if (ok)
		memcpy(ts->seg_key, base, ts->base_len);
	for (int i = 0; ok && i < TASKSTORE_FIXED_KEYS; i++) {
		n = asprintf(&ts->keys[i], "%s%s", base, taskstore_key_names[i]);
		ok = n >= 0;
		ts->keys[i] = ok ? ts->keys[i] : NULL; /* asprintf leaves it undefined on failure */
		ts->key_lens[i] = ok ? (size_t)n : 0;
	}
	free(base);
	if (!ok) {
		taskstore_destroy(ts);
		return NULL;
	}
	return ts;
}

/* See taskstore.h. */
unsigned taskstore_slot(const struct taskstore *ts)
{
	return keyslot(ts->keys[0], ts->key_lens[0]);
}

/* See taskstore.h. */
bool taskstore_busy(const struct taskstore *ts)
{
	return ts->busy;
}

/* See taskstore.h. */
void taskstore_free(struct taskstore *ts)
{
	if (ts == NULL)
		return;
	if (ts->busy)
		ts->freed = true; /* the reply callback frees it */
	else
		taskstore_destroy(ts);
}

/* Ends the call in flight; true (and the task freed) when its owner freed it meanwhile. */
static bool taskstore_end(struct taskstore *ts)
{
	ts->busy = false;
	if (!ts->freed)
		return false;
	taskstore_destroy(ts);
	return true;
}

/* The claim's reply: HINCRBY's new generation. */
static void taskstore_on_claim(void *arg, redisReply *reply)
{
	struct taskstore *ts = arg;
	bool ok = reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;

	if (taskstore_end(ts))
		return;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_limited(LOG_ERR, "taskstore", "taskstore: claim of %s: %s", ts->keys[0], reply->str);
	if (ok) {
		ts->gen = (uint64_t)reply->integer;
		ts->restored = false; /* the last applied commit is learnt again under this generation */
	}
	ts->claim_fn(ts->arg, ok ? TASKSTORE_OK : TASKSTORE_FAILED, ok ? ts->gen : 0);
}

/* See taskstore.h. */
bool taskstore_claim(struct taskstore *ts, taskstore_claim_fn fn, void *arg)
{
	const char *argv[] = {"HINCRBY", ts->keys[0], "gen", "1"};
	const size_t lens[] = {7, ts->key_lens[0], 3, 1};

	if (ts->busy || !redis_command(ts->r, taskstore_slot(ts), 4, argv, lens, taskstore_on_claim, ts))
		return false;
	taskstore_drop_call(ts); /* it carries the old generation */
	ts->busy = true;
	ts->claim_fn = fn;
	ts->arg = arg;
	return true;
}

/* Ends a restore with res; nothing touches ts after done, which may free it. */
static void taskstore_restore_end(struct taskstore *ts, enum taskstore_result res)
{
	if (taskstore_end(ts))
		return;
	ts->fns.done(ts->arg, res);
}

/* The restore's reply callback. */
static void taskstore_on_restore(void *arg, redisReply *reply);

/* Sends the restore's next read: the next HSCAN page or GETRANGE page, or finishes. */
static void taskstore_restore_next(struct taskstore *ts)
{
	char from[TASKSTORE_NUM], to[TASKSTORE_NUM];
	const char *argv[5];
	size_t lens[5], klen;
	bool sent;

	if (ts->phase == TASKSTORE_SCAN) {
		argv[0] = "HSCAN";
		argv[1] = ts->keys[1 + ts->kind];
		argv[2] = ts->cursor;
		argv[3] = "COUNT";
		argv[4] = TASKSTORE_SCAN_COUNT;
		sent = redis_command(ts->r, taskstore_slot(ts), 5, argv, NULL, taskstore_on_restore, ts);
	} else if (ts->seg <= ts->seg_last) {
		klen = taskstore_seg_key(ts, ts->seg);
		argv[0] = "GETRANGE";
		argv[1] = ts->seg_key;
		argv[2] = from;
		argv[3] = to;
		lens[0] = 8;
		lens[1] = klen;
		lens[2] = (size_t)sprintf(from, "%zu", ts->offset);
		lens[3] = (size_t)sprintf(to, "%zu", ts->offset + TASKSTORE_RANGE_RECORDS * TASKSTORE_DEDUPE_SIZE - 1);
		sent = redis_command(ts->r, taskstore_slot(ts), 4, argv, lens, taskstore_on_restore, ts);
	} else {
		taskstore_restore_end(ts, TASKSTORE_OK);
		return;
	}
	if (!sent)
		taskstore_restore_end(ts, TASKSTORE_FAILED);
}

/* The meta reply [gen, seq, pos]; false when it is not one. */
static bool taskstore_restore_meta(struct taskstore *ts, const redisReply *reply, bool *fenced)
{
	uint64_t gen, seq;
	const redisReply *pos;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
		return false;
	gen = taskstore_number(reply->element[0]);
	seq = taskstore_number(reply->element[1]);
	pos = reply->element[2];
	/* A claim since ours makes this checkpoint another owner's: report it, stop. */
	*fenced = ts->gen != 0 && gen != ts->gen;
	if (*fenced)
		return true;
	if (ts->gen != 0) {
		ts->seq = seq;
		ts->restored = true;
	}
	ts->fns.meta(ts->arg, gen, seq, pos->type == REDIS_REPLY_STRING ? pos->str : NULL,
	    pos->type == REDIS_REPLY_STRING ? pos->len : 0);
	return true;
}

/* One HSCAN page [cursor, [field, value, ...]]; false when it is not one. */
static bool taskstore_restore_page(struct taskstore *ts, const redisReply *reply)
{
	const redisReply *items;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING || reply->element[0]->len >= sizeof(ts->cursor) ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY || reply->element[1]->elements % 2 != 0)
		return false;
	items = reply->element[1];
	for (size_t i = 0; i < items->elements; i++)
		if (items->element[i]->type != REDIS_REPLY_STRING)
			return false;
	for (size_t i = 0; i < items->elements; i += 2)
		ts->fns.entry(ts->arg, (enum taskstore_kind)ts->kind, items->element[i]->str,
		    items->element[i]->len, items->element[i + 1]->str, items->element[i + 1]->len);
	memcpy(ts->cursor, reply->element[0]->str, reply->element[0]->len);
	ts->cursor[reply->element[0]->len] = '\0';
	if (strcmp(ts->cursor, "0") == 0 && ++ts->kind == TASKSTORE_KINDS)
		ts->phase = TASKSTORE_SEGMENTS;
	return true;
}

/* One GETRANGE page of whole records; false when it is not one. */
static bool taskstore_restore_range(struct taskstore *ts, const redisReply *reply)
{
	if (reply->type != REDIS_REPLY_STRING || reply->len % TASKSTORE_DEDUPE_SIZE != 0)
		return false;
	if (reply->len > 0)
		ts->fns.dedupe(ts->arg, (const unsigned char *)reply->str, reply->len / TASKSTORE_DEDUPE_SIZE);
	if (reply->len == TASKSTORE_RANGE_RECORDS * TASKSTORE_DEDUPE_SIZE) {
		ts->offset += reply->len;
	} else {
		ts->seg++;
		ts->offset = 0;
	}
	return true;
}

/* See above. */
static void taskstore_on_restore(void *arg, redisReply *reply)
{
	struct taskstore *ts = arg;
	bool ok, fenced = false;

	if (ts->freed) {
		taskstore_end(ts);
		return;
	}
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		if (reply != NULL)
			log_limited(LOG_ERR, "taskstore", "taskstore: restore of %s: %s", ts->keys[0], reply->str);
		taskstore_restore_end(ts, TASKSTORE_FAILED);
		return;
	}
	if (ts->phase == TASKSTORE_META) {
		ok = taskstore_restore_meta(ts, reply, &fenced);
		ts->phase = TASKSTORE_SCAN;
	} else if (ts->phase == TASKSTORE_SCAN) {
		ok = taskstore_restore_page(ts, reply);
	} else {
		ok = taskstore_restore_range(ts, reply);
	}
	if (!ok || fenced)
		taskstore_restore_end(ts, fenced ? TASKSTORE_FENCED : TASKSTORE_FAILED);
	else
		taskstore_restore_next(ts);
}

/* See taskstore.h. */
bool taskstore_restore(struct taskstore *ts, int64_t now_ms, int64_t horizon_ms,
    const struct taskstore_restore_fns *fns, void *arg)
{
	const char *argv[] = {"HMGET", ts->keys[0], "gen", "seq", "pos"};
	const size_t lens[] = {5, ts->key_lens[0], 3, 3, 3};

	if (ts->busy || !redis_command(ts->r, taskstore_slot(ts), 5, argv, lens, taskstore_on_restore, ts))
		return false;
	ts->busy = true;
	ts->fns = *fns;
	ts->arg = arg;
	ts->phase = TASKSTORE_META;
	ts->kind = 0;
	strcpy(ts->cursor, "0");
	/*
	 * A record expiring at e lives in segment floor(e / S): these hold all not yet expired.
	 * One segment more, as the writer's clock may have been ahead of ours (and expiries are
	 * rounded up to a second): a record it wrote may expire after our now + horizon.
	 */
	ts->seg = taskstore_floor_div(now_ms, ts->segment_ms);
	ts->seg_last = taskstore_floor_div(now_ms + horizon_ms, ts->segment_ms) + 1;
	ts->offset = 0;
	return true;
}

/* See taskstore.h. */
struct taskstore_changes *taskstore_changes_new(const struct taskstore *ts)
{
	struct taskstore_changes *cs = calloc(1, sizeof(*cs));

	if (cs != NULL)
		cs->segment_ms = ts->segment_ms;
	return cs;
}

/* See taskstore.h. */
void taskstore_changes_clear(struct taskstore_changes *cs)
{
	cs->nops = 0;
	cs->len = 0;
	cs->has_pos = false;
	cs->nsegs = 0;
	cs->bytes = 0;
	/* A burst's flush may have grown them to tens of MB: that is not kept for the quiet ones. */
	taskstore_shrink((void **)&cs->ops, &cs->ops_cap, sizeof(*cs->ops));
	taskstore_shrink((void **)&cs->buf, &cs->cap, 1);
	for (size_t i = 0; i < cs->nalloc; i++)
		taskstore_shrink((void **)&cs->segs[i].data, &cs->segs[i].cap, 1);
}

/* Frees every buffer of cs, emptied. */
static void taskstore_changes_drop(struct taskstore_changes *cs)
{
	for (size_t i = 0; i < cs->nalloc; i++)
		free(cs->segs[i].data);
	free(cs->segs);
	free(cs->ops);
	free(cs->buf);
}

/* See taskstore.h. */
void taskstore_changes_release(struct taskstore_changes *cs)
{
	int64_t segment_ms = cs->segment_ms;

	taskstore_changes_drop(cs);
	*cs = (struct taskstore_changes){.segment_ms = segment_ms};
}

/* See taskstore.h. */
void taskstore_changes_free(struct taskstore_changes *cs)
{
	if (cs == NULL)
		return;
	taskstore_changes_drop(cs);
	free(cs);
}

/* Copies len bytes into cs's buffer; returns their offset, or SIZE_MAX when out of memory. */
static size_t taskstore_changes_copy(struct taskstore_changes *cs, const void *p, size_t len)
{
	size_t at = cs->len;

	if (!taskstore_grow((void **)&cs->buf, &cs->cap, cs->len + len + 1, 1))
		return SIZE_MAX;
	if (len > 0)
		memcpy(cs->buf + at, p, len);
	cs->len += len;
	cs->bytes += len;
	return at;
}

/* Records one put (blob != NULL) or delete. */
static bool taskstore_changes_op(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id,
    size_t id_len, const void *blob, size_t blob_len)
{
	struct taskstore_op op = {.kind = kind, .del = blob == NULL, .id_len = id_len, .blob_len = blob_len};
	size_t len = cs->len, bytes = cs->bytes;

	if (!taskstore_grow((void **)&cs->ops, &cs->ops_cap, cs->nops + 1, sizeof(*cs->ops)))
		return false;
	op.id = taskstore_changes_copy(cs, id, id_len);
	op.blob = op.id != SIZE_MAX && blob != NULL ? taskstore_changes_copy(cs, blob, blob_len) : 0;
	if (op.id == SIZE_MAX || op.blob == SIZE_MAX) {
		cs->len = len; /* no half op */
		cs->bytes = bytes;
		return false;
	}
	cs->ops[cs->nops++] = op;
	return true;
}

/* See taskstore.h. */
bool taskstore_put(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id,
    size_t id_len, const void *blob, size_t blob_len)
{
	/* A put always carries a blob, even an empty one, which tells it from a delete. */
	return taskstore_changes_op(cs, kind, id, id_len, blob != NULL ? blob : "", blob_len);
}

/* See taskstore.h. */
bool taskstore_del(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id,
    size_t id_len)
{
	return taskstore_changes_op(cs, kind, id, id_len, NULL, 0);
}

/* See taskstore.h. */
bool taskstore_dedupe(struct taskstore_changes *cs, const unsigned char record[TASKSTORE_DEDUPE_SIZE],
    int64_t expiry_ms)
{
	int64_t seg = taskstore_floor_div(expiry_ms, cs->segment_ms);
	struct taskstore_segment *s = NULL;

	/* A flush's records expire close together: a handful of segments, searched linearly. */
	for (size_t i = 0; i < cs->nsegs && s == NULL; i++)
		if (cs->segs[i].seg == seg)
			s = &cs->segs[i];
	if (s == NULL) {
		if (cs->nsegs == cs->nalloc) {
			if (!taskstore_grow((void **)&cs->segs, &cs->segs_cap, cs->nalloc + 1, sizeof(*cs->segs)))
				return false;
			cs->segs[cs->nalloc++] = (struct taskstore_segment){0};
		}
		s = &cs->segs[cs->nsegs++];
		s->seg = seg;
		s->len = 0;
	}
	if (!taskstore_grow((void **)&s->data, &s->cap, s->len + TASKSTORE_DEDUPE_SIZE, 1))
		return false;
	memcpy(s->data + s->len, record, TASKSTORE_DEDUPE_SIZE);
	s->len += TASKSTORE_DEDUPE_SIZE;
	cs->bytes += TASKSTORE_DEDUPE_SIZE;
	return true;
}

/* See taskstore.h. */
bool taskstore_positions(struct taskstore_changes *cs, const void *pos, size_t pos_len)
{
	size_t at = taskstore_changes_copy(cs, pos, pos_len);

	if (at == SIZE_MAX)
		return false;
	cs->has_pos = true;
	cs->pos = at;
	cs->pos_len = pos_len;
	return true;
}

/* See taskstore.h. */
size_t taskstore_changes_bytes(const struct taskstore_changes *cs)
{
	return cs->bytes;
}

/* A commit's script arguments, KEYS first, pointing into the change set and nums. */
struct taskstore_args {
	const char **argv;
	size_t *lens;
	int argc;
	char (*nums)[TASKSTORE_NUM];
	size_t nnums;
};

/* Appends one argument. */
static void taskstore_arg(struct taskstore_args *a, const char *p, size_t len)
{
	a->argv[a->argc] = p;
	a->lens[a->argc++] = len;
}

/* Appends one number argument, written into the next free nums slot. */
static void taskstore_arg_num(struct taskstore_args *a, int64_t v)
{
	char *num = a->nums[a->nnums++];

	taskstore_arg(a, num, (size_t)sprintf(num, "%" PRId64, v));
}

/* Appends a group's header: op, the 1-based index of its key among KEYS, and its count. */
static void taskstore_arg_group(struct taskstore_args *a, const char *op, int key, size_t n)
{
	taskstore_arg(a, op, strlen(op));
	taskstore_arg_num(a, key);
	taskstore_arg_num(a, (int64_t)n);
}

/* The end of the run of ops from i on that share a kind and a direction: one group. */
static size_t taskstore_run_end(const struct taskstore_changes *cs, size_t i)
{
	size_t j = i + 1;

	while (j < cs->nops && cs->ops[j].kind == cs->ops[i].kind && cs->ops[j].del == cs->ops[i].del)
		j++;
	return j;
}

/* Fills a's arguments for cs: KEYS, gen, seq, then positions, op runs in order, appends. */
static void taskstore_fill(struct taskstore *ts, const struct taskstore_changes *cs,
    struct taskstore_args *a, char *seg_keys, size_t seg_key_size)
{
	for (int k = 0; k < TASKSTORE_FIXED_KEYS; k++)
		taskstore_arg(a, ts->keys[k], ts->key_lens[k]);
	for (size_t s = 0; s < cs->nsegs; s++) {
		size_t len = taskstore_seg_key(ts, cs->segs[s].seg);

		memcpy(seg_keys + s * seg_key_size, ts->seg_key, len);
		taskstore_arg(a, seg_keys + s * seg_key_size, len);
	}
	taskstore_arg_num(a, (int64_t)ts->gen);
	taskstore_arg_num(a, (int64_t)ts->commit_seq);
	if (cs->has_pos) {
		taskstore_arg_group(a, "hset", 1, 1);
		taskstore_arg(a, "pos", 3);
		taskstore_arg(a, cs->buf + cs->pos, cs->pos_len);
	}
	/* Runs keep the caller's order, so a put then a delete of one id ends deleted. */
	for (size_t i = 0, j; i < cs->nops; i = j) {
		j = taskstore_run_end(cs, i);
		taskstore_arg_group(a, cs->ops[i].del ? "hdel" : "hset", 2 + (int)cs->ops[i].kind, j - i);
		for (size_t k = i; k < j; k++) {
			taskstore_arg(a, cs->buf + cs->ops[k].id, cs->ops[k].id_len);
			if (!cs->ops[k].del)
				taskstore_arg(a, cs->buf + cs->ops[k].blob, cs->ops[k].blob_len);
		}
	}
	for (size_t s = 0; s < cs->nsegs; s++) {
		taskstore_arg_group(a, "append", TASKSTORE_FIXED_KEYS + 1 + (int)s, 1);
		taskstore_arg(a, (const char *)cs->segs[s].data, cs->segs[s].len);
		/* The segment's last record expires before its end: then the whole key may go. */
		taskstore_arg_num(a, (cs->segs[s].seg + 1) * cs->segment_ms);
	}
}

/* The commit is applied (and on enough replicas): it counts, and the next one may be built. */
static void taskstore_committed(struct taskstore *ts)
{
	ts->seq = ts->commit_seq;
	taskstore_drop_call(ts);
	ts->commit_fn(ts->arg, TASKSTORE_OK);
}

/* WAIT's reply: how many replicas hold the commit (and everything before it on the connection). */
static void taskstore_on_wait(void *arg, redisReply *reply)
{
	struct taskstore *ts = arg;

	if (taskstore_end(ts))
		return;
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer >= ts->wait_replicas) {
		taskstore_committed(ts);
		return;
	}
	/* Applied but not confirmed: FAILED keeps the call, and its retry is answered "applied
	 * before" and waits again; a failover meanwhile that lost it has it applied anew. */
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
		log_limited(LOG_WARNING, "taskstore", "taskstore: commit to %s reached %lld of the %d replicas "
		    "wait_replicas asks for in time; waiting again (its offsets wait too)",
		    ts->keys[0], reply->integer, ts->wait_replicas);
	else if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_limited(LOG_ERR, "taskstore", "taskstore: WAIT after a commit to %s: %s", ts->keys[0], reply->str);
	ts->commit_fn(ts->arg, TASKSTORE_FAILED);
}

/* Sends WAIT for the commit just applied; false when it could not be sent. */
static bool taskstore_wait(struct taskstore *ts)
{
	ts->wait_replicas = ts->wait->replicas;
	ts->busy = true;
	if (redis_wait(ts->r, taskstore_slot(ts), ts->wait, taskstore_on_wait, ts))
		return true;
	ts->busy = false;
	return false;
}

/* The commit's reply: 1 applied, 2 applied before, 0 fenced. */
static void taskstore_on_commit(void *arg, redisReply *reply)
{
	struct taskstore *ts = arg;
	enum taskstore_result res = TASKSTORE_FAILED;

	if (taskstore_end(ts))
		return;
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && (reply->integer == 1 || reply->integer == 2)) {
		if (ts->wait == NULL || ts->wait->replicas == 0) {
			taskstore_committed(ts);
			return;
		}
		if (taskstore_wait(ts))
			return;
	} else if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
		res = TASKSTORE_FENCED;
		ts->restored = false; /* no more commits under this generation */
		taskstore_drop_call(ts);
	} else if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
		log_limited(LOG_ERR, "taskstore", "taskstore: commit to %s: %s", ts->keys[0], reply->str);
	}
	ts->commit_fn(ts->arg, res);
}

/*
 * Builds cs's commit call into ts->call (its sequence the next after the last applied) and
 * empties cs: the call is all a retry needs, so the change set's copy is not kept beside it.
 */
static bool taskstore_build(struct taskstore *ts, struct taskstore_changes *cs)
{
	size_t seg_key_size = ts->base_len + sizeof("dd:") + TASKSTORE_NUM, groups, items, argc;
	struct taskstore_args a = {0};
	char *seg_keys;

	groups = (cs->has_pos ? 1 : 0) + cs->nsegs;
	items = 2 * groups;
	for (size_t i = 0; i < cs->nops; i = taskstore_run_end(cs, i))
		groups++;
	for (size_t i = 0; i < cs->nops; i++)
		items += cs->ops[i].del ? 1 : 2;
	argc = TASKSTORE_FIXED_KEYS + cs->nsegs + 2 + 3 * groups + items;
	a.argv = malloc(argc * sizeof(*a.argv));
	a.lens = malloc(argc * sizeof(*a.lens));
	a.nums = malloc((2 + 2 * groups + cs->nsegs) * sizeof(*a.nums));
	seg_keys = malloc(cs->nsegs * seg_key_size + 1);
	/* One commit at a time, so the sequence is the next one after the last applied: a retry
	 * of an unchanged call carries the same number and Redis skips it when applied. */
	ts->commit_seq = ts->seq + 1;
	if (a.argv != NULL && a.lens != NULL && a.nums != NULL && seg_keys != NULL && argc <= INT32_MAX) {
		taskstore_fill(ts, cs, &a, seg_keys, seg_key_size);
		ts->call = redis_script_format(ts->r, SCRIPT_CHECKPOINT, TASKSTORE_FIXED_KEYS + (int)cs->nsegs, a.argc,
		    a.argv, a.lens, &ts->call_len, NULL);
	}
	free(a.argv);
	free(a.lens);
	free(a.nums);
	free(seg_keys);
	if (ts->call == NULL)
		return false;
	taskstore_changes_clear(cs);
	return true;
}

/* See taskstore.h. */
bool taskstore_commit(struct taskstore *ts, struct taskstore_changes *cs, taskstore_commit_fn fn,
    void *arg)
{
	if (ts->busy || !ts->restored || !redis_is_up(ts->r))
		return false;
	if (ts->call == NULL && !taskstore_build(ts, cs))
		return false;
	if (!redis_script_send(ts->r, taskstore_slot(ts), SCRIPT_CHECKPOINT, ts->call, ts->call_len, taskstore_on_commit, ts))
		return false;
	ts->busy = true;
	ts->commit_fn = fn;
	ts->arg = arg;
	return true;
}
