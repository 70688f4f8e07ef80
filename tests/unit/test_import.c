/* test_import.c - an imported deployment's moves and times, an imported
 * event's time, and the CSV reader. */
#include <stdlib.h>

#include "core/import.h"
#include "core/validate.h"
#include "test.h"

#define H	  3600000000LL /* an hour in microseconds */
#define T0	  (1600000000LL * 1000000)
#define NOW	  (T0 + 1000 * H)
#define STATUS(i) sl_deploy_status_name(steps[i].status)

static struct sl_import_step steps[SL_IMPORT_STEPS_MAX];
static size_t n;

static enum sl_err plan(enum sl_deploy_status final, int64_t created,
			int64_t started, int64_t finished, int64_t verified,
			struct sl_error *err)
{
	struct sl_import_times t = {created, started, finished, verified};

	memset(steps, 0, sizeof(steps));
	n = 0;
	return sl_import_deploy_plan(final, &t, NOW, steps, &n, err);
}

TEST(a_succeeded_deployment_starts_in_progress_and_finishes_at_its_times)
{
	struct sl_error err = {0};

	CHECK_INT(plan(SL_DEP_SUCCEEDED, 0, T0, T0 + H, 0, &err), SL_OK);
	CHECK_INT(n, 2);
	CHECK_STR(STATUS(0), "in_progress");
	CHECK_INT(steps[0].at, T0);
	CHECK_STR(STATUS(1), "succeeded");
	CHECK_INT(steps[1].at, T0 + H);
}

TEST(created_before_it_started_it_was_queued_first)
{
	struct sl_error err = {0};

	CHECK_INT(plan(SL_DEP_FAILED, T0 - H, T0, T0 + H, 0, &err), SL_OK);
	CHECK_INT(n, 3);
	CHECK_STR(STATUS(0), "queued");
	CHECK_INT(steps[0].at, T0 - H);
	CHECK_STR(STATUS(1), "in_progress");
	CHECK_INT(steps[1].at, T0);
	CHECK_STR(STATUS(2), "failed");
	CHECK_INT(steps[2].at, T0 + H);
}

TEST(verified_goes_through_succeeded_and_takes_its_own_time_or_the_finish)
{
	struct sl_error err = {0};

	CHECK_INT(plan(SL_DEP_VERIFIED, 0, T0, T0 + H, T0 + 2 * H, &err),
		  SL_OK);
	CHECK_INT(n, 3);
	CHECK_STR(STATUS(1), "succeeded");
	CHECK_STR(STATUS(2), "verified");
	CHECK_INT(steps[2].at, T0 + 2 * H);
	CHECK_INT(plan(SL_DEP_VERIFIED, 0, T0, T0 + H, 0, &err), SL_OK);
	CHECK_INT(steps[2].at, T0 + H);
}

TEST(a_deployment_that_never_started_stays_queued_or_is_cancelled)
{
	struct sl_error err = {0};

	CHECK_INT(plan(SL_DEP_QUEUED, T0, 0, 0, 0, &err), SL_OK);
	CHECK_INT(n, 1);
	CHECK_STR(STATUS(0), "queued");
	CHECK_INT(plan(SL_DEP_CANCELLED, T0, 0, T0 + H, 0, &err), SL_OK);
	CHECK_INT(n, 2);
	CHECK_STR(STATUS(1), "cancelled");
	CHECK_INT(steps[1].at, T0 + H);
}

TEST(a_time_the_path_needs_is_required_and_names_its_field)
{
	struct sl_error err = {0};

	CHECK_INT(plan(SL_DEP_SUCCEEDED, 0, T0, 0, 0, &err), SL_EINVAL);
	CHECK_STR(err.field, "finished_at");
	CHECK_INT(plan(SL_DEP_SUCCEEDED, T0, 0, T0 + H, 0, &err), SL_EINVAL);
	CHECK_STR(err.field, "started_at");
	CHECK_INT(plan(SL_DEP_IN_PROGRESS, 0, 0, 0, 0, &err), SL_EINVAL);
	CHECK_STR(err.field, "started_at");
}

TEST(a_time_the_status_does_not_have_is_refused)
{
	struct sl_error err = {0};

	CHECK_INT(plan(SL_DEP_IN_PROGRESS, 0, T0, T0 + H, 0, &err), SL_EINVAL);
	CHECK_STR(err.field, "finished_at");
	CHECK_INT(plan(SL_DEP_QUEUED, T0 - H, T0, 0, 0, &err), SL_EINVAL);
	CHECK_STR(err.field, "status");
	CHECK_INT(plan(SL_DEP_SUCCEEDED, 0, T0, T0 + H, T0 + 2 * H, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "verified_at");
}

TEST(times_out_of_order_or_in_the_future_are_refused)
{
	struct sl_error err = {0};

	CHECK_INT(plan(SL_DEP_SUCCEEDED, 0, T0, T0 - 1, 0, &err), SL_EINVAL);
	CHECK_STR(err.field, "finished_at");
	CHECK(strstr(err.message, "before started_at") != NULL);
	CHECK_INT(plan(SL_DEP_SUCCEEDED, T0 + 1, T0, T0 + H, 0, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "started_at");
	CHECK_INT(plan(SL_DEP_SUCCEEDED, 0, T0, NOW + SL_IMPORT_SKEW_US + 1, 0,
		       &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "finished_at");
	/* Within the skew is taken. */
	CHECK_INT(
		plan(SL_DEP_SUCCEEDED, 0, T0, NOW + SL_IMPORT_SKEW_US, 0, &err),
		SL_OK);
}

TEST(every_step_of_every_plan_is_a_move_the_machine_allows)
{
	struct sl_error err = {0};

	for (int f = 0; f < SL_DEP__COUNT; f++) {
		enum sl_err rc =
			plan((enum sl_deploy_status)f, 0, T0, 0, 0, &err);

		if (rc)
			rc = plan((enum sl_deploy_status)f, 0, T0, T0 + H, 0,
				  &err);
		if (rc)
			rc = plan((enum sl_deploy_status)f, T0, 0, 0, 0, &err);
		if (rc)
			rc = plan((enum sl_deploy_status)f, T0, 0, T0 + H, 0,
				  &err);
		CHECK_INT(rc, SL_OK);
		CHECK_INT(steps[n - 1].status, f);
		CHECK(sl_deploy_status_is_initial(steps[0].status));
		for (size_t i = 1; i < n; i++) {
			CHECK(sl_deploy_can_transition(steps[i - 1].status,
						       steps[i].status));
			CHECK(steps[i].at >= steps[i - 1].at);
		}
	}
}

TEST(an_event_comes_after_the_last_change_and_not_from_the_future)
{
	struct sl_error err = {0};

	CHECK_INT(sl_import_event_at(T0, T0, NOW, &err), SL_OK);
	CHECK_INT(sl_import_event_at(T0 - 1, T0, NOW, &err), SL_EINVAL);
	CHECK_STR(err.field, "at");
	CHECK_INT(
		sl_import_event_at(NOW + SL_IMPORT_SKEW_US + 1, T0, NOW, &err),
		SL_EINVAL);
	CHECK_STR(err.field, "at");
}

TEST(the_kinds_are_a_vocabulary)
{
	enum sl_import_kind k;

	CHECK_INT(sl_import_kind_parse("deployment", &k), 0);
	CHECK_INT(k, SL_IMP_DEPLOYMENT);
	CHECK_INT(sl_import_kind_parse("Deployment", &k), -1);
	CHECK_STR(sl_import_kind_name(SL_IMP_EVENT), "event");
	CHECK(sl_import_kind_names[SL_IMP__COUNT] == NULL);
}

/* ---- CSV ---- */

static const char *field(const struct sl_csv_row *r, size_t i)
{
	return i < r->n ? r->fields[i] : "(none)";
}

TEST(csv_fields_quoted_or_not_with_commas_quotes_and_line_breaks)
{
	const char text[] = "\xEF\xBB\xBF"
			    "a,b,c\r\n"
			    "1,\"x, y\",\"say \"\"hi\"\"\"\r\n"
			    "\n"
			    "2,\"two\nlines\",\n"
			    "3,,last";
	struct sl_csv c;
	struct sl_csv_row r;
	struct sl_error err = {0};

	sl_csv_init(&c, text, sizeof(text) - 1);
	CHECK_INT(sl_csv_next(&c, &r, &err), 1);
	CHECK_INT(r.n, 3);
	CHECK_STR(field(&r, 0), "a");
	CHECK_INT(r.line, 1);
	sl_csv_row_fini(&r);
	CHECK_INT(sl_csv_next(&c, &r, &err), 1);
	CHECK_STR(field(&r, 1), "x, y");
	CHECK_STR(field(&r, 2), "say \"hi\"");
	CHECK_INT(r.line, 2);
	sl_csv_row_fini(&r);
	CHECK_INT(sl_csv_next(&c, &r, &err), 1);
	CHECK_INT(r.line, 4);
	CHECK_STR(field(&r, 1), "two\nlines");
	CHECK_STR(field(&r, 2), "");
	CHECK_INT(r.n, 3);
	sl_csv_row_fini(&r);
	CHECK_INT(sl_csv_next(&c, &r, &err), 1);
	CHECK_INT(r.line, 6);
	CHECK_STR(field(&r, 1), "");
	CHECK_STR(field(&r, 2), "last");
	sl_csv_row_fini(&r);
	CHECK_INT(sl_csv_next(&c, &r, &err), 0);
}

TEST(csv_errors_name_their_line)
{
	static const struct {
		const char *text;
		const char *says;
	} bad[] = {
		{"a\n\"open", "line 2: a quoted field is not closed"},
		{"a\nb\"c\n", "line 2: a quote inside an unquoted field"},
		{"\"a\"b\n", "line 1: text after a closing quote"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_csv c;
		struct sl_csv_row r;
		struct sl_error err = {0};
		int got;

		sl_csv_init(&c, bad[i].text, strlen(bad[i].text));
		while ((got = sl_csv_next(&c, &r, &err)) > 0)
			sl_csv_row_fini(&r);
		CHECK_INT(got, -1);
		CHECK_STR(err.message, bad[i].says);
		CHECK_INT(r.n, 0);
	}
}

TEST(csv_a_nul_byte_or_too_many_fields_is_refused)
{
	const char nul[] = "a,b\x00,c\n";
	char *many = malloc(2 * (SL_CSV_FIELDS_MAX + 1) + 1);
	struct sl_csv c;
	struct sl_csv_row r;
	struct sl_error err = {0};

	sl_csv_init(&c, nul, sizeof(nul) - 1);
	CHECK_INT(sl_csv_next(&c, &r, &err), -1);
	CHECK(strstr(err.message, "NUL") != NULL);
	for (size_t i = 0; i <= SL_CSV_FIELDS_MAX; i++) {
		many[2 * i] = 'x';
		many[2 * i + 1] = ',';
	}
	many[2 * SL_CSV_FIELDS_MAX + 1] = '\n';
	sl_csv_init(&c, many, 2 * (SL_CSV_FIELDS_MAX + 1));
	CHECK_INT(sl_csv_next(&c, &r, &err), -1);
	CHECK(strstr(err.message, "more than") != NULL);
	free(many);
}

TEST_MAIN(
	T(a_succeeded_deployment_starts_in_progress_and_finishes_at_its_times),
	T(created_before_it_started_it_was_queued_first),
	T(verified_goes_through_succeeded_and_takes_its_own_time_or_the_finish),
	T(a_deployment_that_never_started_stays_queued_or_is_cancelled),
	T(a_time_the_path_needs_is_required_and_names_its_field),
	T(a_time_the_status_does_not_have_is_refused),
	T(times_out_of_order_or_in_the_future_are_refused),
	T(every_step_of_every_plan_is_a_move_the_machine_allows),
	T(an_event_comes_after_the_last_change_and_not_from_the_future),
	T(the_kinds_are_a_vocabulary),
	T(csv_fields_quoted_or_not_with_commas_quotes_and_line_breaks),
	T(csv_errors_name_their_line),
	T(csv_a_nul_byte_or_too_many_fields_is_refused))
