/* dora.h - the DORA delivery measures over typed deployment rows.
 *
 * The definitions follow the 2024 Accelerate State of DevOps (DORA)
 * report; docs/api.md "Delivery metrics" says them in words. Everything
 * here is pure: the rows, the buckets and their lengths in days are
 * passed in (the store reads the rows, src/cal makes the buckets).
 *
 * Every row is one production deployment (the caller leaves out the
 * others). A row *reached production* when it succeeded at some time
 * (`at`, non-zero): succeeded, verified, later rolled back, or failed
 * its verification after succeeding. A deployment whose own rollout
 * failed, was cancelled or has not finished never changed production:
 * it is no change, no failure and no rework; it is counted apart as a
 * failed rollout. A *change* is a row that reached production and is no
 * rollback. A change *failed* when it was rolled back (a rollback names
 * it, or its status is rolled_back), failed its verification after
 * succeeding, was hotfix-fixed (the next deployment to reach production
 * in the same service and environment is of a hotfix release), or was
 * confirmed as an incident's cause. */
#ifndef SL_CORE_DORA_H
#define SL_CORE_DORA_H

#include <stddef.h>
#include <stdint.h>

/* One production deployment. Times are UTC microseconds, 0 = none. */
struct sl_dora_dep {
	int64_t id;
	int64_t place;	    /* same value = same service and environment */
	int64_t at;	    /* when it succeeded; 0: it never did */
	int64_t started_at; /* when its rollout started */
	int64_t created_at; /* when it was created */
	int64_t failed_at;  /* when it failed after succeeding (verification) */
	int64_t commit_at;  /* its release's commit time, else creation */
	int64_t rollback_of; /* the deployment it undoes; 0: not a rollback */
	int64_t cause_at;    /* earliest start of an incident it caused */
	int64_t resolved_at; /* that incident's resolution; 0: open */
	int rolled_back;     /* its status is rolled_back */
	int hotfix;	     /* its release is a hotfix (or emergency) */
	int rollout_failed;  /* failed without ever succeeding */
};

/* A measure's value; has == 0 means "no value" (null, never 0): no
 * production change to divide by, or no sample. */
struct sl_dora_val {
	int has;
	double v;
};

enum sl_dora_level {
	SL_DORA_NONE, /* no value, or no levels for this measure */
	SL_DORA_ELITE,
	SL_DORA_HIGH,
	SL_DORA_MEDIUM,
	SL_DORA_LOW,
};

/* "", "elite", "high", "medium", "low", in enum order. */
extern const char *const sl_dora_level_names[];

enum sl_dora_measure {
	SL_DM_FREQUENCY, /* production changes per day */
	SL_DM_LEAD_P50,	 /* seconds, commit -> in production */
	SL_DM_LEAD_P90,
	SL_DM_CFR,	     /* failed changes / changes */
	SL_DM_RECOVERY_P50,  /* seconds, failure -> recovered */
	SL_DM_REWORK,	     /* rollbacks + hotfixes / all that reached prod */
	SL_DM_ROLLBACK_RATE, /* changes rolled back / changes */
	SL_DM_DURATION_P50,  /* seconds, rollout start -> success */
	SL_DM_DURATION_P95,
	SL_DM_REFUSAL_RATE,	 /* refused starts / (refused + let through) */
	SL_DM_APPROVAL_WAIT_P50, /* seconds, approval needed -> given */
	SL_DM_APPROVAL_WAIT_P90,
	SL_DM__COUNT
};

/* The measures' names as the API spells them. */
extern const char *const sl_dora_measure_names[];

/* The most distinct gate check names a refusal's bits can number. */
#define SL_DORA_MAX_CHECKS 32

/* A gate refusal of a production deployment start: when, and which
 * checks failed (bit k: the caller's check k). */
struct sl_dora_refusal {
	int64_t at;
	uint32_t checks;
};

/* An approval given for a production environment: when (at), its
 * release's creation, and the first recorded refusal of that release
 * there whose failing checks include approvals (0: none). */
struct sl_dora_approval {
	int64_t at, created_at, refused_at;
};

/* One bucket's (or the period's) figures. */
struct sl_dora_stats {
	int64_t deployments;	 /* production changes (no rollbacks) */
	int64_t rollbacks;	 /* rollbacks that reached production */
	int64_t failed_changes;	 /* changes that failed */
	int64_t rework;		 /* rollbacks + hotfix changes */
	int64_t failed_rollouts; /* rollouts that failed, never in prod */
	int64_t unrecovered;	 /* failed changes not yet recovered */
	int64_t refusals;	 /* starts the gates refused */
	int64_t starts;		 /* starts the gates let through */
	/* refusals per failing check: reasons[k] counts the refusals whose
	 * checks have bit k (the caller's numbering of check names). */
	int64_t reasons[SL_DORA_MAX_CHECKS];
	struct sl_dora_val m[SL_DM__COUNT];
};

/* One row of the levels table: for a measure, the bound of elite, high
 * and medium (a value beyond medium's is low). */
struct sl_dora_threshold {
	enum sl_dora_measure measure;
	int higher_is_better; /* frequency: at least the bound */
	double elite, high, medium;
};

/* The table: the 2024 DORA report's levels, in one place. */
extern const struct sl_dora_threshold sl_dora_thresholds[];
extern const size_t sl_dora_thresholds_count;
/* The report the table follows. */
#define SL_DORA_REPORT_YEAR 2024

/* The level of value v of measure m; SL_DORA_NONE when v has no value or
 * the report gives m no levels. */
enum sl_dora_level sl_dora_level_of(enum sl_dora_measure m,
				    struct sl_dora_val v);

/* Computes the figures of each bucket [starts[i], ends[i]) of nb (days[i]
 * long on the wall clock) into out[i], and of the whole [starts[0],
 * ends[nb-1]) into *all. A row counts in the bucket its success time
 * (at) falls in; a failed rollout in the bucket of its start (or
 * creation). Lead times, recovery times and durations are counted in
 * the bucket of the change they belong to. Percentiles are nearest-rank.
 * deps may be in any order and is not changed; scratch memory is
 * allocated and freed here. */
void sl_dora_compute(const struct sl_dora_dep *deps, size_t n,
		     const int64_t *starts, const int64_t *ends,
		     const double *days, size_t nb, struct sl_dora_stats *out,
		     struct sl_dora_stats *all);

/* The approval wait of a: from when it was first needed (the first
 * refusal naming approvals, when it came no later than the approval, else
 * the release's creation) to when it was given, in microseconds; -1 when
 * that is before it was needed (no sample). */
int64_t sl_dora_approval_wait(const struct sl_dora_approval *a);

/* Adds the gate figures to the figures sl_dora_compute made of the same
 * buckets: refusals in the bucket of their time; starts let through are
 * deps' rollouts started (started_at) in the bucket, rollbacks too; the
 * refusal rate refusals / (refusals + starts); approval waits in the
 * bucket the approval was given in, p50 and p90 nearest-rank. */
void sl_dora_gates(const struct sl_dora_refusal *ref, size_t nref,
		   const struct sl_dora_approval *appr, size_t nappr,
		   const struct sl_dora_dep *deps, size_t n,
		   const int64_t *starts, const int64_t *ends, size_t nb,
		   struct sl_dora_stats *out, struct sl_dora_stats *all);

/* Whether measure m moved for the better (1), the worse (-1) or not at
 * all (0) from prev to cur; 2 when either has no value. */
int sl_dora_trend(enum sl_dora_measure m, struct sl_dora_val prev,
		  struct sl_dora_val cur);

#endif
