/* test_verify.c - verification after a deployment: which policies are
 * refused and on which field, each criterion's verdict against its
 * threshold, unknown apart from failed, and what the rounds of a
 * stabilisation period add up to. */
#include <stdlib.h>
#include <string.h>

#include "core/verify.h"
#include "test.h"

static const struct sl_verify_probe probes[] = {
	{"health", "http://{service}.{environment}.internal/healthz", 200, 500,
	 NULL},
	{"version", "https://{service}.example.com/version", 200, 1000,
	 "{\"version\""},
};

static const struct sl_verify_query queries[] = {
	{"error-rate",
	 "sum(rate(http_errors_total{service=\"{service}\"}[1m]))", 1, 0, 0.05,
	 0},
	{"throughput", "sum(rate(http_requests_total[1m]))", 0, 1, 0, 1},
};

static struct sl_verify_policy policy(void)
{
	struct sl_verify_policy p = {
		.stabilisation_s = 60,
		.interval_s = 20,
		.probes = probes,
		.nprobes = 2,
		.prometheus_url = "http://prometheus:9090",
		.queries = queries,
		.nqueries = 2,
		.on_failure = SL_VERIFY_RECOMMEND,
	};
	return p;
}

TEST(a_sound_policy_is_accepted)
{
	struct sl_verify_policy p = policy();
	struct sl_error err = {0};

	CHECK_INT(sl_verify_policy_check(&p, &err), 0);
	p.stabilisation_s = 0; /* a single round */
	CHECK_INT(sl_verify_policy_check(&p, &err), 0);
}

/* Checks that p is refused naming field, with words containing what. */
static void refused(const struct sl_verify_policy *p, const char *field,
		    const char *what)
{
	struct sl_error err = {0};

	CHECK_INT(sl_verify_policy_check(p, &err), -1);
	CHECK_STR(err.field, field);
	CHECK(strstr(err.message, what) != NULL);
	CHECK_INT(err.code, SL_EINVAL);
}

TEST(a_bad_policy_is_refused_naming_the_field)
{
	struct sl_verify_policy p = policy();
	struct sl_verify_probe bad[2];
	struct sl_verify_query badq[2];

	p.interval_s = 0;
	refused(&p, "interval_seconds", "between 1 and");
	p = policy();
	p.stabilisation_s = 3600;
	p.interval_s = 1;
	refused(&p, "interval_seconds", "3601 rounds");
	p = policy();
	p.nprobes = p.nqueries = 0;
	refused(&p, "probes", "at least one probe or query");

	memcpy(bad, probes, sizeof(bad));
	p = policy();
	p.probes = bad;
	bad[1].expect_status = 99;
	refused(&p, "probes[1].expect_status", "100 to 599");
	memcpy(bad, probes, sizeof(bad));
	bad[1].url = "http://{service}/{build}";
	refused(&p, "probes[1].url", "not one of {service}");
	bad[1].url = "http://{service/x";
	refused(&p, "probes[1].url", "not one of {service}");
	bad[1].url = "ftp://{service}/x";
	refused(&p, "probes[1].url", "http");
	memcpy(bad, probes, sizeof(bad));
	bad[1].name = "health";
	refused(&p, "probes[1].name", "another criterion");
	memcpy(bad, probes, sizeof(bad));
	bad[0].max_latency_ms = 0;
	refused(&p, "probes[0].max_latency_ms", "between 1 and");

	memcpy(badq, queries, sizeof(badq));
	p = policy();
	p.queries = badq;
	badq[1].has_min = 0;
	refused(&p, "queries[1].max", "needs a threshold");
	memcpy(badq, queries, sizeof(badq));
	badq[0].has_min = 1;
	badq[0].min = 0.5;
	refused(&p, "queries[0].min", "above max");
	memcpy(badq, queries, sizeof(badq));
	badq[0].name = "health"; /* a probe's name */
	refused(&p, "queries[0].name", "another criterion");
	p = policy();
	p.prometheus_url = NULL;
	refused(&p, "prometheus.url", "queries need");
}

TEST(templates_expand_the_deployments_names)
{
	struct sl_verify_vars v = {"api", "production", "1.4.0", NULL};
	char *s = NULL;

	CHECK_INT(sl_verify_expand("http://{service}.{environment}/v/"
				   "{version}?t={target}",
				   &v, &s),
		  SL_OK);
	CHECK_STR(s, "http://api.production/v/1.4.0?t=");
	free(s);
	/* PromQL's own braces stay. */
	CHECK_INT(
		sl_verify_expand("up{job=\"{service}\",x=\"{other}\"}", &v, &s),
		SL_OK);
	CHECK_STR(s, "up{job=\"api\",x=\"{other}\"}");
	free(s);
}

static const struct sl_probe_result ok_probe = {1, 0, 200, 12, 1, NULL};

TEST(every_criterion_within_its_threshold_passes_the_round)
{
	struct sl_verify_policy p = policy();
	struct sl_probe_result pr[2] = {ok_probe, ok_probe};
	struct sl_query_result qr[2] = {{1, 0.05, NULL}, {1, 1, NULL}};
	struct sl_criterion_verdict v[4];

	/* The bounds themselves pass: at most 0.05, at least 1. */
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_PASS);
	for (int i = 0; i < 4; i++)
		CHECK_INT(v[i].verdict, SL_VERDICT_PASS);
	CHECK_STR(v[0].reason, "answered 200 in 12 ms (limit 500)");
	CHECK_STR(v[2].reason, "0.05 is at most 0.05");
	CHECK_STR(v[3].reason, "1 is at least 1");
}

TEST(a_value_past_a_threshold_fails_the_round_with_the_values)
{
	struct sl_verify_policy p = policy();
	struct sl_probe_result pr[2] = {ok_probe, ok_probe};
	struct sl_query_result qr[2] = {{1, 0.25, NULL}, {1, 3, NULL}};
	struct sl_criterion_verdict v[4];

	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_FAIL);
	CHECK_INT(v[2].verdict, SL_VERDICT_FAIL);
	CHECK_STR(v[2].reason, "0.25 is above the maximum 0.05");
	qr[0].value = 0.01;
	qr[1].value = 0.5;
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_FAIL);
	CHECK_STR(v[3].reason, "0.5 is below the minimum 1");
}

TEST(a_probe_fails_on_status_latency_body_or_no_answer)
{
	struct sl_verify_policy p = policy();
	struct sl_probe_result pr[2] = {ok_probe, ok_probe};
	struct sl_query_result qr[2] = {{1, 0, NULL}, {1, 5, NULL}};
	struct sl_criterion_verdict v[4];

	pr[0].status = 503;
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_FAIL);
	CHECK_STR(v[0].reason, "answered 503, expected 200");
	pr[0] = ok_probe;
	pr[0].latency_ms = 501;
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_FAIL);
	CHECK_STR(v[0].reason, "answered in 501 ms, limit 500 ms");
	pr[0] = ok_probe;
	pr[1].body_matched = 0;
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_FAIL);
	CHECK_INT(v[0].verdict, SL_VERDICT_PASS);
	CHECK(strstr(v[1].reason, "without \"{\"version\"\"") != NULL);
	/* body_contains unset: any body passes. */
	pr[1] = ok_probe;
	pr[0].body_matched = 0;
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_PASS);
	pr[0] = (struct sl_probe_result){0, 0, 0, 0, 0, "Connection refused"};
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_FAIL);
	CHECK_STR(v[0].reason, "did not answer: Connection refused");
}

TEST(what_cannot_be_read_is_unknown_never_pass_and_a_failure_wins)
{
	struct sl_verify_policy p = policy();
	struct sl_probe_result pr[2] = {ok_probe, ok_probe};
	struct sl_query_result qr[2] = {{0, 0, "connection refused"},
					{1, 5, NULL}};
	struct sl_criterion_verdict v[4];

	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_UNKNOWN);
	CHECK_INT(v[2].verdict, SL_VERDICT_UNKNOWN);
	CHECK_STR(v[2].reason, "could not be read: connection refused");
	pr[1] = (struct sl_probe_result){0, 1, 0, 0, 0, "no such host"};
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_UNKNOWN);
	CHECK_STR(v[1].reason, "could not be reached: no such host");
	qr[1].value = 0; /* below min 1 */
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_FAIL);
	/* NaN is no value within bounds. */
	qr[1].value = 5;
	qr[0] = (struct sl_query_result){1, 0.0 / 0.0, NULL};
	pr[1] = ok_probe;
	CHECK_INT(sl_verify_round(&p, pr, qr, v), SL_VERDICT_FAIL);
}

TEST(the_period_is_verified_only_when_every_round_passed)
{
	struct sl_verify_policy p = policy(); /* 60 s, every 20 s */
	int64_t s = 1000000000, next = 0;

	CHECK_INT(sl_verify_conclude(&p, s, s, SL_VERDICT_PASS, 0, &next),
		  SL_VERIFY_RUNNING);
	CHECK(next == s + 20000000);
	CHECK_INT(sl_verify_conclude(&p, s, s + 40000000, SL_VERDICT_PASS, 0,
				     &next),
		  SL_VERIFY_RUNNING);
	CHECK_INT(sl_verify_conclude(&p, s, s + 60000000, SL_VERDICT_PASS, 0,
				     &next),
		  SL_VERIFY_VERIFIED);
	CHECK(next == 0);
	/* A late round past the end ends it too. */
	CHECK_INT(sl_verify_conclude(&p, s, s + 75000000, SL_VERDICT_PASS, 0,
				     &next),
		  SL_VERIFY_VERIFIED);
}

TEST(a_failing_round_fails_at_once_and_unknown_rounds_leave_it_incomplete)
{
	struct sl_verify_policy p = policy();
	int64_t s = 1000000000, next = 0;

	CHECK_INT(sl_verify_conclude(&p, s, s, SL_VERDICT_FAIL, 0, &next),
		  SL_VERIFY_FAILED);
	CHECK_INT(sl_verify_conclude(&p, s, s + 20000000, SL_VERDICT_FAIL, 1,
				     &next),
		  SL_VERIFY_FAILED);
	/* An unknown round mid-way goes on; the end is then incomplete,
	 * even when the last round passed. */
	CHECK_INT(sl_verify_conclude(&p, s, s + 20000000, SL_VERDICT_UNKNOWN, 0,
				     &next),
		  SL_VERIFY_RUNNING);
	CHECK_INT(sl_verify_conclude(&p, s, s + 60000000, SL_VERDICT_PASS, 1,
				     &next),
		  SL_VERIFY_INCOMPLETE);
	CHECK_INT(sl_verify_conclude(&p, s, s + 60000000, SL_VERDICT_UNKNOWN, 0,
				     &next),
		  SL_VERIFY_INCOMPLETE);
	/* No period: one round decides. */
	p.stabilisation_s = 0;
	CHECK_INT(sl_verify_conclude(&p, s, s, SL_VERDICT_PASS, 0, &next),
		  SL_VERIFY_VERIFIED);
}

TEST_MAIN(
	T(a_sound_policy_is_accepted),
	T(a_bad_policy_is_refused_naming_the_field),
	T(templates_expand_the_deployments_names),
	T(every_criterion_within_its_threshold_passes_the_round),
	T(a_value_past_a_threshold_fails_the_round_with_the_values),
	T(a_probe_fails_on_status_latency_body_or_no_answer),
	T(what_cannot_be_read_is_unknown_never_pass_and_a_failure_wins),
	T(the_period_is_verified_only_when_every_round_passed),
	T(a_failing_round_fails_at_once_and_unknown_rounds_leave_it_incomplete))
