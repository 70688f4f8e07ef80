/* metrics.c - Prometheus text exposition of what the daemon counted.
 *
 * Counters live in fixed arrays indexed by route and status code and are
 * bumped with atomic adds, so counting costs no lock on the hot path. */
#include "http/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/cache.h"
#include "http/handlers.h"
#include "http/http.h"

#define MAX_ROUTES 96
#define NSTATUS	   600

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				0.1,	0.25,  0.5,    1,     2.5,  5,	   10};
#define NBUCKETS (sizeof(bounds) / sizeof(bounds[0]))

static uint64_t requests[MAX_ROUTES + 1][NSTATUS];
static uint64_t buckets[NBUCKETS + 1];
static uint64_t sum_us;
static uint64_t count;
static uint64_t retries;

void sl_metrics_count_retry(void)
{
	__atomic_fetch_add(&retries, 1, __ATOMIC_RELAXED);
}

void sl_metrics_count(size_t route_index, int status, int64_t duration_us)
{
	size_t b = 0;

	if (route_index > MAX_ROUTES)
		route_index = MAX_ROUTES;
	if (status < 0 || status >= NSTATUS)
		status = 0;
	__atomic_fetch_add(&requests[route_index][status], 1, __ATOMIC_RELAXED);
	while (b < NBUCKETS && (double)duration_us / 1e6 > bounds[b])
		b++;
	__atomic_fetch_add(&buckets[b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&sum_us, (uint64_t)duration_us, __ATOMIC_RELAXED);
	__atomic_fetch_add(&count, 1, __ATOMIC_RELAXED);
}

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n;
		b->s = sl_xrealloc(b->s, b->cap);
	}
	b->len += (size_t)n;
}

char *sl_metrics_render(struct sl_req *r)
{
	struct buf b = {sl_xmalloc(4096), 0, 4096};
	struct sl_counts rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	uint64_t cum = 0;

	SL_ASSERT(sl_routes_count <= MAX_ROUTES);
	put(&b, "# HELP shiplog_http_requests_total HTTP requests answered.\n"
		"# TYPE shiplog_http_requests_total counter\n");
	for (size_t i = 0; i <= sl_routes_count; i++) {
		for (int s = 0; s < NSTATUS; s++) {
			uint64_t n = __atomic_load_n(&requests[i][s],
						     __ATOMIC_RELAXED);
			if (!n)
				continue;
			if (i < sl_routes_count)
				put(&b,
				    "shiplog_http_requests_total{method=\"%s\","
				    "route=\"%s\",status=\"%d\"} %llu\n",
				    sl_routes[i].method, sl_routes[i].pattern,
				    s, (unsigned long long)n);
			else
				put(&b,
				    "shiplog_http_requests_total{method=\"\","
				    "route=\"unmatched\",status=\"%d\"} %llu\n",
				    s, (unsigned long long)n);
		}
	}
	put(&b, "# HELP shiplog_http_request_duration_seconds Time to answer.\n"
		"# TYPE shiplog_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= NBUCKETS; i++) {
		cum += __atomic_load_n(&buckets[i], __ATOMIC_RELAXED);
		if (i < NBUCKETS)
			put(&b,
			    "shiplog_http_request_duration_seconds_bucket"
			    "{le=\"%g\"} %llu\n",
			    bounds[i], (unsigned long long)cum);
		else
			put(&b,
			    "shiplog_http_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	put(&b, "shiplog_http_request_duration_seconds_sum %.6f\n",
	    (double)__atomic_load_n(&sum_us, __ATOMIC_RELAXED) / 1e6);
	put(&b, "shiplog_http_request_duration_seconds_count %llu\n",
	    (unsigned long long)__atomic_load_n(&count, __ATOMIC_RELAXED));

	{
		uint64_t commits, writes;

		sl_store_group_stats(sl_http_store(r), &commits, &writes, NULL);
		put(&b,
		    "# HELP shiplog_store_commits_total Durable commits.\n"
		    "# TYPE shiplog_store_commits_total counter\n"
		    "shiplog_store_commits_total %llu\n"
		    "# HELP shiplog_store_grouped_writes_total Writes carried "
		    "by those commits.\n"
		    "# TYPE shiplog_store_grouped_writes_total counter\n"
		    "shiplog_store_grouped_writes_total %llu\n",
		    (unsigned long long)commits, (unsigned long long)writes);
	}
	put(&b,
	    "# HELP shiplog_write_retries_total Writes run again because "
	    "a concurrent write got in the way.\n"
	    "# TYPE shiplog_write_retries_total counter\n"
	    "shiplog_write_retries_total %llu\n",
	    (unsigned long long)__atomic_load_n(&retries, __ATOMIC_RELAXED));
	{
		uint64_t hits, misses;
		size_t bytes;

		sl_cache_stats(&hits, &misses, &bytes);
		put(&b,
		    "# HELP shiplog_read_cache_hits_total Reads answered from "
		    "the read cache.\n"
		    "# TYPE shiplog_read_cache_hits_total counter\n"
		    "shiplog_read_cache_hits_total %llu\n"
		    "# HELP shiplog_read_cache_misses_total Cacheable reads "
		    "that ran their query.\n"
		    "# TYPE shiplog_read_cache_misses_total counter\n"
		    "shiplog_read_cache_misses_total %llu\n"
		    "# HELP shiplog_read_cache_bytes Bytes the read cache "
		    "holds.\n"
		    "# TYPE shiplog_read_cache_bytes gauge\n"
		    "shiplog_read_cache_bytes %zu\n",
		    (unsigned long long)hits, (unsigned long long)misses,
		    bytes);
	}
	{
		size_t subs;
		uint64_t let_go;

		sl_stream_stats(&subs, &let_go);
		put(&b,
		    "# HELP shiplog_stream_subscribers Event streams open.\n"
		    "# TYPE shiplog_stream_subscribers gauge\n"
		    "shiplog_stream_subscribers %zu\n"
		    "# HELP shiplog_stream_let_go_total Event streams closed "
		    "because their client took nothing.\n"
		    "# TYPE shiplog_stream_let_go_total counter\n"
		    "shiplog_stream_let_go_total %llu\n",
		    subs, (unsigned long long)let_go);
	}
	put(&b, "# HELP shiplog_deployments Deployments by status.\n"
		"# TYPE shiplog_deployments gauge\n");
	if (sl_store_begin(sl_http_store(r), 0, &tx, &err) == SL_OK) {
		if (sl_store_deployment_status_counts(&tx, &rows, &err) ==
		    SL_OK)
			for (size_t i = 0; i < rows.n; i++)
				put(&b,
				    "shiplog_deployments{status=\"%s\"} %lld\n",
				    rows.v[i].key, (long long)rows.v[i].n);
		sl_counts_fini(&rows);
		sl_store_abort(&tx);
	}
	{
		char *dora = sl_h_dora_gauges(r);

		put(&b, "%s", dora);
		free(dora);
	}
	return b.s;
}
