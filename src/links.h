/*
 * links: an announcement's HTML with its relative URLs made absolute, for the feeds, and where a
 * link of the site leads, for the check that it leads to a page.
 *
 * A page links relative to itself, so that the site works from file:// and under any path prefix.
 * A feed carries the same HTML, but a reader resolves what it holds against the feed's address,
 * or against nothing: "../../2014/x/" in /threat/2024/y/'s body, read from /threat/atom.xml, would
 * lead to /2014/x/, and "#x" to the feed. The feed writers give each entry's body through
 * links_absolute, with its page's URL as the base, so every reader follows the link the page has.
 *
 * Only the HTML that markdown.h writes: cmark in safe mode, where every "<a href=\"" and
 * "<img src=\"" is cmark's own tag (raw HTML is dropped, and text has its '<' escaped) and the
 * only URLs there are. A URL with a scheme (https:, mailto:) is left as it is.
 */
#ifndef THREATFEED_LINKS_H
#define THREATFEED_LINKS_H

#include "util.h"

/*
 * Appends html with each relative URL of an a/href or img/src resolved against base (an absolute
 * URL: the page html is shown on), as RFC 3986 section 5 says, by libxml2; a fragment is carried
 * over as written, and so is what comes of base (a host or path not in ASCII too). A URL libxml2
 * cannot parse (a host with a port that is not a number, say) is kept as it is. Returns -1 when
 * out of memory, or when html or base is NULL (absent from the model).
 */
int links_absolute(struct buf *out, const char *html, const char *base);

/*
 * The path below site_url (with a '/' at its end) that url, a link on the page at base, leads to,
 * without its query or fragment: "2014/x/" for "../../2014/x/#why" on a page of the site. NULL when
 * it leads to another site, or only to the page itself ("#why"), or holds a character that no
 * address of the site's own pages has (an escape, a space, a letter not in ASCII): such a link is
 * not checked. Free it.
 */
char *links_site_path(const char *url, const char *base, const char *site_url);

#endif
