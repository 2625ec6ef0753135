#include "build.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "builtin.h"
#include "cache.h"
#include "config.h"
#include "frontmatter.h"
#include "markdown.h"
#include "model.h"
#include "output.h"
#include "ping.h"
#include "render.h"
#include "template.h"
#include "xmlout.h"

#define TEMPLATES_DIR "templates/"
/* Under the Git folder: the temporary files a build is making in the site (output.h). */
#define TEMP_LIST_FILE "threatfeed/temporaries"
#define TEMPLATE_SUFFIX ".mustache"

/* "index.html.mustache" -> "index.html"; NULL for files that are not templates. */
static char *
template_name(const char *file)
{
	size_t len = strlen(file), suffix = strlen(TEMPLATE_SUFFIX);

	if (len <= suffix || strcmp(file + len - suffix, TEMPLATE_SUFFIX) != 0 || file[0] == '.')
		return NULL;
	return xstrndup(file, len - suffix);
}

static int
is_builtin_template(const char *file)
{
	for (size_t i = 0; i < builtin_templates_count; i++)
		if (strcmp(builtin_templates[i].name, file) == 0)
			return 1;
	return 0;
}

/*
 * Files of templates/ that no build reads, though their author meant them to change the site: a
 * misspelt name ("entrry.html.mustache") no page is made from and no template includes, a
 * template's name without ".mustache" ("style.css"), a template in a subfolder. Only warnings:
 * the site is still right, only not changed as the author wanted.
 */
static void
warn_unused_templates(const struct template_set *set, const struct source_set *src, struct diag *d)
{
	struct buf full = BUF_INIT;

	for (size_t i = 0; i < src->count; i++) {
		const struct source_file *f = &src->files[i];
		const char *file = f->path + strlen(TEMPLATES_DIR);
		char *name;

		if (f->kind != SOURCE_FILE || strncmp(f->path, TEMPLATES_DIR, strlen(TEMPLATES_DIR)) != 0)
			continue;
		buf_reset(&full);
		buf_printf(&full, "%s%s", file, TEMPLATE_SUFFIX);
		if (strchr(file, '/')) {
			if ((name = template_name(strrchr(file, '/') + 1))) {
				diag_warning(d, f->path, 0, 0, "template in a subfolder not used (expected "
					     "%s%s, beside the others)", TEMPLATES_DIR, strrchr(file, '/') + 1);
				free(name);
			}
		} else if ((name = template_name(file))) {
			if (!is_builtin_template(file) && !template_set_includes(set, name))
				diag_warning(d, f->path, 0, 0, "template not used: no page is made from "
					     "'%s' and no template includes it (expected the name of a "
					     "built-in template, listed in templates/README.md, or of a "
					     "partial)", name);
			free(name);
		} else if (is_builtin_template(full.ptr)) {
			diag_warning(d, f->path, 0, 0, "not a template, so not used (expected %s%s)",
				     TEMPLATES_DIR, full.ptr);
		}
	}
	buf_release(&full);
}

/*
 * The built-in templates first, then the repository's templates/ over them, file by file, so a
 * site overrides only what it wants to change.
 */
static int
load_templates(struct template_set *set, const struct source_set *src, struct diag *d)
{
	struct buf path = BUF_INIT;
	size_t errors_before = d->errors;

	for (size_t i = 0; i < builtin_templates_count; i++) {
		char *name = template_name(builtin_templates[i].name);

		if (!name)
			continue;
		buf_reset(&path);
		buf_printf(&path, "built-in %s", builtin_templates[i].name);
		template_set_add(set, name, path.ptr, builtin_templates[i].data, builtin_templates[i].len, d);
		free(name);
	}
	for (size_t i = 0; i < src->count; i++) {
		const struct source_file *f = &src->files[i];
		const char *file = f->path + strlen(TEMPLATES_DIR);
		unsigned line, col;
		const char *why;
		char *name;

		/* A link or submodule standing for the whole folder would drop every override unsaid. */
		if (strcmp(f->path, "templates") == 0 && f->kind != SOURCE_FILE) {
			diag_error(d, f->path, 0, 0, "templates must be a folder of regular files");
			continue;
		}
		if (strncmp(f->path, TEMPLATES_DIR, strlen(TEMPLATES_DIR)) != 0 || strchr(file, '/') ||
		    !(name = template_name(file)))
			continue;
		if (f->kind == SOURCE_TOO_LARGE)
			diag_error(d, f->path, 0, 0, "file of %zu bytes is too large (at most %zu)",
				   f->size, (size_t)REPO_MAX_BLOB);
		else if (f->kind != SOURCE_FILE)
			diag_error(d, f->path, 0, 0, "templates must be regular files");
		else if (text_check(f->data, f->size, &line, &col, &why) < 0)
			diag_error(d, f->path, line, col, "%s", why);
		else
			template_set_add(set, name, f->path, f->data, f->size, d);
		free(name);
	}
	buf_release(&path);
	/* A template that failed to compile is missing from the set: its partials would seem unknown. */
	if (d->errors > errors_before)
		return -1;
	warn_unused_templates(set, src, d);
	return template_set_check_partials(set, d);
}

static int
load_config(struct config *cfg, const struct source_set *src, struct diag *d)
{
	const struct source_file *f = source_set_find(src, SETTINGS_FILE);
	struct config_entries entries = { NULL, 0 };
	unsigned line, col;
	const char *why;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!f)
		return diag_error(d, SETTINGS_FILE, 0, 0, "missing (every site needs its settings, with "
				  "at least site.title and site.url)");
	if (f->kind != SOURCE_FILE)
		return diag_error(d, SETTINGS_FILE, 0, 0, "must be a regular file");
	if (text_check(f->data, f->size, &line, &col, &why) < 0)
		return diag_error(d, SETTINGS_FILE, line, config_column(f->data, f->size, line, col),
				  "%s", why);
	if (repo_parse_config(&entries, SETTINGS_FILE, f->data, f->size, d) < 0)
		return -1;
	rc = config_load(cfg, SETTINGS_FILE, f->data, f->size, &entries, d);
	config_entries_release(&entries);
	return rc;
}

int
build_load_config(struct config *cfg, const struct source_set *src, struct diag *d)
{
	return load_config(cfg, src, d);
}

/*
 * Serialises the runs that write. The lock lives in the Git folder, not next to the site folder:
 * that folder may not exist yet, may be shared with the web server, and is the host's choice;
 * the repository is what every post-receive build of one site has in common.
 */
static int
take_build_lock(struct repo *repo, struct diag *d)
{
	struct buf folder = BUF_INIT;
	int fd;

	buf_printf(&folder, "%sthreatfeed", repo_git_dir(repo));
	fd = lock_wait(folder.ptr, "build.lock", "build lock", d);
	buf_release(&folder);
	return fd;
}

/* Pings about the feed files in site_dir, keeping the state in the Git folder (ping.h). */
static int
ping_now(const json_t *model, const struct config *cfg, const char *site_dir, struct repo *repo,
	 const struct build_options *opt, struct diag *d)
{
	struct buf state = BUF_INIT;
	struct ping_options po = { site_dir, NULL, opt->ping_dry_run, opt->quiet, stdout };
	int rc;

	buf_printf(&state, "%s%s", repo_git_dir(repo), PING_STATE_FILE);
	po.state_path = state.ptr;
	fflush(stdout);
	rc = ping_site(model, cfg, &po, d);
	buf_release(&state);
	return rc;
}

int
build_ping(const struct build_options *opt, struct diag *d)
{
	static const char *const prefixes[] = { SETTINGS_FILE, "content/" };
	struct repo *repo = NULL;
	struct source_set src = { NULL, 0, "", 0 };
	struct config cfg;
	json_t *model = NULL;
	struct buf dir = BUF_INIT;
	int rc = -1, quiet = d->quiet, built;

	memset(&cfg, 0, sizeof(cfg));
	if (repo_open(&repo, opt->repo_path, d) < 0 ||
	    repo_read(&src, repo, opt->snapshot, opt->ref, prefixes,
		      sizeof(prefixes) / sizeof(*prefixes), d) < 0 || load_config(&cfg, &src, d) < 0)
		goto out;
	/*
	 * The content's warnings are the build's and check's to say, and were said by the build that
	 * made the site: here they would only say it again. Its errors still stop the pings.
	 */
	d->quiet = 1;
	built = model_build(&model, &cfg, &src, d);
	d->quiet = quiet;
	if (built < 0 || d->errors)
		goto out;
	if (opt->out_dir)
		buf_puts(&dir, opt->out_dir);
	else
		buf_printf(&dir, "%ssite", repo_root(repo));
	rc = ping_now(model, &cfg, dir.ptr, repo, opt, d);
out:
	buf_release(&dir);
	json_decref(model);
	config_release(&cfg);
	source_set_release(&src);
	repo_free(repo);
	return rc;
}

/* A function of each library that shapes the output, to find the file it was loaded from. */
static const char *const library_symbols[] = { "cmark_version_string", "xmlCheckVersion",
					       "yaml_get_version_string", "jansson_version_str" };

/*
 * Appends what a cached result depends on: this very binary (its version and its file's inode,
 * size and times, so a rebuilt program never trusts an older one's results), the libraries that shape the output, by
 * version and by file (an upgraded libcmark may write other HTML: the binary's file does not
 * change, so its stat cannot tell, and a distribution's patched build keeps the version) and the
 * tree ids of `prefixes` in the commit built. -1 when there is none (a preview, or an unknown
 * ref: the full build then reports that once, in its own words).
 */
static int
binary_and_trees(struct buf *out, struct repo *repo, const struct build_options *opt,
		 const char *const *prefixes, size_t nprefixes)
{
	struct diag quiet;
	char *mem;
	size_t memlen;
	int rc;

	if (opt->snapshot != REPO_SNAPSHOT_COMMIT ||
	    buf_printf(out, "threatfeed %s", THREATFEED_VERSION) < 0 ||
	    file_identity(out, "/proc/self/exe") < 0 || buf_putc(out, '\n') < 0)
		return -1;
	diag_init_memory(&quiet, &mem, &memlen, 1);
	buf_printf(out, "cmark %s libxml2 %s libyaml %s jansson %s\n", markdown_library_version(),
		   xmlout_library_version(), frontmatter_library_version(), jansson_version_str());
	buf_puts(out, "files");
	for (size_t i = 0; i < sizeof(library_symbols) / sizeof(*library_symbols); i++)
		library_file_identity(out, library_symbols[i]);
	buf_putc(out, '\n');
	rc = repo_tree_ids(out, repo, opt->ref, prefixes, nprefixes, &quiet);
	fclose(quiet.out);
	free(mem);
	return rc;
}

/*
 * The cache key of a commit build (cache.h): the binary, the tree ids of everything the build
 * reads, and the real path of the site folder. -1 when there is none, as above, or when the site
 * folder does not exist yet.
 */
static int
cache_key(struct buf *key, struct repo *repo, const struct build_options *opt, const char *dir,
	  const char *const *prefixes, size_t nprefixes)
{
	char *real = realpath(dir, NULL);
	int rc = -1;

	if (real && !strchr(real, '\n') && binary_and_trees(key, repo, opt, prefixes, nprefixes) == 0)
		rc = buf_printf(key, "site %s\n", real);
	free(real);
	return rc;
}

/*
 * What a page depends on beyond the model: this binary (which renders it) and the tree of
 * templates/ (the built-in templates are part of the binary). -1 when unknown: no page is skipped.
 */
static int
render_seed(struct buf *seed, struct repo *repo, const struct build_options *opt)
{
	static const char *const prefixes[] = { TEMPLATES_DIR };

	return binary_and_trees(seed, repo, opt, prefixes, 1);
}

/* Announcements read afresh before the entries cache is rewritten (see build_run). */
#define ENTRIES_SLACK 32

/* The announcements a build may take from the entries cache instead of reading them. */
struct entries_memo {
	struct cache_entries *cache;
	struct buf fresh;          /* records of this build (cache_entries_add) */
	atomic_size_t reads;       /* files read, by any thread */
	int rewrite;               /* memo_want: the cache is rewritten with this build's records */
	struct repo *repo;
	struct source_set *src;
	pthread_mutex_t repo_lock;   /* the main repository object's, for threads without their own */
	pthread_key_t thread_repo;   /* another thread's own repository object (memo_read) */
	int have_thread_repo;
	pthread_t main_thread;
	char (*keys)[41];            /* each ENTRY's key (model_memo), in "entries" order */
	size_t nkeys, capkeys;
	int html_fd;                 /* the HTML kept between the passes (memo_keep_html), or -1 */
	atomic_uint_least64_t html_end;
	uint64_t html_max;           /* how big that file may grow */
	atomic_int html_failed;      /* a write failed: no more are tried */
	struct html_span *spans;     /* per source file, by its index in src */
	pthread_key_t html_thread;   /* each loading thread's html_batch */
	int have_html_thread;
	pthread_mutex_t html_lock;   /* for html_batches */
	struct html_batch *html_batches;
};

/* Where an announcement's HTML is in html_fd, when ok; before that, off is within its batch. */
struct html_span {
	uint64_t off;
	size_t len;
	int ok;
};

/*
 * A loading thread's HTML, gathered and written in whole blocks. Writing each announcement's
 * HTML alone made the file system clear every block it began part of, and made the threads wait
 * on each other for the file: in the profile, nearly a tenth of a cold build's CPU time.
 */
struct html_batch {
	char *data;                /* HTML_BATCH bytes */
	size_t len;
	size_t *files;             /* the source files whose HTML is in data, by index */
	size_t nfiles, capfiles;
	struct html_batch *next;   /* every thread's, for html_flush */
};

#define HTML_BLOCK ((size_t)4096)
#define HTML_BATCH (32 * HTML_BLOCK)

/*
 * At most this much HTML is kept (10,000 announcements make 25 MB); the rest is read again. It
 * keeps offsets within a 32-bit off_t, and a disk nearly full for the site from being filled.
 */
#define HTML_SPILL_MAX ((uint64_t)1 << 30)

/* How big the file may grow: HTML_SPILL_MAX, or less under a file size limit, which would kill. */
static uint64_t
html_spill_max(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)limit.rlim_cur < HTML_SPILL_MAX)
		return (uint64_t)limit.rlim_cur;
	return HTML_SPILL_MAX;
}

/*
 * The HTML the loading threads make of each announcement they read goes to an unlinked file in
 * the Git folder, and the entry pages and feeds read it back from there: without it each body
 * was inflated and rendered from Markdown a second time, a fifth of a cold build's CPU, and
 * keeping it in memory would hold every body of a big site at once. The file's pages are in the
 * kernel's cache, which can write them out; it is closed, and so freed unwritten, before the
 * site is synced. Any failure only means reading the blob again.
 */
static int
open_html_spill(const char *git_dir)
{
	struct buf dir = BUF_INIT;
	int fd;

	buf_printf(&dir, "%sthreatfeed", git_dir);
	if (!dir.ptr)
		return -1;
	fd = open(dir.ptr, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && buf_puts(&dir, "/html.tmp-XXXXXX") == 0) {
		fd = mkostemp(dir.ptr, O_CLOEXEC);
		if (fd >= 0)
			unlink(dir.ptr);
	}
	buf_release(&dir);
	return fd;
}

/* len rounded up to whole blocks. */
static size_t
whole_blocks(size_t len)
{
	return (len + HTML_BLOCK - 1) / HTML_BLOCK * HTML_BLOCK;
}

/* Where len more bytes of HTML may go in html_fd, block-aligned; UINT64_MAX when nowhere. */
static uint64_t
html_reserve(struct entries_memo *m, size_t len)
{
	uint64_t blocks = whole_blocks(len);
	uint64_t off = atomic_fetch_add(&m->html_end, blocks);

	return off + blocks > m->html_max ? UINT64_MAX : off;
}

static int
html_write(struct entries_memo *m, const char *bytes, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(m->html_fd, bytes + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A full disk stays full: the other announcements do not try again. */
			atomic_store(&m->html_failed, 1);
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Writes b out, in whole blocks, and tells where each of its files' HTML went; empties b. */
static void
html_batch_write(struct entries_memo *m, struct html_batch *b)
{
	size_t padded = whole_blocks(b->len), i;
	uint64_t off;

	if (!b->len)
		return;
	memset(b->data + b->len, 0, padded - b->len);
	off = atomic_load(&m->html_failed) ? UINT64_MAX : html_reserve(m, padded);
	if (off != UINT64_MAX && html_write(m, b->data, padded, off) == 0) {
		for (i = 0; i < b->nfiles; i++) {
			m->spans[b->files[i]].off += off;
			m->spans[b->files[i]].ok = 1;
		}
	}
	b->len = 0;
	b->nfiles = 0;
}

/* The calling thread's batch, made on its first use; NULL without one. */
static struct html_batch *
own_html_batch(struct entries_memo *m)
{
	struct html_batch *b;

	if (!m->have_html_thread)
		return NULL;
	b = pthread_getspecific(m->html_thread);
	if (b)
		return b;
	b = xcalloc(1, sizeof(*b));
	b->data = xreallocarray(NULL, 1, HTML_BATCH);
	if (pthread_setspecific(m->html_thread, b) != 0) {
		free(b->data);
		free(b);
		return NULL;
	}
	pthread_mutex_lock(&m->html_lock);
	b->next = m->html_batches;
	m->html_batches = b;
	pthread_mutex_unlock(&m->html_lock);
	return b;
}

static void
memo_keep_html(void *arg, const struct source_file *f, const char *html, size_t len)
{
	struct entries_memo *m = arg;
	size_t index = (size_t)(f - m->src->files);
	struct html_span *span = &m->spans[index];
	struct html_batch *b;
	uint64_t off;

	if (atomic_load(&m->html_failed))
		return;
	b = len <= HTML_BATCH ? own_html_batch(m) : NULL;
	if (!b) {
		/* Too big for a batch, or no batch could be made: written alone. */
		if ((off = html_reserve(m, len)) == UINT64_MAX || html_write(m, html, len, off) < 0)
			return;
		span->off = off;
		span->len = len;
		span->ok = 1;
		return;
	}
	if (b->len + len > HTML_BATCH)
		html_batch_write(m, b);
	if (b->nfiles == b->capfiles) {
		b->capfiles = b->capfiles ? 2 * b->capfiles : 64;
		b->files = xreallocarray(b->files, b->capfiles, sizeof(*b->files));
	}
	b->files[b->nfiles++] = index;
	memcpy(b->data + b->len, html, len);
	span->off = b->len;
	span->len = len;
	b->len += len;
}

/* Once the loading threads are done: writes what their batches hold, and frees them. */
static void
html_flush(struct entries_memo *m)
{
	while (m->html_batches) {
		struct html_batch *b = m->html_batches;

		m->html_batches = b->next;
		if (m->html_fd >= 0)
			html_batch_write(m, b);
		free(b->data);
		free(b->files);
		free(b);
	}
}

/* Appends f's HTML, read back from where memo_keep_html put it, to out; -1 when there is none. */
static int
kept_html(struct entries_memo *m, const struct source_file *f, struct buf *out)
{
	const struct html_span *span;
	size_t done = 0;

	if (!m->spans || m->html_fd < 0)
		return -1;
	span = &m->spans[f - m->src->files];
	if (!span->ok || buf_grow(out, span->len) < 0)
		return -1;
	while (done < span->len) {
		ssize_t n = pread(m->html_fd, out->ptr + out->len + done, span->len - done,
				  (off_t)(span->off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	out->len += span->len;
	out->ptr[out->len] = '\0';
	return 0;
}

/*
 * Every announcement is left unread by the tree walk: the loading threads take its record from
 * the cache or read it themselves (memo_read), so reading overlaps parsing.
 */
static int
memo_skip(void *arg, const char *path, const char *id)
{
	(void)arg;
	(void)id;
	return strncmp(path, "content/levels/", 15) == 0;
}

static const char *
memo_get(void *arg, const char *id, size_t *len)
{
	return cache_entries_get(((struct entries_memo *)arg)->cache, id, len);
}

static void
memo_entry_key(void *arg, size_t index, const char *key)
{
	struct entries_memo *m = arg;

	if (index >= m->capkeys) {
		size_t cap = m->capkeys ? 2 * m->capkeys : 1024;

		while (cap <= index)
			cap *= 2;
		m->keys = xreallocarray(m->keys, cap, sizeof(*m->keys));
		memset(m->keys + m->capkeys, 0, (cap - m->capkeys) * sizeof(*m->keys));
		m->capkeys = cap;
	}
	if (index >= m->nkeys)
		m->nkeys = index + 1;
	memcpy(m->keys[index], key, sizeof(m->keys[index]));
	m->keys[index][40] = '\0';
}

/* Marks a thread whose own repository object would not open: it shares the main one. */
static char no_thread_repo;

static void
free_thread_repo(void *r)
{
	if (r != &no_thread_repo)
		repo_free(r);
}

/*
 * libgit2 wants one thread at a time on a repository object, but several objects may read one
 * pack at once. Each thread other than the main one reads through its own, opened on its first
 * read and freed when it ends; sharing one behind a lock made the rendering threads wait on each
 * other for a tenth of their time. NULL: use the main one, behind the lock.
 */
static struct repo *
own_repo(struct entries_memo *m)
{
	struct repo *r;
	struct diag quiet;
	char *mem;
	size_t memlen;

	if (!m->have_thread_repo || pthread_equal(pthread_self(), m->main_thread))
		return NULL;
	r = pthread_getspecific(m->thread_repo);
	if (r)
		return r == (void *)&no_thread_repo ? NULL : r;
	diag_init_memory(&quiet, &mem, &memlen, 1);
	if (repo_open_again(&r, m->repo, &quiet) < 0)
		r = NULL;
	fclose(quiet.out);
	free(mem);
	if (pthread_setspecific(m->thread_repo, r ? (void *)r : (void *)&no_thread_repo) != 0) {
		repo_free(r);
		return NULL;
	}
	return r;
}

static int
memo_read(void *arg, struct source_file *f, struct diag *d)
{
	struct entries_memo *m = arg;
	struct repo *own = own_repo(m);
	int rc;

	if (own) {
		rc = repo_load(own, f, d);
	} else {
		pthread_mutex_lock(&m->repo_lock);
		rc = repo_load(m->repo, f, d);
		pthread_mutex_unlock(&m->repo_lock);
	}
	atomic_fetch_add_explicit(&m->reads, 1, memory_order_relaxed);
	return rc;
}

/*
 * Whether to rewrite the entries cache: when it would save real work. A few announcements read
 * afresh cost less than rewriting a record of every one, so a commit or two may pass before it
 * is; records of files gone are harmless until they are most of it.
 */
static int
memo_want(void *arg, size_t records)
{
	struct entries_memo *m = arg;
	size_t fresh = atomic_load(&m->reads), hits = records > fresh ? records - fresh : 0;

	m->rewrite = (fresh && (fresh > ENTRIES_SLACK || fresh * 64 > hits)) ||
		     2 * hits < cache_entries_count(m->cache);
	return m->rewrite;
}

static void
memo_put(void *arg, const char *id, const char *rec, size_t len)
{
	cache_entries_add(&((struct entries_memo *)arg)->fresh, id, rec, len);
}

/* Reads an unread announcement when its page or a feed shows its body (render.h). */
static int
memo_need(void *arg, json_t *entry, struct diag *d)
{
	struct entries_memo *m = arg;
	const char *path = model_str(entry, "source");
	struct source_file *f;
	struct buf html = BUF_INIT;
	int rc;

	if (json_object_get(entry, "content_html"))
		return 0;
	f = path ? (struct source_file *)source_set_find(m->src, path) : NULL;
	if (!f)
		return diag_error(d, path, 0, 0, "cannot find the source of an announcement");
	if (kept_html(m, f, &html) == 0) {
		rc = model_entry_set_html(entry, html.ptr);
		buf_release(&html);
		return rc;
	}
	if (memo_read(m, f, d) < 0)
		return -1;
	rc = model_entry_content(entry, f, d);
	/* Only this entry needed the bytes: drop them at once. */
	free(f->data);
	f->data = NULL;
	f->unread = 1;
	return rc;
}

/*
 * The HTML of an unread announcement for its own page, from a rendering thread: each entry's
 * source is its page's alone, so no other thread touches f.
 */
static int
memo_html(void *arg, const json_t *entry, struct buf *out, struct diag *d)
{
	struct entries_memo *m = arg;
	const char *path = model_str(entry, "source");
	struct source_file *f;
	int rc;

	f = path ? (struct source_file *)source_set_find(m->src, path) : NULL;
	if (!f)
		return diag_error(d, path, 0, 0, "cannot find the source of an announcement");
	if (kept_html(m, f, out) == 0)
		return 0;
	rc = memo_read(m, f, d);
	if (rc == 0)
		rc = model_entry_html(out, f, d);
	free(f->data);
	f->data = NULL;
	f->unread = 1;
	return rc;
}

/* The key of the entries cache: this binary and the settings, which validation depends on. */
static int
entries_digest(struct buf *out, struct repo *repo, const struct build_options *opt)
{
	static const char *const prefixes[] = { SETTINGS_FILE };

	return binary_and_trees(out, repo, opt, prefixes, 1);
}

int
build_run(const struct build_options *opt, struct diag *d)
{
	static const char *const prefixes[] = { SETTINGS_FILE, "content/", TEMPLATES_DIR };
	struct repo *repo = NULL;
	struct source_set src = { NULL, 0, "", 0 };
	struct config cfg;
	int have_config = 0, unreadable_config;
	struct template_set *templates = template_set_new();
	json_t *model = NULL;
	struct output *out = NULL;
	struct output_stats stats = { 0, 0, 0, 0 };
	struct buf dir = BUF_INIT, key = BUF_INIT, seed = BUF_INIT, tmplist = BUF_INIT;
	struct render_memo memo = { NULL, NULL, NULL, NULL, NULL, NULL, 0, "" };
	struct cache_pages *pages = NULL;
	struct entries_memo em = { .fresh = BUF_INIT, .repo_lock = PTHREAD_MUTEX_INITIALIZER,
				   .html_lock = PTHREAD_MUTEX_INITIALIZER, .html_fd = -1 };
	struct model_memo mm = { memo_get, memo_want, memo_put, memo_read, NULL, memo_entry_key,
				 &em };
	struct buf edigest = BUF_INIT;
	int use_memo;
	size_t warnings_before = d->warnings;
	int lock = -1, rc = -1, use_cache;
	size_t leftovers;
	struct build_options pinned;
	char commit_id[41];
	int64_t made_at = 0;

	arena_begin();
	if (repo_open(&repo, opt->repo_path, d) < 0)
		goto out;
	/* Before the ref is resolved: the last writer to get the lock reads the newest tip. */
	if (opt->write && !opt->dump_model && (lock = take_build_lock(repo, d)) < 0)
		goto out;
	/*
	 * With the lock, temporary files found are a killed build's: those it listed in the site,
	 * and the caches' own, cleared first of all.
	 */
	if (lock >= 0) {
		buf_printf(&tmplist, "%s%s", repo_git_dir(repo), TEMP_LIST_FILE);
		output_remove_listed_temporaries(tmplist.ptr, opt->verbose ? stdout : NULL);
		leftovers = cache_remove_leftovers(repo_git_dir(repo));
		if (leftovers && opt->verbose)
			printf("cleared %zu temporary files in %s%s (left by a build that did not "
			       "finish)\n", leftovers, repo_git_dir(repo), CACHE_DIR);
	}
	/*
	 * Resolved once, here: the cache key, the settings' and templates' ids and the content are
	 * all read from this commit even if the branch moves meanwhile, else a site built from the
	 * next commit could be recorded under this one's key. A ref that names no commit is left
	 * as it is, for the build to report in its own words.
	 */
	pinned = *opt;
	if (opt->snapshot == REPO_SNAPSHOT_COMMIT &&
	    repo_commit_id(repo, opt->ref, commit_id, &made_at) == 0)
		pinned.ref = commit_id;
	opt = &pinned;
	if (opt->out_dir)
		buf_puts(&dir, opt->out_dir);
	else
		buf_printf(&dir, "%ssite", repo_root(repo));
	/*
	 * The same commit built into an untouched site would write nothing: a few stat calls say so
	 * without reading a blob. A ping needs the model, so it always takes the full build.
	 */
	use_cache = opt->write && !opt->dump_model && !opt->ping &&
		    cache_key(&key, repo, opt, dir.ptr, prefixes, sizeof(prefixes) / sizeof(*prefixes)) == 0;
	if (use_cache) {
		size_t nfiles = 0;

		if (cache_site_is_current(repo_git_dir(repo), key.ptr, made_at, dir.ptr, &nfiles)) {
			if (!opt->quiet)
				printf("%s: %zu files, 0 written, %zu unchanged, 0 removed\n", dir.ptr,
				       nfiles, nfiles);
			rc = 0;
			goto out;
		}
	}
	/*
	 * A build that writes a commit takes the announcements it loaded cleanly before from the
	 * entries cache, unread; --dump-model and pings want every entry whole.
	 */
	use_memo = opt->write && !opt->dump_model && !opt->ping &&
		   entries_digest(&edigest, repo, opt) == 0;
	if (use_memo) {
		em.cache = cache_entries_load(repo_git_dir(repo), edigest.ptr);
		em.repo = repo;
		em.src = &src;
		em.main_thread = pthread_self();
		em.have_thread_repo = pthread_key_create(&em.thread_repo, free_thread_repo) == 0;
	}
	if (repo_read_skipping(&src, repo, opt->snapshot, opt->ref, prefixes,
			       sizeof(prefixes) / sizeof(*prefixes), use_memo ? memo_skip : NULL, &em,
			       d) < 0)
		goto out;
	if (use_memo && src.count && (em.html_fd = open_html_spill(repo_git_dir(repo))) >= 0) {
		em.html_max = html_spill_max();
		em.spans = xcalloc(src.count, sizeof(*em.spans));
		em.have_html_thread = pthread_key_create(&em.html_thread, NULL) == 0;
		mm.keep_html = memo_keep_html;
	}
	/*
	 * Settings with errors still tell which levels and scopes exist, so the content is checked
	 * too and every problem is reported in one run; nothing is written (d->errors is set).
	 * Settings that could not be read at all tell nothing, but the templates need none of them.
	 */
	unreadable_config = load_config(&cfg, &src, d) < 0 && !cfg.url;
	load_templates(templates, &src, d);
	if (unreadable_config)
		goto out;
	have_config = 1;
	if (model_build_memo(&model, &cfg, &src, use_memo ? &mm : NULL, d) < 0 || d->errors)
		goto out;
	html_flush(&em);
	if (use_memo && em.rewrite)
		cache_entries_record(repo_git_dir(repo), edigest.ptr, &em.fresh);
	buf_release(&em.fresh);
	if (opt->dump_model) {
		json_t *flat = model_flat(model);
		int failed = json_dumpf(flat, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
			     fputc('\n', stdout) == EOF;

		json_decref(flat);
		if (failed) {
			diag_error(d, NULL, 0, 0, "cannot write the model to standard output");
			goto out;
		}
		rc = 0;
		goto out;
	}

	out = output_new(dir.ptr);
	if (opt->verbose)
		output_set_log(out, stdout);
	if (lock >= 0)
		output_track_temporaries(out, tmplist.ptr);
	/* Pages go to disk as they are rendered: a big site is never held in memory whole. */
	if (opt->write)
		output_spill(out, d);
	/* Skipping pages is for builds that write a commit; a preview renders everything. */
	if (opt->write && render_seed(&seed, repo, opt) == 0) {
		pages = cache_pages_load(repo_git_dir(repo), dir.ptr);
		memo.seed = seed.ptr;
		memo.pages = pages;
	}
	/* Entries taken from the cache get their HTML when something shows it. */
	if (use_memo) {
		const struct source_file *settings = source_set_find(&src, SETTINGS_FILE);

		memo.need = memo_need;
		memo.html = memo_html;
		memo.arg = &em;
		memo.keys = (const char (*)[41])em.keys;
		memo.nkeys = em.nkeys;
		memo.settings_id = settings ? settings->id : "";
	}
	if (render_site_memo(out, model, templates, memo.seed || memo.need ? &memo : NULL, d) < 0 ||
	    d->errors)
		goto out;
	if (!opt->write) {
		rc = 0;
		goto out;
	}
	/* Read back for the last time: closed, its pages are freed, never written by the sync. */
	if (em.html_fd >= 0)
		close(em.html_fd);
	em.html_fd = -1;
	if (output_commit(out, &stats, d) < 0) {
		/* What was replaced or removed stays: no message may say that nothing was written. */
		if (stats.written || stats.removed)
			rc = BUILD_PARTLY_WRITTEN;
		goto out;
	}
	if (memo.seed)
		cache_pages_record(repo_git_dir(repo), dir.ptr, out, pages);
	/* The default folder is in the work tree: an editor's `git add -A` must not commit it. */
	if (!opt->out_dir && stats.written)
		repo_exclude_folder(repo, "site/");
	/*
	 * Only a build that said nothing is remembered: a shortcut must not swallow warnings. The
	 * key is made again when the site folder was created by this build.
	 */
	if (d->warnings == warnings_before && !opt->ping && opt->snapshot == REPO_SNAPSHOT_COMMIT) {
		if (!use_cache) {
			buf_reset(&key);
			use_cache = cache_key(&key, repo, opt, dir.ptr, prefixes,
					      sizeof(prefixes) / sizeof(*prefixes)) == 0;
		}
		if (use_cache)
			cache_record(repo_git_dir(repo), key.ptr, made_at, dir.ptr, out, pages);
	}
	if (!opt->quiet)
		printf("%s: %zu files, %zu written, %zu unchanged, %zu removed\n", dir.ptr, stats.staged,
		       stats.written, stats.unchanged, stats.removed);
	rc = 0;
	if (opt->ping) {
		/* The files are in place; a slow endpoint must not hold up the next build. */
		if (lock >= 0)
			close(lock);
		lock = -1;
		ping_now(model, &cfg, dir.ptr, repo, opt, d);
	}
out:
	buf_release(&dir);
	buf_release(&key);
	buf_release(&seed);
	buf_release(&tmplist);
	buf_release(&edigest);
	buf_release(&em.fresh);
	cache_entries_free(em.cache);
	free(em.keys);
	if (em.html_fd >= 0)
		close(em.html_fd);
	em.html_fd = -1;
	/* Frees the batches a build that stopped early left, writing nothing. */
	html_flush(&em);
	if (em.have_html_thread)
		pthread_key_delete(em.html_thread);
	free(em.spans);
	/* The threads that read have ended, each freeing its repository object. */
	if (em.have_thread_repo)
		pthread_key_delete(em.thread_repo);
	cache_pages_free(pages);
	output_free(out);
	/* No json_decref(model): its every byte is in the arena, released here in a few calls. */
	arena_end();
	template_set_free(templates);
	if (have_config)
		config_release(&cfg);
	source_set_release(&src);
	repo_free(repo);
	if (lock >= 0)
		close(lock);
	return rc;
}
