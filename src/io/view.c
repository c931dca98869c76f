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
/* Room for a field's name: the longest figure prefix (16), "_" and a window name (15), NUL. */
#define VIEW_NAME_SIZE 40
/* Room for a value's text: an int64_t with its sign, point and NUL. */
#define VIEW_VALUE_SIZE 24
/* Room for the text of one hash's values. */
#define VIEW_TEXT_SIZE (VIEW_FIELDS_MAX * VIEW_VALUE_SIZE)
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
	size_t fields;                         /* memo entries: 15 per window, open and overdue */
	char name[VIEW_FIELDS_MAX][VIEW_NAME_SIZE]; /* each field's name, then updated_at's */
	int decimals[VIEW_FIELDS_MAX];         /* of each memo field's text */
	/* Scratch for the command being built; redis_command copies it, so it is reused. */
	const char *argv[VIEW_ARGV_MAX];
	const char *del[2 + VIEW_FIELDS_MAX];
	int argc, delc;
	char text[VIEW_TEXT_SIZE];
	size_t used;
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
	/* What each stats write's HSET must answer (fields it adds; -1: unknown), in sending order. */
	int32_t *expect;
	size_t expect_head, expect_n, expect_cap;
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
	for (size_t w = 0; w < ws->count; w++)
		for (int i = 0; i < STATS_FIGURES; i++) {
			view_format(v->name[v->fields], VIEW_NAME_SIZE, "%s_%s", stats_figure_prefix(i), ws->w[w].name);
			v->decimals[v->fields++] = stats_figure_decimals(i);
		}
	strcpy(v->name[v->fields++], "open_tickets");
	strcpy(v->name[v->fields++], "overdue_tickets");
	strcpy(v->name[v->fields], "updated_at");
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
bool view_up(const struct view *v)
{
	return redis_is_up(v->redis);
}

/* See view.h. */
uint64_t view_session(const struct view *v)
{
	return redis_session(v->redis);
}

/* See view.h. */
size_t view_memo_fields(const struct view *v)
{
	return v->fields;
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
	free(f->expect);
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

/*
 * The reply that ends a stats write (its HSET, or the EXEC whose first answer is the HSET's):
 * beyond view_on_reply, the fields it added must be those expected.
 */
static void view_on_stats_reply(void *arg, redisReply *reply)
{
	struct view_flush *f = arg;
	int32_t want = f->expect[f->expect_head++];
	const redisReply *hset = reply;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY)
		hset = reply->elements > 0 ? reply->element[0] : NULL;
	if (want >= 0 && hset != NULL && hset->type == REDIS_REPLY_INTEGER && hset->integer != want)
		f->failed = true;
	view_on_reply(arg, reply);
}

/* Sends one command of flush f, its reply to fn; false (and the flush failed) when not sent. */
static bool view_send(struct view_flush *f, int argc, const char **argv, redis_reply_fn fn)
{
	if (!redis_command(f->v->redis, argc, argv, NULL, fn, f)) {
		f->failed = true;
		return false;
	}
	f->pending++;
	return true;
}

/* Remembers what the HSET of the stats write being sent must answer; false when out of memory. */
static bool view_expect(struct view_flush *f, int32_t added)
{
	if (f->expect_n == f->expect_cap) {
		size_t cap = f->expect_cap > 0 ? f->expect_cap * 2 : 256;
		int32_t *p = realloc(f->expect, cap * sizeof(*p));

		if (p == NULL) {
			f->failed = true;
			return false;
		}
		f->expect = p;
		f->expect_cap = cap;
	}
	f->expect[f->expect_n++] = added;
	return true;
}

/*
 * Sends the HSET and HDEL in v's scratch as one transaction; true when its EXEC went. If a
 * command cannot be queued after MULTI (the connection is going away or memory ran out) the
 * transaction is discarded, so a half of it never lands.
 */
static bool view_transaction(struct view_flush *f)
{
	struct view *v = f->v;

	if (!view_send(f, 1, (const char *[]){"MULTI"}, view_on_reply))
		return false;
	if (view_send(f, v->argc, v->argv, view_on_reply) && view_send(f, v->delc, v->del, view_on_reply))
		return view_send(f, 1, (const char *[]){"EXEC"}, view_on_stats_reply);
	view_send(f, 1, (const char *[]){"DISCARD"}, view_on_reply);
	return false;
}

/* A figure's memo entry: its value when it fits, else VIEW_MEMO_WIDE; VIEW_MEMO_ABSENT without one. */
static int32_t view_memo_code(int64_t value, bool have)
{
	if (!have)
		return VIEW_MEMO_ABSENT;
	return value > VIEW_MEMO_WIDE && value <= INT32_MAX ? (int32_t)value : VIEW_MEMO_WIDE;
}

/* Adds field k (v->name) = value with decimals to the HSET being built. */
static void view_set(struct view *v, size_t k, int64_t value, int decimals)
{
	char *text = v->text + v->used;

	v->used += stats_format_fixed(value, decimals, text, VIEW_VALUE_SIZE) + 1;
	v->argv[v->argc++] = v->name[k];
	v->argv[v->argc++] = text;
}

/* See view.h. */
void view_agent_stats(struct view_flush *f, const char *agent, const struct totals *per_window,
    int64_t open_tickets, int64_t overdue_tickets, int64_t now_ms, int32_t *memo)
{
	struct view *v = f->v;
	char key[VIEW_KEY_SIZE];
	int64_t value[VIEW_FIELDS_MAX];
	bool have[VIEW_FIELDS_MAX];
	size_t fixed = v->windows.count * STATS_FIGURES;
	int32_t added = memo != NULL ? 0 : -1;

	if (!view_key_stats(v->prefix, agent, key, sizeof(key))) {
		f->failed = true;
		return;
	}
	for (size_t i = 0; i < v->windows.count; i++)
		stats_figures(&per_window[i], value + i * STATS_FIGURES, have + i * STATS_FIGURES);
	value[fixed] = open_tickets;
	value[fixed + 1] = overdue_tickets;
	have[fixed] = have[fixed + 1] = true;
	v->argv[0] = "HSET";
	v->argv[1] = key;
	v->argc = 2;
	v->del[0] = "HDEL";
	v->del[1] = key;
	v->delc = 2;
	v->used = 0;
	for (size_t k = 0; k < v->fields; k++) {
		int32_t code = view_memo_code(value[k], have[k]);
		int32_t was = memo != NULL ? memo[k] : VIEW_MEMO_UNKNOWN;

		if (code == was && code != VIEW_MEMO_WIDE)
			continue;
		if (was == VIEW_MEMO_UNKNOWN)
			added = -1;
		else if (was == VIEW_MEMO_ABSENT && added >= 0)
			added++;
		if (memo != NULL)
			memo[k] = code;
		if (have[k])
			view_set(v, k, value[k], v->decimals[k]);
		else
			v->del[v->delc++] = v->name[k];
	}
	view_set(v, v->fields, now_ms, 0);
	if (!view_expect(f, added))
		return;
	/* One HSET is atomic by itself. Only an HSET or EXEC sent has a reply to take the expectation. */
	if (!(v->delc == 2 ? view_send(f, v->argc, v->argv, view_on_stats_reply) : view_transaction(f)))
		f->expect_n--;
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
	view_send(f, argc, v->argv, view_on_reply);
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
		view_send(f, 4, (const char *[]){"HSET", key, field, json}, view_on_reply);
	else
		view_send(f, 3, (const char *[]){"HDEL", key, field}, view_on_reply);
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
