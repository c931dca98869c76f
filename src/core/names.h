/* names.h: strings interned once and shared by handle, with reference counts (pure). */
#ifndef FEEDBACKD_NAMES_H
#define FEEDBACKD_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* No name: what names_ref returns when out of memory or given a bad length. */
#define NAMES_NONE UINT32_MAX

struct names;

/* An empty table; NULL when out of memory. */
struct names *names_new(void);
void names_free(struct names *n);

/* The handle of s (1..128 bytes), made on first use; one more reference to it. */
uint32_t names_ref(struct names *n, const char *s, size_t len);

/* Drops one reference; the name is forgotten with its last. */
void names_unref(struct names *n, uint32_t handle);

/* The NUL-terminated string of a live handle. */
const char *names_get(const struct names *n, uint32_t handle);

/* Live names. */
size_t names_count(const struct names *n);

#endif
