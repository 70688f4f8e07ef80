/* validate.h - field validators and RFC 3339 time.
 *
 * Every validator returns 0 when the value is valid, else -1 and fills err
 * (when not NULL) with SL_EINVAL, the given field name and a sentence
 * saying why. A NULL value is invalid ("is required") except where noted. */
#ifndef SL_CORE_VALIDATE_H
#define SL_CORE_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ : 1..63 characters. */
int sl_valid_slug(const char *s, const char *field, struct sl_error *err);

/* Returns 1 when s[0..len) is valid UTF-8 (no overlong forms, surrogates
 * or code points above U+10FFFF), else 0. */
int sl_valid_utf8(const char *s, size_t len);

/* The length of the valid UTF-8 sequence at s (at most left bytes are
 * read): 1 to 4, or 0 when s does not start one. */
size_t sl_utf8_seq(const char *s, size_t left);

/* Copies s into out (size bytes, at least 1) as valid UTF-8: each byte
 * that does not belong to a valid sequence becomes U+FFFD, and the copy
 * ends on a character boundary when it has to be cut to fit. Returns out.
 * For echoing request text into JSON, which must be valid UTF-8. */
char *sl_utf8_scrub(const char *s, char *out, size_t size);

/* Parses a canonical non-negative decimal integer: "0", or 1 to 18
 * digits without a leading zero, sign or spaces. Returns 0 with *out
 * set, or -1. So "12", and never "012", "+12", " 12" or "12 ". */
int sl_decimal_parse(const char *s, int64_t *out);

/* Checks a raw request target ("/path?key=value&..."), as sent: every
 * '%' is followed by two hex digits, and the decoded path and each
 * decoded query parameter name and value are valid UTF-8 without control
 * characters (so without %00). Returns 0, or -1 with err filled
 * (SL_EMALFORMED; field "path", "query", or the parameter's name). */
int sl_valid_target(const char *raw, struct sl_error *err);

/* Valid UTF-8, at most max bytes, no control characters (below 0x20, or
 * 0x7F) except '\n' and '\t' when allow_newlines. */
int sl_valid_text(const char *s, size_t max, int allow_newlines,
		  const char *field, struct sl_error *err);

/* Exactly 64 hex digits, either case. */
int sl_valid_sha256_hex(const char *s, const char *field, struct sl_error *err);

/* "http://" or "https://" (scheme in any case), a non-empty host, no
 * spaces or control characters, valid UTF-8, at most 2048 bytes. */
int sl_valid_url(const char *s, const char *field, struct sl_error *err);

/* A key=value label of a service or a release. Strings are borrowed. */
struct sl_tag {
	const char *key;
	const char *value;
};

/* ^[a-z0-9][a-z0-9_./-]{0,62}$ */
int sl_valid_tag_key(const char *s, const char *field, struct sl_error *err);

/* Valid UTF-8 without control characters, 0..256 bytes. */
int sl_valid_tag_value(const char *s, const char *field, struct sl_error *err);

/* 7..64 hex digits, either case (an abbreviated or full commit id). */
int sl_valid_commit(const char *s, const char *field, struct sl_error *err);

/* A syntactic IANA zone name: "UTC", or '/'-separated components such as
 * "Europe/Paris" or "America/Argentina/Buenos_Aires", each starting with a
 * letter and made of [A-Za-z0-9_+-]; at most 64 bytes. Existence in the
 * tz database is not checked (that needs I/O). */
int sl_valid_timezone_name(const char *s, const char *field,
			   struct sl_error *err);

/* Parses an RFC 3339 date-time ("2026-11-22T10:00:00Z", "...+02:00",
 * "...10:00:00.5-07:00"; 'T'/'t', 'Z'/'z'; up to 9 fractional digits,
 * truncated to microseconds) into microseconds since the Unix epoch, UTC,
 * stored in *us_out. Years 0000-9999. A leap second (:60) counts as the
 * first second of the next minute. Returns 0, or -1 with err filled. */
int sl_time_parse(const char *s, int64_t *us_out, const char *field,
		  struct sl_error *err);

/* A local wall time "YYYY-MM-DDTHH:MM:SS", exactly that shape: no
 * offset or fraction, a real calendar date, years 1970-9999, no leap
 * second. The message names the shape with an example. */
int sl_valid_local_time(const char *s, const char *field, struct sl_error *err);

#define SL_TIME_BUF 64

/* Formats us (microseconds since the epoch) as RFC 3339 UTC into buf, which
 * holds at least SL_TIME_BUF bytes: "2026-11-22T10:00:00Z" for whole
 * seconds, else "2026-11-22T10:00:00.123456Z". Returns buf. */
char *sl_time_format(int64_t us, char *buf);

#endif
