/* test_dora.c - the delivery measures on typed rows, the levels table and
 * the calendar buckets they are counted in. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cal/buckets.h"
#include "core/dora.h"
#include "test.h"

#define S   1000000LL
#define H   (3600 * S)
#define DAY (24 * H)

/* One week of seven days from t = 0. */
static const int64_t WEEK_START[1] = {0}, WEEK_END[1] = {7 * DAY};
static const double WEEK_DAYS[1] = {7};

static struct sl_dora_dep change(int64_t id, int64_t place, int64_t at)
{
	return (struct sl_dora_dep){
		.id = id,
		.place = place,
		.at = at,
		.created_at = at - H,
		.started_at = at - H,
		.commit_at = at - 2 * H,
	};
}

static void week(const struct sl_dora_dep *d, size_t n,
		 struct sl_dora_stats *all)
{
	struct sl_dora_stats b;

	sl_dora_compute(d, n, WEEK_START, WEEK_END, WEEK_DAYS, 1, &b, all);
	CHECK_INT(b.deployments, all->deployments);
}

#define CHECK_VAL(x, want)                                                     \
	do {                                                                   \
		CHECK((x).has);                                                \
		CHECK(fabs((x).v - (want)) < 1e-9);                            \
	} while (0)

TEST(a_rollback_is_rework_not_a_change_and_the_change_it_undoes_failed)
{
	struct sl_dora_dep d[3] = {change(1, 7, 1 * DAY), change(2, 7, 2 * DAY),
				   change(3, 7, 2 * DAY + 2 * H)};
	struct sl_dora_stats all;

	d[1].rolled_back = 1;
	d[2].rollback_of = 2; /* made at 2 d + 1 h, in production 1 h later */
	week(d, 3, &all);
	CHECK_INT(all.deployments, 2);
	CHECK_INT(all.rollbacks, 1);
	CHECK_INT(all.failed_changes, 1);
	CHECK_INT(all.rework, 1);
	CHECK_VAL(all.m[SL_DM_CFR], 0.5);
	CHECK_VAL(all.m[SL_DM_REWORK], 1.0 / 3);
	CHECK_VAL(all.m[SL_DM_ROLLBACK_RATE], 0.5);
	CHECK_VAL(all.m[SL_DM_FREQUENCY], 2.0 / 7);
	/* Failed when the rollback started, recovered when it succeeded. */
	CHECK_VAL(all.m[SL_DM_RECOVERY_P50], 3600);
}

TEST(a_failed_rollout_is_no_change_no_failure_and_no_rework)
{
	struct sl_dora_dep d[2] = {change(1, 1, DAY), change(2, 1, 0)};
	struct sl_dora_stats all;

	d[1].rollout_failed = 1;
	d[1].started_at = d[1].created_at = 3 * DAY;
	week(d, 2, &all);
	CHECK_INT(all.deployments, 1);
	CHECK_INT(all.failed_rollouts, 1);
	CHECK_INT(all.failed_changes, 0);
	CHECK_VAL(all.m[SL_DM_CFR], 0);
}

TEST(a_failure_after_success_recovers_at_the_next_deployment_there)
{
	struct sl_dora_dep d[3] = {change(1, 1, DAY), change(2, 2, DAY + H),
				   change(3, 1, 3 * DAY)};
	struct sl_dora_stats all;

	d[0].failed_at = DAY + 30 * 60 * S;
	week(d, 3, &all);
	CHECK_INT(all.failed_changes, 1);
	/* Place 2's deployment is another service: place 1's next is d3. */
	CHECK_VAL(all.m[SL_DM_RECOVERY_P50],
		  (double)(2 * DAY - 30 * 60 * S) / S);
}

TEST(a_change_followed_there_by_a_hotfix_failed_and_the_hotfix_is_rework)
{
	struct sl_dora_dep d[3] = {change(1, 1, DAY), change(2, 1, 2 * DAY),
				   change(3, 1, 2 * DAY + 5 * H)};
	struct sl_dora_stats all;

	d[2].hotfix = 1;
	week(d, 3, &all);
	CHECK_INT(all.failed_changes, 1); /* d2, not d1 nor the hotfix */
	CHECK_INT(all.rework, 1);
	CHECK_VAL(all.m[SL_DM_RECOVERY_P50], 5 * 3600);
}

TEST(an_incident_cause_recovers_at_the_resolution_or_stays_unrecovered)
{
	struct sl_dora_dep d[3] = {change(1, 1, DAY), change(2, 1, 2 * DAY),
				   change(3, 2, 2 * DAY)};
	struct sl_dora_stats all;

	d[0].cause_at = DAY + H;
	d[0].resolved_at = DAY + 9 * H; /* not d2's success: the incident's */
	d[2].cause_at = 2 * DAY + H;	/* still open */
	week(d, 3, &all);
	CHECK_INT(all.failed_changes, 2);
	CHECK_INT(all.unrecovered, 1);
	CHECK_VAL(all.m[SL_DM_RECOVERY_P50], 8 * 3600);
}

TEST(nothing_to_divide_by_is_no_value_and_frequency_zero_is_a_value)
{
	struct sl_dora_stats all;

	week(NULL, 0, &all);
	CHECK(!all.m[SL_DM_CFR].has);
	CHECK(!all.m[SL_DM_REWORK].has);
	CHECK(!all.m[SL_DM_LEAD_P50].has);
	CHECK_VAL(all.m[SL_DM_FREQUENCY], 0);
	CHECK_INT(sl_dora_level_of(SL_DM_CFR, all.m[SL_DM_CFR]), SL_DORA_NONE);
	CHECK_INT(sl_dora_level_of(SL_DM_FREQUENCY, all.m[SL_DM_FREQUENCY]),
		  SL_DORA_LOW);
}

TEST(each_row_counts_in_the_bucket_of_its_success)
{
	static const int64_t st[2] = {0, DAY}, en[2] = {DAY, 2 * DAY};
	static const double days[2] = {1, 1};
	struct sl_dora_dep d[3] = {change(1, 1, DAY - 1), change(2, 1, DAY),
				   change(3, 1, 2 * DAY)};
	struct sl_dora_stats b[2], all;

	sl_dora_compute(d, 3, st, en, days, 2, b, &all);
	CHECK_INT(b[0].deployments, 1);
	CHECK_INT(b[1].deployments, 1); /* the end is not in the range */
	CHECK_INT(all.deployments, 2);
}

/* Percentiles by selection against a sort, on many sizes. */
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

TEST(percentiles_are_nearest_rank_as_a_sort_gives_them)
{
	unsigned seed = 12345;

	for (size_t n = 1; n < 300; n += 7) {
		struct sl_dora_dep *d = calloc(n, sizeof(*d));
		double *lead = calloc(n, sizeof(*lead));
		struct sl_dora_stats all;

		for (size_t i = 0; i < n; i++) {
			int64_t l;

			seed = seed * 1103515245 + 12345;
			l = (int64_t)(seed % 50) * S; /* ties on purpose */
			d[i] = change((int64_t)i + 1, (int64_t)(i % 5),
				      DAY + (int64_t)i * S);
			d[i].commit_at = d[i].at - l;
			lead[i] = (double)l / S;
		}
		week(d, n, &all);
		qsort(lead, n, sizeof(*lead), cmp_d);
		CHECK_VAL(all.m[SL_DM_LEAD_P50],
			  lead[(size_t)ceil(0.5 * (double)n) - 1]);
		CHECK_VAL(all.m[SL_DM_LEAD_P90],
			  lead[(size_t)ceil(0.9 * (double)n) - 1]);
		free(d);
		free(lead);
	}
}

TEST(levels_follow_the_table_and_its_bounds)
{
	struct sl_dora_val v = {1, 0};

	v.v = 1.0;
	CHECK_INT(sl_dora_level_of(SL_DM_FREQUENCY, v), SL_DORA_ELITE);
	v.v = 1.0 / 7;
	CHECK_INT(sl_dora_level_of(SL_DM_FREQUENCY, v), SL_DORA_HIGH);
	v.v = 0.05;
	CHECK_INT(sl_dora_level_of(SL_DM_CFR, v), SL_DORA_ELITE);
	v.v = 0.0500001;
	CHECK_INT(sl_dora_level_of(SL_DM_CFR, v), SL_DORA_HIGH);
	v.v = 0.41;
	CHECK_INT(sl_dora_level_of(SL_DM_CFR, v), SL_DORA_LOW);
	v.v = 86400; /* "less than one day" is strict */
	CHECK_INT(sl_dora_level_of(SL_DM_LEAD_P50, v), SL_DORA_HIGH);
	v.v = 3599;
	CHECK_INT(sl_dora_level_of(SL_DM_RECOVERY_P50, v), SL_DORA_ELITE);
	CHECK_INT(sl_dora_level_of(SL_DM_REWORK, v), SL_DORA_NONE);
	CHECK_INT(SL_DORA_REPORT_YEAR, 2024);
}

TEST(trends_know_which_way_is_better)
{
	struct sl_dora_val a = {1, 1}, b = {1, 2}, none = {0, 0};

	CHECK_INT(sl_dora_trend(SL_DM_FREQUENCY, a, b), 1);
	CHECK_INT(sl_dora_trend(SL_DM_CFR, a, b), -1);
	CHECK_INT(sl_dora_trend(SL_DM_CFR, a, a), 0);
	CHECK_INT(sl_dora_trend(SL_DM_CFR, none, a), 2);
}

TEST(days_in_berlin_around_the_spring_change_are_local_days)
{
	struct sl_cal_bucket b[8];
	struct sl_error err = {0};
	size_t n = 0;
	/* 2025-03-29T00:00+01:00 .. 2025-04-01T00:00+02:00 */
	int64_t from = 1743202800LL * S, to = 1743458400LL * S;

	CHECK_INT(sl_cal_buckets("Europe/Berlin", SL_CAL_DAY, from, to, b, 8,
				 &n, &err),
		  0);
	CHECK_INT(n, 3);
	CHECK_STR(b[1].label, "2025-03-30");
	CHECK_INT(b[1].end_us - b[1].start_us, 23 * H);
	CHECK(fabs(b[1].days - 1) < 1e-9);
	CHECK_INT(b[2].start_us, 1743372000LL * S); /* 03-30T22:00Z */
}

TEST(weeks_start_on_monday_and_months_on_the_first_clipped_to_the_range)
{
	struct sl_cal_bucket b[8];
	struct sl_error err = {0};
	size_t n = 0;
	/* Wednesday 2025-03-05T00:00Z .. Thursday 2025-03-20T00:00Z */
	int64_t from = 1741132800LL * S, to = 1742428800LL * S;

	CHECK_INT(sl_cal_buckets("UTC", SL_CAL_WEEK, from, to, b, 8, &n, &err),
		  0);
	CHECK_INT(n, 3);
	CHECK_STR(b[0].label, "2025-03-03");
	CHECK_INT(b[0].start_us, from);
	CHECK(fabs(b[0].days - 5) < 1e-9);
	CHECK_STR(b[2].label, "2025-03-17");
	CHECK(fabs(b[2].days - 3) < 1e-9);
	CHECK_INT(sl_cal_buckets("UTC", SL_CAL_MONTH, from, to, b, 8, &n, &err),
		  0);
	CHECK_INT(n, 1);
	CHECK_STR(b[0].label, "2025-03-01");
}

TEST(a_bad_zone_a_backward_range_and_too_many_buckets_are_refused)
{
	struct sl_cal_bucket b[4];
	struct sl_error err = {0};
	size_t n = 0;

	CHECK_INT(sl_cal_buckets("Mars/Olympus", SL_CAL_DAY, 0, DAY, b, 4, &n,
				 &err),
		  -1);
	CHECK_STR(err.field, "tz");
	CHECK_INT(sl_cal_buckets("UTC", SL_CAL_DAY, DAY, 0, b, 4, &n, &err),
		  -1);
	CHECK_STR(err.field, "to");
	CHECK_INT(sl_cal_buckets("UTC", SL_CAL_DAY, 0, 5 * DAY, b, 4, &n, &err),
		  -1);
	CHECK_STR(err.field, "bucket");
}

TEST(an_approval_waits_from_the_first_refusal_for_approvals_else_creation)
{
	/* Released at 0, refused for approvals at 2 h, approved at 3 h:
	 * 1 h. A refusal after the approval does not count: 3 h from the
	 * release. An approval before the release (clock skew): none. */
	struct sl_dora_approval a = {3 * H, 0, 2 * H}, late = {3 * H, 0, 4 * H},
				none = {3 * H, 0, 0}, skew = {0, H, 0};

	CHECK_INT(sl_dora_approval_wait(&a), H);
	CHECK_INT(sl_dora_approval_wait(&late), 3 * H);
	CHECK_INT(sl_dora_approval_wait(&none), 3 * H);
	CHECK_INT(sl_dora_approval_wait(&skew), -1);
}

TEST(refusals_count_per_failing_check_and_against_the_starts_let_through)
{
	/* Two days as two buckets. Day 0: two refusals (checks 0; 0 and 1)
	 * and one start let through -> 2 / 3; day 1: one refusal (check 1),
	 * no start -> 1 / 1. Whole: 3 / 4. Approval waits 1 h (day 0) and
	 * 3 h, 5 h (day 1): p50 day 1 = 3 h, whole p50 3 h, p90 5 h. */
	const int64_t st[2] = {0, DAY}, en[2] = {DAY, 2 * DAY};
	struct sl_dora_refusal ref[3] = {{H, 1u}, {2 * H, 3u}, {DAY + H, 2u}};
	struct sl_dora_approval ap[3] = {
		{2 * H, 0, H}, {DAY + 3 * H, DAY, 0}, {DAY + 5 * H, DAY, 0}};
	struct sl_dora_dep d[2] = {change(1, 1, 5 * H), change(2, 1, 3 * DAY)};
	struct sl_dora_stats b[2], all;

	memset(b, 0, sizeof(b));
	memset(&all, 0, sizeof(all));
	sl_dora_gates(ref, 3, ap, 3, d, 2, st, en, 2, b, &all);
	CHECK_INT(b[0].refusals, 2);
	CHECK_INT(b[0].starts, 1);
	CHECK_INT(b[0].reasons[0], 2);
	CHECK_INT(b[0].reasons[1], 1);
	CHECK(fabs(b[0].m[SL_DM_REFUSAL_RATE].v - 2.0 / 3) < 1e-9);
	CHECK(fabs(b[1].m[SL_DM_REFUSAL_RATE].v - 1.0) < 1e-9);
	CHECK_INT(all.reasons[1], 2);
	CHECK(fabs(all.m[SL_DM_REFUSAL_RATE].v - 0.75) < 1e-9);
	CHECK(fabs(b[0].m[SL_DM_APPROVAL_WAIT_P50].v - 3600) < 1e-9);
	CHECK(fabs(b[1].m[SL_DM_APPROVAL_WAIT_P50].v - 3 * 3600) < 1e-9);
	CHECK(fabs(all.m[SL_DM_APPROVAL_WAIT_P50].v - 3 * 3600) < 1e-9);
	CHECK(fabs(all.m[SL_DM_APPROVAL_WAIT_P90].v - 5 * 3600) < 1e-9);
	/* Nothing at all: no rate, no wait. */
	memset(&all, 0, sizeof(all));
	sl_dora_gates(NULL, 0, NULL, 0, NULL, 0, st, en, 2, b, &all);
	CHECK_INT(all.m[SL_DM_REFUSAL_RATE].has, 0);
	CHECK_INT(all.m[SL_DM_APPROVAL_WAIT_P50].has, 0);
	CHECK_INT(sl_dora_trend(SL_DM_REFUSAL_RATE, (struct sl_dora_val){1, 1},
				(struct sl_dora_val){1, 0.5}),
		  1);
}

TEST_MAIN(
	T(a_rollback_is_rework_not_a_change_and_the_change_it_undoes_failed),
	T(a_failed_rollout_is_no_change_no_failure_and_no_rework),
	T(a_failure_after_success_recovers_at_the_next_deployment_there),
	T(a_change_followed_there_by_a_hotfix_failed_and_the_hotfix_is_rework),
	T(an_incident_cause_recovers_at_the_resolution_or_stays_unrecovered),
	T(nothing_to_divide_by_is_no_value_and_frequency_zero_is_a_value),
	T(each_row_counts_in_the_bucket_of_its_success),
	T(percentiles_are_nearest_rank_as_a_sort_gives_them),
	T(levels_follow_the_table_and_its_bounds),
	T(trends_know_which_way_is_better),
	T(days_in_berlin_around_the_spring_change_are_local_days),
	T(weeks_start_on_monday_and_months_on_the_first_clipped_to_the_range),
	T(a_bad_zone_a_backward_range_and_too_many_buckets_are_refused),
	T(an_approval_waits_from_the_first_refusal_for_approvals_else_creation),
	T(refusals_count_per_failing_check_and_against_the_starts_let_through))
