/* testutil_alert.h: the reply-clock breach the alert test drivers start from. */
#ifndef FEEDBACKD_TESTUTIL_ALERT_H
#define FEEDBACKD_TESTUTIL_ALERT_H

#include "alert.h"

/* Parses the breach facts: a17 missed the 24h reply target on T-9 by 3.25 s (testutil_alert.c). */
void load_breach(struct alert_facts *f);

#endif
