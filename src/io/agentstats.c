/* agentstats.c: turns the raw totals a script returns into each agent's contract stats hash. */
#include "agentstats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sums.h"
#include "timestamp.h"

/*
 * An agent's write is put off at most this long: one that every batch holds would otherwise
 * never be written while the load lasts.
 */
#define AGENTSTATS_DEFER_MAX_MS 1000
/*
 * At most this many such overdue writes go in one call; the rest wait for the next. Agents
 * put off together come due together, and one call for all of them costs memory in a lump.
 */
#define AGENTSTATS_OVERDUE_PER_CALL 100

/* Fields per window in stats_render, and the fixed ones besides. */
#define AGENTSTATS_WINDOW_FIELDS 15
#define AGENTSTATS_FIXED_FIELDS 3

struct agentstats {
	const struct config *cfg;
	struct redis *redis;
	struct metrics *metrics;
	agentstats_fn listener;
	void *listener_arg;
	agentstats_pending_fn pending;
	void *pending_arg;
};

/*
 * The stats_write arguments for every agent of one reply. Arguments are kept as offsets
 * into one growing text buffer and turned into pointers only when it stops moving.
 */
struct agentstats_args {
	char *text;
	size_t used, text_cap;
	size_t *start;
	size_t argc, arg_cap;
	bool failed;
};

/* Appends one argument. */
static void agentstats_arg(struct agentstats_args *a, const char *s)
{
	size_t len = strlen(s) + 1;

	if (a->used + len > a->text_cap) {
		size_t cap = a->text_cap ? a->text_cap * 2 : 65536;
		char *text;

		while (cap < a->used + len)
			cap *= 2;
		if ((text = realloc(a->text, cap)) == NULL) {
			a->failed = true;
			return;
		}
		a->text = text;
		a->text_cap = cap;
	}
	if (a->argc == a->arg_cap) {
		size_t cap = a->arg_cap ? a->arg_cap * 2 : 1024;
		size_t *start = realloc(a->start, cap * sizeof(*start));

		if (start == NULL) {
			a->failed = true;
			return;
		}
		a->start = start;
		a->arg_cap = cap;
	}
	memcpy(a->text + a->used, s, len);
	a->start[a->argc++] = a->used;
	a->used += len;
}

/* Appends an integer argument. */
static void agentstats_arg_int(struct agentstats_args *a, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	agentstats_arg(a, buf);
}

/* stats_render callback: one contract field, "" meaning absent. */
static void agentstats_field(void *ctx, const char *field, const char *value)
{
	agentstats_arg(ctx, field);
	agentstats_arg(ctx, value != NULL ? value : "");
}

/* The stats_write answer; agents it skipped had a newer version written meanwhile. */
static void agentstats_on_written(void *arg, redisReply *reply)
{
	(void)arg;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_limited(LOG_ERR, "stats-write", "redis: stats write failed: %s", reply->str);
}

/* Sends the collected arguments as one script call. */
static void agentstats_send(struct agentstats *s, struct agentstats_args *a)
{
	const char **argv;

	if (!a->failed && a->argc <= 1)
		return; /* every agent deferred, or none decoded */
	if (a->failed || (argv = malloc(a->argc * sizeof(*argv))) == NULL) {
		log_limited(LOG_ERR, "stats-write", "stats: out of memory; the next refresh rewrites them");
		return;
	}
	for (size_t i = 0; i < a->argc; i++)
		argv[i] = a->text + a->start[i];
	redis_script(s->redis, SCRIPT_STATS_WRITE, (int)a->argc, argv, NULL, agentstats_on_written, s);
	free(argv);
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
void agentstats_defer(struct agentstats *s, agentstats_pending_fn fn, void *arg)
{
	s->pending = fn;
	s->pending_arg = arg;
}

/* Adds one agent's stats_write arguments: id, version, field count, then the fields. */
static void agentstats_render(struct agentstats *s, struct agentstats_args *a, const char *agent,
    const struct sums *sums, int64_t now)
{
	const struct windows *ws = &s->cfg->windows;

	agentstats_arg(a, agent);
	agentstats_arg_int(a, sums->version);
	agentstats_arg_int(a, AGENTSTATS_FIXED_FIELDS + (int64_t)ws->count * AGENTSTATS_WINDOW_FIELDS);
	agentstats_arg(a, "open_tickets");
	agentstats_arg_int(a, sums->open);
	agentstats_arg(a, "overdue_tickets");
	agentstats_arg_int(a, sums->overdue);
	agentstats_arg(a, "updated_at");
	agentstats_arg_int(a, now);
	for (size_t w = 0; w < ws->count; w++)
		stats_render(ws->w[w].name, &sums->w[w], agentstats_field, a);
}

/*
 * Whether to leave the agent's write to the later call that holds it (see agentstats_defer);
 * overdue counts the writes this call makes although they could have been left.
 */
static bool agentstats_put_off(struct agentstats *s, const redisReply *agent, int64_t now, size_t *overdue)
{
	int64_t *since = s->pending != NULL ? s->pending(s->pending_arg, agent->str, agent->len) : NULL;

	if (since == NULL)
		return false;
	if (*since == 0)
		*since = now;
	if (now - *since < AGENTSTATS_DEFER_MAX_MS || *overdue >= AGENTSTATS_OVERDUE_PER_CALL)
		return true;
	(*overdue)++;
	*since = now; /* written now; the next put-off counts from here */
	return false;
}

/* See agentstats.h. */
void agentstats_publish(struct agentstats *s, const redisReply *totals)
{
	const struct windows *ws = &s->cfg->windows;
	struct agentstats_args a = {0};
	struct sums sums;
	char spec[WINDOWS_SPEC_SIZE];
	int64_t now = ts_now_ms();
	size_t overdue = 0;

	/* Per agent: its id, its sums (MessagePack, sums.h), its rule states (totals_update). */
	if (totals == NULL || totals->type != REDIS_REPLY_ARRAY || totals->elements % 3 != 0 ||
	    totals->elements == 0)
		return;
	windows_encode(ws, spec, sizeof(spec));
	agentstats_arg(&a, s->cfg->prefix);
	for (size_t at = 0; at < totals->elements; at += 3) {
		const redisReply *agent = totals->element[at], *packed = totals->element[at + 1];

		/* Sums for other windows (a reload raced the script) are skipped; the next ones fit. */
		if (agent->type != REDIS_REPLY_STRING || packed->type != REDIS_REPLY_STRING ||
		    !sums_decode(packed->str, packed->len, spec, ws->count, &sums))
			continue;
		if (agentstats_put_off(s, agent, now, &overdue))
			s->metrics->stats_deferred++;
		else
			agentstats_render(s, &a, agent->str, &sums, now);
		if (s->listener != NULL)
			s->listener(s->listener_arg, agent->str, sums.w, totals->element[at + 2]);
	}
	agentstats_send(s, &a);
	free(a.text);
	free(a.start);
}

/* See agentstats.h. */
void agentstats_free(struct agentstats *s)
{
	free(s);
}
