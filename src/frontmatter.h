/*
 * frontmatter: splits an announcement or page into its YAML front matter and Markdown body, with
 * libyaml. A pure parser: bytes in, fields and diagnostics out, no I/O.
 *
 * The front matter is the text between a first line "---" and the next line "---" (or "..."). It
 * must be one flat YAML mapping of scalar keys to scalar values, or, for the keys the caller names,
 * to a list of scalar values: every value is kept as its text with its position, and meaning
 * (dates, levels) is given by the model. Refused, each with path:line:col: a missing or
 * unterminated block, YAML syntax errors (positions computed from libyaml's byte offset, not its
 * often-wrong line), duplicate keys, aliases and anchors, tags, mappings as values, lists as values
 * of other keys, lists inside lists, more than 64 keys or list items.
 */
#ifndef THREATFEED_FRONTMATTER_H
#define THREATFEED_FRONTMATTER_H

#include <stddef.h>

#include "util.h"

struct frontmatter_field {
	char *key;             /* NULL for an item of a list */
	char *value;           /* the scalar's text ("" for an empty value or a list) */
	unsigned key_line, key_col;
	unsigned line, col;    /* of the value, 1-based (its opening quotation mark, if quoted) */
	int quoted;            /* written in quotes: its text starts a column after col */
	int is_list;           /* a list (only for a key the caller allows one), its items below */
	struct frontmatter_field *items;   /* in file order, each a single value */
	size_t nitems;
};

struct frontmatter {
	struct frontmatter_field *fields;   /* in file order */
	size_t count;
	const char *body;      /* points into the caller's data, after the closing line */
	size_t body_len;
	unsigned body_line;    /* line number of body[0] */
	char **refused;        /* keys whose value was refused (a list, a tag...), each reported */
	size_t nrefused;
};

/* The most values a list may hold. */
#define FRONTMATTER_MAX_ITEMS 64

/* frontmatter_parse's result when some keys or values were refused but the rest is usable. */
#define FRONTMATTER_PARTLY 1

/*
 * Parses data[0..len) (which text_check has already accepted). list_keys, NULL-terminated or
 * NULL for none, names the keys whose value may be a list of single values as well as one
 * value. Reports every problem it can find through d against `path`. Returns 0; or
 * FRONTMATTER_PARTLY when only some pairs were refused (a duplicate key, a list, a tag): *out
 * holds the others and the body, so that the caller can still check them and report every
 * problem of the file at once, and frontmatter_refused names the keys that are there but have no
 * value to check; or -1 when the block could not be read (YAML syntax, no closing line, not a
 * mapping), and *out is released. Release with frontmatter_release.
 */
int frontmatter_parse(struct frontmatter *out, const char *path, const char *data, size_t len,
		      const char *const *list_keys, struct diag *d);
/*
 * The body of data[0..len), which frontmatter_parse accepted before (the same blob): found by the
 * closing line alone, for a second reading that needs the body only. -1 when there is no block.
 */
int frontmatter_body(const char *data, size_t len, const char **body, size_t *body_len);
const struct frontmatter_field *frontmatter_get(const struct frontmatter *fm, const char *key);
/*
 * Whether s is one of the YAML 1.2 core schema's spellings of null ("~", "null", "Null", "NULL"):
 * written unquoted as a value, it is read as no value at all.
 */
int frontmatter_is_null_word(const char *s);
/* Whether key was written but its value refused: it is not missing, nor checkable. */
int frontmatter_refused(const struct frontmatter *fm, const char *key);
void frontmatter_release(struct frontmatter *fm);

/* The version of the libyaml library loaded, e.g. "0.2.5": what is accepted depends on it. */
const char *frontmatter_library_version(void);

#endif
