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
/* One row expected: copies its first column (and the second as an
 * integer, when asked); SL_ENOTFOUND naming what when there is none. */
enum sl_err sl__store_one_text_at(const char *fn, struct sl_tx *tx,
				  const char *sql, const struct sl_db_val *p,
				  size_t n, char **text, int64_t *second,
				  const char *what, struct sl_error *err);
enum sl_err sl__store_one_int_at(const char *fn, struct sl_tx *tx,
				 const char *sql, const struct sl_db_val *p,
				 size_t n, int64_t *v, const char *what,
				 struct sl_error *err);

#define sl__store_run(...)	sl__store_run_at(__func__, __VA_ARGS__)
#define sl__store_one_text(...) sl__store_one_text_at(__func__, __VA_ARGS__)
#define sl__store_one_int(...)	sl__store_one_int_at(__func__, __VA_ARGS__)

#define NPARAMS(...)                                                           \
	(sizeof((const struct sl_db_val[]){__VA_ARGS__}) /                     \
	 sizeof(struct sl_db_val))
#define Q(tx, sql, out, changes, err, ...)                                     \
	sl__store_run(tx, sql, (const struct sl_db_val[]){__VA_ARGS__},        \
		      NPARAMS(__VA_ARGS__), out, changes, err)
#define P(...) (const struct sl_db_val[]){__VA_ARGS__}, NPARAMS(__VA_ARGS__)

#endif
