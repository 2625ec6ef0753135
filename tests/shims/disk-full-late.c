/*
 * Preloaded by tests/preload.sh: a disk that fills up part way through writing a site. The
 * hundredth file made in an announcement's folder cannot be created (ENOSPC), by then both
 * writer threads have made folders (src/output.c, SPILL_LANES), some inside folders the other
 * made. The build must fail and take away every folder it made.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>

#include "refusals.h"

#define FAIL_AT 100

static int
refused(const char *path, int flags)
{
	static atomic_uint made;

	if (!(flags & O_CREAT) || !strstr(path, "/2001/"))
		return 0;
	if (atomic_fetch_add(&made, 1) + 1 != FAIL_AT)
		return 0;
	shim_refuse();
	return 1;
}

int
open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "open");
	if (refused(path, flags)) {
		errno = ENOSPC;
		return -1;
	}
	return real(path, flags, mode);
}

/* The same function under its large-file name (one function on 64-bit Linux). */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
