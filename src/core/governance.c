/* governance.c - overrides, checklists, the reach of windows, standard
 * changes, the order of promotion and the concurrency limit. */
#include "core/governance.h"

#include <string.h>

#include "core/gate.h"
#include "core/semver.h"

enum sl_err sl_override_check(const struct sl_override *o,
			      enum sl_release_type type, enum sl_role role,
			      unsigned override_roles, struct sl_error *err)
{
	const char *tname = sl_release_type_name(type);
	const char *rname = sl_role_name(role);

	if (!sl_release_type_may_override(type))
		return sl_error_set(err, SL_EINVAL, "override",
				    "only emergency releases may override "
				    "gates; this one is %s",
				    tname ? tname : "of no known type");
	if (!o->reason || !*o->reason)
		return sl_error_set(err, SL_EINVAL, "override.reason",
				    "an override needs a reason");
	if (!rname || !(override_roles & SL_ROLE_BIT(role)))
		return sl_error_set(err, SL_EFORBIDDEN, "override",
				    "the role %s may not override gates in "
				    "this environment",
				    rname ? rname : "(none)");
	for (size_t i = 0; i < o->nchecks; i++)
		if (!o->checks[i] || !sl_gate_overridable(o->checks[i]))
			return sl_error_set(err, SL_EINVAL, "override.checks",
					    "the check '%s' cannot be "
					    "overridden",
					    o->checks[i] ? o->checks[i] : "");
	return SL_OK;
}

int sl_checklist_applies(const struct sl_checklist *l, enum sl_release_type t)
{
	if (!l->types)
		return 1;
	return (unsigned)t < SL_TYPE__COUNT && (l->types & SL_TYPE_BIT(t));
}

int sl_checklist_requires(const struct sl_checklist *lists, size_t n,
			  enum sl_release_type t, const char *item)
{
	for (size_t i = 0; i < n; i++) {
		if (!sl_checklist_applies(&lists[i], t))
			continue;
		for (size_t j = 0; j < lists[i].nitems; j++)
			if (strcmp(lists[i].items[j], item) == 0)
				return 1;
	}
	return 0;
}

size_t sl_checklist_open(const struct sl_checklist *lists, size_t n,
			 enum sl_release_type t, const char *const *done,
			 size_t ndone, const char **missing, size_t cap,
			 size_t *nitems)
{
	size_t nmissing = 0;

	*nitems = 0;
	for (size_t i = 0; i < n; i++) {
		if (!sl_checklist_applies(&lists[i], t))
			continue;
		for (size_t j = 0; j < lists[i].nitems; j++) {
			const char *item = lists[i].items[j];
			int ok = 0;

			(*nitems)++;
			for (size_t d = 0; d < ndone && !ok; d++)
				ok = strcmp(done[d], item) == 0;
			if (!ok && nmissing < cap)
				missing[nmissing++] = item;
		}
	}
	return nmissing;
}

int sl_window_reaches_env(const char *window_env, const char *env)
{
	return !window_env || strcmp(window_env, env) == 0;
}

int sl_window_applies(const struct sl_window_reach *w, const char *env,
		      const struct sl_tag *tags, size_t ntags)
{
	const char *eq;
	size_t klen;

	if (!sl_window_reaches_env(w->environment, env))
		return 0;
	if (!w->service_tag)
		return 1;
	eq = strchr(w->service_tag, '=');
	if (!eq)
		return 0;
	klen = (size_t)(eq - w->service_tag);
	for (size_t i = 0; i < ntags; i++)
		if (tags[i].key && strlen(tags[i].key) == klen &&
		    memcmp(tags[i].key, w->service_tag, klen) == 0)
			return tags[i].value &&
			       strcmp(tags[i].value, eq + 1) == 0;
	return 0;
}

int sl_change_preapproves(enum sl_change_class c, enum sl_release_type t,
			  unsigned standard_types)
{
	return c == SL_CRC_STANDARD && (unsigned)t < SL_TYPE__COUNT &&
	       (standard_types & SL_TYPE_BIT(t)) != 0;
}

size_t sl_env_below(const int64_t *ranks, size_t n, int64_t rank)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++)
		if (ranks[i] < rank && (best == n || ranks[i] > ranks[best]))
			best = i;
	return best;
}

int64_t sl_concurrency_limit(int policy_sets, int64_t policy_max,
			     int64_t env_max)
{
	return policy_sets ? policy_max : env_max;
}

void sl_windows_judge(const struct sl_window_state *w, size_t n,
		      int maintenance_only, struct sl_window_verdict *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		int maint = w[i].kind == SL_WIN_MAINTENANCE;

		if (w[i].covers && maint) {
			out->in_maintenance = 1;
		} else if (w[i].covers) {
			/* The freeze that holds longest says until when. */
			if (!out->block || w[i].end_us > out->block_until) {
				out->block = &w[i];
				out->block_until = w[i].end_us;
			}
		} else if (maint && maintenance_only && w[i].has_next &&
			   (!out->next_maintenance ||
			    w[i].next_start_us < out->next_maintenance)) {
			out->next_maintenance = w[i].next_start_us;
		}
	}
}

int64_t sl_success_time(int64_t finished_at, int64_t updated_at)
{
	return finished_at ? finished_at : updated_at;
}

size_t sl_dependency_fit(const struct sl_range *range,
			 const char *const *versions, size_t n)
{
	for (size_t i = 0; range && i < n; i++) {
		struct sl_semver v;
		int fits;

		if (!versions[i] || sl_semver_parse(versions[i], &v, NULL))
			continue;
		fits = sl_range_match(range, &v);
		sl_semver_fini(&v);
		if (fits)
			return i;
	}
	return n;
}
