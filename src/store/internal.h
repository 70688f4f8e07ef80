/* internal.h - helpers shared by the store's own files (not API). */
#ifndef SL_STORE_INTERNAL_H
#define SL_STORE_INTERNAL_H

#include "store/store.h"

/* Runs one statement of the transaction's connection. */
enum sl_err sl__store_run(struct sl_tx *tx, const char *sql,
			  const struct sl_db_val *p, size_t n,
			  struct sl_db_rows *out, int64_t *changes,
			  struct sl_error *err);
/* One row expected: copies its first column (and the second as an
 * integer, when asked); SL_ENOTFOUND naming what when there is none. */
enum sl_err sl__store_one_text(struct sl_tx *tx, const char *sql,
			       const struct sl_db_val *p, size_t n, char **text,
			       int64_t *second, const char *what,
			       struct sl_error *err);
enum sl_err sl__store_one_int(struct sl_tx *tx, const char *sql,
			      const struct sl_db_val *p, size_t n, int64_t *v,
			      const char *what, struct sl_error *err);

#define NPARAMS(...)                                                           \
	(sizeof((const struct sl_db_val[]){__VA_ARGS__}) /                     \
	 sizeof(struct sl_db_val))
#define Q(tx, sql, out, changes, err, ...)                                     \
	sl__store_run(tx, sql, (const struct sl_db_val[]){__VA_ARGS__},        \
		      NPARAMS(__VA_ARGS__), out, changes, err)
#define P(...) (const struct sl_db_val[]){__VA_ARGS__}, NPARAMS(__VA_ARGS__)

#endif
