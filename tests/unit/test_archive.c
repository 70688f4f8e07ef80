/* test_archive.c - retention: which cut-offs are allowed and which
 * deployments may leave the live tables. */
#include <string.h>

#include "core/archive.h"
#include "test.h"

#define NOW (1800000000LL * 1000000LL)

TEST(no_retention_period_keeps_everything)
{
	struct sl_error err = {0};

	CHECK_INT(sl_archive_cutoff_check(NOW - 3650 * SL_ARCHIVE_DAY_US, NOW,
					  0, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "before");
	CHECK(strstr(err.message, "everything is kept") != NULL);
}

TEST(a_cut_off_within_the_period_is_refused_and_one_just_outside_passes)
{
	struct sl_error err = {0};

	CHECK_INT(sl_archive_cutoff_check(NOW - 30 * SL_ARCHIVE_DAY_US + 1, NOW,
					  30, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "before");
	CHECK(strstr(err.message, "30 days") != NULL);
	CHECK_INT(sl_archive_cutoff_check(NOW - 30 * SL_ARCHIVE_DAY_US, NOW, 30,
					  &err),
		  SL_OK);
}

TEST(only_finished_deployments_no_placement_shows_and_no_evidence_names_go)
{
	static const int fits[SL_DEP__COUNT] = {
		[SL_DEP_SUCCEEDED] = 1, [SL_DEP_VERIFIED] = 1,
		[SL_DEP_FAILED] = 1,	[SL_DEP_ROLLED_BACK] = 1,
		[SL_DEP_CANCELLED] = 1,
	};

	for (int s = 0; s < SL_DEP__COUNT; s++) {
		CHECK_INT(sl_archive_deploy_fits(s, 0, 0), fits[s]);
		CHECK_INT(sl_archive_deploy_fits(s, 1, 0), 0);
		CHECK_INT(sl_archive_deploy_fits(s, 0, 1), 0);
	}
}

TEST(only_releases_over_with_nothing_live_and_no_incident_go)
{
	for (int s = 0; s < SL_REL__COUNT; s++) {
		int over = s == SL_REL_RELEASED || s == SL_REL_CANCELLED;

		CHECK_INT(sl_archive_release_fits(s, 0, 0), over);
		CHECK_INT(sl_archive_release_fits(s, 1, 0), 0);
		CHECK_INT(sl_archive_release_fits(s, 0, 1), 0);
	}
}

TEST_MAIN(
	T(no_retention_period_keeps_everything),
	T(a_cut_off_within_the_period_is_refused_and_one_just_outside_passes),
	T(only_finished_deployments_no_placement_shows_and_no_evidence_names_go),
	T(only_releases_over_with_nothing_live_and_no_incident_go))
