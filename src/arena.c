#include "arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * A lasting block is one huge page (x86-64's 2 MiB), and the kernel is asked to back it with one:
 * the model of 10,000 announcements fills some twenty of them, and faulting them in 4 KiB at a
 * time cost a build that adds one announcement a seventh of its time.
 */
#define ARENA_BLOCK_BYTES ((size_t)2 << 20)
#define ARENA_BLOCK (ARENA_BLOCK_BYTES - sizeof(struct block))
#define SCRATCH_BLOCK ((size_t)64 << 10)
#define ARENA_LARGE ((size_t)1024)
/*
 * Sizes whose freed values are handed out again: jansson's hash tables (16 bytes a bucket) and
 * arrays (8 a slot) grow by doubling, each time freeing the table before, and every entry object
 * of the model grows its table to 32 buckets. Without reuse the tables outgrown would be lost
 * until the end of the build; with malloc they were a locked allocation each.
 */
#define REUSE_MIN 128
#define REUSE_CLASSES 3 /* 128, 256 and 512 bytes */

/* jansson's values hold pointers, 64-bit integers and doubles: 8-byte alignment is enough. */
#define ARENA_ALIGN sizeof(uint64_t)

struct block {
	struct block *next;
	size_t used, size;
	uint64_t data[];
};

/*
 * Before each value: whether it is large (malloc'ed on its own, freed when jansson frees it), and
 * for a small one its reuse class + 1, or 0 when its size has none.
 */
union header {
	struct {
		uint32_t large;
		uint32_t reuse;
	} is;
	uint64_t align;
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
/*
 * Values freed by this thread, by reuse class: [0] outside scratch space, [1] inside it (emptied
 * with it). Each free value holds the next one's address.
 */
static _Thread_local void *reusable[2][REUSE_CLASSES];

/* The reuse class of a request of size bytes, or -1. */
static int
reuse_class(size_t size)
{
	for (int k = 0; k < REUSE_CLASSES; k++)
		if (size == (size_t)REUSE_MIN << k)
			return k;
	return -1;
}

static struct block *
new_block(size_t size)
{
	struct block *b;

	if (size == ARENA_BLOCK) {
		/* Aligned, so that the kernel can back it with one huge page (a hint it may ignore). */
		b = aligned_alloc(ARENA_BLOCK_BYTES, ARENA_BLOCK_BYTES);
		if (b)
			madvise(b, ARENA_BLOCK_BYTES, MADV_HUGEPAGE);
	} else {
		b = malloc(sizeof(*b) + size);
	}
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
	int k = reuse_class(size);

	if (need < size)
		return NULL;
	if (k >= 0 && reusable[in_scratch][k]) {
		void *p = reusable[in_scratch][k];

		memcpy(&reusable[in_scratch][k], p, sizeof(void *));
		return p;
	}
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
		h->is.large = 1;
		h->is.reuse = 0;
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
	h->is.large = 0;
	h->is.reuse = (uint32_t)(k + 1);
	return h + 1;
}

static void
arena_free(void *p)
{
	union header *h = p;
	struct large *l;

	if (!p)
		return;
	if (!h[-1].is.large) {
		/* A value freed in scratch space may come from it: it is reused only there. */
		if (h[-1].is.reuse) {
			void **list = &reusable[in_scratch][h[-1].is.reuse - 1];

			memcpy(p, list, sizeof(void *));
			*list = p;
		}
		return;
	}
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
	memset(reusable[1], 0, sizeof(reusable[1]));
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
	memset(reusable, 0, sizeof(reusable));
	while (scratch) {
		struct block *next = scratch->next;

		free(scratch);
		scratch = next;
	}
	current = NULL;
}
