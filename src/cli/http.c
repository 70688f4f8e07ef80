/* http.c - the CLI's one way to talk to shiplogd: a libcurl request.
 *
 * Each request carries the bearer token, JSON bodies are labelled
 * application/json, and every POST gets a fresh random Idempotency-Key so
 * that a retried request cannot write twice. Answers are read into a
 * growable buffer with a hard cap, then parsed as JSON; sl_cli_get_bytes
 * hands them over as bytes instead (tiles, entry bundles, the log's
 * checkpoint and key), over one kept connection. */
#include "cli/cli.h"
#include "core/error.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Answers larger than this are treated as a broken server. */
#define BODY_CAP (64u << 20)

struct buf {
	char *data;
	size_t len;
	size_t cap;
	int overflow;
};

struct call {
	struct buf body;
	char etag[64];
};

/* Appends a chunk of the answer; returns the bytes taken, which is less
 * than offered (making libcurl fail) when the cap would be passed. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;

	if (n > BODY_CAP - b->len) {
		b->overflow = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = sl_xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Keeps the ETag header of the answer; returns the bytes taken. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct call *c = userdata;
	size_t n = size * nmemb;
	static const char name[] = "etag:";
	size_t len;

	if (n > sizeof(name) - 1 && !strncasecmp(ptr, name, sizeof(name) - 1)) {
		const char *v = ptr + sizeof(name) - 1;
		const char *end = ptr + n;

		while (v < end && isspace((unsigned char)*v))
			v++;
		while (end > v && isspace((unsigned char)end[-1]))
			end--;
		len = (size_t)(end - v);
		if (len < sizeof(c->etag)) {
			memcpy(c->etag, v, len);
			c->etag[len] = '\0';
		}
	}
	return n;
}

/* Fills out (33 bytes) with 128 random bits in hex. Returns 0, or -1
 * when /dev/urandom cannot be read. */
/* FNV-1a over the method, path and body: a request's identity within a
 * job's idempotency key. */
static uint64_t request_hash(const char *method, const char *path,
			     const char *body)
{
	const char *parts[3] = {method, path, body ? body : ""};
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
		h ^= 0xff; /* separator */
		h *= 1099511628211ULL;
	}
	return h;
}

static int idempotency_key(char out[33])
{
	unsigned char raw[16];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t got;

	if (!f)
		return -1;
	got = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	if (got != sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Prints one validation error as "shiplog: title: field: message". The
 * server's messages sometimes start with the field's name ("since must
 * be ...") and sometimes not ("is required"); the name is printed once
 * either way. */
static void print_error(const char *title, json_t *e)
{
	const char *field = json_string_value(json_object_get(e, "field"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	size_t n = field ? strlen(field) : 0;

	if (!msg)
		msg = "invalid";
	if (n && !strncmp(msg, field, n) && msg[n] == ' ')
		msg += n + 1;
	fprintf(stderr, "shiplog: %s%s%s%s%s\n", title ? title : "",
		title ? ": " : "", n ? field : "", n ? ": " : "", msg);
}

/* Prints a problem document (or whatever the server said) to stderr,
 * each thing once: "shiplog: title: field: message" per validation error
 * (the detail then only repeats the first of them), else "shiplog:
 * title: detail"; then the checks of a gate refusal. */
static void print_problem(long status, json_t *doc, const char *raw)
{
	const char *title = json_string_value(json_object_get(doc, "title"));
	const char *detail = json_string_value(json_object_get(doc, "detail"));
	json_t *errors = json_object_get(doc, "errors");
	size_t i;
	json_t *e;

	if (json_array_size(errors)) {
		json_array_foreach(errors, i, e)
		{
			print_error(title, e);
		}
	} else if (title && detail) {
		fprintf(stderr, "shiplog: %s: %s\n", title, detail);
	} else if (title || detail) {
		fprintf(stderr, "shiplog: %s\n", title ? title : detail);
	} else if (raw && *raw) {
		fprintf(stderr, "shiplog: HTTP %ld: %.200s\n", status, raw);
	} else {
		fprintf(stderr, "shiplog: HTTP %ld\n", status);
	}
	/* A refusal by the gates lists every check; show them all. */
	if (json_is_array(json_object_get(doc, "checks")))
		sl_cli_print_checks(stderr, json_object_get(doc, "checks"));
}

/* Appends the bearer token's header (when there is a token) to
 * headers; *auth holds its text, which must outlive the request: free()
 * it after. Returns the list. */
static struct curl_slist *auth_header(const struct sl_cli *cli,
				      struct curl_slist *headers, char **auth)
{
	size_t n;

	*auth = NULL;
	if (!cli->token)
		return headers;
	n = strlen(cli->token) + sizeof("Authorization: Bearer ");
	*auth = sl_xmalloc(n);
	snprintf(*auth, n, "Authorization: Bearer %s", cli->token);
	return curl_slist_append(headers, *auth);
}

/* The options every request has: where, how, the timeouts, and where the
 * answer goes (c, whose ETag is kept too). */
static void common_opts(CURL *curl, const char *method, const char *url,
			struct curl_slist *headers, struct call *c,
			char *errbuf)
{
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "GET"))
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "shiplog-cli/0.1");
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c->body);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, c);
}

/* Prints why a request got no answer. */
static void print_transport(CURLcode rc, const struct call *c, const char *url,
			    const char *errbuf)
{
	if (c->body.overflow)
		fprintf(stderr, "shiplog: answer larger than %u bytes\n",
			BODY_CAP);
	else
		fprintf(stderr, "shiplog: %s: %s\n", url,
			*errbuf ? errbuf : curl_easy_strerror(rc));
}

/* Sends len bytes of payload (NULL: no body) of content type ctype; what
 * sl_cli_request and sl_cli_send say. */
static int perform(const struct sl_cli *cli, const char *method,
		   const char *path, const char *payload, size_t len,
		   const char *ctype, const char *extra_header, int quiet,
		   struct sl_cli_response *res)
{
	CURL *curl = NULL;
	struct curl_slist *headers = NULL;
	struct call c = {0};
	char *url = NULL, *auth = NULL;
	char line[320], errbuf[CURL_ERROR_SIZE] = "";
	size_t urllen;
	CURLcode rc;
	json_error_t jerr;
	int result = SL_CLI_FAILED;

	res->status = 0;
	res->json = NULL;
	res->etag[0] = '\0';

	curl = curl_easy_init();
	if (!curl) {
		fprintf(stderr, "shiplog: cannot start libcurl\n");
		goto out;
	}
	urllen = strlen(cli->url) + strlen(path) + 1;
	url = sl_xmalloc(urllen);
	snprintf(url, urllen, "%s%s", cli->url, path);

	headers = auth_header(cli, headers, &auth);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (payload) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		headers = curl_slist_append(headers, line);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	if (!strcmp(method, "POST")) {
		char key[33];

		if (!cli->idem_key && idempotency_key(key) < 0) {
			fprintf(stderr, "shiplog: cannot read /dev/urandom\n");
			goto out;
		}
		if (cli->idem_key)
			/* The given key names the job; each distinct request
			 * of it gets its own key, so a retried job repeats
			 * every write once and its different writes never
			 * collide. */
			snprintf(line, sizeof(line),
				 "Idempotency-Key: %.200s-%016llx",
				 cli->idem_key,
				 (unsigned long long)request_hash(method, path,
								  payload));
		else
			snprintf(line, sizeof(line), "Idempotency-Key: %s",
				 key);
		headers = curl_slist_append(headers, line);
		if (!payload) {
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
		}
	}
	if (extra_header)
		headers = curl_slist_append(headers, extra_header);
	/* Drop libcurl's "Expect: 100-continue" round trip. */
	headers = curl_slist_append(headers, "Expect:");
	if (!headers)
		sl_die("out of memory building request headers");

	common_opts(curl, method, url, headers, &c, errbuf);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		print_transport(rc, &c, url, errbuf);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	memcpy(res->etag, c.etag, sizeof(res->etag));

	if (c.body.len > 0) {
		res->json = json_loadb(c.body.data, c.body.len, 0, &jerr);
		if (!res->json && res->status >= 200 && res->status < 300) {
			fprintf(stderr,
				"shiplog: unreadable answer (HTTP %ld): %s\n",
				res->status, jerr.text);
			goto out;
		}
	}
	if (res->status >= 200 && res->status < 300) {
		result = SL_CLI_OK;
		goto out;
	}

	result = res->status >= 400 && res->status < 500 ? SL_CLI_REFUSED
							 : SL_CLI_FAILED;
	if (quiet)
		goto out;
	if (cli->json && res->json)
		sl_cli_print_json(res->json);
	print_problem(res->status, res->json, c.body.data);
	if (res->status == 401 && !cli->token)
		fprintf(stderr, "shiplog: hint: set SHIPLOG_TOKEN or pass "
				"--token\n");
	json_decref(res->json);
	res->json = NULL;
out:
	curl_slist_free_all(headers);
	if (curl)
		curl_easy_cleanup(curl);
	free(auth);
	free(url);
	free(c.body.data);
	return result;
}

int sl_cli_request(const struct sl_cli *cli, const char *method,
		   const char *path, json_t *body, const char *extra_header,
		   struct sl_cli_response *res)
{
	char *payload = NULL;
	int rc;

	if (body) {
		payload = json_dumps(body, JSON_COMPACT);
		if (!payload)
			sl_die("cannot encode the request body");
	}
	rc = perform(cli, method, path, payload, payload ? strlen(payload) : 0,
		     "application/json", extra_header, 0, res);
	free(payload);
	return rc;
}

int sl_cli_send(const struct sl_cli *cli, const char *path, const char *data,
		size_t len, const char *ctype, struct sl_cli_response *res)
{
	return perform(cli, "POST", path, data, len, ctype, NULL, 1, res);
}

/* The handle of sl_cli_get_bytes, kept so that its connection is too:
 * a log is read in thousands of small GETs. */
static CURL *kept;

/* A request whose answer is kept as bytes: GET, or POST with a JSON
 * body (json, NULL for none). */
static int bytes_call(const struct sl_cli *cli, const char *method,
		      const char *path, const char *json,
		      struct sl_cli_bytes *res)
{
	struct curl_slist *headers = NULL;
	struct call c = {0};
	char *url, *auth = NULL, errbuf[CURL_ERROR_SIZE] = "";
	size_t urllen = strlen(cli->url) + strlen(path) + 1;
	json_t *doc;
	CURLcode rc;
	int result = SL_CLI_FAILED;

	res->status = 0;
	res->data = NULL;
	res->len = 0;
	if (!kept)
		kept = curl_easy_init();
	else
		curl_easy_reset(kept); /* keeps its connections */
	if (!kept) {
		fprintf(stderr, "shiplog: cannot start libcurl\n");
		return SL_CLI_FAILED;
	}
	url = sl_xmalloc(urllen);
	snprintf(url, urllen, "%s%s", cli->url, path);
	headers = auth_header(cli, headers, &auth);
	headers = curl_slist_append(headers, "Accept: */*");
	if (json)
		headers = curl_slist_append(headers,
					    "Content-Type: application/json");
	if (!headers)
		sl_die("out of memory building request headers");
	common_opts(kept, method, url, headers, &c, errbuf);
	if (json) {
		curl_easy_setopt(kept, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(kept, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(json));
	}
	rc = curl_easy_perform(kept);
	if (rc != CURLE_OK) {
		print_transport(rc, &c, url, errbuf);
		goto out;
	}
	curl_easy_getinfo(kept, CURLINFO_RESPONSE_CODE, &res->status);
	if (res->status >= 200 && res->status < 300) {
		res->data = c.body.data ? c.body.data : sl_xstrdup("");
		res->len = c.body.len;
		c.body.data = NULL;
		result = SL_CLI_OK;
		goto out;
	}
	doc = c.body.len ? json_loadb(c.body.data, c.body.len, 0, NULL) : NULL;
	print_problem(res->status, doc, c.body.data);
	if (res->status == 401 && !cli->token)
		fprintf(stderr, "shiplog: hint: set SHIPLOG_TOKEN or pass "
				"--token\n");
	json_decref(doc);
	result = res->status >= 400 && res->status < 500 ? SL_CLI_REFUSED
							 : SL_CLI_FAILED;
out:
	curl_slist_free_all(headers);
	free(auth);
	free(url);
	free(c.body.data);
	return result;
}

int sl_cli_get_bytes(const struct sl_cli *cli, const char *path,
		     struct sl_cli_bytes *res)
{
	return bytes_call(cli, "GET", path, NULL, res);
}

int sl_cli_post_bytes(const struct sl_cli *cli, const char *path,
		      const char *json, struct sl_cli_bytes *res)
{
	return bytes_call(cli, "POST", path, json, res);
}

void sl_cli_http_fini(void)
{
	if (kept)
		curl_easy_cleanup(kept);
	kept = NULL;
}

/* Returns s with every byte outside keep (and outside [A-Za-z0-9]) as
 * %XX. Free with free(). */
static char *escape(const char *s, const char *keep)
{
	size_t n = strlen(s);
	char *out = sl_xmalloc(3 * n + 1), *p = out;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr(keep, ch)) {
			*p++ = (char)ch;
		} else {
			snprintf(p, 4, "%%%02X", ch);
			p += 3;
		}
	}
	*p = '\0';
	return out;
}

char *sl_cli_escape_segment(const char *s)
{
	return escape(s, "-._~@+");
}

char *sl_cli_escape_query(const char *s)
{
	return escape(s, "-._~");
}
