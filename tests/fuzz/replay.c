/*
 * Replays fuzz inputs through LLVMFuzzerTestOneInput without libFuzzer, so gcc builds, valgrind
 * and `make check-asan` exercise every target's corpus (cmark's fuzz/ and libgit2's fuzzers do the
 * same with a standalone driver).
 *
 *   test_fuzz_NAME [DIR-OR-FILE...]
 *
 * With no argument it replays ../fuzz/corpus/NAME/, NAME being its own name after "test_fuzz_":
 * tests/run starts it in tests/unit/. Prints TAP, one "ok" per input once the target returned;
 * a bug in a target is a crash or a sanitizer report, which fails the whole program.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Far larger than any corpus file (the whole corpus is kept under 500 KB). */
#define REPLAY_MAX_INPUT ((size_t)4 << 20)

static int count;

/* Passes the file's bytes in an exact-size allocation, as libFuzzer does, so that ASan catches a
 * read one past the end (the parsers promise to read only data[0..len)). */
static int
replay_file(const char *name, const char *path, off_t size)
{
	FILE *f = NULL;
	uint8_t *data = NULL;
	size_t len = (size_t)size;
	int rc = -1;

	if (size < 0 || len > REPLAY_MAX_INPUT) {
		printf("not ok %d - fuzz_%s: '%s' is over %zu bytes\n", ++count, name, path,
		       REPLAY_MAX_INPUT);
		return -1;
	}
	if (!(f = fopen(path, "rb")) || !(data = malloc(len ? len : 1)) ||
	    fread(data, 1, len, f) != len) {
		printf("not ok %d - fuzz_%s: cannot read '%s': %s\n", ++count, name, path,
		       strerror(errno));
		goto out;
	}
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, len);
	printf("ok %d - fuzz_%s: %s\n", ++count, name, path);
	rc = 0;
out:
	free(data);
	if (f)
		fclose(f);
	return rc;
}

static int
not_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int
replay_path(const char *name, const char *path)
{
	struct dirent **list;
	struct stat st;
	char *child;
	int n, rc = 0;

	if (stat(path, &st) < 0) {
		printf("not ok %d - fuzz_%s: '%s': %s\n", ++count, name, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(name, path, st.st_size);
	/* Sorted, so that runs print the same lines in the same order. */
	if ((n = scandir(path, &list, not_hidden, alphasort)) < 0) {
		printf("not ok %d - fuzz_%s: cannot list '%s': %s\n", ++count, name, path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t size = strlen(path) + strlen(list[i]->d_name) + 2;

		if ((child = malloc(size))) {
			snprintf(child, size, "%s/%s", path, list[i]->d_name);
			if (replay_path(name, child) < 0)
				rc = -1;
			free(child);
		} else {
			rc = -1;
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *prefix = "test_fuzz_";
	const char *name = strncmp(self, prefix, strlen(prefix)) == 0 ? self + strlen(prefix) : self;
	char dir[512];
	int rc = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay_path(name, argv[i]) < 0)
				rc = 1;
	} else {
		snprintf(dir, sizeof(dir), "../fuzz/corpus/%s", name);
		rc = replay_path(name, dir) < 0;
	}
	if (count == 0) {
		printf("not ok %d - fuzz_%s: no input to replay\n", ++count, name);
		rc = 1;
	}
	printf("1..%d\n", count);
	return rc;
}
