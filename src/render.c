#include "render.h"

#include <string.h>

#include "feeds.h"
#include "repo.h"

/*
 * What a page knows about itself, handed to the template as the innermost context (see
 * templates/README.md). Relative links start from `root`, so the site works from file:// and
 * under any path prefix.
 */
struct page {
	const char *template;      /* "entry.html" */
	const char *relpath;       /* where it goes: "2014/raised-to-severe/index.html" */
	const char *title;
	json_t *feed;              /* the feed it advertises */
	const char *object_key;    /* "entry", "scope" or "page", or NULL */
	json_t *object;
};

/* "../" once per folder in relpath: "2014/x/index.html" -> "../../". */
static void
root_of(struct buf *out, const char *relpath)
{
	for (const char *p = relpath; *p; p++)
		if (*p == '/')
			buf_puts(out, "../");
}

/* One template's reach (template_deps) and the digest of what it sees of the root context. */
struct reach {
	const char *template;
	struct template_deps *deps;
	char root[41];
};

struct memo_state {
	const struct render_memo *memo;
	struct reach *reach;
	size_t nreach;
	struct buf ser;
	int have_all;       /* every entry's content_html is in the model */
};

/* An entry's HTML is derived from its source blob alone: its id stands in for it. */
static json_t *
stand_in(void *arg, json_t *obj, const char *key)
{
	(void)arg;
	return strcmp(key, "content_html") == 0 ? json_object_get(obj, "source_id") : NULL;
}

static const struct template_deps_hooks hooks = { stand_in, NULL };

static struct reach *
reach_of(struct memo_state *m, const json_t *model, const struct template_set *t, const char *name)
{
	struct reach *r;

	for (size_t i = 0; i < m->nreach; i++)
		if (strcmp(m->reach[i].template, name) == 0)
			return &m->reach[i];
	m->reach = xreallocarray(m->reach, m->nreach + 1, sizeof(*m->reach));
	r = &m->reach[m->nreach++];
	r->template = name;
	r->deps = template_deps_new(t, name);
	buf_reset(&m->ser);
	buf_printf(&m->ser, "%s\n%s\n", m->memo->seed, name);
	/*
	 * A template that sees much of the model (the history page sees every announcement) changes
	 * with almost any commit: digesting it would cost about as much as rendering it.
	 */
	if (template_deps_put(&m->ser, r->deps, (json_t *)model, &hooks) < 0 ||
	    repo_hash_bytes(r->root, m->ser.ptr, m->ser.len) < 0)
		r->root[0] = '\0';
	return r;
}

/* The digest of everything page ctx can show, in tag; 0, or -1 when there is none. */
static int
page_digest(char tag[41], struct memo_state *m, const json_t *model, const struct template_set *t,
	    const char *template, json_t *ctx)
{
	struct reach *r = reach_of(m, model, t, template);

	if (!r->root[0])
		return -1;
	buf_reset(&m->ser);
	buf_printf(&m->ser, "%s\n", r->root);
	if (template_deps_put(&m->ser, r->deps, ctx, &hooks) < 0 ||
	    repo_hash_bytes(tag, m->ser.ptr, m->ser.len) < 0)
		return -1;
	return 0;
}

static int
render_page(struct output *o, const json_t *model, const struct template_set *t,
	    const struct page *p, struct memo_state *m, struct diag *d)
{
	char tag[41];
	int have_tag = 0;
	json_t *ctx = json_object(), *stack[2];
	const json_t *site = json_object_get(model, "site");
	const char *site_title = json_string_value(json_object_get(site, "title"));
	struct buf s = BUF_INIT, html = BUF_INIT;
	const char *dir_end = strrchr(p->relpath, '/');
	int rc = -1;

	root_of(&s, p->relpath);
	json_object_set_new(ctx, "root", json_string(s.ptr ? s.ptr : ""));
	buf_reset(&s);
	if (p->title && strcmp(p->title, site_title) != 0)
		buf_printf(&s, "%s \xe2\x80\x93 %s", p->title, site_title);
	else
		buf_puts(&s, site_title);
	json_object_set_new(ctx, "title", json_string(s.ptr));
	buf_reset(&s);
	/* The canonical URL is the folder, as web servers serve index.html there. */
	buf_printf(&s, "%s%.*s", json_string_value(json_object_get(site, "url")),
		   dir_end ? (int)(dir_end - p->relpath + 1) : 0, p->relpath);
	json_object_set_new(ctx, "canonical", json_string(s.ptr));
	json_object_set(ctx, "feed", p->feed);
	if (p->object_key)
		json_object_set(ctx, p->object_key, p->object);

	if (m && m->memo->seed && page_digest(tag, m, model, t, p->template, ctx) == 0) {
		have_tag = 1;
		if (cache_pages_fresh(m->memo->pages, p->relpath, tag)) {
			rc = output_keep(o, p->relpath) < 0 || output_set_tag(o, p->relpath, tag) < 0 ? -1 : 0;
			goto out;
		}
	}
	if (m && m->memo->need && !m->have_all) {
		int is_entry = p->object_key && strcmp(p->object_key, "entry") == 0;
		struct reach *r = reach_of(m, model, t, p->template);

		if (template_deps_reaches(r->deps, "content_html", is_entry ? "entry" : NULL)) {
			json_t *e;
			size_t i;

			json_array_foreach(json_object_get(model, "entries"), i, e)
				if (m->memo->need(m->memo->arg, e, d) < 0)
					goto out;
			m->have_all = 1;
		} else if (is_entry && m->memo->need(m->memo->arg, p->object, d) < 0) {
			goto out;
		}
	}
	stack[0] = (json_t *)model;
	stack[1] = ctx;
	if (template_render(&html, t, p->template, stack, 2) < 0) {
		diag_error(d, NULL, 0, 0, "cannot render '%s' with template '%s'", p->relpath, p->template);
		goto out;
	}
	if (output_add(o, p->relpath, html.ptr ? html.ptr : "", html.len) < 0) {
		diag_error(d, NULL, 0, 0, "out of memory staging '%s'", p->relpath);
		goto out;
	}
	if (have_tag)
		output_set_tag(o, p->relpath, tag);
	/* Made for this page alone (render.h): a feed that shows it asks for it again. */
	if (m && m->memo->need && !m->have_all && p->object_key && strcmp(p->object_key, "entry") == 0)
		json_object_del(p->object, "content_html");
	rc = 0;
out:
	buf_release(&s);
	buf_release(&html);
	json_decref(ctx);
	return rc;
}

typedef int (*feed_writer)(struct buf *out, const json_t *site, const json_t *feed);

static int
stage(struct output *o, const char *dir, const char *name, struct buf *data, struct diag *d)
{
	struct buf path = BUF_INIT;
	char *bytes;
	size_t len;
	int rc;

	buf_printf(&path, "%s%s", dir, name);
	bytes = buf_detach(data, &len);
	rc = output_add_owned(o, path.ptr, bytes, len);
	if (rc < 0)
		diag_error(d, NULL, 0, 0, "out of memory staging '%s'", path.ptr);
	buf_release(&path);
	return rc;
}

static int
render_feeds(struct output *o, const json_t *model, struct diag *d)
{
	static const struct {
		const char *name;
		feed_writer write;
	} writers[] = { { "atom.xml", atom_write }, { "rss.xml", rss_write },
			{ "feed.json", jsonfeed_write } };
	const json_t *site = json_object_get(model, "site");
	json_t *feed;
	size_t i, w;
	struct buf data = BUF_INIT;

	json_array_foreach(json_object_get(model, "feeds"), i, feed) {
		const char *dir = json_string_value(json_object_get(feed, "dir"));

		for (w = 0; w < sizeof(writers) / sizeof(*writers); w++) {
			if (writers[w].write(&data, site, feed) < 0) {
				buf_release(&data);
				return diag_error(d, NULL, 0, 0, "cannot write '%s%s'", dir, writers[w].name);
			}
			if (stage(o, dir, writers[w].name, &data, d) < 0)
				return -1;
		}
	}
	if (levels_json_write(&data, model) < 0) {
		buf_release(&data);
		return diag_error(d, NULL, 0, 0, "cannot write 'level.json'");
	}
	if (stage(o, "", "level.json", &data, d) < 0)
		return -1;
	if (sitemap_write(&data, model) < 0) {
		buf_release(&data);
		return diag_error(d, NULL, 0, 0, "cannot write 'sitemap.xml'");
	}
	return stage(o, "", "sitemap.xml", &data, d);
}

int
render_site(struct output *o, const json_t *model, const struct template_set *t, struct diag *d)
{
	return render_site_memo(o, model, t, NULL, d);
}

int
render_site_memo(struct output *o, const json_t *model, const struct template_set *t,
		 const struct render_memo *memo, struct diag *d)
{
	struct memo_state ms = { memo, NULL, 0, BUF_INIT, 0 }, *m = memo ? &ms : NULL;
	json_t *site_feed = json_array_get(json_object_get(model, "feeds"), 0);
	json_t *item;
	size_t i;
	struct buf path = BUF_INIT;
	int rc = -1;
	const struct page fixed[] = {
		{ "index.html", "index.html", NULL, site_feed, NULL, NULL },
		{ "history.html", "history/index.html", "History", site_feed, NULL, NULL },
		{ "levels.html", "levels/index.html", "What the levels mean", site_feed, NULL, NULL },
		{ "style.css", "style.css", NULL, site_feed, NULL, NULL },
		{ "robots.txt", "robots.txt", NULL, site_feed, NULL, NULL },
	};

	for (i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
		if (render_page(o, model, t, &fixed[i], m, d) < 0)
			goto out;

	json_array_foreach(json_object_get(model, "entries"), i, item) {
		struct page p = { "entry.html", NULL, json_string_value(json_object_get(item, "title")),
				  site_feed, "entry", item };

		buf_reset(&path);
		buf_printf(&path, "%sindex.html", json_string_value(json_object_get(item, "path")));
		p.relpath = path.ptr;
		if (render_page(o, model, t, &p, m, d) < 0)
			goto out;
	}
	if (json_is_true(json_object_get(json_object_get(model, "site"), "multiple_scopes"))) {
		json_array_foreach(json_object_get(model, "scopes"), i, item) {
			struct page p = { "scope.html", NULL,
					  json_string_value(json_object_get(item, "title")),
					  json_object_get(item, "feed"), "scope", item };

			buf_reset(&path);
			buf_printf(&path, "%sindex.html", json_string_value(json_object_get(item, "dir")));
			p.relpath = path.ptr;
			if (render_page(o, model, t, &p, m, d) < 0)
				goto out;
		}
	}
	json_array_foreach(json_object_get(model, "pages"), i, item) {
		struct page p = { "page.html", NULL, json_string_value(json_object_get(item, "title")),
				  site_feed, "page", item };

		buf_reset(&path);
		buf_printf(&path, "%sindex.html", json_string_value(json_object_get(item, "path")));
		p.relpath = path.ptr;
		if (render_page(o, model, t, &p, m, d) < 0)
			goto out;
	}
	if (memo && memo->need) {
		json_t *feed, *e;
		size_t k;

		json_array_foreach(json_object_get(model, "feeds"), i, feed)
			json_array_foreach(json_object_get(feed, "entries"), k, e)
				if (memo->need(memo->arg, e, d) < 0)
					goto out;
	}
	rc = render_feeds(o, model, d);
out:
	for (i = 0; i < ms.nreach; i++)
		template_deps_free(ms.reach[i].deps);
	free(ms.reach);
	buf_release(&ms.ser);
	buf_release(&path);
	return rc;
}
