/*
 * build: one run of `threatfeed build` or `threatfeed check`, from repository to site folder.
 *
 * Reads the snapshot (a commit's tree by default), loads the settings, templates and content,
 * builds the model and renders every file in memory; only when no error was reported anywhere does
 * it hand the files to output_commit (invariant 4). `check` stops before writing.
 */
#ifndef THREATFEED_BUILD_H
#define THREATFEED_BUILD_H

#include "config.h"
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
	int ping;                       /* build --ping: ping once the site is written (ping.h) */
	int ping_dry_run;               /* ping --dry-run: print what would be sent, send nothing */
};

/* build_run's result when an I/O error came after files of the site were replaced or removed. */
#define BUILD_PARTLY_WRITTEN (-2)

/*
 * Returns 0, or -1 when anything was reported through d (content, settings or I/O), or
 * BUILD_PARTLY_WRITTEN when that happened once the site had begun to change: renaming, removing
 * stale files or writing the manifest failed after some files took their new bytes. Those stay,
 * and the next build that succeeds completes the site.
 * A run that writes (opt->write) first takes an exclusive lock, <git dir>/threatfeed/build.lock,
 * waiting for any other writing run of the same repository, and only then resolves the ref: two
 * pushes never interleave their writes, and the last build to run builds the newest tip.
 */
int build_run(const struct build_options *opt, struct diag *d);
/*
 * With opt->ping, build_run pings (ping_site) once the new files are in place and the lock is
 * released; each endpoint that failed after its retries is reported through d and counted in
 * d->errors while build_run still returns 0: the site itself is fine.
 *
 * build_ping is `threatfeed ping`: it loads the settings and the model of the snapshot as a build
 * does, renders nothing, and pings about the feed files already in the site folder. It returns -1
 * (nothing sent) when that fails, else 0 with failed endpoints counted in d->errors.
 */
int build_ping(const struct build_options *opt, struct diag *d);

/*
 * Loads threatfeed.conf from src (as a build does) into *cfg. Returns -1 with the problems
 * reported through d; *cfg is then zeroed when the file was missing or unreadable, else filled
 * with placeholders as config_load says. Release with config_release either way.
 */
int build_load_config(struct config *cfg, const struct source_set *src, struct diag *d);

#endif
