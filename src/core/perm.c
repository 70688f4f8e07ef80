/* perm.c - the permission table. Every route names one action; the http
 * layer asks this table (and the token's scopes and grants) before the
 * handler runs. Reading is everyone's; the auditor reads everything and
 * writes nothing. */
#include "core/perm.h"

#include <stddef.h>

const char *const sl_role_names[SL_ROLE__COUNT + 1] = {
	[SL_ROLE_ADMIN] = "admin",
	[SL_ROLE_RELEASE_MANAGER] = "release_manager",
	[SL_ROLE_APPROVER] = "approver",
	[SL_ROLE_DEPLOYER] = "deployer",
	[SL_ROLE_DEVELOPER] = "developer",
	[SL_ROLE_AUDITOR] = "auditor",
};

SL_VOCAB_DEFINE(sl_role, enum sl_role, sl_role_names)

static const struct {
	const char *name;
	/* admin, release_manager, approver, deployer, developer, auditor */
	unsigned char allow[SL_ROLE__COUNT];
	/* 1: on an object with no environment (a service), a token limited
	 * to some environments is outside its scope (sl_action_env_bound). */
	unsigned char env_bound;
} table[SL_ACT__COUNT] = {
	[SL_ACT_READ] = {"read", {1, 1, 1, 1, 1, 1}, 0},
	[SL_ACT_AUDIT_READ] = {"audit.read", {1, 1, 0, 0, 0, 1}, 0},
	[SL_ACT_CATALOG_WRITE] = {"catalog.write", {1, 1, 0, 0, 0, 0}, 1},
	[SL_ACT_POLICY_WRITE] = {"policy.write", {1, 1, 0, 0, 0, 0}, 1},
	[SL_ACT_RELEASE_WRITE] = {"release.write", {1, 1, 0, 1, 1, 0}, 0},
	[SL_ACT_DEPLOY] = {"deploy", {1, 1, 0, 1, 0, 0}, 1},
	[SL_ACT_APPROVE] = {"approve", {1, 1, 1, 0, 0, 0}, 1},
	[SL_ACT_CHECKLIST] = {"checklist.complete", {1, 1, 1, 1, 1, 0}, 1},
	[SL_ACT_CHANGE_WRITE] = {"change.write", {1, 1, 0, 0, 0, 0}, 1},
	[SL_ACT_WINDOW_WRITE] = {"window.write", {1, 1, 0, 0, 0, 0}, 1},
	[SL_ACT_OVERRIDE] = {"override", {1, 1, 0, 0, 0, 0}, 1},
	[SL_ACT_GRANT] = {"grant.write", {1, 1, 0, 0, 0, 0}, 1},
	[SL_ACT_TOKEN_ADMIN] = {"token.admin", {1, 0, 0, 0, 0, 0}, 1},
	[SL_ACT_WITHDRAW_ANY] = {"approval.withdraw_any",
				 {1, 0, 0, 0, 0, 0},
				 1},
	[SL_ACT_GRANT_ADMIN] = {"grant.admin", {1, 0, 0, 0, 0, 0}, 1},
	/* Whoever is on call records an incident; naming its cause marks a
	 * deployment as a change failure, a judgement of the release's owners.
	 */
	[SL_ACT_INCIDENT_WRITE] = {"incident.write", {1, 1, 0, 1, 1, 0}, 1},
	[SL_ACT_INCIDENT_CAUSE] = {"incident.cause", {1, 1, 0, 0, 0, 0}, 1},
	/* An import writes what happened elsewhere, past the gates (it
	 * records, it does not decide): the role that holds everything. */
	[SL_ACT_IMPORT] = {"import", {1, 0, 0, 0, 0, 0}, 1},
	/* Archiving takes records out of every list and report: the
	 * organisation's call, like an import. */
	[SL_ACT_ARCHIVE] = {"archive", {1, 0, 0, 0, 0, 0}, 1},
};

const char *sl_action_name(enum sl_action a)
{
	return (unsigned)a < SL_ACT__COUNT ? table[a].name : NULL;
}

int sl_role_allows(enum sl_role role, enum sl_action a)
{
	if ((unsigned)role >= SL_ROLE__COUNT || (unsigned)a >= SL_ACT__COUNT)
		return 0;
	return table[a].allow[role];
}

int sl_action_env_bound(enum sl_action a)
{
	return (unsigned)a < SL_ACT__COUNT ? table[a].env_bound : 1;
}

enum sl_action sl_role_grant_action(enum sl_role r)
{
	return sl_role_allows(r, SL_ACT_TOKEN_ADMIN) ? SL_ACT_GRANT_ADMIN
						     : SL_ACT_GRANT;
}
