/*
 * template: Mustache templates rendered against jansson values.
 *
 * Written by hand because Debian packages no Mustache engine for C. It follows the Mustache
 * specification (interpolation, sections, inverted sections, comments, partials, set delimiters,
 * standalone lines and partial indentation; no lambdas), and tests/unit/test_template.c runs the
 * specification's own test files. {{name}} HTML-escapes (& < > " '), {{{name}}} and {{& name}} do
 * not. Dotted names and "." work as the specification says. Only JSON false, null, empty arrays
 * and missing names are falsey ("" and 0 are truthy, the spec's rule). Numbers print as integers
 * when whole, reals in their shortest exact form ("1.21"); true and false print as such; null,
 * objects and arrays print nothing.
 *
 * An object may share members with others: an object under its empty key "" (which no tag can
 * name) lends it every member it does not have itself. The site model's entries keep what they
 * have in common with many others there (see model.h); templates see one flat object.
 */
#ifndef THREATFEED_TEMPLATE_H
#define THREATFEED_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

/* A set of named, compiled templates; partials {{> name}} are looked up in the same set. */
struct template_set;

#define TEMPLATE_MAX_DEPTH 64    /* nested sections and partials */
/*
 * Steps one render may take, by default: each tag or piece of text visited and each pass over a
 * section's or partial's body counts one. Depth alone does not bound the work:
 * sections nested over the same long list ("{{#entries}}{{#entries}}...") multiply it, and a
 * build would hang. A history page of 100,000 announcements takes about 2.7 million.
 */
#define TEMPLATE_MAX_STEPS ((unsigned long)1 << 26)

/* Why template_render failed, beyond -1 (a missing template, out of memory). */
#define TEMPLATE_TOO_DEEP (-2)  /* nested deeper than TEMPLATE_MAX_DEPTH */
#define TEMPLATE_TOO_LONG (-3)  /* more steps than the set allows (template_set_max_steps) */

/* Member key[0..len) of obj, its own or the one under "" lends it; NULL when neither has it. */
static inline json_t *
template_member(const json_t *obj, const char *key, size_t len)
{
	json_t *v = json_object_getn(obj, key, len), *shared;

	if (!v && (shared = json_object_getn(obj, "", 0)) && json_is_object(shared))
		v = json_object_getn(shared, key, len);
	return v;
}

struct template_set *template_set_new(void);
void template_set_free(struct template_set *set);

/*
 * Compiles src[0..len) under `name`, replacing any template of that name. `path` names the source
 * in messages ("templates/index.html.mustache" or "built-in index.html.mustache"). Syntax errors
 * (unclosed tags or sections, mismatched section names, bad delimiters, empty tag names, sections
 * nested deeper than TEMPLATE_MAX_DEPTH) are reported as path:line:col through d and return -1;
 * the set is then unchanged. The template keeps its own copy of src.
 */
int template_set_add(struct template_set *set, const char *name, const char *path, const char *src,
		     size_t len, struct diag *d);
int template_set_has(const struct template_set *set, const char *name);
/*
 * Reports through d, as path:line:col of the name, every {{> name}} in the set's templates that
 * names no template of the set, and returns -1 when there is one. Rendering follows the
 * specification and shows a missing partial as nothing; a site's set is complete before its
 * first page, so there a missing partial can only be a misspelt name.
 */
int template_set_check_partials(const struct template_set *set, struct diag *d);
/* 1 when some template of the set includes template `name` as a partial ({{> name}}), else 0. */
int template_set_includes(const struct template_set *set, const char *name);
/* The steps one render may take (TEMPLATE_MAX_STEPS unless set): tests make it small. */
void template_set_max_steps(struct template_set *set, unsigned long steps);

/*
 * Renders template `name` with a context stack: stack[0] is the outermost (root) context and
 * stack[depth-1] the innermost, searched first. Appends to out. A missing partial renders as empty
 * (as the specification requires). Returns -1 on a missing template, out of memory or a stack
 * deeper than TEMPLATE_MAX_DEPTH; TEMPLATE_TOO_DEEP for sections and partials nested deeper than
 * that at render time (a partial that recurses without end); TEMPLATE_TOO_LONG for more steps than
 * the set allows. out may then hold part of the page.
 */
int template_render(struct buf *out, const struct template_set *set, const char *name,
		    json_t *const *stack, size_t depth);
/*
 * template_render for a site file (`page` names it in messages), reporting a failure through d:
 * a limit reached as path:line:col of the innermost tag that reached it.
 */
int template_render_page(struct buf *out, const struct template_set *set, const char *name,
			 json_t *const *stack, size_t depth, const char *page, struct diag *d);

/*
 * What template `name` (with the partials it includes) can reach, for deciding whether a page
 * must be rendered again: template_deps_put appends to out an unambiguous serialisation of the
 * parts of `context` (the merged root and page contexts) that the template could look up, so
 * equal bytes mean an equal rendering. Over-approximates: a name counts wherever it could be
 * found, "." counts a whole value, and recursive partials make everything count. A hook may
 * stand in a smaller value for a member (a content id for the HTML derived from it).
 */
struct template_deps;

/* Past this many bytes template_deps_put gives up (-1): such a page is cheaper to render. */
#define TEMPLATE_DEPS_MAX ((size_t)256 << 10)

struct template_deps_hooks {
	/*
	 * A value to serialise instead of obj's member key, or NULL for the member itself. Asked
	 * for named members obj lacks too: a member made later (an entry's HTML) still counts.
	 */
	json_t *(*stand_in)(void *arg, json_t *obj, const char *key);
	void *arg;
};

struct template_deps *template_deps_new(const struct template_set *set, const char *name);
void template_deps_free(struct template_deps *d);
int template_deps_put(struct buf *out, const struct template_deps *d, json_t *context,
		      const struct template_deps_hooks *h);
/*
 * 1 when the template could look up `name` on a value bound by any section or dotted name other
 * than except_key (NULL: any), or when the analysis cannot tell.
 */
int template_deps_reaches(const struct template_deps *d, const char *name, const char *except_key);

#endif
