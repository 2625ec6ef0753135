/*
 * Markdown bodies to HTML and to summary text. Beyond memory safety, the safe-mode promise of
 * markdown.h must hold for any input: no raw <script>, no <h1>, and no link or image to a scheme
 * that runs code or reads files, in the pages' HTML and in the feeds' copy with absolute links
 * (links.h).
 * And a summary made alone, from the part of the body that decides it, must equal the one made
 * with the HTML from the whole body.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "links.h"
#include "markdown.h"
#include "util.h"

#define SUMMARY_MAX 200
#define PAGE_URL "https://gov.example/threat/2024/2024-01-01-national-severe/"
#define SITE_URL "https://gov.example/threat/"

/*
 * 1 when html holds attr="scheme: (any case), i.e. cmark let a dangerous URL through. The images
 * that cmark lets through as data: (png, gif, jpeg, webp) run no code, in a link or an image.
 */
static int
has_url(const char *html, const char *attr, const char *scheme)
{
	static const char *const images[] = { "image/png", "image/gif", "image/jpeg", "image/webp" };
	size_t alen = strlen(attr), slen = strlen(scheme);

	for (const char *p = strstr(html, attr); p; p = strstr(p + 1, attr)) {
		const char *rest = p + alen + slen;
		int image = 0;

		if (strncasecmp(p + alen, scheme, slen) != 0)
			continue;
		for (size_t i = 0; i < sizeof(images) / sizeof(*images); i++)
			image |= strcmp(scheme, "data:") == 0 &&
				 strncasecmp(rest, images[i], strlen(images[i])) == 0;
		if (!image)
			return 1;
	}
	return 0;
}

/* The promises above, for html made from md[0..size). */
static void
check_html(const struct buf *html, const char *md, size_t size)
{
	unsigned line, col;
	const char *why;

	/* Clean text in, clean HTML out: the model stores it with json_string, feeds check it. */
	if (text_check(md, size, &line, &col, &why) == 0)
		assert(text_check(html->ptr, html->len, &line, &col, &why) == 0);
	assert(!strcasestr(html->ptr, "<script"));
	/* The page's title is its one <h1>: a body's headings start at <h2>. */
	assert(!strstr(html->ptr, "<h1"));
	assert(!has_url(html->ptr, "href=\"", "javascript:"));
	assert(!has_url(html->ptr, "href=\"", "vbscript:"));
	assert(!has_url(html->ptr, "href=\"", "file:"));
	assert(!has_url(html->ptr, "href=\"", "data:"));
	assert(!has_url(html->ptr, "src=\"", "javascript:"));
	assert(!has_url(html->ptr, "src=\"", "vbscript:"));
	assert(!has_url(html->ptr, "src=\"", "file:"));
	assert(!has_url(html->ptr, "src=\"", "data:"));
}

/* Each link, as the check of links reads it: where it leads in the site has no query or fragment. */
static void
site_path_of_link(void *arg, const char *url, unsigned line)
{
	char *path = links_site_path(url, PAGE_URL, SITE_URL);

	(void)arg;
	assert(line >= 1);
	assert(!path || !strpbrk(path, "?#"));
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *md = (const char *)data;
	struct buf html = BUF_INIT, text = BUF_INIT, whole_html = BUF_INIT, whole_text = BUF_INIT;
	struct buf feed = BUF_INIT;
	unsigned line, col;
	const char *why;

	if (markdown_to_html(&html, md, size) == 0 && html.ptr) {
		check_html(&html, md, size);
		if (links_absolute(&feed, html.ptr, PAGE_URL) == 0)
			check_html(&feed, md, size);
	}
	if (markdown_first_paragraph_text(&text, md, size, SUMMARY_MAX) == 0 && text.ptr) {
		assert(text.len <= SUMMARY_MAX);
		/* A summary of clean text is clean: the cut never splits a UTF-8 sequence. */
		if (text_check(md, size, &line, &col, &why) == 0)
			assert(text_check(text.ptr, text.len, &line, &col, &why) == 0);
		if (markdown_render(&whole_html, &whole_text, SUMMARY_MAX, md, size, site_path_of_link,
				    NULL) == 0)
			assert(whole_text.len == text.len && memcmp(whole_text.ptr, text.ptr, text.len) == 0);
	}
	buf_release(&html);
	buf_release(&text);
	buf_release(&whole_html);
	buf_release(&whole_text);
	buf_release(&feed);
	return 0;
}
