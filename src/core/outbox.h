/* outbox.h: what a task must send, numbered, kept until delivered and saved with the task (pure). */
#ifndef FEEDBACKD_OUTBOX_H
#define FEEDBACKD_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A route batch for another task, or an alert's facts as JSON. */
enum outbox_kind { OUTBOX_BATCH, OUTBOX_ALERT };

struct outbox_entry {
	uint64_t seq;             /* unique and increasing within the task, across restarts */
	enum outbox_kind kind;
	uint32_t dest;            /* OUTBOX_BATCH: the task it is for */
	char *data;               /* NUL-terminated after len bytes */
	size_t len;
};

/* Entries in sequence order; a zeroed struct is not valid: use outbox_init. */
struct outbox {
	struct outbox_entry *v;
	size_t n, cap;
	size_t reported;          /* entries [0, reported) were handed to a flush */
	uint64_t next_seq;
	uint64_t flushed_below;   /* next_seq at the last flush */
	uint64_t sendable_below;  /* entries below this were committed */
	uint64_t *done;           /* delivered since the last flush */
	size_t done_n, done_cap;
};

/* Reports a flush's new (blob: the checkpoint record) and delivered entries; false aborts. */
struct outbox_sink {
	bool (*added)(void *arg, const struct outbox_entry *e, const char *blob, size_t len);
	bool (*removed)(void *arg, uint64_t seq);
	void *arg;
};

/* An empty outbox whose first entry is number 1. */
void outbox_init(struct outbox *o);
void outbox_free(struct outbox *o);

/* Appends an entry with the next number; data (len bytes, malloc'ed) becomes the outbox's. */
bool outbox_add(struct outbox *o, enum outbox_kind kind, uint32_t dest, char *data, size_t len);

/* The number the next entry gets. */
uint64_t outbox_next_seq(const struct outbox *o);

/* True when a flush has something to report. */
bool outbox_changed(const struct outbox *o);

/* Reports entries added and delivered since the last flush. */
bool outbox_flush(struct outbox *o, const struct outbox_sink *sink);

/* The last flush was committed: its entries may be sent. */
void outbox_committed(struct outbox *o);

/* The oldest committed entry numbered above seq, not yet delivered; NULL when none. */
const struct outbox_entry *outbox_after(const struct outbox *o, uint64_t seq);

/* An entry reached everywhere it goes; the next flush removes it from the checkpoint. */
void outbox_delivered(struct outbox *o, uint64_t seq);

/*
 * prev is an earlier holder of the same task that finished delivering (it let the task go,
 * and this process was given it back): every entry of o numbered below prev's next number
 * that prev no longer holds was delivered by prev, so it is delivered here too, to be
 * removed by o's next flush rather than sent again.
 */
void outbox_delivered_by(struct outbox *o, const struct outbox *prev);

/* Restore: the next number, then each saved entry (any order), then done; false if malformed. */
void outbox_restore_seq(struct outbox *o, uint64_t next_seq);
bool outbox_restore(struct outbox *o, uint64_t seq, const char *blob, size_t len, uint32_t tasks);
void outbox_restore_done(struct outbox *o);

#endif
