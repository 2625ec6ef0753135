/*
 * Preloaded by tests/preload.sh: a disk that is full for the file in which a build keeps the
 * HTML of the announcements it reads (src/build.c, memo_keep_html), the only file it writes with
 * pwrite(). The build must read those announcements again instead, and write the same site.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* How many writes this library refused: tests/preload.sh checks the shim did its part. */
static atomic_uint refused;

static void
report(void)
{
	const char *path = getenv("SHIM_REPORT");
	FILE *f;

	if (path && (f = fopen(path, "w"))) {
		fprintf(f, "%u\n", atomic_load(&refused));
		fclose(f);
	}
}

static ssize_t
refuse(void)
{
	static atomic_flag registered = ATOMIC_FLAG_INIT;

	if (!atomic_flag_test_and_set(&registered))
		atexit(report);
	atomic_fetch_add(&refused, 1);
	errno = ENOSPC;
	return -1;
}

ssize_t
pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	(void)fd;
	(void)buf;
	(void)count;
	(void)offset;
	return refuse();
}

ssize_t
pwrite64(int fd, const void *buf, size_t count, off_t offset)
{
	(void)fd;
	(void)buf;
	(void)count;
	(void)offset;
	return refuse();
}
