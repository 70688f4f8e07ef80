/* test_vocab.c - every word list in core: one name per enum value, each
 * name parsed back to its value, no name twice, nothing else accepted;
 * the subsets agree with the rules they stand for. */
#include <string.h>

#include "core/import.h"
#include "core/incident.h"
#include "core/notify.h"
#include "core/perm.h"
#include "core/state.h"
#include "core/verify.h"
#include "core/vocab.h"
#include "test.h"

/* Checks one vocabulary: names has exactly count names, name(v) is
 * names[v] for each value, parse(names[v]) gives v back, no two names
 * are equal, and parse refuses what is not a name. */
#define CHECK_VOCAB(prefix, type, names, count)                                \
	do {                                                                   \
		type t_v;                                                      \
		CHECK_INT(sl_vocab_count(names), count);                       \
		for (int t_i = 0; t_i < (int)(count); t_i++) {                 \
			CHECK(names[t_i] != NULL);                             \
			CHECK_STR(prefix##_name((type)t_i), names[t_i]);       \
			t_v = (type)-1;                                        \
			CHECK_INT(prefix##_parse(names[t_i], &t_v), 0);        \
			CHECK_INT(t_v, t_i);                                   \
			for (int t_j = 0; t_j < t_i; t_j++)                    \
				CHECK(strcmp(names[t_i], names[t_j]) != 0);    \
		}                                                              \
		CHECK(prefix##_name((type)(count)) == NULL);                   \
		CHECK(prefix##_name((type)-1) == NULL);                        \
		t_v = (type)0;                                                 \
		CHECK_INT(prefix##_parse(NULL, &t_v), -1);                     \
		CHECK_INT(prefix##_parse("", &t_v), -1);                       \
		CHECK_INT(prefix##_parse("no-such-word", &t_v), -1);           \
		CHECK_INT(t_v, 0);                                             \
	} while (0)

TEST(every_status_list_round_trips_through_its_parse_function)
{
	CHECK_VOCAB(sl_release_status, enum sl_release_status,
		    sl_release_status_names, SL_REL__COUNT);
	CHECK_VOCAB(sl_deploy_status, enum sl_deploy_status,
		    sl_deploy_status_names, SL_DEP__COUNT);
	CHECK_VOCAB(sl_change_state, enum sl_change_state,
		    sl_change_state_names, SL_CR__COUNT);
	CHECK_VOCAB(sl_incident_status, enum sl_incident_status,
		    sl_incident_status_names, SL_INC__COUNT);
}

TEST(every_other_list_round_trips_through_its_parse_function)
{
	CHECK_VOCAB(sl_release_type, enum sl_release_type,
		    sl_release_type_names, SL_TYPE__COUNT);
	CHECK_VOCAB(sl_strategy, enum sl_strategy, sl_strategy_names,
		    SL_STRAT__COUNT);
	CHECK_VOCAB(sl_source, enum sl_source, sl_source_names, SL_SRC__COUNT);
	CHECK_VOCAB(sl_change_class, enum sl_change_class,
		    sl_change_class_names, SL_CRC__COUNT);
	CHECK_VOCAB(sl_role, enum sl_role, sl_role_names, SL_ROLE__COUNT);
	CHECK_VOCAB(sl_incident_severity, enum sl_incident_severity,
		    sl_incident_severity_names, SL_SEV__COUNT);
	CHECK_VOCAB(sl_decision, enum sl_decision, sl_decision_names,
		    SL_DECISION__COUNT);
	CHECK_VOCAB(sl_window_kind, enum sl_window_kind, sl_window_kind_names,
		    SL_WIN__COUNT);
	CHECK_VOCAB(sl_windows_mode, enum sl_windows_mode,
		    sl_windows_mode_names, SL_WMODE__COUNT);
	CHECK_VOCAB(sl_type_check_mode, enum sl_type_check_mode,
		    sl_type_check_mode_names, SL_TCHECK__COUNT);
	CHECK_VOCAB(sl_change_risk, enum sl_change_risk, sl_change_risk_names,
		    SL_RISK__COUNT);
	CHECK_VOCAB(sl_verify_on_failure, enum sl_verify_on_failure,
		    sl_verify_on_failure_names, SL_VERIFY_ON_FAILURE__COUNT);
	CHECK_VOCAB(sl_verdict, enum sl_verdict, sl_verdict_names,
		    SL_VERDICT__COUNT);
	CHECK_VOCAB(sl_verify_state, enum sl_verify_state,
		    sl_verify_state_names, SL_VERIFY_STATE__COUNT);
	CHECK_VOCAB(sl_import_kind, enum sl_import_kind, sl_import_kind_names,
		    SL_IMP__COUNT);
	CHECK_VOCAB(sl_notify_event, enum sl_notify_event,
		    sl_notify_event_names, SL_NEV__COUNT);
	CHECK_VOCAB(sl_notify_channel, enum sl_notify_channel,
		    sl_notify_channel_names, SL_NCH__COUNT);
	CHECK_VOCAB(sl_notify_status, enum sl_notify_status,
		    sl_notify_status_names, SL_NST__COUNT);
}

TEST(the_wire_spelling_of_each_vocabulary_is_what_the_api_documents)
{
	char buf[256];

	sl_vocab_join(sl_release_type_names, "|", buf, sizeof(buf));
	CHECK_STR(buf, "major|minor|patch|hotfix|emergency");
	sl_vocab_join(sl_strategy_names, "|", buf, sizeof(buf));
	CHECK_STR(buf, "rolling|blue_green|canary|recreate");
	sl_vocab_join(sl_window_kind_names, "|", buf, sizeof(buf));
	CHECK_STR(buf, "freeze|blackout|maintenance");
	sl_vocab_join(sl_role_names, "|", buf, sizeof(buf));
	CHECK_STR(buf, "admin|release_manager|approver|deployer|developer|"
		       "auditor");
	sl_vocab_join(sl_decision_names, "|", buf, sizeof(buf));
	CHECK_STR(buf, "approve|reject");
}

/* The lists a body field takes for "only these" agree with the predicate
 * the handler decides by: a listed status satisfies it, no other does. */
TEST(initial_status_lists_are_exactly_the_statuses_their_rules_allow)
{
	for (int s = 0; s < SL_REL__COUNT; s++)
		CHECK_INT(sl_vocab_index(sl_release_initial_status_names,
					 sl_release_status_name(
						 (enum sl_release_status)s)) >=
				  0,
			  sl_release_status_is_initial(
				  (enum sl_release_status)s));
	for (int s = 0; s < SL_DEP__COUNT; s++)
		CHECK_INT(
			sl_vocab_index(sl_deploy_initial_status_names,
				       sl_deploy_status_name(
					       (enum sl_deploy_status)s)) >= 0,
			sl_deploy_status_is_initial((enum sl_deploy_status)s));
	/* In enum order, so help and 422s list them as the full list does. */
	CHECK_STR(sl_release_initial_status_names[0], "draft");
	CHECK_STR(sl_deploy_initial_status_names[0], "queued");
}

/* Final means the machine has no way out of it. */
TEST(final_statuses_are_the_ones_no_transition_leaves)
{
	for (int s = 0; s < SL_REL__COUNT; s++) {
		int out = 0;

		for (int t = 0; t < SL_REL__COUNT; t++)
			out |= sl_release_can_transition(
				(enum sl_release_status)s,
				(enum sl_release_status)t);
		CHECK_INT(sl_release_status_is_final((enum sl_release_status)s),
			  !out);
	}
	for (int s = 0; s < SL_CR__COUNT; s++) {
		int out = 0;

		for (int c = 0; c < SL_CRC__COUNT; c++)
			for (int t = 0; t < SL_CR__COUNT; t++)
				out |= sl_change_can_transition(
					(enum sl_change_class)c,
					(enum sl_change_state)s,
					(enum sl_change_state)t);
		CHECK_INT(sl_change_state_is_final((enum sl_change_state)s),
			  !out);
	}
}

TEST(only_emergency_releases_may_override_gates)
{
	for (int t = 0; t < SL_TYPE__COUNT; t++)
		CHECK_INT(sl_release_type_may_override((enum sl_release_type)t),
			  t == SL_TYPE_EMERGENCY);
}

/* Granting a role that administers tokens takes grant.admin; every other
 * role grant.write. Only admin holds token.admin today. */
TEST(granting_a_role_that_administers_tokens_needs_grant_admin)
{
	for (int r = 0; r < SL_ROLE__COUNT; r++)
		CHECK_INT(sl_role_grant_action((enum sl_role)r),
			  r == SL_ROLE_ADMIN ? SL_ACT_GRANT_ADMIN
					     : SL_ACT_GRANT);
	CHECK(sl_role_allows(SL_ROLE_ADMIN, SL_ACT_GRANT_ADMIN));
	CHECK(!sl_role_allows(SL_ROLE_RELEASE_MANAGER, SL_ACT_GRANT_ADMIN));
}

TEST(a_joined_list_that_does_not_fit_ends_at_a_word_with_dots)
{
	char buf[20];
	size_t n;

	n = sl_vocab_join(sl_role_names, ", ", buf, sizeof(buf));
	CHECK_STR(buf, "admin...");
	CHECK_INT(n, strlen(buf));
	n = sl_vocab_join(sl_decision_names, ", ", buf, sizeof(buf));
	CHECK_STR(buf, "approve, reject");
	CHECK_INT(n, 15);
	/* Exactly full: the last name fits without dots. */
	n = sl_vocab_join(sl_decision_names, ", ", buf, 16);
	CHECK_STR(buf, "approve, reject");
	n = sl_vocab_join(sl_decision_names, ", ", buf, 15);
	CHECK_STR(buf, "approve...");
	n = sl_vocab_join(sl_decision_names, ", ", buf, 3);
	CHECK_STR(buf, "");
	CHECK_INT(n, 0);
}

TEST_MAIN(T(every_status_list_round_trips_through_its_parse_function),
	  T(every_other_list_round_trips_through_its_parse_function),
	  T(the_wire_spelling_of_each_vocabulary_is_what_the_api_documents),
	  T(initial_status_lists_are_exactly_the_statuses_their_rules_allow),
	  T(final_statuses_are_the_ones_no_transition_leaves),
	  T(only_emergency_releases_may_override_gates),
	  T(granting_a_role_that_administers_tokens_needs_grant_admin),
	  T(a_joined_list_that_does_not_fit_ends_at_a_word_with_dots))
