/* buckets.c - calendar buckets with libical's zone data. */
#include "cal/buckets.h"

#include <libical/ical.h>
#include <stdio.h>

#include "core/validate.h"

const char *const sl_cal_unit_names[] = {"day", "week", "month", NULL};

/* The wall time of UTC second t in zone, floating (no zone attached). */
static struct icaltimetype wall_of(int64_t t, icaltimezone *zone)
{
	struct icaltimetype w =
		icaltime_from_timet_with_zone((time_t)t, 0, zone);
	w.zone = NULL;
	return w;
}

/* Seconds the wall clock of zone is ahead of UTC at UTC second t. */
static int64_t offset_at(int64_t t, icaltimezone *zone)
{
	return (int64_t)icaltime_as_timet(wall_of(t, zone)) - t;
}

/* The UTC second of a floating wall time read in zone; a midnight that a
 * daylight-saving change skips (none in the zones shiplog knows of
 * changes at midnight, but some did) moves forward past the gap, as in
 * windows.c. */
static int64_t wall_to_s(struct icaltimetype wall, icaltimezone *zone)
{
	time_t t = icaltime_as_timet_with_zone(wall, zone);
	struct icaltimetype back = wall_of((int64_t)t, zone);

	wall.zone = NULL;
	return (int64_t)t + ((int64_t)icaltime_as_timet(wall) -
			     (int64_t)icaltime_as_timet(back));
}

/* The first wall time of the bucket holding wall w. */
static struct icaltimetype truncate_to(struct icaltimetype w,
				       enum sl_cal_unit unit)
{
	w.hour = w.minute = w.second = 0;
	if (unit == SL_CAL_WEEK)
		/* icaltime_day_of_week: 1 = Sunday ... 7 = Saturday. */
		icaltime_adjust(&w, -((icaltime_day_of_week(w) + 5) % 7), 0, 0,
				0);
	else if (unit == SL_CAL_MONTH)
		w.day = 1;
	return w;
}

static struct icaltimetype next_start(struct icaltimetype w,
				      enum sl_cal_unit unit)
{
	if (unit == SL_CAL_DAY)
		icaltime_adjust(&w, 1, 0, 0, 0);
	else if (unit == SL_CAL_WEEK)
		icaltime_adjust(&w, 7, 0, 0, 0);
	else if (++w.month > 12) {
		w.month = 1;
		w.year++;
	}
	return w;
}

int sl_cal_buckets(const char *tz, enum sl_cal_unit unit, int64_t from_us,
		   int64_t to_us, struct sl_cal_bucket *out, size_t max,
		   size_t *n, struct sl_error *err)
{
	icaltimezone *zone;
	struct icaltimetype w;
	int64_t from_s = from_us / 1000000;

	*n = 0;
	if (!tz || sl_valid_timezone_name(tz, "tz", err) != 0 ||
	    !(zone = icaltimezone_get_builtin_timezone(tz))) {
		sl_error_set(err, SL_EINVAL, "tz",
			     "tz \"%s\" is not a known IANA time zone (such as "
			     "Europe/Berlin).",
			     tz ? tz : "");
		return -1;
	}
	if (to_us <= from_us) {
		sl_error_set(err, SL_EINVAL, "to", "to must be after from.");
		return -1;
	}
	w = truncate_to(wall_of(from_s, zone), unit);
	while (1) {
		struct icaltimetype nw = next_start(w, unit);
		int64_t s = wall_to_s(w, zone) * 1000000;
		int64_t e = wall_to_s(nw, zone) * 1000000;
		struct sl_cal_bucket *b;

		if (s >= to_us)
			break;
		if (*n == max) {
			sl_error_set(err, SL_EINVAL, "bucket",
				     "from..to holds more than %zu buckets of "
				     "a %s; choose a wider bucket or a "
				     "shorter range.",
				     max, sl_cal_unit_names[unit]);
			return -1;
		}
		b = &out[(*n)++];
		b->start_us = s < from_us ? from_us : s;
		b->end_us = e > to_us ? to_us : e;
		/* The wall clock's length: absolute seconds plus the change
		 * of offset, so a 23-hour DST day is one day. */
		b->days = ((double)(b->end_us - b->start_us) / 1e6 +
			   (double)(offset_at(b->end_us / 1000000, zone) -
				    offset_at(b->start_us / 1000000, zone))) /
			  86400.0;
		snprintf(b->label, sizeof(b->label), "%04d-%02d-%02d",
			 w.year % 10000, w.month % 100, w.day % 100);
		w = nw;
	}
	return 0;
}
