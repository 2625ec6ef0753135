/*
 * rss: the RSS 2.0 feed (https://www.rssboard.org/rss-specification) of one FEED of the site
 * model, written with libxml2's writer through xmlout. Atom's link element carries what RSS
 * lacks: the feed's own address and its WebSub hubs. Nothing here reads a clock.
 */
#include <jansson.h>

#include "feeds.h"
#include "links.h"
#include "model.h"
#include "xmlout.h"

#define ATOM_NS "http://www.w3.org/2005/Atom"
#define RSS_DOCS "https://www.rssboard.org/rss-specification"

static void
item(struct xmlout *x, const json_t *e)
{
	struct buf html = BUF_INIT;

	xmlout_start(x, "item");
	xmlout_element(x, "title", model_str(e, "title"));
	xmlout_element(x, "link", model_str(e, "url"));
	/* The id is a tag: URI, not an address: say so, or readers would try to open it. */
	xmlout_start(x, "guid");
	xmlout_attr(x, "isPermaLink", "false");
	xmlout_text(x, model_str(e, "id"));
	xmlout_end(x);
	xmlout_element(x, "pubDate", model_str(e, "date_rfc822"));
	xmlout_element(x, "category", model_str(e, "level_title"));
	/* The HTML goes in as escaped text, as the specification's "entity-encoded" HTML, with
	 * its links as its page has them (links.h); on failure html.ptr is NULL, which marks the
	 * writer failed. */
	if (links_absolute(&html, model_str(e, "content_html"), model_str(e, "url")) < 0)
		buf_release(&html);
	xmlout_element(x, "description", html.ptr);
	xmlout_end(x);
	buf_release(&html);
}

int
rss_write(struct buf *out, const json_t *site, const json_t *feed)
{
	struct buf generator = BUF_INIT;
	struct xmlout *x = NULL;
	const json_t *v;
	size_t i;
	int rc = -1;

	if (buf_puts(&generator, *model_str_or_empty(site, "generator") ? model_str(site, "generator") : "threatfeed") < 0 ||
	    (*model_str_or_empty(site, "version") && buf_printf(&generator, " %s", model_str(site, "version")) < 0))
		goto out;
	x = xmlout_new();
	if (!x)
		goto out;

	xmlout_start(x, "rss");
	xmlout_attr(x, "version", "2.0");
	xmlout_attr(x, "xmlns:atom", ATOM_NS);
	xmlout_start(x, "channel");
	xmlout_element(x, "title", model_str(feed, "title"));
	xmlout_element(x, "link", model_str(feed, "home_url"));
	/* description is required in a channel: fall back on the title. */
	xmlout_element(x, "description",
	               *model_str_or_empty(feed, "subtitle") ? model_str(feed, "subtitle") : model_str(feed, "title"));
	if (*model_str_or_empty(site, "language"))
		xmlout_element(x, "language", model_str(site, "language"));
	/* From the entries, not from the build's clock, so that rebuilding changes no byte. */
	xmlout_element(x, "lastBuildDate", model_str(feed, "updated_rfc822"));
	xmlout_element(x, "generator", generator.ptr);
	xmlout_element(x, "docs", RSS_DOCS);
	xmlout_link(x, "atom:link", "self", "application/rss+xml", model_str(feed, "rss_url"));
	json_array_foreach(json_object_get(feed, "hubs"), i, v)
		xmlout_link(x, "atom:link", "hub", NULL, json_string_value(v));
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
