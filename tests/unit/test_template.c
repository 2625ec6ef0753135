/*
 * Unit tests of template: the Mustache specification's own tests (tests/mustache-spec/, every one
 * must pass), compile errors with their exact messages, the context stack, numbers, escaping
 * and the render bounds.
 */
#include <stdlib.h>

#include "harness.h"
#include "template.h"

#define SPEC_TESTS 136

/* Prints s on one "# " line, with control characters written as C escapes. */
static void
show(const char *label, const char *s)
{
	printf("#   %s: \"", label);
	for (; s && *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\r')
			fputs("\\r", stdout);
		else if (*s == '\t')
			fputs("\\t", stdout);
		else
			putchar(*s);
	}
	puts("\"");
}

static void
run_spec_test(const char *file, json_t *test)
{
	const char *name = json_string_value(json_object_get(test, "name"));
	const char *tpl = json_string_value(json_object_get(test, "template"));
	const char *want = json_string_value(json_object_get(test, "expected"));
	json_t *data = json_object_get(test, "data"), *partials = json_object_get(test, "partials");
	struct template_set *set = template_set_new();
	struct buf out = BUF_INIT;
	struct diag d;
	const char *key;
	json_t *value;
	int rc;

	diag_init(&d, stdout);
	rc = template_set_add(set, "spec test", "spec", tpl, strlen(tpl), &d);
	json_object_foreach(partials, key, value) {
		const char *p = json_string_value(value);

		if (template_set_add(set, key, key, p, strlen(p), &d) < 0)
			rc = -1;
	}
	if (rc == 0)
		rc = template_render(&out, set, "spec test", &data, 1);
	if (!ok(rc == 0 && out.ptr && strcmp(out.ptr, want) == 0, "%s: %s", file, name)) {
		show("template", tpl);
		show("expected", want);
		show("got", rc == 0 ? out.ptr : "(render failed)");
	}
	buf_release(&out);
	template_set_free(set);
}

static void
test_spec(void)
{
	static const char *const files[] = {
		"comments", "delimiters", "interpolation", "inverted", "partials", "sections",
	};
	size_t count = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128];
		json_error_t err;
		json_t *spec, *tests, *test;
		size_t k;

		snprintf(path, sizeof(path), "../mustache-spec/%s.json", files[i]);
		spec = json_load_file(path, 0, &err);
		if (!spec) {
			ok(0, "reads %s", path);
			printf("#   %s:%d: %s\n", path, err.line, err.text);
			continue;
		}
		tests = json_object_get(spec, "tests");
		json_array_foreach(tests, k, test) {
			run_spec_test(files[i], test);
			count++;
		}
		json_decref(spec);
	}
	ok(count == SPEC_TESTS, "ran all %d specification tests (got %zu)", SPEC_TESTS, count);
}

/* Compiles src as "t" and checks that it fails with exactly `want` (one diagnostic line). */
static void
compile_fails(const char *what, const char *src, const char *want)
{
	struct template_set *set = template_set_new();
	char *msg = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&msg, &size);
	struct diag d;
	int rc;

	diag_init(&d, f);
	rc = template_set_add(set, "t", "templates/t.mustache", src, strlen(src), &d);
	fclose(f);
	ok(rc < 0 && d.errors == 1 && !template_set_has(set, "t"), "refuses %s", what);
	if (!is_str(msg, want, "  with the message"))
		show("template", src);
	free(msg);
	template_set_free(set);
}

#define AT "threatfeed: templates/t.mustache:"
#define AT_PAGE "threatfeed: templates/page.mustache:"
#define BAD_DELIM "(expected two delimiters without spaces or '=', as in {{=<% %>=}})\n"

static void
test_errors(void)
{
	char deep[TEMPLATE_MAX_DEPTH * 12 + 16];
	struct buf b = BUF_INIT;

	compile_fails("an unclosed tag", "a {{name", AT "1:3: unclosed tag '{{' (expected '}}')\n");
	compile_fails("an unclosed triple mustache", "a\n {{{name}}",
		      AT "2:2: unclosed tag '{{{' (expected '}}}')\n");
	compile_fails("a set-delimiter tag without its closing '='", "{{=<% %>}}",
		      AT "1:1: unclosed tag '{{=' (expected '=}}')\n");
	compile_fails("an unclosed comment", "{{! never closed",
		      AT "1:1: unclosed tag '{{!' (expected '}}')\n");
	compile_fails("an unclosed section", "x\n\n  {{#entries}}\n{{title}}\n",
		      AT "3:3: unclosed section 'entries' (expected {{/entries}})\n");
	compile_fails("a close tag that does not match", "{{#a}}{{#b}}{{/a}}{{/b}}",
		      AT "1:13: closing tag 'a' does not match the open section 'b' (opened at 1:7)\n");
	compile_fails("a close tag without an open section", "text\n{{/entries}}",
		      AT "2:1: closing tag 'entries' without an open section\n");
	compile_fails("a set-delimiter tag with one delimiter", "{{=<%=}}",
		      AT "1:1: bad set-delimiter tag '<%' " BAD_DELIM);
	compile_fails("a set-delimiter tag with three", "{{=<% %> [ =}}",
		      AT "1:1: bad set-delimiter tag '<% %> [' " BAD_DELIM);
	compile_fails("an empty set-delimiter tag", "{{= =}}", AT "1:1: bad set-delimiter tag '' " BAD_DELIM);
	compile_fails("a mismatch under custom delimiters", "{{=<% %>=}}<%#a%><%/b%>",
		      AT "1:18: closing tag 'b' does not match the open section 'a' (opened at 1:12)\n");
	compile_fails("an unclosed tag under custom delimiters", "{{=<% %>=}}\n<% a",
		      AT "2:1: unclosed tag '<%' (expected '%>')\n");
	compile_fails("an empty name", "a {{ }} b", AT "1:3: empty tag name\n");
	compile_fails("an empty section name", "{{#}}{{/}}", AT "1:1: empty tag name\n");

	for (int i = 0; i <= TEMPLATE_MAX_DEPTH; i++)
		buf_puts(&b, "{{#a}}");
	snprintf(deep, sizeof(deep), AT "1:%d: sections nested deeper than %d\n", TEMPLATE_MAX_DEPTH * 6 + 1,
		 TEMPLATE_MAX_DEPTH);
	compile_fails("sections nested too deep", b.ptr, deep);
	buf_release(&b);
}

/* Renders src (compiled as "t") against stack[0..depth) and compares. */
static void
renders(const char *src, json_t *const *stack, size_t depth, const char *want, const char *what)
{
	struct template_set *set = template_set_new();
	struct buf out = BUF_INIT;
	struct diag d;
	int rc;

	diag_init(&d, stdout);
	rc = template_set_add(set, "t", "t", src, strlen(src), &d);
	if (rc == 0)
		rc = template_render(&out, set, "t", stack, depth);
	is_str(rc == 0 ? out.ptr : NULL, want, what);
	buf_release(&out);
	template_set_free(set);
}

static void
test_stack(void)
{
	json_t *root = json_pack("{s:s, s:s, s:{s:s}}", "a", "root a", "b", "root b", "site", "title",
				 "Threat level");
	json_t *page = json_pack("{s:s, s:{s:s}}", "a", "page a", "entry", "level", "severe");
	json_t *stack[2] = { root, page };

	renders("{{a}} / {{b}}", stack, 2, "page a / root b", "the innermost context is searched first");
	renders("{{a}} / {{b}}", stack, 1, "root a / root b", "depth 1 sees only the root");
	renders("{{site.title}}: {{entry.level}}", stack, 2, "Threat level: severe",
		"dotted names find their first part anywhere on the stack");
	renders("{{#entry}}{{level}} {{a}} {{site.title}}{{/entry}}", stack, 2,
		"severe page a Threat level", "a section pushes onto the caller's stack");
	renders("{{entry.a}}|{{#entry}}{{.}}{{/entry}}", stack, 2, "|",
		"a dotted name does not search the stack again; an object prints nothing");
	renders("[{{missing}}]", NULL, 0, "[]", "an empty stack renders names as empty");
	json_decref(root);
	json_decref(page);
}

static void
test_values(void)
{
	json_t *data = json_pack("{s:s, s:i, s:f, s:f, s:f, s:f, s:b, s:b, s:s, s:i, s:[], s:{}, s:n}",
				 "html", "<a href=\"x\">Tom & Jerry's</a>", "int", -42, "whole", 2.0,
				 "tenth", 0.1, "big", 1e300, "third", 1.0 / 3, "yes", 1, "no", 0, "empty", "",
				 "zero", 0, "list", "obj", "null");

	renders("{{html}}", &data, 1, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;",
		"{{name}} escapes & < > \" '");
	renders("{{{html}}}|{{& html}}", &data, 1,
		"<a href=\"x\">Tom & Jerry's</a>|<a href=\"x\">Tom & Jerry's</a>", "{{{ }}} and {{& }} do not");
	renders("{{int}} {{whole}} {{tenth}} {{big}} {{third}}", &data, 1,
		"-42 2 0.1 1e+300 0.3333333333333333", "numbers print in their shortest exact form");
	renders("{{yes}} {{no}} [{{null}}]", &data, 1, "true false []", "booleans and null");
	renders("{{#empty}}E{{/empty}}{{#zero}}Z{{/zero}}{{#obj}}O{{/obj}}{{#list}}L{{/list}}{{#no}}N{{/no}}"
		"{{#null}}U{{/null}}{{#nothing}}M{{/nothing}}", &data, 1, "EZO",
		"only false, null, empty lists and missing names are falsey");
	renders("{{^empty}}E{{/empty}}{{^list}}L{{/list}}{{^no}}N{{/no}}{{^nothing}}M{{/nothing}}", &data, 1,
		"LNM", "inverted sections are their complement");
	json_decref(data);
}

static void
test_set(void)
{
	struct template_set *set = template_set_new();
	struct buf a = BUF_INIT, b = BUF_INIT;
	json_t *data = json_pack("{s:[{s:s},{s:s}], s:s}", "entries", "title", "Raised", "title", "Lowered",
				 "site", "UK");
	char *msg = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&msg, &size);
	struct diag d;
	const char *page = "<h1>{{site}}</h1>\n<ul>\n  {{#entries}}\n  {{> row}}\n  {{/entries}}\n</ul>\n";
	const char *row = "<li>{{title}}</li>\n";
	const char *empty = "{{#entries}}{{#entries}}{{/entries}}{{/entries}}";
	const char *nested = "{{#entries}}{{#entries}}{{#entries}}{{#entries}}x"
			     "{{/entries}}{{/entries}}{{/entries}}{{/entries}}";

	diag_init(&d, f);
	ok(template_set_add(set, "page", "page", page, strlen(page), &d) == 0 &&
	   template_set_add(set, "row", "row", row, strlen(row), &d) == 0, "compiles a page and a partial");
	ok(template_set_has(set, "page") && template_set_has(set, "row") && !template_set_has(set, "rows"),
	   "template_set_has");
	ok(template_render(&a, set, "page", &data, 1) == 0 && template_render(&b, set, "page", &data, 1) == 0,
	   "renders twice");
	is_str(a.ptr, "<h1>UK</h1>\n<ul>\n  <li>Raised</li>\n  <li>Lowered</li>\n</ul>\n",
	       "standalone tags vanish and the partial takes the tag's indentation");
	is_str(b.ptr, a.ptr, "a compiled template renders the same twice");

	ok(template_set_add(set, "row", "row", "{{#x}}", 6, &d) < 0, "a bad replacement fails");
	buf_reset(&b);
	ok(template_render(&b, set, "page", &data, 1) == 0 && strcmp(a.ptr, b.ptr) == 0,
	   "and leaves the set unchanged");
	ok(template_set_add(set, "row", "row", "{{title}};", 10, &d) == 0, "a good one replaces");
	buf_reset(&b);
	ok(template_render(&b, set, "page", &data, 1) == 0 &&
	   strcmp(b.ptr, "<h1>UK</h1>\n<ul>\n  Raised;  Lowered;</ul>\n") == 0, "the new partial is used");

	buf_reset(&b);
	ok(template_render(&b, set, "nonesuch", &data, 1) < 0, "a missing template fails");
	ok(template_set_add(set, "self", "self", "x{{>self}}", 10, &d) == 0,
	   "a self-recursive partial compiles");
	buf_reset(&b);
	ok(template_render(&b, set, "self", &data, 1) == TEMPLATE_TOO_DEEP,
	   "but rendering stops at TEMPLATE_MAX_DEPTH, and says so");

	/*
	 * Two entries, sections nested four deep over them: 1 + 2 + 4 + 8 sections and 16 texts
	 * visited, and 1 + 2 + 4 + 8 + 16 bodies entered (the template's own first).
	 */
	ok(template_set_add(set, "nested", "nested", nested, strlen(nested), &d) == 0,
	   "sections nested over one list compile");
	buf_reset(&b);
	template_set_max_steps(set, 62);
	ok(template_render(&b, set, "nested", &data, 1) == 0 && b.len == 16,
	   "a render within its steps succeeds");
	template_set_max_steps(set, 61);
	buf_reset(&b);
	ok(template_render(&b, set, "nested", &data, 1) == TEMPLATE_TOO_LONG,
	   "one step more than the set allows fails, and says why");
	/* Empty bodies make no nodes; their passes still count: 1 + 2 sections, 1 + 2 + 4 bodies. */
	ok(template_set_add(set, "empty", "empty", empty, strlen(empty), &d) == 0,
	   "sections with empty bodies compile");
	template_set_max_steps(set, 10);
	buf_reset(&b);
	ok(template_render(&b, set, "empty", &data, 1) == 0, "empty bodies within the steps succeed");
	template_set_max_steps(set, 9);
	ok(template_render(&b, set, "empty", &data, 1) == TEMPLATE_TOO_LONG,
	   "and each pass over an empty body is a step");
	template_set_max_steps(set, TEMPLATE_MAX_STEPS);
	fclose(f);
	is_str(msg, "threatfeed: row:1:1: unclosed section 'x' (expected {{/x}})\n", "one message in all");

	free(msg);
	buf_release(&a);
	buf_release(&b);
	json_decref(data);
	template_set_free(set);
}

static void
test_indentation(void)
{
	struct template_set *set = template_set_new();
	struct buf out = BUF_INIT;
	json_t *data = json_pack("{s:s}", "v", "1\n2");
	struct diag d;
	const char *outer = "<div>\n  {{> inner}}\n</div>\n";
	const char *inner = "<p>\n  {{> leaf}}\n</p>\n";
	const char *leaf = "{{v}}|{{>word}}|\nend\n";

	diag_init(&d, stdout);
	template_set_add(set, "outer", "outer", outer, strlen(outer), &d);
	template_set_add(set, "inner", "inner", inner, strlen(inner), &d);
	template_set_add(set, "leaf", "leaf", leaf, strlen(leaf), &d);
	template_set_add(set, "word", "word", "a\nb", 3, &d);
	ok(template_render(&out, set, "outer", &data, 1) == 0, "renders nested standalone partials");
	is_str(out.ptr, "<div>\n  <p>\n    1\n2|a\nb|\n    end\n  </p>\n</div>\n",
	       "indentation accumulates, but not into data or inline partials");
	buf_release(&out);
	json_decref(data);
	template_set_free(set);
}

/* A site's set is complete before any page: a partial no template of it answers is a typo. */
static void
test_partials_known(void)
{
	struct template_set *set = template_set_new();
	const char *page = "<body>\n  {{> header}}\n{{#a}}{{>  heade }}{{/a}}\n{{> footer}}\n";
	char *msg = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&msg, &size);
	struct diag d;

	diag_init(&d, f);
	template_set_add(set, "page", "templates/page.mustache", page, strlen(page), &d);
	template_set_add(set, "header", "built-in header.mustache", "<h1>", 4, &d);
	ok(template_set_check_partials(set, &d) < 0, "a partial the set lacks is reported");
	fflush(f);
	is_str(msg, AT_PAGE "3:12: unknown partial 'heade' (expected a template of that name: "
	       "templates/heade.mustache or a built-in one)\n" AT_PAGE "4:5: unknown partial 'footer' "
	       "(expected a template of that name: templates/footer.mustache or a built-in one)\n",
	       "  each one, where its name is");
	ok(template_set_includes(set, "header") && template_set_includes(set, "heade") &&
	   !template_set_includes(set, "head") && !template_set_includes(set, "page"),
	   "template_set_includes knows which names are partials");
	template_set_add(set, "heade", "templates/heade.mustache", "", 0, &d);
	template_set_add(set, "footer", "built-in footer.mustache", "{{> header}}", 12, &d);
	ok(template_set_check_partials(set, &d) == 0 && d.errors == 2,
	   "a set whose partials are all there passes");
	fclose(f);
	free(msg);
	template_set_free(set);
}

int
main(void)
{
	test_spec();
	test_errors();
	test_stack();
	test_values();
	test_set();
	test_indentation();
	test_partials_known();
	return tests_done();
}
