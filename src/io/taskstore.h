/* taskstore.h: one task's checkpoint in Redis, every key in one cluster slot (I/O adapter). */
#ifndef FEEDBACKD_TASKSTORE_H
#define FEEDBACKD_TASKSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redis.h"

/*
 * A task (partition p of consumer group g's route topic) keeps its checkpoint under
 * PREFIX "task:{g:p}:" (the shared hash tag puts every key in one slot):
 *   meta     hash: gen (fencing generation), seq (last applied commit), pos (positions blob)
 *   agents   hash: agent id -> blob      tickets  hash: ticket id -> blob
 *   outbox   hash: record id -> blob
 *   dd:<s>   string of TASKSTORE_DEDUPE_SIZE-byte records expiring in segment s, that is
 *            at [s * segment_ms, (s + 1) * segment_ms); the key expires at the segment's end.
 * Blobs and records are opaque here; they are the caller's versioned encodings.
 *
 * Use: taskstore_claim, then taskstore_restore, then taskstore_commit per flush. A task
 * runs one call at a time (a second is refused until the first has called back). A commit
 * is one script call, atomic, carrying the generation (fence) and a sequence number (so a
 * retry is a no-op): after TASKSTORE_FAILED, call taskstore_commit again until it answers
 * OK or FENCED; only then build the next change set. The store keeps the call it built
 * (RESP) for those retries and empties the change set then, so a commit's bytes are held
 * once (twice while hiredis writes them), not also as a change set.
 *
 * Size: a commit is one command, so all of it sits in Redis's memory at once and Redis
 * serves nobody else while it runs (measured: ~5 us of Redis CPU per 2.5 KB blob, ~9 us
 * when the field is new, ~0.03 us per dedupe record: 10,000 agents block Redis ~50 ms).
 * Redis bounds one argument to proto-max-bulk-len (512 MB) and the whole command to
 * client-query-buffer-limit (1 GB), and other clients get BUSY once a script runs past
 * busy-reply-threshold (5 s). Nothing is split, since that would break atomicity: the
 * caller bounds a flush (taskstore_changes_bytes) to a few MB and some 10,000s of entries.
 */

/* The size of one dedupe record. */
#define TASKSTORE_DEDUPE_SIZE 16

/* The per-id hashes of a task. */
enum taskstore_kind {
	TASKSTORE_AGENT,
	TASKSTORE_TICKET,
	TASKSTORE_OUTBOX,
	TASKSTORE_KINDS
};

enum taskstore_result {
	TASKSTORE_OK,
	TASKSTORE_FENCED,  /* another owner claimed the task since: stop owning it */
	TASKSTORE_FAILED   /* no answer (connection lost) or an error: the outcome is unknown */
};

struct taskstore;
struct taskstore_changes;

/* The claim's answer: on TASKSTORE_OK, gen is the task's new generation, now ours. */
typedef void (*taskstore_claim_fn)(void *arg, enum taskstore_result res, uint64_t gen);

/* A commit's answer: TASKSTORE_OK also when this change set had been applied already. */
typedef void (*taskstore_commit_fn)(void *arg, enum taskstore_result res);

/*
 * What a restore streams back, in this order: meta once (pos NULL when none was stored),
 * entries (a field may, rarely, come twice with the same blob: HSCAN's guarantee, so
 * treat each as an upsert), dedupe records of every live segment (n whole records, each
 * segment possibly in several calls; records in them may have expired: compare their
 * expiry), then done exactly once: TASKSTORE_OK, TASKSTORE_FAILED, or TASKSTORE_FENCED
 * when another owner claimed the task after our claim (then nothing else is streamed).
 * Pointers are valid only during the call. Only done may free the task.
 */
struct taskstore_restore_fns {
	void (*meta)(void *arg, uint64_t gen, uint64_t seq, const void *pos, size_t pos_len);
	void (*entry)(void *arg, enum taskstore_kind kind, const char *id, size_t id_len,
	    const void *blob, size_t blob_len);
	void (*dedupe)(void *arg, const unsigned char *records, size_t n);
	void (*done)(void *arg, enum taskstore_result res);
};

/*
 * One task's store over connection r (which must outlive it). NULL when out of memory, or
 * when prefix holds a '{' or group a '{' or '}', which would move the hash tag. segment_ms
 * (> 0) is the dedupe segment length: about the horizon / 24 keeps few keys and little
 * overstay. wait (NULL: no replica) must outlive the store; it is read at each commit, so
 * its owner may change it between commits. A commit that reaches fewer than wait->replicas
 * replicas answers TASKSTORE_FAILED (and is logged): the retry that the contract above asks
 * for is answered "applied before" and waits again, and a failover that lost the commit
 * meanwhile has it applied anew.
 */
struct taskstore *taskstore_new(struct redis *r, const char *prefix, const char *group,
    int partition, int64_t segment_ms, const struct redis_wait *wait);

/*
 * The start every checkpoint key of group's tasks shares, "PREFIX task:{<group>:", into buf;
 * false when it does not fit. What --rebuild deletes, and the base of taskstore_new's keys.
 */
bool taskstore_group_keys(const char *prefix, const char *group, char *buf, size_t size);

/* The task's Redis Cluster slot: the node to send its calls to. */
unsigned taskstore_slot(const struct taskstore *ts);

/* True while a claim, restore or commit awaits its answer. */
bool taskstore_busy(const struct taskstore *ts);

/* Increments the stored generation and adopts it; false when not sent (busy or Redis down). */
bool taskstore_claim(struct taskstore *ts, taskstore_claim_fn fn, void *arg);

/*
 * Streams the checkpoint back (see struct taskstore_restore_fns), reading the dedupe
 * segments live at now_ms for horizon_ms, in bounded memory (HSCAN and GETRANGE pages).
 * After a claim, it also learns the last applied commit, which commits need. False when
 * not sent (busy or Redis down).
 */
bool taskstore_restore(struct taskstore *ts, int64_t now_ms, int64_t horizon_ms,
    const struct taskstore_restore_fns *fns, void *arg);

/*
 * Applies cs atomically if the task's generation is still the claimed one: its call is built
 * and cs emptied (taskstore_changes_clear); until that call is answered OK or FENCED, further
 * calls send it again and ignore cs. False when not sent: busy, Redis down, no claim and
 * restore yet, or fenced; call again later.
 */
bool taskstore_commit(struct taskstore *ts, struct taskstore_changes *cs, taskstore_commit_fn fn,
    void *arg);

/* Frees the task; while a call is out, its callback is dropped and the memory freed then. */
void taskstore_free(struct taskstore *ts);

/* An empty change set for ts's segment length; NULL when out of memory. */
struct taskstore_changes *taskstore_changes_new(const struct taskstore *ts);

/* Empties cs for the next flush, keeping its buffers up to 4 MiB each (larger ones are freed). */
void taskstore_changes_clear(struct taskstore_changes *cs);

/* Empties cs and frees every buffer it kept: for a task with nothing more to flush. */
void taskstore_changes_release(struct taskstore_changes *cs);

/* Frees cs. */
void taskstore_changes_free(struct taskstore_changes *cs);

/* Stores blob under id; later changes to the same id win. False when out of memory. */
bool taskstore_put(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id,
    size_t id_len, const void *blob, size_t blob_len);

/* Deletes id. False when out of memory. */
bool taskstore_del(struct taskstore_changes *cs, enum taskstore_kind kind, const char *id,
    size_t id_len);

/* Appends one dedupe record that may be forgotten from expiry_ms on. False when out of memory. */
bool taskstore_dedupe(struct taskstore_changes *cs, const unsigned char record[TASKSTORE_DEDUPE_SIZE],
    int64_t expiry_ms);

/* Sets the task's consumed positions (the last call wins). False when out of memory. */
bool taskstore_positions(struct taskstore_changes *cs, const void *pos, size_t pos_len);

/* The bytes of ids, blobs and records cs holds: what a flush bounds. */
size_t taskstore_changes_bytes(const struct taskstore_changes *cs);

#endif
