#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Caps on what a settings file may declare (STYLE: cap everything read from outside). */
#define MAX_LEVELS 100
#define MAX_SCOPES 100
#define MAX_PINGS 50
#define MAX_NAME 40
#define RANK_MIN 0
#define RANK_MAX 1000

/* The UK levels with their published meanings, used when the file declares no [level]. */
static const struct {
	const char *name, *summary, *colour;
} uk_levels[] = {
	{ "low", "An attack is highly unlikely", "#2e7d32" },
	{ "moderate", "An attack is possible but not likely", "#fdd835" },
	{ "substantial", "An attack is likely", "#f57c00" },
	{ "severe", "An attack is highly likely", "#c62828" },
	{ "critical", "An attack is highly likely in the near future", "#6a0000" },
};
#define N_UK_LEVELS (sizeof(uk_levels) / sizeof(*uk_levels))
/* A declared level with no colour and no UK namesake: grey, readable with white text. */
#define FALLBACK_COLOUR "#616161"

/*
 * Where each setting is written. libgit2 1.5 hands back names and values but no line numbers, and
 * "threatfeed.conf:7:9: ..." is what an editor needs, so this small scan walks the same text for
 * section headers and key names. It only locates; libgit2 stays the parser that decides what the
 * file means. Keys are recorded in file order, which is also the order libgit2 returns them.
 *
 * Columns are 1-based and count bytes, as text_position does, except that a byte order mark is
 * no column: editors hide it, so the first character after it is column 1. A message points at
 * what it is about: a bad value at the value's first character as written (its opening quote, if
 * quoted; for a value continued over lines, its start; for a value left empty, where it would
 * start), a key at the key, a section at its '['.
 */
struct scan_key {
	char *name;          /* "scope.northern-ireland.title": section and key lowercased */
	unsigned line;
	unsigned key_col;
	unsigned value_col;  /* after '=' and blanks; after the key and blanks when there is no '=' */
	unsigned open_line, open_col;   /* a '"' its value leaves open; open_line is 0 when none */
	unsigned cut_line, cut_col;     /* a comment that looks part of the value; 0 when none */
	char *cut;                      /* that comment, to the line's end */
};

struct scan_section {
	char *section;       /* lowercased */
	char *sub;           /* NULL without a subsection */
	unsigned line, col;  /* of its '[' */
};

struct scan {
	struct scan_key *keys;
	size_t nkeys, cap_keys, cursor;
	struct scan_section *sections;
	size_t nsections, cap_sections;
};

static char *
lower_dup(const char *s, size_t n)
{
	char *p = xstrndup(s, n);

	for (size_t i = 0; i < n; i++)
		p[i] = (char)tolower((unsigned char)p[i]);
	return p;
}

static int
is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-';
}

/* Records a key found at line and col; returns it, or NULL when it could not be recorded. */
static struct scan_key *
scan_add_key(struct scan *s, const char *section, const char *sub, const char *key, size_t keylen,
	     unsigned line, unsigned col)
{
	struct buf name = BUF_INIT;
	char *lkey = lower_dup(key, keylen);

	if (s->nkeys == s->cap_keys) {
		s->cap_keys = s->cap_keys ? s->cap_keys * 2 : 32;
		s->keys = xreallocarray(s->keys, s->cap_keys, sizeof(*s->keys));
	}
	/* A key before any section header: libgit2 names it by the key alone. */
	if (buf_printf(&name, "%s%s%s%s%s", section, *section ? "." : "", sub ? sub : "",
		       sub ? "." : "", lkey) < 0) {
		free(lkey);
		buf_release(&name);
		return NULL;
	}
	s->keys[s->nkeys] = (struct scan_key){ .name = buf_detach(&name, NULL), .line = line,
					       .key_col = col };
	free(lkey);
	return &s->keys[s->nkeys++];
}

/* Parses "[section]", "[section \"sub\"]" or the old "[section.sub]" at data[*i] == '['. */
static void
scan_header(struct scan *s, const char *data, size_t len, size_t *i, unsigned line, unsigned col,
	    char **section, char **sub)
{
	size_t j = *i + 1, start;
	const char *dot;
	struct buf quoted = BUF_INIT;

	free(*section);
	free(*sub);
	*sub = NULL;
	while (j < len && (data[j] == ' ' || data[j] == '\t'))
		j++;
	start = j;
	while (j < len && (is_name_char(data[j]) || data[j] == '.'))
		j++;
	dot = memchr(data + start, '.', j - start);
	if (dot) {
		*section = lower_dup(data + start, (size_t)(dot - data - start));
		*sub = lower_dup(dot + 1, (size_t)(data + j - dot - 1));
	} else {
		*section = lower_dup(data + start, j - start);
	}
	while (j < len && (data[j] == ' ' || data[j] == '\t'))
		j++;
	if (j < len && data[j] == '"') {
		for (j++; j < len && data[j] != '"' && data[j] != '\n'; j++) {
			if (data[j] == '\\' && j + 1 < len && data[j + 1] != '\n')
				j++;
			buf_putc(&quoted, data[j]);
		}
		free(*sub);
		*sub = buf_detach(&quoted, NULL);
	}
	while (j < len && data[j] != ']' && data[j] != '\n')
		j++;
	if (j < len && data[j] == ']')
		j++;
	*i = j;
	if (s->nsections == s->cap_sections) {
		s->cap_sections = s->cap_sections ? s->cap_sections * 2 : 16;
		s->sections = xreallocarray(s->sections, s->cap_sections, sizeof(*s->sections));
	}
	s->sections[s->nsections].section = xstrdup(*section);
	s->sections[s->nsections].sub = *sub ? xstrdup(*sub) : NULL;
	s->sections[s->nsections].line = line;
	s->sections[s->nsections++].col = col;
}

/*
 * Skips the value of key k: quotes, backslash escapes and continued lines, up to its line's end,
 * keeping *line and *line_start (the offset where that line starts) in step. Records a quote
 * still open at the line's end: git refuses such a line ("bad config line"), but libgit2 1.5 ends
 * the value there, so a missing '"' would silently change the value.
 */
static void
scan_value(struct scan_key *k, const char *data, size_t len, size_t *i, unsigned *line,
	   size_t *line_start)
{
	size_t j = *i;
	unsigned open_line = 0, open_col = 0;
	int quoted = 0;

	while (j < len && data[j] != '\n') {
		if (data[j] == '\\' && j + 1 < len) {
			if (data[j + 1] == '\r' && j + 2 < len && data[j + 2] == '\n')
				j++;
			if (data[j + 1] == '\n') {
				++*line;
				*line_start = j + 2;
			}
			j += 2;
			continue;
		}
		if (data[j] == '"') {
			quoted = !quoted;
			open_line = *line;
			open_col = (unsigned)(j - *line_start + 1);
		} else if ((data[j] == '#' || data[j] == ';') && !quoted) {
			/*
			 * Inside a word ("a;b", ".../a#b") or before a number ("level #1"), the
			 * comment was most likely meant as part of the value (check_cut_values).
			 */
			int after_text = j > *i, in_word = after_text && !strchr(" \t\"", data[j - 1]);
			int number = j + 1 < len && data[j + 1] >= '0' && data[j + 1] <= '9';

			if (in_word || (after_text && number)) {
				size_t eol = j;

				while (eol < len && data[eol] != '\n' && data[eol] != '\r')
					eol++;
				k->cut_line = *line;
				k->cut_col = (unsigned)(j - *line_start + 1);
				k->cut = xstrndup(data + j, eol - j);
			}
			break;
		}
		j++;
	}
	while (j < len && data[j] != '\n')
		j++;
	*i = j;
	if (quoted) {
		k->open_line = open_line;
		k->open_col = open_col;
	}
}

static size_t
skip_blanks(const char *data, size_t len, size_t i)
{
	while (i < len && (data[i] == ' ' || data[i] == '\t'))
		i++;
	return i;
}

static void
scan_text(struct scan *s, const char *data, size_t len)
{
	char *section = xstrdup(""), *sub = NULL;
	unsigned line = 1;
	size_t i = 0, start, line_start = 0;
	struct scan_key *k, unrecorded = { 0 };

	/*
	 * libgit2 skips the byte order mark some editors write (Notepad): so must the scan. Editors
	 * do not show it either, so columns on the first line count from after it.
	 */
	i = line_start = bom_length(data, len);
	while (i < len) {
		char c = data[i];

		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
		} else if (c == '\n') {
			line++;
			line_start = ++i;
		} else if (c == '[') {
			scan_header(s, data, len, &i, line, (unsigned)(i - line_start + 1), &section, &sub);
		} else if (is_name_char(c)) {
			/* libgit2 takes a key that starts with a digit or '-' too: "9 = x" still has a line. */
			start = i;
			while (i < len && is_name_char(data[i]))
				i++;
			/* A key not recorded still has its value skipped, into a record of no one's. */
			k = scan_add_key(s, section, sub, data + start, i - start, line,
					 (unsigned)(start - line_start + 1));
			if (!k)
				k = &unrecorded;
			i = skip_blanks(data, len, i);
			if (i < len && data[i] == '=')
				i = skip_blanks(data, len, i + 1);
			k->value_col = (unsigned)(i - line_start + 1);
			scan_value(k, data, len, &i, &line, &line_start);
			if (k == &unrecorded) {
				free(unrecorded.cut);
				unrecorded.cut = NULL;
			}
		} else {
			/* A comment, or something libgit2 has already refused. */
			while (i < len && data[i] != '\n')
				i++;
		}
	}
	free(section);
	free(sub);
}

static void
scan_release(struct scan *s)
{
	for (size_t i = 0; i < s->nkeys; i++) {
		free(s->keys[i].name);
		free(s->keys[i].cut);
	}
	for (size_t i = 0; i < s->nsections; i++) {
		free(s->sections[i].section);
		free(s->sections[i].sub);
	}
	free(s->keys);
	free(s->sections);
	memset(s, 0, sizeof(*s));
}

/* Where a setting is written: its line, the column of its key and that of its value. */
struct where {
	unsigned line, key_col, value_col;
};

/* Where the next occurrence of a setting is, in file order; all 0 when the scan missed it. */
static struct where
scan_find(struct scan *s, const char *name)
{
	const struct scan_key *k = NULL;

	for (size_t i = s->cursor; i < s->nkeys && !k; i++) {
		if (strcmp(s->keys[i].name, name) == 0) {
			s->cursor = i + 1;
			k = &s->keys[i];
		}
	}
	for (size_t i = 0; i < s->cursor && i < s->nkeys && !k; i++) {
		if (strcmp(s->keys[i].name, name) == 0)
			k = &s->keys[i];
	}
	if (!k)
		return (struct where){ 0, 0, 0 };
	return (struct where){ k->line, k->key_col, k->value_col };
}

/* ---- validation ---- */

struct pending_level {
	struct level_def def;
	unsigned line, col;  /* its header's '[' (a key's, if the scan missed the header) */
	unsigned rank_line, rank_col, title_line, summary_line, colour_line;
	int bad_name;
	int has_rank;        /* a valid rank was given */
};

struct pending_scope {
	struct scope_def def;
	unsigned line, col;  /* its header's '[' (a key's, if the scan missed the header) */
	unsigned title_line;
	int bad_name;
};

struct loader {
	struct config *c;
	struct diag *d;
	const char *path;
	struct scan scan;
	int text_ok;               /* the file passed text_check: a bad value came from an escape */
	struct pending_level *levels;
	size_t nlevels;
	struct pending_scope *scopes;
	size_t nscopes;
	int levels_full, scopes_full;   /* the cap was reported: once, not for each later line */
	/* Lines where single-valued settings were set, to refuse a second value. */
	unsigned title_line, url_line, description_line, language_line, author_line, entries_line,
		id_host_line,
		timeout_line, retries_line;
	/* The line of each ping address kept, to name the first when one is given again. */
	unsigned websub_lines[MAX_PINGS], xmlrpc_lines[MAX_PINGS];
};

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	}
	return 1;
}

/* strtol with every check: digits only (an optional '-'), no overflow, nothing after, in range. */
static int
parse_long(long *out, const char *s, long min, long max)
{
	const char *digits = *s == '-' ? s + 1 : s;
	char *end;
	long v;

	if (*digits < '0' || *digits > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Why s is not usable as an absolute http(s) URL (RFC 3986 section 3), or NULL. The site's own
 * address becomes the base of every feed link, so it may carry no query either.
 */
static const char *
url_problem(const char *s, int is_base)
{
	const char *host, *colon;
	size_t n;

	/* RFC 3986 section 3.1: the scheme is case-insensitive. */
	if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return "expected an absolute http:// or https:// URL";
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return "expected no spaces or control characters";
	}
	/* RFC 3986 section 2 (and RFC 3987's IRIs) allow none of these unencoded. */
	if (strpbrk(s, "<>\"{}|\\^`"))
		return "expected '<', '>', '\"', '{', '}', '|', '\\', '^' and '`' percent-encoded";
	if (strchr(s, '#'))
		return "expected no fragment ('#')";
	if (is_base && strchr(s, '?'))
		return "expected no query ('?') in the site's address";
	n = strcspn(host, "/?#");
	if (n == 0)
		return "expected a host name after the scheme";
	/* RFC 3986 section 3.2.1: userinfo in a published address would be a credential leak. */
	if (memchr(host, '@', n))
		return "expected no user name or password";
	if (host[0] == '[') {
		const char *close = memchr(host, ']', n);

		if (!close)
			return "expected ']' after an IPv6 address";
		colon = close + 1 < host + n && close[1] == ':' ? close + 1 : NULL;
		if (close + 1 < host + n && !colon)
			return "expected ':port' after an IPv6 address";
	} else {
		colon = memchr(host, ':', n);
		if (colon == host)
			return "expected a host name before the port";
	}
	if (colon) {
		size_t plen = (size_t)(host + n - colon - 1);

		if (plen == 0 || plen > 5 || strspn(colon + 1, "0123456789") < plen)
			return "expected a port number after ':'";
		/* RFC 6335: ports are 16 bits; browsers and curl refuse a URL with a larger one. */
		if (strtol(colon + 1, NULL, 10) > 65535)
			return "expected a port number no higher than 65535";
	}
	return NULL;
}

/* The scheme lowercased and a trailing '/' added, so relative paths can be appended. */
static char *
normalise_url(const char *s)
{
	struct buf b = BUF_INIT;
	size_t scheme = strcspn(s, ":");

	for (size_t i = 0; i < scheme; i++)
		buf_putc(&b, (char)tolower((unsigned char)s[i]));
	buf_puts(&b, s + scheme);
	if (b.len == 0 || b.ptr[b.len - 1] != '/')
		buf_putc(&b, '/');
	return buf_detach(&b, NULL);
}

static int
valid_colour(const char *s)
{
	if (strlen(s) != 7 || s[0] != '#')
		return 0;
	return strspn(s + 1, "0123456789abcdefABCDEF") == 6;
}

/* y^(1/5) for y in [0, 1], by Newton's method (avoids libm for one power). */
static double
fifth_root(double y)
{
	double x = 1.0;

	if (y <= 0.0)
		return 0.0;
	for (int i = 0; i < 100; i++) {
		double x4 = x * x * x * x, next = x - (x4 * x - y) / (5.0 * x4);

		if (next == x)
			break;
		x = next;
	}
	return x;
}

/* WCAG 2 relative luminance of an sRGB channel (0..255), linearised. */
static double
linear_channel(unsigned v)
{
	double c = v / 255.0, t;

	if (c <= 0.04045)
		return c / 12.92;
	t = (c + 0.055) / 1.055;
	/* t^2.4 = t^2 * (t^2)^(1/5) */
	return t * t * fifth_root(t * t);
}

static double
luminance(const char *colour)
{
	unsigned long rgb = strtoul(colour + 1, NULL, 16);

	return 0.2126 * linear_channel((rgb >> 16) & 0xff) + 0.7152 * linear_channel((rgb >> 8) & 0xff) +
	       0.0722 * linear_channel(rgb & 0xff);
}

/* WCAG 2 contrast ratio (L1 + 0.05) / (L2 + 0.05) of black and of white text on colour. */
static const char *
text_colour_for(const char *colour)
{
	double l = luminance(colour);
	double on_black = (l + 0.05) / 0.05, on_white = 1.05 / (l + 0.05);

	return on_black >= on_white ? "#000000" : "#ffffff";
}

static char *
upper_dup(const char *s)
{
	char *p = xstrdup(s);

	for (char *q = p; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	return p;
}

/* The level-* classes that style.css gives a meaning of its own (keep in step with templates/). */
static const char *const taken_level_names[] = {
	"entry", "item", "item-rank", "item-summary", "list", "name", "now", "summary", "swatch",
};

static struct pending_level *
find_level(struct loader *ld, const char *name, unsigned line, unsigned col)
{
	struct pending_level *l;

	for (size_t i = 0; i < ld->nlevels; i++) {
		if (strcmp(ld->levels[i].def.name, name) == 0)
			return &ld->levels[i];
	}
	if (ld->nlevels == MAX_LEVELS) {
		if (!ld->levels_full)
			diag_error(ld->d, ld->path, line, col, "too many levels (at most %d)", MAX_LEVELS);
		ld->levels_full = 1;
		return NULL;
	}
	ld->levels = xreallocarray(ld->levels, ld->nlevels + 1, sizeof(*ld->levels));
	l = &ld->levels[ld->nlevels++];
	memset(l, 0, sizeof(*l));
	l->def.name = xstrdup(name);
	l->line = line;
	l->col = col;
	if (!valid_name(name)) {
		l->bad_name = 1;
		diag_error(ld->d, ld->path, line, col, "invalid level name '%s' (expected 1 to %d "
			   "lowercase letters, digits or '-')", name, MAX_NAME);
		return l;
	}
	/*
	 * A level's colours are the class level-<name> in style.css, beside the default templates' own
	 * level-* classes: a level named "now" would paint every current-level box in its colour,
	 * whatever the level, and one named "item" would lay its badges out as the levels page's grid.
	 */
	for (size_t i = 0; i < sizeof(taken_level_names) / sizeof(*taken_level_names); i++) {
		if (strcmp(name, taken_level_names[i]) == 0) {
			l->bad_name = 1;
			diag_error(ld->d, ld->path, line, col, "level name '%s' clashes with the stylesheet's "
				   "class 'level-%s' (choose another name)", name, name);
		}
	}
	return l;
}

static int
is_year(const char *s)
{
	return strlen(s) == 4 && strspn(s, "0123456789") == 4;
}

static struct pending_scope *
find_scope(struct loader *ld, const char *name, unsigned line, unsigned col)
{
	static const char *const taken[] = { "history", "levels", "pages" };
	struct pending_scope *s;

	for (size_t i = 0; i < ld->nscopes; i++) {
		if (strcmp(ld->scopes[i].def.name, name) == 0)
			return &ld->scopes[i];
	}
	if (ld->nscopes == MAX_SCOPES) {
		if (!ld->scopes_full)
			diag_error(ld->d, ld->path, line, col, "too many scopes (at most %d)", MAX_SCOPES);
		ld->scopes_full = 1;
		return NULL;
	}
	ld->scopes = xreallocarray(ld->scopes, ld->nscopes + 1, sizeof(*ld->scopes));
	s = &ld->scopes[ld->nscopes++];
	memset(s, 0, sizeof(*s));
	s->def.name = xstrdup(name);
	s->line = line;
	s->col = col;
	if (!valid_name(name)) {
		s->bad_name = 1;
		diag_error(ld->d, ld->path, line, col, "invalid scope name '%s' (expected 1 to %d "
			   "lowercase letters, digits or '-')", name, MAX_NAME);
		return s;
	}
	/* A scope gets the folder <scope>/ in the site: it must not land on one the site uses. */
	for (size_t i = 0; i < sizeof(taken) / sizeof(*taken); i++) {
		if (strcmp(name, taken[i]) == 0) {
			s->bad_name = 1;
			diag_error(ld->d, ld->path, line, col, "scope name '%s' clashes with the site's "
				   "'%s/' folder (choose another name)", name, name);
		}
	}
	if (is_year(name)) {
		s->bad_name = 1;
		diag_error(ld->d, ld->path, line, col, "scope name '%s' clashes with the site's year "
			   "folders (choose a name that is not a 4-digit year)", name);
	}
	return s;
}

/* Refuses a second value for a single-valued setting; records the first. */
static int
once(struct loader *ld, unsigned *seen, const char *name, const struct where *at)
{
	if (*seen)
		return diag_error(ld->d, ld->path, at->line, at->key_col, "'%s' is set twice (first on "
				  "line %u)", name, *seen);
	*seen = at->line ? at->line : 1;
	return 0;
}

static void
set_string(char **dst, const char *value)
{
	free(*dst);
	*dst = xstrdup(value);
}

/*
 * feed.id-host: the host that default feed ids are minted under (model_default_id). Ids must not
 * change when the site moves to another host, so a site that moves keeps its old host here, as
 * it was in site.url: a host that is not ASCII too, which ids already published hold. What would
 * end the tag URI's authority (RFC 4151 section 2: ',' and ':' after it) or is no part of a host
 * is refused.
 */
static void
id_host_setting(struct loader *ld, const char *name, const char *value, const struct where *at)
{
	size_t len = strlen(value);

	if (once(ld, &ld->id_host_line, name, at) < 0)
		return;
	if (len == 0 || len > 253 || strcspn(value, " \t,:/?#@[]") != len) {
		diag_error(ld->d, ld->path, at->line, at->value_col, "invalid feed.id-host '%s' (expected "
			   "a host name, such as threat.example.org)", value);
		return;
	}
	ld->c->id_host = lower_dup(value, len);
}

/*
 * Whether s can be site.language, the feeds' xml:lang and language: RFC 5646 section 2.1, subtags
 * of 1 to 8 letters and digits joined by single '-', the first of letters only, as XML Schema's
 * language type (which RFC 4287's schema gives xml:lang) also requires; 35 characters at most.
 */
static int
is_language_tag(const char *s)
{
	size_t n = strlen(s), len;

	if (n == 0 || n > 35)
		return 0;
	for (const char *p = s;; p += len + 1) {
		len = strcspn(p, "-");
		if (len < 1 || len > 8 ||
		    strspn(p, p == s ? "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") < len)
			return 0;
		if (!p[len])
			return 1;
	}
}

static void
site_setting(struct loader *ld, const char *name, const char *key, const char *value,
	     const struct where *at)
{
	struct config *c = ld->c;
	const char *why;

	if (strcmp(key, "title") == 0) {
		if (once(ld, &ld->title_line, name, at) == 0) {
			/* A quoted title of spaces alone shows nothing, as an empty one does. */
			if (is_blank_line(value, strlen(value)))
				diag_error(ld->d, ld->path, at->line, at->value_col, "empty site.title (expected "
					   "the site's name)");
			set_string(&c->title, value);
		}
	} else if (strcmp(key, "url") == 0) {
		if (once(ld, &ld->url_line, name, at) == 0) {
			if ((why = url_problem(value, 1)))
				diag_error(ld->d, ld->path, at->line, at->value_col, "invalid site.url '%s' (%s)",
					   value, why);
			else
				c->url = normalise_url(value);
		}
	} else if (strcmp(key, "description") == 0) {
		if (once(ld, &ld->description_line, name, at) == 0)
			set_string(&c->description, value);
	} else if (strcmp(key, "language") == 0) {
		if (once(ld, &ld->language_line, name, at) == 0) {
			if (!is_language_tag(value))
				diag_error(ld->d, ld->path, at->line, at->value_col, "invalid site.language '%s' "
					   "(expected a language tag such as en-GB)", value);
			else
				set_string(&c->language, value);
		}
	} else if (strcmp(key, "author") == 0) {
		if (once(ld, &ld->author_line, name, at) == 0)
			set_string(&c->author, value);
	} else {
		diag_warning(ld->d, ld->path, at->line, at->key_col, "unknown setting '%s' ignored "
			     "(expected site.title, url, description, language or author)", name);
	}
}

static void
number_setting(struct loader *ld, long *dst, unsigned *seen, const char *name, const char *value,
	       const struct where *at, long min, long max)
{
	if (once(ld, seen, name, at) < 0)
		return;
	if (parse_long(dst, value, min, max) < 0)
		diag_error(ld->d, ld->path, at->line, at->value_col, "invalid %s '%s' (expected a whole "
			   "number from %ld to %ld)", name, value, min, max);
}

static void
feed_setting(struct loader *ld, const char *name, const char *key, const char *value,
	     const struct where *at)
{
	if (strcmp(key, "entries") == 0)
		number_setting(ld, &ld->c->feed_entries, &ld->entries_line, name, value, at, 1, 10000);
	else if (strcmp(key, "id-host") == 0)
		id_host_setting(ld, name, value, at);
	else
		diag_warning(ld->d, ld->path, at->line, at->key_col, "unknown setting '%s' ignored "
			     "(expected feed.entries or id-host)", name);
}

static void
ping_setting(struct loader *ld, const char *name, const char *key, const char *value,
	     const struct where *at)
{
	struct config *c = ld->c;
	const char *why;
	char ***list = NULL;
	size_t *n = NULL;
	unsigned *lines = NULL;

	if (strcmp(key, "websub") == 0) {
		list = &c->websub;
		n = &c->nwebsub;
		lines = ld->websub_lines;
	} else if (strcmp(key, "xmlrpc") == 0) {
		list = &c->xmlrpc;
		n = &c->nxmlrpc;
		lines = ld->xmlrpc_lines;
	} else if (strcmp(key, "timeout") == 0) {
		number_setting(ld, &c->ping_timeout, &ld->timeout_line, name, value, at, 1, 300);
		return;
	} else if (strcmp(key, "retries") == 0) {
		number_setting(ld, &c->ping_retries, &ld->retries_line, name, value, at, 0, 10);
		return;
	} else {
		diag_warning(ld->d, ld->path, at->line, at->key_col, "unknown setting '%s' ignored "
			     "(expected ping.websub, xmlrpc, timeout or retries)", name);
		return;
	}
	if ((why = url_problem(value, 0))) {
		diag_error(ld->d, ld->path, at->line, at->value_col, "invalid %s '%s' (%s)", name, value,
			   why);
		return;
	}
	/*
	 * The same address twice would be pinged twice about every feed. Addresses are compared
	 * as written: they are sent as written too, and a hub may tell case in a path apart.
	 */
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i], value) == 0) {
			diag_warning(ld->d, ld->path, at->line, at->value_col, "%s '%s' given again (already "
				     "on line %u; pinged once)", name, value, lines[i]);
			return;
		}
	}
	if (*n == MAX_PINGS) {
		diag_error(ld->d, ld->path, at->line, at->key_col, "too many %s addresses (at most %d)",
			   name, MAX_PINGS);
		return;
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	lines[*n] = at->line;
	(*list)[(*n)++] = xstrdup(value);
}

static void
level_setting(struct loader *ld, const char *name, const char *sub, const char *key,
	      const char *value, const struct where *at)
{
	struct pending_level *l = find_level(ld, sub, at->line, at->key_col);
	long rank;

	if (!l)
		return;
	if (strcmp(key, "rank") == 0) {
		if (once(ld, &l->rank_line, name, at) < 0)
			return;
		if (parse_long(&rank, value, RANK_MIN, RANK_MAX) < 0) {
			diag_error(ld->d, ld->path, at->line, at->value_col, "invalid %s '%s' (expected a "
				   "whole number from %d to %d, higher is more severe)", name, value, RANK_MIN,
				   RANK_MAX);
			return;
		}
		l->def.rank = (int)rank;
		l->rank_col = at->value_col;
		l->has_rank = 1;
	} else if (strcmp(key, "title") == 0) {
		if (once(ld, &l->title_line, name, at) < 0)
			return;
		if (is_blank_line(value, strlen(value)))
			diag_error(ld->d, ld->path, at->line, at->value_col, "empty %s (remove it to use the "
				   "name upper-cased)", name);
		set_string(&l->def.title, value);
	} else if (strcmp(key, "summary") == 0) {
		if (once(ld, &l->summary_line, name, at) == 0)
			set_string(&l->def.summary, value);
	} else if (strcmp(key, "colour") == 0) {
		if (once(ld, &l->colour_line, name, at) < 0)
			return;
		if (!*value) {
			/* git-config syntax: an unquoted '#' starts a comment, leaving the value empty. */
			diag_error(ld->d, ld->path, at->line, at->value_col, "empty %s (write it in quotes, "
				   "colour = \"#c62828\": an unquoted '#' starts a comment)", name);
			return;
		}
		if (!valid_colour(value)) {
			diag_error(ld->d, ld->path, at->line, at->value_col, "invalid %s '%s' (expected "
				   "#rrggbb, e.g. #c62828)", name, value);
			return;
		}
		l->def.colour = lower_dup(value, strlen(value));
	} else {
		diag_warning(ld->d, ld->path, at->line, at->key_col, "unknown setting '%s' ignored "
			     "(expected level.<name>.rank, summary, colour or title)", name);
	}
}

static void
scope_setting(struct loader *ld, const char *name, const char *sub, const char *key,
	      const char *value, const struct where *at)
{
	struct pending_scope *s = find_scope(ld, sub, at->line, at->key_col);

	if (!s)
		return;
	if (strcmp(key, "title") == 0) {
		if (once(ld, &s->title_line, name, at) < 0)
			return;
		if (is_blank_line(value, strlen(value)))
			diag_error(ld->d, ld->path, at->line, at->value_col, "empty %s (remove it to use the "
				   "scope's name)", name);
		set_string(&s->def.title, value);
	} else {
		diag_warning(ld->d, ld->path, at->line, at->key_col, "unknown setting '%s' ignored "
			     "(expected scope.<name>.title)", name);
	}
}

/* One entry as libgit2 named it: "section.key" or "section.sub.key" (sub may hold dots). */
static void
apply_entry(struct loader *ld, const struct config_entry *e)
{
	const char *name = e->name, *first = strchr(name, '.'), *last = strrchr(name, '.');
	struct where at = scan_find(&ld->scan, name);
	unsigned bad_line, bad_col;
	char *section, *sub = NULL;
	const char *key, *why;

	if (!first) {
		diag_warning(ld->d, ld->path, at.line, at.key_col, "unknown setting '%s' ignored (expected "
			     "it under [site], [feed], [scope \"name\"], [level \"name\"] or [ping])", name);
		return;
	}
	/*
	 * The file passed text_check, but an escape in a value ("\\b") is read as the character it
	 * stands for, which may be one that XML 1.0 forbids: every value reaches a page or a feed.
	 * The setting still counts as given, so no "missing" error follows.
	 */
	if (ld->text_ok && text_check(e->value, strlen(e->value), &bad_line, &bad_col, &why) < 0)
		diag_error(ld->d, ld->path, at.line, at.value_col, "the value of '%s', once its escapes "
			   "are read: %s", name, why);
	section = xstrndup(name, (size_t)(first - name));
	key = last + 1;
	if (last != first)
		sub = xstrndup(first + 1, (size_t)(last - first - 1));

	if (strcmp(section, "site") == 0 && !sub)
		site_setting(ld, name, key, e->value, &at);
	else if (strcmp(section, "feed") == 0 && !sub)
		feed_setting(ld, name, key, e->value, &at);
	else if (strcmp(section, "ping") == 0 && !sub)
		ping_setting(ld, name, key, e->value, &at);
	else if (strcmp(section, "level") == 0 && sub)
		level_setting(ld, name, sub, key, e->value, &at);
	else if (strcmp(section, "scope") == 0 && sub)
		scope_setting(ld, name, sub, key, e->value, &at);
	else
		diag_warning(ld->d, ld->path, at.line, at.key_col, "unknown setting '%s' ignored (expected "
			     "site.*, feed.*, scope \"name\".*, level \"name\".* or ping.*)", name);
	free(section);
	free(sub);
}

static int
compare_levels(const void *a, const void *b)
{
	const struct level_def *x = a, *y = b;

	return (x->rank > y->rank) - (x->rank < y->rank);
}

static void
default_levels(struct config *c)
{
	c->levels = xcalloc(N_UK_LEVELS, sizeof(*c->levels));
	c->nlevels = N_UK_LEVELS;
	for (size_t i = 0; i < N_UK_LEVELS; i++) {
		struct level_def *l = &c->levels[i];

		l->name = xstrdup(uk_levels[i].name);
		l->title = upper_dup(uk_levels[i].name);
		l->rank = (int)i + 1;
		l->summary = xstrdup(uk_levels[i].summary);
		l->colour = xstrdup(uk_levels[i].colour);
		l->text_colour = xstrdup(text_colour_for(uk_levels[i].colour));
	}
}

/* Completes the declared levels (defaults, rank checks) and moves them into the config. */
static void
finish_levels(struct loader *ld)
{
	struct config *c = ld->c;

	for (size_t i = 0; i < ld->nlevels; i++) {
		struct pending_level *l = &ld->levels[i];

		if (!l->rank_line && !l->bad_name)
			diag_error(ld->d, ld->path, l->line, l->col, "level '%s' has no rank (expected rank = "
				   "a whole number, higher is more severe)", l->def.name);
		for (size_t j = 0; j < i && l->has_rank; j++) {
			if (ld->levels[j].has_rank && ld->levels[j].def.rank == l->def.rank) {
				diag_error(ld->d, ld->path, l->rank_line, l->rank_col, "duplicate rank %d for "
					   "level '%s' (level '%s' has it already)", l->def.rank, l->def.name,
					   ld->levels[j].def.name);
				break;
			}
		}
		if (!l->def.title)
			l->def.title = upper_dup(l->def.name);
		if (!l->def.summary)
			l->def.summary = xstrdup("");
		if (!l->def.colour) {
			const char *colour = FALLBACK_COLOUR;

			for (size_t k = 0; k < N_UK_LEVELS; k++) {
				if (strcmp(uk_levels[k].name, l->def.name) == 0)
					colour = uk_levels[k].colour;
			}
			l->def.colour = xstrdup(colour);
		}
		l->def.text_colour = xstrdup(text_colour_for(l->def.colour));
	}
	c->levels = xcalloc(ld->nlevels, sizeof(*c->levels));
	for (size_t i = 0; i < ld->nlevels; i++)
		c->levels[i] = ld->levels[i].def;
	c->nlevels = ld->nlevels;
	free(ld->levels);
	ld->levels = NULL;
	ld->nlevels = 0;
	qsort(c->levels, c->nlevels, sizeof(*c->levels), compare_levels);
}

static void
finish_scopes(struct loader *ld)
{
	struct config *c = ld->c;

	c->scopes = xcalloc(ld->nscopes, sizeof(*c->scopes));
	for (size_t i = 0; i < ld->nscopes; i++) {
		c->scopes[i] = ld->scopes[i].def;
		if (!c->scopes[i].title)
			c->scopes[i].title = xstrdup(c->scopes[i].name);
	}
	c->nscopes = ld->nscopes;
	free(ld->scopes);
	ld->scopes = NULL;
	ld->nscopes = 0;
}

/*
 * A carriage return alone ends a line for old Mac editors, but not for libgit2, which reads the
 * whole file as one line and finds no setting after the first header: said where it is.
 */
static int
check_lone_carriage_return(struct diag *d, const char *path, const char *data, size_t len)
{
	unsigned line, col;

	for (const char *cr = data; (cr = memchr(cr, '\r', len - (size_t)(cr - data))); cr++) {
		if (cr + 1 < data + len && cr[1] == '\n')
			continue;
		config_position(data, len, cr, &line, &col);
		return diag_error(d, path, line, col, "a line ends in a carriage return alone (expected "
				  "line endings of LF or CRLF: save the file with those)");
	}
	return 0;
}

/*
 * A value whose quote is never closed: libgit2 1.5 takes the rest of the line and goes on, git
 * refuses the file. An editor's forgotten '"' must not publish a value they did not mean.
 */
static void
check_open_quotes(struct diag *d, const char *path, const struct scan *s)
{
	for (size_t i = 0; i < s->nkeys; i++) {
		if (!s->keys[i].open_line)
			continue;
		diag_error(d, path, s->keys[i].open_line, s->keys[i].open_col, "unterminated quote in the "
			   "value of '%s' (expected a closing '\"' before the line ends)", s->keys[i].name);
	}
}

/* A value cut short by a comment that looks part of it (scan_value): warned about, at it. */
static void
check_cut_values(struct diag *d, const char *path, const struct scan *s)
{
	for (size_t i = 0; i < s->nkeys; i++) {
		const struct scan_key *k = &s->keys[i];

		if (k->cut_line)
			diag_warning(d, path, k->cut_line, k->cut_col, "'%s' is a comment, left out of "
				     "'%s' (put the whole value in quotes to keep it)", k->cut, k->name);
	}
}

int
config_load(struct config *out, const char *path, const char *data, size_t len,
	    const struct config_entries *entries, struct diag *d)
{
	struct loader ld = { .c = out, .d = d, .path = path };
	size_t errors_before = d->errors;
	unsigned line, col;
	const char *why;
	int lone_cr;

	memset(out, 0, sizeof(*out));
	out->language = xstrdup("en");
	out->description = xstrdup("");
	out->author = xstrdup("");
	out->feed_entries = 20;
	out->ping_timeout = 10;
	out->ping_retries = 3;

	/* Values reach HTML and XML: the text must be UTF-8 that XML 1.0 allows. */
	if (text_check(data, len, &line, &col, &why) < 0)
		diag_error(d, path, line, config_column(data, len, line, col), "%s", why);
	else
		ld.text_ok = 1;
	lone_cr = check_lone_carriage_return(d, path, data, len) < 0;
	scan_text(&ld.scan, data, len);
	/* With a lone CR libgit2 reads one long line: quotes there are not what the scan sees. */
	if (!lone_cr) {
		check_open_quotes(d, path, &ld.scan);
		check_cut_values(d, path, &ld.scan);
	}
	/* Declared sections first, in file order: an empty [scope "x"] still declares a scope. */
	for (size_t i = 0; i < ld.scan.nsections; i++) {
		const struct scan_section *s = &ld.scan.sections[i];

		if (s->sub && strcmp(s->section, "scope") == 0)
			find_scope(&ld, s->sub, s->line, s->col);
		else if (s->sub && strcmp(s->section, "level") == 0)
			find_level(&ld, s->sub, s->line, s->col);
	}
	for (size_t i = 0; i < entries->count; i++)
		apply_entry(&ld, &entries->items[i]);

	if (!ld.title_line)
		diag_error(d, path, 0, 0, "missing site.title (expected e.g. title = UK threat level, "
			   "under [site])");
	if (!ld.url_line)
		diag_error(d, path, 0, 0, "missing site.url (expected where site/ is published, e.g. "
			   "url = https://threat.example.org/, under [site])");
	if (ld.nlevels)
		finish_levels(&ld);
	else
		default_levels(out);
	finish_scopes(&ld);
	scan_release(&ld.scan);
	/*
	 * Placeholders for what was missing or wrong, so the caller can still check the content
	 * against the levels and scopes that did load and report those problems in the same run.
	 */
	if (!out->title)
		out->title = xstrdup("");
	if (!out->url)
		out->url = xstrdup("https://site.invalid/");
	return d->errors > errors_before ? -1 : 0;
}

const char *
config_url_host(const struct config *c, size_t *len)
{
	const char *host = strstr(c->url, "://") + 3;
	size_t hostlen = strcspn(host, ":/?#");
	const char *at = memchr(host, '@', hostlen);

	if (at) {
		hostlen -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	*len = hostlen;
	return host;
}

void
config_release(struct config *c)
{
	free(c->id_host);
	free(c->title);
	free(c->url);
	free(c->description);
	free(c->language);
	free(c->author);
	for (size_t i = 0; i < c->nlevels; i++) {
		free(c->levels[i].name);
		free(c->levels[i].title);
		free(c->levels[i].summary);
		free(c->levels[i].colour);
		free(c->levels[i].text_colour);
	}
	free(c->levels);
	for (size_t i = 0; i < c->nscopes; i++) {
		free(c->scopes[i].name);
		free(c->scopes[i].title);
	}
	free(c->scopes);
	for (size_t i = 0; i < c->nwebsub; i++)
		free(c->websub[i]);
	free(c->websub);
	for (size_t i = 0; i < c->nxmlrpc; i++)
		free(c->xmlrpc[i]);
	free(c->xmlrpc);
	memset(c, 0, sizeof(*c));
}

const struct level_def *
config_level(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nlevels; i++) {
		if (strcmp(c->levels[i].name, name) == 0)
			return &c->levels[i];
	}
	return NULL;
}

const struct scope_def *
config_scope(const struct config *c, const char *name)
{
	/* The unnamed scope has no definition of its own: it is represented by NULL. */
	if (!name)
		return NULL;
	for (size_t i = 0; i < c->nscopes; i++) {
		if (strcmp(c->scopes[i].name, name) == 0)
			return &c->scopes[i];
	}
	return NULL;
}

/* Appends the i-th of n names so that the whole reads "a, b, c or d". */
static int
list_add(struct buf *out, const char *name, size_t i, size_t n)
{
	if (i && buf_puts(out, i + 1 == n ? " or " : ", ") < 0)
		return -1;
	return buf_puts(out, name);
}

int
config_level_list(struct buf *out, const struct config *c)
{
	if (buf_grow(out, 0) < 0)
		return -1;
	for (size_t i = 0; i < c->nlevels; i++) {
		if (list_add(out, c->levels[i].name, i, c->nlevels) < 0)
			return -1;
	}
	return 0;
}

int
config_scope_list(struct buf *out, const struct config *c)
{
	if (buf_grow(out, 0) < 0)
		return -1;
	for (size_t i = 0; i < c->nscopes; i++) {
		if (list_add(out, c->scopes[i].name, i, c->nscopes) < 0)
			return -1;
	}
	return 0;
}
