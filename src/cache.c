/*
 * cache: the last successful build's key and the state of the site it left (see cache.h).
 *
 * The file, all text:
 *   threatfeed build cache 3\n
 *   <key length>\n<key bytes>\n
 *   <time of the commit built, seconds since 1970, '-' before it when earlier>\n
 *   <number of files>\n
 *   <inode> <size> <mtime s> <mtime ns> <ctime s> <ctime ns> <path>\n   one per site file
 *   sum <CRC-32 of every byte above, 16 hex digits>\n
 * The sum catches a truncated or damaged file; the stat fields catch a site changed behind our
 * back (ctime cannot be set by hand, so `touch -r` after an edit is caught too).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cache.h"

#define MAGIC "threatfeed build cache 3\n"

/*
 * The sum line's checksum: zlib's CRC-32, which catches a damaged or cut file (no adversary
 * writes the Git folder) at a few times the speed of a byte-at-a-time hash; every build reads
 * and writes megabytes of these files for a big site.
 */
static uint64_t
checksum(const char *p, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	/* crc32 takes a uInt length; CACHE_MAX bounds the files, this loop any length. */
	while (len > 0) {
		uInt n = len > (1u << 30) ? 1u << 30 : (uInt)len;

		crc = crc32(crc, (const Bytef *)p, n);
		p += n;
		len -= n;
	}
	return crc;
}

/*
 * Checks the magic and the sum line, which is last: "sum " + 16 hex digits + "\n", 21 bytes.
 * Returns where the sum line starts, or NULL.
 */
static char *
checked_body(char *data, size_t len, const char *magic)
{
	size_t mlen = strlen(magic);
	char hex[17], *stop, *sum;
	uint64_t want;

	if (len < mlen + 21 || memcmp(data, magic, mlen) != 0)
		return NULL;
	sum = data + len - 21;
	if (memcmp(sum, "sum ", 4) != 0 || memchr(sum + 4, '\n', 17) != data + len - 1)
		return NULL;
	memcpy(hex, sum + 4, 16);
	hex[16] = '\0';
	want = strtoull(hex, &stop, 16);
	if (*stop || want != checksum(data, (size_t)(sum - data)))
		return NULL;
	return sum;
}

/* Reads a whole regular file of at most CACHE_MAX bytes; NULL on any problem. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *data = NULL;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uintmax_t)st.st_size > CACHE_MAX)
		goto fail;
	data = malloc((size_t)st.st_size + 1);
	if (!data)
		goto fail;
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, data + done, (size_t)st.st_size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto fail;
		done += (size_t)r;
	}
	data[done] = '\0';
	close(fd);
	*len = done;
	return data;
fail:
	free(data);
	close(fd);
	return NULL;
}

/* Parses a decimal number ending at `end` char; advances *p past it. -1 when malformed. */
static int
number(const char **p, const char *limit, char end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= limit || *s < '0' || *s > '9')
		return -1;
	for (; s < limit && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s >= limit || *s != end)
		return -1;
	*p = s + 1;
	*out = v;
	return 0;
}

/* A signed decimal number ending at `end`, as number() reads unsigned ones. */
static int
signed_number(const char **p, const char *limit, char end, int64_t *out)
{
	int negative = *p < limit && **p == '-';
	const char *s = *p + negative;
	uint64_t v;

	if (number(&s, limit, end, &v) < 0 || v > (uint64_t)INT64_MAX)
		return -1;
	*p = s;
	*out = negative ? -(int64_t)v : (int64_t)v;
	return 0;
}

static void
cache_path(struct buf *b, const char *git_dir, int with_file)
{
	buf_printf(b, "%s%s%s", git_dir, CACHE_DIR, with_file ? CACHE_FILE : "");
}

int
cache_site_is_current(const char *git_dir, const char *key, int64_t made_at, const char *site_dir,
		      size_t *nfiles)
{
	struct buf path = BUF_INIT;
	char *data = NULL;
	const char *p, *sum;
	size_t len = 0, keylen = strlen(key);
	uint64_t klen, count;
	int64_t recorded_at;
	int dirfd = -1, rc = 0;

	cache_path(&path, git_dir, 1);
	if (!path.ptr || !(data = slurp(path.ptr, &len)))
		goto out;
	if (!(sum = checked_body(data, len, MAGIC)))
		goto out;
	p = data + sizeof(MAGIC) - 1;
	if (number(&p, sum, '\n', &klen) < 0 || klen != keylen || (size_t)(sum - p) < keylen + 1 ||
	    memcmp(p, key, keylen) != 0 || p[keylen] != '\n')
		goto out;
	p += keylen + 1;
	/* A commit older than the one that said nothing may have a date too far ahead of it. */
	if (signed_number(&p, sum, '\n', &recorded_at) < 0 || made_at < recorded_at ||
	    number(&p, sum, '\n', &count) < 0 || count > (uint64_t)len)
		goto out;
	dirfd = open(site_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		goto out;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t ino, size, ms, mns, cs, cns;
		const char *nl;
		struct stat st;
		char *rel;
		int same;

		if (number(&p, sum, ' ', &ino) < 0 || number(&p, sum, ' ', &size) < 0 ||
		    number(&p, sum, ' ', &ms) < 0 || number(&p, sum, ' ', &mns) < 0 ||
		    number(&p, sum, ' ', &cs) < 0 || number(&p, sum, ' ', &cns) < 0 ||
		    !(nl = memchr(p, '\n', (size_t)(sum - p))) || nl == p)
			goto out;
		rel = xstrndup(p, (size_t)(nl - p));
		p = nl + 1;
		same = rel[0] != '/' && fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		       S_ISREG(st.st_mode) && (uint64_t)st.st_ino == ino &&
		       (uint64_t)st.st_size == size && (uint64_t)st.st_mtim.tv_sec == ms &&
		       (uint64_t)st.st_mtim.tv_nsec == mns && (uint64_t)st.st_ctim.tv_sec == cs &&
		       (uint64_t)st.st_ctim.tv_nsec == cns;
		free(rel);
		if (!same)
			goto out;
	}
	if (p != sum || count == 0)
		goto out;
	/* The manifest is listed too, but it is not a site file. */
	*nfiles = (size_t)count - 1;
	rc = 1;
out:
	if (dirfd >= 0)
		close(dirfd);
	free(data);
	buf_release(&path);
	return rc;
}

struct cache_pages;
static int known_stat(const struct cache_pages *c, const char *rel, struct stat *st);

/* n in decimal and then end: a cache of 10,000 lines is written faster than printf would. */
static int
put_number(struct buf *out, uint64_t n, char end)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	tmp[--i] = end;
	do
		tmp[--i] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	return buf_add(out, tmp + i, sizeof(tmp) - i);
}

/* "<inode> <size> <mtime s> <mtime ns> <ctime s> <ctime ns> <path>\n"; times are never negative here. */
static int
put_stat(struct buf *out, const struct stat *st, const char *rel)
{
	if (st->st_size < 0 || st->st_mtim.tv_sec < 0 || st->st_ctim.tv_sec < 0 ||
	    put_number(out, (uint64_t)st->st_ino, ' ') < 0 ||
	    put_number(out, (uint64_t)st->st_size, ' ') < 0 ||
	    put_number(out, (uint64_t)st->st_mtim.tv_sec, ' ') < 0 ||
	    put_number(out, (uint64_t)st->st_mtim.tv_nsec, ' ') < 0 ||
	    put_number(out, (uint64_t)st->st_ctim.tv_sec, ' ') < 0 ||
	    put_number(out, (uint64_t)st->st_ctim.tv_nsec, ' ') < 0 || buf_puts(out, rel) < 0)
		return -1;
	return buf_putc(out, '\n');
}

struct recorder {
	int dirfd;
	struct buf *out;
	const struct cache_pages *known;
	const struct output *o;
};

/*
 * A file's state now: the commit's when it wrote the file into a site built whole, the pages
 * cache's when it checked the file in this build, else stat's (a cold build of 10,000 pages
 * would otherwise stat each twice, after the syncfs, with both cores idle).
 */
static int
site_stat(int dirfd, const struct output *o, const struct cache_pages *known, const char *rel,
	  struct stat *st)
{
	struct output_file_state state;

	if (output_file_state(o, rel, &state) == 0) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG;
		st->st_ino = (ino_t)state.ino;
		st->st_size = (off_t)state.size;
		st->st_mtim = state.mtime;
		st->st_ctim = state.ctime;
		return 0;
	}
	if (known && known_stat(known, rel, st) == 0)
		return 0;
	if (fstatat(dirfd, rel, st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st->st_mode))
		return -1;
	return 0;
}

static int
record_one(void *arg, const char *rel)
{
	struct recorder *r = arg;
	struct stat st;

	if (strchr(rel, '\n') || site_stat(r->dirfd, r->o, r->known, rel, &st) < 0)
		return -1;
	return put_stat(r->out, &st, rel);
}

void
cache_record(const char *git_dir, const char *key, int64_t made_at, const char *site_dir,
	     const struct output *o, const struct cache_pages *known)
{
	struct buf data = BUF_INIT, files = BUF_INIT, dir = BUF_INIT, tmp = BUF_INIT, path = BUF_INIT;
	struct recorder r = { -1, &files, known, o };
	size_t count = 0;
	int fd = -1;

	r.dirfd = open(site_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.dirfd < 0)
		goto out;
	if (output_foreach(o, record_one, &r) != 0 || (r.known = NULL, record_one(&r, OUTPUT_MANIFEST)) != 0)
		goto out;
	for (size_t i = 0; i < files.len; i++)
		count += files.ptr[i] == '\n';
	if (buf_puts(&data, MAGIC) < 0 ||
	    buf_printf(&data, "%zu\n%s\n%" PRId64 "\n%zu\n", strlen(key), key, made_at, count) < 0 ||
	    buf_add(&data, files.ptr, files.len) < 0 ||
	    buf_printf(&data, "sum %016" PRIx64 "\n", checksum(data.ptr, data.len)) < 0)
		goto out;
	cache_path(&dir, git_dir, 0);
	if (mkdir(dir.ptr, 0755) < 0 && errno != EEXIST)
		goto out;
	buf_printf(&tmp, "%s%s.tmp-XXXXXX", dir.ptr, CACHE_FILE);
	cache_path(&path, git_dir, 1);
	fd = mkostemp(tmp.ptr, O_CLOEXEC);
	if (fd < 0)
		goto out;
	/* No fsync: a cache lost in a crash only makes the next build slower. */
	if (write_full(fd, data.ptr, data.len) < 0)
		goto out;
	if (close(fd) < 0 || rename(tmp.ptr, path.ptr) < 0)
		unlink(tmp.ptr);
	fd = -1;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.ptr);
	}
	if (r.dirfd >= 0)
		close(r.dirfd);
	buf_release(&data);
	buf_release(&files);
	buf_release(&dir);
	buf_release(&tmp);
	buf_release(&path);
}

/*
 * The pages cache, "threatfeed/pages-cache": for each site file a build rendered with a known
 * input digest (output_set_tag), that digest and the file's state right after the build.
 *   threatfeed pages cache 2\n
 *   <site folder's real path>\n
 *   <digest> <inode> <size> <mtime s> <mtime ns> <ctime s> <ctime ns> <path>\n   one per file
 *   sum <CRC-32 of every byte above, 16 hex digits>\n
 */
#define PAGES_MAGIC "threatfeed pages cache 2\n"
#define PAGES_FILE "pages-cache"

struct page_rec {
	const char *path;      /* into data, NUL-terminated in place */
	const char *tag;
	uint64_t ino, size, ms, mns, cs, cns;
	int checked;           /* cache_pages_fresh found the file as recorded in this build */
};

struct cache_pages {
	char *data;
	struct page_rec *recs;
	size_t n;
	int dirfd;
};

static int
compare_recs(const void *a, const void *b)
{
	return strcmp(((const struct page_rec *)a)->path, ((const struct page_rec *)b)->path);
}

struct cache_pages *
cache_pages_load(const char *git_dir, const char *site_dir)
{
	struct cache_pages *c = xcalloc(1, sizeof(*c));
	struct buf path = BUF_INIT;
	char *real = realpath(site_dir, NULL), *p, *sum, *nl;
	size_t len = 0, cap = 0;

	c->dirfd = -1;
	buf_printf(&path, "%s%s%s", git_dir, CACHE_DIR, PAGES_FILE);
	if (!real || !path.ptr || !(c->data = slurp(path.ptr, &len)) ||
	    !(sum = checked_body(c->data, len, PAGES_MAGIC)))
		goto fail;
	p = c->data + strlen(PAGES_MAGIC);
	nl = memchr(p, '\n', (size_t)(sum - p));
	if (!nl || (size_t)(nl - p) != strlen(real) || memcmp(p, real, strlen(real)) != 0)
		goto fail;
	p = nl + 1;
	while (p < sum) {
		struct page_rec r = { 0 };
		char *sp = memchr(p, ' ', (size_t)(sum - p));
		const char *q;

		if (!sp || sp == p)
			goto fail;
		*sp = '\0';
		r.tag = p;
		q = sp + 1;
		if (number(&q, sum, ' ', &r.ino) < 0 || number(&q, sum, ' ', &r.size) < 0 ||
		    number(&q, sum, ' ', &r.ms) < 0 || number(&q, sum, ' ', &r.mns) < 0 ||
		    number(&q, sum, ' ', &r.cs) < 0 || number(&q, sum, ' ', &r.cns) < 0)
			goto fail;
		p = (char *)q;
		nl = memchr(p, '\n', (size_t)(sum - p));
		if (!nl || nl == p || *p == '/')
			goto fail;
		*nl = '\0';
		r.path = p;
		p = nl + 1;
		if (c->n == cap) {
			cap = cap ? 2 * cap : 256;
			c->recs = xreallocarray(c->recs, cap, sizeof(*c->recs));
		}
		c->recs[c->n++] = r;
	}
	/* Recorded after a commit, the pages come sorted: a check costs less than a sort. */
	for (size_t i = 1; i < c->n; i++) {
		if (strcmp(c->recs[i - 1].path, c->recs[i].path) > 0) {
			qsort(c->recs, c->n, sizeof(*c->recs), compare_recs);
			break;
		}
	}
	c->dirfd = open(site_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		goto fail;
	free(real);
	buf_release(&path);
	return c;
fail:
	/* No cache, or one not to trust: every page is rendered and compared. */
	free(c->recs);
	c->recs = NULL;
	c->n = 0;
	free(real);
	buf_release(&path);
	return c;
}

const char *
cache_pages_check(struct cache_pages *c, const char *relpath, struct cache_page **page)
{
	struct page_rec key = { .path = relpath };
	struct page_rec *r;
	struct stat st;

	*page = NULL;
	if (!c || !c->n || c->dirfd < 0)
		return NULL;
	r = bsearch(&key, c->recs, c->n, sizeof(*c->recs), compare_recs);
	if (!r || fstatat(c->dirfd, relpath, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_ino != r->ino || (uint64_t)st.st_size != r->size ||
	    (uint64_t)st.st_mtim.tv_sec != r->ms || (uint64_t)st.st_mtim.tv_nsec != r->mns ||
	    (uint64_t)st.st_ctim.tv_sec != r->cs || (uint64_t)st.st_ctim.tv_nsec != r->cns)
		return NULL;
	*page = (struct cache_page *)r;
	return r->tag;
}

void
cache_pages_keep(struct cache_page *page)
{
	/* A kept file is not touched by the commit: what was just seen stays true for recording. */
	if (page)
		((struct page_rec *)page)->checked = 1;
}

int
cache_pages_fresh(struct cache_pages *c, const char *relpath, const char *tag)
{
	struct cache_page *page;
	const char *known = cache_pages_check(c, relpath, &page);

	if (!known || strcmp(known, tag) != 0)
		return 0;
	cache_pages_keep(page);
	return 1;
}

static int
known_stat(const struct cache_pages *c, const char *rel, struct stat *st)
{
	struct page_rec key = { .path = rel };
	const struct page_rec *r;

	if (!c->n)
		return -1;
	r = bsearch(&key, c->recs, c->n, sizeof(*c->recs), compare_recs);
	if (!r || !r->checked)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG;
	st->st_ino = (ino_t)r->ino;
	st->st_size = (off_t)r->size;
	st->st_mtim.tv_sec = (time_t)r->ms;
	st->st_mtim.tv_nsec = (long)r->mns;
	st->st_ctim.tv_sec = (time_t)r->cs;
	st->st_ctim.tv_nsec = (long)r->cns;
	return 0;
}

void
cache_pages_free(struct cache_pages *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->recs);
	free(c->data);
	free(c);
}

struct pages_recorder {
	int dirfd;
	const struct output *o;
	struct buf *out;
	const struct cache_pages *known;
};

static int
record_page(void *arg, const char *rel)
{
	struct pages_recorder *r = arg;
	const char *tag = output_get_tag(r->o, rel);
	struct stat st;

	if (!tag || strchr(tag, ' ') || strchr(tag, '\n') || strchr(rel, '\n'))
		return 0;
	/* A file that is not there as written is left out: it is rendered next time. */
	if (site_stat(r->dirfd, r->o, r->known, rel, &st) < 0)
		return 0;
	if (buf_puts(r->out, tag) < 0 || buf_putc(r->out, ' ') < 0)
		return -1;
	return put_stat(r->out, &st, rel);
}

/* Whether name is "<something>.tmp-XXXXXX", a temporary file of the cache folder. */
static int
is_leftover_name(const char *name)
{
	size_t len = strlen(name);

	return len > 5 + 6 && memcmp(name + len - 11, ".tmp-", 5) == 0 && is_temp_suffix(name + len - 6);
}

size_t
cache_remove_leftovers(const char *git_dir)
{
	struct buf dir = BUF_INIT;
	struct dirent *e;
	struct stat st;
	size_t removed = 0;
	DIR *folder = NULL;
	int fd;

	buf_printf(&dir, "%s%s", git_dir, CACHE_DIR);
	fd = dir.ptr ? open(dir.ptr, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (fd < 0 || !(folder = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	while ((e = readdir(folder))) {
		if (!is_leftover_name(e->d_name) ||
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		removed += unlinkat(fd, e->d_name, 0) == 0;
	}
	closedir(folder);
out:
	buf_release(&dir);
	return removed;
}

/* Replaces git_dir's cache file `name` with data, atomically; best effort. */
static void
replace_file(const char *git_dir, const char *name, const struct buf *data)
{
	struct buf dir = BUF_INIT, tmp = BUF_INIT, path = BUF_INIT;
	int fd = -1;

	buf_printf(&dir, "%s%s", git_dir, CACHE_DIR);
	if (!dir.ptr || (mkdir(dir.ptr, 0755) < 0 && errno != EEXIST))
		goto out;
	buf_printf(&tmp, "%s%s.tmp-XXXXXX", dir.ptr, name);
	buf_printf(&path, "%s%s", dir.ptr, name);
	if (!tmp.ptr || !path.ptr)
		goto out;
	fd = mkostemp(tmp.ptr, O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (write_full(fd, data->ptr, data->len) < 0) {
		close(fd);
		unlink(tmp.ptr);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp.ptr, path.ptr) < 0)
		unlink(tmp.ptr);
out:
	buf_release(&dir);
	buf_release(&tmp);
	buf_release(&path);
}

void
cache_pages_record(const char *git_dir, const char *site_dir, const struct output *o,
		   const struct cache_pages *known)
{
	struct buf data = BUF_INIT;
	struct pages_recorder r = { -1, o, &data, known };
	char *real = realpath(site_dir, NULL);

	if (!real || strchr(real, '\n'))
		goto out;
	r.dirfd = open(site_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.dirfd < 0 || buf_puts(&data, PAGES_MAGIC) < 0 || buf_printf(&data, "%s\n", real) < 0 ||
	    output_foreach(o, record_page, &r) != 0 ||
	    buf_printf(&data, "sum %016" PRIx64 "\n", checksum(data.ptr, data.len)) < 0)
		goto out;
	replace_file(git_dir, PAGES_FILE, &data);
out:
	if (r.dirfd >= 0)
		close(r.dirfd);
	free(real);
	buf_release(&data);
}

/*
 * The entries cache, "threatfeed/entries-cache": what the model keeps of each announcement that
 * loaded without a message, by blob id, for a given digest of the settings and the binary.
 *   threatfeed entries cache 2\n
 *   <digest length>\n<digest>\n
 *   <blob id> <record length>\n<record bytes>\n   one per announcement, sorted by id
 *   sum <CRC-32 of every byte above, 16 hex digits>\n
 */
#define ENTRIES_MAGIC "threatfeed entries cache 3\n"
#define ENTRIES_FILE "entries-cache"

struct entry_rec {
	const char *id;        /* into data, NUL-terminated in place */
	const char *rec;
	size_t len;
};

/*
 * Records whose ids start with the same four hex digits, [first[p], first[p + 1]): blob ids are
 * spread evenly, so a lookup compares one or two ids where a binary search compared fourteen,
 * twice per announcement in a build.
 */
#define ID_PREFIXES 65536

struct cache_entries {
	char *data;
	struct entry_rec *recs;
	size_t n;
	uint32_t *first;       /* ID_PREFIXES + 1 */
};

static int
compare_entry_recs(const void *a, const void *b)
{
	return strcmp(((const struct entry_rec *)a)->id, ((const struct entry_rec *)b)->id);
}

/* The value of id's first four hex digits (lowercase, as Git writes them), or -1. */
static long
id_prefix(const char *id)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)id[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else
			return -1;
	}
	return v;
}

struct cache_entries *
cache_entries_load(const char *git_dir, const char *digest)
{
	struct cache_entries *c = xcalloc(1, sizeof(*c));
	struct buf path = BUF_INIT;
	size_t len = 0, cap = 0, dlen = strlen(digest);
	const char *p;
	char *sum;
	uint64_t klen;

	buf_printf(&path, "%s%s%s", git_dir, CACHE_DIR, ENTRIES_FILE);
	if (!path.ptr || !(c->data = slurp(path.ptr, &len)) ||
	    !(sum = checked_body(c->data, len, ENTRIES_MAGIC)))
		goto fail;
	p = c->data + strlen(ENTRIES_MAGIC);
	if (number(&p, sum, '\n', &klen) < 0 || klen != dlen || (size_t)(sum - p) < dlen + 1 ||
	    memcmp(p, digest, dlen) != 0 || p[dlen] != '\n')
		goto fail;
	p += dlen + 1;
	while (p < sum) {
		struct entry_rec r;
		uint64_t rlen;

		if ((size_t)(sum - p) < 42 || p[40] != ' ')
			goto fail;
		r.id = p;
		c->data[p + 40 - c->data] = '\0';
		p += 41;
		if (number(&p, sum, '\n', &rlen) < 0 || rlen > (uint64_t)(sum - p) ||
		    (size_t)(sum - p) < rlen + 1 || p[rlen] != '\n')
			goto fail;
		r.rec = p;
		r.len = (size_t)rlen;
		p += rlen + 1;
		if (c->n == cap) {
			cap = cap ? 2 * cap : 256;
			c->recs = xreallocarray(c->recs, cap, sizeof(*c->recs));
		}
		c->recs[c->n++] = r;
	}
	for (size_t i = 1; i < c->n; i++)
		if (strcmp(c->recs[i - 1].id, c->recs[i].id) >= 0)
			goto fail;
	if (c->n > UINT32_MAX)
		goto fail;
	/* Each prefix's count goes one place up; summed, first[p] is where prefix p starts. */
	c->first = xcalloc(ID_PREFIXES + 1, sizeof(*c->first));
	for (size_t r = 0; r < c->n; r++) {
		long p = id_prefix(c->recs[r].id);

		if (p < 0)
			goto fail;
		c->first[p + 1]++;
	}
	for (size_t p = 0; p < ID_PREFIXES; p++)
		c->first[p + 1] += c->first[p];
	buf_release(&path);
	return c;
fail:
	free(c->recs);
	free(c->first);
	c->recs = NULL;
	c->first = NULL;
	c->n = 0;
	buf_release(&path);
	return c;
}

const char *
cache_entries_get(const struct cache_entries *c, const char *id, size_t *len)
{
	long p;

	if (!c || !c->n || (p = id_prefix(id)) < 0)
		return NULL;
	for (uint32_t i = c->first[p]; i < c->first[p + 1]; i++) {
		if (strcmp(c->recs[i].id, id) == 0) {
			*len = c->recs[i].len;
			return c->recs[i].rec;
		}
	}
	return NULL;
}

size_t
cache_entries_count(const struct cache_entries *c)
{
	return c ? c->n : 0;
}

void
cache_entries_free(struct cache_entries *c)
{
	if (!c)
		return;
	free(c->recs);
	free(c->first);
	free(c->data);
	free(c);
}

void
cache_entries_add(struct buf *list, const char *id, const char *rec, size_t len)
{
	if (strlen(id) != 40)
		return;
	buf_printf(list, "%s %zu\n", id, len);
	buf_add(list, rec, len);
	buf_putc(list, '\n');
}

/* The records of list, one per id, sorted. */
static int
sorted_records(struct buf *out, const struct buf *list)
{
	struct entry_rec *recs = NULL;
	size_t n = 0, cap = 0;
	const char *p = list->ptr, *end = list->ptr + list->len;
	int rc = 0;

	while (p && p < end) {
		struct entry_rec r;
		uint64_t rlen;

		r.id = p;
		p += 41;
		if (number(&p, end, '\n', &rlen) < 0) {
			rc = -1;
			break;
		}
		r.rec = p;
		r.len = (size_t)rlen;
		p += rlen + 1;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			recs = xreallocarray(recs, cap, sizeof(*recs));
		}
		recs[n++] = r;
	}
	if (n)
		qsort(recs, n, sizeof(*recs), compare_entry_recs);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i && memcmp(recs[i - 1].id, recs[i].id, 40) == 0)
			continue;
		if (buf_add(out, recs[i].id, 40) < 0 || buf_printf(out, " %zu\n", recs[i].len) < 0 ||
		    buf_add(out, recs[i].rec, recs[i].len) < 0 || buf_putc(out, '\n') < 0)
			rc = -1;
	}
	free(recs);
	return rc;
}

void
cache_entries_record(const char *git_dir, const char *digest, const struct buf *list)
{
	struct buf data = BUF_INIT;

	if (buf_puts(&data, ENTRIES_MAGIC) < 0 ||
	    buf_printf(&data, "%zu\n%s\n", strlen(digest), digest) < 0 ||
	    sorted_records(&data, list) < 0 ||
	    buf_printf(&data, "sum %016" PRIx64 "\n", checksum(data.ptr, data.len)) < 0)
		goto out;
	replace_file(git_dir, ENTRIES_FILE, &data);
out:
	buf_release(&data);
}
