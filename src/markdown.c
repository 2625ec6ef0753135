/*
 * markdown: CommonMark to HTML and to summary text, with cmark. The only file that includes
 * <cmark.h>, so the library's options and memory rules live here alone.
 */
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

int
markdown_to_html(struct buf *out, const char *md, size_t len)
{
	char *html;
	int ret;

	html = cmark_markdown_to_html(md, len, markdown_options);
	if (!html)
		return -1;
	ret = add_xml_safe(out, html, strlen(html));
	/* cmark_markdown_to_html allocates with its default allocator: give the memory back to it. */
	cmark_get_default_mem_allocator()->free(html);
	return ret;
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

int
markdown_first_paragraph_text(struct buf *out, const char *md, size_t len, size_t max)
{
	struct buf t = BUF_INIT, raw = BUF_INIT;
	cmark_node *doc, *para;
	size_t cut;
	int ret = -1;

	doc = cmark_parse_document(md, len, markdown_options);
	if (!doc)
		return -1;
	para = first_paragraph(doc);
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
	cmark_node_free(doc);
	return ret;
}
