/* state.c - status machines and their vocabularies as tables. */
#include "core/state.h"

#include <stddef.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One allowed move. flags: for releases, BY_HAND when a person may make
 * it (the others follow from deployments); for change requests, the
 * classes (1 << enum sl_change_class) it is open to. */
struct transition {
	int from, to;
	unsigned flags;
};

#define BY_HAND 1u

static const struct transition release_transitions[] = {
	{SL_REL_DRAFT, SL_REL_PLANNED, BY_HAND},
	{SL_REL_DRAFT, SL_REL_IN_PROGRESS, 0},
	{SL_REL_DRAFT, SL_REL_CANCELLED, BY_HAND},
	{SL_REL_PLANNED, SL_REL_DRAFT, BY_HAND},
	{SL_REL_PLANNED, SL_REL_IN_PROGRESS, 0},
	{SL_REL_PLANNED, SL_REL_CANCELLED, BY_HAND},
	{SL_REL_IN_PROGRESS, SL_REL_RELEASED, 0},
	{SL_REL_IN_PROGRESS, SL_REL_CANCELLED, BY_HAND},
};

#define STD  (1u << SL_CRC_STANDARD)
#define NORM (1u << SL_CRC_NORMAL)
#define EMER (1u << SL_CRC_EMERGENCY)
#define ALL  (STD | NORM | EMER)

static const struct transition change_transitions[] = {
	{SL_CR_NEW, SL_CR_ASSESS, NORM},
	{SL_CR_NEW, SL_CR_AUTHORIZE, EMER},
	{SL_CR_NEW, SL_CR_SCHEDULED, STD},
	{SL_CR_NEW, SL_CR_CANCELLED, ALL},
	{SL_CR_ASSESS, SL_CR_AUTHORIZE, NORM},
	{SL_CR_ASSESS, SL_CR_NEW, NORM},
	{SL_CR_ASSESS, SL_CR_REJECTED, NORM},
	{SL_CR_ASSESS, SL_CR_CANCELLED, NORM},
	{SL_CR_AUTHORIZE, SL_CR_APPROVED, NORM | EMER},
	{SL_CR_AUTHORIZE, SL_CR_REJECTED, NORM | EMER},
	{SL_CR_AUTHORIZE, SL_CR_NEW, NORM | EMER},
	{SL_CR_AUTHORIZE, SL_CR_CANCELLED, NORM | EMER},
	{SL_CR_APPROVED, SL_CR_SCHEDULED, NORM | EMER},
	{SL_CR_APPROVED, SL_CR_IMPLEMENT, NORM | EMER},
	{SL_CR_APPROVED, SL_CR_CANCELLED, NORM | EMER},
	{SL_CR_SCHEDULED, SL_CR_IMPLEMENT, ALL},
	{SL_CR_SCHEDULED, SL_CR_CANCELLED, ALL},
	{SL_CR_IMPLEMENT, SL_CR_REVIEW, ALL},
	{SL_CR_REVIEW, SL_CR_CLOSED, ALL},
};

static const struct transition deploy_transitions[] = {
	{SL_DEP_QUEUED, SL_DEP_IN_PROGRESS, 0},
	{SL_DEP_QUEUED, SL_DEP_FAILED, 0},
	{SL_DEP_QUEUED, SL_DEP_CANCELLED, 0},
	{SL_DEP_IN_PROGRESS, SL_DEP_SUCCEEDED, 0},
	{SL_DEP_IN_PROGRESS, SL_DEP_FAILED, 0},
	{SL_DEP_IN_PROGRESS, SL_DEP_CANCELLED, 0},
	{SL_DEP_IN_PROGRESS, SL_DEP_STALLED, 0},
	{SL_DEP_IN_PROGRESS, SL_DEP_ROLLED_BACK, 0},
	{SL_DEP_STALLED, SL_DEP_IN_PROGRESS, 0},
	{SL_DEP_STALLED, SL_DEP_SUCCEEDED, 0},
	{SL_DEP_STALLED, SL_DEP_FAILED, 0},
	{SL_DEP_STALLED, SL_DEP_CANCELLED, 0},
	{SL_DEP_SUCCEEDED, SL_DEP_VERIFIED, 0},
	{SL_DEP_SUCCEEDED, SL_DEP_FAILED, 0},
	{SL_DEP_SUCCEEDED, SL_DEP_ROLLED_BACK, 0},
	{SL_DEP_VERIFIED, SL_DEP_ROLLED_BACK, 0},
	{SL_DEP_FAILED, SL_DEP_ROLLED_BACK, 0},
};

const char *const sl_release_status_names[SL_REL__COUNT + 1] = {
	[SL_REL_DRAFT] = "draft",
	[SL_REL_PLANNED] = "planned",
	[SL_REL_IN_PROGRESS] = "in_progress",
	[SL_REL_RELEASED] = "released",
	[SL_REL_CANCELLED] = "cancelled",
};

const char *const sl_deploy_status_names[SL_DEP__COUNT + 1] = {
	[SL_DEP_QUEUED] = "queued",	  [SL_DEP_IN_PROGRESS] = "in_progress",
	[SL_DEP_SUCCEEDED] = "succeeded", [SL_DEP_VERIFIED] = "verified",
	[SL_DEP_FAILED] = "failed",	  [SL_DEP_ROLLED_BACK] = "rolled_back",
	[SL_DEP_CANCELLED] = "cancelled", [SL_DEP_STALLED] = "stalled",
};

const char *const sl_release_type_names[SL_TYPE__COUNT + 1] = {
	[SL_TYPE_MAJOR] = "major",	   [SL_TYPE_MINOR] = "minor",
	[SL_TYPE_PATCH] = "patch",	   [SL_TYPE_HOTFIX] = "hotfix",
	[SL_TYPE_EMERGENCY] = "emergency",
};

const char *const sl_strategy_names[SL_STRAT__COUNT + 1] = {
	[SL_STRAT_ROLLING] = "rolling",
	[SL_STRAT_BLUE_GREEN] = "blue_green",
	[SL_STRAT_CANARY] = "canary",
	[SL_STRAT_RECREATE] = "recreate",
};

const char *const sl_source_names[SL_SRC__COUNT + 1] = {
	[SL_SRC_API] = "api",
	[SL_SRC_CLI] = "cli",
	[SL_SRC_WEBHOOK] = "webhook",
	[SL_SRC_HEALTH_CHECK] = "health_check",
};

const char *const sl_change_state_names[SL_CR__COUNT + 1] = {
	[SL_CR_NEW] = "new",
	[SL_CR_ASSESS] = "assess",
	[SL_CR_AUTHORIZE] = "authorize",
	[SL_CR_APPROVED] = "approved",
	[SL_CR_SCHEDULED] = "scheduled",
	[SL_CR_IMPLEMENT] = "implement",
	[SL_CR_REVIEW] = "review",
	[SL_CR_CLOSED] = "closed",
	[SL_CR_CANCELLED] = "cancelled",
	[SL_CR_REJECTED] = "rejected",
};

const char *const sl_change_class_names[SL_CRC__COUNT + 1] = {
	[SL_CRC_STANDARD] = "standard",
	[SL_CRC_NORMAL] = "normal",
	[SL_CRC_EMERGENCY] = "emergency",
};

/* Returns 1 when {from, to} is a row of the table of n transitions whose
 * flags include every bit of want. */
static int table_allows(const struct transition *t, size_t n, int from, int to,
			unsigned want)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].from == from && t[i].to == to &&
		    (t[i].flags & want) == want)
			return 1;
	return 0;
}

const char *const sl_release_initial_status_names[] = {"draft", "planned",
						       NULL};
const char *const sl_deploy_initial_status_names[] = {"queued", "in_progress",
						      NULL};

SL_VOCAB_DEFINE(sl_release_status, enum sl_release_status,
		sl_release_status_names)
SL_VOCAB_DEFINE(sl_deploy_status, enum sl_deploy_status, sl_deploy_status_names)
SL_VOCAB_DEFINE(sl_release_type, enum sl_release_type, sl_release_type_names)
SL_VOCAB_DEFINE(sl_strategy, enum sl_strategy, sl_strategy_names)
SL_VOCAB_DEFINE(sl_source, enum sl_source, sl_source_names)
SL_VOCAB_DEFINE(sl_change_state, enum sl_change_state, sl_change_state_names)
SL_VOCAB_DEFINE(sl_change_class, enum sl_change_class, sl_change_class_names)

int sl_release_can_transition(enum sl_release_status from,
			      enum sl_release_status to)
{
	return table_allows(release_transitions, COUNT(release_transitions),
			    (int)from, (int)to, 0);
}

int sl_release_can_set(enum sl_release_status from, enum sl_release_status to)
{
	return table_allows(release_transitions, COUNT(release_transitions),
			    (int)from, (int)to, BY_HAND);
}

int sl_change_can_transition(enum sl_change_class c, enum sl_change_state from,
			     enum sl_change_state to)
{
	if ((int)c < 0 || c >= SL_CRC__COUNT)
		return 0;
	return table_allows(change_transitions, COUNT(change_transitions),
			    (int)from, (int)to, 1u << c);
}

int sl_deploy_can_transition(enum sl_deploy_status from,
			     enum sl_deploy_status to)
{
	return table_allows(deploy_transitions, COUNT(deploy_transitions),
			    (int)from, (int)to, 0);
}

int sl_deploy_status_is_terminal(enum sl_deploy_status s)
{
	return s == SL_DEP_ROLLED_BACK || s == SL_DEP_CANCELLED;
}

int sl_release_status_is_initial(enum sl_release_status s)
{
	return s == SL_REL_DRAFT || s == SL_REL_PLANNED;
}

int sl_release_status_is_final(enum sl_release_status s)
{
	return s == SL_REL_RELEASED || s == SL_REL_CANCELLED;
}

int sl_deploy_status_is_initial(enum sl_deploy_status s)
{
	return s == SL_DEP_QUEUED || s == SL_DEP_IN_PROGRESS;
}

int sl_deploy_status_is_running_version(enum sl_deploy_status s)
{
	return s == SL_DEP_SUCCEEDED || s == SL_DEP_VERIFIED;
}

int sl_release_type_may_override(enum sl_release_type t)
{
	return t == SL_TYPE_EMERGENCY;
}

int sl_strategy_has_traffic(enum sl_strategy s)
{
	return s == SL_STRAT_CANARY || s == SL_STRAT_BLUE_GREEN;
}

int sl_change_authorized(enum sl_change_state s)
{
	return s == SL_CR_APPROVED || s == SL_CR_SCHEDULED ||
	       s == SL_CR_IMPLEMENT;
}

int sl_change_state_is_final(enum sl_change_state s)
{
	return s == SL_CR_CLOSED || s == SL_CR_CANCELLED || s == SL_CR_REJECTED;
}
