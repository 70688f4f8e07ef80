/* archive.c - retention: POST /v1/archive takes finished records older
 * than a cut-off out of the live tables and answers them as an archive
 * file (JSON Lines); POST /v1/archive/restore puts such a file back.
 * The audit log stays whole: its entries about archived objects, its
 * tiles and checkpoints are never touched, so proofs still check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/archive.h"
#include "core/buf.h"
#include "core/merkle.h"
#include "core/perm.h"
#include "http/handlers.h"
#include "http/http.h"
#include "http/schema.h"

#define SHIPLOG_VERSION "0.1.0"
#define ARCHIVE_FORMAT	"shiplog-archive/1"

/* Days a record is kept before it may be archived; 0 keeps everything.
 * Set once at start, before any request. */
static int64_t retention_days;

void sl_h_archive_configure(int64_t days)
{
	retention_days = days;
}

const struct sl_field sl_archive_fields[] = {
	{"before", SL_FT_STRING, SL_F_REQUIRED, 1, 64, sl_h_check_time, NULL,
	 NULL,
	 "RFC 3339: archive the finished records older than this; at least "
	 "the retention period ago"},
	{0},
};

static void hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The token's own role, never a grant: archiving takes records out of
 * every answer, which only an administrator decides. 1 to go on. */
static int own_role_may(struct sl_req *r)
{
	enum sl_role role;

	if (sl_role_parse(r->actor.role, &role) == 0 &&
	    sl_role_allows(role, SL_ACT_ARCHIVE))
		return 1;
	sl_http_failf(r, SL_EFORBIDDEN, "permission",
		      "this needs the permission archive, which the role %s "
		      "of the token '%s' does not hold",
		      r->actor.role, r->actor.name);
	return 0;
}

/* One stored row as a JSON object of its columns, integers as numbers. */
static json_t *row_json(const struct sl_archive_table *t,
			const struct sl_db_rows *rows, size_t i)
{
	json_t *o = json_object();

	for (size_t c = 0; c < t->ncols; c++) {
		const char *v = sl_db_text(rows, i, c);

		json_object_set_new(
			o, t->cols[c],
			!v ? json_null()
			: t->types[c] == 'i'
				? json_integer(sl_db_int(rows, i, c))
				: json_string(v));
	}
	return o;
}

static void add_line(struct sl_buf *b, json_t *v)
{
	char *s = sl_http_canon(v);

	sl_buf_add_str(b, s);
	sl_buf_add(b, "\n", 1);
	free(s);
	json_decref(v);
}

void sl_h_archive_create(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	struct sl_archive_cand *cands = NULL;
	struct sl_buf file = {0};
	json_t *counts = json_object(), *hdr;
	size_t ncand = 0, records = 0;
	int64_t before, id = 0;
	uint64_t size = 0, got = 0;
	char *note = NULL, *after = NULL, tbuf[SL_TIME_BUF], nbuf[SL_TIME_BUF];
	unsigned char digest[SL_HASH_LEN];
	char sha[2 * SL_HASH_LEN + 1], ids[24];
	enum sl_err rc;

	if (!own_role_may(r))
		goto out;
	if (sl_time_parse(json_string_value(json_object_get(r->json, "before")),
			  &before, "before", &err) ||
	    sl_archive_cutoff_check(before, r->now, retention_days, &err)) {
		sl_http_fail(r, &err);
		goto out;
	}
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto out;
	}
	rc = sl_store_log_size(&tx, &size, &err);
	if (rc == SL_OK) {
		rc = sl_store_log_checkpoint_get(&tx, 0, &got, &note, &err);
		if (rc == SL_ENOTFOUND)
			rc = SL_OK;
	}
	if (rc == SL_OK)
		rc = sl_store_archive_open(&tx, before, r->now, size, &id,
					   &err);
	if (rc == SL_OK)
		rc = sl_store_archive_candidates(&tx, before, &cands, &ncand,
						 &err);
	for (size_t i = 0; rc == SL_OK && i < ncand; i++) {
		enum sl_deploy_status st;

		if (sl_deploy_status_parse(cands[i].status, &st) == 0 &&
		    sl_archive_deploy_fits(st, cands[i].current, cands[i].held))
			rc = sl_store_archive_take_deployment(
				&tx, id, cands[i].id, &err);
	}
	/* Releases once their deployments are decided: one goes only when
	 * none of its deployments stays. */
	free(cands);
	cands = NULL;
	if (rc == SL_OK)
		rc = sl_store_archive_release_candidates(&tx, id, before,
							 &cands, &ncand, &err);
	for (size_t i = 0; rc == SL_OK && i < ncand; i++) {
		enum sl_release_status st;

		if (sl_release_status_parse(cands[i].status, &st) == 0 &&
		    sl_archive_release_fits(st, cands[i].current,
					    cands[i].held))
			rc = sl_store_archive_take_release(&tx, id, cands[i].id,
							   &err);
	}
	if (rc == SL_OK)
		rc = sl_store_archive_take_rest(&tx, id, before, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		goto out;
	}
	hdr = json_pack("{ss ss sI ss ss sI}", "kind", "header", "format",
			ARCHIVE_FORMAT, "archive", (json_int_t)id, "before",
			sl_time_format(before, tbuf), "created_at",
			sl_time_format(r->now, nbuf), "tree_size",
			(json_int_t)size);
	json_object_set_new(hdr, "shiplog", json_string(SHIPLOG_VERSION));
	json_object_set_new(hdr, "checkpoint",
			    note ? json_string(note) : json_null());
	add_line(&file, hdr);
	for (size_t t = 0; rc == SL_OK && t < sl_store_archive_ntables; t++) {
		const struct sl_archive_table *a = &sl_store_archive_tables[t];
		struct sl_db_rows rows = {0};

		rc = sl_store_archive_rows(&tx, id, t, &rows, &err);
		for (size_t i = 0; rc == SL_OK && i < rows.nrows; i++)
			add_line(&file,
				 json_pack("{ss so}", "kind", a->kind, "row",
					   row_json(a, &rows, i)));
		json_object_set_new(counts, a->kind,
				    json_integer((json_int_t)rows.nrows));
		records += rows.nrows;
		sl_db_rows_fini(&rows);
	}
	if (rc == SL_OK)
		rc = sl_store_archive_remove(&tx, id, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		goto out;
	}
	/* The trailer seals what comes before it, so the file checks itself
	 * offline; the audit entry holds the digest of the whole file. */
	sl_sha256(file.s, file.len, digest);
	hex(digest, SL_HASH_LEN, sha);
	add_line(&file,
		 json_pack("{ss sO sI ss}", "kind", "trailer", "counts", counts,
			   "records", (json_int_t)records, "sha256", sha));
	sl_sha256(file.s, file.len, digest);
	hex(digest, SL_HASH_LEN, sha);
	{
		json_t *a =
			json_pack("{sI ss sO ss sI}", "id", (json_int_t)id,
				  "before", tbuf, "counts", counts, "sha256",
				  sha, "tree_size", (json_int_t)size);
		char *c = sl_http_canon(counts);

		after = sl_http_canon(a);
		json_decref(a);
		rc = sl_store_archive_seal(&tx, id, sha, c, &err);
		free(c);
	}
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		goto out;
	}
	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	{
		struct sl_audit_info info = {"archive.create", "archive", ids,
					     NULL, after};
		char *body = sl_xmalloc(file.len + 1);

		memcpy(body, file.s, file.len + 1);
		sl_http_write_finish(r, &tx, &info, 201, body);
		if (r->status == 201)
			r->content_type = "application/x-ndjson";
	}
out:
	free(cands);
	free(note);
	free(after);
	free(file.s);
	json_decref(counts);
}

/* Puts one record of an archive file back; SL_EINVAL for a line that is
 * not one (the file matched a recorded digest, so this means a bug). */
static enum sl_err put_back(struct sl_tx *tx, json_t *rec, json_t *counts,
			    struct sl_error *err)
{
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	json_t *row = json_object_get(rec, "row");
	const char *cells[16];
	char nums[16][24];
	size_t t;

	if (!kind)
		return sl_error_set(err, SL_EINVAL, "body",
				    "a line of the archive has no kind");
	if (!strcmp(kind, "header") || !strcmp(kind, "trailer"))
		return SL_OK;
	for (t = 0; t < sl_store_archive_ntables; t++)
		if (!strcmp(sl_store_archive_tables[t].kind, kind))
			break;
	if (t == sl_store_archive_ntables || !json_is_object(row))
		return sl_error_set(err, SL_EINVAL, "body",
				    "a line of the archive holds an unknown "
				    "kind '%s'",
				    kind);
	for (size_t c = 0; c < sl_store_archive_tables[t].ncols && c < 16;
	     c++) {
		json_t *v = json_object_get(row,
					    sl_store_archive_tables[t].cols[c]);

		if (json_is_integer(v)) {
			snprintf(nums[c], sizeof(nums[c]), "%lld",
				 (long long)json_integer_value(v));
			cells[c] = nums[c];
		} else
			cells[c] = json_string_value(v);
	}
	json_object_set_new(
		counts, kind,
		json_integer(json_integer_value(json_object_get(counts, kind)) +
			     1));
	return sl_store_archive_put_row(tx, t, cells, err);
}

void sl_h_archive_restore(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	unsigned char digest[SL_HASH_LEN];
	char sha[2 * SL_HASH_LEN + 1], ids[24];
	const char *p, *end;
	int64_t id = 0, restored_at = 0;
	json_t *counts = json_object();
	enum sl_err rc;

	if (!own_role_may(r))
		goto out;
	sl_sha256(r->body ? r->body : "", r->body_len, digest);
	hex(digest, SL_HASH_LEN, sha);
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto out;
	}
	rc = sl_store_archive_by_digest(&tx, sha, &id, &restored_at, &err);
	if (rc == SL_ENOTFOUND) {
		sl_store_abort(&tx);
		sl_http_failf(r, SL_EINVAL, "body",
			      "this is not an archive this log recorded: no "
			      "archive.create entry has the SHA-256 %s",
			      sha);
		goto out;
	}
	if (rc == SL_OK && restored_at) {
		/* Put back before: nothing to do, and nothing to audit. */
		sl_store_abort(&tx);
		sl_http_reply_json(r, 200,
				   json_pack("{sI sO sb}", "archive",
					     (json_int_t)id, "restored", counts,
					     "already_restored", 1));
		goto out;
	}
	for (p = r->body ? r->body : "", end = p + r->body_len;
	     rc == SL_OK && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *rec = n ? json_loadb(p, n, 0, NULL) : NULL;

		if (n && !rec)
			rc = sl_error_set(&err, SL_EINVAL, "body",
					  "a line of the archive is not JSON");
		else if (rec)
			rc = put_back(&tx, rec, counts, &err);
		json_decref(rec);
		p += n + 1;
	}
	if (rc == SL_OK)
		rc = sl_store_archive_restored(&tx, id, r->now, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		goto out;
	}
	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	{
		json_t *a = json_pack("{sI sO ss}", "archive", (json_int_t)id,
				      "restored", counts, "sha256", sha);
		char *after = sl_http_canon(a);
		struct sl_audit_info info = {"archive.restore", "archive", ids,
					     NULL, after};

		json_object_set_new(a, "already_restored", json_false());
		sl_http_write_finish(r, &tx, &info, 201, sl_http_canon(a));
		json_decref(a);
		free(after);
	}
out:
	json_decref(counts);
}

int sl_h_archive_gone_key(struct sl_req *r, struct sl_tx *tx, const char *kind,
			  const char *key, const char *what)
{
	struct sl_error err = {0};
	char tbuf[SL_TIME_BUF];
	int64_t aid = 0, before = 0;
	enum sl_err rc;

	rc = sl_store_archive_find(tx, kind, key, &aid, &before, &err);
	if (rc == SL_ENOTFOUND)
		return 0;
	if (rc) {
		sl_http_fail(r, &err);
		return 1;
	}
	sl_error_set(&err, SL_EGONE, NULL,
		     "%s was archived in archive %lld (records older than "
		     "%s); POST /v1/archive/restore with that file puts it "
		     "back",
		     what, (long long)aid, sl_time_format(before, tbuf));
	sl_http_fail_with(r, &err,
			  json_pack("{sI}", "archive", (json_int_t)aid));
	return 1;
}

int sl_h_archive_gone(struct sl_req *r, struct sl_tx *tx, const char *kind,
		      int64_t object_id)
{
	char key[24], what[64];

	snprintf(key, sizeof(key), "%lld", (long long)object_id);
	snprintf(what, sizeof(what), "%s %s", kind, key);
	return sl_h_archive_gone_key(r, tx, kind, key, what);
}
