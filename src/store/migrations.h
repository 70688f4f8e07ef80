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

#endif
