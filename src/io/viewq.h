/* viewq.h: committed agent views waiting for Redis: the newest per agent, one round at a time. */
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
 * Writes what is queued in one round unless a round is out or paced back; the next round
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
 * Whether its owner expects no changes worth waiting for: it has nothing applied but not
 * committed, or its agents change about once a flush (task_hot false), so a later write
 * would combine nothing. Pacing only waits for more changes to write together, so a quiet
 * queue's rounds go at once: the end of a burst, and a steady stream, are shown without
 * the pace's wait.
 */
void viewq_quiet(struct viewq *q, bool quiet);

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
