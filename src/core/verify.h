/* verify.h - verification after a deployment succeeds: the policy (HTTP
 * probes and Prometheus queries with thresholds, checked every
 * interval_seconds through a stabilisation period), the verdict on each
 * criterion of one round, and what the rounds add up to.
 *
 * No I/O: the worker (src/workers/verify.c) runs the probes and queries
 * and hands their results in; the rules that decide are here. Fail
 * closed: a criterion that could not be read (Prometheus down, no
 * sample, a name that does not resolve) is neither passed nor failed but
 * unknown, and a deployment is verified only when every round of the
 * period passed. */
#ifndef SL_CORE_VERIFY_H
#define SL_CORE_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* What a failed verification does besides failing the deployment. */
enum sl_verify_on_failure {
	SL_VERIFY_RECOMMEND, /* recommend rolling back (default) */
	SL_VERIFY_ROLLBACK,  /* roll back to the previous release */
	SL_VERIFY_ON_FAILURE__COUNT
};
extern const char
	*const sl_verify_on_failure_names[SL_VERIFY_ON_FAILURE__COUNT + 1];
const char *sl_verify_on_failure_name(enum sl_verify_on_failure v);
int sl_verify_on_failure_parse(const char *s, enum sl_verify_on_failure *out);

/* One criterion's verdict in one round, and one round's. */
enum sl_verdict {
	SL_VERDICT_PASS,
	SL_VERDICT_FAIL,
	SL_VERDICT_UNKNOWN,
	SL_VERDICT__COUNT
};
extern const char *const sl_verdict_names[SL_VERDICT__COUNT + 1];
const char *sl_verdict_name(enum sl_verdict v);
int sl_verdict_parse(const char *s, enum sl_verdict *out);

/* Where a verification stands. running: rounds to come; verified: every
 * round passed through the period; failed: a round failed; incomplete:
 * the period ended with rounds that could not be read (the deployment
 * stays succeeded, never verified on them). */
enum sl_verify_state {
	SL_VERIFY_RUNNING,
	SL_VERIFY_VERIFIED,
	SL_VERIFY_FAILED,
	SL_VERIFY_INCOMPLETE,
	SL_VERIFY_STATE__COUNT
};
extern const char *const sl_verify_state_names[SL_VERIFY_STATE__COUNT + 1];
const char *sl_verify_state_name(enum sl_verify_state v);
int sl_verify_state_parse(const char *s, enum sl_verify_state *out);

/* Limits a policy is checked against. */
#define SL_VERIFY_MAX_CRITERIA	 16
#define SL_VERIFY_MAX_ROUNDS	 360
#define SL_VERIFY_MAX_PERIOD_S	 86400
#define SL_VERIFY_MAX_INTERVAL_S 3600
#define SL_VERIFY_MAX_LATENCY_MS 60000

/* An HTTP probe: GET url (a template), expecting status within
 * max_latency_ms, and body_contains in the body when it is not NULL. */
struct sl_verify_probe {
	const char *name;
	const char *url;
	int64_t expect_status;
	int64_t max_latency_ms;
	const char *body_contains;
};

/* A Prometheus instant query (a template) whose single value must be at
 * most max and at least min, for each bound it has. */
struct sl_verify_query {
	const char *name;
	const char *query;
	int has_max, has_min;
	double max, min;
};

/* A policy as core's values; strings are borrowed. */
struct sl_verify_policy {
	int64_t stabilisation_s;
	int64_t interval_s;
	const struct sl_verify_probe *probes;
	size_t nprobes;
	const char *prometheus_url; /* NULL when there are no queries */
	const struct sl_verify_query *queries;
	size_t nqueries;
	enum sl_verify_on_failure on_failure;
};

/* Checks a policy's rules beyond each field's type: an interval within
 * the period, at most SL_VERIFY_MAX_ROUNDS rounds, at least one
 * criterion and at most SL_VERIFY_MAX_CRITERIA, names unique across
 * probes and queries, templates using only {service}, {environment},
 * {version} and {target}, probe URLs that are http(s) once expanded, a
 * Prometheus server when there are queries, each query with a bound and
 * min <= max. 0, or -1 with err naming the field ("probes[1].url"). */
int sl_verify_policy_check(const struct sl_verify_policy *p,
			   struct sl_error *err);

/* The values a template may name. */
struct sl_verify_vars {
	const char *service, *environment, *version, *target;
};

/* Expands {service}, {environment}, {version} and {target} in tmpl
 * (an absent target is the empty string); any other brace is kept as it
 * is, so PromQL's label matchers (up{job="{service}"}) stay intact. *out
 * is malloc'ed: free(). Never fails. */
enum sl_err sl_verify_expand(const char *tmpl, const struct sl_verify_vars *v,
			     char **out);

/* What one probe saw. answered: an HTTP answer came back (status,
 * latency_ms and body_matched are then meaningful); not answered,
 * unreachable says whether the target could not even be looked up (an
 * unknown) rather than refused or timed out (a failure: the service did
 * not answer). error is the words of what went wrong, or NULL. */
struct sl_probe_result {
	int answered;
	int unreachable;
	int64_t status;
	int64_t latency_ms;
	int body_matched;
	const char *error;
};

/* What one query gave: read (a single sample, its value), or why not. */
struct sl_query_result {
	int read;
	double value;
	const char *error;
};

/* One criterion's verdict and the reason in words, with the values. */
#define SL_VERIFY_REASON 256
struct sl_criterion_verdict {
	enum sl_verdict verdict;
	char reason[SL_VERIFY_REASON];
};

/* Judges one round: out[i] for probes[i] then out[nprobes + j] for
 * queries[j]. The round's verdict is fail when any criterion failed,
 * else unknown when any could not be read, else pass. */
enum sl_verdict sl_verify_round(const struct sl_verify_policy *p,
				const struct sl_probe_result *probes,
				const struct sl_query_result *queries,
				struct sl_criterion_verdict *out);

/* What the rounds so far add up to, after a round at round_at (verdict
 * last) of a verification started at started_at; unknown counts earlier
 * rounds that could not be read. A failed round fails at once; the round
 * at or after started_at + stabilisation_s ends the period, verified if
 * no round was unknown, else incomplete; otherwise running, the next
 * round due at *next_at. */
enum sl_verify_state sl_verify_conclude(const struct sl_verify_policy *p,
					int64_t started_at, int64_t round_at,
					enum sl_verdict last, size_t unknown,
					int64_t *next_at);

#endif
