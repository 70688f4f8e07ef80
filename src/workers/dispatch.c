/* dispatch.c - the notification dispatcher's pace and its sending
 * (workers.h). What is due, what each channel sends and what an
 * attempt's outcome makes of a notification are sl_h_notify_claim,
 * sl_h_notify_record (http) and sl_notify_after_attempt (core).
 *
 * Sending happens outside any transaction: a row is claimed (its attempt
 * counted, its next_at moved a lease ahead) and committed first, then
 * sent, then its outcome recorded. A daemon killed after sending and
 * before recording leaves the row due again once the lease is over, and
 * the next leader sends it again with the same key: a webhook receiver
 * drops it by X-Shiplog-Delivery; Slack and email cannot, so they are
 * at least once. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/validate.h"
#include "http/notify.h"
#include "workers/workers.h"

#define BATCH 16

static struct {
	int read;
	int64_t pace_us, lease_us, timeout_ms, lookback_us;
	struct sl_notify_retry retry;
} cfg;

/* The settings, read once (docs/api.md, "Notifications"). */
static void configure(void)
{
	if (cfg.read)
		return;
	cfg.pace_us =
		sl_worker_env_ms("SHIPLOG_DISPATCH_MS", 2000, 10, 3600000) *
		1000;
	cfg.retry.attempts =
		sl_worker_env_ms("SHIPLOG_DISPATCH_ATTEMPTS", 8, 1, 100);
	cfg.retry.base_us = sl_worker_env_ms("SHIPLOG_DISPATCH_BACKOFF_MS",
					     30000, 1, 86400000) *
			    1000;
	cfg.retry.cap_us = 6 * 3600 * 1000000LL;
	cfg.timeout_ms = sl_worker_env_ms("SHIPLOG_DISPATCH_TIMEOUT_MS", 10000,
					  100, 600000);
	/* The lease outlasts a send, so a slow receiver is not sent the
	 * same row twice by this daemon. */
	cfg.lease_us = sl_worker_env_ms("SHIPLOG_DISPATCH_LEASE_MS", 60000, 100,
					86400000) *
		       1000;
	if (cfg.lease_us < 2 * cfg.timeout_ms * 1000)
		cfg.lease_us = 2 * cfg.timeout_ms * 1000;
	cfg.lookback_us = 3600 * 1000000LL;
	cfg.read = 1;
}

/* The email, read by libcurl a piece at a time. */
struct reader {
	const char *s;
	size_t left;
};

static size_t read_body(char *buf, size_t size, size_t n, void *arg)
{
	struct reader *rd = arg;
	size_t k = size * n < rd->left ? size * n : rd->left;

	memcpy(buf, rd->s, k);
	rd->s += k;
	rd->left -= k;
	return k;
}

static size_t discard(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

/* Sends o; NULL when the receiver took it, else why not (static or in
 * why). */
static const char *send_one(const struct sl_outgoing *o, char *why, size_t size)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL, *rcpt = NULL;
	struct reader rd = {o->body, strlen(o->body)};
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *out = NULL;
	long status = 0;
	CURLcode rc;

	if (!c)
		return "cannot start a transfer";
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg.timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (o->channel == SL_NCH_EMAIL) {
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(c, CURLOPT_MAIL_FROM, o->from);
		for (size_t i = 0; o->to && o->to[i]; i++)
			rcpt = curl_slist_append(rcpt, o->to[i]);
		curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
		curl_easy_setopt(c, CURLOPT_READDATA, &rd);
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		for (size_t i = 0; i < 4 && o->headers[i]; i++)
			hdrs = curl_slist_append(hdrs, o->headers[i]);
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(o->body));
		curl_easy_setopt(c, CURLOPT_USERAGENT, "shiplog-notify");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(why, size, "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		out = why;
	} else if (o->channel != SL_NCH_EMAIL) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status > 299) {
			snprintf(why, size, "the receiver answered HTTP %ld",
				 status);
			out = why;
		}
	}
	curl_slist_free_all(hdrs);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	return out;
}

enum sl_err sl_dispatch_tick(struct sl_store *st, int64_t (*now_us)(void),
			     size_t *sent, size_t *failed, struct sl_error *err)
{
	static int64_t next;
	struct sl_outgoing out[BATCH];
	struct sl_error other = {0};
	size_t n = 0, added = 0;
	int64_t now = now_us();
	enum sl_err rc;

	*sent = *failed = 0;
	configure();
	if (now < next)
		return SL_OK;
	next = now + cfg.pace_us;
	/* A sweep that fails holds up no notification already due: both
	 * run, and the first error is the round's. */
	rc = sl_h_notify_freezes(st, now, cfg.lookback_us, &added, err);
	if (rc == SL_OK)
		rc = sl_h_notify_claim(st, now, cfg.lease_us, out, BATCH, &n,
				       err);
	else
		sl_h_notify_claim(st, now, cfg.lease_us, out, BATCH, &n,
				  &other);
	for (size_t i = 0; i < n; i++) {
		char why[CURL_ERROR_SIZE + 64];
		const char *error =
			out[i].error ? out[i].error
				     : send_one(&out[i], why, sizeof(why));
		/* One that cannot be sent at all (its subscription is
		 * gone) is dead at once: no later attempt would differ. */
		struct sl_notify_retry retry = cfg.retry;

		if (out[i].error)
			retry.attempts = out[i].attempt;
		if (error)
			(*failed)++;
		else
			(*sent)++;
		/* A record that fails leaves the row claimed: it is sent
		 * again after the lease, as after a crash. */
		enum sl_err kept =
			sl_h_notify_record(st, &out[i], error, &retry, now_us(),
					   rc ? &other : err);

		if (rc == SL_OK)
			rc = kept;
		sl_outgoing_fini(&out[i]);
	}
	return rc;
}
