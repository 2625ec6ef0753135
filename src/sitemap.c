/*
 * sitemap: sitemap.xml in the sitemaps.org 0.9 protocol, one <url> per HTML page of the model,
 * written with libxml2's writer through xmlout.
 */
#include <jansson.h>

#include "feeds.h"
#include "model.h"
#include "xmlout.h"

#define SITEMAP_NS "http://www.sitemaps.org/schemas/sitemap/0.9"

int
sitemap_write(struct buf *out, const json_t *model)
{
	struct xmlout *x;
	const json_t *v;
	size_t i;
	int rc;

	x = xmlout_new();
	if (!x)
		return -1;
	xmlout_start(x, "urlset");
	xmlout_attr(x, "xmlns", SITEMAP_NS);
	json_array_foreach(json_object_get(model, "sitemap"), i, v) {
		xmlout_start(x, "url");
		xmlout_element(x, "loc", model_str(v, "url"));
		/* The protocol takes W3C Datetime, of which RFC 3339 UTC is one form. */
		xmlout_element(x, "lastmod", model_str(v, "lastmod"));
		xmlout_end(x);
	}
	xmlout_end(x);
	rc = xmlout_finish(x, out);
	xmlout_free(x);
	return rc;
}
