/*
 * Tests for the feed writers (feeds.h): Atom, RSS, JSON Feed, level.json and sitemap.xml.
 *
 * A model following model.h is built here; each output is written to a temporary file and read
 * back by independent parsers: xmllint with RFC 4287's RELAX NG schema and Schematron rules,
 * feedparser (through feedcheck.py), Python's json module and jansson.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "feeds.h"
#include "harness.h"

#define SITE_URL "https://threat.example.org/"
#define HUB "https://hub.example.net/"
/* Every character XML and JSON escape, and non-ASCII from two UTF-8 lengths past ASCII. */
#define NASTY "\"R&D\" <b>bold</b> & it's caf\xc3\xa9 \xf0\x9f\x99\x82"
#define NASTY_HTML "<p>Stay alert &amp; report: \"x\" 'y' <a href=\"/a?b=1&amp;c=2\">caf\xc3\xa9</a> " \
	"\xf0\x9f\x99\x82</p>"
/* The same in a feed, where its link is absolute (links.h). */
#define NASTY_HTML_FEED "<p>Stay alert &amp; report: \"x\" 'y' " \
	"<a href=\"" SITE_URL "a?b=1&amp;c=2\">caf\xc3\xa9</a> \xf0\x9f\x99\x82</p>"

static char tmpdir[] = "/tmp/test_feeds.XXXXXX";
static const char *python = "python3";

struct entry_spec {
	const char *id, *title, *level, *level_title, *scope, *scope_title;
	int rank;
	const char *date, *date_utc, *date_rfc822, *updated, *updated_utc, *updated_rfc822;
	const char *path, *content_html, *summary_text;
};

static json_t *
make_entry(const struct entry_spec *s)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
	                      " s:s, s:s, s:s, s:s+, s:s, s:s, s:s, s:b}",
	                      "id", s->id, "title", s->title, "source", "content/levels/x.md",
	                      "level", s->level, "level_title", s->level_title, "level_rank", s->rank,
	                      "level_summary", "An attack is likely", "level_colour", "#b30000",
	                      "scope", s->scope, "scope_title", s->scope_title,
	                      "date", s->date, "date_utc", s->date_utc, "date_rfc822", s->date_rfc822,
	                      "updated", s->updated, "updated_utc", s->updated_utc,
	                      "updated_rfc822", s->updated_rfc822,
	                      "url", SITE_URL, s->path, "path", s->path,
	                      "content_html", s->content_html, "summary_text", s->summary_text,
	                      "is_current", 0);

	if (!e)
		abort();
	return e;
}

static const struct entry_spec specs[] = {
	{ "tag:threat.example.org,2024-02-08:national", "Raised to SEVERE: " NASTY, "severe", "SEVERE",
	  "national", "National threat level", 4,
	  "2024-02-08T11:00:00+01:00", "2024-02-08T10:00:00Z", "Thu, 08 Feb 2024 11:00:00 +0100",
	  "2024-02-09T09:30:00+01:00", "2024-02-09T08:30:00Z", "Fri, 09 Feb 2024 09:30:00 +0100",
	  "2024/raised-to-severe/", NASTY_HTML, "Stay alert & report: \"x\" 'y' caf\xc3\xa9" },
	{ "tag:threat.example.org,2023-03-28:northern-ireland", "Lowered to SUBSTANTIAL", "substantial",
	  "SUBSTANTIAL", "northern-ireland", "Northern Ireland-related terrorism \xe2\x80\x94 NI", 3,
	  "2023-03-28T17:00:00+01:00", "2023-03-28T16:00:00Z", "Tue, 28 Mar 2023 17:00:00 +0100",
	  "2023-03-28T17:00:00+01:00", "2023-03-28T16:00:00Z", "Tue, 28 Mar 2023 17:00:00 +0100",
	  "2023/lowered-to-substantial/", "<p>Lowered.</p>", "" },
	{ "tag:threat.example.org,2022-02-09:national", "Lowered to SUBSTANTIAL", "substantial",
	  "SUBSTANTIAL", "national", "National threat level", 3,
	  "2022-02-09T00:00:00Z", "2022-02-09T00:00:00Z", "Wed, 09 Feb 2022 00:00:00 +0000",
	  "2022-02-09T00:00:00Z", "2022-02-09T00:00:00Z", "Wed, 09 Feb 2022 00:00:00 +0000",
	  "2022/lowered-to-substantial/", "<p>Lowered.</p>", "Lowered." },
};

static json_t *
make_level(const char *name, const char *title, int rank, const char *summary, const char *colour)
{
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "name", name, "title", title, "rank", rank,
	                 "summary", summary, "colour", colour, "text_colour", "#ffffff");
}

/* The model of model.h: 3 entries over 2 scopes, a third scope with no entry, one hub. */
static json_t *
make_model(void)
{
	json_t *e[3], *model, *feed;
	size_t i;

	for (i = 0; i < 3; i++)
		e[i] = make_entry(&specs[i]);
	/* The current ones (model.h): in force since their own date, none of them reaffirming. */
	for (i = 0; i < 2; i++)
		json_object_set_new(e[i], "since_utc", json_string(specs[i].date_utc));
	feed = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:[O,O,O]}",
	                 "dir", "", "title", "UK threat level & more", "subtitle", "The current level, " NASTY,
	                 "id", SITE_URL "atom.xml", "home_url", SITE_URL, "atom_url", SITE_URL "atom.xml",
	                 "rss_url", SITE_URL "rss.xml", "json_url", SITE_URL "feed.json", "hubs", HUB,
	                 "updated", "2024-02-09T08:30:00Z", "updated_rfc822", "Fri, 09 Feb 2024 08:30:00 +0000",
	                 "entries", e[0], e[1], e[2]);
	model = json_pack(
		"{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b},"
		" s:[o,o,o,o,o],"
		" s:[{s:s, s:s, s:s, s:O}, {s:s, s:s, s:s, s:O}, {s:s, s:s, s:s, s:n}],"
		" s:[O,O], s:[O,O,O], s:[o],"
		" s:[{s:s, s:s}, {s:s, s:s}]}",
		"site", "title", "UK threat level & more", "url", SITE_URL, "description", "d",
		"language", "en-GB", "author", "Example Security Service", "generator", "threatfeed",
		"version", "0.1.0", "multiple_scopes", 1,
		"levels",
		make_level("low", "LOW", 1, "An attack is highly unlikely", "#00a650"),
		make_level("moderate", "MODERATE", 2, "An attack is possible but not likely", "#8dc63f"),
		make_level("substantial", "SUBSTANTIAL", 3, "An attack is likely", "#ffcb05"),
		make_level("severe", "SEVERE", 4, "An attack is highly likely", "#f7941d"),
		make_level("critical", "CRITICAL", 5, "An attack is highly likely in the near future",
		           "#ed1c24"),
		"scopes",
		"name", "national", "title", "National threat level", "dir", "national/", "current", e[0],
		"name", "northern-ireland", "title", "Northern Ireland-related terrorism",
		"dir", "northern-ireland/", "current", e[1],
		"name", "scotland", "title", "Scotland (none yet)", "dir", "scotland/", "current",
		"current", e[0], e[1], "entries", e[0], e[1], e[2], "feeds", feed,
		"sitemap", "url", SITE_URL, "lastmod", "2024-02-09T08:30:00Z",
		"url", SITE_URL "search?a=1&b=\xc3\xa9", "lastmod", "2023-03-28T16:00:00Z");
	for (i = 0; i < 3; i++)
		json_decref(e[i]);
	if (!model)
		abort();
	return model;
}

static json_t *
site_of(json_t *model)
{
	return json_object_get(model, "site");
}

static json_t *
feed_of(json_t *model)
{
	return json_array_get(json_object_get(model, "feeds"), 0);
}

/* Writes b to tmpdir/name; returns the path (static storage, one at a time per name). */
static const char *
save(const char *name, const struct buf *b)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "wb");
	if (!f || fwrite(b->ptr, 1, b->len, f) != b->len || fclose(f) != 0)
		abort();
	return p;
}

/* Runs a command on file, echoing its output as TAP comments; returns its exit status. */
PRINTF_LIKE(1, 2) static int
run(const char *fmt, ...)
{
	char cmd[1024], line[1024];
	va_list ap;
	FILE *p;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (!strstr(line, " validates\n"))
			printf("# %s", line);
	rc = pclose(p);
	if (rc != 0)
		printf("# '%s' exited with %d\n", cmd, rc);
	return rc;
}

static int
xmllint_ok(const char *file)
{
	return run("xmllint --noout '%s' 2>&1", file) == 0;
}

/* A sitemap or sitemap index, against the protocol's structure (tests/schemas/README.md). */
static int
sitemap_valid(const char *file)
{
	return run("xmllint --noout --relaxng ../schemas/sitemap.rng '%s' 2>&1", file) == 0;
}

/* RFC 4287 Appendix B's RELAX NG schema, then the Schematron rules embedded in it. */
static int
atom_valid(const char *file)
{
	int relaxng = run("xmllint --noout --relaxng ../schemas/atom.rng '%s' 2>&1", file);
	int schematron = run("xmllint --noout --schematron ../schemas/atom-rfc4287-rules.sch '%s' 2>&1",
	                     file);

	return relaxng == 0 && schematron == 0;
}

/* What feedcheck.py (feedparser) saw in file; NULL when it could not run. */
static json_t *
feedcheck(const char *file)
{
	char cmd[1024];
	struct buf b = BUF_INIT;
	json_t *j = NULL;
	char chunk[4096];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s feedcheck.py '%s'", python, file);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(&b, chunk, n);
	if (pclose(p) == 0 && b.ptr)
		j = json_loads(b.ptr, 0, NULL);
	if (!j)
		printf("# feedcheck.py said: %s\n", b.ptr ? b.ptr : "");
	buf_release(&b);
	return j;
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *
jstr_at(const json_t *o, const char *array, size_t i, const char *key)
{
	return jstr(json_array_get(json_object_get(o, array), i), key);
}

/*
 * The checks every reading shares. title0 is the title the reader should see for the first entry,
 * NULL for specs[0].title.
 */
static void
check_reading(const char *what, const json_t *r, const char *want_self, int has_updated,
              const char *title0)
{
	char label[128];
	size_t i;

	ok(r != NULL, "%s: feedcheck.py ran", what);
	if (!r)
		return;
	ok(json_is_false(json_object_get(r, "bozo")), "%s: not bozo (%s)", what, jstr(r, "error"));
	snprintf(label, sizeof(label), "%s: feed title", what);
	is_str(jstr(r, "title"), "UK threat level & more", label);
	snprintf(label, sizeof(label), "%s: self link", what);
	is_str(jstr(r, "self"), want_self, label);
	snprintf(label, sizeof(label), "%s: hub", what);
	ok(json_array_size(json_object_get(r, "hubs")) == 1, "%s: one hub", what);
	is_str(json_string_value(json_array_get(json_object_get(r, "hubs"), 0)), HUB, label);
	ok(json_array_size(json_object_get(r, "entries")) == 3, "%s: 3 entries", what);
	for (i = 0; i < 3; i++) {
		snprintf(label, sizeof(label), "%s: entry %zu id", what, i);
		is_str(jstr_at(r, "entries", i, "id"), specs[i].id, label);
		snprintf(label, sizeof(label), "%s: entry %zu title", what, i);
		is_str(jstr_at(r, "entries", i, "title"), i == 0 && title0 ? title0 : specs[i].title, label);
		snprintf(label, sizeof(label), "%s: entry %zu link", what, i);
		ok(strncmp(jstr_at(r, "entries", i, "link") ? jstr_at(r, "entries", i, "link") : "",
		           SITE_URL, strlen(SITE_URL)) == 0 &&
		   strcmp(jstr_at(r, "entries", i, "link") + strlen(SITE_URL), specs[i].path) == 0,
		   "%s", label);
		snprintf(label, sizeof(label), "%s: entry %zu published", what, i);
		is_str(jstr_at(r, "entries", i, "published"), specs[i].date_utc, label);
		if (has_updated) {
			snprintf(label, sizeof(label), "%s: entry %zu updated", what, i);
			is_str(jstr_at(r, "entries", i, "updated"), specs[i].updated_utc, label);
		}
	}
}

static int
starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether b ends with suffix (a closing tag or brace and one newline). */
static int
ends_with(const struct buf *b, const char *suffix)
{
	size_t n = strlen(suffix);

	return b->len >= n && memcmp(b->ptr + b->len - n, suffix, n) == 0;
}

/* Whether a is the array [x, y] of strings. */
static int
is_pair(const json_t *a, const char *x, const char *y)
{
	json_t *want = json_pack("[s,s]", x, y);
	int same = json_equal(a, want);

	json_decref(want);
	return same;
}

static int
write_twice(int (*fn)(struct buf *, const json_t *, const json_t *), const json_t *site,
            const json_t *feed, struct buf *out)
{
	struct buf again = BUF_INIT;
	int same;

	if (fn(out, site, feed) < 0 || fn(&again, site, feed) < 0) {
		buf_release(&again);
		return 0;
	}
	same = out->len == again.len && memcmp(out->ptr, again.ptr, out->len) == 0;
	buf_release(&again);
	return same;
}

static void
test_atom(json_t *model)
{
	struct buf b = BUF_INIT;
	const char *file;
	json_t *r;

	ok(write_twice(atom_write, site_of(model), feed_of(model), &b),
	   "atom: written, byte-identical on a second run");
	ok(starts_with(b.ptr, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                      "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-GB\">\n"
	                      "  <title>UK threat level &amp; more</title>\n"),
	   "atom: declaration, namespace, language, indented title");
	ok(ends_with(&b, "</feed>\n"), "atom: ends with </feed> and one newline");
	ok(strstr(b.ptr, "caf\xc3\xa9 \xf0\x9f\x99\x82") && !strstr(b.ptr, "&#"),
	   "atom: non-ASCII written as UTF-8, not as character references");
	ok(strstr(b.ptr, "<link rel=\"hub\" href=\"" HUB "\"/>") != NULL, "atom: hub link");
	ok(strstr(b.ptr, "<generator version=\"0.1.0\">threatfeed</generator>") != NULL, "atom: generator");
	ok(strstr(b.ptr, "<category term=\"severe\" scheme=\"" SITE_URL "levels/\" label=\"SEVERE\"/>") &&
	   strstr(b.ptr, "<category term=\"national\" scheme=\"" SITE_URL "scopes/\""),
	   "atom: level and scope categories");
	ok(strstr(b.ptr, "label=\"Northern Ireland-related terrorism \xe2\x80\x94 NI\"/>") != NULL,
	   "atom: non-ASCII in an attribute as UTF-8");
	ok(strstr(b.ptr, "<content type=\"html\">&lt;p&gt;Stay alert &amp;amp; report") != NULL,
	   "atom: content is escaped HTML");
	ok(strstr(b.ptr, "<summary type=\"text\">Stay alert &amp; report") &&
	   !strstr(b.ptr, "<summary type=\"text\"></summary>"),
	   "atom: summary when there is one, none when empty");
	ok(!strstr(b.ptr, "@"), "atom: no e-mail address");
	file = save("atom.xml", &b);
	ok(atom_valid(file), "atom: valid against RFC 4287's RELAX NG schema and Schematron rules");

	r = feedcheck(file);
	check_reading("atom", r, SITE_URL "atom.xml", 1, NULL);
	is_str(jstr(r, "version"), "atom10", "atom: feedparser sees Atom 1.0");
	ok(strstr(jstr_at(r, "entries", 0, "content") ? jstr_at(r, "entries", 0, "content") : "",
	          "caf\xc3\xa9</a> \xf0\x9f\x99\x82") != NULL, "atom: feedparser reads the content");
	ok(is_pair(json_object_get(json_array_get(json_object_get(r, "entries"), 0), "tags"),
	           "severe", "national"), "atom: feedparser sees both categories");
	json_decref(r);
	buf_release(&b);
}

static void
test_rss(json_t *model)
{
	struct buf b = BUF_INIT;
	const char *file;
	json_t *r;

	ok(write_twice(rss_write, site_of(model), feed_of(model), &b),
	   "rss: written, byte-identical on a second run");
	ok(starts_with(b.ptr, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                      "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n"
	                      "  <channel>\n"),
	   "rss: declaration and namespaces");
	ok(ends_with(&b, "</rss>\n"), "rss: ends with </rss> and one newline");
	ok(strstr(b.ptr, "<lastBuildDate>Fri, 09 Feb 2024 08:30:00 +0000</lastBuildDate>") != NULL,
	   "rss: lastBuildDate from the model");
	ok(strstr(b.ptr, "<generator>threatfeed 0.1.0</generator>") &&
	   strstr(b.ptr, "<docs>https://www.rssboard.org/rss-specification</docs>"),
	   "rss: generator and docs");
	ok(strstr(b.ptr, "<atom:link rel=\"self\" type=\"application/rss+xml\" href=\"" SITE_URL
	                 "rss.xml\"/>") != NULL, "rss: atom:link self");
	ok(strstr(b.ptr, "<guid isPermaLink=\"false\">tag:threat.example.org,2024-02-08:national</guid>")
	   != NULL, "rss: guid is not a permalink");
	ok(strstr(b.ptr, "<pubDate>Thu, 08 Feb 2024 11:00:00 +0100</pubDate>") != NULL, "rss: pubDate");
	ok(strstr(b.ptr, "<category>SEVERE</category>") != NULL, "rss: category");
	ok(strstr(b.ptr, "<description>&lt;p&gt;Stay alert &amp;amp; report") != NULL,
	   "rss: description is escaped HTML");
	file = save("rss.xml", &b);
	ok(xmllint_ok(file), "rss: well-formed for xmllint");

	r = feedcheck(file);
	/*
	 * RSS 2.0 does not say whether a title is text or HTML. Seeing tags in it, feedparser reads
	 * it as HTML and hands it on as such, re-escaping the "&" of "R&D": displayed, that is the
	 * title as written. Atom says type="text", so there it comes back exactly.
	 */
	check_reading("rss", r, SITE_URL "rss.xml", 0,
	              "Raised to SEVERE: \"R&amp;D\" <b>bold</b> & it's caf\xc3\xa9 \xf0\x9f\x99\x82");
	is_str(jstr(r, "version"), "rss20", "rss: feedparser sees RSS 2.0");
	json_decref(r);
	buf_release(&b);
}

static void
test_jsonfeed(json_t *model)
{
	struct buf b = BUF_INIT;
	json_t *j, *items, *it, *r;
	json_error_t err;
	size_t i;
	int fields_ok = 1;

	ok(write_twice(jsonfeed_write, site_of(model), feed_of(model), &b),
	   "jsonfeed: written, byte-identical on a second run");
	ok(starts_with(b.ptr, "{\n  \"version\": \"https://jsonfeed.org/version/1.1\",\n  \"title\": "),
	   "jsonfeed: version first, two-space indent");
	ok(ends_with(&b, "}\n"), "jsonfeed: ends with } and one newline");
	ok(strstr(b.ptr, "caf\xc3\xa9 \xf0\x9f\x99\x82") != NULL, "jsonfeed: UTF-8 kept as is");
	j = json_loads(b.ptr, 0, &err);
	ok(j != NULL, "jsonfeed: jansson parses it (%s)", j ? "" : err.text);
	is_str(jstr(j, "version"), "https://jsonfeed.org/version/1.1", "jsonfeed: version");
	is_str(jstr(j, "title"), "UK threat level & more", "jsonfeed: title");
	is_str(jstr(j, "home_page_url"), SITE_URL, "jsonfeed: home_page_url");
	is_str(jstr(j, "feed_url"), SITE_URL "feed.json", "jsonfeed: feed_url");
	is_str(jstr(j, "description"), "The current level, " NASTY, "jsonfeed: description");
	is_str(jstr(j, "language"), "en-GB", "jsonfeed: language");
	is_str(jstr_at(j, "authors", 0, "name"), "Example Security Service", "jsonfeed: author");
	is_str(jstr_at(j, "hubs", 0, "type"), "WebSub", "jsonfeed: hub type");
	is_str(jstr_at(j, "hubs", 0, "url"), HUB, "jsonfeed: hub url");
	items = json_object_get(j, "items");
	ok(json_array_size(items) == 3, "jsonfeed: 3 items");
	json_array_foreach(items, i, it) {
		/* Section "Items": id is required and a string; content_html or content_text too. */
		if (!json_is_string(json_object_get(it, "id")) || !json_is_string(json_object_get(it, "url")) ||
		    !json_is_string(json_object_get(it, "title")) ||
		    !json_is_string(json_object_get(it, "content_html")) ||
		    !json_is_string(json_object_get(it, "date_published")) ||
		    !json_is_string(json_object_get(it, "date_modified")) ||
		    !json_is_array(json_object_get(it, "tags")))
			fields_ok = 0;
	}
	ok(fields_ok, "jsonfeed: every item has its fields with the right types");
	is_str(jstr_at(j, "items", 0, "title"), specs[0].title, "jsonfeed: escaped title round-trips");
	is_str(jstr_at(j, "items", 0, "content_html"), NASTY_HTML_FEED,
	       "jsonfeed: content_html round-trips, its link made absolute");
	is_str(jstr_at(j, "items", 0, "date_published"), "2024-02-08T11:00:00+01:00",
	       "jsonfeed: date_published keeps the editor's offset");
	is_str(jstr_at(j, "items", 0, "date_modified"), "2024-02-09T09:30:00+01:00",
	       "jsonfeed: date_modified");
	ok(json_object_get(json_array_get(items, 0), "summary") &&
	   !json_object_get(json_array_get(items, 1), "summary"), "jsonfeed: summary only when non-empty");
	ok(is_pair(json_object_get(json_array_get(items, 0), "tags"), "SEVERE", "National threat level"),
	   "jsonfeed: tags");

	r = feedcheck(save("feed.json", &b));
	check_reading("json (Python)", r, SITE_URL "feed.json", 1, NULL);
	json_decref(r);
	json_decref(j);
	buf_release(&b);
}

static void
test_levels_json(json_t *model)
{
	struct buf b = BUF_INIT, again = BUF_INIT;
	json_t *j, *scopes, *s;

	ok(levels_json_write(&b, model) == 0 && levels_json_write(&again, model) == 0 &&
	   b.len == again.len && memcmp(b.ptr, again.ptr, b.len) == 0,
	   "level.json: written, byte-identical on a second run");
	ok(starts_with(b.ptr, "{\n  \"version\": 1,\n  \"site\": {\n    \"title\": ") &&
	   ends_with(&b, "}\n"), "level.json: layout");
	j = json_loads(b.ptr ? b.ptr : "", 0, NULL);
	ok(json_integer_value(json_object_get(j, "version")) == 1, "level.json: version 1");
	is_str(jstr(json_object_get(j, "site"), "url"), SITE_URL, "level.json: site url");
	is_str(jstr(j, "updated"), "2024-02-09T08:30:00Z", "level.json: updated is the newest revision");
	scopes = json_object_get(j, "scopes");
	ok(json_array_size(scopes) == 2, "level.json: a scope without a current entry is left out");
	s = json_array_get(scopes, 0);
	is_str(jstr(s, "scope"), "national", "level.json: scope name");
	is_str(jstr(s, "title"), "National threat level", "level.json: scope title");
	is_str(jstr(s, "level"), "severe", "level.json: level");
	is_str(jstr(s, "level_title"), "SEVERE", "level.json: level_title");
	ok(json_integer_value(json_object_get(s, "rank")) == 4 &&
	   json_integer_value(json_object_get(s, "max_rank")) == 5, "level.json: rank 4 of 5");
	is_str(jstr(s, "since"), "2024-02-08T10:00:00Z", "level.json: since");
	is_str(jstr(s, "announcement"), SITE_URL "2024/raised-to-severe/", "level.json: announcement");
	is_str(jstr(s, "id"), specs[0].id, "level.json: id");
	is_str(jstr(json_array_get(scopes, 1), "level"), "substantial", "level.json: second scope");
	ok(json_array_size(json_object_get(j, "levels")) == 5, "level.json: five levels");
	is_str(jstr_at(j, "levels", 4, "colour"), "#ed1c24", "level.json: level colour");
	ok(json_object_size(json_array_get(json_object_get(j, "levels"), 0)) == 5,
	   "level.json: levels carry exactly name, title, rank, summary, colour");
	json_decref(j);
	buf_release(&b);
	buf_release(&again);
}

/*
 * Settings may rank levels with any whole numbers from 0 (config.h); level.json's ranks are still
 * 1 for the lowest up to max_rank, the number of levels, as it documents.
 */
static void
test_levels_json_ranks(void)
{
	json_t *model = make_model(), *copy, *levels, *l, *j;
	struct buf b = BUF_INIT;
	size_t i;
	int levels_ok = 1;

	/* Deep copies: the entries the scopes share stay as they are; only their level_rank moves. */
	copy = json_deep_copy(model);
	levels = json_object_get(copy, "levels");
	json_array_foreach(levels, i, l)
		json_object_set_new(l, "rank", json_integer((json_int_t)i * 10));
	json_array_foreach(json_object_get(copy, "scopes"), i, l)
		if (json_is_object(json_object_get(l, "current")))
			json_object_set_new(json_object_get(l, "current"), "level_rank",
					    json_integer(10 * json_integer_value(json_object_get(
						    json_object_get(l, "current"), "level_rank")) - 10));
	ok(levels_json_write(&b, copy) == 0, "level.json of levels ranked 0, 10, ... 40: written");
	j = json_loads(b.ptr ? b.ptr : "", 0, NULL);
	l = json_array_get(json_object_get(j, "scopes"), 0);
	ok(json_integer_value(json_object_get(l, "rank")) == 4 &&
	   json_integer_value(json_object_get(l, "max_rank")) == 5,
	   "level.json: SEVERE is still rank 4 of 5, 1 for the lowest");
	json_array_foreach(json_object_get(j, "levels"), i, l)
		levels_ok &= json_integer_value(json_object_get(l, "rank")) == (json_int_t)i + 1;
	ok(levels_ok && json_array_size(json_object_get(j, "levels")) == 5,
	   "level.json: the levels' ranks are 1 to 5 too");
	json_decref(j);
	json_decref(copy);
	json_decref(model);
	buf_release(&b);
}

static void
test_sitemap(json_t *model)
{
	struct sitemap sm = SITEMAP_INIT;

	ok(sitemap_write(&sm, model, NULL) == 0, "sitemap: written");
	ok(sm.n == 1 && strcmp(sm.files[0].name, "sitemap.xml") == 0, "sitemap: one file, sitemap.xml");
	is_str(sm.n ? sm.files[0].data.ptr : NULL,
	       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
	       "  <url>\n"
	       "    <loc>" SITE_URL "</loc>\n"
	       "    <lastmod>2024-02-09T08:30:00Z</lastmod>\n"
	       "  </url>\n"
	       "  <url>\n"
	       "    <loc>" SITE_URL "search?a=1&amp;b=\xc3\xa9</loc>\n"
	       "    <lastmod>2023-03-28T16:00:00Z</lastmod>\n"
	       "  </url>\n"
	       "</urlset>\n",
	       "sitemap: exact bytes");
	ok(sm.n && sitemap_valid(save("sitemap.xml", &sm.files[0].data)),
	   "sitemap: valid for the protocol's structure (xmllint)");
	sitemap_release(&sm);
}

/*
 * A site's sitemap items as model.c orders them: the home and history pages, n entries newest
 * first (entry k, from 1 the oldest, was updated on day k of 2024), a free page.
 */
static json_t *
sitemap_model(size_t n)
{
	json_t *items = json_array();
	char url[128], day[32];

	snprintf(day, sizeof(day), "2024-01-%02zuT12:00:00Z", n);
	json_array_append_new(items, json_pack("{s:s, s:s}", "url", SITE_URL, "lastmod", day));
	json_array_append_new(items, json_pack("{s:s, s:s}", "url", SITE_URL "history/", "lastmod", day));
	for (size_t k = n; k > 0; k--) {
		snprintf(url, sizeof(url), SITE_URL "2024/entry-%02zu/", k);
		snprintf(day, sizeof(day), "2024-01-%02zuT12:00:00Z", k);
		json_array_append_new(items, json_pack("{s:s, s:s}", "url", url, "lastmod", day));
	}
	/* A free page has no lastmod (model.h). */
	json_array_append_new(items, json_pack("{s:s}", "url", SITE_URL "pages/about/"));
	return json_pack("{s:{s:s}, s:o, s:{s:i, s:i}}", "site", "url", SITE_URL, "sitemap", items,
			 "sitemap_entries", "first", 2, "count", (int)n);
}

/* The <loc>s of a sitemap file, one a line, in order. */
static void
locs_of(struct buf *out, const struct buf *file)
{
	const char *p = file->ptr, *end;

	buf_reset(out);
	while ((p = strstr(p, "<loc>")) && (end = strstr(p, "</loc>"))) {
		buf_printf(out, "%.*s\n", (int)(end - p - 5), p + 5);
		p = end;
	}
}

/* How many times needle is in s. */
static size_t
count_of(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s++;
	}
	return n;
}

/* Every file of sm valid, each holding at most lim's URLs and bytes. */
static int
files_within(const struct sitemap *sm, const struct sitemap_limits *lim, const char *what)
{
	int good = sm->n > 0;

	for (size_t i = 0; i < sm->n; i++) {
		const struct buf *b = &sm->files[i].data;
		char name[64];

		snprintf(name, sizeof(name), "%s-%s", what, sm->files[i].name);
		if (!sitemap_valid(save(name, b)) || b->len > lim->bytes ||
		    count_of(b->ptr, "<url>") > lim->urls || count_of(b->ptr, "<sitemap>") > lim->urls) {
			printf("# %s: %s breaks the limits (%zu bytes)\n", what, sm->files[i].name, b->len);
			good = 0;
		}
	}
	return good;
}

static void
test_sitemap_parts(void)
{
	struct sitemap sm = SITEMAP_INIT, one = SITEMAP_INIT, more = SITEMAP_INIT;
	struct sitemap_limits lim = { 10, SIZE_MAX };
	struct buf locs = BUF_INIT, all = BUF_INIT;
	json_t *m = sitemap_model(7), *m8;
	size_t i, changed;
	int same;

	/* 10 URLs: one file at 10 a file, the same bytes as with the protocol's limits. */
	ok(sitemap_write(&sm, m, &lim) == 0 && sm.n == 1 && sitemap_write(&one, m, NULL) == 0 &&
	   strcmp(sm.files[0].name, "sitemap.xml") == 0 &&
	   strcmp(sm.files[0].data.ptr, one.files[0].data.ptr) == 0,
	   "sitemap at the limit: one file, as without limits");
	sitemap_release(&sm);

	/* At 4 a file: the entries oldest first, then the other pages in the model's order. */
	lim.urls = 4;
	ok(sitemap_write(&sm, m, &lim) == 0 && sm.n == 4, "sitemap past the limit: an index and 3 parts");
	ok(sm.n == 4 && strcmp(sm.files[0].name, "sitemap.xml") == 0 &&
	   strcmp(sm.files[1].name, "sitemap-1.xml") == 0 && strcmp(sm.files[3].name, "sitemap-3.xml") == 0,
	   "sitemap parts: sitemap.xml is the index, the parts sitemap-1.xml ...");
	is_str(sm.n ? sm.files[0].data.ptr : NULL,
	       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
	       "  <sitemap>\n"
	       "    <loc>" SITE_URL "sitemap-1.xml</loc>\n"
	       "    <lastmod>2024-01-04T12:00:00Z</lastmod>\n"
	       "  </sitemap>\n"
	       "  <sitemap>\n"
	       "    <loc>" SITE_URL "sitemap-2.xml</loc>\n"
	       "    <lastmod>2024-01-07T12:00:00Z</lastmod>\n"
	       "  </sitemap>\n"
	       "  <sitemap>\n"
	       "    <loc>" SITE_URL "sitemap-3.xml</loc>\n"
	       "    <lastmod>2024-01-07T12:00:00Z</lastmod>\n"
	       "  </sitemap>\n"
	       "</sitemapindex>\n",
	       "sitemap index: exact bytes, each part's newest lastmod");
	for (i = 1; i < sm.n; i++) {
		locs_of(&locs, &sm.files[i].data);
		buf_puts(&all, locs.ptr ? locs.ptr : "");
	}
	is_str(all.ptr,
	       SITE_URL "2024/entry-01/\n" SITE_URL "2024/entry-02/\n" SITE_URL "2024/entry-03/\n"
	       SITE_URL "2024/entry-04/\n" SITE_URL "2024/entry-05/\n" SITE_URL "2024/entry-06/\n"
	       SITE_URL "2024/entry-07/\n" SITE_URL "\n" SITE_URL "history/\n" SITE_URL "pages/about/\n",
	       "sitemap parts: every URL once, the entries oldest first, then the others");
	ok(files_within(&sm, &lim, "parts"), "sitemap parts and index: valid, within the limits");
	sitemap_release(&sm);

	/* With 6 entries the free page is alone in the last part: the index gives that part no date. */
	m8 = sitemap_model(6);
	ok(sitemap_write(&sm, m8, &lim) == 0 && sm.n == 4 && files_within(&sm, &lim, "undated"),
	   "sitemap of 9 URLs at 4 a file: an index and 3 parts, valid");
	if (sm.n == 4)
		locs_of(&locs, &sm.files[3].data);
	is_str(sm.n == 4 ? locs.ptr : NULL, SITE_URL "pages/about/\n",
	       "sitemap parts: the free page alone in the last");
	ok(sm.n == 4 && !strstr(sm.files[3].data.ptr, "<lastmod>") &&
	   count_of(sm.files[0].data.ptr, "<lastmod>") == 2,
	   "sitemap: no lastmod for a page without one, nor for a part of such pages in the index");
	sitemap_release(&sm);
	json_decref(m8);

	/*
	 * One more announcement changes the last part and the index, and the part before only when
	 * the other pages straddle the two: the parts of older entries alone stay as they were. (At
	 * 4 a file, an index lists 4 parts at most: 16 URLs.)
	 */
	for (size_t n = 4; n < 13; n++) {
		json_decref(m);
		m = sitemap_model(n);
		m8 = sitemap_model(n + 1);
		same = sitemap_write(&sm, m, &lim) == 0 && sitemap_write(&more, m8, &lim) == 0 &&
		       more.n >= sm.n;
		for (i = 1, changed = 0; same && i < sm.n; i++) {
			if (strcmp(sm.files[i].data.ptr, more.files[i].data.ptr) == 0)
				continue;
			changed++;
			/* A changed part holds one of the other pages, which were the last 3 URLs. */
			if (i * lim.urls < n)
				same = 0;
		}
		ok(same && changed <= 2 && more.n - sm.n <= 1,
		   "sitemap parts: %zu to %zu entries changes %zu of %zu parts, none of older entries "
		   "alone", n, n + 1, changed, sm.n - 1);
		sitemap_release(&sm);
		sitemap_release(&more);
		json_decref(m8);
	}
	json_decref(m);
	m = sitemap_model(7);

	/* The size limit, up to the byte: a file may be exactly as large as the limit. */
	lim.urls = SITEMAP_MAX_URLS;
	lim.bytes = one.files[0].data.len;
	ok(sitemap_write(&sm, m, &lim) == 0 && sm.n == 1 &&
	   strcmp(sm.files[0].data.ptr, one.files[0].data.ptr) == 0,
	   "sitemap of exactly the size limit: one file");
	sitemap_release(&sm);
	lim.bytes--;
	ok(sitemap_write(&sm, m, &lim) == 0 && sm.n == 3 && files_within(&sm, &lim, "bytes"),
	   "sitemap one byte over the size limit: an index and 2 parts, each within it");
	if (sm.n == 3) {
		/* The first part is full: at its own size as the limit, it is the same. */
		lim.bytes = sm.files[1].data.len;
		ok(sitemap_write(&more, m, &lim) == 0 && more.n == 3 &&
		   strcmp(more.files[1].data.ptr, sm.files[1].data.ptr) == 0,
		   "sitemap parts: a part fills up to the byte");
		sitemap_release(&more);
		lim.bytes--;
		ok(sitemap_write(&more, m, &lim) == 0 && more.n >= 3 &&
		   more.files[1].data.len < sm.files[1].data.len && files_within(&more, &lim, "smaller"),
		   "sitemap parts: a byte less moves its last URL on");
		sitemap_release(&more);
	}
	sitemap_release(&sm);

	/* What cannot be written at all. */
	lim.bytes = 200;
	ok(sitemap_write(&sm, m, &lim) == -1 && sm.n == 0, "sitemap: a URL larger than a file is refused");
	lim.urls = 3;
	lim.bytes = SIZE_MAX;
	ok(sitemap_write(&sm, m, &lim) == -1 && sm.n == 0,
	   "sitemap: more parts than an index may list is refused");
	lim.urls = 4;
	json_object_del(json_object_get(m, "site"), "url");
	ok(sitemap_write(&sm, m, &lim) == -1 && sm.n == 0, "sitemap index without site.url: refused");
	json_decref(m);
	m = sitemap_model(7);
	json_object_set_new(json_array_get(json_object_get(m, "sitemap"), 8), "lastmod", json_integer(1));
	ok(sitemap_write(&sm, m, &lim) == -1 && sm.n == 0,
	   "sitemap part with an item whose lastmod is not a string: refused");
	json_decref(m);
	sitemap_release(&one);
	buf_release(&locs);
	buf_release(&all);
}

/* A feed with no entries (a new site) must still be a valid feed of each kind. */
static void
test_empty(json_t *model)
{
	json_t *m = json_deep_copy(model), *feed = feed_of(m), *j, *r, *s;
	struct buf b = BUF_INIT;
	struct sitemap sm = SITEMAP_INIT;
	size_t i;

	json_object_set_new(feed, "entries", json_array());
	json_object_set_new(feed, "hubs", json_array());
	json_object_set_new(feed, "updated", json_string("1970-01-01T00:00:00Z"));
	json_object_set_new(feed, "updated_rfc822", json_string("Thu, 01 Jan 1970 00:00:00 +0000"));
	json_object_set_new(site_of(m), "author", json_string(""));

	ok(atom_write(&b, site_of(m), feed) == 0, "empty: atom written");
	ok(!strstr(b.ptr, "<entry>") && !strstr(b.ptr, "rel=\"hub\""), "empty: atom has no entry, no hub");
	ok(strstr(b.ptr, "<author>\n    <name>UK threat level &amp; more</name>") != NULL,
	   "empty: atom author falls back on the site title");
	ok(atom_valid(save("empty-atom.xml", &b)), "empty: atom valid (RELAX NG, Schematron)");
	r = feedcheck(save("empty-atom.xml", &b));
	ok(r && json_is_false(json_object_get(r, "bozo")) &&
	   json_array_size(json_object_get(r, "entries")) == 0, "empty: feedparser reads the atom feed");
	json_decref(r);

	buf_reset(&b);
	ok(rss_write(&b, site_of(m), feed) == 0, "empty: rss written");
	ok(xmllint_ok(save("empty-rss.xml", &b)), "empty: rss well-formed");
	r = feedcheck(save("empty-rss.xml", &b));
	ok(r && json_is_false(json_object_get(r, "bozo")) &&
	   json_array_size(json_object_get(r, "entries")) == 0, "empty: feedparser reads the rss feed");
	json_decref(r);

	buf_reset(&b);
	ok(jsonfeed_write(&b, site_of(m), feed) == 0, "empty: jsonfeed written");
	j = json_loads(b.ptr ? b.ptr : "", 0, NULL);
	ok(json_is_array(json_object_get(j, "items")) && json_array_size(json_object_get(j, "items")) == 0,
	   "empty: jsonfeed has an empty items array");
	ok(!json_object_get(j, "hubs"), "empty: jsonfeed has no hubs member without hubs");
	is_str(jstr_at(j, "authors", 0, "name"), "UK threat level & more",
	       "empty: jsonfeed author falls back on the site title");
	json_decref(j);

	/* No scope has a current level yet. */
	json_array_foreach(json_object_get(m, "scopes"), i, s)
		json_object_set_new(s, "current", json_null());
	buf_reset(&b);
	ok(levels_json_write(&b, m) == 0, "empty: level.json written");
	j = json_loads(b.ptr ? b.ptr : "", 0, NULL);
	ok(json_is_array(json_object_get(j, "scopes")) && json_array_size(json_object_get(j, "scopes")) == 0,
	   "empty: level.json has no scope");
	is_str(jstr(j, "updated"), "1970-01-01T00:00:00Z", "empty: level.json updated is the epoch");
	json_decref(j);

	json_object_set_new(m, "sitemap", json_array());
	ok(sitemap_write(&sm, m, NULL) == 0 && sm.n == 1 &&
	   xmllint_ok(save("empty-sitemap.xml", &sm.files[0].data)),
	   "empty: sitemap written and well-formed");
	sitemap_release(&sm);
	buf_release(&b);
	json_decref(m);
}

/* Sets member key of the first entry of a copy of the model's feed. */
static json_t *
model_with_entry_field(json_t *model, const char *key, json_t *value)
{
	json_t *m = json_deep_copy(model);

	json_object_set_new(json_array_get(json_object_get(feed_of(m), "entries"), 0), key, value);
	return m;
}

/* Failing writers leave out as it was, with what the caller had in it. */
static int
refused(int (*fn)(struct buf *, const json_t *, const json_t *), json_t *m)
{
	struct buf b = BUF_INIT;
	int same;

	buf_puts(&b, "keep");
	same = fn(&b, site_of(m), feed_of(m)) == -1 && b.len == 4 && strcmp(b.ptr, "keep") == 0;
	buf_release(&b);
	return same;
}

static void
test_bad_input(json_t *model)
{
	json_t *m, *j;
	struct buf b = BUF_INIT;
	struct sitemap sm = SITEMAP_INIT;

	/* The model promises clean strings; a writer must still refuse, not emit broken XML. */
	m = model_with_entry_field(model, "title", json_string("bad\x01title"));
	ok(refused(atom_write, m), "control character: atom refuses, output untouched");
	ok(refused(rss_write, m), "control character: rss refuses, output untouched");
	/* JSON can carry it, escaped: the reader gets it back. */
	ok(jsonfeed_write(&b, site_of(m), feed_of(m)) == 0, "control character: jsonfeed writes it");
	j = json_loads(b.ptr ? b.ptr : "", 0, NULL);
	is_str(jstr_at(j, "items", 0, "title"), "bad\x01title", "control character: jsonfeed escapes it");
	ok(strstr(b.ptr, "bad\\u0001title") != NULL, "control character: as \\u0001");
	json_decref(j);
	json_decref(m);

	m = model_with_entry_field(model, "content_html", json_string("a\xef\xbf\xbe"));
	ok(refused(atom_write, m), "U+FFFE in content: atom refuses");
	ok(refused(rss_write, m), "U+FFFE in content: rss refuses");
	json_decref(m);

	/* Only json_string_nocheck can put invalid UTF-8 in a jansson tree. */
	m = model_with_entry_field(model, "title", json_string_nocheck("caf\xe9"));
	ok(refused(atom_write, m), "invalid UTF-8: atom refuses");
	ok(refused(rss_write, m), "invalid UTF-8: rss refuses");
	ok(refused(jsonfeed_write, m), "invalid UTF-8: jsonfeed refuses");
	json_decref(m);

	m = model_with_entry_field(model, "url", json_integer(3));
	ok(refused(atom_write, m), "entry url not a string: atom refuses");
	ok(refused(rss_write, m), "entry url not a string: rss refuses");
	ok(refused(jsonfeed_write, m), "entry url not a string: jsonfeed refuses");
	json_decref(m);

	m = json_deep_copy(model);
	json_object_del(feed_of(m), "id");
	json_object_del(feed_of(m), "json_url");
	json_object_del(feed_of(m), "rss_url");
	ok(refused(atom_write, m), "feed without id: atom refuses");
	ok(refused(rss_write, m), "feed without rss_url: rss refuses");
	ok(refused(jsonfeed_write, m), "feed without json_url: jsonfeed refuses");
	json_object_set_new(json_array_get(json_object_get(m, "sitemap"), 1), "lastmod", json_null());
	ok(sitemap_write(&sm, m, NULL) == -1 && sm.n == 0,
	   "sitemap item whose lastmod is not a string: refused");
	buf_reset(&b);
	buf_puts(&b, "keep");
	json_object_del(json_array_get(json_object_get(m, "scopes"), 0), "title");
	ok(levels_json_write(&b, m) == -1 && strcmp(b.ptr, "keep") == 0, "scope without title: level.json refuses");
	json_decref(m);

	m = json_object();
	ok(levels_json_write(&b, m) == -1 && sitemap_write(&sm, m, NULL) == 0 && sm.n == 1 &&
	   strstr(sm.files[0].data.ptr, "<urlset"),
	   "empty model: level.json refuses, the sitemap is empty");
	sitemap_release(&sm);
	json_decref(m);

	/* Writers append: what the caller had stays in front. */
	buf_reset(&b);
	buf_puts(&b, "prefix:");
	ok(atom_write(&b, site_of(model), feed_of(model)) == 0 && starts_with(b.ptr, "prefix:<?xml "),
	   "atom appends to out");
	buf_release(&b);
}

int
main(void)
{
	json_t *model;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (getenv("PYTHON"))
		python = getenv("PYTHON");
	else if (access("/usr/bin/python3", X_OK) == 0)
		python = "/usr/bin/python3"; /* where Debian's python3-feedparser is */
	model = make_model();
	test_atom(model);
	test_rss(model);
	test_jsonfeed(model);
	test_levels_json(model);
	test_levels_json_ranks();
	test_sitemap(model);
	test_sitemap_parts();
	test_empty(model);
	test_bad_input(model);
	json_decref(model);
	/* TEST_FEEDS_KEEP=1 keeps the files for a look. */
	if (!getenv("TEST_FEEDS_KEEP"))
		run("rm -rf '%s'", tmpdir);
	else
		printf("# files kept in %s\n", tmpdir);
	return tests_done();
}
