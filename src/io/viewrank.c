/* viewrank.c: the fair rankings' sorted sets, fb:rank:NAME:W and fb:team:{T}:rank:NAME:W, written by rounds. */
#include "viewrank.h"

#include <stdlib.h>
#include <string.h>

#include "growarray.h"
#include "idmap.h"
#include "keyslot.h"
#include "resp.h"
#include "stats.h"

/* Room for a score's text: "-10000". */
#define VIEWRANK_SCORE_SIZE 24
/* A batch's id gives the window three bits (viewrank_batch). */
_Static_assert(WINDOWS_MAX <= 8, "a window's index must fit in three bits");

/* A batch is sent once it holds this many members, so one command stays small. */
#define VIEWRANK_CHUNK 512

/*
 * The members one round adds to (ZADD: score, member pairs) or removes from (ZREM) one key:
 * the arguments one after another in one buffer, each NUL-terminated, where each starts in off.
 */
struct viewrank_batch {
	char *key;
	bool zadd;
	char *buf;
	size_t len, buf_cap;
	size_t *off;
	size_t n, cap;
};

struct viewrank {
	char prefix[VIEW_PREFIX_MAX + 1];
	struct windows windows;
	struct idmap *index;  /* "A" or "R", then the key -> batch */
	struct viewrank_batch *batch;
	size_t n, cap;
	bool failed;          /* out of memory while building: the round fails */
};

/* See viewrank.h. */
struct viewrank *viewrank_new(const char *prefix, const struct windows *ws)
{
	struct viewrank *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
	r->windows = *ws;
	if ((r->index = idmap_new(64)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/* Frees what batch b holds. */
static void viewrank_batch_clear(struct viewrank_batch *b)
{
	free(b->buf);
	free(b->off);
	free(b->key);
	memset(b, 0, sizeof(*b));
}

/* Empties the round. */
static void viewrank_clear(struct viewrank *r)
{
	for (size_t i = 0; i < r->n; i++)
		viewrank_batch_clear(&r->batch[i]);
	r->n = 0;
	idmap_free(r->index);
	r->index = idmap_new(64);
	r->failed = r->index == NULL;
}

/* See viewrank.h. */
void viewrank_free(struct viewrank *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		viewrank_batch_clear(&r->batch[i]);
	free(r->batch);
	idmap_free(r->index);
	free(r);
}

/* See viewrank.h. */
size_t viewrank_memo_fields(const struct viewrank *r)
{
	return RANK_COUNT * r->windows.count;
}

/* The key of ranking id in window w: the site's (team NULL) or the team's; false when too long. */
static bool viewrank_key(const struct viewrank *r, const char *team, enum rank_id id, size_t w, char *buf,
    size_t size)
{
	return team == NULL ? view_key_rank(r->prefix, rank_name(id), r->windows.w[w].name, buf, size) :
	    view_key_team_rank(r->prefix, team, strlen(team), rank_name(id), r->windows.w[w].name, buf, size);
}

/*
 * The batch of the ranking id in window w of team (NULL: the site's), for ZADD or ZREM, made
 * on first use; NULL when out of memory, or with *too_long when the key is too long (then
 * there is no such ranking). Found by a short binary id, two bytes and the team's (so the
 * longest team id fits), and the key's text is formatted once a round, not once an agent.
 */
static struct viewrank_batch *viewrank_batch(struct viewrank *r, const char *team, enum rank_id id, size_t w,
    bool zadd, bool *too_long)
{
	char key[VIEW_KEY_SIZE], bid[IDMAP_MAX_KEY];
	size_t team_len = team == NULL ? 0 : strlen(team), len = 2 + team_len;
	uint32_t i;

	*too_long = len > sizeof(bid);
	if (*too_long || r->index == NULL)
		return NULL;
	/* the window in three bits (see the assertion above), the two flags above them */
	bid[0] = (char)((zadd ? 0x10 : 0) | (team != NULL ? 0x08 : 0) | (int)w);
	bid[1] = (char)id;
	if (team != NULL)
		memcpy(bid + 2, team, team_len);
	if (idmap_get(r->index, bid, len, &i))
		return &r->batch[i];
	if (!viewrank_key(r, team, id, w, key, sizeof(key))) {
		*too_long = true;
		return NULL;
	}
	if (!growarray((void **)&r->batch, &r->cap, r->n + 1, sizeof(*r->batch)))
		return NULL;
	memset(&r->batch[r->n], 0, sizeof(r->batch[r->n]));
	if ((r->batch[r->n].key = strdup(key)) == NULL || idmap_put(r->index, bid, len, (uint32_t)r->n) < 0) {
		free(r->batch[r->n].key);
		return NULL;
	}
	r->batch[r->n].zadd = zadd;
	return &r->batch[r->n++];
}

/* Appends one argument to a batch. */
static bool viewrank_arg(struct viewrank_batch *b, const char *s)
{
	size_t len = strlen(s) + 1;

	if (!growarray((void **)&b->off, &b->cap, b->n + 1, sizeof(*b->off)) ||
	    !growarray((void **)&b->buf, &b->buf_cap, b->len + len, 1))
		return false;
	memcpy(b->buf + b->len, s, len);
	b->off[b->n++] = b->len;
	b->len += len;
	return true;
}

/* Adds agent at score (ZADD) or, for RANK_NONE, takes it out (ZREM) of ranking id in window w of team. */
static void viewrank_put(struct viewrank *r, const char *team, enum rank_id id, size_t w, const char *agent,
    int64_t score)
{
	bool too_long;
	struct viewrank_batch *b = viewrank_batch(r, team, id, w, score != RANK_NONE, &too_long);
	char text[VIEWRANK_SCORE_SIZE];

	if (b == NULL) {
		r->failed |= !too_long;
		return;
	}
	if (score != RANK_NONE) {
		/* Hundredths as an integer: exact in a sorted set's double, and as ZSCORE prints it. */
		stats_format_fixed(score, 0, text, sizeof(text));
		if (!viewrank_arg(b, text)) {
			r->failed = true;
			return;
		}
	}
	if (!viewrank_arg(b, agent))
		r->failed = true;
}

/* See viewrank.h. */
void viewrank_agent(struct viewrank *r, const char *agent, const char *team, const char *old_team,
    const int64_t rank[WINDOWS_MAX][RANK_COUNT], view_memo_t *memo)
{
	for (size_t w = 0; old_team != NULL && w < r->windows.count; w++)
		for (int id = 0; id < RANK_COUNT; id++) {
			viewrank_put(r, old_team, (enum rank_id)id, w, agent, RANK_NONE);
			memo[w * RANK_COUNT + (size_t)id] = VIEW_MEMO_UNKNOWN;
		}
	for (size_t w = 0; w < r->windows.count; w++)
		for (int id = 0; id < RANK_COUNT; id++) {
			int64_t s = rank[w][id];
			/* Scores are hundredths of -100..100 or 0..100: within the memo's range. */
			view_memo_t code = s == RANK_NONE ? VIEW_MEMO_ABSENT : (view_memo_t)s;
			view_memo_t *m = &memo[w * RANK_COUNT + (size_t)id];

			if (*m == code)
				continue;
			*m = code;
			viewrank_put(r, NULL, (enum rank_id)id, w, agent, s);
			if (team != NULL)
				viewrank_put(r, team, (enum rank_id)id, w, agent, s);
		}
}

/* Sends one batch as "ZADD key args..." or "ZREM key args...". */
static void viewrank_send_batch(struct view_flush *f, const struct viewrank_batch *b)
{
	const char *head[2] = {b->zadd ? "ZADD" : "ZREM", b->key};
	const char *argv[VIEWRANK_CHUNK];
	size_t len;
	char *cmd;

	for (size_t at = 0; at < b->n;) {
		/* a ZADD's arguments go in pairs */
		size_t n = b->n - at < VIEWRANK_CHUNK ? b->n - at : VIEWRANK_CHUNK;

		for (size_t i = 0; i < n; i++)
			argv[i] = b->buf + b->off[at + i];
		if ((cmd = resp_command(2, head, (int)n, argv, NULL, &len)) == NULL) {
			view_flush_fail(f);
			return;
		}
		view_flush_send(f, keyslot(b->key, strlen(b->key)), cmd, len);
		free(cmd);
		at += n;
	}
}

/* See viewrank.h. */
void viewrank_send(struct viewrank *r, struct view_flush *f)
{
	if (r->failed)
		view_flush_fail(f);
	for (size_t i = 0; i < r->n; i++)
		viewrank_send_batch(f, &r->batch[i]);
	viewrank_clear(r);
}
