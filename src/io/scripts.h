/* scripts.h: the Lua scripts feedbackd runs in Redis, compiled into the binary. */
#ifndef FEEDBACKD_SCRIPTS_H
#define FEEDBACKD_SCRIPTS_H

enum script {
	SCRIPT_APPLY,       /* one batch of events: dedupe, counters, clocks */
	SCRIPT_REFRESH,     /* re-sum windows that slid, for idle agents */
	SCRIPT_STATS_WRITE, /* write the contract stats hash unless it shows that version or newer */
	SCRIPT_CLAIM,       /* claim due reply clocks: at-risk and breach */
	SCRIPT_OUTBOX,      /* alert outbox: commit to stream/hash, finish, re-drive leases */
	SCRIPT_RULE,        /* move a quality rule's state, recording its alert */
	SCRIPT_VIEW_ALERT,  /* append an alert to the stream once per identity (src/io/view.c) */
	SCRIPT_CHECKPOINT,  /* one task's checkpoint commit: fence, sequence, generic writes */
	SCRIPT_COUNT
};

extern const char script_src_apply[];
extern const char script_src_refresh[];
extern const char script_src_stats_write[];
extern const char script_src_claim[];
extern const char script_src_outbox[];
extern const char script_src_rule[];
extern const char script_src_view_alert[];
extern const char script_src_checkpoint[];

#endif
