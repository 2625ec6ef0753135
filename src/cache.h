/*
 * cache: remembers the last successful build, so that building an unchanged commit again costs a
 * few hundred microseconds of Git lookups and one stat per site file instead of a full build.
 *
 * The cache lives in the repository's Git folder, under "threatfeed/build-cache", never in the
 * site. It holds a key (what the build read: the binary, the tree ids of the settings, content
 * and templates, and the site folder), the time of the commit built and, for every file of the
 * site, the inode, size, mtime and ctime it had right after that build. A build whose key matches,
 * of a commit made no earlier, and whose files all still stat the same would write nothing and
 * say nothing, so it can stop there: an earlier commit of the same trees may have to warn of a
 * date far ahead of it, which only the commit's time tells. Anything else (no cache, another key,
 * an older commit, a file edited, deleted or replaced by hand, a truncated or corrupt cache) falls
 * back to the full build, which compares bytes: the cache can make a build faster, never change
 * what it writes or says.
 */
#ifndef THREATFEED_CACHE_H
#define THREATFEED_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"

/* The cache's own folder inside the Git folder. */
#define CACHE_DIR "threatfeed/"
#define CACHE_FILE "build-cache"
/* A cache larger than this is ignored (it would list millions of files). */
#define CACHE_MAX ((size_t)256 << 20)

/*
 * 1 when the cache in git_dir (ending in '/') was recorded for exactly key, by a build of a commit
 * made at or before made_at, and every file it lists under site_dir still has the inode, size,
 * mtime and ctime recorded: the site is up to date and *nfiles is the number of site files. 0
 * otherwise, including for any problem reading the cache (a missing, stale or damaged cache is
 * not an error, only a slower build).
 */
int cache_site_is_current(const char *git_dir, const char *key, int64_t made_at,
			  const char *site_dir, size_t *nfiles);

struct cache_pages;

/*
 * Records key, made_at (the time of the commit built) and the current state of every file staged
 * in o (plus the manifest) under site_dir, replacing the cache atomically. Best effort: a failure
 * leaves no cache, which is only slower. known (may be NULL) supplies the state of the files it
 * found unchanged in this build (kept).
 */
void cache_record(const char *git_dir, const char *key, int64_t made_at, const char *site_dir,
		  const struct output *o, const struct cache_pages *known);

/*
 * Removes from git_dir's cache folder what a killed build left there: regular files of this user
 * named "<name>.tmp-XXXXXX", as every cache file (and the kept HTML, where O_TMPFILE is missing)
 * is first written. Only for a caller holding the build lock, under which all of them are
 * written, so that none is a live build's. Best effort; returns how many were removed.
 */
size_t cache_remove_leftovers(const char *git_dir);

/*
 * The pages cache: which input digest (output_set_tag) each site file was last rendered from, and
 * how it stat'ed right after. A page whose digest is the same and whose file still stats the same
 * holds exactly what rendering it again would give, so it can be kept (output_keep) unrendered.
 * cache_pages_load never fails: a missing, damaged or foreign cache is empty.
 */
struct cache_pages *cache_pages_load(const char *git_dir, const char *site_dir);
/* Notes a fresh file as checked, so that recording needs no second stat (kept files only). */
int cache_pages_fresh(struct cache_pages *c, const char *relpath, const char *tag);
/*
 * The same in two steps, for a caller that compares tags its own way: the tag recorded for
 * relpath when its file still stats as recorded (else NULL, and *page NULL); then, for a file the
 * caller keeps, cache_pages_keep(*page). Any thread may call both, for different files.
 */
struct cache_page;
const char *cache_pages_check(struct cache_pages *c, const char *relpath, struct cache_page **page);
void cache_pages_keep(struct cache_page *page);
void cache_pages_free(struct cache_pages *c);
/* Records every tagged file of o as it is now under site_dir; best effort. */
void cache_pages_record(const char *git_dir, const char *site_dir, const struct output *o,
			const struct cache_pages *known);

/*
 * The entries cache: the model's record of each announcement that loaded cleanly, by blob id,
 * valid for one digest (of the binary and the settings, on which validation depends). Records
 * are opaque here (model.h). A missing, damaged or foreign cache loads empty.
 */
struct cache_entries;

struct cache_entries *cache_entries_load(const char *git_dir, const char *digest);
/* The record for blob id (40 hex digits), or NULL. */
const char *cache_entries_get(const struct cache_entries *c, const char *id, size_t *len);
size_t cache_entries_count(const struct cache_entries *c);
void cache_entries_free(struct cache_entries *c);
/* Appends one record to list, for cache_entries_record. */
void cache_entries_add(struct buf *list, const char *id, const char *rec, size_t len);
/* Replaces the cache with the records of list (duplicates dropped); best effort. */
void cache_entries_record(const char *git_dir, const char *digest, const struct buf *list);

#endif
