/* test_validate.c - field validators, RFC 3339 time and release naming. */
#include <stdlib.h>

#include "core/naming.h"
#include "core/semver.h"
#include "core/validate.h"
#include "test.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef int (*validator)(const char *, const char *, struct sl_error *);

struct vcase {
	const char *text;
	int ok;
};

/* Runs fn over the cases; a rejection must fill err with SL_EINVAL, the
 * field and a non-empty message. */
static void check_cases(const char *name, validator fn,
			const struct vcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sl_error err = {0};
		int rc = fn(cases[i].text, "f", &err);

		if (rc != (cases[i].ok ? 0 : -1)) {
			fprintf(stderr, "  %s(\"%s\"): got %d (%s)\n", name,
				cases[i].text ? cases[i].text : "(null)", rc,
				err.message);
			t_failed_checks++;
		}
		if (rc) {
			CHECK_INT(err.code, SL_EINVAL);
			CHECK_STR(err.field, "f");
			CHECK(err.message[0] != '\0');
		}
		CHECK_INT(fn(cases[i].text, "f", NULL), rc);
	}
}

TEST(slugs_are_lowercase_alnum_with_inner_hyphens_up_to_63)
{
	static const struct vcase cases[] = {
		{"a", 1},
		{"0", 1},
		{"payments-api", 1},
		{"a-b-c-1", 1},
		{"a--b", 1},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aa",
		 1},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaa",
		 0},
		{"", 0},
		{NULL, 0},
		{"-a", 0},
		{"a-", 0},
		{"-", 0},
		{"A", 0},
		{"a_b", 0},
		{"a.b", 0},
		{"a b", 0},
		{"é", 0},
	};
	check_cases("slug", sl_valid_slug, cases, COUNT(cases));
}

TEST(utf8_accepts_valid_and_rejects_overlong_surrogate_and_truncated)
{
	CHECK_INT(sl_valid_utf8("", 0), 1);
	CHECK_INT(sl_valid_utf8("plain", 5), 1);
	CHECK_INT(sl_valid_utf8("\xC3\xA9", 2), 1);	    /* é */
	CHECK_INT(sl_valid_utf8("\xE2\x82\xAC", 3), 1);	    /* € */
	CHECK_INT(sl_valid_utf8("\xF0\x9F\x9A\x80", 4), 1); /* rocket */
	CHECK_INT(sl_valid_utf8("\xF4\x8F\xBF\xBF", 4), 1); /* U+10FFFF */
	CHECK_INT(sl_valid_utf8("\xED\x9F\xBF", 3), 1);	    /* U+D7FF */
	CHECK_INT(sl_valid_utf8("\xEE\x80\x80", 3), 1);	    /* U+E000 */
	CHECK_INT(sl_valid_utf8("a\0b", 3), 1);		    /* NUL is ASCII */

	CHECK_INT(sl_valid_utf8("\xC0\xAF", 2), 0);	    /* overlong '/' */
	CHECK_INT(sl_valid_utf8("\xC1\xBF", 2), 0);	    /* overlong */
	CHECK_INT(sl_valid_utf8("\xE0\x80\xAF", 3), 0);	    /* overlong */
	CHECK_INT(sl_valid_utf8("\xF0\x80\x80\xAF", 4), 0); /* overlong */
	CHECK_INT(sl_valid_utf8("\xED\xA0\x80", 3), 0);	    /* U+D800 */
	CHECK_INT(sl_valid_utf8("\xED\xBF\xBF", 3), 0);	    /* U+DFFF */
	CHECK_INT(sl_valid_utf8("\xF4\x90\x80\x80", 4), 0); /* U+110000 */
	CHECK_INT(sl_valid_utf8("\xF5\x80\x80\x80", 4), 0);
	CHECK_INT(sl_valid_utf8("\xFF", 1), 0);
	CHECK_INT(sl_valid_utf8("\x80", 1), 0); /* lone continuation */
	CHECK_INT(sl_valid_utf8("\xC3", 1), 0); /* truncated */
	CHECK_INT(sl_valid_utf8("\xE2\x82", 2), 0);
	CHECK_INT(sl_valid_utf8("\xF0\x9F\x9A", 3), 0);
	CHECK_INT(sl_valid_utf8("\xE2\x82"
				"a",
				3),
		  0);
	/* The length bounds the scan: a sequence cut by len is truncated. */
	CHECK_INT(sl_valid_utf8("\xC3\xA9", 1), 0);
}

TEST(text_checks_length_utf8_and_control_characters)
{
	struct sl_error err = {0};

	CHECK_INT(sl_valid_text("hello, wörld", 100, 0, "title", &err), 0);
	CHECK_INT(sl_valid_text("", 0, 0, "title", &err), 0);
	CHECK_INT(sl_valid_text("abc", 3, 0, "title", &err), 0);
	CHECK_INT(sl_valid_text("abcd", 3, 0, "title", &err), -1);
	CHECK(strstr(err.message, "longer than 3 bytes") != NULL);
	CHECK_STR(err.field, "title");
	CHECK_INT(sl_valid_text("a\nb\tc", 100, 1, "notes", &err), 0);
	CHECK_INT(sl_valid_text("a\nb", 100, 0, "title", &err), -1);
	CHECK(strstr(err.message, "control character 0x0A") != NULL);
	CHECK_INT(sl_valid_text("a\rb", 100, 1, "notes", &err), -1);
	CHECK_INT(sl_valid_text("a\x7f", 100, 1, "notes", &err), -1);
	CHECK_INT(sl_valid_text("a\x1b[31m", 100, 1, "notes", &err), -1);
	CHECK_INT(sl_valid_text("\xC0\xAF", 100, 1, "notes", &err), -1);
	CHECK(strstr(err.message, "UTF-8") != NULL);
	CHECK_INT(sl_valid_text(NULL, 100, 1, "notes", &err), -1);
}

TEST(sha256_is_exactly_64_hex_digits)
{
	static const struct vcase cases[] = {
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		 "855",
		 1},
		{"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B"
		 "855",
		 1},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		 "85",
		 0},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		 "8555",
		 0},
		{"g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		 "855",
		 0},
		{"", 0},
		{NULL, 0},
	};
	check_cases("sha256", sl_valid_sha256_hex, cases, COUNT(cases));
}

TEST(commits_are_7_to_64_hex_digits)
{
	static const struct vcase cases[] = {
		{"abc1234", 1},
		{"ABC1234", 1},
		{"abc123", 0},
		{"0123456789abcdef0123456789abcdef01234567", 1},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		 "855",
		 1},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		 "8550",
		 0},
		{"abc123z", 0},
		{"", 0},
	};
	check_cases("commit", sl_valid_commit, cases, COUNT(cases));
}

TEST(urls_need_http_or_https_and_a_host)
{
	static const struct vcase cases[] = {
		{"http://example.com", 1},
		{"https://example.com/path?q=1#frag", 1},
		{"HTTPS://Example.com", 1},
		{"https://user:pw@example.com:8443/x", 1},
		{"http://[::1]:8080/", 1},
		{"http://localhost", 1},
		{"ftp://example.com", 0},
		{"example.com", 0},
		{"http://", 0},
		{"https:///path", 0},
		{"http://:80/", 0},
		{"http://user@/", 0},
		{"http://[]/", 0},
		{"http://exa mple.com", 0},
		{"http://example.com/\tx", 0},
		{"http://example.com/\x7f", 0},
		{"javascript:alert(1)", 0},
		{"", 0},
		{NULL, 0},
	};
	char *longurl = malloc(2050);

	check_cases("url", sl_valid_url, cases, COUNT(cases));
	memset(longurl, 'a', 2049);
	memcpy(longurl, "https://", 8);
	longurl[2048] = '\0';
	CHECK_INT(sl_valid_url(longurl, "f", NULL), 0);
	longurl[2048] = 'a';
	longurl[2049] = '\0';
	CHECK_INT(sl_valid_url(longurl, "f", NULL), -1);
	free(longurl);
}

TEST(tag_keys_and_values)
{
	static const struct vcase keys[] = {
		{"team", 1},
		{"k8s.io/app-name_2", 1},
		{"0", 1},
		{"a234567890123456789012345678901234567890123456789012345678901"
		 "23",
		 1},
		{"a234567890123456789012345678901234567890123456789012345678901"
		 "234",
		 0},
		{"", 0},
		{"_team", 0},
		{"/team", 0},
		{"Team", 0},
		{"team name", 0},
		{"team:x", 0},
	};
	char value[258];

	check_cases("tag key", sl_valid_tag_key, keys, COUNT(keys));
	CHECK_INT(sl_valid_tag_value("", "v", NULL), 0);
	CHECK_INT(sl_valid_tag_value("Zürich / eu-west-1", "v", NULL), 0);
	CHECK_INT(sl_valid_tag_value("a\nb", "v", NULL), -1);
	CHECK_INT(sl_valid_tag_value("\xED\xA0\x80", "v", NULL), -1);
	memset(value, 'x', 256);
	value[256] = '\0';
	CHECK_INT(sl_valid_tag_value(value, "v", NULL), 0);
	value[256] = 'x';
	value[257] = '\0';
	CHECK_INT(sl_valid_tag_value(value, "v", NULL), -1);
}

TEST(timezone_names_are_checked_syntactically)
{
	static const struct vcase cases[] = {
		{"UTC", 1},
		{"Europe/Paris", 1},
		{"America/Argentina/Buenos_Aires", 1},
		{"Etc/GMT+5", 1},
		{"America/Port-au-Prince", 1},
		{"", 0},
		{"utc", 0},
		{"Paris", 0},
		{"Europe/", 0},
		{"/Europe/Paris", 0},
		{"Europe//Paris", 0},
		{"../etc/passwd", 0},
		{"Europe/../Paris", 0},
		{"Europe/Par is", 0},
		{"Europe/Paris\n", 0},
		{"Europe/"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 0},
	};
	check_cases("timezone", sl_valid_timezone_name, cases, COUNT(cases));
}

/* Parses s (expected valid) and returns the microseconds, or INT64_MIN. */
static int64_t parse_us(const char *s)
{
	struct sl_error err = {0};
	int64_t us = INT64_MIN;

	if (sl_time_parse(s, &us, "at", &err)) {
		fprintf(stderr, "  %s rejected: %s\n", s, err.message);
		t_failed_checks++;
	}
	return us;
}

TEST(time_parse_gives_microseconds_since_the_epoch)
{
	CHECK_INT(parse_us("1970-01-01T00:00:00Z"), 0);
	CHECK_INT(parse_us("1970-01-01t00:00:00z"), 0);
	CHECK_INT(parse_us("1970-01-01T00:00:01Z"), 1000000);
	CHECK_INT(parse_us("1969-12-31T23:59:59Z"), -1000000);
	CHECK_INT(parse_us("2000-01-01T00:00:00Z"), 946684800LL * 1000000);
	CHECK_INT(parse_us("2026-11-22T10:00:00Z"), 1795341600LL * 1000000);
	CHECK_INT(parse_us("2024-02-29T12:00:00Z"), 1709208000LL * 1000000);
	CHECK_INT(parse_us("0000-01-01T00:00:00Z"), -62167219200LL * 1000000);
	CHECK_INT(parse_us("9999-12-31T23:59:59Z"), 253402300799LL * 1000000);
}

TEST(time_parse_applies_offsets_both_ways)
{
	int64_t utc = parse_us("2026-11-22T10:00:00Z");

	CHECK_INT(parse_us("2026-11-22T12:00:00+02:00"), utc);
	CHECK_INT(parse_us("2026-11-22T04:30:00-05:30"), utc);
	CHECK_INT(parse_us("2026-11-23T09:59:00+23:59"), utc);
	CHECK_INT(parse_us("2026-11-22T10:00:00-00:00"), utc);
	CHECK_INT(parse_us("1970-01-01T00:00:00+01:00"), -3600LL * 1000000);
	CHECK_INT(parse_us("1969-12-31T19:00:00-05:00"), 0);
}

TEST(time_parse_reads_fractions_up_to_nine_digits)
{
	CHECK_INT(parse_us("1970-01-01T00:00:00.5Z"), 500000);
	CHECK_INT(parse_us("1970-01-01T00:00:00.000001Z"), 1);
	CHECK_INT(parse_us("1970-01-01T00:00:00.123456Z"), 123456);
	CHECK_INT(parse_us("1970-01-01T00:00:00.123456789Z"), 123456);
	CHECK_INT(parse_us("1969-12-31T23:59:59.5Z"), -500000);
	CHECK_INT(parse_us("1970-01-01T01:00:00.25+01:00"), 250000);
}

TEST(time_parse_rejects_impossible_dates_and_bad_syntax)
{
	static const char *const bad[] = {
		"2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"2026-13-01T00:00:00Z",
		"2026-00-10T00:00:00Z",
		"2026-01-00T00:00:00Z",
		"2026-01-32T00:00:00Z",
		"2026-01-01T24:00:00Z",
		"2026-01-01T23:60:00Z",
		"2026-01-01T23:59:61Z",
		"2026-01-01T00:00:00",
		"2026-01-01 00:00:00Z",
		"2026-01-01",
		"26-01-01T00:00:00Z",
		"2026-1-01T00:00:00Z",
		"2026-01-01T0:00:00Z",
		"2026-01-01T00:00Z",
		"2026-01-01T00:00:00.Z",
		/* valid locally, but before year 0 or after 9999 in UTC */
		"0000-01-01T00:00:59.6789+14:00",
		"9999-12-31T23:59:59-00:01",
		"2026-01-01T00:00:00.1234567890Z",
		"2026-01-01T00:00:00+2:00",
		"2026-01-01T00:00:00+0200",
		"2026-01-01T00:00:00+24:00",
		"2026-01-01T00:00:00+01:60",
		"2026-01-01T00:00:00Zjunk",
		"+2026-01-01T00:00:00Z",
		"",
	};
	for (size_t i = 0; i < COUNT(bad); i++) {
		struct sl_error err = {0};
		int64_t us = 42;

		if (sl_time_parse(bad[i], &us, "starts_at", &err) != -1) {
			fprintf(stderr, "  accepted %s\n", bad[i]);
			t_failed_checks++;
		}
		CHECK_INT(us, 42);
		CHECK_INT(err.code, SL_EINVAL);
		CHECK_STR(err.field, "starts_at");
	}
}

TEST(leap_day_is_valid_only_in_leap_years)
{
	int64_t us;

	CHECK_INT(sl_time_parse("2024-02-29T00:00:00Z", &us, "f", NULL), 0);
	CHECK_INT(sl_time_parse("2000-02-29T00:00:00Z", &us, "f", NULL), 0);
	CHECK_INT(sl_time_parse("2023-02-29T00:00:00Z", &us, "f", NULL), -1);
	CHECK_INT(sl_time_parse("2100-02-29T00:00:00Z", &us, "f", NULL), -1);
}

TEST(time_format_writes_utc_with_microseconds_only_when_needed)
{
	char buf[SL_TIME_BUF];

	CHECK_STR(sl_time_format(0, buf), "1970-01-01T00:00:00Z");
	CHECK_STR(sl_time_format(1795341600LL * 1000000, buf),
		  "2026-11-22T10:00:00Z");
	CHECK_STR(sl_time_format(1795341600LL * 1000000 + 123456, buf),
		  "2026-11-22T10:00:00.123456Z");
	CHECK_STR(sl_time_format(1, buf), "1970-01-01T00:00:00.000001Z");
	CHECK_STR(sl_time_format(-1, buf), "1969-12-31T23:59:59.999999Z");
	CHECK_STR(sl_time_format(-1000000, buf), "1969-12-31T23:59:59Z");
	CHECK_STR(sl_time_format(1709208000LL * 1000000, buf),
		  "2024-02-29T12:00:00Z");
	CHECK_STR(sl_time_format(-62167219200LL * 1000000, buf),
		  "0000-01-01T00:00:00Z");
	CHECK(sl_time_format(INT64_MIN, buf) == buf);
	CHECK(sl_time_format(INT64_MAX, buf) == buf);
}

TEST(time_parse_and_format_round_trip)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z"},
		{"2026-11-22T12:00:00+02:00", "2026-11-22T10:00:00Z"},
		{"2026-12-31T22:30:00-01:30", "2027-01-01T00:00:00Z"},
		{"2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00Z"},
		{"2026-11-22T10:00:00.5Z", "2026-11-22T10:00:00.500000Z"},
		{"1969-07-20T20:17:40.000001Z", "1969-07-20T20:17:40.000001Z"},
		{"1600-02-29T00:00:00Z", "1600-02-29T00:00:00Z"},
		{"2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"},
	};
	char buf[SL_TIME_BUF];

	for (size_t i = 0; i < COUNT(cases); i++) {
		int64_t us = parse_us(cases[i].in);

		CHECK_STR(sl_time_format(us, buf), cases[i].out);
		CHECK_INT(parse_us(buf), us);
	}
	/* Every day across four years, through two leap days, round trips. */
	for (int64_t d = -800; d < 800; d++) {
		int64_t us = d * 86400LL * 1000000 + 3723000042LL;

		CHECK_INT(parse_us(sl_time_format(us, buf)), us);
	}
}

/* Renders tmpl for payments 2.4.1-rc.1+b7 of type "minor"; frees nothing
 * on failure. Returns the malloc'ed name or NULL. */
static char *render(const char *tmpl, struct sl_error *err)
{
	struct sl_semver v;
	char *out;

	if (sl_semver_parse("2.4.1-rc.1+b7", &v, err))
		return NULL;
	out = sl_naming_render(tmpl, "payments", &v, "2.4.1-rc.1+b7", "minor",
			       err);
	sl_semver_fini(&v);
	return out;
}

TEST(naming_renders_each_placeholder)
{
	static const struct {
		const char *tmpl, *want;
	} cases[] = {
		{SL_NAMING_DEFAULT, "payments-2.4.1-rc.1+b7"},
		{"{service}", "payments"},
		{"{version}", "2.4.1-rc.1+b7"},
		{"{type}", "minor"},
		{"{major}", "2"},
		{"{minor}", "4"},
		{"{patch}", "1"},
		{"release {major}.{minor} of {service} ({type})",
		 "release 2.4 of payments (minor)"},
		{"{service}{service}", "paymentspayments"},
		{"no placeholders", "no placeholders"},
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct sl_error err = {0};
		char *got = render(cases[i].tmpl, &err);

		CHECK_STR(got, cases[i].want);
		CHECK_INT(sl_naming_check(cases[i].tmpl, NULL), 0);
		free(got);
	}
}

TEST(naming_writes_the_version_from_the_struct_without_text)
{
	struct sl_semver v;
	char *got;

	CHECK_INT(sl_semver_parse("1.0.0-beta.2+exp", &v, NULL), SL_OK);
	got = sl_naming_render("{service}@{version}", "api", &v, NULL, NULL,
			       NULL);
	CHECK_STR(got, "api@1.0.0-beta.2+exp");
	free(got);
	CHECK(sl_naming_render("{type}", "api", &v, NULL, NULL, NULL) == NULL);
	sl_semver_fini(&v);
	CHECK(sl_naming_render("{major}", "api", NULL, "1.0.0", "patch",
			       NULL) == NULL);
}

TEST(naming_rejects_bad_templates_with_reasons)
{
	static const struct {
		const char *tmpl, *part;
	} cases[] = {
		{"", "must not be empty"},
		{"{service", "without a matching '}'"},
		{"service}", "without a matching '{'"},
		{"{{service}}", "without a matching '}'"},
		{"{service}-{ver}", "unknown placeholder {ver}"},
		{"{Service}", "unknown placeholder {Service}"},
		{"{}", "unknown placeholder {}"},
		{"{ service }", "unknown placeholder { service }"},
		{"a\nb", "control character"},
		{"\xC0\xAF", "UTF-8"},
		{"{service}-{version}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxx",
		 "longer than 128 bytes"},
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct sl_error err = {0};
		char *got = render(cases[i].tmpl, &err);

		CHECK(got == NULL);
		free(got);
		CHECK_INT(err.code, SL_EINVAL);
		CHECK_STR(err.field, "naming_template");
		if (!strstr(err.message, cases[i].part)) {
			fprintf(stderr,
				"  \"%s\": message \"%s\", want \"%s\"\n",
				cases[i].tmpl, err.message, cases[i].part);
			t_failed_checks++;
		}
		CHECK_INT(sl_naming_check(cases[i].tmpl, NULL), -1);
	}
	CHECK_INT(sl_naming_check(NULL, NULL), -1);
}

TEST(utf8_boundary_never_ends_inside_a_character)
{
	/* "\xCE\xA9" is U+03A9 (Omega), two bytes. */
	CHECK_INT(sl_utf8_boundary("ab", 2), 2);
	CHECK_INT(sl_utf8_boundary("", 0), 0);
	CHECK_INT(sl_utf8_boundary("\xCE\xA9\xCE\xA9", 4), 4);
	CHECK_INT(sl_utf8_boundary("\xCE\xA9\xCE\xA9", 3), 2);
	CHECK_INT(sl_utf8_boundary("a\xE2\x82\xAC", 3), 1); /* half a euro */
	CHECK_INT(sl_utf8_boundary("a\xE2\x82\xAC", 4), 4);
	CHECK_INT(sl_utf8_boundary("\xF0\x9F\x9A\x80", 3), 0);
	CHECK_INT(sl_utf8_boundary("\xF0\x9F\x9A\x80", 4), 4);
}

TEST(error_messages_cut_to_fit_keep_whole_characters)
{
	struct sl_error err = {0};
	char omegas[301] = {0};

	for (int i = 0; i < 150; i++)
		memcpy(omegas + 2 * i, "\xCE\xA9", 2);
	/* An odd prefix puts the 255-byte cut in the middle of an Omega. */
	sl_error_set(&err, SL_ENOTFOUND, omegas, "ab '%s'", omegas);
	CHECK_INT(strlen(err.message), 254);
	CHECK_INT(sl_valid_utf8(err.message, strlen(err.message)), 1);
	CHECK_INT(strlen(err.field), 62);
	CHECK_INT(sl_valid_utf8(err.field, strlen(err.field)), 1);
}

TEST(utf8_scrub_replaces_bad_bytes_and_cuts_on_boundaries)
{
	char out[16];

	CHECK_STR(sl_utf8_scrub("plain", out, sizeof(out)), "plain");
	CHECK_STR(sl_utf8_scrub("a\xFF"
				"b",
				out, sizeof(out)),
		  "a\xEF\xBF\xBD"
		  "b");
	CHECK_STR(sl_utf8_scrub("\xCE", out, sizeof(out)), "\xEF\xBF\xBD");
	CHECK_STR(sl_utf8_scrub("\xC0\xAF", out, sizeof(out)),
		  "\xEF\xBF\xBD\xEF\xBF\xBD"); /* overlong '/' */
	/* 4 bytes of room: "a" and one Omega fit, the second does not. */
	CHECK_STR(sl_utf8_scrub("a\xCE\xA9\xCE\xA9", out, 5), "a\xCE\xA9");
	CHECK_STR(sl_utf8_scrub("abc", out, 1), "");
}

TEST(decimal_parse_takes_only_canonical_digits)
{
	static const struct {
		const char *s;
		int ok;
		int64_t v;
	} cases[] = {
		{"0", 1, 0},
		{"12", 1, 12},
		{"999999999999999999", 1, 999999999999999999LL},
		{"012", 0, 0},
		{"00", 0, 0},
		{"+12", 0, 0},
		{"-1", 0, 0},
		{" 12", 0, 0},
		{"12 ", 0, 0},
		{"1e3", 0, 0},
		{"", 0, 0},
		{"abc", 0, 0},
		{"0x10", 0, 0},
		{"1000000000000000000", 0, 0},
	};

	for (size_t i = 0; i < COUNT(cases); i++) {
		int64_t v = -7;
		int rc = sl_decimal_parse(cases[i].s, &v);

		if (rc != (cases[i].ok ? 0 : -1) ||
		    (cases[i].ok && v != cases[i].v)) {
			fprintf(stderr, "  \"%s\": got %d, %lld\n", cases[i].s,
				rc, (long long)v);
			t_failed_checks++;
		}
	}
	CHECK_INT(sl_decimal_parse(NULL, NULL), -1);
}

TEST(request_targets_must_decode_to_text)
{
	static const struct {
		const char *target;
		const char *field; /* NULL: accepted */
		const char *part;
	} cases[] = {
		{"/v1/services", NULL, NULL},
		{"/v1/services/%CE%A9", NULL, NULL},
		{"/v1/audit?actor=rm-alice&limit=5", NULL, NULL},
		{"/v1/audit?actor=a+b&flag&x=", NULL, NULL},
		{"/v1/%ff", "path", "UTF-8"},
		{"/healthz%ff", "path", "UTF-8"},
		{"/v1/deployments/12%00", "path", "NUL"},
		{"/v1/deployments/12%0a", "path", "control"},
		{"/v1/deployments/12%", "path", "two hex"},
		{"/v1/deployments/%zz", "path", "two hex"},
		{"/v1/audit?actor=%ff", "actor", "UTF-8"},
		{"/v1/audit?actor=a%00b", "actor", "NUL"},
		{"/v1/audit?actor=%4", "actor", "two hex"},
		{"/v1/audit?%ff=1", "query", "name"},
		{"/v1/audit?limit=1&a%00=1", "query", "NUL"},
	};

	for (size_t i = 0; i < COUNT(cases); i++) {
		struct sl_error err = {0};
		int rc = sl_valid_target(cases[i].target, &err);

		if (rc != (cases[i].field ? -1 : 0)) {
			fprintf(stderr, "  %s: got %d (%s)\n", cases[i].target,
				rc, err.message);
			t_failed_checks++;
			continue;
		}
		if (!cases[i].field)
			continue;
		CHECK_INT(err.code, SL_EMALFORMED);
		CHECK_STR(err.field, cases[i].field);
		if (!strstr(err.message, cases[i].part)) {
			fprintf(stderr, "  %s: message \"%s\", want \"%s\"\n",
				cases[i].target, err.message, cases[i].part);
			t_failed_checks++;
		}
	}
}

TEST(local_times_name_their_shape_when_refused)
{
	struct sl_error err = {0};

	CHECK_INT(sl_valid_local_time("2026-12-24T00:00:00", "start", &err), 0);
	CHECK_INT(sl_valid_local_time("2028-02-29T23:59:59", "start", &err), 0);
	CHECK_INT(sl_valid_local_time("2026-12-24", "start", &err), -1);
	CHECK_STR(err.field, "start");
	CHECK_STR(err.message,
		  "start must be a local time YYYY-MM-DDTHH:MM:SS such as "
		  "2026-12-24T00:00:00 (no UTC offset; years 1970-9999), not "
		  "\"2026-12-24\"");
	CHECK_INT(sl_valid_local_time("2026-12-24T00:00:00Z", "end", &err), -1);
	CHECK_STR(err.field, "end");
	CHECK_INT(sl_valid_local_time("2027-02-29T00:00:00", "end", &err), -1);
	CHECK_INT(sl_valid_local_time("2026-12-24T24:00:00", "end", &err), -1);
	CHECK_INT(sl_valid_local_time("2026-12-24T23:59:60", "end", &err), -1);
	CHECK_INT(sl_valid_local_time("1969-12-31T23:59:59", "end", &err), -1);
	CHECK_INT(sl_valid_local_time("", "end", &err), -1);
	CHECK_INT(sl_valid_local_time(NULL, "end", &err), -1);
}

TEST_MAIN(T(slugs_are_lowercase_alnum_with_inner_hyphens_up_to_63),
	  T(utf8_accepts_valid_and_rejects_overlong_surrogate_and_truncated),
	  T(text_checks_length_utf8_and_control_characters),
	  T(utf8_boundary_never_ends_inside_a_character),
	  T(error_messages_cut_to_fit_keep_whole_characters),
	  T(utf8_scrub_replaces_bad_bytes_and_cuts_on_boundaries),
	  T(decimal_parse_takes_only_canonical_digits),
	  T(request_targets_must_decode_to_text),
	  T(sha256_is_exactly_64_hex_digits), T(commits_are_7_to_64_hex_digits),
	  T(urls_need_http_or_https_and_a_host), T(tag_keys_and_values),
	  T(timezone_names_are_checked_syntactically),
	  T(time_parse_gives_microseconds_since_the_epoch),
	  T(time_parse_applies_offsets_both_ways),
	  T(time_parse_reads_fractions_up_to_nine_digits),
	  T(time_parse_rejects_impossible_dates_and_bad_syntax),
	  T(leap_day_is_valid_only_in_leap_years),
	  T(time_format_writes_utc_with_microseconds_only_when_needed),
	  T(time_parse_and_format_round_trip),
	  T(naming_renders_each_placeholder),
	  T(naming_writes_the_version_from_the_struct_without_text),
	  T(naming_rejects_bad_templates_with_reasons),
	  T(local_times_name_their_shape_when_refused))
