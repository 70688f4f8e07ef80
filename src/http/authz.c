/* authz.c - may this token do that, here?
 *
 * A token has a role (the permission table in core/perm.c), optionally
 * limited to some environments, services or teams (its scope), and may
 * hold time-bound grants of another role on one environment. A request is
 * allowed when the role allows the action inside the scope, or a live
 * grant does on the environment at hand; a write allowed only by a grant
 * records the grant in its audit entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/perm.h"
#include "core/state.h"
#include "http/handlers.h"

/* 1 when list (a JSON array of strings, or absent/empty = everything)
 * holds s. */
static int in_list(const json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return 1;
	if (!s)
		return 0;
	json_array_foreach(list, i, v) if (json_is_string(v) &&
					   strcmp(json_string_value(v), s) ==
						   0) return 1;
	return 0;
}

/* The owner (team) of a service into *owner (NULL when none; caller
 * frees); the store's error when it cannot be read. */
static enum sl_err service_owner(struct sl_req *r, const char *service,
				 char **owner_out, struct sl_error *err)
{
	struct sl_tx tx;
	char *doc = NULL, *owner = NULL;
	int64_t rev;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, err);

	*owner_out = NULL;
	if (rc)
		return rc;
	rc = sl_store_service_get(&tx, service, &doc, &rev, err);
	if (rc && rc != SL_ENOTFOUND) {
		sl_store_abort(&tx);
		return rc;
	}
	if (rc == SL_OK) {
		json_t *d = sl_http_doc(doc);
		const char *o = json_string_value(json_object_get(d, "owner"));

		owner = o ? sl_xstrdup(o) : NULL;
		json_decref(d);
	}
	sl_store_abort(&tx);
	free(doc);
	/* A service being created has no row yet: its owner is the one
	 * the request names. */
	if (!owner && r->route &&
	    strcmp(r->route->pattern, "/v1/services") == 0 &&
	    json_is_string(json_object_get(r->json, "owner")))
		owner = sl_xstrdup(
			json_string_value(json_object_get(r->json, "owner")));
	*owner_out = owner;
	return SL_OK;
}

/* 1 when the token's scope covers env and service (NULL = not at
 * issue) for action a (-1: only seeing them): 1 yes, 0 no, -1 when it
 * cannot be told (err filled). */
static int in_scope(struct sl_req *r, int a, const char *env,
		    const char *service, struct sl_error *err)
{
	json_t *scope;
	int ok = 1;

	if (!r->actor.scope)
		return 1;
	scope = sl_http_doc(r->actor.scope);
	if (env && !in_list(json_object_get(scope, "environments"), env))
		ok = 0;
	/* What no environment holds is beyond a token limited to some,
	 * for the actions the permission table binds to environments. */
	if (!env && a >= 0 && sl_action_env_bound(a) &&
	    json_array_size(json_object_get(scope, "environments")))
		ok = 0;
	if (ok && service &&
	    !in_list(json_object_get(scope, "services"), service))
		ok = 0;
	if (ok && service &&
	    json_array_size(json_object_get(scope, "teams")) > 0) {
		char *owner = NULL;

		if (service_owner(r, service, &owner, err))
			ok = -1;
		else
			ok = in_list(json_object_get(scope, "teams"), owner);
		free(owner);
	}
	if (!env && !service &&
	    (json_array_size(json_object_get(scope, "environments")) ||
	     json_array_size(json_object_get(scope, "services")) ||
	     json_array_size(json_object_get(scope, "teams"))))
		/* Organisation-wide objects are for unscoped tokens. */
		ok = 0;
	json_decref(scope);
	return ok;
}

/* A live grant of the token that allows a on env: its id (and when it
 * expires) into *id, 0 when none; the store's error when the grants
 * cannot be read. */
static enum sl_err grant_for(struct sl_req *r, enum sl_action a,
			     const char *env, int64_t *id_out, int64_t *expires,
			     struct sl_error *err)
{
	struct sl_grants rows = {0};
	struct sl_tx tx;
	int64_t id = 0;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, err);

	*id_out = 0;
	if (rc)
		return rc;
	rc = sl_store_grant_active(&tx, r->actor.id, r->now, &rows, err);
	if (rc == SL_OK) {
		for (size_t i = 0; i < rows.n && !id; i++) {
			const struct sl_grant_row *g = &rows.v[i];
			enum sl_role gr;

			if (sl_role_parse(g->role, &gr))
				continue;
			if (!sl_role_allows(gr, a))
				continue;
			/* A grant is on one environment: it never reaches
			 * organisation-wide objects. */
			if (!env || strcmp(g->environment, env) != 0)
				continue;
			id = g->id;
			*expires = g->expires_at;
		}
	}
	sl_grants_fini(&rows);
	sl_store_abort(&tx);
	*id_out = id;
	return rc;
}

int sl_http_allowed(struct sl_req *r, int a, const char *env,
		    const char *service, char *why, size_t whylen)
{
	struct sl_error err = {0};
	enum sl_role role;
	int64_t g;
	int scoped = 0;

	if (sl_role_parse(r->actor.role, &role) == 0 &&
	    sl_role_allows(role, a)) {
		scoped = in_scope(r, a, env, service, &err);
		if (scoped == 1)
			return 1;
	}
	if (scoped >= 0 &&
	    grant_for(r, a, env, &g, &r->via_until, &err) != SL_OK)
		scoped = -1;
	if (scoped < 0) {
		/* What the token may do cannot be read: no answer. */
		if (why)
			snprintf(why, whylen,
				 "the permissions of the token '%s' cannot be "
				 "read: %s",
				 r->actor.name, err.message);
		return -1;
	}
	if (g) {
		snprintf(r->via, sizeof(r->via), "grant:%lld", (long long)g);
		return 1;
	}
	if (why) {
		if (sl_role_parse(r->actor.role, &role) == 0 &&
		    sl_role_allows(role, a) && !env && service &&
		    sl_action_env_bound(a) &&
		    in_scope(r, -1, NULL, service, NULL) == 1)
			snprintf(why, whylen,
				 "the token '%s' is limited to some "
				 "environments; %s on %s, which belongs to no "
				 "environment, needs a token without that "
				 "limit",
				 r->actor.name, sl_action_name(a), service);
		else if (sl_role_parse(r->actor.role, &role) == 0 &&
			 sl_role_allows(role, a))
			snprintf(why, whylen,
				 "the token '%s' may %s only inside its scope"
				 "%s%s%s%s",
				 r->actor.name, sl_action_name(a),
				 env ? "; not in " : "", env ? env : "",
				 service ? " for " : "",
				 service ? service : "");
		else
			snprintf(why, whylen,
				 "this needs the permission %s, which the role "
				 "%s of the token '%s' does not hold%s%s",
				 sl_action_name(a), r->actor.role,
				 r->actor.name, env ? " on " : "",
				 env ? env : "");
	}
	return 0;
}

int sl_http_require(struct sl_req *r, int a, const char *env,
		    const char *service)
{
	char why[300];
	int ok = sl_http_allowed(r, a, env, service, why, sizeof(why));

	if (ok > 0)
		return 1;
	sl_http_failf(r, ok < 0 ? SL_EUNAVAIL : SL_EFORBIDDEN, "permission",
		      "%s", why);
	return 0;
}

int sl_http_may_somewhere(struct sl_req *r, int a)
{
	enum sl_role role;
	struct sl_grants rows = {0};
	struct sl_tx tx;
	int any = 0;

	if (sl_role_parse(r->actor.role, &role) == 0 && sl_role_allows(role, a))
		return 1;
	if (sl_store_begin(sl_http_store(r), 0, &tx, NULL))
		return -1;
	if (sl_store_grant_active(&tx, r->actor.id, r->now, &rows, NULL) !=
	    SL_OK)
		any = -1;
	else
		for (size_t i = 0; i < rows.n; i++)
			if (sl_role_parse(rows.v[i].role, &role) == 0 &&
			    sl_role_allows(role, a))
				any = 1;
	sl_grants_fini(&rows);
	sl_store_abort(&tx);
	return any;
}

int sl_http_in_groups(struct sl_req *r, const char *group)
{
	json_t *scope;
	int in;

	if (!r->actor.scope)
		return 0;
	scope = sl_http_doc(r->actor.scope);
	in = json_array_size(json_object_get(scope, "groups")) > 0 &&
	     in_list(json_object_get(scope, "groups"), group);
	json_decref(scope);
	return in;
}

int sl_http_sees(struct sl_req *r, const char *env, const char *service)
{
	return in_scope(r, -1, env, service, NULL);
}

/* One scope list as "\na\nb\n", or NULL when it is absent or empty (no
 * limit). Caller frees. */
static char *scope_list(const json_t *list)
{
	size_t i, cap = 2, len = 1;
	json_t *v;
	char *out;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return NULL;
	json_array_foreach(list, i, v) cap += json_string_length(v) + 1;
	out = sl_xmalloc(cap);
	out[0] = '\n';
	json_array_foreach(list, i, v)
	{
		size_t n = json_string_length(v);

		memcpy(out + len, json_string_value(v), n);
		len += n;
		out[len++] = '\n';
	}
	out[len] = '\0';
	return out;
}

/* The services whose owner is in teams, as a scope list; "\n" when
 * there are none. Caller frees. */
static char *team_services(const struct sl_docs *svcs, const json_t *teams)
{
	json_t *names = json_array();
	char *out;

	for (size_t i = 0; i < svcs->n; i++) {
		json_t *d = sl_http_doc(svcs->v[i].doc);
		const char *owner =
			json_string_value(json_object_get(d, "owner"));

		if (owner && in_list(teams, owner))
			json_array_append_new(names,
					      json_string(svcs->v[i].name));
		json_decref(d);
	}
	out = json_array_size(names) ? scope_list(names) : sl_xstrdup("\n");
	json_decref(names);
	return out;
}

enum sl_err sl_http_scope_init(struct sl_req *r, struct sl_tx *tx,
			       struct sl_http_scope *s, struct sl_error *err)
{
	struct sl_filter f = {0};
	struct sl_docs rows = {0};
	json_t *scope, *teams;
	enum sl_err rc = SL_OK;

	memset(s, 0, sizeof(*s));
	if (!r->actor.scope)
		return SL_OK;
	scope = sl_http_doc(r->actor.scope);
	s->mem[0] = scope_list(json_object_get(scope, "environments"));
	s->mem[1] = scope_list(json_object_get(scope, "services"));
	teams = json_object_get(scope, "teams");
	if (json_array_size(teams)) {
		rc = sl_store_service_list(tx, &f, &rows, err);
		if (rc == SL_OK)
			s->mem[2] = team_services(&rows, teams);
		sl_docs_fini(&rows);
	}
	json_decref(scope);
	s->lists.environments = s->mem[0];
	s->lists.services = s->mem[1];
	s->lists.team_services = s->mem[2];
	return rc;
}

void sl_http_scope_fini(struct sl_http_scope *s)
{
	for (size_t i = 0; i < 3; i++)
		free(s->mem[i]);
	memset(s, 0, sizeof(*s));
}
