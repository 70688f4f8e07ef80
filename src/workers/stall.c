/* stall.c - the stall detector's pace (workers.h); what a stall is and
 * what it writes are sl_deploy_stalls (core) and sl_h_deploy_stall_sweep
 * (http). */
#include "http/handlers.h"
#include "workers/workers.h"

#define CHECK_MS_DEFAULT 15000

/* The pace, read once: SHIPLOG_STALL_CHECK_MS (10 to 3,600,000). */
static int64_t check_us(void)
{
	static int64_t us;

	if (!us)
		us = sl_worker_env_ms("SHIPLOG_STALL_CHECK_MS",
				      CHECK_MS_DEFAULT, 10, 3600000) *
		     1000;
	return us;
}

enum sl_err sl_stall_tick(struct sl_store *st, int64_t now_us, size_t *moved,
			  struct sl_error *err)
{
	static int64_t next;

	*moved = 0;
	if (now_us < next)
		return SL_OK;
	next = now_us + check_us();
	return sl_h_deploy_stall_sweep(st, now_us, moved, err);
}
