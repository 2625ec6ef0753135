/*
 * Preloaded by tests/preload.sh: a file system without O_TMPFILE, on which a cold build must make
 * the file for the HTML it keeps between its passes (src/build.c, open_html_spill) another way,
 * and leave nothing of it behind. Writes to that file (pwrite) are counted in $SHIM_REPORT.writes
 * and reads from it (pread) in $SHIM_REPORT.reads, to show the file that was made instead is used.
 */
#include <dlfcn.h>
#include <unistd.h>

#include "open-refusal.h"
#include "refusals.h"

static atomic_uint writes, reads;

static void
report_count(const char *suffix, unsigned count)
{
	const char *path = getenv("SHIM_REPORT");
	char name[4096];
	FILE *f;

	if (path && snprintf(name, sizeof(name), "%s.%s", path, suffix) < (int)sizeof(name) &&
	    (f = fopen(name, "w"))) {
		fprintf(f, "%u\n", count);
		fclose(f);
	}
}

static void __attribute__((destructor))
report_writes(void)
{
	/* Only a process that wrote reports: `timeout`, which runs the build, has the shim too. */
	if (atomic_load(&writes)) {
		report_count("writes", atomic_load(&writes));
		report_count("reads", atomic_load(&reads));
	}
}

ssize_t
pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);

	atomic_fetch_add(&writes, 1);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "pwrite");
	return real(fd, buf, count, offset);
}

/* The same function under its large-file name (off64_t is off_t on 64-bit Linux). */
ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) __attribute__((alias("pwrite")));

ssize_t
pread(int fd, void *buf, size_t count, off_t offset)
{
	static ssize_t (*real)(int, void *, size_t, off_t);

	atomic_fetch_add(&reads, 1);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "pread");
	return real(fd, buf, count, offset);
}

ssize_t pread64(int fd, void *buf, size_t count, off64_t offset) __attribute__((alias("pread")));

static int
open_refusal(const char *path, int flags)
{
	(void)path;
	if ((flags & O_TMPFILE) != O_TMPFILE)
		return 0;
	shim_refuse();
	return EOPNOTSUPP;
}
