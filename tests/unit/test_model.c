/* Unit tests of model: ordering, directions, current levels, ids, titles, feeds, validation. */
#include <stdlib.h>

#include "config.h"
#include "harness.h"
#include "model.h"
#include "repo.h"

static const char two_scopes[] =
	"[site]\n\ttitle = UK threat level\n\turl = https://Threat.Example.org:8443/sub\n"
	"[feed]\n\tentries = 2\n"
	"[scope \"national\"]\n\ttitle = National threat level\n"
	"[scope \"northern-ireland\"]\n\ttitle = Northern Ireland-related threat level\n";

static int
load_config(struct config *cfg, const char *text)
{
	struct config_entries e;
	struct diag d;
	int rc;

	diag_init(&d, stderr);
	if (repo_parse_config(&e, "threatfeed.conf", text, strlen(text), &d) < 0)
		return -1;
	rc = config_load(cfg, "threatfeed.conf", text, strlen(text), &e, &d);
	config_entries_release(&e);
	return rc;
}

static void
add_file(struct source_set *set, const char *path, const char *text)
{
	struct source_file *f;

	set->files = xreallocarray(set->files, set->count + 1, sizeof(*set->files));
	f = &set->files[set->count++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->kind = SOURCE_FILE;
	f->data = xstrdup(text);
	f->size = strlen(text);
}

/* Builds the model; *messages gets what was reported (free it). */
static json_t *
build(const struct config *cfg, struct source_set *set, char **messages, int *rc)
{
	size_t len;
	FILE *f = open_memstream(messages, &len);
	struct diag d;
	json_t *model = NULL;

	diag_init(&d, f);
	*rc = model_build(&model, cfg, set, &d);
	fclose(f);
	return model;
}

/* As templates and feeds read it: own members and shared ones alike (model.h). */
static const char *
str(const json_t *obj, const char *key)
{
	return model_str(obj, key);
}

static void
test_history(const struct config *cfg)
{
	struct source_set set = { NULL, 0, "", 0 };
	char *messages = NULL;
	json_t *model, *entries, *scopes, *feeds, *item;
	const char *sitemap_lastmod;
	size_t i;
	int rc;

	/* Given out of order, with offsets that reorder them against their wall-clock times. */
	add_file(&set, "content/levels/b.md", "---\nlevel: critical\ndate: 2006-08-10T02:00:00+01:00\n"
		 "scope: national\n---\nRaised *now*.\n\nSecond paragraph.\n");
	add_file(&set, "content/levels/a.md", "---\nlevel: severe\ndate: 2006-08-01T10:00:00+01:00\n"
		 "scope: national\ntitle: Published\nupdated: 2007-01-01T00:00:00Z\n---\nFirst.\n");
	add_file(&set, "content/levels/c.md", "---\nlevel: severe\ndate: 2006-08-10T01:30:00Z\n"
		 "scope: national\nupdated: 2006-08-11T09:00:00Z\n---\nLowered.\n");
	add_file(&set, "content/levels/ni.md", "---\nlevel: severe\ndate: 2010-09-24T12:00:00+01:00\n"
		 "scope: northern-ireland\n---\nNI.\n");
	add_file(&set, "content/levels/.gitkeep", "");
	add_file(&set, "content/pages/about.md", "---\ntitle: About\n---\nAbout *us*.\n");
	model = build(cfg, &set, &messages, &rc);
	ok(rc == 0 && model, "a valid history builds");
	is_str(messages, "", "and reports nothing");
	entries = json_object_get(model, "entries");
	ok(json_array_size(entries) == 4, "four entries");
	is_str(str(json_array_get(entries, 0), "source"), "content/levels/ni.md", "newest first");
	/* 02:00+01:00 is 01:00Z, before c.md's 01:30Z: the instant decides, not the wall clock. */
	is_str(str(json_array_get(entries, 1), "source"), "content/levels/c.md", "offsets respected (1)");
	is_str(str(json_array_get(entries, 2), "source"), "content/levels/b.md", "offsets respected (2)");
	is_str(str(json_array_get(entries, 2), "direction"), "raised", "severe to critical is raised");
	is_str(str(json_array_get(entries, 1), "direction"), "lowered", "critical to severe is lowered");
	is_str(str(json_array_get(entries, 3), "direction"), "set", "the first of a scope is set");
	is_str(str(json_array_get(entries, 0), "direction"), "set", "directions are per scope");
	is_str(str(json_array_get(entries, 1), "previous_level_title"), "CRITICAL", "previous level");
	is_str(str(json_array_get(entries, 2), "title"), "National threat level raised to CRITICAL",
	       "title derived from scope, direction and level");
	is_str(str(json_array_get(entries, 3), "title"), "Published", "an explicit title is kept");
	is_str(str(json_array_get(entries, 2), "id"),
	       "tag:threat.example.org,2006-08-10:national/20060810T010000Z",
	       "default id from host, date and scope");
	is_str(str(json_array_get(entries, 2), "path"), "2006/b/", "page path from year and file name");
	is_str(str(json_array_get(entries, 2), "url"), "https://Threat.Example.org:8443/sub/2006/b/",
	       "absolute URL under site.url");
	is_str(str(json_array_get(entries, 2), "summary_text"), "Raised now.", "summary is plain text");
	is_str(str(json_array_get(entries, 1), "updated_utc"), "2006-08-11T09:00:00Z", "updated: is kept");
	is_str(str(json_array_get(entries, 2), "updated"), "2006-08-10T02:00:00+01:00",
	       "updated defaults to date");
	ok(json_is_true(json_object_get(json_array_get(entries, 1), "is_revised")), "is_revised");
	scopes = json_object_get(model, "scopes");
	is_str(str(json_object_get(json_array_get(scopes, 0), "current"), "source"), "content/levels/c.md",
	       "current national level is the newest national entry");
	ok(json_is_true(json_object_get(json_array_get(entries, 1), "is_current")) &&
		   !json_is_true(json_object_get(json_array_get(entries, 2), "is_current")),
	   "is_current marks only current entries");
	ok(json_array_size(json_object_get(model, "current")) == 2, "one current entry per scope");
	feeds = json_object_get(model, "feeds");
	ok(json_array_size(feeds) == 3, "a site feed and one per scope");
	ok(json_array_size(json_object_get(json_array_get(feeds, 0), "entries")) == 2,
	   "feed.entries limits the feed");
	is_str(str(json_array_get(feeds, 1), "atom_url"),
	       "https://Threat.Example.org:8443/sub/national/atom.xml", "scope feed URL");
	is_str(str(json_array_get(feeds, 0), "updated"), "2010-09-24T11:00:00Z",
	       "feed updated is its newest entry's, not the build time");
	/*
	 * The oldest national announcement was revised last, but the feed holds only the newest two:
	 * its updated is theirs. The scope's page, which lists it, is dated by the revision.
	 */
	is_str(str(json_array_get(feeds, 1), "updated"), "2006-08-11T09:00:00Z",
	       "a scope feed's updated is the latest of the entries it holds");
	sitemap_lastmod = NULL;
	json_array_foreach(json_object_get(model, "sitemap"), i, item)
		if (strcmp(str(item, "url"), "https://Threat.Example.org:8443/sub/national/") == 0)
			sitemap_lastmod = str(item, "lastmod");
	is_str(sitemap_lastmod, "2007-01-01T00:00:00Z",
	       "the scope page's sitemap lastmod counts the older entry's revision");
	is_str(str(json_array_get(feeds, 2), "updated"), "2010-09-24T11:00:00Z",
	       "each scope feed's updated is its own entries'");
	is_str(str(json_array_get(json_object_get(model, "pages"), 0), "path"), "pages/about/",
	       "free page path");
	json_decref(model);
	free(messages);

	/* Renaming a file and correcting its body keeps the id (invariant 7). */
	free(set.files[0].path);
	set.files[0].path = xstrdup("content/levels/renamed.md");
	free(set.files[0].data);
	set.files[0].data = xstrdup("---\nlevel: critical\ndate: 2006-08-10T02:00:00+01:00\n"
				    "scope: national\n---\nRaised, typo fixed.\n");
	set.files[0].size = strlen(set.files[0].data);
	model = build(cfg, &set, &messages, &rc);
	entries = json_object_get(model, "entries");
	is_str(str(json_array_get(entries, 2), "id"),
	       "tag:threat.example.org,2006-08-10:national/20060810T010000Z",
	       "id survives a rename and an edit");
	is_str(str(json_array_get(entries, 2), "updated_utc"), "2006-08-10T01:00:00Z",
	       "an edit without updated: leaves updated alone");
	json_decref(model);
	free(messages);
	source_set_release(&set);
}

static void
expect_errors(const struct config *cfg, const char *what, const char *path, const char *text,
	      const char *want)
{
	struct source_set set = { NULL, 0, "", 0 };
	char *messages = NULL;
	json_t *model;
	int rc;

	add_file(&set, path, text);
	model = build(cfg, &set, &messages, &rc);
	ok(rc == -1 && !model, "%s fails", what);
	is_str(messages, want, what);
	free(messages);
	source_set_release(&set);
}

static void
test_errors(const struct config *cfg)
{
	struct source_set set = { NULL, 0, "", 0 };
	char *messages = NULL;
	json_t *model;
	int rc;

	expect_errors(cfg, "unknown level", "content/levels/x.md",
		      "---\nlevel: sever\ndate: 2014-08-29T14:00:00+01:00\nscope: national\n---\n",
		      "threatfeed: content/levels/x.md:2:8: unknown level 'sever' (expected low, moderate, "
		      "substantial, severe or critical)\n");
	expect_errors(cfg, "missing scope with several scopes", "content/levels/x.md",
		      "---\nlevel: severe\ndate: 2014-08-29T14:00:00+01:00\n---\n",
		      "threatfeed: content/levels/x.md:1:1: missing 'scope' (expected national or "
		      "northern-ireland)\n");
	expect_errors(cfg, "date without offset and updated before date", "content/levels/x.md",
		      "---\nlevel: severe\ndate: 2014-08-29T14:00:00\nscope: national\n---\n",
		      "threatfeed: content/levels/x.md:3:26: date '2014-08-29T14:00:00': missing UTC "
		      "offset (add Z or +hh:mm)\n");
	expect_errors(cfg, "updated before date", "content/levels/x.md",
		      "---\nlevel: severe\ndate: 2014-08-29T14:00:00Z\nupdated: 2014-08-28T14:00:00Z\n"
		      "scope: national\n---\n",
		      "threatfeed: content/levels/x.md:4:10: 'updated' 2014-08-28T14:00:00Z is before "
		      "'date' (expected a later revision time)\n");
	expect_errors(cfg, "id that is not an IRI", "content/levels/x.md",
		      "---\nlevel: severe\ndate: 2014-08-29T14:00:00Z\nscope: national\nid: not an id\n---\n",
		      "threatfeed: content/levels/x.md:5:5: 'id' 'not an id' is not an IRI (expected e.g. "
		      "tag:example.org,2014-08-29:severe)\n");
	expect_errors(cfg, "file name unusable in a URL", "content/levels/Big Name.md",
		      "---\nlevel: severe\ndate: 2014-08-29T14:00:00Z\nscope: national\n---\n",
		      "threatfeed: content/levels/Big Name.md: file name 'Big Name.md' is not usable in a "
		      "URL (expected lowercase letters, digits, '-', '_' or '.', not starting with '-' "
		      "or '.')\n");

	/* Two files: both reported, and duplicates across files are caught. */
	add_file(&set, "content/levels/a.md",
		 "---\nlevel: severe\ndate: 2014-08-29T14:00:00Z\nscope: national\nid: tag:x,2014:a\n---\n");
	add_file(&set, "content/levels/b.md",
		 "---\nlevel: critical\ndate: 2014-08-29T15:00:00Z\nscope: national\nid: tag:x,2014:a\n---\n");
	add_file(&set, "content/levels/c.md",
		 "---\nlevel: low\ndate: 2014-08-29T15:00:00Z\nscope: national\ncolour: red\n---\n");
	model = build(cfg, &set, &messages, &rc);
	ok(rc == -1 && !model, "clashes fail the build");
	is_str(messages,
	       "threatfeed: content/levels/c.md:5:1: warning: unknown key 'colour' ignored (expected "
	       "level, date, title, scope, updated, expires, id or aliases)\n"
	       "threatfeed: content/levels/c.md:3:7: announces a level for the same scope at the same "
	       "instant as content/levels/b.md (expected one announcement per moment)\n"
	       "threatfeed: content/levels/b.md:5:5: id 'tag:x,2014:a' is already used by "
	       "content/levels/a.md (expected a unique id)\n",
	       "unknown keys warn; same instant and duplicate ids are errors");
	free(messages);
	source_set_release(&set);
}

/* A reaffirmation is the current announcement, but the level took effect with the one before. */
static void
test_reaffirmed(const struct config *cfg)
{
	struct source_set set = { NULL, 0, "", 0 };
	char *messages = NULL;
	json_t *model, *entries, *current;
	int rc;

	add_file(&set, "content/levels/a.md", "---\nlevel: substantial\ndate: 2019-11-04T10:00:00Z\n"
		 "scope: national\n---\nLowered.\n");
	add_file(&set, "content/levels/b.md", "---\nlevel: severe\ndate: 2020-11-03T20:30:00Z\n"
		 "scope: national\n---\nRaised.\n");
	add_file(&set, "content/levels/c.md", "---\nlevel: severe\ndate: 2020-12-01T12:00:00Z\n"
		 "scope: national\n---\nReviewed: unchanged.\n");
	add_file(&set, "content/levels/d.md", "---\nlevel: severe\ndate: 2021-01-05T12:00:00+01:00\n"
		 "scope: national\n---\nReviewed again: unchanged.\n");
	add_file(&set, "content/levels/ni.md", "---\nlevel: severe\ndate: 2010-09-24T12:00:00+01:00\n"
		 "scope: northern-ireland\n---\nNI.\n");
	model = build(cfg, &set, &messages, &rc);
	ok(rc == 0 && model, "reaffirmations build");
	entries = json_object_get(model, "entries");
	is_str(str(json_array_get(entries, 0), "direction"), "reaffirmed", "the newest reaffirms");
	current = json_object_get(json_array_get(json_object_get(model, "scopes"), 0), "current");
	is_str(str(current, "source"), "content/levels/d.md", "the newest reaffirmation is current");
	is_str(str(current, "since_utc"), "2020-11-03T20:30:00Z",
	       "its level is in force since the announcement that raised it, not since it");
	is_str(str(current, "since"), "2020-11-03T20:30:00Z", "since, as written");
	is_str(str(current, "since_human"), "3 November 2020", "since, for people");
	is_str(str(current, "since_time_human"), "20:30 UTC", "since, its time");
	current = json_object_get(json_array_get(json_object_get(model, "scopes"), 1), "current");
	is_str(str(current, "since"), "2010-09-24T12:00:00+01:00", "a level set once is in force since then");
	ok(!json_object_get(json_array_get(entries, 1), "since"), "only current entries have since");
	ok(json_is_true(json_object_get(json_array_get(entries, 0), "is_in_force")) &&
		   json_is_true(json_object_get(json_array_get(entries, 1), "is_in_force")) &&
		   json_is_true(json_object_get(json_array_get(entries, 2), "is_in_force")),
	   "the raise and the reaffirmations after it are in force");
	ok(json_is_false(json_object_get(json_array_get(entries, 3), "is_in_force")),
	   "the level before the raise is not");
	ok(json_is_true(json_object_get(json_array_get(entries, 4), "is_in_force")),
	   "another scope's current level is in force, by its own scope");
	json_decref(model);
	free(messages);
	source_set_release(&set);
}

int
main(void)
{
	struct config cfg;

	if (!ok(load_config(&cfg, two_scopes) == 0, "the test settings load"))
		return tests_done();
	test_history(&cfg);
	test_errors(&cfg);
	test_reaffirmed(&cfg);
	config_release(&cfg);
	return tests_done();
}
