/* jsonlex.c: a lenient JSON lexer for what the strict parser refuses (pure, no I/O). */

#include <stdbool.h>
#include <string.h>

#include "jsondoc.h"
#include "jsonlex.h"


/* A cursor over the bytes being read. */
struct jsonlex {
	const char	*buf;
	size_t		 len;
	size_t		 pos;
};

/* The number of ASCII digits at the start of s (isdigit would follow the locale). */
static size_t
jsonlex_digits(const char *s, size_t n)
{
	size_t	i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* See jsonlex.h. */
size_t
jsonlex_number(const char *s, size_t n, bool *real)
{
	size_t	i = 0, d;

	*real = false;
	if (n > 0 && s[0] == '-')
		i++;
	d = jsonlex_digits(s + i, n - i);
	/* The grammar refuses a leading zero (01) rather than reading two numbers. */
	if (d == 0 || (d > 1 && s[i] == '0'))
		return 0;
	i += d;
	if (i < n && s[i] == '.') {
		*real = true;
		if ((d = jsonlex_digits(s + i + 1, n - i - 1)) == 0)
			return 0;
		i += 1 + d;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*real = true;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if ((d = jsonlex_digits(s + i, n - i)) == 0)
			return 0;
		i += d;
	}
	return i;
}

/*
 * The length of the string whose opening quote is at s, quotes included, or 0 when it never
 * closes; *plain says it has no escapes. The bytes inside are not checked: that is the leniency.
 */
static size_t
jsonlex_string(const char *s, size_t n, bool *plain)
{
	*plain = true;
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '"')
			return i + 1;
		/* The escaped byte is skipped, so \" and \\ are read right. */
		if (s[i] == '\\') {
			*plain = false;
			i++;
		}
	}
	return 0;
}

/* The length of the literal true, false or null at s, or 0. */
static size_t
jsonlex_literal(const char *s, size_t n)
{
	static const char *const words[] = { "true", "false", "null" };

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t	wl = strlen(words[i]);

		if (n >= wl && memcmp(s, words[i], wl) == 0)
			return wl;
	}
	return 0;
}

/* Skips blanks and returns the next byte, or '\0' at the end. */
static char
jsonlex_peek(struct jsonlex *lx)
{
	while (lx->pos < lx->len && (lx->buf[lx->pos] == ' ' || lx->buf[lx->pos] == '\t' ||
	    lx->buf[lx->pos] == '\n' || lx->buf[lx->pos] == '\r'))
		lx->pos++;
	return lx->pos < lx->len ? lx->buf[lx->pos] : '\0';
}

/* Values and containers nest, so the two readers call each other. */
static bool jsonlex_items(struct jsonlex *, int, const char *, const char **, size_t *);

/*
 * Reads the value at the cursor, checking only its shape; when it is a string without
 * escapes, *str and *slen are its bytes, else *str is NULL.
 */
static bool
jsonlex_value(struct jsonlex *lx, int depth, const char **str, size_t *slen)
{
	char		 c = jsonlex_peek(lx);
	const char	*s = lx->buf + lx->pos;
	size_t		 rest = lx->len - lx->pos, n;
	bool		 plain, real;

	*str = NULL;
	*slen = 0;
	/* The value is one deeper than its container; too deep is not JSON to the strict parser. */
	if (depth >= JSONDOC_MAX_DEPTH)
		return false;
	if (c == '{' || c == '[')
		return jsonlex_items(lx, depth + 1, NULL, NULL, NULL);
	if (c == '"') {
		if ((n = jsonlex_string(s, rest, &plain)) == 0)
			return false;
		if (plain) {
			*str = s + 1;
			*slen = n - 2;
		}
	} else if ((n = jsonlex_literal(s, rest)) == 0 && (n = jsonlex_number(s, rest, &real)) == 0)
		return false;
	lx->pos += n;
	return true;
}

/*
 * Reads the object or array whose opening bracket is at the cursor, checking its shape. With
 * key, *str and *slen come to hold the value of its last member named key, as jsonlex_value.
 */
static bool
jsonlex_items(struct jsonlex *lx, int depth, const char *key, const char **str, size_t *slen)
{
	char		 close = lx->buf[lx->pos] == '{' ? '}' : ']', c;
	const char	*name = NULL, *v;
	size_t		 nlen = 0, vlen;

	lx->pos++;
	if (jsonlex_peek(lx) == close) {
		lx->pos++;
		return true;
	}
	for (;;) {
		if (close == '}') {
			if (jsonlex_peek(lx) != '"' || !jsonlex_value(lx, depth, &name, &nlen) ||
			    jsonlex_peek(lx) != ':')
				return false;
			lx->pos++;
		}
		if (!jsonlex_value(lx, depth, &v, &vlen))
			return false;
		/* An escaped name is never key; a later member replaces an earlier. */
		if (key != NULL && name != NULL && nlen == strlen(key) &&
		    memcmp(name, key, nlen) == 0) {
			*str = v;
			*slen = vlen;
		}
		c = jsonlex_peek(lx);
		if (c != ',' && c != close)
			return false;
		lx->pos++;
		if (c == close)
			return true;
	}
}

/* The value of the last top-level member key of the object in buf, when a plain string. */
const char *
jsonlex_member_string(const char *buf, size_t len, const char *key, size_t *vlen)
{
	struct jsonlex	 lx = { buf, len, 0 };
	const char	*str = NULL;
	size_t		 n = 0;

	*vlen = 0;
	if (jsonlex_peek(&lx) != '{' || !jsonlex_items(&lx, 1, key, &str, &n))
		return NULL;
	/* Only blanks may follow the object, as for the strict parser. */
	(void)jsonlex_peek(&lx);
	if (lx.pos != len || str == NULL)
		return NULL;
	*vlen = n;
	return str;
}
