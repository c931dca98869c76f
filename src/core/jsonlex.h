/* jsonlex.h: a lenient JSON lexer for what the strict parser refuses (pure, no I/O). */
#ifndef FEEDBACKD_JSONLEX_H
#define FEEDBACKD_JSONLEX_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The length of the JSON number (by the grammar: no leading zero, digits after '.' and
 * after the exponent) at the start of the n bytes at s, or 0 when none starts there;
 * *real says it has a fraction or an exponent.
 */
size_t jsonlex_number(const char *s, size_t n, bool *real);

/*
 * The value of the last top-level member named key of the JSON object in buf, when that value
 * is a string without escapes: its bytes (inside buf, not NUL-terminated), length in *vlen.
 * NULL when buf is not one object in shape or that member is absent, not a string, or escaped
 * (key or value). Only the shape is checked: not the size, string bytes or number magnitudes.
 */
const char *jsonlex_member_string(const char *buf, size_t len, const char *key, size_t *vlen);

#ifdef __cplusplus
}
#endif

#endif
