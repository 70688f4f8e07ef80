/* test_gate_approval.c - which decisions stand and what they add up to,
 * as the gate and the pending list count them. */
#include "core/approval.h"
#include "core/gate.h"
#include "test.h"

#include <string.h>

#define NOW  1000000000LL
#define CUR  "digest-now"
#define PAST "digest-before"

static const struct sl_approval_need qa_only[] = {{"qa", 1}};
static const struct sl_approval_need qa_and_cab[] = {{"qa", 2}, {"cab", 1}};

/* A standing approval of who for group at t, on today's artifacts. */
static struct sl_approval ok(const char *who, const char *group, int64_t t)
{
	return (struct sl_approval){
		.approver = who,
		.group = group,
		.decision = SL_DECISION_APPROVE,
		.at = t,
		.artifacts_digest = CUR,
		.environment = "prod",
	};
}

static struct sl_approval no(const char *who, const char *comment, int64_t t)
{
	struct sl_approval a = ok(who, NULL, t);

	a.decision = SL_DECISION_REJECT;
	a.comment = comment;
	return a;
}

/* The context most tests count in: qa needs one, written by "author",
 * asked by "deployer", no segregation rule. */
static struct sl_approval_context ctx(const struct sl_approval_need *needs,
				      size_t n)
{
	return (struct sl_approval_context){
		.needs = needs,
		.nneeds = n,
		.artifacts_digest = CUR,
		.author = "author",
		.actor = "deployer",
		.now = NOW,
	};
}

#define TALLY(list, c, t)                                                      \
	sl_approval_tally(list, sizeof(list) / sizeof(list[0]), c, t)

TEST(decision_names_round_trip_and_unknown_ones_are_refused)
{
	enum sl_decision d = SL_DECISION_APPROVE;

	CHECK_STR(sl_decision_name(SL_DECISION_REJECT), "reject");
	CHECK_INT(sl_decision_parse("reject", &d), 0);
	CHECK_INT(d, SL_DECISION_REJECT);
	CHECK_INT(sl_decision_parse("Approve", &d), -1);
	CHECK_INT(sl_decision_parse(NULL, &d), -1);
	CHECK_INT(d, SL_DECISION_REJECT);
	CHECK(sl_decision_name((enum sl_decision)7) == NULL);
}

TEST(a_later_decision_of_the_same_person_replaces_the_earlier)
{
	struct sl_approval list[] = {ok("ana", "qa", 1), no("ana", NULL, 2)};
	struct sl_approval twice[] = {ok("ana", "qa", 1), ok("ana", "qa", 2)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	CHECK_INT(sl_approval_stands(list, 2, 0, CUR, NOW), 0);
	CHECK_INT(sl_approval_stands(list, 2, 1, CUR, NOW), 1);
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 0);
	CHECK_STR(t.rejected_by, "ana");
	sl_approval_tally_fini(&t);
	/* Approving twice is one approver, not two. */
	TALLY(twice, &c, &t);
	CHECK_INT(t.groups[0].have, 1);
	CHECK_STR(t.groups[0].approvers[0], "ana");
	sl_approval_tally_fini(&t);
}

TEST(a_later_decision_replaces_even_once_it_has_expired)
{
	struct sl_approval list[] = {ok("ana", "qa", 1), ok("ana", "qa", 2)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	list[1].expires_at = NOW - 1;
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 0);
	sl_approval_tally_fini(&t);
}

TEST(withdrawing_the_later_decision_brings_the_earlier_back)
{
	struct sl_approval list[] = {ok("ana", "qa", 1), no("ana", "wait", 2)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	list[1].ended_at = 3;
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 1);
	CHECK(t.rejected_by == NULL);
	sl_approval_tally_fini(&t);
}

TEST(a_withdrawn_or_voided_approval_does_not_count)
{
	/* Both end the decision: withdrawn by its approver, voided by an
	 * edit of what it approved. */
	struct sl_approval withdrawn[] = {ok("ana", "qa", 1)};
	struct sl_approval voided[] = {ok("ana", "qa", 1), ok("bo", "qa", 2)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	withdrawn[0].ended_at = 5;
	TALLY(withdrawn, &c, &t);
	CHECK_INT(t.groups[0].have, 0);
	CHECK_INT(sl_approval_stands(withdrawn, 1, 0, CUR, NOW), 0);
	sl_approval_tally_fini(&t);
	voided[0].ended_at = 7;
	TALLY(voided, &c, &t);
	CHECK_INT(t.groups[0].have, 1);
	CHECK_STR(t.groups[0].approvers[0], "bo");
	sl_approval_tally_fini(&t);
}

TEST(an_approval_expiring_exactly_now_has_expired)
{
	struct sl_approval list[] = {ok("ana", "qa", 1), ok("bo", "qa", 2),
				     ok("cy", "qa", 3)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	list[0].expires_at = NOW;
	list[1].expires_at = NOW + 1;
	list[2].expires_at = NOW - 1;
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 1);
	CHECK_STR(t.groups[0].approvers[0], "bo");
	sl_approval_tally_fini(&t);
	/* A moment earlier, the first still counted. */
	c.now = NOW - 1;
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 2);
	sl_approval_tally_fini(&t);
}

TEST(an_approval_of_other_artifacts_does_not_count)
{
	struct sl_approval list[] = {ok("ana", "qa", 1), ok("bo", "qa", 2)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	list[0].artifacts_digest = PAST;
	CHECK_INT(sl_approval_stands(list, 2, 0, CUR, NOW), 0);
	CHECK_INT(sl_approval_stands(list, 2, 0, PAST, NOW), 1);
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 1);
	CHECK_STR(t.groups[0].approvers[0], "bo");
	sl_approval_tally_fini(&t);
}

TEST(a_standing_rejection_says_who_and_their_own_comment)
{
	struct sl_approval one[] = {ok("ana", "qa", 1),
				    no("bo", "breaks the login", 2)};
	struct sl_approval two[] = {no("bo", "breaks the login", 1),
				    no("cy", NULL, 2)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	TALLY(one, &c, &t);
	CHECK_STR(t.rejected_by, "bo");
	CHECK_STR(t.reject_comment, "breaks the login");
	CHECK_INT(t.groups[0].have, 1); /* the approval still counts */
	sl_approval_tally_fini(&t);
	/* The last rejection is named, and bo's words are not put in cy's
	 * mouth. */
	TALLY(two, &c, &t);
	CHECK_STR(t.rejected_by, "cy");
	CHECK(t.reject_comment == NULL);
	sl_approval_tally_fini(&t);
	/* A rejection on older artifacts no longer stands. */
	one[1].artifacts_digest = PAST;
	TALLY(one, &c, &t);
	CHECK(t.rejected_by == NULL);
	sl_approval_tally_fini(&t);
}

TEST(the_author_is_left_out_only_when_the_policy_says_so)
{
	struct sl_approval list[] = {ok("author", "qa", 1)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 1);
	sl_approval_tally_fini(&t);
	c.author_may_not_approve = 1;
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 0);
	sl_approval_tally_fini(&t);
	/* Another approver still counts under the rule. */
	list[0].approver = "ana";
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 1);
	sl_approval_tally_fini(&t);
	CHECK_INT(sl_approval_author_barred("author", "author", 1), 1);
	CHECK_INT(sl_approval_author_barred("author", "author", 0), 0);
	CHECK_INT(sl_approval_author_barred("author", "ana", 1), 0);
	CHECK_INT(sl_approval_author_barred(NULL, "ana", 1), 0);
}

TEST(groups_are_counted_apart_and_no_group_counts_for_none)
{
	struct sl_approval list[] = {ok("ana", "qa", 1), ok("bo", NULL, 2),
				     ok("cy", "cab", 3), ok("di", "qa", 4),
				     ok("ed", "ops", 5)};
	struct sl_approval_context c = ctx(qa_and_cab, 2);
	struct sl_approval_tally t;

	TALLY(list, &c, &t);
	CHECK_INT(t.ngroups, 2);
	CHECK_STR(t.groups[0].group, "qa");
	CHECK_INT(t.groups[0].required, 2);
	CHECK_INT(t.groups[0].have, 2);
	CHECK_STR(t.groups[0].approvers[0], "ana");
	CHECK_STR(t.groups[0].approvers[1], "di");
	CHECK_STR(t.groups[1].group, "cab");
	CHECK_INT(t.groups[1].required, 1);
	CHECK_INT(t.groups[1].have, 1);
	CHECK_STR(t.groups[1].approvers[0], "cy");
	sl_approval_tally_fini(&t);
}

TEST(no_requirements_and_no_decisions_add_up_to_nothing)
{
	struct sl_approval_context c = ctx(NULL, 0);
	struct sl_approval_tally t;

	sl_approval_tally(NULL, 0, &c, &t);
	CHECK_INT(t.ngroups, 0);
	CHECK(t.rejected_by == NULL);
	CHECK_INT(t.actor_approved, 0);
	CHECK_INT(t.actor_decided, 0);
	CHECK_INT(t.next_change, 0);
	sl_approval_tally_fini(&t);
}

TEST(the_actor_approved_or_decided_only_by_what_stands)
{
	struct sl_approval list[] = {ok("deployer", "qa", 1)};
	struct sl_approval rejected[] = {no("deployer", NULL, 1)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	TALLY(list, &c, &t);
	CHECK_INT(t.actor_approved, 1);
	CHECK_INT(t.actor_decided, 1);
	sl_approval_tally_fini(&t);
	/* The author's approval is still theirs when it does not count. */
	c.author = "deployer";
	c.author_may_not_approve = 1;
	TALLY(list, &c, &t);
	CHECK_INT(t.groups[0].have, 0);
	CHECK_INT(t.actor_approved, 1);
	sl_approval_tally_fini(&t);
	c = ctx(qa_only, 1);
	list[0].expires_at = NOW;
	TALLY(list, &c, &t);
	CHECK_INT(t.actor_approved, 0);
	CHECK_INT(t.actor_decided, 0);
	sl_approval_tally_fini(&t);
	TALLY(rejected, &c, &t);
	CHECK_INT(t.actor_approved, 0);
	CHECK_INT(t.actor_decided, 1);
	sl_approval_tally_fini(&t);
	c.actor = NULL;
	TALLY(rejected, &c, &t);
	CHECK_INT(t.actor_decided, 0);
	sl_approval_tally_fini(&t);
}

TEST(the_next_change_is_the_earliest_expiry_still_ahead)
{
	struct sl_approval list[] = {ok("ana", "qa", 1), ok("bo", "qa", 2),
				     ok("cy", "qa", 3), ok("di", "qa", 4)};
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;

	list[0].expires_at = NOW + 500;
	list[1].expires_at = NOW + 200;
	list[2].expires_at = NOW; /* already expired: not ahead */
	list[3].expires_at = 0;	  /* never */
	TALLY(list, &c, &t);
	CHECK_INT(t.next_change, NOW + 200);
	sl_approval_tally_fini(&t);
	/* It errs early: a withdrawn decision's expiry still counts. */
	list[1].ended_at = 9;
	TALLY(list, &c, &t);
	CHECK_INT(t.next_change, NOW + 200);
	sl_approval_tally_fini(&t);
	list[0].expires_at = 0;
	list[1].expires_at = 0;
	TALLY(list, &c, &t);
	CHECK_INT(t.next_change, 0);
	sl_approval_tally_fini(&t);
}

TEST(an_approval_expires_after_the_policys_hours_or_never)
{
	CHECK_INT(sl_approval_expiry(NOW, 0), 0);
	CHECK_INT(sl_approval_expiry(NOW, 2), NOW + 2 * 3600 * 1000000LL);
}

TEST(an_edit_voids_what_stands_on_the_old_artifacts)
{
	struct sl_approval a = ok("ana", "qa", 1);

	a.artifacts_digest = PAST;
	CHECK_INT(sl_approval_voided_by_edit(&a, PAST), 1);
	CHECK_INT(sl_approval_voided_by_edit(&a, CUR), 0);
	a.ended_at = 4;
	CHECK_INT(sl_approval_voided_by_edit(&a, PAST), 0);
}

/* The gate's approvals check on a tally. */
static void approvals_check(const struct sl_approval_tally *t,
			    struct sl_gate_check *out)
{
	struct sl_gate_facts f = {0};
	struct sl_gate_check checks[16];

	f.now = NOW;
	f.environment = "prod";
	f.actor = "deployer";
	f.groups = t->groups;
	f.ngroups = t->ngroups;
	f.rejected_by = t->rejected_by;
	f.reject_comment = t->reject_comment;
	sl_gate_evaluate(&f, checks);
	*out = checks[sl_gate_index("approvals")];
}

TEST(the_gate_says_who_counted_and_what_is_missing)
{
	struct sl_approval list[] = {ok("ana", "qa", 1), ok("di", "qa", 2),
				     ok("cy", "cab", 3)};
	struct sl_approval_context c = ctx(qa_and_cab, 2);
	struct sl_approval_tally t;
	struct sl_gate_check chk;

	TALLY(list, &c, &t);
	approvals_check(&t, &chk);
	CHECK_INT(chk.passed, 1);
	CHECK_STR(chk.detail,
		  "approved: 2 of 2 from qa (ana, di); 1 of 1 from cab (cy)");
	sl_approval_tally_fini(&t);
	list[1].ended_at = 5;
	TALLY(list, &c, &t);
	approvals_check(&t, &chk);
	CHECK_INT(chk.passed, 0);
	CHECK_STR(chk.detail, "missing approvals: 1 of 2 from qa (ana)");
	sl_approval_tally_fini(&t);
}

TEST(the_gate_quotes_a_long_rejection_cut_at_a_character)
{
	char comment[600];
	struct sl_approval list[1];
	struct sl_approval_context c = ctx(qa_only, 1);
	struct sl_approval_tally t;
	struct sl_gate_check chk;
	const char *tail = "; withdraw or supersede it first";
	/* "é" is two bytes: after 254 bytes of "x", a cut at 255 would
	 * end inside it. */
	static const char rest[] = "\xc3\xa9 and much more";

	memset(comment, 'x', 254);
	memcpy(comment + 254, rest, sizeof(rest));
	list[0] = no("bo", comment, 1);
	TALLY(list, &c, &t);
	approvals_check(&t, &chk);
	CHECK_INT(chk.passed, 0);
	CHECK_INT(strlen(chk.detail),
		  strlen("rejected by bo: ") + 254 + strlen(tail));
	CHECK_STR(chk.detail + strlen(chk.detail) - strlen(tail), tail);
	sl_approval_tally_fini(&t);
}

TEST(a_decision_counts_for_the_group_named_or_the_one_the_token_is_in)
{
	const struct sl_approval_need needs[] = {{"qa", 1}, {"sec", 1}};
	const char *const qa[] = {"dev", "qa"};
	const char *const both[] = {"sec", "qa"};
	struct sl_error err = {0};
	const char *g = "x";

	/* Named: required and a member. */
	CHECK_INT(sl_approval_group(needs, 2, qa, 2, "qa", "prod", "ann", &g,
				    &err),
		  SL_OK);
	CHECK_STR(g, "qa");
	/* Named but not required there. */
	CHECK_INT(sl_approval_group(needs, 2, qa, 2, "dev", "prod", "ann", &g,
				    &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "group");
	CHECK(strstr(err.message, "prod requires no approvals") != NULL);
	CHECK(g == NULL);
	/* Named, required, but not the token's. */
	CHECK_INT(sl_approval_group(needs, 2, qa, 2, "sec", "prod", "ann", &g,
				    &err),
		  SL_EFORBIDDEN);
	CHECK(strstr(err.message, "'ann'") != NULL);
	/* Not named: the one required group the token is in. */
	CHECK_INT(sl_approval_group(needs, 2, qa, 2, NULL, "prod", "ann", &g,
				    &err),
		  SL_OK);
	CHECK_STR(g, "qa");
	/* In none: no group. */
	CHECK_INT(sl_approval_group(needs, 2, NULL, 0, NULL, "prod", "ann", &g,
				    &err),
		  SL_OK);
	CHECK(g == NULL);
	/* In two: say which. */
	CHECK_INT(sl_approval_group(needs, 2, both, 2, NULL, "prod", "ann", &g,
				    &err),
		  SL_EINVAL);
	CHECK(strstr(err.message, "several") != NULL);
	CHECK(g == NULL);
}

TEST_MAIN(T(decision_names_round_trip_and_unknown_ones_are_refused),
	  T(a_later_decision_of_the_same_person_replaces_the_earlier),
	  T(a_later_decision_replaces_even_once_it_has_expired),
	  T(withdrawing_the_later_decision_brings_the_earlier_back),
	  T(a_withdrawn_or_voided_approval_does_not_count),
	  T(an_approval_expiring_exactly_now_has_expired),
	  T(an_approval_of_other_artifacts_does_not_count),
	  T(a_standing_rejection_says_who_and_their_own_comment),
	  T(the_author_is_left_out_only_when_the_policy_says_so),
	  T(groups_are_counted_apart_and_no_group_counts_for_none),
	  T(no_requirements_and_no_decisions_add_up_to_nothing),
	  T(the_actor_approved_or_decided_only_by_what_stands),
	  T(the_next_change_is_the_earliest_expiry_still_ahead),
	  T(an_approval_expires_after_the_policys_hours_or_never),
	  T(an_edit_voids_what_stands_on_the_old_artifacts),
	  T(the_gate_says_who_counted_and_what_is_missing),
	  T(the_gate_quotes_a_long_rejection_cut_at_a_character),
	  T(a_decision_counts_for_the_group_named_or_the_one_the_token_is_in))
