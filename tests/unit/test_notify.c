/* test_notify.c - notifications: which writes are events, which
 * subscriptions want them, what a channel needs, and the retry and
 * dead-letter rule. */
#include <string.h>

#include "core/notify.h"
#include "test.h"

static int event_of(const char *action, const char *type, int before, int after,
		    enum sl_notify_event *e)
{
	struct sl_notify_change c = {action, type, before, after};

	return sl_notify_event_of(&c, e);
}

TEST(a_deployment_entering_a_watched_status_is_its_event)
{
	enum sl_notify_event e = SL_NEV__COUNT;

	CHECK_INT(event_of("deployment.event", "deployment", SL_DEP_IN_PROGRESS,
			   SL_DEP_FAILED, &e),
		  1);
	CHECK_INT(e, SL_NEV_DEPLOYMENT_FAILED);
	CHECK_INT(event_of("deployment.event", "deployment", SL_DEP_IN_PROGRESS,
			   SL_DEP_STALLED, &e),
		  1);
	CHECK_INT(e, SL_NEV_DEPLOYMENT_STALLED);
	CHECK_INT(event_of("deployment.event", "deployment", SL_DEP_SUCCEEDED,
			   SL_DEP_VERIFIED, &e),
		  1);
	CHECK_INT(e, SL_NEV_DEPLOYMENT_VERIFIED);
	CHECK_INT(event_of("deployment.rollback", "deployment",
			   SL_DEP_SUCCEEDED, SL_DEP_ROLLED_BACK, &e),
		  1);
	CHECK_INT(e, SL_NEV_DEPLOYMENT_ROLLED_BACK);
	/* Created failed: no before, still an event. */
	CHECK_INT(event_of("deployment.create", "deployment", -1, SL_DEP_FAILED,
			   &e),
		  1);
	CHECK_INT(e, SL_NEV_DEPLOYMENT_FAILED);
}

TEST(other_moves_and_writes_that_keep_the_status_are_not_events)
{
	enum sl_notify_event e = SL_NEV__COUNT;

	CHECK_INT(event_of("deployment.event", "deployment", SL_DEP_QUEUED,
			   SL_DEP_IN_PROGRESS, &e),
		  0);
	CHECK_INT(event_of("deployment.event", "deployment", SL_DEP_IN_PROGRESS,
			   SL_DEP_SUCCEEDED, &e),
		  0);
	/* A traffic event on a failed deployment: failed before and after. */
	CHECK_INT(event_of("deployment.event", "deployment", SL_DEP_FAILED,
			   SL_DEP_FAILED, &e),
		  0);
	CHECK_INT(event_of("release.update", "release", -1, -1, &e), 0);
	CHECK_INT(e, SL_NEV__COUNT);
}

TEST(a_confirmed_incident_cause_is_incident_linked)
{
	enum sl_notify_event e = SL_NEV__COUNT;

	CHECK_INT(event_of("incident.cause", "incident", -1, -1, &e), 1);
	CHECK_INT(e, SL_NEV_INCIDENT_LINKED);
	CHECK_INT(event_of("incident.create", "incident", -1, -1, &e), 0);
	CHECK_INT(sl_notify_action_maps("incident.cause", "incident"), 1);
	CHECK_INT(sl_notify_action_maps("deployment.event", "deployment"), 1);
	CHECK_INT(sl_notify_action_maps("release.create", "release"), 0);
	CHECK_INT(sl_notify_action_maps("incident.create", "incident"), 0);
}

TEST(filters_take_everything_when_empty_and_only_their_words_otherwise)
{
	const char *envs[] = {"production"};
	const char *svcs[] = {"api", "web"};
	const char *teams[] = {"payments"};
	struct sl_notify_filter any = {.events = 1u
						 << SL_NEV_DEPLOYMENT_FAILED};
	struct sl_notify_filter prod = {.events = 1u
						  << SL_NEV_DEPLOYMENT_FAILED,
					.environments = envs,
					.nenvironments = 1,
					.services = svcs,
					.nservices = 2,
					.teams = teams,
					.nteams = 1};
	struct sl_notify_about a = {.event = SL_NEV_DEPLOYMENT_FAILED,
				    .environment = "production",
				    .service = "web",
				    .team = "payments"};

	CHECK_INT(sl_notify_wants(&any, &a), 1);
	CHECK_INT(sl_notify_wants(&prod, &a), 1);
	a.environment = "staging";
	CHECK_INT(sl_notify_wants(&any, &a), 1);
	CHECK_INT(sl_notify_wants(&prod, &a), 0);
	a.environment = "production";
	a.team = "search";
	CHECK_INT(sl_notify_wants(&prod, &a), 0);
	a.team = NULL;
	CHECK_INT(sl_notify_wants(&prod, &a), 0);
	a.team = "payments";
	a.event = SL_NEV_DEPLOYMENT_VERIFIED;
	CHECK_INT(sl_notify_wants(&prod, &a), 0);
	CHECK_INT(sl_notify_wants(&any, &a), 0);
}

TEST(an_incident_on_several_services_matches_when_any_of_them_does)
{
	const char *svcs[] = {"web"};
	const char *touched[] = {"api", "web"};
	struct sl_notify_filter f = {.events = 1u << SL_NEV_INCIDENT_LINKED,
				     .services = svcs,
				     .nservices = 1};
	struct sl_notify_about a = {.event = SL_NEV_INCIDENT_LINKED,
				    .service = "api",
				    .services = touched,
				    .nservices = 2};

	CHECK_INT(sl_notify_wants(&f, &a), 1);
	a.nservices = 1;
	CHECK_INT(sl_notify_wants(&f, &a), 0);
}

TEST(an_org_wide_freeze_reaches_a_subscription_for_one_environment)
{
	const char *envs[] = {"production"};
	struct sl_notify_filter f = {.events = 1u << SL_NEV_FREEZE_STARTED,
				     .environments = envs,
				     .nenvironments = 1};
	struct sl_notify_about a = {.event = SL_NEV_FREEZE_STARTED};

	CHECK_INT(sl_notify_wants(&f, &a), 0);
	a.every_environment = 1;
	CHECK_INT(sl_notify_wants(&f, &a), 1);
}

TEST(a_refusal_asks_for_approvals_only_when_they_are_missing)
{
	const char *some[] = {"windows", "approvals"};
	const char *other[] = {"windows"};

	CHECK_INT(sl_notify_refusal_events(some, 2),
		  (1u << SL_NEV_GATE_REFUSED) |
			  (1u << SL_NEV_APPROVAL_REQUESTED));
	CHECK_INT(sl_notify_refusal_events(other, 1),
		  1u << SL_NEV_GATE_REFUSED);
}

TEST(each_channel_asks_for_what_it_needs)
{
	struct sl_error err = {0};
	struct sl_notify_channel_spec hook = {SL_NCH_WEBHOOK,
					      "https://hooks.example/x",
					      "0123456789abcdef", NULL, 0};
	struct sl_notify_channel_spec slack = {
		SL_NCH_SLACK, "https://chat.example/services/T/B/x", NULL, NULL,
		0};
	struct sl_notify_channel_spec mail = {SL_NCH_EMAIL,
					      "smtp://mail.example:25", NULL,
					      "shiplog@example.com", 2};

	CHECK_INT(sl_notify_channel_check(&hook, &err), 0);
	CHECK_INT(sl_notify_channel_check(&slack, &err), 0);
	CHECK_INT(sl_notify_channel_check(&mail, &err), 0);
	hook.secret = NULL;
	CHECK_INT(sl_notify_channel_check(&hook, &err), -1);
	CHECK_STR(err.field, "channel.secret");
	hook.secret = "0123456789abcdef";
	hook.url = "ftp://x";
	CHECK_INT(sl_notify_channel_check(&hook, &err), -1);
	CHECK_STR(err.field, "channel.url");
	mail.url = "https://mail.example";
	CHECK_INT(sl_notify_channel_check(&mail, &err), -1);
	CHECK_STR(err.field, "channel.url");
	mail.url = "smtp://mail.example";
	mail.nto = 0;
	CHECK_INT(sl_notify_channel_check(&mail, &err), -1);
	CHECK_STR(err.field, "channel.to");
	mail.nto = 1;
	mail.from = NULL;
	CHECK_INT(sl_notify_channel_check(&mail, &err), -1);
	CHECK_STR(err.field, "channel.from");
	slack.secret = "0123456789abcdef";
	CHECK_INT(sl_notify_channel_check(&slack, &err), -1);
	CHECK_STR(err.field, "channel.secret");
}

TEST(the_wait_doubles_from_the_base_up_to_the_cap)
{
	struct sl_notify_retry r = {5, 1000, 6000};

	CHECK_INT(sl_notify_backoff(&r, 1), 1000);
	CHECK_INT(sl_notify_backoff(&r, 2), 2000);
	CHECK_INT(sl_notify_backoff(&r, 3), 4000);
	CHECK_INT(sl_notify_backoff(&r, 4), 6000);
	CHECK_INT(sl_notify_backoff(&r, 60), 6000);
}

TEST(a_failure_waits_until_the_last_attempt_then_the_notification_is_dead)
{
	struct sl_notify_retry r = {3, 1000, 1000000};
	enum sl_notify_status st;
	int64_t next = -1;

	sl_notify_after_attempt(&r, 1, 0, 50000, &st, &next);
	CHECK_INT(st, SL_NST_PENDING);
	CHECK_INT(next, 51000);
	sl_notify_after_attempt(&r, 2, 0, 60000, &st, &next);
	CHECK_INT(st, SL_NST_PENDING);
	CHECK_INT(next, 62000);
	sl_notify_after_attempt(&r, 3, 0, 70000, &st, &next);
	CHECK_INT(st, SL_NST_DEAD);
	CHECK_INT(next, 0);
	sl_notify_after_attempt(&r, 3, 1, 70000, &st, &next);
	CHECK_INT(st, SL_NST_SENT);
}

TEST(a_summary_says_what_where_and_what_happened_and_is_cut_whole)
{
	char buf[64], small[12];

	sl_notify_summary(SL_NEV_DEPLOYMENT_FAILED, "api 1.2.0", "production",
			  buf, sizeof(buf));
	CHECK_STR(buf, "api 1.2.0 in production failed");
	/* "ééééé…" is two bytes a letter: the cut keeps whole letters. */
	sl_notify_summary(SL_NEV_FREEZE_STARTED,
			  "\xc3\xa9\xc3\xa9\xc3\xa9"
			  "\xc3\xa9\xc3\xa9\xc3\xa9",
			  NULL, small, sizeof(small));
	CHECK_STR(small, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
}

TEST_MAIN(
	T(a_deployment_entering_a_watched_status_is_its_event),
	T(other_moves_and_writes_that_keep_the_status_are_not_events),
	T(a_confirmed_incident_cause_is_incident_linked),
	T(filters_take_everything_when_empty_and_only_their_words_otherwise),
	T(an_incident_on_several_services_matches_when_any_of_them_does),
	T(an_org_wide_freeze_reaches_a_subscription_for_one_environment),
	T(a_refusal_asks_for_approvals_only_when_they_are_missing),
	T(each_channel_asks_for_what_it_needs),
	T(the_wait_doubles_from_the_base_up_to_the_cap),
	T(a_failure_waits_until_the_last_attempt_then_the_notification_is_dead),
	T(a_summary_says_what_where_and_what_happened_and_is_cut_whole))
