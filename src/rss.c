/*
 * rss: the RSS 2.0 feed (https://www.rssboard.org/rss-specification) of one FEED of the site
 * model, written with libxml2's writer through xmlout. Atom's link element carries what RSS
 * lacks: the feed's own address and its WebSub hubs. Nothing here reads a clock.
 */
#include <jansson.h>

#include "feeds.h"
#include "xmlout.h"

#define ATOM_NS "http://www.w3.org/2005/Atom"
#define RSS_DOCS "https://www.rssboard.org/rss-specification"

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *
opt(const json_t *o, const char *key)
{
	const char *s = str(o, key);

	return s ? s : "";
}

static void
atom_link(struct xmlout *x, const char *rel, const char *type, const char *href)
{
	xmlout_start(x, "atom:link");
	xmlout_attr(x, "rel", rel);
	if (type)
		xmlout_attr(x, "type", type);
	xmlout_attr(x, "href", href);
	xmlout_end(x);
}

static void
item(struct xmlout *x, const json_t *e)
{
	xmlout_start(x, "item");
	xmlout_element(x, "title", str(e, "title"));
	xmlout_element(x, "link", str(e, "url"));
	/* The id is a tag: URI, not an address: say so, or readers would try to open it. */
	xmlout_start(x, "guid");
	xmlout_attr(x, "isPermaLink", "false");
	xmlout_text(x, str(e, "id"));
	xmlout_end(x);
	xmlout_element(x, "pubDate", str(e, "date_rfc822"));
	xmlout_element(x, "category", str(e, "level_title"));
	/* The HTML goes in as escaped text, as the specification's "entity-encoded" HTML. */
	xmlout_element(x, "description", str(e, "content_html"));
	xmlout_end(x);
}

int
rss_write(struct buf *out, const json_t *site, const json_t *feed)
{
	struct buf generator = BUF_INIT;
	struct xmlout *x = NULL;
	const json_t *v;
	size_t i;
	int rc = -1;

	if (buf_puts(&generator, *opt(site, "generator") ? str(site, "generator") : "threatfeed") < 0 ||
	    (*opt(site, "version") && buf_printf(&generator, " %s", str(site, "version")) < 0))
		goto out;
	x = xmlout_new();
	if (!x)
		goto out;

	xmlout_start(x, "rss");
	xmlout_attr(x, "version", "2.0");
	xmlout_attr(x, "xmlns:atom", ATOM_NS);
	xmlout_start(x, "channel");
	xmlout_element(x, "title", str(feed, "title"));
	xmlout_element(x, "link", str(feed, "home_url"));
	/* description is required in a channel: fall back on the title. */
	xmlout_element(x, "description",
	               *opt(feed, "subtitle") ? str(feed, "subtitle") : str(feed, "title"));
	if (*opt(site, "language"))
		xmlout_element(x, "language", str(site, "language"));
	/* From the entries, not from the build's clock, so that rebuilding changes no byte. */
	xmlout_element(x, "lastBuildDate", str(feed, "updated_rfc822"));
	xmlout_element(x, "generator", generator.ptr);
	xmlout_element(x, "docs", RSS_DOCS);
	atom_link(x, "self", "application/rss+xml", str(feed, "rss_url"));
	json_array_foreach(json_object_get(feed, "hubs"), i, v)
		atom_link(x, "hub", NULL, json_string_value(v));
	json_array_foreach(json_object_get(feed, "entries"), i, v)
		item(x, v);
	xmlout_end(x);
	xmlout_end(x);
	rc = xmlout_finish(x, out);
out:
	xmlout_free(x);
	buf_release(&generator);
	return rc;
}
