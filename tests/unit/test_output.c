/*
 * Unit tests of output: staging, write-if-changed, atomic replacement, stale files, failures.
 * Everything runs on real files in a fresh mkdtemp folder, removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "output.h"

static char root[64];
static char site[128];
static int tmp_count;

/* The contents of a file (malloc'ed, NUL-terminated), or NULL when it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)r);
	close(fd);
	return buf_detach(&b, len);
}

static void
spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

static char *
in_site(const char *rel)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", site, rel);
	return p;
}

static int
has_bytes(const char *rel, const char *want)
{
	size_t len;
	char *got = slurp(in_site(rel), &len);
	int same = got && len == strlen(want) && memcmp(got, want, len) == 0;

	free(got);
	return same;
}

static int
exists(const char *rel)
{
	struct stat st;

	return lstat(in_site(rel), &st) == 0;
}

static int
count_tmp_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	if (strstr(path + ftw->base, ".tmp-"))
		tmp_count++;
	return 0;
}

/* Temporary files left anywhere under the scratch folder. */
static int
count_tmp(void)
{
	tmp_count = 0;
	nftw(root, count_tmp_cb, 16, FTW_PHYS);
	return tmp_count;
}

static int
rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static void
set_old_mtime(const char *rel)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	utimensat(AT_FDCWD, in_site(rel), ts, AT_SYMLINK_NOFOLLOW);
}

static int
has_old_mtime(const char *rel)
{
	struct stat st;

	return lstat(in_site(rel), &st) == 0 && st.st_mtim.tv_sec == 1000000000;
}

static int
mode_of(const char *rel)
{
	struct stat st;

	return lstat(in_site(rel), &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* Commits o, capturing the diagnostics in *msg (malloc'ed). */
static int
commit(struct output *o, struct output_stats *stats, char **msg)
{
	size_t size;
	FILE *f = open_memstream(msg, &size);
	struct diag d;
	int rc;

	diag_init(&d, f);
	rc = output_commit(o, stats, &d);
	fclose(f);
	if (rc == 0 && d.errors)
		rc = -2;
	return rc;
}

/* Stages the base site, with an optional replacement for one file's bytes and one path left out. */
static struct output *
base_site(const char *changed_index, const char *skip)
{
	static const char *const files[][2] = {
		{ "index.html", "<p>SEVERE</p>\n" },
		{ "atom.xml", "<feed/>\n" },
		{ "2014/raised-to-severe/index.html", "<p>raised</p>\n" },
		{ "2011/lowered/index.html", "<p>lowered</p>\n" },
		{ "levels/index.html", "<p>levels</p>\n" },
		{ "empty.txt", "" },
	};
	struct output *o = output_new(site);

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		const char *data = files[i][1];

		if (skip && strcmp(skip, files[i][0]) == 0)
			continue;
		if (changed_index && i == 0)
			data = changed_index;
		output_add(o, files[i][0], data, strlen(data));
	}
	return o;
}

static void
test_staging(void)
{
	struct output *o = output_new(site);
	const char *got;
	size_t len = 99;
	char bytes[] = { 'a', '\0', 'b' };
	char *owned = malloc(4);

	memcpy(owned, "xyz", 4);
	ok(output_add(o, "a/b/c.html", "hello", 5) == 0, "output_add stages a nested path");
	ok(output_add(o, "nul.bin", bytes, 3) == 0, "output_add stages bytes with a NUL");
	ok(output_add_owned(o, "owned.txt", owned, 3) == 0, "output_add_owned takes a buffer");
	ok(output_add(o, "empty", "", 0) == 0, "output_add stages an empty file");
	got = output_get(o, "a/b/c.html", &len);
	ok(got && len == 5 && memcmp(got, "hello", 5) == 0, "output_get returns the staged bytes");
	got = output_get(o, "nul.bin", &len);
	ok(got && len == 3 && memcmp(got, bytes, 3) == 0, "output_get keeps embedded NULs");
	ok(output_get(o, "owned.txt", &len) == owned && len == 3, "owned data is kept, not copied");
	got = output_get(o, "empty", &len);
	ok(got && len == 0, "an empty file is staged, not absent");
	ok(output_get(o, "missing", NULL) == NULL, "output_get of an unstaged path is NULL");
	ok(output_get(o, "a/b", NULL) == NULL, "a folder of a staged path is not a staged path");
	output_free(o);
	output_free(NULL);
	ok(access(site, F_OK) < 0, "staging alone touches nothing on disk");
}

/* Runs the staging in a child and reports whether it aborted (an assert). */
static int
aborts(const char *first, const char *second)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct output *o = output_new(site);

		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		output_add(o, first, "x", 1);
		if (second)
			output_add(o, second, "y", 1);
		output_free(o);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void
test_programming_errors(void)
{
	static const char *const bad[] = {
		"/etc/passwd", "../x", "a/../b", "a/..", "a//b", "a/", "", "./a", "a/./b", "a\nb",
		".threatfeed-files",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(aborts(bad[i], NULL), "staging '%.*s' is an assert", (int)strcspn(bad[i], "\n"), bad[i]);
	ok(aborts("a/b.html", "a/b.html"), "staging a path twice is an assert");
	ok(!aborts("a/b.html", "a/b.htm"), "a path and its prefix are different paths");
	ok(!aborts("...", "..a/.b"), "names that merely start with dots are fine");
}

static void
test_first_commit(void)
{
	struct output *o = base_site(NULL, NULL);
	struct output_stats st;
	char *msg = NULL;
	mode_t old = umask(077);
	int rc = commit(o, &st, &msg);

	umask(old);
	ok(rc == 0, "first commit succeeds");
	is_str(msg, "", "first commit reports nothing");
	ok(st.staged == 6 && st.written == 6 && st.unchanged == 0 && st.removed == 0,
	   "first commit writes every file (%zu %zu %zu %zu)", st.staged, st.written, st.unchanged,
	   st.removed);
	ok(has_bytes("index.html", "<p>SEVERE</p>\n") && has_bytes("atom.xml", "<feed/>\n") &&
	   has_bytes("2014/raised-to-severe/index.html", "<p>raised</p>\n") &&
	   has_bytes("2011/lowered/index.html", "<p>lowered</p>\n") &&
	   has_bytes("levels/index.html", "<p>levels</p>\n") && has_bytes("empty.txt", ""),
	   "every file holds exactly its bytes");
	ok(mode_of("index.html") == 0644 && mode_of("2014/raised-to-severe/index.html") == 0644,
	   "files are 0644 even under umask 077");
	ok(mode_of("2014") == 0755 && mode_of("2014/raised-to-severe") == 0755,
	   "new folders are 0755 even under umask 077");
	ok(has_bytes(".threatfeed-files", "2011/lowered/index.html\n2014/raised-to-severe/index.html\n"
		     "atom.xml\nempty.txt\nindex.html\nlevels/index.html\n"),
	   "the manifest lists the staged paths, sorted");
	ok(count_tmp() == 0, "no temporary file remains after a commit");
	free(msg);
	output_free(o);
}

static void
test_unchanged(void)
{
	static const char *const all[] = {
		"index.html", "atom.xml", "2014/raised-to-severe/index.html", "2011/lowered/index.html",
		"levels/index.html", "empty.txt", ".threatfeed-files",
	};
	struct output *o = base_site(NULL, NULL);
	struct output_stats st;
	char *msg = NULL;
	int kept = 1;

	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		set_old_mtime(all[i]);
	ok(commit(o, &st, &msg) == 0, "an identical commit succeeds");
	ok(st.staged == 6 && st.written == 0 && st.unchanged == 6 && st.removed == 0,
	   "an identical commit writes nothing (%zu %zu %zu)", st.written, st.unchanged, st.removed);
	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		kept &= has_old_mtime(all[i]);
	ok(kept, "an identical commit keeps every mtime, the manifest's too");
	free(msg);
	output_free(o);

	msg = NULL;
	o = base_site("<p>CRITICAL</p>\n", NULL);
	ok(commit(o, &st, &msg) == 0 && st.written == 1 && st.unchanged == 5,
	   "changing one file rewrites only it");
	ok(has_bytes("index.html", "<p>CRITICAL</p>\n") && !has_old_mtime("index.html"),
	   "the changed file has its new bytes and a new mtime");
	kept = 1;
	for (size_t i = 1; i < sizeof(all) / sizeof(*all); i++)
		kept &= has_old_mtime(all[i]);
	ok(kept, "every other file keeps its mtime");
	free(msg);
	output_free(o);

	/* Same size, different bytes: the comparison must read, not trust the size. */
	msg = NULL;
	o = base_site("<p>CRITICAX</p>\n", NULL);
	ok(commit(o, &st, &msg) == 0 && st.written == 1 && has_bytes("index.html", "<p>CRITICAX</p>\n"),
	   "a change that keeps the size is still written");
	free(msg);
	output_free(o);
}

static void
test_large_file(void)
{
	size_t n = 300000;
	char *big = malloc(n);
	struct output *o;
	struct output_stats st;
	char *msg = NULL;

	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	o = output_new(site);
	output_add(o, "big.bin", big, n);
	ok(commit(o, &st, &msg) == 0 && st.written == 1, "a file larger than a read chunk is written");
	free(msg);
	output_free(o);
	set_old_mtime("big.bin");

	msg = NULL;
	o = output_new(site);
	output_add(o, "big.bin", big, n);
	ok(commit(o, &st, &msg) == 0 && st.unchanged == 1 && has_old_mtime("big.bin"),
	   "a large identical file is left alone");
	free(msg);
	output_free(o);

	msg = NULL;
	big[n - 1] = '!';
	o = output_new(site);
	output_add(o, "big.bin", big, n);
	ok(commit(o, &st, &msg) == 0 && st.written == 1, "a change in the last byte is seen");
	free(msg);
	output_free(o);
	free(big);
}

static void
test_stale(void)
{
	struct output *o = base_site(NULL, NULL);
	struct output_stats st;
	char *msg = NULL;
	char outside[256];

	/* The big.bin of the previous test is stale too. */
	output_add(o, "old/index.html", "old", 3);
	output_add(o, "deep/er/still/index.html", "deep", 4);
	ok(commit(o, &st, &msg) == 0 && st.removed == 1 && !exists("big.bin"),
	   "a file the previous build wrote and this one does not is removed");
	free(msg);
	output_free(o);

	spit(in_site("google1234.html"), "host verification");
	spit(in_site("old/host.txt"), "the host's own");
	mkdir(in_site("hostdir"), 0755);
	msg = NULL;
	o = base_site(NULL, "2014/raised-to-severe/index.html");
	ok(commit(o, &st, &msg) == 0, "a commit with fewer files succeeds");
	ok(st.staged == 5 && st.removed == 3 && st.written == 0,
	   "the three stale files are counted removed (%zu %zu)", st.staged, st.removed);
	ok(!exists("2014/raised-to-severe/index.html") && !exists("2014/raised-to-severe") &&
	   !exists("2014"), "a stale file goes, and its folders once empty");
	ok(!exists("deep"), "a chain of empty folders goes entirely");
	ok(!exists("old/index.html") && has_bytes("old/host.txt", "the host's own"),
	   "a folder that still holds a host's file stays, with the file");
	ok(has_bytes("google1234.html", "host verification") && exists("hostdir"),
	   "files and folders not in the manifest are never touched");
	ok(has_bytes(".threatfeed-files", "2011/lowered/index.html\natom.xml\nempty.txt\nindex.html\n"
		     "levels/index.html\n"), "the manifest no longer lists the removed files");
	free(msg);
	output_free(o);

	/* A tampered manifest must not lead the build out of the site. */
	snprintf(outside, sizeof(outside), "%s/outside.txt", root);
	spit(outside, "not ours");
	mkdir(in_site("linked"), 0755);
	ok(symlink(root, in_site("linkdir")) == 0, "set-up: a symbolic link");
	ok(symlink(outside, in_site("link.txt")) == 0, "set-up: a symbolic link");
	spit(in_site(".threatfeed-files"), "../outside.txt\n/etc/hostname\n\na//b\nlinkdir/outside.txt\n"
	     "link.txt\nlinked\n.threatfeed-files\nindex.html\nnot-there.html\n");
	msg = NULL;
	o = base_site(NULL, "2014/raised-to-severe/index.html");
	ok(commit(o, &st, &msg) == 0 && st.removed == 0, "a manifest with odd lines removes nothing");
	is_str(msg, "", "missing stale files are not an error");
	{
		size_t len;
		char *s = slurp(outside, &len);

		ok(s && strcmp(s, "not ours") == 0, "nothing outside the site is touched");
		free(s);
	}
	ok(exists("linkdir") && exists("link.txt") && exists("linked"),
	   "links and folders named in the manifest stay");
	ok(has_bytes(".threatfeed-files", "2011/lowered/index.html\natom.xml\nempty.txt\nindex.html\n"
		     "levels/index.html\n"), "the manifest is rewritten clean");
	unlink(in_site("linkdir"));
	unlink(in_site("link.txt"));
	rmdir(in_site("linked"));
	free(msg);
	output_free(o);
}

/*
 * Every entry under the site with its mode, and each file's mtime and bytes, as one string to
 * compare before and after. A folder's own mtime is left out: creating and removing a temporary
 * file in it changes that, and no web server publishes it.
 */
static struct buf snapshot_buf;

static int
snapshot_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	buf_printf(&snapshot_buf, "%s %d %o\n", path, type, (unsigned)st->st_mode);
	if (type == FTW_F) {
		buf_printf(&snapshot_buf, "%lld.%09ld\n", (long long)st->st_mtim.tv_sec,
			   st->st_mtim.tv_nsec);
		size_t len;
		char *s = slurp(path, &len);

		if (s)
			buf_add(&snapshot_buf, s, len);
		free(s);
	}
	return 0;
}

static char *
snapshot(void)
{
	buf_reset(&snapshot_buf);
	nftw(site, snapshot_cb, 16, FTW_PHYS);
	return xstrdup(snapshot_buf.ptr ? snapshot_buf.ptr : "");
}

/* Commits the base site with a new index, a new folder and one more file at `blocked`. */
static void
failing_commit(const char *blocked, const char *want_msg, const char *what)
{
	struct output *o = base_site("<p>LOW</p>\n", NULL);
	struct output_stats st;
	char *msg = NULL;
	char *before = snapshot(), *after;

	output_add(o, "brand-new/index.html", "new", 3);
	output_add(o, blocked, "blocked", 7);
	ok(commit(o, &st, &msg) == -1, "%s: the commit fails", what);
	ok(msg && strstr(msg, want_msg) != NULL, "%s: reported", what);
	if (msg && !strstr(msg, want_msg))
		printf("#   got: %s", msg);
	after = snapshot();
	ok(strcmp(before, after) == 0, "%s: every file (bytes, mtime) and folder is as before", what);
	if (strcmp(before, after) != 0)
		printf("# before:\n%s# after:\n%s", before, after);
	ok(count_tmp() == 0, "%s: no temporary file remains", what);
	ok(!exists("brand-new"), "%s: a folder created for the commit is removed", what);
	free(before);
	free(after);
	free(msg);
	output_free(o);
}

static void
test_failures(void)
{
	char outside[256];
	char want[600];

	/* "zz..." sorts last, so every other changed file already has its temporary file. */
	mkdir(in_site("zz-blocked.html"), 0755);
	snprintf(want, sizeof(want),
		 "threatfeed: %s/zz-blocked.html: cannot write: a folder is in the way\n", site);
	failing_commit("zz-blocked.html", want, "a folder where a file goes");
	rmdir(in_site("zz-blocked.html"));

	spit(in_site("zz-plain"), "a file");
	failing_commit("zz-plain/index.html", "zz-plain: cannot create folder: a file is in the way",
		       "a file where a folder goes");
	unlink(in_site("zz-plain"));

	rename(in_site(".threatfeed-files"), in_site("manifest.bak"));
	mkdir(in_site(".threatfeed-files"), 0755);
	failing_commit("zz-fine.html", ".threatfeed-files: cannot read: not a regular file",
		       "a folder where the manifest goes");
	rmdir(in_site(".threatfeed-files"));
	rename(in_site("manifest.bak"), in_site(".threatfeed-files"));

	snprintf(outside, sizeof(outside), "%s/outside.txt", root);
	ok(symlink(outside, in_site("zz-link.html")) == 0, "set-up: a symbolic link");
	failing_commit("zz-link.html", "zz-link.html: cannot write: a symbolic link is in the way",
		       "a symbolic link where a file goes");
	unlink(in_site("zz-link.html"));

	ok(symlink(root, in_site("zz-linkdir")) == 0, "set-up: a symbolic link");
	failing_commit("zz-linkdir/index.html", "zz-linkdir: cannot create folder: a symbolic link",
		       "a symbolic link where a folder goes");
	unlink(in_site("zz-linkdir"));
	{
		size_t len;
		char *s = slurp(outside, &len);

		ok(s && strcmp(s, "not ours") == 0, "a link's target is never written");
		free(s);
	}
}

static void
test_new_site_dir(void)
{
	char nested[256], blocker[256], want[600];
	struct output *o;
	struct output_stats st;
	char *msg = NULL;

	snprintf(nested, sizeof(nested), "%s/x/y/site/", root);
	o = output_new(nested);
	output_add(o, "index.html", "x", 1);
	ok(commit(o, &st, &msg) == 0 && st.written == 1,
	   "a missing site folder is created with its parents");
	snprintf(nested, sizeof(nested), "%s/x/y/site/index.html", root);
	ok(access(nested, F_OK) == 0, "the file is in the new site folder");
	free(msg);
	output_free(o);

	/* A site folder below a file cannot be made. */
	snprintf(blocker, sizeof(blocker), "%s/blocker", root);
	spit(blocker, "");
	snprintf(nested, sizeof(nested), "%s/blocker/site", root);
	o = output_new(nested);
	output_add(o, "a/index.html", "x", 1);
	msg = NULL;
	snprintf(want, sizeof(want), "threatfeed: %s: cannot create folder: a file is in the way\n",
		 blocker);
	ok(commit(o, &st, &msg) == -1, "a site folder below a file fails");
	is_str(msg, want, "and says what is in the way");
	free(msg);
	output_free(o);
}

static void
test_many(void)
{
	struct output *o = output_new(site);
	struct output_stats st;
	char *msg = NULL;
	char path[64], data[64];
	const char *got;
	size_t len;
	clock_t t0;
	int rc;

	for (int i = 0; i < 20000; i++) {
		snprintf(path, sizeof(path), "many/d%03d/f%05d.html", i % 100, i);
		snprintf(data, sizeof(data), "<p>file %d</p>\n", i);
		output_add(o, path, data, strlen(data));
	}
	got = output_get(o, "many/d042/f12342.html", &len);
	ok(got && len == strlen("<p>file 12342</p>\n") && memcmp(got, "<p>file 12342</p>\n", len) == 0,
	   "output_get finds one file among 20,000");
	t0 = clock();
	rc = commit(o, &st, &msg);
	ok(rc == 0 && st.written == 20000, "20,000 files are committed");
	printf("# 20,000 files written in %.2f s of CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
	free(msg);
	output_free(o);

	o = output_new(site);
	for (int i = 0; i < 20000; i++) {
		snprintf(path, sizeof(path), "many/d%03d/f%05d.html", i % 100, i);
		snprintf(data, sizeof(data), "<p>file %d</p>\n", i);
		output_add(o, path, data, strlen(data));
	}
	msg = NULL;
	t0 = clock();
	rc = commit(o, &st, &msg);
	ok(rc == 0 && st.unchanged == 20000 && st.written == 0, "20,000 unchanged files are left alone");
	printf("# 20,000 files compared in %.2f s of CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
	free(msg);
	output_free(o);

	o = output_new(site);
	msg = NULL;
	rc = commit(o, &st, &msg);
	ok(rc == 0 && st.removed == 20000 && !exists("many"), "20,000 stale files and their folders go");
	ok(has_bytes(".threatfeed-files", ""), "an empty site has an empty manifest");
	free(msg);
	output_free(o);
	ok(count_tmp() == 0, "no temporary file remains");
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/threatfeed-output-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(site, sizeof(site), "%s/site", root);
	test_staging();
	test_programming_errors();
	test_first_commit();
	test_unchanged();
	test_large_file();
	test_stale();
	test_failures();
	test_new_site_dir();
	test_many();
	buf_release(&snapshot_buf);
	nftw(root, rm_cb, 16, FTW_PHYS | FTW_DEPTH);
	return tests_done();
}
