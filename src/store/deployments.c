/* deployments.c - deployments, the placements they update, and their
 * timeline events. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* ---- deployments ---- */

enum sl_err sl_store_deployment_insert(struct sl_tx *tx, int64_t release_id,
				       const char *service,
				       const char *environment,
				       const char *target, const char *status,
				       int64_t now, int64_t *id,
				       struct sl_error *err)
{
	const struct sl_db_val p[] = {
		SL_P_INT(release_id),	SL_P_TEXT(service),
		SL_P_TEXT(environment), SL_P_TEXT(target),
		SL_P_TEXT(status),	SL_P_INT(now),
	};

	return sl__store_one_int(
		tx,
		"INSERT INTO deployments (release_id, service,"
		" environment, target, status, revision, created_at,"
		" updated_at, doc) VALUES ($1, $2, $3, $4, $5, 0, $6,"
		" $6, '') RETURNING id",
		p, 6, id, "deployment", err);
}

enum sl_err sl_store_deployment_get(struct sl_tx *tx, int64_t id, char **doc,
				    int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx, "SELECT doc, revision FROM deployments WHERE id = $1",
		(const struct sl_db_val[]){SL_P_INT(id)}, 1, doc, revision,
		"deployment", err);
}

/* What delivery metrics read of a deployment (migration 15), copied from
 * the document it is given by the engine's own JSON and time reading,
 * and from its release; succeeded_us keeps the first success, which a
 * later failure (a verification's) does not erase. */
/* clang-format off */
#define DORA_RELEASE \
	" release_type = (SELECT r.type FROM releases r" \
	" WHERE r.id = deployments.release_id)," \
	" commit_at = (SELECT COALESCE(r.commit_at, r.created_at)" \
	" FROM releases r WHERE r.id = deployments.release_id)"
#define US_SQLITE(x) \
	"CAST(ROUND((julianday(" x ") - 2440587.5) * 86400000.0)" \
	" AS INTEGER) * 1000"
#define US_PG(x) \
	"CAST(EXTRACT(EPOCH FROM CAST(" x " AS timestamptz)) * 1000000" \
	" AS BIGINT)"
static const char update_sqlite[] =
	"UPDATE deployments SET revision = revision + 1, status = $3,"
	" updated_at = $4, doc = $5,"
	" started_us = " US_SQLITE("json_extract($5, '$.started_at')") ","
	" finished_us = " US_SQLITE("json_extract($5, '$.finished_at')") ","
	" succeeded_us = COALESCE(succeeded_us, CASE WHEN $3 = 'succeeded'"
	" THEN " US_SQLITE("json_extract($5, '$.finished_at')") " END),"
	" rollback_of = json_extract($5, '$.rollback_of'),"
	DORA_RELEASE
	" WHERE id = $1 AND revision = $2";
static const char update_pg[] =
	"UPDATE deployments SET revision = revision + 1, status = $3,"
	" updated_at = $4, doc = $5,"
	" started_us = " US_PG("$5::json ->> 'started_at'") ","
	" finished_us = " US_PG("$5::json ->> 'finished_at'") ","
	" succeeded_us = COALESCE(succeeded_us, CASE WHEN $3 = 'succeeded'"
	" THEN " US_PG("$5::json ->> 'finished_at'") " END),"
	" rollback_of = ($5::json ->> 'rollback_of')::bigint,"
	DORA_RELEASE
	" WHERE id = $1 AND revision = $2";
/* clang-format on */

enum sl_err sl_store_deployment_update(struct sl_tx *tx, int64_t id,
				       int64_t expected_revision,
				       const char *status, int64_t now,
				       const char *doc, struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(
		tx, sl__store_single_writer(tx) ? update_sqlite : update_pg,
		NULL, &changes, err, SL_P_INT(id), SL_P_INT(expected_revision),
		SL_P_TEXT(status), SL_P_INT(now), SL_P_TEXT(doc));

	if (rc)
		return rc;
	return sl__store_check_revision(
		tx, changes, "SELECT COUNT(*) FROM deployments WHERE id = $1",
		SL_P_INT(id), "deployment", err);
}

enum sl_err sl_store_deployment_list(struct sl_tx *tx,
				     const struct sl_filter *f,
				     struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	static const struct sl__clause cl[] = {
		{"d.id < $#", 1},
		{"d.service = $#", 1},
		{"d.environment = $#", 1},
		{"d.status = $#", 1},
		{"d.release_id = $#", 1},
		{"d.created_at >= $#", 1},
		{"d.created_at < $#", 1},
		{"EXISTS (SELECT 1 FROM releases r WHERE r.id = d.release_id"
		 " AND r.type = $#)",
		 1},
		{"EXISTS (SELECT 1 FROM release_tags t WHERE"
		 " t.release_id = d.release_id AND t.key = $# AND t.value = "
		 "$#)",
		 2},
	};
	const struct sl_db_val vals[] = {
		SL_P_INT(f->cursor),	   SL_P_TEXT(f->service),
		SL_P_TEXT(f->environment), SL_P_TEXT(f->status),
		SL_P_INT(f->release_id),   SL_P_INT(f->since),
		SL_P_INT(f->until),	   SL_P_TEXT(f->type),
		SL_P_TEXT(f->tag_key),	   SL_P_TEXT(f->tag_value),
	};

	return sl__store_docs(
		sl__store_list(tx, LIST_DEPLOYMENTS,
			       "SELECT d.id, d.doc FROM deployments d", cl, 9,
			       vals, "ORDER BY d.id DESC LIMIT", f->limit,
			       &rows, err),
		&rows, SL_COLS_ID_DOC, out);
}

enum sl_err sl_store_deployment_count_env(struct sl_tx *tx,
					  const char *environment, int64_t *n,
					  struct sl_error *err)
{
	return sl__store_one_int(
		tx, "SELECT COUNT(*) FROM deployments WHERE environment = $1",
		(const struct sl_db_val[]){SL_P_TEXT(environment)}, 1, n,
		"deployment", err);
}

enum sl_err sl_store_deployment_running(struct sl_tx *tx, const char *service,
					const char *environment,
					const char *target, int64_t before_id,
					int64_t *id, struct sl_error *err)
{
	const struct sl_db_val p[] = {SL_P_TEXT(service),
				      SL_P_TEXT(environment), SL_P_TEXT(target),
				      SL_P_INT(before_id)};

	return sl__store_one_int(tx,
				 "SELECT COALESCE(MAX(id), 0) FROM deployments"
				 " WHERE service = $1 AND environment = $2"
				 " AND target = $3 AND ($4 = 0 OR id < $4)"
				 " AND status IN ('succeeded', 'verified')",
				 p, 4, id, "deployment", err);
}

enum sl_err sl_store_deployment_status_counts(struct sl_tx *tx,
					      struct sl_counts *out,
					      struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_counts(sl__store_run(tx,
					      "SELECT status, COUNT(*) FROM "
					      "deployments GROUP BY status"
					      " ORDER BY status",
					      NULL, 0, &rows, NULL, err),
				&rows, out);
}

enum sl_err sl_store_placement_refresh(struct sl_tx *tx, const char *service,
				       const char *environment,
				       const char *target, struct sl_error *err)
{
	return Q(tx,
		 "INSERT INTO placements (service, environment, target,"
		 " latest_id, running_id) SELECT $1, $2, $3,"
		 " (SELECT id FROM deployments WHERE service = $1"
		 " AND environment = $2 AND target = $3"
		 " ORDER BY created_at DESC, id DESC LIMIT 1),"
		 " (SELECT id FROM deployments WHERE service = $1"
		 " AND environment = $2 AND target = $3"
		 " AND status IN ('succeeded', 'verified')"
		 " ORDER BY created_at DESC, id DESC LIMIT 1)"
		 " WHERE 1 = 1"
		 " ON CONFLICT (service, environment, target) DO UPDATE"
		 " SET latest_id = excluded.latest_id,"
		 " running_id = excluded.running_id",
		 NULL, NULL, err, SL_P_TEXT(service), SL_P_TEXT(environment),
		 SL_P_TEXT(target));
}

enum sl_err sl_store_placement_get(struct sl_tx *tx, const char *service,
				   const char *environment, const char *target,
				   char **running, char **latest,
				   struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT r.doc, l.doc FROM placements p"
			   " JOIN deployments l ON l.id = p.latest_id"
			   " LEFT JOIN deployments r ON r.id = p.running_id"
			   " WHERE p.service = $1 AND p.environment = $2"
			   " AND p.target = $3",
			   &rows, NULL, err, SL_P_TEXT(service),
			   SL_P_TEXT(environment), SL_P_TEXT(target));

	if (rc)
		return rc;
	if (rows.nrows == 0) {
		sl_db_rows_fini(&rows);
		return sl_error_set(err, SL_ENOTFOUND, "", "no placement");
	}
	*running = sl_db_text(&rows, 0, 0) ? sl_xstrdup(sl_db_text(&rows, 0, 0))
					   : NULL;
	*latest = sl_xstrdup(sl_db_text(&rows, 0, 1));
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_placement_set_item(struct sl_tx *tx, const char *service,
					const char *environment,
					const char *target, const char *item,
					struct sl_error *err)
{
	return Q(tx,
		 "UPDATE placements SET item = $4 WHERE service = $1"
		 " AND environment = $2 AND target = $3",
		 NULL, NULL, err, SL_P_TEXT(service), SL_P_TEXT(environment),
		 SL_P_TEXT(target), SL_P_TEXT(item));
}

enum sl_err sl_store_placement_list(struct sl_tx *tx, const struct sl_filter *f,
				    struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	/* The cursor is the last row's key, in the order of the list: the
	 * first clause lets the primary key start at its service. */
	static const struct sl__clause cl[] = {
		{"p.service = $#", 1},
		{"p.environment = $#", 1},
		{"EXISTS (SELECT 1 FROM service_tags t WHERE t.service = "
		 "p.service"
		 " AND t.key = $# AND t.value = $#)",
		 2},
		{"p.service >= $#", 1},
		{"(p.service, e.rank, p.environment, p.target) > ($#,"
		 " (SELECT c.rank FROM environments c WHERE c.name = $#), $#,"
		 " $#)",
		 4},
	};
	const struct sl_db_val vals[] = {
		SL_P_TEXT(f->service),	     SL_P_TEXT(f->environment),
		SL_P_TEXT(f->tag_key),	     SL_P_TEXT(f->tag_value),
		SL_P_TEXT(f->cursor_name),   SL_P_TEXT(f->cursor_name),
		SL_P_TEXT(f->cursor_env),    SL_P_TEXT(f->cursor_env),
		SL_P_TEXT(f->cursor_target),
	};

	return sl__store_docs(
		sl__store_list(
			tx, LIST_PLACEMENTS,
			"SELECT p.service, p.environment, p.target, p.item"
			" FROM placements p"
			" JOIN environments e ON e.name = p.environment",
			cl, 5, vals,
			"ORDER BY p.service, e.rank, p.environment, p.target"
			" LIMIT",
			f->limit, &rows, err),
		&rows,
		(struct sl__doc_cols){.id = -1,
				      .name = 0,
				      .environment = 1,
				      .target = 2,
				      .doc = 3,
				      .rank = -1},
		out);
}

/* ---- events ---- */

enum sl_err sl_store_event_insert(struct sl_tx *tx, int64_t deployment_id,
				  int64_t at, const char *doc, int64_t *id,
				  int64_t *seq, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "INSERT INTO deployment_events (deployment_id, seq,"
			   " at, doc) VALUES ($1, (SELECT COALESCE(MAX(seq),"
			   " 0) + 1 FROM deployment_events WHERE"
			   " deployment_id = $1), $2, $3) RETURNING id, seq",
			   &rows, NULL, err, SL_P_INT(deployment_id),
			   SL_P_INT(at), SL_P_TEXT(doc));

	if (rc)
		return rc;
	SL_ASSERT(rows.nrows == 1);
	*id = sl_db_int(&rows, 0, 0);
	*seq = sl_db_int(&rows, 0, 1);
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_event_set_doc(struct sl_tx *tx, int64_t id,
				   const char *doc, struct sl_error *err)
{
	return Q(tx, "UPDATE deployment_events SET doc = $2 WHERE id = $1",
		 NULL, NULL, err, SL_P_INT(id), SL_P_TEXT(doc));
}

enum sl_err sl_store_event_list(struct sl_tx *tx, int64_t deployment_id,
				struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_docs(Q(tx,
				"SELECT id, doc FROM deployment_events"
				" WHERE deployment_id = $1 ORDER BY seq",
				&rows, NULL, err, SL_P_INT(deployment_id)),
			      &rows, SL_COLS_ID_DOC, out);
}

void sl_progress_fini(struct sl_progress *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].environment);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

enum sl_err sl_store_deployment_quiet(struct sl_tx *tx, int64_t before_us,
				      int64_t limit, struct sl_progress *out,
				      struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc =
		Q(tx,
		  "SELECT id, environment, updated_at FROM deployments"
		  " WHERE status = 'in_progress' AND updated_at < $1"
		  " ORDER BY updated_at LIMIT $2",
		  &rows, NULL, err, SL_P_INT(before_us), SL_P_INT(limit));

	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows.nrows) {
		out->v = sl_xcalloc(rows.nrows, sizeof(*out->v));
		for (size_t i = 0; i < rows.nrows; i++) {
			out->v[i].id = sl_db_int(&rows, i, 0);
			out->v[i].environment =
				sl_xstrdup(sl_db_text(&rows, i, 1));
			out->v[i].updated_at = sl_db_int(&rows, i, 2);
		}
		out->n = rows.nrows;
	}
	sl_db_rows_fini(&rows);
	return rc;
}
