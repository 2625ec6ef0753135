#include "repo.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

/* Trees and folders nested deeper than this are refused: a crafted tree must not exhaust the stack. */
#define MAX_DEPTH 64

struct repo {
	git_repository *git;
	char *root;      /* work tree or, when bare, the Git folder; ends with '/' */
	char *git_dir;   /* ends with '/' */
	int bare;
};

/* libgit2's own words for the last failure, never NULL. */
static const char *
git_words(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static char *
with_slash(const char *s)
{
	size_t len = strlen(s);
	char *p;

	if (len && s[len - 1] == '/')
		return xstrdup(s);
	p = xcalloc(len + 2, 1);
	memcpy(p, s, len);
	p[len] = '/';
	return p;
}

/*
 * Empties libgit2's search paths for the machine-wide, XDG, global and ProgramData gitconfig
 * files, so that no setting outside the repository (core.autocrlf, an include, a url rewrite)
 * can change what is read; the output must depend on the commit alone (invariant 6).
 */
static int
isolate_config(struct diag *d)
{
	static const int levels[] = { GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG,
		GIT_CONFIG_LEVEL_GLOBAL, GIT_CONFIG_LEVEL_PROGRAMDATA };

	for (size_t i = 0; i < sizeof(levels) / sizeof(*levels); i++) {
		if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "") < 0)
			return diag_error(d, NULL, 0, 0, "cannot isolate libgit2 from gitconfig files: %s",
					  git_words());
	}
	return 0;
}

/*
 * Whether opening path (or searching up from ".") failed only because the repository belongs to
 * another user, whose settings could name any folder as threatfeed.deploy for us to write: git
 * refuses such a repository, and so does libgit2. libgit2 1.5 then reports only that
 * safe.directory, which isolate_config keeps it from reading, is not set; opening the repository
 * once more without that check tells the two apart. The last libgit2 error is kept for the caller.
 */
static int
is_owned_by_another(const char *path)
{
	git_repository *probe;
	const git_error *e = git_error_last();
	char *words = e && e->message ? xstrdup(e->message) : NULL;
	int owned = 0;

	if (git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0) == 0) {
		owned = git_repository_open_ext(&probe, path ? path : ".",
						path ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0, NULL) == 0;
		if (owned)
			git_repository_free(probe);
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
	}
	if (words)
		git_error_set_str(GIT_ERROR_REPOSITORY, words);
	free(words);
	return owned;
}

/*
 * In a pre-receive hook the pushed objects are still in git's quarantine folder
 * (<objects>/tmp_objdir-incoming-*), named by GIT_QUARANTINE_PATH; git finds them through
 * GIT_OBJECT_DIRECTORY, which libgit2 1.5 ignores unless asked to read the whole environment (and
 * GIT_DIR with it). Only that one folder is added, as an alternate, and only when it lies inside
 * this repository's own object folder: a variable inherited from some other repository's hook
 * adds nothing. That folder is resolved itself, not the Git folder: a host may have moved
 * objects/ to another disk and left a symbolic link.
 */
static int
see_quarantine(struct repo *r, struct diag *d)
{
	const char *q = getenv("GIT_QUARANTINE_PATH");
	struct buf path = BUF_INIT;
	char *objects = NULL, *real = NULL;
	git_odb *odb = NULL;
	size_t len;
	int rc = 0;

	if (!q || !*q)
		return 0;
	if (buf_printf(&path, "%sobjects", git_repository_commondir(r->git)) < 0)
		goto out;
	objects = realpath(path.ptr, NULL);
	real = realpath(q, NULL);
	if (!objects || !real)
		goto out;
	len = strlen(objects);
	if (strncmp(real, objects, len) != 0 || real[len] != '/' || strchr(real + len + 1, '/'))
		goto out;
	if (git_repository_odb(&odb, r->git) < 0 || git_odb_add_disk_alternate(odb, real) < 0)
		rc = diag_error(d, NULL, 0, 0, "cannot read the pushed objects in '%s': %s", q,
				git_words());
out:
	git_odb_free(odb);
	free(real);
	free(objects);
	buf_release(&path);
	return rc;
}

/* libgit2's process-wide settings for reading a commit's files. */
static void
set_options(void)
{
	/*
	 * Pack files are read through mapped windows, and every page touched stays resident: reading
	 * 10,000 blobs spread over a pack touches most of it. Small windows, and few of them kept
	 * mapped, bound that memory; the objects are read once each, so little is lost.
	 */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)1 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)2 << 20);
	/*
	 * Git hashes an object when it enters the repository (index-pack checks every pushed
	 * object); reading hashes each blob again, a tenth of a cold build. git does not, nor do we.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	/* Each tree and blob is read once per build: libgit2's object cache only held memory. */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
}

/*
 * repo_open, and with setup libgit2's process-wide settings too. A thread opening another object
 * beside a live one leaves them alone: they are set already, and setting them again would write
 * what other threads are reading.
 */
static int
open_repo(struct repo **out, const char *path, int setup, struct diag *d)
{
	struct repo *r = xcalloc(1, sizeof(*r));
	const char *workdir;
	int rc = -1;

	*out = NULL;
	if (git_libgit2_init() < 0) {
		diag_error(d, NULL, 0, 0, "cannot initialise libgit2: %s", git_words());
		free(r);
		return -1;
	}
	if (setup) {
		if (isolate_config(d) < 0)
			goto out;
		set_options();
	}
	/* An explicit folder (-C) is opened as given; otherwise search upward as git does. */
	if (git_repository_open_ext(&r->git, path ? path : ".", path ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0,
				    NULL) < 0) {
		if (setup && is_owned_by_another(path))
			diag_error(d, NULL, 0, 0, "the git repository %s%s%sis owned by another user (run "
				   "threatfeed as the user who owns it)", path ? "'" : "",
				   path ? path : "", path ? "' " : "");
		else if (path)
			diag_error(d, NULL, 0, 0, "cannot open git repository '%s': %s", path, git_words());
		else
			diag_error(d, NULL, 0, 0, "not in a git repository (or any parent folder): %s",
				   git_words());
		goto out;
	}
	r->bare = git_repository_is_bare(r->git);
	r->git_dir = with_slash(git_repository_path(r->git));
	if (see_quarantine(r, d) < 0)
		goto out;
	workdir = git_repository_workdir(r->git);
	r->root = with_slash(workdir && !r->bare ? workdir : git_repository_path(r->git));
	*out = r;
	rc = 0;
out:
	if (rc < 0)
		repo_free(r);
	return rc;
}

int
repo_open(struct repo **out, const char *path, struct diag *d)
{
	return open_repo(out, path, 1, d);
}

int
repo_open_again(struct repo **out, const struct repo *r, struct diag *d)
{
	return open_repo(out, r->git_dir, 0, d);
}

void
repo_free(struct repo *r)
{
	if (!r)
		return;
	git_repository_free(r->git);
	free(r->root);
	free(r->git_dir);
	free(r);
	git_libgit2_shutdown();
}

int
repo_exclude_folder(struct repo *r, const char *rel)
{
	struct buf path = BUF_INIT, line = BUF_INIT;
	struct stat st;
	char last = '\n';
	int ignored = 0, fd = -1, rc = -1;

	if (r->bare || git_ignore_path_is_ignored(&ignored, r->git, rel) < 0 || ignored)
		return r->bare || ignored ? 0 : -1;
	/* A linked work tree shares info/ with the main one. */
	if (buf_printf(&path, "%sinfo", git_repository_commondir(r->git)) < 0 ||
	    (mkdir(path.ptr, 0777) < 0 && errno != EEXIST) || buf_puts(&path, "/exclude") < 0)
		goto out;
	fd = open(path.ptr, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto out;
	/* After a last line that has no newline, a line of its own. */
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
		buf_puts(&line, "\n");
	buf_printf(&line, "# The site 'threatfeed build' writes by default.\n/%s\n", rel);
	rc = line.ptr && write_full(fd, line.ptr, line.len) == 0 ? 1 : -1;
out:
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	buf_release(&path);
	buf_release(&line);
	return rc;
}

int
repo_is_bare(const struct repo *r)
{
	return r->bare;
}

const char *
repo_root(const struct repo *r)
{
	return r->root;
}

const char *
repo_git_dir(const struct repo *r)
{
	return r->git_dir;
}

int
repo_hash_bytes(char out[41], const void *data, size_t len)
{
	git_oid oid;

	int rc = -1;

	out[0] = '\0';
	if (git_libgit2_init() < 0)
		return -1;
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) == 0) {
		git_oid_tostr(out, 41, &oid);
		rc = 0;
	}
	/* Balances the init above; the library stays up while a repository is open. */
	git_libgit2_shutdown();
	return rc;
}

int
repo_branch_name_valid(const char *name)
{
	int valid = 0;

	if (git_libgit2_init() < 0)
		return 0;
	if (git_branch_name_is_valid(&valid, name) < 0)
		valid = 0;
	/* Balances the init above, as in repo_hash_bytes. */
	git_libgit2_shutdown();
	return valid;
}

/* Growing the set; kind and size are filled by the caller. */
static struct source_file *
set_add(struct source_set *set, size_t *cap, const char *path, enum source_kind kind, struct diag *d)
{
	struct source_file *f;

	if (set->count >= REPO_MAX_FILES) {
		diag_error(d, NULL, 0, 0, "more than %zu files to read (the limit)", (size_t)REPO_MAX_FILES);
		return NULL;
	}
	if (set->count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		set->files = xreallocarray(set->files, *cap, sizeof(*set->files));
	}
	f = &set->files[set->count++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->kind = kind;
	return f;
}

/* Reads blob `id` into f: its bytes plus a NUL, or SOURCE_TOO_LARGE with only its size. */
static int
read_blob(struct source_file *f, git_repository *git, git_odb *odb, const git_oid *id,
	  struct diag *d)
{
	git_blob *blob = NULL;
	git_object_t type;
	size_t len;
	int rc = -1;

	git_oid_tostr(f->id, sizeof(f->id), id);
	/*
	 * The header alone first, so an oversized blob is never inflated into memory. For a delta
	 * libgit2 walks the whole chain to learn the type: half the cost of a read, so a blob read
	 * before is not asked again.
	 */
	if (f->read_before && f->kind == SOURCE_FILE) {
		len = f->size;
	} else if (git_odb_read_header(&len, &type, odb, id) < 0) {
		diag_error(d, f->path, 0, 0, "cannot read blob %s: %s", f->id, git_words());
		goto out;
	}
	f->size = len;
	if (len > REPO_MAX_BLOB) {
		f->kind = SOURCE_TOO_LARGE;
		rc = 0;
		goto out;
	}
	if (git_blob_lookup(&blob, git, id) < 0) {
		diag_error(d, f->path, 0, 0, "cannot read blob %s: %s", f->id, git_words());
		goto out;
	}
	f->size = (size_t)git_blob_rawsize(blob);
	if (f->size > REPO_MAX_BLOB) {
		f->kind = SOURCE_TOO_LARGE;
		rc = 0;
		goto out;
	}
	f->data = xstrndup(git_blob_rawcontent(blob), f->size);
	f->kind = SOURCE_FILE;
	f->read_before = 1;
	rc = 0;
out:
	git_blob_free(blob);
	return rc;
}

struct reader {
	struct source_set *set;
	size_t cap;
	git_repository *git;
	git_odb *odb;
	struct diag *d;
	struct buf path;
	int (*skip)(void *arg, const char *path, const char *id);
	void *skip_arg;
};

/* Adds one tree entry found at r->path (a symlink, a gitlink or a blob). */
static int
add_tree_entry(struct reader *r, const git_tree_entry *e)
{
	struct source_file *f;

	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_LINK:
		f = set_add(r->set, &r->cap, r->path.ptr, SOURCE_SYMLINK, r->d);
		if (f)
			git_oid_tostr(f->id, sizeof(f->id), git_tree_entry_id(e));
		return f ? 0 : -1;
	case GIT_FILEMODE_COMMIT:
		f = set_add(r->set, &r->cap, r->path.ptr, SOURCE_SUBMODULE, r->d);
		if (f)
			git_oid_tostr(f->id, sizeof(f->id), git_tree_entry_id(e));
		return f ? 0 : -1;
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		f = set_add(r->set, &r->cap, r->path.ptr, SOURCE_FILE, r->d);
		if (!f)
			return -1;
		if (r->skip) {
			git_oid_tostr(f->id, sizeof(f->id), git_tree_entry_id(e));
			if (r->skip(r->skip_arg, f->path, f->id)) {
				f->unread = 1;
				return 0;
			}
		}
		return read_blob(f, r->git, r->odb, git_tree_entry_id(e), r->d);
	default:
		return diag_error(r->d, r->path.ptr, 0, 0, "unexpected file mode %06o in the tree",
				  (unsigned)git_tree_entry_filemode(e));
	}
}

/*
 * Walks one tree, entry by entry, with the path kept in r->path: each subtree is looked up once,
 * so reading 100,000 files costs 100,000 blob reads and no path searches from the root.
 */
static int
walk_tree(struct reader *r, const git_tree *tree, int depth)
{
	size_t n = git_tree_entrycount(tree), keep = r->path.len;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return diag_error(r->d, r->path.ptr, 0, 0, "folders nested more than %d deep", MAX_DEPTH);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		r->path.len = keep;
		if (buf_puts(&r->path, git_tree_entry_name(e)) < 0) {
			rc = diag_error(r->d, NULL, 0, 0, "path too long: %s", strerror(errno));
			break;
		}
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_tree *sub = NULL;

			if (git_tree_lookup(&sub, r->git, git_tree_entry_id(e)) < 0 ||
			    buf_putc(&r->path, '/') < 0) {
				rc = diag_error(r->d, r->path.ptr, 0, 0, "cannot read tree: %s", git_words());
			} else {
				rc = walk_tree(r, sub, depth + 1);
			}
			git_tree_free(sub);
		} else {
			rc = add_tree_entry(r, e);
		}
	}
	r->path.len = keep;
	r->path.ptr[keep] = '\0';
	return rc;
}

/* The prefix without its trailing '/', and whether it named a folder. */
static char *
prefix_name(const char *prefix, int *is_dir)
{
	size_t len = strlen(prefix);

	*is_dir = len > 0 && prefix[len - 1] == '/';
	return xstrndup(prefix, *is_dir ? len - 1 : len);
}

/* Resolves ref (NULL: HEAD) to a commit, with a message saying why not. */
static int
resolve_commit(git_commit **out, git_repository *git, const char *ref, struct diag *d)
{
	const char *spec = ref ? ref : "HEAD";
	git_object *obj = NULL, *peeled = NULL;
	int err, rc = -1;

	err = git_revparse_single(&obj, git, spec);
	if (err < 0) {
		if (strcmp(spec, "HEAD") == 0 && git_repository_head_unborn(git) == 1)
			diag_error(d, NULL, 0, 0, "cannot resolve '%s' (the repository has no commits yet)",
				   spec);
		else if (err == GIT_ENOTFOUND)
			diag_error(d, NULL, 0, 0, "unknown revision '%s': %s", spec, git_words());
		else
			diag_error(d, NULL, 0, 0, "cannot resolve '%s': %s", spec, git_words());
		goto out;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		diag_error(d, NULL, 0, 0, "revision '%s' does not name a commit: %s", spec, git_words());
		goto out;
	}
	*out = (git_commit *)peeled;
	peeled = NULL;
	rc = 0;
out:
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

int
repo_commit_id(struct repo *r, const char *ref, char hex[41], int64_t *made_at)
{
	git_commit *commit = NULL;
	struct diag quiet;
	char *mem;
	size_t memlen;
	int rc;

	diag_init_memory(&quiet, &mem, &memlen, 1);
	rc = resolve_commit(&commit, r->git, ref, &quiet);
	fclose(quiet.out);
	free(mem);
	if (rc == 0) {
		git_oid_tostr(hex, GIT_OID_HEXSZ + 1, git_commit_id(commit));
		*made_at = (int64_t)git_commit_time(commit);
	}
	git_commit_free(commit);
	return rc;
}

static int
read_commit(struct reader *r, const char *ref, const char *const *prefixes, size_t nprefixes)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int rc = -1;

	if (resolve_commit(&commit, r->git, ref, r->d) < 0)
		goto out;
	git_oid_tostr(r->set->commit, sizeof(r->set->commit), git_commit_id(commit));
	r->set->made_at = (int64_t)git_commit_time(commit);
	if (git_commit_tree(&tree, commit) < 0) {
		diag_error(r->d, NULL, 0, 0, "cannot read the tree of commit %s: %s", r->set->commit,
			   git_words());
		goto out;
	}
	for (size_t i = 0; i < nprefixes; i++) {
		git_tree_entry *e = NULL;
		git_tree *sub = NULL;
		int is_dir, err = 0;
		char *name = prefix_name(prefixes[i], &is_dir);

		buf_reset(&r->path);
		if (!*name) {
			err = walk_tree(r, tree, 0);
		} else if (git_tree_entry_bypath(&e, tree, name) == 0) {
			if (buf_puts(&r->path, name) < 0) {
				err = diag_error(r->d, NULL, 0, 0, "path too long");
			} else if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
				if (git_tree_lookup(&sub, r->git, git_tree_entry_id(e)) < 0 ||
				    buf_putc(&r->path, '/') < 0)
					err = diag_error(r->d, name, 0, 0, "cannot read tree: %s", git_words());
				else
					err = walk_tree(r, sub, 1);
			} else if (!is_dir || git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
				   git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
				/* A file asked for, or a link or submodule standing where a folder is wanted. */
				err = add_tree_entry(r, e);
			}
		}
		/* A prefix absent from the tree is not an error: templates/ and pages are optional. */
		git_tree_free(sub);
		git_tree_entry_free(e);
		free(name);
		if (err < 0)
			goto out;
	}
	rc = 0;
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/* Whether an index path lies at or under a prefix ("content/" or an exact "threatfeed.conf"). */
static int
under_prefix(const char *path, const char *prefix)
{
	size_t len = strlen(prefix);

	if (!len)
		return 1;
	if (strncmp(path, prefix, len) != 0)
		return 0;
	return prefix[len - 1] == '/' || path[len] == '\0' || path[len] == '/';
}

static int
read_index(struct reader *r, const char *const *prefixes, size_t nprefixes)
{
	const char *index_file = getenv("GIT_INDEX_FILE");
	git_index *index = NULL;
	size_t n, errors_before = r->d->errors;
	int rc = -1;

	/*
	 * `git commit -a` and `git commit PATH` stage into a temporary index and name it in
	 * GIT_INDEX_FILE for the pre-commit hook; the repository's own index still holds the old
	 * state then. libgit2 1.5 does not look at the variable, so the hook would check the wrong
	 * files without this.
	 */
	if (index_file && *index_file) {
		if (git_index_open(&index, index_file) < 0) {
			diag_error(r->d, NULL, 0, 0, "cannot read the index '%s': %s", index_file,
				   git_words());
			goto out;
		}
	} else if (git_repository_index(&index, r->git) < 0) {
		diag_error(r->d, NULL, 0, 0, "cannot read the index: %s", git_words());
		goto out;
	}
	n = git_index_entrycount(index);
	for (size_t i = 0; i < n; i++) {
		const git_index_entry *e = git_index_get_byindex(index, i);
		struct source_file *f;
		size_t p;

		for (p = 0; p < nprefixes && !under_prefix(e->path, prefixes[p]); p++)
			;
		/* `git add -N`: a file made known to git but not staged, which a commit leaves out. */
		if (p == nprefixes || (e->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD))
			continue;
		if (GIT_INDEX_ENTRY_STAGE(e) != 0) {
			diag_error(r->d, e->path, 0, 0, "unresolved merge conflict in the index");
			/* The other stages of the same path would only repeat the message. */
			while (i + 1 < n && strcmp(git_index_get_byindex(index, i + 1)->path, e->path) == 0)
				i++;
			continue;
		}
		if (e->mode == GIT_FILEMODE_LINK || e->mode == GIT_FILEMODE_COMMIT) {
			f = set_add(r->set, &r->cap, e->path,
				    e->mode == GIT_FILEMODE_LINK ? SOURCE_SYMLINK : SOURCE_SUBMODULE, r->d);
			if (!f)
				goto out;
			git_oid_tostr(f->id, sizeof(f->id), &e->id);
			continue;
		}
		if (!(f = set_add(r->set, &r->cap, e->path, SOURCE_FILE, r->d)) ||
		    read_blob(f, r->git, r->odb, &e->id, r->d) < 0)
			goto out;
	}
	rc = r->d->errors > errors_before ? -1 : 0;
out:
	git_index_free(index);
	return rc;
}

/* Reads a regular file of the work tree (already lstat'ed as one) into f. */
static int
read_work_file(struct source_file *f, const char *full, struct diag *d)
{
	struct stat st;
	git_oid oid;
	ssize_t got;
	size_t len = 0;
	char *data = NULL;
	int fd, rc = -1;

	/* O_NOFOLLOW: the file may have become a symbolic link since it was looked at. */
	fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		diag_error(d, f->path, 0, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(d, f->path, 0, 0, "not a regular file");
		goto out;
	}
	if ((uintmax_t)st.st_size > REPO_MAX_BLOB) {
		f->kind = SOURCE_TOO_LARGE;
		f->size = (size_t)st.st_size;
		if (git_odb_hashfile(&oid, full, GIT_OBJECT_BLOB) == 0)
			git_oid_tostr(f->id, sizeof(f->id), &oid);
		rc = 0;
		goto out;
	}
	/* One byte more than the cap, to notice a file that grew after fstat. */
	data = xcalloc(REPO_MAX_BLOB + 2, 1);
	while (len <= REPO_MAX_BLOB) {
		got = read(fd, data + len, REPO_MAX_BLOB + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			diag_error(d, f->path, 0, 0, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	f->size = len;
	if (len > REPO_MAX_BLOB) {
		f->kind = SOURCE_TOO_LARGE;
		rc = 0;
		goto out;
	}
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0) {
		diag_error(d, f->path, 0, 0, "cannot hash: %s", git_words());
		goto out;
	}
	git_oid_tostr(f->id, sizeof(f->id), &oid);
	f->data = xstrndup(data, len);
	f->kind = SOURCE_FILE;
	rc = 0;
out:
	free(data);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Appends "/.git" to full (temporarily) to tell a nested repository from a plain folder. */
static int
is_nested_repo(struct buf *full)
{
	size_t keep = full->len;
	struct stat st;
	int found;

	if (buf_puts(full, ".git") < 0)
		return 0;
	found = lstat(full->ptr, &st) == 0;
	full->len = keep;
	full->ptr[keep] = '\0';
	return found;
}

/*
 * One work-tree path: r->path is repository-relative, full the same on disk. Folders end with
 * '/' in both when recursed into. Dot-files inside folders are skipped (.git, editors' files).
 */
static int
walk_work(struct reader *r, struct buf *full, int depth)
{
	struct stat st;
	struct source_file *f;
	size_t keep = r->path.len, keep_full = full->len;
	size_t base, base_full;
	DIR *dir = NULL;
	struct dirent *de;
	int rc = -1;

	if (lstat(full->ptr, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return diag_error(r->d, r->path.ptr, 0, 0, "cannot read: %s", strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return set_add(r->set, &r->cap, r->path.ptr, SOURCE_SYMLINK, r->d) ? 0 : -1;
	if (S_ISREG(st.st_mode)) {
		if (!(f = set_add(r->set, &r->cap, r->path.ptr, SOURCE_FILE, r->d)))
			return -1;
		return read_work_file(f, full->ptr, r->d);
	}
	if (!S_ISDIR(st.st_mode))
		return 0; /* fifos, sockets and devices are never content */
	if (depth > MAX_DEPTH)
		return diag_error(r->d, r->path.ptr, 0, 0, "folders nested more than %d deep", MAX_DEPTH);
	if (r->path.len && buf_putc(&r->path, '/') < 0)
		goto out;
	if (full->ptr[full->len - 1] != '/' && buf_putc(full, '/') < 0)
		goto out;
	if (depth > 0 && is_nested_repo(full)) {
		r->path.ptr[--r->path.len] = '\0';
		rc = set_add(r->set, &r->cap, r->path.ptr, SOURCE_SUBMODULE, r->d) ? 0 : -1;
		goto out;
	}
	if (!(dir = opendir(full->ptr))) {
		diag_error(r->d, r->path.ptr, 0, 0, "cannot read folder: %s", strerror(errno));
		goto out;
	}
	base = r->path.len;
	base_full = full->len;
	while ((errno = 0, de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		r->path.len = base;
		full->len = base_full;
		if (buf_puts(&r->path, de->d_name) < 0 || buf_puts(full, de->d_name) < 0) {
			diag_error(r->d, NULL, 0, 0, "path too long");
			goto out;
		}
		if (walk_work(r, full, depth + 1) < 0)
			goto out;
	}
	if (errno) {
		diag_error(r->d, r->path.ptr, 0, 0, "cannot read folder: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (dir)
		closedir(dir);
	r->path.len = keep;
	if (r->path.ptr)
		r->path.ptr[keep] = '\0';
	full->len = keep_full;
	if (full->ptr)
		full->ptr[keep_full] = '\0';
	return rc;
}

static int
read_worktree(struct reader *r, const char *root, const char *const *prefixes, size_t nprefixes)
{
	struct buf full = BUF_INIT;
	int rc = -1;

	for (size_t i = 0; i < nprefixes; i++) {
		int is_dir;
		char *name = prefix_name(prefixes[i], &is_dir);
		struct stat st;

		buf_reset(&r->path);
		buf_reset(&full);
		if (buf_puts(&r->path, name) < 0 || buf_puts(&full, root) < 0 || buf_puts(&full, name) < 0) {
			free(name);
			diag_error(r->d, NULL, 0, 0, "path too long");
			goto out;
		}
		free(name);
		/* A regular file where a folder is wanted is not under the prefix. */
		if (is_dir && lstat(full.ptr, &st) == 0 && S_ISREG(st.st_mode))
			continue;
		if (walk_work(r, &full, r->path.len ? 1 : 0) < 0)
			goto out;
	}
	rc = 0;
out:
	buf_release(&full);
	return rc;
}

static int
compare_files(const void *a, const void *b)
{
	return strcmp(((const struct source_file *)a)->path, ((const struct source_file *)b)->path);
}

static void
source_file_release(struct source_file *f)
{
	free(f->path);
	free(f->data);
}

/* Sorts by path and drops the copies that overlapping prefixes produced. */
static void
sort_unique(struct source_set *set)
{
	size_t kept = 0;

	if (set->count)
		qsort(set->files, set->count, sizeof(*set->files), compare_files);
	for (size_t i = 0; i < set->count; i++) {
		if (kept && strcmp(set->files[kept - 1].path, set->files[i].path) == 0)
			source_file_release(&set->files[i]);
		else
			set->files[kept++] = set->files[i];
	}
	set->count = kept;
}

int
repo_read(struct source_set *out, struct repo *r, enum repo_snapshot snapshot, const char *ref,
	  const char *const *prefixes, size_t nprefixes, struct diag *d)
{
	return repo_read_skipping(out, r, snapshot, ref, prefixes, nprefixes, NULL, NULL, d);
}

int
repo_load(struct repo *r, struct source_file *f, struct diag *d)
{
	git_odb *odb = NULL;
	git_oid id;
	int rc = -1;

	if (!f->unread)
		return 0;
	if (git_oid_fromstr(&id, f->id) < 0 || git_repository_odb(&odb, r->git) < 0) {
		diag_error(d, f->path, 0, 0, "cannot read blob %s: %s", f->id, git_words());
		goto out;
	}
	rc = read_blob(f, r->git, odb, &id, d);
	if (rc == 0)
		f->unread = 0;
out:
	git_odb_free(odb);
	return rc;
}

int
repo_read_skipping(struct source_set *out, struct repo *r, enum repo_snapshot snapshot,
		   const char *ref, const char *const *prefixes, size_t nprefixes,
		   int (*skip)(void *arg, const char *path, const char *id), void *arg, struct diag *d)
{
	struct reader rd = { .set = out, .git = r->git, .d = d, .path = BUF_INIT, .skip = skip,
			     .skip_arg = arg };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (buf_grow(&rd.path, 0) < 0)
		goto out;
	if (snapshot != REPO_SNAPSHOT_WORKTREE && git_repository_odb(&rd.odb, r->git) < 0) {
		diag_error(d, NULL, 0, 0, "cannot open the object database: %s", git_words());
		goto out;
	}
	switch (snapshot) {
	case REPO_SNAPSHOT_COMMIT:
		rc = read_commit(&rd, ref, prefixes, nprefixes);
		break;
	case REPO_SNAPSHOT_INDEX:
		out->made_at = (int64_t)time(NULL);
		rc = read_index(&rd, prefixes, nprefixes);
		break;
	case REPO_SNAPSHOT_WORKTREE:
		if (r->bare) {
			diag_error(d, NULL, 0, 0, "the repository '%s' is bare: it has no work tree to read",
				   r->root);
			break;
		}
		out->made_at = (int64_t)time(NULL);
		rc = read_worktree(&rd, r->root, prefixes, nprefixes);
		break;
	}
	if (rc == 0)
		sort_unique(out);
out:
	git_odb_free(rd.odb);
	buf_release(&rd.path);
	if (rc < 0)
		source_set_release(out);
	return rc;
}

int
repo_tree_ids(struct buf *out, struct repo *r, const char *ref, const char *const *prefixes,
	      size_t nprefixes, struct diag *d)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int rc = -1;

	if (resolve_commit(&commit, r->git, ref, d) < 0)
		goto out;
	if (git_commit_tree(&tree, commit) < 0) {
		diag_error(d, NULL, 0, 0, "cannot read the commit's tree: %s", git_words());
		goto out;
	}
	for (size_t i = 0; i < nprefixes; i++) {
		int is_dir, err;
		char *name = prefix_name(prefixes[i], &is_dir);
		git_tree_entry *e = NULL;
		char hex[GIT_OID_HEXSZ + 1];

		err = git_tree_entry_bypath(&e, tree, name);
		free(name);
		if (err == GIT_ENOTFOUND) {
			buf_printf(out, "%s -\n", prefixes[i]);
			continue;
		}
		if (err < 0) {
			diag_error(d, prefixes[i], 0, 0, "cannot read tree: %s", git_words());
			goto out;
		}
		git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(e));
		buf_printf(out, "%s %06o %s\n", prefixes[i], (unsigned)git_tree_entry_filemode(e), hex);
		git_tree_entry_free(e);
	}
	rc = 0;
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

void
source_set_release(struct source_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		source_file_release(&set->files[i]);
	free(set->files);
	memset(set, 0, sizeof(*set));
}

const struct source_file *
source_set_find(const struct source_set *set, const char *path)
{
	struct source_file key = { .path = (char *)path };

	if (!set->count)
		return NULL;
	return bsearch(&key, set->files, set->count, sizeof(*set->files), compare_files);
}

/* ---- settings files ---- */

/*
 * Finds an [include] or [includeIf ...] section header in git-config text. libgit2 follows
 * includes while it parses, so they must be refused before it reads anything: a pushed config
 * must not make the build read files from the server. Returns its '[', or NULL.
 * libgit2 finds headers in more places than the start of a line: after a UTF-8 byte order mark,
 * after any white space isspace() knows (\r, \v, \f too), and after another header on the same
 * line ("[site] [include]"). So every '[' counts, wherever it is, followed by the name: a value
 * or comment that holds "[include" is refused too, the safe side.
 */
static const char *
find_include(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t j = i + 1, start;

		if (data[i] != '[')
			continue;
		while (j < len && (data[j] == ' ' || data[j] == '\t'))
			j++;
		start = j;
		while (j < len && data[j] != ']' && data[j] != '"' && data[j] != '.' &&
		       !isspace((unsigned char)data[j]))
			j++;
		if ((j - start == 7 && strncasecmp(data + start, "include", 7) == 0) ||
		    (j - start == 9 && strncasecmp(data + start, "includeif", 9) == 0))
			return data + i;
	}
	return NULL;
}

/*
 * Where the first escape that git-config syntax does not know is in data, for the message:
 * libgit2 says "invalid escape at q" with no line. Values know \\, \", \n, \t, \b and a backslash
 * that ends the line; comment and section lines are not values. 0 when none is found.
 */
static unsigned
bad_escape_line(const char *data, size_t len, unsigned *col)
{
	unsigned line = 1;

	/* A byte order mark is neither a value's start nor a column (config_column). */
	for (size_t i = bom_length(data, len); i < len; line++) {
		size_t start = i, end = i;
		int quoted = 0;

		while (end < len && data[end] != '\n')
			end++;
		while (i < end && (data[i] == ' ' || data[i] == '\t'))
			i++;
		if (i < end && data[i] != '#' && data[i] != ';' && data[i] != '[') {
			for (; i < end && (quoted || (data[i] != '#' && data[i] != ';')); i++) {
				if (data[i] == '"')
					quoted = !quoted;
				if (data[i] != '\\')
					continue;
				if (i + 1 < end && data[i + 1] != '\r' && !strchr("\\\"ntb", data[i + 1])) {
					*col = (unsigned)(i - start) + 1;
					return line;
				}
				i++;
			}
		}
		i = end + 1;
	}
	return 0;
}

/* The white space libgit2 skips before a header or a setting, short of a line's end. */
static int
git_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Where libgit2 stopped in data[from, end), a line from its first character other than a blank:
 * it reads a line's headers one after another, each on what is left of the line ("[feed]
 * [scope \"x\"]"), then a setting. Returns the '[' of the first header it would refuse, or the
 * first character after the headers it takes; *quote gets that header's first '"', or end.
 */
static size_t
failed_part(const char *data, size_t from, size_t end, size_t *quote)
{
	size_t p = from;

	for (;;) {
		size_t q = p + 1;

		*quote = end;
		if (p >= end || data[p] != '[' || !memchr(data + p, ']', end - p))
			return p;
		while (q < end && (isalnum((unsigned char)data[q]) || data[q] == '-' || data[q] == '.'))
			q++;
		if (q < end && git_blank(data[q])) {
			while (q < end && git_blank(data[q]))
				q++;
			if (q >= end || data[q] != '"')
				return p;
			*quote = q;
			for (q++; q < end && data[q] != '"'; q++)
				if (data[q] == '\\')
					q++;
			if (q + 1 >= end || data[q + 1] != ']')
				return p;
			q++;
		}
		if (q >= end || data[q] != ']')
			return p;
		for (p = q + 1; p < end && git_blank(data[p]); p++)
			;
	}
}

/*
 * The column of what libgit2's syntax error on line is about: the header it refused, or the
 * setting, as failed_part finds it. After its line, where says ":LINE, column COL)" for some
 * errors in a header: COL counts from the header's '[' (1 for it), or, for the errors of a
 * subsection's name in quotes, from its first '"' (0 for it). 0 when the line is blank or not in
 * data.
 */
static unsigned
parse_error_column(const char *data, size_t len, const char *reason, unsigned line,
		   const char *where)
{
	const char *column = strstr(where, ", column ");
	/* A byte order mark is no column (config_column). */
	size_t i = bom_length(data, len), first, end, part, quote, at;

	for (unsigned l = 1; l < line && i < len; i++)
		if (data[i] == '\n')
			l++;
	first = i;
	while (first < len && git_blank(data[first]))
		first++;
	end = first;
	while (end < len && data[end] != '\n')
		end++;
	if (first == end || (line > 1 && (i == 0 || data[i - 1] != '\n')))
		return 0;
	at = part = failed_part(data, first, end, &quote);
	if (column) {
		int after_quotes = reason && quote < end &&
				   strncmp(reason, "unexpected text after closing quotes", 36) == 0;
		int in_quotes = after_quotes || (reason && quote < end &&
						  strncmp(reason, "unexpected end-of-line", 22) == 0);
		size_t base = in_quotes ? quote : part - 1;
		unsigned long n;
		char *stop;

		errno = 0;
		n = strtoul(column + 9, &stop, 10);
		/* That column is the closing quotation mark: the text meant comes after it. */
		if (!errno && *stop == ')' && n < (size_t)(end - base) - (size_t)after_quotes &&
		    base + n >= part)
			at = base + n + (size_t)after_quotes;
	}
	return (unsigned)(at - i + 1);
}

/*
 * Reports a libgit2 config failure under the caller's file name. libgit2 1.5 words a syntax
 * error as "failed to parse config file: REASON (in TMPFILE:LINE, column COL)"; the line is kept,
 * the temporary name never shown.
 */
static int
config_failure(struct diag *d, const char *path, const char *tmpname, const char *data, size_t len)
{
	const char *msg = git_words(), *prefix = "failed to parse config file: ";
	const char *at = strstr(msg, tmpname), *in;
	struct buf reason = BUF_INIT;
	unsigned long line = 0;
	unsigned col = 0;
	int rc, bad_escape;

	if (strncmp(msg, prefix, strlen(prefix)) == 0)
		msg += strlen(prefix);
	if (at && at > msg && (in = strstr(msg, " (in ")) && in + 5 == at) {
		char *end;

		errno = 0;
		line = strtoul(at + strlen(tmpname) + 1, &end, 10);
		if (at[strlen(tmpname)] != ':' || errno || line > 0xffffffffUL)
			line = 0;
		buf_add(&reason, msg, (size_t)(in - msg));
	} else {
		/* Any other wording: still never leak the temporary name. */
		for (const char *p = msg; *p;) {
			const char *hit = strstr(p, tmpname);

			if (!hit) {
				buf_puts(&reason, p);
				break;
			}
			buf_add(&reason, p, (size_t)(hit - p));
			buf_puts(&reason, path);
			p = hit + strlen(tmpname);
		}
	}
	bad_escape = reason.ptr && strncmp(reason.ptr, "invalid escape", 14) == 0;
	if (!line && bad_escape)
		line = bad_escape_line(data, len, &col);
	else if (line)
		col = parse_error_column(data, len, reason.ptr, (unsigned)line,
					 at ? at + strlen(tmpname) : "");
	rc = diag_error(d, path, (unsigned)line, line ? col : 0, "invalid config: %s%s",
			reason.ptr ? reason.ptr : "",
			bad_escape ? " (expected \\\\, \\\", \\n, \\t or \\b after a backslash)" : "");
	buf_release(&reason);
	return rc;
}

struct collect {
	struct config_entries *out;
	size_t cap;
};

static int
collect_entry(const git_config_entry *e, void *payload)
{
	struct collect *c = payload;
	struct config_entry *item;

	if (c->out->count == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->out->items = xreallocarray(c->out->items, c->cap, sizeof(*c->out->items));
	}
	item = &c->out->items[c->out->count++];
	item->name = xstrdup(e->name);
	item->value = xstrdup(e->value ? e->value : "");
	return 0;
}

int
repo_parse_config(struct config_entries *out, const char *path, const char *data, size_t len,
		  struct diag *d)
{
	const char *tmpdir = getenv("TMPDIR");
	struct buf tmpname = BUF_INIT;
	git_config *cfg = NULL;
	const char *nul, *include;
	struct collect c = { out, 0 };
	unsigned line, col;
	int fd = -1, created = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	if (git_libgit2_init() < 0)
		return diag_error(d, path, 0, 0, "cannot initialise libgit2: %s", git_words());
	if (len > REPO_MAX_BLOB) {
		diag_error(d, path, 0, 0, "config of %zu bytes is too large (at most %zu)", len,
			   (size_t)REPO_MAX_BLOB);
		goto out;
	}
	/* libgit2 reads C strings: a NUL would silently cut the file short. */
	if ((nul = memchr(data, '\0', len))) {
		config_position(data, len, nul, &line, &col);
		diag_error(d, path, line, col, "invalid config: NUL byte");
		goto out;
	}
	if ((include = find_include(data, len))) {
		config_position(data, len, include, &line, &col);
		diag_error(d, path, line, col, "invalid config: includes are not allowed (a published "
			   "site's settings must all be in this file)");
		goto out;
	}
	if (buf_printf(&tmpname, "%s/threatfeed-config-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp") < 0)
		goto fail_tmp;
	/* mkstemp creates the file with mode 0600 and O_EXCL: private, and never someone else's. */
	if ((fd = mkstemp(tmpname.ptr)) < 0)
		goto fail_tmp;
	created = 1;
	if (write_full(fd, data, len) < 0)
		goto fail_tmp;
	if (close(fd) < 0) {
		fd = -1;
		goto fail_tmp;
	}
	fd = -1;
	if (git_config_open_ondisk(&cfg, tmpname.ptr) < 0) {
		config_failure(d, path, tmpname.ptr, data, len);
		goto out;
	}
	if (git_config_foreach(cfg, collect_entry, &c) < 0) {
		config_failure(d, path, tmpname.ptr, data, len);
		goto out;
	}
	/* The header scan should have caught them; refuse anything that still came in by include. */
	for (size_t i = 0; i < out->count; i++) {
		if (strncmp(out->items[i].name, "include.", 8) == 0 ||
		    strncmp(out->items[i].name, "includeif.", 10) == 0) {
			diag_error(d, path, 0, 0, "invalid config: includes are not allowed ('%s')",
				   out->items[i].name);
			goto out;
		}
	}
	rc = 0;
	goto out;
fail_tmp:
	diag_error(d, path, 0, 0, "cannot write a temporary copy in '%s': %s",
		   tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
out:
	git_config_free(cfg);
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmpname.ptr);
	buf_release(&tmpname);
	if (rc < 0)
		config_entries_release(out);
	git_libgit2_shutdown();
	return rc;
}

void
config_entries_release(struct config_entries *e)
{
	for (size_t i = 0; i < e->count; i++) {
		free(e->items[i].name);
		free(e->items[i].value);
	}
	free(e->items);
	memset(e, 0, sizeof(*e));
}

/* ---- the repository's own settings and hooks ---- */

/*
 * The repository's config: with isolate_config in force libgit2 sees only the repository's own
 * file (and a work tree's config.worktree), so a value read or written here is the repository's.
 */
static int
own_config(git_config **out, struct repo *r, struct diag *d)
{
	if (git_repository_config(out, r->git) < 0)
		return diag_error(d, NULL, 0, 0, "cannot open the repository's config: %s", git_words());
	return 0;
}

char *
repo_get_config(struct repo *r, const char *key, struct diag *d)
{
	git_config *cfg = NULL;
	git_buf value = { NULL, 0, 0 };
	char *s = NULL;
	int err;

	if (own_config(&cfg, r, d) < 0)
		return NULL;
	err = git_config_get_string_buf(&value, cfg, key);
	if (err == 0)
		s = xstrdup(value.ptr);
	else if (err != GIT_ENOTFOUND)
		diag_error(d, NULL, 0, 0, "cannot read '%s' from the repository's config: %s", key,
			   git_words());
	git_buf_dispose(&value);
	git_config_free(cfg);
	return s;
}

int
repo_set_config(struct repo *r, const char *key, const char *value, struct diag *d)
{
	git_config *cfg = NULL;
	int rc = 0;

	if (own_config(&cfg, r, d) < 0)
		return -1;
	if (git_config_set_string(cfg, key, value) < 0)
		rc = diag_error(d, NULL, 0, 0, "cannot set '%s' in the repository's config: %s", key,
				git_words());
	git_config_free(cfg);
	return rc;
}

char *
repo_hooks_dir(struct repo *r, struct diag *d)
{
	git_buf path = { NULL, 0, 0 };
	char *s;

	if (git_repository_item_path(&path, r->git, GIT_REPOSITORY_ITEM_HOOKS) < 0) {
		diag_error(d, NULL, 0, 0, "cannot find the hooks folder: %s", git_words());
		return NULL;
	}
	s = with_slash(path.ptr);
	git_buf_dispose(&path);
	return s;
}
