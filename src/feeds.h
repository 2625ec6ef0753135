/*
 * feeds: the machine-readable outputs, written from the site model (see model.h for its shape).
 * Atom, RSS and the sitemap are written with libxml2's xmlTextWriter, never by concatenation
 * (invariant 3); JSON Feed and level.json with jansson. Each appends the complete file to out.
 * An entry's body is its page's HTML with relative links made absolute against the page's URL
 * (links.h), as a reader would resolve them against the feed's.
 * Values were validated by the model (UTF-8, XML 1.0 characters), and every writer call is still
 * checked (they return byte counts, -1 on failure). Returns -1 on failure.
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
/* sitemap.xml (sitemaps.org 0.9): one <url> per item of model["sitemap"] ({"url", "lastmod"}). */
int sitemap_write(struct buf *out, const json_t *model);

#endif
