/* growarray.c: a malloc'ed array grown by doubling, the one way the daemon's arrays grow (pure). */
#include "growarray.h"

#include <stdint.h>
#include <stdlib.h>

/* See growarray.h. */
bool growarray(void **v, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return true;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return false;
		c *= 2;
	}
	if (size == 0 || c > SIZE_MAX / size || (p = realloc(*v, c * size)) == NULL)
		return false;
	*v = p;
	*cap = c;
	return true;
}
