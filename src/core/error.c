/* error.c - error filling, allocation wrappers. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sl_err sl_error_set(struct sl_error *err, enum sl_err code,
			 const char *field, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		err->code = code;
		err->transient = 0;
		snprintf(err->field, sizeof(err->field), "%s",
			 field ? field : "");
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
		err->field[sl_utf8_boundary(err->field, strlen(err->field))] =
			'\0';
		err->message[sl_utf8_boundary(err->message,
					      strlen(err->message))] = '\0';
	}
	return code;
}

size_t sl_utf8_boundary(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t lead = len, need;

	/* Back up over at most three continuation bytes to the lead byte
	 * of the last sequence; keep it only when it is complete. */
	while (lead > 0 && len - lead < 4 && (p[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead == 0 || p[lead - 1] < 0xC0)
		return len; /* ASCII last, or nothing to judge */
	lead--;
	need = p[lead] >= 0xF0 ? 4 : p[lead] >= 0xE0 ? 3 : 2;
	return len - lead >= need ? len : lead;
}

static const char *const names[] = {
	[SL_OK] = "ok",
	[SL_EMALFORMED] = "malformed",
	[SL_EAUTH] = "unauthorized",
	[SL_EFORBIDDEN] = "forbidden",
	[SL_ENOTFOUND] = "not-found",
	[SL_ECONFLICT] = "conflict",
	[SL_EPRECOND] = "precondition-failed",
	[SL_ETOOLARGE] = "too-large",
	[SL_EMEDIA] = "unsupported-media-type",
	[SL_EINVAL] = "invalid",
	[SL_EUNAVAIL] = "unavailable",
	[SL_EINTERNAL] = "internal",
	[SL_EGONE] = "gone",
};

const char *sl_error_name(enum sl_err code)
{
	if ((size_t)code < sizeof(names) / sizeof(names[0]) && names[code])
		return names[code];
	return "internal";
}

_Noreturn void sl_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("shiplog: fatal: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void *sl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		sl_die("out of memory (%zu bytes)", n);
	return p;
}

void *sl_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		sl_die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *sl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		sl_die("out of memory (%zu bytes)", n);
	return q;
}

char *sl_xstrdup(const char *s)
{
	return sl_xstrndup(s, strlen(s));
}

char *sl_xstrndup(const char *s, size_t n)
{
	char *p = sl_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
