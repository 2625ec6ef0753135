/*
 * Preloaded by tests/preload.sh: a disk that fills up part way through writing a site. The
 * hundredth file made in an announcement's folder cannot be created (ENOSPC), by then both
 * writer threads have made folders (src/output.c, SPILL_LANES), some inside folders the other
 * made. The build must fail and take away every folder it made.
 */
#include <string.h>

#include "open-refusal.h"
#include "refusals.h"

#define FAIL_AT 100

static int
open_refusal(const char *path, int flags)
{
	static atomic_uint made;

	if (!(flags & O_CREAT) || !strstr(path, "/2001/"))
		return 0;
	if (atomic_fetch_add(&made, 1) + 1 != FAIL_AT)
		return 0;
	shim_refuse();
	return ENOSPC;
}
