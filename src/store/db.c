/* db.c - result-set helpers shared by every driver. */
#include "store/db.h"

#include <stdlib.h>

const char *sl_db_text(const struct sl_db_rows *rows, size_t r, size_t c)
{
	SL_ASSERT(r < rows->nrows && c < rows->ncols);
	return rows->cells[r * rows->ncols + c];
}

int64_t sl_db_int(const struct sl_db_rows *rows, size_t r, size_t c)
{
	const char *s = sl_db_text(rows, r, c);

	return s ? strtoll(s, NULL, 10) : 0;
}

void sl_db_rows_fini(struct sl_db_rows *rows)
{
	if (!rows || !rows->cells)
		return;
	for (size_t i = 0; i < rows->nrows * rows->ncols; i++)
		free(rows->cells[i]);
	free(rows->cells);
	rows->cells = NULL;
	rows->nrows = rows->ncols = 0;
}
