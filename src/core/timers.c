/* timers.c: a min-heap of deadlines, one per caller handle (pure). */
#include "timers.h"

#include <stdlib.h>

#define TIMERS_MIN_CAP 64

/* One deadline; 16 bytes with padding. */
struct timers_entry {
	int64_t due;
	uint32_t handle;
};

struct timers {
	struct timers_entry *heap;
	size_t count, cap;
	uint32_t *pos;      /* handle -> its index in heap, or TIMERS_NO_HANDLE */
	size_t pos_cap;
};

/* See timers.h. */
struct timers *
timers_new(void)
{
	return calloc(1, sizeof(struct timers));
}

/* See timers.h. */
void
timers_free(struct timers *t)
{
	if (t == NULL)
		return;
	free(t->heap);
	free(t->pos);
	free(t);
}

/* Whether entry a goes before entry b: earlier, or as early with the smaller handle. */
static bool
timers_before(const struct timers_entry *a, const struct timers_entry *b)
{
	return a->due < b->due || (a->due == b->due && a->handle < b->handle);
}

/* Puts entry e at index i and records where its handle now is. */
static void
timers_place(struct timers *t, size_t i, struct timers_entry e)
{
	t->heap[i] = e;
	t->pos[e.handle] = (uint32_t)i;
}

/* Moves the entry at i towards the root until its parent goes before it. */
static void
timers_up(struct timers *t, size_t i)
{
	struct timers_entry e = t->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timers_before(&e, &t->heap[parent]))
			break;
		timers_place(t, i, t->heap[parent]);
		i = parent;
	}
	timers_place(t, i, e);
}

/* Moves the entry at i towards the leaves until no child goes before it. */
static void
timers_down(struct timers *t, size_t i)
{
	struct timers_entry e = t->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= t->count)
			break;
		if (c + 1 < t->count && timers_before(&t->heap[c + 1], &t->heap[c]))
			c++;
		if (!timers_before(&t->heap[c], &e))
			break;
		timers_place(t, i, t->heap[c]);
		i = c;
	}
	timers_place(t, i, e);
}

/* Restores the heap order around index i after its entry changed either way. */
static void
timers_fix(struct timers *t, size_t i)
{
	if (i > 0 && timers_before(&t->heap[i], &t->heap[(i - 1) / 2]))
		timers_up(t, i);
	else
		timers_down(t, i);
}

/* Grows an array to hold at least need items (doubling); false when out of memory. */
static bool
timers_grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap > 0 ? *cap : TIMERS_MIN_CAP;
	void *p;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return true;
	p = realloc(*arr, n * size);
	if (p == NULL)
		return false;
	*arr = p;
	*cap = n;
	return true;
}

/* Makes room for handle in pos, marking new slots empty; false when out of memory. */
static bool
timers_reserve(struct timers *t, uint32_t handle)
{
	size_t old = t->pos_cap;

	if (!timers_grow((void **)&t->pos, &t->pos_cap, (size_t)handle + 1, sizeof(*t->pos)))
		return false;
	for (size_t i = old; i < t->pos_cap; i++)
		t->pos[i] = TIMERS_NO_HANDLE;
	return true;
}

/* The heap index of handle, or TIMERS_NO_HANDLE when it has no deadline. */
static uint32_t
timers_find(const struct timers *t, uint32_t handle)
{
	return handle < t->pos_cap ? t->pos[handle] : TIMERS_NO_HANDLE;
}

/* See timers.h. */
bool
timers_set(struct timers *t, uint32_t handle, int64_t due_ms)
{
	uint32_t i;

	if (handle == TIMERS_NO_HANDLE)
		return false;
	i = timers_find(t, handle);
	if (i != TIMERS_NO_HANDLE) {
		t->heap[i].due = due_ms;
		timers_fix(t, i);
		return true;
	}
	/* Positions are uint32_t, so the heap never holds TIMERS_NO_HANDLE entries. */
	if (t->count >= TIMERS_NO_HANDLE || !timers_reserve(t, handle) ||
	    !timers_grow((void **)&t->heap, &t->cap, t->count + 1, sizeof(*t->heap)))
		return false;
	t->heap[t->count] = (struct timers_entry){ .due = due_ms, .handle = handle };
	timers_up(t, t->count++);
	return true;
}

/* Removes the entry at index i. */
static void
timers_take(struct timers *t, size_t i)
{
	t->pos[t->heap[i].handle] = TIMERS_NO_HANDLE;
	if (i == --t->count)
		return;
	timers_place(t, i, t->heap[t->count]);
	timers_fix(t, i);
}

/* See timers.h. */
bool
timers_remove(struct timers *t, uint32_t handle)
{
	uint32_t i = timers_find(t, handle);

	if (i == TIMERS_NO_HANDLE)
		return false;
	timers_take(t, i);
	return true;
}

/* See timers.h. */
bool
timers_get(const struct timers *t, uint32_t handle, int64_t *due_ms)
{
	uint32_t i = timers_find(t, handle);

	if (i == TIMERS_NO_HANDLE)
		return false;
	*due_ms = t->heap[i].due;
	return true;
}

/* See timers.h. */
bool
timers_peek(const struct timers *t, int64_t *due_ms, uint32_t *handle)
{
	if (t->count == 0)
		return false;
	*due_ms = t->heap[0].due;
	*handle = t->heap[0].handle;
	return true;
}

/* See timers.h. */
size_t
timers_pop_due(struct timers *t, int64_t now_ms, uint32_t *handles, size_t max)
{
	size_t n = 0;

	while (n < max && t->count > 0 && t->heap[0].due <= now_ms) {
		handles[n++] = t->heap[0].handle;
		timers_take(t, 0);
	}
	return n;
}

/* See timers.h. */
size_t
timers_count(const struct timers *t)
{
	return t->count;
}
