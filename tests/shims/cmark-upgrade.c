/*
 * Preloaded by tests/preload.sh: stands in for an upgraded libcmark. It reports another version
 * and writes its HTML differently (cmark-capitals.h), as a new release might; nothing about the
 * installed threatfeed binary changes.
 */
#include "cmark-capitals.h"

__attribute__((constructor)) static void
find_real(void)
{
	find_next(&real_render_html, "cmark_render_html");
}

const char *
cmark_version_string(void)
{
	return "99.0.0";
}
