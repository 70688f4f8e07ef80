/* archive.c - retention rules (see archive.h). */
#include "core/archive.h"

enum sl_err sl_archive_cutoff_check(int64_t before, int64_t now,
				    int64_t retention_days,
				    struct sl_error *err)
{
	if (retention_days <= 0)
		return sl_error_set(err, SL_EINVAL, "before",
				    "no retention period is configured "
				    "(shiplogd --retention-days): everything "
				    "is kept");
	if (before > now - retention_days * SL_ARCHIVE_DAY_US)
		return sl_error_set(err, SL_EINVAL, "before",
				    "before lies within the retention period "
				    "of %lld days: it must be at least that "
				    "long ago",
				    (long long)retention_days);
	return SL_OK;
}

int sl_archive_deploy_fits(enum sl_deploy_status status, int current, int held)
{
	int finished = status == SL_DEP_SUCCEEDED ||
		       status == SL_DEP_VERIFIED || status == SL_DEP_FAILED ||
		       status == SL_DEP_ROLLED_BACK ||
		       status == SL_DEP_CANCELLED;

	return finished && !current && !held;
}

int sl_archive_release_fits(enum sl_release_status status, int live, int held)
{
	return (status == SL_REL_RELEASED || status == SL_REL_CANCELLED) &&
	       !live && !held;
}
