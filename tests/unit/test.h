/* test.h - a tiny unit-test harness.
 *
 * Each TEST is one story; it passes when none of its checks failed. A
 * failing check prints both values and the line. main() comes from
 * TEST_MAIN(...) and ends with the line "N passed, N failed"; a suite that
 * runs its cases several times (once per backend) calls t_run itself. */
#ifndef SL_TEST_H
#define SL_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_failed_checks;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "  %s:%d: check failed: %s\n",         \
				__FILE__, __LINE__, #cond);                    \
			t_failed_checks++;                                     \
		}                                                              \
	} while (0)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long t_a = (long long)(a), t_b = (long long)(b);          \
		if (t_a != t_b) {                                              \
			fprintf(stderr,                                        \
				"  %s:%d: %s == %s: got %lld, want %lld\n",    \
				__FILE__, __LINE__, #a, #b, t_a, t_b);         \
			t_failed_checks++;                                     \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *t_a = (a), *t_b = (b);                             \
		if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                   \
			fprintf(stderr,                                        \
				"  %s:%d: %s == %s: got \"%s\", want "         \
				"\"%s\"\n",                                    \
				__FILE__, __LINE__, #a, #b,                    \
				t_a ? t_a : "(null)", t_b ? t_b : "(null)");   \
			t_failed_checks++;                                     \
		}                                                              \
	} while (0)

struct t_case {
	const char *name;
	void (*fn)(void);
};

#define T(name)                                                                \
	{                                                                      \
#name, name                                                    \
	}

/* Printed before each test's name; a suite that runs its tests once per
 * backend sets it (e.g. "sqlite: ") before each round. */
static const char *t_prefix = "";

/* Runs n cases, printing one line each, and adds to *passed and *failed. */
static inline void t_run(const struct t_case *cases, size_t n, int *passed,
			 int *failed)
{
	for (size_t i = 0; i < n; i++) {
		int before = t_failed_checks;

		cases[i].fn();
		if (t_failed_checks == before) {
			(*passed)++;
			printf("ok   %s%s\n", t_prefix, cases[i].name);
		} else {
			(*failed)++;
			printf("FAIL %s%s\n", t_prefix, cases[i].name);
		}
		fflush(stdout);
	}
}

#define TEST_MAIN(...)                                                         \
	int main(void)                                                         \
	{                                                                      \
		static const struct t_case cases[] = {__VA_ARGS__};            \
		int passed = 0, failed = 0;                                    \
		t_run(cases, sizeof(cases) / sizeof(cases[0]), &passed,        \
		      &failed);                                                \
		printf("%d passed, %d failed\n", passed, failed);              \
		return failed ? 1 : 0;                                         \
	}

#endif
