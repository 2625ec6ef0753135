/*
 * Front matter as the model reads an announcement: text_check first (only text it accepts reaches
 * the parser), then frontmatter_parse, then the lookups and the date the model makes of it.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "frontmatter.h"
#include "fuzz.h"
#include "util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct frontmatter fm;
	const struct frontmatter_field *f;
	struct diag d;
	struct timestamp t;
	unsigned line, col;
	const char *why;
	FILE *null;
	int rc;

	if (text_check(text, size, &line, &col, &why) < 0)
		return 0;
	if (!(null = fopen("/dev/null", "w")))
		return 0;
	diag_init(&d, null);
	static const char *const list_keys[] = { "aliases", NULL };

	if ((rc = frontmatter_parse(&fm, "content/levels/fuzz.md", text, size, list_keys, &d)) >= 0) {
		/* Pairs refused are reported; what is kept is as checked as a clean file's. */
		assert(rc == 0 ? d.errors == 0 : rc == FRONTMATTER_PARTLY && d.errors > 0);
		for (size_t i = 0; i < fm.nrefused; i++)
			assert(frontmatter_refused(&fm, fm.refused[i]));
		/* The body lies inside the input, after the front matter. */
		assert(fm.body >= text && fm.body + fm.body_len <= text + size);
		assert(fm.body_line >= 1);
		for (size_t i = 0; i < fm.count; i++) {
			assert(fm.fields[i].key && fm.fields[i].value);
			assert(frontmatter_get(&fm, fm.fields[i].key) == &fm.fields[i]);
			/* Only a key allowed a list holds one, and its items are single values. */
			assert(!fm.fields[i].is_list || strcmp(fm.fields[i].key, "aliases") == 0);
			for (size_t k = 0; k < fm.fields[i].nitems; k++)
				assert(fm.fields[i].items[k].value && !fm.fields[i].items[k].is_list);
		}
		if ((f = frontmatter_get(&fm, "date")))
			date_parse_rfc3339(&t, f->value, &why, NULL);
		frontmatter_release(&fm);
	} else {
		assert(d.errors > 0);
	}
	fclose(null);
	return 0;
}
