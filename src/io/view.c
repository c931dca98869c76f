/* view.c: writes the public contract keys in Redis (agent stats, fb:agents, alerts) (I/O). */
#include "view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_PREFIX_MAX 256
/* Room for the fields of one stats hash: 15 per window for WINDOWS_MAX windows, and 3. */
#define VIEW_FIELDS_MAX 128
/* Room for the text of those fields and values (stats.c's field and value sizes: 64, 32). */
#define VIEW_TEXT_SIZE (VIEW_FIELDS_MAX * 96)
/* The longest command built here: ZADD key GT and a chunk of score/member pairs. */
#define VIEW_ARGV_MAX (3 + 2 * VIEW_SEEN_CHUNK)
/* Room for an int64_t in decimal, with its sign and NUL. */
#define VIEW_NUM_SIZE 24

struct view {
	struct redis *redis;
	char prefix[VIEW_PREFIX_MAX + 1];
	struct windows windows;
	char agents_key[VIEW_KEY_SIZE];
	char stream_key[VIEW_KEY_SIZE];
	char sent_key[VIEW_KEY_SIZE];
	/* Scratch for the command being built; redis_command copies it, so it is reused. */
	const char *argv[VIEW_ARGV_MAX];
	const char *del[2 + VIEW_FIELDS_MAX];
	int argc, delc;
	char text[VIEW_TEXT_SIZE];
	size_t used;
	bool overflow;   /* a rendered hash did not fit the scratch: it is not written at all */
};

struct view_flush {
	struct view *v;
	size_t pending;  /* replies awaited */
	bool failed;
	bool ended;
	view_done_fn fn;
	void *arg;
	/* Agents for the next ZADD to fb:agents: "score\0agent\0" each. */
	char *seen;
	size_t seen_len, seen_cap;
	int seen_count;
};

/* snprintf into buf; false when it did not fit. */
static bool view_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* See above. */
static bool view_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

/* See view.h. */
bool view_key_stats(const char *prefix, const char *agent, char *buf, size_t size)
{
	return view_format(buf, size, "%sagent:{%s}:stats", prefix, agent);
}

/* See view.h. */
bool view_key_alerts(const char *prefix, const char *agent, char *buf, size_t size)
{
	return view_format(buf, size, "%sagent:{%s}:alerts", prefix, agent);
}

/* See view.h. */
bool view_key_agents(const char *prefix, char *buf, size_t size)
{
	return view_format(buf, size, "%sagents", prefix);
}

/* See view.h. */
bool view_key_stream(const char *prefix, char *buf, size_t size)
{
	return view_format(buf, size, "%salerts", prefix);
}

/* True when key has a Redis Cluster hash tag: a "{" later followed by "}", not at once. */
static bool view_has_tag(const char *key)
{
	const char *open = strchr(key, '{');

	return open != NULL && open[1] != '}' && strchr(open + 1, '}') != NULL;
}

/*
 * See view.h. Without a tag the stream hashes as a whole, so its full name becomes the
 * set's tag; that cannot be done for a name holding "}" (the tag would end there).
 */
bool view_key_sent(const char *prefix, char *buf, size_t size)
{
	char stream[VIEW_KEY_SIZE];

	if (!view_key_stream(prefix, stream, sizeof(stream)))
		return false;
	if (view_has_tag(stream))
		return view_format(buf, size, "%s:sent", stream);
	if (strchr(stream, '}') != NULL)
		return false;
	return view_format(buf, size, "{%s}:sent", stream);
}

/* See view.h. */
struct view *view_new(struct redis *r, const char *prefix, const struct windows *ws)
{
	struct view *v;

	if (strlen(prefix) > VIEW_PREFIX_MAX || ws->count > WINDOWS_MAX)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->redis = r;
	memcpy(v->prefix, prefix, strlen(prefix) + 1);
	v->windows = *ws;
	if (!view_key_agents(prefix, v->agents_key, sizeof(v->agents_key)) ||
	    !view_key_stream(prefix, v->stream_key, sizeof(v->stream_key)) ||
	    !view_key_sent(prefix, v->sent_key, sizeof(v->sent_key))) {
		free(v);
		return NULL;
	}
	return v;
}

/* See view.h. */
void view_free(struct view *v)
{
	free(v);
}

/* See view.h. */
struct view_flush *view_flush_begin(struct view *v)
{
	struct view_flush *f = calloc(1, sizeof(*f));

	if (f != NULL)
		f->v = v;
	return f;
}

/* Reports and frees a closed flush once nothing of it is in flight. */
static void view_flush_settle(struct view_flush *f)
{
	if (!f->ended || f->pending > 0)
		return;
	f->fn(f->arg, !f->failed);
	free(f->seen);
	free(f);
}

/*
 * Every reply of a flush: an error, no reply (connection lost) or an aborted transaction
 * (nil EXEC) fails it, and so does an EXEC whose array holds an error.
 */
static void view_on_reply(void *arg, redisReply *reply)
{
	struct view_flush *f = arg;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR || reply->type == REDIS_REPLY_NIL)
		f->failed = true;
	else if (reply->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < reply->elements; i++)
			if (reply->element[i]->type == REDIS_REPLY_ERROR)
				f->failed = true;
	f->pending--;
	view_flush_settle(f);
}

/* Sends one command of flush f; false (and the flush failed) when it could not be sent. */
static bool view_send(struct view_flush *f, int argc, const char **argv)
{
	if (!redis_command(f->v->redis, argc, argv, NULL, view_on_reply, f)) {
		f->failed = true;
		return false;
	}
	f->pending++;
	return true;
}

/* Copies s into the view's scratch text; NULL (and overflow) when it is full. */
static const char *view_keep(struct view *v, const char *s)
{
	size_t n = strlen(s) + 1;
	char *at = v->text + v->used;

	if (n > sizeof(v->text) - v->used) {
		v->overflow = true;
		return NULL;
	}
	memcpy(at, s, n);
	v->used += n;
	return at;
}

/* stats_render's callback: a field with a value goes to the HSET, one without to the HDEL. */
static void view_on_field(void *ctx, const char *field, const char *value)
{
	struct view *v = ctx;
	const char *f = view_keep(v, field), *val = value != NULL ? view_keep(v, value) : NULL;

	if (f == NULL || (value != NULL && val == NULL) || v->argc + 2 > 2 + 2 * VIEW_FIELDS_MAX ||
	    v->delc + 1 > 2 + VIEW_FIELDS_MAX) {
		v->overflow = true;
		return;
	}
	if (value == NULL) {
		v->del[v->delc++] = f;
	} else {
		v->argv[v->argc++] = f;
		v->argv[v->argc++] = val;
	}
}

/* Emits one integer field through view_on_field. */
static void view_int_field(struct view *v, const char *field, int64_t value)
{
	char num[VIEW_NUM_SIZE];

	snprintf(num, sizeof(num), "%" PRId64, value);
	view_on_field(v, field, num);
}

/*
 * Sends the HSET and HDEL in v's scratch as one transaction. If a command cannot be queued
 * after MULTI (the connection is going away or memory ran out) the transaction is
 * discarded, so a half of it never lands.
 */
static void view_transaction(struct view_flush *f)
{
	struct view *v = f->v;

	if (!view_send(f, 1, (const char *[]){"MULTI"}))
		return;
	if (view_send(f, v->argc, v->argv) && view_send(f, v->delc, v->del))
		view_send(f, 1, (const char *[]){"EXEC"});
	else
		view_send(f, 1, (const char *[]){"DISCARD"});
}

/* See view.h. */
void view_agent_stats(struct view_flush *f, const char *agent, const struct totals *per_window,
    int64_t open_tickets, int64_t overdue_tickets, int64_t now_ms)
{
	struct view *v = f->v;
	char key[VIEW_KEY_SIZE];

	if (!view_key_stats(v->prefix, agent, key, sizeof(key))) {
		f->failed = true;
		return;
	}
	v->argv[0] = "HSET";
	v->argv[1] = key;
	v->argc = 2;
	v->del[0] = "HDEL";
	v->del[1] = key;
	v->delc = 2;
	v->used = 0;
	v->overflow = false;
	for (size_t i = 0; i < v->windows.count; i++)
		stats_render(v->windows.w[i].name, &per_window[i], view_on_field, v);
	view_int_field(v, "open_tickets", open_tickets);
	view_int_field(v, "overdue_tickets", overdue_tickets);
	view_int_field(v, "updated_at", now_ms);
	if (v->overflow)
		f->failed = true;
	else if (v->delc == 2)
		view_send(f, v->argc, v->argv); /* one HSET is atomic by itself */
	else
		view_transaction(f);
}

/* Sends the buffered agents as one ZADD GT and empties the buffer. */
static void view_seen_send(struct view_flush *f)
{
	struct view *v = f->v;
	const char *p = f->seen;
	int argc = 3;

	if (f->seen_count == 0)
		return;
	v->argv[0] = "ZADD";
	v->argv[1] = v->agents_key;
	v->argv[2] = "GT";
	for (int i = 0; i < 2 * f->seen_count; i++) {
		v->argv[argc++] = p;
		p += strlen(p) + 1;
	}
	view_send(f, argc, v->argv);
	f->seen_len = 0;
	f->seen_count = 0;
}

/* See view.h. */
void view_agent_seen(struct view_flush *f, const char *agent, int64_t ts_ms)
{
	char score[VIEW_NUM_SIZE];
	size_t ns, na, need;

	ns = (size_t)snprintf(score, sizeof(score), "%" PRId64, ts_ms) + 1;
	na = strlen(agent) + 1;
	need = f->seen_len + ns + na;
	if (need > f->seen_cap) {
		size_t cap = f->seen_cap > 0 ? f->seen_cap : 4096;
		char *grown;

		while (cap < need)
			cap *= 2;
		grown = realloc(f->seen, cap);
		if (grown == NULL) {
			f->failed = true;
			return;
		}
		f->seen = grown;
		f->seen_cap = cap;
	}
	memcpy(f->seen + f->seen_len, score, ns);
	memcpy(f->seen + f->seen_len + ns, agent, na);
	f->seen_len = need;
	if (++f->seen_count == VIEW_SEEN_CHUNK)
		view_seen_send(f);
}

/* See view.h. */
void view_alert(struct view_flush *f, const char *id, const char *agent, const char *field, bool firing,
    const char *json, int64_t now_ms)
{
	struct view *v = f->v;
	char key[VIEW_KEY_SIZE], now[VIEW_NUM_SIZE], horizon[VIEW_NUM_SIZE], max[VIEW_NUM_SIZE],
	    maxlen[VIEW_NUM_SIZE];
	const char *argv[] = {v->stream_key, v->sent_key, id, json, now, horizon, max, maxlen};

	snprintf(now, sizeof(now), "%" PRId64, now_ms);
	snprintf(horizon, sizeof(horizon), "%lld", VIEW_SENT_HORIZON_MS);
	snprintf(max, sizeof(max), "%d", VIEW_SENT_MAX);
	snprintf(maxlen, sizeof(maxlen), "%d", VIEW_STREAM_MAXLEN);
	if (redis_script_keys(v->redis, SCRIPT_VIEW_ALERT, 2, 8, argv, NULL, view_on_reply, f))
		f->pending++;
	else
		f->failed = true;
	if (!view_key_alerts(v->prefix, agent, key, sizeof(key))) {
		f->failed = true;
		return;
	}
	if (firing)
		view_send(f, 4, (const char *[]){"HSET", key, field, json});
	else
		view_send(f, 3, (const char *[]){"HDEL", key, field});
}

/* See view.h. */
void view_flush_end(struct view_flush *f, view_done_fn fn, void *arg)
{
	view_seen_send(f);
	f->fn = fn;
	f->arg = arg;
	f->ended = true;
	view_flush_settle(f);
}
