/* testutil_clock_record.h: the checks and terms shared by the clock record test drivers. */
#ifndef FEEDBACKD_TESTUTIL_CLOCK_RECORD_H
#define FEEDBACKD_TESTUTIL_CLOCK_RECORD_H

#include <msgpack.h>

#include "clock.h"
#include "clock_record.h"
#include "terms.h"

/* Room for any record these tests pack. */
#define REC_MAX 1024

/* Copies what sb holds into buf (checked to fit in size) and destroys sb; returns its length. */
size_t test_sbuffer_take(msgpack_sbuffer *sb, char *buf, size_t size);

/* Checks every member of two clocks (created and stop are one: the stop while it settles). */
void test_same_run(const struct clock_run *a, const struct clock_run *b);

/* Checks the terms a record carries: names, mask and every goal; no calendar. */
void test_same_terms(const struct terms *got, const struct terms *want);

/* Checks a decoded text. */
void test_text(struct clock_text t, const char *want);

/* Terms unlike tc_def in every member: "vip" on "office", pause on_hold only, each goal its own. */
void test_vip(struct terms *t);

#endif
