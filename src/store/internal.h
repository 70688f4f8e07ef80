/* internal.h - helpers shared by the store's own files (not API). */
#ifndef SL_STORE_INTERNAL_H
#define SL_STORE_INTERNAL_H

#include "store/store.h"

#include "store/fault.h"

/* A store call named fn (see fault.h): the armed fault's error, or
 * SL_OK. Nothing in a build without SL_FAULTS. */
#ifdef SL_FAULTS
#define SL_FAULT(fn, sql, err) sl__store_fault(fn, sql, err)
#else
#define SL_FAULT(fn, sql, err) ((void)(fn), (void)(sql), SL_OK)
#endif

/* Runs one statement of the transaction's connection; fn names the
 * store function that asks (the macros below pass __func__). */
enum sl_err sl__store_run_at(const char *fn, struct sl_tx *tx, const char *sql,
			     const struct sl_db_val *p, size_t n,
			     struct sl_db_rows *out, int64_t *changes,
			     struct sl_error *err);
/* The same with driver flags: SL_DB_GUARD for a statement whose failure
 * (a broken unique constraint) the caller turns into a named error and
 * may carry on from in the same transaction. */
enum sl_err sl__store_run_flags_at(const char *fn, struct sl_tx *tx,
				   const char *sql, const struct sl_db_val *p,
				   size_t n, unsigned flags,
				   struct sl_db_rows *out, int64_t *changes,
				   struct sl_error *err);
/* One row expected: copies its first column (and the second as an
 * integer, when asked); SL_ENOTFOUND naming what when there is none. */
enum sl_err sl__store_one_text_at(const char *fn, unsigned flags,
				  struct sl_tx *tx, const char *sql,
				  const struct sl_db_val *p, size_t n,
				  char **text, int64_t *second,
				  const char *what, struct sl_error *err);
enum sl_err sl__store_one_int_at(const char *fn, unsigned flags,
				 struct sl_tx *tx, const char *sql,
				 const struct sl_db_val *p, size_t n,
				 int64_t *v, const char *what,
				 struct sl_error *err);

#define sl__store_run(...)	sl__store_run_at(__func__, __VA_ARGS__)
#define sl__store_one_text(...) sl__store_one_text_at(__func__, 0, __VA_ARGS__)
/* 1 when the engine takes one writer at a time (the tx's store). */
int sl__store_single_writer(const struct sl_tx *tx);

#define sl__store_one_int(...) sl__store_one_int_at(__func__, 0, __VA_ARGS__)
/* one_int for an INSERT ... RETURNING whose unique violation the store
 * turns into a named SL_ECONFLICT (see QG). */
#define sl__store_one_int_guarded(...)                                         \
	sl__store_one_int_at(__func__, SL_DB_GUARD, __VA_ARGS__)

#define NPARAMS(...)                                                           \
	(sizeof((const struct sl_db_val[]){__VA_ARGS__}) /                     \
	 sizeof(struct sl_db_val))
#define Q(tx, sql, out, changes, err, ...)                                     \
	sl__store_run(tx, sql, (const struct sl_db_val[]){__VA_ARGS__},        \
		      NPARAMS(__VA_ARGS__), out, changes, err)
/* Q for a statement whose unique violation the store turns into a named
 * SL_ECONFLICT: the transaction stays usable after it fails. */
#define QG(tx, sql, out, changes, err, ...)                                    \
	sl__store_run_flags_at(                                                \
		__func__, tx, sql, (const struct sl_db_val[]){__VA_ARGS__},    \
		NPARAMS(__VA_ARGS__), SL_DB_GUARD, out, changes, err)
#define P(...) (const struct sl_db_val[]){__VA_ARGS__}, NPARAMS(__VA_ARGS__)

/* ---- filtered lists ----
 *
 * A list query is a head, optional clauses (one per filter) and a tail.
 * Only the clauses whose filter is set are written into the SQL, so each
 * engine sees plain equalities it can answer from an index. The texts
 * are built once per combination and kept for the life of the process:
 * their addresses stay stable, which is what the statement caches key
 * on. A clause writes "$#" where its next parameter goes. */

struct sl__clause {
	const char *sql;
	int nparams;
};

#define MAX_CLAUSES 10
enum {
	LIST_SERVICES,
	LIST_RELEASES,
	LIST_DEPLOYMENTS,
	LIST_PLACEMENTS,
	LIST_ENVIRONMENTS,
	LIST_TOKENS,
	LIST_AUDIT,
	LIST__COUNT
};

/* Runs a list query: the clauses whose values are present (a non-NULL
 * text or a non-zero integer) join the SQL and the parameters, then the
 * limit. vals holds each clause's parameters in order; query is one of
 * the LIST_ numbers, which key the kept texts. */
enum sl_err sl__store_list(struct sl_tx *tx, int query, const char *head,
			   const struct sl__clause *cl, size_t ncl,
			   const struct sl_db_val *vals, const char *tail,
			   int limit, struct sl_db_rows *out,
			   struct sl_error *err);
/* Replaces a tag set: runs del_sql with owner, then ins_sql with owner,
 * key and value for each tag. */
enum sl_err sl__store_put_tags(struct sl_tx *tx, const char *del_sql,
			       const char *ins_sql, struct sl_db_val owner,
			       const struct sl_tag *tags, size_t ntags,
			       struct sl_error *err);
/* Checks the outcome of a revision-guarded UPDATE: no row changed means
 * either the object is gone (SL_ENOTFOUND) or its revision moved on
 * (SL_EPRECOND); exists_sql counts the rows with key. */
enum sl_err sl__store_check_revision(struct sl_tx *tx, int64_t changes,
				     const char *exists_sql,
				     struct sl_db_val key, const char *what,
				     struct sl_error *err);
/* Copies the first column of the only row of a one-row-at-most query into
 * *text (free() it), NULL when there is no row. */
enum sl_err sl__store_maybe_text(struct sl_tx *tx, const char *sql,
				 const struct sl_db_val *p, size_t n,
				 char **text, struct sl_error *err);

/* Typed rows (query.c). Each takes a query's result rc and its rows,
 * moves the cells into out (on SL_OK) and frees rows; it returns rc.
 * sl__store_docs reads the columns named in cols (-1 for a field the
 * query has not); the others read the columns in the order their row
 * struct lists its fields. */
struct sl__doc_cols {
	int id, name, environment, target, doc, rank;
};
enum sl_err sl__store_docs(enum sl_err rc, struct sl_db_rows *rows,
			   struct sl__doc_cols cols, struct sl_docs *out);
/* (id, doc) and (name, doc) rows. */
#define SL_COLS_ID_DOC	 ((struct sl__doc_cols){0, -1, -1, -1, 1, -1})
#define SL_COLS_NAME_DOC ((struct sl__doc_cols){-1, 0, -1, -1, 1, -1})
enum sl_err sl__store_tokens(enum sl_err rc, struct sl_db_rows *rows,
			     struct sl_tokens *out);
enum sl_err sl__store_audit_rows(enum sl_err rc, struct sl_db_rows *rows,
				 struct sl_audit_rows *out);
enum sl_err sl__store_counts(enum sl_err rc, struct sl_db_rows *rows,
			     struct sl_counts *out);
enum sl_err sl__store_grants(enum sl_err rc, struct sl_db_rows *rows,
			     struct sl_grants *out);
enum sl_err sl__store_approvals(enum sl_err rc, struct sl_db_rows *rows,
				struct sl_approvals *out);
enum sl_err sl__store_policies(enum sl_err rc, struct sl_db_rows *rows,
			       struct sl_policies *out);

#endif
