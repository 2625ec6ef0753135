/*
 * Preloaded by tests/preload.sh: another program makes the site folder, and puts a file in it,
 * while a first build is writing the site beside it. Just before the build renames its new folder
 * ".NAME.new-XXXXXX" to NAME, this rename() makes NAME with a file "theirs" in it first.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	const char *base = strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
	char theirs[4096];
	int fd;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "rename");
	if (base[0] == '.' && strstr(base, ".new-") && mkdir(to, 0755) == 0 &&
	    snprintf(theirs, sizeof(theirs), "%s/theirs", to) < (int)sizeof(theirs) &&
	    (fd = open(theirs, O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0)
		close(fd);
	return real(from, to);
}
