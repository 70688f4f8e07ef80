/* buf.c - a growable byte string (buf.h). */
#include <string.h>

#include "core/buf.h"
#include "core/error.h"

void sl_buf_add(struct sl_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? 2 * b->cap : 256;
		b->s = sl_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sl_buf_add_str(struct sl_buf *b, const char *s)
{
	sl_buf_add(b, s, strlen(s));
}
