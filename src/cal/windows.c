/* windows.c - window specs checked and expanded with libical.
 *
 * libical does the calendar work: it parses and expands RRULEs and reads
 * the IANA zones (on Debian from /usr/share/zoneinfo, the tzdata package;
 * its default zone directory, so nothing needs configuring). This file
 * only parses wall times, maps libical's answers to shiplog's errors and
 * turns wall times into UTC microseconds. */
#include "cal/windows.h"

#include <libical/ical.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/validate.h"

#define RRULE_MAX 512

/* Iteration never starts at DTSTART when it need not: it starts at a
 * copy of the rule whose DTSTART is moved forward by whole periods (see
 * skip_start), a day or two of occurrences before the range. What that
 * costs is bounded by step_bound, and rules over SL_WINDOW_MAX_STEPS are
 * refused when written. */
#define DAY_S 86400LL

/* Fills err (when not NULL) with SL_EINVAL, field and the formatted
 * sentence, and returns -1, the failure value of every function here. */
__attribute__((format(printf, 3, 4))) static int
invalid(struct sl_error *err, const char *field, const char *fmt, ...)
{
	char msg[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_error_set(err, SL_EINVAL, field, "%s", msg);
	return -1;
}

/* A spec after its cheap checks: the zone, the wall times as floating
 * libical times (read in zone only when converted to UTC), and the rule.
 * The iterator gets floating times because, given a zone, libical moves a
 * start that falls in a skipped hour and then keeps the moved time for
 * every later occurrence (a nightly 02:30 becomes 03:30 for good); UNTIL
 * is therefore taken out of the rule and applied here, in UTC. */
struct plan {
	icaltimezone *zone;
	struct icaltimetype start;
	struct icaltimetype end; /* fixed windows only */
	int recurring;
	int64_t duration_s;
	struct icalrecurrencetype rule;
	int64_t until_us; /* last allowed start; INT64_MAX when none */
	int64_t period_s; /* shortest length of one period of the rule */
};

/* Parses "YYYY-MM-DDTHH:MM:SS" (exactly that shape, years 1970-9999, a
 * real calendar date, no leap second) into a floating libical time.
 * Returns 0, or -1 with err filled for field. */
static int parse_wall(const char *s, const char *field,
		      struct icaltimetype *out, struct sl_error *err)
{
	char buf[32];
	int64_t us;

	if (!s)
		return invalid(err, field, "%s is required.", field);
	if (sl_valid_local_time(s, field, err) != 0)
		return -1;
	snprintf(buf, sizeof(buf), "%sZ", s);
	if (sl_time_parse(buf, &us, field, err) != 0)
		return -1;
	*out = icaltime_from_timet_with_zone((time_t)(us / 1000000), 0, NULL);
	out->zone = NULL;
	return 0;
}

/* Seconds between two wall times, read as if both were UTC. */
static int64_t wall_diff(struct icaltimetype a, struct icaltimetype b)
{
	a.zone = NULL;
	b.zone = NULL;
	return (int64_t)icaltime_as_timet(a) - (int64_t)icaltime_as_timet(b);
}

/* The UTC instant, in microseconds, of a floating wall time read in zone.
 * libical reads a wall time that the clocks skip with the offset after the
 * change, which lands before the gap; moving it forward by the amount the
 * round trip missed puts it after the gap (02:30 -> 03:30). A repeated
 * wall time round-trips unchanged: libical reads it in standard time. */
static int64_t wall_to_us(struct icaltimetype wall, icaltimezone *zone)
{
	time_t t = icaltime_as_timet_with_zone(wall, zone);
	struct icaltimetype back = icaltime_from_timet_with_zone(t, 0, zone);

	return ((int64_t)t + wall_diff(wall, back)) * 1000000;
}

/* Whether an RRULE part's name is name (RRULE names are case-blind). */
static int part_is(const char *part, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(part, name, n) == 0 && part[n] == '=';
}

/* Explains why libical refused rrule: the first part that is not
 * NAME=VALUE, an unknown FREQ, the first part libical refuses on its own
 * (tried after "FREQ=YEARLY;", the frequency every part may go with), or
 * the combination. Always fills err and returns -1. */
static int explain_rrule(const char *rrule, struct sl_error *err)
{
	char buf[RRULE_MAX + 1], probe[RRULE_MAX + 16], *save = NULL;
	int count = 0, until = 0;

	snprintf(buf, sizeof(buf), "%s", rrule);
	for (char *p = strtok_r(buf, ";", &save); p;
	     p = strtok_r(NULL, ";", &save)) {
		const char *eq = strchr(p, '=');

		if (!eq || eq == p)
			return invalid(err, "rrule",
				       "rrule part \"%.60s\" is not "
				       "NAME=VALUE.",
				       p);
		if (part_is(p, "FREQ")) {
			if (icalrecur_string_to_freq(eq + 1) ==
			    ICAL_NO_RECURRENCE)
				return invalid(err, "rrule",
					       "FREQ=%.40s is not a frequency; "
					       "use HOURLY, DAILY, WEEKLY, "
					       "MONTHLY or YEARLY.",
					       eq + 1);
			continue;
		}
		count |= part_is(p, "COUNT");
		until |= part_is(p, "UNTIL");
		snprintf(probe, sizeof(probe), "FREQ=YEARLY;%s", p);
		icalerrno = ICAL_NO_ERROR;
		(void)icalrecurrencetype_from_string(probe);
		if (icalerrno != ICAL_NO_ERROR)
			return invalid(err, "rrule",
				       "rrule part \"%.60s\" is not "
				       "valid (libical: %s).",
				       p, icalerror_strerror(icalerrno));
	}
	if (count && until)
		return invalid(err, "rrule",
			       "rrule may not have both COUNT and "
			       "UNTIL.");
	return invalid(err, "rrule", "libical rejects the rrule: %s.",
		       icalerror_strerror(ICAL_MALFORMEDDATA_ERROR));
}

/* The number of values in one of libical's BY arrays. */
static int64_t by_len(const short *a, size_t size)
{
	size_t n = 0;

	while (n < size && a[n] != ICAL_RECURRENCE_ARRAY_MAX)
		n++;
	return (int64_t)n;
}

#define BY_LEN(r, part) by_len((r)->part, sizeof((r)->part) / sizeof(short))

/* At most how many days of a month (yearly: of a year without BYMONTH,
 * per_weekday 53) BYMONTHDAY and BYDAY select: an ordinal weekday ("2MO",
 * "-1FR") is one day, a plain one up to per_weekday days. */
static int64_t days_selected(const struct icalrecurrencetype *r,
			     int64_t per_weekday)
{
	int64_t md = BY_LEN(r, by_month_day), bd = 0, n;

	for (int64_t i = 0; i < BY_LEN(r, by_day); i++)
		bd += icalrecurrencetype_day_position(r->by_day[i])
			      ? 1
			      : per_weekday;
	n = md && bd ? (md < bd ? md : bd) : md ? md : bd ? bd : 1;
	return n;
}

/* An upper bound on the occurrences one period of the rule produces:
 * the BY parts that expand (BYSECOND, BYMINUTE, BYHOUR below their
 * frequency; the days a week, month or year selects) multiplied. Parts
 * that only filter, and BYSETPOS, can only lower the real number. */
static int64_t per_period_bound(const struct icalrecurrencetype *r)
{
	int64_t n = 1, days = 1;

#define TIMES(part) (BY_LEN(r, part) ? BY_LEN(r, part) : 1)
	n *= TIMES(by_second) * TIMES(by_minute);
	if (r->freq == ICAL_HOURLY_RECURRENCE)
		return n;
	n *= TIMES(by_hour);
#undef TIMES
	switch (r->freq) {
	case ICAL_DAILY_RECURRENCE:
		days = 1;
		break;
	case ICAL_WEEKLY_RECURRENCE:
		days = BY_LEN(r, by_day) ? BY_LEN(r, by_day) : 1;
		days = days > 7 ? 7 : days;
		break;
	case ICAL_MONTHLY_RECURRENCE:
		days = BY_LEN(r, by_year_day) || BY_LEN(r, by_week_no)
			       ? 31
			       : days_selected(r, 5);
		break;
	default: /* yearly */
		if (BY_LEN(r, by_year_day))
			days = BY_LEN(r, by_year_day);
		else if (BY_LEN(r, by_week_no))
			days = BY_LEN(r, by_week_no) * 7;
		else if (BY_LEN(r, by_month))
			days = BY_LEN(r, by_month) * days_selected(r, 5);
		else if (BY_LEN(r, by_month_day) || BY_LEN(r, by_day))
			days = BY_LEN(r, by_month_day)
				       ? 12 * days_selected(r, 5)
				       : days_selected(r, 53);
		break;
	}
	if (r->freq == ICAL_MONTHLY_RECURRENCE && days > 31)
		days = 31;
	if (days > 366)
		days = 366;
	return n * days;
}

/* The shortest length of one period of the rule, in seconds. */
static int64_t period_of(const struct icalrecurrencetype *r)
{
	static const int64_t unit[] = {
		[ICAL_HOURLY_RECURRENCE] = 3600,
		[ICAL_DAILY_RECURRENCE] = DAY_S,
		[ICAL_WEEKLY_RECURRENCE] = 7 * DAY_S,
		[ICAL_MONTHLY_RECURRENCE] = 28 * DAY_S,
		[ICAL_YEARLY_RECURRENCE] = 365 * DAY_S,
	};

	return unit[r->freq] * (r->interval > 0 ? r->interval : 1);
}

/* The most occurrences one evaluation generates before it reaches its
 * range (see windows.h): with COUNT, COUNT; otherwise what the periods
 * from skip_start's start (at most two periods before the first start
 * that matters) through the day of margin and the day a daylight-saving
 * change can shift an end may hold. */
static int64_t step_bound(const struct icalrecurrencetype *r)
{
	int64_t period = period_of(r);

	if (r->count > 0)
		return r->count;
	return per_period_bound(r) * (3 + (2 * DAY_S + period - 1) / period);
}

/* Parses and checks rrule into p->rule: everything but "does it ever
 * produce an occurrence". Returns 0, or -1 with err filled. */
static int parse_rrule(const char *rrule, struct plan *p, struct sl_error *err)
{
	const char *s;
	int has_freq = 0;
	icalrecur_iterator *it;

	if (sl_valid_text(rrule, RRULE_MAX, 0, "rrule", err) != 0)
		return -1;
	/* RSCALE makes libical allocate a string the rule does not free; it
	 * is refused before libical sees it. FREQ's absence is not an error
	 * to libical, so it is looked for here. */
	for (s = rrule; s; s = strchr(s, ';')) {
		s += *s == ';';
		if (part_is(s, "RSCALE"))
			return invalid(err, "rrule",
				       "RSCALE is not supported; windows "
				       "use the Gregorian calendar.");
		has_freq |= part_is(s, "FREQ");
	}
	if (!has_freq)
		return invalid(err, "rrule",
			       "rrule needs a FREQ part, e.g. "
			       "\"FREQ=WEEKLY;BYDAY=FR\".");
	icalerrno = ICAL_NO_ERROR;
	p->rule = icalrecurrencetype_from_string(rrule);
	if (icalerrno != ICAL_NO_ERROR || p->rule.freq == ICAL_NO_RECURRENCE)
		return explain_rrule(rrule, err);
	if (p->rule.freq < ICAL_HOURLY_RECURRENCE)
		return invalid(err, "rrule",
			       "FREQ=%s is too frequent; a window recurs "
			       "at most hourly.",
			       icalrecur_freq_to_string(p->rule.freq));
	/* An hourly rule filtered by month, day of month, day of year or
	 * week number can take libical millions of steps to find (or rule
	 * out) its next hour; a daily or weekly rule says the same thing
	 * cheaply. */
	if (p->rule.freq == ICAL_HOURLY_RECURRENCE &&
	    (p->rule.by_month[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	     p->rule.by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	     p->rule.by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	     p->rule.by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX))
		return invalid(err, "rrule",
			       "an hourly rrule may filter by BYDAY and BYHOUR "
			       "only; use FREQ=DAILY or coarser with "
			       "BYMONTH, BYMONTHDAY, BYYEARDAY or BYWEEKNO.");
	if (p->rule.count > SL_WINDOW_MAX_STEPS)
		return invalid(err, "rrule",
			       "COUNT=%d is too many; a window may have at "
			       "most %d occurrences (or use UNTIL).",
			       p->rule.count, SL_WINDOW_MAX_STEPS);
	if (step_bound(&p->rule) > SL_WINDOW_MAX_STEPS)
		return invalid(err, "rrule",
			       "The rrule is too dense to evaluate: checking "
			       "one moment may step through up to %lld "
			       "occurrences (%lld per %s period), more than "
			       "the limit of %d; use fewer BY values or a "
			       "FREQ that lists them.",
			       (long long)step_bound(&p->rule),
			       (long long)per_period_bound(&p->rule),
			       icalrecur_freq_to_string(p->rule.freq),
			       SL_WINDOW_MAX_STEPS);
	p->period_s = period_of(&p->rule);
	if (!icaltime_is_null_time(p->rule.until)) {
		if (p->rule.until.is_date)
			return invalid(err, "rrule",
				       "UNTIL must be a date-time such as "
				       "20261231T230000Z, not a date.");
		/* A local UNTIL is a wall time in the window's zone. */
		if (icaltime_is_utc(p->rule.until))
			p->until_us =
				(int64_t)icaltime_as_timet(p->rule.until) *
				1000000;
		else
			p->until_us = wall_to_us(p->rule.until, p->zone);
		p->rule.until = icaltime_null_time();
	}
	/* libical refuses some parsed rules only when asked to expand them
	 * (BYMONTHDAY=30 in February of a yearly rule, say). */
	icalerrno = ICAL_NO_ERROR;
	it = icalrecur_iterator_new(p->rule, p->start);
	if (!it)
		return invalid(err, "rrule",
			       "libical cannot expand the rrule: %s.",
			       icalerror_strerror(icalerrno));
	icalrecur_iterator_free(it);
	return 0;
}

/* Runs every check that costs no expansion and fills *p. Returns 0, or -1
 * with err filled. */
static int plan_build(const struct sl_window_spec *w, struct plan *p,
		      struct sl_error *err)
{
	int64_t s_us, e_us;

	SL_ASSERT(w != NULL);
	memset(p, 0, sizeof(*p));
	p->until_us = INT64_MAX;
	if (sl_valid_timezone_name(w->timezone, "timezone", err) != 0)
		return -1;
	p->zone = icaltimezone_get_builtin_timezone(w->timezone);
	if (!p->zone)
		return invalid(err, "timezone",
			       "timezone \"%s\" is not a known IANA "
			       "time zone (such as Europe/Berlin).",
			       w->timezone);
	if (parse_wall(w->start, "start", &p->start, err) != 0)
		return -1;
	if (w->end && w->rrule)
		return invalid(err, "end",
			       "A window has either an end (fixed) or an "
			       "rrule (recurring), not both.");
	if (!w->end && !w->rrule)
		return invalid(err, "end",
			       "A window needs an end (fixed) or an "
			       "rrule and a duration (recurring).");
	if (w->end) {
		if (w->duration_s != 0)
			return invalid(err, "duration",
				       "A fixed window takes no duration; "
				       "it lasts from start to end.");
		if (parse_wall(w->end, "end", &p->end, err) != 0)
			return -1;
		s_us = wall_to_us(p->start, p->zone);
		e_us = wall_to_us(p->end, p->zone);
		if (e_us <= s_us)
			return invalid(err, "end",
				       "end %s must be after start %s.", w->end,
				       w->start);
		return 0;
	}
	if (w->duration_s <= 0 || w->duration_s > SL_WINDOW_MAX_DURATION_S)
		return invalid(err, "duration",
			       "duration must be 1 to %lld seconds (366 "
			       "days), not %lld.",
			       SL_WINDOW_MAX_DURATION_S,
			       (long long)w->duration_s);
	p->recurring = 1;
	p->duration_s = w->duration_s;
	return parse_rrule(w->rrule, p, err);
}

/* Called for each occurrence in order; returns nonzero to stop. */
typedef int (*occ_fn)(void *ctx, const struct sl_occurrence *o);

/* One occurrence from its local start: the end is the wall-clock start
 * plus the duration (see windows.h). When the start sat in a skipped hour
 * and moved past a short end, the occurrence keeps its absolute length. */
static struct sl_occurrence occurrence_at(const struct plan *p,
					  struct icaltimetype wall)
{
	struct sl_occurrence o;
	struct icaltimetype end = wall;

	icaltime_adjust(&end, 0, 0, 0, (int)p->duration_s);
	o.start_us = wall_to_us(wall, p->zone);
	o.end_us = wall_to_us(end, p->zone);
	if (o.end_us <= o.start_us)
		o.end_us = o.start_us + p->duration_s * 1000000;
	return o;
}

/* A DTSTART for iterating the rule from lo on: the window's start moved
 * forward by whole periods (INTERVAL times the frequency's unit) to at
 * least one period before lo, so the rule's phase, the defaults libical
 * takes from DTSTART (the time of day, the weekday, the day of the month
 * and the month) and every occurrence from one period after it on are
 * those of the window's own series. Hours, days and weeks are whole
 * numbers of wall-clock seconds (libical iterates floating times); months
 * and years keep the day of the month, stepping back a period when the
 * target month lacks it (the 31st, February 29th). COUNT rules count from
 * the real start and are never moved. Returns the window's start when lo
 * is not at least two periods after it. */
static struct icaltimetype skip_start(const struct plan *p,
				      struct icaltimetype lo)
{
	struct icaltimetype s = p->start, t;
	int64_t interval = p->rule.interval > 0 ? p->rule.interval : 1, k;

	if (p->rule.count > 0)
		return s;
	switch (p->rule.freq) {
	case ICAL_HOURLY_RECURRENCE:
	case ICAL_DAILY_RECURRENCE:
	case ICAL_WEEKLY_RECURRENCE: {
		int64_t diff = wall_diff(lo, s), shift;

		if (diff < 2 * p->period_s)
			return s;
		k = diff / p->period_s - 1;
		shift = k * p->period_s; /* whole hours */
		icaltime_adjust(&s, (int)(shift / DAY_S),
				(int)(shift % DAY_S / 3600), 0, 0);
		return s;
	}
	case ICAL_MONTHLY_RECURRENCE:
		k = ((int64_t)(lo.year - s.year) * 12 + lo.month - s.month -
		     1) / interval -
		    1;
		for (; k > 0; k--) {
			int64_t m = s.month - 1 + k * interval;

			t = s;
			t.year = s.year + (int)(m / 12);
			t.month = (int)(m % 12) + 1;
			if (t.day <= icaltime_days_in_month(t.month, t.year))
				return t;
		}
		return s;
	default: /* yearly */
		k = (lo.year - s.year - 1) / interval - 1;
		for (; k > 0; k--) {
			t = s;
			t.year = s.year + (int)(k * interval);
			if (t.day <= icaltime_days_in_month(t.month, t.year))
				return t;
		}
		return s;
	}
}

/* Calls fn for each occurrence overlapping [from_us, to_us), in order,
 * until it returns nonzero; outputs is how many calls the caller may
 * want. With skip, iteration starts from skip_start a day of margin before
 * the earliest start whose occurrence could still be open at from_us, and
 * gives up (-1, err filled) past SL_WINDOW_MAX_STEPS + outputs steps,
 * which a rule sl_window_check accepted never needs. Without skip it
 * walks from the window's start with no limit (the reference the tests
 * compare against). Returns 0 or -1. */
static int expand(const struct plan *p, int64_t from_us, int64_t to_us,
		  occ_fn fn, void *ctx, size_t outputs, int skip,
		  struct sl_error *err)
{
	struct sl_occurrence o;
	struct icaltimetype wall, first = p->start;
	icalrecur_iterator *it;
	int rc = 0;
	int64_t steps = 0, limit = SL_WINDOW_MAX_STEPS + (int64_t)outputs;

	if (!p->recurring) {
		o.start_us = wall_to_us(p->start, p->zone);
		o.end_us = wall_to_us(p->end, p->zone);
		if (o.start_us < to_us && o.end_us > from_us)
			(void)fn(ctx, &o);
		return 0;
	}
	if (skip) {
		/* An occurrence whose wall-clock end is a day or more
		 * before from's wall time ends before from: no zone moves
		 * its clocks by more than a day. */
		struct icaltimetype lo = icaltime_from_timet_with_zone(
			(time_t)(from_us / 1000000), 0, p->zone);

		lo.zone = NULL;
		icaltime_adjust(&lo, -1, 0, 0, 0);
		icaltime_adjust(&lo, (int)(-p->duration_s / DAY_S), 0, 0,
				(int)(-p->duration_s % DAY_S));
		first = skip_start(p, lo);
	}
	it = icalrecur_iterator_new(p->rule, first);
	SL_ASSERT(it != NULL); /* plan_build made one from the same rule */
	for (;;) {
		wall = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(wall))
			break;
		if (skip && ++steps > limit) {
			rc = invalid(err, "rrule",
				     "The rrule needed more than %lld steps "
				     "to reach the range.",
				     (long long)limit);
			break;
		}
		o = occurrence_at(p, wall);
		if (o.start_us >= to_us || o.start_us > p->until_us)
			break;
		if (o.end_us > from_us && fn(ctx, &o))
			break;
	}
	icalrecur_iterator_free(it);
	return rc;
}

int sl_window_check(const struct sl_window_spec *w, struct sl_error *err)
{
	struct plan p;
	icalrecur_iterator *it;
	struct icaltimetype first;

	if (plan_build(w, &p, err) != 0)
		return -1;
	if (!p.recurring)
		return 0;
	it = icalrecur_iterator_new(p.rule, p.start);
	SL_ASSERT(it != NULL);
	first = icalrecur_iterator_next(it);
	icalrecur_iterator_free(it);
	if (icaltime_is_null_time(first) ||
	    wall_to_us(first, p.zone) > p.until_us)
		return invalid(err, "rrule",
			       "The rrule produces no occurrence at or "
			       "after start %s.",
			       w->start);
	return 0;
}

struct collect {
	struct sl_occurrence *out;
	size_t max, n;
};

static int collect_one(void *ctx, const struct sl_occurrence *o)
{
	struct collect *c = ctx;

	c->out[c->n++] = *o;
	return c->n == c->max;
}

int sl_window_occurrences(const struct sl_window_spec *w, int64_t from_us,
			  int64_t to_us, struct sl_occurrence *out, size_t max,
			  size_t *n, struct sl_error *err)
{
	struct plan p;
	struct collect c = {out, max, 0};

	SL_ASSERT(n != NULL && (out != NULL || max == 0));
	*n = 0;
	if (plan_build(w, &p, err) != 0)
		return -1;
	if (to_us <= from_us)
		return invalid(err, "to",
			       "The range's end must be after its "
			       "start.");
	if (max == 0)
		return 0;
	if (expand(&p, from_us, to_us, collect_one, &c, max, 1, err) != 0)
		return -1;
	*n = c.n;
	return 0;
}

int sl__window_occurrences_naive(const struct sl_window_spec *w,
				 int64_t from_us, int64_t to_us,
				 struct sl_occurrence *out, size_t max,
				 size_t *n, struct sl_error *err)
{
	struct plan p;
	struct collect c = {out, max, 0};

	*n = 0;
	if (plan_build(w, &p, err) != 0)
		return -1;
	if (to_us <= from_us || max == 0)
		return 0;
	(void)expand(&p, from_us, to_us, collect_one, &c, max, 0, err);
	*n = c.n;
	return 0;
}

static int take_first(void *ctx, const struct sl_occurrence *o)
{
	struct collect *c = ctx;

	c->out[0] = *o;
	c->n = 1;
	return 1;
}

int sl_window_covering(const struct sl_window_spec *w, int64_t t_us,
		       struct sl_occurrence *occ, struct sl_error *err)
{
	struct plan p;
	struct collect c = {occ, 1, 0};

	SL_ASSERT(occ != NULL);
	if (plan_build(w, &p, err) != 0)
		return -1;
	if (t_us == INT64_MAX)
		return 0;
	/* Every occurrence overlapping [t, t + 1us) covers t. */
	if (expand(&p, t_us, t_us + 1, take_first, &c, 1, 1, err) != 0)
		return -1;
	return c.n == 1;
}
