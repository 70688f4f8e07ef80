/* import.c - the rules of an imported record's times and moves, and the
 * CSV reader. */
#include "core/import.h"

#include <stdlib.h>
#include <string.h>

#include "core/rules.h"
#include "core/validate.h"
#include "core/vocab.h"

const char *const sl_import_kind_names[SL_IMP__COUNT + 1] = {
	[SL_IMP_SERVICE] = "service", [SL_IMP_ENVIRONMENT] = "environment",
	[SL_IMP_RELEASE] = "release", [SL_IMP_DEPLOYMENT] = "deployment",
	[SL_IMP_EVENT] = "event",     [SL_IMP__COUNT] = NULL,
};

SL_VOCAB_DEFINE(sl_import_kind, enum sl_import_kind, sl_import_kind_names)

/* The shortest way from `from` to `to` through the deployment machine,
 * without from itself, into path (*n moves); 0 when there is none. A
 * breadth-first walk over the machine's own table, so an import can only
 * take moves the normal routes take. */
static int shortest(enum sl_deploy_status from, enum sl_deploy_status to,
		    enum sl_deploy_status *path, size_t cap, size_t *n)
{
	int prev[SL_DEP__COUNT], seen[SL_DEP__COUNT] = {0};
	enum sl_deploy_status queue[SL_DEP__COUNT];
	size_t head = 0, tail = 0, len = 0;

	queue[tail++] = from;
	seen[from] = 1;
	prev[from] = -1;
	while (head < tail && !seen[to]) {
		enum sl_deploy_status s = queue[head++];

		for (int x = 0; x < SL_DEP__COUNT; x++)
			if (!seen[x] && sl_deploy_can_transition(
						s, (enum sl_deploy_status)x)) {
				seen[x] = 1;
				prev[x] = (int)s;
				queue[tail++] = (enum sl_deploy_status)x;
			}
	}
	if (!seen[to])
		return 0;
	for (int s = (int)to; s != (int)from; s = prev[s])
		len++;
	if (len > cap)
		return 0;
	*n = len;
	for (int s = (int)to; s != (int)from; s = prev[s])
		path[--len] = (enum sl_deploy_status)s;
	return 1;
}

/* The time a move into s takes, from the record's times (0: not given). */
static int64_t step_time(enum sl_deploy_status s,
			 const struct sl_import_times *t, int64_t last)
{
	switch (s) {
	case SL_DEP_IN_PROGRESS:
		return t->started_at;
	case SL_DEP_VERIFIED:
		return t->verified_at ? t->verified_at : t->finished_at;
	case SL_DEP_SUCCEEDED:
	case SL_DEP_FAILED:
	case SL_DEP_CANCELLED:
	case SL_DEP_ROLLED_BACK:
		return t->finished_at;
	default:
		/* A stall has no time of its own: it is noticed after the
		 * last move. */
		return last;
	}
}

/* The record's field that gives a move into s its time. */
static const char *step_field(enum sl_deploy_status s)
{
	return s == SL_DEP_IN_PROGRESS ? "started_at" : "finished_at";
}

static enum sl_err not_after_now(int64_t at, int64_t now, const char *field,
				 struct sl_error *err)
{
	if (at > now + SL_IMPORT_SKEW_US)
		return sl_error_set(err, SL_EINVAL, field,
				    "%s is in the future", field);
	return SL_OK;
}

enum sl_err sl_import_deploy_plan(enum sl_deploy_status final,
				  const struct sl_import_times *t, int64_t now,
				  struct sl_import_step *steps, size_t *n,
				  struct sl_error *err)
{
	static const char *const names[] = {"created_at", "started_at",
					    "finished_at", "verified_at"};
	const int64_t given[] = {t->created_at, t->started_at, t->finished_at,
				 t->verified_at};
	enum sl_deploy_status path[SL_IMPORT_STEPS_MAX];
	struct sl_deploy_times stamped = {0};
	int64_t created = t->created_at, last;
	size_t npath = 0;
	enum sl_err rc;

	*n = 0;
	for (size_t i = 0; i < 4; i++)
		if ((rc = not_after_now(given[i], now, names[i], err)))
			return rc;
	/* Times in order: each one given is at or after the ones before. */
	for (size_t i = 1; i < 4; i++)
		for (size_t j = 0; j < i; j++)
			if (given[i] && given[j] && given[i] < given[j])
				return sl_error_set(err, SL_EINVAL, names[i],
						    "%s is before %s", names[i],
						    names[j]);
	if (!created)
		created = t->started_at ? t->started_at : t->finished_at;
	if (!created)
		return sl_error_set(err, SL_EINVAL, "started_at",
				    "a deployment needs started_at (or "
				    "created_at when it never started)");
	/* Created in_progress when it started as it was created, else
	 * queued first; a deployment that started went through in_progress
	 * (queued may also fail or be cancelled without starting). */
	steps[0].status = t->started_at && t->started_at == created
				  ? SL_DEP_IN_PROGRESS
				  : SL_DEP_QUEUED;
	steps[0].at = created;
	sl_deploy_stamp(&stamped, steps[0].status, created);
	*n = 1;
	if (steps[0].status == SL_DEP_QUEUED && t->started_at) {
		steps[1].status = SL_DEP_IN_PROGRESS;
		steps[1].at = t->started_at;
		sl_deploy_stamp(&stamped, SL_DEP_IN_PROGRESS, t->started_at);
		*n = 2;
	}
	last = steps[*n - 1].at;
	if (final != steps[*n - 1].status &&
	    !shortest(steps[*n - 1].status, final, path,
		      SL_IMPORT_STEPS_MAX - *n, &npath)) {
		*n = 0;
		return sl_error_set(err, SL_EINVAL, "status",
				    "a deployment that started cannot be %s",
				    sl_deploy_status_name(final));
	}
	for (size_t i = 0; i < npath; i++) {
		int64_t at = step_time(path[i], t, last);

		if (!at) {
			*n = 0;
			return sl_error_set(
				err, SL_EINVAL, step_field(path[i]),
				"a %s deployment needs %s (it went through "
				"%s)",
				sl_deploy_status_name(final),
				step_field(path[i]),
				sl_deploy_status_name(path[i]));
		}
		steps[*n].status = path[i];
		steps[*n].at = at;
		++*n;
		sl_deploy_stamp(&stamped, path[i], at);
		last = at;
	}
	/* A time the path never stamps is one this status does not have. */
	if (t->started_at && !stamped.started_at)
		return sl_error_set(err, SL_EINVAL, "started_at",
				    "a %s deployment has not started",
				    sl_deploy_status_name(final));
	if (t->finished_at && !stamped.finished_at && !stamped.verified_at)
		return sl_error_set(err, SL_EINVAL, "finished_at",
				    "a %s deployment has not finished",
				    sl_deploy_status_name(final));
	if (t->verified_at && !stamped.verified_at)
		return sl_error_set(err, SL_EINVAL, "verified_at",
				    "a %s deployment was not verified",
				    sl_deploy_status_name(final));
	return SL_OK;
}

enum sl_err sl_import_event_at(int64_t at, int64_t last, int64_t now,
			       struct sl_error *err)
{
	enum sl_err rc = not_after_now(at, now, "at", err);

	if (rc == SL_OK && at < last)
		rc = sl_error_set(err, SL_EINVAL, "at",
				  "at is before the deployment's last change: "
				  "a timeline is imported in its order");
	return rc;
}

/* ---- CSV ---- */

void sl_csv_init(struct sl_csv *c, const char *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->pos = 0;
	c->line = 1;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		c->pos = 3;
}

void sl_csv_row_fini(struct sl_csv_row *row)
{
	for (size_t i = 0; i < row->n; i++)
		free(row->fields[i]);
	free(row->fields);
	row->fields = NULL;
	row->n = 0;
}

/* Appends the field held in tmp (tlen bytes) to row. */
static int push(struct sl_csv_row *row, const char *tmp, size_t tlen)
{
	char *f;

	if (row->n == SL_CSV_FIELDS_MAX)
		return -1;
	f = sl_xmalloc(tlen + 1);
	memcpy(f, tmp, tlen);
	f[tlen] = '\0';
	row->fields =
		sl_xrealloc(row->fields, (row->n + 1) * sizeof(*row->fields));
	row->fields[row->n++] = f;
	return 0;
}

int sl_csv_next(struct sl_csv *c, struct sl_csv_row *row, struct sl_error *err)
{
	const char *b = c->buf;
	char *tmp = NULL;
	size_t tlen = 0, start_line;
	int rc = -1;

	row->fields = NULL;
	row->n = 0;
	/* Blank lines between records are nothing. */
	while (c->pos < c->len && (b[c->pos] == '\n' || b[c->pos] == '\r')) {
		if (b[c->pos] == '\n')
			c->line++;
		c->pos++;
	}
	if (c->pos >= c->len)
		return 0;
	start_line = c->line;
	row->line = start_line;
	tmp = sl_xmalloc(c->len - c->pos + 1);
	for (;;) {
		tlen = 0;
		if (c->pos < c->len && b[c->pos] == '"') {
			c->pos++;
			for (;;) {
				if (c->pos >= c->len) {
					sl_error_set(err, SL_EMALFORMED, "",
						     "line %zu: a quoted field "
						     "is not closed",
						     start_line);
					goto out;
				}
				if (b[c->pos] == '"') {
					if (c->pos + 1 < c->len &&
					    b[c->pos + 1] == '"') {
						tmp[tlen++] = '"';
						c->pos += 2;
						continue;
					}
					c->pos++;
					break;
				}
				if (b[c->pos] == '\n')
					c->line++;
				if (b[c->pos] == '\0')
					goto nul;
				tmp[tlen++] = b[c->pos++];
			}
		} else {
			while (c->pos < c->len && b[c->pos] != ',' &&
			       b[c->pos] != '\n' && b[c->pos] != '\r') {
				if (b[c->pos] == '\0')
					goto nul;
				if (b[c->pos] == '"') {
					sl_error_set(err, SL_EMALFORMED, "",
						     "line %zu: a quote inside "
						     "an unquoted field",
						     c->line);
					goto out;
				}
				tmp[tlen++] = b[c->pos++];
			}
		}
		if (push(row, tmp, tlen)) {
			sl_error_set(err, SL_EMALFORMED, "",
				     "line %zu: more than %d fields",
				     start_line, SL_CSV_FIELDS_MAX);
			goto out;
		}
		if (c->pos >= c->len)
			break;
		if (b[c->pos] == ',') {
			c->pos++;
			continue;
		}
		if (b[c->pos] == '\r' && c->pos + 1 < c->len &&
		    b[c->pos + 1] == '\n')
			c->pos++;
		if (b[c->pos] == '\n' || b[c->pos] == '\r') {
			if (b[c->pos] == '\n')
				c->line++;
			c->pos++;
			break;
		}
		sl_error_set(err, SL_EMALFORMED, "",
			     "line %zu: text after a closing quote", c->line);
		goto out;
	}
	rc = 1;
	goto out;
nul:
	sl_error_set(err, SL_EMALFORMED, "", "line %zu: a NUL byte", c->line);
out:
	free(tmp);
	if (rc < 0)
		sl_csv_row_fini(row);
	return rc;
}
