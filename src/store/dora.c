/* dora.c - the compact rows delivery metrics are computed from.
 *
 * A whole organisation's year is a million deployments: the metrics read
 * one narrow row per deployment from a covering index (migration 15),
 * never the documents, and the incidents' causes in a query of their own
 * that the caller joins by id. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define DEP_WHERE                                                              \
	" WHERE d.environment = $1 AND d.created_at >= $2"                     \
	" AND d.created_at < $3 AND ($4 = '' OR d.service = $4)"               \
	" AND ($5 = '' OR EXISTS (SELECT 1 FROM release_tags t"                \
	" WHERE t.release_id = d.release_id AND t.key = $5"                    \
	" AND t.value = $6))"

/* Every column read is in deployments_dora (migration 15): neither the
 * documents nor the releases are read. */
static const char dep_sql[] =
	"SELECT d.id, d.service, d.status, d.created_at, d.release_type,"
	" d.commit_at, d.started_us, d.finished_us, d.rollback_of,"
	" d.succeeded_us"
	" FROM deployments d" DEP_WHERE;

/* Moves a text cell into *dst (NULL stays NULL). */
static char *take(char **cell)
{
	char *s = *cell;

	*cell = NULL;
	return s;
}

static int64_t num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

enum sl_err sl_store_dora_rows(struct sl_tx *tx, const char *environment,
			       int64_t since, int64_t until,
			       const char *service, const char *tag_key,
			       const char *tag_value, struct sl_dora_rows *out,
			       struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx, dep_sql, &rows, NULL, err,
			   SL_P_TEXT(environment), SL_P_INT(since),
			   SL_P_INT(until), SL_P_TEXT(service ? service : ""),
			   SL_P_TEXT(tag_key ? tag_key : ""),
			   SL_P_TEXT(tag_value ? tag_value : ""));

	if (rc)
		return rc;
	if (rows.nrows) {
		size_t base = out->n;

		out->v = sl_xrealloc(out->v,
				     (out->n + rows.nrows) * sizeof(*out->v));
		for (size_t i = 0; i < rows.nrows; i++) {
			char **c = &rows.cells[i * rows.ncols];
			struct sl_dora_row *w = &out->v[base + i];

			memset(w, 0, sizeof(*w));
			w->id = num(c[0]);
			w->service = take(&c[1]);
			w->environment = sl_xstrdup(environment);
			w->status = take(&c[2]);
			w->created_at = num(c[3]);
			w->release_type = take(&c[4]);
			w->commit_at = num(c[5]);
			w->started_at = num(c[6]);
			w->finished_at = num(c[7]);
			w->rollback_of = num(c[8]);
			w->succeeded_at = num(c[9]);
		}
		out->n += rows.nrows;
	}
	sl_db_rows_fini(&rows);
	return SL_OK;
}

void sl_dora_rows_fini(struct sl_dora_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct sl_dora_row *w = &r->v[i];

		free(w->service);
		free(w->environment);
		free(w->status);
		free(w->release_type);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* Pairs (deployment id, a, b) from a query, appended to out. */
static enum sl_err pairs(enum sl_err rc, struct sl_db_rows *rows,
			 struct sl_dora_facts *out)
{
	if (rc)
		return rc;
	out->v = sl_xrealloc(out->v,
			     (out->n + rows->nrows + 1) * sizeof(*out->v));
	for (size_t i = 0; i < rows->nrows; i++) {
		char **c = &rows->cells[i * rows->ncols];
		struct sl_dora_fact *f = &out->v[out->n++];

		f->id = num(c[0]);
		f->a = num(c[1]);
		f->b = rows->ncols > 2 ? num(c[2]) : 0;
		f->b_null = rows->ncols > 2 && !c[2];
	}
	sl_db_rows_fini(rows);
	return SL_OK;
}

enum sl_err sl_store_dora_causes(struct sl_tx *tx, struct sl_dora_facts *out,
				 struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	/* An open incident's NULL resolution sorts first in neither engine
	 * the same way, so each cause comes as its own row and the caller
	 * keeps the earliest start. */
	return pairs(sl__store_run(tx,
				   "SELECT c.deployment_id, i.started_at,"
				   " i.resolved_at FROM incident_causes c"
				   " JOIN incidents i ON i.key = c.incident"
				   " ORDER BY c.deployment_id, i.started_at",
				   NULL, 0, &rows, NULL, err),
		     &rows, out);
}

void sl_dora_facts_fini(struct sl_dora_facts *f)
{
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
