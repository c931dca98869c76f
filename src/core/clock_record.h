/* clock_record.h: a ticket's checkpoint record, written and read back (pure). */
#ifndef FEEDBACKD_CLOCK_RECORD_H
#define FEEDBACKD_CLOCK_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include <msgpack.h>

#include "clock.h"
#include "recovery.h"

/* What a record holds beside the state: its names and the terms it ran under. */
struct clock_record {
	struct clock_text agent;      /* "" when no clock holds names */
	struct clock_text category;
	bool has_terms;               /* false: none yet, or a version-1 record */
	struct terms terms;           /* calendar NULL: calendar_name says which one to look up */
	/*
	 * A version-1 record's running clock: the default policy's terms with this target and
	 * at-risk fraction for its kind (the [sla] of the release that wrote it) are its own.
	 */
	bool v1_running;
	int64_t v1_target;
	uint16_t v1_at_risk_permille;
	struct recovery *recovery;    /* the ticket's service recovery, malloc'ed (the caller's); NULL: none */
};

/*
 * Appends the checkpoint record of a ticket: its clock state (names give the handles'
 * strings) and its recovery, if any; false on error.
 */
bool clock_record_pack(msgpack_packer *pk, const struct clock_state *s, const struct clock_names *names,
    const struct recovery *recovery);

/*
 * Reads exactly one record from buf (any version so far). On success s holds the state (its
 * terms still NULL, its timeline allocated: clock_clear frees it) and rec the rest, slices of
 * buf but for its recovery (the caller frees it). The caller sets s->terms, s->agent and s->category. On failure s is zeroed. Anything but
 * a short flat array is refused before msgpack allocates what a header claims.
 */
bool clock_record_decode(const char *buf, size_t len, struct clock_state *s, struct clock_record *rec);

#endif
