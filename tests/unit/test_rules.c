/* test_rules.c - how deployments move their release along. */
#include "core/rules.h"
#include "test.h"

TEST(first_deployment_starts_a_draft_or_planned_release)
{
	CHECK_INT(sl_release_status_after(SL_REL_DRAFT, SL_DEP_QUEUED, 0),
		  SL_REL_IN_PROGRESS);
	CHECK_INT(
		sl_release_status_after(SL_REL_PLANNED, SL_DEP_IN_PROGRESS, 0),
		SL_REL_IN_PROGRESS);
	CHECK_INT(sl_release_status_after(SL_REL_IN_PROGRESS, SL_DEP_QUEUED, 0),
		  SL_REL_IN_PROGRESS);
}

TEST(success_at_the_top_releases_it_and_lower_down_does_not)
{
	CHECK_INT(sl_release_status_after(SL_REL_IN_PROGRESS, SL_DEP_SUCCEEDED,
					  1),
		  SL_REL_RELEASED);
	CHECK_INT(
		sl_release_status_after(SL_REL_IN_PROGRESS, SL_DEP_VERIFIED, 1),
		SL_REL_RELEASED);
	CHECK_INT(sl_release_status_after(SL_REL_IN_PROGRESS, SL_DEP_SUCCEEDED,
					  0),
		  SL_REL_IN_PROGRESS);
	CHECK_INT(sl_release_status_after(SL_REL_IN_PROGRESS, SL_DEP_FAILED, 1),
		  SL_REL_IN_PROGRESS);
	/* Straight to success at the top from a draft goes through
	 * in_progress, which the table allows. */
	CHECK_INT(sl_release_status_after(SL_REL_DRAFT, SL_DEP_SUCCEEDED, 1),
		  SL_REL_RELEASED);
}

TEST(final_statuses_never_move)
{
	for (int d = 0; d < SL_DEP__COUNT; d++) {
		CHECK_INT(sl_release_status_after(SL_REL_CANCELLED, d, 1),
			  SL_REL_CANCELLED);
		CHECK_INT(sl_release_status_after(SL_REL_RELEASED, d, 0),
			  SL_REL_RELEASED);
	}
}

TEST(duration_is_whole_milliseconds_or_unknown)
{
	CHECK_INT(sl_duration_ms(1000000, 3500000), 2500);
	CHECK_INT(sl_duration_ms(1000000, 1000999), 0);
	CHECK_INT(sl_duration_ms(0, 5), -1);
	CHECK_INT(sl_duration_ms(5000, 0), -1);
	CHECK_INT(sl_duration_ms(5000, 4000), -1);
}

TEST(a_token_may_only_expire_in_the_future)
{
	struct sl_error err = {0};

	CHECK_INT(sl_token_expiry_check(1000001, 1000000, &err), SL_OK);
	CHECK_INT(sl_token_expiry_check(1000000, 1000000, &err), SL_EINVAL);
	CHECK_STR(err.field, "expires_at");
	CHECK_STR(err.message, "expires_at must be in the future");
	CHECK_INT(sl_token_expiry_check(5, 1000000, &err), SL_EINVAL);
}

TEST_MAIN(T(first_deployment_starts_a_draft_or_planned_release),
	  T(success_at_the_top_releases_it_and_lower_down_does_not),
	  T(final_statuses_never_move),
	  T(duration_is_whole_milliseconds_or_unknown),
	  T(a_token_may_only_expire_in_the_future))
