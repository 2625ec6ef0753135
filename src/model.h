/*
 * model: the site model, one jansson tree built from the settings and the content files. Loaders
 * build it, the page renderer and the feed writers only read it, and `threatfeed build --dump-model`
 * prints it. Every string in it is valid UTF-8 without characters XML 1.0 forbids.
 *
 * Shape (all strings unless noted; "abs" means an absolute URL under site.url, "rel" a path
 * relative to the site root, "" for the root itself):
 *
 * {
 *   "site": { "title", "url" (abs, ends in '/'), "description", "language", "author",
 *             "generator" ("threatfeed"), "version", "multiple_scopes" (bool) },
 *   "levels": [ LEVEL... ]             lowest rank first
 *   "scopes": [ SCOPE... ]             config order; one unnamed scope when none is configured
 *   "current": [ ENTRY... ]            the current entry of each scope that has one
 *   "recent": [ ENTRY... ]             the five newest announcements
 *   "entries": [ ENTRY... ]            every announcement, newest first
 *   "feeds": [ FEED... ]               feeds[0] is the whole site's; then one per named scope
 *                                      when there are several scopes
 *   "pages": [ PAGE... ]               free pages from content/pages, by name
 *   "sitemap": [ { "url" (abs), "lastmod" (RFC 3339 UTC) }... ]   every HTML page: the scopes'
 *                                      (with several), home, history and levels pages, every
 *                                      ENTRY's (newest first; its lastmod is its updated, or
 *                                      the date of the later one that last changed its status),
 *                                      the free pages (with no lastmod: only their history
 *                                      could say when they changed)
 *   "sitemap_entries": { "first", "count" (ints) }   where the ENTRY pages are in "sitemap"
 * }
 *
 * LEVEL: { "name", "title", "rank" (int), "summary", "colour" ("#rrggbb"), "text_colour" }
 * SCOPE: { "name" ("" when unnamed), "title", "dir" (rel: "national/" or ""), "current" (ENTRY or
 *          null), "entries" [ENTRY...] newest first, "feed" (its FEED),
 *          "scale" [LEVEL + "is_current" (bool)...] lowest first, the current level marked }
 * ENTRY: { "id", "title", "source" (content path), "level", "level_title", "level_rank" (int),
 *          "level_summary", "level_colour", "level_text_colour", "scope", "scope_title",
 *          "direction" ("set" | "raised" | "lowered" | "reaffirmed"), "is_set", "is_raised",
 *          "is_lowered", "is_reaffirmed" (bools), "previous_level_title" (absent for the first),
 *          "date" (RFC 3339 as written), "date_utc", "date_rfc822", "date_human", "time_human",
 *          "epoch" (int), "updated", "updated_utc", "updated_rfc822", "updated_human",
 *          "is_revised" (bool: updated differs from date), "year", "slug",
 *          "path" (rel: "2014/raised-to-severe/"), "url" (abs), "aliases" ([rel...]: its
 *          earlier addresses, from the front matter; absent when none), "content_html",
 *          "source_id" (the Git blob id of the source file; content_html derives from it alone),
 *          "summary_text" (plain text of the first paragraph, at most 300 bytes),
 *          "is_current" (bool), "is_in_force" (bool: its level is still its scope's, no other
 *          level announced since; true for the current entry and for those it and others only
 *          reaffirmed),
 *          and, on a current entry only, when its level took effect: "since" (RFC 3339 as
 *          written), "since_utc", "since_human", "since_time_human", the date of the oldest of the
 *          announcements at that level that lead up to it (its own "date" unless it reaffirms) }
 * FEED:  { "dir" (rel), "title", "subtitle", "id" (abs URL of its atom.xml, fixed forever),
 *          "home_url" (abs), "atom_url", "rss_url", "json_url" (abs), "hubs" [abs...],
 *          "updated" (RFC 3339 UTC: newest "updated" of its entries; when it has none,
 *          the site feed's; when the site has none, the time of the commit built, or
 *          the epoch for a preview of the work tree or the index),
 *          "updated_rfc822", "entries" [ENTRY...] newest feed.entries announcements }
 * PAGE:  { "name", "title", "path" (rel: "pages/about/"), "url" (abs), "content_html", "source",
 *          "aliases" (as an ENTRY's) }
 *
 * The same ENTRY object is shared between arrays (jansson reference counts): treat it as read-only.
 *
 * What an ENTRY has in common with the others of its level, scope, direction and previous level
 * (the "level*", "scope*", "direction", "is_set" ... "is_reaffirmed" and "previous_level_title"
 * members) lives in one object under the entry's empty key "", shared by all of them: a big site's
 * model is a quarter smaller. Read members with model_get (templates do: template.h); --dump-model
 * prints each entry flat (model_flat).
 */
#ifndef THREATFEED_MODEL_H
#define THREATFEED_MODEL_H

#include <jansson.h>

#include <string.h>

#include "config.h"
#include "repo.h"
#include "template.h"
#include "util.h"

/* Member `key` of a model object, its own or shared (see above); NULL when absent. */
static inline json_t *
model_get(const json_t *obj, const char *key)
{
	return template_member(obj, key, strlen(key));
}

/* The string member `key` of a model object, or NULL when absent (readers of the model use these). */
static inline const char *
model_str(const json_t *obj, const char *key)
{
	return json_string_value(model_get(obj, key));
}

/* The same, "" when absent. */
static inline const char *
model_str_or_empty(const json_t *obj, const char *key)
{
	const char *s = model_str(obj, key);

	return s ? s : "";
}

/*
 * Reads the .md files of content/levels/ and content/pages/ from src and validates them against cfg:
 * every problem in every file is reported through d with path:line:col (text encoding, front
 * matter, unknown or missing keys, levels, scopes, dates, duplicate ids and page paths, symlinks,
 * submodules, oversized files). Returns -1 when any error was reported, else 0 with *out set
 * (json_decref it).
 */
int model_build(json_t **out, const struct config *cfg, const struct source_set *src, struct diag *d);

/*
 * A memo of announcements between builds (cache.h keeps it): a file that loaded without any
 * message is handed to put as an opaque record; a file repo_read_skipping left unread is built
 * from get's record for its blob id instead of its bytes, or, without a usable record, read by
 * read (from the loading threads, several at once) and loaded. With a memo no ENTRY has
 * "content_html" until model_entry_content or model_entry_set_html adds it (the build does for
 * the pages and feeds that show it, and drops it again once written, so that a big site's bodies
 * are never all in memory). With a memo, model_build_memo also frees the bytes of each
 * announcement it loaded and marks its source_file unread (repo_load reads it again): src is
 * otherwise left as it was.
 * Records are only valid for the same binary and settings: the caller keys the memo on both.
 */
struct model_memo {
	const char *(*get)(void *arg, const char *id, size_t *len);
	/*
	 * Asked once, when the model is built, with the number of records there are: whether put
	 * should be given them (the memo is rewritten), or not (it is good enough as it is). NULL:
	 * always.
	 */
	int (*want)(void *arg, size_t records);
	void (*put)(void *arg, const char *id, const char *rec, size_t len);
	int (*read)(void *arg, struct source_file *f, struct diag *d);
	/*
	 * Given the HTML of an announcement read and loaded without errors in this build (from a
	 * loading thread, several at once), to keep outside the model for its page and the feeds,
	 * which then need not read and render it again. NULL: the loading threads make no HTML.
	 */
	void (*keep_html)(void *arg, const struct source_file *f, const char *html, size_t len);
	/*
	 * Given, for the ENTRY at index in "entries", a digest of everything it is made from besides
	 * the settings and the binary ("" when there is none): equal keys, equal ENTRY objects.
	 */
	void (*entry_key)(void *arg, size_t index, const char *key);
	void *arg;
};

int model_build_memo(json_t **out, const struct config *cfg, const struct source_set *src,
		     const struct model_memo *memo, struct diag *d);
/*
 * The body `threatfeed new` writes for the editor to replace. An announcement with a paragraph
 * line that is still this sentence is refused, so an unedited file can never be published.
 */
#define MODEL_PLACEHOLDER_BODY "Say what changed, why, and what the public should do."

/* A deep copy of v in which each object holds its shared members itself (json_decref it). */
json_t *model_flat(json_t *v);

/* Adds "content_html" to an ENTRY built from a memo, once f (its source) has been read. */
int model_entry_content(json_t *entry, const struct source_file *f, struct diag *d);
/* The same with html (NUL-terminated, as keep_html was given it) instead of reading f. */
int model_entry_set_html(json_t *entry, const char *html);
/*
 * Appends the HTML of announcement f (read, and loaded cleanly by this build or the one its cached
 * record came from) to out, leaving the model alone; any thread may call.
 */
int model_entry_html(struct buf *out, const struct source_file *f, struct diag *d);

/* Default entry id: stable across renames and edits (see model.c). Caller frees. */
char *model_default_id(const struct config *cfg, const char *scope, const struct timestamp *date);

#endif
