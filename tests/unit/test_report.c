/* test_report.c - the compliance reports' rules: which facts of a
 * production change make an exception, which evidence it carries, and
 * what an access review flags. */
#include "core/report.h"
#include "test.h"

#define HOUR (3600LL * 1000000)

static const struct sl_report_approval before[] = {
	{"ann", "qa", "approve", 5 * HOUR, 0},
};

/* A change with everything in order: approved before it started, an
 * approved change request, gated, by someone who neither approved nor
 * wrote it. */
static struct sl_report_change clean(void)
{
	struct sl_report_change c = {
		.id = 1,
		.service = "pay",
		.environment = "prod",
		.deployer = "dan",
		.author = "alice",
		.started_at = 10 * HOUR,
		.origin = SL_ORIGIN_GATED,
		.cr_required = 1,
		.sod_approver_may_not_deploy = 1,
		.sod_deployer_may_not_be_author = 1,
		.cr_key = "CHG1",
		.cr_state = "approved",
		.cr_class = "normal",
		.cr_found = 1,
		.approvals = before,
		.napprovals = 1,
		.checklist_items = 2,
		.verified = 1,
	};
	return c;
}

TEST(a_clean_change_has_no_exception_and_every_evidence)
{
	struct sl_report_change c = clean();
	struct sl_exception ex[SL_EXC__COUNT];

	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	for (int e = 0; e < SL_EV__COUNT; e++)
		CHECK_INT(sl_report_has_evidence(&c, (enum sl_evidence)e), 1);
}

TEST(a_missing_or_unapproved_change_request_is_an_exception_only_where_required)
{
	struct sl_report_change c = clean();
	struct sl_exception ex[SL_EXC__COUNT];

	c.cr_state = "assess";
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
	CHECK_STR(sl_exception_name(ex[0].kind), "no_change_request");
	CHECK_STR(ex[0].detail, "change request CHG1 is assess, not approved");
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_CHANGE_REQUEST), 0);
	c.cr_state = "closed"; /* approved, implemented and closed since */
	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	c.cr_state = "rejected";
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
	c.cr_key = NULL;
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
	CHECK_STR(ex[0].detail,
		  "prod needs an approved change request and the release "
		  "names none");
	c.cr_required = 0;
	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	/* A standard change needs no approval of its own. */
	c = clean();
	c.cr_state = "new";
	c.cr_preapproved = 1;
	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	c.cr_found = 0;
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
}

TEST(an_override_is_an_exception_until_its_review_closes)
{
	struct sl_report_change c = clean();
	struct sl_exception ex[SL_EXC__COUNT];

	c.origin = SL_ORIGIN_OVERRIDE;
	c.has_review = 1;
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
	CHECK_STR(sl_exception_name(ex[0].kind), "override_review_open");
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_REVIEW), 0);
	c.review_closed = 1;
	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_REVIEW), 1);
}

TEST(an_approval_after_the_start_counts_only_when_none_stood_at_the_start)
{
	static const struct sl_report_approval late[] = {
		{"bob", "qa", "approve", 11 * HOUR, 0},
	};
	static const struct sl_report_approval both[] = {
		{"ann", "qa", "approve", 5 * HOUR, 0},
		{"bob", "qa", "approve", 11 * HOUR, 0},
	};
	static const struct sl_report_approval withdrawn[] = {
		{"ann", "qa", "approve", 5 * HOUR, 9 * HOUR},
		{"bob", "qa", "approve", 11 * HOUR, 0},
	};
	static const struct sl_report_approval rejected_late[] = {
		{"bob", "qa", "reject", 11 * HOUR, 0},
	};
	struct sl_report_change c = clean();
	struct sl_exception ex[SL_EXC__COUNT];

	c.approvals = late;
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
	CHECK_STR(sl_exception_name(ex[0].kind), "approval_after_start");
	CHECK_STR(ex[0].detail, "bob approved after the deployment started");
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_APPROVAL), 0);
	c.approvals = both;
	c.napprovals = 2;
	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	c.approvals = withdrawn;
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
	c.approvals = rejected_late;
	c.napprovals = 1;
	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_APPROVAL), 0);
}

TEST(segregation_breaches_follow_the_policy)
{
	static const struct sl_report_approval self[] = {
		{"dan", "qa", "approve", 5 * HOUR, 0},
	};
	struct sl_report_change c = clean();
	struct sl_exception ex[SL_EXC__COUNT];

	c.approvals = self;
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
	CHECK_STR(sl_exception_name(ex[0].kind), "sod_approver_deployed");
	CHECK_INT(sl_exception_is_sod(ex[0].kind), 1);
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_SEGREGATION), 0);
	c.sod_approver_may_not_deploy = 0;
	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	c = clean();
	c.deployer = "alice";
	CHECK_INT(sl_report_exceptions(&c, ex), 1);
	CHECK_STR(sl_exception_name(ex[0].kind), "sod_author_deployed");
	c.sod_deployer_may_not_be_author = 0;
	CHECK_INT(sl_report_exceptions(&c, ex), 0);
	CHECK_INT(sl_exception_is_sod(SL_EXC_FREEZE), 0);
}

TEST(a_start_in_a_freeze_is_an_exception_and_kinds_come_in_order)
{
	static const struct sl_report_approval late[] = {
		{"bob", "qa", "approve", 11 * HOUR, 0},
	};
	struct sl_report_change c = clean();
	struct sl_exception ex[SL_EXC__COUNT];

	c.freeze = "year-end";
	c.cr_key = NULL;
	c.approvals = late;
	CHECK_INT(sl_report_exceptions(&c, ex), 3);
	CHECK_STR(sl_exception_name(ex[0].kind), "no_change_request");
	CHECK_STR(sl_exception_name(ex[1].kind), "approval_after_start");
	CHECK_STR(sl_exception_name(ex[2].kind), "deployed_during_freeze");
	CHECK_STR(ex[2].detail, "started during the window year-end");
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_NO_FREEZE), 0);
}

TEST(ungated_origins_carry_no_gate_evidence)
{
	struct sl_report_change c = clean();
	enum sl_evidence e;

	c.origin = SL_ORIGIN_WEBHOOK;
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_GATED), 0);
	c.origin = SL_ORIGIN_IMPORT;
	CHECK_INT(sl_report_has_evidence(&c, SL_EV_GATED), 0);
	CHECK_STR(sl_report_origin_name(SL_ORIGIN_IMPORT), "not_gated_import");
	CHECK_INT(sl_evidence_parse("checklist", &e), 0);
	CHECK_INT(e, SL_EV_CHECKLIST);
	CHECK_INT(sl_evidence_parse("nothing", &e), -1);
}

TEST(access_review_flags_expired_revoked_and_idle_for_ninety_days)
{
	int64_t day = 24 * HOUR, now = 1000 * day;

	CHECK_INT(sl_access_flags(now - 10 * day, 0, now - day, 0, now), 0);
	CHECK_INT(sl_access_flags(now - 100 * day, 0, 0, 0, now),
		  SL_ACCESS_UNUSED);
	CHECK_INT(sl_access_flags(now - 100 * day, 0, now - 89 * day, 0, now),
		  0);
	CHECK_INT(sl_access_flags(now - 100 * day, 0, now - 90 * day, 0, now),
		  SL_ACCESS_UNUSED);
	CHECK_INT(sl_access_flags(now - day, now, now - day, 0, now),
		  SL_ACCESS_EXPIRED);
	CHECK_INT(sl_access_flags(now - day, now + 1, 0, now - 1, now),
		  SL_ACCESS_REVOKED);
}

TEST_MAIN(
	T(a_clean_change_has_no_exception_and_every_evidence),
	T(a_missing_or_unapproved_change_request_is_an_exception_only_where_required),
	T(an_override_is_an_exception_until_its_review_closes),
	T(an_approval_after_the_start_counts_only_when_none_stood_at_the_start),
	T(segregation_breaches_follow_the_policy),
	T(a_start_in_a_freeze_is_an_exception_and_kinds_come_in_order),
	T(ungated_origins_carry_no_gate_evidence),
	T(access_review_flags_expired_revoked_and_idle_for_ninety_days))
