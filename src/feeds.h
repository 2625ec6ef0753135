/*
 * feeds: the machine-readable outputs, written from the site model (see model.h for its shape).
 * Atom, RSS and the sitemap are written with libxml2's xmlTextWriter, never by concatenation
 * (invariant 3); JSON Feed and level.json with jansson. Each appends the complete file to out.
 * An entry's body is its page's HTML with relative links made absolute against the page's URL
 * (links.h), as a reader would resolve them against the feed's.
 * Values were validated by the model (UTF-8, XML 1.0 characters), and every writer call is still
 * checked (they return byte counts, -1 on failure). Returns -1 on failure.
 * The sitemap may be several files (sitemap_write).
 */
#ifndef THREATFEED_FEEDS_H
#define THREATFEED_FEEDS_H

#include <jansson.h>

#include "util.h"

/* RFC 4287 Atom feed for model["feeds"][i] = feed (see model.h). */
int atom_write(struct buf *out, const json_t *site, const json_t *feed);
/* RSS 2.0 with atom:link rel="self" (and rel="hub" per WebSub hub). */
int rss_write(struct buf *out, const json_t *site, const json_t *feed);
/* JSON Feed 1.1. */
int jsonfeed_write(struct buf *out, const json_t *site, const json_t *feed);
/* level.json: the current level of every scope (fields documented in README.md). */
int levels_json_write(struct buf *out, const json_t *model);

/*
 * What one sitemap file may hold, in URLs and in bytes (uncompressed). The sitemaps.org 0.9
 * protocol allows 50,000 and 50 MB, 52,428,800 bytes, and as many sitemaps to a sitemap index
 * (https://www.sitemaps.org/protocol.html, "Using Sitemap index files").
 */
struct sitemap_limits {
	size_t urls, bytes;
};
#define SITEMAP_MAX_URLS ((size_t)50000)
#define SITEMAP_MAX_BYTES ((size_t)52428800)

/* One file of the sitemap: its name in the site's root folder and its bytes. */
struct sitemap_file {
	char name[32];
	struct buf data;
};

/* The files of a site's sitemap; files[0] is always sitemap.xml. SITEMAP_INIT, then sitemap_release. */
struct sitemap {
	struct sitemap_file *files;
	size_t n;
};
#define SITEMAP_INIT { NULL, 0 }

/*
 * The sitemap (sitemaps.org 0.9) of model["sitemap"], one <url> per item ({"url", "lastmod"}, or
 * "url" alone for a page with no date of its own),
 * into out (which must be empty). When the items fit in one file's limits, that is sitemap.xml,
 * in the model's order. When they do not, they go into parts sitemap-1.xml, sitemap-2.xml ...
 * and sitemap.xml is the sitemap index that lists them, each with the newest lastmod of its URLs
 * (none when none of them has one), at site.url. The parts hold the ENTRY pages oldest first (model["sitemap_entries"] says where
 * they are among the items), then the other pages, each part filled as far as the limits let it:
 * a new announcement changes the last part (and the index) alone, as the others hold the same
 * URLs as before. limits NULL: the protocol's (the tests pass smaller ones). Returns -1, with out
 * empty, on failure: an item without a string url or with a lastmod not a string, one URL too big for a file, more
 * parts than an index may list, or a writer failure.
 */
int sitemap_write(struct sitemap *out, const json_t *model, const struct sitemap_limits *limits);
void sitemap_release(struct sitemap *s);

#endif
