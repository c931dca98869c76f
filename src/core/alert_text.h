/* alert_text.h: the people-readable sentences of clock alerts (pure). */
#ifndef FEEDBACKD_ALERT_TEXT_H
#define FEEDBACKD_ALERT_TEXT_H

#include <stddef.h>

#include "alert.h"

/*
 * The sentence of a clock alert (reply_sla_*, resolution_sla_*, promise_broken), made from
 * its facts. Clock time is said where it differs from wall time (business hours, pauses).
 */
void alert_clock_message(const struct alert_facts *f, char *buf, size_t size);

#endif
