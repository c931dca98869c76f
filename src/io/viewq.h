/* viewq.h: agent views waiting for Redis: the newest per agent, one round at a time, within the owner's lease. */
#ifndef FEEDBACKD_VIEWQ_H
#define FEEDBACKD_VIEWQ_H

#include <stdbool.h>
#include <event2/event.h>

#include "metrics.h"
#include "task.h"
#include "view.h"

struct viewq;

/*
 * A queue writing through view, which remembers what each agent's hash holds to write only
 * what changed (view_agent_stats' memo); failed runs when a round was not fully written, or
 * found a hash changed behind its back, and every agent's next write is then in full. Each
 * written view that shows a change (since_ms) is timed into metrics' view delay when its
 * round answers.
 */
struct viewq *viewq_new(struct event_base *base, struct view *view, struct metrics *metrics,
    void (*failed)(void *arg), void *arg);

/* Queues an agent's view (copied), replacing an older one of the same agent; false when out of memory. */
bool viewq_put(struct viewq *q, const struct task_view *v);

/*
 * Writes what is queued in one round unless a round is out, paced back or outside the lease; the next round
 * starts when it answers, and, unless the queue is quiet, no sooner than a few times its
 * duration after it began. So under load a round carries more agents, each once, whatever
 * the commits. A round stops
 * taking agents once it added a few MB of commands not yet on the socket (the rest go in the
 * next round), so writes in full after a restore do not pile up as RESP.
 * While the view's connection is down nothing goes: kick again when it is back (a new
 * connection's first writes are in full).
 */
void viewq_kick(struct viewq *q);

/*
 * Whether its owner expects no changes worth waiting for: its agents change about once a
 * show (task_hot false), so a later write would combine nothing. Pacing only waits for
 * more changes to write together, so a quiet queue's rounds go at once: a steady stream is
 * shown without the pace's wait.
 */
void viewq_quiet(struct viewq *q, bool quiet);

/*
 * Rounds go only within [from_ms, until_ms) of ts_mono_ms: the owner's lease on its agents'
 * views (docs/architecture.md, "Views and the lease"). Before from_ms the queue waits on a
 * timer; from until_ms on it waits for the next viewq_allow. A new queue has no lease.
 */
void viewq_allow(struct viewq *q, int64_t from_ms, int64_t until_ms);

/* True when views are queued, not yet in a round. */
bool viewq_waiting(const struct viewq *q);

/* Drops what is queued, not yet in a round: its owner's lease is gone for good (fenced). */
void viewq_discard(struct viewq *q);

/* True when nothing is queued or out. */
bool viewq_idle(const struct viewq *q);

/*
 * Its owner lets its agents go (a revoked task) while a new owner may write them next, in
 * full once, then only what changed: so nothing of this queue may land after that. From now
 * on what is queued is written at once, neither paced nor behind a round still out (one
 * connection keeps the order of its writes); with the connection down it is dropped. idle
 * runs (arg as given to viewq_new) when a round's answer leaves nothing queued or out; it
 * must not free the queue.
 */
void viewq_close(struct viewq *q, void (*idle)(void *arg));

/* Frees the queue; a round still out finishes without it. */
void viewq_free(struct viewq *q);

#endif
