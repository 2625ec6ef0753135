/*
 * output: stage files in memory, then write only the changed ones, atomically (see output.h).
 *
 * A commit runs in three steps:
 *   1. nothing visible changes: folders are created, each changed file is written to a temporary
 *      file next to its target, and the file system is synced once; a failure here removes the
 *      temporary files (and the folders this commit created) and leaves the site as it was;
 *   2. each temporary file is renamed over its target, new files first, and each folder touched
 *      is synced;
 *   3. files the previous build listed in the manifest but this one did not stage are removed,
 *      then the new manifest replaces the old one.
 *
 * A site folder that does not exist yet is built whole in a new folder beside it instead, named
 * ".NAME.new-XXXXXX", where each file is written under its own name; step 2 is then one rename of
 * that folder. No web server sees a new site half written, and a first build saves a rename per
 * file and the flush of them all. The build holds an flock on that folder until it ends, so that a
 * later one can remove what a killed build left there (remove_dead_builds). In a site folder that
 * exists, each temporary file is listed in the Git folder before it is made, for the same reason
 * (output_track_temporaries).
 *
 * Paths on disk are the site folder joined with the staged path; no path component below the site
 * folder is followed if it is a symbolic link, so a link planted in the site cannot make a build
 * write or delete outside it.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "output.h"

#define MANIFEST OUTPUT_MANIFEST
/* The manifest is ours, but it sits in a folder others can write to: cap what we read of it. */
#define MANIFEST_MAX ((size_t)64 << 20)
/* Keeps ".<basename>.tmp-XXXXXX" under NAME_MAX (255) whatever the basename's length. */
#define TMP_BASENAME_MAX 200
#define CHUNK 65536
/*
 * Folders and temporary files are made by this many threads at most. Creating an inode is the
 * kernel's work (on ext4 it dominates a cold build of 10,000 pages) and runs in parallel in
 * different folders, so two cores make a cold build's writing nearly twice as fast.
 */
#define MAX_WORKERS 4

struct file {
	char *path;     /* relative to the site folder */
	char *data;     /* len bytes plus a NUL */
	size_t len;
	char *target;   /* full path, during a commit */
	char *tmp;      /* full path of the temporary file while one exists */
	char *tag;      /* what the caller noted about the file (output_set_tag), or NULL */
	int kept;       /* output_keep: on disk already, never read nor written */
	int spilled;    /* handed to the spill writer: tmp or same tells what it did */
	int same;       /* the spill writer found the bytes on disk already */
	int absent;     /* no file was at target: the rename adds a file rather than replacing one */
	int have_state; /* written in place (see write_temp): state is how the build leaves it */
	struct output_file_state state;
};

struct spill;
struct temp_list;

struct output {
	char *dir;      /* where files are written: the site folder, or the new folder beside it */
	char *final_dir; /* while the site is built beside it (see above): the site folder, without a
			  * trailing '/', else NULL */
	struct file *files;
	size_t n, cap;
	/* Open-addressing hash of paths to index + 1 (0 is an empty slot); nslots is a power of 2. */
	size_t *slots;
	size_t nslots;
	FILE *log;      /* where to list changes (verbose builds), or NULL */
	struct spill *spill;  /* output_spill: step 1 runs while files are added */
	struct file **sorted; /* after output_commit: the files by path, for output_foreach */
	int committed;  /* output_commit succeeded */
	int staging_lock; /* an flock on the new folder while this build owns it (stage_site), or -1 */
	int modes_exact;  /* what is made in the new folder gets the mode asked for (stage_site) */
	struct temp_list *temps; /* output_track_temporaries, or NULL */
};

/* A folder named by a prefix of some path (no copy). */
struct dirref {
	const char *p;
	size_t len;
};

struct output *
output_new(const char *dir)
{
	struct output *o = xcalloc(1, sizeof(*o));

	assert(dir && *dir);
	o->dir = xstrdup(dir);
	o->nslots = 64;
	o->slots = xcalloc(o->nslots, sizeof(*o->slots));
	o->staging_lock = -1;
	return o;
}

static void
file_release(struct file *f)
{
	free(f->path);
	free(f->data);
	free(f->target);
	free(f->tmp);
	free(f->tag);
}

void
output_set_log(struct output *o, FILE *log)
{
	o->log = log;
}

static void spill_finish(struct output *o, struct diag *d);
static void spill_undo(struct output *o);
static void temp_list_free(struct output *o);

void
output_free(struct output *o)
{
	if (!o)
		return;
	/* Freed without a commit (a build that failed): nothing it wrote may stay. */
	if (o->spill) {
		spill_finish(o, NULL);
		spill_undo(o);
	}
	temp_list_free(o);
	for (size_t i = 0; i < o->n; i++)
		file_release(&o->files[i]);
	free(o->files);
	free(o->slots);
	free(o->sorted);
	free(o->dir);
	free(o->final_dir);
	if (o->staging_lock >= 0)
		close(o->staging_lock);
	free(o);
}

/*
 * A relative path we are willing to create: '/'-separated, no leading '/', no empty, "." or ".."
 * component, no newline (the manifest is one path per line) and no NUL.
 */
static int
path_is_safe(const char *p, size_t len)
{
	size_t start = 0;

	if (len == 0 || memchr(p, '\n', len) || memchr(p, '\0', len))
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i == start)
			return 0;
		if (p[start] == '.' && (i - start == 1 || (i - start == 2 && p[start + 1] == '.')))
			return 0;
		start = i + 1;
	}
	return 1;
}

static uint64_t
hash(const char *s, size_t len)
{
	/* FNV-1a: short paths, no adversary (the paths come from our own renderers). */
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return h;
}

/* The slot holding path, or the empty slot where it would go. */
static size_t
find_slot(const struct output *o, const char *path, size_t len)
{
	size_t mask = o->nslots - 1;
	size_t i = hash(path, len) & mask;

	while (o->slots[i]) {
		const char *q = o->files[o->slots[i] - 1].path;

		if (strlen(q) == len && memcmp(q, path, len) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int
is_staged(const struct output *o, const char *path, size_t len)
{
	return o->slots[find_slot(o, path, len)] != 0;
}

static void
grow_hash(struct output *o)
{
	size_t *old = o->slots;
	size_t oldn = o->nslots;

	o->nslots *= 2;
	o->slots = xcalloc(o->nslots, sizeof(*o->slots));
	for (size_t i = 0; i < oldn; i++) {
		if (old[i]) {
			const char *p = o->files[old[i] - 1].path;

			o->slots[find_slot(o, p, strlen(p))] = old[i];
		}
	}
	free(old);
}

static int spill_push(struct output *o, size_t index);

int
output_add_owned(struct output *o, const char *relpath, char *data, size_t len)
{
	size_t plen = strlen(relpath);
	size_t slot;
	struct file *f;

	assert(path_is_safe(relpath, plen));
	assert(strcmp(relpath, MANIFEST) != 0);
	assert(data || len == 0);
	assert(!o->sorted && "staged after the commit");
	if (!data)
		data = xcalloc(1, 1);
	/* Keep the load factor at or under one half so probes stay short. */
	if ((o->n + 1) * 2 > o->nslots)
		grow_hash(o);
	slot = find_slot(o, relpath, plen);
	assert(!o->slots[slot] && "path staged twice");
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->files = xreallocarray(o->files, o->cap, sizeof(*o->files));
	}
	f = &o->files[o->n];
	memset(f, 0, sizeof(*f));
	f->path = xstrndup(relpath, plen);
	f->data = data;
	f->len = len;
	o->n++;
	o->slots[slot] = o->n;
	return o->spill ? spill_push(o, o->n - 1) : 0;
}

int
output_add(struct output *o, const char *relpath, const void *data, size_t len)
{
	char *copy;

	if (len == SIZE_MAX)
		return -1;
	copy = malloc(len + 1);
	if (!copy)
		return -1;
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	return output_add_owned(o, relpath, copy, len);
}

const char *
output_get(const struct output *o, const char *relpath, size_t *len)
{
	size_t slot = find_slot(o, relpath, strlen(relpath));
	const struct file *f;

	if (!o->slots[slot])
		return NULL;
	f = &o->files[o->slots[slot] - 1];
	if (f->kept)
		return NULL;
	if (len)
		*len = f->len;
	return f->data;
}

int
output_keep(struct output *o, const char *relpath)
{
	struct spill *spill = o->spill;
	int rc;

	o->spill = NULL;
	rc = output_add_owned(o, relpath, NULL, 0);
	o->spill = spill;
	if (rc == 0)
		o->files[o->n - 1].kept = 1;
	return rc;
}

int
output_set_tag(struct output *o, const char *relpath, const char *tag)
{
	size_t slot = find_slot(o, relpath, strlen(relpath));
	struct file *f;

	if (!o->slots[slot])
		return -1;
	f = &o->files[o->slots[slot] - 1];
	free(f->tag);
	f->tag = xstrdup(tag);
	return 0;
}

const char *
output_get_tag(const struct output *o, const char *relpath)
{
	size_t slot = find_slot(o, relpath, strlen(relpath));

	return o->slots[slot] ? o->files[o->slots[slot] - 1].tag : NULL;
}

int
output_file_state(const struct output *o, const char *relpath, struct output_file_state *state)
{
	size_t slot = find_slot(o, relpath, strlen(relpath));
	const struct file *f = o->slots[slot] ? &o->files[o->slots[slot] - 1] : NULL;

	if (!o->committed || !f || !f->have_state)
		return -1;
	*state = f->state;
	return 0;
}

int
output_foreach(const struct output *o, int (*fn)(void *arg, const char *relpath), void *arg)
{
	for (size_t i = 0; i < o->n; i++) {
		int rc = fn(arg, o->sorted ? o->sorted[i]->path : o->files[i].path);

		if (rc)
			return rc;
	}
	return 0;
}

/* --- helpers for the commit ------------------------------------------------------------------ */

/* What a commit tracks so that a failure in step 1 can undo it. */
struct commit {
	struct output *o;
	struct diag *d;
	struct file **sorted;   /* the staged files by path (strcmp) */
	char **made_dirs;       /* folders this commit created, parents first */
	size_t nmade;
	struct buf old_manifest;
	int have_old_manifest;
};

static char *
join(const char *dir, const char *rel, size_t rellen)
{
	struct buf b = BUF_INIT;
	size_t dlen = strlen(dir);

	if (buf_add(&b, dir, dlen) < 0 || (dir[dlen - 1] != '/' && buf_putc(&b, '/') < 0) ||
	    buf_add(&b, rel, rellen) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static int
io_error(struct diag *d, const char *path, const char *what)
{
	return diag_error(d, path, 0, 0, "%s: %s", what, strerror(errno));
}

static int
cmp_file(const void *a, const void *b)
{
	return strcmp((*(struct file *const *)a)->path, (*(struct file *const *)b)->path);
}

static int
cmp_dirref(const void *a, const void *b)
{
	const struct dirref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);

	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* Sorts and removes duplicates; returns the new count. */
static size_t
sort_unique(struct dirref *r, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), cmp_dirref);
	for (size_t i = 1; i < n; i++)
		if (cmp_dirref(&r[k], &r[i]) != 0)
			r[++k] = r[i];
	return k + 1;
}

static void
note_made_dir(struct commit *c, const char *path)
{
	c->made_dirs = xreallocarray(c->made_dirs, c->nmade + 1, sizeof(*c->made_dirs));
	c->made_dirs[c->nmade++] = xstrdup(path);
}


/* Says that path is a symbolic link to nothing, and where it points; -1. */
static int
dangling_link(struct diag *d, const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return io_error(d, path, "cannot create folder");
	target[n] = '\0';
	return diag_error(d, path, 0, 0, "cannot create folder: it is a symbolic link to '%s', which "
			  "does not exist (create that folder, or point the link at one)", target);
}

/*
 * Creates the folder path unless it exists; *made says whether it did. With nofollow, an existing
 * entry must be a real folder, not a symbolic link to one. New folders get 0755 whatever the
 * umask: a web server usually runs as another user and must be able to enter them. When the
 * parent was made by this build nothing can be there yet, so the check comes after mkdir.
 */
static int
make_dir(struct commit *c, const char *path, int nofollow, int parent_new, int *made)
{
	struct stat st;

	*made = 0;
	if (parent_new && mkdir(path, 0755) == 0)
		goto made;
	/*
	 * A second look when mkdir finds the name taken since the first: another writer thread (see
	 * SPILL_LANES) may have made the folder.
	 */
	for (int look = 0; look < 2; look++) {
		if ((nofollow ? lstat(path, &st) : stat(path, &st)) == 0) {
			if (S_ISDIR(st.st_mode))
				return 0;
			return diag_error(c->d, path, 0, 0, "cannot create folder: %s",
					  S_ISLNK(st.st_mode) ? "a symbolic link is in the way" :
								"a file is in the way");
		}
		if (errno != ENOENT)
			return io_error(c->d, path, "cannot create folder");
		/* A link to nothing: mkdir would only say that the name exists. */
		if (!nofollow && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return dangling_link(c->d, path);
		if (mkdir(path, 0755) == 0)
			goto made;
		if (errno != EEXIST)
			break;
	}
	return io_error(c->d, path, "cannot create folder");
made:
	*made = 1;
	note_made_dir(c, path);
	/* Not only the umask takes bits away: a default ACL on the parent does too. */
	if (!(parent_new && c->o->modes_exact) && chmod(path, 0755) < 0)
		return io_error(c->d, path, "cannot create folder");
	return 0;
}

/*
 * mkdir -p for the site folder itself, which may be anywhere and may be reached through links.
 * *made says whether the site folder itself is new.
 */
static int
make_site_dir(struct commit *c, int *made)
{
	const char *dir = c->o->dir;
	size_t len = strlen(dir);
	int rc = 0;

	/* Built beside the site folder (stage_site): the new folder is this build's. */
	*made = c->o->final_dir != NULL;
	if (*made)
		return 0;
	for (size_t i = 1; i <= len && rc == 0; i++) {
		char *prefix;

		if (i < len && (dir[i] != '/' || dir[i - 1] == '/'))
			continue;
		if (i == len && dir[i - 1] == '/')
			break;
		prefix = xstrndup(dir, i);
		rc = make_dir(c, prefix, 0, 0, made);
		free(prefix);
	}
	return rc;
}

static char *parent_of(const char *path);
static char *without_trailing_slash(const char *path);

/*
 * Whether the umask leaves the bits of 0755 alone. The kernel reports it since Linux 4.7; reading
 * it with umask() would change it for a moment, for every thread.
 */
static int
umask_keeps_0755(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned mask = 0777;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &mask) == 1)
			break;
	fclose(f);
	return (mask & 0755) == 0;
}

/*
 * Whether what is made in dir, and in folders made in it, gets exactly the mode asked for
 * (0755 for a folder, 0644 for a file): then the chmod of each, 20,000 calls in a cold build of
 * 10,000 pages, can go. A folder inherits a default ACL from its parent only, so one check of
 * dir covers the folders made under it.
 */
static int
modes_exact_in(const char *dir)
{
	/* Only ENODATA: a file system without POSIX ACLs may have others (NFSv4's), which chmod mends. */
	return umask_keeps_0755() && getxattr(dir, "system.posix_acl_default", NULL, 0) < 0 &&
	       errno == ENODATA;
}

/*
 * When the site folder does not exist yet but the folder that would hold it does, makes the new
 * folder beside it that the site is built in (see the top of this file) and writes there from now
 * on. Otherwise, or when that folder cannot be made, the site folder is written as it is.
 */
static void
stage_site(struct commit *c)
{
	struct output *o = c->o;
	struct stat st;
	char *path = without_trailing_slash(o->dir), *parent = parent_of(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct buf staging = BUF_INIT;

	if (o->final_dir || lstat(path, &st) == 0 || errno != ENOENT || stat(parent, &st) < 0 ||
	    !S_ISDIR(st.st_mode) || !*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strlen(base) > TMP_BASENAME_MAX)
		goto out;
	if (buf_add(&staging, path, (size_t)(base - path)) < 0 ||
	    buf_printf(&staging, ".%s.new-XXXXXX", base) < 0 || !mkdtemp(staging.ptr))
		goto out;
	/* mkdtemp makes it 0700; the web server must be able to enter it once it is the site. */
	if (chmod(staging.ptr, 0755) < 0) {
		rmdir(staging.ptr);
		goto out;
	}
	/*
	 * Held until this build ends, however it ends, so that a later build can tell the folder
	 * of one that was killed (remove_dead_builds) from this one's.
	 */
	o->staging_lock = open(staging.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (o->staging_lock < 0 || flock(o->staging_lock, LOCK_EX | LOCK_NB) < 0) {
		/* Unlocked, another build could take it for a dead one's: the site is written as it is. */
		if (o->staging_lock >= 0)
			close(o->staging_lock);
		o->staging_lock = -1;
		rmdir(staging.ptr);
		goto out;
	}
	note_made_dir(c, staging.ptr);
	o->modes_exact = modes_exact_in(staging.ptr);
	free(o->dir);
	o->final_dir = path;
	path = NULL;
	o->dir = buf_detach(&staging, NULL);
out:
	buf_release(&staging);
	free(path);
	free(parent);
}

/* Messages through d name the site folder, not the new one that stands for it until the rename. */
static void
name_site_folder(struct diag *d, const struct output *o)
{
	if (o->final_dir) {
		d->hidden = o->dir;
		d->shown = o->final_dir;
	}
}

/* --- step 1 in parallel -------------------------------------------------------------------- */

/*
 * One thread's share of step 1. It works on a private copy of the commit whose diag writes to
 * memory and whose list of new folders is its own; run_workers merges both afterwards, so the
 * messages and the undo list come out in a fixed order whatever the threads' timing.
 */
struct worker {
	struct commit c;
	char *msgs;                /* what d wrote */
	size_t msglen;
	struct diag d;
	size_t begin, end;         /* the share: indexes into dirs or c.sorted */
	const struct dirref *dirs; /* the folders to make, or NULL for the files phase */
	size_t unchanged, ntmp;
	atomic_int *stop;          /* set by the first worker that fails, so the others stop early */
	int rc;
};

static void *
worker_dirs(void *arg)
{
	struct worker *w = arg;

	for (size_t i = w->begin; i < w->end && !atomic_load(w->stop); i++) {
		char *full = join(w->c.o->dir, w->dirs[i].p, w->dirs[i].len);
		int made;

		w->rc = full ? make_dir(&w->c, full, 1, 0, &made) :
			       diag_error(w->c.d, w->c.o->dir, 0, 0, "out of memory");
		free(full);
		if (w->rc < 0) {
			atomic_store(w->stop, 1);
			break;
		}
	}
	return NULL;
}

static int write_temp(struct output *o, struct diag *d, const char *target, const char *data,
		      size_t len, int sync, int in_place, const struct timespec *replaces, char **tmp,
		      struct output_file_state *state, int *have_state);
static int same_bytes(struct diag *d, const char *path, const char *data, size_t len,
		      int *absent, struct timespec *mtime);

/* Each changed file of the share into a temporary file beside its target. */
static void *
worker_files(void *arg)
{
	struct worker *w = arg;

	for (size_t i = w->begin; i < w->end && !atomic_load(w->stop); i++) {
		struct file *f = w->c.sorted[i];
		struct timespec mtime;
		int same;

		if (f->kept || (f->spilled && f->same)) {
			w->unchanged++;
			continue;
		}
		if (f->spilled) {
			w->ntmp++;
			continue;
		}
		f->target = join(w->c.o->dir, f->path, strlen(f->path));
		if (!f->target) {
			w->rc = diag_error(w->c.d, w->c.o->dir, 0, 0, "out of memory");
		} else if ((same = same_bytes(w->c.d, f->target, f->data, f->len, &f->absent,
					      &mtime)) < 0) {
			w->rc = -1;
		} else if (same) {
			w->unchanged++;
		} else if (write_temp(w->c.o, w->c.d, f->target, f->data, f->len, 0,
				      w->c.o->final_dir != NULL, f->absent ? NULL : &mtime, &f->tmp,
				      &f->state, &f->have_state) < 0) {
			w->rc = -1;
		} else {
			w->ntmp++;
		}
		if (w->rc < 0) {
			atomic_store(w->stop, 1);
			break;
		}
	}
	return NULL;
}

/*
 * Runs fn over items [0, n) split into contiguous shares (neighbouring files share folders, so
 * each thread keeps to its own), then merges what the workers report into c. Returns -1 when any
 * worker failed; *unchanged and *ntmp get the sums.
 */
static int
run_workers(struct commit *c, void *(*fn)(void *), const struct dirref *dirs, size_t n,
	    size_t *unchanged, size_t *ntmp)
{
	struct worker w[MAX_WORKERS];
	pthread_t tid[MAX_WORKERS];
	int started[MAX_WORKERS] = { 0 };
	int nw = (int)thread_count(n, MAX_WORKERS), rc = 0;
	atomic_int stop = 0;

	for (int i = 0; i < nw; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].c = *c;
		w[i].c.made_dirs = NULL;
		w[i].c.nmade = 0;
		diag_init_memory(&w[i].d, &w[i].msgs, &w[i].msglen, c->d->quiet);
		w[i].d.hidden = c->d->hidden;
		w[i].d.shown = c->d->shown;
		w[i].c.d = &w[i].d;
		w[i].begin = n * (size_t)i / (size_t)nw;
		w[i].end = n * (size_t)(i + 1) / (size_t)nw;
		w[i].dirs = dirs;
		w[i].stop = &stop;
	}
	/* The last share runs on this thread; a thread that cannot start leaves its share here too. */
	for (int i = 0; i < nw - 1; i++)
		started[i] = pthread_create(&tid[i], NULL, fn, &w[i]) == 0;
	for (int i = 0; i < nw - 1; i++)
		if (!started[i])
			fn(&w[i]);
	fn(&w[nw - 1]);
	for (int i = 0; i < nw; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		fclose(w[i].d.out);
		if (w[i].msglen)
			fputs(w[i].msgs, c->d->out);
		free(w[i].msgs);
		c->d->errors += w[i].d.errors;
		c->d->warnings += w[i].d.warnings;
		for (size_t k = 0; k < w[i].c.nmade; k++)
			note_made_dir(c, w[i].c.made_dirs[k]);
		for (size_t k = 0; k < w[i].c.nmade; k++)
			free(w[i].c.made_dirs[k]);
		free(w[i].c.made_dirs);
		if (w[i].rc < 0)
			rc = -1;
		if (unchanged)
			*unchanged += w[i].unchanged;
		if (ntmp)
			*ntmp += w[i].ntmp;
	}
	return rc;
}

static size_t
depth_of(const struct dirref *r)
{
	size_t n = 1;

	for (size_t i = 0; i < r->len; i++)
		n += r->p[i] == '/';
	return n;
}

/*
 * Every folder under the site that some staged file needs, parents before children: one depth
 * at a time, each depth shared among the workers (a folder's parent is one depth up, so it exists).
 */
static int
make_sub_dirs(struct commit *c)
{
	struct dirref *refs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (size_t i = 0; i < c->o->n; i++) {
		const char *p = c->o->files[i].path;

		/* A kept file's folders were just seen; a spilled file's were made by its writer. */
		if (c->o->files[i].kept || c->o->files[i].spilled)
			continue;
		for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				refs = xreallocarray(refs, cap, sizeof(*refs));
			}
			refs[n].p = p;
			refs[n++].len = (size_t)(s - p);
		}
	}
	n = sort_unique(refs, n);
	for (size_t depth = 1, done = 0; done < n && rc == 0; depth++) {
		struct dirref *level = xreallocarray(NULL, n, sizeof(*level));
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (depth_of(&refs[i]) == depth)
				level[k++] = refs[i];
		if (k)
			rc = run_workers(c, worker_dirs, level, k, NULL, NULL);
		done += k;
		free(level);
	}
	free(refs);
	return rc;
}

static int
read_full(int fd, char *p, size_t len, size_t *got)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = read(fd, p + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

/*
 * Whether path holds exactly data[0..len): 1 yes, 0 no (*absent set when there is no file, else
 * *mtime is the file's), -1 on error (reported).
 * A folder or symbolic link where a file should be is an error: replacing it would either fail
 * at rename time, after other files were replaced, or lose something that is not ours.
 */
static int
same_bytes(struct diag *d, const char *path, const char *data, size_t len, int *absent,
	   struct timespec *mtime)
{
	struct stat st;
	char *chunk = NULL;
	size_t off = 0, got;
	int fd = -1, rc = -1;

	*absent = 0;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT) {
			*absent = 1;
			return 0;
		}
		return io_error(d, path, "cannot read");
	}
	if (S_ISDIR(st.st_mode))
		return diag_error(d, path, 0, 0, "cannot write: a folder is in the way");
	if (!S_ISREG(st.st_mode))
		return diag_error(d, path, 0, 0, "cannot write: %s is in the way",
				  S_ISLNK(st.st_mode) ? "a symbolic link" : "a special file");
	*mtime = st.st_mtim;
	if ((uintmax_t)st.st_size != len)
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		io_error(d, path, "cannot read");
		goto out;
	}
	chunk = malloc(CHUNK + 1);
	if (!chunk) {
		diag_error(d, path, 0, 0, "out of memory");
		goto out;
	}
	/* Reads one byte past len so that a file that grew since lstat is not taken as equal. */
	while (off <= len) {
		size_t want = len - off < CHUNK ? len - off + 1 : CHUNK;

		if (read_full(fd, chunk, want, &got) < 0) {
			io_error(d, path, "cannot read");
			goto out;
		}
		if (got > len - off || memcmp(chunk, data + off, got) != 0) {
			rc = 0;
			goto out;
		}
		off += got;
		if (got < want)
			break;
	}
	rc = off == len;
out:
	free(chunk);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* --- the list of temporary files in an existing site folder ------------------------------ */

/*
 * A temporary file outlives a build that is killed before it renames or removes it. In a site
 * folder that already exists nothing else marks it as dead, and finding it would mean reading
 * every folder of the site. So each one's path is appended to a list in the Git folder before the
 * file is made, and the next build removes what that list names. A list left behind is a killed
 * build's: builds hold the build lock while they write (output_track_temporaries). The list's
 * first line is "site " and the site folder's real path; each further line is a temporary file's
 * path in it, or, starting with '/', a path listed before whose name was taken by some other file
 * (O_EXCL said so), which is not to be removed. A first build, made whole in a new folder, makes
 * no temporary file in the site.
 */
struct temp_list {
	char *path;
	int fd;                    /* open for appending once the first name is listed, else -1 */
	atomic_int broken;         /* cannot be written: temporary files are made without it */
	pthread_mutex_t lock;      /* opening it, among the writer threads */
	uint64_t seed;
	atomic_uint_least64_t next;
	size_t dir_len;            /* how much of a temporary file's path is the site folder's */
};

/* The list is ours, but cap what is read of a file in the Git folder all the same. */
#define TEMP_LIST_MAX ((size_t)64 << 20)

static const char temp_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* Whether name[0..len) is what write_temp names a temporary file: ".<basename>.tmp-XXXXXX". */
static int
is_temp_name(const char *name, size_t len)
{
	return len >= 1 + 1 + 5 + 6 && name[0] == '.' && memcmp(name + len - 11, ".tmp-", 5) == 0 &&
	       is_temp_suffix(name + len - 6);
}

/*
 * Removes rel (safe, see path_is_safe), a temporary file below the folder site_fd, when it is a
 * regular file of this user. Each folder on the way is opened relative to the one above without
 * following a link, so a link put in place of a folder cannot lead outside the site.
 */
static int
remove_temp_at(int site_fd, const char *rel, size_t len)
{
	int fd = site_fd, rc = -1;
	size_t start = 0;
	struct stat st;
	char *name;

	for (size_t i = 0; i < len; i++) {
		int next;

		if (rel[i] != '/')
			continue;
		name = xstrndup(rel + start, i - start);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		free(name);
		if (fd != site_fd)
			close(fd);
		if (next < 0)
			return -1;
		fd = next;
		start = i + 1;
	}
	name = xstrndup(rel + start, len - start);
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid())
		rc = unlinkat(fd, name, 0);
	free(name);
	if (fd != site_fd)
		close(fd);
	return rc;
}

/* Whether the list's lines [p, end) cancel path[0..len) (see struct temp_list). */
static int
is_cancelled(const char *p, const char *end, const char *path, size_t len)
{
	for (const char *at = p; (at = memchr(at, '/', (size_t)(end - at))); at++)
		if ((at == p || at[-1] == '\n') && (size_t)(end - at) > len + 1 &&
		    memcmp(at + 1, path, len) == 0 && at[len + 1] == '\n')
			return 1;
	return 0;
}

void
output_remove_listed_temporaries(const char *list_path, FILE *log)
{
	int fd = open(list_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), site_fd = -1;
	struct buf text = BUF_INIT;
	struct stat st;
	char *site = NULL;
	const char *p, *end, *nl;
	int cancels;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uintmax_t)st.st_size > TEMP_LIST_MAX ||
	    buf_grow(&text, (size_t)st.st_size) < 0 ||
	    read_full(fd, text.ptr, (size_t)st.st_size, &text.len) < 0)
		goto out;
	text.ptr[text.len] = '\0';
	p = text.ptr;
	end = text.ptr + text.len;
	nl = memchr(p, '\n', text.len);
	if (!nl || strncmp(p, "site /", 6) != 0)
		goto out;
	/* Names found taken are rare: without any, no line needs looking for one (is_cancelled). */
	cancels = memmem(p, text.len, "\n/", 2) != NULL;
	site = xstrndup(p + 5, (size_t)(nl - p - 5));
	site_fd = open(site, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* A line without its newline was being written when the build was killed: its file was not made. */
	for (p = nl + 1; site_fd >= 0 && p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		size_t len = (size_t)(nl - p);
		const char *base = p;

		for (const char *c = p; c < nl; c++)
			if (*c == '/')
				base = c + 1;
		if (path_is_safe(p, len) && is_temp_name(base, (size_t)(nl - base)) &&
		    !(cancels && is_cancelled(nl + 1, end, p, len)) &&
		    remove_temp_at(site_fd, p, len) == 0 && log)
			fprintf(log, "cleared %s/%.*s (left by a build that did not finish)\n", site,
				(int)len, p);
	}
out:
	if (site_fd >= 0)
		close(site_fd);
	close(fd);
	unlink(list_path);
	free(site);
	buf_release(&text);
}

void
output_track_temporaries(struct output *o, const char *list_path)
{
	struct temp_list *l = xcalloc(1, sizeof(*l));

	assert(!o->temps && !o->spill);
	l->path = xstrdup(list_path);
	l->fd = -1;
	pthread_mutex_init(&l->lock, NULL);
	/* Names need only be unlikely to be taken: O_EXCL tells, and another is tried. */
	if (getrandom(&l->seed, sizeof(l->seed), GRND_NONBLOCK) != (ssize_t)sizeof(l->seed))
		l->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	o->temps = l;
}

/* Opens the list and writes its first line: once, by whichever writer thread comes first. */
static int
temp_list_open(struct output *o, struct temp_list *l)
{
	int ok;

	pthread_mutex_lock(&l->lock);
	if (l->fd < 0 && !atomic_load(&l->broken)) {
		char *site = realpath(o->dir, NULL);
		struct buf head = BUF_INIT;

		/* A real path with a newline could not be read back: such a site goes unlisted. */
		if (site && !strchr(site, '\n') && buf_printf(&head, "site %s\n", site) == 0)
			l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW |
					      O_CLOEXEC, 0600);
		if (l->fd >= 0 && write_full(l->fd, head.ptr, head.len) < 0) {
			close(l->fd);
			unlink(l->path);
			l->fd = -1;
		}
		atomic_store(&l->broken, l->fd < 0);
		l->dir_len = strlen(o->dir) + (o->dir[strlen(o->dir) - 1] != '/');
		free(site);
		buf_release(&head);
	}
	ok = l->fd >= 0 && !atomic_load(&l->broken);
	pthread_mutex_unlock(&l->lock);
	return ok ? 0 : -1;
}

/*
 * Like mkostemp on name, which ends in "XXXXXX", but the name chosen is in the list before the
 * file exists. Without a list it is mkostemp. Each line is one write to a file opened O_APPEND,
 * so lines from several writer threads never mix.
 */
static int
open_listed_temp(struct output *o, struct buf *name)
{
	struct temp_list *l = o->temps;

	if (!l || temp_list_open(o, l) < 0 || buf_putc(name, '\n') < 0)
		return mkostemp(name->ptr, O_CLOEXEC);
	name->ptr[--name->len] = '\0';
	for (int attempt = 0; attempt < 100; attempt++) {
		/* splitmix64 of the seed and a counter: a different name each time, from every thread. */
		uint64_t r = l->seed + 0x9e3779b97f4a7c15u * (atomic_fetch_add(&l->next, 1) + 1);
		int fd;

		r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9u;
		r = (r ^ (r >> 27)) * 0x94d049bb133111ebu;
		r ^= r >> 31;
		for (size_t i = name->len - 6; i < name->len; i++, r /= sizeof(temp_alphabet) - 1)
			name->ptr[i] = temp_alphabet[r % (sizeof(temp_alphabet) - 1)];
		/* The newline kept past the end goes out with the name, in the same write. */
		name->ptr[name->len] = '\n';
		if (write_full(l->fd, name->ptr + l->dir_len, name->len + 1 - l->dir_len) < 0) {
			/* A line may be half written: nothing more is appended to the list. */
			atomic_store(&l->broken, 1);
			name->ptr[name->len] = '\0';
			return mkostemp(name->ptr, O_CLOEXEC);
		}
		name->ptr[name->len] = '\0';
		fd = open(name->ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
		/*
		 * Someone else's file has that name: it must never be taken for ours. The '/' before
		 * the relative path starts the line that cancels it.
		 */
		name->ptr[name->len] = '\n';
		if (write_full(l->fd, name->ptr + l->dir_len - 1, name->len + 2 - l->dir_len) < 0)
			atomic_store(&l->broken, 1);
		name->ptr[name->len] = '\0';
		if (atomic_load(&l->broken))
			return mkostemp(name->ptr, O_CLOEXEC);
	}
	errno = EEXIST;
	return -1;
}

/* Once no temporary file of this build is left: the list has nothing more to tell. */
static void
temp_list_done(struct output *o)
{
	struct temp_list *l = o->temps;

	if (!l || l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
	unlink(l->path);
}

static void
temp_list_free(struct output *o)
{
	struct temp_list *l = o->temps;

	if (!l)
		return;
	temp_list_done(o);
	pthread_mutex_destroy(&l->lock);
	free(l->path);
	free(l);
	o->temps = NULL;
}

/* Gives the file fd an mtime in a later second than before, unless it has one already. */
static int
later_than(int fd, const struct timespec *before)
{
	struct stat st;
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 0, 0 } };

	if (fstat(fd, &st) < 0)
		return -1;
	if (st.st_mtim.tv_sec > before->tv_sec)
		return 0;
	times[1].tv_sec = before->tv_sec + 1;
	return futimens(fd, times);
}

/*
 * Writes data to a new ".<basename>.tmp-XXXXXX" beside target and sets *tmp to its path. The
 * file is created 0600 by mkstemp and then made 0644 on purpose: the web server must read it (in
 * a new site folder whose modes are exact, see modes_exact_in, it is created 0644).
 * With sync, the file is fsynced too (the manifest, written alone); the site's files are instead
 * covered by one syncfs before the renames. With in_place (a site built beside its folder, whose
 * folder is renamed instead), the file is target itself, which must not exist yet, and with state
 * its fstat is kept there (*have_state set): nothing changes the file after, as renaming its
 * folder changes only the folder, so the build cache need not stat it again.
 *
 * replaces is the mtime of the file that target holds now, or NULL. Web servers make ETag and
 * Last-Modified from the mtime in whole seconds (nginx: with the size): a file replaced in the
 * second its last version was written would keep both, and a reader or cache holding that version
 * would get 304 Not Modified for the new one until the file changed again. Its mtime is put a
 * second past the old one's then.
 */
static int
write_temp(struct output *o, struct diag *d, const char *target, const char *data, size_t len,
	   int sync, int in_place, const struct timespec *replaces, char **tmp,
	   struct output_file_state *state, int *have_state)
{
	struct buf name = BUF_INIT;
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	size_t blen = strlen(base);
	int fd = -1, rc = -1;

	*tmp = NULL;
	if (in_place)
		rc = buf_puts(&name, target);
	else if ((rc = buf_add(&name, target, (size_t)(base - target))) == 0)
		rc = buf_printf(&name, ".%.*s.tmp-XXXXXX",
				(int)(blen < TMP_BASENAME_MAX ? blen : TMP_BASENAME_MAX), base);
	if (rc < 0) {
		diag_error(d, target, 0, 0, "out of memory");
		goto out;
	}
	rc = -1;
	fd = in_place ? open(name.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     o->modes_exact ? 0644 : 0600) :
			open_listed_temp(o, &name);
	if (fd < 0) {
		io_error(d, target, "cannot write");
		goto out;
	}
	*tmp = buf_detach(&name, NULL);
	if (write_full(fd, data, len) < 0 || (!(in_place && o->modes_exact) && fchmod(fd, 0644) < 0) ||
	    (replaces && later_than(fd, replaces) < 0) || (sync && fsync(fd) < 0)) {
		io_error(d, target, "cannot write");
		goto out;
	}
	if (in_place && state) {
		struct stat st;

		*have_state = fstat(fd, &st) == 0;
		if (*have_state) {
			state->ino = (uint64_t)st.st_ino;
			state->size = (uint64_t)st.st_size;
			state->mtime = st.st_mtim;
			state->ctime = st.st_ctim;
		}
	}
	/* close can report a deferred write error (NFS, quotas): check it. */
	rc = close(fd);
	fd = -1;
	if (rc < 0)
		io_error(d, target, "cannot write");
out:
	if (fd >= 0)
		close(fd);
	buf_release(&name);
	return rc;
}

static int
sync_dir(struct diag *d, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return io_error(d, path, "cannot sync folder");
	rc = fsync(fd);
	if (rc < 0)
		io_error(d, path, "cannot sync folder");
	close(fd);
	return rc;
}

/* Removes every temporary file still around, and after a failure before any rename, new folders. */
static void
undo(struct commit *c, int remove_dirs)
{
	for (size_t i = 0; i < c->o->n; i++) {
		struct file *f = &c->o->files[i];

		if (f->tmp) {
			unlink(f->tmp);
			free(f->tmp);
			f->tmp = NULL;
		}
	}
	/* Children were made after their parents: undo in reverse. */
	for (size_t i = c->nmade; remove_dirs && i > 0; i--)
		rmdir(c->made_dirs[i - 1]);
}

/* Reads the previous manifest into c->old_manifest; a missing one is an empty list. */
static int
read_manifest(struct commit *c, const char *path)
{
	struct stat st;
	size_t got;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return io_error(c->d, path, "cannot read");
	}
	if (fstat(fd, &st) < 0) {
		io_error(c->d, path, "cannot read");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(c->d, path, 0, 0, "cannot read: not a regular file");
		goto out;
	}
	if ((uintmax_t)st.st_size > MANIFEST_MAX) {
		diag_error(c->d, path, 0, 0, "too large (more than %zu MiB)", MANIFEST_MAX >> 20);
		goto out;
	}
	if (buf_grow(&c->old_manifest, (size_t)st.st_size + 1) < 0) {
		diag_error(c->d, path, 0, 0, "out of memory");
		goto out;
	}
	/* One byte more than fstat said, so a file growing under us is noticed rather than cut. */
	if (read_full(fd, c->old_manifest.ptr, (size_t)st.st_size + 1, &got) < 0) {
		io_error(c->d, path, "cannot read");
		goto out;
	}
	if (got > (size_t)st.st_size) {
		diag_error(c->d, path, 0, 0, "cannot read: it changed while being read");
		goto out;
	}
	c->old_manifest.len = got;
	c->old_manifest.ptr[got] = '\0';
	c->have_old_manifest = 1;
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * Whether every folder between the site folder and rel's last component is a real folder, not
 * a symbolic link: removing "a/b" must not follow a link "a" out of the site.
 */
static int
parents_are_dirs(const char *dir, const char *rel, size_t len)
{
	const char *end = rel + len;

	for (const char *s = memchr(rel, '/', len); s; s = memchr(s + 1, '/', (size_t)(end - s - 1))) {
		char *full = join(dir, rel, (size_t)(s - rel));
		struct stat st;
		int isdir = full && lstat(full, &st) == 0 && S_ISDIR(st.st_mode);

		free(full);
		if (!isdir)
			return 0;
	}
	return 1;
}

/* Removes the now empty folders above rel, deepest first; stops at the first one not empty. */
static void
remove_empty_parents(const char *dir, const char *rel, size_t len)
{
	while (len > 0) {
		const char *s = rel + len - 1;
		char *full;
		int rc;

		while (s > rel && *s != '/')
			s--;
		if (s == rel)
			return;
		len = (size_t)(s - rel);
		full = join(dir, rel, len);
		if (!full)
			return;
		rc = rmdir(full);
		free(full);
		if (rc < 0)
			return;
	}
}

/*
 * Removes the files the previous manifest lists that are not staged now. Only regular files
 * are removed: anything else at such a path is no longer ours. A file that cannot be removed
 * is reported and added to *keep, so the next manifest still lists it and a later build retries.
 */
static int
remove_stale(struct commit *c, struct dirref **keep, size_t *nkeep, size_t *removed)
{
	const char *p = c->old_manifest.ptr, *end = p + c->old_manifest.len;
	int rc = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		struct stat st;
		char *full;

		p += len + 1;
		/* Lines that are not a path we could have written are ignored, never acted on. */
		if (!path_is_safe(line, len) || (len == sizeof(MANIFEST) - 1 &&
						 memcmp(line, MANIFEST, len) == 0))
			continue;
		if (is_staged(c->o, line, len) || !parents_are_dirs(c->o->dir, line, len))
			continue;
		full = join(c->o->dir, line, len);
		if (!full) {
			rc = diag_error(c->d, c->o->dir, 0, 0, "out of memory");
			continue;
		}
		if (lstat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (unlink(full) == 0) {
				(*removed)++;
				if (c->o->log)
					fprintf(c->o->log, "removed %.*s\n", (int)len, line);
				remove_empty_parents(c->o->dir, line, len);
			} else if (errno != ENOENT) {
				rc = io_error(c->d, full, "cannot remove");
				*keep = xreallocarray(*keep, *nkeep + 1, sizeof(**keep));
				(*keep)[*nkeep].p = line;
				(*keep)[(*nkeep)++].len = len;
			}
		}
		free(full);
	}
	return rc;
}

/* The new manifest: every staged path and every stale path kept, sorted, one per line. */
static int
build_manifest(struct buf *out, struct commit *c, struct dirref *keep, size_t nkeep)
{
	struct dirref *all = xreallocarray(NULL, c->o->n + nkeep, sizeof(*all));
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < c->o->n; i++) {
		all[n].p = c->sorted[i]->path;
		all[n++].len = strlen(c->sorted[i]->path);
	}
	for (size_t i = 0; i < nkeep; i++)
		all[n++] = keep[i];
	if (nkeep)
		n = sort_unique(all, n);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (buf_add(out, all[i].p, all[i].len) < 0 || buf_putc(out, '\n') < 0)
			rc = -1;
	free(all);
	return rc;
}

/*
 * Replaces the manifest if its bytes changed: temporary file, fsync, rename, fsync the folder. In
 * a site built beside its folder (o->final_dir) it is written under its own name instead, before
 * the one syncfs, and *in_place is set to its path for the caller to remove on failure.
 */
static int
write_manifest(struct commit *c, struct dirref *keep, size_t nkeep, char **in_place)
{
	struct buf bytes = BUF_INIT;
	char *path = join(c->o->dir, MANIFEST, sizeof(MANIFEST) - 1);
	char *tmp = NULL;
	int rc = -1;

	if (!path || build_manifest(&bytes, c, keep, nkeep) < 0) {
		diag_error(c->d, c->o->dir, 0, 0, "out of memory");
		goto out;
	}
	if (c->o->final_dir) {
		rc = write_temp(c->o, c->d, path, bytes.ptr ? bytes.ptr : "", bytes.len, 0, 1, NULL,
				in_place, NULL, NULL);
		goto out;
	}
	if (c->have_old_manifest && bytes.len == c->old_manifest.len &&
	    memcmp(bytes.ptr, c->old_manifest.ptr, bytes.len) == 0) {
		rc = 0;
		goto out;
	}
	if (write_temp(c->o, c->d, path, bytes.ptr ? bytes.ptr : "", bytes.len, 1, 0, NULL, &tmp,
		       NULL, NULL) < 0)
		goto out;
	if (rename(tmp, path) < 0) {
		io_error(c->d, path, "cannot write");
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = sync_dir(c->d, c->o->dir);
out:
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(path);
	buf_release(&bytes);
	return rc;
}

/*
 * Flushes the file system that holds the site: one syncfs covers every file and folder written
 * so far, and since Linux 5.8 it also reports their write-back errors.
 */
static int
sync_site(const struct output *o, struct diag *d)
{
	int dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (dirfd < 0)
		return io_error(d, o->dir, "cannot sync");
	rc = syncfs(dirfd);
	if (rc < 0)
		io_error(d, o->dir, "cannot sync");
	close(dirfd);
	return rc;
}

/* The folder that holds path (which has no trailing '/'), or "." for a bare name. */
static char *
parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* path without the '/' characters that end it, if any (the root stays "/"). */
static char *
without_trailing_slash(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	return xstrndup(path, len);
}

/*
 * Removes name, a folder in dirfd, and everything in it, never following a symbolic link: each
 * level is opened relative to the one above, so a link put in place of a folder is unlinked, not
 * entered. A folder is read again until a pass removes nothing, as unlinking while reading may
 * hide entries. 0 when name is gone.
 */
static int
remove_tree_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dir;
	struct dirent *e;
	size_t removed;

	if (fd < 0)
		return unlinkat(dirfd, name, 0);
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	do {
		removed = 0;
		rewinddir(dir);
		while ((e = readdir(dir))) {
			int rc;

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			rc = e->d_type == DT_DIR || e->d_type == DT_UNKNOWN ? remove_tree_at(fd, e->d_name) :
									       unlinkat(fd, e->d_name, 0);
			removed += rc == 0;
		}
	} while (removed);
	closedir(dir);
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Whether name is what stage_site names a new folder for a site folder called base. */
static int
is_new_folder_name(const char *name, const char *base)
{
	size_t blen = strlen(base);

	if (name[0] != '.' || strncmp(name + 1, base, blen) != 0 ||
	    strncmp(name + 1 + blen, ".new-", 5) != 0)
		return 0;
	name += 1 + blen + 5;
	return is_temp_suffix(name) && name[6] == '\0';
}

/*
 * Whether fd's file system is one where an flock on a folder is seen by every process that may
 * build there. Over NFS or SMB another machine's build would not see it, so nothing is removed.
 */
static int
folder_locks_are_shared(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) < 0)
		return 0;
	switch ((unsigned long)fs.f_type) {
	case EXT4_SUPER_MAGIC:          /* ext2 and ext3 too */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
	case F2FS_SUPER_MAGIC:
	case OVERLAYFS_SUPER_MAGIC:
		return 1;
	default:
		return 0;
	}
}

/*
 * A new folder this old and unlocked is no live build's: not one between mkdtemp and flock, nor
 * one of an older threatfeed that took no lock.
 */
#define DEAD_BUILD_AGE (15 * 60)

/*
 * A build killed midway leaves its new folder beside the site folder, as big as the site. Each
 * build holds an flock on its own until it ends (stage_site), so a folder of that name that is
 * ours, a quarter of an hour old and that nobody holds is a dead build's: removed, best effort,
 * while holding its lock so that two builds never remove one together.
 */
static void
remove_dead_builds(struct output *o, const char *site_dir)
{
	char *path = without_trailing_slash(site_dir), *parent = parent_of(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = pfd >= 0 && folder_locks_are_shared(pfd) ? fdopendir(pfd) : NULL;
	struct dirent *e;
	time_t now = time(NULL);

	if (!dir) {
		if (pfd >= 0)
			close(pfd);
		goto out;
	}
	while ((e = readdir(dir))) {
		struct stat st, locked, now_there;
		int fd;

		if (!is_new_folder_name(e->d_name, base) ||
		    fstatat(pfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid() || now - st.st_mtime < DEAD_BUILD_AGE)
			continue;
		fd = openat(pfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* What is locked must be what the name still holds, and still be there. */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &locked) == 0 &&
		    locked.st_ino == st.st_ino && locked.st_dev == st.st_dev && locked.st_nlink > 0 &&
		    fstatat(pfd, e->d_name, &now_there, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now_there.st_ino == locked.st_ino && now_there.st_dev == locked.st_dev &&
		    remove_tree_at(pfd, e->d_name) == 0 && o->log)
			fprintf(o->log, "cleared %s/%s (left by a build that did not finish)\n", parent,
				e->d_name);
		close(fd);
	}
	closedir(dir);
out:
	free(path);
	free(parent);
}

/*
 * Step 2 for a site built beside its folder: the new folder, manifest included, takes the site
 * folder's name in one rename, made durable by a flush of the folder that holds it. When the
 * rename fails o->final_dir is still set, and the caller removes what was built.
 */
static int
publish_whole(struct commit *c, size_t *written)
{
	struct output *o = c->o;
	char *parent = parent_of(o->final_dir);
	int rc;

	/* rename() replaces a folder only when it is empty: one made meanwhile is refused here. */
	if (rename(o->dir, o->final_dir) < 0) {
		rc = errno == ENOTEMPTY || errno == EEXIST ?
			     diag_error(c->d, o->final_dir, 0, 0, "cannot create folder: another "
					"program made it during the build (nothing was written to it)") :
			     io_error(c->d, o->final_dir, "cannot create folder");
		goto out;
	}
	for (size_t i = 0; i < o->n; i++) {
		struct file *f = c->sorted[i];

		if (!f->tmp)
			continue;
		free(f->tmp);
		f->tmp = NULL;
		(*written)++;
		if (o->log)
			fprintf(o->log, "wrote %s\n", f->path);
	}
	/* The folders made are the site's now, and the rest of the commit works in it. */
	for (size_t i = 0; i < c->nmade; i++)
		free(c->made_dirs[i]);
	c->nmade = 0;
	c->d->hidden = c->d->shown = NULL;
	free(o->dir);
	o->dir = o->final_dir;
	o->final_dir = NULL;
	rc = sync_dir(c->d, parent);
out:
	free(parent);
	return rc;
}

/*
 * Step 2: renames, then one syncfs that makes them durable. An fsync per folder touched would cost
 * a cold build of 10,000 pages 10,000 flushes (a sixth of its time when profiled); syncfs covers
 * every folder of the file system at once.
 *
 * The files that are new come first: until every rename is done, a reader or crawler gets the new
 * version of some files and the old one of others, and a page, feed or sitemap replaced before a
 * new page it links to would send them to a 404 (every page's menu links to a new free page; in
 * path order, "index.html" comes before "pages/"). Nothing links to a new file until then.
 */
static int
rename_all(struct commit *c, size_t *written)
{
	for (int adding = 1; adding >= 0; adding--) {
		for (size_t i = 0; i < c->o->n; i++) {
			struct file *f = c->sorted[i];

			if (!f->tmp || f->absent != adding)
				continue;
			if (rename(f->tmp, f->target) < 0)
				return io_error(c->d, f->target, "cannot write");
			free(f->tmp);
			f->tmp = NULL;
			(*written)++;
			if (c->o->log)
				fprintf(c->o->log, "wrote %s\n", f->path);
		}
	}
	return *written ? sync_site(c->o, c->d) : 0;
}

/* Step 1: every changed file into a temporary file, then one syncfs for all of them. */
static int
write_all_temps(struct commit *c, size_t *unchanged)
{
	size_t ntmp = 0;

	if (run_workers(c, worker_files, NULL, c->o->n, unchanged, &ntmp) < 0)
		return -1;
	/*
	 * One syncfs instead of an fsync per file: thousands of pages would wait on thousands. A site
	 * built beside its folder always has one, for its manifest at least.
	 */
	return ntmp || c->o->final_dir ? sync_site(c->o, c->d) : 0;
}

/* --- spilling: step 1 while the files are still being added ------------------------------- */

/*
 * With output_spill, each file added is handed to a writer thread that does step 1 for it at
 * once (folders, compare, temporary file) and frees its bytes, so a site never sits in memory
 * whole and writing overlaps rendering. The queue is short: the renderer waits for the writer
 * rather than piling up pages. Results go to the writer's own list and reach the files only
 * once it has stopped, so the threads never share a struct file.
 *
 * A cold build is bound by the writer: making a folder and a file is the kernel's work, about
 * 0.1 ms a page, while rendering the page takes a fraction of that. So there are SPILL_LANES
 * writers (one per core at most), each with its own queue, and a file goes to the lane chosen by
 * a hash of its folder: the files of one folder are made by one writer, and two writers rarely
 * wait for the same folder's lock.
 */
#define SPILL_QUEUE 64
#define SPILL_LANES 2

struct spill_item {
	size_t index;
	char *target;
	char *data;
	size_t len;
};

struct spill_result {
	size_t index;
	char *target;
	char *tmp;
	int same;
	int absent;
	int have_state;
	struct output_file_state state;
};

struct spill;

/* One writer thread, its queue, and what it reports. */
struct spill_lane {
	struct spill *sp;
	pthread_t tid;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct spill_item q[SPILL_QUEUE];
	size_t head, count;
	int waiting;               /* threads waiting on cond: the writer (empty) or the renderer (full) */
	int closing;
	struct commit c;           /* the writer's diag and the folders it made */
	struct diag d;             /* writes to msgs until spill_finish */
	char *msgs;
	size_t msglen;
	struct spill_result *res;
	size_t nres, capres;
	struct buf known;          /* the last folder known to exist, relative, with a '/' */
	size_t known_old;          /* how much of known was there before this build */
};

struct spill {
	struct output *o;
	struct diag *main_d;
	/*
	 * 1 + the index of the first lane that failed, or 0: all stop, and only that lane's
	 * messages are said, so that a full disk is reported once whatever the threads' timing.
	 */
	atomic_int failed;
	int site_new;              /* the site folder itself was made by this build */
	size_t nlanes;
	struct spill_lane lanes[SPILL_LANES];
};

/*
 * Makes the folders of rel that the lane's previous file's folder did not already cover. Returns
 * 1 when rel's folder was made by this build (so rel cannot exist yet), 0 when it was there, -1
 * on error. Another lane may make a folder first: make_dir then finds it there.
 */
static int
spill_dirs(struct spill_lane *lane, const char *rel)
{
	struct spill *sp = lane->sp;
	const char *slash = strrchr(rel, '/');
	size_t dirlen = slash ? (size_t)(slash - rel) + 1 : 0, common = 0, first_made = SIZE_MAX;
	int rc = 0, parent_new, made;

	/* Whole components shared with the last folder exist already. */
	while (common < dirlen && common < lane->known.len && rel[common] == lane->known.ptr[common])
		common++;
	while (common > 0 && rel[common - 1] != '/')
		common--;
	parent_new = sp->site_new || common > lane->known_old;
	for (size_t i = common, start = common; i < dirlen && rc == 0; i++) {
		char *full;

		if (rel[i] != '/')
			continue;
		full = join(sp->o->dir, rel, i);
		rc = full ? make_dir(&lane->c, full, 1, parent_new, &made) :
			    diag_error(&lane->d, sp->o->dir, 0, 0, "out of memory");
		free(full);
		if (made && first_made == SIZE_MAX)
			first_made = start;
		/* In a new site folder everything is new, whichever writer made it. */
		parent_new = made || sp->site_new;
		start = i + 1;
	}
	/* Of the new known folder, the part before known_old was there before this build. */
	if (sp->site_new)
		lane->known_old = 0;
	else if (common <= lane->known_old)
		lane->known_old = first_made != SIZE_MAX ? first_made : dirlen;
	buf_reset(&lane->known);
	if (rc == 0 && buf_add(&lane->known, rel, dirlen) < 0)
		rc = -1;
	return rc < 0 ? -1 : sp->site_new || dirlen > lane->known_old;
}

static void
spill_one(struct spill_lane *lane, struct spill_item *it)
{
	struct spill *sp = lane->sp;
	struct spill_result r = { it->index, it->target, NULL, 0, 0, 0,
				  { 0, 0, { 0, 0 }, { 0, 0 } } };
	const char *rel = it->target + strlen(sp->o->dir) + (sp->o->dir[strlen(sp->o->dir) - 1] != '/');
	struct timespec mtime;
	int same = 0, folder_new;

	if (!atomic_load(&sp->failed)) {
		int none = 0;

		if ((folder_new = spill_dirs(lane, rel)) < 0 ||
		    (!folder_new && (same = same_bytes(&lane->d, it->target, it->data, it->len,
						       &r.absent, &mtime)) < 0) ||
		    (!same && write_temp(sp->o, &lane->d, it->target, it->data, it->len, 0,
					 sp->o->final_dir != NULL, folder_new || r.absent ? NULL : &mtime,
					 &r.tmp, &r.state, &r.have_state) < 0))
			atomic_compare_exchange_strong(&sp->failed, &none, 1 + (int)(lane - sp->lanes));
		else
			r.same = same;
		if (folder_new)
			r.absent = 1;
	}
	free(it->data);
	if (lane->nres == lane->capres) {
		lane->capres = lane->capres ? 2 * lane->capres : 256;
		lane->res = xreallocarray(lane->res, lane->capres, sizeof(*lane->res));
	}
	lane->res[lane->nres++] = r;
}

static void *
spill_run(void *arg)
{
	struct spill_lane *lane = arg;
	struct spill_item batch[SPILL_QUEUE];

	for (;;) {
		size_t n = 0;

		pthread_mutex_lock(&lane->lock);
		while (lane->count == 0 && !lane->closing) {
			lane->waiting++;
			pthread_cond_wait(&lane->cond, &lane->lock);
			lane->waiting--;
		}
		/* All that is queued at once: one lock, and the renderer woken once per batch. */
		while (lane->count) {
			batch[n++] = lane->q[lane->head];
			lane->head = (lane->head + 1) % SPILL_QUEUE;
			lane->count--;
		}
		if (lane->waiting)
			pthread_cond_broadcast(&lane->cond);
		pthread_mutex_unlock(&lane->lock);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			spill_one(lane, &batch[i]);
	}
	return NULL;
}

void
output_spill(struct output *o, struct diag *d)
{
	struct spill *sp = xcalloc(1, sizeof(*sp));
	struct spill_lane *first = &sp->lanes[0];

	assert(!o->spill && o->n == 0);
	sp->o = o;
	sp->main_d = d;
	sp->nlanes = thread_count(SPILL_LANES, SPILL_LANES);
	for (size_t i = 0; i < sp->nlanes; i++) {
		struct spill_lane *lane = &sp->lanes[i];

		lane->sp = sp;
		lane->c.o = o;
		lane->c.d = &lane->d;
		lane->known = (struct buf)BUF_INIT;
		diag_init_memory(&lane->d, &lane->msgs, &lane->msglen, d->quiet);
		pthread_mutex_init(&lane->lock, NULL);
		pthread_cond_init(&lane->cond, NULL);
	}
	/* Before any path is joined to the site folder's, on this thread, before the writers. */
	stage_site(&first->c);
	for (size_t i = 0; i < sp->nlanes; i++)
		name_site_folder(&sp->lanes[i].d, o);
	if (make_site_dir(&first->c, &sp->site_new) < 0)
		atomic_store(&sp->failed, 1);
	/* Without a thread, each of the lane's files is written as it is added. */
	for (size_t i = 0; i < sp->nlanes; i++)
		sp->lanes[i].started = pthread_create(&sp->lanes[i].tid, NULL, spill_run,
						      &sp->lanes[i]) == 0;
	o->spill = sp;
}

/* The lane of a file: FNV-1a of its folder, so that a folder's files share one writer. */
static struct spill_lane *
lane_of(struct spill *sp, const char *path)
{
	const char *slash = strrchr(path, '/');
	uint32_t h = 2166136261u;

	for (const char *p = path; slash && p < slash; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &sp->lanes[h % sp->nlanes];
}

static int
spill_push(struct output *o, size_t index)
{
	struct file *f = &o->files[index];
	struct spill_lane *lane = lane_of(o->spill, f->path);
	struct spill_item it = { index, join(o->dir, f->path, strlen(f->path)), f->data, f->len };

	if (!it.target)
		abort();
	f->data = NULL;
	f->len = 0;
	f->spilled = 1;
	if (!lane->started) {
		spill_one(lane, &it);
		return 0;
	}
	pthread_mutex_lock(&lane->lock);
	while (lane->count == SPILL_QUEUE) {
		lane->waiting++;
		pthread_cond_wait(&lane->cond, &lane->lock);
		lane->waiting--;
	}
	lane->q[(lane->head + lane->count) % SPILL_QUEUE] = it;
	lane->count++;
	if (lane->waiting)
		pthread_cond_broadcast(&lane->cond);
	pthread_mutex_unlock(&lane->lock);
	/* A failure is reported at commit time, as it would have been without spilling. */
	return 0;
}

/* Stops the writers; their results go to the files and their messages to the caller's diag. */
static void
spill_finish(struct output *o, struct diag *unused)
{
	struct spill *sp = o->spill;
	int failed;

	(void)unused;
	for (size_t i = 0; i < sp->nlanes; i++) {
		struct spill_lane *lane = &sp->lanes[i];

		if (!lane->started)
			continue;
		pthread_mutex_lock(&lane->lock);
		lane->closing = 1;
		pthread_cond_broadcast(&lane->cond);
		pthread_mutex_unlock(&lane->lock);
		pthread_join(lane->tid, NULL);
		lane->started = 0;
	}
	failed = atomic_load(&sp->failed);
	for (size_t i = 0; i < sp->nlanes; i++) {
		struct spill_lane *lane = &sp->lanes[i];

		/* Writers say nothing but errors: after a failure, the first one's alone. */
		if (lane->d.out) {
			fclose(lane->d.out);
			lane->d.out = NULL;
			if (failed && failed != 1 + (int)i)
				lane->msglen = lane->d.errors = lane->d.warnings = 0;
			if (lane->msglen)
				fputs(lane->msgs, sp->main_d->out);
			sp->main_d->errors += lane->d.errors;
			sp->main_d->warnings += lane->d.warnings;
		}
		for (size_t k = 0; k < lane->nres; k++) {
			struct spill_result *r = &lane->res[k];
			struct file *f = &o->files[r->index];

			f->target = r->target;
			f->tmp = r->tmp;
			f->same = r->same;
			f->absent = r->absent;
			f->have_state = r->have_state;
			f->state = r->state;
		}
		lane->nres = 0;
	}
}

/* Puts n folders in order of depth, parents before children, in linear time (a counting sort). */
static void
order_by_depth(char **dirs, size_t n)
{
	size_t *depth = xreallocarray(NULL, n, sizeof(*depth)), max = 0, *start;
	char **sorted = xreallocarray(NULL, n, sizeof(*sorted));

	for (size_t i = 0; i < n; i++) {
		depth[i] = depth_of(&(struct dirref){ dirs[i], strlen(dirs[i]) });
		if (depth[i] > max)
			max = depth[i];
	}
	start = xcalloc(max + 2, sizeof(*start));
	for (size_t i = 0; i < n; i++)
		start[depth[i] + 1]++;
	for (size_t d = 1; d <= max + 1; d++)
		start[d] += start[d - 1];
	for (size_t i = 0; i < n; i++)
		sorted[start[depth[i]]++] = dirs[i];
	memcpy(dirs, sorted, n * sizeof(*dirs));
	free(start);
	free(sorted);
	free(depth);
}

/*
 * Hands the folders every writer made to c, parents first: a writer may have made a folder in
 * one that another writer made, so the lists are merged by depth.
 */
static void
spill_take_dirs(struct spill *sp, struct commit *c)
{
	size_t from = c->nmade;

	for (size_t i = 0; i < sp->nlanes; i++) {
		struct spill_lane *lane = &sp->lanes[i];

		if (!lane->c.nmade)
			continue;
		c->made_dirs = xreallocarray(c->made_dirs, c->nmade + lane->c.nmade,
					     sizeof(*c->made_dirs));
		memcpy(c->made_dirs + c->nmade, lane->c.made_dirs,
		       lane->c.nmade * sizeof(*c->made_dirs));
		c->nmade += lane->c.nmade;
		free(lane->c.made_dirs);
		lane->c.made_dirs = NULL;
		lane->c.nmade = 0;
	}
	if (sp->nlanes > 1 && c->nmade > from)
		order_by_depth(c->made_dirs + from, c->nmade - from);
}

static void
spill_release(struct output *o)
{
	struct spill *sp = o->spill;

	for (size_t i = 0; i < sp->nlanes; i++) {
		struct spill_lane *lane = &sp->lanes[i];

		for (size_t k = 0; k < lane->c.nmade; k++)
			free(lane->c.made_dirs[k]);
		free(lane->c.made_dirs);
		free(lane->res);
		free(lane->msgs);
		buf_release(&lane->known);
		pthread_mutex_destroy(&lane->lock);
		pthread_cond_destroy(&lane->cond);
	}
	free(sp);
	o->spill = NULL;
}

/* After a failed build: the temporary files and the folders the writers made go. */
static void
spill_undo(struct output *o)
{
	struct commit c = { o, NULL, NULL, NULL, 0, BUF_INIT, 0 };

	spill_take_dirs(o->spill, &c);
	spill_release(o);
	undo(&c, 1);
	for (size_t i = 0; i < c.nmade; i++)
		free(c.made_dirs[i]);
	free(c.made_dirs);
}

int
output_commit(struct output *o, struct output_stats *stats, struct diag *d)
{
	struct commit c = { o, d, NULL, NULL, 0, BUF_INIT, 0 };
	struct dirref *keep = NULL;
	size_t nkeep = 0;
	char *manifest = NULL, *new_manifest = NULL;
	const char *hidden = d->hidden, *shown = d->shown;
	int rc = -1, made;

	memset(stats, 0, sizeof(*stats));
	stats->staged = o->n;
	c.sorted = xreallocarray(NULL, o->n, sizeof(*c.sorted));
	for (size_t i = 0; i < o->n; i++)
		c.sorted[i] = &o->files[i];
	qsort(c.sorted, o->n, sizeof(*c.sorted), cmp_file);

	if (o->spill) {
		int failed;

		spill_finish(o, d);
		failed = atomic_load(&o->spill->failed);
		/* The writers' folders are this commit's to undo now. */
		spill_take_dirs(o->spill, &c);
		spill_release(o);
		if (failed) {
			undo(&c, 1);
			goto out;
		}
	}
	stage_site(&c);
	name_site_folder(d, o);
	manifest = join(o->dir, MANIFEST, sizeof(MANIFEST) - 1);
	if (!manifest) {
		diag_error(d, o->dir, 0, 0, "out of memory");
		undo(&c, 1);
		goto out;
	}
	if (make_site_dir(&c, &made) < 0 || read_manifest(&c, manifest) < 0 || make_sub_dirs(&c) < 0 ||
	    (o->final_dir && write_manifest(&c, NULL, 0, &new_manifest) < 0) ||
	    write_all_temps(&c, &stats->unchanged) < 0) {
		if (new_manifest)
			unlink(new_manifest);
		undo(&c, 1);
		goto out;
	}
	if (o->final_dir) {
		rc = publish_whole(&c, &stats->written);
		/* Not in place: nothing of the new folder may stay. */
		if (o->final_dir) {
			unlink(new_manifest);
			undo(&c, 1);
		}
		goto out;
	}
	rc = rename_all(&c, &stats->written);
	undo(&c, 0);
	if (rc < 0)
		goto out;
	rc = remove_stale(&c, &keep, &nkeep, &stats->removed);
	/* Make the removals durable before the manifest forgets the files. */
	if (stats->removed && sync_site(o, d) < 0)
		rc = -1;
	if (write_manifest(&c, keep, nkeep, NULL) < 0)
		rc = -1;
out:
	for (size_t i = 0; i < o->n; i++) {
		free(o->files[i].target);
		o->files[i].target = NULL;
	}
	for (size_t i = 0; i < c.nmade; i++)
		free(c.made_dirs[i]);
	free(c.made_dirs);
	free(keep);
	free(manifest);
	free(new_manifest);
	d->hidden = hidden;
	d->shown = shown;
	/* Every temporary file is renamed or removed by now. */
	temp_list_done(o);
	/* Kept for output_foreach: what the caches record after a commit comes out sorted. */
	free(o->sorted);
	o->sorted = c.sorted;
	o->committed = rc == 0;
	buf_release(&c.old_manifest);
	if (o->staging_lock >= 0) {
		close(o->staging_lock);
		o->staging_lock = -1;
	}
	if (rc == 0)
		remove_dead_builds(o, o->dir);
	return rc;
}
