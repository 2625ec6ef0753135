/*
 * Preloaded by tests/preload.sh: every rename() the build makes is appended to the file named by
 * $SHIM_REPORT, one "FROM<TAB>TO" line each, in the order made, so that the test can replay what a
 * web server would have served between any two of them.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	const char *path = getenv("SHIM_REPORT");
	int rc, fd;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "rename");
	rc = real(from, to);
	if (rc == 0 && path && (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
		dprintf(fd, "%s\t%s\n", from, to);
		close(fd);
	}
	return rc;
}
