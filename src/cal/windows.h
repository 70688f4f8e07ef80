/* windows.h - freeze, blackout and maintenance windows in a time zone.
 *
 * A window is fixed (a start and an end) or recurring (an iCalendar RRULE,
 * a first start and a duration), always written in local wall time of an
 * IANA time zone. This module turns a window into UTC occurrences. It is
 * its own layer (src/cal) because it reads the system's time-zone data
 * through libical; it knows nothing of HTTP, SQL or JSON.
 *
 * Time-zone rules (all checked by tests/unit/test_windows.c):
 *  - Every occurrence starts at the local wall time the RRULE produces, so
 *    "every Friday 18:00 Europe/Berlin" is 18:00 local in winter and in
 *    summer (17:00Z and 16:00Z).
 *  - A recurring occurrence ends at its local start plus duration_s on the
 *    wall clock, converted to UTC: "Friday 18:00 for 60 hours" ends on
 *    Monday 06:00 local even when a daylight-saving change falls inside it
 *    (then it lasts 59 or 61 hours of absolute time). A fixed window ends
 *    at its local end.
 *  - A wall time that occurs twice (the hour repeated when clocks go back)
 *    means the second one, in standard time (libical's reading).
 *  - A wall time that does not exist (the hour skipped when clocks go
 *    forward) moves forward by the length of the gap: 02:30 becomes 03:30
 *    on that day only; a nightly 02:30 is 02:30 again the next night.
 *  - The rule's first occurrence is start when start matches the rule,
 *    otherwise the rule's first match after start (as with DTSTART in
 *    iCalendar; COUNT counts occurrences, not start).
 *  - UNTIL is inclusive: a UTC date-time ("...Z") or a local date-time in
 *    the window's zone; a bare date is refused.
 *  - Rules recur at most hourly (SECONDLY and MINUTELY are refused) and
 *    RSCALE is refused: windows use the Gregorian calendar.
 *
 * Work is bounded (SL_WINDOW_MAX_STEPS). Asking about a moment t never
 * walks the series from its start: only occurrences starting in
 * (t - duration, t] can be in force at t, so iteration begins at a copy of
 * the rule whose start is moved forward by whole periods to just before
 * t - duration - 1 day (the day covers any daylight-saving change). The
 * occurrences stepped over before reaching t are then at most those of
 * two periods plus three days, and sl_window_check refuses a rule when an
 * upper bound on that number -- the product of the values of its BY parts
 * that expand a period, times the periods in that span; or its COUNT,
 * since a COUNT series must be counted from its start -- is over
 * SL_WINDOW_MAX_STEPS. "Every minute of every hour" (FREQ=HOURLY;
 * BYMINUTE=0,...,59) steps through about 3,000; every minute of every
 * day of the week in a WEEKLY rule (over 40,000) is refused. */
#ifndef SL_CAL_WINDOWS_H
#define SL_CAL_WINDOWS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/vocab.h" /* enum sl_window_kind */

/* A window as a caller describes it. Every string is borrowed. */
struct sl_window_spec {
	const char *timezone; /* IANA name, e.g. "Europe/Berlin"; "UTC" too */
	const char *start;    /* local wall time "YYYY-MM-DDTHH:MM:SS", no
				 offset: the first occurrence's start */
	const char *end;      /* fixed window: local wall time of the end;
				 NULL for a recurring window */
	int64_t duration_s;   /* recurring: wall-clock length of each
				 occurrence, 1 s .. 366 days; 0 when fixed */
	const char *rrule;    /* RRULE value ("FREQ=WEEKLY;BYDAY=FR"), at
				 most 512 bytes; NULL for a fixed window */
};

/* One occurrence, [start_us, end_us) in UTC microseconds. */
struct sl_occurrence {
	int64_t start_us, end_us;
};

/* The most occurrences one evaluation steps through before its range. */
#define SL_WINDOW_MAX_STEPS 20000

/* Largest accepted duration_s: 366 days. */
#define SL_WINDOW_MAX_DURATION_S (366 * 86400LL)

/* Checks a spec: a known time zone, well-formed start and end, end after
 * start, exactly one of end and rrule, a duration only (and always) with
 * an rrule, an RRULE that has FREQ, that libical accepts (the message says
 * which part is wrong and libical's reason) and that produces at least one
 * occurrence, and that can be evaluated within SL_WINDOW_MAX_STEPS (see
 * above; COUNT at most that). Returns 0, or -1 with err filled (SL_EINVAL;
 * field "timezone", "start", "end", "duration" or "rrule"; a sentence).
 * A rule that never matches (February 31st) costs libical a second or so
 * to rule out; run this when a window is written, not on every read. */
int sl_window_check(const struct sl_window_spec *w, struct sl_error *err);

/* Fills out[0..*n) with the occurrences overlapping [from_us, to_us), in
 * order of start, at most max of them: an occurrence that started before
 * from_us but is still open counts. *n == max means there may be more.
 * Returns 0, or -1 with err filled: the spec's errors as for
 * sl_window_check, field "to" when to_us <= from_us. At most
 * SL_WINDOW_MAX_STEPS + max occurrences are generated; a rule that would
 * need more (only one stored before the bound existed) is -1, field
 * "rrule". */
int sl_window_occurrences(const struct sl_window_spec *w, int64_t from_us,
			  int64_t to_us, struct sl_occurrence *out, size_t max,
			  size_t *n, struct sl_error *err);

/* Finds the occurrence covering t_us (start <= t_us < end); when several
 * overlap, the one that started first. Returns 1 with *occ filled, 0 when
 * none covers t_us, or -1 with err filled as for sl_window_occurrences. */
int sl_window_covering(const struct sl_window_spec *w, int64_t t_us,
		       struct sl_occurrence *occ, struct sl_error *err);

/* For tests: sl_window_occurrences by walking the series from its start
 * with no bound and no skipping ahead, the reference the fast path must
 * agree with. Returns 0, or -1 with err filled for a bad spec. */
int sl__window_occurrences_naive(const struct sl_window_spec *w,
				 int64_t from_us, int64_t to_us,
				 struct sl_occurrence *out, size_t max,
				 size_t *n, struct sl_error *err);

#endif
