#include "new.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "config.h"
#include "frontmatter.h"
#include "model.h"
#include "repo.h"

#define LEVELS_DIR "content/levels/"

static int
is_plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._:/,+-", c) != NULL;
}

int
new_yaml_scalar(struct buf *out, const char *value)
{
	const char *p = value;
	int plain = *value && is_plain_char(*value) && !strchr("._:/,+-", *value);

	for (; plain && *p; p++)
		plain = is_plain_char(*p);
	/* Unquoted, a spelling of null is read as no value (frontmatter.h). */
	if (frontmatter_is_null_word(value))
		plain = 0;
	/*
	 * ": " would start a mapping and " #" a comment; neither can occur in the plain set. A ':'
	 * at the very end is followed by the line break, which makes it a mapping indicator too
	 * (YAML 1.1 section 4.6.2, value indicator).
	 */
	if (plain && value[strlen(value) - 1] == ':')
		plain = 0;
	if (plain)
		return buf_puts(out, value);
	if (buf_putc(out, '"') < 0)
		return -1;
	for (p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int rc;

		/*
		 * libyaml refuses C1 controls written as such, and reads U+0085, U+2028 and U+2029
		 * as line breaks: escaped, each is read back as itself.
		 */
		if (c == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f) {
			p++;
			rc = (unsigned char)*p == 0x85 ? buf_puts(out, "\\N") :
							  buf_printf(out, "\\x%02x", (unsigned char)*p);
		} else if (c == 0xe2 && (unsigned char)p[1] == 0x80 &&
			   ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9)) {
			rc = buf_puts(out, (unsigned char)p[2] == 0xa8 ? "\\L" : "\\P");
			p += 2;
		} else if (c == '"' || c == '\\')
			rc = buf_printf(out, "\\%c", c);
		else if (c == '\t')
			rc = buf_puts(out, "\\t");
		else if (c == '\n')
			rc = buf_puts(out, "\\n");
		else if (c < 0x20 || c == 0x7f)
			rc = buf_printf(out, "\\x%02x", c);
		else
			rc = buf_putc(out, (char)c);
		if (rc < 0)
			return -1;
	}
	return buf_putc(out, '"');
}

/*
 * Now, in the machine's local offset: an editor expects the date in the front matter to read as
 * their own clock. localtime_r is used for the offset alone (tm_gmtoff); the date itself is
 * formatted from the instant by util's own code. Only `new` reads the local time zone: builds
 * never do (invariant 6).
 */
static int
now_local(struct timestamp *out, struct diag *d)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == (time_t)-1 || !localtime_r(&now, &tm))
		return diag_error(d, NULL, 0, 0, "cannot read the clock: %s", strerror(errno));
	out->epoch = (int64_t)now;
	out->offset_minutes = (int)(tm.tm_gmtoff / 60);
	/* RFC 3339 offsets stop at 23:59; a time zone set beyond that (TZ='<+25>-25') gets UTC. */
	if (out->offset_minutes > 1439 || out->offset_minutes < -1439)
		out->offset_minutes = 0;
	return 0;
}

/* The scope the announcement belongs to, as the model will decide it (NULL: unnamed). */
static int
pick_scope(const struct scope_def **out, const struct config *cfg, const char *name, struct diag *d)
{
	struct buf list = BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (config_scope_list(&list, cfg) < 0)
		return diag_error(d, NULL, 0, 0, "out of memory");
	if (cfg->nscopes == 0 && name)
		rc = diag_error(d, NULL, 0, 0, "unknown scope '%s' (no scopes are configured in %s)",
				name, SETTINGS_FILE);
	else if (cfg->nscopes == 1 && !name)
		*out = &cfg->scopes[0];
	else if (cfg->nscopes > 1 && !name)
		rc = diag_error(d, NULL, 0, 0, "missing --scope (expected %s)", list.ptr);
	else if (name && !(*out = config_scope(cfg, name)))
		rc = diag_error(d, NULL, 0, 0, "unknown scope '%s' (expected %s)", name, list.ptr);
	buf_release(&list);
	return rc;
}

/* The whole file: front matter in the order the README shows it, then a placeholder body. */
static int
compose(struct buf *text, const struct config *cfg, const struct level_def *level,
	const struct scope_def *scope, const char *title, const struct timestamp *date)
{
	char *id = model_default_id(cfg, scope ? scope->name : "", date);
	int rc = 0;

	rc |= buf_puts(text, "---\nlevel: ");
	rc |= new_yaml_scalar(text, level->name);
	rc |= buf_puts(text, "\ndate: ");
	rc |= date_format_rfc3339(text, date);
	if (scope) {
		rc |= buf_puts(text, "\nscope: ");
		rc |= new_yaml_scalar(text, scope->name);
	}
	if (title) {
		rc |= buf_puts(text, "\ntitle: ");
		rc |= new_yaml_scalar(text, title);
	}
	rc |= buf_puts(text, "\nid: ");
	rc |= new_yaml_scalar(text, id);
	rc |= buf_puts(text, "\n---\n" MODEL_PLACEHOLDER_BODY "\n");
	free(id);
	return rc < 0 ? -1 : 0;
}

/* Creates dir and its parents inside the work tree (mkdir -p); existing folders are fine. */
static int
make_dirs(const char *root, const char *rel, struct diag *d)
{
	struct buf path = BUF_INIT;
	int rc = 0;

	buf_puts(&path, root);
	for (const char *p = rel; *p; p++) {
		if (*p == '/' && mkdir(path.ptr, 0777) < 0 && errno != EEXIST) {
			rc = diag_error(d, path.ptr, 0, 0, "cannot create folder: %s", strerror(errno));
			break;
		}
		buf_putc(&path, *p);
	}
	buf_release(&path);
	return rc;
}

/* Writes text into a new file; an existing file, or a link in its place, is never touched. */
static int
create_file(const char *full, const char *rel, const struct buf *text, struct diag *d)
{
	int fd, written;

	fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST)
		return diag_error(d, rel, 0, 0, "already exists (edit it, or give a --date on another day)");
	if (fd < 0)
		return diag_error(d, rel, 0, 0, "cannot create: %s", strerror(errno));
	written = write_full(fd, text->ptr, text->len) == 0 && fsync(fd) == 0;
	if (!written || close(fd) < 0) {
		int e = errno;

		if (!written)
			close(fd);
		/* A half-written announcement must not be left to be committed by mistake. */
		unlink(full);
		return diag_error(d, rel, 0, 0, "cannot write: %s", strerror(e));
	}
	return 0;
}

/* The path to show: relative to the current folder when the file is under it, else absolute. */
static const char *
shown_path(const char *full)
{
	char *cwd = getcwd(NULL, 0);
	const char *shown = full;
	size_t len;

	if (cwd) {
		len = strlen(cwd);
		if (strncmp(full, cwd, len) == 0 && full[len] == '/')
			shown = full + len + 1;
		free(cwd);
	}
	return shown;
}

/*
 * Runs the editor as git does: the variable may hold arguments ("emacs -nw"), so it goes
 * through sh -c '<editor> "$@"' with the file as "$1"; the path is never pasted into the
 * command. fork and exec rather than the C library's shell helper: no signal or quoting
 * surprises.
 */
static int
run_editor(const char *full, struct diag *d)
{
	const char *editor = getenv("VISUAL");
	struct buf cmd = BUF_INIT;
	pid_t pid;
	int status, rc = -1;

	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	buf_printf(&cmd, "%s \"$@\"", editor);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		diag_error(d, NULL, 0, 0, "cannot start the editor '%s': %s", editor, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd.ptr, editor, full, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			diag_error(d, NULL, 0, 0, "cannot wait for the editor '%s': %s", editor,
				   strerror(errno));
			goto out;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status))
		diag_error(d, NULL, 0, 0, "the editor '%s' exited with status %d (the file is kept)",
			   editor, WEXITSTATUS(status));
	else
		diag_error(d, NULL, 0, 0, "the editor '%s' was killed by signal %d (the file is kept)",
			   editor, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
out:
	buf_release(&cmd);
	return rc;
}

int
new_run(const struct new_options *opt, struct diag *d)
{
	static const char *const prefixes[] = { SETTINGS_FILE };
	struct repo *repo = NULL;
	struct source_set src = { NULL, 0, "", 0 };
	struct config cfg;
	const struct level_def *level;
	const struct scope_def *scope;
	struct timestamp date;
	struct civil_time c;
	struct buf list = BUF_INIT, rel = BUF_INIT, full = BUF_INIT, text = BUF_INIT;
	int rc = -1;

	memset(&cfg, 0, sizeof(cfg));
	if (repo_open(&repo, opt->repo_path, d) < 0)
		goto out;
	if (repo_is_bare(repo)) {
		diag_error(d, NULL, 0, 0, "the repository '%s' is bare (expected an editor's checkout "
			   "with a work tree)", repo_root(repo));
		goto out;
	}
	if (repo_read(&src, repo, REPO_SNAPSHOT_WORKTREE, NULL, prefixes, 1, d) < 0)
		goto out;
	if (build_load_config(&cfg, &src, d) < 0)
		goto out;

	if (!(level = config_level(&cfg, opt->level))) {
		config_level_list(&list, &cfg);
		diag_error(d, NULL, 0, 0, "unknown level '%s' (expected %s)", opt->level,
			   list.ptr ? list.ptr : "");
	}
	if (pick_scope(&scope, &cfg, opt->scope, d) < 0 || !level)
		goto out;
	if (opt->title) {
		unsigned line, col;
		const char *why;

		if (is_blank_line(opt->title, strlen(opt->title)) || strchr(opt->title, '\n') ||
		    strchr(opt->title, '\r')) {
			diag_error(d, NULL, 0, 0, "--title must be one line of text (leave it out to have "
				   "one derived from the level)");
			goto out;
		}
		if (text_check(opt->title, strlen(opt->title), &line, &col, &why) < 0) {
			diag_error(d, NULL, 0, 0, "--title: %s at byte %u", why, col);
			goto out;
		}
	}
	if (opt->date)
		date = *opt->date;
	else if (now_local(&date, d) < 0)
		goto out;

	date_to_civil(&c, date.epoch, date.offset_minutes);
	buf_printf(&rel, LEVELS_DIR "%04d-%02d-%02d-", c.year, c.month, c.day);
	if (scope)
		buf_printf(&rel, "%s-", scope->name);
	buf_printf(&rel, "%s.md", level->name);
	buf_printf(&full, "%s%s", repo_root(repo), rel.ptr);
	if (compose(&text, &cfg, level, scope, opt->title, &date) < 0) {
		diag_error(d, rel.ptr, 0, 0, "out of memory");
		goto out;
	}
	if (make_dirs(repo_root(repo), LEVELS_DIR, d) < 0 || create_file(full.ptr, rel.ptr, &text, d) < 0)
		goto out;
	if (printf("%s\n", shown_path(full.ptr)) < 0 || fflush(stdout) == EOF) {
		diag_error(d, NULL, 0, 0, "cannot write to standard output");
		goto out;
	}
	if (opt->edit && run_editor(full.ptr, d) < 0)
		goto out;
	rc = 0;
out:
	buf_release(&list);
	buf_release(&rel);
	buf_release(&full);
	buf_release(&text);
	config_release(&cfg);
	source_set_release(&src);
	repo_free(repo);
	return rc;
}
