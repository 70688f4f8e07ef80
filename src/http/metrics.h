/* metrics.h - request counters and the latency histogram. */
#ifndef SL_HTTP_METRICS_H
#define SL_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Counts one finished request; route_index == sl_routes_count means no
 * route matched. Lock-free. */
void sl_metrics_count(size_t route_index, int status, int64_t duration_us);
/* A handler ran again after a serialization failure. */
void sl_metrics_count_retry(void);

#endif
