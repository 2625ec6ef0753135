#include "build.h"

#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "config.h"
#include "model.h"
#include "output.h"
#include "render.h"
#include "template.h"

#define TEMPLATES_DIR "templates/"
#define TEMPLATE_SUFFIX ".mustache"

/* "index.html.mustache" -> "index.html"; NULL for files that are not templates. */
static char *
template_name(const char *file)
{
	size_t len = strlen(file), suffix = strlen(TEMPLATE_SUFFIX);

	if (len <= suffix || strcmp(file + len - suffix, TEMPLATE_SUFFIX) != 0 || file[0] == '.')
		return NULL;
	return xstrndup(file, len - suffix);
}

/*
 * The built-in templates first, then the repository's templates/ over them, file by file, so a
 * site overrides only what it wants to change.
 */
static int
load_templates(struct template_set *set, const struct source_set *src, struct diag *d)
{
	struct buf path = BUF_INIT;
	size_t errors_before = d->errors;

	for (size_t i = 0; i < builtin_templates_count; i++) {
		char *name = template_name(builtin_templates[i].name);

		if (!name)
			continue;
		buf_reset(&path);
		buf_printf(&path, "built-in %s", builtin_templates[i].name);
		template_set_add(set, name, path.ptr, builtin_templates[i].data, builtin_templates[i].len, d);
		free(name);
	}
	for (size_t i = 0; i < src->count; i++) {
		const struct source_file *f = &src->files[i];
		const char *file = f->path + strlen(TEMPLATES_DIR);
		unsigned line, col;
		const char *why;
		char *name;

		if (strncmp(f->path, TEMPLATES_DIR, strlen(TEMPLATES_DIR)) != 0 || strchr(file, '/') ||
		    !(name = template_name(file)))
			continue;
		if (f->kind != SOURCE_FILE)
			diag_error(d, f->path, 0, 0, "templates must be regular files");
		else if (text_check(f->data, f->size, &line, &col, &why) < 0)
			diag_error(d, f->path, line, col, "%s", why);
		else
			template_set_add(set, name, f->path, f->data, f->size, d);
		free(name);
	}
	buf_release(&path);
	return d->errors > errors_before ? -1 : 0;
}

static int
load_config(struct config *cfg, const struct source_set *src, struct diag *d)
{
	const struct source_file *f = source_set_find(src, SETTINGS_FILE);
	struct config_entries entries = { NULL, 0 };
	unsigned line, col;
	const char *why;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!f)
		return diag_error(d, SETTINGS_FILE, 0, 0, "missing (every site needs its settings, with "
				  "at least site.title and site.url)");
	if (f->kind != SOURCE_FILE)
		return diag_error(d, SETTINGS_FILE, 0, 0, "must be a regular file");
	if (text_check(f->data, f->size, &line, &col, &why) < 0)
		return diag_error(d, SETTINGS_FILE, line, col, "%s", why);
	if (repo_parse_config(&entries, SETTINGS_FILE, f->data, f->size, d) < 0)
		return -1;
	rc = config_load(cfg, SETTINGS_FILE, f->data, f->size, &entries, d);
	config_entries_release(&entries);
	return rc;
}

int
build_run(const struct build_options *opt, struct diag *d)
{
	static const char *const prefixes[] = { SETTINGS_FILE, "content/", TEMPLATES_DIR };
	struct repo *repo = NULL;
	struct source_set src = { NULL, 0, "" };
	struct config cfg;
	int have_config = 0;
	struct template_set *templates = template_set_new();
	json_t *model = NULL;
	struct output *out = NULL;
	struct output_stats stats = { 0, 0, 0, 0 };
	struct buf dir = BUF_INIT;
	int rc = -1;

	if (repo_open(&repo, opt->repo_path, d) < 0)
		goto out;
	if (repo_read(&src, repo, opt->snapshot, opt->ref, prefixes,
		      sizeof(prefixes) / sizeof(*prefixes), d) < 0)
		goto out;
	/*
	 * Settings with errors still tell which levels and scopes exist, so the content is checked
	 * too and every problem is reported in one run; nothing is written (d->errors is set).
	 */
	if (load_config(&cfg, &src, d) < 0 && !cfg.url)
		goto out;
	have_config = 1;
	load_templates(templates, &src, d);
	if (model_build(&model, &cfg, &src, d) < 0 || d->errors)
		goto out;
	if (opt->dump_model) {
		if (json_dumpf(model, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
		    fputc('\n', stdout) == EOF) {
			diag_error(d, NULL, 0, 0, "cannot write the model to standard output");
			goto out;
		}
		rc = 0;
		goto out;
	}

	if (opt->out_dir)
		buf_puts(&dir, opt->out_dir);
	else
		buf_printf(&dir, "%ssite", repo_root(repo));
	out = output_new(dir.ptr);
	if (opt->verbose)
		output_set_log(out, stdout);
	if (render_site(out, model, templates, d) < 0 || d->errors)
		goto out;
	if (!opt->write) {
		rc = 0;
		goto out;
	}
	if (output_commit(out, &stats, d) < 0)
		goto out;
	if (!opt->quiet)
		printf("%s: %zu files, %zu written, %zu unchanged, %zu removed\n", dir.ptr, stats.staged,
		       stats.written, stats.unchanged, stats.removed);
	rc = 0;
out:
	buf_release(&dir);
	output_free(out);
	json_decref(model);
	template_set_free(templates);
	if (have_config)
		config_release(&cfg);
	source_set_release(&src);
	repo_free(repo);
	return rc;
}
