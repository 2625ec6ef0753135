/* Unit tests of frontmatter: the block, the flat mapping, positions, and every refusal. */
#include <stdlib.h>

#include "frontmatter.h"
#include "harness.h"

#define PATH "x.md"

/* The keys these tests allow a list for. */
static const char *const list_keys[] = { "aliases", NULL };

/* Parses s; *messages gets everything reported (free it). */
static int
parse(struct frontmatter *fm, const char *s, size_t len, char **messages)
{
	size_t mlen;
	FILE *f = open_memstream(messages, &mlen);
	struct diag d;
	int rc;

	diag_init(&d, f);
	rc = frontmatter_parse(fm, PATH, s, len, list_keys, &d);
	fclose(f);
	return rc;
}

/* Checks one field: value and both positions. */
static void
field_is(const struct frontmatter *fm, const char *key, const char *value, unsigned key_line,
	 unsigned key_col, unsigned line, unsigned col)
{
	const struct frontmatter_field *f = frontmatter_get(fm, key);

	if (!ok(f != NULL, "'%s' is present", key))
		return;
	is_str(f->value, value, key);
	ok(f->key_line == key_line && f->key_col == key_col && f->line == line && f->col == col,
	   "'%s' key at %u:%u, value at %u:%u", key, key_line, key_col, line, col);
	if (f->key_line != key_line || f->key_col != key_col || f->line != line || f->col != col)
		printf("#   got key %u:%u value %u:%u\n", f->key_line, f->key_col, f->line, f->col);
}

/* Expects s to be refused with exactly the messages `want`. */
static void
bad(const char *s, const char *want, const char *what)
{
	struct frontmatter fm;
	char *messages = NULL;
	int rc = parse(&fm, s, strlen(s), &messages);

	ok(rc == -1 && fm.fields == NULL && fm.count == 0, "%s: refused and released", what);
	is_str(messages, want, what);
	free(messages);
}

/*
 * Expects s to have some pairs refused with exactly the messages `want`, the others kept (`kept`
 * fields) with the body, and the keys in `refused` (space-separated) known as refused.
 */
static void
partly(const char *s, const char *want, const char *what, size_t kept, const char *refused)
{
	struct frontmatter fm;
	char *messages = NULL;
	int rc = parse(&fm, s, strlen(s), &messages);
	struct buf names = BUF_INIT, label = BUF_INIT;

	for (size_t i = 0; rc == FRONTMATTER_PARTLY && i < fm.nrefused; i++)
		buf_printf(&names, "%s%s", i ? " " : "", fm.refused[i]);
	ok(rc == FRONTMATTER_PARTLY && fm.count == kept && fm.body, "%s: the rest is kept", what);
	buf_printf(&label, "%s: the keys refused are known", what);
	is_str(names.ptr ? names.ptr : "", refused, label.ptr);
	buf_release(&label);
	for (size_t i = 0; rc == FRONTMATTER_PARTLY && i < fm.nrefused; i++)
		ok(frontmatter_refused(&fm, fm.refused[i]) && !frontmatter_get(&fm, fm.refused[i]),
		   "%s: '%s' is refused, not missing", what, fm.refused[i]);
	is_str(messages, want, what);
	if (rc == FRONTMATTER_PARTLY)
		frontmatter_release(&fm);
	buf_release(&names);
	free(messages);
}

static void
test_good(void)
{
	static const char s[] =
		"---\n"
		"level: severe\n"
		"date: 2014-08-29T14:00:00+01:00\n"
		"title: \"Threat level: raised to SEVERE\"\n"
		"scope:   'national'\n"
		"id:\n"
		"updated: |\n"
		"  two\n"
		"  lines\n"
		"# a comment\n"
		"expires: caf\xC3\xA9  # trailing comment\n"
		"\xC3\xA9t\xC3\xA9: \xC3\xA9t\xC3\xA9\n"
		"---\n"
		"Body *text*.\n";
	struct frontmatter fm;
	char *messages = NULL;

	ok(parse(&fm, s, sizeof(s) - 1, &messages) == 0, "a full announcement parses");
	is_str(messages, "", "and reports nothing");
	ok(fm.count == 8, "8 fields");
	field_is(&fm, "level", "severe", 2, 1, 2, 8);
	field_is(&fm, "date", "2014-08-29T14:00:00+01:00", 3, 1, 3, 7);
	field_is(&fm, "title", "Threat level: raised to SEVERE", 4, 1, 4, 8);
	field_is(&fm, "scope", "national", 5, 1, 5, 10);
	field_is(&fm, "id", "", 6, 1, 6, 4);
	field_is(&fm, "updated", "two\nlines\n", 7, 1, 7, 10);
	field_is(&fm, "expires", "caf\xC3\xA9", 11, 1, 11, 10);
	/* Columns count bytes: "été" is 5 of them, so the value starts at byte 8. */
	field_is(&fm, "\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9", 12, 1, 12, 8);
	ok(fm.count == 8 && strcmp(fm.fields[0].key, "level") == 0 &&
	   strcmp(fm.fields[7].key, "\xC3\xA9t\xC3\xA9") == 0, "fields are in file order");
	ok(frontmatter_get(&fm, "missing") == NULL, "an absent key gives NULL");
	ok(fm.body_line == 14, "body starts on line 14");
	ok(fm.body_len == strlen("Body *text*.\n") && strncmp(fm.body, "Body", 4) == 0,
	   "body points after the closing line");
	frontmatter_release(&fm);
	ok(fm.fields == NULL && fm.count == 0, "release empties");
	frontmatter_release(&fm);
	free(messages);
}

static void
test_shapes(void)
{
	struct frontmatter fm;
	char *messages = NULL;
	static const char crlf[] = "---\r\nlevel: low\r\ntitle: \"a b\"\r\n---\r\nBody\r\n";
	static const char empty[] = "---\n---\nOnly a body\n";
	static const char comments[] = "---  \n# nothing here\n\n...\n";
	static const char dots[] = "---\nlevel: low\n...\n";
	static const char tabs[] = "---\t\nlevel: low\n--- \t \nBody\n";
	static const char noeol[] = "---\nlevel: low\n---";
	static const char bom[] = "\xEF\xBB\xBF---\nlevel: low\n---\n";
	static const char flow[] = "---\n{level: low, date: x}\n---\n";
	static const char nul[] = "---\nlevel: low\n---\nA\0B";

	ok(parse(&fm, crlf, sizeof(crlf) - 1, &messages) == 0, "CRLF line endings parse");
	field_is(&fm, "level", "low", 2, 1, 2, 8);
	field_is(&fm, "title", "a b", 3, 1, 3, 8);
	ok(fm.body_line == 5 && strcmp(fm.body, "Body\r\n") == 0, "CRLF body on line 5");
	frontmatter_release(&fm);
	free(messages);

	ok(parse(&fm, empty, sizeof(empty) - 1, &messages) == 0 && fm.count == 0,
	   "an empty block gives zero fields");
	ok(fm.body_line == 3 && strcmp(fm.body, "Only a body\n") == 0, "empty block: body on line 3");
	is_str(messages, "", "empty block: nothing reported");
	frontmatter_release(&fm);
	free(messages);

	ok(parse(&fm, comments, sizeof(comments) - 1, &messages) == 0 && fm.count == 0 &&
	   fm.body_len == 0 && fm.body_line == 5, "comments only, '...' closing, trailing spaces");
	frontmatter_release(&fm);
	free(messages);

	ok(parse(&fm, tabs, sizeof(tabs) - 1, &messages) == 0 && fm.count == 1 &&
	   fm.body_line == 4 && strcmp(fm.body, "Body\n") == 0,
	   "a tab after either marker, as after a space: still the markers");
	is_str(messages, "", "markers with tabs: nothing reported");
	frontmatter_release(&fm);
	free(messages);

	ok(parse(&fm, dots, sizeof(dots) - 1, &messages) == 0 && fm.count == 1,
	   "'...' closes the block");
	frontmatter_release(&fm);
	free(messages);

	ok(parse(&fm, noeol, sizeof(noeol) - 1, &messages) == 0 && fm.count == 1 &&
	   fm.body_len == 0 && fm.body_line == 4, "closing line without a final newline");
	frontmatter_release(&fm);
	free(messages);

	ok(parse(&fm, bom, sizeof(bom) - 1, &messages) == 0 && fm.count == 1,
	   "a UTF-8 byte order mark before '---' is skipped");
	frontmatter_release(&fm);
	free(messages);

	ok(parse(&fm, flow, sizeof(flow) - 1, &messages) == 0 && fm.count == 2,
	   "a flow mapping is a flat mapping too");
	field_is(&fm, "date", "x", 2, 14, 2, 20);
	frontmatter_release(&fm);
	free(messages);

	ok(parse(&fm, nul, sizeof(nul) - 1, &messages) == 0 && fm.body_len == 3,
	   "body length counts bytes, not up to a NUL");
	frontmatter_release(&fm);
	free(messages);
}

/* frontmatter_body finds what frontmatter_parse calls the body, without the YAML. */
static void
body_as_parsed(const char *s, size_t len, const char *what)
{
	struct frontmatter fm;
	char *messages = NULL;
	const char *body = NULL;
	size_t body_len = 0;

	if (ok(parse(&fm, s, len, &messages) == 0, "%s: parses", what))
		ok(frontmatter_body(s, len, &body, &body_len) == 0 && body == fm.body &&
		   body_len == fm.body_len, "%s: frontmatter_body gives the parsed body", what);
	frontmatter_release(&fm);
	free(messages);
}

static void
test_body(void)
{
	static const struct {
		const char *s, *what;
	} good[] = {
		{ "---\nlevel: low\n---\nBody *text*.\n", "plain" },
		{ "---\r\nlevel: low\r\n---\r\nBody\r\n", "CRLF" },
		{ "---\n---\nOnly a body\n", "empty block" },
		{ "---  \n# nothing here\n\n...\n", "'...' closing" },
		{ "---\nlevel: low\n---", "no final newline" },
		{ "\xEF\xBB\xBF---\nlevel: low\n---\nB\n", "byte order mark" },
		{ "---\ntitle: '---'\n---\n---\nA rule in the body\n", "marker-like value and body" },
	};
	const char *body;
	size_t body_len;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		body_as_parsed(good[i].s, strlen(good[i].s), good[i].what);
	ok(frontmatter_body("no block\n", 9, &body, &body_len) < 0, "no block: no body");
	ok(frontmatter_body("---\nlevel: low\n", 15, &body, &body_len) < 0, "unterminated: no body");
}

static void
test_bad(void)
{
	struct buf big = BUF_INIT;
	struct frontmatter fm;
	char *messages = NULL;

	bad("", "threatfeed: x.md:1:1: missing front matter (expected a first line '---')\n",
	    "empty file");
	bad("level: low\n---\n",
	    "threatfeed: x.md:1:1: missing front matter (expected a first line '---')\n",
	    "missing opening");
	bad("----\nlevel: low\n---\n",
	    "threatfeed: x.md:1:1: missing front matter (expected a first line '---')\n",
	    "four dashes are not an opening");
	bad("---\nlevel: low\ndate: x\n",
	    "threatfeed: x.md:1:1: unterminated front matter (expected a closing '---' line)\n",
	    "unterminated");
	bad("---",
	    "threatfeed: x.md:1:1: unterminated front matter (expected a closing '---' line)\n",
	    "only an opening line");
	bad("---\nlevel: low\ndate: x\ntitle: a\nbad: key: value\nscope: b\n---\n",
	    "threatfeed: x.md:5:9: invalid YAML: mapping values are not allowed in this context "
	    "(expected one 'key: value' on each line; put a value holding ': ' in quotes: "
	    "title: \"Update: level lowered\")\n",
	    "syntax error on line 5 is reported on line 5, with what was likely meant");
	bad("---\nlevel: low\ntitle: \"Severe\" is the level now\n---\n",
	    "threatfeed: x.md:3:17: invalid YAML: did not find expected key (expected 'key: value' "
	    "lines; a value that starts with a quotation mark ends with it: put the whole value in "
	    "quotes)\n", "text after a quoted value: the hint, not libyaml's state");
	bad("---\nlevel: low\ntitle: - first\n---\n",
	    "threatfeed: x.md:3:8: invalid YAML: block sequence entries are not allowed in this "
	    "context (expected a single value; put a value starting with '- ' in quotes)\n",
	    "a value starting with '- '");
	/* The hints only where the line shows what was meant; libyaml's own words otherwise. */
	bad("---\nlevel: low\n  date: x\n---\n",
	    "threatfeed: x.md:3:7: invalid YAML: mapping values are not allowed in this context\n",
	    "an indented key: no hint about quoting");
	bad("---\nlevel: low\n- foo\n---\n",
	    "threatfeed: x.md:3:1: invalid YAML: did not find expected key (while parsing a block "
	    "mapping started at 2:1)\n", "a list item among the keys: no hint about quotation marks");
	bad("---\nlevel: low\ntitle:\n\tvalue\n---\n",
	    "threatfeed: x.md:4:1: invalid YAML: found character that cannot start any token "
	    "(expected spaces, not a tab, before a value or a key)\n", "a tab that indents");
	bad("---\nlevel: low\ntitle: @home\n---\n",
	    "threatfeed: x.md:3:8: invalid YAML: found character that cannot start any token (put a "
	    "value starting with '@', '`' or '%' in quotes)\n", "a value starting with '@'");
	/* libyaml counts characters: the offset must still become the right byte column. */
	bad("---\nt: \xC3\xA9\xC3\xA9\xC3\xA9\nlevel: [low\n---\n",
	    "threatfeed: x.md:3:8: 'level' must be a single value, not a list\n"
	    "threatfeed: x.md:4:1: invalid YAML: did not find expected ',' or ']' "
	    "(while parsing a flow sequence started at 3:8)\n",
	    "syntax error after multibyte text, with libyaml's context");
	bad("---\r\na: b\r\nc: \"open\r\n---\r\n",
	    "threatfeed: x.md:4:1: invalid YAML: found unexpected end of stream "
	    "(while scanning a quoted scalar started at 3:4)\n",
	    "unclosed quote, CRLF");
	bad("---\nlevel: low\nt: \xC2\x80\n---\n",
	    "threatfeed: x.md:3:4: invalid YAML: control characters are not allowed (#x80)\n",
	    "reader error at its byte offset, not 1:1");
	partly("---\nlevel: low\ndate: x\nlevel: high\n---\n",
	       "threatfeed: x.md:4:1: duplicate key 'level' (first at line 2)\n", "duplicate key", 2,
	       "");
	partly("---\na: &x low\nb: *x\n---\n",
	       "threatfeed: x.md:2:4: anchors are not allowed (found '&x')\n"
	       "threatfeed: x.md:3:4: aliases are not allowed (found '*x')\n",
	       "anchor and alias, both reported", 0, "a b");
	partly("---\n*x : low\n---\n",
	       "threatfeed: x.md:2:1: aliases are not allowed (found '*x')\n", "alias as a key", 0, "");
	partly("---\na: !!str low\nb: !custom x\nc: kept\n---\n",
	       "threatfeed: x.md:2:4: tags are not allowed (found '!!str'; values are plain text)\n"
	       "threatfeed: x.md:3:4: tags are not allowed (found '!custom'; values are plain text)\n",
	       "tags, standard or not", 1, "a b");
	partly("---\nlevel:\n  - low\n  - high\ntitle: [a, b]\n---\n",
	       "threatfeed: x.md:3:3: 'level' must be a single value, not a list\n"
	       "threatfeed: x.md:5:8: 'title' must be a single value, not a list\n",
	       "list values, both reported", 0, "level title");
	partly("---\nlevel:\n  name: low\n  rank: 1\ndate: x\n---\n",
	       "threatfeed: x.md:3:3: 'level' must be a single value, not a mapping\n",
	       "nested mapping", 1, "level");
	partly("---\n? [a, b]\n: c\n---\n",
	       "threatfeed: x.md:2:3: keys must be plain text, not a list\n", "a list as a key", 0, "");
	bad("---\n- level: low\n- date: x\n---\n",
	    "threatfeed: x.md:2:1: front matter must be a mapping of 'key: value' lines, not a list\n",
	    "top-level sequence");
	bad("---\njust words\n---\n",
	    "threatfeed: x.md:2:1: front matter must be a mapping of 'key: value' lines, "
	    "not a single value\n", "top-level scalar");
	bad("---\nlevel: low\n--- date: x\n---\n",
	    "threatfeed: x.md:3:1: front matter must be one YAML document (found a second one)\n",
	    "two documents");
	partly("---\nt: \"a\\0b\"\nu: \"\\x01\"\n---\n",
	    "threatfeed: x.md:2:4: value of 't' is not valid text: NUL byte\n"
	    "threatfeed: x.md:3:4: value of 'u' is not valid text: control character that "
	    "XML 1.0 forbids\n",
	    "escapes cannot smuggle in NUL or control characters", 0, "t u");

	buf_puts(&big, "---\n");
	for (int i = 0; i < 70; i++)
		buf_printf(&big, "k%d: v\n", i);
	buf_puts(&big, "k0: again\n---\n");
	ok(parse(&fm, big.ptr, big.len, &messages) == FRONTMATTER_PARTLY && fm.count == 64,
	   "70 keys: the first 64 are kept, the others refused");
	frontmatter_release(&fm);
	is_str(messages, "threatfeed: x.md:66:1: more than 64 keys (front matter holds a few "
	       "fields)\nthreatfeed: x.md:72:1: duplicate key 'k0' (first at line 2)\n",
	       "the key cap is reported once, other problems still found");
	free(messages);

	buf_reset(&big);
	buf_puts(&big, "---\n");
	while (big.len < 70 * 1024)
		buf_puts(&big, "# a long comment line, padding the block past its cap\n");
	buf_puts(&big, "---\n");
	ok(parse(&fm, big.ptr, big.len, &messages) == -1, "a block over 64 KiB is refused");
	is_str(messages, "threatfeed: x.md:1:1: front matter is longer than 64 KiB (expected a "
	       "closing '---' line)\n", "the size cap is said");
	free(messages);
	buf_release(&big);
}

/* YAML's null written unquoted is no value; quoted, or part of a longer text, it is text. */
static void
test_null(void)
{
	static const char s[] = "---\na: ~\nb: null\nc: Null\nd: NULL\ne: 'null'\nf: \"~\"\ng: nullish\n---\n";
	static const char *const want[] = { "", "", "", "", "null", "~", "nullish" };
	struct frontmatter fm;
	char *messages = NULL;
	int rc = parse(&fm, s, strlen(s), &messages);

	ok(rc == 0 && fm.count == 7, "nulls: every key is kept");
	for (size_t i = 0; rc == 0 && i < fm.count; i++)
		is_str(fm.fields[i].value, want[i], fm.fields[i].key);
	is_str(messages, "", "nulls: nothing to say");
	if (rc == 0)
		frontmatter_release(&fm);
	free(messages);
}

/* An item of a list field: its value and position. */
static void
item_is(const struct frontmatter_field *f, size_t i, const char *value, unsigned line, unsigned col)
{
	if (!ok(f && f->is_list && i < f->nitems, "item %zu is there", i))
		return;
	is_str(f->items[i].value, value, "item's value");
	ok(f->items[i].line == line && f->items[i].col == col && !f->items[i].key,
	   "item '%s' at %u:%u", value, line, col);
}

/* A key the caller names may hold a list of single values; any other may not. */
static void
test_lists(void)
{
	static const char block[] = "---\nlevel: low\naliases:\n  - 2014/a/\n  - '2015/b/'\n---\n";
	static const char flow[] = "---\naliases: [2014/a/, ~]\n---\n";
	static const char one[] = "---\naliases: 2014/a/\n---\n";
	static const char empty[] = "---\naliases: []\n---\n";
	struct buf big = BUF_INIT;
	struct frontmatter fm;
	const struct frontmatter_field *f;
	char *messages = NULL;

	ok(parse(&fm, block, strlen(block), &messages) == 0, "a block list parses");
	is_str(messages, "", "a block list: nothing to say");
	f = frontmatter_get(&fm, "aliases");
	ok(f && f->is_list && f->nitems == 2 && f->line == 4 && f->col == 3 && f->key_line == 3,
	   "a block list: two items, the list where its first dash is");
	item_is(f, 0, "2014/a/", 4, 5);
	item_is(f, 1, "2015/b/", 5, 5);
	ok(f && f->items[1].quoted, "a quoted item is known as quoted");
	field_is(&fm, "level", "low", 2, 1, 2, 8);
	frontmatter_release(&fm);
	free(messages);
	messages = NULL;

	ok(parse(&fm, flow, strlen(flow), &messages) == 0, "a flow list parses");
	f = frontmatter_get(&fm, "aliases");
	ok(f && f->is_list && f->nitems == 2, "a flow list: two items");
	item_is(f, 0, "2014/a/", 2, 11);
	item_is(f, 1, "", 2, 20);
	frontmatter_release(&fm);
	free(messages);
	messages = NULL;

	ok(parse(&fm, one, strlen(one), &messages) == 0, "a single value of a list key parses");
	f = frontmatter_get(&fm, "aliases");
	ok(f && !f->is_list && f->nitems == 0 && strcmp(f->value, "2014/a/") == 0,
	   "a single value stays a single value");
	frontmatter_release(&fm);
	free(messages);
	messages = NULL;

	ok(parse(&fm, empty, strlen(empty), &messages) == 0, "an empty list parses");
	f = frontmatter_get(&fm, "aliases");
	ok(f && f->is_list && f->nitems == 0 && !f->items, "an empty list has no items");
	frontmatter_release(&fm);
	free(messages);

	partly("---\nlevel: low\naliases: [2014/a/, [b], {c: d}]\n---\n",
	       "threatfeed: x.md:3:20: 'aliases' must be a list of single values, not hold a list\n"
	       "threatfeed: x.md:3:25: 'aliases' must be a list of single values, not hold a mapping\n",
	       "lists and mappings inside a list", 1, "aliases");
	partly("---\nlevel: low\naliases: [&x a, !!str b]\n---\n",
	       "threatfeed: x.md:3:11: anchors are not allowed (found '&x')\n"
	       "threatfeed: x.md:3:17: tags are not allowed (found '!!str'; values are plain text)\n",
	       "anchors and tags in a list", 1, "aliases");
	buf_puts(&big, "---\nlevel: low\naliases:\n");
	for (int i = 0; i <= FRONTMATTER_MAX_ITEMS; i++)
		buf_printf(&big, "  - 2014/a%d/\n", i);
	buf_puts(&big, "---\n");
	partly(big.ptr, "threatfeed: x.md:68:5: more than 64 values in 'aliases' (a list here holds a few)\n",
	       "65 values", 1, "aliases");
	buf_release(&big);
	partly("---\nlevel: [low]\naliases: [a]\n---\n",
	       "threatfeed: x.md:2:8: 'level' must be a single value, not a list\n",
	       "a key not named may not hold a list", 1, "level");
}

int
main(void)
{
	test_good();
	test_lists();
	test_null();
	test_shapes();
	test_body();
	test_bad();
	return tests_done();
}
