/*
 * links: the relative URLs of cmark's HTML made absolute against the page's URL, for the feeds
 * (see links.h). Resolution is libxml2's xmlBuildURI; this file only finds the URLs, and keeps
 * libxml2 from changing what it was not asked to.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/uri.h>

#include "links.h"

/* The attributes cmark writes a URL in (its html.c), up to the value's opening quote. */
static const char *const url_attributes[] = { "<a href=\"", "<img src=\"" };

/*
 * Appends s[0..len) with each '%' written "%25". libxml2 2.9's xmlBuildURI decodes the path and
 * the fragment it parses and escapes them again only as far as it needs to: "a%2Fb" would come
 * back "a/b", another path, and a '%' that starts no escape ("%zz", which browsers send as it is)
 * would not parse at all. Given "%25" for each '%', what it decodes is the URL as written, which
 * it escapes again as "%25", and unprotect gives back.
 */
static int
protect(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((s[i] == '%' ? buf_puts(out, "%25") : buf_putc(out, s[i])) < 0)
			return -1;
	return 0;
}

/*
 * Whether libxml2 2.9 parses byte c of a URL only when escaped: what RFC 3986 (section 2) has no
 * place for, as non-ASCII and "\"<>\\^`{|}", and '[' or ']' outside a host. site.url may hold
 * them (a host or path that is not ASCII): as written, libxml2 would parse no URL against it and
 * hand every relative one back unresolved. cmark escapes them all in the URLs it writes, so an
 * escape of one that libxml2 makes can only come from the base.
 */
static int
only_escaped(unsigned char c)
{
	return c >= 0x80 || (c && strchr("\"<>\\^`{|}[]", c));
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Appends site.url as protect does, and with each byte only_escaped names escaped ("%C3%A9" for
 * 'é'), but for the brackets of an IP literal host, for libxml2 to parse it; unprotect writes them
 * back as they were.
 */
static int
protect_base(struct buf *out, const char *base)
{
	const char *authority = strstr(base, "://"), *path;

	authority = authority ? authority + 3 : base;
	path = authority + strcspn(authority, "/");
	for (const char *p = base; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int rc;

		if (c == '%')
			rc = buf_puts(out, "%25");
		else if (only_escaped(c) && !(p < path && (c == '[' || c == ']')))
			rc = buf_printf(out, "%%%02X", c);
		else
			rc = buf_putc(out, *p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Appends byte c to an attribute value, written the way cmark writes one. */
static int
attribute_byte(struct buf *out, char c)
{
	switch (c) {
	case '&':
		return buf_puts(out, "&amp;");
	case '\'':
		return buf_puts(out, "&#x27;");
	case '"':
		return buf_puts(out, "&quot;");
	case '<':
		return buf_puts(out, "&lt;");
	case '>':
		return buf_puts(out, "&gt;");
	default:
		return buf_putc(out, c);
	}
}

/*
 * Appends the URL libxml2 made, as an attribute value written the way cmark writes one ('&' and
 * '\'' as references), with protect's "%25" back to '%', "%3A" back to ':', and, with from_base,
 * protect_base's escapes back to the bytes of site.url. libxml2 2.9 escapes every ':' in a path,
 * although in an absolute URL none needs it (RFC 3986 section 3.3 only rules it out of a relative
 * path's first segment); a "%3A" the editor wrote comes here as "%253A", and out as written.
 * from_base is for a reference that takes the base's host: one that names its own (a scheme, or
 * "//") keeps its escapes, which libxml2 hands back as they were in a host, not as "%25".
 */
static int
unprotect(struct buf *out, const char *url, int from_base)
{
	int rc = 0, hi, lo;

	for (const char *p = url; *p && rc == 0; p++) {
		if (p[0] == '%' && p[1] == '2' && p[2] == '5') {
			rc = buf_putc(out, '%');
			p += 2;
		} else if (p[0] == '%' && p[1] == '3' && (p[2] == 'A' || p[2] == 'a')) {
			rc = buf_putc(out, ':');
			p += 2;
		} else if (from_base && p[0] == '%' && (hi = hex_value(p[1])) >= 0 &&
			   (lo = hex_value(p[2])) >= 0 && only_escaped((unsigned char)(hi * 16 + lo))) {
			rc = attribute_byte(out, (char)(hi * 16 + lo));
			p += 2;
		} else {
			rc = attribute_byte(out, *p);
		}
	}
	return rc;
}

/* ref with "./" before it. */
static int
buf_insert_dot_slash(struct buf *ref)
{
	struct buf copy = BUF_INIT;

	if (buf_puts(&copy, "./") < 0 || buf_add(&copy, ref->ptr, ref->len) < 0) {
		buf_release(&copy);
		return -1;
	}
	buf_release(ref);
	*ref = copy;
	return 0;
}

/*
 * Where the fragment of attribute value v[0..len) starts (its '#'), or v + len when it has none.
 * The '#' of "&#x27;" is cmark's reference for '\'', not one the editor wrote.
 */
static const char *
fragment_of(const char *v, size_t len)
{
	for (const char *p = v; p < v + len; p++)
		if (*p == '#' && (p == v || p[-1] != '&'))
			return p;
	return v + len;
}

/*
 * Appends attribute value v[0..len), as cmark wrote it, resolved against protected_base. cmark
 * escapes a URL for an attribute with '&' as "&amp;" and '\'' as "&#x27;", every other character
 * outside its safe set as %XX, so those two references are all there is to read back. The
 * fragment takes no part in resolving (RFC 3986 section 5.2.2 carries it over as it is): it is
 * appended as cmark wrote it, so one that libxml2 would not parse ("#a#b", which browsers follow)
 * costs the rest nothing. Anything else, or a URL libxml2 cannot parse, is appended as it is.
 */
static int
resolve(struct buf *out, const char *v, size_t len, const char *protected_base, struct buf *ref)
{
	const char *fragment = fragment_of(v, len);
	const char *p = v, *end = fragment, *amp;
	xmlChar *url;
	int rc;

	buf_reset(ref);
	if (buf_add(ref, "", 0) < 0)
		return -1;
	while ((amp = memchr(p, '&', (size_t)(end - p)))) {
		size_t left = (size_t)(end - amp);

		if (protect(ref, p, (size_t)(amp - p)) < 0)
			return -1;
		if (left >= 5 && memcmp(amp, "&amp;", 5) == 0) {
			p = amp + 5;
			if (buf_putc(ref, '&') < 0)
				return -1;
		} else if (left >= 6 && memcmp(amp, "&#x27;", 6) == 0) {
			p = amp + 6;
			if (buf_putc(ref, '\'') < 0)
				return -1;
		} else {
			return buf_add(out, v, len);
		}
	}
	if (protect(ref, p, (size_t)(end - p)) < 0)
		return -1;
	/*
	 * RFC 3986 section 5.2; a reference with a scheme comes back as it is. libxml2 2.9 leaves
	 * the dot segments of a reference that starts with '/' ("/../x" gives "https://host/../x",
	 * where section 5.2.2 removes them); clients remove them before a request, so such a link
	 * still leads where the page's does.
	 */
	url = xmlBuildURI(BAD_CAST ref->ptr, BAD_CAST protected_base);
	/*
	 * A relative path whose first segment holds a ':' ("a%41:b") is one to a browser, but no
	 * reference libxml2 parses: RFC 3986 section 4.2 has it written "./a%41:b", which is tried.
	 * Not for a reference that names a host ("//h:x/"): "./" would make it a path on ours.
	 */
	if (!url && !uri_scheme_length(ref->ptr) && strncmp(ref->ptr, "//", 2) != 0 &&
	    buf_insert_dot_slash(ref) == 0)
		url = xmlBuildURI(BAD_CAST ref->ptr, BAD_CAST protected_base);
	if (!url)
		return buf_add(out, v, len);
	rc = unprotect(out, (const char *)url,
		       !uri_scheme_length(ref->ptr) && strncmp(ref->ptr, "//", 2) != 0);
	xmlFree(url);
	return rc < 0 ? -1 : buf_add(out, fragment, (size_t)(v + len - fragment));
}

/* The first byte of the next value of url_attributes in html, or NULL. */
static const char *
next_url(const char *html)
{
	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		for (size_t i = 0; i < sizeof(url_attributes) / sizeof(*url_attributes); i++) {
			size_t n = strlen(url_attributes[i]);

			if (strncmp(p, url_attributes[i], n) == 0)
				return p + n;
		}
	}
	return NULL;
}

int
links_absolute(struct buf *out, const char *html, const char *base)
{
	struct buf protected_base = BUF_INIT, ref = BUF_INIT;
	const char *p = html, *value, *quote;
	int rc = -1;

	if (!html || !base || buf_add(out, "", 0) < 0 || protect_base(&protected_base, base) < 0)
		goto out;
	while ((value = next_url(p)) && (quote = strchr(value, '"'))) {
		if (buf_add(out, p, (size_t)(value - p)) < 0 ||
		    resolve(out, value, (size_t)(quote - value), protected_base.ptr, &ref) < 0)
			goto out;
		p = quote;
	}
	rc = buf_puts(out, p);
out:
	buf_release(&protected_base);
	buf_release(&ref);
	return rc;
}

/*
 * Whether c may stand in a reference links_site_path resolves: ASCII that RFC 3986 lets stand
 * unescaped in a path or authority. Escapes, spaces and other characters are never in the address
 * of a page of the site (slugs are [a-z0-9._-]), so such a link is left unchecked.
 */
static int
plain_uri_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~/:@!$&'()*+,;=", c));
}

char *
links_site_path(const char *url, const char *base, const char *site_url)
{
	size_t cut = strcspn(url, "?#"), site_len = strlen(site_url), origin;
	const char *authority = strstr(site_url, "://");
	char *ref, *path = NULL;
	xmlChar *abs;

	if (cut == 0 || !authority || !strchr(authority + 3, '/'))
		return NULL;
	for (size_t i = 0; i < cut; i++)
		if (!plain_uri_char((unsigned char)url[i]))
			return NULL;
	ref = xstrndup(url, cut);
	abs = xmlBuildURI(BAD_CAST ref, BAD_CAST base);
	free(ref);
	if (!abs)
		return NULL;
	/* The scheme and host in any case, as the host compares; the path as written. */
	origin = (size_t)(strchr(authority + 3, '/') - site_url);
	if (strncasecmp((const char *)abs, site_url, origin) == 0 &&
	    strncmp((const char *)abs + origin, site_url + origin, site_len - origin) == 0)
		path = xstrdup((const char *)abs + site_len);
	xmlFree(abs);
	return path;
}
