/* growarray.h: a malloc'ed array grown by doubling, the one way the daemon's arrays grow (pure). */
#ifndef FEEDBACKD_GROWARRAY_H
#define FEEDBACKD_GROWARRAY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Makes *v, an array of *cap elements of size bytes, hold at least need of them: doubled from
 * 16 (or from *cap) until it does. False when out of memory or too large; *v and *cap are then
 * as they were.
 */
bool growarray(void **v, size_t *cap, size_t need, size_t size);

#endif
