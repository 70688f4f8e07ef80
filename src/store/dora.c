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
 * documents nor the releases are read. Each row comes as one text, its
 * fields joined by commas (the service, a slug, last), because a million
 * rows of ten cells each cost more in allocating the cells than in
 * reading them. */
static const char dep_sql[] =
	"SELECT d.id || ',' || d.created_at || ',' || COALESCE(d.started_us,"
	" 0) || ',' || COALESCE(d.finished_us, 0) || ',' ||"
	" COALESCE(d.succeeded_us, 0) || ',' || COALESCE(d.rollback_of, 0)"
	" || ',' || COALESCE(d.commit_at, 0) || ',' || d.status || ',' ||"
	" COALESCE(d.release_type, '') || ',' || d.service"
	" FROM deployments d" DEP_WHERE;

static int64_t num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

/* The next comma-ended integer of *p (moved past the comma). */
static int64_t field_int(char **p)
{
	char *s = *p;
	int neg = *s == '-';
	int64_t v = 0;

	s += neg;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	if (*s == ',')
		s++;
	*p = s;
	return neg ? -v : v;
}

/* The next comma-ended text of *p, ended in place with a NUL. */
static char *field_text(char **p)
{
	char *s = *p, *e = strchr(s, ',');

	if (e) {
		*e = '\0';
		*p = e + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
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
	char *env;

	if (rc)
		return rc;
	/* The rows point into their texts, which out keeps. */
	out->bufs = sl_xrealloc(out->bufs, (out->nbufs + 2) * sizeof(char *));
	out->bufs[out->nbufs++] = env = sl_xstrdup(environment);
	out->bufs[out->nbufs++] = (char *)rows.cells;
	out->v = sl_xrealloc(out->v,
			     (out->n + rows.nrows + 1) * sizeof(*out->v));
	for (size_t i = 0; i < rows.nrows; i++) {
		char *p = rows.cells[i];
		struct sl_dora_row *w = &out->v[out->n];

		if (!p)
			continue;
		w->id = field_int(&p);
		w->created_at = field_int(&p);
		w->started_at = field_int(&p);
		w->finished_at = field_int(&p);
		w->succeeded_at = field_int(&p);
		w->rollback_of = field_int(&p);
		w->commit_at = field_int(&p);
		w->status = field_text(&p);
		w->release_type = field_text(&p);
		w->service = p;
		w->environment = env;
		out->n++;
	}
	/* The cells are now out's; the row set gives up its array. */
	out->cells_n =
		sl_xrealloc(out->cells_n, out->nbufs * sizeof(*out->cells_n));
	out->cells_n[out->nbufs - 1] = rows.nrows;
	out->cells_n[out->nbufs - 2] = 0;
	return SL_OK;
}

void sl_dora_rows_fini(struct sl_dora_rows *r)
{
	for (size_t i = 0; i < r->nbufs; i++) {
		if (r->cells_n && r->cells_n[i]) {
			char **cells = (char **)r->bufs[i];

			for (size_t k = 0; k < r->cells_n[i]; k++)
				free(cells[k]);
		}
		free(r->bufs[i]);
	}
	free(r->bufs);
	free(r->cells_n);
	free(r->v);
	memset(r, 0, sizeof(*r));
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

/* ---- gate refusals ---- */

enum sl_err sl_store_gate_refusal_add(struct sl_tx *tx, int64_t at,
				      const char *environment,
				      const char *service, int64_t release_id,
				      const char *checks, const char *actor,
				      struct sl_error *err)
{
	return Q(tx,
		 "INSERT INTO gate_refusals (at, environment, service,"
		 " release_id, checks, actor) VALUES ($1, $2, $3, $4, $5, $6)",
		 NULL, NULL, err, SL_P_INT(at), SL_P_TEXT(environment),
		 SL_P_TEXT(service), SL_P_INT(release_id), SL_P_TEXT(checks),
		 SL_P_TEXT(actor));
}

void sl_dora_gate_rows_fini(struct sl_dora_gate_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].service);
		free(r->v[i].checks);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

#define TAG_OF(rel)                                                            \
	" AND ($5 = '' OR EXISTS (SELECT 1 FROM release_tags t"                \
	" WHERE t.release_id = " rel " AND t.key = $5 AND t.value = $6))"

/* Moves the cells of rows (at, created, refused, service, checks) to out. */
static void gate_rows(struct sl_db_rows *rows, struct sl_dora_gate_rows *out)
{
	out->v = sl_xrealloc(out->v,
			     (out->n + rows->nrows + 1) * sizeof(*out->v));
	for (size_t i = 0; i < rows->nrows; i++) {
		char **c = &rows->cells[i * rows->ncols];
		struct sl_dora_gate_row *g = &out->v[out->n++];

		g->at = num(c[0]);
		g->created_at = num(c[1]);
		g->refused_at = num(c[2]);
		g->service = c[3];
		g->checks = c[4];
		c[3] = c[4] = NULL;
	}
	sl_db_rows_fini(rows);
}

enum sl_err
sl_store_dora_gates(struct sl_tx *tx, const char *environment, int64_t since,
		    int64_t until, const char *service, const char *tag_key,
		    const char *tag_value, struct sl_dora_gate_rows *refusals,
		    struct sl_dora_gate_rows *approvals, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc;

	rc = Q(tx,
	       "SELECT g.at, 0, 0, g.service, g.checks FROM gate_refusals g"
	       " WHERE g.environment = $1 AND g.at >= $2 AND g.at < $3"
	       " AND ($4 = '' OR g.service = $4)" TAG_OF("g.release_id"),
	       &rows, NULL, err, SL_P_TEXT(environment), SL_P_INT(since),
	       SL_P_INT(until), SL_P_TEXT(service ? service : ""),
	       SL_P_TEXT(tag_key ? tag_key : ""),
	       SL_P_TEXT(tag_value ? tag_value : ""));
	if (rc)
		return rc;
	gate_rows(&rows, refusals);
	/* The first refusal naming approvals, whenever it was: the core
	 * keeps it only when it came before the approval. */
	rc = Q(tx,
	       "SELECT a.at, r.created_at, COALESCE((SELECT MIN(g.at)"
	       " FROM gate_refusals g WHERE g.release_id = a.release_id"
	       " AND g.environment = a.environment"
	       " AND (',' || g.checks || ',') LIKE '%,approvals,%'), 0),"
	       " r.service, NULL FROM approvals a"
	       " JOIN releases r ON r.id = a.release_id"
	       " WHERE a.environment = $1 AND a.decision = 'approve'"
	       " AND a.at >= $2 AND a.at < $3"
	       " AND ($4 = '' OR r.service = $4)" TAG_OF("a.release_id"),
	       &rows, NULL, err, SL_P_TEXT(environment), SL_P_INT(since),
	       SL_P_INT(until), SL_P_TEXT(service ? service : ""),
	       SL_P_TEXT(tag_key ? tag_key : ""),
	       SL_P_TEXT(tag_value ? tag_value : ""));
	if (rc)
		return rc;
	gate_rows(&rows, approvals);
	return SL_OK;
}
