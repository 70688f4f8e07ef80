/* test_hook.c - what one webhook delivery does: the plan the core makes
 * from a signal and the facts the store holds, and the sources' schemes
 * and status words. */
#include "core/hook.h"
#include "test.h"

static struct sl_signal deployment(const char *status_word)
{
	struct sl_signal s = {.kind = SL_SIG_DEPLOYMENT};

	sl_signal_set(s.event, sizeof(s.event), "deployment_status");
	sl_signal_set(s.repo, sizeof(s.repo), "Octo/App");
	sl_signal_set(s.environment, sizeof(s.environment), "production");
	sl_signal_set(s.sha, sizeof(s.sha),
		      "9049f1265b7d61be4a8904a9a27120d2064dab3b");
	sl_signal_set(s.tag, sizeof(s.tag), "v1.4.0");
	if (status_word)
		s.has_status = sl_hook_status(SL_HOOK_GITHUB, status_word,
					      &s.status) == 0;
	return s;
}

static const struct sl_hook_facts matched = {
	.service = "app",
	.environment = "production",
	.release_id = 7,
};

#define STEP(p, i)   ((p).steps[i].step)
#define STATUS(p, i) ((p).steps[i].status)

TEST(an_ignored_signal_writes_nothing_and_keeps_its_reason)
{
	struct sl_signal s = deployment(NULL);
	struct sl_hook_plan p;

	sl_signal_ignore(&s, "GitHub's ping: the receiver is reachable");
	sl_hook_plan(&s, &matched, &p);
	CHECK_INT(p.nsteps, 0);
	CHECK_STR(p.outcome, "ignored");
	CHECK_STR(p.reason, "GitHub's ping: the receiver is reachable");
}

TEST(a_repository_no_service_maps_to_is_unmatched_and_says_how_to_map_it)
{
	struct sl_signal s = deployment("success");
	struct sl_hook_facts f = matched;
	struct sl_hook_plan p;

	f.service = NULL;
	sl_hook_plan(&s, &f, &p);
	CHECK_INT(p.nsteps, 0);
	CHECK_STR(p.outcome, "unmatched");
	CHECK(strstr(p.reason, "'Octo/App'") != NULL);
	CHECK(strstr(p.reason, "receiver's services") != NULL);
}

TEST(an_unknown_environment_is_unmatched)
{
	struct sl_signal s = deployment("success");
	struct sl_hook_facts f = matched;
	struct sl_hook_plan p;

	f.environment = NULL;
	sl_hook_plan(&s, &f, &p);
	CHECK_STR(p.outcome, "unmatched");
	CHECK(strstr(p.reason, "'production'") != NULL);
}

TEST(a_first_success_creates_the_deployment_in_progress_then_moves_it)
{
	struct sl_signal s = deployment("success");
	struct sl_hook_plan p;

	sl_hook_plan(&s, &matched, &p);
	CHECK_STR(p.outcome, "applied");
	CHECK_INT(p.nsteps, 2);
	CHECK_INT(STEP(p, 0), SL_STEP_CREATE_DEPLOYMENT);
	CHECK_INT(STATUS(p, 0), SL_DEP_IN_PROGRESS);
	CHECK_INT(STEP(p, 1), SL_STEP_MOVE_DEPLOYMENT);
	CHECK_INT(STATUS(p, 1), SL_DEP_SUCCEEDED);
}

TEST(a_created_deployment_is_queued)
{
	struct sl_signal s = deployment("pending");
	struct sl_hook_plan p;

	sl_hook_plan(&s, &matched, &p);
	CHECK_INT(p.nsteps, 1);
	CHECK_INT(STEP(p, 0), SL_STEP_CREATE_DEPLOYMENT);
	CHECK_INT(STATUS(p, 0), SL_DEP_QUEUED);
}

TEST(success_after_queued_steps_through_in_progress)
{
	struct sl_signal s = deployment("success");
	struct sl_hook_facts f = matched;
	struct sl_hook_plan p;

	f.deployment_id = 12;
	f.deployment_status = SL_DEP_QUEUED;
	sl_hook_plan(&s, &f, &p);
	CHECK_INT(p.nsteps, 2);
	CHECK_INT(STATUS(p, 0), SL_DEP_IN_PROGRESS);
	CHECK_INT(STATUS(p, 1), SL_DEP_SUCCEEDED);
}

TEST(a_status_that_arrives_late_is_ignored_with_both_statuses_named)
{
	struct sl_signal s = deployment("in_progress");
	struct sl_hook_facts f = matched;
	struct sl_hook_plan p;

	f.deployment_id = 12;
	f.deployment_status = SL_DEP_SUCCEEDED;
	sl_hook_plan(&s, &f, &p);
	CHECK_INT(p.nsteps, 0);
	CHECK_STR(p.outcome, "ignored");
	CHECK_STR(p.reason, "deployment 12 is succeeded and cannot move to "
			    "in_progress: the delivery arrived late");
}

TEST(the_same_status_again_is_ignored)
{
	struct sl_signal s = deployment("failure");
	struct sl_hook_facts f = matched;
	struct sl_hook_plan p;

	f.deployment_id = 12;
	f.deployment_status = SL_DEP_FAILED;
	sl_hook_plan(&s, &f, &p);
	CHECK_INT(p.nsteps, 0);
	CHECK_STR(p.reason, "deployment 12 is already failed");
}

TEST(no_release_is_unmatched_unless_the_receiver_makes_them_from_tags)
{
	struct sl_signal s = deployment("success");
	struct sl_hook_facts f = matched;
	struct sl_hook_plan p;

	f.release_id = 0;
	sl_hook_plan(&s, &f, &p);
	CHECK_STR(p.outcome, "unmatched");
	CHECK(strstr(p.reason, "does not create releases") != NULL);

	f.create_releases = 1;
	sl_hook_plan(&s, &f, &p);
	CHECK_STR(p.outcome, "applied");
	CHECK_INT(p.nsteps, 3);
	CHECK_INT(STEP(p, 0), SL_STEP_CREATE_RELEASE);
	CHECK_STR(p.version, "1.4.0");
	CHECK_INT(STEP(p, 1), SL_STEP_CREATE_DEPLOYMENT);

	sl_signal_set(s.tag, sizeof(s.tag), "nightly");
	sl_hook_plan(&s, &f, &p);
	CHECK_STR(p.outcome, "unmatched");
	CHECK(strstr(p.reason, "nightly is no SemVer tag") != NULL);
}

TEST(a_release_signal_makes_a_release_once)
{
	struct sl_signal s = {.kind = SL_SIG_RELEASE};
	struct sl_hook_facts f = {.service = "app", .create_releases = 1};
	struct sl_hook_plan p;

	sl_signal_set(s.tag, sizeof(s.tag), "v2.0.0-rc.1");
	sl_hook_plan(&s, &f, &p);
	CHECK_INT(p.nsteps, 1);
	CHECK_STR(p.version, "2.0.0-rc.1");
	f.release_id = 3;
	sl_hook_plan(&s, &f, &p);
	CHECK_INT(p.nsteps, 0);
	CHECK_STR(p.outcome, "ignored");
}

TEST(tags_give_versions_only_when_they_are_semver)
{
	char v[64];

	CHECK_INT(sl_hook_tag_version("v1.2.3", v, sizeof(v)), 0);
	CHECK_STR(v, "1.2.3");
	CHECK_INT(sl_hook_tag_version("1.2.3+build.5", v, sizeof(v)), 0);
	CHECK_STR(v, "1.2.3+build.5");
	CHECK_INT(sl_hook_tag_version("v1.2", v, sizeof(v)), -1);
	CHECK_INT(sl_hook_tag_version("release-1", v, sizeof(v)), -1);
	CHECK_INT(sl_hook_tag_version("", v, sizeof(v)), -1);
}

TEST(each_source_has_a_scheme_and_senders_words_map_to_statuses)
{
	enum sl_deploy_status st;

	for (int s = 0; s < SL_HOOK__COUNT; s++)
		CHECK(sl_hook_scheme((enum sl_hook_source)s)->auth_header);
	CHECK_INT(sl_hook_scheme(SL_HOOK_GITHUB)->auth, SL_HOOK_AUTH_GITHUB);
	CHECK_INT(sl_hook_scheme(SL_HOOK_GITLAB)->auth, SL_HOOK_AUTH_TOKEN);
	CHECK_INT(sl_hook_status(SL_HOOK_GITLAB, "running", &st), 0);
	CHECK_INT(st, SL_DEP_IN_PROGRESS);
	CHECK_INT(sl_hook_status(SL_HOOK_GITHUB, "inactive", &st), -1);
	CHECK_INT(sl_hook_status(SL_HOOK_GITHUB, "SUCCESS", &st), -1);
}

TEST(a_value_too_long_for_its_field_is_refused_not_cut)
{
	struct sl_signal s = {0};
	char long_repo[400];

	memset(long_repo, 'a', sizeof(long_repo) - 1);
	long_repo[sizeof(long_repo) - 1] = '\0';
	CHECK_INT(sl_signal_set(s.repo, sizeof(s.repo), long_repo), -1);
	CHECK_STR(s.repo, "");
}

TEST(a_delivery_is_keyed_by_its_scope_and_id_or_their_digest)
{
	char k[128], big[300];

	sl_hook_delivery_key(NULL, "abc", k, sizeof(k));
	CHECK_STR(k, "abc");
	sl_hook_delivery_key("", "abc", k, sizeof(k));
	CHECK_STR(k, "abc");
	sl_hook_delivery_key("/ci/one", "1", k, sizeof(k));
	CHECK_STR(k, "/ci/one 1");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sl_hook_delivery_key(big, "1", k, sizeof(k));
	/* SHA-256 of 299 'x', a space and "1", as sha256sum prints it */
	CHECK_STR(k, "sha256-"
		     "abba5300c9b731e508ad9397906a366fb65b3117344cebda544360a75"
		     "c8bb7c9");
	{
		char k2[128];

		/* the same text, the same key; another id, another */
		sl_hook_delivery_key(big, "1", k2, sizeof(k2));
		CHECK_STR(k2, k);
		sl_hook_delivery_key(big, "2", k2, sizeof(k2));
		CHECK(strcmp(k2, k) != 0);
	}
}

TEST_MAIN(
	T(a_delivery_is_keyed_by_its_scope_and_id_or_their_digest),
	T(an_ignored_signal_writes_nothing_and_keeps_its_reason),
	T(a_repository_no_service_maps_to_is_unmatched_and_says_how_to_map_it),
	T(an_unknown_environment_is_unmatched),
	T(a_first_success_creates_the_deployment_in_progress_then_moves_it),
	T(a_created_deployment_is_queued),
	T(success_after_queued_steps_through_in_progress),
	T(a_status_that_arrives_late_is_ignored_with_both_statuses_named),
	T(the_same_status_again_is_ignored),
	T(no_release_is_unmatched_unless_the_receiver_makes_them_from_tags),
	T(a_release_signal_makes_a_release_once),
	T(tags_give_versions_only_when_they_are_semver),
	T(each_source_has_a_scheme_and_senders_words_map_to_statuses),
	T(a_value_too_long_for_its_field_is_refused_not_cut))
