/* archive.c - retention: moving finished records out of the live tables
 * into an archive, and back. The audit log (entries, tiles, checkpoints)
 * is never touched here: proofs over archived objects' entries hold. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include <stdio.h>

/* The deployments an archive took, as ids. */
#define TAKEN(kind)                                                            \
	"(SELECT CAST(object_id AS BIGINT) FROM archived_objects"              \
	" WHERE archive_id = $1 AND kind = '" kind "')"

static const char *const rel_cols[] = {
	"id",	"service",  "version",	  "sortkey",	"status",
	"type", "revision", "created_at", "updated_at", "doc"};
static const char *const tag_cols[] = {"release_id", "key", "value"};
static const char *const appr_cols[] = {
	"id",		"release_id", "environment",
	"approver",	"grp",	      "decision",
	"at",		"expires_at", "artifacts_digest",
	"withdrawn_at", "doc",	      "voided_at"};
static const char *const check_cols[] = {"release_id", "environment", "item",
					 "at", "doc"};
static const char *const dep_cols[] = {
	"id",	  "release_id", "service",    "environment", "target",
	"status", "revision",	"created_at", "updated_at",  "doc"};
static const char *const event_cols[] = {"id", "deployment_id", "seq", "at",
					 "doc"};
static const char *const verif_cols[] = {
	"deployment_id", "state", "next_at", "created_at", "updated_at", "doc"};
static const char *const link_cols[] = {"receiver", "external_id",
					"deployment_id"};
static const char *const delivery_cols[] = {"id", "receiver", "delivery_id",
					    "at", "body",     "doc"};
static const char *const notif_cols[] = {
	"id",	      "delivery_key", "subscription", "event",
	"status",     "attempts",     "next_at",      "created_at",
	"updated_at", "sent_at",      "last_error",   "payload"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct sl_archive_table sl_store_archive_tables[] = {
	{"release", rel_cols, "itttttiiit", N(rel_cols)},
	{"release_tag", tag_cols, "itt", N(tag_cols)},
	{"approval", appr_cols, "iittttiititi", N(appr_cols)},
	{"checklist_item", check_cols, "ittit", N(check_cols)},
	{"deployment", dep_cols, "iittttiiit", N(dep_cols)},
	{"event", event_cols, "iiiit", N(event_cols)},
	{"verification", verif_cols, "itiiit", N(verif_cols)},
	{"hook_link", link_cols, "tti", N(link_cols)},
	{"delivery", delivery_cols, "ittitt", N(delivery_cols)},
	{"notification", notif_cols, "itttttiiiitt", N(notif_cols)},
};
const size_t sl_store_archive_ntables = N(sl_store_archive_tables);

/* Per table, in the order above: which of its rows an archive ($1)
 * took, deleting them, and putting one back. Each a static text: the
 * drivers keep prepared statements by the text's address. */
#define COLS_DEP                                                               \
	"id, release_id, service, environment, target, status, revision,"      \
	" created_at, updated_at, doc"
#define COLS_EVENT "id, deployment_id, seq, at, doc"
#define COLS_VERIF "deployment_id, state, next_at, created_at, updated_at, doc"
#define COLS_LINK  "receiver, external_id, deployment_id"
#define COLS_DELIV "id, receiver, delivery_id, at, body, doc"
#define COLS_NOTIF                                                             \
	"id, delivery_key, subscription, event, status, attempts, next_at,"    \
	" created_at, updated_at, sent_at, last_error, payload"
#define BY_DEP "deployment_id IN " TAKEN("deployment")
#define BY_REL "release_id IN " TAKEN("release")
#define COLS_REL                                                               \
	"id, service, version, sortkey, status, type, revision, created_at,"   \
	" updated_at, doc"
#define COLS_APPR                                                              \
	"id, release_id, environment, approver, grp, decision, at,"            \
	" expires_at, artifacts_digest, withdrawn_at, doc, voided_at"
#define P6 "$1, $2, $3, $4, $5, $6"

static const struct {
	const char *select, *delete, *insert;
} live[] = {
	{"SELECT " COLS_REL
	 " FROM releases WHERE id IN " TAKEN("release") " ORDER BY id",
	 "DELETE FROM releases WHERE id IN " TAKEN("release"),
	 "INSERT INTO releases (" COLS_REL ") VALUES (" P6
	 ", $7, $8, $9, $10) ON CONFLICT DO NOTHING"},
	{"SELECT release_id, key, value FROM release_tags WHERE " BY_REL
	 " ORDER BY release_id, key",
	 "DELETE FROM release_tags WHERE " BY_REL,
	 "INSERT INTO release_tags (release_id, key, value) VALUES"
	 " ($1, $2, $3) ON CONFLICT DO NOTHING"},
	{"SELECT " COLS_APPR " FROM approvals WHERE " BY_REL " ORDER BY id",
	 "DELETE FROM approvals WHERE " BY_REL,
	 "INSERT INTO approvals (" COLS_APPR ") VALUES (" P6
	 ", $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING"},
	{"SELECT release_id, environment, item, at, doc FROM checklist_done"
	 " WHERE " BY_REL " ORDER BY release_id, environment, item",
	 "DELETE FROM checklist_done WHERE " BY_REL,
	 "INSERT INTO checklist_done (release_id, environment, item, at, doc)"
	 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"},
	{"SELECT " COLS_DEP
	 " FROM deployments WHERE id IN " TAKEN("deployment") " ORDER BY id",
	 "DELETE FROM deployments WHERE id IN " TAKEN("deployment"),
	 "INSERT INTO deployments (" COLS_DEP ") VALUES (" P6
	 ", $7, $8, $9, $10) ON CONFLICT DO NOTHING"},
	{"SELECT " COLS_EVENT " FROM deployment_events WHERE " BY_DEP
	 " ORDER BY id",
	 "DELETE FROM deployment_events WHERE " BY_DEP,
	 "INSERT INTO deployment_events (" COLS_EVENT ") VALUES"
	 " ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"},
	{"SELECT " COLS_VERIF " FROM verifications WHERE " BY_DEP
	 " ORDER BY deployment_id",
	 "DELETE FROM verifications WHERE " BY_DEP,
	 "INSERT INTO verifications (" COLS_VERIF ") VALUES (" P6
	 ") ON CONFLICT DO NOTHING"},
	{"SELECT " COLS_LINK " FROM hook_links WHERE " BY_DEP
	 " ORDER BY receiver, external_id",
	 "DELETE FROM hook_links WHERE " BY_DEP,
	 "INSERT INTO hook_links (" COLS_LINK ") VALUES ($1, $2, $3)"
	 " ON CONFLICT DO NOTHING"},
	{"SELECT " COLS_DELIV
	 " FROM deliveries WHERE id IN " TAKEN("delivery") " ORDER BY id",
	 "DELETE FROM deliveries WHERE id IN " TAKEN("delivery"),
	 "INSERT INTO deliveries (" COLS_DELIV ") VALUES (" P6
	 ") ON CONFLICT DO NOTHING"},
	{"SELECT " COLS_NOTIF " FROM notifications WHERE id IN " TAKEN(
		 "notification") " ORDER BY id",
	 "DELETE FROM notifications WHERE id IN " TAKEN("notification"),
	 "INSERT INTO notifications (" COLS_NOTIF ") VALUES (" P6
	 ", $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING"},
};

enum sl_err sl_store_archive_candidates(struct sl_tx *tx, int64_t before,
					struct sl_archive_cand **out, size_t *n,
					struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc;

	*out = NULL;
	*n = 0;
	rc = Q(tx,
	       "SELECT d.id, d.status,"
	       " (SELECT COUNT(*) FROM placements p WHERE p.latest_id = d.id"
	       " OR p.running_id = d.id),"
	       " (SELECT COUNT(*) FROM incident_causes c"
	       " WHERE c.deployment_id = d.id)"
	       " + (SELECT COUNT(*) FROM reviews v"
	       " WHERE v.deployment_id = d.id)"
	       " FROM deployments d WHERE d.updated_at < $1 ORDER BY d.id",
	       &rows, NULL, err, SL_P_INT(before));
	if (rc)
		return rc;
	if (rows.nrows)
		*out = sl_xcalloc(rows.nrows, sizeof(**out));
	for (size_t i = 0; i < rows.nrows; i++) {
		struct sl_archive_cand *c = &(*out)[i];
		const char *s = sl_db_text(&rows, i, 1);

		c->id = sl_db_int(&rows, i, 0);
		snprintf(c->status, sizeof(c->status), "%s", s ? s : "");
		c->current = sl_db_int(&rows, i, 2) > 0;
		c->held = sl_db_int(&rows, i, 3) > 0;
	}
	*n = rows.nrows;
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_archive_release_candidates(struct sl_tx *tx, int64_t id,
						int64_t before,
						struct sl_archive_cand **out,
						size_t *n, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc;

	*out = NULL;
	*n = 0;
	rc = Q(tx,
	       "SELECT r.id, r.status,"
	       " (SELECT COUNT(*) FROM deployments d WHERE d.release_id = r.id"
	       " AND d.id NOT IN " TAKEN(
		       "deployment") "),"
				     " (SELECT COUNT(*) FROM incident_releases "
				     "i"
				     " WHERE i.release_id = r.id)"
				     " FROM releases r WHERE r.updated_at < $2 "
				     "ORDER BY r.id",
	       &rows, NULL, err, SL_P_INT(id), SL_P_INT(before));
	if (rc)
		return rc;
	if (rows.nrows)
		*out = sl_xcalloc(rows.nrows, sizeof(**out));
	for (size_t i = 0; i < rows.nrows; i++) {
		struct sl_archive_cand *c = &(*out)[i];
		const char *st = sl_db_text(&rows, i, 1);

		c->id = sl_db_int(&rows, i, 0);
		snprintf(c->status, sizeof(c->status), "%s", st ? st : "");
		c->current = sl_db_int(&rows, i, 2) > 0;
		c->held = sl_db_int(&rows, i, 3) > 0;
	}
	*n = rows.nrows;
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_archive_take_release(struct sl_tx *tx, int64_t id,
					  int64_t rel_id, struct sl_error *err)
{
	/* By id, and by service and version (as its sort key), the two
	 * ways GET /v1/releases/{ref} finds it. */
	return Q(tx,
		 "INSERT INTO archived_objects (kind, object_id, archive_id)"
		 " SELECT 'release', CAST(id AS TEXT), $1 FROM releases"
		 " WHERE id = $2 UNION ALL"
		 " SELECT 'release_key', service || '@' || sortkey, $1"
		 " FROM releases WHERE id = $2",
		 NULL, NULL, err, SL_P_INT(id), SL_P_INT(rel_id));
}

enum sl_err sl_store_archive_open(struct sl_tx *tx, int64_t before, int64_t now,
				  uint64_t tree_size, int64_t *id,
				  struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"INSERT INTO archives (before, created_at, tree_size, sha256,"
		" counts) VALUES ($1, $2, $3, '', '{}') RETURNING id",
		P(SL_P_INT(before), SL_P_INT(now), SL_P_INT(tree_size)), id,
		"archive", err);
}

enum sl_err sl_store_archive_take_deployment(struct sl_tx *tx, int64_t id,
					     int64_t dep_id,
					     struct sl_error *err)
{
	char buf[24];
	const char *key = buf;

	snprintf(buf, sizeof(buf), "%lld", (long long)dep_id);
	return Q(tx,
		 "INSERT INTO archived_objects (kind, object_id, archive_id)"
		 " VALUES ('deployment', $2, $1)",
		 NULL, NULL, err, SL_P_INT(id), SL_P_TEXT(key));
}

enum sl_err sl_store_archive_take_rest(struct sl_tx *tx, int64_t id,
				       int64_t before, struct sl_error *err)
{
	enum sl_err rc;

	rc = Q(tx,
	       "INSERT INTO archived_objects (kind, object_id, archive_id)"
	       " SELECT 'delivery', CAST(id AS TEXT), $1 FROM deliveries"
	       " WHERE at < $2",
	       NULL, NULL, err, SL_P_INT(id), SL_P_INT(before));
	if (rc == SL_OK)
		rc = Q(tx,
		       "INSERT INTO archived_objects (kind, object_id,"
		       " archive_id) SELECT 'notification', CAST(id AS TEXT),"
		       " $1 FROM notifications WHERE status = 'sent'"
		       " AND updated_at < $2",
		       NULL, NULL, err, SL_P_INT(id), SL_P_INT(before));
	return rc;
}

enum sl_err sl_store_archive_rows(struct sl_tx *tx, int64_t id, size_t t,
				  struct sl_db_rows *out, struct sl_error *err)
{
	SL_ASSERT(t < sl_store_archive_ntables);
	return sl__store_run(tx, live[t].select, P(SL_P_INT(id)), out, NULL,
			     err);
}

enum sl_err sl_store_archive_remove(struct sl_tx *tx, int64_t id,
				    struct sl_error *err)
{
	enum sl_err rc = SL_OK;

	/* Children before their deployments. */
	for (size_t t = sl_store_archive_ntables; t-- > 0 && rc == SL_OK;)
		rc = sl__store_run(tx, live[t].delete, P(SL_P_INT(id)), NULL,
				   NULL, err);
	return rc;
}

enum sl_err sl_store_archive_seal(struct sl_tx *tx, int64_t id,
				  const char *sha256, const char *counts,
				  struct sl_error *err)
{
	return Q(tx,
		 "UPDATE archives SET sha256 = $2, counts = $3 WHERE id = $1",
		 NULL, NULL, err, SL_P_INT(id), SL_P_TEXT(sha256),
		 SL_P_TEXT(counts));
}

enum sl_err sl_store_archive_find(struct sl_tx *tx, const char *kind,
				  const char *object_id, int64_t *archive_id,
				  int64_t *before, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc;

	rc = Q(tx,
	       "SELECT a.id, a.before FROM archived_objects o"
	       " JOIN archives a ON a.id = o.archive_id"
	       " WHERE o.kind = $1 AND o.object_id = $2",
	       &rows, NULL, err, SL_P_TEXT(kind), SL_P_TEXT(object_id));
	if (rc)
		return rc;
	if (rows.nrows == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL, "%s %s not archived",
				  kind, object_id);
	else {
		*archive_id = sl_db_int(&rows, 0, 0);
		*before = sl_db_int(&rows, 0, 1);
	}
	sl_db_rows_fini(&rows);
	return rc;
}

enum sl_err sl_store_archive_by_digest(struct sl_tx *tx, const char *sha256,
				       int64_t *id, int64_t *restored_at,
				       struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc;

	rc = Q(tx, "SELECT id, restored_at FROM archives WHERE sha256 = $1",
	       &rows, NULL, err, SL_P_TEXT(sha256));
	if (rc)
		return rc;
	if (rows.nrows == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL,
				  "no archive has this digest");
	else {
		*id = sl_db_int(&rows, 0, 0);
		*restored_at = sl_db_int(&rows, 0, 1);
	}
	sl_db_rows_fini(&rows);
	return rc;
}

enum sl_err sl_store_archive_put_row(struct sl_tx *tx, size_t t,
				     const char *const *cells,
				     struct sl_error *err)
{
	const struct sl_archive_table *a = &sl_store_archive_tables[t];
	struct sl_db_val p[16];

	SL_ASSERT(t < sl_store_archive_ntables && a->ncols <= 16);
	for (size_t i = 0; i < a->ncols; i++) {
		if (!cells[i])
			p[i] = SL_P_NULL;
		else if (a->types[i] == 'i')
			p[i] = SL_P_INT(strtoll(cells[i], NULL, 10));
		else
			p[i] = SL_P_TEXT(cells[i]);
	}
	{
		int64_t changes = 0;
		enum sl_err rc = sl__store_run(tx, live[t].insert, p, a->ncols,
					       NULL, &changes, err);

		/* The archive is not restored, so its rows are not live: one
		 * already there means something new took its key since. */
		if (rc == SL_OK && changes == 0)
			rc = sl_error_set(
				err, SL_ECONFLICT, "body",
				"a %s of the archive (%s %s) conflicts "
				"with one written since",
				a->kind, a->cols[0],
				cells[0] ? cells[0] : "null");
		return rc;
	}
}

enum sl_err sl_store_archive_restored(struct sl_tx *tx, int64_t id, int64_t now,
				      struct sl_error *err)
{
	enum sl_err rc;

	rc = Q(tx, "DELETE FROM archived_objects WHERE archive_id = $1", NULL,
	       NULL, err, SL_P_INT(id));
	if (rc == SL_OK)
		rc = Q(tx, "UPDATE archives SET restored_at = $2 WHERE id = $1",
		       NULL, NULL, err, SL_P_INT(id), SL_P_INT(now));
	return rc;
}

enum sl_err sl_store_archive_watermark(struct sl_tx *tx, int64_t *before,
				       struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc;

	rc = sl__store_run(tx,
			   "SELECT COALESCE(MAX(before), 0) FROM archives"
			   " WHERE restored_at IS NULL AND sha256 <> ''",
			   NULL, 0, &rows, NULL, err);
	if (rc)
		return rc;
	*before = rows.nrows ? sl_db_int(&rows, 0, 0) : 0;
	sl_db_rows_fini(&rows);
	return SL_OK;
}
