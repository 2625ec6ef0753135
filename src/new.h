/*
 * new: `threatfeed new LEVEL`, a new announcement file with complete front matter.
 *
 * The settings are read from the work tree (the editor's checkout, committed or not), so a level
 * or scope just added to threatfeed.conf can be used at once. The file is
 * content/levels/YYYY-MM-DD[-SCOPE]-LEVEL.md (the day in the date's own offset); it is created
 * with O_EXCL and never replaces anything. Its front matter carries an explicit `id`, fixed now,
 * so that correcting the date or renaming the file later never changes the entry's feed id
 * (invariant 7). The title is left out unless given: the build derives it ("raised to SEVERE")
 * from the history as it is when published, which `new` cannot know.
 */
#ifndef THREATFEED_NEW_H
#define THREATFEED_NEW_H

#include "util.h"

struct new_options {
	const char *repo_path;          /* -C; NULL: search upward from the current directory */
	const char *level;              /* required */
	const char *scope;              /* --scope; NULL: the only scope, or none */
	const char *title;              /* --title; NULL: derived at build time */
	const struct timestamp *date;   /* --date, already parsed; NULL: now, in the local offset */
	int edit;                       /* --edit: open $VISUAL / $EDITOR (else vi) on the new file */
};

/*
 * Writes the file and prints its path on stdout (relative to the current directory when the
 * file lies under it). Returns 0; -1 with every problem reported through d: settings with
 * errors, an unknown level or scope (the message lists the valid ones), a file that already
 * exists, I/O, or an editor that failed (the file is kept then).
 */
int new_run(const struct new_options *opt, struct diag *d);

/*
 * Appends value to out as a YAML scalar that reads back as exactly value: plain when it is made
 * of letters, digits and . _ : / , + - only, starts with a letter or digit and does not end with
 * ':', else double-quoted with \ " and control characters escaped (YAML 1.1 section 4.6.8). For
 * tests.
 */
int new_yaml_scalar(struct buf *out, const char *value);

#endif
