/*
 * template: a Mustache engine rendering jansson values.
 *
 * Hand-written because Debian packages no Mustache engine for C, and the site needs only the
 * specification's core (no lambdas, no inheritance). It follows the Mustache specification, whose
 * own test files tests/unit/test_template.c runs.
 *
 * A template is compiled once into a flat array of nodes: a section node records where its body
 * ends, so rendering thousands of pages walks the array and never re-parses. Delimiter changes and
 * standalone-line removal are settled at compile time; only partials are resolved at render time,
 * by name, so a partial may be added after the templates that use it and may recurse.
 */
#include "template.h"

#include <assert.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define MAX_DELIM 16                    /* bytes in a custom delimiter */
#define MAX_SOURCE ((size_t)16 << 20)   /* a template larger than this is a mistake */

enum node_kind { N_TEXT, N_ESCAPED, N_RAW, N_SECTION, N_INVERTED, N_PARTIAL };

struct node {
	enum node_kind kind;
	const char *s;       /* into template.src: the text, or the tag's name */
	size_t len;
	size_t end;          /* sections: index of the first node after the section's body */
	const char *indent;  /* standalone partials: the blanks before the tag; else NULL */
	size_t indent_len;
};

struct template {
	char *name;
	char *path;          /* for messages: "templates/NAME.mustache" or "built-in NAME.mustache" */
	char *src;           /* a private copy of the source; nodes point into it */
	size_t src_len;
	struct node *nodes;
	size_t n, cap;
};

struct template_set {
	struct template *t;
	size_t n;
	unsigned long max_steps;
};

static void
template_release(struct template *t)
{
	free(t->name);
	free(t->path);
	free(t->src);
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

struct template_set *
template_set_new(void)
{
	struct template_set *set = xcalloc(1, sizeof(*set));

	set->max_steps = TEMPLATE_MAX_STEPS;
	return set;
}

void
template_set_max_steps(struct template_set *set, unsigned long steps)
{
	set->max_steps = steps;
}

void
template_set_free(struct template_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		template_release(&set->t[i]);
	free(set->t);
	free(set);
}

static const struct template *
find_template(const struct template_set *set, const char *name, size_t len)
{
	for (size_t i = 0; i < set->n; i++)
		if (strlen(set->t[i].name) == len && memcmp(set->t[i].name, name, len) == 0)
			return &set->t[i];
	return NULL;
}

int
template_set_has(const struct template_set *set, const char *name)
{
	return find_template(set, name, strlen(name)) != NULL;
}

int
template_set_check_partials(const struct template_set *set, struct diag *d)
{
	int rc = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct template *t = &set->t[i];

		for (size_t k = 0; k < t->n; k++) {
			const struct node *n = &t->nodes[k];
			unsigned line, col;

			if (n->kind != N_PARTIAL || find_template(set, n->s, n->len))
				continue;
			text_position(t->src, t->src_len, (size_t)(n->s - t->src), &line, &col);
			rc = diag_error(d, t->path, line, col, "unknown partial '%.*s' (expected a "
					"template of that name: templates/%.*s.mustache or a built-in one)",
					(int)n->len, n->s, (int)n->len, n->s);
		}
	}
	return rc;
}

int
template_set_includes(const struct template_set *set, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < set->n; i++)
		for (size_t k = 0; k < set->t[i].n; k++) {
			const struct node *n = &set->t[i].nodes[k];

			if (n->kind == N_PARTIAL && n->len == len && memcmp(n->s, name, len) == 0)
				return 1;
		}
	return 0;
}

/* ---- Compiling ---- */

struct compiler {
	struct template *t;
	const char *path;
	struct diag *d;
	char open[MAX_DELIM + 1], close[MAX_DELIM + 1];
	size_t open_len, close_len;
	size_t sections[TEMPLATE_MAX_DEPTH];   /* node indices of the open sections */
	size_t section_at[TEMPLATE_MAX_DEPTH]; /* and where their tags start, for messages */
	size_t nsections;
};

static int
error_at(struct compiler *c, size_t offset, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int
error_at(struct compiler *c, size_t offset, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	unsigned line, col;
	va_list ap;

	text_position(c->t->src, c->t->src_len, offset, &line, &col);
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	diag_error(c->d, c->path, line, col, "%s", msg.ptr ? msg.ptr : "out of memory");
	buf_release(&msg);
	return -1;
}

static struct node *
add_node(struct template *t, enum node_kind kind, const char *s, size_t len)
{
	struct node *n;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->nodes = xreallocarray(t->nodes, t->cap, sizeof(*t->nodes));
	}
	n = &t->nodes[t->n++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->s = s;
	n->len = len;
	return n;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * {{=<% %>=}}: `s` is what lies between the two '=' signs. Two delimiters separated by whitespace;
 * neither may hold whitespace or '=' (the specification's rule, so that the tag stays parseable).
 */
static int
set_delimiters(struct compiler *c, const char *s, size_t len)
{
	const char *tok[2];
	size_t tok_len[2], i = 0;

	for (int k = 0; k < 2; k++) {
		while (i < len && (is_blank(s[i]) || s[i] == '\n' || s[i] == '\r'))
			i++;
		tok[k] = s + i;
		while (i < len && !is_blank(s[i]) && s[i] != '\n' && s[i] != '\r' && s[i] != '=')
			i++;
		tok_len[k] = (size_t)(s + i - tok[k]);
		if (tok_len[k] == 0 || tok_len[k] > MAX_DELIM)
			return -1;
	}
	while (i < len && (is_blank(s[i]) || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i != len)
		return -1;
	memcpy(c->open, tok[0], tok_len[0]);
	c->open[tok_len[0]] = '\0';
	c->open_len = tok_len[0];
	memcpy(c->close, tok[1], tok_len[1]);
	c->close[tok_len[1]] = '\0';
	c->close_len = tok_len[1];
	return 0;
}

/* Handles one tag whose sigil is `kind` and whose trimmed content is name[0..len). */
static int
compile_tag(struct compiler *c, char kind, size_t at, const char *name, size_t len,
	    const char *indent, size_t indent_len)
{
	struct template *t = c->t;
	struct node *n, *open;
	unsigned line, col;

	if (kind == '!')
		return 0;
	if (kind == '=') {
		if (set_delimiters(c, name, len) < 0)
			return error_at(c, at, "bad set-delimiter tag '%.*s' (expected two delimiters "
					"without spaces or '=', as in {{=<%% %%>=}})", (int)(len < 40 ? len : 40),
					name);
		return 0;
	}
	if (len == 0)
		return error_at(c, at, "empty tag name");
	switch (kind) {
	case '#':
	case '^':
		if (c->nsections == TEMPLATE_MAX_DEPTH)
			return error_at(c, at, "sections nested deeper than %d", TEMPLATE_MAX_DEPTH);
		c->section_at[c->nsections] = at;
		c->sections[c->nsections++] = t->n;
		add_node(t, kind == '#' ? N_SECTION : N_INVERTED, name, len);
		return 0;
	case '/':
		if (c->nsections == 0)
			return error_at(c, at, "closing tag '%.*s' without an open section", (int)len, name);
		open = &t->nodes[c->sections[c->nsections - 1]];
		if (open->len != len || memcmp(open->s, name, len) != 0) {
			text_position(t->src, t->src_len, c->section_at[c->nsections - 1], &line, &col);
			return error_at(c, at, "closing tag '%.*s' does not match the open section '%.*s' "
					"(opened at %u:%u)", (int)len, name, (int)open->len, open->s, line, col);
		}
		open->end = t->n;
		c->nsections--;
		return 0;
	case '>':
		n = add_node(t, N_PARTIAL, name, len);
		n->indent = indent;
		n->indent_len = indent_len;
		return 0;
	case '{':
	case '&':
		add_node(t, N_RAW, name, len);
		return 0;
	default:
		add_node(t, N_ESCAPED, name, len);
		return 0;
	}
}

static int
compile(struct compiler *c)
{
	struct template *t = c->t;
	const char *src = t->src, *hit;
	size_t len = t->src_len, pos = 0, text_start = 0;

	while (pos < len && (hit = memmem(src + pos, len - pos, c->open, c->open_len))) {
		size_t at = (size_t)(hit - src), body = at + c->open_len, end, after, line_start, text_end;
		char kind = body < len ? src[body] : '\0', needle[MAX_DELIM + 2];
		size_t needle_len = 0, name_b, name_e;
		int standalone = 0;

		if (kind && strchr("#^/!>&{=", kind))
			body++;
		else
			kind = '\0';
		/* A triple mustache ends with '}' and a delimiter change with '=' before the delimiter. */
		if (kind == '{' || kind == '=')
			needle[needle_len++] = kind == '{' ? '}' : '=';
		memcpy(needle + needle_len, c->close, c->close_len);
		needle_len += c->close_len;
		hit = memmem(src + body, len - body, needle, needle_len);
		if (!hit)
			return error_at(c, at, "unclosed tag '%.*s' (expected '%.*s')",
					(int)(body - at), src + at, (int)needle_len, needle);
		end = (size_t)(hit - src);
		after = end + needle_len;
		for (name_b = body; name_b < end && is_blank(src[name_b]); name_b++)
			;
		for (name_e = end; name_e > name_b && is_blank(src[name_e - 1]); name_e--)
			;

		/*
		 * Standalone lines: a tag other than an interpolation alone on its line, with only
		 * blanks around it, takes the whole line (blanks and line ending) with it.
		 */
		line_start = at;
		while (line_start > text_start && is_blank(src[line_start - 1]))
			line_start--;
		text_end = at;
		if (kind && kind != '&' && kind != '{' && (line_start == 0 || src[line_start - 1] == '\n')) {
			size_t e = after;

			while (e < len && is_blank(src[e]))
				e++;
			if (e == len || src[e] == '\n' || (src[e] == '\r' && e + 1 < len && src[e + 1] == '\n')) {
				standalone = 1;
				text_end = line_start;
				after = e == len ? e : e + (src[e] == '\r' ? 2 : 1);
			}
		}
		if (text_end > text_start)
			add_node(t, N_TEXT, src + text_start, text_end - text_start);
		if (compile_tag(c, kind, at, src + name_b, name_e - name_b,
				standalone ? src + line_start : NULL, at - line_start) < 0)
			return -1;
		pos = text_start = after;
	}
	if (text_start < len)
		add_node(t, N_TEXT, src + text_start, len - text_start);
	if (c->nsections) {
		const struct node *open = &t->nodes[c->sections[c->nsections - 1]];

		return error_at(c, c->section_at[c->nsections - 1],
				"unclosed section '%.*s' (expected {{/%.*s}})", (int)open->len, open->s,
				(int)open->len, open->s);
	}
	return 0;
}

int
template_set_add(struct template_set *set, const char *name, const char *path, const char *src,
		 size_t len, struct diag *d)
{
	struct template t = { 0 };
	struct compiler c = { .t = &t, .path = path, .d = d, .open = "{{", .close = "}}",
			      .open_len = 2, .close_len = 2 };
	size_t i;

	if (len > MAX_SOURCE)
		return diag_error(d, path, 0, 0, "template larger than %zu MiB", MAX_SOURCE >> 20);
	t.name = xstrdup(name);
	t.path = xstrdup(path);
	t.src = xstrndup(src, len);
	t.src_len = len;
	if (compile(&c) < 0) {
		template_release(&t);
		return -1;
	}
	for (i = 0; i < set->n && strcmp(set->t[i].name, name) != 0; i++)
		;
	if (i < set->n) {
		template_release(&set->t[i]);
	} else {
		set->t = xreallocarray(set->t, set->n + 1, sizeof(*set->t));
		set->n++;
	}
	set->t[i] = t;
	return 0;
}

/* ---- Rendering ---- */

struct render {
	struct buf *out;
	const struct template_set *set;
	json_t **stack;         /* stack[depth - 1] is searched first */
	size_t depth;
	unsigned level;         /* sections and partials entered, bound by TEMPLATE_MAX_DEPTH */
	unsigned long steps;    /* nodes visited and bodies entered, bound by the set's max_steps */
	const struct template *failed_in;  /* where a limit was reached: the innermost tag */
	const struct node *failed_at;
	struct buf indent;      /* the standalone partials' indentation, accumulated */
	int line_start;         /* the output is at the start of a line of a partial's text */
};

/*
 * Indentation belongs to the partial's own lines, not to the data interpolated into it (spec
 * "Standalone Indentation"), so only text nodes move to a new line.
 */
static int
put_indent(struct render *r)
{
	if (r->line_start && r->indent.len && buf_add(r->out, r->indent.ptr, r->indent.len) < 0)
		return -1;
	r->line_start = 0;
	return 0;
}

static int
put_text(struct render *r, const char *s, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(s, '\n', n);
		size_t k = nl ? (size_t)(nl - s) + 1 : n;

		if (put_indent(r) < 0 || buf_add(r->out, s, k) < 0)
			return -1;
		r->line_start = nl != NULL;
		s += k;
		n -= k;
	}
	return 0;
}

static int
put_escaped(struct buf *out, const char *s, size_t n)
{
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		const char *ent;

		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		if (buf_add(out, s + done, i - done) < 0 || buf_puts(out, ent) < 0)
			return -1;
		done = i + 1;
	}
	return buf_add(out, s + done, n - done);
}

/* The shortest of %.15g..%.17g that reads back as the same double: 1.21 prints "1.21". */
static void
format_real(char *tmp, size_t size, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, size, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			return;
	}
}

static int
put_value(struct render *r, const json_t *v, int escape)
{
	char tmp[64];
	const char *s = tmp;
	size_t n;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER:
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		n = strlen(tmp);
		break;
	case JSON_REAL:
		format_real(tmp, sizeof(tmp), json_real_value(v));
		n = strlen(tmp);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		s = json_is_true(v) ? "true" : "false";
		n = strlen(s);
		break;
	default:   /* null, objects and arrays print nothing */
		return 0;
	}
	if (n == 0)
		return 0;
	if (put_indent(r) < 0)
		return -1;
	return escape ? put_escaped(r->out, s, n) : buf_add(r->out, s, n);
}

/*
 * "." is the innermost context. A dotted name finds its first part up the stack, then descends
 * without searching the stack again (spec "Dotted Names - Broken Chains").
 */
static json_t *
lookup(const struct render *r, const char *name, size_t len)
{
	const char *dot;
	size_t part;
	json_t *v = NULL;

	if (len == 1 && name[0] == '.')
		return r->depth ? r->stack[r->depth - 1] : NULL;
	dot = memchr(name, '.', len);
	part = dot ? (size_t)(dot - name) : len;
	for (size_t i = r->depth; i-- > 0 && !v;)
		v = template_member(r->stack[i], name, part);
	while (v && dot) {
		name = dot + 1;
		len -= part + 1;
		dot = memchr(name, '.', len);
		part = dot ? (size_t)(dot - name) : len;
		v = template_member(v, name, part);
	}
	return v;
}

/* The specification's falsey values: false, null and the empty list (and a missing name). */
static int
truthy(const json_t *v)
{
	return v && !json_is_false(v) && !json_is_null(v) &&
	       !(json_is_array(v) && json_array_size(v) == 0);
}

static int render_nodes(struct render *r, const struct template *t, size_t from, size_t to);

/* Renders a section's body with v pushed as the innermost context. */
static int
render_with(struct render *r, const struct template *t, size_t i, json_t *v)
{
	int rc;

	r->stack[r->depth++] = v;
	rc = render_nodes(r, t, i + 1, t->nodes[i].end);
	r->depth--;
	return rc;
}

static int
render_partial(struct render *r, const struct node *n)
{
	const struct template *p = find_template(r->set, n->s, n->len);
	size_t indent_len = r->indent.len;
	struct buf saved;
	int rc;

	if (!p)
		return 0;
	if (n->indent) {
		if (buf_add(&r->indent, n->indent, n->indent_len) < 0)
			return -1;
		r->line_start = 1;
		rc = render_nodes(r, p, 0, p->n);
		r->indent.len = indent_len;
		r->indent.ptr[indent_len] = '\0';
		return rc;
	}
	/*
	 * An inline partial's own lines are not indented, even inside an indented partial, and the
	 * text after it continues the line it started on.
	 */
	if (put_indent(r) < 0)
		return -1;
	saved = r->indent;
	r->indent = (struct buf)BUF_INIT;
	rc = render_nodes(r, p, 0, p->n);
	buf_release(&r->indent);
	r->indent = saved;
	r->line_start = 0;
	return rc;
}

/* Whether t is one of the binary's own templates, by its path ("built-in NAME.mustache"). */
static int
is_built_in(const struct template *t)
{
	return strncmp(t->path, "built-in ", 9) == 0;
}

static int
render_nodes(struct render *r, const struct template *t, size_t from, size_t to)
{
	int rc = 0;

	/* The template itself is level 0; each section or partial within it adds one. */
	if (r->level > TEMPLATE_MAX_DEPTH)
		return TEMPLATE_TOO_DEEP;
	/* Each pass over a body counts, so sections with empty bodies nested over a list count too. */
	if (++r->steps > r->set->max_steps)
		return TEMPLATE_TOO_LONG;
	r->level++;
	for (size_t i = from; i < to && rc == 0; i++) {
		const struct node *n = &t->nodes[i];
		json_t *v;

		if (++r->steps > r->set->max_steps) {
			rc = TEMPLATE_TOO_LONG;
			if (!r->failed_in) {
				r->failed_in = t;
				r->failed_at = n;
			}
			break;
		}
		switch (n->kind) {
		case N_TEXT:
			rc = put_text(r, n->s, n->len);
			break;
		case N_ESCAPED:
		case N_RAW:
			v = lookup(r, n->s, n->len);
			rc = v ? put_value(r, v, n->kind == N_ESCAPED) : 0;
			break;
		case N_SECTION:
			v = lookup(r, n->s, n->len);
			if (json_is_array(v)) {
				for (size_t k = 0; k < json_array_size(v) && rc == 0; k++)
					rc = render_with(r, t, i, json_array_get(v, k));
			} else if (truthy(v)) {
				rc = render_with(r, t, i, v);
			}
			i = n->end - 1;
			break;
		case N_INVERTED:
			if (!truthy(lookup(r, n->s, n->len)))
				rc = render_nodes(r, t, i + 1, n->end);
			i = n->end - 1;
			break;
		case N_PARTIAL:
			rc = render_partial(r, n);
			break;
		}
		/*
		 * The innermost tag, unless a loop of partials goes through the site's own templates:
		 * then the innermost of those, which an editor can change (template.h's paths).
		 */
		if ((rc == TEMPLATE_TOO_DEEP || rc == TEMPLATE_TOO_LONG) &&
		    (!r->failed_in || (rc == TEMPLATE_TOO_DEEP && n->kind == N_PARTIAL &&
				       is_built_in(r->failed_in) && !is_built_in(t)))) {
			r->failed_in = t;
			r->failed_at = n;
		}
	}
	r->level--;
	return rc;
}

/* template_render, and where a limit was reached. */
static int
render_template(struct render *r, const char *name, json_t *const *stack, size_t depth)
{
	const struct template *t = find_template(r->set, name, strlen(name));
	int rc;

	if (!t || depth > TEMPLATE_MAX_DEPTH)
		return -1;
	r->depth = depth;
	/* Each level pushes at most one context, so the stack never outgrows this. */
	r->stack = xcalloc(depth + TEMPLATE_MAX_DEPTH + 1, sizeof(*r->stack));
	if (depth)
		memcpy(r->stack, stack, depth * sizeof(*stack));
	rc = render_nodes(r, t, 0, t->n);
	/* Leave out a valid, NUL-terminated (if partial) buffer either way. */
	if (rc == 0 && buf_grow(r->out, 0) < 0)
		rc = -1;
	free(r->stack);
	buf_release(&r->indent);
	return rc;
}

int
template_render(struct buf *out, const struct template_set *set, const char *name,
		json_t *const *stack, size_t depth)
{
	struct render r = { .out = out, .set = set, .indent = BUF_INIT };

	return render_template(&r, name, stack, depth);
}

int
template_render_page(struct buf *out, const struct template_set *set, const char *name,
		     json_t *const *stack, size_t depth, const char *page, struct diag *d)
{
	struct render r = { .out = out, .set = set, .indent = BUF_INIT };
	int rc = render_template(&r, name, stack, depth);
	unsigned line = 0, col = 0;
	const char *path = NULL;

	if (r.failed_in) {
		path = r.failed_in->path;
		text_position(r.failed_in->src, r.failed_in->src_len,
			      (size_t)(r.failed_at->s - r.failed_in->src), &line, &col);
	}
	if (rc == TEMPLATE_TOO_DEEP)
		diag_error(d, path, line, col, "sections and partials nested deeper than %d while "
			   "rendering '%s' (does a partial include itself?)", TEMPLATE_MAX_DEPTH, page);
	else if (rc == TEMPLATE_TOO_LONG)
		diag_error(d, path, line, col, "more than %lu steps while rendering '%s' (are "
			   "sections nested over the same long list?)", set->max_steps, page);
	else if (rc < 0)
		diag_error(d, NULL, 0, 0, "cannot render '%s' with template '%s'", page, name);
	return rc;
}

/* ---- What a template can see ---- */

/*
 * A page is rendered again only when something its template can reach changed, so the analysis
 * must over-approximate: every name segment a tag uses, attributed to every section open around
 * it (lookups walk outward through all of them) and to the page's own and the root contexts.
 */
#define DEPS_MAX_VISITS 100000

struct deps_key {
	char *key;           /* a section's last name segment or a dotted name's parent segment */
	char **names;        /* what can be looked up on a value bound under that key, sorted */
	size_t n, cap;
	int all;             /* "." renders the value itself: every member counts */
};

struct template_deps {
	struct deps_key global;
	struct deps_key *keys;
	size_t nkeys, cap;
	int all;             /* the analysis gave up (recursive partials): everything counts */
	size_t visits;
};

static void
deps_add_name(struct deps_key *k, const char *s, size_t len)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 16;
		k->names = xreallocarray(k->names, k->cap, sizeof(*k->names));
	}
	k->names[k->n++] = xstrndup(s, len);
}

static struct deps_key *
deps_key(struct template_deps *d, const char *s, size_t len)
{
	for (size_t i = 0; i < d->nkeys; i++)
		if (strlen(d->keys[i].key) == len && memcmp(d->keys[i].key, s, len) == 0)
			return &d->keys[i];
	if (d->nkeys == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->keys = xreallocarray(d->keys, d->cap, sizeof(*d->keys));
	}
	memset(&d->keys[d->nkeys], 0, sizeof(*d->keys));
	d->keys[d->nkeys].key = xstrndup(s, len);
	return &d->keys[d->nkeys++];
}

/* Records a tag's name; returns the key of its last segment (what a section binds). */
static struct deps_key *
deps_name(struct template_deps *d, const char *s, size_t len, char **open, size_t nopen)
{
	const char *dot = memchr(s, '.', len);
	size_t part = dot ? (size_t)(dot - s) : len;
	struct deps_key *k;

	if (len == 1 && s[0] == '.') {
		if (nopen)
			deps_key(d, open[nopen - 1], strlen(open[nopen - 1]))->all = 1;
		else
			d->global.all = 1;
		return NULL;
	}
	deps_add_name(&d->global, s, part);
	for (size_t i = 0; i < nopen; i++)
		deps_add_name(deps_key(d, open[i], strlen(open[i])), s, part);
	k = deps_key(d, s, part);
	while (dot) {
		s = dot + 1;
		len -= part + 1;
		dot = memchr(s, '.', len);
		part = dot ? (size_t)(dot - s) : len;
		deps_add_name(k, s, part);
		k = deps_key(d, s, part);
	}
	return k;
}

static void
deps_walk(struct template_deps *d, const struct template_set *set, const struct template *t,
	  size_t from, size_t to, char **open, size_t nopen, unsigned level)
{
	if (level > TEMPLATE_MAX_DEPTH || ++d->visits > DEPS_MAX_VISITS) {
		d->all = 1;
		return;
	}
	for (size_t i = from; i < to && !d->all; i++) {
		const struct node *n = &t->nodes[i];
		const struct template *p;
		struct deps_key *k;

		switch (n->kind) {
		case N_TEXT:
			break;
		case N_ESCAPED:
		case N_RAW:
		case N_INVERTED:
			deps_name(d, n->s, n->len, open, nopen);
			break;
		case N_SECTION:
			k = deps_name(d, n->s, n->len, open, nopen);
			if (k)
				open[nopen] = k->key;
			else
				d->all = 1;
			/* Keys may move as the list grows: the stack holds their names. */
			deps_walk(d, set, t, i + 1, n->end, open, nopen + 1, level + 1);
			i = n->end - 1;
			break;
		case N_PARTIAL:
			p = find_template(set, n->s, n->len);
			if (p)
				deps_walk(d, set, p, 0, p->n, open, nopen, level + 1);
			break;
		}
	}
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
deps_sort(struct deps_key *k)
{
	size_t kept = 0;

	if (k->n)
		qsort(k->names, k->n, sizeof(*k->names), compare_names);
	for (size_t i = 0; i < k->n; i++) {
		if (kept && strcmp(k->names[kept - 1], k->names[i]) == 0)
			free(k->names[i]);
		else
			k->names[kept++] = k->names[i];
	}
	k->n = kept;
}

static int
compare_keys(const void *a, const void *b)
{
	return strcmp(((const struct deps_key *)a)->key, ((const struct deps_key *)b)->key);
}

struct template_deps *
template_deps_new(const struct template_set *set, const char *name)
{
	struct template_deps *d = xcalloc(1, sizeof(*d));
	const struct template *t = find_template(set, name, strlen(name));
	char *open[TEMPLATE_MAX_DEPTH + 2];

	if (!t)
		d->all = 1;
	else
		deps_walk(d, set, t, 0, t->n, open, 0, 0);
	deps_sort(&d->global);
	for (size_t i = 0; i < d->nkeys; i++)
		deps_sort(&d->keys[i]);
	if (d->nkeys)
		qsort(d->keys, d->nkeys, sizeof(*d->keys), compare_keys);
	return d;
}

static void
deps_key_release(struct deps_key *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->names[i]);
	free(k->names);
	free(k->key);
}

void
template_deps_free(struct template_deps *d)
{
	if (!d)
		return;
	deps_key_release(&d->global);
	for (size_t i = 0; i < d->nkeys; i++)
		deps_key_release(&d->keys[i]);
	free(d->keys);
	free(d);
}

static const struct deps_key *
deps_find(const struct template_deps *d, const char *key)
{
	static const struct deps_key none = { NULL, NULL, 0, 0, 0 };
	size_t lo = 0, hi = d->nkeys;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(key, d->keys[mid].key);

		if (c == 0)
			return &d->keys[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &none;
}

static int
put_member(struct buf *out, const struct template_deps *d, json_t *obj, const char *key,
	   json_t *v, const struct template_deps_hooks *h, unsigned depth);

/* tag, then n in decimal, then end: printf is most of the cost of a digest otherwise. */
static int
put_count(struct buf *out, char tag, uintmax_t n, char end)
{
	char tmp[32];
	size_t i = sizeof(tmp);

	tmp[--i] = end;
	do
		tmp[--i] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	tmp[--i] = tag;
	return buf_add(out, tmp + i, sizeof(tmp) - i);
}

static int
put_bytes(struct buf *out, char tag, const char *s, size_t len)
{
	return put_count(out, tag, len, ':') < 0 || buf_add(out, s, len) < 0 ? -1 : 0;
}

/* An unambiguous serialisation: type tag, then lengths before variable-length data. */
static int
put_dep(struct buf *out, const struct template_deps *d, const struct deps_key *k, json_t *v,
	const struct template_deps_hooks *h, unsigned depth)
{
	const char *key;
	json_t *m;
	size_t i;

	if (depth > TEMPLATE_MAX_DEPTH || out->len > TEMPLATE_DEPS_MAX)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (buf_putc(out, '{') < 0)
			return -1;
		if (d->all || k->all) {
			/* Every member a lookup can find: its own, then those "" lends it (template.h). */
			json_t *lent = json_object_get(v, "");
			const char **keys;
			size_t n = 0;
			int rc = 0;

			if (!json_is_object(lent))
				lent = NULL;
			keys = xcalloc(json_object_size(v) + json_object_size(lent) + 1, sizeof(*keys));
			json_object_foreach(v, key, m)
				if (*key || !lent)
					keys[n++] = key;
			if (lent)
				json_object_foreach(lent, key, m)
					if (!json_object_get(v, key))
						keys[n++] = key;
			qsort(keys, n, sizeof(*keys), compare_names);
			for (i = 0; i < n && rc == 0; i++)
				rc = put_member(out, d, v, keys[i],
						template_member(v, keys[i], strlen(keys[i])), h, depth);
			free(keys);
			if (rc < 0)
				return -1;
		} else {
			/*
			 * A name the object lacks may still have a stand-in: an entry's HTML, made only
			 * when its page is rendered, is in the digest as its blob id all the same.
			 */
			for (i = 0; i < k->n; i++) {
				m = template_member(v, k->names[i], strlen(k->names[i]));
				if (!m && !(h && h->stand_in && h->stand_in(h->arg, v, k->names[i])))
					continue;
				if (put_member(out, d, v, k->names[i], m, h, depth) < 0)
					return -1;
			}
		}
		return buf_putc(out, '}');
	case JSON_ARRAY:
		if (put_count(out, '[', json_array_size(v), ';') < 0)
			return -1;
		json_array_foreach(v, i, m)
			if (put_dep(out, d, k, m, h, depth + 1) < 0)
				return -1;
		return buf_putc(out, ']');
	case JSON_STRING:
		return put_bytes(out, 's', json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		if (json_integer_value(v) < 0)
			return put_count(out, 'n', (uintmax_t)-(json_integer_value(v) + 1), ';');
		return put_count(out, 'i', (uintmax_t)json_integer_value(v), ';');
	case JSON_REAL:
		return buf_printf(out, "r%.17g;", json_real_value(v)) < 0 ? -1 : 0;
	case JSON_TRUE:
		return buf_putc(out, 'T');
	case JSON_FALSE:
		return buf_putc(out, 'F');
	case JSON_NULL:
		return buf_putc(out, 'N');
	}
	return -1;
}

static int
put_member(struct buf *out, const struct template_deps *d, json_t *obj, const char *key,
	   json_t *v, const struct template_deps_hooks *h, unsigned depth)
{
	json_t *stand_in = h && h->stand_in ? h->stand_in(h->arg, obj, key) : NULL;

	if (put_bytes(out, 'k', key, strlen(key)) < 0)
		return -1;
	if (stand_in)
		return buf_putc(out, '=') < 0 ? -1 : put_dep(out, d, deps_find(d, key), stand_in, h,
							      depth + 1);
	return put_dep(out, d, deps_find(d, key), v, h, depth + 1);
}

int
template_deps_put(struct buf *out, const struct template_deps *d, json_t *context,
		  const struct template_deps_hooks *h)
{
	return put_dep(out, d, &d->global, context, h, 0);
}

int
template_deps_reaches(const struct template_deps *d, const char *name, const char *except_key)
{
	if (d->all || d->global.all)
		return 1;
	for (size_t i = 0; i < d->nkeys; i++) {
		const struct deps_key *k = &d->keys[i];

		if (except_key && strcmp(k->key, except_key) == 0)
			continue;
		if (k->all)
			return 1;
		for (size_t j = 0; j < k->n; j++)
			if (strcmp(k->names[j], name) == 0)
				return 1;
	}
	return 0;
}
