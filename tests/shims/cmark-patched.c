/*
 * Preloaded by tests/preload.sh: stands in for a libcmark patched without a new version, as a
 * distribution's security fix is. It reports the installed library's version but writes its HTML
 * differently (tag names in capitals, still valid HTML); it is another file, as the patched
 * library would be, and the threatfeed binary stays the same.
 */
#include <dlfcn.h>
#include <string.h>

#include <cmark.h>

typedef char *(*render_fn)(cmark_node *, int);
typedef const char *(*version_fn)(void);

static render_fn real_render_html;
static version_fn real_version_string;

__attribute__((constructor)) static void
find_real(void)
{
	/* POSIX lets a function pointer pass through void *; ISO C does not say so. */
	void *sym = dlsym(RTLD_NEXT, "cmark_render_html");

	memcpy(&real_render_html, &sym, sizeof(real_render_html));
	sym = dlsym(RTLD_NEXT, "cmark_version_string");
	memcpy(&real_version_string, &sym, sizeof(real_version_string));
}

const char *
cmark_version_string(void)
{
	return real_version_string();
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
