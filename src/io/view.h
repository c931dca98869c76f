/* view.h: writes the public contract keys in Redis (agent stats, fb:agents, alerts) (I/O). */
#ifndef FEEDBACKD_VIEW_H
#define FEEDBACKD_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis.h"
#include "stats.h"
#include "window.h"

/* The alerts stream keeps roughly this many messages (XADD MAXLEN ~). */
#define VIEW_STREAM_MAXLEN 10000
/* An alert identity is remembered this long in the sent set, so a re-send within it is dropped. */
#define VIEW_SENT_HORIZON_MS (7LL * 24 * 3600 * 1000)
/* ... and the sent set keeps at most this many identities (the newest). */
#define VIEW_SENT_MAX 100000
/* Most agents in one ZADD to the agents set. */
#define VIEW_SEEN_CHUNK 1000
/* Room for any key name: a prefix of up to 256 bytes and an EVENT_ID_MAX agent id. */
#define VIEW_KEY_SIZE 512
/* The longest [redis] prefix. */
#define VIEW_PREFIX_MAX 256

/*
 * Key names, one function each (the one place their templates live). Each writes the
 * key into buf and returns false when it does not fit. The agent keys carry the agent
 * id in a hash tag, so one agent's keys are in one Redis Cluster slot.
 */
bool view_key_stats(const char *prefix, const char *agent, char *buf, size_t size);  /* P agent:{A}:stats */
bool view_key_team_stats(const char *prefix, const char *team, size_t len, char *buf, size_t size); /* P team:{T}:stats */
bool view_key_site_stats(const char *prefix, char *buf, size_t size);                 /* P site:stats */
bool view_key_alerts(const char *prefix, const char *agent, char *buf, size_t size); /* P agent:{A}:alerts */
bool view_key_month(const char *prefix, const char *agent, const char *month, char *buf, size_t size); /* P agent:{A}:month:M */
bool view_key_team_month(const char *prefix, const char *team, size_t len, const char *month, char *buf,
    size_t size);                                                                  /* P team:{T}:month:M */
bool view_key_site_month(const char *prefix, const char *month, char *buf, size_t size); /* P site:month:M */
bool view_key_team_alerts(const char *prefix, const char *team, char *buf, size_t size);  /* P team:{T}:alerts */
bool view_key_rank(const char *prefix, const char *rank, const char *window, char *buf, size_t size); /* P rank:R:W */
bool view_key_team_rank(const char *prefix, const char *team, size_t len, const char *rank, const char *window,
    char *buf, size_t size);                                                       /* P team:{T}:rank:R:W */
/* The agent index, or its shard number shard of shards: "P agents", or "P agents:<shard>" when shards > 1. */
bool view_key_agents(const char *prefix, int shards, int shard, char *buf, size_t size);
bool view_key_stream(const char *prefix, char *buf, size_t size);                    /* P alerts */
/*
 * The sent set of the alerts stream, in the stream's slot: "{P alerts}:sent", or
 * "P alerts:sent" when the prefix already holds a hash tag (which then decides the slot).
 */
bool view_key_sent(const char *prefix, char *buf, size_t size);

struct view;
struct view_flush;

/* Told once per flush when every write of it is acknowledged (ok) or one failed (!ok). */
typedef void (*view_done_fn)(void *arg, bool ok);

/*
 * A writer on connection r for key prefix prefix ([redis] prefix) and windows ws ([windows]
 * sizes), both copied. NULL when out of memory or the prefix is longer than 256 bytes.
 * wait (NULL: none; it must outlive the view, and is read at each alert) is the replicas an
 * alert's writes must reach before its flush is ok (see view_alert). agents_shards (>= 1,
 * [redis] agents_shards) is how many keys the agent index is split into (view_agent_seen).
 */
struct view *view_new(struct redis *r, const char *prefix, const struct windows *ws, const struct redis_wait *wait,
    int agents_shards);

/* Frees the writer: every flush must be ended first; those awaiting replies finish on their own. */
void view_free(struct view *v);

/* True when its connection is up: a flush started now can be sent. */
bool view_up(const struct view *v);

/* Bytes of writes sent on its connection and not yet on the socket (redis_unsent). */
size_t view_unsent(const struct view *v);

/*
 * Its connection's number (redis_session): when it changed, what an earlier one wrote may be
 * missing (a restarted or failed-over server), so memos are forgotten.
 */
uint64_t view_session(const struct view *v);

/*
 * Starts a flush: a set of writes whose acknowledgement is reported once. Several flushes
 * may be open or in flight at once. NULL when out of memory.
 */
struct view_flush *view_flush_begin(struct view *v);

/*
 * What a stats hash holds as this process last wrote it, for writing only what changed: one
 * view_memo_t per field but updated_at (view_memo_fields), each the figure's scaled value
 * (stats_figures; open_tickets and overdue_tickets as they are) or one of these. 16 bits
 * (236 bytes an agent with the default four windows): the figures of a typical agent fit
 * (csat in tenths, counts, seconds up to 9 h, which most resolution times are not); a wider
 * one is written every time.
 */
typedef int16_t view_memo_t;
#define VIEW_MEMO_UNKNOWN INT16_MIN       /* not known: written (or deleted) at the next write */
#define VIEW_MEMO_ABSENT (INT16_MIN + 1)  /* deleted */
#define VIEW_MEMO_WIDE (INT16_MIN + 2)    /* set to a value too wide for the memo: written every time */

/* A figure's memo entry: its value when it fits, else VIEW_MEMO_WIDE; VIEW_MEMO_ABSENT without one. */
view_memo_t view_memo_code(int64_t value, bool have);

/* The entries of one agent's memo: STATS_FIGURES per window, open_tickets and overdue_tickets. */
size_t view_memo_fields(const struct view *v);

/* The key prefix and the windows the view was made with. */
const char *view_prefix(const struct view *v);
const struct windows *view_windows(const struct view *v);

/* The windows written ([windows] sizes): view_agent_stats reads that many totals. */
size_t view_window_count(const struct view *v);

/*
 * Writes agent's fb:agent:{A}:stats hash: per window (per_window[i] for ws->w[i]) the fields
 * of stats_figures, then open_tickets, overdue_tickets and updated_at = now_ms; a figure
 * with no value is absent. With memo (view_memo_fields entries) only updated_at and the
 * fields whose value differs from it are written, in one HSET, or with the HDEL of those
 * that lost their value in one MULTI/EXEC; memo then holds what was written. Without a
 * memo, with one not fully known, or when a field comes back, the hash is replaced whole
 * (MULTI, DEL, HSET, EXEC), which keeps its fields in the order that makes later writes
 * cheap for Redis (view.c). A reader never sees half of a write; absolute values, so a
 * repeat is harmless. A partial write's HSET must add no field; one that does means the
 * hash was changed behind the writer's back (deleted, say), and the flush fails, so that
 * its caller forgets its memos and writes in full. Call it once per changed agent per flush.
 */
void view_agent_stats(struct view_flush *f, const char *agent, const struct totals *per_window,
    int64_t open_tickets, int64_t overdue_tickets, int64_t now_ms, view_memo_t *memo);

/*
 * Raises agent's score in the agent index to ts_ms, its newest counted event time (ZADD GT,
 * so never lowers it): in fb:agents, or with agents_shards N > 1 in fb:agents:<k>, k the
 * agent id's cluster slot (CRC16, hash tags as Redis reads them) mod N. Agents are sent
 * VIEW_SEEN_CHUNK to a ZADD, one ZADD per shard; the rest at view_flush_end.
 */
void view_agent_seen(struct view_flush *f, const char *agent, int64_t ts_ms);

/*
 * Publishes one alert message: json (alert_render) is appended to fb:alerts unless its
 * identity id was already appended within VIEW_SENT_HORIZON_MS (so a re-send after a crash
 * is dropped), and the agent's fb:agent:{A}:alerts gets field (alert_field) = json when
 * firing, or loses it when resolved (unguarded: see view_flush_end on re-sends). The id
 * must name the message, not only its episode: "alert_id:state:at" (reminders are firing
 * messages of the same episode with a later at). now_ms dates the identity for the sent
 * set's trimming. With wait->replicas > 0 both writes are followed by WAIT, and fewer
 * replicas fail the flush: the alert is sent again, so a failover cannot lose it.
 */
void view_alert(struct view_flush *f, const char *id, const char *agent, const char *team, const char *field,
    bool firing, const char *json, int64_t now_ms);

/*
 * Sends what is still buffered and closes the flush: fn(arg, ok) is called once, when the
 * last reply came, with ok false if any write was not sent or not accepted (connection
 * lost, an error reply). fn may run before this returns (nothing in flight). The flush is
 * freed after fn. On !ok the caller re-sends the same writes in a new flush; each is
 * idempotent, but absolute: a re-send must not land after a newer write of the same key
 * (it would put back older figures, or a resolved alert's field). So re-send failed flushes
 * in their order before any newer flush, or re-render stats from the current state.
 */
void view_flush_end(struct view_flush *f, view_done_fn fn, void *arg);

/* Sends one more command of the flush (RESP text, copied) to slot's server; its reply is checked like the rest. */
void view_flush_send(struct view_flush *f, unsigned slot, const char *cmd, size_t len);

/* Fails the flush (something of it could not be built). */
void view_flush_fail(struct view_flush *f);

#endif
