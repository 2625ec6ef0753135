/*
 * For shims that refuse calls: each refusal is counted, and the count is written at exit to the
 * file named by $SHIM_REPORT, so that tests/preload.sh can check the shim did its part.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_uint shim_refusals;

static void
shim_report(void)
{
	const char *path = getenv("SHIM_REPORT");
	FILE *f;

	if (path && (f = fopen(path, "w"))) {
		fprintf(f, "%u\n", atomic_load(&shim_refusals));
		fclose(f);
	}
}

/* Counts one refusal; the first also arranges the report. */
static void
shim_refuse(void)
{
	static atomic_flag registered = ATOMIC_FLAG_INIT;

	if (!atomic_flag_test_and_set(&registered))
		atexit(shim_report);
	atomic_fetch_add(&shim_refusals, 1);
}
