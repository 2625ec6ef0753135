/*
 * Preloaded by tests/preload.sh: a disk that is full for the file in which a build keeps the
 * HTML of the announcements it reads (src/build.c, memo_keep_html), the only file it writes with
 * pwrite(). The build must read those announcements again instead, and write the same site.
 */
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

#include "refusals.h"

ssize_t
pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	(void)fd;
	(void)buf;
	(void)count;
	(void)offset;
	shim_refuse();
	errno = ENOSPC;
	return -1;
}

/* The same function under its large-file name (off64_t is off_t on 64-bit Linux). */
ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) __attribute__((alias("pwrite")));
