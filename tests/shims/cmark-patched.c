/*
 * Preloaded by tests/preload.sh: stands in for a libcmark patched without a new version, as a
 * distribution's security fix is. It reports the installed library's version but writes its HTML
 * differently (cmark-capitals.h); it is another file, as the patched library would be, and the
 * threatfeed binary stays the same.
 */
#include "cmark-capitals.h"

typedef const char *(*version_fn)(void);

static version_fn real_version_string;

__attribute__((constructor)) static void
find_real(void)
{
	find_next(&real_render_html, "cmark_render_html");
	find_next(&real_version_string, "cmark_version_string");
}

const char *
cmark_version_string(void)
{
	return real_version_string();
}
