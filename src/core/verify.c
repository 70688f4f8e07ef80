/* verify.c - verification policies, rounds and what they add up to
 * (verify.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"
#include "core/verify.h"
#include "core/vocab.h"

const char *const sl_verify_on_failure_names[SL_VERIFY_ON_FAILURE__COUNT + 1] =
	{
		[SL_VERIFY_RECOMMEND] = "recommend",
		[SL_VERIFY_ROLLBACK] = "rollback",
};
SL_VOCAB_DEFINE(sl_verify_on_failure, enum sl_verify_on_failure,
		sl_verify_on_failure_names)

const char *const sl_verdict_names[SL_VERDICT__COUNT + 1] = {
	[SL_VERDICT_PASS] = "pass",
	[SL_VERDICT_FAIL] = "fail",
	[SL_VERDICT_UNKNOWN] = "unknown",
};
SL_VOCAB_DEFINE(sl_verdict, enum sl_verdict, sl_verdict_names)

const char *const sl_verify_state_names[SL_VERIFY_STATE__COUNT + 1] = {
	[SL_VERIFY_RUNNING] = "running",
	[SL_VERIFY_VERIFIED] = "verified",
	[SL_VERIFY_FAILED] = "failed",
	[SL_VERIFY_INCOMPLETE] = "incomplete",
};
SL_VOCAB_DEFINE(sl_verify_state, enum sl_verify_state, sl_verify_state_names)

static const char *const placeholders[] = {"service", "environment", "version",
					   "target", NULL};

/* The value of placeholder i. */
static const char *var(const struct sl_verify_vars *v, int i)
{
	const char *s = i == 0	 ? v->service
			: i == 1 ? v->environment
			: i == 2 ? v->version
				 : v->target;

	return s ? s : "";
}

enum sl_err sl_verify_expand(const char *tmpl, const struct sl_verify_vars *v,
			     char **out)
{
	size_t cap = strlen(tmpl) + 1, n = 0;
	char *buf;
	const char *p = tmpl;

	for (const char *q = tmpl; *q; q++)
		if (*q == '{')
			cap += 255;
	buf = sl_xmalloc(cap);
	while (*p) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		size_t len = close ? (size_t)(close - p - 1) : 0;
		int i = 0;

		for (; close && placeholders[i]; i++)
			if (strlen(placeholders[i]) == len &&
			    memcmp(placeholders[i], p + 1, len) == 0)
				break;
		if (!close || !placeholders[i]) {
			buf[n++] = *p++;
			continue;
		}
		{
			const char *s = var(v, i);
			size_t sl = strlen(s);

			if (sl > 255)
				sl = 255;
			memcpy(buf + n, s, sl);
			n += sl;
		}
		p = close + 1;
	}
	buf[n] = '\0';
	*out = buf;
	return SL_OK;
}

/* 0 when name is a usable criterion name not used by an earlier one
 * (names[0..n)), else -1 with err on field. */
static int check_name(const char *name, const char **names, size_t n,
		      const char *field, struct sl_error *err)
{
	if (!name) {
		sl_error_set(err, SL_EINVAL, field, "is required");
		return -1;
	}
	if (sl_valid_slug(name, field, err))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0) {
			sl_error_set(err, SL_EINVAL, field,
				     "'%s' names another criterion already; "
				     "each criterion needs its own name",
				     name);
			return -1;
		}
	return 0;
}

/* Expands tmpl with sample values, to check its placeholders (and, when
 * url, that it is an http(s) URL once expanded). */
static int check_template(const char *tmpl, int url, const char *field,
			  struct sl_error *err)
{
	static const struct sl_verify_vars sample = {"svc", "env", "1.2.3",
						     "tgt"};
	char *s = NULL;
	int rc = -1;

	if (!tmpl || !*tmpl) {
		sl_error_set(err, SL_EINVAL, field, "is required");
		return -1;
	}
	sl_verify_expand(tmpl, &sample, &s);
	if (url && (strchr(s, '{') || strchr(s, '}')))
		sl_error_set(err, SL_EINVAL, field,
			     "has a brace that is not one of {service}, "
			     "{environment}, {version} and {target}");
	else
		rc = url ? sl_valid_url(s, field, err) : 0;
	free(s);
	return rc;
}

int sl_verify_policy_check(const struct sl_verify_policy *p,
			   struct sl_error *err)
{
	const char *names[SL_VERIFY_MAX_CRITERIA];
	size_t n = 0;
	char f[64];

	if (p->interval_s < 1 || p->interval_s > SL_VERIFY_MAX_INTERVAL_S) {
		sl_error_set(err, SL_EINVAL, "interval_seconds",
			     "must be between 1 and %d",
			     SL_VERIFY_MAX_INTERVAL_S);
		return -1;
	}
	if (p->stabilisation_s < 0 ||
	    p->stabilisation_s > SL_VERIFY_MAX_PERIOD_S) {
		sl_error_set(err, SL_EINVAL, "stabilisation_seconds",
			     "must be between 0 and %d",
			     SL_VERIFY_MAX_PERIOD_S);
		return -1;
	}
	if (p->stabilisation_s / p->interval_s + 1 > SL_VERIFY_MAX_ROUNDS) {
		sl_error_set(
			err, SL_EINVAL, "interval_seconds",
			"makes %lld rounds over the stabilisation period; "
			"at most %d are kept: make the interval longer",
			(long long)(p->stabilisation_s / p->interval_s + 1),
			SL_VERIFY_MAX_ROUNDS);
		return -1;
	}
	if (p->nprobes + p->nqueries == 0) {
		sl_error_set(err, SL_EINVAL, "probes",
			     "a policy needs at least one probe or query");
		return -1;
	}
	if (p->nprobes + p->nqueries > SL_VERIFY_MAX_CRITERIA) {
		sl_error_set(err, SL_EINVAL, "probes",
			     "a policy has at most %d probes and queries",
			     SL_VERIFY_MAX_CRITERIA);
		return -1;
	}
	for (size_t i = 0; i < p->nprobes; i++) {
		const struct sl_verify_probe *pr = &p->probes[i];

		snprintf(f, sizeof(f), "probes[%zu].name", i);
		if (check_name(pr->name, names, n, f, err))
			return -1;
		names[n++] = pr->name;
		snprintf(f, sizeof(f), "probes[%zu].url", i);
		if (check_template(pr->url, 1, f, err))
			return -1;
		snprintf(f, sizeof(f), "probes[%zu].expect_status", i);
		if (pr->expect_status < 100 || pr->expect_status > 599) {
			sl_error_set(err, SL_EINVAL, f,
				     "must be an HTTP status, 100 to 599");
			return -1;
		}
		snprintf(f, sizeof(f), "probes[%zu].max_latency_ms", i);
		if (pr->max_latency_ms < 1 ||
		    pr->max_latency_ms > SL_VERIFY_MAX_LATENCY_MS) {
			sl_error_set(err, SL_EINVAL, f,
				     "must be between 1 and %d",
				     SL_VERIFY_MAX_LATENCY_MS);
			return -1;
		}
		snprintf(f, sizeof(f), "probes[%zu].body_contains", i);
		if (pr->body_contains && !*pr->body_contains) {
			sl_error_set(err, SL_EINVAL, f,
				     "must not be empty (leave it out to "
				     "match any body)");
			return -1;
		}
	}
	if (p->nqueries && (!p->prometheus_url || !*p->prometheus_url)) {
		sl_error_set(err, SL_EINVAL, "prometheus.url",
			     "queries need the Prometheus server to ask");
		return -1;
	}
	if (p->prometheus_url &&
	    sl_valid_url(p->prometheus_url, "prometheus.url", err))
		return -1;
	for (size_t i = 0; i < p->nqueries; i++) {
		const struct sl_verify_query *q = &p->queries[i];

		snprintf(f, sizeof(f), "queries[%zu].name", i);
		if (check_name(q->name, names, n, f, err))
			return -1;
		names[n++] = q->name;
		snprintf(f, sizeof(f), "queries[%zu].query", i);
		if (check_template(q->query, 0, f, err))
			return -1;
		snprintf(f, sizeof(f), "queries[%zu].max", i);
		if (!q->has_max && !q->has_min) {
			sl_error_set(err, SL_EINVAL, f,
				     "a query needs a threshold: max, min or "
				     "both");
			return -1;
		}
		if (q->has_max && q->has_min && q->min > q->max) {
			snprintf(f, sizeof(f), "queries[%zu].min", i);
			sl_error_set(err, SL_EINVAL, f,
				     "min %g is above max %g: no value could "
				     "pass",
				     q->min, q->max);
			return -1;
		}
	}
	if ((unsigned)p->on_failure >= SL_VERIFY_ON_FAILURE__COUNT) {
		sl_error_set(err, SL_EINVAL, "on_failure",
			     "must be recommend or rollback");
		return -1;
	}
	return 0;
}

static enum sl_verdict say(struct sl_criterion_verdict *c, enum sl_verdict v,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum sl_verdict say(struct sl_criterion_verdict *c, enum sl_verdict v,
			   const char *fmt, ...)
{
	va_list ap;

	c->verdict = v;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return v;
}

/* One probe's verdict: unknown when it could not be looked up; else a
 * failure for no answer, the wrong status, a slow answer or a body
 * without the text, in that order. */
static void judge_probe(const struct sl_verify_probe *p,
			const struct sl_probe_result *r,
			struct sl_criterion_verdict *c)
{
	const char *e = r->error ? r->error : "no answer";

	if (!r->answered && r->unreachable)
		say(c, SL_VERDICT_UNKNOWN, "could not be reached: %s", e);
	else if (!r->answered)
		say(c, SL_VERDICT_FAIL, "did not answer: %s", e);
	else if (r->status != p->expect_status)
		say(c, SL_VERDICT_FAIL, "answered %lld, expected %lld",
		    (long long)r->status, (long long)p->expect_status);
	else if (r->latency_ms > p->max_latency_ms)
		say(c, SL_VERDICT_FAIL, "answered in %lld ms, limit %lld ms",
		    (long long)r->latency_ms, (long long)p->max_latency_ms);
	else if (p->body_contains && !r->body_matched)
		say(c, SL_VERDICT_FAIL,
		    "answered %lld in %lld ms without \"%.80s\" in its body",
		    (long long)r->status, (long long)r->latency_ms,
		    p->body_contains);
	else
		say(c, SL_VERDICT_PASS, "answered %lld in %lld ms (limit %lld)",
		    (long long)r->status, (long long)r->latency_ms,
		    (long long)p->max_latency_ms);
}

/* One query's verdict against its bounds; unknown when it gave no
 * single value. */
static void judge_query(const struct sl_verify_query *q,
			const struct sl_query_result *r,
			struct sl_criterion_verdict *c)
{
	if (!r->read)
		say(c, SL_VERDICT_UNKNOWN, "could not be read: %s",
		    r->error ? r->error : "no value");
	else if (q->has_max && !(r->value <= q->max))
		say(c, SL_VERDICT_FAIL, "%g is above the maximum %g", r->value,
		    q->max);
	else if (q->has_min && !(r->value >= q->min))
		say(c, SL_VERDICT_FAIL, "%g is below the minimum %g", r->value,
		    q->min);
	else if (q->has_max && q->has_min)
		say(c, SL_VERDICT_PASS, "%g is within %g to %g", r->value,
		    q->min, q->max);
	else if (q->has_max)
		say(c, SL_VERDICT_PASS, "%g is at most %g", r->value, q->max);
	else
		say(c, SL_VERDICT_PASS, "%g is at least %g", r->value, q->min);
}

enum sl_verdict sl_verify_round(const struct sl_verify_policy *p,
				const struct sl_probe_result *probes,
				const struct sl_query_result *queries,
				struct sl_criterion_verdict *out)
{
	enum sl_verdict round = SL_VERDICT_PASS;
	size_t n = p->nprobes + p->nqueries;

	for (size_t i = 0; i < p->nprobes; i++)
		judge_probe(&p->probes[i], &probes[i], &out[i]);
	for (size_t j = 0; j < p->nqueries; j++)
		judge_query(&p->queries[j], &queries[j], &out[p->nprobes + j]);
	for (size_t i = 0; i < n; i++) {
		if (out[i].verdict == SL_VERDICT_FAIL)
			return SL_VERDICT_FAIL;
		if (out[i].verdict == SL_VERDICT_UNKNOWN)
			round = SL_VERDICT_UNKNOWN;
	}
	return round;
}

enum sl_verify_state sl_verify_conclude(const struct sl_verify_policy *p,
					int64_t started_at, int64_t round_at,
					enum sl_verdict last, size_t unknown,
					int64_t *next_at)
{
	*next_at = 0;
	if (last == SL_VERDICT_FAIL)
		return SL_VERIFY_FAILED;
	if (last == SL_VERDICT_UNKNOWN)
		unknown++;
	if (round_at >= started_at + p->stabilisation_s * 1000000)
		return unknown ? SL_VERIFY_INCOMPLETE : SL_VERIFY_VERIFIED;
	*next_at = round_at + p->interval_s * 1000000;
	return SL_VERIFY_RUNNING;
}
