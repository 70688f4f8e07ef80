/* validate.c - field validators and RFC 3339 time, without locale or libc
 * time functions so results never depend on the host. */
#include "core/validate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Fills err with SL_EINVAL for field and returns -1; the message is the
 * field name followed by the formatted reason. */
__attribute__((format(printf, 3, 4))) static int
invalid(struct sl_error *err, const char *field, const char *fmt, ...)
{
	char reason[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sl_error_set(err, SL_EINVAL, field, "%s %s", field ? field : "value",
		     reason);
	return -1;
}

int sl_valid_slug(const char *s, const char *field, struct sl_error *err)
{
	size_t len;

	if (!s)
		return invalid(err, field, "is required");
	len = strlen(s);
	if (len == 0)
		return invalid(err, field, "must not be empty");
	if (len > 63)
		return invalid(err, field, "is longer than 63 characters");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-' && i > 0 && i < len - 1)
			continue;
		if (s[i] == '-')
			return invalid(err, field,
				       "must start and end with a lowercase "
				       "letter or digit, not '-'");
		if (!is_lower_alnum(s[i]))
			return invalid(err, field,
				       "may contain only lowercase letters, "
				       "digits and '-' (found byte 0x%02X at "
				       "position %zu)",
				       (unsigned char)s[i], i + 1);
	}
	return 0;
}

size_t sl_utf8_seq(const char *s, size_t left)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c;
	size_t n;
	uint32_t cp, min;

	if (!left)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 1, cp = c & 0x1F, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 2, cp = c & 0x0F, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 3, cp = c & 0x07, min = 0x10000;
	else
		return 0; /* continuation byte, C0/C1, or F5..FF */
	if (left - 1 < n)
		return 0;
	for (size_t k = 1; k <= n; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n + 1;
}

int sl_valid_utf8(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = sl_utf8_seq(s + i, len - i);

		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

char *sl_utf8_scrub(const char *s, char *out, size_t size)
{
	static const char fffd[] = "\xEF\xBF\xBD";
	size_t len = strlen(s), o = 0;

	SL_ASSERT(size > 0);
	for (size_t i = 0; i < len;) {
		size_t n = sl_utf8_seq(s + i, len - i);
		const char *from = s + i;

		if (!n) { /* one bad byte: one replacement character */
			from = fffd;
			i++;
			n = 3;
		} else {
			i += n;
		}
		if (o + n >= size)
			break;
		memcpy(out + o, from, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

int sl_decimal_parse(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t len = s ? strlen(s) : 0;

	if (len == 0 || len > 18 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* Percent-decodes s[0..len) into out (at least len + 1 bytes), '+' as a
 * space when plus; returns the decoded length, or -1 when a '%' is not
 * followed by two hex digits. */
static long decode(const char *s, size_t len, int plus, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			if (len - i < 3 || !is_hex(s[i + 1]) ||
			    !is_hex(s[i + 2]))
				return -1;
			c = (char)((hexval(s[i + 1]) << 4) | hexval(s[i + 2]));
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return (long)o;
}

/* Checks one decoded part of a request target: valid UTF-8 without
 * control characters (so without NUL, which would end the text early).
 * Returns NULL, or why not. */
static const char *part_problem(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0)
			return "holds a NUL byte (%00)";
		if (c < 0x20 || c == 0x7F)
			return "holds a control character";
	}
	if (!sl_valid_utf8(s, len))
		return "is not valid UTF-8";
	return NULL;
}

int sl_valid_target(const char *raw, struct sl_error *err)
{
	size_t plen = strcspn(raw, "?");
	char *buf = sl_xmalloc(strlen(raw) + 1);
	const char *q = raw[plen] ? raw + plen + 1 : NULL;
	const char *why = NULL;
	long n = decode(raw, plen, 0, buf);
	int rc = 0;

	if (n < 0) {
		rc = -1;
		sl_error_set(err, SL_EMALFORMED, "path",
			     "the path has a '%%' that is not followed by two "
			     "hex digits");
		goto out;
	}
	if ((why = part_problem(buf, (size_t)n))) {
		rc = -1;
		sl_error_set(err, SL_EMALFORMED, "path", "the path %s", why);
		goto out;
	}
	while (q && *q) {
		size_t len = strcspn(q, "&"), klen = strcspn(q, "=");
		long kn;

		if (klen > len)
			klen = len;
		kn = decode(q, klen, 1, buf);
		if (kn < 0 || (why = part_problem(buf, (size_t)kn))) {
			rc = -1;
			sl_error_set(err, SL_EMALFORMED, "query",
				     "a query parameter's name %s",
				     kn < 0 ? "has a '%' that is not followed "
					      "by two hex digits"
					    : why);
			goto out;
		}
		if (klen < len) {
			char *v = sl_xmalloc(len - klen);
			long vn = decode(q + klen + 1, len - klen - 1, 1, v);

			if (vn < 0 || (why = part_problem(v, (size_t)vn))) {
				rc = -1;
				sl_error_set(
					err, SL_EMALFORMED, buf,
					"query parameter %s %s", buf,
					vn < 0 ? "has a '%' that is not "
						 "followed by two hex digits"
					       : why);
			}
			free(v);
			if (rc)
				goto out;
		}
		q += len;
		if (*q == '&')
			q++;
	}
out:
	free(buf);
	return rc;
}

int sl_valid_text(const char *s, size_t max, int allow_newlines,
		  const char *field, struct sl_error *err)
{
	size_t len;

	if (!s)
		return invalid(err, field, "is required");
	len = strlen(s);
	if (len > max)
		return invalid(err, field, "is longer than %zu bytes", max);
	if (!sl_valid_utf8(s, len))
		return invalid(err, field, "is not valid UTF-8");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (allow_newlines && (c == '\n' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7F)
			return invalid(err, field,
				       "contains control character 0x%02X at "
				       "byte %zu",
				       c, i + 1);
	}
	return 0;
}

/* Checks that s is between min and max hex digits; what names the value
 * in messages. Returns 0 or -1 with err filled. */
static int check_hex(const char *s, size_t min, size_t max, const char *what,
		     const char *field, struct sl_error *err)
{
	size_t len;

	if (!s)
		return invalid(err, field, "is required");
	len = strlen(s);
	for (size_t i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return invalid(err, field,
				       "must be %s of hex digits; byte %zu is "
				       "not a hex digit",
				       what, i + 1);
	if (len < min || len > max)
		return invalid(err, field, "must be %s of hex digits, not %zu",
			       what, len);
	return 0;
}

int sl_valid_sha256_hex(const char *s, const char *field, struct sl_error *err)
{
	return check_hex(s, 64, 64, "exactly 64", field, err);
}

int sl_valid_commit(const char *s, const char *field, struct sl_error *err)
{
	return check_hex(s, 7, 64, "7 to 64", field, err);
}

/* Returns 1 when s starts with prefix, ignoring ASCII case. */
static int has_prefix_nocase(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *prefix)
			return 0;
	}
	return 1;
}

int sl_valid_url(const char *s, const char *field, struct sl_error *err)
{
	const char *auth, *host, *end;
	size_t len;

	if (!s)
		return invalid(err, field, "is required");
	len = strlen(s);
	if (len > 2048)
		return invalid(err, field, "is longer than 2048 bytes");
	if (has_prefix_nocase(s, "http://"))
		auth = s + 7;
	else if (has_prefix_nocase(s, "https://"))
		auth = s + 8;
	else
		return invalid(err, field,
			       "must start with http:// or https://");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7F)
			return invalid(err, field,
				       "contains a space or control character "
				       "at byte %zu",
				       i + 1);
	}
	if (!sl_valid_utf8(s, len))
		return invalid(err, field, "is not valid UTF-8");

	/* The host is the authority without "userinfo@" and ":port". */
	end = auth + strcspn(auth, "/?#");
	host = auth;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			host = p + 1;
	if (host < end && *host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (!close || close == host + 1)
			return invalid(err, field,
				       "has an empty or "
				       "unterminated IPv6 host");
		return 0;
	}
	if (host == end || *host == ':')
		return invalid(err, field, "has no host after the scheme");
	return 0;
}

int sl_valid_tag_key(const char *s, const char *field, struct sl_error *err)
{
	size_t len;

	if (!s)
		return invalid(err, field, "is required");
	len = strlen(s);
	if (len == 0)
		return invalid(err, field, "must not be empty");
	if (len > 63)
		return invalid(err, field, "is longer than 63 characters");
	if (!is_lower_alnum(s[0]))
		return invalid(err, field,
			       "must start with a lowercase letter or digit");
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		if (!is_lower_alnum(c) && c != '_' && c != '.' && c != '/' &&
		    c != '-')
			return invalid(err, field,
				       "may contain only lowercase letters, "
				       "digits, '_', '.', '/' and '-' (found "
				       "byte 0x%02X at position %zu)",
				       (unsigned char)c, i + 1);
	}
	return 0;
}

int sl_valid_tag_value(const char *s, const char *field, struct sl_error *err)
{
	return sl_valid_text(s, 256, 0, field, err);
}

int sl_valid_timezone_name(const char *s, const char *field,
			   struct sl_error *err)
{
	size_t len;
	int components = 1;

	if (!s)
		return invalid(err, field, "is required");
	len = strlen(s);
	if (strcmp(s, "UTC") == 0)
		return 0;
	if (len == 0)
		return invalid(err, field, "must not be empty");
	if (len > 64)
		return invalid(err, field, "is longer than 64 characters");
	if (strstr(s, ".."))
		return invalid(err, field, "must not contain \"..\"");
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int starts = i == 0 || s[i - 1] == '/';

		if (c == '/') {
			if (starts || i == len - 1)
				return invalid(err, field,
					       "has an empty component");
			components++;
			continue;
		}
		if (starts && !is_alpha(c))
			return invalid(err, field,
				       "has a component that does not start "
				       "with a letter");
		if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '+' &&
		    c != '-')
			return invalid(err, field,
				       "may contain only letters, digits, '_', "
				       "'+', '-' and '/' (found byte 0x%02X)",
				       (unsigned char)c);
	}
	if (components < 2)
		return invalid(err, field,
			       "must be \"UTC\" or an Area/Location name such "
			       "as \"Europe/Paris\"");
	return 0;
}

/* Returns the number of days from 1970-01-01 to y-m-d in the proleptic
 * Gregorian calendar (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Converts days since 1970-01-01 into *y, *m, *d (civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly n digits at *pp into *out and advances *pp. Returns 0, or
 * -1 when a byte is not a digit. */
static int read_digits(const char **pp, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*pp)[i]))
			return -1;
		v = v * 10 + ((*pp)[i] - '0');
	}
	*pp += n;
	*out = v;
	return 0;
}

/* Returns 1 when *p is c and advances past it, else 0. */
static int expect(const char **pp, char c)
{
	if (**pp != c)
		return 0;
	(*pp)++;
	return 1;
}

int sl_time_parse(const char *s, int64_t *us_out, const char *field,
		  struct sl_error *err)
{
	const char *p = s;
	int year, mon, day, hour, min, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, secs;
	int ndigits = 0;

	if (!s)
		return invalid(err, field, "is required");
	if (read_digits(&p, 4, &year) || !expect(&p, '-') ||
	    read_digits(&p, 2, &mon) || !expect(&p, '-') ||
	    read_digits(&p, 2, &day))
		return invalid(err, field,
			       "must be an RFC 3339 date-time such as "
			       "2026-11-22T10:00:00Z (date part is malformed)");
	if (!expect(&p, 'T') && !expect(&p, 't'))
		return invalid(err, field,
			       "must be an RFC 3339 date-time such as "
			       "2026-11-22T10:00:00Z ('T' expected after the "
			       "date)");
	if (read_digits(&p, 2, &hour) || !expect(&p, ':') ||
	    read_digits(&p, 2, &min) || !expect(&p, ':') ||
	    read_digits(&p, 2, &sec))
		return invalid(err, field,
			       "must be an RFC 3339 date-time such as "
			       "2026-11-22T10:00:00Z (time part is malformed)");
	if (expect(&p, '.')) {
		for (; is_digit(*p); p++, ndigits++) {
			if (ndigits >= 9)
				return invalid(err, field,
					       "has more than 9 fractional "
					       "second digits");
			if (ndigits < 6)
				frac = frac * 10 + (*p - '0');
		}
		if (ndigits == 0)
			return invalid(err, field,
				       "has a '.' without fractional digits");
		for (int i = ndigits; i < 6; i++)
			frac *= 10;
	}
	if (expect(&p, 'Z') || expect(&p, 'z')) {
		sign = 0;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (read_digits(&p, 2, &oh) || !expect(&p, ':') ||
		    read_digits(&p, 2, &om))
			return invalid(err, field,
				       "has a malformed UTC offset (expected "
				       "+HH:MM or -HH:MM)");
		if (oh > 23 || om > 59)
			return invalid(err, field,
				       "has a UTC offset out of range");
	} else {
		return invalid(err, field,
			       "must end with 'Z' or a UTC offset such as "
			       "+02:00");
	}
	if (*p)
		return invalid(err, field,
			       "has unexpected characters after the date-time");
	if (mon < 1 || mon > 12)
		return invalid(err, field, "has month %d; expected 01-12", mon);
	if (day < 1 || day > days_in_month(year, mon))
		return invalid(err, field,
			       "has day %d, which %04d-%02d does not have", day,
			       year, mon);
	if (hour > 23)
		return invalid(err, field, "has hour %d; expected 00-23", hour);
	if (min > 59)
		return invalid(err, field, "has minute %d; expected 00-59",
			       min);
	if (sec > 60)
		return invalid(err, field, "has second %d; expected 00-60",
			       sec);

	secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 +
	       min * 60 + sec;
	secs -= (int64_t)sign * (oh * 3600 + om * 60);
	/* An offset can carry a time past the first or last instant of
	 * years 0000-9999, which could not be written back. */
	if (secs < -62167219200LL || secs > 253402300799LL)
		return invalid(err, field,
			       "falls outside the years 0000 to 9999 in UTC");
	*us_out = secs * 1000000 + frac;
	return 0;
}

int sl_valid_local_time(const char *s, const char *field, struct sl_error *err)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	char buf[32];
	int64_t us;

	if (!s)
		return invalid(err, field, "is required");
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			goto bad;
	if (s[sizeof(shape) - 1] != '\0')
		goto bad;
	if (memcmp(s, "1970", 4) < 0 || memcmp(s + 17, "60", 2) >= 0)
		goto bad;
	/* sl_time_parse checks the ranges (month, day of month, hour). */
	snprintf(buf, sizeof(buf), "%sZ", s);
	if (sl_time_parse(buf, &us, field, NULL) != 0)
		goto bad;
	return 0;
bad:
	return invalid(err, field,
		       "must be a local time YYYY-MM-DDTHH:MM:SS such as "
		       "2026-12-24T00:00:00 (no UTC offset; years "
		       "1970-9999), not \"%.40s\"",
		       s);
}

/* Writes v as exactly n decimal digits (v is within range). */
static void put_digits(char *at, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		at[i] = (char)('0' + v % 10);
}

char *sl_time_format(int64_t us, char *buf)
{
	/* Floor division, so times before 1970 get a positive fraction. */
	int64_t secs = us / 1000000, frac = us % 1000000, days, rem, y;
	int m, d;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		if (frac)
			snprintf(buf, SL_TIME_BUF,
				 "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%06dZ",
				 y, m, d, (int)(rem / 3600),
				 (int)(rem / 60 % 60), (int)(rem % 60),
				 (int)frac);
		else
			snprintf(buf, SL_TIME_BUF,
				 "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y,
				 m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
				 (int)(rem % 60));
		return buf;
	}
	/* By hand: this runs for every document and every log line. */
	put_digits(buf, y, 4);
	buf[4] = '-';
	put_digits(buf + 5, m, 2);
	buf[7] = '-';
	put_digits(buf + 8, d, 2);
	buf[10] = 'T';
	put_digits(buf + 11, rem / 3600, 2);
	buf[13] = ':';
	put_digits(buf + 14, rem / 60 % 60, 2);
	buf[16] = ':';
	put_digits(buf + 17, rem % 60, 2);
	if (frac) {
		buf[19] = '.';
		put_digits(buf + 20, frac, 6);
		memcpy(buf + 26, "Z", 2);
	} else {
		memcpy(buf + 19, "Z", 2);
	}
	return buf;
}
