/* releases.c - releases, found by id or by service and SemVer sort key. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* ---- releases ---- */

enum sl_err sl_store_release_insert(struct sl_tx *tx, const char *service,
				    const char *version, const char *sortkey,
				    const char *status, const char *type,
				    int64_t now, int64_t *id,
				    struct sl_error *err)
{
	enum sl_err rc;
	const struct sl_db_val p[] = {
		SL_P_TEXT(service), SL_P_TEXT(version), SL_P_TEXT(sortkey),
		SL_P_TEXT(status),  SL_P_TEXT(type),	SL_P_INT(now),
	};

	rc = sl__store_one_int_guarded(
		tx,
		"INSERT INTO releases (service, version, sortkey, status,"
		" type, revision, created_at, updated_at, doc)"
		" VALUES ($1, $2, $3, $4, $5, 0, $6, $6, '') RETURNING id",
		p, 6, id, "release", err);
	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "version",
				    "%s already has a release %s", service,
				    version);
	return rc;
}

enum sl_err sl_store_release_get(struct sl_tx *tx, int64_t id, char **doc,
				 int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx, "SELECT doc, revision FROM releases WHERE id = $1",
		(const struct sl_db_val[]){SL_P_INT(id)}, 1, doc, revision,
		"release", err);
}

enum sl_err sl_store_release_get_by_key(struct sl_tx *tx, const char *service,
					const char *sortkey, char **doc,
					int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx,
		"SELECT doc, revision FROM releases"
		" WHERE service = $1 AND sortkey = $2",
		(const struct sl_db_val[]){SL_P_TEXT(service),
					   SL_P_TEXT(sortkey)},
		2, doc, revision, "release", err);
}

enum sl_err sl_store_release_find(struct sl_tx *tx, const char *service,
				  const char *sortkey, int64_t *id,
				  struct sl_error *err)
{
	return sl__store_one_int(tx,
				 "SELECT id FROM releases"
				 " WHERE service = $1 AND sortkey = $2",
				 (const struct sl_db_val[]){SL_P_TEXT(service),
							    SL_P_TEXT(sortkey)},
				 2, id, "release", err);
}

enum sl_err sl_store_release_update(struct sl_tx *tx, int64_t id,
				    int64_t expected_revision,
				    const char *status, int64_t now,
				    const char *doc, const struct sl_tag *tags,
				    size_t ntags, struct sl_error *err)
{
	int64_t changes = 0;
	/* The type and the commit time (as microseconds) are copied from
	 * the document, so that a PATCH of the type reaches the column too,
	 * for delivery metrics (migration 15); the release's deployments
	 * keep both in step below. */
	enum sl_err rc = Q(
		tx,
		sl__store_single_writer(tx)
			? "UPDATE releases SET revision = revision + 1,"
			  " status = $3, updated_at = $4, doc = $5,"
			  " type = json_extract($5, '$.type'), commit_at ="
			  " CAST(ROUND((julianday(json_extract($5,"
			  " '$.commit_time')) - 2440587.5) * 86400000.0) AS"
			  " INTEGER) * 1000 WHERE id = $1 AND revision = $2"
			: "UPDATE releases SET revision = revision + 1,"
			  " status = $3, updated_at = $4, doc = $5,"
			  " type = $5::json ->> 'type', commit_at ="
			  " CAST(EXTRACT(EPOCH FROM CAST($5::json ->>"
			  " 'commit_time' AS timestamptz)) * 1000000 AS BIGINT)"
			  " WHERE id = $1 AND revision = $2",
		NULL, &changes, err, SL_P_INT(id), SL_P_INT(expected_revision),
		SL_P_TEXT(status), SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_OK)
		rc = sl__store_check_revision(
			tx, changes,
			"SELECT COUNT(*) FROM releases WHERE id = $1",
			SL_P_INT(id), "release", err);
	if (rc == SL_OK)
		rc = Q(tx,
		       "UPDATE deployments SET release_type = (SELECT r.type"
		       " FROM releases r WHERE r.id = $1), commit_at = (SELECT"
		       " COALESCE(r.commit_at, r.created_at) FROM releases r"
		       " WHERE r.id = $1) WHERE release_id = $1",
		       NULL, NULL, err, SL_P_INT(id));
	if (rc || !tags)
		return rc;
	return sl__store_put_tags(
		tx, "DELETE FROM release_tags WHERE release_id = $1",
		"INSERT INTO release_tags (release_id, key, value)"
		" VALUES ($1, $2, $3)",
		SL_P_INT(id), tags, ntags, err);
}

enum sl_err sl_store_release_list(struct sl_tx *tx, const struct sl_filter *f,
				  struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	static const struct sl__clause cl[] = {
		{"r.id < $#", 1},
		{"r.service = $#", 1},
		{"r.status = $#", 1},
		{"r.type = $#", 1},
		{"r.created_at >= $#", 1},
		{"r.created_at < $#", 1},
		{"EXISTS (SELECT 1 FROM release_tags t WHERE t.release_id = "
		 "r.id"
		 " AND t.key = $# AND t.value = $#)",
		 2},
		{"EXISTS (SELECT 1 FROM deployments d WHERE d.release_id = r.id"
		 " AND d.environment = $#)",
		 1},
	};
	const struct sl_db_val vals[] = {
		SL_P_INT(f->cursor),	   SL_P_TEXT(f->service),
		SL_P_TEXT(f->status),	   SL_P_TEXT(f->type),
		SL_P_INT(f->since),	   SL_P_INT(f->until),
		SL_P_TEXT(f->tag_key),	   SL_P_TEXT(f->tag_value),
		SL_P_TEXT(f->environment),
	};

	return sl__store_docs(
		sl__store_list(tx, LIST_RELEASES,
			       "SELECT r.id, r.doc FROM releases r", cl, 8,
			       vals, "ORDER BY r.id DESC LIMIT", f->limit,
			       &rows, err),
		&rows, SL_COLS_ID_DOC, out);
}

enum sl_err sl_store_release_neighbours(struct sl_tx *tx, const char *service,
					const char *below, int64_t exclude,
					char **prev, char **latest,
					struct sl_error *err)
{
	enum sl_err rc;

	*latest = NULL;
	rc = sl__store_maybe_text(
		tx,
		"SELECT version FROM releases WHERE service = $1"
		" AND sortkey < $2 AND id <> $3"
		" AND status <> 'cancelled'"
		" ORDER BY sortkey DESC LIMIT 1",
		P(SL_P_TEXT(service), SL_P_TEXT(below), SL_P_INT(exclude)),
		prev, err);
	if (rc == SL_OK)
		rc = sl__store_maybe_text(
			tx,
			"SELECT version FROM releases WHERE service = $1"
			" AND id <> $2 AND status <> 'cancelled'"
			" ORDER BY sortkey DESC LIMIT 1",
			P(SL_P_TEXT(service), SL_P_INT(exclude)), latest, err);
	if (rc) {
		free(*prev);
		*prev = NULL;
	}
	return rc;
}

enum sl_err sl_store_release_count(struct sl_tx *tx, const char *service,
				   int64_t *n, struct sl_error *err)
{
	return sl__store_one_int(
		tx, "SELECT COUNT(*) FROM releases WHERE service = $1",
		(const struct sl_db_val[]){SL_P_TEXT(service)}, 1, n, "release",
		err);
}
