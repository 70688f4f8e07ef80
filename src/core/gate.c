/* gate.c - the gate engine: a table of checks, each a small function
 * that fills a verdict and a sentence a person can act on. Adding a check
 * is adding a row. */
#include "core/gate.h"

#include <stdio.h>
#include <string.h>

#include "core/state.h"
#include "core/validate.h"

typedef void (*check_fn)(const struct sl_gate_facts *f,
			 struct sl_gate_check *c);

static void say(struct sl_gate_check *c, int passed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#include <stdarg.h>

static void say(struct sl_gate_check *c, int passed, const char *fmt, ...)
{
	va_list ap;

	c->passed = passed;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void permission(const struct sl_gate_facts *f, struct sl_gate_check *c)
{
	if (f->permitted)
		say(c, 1, "%s may deploy to %s", f->actor, f->environment);
	else
		say(c, 0, "%s",
		    f->permission_detail ? f->permission_detail
					 : "not permitted");
}

static void segregation(const struct sl_gate_facts *f, struct sl_gate_check *c)
{
	if (f->sod_deployer_may_not_be_author && f->author &&
	    strcmp(f->author, f->actor) == 0) {
		say(c, 0,
		    "%s wrote this release and may not deploy it to %s "
		    "(rule deployer_may_not_be_author)",
		    f->actor, f->environment);
		return;
	}
	if (f->sod_approver_may_not_deploy && f->actor_approved) {
		say(c, 0,
		    "%s approved this release for %s and may not deploy it "
		    "(rule approver_may_not_deploy)",
		    f->actor, f->environment);
		return;
	}
	say(c, 1, "no segregation rule is broken");
}

/* The most of a rejection's comment the approvals sentence quotes. */
#define REJECT_COMMENT_MAX 255

static void approvals(const struct sl_gate_facts *f, struct sl_gate_check *c)
{
	size_t len = 0;
	int ok = 1, first = 1;

	if (f->rejected_by) {
		/* A long comment is cut (at a character) so that the way out
		 * still fits in the sentence. */
		const char *why = f->reject_comment ? f->reject_comment : "";
		size_t wlen = strlen(why);

		wlen = sl_utf8_boundary(why, wlen < REJECT_COMMENT_MAX
						     ? wlen
						     : REJECT_COMMENT_MAX);
		say(c, 0,
		    "rejected by %s%s%.*s; withdraw or supersede it first",
		    f->rejected_by, *why ? ": " : "", (int)wlen, why);
		return;
	}
	if (f->ngroups == 0) {
		say(c, 1, "%s needs no approvals", f->environment);
		return;
	}
	for (size_t i = 0; i < f->ngroups; i++)
		if (f->groups[i].have < f->groups[i].required)
			ok = 0;
	len = (size_t)snprintf(c->detail, sizeof(c->detail), "%s",
			       ok ? "approved: " : "missing approvals: ");
	for (size_t i = 0; i < f->ngroups && len < sizeof(c->detail); i++) {
		const struct sl_approval_count *g = &f->groups[i];
		char who[256] = "";
		size_t n = 0;

		if (!ok && g->have >= g->required)
			continue;
		for (int k = 0; k < g->have && n < sizeof(who); k++)
			n += (size_t)snprintf(who + n, sizeof(who) - n, "%s%s",
					      k ? ", " : "", g->approvers[k]);
		len += (size_t)snprintf(
			c->detail + len, sizeof(c->detail) - len,
			"%s%d of %d from %s%s%s%s", first ? "" : "; ", g->have,
			g->required, g->group, *who ? " (" : "", who,
			*who ? ")" : "");
		first = 0;
	}
	c->passed = ok;
}

static void checklist(const struct sl_gate_facts *f, struct sl_gate_check *c)
{
	size_t len;

	if (f->nmissing == 0) {
		if (f->nitems)
			say(c, 1, "all %zu checklist items are done",
			    f->nitems);
		else
			say(c, 1, "no checklist applies");
		return;
	}
	len = (size_t)snprintf(c->detail, sizeof(c->detail),
			       "%zu of %zu checklist items open: ", f->nmissing,
			       f->nitems);
	for (size_t i = 0; i < f->nmissing && len < sizeof(c->detail); i++)
		len += (size_t)snprintf(c->detail + len,
					sizeof(c->detail) - len, "%s%s",
					i ? ", " : "", f->missing[i]);
	c->passed = 0;
}

static void change_request(const struct sl_gate_facts *f,
			   struct sl_gate_check *c)
{
	char a[SL_TIME_BUF], b[SL_TIME_BUF];
	enum sl_change_state st;

	if (!f->cr_required) {
		say(c, 1, "%s needs no change request", f->environment);
		return;
	}
	if (!f->cr_key) {
		say(c, 0,
		    "%s needs an approved change request and the "
		    "release names none",
		    f->environment);
		return;
	}
	if (!f->cr_found) {
		say(c, 0, "change request %s is not known to shiplog",
		    f->cr_key);
		return;
	}
	if (f->cr_preapproved && sl_change_state_parse(f->cr_state, &st) == 0 &&
	    sl_change_state_is_final(st)) {
		say(c, 0, "standard change %s is %s", f->cr_key, f->cr_state);
		return;
	}
	if (f->cr_preapproved &&
	    (!f->cr_window_start ||
	     (f->now >= f->cr_window_start && f->now < f->cr_window_end))) {
		say(c, 1,
		    "%s is a standard change, pre-approved for this "
		    "release type",
		    f->cr_key);
		return;
	}
	if (f->cr_preapproved) {
		say(c, 0,
		    "standard change %s is planned for %s to %s, which does "
		    "not cover now",
		    f->cr_key, sl_time_format(f->cr_window_start, a),
		    sl_time_format(f->cr_window_end, b));
		return;
	}
	if (!f->cr_state || sl_change_state_parse(f->cr_state, &st) ||
	    !sl_change_authorized(st)) {
		say(c, 0, "change request %s is %s, not approved", f->cr_key,
		    f->cr_state ? f->cr_state : "in no state");
		return;
	}
	if (!f->cr_window_start || f->now < f->cr_window_start ||
	    f->now >= f->cr_window_end) {
		if (f->cr_window_start)
			say(c, 0,
			    "change request %s is approved for %s to %s, "
			    "which does not cover now",
			    f->cr_key, sl_time_format(f->cr_window_start, a),
			    sl_time_format(f->cr_window_end, b));
		else
			say(c, 0, "change request %s has no planned window",
			    f->cr_key);
		return;
	}
	say(c, 1, "change request %s is approved and its window is open",
	    f->cr_key);
}

static void windows(const struct sl_gate_facts *f, struct sl_gate_check *c)
{
	char t[SL_TIME_BUF];

	if (f->block_name) {
		say(c, 0, "%s '%s' is in force until %s", f->block_kind,
		    f->block_name, sl_time_format(f->block_until, t));
		return;
	}
	if (f->maintenance_only && !f->in_maintenance) {
		if (f->next_maintenance)
			say(c, 0,
			    "%s allows deployments only in maintenance "
			    "windows; the next opens at %s",
			    f->environment,
			    sl_time_format(f->next_maintenance, t));
		else
			say(c, 0,
			    "%s allows deployments only in maintenance "
			    "windows and none is scheduled",
			    f->environment);
		return;
	}
	say(c, 1, "no freeze or blackout is in force%s",
	    f->maintenance_only ? "; a maintenance window is open" : "");
}

static void promotion(const struct sl_gate_facts *f, struct sl_gate_check *c)
{
	char t[SL_TIME_BUF];

	if (!f->promotion_required || !f->lower_env) {
		say(c, 1, "%s needs no earlier environment", f->environment);
		return;
	}
	if (!f->lower_since) {
		say(c, 0,
		    "the release has not succeeded in %s, the "
		    "environment below %s",
		    f->lower_env, f->environment);
		return;
	}
	if (f->now - f->lower_since < f->soak_us) {
		say(c, 0,
		    "the release must soak in %s until %s (%lld minutes "
		    "after it succeeded there)",
		    f->lower_env,
		    sl_time_format(f->lower_since + f->soak_us, t),
		    (long long)(f->soak_us / 60000000));
		return;
	}
	say(c, 1, "the release succeeded in %s and has soaked", f->lower_env);
}

static void dependencies(const struct sl_gate_facts *f, struct sl_gate_check *c)
{
	size_t len = 0;
	int ok = 1;

	for (size_t i = 0; i < f->ndeps; i++)
		if (!f->deps[i].satisfied)
			ok = 0;
	if (f->ndeps == 0) {
		say(c, 1, "the release declares no dependencies");
		return;
	}
	if (ok) {
		say(c, 1, "every dependency runs in %s", f->environment);
		return;
	}
	for (size_t i = 0; i < f->ndeps && len < sizeof(c->detail); i++) {
		const struct sl_gate_dep *d = &f->deps[i];

		if (d->satisfied)
			continue;
		if (d->running)
			len += (size_t)snprintf(
				c->detail + len, sizeof(c->detail) - len,
				"%s%s %s is needed in %s but %s runs there",
				len ? "; " : "", d->service, d->range,
				f->environment, d->running);
		else
			len += (size_t)snprintf(
				c->detail + len, sizeof(c->detail) - len,
				"%s%s %s is needed in %s but it does not run "
				"there",
				len ? "; " : "", d->service, d->range,
				f->environment);
	}
	c->passed = 0;
}

static void concurrency(const struct sl_gate_facts *f, struct sl_gate_check *c)
{
	if (f->max_concurrent <= 0) {
		say(c, 1, "%s has no concurrency limit", f->environment);
		return;
	}
	if (f->in_progress > f->max_concurrent) {
		say(c, 0,
		    "%s allows %lld deployments at once and more than that "
		    "are in progress",
		    f->environment, (long long)f->max_concurrent);
		return;
	}
	if (f->in_progress == f->max_concurrent) {
		say(c, 0,
		    "%s allows %lld deployments at once and %lld are in "
		    "progress",
		    f->environment, (long long)f->max_concurrent,
		    (long long)f->in_progress);
		return;
	}
	say(c, 1, "%lld of %lld concurrent deployments in use",
	    (long long)f->in_progress, (long long)f->max_concurrent);
}

static const struct {
	const char *name;
	check_fn fn;
	int overridable;
} checks[] = {
	{"permission", permission, 0},
	{"segregation", segregation, 0},
	{"approvals", approvals, 1},
	{"checklist", checklist, 1},
	{"change_request", change_request, 1},
	{"windows", windows, 1},
	{"promotion", promotion, 1},
	{"dependencies", dependencies, 0},
	{"concurrency", concurrency, 0},
};

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

size_t sl_gate_count(void)
{
	return NCHECKS;
}

const char *sl_gate_name(size_t i)
{
	return i < NCHECKS ? checks[i].name : NULL;
}

int sl_gate_index(const char *name)
{
	for (size_t i = 0; i < NCHECKS; i++)
		if (strcmp(checks[i].name, name) == 0)
			return (int)i;
	return -1;
}

int sl_gate_overridable(const char *name)
{
	for (size_t i = 0; i < NCHECKS; i++)
		if (strcmp(checks[i].name, name) == 0)
			return checks[i].overridable;
	return 0;
}

int sl_gate_evaluate(const struct sl_gate_facts *f, struct sl_gate_check *out)
{
	int all = 1;

	for (size_t i = 0; i < NCHECKS; i++) {
		struct sl_gate_check *c = &out[i];

		memset(c, 0, sizeof(*c));
		c->name = checks[i].name;
		checks[i].fn(f, c);
		if (!c->passed && checks[i].overridable) {
			for (size_t j = 0; j < f->noverrides; j++) {
				if (strcmp(f->overrides[j], c->name) != 0)
					continue;
				char was[SL_GATE_DETAIL];

				memcpy(was, c->detail, sizeof(was));
				snprintf(c->detail, sizeof(c->detail),
					 "overridden by %s (%s): %s",
					 f->override_by ? f->override_by : "?",
					 f->override_reason ? f->override_reason
							    : "",
					 was);
				c->passed = 1;
				c->overridden = 1;
			}
		}
		all &= c->passed;
	}
	return all;
}
