/* import.c - what imports keep: the source's id of each record they
 * brought in, and the shiplog object it became, so that importing the
 * same records again finds them instead of writing them twice. */
#include "store/internal.h"

enum sl_err sl_store_import_find(struct sl_tx *tx, const char *source,
				 const char *kind, const char *external_id,
				 char **object_id, struct sl_error *err)
{
	return sl__store_one_text(
		tx,
		"SELECT object_id FROM import_ids WHERE"
		" source = $1 AND kind = $2"
		" AND external_id = $3",
		P(SL_P_TEXT(source), SL_P_TEXT(kind), SL_P_TEXT(external_id)),
		object_id, NULL, "import id", err);
}

enum sl_err sl_store_import_link(struct sl_tx *tx, const char *source,
				 const char *kind, const char *external_id,
				 const char *object_id, int64_t now,
				 struct sl_error *err)
{
	return Q(tx,
		 "INSERT INTO import_ids (source, kind, external_id,"
		 " object_id, imported_at) VALUES ($1, $2, $3, $4, $5)",
		 NULL, NULL, err, SL_P_TEXT(source), SL_P_TEXT(kind),
		 SL_P_TEXT(external_id), SL_P_TEXT(object_id), SL_P_INT(now));
}

enum sl_err sl_store_import_source_of(struct sl_tx *tx, const char *kind,
				      const char *object_id, char **source,
				      struct sl_error *err)
{
	return sl__store_one_text(tx,
				  "SELECT source FROM import_ids WHERE"
				  " kind = $1 AND object_id = $2"
				  " ORDER BY imported_at LIMIT 1",
				  P(SL_P_TEXT(kind), SL_P_TEXT(object_id)),
				  source, NULL, "import id", err);
}
