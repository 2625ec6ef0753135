/*
 * markdown: CommonMark to HTML and to summary text, with cmark. The only file that includes
 * <cmark.h>, so the library's options and memory rules live here alone.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "markdown.h"

/*
 * Every cmark call takes these options, set here and nowhere else.
 *
 * Safe mode is cmark's default: CMARK_OPT_UNSAFE must never appear, or raw HTML and javascript:
 * links would reach pages and feeds. CMARK_OPT_VALIDATE_UTF8 replaces invalid bytes with U+FFFD
 * instead of passing them on to XML writers that would not notice.
 *
 * CMARK_OPT_SMART is left out on purpose: it rewrites quotes and "--" as the renderer sees fit,
 * so the body would no longer say what the editor committed, and would disagree with the title and
 * other front matter text, which are published as written.
 */
static const int markdown_options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;

/* "…", U+2026, marks a cut summary. */
#define ELLIPSIS "\xE2\x80\xA6"

/*
 * Appends s[0..len) with each character XML 1.0 forbids (section 2.2: controls other than tab,
 * LF and CR; U+FFFE and U+FFFF) and each byte that is not UTF-8 replaced by U+FFFD. Source files
 * cannot hold them, but a character reference such as "&#1;" makes cmark write one, and it would
 * reach the pages and the feeds.
 */
static int
add_xml_safe(struct buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = 0, i = 0, n;
	uint32_t cp;

	while (i < len) {
		i += plain_ascii_prefix(s + i, len - i);
		if (i == len)
			break;
		n = utf8_decode(u + i, len - i, &cp);
		if (n && xml_char_allowed(cp) && cp != 0) {
			i += n;
			continue;
		}
		/* cmark also writes some references (e.g. "&#xFFFE;") as bytes that are not UTF-8. */
		if (buf_add(out, s + start, i - start) < 0 || buf_puts(out, "\xef\xbf\xbd") < 0)
			return -1;
		i += n ? n : 1;
		start = i;
	}
	return buf_add(out, s + start, len - start);
}

/*
 * cmark allocates every node, buffer and string separately, and frees each one: for a 2 KB body
 * that is hundreds of malloc and free calls, a fifth of a cold build. cmark_mem lets a parse use
 * another allocator but passes it no context, so each parse sets this thread's arena, takes memory
 * from it by bumping a pointer, and drops all of it at once when the document is done. glibc has
 * nothing like it and no Debian-packaged library offers one, hence this small one.
 */
#define ARENA_BLOCK ((size_t)64 << 10)
#define ARENA_ALIGN ((size_t)16)

struct arena_block {
	struct arena_block *prev;
	size_t used, size;
	max_align_t data[];
};

/* A chunk's header: its size, so realloc knows how much to copy. */
struct chunk {
	size_t size;
	size_t pad;
};

static _Thread_local struct arena_block *arena;

static void *
arena_grow(size_t need)
{
	size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
	struct arena_block *b = malloc(sizeof(*b) + size);

	if (!b)
		out_of_memory();
	b->prev = arena;
	b->used = 0;
	b->size = size;
	arena = b;
	return b;
}

static void *
arena_alloc(size_t size)
{
	size_t need = sizeof(struct chunk) + (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
	struct arena_block *b = arena;
	struct chunk *c;

	if (need < size)
		out_of_memory();
	if (!b || b->size - b->used < need)
		b = arena_grow(need);
	c = (struct chunk *)((char *)b->data + b->used);
	b->used += need;
	c->size = size;
	return c + 1;
}

static void *
arena_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		out_of_memory();
	p = arena_alloc(n * size);
	memset(p, 0, n * size);
	return p;
}

static void *
arena_realloc(void *p, size_t size)
{
	struct arena_block *b = arena;
	struct chunk *c;
	void *q;

	if (!p)
		return arena_alloc(size);
	c = (struct chunk *)p - 1;
	/* The newest chunk grows in place: cmark's buffers grow while nothing else is allocated. */
	if ((char *)p + (c->size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN ==
	    (char *)b->data + b->used) {
		size_t have = (c->size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
		size_t want = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;

		if (want >= size && (want <= have || b->size - b->used >= want - have)) {
			b->used = b->used - have + want;
			c->size = size;
			return p;
		}
	}
	q = arena_alloc(size);
	memcpy(q, p, c->size < size ? c->size : size);
	return q;
}

static void
arena_free(void *p)
{
	(void)p;
}

static cmark_mem arena_mem = { arena_calloc, arena_realloc, arena_free };

/* Parses md[0..len) with this thread's arena; markdown_done gives the memory back. */
static cmark_node *
markdown_parse(const char *md, size_t len)
{
	cmark_parser *parser;
	cmark_node *doc;

	assert(!arena);
	parser = cmark_parser_new_with_mem(markdown_options, &arena_mem);
	cmark_parser_feed(parser, md, len);
	doc = cmark_parser_finish(parser);
	cmark_parser_free(parser);
	return doc;
}

static void
markdown_done(void)
{
	while (arena) {
		struct arena_block *prev = arena->prev;

		free(arena);
		arena = prev;
	}
}

/*
 * The next block after n in document order, below doc: headings sit only in blocks, in block
 * quotes, lists and list items, so paragraphs and their inline nodes are not entered. A loop, not
 * recursion: a body of a thousand ">" nests a thousand block quotes.
 */
static cmark_node *
next_block(cmark_node *doc, cmark_node *n)
{
	cmark_node_type type = cmark_node_get_type(n);

	if ((type == CMARK_NODE_BLOCK_QUOTE || type == CMARK_NODE_LIST || type == CMARK_NODE_ITEM) &&
	    cmark_node_first_child(n))
		return cmark_node_first_child(n);
	while (n != doc && !cmark_node_next(n))
		n = cmark_node_parent(n);
	return n == doc ? NULL : cmark_node_next(n);
}

/*
 * The page's title is its one <h1>, so a body's headings are moved to sit right below it: the
 * highest becomes <h2> and the others keep their distance from it ("#" and "##" become <h2> and
 * <h3>; "###" alone becomes <h2>, skipping no level; <h6> is as far down as any goes). Only the
 * HTML changes: the outline stays the one the editor wrote.
 */
static void
headings_below_title(cmark_node *doc)
{
	int top = 7, shift, level;

	for (cmark_node *n = cmark_node_first_child(doc); n; n = next_block(doc, n))
		if (cmark_node_get_type(n) == CMARK_NODE_HEADING && cmark_node_get_heading_level(n) < top)
			top = cmark_node_get_heading_level(n);
	shift = 2 - top;
	if (top == 7 || shift == 0)
		return;
	for (cmark_node *n = cmark_node_first_child(doc); n; n = next_block(doc, n)) {
		if (cmark_node_get_type(n) != CMARK_NODE_HEADING)
			continue;
		level = cmark_node_get_heading_level(n) + shift;
		cmark_node_set_heading_level(n, level > 6 ? 6 : level);
	}
}

static int
html_of(struct buf *out, cmark_node *doc)
{
	char *html;

	headings_below_title(doc);
	/* The HTML comes from the document's allocator, the arena. */
	html = cmark_render_html(doc, markdown_options);

	return add_xml_safe(out, html, strlen(html));
}

/* Appends s to t, with each run of white space as one space and none at the start. */
static int
add_text(struct buf *t, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			if (t->len > 0 && t->ptr[t->len - 1] != ' ' && buf_putc(t, ' ') < 0)
				return -1;
		} else if (buf_putc(t, *s) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Collects the text of the paragraph node `para` into t: what a reader sees, without markup. */
static int
paragraph_text(struct buf *t, cmark_node *para)
{
	cmark_iter *it = cmark_iter_new(para);
	cmark_event_type ev;
	cmark_node *n;
	int ret = 0;

	while (ret == 0 && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			ret = add_text(t, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			ret = add_text(t, " ");
			break;
		default:
			/* Emphasis, links and images: their text is in their children. Raw HTML is dropped. */
			break;
		}
	}
	cmark_iter_free(it);
	return ret;
}

/* The first paragraph anywhere in the document (a list item's or a quote's too), or NULL. */
static cmark_node *
first_paragraph(cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	cmark_node *found = NULL;

	while (!found && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);

		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH)
			found = n;
	}
	cmark_iter_free(it);
	return found;
}

/*
 * Where to cut s[0..len) so that the kept part plus the ellipsis fit in max bytes: at the last
 * space that fits, or inside a word too long to cut anywhere else, but never inside a UTF-8
 * sequence (RFC 3629 section 3: continuation bytes are 10xxxxxx).
 */
static size_t
cut_point(const char *s, size_t len, size_t max)
{
	size_t budget = max > strlen(ELLIPSIS) ? max - strlen(ELLIPSIS) : 0;
	size_t cut = budget;

	if (budget >= len)
		return len;
	while (cut > 0 && s[cut] != ' ')
		cut--;
	if (cut == 0) {
		cut = budget;
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
	}
	/* "raised, …" reads worse than "raised…". */
	while (cut > 0 && strchr(" ,;:", s[cut - 1]))
		cut--;
	return cut;
}

/* The summary of doc (see markdown_first_paragraph_text). */
static int
summary_of(struct buf *out, cmark_node *doc, size_t max)
{
	struct buf t = BUF_INIT, raw = BUF_INIT;
	cmark_node *para = first_paragraph(doc);
	size_t cut;
	int ret = -1;

	if (para && paragraph_text(&raw, para) < 0)
		goto out;
	if (raw.len && add_xml_safe(&t, raw.ptr, raw.len) < 0)
		goto out;
	while (t.len > 0 && t.ptr[t.len - 1] == ' ')
		t.ptr[--t.len] = '\0';
	if (t.len <= max) {
		ret = buf_add(out, t.ptr, t.len);
		goto out;
	}
	/* Too small for even the ellipsis: an empty summary is still at most max bytes. */
	if (max < strlen(ELLIPSIS)) {
		ret = buf_add(out, "", 0);
		goto out;
	}
	cut = cut_point(t.ptr, t.len, max);
	ret = buf_add(out, t.ptr, cut) < 0 || buf_puts(out, ELLIPSIS) < 0 ? -1 : 0;
out:
	buf_release(&t);
	buf_release(&raw);
	return ret;
}

/*
 * How much of md[0..len) decides its first paragraph: up to the first blank line after some text,
 * or all of it. cmark settles blocks line by line, and a blank line closes any open paragraph, so
 * a paragraph the prefix holds is the same in the whole. Only a link reference definition, which
 * may come anywhere and changes the links before it, needs the rest; each holds "]:".
 */
static size_t
summary_prefix(const char *md, size_t len)
{
	const char *line = md, *end = md + len;
	int text_seen = 0;

	if (memmem(md, len, "]:", 2))
		return len;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *next = nl ? nl + 1 : end;

		/* A blank line's content: spaces, tabs, a CR at most (CommonMark 4.9). */
		if (!is_blank_line(line, (size_t)((nl ? nl : end) - line)))
			text_seen = 1;
		else if (text_seen && nl)
			return (size_t)(next - md);
		line = next;
	}
	return len;
}

/* Calls found(arg, text_of(node), its line) for each node below doc of type a or b, in order. */
static void
each_of_type(cmark_node *doc, cmark_node_type a, cmark_node_type b,
	     const char *(*text_of)(cmark_node *), markdown_found_fn *found, void *arg)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(n);

		if (ev == CMARK_EVENT_ENTER && (type == a || type == b))
			found(arg, text_of(n), (unsigned)cmark_node_get_start_line(n));
	}
	cmark_iter_free(it);
}

int
markdown_render(struct buf *html, struct buf *summary, size_t summary_max, const char *md,
		size_t len, markdown_found_fn *link, void *link_arg)
{
	size_t prefix = html || link ? len : summary_prefix(md, len);
	cmark_node *doc = markdown_parse(md, prefix);
	int ret;

	/* A summary alone is made from the prefix when that holds a paragraph (summary_prefix). */
	if (prefix < len && !first_paragraph(doc)) {
		markdown_done();
		doc = markdown_parse(md, len);
	}
	/* Before html_of, which may change the tree (headings), not its links. */
	if (link)
		each_of_type(doc, CMARK_NODE_LINK, CMARK_NODE_LINK, cmark_node_get_url, link,
			     link_arg);
	ret = (html && html_of(html, doc) < 0) ||
	      (summary && summary_of(summary, doc, summary_max) < 0) ? -1 : 0;
	markdown_done();
	return ret;
}

int
markdown_to_html(struct buf *out, const char *md, size_t len)
{
	return markdown_render(out, NULL, 0, md, len, NULL, NULL);
}

int
markdown_line_in_paragraph(const char *md, size_t len, unsigned line)
{
	cmark_node *doc = markdown_parse(md, len);
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	int found = 0;

	while (!found && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);

		found = ev == CMARK_EVENT_ENTER && cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH &&
			cmark_node_get_start_line(n) <= (int)line && (int)line <= cmark_node_get_end_line(n);
	}
	cmark_iter_free(it);
	markdown_done();
	return found;
}

/* each_of_type over md[0..len), parsed for it alone. */
static void
each_node(const char *md, size_t len, cmark_node_type a, cmark_node_type b,
	  const char *(*text_of)(cmark_node *), markdown_found_fn *found, void *arg)
{
	each_of_type(markdown_parse(md, len), a, b, text_of, found, arg);
	markdown_done();
}

void
markdown_images(const char *md, size_t len, markdown_found_fn *found, void *arg)
{
	each_node(md, len, CMARK_NODE_IMAGE, CMARK_NODE_IMAGE, cmark_node_get_url, found, arg);
}

void
markdown_raw_html(const char *md, size_t len, markdown_found_fn *found, void *arg)
{
	each_node(md, len, CMARK_NODE_HTML_BLOCK, CMARK_NODE_HTML_INLINE, cmark_node_get_literal,
		  found, arg);
}

const char *
markdown_library_version(void)
{
	return cmark_version_string();
}

int
markdown_first_paragraph_text(struct buf *out, const char *md, size_t len, size_t max)
{
	return markdown_render(NULL, out, max, md, len, NULL, NULL);
}
