/* test_windows.c - windows in time zones: recurrence, daylight saving,
 * ranges and bad specs. Expected instants were worked out independently
 * (Python's zoneinfo over the same tz database) and are written as RFC 3339
 * UTC strings. */
#include <libical/ical.h>
#include <stdlib.h>

#include "cal/windows.h"
#include "core/validate.h"
#include "test.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define HOURS(h) ((int64_t)(h)*3600)

/* An RFC 3339 instant in microseconds; the test's own text, so a parse
 * failure is a broken test and aborts. */
static int64_t at(const char *rfc3339)
{
	int64_t us;

	if (sl_time_parse(rfc3339, &us, "t", NULL) != 0) {
		fprintf(stderr, "bad instant in test: %s\n", rfc3339);
		abort();
	}
	return us;
}

#define CHECK_OCC(o, start, end)                                               \
	do {                                                                   \
		char t_b1[SL_TIME_BUF], t_b2[SL_TIME_BUF];                     \
		CHECK_STR(sl_time_format((o).start_us, t_b1), start);          \
		CHECK_STR(sl_time_format((o).end_us, t_b2), end);              \
	} while (0)

/* Occurrences of w in [from, to), at most 16; checks that the call
 * succeeds and that they come in order of start. */
static size_t list(const struct sl_window_spec *w, const char *from,
		   const char *to, struct sl_occurrence *out)
{
	struct sl_error err = {0};
	size_t n = 99;

	CHECK_INT(sl_window_occurrences(w, at(from), at(to), out, 16, &n, &err),
		  0);
	if (err.message[0])
		fprintf(stderr, "  unexpected error: %s: %s\n", err.field,
			err.message);
	for (size_t i = 1; i < n && n != 99; i++)
		CHECK(out[i - 1].start_us < out[i].start_us);
	return n == 99 ? 0 : n;
}

/* Whether an occurrence of w covers t; when one does, its start and end
 * are left in *occ. */
static int covers(const struct sl_window_spec *w, const char *t,
		  struct sl_occurrence *occ)
{
	struct sl_error err = {0};
	int rc = sl_window_covering(w, at(t), occ, &err);

	CHECK(rc == 0 || rc == 1);
	return rc;
}

/* "Friday 18:00 to Monday 06:00 Europe/Berlin": 60 wall-clock hours. */
static const struct sl_window_spec berlin_weekend = {
	.timezone = "Europe/Berlin",
	.start = "2026-03-20T18:00:00",
	.duration_s = HOURS(60),
	.rrule = "FREQ=WEEKLY;BYDAY=FR",
};

TEST(weekly_freeze_keeps_local_times_across_spring_change)
{
	struct sl_occurrence o[16];

	CHECK_INT(sl_window_check(&berlin_weekend, NULL), 0);
	CHECK_INT(list(&berlin_weekend, "2026-03-20T00:00:00Z",
		       "2026-04-04T00:00:00Z", o),
		  3);
	CHECK_OCC(o[0], "2026-03-20T17:00:00Z", "2026-03-23T05:00:00Z");
	/* Clocks go forward on Sunday the 29th: 18:00 CET to 06:00 CEST,
	 * 59 hours of absolute time. */
	CHECK_OCC(o[1], "2026-03-27T17:00:00Z", "2026-03-30T04:00:00Z");
	CHECK_OCC(o[2], "2026-04-03T16:00:00Z", "2026-04-06T04:00:00Z");
}

TEST(weekly_freeze_keeps_local_times_across_autumn_change)
{
	struct sl_occurrence o[16];

	CHECK_INT(list(&berlin_weekend, "2026-10-16T00:00:00Z",
		       "2026-10-31T00:00:00Z", o),
		  3);
	CHECK_OCC(o[0], "2026-10-16T16:00:00Z", "2026-10-19T04:00:00Z");
	/* Clocks go back on Sunday the 25th: 18:00 CEST to 06:00 CET, 61
	 * hours of absolute time. */
	CHECK_OCC(o[1], "2026-10-23T16:00:00Z", "2026-10-26T05:00:00Z");
	CHECK_OCC(o[2], "2026-10-30T17:00:00Z", "2026-11-02T05:00:00Z");
}

TEST(weekly_freeze_covers_the_weekend_and_nothing_else)
{
	struct sl_occurrence o;

	/* Saturday noon CET, before the spring change. */
	CHECK_INT(covers(&berlin_weekend, "2026-03-28T11:00:00Z", &o), 1);
	CHECK_OCC(o, "2026-03-27T17:00:00Z", "2026-03-30T04:00:00Z");
	/* Saturday noon CEST, before the autumn change. */
	CHECK_INT(covers(&berlin_weekend, "2026-10-24T10:00:00Z", &o), 1);
	CHECK_OCC(o, "2026-10-23T16:00:00Z", "2026-10-26T05:00:00Z");
	/* Friday 17:59 and 18:00 local (CET). */
	CHECK_INT(covers(&berlin_weekend, "2026-03-27T16:59:00Z", &o), 0);
	CHECK_INT(covers(&berlin_weekend, "2026-03-27T17:00:00Z", &o), 1);
	/* Friday 17:59 local (CEST). */
	CHECK_INT(covers(&berlin_weekend, "2026-10-23T15:59:00Z", &o), 0);
	/* Monday 05:59, 06:00 and 07:00 local (CEST). */
	CHECK_INT(covers(&berlin_weekend, "2026-03-30T03:59:00Z", &o), 1);
	CHECK_INT(covers(&berlin_weekend, "2026-03-30T04:00:00Z", &o), 0);
	CHECK_INT(covers(&berlin_weekend, "2026-03-30T05:00:00Z", &o), 0);
	/* Monday 05:59 and 07:00 local (CET). */
	CHECK_INT(covers(&berlin_weekend, "2026-10-26T04:59:00Z", &o), 1);
	CHECK_INT(covers(&berlin_weekend, "2026-10-26T06:00:00Z", &o), 0);
	/* Before the first occurrence. */
	CHECK_INT(covers(&berlin_weekend, "2026-03-14T12:00:00Z", &o), 0);
}

TEST(monthly_freeze_on_the_last_friday_including_five_friday_months)
{
	static const struct sl_window_spec w = {
		.timezone = "Europe/Berlin",
		.start = "2026-01-30T18:00:00",
		.duration_s = HOURS(72),
		.rrule = "FREQ=MONTHLY;BYDAY=-1FR",
	};
	struct sl_occurrence o[16];

	CHECK_INT(sl_window_check(&w, NULL), 0);
	CHECK_INT(list(&w, "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z", o),
		  6);
	/* January and May have five Fridays: the 30th and the 29th. */
	CHECK_OCC(o[0], "2026-01-30T17:00:00Z", "2026-02-02T17:00:00Z");
	CHECK_OCC(o[1], "2026-02-27T17:00:00Z", "2026-03-02T17:00:00Z");
	/* Friday 18:00 CET to Monday 18:00 CEST. */
	CHECK_OCC(o[2], "2026-03-27T17:00:00Z", "2026-03-30T16:00:00Z");
	CHECK_OCC(o[3], "2026-04-24T16:00:00Z", "2026-04-27T16:00:00Z");
	CHECK_OCC(o[4], "2026-05-29T16:00:00Z", "2026-06-01T16:00:00Z");
	CHECK_OCC(o[5], "2026-06-26T16:00:00Z", "2026-06-29T16:00:00Z");
	/* October has five Fridays; the last falls after the change. */
	CHECK_INT(list(&w, "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", o),
		  1);
	CHECK_OCC(o[0], "2026-10-30T17:00:00Z", "2026-11-02T17:00:00Z");
}

TEST(new_york_saturday_night_window_across_both_changes)
{
	/* Saturday 22:00 to Sunday 06:00; US clocks change at 02:00 on the
	 * Sundays 2026-03-08 and 2026-11-01, inside the window. */
	static const struct sl_window_spec w = {
		.timezone = "America/New_York",
		.start = "2026-02-28T22:00:00",
		.duration_s = HOURS(8),
		.rrule = "FREQ=WEEKLY;BYDAY=SA",
	};
	struct sl_occurrence o[16];

	CHECK_INT(list(&w, "2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z", o),
		  2);
	CHECK_OCC(o[0], "2026-03-01T03:00:00Z", "2026-03-01T11:00:00Z");
	CHECK_OCC(o[1], "2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z");
	CHECK_INT(list(&w, "2026-10-31T12:00:00Z", "2026-11-08T00:00:00Z", o),
		  1);
	CHECK_OCC(o[0], "2026-11-01T02:00:00Z", "2026-11-01T11:00:00Z");
	CHECK_INT(covers(&w, "2026-11-01T10:30:00Z", &o[0]), 1); /* 05:30 */
	CHECK_INT(covers(&w, "2026-11-01T11:00:00Z", &o[0]), 0); /* 06:00 */
}

TEST(sydney_nightly_window_across_southern_changes)
{
	/* 01:00 to 04:00 every night; Sydney leaves daylight saving on
	 * 2026-04-05 (03:00 -> 02:00) and enters it on 2026-10-04 (02:00 ->
	 * 03:00). */
	static const struct sl_window_spec w = {
		.timezone = "Australia/Sydney",
		.start = "2026-01-01T01:00:00",
		.duration_s = HOURS(3),
		.rrule = "FREQ=DAILY",
	};
	struct sl_occurrence o[16];

	CHECK_INT(list(&w, "2026-04-03T12:00:00Z", "2026-04-05T12:00:00Z", o),
		  2);
	CHECK_OCC(o[0], "2026-04-03T14:00:00Z", "2026-04-03T17:00:00Z");
	CHECK_OCC(o[1], "2026-04-04T14:00:00Z", "2026-04-04T18:00:00Z");
	CHECK_INT(list(&w, "2026-10-03T12:00:00Z", "2026-10-05T12:00:00Z", o),
		  2);
	CHECK_OCC(o[0], "2026-10-03T15:00:00Z", "2026-10-03T17:00:00Z");
	CHECK_OCC(o[1], "2026-10-04T14:00:00Z", "2026-10-04T17:00:00Z");
}

TEST(fixed_window_spans_midnight_and_year_end)
{
	static const struct sl_window_spec w = {
		.timezone = "Europe/Berlin",
		.start = "2026-12-31T22:00:00",
		.end = "2027-01-01T02:00:00",
	};
	struct sl_occurrence o[16];

	CHECK_INT(sl_window_check(&w, NULL), 0);
	CHECK_INT(list(&w, "2026-12-01T00:00:00Z", "2027-02-01T00:00:00Z", o),
		  1);
	CHECK_OCC(o[0], "2026-12-31T21:00:00Z", "2027-01-01T01:00:00Z");
	CHECK_INT(covers(&w, "2026-12-31T23:30:00Z", &o[0]), 1);
	CHECK_INT(covers(&w, "2026-12-31T20:59:59Z", &o[0]), 0);
	CHECK_INT(covers(&w, "2027-01-01T01:00:00Z", &o[0]), 0);
	/* Ranges that touch but do not overlap find nothing. */
	CHECK_INT(list(&w, "2027-01-01T01:00:00Z", "2027-01-02T00:00:00Z", o),
		  0);
	CHECK_INT(list(&w, "2026-12-31T00:00:00Z", "2026-12-31T21:00:00Z", o),
		  0);
}

TEST(fixed_window_in_utc)
{
	static const struct sl_window_spec w = {
		.timezone = "UTC",
		.start = "2026-07-01T00:00:00",
		.end = "2026-07-01T06:30:00",
	};
	struct sl_occurrence o[16];

	CHECK_INT(list(&w, "2026-06-30T00:00:00Z", "2026-07-02T00:00:00Z", o),
		  1);
	CHECK_OCC(o[0], "2026-07-01T00:00:00Z", "2026-07-01T06:30:00Z");
}

TEST(wall_times_in_a_gap_move_forward_and_repeated_ones_take_the_second)
{
	/* 02:30 does not exist in Berlin on 2026-03-29: it means 03:30 CEST.
	 * It exists twice on 2026-10-25: it means the second, 02:30 CET. */
	static const struct sl_window_spec gap = {
		.timezone = "Europe/Berlin",
		.start = "2026-03-29T02:30:00",
		.end = "2026-03-29T04:00:00",
	};
	static const struct sl_window_spec twice = {
		.timezone = "Europe/Berlin",
		.start = "2026-10-25T02:30:00",
		.end = "2026-10-25T04:00:00",
	};
	static const struct sl_window_spec nightly = {
		.timezone = "Europe/Berlin",
		.start = "2026-03-27T02:30:00",
		.duration_s = HOURS(1),
		.rrule = "FREQ=DAILY",
	};
	struct sl_occurrence o[16];

	CHECK_INT(list(&gap, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", o),
		  1);
	CHECK_OCC(o[0], "2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z");
	CHECK_INT(
		list(&twice, "2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z", o),
		1);
	CHECK_OCC(o[0], "2026-10-25T01:30:00Z", "2026-10-25T03:00:00Z");
	CHECK_INT(list(&nightly, "2026-03-28T00:00:00Z", "2026-03-30T12:00:00Z",
		       o),
		  3);
	CHECK_OCC(o[0], "2026-03-28T01:30:00Z", "2026-03-28T02:30:00Z");
	CHECK_OCC(o[1], "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z");
	CHECK_OCC(o[2], "2026-03-30T00:30:00Z", "2026-03-30T01:30:00Z");
}

TEST(count_and_until_end_the_series_inclusively)
{
	struct sl_window_spec w = berlin_weekend;
	struct sl_occurrence o[16];

	w.duration_s = HOURS(1);
	w.rrule = "FREQ=WEEKLY;BYDAY=FR;COUNT=3";
	CHECK_INT(sl_window_check(&w, NULL), 0);
	CHECK_INT(list(&w, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", o),
		  3);
	CHECK_OCC(o[2], "2026-04-03T16:00:00Z", "2026-04-03T17:00:00Z");
	/* UNTIL in UTC, exactly the third start: included. */
	w.rrule = "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260403T160000Z";
	CHECK_INT(list(&w, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", o),
		  3);
	w.rrule = "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260403T155959Z";
	CHECK_INT(list(&w, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", o),
		  2);
	/* UNTIL without Z is a wall time in the window's zone. */
	w.rrule = "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260403T180000";
	CHECK_INT(list(&w, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", o),
		  3);
	w.rrule = "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260403T175959";
	CHECK_INT(list(&w, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", o),
		  2);
}

TEST(occurrences_respect_max_and_include_one_already_open)
{
	struct sl_occurrence o[16];
	struct sl_error err = {0};
	size_t n = 99;

	CHECK_INT(sl_window_occurrences(
			  &berlin_weekend, at("2026-03-01T00:00:00Z"),
			  at("2026-12-31T00:00:00Z"), o, 4, &n, &err),
		  0);
	CHECK_INT(n, 4);
	CHECK_OCC(o[0], "2026-03-20T17:00:00Z", "2026-03-23T05:00:00Z");
	CHECK_OCC(o[3], "2026-04-10T16:00:00Z", "2026-04-13T04:00:00Z");
	for (size_t i = 1; i < n; i++)
		CHECK(o[i - 1].start_us < o[i].start_us);
	CHECK_INT(sl_window_occurrences(
			  &berlin_weekend, at("2026-03-01T00:00:00Z"),
			  at("2026-12-31T00:00:00Z"), o, 0, &n, &err),
		  0);
	CHECK_INT(n, 0);
	/* From Saturday noon: Friday's occurrence is still open. */
	CHECK_INT(list(&berlin_weekend, "2026-03-28T11:00:00Z",
		       "2026-04-04T00:00:00Z", o),
		  2);
	CHECK_OCC(o[0], "2026-03-27T17:00:00Z", "2026-03-30T04:00:00Z");
	CHECK_OCC(o[1], "2026-04-03T16:00:00Z", "2026-04-06T04:00:00Z");
}

TEST(long_series_keep_their_phase_far_from_start)
{
	/* Every other Friday since 2020; the range is six years later. */
	static const struct sl_window_spec fortnightly = {
		.timezone = "Europe/Berlin",
		.start = "2020-01-03T18:00:00",
		.duration_s = HOURS(2),
		.rrule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
	};
	/* Every five hours from 2026-01-01T00:00Z: 3625 hours later is
	 * 2026-06-01T01:00Z. */
	static const struct sl_window_spec five_hourly = {
		.timezone = "UTC",
		.start = "2026-01-01T00:00:00",
		.duration_s = HOURS(1),
		.rrule = "FREQ=HOURLY;INTERVAL=5",
	};
	struct sl_occurrence o[16];

	CHECK_INT(list(&fortnightly, "2026-06-01T00:00:00Z",
		       "2026-07-10T00:00:00Z", o),
		  2);
	CHECK_OCC(o[0], "2026-06-12T16:00:00Z", "2026-06-12T18:00:00Z");
	CHECK_OCC(o[1], "2026-06-26T16:00:00Z", "2026-06-26T18:00:00Z");
	CHECK_INT(list(&five_hourly, "2026-06-01T00:00:00Z",
		       "2026-06-01T12:00:00Z", o),
		  3);
	CHECK_OCC(o[0], "2026-06-01T01:00:00Z", "2026-06-01T02:00:00Z");
	CHECK_OCC(o[2], "2026-06-01T11:00:00Z", "2026-06-01T12:00:00Z");
}

TEST(a_start_off_the_rule_begins_at_the_rules_first_match)
{
	struct sl_window_spec w = berlin_weekend;
	struct sl_occurrence o[16];

	w.start = "2026-03-19T18:00:00"; /* a Thursday */
	CHECK_INT(list(&w, "2026-03-01T00:00:00Z", "2026-03-24T00:00:00Z", o),
		  1);
	CHECK_OCC(o[0], "2026-03-20T17:00:00Z", "2026-03-23T05:00:00Z");
}

/* Every minute of every hour since 2020: the dense freeze. */
#define EVERY_MINUTE                                                           \
	"FREQ=HOURLY;BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18," \
	"19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,"   \
	"41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59"
static const struct sl_window_spec every_minute = {
	.timezone = "Europe/Berlin",
	.start = "2020-01-01T00:00:00",
	.duration_s = 60,
	.rrule = EVERY_MINUTE,
};

TEST(a_dense_hourly_rule_from_2020_is_in_force_at_any_moment_now)
{
	struct sl_occurrence o[16];
	struct sl_error err = {0};

	CHECK_INT(sl_window_check(&every_minute, &err), 0);
	CHECK_INT(sl_window_covering(&every_minute, at("2026-11-22T10:17:30Z"),
				     o, &err),
		  1);
	CHECK_OCC(o[0], "2026-11-22T10:17:00Z", "2026-11-22T10:18:00Z");
	CHECK_STR(err.message, "");
	/* Far from its start too, and the next ones come one a minute. */
	CHECK_INT(covers(&every_minute, "2031-06-30T23:59:59Z", o), 1);
	CHECK_OCC(o[0], "2031-06-30T23:59:00Z", "2031-07-01T00:00:00Z");
	CHECK_INT(list(&every_minute, "2026-11-22T10:17:30Z",
		       "2026-11-22T10:20:00Z", o),
		  3);
	CHECK_OCC(o[2], "2026-11-22T10:19:00Z", "2026-11-22T10:20:00Z");
}

TEST(a_dense_rule_keeps_the_wall_clock_rules_across_daylight_saving)
{
	struct sl_occurrence o[16];

	/* Spring, Berlin: 02:00-02:59 do not exist; 03:00:30 CEST is in
	 * the 03:00 occurrence. */
	CHECK_INT(covers(&every_minute, "2026-03-29T01:00:30Z", o), 1);
	CHECK_OCC(o[0], "2026-03-29T01:00:00Z", "2026-03-29T01:01:00Z");
	/* Autumn: 02:xx means the second (CET) pass, so 01:59 CEST lasts
	 * until 02:00 CET and covers the whole first pass. */
	CHECK_INT(covers(&every_minute, "2026-10-25T00:30:30Z", o), 1);
	CHECK_OCC(o[0], "2026-10-24T23:59:00Z", "2026-10-25T01:00:00Z");
	CHECK_INT(covers(&every_minute, "2026-10-25T01:30:30Z", o), 1);
	CHECK_OCC(o[0], "2026-10-25T01:30:00Z", "2026-10-25T01:31:00Z");
}

TEST(a_daily_rule_from_1990_keeps_its_interval_phase)
{
	static const struct sl_window_spec every_third_night = {
		.timezone = "Europe/Berlin",
		.start = "1990-01-01T22:00:00",
		.duration_s = HOURS(4),
		.rrule = "FREQ=DAILY;INTERVAL=3",
	};
	struct sl_occurrence o[16];

	/* 13474 days on: 2026-11-21 is a multiple of three days. */
	CHECK_INT(covers(&every_third_night, "2026-11-22T00:30:00Z", o), 1);
	CHECK_OCC(o[0], "2026-11-21T21:00:00Z", "2026-11-22T01:00:00Z");
	CHECK_INT(covers(&every_third_night, "2026-11-22T21:30:00Z", o), 0);
	CHECK_INT(list(&every_third_night, "2026-11-22T01:00:00Z",
		       "2026-11-28T00:00:00Z", o),
		  2);
	CHECK_OCC(o[0], "2026-11-24T21:00:00Z", "2026-11-25T01:00:00Z");
}

TEST(count_ends_a_dense_series_at_its_last_occurrence)
{
	struct sl_window_spec w = every_minute;
	struct sl_occurrence o[16];
	struct sl_error err = {0};

	w.timezone = "UTC";
	w.start = "2026-01-01T00:00:00";
	w.rrule = EVERY_MINUTE ";COUNT=20000";
	CHECK_INT(sl_window_check(&w, &err), 0);
	/* The 20000th minute starts 19999 minutes after the first. */
	CHECK_INT(covers(&w, "2026-01-14T21:19:30Z", o), 1);
	CHECK_OCC(o[0], "2026-01-14T21:19:00Z", "2026-01-14T21:20:00Z");
	CHECK_INT(covers(&w, "2026-01-14T21:20:00Z", o), 0);
	CHECK_INT(covers(&w, "2027-01-01T00:00:00Z", o), 0);
	/* One more than the bound is refused when written. */
	w.rrule = EVERY_MINUTE ";COUNT=20001";
	CHECK_INT(sl_window_check(&w, &err), -1);
	CHECK_STR(err.field, "rrule");
	CHECK(strstr(err.message, "COUNT=20001") != NULL);
}

TEST(until_ends_a_dense_series_started_long_ago_inclusively)
{
	struct sl_window_spec w = every_minute;
	struct sl_occurrence o[16];

	w.rrule = EVERY_MINUTE ";UNTIL=20261122T101700Z";
	CHECK_INT(sl_window_check(&w, NULL), 0);
	CHECK_INT(covers(&w, "2026-11-22T10:17:59Z", o), 1);
	CHECK_OCC(o[0], "2026-11-22T10:17:00Z", "2026-11-22T10:18:00Z");
	CHECK_INT(covers(&w, "2026-11-22T10:18:00Z", o), 0);
	CHECK_INT(list(&w, "2026-11-22T10:15:00Z", "2026-11-22T11:00:00Z", o),
		  3);
	/* A local UNTIL is a wall time in the window's zone (CET). */
	w.rrule = EVERY_MINUTE ";UNTIL=20261122T111700";
	CHECK_INT(covers(&w, "2026-11-22T10:17:59Z", o), 1);
	CHECK_INT(covers(&w, "2026-11-22T10:18:00Z", o), 0);
}

TEST(rules_too_dense_to_evaluate_are_refused_naming_the_rrule)
{
	static const char *const dense[] = {
		"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,1,2,3,4,5,6,7,"
		"8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE="
		"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
		"24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,"
		"44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59",
		"FREQ=HOURLY;BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
		"17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,"
		"37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,"
		"57,58,59;BYSECOND=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,"
		"18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,"
		"38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,"
		"58,59",
		"FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,"
		"18,19,20,21,22,23;BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
		"15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,"
		"35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,"
		"55,56,57,58,59;BYSECOND=0,20,40",
		"FREQ=MONTHLY;BYMONTHDAY=1,2,3,4,5,6,7,8,9,10;BYHOUR=0,1,2,3,4,"
		"5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;"
		"BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
		"21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,"
		"41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59",
	};
	struct sl_window_spec w = every_minute;

	for (size_t i = 0; i < COUNT(dense); i++) {
		struct sl_error err = {0};

		w.rrule = dense[i];
		CHECK_INT(sl_window_check(&w, &err), -1);
		CHECK_STR(err.field, "rrule");
		CHECK(strstr(err.message, "too dense") != NULL);
	}
	/* Every minute of every day is still fine with FREQ=DAILY. */
	w.rrule = "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
		  "17,18,19,20,21,22,23;BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,"
		  "13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
		  "33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,"
		  "53,54,55,56,57,58,59";
	CHECK_INT(sl_window_check(&w, NULL), 0);
}

/* Rules whose iteration skips ahead, each compared with the walk from its
 * start over ranges years later. */
static const struct sl_window_spec far_rules[] = {
	{"UTC", "2023-01-01T00:20:00", NULL, 3600, "FREQ=HOURLY;INTERVAL=5"},
	{"Europe/Berlin", "2024-02-03T01:00:00", NULL, 5400,
	 "FREQ=HOURLY;INTERVAL=7;BYMINUTE=15,45"},
	{"America/New_York", "2024-01-06T00:30:00", NULL, 3 * 3600,
	 "FREQ=HOURLY;BYDAY=SA,SU;BYHOUR=1,2,3"},
	{"Europe/Berlin", "2000-01-01T02:30:00", NULL, 3600,
	 "FREQ=DAILY;INTERVAL=3;BYHOUR=2,14"},
	{"Australia/Sydney", "1995-05-05T18:00:00", NULL, 60 * 3600,
	 "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;WKST=SU"},
	{"Europe/Berlin", "1990-01-31T09:00:00", NULL, 10 * 86400,
	 "FREQ=MONTHLY;INTERVAL=5"},
	{"UTC", "1991-03-29T18:00:00", NULL, 3 * 86400,
	 "FREQ=MONTHLY;BYDAY=-1FR"},
	{"UTC", "1992-07-01T00:00:00", NULL, 86400,
	 "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1"},
	{"Europe/London", "1993-01-01T17:00:00", NULL, 7200,
	 "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"},
	{"Europe/Berlin", "1992-02-29T12:00:00", NULL, 86400, "FREQ=YEARLY"},
	{"UTC", "1990-03-25T01:00:00", NULL, 7 * 86400,
	 "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=-1SU"},
	{"UTC", "1990-05-14T08:00:00", NULL, 3600,
	 "FREQ=YEARLY;BYWEEKNO=20,53;BYDAY=MO"},
	{"UTC", "1990-01-01T06:00:00", NULL, 300 * 86400,
	 "FREQ=YEARLY;BYYEARDAY=100,200"},
};

TEST(skipping_ahead_agrees_with_walking_from_the_start)
{
	static const char *const froms[] = {
		"2026-03-28T00:00:00Z", "2026-10-24T12:00:00Z",
		"2027-02-27T00:00:00Z", "2028-02-28T23:00:00Z",
		"2031-12-31T20:00:00Z",
	};

	for (size_t i = 0; i < COUNT(far_rules); i++) {
		const struct sl_window_spec *w = &far_rules[i];

		CHECK_INT(sl_window_check(w, NULL), 0);
		for (size_t k = 0; k < COUNT(froms); k++) {
			struct sl_occurrence fast[8], slow[8], c1;
			size_t nf = 0, ns = 0;
			int64_t from = at(froms[k]),
				to = from + 800LL * 86400 * 1000000;
			int cov;

			CHECK_INT(sl_window_occurrences(w, from, to, fast, 8,
							&nf, NULL),
				  0);
			CHECK_INT(sl__window_occurrences_naive(
					  w, from, to, slow, 8, &ns, NULL),
				  0);
			CHECK(ns > 0);
			CHECK_INT(nf, ns);
			for (size_t j = 0; j < nf && j < ns; j++) {
				CHECK_INT(fast[j].start_us, slow[j].start_us);
				CHECK_INT(fast[j].end_us, slow[j].end_us);
			}
			if (ns == 0 || nf != ns ||
			    (nf && fast[0].start_us != slow[0].start_us))
				fprintf(stderr, "  rule %zu (%s) from %s\n", i,
					w->rrule, froms[k]);
			/* The first one open at from is what covers it. */
			cov = sl_window_covering(w, from, &c1, NULL);
			CHECK_INT(cov, ns > 0 && slow[0].start_us <= from);
			if (cov == 1)
				CHECK_INT(c1.start_us, slow[0].start_us);
		}
	}
}

struct bad_spec {
	const char *why;
	struct sl_window_spec w;
	const char *field;
	const char *mention; /* a word the message must contain */
};

#define RECURRING(tz_, start_, dur_, rule_)                                    \
	{                                                                      \
		.timezone = tz_, .start = start_, .duration_s = dur_,          \
		.rrule = rule_                                                 \
	}

static const char fri[] = "2026-03-20T18:00:00";

static const struct bad_spec bad_specs[] = {
	{"unknown zone", RECURRING("Mars/Olympus", fri, 3600, "FREQ=WEEKLY"),
	 "timezone", "Mars/Olympus"},
	{"no zone", RECURRING(NULL, fri, 3600, "FREQ=WEEKLY"), "timezone", ""},
	{"zone with a path",
	 RECURRING("../etc/passwd", fri, 3600, "FREQ=WEEKLY"), "timezone", ""},
	{"unknown FREQ", RECURRING("UTC", fri, 3600, "FREQ=SOMETIMES"), "rrule",
	 "SOMETIMES"},
	{"hourly filtered by month day (found by fuzzing: slow in libical)",
	 RECURRING("UTC", fri, 3600, "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"),
	 "rrule", "hourly"},
	{"unknown weekday", RECURRING("UTC", fri, 3600, "FREQ=WEEKLY;BYDAY=XX"),
	 "rrule", "BYDAY=XX"},
	{"unknown part", RECURRING("UTC", fri, 3600, "FREQ=WEEKLY;WHEN=1"),
	 "rrule", "WHEN=1"},
	{"part without value", RECURRING("UTC", fri, 3600, "FREQ=WEEKLY;BYDAY"),
	 "rrule", "BYDAY"},
	{"missing FREQ", RECURRING("UTC", fri, 3600, "BYDAY=FR"), "rrule",
	 "FREQ"},
	{"empty rule", RECURRING("UTC", fri, 3600, ""), "rrule", "FREQ"},
	{"COUNT and UNTIL",
	 RECURRING("UTC", fri, 3600,
		   "FREQ=WEEKLY;COUNT=2;UNTIL=20261231T000000Z"),
	 "rrule", "COUNT"},
	{"UNTIL as a date",
	 RECURRING("UTC", fri, 3600, "FREQ=WEEKLY;UNTIL=20261231"), "rrule",
	 "UNTIL"},
	{"too frequent", RECURRING("UTC", fri, 30, "FREQ=MINUTELY"), "rrule",
	 "MINUTELY"},
	{"RSCALE", RECURRING("UTC", fri, 3600, "FREQ=YEARLY;RSCALE=GREGORIAN"),
	 "rrule", "RSCALE"},
	{"impossible day",
	 RECURRING("UTC", fri, 3600, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
	 "rrule", "libical"},
	{"never matches",
	 RECURRING("UTC", fri, 3600, "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31"),
	 "rrule", "no occurrence"},
	{"duration 0", RECURRING("UTC", fri, 0, "FREQ=WEEKLY"), "duration", ""},
	{"negative duration", RECURRING("UTC", fri, -60, "FREQ=WEEKLY"),
	 "duration", ""},
	{"duration over 366 days",
	 RECURRING("UTC", fri, 367 * 86400LL, "FREQ=YEARLY"), "duration", ""},
	{"start with offset",
	 RECURRING("UTC", "2026-03-20T18:00:00Z", 3600, "FREQ=WEEKLY"), "start",
	 ""},
	{"start with a space",
	 RECURRING("UTC", "2026-03-20 18:00:00", 3600, "FREQ=WEEKLY"), "start",
	 ""},
	{"start on February 30th",
	 RECURRING("UTC", "2026-02-30T18:00:00", 3600, "FREQ=WEEKLY"), "start",
	 ""},
	{"start on a leap second",
	 RECURRING("UTC", "2026-03-20T18:00:60", 3600, "FREQ=WEEKLY"), "start",
	 ""},
	{"no start", RECURRING("UTC", NULL, 3600, "FREQ=WEEKLY"), "start", ""},
	{"end before start",
	 {.timezone = "Europe/Berlin",
	  .start = "2026-03-20T18:00:00",
	  .end = "2026-03-20T17:00:00"},
	 "end",
	 "after"},
	{"end equal to start",
	 {.timezone = "UTC", .start = fri, .end = fri},
	 "end",
	 "after"},
	{"end malformed",
	 {.timezone = "UTC", .start = fri, .end = "tomorrow"},
	 "end",
	 "tomorrow"},
	{"both end and rrule",
	 {.timezone = "UTC",
	  .start = fri,
	  .end = "2026-03-21T18:00:00",
	  .rrule = "FREQ=WEEKLY"},
	 "end",
	 "not both"},
	{"neither end nor rrule", {.timezone = "UTC", .start = fri}, "end", ""},
	{"fixed with a duration",
	 {.timezone = "UTC",
	  .start = fri,
	  .end = "2026-03-21T18:00:00",
	  .duration_s = 60},
	 "duration",
	 ""},
};

TEST(bad_specs_are_refused_naming_the_field)
{
	for (size_t i = 0; i < COUNT(bad_specs); i++) {
		const struct bad_spec *b = &bad_specs[i];
		struct sl_error err = {0};
		struct sl_occurrence o[4];
		size_t n = 99;

		if (sl_window_check(&b->w, &err) != -1) {
			fprintf(stderr, "  %s: accepted\n", b->why);
			t_failed_checks++;
			continue;
		}
		if (err.code != SL_EINVAL || strcmp(err.field, b->field) != 0 ||
		    !strstr(err.message, b->mention)) {
			fprintf(stderr,
				"  %s: got %s/%s \"%s\", want field %s "
				"mentioning \"%s\"\n",
				b->why, sl_error_name(err.code), err.field,
				err.message, b->field, b->mention);
			t_failed_checks++;
		}
		CHECK_INT(sl_window_check(&b->w, NULL), -1);
		if (strcmp(b->why, "never matches") == 0)
			continue; /* caught only by the check; slow to expand */
		CHECK_INT(sl_window_occurrences(&b->w, 0,
						at("2030-01-01T00:00:00Z"), o,
						4, &n, NULL),
			  -1);
		CHECK_INT(n, 0);
		CHECK_INT(sl_window_covering(&b->w, 0, o, NULL), -1);
	}
}

TEST(an_empty_or_reversed_range_is_refused)
{
	struct sl_occurrence o[4];
	struct sl_error err = {0};
	size_t n = 99;

	CHECK_INT(sl_window_occurrences(
			  &berlin_weekend, at("2026-04-01T00:00:00Z"),
			  at("2026-03-01T00:00:00Z"), o, 4, &n, &err),
		  -1);
	CHECK_INT(err.code, SL_EINVAL);
	CHECK_STR(err.field, "to");
	CHECK_INT(n, 0);
}

TEST(kinds_have_stable_names)
{
	enum sl_window_kind k = SL_WIN_FREEZE;

	CHECK_STR(sl_window_kind_name(SL_WIN_FREEZE), "freeze");
	CHECK_STR(sl_window_kind_name(SL_WIN_BLACKOUT), "blackout");
	CHECK_STR(sl_window_kind_name(SL_WIN_MAINTENANCE), "maintenance");
	CHECK(sl_window_kind_name((enum sl_window_kind)7) == NULL);
	CHECK_INT(sl_window_kind_parse("maintenance", &k), 0);
	CHECK_INT(k, SL_WIN_MAINTENANCE);
	CHECK_INT(sl_window_kind_parse("blackout", &k), 0);
	CHECK_INT(k, SL_WIN_BLACKOUT);
	CHECK_INT(sl_window_kind_parse("Freeze", &k), -1);
	CHECK_INT(sl_window_kind_parse("holiday", &k), -1);
	CHECK_INT(sl_window_kind_parse(NULL, &k), -1);
	CHECK_INT(k, SL_WIN_BLACKOUT);
}

int main(void)
{
	static const struct t_case cases[] = {
		T(weekly_freeze_keeps_local_times_across_spring_change),
		T(weekly_freeze_keeps_local_times_across_autumn_change),
		T(weekly_freeze_covers_the_weekend_and_nothing_else),
		T(monthly_freeze_on_the_last_friday_including_five_friday_months),
		T(new_york_saturday_night_window_across_both_changes),
		T(sydney_nightly_window_across_southern_changes),
		T(fixed_window_spans_midnight_and_year_end),
		T(fixed_window_in_utc),
		T(wall_times_in_a_gap_move_forward_and_repeated_ones_take_the_second),
		T(count_and_until_end_the_series_inclusively),
		T(occurrences_respect_max_and_include_one_already_open),
		T(long_series_keep_their_phase_far_from_start),
		T(a_start_off_the_rule_begins_at_the_rules_first_match),
		T(bad_specs_are_refused_naming_the_field),
		T(an_empty_or_reversed_range_is_refused),
		T(kinds_have_stable_names),
		T(a_dense_hourly_rule_from_2020_is_in_force_at_any_moment_now),
		T(a_dense_rule_keeps_the_wall_clock_rules_across_daylight_saving),
		T(a_daily_rule_from_1990_keeps_its_interval_phase),
		T(count_ends_a_dense_series_at_its_last_occurrence),
		T(until_ends_a_dense_series_started_long_ago_inclusively),
		T(rules_too_dense_to_evaluate_are_refused_naming_the_rrule),
		T(skipping_ahead_agrees_with_walking_from_the_start),
	};
	int passed = 0, failed = 0;

	t_run(cases, COUNT(cases), &passed, &failed);
	/* The zones libical loaded are its cache; free it so LeakSanitizer
	 * sees only leaks of ours. */
	icaltimezone_free_builtin_timezones();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
