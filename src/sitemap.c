/*
 * sitemap: sitemap.xml in the sitemaps.org 0.9 protocol, one <url> per HTML page of the model,
 * written with libxml2's writer through xmlout; beyond one file's limits, a sitemap index and
 * its parts (feeds.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feeds.h"
#include "model.h"
#include "xmlout.h"

#define SITEMAP_NS "http://www.sitemaps.org/schemas/sitemap/0.9"
/* What xmlout_finish adds after the last <url>: the closing tag and its newline. */
#define URLSET_CLOSE "</urlset>\n"

static const struct sitemap_limits protocol_limits = { SITEMAP_MAX_URLS, SITEMAP_MAX_BYTES };

/*
 * A urlset of items[0..n) into out, and in *end how many of them it holds: all of them, or as
 * many as fit in lim when whole is 0 (at least one, or it fails). With whole, *end < n says
 * they do not all fit, and out is left as it was. The size is checked after each <url>: when one
 * passes the limit, the file is written again without it.
 */
static int
write_urlset(struct buf *out, size_t *end, json_t *const *items, size_t n,
	     const struct sitemap_limits *lim, int whole)
{
	struct xmlout *x;
	size_t i, size;
	int rc = -1;

	x = xmlout_new();
	if (!x)
		return -1;
	xmlout_start(x, "urlset");
	xmlout_attr(x, "xmlns", SITEMAP_NS);
	for (i = 0; i < n && i < lim->urls; i++) {
		xmlout_start(x, "url");
		xmlout_element(x, "loc", model_str(items[i], "url"));
		/*
		 * The protocol takes W3C Datetime, of which RFC 3339 UTC is one form. It is optional:
		 * a page may have none, but one that is not a string fails the writer.
		 */
		if (json_object_get(items[i], "lastmod"))
			xmlout_element(x, "lastmod", model_str(items[i], "lastmod"));
		xmlout_end(x);
		if (xmlout_size(&size, x) < 0)
			goto out;
		if (size + strlen(URLSET_CLOSE) > lim->bytes)
			break;
	}
	*end = i;
	if (i < n && whole) {
		rc = 0;
	} else if (i < n && i < lim->urls) {
		/* items[i] did not fit: the file ends before it. */
		if (i > 0)
			rc = write_urlset(out, end, items, i, lim, 1);
	} else {
		rc = xmlout_finish(x, out);
	}
out:
	xmlout_free(x);
	return rc;
}

/* The newest of items[0..n)'s lastmod: they are all RFC 3339 UTC, which sorts as text. */
static const char *
newest_lastmod(json_t *const *items, size_t n)
{
	const char *newest = NULL, *s;

	for (size_t i = 0; i < n; i++)
		if ((s = model_str(items[i], "lastmod")) && (!newest || strcmp(s, newest) > 0))
			newest = s;
	return newest;
}

static struct sitemap_file *
add_file(struct sitemap *s)
{
	struct sitemap_file *f;

	s->files = xreallocarray(s->files, s->n + 1, sizeof(*s->files));
	f = &s->files[s->n++];
	memset(f, 0, sizeof(*f));
	return f;
}

/*
 * The items in the order the parts take them: the ENTRY pages oldest first, so that what is
 * added to a site lands in the last part, then the other pages in the model's order.
 */
static json_t **
parts_order(const json_t *model, const json_t *list, size_t n)
{
	const json_t *where = json_object_get(model, "sitemap_entries");
	size_t first = (size_t)json_integer_value(json_object_get(where, "first"));
	size_t count = (size_t)json_integer_value(json_object_get(where, "count"));
	json_t **items = xreallocarray(NULL, n ? n : 1, sizeof(*items));
	size_t i, k = 0;

	if (first > n || count > n - first)
		first = count = 0;
	for (i = first + count; i-- > first;)
		items[k++] = json_array_get(list, i);
	for (i = 0; i < n; i++)
		if (i < first || i >= first + count)
			items[k++] = json_array_get(list, i);
	return items;
}

/* The index of the parts files[1..] (sitemaps.org 0.9, "Using Sitemap index files"). */
static int
write_index(struct buf *out, const struct sitemap *s, const char *const *lastmods,
	    const char *site_url)
{
	struct xmlout *x;
	struct buf loc = BUF_INIT;
	int rc;

	x = xmlout_new();
	if (!x)
		return -1;
	xmlout_start(x, "sitemapindex");
	xmlout_attr(x, "xmlns", SITEMAP_NS);
	for (size_t i = 1; i < s->n; i++) {
		buf_reset(&loc);
		buf_printf(&loc, "%s%s", site_url, s->files[i].name);
		xmlout_start(x, "sitemap");
		xmlout_element(x, "loc", loc.ptr);
		if (lastmods[i])
			xmlout_element(x, "lastmod", lastmods[i]);
		xmlout_end(x);
	}
	rc = xmlout_finish(x, out);
	xmlout_free(x);
	buf_release(&loc);
	return rc;
}

int
sitemap_write(struct sitemap *out, const json_t *model, const struct sitemap_limits *limits)
{
	const json_t *list = json_object_get(model, "sitemap");
	const char *site_url = model_str(json_object_get(model, "site"), "url");
	size_t n = json_array_size(list), begin, end, i;
	const char **lastmods = NULL;
	json_t **items = NULL;
	struct buf index = BUF_INIT;
	int rc = -1;

	assert(out->n == 0);
	if (!limits)
		limits = &protocol_limits;
	memcpy(add_file(out)->name, "sitemap.xml", sizeof("sitemap.xml"));
	/* Within the limits, the one file in the model's order that every site had before. */
	if (n <= limits->urls) {
		items = xreallocarray(NULL, n ? n : 1, sizeof(*items));
		for (i = 0; i < n; i++)
			items[i] = json_array_get(list, i);
		if (write_urlset(&out->files[0].data, &end, items, n, limits, 1) < 0)
			goto out;
		if (end == n) {
			rc = 0;
			goto out;
		}
		free(items);
	}
	items = parts_order(model, list, n);
	lastmods = xreallocarray(NULL, 1, sizeof(*lastmods));
	lastmods[0] = NULL;
	for (begin = 0; begin < n; begin = end) {
		struct sitemap_file *f = add_file(out);

		/* An index may list as many sitemaps as a sitemap may list URLs. */
		if (out->n - 1 > limits->urls)
			goto out;
		snprintf(f->name, sizeof(f->name), "sitemap-%zu.xml", out->n - 1);
		if (write_urlset(&f->data, &end, items + begin, n - begin, limits, 0) < 0)
			goto out;
		end += begin;
		lastmods = xreallocarray(lastmods, out->n, sizeof(*lastmods));
		lastmods[out->n - 1] = newest_lastmod(items + begin, end - begin);
	}
	if (!site_url || write_index(&index, out, lastmods, site_url) < 0 || index.len > limits->bytes)
		goto out;
	out->files[0].data = index;
	index = (struct buf)BUF_INIT;
	rc = 0;
out:
	if (rc < 0)
		sitemap_release(out);
	buf_release(&index);
	free(lastmods);
	free(items);
	return rc;
}

void
sitemap_release(struct sitemap *s)
{
	for (size_t i = 0; i < s->n; i++)
		buf_release(&s->files[i].data);
	free(s->files);
	s->files = NULL;
	s->n = 0;
}
