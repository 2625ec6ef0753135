/*
 * markdown: CommonMark to HTML with cmark. The only file that includes <cmark.h>.
 *
 * Always safe mode (CMARK_OPT_UNSAFE never set): raw HTML is replaced by a comment and links or
 * images to javascript:, vbscript:, file: and data: (other than images) are dropped, so nothing an
 * editor writes can put a script in a page or a feed. Input is UTF-8-validated as well.
 */
#ifndef THREATFEED_MARKDOWN_H
#define THREATFEED_MARKDOWN_H

#include <stddef.h>

#include "util.h"

/*
 * Appends the HTML for md[0..len) to out, its headings moved so that the highest is <h2>: the page's
 * title is its <h1>. Returns -1 only when out of memory.
 */
int markdown_to_html(struct buf *out, const char *md, size_t len);
/* Appends the plain text of the first paragraph (for summaries), at most max bytes, cut on a word. */
int markdown_first_paragraph_text(struct buf *out, const char *md, size_t len, size_t max);

/*
 * What the functions below call for each node they find: its URL or text as written (entities
 * and backslash escapes read) and the line it starts on (1-based, cmark's: a lone CR ends a line
 * too). No column: cmark's is off on a paragraph's continuation lines.
 */
typedef void markdown_found_fn(void *arg, const char *text, unsigned line);

/*
 * Both of the above from one parse; html or summary may be NULL. For a summary alone only the
 * part of md that decides the first paragraph is parsed. With link, it is also called with each
 * link's URL, in order, from the same parse.
 */
int markdown_render(struct buf *html, struct buf *summary, size_t summary_max, const char *md,
		    size_t len, markdown_found_fn *link, void *link_arg);

/*
 * Whether line (1-based) of md[0..len) is part of a paragraph, as opposed to a code block, an HTML
 * block (which safe mode drops), a heading or no block at all.
 */
int markdown_line_in_paragraph(const char *md, size_t len, unsigned line);

/* Calls found(arg, url, line) for each image in md[0..len), in order. */
void markdown_images(const char *md, size_t len, markdown_found_fn *found, void *arg);

/*
 * Calls found(arg, html, line) for each piece of raw HTML in md[0..len), which safe mode leaves
 * out: its text as written (a block's whole lines).
 */
void markdown_raw_html(const char *md, size_t len, markdown_found_fn *found, void *arg);

/* The version of the cmark library loaded, e.g. "0.30.2": the HTML depends on it. */
const char *markdown_library_version(void);

#endif
