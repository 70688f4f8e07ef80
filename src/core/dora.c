/* dora.c - the DORA delivery measures (see dora.h for the definitions). */
#include "core/dora.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

const char *const sl_dora_level_names[] = {"",	     "elite", "high",
					   "medium", "low",   NULL};

const char *const sl_dora_measure_names[] = {"deployment_frequency_per_day",
					     "lead_time_p50",
					     "lead_time_p90",
					     "change_failure_rate",
					     "recovery_time_p50",
					     "rework_rate",
					     "rollback_rate",
					     "duration_p50",
					     "duration_p95",
					     NULL};

#define HOUR 3600.0
#define DAY  (24 * HOUR)

/* The 2024 DORA report's performance levels. Frequency: elite on demand
 * (at least daily), high between daily and weekly, medium between weekly
 * and monthly, low less often. Lead time: elite under a day, high under a
 * week, medium under a month, low longer. Failed deployment recovery
 * time: elite under an hour, high and medium under a day, low longer (a
 * week to a month); shiplog gives medium the week between. Change failure
 * rate: the report's clusters sit at 5 % (elite), 20 % (high), 10 %
 * (medium) and 40 % (low); their values are used as upper bounds in
 * order, so a lower rate never gets a worse level: at most 5 % elite, 20 %
 * high, 40 % medium. Rework rate, new in 2024, has no levels; neither do
 * the measures that are not DORA's. A level compares the value with the
 * bound: at least it (frequency), else at most it for rates and under it
 * for times. */
const struct sl_dora_threshold sl_dora_thresholds[] = {
	{SL_DM_FREQUENCY, 1, 1.0, 1.0 / 7, 1.0 / 30},
	{SL_DM_LEAD_P50, 0, DAY, 7 * DAY, 30 * DAY},
	{SL_DM_CFR, 0, 0.05, 0.20, 0.40},
	{SL_DM_RECOVERY_P50, 0, HOUR, DAY, 7 * DAY},
};
const size_t sl_dora_thresholds_count =
	sizeof(sl_dora_thresholds) / sizeof(sl_dora_thresholds[0]);

static int is_rate(enum sl_dora_measure m)
{
	return m == SL_DM_CFR || m == SL_DM_REWORK || m == SL_DM_ROLLBACK_RATE;
}

enum sl_dora_level sl_dora_level_of(enum sl_dora_measure m,
				    struct sl_dora_val v)
{
	if (!v.has)
		return SL_DORA_NONE;
	for (size_t i = 0; i < sl_dora_thresholds_count; i++) {
		const struct sl_dora_threshold *t = &sl_dora_thresholds[i];
		const double b[3] = {t->elite, t->high, t->medium};

		if (t->measure != m)
			continue;
		for (int k = 0; k < 3; k++)
			if (t->higher_is_better ? v.v >= b[k]
			    : is_rate(m)	? v.v <= b[k]
						: v.v < b[k])
				return (enum sl_dora_level)(SL_DORA_ELITE + k);
		return SL_DORA_LOW;
	}
	return SL_DORA_NONE;
}

int sl_dora_trend(enum sl_dora_measure m, struct sl_dora_val prev,
		  struct sl_dora_val cur)
{
	if (!prev.has || !cur.has)
		return 2;
	if (cur.v == prev.v)
		return 0;
	return (m == SL_DM_FREQUENCY) == (cur.v > prev.v) ? 1 : -1;
}

/* ---- computing ---- */

struct sample {
	size_t bucket;
	double v;
};

static int cmp_sample(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return (x->v > y->v) - (x->v < y->v);
}

static int cmp_double(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/* A row's sort key, so that sorting needs no shared state: rows in order
 * of place, then success time, then id (ord), or of id alone (byid). */
struct key {
	int64_t a, b, c;
	size_t i;
};

static int cmp_key(const void *x, const void *y)
{
	const struct key *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return (p->c > q->c) - (p->c < q->c);
}

/* Fills idx[0..n) with the row numbers in the order of the keys. */
static void order(const struct sl_dora_dep *deps, size_t n, int by_id,
		  size_t *idx)
{
	struct key *k = sl_xcalloc(n + 1, sizeof(*k));

	for (size_t i = 0; i < n; i++)
		k[i] = by_id ? (struct key){deps[i].id, 0, 0, i}
			     : (struct key){deps[i].place, deps[i].at,
					    deps[i].id, i};
	qsort(k, n, sizeof(*k), cmp_key);
	for (size_t i = 0; i < n; i++)
		idx[i] = k[i].i;
	free(k);
}

/* The nearest-rank percentile p (0..100) of sorted v[0..n). */
static struct sl_dora_val pct(const double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return (struct sl_dora_val){0, 0};
	k = (size_t)ceil(p / 100.0 * (double)n);
	return (struct sl_dora_val){1, v[k ? k - 1 : 0]};
}

static struct sl_dora_val ratio(int64_t a, int64_t b)
{
	return b ? (struct sl_dora_val){1, (double)a / (double)b}
		 : (struct sl_dora_val){0, 0};
}

/* The bucket holding t, nb when none does. */
static size_t bucket_of(int64_t t, const int64_t *starts, const int64_t *ends,
			size_t nb)
{
	size_t lo = 0, hi = nb;

	if (!nb || t < starts[0] || t >= ends[nb - 1])
		return nb;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (starts[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

enum { S_LEAD, S_RECOVERY, S_DURATION, S__COUNT };

/* Fills the percentile measures of st from the samples of one bucket. */
static void fill_pcts(struct sl_dora_stats *st, double *const v[S__COUNT],
		      const size_t k[S__COUNT])
{
	st->m[SL_DM_LEAD_P50] = pct(v[S_LEAD], k[S_LEAD], 50);
	st->m[SL_DM_LEAD_P90] = pct(v[S_LEAD], k[S_LEAD], 90);
	st->m[SL_DM_RECOVERY_P50] = pct(v[S_RECOVERY], k[S_RECOVERY], 50);
	st->m[SL_DM_DURATION_P50] = pct(v[S_DURATION], k[S_DURATION], 50);
	st->m[SL_DM_DURATION_P95] = pct(v[S_DURATION], k[S_DURATION], 95);
}

static void fill_rates(struct sl_dora_stats *st, double days,
		       int64_t rolled_back)
{
	st->m[SL_DM_FREQUENCY] =
		days > 0 ? (struct sl_dora_val){1,
						(double)st->deployments / days}
			 : (struct sl_dora_val){0, 0};
	st->m[SL_DM_CFR] = ratio(st->failed_changes, st->deployments);
	st->m[SL_DM_REWORK] =
		ratio(st->rework, st->deployments + st->rollbacks);
	st->m[SL_DM_ROLLBACK_RATE] = ratio(rolled_back, st->deployments);
}

static int64_t min_set(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

void sl_dora_compute(const struct sl_dora_dep *deps, size_t n,
		     const int64_t *starts, const int64_t *ends,
		     const double *days, size_t nb, struct sl_dora_stats *out,
		     struct sl_dora_stats *all)
{
	size_t *ord = sl_xcalloc(n + 1, sizeof(*ord));
	size_t *byid = sl_xcalloc(n + 1, sizeof(*byid));
	int64_t *fail = sl_xcalloc(n + 1, sizeof(*fail)); /* failure time */
	int64_t *undone = sl_xcalloc(n + 1, sizeof(*undone));
	struct sample *smp[S__COUNT];
	size_t ns[S__COUNT] = {0};
	int64_t *rb_bucket = sl_xcalloc(nb + 1, sizeof(*rb_bucket));
	int64_t rb_all = 0;
	double total_days = 0;

	for (int s = 0; s < S__COUNT; s++)
		smp[s] = sl_xcalloc(n + 1, sizeof(*smp[s]));
	memset(out, 0, nb * sizeof(*out));
	memset(all, 0, sizeof(*all));
	order(deps, n, 0, ord);
	order(deps, n, 1, byid);

	/* A rollback marks the change it undoes as failed, at the time the
	 * rollback was made. */
	for (size_t i = 0; i < n; i++) {
		const struct sl_dora_dep *d = &deps[i];
		size_t lo = 0, hi = n;

		if (!d->rollback_of)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (deps[byid[mid]].id < d->rollback_of)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && deps[byid[lo]].id == d->rollback_of)
			undone[byid[lo]] = min_set(
				undone[byid[lo]],
				d->started_at ? d->started_at : d->created_at);
	}

	for (size_t j = 0; j < n; j++) {
		size_t i = ord[j];
		const struct sl_dora_dep *d = &deps[i];
		const struct sl_dora_dep *next = NULL;
		int64_t end = 0;
		size_t b;

		if (!d->at) {
			int64_t t =
				d->started_at ? d->started_at : d->created_at;

			if (d->rollout_failed &&
			    (b = bucket_of(t, starts, ends, nb)) < nb) {
				out[b].failed_rollouts++;
				all->failed_rollouts++;
			}
			continue;
		}
		b = bucket_of(d->at, starts, ends, nb);
		if (j + 1 < n && deps[ord[j + 1]].place == d->place &&
		    deps[ord[j + 1]].at)
			next = &deps[ord[j + 1]];
		if (b == nb)
			continue;
		if (d->rollback_of) {
			out[b].rollbacks++;
			out[b].rework++;
			all->rollbacks++;
			all->rework++;
			continue;
		}
		out[b].deployments++;
		all->deployments++;
		if (d->hotfix) {
			out[b].rework++;
			all->rework++;
		}
		if (d->commit_at && d->commit_at <= d->at)
			smp[S_LEAD][ns[S_LEAD]++] = (struct sample){
				b, (double)(d->at - d->commit_at) / 1e6};
		if (d->started_at && d->started_at <= d->at)
			smp[S_DURATION][ns[S_DURATION]++] = (struct sample){
				b, (double)(d->at - d->started_at) / 1e6};

		/* Failed: rolled back, failed verification, hotfix-fixed, or
		 * an incident's confirmed cause; it failed at the earliest. */
		if (undone[i] || d->rolled_back) {
			/* A rollback outside the rows read still tells when:
			 * no later than the change's own success. */
			fail[i] = undone[i] ? undone[i] : d->at;
			rb_bucket[b]++;
			rb_all++;
		}
		fail[i] = min_set(fail[i], d->failed_at);
		if (next && next->hotfix && !next->rollback_of)
			fail[i] = min_set(fail[i], d->at);
		fail[i] = min_set(fail[i], d->cause_at);
		if (!fail[i])
			continue;
		out[b].failed_changes++;
		all->failed_changes++;

		/* Recovered: an incident's cause when the incident is
		 * resolved; any other failure at the next deployment of the
		 * service there to reach production after it. */
		if (d->cause_at) {
			end = d->resolved_at;
		} else {
			for (size_t k = j + 1;
			     k < n && deps[ord[k]].place == d->place; k++)
				if (deps[ord[k]].at &&
				    deps[ord[k]].at >= fail[i]) {
					end = deps[ord[k]].at;
					break;
				}
		}
		if (end && end >= fail[i])
			smp[S_RECOVERY][ns[S_RECOVERY]++] = (struct sample){
				b, (double)(end - fail[i]) / 1e6};
		else {
			out[b].unrecovered++;
			all->unrecovered++;
		}
	}

	for (size_t b = 0; b < nb; b++) {
		fill_rates(&out[b], days[b], rb_bucket[b]);
		total_days += days[b];
	}
	fill_rates(all, total_days, rb_all);

	/* Percentiles: samples sorted by bucket then value give each
	 * bucket's sorted run; the period's are all values sorted. */
	{
		double *vals[S__COUNT], *run[S__COUNT];
		size_t at[S__COUNT] = {0};

		for (int s = 0; s < S__COUNT; s++) {
			qsort(smp[s], ns[s], sizeof(*smp[s]), cmp_sample);
			vals[s] = sl_xcalloc(ns[s] + 1, sizeof(double));
		}
		for (size_t b = 0; b < nb; b++) {
			size_t k[S__COUNT];

			for (int s = 0; s < S__COUNT; s++) {
				size_t from = at[s];

				while (at[s] < ns[s] &&
				       smp[s][at[s]].bucket == b) {
					vals[s][at[s]] = smp[s][at[s]].v;
					at[s]++;
				}
				run[s] = vals[s] + from;
				k[s] = at[s] - from;
			}
			fill_pcts(&out[b], run, k);
		}
		for (int s = 0; s < S__COUNT; s++)
			qsort(vals[s], ns[s], sizeof(double), cmp_double);
		fill_pcts(all, vals, ns);
		for (int s = 0; s < S__COUNT; s++)
			free(vals[s]);
	}
	for (int s = 0; s < S__COUNT; s++)
		free(smp[s]);
	free(rb_bucket);
	free(undone);
	free(fail);
	free(byid);
	free(ord);
}
