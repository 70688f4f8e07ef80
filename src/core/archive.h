/* archive.h - retention: what may leave the live tables for an archive.
 *
 * The audit log never leaves: its entries, tiles and checkpoints stay,
 * so proofs and verification keep working. What may go is the record of
 * finished work older than the cut-off; these rules say which. */
#ifndef SL_CORE_ARCHIVE_H
#define SL_CORE_ARCHIVE_H

#include <stdint.h>

#include "core/error.h"
#include "core/state.h"

#define SL_ARCHIVE_DAY_US (86400LL * 1000000LL)
/* The longest retention period a daemon takes (about 100 years). */
#define SL_ARCHIVE_MAX_DAYS 36500

/* Checks a cut-off against the retention period: everything older than
 * before may be archived only when before lies at least retention_days
 * before now. retention_days 0 means everything is kept (nothing may be
 * archived). Returns 0, or SL_EINVAL naming "before". */
enum sl_err sl_archive_cutoff_check(int64_t before, int64_t now,
				    int64_t retention_days,
				    struct sl_error *err);

/* 1 when a deployment that last changed before the cut-off may be
 * archived: it is finished (succeeded, verified, failed, rolled back or
 * cancelled), it is not what a placement shows now (current: it is the
 * latest or the running deployment of its service, environment and
 * target, so the status matrix stays as it is), and no evidence still
 * names it (held: an incident's confirmed cause, an override's review). */
int sl_archive_deploy_fits(enum sl_deploy_status status, int current, int held);

/* 1 when a release that last changed before the cut-off may be archived
 * with its approvals, checklist and tags: it is over (released or
 * cancelled), none of its deployments stays live once this archive's
 * are taken (live: so it runs nowhere and its history goes whole), and
 * no incident names it as a known issue (held). */
int sl_archive_release_fits(enum sl_release_status status, int live, int held);

#endif
