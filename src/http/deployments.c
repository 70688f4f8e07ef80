/* deployments.c - a release into an environment: start, report
 * progress, roll back; and the status matrix read from placements. */
#include <stdlib.h>
#include <string.h>

#include "core/import.h"
#include "core/perm.h"
#include "core/rules.h"
#include "core/state.h"
#include "core/validate.h"
#include "http/governance.h"
#include "http/handlers.h"

/* How far in the future a reported event time may be. */
#define SL_CLOCK_SKEW_US (300LL * 1000000)

const struct sl_field sl_deploy_fields[] = {
	{"release", SL_FT_REF, SL_F_REQUIRED, 1, 200, NULL, NULL, NULL,
	 "id or service@version"},
	{"environment", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL,
	 NULL, NULL},
	{"target", SL_FT_STRING, SL_F_NULLABLE, 1, 63, sl_valid_slug, NULL,
	 NULL, "one of the environment's targets"},
	{"strategy", SL_FT_STRING, 0, 1, 16, NULL, NULL, sl_strategy_names,
	 "default rolling"},
	{"status", SL_FT_STRING, 0, 1, 16, NULL, NULL,
	 sl_deploy_initial_status_names,
	 "default queued; in_progress starts it through the gates"},
	{"deployer", SL_FT_STRING, 0, 1, 128, NULL, NULL, NULL, NULL},
	{"pipeline_url", SL_FT_STRING, SL_F_NULLABLE, 1, 2048, sl_valid_url,
	 NULL, NULL, NULL},
	{"override", SL_FT_OBJECT, 0, 0, 0, NULL, sl_override_fields_table,
	 NULL, "emergency releases: checks set aside, with a reason"},
	{0},
};

const struct sl_field sl_event_fields[] = {
	{"status", SL_FT_STRING, 0, 1, 16, NULL, NULL, sl_deploy_status_names,
	 NULL},
	{"traffic_percent", SL_FT_INT, 0, 0, 100, NULL, NULL, NULL,
	 "canary and blue_green only"},
	{"message", SL_FT_STRING, SL_F_MULTILINE, 1, 4096, NULL, NULL, NULL,
	 NULL},
	{"source", SL_FT_STRING, 0, 1, 16, NULL, NULL, sl_source_names,
	 "default api"},
	{"at", SL_FT_STRING, 0, 1, 40, sl_h_check_time, NULL, NULL,
	 "RFC 3339; default now"},
	{0},
};

const struct sl_field sl_rollback_fields[] = {
	{"reason", SL_FT_STRING, SL_F_MULTILINE, 1, 4096, NULL, NULL, NULL,
	 NULL},
	{"override", SL_FT_OBJECT, 0, 0, 0, NULL, sl_override_fields_table,
	 NULL,
	 "a rollback to a planned target that never ran there meets the "
	 "gates; an emergency release may set checks aside, with a reason"},
	{0},
};

/* Moves a deployment document to status at time at, keeping its
 * timestamps and duration true. */
static void set_time(json_t *doc, const char *key, int64_t us)
{
	json_object_set_new(doc, key, us ? sl_h_time(us) : json_null());
}

static void apply_status(json_t *doc, enum sl_deploy_status to, int64_t at)
{
	struct sl_deploy_times t = {
		sl_h_doc_time(doc, "started_at"),
		sl_h_doc_time(doc, "verified_at"),
		sl_h_doc_time(doc, "finished_at"),
	};
	int64_t ms;

	json_object_set_new(doc, "status",
			    json_string(sl_deploy_status_name(to)));
	sl_deploy_stamp(&t, to, at);
	set_time(doc, "started_at", t.started_at);
	set_time(doc, "verified_at", t.verified_at);
	set_time(doc, "finished_at", t.finished_at);
	ms = sl_duration_ms(t.started_at, t.finished_at);
	json_object_set_new(doc, "duration_seconds",
			    ms < 0 ? json_null()
				   : json_real((double)ms / 1000));
}

/* Appends an event to a deployment's timeline; the event document is
 * returned (new reference) when out is not NULL. */
static enum sl_err add_event(struct sl_req *r, struct sl_tx *tx, int64_t dep_id,
			     int64_t at, const char *status, json_t *traffic,
			     const char *message, const char *source,
			     json_t **out, struct sl_error *err)
{
	int64_t id = 0, seq = 0;
	json_t *ev;
	char *text;
	enum sl_err rc =
		sl_store_event_insert(tx, dep_id, at, "{}", &id, &seq, err);

	if (rc)
		return rc;
	ev = json_pack("{sI sI sI so ss? sO ss? ss ss}", "id", (json_int_t)id,
		       "deployment_id", (json_int_t)dep_id, "seq",
		       (json_int_t)seq, "at", sl_h_time(at), "status", status,
		       "traffic_percent", traffic ? traffic : json_null(),
		       "message", message, "source", source, "actor",
		       r->actor.name);
	text = sl_http_canon(ev);
	rc = sl_store_event_set_doc(tx, id, text, err);
	free(text);
	if (out && rc == SL_OK)
		*out = ev;
	else
		json_decref(ev);
	return rc;
}

/* Moves the release of a deployment along (in_progress, released). */
static enum sl_err advance_release(struct sl_req *r, struct sl_tx *tx,
				   int64_t release_id, const char *env,
				   enum sl_deploy_status dep,
				   struct sl_error *err)
{
	char *rdoc = NULL, *edoc = NULL, *text = NULL;
	int64_t rrev, erev, max_rank = 0;
	json_t *rel = NULL, *e = NULL;
	enum sl_release_status cur, next;
	enum sl_err rc;

	rc = sl_store_release_get(tx, release_id, &rdoc, &rrev, err);
	if (rc == SL_OK)
		rc = sl_store_environment_get(tx, env, &edoc, &erev, err);
	if (rc == SL_OK)
		rc = sl_store_environment_max_rank(tx, &max_rank, err);
	if (rc)
		goto out;
	rel = sl_http_doc(rdoc);
	e = sl_http_doc(edoc);
	sl_release_status_parse(
		json_string_value(json_object_get(rel, "status")), &cur);
	next = sl_release_status_after(
		cur, dep,
		json_integer_value(json_object_get(e, "rank")) >= max_rank);
	if (next == cur)
		goto out;
	json_object_set_new(rel, "status",
			    json_string(sl_release_status_name(next)));
	json_object_set_new(rel, "revision", json_integer(rrev + 1));
	json_object_set_new(rel, "updated_at", sl_h_time(r->now));
	text = sl_http_canon(rel);
	rc = sl_store_release_update(tx, release_id, rrev,
				     sl_release_status_name(next), r->now, text,
				     NULL, 0, err);
	if (rc == SL_OK) {
		/* The release changed too: its own entry, in the same
		 * transaction, so the log says what every object became. */
		char idb[24];
		struct sl_audit_entry a = {
			.at = r->logged_at ? r->logged_at : r->now,
			.actor = r->actor.name,
			.action = "release.status",
			.object_type = "release",
			.object_id = sl_h_id(release_id, idb, sizeof(idb)),
			.request_id = r->request_id,
			.via = r->via[0] ? r->via : NULL,
		};
		int64_t seq;

		rc = sl_http_audit_append(tx, &a, rdoc, text, &seq, err);
	}
out:
	json_decref(rel);
	json_decref(e);
	free(rdoc);
	free(edoc);
	free(text);
	return rc;
}

/* Inserts a deployment of release rel (a stored document) and its first
 * event; fills *out with the new document (new reference). */
static enum sl_err start(struct sl_req *r, struct sl_tx *tx, const json_t *rel,
			 const char *env, const char *target,
			 const char *strategy, const char *status,
			 const char *deployer, const json_t *pipeline,
			 int64_t rollback_of, const char *source, json_t **out,
			 struct sl_error *err)
{
	int64_t rid = json_integer_value(json_object_get(rel, "id"));
	const char *service =
		json_string_value(json_object_get(rel, "service"));
	enum sl_deploy_status st;
	int64_t id = 0;
	json_t *doc;
	char *text;
	enum sl_err rc;

	rc = sl_store_deployment_insert(tx, rid, service, env,
					target ? target : "", status, r->now,
					&id, err);
	if (rc)
		return rc;
	doc = json_pack(
		"{sI sI ss sO ss so ss ss ss sO sn s[] so sn so sn sn sn sn"
		" sI}",
		"id", (json_int_t)id, "release_id", (json_int_t)rid, "service",
		service, "version", json_object_get(rel, "version"),
		"environment", env, "target",
		target ? json_string(target) : json_null(), "strategy",
		strategy, "status", sl_deploy_status_name(SL_DEP_QUEUED),
		"deployer", deployer, "pipeline_url",
		pipeline ? pipeline : json_null(), "traffic_percent", "traffic",
		"rollback_of",
		rollback_of ? json_integer(rollback_of) : json_null(),
		"rolled_back_by", "created_at", sl_h_time(r->now), "started_at",
		"finished_at", "verified_at", "duration_seconds", "revision",
		(json_int_t)1);
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	sl_deploy_status_parse(status, &st);
	apply_status(doc, st, r->now);
	text = sl_http_canon(doc);
	rc = sl_store_deployment_update(tx, id, 0, status, r->now, text, err);
	free(text);
	if (rc == SL_OK)
		rc = add_event(r, tx, id, r->now, status, NULL,
			       rollback_of ? "rollback started" : NULL,
			       source ? source : sl_source_name(SL_SRC_API),
			       NULL, err);
	if (rc == SL_OK)
		rc = sl_h_placement_refresh(tx, service, env,
					    target ? target : "", err);
	if (rc == SL_OK)
		rc = advance_release(r, tx, rid, env, st, err);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return SL_OK;
}

/* Checks that target is one of the environment's targets. */
static enum sl_err check_target(struct sl_tx *tx, const char *env,
				const char *target, struct sl_error *err)
{
	char *edoc = NULL;
	int64_t rev;
	json_t *e, *t;
	size_t i;
	int found = 0;
	enum sl_err rc = sl_store_environment_get(tx, env, &edoc, &rev, err);

	if (rc == SL_ENOTFOUND)
		return sl_error_set(err, SL_EINVAL, "environment",
				    "environment '%s' does not exist", env);
	if (rc || !target) {
		free(edoc);
		return rc;
	}
	e = sl_http_doc(edoc);
	json_array_foreach(json_object_get(e, "targets"), i, t) found |=
		strcmp(json_string_value(t), target) == 0;
	json_decref(e);
	free(edoc);
	if (!found)
		return sl_error_set(err, SL_EINVAL, "target",
				    "environment '%s' has no target '%s'", env,
				    target);
	return SL_OK;
}

/* 1 when a release document may be deployed (sl_release_deployable);
 * a status this build does not know is left to the gates. */
static int deployable(const json_t *rel)
{
	enum sl_release_status st;

	return sl_release_status_parse(
		       json_string_value(json_object_get(rel, "status")),
		       &st) != 0 ||
	       sl_release_deployable(st);
}

/* Keeps what an override set aside on the deployment and opens the
 * post-incident review it owes; both in the deployment's transaction. */
static enum sl_err record_override(struct sl_req *r, struct sl_tx *tx,
				   json_t *doc, const json_t *rel,
				   const char *env, const json_t *override,
				   const struct sl_gate_check *checks,
				   struct sl_error *err)
{
	int64_t dep = json_integer_value(json_object_get(doc, "id"));
	int64_t id = 0, rev = 0;
	json_t *used = json_array(), *rv;
	char *text;
	enum sl_err rc;

	for (size_t i = 0; i < sl_gate_count(); i++)
		if (checks[i].overridden)
			json_array_append_new(
				used,
				json_pack("{ss ss}", "check", checks[i].name,
					  "detail", checks[i].detail));
	json_object_set_new(doc, "override",
			    json_pack("{ss sO so}", "by", r->actor.name,
				      "reason",
				      json_object_get(override, "reason"),
				      "checks", json_incref(used)));
	rc = sl_store_review_insert(tx, dep, r->now, &id, err);
	if (rc) {
		json_decref(used);
		return rc;
	}
	rv = json_pack("{sI sI sO ss ss sO so so sn sn sn}", "id",
		       (json_int_t)id, "deployment_id", (json_int_t)dep,
		       "release", json_object_get(rel, "name"), "environment",
		       env, "overridden_by", r->actor.name, "reason",
		       json_object_get(override, "reason"), "checks", used,
		       "opened_at", sl_h_time(r->now), "closed_at", "closed_by",
		       "link");
	text = sl_http_canon(rv);
	rc = sl_store_review_set_doc(tx, id, text, 0, err);
	free(text);
	json_decref(rv);
	if (rc)
		return rc;
	/* The deployment document now carries the override. */
	rc = sl_store_deployment_get(tx, dep, NULL, &rev, err);
	if (rc)
		return rc;
	json_object_set_new(doc, "revision", json_integer(rev + 1));
	text = sl_http_canon(doc);
	rc = sl_store_deployment_update(
		tx, dep, rev, json_string_value(json_object_get(doc, "status")),
		r->now, text, err);
	free(text);
	return rc;
}

void sl_h_deploy_create(struct sl_req *r)
{
	json_t *in = r->json, *ref = json_object_get(in, "release");
	const char *env = json_string_value(json_object_get(in, "environment"));
	const char *target = json_string_value(json_object_get(in, "target"));
	const char *strategy =
		json_string_value(json_object_get(in, "strategy"));
	const char *deployer =
		json_string_value(json_object_get(in, "deployer"));
	json_t *pipeline = json_object_get(in, "pipeline_url");
	struct sl_error err = {0};
	struct sl_tx tx;
	char *text = NULL, refbuf[32], idb[24], object[128];
	json_t *rel = NULL, *doc = NULL;
	enum sl_deploy_status start_status = SL_DEP_QUEUED;
	enum sl_err rc;

	/* The schema allowed only an initial status, or none. */
	sl_deploy_status_parse(json_string_value(json_object_get(in, "status")),
			       &start_status);

	/* Starts in one environment take turns: its concurrency limit and
	 * what runs there are read as the one before left them. */
	snprintf(object, sizeof(object), "environment:%s", env ? env : "");
	rc = sl_store_begin_on(sl_http_store(r), object, &tx, &err);
	if (rc)
		goto fail;
	rel = sl_h_body_release(&tx, ref, &err);
	rc = rel ? check_target(&tx, env, target, &err) : err.code;
	if (rc)
		goto abort;
	if (!sl_http_require(
		    r, SL_ACT_DEPLOY, env,
		    json_string_value(json_object_get(rel, "service")))) {
		sl_store_abort(&tx);
		goto out;
	}
	if (!deployable(rel)) {
		rc = sl_error_set(&err, SL_ECONFLICT, "release",
				  "release '%s' is cancelled and cannot be "
				  "deployed",
				  json_is_integer(ref)
					  ? sl_h_id(json_integer_value(ref),
						    refbuf, sizeof(refbuf))
					  : json_string_value(ref));
		goto abort;
	}
	{
		/* The gates decide before anything is written. */
		struct sl_gate_check checks[16];
		json_t *override = json_object_get(in, "override");
		/* Only starting is gated; a queued deployment meets the
		 * gates when it moves to in_progress. An override is checked
		 * (and what it sets aside recorded) either way. */
		int gated = sl_deploy_move_gated(SL_DEP__COUNT, start_status);
		int allowed =
			gated || override
				? sl_gate_run(r, &tx, rel, env, target, r->now,
					      override, checks, NULL, &err)
				: 1;

		if (allowed < 0) {
			sl_store_abort(&tx);
			sl_gate_fail(r, checks, &err);
			goto out;
		}
		if (!allowed && gated) {
			sl_store_abort(&tx);
			sl_gate_refuse(r, checks);
			goto out;
		}
		rc = start(r, &tx, rel, env, target,
			   strategy ? strategy
				    : sl_strategy_name(SL_STRAT_ROLLING),
			   sl_deploy_status_name(start_status),
			   deployer ? deployer : r->actor.name,
			   json_is_string(pipeline) ? pipeline : NULL, 0, NULL,
			   &doc, &err);
		if (rc == SL_OK && override)
			rc = record_override(r, &tx, doc, rel, env, override,
					     checks, &err);
	}
	if (rc)
		goto abort;
	text = sl_http_canon(doc);
	sl_http_etag(r, 1);
	sl_h_finish(r, &tx, "deployment.create", "deployment",
		    sl_h_id(json_integer_value(json_object_get(doc, "id")), idb,
			    sizeof(idb)),
		    NULL, 201, text);
	goto out;
abort:
	sl_store_abort(&tx);
fail:
	sl_http_fail(r, &err);
out:
	json_decref(rel);
	json_decref(doc);
	free(text);
}

/* 1 when the token's scope covers the deployment; else replies 403. */
static int dep_visible(struct sl_req *r, const char *doc)
{
	json_t *d;
	int ok;

	if (!r->actor.scope)
		return 1;
	d = sl_http_doc(doc);
	ok = sl_http_require(
		r, SL_ACT_READ,
		json_string_value(json_object_get(d, "environment")),
		json_string_value(json_object_get(d, "service")));
	json_decref(d);
	return ok;
}

void sl_h_deploy_get(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_docs rows = {0};
	struct sl_tx tx;
	char *doc = NULL, *events = NULL, *body;
	int64_t id, rev = 0;
	size_t n;
	enum sl_err rc;

	if (!sl_h_path_id(r, "deployment", &id))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_deployment_get(&tx, id, &doc, &rev, &err);
		if (rc == SL_OK)
			rc = sl_store_event_list(&tx, id, &rows, &err);
		/* An archived deployment is gone, not missing: say where. */
		if (rc == SL_ENOTFOUND &&
		    sl_h_archive_gone(r, &tx, "deployment", id)) {
			sl_store_abort(&tx);
			goto out;
		}
		sl_store_abort(&tx);
	}
	if (rc) {
		if (rc == SL_ENOTFOUND)
			sl_http_failf(r, rc, NULL, "deployment %lld not found",
				      (long long)id);
		else
			sl_http_fail(r, &err);
		goto out;
	}
	if (!dep_visible(r, doc))
		goto out;
	/* The stored document plus its timeline: splice "events" in before
	 * the closing brace, keeping the stored bytes. */
	events = sl_h_list(&rows, NULL);
	{
		/* sl_h_list wrote {"items":[...],"next_cursor":null}: the
		 * array runs from the first '[' to the last ']'. */
		const char *a = strchr(events, '['), *b = strrchr(events, ']');

		n = strlen(doc);
		body = sl_xmalloc(n + (size_t)(b - a) + 16);
		memcpy(body, doc, n - 1);
		snprintf(body + n - 1, (size_t)(b - a) + 16,
			 ",\"events\":%.*s}", (int)(b - a + 1), a);
	}
	sl_h_reply_doc(r, 200, body, rev);
out:
	sl_docs_fini(&rows);
	free(doc);
	free(events);
}

void sl_h_deploy_events(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_docs rows = {0};
	struct sl_tx tx;
	char *doc = NULL;
	int64_t id, rev;
	enum sl_err rc;

	if (!sl_h_path_id(r, "deployment", &id))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_deployment_get(&tx, id, &doc, &rev, &err);
		if (rc == SL_OK)
			rc = sl_store_event_list(&tx, id, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL, "deployment %lld not found",
			      (long long)id);
	else if (rc)
		sl_http_fail(r, &err);
	else if (dep_visible(r, doc))
		sl_http_reply(r, 200, sl_h_list(&rows, NULL));
	sl_docs_fini(&rows);
	free(doc);
}

void sl_h_deploy_list(struct sl_req *r)
{
	struct sl_filter f = {0};
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	const char *release = NULL;
	char next[24], *tagbuf = NULL;
	enum sl_err rc;

	if (!sl_h_limit(r, &f.limit) ||
	    !sl_h_int_param(r, "cursor", &f.cursor) ||
	    !sl_h_text_param(r, "service", &f.service) ||
	    !sl_h_text_param(r, "environment", &f.environment) ||
	    !sl_h_text_param(r, "status", &f.status) ||
	    !sl_h_text_param(r, "release", &release) ||
	    !sl_h_time_param(r, "since", &f.since) ||
	    !sl_h_time_param(r, "until", &f.until) ||
	    !sl_h_text_param(r, "type", &f.type) ||
	    !sl_h_tag_param(r, &tagbuf, &f.tag_key, &f.tag_value))
		goto out;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		if (release)
			rc = sl_h_release_ref(&tx, release, "release",
					      &f.release_id, &err);
		if (rc == SL_OK)
			rc = sl_store_deployment_list(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_OK)
		rc = sl_h_scope_filter(r, &rows, "environment", "service",
				       &err);
	if (rc == SL_ENOTFOUND) {
		/* An unknown release filter matches nothing. */
		sl_http_reply(r, 200,
			      sl_xstrdup("{\"items\":[],"
					 "\"next_cursor\":null}"));
		goto out;
	}
	if (rc) {
		sl_http_fail(r, &err);
		goto out;
	}
	sl_http_reply(r, 200,
		      sl_h_list(&rows, rows.n && rows.n == (size_t)f.limit
					       ? sl_h_id(rows.v[rows.n - 1].id,
							 next, sizeof(next))
					       : NULL));
	sl_docs_fini(&rows);
out:
	free(tagbuf);
}

/* Begins a write transaction, reads deployment id and checks that the
 * token may deploy it. 1 when ready (the transaction open, *before and
 * *doc set); 0 when it replied (and closed the transaction). */
static int dep_open(struct sl_req *r, struct sl_tx *tx, int64_t id,
		    char **before, int64_t *rev, json_t **doc)
{
	struct sl_error err = {0};
	char object[40];
	enum sl_err rc;

	snprintf(object, sizeof(object), "deployment:%lld", (long long)id);
	rc = sl_store_begin_on(sl_http_store(r), object, tx, &err);
	if (rc == SL_OK)
		rc = sl_store_deployment_get(tx, id, before, rev, &err);
	if (rc) {
		if (tx->conn)
			sl_store_abort(tx);
		if (rc == SL_ENOTFOUND)
			sl_http_failf(r, rc, NULL, "deployment %lld not found",
				      (long long)id);
		else
			sl_http_fail(r, &err);
		return 0;
	}
	*doc = sl_http_doc(*before);
	if (!sl_http_require(
		    r, SL_ACT_DEPLOY,
		    json_string_value(json_object_get(*doc, "environment")),
		    json_string_value(json_object_get(*doc, "service")))) {
		sl_store_abort(tx);
		return 0;
	}
	return 1;
}

/* A queued deployment starting runs the gates again (checklists, windows
 * and approvals may have changed since it was queued), with the override
 * it was created under. 1 allowed; 0 refused or undecidable (replied 409
 * or 503 and rolled back); -1 with err. */
static int start_gate(struct sl_req *r, struct sl_tx *tx, const json_t *dep,
		      struct sl_error *err)
{
	struct sl_gate_check checks[16];
	json_t *rel, *over = json_object_get(dep, "override"), *o = NULL, *c;
	char *text = NULL;
	int64_t rev;
	size_t i;
	int ok;

	if (sl_store_release_get(
		    tx, json_integer_value(json_object_get(dep, "release_id")),
		    &text, &rev, err))
		return -1;
	rel = sl_http_doc(text);
	free(text);
	if (json_is_object(over)) {
		o = json_pack("{s[] sO}", "checks", "reason",
			      json_object_get(over, "reason"));
		json_array_foreach(json_object_get(over, "checks"), i, c)
			json_array_append(json_object_get(o, "checks"),
					  json_object_get(c, "check"));
	}
	ok = sl_gate_run(r, tx, rel,
			 json_string_value(json_object_get(dep, "environment")),
			 json_string_value(json_object_get(dep, "target")),
			 r->now, o, checks, NULL, err);
	json_decref(o);
	json_decref(rel);
	if (ok == 0) {
		sl_store_abort(tx);
		sl_gate_refuse(r, checks);
	} else if (ok < 0 && sl_gate_unknown(checks, err)) {
		sl_store_abort(tx);
		sl_gate_fail(r, checks, err);
		ok = 0;
	}
	return ok;
}

/* Writes an event on deployment id (its stored document doc, at revision
 * rev): the move to `to` (NULL: none) stamped at `at`, a traffic
 * milestone, the event row with its message and source, the placement and
 * the release moved along. The caller checked the move. *after is the
 * new document (caller frees), *ev the event's (caller json_decref()s). */
static enum sl_err write_event(struct sl_req *r, struct sl_tx *tx, int64_t id,
			       int64_t rev, json_t *doc, const char *to,
			       json_t *traffic, const char *message,
			       const char *source, int64_t at, char **after,
			       json_t **ev, struct sl_error *err)
{
	enum sl_deploy_status to_s = SL_DEP__COUNT;
	enum sl_err rc;

	if (to) {
		sl_deploy_status_parse(to, &to_s);
		apply_status(doc, to_s, at);
	}
	if (traffic) {
		json_object_set(doc, "traffic_percent", traffic);
		json_array_append_new(json_object_get(doc, "traffic"),
				      json_pack("{sO so}", "percent", traffic,
						"at", sl_h_time(at)));
	}
	json_object_set_new(doc, "revision", json_integer(rev + 1));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	*after = sl_http_canon(doc);
	rc = sl_store_deployment_update(
		tx, id, rev, json_string_value(json_object_get(doc, "status")),
		r->now, *after, err);
	if (rc == SL_OK)
		rc = add_event(r, tx, id, at, to, traffic, message,
			       source ? source : sl_source_name(SL_SRC_API), ev,
			       err);
	if (rc == SL_OK && to)
		rc = sl_h_placement_refresh(
			tx, json_string_value(json_object_get(doc, "service")),
			json_string_value(json_object_get(doc, "environment")),
			json_is_string(json_object_get(doc, "target"))
				? json_string_value(
					  json_object_get(doc, "target"))
				: "",
			err);
	if (rc == SL_OK && to)
		rc = advance_release(
			r, tx,
			json_integer_value(json_object_get(doc, "release_id")),
			json_string_value(json_object_get(doc, "environment")),
			to_s, err);
	return rc;
}

void sl_h_deploy_event(struct sl_req *r)
{
	json_t *in = r->json, *traffic = json_object_get(in, "traffic_percent");
	const char *to = json_string_value(json_object_get(in, "status"));
	const char *message = json_string_value(json_object_get(in, "message"));
	const char *source = json_string_value(json_object_get(in, "source"));
	const char *at_s = json_string_value(json_object_get(in, "at"));
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL, *body = NULL, idb[24];
	json_t *doc = NULL, *ev = NULL;
	enum sl_deploy_status from_s, to_s;
	enum sl_strategy strat;
	int64_t id, rev = 0, at = r->now;
	enum sl_err rc;

	if (!sl_h_path_id(r, "deployment", &id))
		return;
	if (!to && !traffic && !message) {
		sl_http_failf(r, SL_EINVAL, "status",
			      "an event needs a status, a traffic_percent or "
			      "a message");
		return;
	}
	if (at_s)
		sl_time_parse(at_s, &at, "at", NULL);
	if (at > r->now + SL_CLOCK_SKEW_US) {
		sl_http_failf(r, SL_EINVAL, "at",
			      "at is more than 5 minutes in the future");
		return;
	}
	if (!dep_open(r, &tx, id, &before, &rev, &doc))
		goto out;
	if (at < sl_h_doc_time(doc, "created_at")) {
		rc = sl_error_set(&err, SL_EINVAL, "at",
				  "at is before the deployment was created");
		goto abort;
	}
	sl_deploy_status_parse(
		json_string_value(json_object_get(doc, "status")), &from_s);
	sl_strategy_parse(json_string_value(json_object_get(doc, "strategy")),
			  &strat);
	if (traffic && !sl_strategy_has_traffic(strat)) {
		rc = sl_error_set(&err, SL_EINVAL, "traffic_percent",
				  "traffic milestones are for canary and "
				  "blue_green deployments, not %s",
				  sl_strategy_name(strat));
		goto abort;
	}
	if (to) {
		sl_deploy_status_parse(to, &to_s);
		if (!sl_deploy_can_transition(from_s, to_s)) {
			rc = sl_error_set(&err, SL_ECONFLICT, "status",
					  "a deployment cannot move from %s "
					  "to %s",
					  sl_deploy_status_name(from_s), to);
			goto abort;
		}
		if (sl_deploy_move_gated(from_s, to_s)) {
			int ok = start_gate(r, &tx, doc, &err);

			if (ok < 0) {
				rc = err.code;
				goto abort;
			}
			if (!ok)
				goto out; /* refused: replied, rolled back */
		}
	}
	rc = write_event(r, &tx, id, rev, doc, to, traffic, message, source, at,
			 &after, &ev, &err);
	if (rc)
		goto abort;
	{
		/* The canonical form of {"deployment": doc, "event": ev}
		 * (keys sorted), from the document already serialised. */
		char *evs = sl_http_canon(ev);
		size_t n = strlen(after) + strlen(evs) + 32;

		body = sl_xmalloc(n);
		snprintf(body, n, "{\"deployment\":%s,\"event\":%s}", after,
			 evs);
		free(evs);
	}
	sl_http_etag(r, rev + 1);
	{
		struct sl_audit_info a = {"deployment.event", "deployment",
					  sl_h_id(id, idb, sizeof(idb)), before,
					  after};
		sl_http_write_finish(r, &tx, &a, 201, body);
	}
	goto out;
abort:
	sl_store_abort(&tx);
	if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL, "deployment %lld not found",
			      (long long)id);
	else
		sl_http_fail(r, &err);
out:
	json_decref(doc);
	json_decref(ev);
	free(before);
	free(after);
}

/* How a rollback went (rollback_in). */
enum rollback_outcome {
	RB_DONE,    /* rolled back: the new deployment in *nd */
	RB_REFUSED, /* the gates refused: checks filled */
	RB_UNKNOWN, /* the gates could not be read: checks and err filled */
	RB_ERROR,   /* err filled, nothing written */
};

/* Rolls deployment id (doc, read at revision rev as before, inside tx)
 * back: to what ran there before (the emergency path, not gated), else
 * to the release's planned target, which meets the gates -- unless
 * ungated_only, when that is refused. A new deployment starts in
 * progress and the rolled-back one records it (rolled_back_by), with an
 * event from source. *after is the rolled-back deployment's new
 * document (caller frees) and *nd the new deployment (json_decref). The
 * API handler and the verification worker both roll back through here. */
static enum rollback_outcome
rollback_in(struct sl_req *r, struct sl_tx *tx, int64_t id, int64_t rev,
	    json_t *doc, const char *reason, const json_t *override,
	    enum sl_source source, int ungated_only, char **after, json_t **nd,
	    struct sl_gate_check *checks, struct sl_error *err)
{
	char *prev_doc = NULL, *rdoc = NULL;
	json_t *prev = NULL, *rel = NULL;
	struct sl_rollback_plan plan;
	enum sl_deploy_status from_s;
	int64_t prev_id = 0, rid = 0, tmp, prev_rid = 0;
	int64_t planned = 0, own_rid;
	const char *service, *env, *target;
	enum rollback_outcome out = RB_ERROR;
	enum sl_err rc;

	*after = NULL;
	*nd = NULL;
	service = json_string_value(json_object_get(doc, "service"));
	env = json_string_value(json_object_get(doc, "environment"));
	target = json_string_value(json_object_get(doc, "target"));
	own_rid = json_integer_value(json_object_get(doc, "release_id"));
	sl_deploy_status_parse(
		json_string_value(json_object_get(doc, "status")), &from_s);
	if (!sl_deploy_can_transition(from_s, SL_DEP_ROLLED_BACK)) {
		sl_error_set(err, SL_ECONFLICT, "status",
			     "a %s deployment cannot be rolled back",
			     sl_deploy_status_name(from_s));
		goto out;
	}
	/* What ran there before (the emergency path, not gated); else the
	 * release's planned target, which meets the gates. */
	rc = sl_store_deployment_running(tx, service, env, target ? target : "",
					 id, &prev_id, err);
	if (rc == SL_OK && prev_id) {
		rc = sl_store_deployment_get(tx, prev_id, &prev_doc, &tmp, err);
		if (rc == SL_OK) {
			prev = sl_http_doc(prev_doc);
			prev_rid = json_integer_value(
				json_object_get(prev, "release_id"));
		}
	} else if (rc == SL_OK) {
		char *own = NULL, ref[300];
		json_t *o, *tv;

		rc = sl_store_release_get(tx, own_rid, &own, &tmp, err);
		if (rc == SL_OK) {
			o = sl_http_doc(own);
			tv = json_object_get(json_object_get(o, "rollback"),
					     "target_version");
			if (json_is_string(tv)) {
				snprintf(ref, sizeof(ref), "%s@%s", service,
					 json_string_value(tv));
				rc = sl_h_release_ref(tx, ref, "release",
						      &planned, err);
				if (rc == SL_ENOTFOUND) {
					rc = SL_OK;
					planned = 0;
				}
			}
			json_decref(o);
		}
		free(own);
	}
	if (rc == SL_OK)
		rc = sl_rollback_choose(prev_rid, planned, own_rid, env, &plan,
					err);
	if (rc)
		goto out;
	if (plan.gated && ungated_only) {
		sl_error_set(err, SL_ECONFLICT, "status",
			     "no earlier release ran there; the planned "
			     "rollback target meets the gates and is left to a "
			     "person");
		goto out;
	}
	rid = plan.release_id;
	rc = sl_store_release_get(tx, rid, &rdoc, &tmp, err);
	if (rc)
		goto out;
	rel = sl_http_doc(rdoc);
	if (plan.gated && !deployable(rel)) {
		sl_error_set(err, SL_ECONFLICT, "status",
			     "the rollback target %s is cancelled and "
			     "cannot be deployed",
			     json_string_value(json_object_get(rel, "name")));
		goto out;
	}
	if (plan.gated || override) {
		int allowed = sl_gate_run(r, tx, rel, env, target, r->now,
					  override, checks, NULL, err);

		if (allowed < 0 && sl_gate_unknown(checks, err)) {
			out = RB_UNKNOWN;
			goto out;
		}
		if (allowed < 0)
			goto out;
		if (!allowed && plan.gated) {
			out = RB_REFUSED;
			goto out;
		}
	}
	rc = start(r, tx, rel, env, target,
		   json_string_value(json_object_get(doc, "strategy")),
		   sl_deploy_status_name(SL_DEP_IN_PROGRESS), r->actor.name,
		   NULL, id, NULL, nd, err);
	if (rc == SL_OK && override)
		rc = record_override(r, tx, *nd, rel, env, override, checks,
				     err);
	if (rc)
		goto out;
	apply_status(doc, SL_DEP_ROLLED_BACK, r->now);
	json_object_set(doc, "rolled_back_by", json_object_get(*nd, "id"));
	json_object_set_new(doc, "revision", json_integer(rev + 1));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	*after = sl_http_canon(doc);
	rc = sl_store_deployment_update(
		tx, id, rev, sl_deploy_status_name(SL_DEP_ROLLED_BACK), r->now,
		*after, err);
	if (rc == SL_OK)
		rc = add_event(r, tx, id, r->now,
			       sl_deploy_status_name(SL_DEP_ROLLED_BACK), NULL,
			       reason ? reason : "rolled back",
			       sl_source_name(source), NULL, err);
	if (rc == SL_OK)
		rc = sl_h_placement_refresh(tx, service, env,
					    target ? target : "", err);
	if (rc == SL_OK)
		out = RB_DONE;
out:
	if (out != RB_DONE) {
		json_decref(*nd);
		*nd = NULL;
		free(*after);
		*after = NULL;
	}
	json_decref(prev);
	json_decref(rel);
	free(prev_doc);
	free(rdoc);
	return out;
}

void sl_h_deploy_rollback(struct sl_req *r)
{
	const char *reason =
		json_string_value(json_object_get(r->json, "reason"));
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL, *text = NULL, idb[24];
	json_t *doc = NULL, *nd = NULL;
	json_t *override = json_object_get(r->json, "override");
	struct sl_gate_check checks[16];
	int64_t id, rev = 0;

	if (!sl_h_path_id(r, "deployment", &id))
		return;
	if (!dep_open(r, &tx, id, &before, &rev, &doc))
		goto out;
	switch (rollback_in(r, &tx, id, rev, doc, reason, override, SL_SRC_API,
			    0, &after, &nd, checks, &err)) {
	case RB_REFUSED:
		sl_store_abort(&tx);
		sl_gate_refuse(r, checks);
		goto out;
	case RB_UNKNOWN:
		sl_store_abort(&tx);
		sl_gate_fail(r, checks, &err);
		goto out;
	case RB_ERROR:
		sl_store_abort(&tx);
		if (err.code == SL_ENOTFOUND)
			sl_http_failf(r, err.code, NULL,
				      "deployment %lld not found",
				      (long long)id);
		else
			sl_http_fail(r, &err);
		goto out;
	case RB_DONE:
		break;
	}
	text = sl_http_canon(nd);
	sl_http_etag(r, 1);
	{
		/* The audit entry is the rolled-back deployment, before and
		 * after; its rolled_back_by names the new one, which is the
		 * answer. */
		struct sl_audit_info a = {"deployment.rollback", "deployment",
					  sl_h_id(id, idb, sizeof(idb)), before,
					  after};
		sl_http_write_finish(r, &tx, &a, 201, text);
		text = NULL;
	}
out:
	json_decref(doc);
	json_decref(nd);
	free(before);
	free(after);
	free(text);
}

/* Renders a placement's status-matrix row from its running (or NULL)
 * and latest deployment documents. Caller frees. */
static char *placement_item(const char *service, const char *env,
			    const char *target, const char *run,
			    const char *latest)
{
	json_t *l = sl_http_doc(latest), *row, *running = json_null();
	char *text;

	if (run) {
		json_t *d = sl_http_doc(run);
		json_t *since = json_object_get(d, "finished_at");

		running = json_pack(
			"{sO sO sO sO sO}", "version",
			json_object_get(d, "version"), "release_id",
			json_object_get(d, "release_id"), "deployment_id",
			json_object_get(d, "id"), "since",
			json_is_null(since) ? json_object_get(d, "updated_at")
					    : since,
			"deployer", json_object_get(d, "deployer"));
		json_decref(d);
	}
	row = json_pack("{ss ss so so s{sO sO sO sO sO}}", "service", service,
			"environment", env, "target",
			*target ? json_string(target) : json_null(), "running",
			running, "latest", "version",
			json_object_get(l, "version"), "deployment_id",
			json_object_get(l, "id"), "status",
			json_object_get(l, "status"), "at",
			json_object_get(l, "updated_at"), "deployer",
			json_object_get(l, "deployer"));
	text = sl_http_canon(row);
	json_decref(row);
	json_decref(l);
	return text;
}

enum sl_err sl_h_placement_refresh(struct sl_tx *tx, const char *service,
				   const char *env, const char *target,
				   struct sl_error *err)
{
	char *run = NULL, *latest = NULL, *item;
	enum sl_err rc;

	rc = sl_store_placement_refresh(tx, service, env, target, err);
	if (rc == SL_OK)
		rc = sl_store_placement_get(tx, service, env, target, &run,
					    &latest, err);
	if (rc)
		return rc;
	item = placement_item(service, env, target, run, latest);
	rc = sl_store_placement_set_item(tx, service, env, target, item, err);
	free(item);
	free(run);
	free(latest);
	return rc;
}

/* A status cursor names the last row of a page: "service~environment~
 * target" (slugs never hold '~'; the target may be empty). Splits it into
 * buf; 0 when it is not one. */
static int status_cursor(const char *c, char *buf, size_t cap,
			 struct sl_filter *f)
{
	char *env, *target;

	if (strlen(c) >= cap)
		return 0;
	memcpy(buf, c, strlen(c) + 1);
	env = strchr(buf, '~');
	target = env ? strchr(env + 1, '~') : NULL;
	if (!target || strchr(target + 1, '~'))
		return 0;
	*env++ = '\0';
	*target++ = '\0';
	if (sl_valid_slug(buf, "cursor", NULL) ||
	    sl_valid_slug(env, "cursor", NULL) ||
	    (*target && sl_valid_slug(target, "cursor", NULL)))
		return 0;
	f->cursor_name = buf;
	f->cursor_env = env;
	f->cursor_target = target;
	return 1;
}

/* The matrix is the placements' stored rows, concatenated: no document
 * is parsed on the way out. Paged like every list (limit, cursor), in the
 * matrix's order: service, environment rank, environment, target. */
void sl_h_status(struct sl_req *r)
{
	struct sl_filter f = {0};
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	char *tagbuf = NULL, cur[3 * 64 + 3], next[3 * 64 + 3];
	const char *cursor = NULL;
	enum sl_err rc;

	if (!sl_h_limit(r, &f.limit) ||
	    !sl_h_text_param(r, "cursor", &cursor) ||
	    !sl_h_text_param(r, "service", &f.service) ||
	    !sl_h_text_param(r, "environment", &f.environment) ||
	    !sl_h_tag_param(r, &tagbuf, &f.tag_key, &f.tag_value))
		return;
	if (cursor && !status_cursor(cursor, cur, sizeof(cur), &f)) {
		sl_http_failf(r, SL_EMALFORMED, "cursor",
			      "cursor must be a next_cursor of this list");
		goto out;
	}
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_placement_list(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc) {
		sl_http_fail(r, &err);
		goto out;
	}
	/* The next page starts after the last row read, seen or not. */
	if (rows.n && rows.n == (size_t)f.limit)
		snprintf(next, sizeof(next), "%s~%s~%s",
			 rows.v[rows.n - 1].name,
			 rows.v[rows.n - 1].environment,
			 rows.v[rows.n - 1].target);
	if (sl_h_scope_filter(r, &rows, "environment", "service", &err)) {
		sl_http_fail(r, &err);
		goto out;
	}
	sl_http_reply(r, 200,
		      sl_h_list(&rows, rows.n && rows.n == (size_t)f.limit
					       ? next
					       : NULL));
out:
	sl_docs_fini(&rows);
	free(tagbuf);
}

/* ---- what senders report (inbound webhooks) ---- */

/* Appends the audit entry of a deployment write inside a larger one. */
static enum sl_err audit_dep(struct sl_req *r, struct sl_tx *tx,
			     const char *action, int64_t id, const char *before,
			     const char *after, struct sl_error *err)
{
	char idb[24];
	int64_t seq;
	struct sl_audit_entry a = {
		.at = r->logged_at ? r->logged_at : r->now,
		.actor = r->actor.name,
		.action = action,
		.object_type = "deployment",
		.object_id = sl_h_id(id, idb, sizeof(idb)),
		.request_id = r->request_id,
		.via = r->via[0] ? r->via : NULL,
	};

	return sl_http_audit_append(tx, &a, before, after, &seq, err);
}

enum sl_err sl_h_deploy_record(struct sl_req *r, struct sl_tx *tx,
			       const json_t *rel, const char *env,
			       enum sl_deploy_status status, const char *url,
			       int64_t *id, struct sl_error *err)
{
	json_t *doc = NULL, *pipeline = url && *url ? json_string(url) : NULL;
	char *text;
	enum sl_err rc;

	rc = start(r, tx, rel, env, NULL, sl_strategy_name(SL_STRAT_ROLLING),
		   sl_deploy_status_name(status), r->actor.name, pipeline, 0,
		   sl_source_name(SL_SRC_WEBHOOK), &doc, err);
	json_decref(pipeline);
	if (rc)
		return rc;
	*id = json_integer_value(json_object_get(doc, "id"));
	text = sl_http_canon(doc);
	rc = audit_dep(r, tx, "deployment.create", *id, NULL, text, err);
	free(text);
	json_decref(doc);
	return rc;
}

enum sl_err sl_h_deploy_report(struct sl_req *r, struct sl_tx *tx, int64_t id,
			       const enum sl_deploy_status *to,
			       const char *message, int64_t at,
			       struct sl_error *err)
{
	return sl_h_deploy_report_from(r, tx, id, to, message, at,
				       SL_SRC_WEBHOOK, err);
}

enum sl_err sl_h_deploy_report_from(struct sl_req *r, struct sl_tx *tx,
				    int64_t id, const enum sl_deploy_status *to,
				    const char *message, int64_t at,
				    enum sl_source source, struct sl_error *err)
{
	char *before = NULL, *after = NULL;
	json_t *doc = NULL;
	int64_t rev = 0;
	enum sl_err rc = sl_store_deployment_get(tx, id, &before, &rev, err);

	if (rc)
		return rc;
	doc = sl_http_doc(before);
	/* A sender's clock is its own: a time before the deployment began,
	 * or ahead of ours, is taken as now. */
	if (at <= 0 || at > r->now || at < sl_h_doc_time(doc, "created_at"))
		at = r->now;
	rc = write_event(r, tx, id, rev, doc,
			 to ? sl_deploy_status_name(*to) : NULL, NULL, message,
			 sl_source_name(source), at, &after, NULL, err);
	if (rc == SL_OK)
		rc = audit_dep(r, tx, "deployment.event", id, before, after,
			       err);
	json_decref(doc);
	free(before);
	free(after);
	return rc;
}

enum sl_err sl_h_deploy_rollback_auto(struct sl_req *r, struct sl_tx *tx,
				      int64_t id, const char *reason,
				      enum sl_source source, int64_t *new_id,
				      struct sl_error *err)
{
	struct sl_gate_check checks[16];
	char *before = NULL, *after = NULL;
	json_t *doc, *nd = NULL;
	int64_t rev = 0;
	enum sl_err rc = sl_store_deployment_get(tx, id, &before, &rev, err);

	*new_id = 0;
	if (rc)
		return rc;
	doc = sl_http_doc(before);
	switch (rollback_in(r, tx, id, rev, doc, reason, NULL, source, 1,
			    &after, &nd, checks, err)) {
	case RB_DONE:
		*new_id = json_integer_value(json_object_get(nd, "id"));
		/* The same entry as POST /v1/deployments/{id}/rollback. */
		rc = audit_dep(r, tx, "deployment.rollback", id, before, after,
			       err);
		break;
	case RB_REFUSED:
		rc = sl_error_set(err, SL_ECONFLICT, NULL,
				  "the gates refused the rollback");
		break;
	case RB_UNKNOWN:
	case RB_ERROR:
		rc = err->code ? err->code : SL_EINTERNAL;
		break;
	}
	json_decref(doc);
	json_decref(nd);
	free(before);
	free(after);
	return rc;
}

/* ---- history brought in (import.c) ---- */

enum sl_err sl_h_deploy_import(struct sl_req *r, struct sl_tx *tx,
			       const json_t *rel, const json_t *in,
			       const struct sl_import_step *steps, size_t n,
			       int64_t *id, struct sl_error *err)
{
	const char *env = json_string_value(json_object_get(in, "environment"));
	const char *target = json_string_value(json_object_get(in, "target"));
	const char *strategy =
		json_string_value(json_object_get(in, "strategy"));
	const char *deployer =
		json_string_value(json_object_get(in, "deployer"));
	json_t *pipeline = json_object_get(in, "pipeline_url"), *doc = NULL;
	struct sl_req at = *r;
	char *text;
	enum sl_err rc;

	SL_ASSERT(n >= 1);
	rc = check_target(tx, env, target, err);
	if (rc)
		return rc;
	if (!deployable(rel))
		return sl_error_set(
			err, SL_ECONFLICT, "release",
			"release '%s' is cancelled and cannot be "
			"deployed",
			json_string_value(json_object_get(rel, "name")));
	/* The objects take the original times; the audit entries the
	 * import's own. */
	at.logged_at = r->logged_at ? r->logged_at : r->now;
	at.now = steps[0].at;
	rc = start(&at, tx, rel, env, target,
		   strategy ? strategy : sl_strategy_name(SL_STRAT_ROLLING),
		   sl_deploy_status_name(steps[0].status),
		   deployer ? deployer : r->actor.name,
		   json_is_string(pipeline) ? pipeline : NULL, 0, NULL, &doc,
		   err);
	if (rc)
		return rc;
	*id = json_integer_value(json_object_get(doc, "id"));
	text = sl_http_canon(doc);
	json_decref(doc);
	rc = audit_dep(&at, tx, "deployment.create", *id, NULL, text, err);
	free(text);
	for (size_t i = 1; i < n && rc == SL_OK; i++) {
		at.now = steps[i].at;
		rc = sl_h_deploy_event_import(&at, tx, *id, steps[i].status,
					      NULL, NULL, NULL, steps[i].at,
					      NULL, err);
	}
	return rc;
}

enum sl_err sl_h_deploy_event_import(struct sl_req *r, struct sl_tx *tx,
				     int64_t id, enum sl_deploy_status to,
				     json_t *traffic, const char *message,
				     const char *source, int64_t at,
				     int64_t *event_id, struct sl_error *err)
{
	char *before = NULL, *after = NULL;
	json_t *doc = NULL, *ev = NULL;
	enum sl_deploy_status from;
	enum sl_strategy strat;
	struct sl_req sub = *r;
	int64_t rev = 0;
	enum sl_err rc = sl_store_deployment_get(tx, id, &before, &rev, err);

	if (rc == SL_ENOTFOUND)
		return sl_error_set(err, SL_EINVAL, "deployment",
				    "deployment %lld not found", (long long)id);
	if (rc)
		return rc;
	doc = sl_http_doc(before);
	sub.logged_at = r->logged_at ? r->logged_at : r->now;
	sub.now = at;
	rc = sl_import_event_at(at, sl_h_doc_time(doc, "updated_at"),
				sub.logged_at, err);
	if (rc)
		goto out;
	sl_deploy_status_parse(
		json_string_value(json_object_get(doc, "status")), &from);
	sl_strategy_parse(json_string_value(json_object_get(doc, "strategy")),
			  &strat);
	if (traffic && !sl_strategy_has_traffic(strat)) {
		rc = sl_error_set(err, SL_EINVAL, "traffic_percent",
				  "traffic milestones are for canary and "
				  "blue_green deployments, not %s",
				  sl_strategy_name(strat));
		goto out;
	}
	if (to != SL_DEP__COUNT && !sl_deploy_can_transition(from, to)) {
		rc = sl_error_set(err, SL_ECONFLICT, "status",
				  "a deployment cannot move from %s to %s",
				  sl_deploy_status_name(from),
				  sl_deploy_status_name(to));
		goto out;
	}
	rc = write_event(&sub, tx, id, rev, doc,
			 to != SL_DEP__COUNT ? sl_deploy_status_name(to) : NULL,
			 traffic, message, source, at, &after, &ev, err);
	if (rc == SL_OK)
		rc = audit_dep(&sub, tx, "deployment.event", id, before, after,
			       err);
	if (rc == SL_OK && event_id)
		*event_id = json_integer_value(json_object_get(ev, "id"));
out:
	json_decref(doc);
	json_decref(ev);
	free(before);
	free(after);
	return rc;
}

/* ---- deployments that make no progress ---- */

/* The environment's deadline in seconds (0: the default), from its
 * stored document. */
static enum sl_err stall_after(struct sl_tx *tx, const char *env,
			       int64_t *seconds, struct sl_error *err)
{
	char *doc = NULL;
	int64_t rev;
	enum sl_err rc = sl_store_environment_get(tx, env, &doc, &rev, err);

	*seconds = 0;
	if (rc == SL_OK) {
		json_t *e = sl_http_doc(doc);

		*seconds = json_integer_value(
			json_object_get(e, "stall_after_seconds"));
		json_decref(e);
	}
	free(doc);
	return rc;
}

/* A span of seconds in words: "45 s", "12 min", "3 h 20 min". */
static void span(int64_t s, char *buf, size_t size)
{
	if (s < 120)
		snprintf(buf, size, "%lld s", (long long)s);
	else if (s < 7200)
		snprintf(buf, size, "%lld min", (long long)(s / 60));
	else
		snprintf(buf, size, "%lld h %lld min", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
}

/* Marks deployment id stalled when, read again inside its own write, it
 * still is in progress past its environment's deadline. *moved is 1
 * when it was. */
static enum sl_err stall_one(struct sl_store *st, int64_t id, int64_t now,
			     int *moved, struct sl_error *err)
{
	static char actor[] = "shiplog";
	struct sl_req r = {.now = now};
	struct sl_tx tx;
	char object[40], *doc = NULL, message[160];
	int64_t rev, deadline = 0, last;
	enum sl_deploy_status status, to = SL_DEP_STALLED;
	json_t *d = NULL;
	enum sl_err rc;

	*moved = 0;
	r.actor.name = actor;
	snprintf(r.request_id, sizeof(r.request_id), "stall-%lld",
		 (long long)id);
	snprintf(object, sizeof(object), "deployment:%lld", (long long)id);
	rc = sl_store_begin_on(st, object, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_deployment_get(&tx, id, &doc, &rev, err);
	if (rc == SL_OK) {
		d = sl_http_doc(doc);
		sl_deploy_status_parse(
			json_string_value(json_object_get(d, "status")),
			&status);
		last = sl_h_doc_time(d, "updated_at");
		rc = stall_after(
			&tx,
			json_string_value(json_object_get(d, "environment")),
			&deadline, err);
	}
	if (rc == SL_OK && sl_deploy_stalls(status, last, deadline, now)) {
		char quiet[32], allowed[32];

		span((now - last) / 1000000, quiet, sizeof(quiet));
		span(deadline ? deadline : SL_STALL_AFTER_DEFAULT_S, allowed,
		     sizeof(allowed));
		snprintf(message, sizeof(message),
			 "no progress for %s: stalled (the environment allows "
			 "%s without an event)",
			 quiet, allowed);
		rc = sl_h_deploy_report_from(&r, &tx, id, &to, message, now,
					     SL_SRC_HEALTH_CHECK, err);
		if (rc == SL_OK)
			rc = sl_store_commit(&tx, err);
		else
			sl_store_abort(&tx);
		*moved = rc == SL_OK;
	} else {
		sl_store_abort(&tx);
	}
	json_decref(d);
	free(doc);
	return rc;
}

enum sl_err sl_h_deploy_stall_sweep(struct sl_store *st, int64_t now,
				    size_t *moved, struct sl_error *err)
{
	struct sl_progress quiet = {0};
	struct sl_tx tx;
	enum sl_err rc;

	*moved = 0;
	/* No deadline is shorter than a second: anything quieter than that
	 * is a candidate, judged again inside its own write. */
	rc = sl_store_begin(st, 0, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_deployment_quiet(&tx, now - 1000000, 500, &quiet, err);
	sl_store_abort(&tx);
	for (size_t i = 0; rc == SL_OK && i < quiet.n; i++) {
		int one = 0;

		rc = stall_one(st, quiet.v[i].id, now, &one, err);
		*moved += (size_t)one;
	}
	sl_progress_fini(&quiet);
	return rc;
}
