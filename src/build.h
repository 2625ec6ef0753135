/*
 * build: one run of `threatfeed build` or `threatfeed check`, from repository to site folder.
 *
 * Reads the snapshot (a commit's tree by default), loads the settings, templates and content,
 * builds the model and renders every file in memory; only when no error was reported anywhere does
 * it hand the files to output_commit (invariant 4). `check` stops before writing.
 */
#ifndef THREATFEED_BUILD_H
#define THREATFEED_BUILD_H

#include "repo.h"
#include "util.h"

#define SETTINGS_FILE "threatfeed.conf"

struct build_options {
	const char *repo_path;          /* -C; NULL: search upward from the current directory */
	enum repo_snapshot snapshot;
	const char *ref;                /* --ref; NULL: HEAD */
	const char *out_dir;            /* -o; NULL: "site" inside the repository */
	int write;                      /* 0 for check: validate and render, write nothing */
	int dump_model;                 /* print the site model as JSON on stdout instead of writing */
	int verbose;                    /* list each file written */
	int quiet;                      /* no summary line */
};

/* Returns 0, or -1 when anything was reported through d (content, settings or I/O). */
int build_run(const struct build_options *opt, struct diag *d);

#endif
