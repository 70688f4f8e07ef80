/* state.c - status machines and vocabularies as tables. */
#include "core/state.h"

#include <stddef.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct transition {
	int from, to;
};

static const struct transition release_transitions[] = {
	{SL_REL_DRAFT, SL_REL_PLANNED},
	{SL_REL_DRAFT, SL_REL_IN_PROGRESS},
	{SL_REL_DRAFT, SL_REL_CANCELLED},
	{SL_REL_PLANNED, SL_REL_DRAFT},
	{SL_REL_PLANNED, SL_REL_IN_PROGRESS},
	{SL_REL_PLANNED, SL_REL_CANCELLED},
	{SL_REL_IN_PROGRESS, SL_REL_RELEASED},
	{SL_REL_IN_PROGRESS, SL_REL_CANCELLED},
};

static const struct transition deploy_transitions[] = {
	{SL_DEP_QUEUED, SL_DEP_IN_PROGRESS},
	{SL_DEP_QUEUED, SL_DEP_FAILED},
	{SL_DEP_QUEUED, SL_DEP_CANCELLED},
	{SL_DEP_IN_PROGRESS, SL_DEP_SUCCEEDED},
	{SL_DEP_IN_PROGRESS, SL_DEP_FAILED},
	{SL_DEP_IN_PROGRESS, SL_DEP_CANCELLED},
	{SL_DEP_IN_PROGRESS, SL_DEP_STALLED},
	{SL_DEP_IN_PROGRESS, SL_DEP_ROLLED_BACK},
	{SL_DEP_STALLED, SL_DEP_IN_PROGRESS},
	{SL_DEP_STALLED, SL_DEP_SUCCEEDED},
	{SL_DEP_STALLED, SL_DEP_FAILED},
	{SL_DEP_STALLED, SL_DEP_CANCELLED},
	{SL_DEP_SUCCEEDED, SL_DEP_VERIFIED},
	{SL_DEP_SUCCEEDED, SL_DEP_FAILED},
	{SL_DEP_SUCCEEDED, SL_DEP_ROLLED_BACK},
	{SL_DEP_VERIFIED, SL_DEP_ROLLED_BACK},
	{SL_DEP_FAILED, SL_DEP_ROLLED_BACK},
};

static const char *const release_status_names[SL_REL__COUNT] = {
	[SL_REL_DRAFT] = "draft",
	[SL_REL_PLANNED] = "planned",
	[SL_REL_IN_PROGRESS] = "in_progress",
	[SL_REL_RELEASED] = "released",
	[SL_REL_CANCELLED] = "cancelled",
};

static const char *const deploy_status_names[SL_DEP__COUNT] = {
	[SL_DEP_QUEUED] = "queued",	  [SL_DEP_IN_PROGRESS] = "in_progress",
	[SL_DEP_SUCCEEDED] = "succeeded", [SL_DEP_VERIFIED] = "verified",
	[SL_DEP_FAILED] = "failed",	  [SL_DEP_ROLLED_BACK] = "rolled_back",
	[SL_DEP_CANCELLED] = "cancelled", [SL_DEP_STALLED] = "stalled",
};

static const char *const release_type_names[SL_TYPE__COUNT] = {
	[SL_TYPE_MAJOR] = "major",	   [SL_TYPE_MINOR] = "minor",
	[SL_TYPE_PATCH] = "patch",	   [SL_TYPE_HOTFIX] = "hotfix",
	[SL_TYPE_EMERGENCY] = "emergency",
};

static const char *const strategy_names[SL_STRAT__COUNT] = {
	[SL_STRAT_ROLLING] = "rolling",
	[SL_STRAT_BLUE_GREEN] = "blue_green",
	[SL_STRAT_CANARY] = "canary",
	[SL_STRAT_RECREATE] = "recreate",
};

static const char *const source_names[SL_SRC__COUNT] = {
	[SL_SRC_API] = "api",
	[SL_SRC_CLI] = "cli",
	[SL_SRC_WEBHOOK] = "webhook",
	[SL_SRC_HEALTH_CHECK] = "health_check",
};

static const char *const role_names[SL_ROLE__COUNT] = {
	[SL_ROLE_ADMIN] = "admin",
	[SL_ROLE_RELEASE_MANAGER] = "release_manager",
	[SL_ROLE_APPROVER] = "approver",
	[SL_ROLE_DEPLOYER] = "deployer",
	[SL_ROLE_DEVELOPER] = "developer",
	[SL_ROLE_AUDITOR] = "auditor",
};

/* Returns 1 when {from, to} is a row of the table of n transitions. */
static int table_allows(const struct transition *t, size_t n, int from, int to)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].from == from && t[i].to == to)
			return 1;
	return 0;
}

/* Returns names[v] when v is in range, else NULL. */
static const char *table_name(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return NULL;
	return names[v];
}

/* Returns the index of s in names, or -1 when absent (or s is NULL). */
static int table_parse(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* Defines the name/parse pair of one vocabulary over its name array. */
#define NAME_TABLE(prefix, type, names)                                        \
	const char *prefix##_name(type v)                                      \
	{                                                                      \
		return table_name(names, COUNT(names), (int)v);                \
	}                                                                      \
	int prefix##_parse(const char *s, type *out)                           \
	{                                                                      \
		int i = table_parse(names, COUNT(names), s);                   \
		if (i < 0)                                                     \
			return -1;                                             \
		*out = (type)i;                                                \
		return 0;                                                      \
	}

NAME_TABLE(sl_release_status, enum sl_release_status, release_status_names)
NAME_TABLE(sl_deploy_status, enum sl_deploy_status, deploy_status_names)
NAME_TABLE(sl_release_type, enum sl_release_type, release_type_names)
NAME_TABLE(sl_strategy, enum sl_strategy, strategy_names)
NAME_TABLE(sl_source, enum sl_source, source_names)
NAME_TABLE(sl_role, enum sl_role, role_names)

int sl_release_can_transition(enum sl_release_status from,
			      enum sl_release_status to)
{
	return table_allows(release_transitions, COUNT(release_transitions),
			    (int)from, (int)to);
}

int sl_deploy_can_transition(enum sl_deploy_status from,
			     enum sl_deploy_status to)
{
	return table_allows(deploy_transitions, COUNT(deploy_transitions),
			    (int)from, (int)to);
}

int sl_deploy_status_is_terminal(enum sl_deploy_status s)
{
	return s == SL_DEP_ROLLED_BACK || s == SL_DEP_CANCELLED;
}

int sl_deploy_status_is_running_version(enum sl_deploy_status s)
{
	return s == SL_DEP_SUCCEEDED || s == SL_DEP_VERIFIED;
}

int sl_strategy_has_traffic(enum sl_strategy s)
{
	return s == SL_STRAT_CANARY || s == SL_STRAT_BLUE_GREEN;
}
