/* workers.h - background work that runs once per cluster, on the leader
 * (its thread is in src/http/main.c): each worker's tick is called every
 * round and keeps its own pace. */
#ifndef SL_WORKERS_H
#define SL_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct sl_store;

/* A worker's setting: the environment variable name as a whole number
 * from min to max, else def (unset, not a number, or out of range). */
int64_t sl_worker_env_ms(const char *name, int64_t def, int64_t min,
			 int64_t max);

/* The stall detector: every SHIPLOG_STALL_CHECK_MS milliseconds (default
 * 15,000), deployments in progress past their environment's deadline
 * without an event become stalled; *moved counts them (0 when it was not
 * its time). On failure err is filled and the next round tries again. */
enum sl_err sl_stall_tick(struct sl_store *st, int64_t now_us, size_t *moved,
			  struct sl_error *err);

/* The verification worker: every SHIPLOG_VERIFY_CHECK_MS milliseconds
 * (default 5,000), begins verifying deployments that succeeded where a
 * policy applies (*started) and runs the rounds that are due, probing
 * and querying outside any transaction; *ended counts verifications that
 * reached their outcome. On failure err is filled and the next round
 * tries again. */
enum sl_err sl_verify_tick(struct sl_store *st, int64_t now_us, size_t *started,
			   size_t *ended, struct sl_error *err);

/* The notification dispatcher (called from its own thread while this
 * daemon leads, since it waits on receivers): every SHIPLOG_DISPATCH_MS
 * milliseconds (default 2,000), enqueues the freezes that started or ended,
 * then sends the due notifications of the outbox (at most 16 a round) and
 * records each outcome; *sent and *failed count the attempts. now_us is
 * asked again after each send. On failure err is filled and the next
 * round tries again. */
enum sl_err sl_dispatch_tick(struct sl_store *st, int64_t (*now_us)(void),
			     size_t *sent, size_t *failed,
			     struct sl_error *err);

#endif
