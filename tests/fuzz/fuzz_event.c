/* fuzz_event.c: libFuzzer target for event_parse and event_rejected_type. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "event.h"

/* 2026-11-22T10:00:00Z, fixed so a run is repeatable. */
#define FUZZ_NOW INT64_C(1795341600000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: whatever the bytes, no crash, no leak, and a reason on every rejection. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event	 ev;
	char		 reason[EVENT_REASON_SIZE];
	int		 type;

	if (!event_parse((const char *)data, size, FUZZ_NOW, 300000, &ev, reason, sizeof reason)) {
		if (reason[0] == '\0')
			__builtin_trap();
	} else if (strlen(ev.event_id) == 0 || strlen(ev.agent_id) == 0)
		__builtin_trap();
	type = event_rejected_type((const char *)data, size);
	if (type < -1 || type >= EVENT_TYPE_COUNT)
		__builtin_trap();
	return 0;
}
