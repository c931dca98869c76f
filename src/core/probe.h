/* probe.h: linear-probing arithmetic shared by the open-addressed tables, dedupe and idmap (pure). */
#ifndef FEEDBACKD_PROBE_H
#define FEEDBACKD_PROBE_H

#include <stdbool.h>
#include <stdint.h>

/* The home slot of a 32-bit hash among cap slots: multiply-shift, so any capacity works. */
static inline uint32_t probe_home(uint32_t hash, uint32_t cap)
{
	return (uint32_t)(((uint64_t)hash * cap) >> 32);
}

/* The slot after i among cap slots, wrapping. */
static inline uint32_t probe_next(uint32_t i, uint32_t cap)
{
	return i + 1 == cap ? 0 : i + 1;
}

/*
 * Backward-shift deletion: whether the entry in slot j, whose home is home, may move back into
 * the hole at slot hole (earlier in the same run); not when its home lies cyclically in (hole, j].
 */
static inline bool probe_may_fill(uint32_t hole, uint32_t j, uint32_t home)
{
	return hole <= j ? !(home > hole && home <= j) : !(home > hole || home <= j);
}

#endif
