/*
 * atom: the Atom feed (RFC 4287) of one FEED of the site model, written with libxml2's writer
 * through xmlout. Everything comes from the model already formatted, but for the links of an
 * entry's body, made absolute (links.h); nothing here reads a clock, so equal models give equal
 * bytes.
 */
#include <jansson.h>

#include "feeds.h"
#include "links.h"
#include "model.h"
#include "xmlout.h"

#define ATOM_NS "http://www.w3.org/2005/Atom"

/* <category term= scheme= label=/> (section 4.2.2): scheme names which vocabulary term is from. */
static void
category(struct xmlout *x, const char *term, const char *scheme, const char *label)
{
	xmlout_start(x, "category");
	xmlout_attr(x, "term", term);
	xmlout_attr(x, "scheme", scheme);
	if (label && *label)
		xmlout_attr(x, "label", label);
	xmlout_end(x);
}

static void
entry(struct xmlout *x, const json_t *e, const char *level_scheme, const char *scope_scheme)
{
	struct buf html = BUF_INIT;

	xmlout_start(x, "entry");
	xmlout_element(x, "title", model_str(e, "title"));
	xmlout_element(x, "id", model_str(e, "id"));
	/* Section 4.2.9: published is when the level took effect; 4.2.15: updated only moves
	 * on a revision the editor marked (invariant 7). */
	xmlout_element(x, "published", model_str(e, "date_utc"));
	xmlout_element(x, "updated", model_str(e, "updated_utc"));
	xmlout_link(x, "link", "alternate", "text/html", model_str(e, "url"));
	category(x, model_str(e, "level"), level_scheme, model_str_or_empty(e, "level_title"));
	if (*model_str_or_empty(e, "scope"))
		category(x, model_str(e, "scope"), scope_scheme, model_str_or_empty(e, "scope_title"));
	/* Section 4.1.3: type="text" and type="html" carry their content as escaped text. */
	if (*model_str_or_empty(e, "summary_text")) {
		xmlout_start(x, "summary");
		xmlout_attr(x, "type", "text");
		xmlout_text(x, model_str(e, "summary_text"));
		xmlout_end(x);
	}
	/* The body's links as its page has them (links.h); on failure html.ptr is NULL, which
	 * marks the writer failed. */
	if (links_absolute(&html, model_str(e, "content_html"), model_str(e, "url")) < 0)
		buf_release(&html);
	xmlout_start(x, "content");
	xmlout_attr(x, "type", "html");
	xmlout_text(x, html.ptr);
	xmlout_end(x);
	xmlout_end(x);
	buf_release(&html);
}

int
atom_write(struct buf *out, const json_t *site, const json_t *feed)
{
	struct buf level_scheme = BUF_INIT, scope_scheme = BUF_INIT;
	const char *author, *version;
	struct xmlout *x = NULL;
	const json_t *v;
	size_t i;
	int rc = -1;

	/* Scheme IRIs only name the vocabularies (section 4.2.2.2); levels/ is the page that
	 * explains the levels. */
	if (!model_str(site, "url") ||
	    buf_printf(&level_scheme, "%slevels/", model_str(site, "url")) < 0 ||
	    buf_printf(&scope_scheme, "%sscopes/", model_str(site, "url")) < 0)
		goto out;
	x = xmlout_new();
	if (!x)
		goto out;

	xmlout_start(x, "feed");
	xmlout_attr(x, "xmlns", ATOM_NS);
	if (*model_str_or_empty(site, "language"))
		xmlout_attr(x, "xml:lang", model_str(site, "language"));
	xmlout_element(x, "title", model_str(feed, "title"));
	if (*model_str_or_empty(feed, "subtitle"))
		xmlout_element(x, "subtitle", model_str(feed, "subtitle"));
	xmlout_element(x, "id", model_str(feed, "id"));
	xmlout_element(x, "updated", model_str(feed, "updated"));
	xmlout_link(x, "link", "self", "application/atom+xml", model_str(feed, "atom_url"));
	xmlout_link(x, "link", "alternate", "text/html", model_str(feed, "home_url"));
	/* WebSub (W3C Recommendation, section 4): subscribers find the hubs from rel="hub". */
	json_array_foreach(json_object_get(feed, "hubs"), i, v)
		xmlout_link(x, "link", "hub", NULL, json_string_value(v));

	/* Section 4.2.1: a feed-level author covers every entry. An organisation's name, never a
	 * person's address (invariant 2). */
	author = *model_str_or_empty(site, "author") ? model_str(site, "author") : model_str(site, "title");
	xmlout_start(x, "author");
	xmlout_element(x, "name", author);
	xmlout_end(x);

	version = model_str_or_empty(site, "version");
	xmlout_start(x, "generator");
	if (*version)
		xmlout_attr(x, "version", version);
	xmlout_text(x, *model_str_or_empty(site, "generator") ? model_str(site, "generator") : "threatfeed");
	xmlout_end(x);

	json_array_foreach(json_object_get(feed, "entries"), i, v)
		entry(x, v, level_scheme.ptr, scope_scheme.ptr);
	xmlout_end(x);
	rc = xmlout_finish(x, out);
out:
	xmlout_free(x);
	buf_release(&level_scheme);
	buf_release(&scope_scheme);
	return rc;
}
