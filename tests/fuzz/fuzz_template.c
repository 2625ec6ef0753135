/*
 * Mustache templates: compile the input, then render it against a small fixed context shaped like
 * the site model (strings that need escaping, numbers, true, false, null, empty values, nested
 * objects, a list), with two fixed partials, one of which recurses without end.
 *
 * The input is added under the name " ", which no {{> name}} tag can reach (tag names are trimmed
 * and may not be empty): a template that calls itself twice ("{{>t}}{{>t}}") would otherwise take
 * 2^64 renders, as the depth cap bounds nesting but not the total work; templates are the site's
 * own, so that is a known limit, not a finding to rediscover. For the same reason the lists hold
 * one item each: nested sections over a list of two would multiply the same way.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "template.h"
#include "util.h"

static const char context_json[] =
	"{\"site\": {\"title\": \"Threat <level> & \\\"feeds\\\" 'now'\", \"url\": \"https://example.org/\"},"
	" \"level\": {\"name\": \"severe\", \"rank\": 4, \"ratio\": 1.21, \"big\": 1e300},"
	" \"list\": [{\"name\": \"a\", \"n\": -1}], \"words\": [\"x\"], \"t\": true, \"f\": false,"
	" \"z\": null, \"e\": [], \"s\": \"\", \"zero\": 0, \"o\": {\"a\": {\"b\": \"c\"}}}";

static const char partial_p[] = "({{name}}{{#list}}[{{n}}]{{/list}}{{{site.title}}})\n";
static const char partial_self[] = "{{>self}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template_set *set = NULL;
	struct buf out = BUF_INIT;
	json_t *stack[2] = { NULL, NULL };
	json_error_t err;
	struct diag d;
	FILE *null;

	if (!(null = fopen("/dev/null", "w")))
		return 0;
	diag_init(&d, null);
	set = template_set_new();
	stack[0] = json_loads(context_json, 0, &err);
	stack[1] = json_pack("{s:s, s:s}", "title", "Page & co", "root", "../");
	assert(stack[0] && stack[1]);
	if (template_set_add(set, "p", "p.mustache", partial_p, strlen(partial_p), &d) < 0 ||
	    template_set_add(set, "self", "self.mustache", partial_self, strlen(partial_self), &d) < 0)
		assert(!"the fixed partials compile");
	if (template_set_add(set, " ", "fuzz.mustache", (const char *)data, size, &d) == 0) {
		assert(template_set_has(set, " "));
		if (template_render(&out, set, " ", stack, 2) == 0)
			assert(out.ptr && out.ptr[out.len] == '\0');
	} else {
		assert(d.errors > 0 && !template_set_has(set, " "));
	}
	buf_release(&out);
	json_decref(stack[0]);
	json_decref(stack[1]);
	template_set_free(set);
	fclose(null);
	return 0;
}
