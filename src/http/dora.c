/* dora.c - GET /v1/metrics/dora: the delivery metrics.
 *
 * Translates: the query into a range, buckets (src/cal) and filters; the
 * store's compact rows into the core's typed rows; the core's figures
 * into JSON. Which environments are production is sl_h_production_envs;
 * what counts as what is decided in src/core/dora.c. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/buckets.h"
#include "core/dora.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "http/http.h"
#include "store/store.h"

#define DAY_US (86400LL * 1000000)
/* A deployment is read when created up to a week before its period (it
 * may succeed later) and up to 30 days after (the next deployment that
 * ends a failure may come after the period). */
#define LOOKBACK_US  (7 * DAY_US)
#define LOOKAHEAD_US (30 * DAY_US)
/* The longest range one query covers. */
#define MAX_RANGE_US (3 * 366 * DAY_US)

/* FNV-1a over environment and service: one value per place. */
static int64_t place_of(const char *env, const char *service)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = env; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = service; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (int64_t)(h >> 1);
}

/* The first fact about deployment id, or NULL. */
static const struct sl_dora_fact *fact_of(const struct sl_dora_facts *f,
					  int64_t id)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (f->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n && f->v[lo].id == id ? &f->v[lo] : NULL;
}

static int in_names(const struct sl_h_names *n, const char *s)
{
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->v[i], s) == 0)
			return 1;
	return 0;
}

/* The core's row for a stored one. */
static struct sl_dora_dep to_dep(const struct sl_dora_row *w,
				 const struct sl_dora_facts *causes)
{
	struct sl_dora_dep d = {
		.id = w->id,
		.place = place_of(w->environment, w->service),
		.created_at = w->created_at,
		.started_at = w->started_at,
		.rollback_of = w->rollback_of,
		.commit_at = w->commit_at,
	};
	const struct sl_dora_fact *f;
	const char *st = w->status;
	const char *type = w->release_type ? w->release_type : "";

	d.hotfix =
		strcmp(type, "hotfix") == 0 || strcmp(type, "emergency") == 0;
	if (strcmp(st, "succeeded") == 0 || strcmp(st, "verified") == 0) {
		d.at = w->finished_at;
	} else if (strcmp(st, "failed") == 0 ||
		   strcmp(st, "rolled_back") == 0) {
		/* Failed after succeeding (verification), or rolled back
		 * after it ran: it reached production at its first success.
		 * Without one its rollout failed. */
		d.at = w->succeeded_at;
		d.rollout_failed = !w->succeeded_at;
		if (w->succeeded_at && st[0] == 'f')
			d.failed_at = w->finished_at;
		d.rolled_back = w->succeeded_at && st[0] == 'r';
	}
	f = fact_of(causes, w->id);
	if (f) {
		d.cause_at = f->a;
		d.resolved_at = f->b_null ? 0 : f->b;
	}
	return d;
}

static json_t *val(struct sl_dora_val v)
{
	return v.has ? json_real(v.v) : json_null();
}

static json_t *level(enum sl_dora_measure m, struct sl_dora_val v)
{
	enum sl_dora_level l = sl_dora_level_of(m, v);

	return l == SL_DORA_NONE ? json_null()
				 : json_string(sl_dora_level_names[l]);
}

/* The gate check names refusals name, numbered for the core's bits. */
struct check_names {
	char *v[SL_DORA_MAX_CHECKS];
	size_t n;
};

static json_t *stats_core(const struct sl_dora_stats *s);

/* One bucket's or period's figures as the API spells them; cn names the
 * refusal reasons' bits. */
static json_t *stats_json(const struct sl_dora_stats *s,
			  const struct check_names *cn)
{
	json_t *o = stats_core(s), *reasons = json_object();

	for (size_t k = 0; k < cn->n; k++)
		if (s->reasons[k])
			json_object_set_new(reasons, cn->v[k],
					    json_integer(s->reasons[k]));
	json_object_set_new(o, "gate_refusals", json_integer(s->refusals));
	json_object_set_new(o, "gate_refusal_rate",
			    val(s->m[SL_DM_REFUSAL_RATE]));
	json_object_set_new(o, "gate_refusal_reasons", reasons);
	json_object_set_new(o, "approval_wait_seconds",
			    json_pack("{so so}", "p50",
				      val(s->m[SL_DM_APPROVAL_WAIT_P50]), "p90",
				      val(s->m[SL_DM_APPROVAL_WAIT_P90])));
	return o;
}

static json_t *stats_core(const struct sl_dora_stats *s)
{
	const struct sl_dora_val *m = s->m;

	return json_pack(
		"{sI sI sI sI sI sI so s{so so} so s{so} so so s{so so} s{so "
		"so so so so}}",
		"deployments", (json_int_t)s->deployments, "rollbacks",
		(json_int_t)s->rollbacks, "failed_deployments",
		(json_int_t)s->failed_changes, "rework_deployments",
		(json_int_t)s->rework, "failed_rollouts",
		(json_int_t)s->failed_rollouts, "unrecovered",
		(json_int_t)s->unrecovered, "deployment_frequency_per_day",
		val(m[SL_DM_FREQUENCY]), "lead_time_seconds", "p50",
		val(m[SL_DM_LEAD_P50]), "p90", val(m[SL_DM_LEAD_P90]),
		"change_failure_rate", val(m[SL_DM_CFR]),
		"recovery_time_seconds", "p50", val(m[SL_DM_RECOVERY_P50]),
		"rework_rate", val(m[SL_DM_REWORK]), "rollback_rate",
		val(m[SL_DM_ROLLBACK_RATE]), "deployment_duration_seconds",
		"p50", val(m[SL_DM_DURATION_P50]), "p95",
		val(m[SL_DM_DURATION_P95]), "level", "deployment_frequency",
		level(SL_DM_FREQUENCY, m[SL_DM_FREQUENCY]), "lead_time",
		level(SL_DM_LEAD_P50, m[SL_DM_LEAD_P50]), "change_failure_rate",
		level(SL_DM_CFR, m[SL_DM_CFR]), "recovery_time",
		level(SL_DM_RECOVERY_P50, m[SL_DM_RECOVERY_P50]), "rework_rate",
		level(SL_DM_REWORK, m[SL_DM_REWORK]));
}

static const char *const trend_words[] = {"worse", "same", "better"};

static json_t *trend_json(const struct sl_dora_stats *prev,
			  const struct sl_dora_stats *cur)
{
	json_t *o = json_object();

	for (int m = 0; m < SL_DM__COUNT; m++) {
		int t = sl_dora_trend((enum sl_dora_measure)m, prev->m[m],
				      cur->m[m]);

		json_object_set_new(o, sl_dora_measure_names[m],
				    t == 2 ? json_null()
					   : json_string(trend_words[t + 1]));
	}
	return o;
}

/* The services the team owns (a service's `owner`). */
static enum sl_err team_services(struct sl_tx *tx, const char *team,
				 struct sl_h_names *out, struct sl_error *err)
{
	struct sl_filter f = {.limit = 1000000};
	struct sl_docs docs = {0};
	enum sl_err rc = sl_store_service_list(tx, &f, &docs, err);

	out->n = 0;
	out->v = sl_xcalloc(docs.n + 1, sizeof(*out->v));
	for (size_t i = 0; rc == SL_OK && i < docs.n; i++) {
		json_t *d = sl_http_doc(docs.v[i].doc);
		const char *owner =
			json_string_value(json_object_get(d, "owner"));

		if (owner && strcmp(owner, team) == 0)
			out->v[out->n++] = sl_xstrdup(docs.v[i].name);
		json_decref(d);
	}
	sl_docs_fini(&docs);
	return rc;
}

struct query {
	int64_t from, to, prev_from;
	enum sl_cal_unit unit;
	const char *tz, *env, *service, *team, *tag_key, *tag_value;
};

/* Reads the query; replies 400 naming the parameter and returns 0 when
 * one is wrong. */
static int read_query(struct sl_req *r, struct query *q, char **tagbuf)
{
	const char *bucket = NULL;

	if (!sl_h_time_param(r, "from", &q->from) ||
	    !sl_h_time_param(r, "to", &q->to) ||
	    !sl_h_text_param(r, "bucket", &bucket) ||
	    !sl_h_text_param(r, "tz", &q->tz) ||
	    !sl_h_text_param(r, "environment", &q->env) ||
	    !sl_h_text_param(r, "service", &q->service) ||
	    !sl_h_text_param(r, "team", &q->team) ||
	    !sl_h_tag_param(r, tagbuf, &q->tag_key, &q->tag_value))
		return 0;
	if (!q->to)
		q->to = r->now;
	if (!q->from)
		q->from = q->to - 30 * DAY_US;
	if (!q->tz)
		q->tz = "UTC";
	q->unit = SL_CAL_WEEK;
	for (int u = 0; bucket && u < SL_CAL__COUNT; u++)
		if (strcmp(bucket, sl_cal_unit_names[u]) == 0)
			q->unit = (enum sl_cal_unit)u;
	if (bucket && strcmp(bucket, sl_cal_unit_names[q->unit]) != 0) {
		sl_http_failf(r, SL_EMALFORMED, "bucket",
			      "bucket must be day, week or month");
		return 0;
	}
	if (q->to <= q->from) {
		sl_http_failf(r, SL_EMALFORMED, "to", "to must be after from");
		return 0;
	}
	if (q->to - q->from > MAX_RANGE_US) {
		sl_http_failf(r, SL_EMALFORMED, "from",
			      "from..to may span at most 3 years");
		return 0;
	}
	q->prev_from = q->from - (q->to - q->from);
	return 1;
}

/* Reads the rows of every production environment the query names, in
 * the token's scope, as the core's rows. */
static enum sl_err read_deps(struct sl_req *r, struct sl_tx *tx,
			     const struct query *q,
			     const struct sl_h_names *prod,
			     struct sl_dora_dep **deps, size_t *n,
			     struct sl_error *err)
{
	struct sl_dora_rows rows = {0};
	struct sl_dora_facts causes = {0};
	struct sl_h_names team = {0};
	int64_t since = q->prev_from - LOOKBACK_US;
	int64_t until = q->to + LOOKAHEAD_US;
	enum sl_err rc = SL_OK;

	*deps = NULL;
	*n = 0;
	if (q->team)
		rc = team_services(tx, q->team, &team, err);
	for (size_t i = 0; rc == SL_OK && i < prod->n; i++)
		if (!q->env || strcmp(q->env, prod->v[i]) == 0)
			rc = sl_store_dora_rows(tx, prod->v[i], since, until,
						q->service, q->tag_key,
						q->tag_value, &rows, err);
	if (rc == SL_OK)
		rc = sl_store_dora_causes(tx, &causes, err);
	if (rc == SL_OK) {
		const char *seen_env = NULL, *seen_svc = NULL;
		int sees = 1;

		*deps = sl_xcalloc(rows.n + 1, sizeof(**deps));
		for (size_t i = 0; i < rows.n; i++) {
			const struct sl_dora_row *w = &rows.v[i];

			if (q->team && !in_names(&team, w->service))
				continue;
			if (r->actor.scope &&
			    (!seen_env || strcmp(seen_env, w->environment) ||
			     strcmp(seen_svc, w->service))) {
				seen_env = w->environment;
				seen_svc = w->service;
				sees = sl_http_sees(r, w->environment,
						    w->service);
				if (sees < 0) {
					rc = sl_error_set(
						err, SL_EUNAVAIL, "",
						"the scope of the token cannot "
						"be read");
					break;
				}
			}
			if (r->actor.scope && !sees)
				continue;
			(*deps)[(*n)++] = to_dep(w, &causes);
		}
	}
	sl_h_names_fini(&team);
	sl_dora_facts_fini(&causes);
	sl_dora_rows_fini(&rows);
	return rc;
}

/* The bits of a comma-joined list of check names, numbering new ones. */
static uint32_t check_bits(struct check_names *cn, const char *list)
{
	uint32_t bits = 0;

	while (list && *list) {
		const char *e = strchr(list, ',');
		size_t len = e ? (size_t)(e - list) : strlen(list);
		size_t k;

		for (k = 0; k < cn->n; k++)
			if (strlen(cn->v[k]) == len &&
			    strncmp(cn->v[k], list, len) == 0)
				break;
		if (k == cn->n && cn->n < SL_DORA_MAX_CHECKS)
			cn->v[cn->n++] = sl_xstrndup(list, len);
		if (k < cn->n)
			bits |= 1u << k;
		list = e ? e + 1 : list + len;
	}
	return bits;
}

/* Whether the token and the team filter see service in env: 1, 0, or -1
 * when the scope cannot be read. */
static int gate_sees(struct sl_req *r, const struct query *q,
		     const struct sl_h_names *team, const char *env,
		     const char *service)
{
	if (q->team && !in_names(team, service))
		return 0;
	return r->actor.scope ? sl_http_sees(r, env, service) : 1;
}

/* Reads the refusals and approvals of every production environment the
 * query names from the period before to the end, as the core's rows. */
static enum sl_err
read_gates(struct sl_req *r, struct sl_tx *tx, const struct query *q,
	   const struct sl_h_names *prod, struct check_names *cn,
	   struct sl_dora_refusal **ref, size_t *nref,
	   struct sl_dora_approval **appr, size_t *nappr, struct sl_error *err)
{
	struct sl_h_names team = {0};
	enum sl_err rc = SL_OK;

	*ref = sl_xcalloc(1, sizeof(**ref));
	*appr = sl_xcalloc(1, sizeof(**appr));
	*nref = *nappr = 0;
	if (q->team)
		rc = team_services(tx, q->team, &team, err);
	for (size_t i = 0; rc == SL_OK && i < prod->n; i++) {
		struct sl_dora_gate_rows rr = {0}, ar = {0};

		if (q->env && strcmp(q->env, prod->v[i]) != 0)
			continue;
		rc = sl_store_dora_gates(tx, prod->v[i], q->prev_from, q->to,
					 q->service, q->tag_key, q->tag_value,
					 &rr, &ar, err);
		*ref = sl_xrealloc(*ref, (*nref + rr.n + 1) * sizeof(**ref));
		*appr = sl_xrealloc(*appr,
				    (*nappr + ar.n + 1) * sizeof(**appr));
		for (size_t k = 0; rc == SL_OK && k < rr.n + ar.n; k++) {
			int refusal = k < rr.n;
			const struct sl_dora_gate_row *g =
				refusal ? &rr.v[k] : &ar.v[k - rr.n];
			int sees =
				gate_sees(r, q, &team, prod->v[i], g->service);

			if (sees < 0)
				rc = sl_error_set(err, SL_EUNAVAIL, "",
						  "the scope of the token "
						  "cannot be read");
			else if (sees && refusal)
				(*ref)[(*nref)++] = (struct sl_dora_refusal){
					g->at, check_bits(cn, g->checks)};
			else if (sees)
				(*appr)[(*nappr)++] = (struct sl_dora_approval){
					g->at, g->created_at, g->refused_at};
		}
		sl_dora_gate_rows_fini(&rr);
		sl_dora_gate_rows_fini(&ar);
	}
	sl_h_names_fini(&team);
	return rc;
}

static json_t *names_json(const struct sl_h_names *n, const char *only)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n->n; i++)
		if (!only || strcmp(only, n->v[i]) == 0)
			json_array_append_new(a, json_string(n->v[i]));
	return a;
}

void sl_h_metrics_dora(struct sl_req *r)
{
	struct sl_error err = {0};
	struct query q = {0};
	struct sl_h_names prod = {0};
	struct sl_cal_bucket *bk = NULL, *pbk = NULL;
	struct sl_dora_dep *deps = NULL;
	struct sl_dora_refusal *ref = NULL;
	struct sl_dora_approval *appr = NULL;
	struct check_names cn = {0};
	size_t nref = 0, nappr = 0;
	struct sl_dora_stats *st = NULL, all, prev;
	int64_t *starts = NULL, *ends = NULL;
	double *days = NULL, prev_days = 0;
	char *tagbuf = NULL;
	size_t nb = 0, ndeps = 0, npb = 0;
	struct sl_tx tx;
	enum sl_err rc;

	if (!read_query(r, &q, &tagbuf))
		goto out;
	bk = sl_xcalloc(SL_CAL_MAX_BUCKETS, sizeof(*bk));
	if (sl_cal_buckets(q.tz, q.unit, q.from, q.to, bk, SL_CAL_MAX_BUCKETS,
			   &nb, &err) != 0) {
		err.code = SL_EMALFORMED;
		sl_http_fail(r, &err);
		goto out;
	}
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		int64_t mark = 0;
		char when[SL_TIME_BUF];

		/* Archived deployments are not in the tables: a period (or
		 * the one before it, for the trend) reaching before an
		 * archive's cut-off is refused, never measured short. */
		rc = sl_store_archive_watermark(&tx, &mark, &err);
		if (rc == SL_OK && mark > q.prev_from)
			rc = sl_error_set(
				&err, SL_ECONFLICT, "from",
				"deployments before %s are archived: restore "
				"the "
				"archive (shiplog archive restore) or measure "
				"a "
				"period whose period before starts after it",
				sl_time_format(mark, when));
		if (rc == SL_OK)
			rc = sl_h_production_envs(&tx, &prod, &err);
		if (rc == SL_OK && q.env && !in_names(&prod, q.env))
			rc = sl_error_set(&err, SL_EMALFORMED, "environment",
					  "environment '%s' does not count as "
					  "production: delivery metrics count "
					  "production deployments only",
					  q.env);
		if (rc == SL_OK)
			rc = read_deps(r, &tx, &q, &prod, &deps, &ndeps, &err);
		if (rc == SL_OK)
			rc = read_gates(r, &tx, &q, &prod, &cn, &ref, &nref,
					&appr, &nappr, &err);
		sl_store_abort(&tx);
	}
	if (rc) {
		sl_http_fail(r, &err);
		goto out;
	}
	starts = sl_xcalloc(nb + 1, sizeof(*starts));
	ends = sl_xcalloc(nb + 1, sizeof(*ends));
	days = sl_xcalloc(nb + 1, sizeof(*days));
	st = sl_xcalloc(nb + 1, sizeof(*st));
	for (size_t i = 0; i < nb; i++) {
		starts[i] = bk[i].start_us;
		ends[i] = bk[i].end_us;
		days[i] = bk[i].days;
	}
	sl_dora_compute(deps, ndeps, starts, ends, days, nb, st, &all);
	sl_dora_gates(ref, nref, appr, nappr, deps, ndeps, starts, ends, nb, st,
		      &all);
	/* The period before, as long: its length in wall-clock days from
	 * months, which never number over the bucket cap. */
	pbk = sl_xcalloc(SL_CAL_MAX_BUCKETS, sizeof(*pbk));
	if (sl_cal_buckets(q.tz, SL_CAL_MONTH, q.prev_from, q.from, pbk,
			   SL_CAL_MAX_BUCKETS, &npb, &err) == 0)
		for (size_t i = 0; i < npb; i++)
			prev_days += pbk[i].days;
	{
		int64_t ps = q.prev_from, pe = q.from;
		struct sl_dora_stats pst;
		json_t *buckets = json_array(), *body;

		sl_dora_compute(deps, ndeps, &ps, &pe, &prev_days, 1, &pst,
				&prev);
		sl_dora_gates(ref, nref, appr, nappr, deps, ndeps, &ps, &pe, 1,
			      &pst, &prev);
		for (size_t i = 0; i < nb; i++) {
			json_t *b = stats_json(&st[i], &cn);

			json_object_set_new(b, "start",
					    sl_h_time(bk[i].start_us));
			json_object_set_new(b, "end", sl_h_time(bk[i].end_us));
			json_object_set_new(b, "label",
					    json_string(bk[i].label));
			json_object_set_new(b, "days", json_real(bk[i].days));
			json_array_append_new(buckets, b);
		}
		body = json_pack(
			"{so so ss ss so si so so s{so so so} so so}", "from",
			sl_h_time(q.from), "to", sl_h_time(q.to), "bucket",
			sl_cal_unit_names[q.unit], "tz", q.tz,
			"production_environments", names_json(&prod, q.env),
			"levels_year", SL_DORA_REPORT_YEAR, "overall",
			stats_json(&all, &cn), "buckets", buckets, "previous",
			"from", sl_h_time(q.prev_from), "to", sl_h_time(q.from),
			"overall", stats_json(&prev, &cn), "trend",
			trend_json(&prev, &all), "filters",
			json_pack("{ss? ss? ss? ss?}", "environment", q.env,
				  "service", q.service, "team", q.team, "tag",
				  tagbuf ? sl_http_query(r, "tag") : NULL));
		sl_http_reply(r, 200, sl_http_canon(body));
		json_decref(body);
	}
out:
	free(starts);
	free(ends);
	free(days);
	free(st);
	free(deps);
	free(ref);
	free(appr);
	for (size_t k = 0; k < cn.n; k++)
		free(cn.v[k]);
	free(bk);
	free(pbk);
	free(tagbuf);
	sl_h_names_fini(&prod);
}

/* ---- the gauges on /metrics ----
 *
 * The period's figures for the last 30 days, every production
 * environment, for Prometheus. /metrics is scraped every few seconds and
 * must stay cheap, so an unscoped scrape reuses the figures for up to
 * five minutes; a scoped token's are computed for it each time. */

#define GAUGES_TTL_US (300 * 1000000LL)

static pthread_mutex_t gauges_lock = PTHREAD_MUTEX_INITIALIZER;
static char *gauges_text;
static int64_t gauges_at;

/* The exposition lines of the last 30 days' figures, "" when they cannot
 * be read. Caller frees. */
static char *gauges_compute(struct sl_req *r)
{
	struct sl_error err = {0};
	struct query q = {.to = r->now, .from = r->now - 30 * DAY_US};
	struct sl_h_names prod = {0};
	struct sl_dora_dep *deps = NULL;
	struct sl_dora_stats b, all;
	double days = 30;
	size_t n = 0, len = 0, cap = 4096;
	char *out = sl_xcalloc(cap, 1);
	struct sl_tx tx;
	enum sl_err rc;
	static const struct {
		enum sl_dora_measure m;
		const char *name, *help;
	} g[] = {
		{SL_DM_FREQUENCY, "deployment_frequency_per_day",
		 "Production deployments a day (rollbacks not counted)."},
		{SL_DM_LEAD_P50, "lead_time_p50_seconds",
		 "Median change lead time, commit to production."},
		{SL_DM_CFR, "change_failure_rate",
		 "Production deployments that caused a failure, as a share."},
		{SL_DM_RECOVERY_P50, "recovery_time_p50_seconds",
		 "Median failed deployment recovery time."},
		{SL_DM_REWORK, "rework_rate",
		 "Rollbacks and hotfixes among production deployments."},
	};

	q.prev_from = q.from;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_h_production_envs(&tx, &prod, &err);
		if (rc == SL_OK)
			rc = read_deps(r, &tx, &q, &prod, &deps, &n, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_OK) {
		sl_dora_compute(deps, n, &q.from, &q.to, &days, 1, &b, &all);
		for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
			if (!all.m[g[i].m].has)
				continue;
			len += (size_t)snprintf(
				out + len, cap - len,
				"# HELP shiplog_dora_%s %s Last 30 days.\n"
				"# TYPE shiplog_dora_%s gauge\n"
				"shiplog_dora_%s %.6g\n",
				g[i].name, g[i].help, g[i].name, g[i].name,
				all.m[g[i].m].v);
		}
		len += (size_t)snprintf(
			out + len, cap - len,
			"# HELP shiplog_dora_deployments Production "
			"deployments "
			"in the last 30 days (rollbacks not counted).\n"
			"# TYPE shiplog_dora_deployments gauge\n"
			"shiplog_dora_deployments %lld\n",
			(long long)all.deployments);
	}
	free(deps);
	sl_h_names_fini(&prod);
	return out;
}

char *sl_h_dora_gauges(struct sl_req *r)
{
	char *text;

	if (r->actor.scope)
		return gauges_compute(r);
	pthread_mutex_lock(&gauges_lock);
	if (!gauges_text || r->now - gauges_at > GAUGES_TTL_US ||
	    r->now < gauges_at) {
		free(gauges_text);
		gauges_text = gauges_compute(r);
		gauges_at = r->now;
	}
	text = sl_xstrdup(gauges_text);
	pthread_mutex_unlock(&gauges_lock);
	return text;
}
