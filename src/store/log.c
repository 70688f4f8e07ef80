/* log.c - the audit log's Merkle tree as kept: tlog-tiles, the size the
 * tree covers, signed checkpoints and the log's identity. */
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

enum sl_err sl_store_log_tile_get(struct sl_tx *tx, int level, uint64_t idx,
				  unsigned *width, unsigned char *hashes,
				  struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc =
		Q(tx,
		  "SELECT width, hashes FROM log_tiles"
		  " WHERE level = $1 AND idx = $2",
		  &rows, NULL, err, SL_P_INT(level), SL_P_INT((int64_t)idx));
	const char *hex;
	size_t w, got = 0;

	if (rc)
		return rc;
	if (rows.nrows == 0) {
		sl_db_rows_fini(&rows);
		return sl_error_set(err, SL_ENOTFOUND, "", "no tile %d/%llu",
				    level, (unsigned long long)idx);
	}
	w = (size_t)sl_db_int(&rows, 0, 0);
	hex = sl_db_text(&rows, 0, 1);
	if (w < 1 || w > 256 || !hex ||
	    sodium_hex2bin(hashes, w * 32, hex, strlen(hex), NULL, &got,
			   NULL) != 0 ||
	    got != w * 32)
		rc = sl_error_set(err, SL_EINTERNAL, "tile",
				  "tile %d/%llu is damaged", level,
				  (unsigned long long)idx);
	else
		*width = (unsigned)w;
	sl_db_rows_fini(&rows);
	return rc;
}

enum sl_err sl_store_log_tile_put(struct sl_tx *tx, int level, uint64_t idx,
				  unsigned width, const unsigned char *hashes,
				  struct sl_error *err)
{
	char *hex = sl_xmalloc((size_t)width * 64 + 1);
	enum sl_err rc;

	sodium_bin2hex(hex, (size_t)width * 64 + 1, hashes, (size_t)width * 32);
	rc = Q(tx,
	       "INSERT INTO log_tiles (level, idx, width, hashes)"
	       " VALUES ($1, $2, $3, $4) ON CONFLICT (level, idx)"
	       " DO UPDATE SET width = excluded.width,"
	       " hashes = excluded.hashes",
	       NULL, NULL, err, SL_P_INT(level), SL_P_INT((int64_t)idx),
	       SL_P_INT(width), SL_P_TEXT(hex));
	free(hex);
	return rc;
}

enum sl_err sl_store_log_size(struct sl_tx *tx, uint64_t *size,
			      struct sl_error *err)
{
	int64_t n = 0;
	enum sl_err rc = sl__store_one_int(
		tx, "SELECT COALESCE(MAX(size), 0) FROM log_state", NULL, 0, &n,
		"log", err);

	*size = rc ? 0 : (uint64_t)n;
	return rc;
}

enum sl_err sl_store_log_size_set(struct sl_tx *tx, uint64_t size,
				  struct sl_error *err)
{
	return Q(tx,
		 "INSERT INTO log_state (id, size) VALUES (1, $1)"
		 " ON CONFLICT (id) DO UPDATE SET size = excluded.size",
		 NULL, NULL, err, SL_P_INT((int64_t)size));
}

enum sl_err sl_store_log_checkpoint_put(struct sl_tx *tx, uint64_t size,
					const char *root_hex, const char *note,
					int64_t now, struct sl_error *err)
{
	return Q(tx,
		 "INSERT INTO log_checkpoints (size, root, note, created_at)"
		 " VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING",
		 NULL, NULL, err, SL_P_INT((int64_t)size), SL_P_TEXT(root_hex),
		 SL_P_TEXT(note), SL_P_INT(now));
}

enum sl_err sl_store_log_checkpoint_get(struct sl_tx *tx, uint64_t size,
					uint64_t *got, char **note,
					struct sl_error *err)
{
	int64_t s = 0;
	enum sl_err rc = sl__store_one_text(
		tx,
		"SELECT note, size FROM log_checkpoints"
		" WHERE ($1 = 0 AND size = (SELECT MAX(size) FROM"
		" log_checkpoints)) OR ($1 > 0 AND size = $1)",
		P(SL_P_INT((int64_t)size)), note, &s, "checkpoint", err);

	if (rc == SL_OK && got)
		*got = (uint64_t)s;
	return rc;
}

enum sl_err sl_store_log_identity_get(struct sl_tx *tx, char **origin,
				      char **verifier_key, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = sl__store_run(
		tx,
		"SELECT origin, verifier_key FROM log_identity WHERE id = 1",
		NULL, 0, &rows, NULL, err);

	*origin = *verifier_key = NULL;
	if (rc == SL_OK && rows.nrows == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "",
				  "the log has no identity yet");
	if (rc == SL_OK) {
		*origin = sl_xstrdup(sl_db_text(&rows, 0, 0));
		*verifier_key = sl_xstrdup(sl_db_text(&rows, 0, 1));
	}
	sl_db_rows_fini(&rows);
	return rc;
}

enum sl_err sl_store_log_identity_put(struct sl_tx *tx, const char *origin,
				      const char *verifier_key,
				      struct sl_error *err)
{
	return Q(tx,
		 "INSERT INTO log_identity (id, origin, verifier_key)"
		 " VALUES (1, $1, $2)",
		 NULL, NULL, err, SL_P_TEXT(origin), SL_P_TEXT(verifier_key));
}
