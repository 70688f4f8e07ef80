/* verify.c - verification after a deployment succeeds: the policy routes
 * (PUT/GET/DELETE /v1/environments/{name}/verification[?service=S]), a
 * deployment's verification (GET /v1/deployments/{id}/verification), and
 * the worker's writes (verify.h). What passes, fails or is unknown, and
 * what the rounds add up to, is core's (src/core/verify.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/perm.h"
#include "core/state.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "http/verify.h"

#define STABILISATION_DEFAULT_S 300
#define INTERVAL_DEFAULT_S	30
#define EXPECT_STATUS_DEFAULT	200
#define MAX_LATENCY_DEFAULT_MS	1000

static const struct sl_field probe_fields[] = {
	{"name", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL, NULL,
	 "unique among the policy's probes and queries"},
	{"url", SL_FT_STRING, SL_F_REQUIRED, 1, 2048, NULL, NULL, NULL,
	 "http(s) URL template: {service}, {environment}, {version}, "
	 "{target}"},
	{"expect_status", SL_FT_INT, 0, 100, 599, NULL, NULL, NULL,
	 "default 200"},
	{"max_latency_ms", SL_FT_INT, 0, 1, SL_VERIFY_MAX_LATENCY_MS, NULL,
	 NULL, NULL, "default 1000"},
	{"body_contains", SL_FT_STRING, SL_F_MULTILINE, 1, 1024, NULL, NULL,
	 NULL, "text the body must contain"},
	{0},
};

static const struct sl_field prometheus_fields[] = {
	{"url", SL_FT_STRING, SL_F_REQUIRED, 1, 2048, sl_valid_url, NULL, NULL,
	 "the Prometheus server, e.g. http://prometheus:9090"},
	{0},
};

#define BOUND 1000000000000LL
static const struct sl_field query_fields[] = {
	{"name", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL, NULL,
	 "unique among the policy's probes and queries"},
	{"query", SL_FT_STRING, SL_F_REQUIRED | SL_F_MULTILINE, 1, 4096, NULL,
	 NULL, NULL,
	 "PromQL giving one value; {service}, {environment}, {version} and "
	 "{target} are filled in"},
	{"max", SL_FT_NUMBER, 0, -BOUND, BOUND, NULL, NULL, NULL,
	 "the value must be at most this"},
	{"min", SL_FT_NUMBER, 0, -BOUND, BOUND, NULL, NULL, NULL,
	 "the value must be at least this"},
	{0},
};

const struct sl_field sl_verify_policy_fields[] = {
	{"stabilisation_seconds", SL_FT_INT, 0, 0, SL_VERIFY_MAX_PERIOD_S, NULL,
	 NULL, NULL, "how long after success rounds go on; default 300"},
	{"interval_seconds", SL_FT_INT, 0, 1, SL_VERIFY_MAX_INTERVAL_S, NULL,
	 NULL, NULL, "between rounds; default 30"},
	{"probes", SL_FT_OBJECTS, 0, 0, SL_VERIFY_MAX_CRITERIA, NULL,
	 probe_fields, NULL, "HTTP probes"},
	{"prometheus", SL_FT_OBJECT, SL_F_NULLABLE, 0, 0, NULL,
	 prometheus_fields, NULL, "where the queries are asked"},
	{"queries", SL_FT_OBJECTS, 0, 0, SL_VERIFY_MAX_CRITERIA, NULL,
	 query_fields, NULL, "Prometheus queries with thresholds"},
	{"on_failure", SL_FT_STRING, 0, 1, 16, NULL, NULL,
	 sl_verify_on_failure_names, "default recommend"},
	{0},
};

/* An integer member, or def when it is absent. */
static int64_t int_or(const json_t *o, const char *key, int64_t def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Reads a policy document (a checked body or a stored policy) into
 * core's values; the strings are borrowed from doc. Arrays longer than
 * the limit are cut there (the schema refuses them first). */
static void policy_of(const json_t *doc, struct sl_verify_policy *p,
		      struct sl_verify_probe *probes,
		      struct sl_verify_query *queries)
{
	json_t *a, *o;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->stabilisation_s =
		int_or(doc, "stabilisation_seconds", STABILISATION_DEFAULT_S);
	p->interval_s = int_or(doc, "interval_seconds", INTERVAL_DEFAULT_S);
	p->probes = probes;
	p->queries = queries;
	a = json_object_get(doc, "probes");
	json_array_foreach(a, i, o)
	{
		struct sl_verify_probe *pr = &probes[p->nprobes];

		if (i >= SL_VERIFY_MAX_CRITERIA)
			break;
		pr->name = str(o, "name");
		pr->url = str(o, "url");
		pr->expect_status =
			int_or(o, "expect_status", EXPECT_STATUS_DEFAULT);
		pr->max_latency_ms =
			int_or(o, "max_latency_ms", MAX_LATENCY_DEFAULT_MS);
		pr->body_contains = str(o, "body_contains");
		p->nprobes++;
	}
	p->prometheus_url = str(json_object_get(doc, "prometheus"), "url");
	a = json_object_get(doc, "queries");
	json_array_foreach(a, i, o)
	{
		struct sl_verify_query *q = &queries[p->nqueries];
		json_t *max = json_object_get(o, "max");
		json_t *min = json_object_get(o, "min");

		if (i >= SL_VERIFY_MAX_CRITERIA)
			break;
		q->name = str(o, "name");
		q->query = str(o, "query");
		q->has_max = json_is_number(max);
		q->max = json_number_value(max);
		q->has_min = json_is_number(min);
		q->min = json_number_value(min);
		p->nqueries++;
	}
	p->on_failure = SL_VERIFY_RECOMMEND;
	if (str(doc, "on_failure"))
		sl_verify_on_failure_parse(str(doc, "on_failure"),
					   &p->on_failure);
}

/* The policy as it is kept and shown: every field, defaults filled in.
 * New reference. */
static json_t *policy_doc(const struct sl_verify_policy *p)
{
	json_t *probes = json_array(), *queries = json_array();

	for (size_t i = 0; i < p->nprobes; i++) {
		const struct sl_verify_probe *pr = &p->probes[i];

		json_array_append_new(
			probes, json_pack("{ss ss sI sI ss?}", "name", pr->name,
					  "url", pr->url, "expect_status",
					  (json_int_t)pr->expect_status,
					  "max_latency_ms",
					  (json_int_t)pr->max_latency_ms,
					  "body_contains", pr->body_contains));
	}
	for (size_t j = 0; j < p->nqueries; j++) {
		const struct sl_verify_query *q = &p->queries[j];
		json_t *o = json_pack("{ss ss}", "name", q->name, "query",
				      q->query);

		if (q->has_max)
			json_object_set_new(o, "max", json_real(q->max));
		if (q->has_min)
			json_object_set_new(o, "min", json_real(q->min));
		json_array_append_new(queries, o);
	}
	return json_pack(
		"{sI sI so so so ss}", "stabilisation_seconds",
		(json_int_t)p->stabilisation_s, "interval_seconds",
		(json_int_t)p->interval_s, "probes", probes, "prometheus",
		p->prometheus_url ? json_pack("{ss}", "url", p->prometheus_url)
				  : json_null(),
		"queries", queries, "on_failure",
		sl_verify_on_failure_name(p->on_failure));
}

/* The ?service= of a policy route, "" for the environment's own; 0 when
 * it replied 422. */
static int policy_service(struct sl_req *r, const char **service)
{
	struct sl_error err = {0};

	*service = sl_http_query(r, "service");
	if (!*service) {
		*service = "";
		return 1;
	}
	if (sl_valid_slug(*service, "service", &err)) {
		sl_http_fail(r, &err);
		return 0;
	}
	return 1;
}

/* The audit object id of a policy: "env" or "env/service". */
static void policy_id(const char *env, const char *service, char *buf,
		      size_t size)
{
	snprintf(buf, size, "%s%s%s", env, *service ? "/" : "", service);
}

void sl_h_verify_policy_put(struct sl_req *r)
{
	const char *env = r->params[0], *service;
	struct sl_verify_probe probes[SL_VERIFY_MAX_CRITERIA];
	struct sl_verify_query queries[SL_VERIFY_MAX_CRITERIA];
	struct sl_verify_policy p;
	struct sl_error err = {0};
	struct sl_tx tx;
	char *old = NULL, *text = NULL, *tmp = NULL, oid[140];
	json_t *doc = NULL;
	int64_t rev = 0, created = r->now;
	enum sl_err rc;

	if (!policy_service(r, &service))
		return;
	policy_of(r->json, &p, probes, queries);
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc)
		goto fail;
	rc = sl_store_environment_get(&tx, env, &tmp, &rev, &err);
	free(tmp);
	tmp = NULL;
	if (rc == SL_OK && *service) {
		rc = sl_store_service_get(&tx, service, &tmp, &rev, &err);
		free(tmp);
		tmp = NULL;
	}
	if (rc)
		goto abort;
	if (!sl_http_require(r, SL_ACT_POLICY_WRITE, env,
			     *service ? service : NULL)) {
		sl_store_abort(&tx);
		goto out;
	}
	if (sl_verify_policy_check(&p, &err)) {
		rc = err.code;
		goto abort;
	}
	rc = sl_store_verify_policy_get(&tx, env, service, &old, &rev, &err);
	if (rc && rc != SL_ENOTFOUND)
		goto abort;
	if (old) {
		json_t *prev = sl_http_doc(old);

		created = sl_h_doc_time(prev, "created_at");
		json_decref(prev);
	}
	doc = policy_doc(&p);
	json_object_set_new(doc, "environment", json_string(env));
	json_object_set_new(doc, "service",
			    *service ? json_string(service) : json_null());
	json_object_set_new(doc, "created_at", sl_h_time(created));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	json_object_set_new(doc, "revision", json_integer(old ? rev + 1 : 1));
	text = sl_http_canon(doc);
	rc = sl_store_verify_policy_put(&tx, env, service, text, r->now, &rev,
					&err);
	if (rc)
		goto abort;
	sl_http_etag(r, rev);
	policy_id(env, service, oid, sizeof(oid));
	sl_h_finish(r, &tx,
		    old ? "verification_policy.update"
			: "verification_policy.create",
		    "verification_policy", oid, old, old ? 200 : 201, text);
	goto out;
abort:
	sl_store_abort(&tx);
fail:
	sl_http_fail(r, &err);
out:
	json_decref(doc);
	free(old);
	free(text);
}

void sl_h_verify_policy_get(struct sl_req *r)
{
	const char *service;
	struct sl_error err = {0};
	struct sl_tx tx;
	char *doc = NULL;
	int64_t rev = 0;
	enum sl_err rc;

	if (!policy_service(r, &service))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_verify_policy_get(&tx, r->params[0], service,
						&doc, &rev, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL,
			      "environment '%s' has no verification policy%s%s",
			      r->params[0], *service ? " for service " : "",
			      service);
	else if (rc)
		sl_http_fail(r, &err);
	else
		sl_h_reply_doc(r, 200, doc, rev);
}

void sl_h_verify_policy_delete(struct sl_req *r)
{
	const char *env = r->params[0], *service;
	struct sl_error err = {0};
	struct sl_tx tx;
	char *old = NULL, oid[140];
	int64_t rev = 0;
	enum sl_err rc;

	if (!policy_service(r, &service))
		return;
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc) {
		sl_http_fail(r, &err);
		return;
	}
	if (!sl_http_require(r, SL_ACT_POLICY_WRITE, env,
			     *service ? service : NULL)) {
		sl_store_abort(&tx);
		return;
	}
	rc = sl_store_verify_policy_get(&tx, env, service, &old, &rev, &err);
	if (rc == SL_OK)
		rc = sl_store_verify_policy_delete(&tx, env, service, &err);
	if (rc) {
		sl_store_abort(&tx);
		if (rc == SL_ENOTFOUND)
			sl_http_failf(r, rc, NULL,
				      "environment '%s' has no verification "
				      "policy%s%s",
				      env, *service ? " for service " : "",
				      service);
		else
			sl_http_fail(r, &err);
	} else {
		struct sl_audit_info a = {"verification_policy.delete",
					  "verification_policy", oid, old,
					  NULL};

		policy_id(env, service, oid, sizeof(oid));
		sl_http_write_finish(r, &tx, &a, 204, NULL);
	}
	free(old);
}

void sl_h_deploy_verification(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *dep = NULL, *doc = NULL;
	int64_t id, rev;
	json_t *d = NULL;
	enum sl_err rc;

	if (!sl_h_path_id(r, "deployment", &id))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc) {
		sl_http_fail(r, &err);
		return;
	}
	rc = sl_store_deployment_get(&tx, id, &dep, &rev, &err);
	if (rc == SL_OK) {
		d = sl_http_doc(dep);
		if (r->actor.scope &&
		    !sl_http_require(r, SL_ACT_READ, str(d, "environment"),
				     str(d, "service"))) {
			sl_store_abort(&tx);
			goto out;
		}
		rc = sl_store_verification_get(&tx, id, &doc, &err);
	}
	sl_store_abort(&tx);
	if (rc == SL_ENOTFOUND && !d)
		sl_http_failf(r, rc, NULL, "deployment %lld not found",
			      (long long)id);
	else if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL,
			      "deployment %lld has no verification: its "
			      "environment has no verification policy, or it "
			      "has not succeeded since one was set",
			      (long long)id);
	else if (rc)
		sl_http_fail(r, &err);
	else {
		sl_h_reply_doc(r, 200, doc, 1);
		doc = NULL;
	}
out:
	json_decref(d);
	free(dep);
	free(doc);
}

/* ---- the worker's writes ---- */

/* A write of the worker's: its own request, actor "shiplog". */
static void worker_req(struct sl_req *r, int64_t id, int64_t now)
{
	static char actor[] = "shiplog";

	memset(r, 0, sizeof(*r));
	r->now = now;
	r->actor.name = actor;
	snprintf(r->request_id, sizeof(r->request_id), "verify-%lld",
		 (long long)id);
}

/* Appends the audit entry of a verification record's change. */
static enum sl_err audit_verification(struct sl_req *r, struct sl_tx *tx,
				      const char *action, int64_t id,
				      const char *before, const char *after,
				      struct sl_error *err)
{
	char idb[24];
	int64_t seq;
	struct sl_audit_entry a = {
		.at = r->now,
		.actor = r->actor.name,
		.action = action,
		.object_type = "verification",
		.object_id = sl_h_id(id, idb, sizeof(idb)),
		.request_id = r->request_id,
	};

	return sl_http_audit_append(tx, &a, before, after, &seq, err);
}

/* The threshold of a criterion in words: "200 within 500 ms", "<= 0.05". */
static void threshold_text(const struct sl_verify_policy *p, size_t i,
			   char *buf, size_t size)
{
	if (i < p->nprobes) {
		const struct sl_verify_probe *pr = &p->probes[i];

		snprintf(buf, size, "%lld within %lld ms%s%.100s%s",
			 (long long)pr->expect_status,
			 (long long)pr->max_latency_ms,
			 pr->body_contains ? ", body contains \"" : "",
			 pr->body_contains ? pr->body_contains : "",
			 pr->body_contains ? "\"" : "");
		return;
	}
	{
		const struct sl_verify_query *q = &p->queries[i - p->nprobes];

		if (q->has_max && q->has_min)
			snprintf(buf, size, "%g to %g", q->min, q->max);
		else if (q->has_max)
			snprintf(buf, size, "<= %g", q->max);
		else
			snprintf(buf, size, ">= %g", q->min);
	}
}

/* Starts deployment id's verification when, read inside its own write,
 * it is still succeeded with a policy and none begun. */
static enum sl_err start_one(struct sl_store *st, int64_t id, int64_t now,
			     int *started, struct sl_error *err)
{
	struct sl_verify_probe probes[SL_VERIFY_MAX_CRITERIA];
	struct sl_verify_query queries[SL_VERIFY_MAX_CRITERIA];
	struct sl_verify_policy p;
	struct sl_req r;
	struct sl_tx tx;
	char object[40], *dep = NULL, *pol = NULL, *text = NULL;
	json_t *d = NULL, *pd = NULL, *rec = NULL, *criteria;
	int64_t rev;
	enum sl_err rc;

	*started = 0;
	worker_req(&r, id, now);
	snprintf(object, sizeof(object), "deployment:%lld", (long long)id);
	rc = sl_store_begin_on(st, object, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_deployment_get(&tx, id, &dep, &rev, err);
	if (rc)
		goto abort;
	d = sl_http_doc(dep);
	if (strcmp(str(d, "status") ? str(d, "status") : "", "succeeded") != 0)
		goto abort;
	rc = sl_store_verify_policy_get(&tx, str(d, "environment"),
					str(d, "service"), &pol, &rev, err);
	if (rc == SL_ENOTFOUND)
		rc = sl_store_verify_policy_get(&tx, str(d, "environment"), "",
						&pol, &rev, err);
	if (rc == SL_ENOTFOUND) {
		rc = SL_OK; /* deleted since the lookup */
		goto abort;
	}
	if (rc)
		goto abort;
	pd = sl_http_doc(pol);
	policy_of(pd, &p, probes, queries);
	criteria = json_array();
	for (size_t i = 0; i < p.nprobes + p.nqueries; i++) {
		char th[200];

		threshold_text(&p, i, th, sizeof(th));
		json_array_append_new(
			criteria,
			json_pack("{ss ss ss ss sn sn sn}", "name",
				  i < p.nprobes ? p.probes[i].name
						: p.queries[i - p.nprobes].name,
				  "kind", i < p.nprobes ? "probe" : "query",
				  "threshold", th, "verdict", "pending",
				  "value", "reason", "at"));
	}
	rec = json_pack("{sI sO sO sO sO sO ss so so sI so sn sn sn sn so}",
			"deployment_id", (json_int_t)id, "service",
			json_object_get(d, "service"), "environment",
			json_object_get(d, "environment"), "target",
			json_object_get(d, "target"), "version",
			json_object_get(d, "version"), "policy", pd, "state",
			sl_verify_state_name(SL_VERIFY_RUNNING), "started_at",
			sl_h_time(now), "ends_at",
			sl_h_time(now + p.stabilisation_s * 1000000),
			"rounds_planned",
			(json_int_t)(p.stabilisation_s / p.interval_s + 1),
			"rounds", json_array(), "outcome", "finished_at",
			"recommendation", "rollback", "criteria", criteria);
	text = sl_http_canon(rec);
	rc = sl_store_verification_insert(
		&tx, id, sl_verify_state_name(SL_VERIFY_RUNNING), now, now,
		text, err);
	if (rc == SL_OK)
		rc = audit_verification(&r, &tx, "verification.start", id, NULL,
					text, err);
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
	*started = rc == SL_OK;
	if (rc == SL_ECONFLICT)
		rc = SL_OK; /* begun meanwhile (another leader): nothing to do
			     */
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(d);
	json_decref(pd);
	json_decref(rec);
	free(dep);
	free(pol);
	free(text);
	return rc;
}

enum sl_err sl_h_verify_pickup(struct sl_store *st, int64_t now,
			       size_t *started, struct sl_error *err)
{
	struct sl_verification_ids c = {0};
	struct sl_tx tx;
	enum sl_err rc;

	*started = 0;
	rc = sl_store_begin(st, 0, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_verification_candidates(&tx, 100, &c, err);
	sl_store_abort(&tx);
	for (size_t i = 0; rc == SL_OK && i < c.n; i++) {
		int one = 0;

		rc = start_one(st, c.v[i], now, &one, err);
		*started += (size_t)one;
	}
	sl_verification_ids_fini(&c);
	return rc;
}

enum sl_err sl_h_verify_due(struct sl_store *st, int64_t now,
			    struct sl_verification_ids *out,
			    struct sl_error *err)
{
	struct sl_tx tx;
	enum sl_err rc = sl_store_begin(st, 0, &tx, err);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	rc = sl_store_verification_due(&tx, now, 100, out, err);
	sl_store_abort(&tx);
	return rc;
}

void sl_verify_run_fini(struct sl_verify_run *run)
{
	for (size_t i = 0; i < SL_VERIFY_MAX_CRITERIA; i++) {
		free(run->urls[i]);
		free(run->promql[i]);
	}
	json_decref(run->doc);
	memset(run, 0, sizeof(*run));
}

enum sl_err sl_h_verify_load(struct sl_store *st, int64_t id,
			     struct sl_verify_run *run, struct sl_error *err)
{
	struct sl_tx tx;
	char *text = NULL;
	enum sl_err rc = sl_store_begin(st, 0, &tx, err);
	struct sl_verify_vars v;

	memset(run, 0, sizeof(*run));
	if (rc)
		return rc;
	rc = sl_store_verification_get(&tx, id, &text, err);
	sl_store_abort(&tx);
	if (rc)
		return rc;
	run->deployment_id = id;
	run->doc = sl_http_doc(text);
	free(text);
	policy_of(json_object_get(run->doc, "policy"), &run->policy,
		  run->probes, run->queries);
	v.service = str(run->doc, "service");
	v.environment = str(run->doc, "environment");
	v.version = str(run->doc, "version");
	v.target = str(run->doc, "target");
	for (size_t i = 0; i < run->policy.nprobes; i++)
		sl_verify_expand(run->probes[i].url, &v, &run->urls[i]);
	for (size_t j = 0; j < run->policy.nqueries; j++)
		sl_verify_expand(run->queries[j].query, &v, &run->promql[j]);
	return SL_OK;
}

/* What one criterion showed in a round, as JSON: its verdict, reason and
 * value (a probe's latency and status, a query's value). New reference. */
static json_t *criterion_json(const struct sl_verify_run *run, size_t i,
			      const struct sl_probe_result *probes,
			      const struct sl_query_result *queries,
			      const struct sl_criterion_verdict *v)
{
	const struct sl_verify_policy *p = &run->policy;
	json_t *o = json_pack("{ss ss ss}", "name",
			      i < p->nprobes ? p->probes[i].name
					     : p->queries[i - p->nprobes].name,
			      "verdict", sl_verdict_name(v->verdict), "reason",
			      v->reason);

	if (i < p->nprobes) {
		const struct sl_probe_result *pr = &probes[i];

		json_object_set_new(o, "value",
				    pr->answered ? json_integer(pr->latency_ms)
						 : json_null());
		json_object_set_new(o, "status",
				    pr->answered ? json_integer(pr->status)
						 : json_null());
	} else {
		const struct sl_query_result *q = &queries[i - p->nprobes];

		json_object_set_new(o, "value",
				    q->read && isfinite(q->value)
					    ? json_real(q->value)
					    : json_null());
	}
	return o;
}

/* Appends "name: reason" for each criterion with verdict want (every
 * criterion when want is SL_VERDICT__COUNT) to buf. */
static void reasons(const struct sl_verify_policy *p,
		    const struct sl_criterion_verdict *v, enum sl_verdict want,
		    char *buf, size_t size)
{
	size_t start = strlen(buf), n = start;

	for (size_t i = 0; i < p->nprobes + p->nqueries && n < size; i++) {
		if (want != SL_VERDICT__COUNT && v[i].verdict != want)
			continue;
		n += (size_t)snprintf(
			buf + n, size - n, "%s%s: %s", n > start ? "; " : "",
			i < p->nprobes ? p->probes[i].name
				       : p->queries[i - p->nprobes].name,
			v[i].reason);
	}
}

/* The rollback a failed deployment is recommended: the release that ran
 * there before it, as JSON (new reference), or null when none did. */
static enum sl_err recommend(struct sl_tx *tx, const json_t *d, int64_t id,
			     json_t **out, struct sl_error *err)
{
	int64_t prev = 0, rev;
	char *text = NULL;
	const char *target = str(d, "target");
	enum sl_err rc = sl_store_deployment_running(
		tx, str(d, "service"), str(d, "environment"),
		target ? target : "", id, &prev, err);

	*out = json_null();
	if (rc || !prev)
		return rc;
	rc = sl_store_deployment_get(tx, prev, &text, &rev, err);
	if (rc == SL_OK) {
		json_t *p = sl_http_doc(text);

		json_decref(*out);
		*out = json_pack("{ss sO sO sO}", "action", "rollback",
				 "release_id", json_object_get(p, "release_id"),
				 "version", json_object_get(p, "version"),
				 "deployment_id", json_object_get(p, "id"));
		json_decref(p);
	}
	free(text);
	return rc;
}

enum sl_err sl_h_verify_record(struct sl_store *st, int64_t id, int64_t now,
			       const struct sl_verify_run *run,
			       const struct sl_probe_result *probes,
			       const struct sl_query_result *queries,
			       enum sl_verify_state *state,
			       struct sl_error *err)
{
	const struct sl_verify_policy *p = &run->policy;
	struct sl_criterion_verdict v[2 * SL_VERIFY_MAX_CRITERIA];
	size_t n = p->nprobes + p->nqueries, unknown = 0, i;
	struct sl_req r;
	struct sl_tx tx;
	char object[40], *before = NULL, *dep = NULL, *after = NULL;
	char message[4000] = "";
	json_t *rec = NULL, *d = NULL, *round, *cs, *c;
	enum sl_verdict verdict;
	enum sl_verify_state was;
	int64_t next_at = 0, started, rev;
	enum sl_err rc;

	*state = SL_VERIFY_RUNNING;
	worker_req(&r, id, now);
	snprintf(object, sizeof(object), "deployment:%lld", (long long)id);
	rc = sl_store_begin_on(st, object, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_verification_get(&tx, id, &before, err);
	if (rc == SL_OK)
		rc = sl_store_deployment_get(&tx, id, &dep, &rev, err);
	if (rc)
		goto abort;
	rec = sl_http_doc(before);
	d = sl_http_doc(dep);
	if (sl_verify_state_parse(str(rec, "state"), &was) ||
	    was != SL_VERIFY_RUNNING) {
		*state = was;
		goto abort; /* recorded already (another leader's round) */
	}
	started = sl_h_doc_time(rec, "started_at");
	json_array_foreach(json_object_get(rec, "rounds"), i, c) unknown +=
		strcmp(str(c, "verdict") ? str(c, "verdict") : "", "unknown") ==
		0;
	verdict = sl_verify_round(p, probes, queries, v);
	cs = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(
			cs, criterion_json(run, i, probes, queries, &v[i]));
	round = json_pack("{so ss sO}", "at", sl_h_time(now), "verdict",
			  sl_verdict_name(verdict), "criteria", cs);
	json_array_append_new(json_object_get(rec, "rounds"), round);
	/* The latest value of each criterion, beside its threshold. */
	json_array_foreach(json_object_get(rec, "criteria"), i, c)
	{
		json_t *now_c = json_array_get(cs, i);

		if (!now_c)
			break;
		json_object_set(c, "verdict",
				json_object_get(now_c, "verdict"));
		json_object_set(c, "reason", json_object_get(now_c, "reason"));
		json_object_set(c, "value", json_object_get(now_c, "value"));
		if (json_object_get(now_c, "status"))
			json_object_set(c, "status",
					json_object_get(now_c, "status"));
		json_object_set_new(c, "at", sl_h_time(now));
	}
	json_decref(cs);
	if (strcmp(str(d, "status") ? str(d, "status") : "", "succeeded") !=
	    0) {
		/* A person or a sender moved it meanwhile: nothing to say
		 * about a deployment that is no longer what succeeded. */
		*state = SL_VERIFY_INCOMPLETE;
		snprintf(message, sizeof(message),
			 "the deployment moved to %s before verification "
			 "ended",
			 str(d, "status") ? str(d, "status") : "?");
	} else {
		*state = sl_verify_conclude(p, started, now, verdict, unknown,
					    &next_at);
	}
	if (*state == SL_VERIFY_RUNNING)
		goto write;
	/* The end: the outcome, and the deployment moved with its event. */
	{
		size_t rounds = json_array_size(json_object_get(rec, "rounds"));
		json_t *reco = json_null();
		enum sl_deploy_status to;
		char head[200];
		int still = !*message;

		if (*state == SL_VERIFY_VERIFIED) {
			to = SL_DEP_VERIFIED;
			snprintf(message, sizeof(message),
				 "verified: %zu round%s over %lld s passed: ",
				 rounds, rounds == 1 ? "" : "s",
				 (long long)((now - started) / 1000000));
			reasons(p, v, SL_VERDICT__COUNT, message,
				sizeof(message));
		} else if (*state == SL_VERIFY_FAILED) {
			to = SL_DEP_FAILED;
			snprintf(message, sizeof(message),
				 "verification failed: ");
			reasons(p, v, SL_VERDICT_FAIL, message,
				sizeof(message));
			json_decref(reco);
			rc = recommend(&tx, d, id, &reco, err);
			if (rc) {
				json_decref(reco);
				goto abort;
			}
			if (json_is_object(reco))
				snprintf(head, sizeof(head),
					 "; recommended: roll back to %s %s "
					 "(deployment %lld)",
					 str(d, "service"),
					 str(reco, "version"),
					 (long long)json_integer_value(
						 json_object_get(
							 reco,
							 "deployment_id")));
			else
				snprintf(head, sizeof(head),
					 "; no earlier release ran there to "
					 "roll back to");
			strncat(message, head,
				sizeof(message) - strlen(message) - 1);
		} else if (still) {
			snprintf(message, sizeof(message),
				 "verification could not be completed: %zu of "
				 "%zu rounds could not be read (",
				 unknown + (verdict == SL_VERDICT_UNKNOWN),
				 rounds);
			reasons(p, v, SL_VERDICT_UNKNOWN, message,
				sizeof(message) - 40);
			strncat(message, "); not verified",
				sizeof(message) - strlen(message) - 1);
		}
		json_object_set_new(rec, "recommendation", reco);
		json_object_set_new(rec, "outcome",
				    json_pack("{ss ss so}", "state",
					      sl_verify_state_name(*state),
					      "reason", message, "at",
					      sl_h_time(now)));
		json_object_set_new(rec, "finished_at", sl_h_time(now));
		if (still) {
			enum sl_deploy_status *tp =
				*state == SL_VERIFY_INCOMPLETE ? NULL : &to;

			rc = sl_h_deploy_report_from(&r, &tx, id, tp, message,
						     now, SL_SRC_HEALTH_CHECK,
						     err);
			if (rc)
				goto abort;
		}
		if (*state == SL_VERIFY_FAILED &&
		    p->on_failure == SL_VERIFY_ROLLBACK) {
			int64_t new_id = 0;
			struct sl_error rb = {0};

			rc = sl_h_deploy_rollback_auto(&r, &tx, id, message,
						       SL_SRC_HEALTH_CHECK,
						       &new_id, &rb);
			if (rc == SL_EUNAVAIL || rc == SL_EINTERNAL) {
				*err = rb;
				goto abort;
			}
			/* A refusal writes nothing: the failure stands
			 * with the reason the rollback was not made. */
			json_object_set_new(
				rec, "rollback",
				rc == SL_OK ? json_pack("{sI}", "deployment_id",
							(json_int_t)new_id)
					    : json_pack("{ss}", "error",
							rb.message));
			rc = SL_OK;
		}
	}
write:
	json_object_set_new(rec, "state",
			    json_string(sl_verify_state_name(*state)));
	after = sl_http_canon(rec);
	rc = sl_store_verification_update(&tx, id, sl_verify_state_name(*state),
					  next_at, now, after, err);
	if (rc == SL_OK && *state != SL_VERIFY_RUNNING)
		rc = audit_verification(&r, &tx, "verification.finish", id,
					before, after, err);
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
	goto out;
abort:
	sl_store_abort(&tx);
out:
	json_decref(rec);
	json_decref(d);
	free(before);
	free(dep);
	free(after);
	return rc;
}
