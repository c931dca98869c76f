/* testutil_alert.c: the reply-clock breach the alert test drivers start from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil_alert.h"

/* A reply-clock breach as claim.lua records it (cjson writes numbers as integers here). */
static const char breach_facts[] =
    "{\"rule\":\"reply_sla_breach\",\"state\":\"firing\",\"agent\":\"a17\",\"ticket\":\"T-9\","
    "\"since\":1795392000000,\"at\":1795392003250,\"start\":1795305600000,\"due\":1795392000000,"
    "\"target\":86400000,\"severity\":\"high\",\"category\":\"billing\",\"late_ms\":3250}";

/* See testutil_alert.h. */
void load_breach(struct alert_facts *f)
{
	assert_true(alert_facts_parse(breach_facts, strlen(breach_facts), f));
}
