/* page.c - the dashboard's files: the page at / (and at every deep link,
 * /releases/payments@1.4.0 and the like, which its router reads), and its
 * bundle under /assets/. The files are compiled in (assets.h); a bundle's
 * name holds its content hash, so it is cached for a year, and the page
 * itself is revalidated on every load. */
#include <stdio.h>
#include <string.h>

#include "http/assets.h"
#include "http/handlers.h"

static const struct sl_asset *find(const char *path)
{
	for (const struct sl_asset *a = sl_assets; a->path; a++)
		if (strcmp(a->path, path) == 0)
			return a;
	return NULL;
}

/* 1 when the request says it takes gzip (any Accept-Encoding naming it,
 * without ;q=0). */
static int takes_gzip(struct sl_req *r)
{
	const char *ae = sl_http_header(r, "Accept-Encoding");
	const char *g = ae ? strstr(ae, "gzip") : NULL;

	return g && strncmp(g + 4, ";q=0", 4) != 0;
}

static void send(struct sl_req *r, const struct sl_asset *a,
		 const char *cache_control)
{
	if (takes_gzip(r)) {
		r->reply_static = a->gz;
		r->reply_len = a->gz_len;
		r->content_encoding = "gzip";
	} else {
		r->reply_static = a->raw;
		r->reply_len = a->raw_len;
	}
	r->status = 200;
	r->content_type = a->type;
	r->cache_control = cache_control;
}

void sl_h_page(struct sl_req *r)
{
	const struct sl_asset *a = find("/index.html");

	if (!a) {
		sl_http_failf(r, SL_ENOTFOUND, NULL,
			      "the dashboard was not built into this shiplogd "
			      "(web/ needs Node.js and npm at build time)");
		return;
	}
	send(r, a, "no-cache");
}

void sl_h_asset(struct sl_req *r)
{
	char path[256];
	const struct sl_asset *a;

	snprintf(path, sizeof(path), "/assets/%s", r->params[0]);
	a = find(path);
	if (!a) {
		sl_http_failf(r, SL_ENOTFOUND, NULL, "no dashboard file %s",
			      path);
		return;
	}
	send(r, a, "public, max-age=31536000, immutable");
}

int sl_http_is_page_path(const char *path)
{
	static const char *const api[] = {"/v1/",     "/hooks/", "/assets/",
					  "/healthz", "/readyz", "/metrics"};

	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		if (strncmp(path, api[i], strlen(api[i])) == 0)
			return 0;
	return path[0] == '/';
}
