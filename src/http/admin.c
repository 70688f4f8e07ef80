/* admin.c - tokens, the audit log, health, metrics and the OpenAPI
 * document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/perm.h"
#include "core/rules.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "http/log.h"

static int check_token_name(const char *s, const char *field,
			    struct sl_error *err)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._@-", *p)))
			return sl_error_set(err, SL_EINVAL, field,
					    "%s may hold letters, digits and "
					    ". _ @ - only",
					    field)
				       ? -1
				       : -1;
	return 0;
}

const struct sl_field sl_token_fields[] = {
	{"name", SL_FT_STRING, SL_F_REQUIRED, 1, 64, check_token_name, NULL,
	 NULL, "who or what holds it"},
	{"role", SL_FT_STRING, SL_F_REQUIRED, 1, 32, NULL, NULL, sl_role_names,
	 NULL},
	{"environments", SL_FT_STRINGS, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "limit the token to these environments"},
	{"services", SL_FT_STRINGS, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "limit the token to these services"},
	{"teams", SL_FT_STRINGS, 0, 1, 128, NULL, NULL, NULL,
	 "limit the token to services these teams own"},
	{"groups", SL_FT_STRINGS, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "approval groups the holder belongs to"},
	{"expires_at", SL_FT_STRING, SL_F_NULLABLE, 1, 40, sl_h_check_time,
	 NULL, NULL, "RFC 3339, in the future; absent or null = never"},
	{0},
};

/* A time, or null for none (0). */
static json_t *time_or_null(int64_t us)
{
	return us ? sl_h_time(us) : json_null();
}

/* Returns a token's public document (never its secret or hash). Free
 * with json_decref(). */
static json_t *token_doc(const struct sl_token_row *t)
{
	return json_pack("{sI ss ss so so so so so so}", "id",
			 (json_int_t)t->id, "name", t->name, "role", t->role,
			 "created_at", sl_h_time(t->created_at), "created_by",
			 t->created_by ? json_string(t->created_by)
				       : json_null(),
			 "revoked_at", time_or_null(t->revoked_at), "scope",
			 t->scope ? sl_http_doc(t->scope) : json_object(),
			 "expires_at", time_or_null(t->expires_at),
			 "last_used_at", time_or_null(t->last_used_at));
}

void sl_h_token_create(struct sl_req *r)
{
	const char *name = json_string_value(json_object_get(r->json, "name"));
	const char *role = json_string_value(json_object_get(r->json, "role"));
	char secret[80], hash[SL_TOKEN_HASH_HEX], idb[24], *text;
	struct sl_error err = {0};
	struct sl_tx tx;
	int64_t id = 0;
	json_t *pub;
	enum sl_err rc;

	static const char *const scopes[] = {"environments", "services",
					     "teams", "groups"};
	json_t *scope;
	char *scope_text = NULL;
	const char *expires =
		json_string_value(json_object_get(r->json, "expires_at"));
	int64_t expires_at = 0;

	/* Tokens are organisation-wide: a grant on one environment, or an
	 * admin token limited to some scope, may not mint them. */
	if (!sl_http_require(r, SL_ACT_TOKEN_ADMIN, NULL, NULL))
		return;
	/* The schema checked the shape; core says whether it may be. */
	if (expires &&
	    (sl_time_parse(expires, &expires_at, "expires_at", &err) ||
	     sl_token_expiry_check(expires_at, r->now, &err))) {
		sl_http_fail(r, &err);
		return;
	}
	scope = json_object();
	for (size_t i = 0; i < 4; i++)
		if (json_array_size(json_object_get(r->json, scopes[i])))
			json_object_set(scope, scopes[i],
					json_object_get(r->json, scopes[i]));
	if (json_object_size(scope))
		scope_text = sl_http_canon(scope);
	sl_token_generate(secret, sizeof(secret));
	sl_token_hash(secret, hash);
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc == SL_OK)
		rc = sl_store_token_insert(&tx, name, role, hash, r->now,
					   r->actor.name, scope_text,
					   expires_at, &id, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		json_decref(scope);
		free(scope_text);
		return;
	}
	/* The audit entry names the token but never holds its secret. */
	pub = json_pack("{sI ss ss so ss so so sn sn}", "id", (json_int_t)id,
			"name", name, "role", role, "created_at",
			sl_h_time(r->now), "created_by", r->actor.name, "scope",
			scope, "expires_at",
			expires_at ? sl_h_time(expires_at) : json_null(),
			"last_used_at", "revoked_at");
	free(scope_text);
	text = sl_http_canon(pub);
	json_object_set_new(pub, "token", json_string(secret));
	{
		struct sl_audit_info a = {"token.create", "token",
					  sl_h_id(id, idb, sizeof(idb)), NULL,
					  text};
		sl_http_write_finish(r, &tx, &a, 201, sl_http_canon(pub));
	}
	json_decref(pub);
	free(text);
}

void sl_h_token_list(struct sl_req *r)
{
	struct sl_filter f = {0};
	char last[24];
	json_t *next;
	struct sl_tokens rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	json_t *items;
	enum sl_err rc;

	if (!sl_h_limit(r, &f.limit) || !sl_h_int_param(r, "cursor", &f.cursor))
		return;
	if (!sl_http_require(r, SL_ACT_TOKEN_ADMIN, NULL, NULL))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_token_page(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc) {
		sl_http_fail(r, &err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < rows.n; i++)
		json_array_append_new(items, token_doc(&rows.v[i]));
	next = rows.n && rows.n == (size_t)f.limit
		       ? json_string(sl_h_id(rows.v[rows.n - 1].id, last,
					     sizeof(last)))
		       : json_null();
	sl_tokens_fini(&rows);
	sl_http_reply_json(
		r, 200,
		json_pack("{so so}", "items", items, "next_cursor", next));
}

void sl_h_token_get(struct sl_req *r)
{
	struct sl_tokens rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	int64_t id = 0;
	enum sl_err rc;

	if (!sl_h_path_id(r, "token", &id))
		return;
	if (!sl_http_require(r, SL_ACT_TOKEN_ADMIN, NULL, NULL))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_token_get(&tx, id, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc) {
		sl_http_fail(r, &err);
		return;
	}
	sl_http_reply_json(r, 200, token_doc(&rows.v[0]));
	sl_tokens_fini(&rows);
}

void sl_h_token_revoke(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	struct sl_tokens rows = {0};
	char *before, *after;
	int64_t id = 0;
	json_t *doc;
	enum sl_err rc;

	if (!sl_h_path_id(r, "token", &id))
		return;
	if (!sl_http_require(r, SL_ACT_TOKEN_ADMIN, NULL, NULL))
		return;
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc == SL_OK)
		rc = sl_store_token_revoke(&tx, id, r->now, &err);
	/* Forget cached lookups now; the revoked token is refused from
	 * the next request on (on this daemon). */
	sl_tokcache_clear();
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		return;
	}
	/* The entry says what the token became: its document with the
	 * time it was revoked. */
	rc = sl_store_token_get(&tx, id, &rows, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		return;
	}
	doc = token_doc(&rows.v[0]);
	sl_tokens_fini(&rows);
	after = sl_http_canon(doc);
	json_object_set_new(doc, "revoked_at", json_null());
	before = sl_http_canon(doc);
	{
		struct sl_audit_info a = {"token.revoke", "token", r->params[0],
					  before, after};
		sl_http_write_finish(r, &tx, &a, 204, sl_xstrdup(""));
	}
	/* And again after the commit, in case a request cached the token
	 * from the old state in between. Its event streams end too. */
	sl_tokcache_clear();
	if (r->status == 204)
		sl_stream_end_token(id);
	json_decref(doc);
	free(before);
	free(after);
}

/* Whether the token sees an audit entry: by the environment and service
 * of the object it is about (1, 0, or -1 when that cannot be told). An
 * entry about what no environment or service holds (tokens, grants,
 * organisation-wide windows) is for unscoped tokens only. */
int sl_http_entry_seen(struct sl_req *r, const struct sl_audit_row *e)
{
	json_t *doc = NULL;
	const char *env = e->environment, *svc = e->service;
	int seen;

	if (!r->actor.scope)
		return 1;
	if (!e->change) {
		/* Written before entries kept their scope: the documents
		 * say it. */
		const char *d = e->after ? e->after : e->before;

		doc = d ? sl_http_doc(d) : NULL;
		env = json_string_value(json_object_get(doc, "environment"));
		svc = json_string_value(json_object_get(doc, "service"));
	}
	if (strcmp(e->object_type, "environment") == 0 ||
	    strcmp(e->object_type, "policy") == 0)
		env = e->object_id;
	if (strcmp(e->object_type, "service") == 0)
		svc = e->object_id;
	seen = sl_http_sees(r, env, svc);
	json_decref(doc);
	return seen;
}

void sl_h_audit_list(struct sl_req *r)
{
	struct sl_filter f = {0};
	struct sl_audit_rows rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	json_t *items;
	char next[24];
	enum sl_err rc;

	if (!sl_h_limit(r, &f.limit) || !sl_h_int_param(r, "after", &f.after) ||
	    !sl_h_text_param(r, "actor", &f.actor) ||
	    !sl_h_text_param(r, "action", &f.action) ||
	    !sl_h_text_param(r, "object_type", &f.object_type) ||
	    !sl_h_text_param(r, "object_id", &f.object_id) ||
	    !sl_h_time_param(r, "from", &f.since) ||
	    !sl_h_time_param(r, "to", &f.until))
		return;
	if (!sl_http_query(r, "after") && sl_http_query(r, "cursor") &&
	    !sl_h_int_param(r, "cursor", &f.after))
		return;
	/* The store reads a time of 0 as "no bound"; a range that ends at
	 * or before the epoch holds no entry, so say so with the earliest
	 * bound there is. */
	if (sl_http_query(r, "to") && f.until <= 0)
		f.until = INT64_MIN + 1;
	/* Every write acknowledged before this read is in the list. */
	rc = sl_log_number(sl_http_store(r), &err);
	if (rc == SL_OK)
		rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_audit_list(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc) {
		sl_http_fail(r, &err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < rows.n; i++) {
		const struct sl_audit_row *e = &rows.v[i];
		int seen = sl_http_entry_seen(r, e);

		if (seen < 0) {
			json_decref(items);
			sl_audit_rows_fini(&rows);
			sl_http_failf(r, SL_EUNAVAIL, "scope",
				      "the scope of the token cannot be read");
			return;
		}
		if (!seen)
			continue; /* outside the token's scope */

		json_array_append_new(
			items,
			json_pack("{sI so ss ss ss ss so so so so so}", "seq",
				  (json_int_t)e->seq, "at", sl_h_time(e->at),
				  "actor", e->actor, "action", e->action,
				  "object_type", e->object_type, "object_id",
				  e->object_id, "request_id",
				  e->request_id ? json_string(e->request_id)
						: json_null(),
				  "before",
				  e->before ? sl_http_doc(e->before)
					    : json_null(),
				  "after",
				  e->after ? sl_http_doc(e->after)
					   : json_null(),
				  "change",
				  e->change ? sl_http_doc(e->change)
					    : json_null(),
				  "via",
				  e->via ? json_string(e->via) : json_null()));
	}
	sl_http_reply_json(
		r, 200,
		json_pack("{so so}", "items", items, "next_cursor",
			  rows.n && rows.n == (size_t)f.limit
				  ? json_string(sl_h_id(rows.v[rows.n - 1].seq,
							next, sizeof(next)))
				  : json_null()));
	sl_audit_rows_fini(&rows);
}

void sl_h_healthz(struct sl_req *r)
{
	sl_http_reply(r, 200, sl_xstrdup("{\"status\":\"ok\"}"));
}

void sl_h_readyz(struct sl_req *r)
{
	struct sl_error err = {0};

	if (sl_store_ready(sl_http_store(r), &err)) {
		sl_http_failf(r, SL_EUNAVAIL, NULL,
			      "the store does not answer: %s", err.message);
		return;
	}
	if (sl_log_broken()) {
		sl_http_failf(r, SL_EUNAVAIL, NULL, "%s", sl_log_broken());
		return;
	}
	sl_http_reply_json(
		r, 200,
		json_pack("{ss ss si sb}", "status", "ready", "store",
			  sl_store_engine(sl_http_store(r)), "schema_version",
			  sl_store_schema_version(sl_http_store(r)), "leader",
			  sl_store_leader_held(sl_http_store(r))));
}

void sl_h_metrics(struct sl_req *r)
{
	sl_http_reply(r, 200, sl_metrics_render(r));
	r->content_type = "text/plain; version=0.0.4";
}

/* The OpenAPI description of a query parameter, with the schema its
 * type is checked against (query.c). */
static json_t *query_param(const struct sl_qparam *q)
{
	json_t *schema;

	switch (q->type) {
	case SL_Q_INT:
		schema = json_pack("{ss si}", "type", "integer", "minimum", 0);
		break;
	case SL_Q_LIMIT:
		schema = json_pack("{ss si si si}", "type", "integer",
				   "minimum", 1, "maximum", 500, "default", 50);
		break;
	case SL_Q_TIME:
		schema = json_pack("{ss ss}", "type", "string", "format",
				   "date-time");
		break;
	case SL_Q_BOOL:
		schema = json_pack("{ss}", "type", "boolean");
		break;
	case SL_Q_TAG:
		schema = json_pack("{ss ss}", "type", "string", "pattern",
				   "^[^=]+=");
		break;
	default:
		schema = json_pack("{ss si}", "type", "string", "maxLength",
				   256);
		if (q->choices)
			json_object_set_new(schema, "enum",
					    sl_schema_enum(q->choices));
		break;
	}
	return json_pack("{ss ss sb ss so}", "name", q->name, "in", "query",
			 "required", 0, "description", q->doc, "schema",
			 schema);
}

/* Writes the OpenAPI path template and its parameters for a route. */
static json_t *operation(const struct sl_route *rt)
{
	json_t *op = json_pack("{ss s{}}", "summary", rt->summary, "responses");
	json_t *params = json_array();
	const char *p = rt->pattern;

	while ((p = strchr(p, '{'))) {
		const char *e = strchr(p, '}');

		json_array_append_new(params,
				      json_pack("{ss% ss sb s{ss}}", "name",
						p + 1, (size_t)(e - p - 1),
						"in", "path", "required", 1,
						"schema", "type", "string"));
		p = e;
	}
	for (const struct sl_qparam *q = rt->query; q && q->name; q++)
		json_array_append_new(params, query_param(q));
	if (json_array_size(params))
		json_object_set_new(op, "parameters", params);
	else
		json_decref(params);
	if (rt->body)
		json_object_set_new(op, "requestBody",
				    json_pack("{sb s{s{so}}}", "required", 1,
					      "content", "application/json",
					      "schema",
					      sl_schema_json(rt->body)));
	json_object_set_new(json_object_get(op, "responses"), "default",
			    json_pack("{ss}", "description",
				      "JSON, or an RFC 9457 problem document"));
	if (!(rt->flags & SL_R_PUBLIC))
		json_object_set_new(op, "security",
				    json_pack("[{s[]}]", "bearer"));
	return op;
}

void sl_h_openapi(struct sl_req *r)
{
	json_t *paths = json_object();

	for (size_t i = 0; i < sl_routes_count; i++) {
		const struct sl_route *rt = &sl_routes[i];
		json_t *item = json_object_get(paths, rt->pattern);
		char method[8];
		size_t j;

		if (!item) {
			item = json_object();
			json_object_set_new(paths, rt->pattern, item);
		}
		for (j = 0; rt->method[j] && j < sizeof(method) - 1; j++)
			method[j] = (char)(rt->method[j] | 0x20);
		method[j] = '\0';
		json_object_set_new(item, method, operation(rt));
	}
	sl_http_reply_json(r, 200,
			   json_pack("{ss s{ss ss} so s{s{s{ss ss}}}}",
				     "openapi", "3.1.0", "info", "title",
				     "shiplog", "version", "1", "paths", paths,
				     "components", "securitySchemes", "bearer",
				     "type", "http", "scheme", "bearer"));
}
