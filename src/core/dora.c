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
					     "gate_refusal_rate",
					     "approval_wait_p50",
					     "approval_wait_p90",
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
	return m == SL_DM_CFR || m == SL_DM_REWORK ||
	       m == SL_DM_ROLLBACK_RATE || m == SL_DM_REFUSAL_RATE;
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

/* ---- computing ----
 *
 * A whole organisation's history is a million rows, so nothing here sorts
 * all of them: rows are grouped by place with a hash table and each
 * place's few (already nearly in order of time) sorted on their own;
 * percentiles are selected (quickselect), not sorted out. */

/* The k-th smallest of a[0..n) (0-based) moved to a[k], smaller ones
 * before it and larger after. */
static void select_kth(double *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = a[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				double t = a[i];

				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* The nearest-rank percentiles p[0] < p[1] (0..100) of a[0..n), which is
 * reordered. */
static void pcts(double *a, size_t n, const double p[2],
		 struct sl_dora_val out[2])
{
	size_t done = 0;

	for (int i = 0; i < 2; i++) {
		size_t k;

		if (!n) {
			out[i] = (struct sl_dora_val){0, 0};
			continue;
		}
		k = (size_t)ceil(p[i] / 100.0 * (double)n);
		k = k ? k - 1 : 0;
		/* After the first selection everything from a[k0] on is at
		 * least a[k0]: the second searches only there. */
		select_kth(a + done, n - done, k - done);
		out[i] = (struct sl_dora_val){1, a[k]};
		done = k;
	}
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

/* Samples of one kind: values with their bucket, grouped by bucket into
 * runs before the percentiles are taken. */
struct samples {
	size_t n;
	size_t *bucket;
	double *v;
};

static void add(struct samples *s, size_t b, int64_t us)
{
	s->bucket[s->n] = b;
	s->v[s->n++] = (double)us / 1e6;
}

static const double P_LEAD[2] = {50, 90}, P_DUR[2] = {50, 95};

/* Fills the percentile measures of every bucket and of the whole from
 * the samples (consumed). */
static void fill_pcts(struct samples s[S__COUNT], size_t nb,
		      struct sl_dora_stats *out, struct sl_dora_stats *all)
{
	size_t *at = sl_xcalloc(nb + 2, sizeof(*at));

	for (int k = 0; k < S__COUNT; k++) {
		double *run = sl_xcalloc(s[k].n + 1, sizeof(*run));
		struct sl_dora_val v[2];

		/* Counting sort by bucket: at[b] is where bucket b's run
		 * begins. */
		memset(at, 0, (nb + 2) * sizeof(*at));
		for (size_t i = 0; i < s[k].n; i++)
			at[s[k].bucket[i] + 1]++;
		for (size_t b = 0; b < nb; b++)
			at[b + 1] += at[b];
		for (size_t i = 0; i < s[k].n; i++)
			run[at[s[k].bucket[i]]++] = s[k].v[i];
		/* at[b] is now where bucket b's run ends. */
		for (size_t b = 0; b < nb; b++) {
			size_t from = b ? at[b - 1] : 0;

			pcts(run + from, at[b] - from,
			     k == S_DURATION ? P_DUR : P_LEAD, v);
			if (k == S_LEAD) {
				out[b].m[SL_DM_LEAD_P50] = v[0];
				out[b].m[SL_DM_LEAD_P90] = v[1];
			} else if (k == S_RECOVERY) {
				out[b].m[SL_DM_RECOVERY_P50] = v[0];
			} else {
				out[b].m[SL_DM_DURATION_P50] = v[0];
				out[b].m[SL_DM_DURATION_P95] = v[1];
			}
		}
		pcts(run, s[k].n, k == S_DURATION ? P_DUR : P_LEAD, v);
		if (k == S_LEAD) {
			all->m[SL_DM_LEAD_P50] = v[0];
			all->m[SL_DM_LEAD_P90] = v[1];
		} else if (k == S_RECOVERY) {
			all->m[SL_DM_RECOVERY_P50] = v[0];
		} else {
			all->m[SL_DM_DURATION_P50] = v[0];
			all->m[SL_DM_DURATION_P95] = v[1];
		}
		free(run);
	}
	free(at);
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

/* (id, time) pairs: what each rollback undoes and when. */
struct undo {
	int64_t id, at;
};

static int cmp_undo(const void *x, const void *y)
{
	const struct undo *p = x, *q = y;

	return (p->id > q->id) - (p->id < q->id);
}

/* Whether row a comes before row b in a place: by success time, then
 * id. */
static int before(const struct sl_dora_dep *a, const struct sl_dora_dep *b)
{
	return a->at != b->at ? a->at < b->at : a->id < b->id;
}

/* Sorts v[0..n) by before() (merge sort, stable; tmp as long as v):
 * no comparator state, so requests on other threads sort at once. */
static void merge_sort(size_t *v, size_t *tmp, size_t n,
		       const struct sl_dora_dep *deps)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	merge_sort(v, tmp, h, deps);
	merge_sort(v + h, tmp, n - h, deps);
	while (i < h && j < n)
		tmp[k++] = before(&deps[v[j]], &deps[v[i]]) ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* Fills ord with the rows that reached production, grouped by place and
 * in order of success time within each; *nord their number, and
 * group_end[i] the end (exclusive) of the group holding position i. */
static void order_by_place(const struct sl_dora_dep *deps, size_t n,
			   size_t *ord, size_t *nord, size_t *group_end)
{
	size_t cap = 16, ngroups = 0;
	int64_t *keys;
	size_t *slot, *grp, *count, *tmp;

	while (cap < 2 * n)
		cap <<= 1;
	keys = sl_xcalloc(cap, sizeof(*keys));
	slot = sl_xcalloc(cap, sizeof(*slot)); /* group + 1; 0 = empty */
	grp = sl_xcalloc(n + 1, sizeof(*grp));
	count = sl_xcalloc(n + 2, sizeof(*count));
	tmp = sl_xcalloc(n + 1, sizeof(*tmp));
	*nord = 0;
	for (size_t i = 0; i < n; i++) {
		size_t h;

		if (!deps[i].at)
			continue;
		h = (size_t)((uint64_t)deps[i].place * 0x9E3779B97F4A7C15ULL >>
			     17) &
		    (cap - 1);
		while (slot[h] && keys[h] != deps[i].place)
			h = (h + 1) & (cap - 1);
		if (!slot[h]) {
			keys[h] = deps[i].place;
			slot[h] = ++ngroups;
		}
		grp[i] = slot[h] - 1;
		count[grp[i] + 1]++;
		(*nord)++;
	}
	for (size_t g = 0; g < ngroups; g++)
		count[g + 1] += count[g];
	for (size_t i = 0; i < n; i++)
		if (deps[i].at)
			ord[count[grp[i]]++] = i;
	/* count[g] is now group g's end. Rows come in mostly in order of
	 * time: a group already in order is left alone. */
	for (size_t g = 0, from = 0; g < ngroups; from = count[g++]) {
		size_t k = count[g] - from;
		int sorted = 1;

		for (size_t j = from + 1; j < count[g] && sorted; j++)
			sorted = !before(&deps[ord[j]], &deps[ord[j - 1]]);
		if (!sorted)
			merge_sort(ord + from, tmp, k, deps);
		for (size_t j = from; j < count[g]; j++)
			group_end[j] = count[g];
	}
	free(keys);
	free(slot);
	free(grp);
	free(count);
	free(tmp);
}

void sl_dora_compute(const struct sl_dora_dep *deps, size_t n,
		     const int64_t *starts, const int64_t *ends,
		     const double *days, size_t nb, struct sl_dora_stats *out,
		     struct sl_dora_stats *all)
{
	size_t *ord = sl_xcalloc(n + 1, sizeof(*ord));
	size_t *gend = sl_xcalloc(n + 1, sizeof(*gend));
	struct undo *undo = sl_xcalloc(n + 1, sizeof(*undo));
	struct samples smp[S__COUNT];
	int64_t *rb_bucket = sl_xcalloc(nb + 1, sizeof(*rb_bucket));
	int64_t rb_all = 0;
	size_t nord = 0, nundo = 0;
	double total_days = 0;

	for (int k = 0; k < S__COUNT; k++) {
		smp[k].n = 0;
		smp[k].bucket = sl_xcalloc(n + 1, sizeof(size_t));
		smp[k].v = sl_xcalloc(n + 1, sizeof(double));
	}
	memset(out, 0, nb * sizeof(*out));
	memset(all, 0, sizeof(*all));

	/* A rollback marks the change it undoes as failed, at the time the
	 * rollback was made; rollbacks are few, so they are the ones
	 * sorted. */
	for (size_t i = 0; i < n; i++)
		if (deps[i].rollback_of)
			undo[nundo++] = (struct undo){
				deps[i].rollback_of,
				deps[i].started_at ? deps[i].started_at
						   : deps[i].created_at};
	qsort(undo, nundo, sizeof(*undo), cmp_undo);

	/* Failed rollouts never reached production; they are counted where
	 * they started. */
	for (size_t i = 0; i < n; i++) {
		const struct sl_dora_dep *d = &deps[i];
		size_t b;

		if (!d->at && d->rollout_failed &&
		    (b = bucket_of(d->started_at ? d->started_at
						 : d->created_at,
				   starts, ends, nb)) < nb) {
			out[b].failed_rollouts++;
			all->failed_rollouts++;
		}
	}

	order_by_place(deps, n, ord, &nord, gend);
	for (size_t j = 0; j < nord; j++) {
		size_t i = ord[j];
		const struct sl_dora_dep *d = &deps[i];
		const struct sl_dora_dep *next =
			j + 1 < gend[j] ? &deps[ord[j + 1]] : NULL;
		size_t b = bucket_of(d->at, starts, ends, nb);
		int64_t fail = 0, end = 0, undone = 0;

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
			add(&smp[S_LEAD], b, d->at - d->commit_at);
		if (d->started_at && d->started_at <= d->at)
			add(&smp[S_DURATION], b, d->at - d->started_at);

		/* Failed: rolled back, failed verification, hotfix-fixed, or
		 * an incident's confirmed cause; it failed at the earliest. */
		if (nundo) {
			struct undo key = {d->id, 0};
			const struct undo *u = bsearch(&key, undo, nundo,
						       sizeof(*undo), cmp_undo);

			undone = u ? u->at : 0;
		}
		if (undone || d->rolled_back) {
			/* A rollback outside the rows read still tells when:
			 * no later than the change's own success. */
			fail = undone ? undone : d->at;
			rb_bucket[b]++;
			rb_all++;
		}
		fail = min_set(fail, d->failed_at);
		if (next && next->hotfix && !next->rollback_of)
			fail = min_set(fail, d->at);
		fail = min_set(fail, d->cause_at);
		if (!fail)
			continue;
		out[b].failed_changes++;
		all->failed_changes++;

		/* Recovered: an incident's cause when the incident is
		 * resolved; any other failure at the next deployment of the
		 * service there to reach production after it. */
		if (d->cause_at) {
			end = d->resolved_at;
		} else {
			for (size_t k = j + 1; k < gend[j]; k++)
				if (deps[ord[k]].at >= fail) {
					end = deps[ord[k]].at;
					break;
				}
		}
		if (end && end >= fail) {
			add(&smp[S_RECOVERY], b, end - fail);
		} else {
			out[b].unrecovered++;
			all->unrecovered++;
		}
	}

	for (size_t b = 0; b < nb; b++) {
		fill_rates(&out[b], days[b], rb_bucket[b]);
		total_days += days[b];
	}
	fill_rates(all, total_days, rb_all);
	fill_pcts(smp, nb, out, all);
	for (int k = 0; k < S__COUNT; k++) {
		free(smp[k].bucket);
		free(smp[k].v);
	}
	free(rb_bucket);
	free(undo);
	free(gend);
	free(ord);
}

/* ---- the gates: refusals and approval waits ---- */

int64_t sl_dora_approval_wait(const struct sl_dora_approval *a)
{
	int64_t need = a->refused_at && a->refused_at <= a->at ? a->refused_at
							       : a->created_at;

	return a->at >= need ? a->at - need : -1;
}

static void add_refusal(struct sl_dora_stats *st, uint32_t checks)
{
	st->refusals++;
	for (int k = 0; k < SL_DORA_MAX_CHECKS; k++)
		if (checks & (1u << k))
			st->reasons[k]++;
}

void sl_dora_gates(const struct sl_dora_refusal *ref, size_t nref,
		   const struct sl_dora_approval *appr, size_t nappr,
		   const struct sl_dora_dep *deps, size_t n,
		   const int64_t *starts, const int64_t *ends, size_t nb,
		   struct sl_dora_stats *out, struct sl_dora_stats *all)
{
	double *w = sl_xcalloc(nappr + 1, sizeof(*w));
	size_t nw = 0;
	struct sl_dora_val v[2];

	for (size_t i = 0; i < nref; i++) {
		size_t b = bucket_of(ref[i].at, starts, ends, nb);

		if (b == nb)
			continue;
		add_refusal(&out[b], ref[i].checks);
		add_refusal(all, ref[i].checks);
	}
	for (size_t i = 0; i < n; i++) {
		size_t b = deps[i].started_at ? bucket_of(deps[i].started_at,
							  starts, ends, nb)
					      : nb;

		if (b == nb)
			continue;
		out[b].starts++;
		all->starts++;
	}
	for (size_t b = 0; b < nb; b++)
		out[b].m[SL_DM_REFUSAL_RATE] =
			ratio(out[b].refusals, out[b].refusals + out[b].starts);
	all->m[SL_DM_REFUSAL_RATE] =
		ratio(all->refusals, all->refusals + all->starts);

	/* Waits: one per approval, few, so each bucket (nb: the whole
	 * period) gathers its own. */
	for (size_t b = 0; b <= nb; b++) {
		struct sl_dora_stats *st = b < nb ? &out[b] : all;

		nw = 0;
		for (size_t i = 0; i < nappr; i++) {
			int64_t us = sl_dora_approval_wait(&appr[i]);
			size_t ab = bucket_of(appr[i].at, starts, ends, nb);

			if (us >= 0 && ab < nb && (b == nb || ab == b))
				w[nw++] = (double)us / 1e6;
		}
		pcts(w, nw, P_LEAD, v);
		st->m[SL_DM_APPROVAL_WAIT_P50] = v[0];
		st->m[SL_DM_APPROVAL_WAIT_P90] = v[1];
	}
	free(w);
}
