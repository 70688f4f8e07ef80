/* test_gate_governance.c - overrides, checklists, the reach of windows,
 * standard changes, promotion order and the concurrency limit. */
#include "core/governance.h"
#include "test.h"

#include <string.h>

static const unsigned admins =
	SL_ROLE_BIT(SL_ROLE_ADMIN) | SL_ROLE_BIT(SL_ROLE_RELEASE_MANAGER);

static struct sl_override over(const char *const *checks, size_t n,
			       const char *reason)
{
	return (struct sl_override){checks, n, reason};
}

TEST(an_emergency_release_may_set_aside_what_may_be_set_aside)
{
	static const char *const checks[] = {"windows", "approvals",
					     "change_request", "promotion",
					     "checklist"};
	struct sl_override o = over(checks, 5, "payments are down");
	struct sl_error err = {0};

	CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY,
				    SL_ROLE_RELEASE_MANAGER, admins, &err),
		  SL_OK);
	CHECK_INT(err.code, SL_OK); /* filled only on failure */
	/* No check named is still an override with a reason. */
	o = over(NULL, 0, "payments are down");
	CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY, SL_ROLE_ADMIN,
				    admins, &err),
		  SL_OK);
}

TEST(only_an_emergency_release_may_override)
{
	static const char *const checks[] = {"windows"};
	struct sl_override o = over(checks, 1, "payments are down");
	struct sl_error err = {0};

	CHECK_INT(sl_override_check(&o, SL_TYPE_HOTFIX, SL_ROLE_ADMIN, admins,
				    &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "override");
	CHECK_STR(err.message, "only emergency releases may override gates; "
			       "this one is hotfix");
	/* The type is judged first, before the missing reason. */
	o.reason = NULL;
	CHECK_INT(sl_override_check(&o, SL_TYPE_MAJOR, SL_ROLE_ADMIN, admins,
				    &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "override");
}

TEST(an_override_needs_a_reason)
{
	static const char *const checks[] = {"windows"};
	struct sl_override o = over(checks, 1, NULL);
	struct sl_error err = {0};

	CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY, SL_ROLE_ADMIN,
				    admins, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "override.reason");
	CHECK_STR(err.message, "an override needs a reason");
	o.reason = "";
	memset(&err, 0, sizeof(err));
	CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY, SL_ROLE_ADMIN,
				    admins, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "override.reason");
}

TEST(only_a_role_the_policy_names_may_override)
{
	static const char *const checks[] = {"windows"};
	struct sl_override o = over(checks, 1, "payments are down");
	struct sl_error err = {0};

	CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY, SL_ROLE_DEPLOYER,
				    admins, &err),
		  SL_EFORBIDDEN);
	CHECK_STR(err.field, "override");
	CHECK_STR(err.message, "the role deployer may not override gates in "
			       "this environment");
	CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY, SL_ROLE_DEPLOYER,
				    SL_ROLE_BIT(SL_ROLE_DEPLOYER), &err),
		  SL_OK);
	/* A policy that names no role lets no one. */
	CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY, SL_ROLE_ADMIN, 0,
				    &err),
		  SL_EFORBIDDEN);
	/* Nor does a role this build does not know. */
	CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY, SL_ROLE__COUNT, ~0u,
				    &err),
		  SL_EFORBIDDEN);
}

TEST(permission_segregation_dependencies_and_concurrency_are_never_set_aside)
{
	static const char *const names[] = {"permission", "segregation",
					    "dependencies", "concurrency",
					    "no_such_check"};
	struct sl_error err = {0};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *checks[] = {"windows", names[i]};
		struct sl_override o = over(checks, 2, "payments are down");
		char want[128];

		memset(&err, 0, sizeof(err));
		CHECK_INT(sl_override_check(&o, SL_TYPE_EMERGENCY,
					    SL_ROLE_ADMIN, admins, &err),
			  SL_EINVAL);
		CHECK_STR(err.field, "override.checks");
		snprintf(want, sizeof(want),
			 "the check '%s' cannot be overridden", names[i]);
		CHECK_STR(err.message, want);
	}
}

static const char *const backup[] = {"backup validated", "on-call told"};
static const char *const rehearse[] = {"rollback rehearsed"};

TEST(a_checklist_applies_to_its_types_or_to_every_type)
{
	struct sl_checklist any = {0, backup, 2};
	struct sl_checklist major = {SL_TYPE_BIT(SL_TYPE_MAJOR), rehearse, 1};
	struct sl_checklist two = {SL_TYPE_BIT(SL_TYPE_MAJOR) |
					   SL_TYPE_BIT(SL_TYPE_EMERGENCY),
				   rehearse, 1};

	CHECK_INT(sl_checklist_applies(&any, SL_TYPE_PATCH), 1);
	CHECK_INT(sl_checklist_applies(&any, SL_TYPE__COUNT), 1);
	CHECK_INT(sl_checklist_applies(&major, SL_TYPE_MAJOR), 1);
	CHECK_INT(sl_checklist_applies(&major, SL_TYPE_MINOR), 0);
	CHECK_INT(sl_checklist_applies(&major, SL_TYPE__COUNT), 0);
	CHECK_INT(sl_checklist_applies(&two, SL_TYPE_EMERGENCY), 1);
	CHECK_INT(sl_checklist_applies(&two, SL_TYPE_HOTFIX), 0);
}

TEST(an_item_is_required_when_a_list_that_applies_holds_it)
{
	struct sl_checklist lists[] = {
		{0, backup, 2},
		{SL_TYPE_BIT(SL_TYPE_MAJOR), rehearse, 1},
	};

	CHECK_INT(sl_checklist_requires(lists, 2, SL_TYPE_MINOR,
					"backup validated"),
		  1);
	CHECK_INT(sl_checklist_requires(lists, 2, SL_TYPE_MINOR,
					"rollback rehearsed"),
		  0);
	CHECK_INT(sl_checklist_requires(lists, 2, SL_TYPE_MAJOR,
					"rollback rehearsed"),
		  1);
	CHECK_INT(sl_checklist_requires(lists, 2, SL_TYPE_MAJOR, "backup"), 0);
	CHECK_INT(sl_checklist_requires(NULL, 0, SL_TYPE_MAJOR, "backup"), 0);
}

TEST(open_items_are_those_of_applying_lists_not_done)
{
	struct sl_checklist lists[] = {
		{0, backup, 2},
		{SL_TYPE_BIT(SL_TYPE_MAJOR), rehearse, 1},
		{SL_TYPE_BIT(SL_TYPE_MAJOR), backup, 1}, /* backup again */
	};
	const char *done[] = {"on-call told"};
	const char *missing[8] = {0};
	size_t nitems = 99, n;

	n = sl_checklist_open(lists, 3, SL_TYPE_MINOR, done, 1, missing, 8,
			      &nitems);
	CHECK_INT(nitems, 2);
	CHECK_INT(n, 1);
	CHECK_STR(missing[0], "backup validated");
	/* A major release owes every list; an item on two counts twice. */
	n = sl_checklist_open(lists, 3, SL_TYPE_MAJOR, done, 1, missing, 8,
			      &nitems);
	CHECK_INT(nitems, 4);
	CHECK_INT(n, 3);
	CHECK_STR(missing[0], "backup validated");
	CHECK_STR(missing[1], "rollback rehearsed");
	CHECK_STR(missing[2], "backup validated");
	/* At most cap are written; every item is still counted. */
	n = sl_checklist_open(lists, 3, SL_TYPE_MAJOR, NULL, 0, missing, 2,
			      &nitems);
	CHECK_INT(nitems, 4);
	CHECK_INT(n, 2);
	n = sl_checklist_open(NULL, 0, SL_TYPE_MAJOR, NULL, 0, missing, 2,
			      &nitems);
	CHECK_INT(nitems, 0);
	CHECK_INT(n, 0);
}

static const struct sl_tag tier1[] = {{"team", "payments"}, {"tier", "1"}};

TEST(a_window_reaches_its_environment_or_every_one)
{
	struct sl_window_reach all = {NULL, NULL};
	struct sl_window_reach prod = {"prod", NULL};

	CHECK_INT(sl_window_reaches_env(NULL, "prod"), 1);
	CHECK_INT(sl_window_reaches_env("prod", "prod"), 1);
	CHECK_INT(sl_window_reaches_env("prod", "staging"), 0);
	CHECK_INT(sl_window_applies(&all, "staging", NULL, 0), 1);
	CHECK_INT(sl_window_applies(&prod, "prod", NULL, 0), 1);
	CHECK_INT(sl_window_applies(&prod, "production", tier1, 2), 0);
}

TEST(a_window_with_a_service_tag_applies_to_services_carrying_it)
{
	struct sl_window_reach w = {"prod", "tier=1"};

	CHECK_INT(sl_window_applies(&w, "prod", tier1, 2), 1);
	CHECK_INT(sl_window_applies(&w, "staging", tier1, 2), 0);
	w.service_tag = "tier=2";
	CHECK_INT(sl_window_applies(&w, "prod", tier1, 2), 0);
	/* A key is matched whole, not as a prefix. */
	w.service_tag = "tie=1";
	CHECK_INT(sl_window_applies(&w, "prod", tier1, 2), 0);
	w.service_tag = "tier=";
	CHECK_INT(sl_window_applies(&w, "prod", tier1, 2), 0);
	w.service_tag = "team=payments";
	CHECK_INT(sl_window_applies(&w, "prod", tier1, 2), 1);
	/* An unknown service has no tags; a tag that is not key=value
	 * matches nothing. */
	CHECK_INT(sl_window_applies(&w, "prod", NULL, 0), 0);
	w.service_tag = "tier";
	CHECK_INT(sl_window_applies(&w, "prod", tier1, 2), 0);
	w.environment = NULL;
	w.service_tag = "tier=1";
	CHECK_INT(sl_window_applies(&w, "staging", tier1, 2), 1);
}

TEST(a_standard_change_pre_approves_only_its_types)
{
	unsigned minor = SL_TYPE_BIT(SL_TYPE_MINOR);

	CHECK_INT(sl_change_preapproves(SL_CRC_STANDARD, SL_TYPE_MINOR, minor),
		  1);
	CHECK_INT(sl_change_preapproves(SL_CRC_STANDARD, SL_TYPE_MAJOR, minor),
		  0);
	CHECK_INT(sl_change_preapproves(SL_CRC_NORMAL, SL_TYPE_MINOR, minor),
		  0);
	CHECK_INT(sl_change_preapproves(SL_CRC__COUNT, SL_TYPE_MINOR, minor),
		  0);
	CHECK_INT(sl_change_preapproves(SL_CRC_STANDARD, SL_TYPE__COUNT, ~0u),
		  0);
	CHECK_INT(sl_change_preapproves(SL_CRC_STANDARD, SL_TYPE_MINOR, 0), 0);
}

TEST(a_release_is_promoted_from_the_highest_rank_below)
{
	const int64_t ranks[] = {30, 10, 20, 20, 0};

	CHECK_INT(sl_env_below(ranks, 5, 30), 2); /* the first of equals */
	CHECK_INT(sl_env_below(ranks, 5, 20), 1);
	CHECK_INT(sl_env_below(ranks, 5, 25), 2);
	CHECK_INT(sl_env_below(ranks, 5, 1000), 0);
	CHECK_INT(sl_env_below(ranks, 5, 0), 5); /* the lowest: none */
	CHECK_INT(sl_env_below(NULL, 0, 10), 0);
}

TEST(the_policys_concurrency_limit_wins_when_it_sets_one)
{
	CHECK_INT(sl_concurrency_limit(1, 2, 5), 2);
	CHECK_INT(sl_concurrency_limit(1, 0, 5), 0); /* unlimited */
	CHECK_INT(sl_concurrency_limit(0, 2, 5), 5);
}

TEST(the_freeze_that_holds_longest_blocks_and_maintenance_opens_the_way)
{
	const struct sl_window_state w[] = {
		{"short", SL_WIN_FREEZE, 1, 100, 0, 0},
		{"long", SL_WIN_BLACKOUT, 1, 300, 0, 0},
		{"later", SL_WIN_FREEZE, 0, 0, 1, 50},
		{"maint-now", SL_WIN_MAINTENANCE, 1, 120, 1, 400},
	};
	struct sl_window_verdict v;

	sl_windows_judge(w, 4, 0, &v);
	CHECK(v.block == &w[1]);
	CHECK_INT(v.block_until, 300);
	CHECK_INT(v.in_maintenance, 1);
	CHECK_INT(v.next_maintenance, 0);
	/* A window not in force blocks nothing. */
	sl_windows_judge(&w[2], 1, 0, &v);
	CHECK(v.block == NULL);
	CHECK_INT(v.in_maintenance, 0);
}

TEST(the_next_maintenance_window_is_looked_for_only_when_required)
{
	const struct sl_window_state w[] = {
		{"b", SL_WIN_MAINTENANCE, 0, 0, 1, 900},
		{"a", SL_WIN_MAINTENANCE, 0, 0, 1, 700},
		{"none", SL_WIN_MAINTENANCE, 0, 0, 0, 0},
		{"freeze", SL_WIN_FREEZE, 0, 0, 1, 100},
	};
	struct sl_window_verdict v;

	sl_windows_judge(w, 4, 1, &v);
	CHECK_INT(v.next_maintenance, 700);
	CHECK_INT(v.in_maintenance, 0);
	CHECK(v.block == NULL);
	sl_windows_judge(w, 4, 0, &v);
	CHECK_INT(v.next_maintenance, 0);
}

TEST(a_dependency_is_met_by_the_first_running_version_in_range)
{
	struct sl_range *r = NULL;
	const char *const vs[] = {NULL, "not-a-version", "1.2.0", "2.1.0",
				  "2.3.0"};

	SL_ASSERT(sl_range_parse(">=2.0.0 <3.0.0", &r, NULL) == SL_OK);
	CHECK_INT(sl_dependency_fit(r, vs, 5), 3);
	CHECK_INT(sl_dependency_fit(r, vs, 3), 3); /* none of the first 3 */
	CHECK_INT(sl_dependency_fit(NULL, vs, 5), 5);
	CHECK_INT(sl_dependency_fit(r, vs, 0), 0);
	sl_range_free(r);
}

TEST(success_is_when_the_deployment_finished_else_last_updated)
{
	CHECK_INT(sl_success_time(500, 900), 500);
	CHECK_INT(sl_success_time(0, 900), 900);
	CHECK_INT(sl_success_time(0, 0), 0);
}

TEST_MAIN(
	T(an_emergency_release_may_set_aside_what_may_be_set_aside),
	T(only_an_emergency_release_may_override),
	T(an_override_needs_a_reason),
	T(only_a_role_the_policy_names_may_override),
	T(permission_segregation_dependencies_and_concurrency_are_never_set_aside),
	T(a_checklist_applies_to_its_types_or_to_every_type),
	T(an_item_is_required_when_a_list_that_applies_holds_it),
	T(open_items_are_those_of_applying_lists_not_done),
	T(a_window_reaches_its_environment_or_every_one),
	T(a_window_with_a_service_tag_applies_to_services_carrying_it),
	T(a_standard_change_pre_approves_only_its_types),
	T(a_release_is_promoted_from_the_highest_rank_below),
	T(the_policys_concurrency_limit_wins_when_it_sets_one),
	T(the_freeze_that_holds_longest_blocks_and_maintenance_opens_the_way),
	T(the_next_maintenance_window_is_looked_for_only_when_required),
	T(a_dependency_is_met_by_the_first_running_version_in_range),
	T(success_is_when_the_deployment_finished_else_last_updated))
