/*
 * Preloaded by tests/preload.sh: unlink() of a path that contains $SHIM_REFUSE fails with EACCES,
 * as in a folder the build's user may not write to (root, who runs the tests in CI, ignores such
 * permissions). A build then fails to remove a stale file after it has replaced the others.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refusals.h"

int
unlink(const char *path)
{
	static int (*real)(const char *);
	const char *refuse = getenv("SHIM_REFUSE");

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "unlink");
	if (refuse && *refuse && strstr(path, refuse)) {
		shim_refuse();
		errno = EACCES;
		return -1;
	}
	return real(path);
}
