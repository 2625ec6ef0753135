#include "model.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontmatter.h"
#include "links.h"
#include "markdown.h"

#define LEVELS_DIR "content/levels/"
#define PAGES_DIR "content/pages/"
#define SUMMARY_MAX 300
/*
 * A file name's stem becomes a folder of the site: "<stem>.md" within NAME_MAX (255 bytes on
 * ext4, XFS, tmpfs, APFS) keeps both the folder and the file an editor checks out creatable.
 */
#define SLUG_MAX 252
#define RECENT_MAX 5      /* announcements listed on the home page */
/*
 * Parsing front matter and rendering Markdown is most of a build's own work and each file is
 * independent: with this many files or more it is shared among up to LOAD_WORKERS threads.
 */
#define LOAD_PARALLEL_MIN 256
#define LOAD_WORKERS 4
#define LOAD_BATCH 16       /* files read between wake-ups of the parsing threads */
#define LOAD_AHEAD 512      /* files the reader may be ahead of the parsers */

static const char *const announcement_keys[] = { "level", "date", "title", "scope", "updated",
	"expires", "id", "aliases" };
static const char *const page_keys[] = { "title", "aliases" };
/* The keys that may hold a list of values: the old addresses of a page that moved. */
static const char *const list_keys[] = { "aliases", NULL };

/* One announcement while the model is being built; becomes an ENTRY object. */
struct announcement {
	const struct source_file *src;
	const struct level_def *level;
	const struct scope_def *scope;     /* NULL for the unnamed scope */
	struct timestamp date, updated;
	unsigned date_line, date_col;      /* where the date's value is, for messages */
	unsigned updated_line, updated_col; /* the same of 'updated', when given (else 0) */
	char *title;                       /* NULL: derived once the previous level is known */
	char *id;
	unsigned id_line, id_col;          /* 0: no id in the front matter, the default one */
	char *slug;
	char *content_html;
	char *summary_text;
	char *links;                       /* its body's links that may lead into the site */
	size_t links_len;
	char *aliases;                     /* its old addresses (collect_aliases') */
	size_t aliases_len;
	const struct announcement *previous;  /* the one before it in the same scope */
	int is_current;                    /* the newest of its scope */
	/*
	 * Of a current one: the first of the announcements at its level that lead to it, from which
	 * that level has been in force (itself unless a reaffirmation); NULL for the others.
	 */
	const struct announcement *since;
	int in_force;                      /* its level is its scope's current one, unchanged since */
	/*
	 * The later announcement of its scope whose coming last changed what its page says of it:
	 * the first at another level ("no longer in force"), else the next ("still in force").
	 * NULL for a current one.
	 */
	const struct announcement *status_changed_by;
	json_t *json;
	json_t *sitemap_item;              /* its item in the model's sitemap, made with json */
	char key[41];                      /* entry_key's, once json is made */
	char *rec;                         /* its record for the memo, when it loaded cleanly */
	size_t rec_len;
};

/* Strings every entry of a level or scope repeats: one jansson value each, shared (refcounted). */
struct shared_level {
	json_t *name, *title, *summary, *colour, *text_colour;
};

/* A free page's links and old addresses, kept until every page is known, for check_folders. */
struct page_links {
	const char *source;
	char *folder;                      /* "pages/<name>/" */
	char *links;
	size_t len;
	char *aliases;                     /* collect_aliases' */
	size_t aliases_len;
};

struct model_builder {
	const struct config *cfg;
	const struct model_memo *memo;
	struct shared_level *levels;       /* per cfg->levels, filled by assemble */
	json_t **scope_names, **scope_titles;
	json_t *directions[4];             /* per directions[], filled by assemble */
	json_t **shared;                   /* shared_part's, by scope, level, direction, previous */
	struct diag *d;
	struct announcement *items;
	size_t count;
	struct page_links *page_links;
	size_t npage_links;
	int64_t made_at;                   /* the commit's time, for feeds with nothing to date them */
};

static int
set_string(json_t *obj, const char *key, const char *value)
{
	json_t *s = json_string(value);

	/* json_string refuses invalid UTF-8; every value here was checked, so this is a bug. */
	assert(s);
	return json_object_set_new(obj, key, s);
}

static int
set_buf_reset(json_t *obj, const char *key, struct buf *b)
{
	int rc = set_string(obj, key, b->ptr ? b->ptr : "");
	buf_reset(b);
	return rc;
}

/* Letters, digits and '-', as in URLs and file names everywhere on the site; lowercase only. */
static int
is_slug(const char *s)
{
	if (!*s || *s == '-' || *s == '.' || strlen(s) > SLUG_MAX)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' ||
		      *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* Reports why the stem of content file `path` is not a slug; -1 then, 0 when it is one. */
static int
check_slug(struct diag *d, const char *path, const char *stem)
{
	if (strlen(stem) > SLUG_MAX)
		return diag_error(d, path, 0, 0, "file name of %zu bytes is too long for a folder of "
				  "the site (at most %d before '.md')", strlen(stem), SLUG_MAX);
	if (!is_slug(stem))
		return diag_error(d, path, 0, 0, "file name '%s.md' is not usable in a URL (expected "
				  "lowercase letters, digits, '-', '_' or '.', not starting with '-' or "
				  "'.')", stem);
	return 0;
}

/* RFC 4287 section 4.2.6: atom:id is an IRI. We ask for a scheme and no white space. */
static int
is_iri(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':' || !p[1])
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"')
			return 0;
	return 1;
}

static void
warn_unknown_keys(struct diag *d, const char *path, const struct frontmatter *fm,
		  const char *const *known, size_t nknown, const char *expected)
{
	for (size_t i = 0; i < fm->count; i++) {
		size_t k = 0;

		while (k < nknown && strcmp(fm->fields[i].key, known[k]) != 0)
			k++;
		if (k == nknown)
			diag_warning(d, path, fm->fields[i].key_line, fm->fields[i].key_col,
				     "unknown key '%s' ignored (expected %s)", fm->fields[i].key, expected);
	}
}

static int
parse_date_field(struct timestamp *out, struct diag *d, const char *path,
		 const struct frontmatter_field *f)
{
	const char *why;
	size_t col = 0;

	if (date_parse_rfc3339(out, f->value, &why, &col) < 0)
		return diag_error(d, path, f->line, f->col + (unsigned)f->quoted + (unsigned)col,
				  "%s '%s': %s", f->key, f->value, why);
	return 0;
}

/*
 * The character that byte (0x80 to 0x9F) stands for in Windows-1252, as UTF-8, or "" for the five
 * bytes it leaves undefined: glibc's iconv knows the encoding, so no table of it is kept here.
 */
static void
windows_1252_char(char out[8], unsigned char byte)
{
	iconv_t cd = iconv_open("UTF-8", "WINDOWS-1252");
	char in[1] = { (char)byte }, *from = in, *to = out;
	size_t left = 1, room = 7;

	out[0] = '\0';
	if (cd == (iconv_t)-1)
		return;
	if (iconv(cd, &from, &left, &to, &room) != (size_t)-1 && left == 0)
		*to = '\0';
	else
		out[0] = '\0';
	iconv_close(cd);
}

/*
 * A C1 control character (U+0080 to U+009F) is allowed by XML 1.0 but is an error in HTML, and
 * browsers and feed readers show it as nothing or a box. It is almost always text written in
 * Windows-1252 and read as Latin-1 on its way in, where U+0092 was a right quotation mark: said
 * at the first, with what that was, and how many more there are.
 */
static void
warn_c1_controls(struct diag *d, const struct source_file *f)
{
	const char *s = f->data, *end = s + f->size, *first = NULL;
	size_t more = 0;
	unsigned line, col;
	char meant[8], others[32] = "";

	/* U+0080 to U+009F are 0xC2 0x80 to 0xC2 0x9F in UTF-8 (already checked). */
	for (const char *p = s; (p = memchr(p, 0xC2, (size_t)(end - p))) && end - p > 1; p++) {
		if ((unsigned char)p[1] < 0x80 || (unsigned char)p[1] > 0x9F)
			continue;
		more += first != NULL;
		if (!first)
			first = p;
	}
	if (!first)
		return;
	text_position(s, f->size, (size_t)(first - s), &line, &col);
	windows_1252_char(meant, (unsigned char)first[1]);
	if (more)
		snprintf(others, sizeof(others), " and %zu more", more);
	if (meant[0])
		diag_warning(d, f->path, line, col, "control character U+%04X%s, which browsers and "
			     "feed readers show as nothing or a box (expected '%s': text written in "
			     "Windows-1252 and read as Latin-1 turns it into U+%04X)",
			     (unsigned char)first[1], others, meant, (unsigned char)first[1]);
	else
		diag_warning(d, f->path, line, col, "control character U+%04X%s, which browsers and "
			     "feed readers show as nothing or a box (expected text)",
			     (unsigned char)first[1], others);
}

/* A file's text must be UTF-8 without NUL or characters XML 1.0 forbids (they reach feeds). */
static int
check_source(struct diag *d, const struct source_file *f)
{
	unsigned line, col;
	const char *why;

	switch (f->kind) {
	case SOURCE_SYMLINK:
		return diag_error(d, f->path, 0, 0,
				  "symbolic link in the content (commit the file itself)");
	case SOURCE_SUBMODULE:
		return diag_error(d, f->path, 0, 0, "submodule in the content (commit the files themselves)");
	case SOURCE_TOO_LARGE:
		return diag_error(d, f->path, 0, 0, "file of %zu bytes is too large (at most %zu)", f->size,
				  (size_t)REPO_MAX_BLOB);
	case SOURCE_FILE:
		break;
	}
	if (text_check(f->data, f->size, &line, &col, &why) < 0)
		return diag_error(d, f->path, line, col, "%s", why);
	warn_c1_controls(d, f);
	return 0;
}

/* "content/levels/2014-08-29-severe.md" -> "2014-08-29-severe"; NULL when not a direct .md child. */
static char *
file_stem(const char *path, const char *dir)
{
	const char *name = path + strlen(dir);
	size_t len = strlen(name);

	if (strchr(name, '/') || len <= 3 || strcmp(name + len - 3, ".md") != 0)
		return NULL;
	return xstrndup(name, len - 3);
}

/*
 * Whether an image at url would be fetched from another site by a reader's browser or feed
 * reader: a URL with a scheme, or one starting "//", whose origin is not site_url's. Relative URLs
 * are the site's; a data: image is part of the page; cmark's safe mode drops the other data: URLs
 * and javascript:, vbscript: and file: ones, so those load nothing either.
 */
static int
is_foreign_image(const char *url, const char *site_url)
{
	const char *authority = strstr(site_url, "://") + 1;
	size_t origin = (size_t)(strchr(authority + 2, '/') - site_url);
	size_t scheme = uri_scheme_length(url);

	if (url[0] == '/' && url[1] == '/')
		return strncasecmp(url, authority, origin - (size_t)(authority - site_url)) != 0 ||
		       !strchr("/?#", url[origin - (size_t)(authority - site_url)]);
	if (scheme == 0)
		return 0;
	if ((scheme == 4 && (strncasecmp(url, "data", 4) == 0 || strncasecmp(url, "file", 4) == 0)) ||
	    (scheme == 8 && strncasecmp(url, "vbscript", 8) == 0) ||
	    (scheme == 10 && strncasecmp(url, "javascript", 10) == 0))
		return 0;
	return strncasecmp(url, site_url, origin) != 0 || !strchr("/?#", url[origin]);
}

/* The body of a file whose images are checked, for reporting each one from another site. */
struct image_check {
	struct diag *d;
	const char *path;
	const char *site_url;
	const char *body;
	size_t len;
	unsigned body_line;
	unsigned last_line, nth;   /* the images seen so far that start on cmark line last_line */
};

/* Whether body[i] ends a line as cmark counts them: LF, or a CR not before an LF. */
static int
ends_cmark_line(const char *body, size_t len, size_t i)
{
	return body[i] == '\n' || (body[i] == '\r' && (i + 1 == len || body[i + 1] != '\n'));
}

/*
 * The line of body, counted by LF as messages count lines everywhere, on which cmark's line
 * cmark_line starts (cmark ends a line at a lone CR too); *lf_start is where that LF line
 * starts, and *at where cmark's does.
 */
static unsigned
lf_line_of(const char *body, size_t len, unsigned cmark_line, size_t *lf_start, size_t *at)
{
	unsigned line = 1, cline = 1;
	size_t i = 0;

	*lf_start = 0;
	for (; i < len && cline < cmark_line; i++) {
		if (body[i] == '\n') {
			line++;
			*lf_start = i + 1;
		}
		cline += (unsigned)ends_cmark_line(body, len, i);
	}
	*at = i;
	return line;
}

static void
report_foreign_image(void *arg, const char *url, unsigned cmark_line)
{
	struct image_check *c = arg;
	unsigned line, col = 0, n = 0;
	size_t i, lf_start, end;

	c->nth = cmark_line == c->last_line ? c->nth + 1 : 1;
	c->last_line = cmark_line;
	if (!is_foreign_image(url, c->site_url))
		return;
	line = lf_line_of(c->body, c->len, cmark_line, &lf_start, &i);
	/* The column of the nth "![" on that line: the image's own, where cmark's may be off. */
	for (end = i; end < c->len && !ends_cmark_line(c->body, c->len, end); end++)
		if (end + 1 < c->len && c->body[end] == '!' && c->body[end + 1] == '[' && ++n == c->nth)
			col = (unsigned)(end - lf_start) + 1;
	diag_error(c->d, c->path, c->body_line + line - 1, col,
		   "image from another site, '%s': every reader who opens the page or a feed would be "
		   "seen there (expected an image on this site, or a link to it instead)", url);
}

/*
 * Invariant 2: pages and feeds load nothing from another origin. The page's Content-Security-Policy
 * stops a browser, but a feed reader would fetch such an image for every reader, as a tracking
 * pixel does. Only a body that has "![" holds an image, and only that one is parsed for them.
 */
/* Whether s[0..len) holds "![": memchr finds the rare '!' faster than memmem finds the pair. */
static int
has_image_mark(const char *s, size_t len)
{
	const char *end = s + len;

	for (const char *p = s; (p = memchr(p, '!', (size_t)(end - p))) && end - p > 1; p++)
		if (p[1] == '[')
			return 1;
	return 0;
}

static void
check_images(struct diag *d, const char *path, const char *site_url, const struct frontmatter *fm)
{
	struct image_check c = { d, path, site_url, fm->body, fm->body_len, fm->body_line, 0, 0 };

	if (fm->body_len && has_image_mark(fm->body, fm->body_len))
		markdown_images(fm->body, fm->body_len, report_foreign_image, &c);
}

/* How many NUL-ended fields rec[0..len) holds. */
static size_t
fields_in(const char *rec, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += rec[i] == '\0';
	return n;
}

/* The next NUL-ended field of rec[*at..len), or NULL. */
static const char *
next_field(const char *rec, size_t len, size_t *at)
{
	const char *f = rec + *at, *nul;

	if (*at >= len || !(nul = memchr(f, '\0', len - *at)))
		return NULL;
	*at = (size_t)(nul - rec) + 1;
	return f;
}

static int
field_int(const char *f, long long min, long long max, long long *out)
{
	char *end;

	if (!f || !*f)
		return -1;
	errno = 0;
	*out = strtoll(f, &end, 10);
	return *end || errno || *out < min || *out > max ? -1 : 0;
}

/*
 * The folder of an announcement or free page that a path of the site names: "2014/x/" for
 * "2014/x", "2014/x/" or "2014/x/index.html", and the same under "pages/". NULL for any other
 * path, which may well be a file the web host serves beside the site's own.
 */
static char *
page_folder_of(const char *to)
{
	size_t first = strcspn(to, "/"), second;
	const char *rest = to + first + 1;
	struct buf folder = BUF_INIT;
	int year = first == 4;

	for (size_t i = 0; year && i < 4; i++)
		year = isdigit((unsigned char)to[i]);
	if (!to[first] || !(year || (first == 5 && strncmp(to, "pages", 5) == 0)))
		return NULL;
	second = strcspn(rest, "/");
	if (second == 0 || strspn(rest, ".") == second ||
	    (rest[second] && strcmp(rest + second, "/") != 0 &&
	     strcmp(rest + second, "/index.html") != 0))
		return NULL;
	buf_printf(&folder, "%.*s/", (int)(rest + second - to), to);
	return buf_detach(&folder, NULL);
}

/*
 * The old addresses an announcement or page gives in 'aliases' (one value or a list), each made
 * the folder it names ("2014/x/" for "2014/x", "/2014/x/" or "2014/x/index.html") and appended to
 * out as three fields, the folder, line and column, as link_collect's. Each is checked against
 * the others once every file is known (check_aliases).
 */
static void
collect_aliases(struct buf *out, struct diag *d, const char *path, const struct frontmatter_field *f)
{
	size_t n = f->is_list ? f->nitems : *f->value != '\0';

	for (size_t i = 0; i < n; i++) {
		const struct frontmatter_field *v = f->is_list ? &f->items[i] : f;
		char *folder = page_folder_of(v->value + (*v->value == '/'));
		int is_name = 0, is_file = 0;

		if (folder) {
			const char *name = strchr(folder, '/') + 1;
			char *stem = xstrndup(name, strlen(name) - 1);
			const char *dot = strrchr(stem, '.');

			is_name = is_slug(stem);
			/* The site writes folders: an old "2014/x.html" would need a file of that name. */
			is_file = dot && (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0 ||
					  strcmp(dot, ".md") == 0);
			free(stem);
		}
		if (is_name && !is_file)
			buf_printf(out, "%s%c%u%c%u%c", folder, 0, v->line, 0, v->col, 0);
		else if (is_name)
			diag_error(d, path, v->line, v->col, "'aliases' value '%s' is the address of a "
				   "file (expected the folder of a page, such as 2014/raised-to-severe/: "
				   "the site writes no other)", v->value);
		else
			diag_error(d, path, v->line, v->col, "'aliases' value '%s' is not the address "
				   "of an announcement or page (expected an address it had before, "
				   "such as 2014/raised-to-severe/ or pages/about/)", v->value);
		free(folder);
	}
}

/* The folders of collect_aliases' fields, as a JSON array. */
static json_t *
aliases_json(const char *aliases, size_t len)
{
	json_t *list = json_array();
	size_t at = 0;
	const char *folder;

	while ((folder = next_field(aliases, len, &at))) {
		json_array_append_new(list, json_string(folder));
		next_field(aliases, len, &at);
		next_field(aliases, len, &at);
	}
	return list;
}

/*
 * The links of a body that may lead to a page of the site, as check_folders reads them: for each,
 * "url\0line\0col\0", its line and column in the file (the URL's column, 0 when the URL as
 * cmark gives it is not written once on that line: a reference, an escape, the same link twice).
 * Links with a scheme other than the site's, and those to a part of the same page, lead elsewhere.
 */
struct link_collect {
	const char *site_url;
	const char *body;
	size_t len;
	unsigned body_line;
	struct buf out;
};

static void
collect_link(void *arg, const char *url, unsigned cmark_line)
{
	struct link_collect *c = arg;
	size_t ulen = strlen(url), lf_start, at, end, col = 0;
	const char *hit;
	unsigned line;

	if (!*url || *url == '#' ||
	    (uri_scheme_length(url) && strncasecmp(url, c->site_url, strlen(c->site_url)) != 0))
		return;
	line = lf_line_of(c->body, c->len, cmark_line, &lf_start, &at);
	for (end = at; end < c->len && !ends_cmark_line(c->body, c->len, end); end++)
		;
	hit = memmem(c->body + at, end - at, url, ulen);
	if (hit && !memmem(hit + 1, (size_t)(c->body + end - hit - 1), url, ulen))
		col = (size_t)(hit - c->body) - lf_start + 1;
	buf_printf(&c->out, "%s%c%u%c%zu%c", url, 0, c->body_line + line - 1, 0, col, 0);
}

/* The raw HTML of a body: how many pieces, and the first, for check_raw_html. */
struct raw_html {
	const char *body;
	size_t len;
	unsigned pieces;
	unsigned line, col;          /* of the first, in the body */
	char first[48];              /* its start, cut on a character */
};

static void
note_raw_html(void *arg, const char *html, unsigned cmark_line)
{
	struct raw_html *r = arg;
	size_t lf_start, at, n, needle, line_end, seen = 0;
	const char *hit, *p;

	while (*html == ' ' || *html == '\t')
		html++;
	/*
	 * An HTML comment is how Markdown keeps a note out of the page: it is meant to vanish. What
	 * follows it on its line is part of the same piece, and is HTML that vanishes too.
	 */
	if (strncmp(html, "<!--", 4) == 0) {
		if (!(html = strstr(html, "-->")))
			return;
		html += 3 + strspn(html + 3, " \t");
		if (!*html || *html == '\r' || *html == '\n')
			return;
	}
	if (r->pieces++)
		return;
	n = strcspn(html, "\r\n");
	if (n > sizeof(r->first) - 1) {
		n = sizeof(r->first) - 4;
		while (n > 0 && ((unsigned char)html[n] & 0xc0) == 0x80)
			n--;
		memcpy(r->first + n, "...", 4);
	} else {
		r->first[n] = '\0';
	}
	memcpy(r->first, html, n);
	/* Where it is: its text's first match from its line on, with a column when unambiguous. */
	r->line = lf_line_of(r->body, r->len, cmark_line, &lf_start, &at);
	needle = strcspn(html, " \t\r\n");
	hit = memmem(r->body + at, r->len - at, html, needle);
	if (!hit)
		return;
	for (p = r->body + at; p < hit; p++)
		if (*p == '\n') {
			r->line++;
			lf_start = (size_t)(p + 1 - r->body);
		}
	p = memchr(r->body + lf_start, '\n', r->len - lf_start);
	line_end = p ? (size_t)(p - r->body) : r->len;
	for (p = r->body + lf_start; (p = memmem(p, (size_t)(r->body + line_end - p), html, needle));
	     p++)
		seen++;
	r->col = seen == 1 ? (unsigned)(hit - (r->body + lf_start)) + 1 : 0;
}

/*
 * Safe mode leaves raw HTML out of the page and the feeds (invariant 3). An editor who pasted some
 * would otherwise publish less than was written without a word. Only a body with a '<' can hold
 * any, and only that one is parsed for it.
 */
static void
check_raw_html(struct diag *d, const char *path, const struct frontmatter *fm)
{
	struct raw_html r = { fm->body, fm->body_len, 0, 0, 0, "" };

	if (!fm->body_len || !memchr(fm->body, '<', fm->body_len))
		return;
	markdown_raw_html(fm->body, fm->body_len, note_raw_html, &r);
	if (r.pieces == 1)
		diag_warning(d, path, fm->body_line + r.line - 1, r.col, "raw HTML is not published: "
			     "'%s' (expected Markdown)", r.first);
	else if (r.pieces > 1)
		diag_warning(d, path, fm->body_line + r.line - 1, r.col, "raw HTML is not published: "
			     "'%s' and %u more piece%s (expected Markdown)", r.first, r.pieces - 1,
			     r.pieces > 2 ? "s" : "");
}

/*
 * The number (from 0) of the first line of body that is the placeholder of `new` in a paragraph,
 * or -1; *col gets the placeholder's column there (1-based, in bytes). A line that only quotes it,
 * or holds it in a code block, is not one: that is what the editor chose to publish.
 */
static long
placeholder_line(const char *body, size_t len, unsigned *col)
{
	static const char sentence[] = MODEL_PLACEHOLDER_BODY;
	const size_t slen = sizeof(sentence) - 1;
	const char *end = body + len, *at = body;

	/* One search of the whole body: the sentence is rare, and lines are checked only around it. */
	while ((at = memmem(at, (size_t)(end - at), sentence, slen))) {
		const char *line = at, *eol = memchr(at, '\n', (size_t)(end - at));
		long n = 0;

		while (line > body && line[-1] != '\n')
			line--;
		if (is_blank_line(line, (size_t)(at - line)) &&
		    is_blank_line(at + slen, (size_t)((eol ? eol : end) - (at + slen)))) {
			unsigned cmark_line = 1;

			/* cmark ends a line at a lone CR too; messages count LF as everywhere else. */
			for (const char *p = body; p < line; p++) {
				n += *p == '\n';
				cmark_line += (unsigned)ends_cmark_line(body, len, (size_t)(p - body));
			}
			/* Only now, with a candidate, is the body parsed to see what holds the line. */
			if (markdown_line_in_paragraph(body, len, cmark_line)) {
				*col = (unsigned)(at - line) + 1;
				return n;
			}
		}
		/* Any later match on this line has the sentence before it: on to the next line. */
		at = eol ? eol + 1 : end;
	}
	return -1;
}

/*
 * A title is one line: a feed reader, a browser tab and a heading show it as one. A YAML block
 * ('|' or '>') keeps its line breaks, its last one at least; '>-' folds them into spaces.
 */
static void
check_one_line(struct diag *d, const char *path, const struct frontmatter_field *title)
{
	if (strpbrk(title->value, "\r\n"))
		diag_error(d, path, title->line, title->col, "'title' spans lines (expected one line; "
			   "a block written with '|' or '>' keeps its line breaks, '>-' folds them)");
}

static int
load_announcement(struct model_builder *b, struct announcement *a, const struct source_file *f)
{
	const struct config *cfg = b->cfg;
	struct diag *d = b->d;
	const char *path = f->path;
	struct frontmatter fm;
	const struct frontmatter_field *level, *date, *title, *scope, *updated, *expires, *id, *aliases;
	struct buf list = BUF_INIT, html = BUF_INIT, text = BUF_INIT, old = BUF_INIT;
	struct link_collect links = { cfg->url, NULL, 0, 0, BUF_INIT };
	size_t errors_before = d->errors;
	long placeholder;
	unsigned placeholder_col = 1;
	int want_html;

	a->src = f;
	if (frontmatter_parse(&fm, path, f->data, f->size, list_keys, d) < 0)
		return -1;
	links.body = fm.body;
	links.len = fm.body_len;
	links.body_line = fm.body_line;
	warn_unknown_keys(d, path, &fm, announcement_keys,
			  sizeof(announcement_keys) / sizeof(*announcement_keys),
			  "level, date, title, scope, updated, expires, id or aliases");

	level = frontmatter_get(&fm, "level");
	date = frontmatter_get(&fm, "date");
	title = frontmatter_get(&fm, "title");
	scope = frontmatter_get(&fm, "scope");
	updated = frontmatter_get(&fm, "updated");
	expires = frontmatter_get(&fm, "expires");
	id = frontmatter_get(&fm, "id");
	aliases = frontmatter_get(&fm, "aliases");

	if (config_level_list(&list, cfg) < 0)
		goto out;
	/* A key whose value was refused (frontmatter_refused) is reported already, not missing. */
	if (!level && !frontmatter_refused(&fm, "level"))
		diag_error(d, path, 1, 1, "missing 'level' (expected %s)", list.ptr);
	else if (level && !(a->level = config_level(cfg, level->value)))
		diag_error(d, path, level->line, level->col, "unknown level '%s' (expected %s)",
			   level->value, list.ptr);

	buf_reset(&list);
	if (config_scope_list(&list, cfg) < 0)
		goto out;
	if (cfg->nscopes == 0 && scope)
		diag_error(d, path, scope->line, scope->col,
			   "unknown scope '%s' (no scopes are configured in threatfeed.conf)",
			   scope->value);
	else if (cfg->nscopes == 1 && !scope && !frontmatter_refused(&fm, "scope"))
		a->scope = &cfg->scopes[0];
	else if (cfg->nscopes > 1 && !scope && !frontmatter_refused(&fm, "scope"))
		diag_error(d, path, 1, 1, "missing 'scope' (expected %s)", list.ptr);
	else if (scope && !(a->scope = config_scope(cfg, scope->value)))
		diag_error(d, path, scope->line, scope->col, "unknown scope '%s' (expected %s)",
			   scope->value, list.ptr);

	if (!date && !frontmatter_refused(&fm, "date"))
		diag_error(d, path, 1, 1, "missing 'date' (expected an RFC 3339 date such as "
			   "2014-08-29T14:00:00+01:00)");
	else if (date && parse_date_field(&a->date, d, path, date) == 0) {
		a->date_line = date->line;
		a->date_col = date->col;
	}
	a->updated = a->date;
	if (updated && parse_date_field(&a->updated, d, path, updated) == 0) {
		a->updated_line = updated->line;
		a->updated_col = updated->col;
		if (date && a->updated.epoch < a->date.epoch)
			diag_error(d, path, updated->line, updated->col, "'updated' %s is before 'date' "
				   "(expected a later revision time)", updated->value);
	}
	if (expires) {
		struct timestamp ignored;

		if (parse_date_field(&ignored, d, path, expires) == 0)
			diag_warning(d, path, expires->key_line, expires->key_col,
				     "'expires' is not supported yet and has no effect");
	}
	if (title) {
		/* A title of spaces alone would be a blank entry in every feed reader. */
		if (is_blank_line(title->value, strlen(title->value)))
			diag_error(d, path, title->line, title->col, "empty 'title' (remove it to "
				   "have one derived from the level)");
		else
			check_one_line(d, path, title);
		a->title = xstrdup(title->value);
	}
	if (id) {
		if (!is_iri(id->value))
			diag_error(d, path, id->line, id->col,
				   "'id' '%s' is not an IRI (expected e.g. tag:example.org,2014-08-29:severe)",
				   id->value);
		a->id = xstrdup(id->value);
		a->id_line = id->line;
		a->id_col = id->col;
	}

	if (aliases) {
		collect_aliases(&old, d, path, aliases);
		a->aliases = buf_detach(&old, &a->aliases_len);
	}

	a->slug = file_stem(path, LEVELS_DIR);
	assert(a->slug);
	check_slug(d, path, a->slug);

	if ((placeholder = placeholder_line(fm.body, fm.body_len, &placeholder_col)) >= 0)
		diag_error(d, path, fm.body_line + (unsigned)placeholder, placeholder_col,
			   "the body is still the placeholder 'threatfeed new' wrote (replace that line "
			   "with the announcement)");
	check_images(d, path, b->cfg->url, &fm);
	check_raw_html(d, path, &fm);

	/*
	 * With a memo the HTML is not kept in the model: it is handed to keep_html, when there is
	 * one, or made again when a page shows it (model_entry_content).
	 */
	want_html = !b->memo || b->memo->keep_html;
	if (markdown_render(want_html ? &html : NULL, &text, SUMMARY_MAX, fm.body, fm.body_len,
			    collect_link, &links) < 0) {
		diag_error(d, path, 0, 0, "out of memory rendering Markdown");
		goto out;
	}
	a->links = buf_detach(&links.out, &a->links_len);
	if (b->memo && want_html && d->errors == errors_before)
		b->memo->keep_html(b->memo->arg, f, html.ptr ? html.ptr : "", html.len);
	a->content_html = b->memo ? NULL : buf_detach(&html, NULL);
	a->summary_text = buf_detach(&text, NULL);
out:
	buf_release(&list);
	buf_release(&html);
	buf_release(&text);
	buf_release(&links.out);
	frontmatter_release(&fm);
	return d->errors > errors_before ? -1 : 0;
}

static void
announcement_release(struct announcement *a)
{
	free(a->title);
	free(a->id);
	free(a->slug);
	free(a->content_html);
	free(a->summary_text);
	free(a->links);
	free(a->aliases);
	free(a->rec);
	json_decref(a->json);
	json_decref(a->sitemap_item);
}

/*
 * A memo record: what entry_json needs of an announcement besides its source, as fields each
 * ended by a NUL (no field can hold one: sources are checked for NUL first). Titles and ids
 * absent from the front matter are "-", present ones "=" and the value. After the id, the
 * number of old addresses and their collect_aliases' fields; the body's links (link_collect's)
 * end it.
 */
static void
encode_record(struct announcement *a)
{
	struct buf r = BUF_INIT;

	buf_printf(&r, "%s%c%s%c%jd%c%d%c%u%c%u%c%jd%c%d%c%u%c%u%c", a->level->name, 0,
		   a->scope ? a->scope->name : "", 0, (intmax_t)a->date.epoch, 0, a->date.offset_minutes,
		   0, a->date_line, 0, a->date_col, 0, (intmax_t)a->updated.epoch, 0,
		   a->updated.offset_minutes, 0, a->updated_line, 0, a->updated_col, 0);
	if (a->title)
		buf_printf(&r, "=%s%c", a->title, 0);
	else
		buf_printf(&r, "-%c", 0);
	if (a->id)
		buf_printf(&r, "=%s%c%u%c%u%c", a->id, 0, a->id_line, 0, a->id_col, 0);
	else
		buf_printf(&r, "-%c0%c0%c", 0, 0, 0);
	buf_printf(&r, "%zu%c", fields_in(a->aliases, a->aliases_len) / 3, 0);
	buf_add(&r, a->aliases ? a->aliases : "", a->aliases_len);
	buf_printf(&r, "%s%c", a->summary_text, 0);
	buf_add(&r, a->links ? a->links : "", a->links_len);
	a->rec = buf_detach(&r, &a->rec_len);
}

/* Fills a from the memo's record for its file; -1 when the record does not make sense here. */
static int
decode_record(struct model_builder *b, struct announcement *a, const struct source_file *f,
	      const char *rec, size_t len)
{
	const char *level, *scope, *title, *id, *summary;
	long long de, doff, dline, dcol, ue, uoff, uline, ucol, line, col, n, naliases;
	size_t at = 0, links, aliases;

	a->src = f;
	if (!(level = next_field(rec, len, &at)) || !(scope = next_field(rec, len, &at)) ||
	    field_int(next_field(rec, len, &at), INT64_MIN, INT64_MAX, &de) < 0 ||
	    field_int(next_field(rec, len, &at), -1440, 1440, &doff) < 0 ||
	    field_int(next_field(rec, len, &at), 0, UINT_MAX, &dline) < 0 ||
	    field_int(next_field(rec, len, &at), 0, UINT_MAX, &dcol) < 0 ||
	    field_int(next_field(rec, len, &at), INT64_MIN, INT64_MAX, &ue) < 0 ||
	    field_int(next_field(rec, len, &at), -1440, 1440, &uoff) < 0 ||
	    field_int(next_field(rec, len, &at), 0, UINT_MAX, &uline) < 0 ||
	    field_int(next_field(rec, len, &at), 0, UINT_MAX, &ucol) < 0 ||
	    !(title = next_field(rec, len, &at)) || !(id = next_field(rec, len, &at)) ||
	    field_int(next_field(rec, len, &at), 0, UINT_MAX, &line) < 0 ||
	    field_int(next_field(rec, len, &at), 0, UINT_MAX, &col) < 0 ||
	    field_int(next_field(rec, len, &at), 0, FRONTMATTER_MAX_ITEMS, &naliases) < 0)
		return -1;
	for (aliases = at; naliases > 0; naliases--)
		if (!next_field(rec, len, &at) ||
		    field_int(next_field(rec, len, &at), 0, UINT_MAX, &n) < 0 ||
		    field_int(next_field(rec, len, &at), 0, UINT_MAX, &n) < 0)
			return -1;
	a->aliases_len = at - aliases;
	if (!(summary = next_field(rec, len, &at)))
		return -1;
	for (links = at; at < len;)
		if (!next_field(rec, len, &at) ||
		    field_int(next_field(rec, len, &at), 0, UINT_MAX, &n) < 0 ||
		    field_int(next_field(rec, len, &at), 0, UINT_MAX, &n) < 0)
			return -1;
	if (!(a->level = config_level(b->cfg, level)))
		return -1;
	a->scope = *scope ? config_scope(b->cfg, scope) : NULL;
	if ((*scope && !a->scope) || (!*scope && b->cfg->nscopes))
		return -1;
	a->date.epoch = de;
	a->date.offset_minutes = (int)doff;
	a->date_line = (unsigned)dline;
	a->date_col = (unsigned)dcol;
	a->updated.epoch = ue;
	a->updated.offset_minutes = (int)uoff;
	a->updated_line = (unsigned)uline;
	a->updated_col = (unsigned)ucol;
	if ((*title != '-' && *title != '=') || (*id != '-' && *id != '='))
		return -1;
	a->title = *title == '=' ? xstrdup(title + 1) : NULL;
	a->id = *id == '=' ? xstrdup(id + 1) : NULL;
	a->id_line = (unsigned)line;
	a->id_col = (unsigned)col;
	a->slug = file_stem(f->path, LEVELS_DIR);
	a->summary_text = xstrdup(summary);
	a->aliases = a->aliases_len ? memcpy(xcalloc(1, a->aliases_len), rec + aliases, a->aliases_len) :
				      NULL;
	a->links_len = len - links;
	a->links = a->links_len ? memcpy(xcalloc(1, a->links_len), rec + links, a->links_len) : NULL;
	a->rec = xstrndup(rec, len);
	a->rec_len = len;
	/*
	 * A record is keyed by the blob, not its name: the same bytes renamed to a name that is no
	 * URL must be loaded, and refused, as load_announcement does.
	 */
	return a->slug && is_slug(a->slug) ? 0 : -1;
}

/*
 * Appends the folder of a's page, "<year>/<slug>/": the year of its date in its own offset, as
 * the editor wrote it.
 */
static int
announcement_folder(struct buf *out, const struct announcement *a)
{
	struct civil_time c;

	date_to_civil(&c, a->date.epoch, a->date.offset_minutes);
	return buf_printf(out, "%04d/%s/", c.year, a->slug);
}

/* Oldest first; ties broken by scope then path, so the order never depends on the file system. */
static int
compare_announcements(const void *x, const void *y)
{
	const struct announcement *a = x, *b = y;
	const char *sa = a->scope ? a->scope->name : "", *sb = b->scope ? b->scope->name : "";
	int c;

	if (a->date.epoch != b->date.epoch)
		return a->date.epoch < b->date.epoch ? -1 : 1;
	if ((c = strcmp(sa, sb)) != 0)
		return c;
	return strcmp(a->src->path, b->src->path);
}

char *
model_default_id(const struct config *cfg, const char *scope, const struct timestamp *date)
{
	/*
	 * RFC 4151 tag URI: tag:<host>,<day>:<scope>/<instant>. Built only from what neither a
	 * rename nor an edit of the title or body changes (invariant 7); `threatfeed new` writes an
	 * explicit id so that even a corrected date keeps it.
	 */
	struct buf out = BUF_INIT;
	struct civil_time c;
	size_t hostlen;
	const char *host = cfg->id_host ? cfg->id_host : config_url_host(cfg, &hostlen);

	if (cfg->id_host)
		hostlen = strlen(cfg->id_host);
	date_to_civil(&c, date->epoch, 0);
	buf_puts(&out, "tag:");
	for (size_t i = 0; i < hostlen; i++)
		buf_putc(&out, (char)tolower((unsigned char)host[i]));
	buf_printf(&out, ",%04d-%02d-%02d:%s/%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day,
		   scope && *scope ? scope : "level", c.year, c.month, c.day, c.hour, c.minute,
		   c.second);
	return buf_detach(&out, NULL);
}

static const char *
direction_of(const struct announcement *a)
{
	if (!a->previous)
		return "set";
	if (a->level->rank > a->previous->level->rank)
		return "raised";
	if (a->level->rank < a->previous->level->rank)
		return "lowered";
	return "reaffirmed";
}

static char *
derived_title(const struct announcement *a)
{
	struct buf t = BUF_INIT;
	const char *subject = a->scope ? a->scope->title : "Threat level";
	const char *dir = direction_of(a);

	if (strcmp(dir, "set") == 0)
		buf_printf(&t, "%s set at %s", subject, a->level->title);
	else if (strcmp(dir, "reaffirmed") == 0)
		buf_printf(&t, "%s remains %s", subject, a->level->title);
	else
		buf_printf(&t, "%s %s to %s", subject, dir, a->level->title);
	return buf_detach(&t, NULL);
}

/*
 * The four forms of a date, under the given keys. With same (an entry whose dates are equal), the
 * strings of its "date" forms are shared instead: a big site's model is a tenth smaller for it.
 * A UTC date's own form is its UTC form, shared too.
 */
static void
put_dates(json_t *e, const char *key, const char *utc_key, const char *rfc822_key,
	  const char *human_key, const struct timestamp *t, json_t *same)
{
	struct buf s = BUF_INIT;
	json_t *own;

	if (same) {
		json_object_set(e, key, json_object_get(same, "date"));
		json_object_set(e, utc_key, json_object_get(same, "date_utc"));
		json_object_set(e, rfc822_key, json_object_get(same, "date_rfc822"));
		json_object_set(e, human_key, json_object_get(same, "date_human"));
		return;
	}
	date_format_rfc3339(&s, t);
	own = json_stringn(s.ptr, s.len);
	json_object_set_new(e, key, own);
	if (t->offset_minutes == 0) {
		json_object_set(e, utc_key, own);
	} else {
		buf_reset(&s);
		date_format_utc(&s, t->epoch);
		set_buf_reset(e, utc_key, &s);
	}
	buf_reset(&s);
	date_format_rfc822(&s, t);
	set_buf_reset(e, rfc822_key, &s);
	date_format_human(&s, t);
	set_buf_reset(e, human_key, &s);
	buf_release(&s);
}

static const char *const directions[] = { "set", "raised", "lowered", "reaffirmed" };

static size_t
direction_index(const char *dir)
{
	size_t i = 0;

	while (i + 1 < sizeof(directions) / sizeof(*directions) && strcmp(directions[i], dir) != 0)
		i++;
	return i;
}

/*
 * The members an entry shares with every other of its level, scope, direction and previous level
 * (model.h), made once for each such combination.
 */
static json_t *
shared_part(const struct model_builder *b, const struct announcement *a, size_t sc, const char *dir)
{
	size_t nlevels = b->cfg->nlevels, level = (size_t)(a->level - b->cfg->levels);
	size_t previous = a->previous ? (size_t)(a->previous->level - b->cfg->levels) + 1 : 0;
	size_t di = direction_index(dir);
	json_t **slot = &b->shared[((sc * nlevels + level) * 4 + di) * (nlevels + 1) + previous];
	const struct shared_level *lv = &b->levels[level];
	json_t *p;

	if (*slot)
		return *slot;
	p = *slot = json_object();
	json_object_set(p, "level", lv->name);
	json_object_set(p, "level_title", lv->title);
	json_object_set_new(p, "level_rank", json_integer(a->level->rank));
	json_object_set(p, "level_summary", lv->summary);
	json_object_set(p, "level_colour", lv->colour);
	json_object_set(p, "level_text_colour", lv->text_colour);
	json_object_set(p, "scope", b->scope_names[sc]);
	json_object_set(p, "scope_title", b->scope_titles[sc]);
	json_object_set(p, "direction", b->directions[di]);
	json_object_set_new(p, "is_set", json_boolean(di == 0));
	json_object_set_new(p, "is_raised", json_boolean(di == 1));
	json_object_set_new(p, "is_lowered", json_boolean(di == 2));
	json_object_set_new(p, "is_reaffirmed", json_boolean(di == 3));
	if (previous)
		json_object_set(p, "previous_level_title", b->levels[previous - 1].title);
	return p;
}

static json_t *
entry_json(const struct model_builder *b, struct announcement *a)
{
	json_t *e = json_object();
	struct buf s = BUF_INIT;
	const char *dir = direction_of(a);
	struct civil_time c;
	char *title = a->title ? xstrdup(a->title) : derived_title(a);

	size_t sc = a->scope ? (size_t)(a->scope - b->cfg->scopes) : 0;

	set_string(e, "id", a->id);
	set_string(e, "title", title);
	set_string(e, "source", a->src->path);
	json_object_set(e, "", shared_part(b, a, sc, dir));

	put_dates(e, "date", "date_utc", "date_rfc822", "date_human", &a->date, NULL);
	date_format_human_time(&s, &a->date);
	set_buf_reset(e, "time_human", &s);
	json_object_set_new(e, "epoch", json_integer(a->date.epoch));
	put_dates(e, "updated", "updated_utc", "updated_rfc822", "updated_human", &a->updated,
		  a->updated.epoch == a->date.epoch &&
		  a->updated.offset_minutes == a->date.offset_minutes ? e : NULL);
	json_object_set_new(e, "is_revised", json_boolean(a->updated.epoch != a->date.epoch));

	/* The year of the announcement in its own offset, as the editor wrote it. */
	date_to_civil(&c, a->date.epoch, a->date.offset_minutes);
	buf_printf(&s, "%04d", c.year);
	set_buf_reset(e, "year", &s);
	set_string(e, "slug", a->slug);
	announcement_folder(&s, a);
	set_string(e, "path", s.ptr);
	buf_reset(&s);
	buf_puts(&s, b->cfg->url);
	announcement_folder(&s, a);
	set_buf_reset(e, "url", &s);
	if (a->aliases_len)
		json_object_set_new(e, "aliases", aliases_json(a->aliases, a->aliases_len));
	if (a->content_html)
		set_string(e, "content_html", a->content_html);
	set_string(e, "source_id", a->src->id);
	set_string(e, "summary_text", a->summary_text);
	json_object_set_new(e, "is_current", json_boolean(a->is_current));
	json_object_set_new(e, "is_in_force", json_boolean(a->in_force));
	if (a->since) {
		/* Not its own date after a reaffirmation: the level took effect earlier. */
		date_format_rfc3339(&s, &a->since->date);
		set_buf_reset(e, "since", &s);
		date_format_utc(&s, a->since->date.epoch);
		set_buf_reset(e, "since_utc", &s);
		date_format_human(&s, &a->since->date);
		set_buf_reset(e, "since_human", &s);
		date_format_human_time(&s, &a->since->date);
		set_buf_reset(e, "since_time_human", &s);
	}
	buf_release(&s);
	free(title);
	return e;
}

/*
 * What entry_json makes an ENTRY from besides the settings and this binary: the source file (its
 * path and blob, from which every field of the announcement is read), the level of the one before
 * it in its scope, whether it is the newest of its scope, whether its level is still in force and,
 * for the newest, the date that level took effect. Equal keys, equal ENTRY objects;
 * whatever else entry_json comes to read must be added here (tests/cache.sh compares warm builds
 * after each kind of change with builds from nothing).
 */
static void
entry_key(struct announcement *a)
{
	const char *previous = a->previous ? a->previous->level->name : "";
	struct buf k = BUF_INIT;

	if (buf_puts(&k, a->src->path) < 0 || buf_putc(&k, '\n') < 0 || buf_puts(&k, a->src->id) < 0 ||
	    buf_putc(&k, '\n') < 0 || buf_puts(&k, previous) < 0 ||
	    buf_puts(&k, a->is_current ? "\ncurrent" : "\n") < 0 ||
	    buf_puts(&k, a->in_force ? " in force" : "") < 0 ||
	    (a->since && buf_printf(&k, " since %jd%+d", (intmax_t)a->since->date.epoch,
				    a->since->date.offset_minutes) < 0) ||
	    repo_hash_bytes(a->key, k.ptr, k.len) < 0)
		a->key[0] = '\0';
	buf_release(&k);
}

struct json_share {
	const struct model_builder *b;
	size_t begin, end;
};

static void *
json_share_run(void *arg)
{
	struct json_share *js = arg;

	for (size_t i = js->begin; i < js->end; i++) {
		struct announcement *a = &js->b->items[i];

		a->json = entry_json(js->b, a);
		/*
		 * The entry's own strings: its URL, and its last update in UTC, unless a later
		 * announcement changed what its page says since (status_changed_by).
		 */
		a->sitemap_item = json_object();
		json_object_set(a->sitemap_item, "url", json_object_get(a->json, "url"));
		if (a->status_changed_by && a->status_changed_by->date.epoch > a->updated.epoch) {
			struct buf t = BUF_INIT;

			date_format_utc(&t, a->status_changed_by->date.epoch);
			json_object_set_new(a->sitemap_item, "lastmod", json_stringn(t.ptr, t.len));
			buf_release(&t);
		} else {
			json_object_set(a->sitemap_item, "lastmod", json_object_get(a->json, "updated_utc"));
		}
		entry_key(a);
	}
	return NULL;
}

/*
 * Every announcement's ENTRY, on every core for a big site: each is made from its announcement,
 * its predecessor and the settings alone, once the shared parts exist (made here first, as the
 * threads only read them).
 */
static void
make_entries_json(struct model_builder *b)
{
	struct json_share shares[LOAD_WORKERS];
	pthread_t tid[LOAD_WORKERS];
	int started[LOAD_WORKERS] = { 0 };
	size_t nw = thread_count(b->count, LOAD_WORKERS), i;
	size_t nscopes = b->cfg->nscopes ? b->cfg->nscopes : 1;
	struct announcement **current = xcalloc(nscopes, sizeof(*current));
	struct announcement **newer = xcalloc(nscopes, sizeof(*newer));
	char *run_over = xcalloc(nscopes, 1);

	/*
	 * Newest first: the first of each scope is its current level, in force since the oldest of
	 * the announcements at that level that follow each other up to it.
	 */
	for (i = b->count; i-- > 0;) {
		struct announcement *a = &b->items[i];
		size_t sc = a->scope ? (size_t)(a->scope - b->cfg->scopes) : 0;
		struct announcement *next = newer[sc];

		a->is_current = !current[sc];
		if (!current[sc])
			current[sc] = a;
		/* Past a later one at its level that is itself no longer in force, that one's. */
		if (next)
			a->status_changed_by = next->level == a->level && !next->in_force ?
					       next->status_changed_by : next;
		newer[sc] = a;
		if (!run_over[sc] && a->level == current[sc]->level) {
			current[sc]->since = a;
			a->in_force = 1;
		} else
			run_over[sc] = 1;
		shared_part(b, a, sc, direction_of(a));
	}
	free(current);
	free(newer);
	free(run_over);
	if (b->count < LOAD_PARALLEL_MIN)
		nw = 1;
	for (i = 0; i < nw; i++) {
		shares[i].b = b;
		shares[i].begin = b->count * i / nw;
		shares[i].end = b->count * (i + 1) / nw;
	}
	/* The last share runs here, and any whose thread did not start. */
	for (i = 0; i + 1 < nw; i++)
		started[i] = pthread_create(&tid[i], NULL, json_share_run, &shares[i]) == 0;
	for (i = 0; i + 1 < nw; i++)
		if (!started[i])
			json_share_run(&shares[i]);
	json_share_run(&shares[nw - 1]);
	for (i = 0; i + 1 < nw; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
}

/*
 * A feed's updated is the newest 'updated' of the entries it holds (updated_epoch), not the build
 * time (invariant 6).
 */
static json_t *
feed_json(const struct model_builder *b, const char *dir, const char *title, json_t *entries,
	  int64_t updated_epoch)
{
	const struct config *cfg = b->cfg;
	json_t *f = json_object(), *hubs = json_array(), *newest = json_array();
	struct buf s = BUF_INIT;
	struct timestamp updated = { updated_epoch, 0 };
	size_t i;

	set_string(f, "dir", dir);
	set_string(f, "title", title);
	set_string(f, "subtitle", cfg->description);
	buf_printf(&s, "%s%satom.xml", cfg->url, dir);
	set_string(f, "id", s.ptr);
	set_buf_reset(f, "atom_url", &s);
	buf_printf(&s, "%s%s", cfg->url, dir);
	set_buf_reset(f, "home_url", &s);
	buf_printf(&s, "%s%srss.xml", cfg->url, dir);
	set_buf_reset(f, "rss_url", &s);
	buf_printf(&s, "%s%sfeed.json", cfg->url, dir);
	set_buf_reset(f, "json_url", &s);
	for (i = 0; i < cfg->nwebsub; i++)
		json_array_append_new(hubs, json_string(cfg->websub[i]));
	json_object_set_new(f, "hubs", hubs);

	for (i = 0; i < json_array_size(entries) && i < (size_t)cfg->feed_entries; i++)
		json_array_append(newest, json_array_get(entries, i));
	date_format_utc(&s, updated.epoch);
	set_buf_reset(f, "updated", &s);
	date_format_rfc822(&s, &updated);
	set_buf_reset(f, "updated_rfc822", &s);
	json_object_set_new(f, "entries", newest);
	buf_release(&s);
	return f;
}

/* lastmod NULL: no date is known to be the page's own, and a wrong one is worse than none. */
static void
sitemap_add(json_t *sitemap, const char *url, const char *path, const int64_t *lastmod)
{
	json_t *item = json_object();
	struct buf s = BUF_INIT;

	buf_printf(&s, "%s%s", url, path);
	set_buf_reset(item, "url", &s);
	if (lastmod) {
		date_format_utc(&s, *lastmod);
		set_buf_reset(item, "lastmod", &s);
	}
	json_array_append_new(sitemap, item);
	buf_release(&s);
}

/* An announcement without an explicit id gets its default one here, on the loading threads. */
static void
give_default_id(const struct model_builder *b, struct announcement *a)
{
	if (!a->id)
		a->id = model_default_id(b->cfg, a->scope ? a->scope->name : "", &a->date);
}

/*
 * An announcement is published when it is built, whatever its date says, so a date well after the
 * content was made (its commit's time; now, for the work tree and the index) is most likely a typo,
 * such as 2052 for 2025, which would keep that level current, and first in every feed, until then.
 * A warning, not an error: an editor's clock that is wrong must not stop a level being published.
 */
#define FUTURE_SLACK ((int64_t)24 * 60 * 60)

static void
warn_if_future(struct diag *d, const struct source_set *src, const char *path, const char *key,
	       const struct timestamp *t, unsigned line, unsigned col)
{
	struct timestamp made = { src->made_at, 0 };
	struct buf when = BUF_INIT, ref = BUF_INIT;
	int64_t ahead = t->epoch - src->made_at;

	if (ahead <= FUTURE_SLACK)
		return;
	date_format_rfc3339(&when, t);
	date_format_rfc3339(&ref, &made);
	diag_warning(d, path, line, col, "'%s' %s is %jd %s ahead of %s (%s), yet a build publishes "
		     "it at once (is the date right?)", key, when.ptr ? when.ptr : "",
		     (intmax_t)(ahead >= 2 * 86400 ? ahead / 86400 : ahead / 3600),
		     ahead >= 2 * 86400 ? "days" : "hours",
		     src->commit[0] ? "the commit it is in" : "now", ref.ptr ? ref.ptr : "");
	buf_release(&when);
	buf_release(&ref);
}

/* The dates of a that are too far ahead, of those it has read. */
static void
warn_future_announcement(struct diag *d, const struct source_set *src, const struct announcement *a)
{
	if (!src->made_at)
		return;
	if (a->date_line)
		warn_if_future(d, src, a->src->path, "date", &a->date, a->date_line, a->date_col);
	/* 'updated' only when 'date' was not said: one date too far ahead is said once. */
	if (a->updated_line && (!a->date_line || a->date.epoch - src->made_at <= FUTURE_SLACK))
		warn_if_future(d, src, a->src->path, "updated", &a->updated, a->updated_line,
			       a->updated_col);
}

/* Loads the announcements among src->files[begin, end) into b->items from b->count on. */
static void
load_range(struct model_builder *b, const struct source_set *src, size_t begin, size_t end)
{
	struct diag *d = b->d;
	size_t errors_before, warnings_before;

	for (size_t i = begin; i < end; i++) {
		const struct source_file *f = &src->files[i];
		const char *name = f->path + strlen(LEVELS_DIR);
		char *stem;

		if (strncmp(f->path, LEVELS_DIR, strlen(LEVELS_DIR)) != 0 || f->kind == SOURCE_SYMLINK ||
		    f->kind == SOURCE_SUBMODULE)
			continue;
		if (!(stem = file_stem(f->path, LEVELS_DIR))) {
			/* Dot files (.gitkeep) are expected; anything else is probably a mistake. */
			if (name[0] != '.' && !strstr(name, "/."))
				diag_warning(d, f->path, 0, 0, "ignored (announcements are "
					     LEVELS_DIR "*.md files)");
			continue;
		}
		free(stem);
		if (f->unread) {
			const char *rec = NULL;
			size_t len = 0;

			if (b->memo && b->memo->get)
				rec = b->memo->get(b->memo->arg, f->id, &len);
			if (rec && decode_record(b, &b->items[b->count], f, rec, len) == 0) {
				warn_future_announcement(d, src, &b->items[b->count]);
				give_default_id(b, &b->items[b->count++]);
				continue;
			}
			announcement_release(&b->items[b->count]);
			memset(&b->items[b->count], 0, sizeof(b->items[b->count]));
			/* No record, or one that does not decode: the file itself, read on this thread. */
			if (!b->memo || !b->memo->read ||
			    b->memo->read(b->memo->arg, (struct source_file *)f, d) < 0) {
				diag_error(d, f->path, 0, 0, "cannot read blob %s", f->id);
				continue;
			}
		}
		errors_before = d->errors;
		warnings_before = d->warnings;
		if (check_source(d, f) < 0)
			continue;
		if (load_announcement(b, &b->items[b->count], f) < 0) {
			/* With its other problems: every problem of a file is said in one run. */
			warn_future_announcement(d, src, &b->items[b->count]);
			announcement_release(&b->items[b->count]);
			memset(&b->items[b->count], 0, sizeof(b->items[b->count]));
			continue;
		}
		/* Only a file that said nothing is remembered: a memo must not swallow a warning. */
		if (b->memo && d->errors == errors_before && d->warnings == warnings_before)
			encode_record(&b->items[b->count]);
		/* After the record: whether a date is too far ahead depends on the commit, not the file. */
		warn_future_announcement(d, src, &b->items[b->count]);
		give_default_id(b, &b->items[b->count++]);
		/*
		 * With a memo the body is not kept: its HTML went to keep_html, or the body is read
		 * again when a page shows it (model.h), so a big site's sources are not all held while
		 * its model is built. This share alone owns f.
		 */
		if (b->memo) {
			struct source_file *own = (struct source_file *)f;

			free(own->data);
			own->data = NULL;
			own->unread = 1;
		}
	}
}

/*
 * Loading on every core. This thread reads the sources that have to be read, in tree order (the
 * order a pack keeps them in, which libgit2's delta cache likes), while the workers take files one
 * at a time and parse each as soon as it is read. What each file says is kept and replayed in file
 * order, and the announcements are put back in file order, so nothing depends on the timing.
 */
struct load_pool {
	const struct source_set *src;
	const struct model_memo *memo;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t next;               /* the next file to take */
	size_t readable;           /* files [0, readable) have been read or need no reading */
	int waiting;               /* workers waiting for files to be read */
	int reader_waits;          /* the reader waits for the workers to catch up */
	size_t running;            /* worker threads started: with none, the reader reads it all */
	struct load_said *said;    /* per file */
};

struct load_said {
	char *msgs;
	size_t errors, warnings;
};

struct load_worker {
	struct model_builder b;
	struct load_pool *pool;
	struct diag d;             /* writes to msgs */
	char *msgs;
	size_t msglen;
};

static void *
load_worker_run(void *arg)
{
	struct load_worker *w = arg;
	struct load_pool *pool = w->pool;

	for (;;) {
		size_t i, said, errors = w->d.errors, warnings = w->d.warnings;

		pthread_mutex_lock(&pool->lock);
		if (pool->next >= pool->src->count) {
			pthread_mutex_unlock(&pool->lock);
			break;
		}
		i = pool->next++;
		if (pool->reader_waits && i + LOAD_AHEAD / 2 >= pool->readable)
			pthread_cond_broadcast(&pool->cond);
		while (pool->readable <= i) {
			pool->waiting++;
			pthread_cond_wait(&pool->cond, &pool->lock);
			pool->waiting--;
		}
		pthread_mutex_unlock(&pool->lock);
		fflush(w->d.out);
		said = w->msglen;
		load_range(&w->b, pool->src, i, i + 1);
		fflush(w->d.out);
		if (w->msglen > said)
			pool->said[i].msgs = xstrndup(w->msgs + said, w->msglen - said);
		pool->said[i].errors = w->d.errors - errors;
		pool->said[i].warnings = w->d.warnings - warnings;
	}
	return NULL;
}

/* Whether the loader will want f's bytes: an announcement left unread that has no record. */
static int
must_read(const struct model_memo *memo, const struct source_file *f)
{
	size_t len;
	char *stem;

	if (!f->unread || !memo || !memo->read ||
	    strncmp(f->path, LEVELS_DIR, strlen(LEVELS_DIR)) != 0 ||
	    !(stem = file_stem(f->path, LEVELS_DIR)))
		return 0;
	free(stem);
	return !(memo->get && memo->get(memo->arg, f->id, &len));
}

/* This thread's part: read ahead of the workers. A failure is left for the worker to report. */
static void
read_ahead(struct load_pool *pool)
{
	char *ignored;
	size_t ignored_len;
	struct diag quiet;

	diag_init_memory(&quiet, &ignored, &ignored_len, 1);
	for (size_t i = 0; i < pool->src->count; i++) {
		struct source_file *f = (struct source_file *)&pool->src->files[i];

		/* Not too far ahead of the parsers: the bytes read wait in memory until parsed. */
		if (i % LOAD_BATCH == 0 && pool->running) {
			pthread_mutex_lock(&pool->lock);
			while (i >= pool->next + LOAD_AHEAD) {
				pool->reader_waits = 1;
				pthread_cond_wait(&pool->cond, &pool->lock);
				pool->reader_waits = 0;
			}
			pthread_mutex_unlock(&pool->lock);
		}
		if (must_read(pool->memo, f))
			pool->memo->read(pool->memo->arg, f, &quiet);
		/* Workers waiting are woken once per few files, not once per file. */
		if ((i + 1) % LOAD_BATCH && i + 1 < pool->src->count)
			continue;
		pthread_mutex_lock(&pool->lock);
		pool->readable = i + 1;
		if (pool->waiting)
			pthread_cond_broadcast(&pool->cond);
		pthread_mutex_unlock(&pool->lock);
	}
	fclose(quiet.out);
	free(ignored);
}

static int
compare_by_file(const void *x, const void *y)
{
	const struct announcement *a = x, *b = y;

	return a->src < b->src ? -1 : a->src > b->src;
}

static int
load_announcements(struct model_builder *b, const struct source_set *src)
{
	struct load_worker workers[LOAD_WORKERS];
	pthread_t tid[LOAD_WORKERS];
	int started[LOAD_WORKERS] = { 0 };
	struct load_pool pool = { .src = src, .memo = b->memo };
	size_t i, n = 0, nw, running = 0;

	for (i = 0; i < src->count; i++)
		if (strncmp(src->files[i].path, LEVELS_DIR, strlen(LEVELS_DIR)) == 0)
			n++;
	b->items = xcalloc(n ? n : 1, sizeof(*b->items));
	nw = thread_count(n, LOAD_WORKERS);
	if (n < LOAD_PARALLEL_MIN || nw < 2) {
		load_range(b, src, 0, src->count);
		return 0;
	}
	pool.said = xcalloc(src->count, sizeof(*pool.said));
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.cond, NULL);
	for (i = 0; i < nw; i++) {
		struct load_worker *w = &workers[i];

		w->b = *b;
		w->b.items = xcalloc(n, sizeof(*w->b.items));
		w->b.count = 0;
		w->pool = &pool;
		diag_init_memory(&w->d, &w->msgs, &w->msglen, b->d->quiet);
		w->b.d = &w->d;
		started[i] = pthread_create(&tid[i], NULL, load_worker_run, w) == 0;
		running += (size_t)started[i];
	}
	pool.running = running;
	read_ahead(&pool);
	/* Without any thread, the files are all read now: one worker's loop does the rest here. */
	if (!running)
		load_worker_run(&workers[0]);
	for (i = 0; i < nw; i++) {
		struct load_worker *w = &workers[i];

		if (started[i])
			pthread_join(tid[i], NULL);
		fclose(w->d.out);
		free(w->msgs);
		memcpy(b->items + b->count, w->b.items, w->b.count * sizeof(*b->items));
		b->count += w->b.count;
		free(w->b.items);
	}
	for (i = 0; i < src->count; i++) {
		if (pool.said[i].msgs)
			fputs(pool.said[i].msgs, b->d->out);
		free(pool.said[i].msgs);
		b->d->errors += pool.said[i].errors;
		b->d->warnings += pool.said[i].warnings;
	}
	free(pool.said);
	pthread_cond_destroy(&pool.cond);
	pthread_mutex_destroy(&pool.lock);
	qsort(b->items, b->count, sizeof(*b->items), compare_by_file);
	return 0;
}

static int
compare_ids(const void *x, const void *y)
{
	const struct announcement *const *a = x, *const *b = y;
	int c = strcmp((*a)->id, (*b)->id);

	return c ? c : strcmp((*a)->src->path, (*b)->src->path);
}

/* Orders announcements, links each to the previous one in its scope, checks clashes of ids. */
static int
order_announcements(struct model_builder *b)
{
	struct diag *d = b->d;
	size_t nscopes = b->cfg->nscopes ? b->cfg->nscopes : 1;
	const struct announcement **last = xcalloc(nscopes, sizeof(*last));
	struct announcement **by_id;
	size_t i;

	qsort(b->items, b->count, sizeof(*b->items), compare_announcements);
	for (i = 0; i < b->count; i++) {
		struct announcement *a = &b->items[i];
		size_t s = a->scope ? (size_t)(a->scope - b->cfg->scopes) : 0;

		if (last[s] && last[s]->date.epoch == a->date.epoch)
			diag_error(d, a->src->path, a->date_line, a->date_col, "announces a level for the "
				   "same scope at the same instant as %s (expected one announcement per "
				   "moment)", last[s]->src->path);
		a->previous = last[s];
		last[s] = a;
	}
	free(last);

	/* Ids must be unique (RFC 4287 section 4.2.6): sort pointers by id and compare neighbours. */
	by_id = xcalloc(b->count, sizeof(*by_id));
	for (i = 0; i < b->count; i++)
		by_id[i] = &b->items[i];
	qsort(by_id, b->count, sizeof(*by_id), compare_ids);
	for (i = 1; i < b->count; i++) {
		const struct announcement *first = by_id[i - 1], *again = by_id[i];

		if (strcmp(first->id, again->id) != 0)
			continue;
		/*
		 * Two default ids are the same only for the same scope and instant, said above; an
		 * id someone wrote is the one to point at.
		 */
		if (!first->id_line && !again->id_line)
			continue;
		if (!again->id_line) {
			first = by_id[i];
			again = by_id[i - 1];
		}
		diag_error(d, again->src->path, again->id_line, again->id_col,
			   "id '%s' is already used by %s (expected a unique id)", again->id,
			   first->src->path);
	}
	free(by_id);
	return d->errors ? -1 : 0;
}

static json_t *
load_pages(struct model_builder *b, const struct source_set *src)
{
	struct diag *d = b->d;
	json_t *pages = json_array();
	struct buf s = BUF_INIT, html = BUF_INIT;

	for (size_t i = 0; i < src->count; i++) {
		const struct source_file *f = &src->files[i];
		const struct frontmatter_field *title, *aliases;
		struct frontmatter fm;
		struct link_collect links = { b->cfg->url, NULL, 0, 0, BUF_INIT };
		struct page_links *pl;
		char *name;
		json_t *p;

		if (strncmp(f->path, PAGES_DIR, strlen(PAGES_DIR)) != 0 || f->kind == SOURCE_SYMLINK ||
		    f->kind == SOURCE_SUBMODULE)
			continue;
		if (!(name = file_stem(f->path, PAGES_DIR))) {
			const char *base = f->path + strlen(PAGES_DIR);

			if (base[0] != '.' && !strstr(base, "/."))
				diag_warning(d, f->path, 0, 0, "ignored (pages are " PAGES_DIR "*.md files)");
			continue;
		}
		check_slug(d, f->path, name);
		if (check_source(d, f) < 0 ||
		    frontmatter_parse(&fm, f->path, f->data, f->size, list_keys, d) < 0) {
			free(name);
			continue;
		}
		warn_unknown_keys(d, f->path, &fm, page_keys, sizeof(page_keys) / sizeof(*page_keys),
				  "title or aliases");
		title = frontmatter_get(&fm, "title");
		if ((!title && !frontmatter_refused(&fm, "title")) ||
		    (title && is_blank_line(title->value, strlen(title->value))))
			diag_error(d, f->path, title ? title->line : 1, title ? title->col : 1,
				   "missing 'title' (pages need a title)");
		else if (title)
			check_one_line(d, f->path, title);
		check_images(d, f->path, b->cfg->url, &fm);
		check_raw_html(d, f->path, &fm);
		links.body = fm.body;
		links.len = fm.body_len;
		links.body_line = fm.body_line;
		if (markdown_render(&html, NULL, 0, fm.body, fm.body_len, collect_link, &links) < 0)
			diag_error(d, f->path, 0, 0, "out of memory rendering Markdown");
		b->page_links = xreallocarray(b->page_links, b->npage_links + 1, sizeof(*b->page_links));
		pl = &b->page_links[b->npage_links++];
		pl->source = f->path;
		pl->links = buf_detach(&links.out, &pl->len);
		pl->aliases = NULL;
		pl->aliases_len = 0;
		if ((aliases = frontmatter_get(&fm, "aliases"))) {
			collect_aliases(&s, d, f->path, aliases);
			pl->aliases = buf_detach(&s, &pl->aliases_len);
		}
		p = json_object();
		set_string(p, "name", name);
		set_string(p, "title", title ? title->value : "");
		buf_printf(&s, "pages/%s/", name);
		set_string(p, "path", s.ptr);
		pl->folder = buf_detach(&s, NULL);
		buf_printf(&s, "%spages/%s/", b->cfg->url, name);
		set_buf_reset(p, "url", &s);
		set_buf_reset(p, "content_html", &html);
		set_string(p, "source", f->path);
		if (pl->aliases_len)
			json_object_set_new(p, "aliases", aliases_json(pl->aliases, pl->aliases_len));
		json_array_append_new(pages, p);
		frontmatter_release(&fm);
		free(name);
	}
	buf_release(&s);
	buf_release(&html);
	return pages;
}

static int
compare_strings(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Appends the folder of the announcement or page whose file is name.md; 0, or -1 if none. */
static int
folder_named(struct buf *folder, const char **source, const struct model_builder *b,
	     const char *name, size_t len)
{
	for (size_t i = 0; i < b->count; i++) {
		const struct announcement *a = &b->items[i];

		if (strlen(a->slug) == len && memcmp(a->slug, name, len) == 0) {
			*source = a->src->path;
			return announcement_folder(folder, a) < 0 ? -1 : 0;
		}
	}
	for (size_t i = 0; i < b->npage_links; i++) {
		const char *f = b->page_links[i].folder + strlen("pages/");

		if (strlen(f) == len + 1 && memcmp(f, name, len) == 0) {
			*source = b->page_links[i].source;
			return buf_puts(folder, b->page_links[i].folder);
		}
	}
	return -1;
}

/*
 * Says that the link url on line:col of source leads to no page: to is where it leads, want the
 * folder of a page it names, or NULL for a Markdown file's name. Every announcement and page
 * sits two folders down, so "../../" and a folder is the address of any from any.
 */
static void
report_dead_link(const struct model_builder *b, const char *source, unsigned line, unsigned col,
		 const char *url, const char *to, const char *want)
{
	const char *name = want ? strchr(want, '/') + 1 : strrchr(to, '/'), *found = NULL;
	size_t len = want ? strlen(name) - 1 : 0;
	struct buf folder = BUF_INIT, expected = BUF_INIT;

	if (!want) {
		name = name ? name + 1 : to;
		len = strlen(name) - strlen(".md");
	}
	if (folder_named(&folder, &found, b, name, len) == 0)
		buf_printf(&expected, "../../%s, the address of %s", folder.ptr, found);
	else if (!want)
		buf_puts(&expected, "the address of the page it becomes: "
			 "../../<year>/<its file name without .md>/");
	else if (isdigit((unsigned char)*want))
		buf_puts(&expected, "an announcement's address: "
			 "../../<year>/<its file name without .md>/");
	else
		buf_puts(&expected, "a page's address: ../../pages/<its file name without .md>/");
	diag_warning(b->d, source, line, col, "link to '%s' leads %s (expected %s)", url,
		     want ? "to no page of the site" : "to a Markdown file, which is not published",
		     expected.ptr);
	buf_release(&folder);
	buf_release(&expected);
}

/*
 * Warns of each link of a body (link_collect's list) to an announcement or page that the site
 * does not have, or to a Markdown file: a file renamed, or a year or name mistyped, would
 * otherwise be a link that leads nowhere for every reader. known holds the folders it has.
 */
static void
check_links_of(const struct model_builder *b, char **known, size_t nknown, const char *source,
	       const char *folder, const char *links, size_t len)
{
	struct buf base = BUF_INIT;
	size_t at = 0;

	if (buf_printf(&base, "%s%s", b->cfg->url, folder) < 0)
		return;
	while (at < len) {
		const char *url = next_field(links, len, &at);
		long long line = 0, col = 0;
		char *to, *want;

		field_int(next_field(links, len, &at), 0, UINT_MAX, &line);
		field_int(next_field(links, len, &at), 0, UINT_MAX, &col);
		if (!url || !(to = links_site_path(url, base.ptr, b->cfg->url)))
			continue;
		want = page_folder_of(to);
		if (want ? !bsearch(&want, known, nknown, sizeof(*known), compare_strings) :
			   strlen(to) > 3 && strcmp(to + strlen(to) - 3, ".md") == 0)
			report_dead_link(b, source, (unsigned)line, (unsigned)col, url, to, want);
		free(want);
		free(to);
	}
	buf_release(&base);
}

/* A folder of the site and the file whose page is there, or which gave it as an old address. */
struct folder_of {
	const char *folder;
	const char *source;
	unsigned line, col;        /* of the old address; 0 for a page's own folder */
	size_t order;              /* of the old addresses, in the order of their files */
	const struct folder_of *first;   /* the first to give the same old address, or NULL */
};

static int
compare_folders(const void *x, const void *y)
{
	return strcmp(((const struct folder_of *)x)->folder, ((const struct folder_of *)y)->folder);
}

/* By folder, then in the order of their files. */
static int
compare_claims(const void *x, const void *y)
{
	const struct folder_of *const *a = x, *const *b = y;
	int c = strcmp((*a)->folder, (*b)->folder);

	return c ? c : ((*a)->order > (*b)->order) - ((*a)->order < (*b)->order);
}

/* Appends the old addresses in collect_aliases' fields to *list, given by source. */
static void
add_claims(struct folder_of **list, size_t *n, const char *source, const char *aliases, size_t len)
{
	size_t at = 0;
	const char *folder;

	while ((folder = next_field(aliases, len, &at))) {
		long long line = 0, col = 0;

		field_int(next_field(aliases, len, &at), 0, UINT_MAX, &line);
		field_int(next_field(aliases, len, &at), 0, UINT_MAX, &col);
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[*n] = (struct folder_of){ folder, source, (unsigned)line, (unsigned)col, *n, NULL };
		++*n;
	}
}

/*
 * An old address becomes a page that sends readers on to the new one: it must be the address of
 * no page the site has (pages, sorted by folder), and be given once, or two pages would be
 * written to one file. Said in the order of the files.
 */
static void
check_aliases(struct model_builder *b, const struct folder_of *pages, size_t npages)
{
	struct folder_of *claims = NULL, **sorted;
	size_t n = 0;

	for (size_t i = 0; i < b->count; i++)
		add_claims(&claims, &n, b->items[i].src->path, b->items[i].aliases,
			   b->items[i].aliases_len);
	for (size_t i = 0; i < b->npage_links; i++)
		add_claims(&claims, &n, b->page_links[i].source, b->page_links[i].aliases,
			   b->page_links[i].aliases_len);
	sorted = xcalloc(n, sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = &claims[i];
	qsort(sorted, n, sizeof(*sorted), compare_claims);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i - 1]->folder, sorted[i]->folder) == 0)
			sorted[i]->first = sorted[i - 1]->first ? sorted[i - 1]->first : sorted[i - 1];
	for (size_t i = 0; i < n; i++) {
		const struct folder_of *c = &claims[i];
		const struct folder_of *owner = bsearch(c, pages, npages, sizeof(*pages),
							compare_folders);

		if (owner && strcmp(owner->source, c->source) == 0)
			diag_error(b->d, c->source, c->line, c->col, "'aliases' names this file's own "
				   "address '%s' (expected an address it had before)", c->folder);
		else if (owner)
			diag_error(b->d, c->source, c->line, c->col, "'aliases' names '%s', the address "
				   "of %s (expected an address no page of the site has)", c->folder,
				   owner->source);
		else if (c->first)
			diag_error(b->d, c->source, c->line, c->col, "'aliases' names '%s', which "
				   "%s:%u:%u names already (expected each old address once)", c->folder,
				   c->first->source, c->first->line, c->first->col);
	}
	free(sorted);
	free(claims);
}

/*
 * Checks the old addresses (check_aliases), then, for every announcement and page in the order
 * of their files, its links (check_links_of). A link to an old address still leads to the page.
 */
static void
check_folders(struct model_builder *b)
{
	size_t npages = b->count + b->npage_links, nknown = npages, with_links = 0, with_aliases = 0;
	struct folder_of *pages;
	char **known, **folders;
	struct buf folder = BUF_INIT;

	for (size_t i = 0; i < b->count; i++) {
		with_links += b->items[i].links_len > 0;
		with_aliases += b->items[i].aliases_len > 0;
	}
	for (size_t i = 0; i < b->npage_links; i++) {
		with_links += b->page_links[i].len > 0;
		with_aliases += b->page_links[i].aliases_len > 0;
	}
	if (!with_links && !with_aliases)
		return;
	/* Each page's folder, announcements' first, by index; then sorted, for check_aliases. */
	pages = xcalloc(npages, sizeof(*pages));
	folders = xcalloc(b->count, sizeof(*folders));
	for (size_t i = 0; i < b->count; i++) {
		announcement_folder(&folder, &b->items[i]);
		folders[i] = buf_detach(&folder, NULL);
		pages[i] = (struct folder_of){ folders[i], b->items[i].src->path, 0, 0, i, NULL };
	}
	for (size_t i = 0; i < b->npage_links; i++)
		pages[b->count + i] = (struct folder_of){ b->page_links[i].folder,
							  b->page_links[i].source, 0, 0, b->count + i,
							  NULL };
	for (size_t i = 0; i < b->count; i++)
		nknown += fields_in(b->items[i].aliases, b->items[i].aliases_len) / 3;
	for (size_t i = 0; i < b->npage_links; i++)
		nknown += fields_in(b->page_links[i].aliases, b->page_links[i].aliases_len) / 3;
	known = xcalloc(nknown, sizeof(*known));
	nknown = 0;
	for (size_t i = 0; i < npages; i++)
		known[nknown++] = (char *)pages[i].folder;
	for (size_t i = 0; i < npages; i++) {
		const char *aliases = i < b->count ? b->items[i].aliases :
				      b->page_links[i - b->count].aliases;
		size_t len = i < b->count ? b->items[i].aliases_len :
			     b->page_links[i - b->count].aliases_len, at = 0;
		const char *f;

		while ((f = next_field(aliases, len, &at))) {
			known[nknown++] = (char *)f;
			next_field(aliases, len, &at);
			next_field(aliases, len, &at);
		}
	}
	qsort(known, nknown, sizeof(*known), compare_strings);
	if (with_aliases) {
		qsort(pages, npages, sizeof(*pages), compare_folders);
		check_aliases(b, pages, npages);
	}
	for (size_t i = 0; i < b->count; i++)
		if (b->items[i].links_len)
			check_links_of(b, known, nknown, b->items[i].src->path, folders[i],
				       b->items[i].links, b->items[i].links_len);
	for (size_t i = 0; i < b->npage_links; i++)
		if (b->page_links[i].len)
			check_links_of(b, known, nknown, b->page_links[i].source,
				       b->page_links[i].folder, b->page_links[i].links,
				       b->page_links[i].len);
	for (size_t i = 0; i < b->count; i++)
		free(folders[i]);
	free(folders);
	free(known);
	free(pages);
	buf_release(&folder);
}

static json_t *
site_json(const struct config *cfg)
{
	json_t *site = json_object();

	set_string(site, "title", cfg->title);
	set_string(site, "url", cfg->url);
	set_string(site, "description", cfg->description);
	set_string(site, "language", cfg->language);
	set_string(site, "author", cfg->author);
	set_string(site, "generator", "threatfeed");
	set_string(site, "version", THREATFEED_VERSION);
	json_object_set_new(site, "multiple_scopes", json_boolean(cfg->nscopes > 1));
	return site;
}

static json_t *
levels_json(const struct config *cfg)
{
	json_t *levels = json_array();

	for (size_t i = 0; i < cfg->nlevels; i++) {
		const struct level_def *l = &cfg->levels[i];
		json_t *o = json_object();

		set_string(o, "name", l->name);
		set_string(o, "title", l->title);
		json_object_set_new(o, "rank", json_integer(l->rank));
		set_string(o, "summary", l->summary);
		set_string(o, "colour", l->colour);
		set_string(o, "text_colour", l->text_colour);
		json_array_append_new(levels, o);
	}
	return levels;
}

/* The levels lowest first, the scope's current one marked, so a page can mark it in text. */
static json_t *
scale_json(const struct config *cfg, const json_t *current)
{
	json_t *scale = levels_json(cfg), *level;
	const char *now = current ? model_str(current, "level") : "";
	size_t i;

	json_array_foreach(scale, i, level)
		json_object_set_new(level, "is_current",
				    json_boolean(strcmp(model_str(level, "name"), now) == 0));
	return scale;
}

/*
 * The newest 'updated' of announcements seen newest first by date: of all of them (for a page that
 * lists them all) and of the first feed_entries alone (for a feed, which holds no others: revising
 * an announcement too old to be in it must not change its bytes, nor have hubs pinged for nothing).
 * INT64_MIN: none yet (dates go back to the year 1, before the epoch).
 */
struct newest {
	int64_t all, in_feed;
	size_t seen;
};

static void
newest_add(struct newest *n, int64_t updated, size_t feed_entries)
{
	if (updated > n->all)
		n->all = updated;
	if (n->seen++ < feed_entries && updated > n->in_feed)
		n->in_feed = updated;
}

/* Assembles the tree from the ordered announcements and the pages. */
static json_t *
assemble(struct model_builder *b, json_t *pages)
{
	const struct config *cfg = b->cfg;
	size_t nscopes = cfg->nscopes ? cfg->nscopes : 1, i, s;
	json_t *root = json_object(), *entries = json_array(), *current = json_array();
	json_t *scopes = json_array(), *feeds = json_array(), *sitemap = json_array();
	json_t *recent = json_array();
	size_t sitemap_first;
	json_t **scope_entries = xcalloc(nscopes, sizeof(*scope_entries));
	json_t **scope_current = xcalloc(nscopes, sizeof(*scope_current));
	struct newest newest = { INT64_MIN, INT64_MIN, 0 };
	struct newest *scope_newest = xcalloc(nscopes, sizeof(*scope_newest));
	const size_t feed_entries = (size_t)cfg->feed_entries;
	const int64_t *site_newest, *site_feed_newest;

	for (s = 0; s < nscopes; s++) {
		scope_entries[s] = json_array();
		scope_newest[s] = newest;
	}
	b->levels = xcalloc(cfg->nlevels ? cfg->nlevels : 1, sizeof(*b->levels));
	for (i = 0; i < cfg->nlevels; i++) {
		const struct level_def *l = &cfg->levels[i];

		b->levels[i].name = json_string(l->name);
		b->levels[i].title = json_string(l->title);
		b->levels[i].summary = json_string(l->summary);
		b->levels[i].colour = json_string(l->colour);
		b->levels[i].text_colour = json_string(l->text_colour);
	}
	for (i = 0; i < sizeof(directions) / sizeof(*directions); i++)
		b->directions[i] = json_string(directions[i]);
	b->shared = xcalloc(nscopes * (cfg->nlevels ? cfg->nlevels : 1) * 4 * (cfg->nlevels + 1),
			    sizeof(*b->shared));
	b->scope_names = xcalloc(nscopes, sizeof(*b->scope_names));
	b->scope_titles = xcalloc(nscopes, sizeof(*b->scope_titles));
	for (s = 0; s < nscopes; s++) {
		b->scope_names[s] = json_string(cfg->nscopes ? cfg->scopes[s].name : "");
		b->scope_titles[s] = json_string(cfg->nscopes ? cfg->scopes[s].title : cfg->title);
	}
	make_entries_json(b);
	/* Newest first everywhere; the first seen per scope is its current level. */
	for (i = b->count; i-- > 0;) {
		struct announcement *a = &b->items[i];

		s = a->scope ? (size_t)(a->scope - cfg->scopes) : 0;
		if (a->is_current)
			scope_current[s] = a->json;
		if (b->memo && b->memo->entry_key)
			b->memo->entry_key(b->memo->arg, json_array_size(entries), a->key);
		json_array_append(entries, a->json);
		json_array_append(scope_entries[s], a->json);
		newest_add(&newest, a->updated.epoch, feed_entries);
		newest_add(&scope_newest[s], a->updated.epoch, feed_entries);
	}

	for (i = 0; i < json_array_size(entries) && i < RECENT_MAX; i++)
		json_array_append(recent, json_array_get(entries, i));
	/*
	 * With no announcement yet, no date is the site's: its sitemap gives none, and its feeds,
	 * which must give one, the time of the commit built (as a reader subscribing then would
	 * expect; a feed dated 1970 looks broken). A scope with none yet takes the site's newest,
	 * and its feed the site feed's.
	 */
	site_newest = newest.all != INT64_MIN ? &newest.all : NULL;
	site_feed_newest = newest.in_feed != INT64_MIN ? &newest.in_feed : &b->made_at;
	json_array_append_new(feeds, feed_json(b, "", cfg->title, entries, *site_feed_newest));
	for (s = 0; s < nscopes; s++) {
		json_t *scope = json_object(), *feed;
		const struct scope_def *def = cfg->nscopes ? &cfg->scopes[s] : NULL;
		struct buf dir = BUF_INIT;

		if (cfg->nscopes > 1)
			buf_printf(&dir, "%s/", def->name);
		set_string(scope, "name", def ? def->name : "");
		set_string(scope, "title", def ? def->title : cfg->title);
		set_string(scope, "dir", dir.ptr ? dir.ptr : "");
		json_object_set(scope, "current", scope_current[s] ? scope_current[s] : json_null());
		if (scope_current[s])
			json_array_append(current, scope_current[s]);
		json_object_set_new(scope, "entries", scope_entries[s]);
		json_object_set_new(scope, "scale", scale_json(cfg, scope_current[s]));
		if (cfg->nscopes > 1) {
			const struct newest *n = &scope_newest[s];
			const int64_t *updated = n->all != INT64_MIN ? &n->all : site_newest;
			const int64_t *feed_updated = n->in_feed != INT64_MIN ? &n->in_feed :
									       site_feed_newest;

			feed = feed_json(b, dir.ptr, def->title, scope_entries[s], *feed_updated);
			json_array_append(feeds, feed);
			/* A scope's page shows its own announcements alone. */
			sitemap_add(sitemap, cfg->url, dir.ptr, updated);
		} else {
			feed = json_incref(json_array_get(feeds, 0));
		}
		json_object_set_new(scope, "feed", feed);
		json_array_append_new(scopes, scope);
		buf_release(&dir);
	}

	sitemap_add(sitemap, cfg->url, "", site_newest);
	sitemap_add(sitemap, cfg->url, "history/", site_newest);
	sitemap_add(sitemap, cfg->url, "levels/", site_newest);
	/* In the order of "entries", newest first; the items were made with the entries. */
	sitemap_first = json_array_size(sitemap);
	for (i = b->count; i-- > 0;) {
		json_array_append_new(sitemap, b->items[i].sitemap_item);
		b->items[i].sitemap_item = NULL;
	}
	/*
	 * A free page changes when its own file does, which only its history could tell; the newest
	 * announcement's time would be wrong for it, and search engines stop trusting a site's
	 * lastmod values once some are wrong.
	 */
	for (i = 0; i < json_array_size(pages); i++)
		sitemap_add(sitemap, cfg->url,
			    json_string_value(json_object_get(json_array_get(pages, i), "path")), NULL);

	json_object_set_new(root, "site", site_json(cfg));
	json_object_set_new(root, "levels", levels_json(cfg));
	json_object_set_new(root, "scopes", scopes);
	json_object_set_new(root, "current", current);
	json_object_set_new(root, "recent", recent);
	json_object_set_new(root, "entries", entries);
	json_object_set_new(root, "feeds", feeds);
	json_object_set_new(root, "pages", pages);
	json_object_set_new(root, "sitemap", sitemap);
	json_object_set_new(root, "sitemap_entries",
			    json_pack("{s:I, s:I}", "first", (json_int_t)sitemap_first,
				      "count", (json_int_t)b->count));
	free(scope_entries);
	free(scope_current);
	free(scope_newest);
	for (i = 0; i < cfg->nlevels; i++) {
		json_decref(b->levels[i].name);
		json_decref(b->levels[i].title);
		json_decref(b->levels[i].summary);
		json_decref(b->levels[i].colour);
		json_decref(b->levels[i].text_colour);
	}
	free(b->levels);
	b->levels = NULL;
	for (i = 0; i < sizeof(directions) / sizeof(*directions); i++)
		json_decref(b->directions[i]);
	for (i = 0; i < nscopes * (cfg->nlevels ? cfg->nlevels : 1) * 4 * (cfg->nlevels + 1); i++)
		json_decref(b->shared[i]);
	free(b->shared);
	b->shared = NULL;
	for (s = 0; s < nscopes; s++) {
		json_decref(b->scope_names[s]);
		json_decref(b->scope_titles[s]);
	}
	free(b->scope_names);
	free(b->scope_titles);
	return root;
}

int
model_build(json_t **out, const struct config *cfg, const struct source_set *src, struct diag *d)
{
	return model_build_memo(out, cfg, src, NULL, d);
}

json_t *
model_flat(json_t *v)
{
	json_t *out, *m, *lent;
	const char *key, *k;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach(v, key, m) {
			if (*key || !json_is_object(m)) {
				json_object_set_new(out, key, model_flat(m));
				continue;
			}
			/* Shared members where the "" key stands, so the order reads as it was made. */
			json_object_foreach(m, k, lent)
				if (!json_object_get(v, k))
					json_object_set_new(out, k, model_flat(lent));
		}
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, m)
			json_array_append_new(out, model_flat(m));
		return out;
	default:
		return json_incref(v);
	}
}

int
model_entry_html(struct buf *out, const struct source_file *f, struct diag *d)
{
	const char *body;
	size_t body_len;

	if (f->kind != SOURCE_FILE || !f->data)
		return diag_error(d, f->path, 0, 0, "cannot read the file again");
	/* Its front matter was checked when it was loaded, in this build or the one cached. */
	if (frontmatter_body(f->data, f->size, &body, &body_len) < 0)
		return diag_error(d, f->path, 1, 1, "front matter not found again");
	if (markdown_to_html(out, body, body_len) < 0)
		return diag_error(d, f->path, 0, 0, "out of memory rendering Markdown");
	return 0;
}

int
model_entry_content(json_t *entry, const struct source_file *f, struct diag *d)
{
	struct buf html = BUF_INIT;
	int rc = -1;

	if (json_object_get(entry, "content_html"))
		return 0;
	if (model_entry_html(&html, f, d) == 0)
		rc = set_string(entry, "content_html", html.ptr ? html.ptr : "");
	buf_release(&html);
	return rc;
}

int
model_entry_set_html(json_t *entry, const char *html)
{
	return set_string(entry, "content_html", html);
}

int
model_build_memo(json_t **out, const struct config *cfg, const struct source_set *src,
		 const struct model_memo *memo, struct diag *d)
{
	/* A commit's time only: a preview's "now" would change its feeds at every run. */
	struct model_builder b = { .cfg = cfg, .memo = memo, .d = d,
				   .made_at = src->commit[0] ? src->made_at : 0 };
	size_t errors_before = d->errors;
	json_t *pages;
	int rc = -1;

	*out = NULL;
	for (size_t i = 0; i < src->count; i++) {
		const char *path = src->files[i].path;

		/* "content" itself too: a link or submodule there stands for the whole folder. */
		if (strncmp(path, "content/", 8) != 0 && strcmp(path, "content") != 0)
			continue;
		/* Links and submodules point outside what was committed: refused wherever they are. */
		if (src->files[i].kind == SOURCE_SYMLINK || src->files[i].kind == SOURCE_SUBMODULE)
			check_source(d, &src->files[i]);
		/* An announcement in a mistyped folder would vanish without a word. Dot files are expected. */
		else if (strncmp(path, LEVELS_DIR, strlen(LEVELS_DIR)) != 0 &&
			 strncmp(path, PAGES_DIR, strlen(PAGES_DIR)) != 0 && !strstr(path, "/."))
			diag_warning(d, path, 0, 0, "ignored (announcements are " LEVELS_DIR "*.md files, "
				     "free pages " PAGES_DIR "*.md files)");
	}
	load_announcements(&b, src);
	pages = load_pages(&b, src);
	check_folders(&b);
	/*
	 * The checks across files (one announcement a moment, unique ids) run over the files that
	 * loaded, whatever the others said: every problem is said in one run, not one push after
	 * another.
	 */
	if (order_announcements(&b) < 0 || d->errors > errors_before) {
		json_decref(pages);
		goto out;
	}
	*out = assemble(&b, pages);
	rc = 0;
out:
	if (rc == 0 && memo && memo->put) {
		size_t records = 0;

		for (size_t i = 0; i < b.count; i++)
			records += b.items[i].rec != NULL;
		if (!memo->want || memo->want(memo->arg, records))
			for (size_t i = 0; i < b.count; i++)
				if (b.items[i].rec)
					memo->put(memo->arg, b.items[i].src->id, b.items[i].rec,
						  b.items[i].rec_len);
	}
	for (size_t i = 0; i < b.count; i++)
		announcement_release(&b.items[i]);
	free(b.items);
	for (size_t i = 0; i < b.npage_links; i++) {
		free(b.page_links[i].folder);
		free(b.page_links[i].links);
		free(b.page_links[i].aliases);
	}
	free(b.page_links);
	return rc;
}
