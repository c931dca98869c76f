/* recovery.c: a complaint ticket's service recovery: its answer, its follow-up and the customer's later rating (pure). */
#include "recovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timestamp.h"

#define RECOVERY_RULE "follow_up_due"

/* See recovery.h. */
struct recovery *recovery_new(const char *agent, size_t len, enum severity severity, int64_t ts, int64_t now_ms)
{
	struct recovery *r = malloc(sizeof(*r) + len + 1);

	if (r == NULL)
		return NULL;
	r->complaint = ts;
	r->created = now_ms;
	r->answered = r->followed = RECOVERY_NONE;
	r->severity = (uint8_t)severity;
	r->due_fired = r->rated = false;
	memcpy(r->agent, agent, len);
	r->agent[len] = '\0';
	return r;
}

/* Starts a call's effects. */
static void recovery_reset(struct recovery_effects *out)
{
	out->changed = false;
	out->n_adds = out->n_alerts = 0;
}

/* Whether a follow-up came after the answer. */
static bool recovery_followed(const struct recovery *r)
{
	return r->answered != RECOVERY_NONE && r->followed != RECOVERY_NONE && r->followed > r->answered;
}

/* The follow-up's due time, which its alert's episode starts at. */
static int64_t recovery_due(const struct recovery *r, const struct recovery_config *cfg)
{
	return r->answered + cfg->follow_up_within_ms;
}

/* The follow_up_due alert, firing at now_ms or resolved by a follow-up. */
static void recovery_alert(const struct recovery *r, const struct recovery_config *cfg, const char *ticket,
    bool firing, int64_t now_ms, struct recovery_effects *out)
{
	struct alert_facts *f = &out->alert;
	int64_t due = recovery_due(r, cfg);
	char within[32], waited[32], late[32];

	memset(f, 0, sizeof(*f));
	snprintf(f->rule, sizeof(f->rule), "%s", RECOVERY_RULE);
	snprintf(f->state, sizeof(f->state), "%s", firing ? "firing" : "resolved");
	snprintf(f->agent, sizeof(f->agent), "%s", r->agent);
	snprintf(f->ticket, sizeof(f->ticket), "%s", ticket);
	snprintf(f->severity, sizeof(f->severity), "%s", severity_name((enum severity)r->severity));
	f->since = due;
	f->at = now_ms;
	f->start = r->answered;
	f->due = due;
	f->target = cfg->follow_up_within_ms;
	f->late_ms = f->remaining_ms = f->response_ms = -1;
	f->business_ms = f->wall_ms = f->promise_ms = f->promised = -1;
	f->samples = -1;
	/* The target as configured ("3d"), the times as clock alerts say them ("3d04h"). */
	duration_format(cfg->follow_up_within_ms, within, sizeof(within));
	if (firing) {
		f->late_ms = now_ms - due;
		alert_duration(now_ms - r->answered, waited, sizeof(waited));
		snprintf(f->message, sizeof(f->message),
		    "Agent %s has not followed up on complaint ticket %s: answered %s ago, a follow-up was due within %s",
		    r->agent, ticket, waited, within);
		return;
	}
	f->response_ms = r->followed - r->answered;
	alert_duration(f->response_ms, waited, sizeof(waited));
	alert_duration(r->followed - due, late, sizeof(late));
	snprintf(f->message, sizeof(f->message),
	    "Agent %s followed up on complaint ticket %s %s after answering it, %s past the %s follow-up target",
	    r->agent, ticket, waited, late, within);
}

/* Records a follow-up at ts; one that ends an alerted wait resolves the alert. */
static void recovery_follow(struct recovery *r, const struct recovery_config *cfg, const char *ticket, int64_t ts,
    int64_t now_ms, struct recovery_effects *out)
{
	bool was = recovery_followed(r);

	if (r->followed != RECOVERY_NONE && ts <= r->followed)
		return;
	r->followed = ts;
	out->changed = true;
	if (!was && recovery_followed(r) && r->due_fired && r->created <= recovery_due(r, cfg)) {
		recovery_alert(r, cfg, ticket, false, now_ms, out);
		out->n_alerts = 1;
	}
}

/* See recovery.h. */
void recovery_reply(struct recovery *r, const struct recovery_config *cfg, const char *ticket, int64_t ts,
    bool follow_up, int64_t now_ms, struct recovery_effects *out)
{
	recovery_reset(out);
	if (ts <= r->complaint)
		return;
	/* An earlier reply that arrives late is the answer, unless the follow-up was already judged. */
	if (!r->due_fired && (r->answered == RECOVERY_NONE || ts < r->answered)) {
		r->answered = ts;
		out->changed = true;
	}
	if (follow_up && ts > r->answered)
		recovery_follow(r, cfg, ticket, ts, now_ms, out);
}

/* See recovery.h. */
void recovery_follow_up(struct recovery *r, const struct recovery_config *cfg, const char *ticket, int64_t ts,
    int64_t now_ms, struct recovery_effects *out)
{
	recovery_reset(out);
	/* Kept even before the answer arrives: events of a ticket may come out of order. */
	if (ts > r->complaint)
		recovery_follow(r, cfg, ticket, ts, now_ms, out);
}

/* See recovery.h. */
void recovery_rating(struct recovery *r, const struct recovery_config *cfg, int64_t ts, bool satisfied,
    struct recovery_effects *out)
{
	recovery_reset(out);
	if (r->rated || ts <= r->complaint || ts - r->complaint > cfg->rating_within_ms)
		return;
	r->rated = true;
	out->changed = true;
	out->adds[out->n_adds++] = (struct recovery_add){C_RECOVERY_RATED, ts};
	if (satisfied)
		out->adds[out->n_adds++] = (struct recovery_add){C_RECOVERED, ts};
}

/* See recovery.h. */
bool recovery_satisfied(int score, int scale)
{
	return scale == 10 ? score >= 9 : score >= 4;
}

/* When an unrated recovery is forgotten: rating_within after the complaint, and after it was applied. */
static int64_t recovery_forget_at(const struct recovery *r, const struct recovery_config *cfg)
{
	return (r->complaint > r->created ? r->complaint : r->created) + cfg->rating_within_ms;
}

/* Whether the follow-up came within follow_up_within of the answer: nothing to judge. */
static bool recovery_in_time(const struct recovery *r, const struct recovery_config *cfg)
{
	return recovery_followed(r) && r->followed <= recovery_due(r, cfg);
}

/*
 * When the follow-up is judged: at its due time, but not before grace_ms after the complaint
 * was applied, so that the events of a ticket applied together (history, a backlog) count as
 * their times say, whatever order their tasks apply them in.
 */
static int64_t recovery_judge_at(const struct recovery *r, const struct recovery_config *cfg)
{
	int64_t due = recovery_due(r, cfg), settled = r->created + cfg->grace_ms;

	return settled > due ? settled : due;
}

/* See recovery.h. */
int64_t recovery_next(const struct recovery *r, const struct recovery_config *cfg)
{
	if (r->answered == RECOVERY_NONE)
		return recovery_forget_at(r, cfg);
	if (!r->due_fired && !recovery_in_time(r, cfg))
		return recovery_judge_at(r, cfg);
	if (!recovery_followed(r))
		return RECOVERY_NONE;
	return r->rated ? r->complaint : recovery_forget_at(r, cfg);
}

/* See recovery.h. */
bool recovery_fire(struct recovery *r, const struct recovery_config *cfg, const char *ticket, int64_t now_ms,
    struct recovery_effects *out)
{
	int64_t next = recovery_next(r, cfg), due = recovery_due(r, cfg);

	recovery_reset(out);
	if (next == RECOVERY_NONE || next > now_ms)
		return true;
	if (r->answered == RECOVERY_NONE || r->due_fired || recovery_in_time(r, cfg))
		return false;
	/*
	 * No follow-up within the target: counted at its due time, like a missed reply target.
	 * Paged only while still awaited, and only about what was due after the complaint was
	 * applied (history replayed pages nobody).
	 */
	r->due_fired = true;
	out->changed = true;
	out->adds[out->n_adds++] = (struct recovery_add){C_FOLLOW_UP_MISSING, due};
	if (!recovery_followed(r) && r->created <= due) {
		recovery_alert(r, cfg, ticket, true, now_ms, out);
		out->n_alerts = 1;
	}
	return true;
}
