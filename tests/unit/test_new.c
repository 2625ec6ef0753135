/*
 * Unit tests of new's YAML quoting: every value read back through the front matter parser must be
 * exactly what was written, whatever characters it holds; and hooks' scripts.
 */
#include <stdlib.h>
#include <string.h>

#include "frontmatter.h"
#include "harness.h"
#include "hooks.h"
#include "new.h"

/* Writes "title: <scalar>" as front matter, parses it back, compares. */
static void
round_trip(const char *value, const char *want_form, const char *what)
{
	struct buf doc = BUF_INIT, scalar = BUF_INIT;
	struct frontmatter fm;
	const struct frontmatter_field *f;
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);
	struct diag d;

	diag_init(&d, err);
	new_yaml_scalar(&scalar, value);
	if (want_form)
		is_str(scalar.ptr, want_form, what);
	buf_printf(&doc, "---\ntitle: %s\n---\nBody.\n", scalar.ptr);
	if (ok(frontmatter_parse(&fm, "t.md", doc.ptr, doc.len, NULL, &d) == 0, "%s: parses", what)) {
		f = frontmatter_get(&fm, "title");
		is_str(f ? f->value : NULL, value, what);
		frontmatter_release(&fm);
	}
	fclose(err);
	if (d.errors)
		printf("# %s", text);
	free(text);
	buf_release(&doc);
	buf_release(&scalar);
}

int
main(void)
{
	char *s;

	round_trip("severe", "severe", "a level name stays plain");
	round_trip("2014-08-29T14:00:00+01:00", "2014-08-29T14:00:00+01:00", "a date stays plain");
	round_trip("tag:threat.example.org,2024-06-01:national/20240601T113000Z",
		   "tag:threat.example.org,2024-06-01:national/20240601T113000Z", "a tag: id stays plain");
	round_trip("Threat level raised to SEVERE", "\"Threat level raised to SEVERE\"",
		   "a title with spaces is quoted");
	round_trip("say \"hi\" \\ now", "\"say \\\"hi\\\" \\\\ now\"", "quotes and backslashes escaped");
	round_trip("a: b # c", NULL, "': ' and ' #' survive");
	round_trip("- item", NULL, "a leading dash survives");
	round_trip("null", "\"null\"", "the word null stays text");
	round_trip("NULL", "\"NULL\"", "... in capitals too");
	round_trip("'single' & *star !bang %pct @at `tick` |pipe >gt {brace} [bracket]", NULL,
		   "YAML indicators survive");
	round_trip("tab\there", "\"tab\\there\"", "a tab is escaped");
	round_trip("C1 \xc2\x90 and \xc2\x9f", "\"C1 \\x90 and \\x9f\"",
		   "C1 controls, which libyaml refuses raw, are escaped");
	round_trip("next \xc2\x85 line \xe2\x80\xa8 and \xe2\x80\xa9 para",
		   "\"next \\N line \\L and \\P para\"",
		   "U+0085, U+2028 and U+2029, line breaks to YAML, are escaped");
	round_trip("Café — niveau élevé", NULL, "UTF-8 survives");
	round_trip("-", NULL, "a lone dash survives");
	round_trip(".5", NULL, "a leading dot survives");
	round_trip("Warning:", NULL, "a trailing colon survives");
	round_trip("tag:x:", NULL, "... after another colon too");

	s = hooks_script("pre-commit", "/opt/it's here/threatfeed");
	ok(s && strstr(s, "exec '/opt/it'\\''s here/threatfeed' check --staged\n") != NULL,
	   "pre-commit runs check --staged through a single-quoted path");
	ok(s && strncmp(s, "#!/bin/sh\n" HOOKS_MARKER ":", strlen("#!/bin/sh\n" HOOKS_MARKER ":")) == 0,
	   "the marker is the second line");
	free(s);
	s = hooks_script("pre-receive", "/usr/bin/threatfeed");
	ok(s && strstr(s, "tf='/usr/bin/threatfeed'\n") && strstr(s, "check -C") &&
	   strstr(s, "threatfeed.branch"), "pre-receive checks the published branch");
	free(s);
	s = hooks_script("post-receive", "/usr/bin/threatfeed");
	ok(s && strstr(s, "threatfeed.deploy") && strstr(s, "--ping"), "post-receive builds and pings");
	free(s);
	ok(hooks_script("update", "/x") == NULL, "no script for other hooks");
	return tests_done();
}
