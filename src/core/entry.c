/* entry.c - the bytes of an audit entry (entry.h says which). */
#include "core/entry.h"
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* A JSON string as RFC 8785 writes it, or null: the bytes that need no
 * escape copied a run at a time. */
static void put_string(struct sl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;

	if (!s) {
		sl_buf_add_str(b, "null");
		return;
	}
	sl_buf_add(b, "\"", 1);
	for (;;) {
		char esc[8];

		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		sl_buf_add(b, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"':
			sl_buf_add_str(b, "\\\"");
			break;
		case '\\':
			sl_buf_add_str(b, "\\\\");
			break;
		case '\b':
			sl_buf_add_str(b, "\\b");
			break;
		case '\t':
			sl_buf_add_str(b, "\\t");
			break;
		case '\n':
			sl_buf_add_str(b, "\\n");
			break;
		case '\f':
			sl_buf_add_str(b, "\\f");
			break;
		case '\r':
			sl_buf_add_str(b, "\\r");
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			sl_buf_add_str(b, esc);
		}
		p++;
	}
	sl_buf_add(b, "\"", 1);
}

static void put_int(struct sl_buf *b, int64_t v)
{
	char n[24], *p = n + sizeof(n);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	sl_buf_add(b, p, (size_t)(n + sizeof(n) - p));
}

static void put_doc(struct sl_buf *b, const char *doc)
{
	sl_buf_add_str(b, doc ? doc : "null");
}

size_t sl_entry_append(const struct sl_entry *e, char **buf, size_t *len,
		       size_t *cap)
{
	struct sl_buf b = {*buf, *len, *cap};
	size_t start = b.len;

	sl_buf_add_str(&b, "{\"action\":");
	put_string(&b, e->action);
	sl_buf_add_str(&b, ",\"actor\":");
	put_string(&b, e->actor);
	if (!e->change) {
		sl_buf_add_str(&b, ",\"after\":");
		put_doc(&b, e->after);
	}
	sl_buf_add_str(&b, ",\"at\":");
	put_int(&b, e->at);
	if (e->change) {
		sl_buf_add_str(&b, ",\"change\":");
		put_doc(&b, e->change);
	} else {
		sl_buf_add_str(&b, ",\"before\":");
		put_doc(&b, e->before);
	}
	sl_buf_add_str(&b, ",\"object_id\":");
	put_string(&b, e->object_id);
	sl_buf_add_str(&b, ",\"object_type\":");
	put_string(&b, e->object_type);
	sl_buf_add_str(&b, ",\"request_id\":");
	put_string(&b, e->request_id);
	sl_buf_add_str(&b, ",\"seq\":");
	put_int(&b, e->seq);
	sl_buf_add_str(&b, ",\"via\":");
	put_string(&b, e->via);
	sl_buf_add_str(&b, "}");
	*buf = b.s;
	*len = b.len;
	*cap = b.cap;
	return b.len - start;
}

char *sl_entry_bytes(const struct sl_entry *e, size_t *len)
{
	char *buf = NULL;
	size_t used = 0, cap = 0;

	*len = sl_entry_append(e, &buf, &used, &cap);
	return buf;
}
