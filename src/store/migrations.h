/* migrations.h - the numbered schema migrations. */
#ifndef SL_STORE_MIGRATIONS_H
#define SL_STORE_MIGRATIONS_H

#include <stddef.h>

struct sl_migration {
	int version;
	const char *summary;
	const char *sql;
};

extern const struct sl_migration sl_migrations[];
extern const size_t sl_migrations_count;

/* What PostgreSQL runs instead of the migration of the same version: for
 * the few statements the engines spell differently (reading JSON). */
extern const struct sl_migration sl_migrations_pg[];
extern const size_t sl_migrations_pg_count;

#endif
