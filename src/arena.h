/*
 * arena: where jansson's values live during a build.
 *
 * The model of a big site is some 400,000 small jansson allocations, all freed together at the
 * end of a build: handing them out from large blocks and freeing the blocks wholesale saves a
 * fifth of an incremental build (glibc's free and consolidation were that much of it). Small
 * values are never freed one by one, but those of 128, 256 and 512 bytes (the hash tables that
 * objects outgrow) are handed out again; large ones (an entry's HTML) come from malloc and go back
 * to it when jansson frees them, so memory does not grow with the site's bodies.
 *
 * What a page makes for itself (its context) is small and dead once the page is rendered; between
 * arena_scratch_begin and arena_scratch_end a thread's small values come from a scratch block of
 * its own that the end empties, so 10,000 pages do not leave 10,000 contexts behind.
 *
 * Any thread may allocate. Without arena_begin, jansson uses malloc and the scratch calls do
 * nothing.
 */
#ifndef THREATFEED_ARENA_H
#define THREATFEED_ARENA_H

/* jansson allocates from the arena until arena_end, which frees every value: none may be used after. */
void arena_begin(void);
void arena_end(void);

/*
 * Small values this thread makes until arena_scratch_end are freed by it: nothing made meanwhile
 * may be kept (decref the page's context before the end). Calls do not nest.
 */
void arena_scratch_begin(void);
void arena_scratch_end(void);

/* A thread that used scratch space calls this before it exits; the build's own thread need not. */
void arena_thread_done(void);

#endif
