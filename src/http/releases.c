/* releases.c - one version of one service: create, read, list, update. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/naming.h"
#include "core/perm.h"
#include "core/range.h"
#include "core/rules.h"
#include "core/semver.h"
#include "core/state.h"
#include "core/validate.h"
#include "http/governance.h"
#include "http/handlers.h"

static const struct sl_field build_fields[] = {
	{"url", SL_FT_STRING, SL_F_NULLABLE, 1, 2048, sl_valid_url, NULL, NULL,
	 "CI job URL"},
	{"builder", SL_FT_STRING, SL_F_NULLABLE, 1, 128, NULL, NULL, NULL,
	 "who or what built it"},
	{0},
};

static const struct sl_field artifact_fields[] = {
	{"name", SL_FT_STRING, SL_F_REQUIRED, 1, 255, NULL, NULL, NULL, NULL},
	{"uri", SL_FT_STRING, SL_F_REQUIRED, 1, 2048, NULL, NULL, NULL, NULL},
	{"sha256", SL_FT_STRING, SL_F_REQUIRED, 64, 64, sl_valid_sha256_hex,
	 NULL, NULL, "64 hex digits"},
	{"signature", SL_FT_STRING, SL_F_NULLABLE, 1, 4096, NULL, NULL, NULL,
	 NULL},
	{0},
};

static const struct sl_field rollback_fields[] = {
	{"target_version", SL_FT_STRING, SL_F_NULLABLE, 1, 128,
	 sl_h_check_semver, NULL, NULL, "SemVer to roll back to"},
	{"criteria", SL_FT_STRING, SL_F_NULLABLE | SL_F_MULTILINE, 1, 4096,
	 NULL, NULL, NULL, NULL},
	{"procedure", SL_FT_STRING, SL_F_NULLABLE | SL_F_MULTILINE, 1, 16384,
	 NULL, NULL, NULL, NULL},
	{0},
};

static int check_range(const char *s, const char *field, struct sl_error *err)
{
	struct sl_range *r = NULL;

	if (sl_range_parse(s, &r, err)) {
		snprintf(err->field, sizeof(err->field), "%s", field);
		return -1;
	}
	sl_range_free(r);
	return 0;
}

static const struct sl_field dependency_fields[] = {
	{"service", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL,
	 NULL, NULL},
	{"range", SL_FT_STRING, SL_F_REQUIRED, 1, 256, check_range, NULL, NULL,
	 "SemVer range: ^1.4, ~2.3.1, >=1.2.0 <2.0.0"},
	{0},
};

const struct sl_field sl_release_fields[] = {
	{"service", SL_FT_STRING, SL_F_REQUIRED | SL_F_IMMUTABLE, 1, 63,
	 sl_valid_slug, NULL, NULL, "an existing service"},
	{"version", SL_FT_STRING, SL_F_REQUIRED | SL_F_IMMUTABLE, 1, 128,
	 sl_h_check_semver, NULL, NULL, "SemVer 2.0.0"},
	{"type", SL_FT_STRING, SL_F_REQUIRED, 1, 16, NULL, NULL,
	 sl_release_type_names, NULL},
	{"status", SL_FT_STRING, 0, 1, 16, NULL, NULL, sl_release_status_names,
	 "draft or planned on create; a table transition on update"},
	{"commit", SL_FT_STRING, SL_F_NULLABLE, 7, 64, sl_valid_commit, NULL,
	 NULL, NULL},
	{"git_tag", SL_FT_STRING, SL_F_NULLABLE, 1, 255, NULL, NULL, NULL,
	 NULL},
	{"build", SL_FT_OBJECT, SL_F_NULLABLE, 0, 0, NULL, build_fields, NULL,
	 NULL},
	{"artifacts", SL_FT_OBJECTS, 0, 0, 100, NULL, artifact_fields, NULL,
	 NULL},
	{"change_request", SL_FT_STRING, SL_F_NULLABLE, 1, 64, NULL, NULL, NULL,
	 "e.g. CHG0031337"},
	{"rollback", SL_FT_OBJECT, SL_F_NULLABLE, 0, 0, NULL, rollback_fields,
	 NULL, "rollback plan"},
	{"notes", SL_FT_STRING, SL_F_NULLABLE | SL_F_MULTILINE, 1, 65536, NULL,
	 NULL, NULL, NULL},
	{"known_issues", SL_FT_STRING, SL_F_NULLABLE | SL_F_MULTILINE, 1, 65536,
	 NULL, NULL, NULL, NULL},
	{"tags", SL_FT_TAGS, 0, 0, 32, NULL, NULL, NULL, NULL},
	{"dependencies", SL_FT_OBJECTS, 0, 0, 32, NULL, dependency_fields, NULL,
	 "services that must already run in the target environment"},
	{"commit_time", SL_FT_STRING, SL_F_NULLABLE, 1, 40, sl_h_check_time,
	 NULL, NULL,
	 "RFC 3339: when the commit was made, where change lead time starts "
	 "(else at the release's creation)"},
	{0},
};

/* Checks the release type in doc against its version and the service's
 * other releases (sl_release_type_check), excluding release `self`. A
 * mismatch is refused (SL_EINVAL with err) unless the service's
 * release_type_check is "warn": then it is kept in doc's "warnings". */
static enum sl_err check_type(struct sl_tx *tx, const json_t *svc, json_t *doc,
			      int64_t self, struct sl_error *err)
{
	const char *service =
		json_string_value(json_object_get(doc, "service"));
	const char *type = json_string_value(json_object_get(doc, "type"));
	enum sl_type_check_mode mode = SL_TCHECK_REFUSE;
	struct sl_semver v = {0}, low = {0}, prev = {0}, latest = {0};
	struct sl_error why = {0};
	enum sl_release_type t;
	char *below = NULL, *pv = NULL, *lv = NULL, buf[96];
	enum sl_err rc;

	/* Absent (a service stored before the setting) is the default. */
	sl_type_check_mode_parse(
		json_string_value(json_object_get(svc, "release_type_check")),
		&mode);
	if (sl_semver_parse(json_string_value(json_object_get(doc, "version")),
			    &v, err) ||
	    sl_release_type_parse(type, &t))
		return sl_error_set(err, SL_EINVAL, "type",
				    "type '%s' is not a release type",
				    type ? type : "");
	/* The lowest version with v's MAJOR.MINOR.PATCH: every pre-release
	 * of it sorts at or above. */
	snprintf(buf, sizeof(buf), "%llu.%llu.%llu-0",
		 (unsigned long long)v.major, (unsigned long long)v.minor,
		 (unsigned long long)v.patch);
	sl_semver_parse(buf, &low, NULL);
	below = sl_semver_sortkey(&low);
	rc = sl_store_release_neighbours(tx, service, below, self, &pv, &lv,
					 err);
	if (rc)
		goto out;
	if ((pv && sl_semver_parse(pv, &prev, err)) ||
	    (lv && sl_semver_parse(lv, &latest, err))) {
		rc = err->code;
		goto out;
	}
	if (sl_release_type_check(t, &v, pv ? &prev : NULL, lv ? &latest : NULL,
				  &why) == SL_OK)
		json_object_set_new(doc, "warnings", json_array());
	else if (mode == SL_TCHECK_WARN)
		json_object_set_new(doc, "warnings",
				    json_pack("[s]", why.message));
	else
		rc = sl_error_set(err, why.code, why.field, "%s", why.message);
out:
	sl_semver_fini(&v);
	sl_semver_fini(&low);
	sl_semver_fini(&prev);
	sl_semver_fini(&latest);
	free(below);
	free(pv);
	free(lv);
	return rc;
}

/* Inserts release service@version with the fields of in (a body the
 * release schema accepts; type may be absent: then the first type the
 * service's rule accepts for the version, from major down) and answers
 * its document (*out, new reference). Writes no audit entry: the caller
 * ends the write. */
enum sl_err sl_h_release_insert(struct sl_req *r, struct sl_tx *tx,
				const json_t *in, json_t **out,
				struct sl_error *err)
{
	const char *service = json_string_value(json_object_get(in, "service"));
	const char *version = json_string_value(json_object_get(in, "version"));
	const char *type = json_string_value(json_object_get(in, "type"));
	const char *status = json_string_value(json_object_get(in, "status"));
	struct sl_semver v = {0};
	struct sl_tag *tags = NULL;
	size_t ntags;
	char *sdoc = NULL, *key = NULL, *name = NULL, *text = NULL;
	json_t *svc = NULL, *doc = NULL;
	int64_t id = 0, srev;
	enum sl_err rc;

	*out = NULL;
	if (!status)
		status = sl_release_status_name(SL_REL_DRAFT);
	rc = sl_semver_parse(version, &v, err);
	if (rc)
		goto out;
	key = sl_semver_sortkey(&v);
	rc = sl_store_service_get(tx, service, &sdoc, &srev, err);
	if (rc == SL_ENOTFOUND)
		rc = sl_error_set(err, SL_EINVAL, "service",
				  "service '%s' does not exist", service);
	if (rc)
		goto out;
	svc = sl_http_doc(sdoc);
	doc = json_pack("{sn sn sn sn s[] sn sn sn sn s{} s[] s[]}", "commit",
			"commit_time", "git_tag", "build", "artifacts",
			"change_request", "rollback", "notes", "known_issues",
			"tags", "dependencies", "warnings");
	sl_h_merge(doc, in);
	if (type) {
		rc = check_type(tx, svc, doc, 0, err);
	} else {
		/* The first type the rule takes: a bump's own, or hotfix. */
		for (int t = 0; t < SL_TYPE__COUNT; t++) {
			type = sl_release_type_name((enum sl_release_type)t);
			json_object_set_new(doc, "type", json_string(type));
			rc = check_type(tx, svc, doc, 0, err);
			if (rc != SL_EINVAL)
				break;
		}
	}
	if (rc)
		goto out;
	name = sl_naming_render(
		json_string_value(json_object_get(svc, "naming_template")),
		service, &v, version, type, err);
	if (!name) {
		rc = err->code;
		goto out;
	}
	rc = sl_store_release_insert(tx, service, version, key, status, type,
				     r->now, &id, err);
	if (rc)
		goto out;
	json_object_set_new(doc, "created_by", json_string(r->actor.name));
	json_object_set_new(doc, "id", json_integer(id));
	json_object_set_new(doc, "name", json_string(name));
	json_object_set_new(doc, "status", json_string(status));
	json_object_set_new(doc, "revision", json_integer(1));
	json_object_set_new(doc, "created_at", sl_h_time(r->now));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	text = sl_http_canon(doc);
	tags = sl_h_tags(json_object_get(doc, "tags"), &ntags);
	rc = sl_store_release_update(tx, id, 0, status, r->now, text, tags,
				     ntags, err);
	if (rc == SL_OK) {
		*out = doc;
		doc = NULL;
	}
out:
	sl_semver_fini(&v);
	json_decref(svc);
	json_decref(doc);
	free(tags);
	free(sdoc);
	free(key);
	free(name);
	free(text);
	return rc;
}

void sl_h_release_create(struct sl_req *r)
{
	const char *service =
		json_string_value(json_object_get(r->json, "service"));
	const char *status =
		json_string_value(json_object_get(r->json, "status"));
	struct sl_error err = {0};
	struct sl_tx tx;
	enum sl_release_status st;
	char *text = NULL, idb[24];
	json_t *doc = NULL;
	enum sl_err rc;

	if (!sl_http_require(r, SL_ACT_RELEASE_WRITE, NULL, service))
		return;
	if (status && (sl_release_status_parse(status, &st) ||
		       !sl_release_status_is_initial(st))) {
		sl_http_failf(r, SL_EINVAL, "status",
			      "a new release is draft or planned, not %s",
			      status);
		return;
	}
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc)
		goto fail;
	rc = sl_h_release_insert(r, &tx, r->json, &doc, &err);
	if (rc) {
		sl_store_abort(&tx);
		goto fail;
	}
	text = sl_http_canon(doc);
	sl_http_etag(r, 1);
	sl_h_finish(r, &tx, "release.create", "release",
		    sl_h_id(json_integer_value(json_object_get(doc, "id")), idb,
			    sizeof(idb)),
		    NULL, 201, text);
	goto out;
fail:
	sl_http_fail(r, &err);
out:
	json_decref(doc);
	free(text);
}

void sl_h_release_get(struct sl_req *r)
{
	const char *ref = r->params[0], *at = strchr(ref, '@');
	struct sl_error err = {0};
	struct sl_semver v;
	struct sl_tx tx;
	char *doc = NULL, *service = NULL, *key = NULL;
	int64_t id = 0, rev = 0;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);

	if (rc == SL_OK && at && sl_semver_parse(at + 1, &v, NULL) == SL_OK) {
		/* service@version: one indexed read. */
		service = sl_xstrndup(ref, (size_t)(at - ref));
		key = sl_semver_sortkey(&v);
		sl_semver_fini(&v);
		rc = sl_store_release_get_by_key(&tx, service, key, &doc, &rev,
						 &err);
		if (rc == SL_ENOTFOUND) {
			/* Archived, not missing: say where. */
			char *k = sl_xmalloc(strlen(service) + strlen(key) + 2);
			int gone;

			snprintf(k, strlen(service) + strlen(key) + 2, "%s@%s",
				 service, key);
			gone = sl_h_archive_gone_key(r, &tx, "release_key", k,
						     ref);
			free(k);
			if (gone) {
				sl_store_abort(&tx);
				goto done;
			}
		}
	} else if (rc == SL_OK) {
		rc = sl_h_release_ref(&tx, ref, "id", &id, &err);
		if (rc == SL_OK)
			rc = sl_store_release_get(&tx, id, &doc, &rev, &err);
		if (rc == SL_ENOTFOUND && id &&
		    sl_h_archive_gone(r, &tx, "release", id)) {
			sl_store_abort(&tx);
			goto done;
		}
	}
	if (tx.conn)
		sl_store_abort(&tx);
	if (rc == SL_OK && r->actor.scope) {
		json_t *d = sl_http_doc(doc);
		int ok = sl_http_require(
			r, SL_ACT_READ, NULL,
			json_string_value(json_object_get(d, "service")));

		json_decref(d);
		if (!ok) {
			free(doc);
			goto done;
		}
	}
	if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL, "release '%s' not found", ref);
	else if (rc)
		sl_http_fail(r, &err);
	else
		sl_h_reply_doc(r, 200, doc, rev);
done:
	free(service);
	free(key);
}

void sl_h_release_list(struct sl_req *r)
{
	struct sl_filter f = {0};
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	char *tagbuf = NULL, next[24];
	enum sl_err rc;

	if (!sl_h_limit(r, &f.limit) ||
	    !sl_h_int_param(r, "cursor", &f.cursor) ||
	    !sl_h_text_param(r, "service", &f.service) ||
	    !sl_h_text_param(r, "status", &f.status) ||
	    !sl_h_text_param(r, "type", &f.type) ||
	    !sl_h_text_param(r, "environment", &f.environment) ||
	    !sl_h_time_param(r, "since", &f.since) ||
	    !sl_h_time_param(r, "until", &f.until) ||
	    !sl_h_tag_param(r, &tagbuf, &f.tag_key, &f.tag_value))
		goto out;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_release_list(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_OK)
		rc = sl_h_scope_filter(r, &rows, NULL, "service", &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto out;
	}
	sl_http_reply(r, 200,
		      sl_h_list(&rows, rows.n && rows.n == (size_t)f.limit
					       ? sl_h_id(rows.v[rows.n - 1].id,
							 next, sizeof(next))
					       : NULL));
out:
	sl_docs_fini(&rows);
	free(tagbuf);
}

/* The fields of the release an update changes: SL_RF_BIT of each field
 * the body names whose value differs from the stored one (old). */
static unsigned changed_fields(const json_t *body, const json_t *old,
			       const json_t *doc)
{
	unsigned m = 0;

	for (int f = 0; f < SL_RF__COUNT; f++) {
		const char *k = sl_release_field_name(f);

		if (json_object_get(body, k) &&
		    !json_equal(json_object_get(old, k),
				json_object_get(doc, k)))
			m |= SL_RF_BIT(f);
	}
	return m;
}

/* Voids every standing decision on release id that was made on what the
 * release was before this edit (old): each approval is marked void, with
 * the revision and fields that voided it, and audited (approval.void) in
 * the edit's transaction. The gates no longer count it. */
static enum sl_err void_approvals(struct sl_req *r, struct sl_tx *tx,
				  int64_t id, const json_t *old,
				  unsigned changed, int64_t revision,
				  struct sl_error *err)
{
	struct sl_approvals rows = {0};
	char digest[65], why[256], idb[24];
	size_t n;
	enum sl_err rc;

	sl_artifacts_digest(old, digest);
	n = (size_t)snprintf(why, sizeof(why), "release revision %lld changed",
			     (long long)revision);
	for (int f = 0; f < SL_RF__COUNT && n < sizeof(why); f++)
		if ((changed & SL_RF_BIT(f)) &&
		    sl_release_edit_voids_approvals(SL_RF_BIT(f)))
			n += (size_t)snprintf(why + n, sizeof(why) - n, " %s",
					      sl_release_field_name(f));
	rc = sl_store_approval_list(tx, id, NULL, &rows, err);
	for (size_t i = 0; rc == SL_OK && i < rows.n; i++) {
		const char *before = rows.v[i].doc;
		struct sl_approval ap;
		json_t *a;
		char *after;

		rc = sl_h_approval_row(&rows.v[i], &ap, err);
		if (rc || !sl_approval_voided_by_edit(&ap, digest))
			continue; /* not standing, or not on this content */
		a = sl_http_doc(before);
		json_object_set_new(a, "voided_at", sl_h_time(r->now));
		json_object_set_new(a, "void_reason", json_string(why));
		after = sl_http_canon(a);
		json_decref(a);
		rc = sl_store_approval_void(tx, rows.v[i].id, r->now, after,
					    err);
		if (rc == SL_OK) {
			struct sl_audit_entry e = {
				.at = r->now,
				.actor = r->actor.name,
				.action = "approval.void",
				.object_type = "approval",
				.object_id =
					sl_h_id(rows.v[i].id, idb, sizeof(idb)),
				.request_id = r->request_id,
				.via = r->via[0] ? r->via : NULL,
			};
			int64_t seq;

			rc = sl_http_audit_append(tx, &e, before, after, &seq,
						  err);
		}
		free(after);
	}
	sl_approvals_fini(&rows);
	return rc;
}

void sl_h_release_update(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL, *sdoc = NULL, idb[24];
	const char *to = json_string_value(json_object_get(r->json, "status"));
	int64_t id = 0, rev = 0, srev;
	json_t *doc = NULL, *old = NULL, *svc = NULL;
	struct sl_tag *tags = NULL;
	size_t ntags = 0;
	unsigned changed;
	enum sl_release_status from_s, to_s;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);

	if (rc)
		goto fail;
	rc = sl_h_release_ref(&tx, r->params[0], "id", &id, &err);
	if (rc == SL_OK)
		rc = sl_store_release_get(&tx, id, &before, &rev, &err);
	if (rc)
		goto abort;
	if (!sl_http_if_match(r, rev)) {
		sl_store_abort(&tx);
		goto out;
	}
	doc = sl_http_doc(before);
	old = sl_http_doc(before);
	if (!sl_http_require(
		    r, SL_ACT_RELEASE_WRITE, NULL,
		    json_string_value(json_object_get(doc, "service")))) {
		sl_store_abort(&tx);
		goto out;
	}
	sl_release_status_parse(
		json_string_value(json_object_get(doc, "status")), &from_s);
	if (to) {
		sl_release_status_parse(to, &to_s);
		rc = sl_release_set_check(from_s, to_s, &err);
		if (rc)
			goto abort;
	}
	sl_h_merge(doc, r->json);
	changed = changed_fields(r->json, old, doc);
	/* What shipped stays the record; what was approved is what ships. */
	rc = sl_release_edit_check(from_s, changed, &err);
	if (rc == SL_OK && (changed & SL_RF_BIT(SL_RF_TYPE))) {
		rc = sl_store_service_get(
			&tx, json_string_value(json_object_get(doc, "service")),
			&sdoc, &srev, &err);
		svc = rc == SL_OK ? sl_http_doc(sdoc) : NULL;
		if (rc == SL_OK)
			rc = check_type(&tx, svc, doc, id, &err);
	}
	if (rc == SL_OK && sl_release_edit_voids_approvals(changed))
		rc = void_approvals(r, &tx, id, old, changed, rev + 1, &err);
	if (rc)
		goto abort;
	json_object_set_new(doc, "revision", json_integer(rev + 1));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	after = sl_http_canon(doc);
	if (json_object_get(r->json, "tags"))
		tags = sl_h_tags(json_object_get(doc, "tags"), &ntags);
	rc = sl_store_release_update(
		&tx, id, rev, json_string_value(json_object_get(doc, "status")),
		r->now, after, tags, ntags, &err);
	if (rc)
		goto abort;
	sl_http_etag(r, rev + 1);
	sl_h_finish(r, &tx, "release.update", "release",
		    sl_h_id(id, idb, sizeof(idb)), before, 200, after);
	goto out;
abort:
	sl_store_abort(&tx);
fail:
	if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL, "release '%s' not found",
			      r->params[0]);
	else
		sl_http_fail(r, &err);
out:
	json_decref(doc);
	json_decref(old);
	json_decref(svc);
	free(tags);
	free(before);
	free(after);
	free(sdoc);
}
