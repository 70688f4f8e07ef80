/* query.c - what the store's query files share: filtered list queries,
 * tag sets, revision-guarded updates and optional one-row reads. */
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

static pthread_mutex_t variants_lock = PTHREAD_MUTEX_INITIALIZER;
static char *variants[LIST__COUNT][1 << MAX_CLAUSES];

/* Returns the SQL for query with the clauses in mask. Never freed. */
static const char *variant(int query, const char *head,
			   const struct sl__clause *cl, size_t ncl,
			   const char *tail, unsigned mask)
{
	char *text;
	size_t cap, len;
	int next = 1;

	SL_ASSERT(ncl <= MAX_CLAUSES && mask < (1u << ncl));
	pthread_mutex_lock(&variants_lock);
	text = variants[query][mask];
	if (text)
		goto out;
	cap = strlen(head) + strlen(tail) + 64;
	for (size_t i = 0; i < ncl; i++)
		cap += strlen(cl[i].sql) + 16;
	text = sl_xmalloc(cap);
	len = (size_t)snprintf(text, cap, "%s WHERE 1 = 1", head);
	for (size_t i = 0; i < ncl; i++) {
		const char *p = cl[i].sql;

		if (!(mask & (1u << i)))
			continue;
		len += (size_t)snprintf(text + len, cap - len, " AND ");
		while (*p) {
			if (p[0] == '$' && p[1] == '#') {
				len += (size_t)snprintf(text + len, cap - len,
							"$%d", next++);
				p += 2;
			} else {
				text[len++] = *p++;
			}
		}
		text[len] = '\0';
	}
	snprintf(text + len, cap - len, " %s $%d", tail, next);
	variants[query][mask] = text;
out:
	pthread_mutex_unlock(&variants_lock);
	return text;
}

/* Runs a list query: the clauses whose values are present (a non-NULL
 * text or a non-zero integer) join the SQL and the parameters, then the
 * limit. vals holds each clause's parameters in order. */
enum sl_err sl__store_list(struct sl_tx *tx, int query, const char *head,
			   const struct sl__clause *cl, size_t ncl,
			   const struct sl_db_val *vals, const char *tail,
			   int limit, struct sl_db_rows *out,
			   struct sl_error *err)
{
	struct sl_db_val p[2 * MAX_CLAUSES + 1];
	unsigned mask = 0;
	size_t np = 0, v = 0;

	for (size_t i = 0; i < ncl; v += (size_t)cl[i].nparams, i++) {
		const struct sl_db_val *first = &vals[v];

		if (first->type == SL_DB_NULL ||
		    (first->type == SL_DB_INT && first->i == 0))
			continue;
		mask |= 1u << i;
		for (int k = 0; k < cl[i].nparams; k++)
			p[np++] = vals[v + (size_t)k];
	}
	p[np++] = SL_P_INT(limit > 0 ? limit : 1000000000000LL);
	return sl__store_run(tx, variant(query, head, cl, ncl, tail, mask), p,
			     np, out, NULL, err);
}

enum sl_err sl__store_put_tags(struct sl_tx *tx, const char *del_sql,
			       const char *ins_sql, struct sl_db_val owner,
			       const struct sl_tag *tags, size_t ntags,
			       struct sl_error *err)
{
	enum sl_err rc = sl__store_run(tx, del_sql, &owner, 1, NULL, NULL, err);

	for (size_t i = 0; rc == SL_OK && i < ntags; i++)
		rc = Q(tx, ins_sql, NULL, NULL, err, owner,
		       SL_P_TEXT(tags[i].key), SL_P_TEXT(tags[i].value));
	return rc;
}

/* Checks the outcome of a revision-guarded UPDATE: no row changed means
 * either the object is gone or its revision moved on. */
enum sl_err sl__store_check_revision(struct sl_tx *tx, int64_t changes,
				     const char *exists_sql,
				     struct sl_db_val key, const char *what,
				     struct sl_error *err)
{
	int64_t n = 0;
	enum sl_err rc;

	if (changes == 1)
		return SL_OK;
	rc = sl__store_one_int(tx, exists_sql, &key, 1, &n, what, err);
	if (rc)
		return rc;
	if (n == 0)
		return sl_error_set(err, SL_ENOTFOUND, "", "%s not found",
				    what);
	return sl_error_set(err, SL_EPRECOND, "If-Match",
			    "the %s was changed since that revision", what);
}

/* Copies the first column of the only row of a one-row-at-most query into
 * *text, NULL when there is no row. */
enum sl_err sl__store_maybe_text(struct sl_tx *tx, const char *sql,
				 const struct sl_db_val *p, size_t n,
				 char **text, struct sl_error *err)
{
	struct sl_db_rows rows;
	enum sl_err rc = sl__store_run(tx, sql, p, n, &rows, NULL, err);

	*text = NULL;
	if (rc)
		return rc;
	if (rows.nrows && sl_db_text(&rows, 0, 0))
		*text = sl_xstrdup(sl_db_text(&rows, 0, 0));
	sl_db_rows_fini(&rows);
	return SL_OK;
}

/* ---- typed rows ----
 *
 * The store's queries collect cells by position; these move them, once,
 * into rows whose fields have names, so nothing above the store reads a
 * column by its number. Strings are taken over, not copied. */

static char *take(struct sl_db_rows *rows, size_t r, int c)
{
	char **cell;
	char *s;

	if (c < 0)
		return NULL;
	cell = &rows->cells[r * rows->ncols + (size_t)c];
	s = *cell;
	*cell = NULL;
	return s;
}

static int64_t num(const struct sl_db_rows *rows, size_t r, int c)
{
	return c < 0 ? 0 : sl_db_int(rows, r, (size_t)c);
}

enum sl_err sl__store_docs(enum sl_err rc, struct sl_db_rows *rows,
			   struct sl__doc_cols c, struct sl_docs *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->n = rows->nrows;
		out->v = sl_xcalloc(out->n, sizeof(*out->v));
		for (size_t r = 0; r < out->n; r++) {
			out->v[r].id = num(rows, r, c.id);
			out->v[r].name = take(rows, r, c.name);
			out->v[r].environment = take(rows, r, c.environment);
			out->v[r].target = take(rows, r, c.target);
			out->v[r].doc = take(rows, r, c.doc);
			out->v[r].rank = num(rows, r, c.rank);
		}
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_docs_fini(struct sl_docs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].environment);
		free(d->v[i].target);
		free(d->v[i].doc);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

enum sl_err sl__store_tokens(enum sl_err rc, struct sl_db_rows *rows,
			     struct sl_tokens *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->n = rows->nrows;
		out->v = sl_xcalloc(out->n, sizeof(*out->v));
		for (size_t r = 0; r < out->n; r++) {
			struct sl_token_row *t = &out->v[r];

			t->id = num(rows, r, 0);
			t->name = take(rows, r, 1);
			t->role = take(rows, r, 2);
			t->created_at = num(rows, r, 3);
			t->created_by = take(rows, r, 4);
			t->revoked_at = num(rows, r, 5);
			t->scope = take(rows, r, 6);
			t->expires_at = num(rows, r, 7);
			t->last_used_at = num(rows, r, 8);
		}
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_tokens_fini(struct sl_tokens *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].role);
		free(t->v[i].created_by);
		free(t->v[i].scope);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

enum sl_err sl__store_audit_rows(enum sl_err rc, struct sl_db_rows *rows,
				 struct sl_audit_rows *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->n = rows->nrows;
		out->v = sl_xcalloc(out->n, sizeof(*out->v));
		for (size_t r = 0; r < out->n; r++) {
			struct sl_audit_row *a = &out->v[r];

			a->seq = num(rows, r, 0);
			a->at = num(rows, r, 1);
			a->actor = take(rows, r, 2);
			a->action = take(rows, r, 3);
			a->object_type = take(rows, r, 4);
			a->object_id = take(rows, r, 5);
			a->request_id = take(rows, r, 6);
			a->before = take(rows, r, 7);
			a->after = take(rows, r, 8);
			a->change = take(rows, r, 9);
			a->environment = take(rows, r, 10);
			a->service = take(rows, r, 11);
			a->via = take(rows, r, 12);
		}
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_audit_rows_fini(struct sl_audit_rows *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct sl_audit_row *e = &a->v[i];

		free(e->actor);
		free(e->action);
		free(e->object_type);
		free(e->object_id);
		free(e->request_id);
		free(e->before);
		free(e->after);
		free(e->change);
		free(e->environment);
		free(e->service);
		free(e->via);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

enum sl_err sl__store_counts(enum sl_err rc, struct sl_db_rows *rows,
			     struct sl_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->n = rows->nrows;
		out->v = sl_xcalloc(out->n, sizeof(*out->v));
		for (size_t r = 0; r < out->n; r++) {
			out->v[r].key = take(rows, r, 0);
			out->v[r].n = num(rows, r, 1);
		}
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_counts_fini(struct sl_counts *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].key);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

enum sl_err sl__store_grants(enum sl_err rc, struct sl_db_rows *rows,
			     struct sl_grants *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->n = rows->nrows;
		out->v = sl_xcalloc(out->n, sizeof(*out->v));
		for (size_t r = 0; r < out->n; r++) {
			out->v[r].id = num(rows, r, 0);
			out->v[r].role = take(rows, r, 1);
			out->v[r].environment = take(rows, r, 2);
			out->v[r].expires_at = num(rows, r, 3);
		}
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_grants_fini(struct sl_grants *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].role);
		free(g->v[i].environment);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

enum sl_err sl__store_policies(enum sl_err rc, struct sl_db_rows *rows,
			       struct sl_policies *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->n = rows->nrows;
		out->v = sl_xcalloc(out->n, sizeof(*out->v));
		for (size_t r = 0; r < out->n; r++) {
			out->v[r].version = num(rows, r, 0);
			out->v[r].created_at = num(rows, r, 1);
			out->v[r].created_by = take(rows, r, 2);
			out->v[r].doc = take(rows, r, 3);
		}
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_policies_fini(struct sl_policies *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].created_by);
		free(p->v[i].doc);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

enum sl_err sl__store_approvals(enum sl_err rc, struct sl_db_rows *rows,
				struct sl_approvals *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->n = rows->nrows;
		out->v = sl_xcalloc(out->n, sizeof(*out->v));
		for (size_t r = 0; r < out->n; r++) {
			struct sl_approval_rec *a = &out->v[r];

			a->id = num(rows, r, 0);
			a->approver = take(rows, r, 1);
			a->group = take(rows, r, 2);
			a->decision = take(rows, r, 3);
			a->at = num(rows, r, 4);
			a->expires_at = num(rows, r, 5);
			a->artifacts_digest = take(rows, r, 6);
			a->ended_at = num(rows, r, 7);
			a->environment = take(rows, r, 8);
			a->doc = take(rows, r, 9);
		}
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_approvals_fini(struct sl_approvals *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct sl_approval_rec *e = &a->v[i];

		free(e->approver);
		free(e->group);
		free(e->decision);
		free(e->artifacts_digest);
		free(e->environment);
		free(e->doc);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}
