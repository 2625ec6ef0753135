/*
 * repo: real repositories made with the git command line in a private temporary folder, read back
 * through libgit2 as a commit, the index and the work tree.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "repo.h"

static char tmp[256];
static char cwd[4096];

/* Runs a shell command (built printf-style) in the scratch folder; returns its exit status. */
__attribute__((format(printf, 1, 2))) static int
sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	rc = system(cmd);
	if (rc != 0)
		printf("# command failed (%d): %s\n", rc, cmd);
	return rc;
}

#define GIT "git -c user.name=Tester -c user.email=tester@example.invalid -c init.defaultBranch=main " \
	    "-c commit.gpgsign=false -c core.autocrlf=false"

static void
write_file(const char *rel, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	f = fopen(path, "w");
	if (!f) {
		printf("# cannot write %s\n", path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* Reads `git rev-parse` output for spec in folder dir into out[41]. */
static void
rev_parse(char *out, const char *dir, const char *spec)
{
	char cmd[1024];
	FILE *p;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "cd %s/%s && git rev-parse %s", tmp, dir, spec);
	p = popen(cmd, "r");
	if (!p)
		return;
	if (!fgets(out, 41, p))
		out[0] = '\0';
	pclose(p);
}

struct capture {
	char *text;
	size_t len;
	FILE *f;
	struct diag d;
};

static void
capture_start(struct capture *c)
{
	c->text = NULL;
	c->f = open_memstream(&c->text, &c->len);
	diag_init(&c->d, c->f);
}

/* Stops capturing; the text stays in c->text until capture_free. */
static void
capture_end(struct capture *c)
{
	fclose(c->f);
}

static void
capture_free(struct capture *c)
{
	free(c->text);
}

static const char *const prefixes[] = { "threatfeed.conf", "content/", "templates/" };
#define NPREFIXES (sizeof(prefixes) / sizeof(*prefixes))

static int
read_set(struct source_set *set, const char *dir, enum repo_snapshot snap, const char *ref,
	 char **diag_text)
{
	struct capture c;
	struct repo *r = NULL;
	char path[1024];
	int rc;

	memset(set, 0, sizeof(*set));
	snprintf(path, sizeof(path), "%s/%s", tmp, dir);
	capture_start(&c);
	rc = repo_open(&r, path, &c.d);
	if (rc == 0)
		rc = repo_read(set, r, snap, ref, prefixes, NPREFIXES, &c.d);
	repo_free(r);
	capture_end(&c);
	if (diag_text)
		*diag_text = c.text;
	else
		capture_free(&c);
	return rc;
}

static const char *
data_of(const struct source_set *set, const char *path)
{
	const struct source_file *f = source_set_find(set, path);

	return f && f->kind == SOURCE_FILE ? f->data : NULL;
}

static void
test_commit_index_worktree(void)
{
	struct source_set set;
	char head[41], id[41], *msg;
	int sorted = 1;

	ok(sh("cd %s && " GIT " init -q work && mkdir -p work/content/levels work/content/pages "
	      "work/templates", tmp) == 0, "git init");
	write_file("work/threatfeed.conf", "[site]\n\ttitle = T\n");
	write_file("work/threatfeed.conf.bak", "not read\n");
	write_file("work/content/levels/a.md", "committed\n");
	write_file("work/content/pages/about.md", "about\n");
	write_file("work/templates/page.mustache", "{{title}}\n");
	write_file("work/other.txt", "outside the prefixes\n");
	ok(sh("cd %s/work && " GIT " add -A && " GIT " commit -q -m one", tmp) == 0, "first commit");
	write_file("work/content/levels/a.md", "second version\n");
	ok(sh("cd %s/work && " GIT " commit -q -a -m two", tmp) == 0, "second commit");

	/* Work-tree changes after the commit: one staged, one modified, one untracked, a dot-file. */
	write_file("work/content/levels/staged.md", "staged\n");
	ok(sh("cd %s/work && git add content/levels/staged.md", tmp) == 0, "stage a file");
	write_file("work/content/levels/a.md", "uncommitted edit\n");
	write_file("work/content/levels/untracked.md", "untracked\n");
	write_file("work/content/levels/.swp", "editor junk\n");

	rev_parse(head, "work", "HEAD");
	ok(read_set(&set, "work", REPO_SNAPSHOT_COMMIT, NULL, NULL) == 0, "read HEAD");
	is_str(set.commit, head, "commit id is HEAD's");
	ok(set.count == 4, "four files under the prefixes (got %zu)", set.count);
	is_str(data_of(&set, "content/levels/a.md"), "second version\n", "HEAD has the committed text");
	ok(!source_set_find(&set, "content/levels/staged.md"), "staged file not in HEAD");
	ok(!source_set_find(&set, "content/levels/untracked.md"), "untracked file not in HEAD");
	ok(!source_set_find(&set, "other.txt"), "file outside the prefixes not read");
	ok(!source_set_find(&set, "threatfeed.conf.bak"), "exact prefix does not match a longer name");
	is_str(data_of(&set, "threatfeed.conf"), "[site]\n\ttitle = T\n", "exact file prefix read");
	is_str(data_of(&set, "templates/page.mustache"), "{{title}}\n", "templates read");
	rev_parse(id, "work", "HEAD:content/levels/a.md");
	is_str(source_set_find(&set, "content/levels/a.md")->id, id, "blob id matches git");
	ok(source_set_find(&set, "content/levels/a.md")->size == strlen("second version\n"), "size");
	for (size_t i = 1; i < set.count; i++)
		sorted &= strcmp(set.files[i - 1].path, set.files[i].path) < 0;
	ok(sorted, "sorted by path");
	source_set_release(&set);

	ok(read_set(&set, "work", REPO_SNAPSHOT_COMMIT, "HEAD~1", NULL) == 0, "read HEAD~1");
	is_str(data_of(&set, "content/levels/a.md"), "committed\n", "older commit's text");
	rev_parse(head, "work", "HEAD~1");
	is_str(set.commit, head, "commit id is HEAD~1's");
	source_set_release(&set);

	ok(read_set(&set, "work", REPO_SNAPSHOT_COMMIT, head, NULL) == 0, "read by full commit id");
	is_str(data_of(&set, "content/levels/a.md"), "committed\n", "same text by id");
	source_set_release(&set);

	ok(read_set(&set, "work", REPO_SNAPSHOT_INDEX, NULL, NULL) == 0, "read the index");
	is_str(set.commit, "", "no commit id for the index");
	is_str(data_of(&set, "content/levels/staged.md"), "staged\n", "index has the staged file");
	is_str(data_of(&set, "content/levels/a.md"), "second version\n", "index lacks unstaged edit");
	ok(!source_set_find(&set, "content/levels/untracked.md"), "index lacks untracked file");
	ok(!source_set_find(&set, "threatfeed.conf.bak"), "index: exact prefix only");
	source_set_release(&set);

	ok(read_set(&set, "work", REPO_SNAPSHOT_WORKTREE, NULL, NULL) == 0, "read the work tree");
	is_str(set.commit, "", "no commit id for the work tree");
	is_str(data_of(&set, "content/levels/a.md"), "uncommitted edit\n", "work tree has the edit");
	is_str(data_of(&set, "content/levels/untracked.md"), "untracked\n", "work tree: untracked");
	ok(!source_set_find(&set, "content/levels/.swp"), "dot-files skipped");
	ok(!source_set_find(&set, "other.txt"), "work tree: outside the prefixes not read");
	ok(!source_set_find(&set, "threatfeed.conf.bak"), "work tree: exact prefix only");
	ok(set.count == 6, "six files in the work tree (got %zu)", set.count);
	{
		char cmd[1024];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "git hash-object %s/work/content/levels/a.md", tmp);
		p = popen(cmd, "r");
		if (!p || !fgets(id, sizeof(id), p))
			id[0] = '\0';
		if (p)
			pclose(p);
	}
	is_str(source_set_find(&set, "content/levels/a.md")->id, id, "work-tree id as git hash-object");
	source_set_release(&set);

	/* Errors. */
	ok(read_set(&set, "work", REPO_SNAPSHOT_COMMIT, "no-such-ref", &msg) == -1, "unknown ref fails");
	ok(strncmp(msg, "threatfeed: unknown revision 'no-such-ref': ", 44) == 0, "unknown ref message");
	printf("# %s", msg);
	ok(set.count == 0 && set.files == NULL, "failed read leaves an empty set");
	free(msg);
	ok(read_set(&set, "work", REPO_SNAPSHOT_COMMIT, "HEAD:threatfeed.conf", &msg) == -1,
	   "a blob is not a commit");
	ok(strncmp(msg, "threatfeed: revision 'HEAD:threatfeed.conf' does not name a commit: ", 68) == 0,
	   "not-a-commit message");
	free(msg);
}

static void
test_bare(void)
{
	struct source_set set;
	struct capture c;
	struct repo *r = NULL;
	char path[1024], want[1100], *msg;

	ok(sh("cd %s && git clone -q --bare work bare.git", tmp) == 0, "bare clone");
	ok(read_set(&set, "bare.git", REPO_SNAPSHOT_COMMIT, NULL, NULL) == 0, "read a bare repository");
	is_str(data_of(&set, "content/levels/a.md"), "second version\n", "bare: committed text");
	source_set_release(&set);

	snprintf(path, sizeof(path), "%s/bare.git", tmp);
	capture_start(&c);
	ok(repo_open(&r, path, &c.d) == 0, "open bare");
	ok(r && repo_is_bare(r), "is bare");
	snprintf(want, sizeof(want), "%s/", path);
	is_str(r ? repo_root(r) : NULL, want, "bare root is the Git folder, with '/'");
	is_str(r ? repo_git_dir(r) : NULL, want, "bare git dir with '/'");
	repo_free(r);
	capture_end(&c);
	capture_free(&c);

	ok(read_set(&set, "bare.git", REPO_SNAPSHOT_WORKTREE, NULL, &msg) == -1, "bare has no work tree");
	snprintf(want, sizeof(want), "threatfeed: the repository '%s/bare.git/' is bare: it has no work "
		 "tree to read\n", tmp);
	is_str(msg, want, "bare work-tree message");
	free(msg);
}

static void
test_open(void)
{
	struct capture c;
	struct repo *r = NULL;
	char path[1024], want[1100];

	/* NULL searches upward from the current folder, as git does. */
	snprintf(path, sizeof(path), "%s/work/content/levels", tmp);
	capture_start(&c);
	ok(chdir(path) == 0 && repo_open(&r, NULL, &c.d) == 0, "open from a subfolder");
	snprintf(want, sizeof(want), "%s/work/", tmp);
	is_str(r ? repo_root(r) : NULL, want, "root found upward, with '/'");
	snprintf(want, sizeof(want), "%s/work/.git/", tmp);
	is_str(r ? repo_git_dir(r) : NULL, want, "git dir with '/'");
	ok(r && !repo_is_bare(r), "not bare");
	repo_free(r);
	r = NULL;
	ok(chdir(cwd) == 0, "back to the test folder");

	/* An explicit folder is opened as given, not searched upward from. */
	ok(repo_open(&r, path, &c.d) == -1 && r == NULL, "explicit subfolder is not a repository");
	snprintf(path, sizeof(path), "%s/nowhere", tmp);
	ok(repo_open(&r, path, &c.d) == -1, "missing folder fails");
	capture_end(&c);
	ok(c.d.errors == 2, "two errors reported");
	ok(strstr(c.text, "threatfeed: cannot open git repository '") == c.text, "open error wording");
	capture_free(&c);
}

static void
test_flagged(void)
{
	struct source_set set;
	const struct source_file *f;
	char sha[41];

	ok(sh("cd %s && " GIT " init -q odd && mkdir -p odd/content/levels odd/content/big", tmp) == 0,
	   "init odd");
	write_file("odd/content/levels/a.md", "a\n");
	ok(sh("cd %s/odd && ln -s a.md content/levels/link.md && "
	      "head -c %zu /dev/zero | tr '\\0' x > content/big/over.md && "
	      "head -c %zu /dev/zero | tr '\\0' y > content/big/limit.md && " GIT " add -A && " GIT
	      " commit -q -m odd", tmp, (size_t)REPO_MAX_BLOB + 1, (size_t)REPO_MAX_BLOB) == 0,
	   "commit a symlink and large files");
	rev_parse(sha, "odd", "HEAD");
	ok(sh("cd %s/odd && git update-index --add --cacheinfo 160000,%s,content/levels/sub && " GIT
	      " commit -q -m sub", tmp, sha) == 0, "commit a gitlink");

	ok(read_set(&set, "odd", REPO_SNAPSHOT_COMMIT, NULL, NULL) == 0, "read odd entries");
	f = source_set_find(&set, "content/levels/link.md");
	ok(f && f->kind == SOURCE_SYMLINK && !f->data, "symlink flagged");
	f = source_set_find(&set, "content/levels/sub");
	ok(f && f->kind == SOURCE_SUBMODULE && !f->data, "gitlink flagged");
	is_str(f ? f->id : NULL, sha, "gitlink id is the commit it points at");
	f = source_set_find(&set, "content/big/over.md");
	ok(f && f->kind == SOURCE_TOO_LARGE && !f->data && f->size == REPO_MAX_BLOB + 1,
	   "blob over the cap flagged with its size");
	f = source_set_find(&set, "content/big/limit.md");
	ok(f && f->kind == SOURCE_FILE && f->size == REPO_MAX_BLOB && f->data[REPO_MAX_BLOB] == '\0',
	   "blob at the cap read, NUL-terminated");
	source_set_release(&set);

	ok(read_set(&set, "odd", REPO_SNAPSHOT_INDEX, NULL, NULL) == 0, "index with odd entries");
	f = source_set_find(&set, "content/levels/link.md");
	ok(f && f->kind == SOURCE_SYMLINK, "index: symlink flagged");
	f = source_set_find(&set, "content/levels/sub");
	ok(f && f->kind == SOURCE_SUBMODULE, "index: gitlink flagged");
	f = source_set_find(&set, "content/big/over.md");
	ok(f && f->kind == SOURCE_TOO_LARGE, "index: large blob flagged");
	source_set_release(&set);

	/* In the work tree the gitlink is an empty folder; make it look like a checked-out one. */
	ok(sh("mkdir -p %s/odd/content/levels/sub && git init -q %s/odd/content/levels/sub", tmp, tmp) == 0,
	   "nested repository on disk");
	ok(read_set(&set, "odd", REPO_SNAPSHOT_WORKTREE, NULL, NULL) == 0, "work tree with odd entries");
	f = source_set_find(&set, "content/levels/link.md");
	ok(f && f->kind == SOURCE_SYMLINK, "work tree: symlink flagged");
	f = source_set_find(&set, "content/levels/sub");
	ok(f && f->kind == SOURCE_SUBMODULE, "work tree: nested repository flagged");
	f = source_set_find(&set, "content/big/over.md");
	ok(f && f->kind == SOURCE_TOO_LARGE && f->size == REPO_MAX_BLOB + 1, "work tree: large file");
	source_set_release(&set);
}

static void
test_empty(void)
{
	struct source_set set;
	char *msg;

	ok(sh("cd %s && " GIT " init -q empty", tmp) == 0, "init empty");
	ok(read_set(&set, "empty", REPO_SNAPSHOT_COMMIT, NULL, &msg) == -1, "empty repository fails");
	is_str(msg, "threatfeed: cannot resolve 'HEAD' (the repository has no commits yet)\n",
	       "empty repository message");
	free(msg);
	ok(read_set(&set, "empty", REPO_SNAPSHOT_INDEX, NULL, NULL) == 0 && set.count == 0,
	   "empty index reads as nothing");
	source_set_release(&set);
}

/* A user's gitconfig, even a broken one, must not be read by libgit2. */
static void
test_isolation(void)
{
	struct source_set set;
	char home[512], *msg;
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	snprintf(home, sizeof(home), "%s/home", tmp);
	mkdir(home, 0700);
	write_file("home/.gitconfig", "[core]\n\tautocrlf = true\n[include]\n\tpath = broken\n");
	write_file("home/broken", "[core\nthis is not = config\n");
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", home, 1);
	ok(read_set(&set, "work", REPO_SNAPSHOT_COMMIT, NULL, &msg) == 0, "broken user gitconfig ignored");
	if (*msg)
		printf("# %s", msg);
	free(msg);
	is_str(data_of(&set, "content/levels/a.md"), "second version\n", "same text read");
	source_set_release(&set);
	ok(read_set(&set, "work", REPO_SNAPSHOT_WORKTREE, NULL, NULL) == 0, "work tree too");
	source_set_release(&set);
	/* Opening the index makes libgit2 load the configuration (core.ignorecase and friends). */
	ok(read_set(&set, "work", REPO_SNAPSHOT_INDEX, NULL, &msg) == 0, "index too");
	if (*msg)
		printf("# %s", msg);
	free(msg);
	is_str(data_of(&set, "content/levels/staged.md"), "staged\n", "same index read");
	source_set_release(&set);
	if (old_home)
		setenv("HOME", old_home, 1);
	else
		unsetenv("HOME");
	unsetenv("XDG_CONFIG_HOME");
	free(old_home);
}

/* 100,000 files in one commit (one blob shared by every path, so the setup stays fast). */
static void
test_scale(void)
{
	struct source_set set;
	struct timespec t0, t1;
	double secs;

	ok(sh("cd %s && " GIT " init -q big && cd big && blob=$(echo x | git hash-object -w --stdin) && "
	      "awk -v b=$blob 'BEGIN { for (i = 0; i < 100000; i++) "
	      "printf \"100644 %%s\\tcontent/d%%03d/f%%05d.md\\n\", b, i %% 1000, i }' | "
	      "git update-index --index-info && " GIT " commit -q -m big", tmp) == 0,
	   "commit 100000 files");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(read_set(&set, "big", REPO_SNAPSHOT_COMMIT, NULL, NULL) == 0, "read 100000 files");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(set.count == 100000, "all 100000 read (got %zu)", set.count);
	ok(secs < 30, "in reasonable time (%.2f s)", secs);
	ok(set.count && strcmp(set.files[0].path, "content/d000/f00000.md") == 0 &&
	   strcmp(set.files[set.count - 1].path, "content/d999/f99999.md") == 0, "sorted");
	source_set_release(&set);
}

/* repo_hash_bytes gives Git's blob ids, as `git hash-object` does. */
static void
test_hash_bytes(void)
{
	char id[41];

	ok(repo_hash_bytes(id, "", 0) == 0 && strcmp(id, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391") == 0,
	   "the empty blob's id");
	ok(repo_hash_bytes(id, "hello\n", 6) == 0 &&
	   strcmp(id, "ce013625030ba8dba906f756967f9e9ca394464a") == 0, "the id of \"hello\\n\"");
}

int
main(void)
{
	struct capture c;
	struct config_entries e;

	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	snprintf(tmp, sizeof(tmp), "%s/threatfeed-test-repo-XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 1;

	test_commit_index_worktree();
	test_bare();
	test_open();
	test_flagged();
	test_empty();
	test_isolation();
	test_scale();
	test_hash_bytes();

	/* repo_parse_config is covered by test_config; one smoke check that it needs no open repo. */
	capture_start(&c);
	ok(repo_parse_config(&e, "x.conf", "[a]\n\tb = c\n", 11, &c.d) == 0 && e.count == 1 &&
	   strcmp(e.items[0].name, "a.b") == 0, "config parses without an open repository");
	config_entries_release(&e);
	capture_end(&c);
	capture_free(&c);

	sh("rm -rf %s", tmp);
	return tests_done();
}
