/*
 * jsonfeed: JSON Feed 1.1 (https://jsonfeed.org/version/1.1) and level.json, built as jansson
 * trees from the site model and dumped with two-space indent, members in the order written here,
 * and a final newline. Nothing here reads a clock, so equal models give equal bytes.
 *
 * level.json, version 1: the current level of every scope, for machines (status boards, scripts,
 * other sites). Fields are only ever added within a version; a change that could break a reader
 * raises "version". The top-level object holds "version" (the integer 1), "site" (an object with
 * the site's "title" and its absolute "url", ending in a slash), "updated" (the newest RFC 3339
 * UTC revision time among the current announcements, or 1970-01-01T00:00:00Z when there is
 * none), "scopes" and "levels". "scopes" is an array, in the site's configured order, with one
 * object per scope that has a current level; a scope with no announcement yet is left out. Its
 * members are "scope" (the scope's short name, or "" on a site that publishes a single level),
 * "title" (the scope's display name), "level" (the short name of the current level, such as
 * "severe"), "level_title" (its display name, such as "SEVERE"), "rank" (the level's place among
 * the site's levels, 1 for the lowest, whatever ranks the settings give them: the UK's SEVERE is
 * 4), "max_rank" (the rank of the highest level the site defines, which is the number of levels,
 * so that rank / max_rank places the level on a scale), "summary" (what the level means, in one
 * sentence), "since" (when the level took effect, RFC 3339 UTC: after announcements that only
 * reaffirm it, the date of the one that set, raised or lowered it), "announcement" (the absolute
 * URL of the announcement's page) and "id" (the announcement's permanent feed id, the same as in
 * the Atom, RSS and JSON feeds). "levels" lists every level the site defines, lowest rank first,
 * each with "name", "title", "rank" (1 to max_rank, as above), "summary" and "colour" (a
 * "#rrggbb" colour for displays).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feeds.h"
#include "links.h"
#include "model.h"

#define JSONFEED_VERSION "https://jsonfeed.org/version/1.1"
#define LEVELS_JSON_VERSION 1
#define EPOCH_UTC "1970-01-01T00:00:00Z"

/*
 * Members are set with the _new setters, which take the value even when they fail; a NULL value
 * (absent in the model, or a json_string refused for invalid UTF-8) makes them fail.
 */
static int
set_str(json_t *o, const char *key, const char *value)
{
	return json_object_set_new(o, key, value ? json_string(value) : NULL);
}

static int
append(const char *s, size_t len, void *arg)
{
	return buf_add(arg, s, len);
}

/*
 * Appends the dump of root and a newline to out, all or nothing. Straight into out: the string
 * json_dumps returns would come from jansson's allocator, which a build replaces (build.c).
 */
static int
dump(struct buf *out, const json_t *root)
{
	size_t before = out->len;

	/* JSON_PRESERVE_ORDER: members in the order set, which is the order documented. */
	if (json_dump_callback(root, append, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
	    buf_putc(out, '\n') < 0) {
		if (out->ptr) {
			out->len = before;
			out->ptr[before] = '\0';
		}
		return -1;
	}
	return 0;
}

/* The JSON Feed item of ENTRY e; NULL on failure. */
static json_t *
item(const json_t *e)
{
	json_t *o = json_object(), *tags = json_array(), *ret = NULL;
	struct buf html = BUF_INIT;
	const char *scope = *model_str_or_empty(e, "scope_title") ? model_str_or_empty(e, "scope_title") : model_str_or_empty(e, "scope");

	if (!o || !tags)
		goto out;
	/* The body's links as its page has them (links.h). */
	if (links_absolute(&html, model_str(e, "content_html"), model_str(e, "url")) < 0)
		goto out;
	if (set_str(o, "id", model_str(e, "id")) < 0 ||
	    set_str(o, "url", model_str(e, "url")) < 0 ||
	    set_str(o, "title", model_str(e, "title")) < 0 ||
	    set_str(o, "content_html", html.ptr) < 0 ||
	    (*model_str_or_empty(e, "summary_text") && set_str(o, "summary", model_str(e, "summary_text")) < 0) ||
	    /* The specification asks for RFC 3339: keep the offset the editor wrote. */
	    set_str(o, "date_published", model_str(e, "date")) < 0 ||
	    set_str(o, "date_modified", model_str(e, "updated")) < 0)
		goto out;
	if (json_array_append_new(tags, json_string(model_str_or_empty(e, "level_title"))) < 0 ||
	    (*model_str_or_empty(e, "scope") && json_array_append_new(tags, json_string(scope)) < 0) ||
	    json_object_set(o, "tags", tags) < 0)
		goto out;
	ret = o;
	o = NULL;
out:
	buf_release(&html);
	json_decref(tags);
	json_decref(o);
	return ret;
}

int
jsonfeed_write(struct buf *out, const json_t *site, const json_t *feed)
{
	json_t *root = json_object(), *authors = NULL, *hubs = NULL, *items = NULL, *a, *h;
	const json_t *v;
	const char *author;
	size_t i;
	int rc = -1;

	if (!root)
		goto out;
	if (set_str(root, "version", JSONFEED_VERSION) < 0 ||
	    set_str(root, "title", model_str(feed, "title")) < 0 ||
	    set_str(root, "home_page_url", model_str(feed, "home_url")) < 0 ||
	    set_str(root, "feed_url", model_str(feed, "json_url")) < 0 ||
	    (*model_str_or_empty(feed, "subtitle") && set_str(root, "description", model_str(feed, "subtitle")) < 0) ||
	    (*model_str_or_empty(site, "language") && set_str(root, "language", model_str(site, "language")) < 0))
		goto out;

	/* An organisation's name, never a person's address (invariant 2). */
	author = *model_str_or_empty(site, "author") ? model_str(site, "author") : model_str(site, "title");
	authors = json_array();
	a = json_object();
	/* json_array_append_new takes a, even when authors is NULL and it fails. */
	if (json_array_append_new(authors, a) < 0 || set_str(a, "name", author) < 0 ||
	    json_object_set(root, "authors", authors) < 0)
		goto out;

	/* The specification's hubs: only "WebSub" is in use; leave the member out when empty. */
	if (json_array_size(json_object_get(feed, "hubs"))) {
		hubs = json_array();
		if (!hubs || json_object_set(root, "hubs", hubs) < 0)
			goto out;
		json_array_foreach(json_object_get(feed, "hubs"), i, v) {
			h = json_object();
			if (json_array_append_new(hubs, h) < 0 || set_str(h, "type", "WebSub") < 0 ||
			    set_str(h, "url", json_string_value(v)) < 0)
				goto out;
		}
	}

	items = json_array();
	if (!items || json_object_set(root, "items", items) < 0)
		goto out;
	json_array_foreach(json_object_get(feed, "entries"), i, v) {
		if (json_array_append_new(items, item(v)) < 0)
			goto out;
	}
	rc = dump(out, root);
out:
	json_decref(items);
	json_decref(hubs);
	json_decref(authors);
	json_decref(root);
	return rc;
}

/*
 * A level's rank in level.json: its place among the levels, lowest first, from 1, whatever ranks
 * the settings give them (any whole numbers from 0, in any steps); 0 when it is not one of them.
 */
static json_int_t
place(const json_t *levels, const char *name)
{
	const json_t *l;
	size_t i;

	json_array_foreach(levels, i, l) {
		if (name && strcmp(model_str_or_empty(l, "name"), name) == 0)
			return (json_int_t)i + 1;
	}
	return 0;
}

/* The level.json object of the current ENTRY e of scope s (see the field list above). */
static json_t *
scope_status(const json_t *s, const json_t *e, const json_t *levels)
{
	json_t *o = json_object();
	json_int_t rank = place(levels, model_str(e, "level"));

	if (!o)
		return NULL;
	if (!rank ||
	    set_str(o, "scope", model_str(s, "name")) < 0 ||
	    set_str(o, "title", model_str(s, "title")) < 0 ||
	    set_str(o, "level", model_str(e, "level")) < 0 ||
	    set_str(o, "level_title", model_str(e, "level_title")) < 0 ||
	    json_object_set_new(o, "rank", json_integer(rank)) < 0 ||
	    json_object_set_new(o, "max_rank", json_integer((json_int_t)json_array_size(levels))) < 0 ||
	    set_str(o, "summary", model_str(e, "level_summary")) < 0 ||
	    set_str(o, "since", model_str(e, "since_utc")) < 0 ||
	    set_str(o, "announcement", model_str(e, "url")) < 0 ||
	    set_str(o, "id", model_str(e, "id")) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
level_info(const json_t *l, json_int_t rank)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (set_str(o, "name", model_str(l, "name")) < 0 ||
	    set_str(o, "title", model_str(l, "title")) < 0 ||
	    json_object_set_new(o, "rank", json_integer(rank)) < 0 ||
	    set_str(o, "summary", model_str(l, "summary")) < 0 ||
	    set_str(o, "colour", model_str(l, "colour")) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
levels_json_write(struct buf *out, const json_t *model)
{
	const json_t *site = json_object_get(model, "site"), *levels = json_object_get(model, "levels");
	json_t *root = json_object(), *site_info = NULL, *scopes = NULL, *list = NULL;
	const json_t *v, *cur;
	const char *updated = NULL, *u;
	size_t i;
	int rc = -1;

	/* RFC 3339 UTC strings of one fixed form sort as their instants do. */
	json_array_foreach(json_object_get(model, "scopes"), i, v) {
		u = model_str(json_object_get(v, "current"), "updated_utc");
		if (u && (!updated || strcmp(u, updated) > 0))
			updated = u;
	}
	/* No level in force anywhere: the site feed's date, as the format needs one. */
	if (!updated)
		updated = model_str(json_array_get(json_object_get(model, "feeds"), 0), "updated");
	if (!updated)
		updated = EPOCH_UTC;

	site_info = json_object();
	scopes = json_array();
	list = json_array();
	if (!root || !site_info || !scopes || !list)
		goto out;
	if (json_object_set_new(root, "version", json_integer(LEVELS_JSON_VERSION)) < 0 ||
	    json_object_set(root, "site", site_info) < 0 ||
	    set_str(site_info, "title", model_str(site, "title")) < 0 ||
	    set_str(site_info, "url", model_str(site, "url")) < 0 ||
	    set_str(root, "updated", updated) < 0 ||
	    json_object_set(root, "scopes", scopes) < 0 ||
	    json_object_set(root, "levels", list) < 0)
		goto out;
	json_array_foreach(json_object_get(model, "scopes"), i, v) {
		cur = json_object_get(v, "current");
		if (!json_is_object(cur))
			continue;
		if (json_array_append_new(scopes, scope_status(v, cur, levels)) < 0)
			goto out;
	}
	json_array_foreach(levels, i, v) {
		if (json_array_append_new(list, level_info(v, (json_int_t)i + 1)) < 0)
			goto out;
	}
	rc = dump(out, root);
out:
	json_decref(list);
	json_decref(scopes);
	json_decref(site_info);
	json_decref(root);
	return rc;
}
