/* entry.c - the bytes of an audit entry (entry.h says which). */
#include "core/entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

struct buf {
	char *s;
	size_t len, cap;
};

static void reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? 2 * b->cap : 256;
		b->s = sl_xrealloc(b->s, b->cap);
	}
}

static void put(struct buf *b, const char *s, size_t n)
{
	reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A JSON string as RFC 8785 writes it, or null: the bytes that need no
 * escape copied a run at a time. */
static void put_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;

	if (!s) {
		puts_(b, "null");
		return;
	}
	put(b, "\"", 1);
	for (;;) {
		char esc[8];

		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		put(b, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"':
			puts_(b, "\\\"");
			break;
		case '\\':
			puts_(b, "\\\\");
			break;
		case '\b':
			puts_(b, "\\b");
			break;
		case '\t':
			puts_(b, "\\t");
			break;
		case '\n':
			puts_(b, "\\n");
			break;
		case '\f':
			puts_(b, "\\f");
			break;
		case '\r':
			puts_(b, "\\r");
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			puts_(b, esc);
		}
		p++;
	}
	put(b, "\"", 1);
}

static void put_int(struct buf *b, int64_t v)
{
	char n[24], *p = n + sizeof(n);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	put(b, p, (size_t)(n + sizeof(n) - p));
}

static void put_doc(struct buf *b, const char *doc)
{
	puts_(b, doc ? doc : "null");
}

size_t sl_entry_append(const struct sl_entry *e, char **buf, size_t *len,
		       size_t *cap)
{
	struct buf b = {*buf, *len, *cap};
	size_t start = b.len;

	puts_(&b, "{\"action\":");
	put_string(&b, e->action);
	puts_(&b, ",\"actor\":");
	put_string(&b, e->actor);
	if (!e->change) {
		puts_(&b, ",\"after\":");
		put_doc(&b, e->after);
	}
	puts_(&b, ",\"at\":");
	put_int(&b, e->at);
	if (e->change) {
		puts_(&b, ",\"change\":");
		put_doc(&b, e->change);
	} else {
		puts_(&b, ",\"before\":");
		put_doc(&b, e->before);
	}
	puts_(&b, ",\"object_id\":");
	put_string(&b, e->object_id);
	puts_(&b, ",\"object_type\":");
	put_string(&b, e->object_type);
	puts_(&b, ",\"request_id\":");
	put_string(&b, e->request_id);
	puts_(&b, ",\"seq\":");
	put_int(&b, e->seq);
	puts_(&b, ",\"via\":");
	put_string(&b, e->via);
	puts_(&b, "}");
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
