/* test_rules.c - how deployments move their release along. */
#include "core/rules.h"
#include "test.h"

#include <string.h>

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

TEST(by_hand_only_plan_draft_and_cancel_and_the_refusal_names_both)
{
	struct sl_error err = {0};

	CHECK_INT(sl_release_set_check(SL_REL_DRAFT, SL_REL_PLANNED, &err),
		  SL_OK);
	CHECK_INT(sl_release_set_check(SL_REL_IN_PROGRESS, SL_REL_CANCELLED,
				       &err),
		  SL_OK);
	CHECK_INT(sl_release_set_check(SL_REL_RELEASED, SL_REL_RELEASED, &err),
		  SL_OK);
	CHECK_INT(sl_release_set_check(SL_REL_DRAFT, SL_REL_RELEASED, &err),
		  SL_ECONFLICT);
	CHECK_STR(err.field, "status");
	CHECK(strstr(err.message, "from draft to released by hand") != NULL);
	CHECK_INT(
		sl_release_set_check(SL_REL_PLANNED, SL_REL_IN_PROGRESS, &err),
		SL_ECONFLICT);
	CHECK(strstr(err.message, "from planned to in_progress") != NULL);
	CHECK_INT(sl_release_set_check(SL_REL_RELEASED, SL_REL_CANCELLED, &err),
		  SL_ECONFLICT);
	CHECK_STR(err.message, "a release cannot move from released to "
			       "cancelled");
}

TEST(a_released_release_keeps_everything_but_notes_and_known_issues)
{
	struct sl_error err = {0};
	unsigned notes = SL_RF_BIT(SL_RF_NOTES) | SL_RF_BIT(SL_RF_KNOWN_ISSUES);

	CHECK_INT(sl_release_edit_check(SL_REL_RELEASED, notes, &err), SL_OK);
	CHECK_INT(sl_release_edit_check(SL_REL_RELEASED, 0, &err), SL_OK);
	for (int f = 0; f < SL_RF__COUNT; f++) {
		unsigned m = SL_RF_BIT(f);
		int free_after = f == SL_RF_NOTES || f == SL_RF_KNOWN_ISSUES ||
				 f == SL_RF_STATUS;

		memset(&err, 0, sizeof(err));
		CHECK_INT(
			sl_release_edit_check(SL_REL_RELEASED, m | notes, &err),
			free_after ? SL_OK : SL_ECONFLICT);
		if (!free_after)
			CHECK_STR(err.field, sl_release_field_name(f));
		/* Before it is released, anything may change. */
		CHECK_INT(sl_release_edit_check(SL_REL_IN_PROGRESS, m, &err),
			  SL_OK);
		CHECK_INT(sl_release_edit_check(SL_REL_PLANNED, m, &err),
			  SL_OK);
	}
	CHECK_INT(sl_release_edit_check(SL_REL_RELEASED,
					SL_RF_BIT(SL_RF_COMMIT), &err),
		  SL_ECONFLICT);
	CHECK(strstr(err.message, "its commit is part of the record") != NULL);
	CHECK_STR(sl_release_field_name(SL_RF_KNOWN_ISSUES), "known_issues");
	CHECK(sl_release_field_name(SL_RF__COUNT) == NULL);
}

TEST(changing_what_was_approved_voids_approvals_and_nothing_else_does)
{
	for (int f = 0; f < SL_RF__COUNT; f++)
		CHECK_INT(sl_release_edit_voids_approvals(SL_RF_BIT(f)),
			  f == SL_RF_COMMIT || f == SL_RF_ARTIFACTS ||
				  f == SL_RF_DEPENDENCIES ||
				  f == SL_RF_ROLLBACK);
	CHECK_INT(sl_release_edit_voids_approvals(0), 0);
	CHECK_INT(sl_release_edit_voids_approvals(SL_RF_BIT(SL_RF_NOTES) |
						  SL_RF_BIT(SL_RF_ARTIFACTS)),
		  1);
}

/* Parses the versions (NULL stays NULL) and runs the type check. */
static enum sl_err type_check(const char *type, const char *v, const char *prev,
			      const char *latest, struct sl_error *err)
{
	struct sl_semver a = {0}, b = {0}, c = {0};
	enum sl_release_type t;
	enum sl_err rc;

	CHECK_INT(sl_release_type_parse(type, &t), 0);
	CHECK_INT(sl_semver_parse(v, &a, NULL), SL_OK);
	if (prev)
		CHECK_INT(sl_semver_parse(prev, &b, NULL), SL_OK);
	if (latest)
		CHECK_INT(sl_semver_parse(latest, &c, NULL), SL_OK);
	memset(err, 0, sizeof(*err));
	rc = sl_release_type_check(t, &a, prev ? &b : NULL, latest ? &c : NULL,
				   err);
	sl_semver_fini(&a);
	sl_semver_fini(&b);
	sl_semver_fini(&c);
	return rc;
}

TEST(release_type_must_match_the_version_bump)
{
	struct sl_error err;

	CHECK_INT(type_check("major", "3.0.0", "2.4.1", "2.4.1", &err), SL_OK);
	CHECK_INT(type_check("minor", "2.5.0", "2.4.1", "2.4.1", &err), SL_OK);
	CHECK_INT(type_check("patch", "2.4.2", "2.4.1", "2.4.1", &err), SL_OK);
	CHECK_INT(type_check("hotfix", "2.4.2", "2.4.1", "3.0.0", &err), SL_OK);
	CHECK_INT(type_check("emergency", "2.4.2", "2.4.1", NULL, &err), SL_OK);
	CHECK_INT(type_check("emergency", "2.5.0", "2.4.1", NULL, &err), SL_OK);
	/* A pre-release counts by its MAJOR.MINOR.PATCH. */
	CHECK_INT(type_check("major", "3.0.0-rc.1", "2.4.1", NULL, &err),
		  SL_OK);
	/* Below 1.0.0 a breaking change may bump MINOR. */
	CHECK_INT(type_check("major", "0.4.0", "0.3.1", NULL, &err), SL_OK);

	CHECK_INT(type_check("major", "2.0.2", "2.0.0", "2.0.0", &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "type");
	CHECK_STR(err.message,
		  "2.0.2 after 2.0.0 is a patch bump, not what a major release "
		  "is: make it patch or hotfix or emergency, or a major "
		  "release 3.0.0");
	CHECK_INT(type_check("minor", "3.0.0", "2.4.1", NULL, &err), SL_EINVAL);
	CHECK_STR(err.message,
		  "3.0.0 after 2.4.1 is a major bump, not what a minor release "
		  "is: make it major, or a minor release 2.5.0");
	CHECK_INT(type_check("patch", "2.5.0", "2.4.1", NULL, &err), SL_EINVAL);
	CHECK_INT(type_check("hotfix", "2.5.0", "2.4.1", NULL, &err),
		  SL_EINVAL);
	CHECK_INT(type_check("emergency", "3.0.0", "2.4.1", NULL, &err),
		  SL_EINVAL);
	CHECK_INT(type_check("major", "1.4.0", "1.3.1", NULL, &err), SL_EINVAL);
}

TEST(a_first_release_may_be_anything_but_not_below_every_other)
{
	struct sl_error err;

	CHECK_INT(type_check("major", "1.0.0", NULL, NULL, &err), SL_OK);
	CHECK_INT(type_check("patch", "0.0.1", NULL, NULL, &err), SL_OK);
	/* Only pre-releases of the same version exist. */
	CHECK_INT(type_check("patch", "3.0.0", NULL, "3.0.0-rc.1", &err),
		  SL_OK);
	CHECK_INT(type_check("patch", "0.0.1", NULL, "2.0.0", &err), SL_EINVAL);
	CHECK_STR(err.field, "version");
	CHECK_STR(err.message, "0.0.1 is below every release of the service "
			       "(the latest is 2.0.0) and continues none of "
			       "its lines");
}

TEST(rollback_to_what_ran_before_is_ungated_and_any_other_target_is_gated)
{
	struct sl_rollback_plan p;
	struct sl_error err = {0};

	CHECK_INT(sl_rollback_choose(7, 9, 11, "production", &p, &err), SL_OK);
	CHECK_INT(p.release_id, 7);
	CHECK_INT(p.gated, 0);
	CHECK_INT(sl_rollback_choose(0, 9, 11, "production", &p, &err), SL_OK);
	CHECK_INT(p.release_id, 9);
	CHECK_INT(p.gated, 1);
	CHECK_INT(sl_rollback_choose(0, 11, 11, "production", &p, &err),
		  SL_ECONFLICT);
	CHECK_INT(p.release_id, 0);
	CHECK_INT(sl_rollback_choose(0, 0, 11, "production", &p, &err),
		  SL_ECONFLICT);
	CHECK_STR(err.field, "status");
	CHECK(strstr(err.message, "no earlier version ran in production") !=
	      NULL);
}

TEST(a_new_release_begins_as_a_draft_or_planned)
{
	for (int s = 0; s < SL_REL__COUNT; s++)
		CHECK_INT(sl_release_status_is_initial(s),
			  s == SL_REL_DRAFT || s == SL_REL_PLANNED);
}

TEST(only_a_cancelled_release_cannot_be_deployed)
{
	for (int s = 0; s < SL_REL__COUNT; s++)
		CHECK_INT(sl_release_deployable(s), s != SL_REL_CANCELLED);
}

TEST(released_and_cancelled_releases_wait_for_no_approval)
{
	CHECK_INT(sl_release_awaits_approval(SL_REL_DRAFT), 1);
	CHECK_INT(sl_release_awaits_approval(SL_REL_PLANNED), 1);
	CHECK_INT(sl_release_awaits_approval(SL_REL_IN_PROGRESS), 1);
	CHECK_INT(sl_release_awaits_approval(SL_REL_RELEASED), 0);
	CHECK_INT(sl_release_awaits_approval(SL_REL_CANCELLED), 0);
}

TEST(a_deployment_keeps_when_it_started_verified_and_finished)
{
	struct sl_deploy_times t = {0};

	sl_deploy_stamp(&t, SL_DEP_QUEUED, 5);
	CHECK_INT(t.started_at, 0);
	sl_deploy_stamp(&t, SL_DEP_IN_PROGRESS, 10);
	sl_deploy_stamp(&t, SL_DEP_IN_PROGRESS, 11); /* started once */
	CHECK_INT(t.started_at, 10);
	sl_deploy_stamp(&t, SL_DEP_SUCCEEDED, 20);
	CHECK_INT(t.finished_at, 20);
	sl_deploy_stamp(&t, SL_DEP_VERIFIED, 30);
	CHECK_INT(t.verified_at, 30);
	CHECK_INT(t.finished_at, 20);
	/* A rollback of a finished deployment keeps its finish. */
	sl_deploy_stamp(&t, SL_DEP_ROLLED_BACK, 40);
	CHECK_INT(t.finished_at, 20);
	t = (struct sl_deploy_times){10, 0, 0};
	sl_deploy_stamp(&t, SL_DEP_ROLLED_BACK, 40);
	CHECK_INT(t.finished_at, 40);
	sl_deploy_stamp(&t, SL_DEP_FAILED, 50);
	CHECK_INT(t.finished_at, 50);
}

TEST(only_starting_a_deployment_meets_the_gates)
{
	CHECK_INT(sl_deploy_move_gated(SL_DEP__COUNT, SL_DEP_IN_PROGRESS), 1);
	CHECK_INT(sl_deploy_move_gated(SL_DEP_QUEUED, SL_DEP_IN_PROGRESS), 1);
	CHECK_INT(sl_deploy_move_gated(SL_DEP__COUNT, SL_DEP_QUEUED), 0);
	CHECK_INT(sl_deploy_move_gated(SL_DEP_IN_PROGRESS, SL_DEP_SUCCEEDED),
		  0);
	CHECK_INT(sl_deploy_move_gated(SL_DEP_FAILED, SL_DEP_IN_PROGRESS), 0);
}

TEST(only_a_deployment_in_progress_past_its_deadline_stalls)
{
	const int64_t s = 1000000, t0 = 1800000000 * s;

	CHECK_INT(sl_deploy_stalls(SL_DEP_IN_PROGRESS, t0, 60, t0 + 60 * s), 0);
	CHECK_INT(sl_deploy_stalls(SL_DEP_IN_PROGRESS, t0, 60, t0 + 61 * s), 1);
	/* No deadline of its own: an hour. */
	CHECK_INT(sl_deploy_stalls(SL_DEP_IN_PROGRESS, t0, 0, t0 + 3600 * s),
		  0);
	CHECK_INT(sl_deploy_stalls(SL_DEP_IN_PROGRESS, t0, 0, t0 + 3601 * s),
		  1);
	for (int st = 0; st < SL_DEP__COUNT; st++)
		if (st != SL_DEP_IN_PROGRESS)
			CHECK_INT(sl_deploy_stalls((enum sl_deploy_status)st,
						   t0, 1, t0 + 7200 * s),
				  0);
}

TEST(production_is_what_is_marked_else_the_highest_rank_not_excluded)
{
	int out[4];
	/* nothing marked: the highest rank, both at it */
	struct sl_env_prod plain[] = {{10, SL_PROD_UNSET},
				      {900, SL_PROD_UNSET},
				      {900, SL_PROD_UNSET},
				      {500, SL_PROD_UNSET}};
	/* one marked true: only it, whatever its rank */
	struct sl_env_prod marked[] = {{10, SL_PROD_UNSET},
				       {900, SL_PROD_UNSET},
				       {500, SL_PROD_YES},
				       {600, SL_PROD_NO}};
	/* the top one marked false: the next rank */
	struct sl_env_prod excluded[] = {{10, SL_PROD_UNSET},
					 {900, SL_PROD_NO},
					 {500, SL_PROD_UNSET},
					 {500, SL_PROD_NO}};
	struct sl_env_prod none[] = {{1, SL_PROD_NO}};

	CHECK_INT((int)sl_production_pick(plain, 4, out), 2);
	CHECK(!out[0] && out[1] && out[2] && !out[3]);
	CHECK_INT((int)sl_production_pick(marked, 4, out), 1);
	CHECK(!out[0] && !out[1] && out[2] && !out[3]);
	CHECK_INT((int)sl_production_pick(excluded, 4, out), 1);
	CHECK(!out[0] && !out[1] && out[2] && !out[3]);
	CHECK_INT((int)sl_production_pick(none, 1, out), 0);
	CHECK_INT((int)sl_production_pick(NULL, 0, out), 0);
}

TEST_MAIN(
	T(a_deployment_keeps_when_it_started_verified_and_finished),
	T(only_starting_a_deployment_meets_the_gates),
	T(first_deployment_starts_a_draft_or_planned_release),
	T(success_at_the_top_releases_it_and_lower_down_does_not),
	T(final_statuses_never_move),
	T(duration_is_whole_milliseconds_or_unknown),
	T(by_hand_only_plan_draft_and_cancel_and_the_refusal_names_both),
	T(a_released_release_keeps_everything_but_notes_and_known_issues),
	T(changing_what_was_approved_voids_approvals_and_nothing_else_does),
	T(release_type_must_match_the_version_bump),
	T(a_first_release_may_be_anything_but_not_below_every_other),
	T(rollback_to_what_ran_before_is_ungated_and_any_other_target_is_gated),
	T(a_token_may_only_expire_in_the_future),
	T(a_new_release_begins_as_a_draft_or_planned),
	T(only_a_cancelled_release_cannot_be_deployed),
	T(released_and_cancelled_releases_wait_for_no_approval),
	T(only_a_deployment_in_progress_past_its_deadline_stalls),
	T(production_is_what_is_marked_else_the_highest_rank_not_excluded))
