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

static void put(struct buf *b, const char *s, size_t n)
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

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A JSON string as RFC 8785 writes it, or null. */
static void put_string(struct buf *b, const char *s)
{
	if (!s) {
		puts_(b, "null");
		return;
	}
	put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];

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
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				puts_(b, esc);
			} else {
				put(b, (const char *)p, 1);
			}
		}
	}
	put(b, "\"", 1);
}

static void put_int(struct buf *b, int64_t v)
{
	char n[24];

	snprintf(n, sizeof(n), "%lld", (long long)v);
	puts_(b, n);
}

char *sl_entry_bytes(const struct sl_entry *e, size_t *len)
{
	struct buf b = {0};

	puts_(&b, "{\"action\":");
	put_string(&b, e->action);
	puts_(&b, ",\"actor\":");
	put_string(&b, e->actor);
	puts_(&b, ",\"after\":");
	puts_(&b, e->after ? e->after : "null");
	puts_(&b, ",\"at\":");
	put_int(&b, e->at);
	puts_(&b, ",\"before\":");
	puts_(&b, e->before ? e->before : "null");
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
	*len = b.len;
	return b.s;
}
