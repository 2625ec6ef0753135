/*
 * repo: everything threatfeed reads from Git, through libgit2. The only file that includes <git2.h>.
 *
 * A build reads the tree of one commit (invariant 1): never the work tree unless asked for a
 * preview. libgit2 is told to ignore the system, XDG and global gitconfig files, so no setting of
 * the machine or the user can change what is read.
 */
#ifndef THREATFEED_REPO_H
#define THREATFEED_REPO_H

#include <stddef.h>

#include "util.h"

struct repo;

/* Caps on what is read from outside (STYLE: cap everything). */
#define REPO_MAX_BLOB ((size_t)1 << 20)   /* 1 MiB per file */
#define REPO_MAX_FILES 1000000

enum source_kind {
	SOURCE_FILE,       /* a regular (or executable) file; data holds its bytes */
	SOURCE_SYMLINK,    /* a symbolic link: refused by the model, data is NULL */
	SOURCE_SUBMODULE,  /* a gitlink: refused by the model, data is NULL */
	SOURCE_TOO_LARGE,  /* over REPO_MAX_BLOB: refused by the model, data is NULL, size is set */
};

struct source_file {
	char *path;              /* relative to the repository root, '/'-separated */
	enum source_kind kind;
	char *data;              /* file bytes plus a NUL not counted in size; NULL unless SOURCE_FILE */
	size_t size;
	char id[41];             /* blob id in hex (work tree: the id the blob would have) */
	int unread;              /* repo_read_skipping skipped its bytes: data is NULL until repo_load */
	int read_before;         /* its blob was read whole once: size is known to be in bounds */
};

/* Files sorted by path (byte order). */
struct source_set {
	struct source_file *files;
	size_t count;
	char commit[41];         /* the commit read, hex; empty for --worktree / index reads */
	int64_t made_at;         /* when it was made: the commit's time, or now for the others; 0
				  * when not known (a set made by hand) */
};

enum repo_snapshot {
	REPO_SNAPSHOT_COMMIT,    /* the tree of a commit (the default: HEAD) */
	REPO_SNAPSHOT_WORKTREE,  /* files on disk in the work tree, for previews */
	REPO_SNAPSHOT_INDEX,     /* what `git commit` would commit, for pre-commit checks */
};

/*
 * Opens the repository at path, or, when path is NULL, the one found upward from the current
 * directory as git does. Bare repositories work. Errors are reported through d (with libgit2's
 * own words) and return -1. Free with repo_free.
 */
int repo_open(struct repo **out, const char *path, struct diag *d);
/*
 * Another object on r's repository, for another thread (libgit2 wants one thread at a time on
 * each). r must stay open meanwhile: its libgit2 settings are left as repo_open made them.
 */
int repo_open_again(struct repo **out, const struct repo *r, struct diag *d);
void repo_free(struct repo *r);

/* 1 for a bare repository. */
int repo_is_bare(const struct repo *r);
/* The work tree folder (with a trailing '/'), or for a bare repository its Git folder. */
const char *repo_root(const struct repo *r);
/* The Git folder (".git/" or the bare repository itself), with a trailing '/'. */
const char *repo_git_dir(const struct repo *r);

/*
 * Keeps the work tree's folder rel (relative, with a trailing '/', e.g. "site/") out of `git status`
 * and `git add -A`, unless something ignores it already: appends it to the repository's own
 * info/exclude, which is never committed. Returns 1 when it did, 0 when there was no need (or the
 * repository is bare), -1 when the file could not be written (nothing is reported).
 */
int repo_exclude_folder(struct repo *r, const char *rel);

/* Whether git accepts name as a branch's short name (git check-ref-format --branch). */
int repo_branch_name_valid(const char *name);

/* The Git blob id (hex, NUL-terminated) of data[0..len): a real hash, for "did these bytes change". */
int repo_hash_bytes(char out[41], const void *data, size_t len);

/*
 * The repository's own settings (its config file only: never the machine's or the user's).
 * repo_get_config returns a malloc'ed value, or NULL when the key is unset (or on error, reported
 * through d and counted there). repo_set_config writes key = value into the repository's config
 * file, as `git config key value` does; -1 with a message on failure. Used by `threatfeed hooks`
 * for threatfeed.deploy and threatfeed.branch, which belong to the server, not to the content.
 */
char *repo_get_config(struct repo *r, const char *key, struct diag *d);
int repo_set_config(struct repo *r, const char *key, const char *value, struct diag *d);

/* The folder git runs hooks from (shared by linked work trees), with a trailing '/'. Caller frees. */
char *repo_hooks_dir(struct repo *r, struct diag *d);

/*
 * Reads every file at or under each of the given prefixes (e.g. "threatfeed.conf", "content/",
 * "templates/") from the chosen snapshot: for REPO_SNAPSHOT_COMMIT, the tree of `ref` (a revision
 * as git rev-parse understands it; NULL means HEAD). Blobs larger than REPO_MAX_BLOB are listed as
 * SOURCE_TOO_LARGE without their bytes. On failure (unknown ref, empty repository, I/O) reports
 * through d and returns -1. Release with source_set_release.
 */
int repo_read(struct source_set *out, struct repo *r, enum repo_snapshot snapshot, const char *ref,
	      const char *const *prefixes, size_t nprefixes, struct diag *d);
void source_set_release(struct source_set *set);
/*
 * The same, except that for a commit's blobs skip(arg, path, id) is asked first: when it returns
 * 1 the blob is not read (an unchanged file a cache knows): the file is SOURCE_FILE with unread
 * set, data NULL and size 0. repo_load reads such a file's bytes later (a no-op for others).
 */
int repo_read_skipping(struct source_set *out, struct repo *r, enum repo_snapshot snapshot,
		       const char *ref, const char *const *prefixes, size_t nprefixes,
		       int (*skip)(void *arg, const char *path, const char *id), void *arg,
		       struct diag *d);
int repo_load(struct repo *r, struct source_file *f, struct diag *d);
/*
 * What the tree of `ref` (NULL: HEAD) holds at each prefix, without reading any blob: one line
 * per prefix, "<prefix> <mode> <object id>", or "<prefix> -" when absent. Equal lines mean equal
 * content, so a cache can be keyed on them. Appends to out; errors as for repo_read.
 */
int repo_tree_ids(struct buf *out, struct repo *r, const char *ref, const char *const *prefixes,
		  size_t nprefixes, struct diag *d);
/*
 * The commit `ref` (NULL: HEAD) names now, as 40 hex digits and a NUL in hex, and its time in
 * *made_at (as source_set's); -1, saying nothing, when it names none. A build resolves its ref once
 * and passes the id on: a branch that moves meanwhile (a push, a commit) cannot give one part of
 * the build one commit and another part the next.
 */
int repo_commit_id(struct repo *r, const char *ref, char hex[41], int64_t *made_at);
/* The file at exactly path, or NULL. */
const struct source_file *source_set_find(const struct source_set *set, const char *path);

/*
 * A settings file in git-config syntax, parsed by libgit2's own config parser (Debian 12's libgit2
 * 1.5 cannot parse from memory, so the bytes go through a private temporary file that is removed
 * at once). Names are as libgit2 gives them: section and key lowercased, subsection verbatim
 * ("scope.northern-ireland.title"). Entries keep file order; a repeated key appears repeatedly.
 */
struct config_entry {
	char *name;
	char *value;             /* "" for a key written without '=' */
};

struct config_entries {
	struct config_entry *items;
	size_t count;
};

/* Syntax errors are reported as "path:line: ..." through d; returns -1 then. */
int repo_parse_config(struct config_entries *out, const char *path, const char *data, size_t len,
		      struct diag *d);
void config_entries_release(struct config_entries *e);

#endif
