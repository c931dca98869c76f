/* viewq.c: committed agent views waiting for Redis: the newest per agent, one round at a time. */
#include "viewq.h"

#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "timestamp.h"

/* One agent's queued view; the agent's id is owned here. */
struct viewq_item {
	char *agent;
	struct task_view view;
};

struct viewq {
	struct view *view;
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
	free(q);
}

/* See viewq.h. */
struct viewq *viewq_new(struct view *view, void (*failed)(void *arg), void *arg)
{
	struct viewq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->view = view;
	q->failed = failed;
	q->arg = arg;
	if ((q->index = idmap_new(64)) == NULL) {
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

	if (q->out || q->n == 0 || (f = view_flush_begin(q->view)) == NULL)
		return;
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
	if (q->out)
		q->dead = true;
	else
		viewq_release(q);
}
