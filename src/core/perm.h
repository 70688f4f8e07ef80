/* perm.h - who may do what: one table of role x action. */
#ifndef SL_CORE_PERM_H
#define SL_CORE_PERM_H

#include "core/state.h"

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
	SL_ACT_WITHDRAW_ANY, /* withdraw another person's decision */
	SL_ACT_GRANT_ADMIN,  /* grant the admin role */
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

#endif
