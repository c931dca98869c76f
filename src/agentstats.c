/* agentstats.c: turns the raw totals a script returns into each agent's contract stats hash. */
#include "agentstats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timestamp.h"

/* Fields per window in stats_render, and the fixed ones besides. */
#define AGENTSTATS_WINDOW_FIELDS 15
#define AGENTSTATS_FIXED_FIELDS 3
#define AGENTSTATS_ARGS (3 + 2 * (AGENTSTATS_FIXED_FIELDS + WINDOWS_MAX * AGENTSTATS_WINDOW_FIELDS))

struct agentstats {
	const struct config *cfg;
	struct redis *redis;
	struct metrics *metrics;
	agentstats_fn listener;
	void *listener_arg;
};

/* The stats_write arguments for one agent, with their text kept alongside. */
struct agentstats_args {
	const char *argv[AGENTSTATS_ARGS];
	int argc;
	char text[AGENTSTATS_ARGS * 48];
	size_t used;
};

/* Copies s into the argument text and appends it. */
static void agentstats_arg(struct agentstats_args *a, const char *s)
{
	size_t len = strlen(s) + 1;

	if (a->argc == AGENTSTATS_ARGS || a->used + len > sizeof(a->text))
		return; /* cannot happen with WINDOWS_MAX windows; keeps the buffer safe regardless */
	memcpy(a->text + a->used, s, len);
	a->argv[a->argc++] = a->text + a->used;
	a->used += len;
}

/* Appends a field and an integer value. */
static void agentstats_arg_int(struct agentstats_args *a, const char *field, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	agentstats_arg(a, field);
	agentstats_arg(a, buf);
}

/* stats_render callback: one contract field, "" meaning absent. */
static void agentstats_field(void *ctx, const char *field, const char *value)
{
	agentstats_arg(ctx, field);
	agentstats_arg(ctx, value != NULL ? value : "");
}

/* The stats_write answer: 0 only means a newer version was written meanwhile. */
static void agentstats_on_written(void *arg, redisReply *reply)
{
	struct agentstats *s = arg;

	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_limited(LOG_ERR, "stats-write", "redis: stats write failed: %s", reply->str);
	(void)s;
}

/* Reads an integer element, tolerating a missing or non-integer one as 0. */
static int64_t agentstats_int(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_INTEGER ? (int64_t)r->integer : 0;
}

/* See agentstats.h. */
struct agentstats *agentstats_new(const struct config *cfg, struct redis *redis, struct metrics *metrics)
{
	struct agentstats *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->redis = redis;
	s->metrics = metrics;
	return s;
}

/* See agentstats.h. */
void agentstats_listen(struct agentstats *s, agentstats_fn fn, void *arg)
{
	s->listener = fn;
	s->listener_arg = arg;
}

/* See agentstats.h. */
void agentstats_publish(struct agentstats *s, const redisReply *totals)
{
	const struct windows *ws = &s->cfg->windows;
	size_t stride = 5 + ws->count * COUNTER_COUNT; /* agent, v, open, overdue, counters, rules */
	struct agentstats_args *a;
	struct totals per_window[WINDOWS_MAX];

	if (totals == NULL || totals->type != REDIS_REPLY_ARRAY || totals->elements % stride != 0)
		return;
	a = malloc(sizeof(*a));
	if (a == NULL)
		return;
	for (size_t at = 0; at < totals->elements; at += stride) {
		const redisReply *agent = totals->element[at];
		char version[24];
		int64_t open = agentstats_int(totals->element[at + 2]);
		int64_t overdue = agentstats_int(totals->element[at + 3]);

		if (agent->type != REDIS_REPLY_STRING)
			continue;
		a->argc = 0;
		a->used = 0;
		snprintf(version, sizeof(version), "%" PRId64, agentstats_int(totals->element[at + 1]));
		agentstats_arg(a, s->cfg->prefix);
		agentstats_arg(a, agent->str);
		agentstats_arg(a, version);
		agentstats_arg_int(a, "open_tickets", open);
		agentstats_arg_int(a, "overdue_tickets", overdue);
		agentstats_arg_int(a, "updated_at", ts_now_ms());
		for (size_t w = 0; w < ws->count; w++) {
			for (size_t c = 0; c < COUNTER_COUNT; c++)
				per_window[w].c[c] = agentstats_int(totals->element[at + 4 + w * COUNTER_COUNT + c]);
			stats_render(ws->w[w].name, &per_window[w], agentstats_field, a);
		}
		redis_script(s->redis, SCRIPT_STATS_WRITE, a->argc, a->argv, NULL, agentstats_on_written, s);
		if (s->listener != NULL)
			s->listener(s->listener_arg, agent->str, per_window, totals->element[at + stride - 1]);
	}
	free(a);
}

/* See agentstats.h. */
void agentstats_free(struct agentstats *s)
{
	free(s);
}
