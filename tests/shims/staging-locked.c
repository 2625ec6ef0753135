/*
 * Preloaded by tests/preload.sh: just before a first build renames its new folder ".NAME.new-XXXXXX"
 * to NAME, tries to lock that folder as another build would (src/output.c, remove_dead_builds) and
 * appends "held" or "free" to the file $SHIM_REPORT. A build must hold the lock until it ends.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	const char *base = strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
	const char *report = getenv("SHIM_REPORT");

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "rename");
	if (report && base[0] == '.' && strstr(base, ".new-")) {
		/* A lock taken through another open file conflicts with the build's own. */
		int fd = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int held = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0;
		FILE *out = fopen(report, "a");

		if (out) {
			fputs(held ? "held\n" : "free\n", out);
			fclose(out);
		}
		if (fd >= 0)
			close(fd);
	}
	return real(from, to);
}
