/*
 * Preloaded by tests/preload.sh: stands in for an upgraded libcmark. It reports another version
 * and writes its HTML differently (tag names in capitals, still valid HTML), as a new release
 * might; nothing about the installed threatfeed binary changes.
 */
#include <dlfcn.h>
#include <string.h>

#include <cmark.h>

typedef char *(*render_fn)(cmark_node *, int);

static render_fn real_render_html;

__attribute__((constructor)) static void
find_real(void)
{
	/* POSIX lets a function pointer pass through void *; ISO C does not say so. */
	void *sym = dlsym(RTLD_NEXT, "cmark_render_html");

	memcpy(&real_render_html, &sym, sizeof(real_render_html));
}

const char *
cmark_version_string(void)
{
	return "99.0.0";
}

/*
 * Changed in place: the caller frees the HTML with the allocator cmark took it from, which only
 * the real cmark_render_html knows.
 */
char *
cmark_render_html(cmark_node *root, int options)
{
	char *html = real_render_html(root, options);

	for (char *p = html; (p = strchr(p, '<')); ) {
		p += p[1] == '/' ? 2 : 1;
		for (; *p >= 'a' && *p <= 'z'; p++)
			*p = (char)(*p - 'a' + 'A');
	}
	return html;
}
