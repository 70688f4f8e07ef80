/* semver.c - Semantic Versioning 2.0.0 parsing, precedence and sort keys. */
#include "core/semver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_ident_char(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || c == '-';
}

/* Writes a quoted, printable description of byte c into buf ("'x'" or
 * "byte 0x07") for error messages, and returns buf. */
static const char *describe_char(char c, char *buf, size_t size)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7F)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02X", u);
	return buf;
}

/* Reads one of MAJOR, MINOR or PATCH at *pp into *out and advances *pp past
 * the digits. Returns SL_OK or SL_EINVAL with err filled. */
static enum sl_err parse_core_number(const char **pp, const char *what,
				     uint64_t *out, struct sl_error *err)
{
	const char *p = *pp;
	uint64_t n = 0;
	char cbuf[16];

	if (!is_digit(*p)) {
		if (*p == '\0' || *p == '.' || *p == '-' || *p == '+')
			return sl_error_set(err, SL_EINVAL, "version",
					    "%s version is missing; expected "
					    "MAJOR.MINOR.PATCH",
					    what);
		return sl_error_set(err, SL_EINVAL, "version",
				    "invalid character %s in %s version",
				    describe_char(*p, cbuf, sizeof(cbuf)),
				    what);
	}
	if (p[0] == '0' && is_digit(p[1]))
		return sl_error_set(err, SL_EINVAL, "version",
				    "%s version has a leading zero", what);
	for (; is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return sl_error_set(
				err, SL_EINVAL, "version",
				"%s version is larger than %" PRIu64, what,
				UINT64_MAX);
		n = n * 10 + d;
	}
	*out = n;
	*pp = p;
	return SL_OK;
}

/* Checks the dot-separated identifiers in [s, s + len): non-empty, only
 * [0-9A-Za-z-], and for pre-release no leading zero in numeric ones.
 * Returns SL_OK or SL_EINVAL with err filled. */
static enum sl_err check_idents(const char *s, size_t len, int is_pre,
				struct sl_error *err)
{
	const char *what = is_pre ? "pre-release" : "build metadata";
	size_t i = 0, start = 0;
	int index = 1;
	char cbuf[16];

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!is_ident_char(s[i]))
				return sl_error_set(
					err, SL_EINVAL, "version",
					"invalid character %s in %s",
					describe_char(s[i], cbuf, sizeof(cbuf)),
					what);
			continue;
		}
		if (i == start)
			return sl_error_set(err, SL_EINVAL, "version",
					    "%s identifier %d is empty", what,
					    index);
		if (is_pre && i - start > 1 && s[start] == '0') {
			size_t j = start;

			while (j < i && is_digit(s[j]))
				j++;
			if (j == i)
				return sl_error_set(err, SL_EINVAL, "version",
						    "pre-release identifier %d "
						    "has a leading zero",
						    index);
		}
		start = i + 1;
		index++;
	}
	return SL_OK;
}

enum sl_err sl_semver_parse(const char *s, struct sl_semver *out,
			    struct sl_error *err)
{
	static const char *const parts[] = {"major", "minor", "patch"};
	uint64_t nums[3];
	const char *p = s, *pre = NULL, *build = NULL;
	size_t pre_len = 0, build_len = 0, len;
	char cbuf[16];
	enum sl_err rc;

	out->major = out->minor = out->patch = 0;
	out->pre = out->build = NULL;

	if (!s || !*s)
		return sl_error_set(err, SL_EINVAL, "version",
				    "version is empty; expected "
				    "MAJOR.MINOR.PATCH");
	len = strnlen(s, SL_SEMVER_MAX_LEN + 1);
	if (len > SL_SEMVER_MAX_LEN)
		return sl_error_set(err, SL_EINVAL, "version",
				    "version is longer than %d characters",
				    SL_SEMVER_MAX_LEN);
	if (s[0] == 'v' || s[0] == 'V')
		return sl_error_set(err, SL_EINVAL, "version",
				    "version must not start with '%c'; write "
				    "MAJOR.MINOR.PATCH such as 1.2.3",
				    s[0]);

	for (int i = 0; i < 3; i++) {
		rc = parse_core_number(&p, parts[i], &nums[i], err);
		if (rc)
			return rc;
		if (i < 2) {
			if (*p == '.') {
				p++;
				continue;
			}
			if (*p == '\0' || *p == '-' || *p == '+')
				return sl_error_set(
					err, SL_EINVAL, "version",
					"expected MAJOR.MINOR.PATCH, but the "
					"%s version is missing",
					parts[i + 1]);
			return sl_error_set(
				err, SL_EINVAL, "version",
				"invalid character %s in %s version",
				describe_char(*p, cbuf, sizeof(cbuf)),
				parts[i]);
		}
	}
	if (*p == '.')
		return sl_error_set(err, SL_EINVAL, "version",
				    "expected MAJOR.MINOR.PATCH, but found a "
				    "fourth number part");
	if (*p != '\0' && *p != '-' && *p != '+')
		return sl_error_set(err, SL_EINVAL, "version",
				    "invalid character %s in patch version",
				    describe_char(*p, cbuf, sizeof(cbuf)));

	if (*p == '-') {
		pre = ++p;
		pre_len = strcspn(pre, "+");
		p += pre_len;
		rc = check_idents(pre, pre_len, 1, err);
		if (rc)
			return rc;
	}
	if (*p == '+') {
		build = ++p;
		build_len = strlen(build);
		rc = check_idents(build, build_len, 0, err);
		if (rc)
			return rc;
	}

	out->major = nums[0];
	out->minor = nums[1];
	out->patch = nums[2];
	out->pre = pre ? sl_xstrndup(pre, pre_len) : NULL;
	out->build = build ? sl_xstrndup(build, build_len) : NULL;
	return SL_OK;
}

void sl_semver_fini(struct sl_semver *v)
{
	if (!v)
		return;
	free(v->pre);
	free(v->build);
	v->pre = v->build = NULL;
}

static int all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* Compares two pre-release identifiers by SemVer rules: numeric ones by
 * value (by length, then digits, since they have no leading zeros, so
 * any length works), numeric below alphanumeric, alphanumeric ASCII-wise.
 * Returns <0, 0 or >0. */
static int cmp_ident(const char *a, size_t alen, const char *b, size_t blen)
{
	int an = all_digits(a, alen), bn = all_digits(b, blen);
	size_t n = alen < blen ? alen : blen;
	int c;

	if (an && bn) {
		if (alen != blen)
			return alen < blen ? -1 : 1;
		return memcmp(a, b, alen);
	}
	if (an != bn)
		return an ? -1 : 1;
	c = memcmp(a, b, n);
	if (c)
		return c;
	return cmp_u64(alen, blen);
}

int sl_semver_compare(const struct sl_semver *a, const struct sl_semver *b)
{
	const char *pa, *pb;
	int c;

	if ((c = cmp_u64(a->major, b->major)) ||
	    (c = cmp_u64(a->minor, b->minor)) ||
	    (c = cmp_u64(a->patch, b->patch)))
		return c;
	if (!a->pre || !b->pre)
		return (a->pre == NULL) - (b->pre == NULL);

	pa = a->pre;
	pb = b->pre;
	for (;;) {
		size_t la = strcspn(pa, "."), lb = strcspn(pb, ".");

		c = cmp_ident(pa, la, pb, lb);
		if (c)
			return c < 0 ? -1 : 1;
		pa += la;
		pb += lb;
		if (!*pa || !*pb)
			return (*pa != '\0') - (*pb != '\0');
		pa++;
		pb++;
	}
}

int sl_semver_compare_core(const struct sl_semver *a, const struct sl_semver *b)
{
	int c;

	if ((c = cmp_u64(a->major, b->major)) ||
	    (c = cmp_u64(a->minor, b->minor)))
		return c;
	return cmp_u64(a->patch, b->patch);
}

enum sl_semver_bump sl_semver_bump(const struct sl_semver *prev,
				   const struct sl_semver *v)
{
	if (sl_semver_compare_core(v, prev) <= 0)
		return SL_BUMP_NONE;
	if (v->major != prev->major)
		return SL_BUMP_MAJOR;
	if (v->minor != prev->minor)
		return SL_BUMP_MINOR;
	return SL_BUMP_PATCH;
}

/*
 * Key layout, every byte printable ASCII:
 *
 *   MMMMMMMMMMMMMMMMMMMM.mmmmmmmmmmmmmmmmmmmm.pppppppppppppppppppp  then
 *   "~"                              for a normal version, or
 *   "-" ident ( "!" ident )*         for a pre-release,
 *
 * where the numbers are zero-padded to 20 digits (UINT64_MAX has 20), a
 * numeric identifier is "#" + its length in 3 digits + its digits, and an
 * alphanumeric one is "$" + itself. '-' < '~' puts pre-releases first;
 * '#' < '$' puts numeric identifiers first; the length prefix orders
 * numbers by value; and the separator '!' is below every identifier byte
 * (including '-'), so a shorter identifier or a shorter list sorts first
 * ("a" + more < "a-b").
 */
char *sl_semver_sortkey(const struct sl_semver *v)
{
	size_t pre_len = v->pre ? strlen(v->pre) : 0;
	/* 3 numbers, 2 dots, marker, and per identifier at most 4 bytes of
	 * prefix for one byte of separator, plus the NUL. */
	size_t cap = 3 * 20 + 2 + 1 + 5 * (pre_len + 1) + 1;
	char *key = sl_xmalloc(cap);
	size_t n;
	const char *p;

	n = (size_t)snprintf(key, cap,
			     "%020" PRIu64 ".%020" PRIu64 ".%020" PRIu64,
			     v->major, v->minor, v->patch);
	if (!v->pre) {
		key[n++] = '~';
		key[n] = '\0';
		return key;
	}
	key[n++] = '-';
	p = v->pre;
	for (;;) {
		size_t len = strcspn(p, ".");

		SL_ASSERT(n + len + 5 < cap);
		if (all_digits(p, len)) {
			n += (size_t)snprintf(key + n, cap - n, "#%03zu", len);
		} else {
			key[n++] = '$';
		}
		memcpy(key + n, p, len);
		n += len;
		p += len;
		if (!*p)
			break;
		key[n++] = '!';
		p++;
	}
	key[n] = '\0';
	return key;
}
