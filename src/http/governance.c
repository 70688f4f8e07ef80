/* governance.c - approvals, checklists, change requests, windows, grants
 * and post-incident reviews: the records the gates read. */
#include <stdlib.h>
#include <string.h>

#include "cal/windows.h"
#include "core/approval.h"
#include "core/governance.h"
#include "core/perm.h"
#include "core/rules.h"
#include "core/state.h"
#include "core/validate.h"
#include "core/vocab.h"
#include "http/governance.h"
#include "http/handlers.h"

/* Loads the release named by the first path parameter into *rel and its
 * id; replies 404 and returns 0 when there is none. */
static int load_release(struct sl_req *r, struct sl_tx *tx, json_t **rel,
			int64_t *id)
{
	struct sl_error err = {0};
	char *doc = NULL;
	int64_t rev;
	enum sl_err rc = sl_h_release_ref(tx, r->params[0], "id", id, &err);

	if (rc == SL_OK)
		rc = sl_store_release_get(tx, *id, &doc, &rev, &err);
	if (rc == SL_ENOTFOUND) {
		sl_http_failf(r, rc, NULL, "release '%s' not found",
			      r->params[0]);
		return 0;
	}
	if (rc) {
		sl_http_fail(r, &err);
		return 0;
	}
	*rel = sl_http_doc(doc);
	free(doc);
	return 1;
}

/* 1 when the token's role allows a, by the permission table alone (no
 * grant or scope widens these). */
static int role_may(const struct sl_req *r, enum sl_action a)
{
	enum sl_role role;

	return sl_role_parse(r->actor.role, &role) == 0 &&
	       sl_role_allows(role, a);
}

/* 1 when env exists; else replies 422 naming the field. */
static int env_known(struct sl_req *r, struct sl_tx *tx, const char *env,
		     json_t **envdoc)
{
	char *doc = NULL;
	int64_t rev;
	struct sl_error err = {0};
	enum sl_err rc = sl_store_environment_get(tx, env, &doc, &rev, &err);

	if (rc == SL_OK) {
		if (envdoc)
			*envdoc = sl_http_doc(doc);
		free(doc);
		return 1;
	}
	if (rc != SL_ENOTFOUND)
		sl_http_fail(r, &err);
	else
		sl_http_failf(r, SL_EINVAL, "environment",
			      "environment '%s' does not exist", env);
	return 0;
}

/* ---- approvals ---- */

const struct sl_field sl_approval_fields[] = {
	{"environment", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL,
	 NULL, NULL},
	{"decision", SL_FT_STRING, SL_F_REQUIRED, 1, 16, NULL, NULL,
	 sl_decision_names, NULL},
	{"comment", SL_FT_STRING, SL_F_MULTILINE, 1, 4096, NULL, NULL, NULL,
	 NULL},
	{"group", SL_FT_STRING, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "the approval group it counts for (one the token belongs to)"},
	{0},
};

void sl_h_approval_create(struct sl_req *r)
{
	const char *env =
		json_string_value(json_object_get(r->json, "environment"));
	const char *decision =
		json_string_value(json_object_get(r->json, "decision"));
	const char *comment =
		json_string_value(json_object_get(r->json, "comment"));
	const char *group =
		json_string_value(json_object_get(r->json, "group"));
	struct sl_error err = {0};
	struct sl_tx tx;
	struct sl_approval_row row = {0};
	json_t *rel = NULL, *policy = NULL, *g, *doc = NULL;
	char digest[65], idb[24], *text = NULL;
	int64_t rid = 0, id = 0, hours;
	const char *author;
	size_t i;
	int in_policy = 0;
	enum sl_err rc;

	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!load_release(r, &tx, &rel, &rid) ||
	    !env_known(r, &tx, env, NULL) ||
	    !sl_http_require(
		    r, SL_ACT_APPROVE, env,
		    json_string_value(json_object_get(rel, "service"))))
		goto abort;
	policy = sl_policy_load(&tx, env, NULL, &err);
	if (!policy) {
		sl_http_fail(r, &err);
		goto abort;
	}
	author = json_string_value(json_object_get(rel, "created_by"));
	if (sl_approval_author_barred(
		    author, r->actor.name,
		    sl_policy_rule(policy, "author_may_not_approve"))) {
		sl_http_failf(r, SL_EFORBIDDEN, "decision",
			      "%s wrote this release and may not approve it "
			      "for %s (rule author_may_not_approve)",
			      r->actor.name, env);
		goto abort;
	}
	if (group) {
		json_array_foreach(
			json_object_get(policy, "approvals"), i,
			g) if (strcmp(json_string_value(json_object_get(g,
									"grou"
									"p")),
				      group) == 0) in_policy = 1;
		if (!in_policy) {
			sl_http_failf(r, SL_EINVAL, "group",
				      "%s requires no approvals from group "
				      "'%s'",
				      env, group);
			goto abort;
		}
		if (!sl_http_in_groups(r, group)) {
			sl_http_failf(r, SL_EFORBIDDEN, "group",
				      "the token '%s' is not a member of the "
				      "group '%s'",
				      r->actor.name, group);
			goto abort;
		}
	} else {
		/* Without a group, the approval counts for the one required
		 * group the token belongs to, if exactly one. */
		json_array_foreach(json_object_get(policy, "approvals"), i, g)
		{
			const char *name =
				json_string_value(json_object_get(g, "group"));

			if (sl_http_in_groups(r, name)) {
				if (group) {
					sl_http_failf(
						r, SL_EINVAL, "group",
						"the token belongs to several "
						"required groups; say which "
						"one this approval is for");
					goto abort;
				}
				group = name;
			}
		}
	}
	sl_artifacts_digest(rel, digest);
	hours = json_integer_value(
		json_object_get(policy, "approval_valid_hours"));
	row.release_id = rid;
	row.environment = env;
	row.approver = r->actor.name;
	row.group = group;
	row.decision = decision;
	row.at = r->now;
	row.expires_at = sl_approval_expiry(r->now, hours);
	row.artifacts_digest = digest;
	rc = sl_store_approval_insert(&tx, &row, &id, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto abort;
	}
	doc = json_pack(
		"{sI sI sO ss ss ss* ss* ss so so ss sn sn sn}", "id",
		(json_int_t)id, "release_id", (json_int_t)rid, "release",
		json_object_get(rel, "name"), "environment", env, "decision",
		decision, "comment", comment, "group", group, "approver",
		r->actor.name, "at", sl_h_time(r->now), "expires_at",
		row.expires_at ? sl_h_time(row.expires_at) : json_null(),
		"artifacts_digest", digest, "withdrawn_at", "voided_at",
		"void_reason");
	text = sl_http_canon(doc);
	rc = sl_store_approval_set_doc(&tx, id, text, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto abort;
	}
	sl_h_finish(r, &tx, "approval.create", "approval",
		    sl_h_id(id, idb, sizeof(idb)), NULL, 201, text);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(rel);
	json_decref(policy);
	json_decref(doc);
	free(text);
}

/* The approvals' documents as a list. Caller frees. */
static char *approval_docs(const struct sl_approvals *rows)
{
	struct sl_docs docs = {rows->n, NULL};
	char *out;

	docs.v = sl_xcalloc(rows->n + 1, sizeof(*docs.v));
	for (size_t i = 0; i < rows->n; i++)
		docs.v[i].doc = rows->v[i].doc;
	out = sl_h_list(&docs, NULL);
	free(docs.v); /* the strings are the rows' */
	return out;
}

void sl_h_approval_list(struct sl_req *r)
{
	struct sl_http_scope scope;
	struct sl_approvals rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	const char *env = NULL;
	json_t *rel = NULL;
	int64_t rid;

	if (!sl_h_text_param(r, "environment", &env))
		return;
	if (sl_store_begin(sl_http_store(r), 0, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	/* A release outside the scope is refused as reading it is; the
	 * approvals of environments outside it are left out. */
	if (sl_http_scope_init(r, &tx, &scope, &err))
		sl_http_fail(r, &err);
	else if (load_release(r, &tx, &rel, &rid) &&
		 sl_http_require(
			 r, SL_ACT_READ, NULL,
			 json_string_value(json_object_get(rel, "service")))) {
		if (sl_store_approval_list_scoped(&tx, rid, env, &scope.lists,
						  &rows, &err))
			sl_http_fail(r, &err);
		else
			sl_http_reply(r, 200, approval_docs(&rows));
	}
	sl_store_abort(&tx);
	sl_http_scope_fini(&scope);
	sl_approvals_fini(&rows);
	json_decref(rel);
}

void sl_h_approval_withdraw(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL;
	int64_t id = 0;
	json_t *doc = NULL;
	enum sl_err rc;

	if (!sl_h_path_id(r, "approval", &id))
		return;
	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	rc = sl_store_approval_get(&tx, id, &before, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto abort;
	}
	doc = sl_http_doc(before);
	if (strcmp(json_string_value(json_object_get(doc, "approver")),
		   r->actor.name) != 0 &&
	    !role_may(r, SL_ACT_WITHDRAW_ANY)) {
		sl_http_failf(
			r, SL_EFORBIDDEN, "approver",
			"only %s (or an admin) may withdraw this "
			"decision",
			json_string_value(json_object_get(doc, "approver")));
		goto abort;
	}
	json_object_set_new(doc, "withdrawn_at", sl_h_time(r->now));
	after = sl_http_canon(doc);
	rc = sl_store_approval_withdraw(&tx, id, r->now, after, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto abort;
	}
	sl_h_finish(r, &tx, "approval.withdraw", "approval", r->params[0],
		    before, 200, after);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(doc);
	free(before);
	free(after);
}

/* What waits for me: releases not yet released or cancelled, for each
 * environment whose policy needs a group I belong to that is still
 * short, where no decision of mine stands. Short and standing are what
 * the gate counts (sl_approval_tally). */
void sl_h_approvals_pending(struct sl_req *r)
{
	struct sl_docs envs = {0}, rels = {0};
	struct sl_error err = {0};
	struct sl_filter f = {.limit = 200};
	struct sl_tx tx;
	json_t *items = json_array();

	if (sl_store_begin(sl_http_store(r), 0, &tx, &err) ||
	    sl_store_environment_list(&tx, &envs, &err) ||
	    sl_store_release_list(&tx, &f, &rels, &err)) {
		sl_http_fail(r, &err);
		goto out;
	}
	for (size_t e = 0; e < envs.n; e++) {
		const char *env = envs.v[e].name;
		json_t *policy = sl_policy_load(&tx, env, NULL, &err), *g;
		size_t i;

		if (!policy) {
			/* An unread policy is not "nothing waits". */
			sl_http_fail(r, &err);
			goto out;
		}
		json_array_foreach(json_object_get(policy, "approvals"), i, g)
		{
			const char *grp =
				json_string_value(json_object_get(g, "group"));

			if (!sl_http_in_groups(r, grp))
				continue;
			for (size_t k = 0; k < rels.n; k++) {
				json_t *rel = sl_http_doc(rels.v[k].doc);
				struct sl_h_approvals appr;
				const struct sl_approval_count *c;
				enum sl_release_status st;
				int sees = sl_http_sees(
					r, env,
					json_string_value(json_object_get(
						rel, "service")));

				if (sees < 0)
					sl_error_set(&err, SL_EUNAVAIL, "",
						     "the scope of the token "
						     "cannot be read");
				if (sees < 0 ||
				    (sees &&
				     sl_h_approvals_count(&tx, policy, rel, env,
							  r->actor.name, r->now,
							  &appr, &err))) {
					if (sees > 0)
						sl_h_approvals_fini(&appr);
					json_decref(rel);
					json_decref(policy);
					sl_http_fail(r, &err);
					goto out;
				}
				if (!sees) {
					json_decref(rel);
					continue;
				}
				c = &appr.tally.groups[i];
				if (sl_release_status_parse(
					    json_string_value(json_object_get(
						    rel, "status")),
					    &st) == 0 &&
				    sl_release_awaits_approval(st) &&
				    !appr.tally.actor_decided &&
				    c->have < c->required)
					json_array_append_new(
						items,
						json_pack("{sO sO ss ss si sO}",
							  "release",
							  json_object_get(
								  rel, "name"),
							  "release_id",
							  json_object_get(rel,
									  "id"),
							  "environment", env,
							  "group", grp, "have",
							  c->have, "required",
							  json_object_get(
								  g, "count")));
				sl_h_approvals_fini(&appr);
				json_decref(rel);
			}
		}
		json_decref(policy);
	}
	sl_http_reply_json(r, 200,
			   json_pack("{sO sn}", "items", items, "next_cursor"));
out:
	if (tx.conn)
		sl_store_abort(&tx);
	json_decref(items);
	sl_docs_fini(&envs);
	sl_docs_fini(&rels);
}

/* ---- checklists ---- */

const struct sl_field sl_checklist_fields[] = {
	{"environment", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL,
	 NULL, NULL},
	{"item", SL_FT_STRING, SL_F_REQUIRED, 1, 200, NULL, NULL, NULL,
	 "an item of the environment's checklist for this release type"},
	{"evidence", SL_FT_STRING, SL_F_NULLABLE, 1, 2048, sl_valid_url, NULL,
	 NULL, "a link to the proof"},
	{0},
};

void sl_h_checklist_complete(struct sl_req *r)
{
	const char *env =
		json_string_value(json_object_get(r->json, "environment"));
	const char *item = json_string_value(json_object_get(r->json, "item"));
	json_t *evidence = json_object_get(r->json, "evidence");
	struct sl_error err = {0};
	struct sl_tx tx;
	json_t *rel = NULL, *policy = NULL, *doc = NULL;
	struct sl_checklist *lists = NULL;
	char *text = NULL, oid[160];
	int64_t rid = 0;
	size_t nlists;

	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!load_release(r, &tx, &rel, &rid) ||
	    !env_known(r, &tx, env, NULL) ||
	    !sl_http_require(
		    r, SL_ACT_CHECKLIST, env,
		    json_string_value(json_object_get(rel, "service"))))
		goto abort;
	policy = sl_policy_load(&tx, env, NULL, &err);
	if (!policy) {
		sl_http_fail(r, &err);
		goto abort;
	}
	lists = sl_policy_checklists(policy, &nlists);
	if (!sl_checklist_requires(lists, nlists, sl_h_release_type(rel),
				   item)) {
		sl_http_failf(r, SL_EINVAL, "item",
			      "'%s' is not on the %s checklist for %s releases",
			      item, env,
			      json_string_value(json_object_get(rel, "type")));
		goto abort;
	}
	doc = json_pack("{sO ss ss ss so sO*}", "release_id",
			json_object_get(rel, "id"), "environment", env, "item",
			item, "by", r->actor.name, "at", sl_h_time(r->now),
			"evidence", json_is_string(evidence) ? evidence : NULL);
	text = sl_http_canon(doc);
	if (sl_store_checklist_done(&tx, rid, env, item, r->now, text, &err)) {
		sl_http_fail(r, &err);
		goto abort;
	}
	snprintf(oid, sizeof(oid), "%lld/%s", (long long)rid, env);
	sl_h_finish(r, &tx, "checklist.complete", "checklist", oid, NULL, 201,
		    text);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(rel);
	json_decref(policy);
	free(lists);
	json_decref(doc);
	free(text);
}

void sl_h_checklist_get(struct sl_req *r)
{
	struct sl_docs done = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	const char *env = NULL;
	json_t *rel = NULL, *policy = NULL, *out;
	struct sl_checklist *lists;
	int64_t rid;
	size_t nlists;

	if (!sl_h_text_param(r, "environment", &env))
		return;
	if (!env) {
		sl_http_failf(r, SL_EMALFORMED, "environment",
			      "say which environment's checklist: "
			      "?environment=");
		return;
	}
	if (sl_store_begin(sl_http_store(r), 0, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!load_release(r, &tx, &rel, &rid) ||
	    !env_known(r, &tx, env, NULL) ||
	    !sl_http_require(
		    r, SL_ACT_READ, env,
		    json_string_value(json_object_get(rel, "service"))))
		goto out;
	policy = sl_policy_load(&tx, env, NULL, &err);
	if (!policy || sl_store_checklist_list(&tx, rid, env, &done, &err)) {
		sl_http_fail(r, &err);
		goto out;
	}
	lists = sl_policy_checklists(policy, &nlists);
	out = json_array();
	for (size_t l = 0; l < nlists; l++) {
		if (!sl_checklist_applies(&lists[l], sl_h_release_type(rel)))
			continue;
		for (size_t i = 0; i < lists[l].nitems; i++) {
			const char *it = lists[l].items[i];
			json_t *entry = json_pack("{ss so}", "item", it, "done",
						  json_null());

			for (size_t d = 0; d < done.n; d++)
				if (strcmp(done.v[d].name, it) == 0)
					json_object_set_new(
						entry, "done",
						sl_http_doc(done.v[d].doc));
			json_array_append_new(out, entry);
		}
	}
	free(lists);
	sl_http_reply_json(r, 200,
			   json_pack("{sO ss so}", "release",
				     json_object_get(rel, "name"),
				     "environment", env, "items", out));
out:
	sl_store_abort(&tx);
	sl_docs_fini(&done);
	json_decref(rel);
	json_decref(policy);
}

/* ---- change requests ---- */

const struct sl_field sl_change_fields[] = {
	{"key", SL_FT_STRING, SL_F_REQUIRED | SL_F_IMMUTABLE, 1, 64, NULL, NULL,
	 NULL, "e.g. CHG0031337"},
	{"system", SL_FT_STRING, 0, 1, 64, NULL, NULL, NULL,
	 "the ITSM it lives in"},
	{"class", SL_FT_STRING, SL_F_REQUIRED, 1, 16, NULL, NULL,
	 sl_change_class_names, NULL},
	{"risk", SL_FT_STRING, 0, 1, 16, NULL, NULL, sl_change_risk_names,
	 NULL},
	{"state", SL_FT_STRING, SL_F_REQUIRED, 1, 16, NULL, NULL,
	 sl_change_state_names, NULL},
	{"window_start", SL_FT_STRING, SL_F_NULLABLE, 1, 40, sl_h_check_time,
	 NULL, NULL, "planned window, RFC 3339"},
	{"window_end", SL_FT_STRING, SL_F_NULLABLE, 1, 40, sl_h_check_time,
	 NULL, NULL, NULL},
	{"url", SL_FT_STRING, SL_F_NULLABLE, 1, 2048, sl_valid_url, NULL, NULL,
	 NULL},
	{0},
};

/* A window with an end before its start is refused. */
static int window_ok(struct sl_req *r, const json_t *doc)
{
	const char *a = json_string_value(json_object_get(doc, "window_start"));
	const char *b = json_string_value(json_object_get(doc, "window_end"));
	int64_t ta = 0, tb = 0;

	if (!a != !b) {
		sl_http_failf(r, SL_EINVAL, a ? "window_end" : "window_start",
			      "a planned window needs both a start and an end");
		return 0;
	}
	if (a && (sl_time_parse(a, &ta, "window_start", NULL) ||
		  sl_time_parse(b, &tb, "window_end", NULL) || tb <= ta)) {
		sl_http_failf(r, SL_EINVAL, "window_end",
			      "window_end must come after window_start");
		return 0;
	}
	return 1;
}

void sl_h_change_create(struct sl_req *r)
{
	const char *key = json_string_value(json_object_get(r->json, "key"));
	struct sl_error err = {0};
	struct sl_tx tx;
	json_t *doc = json_pack("{ss* ss* sn sn sn}", "system", NULL, "risk",
				NULL, "window_start", "window_end", "url");
	char *text;

	if (!sl_http_require(r, SL_ACT_CHANGE_WRITE, NULL, NULL)) {
		json_decref(doc);
		return;
	}
	sl_h_merge(doc, r->json);
	if (!window_ok(r, doc)) {
		json_decref(doc);
		return;
	}
	json_object_set_new(doc, "revision", json_integer(1));
	json_object_set_new(doc, "created_at", sl_h_time(r->now));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	json_object_set_new(doc, "created_by", json_string(r->actor.name));
	text = sl_http_canon(doc);
	if (sl_store_begin(sl_http_store(r), 1, &tx, &err) ||
	    sl_store_change_insert(&tx, key, r->now, text, &err)) {
		if (tx.conn)
			sl_store_abort(&tx);
		sl_http_fail(r, &err);
	} else {
		sl_http_etag(r, 1);
		sl_h_finish(r, &tx, "change_request.create", "change_request",
			    key, NULL, 201, text);
	}
	free(text);
	json_decref(doc);
}

void sl_h_change_get(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *doc = NULL;
	int64_t rev = 0;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);

	if (rc == SL_OK) {
		rc = sl_store_change_get(&tx, r->params[0], &doc, &rev, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL, "change request '%s' not found",
			      r->params[0]);
	else if (rc)
		sl_http_fail(r, &err);
	else
		sl_h_reply_doc(r, 200, doc, rev);
}

void sl_h_change_list(struct sl_req *r)
{
	sl_h_reply_docs(r, sl_store_change_list);
}

/* Checks that a change request moves from state `from` (NULL when it had
 * none) to the state of doc along the path of doc's class; SL_ECONFLICT
 * naming both states when it may not. */
static enum sl_err change_moves(const char *from, const json_t *doc,
				struct sl_error *err)
{
	const char *to = json_string_value(json_object_get(doc, "state"));
	const char *cls = json_string_value(json_object_get(doc, "class"));
	enum sl_change_state f, t;
	enum sl_change_class c;

	if (!from || !to || strcmp(from, to) == 0)
		return SL_OK;
	/* Both are schema-checked names; a stored state this build does not
	 * know would be refused below as an impossible move. */
	if (sl_change_state_parse(from, &f) || sl_change_state_parse(to, &t) ||
	    sl_change_class_parse(cls, &c) ||
	    !sl_change_can_transition(c, f, t))
		return sl_error_set(err, SL_ECONFLICT, "state",
				    "a %s change request cannot move from %s "
				    "to %s",
				    cls ? cls : "", from, to);
	return SL_OK;
}

void sl_h_change_update(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL, *from = NULL;
	int64_t rev = 0;
	json_t *doc = NULL;
	enum sl_err rc;

	if (!sl_http_require(r, SL_ACT_CHANGE_WRITE, NULL, NULL))
		return;
	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	rc = sl_store_change_get(&tx, r->params[0], &before, &rev, &err);
	if (rc == SL_ENOTFOUND) {
		sl_http_failf(r, rc, NULL, "change request '%s' not found",
			      r->params[0]);
		goto abort;
	}
	if (rc) {
		sl_http_fail(r, &err);
		goto abort;
	}
	if (!sl_http_if_match(r, rev))
		goto abort;
	doc = sl_http_doc(before);
	if (json_is_string(json_object_get(doc, "state")))
		from = sl_xstrdup(
			json_string_value(json_object_get(doc, "state")));
	sl_h_merge(doc, r->json);
	if (!window_ok(r, doc))
		goto abort;
	rc = change_moves(from, doc, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto abort;
	}
	json_object_set_new(doc, "revision", json_integer(rev + 1));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	after = sl_http_canon(doc);
	rc = sl_store_change_update(&tx, r->params[0], rev, r->now, after,
				    &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto abort;
	}
	sl_http_etag(r, rev + 1);
	sl_h_finish(r, &tx, "change_request.update", "change_request",
		    r->params[0], before, 200, after);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(doc);
	free(before);
	free(after);
	free(from);
}

/* ---- windows ---- */

static int check_service_tag(const char *s, const char *field,
			     struct sl_error *err)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s || !eq[1])
		return sl_error_set(err, SL_EINVAL, field,
				    "%s must be written key=value", field),
		       -1;
	return 0;
}

const struct sl_field sl_window_fields[] = {
	{"name", SL_FT_STRING, SL_F_REQUIRED, 1, 128, NULL, NULL, NULL, NULL},
	{"kind", SL_FT_STRING, SL_F_REQUIRED, 1, 16, NULL, NULL,
	 sl_window_kind_names, NULL},
	{"environment", SL_FT_STRING, SL_F_NULLABLE, 1, 63, sl_valid_slug, NULL,
	 NULL, "null = every environment"},
	{"service_tag", SL_FT_STRING, SL_F_NULLABLE, 3, 320, check_service_tag,
	 NULL, NULL, "key=value: only services with that tag"},
	{"timezone", SL_FT_STRING, SL_F_REQUIRED, 1, 64, NULL, NULL, NULL,
	 "IANA time zone"},
	{"start", SL_FT_STRING, SL_F_REQUIRED, 1, 64, sl_valid_local_time, NULL,
	 NULL, "local wall time YYYY-MM-DDTHH:MM:SS"},
	{"end", SL_FT_STRING, SL_F_NULLABLE, 1, 64, sl_valid_local_time, NULL,
	 NULL, "fixed windows: local wall time of the end"},
	{"rrule", SL_FT_STRING, SL_F_NULLABLE, 1, 512, NULL, NULL, NULL,
	 "recurring windows: an iCalendar RRULE"},
	{"duration_minutes", SL_FT_INT, SL_F_NULLABLE, 1, 527040, NULL, NULL,
	 NULL, "recurring windows: the length of each occurrence"},
	{"reason", SL_FT_STRING, SL_F_MULTILINE, 1, 4096, NULL, NULL, NULL,
	 NULL},
	{0},
};

void sl_h_window_create(struct sl_req *r)
{
	const char *env =
		json_string_value(json_object_get(r->json, "environment"));
	struct sl_window_spec spec;
	struct sl_error err = {0};
	struct sl_tx tx;
	json_t *doc;
	char *text = NULL, idb[24];
	int64_t id = 0;

	if (!sl_http_require(r, SL_ACT_WINDOW_WRITE, env, NULL))
		return;
	doc = json_pack("{sn sn sn sn sn}", "environment", "service_tag", "end",
			"rrule", "duration_minutes");
	sl_h_merge(doc, r->json);
	sl_window_spec_of(doc, &spec);
	if (sl_window_check(&spec, &err)) {
		sl_http_fail(r, &err);
		json_decref(doc);
		return;
	}
	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		json_decref(doc);
		return;
	}
	if (env && !env_known(r, &tx, env, NULL))
		goto abort;
	if (sl_store_window_insert(&tx, env, r->now, &id, &err)) {
		sl_http_fail(r, &err);
		goto abort;
	}
	json_object_set_new(doc, "id", json_integer(id));
	json_object_set_new(doc, "created_at", sl_h_time(r->now));
	json_object_set_new(doc, "created_by", json_string(r->actor.name));
	text = sl_http_canon(doc);
	if (sl_store_window_set_doc(&tx, id, text, &err)) {
		sl_http_fail(r, &err);
		goto abort;
	}
	sl_h_finish(r, &tx, "window.create", "window",
		    sl_h_id(id, idb, sizeof(idb)), NULL, 201, text);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(doc);
	free(text);
}

#define MAX_OCC 2000

/* Lists windows, and with from and to every occurrence in [from, to). */
void sl_h_window_list(struct sl_req *r)
{
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	const char *env = NULL;
	int64_t from = 0, to = 0;
	json_t *items = json_array(), *occs = json_array();
	struct sl_occurrence *occ = NULL;

	if (!sl_h_time_param(r, "from", &from) ||
	    !sl_h_time_param(r, "to", &to) ||
	    !sl_h_text_param(r, "environment", &env))
		goto out;
	if (!from != !to || (from && to <= from) ||
	    (from && to - from > 400LL * 86400 * 1000000)) {
		sl_http_failf(r, SL_EMALFORMED, "to",
			      "give both from and to, to after from, at most "
			      "400 days apart");
		goto out;
	}
	if (sl_store_begin(sl_http_store(r), 0, &tx, &err) ||
	    sl_store_window_list(&tx, &rows, &err)) {
		if (tx.conn)
			sl_store_abort(&tx);
		sl_http_fail(r, &err);
		goto out;
	}
	sl_store_abort(&tx);
	occ = sl_xcalloc(MAX_OCC, sizeof(*occ));
	for (size_t i = 0; i < rows.n; i++) {
		json_t *w = sl_http_doc(rows.v[i].doc);
		const char *wenv =
			json_string_value(json_object_get(w, "environment"));
		struct sl_window_spec spec;
		size_t n = 0;

		if (env && !sl_window_reaches_env(wenv, env)) {
			json_decref(w);
			continue;
		}
		json_array_append(items, w);
		sl_window_spec_of(w, &spec);
		if (from && sl_window_occurrences(&spec, from, to, occ, MAX_OCC,
						  &n, NULL) == 0)
			for (size_t k = 0; k < n; k++)
				json_array_append_new(
					occs,
					json_pack("{sO sO sO sO so so}",
						  "window_id",
						  json_object_get(w, "id"),
						  "name",
						  json_object_get(w, "name"),
						  "kind",
						  json_object_get(w, "kind"),
						  "environment",
						  json_object_get(
							  w, "environment"),
						  "start",
						  sl_h_time(occ[k].start_us),
						  "end",
						  sl_h_time(occ[k].end_us)));
		json_decref(w);
	}
	sl_http_reply_json(r, 200,
			   json_pack("{sO sO sn}", "items", items,
				     "occurrences", occs, "next_cursor"));
out:
	free(occ);
	json_decref(items);
	json_decref(occs);
	sl_docs_fini(&rows);
}

void sl_h_window_delete(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL;
	int64_t id = 0;
	json_t *doc;

	if (!sl_h_path_id(r, "window", &id))
		return;
	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (sl_store_window_delete(&tx, id, r->now, &before, &err)) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		return;
	}
	doc = sl_http_doc(before);
	if (!sl_http_require(
		    r, SL_ACT_WINDOW_WRITE,
		    json_string_value(json_object_get(doc, "environment")),
		    NULL)) {
		sl_store_abort(&tx);
	} else {
		sl_h_finish(r, &tx, "window.delete", "window", r->params[0],
			    before, 204, NULL);
	}
	json_decref(doc);
	free(before);
}

/* ---- grants ---- */

const struct sl_field sl_grant_fields[] = {
	{"token", SL_FT_STRING, SL_F_REQUIRED, 1, 64, NULL, NULL, NULL,
	 "the name of the token that receives it"},
	{"role", SL_FT_STRING, SL_F_REQUIRED, 1, 32, NULL, NULL, sl_role_names,
	 NULL},
	{"environment", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL,
	 NULL, NULL},
	{"hours", SL_FT_INT, SL_F_REQUIRED, 1, 168, NULL, NULL, NULL,
	 "it expires by itself after this many hours"},
	{"reason", SL_FT_STRING, SL_F_REQUIRED | SL_F_MULTILINE, 1, 4096, NULL,
	 NULL, NULL, NULL},
	{0},
};

void sl_h_grant_create(struct sl_req *r)
{
	const char *token =
		json_string_value(json_object_get(r->json, "token"));
	const char *role = json_string_value(json_object_get(r->json, "role"));
	const char *env =
		json_string_value(json_object_get(r->json, "environment"));
	int64_t hours = json_integer_value(json_object_get(r->json, "hours"));
	struct sl_tokens toks = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	int64_t token_id = 0, id = 0,
		expires = r->now + hours * 3600 * 1000000LL;
	json_t *doc = NULL;
	char *text = NULL, idb[24];
	enum sl_role granted = SL_ROLE_ADMIN;
	enum sl_action need;

	if (!sl_http_require(r, SL_ACT_GRANT, env, NULL))
		return;
	/* grant.write was checked with scope and grants; a role that
	 * needs more to be granted is judged by the token's own role. */
	sl_role_parse(role, &granted); /* the schema allowed only roles */
	need = sl_role_grant_action(granted);
	if (need != SL_ACT_GRANT && !role_may(r, need)) {
		sl_http_failf(r, SL_EFORBIDDEN, "role",
			      "granting the role %s needs the permission %s, "
			      "which the role %s of the token '%s' does not "
			      "hold",
			      role, sl_action_name(need), r->actor.role,
			      r->actor.name);
		return;
	}
	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!env_known(r, &tx, env, NULL))
		goto abort;
	if (sl_store_token_list(&tx, &toks, &err)) {
		sl_http_fail(r, &err);
		goto abort;
	}
	for (size_t i = 0; i < toks.n; i++) {
		const struct sl_token_row *t = &toks.v[i];

		if (strcmp(t->name, token) == 0 && !t->revoked_at &&
		    (!t->expires_at || t->expires_at > r->now))
			token_id = t->id;
	}
	if (!token_id) {
		sl_http_failf(r, SL_EINVAL, "token",
			      "no live token is named '%s'", token);
		goto abort;
	}
	if (sl_store_grant_insert(&tx, token_id, role, env, expires, &id,
				  &err)) {
		sl_http_fail(r, &err);
		goto abort;
	}
	doc = json_pack("{sI ss sI ss ss so so ss sO}", "id", (json_int_t)id,
			"token", token, "token_id", (json_int_t)token_id,
			"role", role, "environment", env, "created_at",
			sl_h_time(r->now), "expires_at", sl_h_time(expires),
			"granted_by", r->actor.name, "reason",
			json_object_get(r->json, "reason"));
	text = sl_http_canon(doc);
	if (sl_store_grant_set_doc(&tx, id, text, &err)) {
		sl_http_fail(r, &err);
		goto abort;
	}
	sl_h_finish(r, &tx, "grant.create", "grant",
		    sl_h_id(id, idb, sizeof(idb)), NULL, 201, text);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	sl_tokens_fini(&toks);
	json_decref(doc);
	free(text);
}

/* Lists the grants on the environments the token's scope covers. */
void sl_h_grant_list(struct sl_req *r)
{
	struct sl_http_scope scope;
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);

	memset(&scope, 0, sizeof(scope));
	if (rc == SL_OK) {
		rc = sl_http_scope_init(r, &tx, &scope, &err);
		if (rc == SL_OK)
			rc = sl_store_grant_list(&tx, &scope.lists, &rows,
						 &err);
		sl_store_abort(&tx);
	}
	if (rc)
		sl_http_fail(r, &err);
	else
		sl_http_reply(r, 200, sl_h_list(&rows, NULL));
	sl_http_scope_fini(&scope);
	sl_docs_fini(&rows);
}

/* ---- post-incident reviews ---- */

const struct sl_field sl_review_close_fields[] = {
	{"link", SL_FT_STRING, SL_F_REQUIRED, 1, 2048, sl_valid_url, NULL, NULL,
	 "the review's record"},
	{"comment", SL_FT_STRING, SL_F_MULTILINE, 1, 4096, NULL, NULL, NULL,
	 NULL},
	{0},
};

/* Lists the reviews of deployments the token's scope covers. */
void sl_h_review_list(struct sl_req *r)
{
	struct sl_http_scope scope;
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	const char *open = NULL;
	enum sl_err rc;

	if (!sl_h_text_param(r, "open", &open))
		return;
	memset(&scope, 0, sizeof(scope));
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_http_scope_init(r, &tx, &scope, &err);
		if (rc == SL_OK)
			rc = sl_store_review_list(
				&tx, open && strcmp(open, "true") == 0,
				&scope.lists, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc)
		sl_http_fail(r, &err);
	else
		sl_http_reply(r, 200, sl_h_list(&rows, NULL));
	sl_http_scope_fini(&scope);
	sl_docs_fini(&rows);
}

void sl_h_review_close(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL;
	int64_t id = 0;
	json_t *doc = NULL;

	if (!sl_h_path_id(r, "review", &id))
		return;
	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (sl_store_review_get(&tx, id, &before, &err)) {
		sl_http_fail(r, &err);
		goto abort;
	}
	doc = sl_http_doc(before);
	if (!sl_http_require(
		    r, SL_ACT_OVERRIDE,
		    json_string_value(json_object_get(doc, "environment")),
		    NULL))
		goto abort;
	if (!json_is_null(json_object_get(doc, "closed_at"))) {
		sl_http_failf(r, SL_ECONFLICT, "id",
			      "review %lld is already closed", (long long)id);
		goto abort;
	}
	json_object_set_new(doc, "closed_at", sl_h_time(r->now));
	json_object_set_new(doc, "closed_by", json_string(r->actor.name));
	json_object_set(doc, "link", json_object_get(r->json, "link"));
	if (json_object_get(r->json, "comment"))
		json_object_set(doc, "comment",
				json_object_get(r->json, "comment"));
	after = sl_http_canon(doc);
	if (sl_store_review_set_doc(&tx, id, after, r->now, &err)) {
		sl_http_fail(r, &err);
		goto abort;
	}
	sl_h_finish(r, &tx, "review.close", "review", r->params[0], before, 200,
		    after);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(doc);
	free(before);
	free(after);
}
