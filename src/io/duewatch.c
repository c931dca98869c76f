/* duewatch.c: fires reply clocks at their at-risk point and deadline, from deadlines kept in Redis. */
#include "duewatch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timestamp.h"

/* Clocks claimed per script call; a larger backlog is taken in further calls right away. */
#define DUEWATCH_CLAIM_LIMIT "1000"
#define DUEWATCH_CLAIM_ARGS 5

struct duewatch {
	const struct config *cfg;
	struct redis *redis;
	struct agentstats *stats;
	struct alertpub *alerts;
	struct metrics *metrics;
	struct event *timer;      /* the earliest known action */
	struct event *rescan;     /* deadlines other instances added */
	int64_t armed_at;         /* epoch ms the timer fires, or -1 */
	bool claiming;
	bool again;               /* another claim was wanted while one ran */
	int64_t open, overdue;    /* over all agents, from the last claim */
	char windows[WINDOWS_SPEC_SIZE];
};

/* Arms the timer for due_ms unless it already fires earlier. */
void duewatch_expect(struct duewatch *w, int64_t due_ms)
{
	int64_t delay;
	struct timeval tv;

	if (w->armed_at >= 0 && w->armed_at <= due_ms)
		return;
	delay = due_ms - ts_now_ms();
	if (delay < 0)
		delay = 0;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(w->timer, &tv);
	w->armed_at = due_ms;
}

/* The claim script answered: publish what fired and arm for what comes next. */
static void duewatch_on_claimed(void *arg, redisReply *reply)
{
	struct duewatch *w = arg;
	int64_t next;

	w->claiming = false;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 6) {
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
			log_limited(LOG_ERR, "claim", "redis: clock claim failed: %s", reply->str);
		return; /* the rescan timer, or Redis coming back, tries again */
	}
	w->metrics->clocks_fired += (uint64_t)reply->element[0]->integer;
	agentstats_publish(w->stats, reply->element[1]);
	alertpub_outbox(w->alerts, reply->element[2]);
	next = reply->element[3]->integer;
	w->open = reply->element[4]->integer;
	w->overdue = reply->element[5]->integer;
	if (w->again || (next >= 0 && next <= ts_now_ms())) {
		w->again = false;
		duewatch_check(w);
	} else if (next >= 0) {
		duewatch_expect(w, next);
	}
}

/* See duewatch.h. */
void duewatch_check(struct duewatch *w)
{
	char now[24], max_future[24];

	if (w->claiming) {
		w->again = true;
		return;
	}
	if (!redis_is_up(w->redis))
		return;
	snprintf(now, sizeof(now), "%" PRId64, ts_now_ms());
	snprintf(max_future, sizeof(max_future), "%" PRId64, w->cfg->max_future_ms);
	if (redis_script(w->redis, SCRIPT_CLAIM, DUEWATCH_CLAIM_ARGS,
	        (const char *[]){now, w->cfg->prefix, w->windows, max_future, DUEWATCH_CLAIM_LIMIT}, NULL,
	        duewatch_on_claimed, w))
		w->claiming = true;
}

/* The earliest action is due. */
static void duewatch_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct duewatch *w = arg;

	(void)fd;
	(void)what;
	w->armed_at = -1;
	duewatch_check(w);
}

/* Arms the periodic rescan. */
static void duewatch_arm_rescan(struct duewatch *w)
{
	struct timeval tv = {w->cfg->rescan_ms / 1000, (w->cfg->rescan_ms % 1000) * 1000};

	evtimer_add(w->rescan, &tv);
}

/* Periodic: a claim also reports the earliest deadline, including other instances' ones. */
static void duewatch_on_rescan(evutil_socket_t fd, short what, void *arg)
{
	struct duewatch *w = arg;

	(void)fd;
	(void)what;
	duewatch_check(w);
	duewatch_arm_rescan(w);
}

/* See duewatch.h. */
void duewatch_clocks(const struct duewatch *w, int64_t *open, int64_t *overdue)
{
	*open = w->open;
	*overdue = w->overdue;
}

/* See duewatch.h. */
void duewatch_reconfigure(struct duewatch *w)
{
	windows_encode(&w->cfg->windows, w->windows, sizeof(w->windows));
	evtimer_del(w->rescan);
	duewatch_arm_rescan(w);
}

/* See duewatch.h. */
struct duewatch *duewatch_new(struct event_base *base, const struct config *cfg, struct redis *redis,
    struct agentstats *stats, struct alertpub *alerts, struct metrics *metrics)
{
	struct duewatch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->cfg = cfg;
	w->redis = redis;
	w->stats = stats;
	w->alerts = alerts;
	w->metrics = metrics;
	w->armed_at = -1;
	w->timer = evtimer_new(base, duewatch_on_timer, w);
	w->rescan = evtimer_new(base, duewatch_on_rescan, w);
	duewatch_reconfigure(w);
	return w;
}

/* See duewatch.h. */
void duewatch_free(struct duewatch *w)
{
	if (w == NULL)
		return;
	event_free(w->timer);
	event_free(w->rescan);
	free(w);
}
