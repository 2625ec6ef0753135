/* Unit tests of markdown: safe HTML out of anything, and first-paragraph summaries. */
#include <stdlib.h>

#include "harness.h"
#include "markdown.h"

/* Renders md; the caller frees the result. */
static char *
html(const char *md, size_t len)
{
	struct buf b = BUF_INIT;

	if (markdown_to_html(&b, md, len) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void
renders(const char *md, const char *want, const char *what)
{
	char *got = html(md, strlen(md));

	is_str(got, want, what);
	free(got);
}

/* Renders md and checks that none of the `banned` strings survive. */
static void
never(const char *md, const char *const *banned, const char *what)
{
	char *got = html(md, strlen(md));
	int clean = got != NULL;

	for (size_t i = 0; clean && banned[i]; i++)
		clean = strcasestr(got, banned[i]) == NULL;
	if (!ok(clean, "%s", what))
		printf("#   got: '%s'\n", got ? got : "(null)");
	free(got);
}

static void
test_safe(void)
{
	static const char *const script[] = { "<script", "alert", NULL };
	static const char *const onerror[] = { "onerror", "<img", NULL };
	static const char *const tag[] = { "<script", NULL };
	static const char *const js[] = { "=\"javascript:", "=\"vbscript:", "=\"file:", "=\"data:",
					  NULL };
	static const char *const iframe[] = { "<iframe", "<style", "<svg", "onload", NULL };

	never("<script>alert(1)</script>\n", script, "a raw <script> block does not survive");
	never("Text <script>alert(1)</script> inline.\n", tag, "inline <script> does not survive");
	never("<img src=x onerror=alert(1)>\n", onerror, "a raw <img onerror> does not survive");
	never("Hi <img src=x onerror=\"alert(1)\"> there\n", onerror,
	      "an inline <img onerror> does not survive");
	never("<iframe src=\"https://evil.example/\"></iframe>\n\n<style>body{}</style>\n\n"
	      "<svg onload=alert(1)>\n", iframe, "iframe, style and svg do not survive");
	/* The link text may still read "javascript:..."; what matters is no href or src says it. */
	never("[x](javascript:alert(1))\n", js, "a javascript: link loses its href");
	never("[x](JavaScript:alert(1)) [y](vbscript:msgbox) [z](file:///etc/passwd) "
	      "[w](data:text/html,hi)\n", js, "vbscript:, file:, data: and mixed case too");
	never("[x][r]\n\n[r]: javascript:alert(1)\n", js, "a javascript: reference link too");
	never("<javascript:alert(1)>\n", js, "a javascript: autolink too");
	never("![i](javascript:alert(1))\n", js, "a javascript: image too");
	renders("[x](javascript:alert(1))\n", "<p><a href=\"\">x</a></p>\n",
		"the javascript: link keeps its text with an empty href");
	renders("<b>bold</b>\n", "<p><!-- raw HTML omitted -->bold<!-- raw HTML omitted --></p>\n",
		"raw HTML is replaced by a comment");
	renders("[a](https://example.org/?q=\"x\"&y=<z>)\n",
		"<p><a href=\"https://example.org/?q=%22x%22&amp;y=%3Cz%3E\">a</a></p>\n",
		"URL characters are escaped, not passed through");
}

static void
test_render(void)
{
	static const char bad_utf8[] = "caf\xC3 \xFF\xFE ok \xE2\x82\n";
	char *got;

	renders("A [link](https://example.org/a?b=1&c=2) and *emphasis* and **strong**.\n",
		"<p>A <a href=\"https://example.org/a?b=1&amp;c=2\">link</a> and <em>emphasis</em> "
		"and <strong>strong</strong>.</p>\n", "link and emphasis render");
	renders("- one\n- two\n\n1. first\n", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n"
		"<li>first</li>\n</ol>\n", "lists render");
	renders("# Title\n\n`code` \"quoted\" -- dash...\n",
		"<h2>Title</h2>\n<p><code>code</code> &quot;quoted&quot; -- dash...</p>\n",
		"no smart punctuation: characters stay as written");
	renders("", "", "empty input gives empty output");

	got = html(bad_utf8, sizeof(bad_utf8) - 1);
	is_str(got, "<p>caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD ok \xEF\xBF\xBD</p>\n",
	       "invalid UTF-8 becomes U+FFFD");
	free(got);
	got = html("a\0b\n", 4);
	is_str(got, "<p>a\xEF\xBF\xBD" "b</p>\n", "a NUL becomes U+FFFD");
	free(got);
}

/* The page's title is its one <h1>: a body's headings sit below it. */
static void
test_headings(void)
{
	char *deep = malloc(3001), *got;

	renders("# A\n\n## B\n\n###### F\n", "<h2>A</h2>\n<h3>B</h3>\n<h6>F</h6>\n",
		"a body with '#' headings has each one level down, '######' staying <h6>");
	renders("A\n===\n\nB\n---\n", "<h2>A</h2>\n<h3>B</h3>\n",
		"setext headings too");
	renders("## B\n\n### C\n", "<h2>B</h2>\n<h3>C</h3>\n",
		"a body whose headings start at '##' is left as written");
	renders("### C\n\n#### D\n\nText.\n\n### E\n",
		"<h2>C</h2>\n<h3>D</h3>\n<p>Text.</p>\n<h2>E</h2>\n",
		"one whose headings start at '###' has them moved up, so that no level is skipped");
	renders("No headings.\n", "<p>No headings.</p>\n", "a body without headings is as it was");
	renders("## B\n\n> - item\n>\n>   # A\n",
		"<h3>B</h3>\n<blockquote>\n<ul>\n<li>\n<p>item</p>\n<h2>A</h2>\n</li>\n</ul>\n"
		"</blockquote>\n", "a '#' heading in a list in a quote counts, and is moved too");
	/* A thousand nested quotes: the walk is a loop, not recursion. */
	for (int i = 0; i < 1000; i++)
		deep[i] = '>';
	memcpy(deep + 1000, " # A\n", 6);
	got = html(deep, strlen(deep));
	ok(got && strstr(got, "<h2>A</h2>") && !strstr(got, "<h1>"),
	   "a '#' heading inside a thousand block quotes is moved too");
	free(got);
	free(deep);
}

static void
summary(const char *md, size_t max, const char *want, const char *what)
{
	struct buf b = BUF_INIT;

	ok(markdown_first_paragraph_text(&b, md, strlen(md), max) == 0, "%s: succeeds", what);
	is_str(b.ptr ? b.ptr : "", want, what);
	ok(b.len <= max, "%s: at most %zu bytes", what, max);
	buf_release(&b);
}

static void
test_summary(void)
{
	struct buf b = BUF_INIT;
	static const char md[] =
		"# Heading is not a paragraph\n\n"
		"The level is *now* **SEVERE**: see [the advice](https://example.org/) and `run`\n"
		"for   details.  \nNew line.\n\n"
		"Second paragraph.\n";

	summary(md, 300, "The level is now SEVERE: see the advice and run for details. New line.",
		"emphasis, links, code and breaks become plain text");
	summary(md, 20, "The level is now\xE2\x80\xA6", "cut at a word boundary with an ellipsis");
	summary(md, 27, "The level is now SEVERE\xE2\x80\xA6",
		"a cut keeps no trailing colon or space");
	summary(md, 72, "The level is now SEVERE: see the advice and run for details. New line.",
		"exactly max bytes is not cut");
	summary("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\n", 8, "\xC3\xA9\xC3\xA9\xE2\x80\xA6",
		"a long word is cut, never inside a UTF-8 sequence");
	summary("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\n", 2, "", "no room for the ellipsis");
	summary("> Quoted *first*.\n\nThen.\n", 300, "Quoted first.", "a quoted paragraph counts");
	summary("A <b>raw</b> tag &amp; entity.\n", 300, "A raw tag & entity.",
		"raw HTML is dropped, entities decoded");
	summary("# Only a heading\n\n    code block\n", 300, "", "no paragraph gives \"\"");
	summary("", 300, "", "empty input gives \"\"");
	summary("A &#1; and &#xFFFE; here.\n", 300, "A \xef\xbf\xbd and \xef\xbf\xbd here.",
		"references to characters XML forbids become U+FFFD in summaries");
	/* A summary alone is made from the start of the body; these need more of it, or all. */
	summary("First [link][ref] here.\n\nMore.\n\n[ref]: https://example.org/\n", 300,
		"First link here.", "a reference defined at the end still makes a link");
	summary("Not a paragraph\n===\n\nThe summary.\n", 300, "The summary.",
		"a setext heading is not the summary");
	summary("```\ncode\n\nstill code\n```\n\nAfter the fence.\n", 300, "After the fence.",
		"a blank line inside a fence is not the end of what decides");
	summary("\r\n  \r\nCRLF line\r\nand the next\r\n\r\nLater.\r\n", 300,
		"CRLF line and the next", "CRLF line ends, blank lines first");
	summary("- first item\n\n- second item\n", 300, "first item", "a loose list's first item");

	buf_puts(&b, "kept ");
	ok(markdown_first_paragraph_text(&b, "Appended.", 9, 300) == 0, "appends to a buffer");
	is_str(b.ptr, "kept Appended.", "the buffer's old content stays");
	buf_release(&b);
}

/* "&#1;" and "&#xFFFE;" must not put a control character or a non-UTF-8 byte in a page or feed. */
static void
test_xml_characters(void)
{
	struct buf b = BUF_INIT;
	unsigned line, col;
	const char *why;

	ok(markdown_to_html(&b, "A &#1; B &#xFFFE; C &#xFFFF;\n", 28) == 0, "renders references");
	ok(text_check(b.ptr, b.len, &line, &col, &why) == 0, "HTML holds only characters XML allows");
	is_str(b.ptr, "<p>A \xef\xbf\xbd B \xef\xbf\xbd C \xef\xbf\xbd</p>\n", "each becomes U+FFFD");
	buf_release(&b);
}

static void
test_line_in_paragraph(void)
{
	static const char md[] =
		"# A heading\n"             /* 1 */
		"\n"                        /* 2 */
		"First paragraph,\n"        /* 3 */
		"two lines.\n"              /* 4 */
		"\n"                        /* 5 */
		"```\n"                     /* 6 */
		"fenced code\n"             /* 7 */
		"```\n"                     /* 8 */
		"\n"                        /* 9 */
		"    indented code\n"       /* 10 */
		"\n"                        /* 11 */
		"- a list item\n"           /* 12 */
		"<div>\n"                   /* 13 */
		"raw HTML\n"                /* 14 */
		"</div>\n";                 /* 15 */
	static const struct {
		unsigned line;
		int in;
		const char *what;
	} cases[] = {
		{ 1, 0, "a heading" }, { 2, 0, "a blank line" }, { 3, 1, "a paragraph's first line" },
		{ 4, 1, "its second line" }, { 6, 0, "a fence" }, { 7, 0, "fenced code" },
		{ 10, 0, "indented code" }, { 12, 1, "a list item's paragraph" },
		{ 14, 0, "an HTML block" }, { 99, 0, "past the end" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		ok(markdown_line_in_paragraph(md, sizeof(md) - 1, cases[i].line) == cases[i].in,
		   "line %u, %s: %s a paragraph", cases[i].line, cases[i].what,
		   cases[i].in ? "in" : "not in");
}

int
main(void)
{
	test_xml_characters();
	test_safe();
	test_render();
	test_headings();
	test_summary();
	test_line_in_paragraph();
	return tests_done();
}
