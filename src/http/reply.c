/* reply.c - what a request answers: replies, problem documents (the
 * error -> status table), revisions, and the write path that audits and
 * commits in one transaction. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"
#include "http/cache.h"
#include "http/http.h"
#include "http/internal.h"

/* Lets the reply's body go, whoever owns it. */
void sl_http_reply_free(struct sl_req *r)
{
	if (r->reply_ref)
		sl_cache_release(r->reply_ref);
	else
		free(r->reply);
	r->reply = NULL;
	r->reply_ref = NULL;
}

void sl_http_reply(struct sl_req *r, int status, char *body)
{
	sl_http_reply_free(r);
	r->status = status;
	r->reply = body;
	r->reply_len = 0;
	if (!r->content_type || status < 400)
		r->content_type = "application/json";
}

void sl_http_reply_bytes(struct sl_req *r, int status, char *body, size_t len,
			 const char *content_type)
{
	sl_http_reply(r, status, body);
	/* An empty body is sent as such: "" (strlen 0) is what 0 means. */
	r->reply_len = len;
	r->content_type = content_type;
}

void sl_http_reply_json(struct sl_req *r, int status, json_t *v)
{
	sl_http_reply(r, status, sl_http_canon(v));
	json_decref(v);
}

char *sl_http_canon(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
					JSON_REAL_PRECISION(15));

	if (!s)
		sl_die("json_dumps failed");
	return s;
}

json_t *sl_http_doc(const char *doc)
{
	json_error_t jerr;
	json_t *v = json_loads(doc, 0, &jerr);

	if (!v)
		sl_die("stored document is not JSON: %s", jerr.text);
	return v;
}

/* One row per error code: HTTP status, problem type slug, title. */
static const struct {
	int status;
	const char *title;
} problems[] = {
	[SL_OK] = {200, "OK"},
	[SL_EMALFORMED] = {400, "Malformed request"},
	[SL_EAUTH] = {401, "Authentication required"},
	[SL_EFORBIDDEN] = {403, "Forbidden"},
	[SL_ENOTFOUND] = {404, "Not found"},
	[SL_ECONFLICT] = {409, "Conflict"},
	[SL_EPRECOND] = {412, "Precondition failed"},
	[SL_ETOOLARGE] = {413, "Request body too large"},
	[SL_EMEDIA] = {415, "Unsupported media type"},
	[SL_EINVAL] = {422, "Invalid request"},
	[SL_EUNAVAIL] = {503, "Service unavailable"},
	[SL_EINTERNAL] = {500, "Internal error"},
	[SL_EGONE] = {410, "Gone"},
};

/* A JSON string of text that may echo the request, made valid UTF-8
 * first (a stray byte becomes U+FFFD, a cut character is dropped): a
 * problem document must always be writable, whatever the client sent. */
static json_t *echo(const char *s)
{
	size_t size = 3 * strlen(s) + 1;
	char *buf = sl_xmalloc(size);
	json_t *v = json_string(sl_utf8_scrub(s, buf, size));

	free(buf);
	return v;
}

/* One member of a problem's "errors": {"field", "message"}. */
static json_t *field_error(const char *field, const char *message)
{
	return json_pack("{so so}", "field", echo(field), "message",
			 echo(message));
}

static void problem_with(struct sl_req *r, enum sl_err code, const char *detail,
			 json_t *errors, json_t *extra);

static void problem(struct sl_req *r, enum sl_err code, const char *detail,
		    json_t *errors)
{
	problem_with(r, code, detail, errors, NULL);
}

/* A problem document with the members of extra (taken; NULL for none)
 * added to it and to each of its errors. */
static void problem_with(struct sl_req *r, enum sl_err code, const char *detail,
			 json_t *errors, json_t *extra)
{
	char type[96];
	json_t *p;

	if ((size_t)code >= sizeof(problems) / sizeof(problems[0]))
		code = SL_EINTERNAL;
	snprintf(type, sizeof(type), "https://shiplog.dev/problems/%s",
		 sl_error_name(code));
	p = json_pack("{ss ss si so ss}", "type", type, "title",
		      problems[code].title, "status", problems[code].status,
		      "detail", echo(detail), "instance", r->request_id);
	if (errors && extra) {
		size_t i;
		json_t *e;

		json_array_foreach(errors, i, e) json_object_update(e, extra);
	}
	if (errors)
		json_object_set_new(p, "errors", errors);
	if (extra) {
		json_object_update(p, extra);
		json_decref(extra);
	}
	sl_http_reply_json(r, problems[code].status, p);
	r->content_type = "application/problem+json";
}

void sl_http_fail(struct sl_req *r, const struct sl_error *err)
{
	json_t *errors = NULL;

	r->retry = err->transient;
	if (err->field[0] &&
	    (err->code == SL_EINVAL || err->code == SL_ECONFLICT ||
	     err->code == SL_EMALFORMED))
		errors =
			json_pack("[o]", field_error(err->field, err->message));
	if (err->code == SL_EINTERNAL)
		fprintf(stderr,
			"{\"level\":\"error\",\"request_id\":\"%s\","
			"\"msg\":\"internal error\"}\n",
			r->request_id);
	problem(r, err->code,
		err->code == SL_EINTERNAL ? "an internal error occurred"
					  : err->message,
		errors);
}

void sl_http_fail_with(struct sl_req *r, const struct sl_error *err,
		       json_t *extra)
{
	json_t *errors = NULL;

	r->retry = err->transient;
	if (err->field[0] && err->code != SL_EINTERNAL &&
	    err->code != SL_EUNAVAIL)
		errors =
			json_pack("[o]", field_error(err->field, err->message));
	problem_with(r, err->code,
		     err->code == SL_EINTERNAL ? "an internal error occurred"
					       : err->message,
		     errors, extra);
}

void sl_http_failf(struct sl_req *r, enum sl_err code, const char *field,
		   const char *fmt, ...)
{
	struct sl_error err = {.code = code};
	va_list ap;

	snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	err.message[sl_utf8_boundary(err.message, strlen(err.message))] = '\0';
	sl_http_fail(r, &err);
}

/* Replies 422 listing every schema problem; the detail is the first one,
 * named once (validator messages already start with the field). */
void sl_http_fail_verrs(struct sl_req *r, const struct sl_verrs *v)
{
	json_t *errors = json_array();
	char detail[320];
	size_t flen = strlen(v->e[0].field);
	int named = strncmp(v->e[0].message, v->e[0].field, flen) == 0 &&
		    v->e[0].message[flen] == ' ';

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(
			errors, field_error(v->e[i].field, v->e[i].message));
	snprintf(detail, sizeof(detail), "%s%s%s%s", named ? "" : v->e[0].field,
		 named ? "" : " ", v->e[0].message,
		 v->n > 1 ? " (and more: see errors)" : "");
	problem(r, SL_EINVAL, detail, errors);
}

void sl_http_etag(struct sl_req *r, int64_t revision)
{
	snprintf(r->etag, sizeof(r->etag), "\"%lld\"", (long long)revision);
}

int sl_http_if_match(struct sl_req *r, int64_t revision)
{
	const char *want = sl_http_header(r, "If-Match");
	char have[32];

	if (!want || strcmp(want, "*") == 0)
		return 1;
	snprintf(have, sizeof(have), "\"%lld\"", (long long)revision);
	if (strcmp(want, have) == 0)
		return 1;
	/* Accept a weak form too; revisions are exact either way. */
	if (strncmp(want, "W/", 2) == 0 && strcmp(want + 2, have) == 0)
		return 1;
	sl_http_failf(r, SL_EPRECOND, "If-Match",
		      "If-Match %s does not match the current ETag %s", want,
		      have);
	return 0;
}

void sl_http_write_finish(struct sl_req *r, struct sl_tx *tx,
			  const struct sl_audit_info *a, int status, char *body)
{
	struct sl_error err = {0};
	struct sl_audit_entry e = {
		.at = r->now,
		.actor = r->actor.name,
		.action = a->action,
		.object_type = a->object_type,
		.object_id = a->object_id,
		.request_id = r->request_id,
		.via = r->via[0] ? r->via : NULL,
	};
	int64_t seq;
	enum sl_err rc =
		sl_http_audit_append(tx, &e, a->before, a->after, &seq, &err);

	if (rc == SL_OK && r->idem_key) {
		struct sl_idem rec = {
			.method = (char *)r->method,
			.path = (char *)r->url,
			.body_hash = r->idem_hash,
			.response = body,
			.status = status,
		};
		rc = sl_store_idem_put(tx, r->actor.name, r->idem_key, &rec,
				       r->now, &err);
		if (rc == SL_ECONFLICT)
			/* A twin request with the same key won the race;
			 * the client retries and gets its answer. */
			sl_error_set(&err, SL_ECONFLICT, "Idempotency-Key",
				     "a request with this Idempotency-Key is "
				     "in progress; retry");
	}
	if (rc == SL_OK)
		rc = sl_store_commit(tx, &err);
	else
		sl_store_abort(tx);
	if (rc) {
		free(body);
		sl_http_fail(r, &err);
		return;
	}
	sl_http_reply(r, status, body);
}

/* Replies 405 (no sl_err code maps to it) naming the allowed methods. */
void sl_http_fail_method(struct sl_req *r)
{
	char detail[160];

	snprintf(detail, sizeof(detail),
		 "%s is not allowed on this path; allowed: %s", r->method,
		 r->allow);
	sl_http_reply_json(
		r, 405,
		json_pack("{ss ss si so ss}", "type",
			  "https://shiplog.dev/problems/method-not-allowed",
			  "title", "Method not allowed", "status", 405,
			  "detail", echo(detail), "instance", r->request_id));
	r->content_type = "application/problem+json";
}
