/*
 * Unit tests of arena: where jansson's values live during a build. Its allocator is taken from
 * jansson once arena_begin has installed it, and called directly.
 */
#include <jansson.h>
#include <stdint.h>

#include "arena.h"
#include "harness.h"

static void
test_reuse(void)
{
	json_malloc_t m;
	json_free_t f;
	void *p, *q, *r, *s;

	arena_begin();
	json_get_alloc_funcs(&m, &f);

	p = m(256);
	f(p);
	ok(m(256) == p, "a freed 256-byte value is handed out again for the same size");
	q = m(128);
	f(q);
	ok(m(512) != q && m(128) == q, "... only for its own size");
	r = m(200);
	f(r);
	ok(m(200) != r, "a size with no reuse class is not reused");
	s = m(4096);
	ok(s && ((uintptr_t)s & 7) == 0, "a large value is 8-byte aligned");
	f(s);

	arena_scratch_begin();
	p = m(128);
	f(p);
	ok(m(128) == p, "in scratch space, a value freed there is reused there");
	q = m(256);
	f(q);
	arena_scratch_end();
	ok(m(256) != q, "a value freed in scratch space is not reused once it is emptied");

	/* The model's use: objects that grow their tables, all released by arena_end. */
	for (int i = 0; i < 1000; i++) {
		json_t *o = json_object();

		for (int k = 0; k < 24; k++) {
			char key[16];

			snprintf(key, sizeof(key), "key%d", k);
			json_object_set_new(o, key, json_integer(k));
		}
		if (i % 2)
			json_decref(o);
	}
	/* A string of 127 bytes takes a reused 128-byte value and holds its own bytes. */
	{
		char text[128];
		json_t *a, *b;

		memset(text, 'a', 127);
		text[127] = '\0';
		a = json_string(text);
		json_decref(a);
		text[0] = 'b';
		b = json_string(text);
		is_str(json_string_value(b), text, "a value handed out again holds what was put in it");
		json_decref(b);
	}
	arena_end();
	json_get_alloc_funcs(&m, &f);
	ok(m != NULL && f != NULL, "arena_end gives jansson its allocator back");
}

int
main(void)
{
	test_reuse();
	return tests_done();
}
