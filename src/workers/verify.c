/* verify.c - the verification worker's pace and its I/O: the HTTP probes
 * and the Prometheus queries of each due round, run outside any
 * transaction (libcurl), their answers handed to the http layer, which
 * records them and has core judge them (src/http/verify.c,
 * src/core/verify.c). */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/validate.h"
#include "http/verify.h"
#include "workers/workers.h"

#define CHECK_MS_DEFAULT 5000
/* How much of a probe's body is searched, and of Prometheus's answer
 * read: enough for a health page or an instant vector of one series. */
#define BODY_CAP	 (1024 * 1024)
#define QUERY_TIMEOUT_MS 5000
#define WORDS		 160

/* The pace, read once: SHIPLOG_VERIFY_CHECK_MS (10 to 3,600,000). */
static int64_t check_us(void)
{
	static int64_t us;

	if (!us)
		us = sl_worker_env_ms("SHIPLOG_VERIFY_CHECK_MS",
				      CHECK_MS_DEFAULT, 10, 3600000) *
		     1000;
	return us;
}

static int64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A body kept up to BODY_CAP bytes; the rest is read and dropped, so a
 * large page is still an answer. */
struct body {
	char *p;
	size_t n;
};

static size_t keep(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t len = size * nmemb, take = len;

	if (b->n + take > BODY_CAP)
		take = BODY_CAP - b->n;
	if (take) {
		b->p = sl_xrealloc(b->p, b->n + take + 1);
		memcpy(b->p + b->n, data, take);
		b->n += take;
		b->p[b->n] = '\0';
	}
	return len;
}

/* GETs url within timeout_ms. 0 with *status and the body, or the curl
 * error. */
static CURLcode get(const char *url, long timeout_ms, long *status,
		    int64_t *latency_us, struct body *b)
{
	CURL *c = curl_easy_init();
	curl_off_t t = 0;
	CURLcode rc;

	if (!c)
		return CURLE_FAILED_INIT;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "shiplog-verify");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &t);
		*latency_us = (int64_t)t;
	}
	curl_easy_cleanup(c);
	return rc;
}

/* Runs one probe. A name that does not resolve is "unreachable" (an
 * unknown: the check could not be made); a refused connection or a
 * timeout is no answer (a failure: the service did not answer). The
 * timeout leaves room past the limit, so a slow answer is seen as slow. */
static void probe(const struct sl_verify_probe *p, const char *url,
		  struct sl_probe_result *out)
{
	struct body b = {0};
	long status = 0;
	int64_t us = 0;
	CURLcode rc =
		get(url, (long)p->max_latency_ms * 2 + 1000, &status, &us, &b);

	memset(out, 0, sizeof(*out));
	if (rc == CURLE_OK) {
		out->answered = 1;
		out->status = status;
		out->latency_ms = us / 1000;
		out->body_matched = p->body_contains && b.p &&
				    strstr(b.p, p->body_contains) != NULL;
	} else {
		out->unreachable = rc == CURLE_COULDNT_RESOLVE_HOST ||
				   rc == CURLE_COULDNT_RESOLVE_PROXY ||
				   rc == CURLE_UNSUPPORTED_PROTOCOL ||
				   rc == CURLE_URL_MALFORMAT;
		out->error = curl_easy_strerror(rc);
	}
	free(b.p);
}

/* Asks Prometheus's HTTP API for an instant query's value: one sample
 * of a vector, or a scalar. Anything else (the server down, an error,
 * no series, several, NaN) is not read, with why in words. */
static void query(const char *server, const char *promql,
		  struct sl_query_result *out, char *words, size_t size)
{
	CURL *c = curl_easy_init();
	struct body b = {0};
	char *q = c ? curl_easy_escape(c, promql, 0) : NULL, *url = NULL;
	size_t len;
	long status = 0;
	int64_t us;
	CURLcode rc;
	json_t *doc = NULL, *data, *result, *value = NULL;
	const char *type, *v;

	memset(out, 0, sizeof(*out));
	out->error = words;
	if (!q) {
		snprintf(words, size, "out of memory");
		goto out;
	}
	len = strlen(server);
	while (len && server[len - 1] == '/')
		len--; /* "http://prom:9090/" and "http://prom:9090" alike */
	url = sl_xmalloc(len + strlen(q) + 32);
	snprintf(url, len + strlen(q) + 32, "%.*s/api/v1/query?query=%s",
		 (int)len, server, q);
	rc = get(url, QUERY_TIMEOUT_MS, &status, &us, &b);
	if (rc) {
		snprintf(words, size, "Prometheus did not answer: %s",
			 curl_easy_strerror(rc));
		goto out;
	}
	doc = b.p ? json_loads(b.p, 0, NULL) : NULL;
	if (status != 200 || !doc ||
	    strcmp(json_string_value(json_object_get(doc, "status"))
			   ? json_string_value(json_object_get(doc, "status"))
			   : "",
		   "success") != 0) {
		const char *e =
			json_string_value(json_object_get(doc, "error"));

		snprintf(words, size, "Prometheus answered %ld%s%.100s", status,
			 e ? ": " : "", e ? e : "");
		goto out;
	}
	data = json_object_get(doc, "data");
	type = json_string_value(json_object_get(data, "resultType"));
	result = json_object_get(data, "result");
	if (type && strcmp(type, "scalar") == 0)
		value = result;
	else if (type && strcmp(type, "vector") == 0) {
		if (json_array_size(result) != 1) {
			snprintf(words, size,
				 json_array_size(result)
					 ? "the query gave %zu series, not one"
					 : "the query gave no sample",
				 json_array_size(result));
			goto out;
		}
		value = json_object_get(json_array_get(result, 0), "value");
	} else {
		snprintf(words, size, "the query gave a %s, not one value",
			 type ? type : "result");
		goto out;
	}
	v = json_string_value(json_array_get(value, 1));
	if (!v) {
		snprintf(words, size, "the answer has no value");
		goto out;
	}
	out->value = strtod(v, NULL);
	if (isnan(out->value)) {
		snprintf(words, size, "the query gave NaN (no data to divide)");
		goto out;
	}
	out->read = 1;
	out->error = NULL;
out:
	json_decref(doc);
	curl_free(q);
	free(url);
	free(b.p);
	if (c)
		curl_easy_cleanup(c);
}

/* Runs deployment id's due round and records it. */
static enum sl_err round_one(struct sl_store *st, int64_t id,
			     enum sl_verify_state *state, struct sl_error *err)
{
	struct sl_probe_result pr[SL_VERIFY_MAX_CRITERIA];
	struct sl_query_result qr[SL_VERIFY_MAX_CRITERIA];
	char words[SL_VERIFY_MAX_CRITERIA][WORDS];
	struct sl_verify_run run;
	enum sl_err rc = sl_h_verify_load(st, id, &run, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < run.policy.nprobes; i++)
		probe(&run.probes[i], run.urls[i], &pr[i]);
	for (size_t j = 0; j < run.policy.nqueries; j++)
		query(run.policy.prometheus_url, run.promql[j], &qr[j],
		      words[j], WORDS);
	rc = sl_h_verify_record(st, id, clock_us(), &run, pr, qr, state, err);
	sl_verify_run_fini(&run);
	return rc;
}

enum sl_err sl_verify_tick(struct sl_store *st, int64_t now_us, size_t *started,
			   size_t *ended, struct sl_error *err)
{
	static int64_t next;
	struct sl_verification_ids due = {0};
	enum sl_err rc;

	*started = *ended = 0;
	if (now_us < next)
		return SL_OK;
	next = now_us + check_us();
	rc = sl_h_verify_pickup(st, now_us, started, err);
	if (rc == SL_OK)
		rc = sl_h_verify_due(st, clock_us(), &due, err);
	for (size_t i = 0; rc == SL_OK && i < due.n; i++) {
		enum sl_verify_state s = SL_VERIFY_RUNNING;

		rc = round_one(st, due.v[i], &s, err);
		*ended += rc == SL_OK && s != SL_VERIFY_RUNNING;
	}
	sl_verification_ids_fini(&due);
	return rc;
}
