/*
 * Unit tests of links: the URLs of a body's HTML made absolute for the feeds. Each case is
 * Markdown rendered by markdown.h, so that what links.c assumes of cmark's HTML is tested too,
 * and the HTML expected in a feed for a page at PAGE.
 */
#include <stdlib.h>

#include "harness.h"
#include "links.h"
#include "markdown.h"

#define PAGE "https://gov.example/threat/2024/2024-01-01-national-severe/"

/* Renders md, resolves its links against base and compares with want. */
static void
feed_html(const char *base, const char *md, const char *want, const char *what)
{
	struct buf page = BUF_INIT, feed = BUF_INIT;
	int rc = markdown_to_html(&page, md, strlen(md));

	if (rc == 0)
		rc = links_absolute(&feed, page.ptr, base);
	is_str(rc == 0 ? feed.ptr : NULL, want, what);
	buf_release(&page);
	buf_release(&feed);
}

static void
test_relative(void)
{
	feed_html(PAGE, "[a](x/)", "<p><a href=\"" PAGE "x/\">a</a></p>\n", "a page-relative link");
	feed_html(PAGE, "[a](../../2014/2014-08-29-national-severe/)",
		  "<p><a href=\"https://gov.example/threat/2014/2014-08-29-national-severe/\">a</a></p>\n",
		  "a ../ link keeps site.url's path");
	feed_html(PAGE, "[a](../../../../../x)", "<p><a href=\"https://gov.example/x\">a</a></p>\n",
		  "more ../ than the path has stop at the root (RFC 3986 section 5.2.4)");
	feed_html(PAGE, "[a](/x)", "<p><a href=\"https://gov.example/x\">a</a></p>\n",
		  "a root-relative link is under the host, as on the page");
	feed_html(PAGE, "[a](#x)", "<p><a href=\"" PAGE "#x\">a</a></p>\n",
		  "a fragment is the page's, not the feed's");
	feed_html(PAGE, "[a](?q=1&r=2)", "<p><a href=\"" PAGE "?q=1&amp;r=2\">a</a></p>\n",
		  "a query alone replaces none of the page's path");
	feed_html(PAGE, "![alt](./img.png \"t\")",
		  "<p><img src=\"" PAGE "img.png\" alt=\"alt\" title=\"t\" /></p>\n", "an image");
	feed_html(PAGE, "[a](<x y/it's.png> \"../t\")",
		  "<p><a href=\"" PAGE "x%20y/it&#x27;s.png\" title=\"../t\">a</a></p>\n",
		  "cmark's escapes are read back and written again; a title is not a URL");
	feed_html(PAGE, "[a](//other.example/p)", "<p><a href=\"https://other.example/p\">a</a></p>\n",
		  "a network-path link takes the page's scheme");
	feed_html("https://gov.example:8443/", "[a](b)", "<p><a href=\"https://gov.example:8443/b\">a</a></p>\n",
		  "a base with a port");
	feed_html(PAGE, "[a](javascript:alert(1))", "<p><a href=\"" PAGE "\">a</a></p>\n",
		  "safe mode's empty href is the page itself, as on the page");
}

/* libxml2 2.9 decodes what it parses and escapes it again; none of that may show. */
static void
test_escapes(void)
{
	feed_html(PAGE, "[a](a%2Fb/)", "<p><a href=\"" PAGE "a%2Fb/\">a</a></p>\n",
		  "an escaped '/' stays escaped");
	feed_html(PAGE, "[a](caf\xc3\xa9/%41%25%3A)", "<p><a href=\"" PAGE "caf%C3%A9/%41%25%3A\">a</a></p>\n",
		  "escapes come out as written: non-ASCII, an unreserved character, '%', ':'");
	feed_html(PAGE, "[a](%zz)", "<p><a href=\"" PAGE "%zz\">a</a></p>\n",
		  "a '%' that starts no escape is kept, as browsers keep it");
	feed_html(PAGE, "[a](./a:b#c%2F)", "<p><a href=\"" PAGE "a:b#c%2F\">a</a></p>\n",
		  "a ':' in the path is not escaped, nor the fragment decoded");
	feed_html(PAGE, "[a](#a#b)", "<p><a href=\"" PAGE "#a#b\">a</a></p>\n",
		  "a fragment libxml2 cannot parse (a second '#') is carried over as written");
	feed_html(PAGE, "[a](../x/?q=1&r=it's#s#t's)",
		  "<p><a href=\"https://gov.example/threat/2024/x/?q=1&amp;r=it&#x27;s#s#t&#x27;s\">a</a></p>\n",
		  "... after a path and query resolved as usual, '&' and '\\'' on either side of the '#'");
	feed_html(PAGE, "[a](%41b:c)", "<p><a href=\"" PAGE "%41b:c\">a</a></p>\n",
		  "a relative path with ':' in its first segment is resolved, as browsers do");
	feed_html(PAGE, "[a](//h:x/) [b](//[::1/)",
		  "<p><a href=\"//h:x/\">a</a> <a href=\"//%5B::1/\">b</a></p>\n",
		  "a host libxml2 cannot parse is kept as it is, never made a path on ours");
	feed_html(PAGE, "[a](1a:b)", "<p><a href=\"" PAGE "1a:b\">a</a></p>\n",
		  "... also when what comes before ':' cannot be a scheme");
}

/*
 * site.url may hold what libxml2 parses only escaped: a host or a path that is not ASCII, or
 * '|' and '[' in a path. Links still resolve against it, and come out with its bytes as written,
 * as the entry's own link has them.
 */
static void
test_base_as_written(void)
{
	feed_html("https://b\xc3\xbc" "cher.example/menace-\xc3\xa9/2024/x/",
		  "[a](../../2014/y/) [b](#z) [c](caf\xc3\xa9/%7C)",
		  "<p><a href=\"https://b\xc3\xbc" "cher.example/menace-\xc3\xa9/2014/y/\">a</a> "
		  "<a href=\"https://b\xc3\xbc" "cher.example/menace-\xc3\xa9/2024/x/#z\">b</a> "
		  "<a href=\"https://b\xc3\xbc" "cher.example/menace-\xc3\xa9/2024/x/caf%C3%A9/%7C\">c</a></p>\n",
		  "a site.url not in ASCII: resolved, its bytes as written, the body's escapes as written");
	feed_html("https://gov.example/a|b[1]{^`}/2024/x/", "[a](../y/)",
		  "<p><a href=\"https://gov.example/a|b[1]{^`}/2024/y/\">a</a></p>\n",
		  "a site.url path with '|', brackets, braces, '^' and '`'");
	feed_html("https://[2001:db8::1]:8443/t/2024/x/", "[a](../y/)",
		  "<p><a href=\"https://[2001:db8::1]:8443/t/2024/y/\">a</a></p>\n",
		  "an IP literal host keeps its brackets");
	feed_html("https://gov.example/a%7C%C3%A9/2024/x/", "[a](../y/)",
		  "<p><a href=\"https://gov.example/a%7C%C3%A9/2024/y/\">a</a></p>\n",
		  "a site.url's own escapes stay escapes");
	/*
	 * A link that names its own host takes nothing from the base but the scheme: its escapes,
	 * which libxml2 hands back as they were in a host, stay escapes (one decoded to a lone byte
	 * of no character, found by fuzzing, made the feeds unwritable).
	 */
	feed_html(PAGE, "[a](//h.example{%Fb) [b](https://h{x}%Fb/y)",
		  "<p><a href=\"https://h.example%7B%Fb\">a</a> <a href=\"https://h%7Bx%7D%Fb/y\">b</a></p>\n",
		  "a link with its own host keeps its escapes, '%Fb' and cmark's '%7B'");
	feed_html("https://b\xc3\xbc" "cher.example/x/", "[a](//other.example/\xc3\xa9{)",
		  "<p><a href=\"https://other.example/%C3%A9%7B\">a</a></p>\n",
		  "... also when site.url is not in ASCII");
}

static void
test_kept(void)
{
	feed_html(PAGE, "[a](mailto:a@b.example) [b](https://e.example/a?b=1&c='2') <https://f.example/>",
		  "<p><a href=\"mailto:a@b.example\">a</a> "
		  "<a href=\"https://e.example/a?b=1&amp;c=&#x27;2&#x27;\">b</a> "
		  "<a href=\"https://f.example/\">https://f.example/</a></p>\n",
		  "URLs with a scheme are kept byte for byte");
	feed_html(PAGE, "`<a href=\"x\">` and &lt;img src=\"y\"&gt;\n\n    <a href=\"z\">\n",
		  "<p><code>&lt;a href=&quot;x&quot;&gt;</code> and &lt;img src=&quot;y&quot;&gt;</p>\n"
		  "<pre><code>&lt;a href=&quot;z&quot;&gt;\n</code></pre>\n",
		  "text that reads like a tag is not one");
	feed_html(PAGE, "<a href=\"x\">raw</a> <img src=\"y\">",
		  "<p><!-- raw HTML omitted -->raw<!-- raw HTML omitted --> <!-- raw HTML omitted --></p>\n",
		  "raw HTML is dropped before it could be rewritten");
	feed_html(PAGE, "No link.", "<p>No link.</p>\n", "a body without a link is as it was");
	feed_html(PAGE, "", "", "an empty body");
}

static void
test_errors(void)
{
	struct buf b = BUF_INIT;

	ok(links_absolute(&b, NULL, PAGE) < 0, "no HTML: -1");
	ok(links_absolute(&b, "<p>x</p>", NULL) < 0, "no base: -1");
	buf_release(&b);
}

/* Where a link on the page at PAGE leads within the site at SITE; want NULL: not checked. */
#define SITE "https://gov.example/threat/"

static void
site_path(const char *url, const char *want, const char *what)
{
	char *got = links_site_path(url, PAGE, SITE);

	is_str(got, want, what);
	free(got);
}

static void
test_site_path(void)
{
	site_path("../../2014/x/", "2014/x/", "a relative link");
	site_path("../../2014/x/index.html?q=1#why", "2014/x/index.html",
		  "without its query and fragment");
	site_path("x.md", "2024/2024-01-01-national-severe/x.md", "a bare name is beside the page");
	site_path("/threat/pages/about/", "pages/about/", "a root-relative link under the site's path");
	site_path("HTTPS://GOV.EXAMPLE/threat/2014/x/", "2014/x/",
		  "an absolute link: scheme and host in any case");
	site_path("https://gov.example/Threat/2014/x/", NULL, "the site's path in its own case only");
	site_path("//gov.example/threat/levels/", "levels/", "a network-path link");
	site_path("../../../../elsewhere/", NULL, "above the site's folder is not the site");
	site_path("/other/", NULL, "nor another folder of the host");
	site_path("https://other.example/threat/2014/x/", NULL, "another host");
	site_path("https://gov.example:8443/threat/2014/x/", NULL, "another port");
	site_path("#why", NULL, "a part of the same page");
	site_path("?q=1", NULL, "the same page with a query");
	site_path("../../2014/x%2Fy/", NULL, "an escape is never in a page's address: not checked");
	site_path("../../2014/é/", NULL, "nor a letter not in ASCII");
	site_path("../../", "", "the home page");
}

int
main(void)
{
	test_relative();
	test_escapes();
	test_base_as_written();
	test_kept();
	test_errors();
	test_site_path();
	return tests_done();
}
