/* buf.h - a growable byte string: NUL-terminated once anything is added
 * (s stays NULL until then); out of memory aborts through sl_xrealloc. */
#ifndef SL_CORE_BUF_H
#define SL_CORE_BUF_H

#include <stddef.h>

struct sl_buf {
	char *s;
	size_t len, cap;
};

/* Appends the n bytes at s. */
void sl_buf_add(struct sl_buf *b, const char *s, size_t n);
/* Appends the string s. */
void sl_buf_add_str(struct sl_buf *b, const char *s);

#endif
