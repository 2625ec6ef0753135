/*
 * hooks: `threatfeed hooks install`, the Git hooks that make "commit and push" the whole of
 * publishing, and that keep bad content off the public site.
 *
 * In an editor's checkout (a repository with a work tree):
 *   pre-commit    `threatfeed check --staged`: a commit whose staged content would not build is
 *                 refused, with every path:line: message.
 * In the bare repository on the web host:
 *   pre-receive   `threatfeed check --ref NEW` for the published branch: a push that would not
 *                 build is refused (the ref is not updated) and the pusher sees every message in
 *                 `git push`'s output. Deleting the published branch is refused too. When
 *                 the check cannot run at all (not found, killed), a last line says that the web
 *                 host, not the content, must be fixed.
 *   post-receive  `threatfeed build --ref refs/heads/BRANCH -o DEPLOY --ping` after a push to the
 *                 published branch (nothing when threatfeed.deploy is unset). The ref is resolved
 *                 under the build lock (build.h), so the folder ends at the newest tip. When
 *                 that build fails (the branch has moved already), a last line tells the pusher
 *                 that the site is not up to date with the push.
 *
 * Where the site goes is the host's decision: --deploy DIR and --branch BRANCH (default main)
 * are stored in the bare repository's own config, as threatfeed.deploy and threatfeed.branch,
 * and read by the hooks when they run. No pushed file can change them.
 *
 * The scripts are POSIX sh, call this very binary by its absolute path (resolved through
 * /proc/self/exe now, so hooks work without PATH), and carry the line HOOKS_MARKER. A hook with
 * the marker is ours and is rewritten (atomically, mode 0755); any other file of that name is
 * left exactly as it is, with a message. Where core.hooksPath sends git to another folder, no hook
 * is written (git would never run it), with a message.
 */
#ifndef THREATFEED_HOOKS_H
#define THREATFEED_HOOKS_H

#include "util.h"

#define HOOKS_MARKER "# installed by threatfeed"

struct hooks_options {
	const char *repo_path;   /* -C; NULL: search upward from the current directory */
	const char *deploy;      /* --deploy DIR (bare repositories only); NULL: keep the setting */
	const char *branch;      /* --branch BRANCH; NULL: keep the setting (default main) */
};

/*
 * Installs the hooks that fit the repository and records the settings, printing one line per
 * hook on stdout ("installed hooks/pre-commit", "updated ...", "unchanged ..."). Returns 0; -1
 * when anything was reported through d: a hook left alone because threatfeed did not write it,
 * core.hooksPath naming another folder, --deploy on a repository with a work tree, an invalid
 * branch name, I/O.
 */
int hooks_install(const struct hooks_options *opt, struct diag *d);

/* The text of one hook script for the binary at exe ("pre-commit", ...); NULL for other names. */
char *hooks_script(const char *name, const char *exe);

#endif
