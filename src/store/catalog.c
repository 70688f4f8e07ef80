/* catalog.c - services and environments: objects named by a slug. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* ---- services ---- */

static enum sl_err service_tags(struct sl_tx *tx, const char *name,
				const struct sl_tag *tags, size_t ntags,
				struct sl_error *err)
{
	return sl__store_put_tags(
		tx, "DELETE FROM service_tags WHERE service = $1",
		"INSERT INTO service_tags (service, key, value)"
		" VALUES ($1, $2, $3)",
		SL_P_TEXT(name), tags, ntags, err);
}

enum sl_err sl_store_service_insert(struct sl_tx *tx, const char *name,
				    int64_t now, const char *doc,
				    const struct sl_tag *tags, size_t ntags,
				    struct sl_error *err)
{
	enum sl_err rc = QG(tx,
			    "INSERT INTO services"
			    " (name, revision, created_at, updated_at, doc)"
			    " VALUES ($1, 1, $2, $2, $3)",
			    NULL, NULL, err, SL_P_TEXT(name), SL_P_INT(now),
			    SL_P_TEXT(doc));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "name",
				    "service '%s' already exists", name);
	return rc ? rc : service_tags(tx, name, tags, ntags, err);
}

enum sl_err sl_store_service_get(struct sl_tx *tx, const char *name, char **doc,
				 int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx, "SELECT doc, revision FROM services WHERE name = $1",
		(const struct sl_db_val[]){SL_P_TEXT(name)}, 1, doc, revision,
		"service", err);
}

enum sl_err sl_store_service_update(struct sl_tx *tx, const char *name,
				    int64_t expected_revision, int64_t now,
				    const char *doc, const struct sl_tag *tags,
				    size_t ntags, struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc =
		Q(tx,
		  "UPDATE services SET revision = revision + 1,"
		  " updated_at = $3, doc = $4"
		  " WHERE name = $1 AND revision = $2",
		  NULL, &changes, err, SL_P_TEXT(name),
		  SL_P_INT(expected_revision), SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_OK)
		rc = sl__store_check_revision(
			tx, changes,
			"SELECT COUNT(*) FROM services WHERE name = $1",
			SL_P_TEXT(name), "service", err);
	return rc ? rc : service_tags(tx, name, tags, ntags, err);
}

enum sl_err sl_store_service_delete(struct sl_tx *tx, const char *name,
				    struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx, "DELETE FROM services WHERE name = $1", NULL,
			   &changes, err, SL_P_TEXT(name));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "", "service not found");
	return rc;
}

enum sl_err sl_store_service_list(struct sl_tx *tx, const struct sl_filter *f,
				  struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	static const struct sl__clause cl[] = {
		{"s.name > $#", 1},
		{"EXISTS (SELECT 1 FROM service_tags t WHERE t.service = s.name"
		 " AND t.key = $# AND t.value = $#)",
		 2},
	};
	const struct sl_db_val vals[] = {
		SL_P_TEXT(f->cursor_name),
		SL_P_TEXT(f->tag_key),
		SL_P_TEXT(f->tag_value),
	};

	return sl__store_docs(
		sl__store_list(tx, LIST_SERVICES,
			       "SELECT s.name, s.doc FROM services s", cl, 2,
			       vals, "ORDER BY s.name LIMIT", f->limit, &rows,
			       err),
		&rows, SL_COLS_NAME_DOC, out);
}

/* ---- environments ---- */

enum sl_err sl_store_environment_insert(struct sl_tx *tx, const char *name,
					int64_t rank, int64_t now,
					const char *doc, struct sl_error *err)
{
	enum sl_err rc = QG(tx,
			    "INSERT INTO environments (name, rank, revision,"
			    " created_at, updated_at, doc)"
			    " VALUES ($1, $2, 1, $3, $3, $4)",
			    NULL, NULL, err, SL_P_TEXT(name), SL_P_INT(rank),
			    SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "name",
				    "environment '%s' already exists", name);
	return rc;
}

enum sl_err sl_store_environment_get(struct sl_tx *tx, const char *name,
				     char **doc, int64_t *revision,
				     struct sl_error *err)
{
	return sl__store_one_text(tx,
				  "SELECT doc, revision FROM environments"
				  " WHERE name = $1",
				  (const struct sl_db_val[]){SL_P_TEXT(name)},
				  1, doc, revision, "environment", err);
}

enum sl_err sl_store_environment_update(struct sl_tx *tx, const char *name,
					int64_t expected_revision, int64_t rank,
					int64_t now, const char *doc,
					struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx,
			   "UPDATE environments SET revision = revision + 1,"
			   " rank = $3, updated_at = $4, doc = $5"
			   " WHERE name = $1 AND revision = $2",
			   NULL, &changes, err, SL_P_TEXT(name),
			   SL_P_INT(expected_revision), SL_P_INT(rank),
			   SL_P_INT(now), SL_P_TEXT(doc));

	if (rc)
		return rc;
	return sl__store_check_revision(
		tx, changes,
		"SELECT COUNT(*) FROM environments WHERE name = $1",
		SL_P_TEXT(name), "environment", err);
}

enum sl_err sl_store_environment_delete(struct sl_tx *tx, const char *name,
					struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx, "DELETE FROM environments WHERE name = $1", NULL,
			   &changes, err, SL_P_TEXT(name));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "",
				  "environment not found");
	return rc;
}

enum sl_err sl_store_environment_list(struct sl_tx *tx, struct sl_docs *out,
				      struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_docs(sl__store_run(tx,
					    "SELECT name, doc FROM "
					    "environments ORDER BY rank, name",
					    NULL, 0, &rows, NULL, err),
			      &rows, SL_COLS_NAME_DOC, out);
}

enum sl_err sl_store_environment_page(struct sl_tx *tx,
				      const struct sl_filter *f,
				      struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	/* The name comes first: it says whether the clause is in use (a
	 * rank may be 0). */
	static const struct sl__clause cl[] = {
		{"((name > $# AND rank = $#) OR rank > $#)", 3},
	};
	const struct sl_db_val vals[] = {
		SL_P_TEXT(f->cursor_name),
		SL_P_INT(f->cursor_rank),
		SL_P_INT(f->cursor_rank),
	};

	return sl__store_docs(
		sl__store_list(tx, LIST_ENVIRONMENTS,
			       "SELECT name, doc, rank FROM environments", cl,
			       1, vals, "ORDER BY rank, name LIMIT", f->limit,
			       &rows, err),
		&rows,
		(struct sl__doc_cols){.id = -1,
				      .name = 0,
				      .environment = -1,
				      .target = -1,
				      .doc = 1,
				      .rank = 2},
		out);
}

enum sl_err sl_store_environment_max_rank(struct sl_tx *tx, int64_t *rank,
					  struct sl_error *err)
{
	return sl__store_one_int(
		tx, "SELECT COALESCE(MAX(rank), 0) FROM environments", NULL, 0,
		rank, "environment", err);
}
