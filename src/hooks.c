#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "repo.h"
#include "util.h"

/* A hook is a short script; anything larger is not one of ours and is not read whole. */
#define HOOK_MAX ((size_t)1 << 16)

/* The stamp at the top of every script, then what the hook is for. */
#define HEADER \
	"#!/bin/sh\n" \
	HOOKS_MARKER ": 'threatfeed hooks install' rewrites this file, and\n" \
	"# leaves alone any hook without the line above.\n"

/*
 * The published branch, and the zero id that stands for a created or deleted ref in the hooks'
 * input (githooks(5)); "*[!0]*" tells them apart for SHA-1 and SHA-256 repositories alike.
 */
#define READ_BRANCH \
	"branch=$(git config --local --get threatfeed.branch) || branch=main\n" \
	"# A name that no ref can match would leave every push unchecked and unpublished.\n" \
	"case $branch in\n" \
	"''|-*|/*|*/|*..*|*//*|refs/*|*[!A-Za-z0-9._/-]*|.*|*/.*|*.|*./*|*.lock|*.lock/*|HEAD)\n" \
	"\techo \"threatfeed: threatfeed.branch '$branch' is not a branch name (expected a short " \
	"name such as main): nothing is checked or published until the web host sets it with " \
	"'threatfeed hooks install --branch'\" >&2\n" \
	"\texit 1 ;;\n" \
	"esac\n"

static const char pre_commit[] =
	"# Refuses a commit whose staged content would not build; every problem is listed.\n"
	"exec %s check --staged\n";

static const char pre_receive[] =
	"# Refuses a push to the published branch unless its new commit passes\n"
	"# 'threatfeed check': the branch is not updated, and the pusher sees every message.\n"
	"# A commit that passes is built after the push when there is a deploy folder, and that\n"
	"# build says its warnings: they are not said here too.\n"
	"tf=%s\n"
	READ_BRANCH
	"deploy=$(git config --local --get threatfeed.deploy)\n"
	"status=0\n"
	"server=\n"
	"while read -r _old new ref; do\n"
	"\t[ \"$ref\" = \"refs/heads/$branch\" ] || continue\n"
	"\tcase $new in\n"
	"\t*[!0]*)\n"
	"\t\tsaid=$(\"$tf\" check -C \"${GIT_DIR:-.}\" --ref \"$new\" 2>&1)\n"
	"\t\tchecked=$?\n"
	"\t\tif [ \"$checked\" -ne 0 ] || [ -z \"$deploy\" ]; then\n"
	"\t\t\t[ -z \"$said\" ] || printf '%s\\n' \"$said\" >&2\n"
	"\t\tfi\n"
	"\t\t# 1: check has said what is wrong; anything else (not found, killed) is the server's.\n"
	"\t\tcase $checked in 0) ;; 1) status=1 ;; *) status=1 server=1 ;; esac ;;\n"
	"\t*) echo \"threatfeed: the published branch '$branch' cannot be deleted\" >&2; status=1 ;;\n"
	"\tesac\n"
	"done\n"
	"if [ -n \"$server\" ]; then\n"
	"\techo \"threatfeed: push to '$branch' refused, nothing was published: the server could not "
	"check it; the web host must fix the problem above, then push again\" >&2\n"
	"elif [ \"$status\" -ne 0 ]; then\n"
	"\techo \"threatfeed: push to '$branch' refused, nothing was published: fix the problems "
	"above and push again\" >&2\n"
	"fi\n"
	"exit \"$status\"\n";

static const char post_receive[] =
	"# After a push to the published branch, builds it into the deploy folder and pings.\n"
	"# The folder is the server's setting (threatfeed.deploy), never the content's. The ref is\n"
	"# read under the build lock, so the last build always publishes the newest push.\n"
	"tf=%s\n"
	READ_BRANCH
	"publish=\n"
	"while read -r _old new ref; do\n"
	"\tcase $ref:$new in\n"
	"\t\"refs/heads/$branch\":*[!0]*) publish=1 ;;\n"
	"\trefs/heads/*:*[!0]*) echo \"threatfeed: '${ref#refs/heads/}' is not the published branch "
	"'$branch': nothing was checked or published\" >&2 ;;\n"
	"\tesac\n"
	"done\n"
	"[ -n \"$publish\" ] || exit 0\n"
	"if ! deploy=$(git config --local --get threatfeed.deploy); then\n"
	"\techo \"threatfeed: threatfeed.deploy is not set: nothing was published\" >&2\n"
	"\texit 0\n"
	"fi\n"
	"\"$tf\" build -C \"${GIT_DIR:-.}\" --ref \"refs/heads/$branch\" -o \"$deploy\" --ping\n"
	"status=$?\n"
	"# The branch has moved already: say so, or the pusher cannot tell whether it went out.\n"
	"if [ \"$status\" -ne 0 ] && [ \"$status\" -ne 3 ]; then\n"
	"\techo \"threatfeed: the push to '$branch' was accepted, but the site is not up to date with it: "
	"the web host must fix the problem above (the next push to '$branch' publishes it)\" >&2\n"
	"fi\n"
	"exit \"$status\"\n";

/* The shell's single-quoted form of s: every ' becomes '\'' (POSIX, Shell Command Language 2.2.2). */
static int
shell_quote(struct buf *out, const char *s)
{
	int rc = buf_putc(out, '\'');

	for (; *s && rc == 0; s++)
		rc = *s == '\'' ? buf_puts(out, "'\\''") : buf_putc(out, *s);
	return rc < 0 ? -1 : buf_putc(out, '\'');
}

char *
hooks_script(const char *name, const char *exe)
{
	const char *body;
	struct buf quoted = BUF_INIT, out = BUF_INIT;
	char *s = NULL;

	if (strcmp(name, "pre-commit") == 0)
		body = pre_commit;
	else if (strcmp(name, "pre-receive") == 0)
		body = pre_receive;
	else if (strcmp(name, "post-receive") == 0)
		body = post_receive;
	else
		return NULL;
	if (shell_quote(&quoted, exe) == 0 && buf_puts(&out, HEADER) == 0) {
		/* The first %s of each body is the quoted program's place; a later one is printf's. */
		const char *at = strstr(body, "%s");

		if (buf_add(&out, body, (size_t)(at - body)) == 0 && buf_puts(&out, quoted.ptr) == 0 &&
		    buf_puts(&out, at + 2) == 0)
			s = buf_detach(&out, NULL);
	}
	buf_release(&quoted);
	buf_release(&out);
	return s;
}

/* This program's absolute path, so the hooks run it whatever PATH the pusher's git has. */
static char *
self_path(struct diag *d)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n < 0) {
		diag_error(d, "/proc/self/exe", 0, 0, "cannot find this program's own path: %s",
			   strerror(errno));
		return NULL;
	}
	return xstrndup(path, (size_t)n);
}

/* Reads an existing hook (at most HOOK_MAX bytes): 1 found, 0 absent, -1 error. */
static int
read_hook(struct buf *out, const char *path, int *regular, struct diag *d)
{
	char chunk[4096];
	struct stat st;
	ssize_t n;
	int fd, rc = 1;

	*regular = 0;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return diag_error(d, path, 0, 0, "cannot read: %s", strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return 1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return diag_error(d, path, 0, 0, "cannot read: %s", strerror(errno));
	*regular = 1;
	while (out->len < HOOK_MAX && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_add(out, chunk, (size_t)n) < 0) {
			rc = diag_error(d, path, 0, 0, "cannot read: %s", strerror(errno));
			break;
		}
	}
	close(fd);
	return rc;
}

/* Whether a hook's text holds the marker as a line of its own making. */
static int
has_marker(const struct buf *text)
{
	size_t len = strlen(HOOKS_MARKER);

	for (const char *p = text->ptr; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, HOOKS_MARKER, len) == 0 &&
		    (p[len] == '\n' || p[len] == ':' || p[len] == '\0'))
			return 1;
	return 0;
}

/* Writes the hook beside its final name, then renames it in: never a half-written hook. */
static int
write_hook(const char *path, const char *text, struct diag *d)
{
	struct buf tmp = BUF_INIT;
	int fd = -1, rc = -1;

	buf_printf(&tmp, "%s.threatfeed-XXXXXX", path);
	if ((fd = mkstemp(tmp.ptr)) < 0) {
		diag_error(d, path, 0, 0, "cannot write: %s", strerror(errno));
		goto out;
	}
	if (write_full(fd, text, strlen(text)) < 0 || fchmod(fd, 0755) < 0 || fsync(fd) < 0) {
		diag_error(d, path, 0, 0, "cannot write: %s", strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		diag_error(d, path, 0, 0, "cannot write: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		diag_error(d, path, 0, 0, "cannot write: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp.ptr)
		unlink(tmp.ptr);
	buf_release(&tmp);
	return rc;
}

static int
install_one(const char *dir, const char *name, const char *exe, struct diag *d)
{
	struct buf path = BUF_INIT, old = BUF_INIT;
	char *text = hooks_script(name, exe);
	const char *verb = "installed";
	int found, regular, rc = -1;

	buf_printf(&path, "%s%s", dir, name);
	if ((found = read_hook(&old, path.ptr, &regular, d)) < 0)
		goto out;
	if (found && (!regular || !has_marker(&old))) {
		diag_error(d, NULL, 0, 0, "%s exists and was not written by threatfeed; left as it is "
			   "(move it away and install again, or run threatfeed from it yourself)",
			   path.ptr);
		goto out;
	}
	if (found && strcmp(old.ptr ? old.ptr : "", text) == 0) {
		verb = "unchanged";
	} else {
		if (found)
			verb = "updated";
		if (write_hook(path.ptr, text, d) < 0)
			goto out;
	}
	printf("%s %s\n", verb, path.ptr);
	rc = 0;
out:
	free(text);
	buf_release(&path);
	buf_release(&old);
	return rc;
}

/*
 * A branch name the hooks can compare with: no spaces, quotes, "..", or a leading '-' or '/', and
 * one git accepts (no part that starts with '.' or ends with '.' or ".lock"): a name no branch can
 * have would leave every push unchecked. The hooks check the setting the same way (READ_BRANCH),
 * as a host may write it by hand.
 */
static int
valid_branch(const char *b)
{
	if (!*b || *b == '-' || *b == '/' || strstr(b, "..") || strstr(b, "//") ||
	    b[strlen(b) - 1] == '/' || strncmp(b, "refs/", 5) == 0)
		return 0;
	for (const char *p = b; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._/-", *p)))
			return 0;
	return repo_branch_name_valid(b);
}

/* The deploy folder as an absolute path: the hooks run in the Git folder, not here. */
static char *
absolute(const char *dir)
{
	struct buf out = BUF_INIT;
	char *cwd;

	if (dir[0] == '/')
		return xstrdup(dir);
	if ((cwd = getcwd(NULL, 0))) {
		buf_printf(&out, "%s/%s", cwd, dir);
		free(cwd);
	}
	return out.ptr ? buf_detach(&out, NULL) : NULL;
}

static int
record_settings(struct repo *repo, const struct hooks_options *opt, struct diag *d)
{
	char *deploy = NULL, *branch = NULL;
	int rc = -1;

	if (opt->deploy && !(deploy = absolute(opt->deploy))) {
		diag_error(d, opt->deploy, 0, 0, "cannot make the path absolute: %s", strerror(errno));
		goto out;
	}
	if (deploy && repo_set_config(repo, "threatfeed.deploy", deploy, d) < 0)
		goto out;
	if (opt->branch && repo_set_config(repo, "threatfeed.branch", opt->branch, d) < 0)
		goto out;
	free(deploy);
	deploy = repo_get_config(repo, "threatfeed.deploy", d);
	branch = repo_get_config(repo, "threatfeed.branch", d);
	if (deploy)
		printf("publishing branch %s into %s\n", branch ? branch : "main", deploy);
	else
		printf("publishing nothing yet: no deploy folder (give --deploy DIR)\n");
	rc = 0;
out:
	free(deploy);
	free(branch);
	return rc;
}

/*
 * Whether the core.hooksPath setting names the folder dir, resolved as git does (githooks(5)): "~/"
 * is the home folder, and a relative path is from base, where git runs the hooks (the Git folder of
 * a bare repository, else the top of the work tree).
 */
static int
names_folder(const char *setting, const char *dir, const char *base)
{
	const char *home = getenv("HOME");
	struct buf path = BUF_INIT;
	char *a = NULL, *b = NULL;
	int same;

	if (strncmp(setting, "~/", 2) == 0 && home)
		buf_printf(&path, "%s/%s", home, setting + 2);
	else if (setting[0] == '/')
		buf_puts(&path, setting);
	else
		buf_printf(&path, "%s%s", base, setting);
	if (path.ptr)
		a = realpath(path.ptr, NULL);
	b = realpath(dir, NULL);
	same = a && b && strcmp(a, b) == 0;
	free(a);
	free(b);
	buf_release(&path);
	return same;
}

/* Git's own output is one line of a setting: more is not what was asked for. */
#define GIT_OUTPUT_MAX ((size_t)1 << 16)

/*
 * core.hooksPath as git reads it when it runs the hooks: from the repository's config and the
 * user's and the system's, with their includes and git's environment variables, which this
 * process keeps libgit2 from reading (repo.c, isolate_config). So git itself is asked; *scope
 * gets where it is set ("local", "global", "system"...). NULL when it is not set, or when git
 * cannot be run: then the repository's own setting, from libgit2, is all there is to go on.
 */
static char *
git_hooks_path(const char *git_dir, char **scope)
{
	struct buf arg = BUF_INIT, out = BUF_INIT;
	char chunk[4096], *value = NULL, *tab;
	int fds[2], status, too_much = 0;
	pid_t pid;
	ssize_t n;

	*scope = NULL;
	if (buf_printf(&arg, "--git-dir=%s", git_dir) < 0 || pipe(fds) < 0) {
		buf_release(&arg);
		return NULL;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (dup2(fds[1], STDOUT_FILENO) < 0 || null < 0 || dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		close(fds[0]);
		close(fds[1]);
		close(null);
		execlp("git", "git", arg.ptr, "config", "--show-scope", "--get", "core.hooksPath",
		       (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* Read to the end, keeping at most GIT_OUTPUT_MAX, so that git never waits on the pipe. */
	while (pid > 0 && (n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (!too_much && (out.len + (size_t)n > GIT_OUTPUT_MAX ||
				  buf_add(&out, chunk, (size_t)n) < 0))
			too_much = 1;
	}
	close(fds[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* "SCOPE<TAB>VALUE<LF>"; status 1 when it is not set, 127 when there is no git. */
	if (pid > 0 && !too_much && WIFEXITED(status) && WEXITSTATUS(status) == 0 && out.ptr &&
	    (tab = strchr(out.ptr, '\t')) && out.len > 0 && out.ptr[out.len - 1] == '\n') {
		out.ptr[--out.len] = '\0';
		*tab = '\0';
		*scope = xstrdup(out.ptr);
		value = xstrdup(tab + 1);
	}
	buf_release(&arg);
	buf_release(&out);
	return value;
}

int
hooks_install(const struct hooks_options *opt, struct diag *d)
{
	static const char *const work_hooks[] = { "pre-commit" };
	static const char *const bare_hooks[] = { "pre-receive", "post-receive" };
	struct repo *repo = NULL;
	const char *const *names;
	char *exe = NULL, *dir = NULL, *hooks_path = NULL, *scope = NULL;
	size_t n, errors_before = d->errors;
	int bare;

	if (opt->branch && !valid_branch(opt->branch)) {
		diag_error(d, NULL, 0, 0, "invalid branch name '%s' (expected a short name such as main)",
			   opt->branch);
		goto out;
	}
	if (opt->deploy && (!*opt->deploy || strchr(opt->deploy, '\n'))) {
		diag_error(d, NULL, 0, 0, "invalid deploy folder '%s'", opt->deploy);
		goto out;
	}
	if (repo_open(&repo, opt->repo_path, d) < 0 || !(exe = self_path(d)) ||
	    !(dir = repo_hooks_dir(repo, d)))
		goto out;
	bare = repo_is_bare(repo);
	if (!bare && (opt->deploy || opt->branch)) {
		diag_error(d, NULL, 0, 0, "--deploy and --branch are for the bare repository on the web "
			   "host ('%s' has a work tree)", repo_root(repo));
		goto out;
	}
	/* Hooks where git never looks would leave every push unchecked and unpublished. */
	if (!(hooks_path = git_hooks_path(repo_git_dir(repo), &scope)))
		hooks_path = repo_get_config(repo, "core.hookspath", d);
	if (hooks_path && *hooks_path &&
	    !names_folder(hooks_path, dir, bare ? repo_git_dir(repo) : repo_root(repo))) {
		if (!scope || strcmp(scope, "local") == 0 || strcmp(scope, "worktree") == 0)
			diag_error(d, NULL, 0, 0, "core.hooksPath is set to '%s', so git would never "
				   "run hooks in %s: none was installed (unset it with 'git -C %s config "
				   "%s--unset core.hooksPath' and install again, or run threatfeed from the "
				   "hooks there yourself)", hooks_path, dir, repo_root(repo),
				   scope && strcmp(scope, "worktree") == 0 ? "--worktree " : "");
		else if (strcmp(scope, "global") == 0 || strcmp(scope, "system") == 0)
			diag_error(d, NULL, 0, 0, "core.hooksPath is set to '%s' in git's %s config, "
				   "so git would never run hooks in %s: none was installed (point this "
				   "repository back at them with 'git -C %s config core.hooksPath %s' and "
				   "install again, or run threatfeed from the hooks there yourself)",
				   hooks_path, scope, dir, repo_root(repo), dir);
		else
			/* git -c or GIT_CONFIG_PARAMETERS: above every file, so no file can undo it. */
			diag_error(d, NULL, 0, 0, "core.hooksPath is set to '%s' by git's command line "
				   "or environment (GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT), so git run "
				   "this way would never run hooks in %s: none was installed (install "
				   "again without it)", hooks_path, dir);
		goto out;
	}
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		diag_error(d, dir, 0, 0, "cannot create the hooks folder: %s", strerror(errno));
		goto out;
	}
	names = bare ? bare_hooks : work_hooks;
	n = bare ? sizeof(bare_hooks) / sizeof(*bare_hooks) : sizeof(work_hooks) / sizeof(*work_hooks);
	/* Every hook is tried, so one foreign hook does not stop the others from being installed. */
	for (size_t i = 0; i < n; i++)
		install_one(dir, names[i], exe, d);
	if (bare)
		record_settings(repo, opt, d);
out:
	free(hooks_path);
	free(scope);
	free(dir);
	free(exe);
	repo_free(repo);
	return d->errors > errors_before ? -1 : 0;
}
