/* buckets.h - calendar buckets (day, ISO week, month) in a time zone.
 *
 * Delivery metrics count per local day, week or month. A bucket starts
 * at local midnight of its first day in the chosen IANA zone, so a day
 * that a daylight-saving change shortens lasts 23 hours of absolute time
 * and one it lengthens 25; a week starts on Monday (ISO 8601). Like
 * windows.h, this layer reads the system's zone data through libical. */
#ifndef SL_CAL_BUCKETS_H
#define SL_CAL_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum sl_cal_unit { SL_CAL_DAY, SL_CAL_WEEK, SL_CAL_MONTH, SL_CAL__COUNT };

/* "day", "week", "month", NULL-terminated, in enum order. */
extern const char *const sl_cal_unit_names[];

/* One bucket: [start_us, end_us) in UTC microseconds, clipped to the
 * range asked for; days is its length on the wall clock in days (a full
 * local day is 1 whatever its absolute length); label is the local date
 * of the whole bucket's first day, "YYYY-MM-DD". */
struct sl_cal_bucket {
	int64_t start_us, end_us;
	double days;
	char label[11];
};

/* The most buckets one call makes. */
#define SL_CAL_MAX_BUCKETS 1000

/* Fills out[0..*n) with the buckets of unit covering [from_us, to_us) in
 * zone tz, in order, the first and last clipped to the range. Returns 0,
 * or -1 with err filled (SL_EINVAL): field "tz" for an unknown zone,
 * "to" when to_us <= from_us, "bucket" when more than max buckets would
 * be needed. */
int sl_cal_buckets(const char *tz, enum sl_cal_unit unit, int64_t from_us,
		   int64_t to_us, struct sl_cal_bucket *out, size_t max,
		   size_t *n, struct sl_error *err);

#endif
