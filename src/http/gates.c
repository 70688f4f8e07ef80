/* gates.c - gathering the facts the gate engine decides on.
 *
 * For a release, an environment and a moment, gather() reads the policy,
 * approvals, checklist completions, change request, windows, the
 * environment below, what runs there and what is in progress, turns the
 * documents into core's plain values, and asks core what they mean
 * (core/approval.c: which decisions count; core/governance.c: overrides,
 * checklists, the reach of windows, ...); core/gate.c decides. Nothing
 * here decides on JSON. POST /v1/gates/check answers the verdict;
 * starting a deployment runs the same function and refuses with the same
 * list. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/windows.h"
#include "core/approval.h"
#include "core/governance.h"
#include "core/perm.h"
#include "core/range.h"
#include "core/semver.h"
#include "core/state.h"
#include "core/validate.h"
#include "core/vocab.h"
#include "http/cache.h"
#include "http/governance.h"
#include "http/handlers.h"
#include "http/notify.h"

#define MAX_ITEMS 64
#define MAX_DEPS  32

void sl_artifacts_digest(const json_t *release, char *out)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	json_t *a = json_object_get(release, "artifacts");
	char *text = a ? sl_http_canon(a) : sl_xstrdup("[]");

	crypto_hash_sha256(d, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(out, 65, d, sizeof(d));
	free(text);
}

/* Everything the facts point into, freed together. */
struct facts_mem {
	struct sl_gate_facts f;
	struct sl_h_approvals appr;
	struct sl_checklist *lists;
	const char **done;
	const char *missing[MAX_ITEMS];
	struct sl_gate_dep deps[MAX_DEPS];
	const char **overrides;
	struct sl_tag *tags; /* the service's */
	size_t ntags;
	json_t *policy;
	char perm_why[300];
	json_t *keep; /* documents whose strings the facts borrow */
	struct sl_docs done_rows, windows, envs; /* what the facts borrow */
	struct sl_window_state *wstates;
	/* The first moment after f.now at which the clock alone may change
	 * a verdict (an approval expires, a window opens or closes, a soak
	 * ends, ...); 0 when none is known within a year, and unsure when
	 * one could not be worked out. */
	int64_t edge;
	int unsure;
	/* Checks whose facts could not be read, and why (the first reason
	 * of each); any of them means no verdict. */
	int unread[16];
	char unread_why[16][200];
	int nunread;
};

/* Notes that the facts of the named check (or of every check, for
 * "all") could not be read; returns the error's code. */
static enum sl_err unread(struct facts_mem *m, const char *check,
			  const struct sl_error *e)
{
	for (size_t i = 0; i < sl_gate_count(); i++) {
		if (strcmp(check, "all") != 0 &&
		    strcmp(check, sl_gate_name(i)) != 0)
			continue;
		if (!m->unread[i]) {
			m->unread[i] = 1;
			m->nunread++;
			snprintf(m->unread_why[i], sizeof(m->unread_why[i]),
				 "%s", e->message);
		}
	}
	return e->code ? e->code : SL_EUNAVAIL;
}

/* Notes t as a moment the verdict may change at, if it is still ahead. */
static void edge_at(struct facts_mem *m, int64_t t)
{
	if (t > m->f.now && (!m->edge || t < m->edge))
		m->edge = t;
}

#define YEAR_US (366LL * 86400 * 1000000)

static json_t *keep(struct facts_mem *m, json_t *v)
{
	json_array_append_new(m->keep, v);
	return v;
}

static json_t *load_doc(struct facts_mem *m, char *text)
{
	json_t *d = text ? sl_http_doc(text) : NULL;

	free(text);
	return d ? keep(m, d) : NULL;
}

enum sl_err sl_h_approval_row(const struct sl_approval_rec *rec,
			      struct sl_approval *a, struct sl_error *err)
{
	memset(a, 0, sizeof(*a));
	if (sl_decision_parse(rec->decision, &a->decision))
		return sl_error_set(err, SL_EUNAVAIL, "approvals",
				    "approval %lld holds a decision this "
				    "build does not know",
				    (long long)rec->id);
	a->approver = rec->approver;
	a->group = rec->group;
	a->at = rec->at;
	a->expires_at = rec->expires_at;
	a->artifacts_digest = rec->artifacts_digest;
	a->ended_at = rec->ended_at;
	a->environment = rec->environment;
	return SL_OK;
}

enum sl_err sl_h_approvals_count(struct sl_tx *tx, const json_t *policy,
				 const json_t *rel, const char *env,
				 const char *actor, int64_t now,
				 struct sl_h_approvals *out,
				 struct sl_error *err)
{
	struct sl_approvals *rows = &out->rows;
	struct sl_approval_context ctx = {0};
	enum sl_err rc;

	memset(out, 0, sizeof(*out));
	out->docs = json_array();
	sl_artifacts_digest(rel, out->digest);
	rc = sl_store_approval_list(
		tx, json_integer_value(json_object_get(rel, "id")), env, rows,
		err);
	if (rc)
		return rc;
	out->n = rows->n;
	out->list = sl_xcalloc(out->n ? out->n : 1, sizeof(*out->list));
	for (size_t i = 0; i < out->n; i++) {
		struct sl_approval *a = &out->list[i];
		const char *doc = rows->v[i].doc;

		rc = sl_h_approval_row(&rows->v[i], a, err);
		if (rc)
			return rc;
		if (doc) {
			json_t *d = sl_http_doc(doc);

			json_array_append_new(out->docs, d);
			a->comment = json_string_value(
				json_object_get(d, "comment"));
		}
	}
	out->needs = sl_policy_needs(policy, &ctx.nneeds);
	ctx.needs = out->needs;
	ctx.artifacts_digest = out->digest;
	ctx.author = json_string_value(json_object_get(rel, "created_by"));
	ctx.actor = actor;
	ctx.author_may_not_approve =
		sl_policy_rule(policy, "author_may_not_approve");
	ctx.now = now;
	sl_approval_tally(out->list, out->n, &ctx, &out->tally);
	return SL_OK;
}

void sl_h_approvals_fini(struct sl_h_approvals *a)
{
	sl_approval_tally_fini(&a->tally);
	sl_approvals_fini(&a->rows);
	free(a->list);
	free(a->needs);
	json_decref(a->docs);
	memset(a, 0, sizeof(*a));
}

/* Approvals, and whether the deployer approved: the decisions as core
 * counts them (sl_approval_tally). */
static enum sl_err gather_approvals(struct facts_mem *m, struct sl_tx *tx,
				    const json_t *policy, const json_t *rel,
				    const char *env, const char *actor,
				    int64_t at)
{
	const struct sl_approval_tally *t = &m->appr.tally;
	struct sl_error e = {0};

	if (sl_h_approvals_count(tx, policy, rel, env, actor, at, &m->appr,
				 &e)) {
		/* Who approved also decides segregation of duties. */
		unread(m, "segregation", &e);
		return unread(m, "approvals", &e);
	}
	m->f.groups = t->groups;
	m->f.ngroups = t->ngroups;
	m->f.rejected_by = t->rejected_by;
	m->f.reject_comment = t->reject_comment;
	m->f.actor_approved = t->actor_approved;
	edge_at(m, t->next_change);
	return SL_OK;
}

/* The checklist items still open, as core works them out from the
 * policy's lists and the items done (sl_checklist_open). */
static enum sl_err gather_checklist(struct facts_mem *m, struct sl_tx *tx,
				    const json_t *policy, const json_t *rel,
				    const char *env)
{
	struct sl_error e = {0};
	struct sl_docs *done = &m->done_rows;
	size_t nlists;

	if (sl_store_checklist_list(
		    tx, json_integer_value(json_object_get(rel, "id")), env,
		    done, &e))
		return unread(m, "checklist", &e);
	m->lists = sl_policy_checklists(policy, &nlists);
	m->done = sl_xcalloc(done->n ? done->n : 1, sizeof(*m->done));
	for (size_t d = 0; d < done->n; d++)
		m->done[d] = done->v[d].name;
	m->f.nmissing = sl_checklist_open(
		m->lists, nlists, sl_h_release_type(rel), m->done, done->n,
		m->missing, MAX_ITEMS, &m->f.nitems);
	m->f.missing = m->missing;
	return SL_OK;
}

static enum sl_err gather_change(struct facts_mem *m, struct sl_tx *tx,
				 const json_t *policy, const json_t *rel)
{
	struct sl_error e = {0};
	enum sl_err rc;
	json_t *cr = json_object_get(policy, "change_request");
	const char *key =
		json_string_value(json_object_get(rel, "change_request"));
	enum sl_change_class cls;
	char *text = NULL;
	int64_t rev;
	json_t *doc;

	m->f.cr_required = json_is_true(json_object_get(cr, "required"));
	m->f.cr_key = key;
	if (!m->f.cr_required || !key)
		return SL_OK;
	rc = sl_store_change_get(tx, key, &text, &rev, &e);
	if (rc == SL_ENOTFOUND)
		return SL_OK; /* the check says it is missing */
	if (rc)
		return unread(m, "change_request", &e);
	doc = load_doc(m, text);
	m->f.cr_found = 1;
	m->f.cr_class = json_string_value(json_object_get(doc, "class"));
	m->f.cr_state = json_string_value(json_object_get(doc, "state"));
	m->f.cr_window_start = sl_h_doc_time(doc, "window_start");
	m->f.cr_window_end = sl_h_doc_time(doc, "window_end");
	edge_at(m, m->f.cr_window_start);
	edge_at(m, m->f.cr_window_end);
	if (sl_change_class_parse(m->f.cr_class, &cls))
		cls = SL_CRC__COUNT;
	m->f.cr_preapproved = sl_change_preapproves(
		cls, sl_h_release_type(rel), sl_policy_standard_types(policy));
	return SL_OK;
}

void sl_window_spec_of(const json_t *w, struct sl_window_spec *spec)
{
	spec->timezone = json_string_value(json_object_get(w, "timezone"));
	spec->start = json_string_value(json_object_get(w, "start"));
	spec->end = json_string_value(json_object_get(w, "end"));
	spec->rrule = json_string_value(json_object_get(w, "rrule"));
	spec->duration_s =
		json_integer_value(json_object_get(w, "duration_minutes")) * 60;
}

/* The window's first occurrence still open at or starting after at,
 * within a year, into next (1 when there is one); its start and end are
 * moments the verdict may change at. */
static int next_change(struct facts_mem *m, const struct sl_window_spec *spec,
		       int64_t at, struct sl_occurrence *next)
{
	size_t n = 0;

	if (sl_window_occurrences(spec, at, at + YEAR_US, next, 1, &n, NULL)) {
		m->unsure = 1;
		return 0;
	}
	if (n == 1) {
		edge_at(m, next->start_us);
		edge_at(m, next->end_us);
	}
	return n == 1;
}

static enum sl_err gather_windows(struct facts_mem *m, struct sl_tx *tx,
				  const json_t *policy, const char *env,
				  int64_t at)
{
	struct sl_docs *rows = &m->windows;
	struct sl_error e = {0};
	enum sl_windows_mode mode = SL_WMODE_NORMAL;
	struct sl_window_verdict v;
	size_t n = 0;

	sl_windows_mode_parse(
		json_string_value(json_object_get(policy, "windows_mode")),
		&mode);
	m->f.maintenance_only = mode == SL_WMODE_MAINTENANCE_ONLY;
	if (sl_store_window_list(tx, rows, &e))
		return unread(m, "windows", &e);
	m->wstates = sl_xcalloc(rows->n ? rows->n : 1, sizeof(*m->wstates));
	for (size_t i = 0; i < rows->n; i++) {
		json_t *w = keep(m, sl_http_doc(rows->v[i].doc));
		struct sl_window_reach reach = {
			json_string_value(json_object_get(w, "environment")),
			json_string_value(json_object_get(w, "service_tag")),
		};
		struct sl_window_spec spec;
		struct sl_occurrence occ, next;
		enum sl_window_kind kind;
		struct sl_error we = {0};
		int has_next, covers;

		if (!sl_window_applies(&reach, env, m->tags, m->ntags))
			continue;
		if (sl_window_kind_parse(
			    json_string_value(json_object_get(w, "kind")),
			    &kind)) {
			sl_error_set(
				&we, SL_EUNAVAIL, "kind",
				"the window '%s' has an unknown kind",
				json_string_value(json_object_get(w, "name")));
			unread(m, "windows", &we);
			continue;
		}
		sl_window_spec_of(w, &spec);
		has_next = next_change(m, &spec, at, &next);
		covers = sl_window_covering(&spec, at, &occ, &we);
		if (covers < 0) {
			/* A window that cannot be worked out is not taken
			 * to be closed. */
			struct sl_error ue = {0};

			sl_error_set(
				&ue, SL_EUNAVAIL, "windows",
				"the window '%s' cannot be evaluated: %s",
				json_string_value(json_object_get(w, "name")),
				we.message);
			unread(m, "windows", &ue);
			continue;
		}
		m->wstates[n++] = (struct sl_window_state){
			.name = json_string_value(json_object_get(w, "name")),
			.kind = kind,
			.covers = covers == 1,
			.end_us = covers == 1 ? occ.end_us : 0,
			.has_next = has_next,
			.next_start_us = has_next ? next.start_us : 0,
		};
	}
	sl_windows_judge(m->wstates, n, m->f.maintenance_only, &v);
	if (v.block) {
		m->f.block_name = v.block->name;
		m->f.block_kind = sl_window_kind_name(v.block->kind);
		m->f.block_until = v.block_until;
	}
	m->f.in_maintenance = v.in_maintenance;
	m->f.next_maintenance = v.next_maintenance;
	return m->unread[sl_gate_index("windows")] ? SL_EUNAVAIL : SL_OK;
}

static enum sl_err gather_promotion(struct facts_mem *m, struct sl_tx *tx,
				    const json_t *policy, const json_t *rel,
				    const json_t *envdoc)
{
	struct sl_error e = {0};
	enum sl_err rc;
	struct sl_docs *envs = &m->envs;
	int64_t rank = json_integer_value(json_object_get(envdoc, "rank"));
	int64_t *ranks;
	size_t below;
	char *text = NULL;

	m->f.promotion_required =
		json_is_true(json_object_get(policy, "promotion"));
	m->f.soak_us =
		json_integer_value(json_object_get(policy, "soak_minutes")) *
		60 * 1000000;
	if (!m->f.promotion_required)
		return SL_OK;
	if (sl_store_environment_list(tx, envs, &e))
		return unread(m, "promotion", &e);
	ranks = sl_xcalloc(envs->n ? envs->n : 1, sizeof(*ranks));
	for (size_t i = 0; i < envs->n; i++) {
		json_t *ed = sl_http_doc(envs->v[i].doc);

		ranks[i] = json_integer_value(json_object_get(ed, "rank"));
		json_decref(ed);
	}
	below = sl_env_below(ranks, envs->n, rank);
	free(ranks);
	if (below == envs->n)
		return SL_OK;
	m->f.lower_env = envs->v[below].name;
	rc = sl_store_release_success_in(
		tx, json_integer_value(json_object_get(rel, "id")),
		m->f.lower_env, &text, &e);
	if (rc == SL_ENOTFOUND)
		return SL_OK; /* it has not succeeded there: the check says so
			       */
	if (rc)
		return unread(m, "promotion", &e);
	{
		json_t *d = load_doc(m, text);

		m->f.lower_since =
			sl_success_time(sl_h_doc_time(d, "finished_at"),
					sl_h_doc_time(d, "updated_at"));
		edge_at(m, m->f.lower_since + m->f.soak_us);
	}
	return SL_OK;
}

static enum sl_err gather_deps(struct facts_mem *m, struct sl_tx *tx,
			       const json_t *rel, const char *env)
{
	json_t *deps = json_object_get(rel, "dependencies"), *d;
	enum sl_err out = SL_OK;
	size_t i;

	json_array_foreach(deps, i, d)
	{
		struct sl_gate_dep *g;
		struct sl_docs rows = {0};
		struct sl_range *range = NULL;
		struct sl_error e = {0};
		enum sl_err rc;

		if (i >= MAX_DEPS)
			break;
		g = &m->deps[i];
		g->service = json_string_value(json_object_get(d, "service"));
		g->range = json_string_value(json_object_get(d, "range"));
		m->f.ndeps = i + 1;
		if (sl_range_parse(g->range, &range, NULL))
			continue; /* never satisfied: the check refuses */
		rc = sl_store_running_in(tx, g->service, env, &rows, &e);
		if (rc && rc != SL_ENOTFOUND)
			out = unread(m, "dependencies", &e);
		if (rc == SL_OK && rows.n) {
			const char **vs = sl_xcalloc(rows.n, sizeof(*vs));
			size_t fit;

			for (size_t k = 0; k < rows.n; k++)
				vs[k] = json_string_value(json_object_get(
					keep(m, sl_http_doc(rows.v[k].doc)),
					"version"));
			fit = sl_dependency_fit(range, vs, rows.n);
			g->satisfied = fit < rows.n;
			/* The sentence names the version that fits, else the
			 * last one seen. */
			g->running = vs[g->satisfied ? fit : rows.n - 1];
			free(vs);
		}
		sl_docs_fini(&rows);
		sl_range_free(range);
	}
	m->f.deps = m->deps;
	return out;
}

/* The override asked for, judged by core (sl_override_check); when it
 * is allowed, what it sets aside goes into the facts. */
static enum sl_err check_override(struct sl_req *r, const json_t *policy,
				  const json_t *rel, const json_t *override,
				  struct facts_mem *m, struct sl_error *err)
{
	json_t *checks = json_object_get(override, "checks"), *c;
	struct sl_override o = {0};
	enum sl_role role;
	enum sl_err rc;
	size_t i;

	if (!override)
		return SL_OK;
	m->overrides = sl_xcalloc(
		json_array_size(checks) ? json_array_size(checks) : 1,
		sizeof(*m->overrides));
	json_array_foreach(checks, i, c) m->overrides[o.nchecks++] =
		json_string_value(c);
	o.checks = m->overrides;
	o.reason = json_string_value(json_object_get(override, "reason"));
	if (sl_role_parse(r->actor.role, &role))
		role = SL_ROLE__COUNT;
	rc = sl_override_check(&o, sl_h_release_type(rel), role,
			       sl_policy_override_roles(policy), err);
	if (rc)
		return rc;
	m->f.overrides = m->overrides;
	m->f.noverrides = o.nchecks;
	m->f.override_by = r->actor.name;
	m->f.override_reason = o.reason;
	return SL_OK;
}

/* Fills err for a run whose facts could not all be read, naming the
 * checks (m->unread) without a verdict; returns SL_EUNAVAIL. */
static enum sl_err unreadable(const struct facts_mem *m, struct sl_error *err)
{
	char names[200] = "";
	size_t n = 0;

	for (size_t i = 0; i < sl_gate_count(); i++)
		if (m->unread[i])
			n += (size_t)snprintf(
				names + n,
				n < sizeof(names) ? sizeof(names) - n : 0,
				"%s%s", n ? ", " : "", sl_gate_name(i));
	return sl_error_set(err, SL_EUNAVAIL, "",
			    "the gate cannot decide: the facts of %s cannot "
			    "be read",
			    names);
}

/* Gathers every fact of a gate run into m, all or nothing: SL_OK with
 * m->f complete; SL_EUNAVAIL when some could not be read (m->unread
 * names each check without a verdict, and why); or the refusal of the
 * request itself (an unknown environment, an override that may not be
 * had), with err filled. */
static enum sl_err gather(struct facts_mem *m, struct sl_req *r,
			  struct sl_tx *tx, const json_t *rel, const char *env,
			  int64_t at, const json_t *override,
			  struct sl_error *err)
{
	const char *service =
		json_string_value(json_object_get(rel, "service"));
	json_t *envdoc, *svc = NULL, *pmax;
	char *text = NULL;
	int64_t rev, version;
	struct sl_error e = {0};
	enum sl_err rc;
	int permitted;

	m->f.now = at;
	m->f.environment = env;
	m->f.actor = r->actor.name;
	/* What every check stands on: without it, nothing is gathered. */
	rc = sl_store_environment_get(tx, env, &text, &rev, &e);
	if (rc == SL_ENOTFOUND)
		return sl_error_set(err, SL_EINVAL, "environment",
				    "environment '%s' does not exist", env);
	if (rc) {
		unread(m, "all", &e);
		return unreadable(m, err);
	}
	envdoc = load_doc(m, text);
	m->policy = sl_policy_load(tx, env, &version, &e);
	if (!m->policy) {
		unread(m, "all", &e);
		return unreadable(m, err);
	}
	/* The service's tags say which windows apply. */
	rc = sl_store_service_get(tx, service, &text, &rev, &e);
	if (rc == SL_OK)
		svc = load_doc(m, text);
	else if (rc != SL_ENOTFOUND)
		unread(m, "windows", &e);
	m->tags = sl_h_tags(json_object_get(svc, "tags"), &m->ntags);
	rc = check_override(r, m->policy, rel, override, m, err);
	if (rc)
		return rc;

	permitted = sl_http_allowed(r, SL_ACT_DEPLOY, env, service, m->perm_why,
				    sizeof(m->perm_why));
	if (permitted < 0) {
		sl_error_set(&e, SL_EUNAVAIL, "permission", "%s", m->perm_why);
		unread(m, "permission", &e);
		permitted = 0;
	}
	m->f.permitted = permitted;
	m->f.permission_detail = m->perm_why;
	if (m->f.permitted && r->via[0])
		edge_at(m, r->via_until);
	m->f.author = json_string_value(json_object_get(rel, "created_by"));
	m->f.sod_approver_may_not_deploy =
		sl_policy_rule(m->policy, "approver_may_not_deploy");
	m->f.sod_deployer_may_not_be_author =
		sl_policy_rule(m->policy, "deployer_may_not_be_author");
	/* Each gatherer notes what it could not read and the rest go on,
	 * so the answer names every check without a verdict. */
	gather_approvals(m, tx, m->policy, rel, env, r->actor.name, at);
	gather_checklist(m, tx, m->policy, rel, env);
	gather_change(m, tx, m->policy, rel);
	gather_windows(m, tx, m->policy, env, at);
	gather_promotion(m, tx, m->policy, rel, envdoc);
	gather_deps(m, tx, rel, env);
	pmax = json_object_get(m->policy, "max_concurrent");
	m->f.max_concurrent = sl_concurrency_limit(
		json_is_integer(pmax), json_integer_value(pmax),
		json_integer_value(json_object_get(envdoc, "max_concurrent")));
	/* One more than the limit tells "full" from "over": no need to count
	 * every deployment in progress. */
	if (m->f.max_concurrent > 0 &&
	    sl_store_deployment_count_status(
		    tx, env, sl_deploy_status_name(SL_DEP_IN_PROGRESS),
		    m->f.max_concurrent + 1, &m->f.in_progress, &e))
		unread(m, "concurrency", &e);
	return m->nunread ? unreadable(m, err) : SL_OK;
}

static void facts_free(struct facts_mem *m)
{
	sl_docs_fini(&m->done_rows);
	sl_docs_fini(&m->windows);
	sl_docs_fini(&m->envs);
	free(m->wstates);
	sl_h_approvals_fini(&m->appr);
	free(m->lists);
	free(m->done);
	free(m->overrides);
	free(m->tags);
	json_decref(m->policy);
	json_decref(m->keep);
	free(m);
}

/* The release and environment of this thread's last refusal, for the
 * notification sl_gate_refuse records once the caller's transaction has
 * ended (a refusal writes nothing in it, and on SQLite a second
 * transaction cannot begin while it is open). Fixed buffers: nothing to
 * free when a caller never refuses. */
static __thread struct {
	int set;
	int64_t id;
	char name[256], service[128], env[128];
} refusal;

/* Records the notifications of the refusal sl_gate_run noted (if any),
 * and, when it refused an attempt to start a deployment (not a question
 * asked of POST /v1/gates/check), the refusal itself for the delivery
 * metrics: 0, or -1 with err filled when they could not be recorded. */
static int notify_refusal(struct sl_req *r, const struct sl_gate_check *checks,
			  int attempt, struct sl_error *err)
{
	int ok = 1;

	if (refusal.set)
		ok = sl_h_notify_refused(sl_http_store(r), r->now, refusal.id,
					 refusal.name, refusal.service,
					 refusal.env, checks,
					 !attempt	 ? NULL
					 : r->actor.name ? r->actor.name
							 : "",
					 err) == SL_OK;
	refusal.set = 0;
	return ok ? 0 : -1;
}

int sl_gate_run(struct sl_req *r, struct sl_tx *tx, const json_t *rel,
		const char *env, const char *target, int64_t at,
		const json_t *override, struct sl_gate_check *checks,
		int64_t *until, struct sl_error *err)
{
	struct facts_mem *m = sl_xcalloc(1, sizeof(*m));
	enum sl_err rc;
	int result = -1;

	(void)target;
	memset(checks, 0, sl_gate_count() * sizeof(*checks));
	m->keep = json_array();
	rc = gather(m, r, tx, rel, env, at, override, err);
	refusal.set = 0;
	if (rc == SL_OK) {
		result = sl_gate_evaluate(&m->f, checks);
		if (result == 0) {
			const char *name =
				json_string_value(json_object_get(rel, "name"));
			const char *svc = json_string_value(
				json_object_get(rel, "service"));

			refusal.set = 1;
			refusal.id =
				json_integer_value(json_object_get(rel, "id"));
			snprintf(refusal.name, sizeof(refusal.name), "%s",
				 name ? name : "");
			snprintf(refusal.service, sizeof(refusal.service), "%s",
				 svc ? svc : "");
			snprintf(refusal.env, sizeof(refusal.env), "%s",
				 env ? env : "");
		}
		if (until)
			*until = m->unsure ? -1 : m->edge;
	} else if (rc == SL_EUNAVAIL && m->nunread) {
		/* No verdict: every check is listed, the unread ones with
		 * why. */
		for (size_t i = 0; i < sl_gate_count(); i++) {
			checks[i].name = sl_gate_name(i);
			checks[i].unknown = m->unread[i];
			snprintf(checks[i].detail, sizeof(checks[i].detail),
				 "%s", m->unread[i] ? m->unread_why[i] : "");
		}
	}
	facts_free(m);
	return result;
}

json_t *sl_gate_json(const struct sl_gate_check *checks)
{
	json_t *list = json_array();

	for (size_t i = 0; i < sl_gate_count(); i++) {
		json_t *c = json_pack("{ss sb ss}", "name", checks[i].name,
				      "passed", checks[i].passed, "detail",
				      checks[i].detail);

		if (checks[i].overridden)
			json_object_set_new(c, "overridden", json_true());
		json_array_append_new(list, c);
	}
	return list;
}

void sl_gate_refuse(struct sl_req *r, const struct sl_gate_check *checks)
{
	const char *first = "the gates refuse";
	struct sl_error err = {0};
	json_t *p;

	/* Fail closed: a refusal whose notification cannot be recorded is
	 * answered 503 (retried, it is refused and recorded then). */
	if (notify_refusal(r, checks, 1, &err)) {
		sl_http_fail(r, &err);
		return;
	}

	for (size_t i = 0; i < sl_gate_count(); i++)
		if (!checks[i].passed) {
			first = checks[i].detail;
			break;
		}
	p = json_pack("{ss ss si ss ss sb so}", "type",
		      "https://shiplog.dev/problems/gate-refused", "title",
		      "Refused by the gates", "status", 409, "detail", first,
		      "instance", r->request_id, "allowed", 0, "checks",
		      sl_gate_json(checks));
	sl_http_reply_json(r, 409, p);
	r->content_type = "application/problem+json";
}

int sl_gate_unknown(const struct sl_gate_check *checks,
		    const struct sl_error *err)
{
	if (err->code != SL_EUNAVAIL)
		return 0;
	for (size_t i = 0; i < sl_gate_count(); i++)
		if (checks[i].name && checks[i].unknown)
			return 1;
	return 0;
}

void sl_gate_fail(struct sl_req *r, const struct sl_gate_check *checks,
		  const struct sl_error *err)
{
	json_t *p, *list;

	if (!sl_gate_unknown(checks, err)) {
		sl_http_fail(r, err);
		return;
	}
	list = json_array();
	for (size_t i = 0; i < sl_gate_count(); i++)
		if (checks[i].unknown)
			json_array_append_new(
				list,
				json_pack("{ss ss}", "name", checks[i].name,
					  "reason", checks[i].detail));
	fprintf(stderr,
		"{\"level\":\"warn\",\"request_id\":\"%s\","
		"\"msg\":\"gate without a verdict\"}\n",
		r->request_id);
	p = json_pack("{ss ss si ss ss sb so}", "type",
		      "https://shiplog.dev/problems/gate-unavailable", "title",
		      "The gate cannot decide", "status", 503, "detail",
		      err->message, "instance", r->request_id, "allowed", 0,
		      "checks", list);
	sl_http_reply_json(r, 503, p);
	r->content_type = "application/problem+json";
}

const struct sl_field sl_override_fields_table[] = {
	{"checks", SL_FT_STRINGS, SL_F_REQUIRED, 1, 32, NULL, NULL, NULL,
	 "the checks set aside"},
	{"reason", SL_FT_STRING, SL_F_REQUIRED | SL_F_MULTILINE, 1, 4096, NULL,
	 NULL, NULL, NULL},
	{0},
};

const struct sl_field sl_gate_fields[] = {
	{"release", SL_FT_REF, SL_F_REQUIRED, 1, 200, NULL, NULL, NULL,
	 "id or service@version"},
	{"environment", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL,
	 NULL, NULL},
	{"target", SL_FT_STRING, SL_F_NULLABLE, 1, 63, sl_valid_slug, NULL,
	 NULL, NULL},
	{"at", SL_FT_STRING, 0, 1, 40, sl_h_check_time, NULL, NULL,
	 "RFC 3339; default now"},
	{"override", SL_FT_OBJECT, 0, 0, 0, NULL, sl_override_fields_table,
	 NULL, "what an emergency deployment would set aside"},
	{0},
};

/* Verdicts are kept in the read cache (cache.c) like the answers of read
 * routes: keyed by the raw body and the token, at the data version read
 * before any fact, until the first moment the clock may change them and
 * never more than a minute. A body without "at" is judged at arrival, so
 * a kept answer to it gets this request's moment as its "at". */
#define GATE_KEEP_US (60LL * 1000000)
#define GATE_KEY_MAX 2048

static const char gate_key_prefix[] = "POST /v1/gates/check";

/* The key's length, or 0 when the body is too long to be kept. */
static size_t gate_key(const struct sl_req *r, char *key)
{
	size_t n = sizeof(gate_key_prefix); /* with its NUL */

	if (n + r->body_len > GATE_KEY_MAX)
		return 0;
	memcpy(key, gate_key_prefix, n);
	memcpy(key + n, r->body, r->body_len);
	return n + r->body_len;
}

/* A kept verdict as this request's answer; 1 when there was one. */
static int gate_cached(struct sl_req *r, const char *key, size_t len,
		       const unsigned char *version, int restamp)
{
	struct sl_cached hit;
	const char *at, *end;
	char now[SL_TIME_BUF];
	size_t head, nlen;

	if (!sl_cache_get(key, len, r->actor.id, version, r->now, &hit))
		return 0;
	r->status = 200;
	r->content_type = hit.content_type;
	if (!restamp) {
		r->reply = (char *)hit.body;
		r->reply_ref = hit.ref;
		return 1;
	}
	/* Keys are sorted: "allowed" then "at", whose value has no quote. */
	at = strstr(hit.body, "\"at\":\"");
	end = at ? strchr(at + 6, '"') : NULL;
	if (!end) {
		sl_cache_release(hit.ref);
		r->status = 0;
		return 0;
	}
	sl_time_format(r->now, now);
	head = (size_t)(at + 6 - hit.body);
	nlen = strlen(now);
	r->reply = sl_xmalloc(hit.body_len + nlen + 1);
	memcpy(r->reply, hit.body, head);
	memcpy(r->reply + head, now, nlen);
	memcpy(r->reply + head + nlen, end,
	       hit.body_len - (size_t)(end - hit.body) + 1);
	sl_cache_release(hit.ref);
	return 1;
}

/* The route's cache hook: a kept verdict for this body and token, given
 * on the request thread before the check would be handed to a reader. */
int sl_h_gate_cached(struct sl_req *r)
{
	unsigned char version[SL_DATA_VERSION_LEN];
	char key[GATE_KEY_MAX];
	size_t klen;

	if (!sl_cache_enabled() ||
	    !sl_store_data_version(sl_http_store(r), version))
		return 0;
	klen = gate_key(r, key);
	return klen && gate_cached(r, key, klen, version,
				   !json_object_get(r->json, "at"));
}

void sl_h_gate_check(struct sl_req *r)
{
	json_t *ref = json_object_get(r->json, "release");
	const char *env =
		json_string_value(json_object_get(r->json, "environment"));
	const char *at_s = json_string_value(json_object_get(r->json, "at"));
	struct sl_gate_check checks[16];
	struct sl_error err = {0};
	struct sl_tx tx;
	int64_t at = r->now, until = -1;
	unsigned char version[SL_DATA_VERSION_LEN];
	char key[GATE_KEY_MAX];
	size_t klen = 0;
	json_t *rel;
	int allowed;

	/* The version is read before any fact: the verdict is at least as
	 * new as it. */
	if (sl_cache_enabled() &&
	    sl_store_data_version(sl_http_store(r), version))
		klen = gate_key(r, key);
	if (at_s)
		sl_time_parse(at_s, &at, "at", NULL);
	if (sl_store_begin(sl_http_store(r), 0, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	rel = sl_h_body_release(&tx, ref, &err);
	if (!rel) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		return;
	}
	allowed = sl_gate_run(
		r, &tx, rel, env,
		json_string_value(json_object_get(r->json, "target")), at,
		json_object_get(r->json, "override"), checks, &until, &err);
	sl_store_abort(&tx);
	if (allowed < 0) {
		sl_gate_fail(r, checks, &err);
		json_decref(rel);
		return;
	}
	/* A refusal now (not of a moment asked about) is told to the
	 * subscribers; one that cannot be recorded is no answer. */
	if (at_s)
		refusal.set = 0;
	if (allowed == 0 && notify_refusal(r, checks, 0, &err)) {
		sl_http_fail(r, &err);
		json_decref(rel);
		return;
	}
	sl_http_reply_json(
		r, 200,
		json_pack("{sb sO ss so so so}", "allowed", allowed, "release",
			  json_object_get(rel, "name"), "environment", env,
			  "at", sl_h_time(at), "checks", sl_gate_json(checks),
			  "valid_until",
			  until > 0 ? sl_h_time(until) : json_null()));
	json_decref(rel);
	/* Kept unless the clock's effect is unknown or only a grant let the
	 * token deploy; with "at" given, the clock matters only through a
	 * grant, so the verdict holds while the data does. */
	if (klen && until >= 0 && !r->via[0]) {
		int64_t keep_until = r->now + GATE_KEEP_US;

		if (!at_s && until > 0 && until < keep_until)
			keep_until = until;
		sl_cache_put(key, klen, r->actor.id, version, keep_until,
			     r->reply, r->content_type, "");
	}
}
