/*
 * Preloaded by tests/preload.sh: a repository that only the main thread can open, as when the
 * process reaches its limit of open files once a build is under way. Each rendering thread that
 * reads a blob opens its own repository object first (src/build.c, own_repo); when that fails it
 * must read through the main thread's object instead, and the build must not notice.
 *
 * libgit2's header is not needed for one function: its prototype is declared here as git2.h has it.
 */
#include <dlfcn.h>
#include <unistd.h>

#include "refusals.h"

typedef struct git_repository git_repository;

int git_repository_open_ext(git_repository **out, const char *path, unsigned int flags,
			    const char *ceiling_dirs);

int
git_repository_open_ext(git_repository **out, const char *path, unsigned int flags,
			const char *ceiling_dirs)
{
	static int (*real)(git_repository **, const char *, unsigned int, const char *);

	if (gettid() != getpid()) {
		shim_refuse();
		*out = NULL;
		return -1;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "git_repository_open_ext");
	return real(out, path, flags, ceiling_dirs);
}
