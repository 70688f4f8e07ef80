/* verify.h - what the verification worker (src/workers/verify.c) asks
 * of the http layer: which deployments to begin verifying, which rounds
 * are due, a round's policy as core's values, and how to record a
 * round's results (and the outcome they lead to). The worker does the
 * probing and querying between these calls, outside any transaction. */
#ifndef SL_HTTP_VERIFY_H
#define SL_HTTP_VERIFY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/verify.h"
#include "store/store.h"

/* One round to run: the policy a verification took, as core's values,
 * its templates expanded for the deployment. Strings are owned by the
 * run; free with sl_verify_run_fini. */
struct sl_verify_run {
	int64_t deployment_id;
	struct sl_verify_policy policy;
	struct sl_verify_probe probes[SL_VERIFY_MAX_CRITERIA];
	struct sl_verify_query queries[SL_VERIFY_MAX_CRITERIA];
	char *urls[SL_VERIFY_MAX_CRITERIA];   /* probes[i].url expanded */
	char *promql[SL_VERIFY_MAX_CRITERIA]; /* queries[j] expanded */
	json_t *doc; /* the verification record the strings live in */
};
void sl_verify_run_fini(struct sl_verify_run *run);

/* Begins verifying each succeeded deployment in an environment with a
 * policy (its own or its service's), each in its own write with its
 * audit entry; *started counts them. */
enum sl_err sl_h_verify_pickup(struct sl_store *st, int64_t now,
			       size_t *started, struct sl_error *err);
/* The deployments whose next round is due at now. */
enum sl_err sl_h_verify_due(struct sl_store *st, int64_t now,
			    struct sl_verification_ids *out,
			    struct sl_error *err);
/* Deployment id's running verification as a round to run. */
enum sl_err sl_h_verify_load(struct sl_store *st, int64_t id,
			     struct sl_verify_run *run, struct sl_error *err);
/* Records one round's results (probes[i] for run->probes[i], queries[j]
 * for run->queries[j]) at now, judged by core, and when they end the
 * verification: the deployment verified (an event with the evidence),
 * failed (the failing criteria, their values and a rollback
 * recommendation, and the rollback itself when the policy says so) or
 * left succeeded with an event saying verification could not be
 * completed. One write; *state is where the verification stands. */
enum sl_err sl_h_verify_record(struct sl_store *st, int64_t id, int64_t now,
			       const struct sl_verify_run *run,
			       const struct sl_probe_result *probes,
			       const struct sl_query_result *queries,
			       enum sl_verify_state *state,
			       struct sl_error *err);

#endif
