/*
 * frontmatter: the "---" block at the top of a content file, read with libyaml's event parser.
 *
 * The event API (not the document loader) is used so that nothing beyond one flat mapping is ever
 * built in memory, and so that each refused construct can be reported at its own position while
 * parsing carries on to the next problem.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "frontmatter.h"

/* An announcement has seven fields; anything near these limits is not front matter. */
#define FRONTMATTER_MAX_BYTES ((size_t)64 * 1024)
#define FRONTMATTER_MAX_KEYS 64

/* Where the block sits in the file, and what follows it. */
struct block {
	size_t start;          /* first byte after the opening line */
	size_t len;            /* up to the start of the closing line */
	size_t body;           /* first byte after the closing line */
	unsigned body_line;
};

/* State shared by the event walk. */
struct walk {
	const char *path;
	const char *data;      /* the whole file, for positions */
	size_t len;
	const struct block *blk;
	struct diag *d;
	struct frontmatter *fm;
	const char *const *list_keys;   /* keys whose value may be a list */
	size_t cap;            /* allocated entries of fm->fields */
	int too_many;          /* "more than 64 keys" already reported */
	size_t pair_errors;    /* problems of single pairs, after which the rest is still usable */
	/* Cache for char_to_byte: libyaml's marks count characters, walks are mostly forward. */
	size_t cache_chars, cache_bytes;
};

/*
 * Length of the line starting at data[i], without its line break; *next gets the start of the
 * following line (len when there is none).
 */
static size_t
line_at(const char *data, size_t len, size_t i, size_t *next)
{
	const char *nl = memchr(data + i, '\n', len - i);
	size_t end = nl ? (size_t)(nl - data) : len;

	*next = nl ? end + 1 : len;
	return end - i;
}

/*
 * Is data[i..i+n) the marker `m` ("---" or "..."), then only white space (YAML's: spaces and tabs)
 * and an optional final CR?
 */
static int
is_marker_line(const char *s, size_t n, const char *m)
{
	size_t i = 3;

	if (n < 3 || memcmp(s, m, 3) != 0)
		return 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] == '\r')
		i++;
	return i == n;
}

static void
position(const struct walk *w, size_t offset, unsigned *line, unsigned *col)
{
	text_position(w->data, w->len, offset, line, col);
}

/*
 * libyaml's mark.index counts characters (a CRLF counts two), not bytes, so walk the block's
 * UTF-8 to find the byte. The block passed text_check, so every sequence is well formed.
 */
static size_t
char_to_byte(struct walk *w, size_t chars)
{
	const char *s = w->data + w->blk->start;
	size_t n = w->blk->len;
	size_t c = 0, b = 0;

	if (chars >= w->cache_chars) {
		c = w->cache_chars;
		b = w->cache_bytes;
	}
	while (c < chars && b < n) {
		b++;
		while (b < n && ((unsigned char)s[b] & 0xC0) == 0x80)
			b++;
		c++;
	}
	w->cache_chars = c;
	w->cache_bytes = b;
	return w->blk->start + b;
}

/* The 1-based file position of a libyaml mark. */
static void
mark_position(struct walk *w, const yaml_mark_t *m, unsigned *line, unsigned *col)
{
	position(w, char_to_byte(w, m->index), line, col);
}

enum block_problem { BLOCK_FOUND, BLOCK_MISSING, BLOCK_TOO_LONG, BLOCK_UNTERMINATED };

/* Finds the block, or says what is wrong with it. */
static enum block_problem
find_block(struct block *blk, const char *data, size_t len)
{
	size_t i = 0, next = len, n;
	unsigned line = 1;

	/* A UTF-8 byte order mark, as some Windows editors write, is not part of the first line. */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	n = len > i ? line_at(data, len, i, &next) : 0;
	if (!is_marker_line(data + i, n, "---"))
		return BLOCK_MISSING;
	blk->start = next;
	for (i = next; i < len; i = next) {
		line++;
		if (i - blk->start > FRONTMATTER_MAX_BYTES)
			return BLOCK_TOO_LONG;
		n = line_at(data, len, i, &next);
		if (is_marker_line(data + i, n, "---") || is_marker_line(data + i, n, "...")) {
			blk->len = i - blk->start;
			blk->body = next;
			blk->body_line = line + 1;
			return BLOCK_FOUND;
		}
	}
	return BLOCK_UNTERMINATED;
}

static int
block_error(enum block_problem problem, const char *path, struct diag *d)
{
	switch (problem) {
	case BLOCK_FOUND:
		return 0;
	case BLOCK_MISSING:
		return diag_error(d, path, 1, 1, "missing front matter (expected a first line '---')");
	case BLOCK_TOO_LONG:
		return diag_error(d, path, 1, 1, "front matter is longer than %zu KiB "
				  "(expected a closing '---' line)", FRONTMATTER_MAX_BYTES / 1024);
	case BLOCK_UNTERMINATED:
		break;
	}
	return diag_error(d, path, 1, 1, "unterminated front matter (expected a closing '---' line)");
}

/*
 * What an editor most likely meant by one of libyaml's commonest complaints, when the line it is
 * about shows it: a plain value holding ": " or starting with "- " after its key, a value that
 * starts with a quotation mark and goes on after the closing one, a value starting with a
 * character YAML keeps for itself, a tab that indents. NULL for anything else.
 */
static const char *
yaml_hint(struct walk *w, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "";
	size_t at = char_to_byte(w, p->problem_mark.index), start = at;
	const char *after_key;
	char c = at < w->len ? w->data[at] : '\0';

	while (start > 0 && w->data[start - 1] != '\n')
		start--;
	/* What the line holds after its key, up to the problem. */
	after_key = memmem(w->data + start, at - start, ": ", 2);
	if (strncmp(problem, "mapping values are not allowed", 30) == 0 && after_key)
		return "expected one 'key: value' on each line; put a value holding ': ' in quotes: "
		       "title: \"Update: level lowered\"";
	if (strncmp(problem, "did not find expected key", 25) == 0 && after_key &&
	    strcspn(after_key + 2, "\"'") < (size_t)(w->data + at - (after_key + 2)))
		return "expected 'key: value' lines; a value that starts with a quotation mark ends "
		       "with it: put the whole value in quotes";
	if (strncmp(problem, "block sequence entries are not allowed", 38) == 0 && after_key)
		return "expected a single value; put a value starting with '- ' in quotes";
	if (strncmp(problem, "found character that cannot start any token", 44) == 0) {
		if (c == '\t')
			return "expected spaces, not a tab, before a value or a key";
		if (c && strchr("@`%", c))
			return "put a value starting with '@', '`' or '%' in quotes";
	}
	return NULL;
}

/*
 * Reports libyaml's failure in its own words, at the position it gives in bytes or characters,
 * with what was most likely meant when that is known (instead of libyaml's context, which names
 * its own states: "while parsing a block mapping").
 */
static int
yaml_failure(struct walk *w, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error", *hint;
	unsigned line, col, cline, ccol;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return diag_error(w->d, w->path, 0, 0, "out of memory parsing front matter");
	case YAML_READER_ERROR:
		/* The reader's problem_offset is in bytes of the input; its mark is not set. */
		position(w, w->blk->start + p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			return diag_error(w->d, w->path, line, col, "invalid YAML: %s (#x%X)",
					  problem, (unsigned)p->problem_value);
		return diag_error(w->d, w->path, line, col, "invalid YAML: %s", problem);
	default:
		mark_position(w, &p->problem_mark, &line, &col);
		if ((hint = yaml_hint(w, p)))
			return diag_error(w->d, w->path, line, col, "invalid YAML: %s (%s)", problem,
					  hint);
		if (!p->context)
			return diag_error(w->d, w->path, line, col, "invalid YAML: %s", problem);
		mark_position(w, &p->context_mark, &cline, &ccol);
		return diag_error(w->d, w->path, line, col, "invalid YAML: %s (%s started at %u:%u)",
				  problem, p->context, cline, ccol);
	}
}

/* Next event, or -1 after reporting libyaml's error (the parser cannot go on after one). */
static int
next_event(struct walk *w, yaml_parser_t *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(p, ev))
		return yaml_failure(w, p);
	return 0;
}

/* Shows "tag:yaml.org,2002:str" the way it was written, "!!str". */
static void
tag_text(struct buf *b, const char *tag)
{
	static const char core[] = "tag:yaml.org,2002:";

	if (strncmp(tag, core, sizeof(core) - 1) == 0)
		buf_printf(b, "!!%s", tag + sizeof(core) - 1);
	else
		buf_puts(b, tag);
}

/*
 * Refuses an anchor or an explicit tag on a node, then an alias. Returns -1 when something was
 * reported. An anchor is only useful with an alias, and a tag would give a value a type other than
 * text, so neither has a meaning here.
 */
static int
check_properties(struct walk *w, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	struct buf t = BUF_INIT;
	unsigned line, col;
	int ret = 0;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	case YAML_ALIAS_EVENT:
		mark_position(w, &ev->start_mark, &line, &col);
		return diag_error(w->d, w->path, line, col, "aliases are not allowed (found '*%s')",
				  (const char *)ev->data.alias.anchor);
	default:
		return 0;
	}
	mark_position(w, &ev->start_mark, &line, &col);
	if (anchor)
		ret = diag_error(w->d, w->path, line, col, "anchors are not allowed (found '&%s')",
				 (const char *)anchor);
	if (tag) {
		tag_text(&t, (const char *)tag);
		ret = diag_error(w->d, w->path, line, col, "tags are not allowed (found '%s'; "
				 "values are plain text)", t.ptr ? t.ptr : "");
	}
	buf_release(&t);
	return ret;
}

/*
 * Skips the rest of a sequence or mapping whose start event was just read, still reporting
 * aliases, anchors and tags inside it. Returns -1 on a YAML error.
 */
static int
skip_collection(struct walk *w, yaml_parser_t *p)
{
	yaml_event_t ev;
	size_t depth = 1;

	while (depth > 0) {
		if (next_event(w, p, &ev) < 0)
			return -1;
		check_properties(w, &ev);
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
	}
	return 0;
}

/*
 * Double-quoted escapes can produce bytes the file itself could not hold ("\0", "\x01",
 * "\uFFFE"): check decoded text as the whole file was checked.
 */
static int
check_text(struct walk *w, const yaml_event_t *ev, const char *what, const char *key)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	unsigned l, c, line, col;
	const char *why;

	if (text_check(s, n, &l, &c, &why) == 0)
		return 0;
	mark_position(w, &ev->start_mark, &line, &col);
	if (key)
		return diag_error(w->d, w->path, line, col, "%s of '%s' is not valid text: %s",
				  what, key, why);
	return diag_error(w->d, w->path, line, col, "%s is not valid text: %s", what, why);
}

static const struct frontmatter_field *
find_key(const struct frontmatter *fm, const char *key)
{
	for (size_t i = 0; i < fm->count; i++)
		if (strcmp(fm->fields[i].key, key) == 0)
			return &fm->fields[i];
	return NULL;
}

int
frontmatter_is_null_word(const char *s)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL" };

	for (size_t i = 0; i < sizeof(nulls) / sizeof(*nulls); i++)
		if (strcmp(s, nulls[i]) == 0)
			return 1;
	return 0;
}

/*
 * "title: Level #1 lowered" is the title "Level": in YAML, '#' after a space starts a comment. A
 * comment that starts like a word ("#1", "#tag") rather than "# a note" was most likely meant
 * as part of the plain value before it: warned about, at the '#'.
 */
static void
warn_comment_like_a_word(struct walk *w, const char *key, const yaml_event_t *value)
{
	size_t value_end = char_to_byte(w, value->end_mark.index), i = value_end, eol;
	size_t end = w->blk->start + w->blk->len;
	unsigned line, col;

	while (i < end && (w->data[i] == ' ' || w->data[i] == '\t'))
		i++;
	if (i == value_end || i + 1 >= end || w->data[i] != '#' ||
	    strchr(" \t\r\n#", w->data[i + 1]))
		return;
	for (eol = i; eol < end && w->data[eol] != '\n' && w->data[eol] != '\r'; eol++)
		;
	position(w, i, &line, &col);
	diag_warning(w->d, w->path, line, col, "'%.*s' is a YAML comment, left out of '%s' (put the "
		     "whole value in quotes to keep it)", (int)(eol - i), w->data + i, key);
}

/* Gives f the scalar event value's text and position; key names it in a warning. */
static void
set_value(struct walk *w, struct frontmatter_field *f, const char *key, const yaml_event_t *value)
{
	/* YAML's null, unquoted ("title: ~"), is no value: the same as "title:", not the text "~". */
	if (value->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    frontmatter_is_null_word((const char *)value->data.scalar.value))
		f->value = xstrdup("");
	else
		f->value = xstrndup((const char *)value->data.scalar.value, value->data.scalar.length);
	mark_position(w, &value->start_mark, &f->line, &f->col);
	f->quoted = value->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		    value->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (value->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && value->data.scalar.length)
		warn_comment_like_a_word(w, key, value);
}

/*
 * Records the pair of the key event and value, a scalar or the start of a list whose items are
 * given (and taken).
 */
static void
add_field(struct walk *w, const yaml_event_t *key, const yaml_event_t *value,
	  struct frontmatter_field *items, size_t nitems)
{
	struct frontmatter *fm = w->fm;
	struct frontmatter_field *f;

	if (fm->count == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 8;
		fm->fields = xreallocarray(fm->fields, w->cap, sizeof(*fm->fields));
	}
	f = &fm->fields[fm->count++];
	memset(f, 0, sizeof(*f));
	f->key = xstrndup((const char *)key->data.scalar.value, key->data.scalar.length);
	mark_position(w, &key->start_mark, &f->key_line, &f->key_col);
	if (value->type == YAML_SCALAR_EVENT) {
		set_value(w, f, f->key, value);
		return;
	}
	f->value = xstrdup("");
	mark_position(w, &value->start_mark, &f->line, &f->col);
	f->is_list = 1;
	f->items = items;
	f->nitems = nitems;
}

static void
release_items(struct frontmatter_field *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].value);
	free(items);
}

static int
may_be_list(const struct walk *w, const char *key)
{
	for (const char *const *k = w->list_keys; k && *k; k++)
		if (strcmp(*k, key) == 0)
			return 1;
	return 0;
}

/*
 * Reads the items of the list of key `name` whose start event was just read, up to its end:
 * single values only, at most FRONTMATTER_MAX_ITEMS. Returns -1 on a YAML error; *bad is set
 * when an item was refused (and reported).
 */
static int
read_list(struct walk *w, yaml_parser_t *p, const char *name, struct frontmatter_field **items,
	  size_t *nitems, int *bad)
{
	yaml_event_t ev;
	unsigned line, col;
	int ret = 0;

	for (;;) {
		if (next_event(w, p, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (check_properties(w, &ev) < 0)
			*bad = 1;
		mark_position(w, &ev.start_mark, &line, &col);
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			diag_error(w->d, w->path, line, col, "'%s' must be a list of single values, "
				   "not hold a %s", name,
				   ev.type == YAML_SEQUENCE_START_EVENT ? "list" : "mapping");
			*bad = 1;
			if ((ret = skip_collection(w, p)) < 0)
				break;
		} else if (ev.type != YAML_SCALAR_EVENT || check_text(w, &ev, "value", name) < 0) {
			*bad = 1;
		} else if (*nitems == FRONTMATTER_MAX_ITEMS) {
			if (!*bad)
				diag_error(w->d, w->path, line, col, "more than %d values in '%s' "
					   "(a list here holds a few)", FRONTMATTER_MAX_ITEMS, name);
			*bad = 1;
		} else if (!*bad) {
			*items = xreallocarray(*items, *nitems + 1, sizeof(**items));
			memset(&(*items)[*nitems], 0, sizeof(**items));
			set_value(w, &(*items)[(*nitems)++], name, &ev);
		}
		yaml_event_delete(&ev);
	}
	yaml_event_delete(&ev);
	return ret;
}

/*
 * Reads the value of the key event `key` (NULL when the key itself was refused) and records the
 * pair when both are good. Returns -1 on a YAML error.
 */
static int
read_value(struct walk *w, yaml_parser_t *p, const yaml_event_t *key)
{
	const char *name = key ? (const char *)key->data.scalar.value : NULL;
	const struct frontmatter_field *first;
	struct frontmatter_field *items = NULL;
	size_t nitems = 0;
	yaml_event_t ev;
	unsigned line, col;
	int bad, ret = 0;

	if (next_event(w, p, &ev) < 0)
		return -1;
	bad = check_properties(w, &ev) < 0;
	mark_position(w, &ev.start_mark, &line, &col);
	switch (ev.type) {
	case YAML_SCALAR_EVENT:
		if (name && check_text(w, &ev, "value", name) < 0)
			bad = 1;
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (name && may_be_list(w, name)) {
			ret = read_list(w, p, name, &items, &nitems, &bad);
			break;
		}
		/* fall through */
	case YAML_MAPPING_START_EVENT:
		if (name)
			diag_error(w->d, w->path, line, col, "'%s' must be a single value, not a %s",
				   name, ev.type == YAML_SEQUENCE_START_EVENT ? "list" : "mapping");
		bad = 1;
		ret = skip_collection(w, p);
		break;
	default:
		/* An alias, already reported; nothing else can follow a key. */
		bad = 1;
		break;
	}
	if (name && bad) {
		w->fm->refused = xreallocarray(w->fm->refused, w->fm->nrefused + 1,
					       sizeof(*w->fm->refused));
		w->fm->refused[w->fm->nrefused++] = xstrdup(name);
	}
	if (!name || bad)
		goto out;
	mark_position(w, &key->start_mark, &line, &col);
	if ((first = find_key(w->fm, name))) {
		diag_error(w->d, w->path, line, col, "duplicate key '%s' (first at line %u)", name,
			   first->key_line);
	} else if (w->fm->count == FRONTMATTER_MAX_KEYS) {
		if (!w->too_many)
			diag_error(w->d, w->path, line, col, "more than %d keys (front matter holds "
				   "a few fields)", FRONTMATTER_MAX_KEYS);
		w->too_many = 1;
	} else {
		add_field(w, key, &ev, items, nitems);
		items = NULL;
		nitems = 0;
	}
out:
	release_items(items, nitems);
	yaml_event_delete(&ev);
	return ret;
}

/* Reads key/value pairs up to the end of the top mapping. Returns -1 on a YAML error. */
static int
read_mapping(struct walk *w, yaml_parser_t *p)
{
	yaml_event_t key;
	unsigned line, col;
	int ret = 0, good;

	for (;;) {
		if (next_event(w, p, &key) < 0)
			return -1;
		if (key.type == YAML_MAPPING_END_EVENT)
			break;
		good = check_properties(w, &key) == 0;
		mark_position(w, &key.start_mark, &line, &col);
		if (key.type == YAML_SEQUENCE_START_EVENT || key.type == YAML_MAPPING_START_EVENT) {
			diag_error(w->d, w->path, line, col, "keys must be plain text, not a %s",
				   key.type == YAML_SEQUENCE_START_EVENT ? "list" : "mapping");
			good = 0;
			if (skip_collection(w, p) < 0) {
				ret = -1;
				break;
			}
		} else if (key.type == YAML_SCALAR_EVENT && good) {
			good = check_text(w, &key, "key", NULL) == 0;
		} else {
			good = 0;
		}
		if (read_value(w, p, good ? &key : NULL) < 0) {
			ret = -1;
			break;
		}
		yaml_event_delete(&key);
	}
	yaml_event_delete(&key);
	return ret;
}

/*
 * The stream: nothing at all (an empty block), or one document holding one mapping. Returns -1 on
 * a YAML error; other problems are counted in w->d.
 */
static int
read_stream(struct walk *w, yaml_parser_t *p)
{
	yaml_event_t ev;
	unsigned line, col;
	int documents = 0, ret = 0;

	for (;;) {
		if (next_event(w, p, &ev) < 0)
			return -1;
		mark_position(w, &ev.start_mark, &line, &col);
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1) {
				diag_error(w->d, w->path, line, col, "front matter must be one YAML "
					   "document (found a second one)");
				goto out;
			}
			break;
		case YAML_MAPPING_START_EVENT: {
			size_t before;

			check_properties(w, &ev);
			before = w->d->errors;
			if (read_mapping(w, p) < 0)
				ret = -1;
			w->pair_errors += w->d->errors - before;
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			diag_error(w->d, w->path, line, col, "front matter must be a mapping of "
				   "'key: value' lines, not a %s",
				   ev.type == YAML_SEQUENCE_START_EVENT ? "list" : "single value");
			check_properties(w, &ev);
			if (ev.type == YAML_SEQUENCE_START_EVENT && skip_collection(w, p) < 0)
				ret = -1;
			break;
		case YAML_STREAM_END_EVENT:
			goto out;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (ret < 0)
			return -1;
	}
out:
	yaml_event_delete(&ev);
	return ret;
}

int
frontmatter_parse(struct frontmatter *out, const char *path, const char *data, size_t len,
		  const char *const *list_keys, struct diag *d)
{
	struct block blk;
	struct walk w;
	yaml_parser_t parser;
	size_t errors_before = d->errors;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (block_error(find_block(&blk, data, len), path, d) < 0)
		return -1;
	memset(&w, 0, sizeof(w));
	w.path = path;
	w.data = data;
	w.len = len;
	w.blk = &blk;
	w.d = d;
	w.fm = out;
	w.list_keys = list_keys;

	if (!yaml_parser_initialize(&parser))
		return diag_error(d, path, 0, 0, "out of memory parsing front matter");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data + blk.start, blk.len);
	/* The file is UTF-8 (text_check said so); never let libyaml guess UTF-16. */
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	if (read_stream(&w, &parser) < 0 || d->errors - errors_before > w.pair_errors)
		goto out;
	out->body = data + blk.body;
	out->body_len = len - blk.body;
	out->body_line = blk.body_line;
	ret = w.pair_errors ? FRONTMATTER_PARTLY : 0;
out:
	yaml_parser_delete(&parser);
	if (ret < 0)
		frontmatter_release(out);
	return ret;
}

int
frontmatter_body(const char *data, size_t len, const char **body, size_t *body_len)
{
	struct block blk;

	if (find_block(&blk, data, len) != BLOCK_FOUND)
		return -1;
	*body = data + blk.body;
	*body_len = len - blk.body;
	return 0;
}

const struct frontmatter_field *
frontmatter_get(const struct frontmatter *fm, const char *key)
{
	assert(fm && key);
	return find_key(fm, key);
}

void
frontmatter_release(struct frontmatter *fm)
{
	for (size_t i = 0; i < fm->count; i++) {
		free(fm->fields[i].key);
		free(fm->fields[i].value);
		release_items(fm->fields[i].items, fm->fields[i].nitems);
	}
	free(fm->fields);
	for (size_t i = 0; i < fm->nrefused; i++)
		free(fm->refused[i]);
	free(fm->refused);
	memset(fm, 0, sizeof(*fm));
}

int
frontmatter_refused(const struct frontmatter *fm, const char *key)
{
	for (size_t i = 0; i < fm->nrefused; i++)
		if (strcmp(fm->refused[i], key) == 0)
			return 1;
	return 0;
}

const char *
frontmatter_library_version(void)
{
	return yaml_get_version_string();
}
