/* incidents.c - incidents: recorded by a person or an alert, the
 * deployments shiplog suspects of having caused them, the cause a person
 * confirms (which marks that deployment as a change failure), resolution,
 * and incidents as known issues of releases.
 *
 * The rules (severities, which deployments are suspects, which may be
 * named as a cause, resolution time, what an alert does) are in
 * core/incident.c. A confirmed cause writes two objects in one
 * transaction: the incident (its causes) and the deployment, whose
 * document gets change_failure and caused_incidents, each with its audit
 * entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/incident.h"
#include "core/perm.h"
#include "core/validate.h"
#include "http/handlers.h"

/* Candidates read per service to choose the suspects from: the newest
 * deployments created before the incident started. */
#define CANDIDATES 50

const struct sl_field sl_incident_fields[] = {
	{"key", SL_FT_STRING, SL_F_REQUIRED | SL_F_IMMUTABLE, 1, 63,
	 sl_valid_slug, NULL, NULL,
	 "the incident's key: lowercase letters, digits and '-'"},
	{"severity", SL_FT_STRING, SL_F_REQUIRED, 1, 16, NULL, NULL,
	 sl_incident_severity_names, NULL},
	{"environment", SL_FT_STRING, SL_F_REQUIRED | SL_F_IMMUTABLE, 1, 63,
	 sl_valid_slug, NULL, NULL, "where it happens"},
	{"services", SL_FT_STRINGS, SL_F_REQUIRED | SL_F_IMMUTABLE, 1, 63,
	 sl_valid_slug, NULL, NULL, "the services it affects (1-16)"},
	{"summary", SL_FT_STRING, SL_F_REQUIRED, 1, 1024, NULL, NULL, NULL,
	 "one line: what is wrong"},
	{"started_at", SL_FT_STRING, 0, 1, 40, sl_h_check_time, NULL, NULL,
	 "when it began, RFC 3339 (default: now)"},
	{"resolved_at", SL_FT_STRING, SL_F_NULLABLE, 1, 40, sl_h_check_time,
	 NULL, NULL, "when it ended; null while open"},
	{"url", SL_FT_STRING, SL_F_NULLABLE, 1, 2048, sl_valid_url, NULL, NULL,
	 "where it is tracked"},
	{0},
};

const struct sl_field sl_incident_update_fields[] = {
	{"severity", SL_FT_STRING, 0, 1, 16, NULL, NULL,
	 sl_incident_severity_names, NULL},
	{"summary", SL_FT_STRING, 0, 1, 1024, NULL, NULL, NULL, NULL},
	{"resolved_at", SL_FT_STRING, SL_F_NULLABLE, 1, 40, sl_h_check_time,
	 NULL, NULL, "resolves it (null reopens it)"},
	{"url", SL_FT_STRING, SL_F_NULLABLE, 1, 2048, sl_valid_url, NULL, NULL,
	 NULL},
	{0},
};

const struct sl_field sl_incident_cause_fields[] = {
	{"deployment_id", SL_FT_INT, SL_F_REQUIRED, 1, INT64_MAX, NULL, NULL,
	 NULL, "a deployment to the incident's environment and services"},
	{"comment", SL_FT_STRING, 0, 1, 2000, NULL, NULL, NULL,
	 "why it is the cause"},
	{0},
};

const struct sl_field sl_known_issue_fields[] = {
	{"incident", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL,
	 NULL, "the incident's key"},
	{0},
};

/* ---- the document ---- */

/* The incident's services as borrowed strings (at most the core's
 * maximum); returns how many. */
static size_t services_of(const json_t *doc, const char **out)
{
	const json_t *a = json_object_get(doc, "services");
	size_t n = 0, i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (n < SL_INCIDENT_SERVICES_MAX && json_is_string(v))
			out[n++] = json_string_value(v);
	}
	return n;
}

/* The columns the store filters on, borrowed from doc. */
static struct sl_incident_cols cols_of(const json_t *doc)
{
	return (struct sl_incident_cols){
		.key = json_string_value(json_object_get(doc, "key")),
		.status = json_string_value(json_object_get(doc, "status")),
		.severity = json_string_value(json_object_get(doc, "severity")),
		.environment =
			json_string_value(json_object_get(doc, "environment")),
		.started_at = sl_h_doc_time(doc, "started_at"),
		.resolved_at = sl_h_doc_time(doc, "resolved_at"),
	};
}

/* Sets status, resolved_at and resolution_seconds from resolved_at (0:
 * open); SL_EINVAL when it ends before it began. */
static enum sl_err set_resolution(json_t *doc, int64_t resolved_at,
				  struct sl_error *err)
{
	int64_t secs = 0;
	enum sl_err rc;

	if (!resolved_at) {
		json_object_set_new(
			doc, "status",
			json_string(sl_incident_status_name(SL_INC_OPEN)));
		json_object_set_new(doc, "resolved_at", json_null());
		json_object_set_new(doc, "resolution_seconds", json_null());
		return SL_OK;
	}
	rc = sl_incident_resolution(sl_h_doc_time(doc, "started_at"),
				    resolved_at, &secs, err);
	if (rc)
		return rc;
	json_object_set_new(
		doc, "status",
		json_string(sl_incident_status_name(SL_INC_RESOLVED)));
	json_object_set_new(doc, "resolved_at", sl_h_time(resolved_at));
	json_object_set_new(doc, "resolution_seconds", json_integer(secs));
	return SL_OK;
}

/* Checks the environment and every service exist, and that the token
 * may write incidents there; 0 with the reply made (or err filled, when
 * r is NULL: a sender's incident) when not. */
static enum sl_err check_place(struct sl_tx *tx, const json_t *doc,
			       struct sl_error *err)
{
	const char *env =
		json_string_value(json_object_get(doc, "environment"));
	const char *svc[SL_INCIDENT_SERVICES_MAX];
	size_t n = services_of(doc, svc);
	char *text = NULL;
	int64_t rev;
	enum sl_err rc = sl_store_environment_get(tx, env, &text, &rev, err);

	free(text);
	if (rc == SL_ENOTFOUND)
		return sl_error_set(err, SL_EINVAL, "environment",
				    "environment '%s' does not exist", env);
	for (size_t i = 0; rc == SL_OK && i < n; i++) {
		text = NULL;
		rc = sl_store_service_get(tx, svc[i], &text, &rev, err);
		free(text);
		if (rc == SL_ENOTFOUND)
			return sl_error_set(err, SL_EINVAL, "services",
					    "service '%s' does not exist",
					    svc[i]);
	}
	return rc;
}

/* 1 when the token may take action a on the incident's environment and
 * every one of its services; 0 when it replied. */
static int may(struct sl_req *r, int a, const json_t *doc)
{
	const char *env =
		json_string_value(json_object_get(doc, "environment"));
	const char *svc[SL_INCIDENT_SERVICES_MAX];
	size_t n = services_of(doc, svc);

	for (size_t i = 0; i < n; i++)
		if (!sl_http_require(r, a, env, svc[i]))
			return 0;
	return n ? 1 : sl_http_require(r, a, env, NULL);
}

/* A new incident's document from the body's fields (checked by the
 * schema), by whom and from where. */
static json_t *new_doc(struct sl_req *r, const json_t *in, const char *source)
{
	json_t *doc = json_pack("{sn sn}", "url", "receiver");
	const json_t *svcs = json_object_get(in, "services");

	sl_h_merge(doc, in);
	json_object_del(doc, "resolved_at");
	if (!json_object_get(in, "started_at"))
		json_object_set_new(doc, "started_at", sl_h_time(r->now));
	json_object_set_new(doc, "service",
			    json_incref(json_array_get(svcs, 0)));
	json_object_set_new(doc, "causes", json_array());
	json_object_set_new(doc, "known_issue_of", json_array());
	json_object_set_new(doc, "source", json_string(source));
	json_object_set_new(doc, "created_by", json_string(r->actor.name));
	json_object_set_new(doc, "created_at", sl_h_time(r->now));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	json_object_set_new(doc, "revision", json_integer(1));
	return doc;
}

/* Inserts doc; *text its canonical bytes (free()). */
static enum sl_err insert(struct sl_tx *tx, struct sl_req *r, json_t *doc,
			  char **text, struct sl_error *err)
{
	const char *svc[SL_INCIDENT_SERVICES_MAX];
	size_t n = services_of(doc, svc);
	struct sl_incident_cols c = cols_of(doc);

	*text = sl_http_canon(doc);
	return sl_store_incident_insert(tx, &c, svc, n, r->now, *text, err);
}

/* Rewrites doc (read at rev) with its next revision; *text its canonical
 * bytes (free()). */
static enum sl_err rewrite(struct sl_tx *tx, struct sl_req *r, json_t *doc,
			   int64_t rev, char **text, struct sl_error *err)
{
	struct sl_incident_cols c;

	json_object_set_new(doc, "revision", json_integer(rev + 1));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	c = cols_of(doc);
	*text = sl_http_canon(doc);
	return sl_store_incident_update(tx, &c, rev, r->now, *text, err);
}

/* Appends an audit entry about incident key inside a larger write. */
static enum sl_err audit(struct sl_req *r, struct sl_tx *tx, const char *action,
			 const char *type, const char *id, const char *before,
			 const char *after, struct sl_error *err)
{
	int64_t seq;
	struct sl_audit_entry a = {
		.at = r->now,
		.actor = r->actor.name,
		.action = action,
		.object_type = type,
		.object_id = id,
		.request_id = r->request_id,
		.via = r->via[0] ? r->via : NULL,
	};

	return sl_http_audit_append(tx, &a, before, after, &seq, err);
}

/* Opens a write on incident key and reads it: 1 ready, 0 replied. */
static int open_incident(struct sl_req *r, struct sl_tx *tx, const char *key,
			 char **before, int64_t *rev, json_t **doc)
{
	struct sl_error err = {0};
	char object[96];
	enum sl_err rc;

	snprintf(object, sizeof(object), "incident:%s", key);
	rc = sl_store_begin_on(sl_http_store(r), object, tx, &err);
	if (rc == SL_OK)
		rc = sl_store_incident_get(tx, key, before, rev, &err);
	if (rc) {
		if (tx->conn)
			sl_store_abort(tx);
		sl_http_fail(r, &err);
		return 0;
	}
	*doc = sl_http_doc(*before);
	return 1;
}

/* v, or JSON null when the document lacks the member: an answer names
 * every field it documents. */
static json_t *or_null(json_t *v)
{
	return v ? v : json_null();
}

/* ---- routes ---- */

void sl_h_incident_create(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx = {0};
	json_t *doc = new_doc(r, r->json, "api");
	const json_t *svcs = json_object_get(r->json, "services");
	const char *res =
		json_string_value(json_object_get(r->json, "resolved_at"));
	int64_t resolved = 0;
	char *text = NULL;
	enum sl_err rc = SL_OK;

	if (json_array_size(svcs) < 1 ||
	    json_array_size(svcs) > SL_INCIDENT_SERVICES_MAX) {
		sl_http_failf(r, SL_EINVAL, "services",
			      "an incident names 1 to %d services",
			      SL_INCIDENT_SERVICES_MAX);
		goto out;
	}
	if (!may(r, SL_ACT_INCIDENT_WRITE, doc))
		goto out;
	if (res)
		sl_time_parse(res, &resolved, "resolved_at", NULL);
	rc = set_resolution(doc, resolved, &err);
	if (rc == SL_OK)
		rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc == SL_OK)
		rc = check_place(&tx, doc, &err);
	if (rc == SL_OK)
		rc = insert(&tx, r, doc, &text, &err);
	if (rc) {
		if (tx.conn)
			sl_store_abort(&tx);
		sl_http_fail(r, &err);
		goto out;
	}
	sl_http_etag(r, 1);
	sl_h_finish(r, &tx, "incident.create", "incident",
		    json_string_value(json_object_get(doc, "key")), NULL, 201,
		    text);
out:
	free(text);
	json_decref(doc);
}

void sl_h_incident_list(struct sl_req *r)
{
	struct sl_incident_filter f = {0};
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	char next[24];
	enum sl_err rc;

	if (!sl_h_limit(r, &f.limit) ||
	    !sl_h_int_param(r, "cursor", &f.cursor) ||
	    !sl_h_text_param(r, "status", &f.status) ||
	    !sl_h_text_param(r, "environment", &f.environment) ||
	    !sl_h_text_param(r, "service", &f.service) ||
	    !sl_h_int_param(r, "release", &f.release_id) ||
	    !sl_h_time_param(r, "since", &f.since) ||
	    !sl_h_time_param(r, "until", &f.until))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_incident_list(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_OK)
		rc = sl_h_scope_filter(r, &rows, "environment", "service",
				       &err);
	if (rc)
		sl_http_fail(r, &err);
	else
		sl_http_reply(r, 200,
			      sl_h_list(&rows,
					rows.n && rows.n == (size_t)f.limit
						? sl_h_id(rows.v[rows.n - 1].id,
							  next, sizeof(next))
						: NULL));
	sl_docs_fini(&rows);
}

/* A deployment as a suspect: its place and times, its release's version
 * and changes (commit, tag, notes, change request), and the version it
 * replaced there (the newest succeeded or verified deployment before
 * it), so a person sees what changed. */
static enum sl_err suspect_doc(struct sl_tx *tx, const json_t *dep,
			       const json_t *causes, json_t **out,
			       struct sl_error *err)
{
	int64_t id = json_integer_value(json_object_get(dep, "id"));
	int64_t rid = json_integer_value(json_object_get(dep, "release_id"));
	const json_t *target = json_object_get(dep, "target");
	int64_t prev = 0, rev;
	char *text = NULL;
	json_t *rel = NULL, *s, *replaced = json_null();
	int confirmed = 0;
	size_t i;
	json_t *c;
	enum sl_err rc = sl_store_release_get(tx, rid, &text, &rev, err);

	if (rc)
		return rc;
	rel = sl_http_doc(text);
	free(text);
	text = NULL;
	rc = sl_store_deployment_running(
		tx, json_string_value(json_object_get(dep, "service")),
		json_string_value(json_object_get(dep, "environment")),
		json_is_string(target) ? json_string_value(target) : "", id,
		&prev, err);
	if (rc == SL_OK && prev) {
		json_t *pd, *pr;

		rc = sl_store_deployment_get(tx, prev, &text, &rev, err);
		pd = rc == SL_OK ? sl_http_doc(text) : NULL;
		free(text);
		text = NULL;
		if (rc == SL_OK)
			rc = sl_store_release_get(
				tx,
				json_integer_value(
					json_object_get(pd, "release_id")),
				&text, &rev, err);
		pr = rc == SL_OK ? sl_http_doc(text) : NULL;
		free(text);
		if (rc == SL_OK)
			replaced = json_pack(
				"{sI sO sO sO sO}", "deployment_id",
				(json_int_t)prev, "release_id",
				or_null(json_object_get(pr, "id")), "version",
				or_null(json_object_get(pr, "version")),
				"commit",
				or_null(json_object_get(pr, "commit")),
				"git_tag",
				or_null(json_object_get(pr, "git_tag")));
		json_decref(pd);
		json_decref(pr);
	}
	if (rc) {
		json_decref(rel);
		return rc;
	}
	json_array_foreach(causes, i, c)
	{
		if (json_integer_value(json_object_get(c, "deployment_id")) ==
		    id)
			confirmed = 1;
	}
	s = json_pack(
		"{sI sO sO sO sO sO sO sO}", "deployment_id", (json_int_t)id,
		"service", or_null(json_object_get(dep, "service")),
		"environment", or_null(json_object_get(dep, "environment")),
		"target", target ? target : json_null(), "status",
		or_null(json_object_get(dep, "status")), "started_at",
		or_null(json_object_get(dep, "started_at")), "finished_at",
		or_null(json_object_get(dep, "finished_at")), "deployer",
		or_null(json_object_get(dep, "deployer")));
	json_object_set_new(
		s, "release",
		json_pack("{sI sO sO sO sO sO}", "id", (json_int_t)rid,
			  "version", or_null(json_object_get(rel, "version")),
			  "commit", or_null(json_object_get(rel, "commit")),
			  "git_tag", or_null(json_object_get(rel, "git_tag")),
			  "notes", or_null(json_object_get(rel, "notes")),
			  "change_request",
			  or_null(json_object_get(rel, "change_request"))));
	json_object_set_new(s, "replaced", replaced);
	json_object_set_new(s, "confirmed", json_boolean(confirmed));
	json_decref(rel);
	*out = s;
	return SL_OK;
}

/* The suspected deployments of incident doc, as core chooses them from
 * each service's newest deployments there. */
static enum sl_err suspects(struct sl_tx *tx, const json_t *doc, json_t **out,
			    struct sl_error *err)
{
	const char *env =
		json_string_value(json_object_get(doc, "environment"));
	const char *svc[SL_INCIDENT_SERVICES_MAX];
	size_t n = services_of(doc, svc), nc = 0, cap = 0, chosen;
	int64_t start = sl_h_doc_time(doc, "started_at");
	struct sl_docs *lists = sl_xcalloc(n ? n : 1, sizeof(*lists));
	json_t **docs = NULL;
	struct sl_suspect *cand = NULL;
	size_t *idx = NULL;
	enum sl_err rc = SL_OK;

	*out = json_array();
	for (size_t s = 0; rc == SL_OK && s < n; s++) {
		rc = sl_store_incident_candidates(tx, svc[s], env, start,
						  CANDIDATES, &lists[s], err);
		cap += lists[s].n;
	}
	docs = sl_xcalloc(cap ? cap : 1, sizeof(*docs));
	cand = sl_xcalloc(cap ? cap : 1, sizeof(*cand));
	idx = sl_xcalloc(cap ? cap : 1, sizeof(*idx));
	for (size_t s = 0; rc == SL_OK && s < n; s++)
		for (size_t i = 0; i < lists[s].n; i++) {
			json_t *d = sl_http_doc(lists[s].v[i].doc);

			docs[nc] = d;
			cand[nc] = (struct sl_suspect){
				.id = lists[s].v[i].id,
				.service = json_string_value(
					json_object_get(d, "service")),
				.environment = json_string_value(
					json_object_get(d, "environment")),
				.started_at = sl_h_doc_time(d, "started_at"),
			};
			nc++;
		}
	chosen = rc == SL_OK ? sl_incident_suspects(
				       cand, nc, env, svc, n, start,
				       SL_INCIDENT_SUSPECTS_PER_SERVICE, idx)
			     : 0;
	for (size_t i = 0; rc == SL_OK && i < chosen; i++) {
		json_t *s = NULL;

		rc = suspect_doc(tx, docs[idx[i]],
				 json_object_get(doc, "causes"), &s, err);
		if (rc == SL_OK)
			json_array_append_new(*out, s);
	}
	for (size_t i = 0; i < nc; i++)
		json_decref(docs[i]);
	for (size_t s = 0; s < n; s++)
		sl_docs_fini(&lists[s]);
	free(lists);
	free(docs);
	free(cand);
	free(idx);
	return rc;
}

void sl_h_incident_get(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *text = NULL;
	int64_t rev = 0;
	json_t *doc = NULL, *sus = NULL;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);

	if (rc == SL_OK)
		rc = sl_store_incident_get(&tx, r->params[0], &text, &rev,
					   &err);
	if (rc == SL_OK) {
		doc = sl_http_doc(text);
		rc = suspects(&tx, doc, &sus, &err);
	}
	if (tx.conn)
		sl_store_abort(&tx);
	if (rc) {
		sl_http_fail(r, &err);
		goto out;
	}
	if (r->actor.scope && !may(r, SL_ACT_READ, doc))
		goto out;
	json_object_set(doc, "suspected", sus);
	sl_h_reply_doc(r, 200, sl_http_canon(doc), rev);
out:
	json_decref(sus);
	json_decref(doc);
	free(text);
}

void sl_h_incident_update(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL;
	int64_t rev = 0, resolved = 0;
	json_t *doc = NULL;
	const json_t *res = json_object_get(r->json, "resolved_at");
	enum sl_err rc = SL_OK;

	if (!open_incident(r, &tx, r->params[0], &before, &rev, &doc))
		return;
	if (!may(r, SL_ACT_INCIDENT_WRITE, doc) || !sl_http_if_match(r, rev))
		goto abort;
	sl_h_merge(doc, r->json);
	if (res) {
		if (json_is_string(res))
			sl_time_parse(json_string_value(res), &resolved,
				      "resolved_at", NULL);
		rc = set_resolution(doc, resolved, &err);
	}
	if (rc == SL_OK)
		rc = rewrite(&tx, r, doc, rev, &after, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto abort;
	}
	sl_http_etag(r, rev + 1);
	sl_h_finish(r, &tx, "incident.update", "incident", r->params[0], before,
		    200, after);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(doc);
	free(before);
	free(after);
}

/* Adds key to (add) or takes it from the deployment's caused_incidents,
 * and sets change_failure to whether any incident is left there: the
 * field the change failure rate reads. Audited as deployment.update. */
static enum sl_err mark_deployment(struct sl_req *r, struct sl_tx *tx,
				   int64_t id, const char *key, int add,
				   struct sl_error *err)
{
	char *before = NULL, *after = NULL, idb[24];
	int64_t rev = 0;
	json_t *doc, *list, *keep;
	size_t i;
	json_t *v;
	enum sl_err rc = sl_store_deployment_get(tx, id, &before, &rev, err);

	if (rc)
		return rc;
	doc = sl_http_doc(before);
	list = json_object_get(doc, "caused_incidents");
	keep = json_array();
	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), key))
			json_array_append(keep, v);
	}
	if (add)
		json_array_append_new(keep, json_string(key));
	json_object_set_new(doc, "change_failure",
			    json_boolean(json_array_size(keep) > 0));
	json_object_set_new(doc, "caused_incidents", keep);
	json_object_set_new(doc, "revision", json_integer(rev + 1));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	after = sl_http_canon(doc);
	rc = sl_store_deployment_update(
		tx, id, rev, json_string_value(json_object_get(doc, "status")),
		r->now, after, err);
	if (rc == SL_OK)
		rc = audit(r, tx, "deployment.update", "deployment",
			   sl_h_id(id, idb, sizeof(idb)), before, after, err);
	json_decref(doc);
	free(before);
	free(after);
	return rc;
}

void sl_h_incident_cause(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL, *dtext = NULL;
	int64_t rev = 0, drev = 0,
		id = json_integer_value(
			json_object_get(r->json, "deployment_id"));
	const char *comment =
		json_string_value(json_object_get(r->json, "comment"));
	const char *svc[SL_INCIDENT_SERVICES_MAX];
	json_t *doc = NULL, *dep = NULL;
	size_t n;
	enum sl_err rc;

	if (!open_incident(r, &tx, r->params[0], &before, &rev, &doc))
		return;
	if (!may(r, SL_ACT_INCIDENT_CAUSE, doc))
		goto abort;
	rc = sl_store_deployment_get(&tx, id, &dtext, &drev, &err);
	if (rc == SL_ENOTFOUND)
		rc = sl_error_set(&err, SL_EINVAL, "deployment_id",
				  "deployment %lld does not exist",
				  (long long)id);
	if (rc)
		goto fail;
	dep = sl_http_doc(dtext);
	n = services_of(doc, svc);
	if (!sl_incident_cause_fits(
		    json_string_value(json_object_get(doc, "environment")), svc,
		    n, json_string_value(json_object_get(dep, "environment")),
		    json_string_value(json_object_get(dep, "service")))) {
		rc = sl_error_set(
			&err, SL_EINVAL, "deployment_id",
			"deployment %lld is of %s to %s: an incident in %s "
			"about %s can only be caused by a deployment there",
			(long long)id,
			json_string_value(json_object_get(dep, "service")),
			json_string_value(json_object_get(dep, "environment")),
			json_string_value(json_object_get(doc, "environment")),
			svc[0]);
		goto fail;
	}
	rc = sl_store_incident_cause_add(&tx, r->params[0], id, r->actor.name,
					 r->now, &err);
	if (rc)
		goto fail;
	json_array_append_new(
		json_object_get(doc, "causes"),
		json_pack("{sI sO sO sO ss so ss*}", "deployment_id",
			  (json_int_t)id, "release_id",
			  json_object_get(dep, "release_id"), "service",
			  json_object_get(dep, "service"), "version",
			  json_object_get(dep, "version"), "confirmed_by",
			  r->actor.name, "confirmed_at", sl_h_time(r->now),
			  "comment", comment));
	rc = mark_deployment(r, &tx, id, r->params[0], 1, &err);
	if (rc == SL_OK)
		rc = rewrite(&tx, r, doc, rev, &after, &err);
	if (rc)
		goto fail;
	sl_http_etag(r, rev + 1);
	sl_h_finish(r, &tx, "incident.cause", "incident", r->params[0], before,
		    201, after);
	goto out;
fail:
	sl_http_fail(r, &err);
abort:
	sl_store_abort(&tx);
out:
	json_decref(doc);
	json_decref(dep);
	free(before);
	free(after);
	free(dtext);
}

void sl_h_incident_withdraw(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL;
	int64_t rev = 0, id = 0;
	json_t *doc = NULL, *keep;
	size_t i;
	json_t *c;
	enum sl_err rc;

	if (sl_decimal_parse(r->params[1], &id) || id < 1) {
		sl_http_failf(r, SL_EMALFORMED, "deployment_id",
			      "'%.*s' is not a deployment id",
			      (int)sl_h_cut(r->params[1], 64), r->params[1]);
		return;
	}
	if (!open_incident(r, &tx, r->params[0], &before, &rev, &doc))
		return;
	if (!may(r, SL_ACT_INCIDENT_CAUSE, doc))
		goto abort;
	rc = sl_store_incident_cause_remove(&tx, r->params[0], id, &err);
	if (rc)
		goto fail;
	keep = json_array();
	json_array_foreach(json_object_get(doc, "causes"), i, c)
	{
		if (json_integer_value(json_object_get(c, "deployment_id")) !=
		    id)
			json_array_append(keep, c);
	}
	json_object_set_new(doc, "causes", keep);
	rc = mark_deployment(r, &tx, id, r->params[0], 0, &err);
	if (rc == SL_OK)
		rc = rewrite(&tx, r, doc, rev, &after, &err);
	if (rc)
		goto fail;
	sl_http_etag(r, rev + 1);
	sl_h_finish(r, &tx, "incident.cause_withdraw", "incident", r->params[0],
		    before, 200, after);
	goto out;
fail:
	sl_http_fail(r, &err);
abort:
	sl_store_abort(&tx);
out:
	json_decref(doc);
	free(before);
	free(after);
}

/* ---- known issues ---- */

/* Adds (add) or removes incident key as a known issue of release rid:
 * the incident's known_issue_of lists the release ids. Needs
 * release.write on the release's service. */
static void known_issue(struct sl_req *r, int64_t rid, const char *key, int add)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL, *rtext = NULL;
	int64_t rev = 0, rrev = 0;
	json_t *doc = NULL, *rel = NULL, *keep;
	size_t i;
	json_t *v;
	enum sl_err rc;

	if (!open_incident(r, &tx, key, &before, &rev, &doc))
		return;
	rc = sl_store_release_get(&tx, rid, &rtext, &rrev, &err);
	if (rc)
		goto fail;
	rel = sl_http_doc(rtext);
	if (!sl_http_require(
		    r, SL_ACT_RELEASE_WRITE, NULL,
		    json_string_value(json_object_get(rel, "service"))))
		goto abort;
	rc = add ? sl_store_incident_release_add(&tx, key, rid, &err)
		 : sl_store_incident_release_remove(&tx, key, rid, &err);
	if (rc)
		goto fail;
	keep = json_array();
	json_array_foreach(json_object_get(doc, "known_issue_of"), i, v)
	{
		if (json_integer_value(v) != rid)
			json_array_append(keep, v);
	}
	if (add)
		json_array_append_new(keep, json_integer(rid));
	json_object_set_new(doc, "known_issue_of", keep);
	rc = rewrite(&tx, r, doc, rev, &after, &err);
	if (rc)
		goto fail;
	sl_h_finish(r, &tx, "incident.known_issue", "incident", key, before,
		    add ? 201 : 200, after);
	goto out;
fail:
	sl_http_fail(r, &err);
abort:
	sl_store_abort(&tx);
out:
	json_decref(doc);
	json_decref(rel);
	free(before);
	free(after);
	free(rtext);
}

void sl_h_known_issue_add(struct sl_req *r)
{
	int64_t rid = 0;

	if (!sl_h_path_id(r, "release", &rid))
		return;
	known_issue(r, rid,
		    json_string_value(json_object_get(r->json, "incident")), 1);
}

void sl_h_known_issue_remove(struct sl_req *r)
{
	int64_t rid = 0;
	struct sl_error err = {0};

	if (!sl_h_path_id(r, "release", &rid))
		return;
	if (sl_valid_slug(r->params[1], "incident", &err)) {
		sl_http_failf(r, SL_EMALFORMED, "incident", "%s", err.message);
		return;
	}
	known_issue(r, rid, r->params[1], 0);
}

/* ---- from alerts (inbound webhooks) ---- */

enum sl_err sl_h_incident_alert(struct sl_req *r, struct sl_tx *tx,
				const struct sl_incident_alert *a,
				const char **outcome, char *reason,
				size_t reason_size, struct sl_error *err)
{
	char *before = NULL, *after = NULL;
	int64_t rev = 0;
	json_t *doc = NULL;
	enum sl_incident_step step;
	const char *action = "incident.update";
	enum sl_err rc = sl_store_incident_get(tx, a->key, &before, &rev, err);

	if (rc && rc != SL_ENOTFOUND)
		return rc;
	doc = rc == SL_OK ? sl_http_doc(before) : NULL;
	step = sl_incident_alert_step(
		a->firing, doc != NULL,
		doc && sl_h_doc_time(doc, "resolved_at") != 0);
	rc = SL_OK;
	*outcome = "applied";
	switch (step) {
	case SL_ISTEP_NONE:
		*outcome = "ignored";
		snprintf(reason, reason_size,
			 "incident %s is already %s: nothing new", a->key,
			 a->firing ? "open" : "resolved");
		break;
	case SL_ISTEP_OPEN:
	case SL_ISTEP_RECORD: {
		json_t *in = json_pack(
			"{ss ss ss s[s] ss so}", "key", a->key, "severity",
			sl_incident_severity_name(a->severity), "environment",
			a->environment, "services", a->service, "summary",
			a->summary, "started_at",
			sl_h_time(a->started_at ? a->started_at : r->now));

		doc = new_doc(r, in, "webhook");
		json_decref(in);
		json_object_set_new(doc, "receiver", json_string(a->receiver));
		if (a->url[0])
			json_object_set_new(doc, "url", json_string(a->url));
		rc = set_resolution(
			doc, step == SL_ISTEP_RECORD ? a->ended_at : 0, err);
		if (rc == SL_OK)
			rc = insert(tx, r, doc, &after, err);
		action = "incident.create";
		break;
	}
	case SL_ISTEP_RESOLVE:
	case SL_ISTEP_REOPEN:
		rc = set_resolution(
			doc, step == SL_ISTEP_RESOLVE ? a->ended_at : 0, err);
		if (rc == SL_OK)
			rc = rewrite(tx, r, doc, rev, &after, err);
		break;
	}
	if (rc == SL_OK && after)
		rc = audit(r, tx, action, "incident", a->key, before, after,
			   err);
	json_decref(doc);
	free(before);
	free(after);
	return rc;
}
