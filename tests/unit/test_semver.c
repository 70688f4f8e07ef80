/* test_semver.c - SemVer 2.0.0 parsing, precedence and sort keys. */
#include <stdlib.h>

#include "core/semver.h"
#include "test.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Parses s, which the test expects to be valid; a failure is a check
 * failure and leaves v zeroed. */
static void must_parse(const char *s, struct sl_semver *v)
{
	struct sl_error err = {0};

	if (sl_semver_parse(s, v, &err) != SL_OK) {
		fprintf(stderr, "  could not parse %s: %s\n", s, err.message);
		CHECK(0);
	}
}

/* Checks that compare(a, b) and strcmp of their sort keys both have sign
 * want, in both directions. */
static void check_order(const char *a, const char *b, int want)
{
	struct sl_semver va, vb;
	char *ka, *kb;

	must_parse(a, &va);
	must_parse(b, &vb);
	ka = sl_semver_sortkey(&va);
	kb = sl_semver_sortkey(&vb);
	if (sign(sl_semver_compare(&va, &vb)) != want ||
	    sign(sl_semver_compare(&vb, &va)) != -want ||
	    sign(strcmp(ka, kb)) != want || sign(strcmp(kb, ka)) != -want) {
		fprintf(stderr,
			"  order %s vs %s: want %d, compare %d, "
			"keys %d (%s | %s)\n",
			a, b, want, sl_semver_compare(&va, &vb), strcmp(ka, kb),
			ka, kb);
		t_failed_checks++;
	}
	free(ka);
	free(kb);
	sl_semver_fini(&va);
	sl_semver_fini(&vb);
}

/* Checks every pair of an ascending chain in both directions. */
static void check_chain(const char *const *chain, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			check_order(chain[i], chain[j],
				    i < j   ? -1
				    : i > j ? 1
					    : 0);
}

TEST(spec_precedence_chain_orders_by_compare_and_by_sortkey)
{
	static const char *const chain[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		"1.0.0-beta",  "1.0.0-beta.2",	"1.0.0-beta.11",
		"1.0.0-rc.1",  "1.0.0",
	};
	check_chain(chain, COUNT(chain));
}

TEST(normal_versions_order_numerically_by_major_minor_patch)
{
	static const char *const chain[] = {
		"0.0.0",  "0.0.1",
		"0.0.10", "0.9.0",
		"1.0.0",  "2.0.0",
		"2.1.0",  "2.1.1",
		"10.0.0", "18446744073709551615.0.0",
	};
	check_chain(chain, COUNT(chain));
}

TEST(a_mixed_chain_of_tricky_pre_releases_orders_consistently)
{
	static const char *const chain[] = {
		"1.0.0-0",   "1.0.0-0.0", "1.0.0-1",
		"1.0.0-9",   "1.0.0-10",  "1.0.0-99999999999999999999",
		"1.0.0--",   "1.0.0-0a",  "1.0.0-A",
		"1.0.0-Z.1", "1.0.0-a",	  "1.0.0-a.0",
		"1.0.0-a.1", "1.0.0-a.z", "1.0.0-a.z.0",
		"1.0.0-a-",  "1.0.0-a-b", "1.0.0-a0",
		"1.0.0-aa",  "1.0.0-b",	  "1.0.0",
		"1.0.1-0",   "1.0.1",
	};
	check_chain(chain, COUNT(chain));
}

TEST(build_metadata_is_ignored_for_precedence_and_sortkey)
{
	check_order("1.0.0+a", "1.0.0+b", 0);
	check_order("1.0.0+a", "1.0.0", 0);
	check_order("1.0.0-rc.1+build.5", "1.0.0-rc.1", 0);
	check_order("1.0.0-rc.1+zzz", "1.0.0-rc.2+aaa", -1);
}

TEST(long_numeric_identifiers_compare_by_value_without_overflow)
{
	check_order("1.0.0-alpha.99999999999999999999999", "1.0.0-alpha.9", 1);
	check_order("1.0.0-alpha.99999999999999999999999",
		    "1.0.0-alpha.99999999999999999999998", 1);
	check_order("1.0.0-alpha.100000000000000000000000",
		    "1.0.0-alpha.99999999999999999999999", 1);
	check_order("1.0.0-alpha.99999999999999999999999", "1.0.0-alpha.a", -1);
}

TEST(hyphenated_identifier_sorts_after_its_prefix_with_more_fields)
{
	/* "a-b" is one identifier, greater than "a"; so it beats "a" followed
	 * by anything. */
	check_order("1.0.0-a-b", "1.0.0-a.b", 1);
	check_order("1.0.0-a-b", "1.0.0-a.zzzz.9", 1);
	check_order("1.0.0-a-b", "1.0.0-a", 1);
	check_order("1.0.0-a.-", "1.0.0-a", 1);
	check_order("1.0.0-a.-", "1.0.0-a-", -1);
}

TEST(sortkey_is_printable_ascii_even_for_extreme_versions)
{
	static const char *const versions[] = {
		"0.0.0",
		"1.2.3-x-y-z.--",
		"1.0.0-0.3.7",
		"18446744073709551615.18446744073709551615."
		"18446744073709551615-"
		"alpha.99999999999999999999999999999999999999999",
	};
	for (size_t i = 0; i < COUNT(versions); i++) {
		struct sl_semver v;
		char *k;

		must_parse(versions[i], &v);
		k = sl_semver_sortkey(&v);
		for (const char *p = k; *p; p++)
			CHECK(*p >= 0x20 && *p <= 0x7E);
		free(k);
		sl_semver_fini(&v);
	}
}

struct valid_case {
	const char *text;
	uint64_t major, minor, patch;
	const char *pre, *build;
};

TEST(valid_versions_parse_into_their_fields)
{
	static const struct valid_case cases[] = {
		{"0.0.0", 0, 0, 0, NULL, NULL},
		{"1.2.3", 1, 2, 3, NULL, NULL},
		{"10.20.30", 10, 20, 30, NULL, NULL},
		{"1.0.0-alpha", 1, 0, 0, "alpha", NULL},
		{"1.0.0-alpha.1", 1, 0, 0, "alpha.1", NULL},
		{"1.0.0-0.3.7", 1, 0, 0, "0.3.7", NULL},
		{"1.0.0-x.7.z.92", 1, 0, 0, "x.7.z.92", NULL},
		{"1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--", NULL},
		{"1.0.0+20130313144700", 1, 0, 0, NULL, "20130313144700"},
		{"1.0.0-beta+exp.sha.5114f85", 1, 0, 0, "beta",
		 "exp.sha.5114f85"},
		{"1.0.0+21AF26D3----117B344092BD", 1, 0, 0, NULL,
		 "21AF26D3----117B344092BD"},
		{"1.0.0-0A.is.legal", 1, 0, 0, "0A.is.legal", NULL},
		{"1.0.0-rc.1+build.01", 1, 0, 0, "rc.1", "build.01"},
		{"1.0.0+0.build.1-rc.10000aaa-kk-0.1", 1, 0, 0, NULL,
		 "0.build.1-rc.10000aaa-kk-0.1"},
		{"18446744073709551615.0.1", UINT64_MAX, 0, 1, NULL, NULL},
		{"1.1.2-prerelease+meta", 1, 1, 2, "prerelease", "meta"},
		{"2.0.0-rc.1+build.123", 2, 0, 0, "rc.1", "build.123"},
		{"1.0.0-0", 1, 0, 0, "0", NULL},
		{"1.0.0--", 1, 0, 0, "-", NULL},
		{"1.0.0-alpha0.valid", 1, 0, 0, "alpha0.valid", NULL},
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		const struct valid_case *c = &cases[i];
		struct sl_semver v;
		struct sl_error err = {0};

		if (sl_semver_parse(c->text, &v, &err) != SL_OK) {
			fprintf(stderr, "  %s rejected: %s\n", c->text,
				err.message);
			t_failed_checks++;
			continue;
		}
		CHECK(v.major == c->major);
		CHECK(v.minor == c->minor);
		CHECK(v.patch == c->patch);
		if (c->pre)
			CHECK_STR(v.pre, c->pre);
		else
			CHECK(v.pre == NULL);
		if (c->build)
			CHECK_STR(v.build, c->build);
		else
			CHECK(v.build == NULL);
		sl_semver_fini(&v);
		CHECK(v.pre == NULL && v.build == NULL);
	}
}

struct invalid_case {
	const char *text;
	const char *message_part;
};

TEST(invalid_versions_are_rejected_with_a_precise_message)
{
	static const struct invalid_case cases[] = {
		{"", "version is empty"},
		{"v1.2.3", "must not start with 'v'"},
		{"V1.2.3", "must not start with 'V'"},
		{"01.2.3", "major version has a leading zero"},
		{"1.02.3", "minor version has a leading zero"},
		{"1.2.03", "patch version has a leading zero"},
		{"00.0.0", "major version has a leading zero"},
		{"1.2.3-01", "pre-release identifier 1 has a leading zero"},
		{"1.2.3-rc.00", "pre-release identifier 2 has a leading zero"},
		{"1.2.3-rc..1", "pre-release identifier 2 is empty"},
		{"1.2.3-", "pre-release identifier 1 is empty"},
		{"1.2.3-rc.", "pre-release identifier 2 is empty"},
		{"1.2.3-.rc", "pre-release identifier 1 is empty"},
		{"1.2.3-+b", "pre-release identifier 1 is empty"},
		{"1.2.3+", "build metadata identifier 1 is empty"},
		{"1.2.3+a..b", "build metadata identifier 2 is empty"},
		{"1.2.3+a.", "build metadata identifier 2 is empty"},
		{"1.2", "expected MAJOR.MINOR.PATCH"},
		{"1", "expected MAJOR.MINOR.PATCH"},
		{"1.2.", "patch version is missing"},
		{"1..3", "minor version is missing"},
		{".2.3", "major version is missing"},
		{"1.2-rc.1", "patch version is missing"},
		{"1.2.3.4", "expected MAJOR.MINOR.PATCH"},
		{"1.2.3x", "invalid character 'x' in patch version"},
		{"1.x.3", "invalid character 'x' in minor version"},
		{"1.2.3-rc_1", "invalid character '_' in pre-release"},
		{"1.2.3+build#1", "invalid character '#' in build metadata"},
		{"1.2.3+x+y", "invalid character '+' in build metadata"},
		{"1.2.3-é", "invalid character byte 0xC3 in pre-release"},
		{" 1.2.3", "invalid character ' ' in major version"},
		{"1.2.3 ", "invalid character ' ' in patch version"},
		{"1.2.3\n", "invalid character byte 0x0A in patch version"},
		{"-1.2.3", "major version is missing"},
		{"18446744073709551616.0.0",
		 "major version is larger than 18446744073709551615"},
		{"1.99999999999999999999.0", "minor version is larger than"},
		{"1.2.3-"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaa",
		 "version is longer than 128 characters"},
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		const struct invalid_case *c = &cases[i];
		struct sl_semver v = {7, 7, 7, (char *)"junk", (char *)"junk"};
		struct sl_error err = {0};
		enum sl_err rc = sl_semver_parse(c->text, &v, &err);

		if (rc != SL_EINVAL || !strstr(err.message, c->message_part) ||
		    strcmp(err.field, "version") != 0) {
			fprintf(stderr,
				"  \"%s\": rc %d, message \"%s\", want "
				"\"%s\"\n",
				c->text, rc, err.message, c->message_part);
			t_failed_checks++;
		}
		CHECK(v.pre == NULL && v.build == NULL);
	}
	CHECK(COUNT(cases) >= 25);
}

TEST(exactly_128_characters_is_accepted)
{
	char s[SL_SEMVER_MAX_LEN + 2];
	struct sl_semver v;
	struct sl_error err = {0};

	memset(s, 'a', sizeof(s));
	memcpy(s, "1.2.3-", 6);
	s[SL_SEMVER_MAX_LEN] = '\0';
	CHECK_INT(sl_semver_parse(s, &v, &err), SL_OK);
	sl_semver_fini(&v);
	s[SL_SEMVER_MAX_LEN] = 'a';
	s[SL_SEMVER_MAX_LEN + 1] = '\0';
	CHECK_INT(sl_semver_parse(s, &v, &err), SL_EINVAL);
}

TEST(largest_uint64_parses_and_orders)
{
	check_order("18446744073709551615.18446744073709551615."
		    "18446744073709551615",
		    "18446744073709551615.18446744073709551615."
		    "18446744073709551614",
		    1);
}

/* The bump from a to b. */
static enum sl_semver_bump bump(const char *a, const char *b)
{
	struct sl_semver x, y;
	enum sl_semver_bump r;

	CHECK_INT(sl_semver_parse(a, &x, NULL), SL_OK);
	CHECK_INT(sl_semver_parse(b, &y, NULL), SL_OK);
	r = sl_semver_bump(&x, &y);
	sl_semver_fini(&x);
	sl_semver_fini(&y);
	return r;
}

TEST(bump_is_the_leftmost_part_that_goes_up)
{
	CHECK_INT(bump("2.0.0", "2.0.2"), SL_BUMP_PATCH);
	CHECK_INT(bump("2.0.9", "2.1.0"), SL_BUMP_MINOR);
	CHECK_INT(bump("2.0.9", "2.1.5"), SL_BUMP_MINOR);
	CHECK_INT(bump("2.9.9", "3.0.0"), SL_BUMP_MAJOR);
	CHECK_INT(bump("2.4.1", "3.0.0-rc.1"), SL_BUMP_MAJOR);
	CHECK_INT(bump("3.0.0-rc.1", "3.0.0"), SL_BUMP_NONE);
	CHECK_INT(bump("2.0.0", "2.0.0+build.7"), SL_BUMP_NONE);
	CHECK_INT(bump("2.0.0", "0.0.1"), SL_BUMP_NONE);
	CHECK_INT(bump("2.1.0", "2.0.9"), SL_BUMP_NONE);
}

TEST_MAIN(T(bump_is_the_leftmost_part_that_goes_up),
	  T(spec_precedence_chain_orders_by_compare_and_by_sortkey),
	  T(normal_versions_order_numerically_by_major_minor_patch),
	  T(a_mixed_chain_of_tricky_pre_releases_orders_consistently),
	  T(build_metadata_is_ignored_for_precedence_and_sortkey),
	  T(long_numeric_identifiers_compare_by_value_without_overflow),
	  T(hyphenated_identifier_sorts_after_its_prefix_with_more_fields),
	  T(sortkey_is_printable_ascii_even_for_extreme_versions),
	  T(valid_versions_parse_into_their_fields),
	  T(invalid_versions_are_rejected_with_a_precise_message),
	  T(exactly_128_characters_is_accepted),
	  T(largest_uint64_parses_and_orders))
