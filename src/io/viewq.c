/* viewq.c: committed agent views waiting for Redis: the newest per agent, one round at a time. */
#include "viewq.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey.h"
#include "idmap.h"
#include "log.h"
#include "metrics.h"
#include "timestamp.h"
#include "viewmonth.h"
#include "viewrank.h"

/*
 * A round starts no sooner than this many times the last round's duration after that one
 * began: with Redis busy, views give way to commits (about a third of Redis at most), and
 * each agent's figures are simply newer when written.
 */
#define VIEWQ_PACE 3
/* An agent not queued. */
#define VIEWQ_NONE UINT32_MAX
/*
 * Bytes of queue (items or names) kept allocated after a round went out: enough for
 * benchmark 1's rounds (~1,250 agents a task, 680 KB), which reuse their pages; a burst's
 * larger buffer is given back, so a queue that held every agent of its task does not keep it.
 */
#define VIEWQ_KEEP (1024 * 1024)
/*
 * A round stops taking agents once it added this many bytes to what the views' connection
 * holds not yet on the socket; the rest wait for the next round, as items (~550 bytes)
 * rather than as RESP (~2.5 KB for a write in full, as every agent's first after a restore).
 */
#define VIEWQ_ROUND_BYTES (4 * 1024 * 1024)

/*
 * One agent's queued view: its slot, its id at names + name, and the totals of the configured
 * windows only (view_window_count; a task_view has room for WINDOWS_MAX): items are
 * viewq.item bytes apart.
 */
struct viewq_item {
	uint32_t slot;
	uint32_t name;
	int64_t open, overdue, newest_ms;
	int64_t since_ms; /* the oldest change it shows (task_view.since_ms); 0: none */
	int64_t rank[WINDOWS_MAX][RANK_COUNT];
	struct appraisal_view months[APPRAISAL_MONTHS];
	size_t nmonths;
	struct totals totals[];
};

struct viewq {
	struct view *view;
	struct event *pace_ev;    /* the next round, when the pace holds it back */
	int64_t round_start_ms;
	int64_t round_ms;         /* how long the last round took */
	void (*failed)(void *arg);
	void *arg;
	struct metrics *metrics;  /* feedbackd_view_delay_seconds */
	int64_t *round_since;     /* the since_ms of the round out, observed when it answers */
	size_t round_since_n, round_since_cap;
	/* Every agent ever queued has a slot, for the queue's life: its memo and its queue position. */
	struct idmap *slots;      /* agent -> slot */
	view_memo_t *memo;        /* fields per slot: what its hash holds (view.h), its rankings, its months */
	char **team;              /* per slot: its team as of its newest view; NULL: none */
	char **ranked;            /* per slot: the team whose rankings hold it, as written; NULL: none */
	struct viewrank *rank;    /* the rankings' writes of the round being built */
	size_t stats_fields;      /* view_memo_fields: the memo's entries for the hash */
	size_t month_memo;        /* where in a slot's memo its months' entries start */
	uint32_t *queued;         /* per slot: its position in items, or VIEWQ_NONE */
	size_t nslots, slots_cap, fields;
	uint64_t session;         /* the connection the memos were written on (view_session) */
	char *items;              /* the queue: n items of item bytes each */
	size_t n, cap, item, windows;
	char *names;              /* the queued agents' ids, NUL-terminated, for this round */
	size_t names_len, names_cap;
	size_t out;               /* rounds awaiting their answer (more than one only once closing) */
	bool dead;                /* freed by its owner while a round was out */
	bool closing;             /* its owner let its agents go: rounds go at once (viewq_close) */
	bool quiet;               /* its owner expects no new views soon: rounds are not paced */
	void (*idle)(void *arg);  /* told when a closing queue has nothing left queued or out */
	/* Rounds since the last debug summary (viewq_debug_round): how many, agents, time. */
	struct {
		uint64_t rounds, agents, failed;
		int64_t since_ms, total_ms;
	} debug;
	size_t round_agents;      /* agents in the round out */
};

/* Forgets what every hash holds: each agent's next write is in full. */
static void viewq_forget(struct viewq *q)
{
	for (size_t i = 0; i < q->nslots * q->fields; i++)
		q->memo[i] = VIEW_MEMO_UNKNOWN;
}

/* Frees the queue itself. */
static void viewq_release(struct viewq *q)
{
	free(q->items);
	free(q->names);
	free(q->round_since);
	free(q->memo);
	for (size_t i = 0; i < q->nslots; i++) {
		free(q->team[i]);
		free(q->ranked[i]);
	}
	free(q->team);
	free(q->ranked);
	viewrank_free(q->rank);
	free(q->queued);
	idmap_free(q->slots);
	if (q->pace_ev != NULL)
		event_free(q->pace_ev);
	free(q);
}

/* Queued item i. */
static struct viewq_item *viewq_at(const struct viewq *q, size_t i)
{
	return (struct viewq_item *)(void *)(q->items + i * q->item);
}

/* Gives back the empty queue's buffers when a burst made them larger than VIEWQ_KEEP. */
static void viewq_shrink(struct viewq *q)
{
	if (q->cap * q->item > VIEWQ_KEEP) {
		free(q->items);
		q->items = NULL;
		q->cap = 0;
	}
	if (q->names_cap > VIEWQ_KEEP) {
		free(q->names);
		q->names = NULL;
		q->names_cap = 0;
	}
}

/* The first `sent` items went in a round: the rest move to the front, names too; an empty queue shrinks. */
static void viewq_keep_rest(struct viewq *q, size_t sent)
{
	size_t at = 0;

	q->n -= sent;
	memmove(q->items, q->items + sent * q->item, q->n * q->item);
	/* Names lie in queue order, so each moves to an offset at or below its own. */
	for (size_t i = 0; i < q->n; i++) {
		struct viewq_item *it = viewq_at(q, i);
		size_t len = strlen(q->names + it->name) + 1;

		memmove(q->names + at, q->names + it->name, len);
		it->name = (uint32_t)at;
		at += len;
		q->queued[it->slot] = (uint32_t)i;
	}
	q->names_len = at;
	if (q->n == 0)
		viewq_shrink(q);
}

/* Empties the queue: its agents are no longer queued. */
static void viewq_drop(struct viewq *q)
{
	for (size_t i = 0; i < q->n; i++)
		q->queued[viewq_at(q, i)->slot] = VIEWQ_NONE;
	q->n = 0;
	q->names_len = 0;
	viewq_shrink(q);
}

/* The pace timer: the held-back round goes now. */
static void viewq_on_pace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	viewq_kick(arg);
}

/* See viewq.h. */
struct viewq *viewq_new(struct event_base *base, struct view *view, struct metrics *metrics,
    void (*failed)(void *arg), void *arg)
{
	struct viewq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->view = view;
	q->metrics = metrics;
	q->failed = failed;
	q->arg = arg;
	q->stats_fields = view_memo_fields(view);
	q->windows = view_window_count(view);
	q->item = sizeof(struct viewq_item) + q->windows * sizeof(struct totals);
	if ((q->rank = viewrank_new(view_prefix(view), view_windows(view))) == NULL ||
	    (q->slots = idmap_new(64)) == NULL || (q->pace_ev = evtimer_new(base, viewq_on_pace, q)) == NULL) {
		viewq_release(q);
		return NULL;
	}
	q->month_memo = q->stats_fields + viewrank_memo_fields(q->rank);
	q->fields = q->month_memo + VIEWMONTH_MEMO_FIELDS;
	return q;
}

/* realloc for an array of n elements of size, NULL on overflow too. */
static void *viewq_realloc(void *p, size_t n, size_t size)
{
	return n > SIZE_MAX / size ? NULL : realloc(p, n * size);
}

/* The slot of agent (len bytes), made on first sight with nothing known; false when out of memory. */
static bool viewq_slot(struct viewq *q, const char *agent, size_t len, uint32_t *slot)
{
	if (idmap_get(q->slots, agent, len, slot))
		return true;
	if (q->nslots == q->slots_cap) {
		size_t cap = q->slots_cap ? q->slots_cap * 2 : 64;
		view_memo_t *memo = viewq_realloc(q->memo, cap, q->fields * sizeof(*memo));
		uint32_t *queued;
		char **team, **ranked;

		if (memo == NULL)
			return false;
		q->memo = memo;
		if ((team = viewq_realloc(q->team, cap, sizeof(*team))) == NULL)
			return false;
		q->team = team;
		if ((ranked = viewq_realloc(q->ranked, cap, sizeof(*ranked))) == NULL)
			return false;
		q->ranked = ranked;
		if ((queued = viewq_realloc(q->queued, cap, sizeof(*queued))) == NULL)
			return false;
		q->queued = queued;
		q->slots_cap = cap;
	}
	if (idmap_put(q->slots, agent, len, (uint32_t)q->nslots) < 0)
		return false;
	*slot = (uint32_t)q->nslots++;
	q->queued[*slot] = VIEWQ_NONE;
	q->team[*slot] = q->ranked[*slot] = NULL;
	for (size_t i = 0; i < q->fields; i++)
		q->memo[*slot * q->fields + i] = VIEW_MEMO_UNKNOWN;
	return true;
}

/* Sets an item's view. */
static void viewq_set(const struct viewq *q, struct viewq_item *it, const struct task_view *v)
{
	it->open = v->open;
	it->overdue = v->overdue;
	it->newest_ms = v->newest_ms;
	it->since_ms = v->since_ms;
	memcpy(it->rank, v->rank, sizeof(it->rank));
	memcpy(it->months, v->months, v->nmonths * sizeof(it->months[0]));
	it->nmonths = v->nmonths;
	memcpy(it->totals, v->totals, q->windows * sizeof(it->totals[0]));
}

/* Whether two teams (NULL: none) are the same. */
static bool viewq_same_team(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* Keeps an agent's team as of its newest view; false when out of memory. */
static bool viewq_set_team(struct viewq *q, uint32_t slot, const char *team)
{
	char *copy = NULL;

	if (viewq_same_team(q->team[slot], team))
		return true;
	if (team != NULL && (copy = strdup(team)) == NULL)
		return false;
	free(q->team[slot]);
	q->team[slot] = copy;
	return true;
}

/* See viewq.h. */
bool viewq_put(struct viewq *q, const struct task_view *v)
{
	size_t len = strlen(v->agent);
	struct viewq_item *it;
	uint32_t slot;

	if (!viewq_slot(q, v->agent, len, &slot) || !viewq_set_team(q, slot, v->team))
		return false;
	if (q->queued[slot] != VIEWQ_NONE) {
		struct viewq_item *queued = viewq_at(q, q->queued[slot]);
		int64_t since = queued->since_ms;

		viewq_set(q, queued, v);
		/* The delay counts from the oldest change the write shows. */
		if (since != 0 && (queued->since_ms == 0 || since < queued->since_ms))
			queued->since_ms = since;
		return true;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap + q->cap / 2 : 64;
		char *items = viewq_realloc(q->items, cap, q->item);

		if (items == NULL)
			return false;
		q->items = items;
		q->cap = cap;
	}
	if (q->names_len + len + 1 > q->names_cap) {
		size_t cap = q->names_cap ? q->names_cap : 4096;
		char *names;

		while (cap < q->names_len + len + 1)
			cap *= 2;
		if ((names = realloc(q->names, cap)) == NULL)
			return false;
		q->names = names;
		q->names_cap = cap;
	}
	it = viewq_at(q, q->n);
	it->slot = slot;
	it->name = (uint32_t)q->names_len;
	viewq_set(q, it, v);
	memcpy(q->names + q->names_len, v->agent, len + 1);
	q->names_len += len + 1;
	q->queued[slot] = (uint32_t)q->n++;
	return true;
}

/* Keeps the since_ms of a view going in the round, for its delay; none when out of memory. */
static void viewq_track(struct viewq *q, int64_t since_ms)
{
	if (q->round_since_n == q->round_since_cap) {
		size_t cap = q->round_since_cap ? q->round_since_cap * 2 : 256;
		int64_t *p = viewq_realloc(q->round_since, cap, sizeof(*p));

		if (p == NULL)
			return;
		q->round_since = p;
		q->round_since_cap = cap;
	}
	q->round_since[q->round_since_n++] = since_ms;
}

/* Counts an answered round, and at most once a second says at debug level what rounds wrote. */
static void viewq_debug_round(struct viewq *q, bool ok, int64_t now)
{
	int64_t elapsed;

	q->debug.rounds++;
	q->debug.agents += q->round_agents;
	q->debug.failed += !ok;
	q->debug.total_ms += q->round_ms;
	if (!log_summary_due(&q->debug.since_ms, now, &elapsed))
		return;
	log_debug("views: %" PRIu64 " rounds in %.1f s, %" PRIu64 " agents written, mean %.1f ms a round, %" PRIu64
	    " failed, %zu agents queued", q->debug.rounds, (double)elapsed / 1000.0, q->debug.agents,
	    (double)q->debug.total_ms / (double)q->debug.rounds, q->debug.failed, q->n);
	q->debug.rounds = q->debug.agents = q->debug.failed = 0;
	q->debug.total_ms = 0;
}

/* A round was answered: the next one goes, or the owner hears of a failure. */
static void viewq_on_round(void *arg, bool ok)
{
	struct viewq *q = arg;
	int64_t now = ts_now_ms();

	q->out--;
	q->round_ms = now - q->round_start_ms;
	if (!q->dead)
		viewq_debug_round(q, ok, now);
	if (ok)
		for (size_t i = 0; i < q->round_since_n; i++)
			metrics_seconds(&q->metrics->view_delay, (double)(now - q->round_since[i]) / 1000.0);
	q->round_since_n = 0;
	if (q->dead) {
		if (q->out == 0)
			viewq_release(q);
		return;
	}
	if (!ok) {
		/* What landed is not known: every agent is written in full again. */
		viewq_forget(q);
		q->failed(q->arg);
	}
	viewq_kick(q);
	if (q->closing && viewq_idle(q))
		q->idle(q->arg);
}

/* Adds an agent's places in the rankings to the round; one that changed team leaves the old team's. */
static void viewq_rank(struct viewq *q, uint32_t slot, const char *agent, const int64_t rank[WINDOWS_MAX][RANK_COUNT])
{
	const char *team = q->team[slot];
	bool moved = !viewq_same_team(q->ranked[slot], team);
	char *copy = NULL;

	viewrank_agent(q->rank, agent, team, moved ? q->ranked[slot] : NULL, rank,
	    q->memo + (size_t)slot * q->fields + q->stats_fields);
	if (moved && (team == NULL || (copy = strdup(team)) != NULL)) {
		free(q->ranked[slot]);
		q->ranked[slot] = copy;
	}
}

/* See viewq.h. */
void viewq_kick(struct viewq *q)
{
	struct view_flush *f;
	bool track;
	int64_t now = ts_now_ms();
	int64_t wait = q->round_start_ms + VIEWQ_PACE * q->round_ms - now;
	size_t i, unsent = view_unsent(q->view);

	if ((q->out > 0 && !q->closing) || q->n == 0 || evtimer_pending(q->pace_ev, NULL))
		return;
	if (!view_up(q->view)) {
		/*
		 * With the connection down the views wait, newest per agent, until it is back; a
		 * closing queue's could land after a new owner's by then, and are dropped.
		 */
		if (q->closing)
			viewq_drop(q);
		return;
	}
	if (wait > 0 && !q->closing && !q->quiet) {
		struct timeval tv = {wait / 1000, (wait % 1000) * 1000};

		evtimer_add(q->pace_ev, &tv);
		return;
	}
	if ((f = view_flush_begin(q->view)) == NULL)
		return;
	if (view_session(q->view) != q->session) {
		/* A new connection, maybe to a server that lost writes: nothing is known of the hashes. */
		viewq_forget(q);
		q->session = view_session(q->view);
	}
	q->round_start_ms = now;
	/* Overlapping rounds (a closing queue's) are not timed: one list of delays per round out. */
	track = q->out == 0;
	q->round_since_n = 0;
	/* A closing queue's views all go in this round: a later one could land after a new owner's. */
	for (i = 0; i < q->n && (q->closing || view_unsent(q->view) - unsent < VIEWQ_ROUND_BYTES); i++) {
		const struct viewq_item *it = viewq_at(q, i);
		const char *agent = q->names + it->name;

		if (track && it->since_ms != 0)
			viewq_track(q, it->since_ms);
		view_agent_stats(f, agent, it->totals, it->open, it->overdue, now,
		    q->memo + (size_t)it->slot * q->fields);
		viewmonth_write(f, view_prefix(q->view), agent, it->months, it->nmonths,
		    q->memo + (size_t)it->slot * q->fields + q->month_memo);
		/* fb:agents and the rankings list agents only. */
		if (!group_key_is(agent)) {
			if (it->newest_ms > 0)
				view_agent_seen(f, agent, it->newest_ms);
			viewq_rank(q, it->slot, agent, it->rank);
		}
		q->queued[it->slot] = VIEWQ_NONE;
	}
	q->round_agents = i;
	viewq_keep_rest(q, i);
	viewrank_send(q->rank, f);
	q->out++;
	view_flush_end(f, viewq_on_round, q);
}

/* See viewq.h. */
void viewq_quiet(struct viewq *q, bool quiet)
{
	q->quiet = quiet;
	if (quiet && evtimer_pending(q->pace_ev, NULL)) {
		evtimer_del(q->pace_ev);
		viewq_kick(q);
	}
}

/* See viewq.h. */
bool viewq_idle(const struct viewq *q)
{
	return q->out == 0 && q->n == 0;
}

/* See viewq.h. */
void viewq_close(struct viewq *q, void (*idle)(void *arg))
{
	q->closing = true;
	q->idle = idle;
	evtimer_del(q->pace_ev);
	viewq_kick(q);
}

/* See viewq.h. */
void viewq_free(struct viewq *q)
{
	if (q == NULL)
		return;
	evtimer_del(q->pace_ev);
	if (q->out > 0)
		q->dead = true;
	else
		viewq_release(q);
}
