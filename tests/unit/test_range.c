/* test_range.c - SemVer range parsing and matching (node-semver rules). */
#include <stdlib.h>

#include "core/range.h"
#include "test.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct match_case {
	const char *range;
	const char *version;
	int want;
};

/* Checks each row through sl_range_satisfies and prints every mismatch
 * with its row, so one run shows all the rows that disagree. */
static void check_matches(const struct match_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct match_case *c = &cases[i];
		struct sl_error err = {0};
		int got = sl_range_satisfies(c->range, c->version, &err);

		if (got != c->want) {
			fprintf(stderr, "  \"%s\" vs %s: got %d, want %d%s%s\n",
				c->range, c->version, got, c->want,
				got < 0 ? ": " : "",
				got < 0 ? err.message : "");
			t_failed_checks++;
		}
	}
}

TEST(plain_comparators_compare_by_precedence)
{
	static const struct match_case cases[] = {
		{"1.2.3", "1.2.3", 1},
		{"1.2.3", "1.2.4", 0},
		{"=1.2.3", "1.2.3", 1},
		{"=1.2.3", "1.2.2", 0},
		{">1.2.3", "1.2.4", 1},
		{">1.2.3", "1.2.3", 0},
		{">=1.2.3", "1.2.3", 1},
		{">=1.2.3", "1.2.2", 0},
		{"<1.2.3", "1.2.2", 1},
		{"<1.2.3", "1.2.3", 0},
		{"<=1.2.3", "1.2.3", 1},
		{"<=1.2.3", "1.2.4", 0},
		{"> 1.2.3", "1.3.0", 1},
		{">= 1.2.3 < 2", "1.9.9", 1},
		{"1.2.3", "1.2.3+build.7", 1},
		{"1.2.3+build.1", "1.2.3+build.2", 1},
		{"1.2.3-rc.1", "1.2.3-rc.1", 1},
		{"1.2.3-rc.1", "1.2.3", 0},
	};
	check_matches(cases, COUNT(cases));
}

TEST(partial_versions_in_comparators_fill_with_zero_or_round_up)
{
	static const struct match_case cases[] = {
		{">=1.2", "1.2.0", 1},
		{">=1.2", "1.1.9", 0},
		{">=1", "1.0.0", 1},
		{"<1.2", "1.1.99", 1},
		{"<1.2", "1.2.0", 0},
		{"<=1.2", "1.2.99", 1}, /* <=1.2 is <1.3.0 */
		{"<=1.2", "1.3.0", 0},
		{"<=1", "1.99.0", 1},
		{">1.2", "1.2.99", 0}, /* >1.2 is >=1.3.0 */
		{">1.2", "1.3.0", 1},
		{">1", "1.99.0", 0},
		{">1", "2.0.0", 1},
		{">=1.x", "1.0.0", 1},
		{"<=1.2.x", "1.2.9", 1},
		{">*", "0.0.0", 0},
		{"<*", "0.0.0", 0},
		{"<=*", "99.0.0", 1},
		{">=*", "0.0.0", 1},
	};
	check_matches(cases, COUNT(cases));
}

TEST(caret_allows_changes_right_of_the_first_non_zero_part)
{
	static const struct match_case cases[] = {
		{"^1.2.3", "1.2.3", 1},
		{"^1.2.3", "1.9.9", 1},
		{"^1.2.3", "2.0.0", 0},
		{"^1.2.3", "1.2.2", 0},
		{"^0.2.3", "0.2.9", 1},
		{"^0.2.3", "0.3.0", 0},
		{"^0.2.3", "0.2.2", 0},
		{"^0.0.3", "0.0.3", 1},
		{"^0.0.3", "0.0.4", 0},
		{"^1.4", "1.4.0", 1},
		{"^1.4", "1.99.0", 1},
		{"^1.4", "1.3.9", 0},
		{"^1.4", "2.0.0", 0},
		{"^1", "1.0.0", 1},
		{"^1", "1.999.999", 1},
		{"^1", "2.0.0", 0},
		{"^0.2", "0.2.9", 1}, /* node-semver: >=0.2.0 <0.3.0 */
		{"^0.2", "0.3.0", 0},
		{"^0.0", "0.0.9", 1}, /* >=0.0.0 <0.1.0 */
		{"^0.0", "0.1.0", 0},
		{"^0", "0.99.0", 1},
		{"^0", "1.0.0", 0},
		{"^0.0.0", "0.0.0", 1},
		{"^0.0.0", "0.0.1", 0},
		{"^1.x", "1.5.0", 1},
		{"^0.0.x", "0.0.9", 1},
		{"^0.0.x", "0.1.0", 0},
		{"^*", "3.0.0", 1},
		{"^1.2.3-beta.2", "1.2.3-beta.4", 1},
		{"^1.2.3-beta.2", "1.2.3-beta.1", 0},
		{"^1.2.3-beta.2", "1.2.4-beta.2", 0},
		{"^1.2.3-beta.2", "1.9.0", 1},
		{"^18446744073709551615.0.0", "18446744073709551615.9.9", 1},
	};
	check_matches(cases, COUNT(cases));
}

TEST(tilde_allows_patch_changes_or_minor_when_only_major_is_given)
{
	static const struct match_case cases[] = {
		{"~2.3.1", "2.3.1", 1},
		{"~2.3.1", "2.3.9", 1},
		{"~2.3.1", "2.4.0", 0},
		{"~2.3.1", "2.3.0", 0},
		{"~2.3", "2.3.0", 1},
		{"~2.3", "2.3.99", 1},
		{"~2.3", "2.4.0", 0},
		{"~2", "2.99.0", 1},
		{"~2", "3.0.0", 0},
		{"~2", "1.9.9", 0},
		{"~0.2.3", "0.2.9", 1},
		{"~0.2.3", "0.3.0", 0},
		{"~ 1.2.3", "1.2.4", 1},
		{"~1.2.3-beta.2", "1.2.3-beta.4", 1},
		{"~1.2.3-beta.2", "1.2.4-beta.2", 0},
		{"~1.2.3-beta.2", "1.2.4", 1},
		{"~1.x", "1.9.0", 1},
	};
	check_matches(cases, COUNT(cases));
}

TEST(wildcards_and_partials_match_everything_they_leave_open)
{
	static const struct match_case cases[] = {
		{"*", "0.0.0", 1},
		{"*", "99.99.99", 1},
		{"x", "1.2.3", 1},
		{"X", "1.2.3", 1},
		{"", "1.2.3", -1}, /* empty is an error, not "*" */
		{"1.x", "1.0.0", 1},
		{"1.x", "1.99.99", 1},
		{"1.x", "2.0.0", 0},
		{"1.x", "0.9.9", 0},
		{"1.X.x", "1.5.5", 1},
		{"1.2.*", "1.2.0", 1},
		{"1.2.*", "1.2.77", 1},
		{"1.2.*", "1.3.0", 0},
		{"1", "1.5.0", 1},
		{"1", "2.0.0", 0},
		{"1.2", "1.2.7", 1},
		{"1.2", "1.3.0", 0},
		{"=1.2", "1.2.7", 1},
		{"1.*.*", "1.0.1", 1},
		{"18446744073709551615", "18446744073709551615.1.1", 1},
	};
	check_matches(cases, COUNT(cases));
}

TEST(hyphen_ranges_are_inclusive_and_round_partial_ends_outward)
{
	static const struct match_case cases[] = {
		{"1.2.3 - 2.3.4", "1.2.3", 1},
		{"1.2.3 - 2.3.4", "2.3.4", 1},
		{"1.2.3 - 2.3.4", "2.3.5", 0},
		{"1.2.3 - 2.3.4", "1.2.2", 0},
		{"1.2 - 2.3.4", "1.2.0", 1}, /* >=1.2.0 */
		{"1.2 - 2.3.4", "1.1.9", 0},
		{"1.2.3 - 2.3", "2.3.99", 1}, /* <2.4.0 */
		{"1.2.3 - 2.3", "2.4.0", 0},
		{"1.2.3 - 2", "2.99.0", 1}, /* <3.0.0 */
		{"1.2.3 - 2", "3.0.0", 0},
		{"1.x - 2.x", "2.5.0", 1},
		{"* - 2.0.0", "0.0.1", 1},
		{"1.0.0 - *", "999.0.0", 1},
		{"1.2.3\t-\t2.3.4", "2.0.0", 1},
		{"1.0.0 - 2.0.0-rc.1", "2.0.0-beta", 1},
		{"1.0.0 - 2.0.0-rc.1", "2.0.0", 0},
		{"1.0.0 - 2.0.0 >1.5.0", "1.5.0", 0},
	};
	check_matches(cases, COUNT(cases));
}

TEST(whitespace_intersects_and_double_bar_unites)
{
	static const struct match_case cases[] = {
		{">=1.2.0 <2.0.0", "1.5.0", 1},
		{">=1.2.0 <2.0.0", "2.0.0", 0},
		{">=1.2.0 <2.0.0", "1.1.0", 0},
		{"  >=1.2.0    <2.0.0  ", "1.2.0", 1},
		{">2.0.0 <1.0.0", "1.5.0", 0},
		{"1.2.7 || >=1.2.9 <2.0.0", "1.2.7", 1},
		{"1.2.7 || >=1.2.9 <2.0.0", "1.2.9", 1},
		{"1.2.7 || >=1.2.9 <2.0.0", "1.4.6", 1},
		{"1.2.7 || >=1.2.9 <2.0.0", "1.2.8", 0},
		{"1.2.7 || >=1.2.9 <2.0.0", "2.0.0", 0},
		{"^1.0.0 || ^2.0.0 || ^3.0.0", "2.7.1", 1},
		{"^1.0.0 || ^2.0.0 || ^3.0.0", "4.0.0", 0},
		{"~1.2.0||~1.4.0", "1.4.3", 1},
		{"~1.2.0||~1.4.0", "1.3.0", 0},
		{"<1.0.0 || 2.x", "0.5.0", 1},
		{"<1.0.0 || 2.x", "1.5.0", 0},
	};
	check_matches(cases, COUNT(cases));
}

TEST(pre_releases_match_only_when_a_comparator_opts_in_at_the_same_patch)
{
	static const struct match_case cases[] = {
		/* node-semver's documented example. */
		{">1.2.3-alpha.3", "1.2.3-alpha.7", 1},
		{">1.2.3-alpha.3", "3.4.5-alpha.9", 0},
		{">1.2.3-alpha.3", "3.4.5", 1},
		{">1.2.3-alpha.3", "1.2.3-alpha.3", 0},
		{"^1.2.0", "1.3.0-beta.1", 0},
		{"^1.2.0", "1.3.0", 1},
		{">=1.3.0-beta.1 <1.4.0", "1.3.0-beta.2", 1},
		{">=1.3.0-beta.1 <1.4.0", "1.3.0-alpha", 0},
		{">=1.3.0-beta.1 <1.4.0", "1.3.1-beta.2", 0},
		{">=1.3.0-beta.1 <1.4.0", "1.3.5", 1},
		{"*", "1.0.0-beta", 0},
		{"1.x", "1.2.0-rc.1", 0},
		{">=1.0.0", "1.0.1-rc.1", 0},
		{"<2.0.0", "2.0.0-rc.1", 0},
		{"<2.0.0-rc.2", "2.0.0-rc.1", 1},
		{"1.2.3 - 2.3.4", "2.3.4-rc.1", 0},
		/* The opt-in counts only inside its own alternative. */
		{">=1.0.0-rc.1 <1.0.1 || >=2.0.0", "2.0.0-rc.1", 0},
		{">=1.0.0-rc.1 <1.0.1 || >=2.0.0", "1.0.0-rc.2", 1},
		{"1.0.0-rc.1 || 2.0.0-rc.1", "2.0.0-rc.1", 1},
		{"=1.0.0-rc.1+b.1", "1.0.0-rc.1+b.2", 1},
	};
	check_matches(cases, COUNT(cases));
}

struct invalid_case {
	const char *range;
	const char *message_part;
};

TEST(invalid_ranges_are_rejected_with_what_and_where)
{
	static const struct invalid_case cases[] = {
		{"", "range is empty"},
		{"   ", "range is empty"},
		{"^", "'^' is not followed by a version (at character 1)"},
		{">=", "'>=' is not followed by a version (at character 1)"},
		{"<1.0.0 >=", "'>=' is not followed by a version (at "
			      "character 8)"},
		{"1.2.3 -", "hyphen range '1.2.3 -' has no upper version"},
		{"1.2.3 - || 2", "has no upper version (at character 7)"},
		{">=1.2.3 ||", "nothing after '||' (at character 9)"},
		{"|| 1.2.3", "nothing before '||' (at character 1)"},
		{"1.2.3 || || 2.0.0", "nothing before '||' (at character 10)"},
		{"1.2.3 | 2.0.0", "single '|' is not an operator"},
		{"1.2.3.4", "'1.2.3.4' has more than three parts"},
		{"v1.2.3", "must not start with 'v'; write '1.2.3'"},
		{">=V1.2.3",
		 "must not start with 'V'; write '1.2.3' (at character 3)"},
		{"~>1.2", "'~>' (Ruby-style) is not supported; write '~1.2'"},
		{"~> 1.2", "write '~1.2'"},
		{"1.2.3 $", "invalid character '$' (at character 7)"},
		{"1.2.3 ; rm", "invalid character ';'"},
		{">=1.0.0<2.0.0",
		 "invalid character '<'; put a space before each "
		 "operator (at character 8)"},
		{">=1.0.0, <2.0.0", "invalid character ','"},
		{"1.2.3 && 2.0.0", "invalid character '&'"},
		{"1.2.3\n", "invalid character byte 0x0A"},
		{"1.2.3 -2.0.0", "'-' must stand between two versions"},
		{">=1.2.3 - 2.0.0", "'-' must stand between two versions"},
		{"1.2.3 - >=2.0.0", "upper version of a hyphen range takes no "
				    "operator"},
		{"1.x.3", "a number cannot follow a wildcard in '1.x.3'; write "
			  "'1.x'"},
		{"01.2.3", "major version has a leading zero in '01.2.3'"},
		{"^01.2", "major version has a leading zero in '01.2'"},
		{"1.2.", "patch version is missing in '1.2.'"},
		{"1..3", "minor version is missing"},
		{"1.2-beta", "'1.2-beta' has a pre-release or build but not a "
			     "full MAJOR.MINOR.PATCH version"},
		{"1.2.3-", "invalid version '1.2.3-': pre-release identifier 1 "
			   "is empty"},
		{"1.2.3-be*ta", "invalid character '*' in pre-release"},
		{"latest", "invalid character 'l' in major version of "
			   "'latest'"},
		{">=1.2.3a", "invalid character 'a' in patch version"},
		{"18446744073709551616", "larger than 18446744073709551615"},
		{"==1.2.3", "invalid character '='"},
		{"!=1.2.3", "invalid character '!'"},
	};
	for (size_t i = 0; i < COUNT(cases); i++) {
		const struct invalid_case *c = &cases[i];
		/* Not NULL, so the check below sees parse reset it. */
		struct sl_range *r = (struct sl_range *)&r;
		struct sl_error err = {0};
		enum sl_err rc = sl_range_parse(c->range, &r, &err);

		if (rc != SL_EINVAL || !strstr(err.message, c->message_part) ||
		    strcmp(err.field, "range") != 0 || r != NULL) {
			fprintf(stderr,
				"  \"%s\": rc %d, field \"%s\", message "
				"\"%s\", want \"%s\"\n",
				c->range, rc, err.field, err.message,
				c->message_part);
			t_failed_checks++;
		}
		if (rc == SL_OK)
			sl_range_free(r);
	}
	CHECK(COUNT(cases) >= 12);
}

TEST(a_range_of_256_characters_parses_and_257_is_rejected)
{
	char s[SL_RANGE_MAX_LEN + 2];
	struct sl_range *r;
	struct sl_error err = {0};

	memset(s, ' ', sizeof(s));
	memcpy(s, ">=1.0.0", 7);
	s[SL_RANGE_MAX_LEN - 1] = '*';
	s[SL_RANGE_MAX_LEN] = '\0';
	CHECK_INT(sl_range_parse(s, &r, &err), SL_OK);
	sl_range_free(r);
	s[SL_RANGE_MAX_LEN] = ' ';
	s[SL_RANGE_MAX_LEN + 1] = '\0';
	CHECK_INT(sl_range_parse(s, &r, &err), SL_EINVAL);
	CHECK(r == NULL);
	CHECK_STR(err.message, "range is longer than 256 characters");
	CHECK_STR(err.field, "range");
}

TEST(a_parsed_range_is_reusable_across_versions)
{
	static const char *const in[] = {"1.2.3", "1.9.0", "3.1.0", "3.1.4"};
	static const char *const out[] = {"1.2.2", "2.0.0", "3.2.0",
					  "3.1.4-rc.1"};
	struct sl_range *r;
	struct sl_error err = {0};

	CHECK_INT(sl_range_parse("^1.2.3 || ~3.1", &r, &err), SL_OK);
	for (size_t i = 0; i < COUNT(in); i++) {
		struct sl_semver v;

		CHECK_INT(sl_semver_parse(in[i], &v, &err), SL_OK);
		CHECK_INT(sl_range_match(r, &v), 1);
		sl_semver_fini(&v);
		CHECK_INT(sl_semver_parse(out[i], &v, &err), SL_OK);
		CHECK_INT(sl_range_match(r, &v), 0);
		sl_semver_fini(&v);
	}
	sl_range_free(r);
	sl_range_free(NULL);
}

TEST(satisfies_reports_which_input_did_not_parse)
{
	struct sl_error err = {0};

	CHECK_INT(sl_range_satisfies("^1.0.0", "1.2", &err), -1);
	CHECK_STR(err.field, "version");
	CHECK(strstr(err.message, "MAJOR.MINOR.PATCH") != NULL);
	CHECK_INT(sl_range_satisfies("^", "1.2.3", &err), -1);
	CHECK_STR(err.field, "range");
	CHECK_INT(sl_range_satisfies("^1.0.0", "1.2.3", &err), 1);
}

TEST_MAIN(
	T(plain_comparators_compare_by_precedence),
	T(partial_versions_in_comparators_fill_with_zero_or_round_up),
	T(caret_allows_changes_right_of_the_first_non_zero_part),
	T(tilde_allows_patch_changes_or_minor_when_only_major_is_given),
	T(wildcards_and_partials_match_everything_they_leave_open),
	T(hyphen_ranges_are_inclusive_and_round_partial_ends_outward),
	T(whitespace_intersects_and_double_bar_unites),
	T(pre_releases_match_only_when_a_comparator_opts_in_at_the_same_patch),
	T(invalid_ranges_are_rejected_with_what_and_where),
	T(a_range_of_256_characters_parses_and_257_is_rejected),
	T(a_parsed_range_is_reusable_across_versions),
	T(satisfies_reports_which_input_did_not_parse))
