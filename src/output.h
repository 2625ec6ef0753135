/*
 * output: the site folder, written all at once or not at all.
 *
 * Files are staged in memory with output_add; nothing touches the disk before output_commit. Then
 * each staged file whose bytes differ from what is on disk is written to a temporary file in its
 * own folder, and once every temporary file is written and synced, each is renamed over its target
 * (the files that are new first, so that no file links to one not there yet) and the folders are
 * synced (invariant 4). A file whose bytes are unchanged is not rewritten, so
 * its mtime, and the ETag and Last-Modified that web servers derive from it, stay (invariant 5).
 * A failure before the renames removes the temporary files and leaves the folder exactly as it was.
 *
 * Files a previous build wrote but this one does not (a renamed announcement, say) are removed:
 * output_commit keeps a list of what it wrote in ".threatfeed-files" in the site folder.
 */
#ifndef THREATFEED_OUTPUT_H
#define THREATFEED_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

struct output;

struct output_stats {
	size_t staged;      /* files in the site */
	size_t written;     /* files created or replaced */
	size_t unchanged;   /* files left alone because their bytes were the same */
	size_t removed;     /* stale files removed */
};

/* dir is created at commit time if missing. Never NULL. */
struct output *output_new(const char *dir);
void output_free(struct output *o);
/* With a stream, output_commit lists each file it writes ("wrote PATH") or removes ("removed PATH"). */
void output_set_log(struct output *o, FILE *log);

/*
 * Stages relpath (e.g. "2014/raised-to-severe/index.html"; '/'-separated, no "..", no leading '/')
 * with a copy of data[0..len). Staging the same path twice is a programming error (assert).
 */
int output_add(struct output *o, const char *relpath, const void *data, size_t len);
/* Like output_add but takes ownership of data (malloc'ed), which it frees. */
int output_add_owned(struct output *o, const char *relpath, char *data, size_t len);
/*
 * Stages relpath as kept: the caller knows the file on disk already holds the right bytes (the
 * build cache said so), so the commit neither reads nor writes it; it counts as unchanged and
 * stays in the manifest. Anything in doubt must be staged with output_add instead.
 */
int output_keep(struct output *o, const char *relpath);
/* A note kept with a staged file (the build cache records each page's input digest); -1 if absent. */
int output_set_tag(struct output *o, const char *relpath, const char *tag);
const char *output_get_tag(const struct output *o, const char *relpath);
/* How a file stat'ed when the build left it: what the build cache records (cache.h). */
struct output_file_state {
	uint64_t ino, size;
	struct timespec mtime, ctime;
};
/*
 * After a successful output_commit: 0 and *state when the commit knows how relpath stats now
 * without a stat (it wrote the file itself, in a site folder built whole); else -1.
 */
int output_file_state(const struct output *o, const char *relpath, struct output_file_state *state);
/* The staged bytes for relpath, or NULL (also for a kept file; tests and the pinger use this). */
const char *output_get(const struct output *o, const char *relpath, size_t *len);

/*
 * From now on (nothing staged yet), step 1 of the commit runs while files are added, in writer
 * threads of its own: each file is compared and, when changed, written to its temporary file, and
 * its bytes are freed (output_get no longer has them). The site folder is made at once (mkdir -p),
 * or, when it does not exist yet, the new folder beside it that it is built in. Problems are
 * reported through d by output_commit, which then fails; output_free without a commit removes what
 * was written.
 */
void output_spill(struct output *o, struct diag *d);

/*
 * Lists each temporary file made in the site folder in the file list_path before making it, so
 * that a build killed before renaming them leaves a list of what to remove; the list goes once
 * they are all renamed or removed. Call before output_spill.
 */
void output_track_temporaries(struct output *o, const char *list_path);
/*
 * Removes the temporary files that a list left at list_path by a killed build names (only those
 * it made, never through a link), then the list, logging each to log when not NULL. Only for a
 * caller that holds the build lock: no build that wrote the list may still be running.
 */
void output_remove_listed_temporaries(const char *list_path, FILE *log);

/* The manifest's name in the site folder. */
#define OUTPUT_MANIFEST ".threatfeed-files"

/*
 * Calls fn(arg, relpath) for each staged file, in staging order or, after output_commit, by path
 * (strcmp); returns the first nonzero result.
 */
int output_foreach(const struct output *o, int (*fn)(void *arg, const char *relpath), void *arg);

/* Writes as described above. I/O errors are reported through d (with strerror) and return -1. */
int output_commit(struct output *o, struct output_stats *stats, struct diag *d);

#endif
