/* perm.h - who may do what: the roles, and one table of role x action.
 *
 * A role is never compared by name outside this file: a rule that
 * depends on the role asks the table for an action. */
#ifndef SL_CORE_PERM_H
#define SL_CORE_PERM_H

#include "core/vocab.h"

/* The role a token (or a grant) holds. */
enum sl_role {
	SL_ROLE_ADMIN,
	SL_ROLE_RELEASE_MANAGER,
	SL_ROLE_APPROVER,
	SL_ROLE_DEPLOYER,
	SL_ROLE_DEVELOPER,
	SL_ROLE_AUDITOR,
	SL_ROLE__COUNT
};

/* The role names, indexed by enum sl_role and ended by NULL. */
extern const char *const sl_role_names[SL_ROLE__COUNT + 1];
/* A static string, or NULL out of range. */
const char *sl_role_name(enum sl_role r);
/* Stores the role named s in *out and returns 0, or returns -1 (leaving
 * *out alone) when s is NULL or names no role. */
int sl_role_parse(const char *s, enum sl_role *out);

enum sl_action {
	SL_ACT_READ,
	SL_ACT_AUDIT_READ,
	SL_ACT_CATALOG_WRITE,
	SL_ACT_POLICY_WRITE,
	SL_ACT_RELEASE_WRITE,
	SL_ACT_DEPLOY,
	SL_ACT_APPROVE,
	SL_ACT_CHECKLIST,
	SL_ACT_CHANGE_WRITE,
	SL_ACT_WINDOW_WRITE,
	SL_ACT_OVERRIDE,
	SL_ACT_GRANT,
	SL_ACT_TOKEN_ADMIN,
	SL_ACT_WITHDRAW_ANY,   /* withdraw another person's decision */
	SL_ACT_GRANT_ADMIN,    /* grant a role that administers tokens */
	SL_ACT_INCIDENT_WRITE, /* record and update incidents */
	SL_ACT_INCIDENT_CAUSE, /* confirm a deployment caused an incident */
	SL_ACT_IMPORT,	       /* bring history in (POST /v1/import) */
	SL_ACT_ARCHIVE,	       /* move old records to an archive, and back */
	SL_ACT__COUNT
};

/* The stable name of an action ("deploy", "policy.write", ...). */
const char *sl_action_name(enum sl_action a);
/* 1 when the role holds the permission for the action. */
int sl_role_allows(enum sl_role role, enum sl_action a);
/* 1 when a token limited to some environments may take the action only
 * on an object of an environment in its scope: taken on an object with no
 * environment (a service, which every environment runs), the action
 * reaches the whole organisation as far as environments go and needs a
 * token without an environment limit. A services or teams limit still
 * covers the service it names. Reading, and writing releases (a pipeline
 * limited to staging registers what it deploys there), are not bound. */
int sl_action_env_bound(enum sl_action a);
/* The action it takes to grant role r to someone for a while: grant.write
 * for most roles; grant.admin for a role that administers tokens (it could
 * mint itself a lasting token), held by the token's own role. */
enum sl_action sl_role_grant_action(enum sl_role r);

#endif
