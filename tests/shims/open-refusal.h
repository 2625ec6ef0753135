/*
 * For shims that refuse some calls to open: the shim defines open_refusal(path, flags), which
 * returns the errno to fail with, or 0 to let the call through to the real open.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/types.h>

static int open_refusal(const char *path, int flags);

int
open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	int refusal;

	/* A mode is passed only with O_CREAT or O_TMPFILE (whose bits include O_DIRECTORY's). */
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if ((refusal = open_refusal(path, flags)) != 0) {
		errno = refusal;
		return -1;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "open");
	return real(path, flags, mode);
}

/* The same function under its large-file name (one function on 64-bit Linux). */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
