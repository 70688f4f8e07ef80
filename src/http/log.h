/* log.h - the audit log made verifiable: the daemon's signing key and
 * the log's identity, the integrator that extends the Merkle tree and
 * signs checkpoints, the start-up check, and the tlog-tiles routes.
 *
 * The tree follows the audit table: entry seq s is leaf s - 1. Only the
 * cluster's leader extends it, about once a second, in one write
 * transaction per step (the new tiles, the size, the signed checkpoint).
 * A write is not held back by it: the entry's sequence number is given
 * in the write's own transaction as before. */
#ifndef SL_HTTP_LOG_H
#define SL_HTTP_LOG_H

#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

struct sl_log_config {
	const char *key_path; /* the signing key's file */
	const char *origin;   /* NULL: the log's own, or a new unique one */
	unsigned interval_ms; /* at most one checkpoint per interval */
	/* Witnesses: each new checkpoint is POSTed (text/plain) to
	 * witness_url and/or written to the standard input of the shell
	 * command witness_command; a failed delivery is retried with the
	 * latest checkpoint at the next step. NULL: none. */
	const char *witness_url;
	const char *witness_command;
};

/* Loads (or, the first time, creates with mode 0600) the signing key,
 * sets or checks the log's identity in the store, and checks the stored
 * tree against its latest signed checkpoint: a tree that does not match
 * leaves the daemon serving reads and refusing writes (sl_log_broken).
 * An error here (an unreadable key, a key that is not the log's) stops
 * the daemon. */
enum sl_err sl_log_start(struct sl_store *st, const struct sl_log_config *cfg,
			 struct sl_error *err);
/* Numbers the audit entries committed without a number (where writers
 * run side by side), so a read of the log that follows sees every write
 * acknowledged before it. Nothing to do where entries are numbered as
 * they are written. */
enum sl_err sl_log_number(struct sl_store *st, struct sl_error *err);
/* One step of the integrator, for the leader: numbers what was written
 * since the last tick; when the interval has passed, extends the tree with the
 * entries not in it yet and signs a checkpoint when it grew. A failure is
 * logged and retried next time. */
void sl_log_tick(struct sl_store *st, int64_t now_us);
/* Extends and signs now, whatever the interval; *latest (when not NULL)
 * gets the checkpoint of the tree as it then is (free() it). */
enum sl_err sl_log_integrate(struct sl_store *st, int64_t now_us, char **latest,
			     struct sl_error *err);
/* Why the stored log cannot be trusted (the first bad entry or tile), or
 * NULL when it can. */
const char *sl_log_broken(void);
/* Checks the stored tree against the latest signed checkpoint and every
 * entry against the tree (streamed, a page at a time): SL_OK, or
 * SL_ECONFLICT with err naming the first sequence number (or tile, or
 * checkpoint) that disagrees; SL_EUNAVAIL when the store cannot answer. */
enum sl_err sl_log_verify_stored(struct sl_store *st, struct sl_error *err);

#endif
