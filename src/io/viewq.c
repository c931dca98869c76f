/* viewq.c: committed agent views waiting for Redis: the newest per agent, one round at a time. */
#include "viewq.h"

#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "timestamp.h"

/*
 * A round starts no sooner than this many times the last round's duration after that one
 * began: with Redis busy, views give way to commits (about a third of Redis at most), and
 * each agent's figures are simply newer when written.
 */
#define VIEWQ_PACE 3

/* One agent's queued view; the agent's id is owned here. */
struct viewq_item {
	char *agent;
	struct task_view view;
};

struct viewq {
	struct view *view;
	struct event *pace_ev;    /* the next round, when the pace holds it back */
	int64_t round_start_ms;
	int64_t round_ms;         /* how long the last round took */
	void (*failed)(void *arg);
	void *arg;
	struct idmap *index;      /* agent -> position in items */
	struct viewq_item *items;
	size_t n, cap;
	bool out;                 /* a round awaits its answer */
	bool dead;                /* freed by its owner while a round was out */
};

/* Frees the queued items and forgets them. */
static void viewq_clear(struct viewq *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->items[i].agent);
	q->n = 0;
	idmap_free(q->index);
	q->index = idmap_new(64);
}

/* Frees the queue itself. */
static void viewq_release(struct viewq *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->items[i].agent);
	free(q->items);
	idmap_free(q->index);
	if (q->pace_ev != NULL)
		event_free(q->pace_ev);
	free(q);
}

/* The pace timer: the held-back round goes now. */
static void viewq_on_pace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	viewq_kick(arg);
}

/* See viewq.h. */
struct viewq *viewq_new(struct event_base *base, struct view *view, void (*failed)(void *arg), void *arg)
{
	struct viewq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->view = view;
	q->failed = failed;
	q->arg = arg;
	if ((q->index = idmap_new(64)) == NULL || (q->pace_ev = evtimer_new(base, viewq_on_pace, q)) == NULL) {
		idmap_free(q->index);
		free(q);
		return NULL;
	}
	return q;
}

/* See viewq.h. */
bool viewq_put(struct viewq *q, const struct task_view *v)
{
	size_t len = strlen(v->agent);
	uint32_t i;

	if (q->index == NULL)
		return false;
	if (idmap_get(q->index, v->agent, len, &i)) {
		char *agent = q->items[i].agent;

		q->items[i].view = *v;
		q->items[i].view.agent = agent;
		return true;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct viewq_item *p = realloc(q->items, cap * sizeof(*p));

		if (p == NULL)
			return false;
		q->items = p;
		q->cap = cap;
	}
	if ((q->items[q->n].agent = strdup(v->agent)) == NULL)
		return false;
	if (idmap_put(q->index, v->agent, len, (uint32_t)q->n) < 0) {
		free(q->items[q->n].agent);
		return false;
	}
	q->items[q->n].view = *v;
	q->items[q->n].view.agent = q->items[q->n].agent;
	q->n++;
	return true;
}

/* A round was answered: the next one goes, or the owner hears of a failure. */
static void viewq_on_round(void *arg, bool ok)
{
	struct viewq *q = arg;

	q->out = false;
	q->round_ms = ts_now_ms() - q->round_start_ms;
	if (q->dead) {
		viewq_release(q);
		return;
	}
	if (!ok)
		q->failed(q->arg);
	viewq_kick(q);
}

/* See viewq.h. */
void viewq_kick(struct viewq *q)
{
	struct view_flush *f;
	int64_t now = ts_now_ms();

	int64_t wait = q->round_start_ms + VIEWQ_PACE * q->round_ms - now;

	if (q->out || q->n == 0 || evtimer_pending(q->pace_ev, NULL))
		return;
	if (wait > 0) {
		struct timeval tv = {wait / 1000, (wait % 1000) * 1000};

		evtimer_add(q->pace_ev, &tv);
		return;
	}
	if ((f = view_flush_begin(q->view)) == NULL)
		return;
	q->round_start_ms = now;
	for (size_t i = 0; i < q->n; i++) {
		const struct task_view *v = &q->items[i].view;

		view_agent_stats(f, v->agent, v->totals, v->open, v->overdue, now);
		if (v->newest_ms > 0)
			view_agent_seen(f, v->agent, v->newest_ms);
	}
	viewq_clear(q);
	q->out = true;
	view_flush_end(f, viewq_on_round, q);
}

/* See viewq.h. */
bool viewq_idle(const struct viewq *q)
{
	return !q->out && q->n == 0;
}

/* See viewq.h. */
void viewq_free(struct viewq *q)
{
	if (q == NULL)
		return;
	evtimer_del(q->pace_ev);
	if (q->out)
		q->dead = true;
	else
		viewq_release(q);
}
