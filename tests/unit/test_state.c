/* test_state.c - status machines and vocabularies, checked cell by cell
 * against expectations written here independently of the tables. */
#include "core/perm.h"
#include "core/state.h"
#include "test.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Returns 1 when "from>to" is in the list of allowed transitions. */
static int listed(const char *const *allowed, size_t n, const char *from,
		  const char *to)
{
	char key[64];

	snprintf(key, sizeof(key), "%s>%s", from, to);
	for (size_t i = 0; i < n; i++)
		if (strcmp(allowed[i], key) == 0)
			return 1;
	return 0;
}

TEST(release_transitions_match_the_documented_machine_in_every_cell)
{
	static const char *const allowed[] = {
		"draft>planned",	"draft>in_progress",
		"draft>cancelled",	"planned>draft",
		"planned>in_progress",	"planned>cancelled",
		"in_progress>released", "in_progress>cancelled",
	};
	int seen = 0;

	for (int f = 0; f < SL_REL__COUNT; f++) {
		for (int t = 0; t < SL_REL__COUNT; t++) {
			const char *fn = sl_release_status_name(f);
			const char *tn = sl_release_status_name(t);
			int want = listed(allowed, COUNT(allowed), fn, tn);
			int got = sl_release_can_transition(f, t);

			if (got != want) {
				fprintf(stderr, "  release %s>%s: got %d\n", fn,
					tn, got);
				t_failed_checks++;
			}
			seen += got;
		}
	}
	CHECK_INT(seen, COUNT(allowed));
}

TEST(deploy_transitions_match_the_documented_machine_in_every_cell)
{
	static const char *const allowed[] = {
		"queued>in_progress",	 "queued>failed",
		"queued>cancelled",	 "in_progress>succeeded",
		"in_progress>failed",	 "in_progress>cancelled",
		"in_progress>stalled",	 "in_progress>rolled_back",
		"stalled>in_progress",	 "stalled>succeeded",
		"stalled>failed",	 "stalled>cancelled",
		"succeeded>verified",	 "succeeded>failed",
		"succeeded>rolled_back", "verified>rolled_back",
		"failed>rolled_back",
	};
	int seen = 0;

	for (int f = 0; f < SL_DEP__COUNT; f++) {
		for (int t = 0; t < SL_DEP__COUNT; t++) {
			const char *fn = sl_deploy_status_name(f);
			const char *tn = sl_deploy_status_name(t);
			int want = listed(allowed, COUNT(allowed), fn, tn);
			int got = sl_deploy_can_transition(f, t);

			if (got != want) {
				fprintf(stderr, "  deploy %s>%s: got %d\n", fn,
					tn, got);
				t_failed_checks++;
			}
			seen += got;
		}
	}
	CHECK_INT(seen, COUNT(allowed));
}

TEST(by_hand_a_release_is_only_planned_unplanned_or_cancelled)
{
	static const char *const allowed[] = {
		"draft>planned",     "draft>cancelled",	      "planned>draft",
		"planned>cancelled", "in_progress>cancelled",
	};
	int seen = 0;

	for (int f = 0; f < SL_REL__COUNT; f++) {
		for (int t = 0; t < SL_REL__COUNT; t++) {
			const char *fn = sl_release_status_name(f);
			const char *tn = sl_release_status_name(t);
			int want = listed(allowed, COUNT(allowed), fn, tn);
			int got = sl_release_can_set(f, t);

			if (got != want) {
				fprintf(stderr, "  by hand %s>%s: got %d\n", fn,
					tn, got);
				t_failed_checks++;
			}
			/* Nothing by hand that the machine does not allow. */
			if (got)
				CHECK_INT(sl_release_can_transition(f, t), 1);
			seen += got;
		}
	}
	CHECK_INT(seen, COUNT(allowed));
	CHECK_INT(sl_release_can_set(SL_REL_DRAFT, SL_REL_RELEASED), 0);
	CHECK_INT(sl_release_can_set(SL_REL_IN_PROGRESS, SL_REL_RELEASED), 0);
	CHECK_INT(sl_release_can_set(SL_REL_PLANNED, SL_REL_IN_PROGRESS), 0);
}

/* The change request machine per class, every cell against a list
 * written here: "class:from>to". */
TEST(change_request_transitions_match_the_itsm_path_in_every_cell)
{
	static const char *const allowed[] = {
		"normal:new>assess",
		"normal:assess>authorize",
		"normal:assess>new",
		"normal:assess>rejected",
		"normal:assess>cancelled",
		"normal:authorize>approved",
		"normal:authorize>rejected",
		"normal:authorize>new",
		"normal:authorize>cancelled",
		"normal:approved>scheduled",
		"normal:approved>implement",
		"normal:approved>cancelled",
		"emergency:new>authorize",
		"emergency:authorize>approved",
		"emergency:authorize>rejected",
		"emergency:authorize>new",
		"emergency:authorize>cancelled",
		"emergency:approved>scheduled",
		"emergency:approved>implement",
		"emergency:approved>cancelled",
		"standard:new>scheduled",
	};
	static const char *const every_class[] = {
		"new>cancelled",       "scheduled>implement",
		"scheduled>cancelled", "implement>review",
		"review>closed",
	};
	int seen = 0, want_seen = 0;

	for (int c = 0; c < SL_CRC__COUNT; c++) {
		for (int f = 0; f < SL_CR__COUNT; f++) {
			for (int t = 0; t < SL_CR__COUNT; t++) {
				const char *fn = sl_change_state_name(f);
				const char *tn = sl_change_state_name(t);
				char key[80];
				int want,
					got = sl_change_can_transition(c, f, t);

				snprintf(key, sizeof(key), "%s:%s",
					 sl_change_class_name(c), fn);
				want = listed(allowed, COUNT(allowed), key,
					      tn) ||
				       listed(every_class, COUNT(every_class),
					      fn, tn);
				if (got != want) {
					fprintf(stderr,
						"  change %s>%s: got %d\n", key,
						tn, got);
					t_failed_checks++;
				}
				seen += got;
				want_seen += want;
			}
		}
	}
	CHECK_INT(seen, want_seen);
	CHECK_INT(want_seen, COUNT(allowed) + 3 * COUNT(every_class));
	/* What the machine exists for. */
	CHECK_INT(sl_change_can_transition(SL_CRC_NORMAL, SL_CR_APPROVED,
					   SL_CR_NEW),
		  0);
	CHECK_INT(sl_change_can_transition(SL_CRC_NORMAL, SL_CR_NEW,
					   SL_CR_APPROVED),
		  0);
	CHECK_INT(sl_change_can_transition(SL_CRC_NORMAL, SL_CR_CLOSED,
					   SL_CR_APPROVED),
		  0);
	CHECK_INT(sl_change_can_transition(SL_CRC__COUNT, SL_CR_NEW,
					   SL_CR_CANCELLED),
		  0);
}

TEST(final_change_request_states_have_no_way_out)
{
	static const int finals[] = {SL_CR_CLOSED, SL_CR_CANCELLED,
				     SL_CR_REJECTED};

	for (size_t i = 0; i < COUNT(finals); i++)
		for (int c = 0; c < SL_CRC__COUNT; c++)
			for (int t = 0; t < SL_CR__COUNT; t++)
				CHECK_INT(sl_change_can_transition(c, finals[i],
								   t),
					  0);
}

TEST(no_status_transitions_to_itself)
{
	for (int s = 0; s < SL_REL__COUNT; s++)
		CHECK_INT(sl_release_can_transition(s, s), 0);
	for (int s = 0; s < SL_DEP__COUNT; s++)
		CHECK_INT(sl_deploy_can_transition(s, s), 0);
	for (int s = 0; s < SL_REL__COUNT; s++)
		CHECK_INT(sl_release_can_set(s, s), 0);
	for (int c = 0; c < SL_CRC__COUNT; c++)
		for (int s = 0; s < SL_CR__COUNT; s++)
			CHECK_INT(sl_change_can_transition(c, s, s), 0);
}

TEST(terminal_deploy_statuses_have_no_way_out_and_others_do)
{
	for (int s = 0; s < SL_DEP__COUNT; s++) {
		int out = 0;

		for (int t = 0; t < SL_DEP__COUNT; t++)
			out += sl_deploy_can_transition(s, t);
		CHECK_INT(sl_deploy_status_is_terminal(s), out == 0);
	}
	CHECK_INT(sl_deploy_status_is_terminal(SL_DEP_ROLLED_BACK), 1);
	CHECK_INT(sl_deploy_status_is_terminal(SL_DEP_CANCELLED), 1);
	CHECK_INT(sl_deploy_status_is_terminal(SL_DEP_FAILED), 0);
}

TEST(only_succeeded_and_verified_mean_the_version_runs)
{
	for (int s = 0; s < SL_DEP__COUNT; s++)
		CHECK_INT(sl_deploy_status_is_running_version(s),
			  s == SL_DEP_SUCCEEDED || s == SL_DEP_VERIFIED);
}

TEST(only_canary_and_blue_green_shift_traffic)
{
	CHECK_INT(sl_strategy_has_traffic(SL_STRAT_CANARY), 1);
	CHECK_INT(sl_strategy_has_traffic(SL_STRAT_BLUE_GREEN), 1);
	CHECK_INT(sl_strategy_has_traffic(SL_STRAT_ROLLING), 0);
	CHECK_INT(sl_strategy_has_traffic(SL_STRAT_RECREATE), 0);
}

/* Each vocabulary is checked against its expected names in enum order:
 * name(i) is the expected spelling and parse(name) gives i back. */
#define CHECK_VOCABULARY(prefix, type, count, ...)                             \
	do {                                                                   \
		static const char *const want[] = {__VA_ARGS__};               \
		CHECK_INT(COUNT(want), count);                                 \
		for (int i = 0; i < (int)COUNT(want) && i < (count); i++) {    \
			type v = (type)(count);                                \
			CHECK_STR(prefix##_name((type)i), want[i]);            \
			CHECK_INT(prefix##_parse(want[i], &v), 0);             \
			CHECK_INT(v, i);                                       \
		}                                                              \
		CHECK(prefix##_name((type)(count)) == NULL);                   \
	} while (0)

TEST(every_name_round_trips_through_parse)
{
	CHECK_VOCABULARY(sl_release_status, enum sl_release_status,
			 SL_REL__COUNT, "draft", "planned", "in_progress",
			 "released", "cancelled");
	CHECK_VOCABULARY(sl_deploy_status, enum sl_deploy_status, SL_DEP__COUNT,
			 "queued", "in_progress", "succeeded", "verified",
			 "failed", "rolled_back", "cancelled", "stalled");
	CHECK_VOCABULARY(sl_release_type, enum sl_release_type, SL_TYPE__COUNT,
			 "major", "minor", "patch", "hotfix", "emergency");
	CHECK_VOCABULARY(sl_strategy, enum sl_strategy, SL_STRAT__COUNT,
			 "rolling", "blue_green", "canary", "recreate");
	CHECK_VOCABULARY(sl_source, enum sl_source, SL_SRC__COUNT, "api", "cli",
			 "webhook", "health_check");
	CHECK_VOCABULARY(sl_change_state, enum sl_change_state, SL_CR__COUNT,
			 "new", "assess", "authorize", "approved", "scheduled",
			 "implement", "review", "closed", "cancelled",
			 "rejected");
	CHECK_VOCABULARY(sl_change_class, enum sl_change_class, SL_CRC__COUNT,
			 "standard", "normal", "emergency");
	CHECK_VOCABULARY(sl_role, enum sl_role, SL_ROLE__COUNT, "admin",
			 "release_manager", "approver", "deployer", "developer",
			 "auditor");
}

TEST(unknown_names_are_rejected_and_leave_the_output_alone)
{
	static const char *const bad[] = {
		"",	      "Draft",	     "DRAFT",	   "draft ",
		" draft",     "in-progress", "inprogress", "released!",
		"rolledback", "unknown",
	};
	for (size_t i = 0; i < COUNT(bad); i++) {
		enum sl_release_status r = SL_REL_CANCELLED;
		enum sl_deploy_status d = SL_DEP_STALLED;

		CHECK_INT(sl_release_status_parse(bad[i], &r), -1);
		CHECK_INT(r, SL_REL_CANCELLED);
		CHECK_INT(sl_deploy_status_parse(bad[i], &d), -1);
		CHECK_INT(d, SL_DEP_STALLED);
	}
	{
		enum sl_release_type t;
		enum sl_strategy s;
		enum sl_source src;
		enum sl_role role;
		enum sl_release_status r;

		CHECK_INT(sl_release_type_parse("Major", &t), -1);
		CHECK_INT(sl_release_type_parse("feature", &t), -1);
		CHECK_INT(sl_strategy_parse("blue-green", &s), -1);
		CHECK_INT(sl_strategy_parse("bluegreen", &s), -1);
		CHECK_INT(sl_source_parse("health-check", &src), -1);
		CHECK_INT(sl_source_parse("API", &src), -1);
		CHECK_INT(sl_role_parse("release-manager", &role), -1);
		CHECK_INT(sl_role_parse("root", &role), -1);
		CHECK_INT(sl_release_status_parse(NULL, &r), -1);
	}
}

TEST(a_change_stays_authorized_from_approval_until_implemented)
{
	int want[SL_CR__COUNT] = {[SL_CR_APPROVED] = 1,
				  [SL_CR_SCHEDULED] = 1,
				  [SL_CR_IMPLEMENT] = 1};

	for (int s = 0; s < SL_CR__COUNT; s++)
		CHECK_INT(sl_change_authorized((enum sl_change_state)s),
			  want[s]);
}

TEST_MAIN(T(a_change_stays_authorized_from_approval_until_implemented),
	  T(release_transitions_match_the_documented_machine_in_every_cell),
	  T(deploy_transitions_match_the_documented_machine_in_every_cell),
	  T(by_hand_a_release_is_only_planned_unplanned_or_cancelled),
	  T(change_request_transitions_match_the_itsm_path_in_every_cell),
	  T(final_change_request_states_have_no_way_out),
	  T(no_status_transitions_to_itself),
	  T(terminal_deploy_statuses_have_no_way_out_and_others_do),
	  T(only_succeeded_and_verified_mean_the_version_runs),
	  T(only_canary_and_blue_green_shift_traffic),
	  T(every_name_round_trips_through_parse),
	  T(unknown_names_are_rejected_and_leave_the_output_alone))
