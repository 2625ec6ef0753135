/*
 * A tiny TAP harness for the unit tests (after cmark's api_test/harness.h): each check prints
 * "ok N - what" or "not ok N - what", and tests_done() prints the plan and returns the exit status.
 */
#ifndef THREATFEED_TEST_HARNESS_H
#define THREATFEED_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tests_run, tests_failed;

__attribute__((format(printf, 2, 3))) static int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tests_run++;
	if (!cond)
		tests_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tests_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

/* Compares strings and shows both on failure. */
static int
is_str(const char *got, const char *want, const char *what)
{
	int same = got && want ? strcmp(got, want) == 0 : got == want;

	if (!ok(same, "%s", what)) {
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	}
	return same;
}

static int
tests_done(void)
{
	printf("1..%d\n", tests_run);
	return tests_failed ? 1 : 0;
}

#endif
