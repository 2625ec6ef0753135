/*
 * For the shims that stand in for another libcmark (cmark-upgrade.c, cmark-patched.c): their
 * cmark_render_html writes tag names in capitals, still valid HTML, as another build might. Each
 * shim finds the real one with find_next in its constructor.
 */
#include <dlfcn.h>
#include <string.h>

#include <cmark.h>

typedef char *(*render_fn)(cmark_node *, int);

static render_fn real_render_html;

/* Sets *fn to the next definition of name. POSIX lets a function pointer pass through void *. */
static void
find_next(void *fn, const char *name)
{
	void *sym = dlsym(RTLD_NEXT, name);

	memcpy(fn, &sym, sizeof(sym));
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
