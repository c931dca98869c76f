/* view.c: writes the public contract keys in Redis (agent stats, fb:agents, alerts) (I/O). */
#include "view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey.h"
#include "keyslot.h"
#include "log.h"
#include "resp.h"

/* Room for the fields of one stats hash: STATS_FIGURES per window for WINDOWS_MAX windows, and 3. */
#define VIEW_FIELDS_MAX (STATS_FIGURES * WINDOWS_MAX + 3)
/* Room for a field's name as RESP: "$34\r\n", the longest prefix (18), "_", a window name (15), CRLF. */
#define VIEW_NAME_SIZE 48
/* Room for an int64_t in decimal, with its sign, point and NUL. */
#define VIEW_NUM_SIZE 24
/* Room for the "*<argc>\r\n" of a command, kept free before its arguments. */
#define VIEW_HEAD 16
/* Room for one stats command as RESP: its head, name, key, and every field with its value. */
#define VIEW_CMD_SIZE (VIEW_HEAD + 16 + VIEW_KEY_SIZE + 16 + VIEW_FIELDS_MAX * (VIEW_NAME_SIZE + VIEW_NUM_SIZE + 8))
/* Room kept before the agents of a ZADD: its head, name, key and GT. */
#define VIEW_SEEN_ROOM (VIEW_HEAD + 16 + VIEW_KEY_SIZE + 16)

/* One shard of the agent index (fb:agents, or fb:agents:<n> when it is split). */
struct view_index {
	char zadd[VIEW_SEEN_ROOM - VIEW_HEAD]; /* "ZADD", the key and "GT" as RESP: before its agents */
	size_t zadd_len;
	unsigned slot;
};

/* The next ZADD to one shard as RESP: VIEW_SEEN_ROOM bytes kept, then score and agent each. */
struct view_seen {
	char *buf;
	size_t len, cap;
	int count;
};

/* A command built as RESP in buf, whose "*<argc>" head is written last, before its arguments. */
struct view_cmd {
	size_t len;   /* bytes of buf in use, VIEW_HEAD of them kept for the head */
	int argc;
	char buf[VIEW_CMD_SIZE];
};

struct view {
	struct redis *redis;
	const struct redis_wait *wait;
	char prefix[VIEW_PREFIX_MAX + 1];
	struct windows windows;
	int shards;                  /* of the agent index ([redis] agents_shards) */
	struct view_index *index;    /* one per shard */
	char stream_key[VIEW_KEY_SIZE];
	unsigned stream_slot;
	char sent_key[VIEW_KEY_SIZE];
	/* A stats key is head + agent + tail ("fb:agent:{", "}:stats"), split from view_key_stats. */
	char stats_head[VIEW_KEY_SIZE];
	char stats_tail[VIEW_KEY_SIZE];
	size_t stats_head_len, stats_tail_len;
	size_t fields;                               /* memo entries: STATS_FIGURES a window, open, overdue */
	char name[VIEW_FIELDS_MAX][VIEW_NAME_SIZE];  /* each field's name as RESP, then updated_at's */
	size_t name_len[VIEW_FIELDS_MAX];
	int decimals[VIEW_FIELDS_MAX];               /* of each memo field's text */
	size_t layout[VIEW_FIELDS_MAX];              /* memo entries in the hash's order: see view_layout */
	/* The stats write being built; redis_formatted copies it, so it is reused. */
	struct view_cmd hset, hdel;
};

/*
 * The order of a stats hash's fields, by figure (each in every window, in window order),
 * the ones that change with the commonest events first; updated_at, which every write
 * changes, comes before them all. Why: Redis keeps a hash this small as a listpack and
 * finds a field by scanning it from the front, so an HSET of a rating's 17 fields costs
 * 1.9 us of Redis CPU with them in front and 8.2 us with them last. A hash keeps its
 * fields' order only while none is added, so a write that adds one rewrites the hash
 * whole (view_agent_stats). The reply-policy figures come last, so a rating's write, the
 * commonest, still finds all of its fields in front; among them, those that change with
 * most clocks closed (met, means) come before maxima and misses; the service recovery
 * ones, which few agents have, come after them.
 */
static const char *const view_layout[STATS_FIGURES + 1] = {
	"ratings", "csat", "dsat", "score_avg", "satisfied", "dissatisfied", "neutral", "nps_ratings", "nps",
	"replies", "resp_avg_s", "resp_p50_s", "resp_p90_s", "complaint_rate", "reply_sla_met",
	"tickets", /* open_tickets and overdue_tickets */
	"complaints", "resp_max_s", "reply_sla_missed",
	"next_reply_met", "next_reply_avg_s", "first_reply_met", "first_reply_avg_s", "resolution_met",
	"resolution_avg_s", "promise_kept", "next_reply_max_s", "first_reply_max_s", "resolution_max_s",
	"next_reply_missed", "first_reply_missed", "resolution_missed", "promise_broken",
	"recovered", "recovery_rated", "recovery_rate", "follow_up_missing", "agents",
};

struct view_flush {
	struct view *v;
	unsigned slot;   /* the cluster slot of the key being written: view_send's target */
	int wait_replicas; /* what its WAITs must reach */
	size_t pending;  /* replies awaited */
	bool failed;
	bool ended;
	view_done_fn fn;
	void *arg;
	struct view_seen *seen; /* one per shard of the agent index */
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
bool view_key_team_stats(const char *prefix, const char *team, size_t len, char *buf, size_t size)
{
	return view_format(buf, size, "%steam:{%.*s}:stats", prefix, (int)len, team);
}

/* See view.h. */
bool view_key_site_stats(const char *prefix, char *buf, size_t size)
{
	return view_format(buf, size, "%ssite:stats", prefix);
}

/* See view.h. */
bool view_key_team_alerts(const char *prefix, const char *team, char *buf, size_t size)
{
	return view_format(buf, size, "%steam:{%s}:alerts", prefix, team);
}

/* See view.h. */
bool view_key_rank(const char *prefix, const char *rank, const char *window, char *buf, size_t size)
{
	return view_format(buf, size, "%srank:%s:%s", prefix, rank, window);
}

/* See view.h. */
bool view_key_team_rank(const char *prefix, const char *team, size_t len, const char *rank, const char *window,
    char *buf, size_t size)
{
	return view_format(buf, size, "%steam:{%.*s}:rank:%s:%s", prefix, (int)len, team, rank, window);
}

/* See view.h. */
bool view_key_alerts(const char *prefix, const char *agent, char *buf, size_t size)
{
	return view_format(buf, size, "%sagent:{%s}:alerts", prefix, agent);
}

/* See view.h. */
bool view_key_month(const char *prefix, const char *agent, const char *month, char *buf, size_t size)
{
	return view_format(buf, size, "%sagent:{%s}:month:%s", prefix, agent, month);
}

/* See view.h. */
bool view_key_team_month(const char *prefix, const char *team, size_t len, const char *month, char *buf, size_t size)
{
	return view_format(buf, size, "%steam:{%.*s}:month:%s", prefix, (int)len, team, month);
}

/* See view.h. */
bool view_key_site_month(const char *prefix, const char *month, char *buf, size_t size)
{
	return view_format(buf, size, "%ssite:month:%s", prefix, month);
}

/* See view.h. */
bool view_key_agents(const char *prefix, int shards, int shard, char *buf, size_t size)
{
	return shards > 1 ? view_format(buf, size, "%sagents:%d", prefix, shard) : view_format(buf, size, "%sagents", prefix);
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

/* Writes a command's head, "*<argc>\r\n", so that it ends at end; returns where it starts. */
static char *view_head(char *end, int argc)
{
	char head[VIEW_HEAD];
	size_t n = 1;

	head[0] = '*';
	n += stats_format_fixed(argc, 0, head + 1, sizeof(head) - 1);
	head[n++] = '\r';
	head[n++] = '\n';
	memcpy(end - n, head, n);
	return end - n;
}

/* Starts command name on key (key_len bytes) in c. */
static void view_cmd_start(struct view_cmd *c, const char *name, const char *key, size_t key_len)
{
	char *p = resp_bulk(c->buf + VIEW_HEAD, name, strlen(name));

	c->len = (size_t)(resp_bulk(p, key, key_len) - c->buf);
	c->argc = 2;
}

/* Adds an argument already in RESP to c. */
static void view_cmd_resp(struct view_cmd *c, const char *resp, size_t n)
{
	memcpy(c->buf + c->len, resp, n);
	c->len += n;
	c->argc++;
}

/* Adds value with decimals (its text as stats_format_fixed writes it) to c. */
static void view_cmd_number(struct view_cmd *c, int64_t value, int decimals)
{
	char text[VIEW_NUM_SIZE];
	size_t n = stats_format_fixed(value, decimals, text, sizeof(text));

	c->len = (size_t)(resp_bulk(c->buf + c->len, text, n) - c->buf);
	c->argc++;
}

/* Sets field k's name, as RESP. */
static void view_name(struct view *v, size_t k, const char *name)
{
	v->name_len[k] = (size_t)(resp_bulk(v->name[k], name, strlen(name)) - v->name[k]);
}

/* Fills v->layout from view_layout; false when a figure is missing from it, or listed twice. */
static bool view_layout_init(struct view *v)
{
	size_t n = 0, windows = v->windows.count, fixed = windows * STATS_FIGURES;

	for (size_t r = 0; r < STATS_FIGURES + 1; r++) {
		size_t before = n;

		if (n + windows + 2 > VIEW_FIELDS_MAX) /* a figure listed twice: stop before the end */
			return false;
		if (strcmp(view_layout[r], "tickets") == 0) {
			v->layout[n++] = fixed;
			v->layout[n++] = fixed + 1;
			continue;
		}
		for (int i = 0; i < STATS_FIGURES && n == before; i++)
			if (strcmp(view_layout[r], stats_figure_prefix(i)) == 0)
				for (size_t w = 0; w < windows; w++)
					v->layout[n++] = w * STATS_FIGURES + (size_t)i;
		if (n != before + windows)
			return false;
	}
	return n == v->fields;
}

/* The agent index's shards: each one's key, slot and ZADD head; false when one does not fit. */
static bool view_index_init(struct view *v, int shards)
{
	char key[VIEW_KEY_SIZE];

	if (shards < 1 || (v->index = calloc((size_t)shards, sizeof(*v->index))) == NULL)
		return false;
	v->shards = shards;
	for (int i = 0; i < shards; i++) {
		struct view_index *ix = &v->index[i];

		if (!view_key_agents(v->prefix, shards, i, key, sizeof(key)))
			return false;
		ix->slot = keyslot(key, strlen(key));
		ix->zadd_len = (size_t)(resp_bulk(resp_bulk(resp_bulk(ix->zadd, "ZADD", 4), key, strlen(key)), "GT", 2) -
		    ix->zadd);
	}
	return true;
}

/* See view.h. */
struct view *view_new(struct redis *r, const char *prefix, const struct windows *ws, const struct redis_wait *wait,
    int agents_shards)
{
	struct view *v;
	char *mark;

	if (strlen(prefix) > VIEW_PREFIX_MAX || ws->count > WINDOWS_MAX)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->redis = r;
	v->wait = wait;
	memcpy(v->prefix, prefix, strlen(prefix) + 1);
	v->windows = *ws;
	for (size_t w = 0; w < ws->count; w++)
		for (int i = 0; i < STATS_FIGURES; i++) {
			char name[VIEW_NAME_SIZE];

			view_format(name, sizeof(name), "%s_%s", stats_figure_prefix(i), ws->w[w].name);
			view_name(v, v->fields, name);
			v->decimals[v->fields++] = stats_figure_decimals(i);
		}
	view_name(v, v->fields++, "open_tickets");
	view_name(v, v->fields++, "overdue_tickets");
	view_name(v, v->fields, "updated_at"); /* not in the memo: it changes with every write */
	/* The agent's place in the stats key: the last \x01, as the template adds none after the agent. */
	if (!view_layout_init(v) || !view_index_init(v, agents_shards) ||
	    !view_key_stream(prefix, v->stream_key, sizeof(v->stream_key)) ||
	    !view_key_sent(prefix, v->sent_key, sizeof(v->sent_key)) ||
	    !view_key_stats(prefix, "\x01", v->stats_head, sizeof(v->stats_head)) ||
	    (mark = strrchr(v->stats_head, '\x01')) == NULL) {
		view_free(v);
		return NULL;
	}
	*mark = '\0';
	v->stats_head_len = strlen(v->stats_head);
	memcpy(v->stats_tail, mark + 1, strlen(mark + 1) + 1);
	v->stats_tail_len = strlen(v->stats_tail);
	v->stream_slot = keyslot(v->stream_key, strlen(v->stream_key));
	return v;
}

/* See view.h. */
void view_free(struct view *v)
{
	if (v != NULL)
		free(v->index);
	free(v);
}

/* See view.h. */
bool view_up(const struct view *v)
{
	return redis_is_up(v->redis);
}

/* See view.h. */
size_t view_unsent(const struct view *v)
{
	return redis_unsent(v->redis);
}

/* See view.h. */
uint64_t view_session(const struct view *v)
{
	return redis_session(v->redis);
}

/* See view.h. */
const char *view_prefix(const struct view *v)
{
	return v->prefix;
}

/* See view.h. */
const struct windows *view_windows(const struct view *v)
{
	return &v->windows;
}

/* See view.h. */
size_t view_memo_fields(const struct view *v)
{
	return v->fields;
}

/* See view.h. */
size_t view_window_count(const struct view *v)
{
	return v->windows.count;
}

/* See view.h. */
struct view_flush *view_flush_begin(struct view *v)
{
	struct view_flush *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->seen = calloc((size_t)v->shards, sizeof(*f->seen))) == NULL) {
		free(f);
		return NULL;
	}
	f->v = v;
	return f;
}

/* Reports and frees a closed flush once nothing of it is in flight. */
static void view_flush_settle(struct view_flush *f)
{
	if (!f->ended || f->pending > 0)
		return;
	f->fn(f->arg, !f->failed);
	for (int i = 0; i < f->v->shards; i++)
		free(f->seen[i].buf);
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

/*
 * The reply that ends a partial stats write (its HSET, or the EXEC whose first answer is the
 * HSET's): beyond view_on_reply, the HSET must have added no field, since it sets only
 * fields the memo says the hash has. It is known by its callback, not by a queue of what
 * each write expects: on a cluster the replies of one flush come from several servers,
 * each in its own order.
 */
static void view_on_partial_reply(void *arg, redisReply *reply)
{
	struct view_flush *f = arg;
	const redisReply *hset = reply;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY)
		hset = reply->elements > 0 ? reply->element[0] : NULL;
	if (hset != NULL && hset->type == REDIS_REPLY_INTEGER && hset->integer != 0)
		f->failed = true;
	view_on_reply(arg, reply);
}

/*
 * Sends one command of flush f (RESP text) to f->slot's server, its reply to fn; false
 * (and the flush failed) when not sent.
 */
static bool view_send(struct view_flush *f, const char *cmd, size_t len, redis_reply_fn fn)
{
	if (!redis_formatted(f->v->redis, f->slot, cmd, len, fn, f)) {
		f->failed = true;
		return false;
	}
	f->pending++;
	return true;
}

/* Sends command c of flush f, its reply to fn. */
static bool view_send_cmd(struct view_flush *f, struct view_cmd *c, redis_reply_fn fn)
{
	const char *start = view_head(c->buf + VIEW_HEAD, c->argc);

	return view_send(f, start, (size_t)(c->buf + c->len - start), fn);
}

/* Sends one of the transaction's commands without arguments ("MULTI"). */
static bool view_send_word(struct view_flush *f, const char *word, redis_reply_fn fn)
{
	char cmd[VIEW_HEAD + 16];
	char *start = view_head(cmd + VIEW_HEAD, 1);

	return view_send(f, start, (size_t)(resp_bulk(cmd + VIEW_HEAD, word, strlen(word)) - start), fn);
}

/*
 * Sends commands a and b as one transaction, the EXEC's reply to exec_fn; true when it went. If a command cannot be
 * queued after MULTI (the connection is going away or memory ran out) the transaction is
 * discarded, so a half of it never lands.
 */
static bool view_transaction(struct view_flush *f, struct view_cmd *a, struct view_cmd *b, redis_reply_fn exec_fn)
{
	bool sent = false;

	if (!view_send_word(f, "MULTI", view_on_reply))
		return false;
	redis_atomic(f->v->redis, true);
	if (view_send_cmd(f, a, view_on_reply) && view_send_cmd(f, b, view_on_reply))
		sent = view_send_word(f, "EXEC", exec_fn);
	else
		view_send_word(f, "DISCARD", view_on_reply);
	redis_atomic(f->v->redis, false);
	return sent;
}

/* See view.h. */
view_memo_t view_memo_code(int64_t value, bool have)
{
	if (!have)
		return VIEW_MEMO_ABSENT;
	return value > VIEW_MEMO_WIDE && value <= INT16_MAX ? (view_memo_t)value : VIEW_MEMO_WIDE;
}

/*
 * True when the write must replace the hash whole: nothing is known of it, or a field comes
 * back (an HSET would add it at the hash's end, out of view_layout's order).
 */
static bool view_whole(const view_memo_t *memo, const bool *have, size_t fields)
{
	if (memo == NULL)
		return true;
	for (size_t k = 0; k < fields; k++)
		if (memo[k] == VIEW_MEMO_UNKNOWN || (memo[k] == VIEW_MEMO_ABSENT && have[k]))
			return true;
	return false;
}

/* See view.h. */
void view_agent_stats(struct view_flush *f, const char *agent, const struct totals *per_window,
    int64_t open_tickets, int64_t overdue_tickets, int64_t now_ms, view_memo_t *memo)
{
	struct view *v = f->v;
	char key[VIEW_KEY_SIZE];
	size_t agent_len = strlen(agent), key_len = v->stats_head_len + agent_len + v->stats_tail_len;
	int64_t value[VIEW_FIELDS_MAX];
	bool have[VIEW_FIELDS_MAX], whole;
	size_t fixed = v->windows.count * STATS_FIGURES, team_len;
	enum group_scope scope;
	const char *team;

	if (group_key_parse(agent, agent_len, &scope, &team, &team_len)) {
		if (!(scope == GROUP_TEAM ? view_key_team_stats(v->prefix, team, team_len, key, sizeof(key)) :
		    view_key_site_stats(v->prefix, key, sizeof(key)))) {
			f->failed = true;
			return;
		}
		key_len = strlen(key);
	} else if (key_len >= sizeof(key)) {
		f->failed = true;
		return;
	} else {
		memcpy(key, v->stats_head, v->stats_head_len);
		memcpy(key + v->stats_head_len, agent, agent_len);
		memcpy(key + v->stats_head_len + agent_len, v->stats_tail, v->stats_tail_len);
	}
	for (size_t i = 0; i < v->windows.count; i++)
		stats_figures(&per_window[i], value + i * STATS_FIGURES, have + i * STATS_FIGURES);
	value[fixed] = open_tickets;
	value[fixed + 1] = overdue_tickets;
	have[fixed] = have[fixed + 1] = true;
	whole = view_whole(memo, have, v->fields);
	f->slot = keyslot(key, key_len);
	view_cmd_start(&v->hset, "HSET", key, key_len);
	view_cmd_resp(&v->hset, v->name[v->fields], v->name_len[v->fields]);
	view_cmd_number(&v->hset, now_ms, 0);
	view_cmd_start(&v->hdel, whole ? "DEL" : "HDEL", key, key_len);
	for (size_t j = 0; j < v->fields; j++) {
		size_t k = v->layout[j];
		view_memo_t code = view_memo_code(value[k], have[k]);

		if (!whole && code == memo[k] && code != VIEW_MEMO_WIDE)
			continue;
		if (memo != NULL)
			memo[k] = code;
		if (have[k]) {
			view_cmd_resp(&v->hset, v->name[k], v->name_len[k]);
			view_cmd_number(&v->hset, value[k], v->decimals[k]);
		} else if (!whole)
			view_cmd_resp(&v->hdel, v->name[k], v->name_len[k]);
	}
	/* One HSET is atomic by itself. A partial write sets only fields the memo holds, so it adds none. */
	if (whole)
		view_transaction(f, &v->hdel, &v->hset, view_on_reply);
	else if (v->hdel.argc == 2)
		view_send_cmd(f, &v->hset, view_on_partial_reply);
	else
		view_transaction(f, &v->hset, &v->hdel, view_on_partial_reply);
}

/* Sends shard's buffered agents as one ZADD GT and empties its buffer. */
static void view_seen_send(struct view_flush *f, int shard)
{
	const struct view_index *ix = &f->v->index[shard];
	struct view_seen *sn = &f->seen[shard];
	char *start;

	if (sn->count == 0)
		return;
	memcpy(sn->buf + VIEW_SEEN_ROOM - ix->zadd_len, ix->zadd, ix->zadd_len);
	f->slot = ix->slot;
	start = view_head(sn->buf + VIEW_SEEN_ROOM - ix->zadd_len, 3 + 2 * sn->count);
	view_send(f, start, (size_t)(sn->buf + sn->len - start), view_on_reply);
	sn->len = VIEW_SEEN_ROOM;
	sn->count = 0;
}

/* See view.h. */
void view_agent_seen(struct view_flush *f, const char *agent, int64_t ts_ms)
{
	char score[VIEW_NUM_SIZE];
	size_t ns = stats_format_fixed(ts_ms, 0, score, sizeof(score)), na = strlen(agent);
	int shard = f->v->shards > 1 ? (int)(keyslot(agent, na) % (unsigned)f->v->shards) : 0;
	struct view_seen *sn = &f->seen[shard];
	/* As RESP an argument takes a "$", its length's digits and two CRLFs more. */
	size_t need = (sn->len > 0 ? sn->len : VIEW_SEEN_ROOM) + ns + na + 2 * (5 + VIEW_NUM_SIZE);
	char *p;

	if (need > sn->cap) {
		size_t cap = sn->cap > 0 ? sn->cap : 4096;
		char *grown;

		while (cap < need)
			cap *= 2;
		grown = realloc(sn->buf, cap);
		if (grown == NULL) {
			f->failed = true;
			return;
		}
		sn->buf = grown;
		sn->cap = cap;
	}
	if (sn->len == 0)
		sn->len = VIEW_SEEN_ROOM;
	p = resp_bulk(sn->buf + sn->len, score, ns);
	sn->len = (size_t)(resp_bulk(p, agent, na) - sn->buf);
	if (++sn->count == VIEW_SEEN_CHUNK)
		view_seen_send(f, shard);
}

/* A WAIT's reply: the replicas reached; fewer than asked fails the flush. */
static void view_on_wait(void *arg, redisReply *reply)
{
	struct view_flush *f = arg;

	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer < f->wait_replicas) {
		log_limited(LOG_WARNING, "view-wait", "redis: an alert reached %lld of the %d replicas wait_replicas "
		    "asks for in time; sending it again", reply->integer, f->wait_replicas);
		f->failed = true;
	}
	view_on_reply(arg, reply);
}

/* Sends WAIT to slot's server after flush f's writes there. */
static void view_wait(struct view_flush *f, unsigned slot)
{
	if (redis_wait(f->v->redis, slot, f->v->wait, view_on_wait, f))
		f->pending++;
	else
		f->failed = true;
}

/* See view.h. */
void view_alert(struct view_flush *f, const char *id, const char *agent, const char *team, const char *field,
    bool firing, const char *json, int64_t now_ms)
{
	struct view *v = f->v;
	char key[VIEW_KEY_SIZE], now[VIEW_NUM_SIZE], horizon[VIEW_NUM_SIZE], max[VIEW_NUM_SIZE],
	    maxlen[VIEW_NUM_SIZE];
	const char *argv[] = {v->stream_key, v->sent_key, id, json, now, horizon, max, maxlen};
	unsigned slot;

	snprintf(now, sizeof(now), "%" PRId64, now_ms);
	snprintf(horizon, sizeof(horizon), "%lld", VIEW_SENT_HORIZON_MS);
	snprintf(max, sizeof(max), "%d", VIEW_SENT_MAX);
	snprintf(maxlen, sizeof(maxlen), "%d", VIEW_STREAM_MAXLEN);
	if (redis_script_keys(v->redis, SCRIPT_VIEW_ALERT, 2, 8, argv, NULL, view_on_reply, f))
		f->pending++;
	else
		f->failed = true;
	if (!(agent[0] != '\0' ? view_key_alerts(v->prefix, agent, key, sizeof(key)) :
	    view_key_team_alerts(v->prefix, team, key, sizeof(key)))) {
		f->failed = true;
		return;
	}
	slot = keyslot(key, strlen(key));
	if (firing ? redis_command(v->redis, slot, 4, (const char *[]){"HSET", key, field, json}, NULL, view_on_reply, f) :
	    redis_command(v->redis, slot, 3, (const char *[]){"HDEL", key, field}, NULL, view_on_reply, f))
		f->pending++;
	else
		f->failed = true;
	if (v->wait == NULL || v->wait->replicas == 0)
		return;
	f->wait_replicas = v->wait->replicas;
	view_wait(f, v->stream_slot);
	if (slot != v->stream_slot)
		view_wait(f, slot);
}

/* See view.h. */
void view_flush_send(struct view_flush *f, unsigned slot, const char *cmd, size_t len)
{
	f->slot = slot;
	view_send(f, cmd, len, view_on_reply);
}

/* See view.h. */
void view_flush_fail(struct view_flush *f)
{
	f->failed = true;
}

/* See view.h. */
void view_flush_end(struct view_flush *f, view_done_fn fn, void *arg)
{
	for (int i = 0; i < f->v->shards; i++)
		view_seen_send(f, i);
	f->fn = fn;
	f->arg = arg;
	f->ended = true;
	view_flush_settle(f);
}
