/*
 * cache: the last successful build's key and the state of the site it left (see cache.h).
 *
 * The file, all text:
 *   threatfeed build cache 1\n
 *   <key length>\n<key bytes>\n
 *   <number of files>\n
 *   <inode> <size> <mtime s> <mtime ns> <ctime s> <ctime ns> <path>\n   one per site file
 *   sum <FNV-1a 64 of every byte above, hex>\n
 * The sum catches a truncated or damaged file; the stat fields catch a site changed behind our
 * back (ctime cannot be set by hand, so `touch -r` after an edit is caught too).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"

#define MAGIC "threatfeed build cache 1\n"

static uint64_t
fnv1a(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211u;
	}
	return h;
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

static void
cache_path(struct buf *b, const char *git_dir, int with_file)
{
	buf_printf(b, "%s%s%s", git_dir, CACHE_DIR, with_file ? CACHE_FILE : "");
}

int
cache_site_is_current(const char *git_dir, const char *key, const char *site_dir, size_t *nfiles)
{
	struct buf path = BUF_INIT;
	char *data = NULL;
	const char *p, *end, *sum;
	size_t len = 0, keylen = strlen(key);
	uint64_t klen, count, want;
	int dirfd = -1, rc = 0;

	cache_path(&path, git_dir, 1);
	if (!path.ptr || !(data = slurp(path.ptr, &len)))
		goto out;
	end = data + len;
	/* The sum line is last: "sum " + 16 hex digits + "\n", 21 bytes. */
	if (len < sizeof(MAGIC) - 1 + 21 || memcmp(data, MAGIC, sizeof(MAGIC) - 1) != 0)
		goto out;
	sum = end - 21;
	if (memcmp(sum, "sum ", 4) != 0 || memchr(sum + 4, '\n', 17) != end - 1)
		goto out;
	{
		char hex[17];
		char *stop;

		memcpy(hex, sum + 4, 16);
		hex[16] = '\0';
		want = strtoull(hex, &stop, 16);
		if (*stop || want != fnv1a(data, (size_t)(sum - data)))
			goto out;
	}
	p = data + sizeof(MAGIC) - 1;
	if (number(&p, sum, '\n', &klen) < 0 || klen != keylen || (size_t)(sum - p) < keylen + 1 ||
	    memcmp(p, key, keylen) != 0 || p[keylen] != '\n')
		goto out;
	p += keylen + 1;
	if (number(&p, sum, '\n', &count) < 0 || count > (uint64_t)len)
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

struct recorder {
	int dirfd;
	struct buf *out;
};

static int
record_one(void *arg, const char *rel)
{
	struct recorder *r = arg;
	struct stat st;

	if (strchr(rel, '\n') || fstatat(r->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	return buf_printf(r->out, "%ju %jd %jd %ld %jd %ld %s\n", (uintmax_t)st.st_ino,
			  (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			  (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, rel) < 0 ? -1 : 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

void
cache_record(const char *git_dir, const char *key, const char *site_dir, const struct output *o)
{
	struct buf data = BUF_INIT, files = BUF_INIT, dir = BUF_INIT, tmp = BUF_INIT, path = BUF_INIT;
	struct recorder r = { -1, &files };
	size_t count = 0;
	int fd = -1;

	r.dirfd = open(site_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.dirfd < 0)
		goto out;
	if (output_foreach(o, record_one, &r) != 0 || record_one(&r, OUTPUT_MANIFEST) != 0)
		goto out;
	for (size_t i = 0; i < files.len; i++)
		count += files.ptr[i] == '\n';
	if (buf_puts(&data, MAGIC) < 0 || buf_printf(&data, "%zu\n%s\n%zu\n", strlen(key), key, count) < 0 ||
	    buf_add(&data, files.ptr, files.len) < 0 ||
	    buf_printf(&data, "sum %016" PRIx64 "\n", fnv1a(data.ptr, data.len)) < 0)
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
	if (write_all(fd, data.ptr, data.len) < 0)
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
