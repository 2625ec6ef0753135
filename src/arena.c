#include "arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARENA_BLOCK ((size_t)1 << 20)
#define SCRATCH_BLOCK ((size_t)64 << 10)
#define ARENA_LARGE ((size_t)256)

/* jansson's values hold pointers, 64-bit integers and doubles: 8-byte alignment is enough. */
#define ARENA_ALIGN sizeof(uint64_t)

struct block {
	struct block *next;
	size_t used, size;
	uint64_t data[];
};

/* Before each value: whether it is large (malloc'ed on its own, freed when jansson frees it). */
union header {
	uint64_t large;
};

/* Large values are listed, so that arena_end frees the ones still in use. */
struct large {
	struct large *prev, *next;
	uint64_t align[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *blocks;            /* every thread's lasting blocks (lock) */
static struct large *larges;            /* (lock) */
static int active;
static json_malloc_t saved_malloc;
static json_free_t saved_free;

static _Thread_local struct block *current;  /* this thread's newest lasting block */
static _Thread_local struct block *scratch;  /* this thread's scratch blocks, newest first */
static _Thread_local int in_scratch;

static struct block *
new_block(size_t size)
{
	struct block *b = malloc(sizeof(*b) + size);

	if (b) {
		b->used = 0;
		b->size = size;
		b->next = NULL;
	}
	return b;
}

static void *
arena_malloc(size_t size)
{
	size_t need = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN + sizeof(union header);
	struct block *b = in_scratch ? scratch : current;
	union header *h;

	if (need < size)
		return NULL;
	if (size >= ARENA_LARGE) {
		struct large *l = malloc(sizeof(*l) + need);

		if (!l)
			return NULL;
		pthread_mutex_lock(&lock);
		l->prev = NULL;
		l->next = larges;
		if (larges)
			larges->prev = l;
		larges = l;
		pthread_mutex_unlock(&lock);
		h = (union header *)l->align;
		h->large = 1;
		return h + 1;
	}
	if (!b || b->size - b->used < need) {
		b = new_block(in_scratch ? SCRATCH_BLOCK : ARENA_BLOCK);
		if (!b)
			return NULL;
		if (in_scratch) {
			b->next = scratch;
			scratch = b;
		} else {
			pthread_mutex_lock(&lock);
			b->next = blocks;
			blocks = b;
			pthread_mutex_unlock(&lock);
			current = b;
		}
	}
	h = (union header *)((char *)b->data + b->used);
	b->used += need;
	h->large = 0;
	return h + 1;
}

static void
arena_free(void *p)
{
	union header *h = p;
	struct large *l;

	if (!p || !h[-1].large)
		return;
	l = (struct large *)((char *)(h - 1) - offsetof(struct large, align));
	pthread_mutex_lock(&lock);
	if (l->prev)
		l->prev->next = l->next;
	else
		larges = l->next;
	if (l->next)
		l->next->prev = l->prev;
	pthread_mutex_unlock(&lock);
	free(l);
}

void
arena_begin(void)
{
	json_get_alloc_funcs(&saved_malloc, &saved_free);
	json_set_alloc_funcs(arena_malloc, arena_free);
	active = 1;
}

void
arena_end(void)
{
	if (!active)
		return;
	json_set_alloc_funcs(saved_malloc, saved_free);
	active = 0;
	arena_thread_done();
	while (larges) {
		struct large *next = larges->next;

		free(larges);
		larges = next;
	}
	while (blocks) {
		struct block *next = blocks->next;

		free(blocks);
		blocks = next;
	}
}

void
arena_scratch_begin(void)
{
	if (active)
		in_scratch = 1;
}

void
arena_scratch_end(void)
{
	if (!in_scratch)
		return;
	in_scratch = 0;
	/* The oldest block stays for the next page; a page that needed more gives the rest back. */
	while (scratch && scratch->next) {
		struct block *next = scratch->next;

		free(scratch);
		scratch = next;
	}
	if (scratch)
		scratch->used = 0;
}

void
arena_thread_done(void)
{
	in_scratch = 0;
	while (scratch) {
		struct block *next = scratch->next;

		free(scratch);
		scratch = next;
	}
	current = NULL;
}
