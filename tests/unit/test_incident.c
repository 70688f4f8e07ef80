/* test_incident.c - the rules of incidents: which deployments are
 * suspected, which may be named as the cause, resolution time, severity
 * labels, keys from a sender's group, and what an alert does. */
#include <string.h>

#include "core/incident.h"
#include "core/validate.h"
#include "test.h"

#define S 1000000LL /* a second in microseconds */

static const struct sl_suspect cand[] = {
	/* index: id, service, environment, started_at */
	/* 0 */ {10, "api", "prod", 100 * S},
	/* 1 */ {11, "api", "prod", 200 * S},
	/* 2 */ {12, "api", "staging", 250 * S}, /* other environment */
	/* 3 */ {13, "web", "prod", 260 * S},
	/* 4 */ {14, "api", "prod", 300 * S},
	/* 5 */ {15, "api", "prod", 0}, /* never started */
	/* 6 */ {16, "api", "prod", 400 * S},
	/* 7 */ {17, "api", "prod", 500 * S}, /* at the start: not before */
	/* 8 */ {18, "web", "prod", 450 * S},
	/* 9 */ {19, "db", "prod", 10 * S},    /* a service not named */
	/* 10 */ {20, "api", "prod", 400 * S}, /* same start as 16 */
};
#define NCAND (sizeof(cand) / sizeof(cand[0]))

TEST(suspects_are_the_newest_starts_before_the_incident_per_service)
{
	const char *svcs[] = {"api", "web"};
	size_t out[NCAND];
	size_t n = sl_incident_suspects(cand, NCAND, "prod", svcs, 2, 500 * S,
					3, out);

	/* api: 20 and 16 started at 400 s (the higher id first), then 14;
	 * 17 started at the incident's start, 15 never started, 12 is in
	 * staging. web: 18, then 13. */
	CHECK_INT(n, 5);
	CHECK_INT(cand[out[0]].id, 20);
	CHECK_INT(cand[out[1]].id, 16);
	CHECK_INT(cand[out[2]].id, 14);
	CHECK_INT(cand[out[3]].id, 18);
	CHECK_INT(cand[out[4]].id, 13);
}

TEST(suspects_are_capped_per_service_and_a_service_named_twice_counts_once)
{
	const char *svcs[] = {"api", "api"};
	size_t out[NCAND];
	size_t n = sl_incident_suspects(cand, NCAND, "prod", svcs, 2, 1000 * S,
					2, out);

	CHECK_INT(n, 2);
	CHECK_INT(cand[out[0]].id, 17);
	CHECK_INT(cand[out[1]].id, 20);
}

TEST(no_deployment_before_the_start_means_no_suspect)
{
	const char *svcs[] = {"api"};
	size_t out[NCAND];

	CHECK_INT(sl_incident_suspects(cand, NCAND, "prod", svcs, 1, 100 * S, 3,
				       out),
		  0);
	CHECK_INT(sl_incident_suspects(cand, NCAND, "qa", svcs, 1, 1000 * S, 3,
				       out),
		  0);
}

TEST(only_a_deployment_of_the_incidents_place_may_be_the_cause)
{
	const char *svcs[] = {"api", "web"};

	CHECK_INT(sl_incident_cause_fits("prod", svcs, 2, "prod", "web"), 1);
	CHECK_INT(sl_incident_cause_fits("prod", svcs, 2, "staging", "api"), 0);
	CHECK_INT(sl_incident_cause_fits("prod", svcs, 2, "prod", "db"), 0);
	CHECK_INT(sl_incident_cause_fits("prod", svcs, 2, NULL, "api"), 0);
}

TEST(resolution_time_is_whole_seconds_and_never_negative)
{
	struct sl_error err = {0};
	int64_t secs = -1;

	CHECK_INT(
		sl_incident_resolution(100 * S, 190 * S + 999999, &secs, &err),
		SL_OK);
	CHECK_INT(secs, 90);
	CHECK_INT(sl_incident_resolution(100 * S, 100 * S, &secs, &err), SL_OK);
	CHECK_INT(secs, 0);
	CHECK_INT(sl_incident_resolution(100 * S, 99 * S, &secs, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "resolved_at");
}

TEST(severity_labels_map_to_the_three_words)
{
	CHECK_INT(sl_incident_severity_from_label("critical"), SL_SEV_CRITICAL);
	CHECK_INT(sl_incident_severity_from_label("Page"), SL_SEV_CRITICAL);
	CHECK_INT(sl_incident_severity_from_label("warning"), SL_SEV_MAJOR);
	CHECK_INT(sl_incident_severity_from_label("info"), SL_SEV_MINOR);
	CHECK_INT(sl_incident_severity_from_label("whatever"), SL_SEV_MAJOR);
	CHECK_INT(sl_incident_severity_from_label(NULL), SL_SEV_MAJOR);
	CHECK_STR(sl_incident_severity_name(SL_SEV_MINOR), "minor");
}

TEST(a_groups_key_is_a_stable_slug)
{
	char a[64], b[64], c[64];
	struct sl_error err = {0};

	sl_incident_key_from("alertmanager", "am\n{}:{alertname=\"X\"}", a,
			     sizeof(a));
	sl_incident_key_from("alertmanager", "am\n{}:{alertname=\"X\"}", b,
			     sizeof(b));
	sl_incident_key_from("alertmanager", "am\n{}:{alertname=\"Y\"}", c,
			     sizeof(c));
	CHECK_STR(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK_INT((int)strlen(a), 12 + 1 + 16);
	CHECK_INT(sl_valid_slug(a, "key", &err), 0);
}

TEST(an_alert_opens_resolves_reopens_or_does_nothing_new)
{
	CHECK_INT(sl_incident_alert_step(1, 0, 0), SL_ISTEP_OPEN);
	CHECK_INT(sl_incident_alert_step(0, 0, 0), SL_ISTEP_RECORD);
	CHECK_INT(sl_incident_alert_step(1, 1, 0), SL_ISTEP_NONE);
	CHECK_INT(sl_incident_alert_step(0, 1, 0), SL_ISTEP_RESOLVE);
	CHECK_INT(sl_incident_alert_step(0, 1, 1), SL_ISTEP_NONE);
	CHECK_INT(sl_incident_alert_step(1, 1, 1), SL_ISTEP_REOPEN);
}

TEST_MAIN(
	T(suspects_are_the_newest_starts_before_the_incident_per_service),
	T(suspects_are_capped_per_service_and_a_service_named_twice_counts_once),
	T(no_deployment_before_the_start_means_no_suspect),
	T(only_a_deployment_of_the_incidents_place_may_be_the_cause),
	T(resolution_time_is_whole_seconds_and_never_negative),
	T(severity_labels_map_to_the_three_words),
	T(a_groups_key_is_a_stable_slug),
	T(an_alert_opens_resolves_reopens_or_does_nothing_new))
