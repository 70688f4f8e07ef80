/* query.c - the query parameters each route accepts.
 *
 * Every route declares its parameters in its row of the route table
 * (routes.c). Before the handler runs, each parameter of the request is
 * looked up there: an unknown one, one given twice or without a value,
 * or one whose value is not of its type is refused with 400 naming it.
 * So a misspelt filter (?actr=alice) never reads as "no filter" and
 * answers every row. */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/validate.h"
#include "core/vocab.h"
#include "http/http.h"

const char *sl_http_qtype_name(enum sl_qtype t)
{
	switch (t) {
	case SL_Q_INT:
		return "a non-negative integer";
	case SL_Q_LIMIT:
		return "an integer from 1 to 500";
	case SL_Q_TIME:
		return "an RFC 3339 date-time";
	case SL_Q_TAG:
		return "key=value";
	case SL_Q_BOOL:
		return "true or false";
	case SL_Q_TEXT:
		break;
	}
	return "text";
}

struct scan {
	const struct sl_qparam *accepted;
	struct sl_error err;
	/* Bit i: accepted[i] was seen (routes accept fewer than 32). */
	unsigned seen;
};

/* Fills err as sl_error_set does; returns -1. */
__attribute__((format(printf, 4, 5))) static int bad(struct sl_error *err,
						     enum sl_err code,
						     const char *field,
						     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->message[sl_utf8_boundary(err->message, strlen(err->message))] =
		'\0';
	return -1;
}

/* Checks value against the parameter's type; 0, or -1 with err filled. */
static int check_value(const struct sl_qparam *q, const char *value,
		       struct sl_error *err)
{
	const char *name = q->name;
	int64_t n = 0;
	const char *eq;

	switch (q->type) {
	case SL_Q_INT:
	case SL_Q_LIMIT:
		if (sl_decimal_parse(value, &n))
			return bad(err, SL_EMALFORMED, name,
				   "%s must be a non-negative integer "
				   "(decimal digits, without leading "
				   "zeros, signs or spaces)",
				   name);
		if (q->type == SL_Q_LIMIT && (n < 1 || n > 500))
			return bad(err, SL_EMALFORMED, name,
				   "%s must be between 1 and 500", name);
		return 0;
	case SL_Q_TIME:
		if (sl_time_parse(value, &n, name, err)) {
			err->code = SL_EMALFORMED;
			return -1;
		}
		return 0;
	case SL_Q_BOOL:
		if (strcmp(value, "true") && strcmp(value, "false"))
			return bad(err, SL_EMALFORMED, name,
				   "%s must be true or false", name);
		return 0;
	case SL_Q_TAG:
		eq = strchr(value, '=');
		if (!eq || eq == value)
			return bad(err, SL_EMALFORMED, name,
				   "%s must be written key=value", name);
		break;
	case SL_Q_TEXT:
		break;
	}
	if (sl_valid_text(value, 256, 0, name, err)) {
		err->code = SL_EMALFORMED;
		return -1;
	}
	if (q->choices && sl_vocab_index(q->choices, value) < 0) {
		char list[200];

		sl_vocab_join(q->choices, ", ", list, sizeof(list));
		return bad(err, SL_EMALFORMED, name, "%s must be one of: %s",
			   name, list);
	}
	return 0;
}

/* The accepted names, for a message: "limit, cursor, tag". */
static void names(const struct sl_qparam *q, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; q && q->name && len < size; q++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					len ? ", " : "", q->name);
}

static enum MHD_Result one(void *cls, enum MHD_ValueKind kind, const char *key,
			   const char *value)
{
	struct scan *s = cls;
	const struct sl_qparam *q = s->accepted;
	char accepted[192];
	size_t i = 0;

	(void)kind;
	for (; q && q->name && strcmp(q->name, key); q++)
		i++;
	if (!q || !q->name) {
		names(s->accepted, accepted, sizeof(accepted));
		sl_error_set(&s->err, SL_EMALFORMED, key,
			     "unknown query parameter '%s': %s%s", key,
			     accepted[0] ? "this route accepts " : "",
			     accepted[0] ? accepted
					 : "this route takes no parameters");
		return MHD_NO;
	}
	if (s->seen & (1u << i)) {
		sl_error_set(&s->err, SL_EMALFORMED, key,
			     "query parameter '%s' is given more than once",
			     key);
		return MHD_NO;
	}
	s->seen |= 1u << i;
	if (!value) {
		sl_error_set(&s->err, SL_EMALFORMED, key,
			     "query parameter '%s' needs a value (%s)", key,
			     sl_http_qtype_name(q->type));
		return MHD_NO;
	}
	return check_value(q, value, &s->err) ? MHD_NO : MHD_YES;
}

int sl_http_query_check(struct sl_req *r)
{
	struct scan s = {.accepted = r->route->query};

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, one, &s);
	if (s.err.code) {
		sl_http_fail(r, &s.err);
		return 0;
	}
	return 1;
}
